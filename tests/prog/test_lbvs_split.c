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
	if (l && l->scatter) {
		/* partitions (opt/lbvs_part.h): every member in exactly one
		 * part, each part's in rule order, parts by first member */
		bool *seen = calloc(l->n_members, 1);

		assert_non_null(seen);
		n = l->n_parts;
		for (size_t k = 0; k < n; k++) {
			const struct bf_lbvs *p = l->parts[k];

			if (k)
				assert_true(p->base > l->parts[k - 1]->base);
			assert_int_equal(p->base,
					 l->rule_member[p->member_rule[0]]);
			for (size_t m = 0; m < p->n_members; m++) {
				size_t i = l->rule_member[p->member_rule[m]];

				assert_true(i < l->n_members && !seen[i]);
				assert_true(!m ||
					    p->member_rule[m] >
						    p->member_rule[m - 1]);
				seen[i] = true;
			}
			sum += p->n_members;
		}
		assert_int_equal(sum, l->n_members);
		/* the first member not in the first part */
		for (size_t m = 0; m < l->n_members && second; m++) {
			if (l->parts[0]->rule_member[l->member_rule[m]] ==
			    SIZE_MAX) {
				*second = l->member_rule[m];
				break;
			}
		}
		free(seen);
	} else if (l) {
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

/* ---- partitions (opt/lbvs_part.h) ---- */

#define N_PART 90

/* Member j: kind j % 6, each kind testing other fields (a partition of
 * its own): 0 -s 10.1.x/16..32 -p tcp --dport range (some negated);
 * 1 -p tcp --dport range; 2 -d 192.0.2.x/26..32 -p tcp; 3 ! -s
 * 10.1.x.0/24 -p tcp --tcp-flags SYN,ACK SYN (some negated); 4 -s
 * 10.1.x.y/24..32 (any protocol); 5 -d 192.0.2.0/24 -p udp --sport
 * range. Overlapping, so that a packet often matches members of several
 * partitions and the lowest must win. */
struct pk {
	int kind;
	char addr[16];
	int plen;
	bool neg;
	uint16_t lo, hi;
};

static struct pk part_rule(int j)
{
	struct pk k = { .kind = j % 6 };

	switch (k.kind) {
	case 0:
		snprintf(k.addr, sizeof(k.addr), "10.1.2.%d", j % 5);
		k.plen = 16 + j % 17;
		k.lo = (uint16_t)(100 + j % 7 * 20);
		k.hi = (uint16_t)(k.lo + 80);
		k.neg = j % 11 == 0;
		break;
	case 1:
		k.lo = (uint16_t)(90 + j % 13 * 25);
		k.hi = (uint16_t)(k.lo + 30 + j % 3 * 20);
		break;
	case 2:
		snprintf(k.addr, sizeof(k.addr), "192.0.2.%d", j * 7 % 256);
		k.plen = 26 + j % 7;
		break;
	case 3:
		snprintf(k.addr, sizeof(k.addr), "10.1.%d.0", j % 3);
		k.plen = 24;
		k.neg = j % 4 == 3; /* the flags test */
		break;
	case 4:
		snprintf(k.addr, sizeof(k.addr), "10.1.%d.%d", j % 4,
			 j * 37 % 256);
		k.plen = 24 + j % 9;
		break;
	default:
		snprintf(k.addr, sizeof(k.addr), "192.0.2.0");
		k.plen = 24;
		k.lo = (uint16_t)(1000 + j * 10);
		k.hi = (uint16_t)(k.lo + 300);
		break;
	}
	return k;
}

static bool part_matches(int j, const char *src, const char *dst, int proto,
			 uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct pk k = part_rule(j);

	switch (k.kind) {
	case 0:
		return in_prefix(src, k.addr, k.plen) && proto == 6 &&
		       (dport >= k.lo && dport <= k.hi) != k.neg;
	case 1:
		return proto == 6 && dport >= k.lo && dport <= k.hi;
	case 2:
		return in_prefix(dst, k.addr, k.plen) && proto == 6;
	case 3:
		return !in_prefix(src, k.addr, k.plen) && proto == 6 &&
		       ((flags & 0x12) == 0x02) != k.neg;
	case 4:
		return in_prefix(src, k.addr, k.plen);
	default:
		return in_prefix(dst, k.addr, k.plen) && proto == 17 &&
		       sport >= k.lo && sport <= k.hi;
	}
}

static void part_rules(struct bf_chain *b)
{
	for (int j = 0; j < N_PART; j++) {
		struct pk k = part_rule(j);
		enum bf_verdict_kind v = j % 2 ? BF_VERDICT_ACCEPT :
						 BF_VERDICT_DROP;
		struct bf_match fl = pu_m(BF_MATCH_TCPFLAGS, k.neg);

		fl.u.tcpflags.mask = 0x12;
		fl.u.tcpflags.cmp = 0x02;
		switch (k.kind) {
		case 0:
			PU_RULE(b, v, NULL,
				pu_addr(BF_MATCH_SADDR, k.addr, k.plen, false),
				pu_proto(6, false), pu_l4hdr(6, 20, true),
				pu_ports(BF_MATCH_DPORT, k.lo, k.hi, k.neg));
			break;
		case 1:
			PU_RULE(b, v, NULL, pu_proto(6, false),
				pu_l4hdr(6, 20, true),
				pu_ports(BF_MATCH_DPORT, k.lo, k.hi, false));
			break;
		case 2:
			PU_RULE(b, v, NULL,
				pu_addr(BF_MATCH_DADDR, k.addr, k.plen, false),
				pu_proto(6, false));
			break;
		case 3:
			PU_RULE(b, v, NULL,
				pu_addr(BF_MATCH_SADDR, k.addr, k.plen, true),
				pu_proto(6, false), pu_l4hdr(6, 20, true), fl);
			break;
		case 4:
			PU_RULE(b, v, NULL,
				pu_addr(BF_MATCH_SADDR, k.addr, k.plen, false));
			break;
		default:
			PU_RULE(b, v, NULL,
				pu_addr(BF_MATCH_DADDR, k.addr, k.plen, false),
				pu_proto(17, false), pu_l4hdr(17, 8, false),
				pu_ports(BF_MATCH_SPORT, k.lo, k.hi, false));
			break;
		}
	}
}

/* One probe of test_part_known(): x 0 TCP SYN, 1 TCP ACK, 2 UDP (port:
 * the TCP destination or UDP source port). Returns the first member it
 * matches (-1: none); *multi: it matches members of several kinds. */
static int part_probe(const struct pu_pair *p, const struct bf_chain *b,
		      const char *src, const char *dst, uint16_t port, int x,
		      bool *multi)
{
	bool udp = x == 2;
	uint8_t fl = x ? 0x10 : 0x02;
	uint16_t sp = udp ? port : 1234, dp = udp ? 53 : port;
	struct pu_pkt t = udp ? pu_udp4(src, dst, sp, dp) :
				pu_tcp4(src, dst, sp, dp, fl);
	int first = -1, hit = 0, want;
	uint32_t ci;
	uint64_t before;

	for (int j = 0; j < N_PART; j++) {
		if (!part_matches(j, src, dst, udp ? 17 : 6, sp, dp, fl))
			continue;
		if (first < 0)
			first = j;
		hit |= 1 << (j % 6);
	}
	*multi = __builtin_popcount((unsigned int)hit) >= 2;
	/* none: policy ACCEPT, or rule N_PART + 2 drops TCP */
	want = first >= 0 ? first % 2 : udp ? 1 : 0;
	ci = b->rules[first >= 0 ? first + 1 : N_PART + 2].counter_idx;
	before = pu_packets(&p->o, ci);
	if (pu_pair_run(p, &t, V4) != want)
		fail_msg("%s>%s:%u/%d: verdict", src, dst, port, x);
	if ((first >= 0 || !udp) && pu_packets(&p->o, ci) != before + 1)
		fail_msg("%s>%s:%u/%d: rule %d not counted", src, dst, port, x,
			 first);
	return first;
}

/* Known answers across partitions: verdicts and the counted rule against
 * a model of the first matching member, and against linear code; probes
 * matched in several partitions must count the lowest member. */
static void test_part_known(void **state)
{
	static const char *const srcs[] = { "10.1.2.3", "10.1.0.9", "10.2.0.1",
					    "10.1.1.200", "10.1.3.74" };
	static const char *const dsts[] = { "192.0.2.1", "192.0.2.70",
					    "192.0.2.130", "198.51.100.7" };

	(void)state;
	BFT_REQUIRE_KERNEL();
	setenv("BPFILTER_LBVS_PART_MIN", "4", 1);
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = bf_ruleset_builtin(rs, V4, kinds[k].hook);
		struct pu_pair p;
		size_t members, multi = 0, late = 0, checked = 0;

		budget = 1ull << 30; /* one part per partition */
		rs->families = 1u << V4;
		b->policy = BF_VERDICT_ACCEPT;
		/* 0: before the members, counting */
		PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
			pu_addr(BF_MATCH_SADDR, "10.0.0.0", 8, false));
		part_rules(b);
		/* after: not a member (interface), then DROP all TCP */
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
			pu_iface(BF_MATCH_IIFNAME, "veth9", false),
			pu_proto(6, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(6, false));
		bf_ruleset_number(rs);
		/* six partitions (the last rule is a member too) */
		assert_true(parts_of(b, &members, NULL) >= 6);
		assert_int_equal(members, N_PART + 1);
		pu_pair_load(rs, kinds[k].attach, kinds[k].hook, V4, set_opts,
			     "partitions", &p);
		for (size_t s = 0; s < ARRAY_SIZE(srcs); s++) {
			for (size_t d = 0; d < ARRAY_SIZE(dsts); d++) {
				for (uint16_t port = 90; port < 1900;
				     port += 61) {
					for (int x = 0; x < 3; x++) {
						bool mu;
						int j = part_probe(
							&p, b, srcs[s], dsts[d],
							port, x, &mu);

						multi += mu;
						late += j >= N_PART / 3;
						checked++;
					}
				}
			}
		}
		pu_pair_same_counters(&p);
		pu_pair_close(&p);
		bf_ruleset_free(&rs);
		if (!k)
			fprintf(stderr,
				"%zu probes, %zu matched in several "
				"partitions, %zu decided by member >= %d\n",
				checked, multi, late, N_PART / 3);
		assert_true(multi > 100);
		assert_true(late > 20);
	}
	budget = 9000;
	unsetenv("BPFILTER_LBVS_PART_MIN");
}

