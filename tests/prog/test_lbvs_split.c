// SPDX-License-Identifier: GPL-2.0-only
/*
 * A bit-vector search split into several searches (src/lib/opt/lbvs.c,
 * bf_lbvs_select(): when one search's vectors could exceed the budget, the
 * members are cut, in rule order, into parts, each a search of its own run
 * in chain order by the caller, cgen.c lbvs_call()). The budget is made tiny
 * here so that chains of tens of rules get many parts; each program is
 * compared with the same rules compiled one by one (verdicts and every
 * counter), at netfilter, tc and XDP, and known answers are checked:
 *  - overlaps across the split points: a packet matched by members of
 *    several parts is decided by the first member (the first part that
 *    finds one), never by a later part's;
 *  - rules before, between and after the members (counting rules, folded
 *    runs, interface rules), negated prefixes and port ranges;
 *  - IPv4 and IPv6 (the members' linear code of a part when a packet is
 *    not plain: extension header walk errors, short headers, fragments);
 *  - a chain long enough for segment functions (the parts' result handed
 *    to them in the packet context).
 */
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

/* The budget of one search (bytes of its bound: about (1 + 256 per
 * protocol or flags field + 1 per prefix + 2 per port range) classes of
 * 16 bytes below 64 members): tens of members per part. */
static uint64_t budget = 9000;

static void set_opts(bool on)
{
	struct bf_fold_options f = { .enabled = on, .min_rules = 2 };
	struct bf_lbvs_options l = { .enabled = on,
				     .min_members = 4,
				     .max_bytes = budget };

	bf_fold_set_options(&f);
	bf_lbvs_set_options(&l);
}

/* The parts of the chain's search (0: not classified); *members: how many
 * members in all; *second: the chain rule of the second part's first
 * member (if split). */
