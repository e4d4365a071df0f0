// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bit-vector search over general rules (src/lib/opt/lbvs.c,
 * src/lib/cgen/c_lbvs.c): a chain whose general rules are classified must
 * give exactly the verdicts and counters (packets and bytes) of the same
 * rules compiled one by one, at netfilter, tc and XDP. Each test checks
 * that the rules were really classified, then compares both programs on
 * the same packets: prefixes of every length (negated or not), port
 * ranges, TCP flags, protocols, duplicates and overlaps (the first rule
 * wins), rules just before and after runs of members, members between
 * folded groups, jumps, interface and counting rules, short transport
 * headers, fragments at offsets 0, 1 and more, IPv6 extension headers and
 * walk errors, 10,000 random general rules, and the dispatch over runs of
 * folded groups and members (test_dispatch_run).
 */
#include <arpa/inet.h>

#include "cgen/c_lbvs.h"
#include "cgen/c_lbvs_iv.h"
#include "opt/lbvs.h"
#include "opt/opt.h"
#include "prog_util.h"

#define V4 BF_FAMILY_INET4
#define V6 BF_FAMILY_INET6

static const struct {
	enum bf_attach_kind attach;
	enum bf_hook hook;
} kinds[] = {
	{ BF_ATTACH_NF, BF_HOOK_INPUT },
	{ BF_ATTACH_TC, BF_HOOK_INPUT },
	{ BF_ATTACH_XDP, BF_HOOK_INPUT },
};

/* the search's budget (small: chains split into several searches) */
static uint64_t opt_max_bytes = 128ull << 20;

static void set_opts(bool on)
{
	struct bf_fold_options f = { .enabled = on, .min_rules = 2 };
	struct bf_lbvs_options l = { .enabled = on,
				     .min_members = 4,
				     .max_bytes = opt_max_bytes };

	bf_fold_set_options(&f);
	bf_lbvs_set_options(&l);
}

static void load_pair(struct bf_ruleset *rs, size_t k, enum bf_family fam,
		      struct pu_pair *p)
{
	pu_pair_load(rs, kinds[k].attach, kinds[k].hook, fam, set_opts,
		     "classified", p);
}

/* Members of the chain's bit-vector search (0: not classified). */
static size_t members_of(const struct bf_chain *c)
{
	struct bf_fold_group *g = NULL;
	struct bf_lbvs *l = NULL;
	size_t ng = 0, n = 0;

	set_opts(true);
	assert_int_equal(bf_fold_chain(c, &g, &ng), 0);
	assert_int_equal(bf_lbvs_select(c, g, ng, &l), 0);
	if (l)
		n = l->n_members;
	bf_lbvs_free(&l);
	free(g);
	return n;
}

static uint32_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static const uint16_t ports[] = { 22, 53, 80, 443, 1500, 8080 };

static struct bf_match flags_m(uint8_t mask, uint8_t cmp, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_TCPFLAGS, neg);

	m.u.tcpflags.mask = mask;
	m.u.tcpflags.cmp = cmp;
	return m;
}

/* An address from small pools, so that prefixes nest and overlap. */
static void rnd_addr(enum bf_family fam, bool src, char *a, size_t n)
{
	if (fam == V6)
		snprintf(a, n, "2001:db8:%x::%x", rnd(3), 1 + rnd(6));
	else if (src)
		snprintf(a, n, "198.51.%u.%u", 100 + rnd(3), 1 + rnd(200));
	else
		snprintf(a, n, "192.0.2.%u", 1 + rnd(20));
}

/* One random general rule: each field present with some probability,
 * prefixes of any length, ranges, negations, flags. */
static void general_rule(struct bf_chain *c, enum bf_family fam,
			 enum bf_verdict_kind v)
{
	struct bf_match ms[8];
	size_t n = 0;
	int alen = fam == V6 ? 128 : 32;
	char a[64];
	uint32_t pr = rnd(5);
	uint8_t proto = pr < 2 ? 6 : pr < 4 ? 17 : (fam == V6 ? 58 : 1);
	int r = 0;

	if (rnd(3)) {
		rnd_addr(fam, true, a, sizeof(a));
		ms[n++] = pu_addr(BF_MATCH_SADDR, a,
				  rnd(4) ? alen - (int)rnd(24) :
					   (int)rnd(alen + 1),
				  !rnd(6));
	}
	if (rnd(2)) {
		rnd_addr(fam, false, a, sizeof(a));
		ms[n++] = pu_addr(BF_MATCH_DADDR, a, alen - (int)rnd(12),
				  !rnd(6));
	}
	if (rnd(5)) {
		ms[n++] = pu_proto(proto, !rnd(8));
		if (!ms[n - 1].neg && proto != 1 && proto != 58) {
			bool tcp = proto == 6;

			ms[n++] = pu_l4hdr(proto, tcp ? 20 : 8, tcp);
			if (rnd(2)) {
				uint16_t lo = ports[rnd(6)];

				ms[n++] = pu_ports(
					BF_MATCH_DPORT, lo,
					(uint16_t)(lo + rnd(3) * rnd(500)),
					!rnd(6));
			}
			if (rnd(3) == 0)
				ms[n++] = pu_ports(
					BF_MATCH_SPORT,
					(uint16_t)(1000 + rnd(500)),
					(uint16_t)(1500 + rnd(40000)), !rnd(5));
			if (tcp && rnd(2))
				ms[n++] = flags_m(rnd(2) ? 0x12 : 0x3f,
						  rnd(2) ? 0x02 : 0x10,
						  !rnd(5));
		}
	}
	(void)r;
	pu_rule(c, v, NULL, ms, n);
}

static enum bf_verdict_kind rnd_verdict(bool user)
{
	static const enum bf_verdict_kind vs[] = {
		BF_VERDICT_ACCEPT,
		BF_VERDICT_DROP,
		BF_VERDICT_DROP,
		BF_VERDICT_RETURN,
	};
	enum bf_verdict_kind v = vs[rnd(4)];

	if (v == BF_VERDICT_RETURN && !user && rnd(2))
		v = BF_VERDICT_ACCEPT;
	return v;
}

