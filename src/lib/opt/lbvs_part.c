// SPDX-License-Identifier: GPL-2.0-only
/*
 * Partitions of the bit-vector search by the fields their members test
 * (lbvs_part.h, doc/classification.md "Partitions by the fields tested").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "opt/lbvs_part.h"

/* Partitions for a chain that fits one search, from this many members
 * (shape c of bench/cls_cost at 10,000, XDP: 235-271 / 156-158 ns "last" /
 * "none" partitioned against 264-284 / 247-253 with the per-protocol
 * searches, half the memory). */
#define PART_MIN_DEFAULT 4096u
#define PARTS_DEFAULT 16u
#define PARTS_MAX 64u

static size_t env_size(const char *name, size_t dflt)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return dflt;
	return strtoul(v, NULL, 10);
}

/* A group of members: the tests they share (field f: 0 none, 1 positive,
 * 2 negated, 3 mixed; the protocol value, -1 mixed or none). */
struct grp {
	uint8_t st[BF_LBVS_FIELD_COUNT];
	int proto;
	size_t n;
	int into; /* merged into group `into`, or -1 */
};

static void grp_of(uint32_t sig, struct grp *g)
{
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
		g->st[f] = !(sig >> f & 1) ? 0 : (sig >> (8 + f) & 1) ? 2 : 1;
	g->proto = sig >> 24 & 1 ? (int)(sig >> 16 & 0xff) : -1;
	g->n = 0;
	g->into = -1;
}

/* Tests that can make a class empty: positive tests of a field, and the
 * protocol value they share. (A negated test holds for most packets.) */
static unsigned int useful(const struct grp *g)
{
	unsigned int u = 0;

	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
		u += g->st[f] == 1 && f != BF_LBVS_PROTO;
	return u + (g->proto >= 0);
}

static void grp_join(struct grp *a, const struct grp *b)
{
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		if (a->st[f] != b->st[f])
			a->st[f] = 3;
	}
	if (a->proto != b->proto)
		a->proto = -1;
	a->n += b->n;
}

static int key_fields(void)
{
	static int n;

	if (!n)
		n = (int)env_size("BPFILTER_LBVS_PART_KEYS", 2) ?: 1;
	return n;
}

/* The group of a member: its protocol (when tested positively) and its
 * key fields, the first BPFILTER_LBVS_PART_KEYS (2) it tests in the order
 * below, positive tests before negated ones (a negated test holds for
 * most packets). (Shape c at 100,000, XDP, "last" probe: one key field
 * 651-854 ns, two 273-309, three 298-490.) */
static uint32_t group_key(uint32_t sig)
{
	static const int order[] = { BF_LBVS_SADDR, BF_LBVS_DADDR,
				     BF_LBVS_SPORT, BF_LBVS_DPORT,
				     BF_LBVS_FLAGS, BF_LBVS_IIF,
				     BF_LBVS_OIF };
	uint32_t k = sig & 0x1ff0000u;
	int n = 0;

	for (int neg = 0; neg < 2; neg++) {
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			int f = order[i];

			if ((sig >> f & 1) &&
			    (sig >> (8 + f) & 1) == (uint32_t)neg) {
				k |= 1u << f | (uint32_t)neg << (8 + f);
				if (++n == key_fields())
					return k;
			}
		}
	}
	return k;
}

