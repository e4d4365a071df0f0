/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Segmented netfilter programs and incremental changes (doc/live.md,
 * "Incremental changes"; the programs: cgen/segprog.h).
 *
 * A long built-in chain at a netfilter hook is cut into at most
 * BF_SEG_MAX segments, each its own program in the prog array pinned as
 * `segs_<point>` next to `pctx_<point>` (the per-CPU packet contexts).
 * A change that touches the rules of one segment only compiles, verifies
 * and swaps that segment (one prog-array update); everything else is a
 * full rebuild.
 *
 * Counters: with segments, a rule's counter index is a slot of the
 * counters map that stays the rule's while it lives (programs of
 * untouched segments keep addressing it). The counters map has spare
 * slots (bf_seg_capacity()); new rules take free ones. The pinned
 * `seginfo` map keeps, for the generation in force, the slot of each
 * counter in bf_ruleset_number() order, and the segment layout.
 *
 * Maps besides the counters (doc/live.md, "What a segment may hold"):
 * fold maps and rate-limit state (n_state) are each program's own (a
 * one-segment change that touches no stateful rule hands the replaced
 * program's state map to the new one); the
 * LOG record and ring are the point's (pinned, the same for the root and
 * every segment, kept by a one-segment change); recent and hashlimit
 * tables and named sets are the namespace's / slot's pinned maps, as for
 * any program. Programs that need other maps (nft limit buckets, user
 * BPF) leave their chain whole.
 */
#ifndef BPFILTER_LOAD_SEG_H
#define BPFILTER_LOAD_SEG_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/segprog.h"
#include "load/load.h"

#define BF_SEGINFO_MAGIC "bfsegs2"

struct bf_seg_point {
	uint8_t family, hook, n_seg, pad;
	uint32_t sizes[BF_SEG_MAX]; /* rules per segment, in order */
	uint64_t root_hash; /* of the root program's code (without fds) */
	/* the chain of each segment (bf_seg_chain_hash() of its name: the
	 * built-in chain's, or a segmented user chain's; a chain's segments
	 * follow each other, in rule order), and bit k: segment k ends with
	 * a -j/-g to a segmented user chain (doc/live.md, "Segmented user
	 * chains") */
	uint32_t chash[BF_SEG_MAX];
	uint32_t jmask;
};

struct bf_seginfo {
	char magic[8];
	uint64_t generation; /* of the state these describe */
	uint32_t capacity; /* slots of the counters map */
	uint32_t n_slots; /* counters of the ruleset */
	uint32_t n_pts;
	struct bf_seg_point pts[BF_MAX_POINTS];
	uint32_t *slots; /* n_slots: slot of counter i (ruleset order) */
};

void bf_seginfo_release(struct bf_seginfo *si);

/* The hash of a chain name that identifies a chain in bf_seg_point. */
uint32_t bf_seg_chain_hash(const char *name);

/* Counters map size for n counters: spare slots for later changes. */
uint32_t bf_seg_capacity(uint32_t n_counters);

/* After bf_ruleset_number(rs) of the state of `generation` read from
 * slotdir: turn counter indexes into the slots in force (nothing to do
 * when the slot has no seginfo of that generation). 0 or -errno. */
/* The same as a list: the seginfo of slotdir into *si (released by the
 * caller), whose slots map each of the n_counters indexes of
 * bf_ruleset_number() to its slot; si->slots NULL when there is nothing
 * to do. 0 or -errno. */
int bf_seg_slots_read(const char *slotdir, uint64_t generation,
		      uint32_t n_counters, struct bf_seginfo *si);
int bf_seg_apply_slots(struct bf_ruleset *rs, const char *slotdir,
		       uint64_t generation);

/* ---- full builds (install() in apply.c) ---- */

struct bf_seg_txn {
	struct bf_seginfo si;
	int segs_fd[BF_MAX_POINTS], pcpu_fd[BF_MAX_POINTS];
	/* the LOG maps of a point whose rules LOG: one per-CPU record and
	 * one ring for the root and all its segments, pinned as
	 * seglogb_<point> and seglog_<point> (0 or -1: none) */
	int logbuf_fd[BF_MAX_POINTS], logring_fd[BF_MAX_POINTS];
	bool on[BF_MAX_POINTS];
	char key[BF_MAX_POINTS][16];
};

