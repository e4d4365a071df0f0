// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every match type, with and without negation, at its boundaries, run with
 * BPF_PROG_TEST_RUN at every attach kind: the rule under test DROPs, the
 * policy ACCEPTs, so each packet has one of three outcomes, told apart by
 * the verdict and the two counters:
 *   M  the rule matched: DROP, rule counter +1, policy counter 0
 *   N  no match: ACCEPT, rule 0, policy +1
 *   H  hotdrop: DROP, both counters 0
 */
#include "prog_util.h"

enum {
	M = 1,
	N,
	H,
	R /* refused: does not compile for this hook */
};

enum kind_idx {
	NF_IN,
	NF_OUT,
	TC_IN,
	TC_OUT,
	XDP_IN,
	N_KINDS
};

static const struct {
	enum bf_attach_kind attach;
	enum bf_hook hook;
	const char *name;
} kinds[N_KINDS] = {
	[NF_IN] = { BF_ATTACH_NF, BF_HOOK_INPUT, "nf-input" },
	[NF_OUT] = { BF_ATTACH_NF, BF_HOOK_OUTPUT, "nf-output" },
	[TC_IN] = { BF_ATTACH_TC, BF_HOOK_INPUT, "tc-ingress" },
	[TC_OUT] = { BF_ATTACH_TC, BF_HOOK_OUTPUT, "tc-egress" },
	[XDP_IN] = { BF_ATTACH_XDP, BF_HOOK_INPUT, "xdp" },
};

#define IFNAME "veth0"

struct mcase {
	const char *name;
	int fam;
	struct bf_match m[4];
	int n;
	struct pu_spec pkt;
	int exp[N_KINDS]; /* per kind; exp[1..] = 0 means "as exp[0]" */
};

#define P(...) ((struct pu_spec){ __VA_ARGS__ })
#define V6 .fam = BF_FAMILY_INET6
#define TCPM(min) pu_proto(6, false), pu_l4hdr(6, 20, true)
#define UDPM pu_proto(17, false), pu_l4hdr(17, 8, false)

static struct bf_match mp(enum bf_multiport_dir dir, bool neg, int n,
			  const uint16_t *ports, const bool *range)
{
	struct bf_match m = pu_m(BF_MATCH_MULTIPORT, neg);

	m.u.multiport.dir = dir;
	m.u.multiport.count = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		m.u.multiport.ports[i] = ports[i];
		m.u.multiport.is_range[i] = range ? range[i] : false;
	}
	return m;
}

static struct bf_match icmpm(uint8_t type, uint8_t lo, uint8_t hi, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_ICMP, neg);

	m.u.icmp.type = type;
	m.u.icmp.code_lo = lo;
	m.u.icmp.code_hi = hi;
	return m;
}

static struct bf_match flagsm(uint8_t mask, uint8_t cmp, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_TCPFLAGS, neg);

	m.u.tcpflags.mask = mask;
	m.u.tcpflags.cmp = cmp;
	return m;
}

static struct bf_match ctm(uint32_t mask, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_CTSTATE, neg);

	m.u.ctstate.mask = mask;
	return m;
}

static struct bf_match commentm(void)
{
	struct bf_match m = pu_m(BF_MATCH_COMMENT, false);

	snprintf(m.u.comment, sizeof(m.u.comment), "hello");
	return m;
}

static struct bf_match lenm(uint16_t min, uint16_t max, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_LENGTH, neg);

	m.u.length.min = min;
	m.u.length.max = max;
	return m;
}

static struct bf_match ttlm(enum bf_ttl_op op, uint8_t v, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_TTL, neg);

	m.u.ttl.op = op;
	m.u.ttl.value = v;
	return m;
}

static struct bf_match markm(uint32_t value, uint32_t mask, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_MARK, neg);

	m.u.mark.value = value;
	m.u.mark.mask = mask;
	return m;
}

static struct bf_match pkttypem(uint8_t type, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_PKTTYPE, neg);

	m.u.pkttype.pkttype = type;
	return m;
}

static struct bf_match macm(uint8_t last, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_MAC, neg);

	m.u.mac.addr[0] = 0x02; /* pu_run's source address: 02:00:..:00 */
	m.u.mac.addr[5] = last;
	return m;
}

static const uint16_t ports3[] = { 22, 80, 443 };
static const uint16_t portsr[] = { 1000, 2000, 53 };
static const bool rangef[] = { true, false, false };

static struct mcase *cases;
static size_t n_cases;

static void add(struct mcase c)
{
	cases = realloc(cases, (n_cases + 1) * sizeof(*cases));
	assert_non_null(cases);
	cases[n_cases++] = c;
}

#define C(nm, fam_, pkt_, e, ...)                                              \
	add((struct mcase){                                                    \
		.name = nm,                                                    \
		.fam = fam_,                                                   \
		.m = { __VA_ARGS__ },                                          \
		.n = (int)(sizeof((struct bf_match[]){ __VA_ARGS__ }) /        \
			   sizeof(struct bf_match)),                           \
		.pkt = pkt_,                                                   \
		.exp = { e } })
