#!/usr/bin/env python3
# Random iptables-save filter tables for differential campaigns (doc/testing.md,
# "Random campaigns"): folded runs, bit-vector members, user chains with
# RETURN and goto, non-canonical masks, /0, -p all/0/numbers, tcp-flags forms,
# multiport ranges, icmp any/type/code, iprange, length, ttl/hl, addrtype,
# mark, pkttype, state/ctstate. Usage: gen_ipt.py DIR FIRST_SEED COUNT
# (even seeds IPv4, odd IPv6 with "-ip6" in the name). STATELESS=1 leaves
# out state/mark/pkttype, HOOKS=INPUT[,OUTPUT] the other built-in chains
# (for --hook xdp / tc).
import random, sys, os
STATELESS = os.environ.get("STATELESS") == "1"
HOOKS = os.environ.get("HOOKS", "INPUT,FORWARD,OUTPUT").split(",")

V4 = ["192.0.2", "198.51.100", "203.0.113"]
IFS = ["eth0", "eth+", "wan0", "lan+", "lan1", "+", "br.1", "eth"]


def addr4(r):
    k = r.random()
    b = r.choice(V4)
    if k < 0.05:
        return "0.0.0.0/0"
    if k < 0.10:
        return "%s.%d/0" % (b, r.randrange(256))
    if k < 0.18:  # non-canonical: host bits set
        return "%s.%d/%d" % (b, r.randrange(256), r.choice([8, 16, 20, 23, 24, 26, 29, 31]))
    if k < 0.25:
        return "%s.%d/255.255.%d.%d" % (b, r.randrange(256), r.choice([0, 255, 0xf0]),
                                         r.choice([0, 0xf0, 0x0f, 0xff, 0x80, 0xfe]))
    return "%s.%d/%d" % (b, r.randrange(256), r.choice([24, 25, 28, 30, 31, 32, 32, 32]))


def addr6(r):
    k = r.random()
    if k < 0.05:
        return "::/0"
    if k < 0.15:
        return "2001:db8:%x::%x/%d" % (r.randrange(4), r.randrange(300), r.choice([33, 47, 63, 65, 100, 121]))
    return "2001:db8:%x::%x/%d" % (r.randrange(4), r.randrange(300), r.choice([48, 64, 112, 120, 126, 127, 128, 128]))


def addr(r, v4):
    return addr4(r) if v4 else addr6(r)


PORTS = [0, 1, 22, 53, 67, 68, 80, 443, 1023, 1024, 8080, 65535, 65534, 100, 2000, 5353]


def port(r):
    return r.choice(PORTS) if r.random() < 0.8 else r.randrange(65536)


def ports(r, strict=False):
    a = port(r)
    if r.random() < 0.4:
        b = port(r)
        lo, hi = min(a, b), max(a, b)
        if strict and lo == hi:
            return "%d" % lo
        if not strict and r.random() < 0.15:
            return "%d:" % lo if r.random() < 0.5 else ":%d" % hi
        return "%d:%d" % (lo, hi)
    return "%d" % a


def neg(r, p=0.25):
    return "! " if r.random() < p else ""


FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG"]


def tcpflags(r):
    k = r.random()
    if k < 0.25:
        return " %s--syn" % neg(r, 0.4)
    if k < 0.35:
        return " %s--tcp-flags ALL NONE" % neg(r)
    if k < 0.45:
        return " %s--tcp-flags SYN,ACK SYN" % neg(r)
    if k < 0.50:
        return " %s--tcp-flags ALL ALL" % neg(r)
    if k < 0.55:
        return " %s--tcp-flags ALL FIN,PSH,URG" % neg(r)
    mask = [f for f in FLAGS if r.random() < 0.4] or ["SYN"]
    cmp = [f for f in mask if r.random() < 0.5]
    return " %s--tcp-flags %s %s" % (neg(r), ",".join(mask), ",".join(cmp) or "NONE")


def proto_spec(r, v4):
    k = r.random()
    icmp = "icmp" if v4 else "ipv6-icmp"
    choices = ["tcp", "tcp", "tcp", "udp", "udp", icmp, icmp, "all", "0", "6", "17",
               "esp", "47", "132", "udplite", "ah" if v4 else "icmpv6"]
    return r.choice(choices)


