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
# Every (shape, policy, K) is measured in rounds; in each round every tool
# runs once, in a fresh pair of namespaces (A B C ... A B C ...), and the
# median over rounds is reported, with delta = minus the same tool's median
# at K = 0 in the same run.
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
# saddr @aN drop"; general rules stay linear in place.
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
# rounds, and e2e.png; prints tables.
# Environment: BUILD, BPFILTER, BENCH_OUT (default bench/results),
# BENCH_E2E_SHAPES (default "b g"), BENCH_E2E_POLICIES (default "drop
# accept"), BENCH_E2E_RULES (default "0 1000 10000"; must start with 0),
# BENCH_E2E_ROUNDS (default 3), BENCH_E2E_PACKETS (packets per run at
# K <= 100, fewer for larger K; default 50000), BENCH_E2E_RUNS (runs per
# measurement, median; default 5), BENCH_E2E_TOOLS (default: all above
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
PACKETS=${BENCH_E2E_PACKETS:-50000}
RUNS=${BENCH_E2E_RUNS:-5}
CT=${BENCH_E2E_CT:-1}
command -v nft >/dev/null || CT=0
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/e2e.sh: needs root" >&2
	exit 1
fi
for f in "$PKT_COST" "$BPFILTER"; do
	[[ -x "$f" ]] || { echo "bench/e2e.sh: $f not built (make bench-bins)" >&2; exit 1; }
done
[[ ${RULES%% *} == 0 ]] || { echo "bench/e2e.sh: BENCH_E2E_RULES must start with 0" >&2; exit 1; }

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
PS="" PR="" HOOK=""
teardown() {
	if [[ -n "$PR" ]]; then
		case $HOOK in
		tc | xdp)
			timeout 60 ip netns exec "$PR" "$BPFILTER" flush --hook "$HOOK" --iface "ver$$" \
				>/dev/null 2>&1 || true ;;
		esac
		timeout 60 ip netns exec "$PR" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$PR" 2>/dev/null || true
	fi
	[[ -n "$PS" ]] && ip netns del "$PS" 2>/dev/null || true
	PS="" PR="" HOOK=""
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

# one TOOL SHAPE POLICY K RESULTS: append "TOOL ns" (or "TOOL nan")
one() {
	local tool=$1 shape=$2 pol=$3 k=$4 res=$5 mac n rc=0 v=nan fmt hook
	hook=$(hook_of "$tool")
	PS=bfes$$
	PR=bfer$$
	HOOK=$hook
	ip netns add "$PS"
	ip netns add "$PR"
	ip link add ves$$ netns "$PS" type veth peer name ver$$ netns "$PR"
	ip -n "$PS" link set ves$$ up
	ip -n "$PR" link set ver$$ up
	ip -n "$PR" addr add 192.0.2.2/24 dev ver$$
	ip netns exec "$PR" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.ver$$.rp_filter=0"
	mac=$(ip netns exec "$PR" cat /sys/class/net/ver$$/address)
	case $tool in
	nft-lin-*) fmt="lin" ;;
	nft-set-*) fmt="set" ;;
	*) fmt="ipt" ;;
	esac
	gen "$shape" "$k" "$fmt" "$hook" "$pol" "ver$$" >"$TMP/rules"
	if [[ $shape == b && $CT == 1 ]]; then
		# conntrack on for every tool and every K (see the header)
		printf 'table ip bfbench_ct {\n\tchain keep {\n\t\tct state established\n\t}\n}\n' |
			ip netns exec "$PR" nft -f - >"$TMP/out" 2>&1 || rc=$?
	fi
	((rc == 0)) && case $tool in
	bpfilter-nf) timeout 600 ip netns exec "$PR" "$BPFILTER" apply "$TMP/rules" >"$TMP/out" 2>&1 || rc=$? ;;
	bpfilter-nf1)
		timeout 600 ip netns exec "$PR" env BPFILTER_SEG_MIN=10000000 "$BPFILTER" apply "$TMP/rules" \
			>"$TMP/out" 2>&1 || rc=$? ;;
	bpfilter-tc | bpfilter-xdp)
		timeout 600 ip netns exec "$PR" "$BPFILTER" apply --hook "$hook" --iface "ver$$" "$TMP/rules" \
			>"$TMP/out" 2>&1 || rc=$? ;;
	iptables-legacy) timeout 600 ip netns exec "$PR" iptables-legacy-restore "$TMP/rules" >"$TMP/out" 2>&1 || rc=$? ;;
	iptables-nft) timeout 600 ip netns exec "$PR" iptables-nft-restore "$TMP/rules" >"$TMP/out" 2>&1 || rc=$? ;;
	nft-*) timeout 600 ip netns exec "$PR" nft -f "$TMP/rules" >"$TMP/out" 2>&1 || rc=$? ;;
	*) echo "bench/e2e.sh: unknown tool $tool" >&2; rc=2 ;;
	esac
	if ((rc == 0)); then
		# fewer packets for slow, large rulesets: bounded run time
		n=$((PACKETS / (1 + k / 100)))
		((n < 2000)) && n=2000
		v=$(timeout 300 ip netns exec "$PS" "$PKT_COST" ves$$ "$mac" 192.0.2.1 192.0.2.2 \
			-n "$n" -r "$RUNS" 2>"$TMP/out") || { rc=$?; v=nan; }
	fi
	((rc == 0)) || { echo "bench/e2e.sh: $tool, shape $shape, policy $pol, $k rules failed:" >&2; tail -3 "$TMP/out" >&2; }
	echo "$tool $v" >>"$res"
	teardown
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }

csv=$OUT/e2e.csv
echo "shape,policy,tool,hook,rules,ns_per_pkt,delta_ns,rounds" >"$csv"
deadline=$((SECONDS + ${BENCH_E2E_MAX_SECONDS:-3600}))
for shape in $SHAPES; do
	for pol in $POLICIES; do
		declare -A base=()
		for k in $RULES; do
			res=$TMP/res-$shape-$pol-$k
			: >"$res"
			done_rounds=0
			for ((r = 0; r < ROUNDS; r++)); do
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
				[[ $k == 0 ]] && base[$tool]=$m
				d=$(awk -v m="$m" -v b="${base[$tool]:-nan}" 'BEGIN { if (m == "nan" || b == "nan") print "nan"; else printf "%.1f\n", m - b }')
				echo "$shape,$pol,$tool,$(hook_of "$tool"),$k,$m,$d,$done_rounds" >>"$csv"
			done
		done
		unset base
	done
done

echo "== side by side, real traffic (ns/packet of the receive path; median of $ROUNDS interleaved rounds x $RUNS runs)"
echo "   probe matches none of the K rules; (delta) = minus the same tool's K = 0 median"
awk -F, 'NR == 1 { next }
	{ v[$1, $2, $3, $5] = $6; d[$1, $2, $3, $5] = $7
	  if (!(($1, $2) in sp)) { sp[$1, $2] = 1; spl[ns++] = $1 "," $2 }
	  if (!($3 in ts)) { ts[$3] = 1; tl[nt++] = $3 }
	  if (!($5 in rs)) { rs[$5] = 1; rl[nr++] = $5 } }
	END {
		for (s = 0; s < ns; s++) {
			split(spl[s], q, ","); S = q[1]; P = q[2]
			printf "\n   shape %s, policy %s\n%16s |", S, P, "tool"
			for (i = 0; i < nr; i++) printf " %21s", rl[i]
			printf "\n"
			for (t = 0; t < nt; t++) { T = tl[t]
				if (!((S, P, T, rl[0]) in v)) continue
				printf "%16s |", T
				for (i = 0; i < nr; i++) { K = rl[i]; x = v[S, P, T, K]
					if (i == 0 || x == "nan" || x == "") printf " %21s", x == "" ? "-" : x
					else printf " %9s (%+9s)", x, d[S, P, T, K] }
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
