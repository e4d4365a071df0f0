// SPDX-License-Identifier: GPL-2.0-only
/*
 * The classifier function of the bit-vector search (c_lbvs.h,
 * doc/classification.md "Bit-vector search"), and its maps.
 *
 * Per packet: one lookup per field tested by some member (an LPM trie for
 * addresses, arrays for ports, protocol and flags) gives a class id; one
 * array lookup per class gives its vector. The vectors are ANDed summary
 * word by summary word; each set bit of an ANDed summary word names a data
 * word whose AND may be non-zero; the first non-zero data word holds the
 * first matching member in its lowest set bit. BPF has no "count trailing
 * zeros": the lowest set bit x = v & -v is found as popcount(x - 1), without
 * branches, so that the verifier sees one path per loop iteration.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfilter/log.h"
#include "cgen/c_lbvs.h"
#include "cgen/pctx.h"

static int push_map(struct bf_prog_map **maps, size_t *n_maps,
		    const struct bf_prog_map *m)
{
	struct bf_prog_map *n = realloc(*maps, (*n_maps + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	*maps = n;
	n[(*n_maps)++] = *m;
	return 0;
}

int bf_lbvs_maps(struct bf_lbvs *l, struct bf_prog_map **maps, size_t *n_maps,
		 size_t *next_idx, uint32_t idx[BF_LBVS_FIELD_COUNT + 1])
{
	struct bf_prog_map bv = {
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.n = l->n_classes,
		.value_size = bf_lbvs_value_words(l) * 8,
		.vals = (uint8_t *)l->vectors,
	};

	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		struct bf_lbvs_fmap *fm = &l->fmap[f];
		struct bf_prog_map m = {
			.type = fm->lpm ? BPF_MAP_TYPE_LPM_TRIE :
					  BPF_MAP_TYPE_ARRAY,
			.map_flags = fm->lpm ? BPF_F_NO_PREALLOC : 0,
			.key_size = fm->key_size,
			.n = fm->n,
			.value_size = 4,
			.keys = fm->keys,
			.vals = (uint8_t *)fm->values,
		};

		if (!fm->used)
			continue;
		if (push_map(maps, n_maps, &m))
			return -ENOMEM;
		fm->keys = NULL;
		fm->values = NULL;
		idx[f] = (uint32_t)(*next_idx)++;
	}
	if (push_map(maps, n_maps, &bv))
		return -ENOMEM;
	l->vectors = NULL;
	idx[BF_LBVS_FIELD_COUNT] = (uint32_t)(*next_idx)++;
	return 0;
}

/* Fill an array map created BPF_F_MMAPABLE through one mapping of its
 * values (element i at i * round_up(value_size, 8): array_map_alloc()):
 * a batch update copies and checks every element on its own, and the
 * port maps have 65,536 of them, which made filling the maps cost more
 * than verifying the program. 0, or -errno (then fill it by updates). */
static int fill_mmap(int fd, const struct bf_prog_map *m)
{
	size_t stride = ((size_t)m->value_size + 7) / 8 * 8;
	size_t len = stride * m->n;
	uint8_t *v;

	if (!len)
		return 0;
	v = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED)
		return -errno;
	for (uint32_t i = 0; i < m->n; i++)
		memcpy(v + i * stride, m->vals + (size_t)i * m->value_size,
		       m->value_size);
	munmap(v, len);
	return 0;
}

