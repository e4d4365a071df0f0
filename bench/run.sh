#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bpfilter benchmarks (run by `make bench`, as root). Writes CSV files and
# gnuplot PNGs into bench/results/ and prints tables.
#
#  1. Program cost: ns/packet of the compiled program for K rules of
#     distinct /32 sources, measured with BPF_PROG_TEST_RUN (bench/prog_cost.c),
#     for a packet matching the last rule and a packet matching none, at the
#     netfilter hook and at XDP.
#  2. Apply time: wall time of `bpfilter apply` of the same K rules (as an
#     iptables-restore file) in a fresh network namespace, next to
#     iptables-legacy-restore and iptables-nft-restore of the same file.
#  3. Per-packet cost with real traffic (bench/pkt_cost.c) through a veth
#     pair, for bpfilter, iptables-legacy, iptables-nft and nftables side by
#     side, K non-matching rules + policy DROP.
#
# Environment: BUILD (build dir, default build), BPFILTER (CLI path),
# BENCH_RULES (default "1 10 100 1000 10000"), BENCH_REPEAT (default
# 100000), BENCH_RUNS (median of, default 5), BENCH_APPLY_RUNS (default 3),
# BENCH_PKT_RULES (default "0 10 100 1000 10000"), BENCH_PKT_ROUNDS (3),
# BENCH_SHAPE (exact: /32 sources, the default; mixed: alternating /31 and
# /30 sources, which bpfilter cannot fold into a hash lookup) for parts 2
# and 3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
BPFILTER=${BPFILTER:-$ROOT/$BUILD/bpfilter}
PROG_COST=$ROOT/$BUILD/bench/prog_cost
RULES=${BENCH_RULES:-1 10 100 1000 10000}
REPEAT=${BENCH_REPEAT:-100000}
RUNS=${BENCH_RUNS:-5}
APPLY_RUNS=${BENCH_APPLY_RUNS:-3}
OUT=$ROOT/bench/results
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/run.sh: needs root (BPF programs, network namespaces)" >&2
	exit 1
fi
for f in "$PROG_COST" "$BPFILTER"; do # pkt_cost is optional
	[[ -x "$f" ]] || { echo "bench/run.sh: $f not built (make BUILD=$BUILD bench-bins)" >&2; exit 1; }
done

NS=""
TMP=$(mktemp -d /tmp/bf-bench.XXXXXX)
cleanup() {
	if [[ -n "$NS" ]]; then
		timeout 30 ip netns exec "$NS" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$NS" 2>/dev/null || true
	fi
	declare -F pkt_teardown >/dev/null && pkt_teardown
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }

echo "== bpfilter benchmarks on $(uname -r), $(nproc) cores; $(date -u +%FT%TZ)"
echo

# --- 1. program cost ---------------------------------------------------------
csv=$OUT/prog_cost.csv
echo "attach,rules,case,ns_per_pkt,insns,compile_ms,load_ms" >"$csv"
for series in "nf" "nf -L" "xdp"; do
	# shellcheck disable=SC2086
	timeout 1800 "$PROG_COST" -a $series -r "$REPEAT" -n "$RUNS" $RULES >>"$csv"
done
echo "== program cost (BPF_PROG_TEST_RUN, repeat $REPEAT, median of $RUNS)"
echo "   last: packet matches the last rule (DROP); none: matches no rule (ACCEPT)"
echo "   nf and xdp: as compiled by default (runs of exact-match rules folded into one"
echo "   hash lookup); nf-linear: folding off (prog_cost -L), one test per rule"
awk -F, 'NR == 1 { next }
	{ key = $2; v[$1 "-" $3, key] = $4; ins[$1, key] = $5; ct[$1, key] = $6; lt[$1, key] = $7;
	  if (!(key in seen)) { seen[key] = 1; order[n++] = key } }
	END {
		printf "%7s | %7s %7s | %7s %7s | %7s %7s | %6s %6s | %6s %6s\n", "rules",
			"nf-last", "nf-none", "lin-last", "lin-none", "xdp-last", "xdp-none",
			"insns", "lin-in", "load", "lin-ld"
		for (i = 0; i < n; i++) { k = order[i]
			printf "%7s | %7s %7s | %7s %7s | %7s %7s | %6s %6s | %6s %6s\n", k,
				v["nf-last", k], v["nf-none", k], v["nf-linear-last", k], v["nf-linear-none", k],
				v["xdp-last", k], v["xdp-none", k], ins["nf", k], ins["nf-linear", k],
				lt["nf", k], lt["nf-linear", k] }
		print "   (insns: program size; load: bf_program_load() ms, verifier included)"
	}' "$csv"
