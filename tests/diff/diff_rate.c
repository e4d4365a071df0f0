// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential timing test: the stateful matches (limit, recent) of one
 * ruleset in the kernel's iptables-legacy and in bpfilter (netfilter
 * hooks), with UDP probes sent at controlled times to both at once.
 *
 * Each probe is sent to the legacy side and right after (a few
 * microseconds later) to the bpfilter side, so both judge it at the same
 * jiffy except when a tick falls between the two sends. The verdict of
 * each probe is whether a raw socket in R saw it (LOCAL_IN accepted it).
 *
 * IPv4 and IPv6 (the IPv6 probes share a recent table with the IPv4
 * rules, with entries of their own; --mask and --hashlimit-srcmask /64).
 *
 * What is compared:
 *  - recent (--set, --rcheck with --seconds/--hitcount, --update,
 *    --remove, the LRU eviction of the 101st address): every probe's
 *    verdict, exactly. The probes sit far (>= 300 ms) from every --seconds
 *    boundary, so no jitter can move them across one.
 *  - limit: the number of probes passed in each burst. The first burst
 *    (a full bucket) is deterministic: exactly equal. Later bursts refill
 *    by the jiffies elapsed, which the two sides may see one tick apart:
 *    a tolerance of 1 probe per burst, and the totals over all bursts
 *    within 2. Both sides must also pass some and drop some (the test
 *    would not show anything otherwise).
 */
#include "bftest.h"
#include "diff_burst.h"

