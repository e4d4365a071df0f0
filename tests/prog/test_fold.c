// SPDX-License-Identifier: GPL-2.0-only
/*
 * Folded rule groups (src/lib/opt/fold.c): runs of exact-match rules
 * compiled into hash lookups must give exactly the verdicts and counters of
 * the same rules compiled one by one. Each test checks what the pass
 * folded (so the optimized path is really the one exercised), verdicts and
 * counters the rules call for, and compares every counter with the linear
 * program on the same packets: rules just before and after a group,
 * duplicate keys (the first rule wins), negations (never folded), mixed
 * verdicts, RETURN in user and built-in chains, hotdrops behind keys
 * (short TCP headers, IPv4 fragment offset 1, IPv6 header walk errors),
 * and random rulesets.
 */
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

static void set_fold(bool on, size_t min_rules)
{
	struct bf_fold_options o = { .enabled = on, .min_rules = min_rules };

	bf_fold_set_options(&o);
}

static void fold_opts(bool on)
{
	set_fold(on, 2);
}

/* The same ruleset compiled folded (o) and linear (l). */
static void load_pair(struct bf_ruleset *rs, size_t k, enum bf_family fam,
		      struct pu_pair *p)
{
	pu_pair_load(rs, kinds[k].attach, kinds[k].hook, fam, fold_opts,
		     "folded", p);
	set_fold(true, 8);
}

/* Groups of a chain as (first, n) pairs; returns the count. */
static size_t groups_of(const struct bf_chain *c, size_t min_rules,
			size_t *first, size_t *n, size_t max)
{
	struct bf_fold_group *g = NULL;
	size_t ng = 0;

	set_fold(true, min_rules);
	assert_int_equal(bf_fold_chain(c, &g, &ng), 0);
	set_fold(true, 8);
	for (size_t i = 0; i < ng && i < max; i++) {
		first[i] = g[i].first;
		n[i] = g[i].n;
	}
	free(g);
	return ng;
}

static void saddr_rule(struct bf_chain *c, enum bf_verdict_kind v,
		       const char *a, int plen, bool neg)
{
	PU_RULE(c, v, NULL, pu_addr(BF_MATCH_SADDR, a, plen, neg));
}

/* INPUT: a /24 rule before, a run of /32 sources with mixed verdicts and
 * a duplicate key, a negated source that splits the run, a second run, a
 * rule after; policy DROP. */
