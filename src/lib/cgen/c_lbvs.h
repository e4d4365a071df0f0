/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Code and maps of the bit-vector search over general rules (opt/lbvs.h,
 * doc/classification.md "Bit-vector search").
 *
 * The classifier function of a chain takes the packet context pointer and
 * returns (u32) the member index i of the first member a plain packet
 * matches as i << 1, BF_LBVS_NONE if none, or BF_LBVS_SLOW if the packet is
 * not plain (the caller then asks the members' linear code, which returns
 * i << 1, i << 1 | 1 when member i hotdrops, or BF_LBVS_NONE).
 */
#ifndef BPFILTER_CGEN_C_LBVS_H
#define BPFILTER_CGEN_C_LBVS_H

#include <stdbool.h>
#include <stdint.h>

#include "cgen/cgen.h"
#include "cgen/emit.h"
#include "opt/lbvs.h"

#define BF_LBVS_NONE 0xffffffffu
#define BF_LBVS_SLOW 0xfffffffeu

/* After bf_lbvs_build(), before bf_lbvs_maps(): if every packet that is
 * not plain can be classified by vectors (IPv4; per protocol, every
 * member that reads its transport header does so in one way, after its
 * address and protocol tests and before its port and flag tests), add the
 * classes that needs and set l->slow_vec: then the classifier never
 * returns BF_LBVS_SLOW and the members need no linear code. Returns 0 or
 * -ENOMEM. */
int bf_lbvs_slow_prepare(const struct bf_chain *chain, struct bf_lbvs *l);

/* Maps of l (one per field tested, then the class vectors): appended to
 * *maps (n_maps entries, grown), their indexes in prog->maps written to
 * idx[field] and idx[BF_LBVS_FIELD_COUNT], numbered from *next_idx.
 * Ownership of l's map contents moves to the new entries. */
int bf_lbvs_maps(struct bf_lbvs *l, struct bf_prog_map **maps, size_t *n_maps,
		 size_t *next_idx, uint32_t idx[BF_LBVS_FIELD_COUNT + 1]);

/* Class functions (doc/live.md "Session 8: class functions"). The class
 * of an interface or of an address searched by intervals or an LPM trie
 * takes 15-60 instructions; each per-protocol search and each protocol
 * of the slow path computed it again, so the verifier walked the same
 * code up to five times (it costs ~0.6 us per instruction here). A field
 * that two paths or more need gets a global function of its own instead:
 * r0 = the packet's class (pctx in r1), or BF_LBVS_NONE; verified once,
 * called from each path (r6 .. r9 and the stack survive the call, as
 * across the helper calls the paths make anyway).
 * BPFILTER_LBVS_CFN=0: no class functions (inline, as before). */
struct bf_lbvs_cfn {
	bool on[BF_LBVS_FIELD_COUNT];
	bf_label l[BF_LBVS_FIELD_COUNT]; /* entries, when on */
};

/* Decide which fields of l get a class function (labels from e). */
void bf_lbvs_cfn_plan(struct bf_emit *e, const struct bf_lbvs *l,
		      struct bf_lbvs_cfn *cf);

/* The body of the class function of field f (after its head: r9 =
 * packet context): ends with exits only. */
void bf_lbvs_emit_cfn(struct bf_emit *e, const struct bf_lbvs *l,
		      const uint32_t idx[BF_LBVS_FIELD_COUNT + 1], int f);

/* The body of the classifier function (after its head: r9 = packet
 * context): ends with exits only. cf: the class functions to call (NULL:
 * none). */
void bf_lbvs_emit_fast(struct bf_emit *e, const struct bf_lbvs *l,
		       const uint32_t idx[BF_LBVS_FIELD_COUNT + 1],
		       const struct bf_lbvs_cfn *cf);

/* Create and fill one map of prog->maps whose type is not the folded
 * groups' hash (type != 0). Returns the fd or -errno. */
int bf_lbvs_map_create(const struct bf_prog_map *m);

#endif /* BPFILTER_CGEN_C_LBVS_H */
