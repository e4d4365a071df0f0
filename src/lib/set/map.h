/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sets as BPF maps (doc/sets.md).
 *
 * A set without an interval dimension is a BPF_MAP_TYPE_HASH whose key is
 * the element key (bf_set.key_size bytes, dimensions at bf_set_dim.off).
 * A set with one is a BPF_MAP_TYPE_LPM_TRIE whose key is a u32 prefix
 * length (host order) followed by the exact dimensions in their order and
 * the interval dimension last; the prefix length counts every bit of the
 * exact dimensions plus the prefix of the interval one. Ranges that are
 * not prefixes become several entries.
 *
 * Every value is a struct bf_set_val. Programs only read flags and
 * expires_ns and add to the counters (atomically); `bpfilter set` writes
 * whole entries with one map update each (atomic per element).
 */
#ifndef BPFILTER_SET_MAP_H
#define BPFILTER_SET_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfilter/set.h"

struct bf_set_val {
	uint32_t flags; /* BF_SET_VAL_* */
	uint32_t data; /* bf_set_elem.data (nft verdict maps with chains) */
	/* CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns()) at which the element
	 * expires; 0: never */
	uint64_t expires_ns;
	uint64_t packets, bytes;
};

#define BF_SET_VAL_NOMATCH 1u
#define BF_SET_VAL_OFF_FLAGS 0
#define BF_SET_VAL_OFF_DATA 4
#define BF_SET_VAL_OFF_EXPIRES 8
#define BF_SET_VAL_OFF_PACKETS 16
#define BF_SET_VAL_OFF_BYTES 24

/* Bytes of the map key (with the LPM prefix length). */
uint32_t bf_set_map_key_size(const struct bf_set *set);
/* Offset of dimension `dim` in the map key. */
uint32_t bf_set_map_dim_off(const struct bf_set *set, int dim);
static inline bool bf_set_is_lpm(const struct bf_set *set)
{
	return set->interval_dim >= 0;
}

/* An empty map for the set; fd or -errno. */
int bf_set_map_create(const struct bf_set *set);
/* Put set->elems into the map. */
int bf_set_map_fill(int fd, const struct bf_set *set);
/* Add (replace) or delete one element: one map update per BPF entry
 * (one, unless a range that is no prefix is cut). delete of an absent
 * element: -ENOENT. */
int bf_set_map_add(int fd, const struct bf_set *set,
		   const struct bf_set_elem *e);
int bf_set_map_del(int fd, const struct bf_set *set,
		   const struct bf_set_elem *e);
/* Is e in the set, as a lookup of a packet with e's fields answers
 * (nomatch and expiry included)? 1 yes, 0 no, -errno. */
int bf_set_map_test(int fd, const struct bf_set *set,
		    const struct bf_set_elem *e);
/* Remove every element. */
int bf_set_map_flush(int fd);
/* Read the map into set->elems (replacing them); expired elements are
 * left out, timeouts are the seconds left. Sorted by key. */
int bf_set_map_read(int fd, struct bf_set *set);

/* Pin file name of a set in a slot directory ("set_" + the name, with
 * characters bpffs refuses escaped). */
int bf_set_pin_name(const char *name, char *buf, size_t size);

/* Now on the clock of bf_set_val.expires_ns. */
uint64_t bf_set_now_ns(void);

#endif /* BPFILTER_SET_MAP_H */