/* A rule that is not a member, or a folded run. */
static void other_rule(struct bf_chain *c, enum bf_family fam, bool user,
		       bool has_user)
{
	char a[64];

	rnd_addr(fam, true, a, sizeof(a));
	switch (rnd(5)) {
	case 0: /* counting rule (no target) */
		PU_RULE(c, BF_VERDICT_CONTINUE, NULL,
			pu_addr(BF_MATCH_SADDR, a, fam == V6 ? 64 : 16, false));
		break;
	case 1:
		if (has_user && !user) {
			PU_RULE(c, rnd(2) ? BF_VERDICT_JUMP : BF_VERDICT_GOTO,
				"U",
				pu_addr(BF_MATCH_SADDR, a, fam == V6 ? 48 : 17,
					false));
			break;
		}
		/* fallthrough */
	case 2: /* an interface match */
		PU_RULE(c, rnd_verdict(user), NULL,
			pu_iface(BF_MATCH_IIFNAME, rnd(2) ? "veth0" : "eth+",
				 false),
			pu_proto(6, false));
		break;
	default: /* a run that folds */
		for (int i = 0, n = 2 + (int)rnd(6); i < n; i++) {
			rnd_addr(fam, true, a, sizeof(a));
			PU_RULE(c, rnd_verdict(user), NULL,
				pu_addr(BF_MATCH_SADDR, a, fam == V6 ? 128 : 32,
					false));
		}
		break;
	}
}

static struct pu_pkt random_pkt(enum bf_family fam)
{
	char a[64], d[64];
	uint32_t pr = rnd(5), x = rnd(12);
	struct pu_spec s = { .fam = fam };

	s.proto = pr < 2 ? 6 : pr < 4 ? 17 : (fam == V6 ? 58 : 1);
	rnd_addr(fam, true, a, sizeof(a));
	rnd_addr(fam, false, d, sizeof(d));
	if (!rnd(8))
		snprintf(a, sizeof(a),
			 fam == V6 ? "2001:db8:ff::1" : "203.0.113.%u",
			 rnd(255));
	s.src = a;
	s.dst = d;
	s.sport = rnd(2) ? (uint16_t)(1000 + rnd(41000)) : ports[rnd(6)];
	s.dport = rnd(3) ? (uint16_t)(ports[rnd(6)] + rnd(3) * rnd(300)) :
			   (uint16_t)rnd(65536);
	s.flags = (uint8_t)(rnd(2) ? 0x02 : rnd(64));
	if (x == 0)
		s.l4len = (int)rnd(12); /* short transport header */
	else if (x == 1 && fam == V4)
		s.frag = (uint16_t)rnd(3); /* fragment offsets 0..2 */
	else if (x == 2 && fam == V6) {
		s.n_ext = 1;
		s.ext[0] = rnd(2) ? 0 : 44; /* hop-by-hop or fragment */
		s.ext_frag = (uint16_t)(rnd(2) * 8);
	} else if (x == 3 && fam == V6) {
		/* an extension header walk error */
		s.n_fill = 20;
		s.l4len = -1;
		s.trunc = 40 + 18 * 8 + 1;
	}
	return pu_build(&s);
}

