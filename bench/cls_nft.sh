#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bpfilter against nftables (linear rules and sets) with real traffic, at the
# netfilter INPUT hook and at tc ingress / nft netdev ingress, for shapes a
# (K distinct /32 sources, DROP) and b (bench/cls_pkt.sh: enterprise servers
# + 1 % general rules), plus bpfilter's XDP program cost (BPF_PROG_TEST_RUN,
# bench/cls_cost) next to nft's earliest hook (netdev ingress). Method as
# bench/cls_pkt.sh (FIELD-NOTES "Measuring"): sender and receiver namespaces
# joined by veth, bench/pkt_cost sends UDP 192.0.2.1:40000 -> 192.0.2.2:9,
# which matches none of the K rules, policy DROP; the sender thread's CPU
# time per packet is the cost. Tools interleaved round by round; medians.
#
# Tools (nf = INPUT hook, tc = tcx ingress / nft netdev ingress):
#   bpfilter-nf     bpfilter apply FILE
#   nft-lin-nf      one nft rule per iptables rule (table ip, hook input)
#   nft-set-nf      shape a: "ip saddr @s drop"; shape b: order-preserving,
#                   every run of consecutive client rules becomes one
#                   "ct state new ip saddr @cN accept", every run of server
#                   rules one "ip daddr . udp dport @sN accept"; the 1 %
#                   general rules stay linear, in place (same verdicts)
#   bpfilter-tc     bpfilter apply --hook tc --iface IF FILE
#   nft-lin-tc, nft-set-tc   the same rules in a netdev ingress chain
# At tc the client rules have no "ctstate NEW" (bpfilter's checker refuses
# conntrack state at tc/XDP; nft has no conntrack at ingress): "-s CLIENT
# -j ACCEPT" in every tc tool.
#
# Writes bench/results/cls_nft.csv (tool,shape,rules,ns_per_pkt,
# delta_ns) and cls_nft-xdp.csv, cls_nft.png; prints tables.
# Environment: BUILD (default build), BENCH_NFT_RULES (default
# "0 1000 10000"; 0 is the baseline and must come first),
# BENCH_NFT_ROUNDS (default 3), BENCH_NFT_SHAPES (default "a b"),
# BENCH_NFT_MAX_SECONDS (default 3600: no new round starts after it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
BPFILTER=${BPFILTER:-$ROOT/$BUILD/bpfilter}
PKT_COST=$ROOT/$BUILD/bench/pkt_cost
CLS_COST=$ROOT/$BUILD/bench/cls_cost
RULES=${BENCH_NFT_RULES:-0 1000 10000}
ROUNDS=${BENCH_NFT_ROUNDS:-3}
SHAPES=${BENCH_NFT_SHAPES:-a b}
OUT=$ROOT/bench/results
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/cls_nft.sh: needs root" >&2
	exit 1
fi
for f in "$PKT_COST" "$BPFILTER" "$CLS_COST"; do
	[[ -x "$f" ]] || { echo "bench/cls_nft.sh: $f not built" >&2; exit 1; }
done
command -v nft >/dev/null || { echo "bench/cls_nft.sh: nft not installed" >&2; exit 1; }
[[ ${RULES%% *} == 0 ]] || { echo "bench/cls_nft.sh: BENCH_NFT_RULES must start with 0" >&2; exit 1; }

TMP=$(mktemp -d /tmp/bf-clsnft.XXXXXX)
PS="" PR="" HOOK=""
teardown() {
	if [[ -n "$PR" ]]; then
		if [[ $HOOK == tc ]]; then
			timeout 60 ip netns exec "$PR" "$BPFILTER" flush --hook tc --iface "vnr$$" >/dev/null 2>&1 || true
		fi
		timeout 60 ip netns exec "$PR" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$PR" 2>/dev/null || true
	fi
	[[ -n "$PS" ]] && ip netns del "$PS" 2>/dev/null || true
	PS="" PR="" HOOK=""
}
trap 'teardown; rm -rf "$TMP"' EXIT INT TERM