/* BPFILTER_LBVS_SKIP=0: the parts scan every data word (A/B runs) */
static bool sparse_scan(void)
{
	const char *v = getenv("BPFILTER_LBVS_SKIP");

	return !(v && !strcmp(v, "0"));
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int part_cmp(const void *x, const void *y)
{
	const struct bf_lbvs *a = *(struct bf_lbvs *const *)x;
	const struct bf_lbvs *b = *(struct bf_lbvs *const *)y;

	return a->base < b->base ? -1 : a->base > b->base;
}

/* Merge the smallest group into the one that loses the fewest useful
 * tests (weighted by members) until at most `want` groups are left. */
static void merge_groups(struct grp *g, size_t n_g, size_t want)
{
	size_t live = n_g;

	while (live > want) {
		size_t s = SIZE_MAX, t = SIZE_MAX;
		uint64_t best = UINT64_MAX;

		for (size_t i = 0; i < n_g; i++) {
			if (g[i].into < 0 && (s == SIZE_MAX || g[i].n < g[s].n))
				s = i;
		}
		for (size_t i = 0; i < n_g; i++) {
			struct grp j;
			uint64_t before, after, loss;

			if (i == s || g[i].into >= 0)
				continue;
			j = g[i];
			grp_join(&j, &g[s]);
			before = (uint64_t)useful(&g[i]) * g[i].n +
				 (uint64_t)useful(&g[s]) * g[s].n;
			after = (uint64_t)useful(&j) * j.n;
			loss = before > after ? before - after : 0;
			if (loss < best) {
				best = loss;
				t = i;
			}
		}
		grp_join(&g[t], &g[s]);
		g[s].into = (int)t;
		live--;
	}
}

int bf_lbvs_partition(const struct bf_chain *chain, struct bf_lbvs *l,
		      bool fits)
{
	size_t min = env_size("BPFILTER_LBVS_PART_MIN", PART_MIN_DEFAULT);
	size_t want = env_size("BPFILTER_LBVS_PARTS", PARTS_DEFAULT);
	const char *on = getenv("BPFILTER_LBVS_PART");
	size_t nm = l->n_members, n_g = 0, n_p = 0, n_parts = 0;
	struct bf_lbvs_options o;
	uint32_t *sig = NULL, *keys = NULL;
	struct grp *g = NULL;
	size_t *gm = NULL, *mem = NULL, *at = NULL, *pid = NULL;
	struct bf_lbvs **parts = NULL;
	int r = -ENOMEM;

	if ((on && !strcmp(on, "0")) || l->n_parts || !nm ||
	    (fits && (!min || nm < min)))
		return 0;
	if (want < 2)
		want = 2;
	if (want > PARTS_MAX)
		want = PARTS_MAX;
	bf_lbvs_get_options(&o);
	sig = malloc(nm * sizeof(*sig));
	keys = malloc(nm * sizeof(*keys));
	gm = malloc(nm * sizeof(*gm));
	mem = malloc(nm * sizeof(*mem));
	if (!sig || !keys || !gm || !mem)
		goto out;
	for (size_t m = 0; m < nm; m++) {
		sig[m] = bf_lbvs_member_sig(chain, l, m);
		keys[m] = group_key(sig[m]);
	}
	qsort(keys, nm, sizeof(*keys), u32_cmp);
	for (size_t m = 0; m < nm; m++) {
		if (!n_g || keys[n_g - 1] != keys[m])
			keys[n_g++] = keys[m];
	}
	if (n_g < 2) {
		r = 0;
		goto out;
	}
	g = calloc(n_g, sizeof(*g));
	pid = malloc(n_g * sizeof(*pid));
	at = calloc(n_g + 1, sizeof(*at));
	if (!g || !pid || !at)
		goto out;
	for (size_t i = 0; i < n_g; i++)
		g[i].into = -2; /* no member yet */
	for (size_t m = 0; m < nm; m++) {
		uint32_t gk = group_key(sig[m]);
		uint32_t *k = bsearch(&gk, keys, n_g, sizeof(*keys), u32_cmp);
		struct grp one;

		gm[m] = (size_t)(k - keys);
		grp_of(sig[m], &one);
		one.n = 1;
		if (g[gm[m]].into == -2)
			g[gm[m]] = one;
		else
			grp_join(&g[gm[m]], &one);
	}
	merge_groups(g, n_g, want);
	/* each signature's partition (the group it ended in) */
	for (size_t i = 0; i < n_g; i++) {
		if (g[i].into < 0)
			pid[i] = n_p++;
	}
	for (size_t i = 0; i < n_g; i++) {
		size_t j = i;

		while (g[j].into >= 0)
			j = (size_t)g[j].into;
		pid[i] = pid[j];
	}
	/* members grouped by partition, each in rule order */
	memset(at, 0, (n_g + 1) * sizeof(*at));
	for (size_t m = 0; m < nm; m++)
		at[pid[gm[m]] + 1]++;
	for (size_t p = 0; p < n_p; p++)
		at[p + 1] += at[p];
	for (size_t m = 0; m < nm; m++)
		mem[at[pid[gm[m]]]++] = m;
	/* (at[p] is now the end of partition p) */
	parts = calloc(nm, sizeof(*parts));
	if (!parts)
		goto out;
	for (size_t p = 0, s = 0; p < n_p; s = at[p++]) {
		size_t e = at[p], first = s, cnt[BF_LBVS_FIELD_COUNT] = { 0 };

		/* cut by the budget, as bf_lbvs_select() cuts a chain */
		for (size_t k = s; k <= e; k++) {
			size_t c2[BF_LBVS_FIELD_COUNT];
			bool cut = k == e;

			if (!cut) {
				memcpy(c2, cnt, sizeof(c2));
				for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
					c2[f] += sig[mem[k]] >> f & 1;
				cut = k > first &&
				      (k - first >= BF_LBVS_PART_MAX ||
				       bf_lbvs_vec_bound(c2, k + 1 - first) >
					       o.max_bytes);
			}
			if (cut && k > first) {
				parts[n_parts] = bf_lbvs_part_of(
					chain, l, mem + first, k - first);
				if (!parts[n_parts])
					goto out;
				n_parts++;
				first = k;
				memset(c2, 0, sizeof(c2));
				if (k < e) {
					for (int f = 0; f < BF_LBVS_FIELD_COUNT;
					     f++)
						c2[f] = sig[mem[k]] >> f & 1;
				}
			}
			if (k < e)
				memcpy(cnt, c2, sizeof(cnt));
		}
	}
	/* what every member of each part tests */
	for (size_t k = 0; k < n_parts; k++) {
		struct bf_lbvs *q = parts[k];
		uint32_t all = ~0u, neg = 0;

		for (size_t m = 0; m < q->n_members; m++) {
			uint32_t sg = sig[l->rule_member[q->member_rule[m]]];

			all &= sg;
			neg |= sg >> 8;
		}
		q->first_fields =
			(uint8_t)(all & ~neg & ~(1u << BF_LBVS_PROTO));
		q->sparse = sparse_scan();
	}
	r = 0;
	/* more parts than the masks have bits: the cut in rule order
	 * (each part is a function; the kernel takes 256 per program) */
	if (n_parts < 2 || n_parts > PARTS_MAX)
		goto out;
	qsort(parts, n_parts, sizeof(*parts), part_cmp);
	l->parts = parts;
	l->n_parts = n_parts;
	l->scatter = true;
	parts = NULL;
	n_parts = 0;
out:
	for (size_t k = 0; k < n_parts; k++)
		bf_lbvs_free(&parts[k]);
	free(sig);
	free(keys);
	free(gm);
	free(mem);
	free(at);
	free(pid);
	free(parts);
	free(g);
	return r;
}

void bf_lbvs_part_empty(struct bf_lbvs *p)
{
	uint32_t vw = bf_lbvs_value_words(p);
	bool *empty;

	if (!p->vectors || !p->n_classes)
		return;
	empty = malloc(p->n_classes);
	if (!empty)
		return; /* (only an optimisation) */
	for (uint32_t c = 0; c < p->n_classes; c++) {
		const uint64_t *v = p->vectors + (size_t)c * vw;

		empty[c] = true;
		for (uint32_t s = 0; s < p->summary && empty[c]; s++)
			empty[c] = !v[s];
	}
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		struct bf_lbvs_fmap *fm = &p->fmap[f];

		if (!fm->used || !fm->values)
			continue;
		for (uint32_t i = 0; i < fm->n; i++) {
			if (fm->values[i] < p->n_classes &&
			    empty[fm->values[i]])
				fm->values[i] = BF_LBVS_EMPTY;
		}
	}
	free(empty);
}

