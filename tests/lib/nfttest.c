// SPDX-License-Identifier: GPL-2.0-only
#include "nfttest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"

struct bf_ruleset *bft_nft_lower(const char *text, struct bft_logcap *cap,
				 int *ret)
{
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs = NULL;
	int r;

	memset(cap, 0, sizeof(*cap));
	bf_log_set(bft_log_capture, cap);
	r = bf_nft_parse_str(text, "t.nft", &nft);
	if (!r) {
		rs = bf_ruleset_new();
		assert_non_null(rs);
		r = bf_nft_lower(nft, rs);
	}
	bf_log_set(NULL, NULL);
	bf_nft_free(&nft);
	if (r)
		bf_ruleset_free(&rs);
	*ret = r;
	return rs;
}

struct bf_ruleset *bft_nft_lower_ok(const char *text)
{
	struct bft_logcap cap;
	int r;
	struct bf_ruleset *rs = bft_nft_lower(text, &cap, &r);

	if (!rs)
		fail_msg("lowering failed (%d): %s", r, cap.text);
	return rs;
}

int bft_ipt_restore(const char *text, const char *name, struct bft_logcap *cap)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	int r;

	assert_non_null(rs);
	memset(cap, 0, sizeof(*cap));
	bf_log_set(bft_log_capture, cap);
	r = bf_ipt_parse_restore_str(rs, text, name, BF_FAMILY_INET4);
	bf_log_set(NULL, NULL);
	bf_ruleset_free(&rs);
	return r;
}

/* Family f (or every family) printed as iptables-save or nft text. */
static char *print_text(const struct bf_ruleset *rs, int f, bool nft)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	assert_non_null(m);
	for (int i = 0; i < BF_FAMILY_COUNT; i++) {
		if (f != BFT_ALL_FAMILIES && f != i)
			continue;
		if (nft)
			assert_int_equal(bf_nft_print_ir(m, rs, i,
							 i ? "b6" : "b4",
							 false),
					 0);
		else
			assert_int_equal(bf_ipt_print(m, rs, i, 0), 0);
	}
	fclose(m);
	return out;
}

char *bft_ipt_text(const struct bf_ruleset *rs, int f)
{
	return print_text(rs, f, false);
}

char *bft_nft_ir_text(const struct bf_ruleset *rs, int f)
{
	return print_text(rs, f, true);
}

static char *rule_text(const struct bf_rule *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	assert_non_null(m);
	bf_ipt_print_rule(m, r);
	fclose(m);
	return out;
}

void bft_same_rules(const struct bf_ruleset *a, const struct bf_ruleset *b,
		    const char *ch, bool need, const char *ctx)
{
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		const struct bf_chain *ca = bf_ruleset_chain(a, f, ch);
		const struct bf_chain *cb = bf_ruleset_chain(b, f, ch);

		if (need)
			assert_non_null(ca);
		if (!ca)
			continue;
		assert_non_null(cb);
		assert_int_equal(ca->n_rules, cb->n_rules);
		for (size_t i = 0; i < ca->n_rules; i++) {
			_cleanup_free_ char *x = rule_text(&ca->rules[i]);
			_cleanup_free_ char *y = rule_text(&cb->rules[i]);

			if (strcmp(x, y))
				fail_msg("rule %zu: %s became %s%s%s", i, x, y,
					 ctx ? "\n" : "", ctx ? ctx : "");
		}
	}
}

struct bf_nft *bft_nft_parse(const char *text, struct bft_logcap *cap, int *ret)
{
	struct bf_nft *nft = NULL;
	bf_log_fn ofn;
	void *odata;

	memset(cap, 0, sizeof(*cap));
	bf_log_get(&ofn, &odata);
	bf_log_set(bft_log_capture, cap);
	*ret = bf_nft_parse_str(text, "t.nft", &nft);
	bf_log_set(ofn, odata);
	return nft;
}

struct bf_nft *bft_nft_kernel_is(const char *text, const char *want)
{
	_cleanup_free_ char *got = NULL;
	struct bft_logcap cap;
	struct bf_nft *nft;
	int r;

	nft = bft_nft_parse(text, &cap, &r);
	if (r)
		fail_msg("parse: %d\n%s", r, cap.text);
	assert_true(bf_nft_has_kernel_part(nft));
	assert_int_equal(bf_nft_kernel_text(nft, &got), 0);
	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("kernel text:\n%s\nwanted:\n%s", got, want);
	return nft;
}