static void test_saddr_runs(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		size_t first[4], n[4];
		struct pu_pair p;
		char a[32];

		rs->families = 1u << V4;
		b->policy = BF_VERDICT_DROP;
		saddr_rule(b, BF_VERDICT_ACCEPT, "203.0.113.0", 24,
			   false); /* 0 */
		for (int i = 1; i <= 10; i++) { /* rules 1..10 */
			snprintf(a, sizeof(a), "198.51.100.%d", i);
			saddr_rule(b,
				   i % 3 ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT,
				   a, 32, false);
		}
		/* rule 11: duplicate of rule 2 (DROP) with ACCEPT */
		saddr_rule(b, BF_VERDICT_ACCEPT, "198.51.100.2", 32, false);
		/* rule 12: negated, never folded */
		saddr_rule(b, BF_VERDICT_ACCEPT, "198.51.100.50", 32, true);
		for (int i = 20; i < 26; i++) { /* rules 13..18 */
			snprintf(a, sizeof(a), "198.51.100.%d", i);
			saddr_rule(b, BF_VERDICT_DROP, a, 32, false);
		}
		/* rule 19: after the run */
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL, pu_proto(17, false));

		bf_ruleset_number(rs);
		assert_int_equal(groups_of(b, 2, first, n, 4), 2);
		assert_int_equal(first[0], 1);
		assert_int_equal(n[0], 11);
		assert_int_equal(first[1], 13);
		assert_int_equal(n[1], 6);
		load_pair(rs, k, V4, &p);

		/* the /24 rule before the group still wins */
		struct pu_pkt t = pu_tcp4("203.0.113.7", "192.0.2.2", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		/* every key of the first run, with its own verdict */
		for (int i = 1; i <= 10; i++) {
			snprintf(a, sizeof(a), "198.51.100.%d", i);
			t = pu_tcp4(a, "192.0.2.2", 1, 80, 2);
			assert_int_equal(pu_pair_run(&p, &t, V4),
					 i % 3 ? 0 : 1);
		}
		/* duplicate: rule 2 (DROP) wins twice, rule 11 never counts */
		t = pu_tcp4("198.51.100.2", "192.0.2.2", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 0);
		assert_int_equal(pu_packets(&p.o, b->rules[2].counter_idx), 2);
		assert_int_equal(pu_packets(&p.o, b->rules[11].counter_idx), 0);
		/* the negated rule: anything but .50 is accepted by it */
		t = pu_tcp4("198.51.100.77", "192.0.2.2", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		assert_int_equal(pu_packets(&p.o, b->rules[12].counter_idx), 1);
		/* .50 passes the negation, the second run, then the rule
		 * after (UDP) or the policy (TCP) */
		t = pu_tcp4("198.51.100.50", "192.0.2.2", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 0);
		t = pu_udp4("198.51.100.50", "192.0.2.2", 1, 53);
		assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		assert_int_equal(pu_packets(&p.o, b->rules[19].counter_idx), 1);
		assert_int_equal(pu_packets(&p.o, b->policy_counter_idx), 1);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* -s A -p tcp --dport P: keys on both sides of the TCP header check.
 * A short header or an offset-1 fragment hotdrops only if a rule's
 * source (and protocol) equal the packet's, as the first such rule would;
 * other fragments skip the group. */
static void test_hotdrop_behind_keys(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		size_t first[2], n[2];
		struct pu_pair p;
		char a[32];

		rs->families = 1u << V4;
		for (int i = 0; i < 12; i++) {
			snprintf(a, sizeof(a), "198.51.100.%d", 1 + i / 3);
			PU_RULE(b, i == 7 ? BF_VERDICT_ACCEPT : BF_VERDICT_DROP,
				NULL, pu_addr(BF_MATCH_SADDR, a, 32, false),
				pu_proto(6, false), pu_l4hdr(6, 20, true),
				pu_ports(BF_MATCH_DPORT, (uint16_t)(20 + i),
					 (uint16_t)(20 + i), false));
		}
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(17, false));
		bf_ruleset_number(rs);
		assert_int_equal(groups_of(b, 2, first, n, 2), 1);
		assert_int_equal(n[0], 12);
		load_pair(rs, k, V4, &p);

		for (int i = 0; i < 12; i++) {
			snprintf(a, sizeof(a), "198.51.100.%d", 1 + i / 3);
			struct pu_pkt t = pu_tcp4(a, "192.0.2.2", 1,
						  (uint16_t)(20 + i), 2);
			assert_int_equal(pu_pair_run(&p, &t, V4),
					 i == 7 ? 1 : 0);
			assert_int_equal(
				pu_packets(&p.o, b->rules[i].counter_idx), 1);
			/* right port, another source's rule */
			t = pu_tcp4("198.51.100.9", "192.0.2.2", 1,
				    (uint16_t)(20 + i), 2);
			assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		}
		const struct {
			const char *src;
			int proto, l4len;
			uint16_t frag;
			int want;
		} cases[] = {
			{ "198.51.100.2", 6, 10, 0, 0 }, /* short: hotdrop */
			{ "198.51.100.9", 6, 10, 0, 1 }, /* no such source */
			{ "198.51.100.2", 6, 0, 1, 0 }, /* offset 1: hotdrop */
			{ "198.51.100.9", 6, 0, 1, 1 },
			{ "198.51.100.2", 6, 0, 3, 1 }, /* later fragment */
			{ "198.51.100.2", 17, 0, 0, 0 }, /* UDP: last rule */
			{ "198.51.100.2", 17, 4, 0, 0 }, /* short UDP */
			{ "198.51.100.2", 1, 0, 0, 1 }, /* ICMP: policy */
		};
		pu_reset_counters(&p.o);
		pu_reset_counters(&p.l);
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct pu_pkt t = pu_build(
				&(struct pu_spec){ .src = cases[i].src,
						   .proto = cases[i].proto,
						   .dport = 20,
						   .l4len = cases[i].l4len,
						   .frag = cases[i].frag });

			if (pu_pair_run(&p, &t, V4) != cases[i].want)
				fail_msg("case %zu: wrong verdict", i);
		}
		/* hotdrops count nothing: only the UDP rule and the policy */
		assert_int_equal(pu_packets(&p.o, b->rules[12].counter_idx), 2);
		assert_int_equal(pu_packets(&p.o, b->policy_counter_idx), 4);
		for (int i = 0; i < 12; i++)
			assert_int_equal(
				pu_packets(&p.o, b->rules[i].counter_idx), 0);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* IPv6: the protocol match stays common (it hotdrops on a header walk
 * error); a walk error hotdrops only for the group's sources. */
static void test_v6_walk_error(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V6, kinds[k].hook);
		size_t first[2], n[2];
		struct pu_pair p;
		char a[64];

		rs->families = 1u << V6;
		for (int i = 0; i < 10; i++) {
			snprintf(a, sizeof(a), "2001:db8::%x", i + 1);
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				pu_addr(BF_MATCH_SADDR, a, 128, false),
				pu_proto(6, false), pu_l4hdr(6, 20, false),
				pu_ports(BF_MATCH_DPORT, 22, 22, false));
		}
		bf_ruleset_number(rs);
		assert_int_equal(groups_of(b, 2, first, n, 2), 1);
		load_pair(rs, k, V6, &p);

		/* a walk error beyond the unrolled headers: the 19th
		 * extension header is cut after its first byte */
		struct pu_spec bad = { .fam = V6,
				       .src = "2001:db8::3",
				       .dport = 22,
				       .n_fill = 20,
				       .l4len = -1,
				       .trunc = 40 + 18 * 8 + 1 };
		struct pu_pkt t = pu_build(&bad);
		assert_int_equal(pu_pair_run(&p, &t, V6), 0); /* hotdrop */
		bad.src = "2001:db8::99";
		t = pu_build(&bad);
		assert_int_equal(pu_pair_run(&p, &t, V6), 1);
		t = pu_build(&(struct pu_spec){
			.fam = V6, .src = "2001:db8::a", .dport = 22 });
		assert_int_equal(pu_pair_run(&p, &t, V6), 0);
		assert_int_equal(pu_packets(&p.o, b->rules[9].counter_idx), 1);
		t = pu_build(&(struct pu_spec){
			.fam = V6, .src = "2001:db8::a", .dport = 23 });
		assert_int_equal(pu_pair_run(&p, &t, V6), 1);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* Runs of prefixes of one length fold into a lookup of the masked
 * address: first match among overlapping keys, IPv4 /24 and IPv6 /64. */
