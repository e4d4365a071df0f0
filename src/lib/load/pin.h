/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where pinned state lives (see doc/hooks.md, "Pinning and persistence").
 *
 *   <root>/<netns cookie>/<slot>/{link_*, jmp_*, counters, state, set_*}
 *
 * <root> is /run/bpfilter (or $BPFILTER_PIN_ROOT), a bpffs that must
 * outlive the command, also under `ip netns exec` whose private mount
 * namespace is thrown away when the command exits. <slot> is "nf",
 * "tc-IFNAME" or "xdp-IFNAME".
 */
#ifndef BPFILTER_LOAD_PIN_H
#define BPFILTER_LOAD_PIN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Resolve (mounting bpffs if needed) the pin root into root[PATH_MAX]. */
int bf_pin_root(char *root, size_t size);

/* Find the pin root without mounting anything: -ENOENT if there is no
 * bpffs there (then nothing is pinned). */
int bf_pin_root_find(char *root, size_t size);

/* A map the program prog_fd uses, found by type and name (value_size and
 * max_entries 0: any): a new fd, or -ENOENT / -errno. */
int bf_prog_find_map(int prog_fd, uint32_t type, const char *name,
		     uint32_t value_size, uint32_t max_entries);

/* Cookie of the current network namespace (SO_NETNS_COOKIE). */
int bf_netns_cookie(uint64_t *cookie);

/* Directory of the current network namespace under the pin root, into
 * dir[size]; created if create is set (else -ENOENT when absent). */
int bf_netns_dir(char *dir, size_t size, bool create);

/* Lock the namespace directory (flock on an fd of it): exclusive for
 * writers, shared for readers. Returns the fd to close, or -errno. */
int bf_netns_lock(const char *dir, bool exclusive);

/* While fd (an exclusive bf_netns_lock() of dir) is held by a transaction
 * over several slots, bf_netns_lock(dir) returns a dup of it; dir NULL
 * ends this. */
void bf_netns_lock_held(const char *dir, int fd);

/* Remove the pin at path. A dispatcher's prog array (name "jmp_*") is
 * emptied first, so its link passes every packet from the return on:
 * the kernel releases an unpinned link only after an RCU grace period
 * and a work item, and until then the link still runs. (Detaching the
 * link instead would break bf_multi_rollback(), which pins a removed
 * slot's links back.) */
int bf_pin_unlink(const char *path);

/* Remove a directory of pins and everything in it (one level deep), with
 * bf_pin_unlink(). */
int bf_pin_rmdir(const char *dir);

/* snprintf for paths: -ENAMETOOLONG instead of silent truncation. */
int bf_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* BPFILTER_LOAD_PIN_H */
