// SPDX-License-Identifier: GPL-2.0-only
/* Program tests: load at every attach kind, policies, counters. */
#include "prog_util.h"

struct kind {
	enum bf_attach_kind attach;
	enum bf_hook hook;
};

static const struct kind kinds[] = {
	{ BF_ATTACH_NF, BF_HOOK_INPUT },   { BF_ATTACH_NF, BF_HOOK_OUTPUT },
	{ BF_ATTACH_NF, BF_HOOK_FORWARD }, { BF_ATTACH_TC, BF_HOOK_INPUT },
	{ BF_ATTACH_TC, BF_HOOK_OUTPUT },  { BF_ATTACH_XDP, BF_HOOK_INPUT },
};

/* Empty ruleset, policy DROP then ACCEPT, both families: verdict and
 * policy counter (packets and L3 bytes). */
static void test_policy(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (int f = 0; f < BF_FAMILY_COUNT; f++) {
			for (int pol = 0; pol < 2; pol++) {
				struct bf_ruleset *rs = bf_ruleset_new();
				struct bf_chain *b;
				struct pu_prog p;
				struct pu_pkt pkt;
				struct bf_counter c;

				b = bf_ruleset_builtin(rs, f, kinds[k].hook);
				b->policy = pol ? BF_VERDICT_DROP :
						  BF_VERDICT_ACCEPT;
				assert_int_equal(pu_load(rs, kinds[k].attach,
							 kinds[k].hook, f,
							 "veth0", &p),
						 0);
				pkt = f ? pu_tcp6("2001:db8::1", "2001:db8::2",
						  1000, 22, 0x02) :
					  pu_tcp4("192.0.2.1", "192.0.2.2",
						  1000, 22, 0x02);
				assert_int_equal(pu_run(&p, pkt.b, pkt.len, f),
						 pol ? pu_drop(&p) :
						       pu_accept(&p));
				c = pu_counter(&p, b->policy_counter_idx);
				assert_int_equal(c.packets, 1);
				assert_int_equal(c.bytes, pkt.len);
				pu_close(&p);
				bf_ruleset_free(&rs);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
