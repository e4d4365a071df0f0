#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Side by side with real traffic: the receive path's cost per packet with
# the same ruleset in bpfilter (netfilter, tc and XDP hooks),
# iptables-legacy, iptables-nft and nftables (linear, and with sets where an
# equivalent set exists), at INPUT and at tc / netdev ingress.
#
# Method (FIELD-NOTES "Measuring", bench/README.md): a sender and a receiver
# namespace joined by veth; bench/pkt_cost sends UDP 192.0.2.1:40000 ->
# 192.0.2.2:9 with AF_PACKET and PACKET_QDISC_BYPASS; on veth the
# receiver's input path runs in the sender's thread, so the sender's thread
# CPU time per packet is the cost. The probe matches none of the K rules,
# so every tool crosses its whole ruleset and the policy decides:
#   drop    policy DROP (for K = 0 too): the packet is dropped at the
#           hook, with K rules or none (the "dropped flood" of the report);
#   accept  policy ACCEPT: the packet goes on to UDP (closed port), so the
#           difference to K = 0 is the filter's own cost, nothing skipped.
# Shape b's client rules match conntrack state (at INPUT): with them every
# tool makes the kernel run conntrack, which costs more than the filter
# itself here (about 2 us per packet with policy DROP: an entry is made
# and freed for every packet). That is the stack's cost, not the filter's:
# for shape b conntrack is kept on in the receiving namespace for every
# tool and every K, K = 0 included (an nft table whose unhooked chain has a
# `ct state` expression: how bpfilter itself turns conntrack on, see
# src/lib/load/ct.c; no packet crosses that chain), so the baseline pays
# it too and the delta is the filter's cost. BENCH_E2E_CT=0: not so.
# Deltas are paired (bench/pkt_cost -B): the sender namespace has two veth
# pairs, one to a receiver with the tool's K rules, one to a receiver with
# the same tool's empty ruleset (same policy, conntrack as above), and
# sends batches of 64 frames to each in turn (ABBA), each batch timed on
# its own; delta = the median of the per-pair differences. Both sides are
# measured in the same milliseconds, so what moves the receive path's cost
# between rounds here (0.4 us and more: load, the host, caches) hits both:
# the unpaired difference of two medians measured minutes apart gave +300
# to +1,600 ns for the same nft set; paired, +690 to +930. At K = 0 both
# receivers are empty: an A/A check of the method (about +-20 ns). The
# sender is pinned to one CPU (BENCH_E2E_CPU, default the last one; empty:
# not pinned). Every (shape, policy, K) is measured in rounds; in each
# round every tool runs once, in fresh namespaces (A B C ... A B C ...);
# reported: the median over rounds of the cost and of the delta, and the
# smallest and largest per-run delta (the spread).
#
# Shapes (K rules; bench/cls_cost.c builds a and b the same way as IR):
#   b  enterprise servers (corpus polito_enterprise_1000, scaled): 2.5 %
#      client rules "-m conntrack --ctstate NEW -s CLIENT -j ACCEPT" (at
#      tc/XDP without the conntrack match, which bpfilter refuses there and
#      nft has not at ingress), server rules "-d SRV -p udp --dport P -j
#      ACCEPT", and after every 990 of those 10 general rules (prefixes of
#      lengths 8 to 28, TCP port ranges and flags, UDP source port ranges,
#      a negation; DROP).
#   g  general rules only: the four kinds of shape b's general rules for
#      every rule, with distinct prefixes and ports and alternating DROP /
#      ACCEPT targets (no set form: nft refuses overlapping intervals in a
#      concatenated set, and one set would lose the order anyway). Not the
#      same rules as bench/cls_cost.c's shape c (also general rules only).
#   a  distinct /32 sources, DROP.
# nft set forms (same verdict for every packet, order kept): every run of
# consecutive client rules becomes "ct state new ip saddr @cN accept", of
# server rules "ip daddr . udp dport @sN accept", of shape-a rules "ip
# saddr @aN drop"; general rules stay linear in place. At netdev ingress
# every nft chain (K = 0 too) starts with "meta protocol != ip accept": an
# IPv4 ruleset at tc / XDP passes other protocols, as bpfilter's does.
# (Checked once with counters: every probe crosses the whole nft chain; a
# probe from a client address is accepted by the set rule.)
#
# Tools: bpfilter-nf, iptables-legacy, iptables-nft, nft-lin-nf, nft-set-nf
# (INPUT; bpfilter-nf1: bpfilter with one program per hook, no segment
# programs (BPFILTER_SEG_MIN beyond K): what `bpfilter apply` makes of a
# chain of 256 rules or more is segments, tail-called one after the other,
# each classified on its own, so that one change rebuilds one segment);
# bpfilter-tc, nft-lin-tc, nft-set-tc (tcx ingress / nft netdev
# ingress on the receiving veth); bpfilter-xdp (XDP on the receiving veth:
# on veth every frame is copied for XDP, ~0.7 us, which a NIC running XDP
# natively does not do; its program cost is measured by bench/cls.sh).
#
# Writes $OUT/e2e.csv: shape,policy,tool,hook,rules,ns_per_pkt,delta_ns,
# rounds,base_ns,delta_min,delta_max (base_ns: the empty receiver's cost in
# the same runs), and e2e.png; prints tables.
# Environment: BUILD, BPFILTER, BENCH_OUT (default bench/results),
# BENCH_E2E_SHAPES (default "b g"), BENCH_E2E_POLICIES (default "drop
# accept"), BENCH_E2E_RULES (default "0 1000 10000"; 0 is the A/A check),
# BENCH_E2E_ROUNDS (default 3), BENCH_E2E_PACKETS (packets per run and
# side; for tools other than bpfilter and nft sets fewer for larger K;
# default 20000), BENCH_E2E_RUNS (runs per measurement, median; default
# 5), BENCH_E2E_AA_ROUNDS (rounds at K = 0, the A/A check; default 1),
# BENCH_E2E_CPU (sender CPU, above), BENCH_E2E_TOOLS (default: all above
# that are installed), BENCH_E2E_MAX_SECONDS (default 3600: no new round
# after it), BENCH_E2E_CT (default 1: conntrack on for shape b, above).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
BPFILTER=${BPFILTER:-$BUILD/bpfilter}
PKT_COST=$BUILD/bench/pkt_cost
OUT=${BENCH_OUT:-$ROOT/bench/results}
SHAPES=${BENCH_E2E_SHAPES:-b g}
POLICIES=${BENCH_E2E_POLICIES:-drop accept}
RULES=${BENCH_E2E_RULES:-0 1000 10000}
ROUNDS=${BENCH_E2E_ROUNDS:-3}
AA_ROUNDS=${BENCH_E2E_AA_ROUNDS:-1}
PACKETS=${BENCH_E2E_PACKETS:-20000}
RUNS=${BENCH_E2E_RUNS:-5}
CT=${BENCH_E2E_CT:-1}
# the sender (and the receive path it runs) on one CPU: the last one
CPU=${BENCH_E2E_CPU-$(($(nproc) - 1))}
command -v nft >/dev/null || CT=0
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/e2e.sh: needs root" >&2
	exit 1
