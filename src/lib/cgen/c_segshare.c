// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared fold lookups of segment programs: see cgen/c_segshare.h.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "cgen/c_segshare.h"

struct bf_seg_share *bf_seg_share_new(void)
{
	return calloc(1, sizeof(struct bf_seg_share));
}

void bf_seg_share_free(struct bf_seg_share **s)
{
	if (!*s)
		return;
	for (size_t i = 0; i < (*s)->n_shapes; i++) {
		free((*s)->shapes[i].keys);
		free((*s)->shapes[i].rows);
		free((*s)->shapes[i].ht);
	}
	free(*s);
	*s = NULL;
}

int bf_seg_share_shape(struct bf_seg_share *s, const struct bf_rule *r0,
		       const struct bf_fold_group *g)
{
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t n_parts, size = bf_fold_layout(g, SIZE_MAX, parts, &n_parts);
	struct bf_seg_shape *sh;

	for (size_t i = 0; i < s->n_shapes; i++) {
		if (s->shapes[i].key_size == size &&
		    bf_fold_compatible(s->shapes[i].r0, r0))
			return (int)i;
	}
	if (s->n_shapes == BF_SEG_SHAPES)
		return -1;
	sh = &s->shapes[s->n_shapes];
	memset(sh, 0, sizeof(*sh));
	sh->r0 = r0;
	sh->g = *g;
	sh->key_size = size;
	return (int)s->n_shapes++;
}

static uint32_t hash(const uint8_t *k, uint32_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static int rehash(struct bf_seg_shape *sh, uint32_t cap)
{
	uint32_t *ht = calloc(cap, sizeof(*ht));

	if (!ht)
		return -ENOMEM;
	for (uint32_t i = 0; i < sh->n; i++) {
		uint32_t h = hash(sh->keys + (size_t)i * sh->key_size,
				  sh->key_size) &
			     (cap - 1);

		while (ht[h])
			h = (h + 1) & (cap - 1);
		ht[h] = i + 1;
	}
	free(sh->ht);
	sh->ht = ht;
	sh->ht_cap = cap;
	return 0;
}

int bf_seg_share_add(struct bf_seg_share *s, int shape, uint32_t col,
		     const uint8_t *key, uint32_t value)
{
	struct bf_seg_shape *sh = &s->shapes[shape];
	uint32_t h, e;

	if (col >= BF_SEG_MAX)
		return -EINVAL;
	if ((sh->n + 1) * 2 > sh->ht_cap &&
	    rehash(sh, sh->ht_cap ? sh->ht_cap * 2 : 1024))
		return -ENOMEM;
	h = hash(key, sh->key_size) & (sh->ht_cap - 1);
	while (sh->ht[h]) {
		e = sh->ht[h] - 1;
		if (!memcmp(sh->keys + (size_t)e * sh->key_size, key,
			    sh->key_size)) {
			uint32_t *w = &sh->rows[(size_t)e * BF_SEG_MAX + col];

			if (*w == BF_SEG_NONE)
				*w = value;
			return 0;
		}
		h = (h + 1) & (sh->ht_cap - 1);
	}
	if (sh->n == sh->cap) {
		uint32_t cap = sh->cap ? sh->cap * 2 : 256;
		uint8_t *k = realloc(sh->keys, (size_t)cap * sh->key_size);
		uint32_t *r;

		if (!k)
			return -ENOMEM;
		sh->keys = k;
		r = realloc(sh->rows, (size_t)cap * BF_SEG_MAX * sizeof(*r));
		if (!r)
			return -ENOMEM;
		sh->rows = r;
		sh->cap = cap;
	}
	e = sh->n++;
	memcpy(sh->keys + (size_t)e * sh->key_size, key, sh->key_size);
	memset(sh->rows + (size_t)e * BF_SEG_MAX, 0xff,
	       BF_SEG_MAX * sizeof(*sh->rows));
	sh->rows[(size_t)e * BF_SEG_MAX + col] = value;
	sh->ht[h] = e + 1;
	return 0;
}

int bf_seg_share_map(const struct bf_seg_share *s, int shape,
		     struct bf_prog_map *out)
{
	const struct bf_seg_shape *sh = &s->shapes[shape];
	uint32_t vs = (s->n_seg * 4 + 7) / 8 * 8;

	memset(out, 0, sizeof(*out));
	out->type = BPF_MAP_TYPE_HASH;
	out->key_size = sh->key_size;
	out->value_size = vs;
	out->n = sh->n;
	out->keys = malloc(sh->n ? (size_t)sh->n * sh->key_size : 1);
	out->vals = malloc(sh->n ? (size_t)sh->n * vs : 1);
	if (!out->keys || !out->vals) {
		free(out->keys);
		free(out->vals);
		out->keys = out->vals = NULL;
		return -ENOMEM;
	}
	if (sh->n)
		memcpy(out->keys, sh->keys, (size_t)sh->n * sh->key_size);
	for (uint32_t i = 0; i < sh->n; i++) {
		uint8_t *v = out->vals + (size_t)i * vs;

		memset(v, 0xff, vs);
		memcpy(v, sh->rows + (size_t)i * BF_SEG_MAX, s->n_seg * 4);
	}
	return 0;
}
