/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `apply --confirm` pieces shared by one slot (persist.c) and several
 * slots (multi.c): the confirm files, the deadline, and the detached
 * rollback helper. Internal to src/lib/load.
 */
#ifndef BPFILTER_LOAD_CONFIRM_H
#define BPFILTER_LOAD_CONFIRM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "bpfilter/bpfilter.h"

#define BF_CONFIRM_DIR "/run/bpfilter-confirm"

/* The `bpfilter confirm` file of a slot in this namespace: one per kind
 * and device; every nf priority shares "nf". */
int bf_confirm_path(char *buf, size_t size, enum bf_slot_kind kind,
		    const char *ifname);

/* Whether path holds pid (as the helper writes it). */
bool bf_confirm_holds(const char *path, pid_t pid);

/* end = now + seconds (CLOCK_MONOTONIC); bf_confirm_expired(end): the
 * deadline is reached. */
void bf_confirm_deadline(struct timespec *end, unsigned int seconds);
bool bf_confirm_expired(const struct timespec *end);

/* Create BF_CONFIRM_DIR and start the detached helper (double fork: it
 * is nobody's child and outlives the caller; a new session, stdio on
 * /dev/null). The helper runs child_init(data) first if not NULL, writes
 * its pid into each of the n files, then run(data), which must not
 * return. Returns 0 once the helper wrote the files, -ECHILD if it did
 * not start, or -errno. */
int bf_confirm_spawn(char (*files)[PATH_MAX], size_t n,
		     void (*child_init)(void *data), void (*run)(void *data),
		     void *data);

#endif /* BPFILTER_LOAD_CONFIRM_H */
