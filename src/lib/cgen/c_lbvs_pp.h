/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-protocol searches of the bit-vector classifier (doc/classification.md
 * "One search per protocol class").
 *
 * A packet of protocol p can only match the members whose protocol test
 * admits p: the members of p's protocol class. For each protocol class c
 * (at most BF_LBVS_PP_MAX), the fast path gets vectors of its own, over
 * those members only (in rule order, so the lowest set bit is still the
 * first matching member): every class vector restricted to c's members,
 * compressed, with summary words of its own. The protocol field is then
 * not ANDed (it holds for all of them), nor any field whose classes are
 * all ones on c's members (TCP flags for UDP members). An array maps the
 * index found back to the member index. The slow path (packets that are
 * not plain) keeps the chain's full vectors.
 */
#ifndef BPFILTER_CGEN_C_LBVS_PP_H
#define BPFILTER_CGEN_C_LBVS_PP_H

#include <stdbool.h>
#include <stdint.h>

#include "cgen/cgen.h"
#include "opt/lbvs.h"

#define BF_LBVS_PP_MAX 8
/* Not when the program's maps (*next_idx, with these) would exceed this:
 * the kernel takes at most 64 maps per program. */
#define BF_LBVS_PP_MAP_BUDGET 32u

struct bf_lbvs_pp {
	uint32_t n; /* protocol classes */
	struct bf_lbvs_ppart {
		uint32_t cls; /* the protocol field's class id */
		uint32_t n_members; /* members it admits (0: none) */
		uint32_t S, W; /* summary and data words of its vectors */
		uint32_t vmap, imap; /* its vectors; index -> member */
		bool use[BF_LBVS_FIELD_COUNT]; /* fields ANDed */
	} p[BF_LBVS_PP_MAX];
};

/* At the start of bf_lbvs_maps() (l's vectors and fields' values still
 * there): when the fast path can use per-protocol searches (one search,
 * not split; a protocol field; at most BF_LBVS_PP_MAX protocol classes;
 * within BF_LBVS_PP_MAP_BUDGET;
 * the environment variable BPFILTER_LBVS_PP unset or not "0"), set
 * l->pp and append its maps to *maps, numbered from *next_idx. Returns 0
 * (l->pp may stay NULL) or -ENOMEM. */
int bf_lbvs_pp_maps(struct bf_lbvs *l, struct bf_prog_map **maps,
		    size_t *n_maps, size_t *next_idx);

#endif /* BPFILTER_CGEN_C_LBVS_PP_H */
