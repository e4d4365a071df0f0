// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hashlimit match (xt_hashlimit revision 3) through BPF_PROG_TEST_RUN:
 * per-key buckets (srcip, /24 source mask, dstport), --hashlimit-above,
 * byte rates, one table shared by two programs (INPUT, FORWARD) through
 * its pin, and the lazy expiry documented in doc/stateful.md. Bursts run
 * in well under a jiffy-rate token (10/s: one token per 100 ms), so the
 * counts do not depend on timing. tests/diff/diff_rate.c compares with
 * the kernel itself.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "bpfilter/front_ipt.h"
#include "cgen/m_hashlimit.h"
#include "cgen/m_recent.h"
#include "check/check.h"
#include "prog_util.h"

static char pin_dir[64];

static int setup(void **state)
{
	const char *why;

	(void)state;
	if (!bft_kernel_available(&why))
		return 0; /* each test skips (or fails) with the reason */
	return pu_private_bpffs(pin_dir, sizeof(pin_dir), "hashlimit");
}

static int teardown(void **state)
{
	(void)state;
	if (pin_dir[0]) {
		bf_hashlimit_unpin_all(pin_dir);
		pu_private_bpffs_del(pin_dir);
	}
	return 0;
}

static const char *rules =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p udp --dport 1 -m hashlimit --hashlimit-upto 10/sec "
	"--hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name A "
	"-j ACCEPT\n"
	"-A INPUT -p udp --dport 1 -j DROP\n"
	"-A INPUT -p udp --dport 2 -m hashlimit --hashlimit-upto 10/sec "
	"--hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-srcmask 24 "
	"--hashlimit-name B -j ACCEPT\n"
	"-A INPUT -p udp --dport 2 -j DROP\n"
	"-A INPUT -p udp --dport 10:19 -m hashlimit --hashlimit-above 10/sec "
	"--hashlimit-burst 1 --hashlimit-mode dstport --hashlimit-name C "
	"-j DROP\n"
	"-A INPUT -p udp --dport 3 -m hashlimit --hashlimit-upto 1/sec "
	"--hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-name D "
	"--hashlimit-htable-expire 100 -j ACCEPT\n"
	"-A INPUT -p udp --dport 3 -j DROP\n"
	"-A INPUT -p udp --dport 4 -m hashlimit --hashlimit-upto 1kb/s "
	"--hashlimit-burst 2kb --hashlimit-mode srcip --hashlimit-name E "
	"-j ACCEPT\n"
	"-A INPUT -p udp --dport 4 -j DROP\n"
	"-A INPUT -p udp --dport 5 -m hashlimit --hashlimit-upto 20000/sec "
	"--hashlimit-burst 100 --hashlimit-mode srcip --hashlimit-name F "
	"-j ACCEPT\n"
	"-A INPUT -p udp --dport 5 -j DROP\n"

	"-A FORWARD -p udp --dport 1 -m hashlimit --hashlimit-upto 10/sec "
	"--hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name A "
	"-j ACCEPT\n"
	"-A FORWARD -p udp --dport 1 -j DROP\n"
	"COMMIT\n";

static void load(enum bf_hook hook, struct pu_prog *p)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_program *prog = NULL;

	assert_non_null(rs);
	assert_true(pin_dir[0] != '\0');
	bf_log_set(pu_log_fn, NULL);
	assert_int_equal(bf_ipt_parse_restore_str(rs, rules, "hashlimit.rules",
						  BF_FAMILY_INET4),
			 0);
	bf_ruleset_number(rs);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, hook,
					 BF_FAMILY_INET4, NULL, &prog),
			 0);
	memset(p, 0, sizeof(*p));
	p->attach = BF_ATTACH_NF;
	p->hook = hook;
	p->family = BF_FAMILY_INET4;
	p->n_counters = rs->n_counters;
	p->map_fd = bf_counters_map_create(rs->n_counters);
	assert_true(p->map_fd >= 0);
	prog->recent_dir = pin_dir;
	p->prog_fd = bf_program_load(prog, p->map_fd, pu_log, sizeof(pu_log));
	bf_program_free(&prog);
	bf_ruleset_free(&rs);
	if (p->prog_fd < 0) {
		size_t len = strlen(pu_log);

		fprintf(stderr, "verifier log tail:\n%s\n",
			len > 4000 ? pu_log + len - 4000 : pu_log);
	}
	assert_true(p->prog_fd >= 0);
}

