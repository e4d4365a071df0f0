// SPDX-License-Identifier: GPL-2.0-only
/*
 * IPv4 address fields of the bit-vector search as a search over intervals
 * (c_lbvs_iv.h).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgen/c_lbvs_iv.h"

bool bf_iv_used(const struct bf_lbvs_fmap *fm)
{
	static int lpm = -1;

	if (lpm < 0) {
		const char *s = getenv("BPFILTER_LBVS_LPM");

		lpm = s && *s && strcmp(s, "0");
	}
	return !lpm && fm->used && fm->lpm && fm->key_size == 8 && fm->n &&
	       fm->n <= BF_IV_MAX_PREFIXES;
}

uint32_t bf_iv_size(uint32_t n)
{
	uint32_t p = 1;

	while (p < 2 * n + 1)
		p <<= 1;
	return p;
}

struct pfx {
	uint32_t start, end, cls;
};

static int pfx_cmp(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* the same start: the longer prefix (smaller end) is inside */
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return 0;
}

struct ivs {
	uint32_t *at, *cls;
	uint32_t n;
};

/* From address `at` on, class `cls` (a later call at the same address
 * replaces it: the prefix that starts there is the longer one). */
static void iv_put(struct ivs *v, uint32_t at, uint32_t cls)
{
	if (v->n && v->at[v->n - 1] == at) {
		v->cls[v->n - 1] = cls;
		return;
	}
	v->at[v->n] = at;
	v->cls[v->n++] = cls;
}

static bool buckets_on(void)
{
	const char *s = getenv("BPFILTER_LBVS_IV_BUCKETS");

	return !(s && !strcmp(s, "0"));
}

static uint32_t log2_up(uint64_t x)
{
	uint32_t k = 0;

	while ((1ull << k) < x)
		k++;
	return k;
}

/* The bucketed layout of the n sorted bounds at[] (at[0] = 0) with
 * classes cls[], into *out (malloc'ed, *words u32) and fm->iv_*; false
 * (nothing set) when it would not save two steps of the plain search. */
static bool bucketize(struct bf_lbvs_fmap *fm, const struct ivs *v, uint32_t P,
		      uint32_t **out, uint32_t *words)
{
	uint32_t n = v->n, lo, span, nbmax, shift = 0, nb, steps, rows;
	uint32_t most = 0, *o, *tab;

	if (!buckets_on() || n < 64)
		return false;
	lo = v->at[1];
	span = v->at[n - 1] - lo;
	nbmax = 1u << log2_up(16ull * n);
	if (nbmax < 256)
		nbmax = 256;
	if (nbmax > 65536)
		nbmax = 65536;
	while ((uint64_t)(span >> shift) >= nbmax)
		shift++;
	nb = (span >> shift) + 1;
	tab = malloc((size_t)nb * sizeof(*tab));
	if (!tab)
		return false;
	/* tab[j]: the last bound <= the bucket's first address; its bounds
	 * up to the next bucket's first address (the last bucket: all) */
	for (uint32_t j = 0, i = 0; j < nb; j++) {
		uint64_t first = lo + ((uint64_t)j << shift);
		uint64_t next = first + (1ull << shift);
		uint32_t k;

		while (i + 1 < n && v->at[i + 1] <= first)
			i++;
		tab[j] = i;
		for (k = i; k + 1 < n && (j + 1 == nb || v->at[k + 1] < next);
		     k++)
			;
		if (k - i > most)
			most = k - i;
		/* a bucket of few bounds: marked for the short search */
		if (k - i < (1u << BF_IV_SHORT))
			tab[j] |= 1u << 31;
	}
	steps = log2_up((uint64_t)most + 1);
	if (steps <= BF_IV_SHORT) {
		/* one search for all: no marks */
		for (uint32_t j = 0; j < nb; j++)
			tab[j] &= ~(1u << 31);
	}
	if (steps + 2 >= log2_up(P)) {
		free(tab);
		return false;
	}
	rows = n + (1u << steps);
	/* (+ 1: the value's size is rounded up to 8 bytes) */
	o = calloc((size_t)2 * rows + nb + 1, sizeof(*o));
	if (!o) {
		free(tab);
		return false;
	}
	for (uint32_t i = 0; i < rows; i++) {
		o[i] = i < n ? v->at[i] : ~0u;
		o[rows + i] = v->cls[i < n ? i : n - 1];
	}
	memcpy(o + 2 * rows, tab, (size_t)nb * sizeof(*tab));
	free(tab);
	fm->iv_steps = steps ? steps : 1;
	fm->iv_n = n;
	fm->iv_rows = rows;
	fm->iv_lo = lo;
	fm->iv_shift = shift;
	fm->iv_nb = nb;
	*out = o;
	*words = 2 * rows + nb;
	return true;
}

