// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential timing test of nft limit statements that bpfilter lowers
 * into several places, where nft keeps ONE bucket per statement
 * (nft_limit_init() allocates it with the expression): the method of
 * diff_nftrate.c (the same nft ruleset in the kernel's nftables and in
 * bpfilter, UDP probes to both at once, bursts compared by the number
 * passed: the first equal, later ones within 1, the totals within 2).
 *  - dport 1004, an inet rule for both families (lowered into the IPv4
 *    and the IPv6 program, cgen/m_nftlimit.h's shared bucket): 10/second
 *    burst 4, bursts of interleaved IPv4 and IPv6 probes. One bucket:
 *    4 of the first burst pass in all, whatever their family (two
 *    buckets would pass 4 of each).
 *  - dport 1005, a chain two input base chains (both priority 10: one
 *    slot) jump to: a probe the first accepts reaches the second and
 *    takes a second token of the same bucket. 10/second burst 6: 3 of
 *    the first burst pass. (Base chains of two priorities are two slots:
 *    a limit they both reach is refused.)
 * The kernel's first-burst counts are asserted too (a check of the test
 * itself).
 */
#include "bftest.h"
#include "diff_burst.h"

static const char rules[] =
	"table inet r {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tudp dport 1004 limit rate 10/second burst 4 packets accept\n"
	"\t\tudp dport 1004 drop\n"
	"\t}\n"
	"}\n"
	"table ip s {\n"
	"\tchain a {\n"
	"\t\ttype filter hook input priority 10; policy accept;\n"
	"\t\tudp dport 1005 jump lim\n"
	"\t}\n"
	"\tchain b {\n"
	"\t\ttype filter hook input priority 10; policy accept;\n"
	"\t\tudp dport 1005 jump lim\n"
	"\t}\n"
	"\tchain lim {\n"
	"\t\tlimit rate 10/second burst 6 packets accept\n"
	"\t\tdrop\n"
	"\t}\n"
	"}\n";

static const int gap_ms[DRUN_NB] = { 0, 150, 400, 120 };

static void test_nft_rate_shared(void **state)
{
	static struct drun r;
	int bad = 0, pass[2][DRUN_NB];

	(void)state;
	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v nft >/dev/null"))
		skip();
	drun_open_nft(&r, "/tmp/bfnftshr-%d.nft", rules);

	drun_bursts(&r, gap_ms, "192.0.2.30", "198.51.100.1", "2001:db8:1::30",
		    "2001:db8:ff::1", 1004, 12, pass);
	bad += drun_compare(gap_ms, "inet 10/second burst 4, IPv4 and IPv6", 12,
			    pass);
	assert_int_equal(pass[0][0], 4); /* one bucket for both families */

	drun_bursts(&r, gap_ms, "192.0.2.31", "198.51.100.1", NULL, NULL, 1005,
		    10, pass);
	bad += drun_compare(gap_ms, "two base chains, 10/second burst 6", 10,
			    pass);
	assert_int_equal(pass[0][0], 3); /* two tokens a probe */

	printf("  %u probes, %d mismatches\n", r.next_id, bad);
	drun_close_nft(&r);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_rate_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
