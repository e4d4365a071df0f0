// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m ecn (cgen/m_ecn.c) against the IR interpreter (bf_eval()): rulesets
 * of ecn matches (every option, each inverted or not) and random packets
 * whose ECN codepoint, TCP ECE / CWR flags, IPv4 fragment offset, IPv6
 * fragment header, short transport headers and the byte a later IPv6
 * fragment is read at (the source address's byte 5, cgen/m_ecn.h) vary,
 * run at netfilter (INPUT, FORWARD, OUTPUT), tc and XDP. Verdicts must
 * agree.
 *
 * BF_EVAL_SEED=N repeats a run (the seed is printed).
 */
#include <inttypes.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "eval_util.h"
#include "prog_util.h"

static const uint16_t ports[] = { 22, 80, 5001 };

/* every rule a counter; RETURN and a user chain for good measure */
static const char rules[] = "*filter\n"
			    ":INPUT ACCEPT [0:0]\n"
			    ":FORWARD DROP [0:0]\n"
			    ":OUTPUT ACCEPT [0:0]\n"
			    ":ec - [0:0]\n"
			    "-A %1$s -p tcp -m ecn --ecn-tcp-ece -j ec\n"
			    "-A %1$s -p tcp -m ecn ! --ecn-tcp-cwr -j ec\n"
			    "-A %1$s -m ecn --ecn-ip-ect %2$u -j ec\n"
			    "-A %1$s -m ecn ! --ecn-ip-ect %3$u -j ec\n"
			    "-A %1$s -p tcp -m ecn --ecn-tcp-cwr "
			    "! --ecn-tcp-ece --ecn-ip-ect %2$u -j DROP\n"
			    "-A %1$s -p tcp -m ecn ! --ecn-tcp-cwr "
			    "--ecn-tcp-ece ! --ecn-ip-ect %3$u -j ACCEPT\n"
			    "-A %1$s -p tcp -m ecn --ecn-tcp-ece --ecn-tcp-cwr "
			    "-j DROP\n"
			    "-A ec -p tcp -m ecn ! --ecn-tcp-ece -j RETURN\n"
			    "-A ec -m ecn ! --ecn-ip-ect 0 -j DROP\n"
			    "COMMIT\n";

static struct pu_pkt random_packet(enum bf_family fam)
{
	static const struct eval_spec_odds odds = {
		.ports = ports,
		.n_ports = ARRAY_SIZE(ports),
		.flags_below = 256,
		.short_l4_pct = 15,
		.v6_ext_pct = 30,
	};
	bool v6 = fam == BF_FAMILY_INET6;
	struct pu_spec s;
	struct pu_pkt p;

	eval_random_spec(&s, fam, &odds);
	if (chance(50))
		s.proto = 6;
	if (!v6 && chance(25))
		s.frag = (uint16_t)(chance(50) ? 2 : 0x2001); /* later */
	if (v6 && chance(25)) {
		/* a fragment header, often a later fragment */
		s.n_ext = 1;
		s.ext[0] = 44;
		s.ext_frag = (uint16_t)(below(3) * 8);
	}
	p = pu_build(&s);
	/* the ECN codepoint: IPv4 TOS bits 0-1, IPv6 traffic class bits
	 * 0-1 (bits 4-5 of the second byte) */
	if (v6)
		p.b[1] = (uint8_t)((p.b[1] & ~0x30u) | below(4) << 4);
	else
		p.b[1] = (uint8_t)((p.b[1] & ~3u) | below(4));
	/* ECE / CWR where a later IPv6 fragment is read: byte 13 */
	if (v6)
		p.b[13] = (uint8_t)(below(4) << 6);
	/* an IPv4 later fragment's data as a TCP header: ECE / CWR there */
	if (!v6 && p.len >= 40 && chance(50))
		p.b[33] = (uint8_t)(below(4) << 6);
	return p;
}

static void test_random(void **state)
{
	const char *env = getenv("BF_EVAL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) :
			      (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	unsigned int failures = 0, runs = 0, matched = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	print_message("seed %" PRIu64 " (BF_EVAL_SEED=%" PRIu64 " to repeat)\n",
		      seed, seed);
	rng = seed ? seed : 1;
	for (unsigned int i = 0; i < 30 && failures < 5; i++) {
		enum bf_family fam = (enum bf_family)(i % 2);
		uint32_t pick = i / 2 % 5;
		enum bf_attach_kind attach = pick < 3  ? BF_ATTACH_NF :
					     pick == 3 ? BF_ATTACH_TC :
							 BF_ATTACH_XDP;
		enum bf_hook hook = pick < 3 ? (enum bf_hook)pick :
					       BF_HOOK_INPUT;
		struct bf_ruleset *rs = bf_ruleset_new();
		char text[2048];
		struct pu_prog prog;
		int r;

		assert_non_null(rs);
		snprintf(text, sizeof(text), rules, bf_hook_name(hook),
			 below(4), below(4));
		assert_int_equal(bf_ipt_parse_restore_str(rs, text, "ecn.rules",
							  fam),
				 0);
		r = pu_load(rs, attach, hook, fam, "veth0", &prog);
		if (r)
			fail_msg("ruleset %u does not compile/load at %d: %d",
				 i, attach, r);
		for (unsigned int k = 0; k < 300 && failures < 5; k++) {
			struct pu_pkt p = random_packet(fam);
			struct bf_eval_pkt ep;
			struct bf_eval_result res;
			int got;

			if (bf_eval_pkt_parse(&ep, fam, p.b, p.len))
				continue;
			if (attach == BF_ATTACH_NF) {
				snprintf(ep.oif, sizeof(ep.oif), "lo");
				ep.ctstate = BF_CTSTATE_INVALID;
			} else {
				snprintf(ep.iif, sizeof(ep.iif), "veth0");
				ep.ctstate = BF_CTSTATE_NEW;
			}
			assert_int_equal(
				bf_eval(rs, hook, &ep, NULL, NULL, &res), 0);
			if (attach != BF_ATTACH_NF && fam == BF_FAMILY_INET6 &&
			    p.b[4] == 0 && p.b[5] == 0)
				continue; /* jumbogram: left to the stack */
			got = pu_run(&prog, p.b, p.len, fam);
			runs++;
			matched += !res.policy;
			if (got != (res.verdict == BF_VERDICT_ACCEPT ?
					    pu_accept(&prog) :
					    pu_drop(&prog))) {
				fprintf(stderr,
					"MISMATCH seed %" PRIu64
					" ruleset %u packet %u: interpreter "
					"%s (%schain %s rule %zu), program "
					"%d\n%s",
					seed, i, k,
					bf_verdict_name(res.verdict),
					res.hotdrop ? "hotdrop, " : "",
					res.chain ? res.chain->name : "?",
					res.rule_num, got, text);
				for (size_t b = 0; b < p.len; b++)
					fprintf(stderr, "%02x", p.b[b]);
				fputc('\n', stderr);
				failures++;
			}
		}
		pu_close(&prog);
		bf_ruleset_free(&rs);
	}
	print_message("%u packets compared (%u decided by a rule), %u "
		      "mismatching\n",
		      runs, matched, failures);
	assert_int_equal(failures, 0);
	assert_true(runs > 1000);
	assert_true(matched > runs / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