int bf_iv_map(struct bf_lbvs_fmap *fm, struct bf_prog_map *m)
{
	uint32_t n = fm->n, P = bf_iv_size(n), *out;
	struct pfx *ps = malloc(n * sizeof(*ps));
	struct pfx *stack = malloc(n * sizeof(*stack));
	struct ivs v = { 0 };
	size_t sp = 0;
	int r = -ENOMEM;

	v.at = malloc((2 * (size_t)n + 1) * sizeof(*v.at));
	v.cls = malloc((2 * (size_t)n + 1) * sizeof(*v.cls));
	out = malloc((size_t)P * 8);
	if (!ps || !stack || !v.at || !v.cls || !out)
		goto fail;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *k = fm->keys + (size_t)i * fm->key_size;
		uint32_t plen, a;

		memcpy(&plen, k, 4);
		a = (uint32_t)k[4] << 24 | (uint32_t)k[5] << 16 |
		    (uint32_t)k[6] << 8 | k[7];
		ps[i].start = plen ? a & ~0u << (32 - plen) : 0;
		ps[i].end = ps[i].start | (plen ? ~(~0u << (32 - plen)) : ~0u);
		ps[i].cls = fm->values[i];
	}
	qsort(ps, n, sizeof(*ps), pfx_cmp);
	/* opt/lbvs.c always has 0/0: every address has a class */
	r = -EINVAL;
	if (ps[0].start || ps[0].end != ~0u)
		goto fail;
	/* prefixes are nested or disjoint: a sweep with the enclosing ones
	 * on a stack; where one ends, its parent's class resumes */
	for (uint32_t i = 0; i <= n; i++) {
		while (sp && (i == n || stack[sp - 1].end < ps[i].start)) {
			uint32_t end = stack[--sp].end;

			if (sp && end != ~0u)
				iv_put(&v, end + 1, stack[sp - 1].cls);
		}
		if (i == n)
			break;
		iv_put(&v, ps[i].start, ps[i].cls);
		stack[sp++] = ps[i];
	}
	fm->iv_steps = 0;
	{
		uint32_t *b, words;

		if (bucketize(fm, &v, P, &b, &words)) {
			free(out);
			out = b;
			*m = (struct bf_prog_map){
				.type = BPF_MAP_TYPE_ARRAY,
				.key_size = 4,
				.n = 1,
				.value_size = (words * 4 + 7) & ~7u,
				.vals = (uint8_t *)out,
			};
			out = NULL;
			r = 0;
			goto fail;
		}
	}
	/* bounds, then classes; the padding repeats the last interval */
	for (uint32_t i = 0; i < P; i++) {
		out[i] = i < v.n ? v.at[i] : ~0u;
		out[P + i] = v.cls[i < v.n ? i : v.n - 1];
	}
	*m = (struct bf_prog_map){
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.n = 1,
		.value_size = P * 8,
		.vals = (uint8_t *)out,
	};
	out = NULL;
	r = 0;
fail:
	free(ps);
	free(stack);
	free(v.at);
	free(v.cls);
	free(out);
	return r;
}

enum {
	R0 = 0,
	R1,
	R2,
	R3,
	R4,
	R5,
	R9 = 9
};

/* r4 = the u32 at r(base) + off (any off the verifier allows) */
static void ld_off(struct bf_emit *e, uint8_t dst, uint8_t base, uint64_t off)
{
	if (off <= 32767) {
		bf_emit(e, I_LDX(BPF_W, dst, base, (int16_t)off));
		return;
	}
	bf_emit(e, I_MOV64_REG(dst, base));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, dst, (int32_t)off));
	bf_emit(e, I_LDX(BPF_W, dst, dst, 0));
}

/* r5 += 4 x the bound index in r2, then `levels` levels of the search
 * (r1 = the address + 1) */
static void emit_levels(struct bf_emit *e, const struct bf_lbvs_fmap *fm,
			uint32_t levels, bf_label none)
{
	/* (never taken: the table holds bound indexes; bounds the offset
	 * for the verifier) */
	bf_emit_jmp_imm(e, BPF_JGT, R2, (int32_t)(fm->iv_n - 1), none);
	bf_emit(e, I_ALU64_IMM(BPF_LSH, R2, 2));
	bf_emit(e, I_ALU64_REG(BPF_ADD, R5, R2));
	for (uint32_t step = 1u << (levels - 1), k; step; step /= 2) {
		for (k = 0; (1u << k) < step * 4; k++)
			;
		ld_off(e, R4, R5, step * 4);
		bf_emit(e, I_ALU64_REG(BPF_SUB, R4, R1));
		bf_emit(e, I_ALU64_IMM(BPF_RSH, R4, 63));
		bf_emit(e, I_ALU64_IMM(BPF_LSH, R4, (int32_t)k));
		bf_emit(e, I_ALU64_REG(BPF_ADD, R5, R4));
	}
}

/* With buckets (bf_iv_map()): r5 = &bounds[the bucket's first], then
 * fm->iv_steps levels as in the plain search, or BF_IV_SHORT for a
 * bucket marked short; below the first bound above 0, bound 0's
 * interval. */