/* Random chains of general rules between other rules. */
static void random_family(enum bf_family fam, uint32_t seeds)
{
	size_t classified = 0;

	for (uint32_t seed = 1; seed <= seeds; seed++) {
		size_t k = seed % ARRAY_SIZE(kinds);
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, fam, kinds[k].hook);
		bool has_user = seed % 2;
		struct pu_pair p;

		rnd_state = seed * 7919u + fam;
		rs->families = 1u << fam;
		b->policy = rnd(2) ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT;
		if (has_user) {
			struct bf_chain *u = NULL;

			assert_int_equal(
				bf_ruleset_add_chain(rs, fam, "U", 0, &u), 0);
			for (int i = 0; i < 40; i++) {
				if (rnd(5))
					general_rule(u, fam, rnd_verdict(true));
				else
					other_rule(u, fam, true, false);
			}
			b = bf_ruleset_builtin(rs, fam, kinds[k].hook);
		}
		for (int i = 0; i < 120; i++) {
			if (rnd(6))
				general_rule(b, fam, rnd_verdict(false));
			else
				other_rule(b, fam, false, has_user);
		}
		bf_ruleset_number(rs);
		classified += members_of(b);
		load_pair(rs, k, fam, &p);
		for (int i = 0; i < 400; i++) {
			struct pu_pkt t = random_pkt(fam);

			pu_pair_run(&p, &t, fam);
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
	/* the chains were classified */
	assert_true(classified >= seeds * 60);
}

static void test_random_v4(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	random_family(V4, 12);
}

static void test_random_v6(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	random_family(V6, 9);
}

/* Known answers: duplicates and overlaps (the first wins), a rule before
 * and after the members, a folded run between two blocks, negations,
 * hotdrops of short headers and offset-1 fragments. */
static void test_first_match(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct pu_pair p;
		char a[32];

		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		/* 0: before, not a member (counting rule) */
		PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
			pu_addr(BF_MATCH_SADDR, "198.51.100.0", 24, false));
		/* 1..8: members: /8 .. /32 of 10.1.2.3, TCP dport ranges */
		for (int i = 0; i < 8; i++) {
			PU_RULE(b, i % 2 ? BF_VERDICT_ACCEPT : BF_VERDICT_DROP,
				NULL,
				pu_addr(BF_MATCH_SADDR, "10.1.2.3", 32 - 3 * i,
					false),
				pu_proto(6, false), pu_l4hdr(6, 20, true),
				pu_ports(BF_MATCH_DPORT, (uint16_t)(100 * i),
					 (uint16_t)(100 * i + 99), false));
		}
		/* 9..12: a folded run */
		for (int i = 0; i < 4; i++) {
			snprintf(a, sizeof(a), "192.0.2.%d", 1 + i);
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				pu_addr(BF_MATCH_DADDR, a, 32, false));
		}
		/* 13: duplicate of rule 1 (never counts) */
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_SADDR, "10.1.2.3", 32, false),
			pu_proto(6, false), pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_DPORT, 0, 99, false));
		/* 14: negated source, UDP */
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "10.0.0.0", 8, true),
			pu_proto(17, false), pu_l4hdr(17, 8, false));
		/* 15: SYN without ACK from 10/8 */
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "10.0.0.0", 8, false),
			pu_proto(6, false), pu_l4hdr(6, 20, true),
			flags_m(0x12, 0x02, false));
		/* 16: after: ICMP accept (not a member: interface) */
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_iface(BF_MATCH_IIFNAME, "veth0", false),
			pu_proto(1, false));
		bf_ruleset_number(rs);
		{
			struct bf_lbvs_options o = { .enabled = true,
						     .min_members = 4,
						     .max_bytes = 1 << 30 };

			bf_lbvs_set_options(&o);
			assert_int_equal(members_of(b), 11);
		}
		load_pair(rs, k, V4, &p);
		const struct {
			const char *src, *dst;
			int proto;
			uint16_t dport;
			uint8_t flags;
			int l4len;
			uint16_t frag;
			int want, rule; /* rule counted, -1 none */
		} cases[] = {
			{ "10.1.2.3", "192.0.2.9", 6, 50, 0x10, 0, 0, 0, 1 },
			{ "10.1.2.3", "192.0.2.9", 6, 150, 0x10, 0, 0, 1, 2 },
			{ "10.1.2.5", "192.0.2.9", 6, 150, 0x10, 0, 0, 1, 2 },
			{ "10.1.2.9", "192.0.2.9", 6, 50, 0x10, 0, 0, 1, -1 },
			{ "10.1.2.3", "192.0.2.9", 6, 799, 0x10, 0, 0, 1, 8 },
			{ "10.20.2.3", "192.0.2.9", 6, 750, 0x10, 0, 0, 1, 8 },
			{ "10.1.2.3", "192.0.2.2", 6, 900, 0x10, 0, 0, 0, 10 },
			{ "10.1.2.3", "192.0.2.9", 6, 900, 0x02, 0, 0, 0, 15 },
			{ "11.1.2.3", "192.0.2.9", 17, 900, 0, 0, 0, 0, 14 },
			{ "10.1.2.3", "192.0.2.9", 17, 900, 0, 0, 0, 1, -1 },
			/* short TCP header from 10.1.2.3: rule 1 hotdrops */
			{ "10.1.2.3", "192.0.2.9", 6, 50, 0, 10, 0, 0, -1 },
			/* short TCP from elsewhere: rule 15 still hotdrops
			 * only for 10/8; 11.x passes to the policy */
			{ "11.1.2.3", "192.0.2.9", 6, 50, 0, 10, 0, 1, -1 },
			/* offset 1 fragment: hotdrop; offset 2: skip */
			{ "10.1.2.3", "192.0.2.9", 6, 50, 0, 0, 1, 0, -1 },
			{ "10.1.2.3", "192.0.2.9", 6, 50, 0, 0, 2, 1, -1 },
			/* short UDP from 11.x: rule 14 hotdrops */
			{ "11.1.2.3", "192.0.2.9", 17, 50, 0, 4, 0, 0, -1 },
			{ "10.1.2.3", "192.0.2.9", 1, 0, 0, 0, 0, 1, -1 },
		};
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct pu_pkt t = pu_build(
				&(struct pu_spec){ .src = cases[i].src,
						   .dst = cases[i].dst,
						   .proto = cases[i].proto,
						   .sport = 1234,
						   .dport = cases[i].dport,
						   .flags = cases[i].flags,
						   .l4len = cases[i].l4len,
						   .frag = cases[i].frag });
			uint64_t before =
				cases[i].rule >= 0 ?
					pu_packets(&p.o, b->rules[cases[i].rule]
								 .counter_idx) :
					0;

			if (pu_pair_run(&p, &t, V4) != cases[i].want)
				fail_msg("case %zu: wrong verdict", i);
			if (cases[i].rule >= 0 &&
			    pu_packets(&p.o,
				       b->rules[cases[i].rule].counter_idx) !=
				    before + 1)
				fail_msg("case %zu: rule %d not counted", i,
					 cases[i].rule);
		}
		assert_int_equal(pu_packets(&p.o, b->rules[13].counter_idx), 0);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* IPv4 address fields are searched as intervals (cgen/c_lbvs_iv.c):
 * nested and disjoint prefixes, /0, /1, /31, /32 at both ends of the
 * address space, a negated prefix, port ranges at 0 and 65535; probes at
 * every prefix's first and last address and just outside them. */
