// SPDX-License-Identifier: GPL-2.0-only
/*
 * Programs the x86-64 JIT can lay out.
 *
 * The JIT (arch/x86/net/bpf_jit_comp.c) compiles the first exit of a
 * function as its epilogue and every later exit as a jump back to it;
 * such backward displacements mix two passes' addresses and can make two
 * passes end with the same size but a different layout, which the final
 * pass refuses ("bpf_jit: fatal error", BPF_PROG_LOAD fails with 524).
 * The emitter therefore leaves one exit per function (bf_emit_finish(),
 * doc/codegen.md). Here:
 *  - the ruleset that used to fail (8 rules in INPUT) loads and gives the
 *    interpreter's verdicts (and a few worked out by hand);
 *  - many small random rulesets of the same shapes (tests/e2e/e2e_seg.c's
 *    generator) compile to programs with at most one exit per function
 *    and load (bounded in count and time; BF_JIT_SEED=N repeats a run).
 */
#include <inttypes.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "prog_util.h"

#define N_RANDOM 1000
#define RANDOM_BUDGET_MS 40000.0
#define N_PKTS 12

static const char repro[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":uc - [0:0]\n"
	"-A uc -p tcp -j DROP\n"
	"-A uc -s 203.0.113.0/28 -d 203.0.113.9 -j ACCEPT\n"
	"-A uc -s 198.51.100.0/24 -p tcp --dport 1000:1000 -j DROP\n"
	"-A uc -s 198.51.100.128/25 -j ACCEPT\n"
	"-A INPUT -s 203.0.113.0/28 -j ACCEPT\n"
	"-A INPUT -s 198.51.100.0/24 -p tcp --dport 1003:1003 -j ACCEPT\n"
	"-A INPUT -s 198.51.100.7 -j DROP\n"
	"-A INPUT -s 198.51.100.7 -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT\n"
	"-A INPUT -s 192.0.2.0/30 -p udp -j ACCEPT\n"
	"-A INPUT -s 203.0.113.0/28 -j DROP\n"
	"-A INPUT -s 198.51.100.0/24 -d 198.51.100.0/24 -p udp "
	"--dport 1000:1001 -j ACCEPT\n"
	"-A INPUT -d 198.51.100.128/25 -p udp --dport 1003:1005 -j uc\n"
	"COMMIT\n";

static unsigned int seed;

static unsigned int rnd(unsigned int n)
{
	return (unsigned int)rand_r(&seed) % n;
}

/* The number of exits of the function of prog that holds the most. */
static unsigned int max_exits(const struct bf_program *prog)
{
	unsigned int most = 0;

	for (size_t f = 0; f < prog->n_funcs; f++) {
		size_t lo = prog->funcs[f].insn_off;
		size_t hi = f + 1 < prog->n_funcs ?
				    prog->funcs[f + 1].insn_off :
				    prog->n_insns;
		unsigned int n = 0;

		for (size_t i = lo; i < hi; i++)
			n += prog->insns[i].code == (BPF_JMP | BPF_EXIT);
		if (n > most)
			most = n;
	}
	return most;
}

/* Compile rs for nf INPUT, check the exits, load it. */
static int load(struct bf_ruleset *rs, enum bf_family fam, struct pu_prog *p)
{
	struct bf_program *prog = NULL;
	unsigned int most;

	if (!rs->families)
		rs->families = 3;
	bf_ruleset_number(rs);
	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, BF_HOOK_INPUT, fam,
					 NULL, &prog),
			 0);
	assert_true(prog->n_funcs >= 1);
	most = max_exits(prog);
	bf_program_free(&prog);
	if (most > 1) {
		fprintf(stderr, "a function has %u exits\n", most);
		return -EINVAL;
	}
	return pu_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, fam, NULL, p);
}

/* The program's verdict on packet s, checked against the interpreter's;
 * returns the interpreter's. */
