/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPv4 address fields of the bit-vector search without an LPM trie
 * (doc/classification.md "Address fields: a search over intervals").
 *
 * The classes of an address field are given by the longest member prefix
 * that contains the address (opt/lbvs.c builds them as LPM trie entries,
 * prefix -> class, 0/0 included). Those prefixes cut the address space
 * into at most 2 n + 1 intervals on each of which the class is constant.
 * Their lower bounds, sorted, padded to a power of two P, and their
 * classes are the value of a one-element array map (bounds at [0, 4 P),
 * classes at [4 P, 8 P), host byte order); the classifier finds the last
 * bound <= the address with log2(P) steps of branch-free code (no
 * branches: the verifier walks one path), about nine instructions each,
 * where an LPM trie lookup walks a trie of up to 32 levels in a helper.
 */
#ifndef BPFILTER_CGEN_C_LBVS_IV_H
#define BPFILTER_CGEN_C_LBVS_IV_H

#include <stdbool.h>
#include <stdint.h>

#include "cgen/cgen.h"
#include "cgen/emit.h"
#include "opt/lbvs.h"

/* Whether field map fm (after bf_lbvs_build()) is searched as intervals
 * instead of an LPM trie: IPv4 addresses, at most BF_IV_MAX_PREFIXES
 * prefixes, and the environment variable BPFILTER_LBVS_LPM unset or "0"
 * (set: LPM tries, for comparisons). Depends only on fm->lpm,
 * fm->key_size and fm->n, which bf_lbvs_maps() keeps. */
bool bf_iv_used(const struct bf_lbvs_fmap *fm);

#define BF_IV_MAX_PREFIXES 131071u

/* P for n prefixes: the smallest power of two >= 2 n + 1. */
uint32_t bf_iv_size(uint32_t n);

/* The map of fm's intervals (fm->keys / fm->values: LPM entries, 0/0
 * among them), into *m; records the layout in fm->iv_* for
 * bf_iv_emit(). Returns 0 or -ENOMEM.
 * With buckets (64 bounds or more, when they take at least two steps off
 * the search, and BPFILTER_LBVS_IV_BUCKETS is not "0"): the addresses
 * from the first bound above 0 (lo) to the last bound are cut into
 * buckets of 2^shift addresses (at most 16 x the bounds, rounded up to a
 * power of two, and 65,536); a
 * table gives the last bound <= each bucket's first address, from which
 * a search of `steps` levels (the most bounds in one bucket) finds the
 * address's interval: 1 + steps dependent loads instead of log2(P).
 * Shape c of bench/cls_cost at 10,000 rules: source addresses 14 -> 1 +
 * 6, destinations (all in one /15) 13 -> 1 + 2. Value: bounds (padded
 * with ~0 by 2^steps), classes (padded with the last), the table. */
int bf_iv_map(struct bf_lbvs_fmap *fm, struct bf_prog_map *m);

/* Buckets of at most 2^BF_IV_SHORT - 1 bounds after their first (when
 * others need more levels) have bit 31 of their table entry set and are
 * searched with BF_IV_SHORT levels: an address away from the dense
 * parts of the address space (shape c's probes, from 192.0.2.1, against
 * sources mostly in 10/8) takes the table load and 2 levels. */
#define BF_IV_SHORT 2u

/* r1 = the class of the address at pctx offset addr_off (r9 = packet
 * context), with map idx (its value addressed directly); uses r0,
 * r2 .. r4 (key: unused since the map's value is no longer looked up,
 * kept for the callers); may jump to none. */
void bf_iv_emit(struct bf_emit *e, const struct bf_lbvs_fmap *fm, uint32_t idx,
		int16_t addr_off, int16_t key, bf_label none);

#endif /* BPFILTER_CGEN_C_LBVS_IV_H */
