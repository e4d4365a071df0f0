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

static char path[64];

static void remove_file(void)
{
	if (path[0])
		unlink(path);
}

#define NB 4
static const int gap_ms[NB] = { 0, 40, 300, 60 };

/* Bursts of n probes to dport, gap_ms[] apart; pass[side][burst]. */
static void bursts(struct drun *r, const char *src, const char *dst,
		   uint16_t dport, int n, int pass[2][NB])
{
	uint32_t first[NB], last[NB];

	for (int b = 0; b < NB; b++) {
		usleep((useconds_t)gap_ms[b] * 1000);
		first[b] = r->next_id + 1;
		for (int i = 0; i < n; i++)
			drun_send(r, src, dst, dport);
		last[b] = r->next_id;
	}
	drun_collect(r, 100);
	for (int b = 0; b < NB; b++) {
		pass[0][b] = pass[1][b] = 0;
		for (uint32_t id = first[b]; id <= last[b]; id++)
			for (int s = 0; s < 2; s++)
				pass[s][b] += r->seen[s][id];
	}
}

/* Compare the counts; returns the mismatches. */
static int compare(const char *what, int n, int pass[2][NB])
{
	int bad = 0, tot[2] = { 0, 0 };

	for (int b = 0; b < NB; b++) {
		printf("  %s burst %d (after %d ms): nftables %d, bpfilter %d "
		       "of %d\n",
		       what, b, gap_ms[b], pass[0][b], pass[1][b], n);
		for (int s = 0; s < 2; s++)
			tot[s] += pass[s][b];
		if (b == 0 ? pass[0][b] != pass[1][b] :
			     abs(pass[0][b] - pass[1][b]) > 1) {
			printf("  MISMATCH %s burst %d\n", what, b);
			bad++;
		}
	}
	if (abs(tot[0] - tot[1]) > 2) {
		printf("  MISMATCH %s totals: %d vs %d\n", what, tot[0],
		       tot[1]);
		bad++;
	}
	return bad;
}

#define D "198.51.100.1"

static void test_nft_rate_diff(void **state)
{
	static struct drun r;
	struct dtopo t = { .n_if = 1 };
	int bad = 0, pass[2][NB];
	uint64_t max, cost;
	int want;

	(void)state;
	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v nft >/dev/null"))
		skip();
	dnet_init();
	dnet_cleanup_hook = remove_file;
	snprintf(t.name[0], sizeof(t.name[0]), "eth0");
	drun_write_rules(path, sizeof(path), "/tmp/bfnftrate-%d.nft", rules);

	assert_int_equal(dnet_side_create(&r.sd[0], "nft", &t, false), 0);
	assert_int_equal(dnet_side_create(&r.sd[1], "bpfilter", &t, false), 0);
	assert_int_equal(
		dnet_sh("ip netns exec %s nft -f %s", r.sd[0].ns_r, path), 0);
	assert_int_equal(dnet_sh("ip netns exec %s %s apply --format nft %s",
				 r.sd[1].ns_r, bf_verify_bin(), path),
			 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
			dnet_raw_in(&r.sd[i], BF_FAMILY_INET4, IPPROTO_UDP), 0);
		assert_int_equal(
			dnet_raw_in(&r.sd[i], BF_FAMILY_INET6, IPPROTO_UDP), 0);
		assert_int_equal(dnet_side_wait(&r.sd[i], &t), 0);
	}
	usleep(200 * 1000);
	drun_collect(&r, 50); /* nothing of ours yet: drain */

	bursts(&r, "192.0.2.20", D, 1000, 20, pass);
	bad += compare("50/second", 20, pass);
	assert_int_equal(pass[0][0], 5); /* the default burst */

	bursts(&r, "192.0.2.21", D, 1001, 12, pass);
	/* over: the first 3 are within (the policy accepts them), the
	 * rest dropped */
	bad += compare("over 20/second", 12, pass);
	assert_int_equal(pass[0][0], 3);

	bursts(&r, "192.0.2.22", D, 1002, 16, pass);
	bad += compare("512 bytes/second", 16, pass);
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

	bursts(&r, "2001:db8:1::5", "2001:db8:ff::1", 1003, 8, pass);
	bad += compare("IPv6 10/second", 8, pass);
	assert_int_equal(pass[0][0], 2);

	printf("  %u probes, %d mismatches\n", r.next_id, bad);
	dnet_side_destroy(&r.sd[1]);
	dnet_side_destroy(&r.sd[0]);
	remove_file();
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_rate_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