static void emit_buckets(struct bf_emit *e, const struct bf_lbvs_fmap *fm,
			 bf_label none)
{
	bf_label cls = bf_label_new(e), in = bf_label_new(e);
	uint64_t tab = 4ull * 2 * fm->iv_rows;

	bf_emit(e, I_MOV64_REG(R5, R0));
	bf_emit(e, I_MOV64_REG(R2, R1));
	bf_emit_ld_imm64(e, R3, fm->iv_lo);
	bf_emit(e, I_ALU64_REG(BPF_SUB, R2, R3));
	bf_emit_jmp_imm(e, BPF_JSLT, R2, 0, cls);
	if (fm->iv_shift)
		bf_emit(e, I_ALU64_IMM(BPF_RSH, R2, (int32_t)fm->iv_shift));
	bf_emit_jmp_imm(e, BPF_JLE, R2, (int32_t)(fm->iv_nb - 1), in);
	bf_emit(e, I_MOV64_IMM(R2, (int32_t)(fm->iv_nb - 1)));
	bf_label_bind(e, in);
	bf_emit(e, I_ALU64_IMM(BPF_LSH, R2, 2));
	bf_emit(e, I_ALU64_REG(BPF_ADD, R2, R0));
	ld_off(e, R2, R2, tab);
	bf_emit(e, I_ALU64_IMM(BPF_ADD, R1, 1));
	if (fm->iv_steps > BF_IV_SHORT) {
		bf_label shrt = bf_label_new(e);

		bf_emit_jmp32_imm(e, BPF_JSET, R2, INT32_MIN, shrt);
		emit_levels(e, fm, fm->iv_steps, none);
		bf_emit_ja(e, cls);
		bf_label_bind(e, shrt);
		bf_emit(e, I_ALU32_IMM(BPF_AND, R2, INT32_MAX));
		emit_levels(e, fm, BF_IV_SHORT, none);
	} else {
		emit_levels(e, fm, fm->iv_steps, none);
	}
	bf_label_bind(e, cls);
	ld_off(e, R1, R5, 4ull * fm->iv_rows);
}

void bf_iv_emit(struct bf_emit *e, const struct bf_lbvs_fmap *fm, uint32_t idx,
		int16_t addr_off, int16_t key, bf_label none)
{
	uint32_t P = bf_iv_size(fm->n);

	/* r0 = the map's one value (bf_iv_map(): an array of one element),
	 * addressed directly: no helper call for the kernel to inline, no
	 * NULL branch for the verifier to explore */
	bf_emit_map_value_kind(e, R0, BF_RELOC_MAP, idx, 0);
	/* r1 = the address in host order, plus one (64 bits: no wrap);
	 * r5 = &bounds[i], i = 0 */
	bf_emit(e, I_LDX(BPF_W, R1, R9, addr_off));
	bf_emit(e, I_BE(R1, 32));
	if (fm->iv_steps) {
		emit_buckets(e, fm, none);
		return;
	}
	bf_emit(e, I_ALU64_IMM(BPF_ADD, R1, 1));
	bf_emit(e, I_MOV64_REG(R5, R0));
	/* bounds[0] = 0 <= address: the last i with bounds[i] <= address
	 * is i + step when bounds[i + step] <= address, else in [i, i +
	 * step) (P a power of two); the step taken or not without a
	 * branch: bound - (address + 1) is negative iff bound <= address,
	 * its bit 63 shifted to the step's byte count. (Not a mask
	 * -(bit) & step: this kernel's verifier forks its state on an AND
	 * of a value in [-1, 0], which made 2^levels paths.) */
	for (uint32_t step = P / 2, k = 0; step; step /= 2) {
		int32_t off = (int32_t)(step * 4);

		for (k = 0; (1u << k) < step * 4; k++)
			;
		if (off <= 32767) {
			bf_emit(e, I_LDX(BPF_W, R4, R5, (int16_t)off));
		} else {
			bf_emit(e, I_MOV64_REG(R4, R5));
			bf_emit(e, I_ALU64_IMM(BPF_ADD, R4, off));
			bf_emit(e, I_LDX(BPF_W, R4, R4, 0));
		}
		bf_emit(e, I_ALU64_REG(BPF_SUB, R4, R1));
		bf_emit(e, I_ALU64_IMM(BPF_RSH, R4, 63));
		bf_emit(e, I_ALU64_IMM(BPF_LSH, R4, (int32_t)k));
		bf_emit(e, I_ALU64_REG(BPF_ADD, R5, R4));
	}
	/* its class */
	if (P * 4 <= 32767) {
		bf_emit(e, I_LDX(BPF_W, R1, R5, (int16_t)(P * 4)));
	} else {
		bf_emit(e, I_ALU64_IMM(BPF_ADD, R5, (int32_t)(P * 4)));
		bf_emit(e, I_LDX(BPF_W, R1, R5, 0));
	}
}