static void test_masked_runs(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b4 = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct bf_chain *b6;
		size_t first[2], n[2];
		struct pu_pair p;
		char a[64];

		rs->families = (1u << V4) | (1u << V6);
		for (int i = 0; i < 10; i++) {
			snprintf(a, sizeof(a), "198.51.%d.0", 100 + i % 6);
			saddr_rule(b4,
				   i < 6 ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT,
				   a, 24, false);
		}
		/* after the run: a /16 rule covering all of them */
		saddr_rule(b4, BF_VERDICT_ACCEPT, "198.51.0.0", 16, false);
		b6 = bf_ruleset_builtin(rs, V6, kinds[k].hook);
		b6->policy = BF_VERDICT_DROP;
		for (int i = 0; i < 10; i++) {
			snprintf(a, sizeof(a), "2001:db8:%x::", i);
			PU_RULE(b6, BF_VERDICT_ACCEPT, NULL,
				pu_addr(BF_MATCH_DADDR, a, 64, false));
		}
		bf_ruleset_number(rs);
		assert_int_equal(groups_of(b4, 2, first, n, 2), 1);
		assert_int_equal(n[0], 10);
		assert_int_equal(groups_of(b6, 2, first, n, 2), 1);

		/* IPv4 program */
		load_pair(rs, k, V4, &p);
		for (int i = 0; i < 6; i++) {
			snprintf(a, sizeof(a), "198.51.%d.%d", 100 + i, 7 + i);
			struct pu_pkt t = pu_tcp4(a, "192.0.2.2", 1, 80, 2);

			/* rules 6..9 repeat keys 0..3: never reached */
			assert_int_equal(pu_pair_run(&p, &t, V4), 0);
			assert_int_equal(
				pu_packets(&p.o, b4->rules[i].counter_idx), 1);
		}
		for (int i = 6; i < 10; i++)
			assert_int_equal(
				pu_packets(&p.o, b4->rules[i].counter_idx), 0);
		struct pu_pkt t =
			pu_tcp4("198.51.106.1", "192.0.2.2", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		assert_int_equal(pu_packets(&p.o, b4->rules[10].counter_idx),
				 1);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);

		/* IPv6 program (at tc/xdp the same program serves both) */
		load_pair(rs, k, V6, &p);
		t = pu_tcp6("2001:db8::1", "2001:db8:7:0:1:2:3:4", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V6), 1);
		assert_int_equal(pu_packets(&p.o, b6->rules[7].counter_idx), 1);
		t = pu_tcp6("2001:db8::1", "2001:db8:a::4", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V6), 0);
		assert_int_equal(pu_packets(&p.o, b6->policy_counter_idx), 1);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* Groups of one shape share one lookup per function: the rules between
 * them still come first, a key of both groups belongs to the first, a key
 * of the second only is decided there; another shape in between has its
 * own lookup. */