static void test_interval_edges(void **state)
{
	static const struct {
		const char *a;
		int len;
	} src[] = { { "10.1.2.3", 32 },	     { "10.1.2.0", 24 },
		    { "10.1.0.0", 16 },	     { "10.0.0.0", 8 },
		    { "0.0.0.0", 32 },	     { "255.255.255.255", 32 },
		    { "128.0.0.0", 1 },	     { "10.1.2.128", 25 },
		    { "10.255.255.255", 32 } },
	  dst[] = { { "198.51.100.255", 32 },
		    { "198.51.100.0", 24 },
		    { "0.0.0.0", 1 },
		    { "255.255.255.254", 31 } };
	static const uint16_t port[] = { 0, 1, 80, 65534, 65535 };

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct bf_fold_group *g = NULL;
		struct bf_lbvs *l = NULL;
		struct pu_pair p;
		size_t ng = 0, n = 0;

		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "10.1.2.3", 32, false),
			pu_proto(6, false), pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_DPORT, 0, 0, false));
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_SADDR, "10.1.2.0", 24, false),
			pu_proto(6, false), pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_DPORT, 65535, 65535, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "10.1.0.0", 16, false),
			pu_proto(17, false), pu_l4hdr(17, 8, false),
			pu_ports(BF_MATCH_DPORT, 1, 65534, true));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "10.0.0.0", 8, true),
			pu_proto(6, false), pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_DPORT, 80, 80, false));
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_SADDR, "0.0.0.0", 32, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "255.255.255.255", 32, false),
			pu_proto(17, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "128.0.0.0", 1, false),
			pu_addr(BF_MATCH_DADDR, "198.51.100.255", 32, false));
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_DADDR, "198.51.100.0", 24, false),
			pu_proto(6, false), pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_SPORT, 0, 0, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "0.0.0.0", 0, false),
			pu_addr(BF_MATCH_DADDR, "0.0.0.0", 1, false),
			pu_proto(17, false), pu_l4hdr(17, 8, false),
			pu_ports(BF_MATCH_SPORT, 65535, 65535, false));
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_SADDR, "10.1.2.128", 25, false),
			pu_addr(BF_MATCH_DADDR, "198.51.100.0", 24, true));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "10.255.255.255", 32, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_DADDR, "255.255.255.254", 31, false),
			pu_proto(6, false));
		bf_ruleset_number(rs);
		/* classified, and its address fields are intervals */
		set_opts(true);
		assert_int_equal(bf_fold_chain(b, &g, &ng), 0);
		assert_int_equal(bf_lbvs_select(b, g, ng, &l), 0);
		assert_non_null(l);
		assert_int_equal(l->n_members, 12);
		assert_int_equal(bf_lbvs_build(b, l), 0);
		assert_true(bf_iv_used(&l->fmap[BF_LBVS_SADDR]));
		assert_true(bf_iv_used(&l->fmap[BF_LBVS_DADDR]));
		bf_lbvs_free(&l);
		free(g);
		load_pair(rs, k, V4, &p);
		for (size_t i = 0; i < ARRAY_SIZE(src); i++) {
			for (int si = 0; si < 4; si++) {
				uint32_t lo = ntohl(inet_addr(src[i].a)), a;
				uint32_t sz = src[i].len ?
						      1u << (32 - src[i].len) :
						      0;
				char sa[INET_ADDRSTRLEN], da[INET_ADDRSTRLEN];

				/* first - 1, first, last, last + 1 */
				a = si == 0 ? lo - 1 :
				    si == 1 ? lo :
				    si == 2 ? lo + sz - 1 :
					      lo + sz;
				inet_ntop(AF_INET, &(uint32_t){ htonl(a) }, sa,
					  sizeof(sa));
				for (size_t j = 0; j < ARRAY_SIZE(dst); j++) {
					uint32_t dlo =
						ntohl(inet_addr(dst[j].a));
					uint32_t dsz = 1u << (32 - dst[j].len);
					uint32_t d = (j + (size_t)si) % 2 ?
							     dlo + dsz - 1 :
							     dlo - (si == 3);

					inet_ntop(AF_INET,
						  &(uint32_t){ htonl(d) }, da,
						  sizeof(da));
					for (int proto = 0; proto < 2;
					     proto++, n++) {
						struct pu_pkt t = pu_build(&(
							struct pu_spec){
							.src = sa,
							.dst = da,
							.proto = proto ? 17 : 6,
							.sport = port[n % 5],
							.dport =
								port[n / 5 % 5],
							.flags = 0x10 });

						pu_pair_run(&p, &t, V4);
					}
				}
			}
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* The class of address a in the interval map m of fm (c_lbvs_iv.c's
 * layout, as the emitted code reads it). */
static uint32_t iv_sim(const struct bf_lbvs_fmap *fm,
		       const struct bf_prog_map *m, uint32_t a)
{
	const uint32_t *w = (const uint32_t *)m->vals;
	uint32_t pos = 0, rows;

	if (fm->iv_steps) {
		rows = fm->iv_rows;
		if (a >= fm->iv_lo) {
			uint32_t j = (a - fm->iv_lo) >> fm->iv_shift;
			uint32_t levels = fm->iv_steps;

			pos = w[2 * rows + (j < fm->iv_nb ? j : fm->iv_nb - 1)];
			if (levels > BF_IV_SHORT && pos >> 31) {
				pos &= ~(1u << 31);
				levels = BF_IV_SHORT;
			}
			for (uint32_t st = 1u << (levels - 1); st; st /= 2)
				pos += w[pos + st] <= a ? st : 0;
		}
		return w[rows + pos];
	}
	rows = bf_iv_size(fm->n);
	for (uint32_t st = rows / 2; st; st /= 2)
		pos += w[pos + st] <= a ? st : 0;
	return w[rows + pos];
}

/* The class of a by the LPM entries of fm: the longest prefix. */
static uint32_t iv_lpm(const struct bf_lbvs_fmap *fm, uint32_t a)
{
	uint32_t best = 0, cls = UINT32_MAX;

	for (uint32_t i = 0; i < fm->n; i++) {
		const uint8_t *k = fm->keys + (size_t)i * fm->key_size;
		uint32_t plen, pfx, mask;

		memcpy(&plen, k, 4);
		pfx = (uint32_t)k[4] << 24 | (uint32_t)k[5] << 16 |
		      (uint32_t)k[6] << 8 | k[7];
		mask = plen ? ~0u << (32 - plen) : 0;
		if ((a & mask) == (pfx & mask) &&
		    (cls == UINT32_MAX || plen >= best)) {
			best = plen;
			cls = fm->values[i];
		}
	}
	return cls;
}

/* Interval searches with buckets (c_lbvs_iv.h): chains of 20 to 400
 * source and destination prefixes clustered in a few /16 (and some wide
 * ones, 0.0.0.0/32 and 255.255.255.255/32), so that buckets hold up to
 * tens of bounds and several chains have a bucket whose bound count is a
 * power of two (the search's last step). The map's answer for every
 * prefix's first - 1, first, last and last + 1 address and random ones
 * against the longest prefix; then, at nf, tc and XDP, the classified
 * chain against linear code on those packets. Buckets one step too
 * shallow, or the wrong bucket, fail it. */
static void test_interval_buckets(void **state)
{
	static const uint32_t base[] = { 0x0a010000, 0x0a0f0000 };
	int bucketed = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (uint32_t n = 60, seed = 1; n <= 500; n += n / 4, seed++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
		struct bf_fold_group *g = NULL;
		struct bf_lbvs *l = NULL;
		size_t ng = 0;
		uint32_t *addrs = calloc(n, sizeof(*addrs));
		uint8_t *lens = calloc(n, 1);
		char a[INET_ADDRSTRLEN];

		assert_non_null(addrs);
		assert_non_null(lens);
		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		rnd_state = seed * 7919u;
		for (uint32_t i = 0; i < n; i++) {
			int len = i % 17 == 3 ? 8 + (int)rnd(9) :
						20 + (int)rnd(13);
			uint32_t r = rnd(8),
				 x = r < 2 ? base[r] | rnd(1u << 16) :
					     0x0a000000 | rnd(1u << 20);

			/* outliers in some chains: one bucket for all */
			if (i == 5 && seed % 3 == 0)
				x = 0, len = 32;
			if (i == 6 && seed % 3 == 0)
				x = ~0u, len = 32;
			x &= len ? ~0u << (32 - len) : 0;
			addrs[i] = x;
			lens[i] = (uint8_t)len;
			inet_ntop(AF_INET, &(uint32_t){ htonl(x) }, a,
				  sizeof(a));
			PU_RULE(b, i % 2 ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT,
				NULL,
				pu_addr(i % 3 ? BF_MATCH_SADDR : BF_MATCH_DADDR,
					a, len, false));
		}
		bf_ruleset_number(rs);
		set_opts(true);
		assert_int_equal(bf_fold_chain(b, &g, &ng), 0);
		assert_int_equal(bf_lbvs_select(b, g, ng, &l), 0);
		assert_non_null(l);
		assert_int_equal(bf_lbvs_build(b, l), 0);
		for (int f = BF_LBVS_SADDR; f <= BF_LBVS_DADDR; f++) {
			struct bf_lbvs_fmap *fm = &l->fmap[f];
			struct bf_prog_map m;

			assert_true(bf_iv_used(fm));
			assert_int_equal(bf_iv_map(fm, &m), 0);
			bucketed += fm->iv_steps > 0;
			for (uint32_t i = 0; i < n + 200; i++) {
				uint32_t lo = i < n ? addrs[i] : rnd(~0u),
					 sz = i < n && lens[i] ?
						      ~(~0u << (32 - lens[i])) :
						      ~0u;
				uint32_t t[4] = { lo - 1, lo, lo + sz,
						  lo + sz + 1 };

				for (int q = 0; q < 4; q++)
					assert_int_equal(iv_sim(fm, &m, t[q]),
							 iv_lpm(fm, t[q]));
			}
			free(m.vals);
		}
		bf_lbvs_free(&l);
		free(g);
		/* the programs (a few sizes: each takes a while to load) */
		for (size_t k = 0; k < ARRAY_SIZE(kinds) && n > 100 && n < 200;
		     k++) {
			struct pu_pair p;

			load_pair(rs, k, V4, &p);
			for (uint32_t i = 0; i < n; i++) {
				char sa[INET_ADDRSTRLEN], da[INET_ADDRSTRLEN];
				uint32_t sz = lens[i] ?
						      ~(~0u << (32 - lens[i])) :
						      ~0u;
				uint32_t s0 = addrs[i] - 1 + (i % 3),
					 d0 = addrs[(i * 7) % n] + sz + (i % 2);

				inet_ntop(AF_INET, &(uint32_t){ htonl(s0) }, sa,
					  sizeof(sa));
				inet_ntop(AF_INET, &(uint32_t){ htonl(d0) }, da,
					  sizeof(da));
				struct pu_pkt t = pu_build(
					&(struct pu_spec){ .src = sa,
							   .dst = da,
							   .proto = 17,
							   .sport = 1000,
							   .dport = 53 });
				pu_pair_run(&p, &t, V4);
			}
			pu_pair_same_counters(&p);
			pu_pair_close(&p);
		}
		bf_ruleset_free(&rs);
		free(addrs);
		free(lens);
	}
	/* most of these chains' fields have buckets */
	assert_true(bucketed >= 8);
}

/* Whether the chain's classifier gets per-protocol searches. */
static bool pp_used(const struct bf_chain *c)
{
	struct bf_fold_group *g = NULL;
	struct bf_prog_map *maps = NULL;
	uint32_t idx[BF_LBVS_FIELD_COUNT + 1];
	struct bf_lbvs *l = NULL;
	size_t ng = 0, nm = 0, next = 0;
	bool used;

	set_opts(true);
	assert_int_equal(bf_fold_chain(c, &g, &ng), 0);
	assert_int_equal(bf_lbvs_select(c, g, ng, &l), 0);
	assert_non_null(l);
	assert_int_equal(bf_lbvs_build(c, l), 0);
	assert_int_equal(bf_lbvs_maps(l, &maps, &nm, &next, idx), 0);
	used = l->pp != NULL;
	for (size_t i = 0; i < nm; i++) {
		free(maps[i].keys);
		free(maps[i].values);
		free(maps[i].vals);
	}
	free(maps);
	bf_lbvs_free(&l);
	free(g);
	return used;
}

/* Per-protocol searches (cgen/c_lbvs_pp.c): 3,000 rules of TCP, UDP and
 * ICMP interleaved, each with a source /24 of its own, so that a probe
 * matches one rule deep in the chain (or none): the index found in a
 * protocol's compressed vectors must map back to that rule. */
static void test_proto_sparse(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct pu_pair p;
		char a[32];

		rnd_state = 777 + (uint32_t)k;
		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		for (int i = 0; i < 3000; i++) {
			enum bf_verdict_kind v = i % 2 ? BF_VERDICT_ACCEPT :
							 BF_VERDICT_DROP;
			uint16_t lo = (uint16_t)(i % 100 * 10);

			snprintf(a, sizeof(a), "10.%d.%d.0", i >> 8, i & 255);
			if (i % 7 == 6)
				PU_RULE(b, v, NULL,
					pu_addr(BF_MATCH_SADDR, a, 24, false),
					pu_proto(1, false));
			else if (i % 3)
				PU_RULE(b, v, NULL,
					pu_addr(BF_MATCH_SADDR, a, 24, false),
					pu_proto(6, false),
					pu_l4hdr(6, 20, true),
					pu_ports(BF_MATCH_DPORT, lo,
						 (uint16_t)(lo + 9), false));
			else
				PU_RULE(b, v, NULL,
					pu_addr(BF_MATCH_SADDR, a, 24, false),
					pu_proto(17, false),
					pu_l4hdr(17, 8, false),
					pu_ports(BF_MATCH_DPORT, lo,
						 (uint16_t)(lo + 9), false));
		}
		bf_ruleset_number(rs);
		assert_int_equal(members_of(b), 3000);
		assert_true(pp_used(b));
		load_pair(rs, k, V4, &p);
		for (int j = 0; j < 600; j++) {
			int i = (int)rnd(3000);
			int proto = i % 7 == 6 ? 1 : i % 3 ? 6 : 17;
			struct pu_pkt t;

			/* rule i's packet, or one port or protocol off */
			if (j % 3 == 1)
				proto = proto == 6 ? 17 : 6;
			snprintf(a, sizeof(a), "10.%d.%d.%u", i >> 8, i & 255,
				 rnd(256));
			t = pu_build(&(struct pu_spec){
				.src = a,
				.dst = "192.0.2.1",
				.proto = proto,
				.sport = 4000,
				.dport = (uint16_t)(i % 100 * 10 + rnd(10) +
						    (j % 3 == 2 ? 10 : 0)),
				.flags = 0x10 });
			pu_pair_run(&p, &t, V4);
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* Chains long enough to be split into segment functions (the classifier
 * runs in the dispatcher, segments read its result from the packet
 * context), one jumping into the other from its segments (the callee's
 * dispatcher must give the caller its result back). */
static void test_segmented(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b, *u = NULL;
		struct pu_pair p;
		char a[64];

		rnd_state = 99 + (uint32_t)k;
		rs->families = 1u << V4;
		assert_int_equal(bf_ruleset_add_chain(rs, V4, "U", 0, &u), 0);
		for (int blk = 0; blk < 80; blk++) {
			for (int i = 0; i < 8; i++) {
				rnd_addr(V4, true, a, sizeof(a));
				PU_RULE(u, rnd_verdict(true), NULL,
					pu_addr(BF_MATCH_DADDR, a, 32, false));
			}
			for (int i = 0; i < 6; i++)
				general_rule(u, V4, rnd_verdict(true));
		}
		b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		b->policy = BF_VERDICT_DROP;
		for (int blk = 0; blk < 70; blk++) {
			for (int i = 0; i < 8; i++) {
				rnd_addr(V4, true, a, sizeof(a));
				PU_RULE(b, rnd_verdict(false), NULL,
					pu_addr(BF_MATCH_SADDR, a, 32, false));
			}
			for (int i = 0; i < 6; i++)
				general_rule(b, V4, rnd_verdict(false));
			rnd_addr(V4, true, a, sizeof(a));
			PU_RULE(b, BF_VERDICT_JUMP, "U",
				pu_addr(BF_MATCH_SADDR, a, 18 + (int)rnd(4),
					false));
		}
		bf_ruleset_number(rs);
		assert_true(members_of(b) >= 300);
		assert_true(members_of(u) >= 250);
		load_pair(rs, k, V4, &p);
		for (int i = 0; i < 600; i++) {
			struct pu_pkt t = random_pkt(V4);

			pu_pair_run(&p, &t, V4);
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* 10,000 random general rules: classified, loads, matches as the linear
 * code does. */
static void test_large(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k += 2) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct pu_pair p;
		double t0;

		rnd_state = 4242 + (uint32_t)k;
		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		for (int i = 0; i < 10000; i++)
			general_rule(b, V4,
				     rnd(2) ? BF_VERDICT_DROP :
					      BF_VERDICT_ACCEPT);
		bf_ruleset_number(rs);
		/* (a few consecutive rules of one shape fold instead) */
		assert_true(members_of(b) >= 9000);
		t0 = pu_now_ms();
		load_pair(rs, k, V4, &p);
		print_message("10,000 general rules: %zu insns classified, "
			      "%zu linear; load %.0f ms + %.0f ms (both: "
			      "%.0f ms)\n",
			      p.o.n_insns, p.l.n_insns, p.o.load_ms,
			      p.l.load_ms, pu_now_ms() - t0);
		for (int i = 0; i < 300; i++) {
			struct pu_pkt t = random_pkt(V4);

			pu_pair_run(&p, &t, V4);
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* Folded groups of one shape with members between them (the bench's
 * shape b in small): one dispatch finds the first group or member block
 * that decides (cgen.c run_start()). Keys of a group are also covered by
 * members before and after it, and repeated by a later group; a rule that
 * is neither splits the chain into two runs; packets with short UDP
 * headers (hotdrop behind the keys), fragments, TCP, IPv6 walk errors. */
static void dispatch_rules(struct bf_chain *b, enum bf_family fam, int n_blk)
{
	char a[64];
	int r = 0;

	/* the shape's first group (does the lookup) */
	for (int i = 0; i < 4; i++, r++) {
		snprintf(a, sizeof(a),
			 fam == V6 ? "2001:db8::%d" : "198.51.100.%d", 1 + i);
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_DADDR, a, fam == V6 ? 128 : 32, false),
			pu_proto(17, false), pu_l4hdr(17, 8, false),
			pu_ports(BF_MATCH_DPORT, (uint16_t)(5000 + i),
				 (uint16_t)(5000 + i), false));
	}
	for (int j = 0; j < n_blk; j++) {
		/* members: this group's ports 1.. and the next one's */
		PU_RULE(b, j % 2 ? BF_VERDICT_ACCEPT : BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_DADDR,
				fam == V6 ? "2001:db8::" : "198.51.100.0",
				fam == V6 ? 120 : 28, false),
			pu_proto(17, false), pu_l4hdr(17, 8, false),
			pu_ports(BF_MATCH_DPORT, (uint16_t)(5001 + 10 * j),
				 (uint16_t)(5011 + 10 * j), false));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR,
				fam == V6 ? "2001:db8:ff::" : "203.0.113.0",
				fam == V6 ? 64 : 24, false),
			pu_proto(6, false), pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_DPORT, 1, (uint16_t)(1000 + j),
				 false));
		if (j == 6) /* neither: ends the first run */
			PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
				pu_addr(BF_MATCH_SADDR,
					fam == V6 ? "2001:db8:ff::" :
						    "203.0.113.0",
					fam == V6 ? 64 : 24, false));
		for (int i = 0; i < 3; i++) {
			/* group j; group j + 2 repeats group j's keys;
			 * groups 8.. have destinations no member covers
			 * (a short header hotdrops there or nowhere) */
			int d = 1 + (j % 2 + 2 * i) % 8 + (j >= 8 ? 16 : 0);
			int port = 5010 + 10 * (j % 2 ? j - 1 : j) + i;

			snprintf(a, sizeof(a),
				 fam == V6 ? "2001:db8::%d" : "198.51.100.%d",
				 d);
			PU_RULE(b,
				i == 0 ? BF_VERDICT_ACCEPT :
				i == 1 ? BF_VERDICT_DROP :
					 BF_VERDICT_RETURN,
				NULL,
				pu_addr(BF_MATCH_DADDR, a, fam == V6 ? 128 : 32,
					false),
				pu_proto(17, false), pu_l4hdr(17, 8, false),
				pu_ports(BF_MATCH_DPORT, (uint16_t)port,
					 (uint16_t)port, false));
		}
	}
}