static size_t parts_of(const struct bf_chain *c, size_t *members,
		       size_t *second)
{
	struct bf_fold_group *g = NULL;
	struct bf_lbvs *l = NULL;
	size_t ng = 0, n = 0, sum = 0;

	set_opts(true);
	assert_int_equal(bf_fold_chain(c, &g, &ng), 0);
	assert_int_equal(bf_lbvs_select(c, g, ng, &l), 0);
	if (l) {
		n = bf_lbvs_n_parts(l);
		for (size_t k = 0; k < n; k++) {
			const struct bf_lbvs *p = bf_lbvs_part(l, k);

			/* parts in rule order, numbered from base */
			assert_int_equal(p->base, sum);
			for (size_t m = 0; m < p->n_members; m++)
				assert_int_equal(p->member_rule[m],
						 l->member_rule[sum + m]);
			if (k == 1 && second)
				*second = p->member_rule[0];
			sum += p->n_members;
		}
		assert_int_equal(sum, l->n_members);
	}
	if (members)
		*members = sum;
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

/* ---- known answers ---- */

static bool in_prefix(const char *addr, const char *net, int plen)
{
	uint8_t a[4], b[4];

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	assert_int_equal(inet_pton(AF_INET, net, b), 1);
	for (int i = 0; i < plen; i++) {
		if ((a[i / 8] ^ b[i / 8]) >> (7 - i % 8) & 1)
			return false;
	}
	return true;
}

#define N_KNOWN 60

/* Member j (rule j + 1): -s 10.1.2.3/(8 + j % 25) -p tcp [!] --dport
 * lo:hi, overlapping ranges, every 7th port range negated, every 11th
 * source negated; ACCEPT for odd j. */
struct known {
	int plen;
	bool sneg, pneg;
	uint16_t lo, hi;
};

static struct known known_rule(int j)
{
	return (struct known){
		.plen = 8 + j % 25,
		.sneg = j % 11 == 10,
		.pneg = j % 7 == 6,
		.lo = (uint16_t)(100 + 37 * (j % 13)),
		.hi = (uint16_t)(100 + 37 * (j % 13) + 60 + 15 * (j % 5)),
	};
}

/* The first member a TCP packet from src to dport matches, or -1. */
static int known_first(const char *src, uint16_t dport)
{
	for (int j = 0; j < N_KNOWN; j++) {
		struct known k = known_rule(j);
		bool s = in_prefix(src, "10.1.2.3", k.plen) != k.sneg;
		bool p = (dport >= k.lo && dport <= k.hi) != k.pneg;

		if (s && p)
			return j;
	}
	return -1;
}

static void test_known(void **state)
{
	static const char *const srcs[] = { "10.1.2.3", "10.1.2.200",
					    "10.1.9.9", "10.200.0.1",
					    "11.0.0.1" };

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct pu_pair p;
		size_t n_parts, members, checked = 0, late = 0;

		budget = 5000; /* about 15 members a part */
		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		/* 0: before the members, counting */
		PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
			pu_addr(BF_MATCH_SADDR, "10.0.0.0", 8, false));
		for (int j = 0; j < N_KNOWN; j++) {
			struct known kr = known_rule(j);

			PU_RULE(b, j % 2 ? BF_VERDICT_ACCEPT : BF_VERDICT_DROP,
				NULL,
				pu_addr(BF_MATCH_SADDR, "10.1.2.3", kr.plen,
					kr.sneg),
				pu_proto(6, false), pu_l4hdr(6, 20, true),
				pu_ports(BF_MATCH_DPORT, kr.lo, kr.hi,
					 kr.pneg));
		}
		/* after: not a member (interface), then DROP all TCP */
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_iface(BF_MATCH_IIFNAME, "veth9", false),
			pu_proto(6, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(6, false));
		bf_ruleset_number(rs);
		n_parts = parts_of(b, &members, NULL);
		assert_int_equal(members, N_KNOWN + 1);
		assert_true(n_parts >= 4);
		pu_pair_load(rs, kinds[k].attach, kinds[k].hook, V4, set_opts,
			     "split", &p);
		budget = 9000;
		for (size_t s = 0; s < ARRAY_SIZE(srcs); s++) {
			for (uint16_t d = 90; d < 800; d += 7) {
				struct pu_pkt t = pu_tcp4(srcs[s], "192.0.2.1",
							  1234, d, 0x10);
				int j = known_first(srcs[s], d);
				int want = j < 0 ? 0 : j % 2;
				uint32_t ci =
					b->rules[j < 0 ? N_KNOWN + 2 : j + 1]
						.counter_idx;
				uint64_t before = pu_packets(&p.o, ci);

				if (pu_pair_run(&p, &t, V4) != want)
					fail_msg("%s:%u: verdict", srcs[s], d);
				if (pu_packets(&p.o, ci) != before + 1)
					fail_msg("%s:%u: rule %d not counted",
						 srcs[s], d, j);
				checked++;
				late += j >= N_KNOWN / 2;
			}
		}
		/* the probes reached members of later parts too */
		assert_true(late > 10);
		assert_true(checked > 400);
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* ---- random chains ---- */

static void rnd_addr(enum bf_family fam, bool src, char *a, size_t n)
{
	if (fam == V6)
		snprintf(a, n, "2001:db8:%x::%x", rnd(3), 1 + rnd(60));
	else if (src)
		snprintf(a, n, "198.51.%u.%u", 100 + rnd(3), 1 + rnd(200));
	else
		snprintf(a, n, "192.0.2.%u", 1 + rnd(200));
}

static const uint16_t ports[] = { 22, 53, 80, 443, 1500, 8080 };

/* A member: any of the fields, negations, prefixes of any length. */
static void member(struct bf_chain *c, enum bf_family fam,
		   enum bf_verdict_kind v)
{
	struct bf_match ms[8];
	size_t n = 0;
	int alen = fam == V6 ? 128 : 32;
	uint32_t pr = rnd(5);
	uint8_t proto = pr < 2 ? 6 : pr < 4 ? 17 : (fam == V6 ? 58 : 1);
	char a[64];

	/* (negations are rare: a negated prefix alone matches nearly every
	 * packet, and later parts would never decide) */
	if (rnd(3)) {
		rnd_addr(fam, true, a, sizeof(a));
		ms[n++] = pu_addr(BF_MATCH_SADDR, a,
				  rnd(4) ? alen - (int)rnd(8) :
					   alen - (int)rnd(24),
				  !rnd(16));
	}
	/* (an address test in most members, so that packets get past the
	 * first parts) */
	if (!n || rnd(2)) {
		rnd_addr(fam, false, a, sizeof(a));
		ms[n++] = pu_addr(BF_MATCH_DADDR, a, alen - (int)rnd(6),
				  !rnd(16));
	}
	if (rnd(5)) {
		ms[n++] = pu_proto(proto, !rnd(16));
		if (!ms[n - 1].neg && proto != 1 && proto != 58) {
			bool tcp = proto == 6;
			uint16_t lo = ports[rnd(6)];

			ms[n++] = pu_l4hdr(proto, tcp ? 20 : 8, tcp);
			if (rnd(2))
				ms[n++] = pu_ports(
					BF_MATCH_DPORT, lo,
					(uint16_t)(lo + rnd(3) * rnd(500)),
					!rnd(6));
			if (tcp && rnd(3) == 0) {
				struct bf_match f =
					pu_m(BF_MATCH_TCPFLAGS, !rnd(5));

				f.u.tcpflags.mask = 0x12;
				f.u.tcpflags.cmp = rnd(2) ? 0x02 : 0x10;
				ms[n++] = f;
			}
		}
	}
	pu_rule(c, v, NULL, ms, n);
}

static enum bf_verdict_kind rnd_verdict(bool user)
{
	uint32_t x = rnd(4);

	if (x == 3)
		return user ? BF_VERDICT_RETURN : BF_VERDICT_ACCEPT;
	return x ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT;
}

/* Not a member: a counting rule, a jump, an interface rule, or a run
 * that folds. */
static void other(struct bf_chain *c, enum bf_family fam, bool user,
		  bool has_user)
{
	char a[64];

	rnd_addr(fam, true, a, sizeof(a));
	switch (rnd(4)) {
	case 0:
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
	case 2:
		PU_RULE(c, rnd_verdict(user), NULL,
			pu_iface(BF_MATCH_IIFNAME, rnd(2) ? "veth9" : "eth+",
				 false),
			pu_proto(6, false));
		break;
	default:
		for (int i = 0, n = 2 + (int)rnd(4); i < n; i++) {
			rnd_addr(fam, true, a, sizeof(a));
			PU_RULE(c, rnd_verdict(user), NULL,
				pu_addr(BF_MATCH_SADDR, a, fam == V6 ? 128 : 32,
					false));
		}
		break;
	}
}

static struct pu_pkt rnd_pkt(enum bf_family fam)
{
	char a[64], d[64];
	uint32_t pr = rnd(5), x = rnd(12);
	struct pu_spec s = { .fam = fam };

	s.proto = pr < 2 ? 6 : pr < 4 ? 17 : (fam == V6 ? 58 : 1);
	rnd_addr(fam, true, a, sizeof(a));
	rnd_addr(fam, false, d, sizeof(d));
	s.src = a;
	s.dst = d;
	s.sport = (uint16_t)(1000 + rnd(41000));
	s.dport = rnd(3) ? (uint16_t)(ports[rnd(6)] + rnd(3) * rnd(300)) :
			   (uint16_t)rnd(65536);
	s.flags = (uint8_t)(rnd(2) ? 0x02 : rnd(64));
	if (x == 0)
		s.l4len = (int)rnd(12);
	else if (x == 1 && fam == V4)
		s.frag = (uint16_t)rnd(3);
	else if (x == 2 && fam == V6) {
		s.n_ext = 1;
		s.ext[0] = rnd(2) ? 0 : 44;
		s.ext_frag = (uint16_t)(rnd(2) * 8);
	} else if (x == 3 && fam == V6) {
		s.n_fill = 20;
		s.l4len = -1;
		s.trunc = 40 + 18 * 8 + 1;
	}
	return pu_build(&s);
}

/* seeds random chains of n_rules rules (5 in 6 members) in INPUT, half of
 * them with a user chain U of 40 rules; 300 random packets each. */
static void random_split(enum bf_family fam, uint32_t seeds, int n_rules,
			 uint64_t min_later)
{
	size_t split = 0, most = 0;
	uint64_t later = 0;

	for (uint32_t seed = 1; seed <= seeds; seed++) {
		size_t k = seed % ARRAY_SIZE(kinds);
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, fam, kinds[k].hook);
		bool has_user = seed % 2;
		struct pu_pair p;
		size_t second = 0;

		rnd_state = seed * 104729u + fam + (uint32_t)n_rules;
		rs->families = 1u << fam;
		b->policy = rnd(2) ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT;
		if (has_user) {
			struct bf_chain *u = NULL;

			assert_int_equal(
				bf_ruleset_add_chain(rs, fam, "U", 0, &u), 0);
			for (int i = 0; i < 40; i++) {
				if (rnd(5))
					member(u, fam, rnd_verdict(true));
				else
					other(u, fam, true, false);
			}
			b = bf_ruleset_builtin(rs, fam, kinds[k].hook);
		}
		for (int i = 0; i < n_rules; i++) {
			if (rnd(6))
				member(b, fam, rnd_verdict(false));
			else
				other(b, fam, false, has_user);
		}
		bf_ruleset_number(rs);
		{
			size_t np = parts_of(b, NULL, &second);

			split += np >= 2;
			most = np > most ? np : most;
		}
		pu_pair_load(rs, kinds[k].attach, kinds[k].hook, fam, set_opts,
			     "split", &p);
		for (int i = 0; i < 300; i++) {
			struct pu_pkt t = rnd_pkt(fam);

			pu_pair_run(&p, &t, fam);
		}
		pu_pair_same_counters(&p);
		/* packets decided after the first part */
		for (size_t i = second; second && i < b->n_rules; i++)
			later += pu_packets(&p.l, b->rules[i].counter_idx);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
	}
	/* every chain was split, and later parts decided packets */
	assert_int_equal(split, seeds);
	fprintf(stderr,
		"%u chains of %d rules (up to %zu parts): %llu packets "
		"decided after the first part\n",
		seeds, n_rules, most, (unsigned long long)later);
	assert_true(later >= min_later);
}

static void test_random_v4(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	random_split(V4, 9, 120, 90);
}

static void test_random_v6(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	random_split(V6, 6, 120, 60);
}

/* The members' linear code of each part for packets that are not plain
 * (BPFILTER_LBVS_LINEAR_SLOW, as IPv6 chains always do). */
static void test_linear_slow(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	setenv("BPFILTER_LBVS_LINEAR_SLOW", "1", 1);
	random_split(V4, 3, 120, 30);
	unsetenv("BPFILTER_LBVS_LINEAR_SLOW");
}

/* Chains long enough to be cut into segment functions: the parts run in
 * the chain's dispatcher, their result in the packet context. */
static void test_segmented(void **state)
{
	uint64_t b0 = budget;

	(void)state;
	BFT_REQUIRE_KERNEL();
	budget = 20000; /* more than 9 parts: one set of maps for all */
	random_split(V4, 3, 1500, 0);
	random_split(V6, 2, 900, 0);
	budget = b0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_linear_slow),
		cmocka_unit_test(test_segmented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