fi
for f in "$PKT_COST" "$BPFILTER"; do
	[[ -x "$f" ]] || { echo "bench/e2e.sh: $f not built (make bench-bins)" >&2; exit 1; }
done

if [[ -n ${BENCH_E2E_TOOLS:-} ]]; then
	read -r -a tools <<<"$BENCH_E2E_TOOLS"
else
	tools=(bpfilter-nf bpfilter-nf1)
	command -v iptables-legacy-restore >/dev/null && tools+=(iptables-legacy)
	command -v iptables-nft-restore >/dev/null && tools+=(iptables-nft)
	command -v nft >/dev/null && tools+=(nft-lin-nf nft-set-nf)
	tools+=(bpfilter-tc)
	command -v nft >/dev/null && tools+=(nft-lin-tc nft-set-tc)
	tools+=(bpfilter-xdp)
fi

TMP=$(mktemp -d /tmp/bf-e2e.XXXXXX)
PS="" PR="" P0="" HOOK=""
# flush bpfilter in receiver namespace NS (device DEV), delete NS
drop_rx() {
	local ns=$1 dev=$2
	[[ -n "$ns" ]] || return 0
	case $HOOK in
	tc | xdp)
		timeout 60 ip netns exec "$ns" "$BPFILTER" flush --hook "$HOOK" --iface "$dev" \
			>/dev/null 2>&1 || true ;;
	esac
	timeout 60 ip netns exec "$ns" "$BPFILTER" flush >/dev/null 2>&1 || true
	ip netns del "$ns" 2>/dev/null || true
}
teardown() {
	drop_rx "$PR" "ver$$"
	drop_rx "$P0" "vez$$"
	[[ -n "$PS" ]] && ip netns del "$PS" 2>/dev/null || true
	PS="" PR="" P0="" HOOK=""
}
trap 'teardown; rm -rf "$TMP"' EXIT INT TERM

hook_of() { # TOOL -> nf | tc | xdp
	case $1 in
	*-tc) echo tc ;;
	*-xdp) echo xdp ;;
	*) echo nf ;;
	esac
}

# shellcheck source=bench/gen.sh
. "$ROOT/bench/gen.sh"