static enum bf_verdict_kind check_pkt(const struct bf_ruleset *rs,
				      const struct pu_prog *p,
				      const struct pu_spec *s)
{
	struct pu_pkt pkt = pu_build(s);
	struct bf_eval_pkt ep;
	struct bf_eval_result res;
	int got;

	assert_int_equal(bf_eval_pkt_parse(&ep, (enum bf_family)s->fam, pkt.b,
					   pkt.len),
			 0);
	/* BPF_PROG_TEST_RUN for netfilter: no input device, output "lo", no
	 * conntrack entry, mark 0 (as tests/prog/test_eval_vs_bpf.c) */
	snprintf(ep.oif, sizeof(ep.oif), "lo");
	ep.ctstate = BF_CTSTATE_INVALID;
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &ep, NULL, NULL, &res), 0);
	got = pu_run(p, pkt.b, pkt.len, s->fam);
	if (got !=
	    (res.verdict == BF_VERDICT_ACCEPT ? pu_accept(p) : pu_drop(p))) {
		fprintf(stderr,
			"verdict mismatch: %s -> %s proto %d dport %u: "
			"interpreter %s, program %d\n",
			s->src, s->dst, s->proto, s->dport,
			bf_verdict_name(res.verdict), got);
		fail();
	}
	return res.verdict;
}

static void test_repro(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct pu_prog p;
	/* worked out by hand from the rules above */
	static const struct {
		const char *src, *dst;
		int proto;
		uint16_t dport;
		uint8_t flags;
		enum bf_verdict_kind want;
	} cases[] = {
		/* INPUT rule 1 */
		{ "203.0.113.5", "192.0.2.1", 6, 80, 0x02, BF_VERDICT_ACCEPT },
		/* INPUT rule 2 */
		{ "198.51.100.9", "192.0.2.1", 6, 1003, 0x10,
		  BF_VERDICT_ACCEPT },
		/* INPUT rule 3 (before rule 4) */
		{ "198.51.100.7", "192.0.2.1", 6, 80, 0x02, BF_VERDICT_DROP },
		/* INPUT rule 5 */
		{ "192.0.2.2", "192.0.2.1", 17, 53, 0, BF_VERDICT_ACCEPT },
		/* INPUT rule 7 */
		{ "198.51.100.9", "198.51.100.200", 17, 1001, 0,
		  BF_VERDICT_ACCEPT },
		/* INPUT rule 8 -> uc rule 4 */
		{ "198.51.100.200", "198.51.100.200", 17, 1004, 0,
		  BF_VERDICT_ACCEPT },
		/* INPUT rule 8 -> uc, no match, back: policy */
		{ "192.0.2.99", "198.51.100.200", 17, 1004, 0,
		  BF_VERDICT_DROP },
		/* nothing: policy */
		{ "192.0.2.99", "192.0.2.1", 6, 80, 0x02, BF_VERDICT_DROP },
	};

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_non_null(rs);
	assert_int_equal(bf_ipt_parse_restore_str(rs, repro, "repro",
						  BF_FAMILY_INET4),
			 0);
	assert_int_equal(load(rs, BF_FAMILY_INET4, &p), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pu_spec s;

		memset(&s, 0, sizeof(s));
		s.fam = BF_FAMILY_INET4;
		s.src = cases[i].src;
		s.dst = cases[i].dst;
		s.proto = cases[i].proto;
		s.sport = 40000;
		s.dport = cases[i].dport;
		s.flags = cases[i].flags;
		assert_int_equal(check_pkt(rs, &p, &s), cases[i].want);
	}
	/* short TCP headers take the out-of-line path (hotdrop checks) */
	for (int len = 1; len < 20; len += 6) {
		struct pu_spec s;

		memset(&s, 0, sizeof(s));
		s.fam = BF_FAMILY_INET4;
		s.src = "198.51.100.7";
		s.dst = "192.0.2.1";
		s.proto = 6;
		s.dport = 1003;
		s.l4len = len;
		check_pkt(rs, &p, &s);
	}
	pu_close(&p);
	bf_ruleset_free(&rs);
}

/* ---- random rulesets: the shapes of tests/e2e/e2e_seg.c ---- */

static const char *const srcs6[] = { "2001:db8::/64",	 "2001:db8::7",
				     "2001:db8::80/121", "2001:db8:1::9",
				     "2001:db8:1::/124", "2001:db8:2::/126" };
static const char *const hosts6[] = { "2001:db8::7",   "2001:db8::c8",
				      "2001:db8:1::9", "2001:db8:1::3",
				      "2001:db8:2::2", "2001:db8:2::63" };
static const char *const srcs[] = { "198.51.100.0/24",	 "198.51.100.7",
				    "198.51.100.128/25", "203.0.113.9",
				    "203.0.113.0/28",	 "192.0.2.0/30" };
static const char *const hosts[] = { "198.51.100.7", "198.51.100.200",
				     "203.0.113.9",  "203.0.113.3",
				     "192.0.2.2",    "192.0.2.99" };

