// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m frag, -m hbh, -m dst, -m ah (IPv6) and -m ah (IPv4)
 * (src/lib/cgen/m_exthdr.c) with BPF_PROG_TEST_RUN at every attach kind,
 * and the IR interpreter (src/lib/ir/eval_xh.c) on the same packets. The
 * rule under test DROPs and the policy ACCEPTs:
 *   M  matched: DROP, rule counter +1
 *   N  no match: ACCEPT, policy counter +1
 *   H  hotdrop: DROP, no counter
 * Expected results follow frag_mt6(), hbh_mt6() (as 6.18 has it: a
 * header or option running past the packet or the header hotdrops),
 * ah_mt6() and ah_mt(), with ipv6_find_hdr() finding the header.
 */
#include "bpfilter/eval.h"
#include "prog_util.h"

enum {
	M = 1,
	N,
	H,
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

static int failures, runs;

static struct bf_ruleset *one_rule(enum bf_family fam, enum bf_hook hook,
				   const struct bf_match *m, size_t n,
				   struct bf_chain **b)
{
	struct bf_ruleset *rs = bf_ruleset_new();

	*b = bf_ruleset_builtin(rs, fam, hook);
	rs->families = 1u << fam;
	pu_rule(*b, BF_VERDICT_DROP, NULL, m, n);
	return rs;
}

static int outcome(int k, enum bf_family fam, const struct bf_match *m,
		   size_t n, const struct pu_pkt *pkt)
{
	struct bf_chain *b;
	struct bf_ruleset *rs = one_rule(fam, kinds[k].hook, m, n, &b);
	struct bf_counter rc, pc;
	struct pu_prog p;
	int ret, got = 0;

	ret = pu_load(rs, kinds[k].attach, kinds[k].hook, fam, IFNAME, &p);
	if (ret) {
		fprintf(stderr, "load failed at %s: %d\n%s\n", kinds[k].name,
			ret, pu_log);
		bf_ruleset_free(&rs);
		return -1;
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

/* The interpreter's answer (0 if it does not model the rule). */
static int interp(enum bf_family fam, const struct bf_match *m, size_t n,
		  const struct pu_pkt *pkt)
{
	struct bf_chain *b;
	struct bf_ruleset *rs = one_rule(fam, BF_HOOK_INPUT, m, n, &b);
	struct bf_eval_result res;
	struct bf_eval_pkt ep;
	int got = 0;

	if (!bf_eval_pkt_parse(&ep, fam, pkt->b, pkt->len) &&
	    !bf_eval(rs, BF_HOOK_INPUT, &ep, NULL, NULL, &res))
		got = res.hotdrop ? H : res.verdict == BF_VERDICT_DROP ? M : N;
	bf_ruleset_free(&rs);
	return got;
}

static void check(const char *name, int want, enum bf_family fam,
		  const struct bf_match *m, size_t n, const struct pu_pkt *pkt)
{
	int got;

	for (int k = 0; k < N_KINDS; k++) {
		got = outcome(k, fam, m, n, pkt);
		runs++;
		if (got != want) {
			fprintf(stderr, "FAIL %s at %s: want %c, got %c\n",
				name, kinds[k].name, " MNH"[want],
				got > 0 ? " MNH"[got] : '?');
			failures++;
		}
	}
	got = interp(fam, m, n, pkt);
	runs++;
	if (got != want) {
		fprintf(stderr, "FAIL %s in the interpreter: want %c, got %c\n",
			name, " MNH"[want], got > 0 ? " MNH"[got] : '?');
		failures++;
	}
}

#define CHECK(name, want, fam, pkt, ...)                                       \
	do {                                                                   \
		const struct bf_match ms_[] = { __VA_ARGS__ };                 \
		check(name, want, fam, ms_, sizeof(ms_) / sizeof(ms_[0]),      \
		      pkt);                                                    \
	} while (0)

/* IPv6, first next header nh, then `n` bytes of extension headers (their
 * next header fields as given), then a UDP header and 8 bytes; `trunc`
 * != 0 cuts the packet to that many bytes. */
static struct pu_pkt v6(uint8_t nh, const uint8_t *ext, size_t n, size_t trunc)
{
	struct pu_pkt p;
	size_t l4;

	memset(&p, 0, sizeof(p));
	memcpy(p.b + 40, ext, n);
	l4 = pu_udp(p.b + 40 + n, 1234, 53, 8);
	pu_v6(&p, "2001:db8::1", "2001:db8::2", nh, n + l4 + 8);
	if (trunc) {
		uint16_t pl = htons((uint16_t)(trunc - 40));

		p.len = trunc;
		memcpy(p.b + 4, &pl, 2);
	}
	return p;
}

#define V6(nh, trunc, ...)                                                     \
	({                                                                     \
		const uint8_t e_[] = { __VA_ARGS__ };                          \
		v6(nh, e_, sizeof(e_), trunc);                                 \
	})

static struct bf_match fragm(uint8_t flags, uint8_t inv, uint32_t lo,
			     uint32_t hi)
{
	struct bf_match m = pu_m(BF_MATCH_FRAG6, false);

	m.u.frag6.flags = flags;
	m.u.frag6.invflags = inv;
	m.u.frag6.ids[0] = lo;
	m.u.frag6.ids[1] = hi;
	return m;
}

/* a fragment header: next header UDP, offset field fo, id */
#define FRAG(nh, fo, id)                                                       \
	nh, 0, (uint8_t)((fo) >> 8), (uint8_t)(fo), 0, 0, 0, (uint8_t)(id)

static void test_frag(void **state)
{
	struct pu_pkt p;
	struct bf_match m;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
	m = fragm(BF_FRAG6_IDS, 0, 100, 200);
	p = V6(44, 0, FRAG(17, 1, 150));
	CHECK("id 150 in 100:200", M, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(17, 1, 99));
	CHECK("id 99 not in 100:200", N, BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, 44, 0, 1, 4, 0, 0, 0, 0, FRAG(17, 1, 150));
	CHECK("after hop-by-hop", M, BF_FAMILY_INET6, &p, m);
	p = V6(17, 0);
	CHECK("no fragment header", N, BF_FAMILY_INET6, &p, m);
	p = V6(44, 46, FRAG(17, 1, 150));
	CHECK("header cut to 6 bytes: hotdrop", H, BF_FAMILY_INET6, &p, m);
	p = V6(44, 43, FRAG(17, 1, 150));
	CHECK("header cut to 3 bytes: hotdrop", H, BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, 44, 200, 1, 4, 0, 0, 0, 0, FRAG(17, 1, 150));
	CHECK("bad hop-by-hop before it: hotdrop", H, BF_FAMILY_INET6, &p, m);
	m = fragm(BF_FRAG6_IDS, BF_FRAG6_INV_IDS, 100, 200);
	p = V6(44, 0, FRAG(17, 1, 99));
	CHECK("id 99 ! in 100:200", M, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(17, 1, 100));
	CHECK("id 100 ! in 100:200", N, BF_FAMILY_INET6, &p, m);
	m = fragm(BF_FRAG6_FST, 0, 0, UINT32_MAX);
	p = V6(44, 0, FRAG(17, 1, 1));
	CHECK("first: offset 0", M, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(17, 0x10, 1));
	CHECK("first: offset 16", N, BF_FAMILY_INET6, &p, m);
	m = fragm(BF_FRAG6_MF, 0, 0, UINT32_MAX);
	p = V6(44, 0, FRAG(17, 0x11, 1));
	CHECK("more: M set", M, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(17, 0x10, 1));
	CHECK("more: M clear", N, BF_FAMILY_INET6, &p, m);
	m = fragm(BF_FRAG6_NMF, 0, 0, UINT32_MAX);
	p = V6(44, 0, FRAG(17, 0x10, 1));
	CHECK("last: M clear", M, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(17, 0, 1));
	CHECK("last: atomic fragment", M, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(17, 1, 1));
	CHECK("last: M set", N, BF_FAMILY_INET6, &p, m);
	m = fragm(BF_FRAG6_RES, 0, 0, UINT32_MAX);
	p = V6(44, 0, FRAG(17, 1, 1));
	CHECK("reserved clear", M, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, 17, 1, 0, 1, 0, 0, 0, 1);
	CHECK("reserved byte set", N, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(17, 5, 1));
	CHECK("reserved bits set", N, BF_FAMILY_INET6, &p, m);
	/* a non-first fragment whose next header is an extension header:
	 * the header is still found (it is the target) */
	p = V6(44, 0, FRAG(60, 0x10, 1), 17, 0, 1, 4, 0, 0, 0, 0);
	CHECK("non-first fragment before dst", M, BF_FAMILY_INET6, &p, m);
	printf("frag: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

static struct bf_match optsm(bool dst, uint8_t flags, uint8_t inv, uint32_t len,
			     const uint16_t *opts, uint8_t n)
{
	struct bf_match m = pu_m(BF_MATCH_OPTS6, false);

	m.u.opts6.dst = dst;
	m.u.opts6.flags = flags;
	m.u.opts6.invflags = inv;
	m.u.opts6.hdrlen = len;
	m.u.opts6.optsnr = n;
	memcpy(m.u.opts6.opts, opts, n * sizeof(*opts));
	return m;
}

#define OPTS(dst, flags, inv, len, ...)                                        \
	({                                                                     \
		const uint16_t o_[] = { __VA_ARGS__ };                         \
		optsm(dst, flags, inv, len, o_,                                \
		      (uint8_t)(sizeof(o_) / sizeof(o_[0])));                  \
	})

/* an 8-byte options header with PadN (4) */
#define PADN(nh) nh, 0, 1, 4, 0, 0, 0, 0

static void test_opts(void **state)
{
	struct pu_pkt p;
	struct bf_match m;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
	m = OPTS(false, 0, 0, 0, 0);
	m.u.opts6.optsnr = 0;
	p = V6(0, 0, PADN(17));
	CHECK("hbh present", M, BF_FAMILY_INET6, &p, m);
	p = V6(60, 0, PADN(17));
	CHECK("hbh absent (dst)", N, BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, 0, 3, 1, 4, 0, 0, 0, 0);
	CHECK("hbh overruns the packet: hotdrop", H, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_LEN, 0, 8, 0);
	m.u.opts6.optsnr = 0;
	p = V6(0, 0, PADN(17));
	CHECK("hbh-len 8", M, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_LEN, BF_OPTS6_INV_LEN, 16, 0);
	m.u.opts6.optsnr = 0;
	CHECK("! hbh-len 16", M, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_LEN, 0, 16, 0);
	m.u.opts6.optsnr = 0;
	CHECK("hbh-len 16 on 8", N, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0x0104);
	CHECK("hbh-opts 1:4", M, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0x01ff);
	CHECK("hbh-opts 1", M, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0x0103);
	CHECK("hbh-opts 1:3", N, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0x05ff);
	CHECK("hbh-opts 5", N, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0x0104, 0x00ff);
	CHECK("hbh-opts 1:4,0 past the header's end", N, BF_FAMILY_INET6, &p,
	      m);
	m = OPTS(false, BF_OPTS6_OPTS | BF_OPTS6_LEN, 0, 16, 0x0104);
	CHECK("hbh-len 16 hbh-opts 1:4", N, BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, 17, 0, 0, 0, 5, 2, 0, 0);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0x00ff, 0x00ff, 0x0502);
	CHECK("hbh-opts 0,0,5:2", M, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_OPTS | BF_OPTS6_LEN, 0, 16, 0x00ff, 0x00ff,
		 0x0502);
	CHECK("hbh-len 16 hbh-opts 0,0,5:2", N, BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, 17, 0, 1, 10, 0, 0, 0, 0);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0x01ff);
	CHECK("option past the header: hotdrop", H, BF_FAMILY_INET6, &p, m);
	m = OPTS(false, BF_OPTS6_OPTS | BF_OPTS6_LEN, 0, 16, 0x01ff);
	CHECK("option past the header, length wrong: hotdrop", H,
	      BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, 17, 0, 0, 0, 0, 0, 0, 5);
	m = OPTS(false, BF_OPTS6_OPTS, 0, 0, 0, 0, 0, 0, 0, 0x05ff);
	CHECK("no length field: hotdrop", H, BF_FAMILY_INET6, &p, m);
	m = OPTS(true, 0, 0, 0, 0);
	m.u.opts6.optsnr = 0;
	p = V6(0, 0, PADN(60), PADN(17));
	CHECK("dst after hbh", M, BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, PADN(17));
	CHECK("dst absent", N, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(60, 0x10, 1), PADN(17));
	CHECK("dst after a non-first fragment: none", N, BF_FAMILY_INET6, &p,
	      m);
	p = V6(0, 0, 60, 200, 1, 4, 0, 0, 0, 0, PADN(17));
	CHECK("dst behind an overrunning hbh: hotdrop", H, BF_FAMILY_INET6, &p,
	      m);
	m = OPTS(true, BF_OPTS6_OPTS, 0, 0, 0x0104);
	p = V6(43, 0, 60, 0, 0, 0, 0, 0, 0, 0, PADN(17));
	CHECK("dst-opts 1:4 after a routing header", M, BF_FAMILY_INET6, &p, m);
	printf("hbh/dst: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

static struct bf_match ahm(uint8_t inv, uint32_t lo, uint32_t hi, uint32_t len,
			   uint8_t res)
{
	struct bf_match m = pu_m(BF_MATCH_AH, false);

	m.u.ah.invflags = inv;
	m.u.ah.spis[0] = lo;
	m.u.ah.spis[1] = hi;
	m.u.ah.hdrlen = len;
	m.u.ah.hdrres = res;
	return m;
}

/* AH, 16 bytes (length field 2), SPI 0x1234 */
#define AH(nh, res) nh, 2, 0, res, 0, 0, 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0

static void test_ah(void **state)
{
	struct pu_pkt p;
	struct bf_match m, proto = pu_proto(51, false);

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
	m = ahm(0, 4660, 4660, 0, 0);
	p = V6(51, 0, AH(17, 0));
	CHECK("spi 4660", M, BF_FAMILY_INET6, &p, m);
	p = V6(0, 0, PADN(51), AH(17, 0));
	CHECK("spi 4660 after hbh", M, BF_FAMILY_INET6, &p, m);
	p = V6(17, 0);
	CHECK("no AH", N, BF_FAMILY_INET6, &p, m);
	p = V6(51, 48, AH(17, 0));
	CHECK("AH cut to 8 bytes: hotdrop", H, BF_FAMILY_INET6, &p, m);
	p = V6(44, 0, FRAG(60, 0x10, 1), PADN(51), AH(17, 0));
	CHECK("AH after a non-first fragment: none", N, BF_FAMILY_INET6, &p, m);
	m = ahm(BF_AH_INV_SPI, 1, 4000, 0, 0);
	p = V6(51, 0, AH(17, 0));
	CHECK("spi ! 1:4000", M, BF_FAMILY_INET6, &p, m);
	m = ahm(0, 1, 4000, 0, 0);
	CHECK("spi 1:4000", N, BF_FAMILY_INET6, &p, m);
	m = ahm(0, 0, UINT32_MAX, 16, 0);
	CHECK("ahlen 16", M, BF_FAMILY_INET6, &p, m);
	m = ahm(BF_AH_INV_LEN, 0, UINT32_MAX, 12, 0);
	CHECK("! ahlen 12", M, BF_FAMILY_INET6, &p, m);
	m = ahm(0, 0, UINT32_MAX, 12, 0);
	CHECK("ahlen 12", N, BF_FAMILY_INET6, &p, m);
	m = ahm(0, 0, UINT32_MAX, 0, 1);
	CHECK("ahres, reserved 0", M, BF_FAMILY_INET6, &p, m);
	p = V6(51, 0, AH(17, 1));
	CHECK("ahres, reserved 1", N, BF_FAMILY_INET6, &p, m);

	/* IPv4: -p ah -m ah, the header at the transport offset */
	m = ahm(0, 4660, 4660, 0, 0);
	memset(&p, 0, sizeof(p));
	{
		const uint8_t ah[] = { AH(59, 0) };

		memcpy(p.b + 20, ah, sizeof(ah));
	}
	pu_v4(&p, "192.0.2.1", "192.0.2.2", 51, 16, 0);
	CHECK("v4 spi 4660", M, BF_FAMILY_INET4, &p, proto, m);
	m = ahm(BF_AH_INV_SPI, 4660, 4660, 0, 0);
	CHECK("v4 spi ! 4660", N, BF_FAMILY_INET4, &p, proto, m);
	m = ahm(0, 4660, 4660, 0, 0);
	pu_v4(&p, "192.0.2.1", "192.0.2.2", 51, 8, 0);
	CHECK("v4 AH cut to 8 bytes: hotdrop", H, BF_FAMILY_INET4, &p, proto,
	      m);
	pu_v4(&p, "192.0.2.1", "192.0.2.2", 51, 16, 2);
	CHECK("v4 non-first fragment", N, BF_FAMILY_INET4, &p, proto, m);
	printf("ah: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

static void test_mh(void **state)
{
	struct bf_match m = pu_m(BF_MATCH_MH, false),
			proto = pu_proto(135, false);
	struct pu_pkt p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	failures = runs = 0;
	m.u.mh.types[0] = 5;
	m.u.mh.types[1] = 6;
	/* MH (payload proto NONE, length 0, type), then the UDP bytes V6()
	 * appends as its data */
	p = V6(135, 0, 59, 0, 5, 0, 0, 0, 0, 0);
	CHECK("type 5 in 5:6", M, BF_FAMILY_INET6, &p, proto, m);
	p = V6(135, 0, 59, 0, 4, 0, 0, 0, 0, 0);
	CHECK("type 4 not in 5:6", N, BF_FAMILY_INET6, &p, proto, m);
	p = V6(135, 0, 17, 0, 5, 0, 0, 0, 0, 0);
	CHECK("payload proto not NONE: hotdrop", H, BF_FAMILY_INET6, &p, proto,
	      m);
	p = V6(135, 45, 59, 0, 5, 0, 0, 0, 0, 0);
	CHECK("header cut to 5 bytes: hotdrop", H, BF_FAMILY_INET6, &p, proto,
	      m);
	p = V6(44, 0, FRAG(135, 0x10, 1), 59, 0, 5, 0, 0, 0, 0, 0);
	CHECK("non-first fragment", N, BF_FAMILY_INET6, &p, proto, m);
	m.u.mh.invert = true;
	p = V6(135, 0, 59, 0, 4, 0, 0, 0, 0, 0);
	CHECK("type 4 ! in 5:6", M, BF_FAMILY_INET6, &p, proto, m);
	printf("mh: %d runs, %d failures\n", runs, failures);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_ah),
		cmocka_unit_test(test_mh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
