#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Per-packet cost with real traffic of the classification shape b
# (bench/cls_cost.c: enterprise servers + 1 % general rules, scaled to K)
# at INPUT, for bpfilter (netfilter hook), iptables-legacy and iptables-nft
# side by side. Method as bench/run.sh part 3 (FIELD-NOTES "Measuring"): a
# sender and a receiver namespace joined by veth, bench/pkt_cost sends UDP
# frames with AF_PACKET and PACKET_QDISC_BYPASS, the sender thread's CPU time
# per packet is the cost of the receive path. The probe (192.0.2.1:40000 ->
# 192.0.2.2:9) matches none of the K rules: every rule is crossed, then the
# policy (DROP) applies. Tools are interleaved round by round; medians.
#
# Writes bench/results/cls_pkt.csv and prints a table.
# Environment: BUILD (default build), BENCH_CLS_PKT_RULES (default
# "0 1000 10000 100000"), BENCH_PKT_ROUNDS (default 3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
BPFILTER=${BPFILTER:-$ROOT/$BUILD/bpfilter}
PKT_COST=$ROOT/$BUILD/bench/pkt_cost
RULES=${BENCH_CLS_PKT_RULES:-0 1000 10000 100000}
ROUNDS=${BENCH_PKT_ROUNDS:-3}
OUT=$ROOT/bench/results
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/cls_pkt.sh: needs root" >&2
	exit 1
fi
for f in "$PKT_COST" "$BPFILTER"; do
	[[ -x "$f" ]] || { echo "bench/cls_pkt.sh: $f not built" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/bf-clspkt.XXXXXX)
PS="" PR=""
teardown() {
	if [[ -n "$PR" ]]; then
		timeout 60 ip netns exec "$PR" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$PR" 2>/dev/null || true
	fi
	[[ -n "$PS" ]] && ip netns del "$PS" 2>/dev/null || true
	PS="" PR=""
}
trap 'teardown; rm -rf "$TMP"' EXIT INT TERM

# gen K FILE: shape b as an iptables-restore file, policy DROP
gen() {
	awk -v k="$1" 'function ip(a) { return sprintf("%d.%d.%d.%d", int(a / 16777216) % 256,
			int(a / 65536) % 256, int(a / 256) % 256, a % 256) }
	BEGIN {
		print "*filter"; print ":INPUT DROP [0:0]"; print ":FORWARD ACCEPT [0:0]"
		print ":OUTPUT ACCEPT [0:0]"
		clients = int(k / 40); srv = 0; gen = 0
		client0 = 198 * 16777216 + 18 * 65536 + 1; server0 = 198 * 16777216 + 19 * 65536
		split("8 12 16 20 24 28", plen, " ")
		for (i = 0; i < k; i++) {
			if (i < clients) {
				printf "-A INPUT -m conntrack --ctstate NEW -s %s/32 -j ACCEPT\n", ip(client0 + i)
			} else if (i % 1000 >= 990) {
				g = gen++
				if (g % 4 == 0)
					printf "-A INPUT -s %s/%d -p tcp --dport %d:%d -j DROP\n",
						ip(10 * 16777216 + g * 256), plen[g % 6 + 1], 1000 + g % 500, 2000 + g % 500
				else if (g % 4 == 1)
					printf "-A INPUT -d %s/%d -p tcp --tcp-flags SYN,ACK SYN -j DROP\n",
						ip(server0 + g), plen[int(g / 4) % 6 + 1] + 4
				else if (g % 4 == 2)
					printf "-A INPUT -s %s/%d -p udp --sport 1:999 -j DROP\n",
						ip(172 * 16777216 + 16 * 65536 + g), 12 + g % 13
				else
					printf "-A INPUT -p udp ! --sport 1000:65535 --dport 1:1023 -j DROP\n"
			} else {
				printf "-A INPUT -d %s/32 -p udp --dport %d -j ACCEPT\n",
					ip(server0 + int(srv / 40)), 8080 + srv % 40
				srv++
			}
		}
		print "COMMIT" }' >"$2"
}

# one TOOL K RESULTS: append "TOOL ns" (or "TOOL nan")
one() {
	local tool=$1 k=$2 res=$3 mac n rc=0 v=nan
	PS=bfcs$$
	PR=bfcr$$
	ip netns add "$PS"
	ip netns add "$PR"
	ip link add vcs$$ netns "$PS" type veth peer name vcr$$ netns "$PR"
	ip -n "$PS" link set vcs$$ up
	ip -n "$PR" link set vcr$$ up
	ip -n "$PR" addr add 192.0.2.2/24 dev vcr$$
	ip netns exec "$PR" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.vcr$$.rp_filter=0"
	mac=$(ip netns exec "$PR" cat /sys/class/net/vcr$$/address)
	case $tool in
	bpfilter) timeout 600 ip netns exec "$PR" "$BPFILTER" apply "$TMP/b-$k" >"$TMP/out" 2>&1 || rc=$? ;;
	iptables-legacy) timeout 600 ip netns exec "$PR" iptables-legacy-restore "$TMP/b-$k" >"$TMP/out" 2>&1 || rc=$? ;;
	iptables-nft) timeout 600 ip netns exec "$PR" iptables-nft-restore "$TMP/b-$k" >"$TMP/out" 2>&1 || rc=$? ;;
	esac
	if ((rc == 0)); then
		n=$((200000 / (1 + k / 100)))
		((n < 2000)) && n=2000
		v=$(timeout 300 ip netns exec "$PS" "$PKT_COST" vcs$$ "$mac" 192.0.2.1 192.0.2.2 \
			-n "$n" -r 5 2>"$TMP/out") || { rc=$?; v=nan; }
	fi
	((rc == 0)) || { echo "bench/cls_pkt.sh: $tool, $k rules failed:" >&2; tail -3 "$TMP/out" >&2; }
	echo "$tool $v" >>"$res"
	teardown
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }

tools=(bpfilter)
command -v iptables-legacy-restore >/dev/null && tools+=(iptables-legacy)
command -v iptables-nft-restore >/dev/null && tools+=(iptables-nft)
csv=$OUT/cls_pkt.csv
echo "tool,rules,ns_per_pkt" >"$csv"
for k in $RULES; do
	gen "$k" "$TMP/b-$k"
	: >"$TMP/res-$k"
	for ((r = 0; r < ROUNDS; r++)); do
		for tool in "${tools[@]}"; do
			one "$tool" "$k" "$TMP/res-$k"
		done
	done
	for tool in "${tools[@]}"; do
		awk -v t="$tool" '$1 == t && $2 != "nan" { print $2 }' "$TMP/res-$k" | median |
			sed "s/^/$tool,$k,/" >>"$csv"
	done
done
echo "== shape b with traffic (ns/packet of the receive path, median of $ROUNDS rounds x 5 runs)"
echo "   K rules (enterprise servers + 1 % general rules) at INPUT, none matching, policy DROP; (x) = ratio to 0 rules"
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
	}' "$csv"
echo "   (CSV: ${csv#"$ROOT"/})"