static void test_shared_lookup(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		size_t first[4], n[4];
		struct pu_pair p;
		char a[32];

		rs->families = 1u << V4;
		for (int i = 1; i <= 8; i++) { /* rules 0..7 */
			snprintf(a, sizeof(a), "198.51.100.%d", i);
			saddr_rule(b, BF_VERDICT_DROP, a, 32, false);
		}
		/* rule 8: covers .0-.15 */
		saddr_rule(b, BF_VERDICT_ACCEPT, "198.51.100.0", 28, false);
		for (int i = 0; i < 4; i++) { /* rules 9..12: another shape */
			snprintf(a, sizeof(a), "192.0.2.%d", i + 1);
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				pu_addr(BF_MATCH_DADDR, a, 32, false));
		}
		for (int i = 9; i <= 16; i++) { /* rules 13..20 */
			snprintf(a, sizeof(a), "198.51.100.%d", i);
			saddr_rule(b,
				   i == 12 ? BF_VERDICT_RETURN :
					     BF_VERDICT_DROP,
				   a, 32, false);
		}
		/* rule 21: .3 again, ACCEPT: never reached */
		saddr_rule(b, BF_VERDICT_ACCEPT, "198.51.100.3", 32, false);
		for (int i = 0; i < 4; i++) { /* rules 22..25 */
			snprintf(a, sizeof(a), "192.0.2.%d", i + 5);
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				pu_addr(BF_MATCH_DADDR, a, 32, false));
		}
		bf_ruleset_number(rs);
		assert_int_equal(groups_of(b, 2, first, n, 4), 4);
		assert_int_equal(first[2], 13);
		assert_int_equal(n[2], 9);
		load_pair(rs, k, V4, &p);

		struct pu_pkt t =
			pu_tcp4("198.51.100.3", "192.0.2.99", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 0);
		assert_int_equal(pu_packets(&p.o, b->rules[2].counter_idx), 1);
		/* in the /28 and in the second group: the /28 wins */
		t = pu_tcp4("198.51.100.9", "192.0.2.99", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		assert_int_equal(pu_packets(&p.o, b->rules[8].counter_idx), 1);
		/* second group only */
		t = pu_tcp4("198.51.100.16", "192.0.2.99", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 0);
		assert_int_equal(pu_packets(&p.o, b->rules[20].counter_idx), 1);
		/* RETURN in the built-in chain: the policy (ACCEPT) */
		t = pu_tcp4("198.51.100.12", "192.0.2.1", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		/* destination groups: first and second */
		t = pu_tcp4("198.51.100.77", "192.0.2.2", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 0);
		assert_int_equal(pu_packets(&p.o, b->rules[10].counter_idx), 1);
		t = pu_tcp4("198.51.100.77", "192.0.2.8", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 0);
		assert_int_equal(pu_packets(&p.o, b->rules[25].counter_idx), 1);
		t = pu_tcp4("198.51.100.77", "192.0.2.9", 1, 80, 2);
		assert_int_equal(pu_pair_run(&p, &t, V4), 1);
		assert_int_equal(pu_packets(&p.o, b->rules[21].counter_idx), 0);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* ---- random rulesets, folded vs linear ---- */

static uint32_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static const uint16_t ports[] = { 22, 53, 80, 443 };

/* A run of 1..12 rules of one random shape, values from small pools so
 * that keys repeat. */
static void random_run(struct bf_chain *c, bool user, bool has_user)
{
	int shape = (int)rnd(9), len = 1 + (int)rnd(12);
	int plen = 29 + (int)rnd(3);
	bool tcp = rnd(2);

	for (int i = 0; i < len; i++) {
		static const enum bf_verdict_kind vs[] = {
			BF_VERDICT_ACCEPT, BF_VERDICT_DROP,
			BF_VERDICT_RETURN, BF_VERDICT_DROP,
			BF_VERDICT_ACCEPT, BF_VERDICT_CONTINUE,
		};
		enum bf_verdict_kind v = vs[rnd(rnd(4) ? 5 : 6)];
		char a[32], d[32];
		uint16_t port = ports[rnd(4)];
		uint8_t proto = tcp ? 6 : 17;

		if (!user && v == BF_VERDICT_RETURN && rnd(2))
			v = BF_VERDICT_DROP;
		snprintf(a, sizeof(a), "198.51.100.%u", 1 + rnd(6));
		snprintf(d, sizeof(d), "192.0.2.%u", 1 + rnd(3));
		switch (shape) {
		case 0:
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_SADDR, a, 32, false));
			break;
		case 1:
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_SADDR, a, 32, false),
				pu_proto(proto, false),
				pu_l4hdr(proto, tcp ? 20 : 8, tcp),
				pu_ports(BF_MATCH_DPORT, port, port, false));
			break;
		case 2:
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_DADDR, d, 32, false),
				pu_proto(proto, false),
				pu_l4hdr(proto, tcp ? 20 : 8, tcp),
				pu_ports(BF_MATCH_SPORT, port, port, false),
				pu_ports(BF_MATCH_DPORT, 1000, 2000, false));
			break;
		case 3:
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_SADDR, a, 32, false),
				pu_addr(BF_MATCH_DADDR, d, 32, false));
			break;
		case 4: /* negated key: not folded */
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_SADDR, a, 32, rnd(2)));
			break;
		case 5: /* prefixes of random lengths: runs of equal masks */
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_SADDR, a, 30 + (int)rnd(3),
					false));
			break;
		case 8: /* one prefix length for the run: masked keys */
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_SADDR, a, plen, false),
				pu_proto(proto, false),
				pu_l4hdr(proto, tcp ? 20 : 8, tcp),
				pu_ports(BF_MATCH_DPORT, port, port, false));
			break;
		case 6: /* protocol as a key, TCP flags common */
			PU_RULE(c, v, NULL,
				pu_addr(BF_MATCH_SADDR, a, 32, false),
				pu_proto(6, false), pu_l4hdr(6, 20, true), ({
					struct bf_match m =
						pu_m(BF_MATCH_TCPFLAGS, false);
					m.u.tcpflags.mask = 0x12;
					m.u.tcpflags.cmp = 0x02;
					m;
				}));
			break;
		default:
			if (has_user && !user && rnd(2)) {
				PU_RULE(c,
					rnd(2) ? BF_VERDICT_JUMP :
						 BF_VERDICT_GOTO,
					"U",
					pu_addr(BF_MATCH_SADDR, a, 31, false));
			} else {
				PU_RULE(c, v, NULL, pu_proto(proto, false),
					pu_l4hdr(proto, tcp ? 20 : 8, tcp),
					pu_ports(BF_MATCH_DPORT, port, port,
						 false));
			}
			break;
		}
	}
}