/* The split tests with partitions (what a chain over the budget gets:
 * tiny budgets, several parts per partition) and with contiguous parts
 * (BPFILTER_LBVS_PART=0). */
static void with_parts(void (*fn)(void **), void **state)
{
	setenv("BPFILTER_LBVS_PART_MIN", "4", 1);
	fn(state);
	unsetenv("BPFILTER_LBVS_PART_MIN");
}

static void contiguous(void (*fn)(void **), void **state)
{
	setenv("BPFILTER_LBVS_PART", "0", 1);
	fn(state);
	unsetenv("BPFILTER_LBVS_PART");
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

static void test_part_known_split(void **state)
{
	with_parts(test_known, state);
}

static void test_part_random_v4(void **state)
{
	with_parts(test_random_v4, state);
}

static void test_part_random_v6(void **state)
{
	with_parts(test_random_v6, state);
}

static void test_part_linear_slow(void **state)
{
	with_parts(test_linear_slow, state);
}

static void test_part_segmented(void **state)
{
	with_parts(test_segmented, state);
}

static void test_contig_known(void **state)
{
	contiguous(test_known, state);
}

static void test_contig_random_v4(void **state)
{
	contiguous(test_random_v4, state);
}

static void test_contig_random_v6(void **state)
{
	contiguous(test_random_v6, state);
}

static void test_contig_linear_slow(void **state)
{
	contiguous(test_linear_slow, state);
}

static void test_contig_segmented(void **state)
{
	contiguous(test_segmented, state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_part_known),
		cmocka_unit_test(test_part_known_split),
		cmocka_unit_test(test_part_random_v4),
		cmocka_unit_test(test_part_random_v6),
		cmocka_unit_test(test_part_linear_slow),
		cmocka_unit_test(test_part_segmented),
		cmocka_unit_test(test_contig_known),
		cmocka_unit_test(test_contig_random_v4),
		cmocka_unit_test(test_contig_random_v6),
		cmocka_unit_test(test_contig_linear_slow),
		cmocka_unit_test(test_contig_segmented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
