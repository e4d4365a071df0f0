// SPDX-License-Identifier: GPL-2.0-only
/*
 * The recent match (xt_recent) through BPF_PROG_TEST_RUN: --set, --rcheck,
 * --update, --remove, --hitcount, --seconds, --reap, --rdest, invert, the
 * LRU eviction of the 101st address, and tables shared by two programs
 * (INPUT and OUTPUT) and kept across a reload through their pins. The
 * expected verdicts are recent_mt()'s (net/netfilter/xt_recent.c), worked
 * out by hand; tests/diff/diff_rate.c compares with the kernel itself.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "bpfilter/front_ipt.h"
#include "cgen/m_recent.h"
#include "check/check.h"
#include "prog_util.h"

static char pin_dir[64];

/* A private bpffs for the pins (in a mount namespace of our own). */
static int setup(void **state)
{
	const char *why;

	(void)state;
	if (!bft_kernel_available(&why))
		return 0; /* each test skips (or fails) with the reason */
	return pu_private_bpffs(pin_dir, sizeof(pin_dir), "recent");
}

static int teardown(void **state)
{
	(void)state;
	if (pin_dir[0]) {
		bf_recent_unpin_all(pin_dir);
		pu_private_bpffs_del(pin_dir);
	}
	return 0;
}

static const char *rules_in =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p udp --dport 1 -m recent --set --name T -j DROP\n"
	"-A INPUT -p udp --dport 2 -m recent --rcheck --name T -j DROP\n"
	"-A INPUT -p udp --dport 3 -m recent --rcheck --hitcount 3 --name T -j DROP\n"
	"-A INPUT -p udp --dport 4 -m recent --rcheck --seconds 1 --name T -j DROP\n"
	"-A INPUT -p udp --dport 5 -m recent --remove --name T -j DROP\n"
	"-A INPUT -p udp --dport 6 -m recent --update --seconds 1 --name T -j DROP\n"
	"-A INPUT -p udp --dport 7 -m recent ! --rcheck --name T -j DROP\n"
	"-A INPUT -p udp --dport 8 -m recent --rcheck --rdest --name T -j DROP\n"
	"-A INPUT -p udp --dport 9 -m recent --rcheck --seconds 1 --hitcount 2 --name T -j DROP\n"
	"-A INPUT -p udp --dport 11 -m recent --set --name L -j DROP\n"
	"-A INPUT -p udp --dport 12 -m recent --rcheck --name L -j DROP\n"
	"-A INPUT -p udp --dport 21 -m recent --set --name R -j DROP\n"
	"-A INPUT -p udp --dport 22 -m recent --rcheck --seconds 1 --reap --name R -j DROP\n"
	"-A INPUT -p udp --dport 23 -m recent --rcheck --name R -j DROP\n"
	"-A INPUT -p udp --dport 31 -m recent --set --name M --mask 255.255.255.0 -j DROP\n"
	"-A INPUT -p udp --dport 32 -m recent --rcheck --name M -j DROP\n"
	"-A INPUT -p udp --dport 41 -m recent ! --update --name U -j DROP\n"
	"-A INPUT -p udp --dport 42 -m recent --rcheck --name U -j DROP\n"
	"-A OUTPUT -p udp -m recent --rcheck --rdest --name T -j DROP\n"
	"-A INPUT -p udp --dport 51 -m recent --set --name TT -j DROP\n"
	"-A INPUT -p udp --dport 52 -m recent --rcheck --rttl --name TT "
	"-j DROP\n"
	"-A FORWARD -p udp --dport 52 -m recent --rcheck --rttl --name TT "
	"-j DROP\n"
	"COMMIT\n";

static void load(enum bf_hook hook, struct pu_prog *p)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_program *prog = NULL;

	assert_non_null(rs);
	bf_log_set(pu_log_fn, NULL);
	assert_int_equal(bf_ipt_parse_restore_str(rs, rules_in, "recent.rules",
						  BF_FAMILY_INET4),
			 0);
	bf_ruleset_number(rs);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, hook,
					 BF_FAMILY_INET4, NULL, &prog),
			 0);
	assert_true(pin_dir[0] != '\0');
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

/* 1 if the program drops a UDP packet src -> dst:dport, else 0 */
static int drop_ttl(const struct pu_prog *p, const char *src, const char *dst,
		    uint16_t dport, uint8_t ttl)
{
	struct pu_pkt k;
	size_t n = pu_udp(k.b + 20, 1000, dport, 0);
	uint16_t sum;
	int r;

	pu_v4(&k, src, dst, IPPROTO_UDP, n, 0);
	k.b[8] = ttl;
	memset(k.b + 10, 0, 2);
	sum = pu_csum(k.b, 20);
	memcpy(k.b + 10, &sum, 2);
	r = pu_run(p, k.b, k.len, BF_FAMILY_INET4);
	assert_true(r == pu_accept(p) || r == pu_drop(p));
	return r == pu_drop(p);
}