/* The program's text has segment functions (long chains). */
static bool has_segments(const struct bf_ruleset *rs, size_t k,
			 enum bf_family fam)
{
	struct bf_program *prog = NULL;
	char *buf = NULL;
	size_t len = 0;
	bool seg;
	FILE *f;

	set_opts(true);
	assert_int_equal(bf_cgen_compile(rs, kinds[k].attach, kinds[k].hook,
					 fam, "veth0", &prog),
			 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	bf_program_dump(prog, f);
	fclose(f);
	seg = strstr(buf, "_seg") != NULL;
	free(buf);
	bf_program_free(&prog);
	return seg;
}

static void dispatch_family(enum bf_family fam, int n_blk)
{
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, fam, kinds[k].hook);
		struct pu_prog once;
		struct pu_pair p;
		size_t n = 0, hit = 0;

		rs->families = 1u << fam;
		b->policy = BF_VERDICT_DROP;
		dispatch_rules(b, fam, n_blk);
		bf_ruleset_number(rs);
		assert_int_equal(members_of(b), 2 * (size_t)n_blk);
		/* 80 blocks: segment functions (the classifier's result in
		 * pctx.pad); 12: one function */
		assert_true(has_segments(rs, k, fam) == (n_blk > 12));
		load_pair(rs, k, fam, &p);
		/* the dispatch is there: more code than without it */
		setenv("BPFILTER_NO_RUN", "1", 1);
		set_opts(true);
		assert_int_equal(pu_load(rs, kinds[k].attach, kinds[k].hook,
					 fam, "veth0", &once),
				 0);
		unsetenv("BPFILTER_NO_RUN");
		assert_true(p.o.n_insns > once.n_insns + 40);
		pu_close(&once);
		for (int d = 0; d <= 24; d++) {
			if (d > 9 && d < 17)
				continue;
			for (int port = 4998; port <= 5012 + 10 * n_blk;
			     port += port < 5140 ? 1 : 7) {
				for (int x = 0; x < 5; x++) {
					struct pu_spec s = { .fam = fam };
					char a[64];

					snprintf(a, sizeof(a),
						 fam == V6 ? "2001:db8::%d" :
							     "198.51.100.%d",
						 d);
					s.src = fam == V6 ? "2001:db8:ff::1" :
							    "203.0.113.7";
					s.dst = a;
					s.proto = x == 4 ? 6 : 17;
					s.sport = 40000;
					s.dport = (uint16_t)port;
					s.flags = 0x02;
					if (x == 1)
						s.l4len = 3;
					if (x == 2 && fam == V4)
						s.frag = (uint16_t)(port % 3);
					if (x == 2 && fam == V6) {
						s.n_fill = 20;
						s.l4len = -1;
						s.trunc = 40 + 18 * 8 + 1;
					}
					if (x == 3 && port % 7)
						continue;
					struct pu_pkt t = pu_build(&s);

					hit += (size_t)pu_pair_run(&p, &t, fam);
					n++;
				}
			}
		}
		/* both verdicts seen, then every counter equal */
		assert_true(hit > 0 && hit < n);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void test_dispatch_run(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	dispatch_family(V4, 12);
	dispatch_family(V6, 12);
	dispatch_family(V4, 80);
}

/* ---- interface names (netfilter only) ---- */

/* Members of the chain's search at a netfilter hook, and in *n_if those
 * that test -i / -o. */
static size_t members_nf(const struct bf_chain *c, size_t *n_if)
{
	struct bf_fold_group *g = NULL;
	struct bf_lbvs *l = NULL;
	size_t ng = 0, n = 0;

	*n_if = 0;
	set_opts(true);
	assert_int_equal(bf_fold_chain(c, &g, &ng), 0);
	assert_int_equal(bf_lbvs_select_nf(c, g, ng, true, &l), 0);
	if (l) {
		n = l->n_members;
		for (size_t m = 0; m < n; m++) {
			const struct bf_rule *r = &c->rules[l->member_rule[m]];

			for (size_t i = 0; i < r->n_matches; i++) {
				if (r->matches[i].type == BF_MATCH_IIFNAME ||
				    r->matches[i].type == BF_MATCH_OIFNAME) {
					(*n_if)++;
					break;
				}
			}
		}
	}
	bf_lbvs_free(&l);
	free(g);
	return n;
}

/* BPF_PROG_TEST_RUN gives a netfilter program the loopback device ("lo")
 * as in and/or out, the other one absent (a zero name): patterns that
 * match it or not, exact names that are prefixes of others (lo, lo0,
 * lo10), wildcards that nest (l+, lo+, lo1+), `+`, negations. */
static const char *const if_names[] = {
	"lo", "lo+",  "l+",   "lo0",  "lo1",   "lo10",	"lo1+",
	"+",  "eth0", "eth+", "eth1", "eth10", "eth1+", "veth0",
};

static void iface_family(enum bf_family fam, uint32_t seeds)
{
	static const enum bf_hook hooks[] = { BF_HOOK_INPUT, BF_HOOK_OUTPUT,
					      BF_HOOK_FORWARD };
	size_t with_if = 0, members = 0;

	for (uint32_t seed = 1; seed <= seeds; seed++) {
		enum bf_hook hook = hooks[seed % 3];
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, fam, hook);
		struct pu_pair p;
		size_t n_if = 0;

		rnd_state = seed * 104729u + fam;
		rs->families = 1u << fam;
		b->policy = rnd(2) ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT;
		for (int i = 0; i < 90; i++) {
			struct bf_match ms[4];
			size_t n = 0;

			if (rnd(3)) {
				ms[n++] = pu_iface(
					BF_MATCH_IIFNAME,
					if_names[rnd(ARRAY_SIZE(if_names))],
					!rnd(4));
			}
			if (rnd(3)) {
				ms[n++] = pu_iface(
					BF_MATCH_OIFNAME,
					if_names[rnd(ARRAY_SIZE(if_names))],
					!rnd(4));
			}
			if (rnd(2)) {
				char a[64];

				rnd_addr(fam, true, a, sizeof(a));
				ms[n++] = pu_addr(BF_MATCH_SADDR, a,
						  fam == V6 ? 120 : 24,
						  !rnd(6));
			}
			if (rnd(3) == 0)
				ms[n++] = pu_proto(rnd(2) ? 6 : 17, !rnd(4));
			if (rnd(8) == 0)
				general_rule(b, fam, rnd_verdict(false));
			else
				pu_rule(b, rnd_verdict(false), NULL, ms, n);
		}
		bf_ruleset_number(rs);
		members += members_nf(b, &n_if);
		with_if += n_if;
		pu_pair_load(rs, BF_ATTACH_NF, hook, fam, set_opts,
			     "classified", &p);
		for (int i = 0; i < 300; i++) {
			struct pu_pkt t = random_pkt(fam);

			pu_pair_run(&p, &t, fam);
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
	/* the -i / -o rules were members (about 70 a chain), except in
	 * chains split into several searches (a small budget) */
	if (opt_max_bytes < 65536) {
		assert_int_equal(with_if, 0);
		assert_true(members > 0);
	} else
		assert_true(with_if >= seeds * 40);
}

/* Known answers at INPUT under BPF_PROG_TEST_RUN, which gives a
 * netfilter program no input device (a zero name, as OUTPUT's in) and the
 * loopback device "lo" as output (seen here: the linear code agrees).
 * ip_packet_match(): the masked XOR of the names is zero; `+` has an
 * empty mask; `lo` compares 3 bytes (with the NUL), `lo+` 2. */
static void test_iface_known(void **state)
{
	static const struct {
		enum bf_match_type t;
		const char *name;
		bool neg;
		bool match;
	} cases[] = {
		{ BF_MATCH_IIFNAME, "lo", false, false },
		{ BF_MATCH_IIFNAME, "lo+", false, false },
		{ BF_MATCH_IIFNAME, "l+", false, false },
		{ BF_MATCH_IIFNAME, "+", false, true },
		{ BF_MATCH_IIFNAME, "+", true, false },
		{ BF_MATCH_IIFNAME, "lo", true, true },
		{ BF_MATCH_IIFNAME, "eth1+", true, true },
		{ BF_MATCH_OIFNAME, "lo", false, true },
		{ BF_MATCH_OIFNAME, "lo+", false, true },
		{ BF_MATCH_OIFNAME, "l+", false, true },
		{ BF_MATCH_OIFNAME, "lo0", false, false },
		{ BF_MATCH_OIFNAME, "lo0+", false, false },
		{ BF_MATCH_OIFNAME, "l", false, false },
		{ BF_MATCH_OIFNAME, "+", false, true },
		{ BF_MATCH_OIFNAME, "lo", true, false },
		{ BF_MATCH_OIFNAME, "lo0", true, true },
		{ BF_MATCH_OIFNAME, "+", true, false },
	};

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
		struct pu_spec sp = { .fam = V4, .proto = 17, .dport = 53 };
		struct pu_pkt t;
		struct pu_pair p;
		size_t n_if = 0;

		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		/* other members that do not match the packet, then the case */
		for (int i = 0; i < 6; i++)
			PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
				pu_iface(BF_MATCH_IIFNAME, "eth1", false));
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_iface(cases[k].t, cases[k].name, cases[k].neg));
		bf_ruleset_number(rs);
		assert_int_equal(members_nf(b, &n_if), 7);
		assert_int_equal(n_if, 7);
		pu_pair_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, V4, set_opts,
			     "classified", &p);
		t = pu_build(&sp);
		if (pu_pair_run(&p, &t, V4) != !cases[k].match)
			fail_msg("case %zu (%s %s%s)", k,
				 cases[k].t == BF_MATCH_IIFNAME ? "-i" : "-o",
				 cases[k].neg ? "! " : "", cases[k].name);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void test_iface_random(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	iface_family(V4, 12);
	iface_family(V6, 9);
	/* split: -i / -o rules stay linear, the others are searched */
	opt_max_bytes = 4000;
	iface_family(V4, 3);
	opt_max_bytes = 128ull << 20;
}