void bf_seg_txn_init(struct bf_seg_txn *st);
void bf_seg_txn_release(struct bf_seg_txn *st);
/* For every netfilter point whose built-in chain is long enough and whose
 * rules segment programs can run: load the segment programs and replace
 * pts[i].prog by the root program (loaded by the caller like any
 * other). rs numbered; capacity = slots of counters_fd. 0 or -errno. */
int bf_seg_build(struct bf_seg_txn *st, struct bf_point *pts, size_t n,
		 const struct bf_ruleset *rs, int counters_fd,
		 uint32_t capacity, bool verbose);
/* After the switch: pin the segment maps, drop stale ones, write the
 * seginfo of `generation` (or remove it when nothing is segmented). */
int bf_seg_commit(struct bf_seg_txn *st, const char *slotdir,
		  uint64_t generation);

/* ---- incremental changes (bf_edit()) ---- */

struct bf_seg_snap;
struct bf_seg_plan;

/* Counter identity across bf_edit(): before its callback runs, every
 * rule's and built-in policy's counter index is (its slot in force + 1);
 * rules the callback creates have 0 (a new counter).
 *
 * bf_seg_read_in() makes the ruleset read (not numbered) so, in one walk
 * of its rules: bf_ruleset_number(); each index the slot segment
 * programs count it in, si->slots[index] (bf_seg_slots_read(); si or
 * its slots NULL: the index itself); the counter of that slot from vals
 * (bf_counters_apply()); then that slot + 1. With snap, also *snap:
 * what the ruleset was before the change (bf_seg_plan() compares with
 * it). 0 or -ENOMEM (rs then marked, *snap NULL). */
int bf_seg_read_in(struct bf_ruleset *rs, const struct bf_seginfo *si,
		   const struct bf_counter *vals, uint32_t n_vals,
		   struct bf_seg_snap **snap);
void bf_seg_snap_free(struct bf_seg_snap **s);

/* Can the change from snap to rs be made by replacing one segment? If
 * so, give rs its counter slots, compile the segment and return 0 with
 * *out; 1 when not (rs untouched: do a full rebuild); -errno on error. */
int bf_seg_plan(struct bf_seg_plan **out, struct bf_ruleset *rs,
		const struct bf_seg_snap *snap, const char *slotdir,
		uint64_t generation);
/* Zero the new rules' counter slots (no program uses them) and load the
 * segment program (nothing changes in force yet); 0 if it is
 * loaded already. On failure, bf_seg_plan_undo() gives rs its counter
 * indexes back for a full rebuild. */
int bf_seg_plan_load(struct bf_seg_plan *p, bool verbose);
void bf_seg_plan_undo(struct bf_seg_plan *p, struct bf_ruleset *rs);
/* Write the seginfo of `generation` after the change into a new map
 * (not pinned: nothing changes in force), so that the commit has less
 * to do: install() calls it while the segment loads. 0 or -errno. */
int bf_seg_plan_seginfo(struct bf_seg_plan *p, uint64_t generation);
/* Put the segment in force (one prog-array update) and pin the seginfo of
 * `generation` (bf_seg_plan_seginfo()'s, or written now); the caller
 * pins the state. */
int bf_seg_plan_commit(struct bf_seg_plan *p, const char *slotdir,
		       uint64_t generation);
/* The canonical text of family f after the change, made from the text of
 * the state in force (old) without printing the whole ruleset: the
 * changed chain's lines replaced, the policy lines rewritten. 0 (text
 * malloc'd), 1 when it cannot (print it all), or -errno. */
int bf_seg_plan_text(const struct bf_seg_plan *p, const struct bf_ruleset *rs,
		     const char *old, enum bf_family f, char **text,
		     uint32_t *len);
void bf_seg_plan_free(struct bf_seg_plan **p);
/* The change the plan makes: rules [*p, *oe) of the *old_n rules of
 * rs->chains[*ci] became [*p, *ne). */
void bf_seg_plan_window(const struct bf_seg_plan *pl, size_t *ci, size_t *p,
			size_t *oe, size_t *ne, size_t *old_n);

/* Pin fd as <dir>/<name>, replacing what is pinned there atomically (pin
 * under a temporary name, then rename over). Returns 0 or -errno. */
int bf_pin_replace(int fd, const char *dir, const char *name);

#endif /* BPFILTER_LOAD_SEG_H */
