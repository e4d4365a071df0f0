/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ruleset a resident process (`bpfilter daemon`) keeps between two
 * bf_edit() calls, so that a change does not decode the IR snapshot of
 * the state in force again (doc/live.md, "Resident daemon").
 *
 * A cache, never the truth: the pinned state stays the source of every
 * change. The kept ruleset is used only when the state read under the
 * namespace lock is exactly the one it was put in force as (same slot
 * directory, state map id and generation, and the IR snapshot of that
 * state pinned next to it); anything else decodes the state as before.
 * Only a process that called bf_resident_enable() keeps anything.
 */
#ifndef BPFILTER_LOAD_RESIDENT_H
#define BPFILTER_LOAD_RESIDENT_H

#include <stdbool.h>

#include "bpfilter/ir.h"
#include "load/state.h"

/* Keep rulesets from now on (on: true) or drop the one kept and stop. */
void bf_resident_enable(bool on);
bool bf_resident_enabled(void);
/* Drop the ruleset kept, if any. */
void bf_resident_drop(void);

/* bf_edit(), after reading st (the state of slot_name in slotdir) under
 * the lock: when the kept ruleset is st's, free *rs (fresh from
 * bf_ruleset_new(), nothing read into it) and hand over the kept one in
 * the form bf_irsnap_load() gives (lines of st's text, sets read from
 * st, no rule counters, not numbered). Returns 0 (*rs replaced), 1 (not
 * kept, or not st's: read the state as before) or -errno.
 * BPFILTER_RESIDENT_CHECK=1 also decodes st and fails with -EPROTO when
 * the two differ (tests). */
int bf_resident_take(struct bf_ruleset **rs, const struct bf_state *st,
		     const char *slotdir, const char *slot_name);

/* bf_edit() at its end: r its result, ran whether its callback ran (and
 * returned), read_only its option, state_fd the state map it put in
 * force (-1: none) as generation old_gen + 1. Keeps *rs (set to NULL)
 * as the ruleset of that new state, or, when a read-only edit's callback
 * changed nothing, as the one of the state take() saw; else drops what
 * is kept. Nothing when not enabled. */
void bf_resident_end(struct bf_ruleset **rs, int r, bool ran, bool read_only,
		     const char *slotdir, int state_fd, uint64_t old_gen);

/* bf_edit(), instead of reading the state pinned at path (slotdir's
 * "state"): when the ruleset kept is in take()'s form already (see
 * bf_resident_written()) and that state is the one it was written as
 * (map id and header, one chunk read), moves the text kept with it into
 * *st (owned by the caller). Returns 0, 1 (read the state as before) or
 * -errno. BPFILTER_RESIDENT_CHECK=1 also reads the whole state and fails
 * with -EPROTO when its text differs from the one kept. */
int bf_resident_read(const char *slotdir, const char *path,
		     struct bf_state *st);

/* install(), once the change is in force and its IR snapshot stored:
 * rs was written as st (in the map state_fd). Puts rs in the form take()
 * gives for st now (after a daemon answered its caller, not at the next
 * change) and takes st's text and sets (st's pointers set to NULL), which
 * bf_resident_end() keeps with rs when it keeps rs as that state's.
 * Nothing when not enabled. */
void bf_resident_written(struct bf_ruleset *rs, struct bf_state *st,
			 int state_fd, const char *slot_name);

/* A daemon's hook, cb(data) (NULL: none): install() calls
 * bf_resident_in_force() once a change is in force (state pinned) and
 * its result can no longer change, before the bookkeeping that follows
 * (IR snapshot, messages, late counts), so that the daemon can answer
 * its caller at once. */
void bf_resident_on_in_force(void (*cb)(void *data), void *data);
void bf_resident_in_force(void);

#endif /* BPFILTER_LOAD_RESIDENT_H */
