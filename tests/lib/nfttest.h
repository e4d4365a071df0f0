/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the nft front end's unit tests (tests/unit/test_nft_*.c):
 * parse and lower a text with its log captured, the IR as iptables-save
 * text and as nft text, and the rules of two rulesets compared as text.
 */
#pragma once

#include <stdbool.h>

#include "bftest.h"
#include "bpfilter/ir.h"

/* Every family, for bft_ipt_text() and bft_nft_ir_text(). */
#define BFT_ALL_FAMILIES (-1)

/* Parse `text` (named "t.nft") and lower it (bf_nft_lower()) into a new
 * ruleset, the log captured in cap (reset first). Returns the ruleset,
 * NULL on failure; the result in *ret. */
struct bf_ruleset *bft_nft_lower(const char *text, struct bft_logcap *cap,
				 int *ret);

/* bft_nft_lower() that must succeed: fails the test with the log. */
struct bf_ruleset *bft_nft_lower_ok(const char *text);

/* Read the iptables-restore text `text` (named `name`, IPv4) into a new
 * ruleset that is freed again, the log captured in cap (reset first).
 * Returns bf_ipt_parse_restore_str()'s result. */
int bft_ipt_restore(const char *text, const char *name, struct bft_logcap *cap);

/* The iptables-save text (bf_ipt_print()) of family f, or of every family
 * in order for BFT_ALL_FAMILIES; malloc'd. */
char *bft_ipt_text(const struct bf_ruleset *rs, int f);

/* The IR printed as nft (bf_nft_print_ir(), tables "b4"/"b6") for family
 * f or BFT_ALL_FAMILIES; malloc'd. */
char *bft_nft_ir_text(const struct bf_ruleset *rs, int f);

/* The rules of chain ch must print (bf_ipt_print_rule()) the same in a and
 * b, family by family. A family without the chain in a is skipped unless
 * `need`; `ctx` (may be NULL) is added to the failure message. */
void bft_same_rules(const struct bf_ruleset *a, const struct bf_ruleset *b,
		    const char *ch, bool need, const char *ctx);

struct bf_nft;

/* Parse `text` (named "t.nft"), the log captured in cap (reset first,
 * the previous log function put back after). The result (NULL on
 * failure) and its status in *ret. */
struct bf_nft *bft_nft_parse(const char *text, struct bft_logcap *cap,
			     int *ret);

/* Parse `text`, which must parse and have a part for the kernel's
 * nftables (bf_nft_has_kernel_part()) whose text (bf_nft_kernel_text())
 * is exactly `want`; fails the test otherwise. Returns the parse, for
 * the caller to check more and free. */
struct bf_nft *bft_nft_kernel_is(const char *text, const char *want);