echo "   (ns/packet; CSV: ${csv#"$ROOT"/})"
echo

# --- 1b. classification up to 100,000 rules (bench/cls.sh) --------------------
# Shapes a (/32 sources) and b (enterprise servers + 1 % general rules),
# folded and linear, nf and xdp: cls_cost.csv, cls_cost.png.
# BENCH_CLS=0 skips it.
if [[ ${BENCH_CLS:-1} != 0 ]]; then
	BUILD=$BUILD "$ROOT/bench/cls.sh" || echo "bench/run.sh: bench/cls.sh failed" >&2
	echo
fi
# shape b with real traffic, next to iptables-legacy and iptables-nft
# (bench/cls_pkt.sh; slow: up to 100,000 rules in iptables-nft). Opt in
# with BENCH_CLS_PKT=1.
if [[ ${BENCH_CLS_PKT:-0} != 0 ]]; then
	BUILD=$BUILD BPFILTER=$BPFILTER "$ROOT/bench/cls_pkt.sh" || echo "bench/run.sh: bench/cls_pkt.sh failed" >&2
	echo
fi
# bpfilter against nftables linear and with sets, at INPUT and at tc /
# netdev ingress, plus XDP program cost (bench/cls_nft.sh). Opt in with
# BENCH_CLS_NFT=1.
if [[ ${BENCH_CLS_NFT:-0} != 0 ]]; then
	BUILD=$BUILD BPFILTER=$BPFILTER "$ROOT/bench/cls_nft.sh" || echo "bench/run.sh: bench/cls_nft.sh failed" >&2
	echo
fi
# Single-change latency: one `bpfilter rule add|insert|delete|replace`
# at 1,000 and 10,000 rules in force, mixed and foldable (bench/edit.sh;
# about 5 minutes). BENCH_EDIT=0 skips it.
if [[ ${BENCH_EDIT:-1} != 0 ]]; then
	BUILD=$BUILD BPFILTER=$BPFILTER "$ROOT/bench/edit.sh" || echo "bench/run.sh: bench/edit.sh failed" >&2
	echo
fi

# --- 2. apply time -----------------------------------------------------------
# Rule shape (BENCH_SHAPE): "exact" = distinct /32 sources (folded into a
# hash lookup by bpfilter); "mixed" = distinct sources alternating /31 and
# /30 prefixes: bpfilter folds runs of addresses under one mask, and here
# no two neighbours share one, so every rule is tested in turn, as in
# iptables and linear nftables.
SHAPE=${BENCH_SHAPE:-exact}
case $SHAPE in
exact) PLEN=32 PLEN2=32 STEP=1 ;;
mixed) PLEN=31 PLEN2=30 STEP=4 ;;
*) echo "bench/run.sh: BENCH_SHAPE is exact or mixed" >&2; exit 2 ;;
esac
gen_rules() { # K FILE: iptables-restore input of K "-s ADDR/LEN -j DROP" rules
	awk -v k="$1" -v p1="$PLEN" -v p2="$PLEN2" -v step="$STEP" 'BEGIN {
		print "*filter"; print ":INPUT ACCEPT [0:0]"; print ":FORWARD ACCEPT [0:0]"
		print ":OUTPUT ACCEPT [0:0]"
		for (i = 0; i < k; i++) { a = step * (1 + i)
			printf "-A INPUT -s 198.%d.%d.%d/%d -j DROP\n", 18 + int(a / 65536), int(a / 256) % 256, a % 256, i % 2 ? p2 : p1 }
		print "COMMIT" }' >"$2"
}

