// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two oracles against each other: random rulesets of the core match types
 * (random negations, -j / -g / RETURN, policies) and random packets
 * (fragments, short transport headers, IPv6 extension headers, truncated
 * walks; runs of same-shape rules that the fold pass turns into
 * lookups), run through the IR interpreter (bf_eval()) and through the
 * compiled program (BPF_PROG_TEST_RUN: netfilter mostly, tc and XDP
 * too). The verdicts must agree, and so must every counter: the rules the
 * interpreter says matched (the deciding one included) and the policy it
 * applied are exactly those whose counters moved.
 *
 * BF_EVAL_SEED=N repeats a run (the seed is printed); BF_EVAL_RULESETS and
 * BF_EVAL_PACKETS change the bounds (default 50 x 200).
 */
#include <inttypes.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "eval_util.h"
#include "prog_util.h"

static const uint16_t port_pool[] = { 0, 22, 53, 80, 1024, 1234, 65535 };

static bool no_mark; /* XDP has no skb->mark */

static uint16_t pick_port(void)
{
	return port_pool[below(ARRAY_SIZE(port_pool))];
}

static void add_ports(struct bf_rule *r, enum bf_match_type t)
{
	uint16_t a = pick_port(), b = chance(50) ? a : pick_port();
	struct bf_match m =
		pu_ports(t, a < b ? a : b, a < b ? b : a, chance(30));

	assert_int_equal(bf_rule_add_match(r, &m), 0);
}

