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

#endif /* BPFILTER_CGEN_C_LBVS_FLAT_H */
