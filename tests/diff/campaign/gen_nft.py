#!/usr/bin/env python3
# Random nft rulesets for differential campaigns (doc/testing.md, "Random
# campaigns"): inet/ip/ip6 tables, interval and concatenated sets, verdict
# maps with jumps, jump/goto/return, th, meta l4proto, ip protocol, ip6
# nexthdr, ct state, negations, ranges, <, >. Usage: gen_nft.py DIR
# FIRST_SEED COUNT.
import random, sys, os

V4 = ["192.0.2", "198.51.100", "203.0.113"]
IFS = ["eth0", "eth*", "wan0", "lan*", "lan1", "br.1"]


def a4(r, pfx=True):
    b = r.choice(V4)
    x = r.randrange(256)
    if pfx and r.random() < 0.4:
        l = r.choice([24, 25, 28, 30, 31])
        m = (0xffffffff << (32 - l)) & 0xffffffff
        ip = ([int(v) for v in b.split(".")] + [x])
        v = (ip[0] << 24 | ip[1] << 16 | ip[2] << 8 | ip[3]) & m
        return "%d.%d.%d.%d/%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255, l)
    return "%s.%d" % (b, x)


def a6(r, pfx=True):
    g = r.randrange(4)
    x = r.randrange(300)
    if pfx and r.random() < 0.3:
        l = r.choice([64, 112, 120, 127])
        if l == 64:
            return "2001:db8:%x::/64" % g
        if l == 112:
            return "2001:db8:%x::/112" % g
        if l == 120:
            return "2001:db8:%x::%x/120" % (g, x & 0xff00)
        return "2001:db8:%x::%x/127" % (g, x & ~1)
    return "2001:db8:%x::%x" % (g, x)


def rng4(r):
    b = r.choice(V4)
    a = r.randrange(200)
    return "%s.%d-%s.%d" % (b, a, b, a + r.randrange(1, 50))


PORTS = [0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65535, 100, 2000, 5353]


def port(r):
    return r.choice(PORTS) if r.random() < 0.8 else r.randrange(65536)


def portexpr(r):
    k = r.random()
    if k < 0.4:
        return "%d" % port(r)
    if k < 0.55:
        return "!= %d" % port(r)
    if k < 0.7:
        a, b = sorted([port(r), port(r)])
        if a == b:
            b = a + 1 if a < 65535 else a
            if a == b:
                return "%d" % a
        return "%s%d-%d" % ("!= " if r.random() < 0.2 else "", a, b)
    if k < 0.8:
        return "%s %d" % (r.choice(["<", ">", "<=", ">="]), r.randrange(1, 65535))
    s = sorted(set(port(r) for _ in range(r.randrange(2, 5))))
    return "%s{ %s }" % ("!= " if r.random() < 0.2 else "", ", ".join(map(str, s)))


def flagsexpr(r):
    return r.choice(["tcp flags syn", "tcp flags & (syn|ack) == syn", "tcp flags == syn|ack",
                     "tcp flags != syn", "tcp flags & (fin|syn|rst|ack) == syn",
                     "tcp flags & (syn|rst) != 0", 
                     "tcp flags ! syn", "tcp flags & syn == 0"])


