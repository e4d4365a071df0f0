/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The segment program of a one-segment change loaded by a second thread
 * while the first one writes the new state (doc/live.md, "The segment's
 * load beside the state's write").
 */
#ifndef BF_LOAD_SEGASYNC_H
#define BF_LOAD_SEGASYNC_H

#include <pthread.h>
#include <stdbool.h>

struct bf_seg_plan;

struct bf_seg_async {
	struct bf_seg_plan *plan;
	bool verbose;
	bool refuse; /* BPFILTER_TEST_SEG_REFUSE=1 */
	bool started; /* a thread runs bf_seg_plan_load() */
	bool done; /* r is its result */
	int r;
	pthread_t thr;
};

/* Start bf_seg_plan_load(plan, verbose) in a thread of its own. Until
 * bf_seg_async_wait(), the caller must not touch the plan's program nor
 * free the plan; the rest of the plan (its window) and the ruleset may be
 * read. With BPFILTER_SEG_ASYNC=0, or when no thread can be made, the
 * load runs here and now. */
void bf_seg_async_start(struct bf_seg_async *a, struct bf_seg_plan *plan,
			bool verbose);
/* Wait for the load: its result (0, or -errno: the kernel refused the
 * program). Does nothing and returns 0 when nothing was started; may be
 * called again (the same result). */
int bf_seg_async_wait(struct bf_seg_async *a);

#endif