int bf_lbvs_map_create(const struct bf_prog_map *m)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = m->map_flags);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	uint32_t *idx = NULL, done = 0;
	bool mm = m->type == BPF_MAP_TYPE_ARRAY && !m->keys;
	int fd, r = 0;

	if (mm)
		copts.map_flags |= BPF_F_MMAPABLE;
	fd = bpf_map_create(m->type, "bf_lbvs", m->key_size, m->value_size,
			    m->n ? m->n : 1, &copts);
	if (fd < 0 && mm) {
		mm = false;
		copts.map_flags = m->map_flags;
		fd = bpf_map_create(m->type, "bf_lbvs", m->key_size,
				    m->value_size, m->n ? m->n : 1, &copts);
	}
	if (fd < 0) {
		r = -errno;
		bf_err("cannot create a map of %u classes of general rules: %s",
		       m->n, strerror(-r));
		return r;
	}
	if (mm && !fill_mmap(fd, m))
		return fd;
	if (!m->keys) {
		idx = malloc((m->n ? m->n : 1) * sizeof(*idx));
		if (!idx) {
			close(fd);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < m->n; i++)
			idx[i] = i;
	}
	while (done < m->n) {
		uint32_t count = m->n - done;
		const void *k =
			m->keys ? (const void *)(m->keys +
						 (size_t)done * m->key_size) :
				  (const void *)(idx + done);

		r = bpf_map_update_batch(fd, k,
					 m->vals + (size_t)done * m->value_size,
					 &count, &bopts);
		if (r && errno != EINTR && errno != EAGAIN)
			break;
		done += count;
		r = 0;
	}
	/* map types without batch updates: one by one */
	for (; done < m->n; done++) {
		const void *k =
			m->keys ? (const void *)(m->keys +
						 (size_t)done * m->key_size) :
				  (const void *)(idx + done);

		if (bpf_map_update_elem(fd, k,
					m->vals + (size_t)done * m->value_size,
					BPF_ANY)) {
			r = -errno;
			bf_err("cannot fill a map of general rules: %s",
			       strerror(-r));
			free(idx);
			close(fd);
			return r;
		}
	}
	free(idx);
	return fd;
}

/* ---- code ---- */

enum {
	R0 = 0,
	R1,
	R2,
	R3,
	R4,
	R5,
	R6,
	R7,
	R8,
	R9,
	RFP,
};

static void popcount(struct bf_emit *e)
{
	/* r1 = popcount(r1), with r2 and r3 */
	bf_emit(e, I_MOV64_REG(R2, R1));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R2, 1));
	bf_emit_ld_imm64(e, R3, 0x5555555555555555ull);
	bf_emit(e, I_ALU64_REG(BPF_AND, R2, R3));
	bf_emit(e, I_ALU64_REG(BPF_SUB, R1, R2));
	bf_emit_ld_imm64(e, R3, 0x3333333333333333ull);
	bf_emit(e, I_MOV64_REG(R2, R1));
	bf_emit(e, I_ALU64_REG(BPF_AND, R2, R3));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R1, 2));
	bf_emit(e, I_ALU64_REG(BPF_AND, R1, R3));
	bf_emit(e, I_ALU64_REG(BPF_ADD, R1, R2));
	bf_emit(e, I_MOV64_REG(R2, R1));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R2, 4));
	bf_emit(e, I_ALU64_REG(BPF_ADD, R1, R2));
	bf_emit_ld_imm64(e, R3, 0x0f0f0f0f0f0f0f0full);
	bf_emit(e, I_ALU64_REG(BPF_AND, R1, R3));
	bf_emit_ld_imm64(e, R3, 0x0101010101010101ull);
	bf_emit(e, I_ALU64_REG(BPF_MUL, R1, R3));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R1, 56));
}

/* r1 = index of the lowest set bit of r1 (r1 != 0), in [0, 63] */
static void lowest_bit(struct bf_emit *e)
{
	bf_emit(e, I_MOV64_IMM(R2, 0));
	bf_emit(e, I_ALU64_REG(BPF_SUB, R2, R1));
	bf_emit(e, I_ALU64_REG(BPF_AND, R1, R2));
	bf_emit(e, I_ALU64_IMM(BPF_SUB, R1, 1));
	popcount(e);
	bf_emit(e, I_ALU64_IMM(BPF_AND, R1, 63));
}

static void ret32(struct bf_emit *e, uint32_t v)
{
	bf_emit(e, I_MOV32_IMM(R0, (int32_t)v));
	bf_emit(e, I_EXIT());
}