# time_in_ns CMD...: seconds taken by CMD in a fresh namespace (created and
# deleted around it, not timed)
time_in_ns() {
	local t0 t1 rc
	NS=bfb-$$
	ip netns add "$NS"
	t0=$(now)
	timeout 600 ip netns exec "$NS" "$@" >"$TMP/out" 2>&1
	rc=$?
	t1=$(now)
	# a pinned netfilter link keeps its namespace alive: unpin first
	timeout 30 ip netns exec "$NS" "$BPFILTER" flush >/dev/null 2>&1 || true
	ip netns del "$NS"
	NS=""
	if ((rc != 0)); then
		echo "bench/run.sh: failed ($rc): $*" >&2
		tail -5 "$TMP/out" >&2
		echo nan
		return 0
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

tools=("bpfilter")
command -v iptables-legacy-restore >/dev/null && tools+=("iptables-legacy")
command -v iptables-nft-restore >/dev/null && tools+=("iptables-nft")

acsv=$OUT/apply-$SHAPE.csv
echo "tool,rules,seconds" >"$acsv"
set +e
for k in $RULES; do
	gen_rules "$k" "$TMP/rules-$k"
	for tool in "${tools[@]}"; do
		for ((i = 0; i < APPLY_RUNS; i++)); do
			case $tool in
			bpfilter) time_in_ns "$BPFILTER" apply "$TMP/rules-$k" ;;
			iptables-legacy) time_in_ns iptables-legacy-restore "$TMP/rules-$k" ;;
			iptables-nft) time_in_ns iptables-nft-restore "$TMP/rules-$k" ;;
			esac
		done | median | sed "s/^/$tool,$k,/" >>"$acsv"
	done
done
set -e
echo "== apply time (seconds, median of $APPLY_RUNS, fresh namespace each)"
awk -F, 'NR == 1 { next }
	{ t[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 }
	  if (!($1 in tseen)) { tseen[$1] = 1; tl[m++] = $1 } }
	END {
		printf "%8s |", "rules"; for (j = 0; j < m; j++) printf " %16s", tl[j]; printf "\n"
		for (i = 0; i < n; i++) { printf "%8s |", order[i]
			for (j = 0; j < m; j++) printf " %16s", t[tl[j], order[i]]; printf "\n" }
	}' "$acsv"
echo "   (CSV: ${acsv#"$ROOT"/})"
echo

# --- 3. per-packet cost with real traffic, side by side ------------------------
# A sender and a receiver namespace joined by veth; pkt_cost sends UDP
# frames with AF_PACKET (qdisc bypassed), so the receiver's whole input path
# runs in the sender's thread: its CPU time per packet is the cost. The
# receiver's INPUT has K rules that do not match (distinct /32 sources) and
# policy DROP, so every packet crosses every rule and ends in the policy.
PKT_COST=$ROOT/$BUILD/bench/pkt_cost
PKT_RULES=${BENCH_PKT_RULES:-0 10 100 1000 10000}
PKT_ROUNDS=${BENCH_PKT_ROUNDS:-3}
pkt_tools=(bpfilter)
command -v iptables-legacy-restore >/dev/null && pkt_tools+=(iptables-legacy)
command -v iptables-nft-restore >/dev/null && pkt_tools+=(iptables-nft)
command -v nft >/dev/null && pkt_tools+=(nftables)

