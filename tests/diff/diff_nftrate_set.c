// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential timing test of an nft limit in a rule with a set of
 * several elements (OpenWrt fw4's `icmpv6 type { 128, 129, ... } limit
 * rate 1000/second accept`): nft evaluates the set lookup, then ONE limit
 * expression with one bucket (nft_limit_init()); bpfilter lowers one IR
 * rule per element, all with the statement's one shared bucket
 * (lower.c, lower_limit()), which is exact because the elements are
 * disjoint and the set comes before the limit. The method of
 * diff_nftrate.c: the same nft ruleset in the kernel's nftables and in
 * bpfilter, UDP probes to both at once, bursts compared by the number
 * passed (the first equal, later ones within 1, the totals within 2).
 *  - dport 1006 from 192.0.2.40 and 192.0.2.41 interleaved, the rule
 *    `ip saddr { 192.0.2.40, 192.0.2.41 } udp dport 1006 limit rate
 *    10/second burst 4 packets accept`: one bucket, so 4 of the first
 *    burst pass in all (a bucket per element would pass 4 of each).
 *  - dport 1007, a concatenation `ip saddr . udp dport { A . 1007, B .
 *    1007 }` with `limit rate over 10/second burst 3 packets drop`: 3 of
 *    the first burst pass in all.
 * The kernel's first-burst counts are asserted too (a check of the test
 * itself).
 */
#include "bftest.h"
#include "diff_burst.h"

static const char rules[] =
	"table ip r {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tip saddr { 192.0.2.40, 192.0.2.41 } udp dport 1006 limit rate "
	"10/second burst 4 packets accept\n"
	"\t\tudp dport 1006 drop\n"
	"\t\tip saddr . udp dport { 192.0.2.42 . 1007, 192.0.2.43 . 1007 } "
	"limit rate over 10/second burst 3 packets drop\n"
	"\t}\n"
	"}\n";

static const int gap_ms[DRUN_NB] = { 0, 150, 400, 120 };

static void test_nft_rate_set(void **state)
{
	static struct drun r;
	int bad = 0, pass[2][DRUN_NB];

	(void)state;
	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v nft >/dev/null"))
		skip();
	drun_open_nft(&r, "/tmp/bfnftset-%d.nft", rules);

	drun_bursts(&r, gap_ms, "192.0.2.40", "198.51.100.1", "192.0.2.41",
		    "198.51.100.1", 1006, 12, pass);
	bad += drun_compare(gap_ms, "set of 2, 10/second burst 4", 12, pass);
	assert_int_equal(pass[0][0], 4); /* one bucket for both elements */

	drun_bursts(&r, gap_ms, "192.0.2.42", "198.51.100.1", "192.0.2.43",
		    "198.51.100.1", 1007, 10, pass);
	bad += drun_compare(gap_ms, "concatenation, over 10/second burst 3", 10,
			    pass);
	assert_int_equal(pass[0][0], 3);

	printf("  %u probes, %d mismatches\n", r.next_id, bad);
	drun_close_nft(&r);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_rate_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