# gen SHAPE K FMT HOOK IF > FILE; FMT ipt | lin | set; HOOK nf | tc
gen() {
	awk -v shape="$1" -v k="$2" -v fmt="$3" -v hook="$4" -v ifn="$5" '
	function ip(a) { return sprintf("%d.%d.%d.%d", int(a / 16777216) % 256,
			int(a / 65536) % 256, int(a / 256) % 256, a % 256) }
	function net(a, l) { return ip(a - a % 2 ^ (32 - l)) "/" l }
	# sets are printed as they fill (the table block may be reopened), rule
	# lines kept in an array: no quadratic string building at 100,000 rules
	function flush() {
		if (run == "") return
		printf "\t\t} }\n}\n"
		if (run == "c")
			body[nb++] = "\t\t" ct "ip saddr @c" nsets " accept"
		else if (run == "s")
			body[nb++] = "\t\tip daddr . udp dport @s" nsets " accept"
		else
			body[nb++] = "\t\tip saddr @a" nsets " drop"
		run = ""
	}
	# one rule: kind c/s/a (settable) or g (general), ipt and nft text
	function rule(kind, elem, itext, ntext) {
		if (fmt == "ipt") { print "-A INPUT " itext; return }
		if (fmt == "lin" || kind == "g") {
			flush(); body[nb++] = "\t\t" ntext; return
		}
		if (run != kind) {
			flush(); nsets++
			printf "%s bfbench {\n\tset %s%d { type %s;\n\t\telements = { %s", table, kind, nsets,
				kind == "s" ? "ipv4_addr . inet_service" : "ipv4_addr", elem
		} else
			printf ",\n\t\t\t%s", elem
		run = kind
	}
	BEGIN {
		ct = hook == "nf" ? "ct state new " : ""
		table = hook == "nf" ? "table ip" : "table netdev"
		ict = hook == "nf" ? "-m conntrack --ctstate NEW " : ""
		if (fmt == "ipt") {
			print "*filter"; print ":INPUT DROP [0:0]"; print ":FORWARD ACCEPT [0:0]"
			print ":OUTPUT ACCEPT [0:0]"
		}
		src0 = 198 * 16777216 + 18 * 65536
		clients = int(k / 40); srv = 0; gen = 0
		client0 = src0 + 1; server0 = 198 * 16777216 + 19 * 65536
		split("8 12 16 20 24 28", plen, " ")
		for (i = 0; i < k; i++) {
			if (shape == "a") {
				a = ip(src0 + 1 + i)
				rule("a", a, "-s " a "/32 -j DROP", "ip saddr " a " drop")
			} else if (i < clients) {
				a = ip(client0 + i)
				rule("c", a, ict "-s " a "/32 -j ACCEPT", ct "ip saddr " a " accept")
			} else if (i % 1000 >= 990) {
				g = gen++
				if (g % 4 == 0) {
					a = 10 * 16777216 + g * 256; l = plen[g % 6 + 1]; p1 = 1000 + g % 500; p2 = 2000 + g % 500
					rule("g", "", sprintf("-s %s/%d -p tcp --dport %d:%d -j DROP", ip(a), l, p1, p2),
						sprintf("ip saddr %s tcp dport %d-%d drop", net(a, l), p1, p2))
				} else if (g % 4 == 1) {
					a = server0 + g; l = plen[int(g / 4) % 6 + 1] + 4
					rule("g", "", sprintf("-d %s/%d -p tcp --tcp-flags SYN,ACK SYN -j DROP", ip(a), l),
						sprintf("ip daddr %s tcp flags & (syn | ack) == syn drop", net(a, l)))
				} else if (g % 4 == 2) {
					a = 172 * 16777216 + 16 * 65536 + g; l = 12 + g % 13
					rule("g", "", sprintf("-s %s/%d -p udp --sport 1:999 -j DROP", ip(a), l),
						sprintf("ip saddr %s udp sport 1-999 drop", net(a, l)))
				} else
					rule("g", "", "-p udp ! --sport 1000:65535 --dport 1:1023 -j DROP",
						"udp sport != 1000-65535 udp dport 1-1023 drop")
			} else {
				a = ip(server0 + int(srv / 40)); p = 8080 + srv % 40; srv++
				rule("s", a " . " p, sprintf("-d %s/32 -p udp --dport %d -j ACCEPT", a, p),
					sprintf("ip daddr %s udp dport %d accept", a, p))
			}
		}
		if (fmt == "ipt") { print "COMMIT"; exit }
		flush()
		if (hook == "nf")
			printf "table ip bfbench {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n"
		else
			printf "table netdev bfbench {\n\tchain ingress {\n\t\ttype filter hook ingress device \"%s\" priority 0; policy drop;\n", ifn
		for (i = 0; i < nb; i++)
			print body[i]
		printf "\t}\n}\n"
	}'
}