/* r0 = bpf_map_lookup_elem(map idx, pctx + key); none if absent */
static void lookup(struct bf_emit *e, uint32_t idx, int16_t key, bf_label none)
{
	bf_emit_map_fd(e, R1, idx);
	bf_emit(e, I_MOV64_REG(R2, R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, R2, key));
	bf_emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(e, BPF_JEQ, R0, 0, none);
}

void bf_lbvs_emit_fast(struct bf_emit *e, const struct bf_lbvs *l,
		       const uint32_t idx[BF_LBVS_FIELD_COUNT + 1])
{
	static const int16_t addr_off[2] = { PCTX_OFF(saddr), PCTX_OFF(daddr) };
	const int16_t key = PCTX_OFF(scratch);
	bf_label slow = bf_label_new(e), none = bf_label_new(e);
	int alen = l->family == BF_FAMILY_INET6 ? 16 : 4;
	int16_t slots[BF_LBVS_FIELD_COUNT];
	int n_slots = 0;
	uint32_t S = l->summary, W = (uint32_t)((l->n_members + 63) / 64);
	bool any_need = false;

	/* not plain: the members' own code decides (hotdrops included) */
	if (l->family == BF_FAMILY_INET6) {
		bf_emit(e, I_LDX(BPF_B, R1, R9, PCTX_OFF(l6err)));
		bf_emit_jmp32_imm(e, BPF_JNE, R1, 0, slow);
	}
	for (int p = 0; p < 256; p++)
		any_need |= l->need[p] != 0;
	if (any_need) {
		bf_emit(e, I_LDX(BPF_B, R2, R9, PCTX_OFF(l4proto)));
		bf_emit(e, I_LDX(BPF_W, R3, R9, PCTX_OFF(l4gate)));
		for (int p = 0; p < 256; p++) {
			bf_label other;

			if (!l->need[p])
				continue;
			other = bf_label_new(e);
			bf_emit_jmp32_imm(e, BPF_JNE, R2, p, other);
			bf_emit_jmp32_imm(e, BPF_JLT, R3, l->need[p], slow);
			bf_label_bind(e, other);
		}
	}

	/* one class vector per field: the arrays first (their lookups are
	 * inlined), the LPM tries last; with one summary word, a zero AND
	 * of the summaries so far ends the search before the next lookup
	 * (r6 keeps it across the helper calls) */
	for (int k = 0; k < BF_LBVS_FIELD_COUNT; k++) {
		static const int order[BF_LBVS_FIELD_COUNT] = {
			BF_LBVS_PROTO, BF_LBVS_FLAGS, BF_LBVS_DPORT,
			BF_LBVS_SPORT, BF_LBVS_DADDR, BF_LBVS_SADDR,
		};
		int f = order[k];
		int16_t slot;

		if (!l->fmap[f].used)
			continue;
		if (f == BF_LBVS_SADDR || f == BF_LBVS_DADDR) {
			bf_emit(e, I_ST(BPF_W, R9, key, alen * 8));
			for (int o = 0; o < alen; o += 4) {
				bf_emit(e, I_LDX(BPF_W, R1, R9,
						 (int16_t)(addr_off[f] + o)));
				bf_emit(e, I_STX(BPF_W, R9, R1,
						 (int16_t)(key + 4 + o)));
			}
		} else {
			if (f == BF_LBVS_PROTO)
				bf_emit(e, I_LDX(BPF_B, R1, R9,
						 PCTX_OFF(l4proto)));
			else if (f == BF_LBVS_FLAGS)
				bf_emit(e, I_LDX(BPF_B, R1, R9,
						 PCTX_OFF(tcpflags)));
			else
				bf_emit(e, I_LDX(BPF_H, R1, R9,
						 f == BF_LBVS_SPORT ?
							 PCTX_OFF(sport) :
							 PCTX_OFF(dport)));
			bf_emit(e, I_STX(BPF_W, R9, R1, key));
		}
		lookup(e, idx[f], key, none);
		bf_emit(e, I_LDX(BPF_W, R1, R0, 0));
		bf_emit(e, I_STX(BPF_W, R9, R1, key));
		lookup(e, idx[BF_LBVS_FIELD_COUNT], key, none);
		slot = (int16_t)(-8 * (n_slots + 1));
		bf_emit(e, I_STX(BPF_DW, RFP, R0, slot));
		if (S == 1) {
			bf_emit(e, I_LDX(BPF_DW, n_slots ? R1 : R6, R0, 0));
			if (n_slots)
				bf_emit(e, I_ALU64_REG(BPF_AND, R6, R1));
			bf_emit_jmp_imm(e, BPF_JEQ, R6, 0, none);
		}
		slots[n_slots++] = slot;
	}
	if (!n_slots) {
		/* no field tested: every member matches, the first wins */
		ret32(e, 0);
		goto tail;
	}

	/* 64 data words per summary word: skipped when the AND of the
	 * summary words is zero, else ANDed word by word, the vectors'
	 * pointers in r1..r6 (at most six fields), r7 counting words */
	for (uint32_t s = 0; s < S; s++) {
		bf_label loop = bf_label_new(e), next = bf_label_new(e);
		bf_label found = bf_label_new(e);
		uint32_t nw = W - 64 * s < 64 ? W - 64 * s : 64;

		bf_emit(e, I_LDX(BPF_DW, R0, RFP, slots[0]));
		bf_emit(e, I_LDX(BPF_DW, R0, R0, (int16_t)(8 * s)));
		for (int i = 1; i < n_slots; i++) {
			bf_emit(e, I_LDX(BPF_DW, R8, RFP, slots[i]));
			bf_emit(e, I_LDX(BPF_DW, R8, R8, (int16_t)(8 * s)));
			bf_emit(e, I_ALU64_REG(BPF_AND, R0, R8));
		}
		bf_emit_jmp_imm(e, BPF_JEQ, R0, 0, next);
		for (int i = 0; i < n_slots; i++) {
			bf_emit(e, I_LDX(BPF_DW, (uint8_t)(R1 + i), RFP,
					 slots[i]));
			bf_emit(e, I_ALU64_IMM(BPF_ADD, (uint8_t)(R1 + i),
					       (int32_t)(8 * (S + 64 * s))));
		}
		bf_emit(e, I_MOV64_IMM(R7, 0));
		bf_label_bind(e, loop);
		bf_emit(e, I_LDX(BPF_DW, R0, R1, 0));
		for (int i = 1; i < n_slots; i++) {
			bf_emit(e, I_LDX(BPF_DW, R8, (uint8_t)(R1 + i), 0));
			bf_emit(e, I_ALU64_REG(BPF_AND, R0, R8));
		}
		bf_emit_jmp_imm(e, BPF_JNE, R0, 0, found);
		for (int i = 0; i < n_slots; i++)
			bf_emit(e, I_ALU64_IMM(BPF_ADD, (uint8_t)(R1 + i), 8));
		bf_emit(e, I_ALU64_IMM(BPF_ADD, R7, 1));
		bf_label_ref(e, loop);
		bf_emit_jmp_imm(e, BPF_JLT, R7, (int32_t)nw, loop);
		bf_emit_ja(e, next);
		/* member 64 * word + lowest set bit */
		bf_label_bind(e, found);
		bf_emit(e, I_MOV64_REG(R8, R7));
		bf_emit(e, I_ALU64_IMM(BPF_ADD, R8, (int32_t)(64 * s)));
		bf_emit(e, I_MOV64_REG(R1, R0));
		lowest_bit(e);
		bf_emit(e, I_ALU64_IMM(BPF_LSH, R8, 6));
		bf_emit(e, I_ALU64_REG(BPF_ADD, R8, R1));
		bf_emit(e, I_ALU64_IMM(BPF_LSH, R8, 1));
		bf_emit(e, I_MOV64_REG(R0, R8));
		bf_emit(e, I_EXIT());
		bf_label_bind(e, next);
	}
tail:
	bf_label_bind(e, none);
	ret32(e, BF_LBVS_NONE);
	bf_label_bind(e, slow);
	ret32(e, BF_LBVS_SLOW);
}