static const char rules[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p udp --dport 1000 -m limit --limit 50/second "
	"--limit-burst 5 -j ACCEPT\n"
	"-A INPUT -p udp --dport 1000 -j DROP\n"
	"-A INPUT -p udp --dport 2001 -m recent --set --name R1\n"
	"-A INPUT -p udp --dport 2002 -m recent --rcheck --seconds 1 "
	"--hitcount 3 --name R1 -j ACCEPT\n"
	"-A INPUT -p udp --dport 2002 -j DROP\n"
	"-A INPUT -p udp --dport 2003 -m recent --update --seconds 1 "
	"--name R1 -j ACCEPT\n"
	"-A INPUT -p udp --dport 2003 -j DROP\n"
	"-A INPUT -p udp --dport 2004 -m recent --remove --name R1 -j ACCEPT\n"
	"-A INPUT -p udp --dport 2004 -j DROP\n"
	"-A INPUT -p udp --dport 2005 -m recent --rcheck --name R1 -j ACCEPT\n"
	"-A INPUT -p udp --dport 2005 -j DROP\n"
	"-A INPUT -p udp --dport 2006 -m recent ! --rcheck --seconds 1 "
	"--reap --name R1 -j DROP\n"
	"-A INPUT -p udp --dport 3001 -m recent --set --rdest --name L\n"
	"-A INPUT -p udp --dport 3002 -m recent --rcheck --rdest --name L "
	"-j ACCEPT\n"
	"-A INPUT -p udp --dport 3002 -j DROP\n"
	"-A INPUT -p udp --dport 4000 -m hashlimit --hashlimit-upto 10/sec "
	"--hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name H1 "
	"-j ACCEPT\n"
	"-A INPUT -p udp --dport 4000 -j DROP\n"
	"-A INPUT -p udp --dport 4001 -m hashlimit --hashlimit-above 20/sec "
	"--hashlimit-burst 4 --hashlimit-mode srcip,dstport "
	"--hashlimit-srcmask 24 --hashlimit-name H2 -j DROP\n"
	"-A INPUT -p udp --dport 4002 -m hashlimit --hashlimit-upto 100b/s "
	"--hashlimit-burst 200b --hashlimit-mode dstip --hashlimit-name H3 "
	"-j ACCEPT\n"
	"-A INPUT -p udp --dport 4002 -j DROP\n"
	"-A INPUT -p udp --dport 4003 -m hashlimit --hashlimit-upto 10/sec "
	"--hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name H4 "
	"--hashlimit-rate-match --hashlimit-rate-interval 1 "
	"--hashlimit-htable-expire 10000 -j ACCEPT\n"
	"-A INPUT -p udp --dport 4003 -j DROP\n"
	"-A INPUT -p udp --dport 4004 -m hashlimit --hashlimit-upto 2/sec "
	"--hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-name H5 "
	"--hashlimit-rate-match --hashlimit-rate-interval 2 "
	"--hashlimit-htable-expire 10000 -j ACCEPT\n"
	"-A INPUT -p udp --dport 4004 -j DROP\n"
	"COMMIT\n";

/* IPv6: recent (own entries in a table the IPv4 rules share, --mask) and
 * hashlimit per source /64 */
static const char rules6[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p udp --dport 2001 -m recent --set --name R1\n"
	"-A INPUT -p udp --dport 2005 -m recent --rcheck --name R1 -j ACCEPT\n"
	"-A INPUT -p udp --dport 2005 -j DROP\n"
	"-A INPUT -p udp --dport 2007 -m recent --set --name M6 "
	"--mask ffff:ffff:ffff:ffff::\n"
	"-A INPUT -p udp --dport 2008 -m recent --rcheck --seconds 1 "
	"--hitcount 2 --name M6 -j ACCEPT\n"
	"-A INPUT -p udp --dport 2008 -j DROP\n"
	"-A INPUT -p udp --dport 4000 -m hashlimit --hashlimit-upto 10/sec "
	"--hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-srcmask 64 "
	"--hashlimit-name H6 -j ACCEPT\n"
	"-A INPUT -p udp --dport 4000 -j DROP\n"
	"COMMIT\n";

static char path[64], path6[64];

static void remove_file(void)
{
	if (path[0])
		unlink(path);
	if (path6[0])
		unlink(path6);
}

/* Both sides must agree on probe id; returns 1 on a mismatch. */
static int same(struct drun *r, uint32_t id, const char *what)
{
	if (r->seen[0][id] == r->seen[1][id])
		return 0;
	printf("  MISMATCH %s (probe %u, dport %u): iptables %s, bpfilter "
	       "%s\n",
	       what, id, r->dport[id], r->seen[0][id] ? "ACCEPT" : "DROP",
	       r->seen[1][id] ? "ACCEPT" : "DROP");
	return 1;
}

/* Expect a verdict from the kernel too: the scenario must mean what its
 * comment says (a check of the test, not of bpfilter). */
static void expect(struct drun *r, uint32_t id, bool accept, const char *what)
{
	if (r->seen[0][id] != accept)
		printf("  note: iptables-legacy gave %s to %s (probe %u)\n",
		       r->seen[0][id] ? "ACCEPT" : "DROP", what, id);
	assert_int_equal(r->seen[0][id], accept);
}

#define A "192.0.2.10"
#define D "198.51.100.1"

static int recent_phase(struct drun *r)
{
	uint32_t ids[32];
	int n = 0, bad = 0;
	char dst[64];

	/* t = 0: nothing known, then three --set */
	ids[n++] = drun_send(r, A, D, 2005); /* absent: DROP */
	ids[n++] = drun_send(r, A, D, 2006); /* ! --rcheck: DROP */
	for (int i = 0; i < 3; i++)
		ids[n++] = drun_send(r, A, D, 2001); /* set (policy ACCEPT) */
	ids[n++] = drun_send(r, A, D, 2002); /* 3 hits within 1 s */
	ids[n++] = drun_send(r, A, D, 2005);
	ids[n++] = drun_send(r, A, D, 2006);
	drun_collect(r, 100);
	expect(r, ids[0], false, "rcheck of an unknown address");
	expect(r, ids[5], true, "rcheck --hitcount 3 after 3 sets");
	/* t = 1.4 s: the stamps are older than --seconds 1 */
	usleep(1400 * 1000);
	ids[n++] = drun_send(r, A, D, 2002); /* 8: DROP */
	ids[n++] = drun_send(r, A, D, 2003); /* 9: no recent stamp: DROP */
	ids[n++] = drun_send(r, A, D, 2005); /* 10: still listed */
	ids[n++] = drun_send(r, A, D, 2001); /* 11: set */
	ids[n++] = drun_send(r, A, D, 2003); /* 12: update: ACCEPT */
	ids[n++] = drun_send(r, A, D, 2002); /* 13: 2 recent hits: DROP */
	ids[n++] = drun_send(r, A, D, 2003); /* 14: 3rd stamp */
	ids[n++] = drun_send(r, A, D, 2002); /* 15: 3 hits: ACCEPT */
	ids[n++] = drun_send(r, A, D, 2004); /* 16: remove: ACCEPT */
	ids[n++] = drun_send(r, A, D, 2005); /* 17: gone: DROP */
	ids[n++] = drun_send(r, A, D, 2004); /* 18: nothing to remove */
	drun_collect(r, 100);
	expect(r, ids[8], false, "rcheck --seconds 1 after 1.4 s");
	expect(r, ids[10], true, "rcheck without --seconds");
	expect(r, ids[12], true, "update of a fresh entry");
	expect(r, ids[15], true, "hitcount 3 after set + 2 updates");
	expect(r, ids[17], false, "rcheck after remove");

	/* LRU: 101 destinations in table L (--rdest); the first one set is
	 * evicted by the 101st, the second one is kept because it was set
	 * again (moved to the tail) */
	for (int i = 0; i < 101; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", i + 1);
		drun_send(r, A, dst, 3001);
		if (i == 1)
			drun_send(r, A, "203.0.113.1", 3001);
	}
	ids[n++] = drun_send(r, A, "203.0.113.1", 3002);
	ids[n++] = drun_send(r, A, "203.0.113.2", 3002);
	ids[n++] = drun_send(r, A, "203.0.113.3", 3002);
	ids[n++] = drun_send(r, A, "203.0.113.101", 3002);
	drun_collect(r, 150);
	expect(r, ids[n - 3], false, "rcheck of the evicted LRU head");
	expect(r, ids[n - 4], true, "rcheck of an entry set again");
	for (uint32_t id = 1; id <= r->next_id; id++)
		bad += same(r, id, "recent");
	return bad;
}

/* limit 50/s burst 5: bursts of 20 back-to-back probes, 40, 300 and 60 ms
 * apart (2, 5 (capped) and 3 credits refilled); collected at the end */
static int limit_phase(struct drun *r)
{
	static const int gap_ms[4] = { 0, 40, 300, 60 };
	int pass[2][4] = { { 0 } }, bad = 0, tot[2] = { 0, 0 };
	uint32_t first[4], last[4];

	for (int b = 0; b < 4; b++) {
		usleep((useconds_t)gap_ms[b] * 1000);
		first[b] = r->next_id + 1;
		for (int i = 0; i < 20; i++)
			drun_send(r, "192.0.2.20", D, 1000);
		last[b] = r->next_id;
	}
	drun_collect(r, 100);
	for (int b = 0; b < 4; b++) {
		for (uint32_t id = first[b]; id <= last[b]; id++)
			for (int s = 0; s < 2; s++)
				pass[s][b] += r->seen[s][id];
		printf("  limit burst %d (after %d ms): iptables %d, bpfilter "
		       "%d of 20\n",
		       b, gap_ms[b], pass[0][b], pass[1][b]);
		for (int s = 0; s < 2; s++)
			tot[s] += pass[s][b];
		if (b == 0 ? pass[0][b] != pass[1][b] :
			     abs(pass[0][b] - pass[1][b]) > 1) {
			printf("  MISMATCH limit burst %d\n", b);
			bad++;
		}
	}
	assert_int_equal(pass[0][0], 5); /* the burst */
	assert_true(tot[0] > 5 && tot[0] < 80);
	if (abs(tot[0] - tot[1]) > 2) {
		printf("  MISMATCH limit totals: %d vs %d\n", tot[0], tot[1]);
		bad++;
	}
	return bad;
}

/* hashlimit: per-source (H1), per source /24 and port with
 * --hashlimit-above (H2), per destination in bytes (H3) buckets and
 * --hashlimit-rate-match windows per source (H4);
 * bursts of 8 probes from/to 3 addresses, 0, 150, 400, 700 and 1100 ms
 * apart (the rate-match windows of 1 s roll over twice, those of 2 s
 * once; their entries do not expire meanwhile: past its expiry an entry
 * lives until the kernel's gc timer runs, a phase no one controls, see
 * doc/stateful.md). Per
 * burst and bucket the counts must match: exactly for the first burst
 * (full buckets), within 1 later (the refill is counted in jiffies). */
static int hashlimit_phase(struct drun *r)
{
	static const int gap_ms[5] = { 0, 150, 400, 700, 1100 };
	static const uint16_t ports[5] = { 4000, 4001, 4002, 4003, 4004 };
	uint32_t first[5][5][3], last[5][5][3];
	int bad = 0, any[2] = { 0, 0 }, none[2] = { 0, 0 };
	char a[64];

	for (int b = 0; b < 5; b++) {
		usleep((useconds_t)gap_ms[b] * 1000);
		for (int q = 0; q < 5; q++)
			for (int k = 0; k < 3; k++) {
				first[b][q][k] = r->next_id + 1;
				for (int i = 0; i < 8; i++) {
					snprintf(a, sizeof(a), "192.0.2.%d",
						 31 + k);
					if (q == 2)
						drun_send(r, D, a, ports[q]);
					else
						drun_send(r, a, D, ports[q]);
				}
				last[b][q][k] = r->next_id;
			}
	}
	drun_collect(r, 100);
	for (int b = 0; b < 5; b++)
		for (int q = 0; q < 5; q++)
			for (int k = 0; k < 3; k++) {
				int n[2] = { 0, 0 };

				for (uint32_t id = first[b][q][k];
				     id <= last[b][q][k]; id++)
					for (int s = 0; s < 2; s++)
						n[s] += r->seen[s][id];
				for (int s = 0; s < 2; s++) {
					any[s] += n[s] > 0;
					none[s] += n[s] < 8;
				}
				if (b == 0 ? n[0] != n[1] :
					     abs(n[0] - n[1]) > 1) {
					printf("  MISMATCH hashlimit burst %d "
					       "dport %u address %d: iptables "
					       "%d, bpfilter %d of 8\n",
					       b, ports[q], k, n[0], n[1]);
					bad++;
				} else if (getenv("BF_DIFF_VERBOSE") ||
					   b == 0) {
					printf("  hashlimit burst %d dport %u "
					       "address %d: %d / %d of 8\n",
					       b, ports[q], k, n[0], n[1]);
				}
			}
	/* the scenario limits something and lets something through */
	assert_true(any[0] > 0 && none[0] > 0);
	return bad;
}

#define A6 "2001:db8:1:2::10"
#define D6 "2001:db8:ff::1"

/* IPv6: the table R1 is shared with the IPv4 rules, entries are per
 * family; --mask keeps one entry per /64; hashlimit per /64 source */
static int v6_phase(struct drun *r)
{
	uint32_t ids[16], from = r->next_id + 1;
	int n = 0, bad = 0, pass[2][2][2] = { { { 0 } } };
	uint32_t first[2][2], last[2][2];

	/* A (192.0.2.10) was removed from R1 by the IPv4 phase: the v6 set
	 * below must not make the IPv4 rcheck match */
	ids[n++] = drun_send(r, A6, D6, 2005); /* 0: DROP */
	ids[n++] = drun_send(r, A6, D6, 2001); /* set */
	ids[n++] = drun_send(r, A6, D6, 2005); /* 2: ACCEPT */
	ids[n++] = drun_send(r, A, D, 2005); /* 3: IPv4 A: DROP */
	ids[n++] = drun_send(r, "2001:db8:1:2::77", D6, 2007); /* set /64 */
	ids[n++] = drun_send(r, "2001:db8:1:2::88", D6, 2008); /* 5: 1 hit */
	ids[n++] = drun_send(r, "2001:db8:1:2::99", D6, 2007);
	ids[n++] = drun_send(r, "2001:db8:1:2::aa", D6, 2008); /* 7: 2 hits */
	ids[n++] = drun_send(r, "2001:db8:1:3::aa", D6, 2008); /* 8: other */
	for (int b = 0; b < 2; b++) {
		if (b)
			usleep(250 * 1000);
		for (int k = 0; k < 2; k++) {
			first[b][k] = r->next_id + 1;
			for (int i = 0; i < 6; i++)
				drun_send(r,
					  k ? "2001:db8:9:9::1" :
					      "2001:db8:1:2::1234",
					  D6, 4000);
			last[b][k] = r->next_id;
		}
	}
	drun_collect(r, 100);
	expect(r, ids[0], false, "IPv6 rcheck of an unknown address");
	expect(r, ids[2], true, "IPv6 rcheck after set");
	expect(r, ids[3], false, "IPv4 rcheck after an IPv6 set");
	expect(r, ids[5], false, "hitcount 2 after 1 set in the /64");
	expect(r, ids[7], true, "hitcount 2 after 2 sets in the /64");
	expect(r, ids[8], false, "another /64");
	for (uint32_t id = from; id <= ids[n - 1]; id++)
		bad += same(r, id, "IPv6 recent");
	for (int b = 0; b < 2; b++)
		for (int k = 0; k < 2; k++) {
			int d;

			for (uint32_t id = first[b][k]; id <= last[b][k]; id++)
				for (int s = 0; s < 2; s++)
					pass[s][b][k] += r->seen[s][id];
			printf("  IPv6 hashlimit burst %d source %d: %d / %d of "
			       "6\n",
			       b, k, pass[0][b][k], pass[1][b][k]);
			d = abs(pass[0][b][k] - pass[1][b][k]);
			if (b == 0 ? d != 0 : d > 1) {
				printf("  MISMATCH IPv6 hashlimit burst %d\n",
				       b);
				bad++;
			}
		}
	assert_int_equal(pass[0][0][0], 3);
	return bad;
}

/* seg: bpfilter cuts INPUT into segment programs of about two rules
 * (load/seg.h): the limit's state, and recent and hashlimit tables whose
 * rules lie in different segments (R1: set in one, checked, updated and
 * removed in others), must behave as in one program. */
static void rate_diff(bool seg)
{
	static struct drun r;
	struct dtopo t = { .n_if = 1 };
	char kcmd[256], bfargs[384], vlog[64] = "";
	int bad = 0;

	BFT_REQUIRE_KERNEL();
	memset(&r, 0, sizeof(r));
	if (bft_sh("command -v iptables-legacy-restore >/dev/null && "
		   "command -v ip6tables-legacy-restore >/dev/null"))
		skip();
	dnet_init();
	dnet_cleanup_hook = remove_file;
	snprintf(t.name[0], sizeof(t.name[0]), "eth0");
	drun_write_rules(path, sizeof(path), "/tmp/bfrate-%d.rules", rules);
	drun_write_rules(path6, sizeof(path6), "/tmp/bfrate6-%d.rules", rules6);

	snprintf(kcmd, sizeof(kcmd),
		 "iptables-legacy-restore %s && ip6tables-legacy-restore %s",
		 path, path6);
	snprintf(bfargs, sizeof(bfargs), "apply -4 %s -6 %s", path, path6);
	if (seg) {
		setenv("BPFILTER_SEG_MIN", "2", 1);
		setenv("BPFILTER_SEG_RULES", "2", 1);
		setenv("BPFILTER_SEG_FOLD", "0", 1);
		snprintf(vlog, sizeof(vlog), "/tmp/bfrate-seg-%d.log",
			 (int)getpid());
		/* (dnet_sh() sends the command's output to /dev/null) */
		snprintf(bfargs, sizeof(bfargs),
			 "-v -v apply -4 %s -6 %s 2>&1 | tee %s", path, path6,
			 vlog);
	}
	drun_open(&r, &t, "legacy", kcmd, bfargs);
	if (seg) {
		/* both chains really cut (not left whole) */
		int r4 = bft_sh("grep -q 'in4: [0-9]* segment programs' %s",
				vlog),
		    r6 = bft_sh("grep -q 'in6: [0-9]* segment programs' %s",
				vlog);

		if (r4 || r6)
			bft_sh("cat %s", vlog);
		unlink(vlog);
		assert_int_equal(r4, 0);
		assert_int_equal(r6, 0);
	}

	bad += recent_phase(&r);
	bad += limit_phase(&r);
	bad += hashlimit_phase(&r);
	bad += v6_phase(&r);
	printf("  %u probes, %d mismatches\n", r.next_id, bad);

	dnet_side_destroy(&r.sd[1]);
	dnet_side_destroy(&r.sd[0]);
	remove_file();
	unsetenv("BPFILTER_SEG_MIN");
	unsetenv("BPFILTER_SEG_RULES");
	unsetenv("BPFILTER_SEG_FOLD");
	assert_int_equal(bad, 0);
}

static void test_rate_diff(void **state)
{
	(void)state;
	rate_diff(false);
}

static void test_rate_diff_segmented(void **state)
{
	(void)state;
	rate_diff(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_diff),
		cmocka_unit_test(test_rate_diff_segmented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