static int drop(const struct pu_prog *p, const char *src, const char *dst,
		uint16_t dport)
{
	return drop_ttl(p, src, dst, dport, 64);
}

#define A1 "192.0.2.1"
#define D1 "198.51.100.1"

static void test_basic(void **state)
{
	struct pu_prog in, out;

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	load(BF_HOOK_OUTPUT, &out);

	assert_int_equal(drop(&in, A1, D1, 2), 0); /* nothing set */
	assert_int_equal(drop(&in, A1, D1, 7), 1); /* ! --rcheck */
	assert_int_equal(drop(&in, A1, D1, 6), 0); /* no entry: no update */
	assert_int_equal(drop(&in, A1, D1, 1), 1); /* --set matches */
	assert_int_equal(drop(&in, A1, D1, 2), 1);
	assert_int_equal(drop(&in, A1, D1, 7), 0);
	assert_int_equal(drop(&in, "192.0.2.2", D1, 2), 0);
	/* the same table seen by the OUTPUT program, by destination */
	assert_int_equal(drop(&out, D1, A1, 99), 1);
	assert_int_equal(drop(&out, D1, "192.0.2.2", 99), 0);
	/* --rdest looks the destination up */
	assert_int_equal(drop(&in, D1, A1, 8), 1);
	assert_int_equal(drop(&in, A1, D1, 8), 0);
	/* hitcount: 1 stamp, then 3 */
	assert_int_equal(drop(&in, A1, D1, 3), 0);
	assert_int_equal(drop(&in, A1, D1, 1), 1);
	assert_int_equal(drop(&in, A1, D1, 3), 0);
	assert_int_equal(drop(&in, A1, D1, 1), 1);
	assert_int_equal(drop(&in, A1, D1, 3), 1);
	/* the stamps wrap around (32 kept): still 3 hits */
	for (int i = 0; i < 40; i++)
		assert_int_equal(drop(&in, A1, D1, 1), 1);
	assert_int_equal(drop(&in, A1, D1, 3), 1);
	assert_int_equal(drop(&in, A1, D1, 4), 1);
	/* --remove matches once, then the address is gone */
	assert_int_equal(drop(&in, A1, D1, 5), 1);
	assert_int_equal(drop(&in, A1, D1, 5), 0);
	assert_int_equal(drop(&in, A1, D1, 2), 0);
	assert_int_equal(drop(&out, D1, A1, 99), 0);

	/* the table outlives a reload of the program (pinned) */
	assert_int_equal(drop(&in, A1, D1, 1), 1);
	pu_close(&in);
	load(BF_HOOK_INPUT, &in);
	assert_int_equal(drop(&in, A1, D1, 2), 1);

	/* --mask: one entry for the /24 */
	assert_int_equal(drop(&in, "203.0.113.7", D1, 32), 0);
	assert_int_equal(drop(&in, "203.0.113.9", D1, 31), 1);
	assert_int_equal(drop(&in, "203.0.113.7", D1, 32), 1);
	assert_int_equal(drop(&in, "203.0.114.7", D1, 32), 0);

	/* ! --update: the kernel updates when ret (after inversion) holds,
	 * i.e. when the address is NOT there... but only an existing entry
	 * can be updated: no entry -> ret = invert = true, no update. */
	assert_int_equal(drop(&in, A1, D1, 41), 1);
	assert_int_equal(drop(&in, A1, D1, 42), 0);
	pu_close(&in);
	pu_close(&out);
}

static void test_seconds(void **state)
{
	struct pu_prog in;
	const char *a = "192.0.2.50", *b = "192.0.2.51";

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	assert_int_equal(drop(&in, a, D1, 1), 1);
	assert_int_equal(drop(&in, a, D1, 4), 1);
	assert_int_equal(drop(&in, a, D1, 9), 0); /* one hit < 2 */
	assert_int_equal(drop(&in, a, D1, 1), 1);
	assert_int_equal(drop(&in, a, D1, 9), 1);
	/* R: a set long ago, b now; --reap on b's check removes a (the LRU
	 * head, whose last stamp is older than --seconds) */
	assert_int_equal(drop(&in, a, D1, 21), 1);
	usleep(1300 * 1000);
	assert_int_equal(drop(&in, a, D1, 4), 0); /* older than 1 s */
	assert_int_equal(drop(&in, a, D1, 2), 1); /* still there */
	/* --update --seconds 1: no recent stamp -> no match, no update */
	assert_int_equal(drop(&in, a, D1, 6), 0);
	assert_int_equal(drop(&in, a, D1, 4), 0);
	assert_int_equal(drop(&in, b, D1, 21), 1);
	assert_int_equal(drop(&in, a, D1, 23), 1);
	assert_int_equal(drop(&in, b, D1, 22), 1);
	assert_int_equal(drop(&in, a, D1, 23), 0); /* reaped */
	assert_int_equal(drop(&in, b, D1, 23), 1);
	/* update refreshes: set, then update within the second keeps it */
	assert_int_equal(drop(&in, a, D1, 1), 1);
	assert_int_equal(drop(&in, a, D1, 6), 1);
	pu_close(&in);
}