gen_nft() { # K FILE: nft ruleset of K "ip saddr ADDR/LEN drop" rules, policy drop
	awk -v k="$1" -v p1="$PLEN" -v p2="$PLEN2" -v step="$STEP" 'BEGIN {
		print "table ip bench {"; print "  chain input {"
		print "    type filter hook input priority 0; policy drop;"
		for (i = 0; i < k; i++) { a = step * (1 + i)
			printf "    ip saddr 198.%d.%d.%d/%d drop\n", 18 + int(a / 65536), int(a / 256) % 256, a % 256, i % 2 ? p2 : p1 }
		print "  }"; print "}" }' >"$2"
}
gen_drop_rules() { # K FILE: like gen_rules, with policy DROP
	gen_rules "$1" "$2"
	sed -i 's/^:INPUT ACCEPT/:INPUT DROP/' "$2"
}

PS="" PR=""
pkt_teardown() {
	if [[ -n "$PR" ]]; then
		timeout 30 ip netns exec "$PR" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$PR" 2>/dev/null || true
	fi
	[[ -n "$PS" ]] && ip netns del "$PS" 2>/dev/null || true
	PS="" PR=""
}
# pkt_one TOOL K FILE: append "TOOL ns-per-packet" (or "TOOL nan") to FILE
pkt_one() {
	local tool=$1 k=$2 res=$3 mac n rc=0 v=nan
	PS=bfps$$
	PR=bfpr$$
	ip netns add "$PS"
	ip netns add "$PR"
	ip link add vps$$ netns "$PS" type veth peer name vpr$$ netns "$PR"
	ip -n "$PS" link set vps$$ up
	ip -n "$PR" link set vpr$$ up
	ip -n "$PR" addr add 192.0.2.2/24 dev vpr$$
	ip netns exec "$PR" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.vpr$$.rp_filter=0"
	mac=$(ip netns exec "$PR" cat /sys/class/net/vpr$$/address)
	case $tool in
	bpfilter) ip netns exec "$PR" "$BPFILTER" apply "$TMP/drop-$k" >"$TMP/out" 2>&1 || rc=$? ;;
	iptables-legacy) ip netns exec "$PR" iptables-legacy-restore "$TMP/drop-$k" >"$TMP/out" 2>&1 || rc=$? ;;
	iptables-nft) ip netns exec "$PR" iptables-nft-restore "$TMP/drop-$k" >"$TMP/out" 2>&1 || rc=$? ;;
	nftables) ip netns exec "$PR" nft -f "$TMP/nft-$k" >"$TMP/out" 2>&1 || rc=$? ;;
	esac
	if ((rc == 0)); then
		# fewer packets for slow, large rulesets: bounded run time
		n=$((200000 / (1 + k / 100)))
		((n < 2000)) && n=2000
		v=$(timeout 300 ip netns exec "$PS" "$PKT_COST" vps$$ "$mac" 192.0.2.1 192.0.2.2 \
			-n "$n" -r 5 2>"$TMP/out") || { rc=$?; v=nan; }
	fi
	((rc == 0)) || { echo "bench/run.sh: $tool, $k rules failed:" >&2; tail -3 "$TMP/out" >&2; }
	echo "$tool $v" >>"$res"
	pkt_teardown
}