def rule(r, fam, hook, self_idx, n_chains, regular):
    st = []
    v4ok = fam in ("ip", "inet")
    v6ok = fam in ("ip6", "inet")
    # address part
    k = r.random()
    use4 = v4ok and (not v6ok or r.random() < 0.5)
    if k < 0.5:
        if use4:
            d = r.choice(["saddr", "daddr"])
            j = r.random()
            if j < 0.4:
                st.append("ip %s %s" % (d, a4(r)))
            elif j < 0.55:
                st.append("ip %s != %s" % (d, a4(r)))
            elif j < 0.7:
                st.append("ip %s %s%s" % (d, "!= " if r.random() < 0.2 else "", rng4(r)))
            elif j < 0.85:
                el = []
                for _ in range(r.randrange(2, 5)):
                    el.append(a4(r, False))
                el = sorted(set(el))
                st.append("ip %s { %s }" % (d, ", ".join(el)))
            else:
                st.append("ip %s @%s" % (d, "s4"))
        else:
            d = r.choice(["saddr", "daddr"])
            j = r.random()
            if j < 0.5:
                st.append("ip6 %s %s" % (d, a6(r)))
            elif j < 0.65:
                st.append("ip6 %s != %s" % (d, a6(r)))
            elif j < 0.85:
                st.append("ip6 %s { %s }" % (d, ", ".join(sorted(set(a6(r, False) for _ in range(r.randrange(2, 4)))))))
            else:
                st.append("ip6 %s @s6" % d)
    if hook != "output" and r.random() < 0.2:
        st.append("iifname %s\"%s\"" % ("!= " if r.random() < 0.25 else "", r.choice(IFS)))
    if hook != "input" and r.random() < 0.2:
        st.append("oifname %s\"%s\"" % ("!= " if r.random() < 0.25 else "", r.choice(IFS)))
    j = r.random()
    if j < 0.35:
        st.append("tcp dport %s" % portexpr(r))
        if r.random() < 0.3:
            st.append("tcp sport %s" % portexpr(r))
        if r.random() < 0.3:
            st.append(flagsexpr(r))
    elif j < 0.55:
        st.append("udp dport %s" % portexpr(r))
    elif j < 0.6:
        st.append("th dport %s" % portexpr(r))
    elif j < 0.67:
        st.append("meta l4proto %s" % r.choice(["tcp", "udp", "{ tcp, udp }", "!= tcp", "esp", "icmp", "ipv6-icmp", "47"]))
    elif j < 0.7 and use4:
        st.append("ip protocol %s" % r.choice(["tcp", "udp", "!= udp", "{ icmp, esp }"]))
    elif j < 0.72 and v6ok and not use4:
        st.append("ip6 nexthdr %s" % r.choice(["tcp", "udp", "{ tcp, ipv6-icmp }", "!= tcp"]))
    elif j < 0.8:
        if use4:
            st.append("icmp type %s" % r.choice(["echo-request", "{ echo-request, echo-reply }", "destination-unreachable",
                                                 "!= echo-request", "time-exceeded"]))
            if r.random() < 0.3 and " " not in st[-1][10:]:
                st.append("icmp code %d" % r.choice([0, 1, 3]))
        else:
            st.append("icmpv6 type %s" % r.choice(["echo-request", "{ nd-neighbor-solicit, echo-request }",
                                                   "destination-unreachable", "!= echo-request"]))
    elif j < 0.9:
        st.append(r.choice(["ip saddr . tcp dport @c4", "meta l4proto . th dport { tcp . 22, udp . 53 }"]) if use4 and fam != "ip6" else "tcp dport @svc")
    if r.random() < 0.2 and not any(k in x for x in st for k in ("tcp", "udp", "icmp", "l4proto", "protocol", "nexthdr", "th ", "@c4", "@svc")):
        st.append(r.choice(["tcp sport != %d tcp dport != %d" % (port(r), port(r)),
                            "udp dport != %d counter udp sport != %d" % (port(r), port(r)),
                            "ip ttl != 64 ip protocol != udp" if use4 else "ip6 nexthdr != udp ip6 hoplimit != 64",
                            "icmp type != echo-request icmp code != 0" if use4 else "icmpv6 type != echo-request icmpv6 code != 0",
                            "tcp dport . tcp sport != { 22 . 1024, 80 . 1025 }",
                            "ct mark != { 1, 2 }", "th dport != { 53, 123 }"]))
    if r.random() < 0.15:
        st.append("ct state %s" % r.choice(["established,related", "new", "invalid", "!= invalid", "{ new, untracked }",
                                            "established"]))
    if r.random() < 0.05:
        st.append("meta length %s" % r.choice(["40-100", "< 60", "!= 84", "1000-65535"]))
    if r.random() < 0.05:
        st.append(("ip ttl %s" if use4 else "ip6 hoplimit %s") % r.choice(["64", "33", "1", "!= 1"]))
    if r.random() < 0.3:
        st.append("counter")
    t = r.randrange(14)
    first = self_idx + 1
    if t < 4:
        st.append("accept")
    elif t < 7:
        st.append("drop")
    elif t == 7 and regular:
        st.append("return")
    elif t >= 8 and t < 11 and first < n_chains:
        st.append("%s c%d" % ("goto" if t == 10 else "jump", r.randrange(first, n_chains)))
    elif t == 11:
        vm = ["%d : %s" % (p, r.choice(["accept", "drop"])) for p in sorted(set(port(r) for _ in range(3)))]
        if first < n_chains and r.random() < 0.5:
            vm[-1] = vm[-1].split(":")[0] + ": jump c%d" % r.randrange(first, n_chains)
        st = [s for s in st if s.startswith(("ip saddr", "ip daddr", "ip6 saddr", "ip6 daddr", "iifname", "oifname", "ct ",
                                             "counter", "meta length")) and " . " not in s]
        st.append("%s dport vmap { %s }" % (r.choice(["tcp", "udp"]), ", ".join(vm)))
    return " ".join(st) if st else "counter"


def ruleset(seed):
    r = random.Random(seed)
    fam = r.choice(["inet", "inet", "ip", "ip6"])
    n_chains = r.randrange(0, 4)
    out = ["# nft campaign seed %d" % seed, "table %s t {" % fam]
    if fam in ("ip", "inet"):
        out.append("\tset s4 { type ipv4_addr; flags interval; elements = { 192.0.2.0/28, 198.51.100.7, "
                   "203.0.113.100-203.0.113.120 } }")
        out.append("\tset c4 { type ipv4_addr . inet_service; elements = { 192.0.2.1 . 22, 198.51.100.7 . 53 } }")
    if fam in ("ip6", "inet"):
        out.append("\tset s6 { type ipv6_addr; flags interval; elements = { 2001:db8:1::/64, 2001:db8:2::5 } }")
    out.append("\tset svc { type inet_service; elements = { 22, 80, 443 } }")
    hooks = ["input", "forward", "output"]
    for h in hooks:
        out.append("\tchain %s {" % h)
        out.append("\t\ttype filter hook %s priority %s; policy %s;" % (h, r.choice(["0", "filter", "-5", "10"]),
                                                                        r.choice(["accept", "drop"])))
        for _ in range(r.randrange(1, 25)):
            out.append("\t\t" + rule(r, fam, h, -1, n_chains, False))
        out.append("\t}")
    for i in range(n_chains):
        out.append("\tchain c%d {" % i)
        for _ in range(r.randrange(1, 10)):
            out.append("\t\t" + rule(r, fam, "any", i, n_chains, True))
        out.append("\t}")
    out.append("}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    d, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(d, exist_ok=True)
    for s in range(start, start + count):
        with open(os.path.join(d, "n%d.nft" % s), "w") as f:
            f.write(ruleset(s))
