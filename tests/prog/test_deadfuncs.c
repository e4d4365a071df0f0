// SPDX-License-Identifier: GPL-2.0-only
/*
 * Functions nothing calls. At tc and XDP an interface match is resolved
 * when the program is compiled for its interface (cgen.c iface_static()):
 * `! -i eth+ -j ACCEPT` is true on veth0 and every later rule of the chain
 * is dead code. The bit-vector search's functions of those rules were
 * still emitted and listed in func_info, while the kernel finds
 * subprograms by their calls: "number of funcs in func_info doesn't match
 * number of subprogs", the program refused (found by a random XDP
 * campaign: an IPv6 INPUT chain with 40 -d rules after such a rule, at
 * the default settings). lbvs_funcs() emits only called functions now.
 */
#include "opt/lbvs.h"
#include "prog_util.h"

/* INPUT: ! -i eth+ -j ACCEPT, then n rules -d <prefix k> -j DROP (bit-
 * vector members), policy ACCEPT. */
static struct bf_ruleset *ruleset(enum bf_family fam, int n)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b = bf_ruleset_builtin(rs, fam, BF_HOOK_INPUT);
	bool v6 = fam == BF_FAMILY_INET6;

	PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
		pu_iface(BF_MATCH_IIFNAME, "eth+", true));
	for (int k = 1; k <= n; k++) {
		char a[64];

		if (v6)
			snprintf(a, sizeof(a), "2001:db8:%x::", k);
		else
			snprintf(a, sizeof(a), "10.%d.0.0", k);
		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_DADDR, a, v6 ? 64 + k : 16 + k % 16,
				false));
	}
	b->policy = BF_VERDICT_ACCEPT;
	rs->families = 1u << fam;
	return rs;
}

static void test_dead_lbvs(void **state)
{
	static const enum bf_attach_kind kinds[] = { BF_ATTACH_XDP,
						     BF_ATTACH_TC };
	static const enum bf_family fams[] = { BF_FAMILY_INET6,
					       BF_FAMILY_INET4 };
	struct bf_lbvs_options o;

	(void)state;
	BFT_REQUIRE_KERNEL();
	bf_lbvs_get_options(&o);
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
			for (size_t min = 0; min < 2; min++) {
				struct bf_lbvs_options t = o;
				struct bf_ruleset *rs =
					ruleset(fams[f], min ? 3 : 40);
				bool v6 = fams[f] == BF_FAMILY_INET6;
				struct pu_pkt in =
					v6 ? pu_udp6("2001:db8::1",
						     "2001:db8:2::5", 1, 2) :
					     pu_udp4("192.0.2.1", "10.2.0.5", 1,
						     2);
				struct pu_prog p;

				/* 3 members: a search only below the
				 * default threshold */
				t.min_members = min ? 2 : o.min_members;
				bf_lbvs_set_options(&t);
				/* veth0: the first rule accepts all */
				assert_int_equal(pu_load(rs, kinds[k],
							 BF_HOOK_INPUT, fams[f],
							 "veth0", &p),
						 0);
				assert_int_equal(pu_run(&p, in.b, in.len,
							fams[f]),
						 pu_accept(&p));
				pu_close(&p);
				/* eth0: the search decides (member 2) */
				assert_int_equal(pu_load(rs, kinds[k],
							 BF_HOOK_INPUT, fams[f],
							 "eth0", &p),
						 0);
				assert_int_equal(pu_run(&p, in.b, in.len,
							fams[f]),
						 pu_drop(&p));
				pu_close(&p);
				bf_ruleset_free(&rs);
			}
		}
	}
	bf_lbvs_set_options(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dead_lbvs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