# one TOOL SHAPE K RESULTS: append "TOOL ns" (or "TOOL nan")
one() {
	local tool=$1 shape=$2 k=$3 res=$4 mac n rc=0 v=nan hook=${1##*-} fmt
	PS=bfns$$
	PR=bfnr$$
	HOOK=$hook
	ip netns add "$PS"
	ip netns add "$PR"
	ip link add vns$$ netns "$PS" type veth peer name vnr$$ netns "$PR"
	ip -n "$PS" link set vns$$ up
	ip -n "$PR" link set vnr$$ up
	ip -n "$PR" addr add 192.0.2.2/24 dev vnr$$
	ip netns exec "$PR" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.vnr$$.rp_filter=0"
	mac=$(ip netns exec "$PR" cat /sys/class/net/vnr$$/address)
	case $tool in
	bpfilter-*) fmt="ipt" ;;
	nft-lin-*) fmt="lin" ;;
	nft-set-*) fmt="set" ;;
	esac
	gen "$shape" "$k" "$fmt" "$hook" "vnr$$" >"$TMP/rules"
	case $tool in
	bpfilter-nf) timeout 600 ip netns exec "$PR" "$BPFILTER" apply "$TMP/rules" >"$TMP/out" 2>&1 || rc=$? ;;
	bpfilter-tc) timeout 600 ip netns exec "$PR" "$BPFILTER" apply --hook tc --iface "vnr$$" "$TMP/rules" \
		>"$TMP/out" 2>&1 || rc=$? ;;
	nft-*) timeout 600 ip netns exec "$PR" nft -f "$TMP/rules" >"$TMP/out" 2>&1 || rc=$? ;;
	esac
	if ((rc == 0)); then
		n=$((200000 / (1 + k / 100)))
		((n < 2000)) && n=2000
		v=$(timeout 300 ip netns exec "$PS" "$PKT_COST" vns$$ "$mac" 192.0.2.1 192.0.2.2 \
			-n "$n" -r 5 2>"$TMP/out") || { rc=$?; v=nan; }
	fi
	((rc == 0)) || { echo "bench/cls_nft.sh: $tool, shape $shape, $k rules failed:" >&2; tail -3 "$TMP/out" >&2; }
	echo "$tool $v" >>"$res"
	teardown
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }

tools=(bpfilter-nf nft-lin-nf nft-set-nf bpfilter-tc nft-lin-tc nft-set-tc)
csv=$OUT/cls_nft.csv
echo "tool,shape,rules,ns_per_pkt,delta_ns" >"$csv"
deadline=$((SECONDS + ${BENCH_NFT_MAX_SECONDS:-3600}))
for shape in $SHAPES; do
	declare -A base=()
	for k in $RULES; do
		: >"$TMP/res-$shape-$k"
		for ((r = 0; r < ROUNDS; r++)); do
			((SECONDS < deadline)) || { echo "bench/cls_nft.sh: time budget spent, stopping rounds" >&2; break; }
			for tool in "${tools[@]}"; do
				one "$tool" "$shape" "$k" "$TMP/res-$shape-$k"
			done
		done
		for tool in "${tools[@]}"; do
			m=$(awk -v t="$tool" '$1 == t && $2 != "nan" { print $2 }' "$TMP/res-$shape-$k" | median)
			[[ $k == 0 ]] && base[$tool]=$m
			d=$(awk -v m="$m" -v b="${base[$tool]:-nan}" 'BEGIN { if (m == "nan" || b == "nan") print "nan"; else printf "%.1f\n", m - b }')
			echo "$tool,$shape,$k,$m,$d" >>"$csv"
		done
	done
	unset base
done

# XDP: program cost of bpfilter (BPF_PROG_TEST_RUN, probe matching no rule)
xcsv=$OUT/cls_nft-xdp.csv
echo "shape,attach,mode,rules,case,ns_per_pkt,insns,compile_ms,load_ms,memlock_kb,folded" >"$xcsv"
xk=""
for k in $RULES; do ((k > 0)) && xk+=" $k"; done
for shape in $SHAPES; do
	for attach in xdp tc; do
		# shellcheck disable=SC2086
		timeout 900 "$CLS_COST" -s "$shape" -a "$attach" -r 100000 -n 5 1 $xk >>"$xcsv" ||
			echo "bench/cls_nft.sh: cls_cost -s $shape -a $attach failed" >&2
	done
done