/* One random rule of `fam`; target chains are user chains [first, n). */
static void random_rule(struct bf_rule *r, enum bf_family fam,
			struct bf_chain **users, size_t first, size_t n_users,
			bool builtin)
{
	bool v6 = fam == BF_FAMILY_INET6;
	struct bf_match m;
	int proto;

	memset(r, 0, sizeof(*r));
	r->family = fam;
	if (chance(30)) {
		m = pu_addr(BF_MATCH_SADDR, pick_addr(v6),
			    (int)(v6 ? 32 + below(97) : 8 + below(25)),
			    chance(25));
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (chance(30)) {
		m = pu_addr(BF_MATCH_DADDR, pick_addr(v6),
			    (int)(v6 ? 64 + below(65) : 16 + below(17)),
			    chance(25));
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (chance(10)) {
		static const char *const names[] = { "lo",    "lo+",   "l+",
						     "eth0",  "+",     "veth0",
						     "veth+", "veth00" };

		m = pu_iface(chance(50) ? BF_MATCH_IIFNAME : BF_MATCH_OIFNAME,
			     names[below(ARRAY_SIZE(names))], chance(30));
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	/* protocol: 0 none, else tcp/udp/icmp(v6)/gre, maybe negated */
	switch (below(5)) {
	case 0:
		proto = 0;
		break;
	case 1:
		proto = 6;
		break;
	case 2:
		proto = 17;
		break;
	case 3:
		proto = v6 ? 58 : 1;
		break;
	default:
		proto = 47;
		break;
	}
	if (!proto && v6 && chance(20)) {
		m = pu_proto(0, chance(30)); /* -p all */
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (proto) {
		bool neg = chance(20);

		m = pu_proto((uint8_t)proto, neg);
		assert_int_equal(bf_rule_add_match(r, &m), 0);
		if (neg)
			proto = 0; /* no transport module after ! -p */
	}
	if (!v6 && chance(10)) {
		m = pu_m(BF_MATCH_FRAG, chance(50));
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if ((proto == 6 || proto == 17) && chance(70)) {
		m = pu_l4hdr((uint8_t)proto, proto == 6 ? 20 : 8,
			     proto == 6 && !v6);
		assert_int_equal(bf_rule_add_match(r, &m), 0);
		if (chance(50))
			add_ports(r, BF_MATCH_SPORT);
		if (chance(60))
			add_ports(r, BF_MATCH_DPORT);
		if (proto == 6 && chance(40)) {
			m = pu_m(BF_MATCH_TCPFLAGS, chance(30));
			m.u.tcpflags.mask = chance(50) ? 0x17 : 0x3f;
			m.u.tcpflags.cmp = chance(50) ? 0x02 : 0x10;
			assert_int_equal(bf_rule_add_match(r, &m), 0);
		}
	}
	if ((proto == 6 || proto == 17) && chance(25)) {
		m = pu_l4hdr((uint8_t)proto, 4, false);
		assert_int_equal(bf_rule_add_match(r, &m), 0);
		m = pu_m(BF_MATCH_MULTIPORT, chance(30));
		m.u.multiport.dir = (enum bf_multiport_dir)below(3);
		m.u.multiport.count = (uint8_t)(1 + below(4));
		for (int i = 0; i < m.u.multiport.count; i++)
			m.u.multiport.ports[i] = pick_port();
		if (m.u.multiport.count >= 2 && chance(50) &&
		    m.u.multiport.ports[0] <= m.u.multiport.ports[1])
			m.u.multiport.is_range[0] = true;
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if ((proto == 1 || proto == 58) && chance(70)) {
		m = pu_l4hdr((uint8_t)proto, 8, false);
		assert_int_equal(bf_rule_add_match(r, &m), 0);
		m = pu_m(BF_MATCH_ICMP, chance(30));
		m.u.icmp.type =
			chance(15) && !v6 ?
				0xff :
				(uint8_t)(v6 ? 128 + below(2) : below(2) * 8);
		m.u.icmp.code_lo = 0;
		m.u.icmp.code_hi = chance(50) ? 0 : 0xff;
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (chance(10)) {
		const char *a = pick_addr(v6), *b = pick_addr(v6);
		uint8_t x[16], y[16];
		int af = v6 ? AF_INET6 : AF_INET;

		inet_pton(af, a, x);
		inet_pton(af, b, y);
		if (memcmp(x, y, v6 ? 16 : 4) > 0) {
			const char *t = a;

			a = b;
			b = t;
		}
		m = pu_range(chance(50) ? BF_MATCH_SRANGE : BF_MATCH_DRANGE, a,
			     b, chance(30));
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (chance(8)) {
		m = pu_m(BF_MATCH_CTSTATE, chance(30));
		m.u.ctstate.mask = 1u << below(5);
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (chance(8)) {
		m = pu_m(BF_MATCH_LENGTH, chance(30));
		m.u.length.min = (uint16_t)(below(3) * 30);
		m.u.length.max = (uint16_t)(m.u.length.min + below(80));
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (chance(6)) {
		m = pu_m(BF_MATCH_TTL, chance(30));
		m.u.ttl.op = (enum bf_ttl_op)below(4);
		m.u.ttl.value = (uint8_t)(chance(50) ? 64 : 63);
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	if (!no_mark && chance(5)) {
		m = pu_m(BF_MATCH_MARK, chance(40));
		m.u.mark.mask = 0xff;
		m.u.mark.value = below(2);
		assert_int_equal(bf_rule_add_match(r, &m), 0);
	}
	/* verdict */
	switch (below(10)) {
	case 0:
	case 1:
		r->verdict.kind = BF_VERDICT_ACCEPT;
		break;
	case 2:
	case 3:
		r->verdict.kind = BF_VERDICT_DROP;
		break;
	case 4:
		r->verdict.kind = BF_VERDICT_CONTINUE;
		break;
	case 5:
		r->verdict.kind = builtin && chance(70) ? BF_VERDICT_ACCEPT :
							  BF_VERDICT_RETURN;
		break;
	default:
		if (first < n_users) {
			struct bf_chain *t =
				users[first +
				      below((uint32_t)(n_users - first))];

			r->verdict.kind = chance(70) ? BF_VERDICT_JUMP :
						       BF_VERDICT_GOTO;
			snprintf(r->verdict.chain, sizeof(r->verdict.chain),
				 "%s", t->name);
		} else {
			r->verdict.kind = BF_VERDICT_DROP;
		}
		break;
	}
}

/* A run of rules of one shape (what the fold pass turns into one hash
 * lookup, src/lib/opt/): same matches, values from small pools (so keys
 * repeat and packets hit them), terminal verdicts. */
static void add_run(struct bf_chain *c, enum bf_family fam)
{
	bool v6 = fam == BF_FAMILY_INET6;
	int shape = (int)below(4),
	    plen = v6 ? (chance(50) ? 128 : 64) : (chance(50) ? 32 : 24);
	uint8_t proto = chance(50) ? 6 : 17;
	bool common = chance(30);
	size_t n = 8 + below(14);
	char a[64];

	for (size_t k = 0; k < n; k++) {
		struct bf_rule r;
		struct bf_match m;

		memset(&r, 0, sizeof(r));
		r.family = fam;
		snprintf(a, sizeof(a), v6 ? "2001:db8::%x" : "192.0.2.%u",
			 below(6));
		if (common) {
			m = pu_addr(BF_MATCH_DADDR,
				    v6 ? "2001:db8::" : "192.0.2.0",
				    v6 ? 32 : 24, false);
			assert_int_equal(bf_rule_add_match(&r, &m), 0);
		}
		if (shape == 0 || shape == 2) {
			m = pu_addr(BF_MATCH_SADDR, a, plen, false);
			assert_int_equal(bf_rule_add_match(&r, &m), 0);
		}
		if (shape >= 1) {
			m = pu_proto(shape == 3 ?
					     (uint8_t)(chance(50) ? 6 : 17) :
					     proto,
				     false);
			assert_int_equal(bf_rule_add_match(&r, &m), 0);
		}
		if (shape == 1 || shape == 2) {
			uint16_t port = pick_port();

			m = pu_l4hdr(proto, proto == 6 ? 20 : 8,
				     proto == 6 && !v6);
			assert_int_equal(bf_rule_add_match(&r, &m), 0);
			m = pu_ports(BF_MATCH_DPORT, port, port, false);
			assert_int_equal(bf_rule_add_match(&r, &m), 0);
		}
		r.verdict.kind = chance(50) ? BF_VERDICT_ACCEPT :
					      BF_VERDICT_DROP;
		assert_int_equal(bf_chain_add_rule(c, &r), 0);
	}
}

static struct bf_ruleset *random_ruleset(enum bf_family fam, enum bf_hook hook)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *users[4];
	size_t n_users = below(5);
	char name[16];

	assert_non_null(rs);
	rs->families = 1u << fam;
	for (size_t i = 0; i < n_users; i++) {
		snprintf(name, sizeof(name), "U%u", (unsigned)i & 0xff);
		assert_int_equal(bf_ruleset_add_chain(rs, fam, name, 0, NULL),
				 0);
	}
	/* pointers only after every chain is added */
	for (size_t i = 0; i < n_users; i++) {
		snprintf(name, sizeof(name), "U%u", (unsigned)i & 0xff);
		users[i] = bf_ruleset_chain(rs, fam, name);
	}
	for (size_t i = 0; i < n_users; i++) {
		size_t n = below(8);

		for (size_t k = 0; k < n; k++) {
			struct bf_rule r;

			if (chance(8)) {
				add_run(users[i], fam);
				continue;
			}
			random_rule(&r, fam, users, i + 1, n_users, false);
			assert_int_equal(bf_chain_add_rule(users[i], &r), 0);
		}
	}
	{
		struct bf_chain *b = bf_ruleset_builtin(rs, fam, hook);
		size_t n = 1 + below(12);

		b->policy = chance(50) ? BF_VERDICT_ACCEPT : BF_VERDICT_DROP;
		for (size_t k = 0; k < n; k++) {
			struct bf_rule r;

			if (chance(8)) {
				add_run(b, fam);
				continue;
			}

			random_rule(&r, fam, users, 0, n_users, true);
			assert_int_equal(bf_chain_add_rule(b, &r), 0);
		}
	}
	return rs;
}

static struct pu_pkt random_packet(enum bf_family fam)
{
	static const struct eval_spec_odds odds = {
		.ports = port_pool,
		.n_ports = ARRAY_SIZE(port_pool),
		.flags_below = 64,
		.short_l4_pct = 10,
		.v6_ext_pct = 30,
	};
	bool v6 = fam == BF_FAMILY_INET6;
	struct pu_spec s;

	eval_random_spec(&s, fam, &odds);
	/* long chains: past the unrolled steps, into the bpf_loop walk */
	if (v6 && chance(8))
		s.n_fill = (int)(12 + below(30));
	{
		struct pu_pkt p = pu_build(&s);

		if (chance(5) && p.len > (v6 ? 41u : 21u)) {
			s.trunc = (int)((v6 ? 40 : 20) + below((uint32_t)p.len -
							       (v6 ? 40 : 20)));
			p = pu_build(&s);
		}
		return p;
	}
}

struct expect {
	uint64_t *pk;
	size_t n;
};

static void on_step(const struct bf_eval_step *st, void *data)
{
	struct expect *x = data;

	if (getenv("BF_EVAL_STEPS"))
		fprintf(stderr,
			"  step %s chain %s rule %zu matched %d "
			"match %s depth %d\n",
			bf_eval_event_name(st->event), st->chain->name,
			st->rule_num, st->matched,
			st->match ? bf_match_name(st->match->type) : "-",
			st->depth);

	if (st->event == BF_EVAL_RULE && st->matched &&
	    st->rule->counter_idx < x->n)
		x->pk[st->rule->counter_idx]++;
	if (st->event == BF_EVAL_POLICY && st->chain->policy_counter_idx < x->n)
		x->pk[st->chain->policy_counter_idx]++;
}

static void print_case(const struct bf_ruleset *rs, enum bf_family fam,
		       enum bf_hook hook, const struct pu_pkt *p)
{
	fprintf(stderr, "ruleset (%s, hook %s):\n", bf_family_name(fam),
		bf_hook_name(hook));
	bf_ipt_print(stderr, rs, fam, 0);
	fprintf(stderr, "packet (%zu bytes):", p->len);
	for (size_t i = 0; i < p->len; i++)
		fprintf(stderr, "%s%02x", i % 4 ? "" : " ", p->b[i]);
	fprintf(stderr, "\n");
}

static void test_random(void **state)
{
	const char *env = getenv("BF_EVAL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) :
			      (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	unsigned int n_rs = getenv("BF_EVAL_RULESETS") ?
				    (unsigned)atoi(getenv("BF_EVAL_RULESETS")) :
				    50;
	unsigned int n_pk = getenv("BF_EVAL_PACKETS") ?
				    (unsigned)atoi(getenv("BF_EVAL_PACKETS")) :
				    200;
	unsigned int failures = 0, runs = 0, hotdrops = 0, policies = 0;
	unsigned int untouched = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	print_message("seed %" PRIu64 " (BF_EVAL_SEED=%" PRIu64 " to repeat)\n",
		      seed, seed);
	rng = seed ? seed : 1;
	for (unsigned int i = 0; i < n_rs && failures < 5; i++) {
		enum bf_family fam = (enum bf_family)(i % 2);
		/* netfilter mostly; tc ingress/egress and XDP too */
		uint32_t pick = below(10);
		enum bf_attach_kind attach = pick < 6 ? BF_ATTACH_NF :
					     pick < 9 ? BF_ATTACH_TC :
							BF_ATTACH_XDP;
		enum bf_hook hook =
			attach == BF_ATTACH_NF ?
				(enum bf_hook)below(BF_HOOK_COUNT) :
			attach == BF_ATTACH_TC ?
				(chance(50) ? BF_HOOK_INPUT : BF_HOOK_OUTPUT) :
				BF_HOOK_INPUT;
		struct bf_ruleset *rs;
		struct pu_prog prog;
		int r;

		no_mark = attach == BF_ATTACH_XDP;
		rs = random_ruleset(fam, hook);
		r = pu_load(rs, attach, hook, fam, "veth0", &prog);
		if (r) {
			print_case(rs, fam, hook, &(struct pu_pkt){ .len = 0 });
			fail_msg("ruleset %u does not compile/load at %d: %d",
				 i, attach, r);
		}
		for (unsigned int k = 0; k < n_pk && failures < 5; k++) {
			struct pu_pkt p = random_packet(fam);
			struct bf_eval_pkt ep;
			struct bf_eval_result res;
			uint64_t want[512] = { 0 };
			struct expect x = { want, prog.n_counters };
			int got, er;
			bool bad = false;

			assert_true(prog.n_counters <= ARRAY_SIZE(want));
			assert_int_equal(
				bf_eval_pkt_parse(&ep, fam, p.b, p.len), 0);
			if (attach == BF_ATTACH_NF) {
				/* BPF_PROG_TEST_RUN for netfilter: no input
				 * device, output "lo", no conntrack entry,
				 * mark 0 */
				snprintf(ep.oif, sizeof(ep.oif), "lo");
				ep.ctstate = BF_CTSTATE_INVALID;
			} else {
				/* tc/XDP: the interface is the attach
				 * point's (in at INPUT, out at OUTPUT); the
				 * conntrack lookup finds no entry for these
				 * addresses: NEW (doc/codegen.md) */
				snprintf(hook == BF_HOOK_INPUT ? ep.iif :
								 ep.oif,
					 BF_IFNAMSIZ, "veth0");
				ep.ctstate = BF_CTSTATE_NEW;
			}
			er = bf_eval(rs, hook, &ep, on_step, &x, &res);
			assert_int_equal(er, 0);
			if (attach != BF_ATTACH_NF && fam == BF_FAMILY_INET6 &&
			    p.b[4] == 0 && p.b[5] == 0 && p.b[6] == 0) {
				/* payload length 0 with hop-by-hop: a
				 * jumbogram for tc/XDP, left to the stack
				 * untouched and uncounted (doc/codegen.md) */
				memset(want, 0, sizeof(want));
				memset(&res, 0, sizeof(res));
				res.verdict = BF_VERDICT_ACCEPT;
				untouched++;
			}
			pu_reset_counters(&prog);
			got = pu_run(&prog, p.b, p.len, fam);
			runs++;
			hotdrops += res.hotdrop;
			policies += res.policy;
			if (got != (res.verdict == BF_VERDICT_ACCEPT ?
					    pu_accept(&prog) :
					    pu_drop(&prog))) {
				fprintf(stderr,
					"VERDICT MISMATCH: interpreter %s "
					"(%s%s chain %s rule %zu), program "
					"returned %d\n",
					bf_verdict_name(res.verdict),
					res.hotdrop ? "hotdrop, " : "",
					res.policy ? "policy," : "",
					res.chain ? res.chain->name : "?",
					res.rule_num, got);
				bad = true;
			}
			for (uint32_t c = 0; c < prog.n_counters; c++) {
				struct bf_counter cc = pu_counter(&prog, c);

				if (cc.packets != want[c] ||
				    cc.bytes != want[c] * p.len) {
					fprintf(stderr,
						"COUNTER MISMATCH: counter %u: "
						"program %" PRIu64
						" packets %" PRIu64
						" bytes, interpreter %" PRIu64
						" packets\n",
						c, cc.packets, cc.bytes,
						want[c]);
					bad = true;
				}
			}
			if (bad) {
				fprintf(stderr,
					"seed %" PRIu64
					", ruleset %u, packet %u\n",
					seed, i, k);
				print_case(rs, fam, hook, &p);
				failures++;
			}
		}
		pu_close(&prog);
		bf_ruleset_free(&rs);
	}
	print_message("%u packets compared (%u hotdrops, %u policies, %u "
		      "jumbograms left alone at tc/XDP), %u mismatching\n",
		      runs, hotdrops, policies, untouched, failures);
	assert_int_equal(failures, 0);
	assert_true(runs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