pcsv=$OUT/pkt_cost-$SHAPE.csv
echo "tool,rules,ns_per_pkt" >"$pcsv"
if [[ -x "$PKT_COST" ]]; then
	set +e
	for k in $PKT_RULES; do
		gen_drop_rules "$k" "$TMP/drop-$k"
		gen_nft "$k" "$TMP/nft-$k"
		: >"$TMP/pkt-$k"
		# interleave the tools round by round (A B C D A B C D ...)
		for ((r = 0; r < PKT_ROUNDS; r++)); do
			for tool in "${pkt_tools[@]}"; do
				pkt_one "$tool" "$k" "$TMP/pkt-$k"
			done
		done
		for tool in "${pkt_tools[@]}"; do
			awk -v t="$tool" '$1 == t && $2 != "nan" { print $2 }' "$TMP/pkt-$k" | median |
				sed "s/^/$tool,$k,/" >>"$pcsv"
		done
	done
	set -e
	echo "== per-packet cost with traffic (ns/packet of the receive path, median of $PKT_ROUNDS rounds x 5 runs)"
	echo "   K non-matching rules (shape: $SHAPE, /$PLEN and /$PLEN2 sources) + policy DROP at INPUT;"
	echo "   (x) = ratio to the same tool with 0 rules"
	awk -F, 'NR == 1 { next }
		{ t[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 }
		  if (!($1 in tseen)) { tseen[$1] = 1; tl[m++] = $1 } }
		END {
			printf "%8s |", "rules"; for (j = 0; j < m; j++) printf " %20s", tl[j]; printf "\n"
			for (i = 0; i < n; i++) { printf "%8s |", order[i]
				for (j = 0; j < m; j++) { v = t[tl[j], order[i]]; b = t[tl[j], order[0]]
					if (v != "nan" && b + 0 > 0) printf " %11s (%5.1fx)", v, v / b
					else printf " %20s", v }
				printf "\n" }
		}' "$pcsv"
	echo "   (CSV: ${pcsv#"$ROOT"/})"
	echo
else
	echo "(bench/pkt_cost not built: per-packet comparison skipped)"
fi

# --- plots -------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
	for a in nf nf-linear xdp; do
		for c in last none; do
			awk -F, -v a=$a -v c=$c '$1 == a && $3 == c { print $2, $4 }' "$csv" >"$TMP/$a-$c.dat"
		done
	done
	for tool in "${tools[@]}"; do
		awk -F, -v t="$tool" '$1 == t && $3 != "nan" { print $2, $3 }' "$acsv" >"$TMP/apply-$tool.dat"
	done
	pplots=""
	for tool in "${pkt_tools[@]}"; do
		awk -F, -v t="$tool" '$1 == t && $3 != "nan" { print ($2 == 0 ? 0.5 : $2), $3 }' "$pcsv" >"$TMP/pkt-$tool.dat"
		pplots+="${pplots:+, }'$TMP/pkt-$tool.dat' using 1:2 with linespoints title '$tool'"
	done
	plots=""
	for tool in "${tools[@]}"; do
		plots+="${plots:+, }'$TMP/apply-$tool.dat' using 1:2 with linespoints title '$tool'"
	done
	gnuplot <<-GP
		set terminal pngcairo size 900,560 noenhanced
		set output '$OUT/prog_cost.png'
		set title 'bpfilter program cost per packet (BPF_PROG_TEST_RUN)'
		set xlabel 'rules (distinct /32 sources)'
		set ylabel 'ns per packet'
		set logscale xy
		set grid
		set key top left
		plot '$TMP/nf-last.dat' using 1:2 with linespoints title 'netfilter, matches last rule', \
		     '$TMP/nf-none.dat' using 1:2 with linespoints title 'netfilter, matches no rule', \
		     '$TMP/nf-linear-last.dat' using 1:2 with linespoints title 'netfilter, no folding, matches last rule', \
		     '$TMP/nf-linear-none.dat' using 1:2 with linespoints title 'netfilter, no folding, matches no rule', \
		     '$TMP/xdp-last.dat' using 1:2 with linespoints title 'XDP, matches last rule', \
		     '$TMP/xdp-none.dat' using 1:2 with linespoints title 'XDP, matches no rule'
		set output '$OUT/apply-$SHAPE.png'
		set title 'time to apply K rules (iptables-restore file, fresh namespace)'
		set ylabel 'seconds'
		plot $plots
		set output '$OUT/pkt_cost-$SHAPE.png'
		set title 'receive path cost per packet, K non-matching rules ($SHAPE) + policy DROP (veth, AF_PACKET)'
		set ylabel 'ns per packet (sender CPU time)'
		set xlabel 'rules (0 plotted at 0.5)'
		plot $pplots
	GP
	echo "== plots: ${OUT#"$ROOT"/}/{prog_cost,apply-$SHAPE,pkt_cost-$SHAPE}.png"
else
	echo "(gnuplot not installed: no plots)"
fi
