/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shortcuts of a one-segment change (doc/live.md, "Incremental changes",
 * "What a change costs"), each with a check env that tests compare it to
 * the long way with.
 *
 * The root program without its compile: the root's code depends on the
 * rules only through what its prologue fills (scan_matches() in cgen.c:
 * marks, MAC, conntrack mark, nft views, the matches of mext.h...) and
 * the chains they jump to. A rule that needs none of that is "neutral";
 * when the root in force is the one of a ruleset without rules and the
 * new rules are neutral, the new root is that one too.
 */
#ifndef BPFILTER_LOAD_SEGFAST_H
#define BPFILTER_LOAD_SEGFAST_H

#include <stdbool.h>
#include <stddef.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "load/state.h"

/* Does rule r add nothing to the root program (no prologue field, no
 * chain call)? Conservative: false for any match or verdict not known
 * to be so. */
bool bf_seg_rule_root_neutral(const struct bf_rule *r);

/* Are rules [first, end) of c all neutral? */
bool bf_seg_rules_root_neutral(const struct bf_chain *c, size_t first,
			       size_t end);

/* BPFILTER_SEG_ROOT_CHECK=1: compile the root anyway and fail the
 * change if it differs from the one the shortcut kept (tests). */
bool bf_seg_root_check(void);

struct bf_seg_plan;

/* bf_check() of rs after the change of plan pl, checking the changed
 * rules only (check/check.h, bf_check_change()). BPFILTER_SEG_CHECK=1
 * also runs the whole check and fails if the results differ. */
int bf_seg_plan_check(const struct bf_seg_plan *pl, const struct bf_ruleset *rs,
		      enum bf_attach_kind attach, const char *ifname);

/* bf_ruleset_ct_families() of rs after the change of plan pl, from the
 * state in force (old, its BF_STATE_USES_CT flags) and the changed rules
 * when that is exact (nothing removed, or no family's conntrack in force
 * to lose), else the whole walk. BPFILTER_SEG_CHECK=1 compares. */
unsigned int bf_seg_plan_ct_families(const struct bf_seg_plan *pl,
				     const struct bf_ruleset *rs,
				     const struct bf_state *old);

/* Free the ruleset of a finished bf_edit() at the next call, or never
 * when the process exits first (a CLI process: freeing 10,000 rules and
 * their matches one by one costs milliseconds that exit does for free).
 * One ruleset at most is held, still referenced (leak checkers do not
 * report it). BPFILTER_FREE_NOW=1 frees at once. */
void bf_ruleset_free_later(struct bf_ruleset **rs);

#endif /* BPFILTER_LOAD_SEGFAST_H */
