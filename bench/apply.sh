#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Apply time and kernel memory of K rules at each hook.
#
# Apply time: wall time of `bpfilter apply FILE` (iptables-restore file of
# K rules of shape b or g, as bench/e2e.sh writes them, policy DROP), from
# reading the file to the program attached and pinned, in a fresh network
# namespace with a veth pair (the tc and XDP programs go on the receiving
# end), at the netfilter hook, tc and XDP. Next to it, for reference, the
# same file with iptables-legacy-restore and iptables-nft-restore and the
# linear nft form with `nft -f` (netfilter INPUT). Median of
# BENCH_APPLY_RUNS runs, each in its own namespaces, created and deleted
# outside the timed part.
#
# Kernel memory: after the first bpfilter run, the "memlock" the kernel
# charges for every program and map of the ruleset: the programs behind
# the links pinned in bpfilter's pin directory (/run/bpfilter/COOKIE/SLOT),
# every program in its program arrays, the maps of all of them, and the
# maps pinned there (bpftool and jq; counted once each; "-" without them).
#
# Writes $OUT/apply.csv: shape,tool,hook,rules,seconds,memlock_kb,progs,maps,
# cpu_seconds (user + system time: on a loaded machine the wall time also
# counts the wait for a CPU)
# and apply.png (the reference tools run once only at K >= 100,000; a run
# of more than a minute is not repeated).
# Environment: BUILD, BPFILTER, BENCH_OUT, BENCH_APPLY_SHAPES
# (default "b g"), BENCH_APPLY_RULES (default "1000 10000 100000"),
# BENCH_APPLY_RUNS (default 3), BENCH_APPLY_TOOLS (default: bpfilter-nf
# bpfilter-tc bpfilter-xdp and the installed reference tools),
# BENCH_APPLY_TIMEOUT (seconds per run, default 180: a run that takes
# longer counts as failed, "nan").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
BPFILTER=${BPFILTER:-$BUILD/bpfilter}
PKT_COST=$BUILD/bench/pkt_cost
OUT=${BENCH_OUT:-$ROOT/bench/results}
SHAPES=${BENCH_APPLY_SHAPES:-b g}
RULES=${BENCH_APPLY_RULES:-1000 10000 100000}
RUNS=${BENCH_APPLY_RUNS:-3}
TMO=${BENCH_APPLY_TIMEOUT:-180}
PIN_ROOT=${BPFILTER_PIN_ROOT:-/run/bpfilter}
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/apply.sh: needs root" >&2
	exit 1
fi
for f in "$PKT_COST" "$BPFILTER"; do
	[[ -x "$f" ]] || { echo "bench/apply.sh: $f not built (make bench-bins)" >&2; exit 1; }
done
if [[ -n ${BENCH_APPLY_TOOLS:-} ]]; then
	read -r -a tools <<<"$BENCH_APPLY_TOOLS"
else
	tools=(bpfilter-nf bpfilter-tc bpfilter-xdp)
	command -v iptables-legacy-restore >/dev/null && tools+=(iptables-legacy)
	command -v iptables-nft-restore >/dev/null && tools+=(iptables-nft)
	command -v nft >/dev/null && tools+=(nft-lin-nf)
fi
have_mem=1
command -v bpftool >/dev/null && command -v jq >/dev/null || have_mem=0

TMP=$(mktemp -d /tmp/bf-apply.XXXXXX)
NS="" HOOK=""
teardown() {
	if [[ -n "$NS" ]]; then
		case $HOOK in
		tc | xdp)
			timeout 60 ip netns exec "$NS" "$BPFILTER" flush --hook "$HOOK" --iface "vaa$$" \
				>/dev/null 2>&1 || true ;;
		esac
		timeout 60 ip netns exec "$NS" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$NS" 2>/dev/null || true
	fi
	NS="" HOOK=""
}
trap 'teardown; rm -rf "$TMP"' EXIT INT TERM

# shellcheck source=bench/gen.sh
. "$ROOT/bench/gen.sh"

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }

# memlock DIR: "KB PROGS MAPS" of everything reachable from the pins in DIR
memlock() {
	local dir=$1 f id t
	declare -A progs=() maps=()
	local -a todo=()
	for f in "$dir"/*; do
		[[ -e $f ]] || continue
		if id=$(bpftool link show pinned "$f" -j 2>/dev/null | jq -er '.prog_id'); then
			todo+=("$id")
		elif id=$(bpftool prog show pinned "$f" -j 2>/dev/null | jq -er '.id'); then
			todo+=("$id")
		elif id=$(bpftool map show pinned "$f" -j 2>/dev/null | jq -er '.id'); then
			maps[$id]=1
		fi
	done
	# programs in program arrays, found through the maps (bounded walk)
	local -a mq=("${!maps[@]}")
	local rounds=0
	while ((${#todo[@]} + ${#mq[@]} > 0 && rounds < 1000)); do
		rounds=$((rounds + 1))
		if ((${#todo[@]})); then
			id=${todo[0]}
			todo=("${todo[@]:1}")
			[[ -n ${progs[$id]:-} ]] && continue
			progs[$id]=$(bpftool prog show id "$id" -j 2>/dev/null | jq -r '.bytes_memlock // 0')
			for t in $(bpftool prog show id "$id" -j 2>/dev/null | jq -r '.map_ids[]? // empty'); do
				[[ -n ${maps[$t]:-} ]] || { maps[$t]=1; mq+=("$t"); }
			done
		else
			id=${mq[0]}
			mq=("${mq[@]:1}")
			t=$(bpftool map show id "$id" -j 2>/dev/null | jq -r '.type // ""')
			if [[ $t == prog_array ]]; then
				# values are program ids (little-endian u32 as hex bytes)
				for t in $(bpftool map dump id "$id" -j 2>/dev/null |
					jq -r '.[] | .value | if type == "array" then
						(map(ltrimstr("0x")) | .[3] + .[2] + .[1] + .[0]) else empty end'); do
					todo+=("$((16#$t))")
				done
			fi
		fi
	done
	local total=0
	for id in "${!progs[@]}"; do total=$((total + progs[$id])); done
	for id in "${!maps[@]}"; do
		t=$(bpftool map show id "$id" -j 2>/dev/null | jq -r '.bytes_memlock // 0')
		total=$((total + t))
	done
	echo "$((total / 1024)) ${#progs[@]} ${#maps[@]}"
}

# run_tool TOOL HOOK FILE: apply FILE with TOOL in $NS; output in $TMP/out
run_tool() {
	case $1 in
	bpfilter-nf) timeout "$TMO" ip netns exec "$NS" "$BPFILTER" apply "$3" ;;
	bpfilter-*) timeout "$TMO" ip netns exec "$NS" "$BPFILTER" apply --hook "$2" --iface "vaa$$" "$3" ;;
	iptables-legacy) timeout "$TMO" ip netns exec "$NS" iptables-legacy-restore "$3" ;;
	iptables-nft) timeout "$TMO" ip netns exec "$NS" iptables-nft-restore "$3" ;;
	nft-*) timeout "$TMO" ip netns exec "$NS" nft -f "$3" ;;
	esac >"$TMP/out" 2>&1
}

# apply_one TOOL FILE MEM: prints "wall_s cpu_s memlock_kb progs maps" (cpu:
# user + system time of the tool and its children, the verifier included:
# on a loaded machine wall time also counts the wait for a CPU)
apply_one() {
	local tool=$1 file=$2 mem=$3 rc=0 hook m="- 0 0" dir wall usr sys
	NS=bfap$$
	hook=${tool##*-}
	HOOK=$hook
	ip netns add "$NS"
	ip -n "$NS" link add vaa$$ type veth peer name vab$$
	ip -n "$NS" link set vaa$$ up
	ip -n "$NS" link set vab$$ up
	local TIMEFORMAT='%3R %3U %3S'
	{ time run_tool "$tool" "$hook" "$file"; } 2>"$TMP/time" || rc=$?
	read -r wall usr sys <"$TMP/time" || true
	if ((rc == 0)) && [[ $mem == 1 && $tool == bpfilter-* ]] && ((have_mem)); then
		dir=$PIN_ROOT/$(ip netns exec "$NS" "$PKT_COST" -C)
		case $hook in
		nf) m=$(memlock "$dir/nf") ;;
		*) m=$(for d in "$dir"/*; do [[ -d $d && $d != */nf ]] && memlock "$d"; done | head -1) ;;
		esac
		[[ -n $m ]] || m="nan 0 0"
	fi
	teardown
	if ((rc != 0)); then
		echo "bench/apply.sh: $tool failed ($rc):" >&2
		tail -3 "$TMP/out" >&2
		echo "nan nan nan 0 0"
		return 0
	fi
	echo "$wall $(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.3f", u + s }') $m"
}

