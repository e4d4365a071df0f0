/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Partitioned bit-vector search (doc/classification.md "Partitions by the
 * fields tested").
 *
 * With many general rules, every field's class vector is dense (a third or
 * more of the members have no test on the field, or a wide one), so the
 * summary words skip nothing and a packet that matches late or never scans
 * every data word. bf_lbvs_partition() groups the members by the fields
 * they test (the protocol's value and two key fields), merging the
 * smallest groups into the ones they share the most tests with until at
 * most BPFILTER_LBVS_PARTS (default 16) remain. Inside a group every member
 * tests its common fields, so for most packets one of them has an empty
 * class: the group's search ends after that field's lookup (an empty class
 * is BF_LBVS_EMPTY, whose vector lookup fails). Each group, cut by the
 * memory budget as a chain is, is a part of a split search (struct bf_lbvs
 * parts, sharing maps: bf_lbvs_merge()) whose members are not contiguous in
 * the chain: l->scatter. The chain's first matching member is then the
 * minimum over the parts of their first (cgen.c lbvs_call_min()); a part
 * whose first member comes after the best found so far is not run.
 */
#ifndef BPFILTER_OPT_LBVS_PART_H
#define BPFILTER_OPT_LBVS_PART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opt/lbvs.h"

/* A class no member of the part is in (its vector would be all zeros):
 * the vector lookup of this id fails, which ends the part's search. */
#define BF_LBVS_EMPTY 0xffffffffu

/* Partition the members of l (from bf_lbvs_select(), no parts yet) when
 * they do not fit one search (!fits), or when there are at least
 * BPFILTER_LBVS_PART_MIN of them (default 4096; 0: only when they do not
 * fit; BPFILTER_LBVS_PART=0 turns partitions off: contiguous parts as
 * before). On success l->parts are the partitions' parts, sorted by
 * their first member, and l->scatter is set; l is left unchanged when
 * partitioning does not apply (one group of tests). Returns 0 or
 * -ENOMEM. */
int bf_lbvs_partition(const struct bf_chain *chain, struct bf_lbvs *l,
		      bool fits);

/* bf_lbvs_merge() of a scattered search, before the class ids become the
 * chain's: every field value whose class is empty in part p gets
 * BF_LBVS_EMPTY instead. */
void bf_lbvs_part_empty(struct bf_lbvs *p);

/* Which parts a plain packet needs to run: after bf_lbvs_merge() of a
 * scattered search l (its fields' values still in l->fmap[f].values),
 * one array of u64 masks, per field f tested by some part (off[f]: its
 * first row; UINT32_MAX: none), indexed by the packet's value (protocol,
 * flags, ports) or node id (addresses): bit k (k < 64) is clear when
 * part k's class of that value is empty (no member of part k can match a
 * plain packet with it). *vals (malloc'ed, *n entries) or -ENOMEM. */
int bf_lbvs_part_masks(const struct bf_lbvs *l, uint64_t **vals, uint32_t *n,
		       uint32_t off[BF_LBVS_FIELD_COUNT]);

/* From lbvs.c, for lbvs_part.c: */

/* The tests of member m of `all`: bit f = field f tested, bit 8 + f =
 * negated, bits 16..23 = the protocol tested positively, bit 24 = there is
 * one. */
uint32_t bf_lbvs_member_sig(const struct bf_chain *chain,
			    const struct bf_lbvs *all, size_t m);

/* Bound on the class vectors of a search of n members, cnt[f] of which
 * test field f (the bound bf_lbvs_select() cuts by). */
uint64_t bf_lbvs_vec_bound(const size_t *cnt, size_t n);

/* The members members[0 .. n) of `all` (increasing) as a search of their
 * own; base = the first one's index in `all`. */
struct bf_lbvs *bf_lbvs_part_of(const struct bf_chain *chain,
				const struct bf_lbvs *all,
				const size_t *members, size_t n);

#endif /* BPFILTER_OPT_LBVS_PART_H */
