// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mangle chains (src/lib/front/nft/mangle.c): a type filter base chain at
 * input, forward or output with `tcp option ... set` (MSS clamping), in
 * its own rules or in a chain it reaches, goes to the kernel's nftables
 * whole (bf_nft_kernel_text()), and bpfilter lowers the other chains
 * without it; a `tcp option` match (no set) still refuses its chain; a
 * mangle chain at a filter chain's hook and priority is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "nfttest.h"

static const char fw4_like[] =
	"table inet fw4 {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\ttcp dport 22 accept\n"
	"\t}\n"
	"\tchain mangle_forward {\n"
	"\t\ttype filter hook forward priority mangle; policy accept;\n"
	"\t\tiifname \"wan\" tcp flags syn / syn,fin,rst tcp option maxseg "
	"size set rt mtu\n"
	"\t}\n"
	"\tchain mangle_output {\n"
	"\t\ttype filter hook output priority mangle; policy accept;\n"
	"\t\toifname \"wan\" jump clamp\n"
	"\t}\n"
	"\tchain clamp {\n"
	"\t\ttcp flags syn tcp option maxseg size set 1200\n"
	"\t\ttcp dport 23 drop\n"
	"\t}\n"
	"}\n";

static const char fw4_kernel[] =
	"table inet bpfilter_kernel_fw4 {\n"
	"\tchain mangle_forward {\n"
	"\t\ttype filter hook forward priority -150; policy accept;\n"
	"\t\tiifname \"wan\" tcp flags syn / syn,fin,rst tcp option maxseg "
	"size set rt mtu\n"
	"\t}\n"
	"\n"
	"\tchain mangle_output {\n"
	"\t\ttype filter hook output priority -150; policy accept;\n"
	"\t\toifname \"wan\" jump clamp\n"
	"\t}\n"
	"\n"
	"\tchain clamp {\n"
	"\t\ttcp flags syn tcp option maxseg size set 1200\n"
	"\t\ttcp dport 23 drop\n"
	"\t}\n"
	"}\n";

static void test_to_kernel(void **state)
{
	struct bf_ruleset *rs;
	_cleanup_free_ char *ipt = NULL;
	struct bf_nft_target *tgs = NULL;
	struct bf_nft *nft;
	size_t n = 0;

	(void)state;
	nft = bft_nft_kernel_is(fw4_like, fw4_kernel);
	/* bpfilter's part: the input chain only, one nf slot */
	assert_int_equal(bf_nft_targets(nft, false, &tgs, &n), 0);
	assert_int_equal(n, 1);
	rs = bf_ruleset_new();
	assert_non_null(rs);
	assert_int_equal(bf_nft_lower_target(&tgs[0], rs, false), 0);
	ipt = bft_ipt_text(rs, BF_FAMILY_INET4);
	assert_non_null(ipt);
	if (!strstr(ipt, "--dport 22") || strstr(ipt, "--dport 23") ||
	    strstr(ipt, "wan"))
		fail_msg("bpfilter's part:\n%s", ipt);
	bf_ruleset_free(&rs);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);
}

static void test_refused(void **state)
{
	struct bft_logcap cap;
	struct bf_nft *nft;
	int r;

	(void)state;
	/* a tcp option match sets nothing: the chain stays bpfilter's and
	 * the rule is refused there */
	nft = bft_nft_parse(
		"table ip t {\n\tchain f {\n\t\ttype filter hook forward "
		"priority mangle;\n\t\ttcp option maxseg size 1-500 drop\n"
		"\t}\n}\n",
		&cap, &r);
	assert_null(nft);
	assert_int_equal(r, -EOPNOTSUPP);
	if (!strstr(cap.text, "t.nft:4:3: unsupported: tcp option"))
		fail_msg("log: %s", cap.text);
	/* `set` as a set name is no set statement */
	nft = bft_nft_parse(
		"table ip t {\n\tset set {\n\t\ttype inet_service\n\t}\n"
		"\tchain f {\n\t\ttype filter hook forward "
		"priority mangle;\n\t\ttcp option maxseg size @set drop\n"
		"\t}\n}\n",
		&cap, &r);
	assert_null(nft);
	if (!strstr(cap.text, "unsupported: tcp option"))
		fail_msg("log: %s", cap.text);
}

static void test_same_priority(void **state)
{
	struct bft_logcap cap;
	_cleanup_free_ char *text = NULL;
	struct bf_nft *nft;
	bf_log_fn ofn;
	void *odata;
	int r;

	(void)state;
	nft = bft_nft_parse(
		"table ip t {\n\tchain m {\n\t\ttype filter hook forward "
		"priority 0;\n\t\ttcp option maxseg size set 1200\n\t}\n"
		"\tchain f {\n\t\ttype filter hook forward priority 0;\n"
		"\t\ttcp dport 1 drop\n\t}\n}\n",
		&cap, &r);
	if (r)
		fail_msg("parse: %d\n%s", r, cap.text);
	memset(&cap, 0, sizeof(cap));
	bf_log_get(&ofn, &odata);
	bf_log_set(bft_log_capture, &cap);
	r = bf_nft_kernel_text(nft, &text);
	bf_log_set(ofn, odata);
	bf_nft_free(&nft);
	assert_int_equal(r, -EOPNOTSUPP);
	if (!strstr(cap.text, "t.nft:2:8: unsupported: chain m: type filter "
			      "at the hook and priority (0) of type filter "
			      "chain f"))
		fail_msg("log: %s", cap.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_kernel),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_same_priority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
