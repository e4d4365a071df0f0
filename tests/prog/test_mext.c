// SPDX-License-Identifier: GPL-2.0-only
/*
 * addrtype (IPv6 types), owner, time, tcpmss and rt (src/lib/cgen/mext.h)
 * with BPF_PROG_TEST_RUN at the attach kinds where they compile, and the
 * refusals where they do not. As in test_matches.c, the rule under test
 * DROPs and the policy ACCEPTs:
 *   M  matched: DROP, rule counter +1
 *   N  no match: ACCEPT, policy counter +1
 *   H  hotdrop: DROP, no counter
 *   R  refused: the program does not compile there
 * Expected results follow tcpmss_mt(), rt_mt6(), match_type6(),
 * owner_mt() and time_mt(); the time cases derive the expected answer from
 * gmtime() of the current time, away from the boundaries they test.
 */
#include <sys/syscall.h>
#include <sys/time.h>

#include "prog_util.h"

enum {
	M = 1,
	N,
	H,
	R
};

enum kind_idx {
	NF_IN,
	NF_FWD,
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
	[NF_FWD] = { BF_ATTACH_NF, BF_HOOK_FORWARD, "nf-forward" },
	[NF_OUT] = { BF_ATTACH_NF, BF_HOOK_OUTPUT, "nf-output" },
	[TC_IN] = { BF_ATTACH_TC, BF_HOOK_INPUT, "tc-ingress" },
	[TC_OUT] = { BF_ATTACH_TC, BF_HOOK_OUTPUT, "tc-egress" },
	[XDP_IN] = { BF_ATTACH_XDP, BF_HOOK_INPUT, "xdp" },
};

#define IFNAME "veth0"
#define ALL_KINDS ((1u << N_KINDS) - 1)

static int failures, runs;

/* One rule (matches m[0..n)) DROP, policy ACCEPT, at kind k: the outcome
 * of packet pkt, or R if it does not compile. */
static int outcome(int k, enum bf_family fam, const struct bf_match *m,
		   size_t n, const struct pu_pkt *pkt)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b = bf_ruleset_builtin(rs, fam, kinds[k].hook);
	struct pu_prog p;
	struct bf_counter rc, pc;
	int ret, got = 0;

	rs->families = 1u << fam;
	pu_rule(b, BF_VERDICT_DROP, NULL, m, n);
	ret = pu_load(rs, kinds[k].attach, kinds[k].hook, fam, IFNAME, &p);
	if (ret) {
		bf_ruleset_free(&rs);
		return R;
	}
	ret = pu_run(&p, pkt->b, pkt->len, fam);
	rc = pu_counter(&p, b->rules[0].counter_idx);
	pc = pu_counter(&p, b->policy_counter_idx);
	if (ret == pu_drop(&p) && rc.packets == 1 && pc.packets == 0)
		got = M;
	else if (ret == pu_accept(&p) && rc.packets == 0 && pc.packets == 1)
		got = N;
	else if (ret == pu_drop(&p) && rc.packets == 0 && pc.packets == 0)
		got = H;
	pu_close(&p);
	bf_ruleset_free(&rs);
	return got;
}

/* Check the outcome at every kind in `where` (the others are not run). */
static void check(const char *name, unsigned int where, int want,
		  enum bf_family fam, const struct bf_match *m, size_t n,
		  const struct pu_pkt *pkt)
{
	for (int k = 0; k < N_KINDS; k++) {
		int got;

		if (!(where & (1u << k)))
			continue;
		got = outcome(k, fam, m, n, pkt);
		runs++;
		if (got != want) {
			fprintf(stderr, "FAIL %s at %s: want %c, got %c\n",
				name, kinds[k].name, " MNHR"[want],
				" MNHR?"[got ? got : 5]);
			failures++;
		}
	}
}

#define CHECK(name, where, want, fam, pkt, ...)                                \
	do {                                                                   \
		const struct bf_match ms_[] = { __VA_ARGS__ };                 \
		check(name, where, want, fam, ms_,                             \
		      sizeof(ms_) / sizeof(ms_[0]), pkt);                      \
	} while (0)

/* ---- tcpmss ---- */

