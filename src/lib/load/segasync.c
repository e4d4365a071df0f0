// SPDX-License-Identifier: GPL-2.0-only
/*
 * The segment's load in a thread: see load/segasync.h.
 *
 * What the thread does is bf_seg_plan_load(): zero the new rules' counter
 * slots, create the segment's maps, fill them, BPF_PROG_LOAD (the
 * verifier, most of it kernel time). It reads the plan's program, its
 * fresh slots and counters map and writes the program's fd and the map
 * fds into its instructions; the caller meanwhile reads the plan's
 * window and the ruleset (the state's text, the state map) and writes
 * the plan's seginfo map (bf_seg_plan_seginfo()), which the thread does
 * not touch. The library's log callback may be called
 * from the thread (stdio locks its streams).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "load/seg.h"
#include "load/segasync.h"

/* BPFILTER_TEST_SEG_REFUSE=1 (tests): the kernel "refuses" the segment
 * program, which sends the change down the full rebuild. */
static int load(struct bf_seg_async *a)
{
	if (a->refuse) {
		bf_dbg("segment program not loaded: refused for the test "
		       "(BPFILTER_TEST_SEG_REFUSE)");
		return -ENOTSUP;
	}
	return bf_seg_plan_load(a->plan, a->verbose);
}

static void *run(void *data)
{
	struct bf_seg_async *a = data;

	a->r = load(a);
	return NULL;
}

void bf_seg_async_start(struct bf_seg_async *a, struct bf_seg_plan *plan,
			bool verbose)
{
	const char *v = getenv("BPFILTER_SEG_ASYNC");
	const char *refuse = getenv("BPFILTER_TEST_SEG_REFUSE");

	/* (the environment is read here, not in the thread) */
	a->refuse = refuse && !strcmp(refuse, "1");
	a->plan = plan;
	a->verbose = verbose;
	a->started = false;
	a->done = false;
	if (!(v && !strcmp(v, "0")) && !pthread_create(&a->thr, NULL, run, a)) {
		a->started = true;
		return;
	}
	a->r = load(a);
	a->done = true;
}

int bf_seg_async_wait(struct bf_seg_async *a)
{
	if (a->started) {
		pthread_join(a->thr, NULL);
		a->started = false;
		a->done = true;
	}
	return a->done ? a->r : 0;
}