/* Functions of a loaded program (BTF func_info records). */
static uint32_t n_funcs(int fd)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.nr_func_info;
}

/* Class functions (cgen/c_lbvs.h): chains whose per-protocol searches and
 * slow path need the classes of interfaces and addresses get them from
 * functions of their own, and classify exactly as the rules one by one;
 * BPFILTER_LBVS_CFN=0 inlines them (fewer functions, same verdicts). */
static void test_class_functions(void **state)
{
	uint32_t with = 0, without = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (uint32_t seed = 1; seed <= 6; seed++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
		struct pu_pair p;

		rnd_state = seed * 15485863u;
		rs->families = 1u << V4;
		b->policy = rnd(2) ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT;
		for (int i = 0; i < 80; i++) {
			if (rnd(4)) {
				general_rule(b, V4, rnd_verdict(false));
				continue;
			}
			PU_RULE(b, rnd_verdict(false), NULL,
				pu_iface(BF_MATCH_IIFNAME,
					 if_names[rnd(ARRAY_SIZE(if_names))],
					 !rnd(4)),
				pu_proto(rnd(2) ? 6 : 17, false));
		}
		bf_ruleset_number(rs);
		for (int cfn = 1; cfn >= 0; cfn--) {
			if (!cfn)
				setenv("BPFILTER_LBVS_CFN", "0", 1);
			pu_pair_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, V4,
				     set_opts, "classified", &p);
			*(cfn ? &with : &without) += n_funcs(p.o.prog_fd);
			for (int i = 0; i < 300; i++) {
				struct pu_pkt t = random_pkt(V4);

				pu_pair_run(&p, &t, V4);
			}
			pu_pair_same_counters(&p);
			pu_pair_close(&p);
			unsetenv("BPFILTER_LBVS_CFN");
		}
		bf_ruleset_free(&rs);
	}
	/* class functions there were, and none without them */
	assert_true(with > without);
}

