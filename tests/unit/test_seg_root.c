// SPDX-License-Identifier: GPL-2.0-only
/*
 * The root program of segment programs (cgen/segprog.h) is compiled on
 * every incremental change without the fold and bit-vector analysis of
 * the rules it does not run (bf_seg_opts.root_analyse off): its code must
 * be exactly the one compiled with that analysis, for chains that fold,
 * that get a bit-vector search, that jump to user chains, nest deep
 * enough for the depth check to need the exact answer, or too deep.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "cgen/segprog.h"

/* An iptables-restore text: n mixed rules (as bench/edit.sh makes them),
 * n/2 foldable /32 sources, n/4 rules that differ in ports only, and a
 * chain of `nest` user chains jumping one into the next from INPUT. */
static char *ruleset(int n, int nest)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *m = open_memstream(&buf, &sz);

	assert_non_null(m);
	fputs("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n",
	      m);
	for (int k = 0; k < nest; k++)
		fprintf(m, ":U%d - [0:0]\n", k);
	for (int i = 0; i < n; i++) {
		int a = 16 * (1 + i);

		switch (i % 4) {
		case 0:
			fprintf(m,
				"-A INPUT -s 198.%d.%d.%d/31 -p tcp -m tcp "
				"--dport %d:%d -j DROP\n",
				18 + a / 65536, a / 256 % 256, a % 256,
				1000 + i, 1010 + i);
			break;
		case 1:
			fprintf(m,
				"-A INPUT -s 198.%d.%d.%d/30 -p udp -m udp "
				"--sport %d -j ACCEPT\n",
				18 + a / 65536, a / 256 % 256, a % 256,
				2000 + i);
			break;
		case 2:
			fprintf(m,
				"-A INPUT -d 198.%d.%d.%d/29 -p tcp -m tcp "
				"--tcp-flags SYN,ACK SYN -j DROP\n",
				18 + a / 65536, a / 256 % 256, a % 256);
			break;
		default:
			fprintf(m,
				"-A INPUT -s 198.%d.%d.%d/28 -i eth%d "
				"-j DROP\n",
				18 + a / 65536, a / 256 % 256, a % 256, i % 7);
		}
	}
	for (int i = 0; i < n / 2; i++)
		fprintf(m, "-A INPUT -s 203.0.%d.%d/32 -j DROP\n",
			113 + i / 256, i % 256);
	for (int i = 0; i < n / 4; i++)
		fprintf(m, "-A INPUT -p tcp -m tcp --dport %d -j ACCEPT\n",
			20000 + 7 * i);
	if (nest)
		fputs("-A INPUT -p udp -j U0\n", m);
	for (int k = 0; k < nest; k++) {
		fprintf(m, "-A U%d -s 192.0.2.%d/32 -j DROP\n", k, k);
		if (k + 1 < nest)
			fprintf(m, "-A U%d -p tcp -j U%d\n", k, k + 1);
	}
	fputs("COMMIT\n", m);
	assert_int_equal(fclose(m), 0);
	return buf;
}

/* Compile the INPUT root of family inet4 with or without the analysis:
 * the result, *out set on success. */
static int root(const struct bf_ruleset *rs, bool analyse,
		struct bf_program **out)
{
	struct bf_seg_opts o = {
		.root = true,
		.pcpu_fd = 1000, /* written into the code, never used */
		.segs_fd = 1001,
		.root_analyse = analyse,
	};

	return bf_cgen_compile_seg(rs, BF_HOOK_INPUT, BF_FAMILY_INET4, &o, out);
}

/* Compile the root of that ruleset both ways: both results must be the
 * same, and so must the code. Returns the result. */
static int same_root(int n, int nest)
{
	_cleanup_free_ char *text = ruleset(n, nest);
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_program *a = NULL, *b = NULL;
	int ra, rb, want;

	assert_non_null(rs);
	assert_int_equal(bf_ipt_parse_restore_str(rs, text, "<test>",
						  BF_FAMILY_INET4),
			 0);
	bf_ruleset_number(rs);
	ra = root(rs, true, &a);
	rb = root(rs, false, &b);
	want = ra;
	assert_int_equal(rb, want);
	if (!want) {
		assert_int_equal(a->n_insns, b->n_insns);
		assert_true(a->n_insns > 0);
		assert_memory_equal(a->insns, b->insns,
				    a->n_insns * sizeof(*a->insns));
		assert_int_equal(a->n_relocs, b->n_relocs);
		assert_int_equal(a->n_funcs, b->n_funcs);
		for (size_t i = 0; i < a->n_funcs; i++) {
			assert_int_equal(a->funcs[i].insn_off,
					 b->funcs[i].insn_off);
			assert_string_equal(a->funcs[i].name, b->funcs[i].name);
		}
		assert_int_equal(a->n_maps, b->n_maps);
		assert_int_equal(a->n_folded, b->n_folded);
		assert_int_equal(a->n_state, b->n_state);
		assert_string_equal(a->name, b->name);
	}
	bf_program_free(&a);
	bf_program_free(&b);
	bf_ruleset_free(&rs);
	return want;
}

static void test_small(void **state)
{
	(void)state;
	assert_int_equal(same_root(8, 0), 0);
	assert_int_equal(same_root(8, 1), 0);
}

static void test_large(void **state)
{
	(void)state;
	assert_int_equal(same_root(4000, 0), 0);
	assert_int_equal(same_root(4000, 2), 0);
}

/* Nesting from 1 to 9 user chains: the shallow ones compile, the deep
 * ones do not (MAX_FRAMES), and between them the shortcut's upper bound
 * is too great for some that do compile (compiled again with the
 * analysis): the same results both ways. */
static void test_nesting(void **state)
{
	int ok = 0, deep = 0;

	(void)state;
	for (int nest = 1; nest <= 9; nest++) {
		int r = same_root(600, nest);

		assert_true(r == 0 || r == -E2BIG);
		if (r)
			deep++;
		else
			ok++;
	}
	assert_true(ok >= 3);
	assert_true(deep >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_nesting),
	};
	static struct bft_logcap cap;

	bf_log_set(bft_log_capture, &cap); /* "nesting too deep" */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