def pnum(p, v4):
    return {"tcp": 6, "6": 6, "udp": 17, "17": 17, "icmp": 1, "ipv6-icmp": 58,
            "icmpv6": 58, "all": 0, "0": 0}.get(p, -1)


def rule(r, v4, hook, self_idx, n_user, user):
    out = []
    for o in ("-s", "-d"):
        if r.random() < 0.4:
            a = addr(r, v4)
            out.append(" %s%s %s" % ("" if a.endswith("/0") else neg(r), o, a))
    if hook != "OUTPUT" and r.random() < 0.25:
        out.append(" %s-i %s" % (neg(r), r.choice(IFS)))
    if hook != "INPUT" and r.random() < 0.25:
        out.append(" %s-o %s" % (neg(r), r.choice(IFS)))
    p = None
    np_ = False
    if r.random() < 0.75:
        p = proto_spec(r, v4)
        np_ = r.random() < 0.12 and pnum(p, v4) != 0
        out.append(" %s-p %s" % ("! " if np_ else "", p))
    n = pnum(p, v4) if p else -2
    if v4 and r.random() < 0.08:
        out.append(" %s-f" % neg(r))
    if not np_ and n in (6, 17):
        if r.random() < 0.7:
            out.append(" -m %s" % ("tcp" if n == 6 else "udp"))
            if r.random() < 0.5:
                out.append(" %s--sport %s" % (neg(r), ports(r)))
            if r.random() < 0.7:
                out.append(" %s--dport %s" % (neg(r), ports(r)))
            if n == 6 and r.random() < 0.4:
                out.append(tcpflags(r))
        if r.random() < 0.25:
            cnt = r.randrange(1, 6)
            out.append(" -m multiport %s%s %s" % (neg(r), r.choice(["--sports", "--dports", "--ports"]),
                                                  ",".join(ports(r, True) for _ in range(cnt))))
    if not np_ and n in (1, 58) and r.random() < 0.7:
        if v4:
            t = r.choice(["any", "0", "3", "3/1", "3/0", "3/15", "8", "8/0", "11/1", "5", "12", "echo-request",
                          "port-unreachable", "255", "13/0"])
            out.append(" -m icmp %s--icmp-type %s" % (neg(r), t))
        else:
            t = r.choice(["1", "1/4", "2", "3/1", "128", "129/0", "133", "135", "136", "echo-request", "255",
                          "4/0"])
            out.append(" -m icmp6 %s--icmpv6-type %s" % (neg(r), t))
    if r.random() < 0.08:
        rng = r.choice(V4) if v4 else None
        a = r.randrange(200)
        b = a + r.randrange(50)
        if v4:
            s = "%s.%d-%s.%d" % (rng, a, rng, b)
        else:
            x = r.randrange(4)
            s = "2001:db8:%x::%x-2001:db8:%x::%x" % (x, a, x, b)
        out.append(" -m iprange %s--%s-range %s" % (neg(r), r.choice(["src", "dst"]), s))
    if r.random() < 0.06:
        lo = r.choice([0, 20, 40, 41, 60, 64, 100, 1500])
        hi = lo + r.choice([0, 1, 20, 100, 65535 - lo])
        out.append(" -m length %s--length %d:%d" % (neg(r), lo, min(hi, 65535)))
    if r.random() < 0.06:
        if v4:
            op = r.choice(["--ttl-eq", "--ttl-lt", "--ttl-gt"])
            out.append(" -m ttl %s%s %d" % ("! " if op == "--ttl-eq" and r.random() < 0.3 else "", op,
                                            r.choice([0, 1, 32, 33, 34, 63, 64, 65, 255])))
        else:
            op = r.choice(["--hl-eq", "--hl-lt", "--hl-gt"])
            out.append(" -m hl %s%s %d" % ("! " if op == "--hl-eq" and r.random() < 0.3 else "", op,
                                           r.choice([0, 1, 32, 33, 34, 63, 64, 65, 255])))
    if hook == "INPUT" and r.random() < 0.05:
        out.append(" -m addrtype %s--dst-type %s" % (neg(r), r.choice(["LOCAL", "UNICAST", "MULTICAST", "BROADCAST"] if v4 else ["UNICAST", "MULTICAST"])))
    if not STATELESS and r.random() < 0.04:
        out.append(" -m mark %s--mark 0x%x/0x%x" % (neg(r), r.choice([0, 1, 0x10]), r.choice([0xff, 1, 0xffffffff])))
    if not STATELESS and r.random() < 0.05:
        out.append(" -m pkttype %s--pkt-type %s" % (neg(r), r.choice(["host", "broadcast", "multicast", "otherhost"])))
    if not STATELESS and r.random() < 0.18:
        st = [s for s in ["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"] if r.random() < 0.4] or ["NEW"]
        if r.random() < 0.4:
            out.append(" -m state %s--state %s" % (neg(r), ",".join(st)))
        else:
            out.append(" -m conntrack %s--ctstate %s" % (neg(r), ",".join(st)))
    if r.random() < 0.05:
        out.append(" -m comment --comment \"c%d\"" % r.randrange(1000))
    t = r.randrange(12)
    first = self_idx + 1
    if t < 4:
        out.append(" -j ACCEPT")
    elif t < 7:
        out.append(" -j DROP")
    elif t == 7 and (user or r.random() < 0.2):
        out.append(" -j RETURN")
    elif t >= 8 and first < n_user:
        out.append(" -%s u%d" % ("g" if t == 11 else "j", r.randrange(first, n_user)))
    return "".join(out)