int bf_lbvs_part_masks(const struct bf_lbvs *l, uint64_t **vals, uint32_t *n,
		       uint32_t off[BF_LBVS_FIELD_COUNT])
{
	size_t np = l->n_parts < 64 ? l->n_parts : 64, total = 0;
	uint32_t rows[BF_LBVS_FIELD_COUNT] = { 0 };
	uint64_t *v;

	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		const struct bf_lbvs_fmap *fm = &l->fmap[f];

		off[f] = UINT32_MAX;
		if (!fm->used || !fm->values || !l->n_parts ||
		    fm->n % l->n_parts)
			continue;
		rows[f] = fm->n / (uint32_t)l->n_parts;
		off[f] = (uint32_t)total;
		total += rows[f];
	}
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		const struct bf_lbvs_fmap *fm = &l->fmap[f];

		if (off[f] == UINT32_MAX)
			continue;
		for (uint32_t x = 0; x < rows[f]; x++) {
			uint64_t m = ~0ull;

			for (size_t k = 0; k < np; k++) {
				const struct bf_lbvs_fmap *pm =
					&l->parts[k]->fmap[f];

				/* row k of the shared array (key_add) */
				if (pm->used && fm->values[pm->key_add + x] ==
							BF_LBVS_EMPTY)
					m &= ~(1ull << k);
			}
			v[off[f] + x] = m;
		}
	}
	*vals = v;
	*n = (uint32_t)(total ? total : 1);
	if (!total)
		v[0] = ~0ull;
	return 0;
}