#define CK(nm, fam_, pkt_, e0, e1, e2, e3, e4, ...)                            \
	add((struct mcase){                                                    \
		.name = nm,                                                    \
		.fam = fam_,                                                   \
		.m = { __VA_ARGS__ },                                          \
		.n = (int)(sizeof((struct bf_match[]){ __VA_ARGS__ }) /        \
			   sizeof(struct bf_match)),                           \
		.pkt = pkt_,                                                   \
		.exp = { e0, e1, e2, e3, e4 } })

static void build_cases(void)
{
	const int v4 = BF_FAMILY_INET4, v6 = BF_FAMILY_INET6;

	/* protocol */
	C("v4 -p tcp / tcp", v4, P(.proto = 6), M, pu_proto(6, false));
	C("v4 -p tcp / udp", v4, P(.proto = 17), N, pu_proto(6, false));
	C("v4 ! -p tcp / udp", v4, P(.proto = 17), M, pu_proto(6, true));
	C("v4 ! -p tcp / tcp", v4, P(.proto = 6), N, pu_proto(6, true));
	C("v4 -p all / udp", v4, P(.proto = 17), M, pu_proto(0, false));
	C("v4 ! -p all / udp", v4, P(.proto = 17), M, pu_proto(0, true));
	C("v6 -p udp / udp", v6, P(V6, .proto = 17), M, pu_proto(17, false));
	C("v6 -p udp / tcp", v6, P(V6, .proto = 6), N, pu_proto(17, false));
	C("v6 ! -p udp / tcp", v6, P(V6, .proto = 6), M, pu_proto(17, true));
	C("v6 -p all / tcp", v6, P(V6), M, pu_proto(0, false));

	/* addresses and prefix edges */
	C("v4 -s /24 first", v4, P(.src = "192.0.2.0"), M,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 24, false));
	C("v4 -s /24 last", v4, P(.src = "192.0.2.255"), M,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 24, false));
	C("v4 -s /24 below", v4, P(.src = "192.0.1.255"), N,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 24, false));
	C("v4 -s /24 above", v4, P(.src = "192.0.3.0"), N,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 24, false));
	C("v4 ! -s /24 above", v4, P(.src = "192.0.3.0"), M,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 24, true));
	C("v4 ! -s /24 inside", v4, P(.src = "192.0.2.7"), N,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 24, true));
	C("v4 -d /32", v4, P(.dst = "198.51.100.7"), M,
	  pu_addr(BF_MATCH_DADDR, "198.51.100.7", 32, false));
	C("v4 -d /32 next", v4, P(.dst = "198.51.100.8"), N,
	  pu_addr(BF_MATCH_DADDR, "198.51.100.7", 32, false));
	C("v4 -d /0", v4, P(.dst = "203.0.113.9"), M,
	  pu_addr(BF_MATCH_DADDR, "0.0.0.0", 0, false));
	C("v4 ! -d /0", v4, P(.dst = "203.0.113.9"), N,
	  pu_addr(BF_MATCH_DADDR, "0.0.0.0", 0, true));
	C("v4 -s /25 edge", v4, P(.src = "192.0.2.128"), N,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 25, false));
	C("v4 -s /25 in", v4, P(.src = "192.0.2.127"), M,
	  pu_addr(BF_MATCH_SADDR, "192.0.2.0", 25, false));
	C("v6 -s /64 in", v6, P(V6, .src = "2001:db8:0:1:ffff:ffff:ffff:ffff"),
	  M, pu_addr(BF_MATCH_SADDR, "2001:db8:0:1::", 64, false));
	C("v6 -s /64 out", v6, P(V6, .src = "2001:db8:0:2::"), N,
	  pu_addr(BF_MATCH_SADDR, "2001:db8:0:1::", 64, false));
	C("v6 ! -s /64 out", v6, P(V6, .src = "2001:db8:0:2::"), M,
	  pu_addr(BF_MATCH_SADDR, "2001:db8:0:1::", 64, true));
	C("v6 -d /128", v6, P(V6, .dst = "2001:db8::99"), M,
	  pu_addr(BF_MATCH_DADDR, "2001:db8::99", 128, false));
	C("v6 -d /128 last word", v6, P(V6, .dst = "2001:db8::98"), N,
	  pu_addr(BF_MATCH_DADDR, "2001:db8::99", 128, false));
	C("v6 -d /127", v6, P(V6, .dst = "2001:db8::98"), M,
	  pu_addr(BF_MATCH_DADDR, "2001:db8::99", 127, false));
	C("v6 -d /33 edge", v6, P(V6, .dst = "2001:db8:8000::"), N,
	  pu_addr(BF_MATCH_DADDR, "2001:db8::", 33, false));

	/* ports: lo-1, lo, hi, hi+1 */
	C("tcp dport 21", v4, P(.dport = 21), N, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 25, false));
	C("tcp dport 22", v4, P(.dport = 22), M, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 25, false));
	C("tcp dport 25", v4, P(.dport = 25), M, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 25, false));
	C("tcp dport 26", v4, P(.dport = 26), N, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 25, false));
	C("tcp ! dport 26", v4, P(.dport = 26), M, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 25, true));
	C("tcp ! dport 22", v4, P(.dport = 22), N, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 25, true));
	C("tcp sport 0:1023 / 1023", v4, P(.sport = 1023), M, TCPM(),
	  pu_ports(BF_MATCH_SPORT, 0, 1023, false));
	C("tcp sport 0:1023 / 1024", v4, P(.sport = 1024), N, TCPM(),
	  pu_ports(BF_MATCH_SPORT, 0, 1023, false));
	C("tcp sport 1024: / 65535", v4, P(.sport = 65535), M, TCPM(),
	  pu_ports(BF_MATCH_SPORT, 1024, 65535, false));
	C("tcp sport 0:65535 neg", v4, P(.sport = 5), N, TCPM(),
	  pu_ports(BF_MATCH_SPORT, 0, 65535, true));
	C("udp dport 53", v4, P(.proto = 17, .dport = 53), M, UDPM,
	  pu_ports(BF_MATCH_DPORT, 53, 53, false));
	C("udp dport 53 / 54", v4, P(.proto = 17, .dport = 54), N, UDPM,
	  pu_ports(BF_MATCH_DPORT, 53, 53, false));
	C("udp ! sport 53 / 53", v4, P(.proto = 17, .sport = 53), N, UDPM,
	  pu_ports(BF_MATCH_SPORT, 53, 53, true));
	C("udp sport v6", v6, P(V6, .proto = 17, .sport = 500), M, UDPM,
	  pu_ports(BF_MATCH_SPORT, 500, 501, false));
	C("tcp dport v6 / udp packet", v6, P(V6, .proto = 17, .dport = 22), N,
	  TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));

	/* tcp flags */
	C("tcp SYN,ACK/SYN syn", v4, P(.flags = 0x02), M, TCPM(),
	  flagsm(0x12, 0x02, false));
	C("tcp SYN,ACK/SYN synack", v4, P(.flags = 0x12), N, TCPM(),
	  flagsm(0x12, 0x02, false));
	C("tcp ! SYN,ACK/SYN synack", v4, P(.flags = 0x12), M, TCPM(),
	  flagsm(0x12, 0x02, true));
	C("tcp SYN/SYN,ACK never", v4, P(.flags = 0x12), N, TCPM(),
	  flagsm(0x02, 0x12, false));
	C("tcp ! SYN/SYN,ACK always", v4, P(.flags = 0x12), M, TCPM(),
	  flagsm(0x02, 0x12, true));
	C("tcp FIN/NONE ack", v4, P(.flags = 0x10), M, TCPM(),
	  flagsm(0x01, 0x00, false));

	/* transport header presence: fragments and truncation */
	C("tcp dport / non-first frag", v4, P(.frag = 0x0002, .dport = 22), N,
	  TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("tcp dport / frag offset 1", v4, P(.frag = 0x0001, .dport = 22), H,
	  TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("udp dport / frag offset 1", v4,
	  P(.proto = 17, .frag = 0x0001, .dport = 22), N, UDPM,
	  pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("tcp dport / first frag (MF)", v4, P(.frag = 0x2000, .dport = 22), M,
	  TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("tcp / 19-byte header", v4, P(.l4len = 19, .dport = 22), H, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("tcp ! dport / 19-byte header", v4, P(.l4len = 19, .dport = 22), H,
	  TCPM(), pu_ports(BF_MATCH_DPORT, 1, 1, true));
	C("udp / 7-byte header", v4, P(.proto = 17, .l4len = 7), H, UDPM);
	C("udp / 8-byte header", v4, P(.proto = 17, .l4len = 8), M, UDPM);
	C("-p tcp only / 3-byte tcp", v4, P(.l4len = 3), M, pu_proto(6, false));
	C("v6 tcp / 19-byte header", v6, P(V6, .l4len = 19), H, TCPM());

	/* fragment flag (IPv4) */
	C("-f / not fragment", v4, P(.frag = 0x4000), N,
	  pu_m(BF_MATCH_FRAG, false));
	C("-f / first fragment", v4, P(.frag = 0x2000), N,
	  pu_m(BF_MATCH_FRAG, false));
	C("-f / offset 1", v4, P(.frag = 0x0001), M,
	  pu_m(BF_MATCH_FRAG, false));
	C("-f / last fragment", v4, P(.frag = 0x1fff), M,
	  pu_m(BF_MATCH_FRAG, false));
	C("! -f / offset 1", v4, P(.frag = 0x0001), N,
	  pu_m(BF_MATCH_FRAG, true));
	C("! -f / whole", v4, P(), M, pu_m(BF_MATCH_FRAG, true));

	/* icmp */
	C("icmp echo-request", v4, P(.proto = 1, .itype = 8), M,
	  pu_proto(1, false), pu_l4hdr(1, 8, false), icmpm(8, 0, 255, false));
	C("icmp echo-request / reply", v4, P(.proto = 1, .itype = 0), N,
	  pu_proto(1, false), pu_l4hdr(1, 8, false), icmpm(8, 0, 255, false));
	C("icmp ! echo-request / reply", v4, P(.proto = 1, .itype = 0), M,
	  pu_proto(1, false), pu_l4hdr(1, 8, false), icmpm(8, 0, 255, true));
	C("icmp any", v4, P(.proto = 1, .itype = 42), M, pu_proto(1, false),
	  pu_l4hdr(1, 8, false), icmpm(0xff, 0, 255, false));
	C("icmp ! any", v4, P(.proto = 1, .itype = 42), N, pu_proto(1, false),
	  pu_l4hdr(1, 8, false), icmpm(0xff, 0, 255, true));
	C("icmp 3/3 code 3", v4, P(.proto = 1, .itype = 3, .icode = 3), M,
	  pu_proto(1, false), pu_l4hdr(1, 8, false), icmpm(3, 3, 3, false));
	C("icmp 3/3 code 4", v4, P(.proto = 1, .itype = 3, .icode = 4), N,
	  pu_proto(1, false), pu_l4hdr(1, 8, false), icmpm(3, 3, 3, false));
	C("icmp / 7 bytes", v4, P(.proto = 1, .itype = 8, .l4len = 7), H,
	  pu_proto(1, false), pu_l4hdr(1, 8, false), icmpm(8, 0, 255, false));
	C("icmpv6 echo-request", v6, P(V6, .proto = 58, .itype = 128), M,
	  pu_proto(58, false), pu_l4hdr(58, 8, false),
	  icmpm(128, 0, 255, false));
	C("icmpv6 type 255 is not any", v6, P(V6, .proto = 58, .itype = 1), N,
	  pu_proto(58, false), pu_l4hdr(58, 8, false),
	  icmpm(255, 0, 255, false));
	C("icmpv6 ! 1/4 / 1/4", v6, P(V6, .proto = 58, .itype = 1, .icode = 4),
	  N, pu_proto(58, false), pu_l4hdr(58, 8, false), icmpm(1, 4, 4, true));

	/* multiport */
	C("multiport dports 80", v4, P(.dport = 80), M, TCPM(),
	  mp(BF_MULTIPORT_DST, false, 3, ports3, NULL));
	C("multiport dports 81", v4, P(.dport = 81), N, TCPM(),
	  mp(BF_MULTIPORT_DST, false, 3, ports3, NULL));
	C("multiport ! dports 81", v4, P(.dport = 81), M, TCPM(),
	  mp(BF_MULTIPORT_DST, true, 3, ports3, NULL));
	C("multiport ! dports 443", v4, P(.dport = 443), N, TCPM(),
	  mp(BF_MULTIPORT_DST, true, 3, ports3, NULL));
	C("multiport sports range lo-1", v4, P(.sport = 999), N, TCPM(),
	  mp(BF_MULTIPORT_SRC, false, 3, portsr, rangef));
	C("multiport sports range lo", v4, P(.sport = 1000), M, TCPM(),
	  mp(BF_MULTIPORT_SRC, false, 3, portsr, rangef));
	C("multiport sports range hi", v4, P(.sport = 2000), M, TCPM(),
	  mp(BF_MULTIPORT_SRC, false, 3, portsr, rangef));
	C("multiport sports range hi+1", v4, P(.sport = 2001), N, TCPM(),
	  mp(BF_MULTIPORT_SRC, false, 3, portsr, rangef));
	C("multiport sports after range", v4, P(.sport = 53), M, TCPM(),
	  mp(BF_MULTIPORT_SRC, false, 3, portsr, rangef));
	C("multiport ports either (src)", v4, P(.sport = 22, .dport = 9), M,
	  TCPM(), mp(BF_MULTIPORT_EITHER, false, 3, ports3, NULL));
	C("multiport ports either (none)", v4, P(.sport = 21, .dport = 9), N,
	  TCPM(), mp(BF_MULTIPORT_EITHER, false, 3, ports3, NULL));
	C("multiport / 3-byte udp", v4, P(.proto = 17, .l4len = 3), H,
	  pu_proto(17, false), pu_l4hdr(17, 4, false),
	  mp(BF_MULTIPORT_DST, false, 3, ports3, NULL));

	/* iprange */
	C("iprange src lo-1", v4, P(.src = "192.0.2.9"), N,
	  pu_range(BF_MATCH_SRANGE, "192.0.2.10", "192.0.2.20", false));
	C("iprange src lo", v4, P(.src = "192.0.2.10"), M,
	  pu_range(BF_MATCH_SRANGE, "192.0.2.10", "192.0.2.20", false));
	C("iprange src hi", v4, P(.src = "192.0.2.20"), M,
	  pu_range(BF_MATCH_SRANGE, "192.0.2.10", "192.0.2.20", false));
	C("iprange src hi+1", v4, P(.src = "192.0.2.21"), N,
	  pu_range(BF_MATCH_SRANGE, "192.0.2.10", "192.0.2.20", false));
	C("iprange ! src hi+1", v4, P(.src = "192.0.2.21"), M,
	  pu_range(BF_MATCH_SRANGE, "192.0.2.10", "192.0.2.20", true));
	C("iprange dst across octets", v4, P(.dst = "192.0.3.0"), M,
	  pu_range(BF_MATCH_DRANGE, "192.0.2.200", "192.0.4.1", false));
	C("iprange v6 lo-1", v6, P(V6, .src = "2001:db8::ffff:ffff"), N,
	  pu_range(BF_MATCH_SRANGE, "2001:db8::1:0:0", "2001:db8::2:0:5",
		   false));
	C("iprange v6 lo", v6, P(V6, .src = "2001:db8::1:0:0"), M,
	  pu_range(BF_MATCH_SRANGE, "2001:db8::1:0:0", "2001:db8::2:0:5",
		   false));
	C("iprange v6 mid", v6, P(V6, .src = "2001:db8::1:ffff:ffff"), M,
	  pu_range(BF_MATCH_SRANGE, "2001:db8::1:0:0", "2001:db8::2:0:5",
		   false));
	C("iprange v6 hi", v6, P(V6, .src = "2001:db8::2:0:5"), M,
	  pu_range(BF_MATCH_SRANGE, "2001:db8::1:0:0", "2001:db8::2:0:5",
		   false));
	C("iprange v6 hi+1", v6, P(V6, .src = "2001:db8::2:0:6"), N,
	  pu_range(BF_MATCH_SRANGE, "2001:db8::1:0:0", "2001:db8::2:0:5",
		   false));
	C("iprange v6 ! hi+1", v6, P(V6, .dst = "2001:db8::2:0:6"), M,
	  pu_range(BF_MATCH_DRANGE, "2001:db8::1:0:0", "2001:db8::2:0:5",
		   true));

	/* comment */
	C("comment", v4, P(), M, commentm());

	/* IPv6 extension headers (ipv6_find_hdr()) */
	C("v6 hop + tcp dport", v6,
	  P(V6, .n_ext = 1, .ext = { 0 }, .dport = 22), M, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 hop+rt+dst(len 2) + tcp dport", v6,
	  P(V6, .n_ext = 3, .ext = { 0, 43, 60 }, .ext_len = { 0, 1, 2 },
	    .dport = 22),
	  M, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 ah(len 1) + udp", v6,
	  P(V6, .n_ext = 1, .ext = { 51 }, .ext_len = { 1 }, .proto = 17,
	    .dport = 53),
	  M, UDPM, pu_ports(BF_MATCH_DPORT, 53, 53, false));
	C("v6 first frag + tcp dport", v6,
	  P(V6, .n_ext = 1, .ext = { 44 }, .ext_frag = 0x0001, .dport = 22), M,
	  TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 non-first frag -p tcp", v6,
	  P(V6, .n_ext = 1, .ext = { 44 }, .ext_frag = 0x0008, .l4len = -1), M,
	  pu_proto(6, false));
	C("v6 non-first frag tcp dport", v6,
	  P(V6, .n_ext = 1, .ext = { 44 }, .ext_frag = 0x0008, .l4len = -1), N,
	  TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 non-first frag -> dst opts: hotdrop", v6,
	  P(V6, .n_ext = 2, .ext = { 44, 60 }, .ext_frag = 0x0010), H,
	  pu_proto(0, false));
	C("v6 non-first frag -> dst opts, no -p", v6,
	  P(V6, .n_ext = 2, .ext = { 44, 60 }, .ext_frag = 0x0010), M,
	  pu_addr(BF_MATCH_SADDR, "2001:db8::", 32, false));
	C("v6 non-first frag -> none(59)", v6,
	  P(V6, .n_ext = 1, .ext = { 44 }, .ext_frag = 0x0010, .proto = 59,
	    .l4len = -1),
	  M, pu_proto(59, false));
	C("v6 none(59) is the protocol", v6, P(V6, .proto = 59, .l4len = -1), M,
	  pu_proto(59, false));
	C("v6 ext hdr cut: -p all hotdrops", v6,
	  P(V6, .n_ext = 1, .ext = { 0 }, .l4len = -1, .trunc = 41), H,
	  pu_proto(0, false));
	C("v6 ext hdr cut: ! -p tcp hotdrops", v6,
	  P(V6, .n_ext = 1, .ext = { 0 }, .l4len = -1, .trunc = 41), H,
	  pu_proto(6, true));
	C("v6 ext hdr cut: address first, then -p", v6,
	  P(V6, .n_ext = 1, .ext = { 0 }, .l4len = -1, .trunc = 41), N,
	  pu_addr(BF_MATCH_SADDR, "2001:db8:1::", 48, false),
	  pu_proto(6, false));
	C("v6 hop longer than packet, then tcp: thoff past end", v6,
	  P(V6, .n_ext = 1, .ext = { 0 }, .ext_len = { 200 }, .l4len = -1,
	    .trunc = 48),
	  H, TCPM());
	C("v6 hop longer than packet -p tcp", v6,
	  P(V6, .n_ext = 1, .ext = { 0 }, .ext_len = { 200 }, .l4len = -1,
	    .trunc = 48),
	  M, pu_proto(6, false));
	C("v6 routing hdr of 3 bytes: hotdrop", v6,
	  P(V6, .n_ext = 1, .ext = { 43 }, .l4len = -1, .trunc = 43), H,
	  pu_proto(6, false));
	C("v6 dst opts hdr of 3 bytes: readable, then past the end", v6,
	  P(V6, .n_ext = 1, .ext = { 60 }, .l4len = -1, .trunc = 43), M,
	  pu_proto(6, false));
	C("v6 frag hdr cut in half", v6,
	  P(V6, .n_ext = 1, .ext = { 44 }, .l4len = -1, .trunc = 43), H,
	  pu_proto(6, false));
	C("v6 16 ext headers", v6,
	  P(V6, .n_ext = 16,
	    .ext = { 0, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60,
		     60 },
	    .dport = 22),
	  M, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	/* Longer chains: the walk goes on beyond the unrolled headers,
	 * bounded only by the packet, as ipv6_find_hdr() is. */
	C("v6 17 ext headers", v6,
	  P(V6, .n_ext = 17,
	    .ext = { 0, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60,
		     60, 60 },
	    .dport = 22),
	  M, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 17 ext headers, no -p", v6,
	  P(V6, .n_ext = 17,
	    .ext = { 0, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60,
		     60, 60 }),
	  M, pu_addr(BF_MATCH_SADDR, "2001:db8::1", 128, false));
	C("v6 17 ext headers, other port", v6, P(V6, .n_fill = 17, .dport = 23),
	  N, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 40 ext headers", v6, P(V6, .n_fill = 40, .dport = 22), M, TCPM(),
	  pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 40 ext headers, other port", v6, P(V6, .n_fill = 40, .dport = 23),
	  N, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 40 ext headers, -p all", v6, P(V6, .n_fill = 40), M,
	  pu_proto(0, false));
	C("v6 40 ext headers, ! -p tcp", v6, P(V6, .n_fill = 40), N,
	  pu_proto(6, true));
	C("v6 40 ext headers, no -p", v6, P(V6, .n_fill = 40), M,
	  pu_addr(BF_MATCH_DADDR, "2001:db8::2", 128, false));
	C("v6 hop + 179 dst, udp (a 1,488-byte packet)", v6,
	  P(V6, .n_ext = 1, .ext = { 0 }, .n_fill = 179, .proto = 17,
	    .dport = 53),
	  M, UDPM, pu_ports(BF_MATCH_DPORT, 53, 53, false));
	C("v6 180 ext headers, udp other port", v6,
	  P(V6, .n_fill = 180, .proto = 17, .dport = 54), N, UDPM,
	  pu_ports(BF_MATCH_DPORT, 53, 53, false));
	C("v6 180 ext headers, icmpv6 type", v6,
	  P(V6, .n_fill = 180, .proto = 58, .itype = 128), M,
	  pu_proto(58, false), icmpm(128, 0, 255, false));
	C("v6 180 ext headers, no -p", v6, P(V6, .n_fill = 180), M,
	  pu_addr(BF_MATCH_SADDR, "2001:db8::", 32, false));
	C("v6 180 ext headers then none(59) at the end of the packet", v6,
	  P(V6, .n_fill = 180, .proto = 59, .l4len = -1), M,
	  pu_proto(59, false));
	C("v6 20 dst + rt(len 1) + tcp dport", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 43 }, .ext_len = { 1 },
	    .dport = 22),
	  M, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 20 dst + ah(len 1) + udp", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 51 }, .ext_len = { 1 },
	    .proto = 17, .dport = 53),
	  M, UDPM, pu_ports(BF_MATCH_DPORT, 53, 53, false));
	C("v6 20 dst + first frag + tcp dport", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 44 }, .ext_frag = 0x0001,
	    .dport = 22),
	  M, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 20 dst + non-first frag -p tcp", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 44 }, .ext_frag = 0x0008,
	    .l4len = -1),
	  M, pu_proto(6, false));
	C("v6 20 dst + non-first frag tcp dport", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 44 }, .ext_frag = 0x0008,
	    .l4len = -1),
	  N, TCPM(), pu_ports(BF_MATCH_DPORT, 22, 22, false));
	C("v6 20 dst + non-first frag -> dst opts: hotdrop", v6,
	  P(V6, .n_fill = 20, .n_ext = 2, .ext = { 44, 60 },
	    .ext_frag = 0x0010),
	  H, pu_proto(0, false));
	C("v6 30 dst, the 26th cut: -p all hotdrops", v6,
	  P(V6, .n_fill = 30, .l4len = -1, .trunc = 40 + 25 * 8 + 1), H,
	  pu_proto(0, false));
	C("v6 30 dst, the 26th cut: ! -p tcp hotdrops", v6,
	  P(V6, .n_fill = 30, .l4len = -1, .trunc = 40 + 25 * 8 + 1), H,
	  pu_proto(6, true));
	C("v6 30 dst, the 26th cut: no -p", v6,
	  P(V6, .n_fill = 30, .l4len = -1, .trunc = 40 + 25 * 8 + 1), M,
	  pu_addr(BF_MATCH_SADDR, "2001:db8::1", 128, false));
	C("v6 30 dst, the 26th cut: address first, then -p", v6,
	  P(V6, .n_fill = 30, .l4len = -1, .trunc = 40 + 25 * 8 + 1), N,
	  pu_addr(BF_MATCH_SADDR, "2001:db8:1::", 48, false),
	  pu_proto(6, false));
	C("v6 20 dst + rt hdr of 3 bytes: hotdrop", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 43 }, .l4len = -1,
	    .trunc = 40 + 20 * 8 + 3),
	  H, pu_proto(6, false));
	C("v6 20 dst + hop longer than packet -p tcp", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 0 }, .ext_len = { 200 },
	    .l4len = -1, .trunc = 40 + 20 * 8 + 8),
	  M, pu_proto(6, false));
	C("v6 20 dst + hop longer than packet, tcp: thoff past end", v6,
	  P(V6, .n_fill = 20, .n_ext = 1, .ext = { 0 }, .ext_len = { 200 },
	    .l4len = -1, .trunc = 40 + 20 * 8 + 8),
	  H, TCPM());

	/* conntrack: test runs have no conntrack entry: skb->_nfct = 0 is
	 * INVALID at netfilter hooks; at tc/xdp the lookup finds nothing,
	 * which is NEW (tests/prog/test_ct.c has real entries). */
	CK("ctstate INVALID", v4, P(), M, M, N, N, N,
	   ctm(BF_CTSTATE_INVALID, false));
	CK("ctstate NEW,ESTABLISHED", v4, P(), N, N, M, M, M,
	   ctm(BF_CTSTATE_NEW | BF_CTSTATE_ESTABLISHED, false));
	CK("ctstate ! NEW", v6, P(V6), M, M, N, N, N,
	   ctm(BF_CTSTATE_NEW, true));
	CK("ctstate ! INVALID", v6, P(V6), N, N, M, M, M,
	   ctm(BF_CTSTATE_INVALID, true));
	CK("ctstate NEW / icmp at tc", v4, P(.proto = 1), N, N, M, M, M,
	   ctm(BF_CTSTATE_NEW, false));

	/* length (IPv4 tot_len / IPv6 payload + 40): TCP packets are 40
	 * and 60 bytes */
	C("length 40", v4, P(), M, lenm(40, 40, false));
	C("length 41:100", v4, P(), N, lenm(41, 100, false));
	C("length 0:39", v4, P(), N, lenm(0, 39, false));
	C("! length 41:100", v4, P(), M, lenm(41, 100, true));
	C("length 60 v6", v6, P(V6), M, lenm(60, 60, false));
	C("length 61: v6", v6, P(V6), N, lenm(61, 65535, false));

	/* ttl / hl: probes have 64 */
	C("ttl eq 64", v4, P(), M, ttlm(BF_TTL_EQ, 64, false));
	C("ttl eq 63", v4, P(), N, ttlm(BF_TTL_EQ, 63, false));
	C("ttl ne 64", v4, P(), N, ttlm(BF_TTL_NE, 64, false));
	C("ttl lt 65", v4, P(), M, ttlm(BF_TTL_LT, 65, false));
	C("ttl lt 64", v4, P(), N, ttlm(BF_TTL_LT, 64, false));
	C("ttl gt 63", v4, P(), M, ttlm(BF_TTL_GT, 63, false));
	C("ttl gt 64", v4, P(), N, ttlm(BF_TTL_GT, 64, false));
	C("! ttl gt 64", v4, P(), M, ttlm(BF_TTL_GT, 64, true));
	C("hl eq 64", v6, P(V6), M, ttlm(BF_TTL_EQ, 64, false));
	C("hl lt 64", v6, P(V6), N, ttlm(BF_TTL_LT, 64, false));

	/* mark: test runs have mark 0; XDP has no mark */
	CK("mark 0/0xff", v4, P(), M, M, M, M, R, markm(0, 0xff, false));
	CK("mark 1/0xff", v4, P(), N, N, N, N, R, markm(1, 0xff, false));
	CK("! mark 0", v6, P(V6), N, N, N, N, R, markm(0, 0xffffffff, true));
	CK("mark 2/1 (never)", v4, P(), N, N, N, N, R, markm(2, 1, false));

	/* connmark: test runs have no conntrack entry, which fails the
	 * match whatever the inversion (connmark_mt()); netfilter only */
	{
		struct bf_match cm = pu_m(BF_MATCH_CONNMARK, false);

		cm.u.mark.mask = 0xff;
		CK("connmark 0/0xff", v4, P(), N, N, R, R, R, cm);
		cm.neg = true;
		cm.u.mark.value = 1;
		CK("! connmark 1/0xff", v4, P(), N, N, R, R, R, cm);
	}

	/* pkttype: test runs other than nf LOCAL_OUT pass the frame through
	 * eth_type_trans() on lo (address 0): our 02:00:.. destination is
	 * PACKET_OTHERHOST (3); at LOCAL_OUT it is PACKET_HOST (0) */
	CK("pkttype host", v4, P(), N, M, N, N, R, pkttypem(0, false));
	CK("pkttype otherhost", v4, P(), M, N, M, M, R, pkttypem(3, false));
	CK("! pkttype otherhost", v6, P(V6), N, M, N, N, R, pkttypem(3, true));

	/* mac source: only for received packets (refused at OUTPUT); nf
	 * test runs come from lo, not an Ethernet device: no match either
	 * way (mac_mt()); tc/xdp read the frame */
	CK("mac 02:00:00:00:00:00", v4, P(), N, R, M, R, M, macm(0, false));
	CK("! mac 02:00:00:00:00:00", v4, P(), N, R, N, R, N, macm(0, true));
	CK("mac 02:00:00:00:00:01", v6, P(V6), N, R, N, R, N, macm(1, false));
	CK("! mac 02:00:00:00:00:01", v6, P(V6), N, R, M, R, M, macm(1, true));

	/* interfaces: tc/xdp compare with IFNAME at compile time. At
	 * netfilter hooks, BPF_PROG_TEST_RUN picks the device from its
	 * default hook (verify_and_copy_hook_state() in net/bpf/test_run.c
	 * switches on the default LOCAL_OUT): every nf test run has
	 * out = "lo" and no in device. */
	CK("-i lo", v4, P(), N, N, N, N, N,
	   pu_iface(BF_MATCH_IIFNAME, "lo", false));
	CK("-i l+", v4, P(), N, N, N, N, N,
	   pu_iface(BF_MATCH_IIFNAME, "l+", false));
	CK("! -i lo", v4, P(), M, M, M, M, M,
	   pu_iface(BF_MATCH_IIFNAME, "lo", true));
	CK("-i +", v4, P(), M, M, M, M, M,
	   pu_iface(BF_MATCH_IIFNAME, "+", false));
	CK("! -i +", v4, P(), N, N, N, N, N,
	   pu_iface(BF_MATCH_IIFNAME, "+", true));
	CK("-i " IFNAME, v6, P(V6), N, N, M, N, M,
	   pu_iface(BF_MATCH_IIFNAME, IFNAME, false));
	CK("-i veth+", v6, P(V6), N, N, M, N, M,
	   pu_iface(BF_MATCH_IIFNAME, "veth+", false));
	CK("-i veth0x (longer)", v6, P(V6), N, N, N, N, N,
	   pu_iface(BF_MATCH_IIFNAME, "veth0x", false));
	CK("-i veth (shorter)", v6, P(V6), N, N, N, N, N,
	   pu_iface(BF_MATCH_IIFNAME, "veth", false));
	CK("-o " IFNAME, v4, P(), N, N, N, M, N,
	   pu_iface(BF_MATCH_OIFNAME, IFNAME, false));
	CK("-o lo", v4, P(), M, M, N, N, N,
	   pu_iface(BF_MATCH_OIFNAME, "lo", false));
	CK("-o l+", v4, P(), M, M, N, N, N,
	   pu_iface(BF_MATCH_OIFNAME, "l+", false));
	CK("-o lo0 (longer)", v4, P(), N, N, N, N, N,
	   pu_iface(BF_MATCH_OIFNAME, "lo0", false));
	CK("-o l (shorter)", v4, P(), N, N, N, N, N,
	   pu_iface(BF_MATCH_OIFNAME, "l", false));
	CK("! -o lo", v6, P(V6), N, N, M, M, M,
	   pu_iface(BF_MATCH_OIFNAME, "lo", true));
	CK("iface then hotdrop order", v6,
	   P(V6, .n_ext = 1, .ext = { 0 }, .l4len = -1, .trunc = 41), N, N, H,
	   N, H, pu_iface(BF_MATCH_IIFNAME, IFNAME, false), pu_proto(6, false));
}

