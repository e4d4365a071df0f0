/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A binary snapshot of the parsed IR of a slot's state (doc/live.md,
 * "State without a parse"), so that a change does not parse the whole
 * iptables-save text in force again.
 *
 * It is a cache, not the state: the pinned `state` map (load/state.h)
 * stays the versioned contract, and the snapshot is used only when it
 * was made from exactly that state (same map id, generation and text
 * lengths) by a program of the same build (same IR layout). Otherwise,
 * or when anything looks wrong, the text is parsed as before.
 *
 * Stored as the pinned map `irsnap` of the slot: a frozen, mmapable
 * BPF array (read with one mmap, no syscall per chunk), so it lives and
 * dies with the slot's other pins.
 */
#ifndef BPFILTER_LOAD_IRSNAP_H
#define BPFILTER_LOAD_IRSNAP_H

#include "bpfilter/ir.h"
#include "load/state.h"

/* Fill rs (fresh from bf_ruleset_new(), sets not loaded) with the
 * families of st from the snapshot in slotdir, as bf_state_parse() of
 * every family would. Returns 0, 1 when there is no usable snapshot (rs
 * untouched: parse the text), or -errno. BPFILTER_IRSNAP=0 disables it;
 * BPFILTER_IRSNAP_CHECK=1 also parses the text and reports a difference
 * as an error (tests). */
int bf_irsnap_load(struct bf_ruleset *rs, const struct bf_state *st,
		   const char *slotdir, const char *slot_name);

/* After the state st (map state_fd) of rs was pinned in slotdir: write
 * the snapshot of the IR that parsing st's text gives (rule lines taken
 * from the text). On any failure the old snapshot is removed, so that
 * nothing stale stays. Returns 0 or -errno (not fatal for the caller). */
int bf_irsnap_store(const struct bf_ruleset *rs, const struct bf_state *st,
		    int state_fd, const char *slotdir, const char *slot_name);

/* A change that kept every rule but a window of one chain (an
 * incremental change, load/seg.h): rules [p, oe) of the old_n rules of
 * rs->chains[ci] became [p, ne); old is the state it was made from,
 * whose snapshot bf_irsnap_load() decoded under the same lock. */
struct bf_irsnap_change {
	const struct bf_state *old;
	size_t ci, p, oe, ne, old_n;
};

/* bf_irsnap_store() that copies the records of the unchanged rules from
 * the snapshot pinned for chg->old (their lines rewritten) and encodes
 * the window's rules only; a full encode when that snapshot is not
 * there or does not fit. chg NULL: bf_irsnap_store(). The bytes are the
 * same as a full encode's (BPFILTER_IRSNAP_CHECK=1 compares them). */
int bf_irsnap_store_change(const struct bf_ruleset *rs,
			   const struct bf_state *st, int state_fd,
			   const char *slotdir, const char *slot_name,
			   const struct bf_irsnap_change *chg);

/* Is the snapshot pinned in slotdir the one of st, whose map has id
 * state_id (a resident process's check, load/resident.h)? Header only:
 * no decode. A ruleset with user BPF code never has one. */
bool bf_irsnap_of(const struct bf_state *st, uint32_t state_id,
		  const char *slotdir);

/* Walking a state's canonical text (also load/resident.c): the line
 * after the one at s (or its end), and the chain of family f named at l
 * (a ":NAME ..." or "-A NAME ..." line's name, up to a space or the end
 * of the line; hint: the chain tried first), -1 if none. */
const char *bf_irsnap_next_line(const char *s);
long bf_irsnap_chain_at(const struct bf_ruleset *rs, enum bf_family f,
			const char *l, long hint);

#endif /* BPFILTER_LOAD_IRSNAP_H */