static size_t rand_rule(char *buf, size_t size, bool in_user, bool v6)
{
	size_t n = 0;
	unsigned int proto = rnd(3), v = rnd(20);

	if (rnd(2) || proto == 0)
		n += (size_t)snprintf(buf + n, size - n, "-s %s ",
				      v6 ? srcs6[rnd(6)] : srcs[rnd(6)]);
	if (rnd(3) == 0)
		n += (size_t)snprintf(buf + n, size - n, "-d %s ",
				      v6 ? srcs6[rnd(6)] : srcs[rnd(6)]);
	if (proto == 1 || proto == 2) {
		unsigned int lo = 1000 + rnd(8);

		n += (size_t)snprintf(buf + n, size - n, "-p %s ",
				      proto == 1 ? "tcp" : "udp");
		if (rnd(2))
			n += (size_t)snprintf(buf + n, size - n,
					      "--dport %u:%u ", lo,
					      lo + rnd(4));
		if (proto == 1 && rnd(3) == 0)
			n += (size_t)snprintf(buf + n, size - n,
					      "--tcp-flags SYN,ACK SYN ");
	}
	n += (size_t)snprintf(buf + n, size - n, "%s\n",
			      v < 8		 ? "-j ACCEPT" :
			      v < 16		 ? "-j DROP" :
			      v < 17		 ? "-j RETURN" :
			      v < 19 && !in_user ? "-j uc" :
						   "");
	return n;
}

static void test_random_load(void **state)
{
	const char *env = getenv("BF_JIT_SEED");
	unsigned int first = env ? (unsigned int)strtoul(env, NULL, 0) :
				   (unsigned int)time(NULL) ^
					     (unsigned int)getpid() << 16;
	double t0 = pu_now_ms();
	unsigned int done = 0, max_insns = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	print_message("seed %u (BF_JIT_SEED=%u to repeat)\n", first, first);
	seed = first;
	for (unsigned int i = 0;
	     i < N_RANDOM && pu_now_ms() - t0 < RANDOM_BUDGET_MS; i++) {
		enum bf_family fam = i % 2 ? BF_FAMILY_INET6 : BF_FAMILY_INET4;
		bool v6 = fam == BF_FAMILY_INET6;
		struct bf_ruleset *rs = bf_ruleset_new();
		char text[8192], rule[256];
		size_t n = 0;
		unsigned int n_user = rnd(5), n_in = 1 + rnd(16);
		struct pu_prog p;
		int r;

		assert_non_null(rs);
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "*filter\n:INPUT %s [0:0]\n"
				      ":FORWARD ACCEPT [0:0]\n"
				      ":OUTPUT ACCEPT [0:0]\n:uc - [0:0]\n",
				      rnd(2) ? "ACCEPT" : "DROP");
		for (unsigned int k = 0; k < n_user + n_in; k++) {
			rand_rule(rule, sizeof(rule), k < n_user, v6);
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "-A %s %s",
					      k < n_user ? "uc" : "INPUT",
					      rule);
		}
		snprintf(text + n, sizeof(text) - n, "COMMIT\n");
		assert_int_equal(
			bf_ipt_parse_restore_str(rs, text, "random", fam), 0);
		r = load(rs, fam, &p);
		if (r) {
			fprintf(stderr,
				"seed %u, ruleset %u (%s) fails to load: %d"
				"\n%s",
				first, i, v6 ? "ipv6" : "ipv4", r, text);
			fail();
		}
		if (p.n_insns > max_insns)
			max_insns = (unsigned int)p.n_insns;
		for (unsigned int k = 0; k < N_PKTS; k++) {
			struct pu_spec s;

			memset(&s, 0, sizeof(s));
			s.fam = fam;
			s.src = v6 ? hosts6[rnd(6)] : hosts[rnd(6)];
			s.dst = v6 ? hosts6[rnd(6)] : hosts[rnd(6)];
			s.proto = rnd(2) ? 6 : 17;
			s.sport = 40000;
			s.dport = (uint16_t)(998 + rnd(14));
			s.flags = rnd(2) ? 0x02 : 0x12;
			if (rnd(8) == 0)
				s.l4len = (int)(1 + rnd(19));
			check_pkt(rs, &p, &s);
		}
		pu_close(&p);
		bf_ruleset_free(&rs);
		done++;
	}
	print_message("%u random rulesets loaded (up to %u insns) in %.0f ms\n",
		      done, max_insns, pu_now_ms() - t0);
	assert_true(done >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repro),
		cmocka_unit_test(test_random_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
