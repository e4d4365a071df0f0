/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Set lookups (BF_MATCH_SET) compiled to BPF map lookups (doc/sets.md).
 * The set's map is relocated as BF_RELOC_SET with relocs[].map = the
 * set's index in rs->sets; the loader passes the fds of the pinned set
 * maps in prog->set_fds.
 */
#ifndef BPFILTER_CGEN_M_SET_H
#define BPFILTER_CGEN_M_SET_H

#include <stdbool.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"

/* Emit the match m of rule (r9 = packet context): jumps to `fail` when it
 * does not hold. Clobbers r0-r7. Returns false when it can never hold. */
bool bf_set_emit(struct bf_emit *e, const struct bf_ruleset *rs,
		 enum bf_attach_kind attach, const struct bf_rule *rule,
		 const struct bf_match *m, bf_label fail);

/* Why m cannot be compiled at `attach` (NULL: it can): the set must exist
 * and its dimensions must be available there. */
const char *bf_set_check(const struct bf_ruleset *rs,
			 enum bf_attach_kind attach, const struct bf_match *m);

/* Does m look up a set lowered from nft (bf_set.nft), whose ports are
 * read from nft's view of the packet (pctx.nft_*, which the program
 * must then fill: cg.nft_on)? */
bool bf_set_nft_view(const struct bf_ruleset *rs, const struct bf_match *m);

/* Does m look up a set with a mark dimension (pctx.mark must be filled:
 * cg.need_mark)? */
bool bf_set_need_mark(const struct bf_ruleset *rs, const struct bf_match *m);

#endif /* BPFILTER_CGEN_M_SET_H */