/* The comparisons again with partitions (opt/lbvs_part.h) for every
 * chain of 4 members or more. */
static void with_parts(void (*fn)(void **), void **state)
{
	setenv("BPFILTER_LBVS_PART_MIN", "4", 1);
	fn(state);
	unsetenv("BPFILTER_LBVS_PART_MIN");
}

static void test_part_first_match(void **state)
{
	with_parts(test_first_match, state);
}

static void test_part_random_v4(void **state)
{
	with_parts(test_random_v4, state);
}

static void test_part_random_v6(void **state)
{
	with_parts(test_random_v6, state);
}

static void test_part_segmented(void **state)
{
	with_parts(test_segmented, state);
}

static void test_part_large(void **state)
{
	with_parts(test_large, state);
}

static void test_part_dispatch_run(void **state)
{
	with_parts(test_dispatch_run, state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_match),
		cmocka_unit_test(test_interval_edges),
		cmocka_unit_test(test_interval_buckets),
		cmocka_unit_test(test_proto_sparse),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_segmented),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_dispatch_run),
		cmocka_unit_test(test_iface_known),
		cmocka_unit_test(test_iface_random),
		cmocka_unit_test(test_class_functions),
		cmocka_unit_test(test_part_first_match),
		cmocka_unit_test(test_part_random_v4),
		cmocka_unit_test(test_part_random_v6),
		cmocka_unit_test(test_part_segmented),
		cmocka_unit_test(test_part_large),
		cmocka_unit_test(test_part_dispatch_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
