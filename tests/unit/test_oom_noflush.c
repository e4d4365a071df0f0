// SPDX-License-Identifier: GPL-2.0-only
/* iptables-restore --noflush and command files under memory pressure: every allocation is
 * made to fail in turn, and each run must either succeed or report
 * -ENOMEM, never crash or mistake its own failure for bad input. This test
 * replaces malloc() for the whole binary (glibc allows it), so it is left
 * out of sanitizer builds, whose runtime owns malloc(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_FAULTS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_FAULTS 0
#endif
#endif
#ifndef HAVE_FAULTS
#define HAVE_FAULTS 1
#endif

#if HAVE_FAULTS
/* glibc's own allocator, under the names it exports for replacements */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

static unsigned long n_alloc, fail_at; /* fail_at 0: never fail */

static bool fail_now(void)
{
	if (!fail_at || ++n_alloc != fail_at)
		return false;
	errno = ENOMEM;
	return true;
}

void *malloc(size_t size)
{
	return fail_now() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	return fail_now() ? NULL : __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}

static void quiet(enum bf_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)msg;
	(void)data;
}

static int run_noflush(struct bf_ruleset *rs, FILE *in, FILE *out)
{
	(void)out;
	return bf_ipt_restore_noflush(rs, in, "t.rules", BF_FAMILY_INET4, true);
}

static int run_commands(struct bf_ruleset *rs, FILE *in, FILE *out)
{
	return bf_ipt_run_commands(rs, in, "t.sh", out);
}

/* Run fn on text failing the k-th allocation, for k = 1, 2, ... until a
 * run makes fewer than k: each must give 0 or -ENOMEM, and the run that
 * failed nothing must leave the INPUT rule with the given counters. */
static void sweep(int (*fn)(struct bf_ruleset *, FILE *, FILE *),
		  const char *text, uint64_t packets, uint64_t bytes)
{
	bool done = false;
	unsigned long k;

	bf_log_set(quiet, NULL);
	for (k = 1; k < 10000 && !done; k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		FILE *in = fmemopen((void *)text, strlen(text), "r");
		FILE *out = fopen("/dev/null", "w");
		int r;

		assert_non_null(rs);
		assert_non_null(in);
		assert_non_null(out);
		n_alloc = 0;
		fail_at = k;
		r = fn(rs, in, out);
		done = n_alloc < k; /* the k-th allocation never came */
		fail_at = 0;
		if (r != 0 && r != -ENOMEM)
			fail_msg("failing allocation %lu: %d (%s)", k, r,
				 strerror(-r));
		if (done) {
			const struct bf_chain *c = bf_ruleset_builtin(
				rs, BF_FAMILY_INET4, BF_HOOK_INPUT);

			assert_int_equal(r, 0);
			assert_non_null(c);
			assert_int_equal(c->n_rules, 1);
			assert_int_equal(c->rules[0].counter.packets, packets);
			assert_int_equal(c->rules[0].counter.bytes, bytes);
		}
		fclose(out);
		fclose(in);
		bf_ruleset_free(&rs);
	}
	bf_log_set(NULL, NULL);
	assert_true(done);
	/* runs that failed an allocation really were exercised */
	assert_true(k > 10);
}
#endif

/* "[p:b] -A ..." lines with counters on become -c P B words. */
static void test_noflush_oom(void **state)
{
	(void)state;
#if HAVE_FAULTS
	sweep(run_noflush,
	      "*filter\n"
	      "[3:4] -A INPUT -s 192.0.2.1 -j ACCEPT\n"
	      "COMMIT\n",
	      3, 4);
#else
	skip();
#endif
}

static void test_commands_oom(void **state)
{
	(void)state;
#if HAVE_FAULTS
	sweep(run_commands, "iptables -A INPUT -s 192.0.2.1 -c 5 6 -j ACCEPT\n",
	      5, 6);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noflush_oom),
		cmocka_unit_test(test_commands_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
