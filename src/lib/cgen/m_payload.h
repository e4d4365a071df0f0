/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nft's payload expressions as a generic header field match
 * (BF_MATCH_PAYLOAD, include/bpfilter/ir.h). Chain functions cannot read
 * the packet (they get the packet context only), so the prologue
 * evaluates each distinct payload match of the program once per packet,
 * after the headers are parsed, into a bit of pctx.pl_bits; the match in
 * a chain tests its bit. A payload match has no side effect and does not
 * depend on what the rule tested before it, so where it is evaluated
 * does not change the verdicts.
 */
#ifndef BPFILTER_CGEN_M_PAYLOAD_H
#define BPFILTER_CGEN_M_PAYLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/emit.h"

#define BF_PL_MAX 32 /* distinct payload matches per program */

struct bf_pl {
	const struct bf_match *m[BF_PL_MAX];
	enum bf_family fam[BF_PL_MAX];
	size_t n;
};

/* Record m (of a rule of family fam) among the program's distinct
 * payload matches; the reason it cannot be compiled, or NULL. */
const char *bf_pl_scan(struct bf_pl *pl, enum bf_family fam,
		       const struct bf_match *m);

/* The prologue's part, once the headers of a packet of family fam are
 * parsed (r9 = packet context on the main function's stack, the dynptr
 * at STK_DYNPTR, pctx.nft_* filled: the program must set cg.nft_on; not
 * in direct mode). l3off: the network header's offset in the dynptr.
 * Clobbers r0-r5 and 8 bytes of pctx.scratch. */
void bf_pl_prologue(const struct bf_pl *pl, struct bf_emit *e,
		    enum bf_family fam, int32_t l3off);

/* The match in a chain (r9 = packet context): `fail` when its bit is
 * clear. False when it can never hold. */
bool bf_pl_emit(const struct bf_pl *pl, struct bf_emit *e, enum bf_family fam,
		const struct bf_match *m, bf_label fail);

#endif /* BPFILTER_CGEN_M_PAYLOAD_H */
