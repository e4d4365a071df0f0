// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-protocol searches of the bit-vector classifier: their vectors and
 * maps (c_lbvs_pp.h). The code is in c_lbvs.c (bf_lbvs_emit_fast()).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgen/c_lbvs_pp.h"

static bool pp_enabled(void)
{
	static int on = -1;

	if (on < 0) {
		const char *s = getenv("BPFILTER_LBVS_PP");

		on = !(s && !strcmp(s, "0"));
	}
	return on;
}

static int push(struct bf_prog_map **maps, size_t *n_maps,
		const struct bf_prog_map *m)
{
	struct bf_prog_map *n = realloc(*maps, (*n_maps + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	*maps = n;
	n[(*n_maps)++] = *m;
	return 0;
}

/* The bits of v where mask m is set, packed (x86 PEXT when the CPU has
 * it: a class is gathered a word at a time, not a bit at a time). */
#if defined(__x86_64__)
__attribute__((target("bmi2"))) static uint64_t pext_bmi2(uint64_t v,
							  uint64_t m)
{
	return __builtin_ia32_pext_di(v, m);
}
#endif

static uint64_t pext_soft(uint64_t v, uint64_t m)
{
	uint64_t out = 0;
	int k = 0;

	for (; m; m &= m - 1, k++) {
		if (v & (m & -m))
			out |= 1ull << k;
	}
	return out;
}

static uint64_t (*pext_fn(void))(uint64_t, uint64_t)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("bmi2"))
		return pext_bmi2;
#endif
	return pext_soft;
}

/* The distinct classes of each field but the protocol (a port field
 * has 65,536 values but a few hundred classes at most): what
 * part_build() asks of a field is about its classes, not its values. */
struct fclasses {
	uint32_t *cls[BF_LBVS_FIELD_COUNT];
	uint32_t n[BF_LBVS_FIELD_COUNT];
};

static void fclasses_free(struct fclasses *fc)
{
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
		free(fc->cls[f]);
}

/* need[x] is set for each class x of some field */
static int fclasses_build(const struct bf_lbvs *l, struct fclasses *fc,
			  bool *need)
{
	uint32_t *seen = calloc(l->n_classes ? l->n_classes : 1, sizeof(*seen));

	if (!seen)
		return -ENOMEM;
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		const struct bf_lbvs_fmap *fm = &l->fmap[f];
		uint32_t *c;

		if (f == BF_LBVS_PROTO || !fm->used)
			continue;
		c = malloc((fm->n ? fm->n : 1) * sizeof(*c));
		if (!c) {
			free(seen);
			return -ENOMEM;
		}
		fc->cls[f] = c;
		/* seen[x] == f + 1: x is already in this field's list */
		for (uint32_t i = 0; i < fm->n; i++) {
			uint32_t x = fm->values[i];

			if (x >= l->n_classes || seen[x] == (uint32_t)f + 1)
				continue;
			seen[x] = (uint32_t)f + 1;
			need[x] = true;
			c[fc->n[f]++] = x;
		}
	}
	free(seen);
	return 0;
}

/* The vectors of one protocol class: the members set in its class
 * vector `pv` (data words, W of them), and every class restricted to
 * them. need[x]: class x is some field's (others are left zero). */
static int part_build(const struct bf_lbvs *l, const uint64_t *pv,
		      const bool *need, const struct fclasses *fc,
		      struct bf_lbvs_ppart *p, struct bf_prog_map *vm,
		      struct bf_prog_map *im)
{
	uint32_t vw = bf_lbvs_value_words(l), S = l->summary;
	uint32_t W = (uint32_t)((l->n_members + 63) / 64), n = 0, Sp, Wp;
	uint64_t (*pext)(uint64_t, uint64_t) = pext_fn();
	uint32_t *idx;
	uint64_t *out;
	bool *full;

	for (uint32_t w = 0; w < W; w++)
		n += (uint32_t)__builtin_popcountll(pv[w]);
	p->n_members = n;
	Wp = (n + 63) / 64;
	Sp = (Wp + 63) / 64;
	p->W = Wp;
	p->S = Sp;
	idx = malloc((n ? n : 1) * sizeof(*idx));
	out = calloc((size_t)l->n_classes * (Sp + Wp) + 1, sizeof(*out));
	full = malloc(l->n_classes ? l->n_classes : 1);
	if (!idx || !out || !full) {
		free(idx);
		free(out);
		free(full);
		return -ENOMEM;
	}
	n = 0;
	for (uint32_t w = 0; w < W; w++) {
		for (uint64_t b = pv[w]; b; b &= b - 1)
			idx[n++] = w * 64 + (uint32_t)__builtin_ctzll(b);
	}
	for (uint32_t x = 0; x < l->n_classes; x++) {
		const uint64_t *v = l->vectors + (size_t)x * vw + S;
		uint64_t *o = out + (size_t)x * (Sp + Wp);
		uint32_t k = 0;

		full[x] = true;
		if (!need[x])
			continue;
		/* gather the bits of the class's members, word by word,
		 * appended at bit k of the data words */
		for (uint32_t w = 0; w < W; w++) {
			uint32_t c = (uint32_t)__builtin_popcountll(pv[w]);
			uint64_t g;

			if (!c)
				continue;
			g = pext(v[w], pv[w]);
			if (g != (c == 64 ? ~0ull : (1ull << c) - 1))
				full[x] = false;
			o[Sp + k / 64] |= g << (k % 64);
			if (k % 64 && k % 64 + c > 64)
				o[Sp + k / 64 + 1] |= g >> (64 - k % 64);
			k += c;
		}
		for (uint32_t j = 0; j < Wp; j++) {
			if (o[Sp + j])
				o[j / 64] |= 1ull << (j % 64);
		}
	}
	/* a field whose classes are all ones on these members holds for
	 * each of them whatever the packet: not ANDed */
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		const struct bf_lbvs_fmap *fm = &l->fmap[f];