def fold_block(r, v4, hook, user):
    """A run of rules with the same shape (folded groups)."""
    n = r.randrange(6, 22)
    shape = r.randrange(6)
    tgts = ["ACCEPT", "DROP"] + (["RETURN"] if user else [])
    rows = []
    pool = [addr(r, v4).split("/")[0] for _ in range(n // 2 + 1)]
    pp = [port(r) for _ in range(n // 2 + 1)]
    tcp = r.choice(["tcp", "udp"])
    for i in range(n):
        t = r.choice(tgts) if r.random() < 0.3 else tgts[shape % 2]
        a = r.choice(pool)
        if shape == 0:
            rows.append(" -s %s/%d -j %s" % (a, 32 if v4 else 128, t))
        elif shape == 1:
            rows.append(" -d %s -j %s" % (a, t))
        elif shape == 2:
            rows.append(" -p %s -m %s --dport %d -j %s" % (tcp, tcp, r.choice(pp), t))
        elif shape == 3:
            rows.append(" -s %s -p %s -m %s --dport %d -j %s" % (a, tcp, tcp, r.choice(pp), t))
        elif shape == 4:
            # bit-vector members: different prefixes and ports
            a2 = addr(r, v4)
            rows.append(" %s-s %s -p %s -m %s %s--dport %s -j %s" % ("" if a2.endswith("/0") else neg(r, 0.15), a2, tcp, tcp,
                                                                   neg(r, 0.15), ports(r), t))
        else:
            rows.append(" -d %s %s-p %s -j %s" % (addr(r, v4), neg(r, 0.15), r.choice(["tcp", "udp", "esp"]), t))
        if r.random() < 0.05:
            rows[-1] = rule(r, v4, hook, 99, 0, user)
    return rows


def ruleset(seed, v4):
    r = random.Random(seed)
    n_user = r.randrange(0, 5)
    lines = ["# campaign ruleset seed %d" % seed, "*filter"]
    for c in ["INPUT", "FORWARD", "OUTPUT"]:
        lines.append(":%s %s [0:0]" % (c, r.choice(["ACCEPT", "DROP"]) if c in HOOKS else "ACCEPT"))
    for i in range(n_user):
        lines.append(":u%d - [0:0]" % i)
    big = r.random() < 0.5
    for c in ["INPUT", "FORWARD", "OUTPUT"]:
        n = r.randrange(2, 30 if big else 10)
        if c not in HOOKS:
            continue
        rows = []
        while len(rows) < n:
            if r.random() < 0.15:
                rows += fold_block(r, v4, c, False)
            else:
                rows.append(rule(r, v4, c, -1, n_user, False))
        for x in rows:
            lines.append("-A %s%s" % (c, x))
    for i in range(n_user):
        n = r.randrange(1, 15)
        rows = []
        while len(rows) < n:
            if r.random() < 0.15:
                rows += fold_block(r, v4, "u", True)
            else:
                rows.append(rule(r, v4, "u", i, n_user, True))
        for x in rows:
            lines.append("-A u%d%s" % (i, x))
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    out, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    for s in range(start, start + count):
        v4 = s % 2 == 0
        name = "c%d%s.rules" % (s, "" if v4 else "-ip6")
        with open(os.path.join(out, name), "w") as f:
            f.write(ruleset(s, v4))