static void test_lru(void **state)
{
	struct pu_prog in;
	char src[64];

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	for (int i = 1; i <= BF_RECENT_ENTRIES; i++) {
		snprintf(src, sizeof(src), "10.0.%d.%d", i / 250, i % 250);
		assert_int_equal(drop(&in, src, D1, 11), 1);
	}
	/* set again moves 10.0.0.1 to the tail; rcheck of .2 does not */
	assert_int_equal(drop(&in, "10.0.0.1", D1, 11), 1);
	assert_int_equal(drop(&in, "10.0.0.2", D1, 12), 1);
	/* the 101st address evicts the head: 10.0.0.2 */
	assert_int_equal(drop(&in, "10.1.0.1", D1, 11), 1);
	assert_int_equal(drop(&in, "10.0.0.2", D1, 12), 0);
	assert_int_equal(drop(&in, "10.0.0.1", D1, 12), 1);
	assert_int_equal(drop(&in, "10.0.0.3", D1, 12), 1);
	assert_int_equal(drop(&in, "10.1.0.1", D1, 12), 1);
	/* the next one evicts 10.0.0.3 */
	assert_int_equal(drop(&in, "10.1.0.2", D1, 11), 1);
	assert_int_equal(drop(&in, "10.0.0.3", D1, 12), 0);
	assert_int_equal(drop(&in, "10.0.0.4", D1, 12), 1);
	/* a removed entry's slot is reused: still 100 entries */
	assert_int_equal(drop(&in, "10.0.0.4", D1, 5), 0); /* other table */
	pu_close(&in);
}

struct setter {
	const struct pu_prog *p;
	int base;
};

static void *set_many(void *arg)
{
	const struct setter *x = arg;
	char src[64];

	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 60; i++) {
			snprintf(src, sizeof(src), "10.%d.%d.%d", x->base,
				 round, i);
			assert_int_equal(drop(x->p, src, D1, 11), 1);
		}
	return NULL;
}

/* Two threads (two CPUs) set 1,200 addresses in one table at once: the
 * table, changed under its lock, ends with exactly BF_RECENT_ENTRIES of
 * them, the one set last among them. */
static void test_concurrent(void **state)
{
	struct pu_prog in;
	struct setter x[2] = { { NULL, 100 }, { NULL, 101 } };
	pthread_t th[2];
	int present = 0, last = 0;
	char src[64];

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	for (int i = 0; i < 2; i++) {
		x[i].p = &in;
		assert_int_equal(pthread_create(&th[i], NULL, set_many, &x[i]),
				 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int b = 100; b <= 101; b++)
		for (int round = 0; round < 20; round++)
			for (int i = 0; i < 60; i++) {
				snprintf(src, sizeof(src), "10.%d.%d.%d", b,
					 round, i);
				present += drop(&in, src, D1, 12);
			}
	/* the address set last (one thread's last) is listed */
	for (int b = 100; b <= 101; b++) {
		snprintf(src, sizeof(src), "10.%d.19.59", b);
		last += drop(&in, src, D1, 12);
	}
	printf("  concurrent: %d addresses listed, %d last ones\n", present,
	       last);
	assert_int_equal(present, BF_RECENT_ENTRIES);
	assert_true(last >= 1);
	pu_close(&in);
}

/* --rttl compares the TTL "as seen before forwarding": recent_mt() adds 1
 * at FORWARD (an output device, no local socket); a lookup TTL or an
 * entry TTL of 0 matches any (recent_entry_lookup()). */
static void test_rttl(void **state)
{
	struct pu_prog in, fwd;

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(BF_HOOK_INPUT, &in);
	load(BF_HOOK_FORWARD, &fwd);
	assert_int_equal(drop_ttl(&in, "192.0.2.60", D1, 51, 64), 1);
	assert_int_equal(drop_ttl(&in, "192.0.2.60", D1, 52, 64), 1);
	assert_int_equal(drop_ttl(&in, "192.0.2.60", D1, 52, 63), 0);
	assert_int_equal(drop_ttl(&fwd, "192.0.2.60", D1, 52, 63), 1);
	assert_int_equal(drop_ttl(&fwd, "192.0.2.60", D1, 52, 64), 0);
	/* TTL 0 at INPUT looks up with "any TTL" */
	assert_int_equal(drop_ttl(&in, "192.0.2.60", D1, 52, 0), 1);
	/* an entry set with TTL 0 matches any TTL */
	assert_int_equal(drop_ttl(&in, "192.0.2.61", D1, 51, 0), 1);
	assert_int_equal(drop_ttl(&in, "192.0.2.61", D1, 52, 17), 1);
	pu_close(&in);
	pu_close(&fwd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic), cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_lru),   cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_rttl),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