static int expected(const struct mcase *c, int k)
{
	return c->exp[k] ? c->exp[k] : c->exp[0];
}

static void run_case(const struct mcase *c, int k, int *failures)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b = bf_ruleset_builtin(rs, c->fam, kinds[k].hook);
	struct pu_prog p;
	struct pu_pkt pkt = pu_build(&c->pkt);
	struct bf_counter rc, pc;
	int ret, want = expected(c, k), got;

	pu_rule(b, BF_VERDICT_DROP, NULL, c->m, (size_t)c->n);
	ret = pu_load(rs, kinds[k].attach, kinds[k].hook, c->fam, IFNAME, &p);
	if (want == R || ret) {
		if ((want == R) != (ret != 0)) {
			fprintf(stderr, "FAIL %s at %s: load returned %d\n",
				c->name, kinds[k].name, ret);
			(*failures)++;
		}
		bf_ruleset_free(&rs);
		return;
	}
	ret = pu_run(&p, pkt.b, pkt.len, c->fam);
	rc = pu_counter(&p, b->rules[0].counter_idx);
	pc = pu_counter(&p, b->policy_counter_idx);
	if (ret == pu_drop(&p) && rc.packets == 1 && pc.packets == 0 &&
	    rc.bytes == pkt.len)
		got = M;
	else if (ret == pu_accept(&p) && rc.packets == 0 && pc.packets == 1 &&
		 pc.bytes == pkt.len)
		got = N;
	else if (ret == pu_drop(&p) && rc.packets == 0 && pc.packets == 0)
		got = H;
	else
		got = 0;
	if (got != want) {
		fprintf(stderr,
			"FAIL %s at %s: want %c, got ret=%d rule=%llu/%llu "
			"policy=%llu/%llu (len %zu)\n",
			c->name, kinds[k].name, " MNH"[want], ret,
			(unsigned long long)rc.packets,
			(unsigned long long)rc.bytes,
			(unsigned long long)pc.packets,
			(unsigned long long)pc.bytes, pkt.len);
		(*failures)++;
	}
	pu_close(&p);
	bf_ruleset_free(&rs);
}

static void test_matches(void **state)
{
	int failures = 0, runs = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	build_cases();
	for (size_t i = 0; i < n_cases; i++) {
		for (int k = 0; k < N_KINDS; k++) {
			run_case(&cases[i], k, &failures);
			runs++;
		}
	}
	printf("%zu cases, %d runs, %d failures\n", n_cases, runs, failures);
	free(cases);
	cases = NULL;
	n_cases = 0;
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
