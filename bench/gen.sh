# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Ruleset generator of the benchmarks (sourced by bench/e2e.sh and
# bench/apply.sh): shapes a, b and g of bench/e2e.sh as an
# iptables-restore file (ipt), linear nft rules (lin) or nft with sets
# (set), for the netfilter INPUT hook (nf) or tc / netdev ingress (tc, xdp:
# the nft form is a netdev ingress chain on device IF).

# gen SHAPE K FMT HOOK POLICY IF > FILE; FMT ipt | lin | set; HOOK nf | tc | xdp
gen() {
	awk -v shape="$1" -v k="$2" -v fmt="$3" -v hook="$4" -v pol="$5" -v ifn="$6" '
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
	# the g-th general rule; target t (DROP or ACCEPT)
	function general(g, t, vary,   a, l, p1, p2) {
		if (g % 4 == 0) {
			a = 10 * 16777216 + g * 256; l = plen[g % 6 + 1]; p1 = 1000 + g % 500; p2 = 2000 + g % 500
			rule("g", "", sprintf("-s %s/%d -p tcp --dport %d:%d -j %s", ip(a), l, p1, p2, t),
				sprintf("ip saddr %s tcp dport %d-%d %s", net(a, l), p1, p2, tolower(t)))
		} else if (g % 4 == 1) {
			a = server0 + g; l = plen[int(g / 4) % 6 + 1] + 4
			rule("g", "", sprintf("-d %s/%d -p tcp --tcp-flags SYN,ACK SYN -j %s", ip(a), l, t),
				sprintf("ip daddr %s tcp flags & (syn | ack) == syn %s", net(a, l), tolower(t)))
		} else if (g % 4 == 2) {
			a = 172 * 16777216 + 16 * 65536 + g; l = 12 + g % 13
			rule("g", "", sprintf("-s %s/%d -p udp --sport 1:999 -j %s", ip(a), l, t),
				sprintf("ip saddr %s udp sport 1-999 %s", net(a, l), tolower(t)))
		} else {
			# the probe (sport 40000) is inside the negated range: no match
			p1 = vary ? 1000 + g % 1000 : 1000; p2 = vary ? 1023 - g % 500 : 1023
			rule("g", "", sprintf("-p udp ! --sport %d:65535 --dport 1:%d -j %s", p1, p2, t),
				sprintf("udp sport != %d-65535 udp dport 1-%d %s", p1, p2, tolower(t)))
		}
	}
	BEGIN {
		ct = hook == "nf" ? "ct state new " : ""
		table = hook == "nf" ? "table ip" : "table netdev"
		ict = hook == "nf" ? "-m conntrack --ctstate NEW " : ""
		P = pol == "accept" ? "ACCEPT" : "DROP"
		if (fmt == "ipt") {
			print "*filter"; print ":INPUT " P " [0:0]"; print ":FORWARD ACCEPT [0:0]"
			print ":OUTPUT ACCEPT [0:0]"
		}
		src0 = 198 * 16777216 + 18 * 65536
		clients = shape == "b" ? int(k / 40) : 0; srv = 0; ng = 0
		client0 = src0 + 1; server0 = 198 * 16777216 + 19 * 65536
		split("8 12 16 20 24 28", plen, " ")
		for (i = 0; i < k; i++) {
			if (shape == "a") {
				a = ip(src0 + 1 + i)
				rule("a", a, "-s " a "/32 -j DROP", "ip saddr " a " drop")
			} else if (shape == "g") {
				general(i, int(i / 4) % 2 ? "ACCEPT" : "DROP", 1)
			} else if (i < clients) {
				a = ip(client0 + i)
				rule("c", a, ict "-s " a "/32 -j ACCEPT", ct "ip saddr " a " accept")
			} else if (i % 1000 >= 990) {
				general(ng++, "DROP", 0)
			} else {
				a = ip(server0 + int(srv / 40)); p = 8080 + srv % 40; srv++
				rule("s", a " . " p, sprintf("-d %s/32 -p udp --dport %d -j ACCEPT", a, p),
					sprintf("ip daddr %s udp dport %d accept", a, p))
			}
		}
		if (fmt == "ipt") { print "COMMIT"; exit }
		flush()
		if (hook == "nf")
			printf "table ip bfbench {\n\tchain input {\n\t\ttype filter hook input priority 0; policy %s;\n", tolower(P)
		else {
			# an IPv4 ruleset at tc / XDP passes what is not IPv4
			# (bpfilter does; ip-family tables see only IPv4)
			printf "table netdev bfbench {\n\tchain ingress {\n\t\ttype filter hook ingress device \"%s\" priority 0; policy %s;\n", ifn, tolower(P)
			printf "\t\tmeta protocol != ip accept\n"
		}
		for (i = 0; i < nb; i++)
			print body[i]
		printf "\t}\n}\n"
	}'
}