echo "== bpfilter vs nftables, real traffic (ns/packet of the receive path, median of $ROUNDS rounds x 5 runs)"
echo "   probe matches none of the K rules, policy DROP; delta = minus the same tool's 0-rule baseline"
echo "   ratio = nft delta / bpfilter delta at the same hook (how many times more nft adds)"
awk -F, 'NR == 1 { next }
	{ v[$1, $2, $3] = $4; d[$1, $2, $3] = $5
	  if (!($2 in ss)) { ss[$2] = 1; sh[ns++] = $2 }
	  if (!($3 in rs)) { rs[$3] = 1; rl[nr++] = $3 } }
	function r(a, b) { return (a != "nan" && b != "nan" && a + 0 > 0 && b + 0 > 0) ? sprintf("%.1fx", a / b) : "-" }
	END {
		for (s = 0; s < ns; s++) for (h = 0; h < 2; h++) {
			hk = h ? "tc" : "nf"; S = sh[s]
			printf "\n   shape %s, %s\n%8s | %20s %20s %20s | %8s %8s\n", S,
				h ? "tc ingress (bpfilter tcx, nft netdev ingress)" : "INPUT (bpfilter nf link, nft hook input)",
				"rules", "bpfilter", "nft linear", "nft set", "lin/bpf", "set/bpf"
			for (i = 0; i < nr; i++) { K = rl[i]
				b = "bpfilter-" hk; l = "nft-lin-" hk; t = "nft-set-" hk
				printf "%8s | %9s (%+8s) %9s (%+8s) %9s (%+8s) | %8s %8s\n", K,
					v[b, S, K], d[b, S, K], v[l, S, K], d[l, S, K], v[t, S, K], d[t, S, K],
					K ? r(d[l, S, K], d[b, S, K]) : "", K ? r(d[t, S, K], d[b, S, K]) : "" }
		}
	}' "$csv"
echo
echo "== XDP / tc program cost of bpfilter (BPF_PROG_TEST_RUN, probe matching no rule, ns/packet)"
echo "   next to nft's added cost at netdev ingress with sets (real traffic, nft has no XDP hook)"
awk -F, -v c="$csv" 'BEGIN { while ((getline l < c) > 0) { split(l, f, ","); nd[f[2], f[3]] = f[5] } }
	NR == 1 || $3 != "fold" || $5 != "none" { next }
	{ p[$1, $2, $4] = $6; if (!(($1, $4) in seen)) { seen[$1, $4] = 1; row[n++] = $1 "," $4 } }
	END {
		printf "%6s %8s | %9s %9s | %14s | %9s %9s\n", "shape", "rules", "xdp ns", "tc ns",
			"nft-set-tc +ns", "set/xdp", "set/tc"
		for (i = 0; i < n; i++) { split(row[i], q, ","); S = q[1]; K = q[2]
			x = p[S, "xdp", K]; t = p[S, "tc", K]; s = nd[S, K]
			printf "%6s %8s | %9s %9s | %14s | %9s %9s\n", S, K, x, t, (s == "" ? "-" : s),
				(s != "" && s != "nan" && s + 0 > 0 && x + 0 > 0) ? sprintf("%.1fx", s / x) : "-",
				(s != "" && s != "nan" && s + 0 > 0 && t + 0 > 0) ? sprintf("%.1fx", s / t) : "-" }
	}' "$xcsv"
echo "   (CSV: ${csv#"$ROOT"/}, ${xcsv#"$ROOT"/})"

if command -v gnuplot >/dev/null; then
	plots=""
	for shape in $SHAPES; do
		for tool in "${tools[@]}"; do
			awk -F, -v t="$tool" -v s="$shape" '$1 == t && $2 == s && $3 > 0 && $5 != "nan" {
				print $3, ($5 > 1 ? $5 : 1) }' "$csv" >"$TMP/$shape-$tool.dat"
			[[ -s "$TMP/$shape-$tool.dat" ]] &&
				plots+="${plots:+, }'$TMP/$shape-$tool.dat' using 1:2 with linespoints title '$shape $tool'"
		done
	done
	if [[ -n "$plots" ]]; then
		gnuplot <<-GP
			set terminal pngcairo size 900,560 noenhanced
			set output '$OUT/cls_nft.png'
			set title 'added ns/packet over the empty ruleset, real traffic over veth (floored at 1)'
			set xlabel 'rules'
			set ylabel 'ns per packet'
			set logscale xy
			set grid
			set key top left
			plot $plots
		GP
		echo "== plot: ${OUT#"$ROOT"/}/cls_nft.png"
	fi
fi
