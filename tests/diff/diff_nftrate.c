// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential timing test of nft's limit statement: one nft ruleset in
 * the kernel's nftables and in bpfilter (`apply --format nft`, netfilter
 * hooks), with UDP probes sent at controlled times to both at once (the
 * method of diff_rate.c, which does the same for iptables' limit).
 *
 * nft_limit.c counts in nanoseconds (ktime_get_ns()), so the two sides
 * judge a probe a few microseconds apart and only a probe right at a
 * refill boundary can differ. What is compared, per burst of probes
 * sent back to back: the number passed. The first burst (a full bucket)
 * must be equal, later ones (refilled by the gap before them) within 1,
 * the totals within 2. Rules:
 *  - dport 1000: 50/second, default burst (5): accept, else drop;
 *  - dport 1001: over 20/second burst 3: drop (what exceeds), else the
 *    policy accepts;
 *  - dport 1002: 512 bytes/second burst 64 bytes: accept, else drop (the
 *    cost of a probe is its IP length in nanoseconds of the rate);
 *  - dport 1003 (IPv6): 10/second burst 2.
 * (An inet limit rule selects its family: one bucket per statement.)
 * The kernel's own counts are checked against the bucket arithmetic of
 * nft_limit_init() for the first burst (a check of the test itself).
 */
#include "bftest.h"
#include "diff_burst.h"

static const char rules[] =
	"table inet r {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tmeta nfproto ipv4 udp dport 1000 limit rate 50/second accept\n"
	"\t\tudp dport 1000 drop\n"
	"\t\tmeta nfproto ipv4 udp dport 1001 limit rate over 20/second "
	"burst 3 packets drop\n"
	"\t\tmeta nfproto ipv4 udp dport 1002 limit rate 512 bytes/second "
	"burst 64 bytes accept\n"
	"\t\tudp dport 1002 drop\n"
	"\t\tmeta nfproto ipv6 udp dport 1003 limit rate 10/second burst 2 "
	"packets accept\n"
	"\t\tudp dport 1003 drop\n"
	"\t}\n"
	"}\n";

static const int gap_ms[DRUN_NB] = { 0, 40, 300, 60 };

#define D "198.51.100.1"

static void test_nft_rate_diff(void **state)
{
	static struct drun r;
	int bad = 0, pass[2][DRUN_NB];
	uint64_t max, cost;
	int want;

	(void)state;
	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v nft >/dev/null"))
		skip();
	drun_open_nft(&r, "/tmp/bfnftrate-%d.nft", rules);

	drun_bursts(&r, gap_ms, "192.0.2.20", D, NULL, NULL, 1000, 20, pass);
	bad += drun_compare(gap_ms, "50/second", 20, pass);
	assert_int_equal(pass[0][0], 5); /* the default burst */

	drun_bursts(&r, gap_ms, "192.0.2.21", D, NULL, NULL, 1001, 12, pass);
	/* over: the first 3 are within (the policy accepts them), the
	 * rest dropped */
	bad += drun_compare(gap_ms, "over 20/second", 12, pass);
	assert_int_equal(pass[0][0], 3);

	drun_bursts(&r, gap_ms, "192.0.2.22", D, NULL, NULL, 1002, 16, pass);
	bad += drun_compare(gap_ms, "512 bytes/second", 16, pass);
	/* nft_limit_init() and nft_limit_bytes_eval(): a full bucket of
	 * tokens_max ns, each probe costing unit * 1e9 * len / rate */
	assert_int_equal(
		bf_nft_limit_bucket(&(struct bf_nft_limit){ .rate = 512,
							    .unit = 1,
							    .burst = 64,
							    .bytes = true },
				    &max, &cost),
		0);
	want = (int)(max / (1000000000ull * r.len4 / 512));
	printf("  (probe length %u: %d probes fit the bucket)\n", r.len4, want);
	assert_int_equal(pass[0][0], want > 16 ? 16 : want);

	drun_bursts(&r, gap_ms, "2001:db8:1::5", "2001:db8:ff::1", NULL, NULL,
		    1003, 8, pass);
	bad += drun_compare(gap_ms, "IPv6 10/second", 8, pass);
	assert_int_equal(pass[0][0], 2);

	printf("  %u probes, %d mismatches\n", r.next_id, bad);
	drun_close_nft(&r);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_rate_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
