// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flat tables of the bit-vector search's byte and port fields
 * (c_lbvs_flat.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgen/c_lbvs_flat.h"

static bool flat_enabled(void)
{
	static int on = -1;

	if (on < 0) {
		const char *s = getenv("BPFILTER_LBVS_FLAT");

		on = !(s && !strcmp(s, "0"));
	}
	return on;
}

bool bf_lbvs_flat_map(struct bf_lbvs *l, int f, struct bf_prog_map *m, int *err)
{
	struct bf_lbvs_fmap *fm = &l->fmap[f];
	uint16_t *v;

	*err = 0;
	if (!flat_enabled() || l->n_parts || !fm->used || fm->lpm || fm->node ||
	    fm->key_add || !fm->values)
		return false;
	if (!(((f == BF_LBVS_PROTO || f == BF_LBVS_FLAGS) && fm->n == 256) ||
	      ((f == BF_LBVS_SPORT || f == BF_LBVS_DPORT) && fm->n == 65536)))
		return false;
	for (uint32_t i = 0; i < fm->n; i++) {
		if (fm->values[i] > UINT16_MAX)
			return false;
	}
	v = malloc(fm->n * sizeof(*v));
	if (!v) {
		*err = -ENOMEM;
		return false;
	}
	for (uint32_t i = 0; i < fm->n; i++)
		v[i] = (uint16_t)fm->values[i];
	*m = (struct bf_prog_map){
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.n = 1,
		.value_size = fm->n * (uint32_t)sizeof(*v),
		.vals = (uint8_t *)v,
	};
	fm->flat = true;
	return true;
}

void bf_lbvs_flat_emit(struct bf_emit *e, uint32_t idx)
{
	/* r1 is a byte or a u16 (the loads that made it): r1 * 2 + 2 is
	 * within the table, which the verifier sees from r1's bounds */
	bf_emit(e, I_ALU64_IMM(BPF_LSH, BF_R1, 1));
	bf_emit_map_value_kind(e, BF_R0, BF_RELOC_MAP, idx, 0);
	bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R0, BF_R1));
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R0, 0));
}

bool bf_lbvs_flat_vec_ok(const struct bf_lbvs *l, uint64_t row_bytes)
{
	return flat_enabled() && !l->n_parts && l->n_classes &&
	       row_bytes * l->n_classes <= BF_LBVS_FLAT_VEC_MAX;
}

void bf_lbvs_flat_vec_emit(struct bf_emit *e, uint32_t idx, uint32_t n,
			   uint32_t stride, bf_label none)
{
	bf_emit_jmp_imm(e, BPF_JGE, BF_R1, (int32_t)n, none);
	bf_emit(e, I_ALU64_IMM(BPF_MUL, BF_R1, (int32_t)stride));
	bf_emit_map_value_kind(e, BF_R0, BF_RELOC_MAP, idx, 0);
	bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R0, BF_R1));
}