# rx NS SENDER_DEV RECEIVER_DEV: a receiver namespace NS joined to $PS
rx() {
	ip netns add "$1"
	ip link add "$2" netns "$PS" type veth peer name "$3" netns "$1"
	ip -n "$PS" link set "$2" up
	ip -n "$1" link set "$3" up
	ip -n "$1" addr add 192.0.2.2/24 dev "$3"
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$3.rp_filter=0"
}

# load TOOL SHAPE POLICY K NS DEV: TOOL's ruleset of K rules into NS
load() {
	local tool=$1 shape=$2 pol=$3 k=$4 ns=$5 dev=$6 fmt hook rules=$TMP/rules-$5
	hook=$(hook_of "$tool")
	case $tool in
	nft-lin-*) fmt="lin" ;;
	nft-set-*) fmt="set" ;;
	*) fmt="ipt" ;;
	esac
	gen "$shape" "$k" "$fmt" "$hook" "$pol" "$dev" >"$rules"
	if [[ $shape == b && $CT == 1 ]]; then
		# conntrack on for every tool and every K (see the header)
		printf 'table ip bfbench_ct {\n\tchain keep {\n\t\tct state established\n\t}\n}\n' |
			ip netns exec "$ns" nft -f - || return
	fi
	case $tool in
	bpfilter-nf) timeout 600 ip netns exec "$ns" "$BPFILTER" apply "$rules" ;;
	bpfilter-nf1)
		timeout 600 ip netns exec "$ns" env BPFILTER_SEG_MIN=10000000 "$BPFILTER" apply "$rules" ;;
	bpfilter-tc | bpfilter-xdp)
		timeout 600 ip netns exec "$ns" "$BPFILTER" apply --hook "$hook" --iface "$dev" "$rules" ;;
	iptables-legacy) timeout 600 ip netns exec "$ns" iptables-legacy-restore "$rules" ;;
	iptables-nft) timeout 600 ip netns exec "$ns" iptables-nft-restore "$rules" ;;
	nft-*) timeout 600 ip netns exec "$ns" nft -f "$rules" ;;
	*) echo "bench/e2e.sh: unknown tool $tool"; return 2 ;;
	esac
}

# one TOOL SHAPE POLICY K RESULTS: append "TOOL COST BASE DELTA DMIN DMAX"
# (or nan): the sender alternates batches between a receiver with the K
# rules and one with the same tool's empty ruleset (pkt_cost -B)
one() {
	local tool=$1 shape=$2 pol=$3 k=$4 res=$5 mac mac0 n rc=0 v="nan nan nan nan nan"
	PS=bfes$$
	PR=bfer$$
	P0=bfez$$
	HOOK=$(hook_of "$tool")
	ip netns add "$PS"
	rx "$PR" "ves$$" "ver$$"
	rx "$P0" "vesz$$" "vez$$"
	mac=$(ip netns exec "$PR" cat /sys/class/net/ver$$/address)
	mac0=$(ip netns exec "$P0" cat /sys/class/net/vez$$/address)
	load "$tool" "$shape" "$pol" "$k" "$PR" "ver$$" >"$TMP/out" 2>&1 || rc=$?
	((rc == 0)) && { load "$tool" "$shape" "$pol" 0 "$P0" "vez$$" >"$TMP/out" 2>&1 || rc=$?; }
	if ((rc == 0)); then
		# fewer packets for slow, large rulesets: bounded run time
		# (bpfilter and nft sets stay about flat in K)
		n=$PACKETS
		[[ $tool == bpfilter-* || $tool == nft-set-* ]] || n=$((PACKETS / (1 + k / 100)))
		((n < 2000)) && n=2000
		v=$(timeout 300 ip netns exec "$PS" "$PKT_COST" ves$$ "$mac" 192.0.2.1 192.0.2.2 \
			-n "$n" -r "$RUNS" -B vesz$$ "$mac0" ${CPU:+-c "$CPU"} 2>"$TMP/out") ||
			{ rc=$?; v="nan nan nan nan nan"; }
	fi
	((rc == 0)) || { echo "bench/e2e.sh: $tool, shape $shape, policy $pol, $k rules failed:" >&2; tail -3 "$TMP/out" >&2; }
	echo "$tool $v" >>"$res"
	teardown
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }

csv=$OUT/e2e.csv
echo "shape,policy,tool,hook,rules,ns_per_pkt,delta_ns,rounds,base_ns,delta_min,delta_max" >"$csv"
deadline=$((SECONDS + ${BENCH_E2E_MAX_SECONDS:-3600}))
for shape in $SHAPES; do
	for pol in $POLICIES; do
		for k in $RULES; do
			res=$TMP/res-$shape-$pol-$k
			: >"$res"
			done_rounds=0
			# K = 0 is only the A/A check of the method: fewer rounds
			rounds=$ROUNDS
			[[ $k == 0 ]] && rounds=$AA_ROUNDS
			for ((r = 0; r < rounds; r++)); do
				((SECONDS < deadline)) || { echo "bench/e2e.sh: time budget spent, stopping rounds" >&2; break; }
				for tool in "${tools[@]}"; do
					# no set form of general rules: nft-set = nft-lin
					[[ $shape == g && $tool == nft-set-* ]] && continue
					one "$tool" "$shape" "$pol" "$k" "$res"
				done
				done_rounds=$((done_rounds + 1))
			done
			for tool in "${tools[@]}"; do
				[[ $shape == g && $tool == nft-set-* ]] && continue
				m=$(awk -v t="$tool" '$1 == t && $2 != "nan" { print $2 }' "$res" | median)
				b=$(awk -v t="$tool" '$1 == t && $3 != "nan" { print $3 }' "$res" | median)
				d=$(awk -v t="$tool" '$1 == t && $4 != "nan" { print $4 }' "$res" | median)
				lo=$(awk -v t="$tool" '$1 == t && $5 != "nan" { print $5 }' "$res" | sort -g | head -1)
				hi=$(awk -v t="$tool" '$1 == t && $6 != "nan" { print $6 }' "$res" | sort -g | tail -1)
				echo "$shape,$pol,$tool,$(hook_of "$tool"),$k,$m,$d,$done_rounds,$b,${lo:-nan},${hi:-nan}" >>"$csv"
			done
		done
	done
done

echo "== side by side, real traffic (ns/packet of the receive path; median of $ROUNDS interleaved rounds x $RUNS runs)"
echo "   probe matches none of the K rules; (delta) = paired difference to the same tool's empty ruleset"
echo "   [min..max of the per-run deltas]; at K = 0 ($AA_ROUNDS round(s)) the delta is an A/A check of the method (empty vs empty)"
awk -F, 'NR == 1 { next }
	{ v[$1, $2, $3, $5] = $6; d[$1, $2, $3, $5] = $7; lo[$1, $2, $3, $5] = $10; hi[$1, $2, $3, $5] = $11
	  if (!(($1, $2) in sp)) { sp[$1, $2] = 1; spl[ns++] = $1 "," $2 }
	  if (!($3 in ts)) { ts[$3] = 1; tl[nt++] = $3 }
	  if (!($5 in rs)) { rs[$5] = 1; rl[nr++] = $5 } }
	function n(x) { return x == "" || x == "nan" ? "-" : sprintf("%.0f", x) }
	END {
		for (s = 0; s < ns; s++) {
			split(spl[s], q, ","); S = q[1]; P = q[2]
			printf "\n   shape %s, policy %s\n%16s |", S, P, "tool"
			for (i = 0; i < nr; i++) printf " %33s", rl[i]
			printf "\n"
			for (t = 0; t < nt; t++) { T = tl[t]
				if (!((S, P, T, rl[0]) in v)) continue
				printf "%16s |", T
				for (i = 0; i < nr; i++) { K = rl[i]; x = v[S, P, T, K]
					if (x == "nan" || x == "") printf " %33s", "-"
					else printf " %7s (%+7s [%s..%s])", n(x), n(d[S, P, T, K]),
						n(lo[S, P, T, K]), n(hi[S, P, T, K]) }
				printf "\n" }
		}
	}' "$csv"
echo "   (CSV: $csv)"

if command -v gnuplot >/dev/null; then
	plots=""
	for shape in $SHAPES; do
		for tool in "${tools[@]}"; do
			awk -F, -v t="$tool" -v s="$shape" '$1 == s && $2 == "drop" && $3 == t && $5 > 0 && $7 != "nan" {
				print $5, ($7 > 1 ? $7 : 1) }' "$csv" >"$TMP/$shape-$tool.dat"
			[[ -s "$TMP/$shape-$tool.dat" ]] &&
				plots+="${plots:+, }'$TMP/$shape-$tool.dat' using 1:2 with linespoints title '$shape $tool'"
		done
	done
	if [[ -n "$plots" ]]; then
		gnuplot <<-GP
			set terminal pngcairo size 1000,620 noenhanced
			set output '$OUT/e2e.png'
			set title 'filter cost per packet above the empty ruleset, policy DROP, real traffic over veth (floored at 1 ns)'
			set xlabel 'rules'
			set ylabel 'ns per packet'
			set logscale xy
			set grid
			set key top left
			plot $plots
		GP
		echo "== plot: $OUT/e2e.png"
	fi
fi
