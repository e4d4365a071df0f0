/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Segment programs: a long built-in chain of a netfilter hook compiled as
 * a root program and up to BF_SEG_MAX segment programs reached by tail
 * calls, so that changing one rule reloads one segment (doc/live.md,
 * "Incremental changes").
 *
 *  - The root program (in the dispatcher's prog array, as any ruleset
 *    program) parses the packet into its packet context as usual, claims
 *    a slot of a per-CPU array (struct bf_seg_pcpu: the slot's owner is
 *    the program context pointer, unique among the invocations alive on
 *    a CPU, nested or preempted), copies the packet context into it and
 *    tail-calls segment 0 of the prog array `segs`.
 *  - Segment program k finds its slot by its context pointer, calls the
 *    chain function of its rules on the copy, and: on a verdict, frees
 *    the slot and returns it; when its rules end, tail-calls segment
 *    k + 1, or when there is none (or on RETURN) counts the policy, frees
 *    the slot and returns the policy.
 *
 * At most 33 tail calls run per packet (MAX_TAIL_CALL_CNT): the
 * dispatcher's, the root's and one per segment, hence BF_SEG_MAX.
 */
#ifndef BPFILTER_CGEN_SEGPROG_H
#define BPFILTER_CGEN_SEGPROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgen/cgen.h"
#include "cgen/pctx.h"

#define BF_SEG_MAX 30
#define BF_SEG_SLOTS 8
/* A slot: the packet context, then the extension where the root puts the
 * rows of the shared fold lookups (cgen/c_segshare.h): BF_SEG_SHAPES
 * shapes of BF_SEG_MAX words. */
#define BF_SEG_SHAPES 4
#define BF_SEG_EXT_OFF ((sizeof(struct bf_pctx) + 7) / 8 * 8)
/* After the shapes, the return stack of segmented user chains (doc/live.md,
 * "Segmented user chains"): one byte of depth (the root sets it to 0),
 * then BF_SEG_RSTK_DEPTH bytes, each the prog-array index of the segment
 * a -j to a segmented chain continues with when that chain returns. */
#define BF_SEG_RSTK_DEPTH 4
#define BF_SEG_RSTK_OFF (BF_SEG_EXT_OFF + BF_SEG_SHAPES * BF_SEG_MAX * 4)
#define BF_SEG_PCTX_SIZE (BF_SEG_RSTK_OFF + 8)

/* The value of the per-CPU array (one entry). */
struct bf_seg_pcpu {
	uint64_t owner[BF_SEG_SLOTS]; /* 0: free */
	uint8_t pctx[BF_SEG_SLOTS][BF_SEG_PCTX_SIZE];
};

struct bf_seg_share;
struct bf_mx;

struct bf_seg_opts {
	bool root; /* the root program (else segment `index`) */
	uint32_t index; /* segment: its index in `segs` */
	int pcpu_fd; /* the per-CPU array of struct bf_seg_pcpu */
	int segs_fd; /* the prog array of BF_SEG_MAX segment programs */
	/* root: run the fold and bit-vector analysis of the chains as a
	 * program that runs their rules would. The root runs none, so by
	 * default it is skipped (the same code either way: only the
	 * nesting depth check needs it, and a depth that may be too great
	 * compiles again with it). */
	bool root_analyse;
	/* full builds (cgen/c_segshare.h): a segment registers its folded
	 * groups there and reads their lookups' results in the slot's
	 * extension; the root (compiled after the segments) looks each
	 * shape up and fills the extension. NULL: own maps, no extension
	 * (a segment compiled alone, a root as before). */
	struct bf_seg_share *share;
	/* The prologue of the root evaluates some matches once per packet
	 * into bits of the packet context, numbered in the order the root
	 * meets them (cgen/mext.h: conntrack matches, owner --suppl-groups
	 * ranges): a segment must number its own the same way. root:
	 * receives its numbering (NULL: not wanted); segment: starts from
	 * it (NULL: none), and is refused (-ENOTSUP) if its rules need a
	 * bit the root does not compute. */
	struct bf_mx *mx_out;
	const struct bf_mx *mx_seed;
	/* segment: the whole ruleset rs is a part of (the rules of rs are
	 * its rules), for what a table of several rules takes from all of
	 * them (recent tables' stamps, a hashlimit table's first rule), so
	 * that every program opens the same pinned table. NULL: rs. */
	const struct bf_ruleset *whole;
	/* Segmented user chains (segment programs only; all zero: the
	 * built-in chain alone is cut, as before). segd[i] != 0: chain i of
	 * the ruleset is a segmented user chain of this point, reached by a
	 * tail call (its rules are in segments of their own, not in this
	 * program). user: rs chain index + 1 of the chain whose rules this
	 * segment holds (0: the built-in chain). next: the prog-array index
	 * of the chain's next segment, -1 when its rules end here. jump_to:
	 * this segment ends with a -j/-g to a segmented chain (its last
	 * rule): the index of that chain's first segment, else -1. With
	 * segd set, a failed tail call drops the packet (fail closed). */
	const uint8_t *segd;
	uint32_t user;
	int32_t next, jump_to;
};

/* Compile the root program or one segment program of the built-in chain
 * `hook` of `family` at a netfilter hook. For a segment, rs is a ruleset
 * whose built-in chain holds the segment's rules only (with the counter
 * indexes and the policy of the whole chain). The fds are written into the
 * instructions (no relocation). Returns 0, -ENOTSUP when the rules need
 * what segment programs do not do (user BPF; REJECT replies, MARK and
 * conntrack lookups, which only tc/XDP programs make), or -errno
 * (reported via bf_log). LOG rules compile: the root captures the
 * packet, the caller gives all of them the same LOG maps
 * (bf_program.logbuf_fd / logring_fd). */
int bf_cgen_compile_seg(const struct bf_ruleset *rs, enum bf_hook hook,
			enum bf_family family, const struct bf_seg_opts *o,
			struct bf_program **out);

#endif /* BPFILTER_CGEN_SEGPROG_H */