static struct bf_match mssm(uint16_t min, uint16_t max, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_TCPMSS, neg);

	m.u.length.min = min;
	m.u.length.max = max;
	return m;
}

/* TCP/IPv4 with `optlen` option bytes (doff from them, or `doff` if
 * not 0) and `cut` bytes less at the end. */
static struct pu_pkt tcp_opts(const uint8_t *opts, size_t optlen, int doff,
			      size_t cut)
{
	struct pu_pkt p;
	size_t l4;

	memset(&p, 0, sizeof(p));
	l4 = pu_tcp(p.b + 20, 1234, 80, 0x02);
	if (optlen)
		memcpy(p.b + 20 + l4, opts, optlen);
	p.b[20 + 12] = (uint8_t)((doff ? doff : (int)(5 + optlen / 4)) << 4);
	pu_v4(&p, "192.0.2.1", "198.51.100.1", 6, l4 + optlen - cut, 0);
	return p;
}

static void test_tcpmss(void **state)
{
	static const uint8_t mss1460[] = { 2, 4, 0x05, 0xb4 };
	static const uint8_t nops536[] = { 1, 1, 1, 1, 2, 4, 0x02, 0x18 };
	static const uint8_t ws1200[] = { 3, 3, 7, 1, 2, 4, 0x04, 0xb0 };
	static const uint8_t badlen[] = { 2, 5, 9, 9, 9, 0, 0, 0 };
	static const uint8_t lastfew[] = { 1, 1, 1, 1, 1, 2, 4, 5 };
	static const uint8_t zerolen[] = { 3, 0, 2, 4, 0x05, 0xb4, 1, 1 };
	static const uint8_t eol[] = { 0, 0, 0, 0, 2, 4, 0x05, 0xb4 };
	unsigned int all = ALL_KINDS & ~(1u << NF_FWD);
	struct pu_pkt p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
#define TCPMSS(name, want, pkt, min, max, neg)                                 \
	CHECK(name, all, want, BF_FAMILY_INET4, pkt, pu_proto(6, false),       \
	      mssm(min, max, neg))
	p = tcp_opts(mss1460, sizeof(mss1460), 0, 0);
	TCPMSS("1460 in 1000:1460", M, &p, 1000, 1460, false);
	TCPMSS("1460 ! in 1000:1460", N, &p, 1000, 1460, true);
	TCPMSS("1460 in 1461:2000", N, &p, 1461, 2000, false);
	p = tcp_opts(nops536, sizeof(nops536), 0, 0);
	TCPMSS("NOPs then 536", M, &p, 536, 536, false);
	p = tcp_opts(ws1200, sizeof(ws1200), 0, 0);
	TCPMSS("wscale then 1200", M, &p, 1000, 1460, false);
	p = tcp_opts(badlen, sizeof(badlen), 0, 0);
	TCPMSS("kind 2 of length 5: no MSS", N, &p, 0, 65535, false);
	TCPMSS("kind 2 of length 5: no MSS, inverted", M, &p, 0, 65535, true);
	p = tcp_opts(lastfew, sizeof(lastfew), 0, 0);
	TCPMSS("MSS with 3 bytes left: no MSS", N, &p, 0, 65535, false);
	p = tcp_opts(zerolen, sizeof(zerolen), 0, 0);
	/* kind 3, length 0: one byte; then EOL (one byte), then the MSS */
	TCPMSS("length 0 takes one byte", M, &p, 1460, 1460, false);
	TCPMSS("length 0 takes one byte (inv)", N, &p, 1460, 1460, true);
	p = tcp_opts(eol, sizeof(eol), 0, 0);
	TCPMSS("EOL is skipped like NOP", M, &p, 1460, 1460, false);
	p = tcp_opts(NULL, 0, 0, 0);
	TCPMSS("no options", N, &p, 0, 65535, false);
	TCPMSS("no options, inverted", M, &p, 0, 65535, true);
	p = tcp_opts(NULL, 0, 4, 0);
	TCPMSS("doff 4: hotdrop", H, &p, 0, 65535, false);
	p = tcp_opts(mss1460, sizeof(mss1460), 8, 0);
	TCPMSS("options past the end: hotdrop", H, &p, 0, 65535, false);
	p = tcp_opts(NULL, 0, 0, 4);
	TCPMSS("16-byte TCP header: hotdrop", H, &p, 0, 65535, true);
#undef TCPMSS
	/* IPv6 non-first fragment: ip6t_do_table() leaves the transport
	 * offset at 0, so tcpmss_mt() reads the IPv6 header as TCP: its
	 * byte 12 (source address byte 4) gives doff */
	for (int i = 0; i < 2; i++) {
		struct bf_match ms[] = { pu_proto(6, false),
					 mssm(0, 65535, false) };

		memset(&p, 0, sizeof(p));
		p.b[0] = 0x60;
		p.b[5] = 28; /* payload: fragment header + 20 bytes */
		p.b[6] = 44;
		p.b[7] = 64;
		inet_pton(AF_INET6, i ? "2001:db8:5000::1" : "2001:db8::1",
			  p.b + 8);
		inet_pton(AF_INET6, "2001:db8::2", p.b + 24);
		p.b[40] = 6; /* fragment header: TCP, offset 8 bytes */
		p.b[43] = 8;
		p.len = 68;
		check(i ? "v6 later fragment, doff 5 from the address: no MSS" :
			  "v6 later fragment, doff 0 from the address: hotdrop",
		      all, i ? N : H, BF_FAMILY_INET6, ms, 2, &p);
	}
	printf("tcpmss: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

/* ---- rt ---- */

static struct bf_match rtm(uint8_t flags, uint8_t inv, uint32_t type,
			   uint32_t sl0, uint32_t sl1, uint32_t len)
{
	struct bf_match m = pu_m(BF_MATCH_RT, false);

	m.u.rt.flags = flags;
	m.u.rt.invflags = inv;
	m.u.rt.rt_type = type;
	m.u.rt.segsleft[0] = sl0;
	m.u.rt.segsleft[1] = sl1;
	m.u.rt.hdrlen = len;
	return m;
}

/* IPv6 + headers hdrs[] (each 8 * (len+1) bytes, a routing header of the
 * given type, segments left, reserved word) + UDP; `trunc` != 0 cuts
 * the packet to that many bytes. frag: a non-first fragment header
 * first. */
struct rtspec {
	bool hbh, rt, frag, bad_hbh;
	uint8_t type, sl, hlen;
	uint32_t res;
	size_t trunc;
};

static struct pu_pkt rt_pkt(const struct rtspec *s)
{
	struct pu_pkt p;
	uint8_t *at, *nh;
	size_t off = 40;

	memset(&p, 0, sizeof(p));
	nh = &p.b[6];
	at = p.b + off;
	if (s->frag) {
		*nh = 44;
		at[2] = 0x00; /* offset 8 bytes, M = 0 */
		at[3] = 0x08;
		nh = &at[0];
		off += 8;
		at = p.b + off;
	}
	if (s->hbh) {
		*nh = 0;
		at[1] = s->bad_hbh ? 200 : 0;
		at[2] = 1; /* PadN */
		at[3] = 4;
		nh = &at[0];
		off += 8;
		at = p.b + off;
	}
	if (s->rt) {
		uint32_t res = htonl(s->res);

		*nh = 43;
		at[1] = s->hlen;
		at[2] = s->type;
		at[3] = s->sl;
		memcpy(at + 4, &res, 4);
		nh = &at[0];
		off += 8u * (s->hlen + 1u);
		at = p.b + off;
	}
	*nh = 17;
	off += pu_udp(at, 1234, 53, 0);
	p.len = s->trunc ? s->trunc : off;
	{
		uint16_t pl = htons((uint16_t)(p.len - 40));

		p.b[0] = 0x60;
		memcpy(p.b + 4, &pl, 2);
		p.b[7] = 64;
		inet_pton(AF_INET6, "2001:db8::1", p.b + 8);
		inet_pton(AF_INET6, "2001:db8::2", p.b + 24);
	}
	return p;
}

static void test_rt(void **state)
{
	unsigned int all = ALL_KINDS & ~(1u << NF_FWD);
	struct pu_pkt p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
#define RT(name, want, ...)                                                    \
	do {                                                                   \
		struct rtspec s_ = { __VA_ARGS__ };                            \
		p = rt_pkt(&s_);                                               \
	} while (0);                                                           \
	CHECK(name, all, want, BF_FAMILY_INET6, &p, m_)
	struct bf_match m_;

	m_ = rtm(BF_RT_TYP, 0, 0, 0, UINT32_MAX, 0);
	RT("type 0", M, .rt = true);
	RT("type 0 after hop-by-hop", M, .rt = true, .hbh = true);
	RT("type 2 is not 0", N, .rt = true, .type = 2);
	RT("no routing header", N, .hbh = true);
	RT("after a non-first fragment: none", N, .frag = true, .rt = true);
	RT("bad hop-by-hop before it: hotdrop", H, .hbh = true, .bad_hbh = true,
	   .rt = true);
	RT("header cut to 2 bytes: hotdrop", H, .rt = true, .trunc = 42);
	RT("shorter than its length: no match", N, .rt = true, .hlen = 2,
	   .trunc = 56);
	m_ = rtm(BF_RT_TYP, BF_RT_INV_TYP, 0, 0, UINT32_MAX, 0);
	RT("! type 0 on type 2", M, .rt = true, .type = 2);
	RT("! type 0 on type 0", N, .rt = true);
	RT("! type 0 without header", N, .hbh = true);
	m_ = rtm(BF_RT_SGS, 0, 0, 1, 5, 0);
	RT("segsleft 3 in 1:5", M, .rt = true, .sl = 3);
	RT("segsleft 0 in 1:5", N, .rt = true);
	RT("segsleft 6 in 1:5", N, .rt = true, .sl = 6);
	m_ = rtm(BF_RT_SGS, BF_RT_INV_SGS, 0, 1, 5, 0);
	RT("segsleft 0 ! in 1:5", M, .rt = true);
	RT("segsleft 5 ! in 1:5", N, .rt = true, .sl = 5);
	m_ = rtm(BF_RT_LEN, 0, 0, 0, UINT32_MAX, 24);
	RT("length 24", M, .rt = true, .hlen = 2);
	RT("length 8 is not 24", N, .rt = true);
	m_ = rtm(BF_RT_LEN, BF_RT_INV_LEN, 0, 0, UINT32_MAX, 24);
	RT("length 8 ! 24", M, .rt = true);
	m_ = rtm(BF_RT_TYP | BF_RT_RES, 0, 0, 0, UINT32_MAX, 0);
	RT("reserved 0", M, .rt = true);
	RT("reserved set", N, .rt = true, .res = 0x10000);
	/* nft's rt type (BF_RT_NFT, nft_exthdr_ipv6_eval()): the byte at
	 * offset 2 when the packet has it, else no match; never hotdrop,
	 * no length check */
	m_ = rtm(BF_RT_TYP | BF_RT_NFT, 0, 0, 0, UINT32_MAX, 0);
	RT("nft type 0", M, .rt = true);
	RT("nft type 2 is not 0", N, .rt = true, .type = 2);
	RT("nft no routing header", N, .hbh = true);
	RT("nft after a non-first fragment", N, .frag = true, .rt = true);
	RT("nft bad hop-by-hop before it: no match", N, .hbh = true,
	   .bad_hbh = true, .rt = true);
	/* ipv6_find_hdr() reads a struct ipv6_rt_hdr (4 bytes) of the
	 * header it stops at: -EBADMSG below that */
	RT("nft header cut to 3 bytes: no match", N, .rt = true, .trunc = 43);
	RT("nft header cut to 4 bytes: the type is read", M, .rt = true,
	   .trunc = 44);
	RT("nft header cut to 2 bytes: no match", N, .rt = true, .trunc = 42);
	RT("nft shorter than its length: the type is read", M, .rt = true,
	   .hlen = 2, .trunc = 56);
	m_ = rtm(BF_RT_TYP | BF_RT_NFT, BF_RT_INV_TYP, 0, 0, UINT32_MAX, 0);
	RT("nft != 0 on type 2", M, .rt = true, .type = 2);
	RT("nft != 0 on type 0", N, .rt = true);
	RT("nft != 0 without header", N, .hbh = true);
	RT("nft != 0 cut to 2 bytes: no match", N, .rt = true, .trunc = 42);
	RT("nft != 0 cut to 5 bytes, type 2", M, .rt = true, .type = 2,
	   .trunc = 45);
#undef RT
	m_ = rtm(BF_RT_TYP | BF_RT_FST, 0, 0, 0, UINT32_MAX, 0);
	p = rt_pkt(&(struct rtspec){ .rt = true });
	CHECK("--rt-0-addrs refused", all, R, BF_FAMILY_INET6, &p, m_);
	printf("rt: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

/* ---- addrtype ---- */

static struct bf_match atm(uint16_t src, uint16_t dst, uint32_t flags)
{
	struct bf_match m = pu_m(BF_MATCH_ADDRTYPE, false);

	m.u.addrtype.source = src;
	m.u.addrtype.dest = dst;
	m.u.addrtype.flags = flags;
	return m;
}

#define T_UNSPEC (1u << 0)
#define T_UNICAST (1u << 1)
#define T_LOCAL (1u << 2)
#define T_BROADCAST (1u << 3)
#define T_MULTICAST (1u << 5)

static void test_addrtype(void **state)
{
	unsigned int all = ALL_KINDS & ~(1u << NF_FWD);
	struct pu_pkt p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
#define AT6(name, want, src, dst, ...)                                         \
	p = pu_udp6(src, dst, 1234, 53);                                       \
	CHECK(name, all, want, BF_FAMILY_INET6, &p, __VA_ARGS__)
	AT6("ff02::1 multicast", M, "2001:db8::1", "ff02::1",
	    atm(0, T_MULTICAST, 0));
	AT6("global not multicast", N, "2001:db8::1", "2001:db8::2",
	    atm(0, T_MULTICAST, 0));
	AT6("! multicast", M, "2001:db8::1", "2001:db8::2",
	    atm(0, T_MULTICAST, BF_ADDRTYPE_INVERT_DEST));
	AT6("global unicast", M, "2001:db8::1", "2001:db8::2",
	    atm(0, T_UNICAST, 0));
	AT6("link-local unicast", M, "2001:db8::1", "fe80::1",
	    atm(0, T_UNICAST, 0));
	AT6("::1 unicast", M, "2001:db8::1", "::1", atm(0, T_UNICAST, 0));
	AT6("::5 (compat) unicast", M, "2001:db8::1", "::5",
	    atm(0, T_UNICAST, 0));
	AT6("mapped is not unicast", N, "::ffff:192.0.2.1", "2001:db8::2",
	    atm(T_UNICAST, 0, 0));
	AT6(":: is not unicast", N, "::", "2001:db8::2", atm(T_UNICAST, 0, 0));
	AT6(":: unspec", M, "::", "2001:db8::2", atm(T_UNSPEC, 0, 0));
	AT6("::1 not unspec", N, "::1", "2001:db8::2", atm(T_UNSPEC, 0, 0));
	AT6("unicast and multicast: never", N, "2001:db8::1", "ff02::1",
	    atm(0, T_UNICAST | T_MULTICAST, 0));
	AT6("src unicast, dst ! multicast", M, "2001:db8::1", "2001:db8::2",
	    atm(T_UNICAST, T_MULTICAST, BF_ADDRTYPE_INVERT_DEST));
	AT6("src ! unicast fails first", N, "2001:db8::1", "ff02::1",
	    atm(T_UNICAST, T_MULTICAST, BF_ADDRTYPE_INVERT_SOURCE));
	/* LOCAL / ANYCAST / UNREACHABLE: the route of a locally delivered
	 * packet, nf INPUT only; a test run's packet has no route, which
	 * match_lookup_rt6() would call UNREACHABLE */
	p = pu_udp6("2001:db8::1", "2001:db8::2", 1234, 53);
	CHECK("v6 dst LOCAL elsewhere refused", all & ~(1u << NF_IN), R,
	      BF_FAMILY_INET6, &p, atm(0, T_LOCAL, 0));
	CHECK("v6 dst LOCAL without a route", 1u << NF_IN, N, BF_FAMILY_INET6,
	      &p, atm(0, T_LOCAL, 0));
	CHECK("v6 dst UNREACHABLE without a route", 1u << NF_IN, M,
	      BF_FAMILY_INET6, &p, atm(0, 1u << 7, 0));
	CHECK("v6 src LOCAL refused", all, R, BF_FAMILY_INET6, &p,
	      atm(T_LOCAL, 0, 0));
#undef AT6
	/* IPv4: --dst-type only at nf INPUT; the test run's packet has no
	 * route (rt_type unknown): no type matches. */
	p = pu_udp4("192.0.2.1", "198.51.100.1", 1234, 53);
	CHECK("v4 dst LOCAL without a route", 1u << NF_IN, N, BF_FAMILY_INET4,
	      &p, atm(0, T_LOCAL, 0));
	CHECK("v4 dst elsewhere refused", all & ~(1u << NF_IN), R,
	      BF_FAMILY_INET4, &p, atm(0, T_LOCAL, 0));
	CHECK("v4 src refused", all, R, BF_FAMILY_INET4, &p,
	      atm(T_UNICAST, 0, 0));
	CHECK("v4 limit-iface refused", 1u << NF_IN, R, BF_FAMILY_INET4, &p,
	      atm(0, T_BROADCAST, BF_ADDRTYPE_LIMIT_IFACE_IN));
	/* MULTICAST alone is the address's own type: every hook, either
	 * side, --limit-iface-* too */
	CHECK("v4 src MULTICAST, unicast source", all, N, BF_FAMILY_INET4, &p,
	      atm(T_MULTICAST, 0, 0));
	CHECK("v4 dst ! MULTICAST, unicast", all, M, BF_FAMILY_INET4, &p,
	      atm(0, T_MULTICAST, BF_ADDRTYPE_INVERT_DEST));
	p = pu_udp4("224.0.0.5", "239.1.2.3", 1234, 53);
	CHECK("v4 src MULTICAST", all, M, BF_FAMILY_INET4, &p,
	      atm(T_MULTICAST, 0, 0));
	CHECK("v4 dst MULTICAST, limit-iface-in", 1u << NF_IN, M,
	      BF_FAMILY_INET4, &p,
	      atm(0, T_MULTICAST, BF_ADDRTYPE_LIMIT_IFACE_IN));
	CHECK("v4 ! src MULTICAST", all, N, BF_FAMILY_INET4, &p,
	      atm(T_MULTICAST, 0, BF_ADDRTYPE_INVERT_SOURCE));
	printf("addrtype: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

/* ---- owner ---- */

static struct bf_match ownm(uint8_t match, uint8_t inv, uint32_t uid)
{
	struct bf_match m = pu_m(BF_MATCH_OWNER, false);

	m.u.owner.match = match;
	m.u.owner.invert = inv;
	m.u.owner.uid_min = m.u.owner.uid_max = uid;
	m.u.owner.gid_min = m.u.owner.gid_max = uid;
	return m;
}

static void test_owner(void **state)
{
	struct pu_pkt p = pu_udp4("192.0.2.1", "198.51.100.1", 1234, 53);
	unsigned int out = 1u << NF_OUT;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
	/* A test run's packet has no socket: owner_mt()'s first branch,
	 * (match ^ invert) == 0. */
	CHECK("uid without socket", out, N, BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_UID, 0, 0));
	CHECK("! uid without socket", out, M, BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_UID, BF_OWNER_UID, 0));
	CHECK("--socket-exists", out, N, BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_SOCKET, 0, 0));
	CHECK("! --socket-exists", out, M, BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_SOCKET, BF_OWNER_SOCKET, 0));
	CHECK("gid ! uid", out, N, BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_UID | BF_OWNER_GID, BF_OWNER_UID, 0));
	CHECK("owner at tc refused", 1u << TC_OUT, R, BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_UID, 0, 0));
	CHECK("--suppl-groups without socket", out, N, BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_GID | BF_OWNER_SUPPL_GROUPS, 0, 0));
	CHECK("! --gid-owner --suppl-groups without socket", out, N,
	      BF_FAMILY_INET4, &p,
	      ownm(BF_OWNER_GID | BF_OWNER_SUPPL_GROUPS, BF_OWNER_GID, 0));
	printf("owner: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

/* ---- time ---- */

static struct bf_match timem(void)
{
	struct bf_match m = pu_m(BF_MATCH_TIME, false);

	m.u.time.date_start = 0;
	m.u.time.date_stop = INT32_MAX;
	m.u.time.daytime_start = 0;
	m.u.time.daytime_stop = BF_TIME_MAX_DAYTIME;
	m.u.time.monthdays_match = BF_TIME_ALL_MONTHDAYS;
	m.u.time.weekdays_match = BF_TIME_ALL_WEEKDAYS;
	return m;
}

static void test_time(void **state)
{
	unsigned int all = ALL_KINDS & ~(1u << NF_FWD);
	struct pu_pkt p = pu_udp4("192.0.2.1", "198.51.100.1", 1234, 53);
	struct bf_match m;
	struct timezone tz = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	uint32_t sod;
	int wd;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
	gmtime_r(&now, &tm);
	sod = (uint32_t)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	wd = tm.tm_wday ? tm.tm_wday : 7; /* Monday 1 .. Sunday 7 */
	/* well away from the day's ends: the test takes seconds */
	if (sod < 600 || sod > 86400 - 600) {
		printf("time: within 10 minutes of midnight UTC, skipped\n");
		skip();
	}

	m = timem();
	CHECK("always", all, M, BF_FAMILY_INET4, &p, m);
	m.u.time.weekdays_match = (uint8_t)(1u << wd);
	CHECK("today's weekday", all, M, BF_FAMILY_INET4, &p, m);
	m.u.time.weekdays_match = (uint8_t)(BF_TIME_ALL_WEEKDAYS & ~(1u << wd));
	CHECK("the other weekdays", all, N, BF_FAMILY_INET4, &p, m);
	m = timem();
	m.u.time.monthdays_match = 1u << tm.tm_mday;
	CHECK("today's day of the month", all, M, BF_FAMILY_INET4, &p, m);
	m.u.time.monthdays_match = BF_TIME_ALL_MONTHDAYS & ~(1u << tm.tm_mday);
	CHECK("the other days of the month", all, N, BF_FAMILY_INET4, &p, m);
	m = timem();
	m.u.time.date_stop = (uint32_t)(now - 3600);
	CHECK("date range ended", all, N, BF_FAMILY_INET4, &p, m);
	m.u.time.date_start = (uint32_t)(now + 3600);
	m.u.time.date_stop = INT32_MAX;
	CHECK("date range not begun", all, N, BF_FAMILY_INET4, &p, m);
	m.u.time.date_start = (uint32_t)(now - 3600);
	CHECK("date range begun", all, M, BF_FAMILY_INET4, &p, m);
	m = timem();
	m.u.time.daytime_start = sod - 300;
	m.u.time.daytime_stop = sod + 300;
	CHECK("day time around now", all, M, BF_FAMILY_INET4, &p, m);
	m.u.time.daytime_start = sod + 300;
	m.u.time.daytime_stop = sod - 300;
	CHECK("day time across midnight, not now", all, N, BF_FAMILY_INET4, &p,
	      m);
	m.u.time.daytime_start = sod - 300;
	m.u.time.daytime_stop = sod - 400;
	CHECK("day time across midnight, now", all, M, BF_FAMILY_INET4, &p, m);
	/* --contiguous: after midnight counts as the day before; before
	 * midnight (now, here) as today */
	m.u.time.flags = BF_TIME_CONTIGUOUS;
	m.u.time.weekdays_match = (uint8_t)(1u << wd);
	CHECK("contiguous, today", all, M, BF_FAMILY_INET4, &p, m);
	/* --kerneltz: sys_tz moves the day time */
	syscall(SYS_gettimeofday, NULL, &tz);
	m = timem();
	m.u.time.flags = BF_TIME_LOCAL_TZ;
	{
		int64_t local = ((int64_t)sod - 60 * tz.tz_minuteswest) % 86400;

		if (local < 0)
			local += 86400;
		if (local > 600 && local < 86400 - 600) {
			m.u.time.daytime_start = (uint32_t)local - 300;
			m.u.time.daytime_stop = (uint32_t)local + 300;
			CHECK("kerneltz around local now", all, M,
			      BF_FAMILY_INET4, &p, m);
		}
	}
	printf("time: %d runs, %d failures (weekday %d, day %d)\n", runs,
	       failures, wd, tm.tm_mday);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcpmss),	 cmocka_unit_test(test_rt),
		cmocka_unit_test(test_addrtype), cmocka_unit_test(test_owner),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
