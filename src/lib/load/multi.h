/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A transaction over several slots (`bpfilter apply FILE.nft` whose
 * ruleset spans nf priorities and netdev devices, doc/front-nft.md,
 * "Applying several slots"): one exclusive namespace lock for the whole
 * transaction, a snapshot of every slot it may change taken before any
 * change (a reference to each pinned object and the programs in each
 * prog array), and a rollback that puts every slot back exactly as it
 * was (same objects, so same generation, programs and save output).
 */
#ifndef BPFILTER_LOAD_MULTI_H
#define BPFILTER_LOAD_MULTI_H

#include <stddef.h>

#include "bpfilter/bpfilter.h"

struct bf_multi;

/* Lock the namespace (exclusive) for the transaction; bf_apply() and
 * bf_flush() called meanwhile in this process share the lock. */
int bf_multi_begin(struct bf_multi **out);

/* Snapshot one slot (nf: ifname is a priority token such as "p10" or
 * NULL for priority 0) before the transaction changes it. Call it for
 * every slot first: it changes nothing. */
int bf_multi_save(struct bf_multi *m, enum bf_slot_kind kind,
		  const char *ifname);

/* Remove a saved slot: its pins go, and its prog arrays are emptied so
 * that its links (still referenced by the snapshot until the end) judge
 * nothing any more. */
int bf_multi_remove(struct bf_multi *m, enum bf_slot_kind kind,
		    const char *ifname);

/* Put every saved slot back as it was (newest change first); slots that
 * did not exist are removed. Returns the first error, going on. */
int bf_multi_rollback(struct bf_multi *m);

/* Roll back after seconds unless one of the slots' `bpfilter confirm`
 * files is removed: a detached helper process keeps the snapshot. */
int bf_multi_confirm(struct bf_multi *m, unsigned int seconds);

/* Unlock and drop the snapshot (the transaction is committed unless
 * rolled back). */
void bf_multi_end(struct bf_multi **m);

#endif /* BPFILTER_LOAD_MULTI_H */