csv=$OUT/apply.csv
echo "shape,tool,hook,rules,seconds,memlock_kb,progs,maps,cpu_seconds" >"$csv"
for shape in $SHAPES; do
	for k in $RULES; do
		# tc/XDP: without the conntrack match (refused there)
		gen "$shape" "$k" ipt nf drop x >"$TMP/ipt-nf"
		gen "$shape" "$k" ipt tc drop x >"$TMP/ipt-tc"
		gen "$shape" "$k" lin nf drop x >"$TMP/nft"
		for tool in "${tools[@]}"; do
			file=$TMP/ipt-nf
			[[ $tool == bpfilter-tc || $tool == bpfilter-xdp ]] && file=$TMP/ipt-tc
			[[ $tool == nft-* ]] && file=$TMP/nft
			: >"$TMP/times"
			: >"$TMP/cpu"
			mem="-,0,0"
			# the reference tools once only at 100,000 rules and more
			n=$RUNS
			[[ $tool != bpfilter-* ]] && ((k >= 100000)) && n=1
			for ((i = 0; i < n; i++)); do
				read -r s cpu kb np nm < <(apply_one "$tool" "$file" $((i == 0)))
				echo "$s" >>"$TMP/times"
				echo "$cpu" >>"$TMP/cpu"
				((i == 0)) && mem="$kb,$np,$nm"
				# a failed run, or one of more than a minute, is not repeated
				if [[ $s == nan ]] || awk -v s="$s" 'BEGIN { exit !(s > 60) }'; then
					break
				fi
			done
			echo "$shape,$tool,${tool##*-},$k,$(grep -v nan "$TMP/times" | median),$mem,$(grep -v nan "$TMP/cpu" | median)" >>"$csv"
		done
	done
done
sed -i 's/,iptables-legacy,legacy,/,iptables-legacy,nf,/; s/,iptables-nft,nft,/,iptables-nft,nf,/' "$csv"

echo "== apply time (s wall, file to attached, median of $RUNS, fresh namespace each; (cpu s)) and kernel memory (memlock KB: programs + maps)"
awk -F, 'NR == 1 { next }
	{ t[$1, $2, $4] = $5; m[$1, $2, $4] = $6; c[$1, $2, $4] = $9
	  if (!($1 in ss)) { ss[$1] = 1; sl[ns++] = $1 }
	  if (!($2 in ts)) { ts[$2] = 1; tl[nt++] = $2 }
	  if (!($4 in rs)) { rs[$4] = 1; rl[nr++] = $4 } }
	END {
		for (s = 0; s < ns; s++) {
			printf "\n   shape %s\n%16s |", sl[s], "tool"
			for (i = 0; i < nr; i++) printf " %28s", rl[i] " rules"
			printf "\n"
			for (j = 0; j < nt; j++) { T = tl[j]; printf "%16s |", T
				for (i = 0; i < nr; i++) { x = t[sl[s], T, rl[i]]; y = m[sl[s], T, rl[i]]
					z = c[sl[s], T, rl[i]]
					if (x == "" || x == "nan") printf " %28s", "-"
					else if (T ~ /^bpfilter/) printf " %7ss (%7s) %8sKB", x, z, y
					else printf " %7ss (%7s) %10s", x, z, "" }
				printf "\n" }
		}
	}' "$csv"
echo "   (CSV: $csv)"

if command -v gnuplot >/dev/null; then
	plots=""
	for shape in $SHAPES; do
		for tool in "${tools[@]}"; do
			awk -F, -v t="$tool" -v s="$shape" '$1 == s && $2 == t && $5 != "nan" { print $4, $5 }' \
				"$csv" >"$TMP/$shape-$tool.dat"
			[[ -s "$TMP/$shape-$tool.dat" ]] &&
				plots+="${plots:+, }'$TMP/$shape-$tool.dat' using 1:2 with linespoints title '$shape $tool'"
		done
	done
	gnuplot <<-GP
		set terminal pngcairo size 1000,620 noenhanced
		set output '$OUT/apply.png'
		set title 'time to apply K rules, file to attached (fresh namespace)'
		set xlabel 'rules'
		set ylabel 'seconds'
		set logscale xy
		set grid
		set key top left
		plot $plots
	GP
	echo "== plot: $OUT/apply.png"
fi