/* how many of n UDP packets src -> dst:dport (payload plen) pass */
static int passed(const struct pu_prog *p, const char *src, uint16_t dport,
		  int n, size_t plen)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		struct pu_pkt k;
		size_t l;
		int r;

		memset(k.b, 0, sizeof(k.b));
		l = pu_udp(k.b + 20, 1000, dport, plen) + plen;
		pu_v4(&k, src, "198.51.100.1", IPPROTO_UDP, l, 0);
		r = pu_run(p, k.b, k.len, BF_FAMILY_INET4);
		assert_true(r == pu_accept(p) || r == pu_drop(p));
		ok += r == pu_accept(p);
	}
	return ok;
}

static void test_buckets(void **state)
{
	struct pu_prog in, fwd;

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	load(BF_HOOK_FORWARD, &fwd);
	/* A: 3 per source, each source its own bucket */
	assert_int_equal(passed(&in, "192.0.2.1", 1, 5, 0), 3);
	assert_int_equal(passed(&in, "192.0.2.2", 1, 5, 0), 3);
	assert_int_equal(passed(&in, "192.0.2.1", 1, 2, 0), 0);
	/* the FORWARD program uses the same table (name A, IPv4) */
	assert_int_equal(passed(&fwd, "192.0.2.1", 1, 2, 0), 0);
	assert_int_equal(passed(&fwd, "192.0.2.3", 1, 5, 0), 3);
	assert_int_equal(passed(&in, "192.0.2.3", 1, 1, 0), 0);
	/* B: one bucket for the /24 */
	assert_int_equal(passed(&in, "203.0.113.1", 2, 1, 0), 1);
	assert_int_equal(passed(&in, "203.0.113.200", 2, 3, 0), 1);
	assert_int_equal(passed(&in, "203.0.114.1", 2, 3, 0), 2);
	/* C: --hashlimit-above per destination port: the first packet of
	 * each port is under the limit (passes), the next ones are dropped */
	assert_int_equal(passed(&in, "192.0.2.9", 10, 3, 0), 1);
	assert_int_equal(passed(&in, "192.0.2.8", 11, 3, 0), 1);
	assert_int_equal(passed(&in, "192.0.2.7", 10, 1, 0), 0);
	/* E: 1 kb/s, burst 2 kb, in bytes: 128-byte payloads (156-byte
	 * datagrams, 10 chunks of 16 bytes) */
	{
		int n = passed(&in, "192.0.2.20", 4, 40, 128);

		/* the initial credit is one second (1 kB: a chunk costs
		 * 1/64 of it, a datagram 10/64: 6 datagrams), then the burst
		 * (2 kB = 2 x the rate) refills it twice when it runs short
		 * (hashlimit_byte_cost()): 3 x 6 */
		assert_int_equal(n, 18);
	}
	pu_close(&in);
	pu_close(&fwd);
}

static void test_expire(void **state)
{
	struct pu_prog in;

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	/* D: 1/s, burst 1, entries expire after 100 ms */
	assert_int_equal(passed(&in, "192.0.2.30", 3, 2, 0), 1);
	usleep(20 * 1000);
	assert_int_equal(passed(&in, "192.0.2.30", 3, 1, 0), 0);
	/* past the expiry the entry starts over with a full bucket (what
	 * htable_gc() leads to once it has run: doc/stateful.md) */
	usleep(250 * 1000);
	assert_int_equal(passed(&in, "192.0.2.30", 3, 2, 0), 1);
	pu_close(&in);
}

struct racer {
	const struct pu_prog *p;
	int passed;
};

static void *race(void *arg)
{
	struct racer *x = arg;

	x->passed = passed(x->p, "192.0.2.40", 5, 20000, 0);
	return NULL;
}

/* Two threads (two CPUs) hammer one bucket (20000/s, burst 100) faster
 * than its rate: no more packets may pass than the burst and what the
 * elapsed time refills (plus two jiffies of slack for the clock reads),
 * however the updates of the two CPUs interleave (the packet-rate bucket
 * is updated with exchange and compare-and-swap). Races are rare enough
 * that a non-atomic update rarely exceeds the bound either: this checks
 * the bound, it does not prove the atomicity. */
static void test_concurrent(void **state)
{
	struct pu_prog in;
	struct racer x[2];
	pthread_t th[2];
	double t0, secs;
	int total;

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	t0 = pu_now_ms();
	for (int i = 0; i < 2; i++) {
		x[i].p = &in;
		assert_int_equal(pthread_create(&th[i], NULL, race, &x[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	secs = (pu_now_ms() - t0) / 1000.0;
	total = x[0].passed + x[1].passed;
	printf("  concurrent: %d + %d passed of 40000 in %.3f s (at most "
	       "%d)\n",
	       x[0].passed, x[1].passed, secs,
	       100 + (int)((secs + 2.0 / bf_recent_hz()) * 20000));
	assert_true(total >= 100);
	assert_true(total <=
		    100 + (int)((secs + 2.0 / bf_recent_hz()) * 20000));
	pu_close(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