		p->use[f] = false;
		if (f == BF_LBVS_PROTO || !fm->used)
			continue;
		for (uint32_t i = 0; i < fc->n[f] && !p->use[f]; i++)
			p->use[f] = !full[fc->cls[f][i]];
	}
	free(full);
	*vm = (struct bf_prog_map){
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.n = l->n_classes,
		.value_size = (Sp + Wp) * 8,
		.vals = (uint8_t *)out,
	};
	*im = (struct bf_prog_map){
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.n = n ? n : 1,
		.value_size = 4,
		.vals = (uint8_t *)idx,
	};
	if (!n)
		idx[0] = 0;
	return 0;
}

int bf_lbvs_pp_maps(struct bf_lbvs *l, struct bf_prog_map **maps,
		    size_t *n_maps, size_t *next_idx)
{
	const struct bf_lbvs_fmap *pf = &l->fmap[BF_LBVS_PROTO];
	struct fclasses fc = { 0 };
	struct bf_lbvs_pp *pp;
	bool *need;
	int r = 0;

	l->pp = NULL;
	if (!pp_enabled() || l->n_parts || !pf->used || pf->lpm ||
	    !pf->values || !l->vectors || !l->n_members)
		return 0;
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		if (l->fmap[f].used && !l->fmap[f].values)
			return 0;
	}
	pp = calloc(1, sizeof(*pp));
	need = calloc(l->n_classes ? l->n_classes : 1, sizeof(*need));
	if (!pp || !need) {
		free(pp);
		free(need);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < pf->n; i++) {
		uint32_t c = pf->values[i], k;

		for (k = 0; k < pp->n && pp->p[k].cls != c; k++)
			;
		if (k < pp->n)
			continue;
		if (pp->n == BF_LBVS_PP_MAX)
			goto none;
		pp->p[pp->n++].cls = c;
	}
	/* two maps per protocol class that admits a member: stay well
	 * below the kernel's 64 maps per program (other chains' searches,
	 * folded groups, counters and log maps need some too) */
	{
		uint32_t ne = 0, vw = bf_lbvs_value_words(l);

		for (uint32_t k = 0; k < pp->n; k++) {
			const uint64_t *pv = l->vectors +
					     (size_t)pp->p[k].cls * vw +
					     l->summary;

			for (uint32_t w = 0; w < vw - l->summary; w++) {
				if (pv[w]) {
					ne++;
					break;
				}
			}
		}
		if (*next_idx + 2 * ne > BF_LBVS_PP_MAP_BUDGET)
			goto none;
	}
	/* their vectors within the search's memory budget too (they
	 * come on top of the chain's full vectors) */
	{
		struct bf_lbvs_options o;
		uint64_t bytes = 0, vw = bf_lbvs_value_words(l);

		bf_lbvs_get_options(&o);
		for (uint32_t k = 0; k < pp->n; k++) {
			const uint64_t *pv = l->vectors +
					     (size_t)pp->p[k].cls * vw +
					     l->summary;
			uint64_t n = 0, w;

			for (w = 0; w < vw - l->summary; w++)
				n += (uint64_t)__builtin_popcountll(pv[w]);
			w = (n + 63) / 64;
			bytes += (uint64_t)l->n_classes * (w + (w + 63) / 64) *
				 8;
		}
		if (bytes > o.max_bytes)
			goto none;
	}
	r = fclasses_build(l, &fc, need);
	if (r)
		goto none;
	for (uint32_t k = 0; k < pp->n; k++) {
		struct bf_prog_map vm, im;
		const uint64_t *pv =
			l->vectors +
			(size_t)pp->p[k].cls * bf_lbvs_value_words(l) +
			l->summary;

		r = part_build(l, pv, need, &fc, &pp->p[k], &vm, &im);
		if (r)
			goto none;
		/* rows in one value, as the chain's vectors (c_lbvs_flat.h) */
		if (l->vec_flat) {
			vm.value_size *= vm.n;
			vm.n = 1;
		}
		if (!pp->p[k].n_members) {
			/* no member admits these protocols: no search */
			free(vm.vals);
			free(im.vals);
			continue;
		}
		if (push(maps, n_maps, &vm)) {
			free(vm.vals);
			free(im.vals);
			r = -ENOMEM;
			goto none;
		}
		pp->p[k].vmap = (uint32_t)(*next_idx)++;
		if (push(maps, n_maps, &im)) {
			free(im.vals);
			r = -ENOMEM;
			goto none;
		}
		pp->p[k].imap = (uint32_t)(*next_idx)++;
	}
	free(need);
	fclasses_free(&fc);
	l->pp = pp;
	return 0;
none:
	/* maps already pushed stay (unused, freed with the program) */
	free(need);
	fclasses_free(&fc);
	free(pp);
	return r;
}
