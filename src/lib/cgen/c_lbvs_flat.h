/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Byte and port fields of the bit-vector search as flat tables
 * (doc/classification.md "Bit-vector search", doc/live.md "What bounds
 * it"): the class ids of a protocol, TCP flags or port field, as u16, are
 * the value of a one-element array map, read through the map value's
 * address (BPF_PSEUDO_MAP_VALUE) at the packet's value x 2, instead of an
 * array map of one u32 per value looked up with bpf_map_lookup_elem().
 *
 * A port table is then 128 KiB instead of 65,536 elements of 8 bytes
 * (array_map_alloc() rounds a value up to 8): a change of a segment
 * creates, zeroes and fills 768 KiB less per port field pair; and each
 * field read is four instructions without a helper call, which the
 * verifier does not have to patch (do_misc_fixups() rewrites every inlined
 * array lookup, moving the whole program each time).
 *
 * The class vectors likewise (bf_lbvs_flat_vec_ok()): all rows in one
 * map value, a row's address is the value's plus the class id times the
 * row size (the id bounded by the class count first, for the verifier),
 * for the chain's vectors and those of the per-protocol searches: no
 * lookup is left on the fast path but the per-protocol member maps'.
 *
 * Only for a search of its own (not the shared maps of split searches,
 * whose parts read rows with a key offset) whose class ids all fit in 16
 * bits. BPFILTER_LBVS_FLAT=0 keeps the arrays.
 */
#ifndef BPFILTER_CGEN_C_LBVS_FLAT_H
#define BPFILTER_CGEN_C_LBVS_FLAT_H

#include <stdbool.h>
#include <stdint.h>

#include "cgen/cgen.h"
#include "cgen/emit.h"
#include "opt/lbvs.h"

/* If field f of l can be a flat table: its map into *m (vals a new
 * allocation of u16 class ids), fm->flat set, and true. False otherwise
 * (*m untouched), or -ENOMEM through *err. */
bool bf_lbvs_flat_map(struct bf_lbvs *l, int f, struct bf_prog_map *m,
		      int *err);

/* r1 = the class id of the value in r1 (its field's range: a byte or a
 * port), from flat table map idx; uses r0. */
void bf_lbvs_flat_emit(struct bf_emit *e, uint32_t idx);

/* Whether the class vectors of l (n_classes rows of row_bytes) are one
 * map value, read at its address: a search of its own, tables of at most
 * BF_LBVS_FLAT_VEC_MAX bytes. The same switch (BPFILTER_LBVS_FLAT=0:
 * arrays looked up by class id). */
#define BF_LBVS_FLAT_VEC_MAX (64u << 20)
bool bf_lbvs_flat_vec_ok(const struct bf_lbvs *l, uint64_t row_bytes);

/* r0 = the address of row r1 (a class id) of flat vector table map idx
 * (n rows of `stride` bytes); none when r1 >= n (never, for the ids of
 * the search's own maps: the bound is the verifier's). */
void bf_lbvs_flat_vec_emit(struct bf_emit *e, uint32_t idx, uint32_t n,
			   uint32_t stride, bf_label none);

#endif /* BPFILTER_CGEN_C_LBVS_FLAT_H */