static struct pu_pkt random_pkt(void)
{
	char a[32], d[32];
	int proto = rnd(4) ? (rnd(2) ? 6 : 17) : 1;
	struct pu_spec s = { .proto = proto };
	uint32_t x = rnd(10);

	snprintf(a, sizeof(a), "198.51.100.%u", 1 + rnd(7));
	snprintf(d, sizeof(d), "192.0.2.%u", 1 + rnd(4));
	s.src = a;
	s.dst = d;
	s.sport = rnd(3) ? ports[rnd(4)] : 1500;
	s.dport = rnd(4) ? ports[rnd(4)] : 1500;
	s.flags = rnd(2) ? 0x02 : 0x12;
	if (x == 0)
		s.l4len = 6; /* short transport header */
	else if (x == 1)
		s.frag = (uint16_t)rnd(3); /* fragment offsets 0..2 */
	return pu_build(&s);
}

static void test_random(void **state)
{
	size_t n_groups = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (uint32_t seed = 1; seed <= 24; seed++) {
		size_t k = seed % ARRAY_SIZE(kinds);
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		bool has_user = seed % 2;
		struct pu_pair p;

		rnd_state = seed;
		rs->families = 1u << V4;
		b->policy = rnd(2) ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT;
		if (has_user) {
			struct bf_chain *u = NULL;

			assert_int_equal(
				bf_ruleset_add_chain(rs, V4, "U", 0, &u), 0);
			for (int r = 0; r < 4; r++)
				random_run(u, true, false);
			b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		}
		for (int r = 0; r < 10; r++)
			random_run(b, false, has_user);
		bf_ruleset_number(rs);
		for (size_t c = 0; c < rs->n_chains; c++) {
			size_t first[64], n[64];

			n_groups += groups_of(&rs->chains[c], 2, first, n, 64);
		}
		load_pair(rs, k, V4, &p);
		for (int i = 0; i < 300; i++) {
			struct pu_pkt t = random_pkt();

			pu_pair_run(&p, &t, V4);
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
	/* the random runs did fold */
	assert_true(n_groups >= 24);
}

/* A chain long enough to be split into segment functions: groups of one
 * shape in several segments, general rules between them, some of which
 * overlap the groups' keys. */
static void test_segmented(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct pu_pair p;
		char a[32];

		rs->families = 1u << V4;
		rnd_state = 77 + (uint32_t)k;
		for (int blk = 0; blk < 24; blk++) {
			for (int i = 0; i < 40; i++) {
				snprintf(a, sizeof(a), "198.51.100.%u",
					 1 + rnd(7));
				PU_RULE(b,
					rnd(2) ? BF_VERDICT_DROP :
						 BF_VERDICT_ACCEPT,
					NULL,
					pu_addr(BF_MATCH_SADDR, a, 32, false),
					pu_proto(6, false),
					pu_l4hdr(6, 20, true),
					pu_ports(BF_MATCH_DPORT, ports[rnd(4)],
						 0, false));
				b->rules[b->n_rules - 1].matches[3].u.ports.hi =
					b->rules[b->n_rules - 1]
						.matches[3]
						.u.ports.lo;
			}
			for (int i = 0; i < 20; i++) {
				snprintf(a, sizeof(a), "198.51.100.%u",
					 1 + rnd(7));
				PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
					pu_addr(BF_MATCH_SADDR, a,
						30 + (int)rnd(3), false),
					pu_proto(6, false),
					pu_l4hdr(6, 20, true),
					pu_ports(BF_MATCH_SPORT, ports[rnd(4)],
						 1500, false));
			}
		}
		bf_ruleset_number(rs);
		load_pair(rs, k, V4, &p);
		for (int i = 0; i < 400; i++) {
			struct pu_pkt t = random_pkt();

			pu_pair_run(&p, &t, V4);
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* Many rules: the folded program stays small and loads (100,000 /32
 * rules do not fit the verifier's budget as linear code). */
static void test_large(void **state)
{
	struct bf_ruleset *rs;
	struct bf_chain *b;
	struct pu_prog p;
	char a[32];

	(void)state;
	BFT_REQUIRE_KERNEL();
	rs = bf_ruleset_new();
	rs->families = 1u << V4;
	b = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
	for (int i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
			 i & 255);
		saddr_rule(b, BF_VERDICT_DROP, a, 32, false);
	}
	set_fold(true, 8);
	assert_int_equal(pu_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, V4, NULL, &p),
			 0);
	assert_true(p.n_insns < 1000);
	struct pu_pkt t = pu_tcp4("10.1.134.159", "192.0.2.2", 1, 80, 2);
	assert_int_equal(pu_run(&p, t.b, t.len, V4), pu_drop(&p));
	assert_int_equal(pu_packets(&p, b->rules[99999].counter_idx), 1);
	t = pu_tcp4("10.2.0.0", "192.0.2.2", 1, 80, 2);
	assert_int_equal(pu_run(&p, t.b, t.len, V4), pu_accept(&p));
	assert_int_equal(pu_packets(&p, b->policy_counter_idx), 1);
	pu_close(&p);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saddr_runs),
		cmocka_unit_test(test_hotdrop_behind_keys),
		cmocka_unit_test(test_v6_walk_error),
		cmocka_unit_test(test_masked_runs),
		cmocka_unit_test(test_shared_lookup),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_segmented),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
