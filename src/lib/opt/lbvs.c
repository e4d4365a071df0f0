// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bit-vector search over the general rules of a chain: which rules are
 * members, and the classes of each field (see lbvs.h and
 * doc/classification.md, "Bit-vector search").
 *
 * Classes are built by sweeps, never by testing every member against every
 * class: addresses by a depth-first walk of the sorted member prefixes
 * (a node's vector is its parent's with the members of exactly that prefix
 * toggled), ports by a sweep over the sorted range ends (toggle at lo and at
 * hi + 1). The 256 values of the protocol and of the TCP flags are few
 * enough to test directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opt/lbvs.h"
#include "opt/lbvs_part.h"

static struct bf_lbvs_options options = {
	.enabled = true,
	.min_members = 32,
	.max_bytes = 128ull << 20,
};

static bool env_read;
/* bf_lbvs_select() from bf_lbvs_select_nf(): -i / -o members allowed */
static bool sel_iface;

void bf_lbvs_set_options(const struct bf_lbvs_options *o)
{
	env_read = true;
	options = *o;
	if (options.min_members < 1)
		options.min_members = 1;
}

void bf_lbvs_get_options(struct bf_lbvs_options *o)
{
	*o = options;
}

/* One member's test of one field. */
struct pred {
	bool set, neg;
	uint8_t plen; /* addresses */
	uint8_t addr[16];
	uint16_t lo, hi; /* ports; proto: lo; flags: lo = mask, hi = cmp */
};

static bool terminal(enum bf_verdict_kind k)
{
	return k == BF_VERDICT_ACCEPT || k == BF_VERDICT_DROP ||
	       k == BF_VERDICT_RETURN;
}

/* Prefix length of a contiguous mask, or -1. */
static int prefix_len(const uint8_t *mask, int alen)
{
	int plen = 0;
	bool end = false;

	for (int i = 0; i < 16; i++) {
		for (int b = 7; b >= 0; b--) {
			bool one = mask[i] >> b & 1;

			if (one && (end || i >= alen))
				return -1;
			if (!one)
				end = true;
			else
				plen++;
		}
	}
	return plen;
}

/* The predicates of rule r, or false if r cannot be a member. need[] gets
 * the transport header lengths its L4HDR matches ask for. */
static bool member_preds(const struct bf_rule *r, struct pred *p, uint8_t *need,
			 bool *v6_proto, bool iface)
{
	int alen = r->family == BF_FAMILY_INET6 ? 16 : 4;
	int proto = -1; /* the positive protocol tested so far */

	memset(p, 0, sizeof(*p) * BF_LBVS_FIELD_COUNT);
	if (!terminal(r->verdict.kind))
		return false;
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct bf_match *m = &r->matches[i];
		struct pred *q;
		int f, plen;

		/* nft evaluation (bf_match.nft) reads other packet context
		 * fields (pctx.nft_*, nft's AH stop): linear code only */
		if (m->nft != BF_NFT_OFF)
			return false;
		switch (m->type) {
		case BF_MATCH_COMMENT:
			continue;
		case BF_MATCH_L4PROTO:
			if (r->family == BF_FAMILY_INET6)
				*v6_proto = true;
			/* ip_packet_match(): IPv4 protocol 0 is not tested;
			 * IPv6 "all" only walks the headers */
			if (m->u.proto == 0 &&
			    (r->family == BF_FAMILY_INET4 || !m->neg))
				continue;
			q = &p[BF_LBVS_PROTO];
			if (q->set)
				return false;
			*q = (struct pred){ .set = true,
					    .neg = m->neg,
					    .lo = m->u.proto };
			if (!m->neg)
				proto = m->u.proto;
			continue;
		case BF_MATCH_L4HDR:
			/* on a plain packet of that protocol it holds; on
			 * others the protocol match before it failed */
			if (proto < 0 || proto != m->u.l4hdr.proto)
				return false;
			if (need[proto] < m->u.l4hdr.min_len)
				need[proto] = m->u.l4hdr.min_len;
			if (!need[proto])
				need[proto] = 1;
			continue;
		case BF_MATCH_SADDR:
		case BF_MATCH_DADDR:
			f = m->type == BF_MATCH_SADDR ? BF_LBVS_SADDR :
							BF_LBVS_DADDR;
			plen = prefix_len(m->u.addr.mask, alen);
			if (plen < 0 || p[f].set)
				return false;
			p[f] = (struct pred){ .set = true,
					      .neg = m->neg,
					      .plen = (uint8_t)plen };
			for (int b = 0; b < 16; b++)
				p[f].addr[b] = m->u.addr.addr[b] &
					       m->u.addr.mask[b];
			continue;
		case BF_MATCH_SPORT:
		case BF_MATCH_DPORT:
			f = m->type == BF_MATCH_SPORT ? BF_LBVS_SPORT :
							BF_LBVS_DPORT;
			if (p[f].set)
				return false;
			p[f] = (struct pred){ .set = true,
					      .neg = m->neg,
					      .lo = m->u.ports.lo,
					      .hi = m->u.ports.hi };
			continue;
		case BF_MATCH_IIFNAME:
		case BF_MATCH_OIFNAME: {
			/* ip_packet_match(), ifname_compare_aligned(): the
			 * name of the device (zeros without one) XOR the
			 * rule's, under its mask (cmp_len bytes: `eth+` 3,
			 * `eth0` 5 with the NUL, `+` none), is zero */
			int len = m->u.iface.cmp_len;

			f = m->type == BF_MATCH_IIFNAME ? BF_LBVS_IIF :
							  BF_LBVS_OIF;
			if (!iface || p[f].set || len < 0 || len > 16)
				return false;
			p[f] = (struct pred){ .set = true,
					      .neg = m->neg,
					      .plen = (uint8_t)(8 * len) };
			memcpy(p[f].addr, m->u.iface.name, (size_t)len);
			continue;
		}
		case BF_MATCH_TCPFLAGS:
			if (p[BF_LBVS_FLAGS].set)
				return false;
			p[BF_LBVS_FLAGS] = (struct pred){
				.set = true,
				.neg = m->neg,
				.lo = m->u.tcpflags.mask,
				.hi = m->u.tcpflags.cmp,
			};
			continue;
		default:
			return false;
		}
	}
	return true;
}

bool bf_lbvs_can_hotdrop(const struct bf_rule *r)
{
	for (size_t i = 0; i < r->n_matches; i++) {
		if (r->matches[i].type == BF_MATCH_L4HDR ||
		    (r->matches[i].type == BF_MATCH_L4PROTO &&
		     r->family == BF_FAMILY_INET6))
			return true;
	}
	return false;
}

void bf_lbvs_free(struct bf_lbvs **l)
{
	if (!*l)
		return;
	for (size_t k = 0; k < (*l)->n_parts; k++)
		bf_lbvs_free(&(*l)->parts[k]);
	free((*l)->parts);
	free((*l)->member_rule);
	free((*l)->rule_member);
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		free((*l)->fmap[f].keys);
		free((*l)->fmap[f].values);
	}
	for (int f = 0; f < 2; f++) {
		free((*l)->node[f].keys);
		free((*l)->node[f].values);
	}
	free((*l)->vectors);
	free((*l)->pp);
	free(*l);
	*l = NULL;
}

static struct bf_lbvs *lbvs_new(const struct bf_chain *chain, size_t n)
{
	struct bf_lbvs *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->family = chain->family;
	l->n_rules = chain->n_rules;
	l->member_rule = malloc((n ? n : 1) * sizeof(size_t));
	l->rule_member =
		malloc((chain->n_rules ? chain->n_rules : 1) * sizeof(size_t));
	if (!l->member_rule || !l->rule_member) {
		bf_lbvs_free(&l);
		return NULL;
	}
	for (size_t i = 0; i < chain->n_rules; i++)
		l->rule_member[i] = SIZE_MAX;
	return l;
}

/* Bound on the class vectors of a search: at most one class per value
 * range of each field (cnt[f]: members that test f). */
static uint64_t vec_bound(const size_t *cnt, size_t n_members)
{
	uint64_t bound = 1, words = (n_members + 63) / 64;

	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		if (!cnt[f])
			continue;
		if (f <= BF_LBVS_DADDR || f >= BF_LBVS_IIF)
			bound += cnt[f] + 1;
		else if (f == BF_LBVS_SPORT || f == BF_LBVS_DPORT)
			bound += 2 * cnt[f] + 1;
		else
			bound += 256;
	}
	return bound * ((words + 63) / 64 + words) * 8;
}

/* Members [first, first + n) of `all` as a search of their own. */
static struct bf_lbvs *make_part(const struct bf_chain *chain,
				 const struct bf_lbvs *all, size_t first,
				 size_t n)
{
	size_t *members = malloc((n ? n : 1) * sizeof(*members));
	struct bf_lbvs *l;

	if (!members)
		return NULL;
	for (size_t m = 0; m < n; m++)
		members[m] = first + m;
	l = bf_lbvs_part_of(chain, all, members, n);
	free(members);
	if (l)
		l->base = first;
	return l;
}

uint64_t bf_lbvs_vec_bound(const size_t *cnt, size_t n)
{
	return vec_bound(cnt, n);
}

uint32_t bf_lbvs_member_sig(const struct bf_chain *chain,
			    const struct bf_lbvs *all, size_t m)
{
	struct pred p[BF_LBVS_FIELD_COUNT];
	uint8_t need[256] = { 0 };
	bool v6p = false;
	uint32_t sig = 0;

	member_preds(&chain->rules[all->member_rule[m]], p, need, &v6p,
		     all->iface);
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		if (p[f].set)
			sig |= 1u << f | (p[f].neg ? 1u << (8 + f) : 0);
	}
	if (p[BF_LBVS_PROTO].set && !p[BF_LBVS_PROTO].neg)
		sig |= (uint32_t)(p[BF_LBVS_PROTO].lo & 0xff) << 16 | 1u << 24;
	return sig;
}

struct bf_lbvs *bf_lbvs_part_of(const struct bf_chain *chain,
				const struct bf_lbvs *all,
				const size_t *members, size_t n)
{
	struct bf_lbvs *l = lbvs_new(chain, n);
	struct pred p[BF_LBVS_FIELD_COUNT];

	if (!l)
		return NULL;
	l->iface = all->iface;
	l->base = n ? members[0] : 0;
	for (size_t m = 0; m < n; m++) {
		size_t i = all->member_rule[members[m]];
		bool v6p = false;

		member_preds(&chain->rules[i], p, l->need, &v6p, all->iface);
		l->v6_proto |= v6p;
		l->member_rule[m] = i;
		l->rule_member[i] = m;
	}
	l->n_members = n;
	l->summary = (uint32_t)(((n + 63) / 64 + 63) / 64);
	return l;
}

int bf_lbvs_select(const struct bf_chain *chain,
		   const struct bf_fold_group *groups, size_t n_groups,
		   struct bf_lbvs **out)
{
	struct bf_lbvs *l;
	struct pred p[BF_LBVS_FIELD_COUNT];
	size_t g = 0, cnt[BF_LBVS_FIELD_COUNT] = { 0 }, first = 0;
	size_t *cut = NULL, n_cut = 0;
	uint8_t *tests = NULL; /* per member: bit f = tests field f */

	*out = NULL;
	if (!env_read) {
		/* BPFILTER_LBVS_MIN: the threshold, for tests that run the
		 * bpfilter command (as BPFILTER_SEG_RULES in load/seg.c);
		 * BPFILTER_LBVS_MAX_BYTES: the budget of one search (small:
		 * chains split into several searches, for such tests) */
		const char *v = getenv("BPFILTER_LBVS_MIN");
		const char *b = getenv("BPFILTER_LBVS_MAX_BYTES");

		env_read = true;
		if (v && *v)
			options.min_members = strtoul(v, NULL, 10) ?: 1;
		if (b && *b)
			options.max_bytes = strtoull(b, NULL, 10) ?: 1;
	}
	if (!options.enabled || !chain->n_rules)
		return 0;
	l = lbvs_new(chain, chain->n_rules);
	if (l)
		l->iface = sel_iface;
	tests = malloc(chain->n_rules);
	cut = malloc((chain->n_rules + 1) * sizeof(*cut));
	if (!l || !tests || !cut)
		goto nomem;
	for (size_t i = 0; i < chain->n_rules; i++) {
		const struct bf_rule *r = &chain->rules[i];
		uint8_t need[256];
		bool v6p = false;

		if (g < n_groups && i >= groups[g].first) {
			if (i + 1 >= groups[g].first + groups[g].n)
				g++;
			continue;
		}
		if (r->family != chain->family)
			continue;
		memcpy(need, l->need, sizeof(need));
		if (!member_preds(r, p, need, &v6p, sel_iface))
			continue;
		memcpy(l->need, need, sizeof(need));
		l->v6_proto |= v6p;
		tests[l->n_members] = 0;
		for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
			if (p[f].set)
				tests[l->n_members] |= (uint8_t)(1u << f);
		}
		l->rule_member[i] = l->n_members;
		l->member_rule[l->n_members++] = i;
	}
	if (l->n_members < options.min_members) {
		bf_lbvs_free(&l);
		goto out;
	}
	/* One search when it fits. Else partitions by the fields tested
	 * (lbvs_part.h), or parts, in rule order: each as long
	 * as its bound allows (the bound grows with the members, so a
	 * greedy cut is the fewest parts) and at most BF_LBVS_PART_MAX
	 * members; a part has at least one member, whose bound is a few
	 * KiB. */
	for (size_t m = 0; m < l->n_members; m++) {
		for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
			cnt[f] += tests[m] >> f & 1;
	}
	if (bf_lbvs_partition(chain, l,
			      l->n_members <= BF_LBVS_MAX_MEMBERS &&
				      vec_bound(cnt, l->n_members) <=
					      options.max_bytes))
		goto nomem;
	if (l->n_parts) {
		*out = l;
		l = NULL;
		goto out;
	}
	if (l->n_members <= BF_LBVS_MAX_MEMBERS &&
	    vec_bound(cnt, l->n_members) <= options.max_bytes) {
		l->summary = (uint32_t)(((l->n_members + 63) / 64 + 63) / 64);
		*out = l;
		l = NULL;
		goto out;
	}
	memset(cnt, 0, sizeof(cnt));
	for (size_t m = 0; m < l->n_members; m++) {
		size_t c2[BF_LBVS_FIELD_COUNT];

		memcpy(c2, cnt, sizeof(c2));
		for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
			c2[f] += tests[m] >> f & 1;
		if (m > first &&
		    (m - first >= BF_LBVS_PART_MAX ||
		     vec_bound(c2, m + 1 - first) > options.max_bytes)) {
			cut[n_cut++] = first;
			first = m;
			memset(c2, 0, sizeof(c2));
			for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
				c2[f] = tests[m] >> f & 1;
		}
		memcpy(cnt, c2, sizeof(cnt));
	}
	if (!n_cut) {
		l->summary = (uint32_t)(((l->n_members + 63) / 64 + 63) / 64);
		*out = l;
		l = NULL;
		goto out;
	}
	cut[n_cut++] = first;
	cut[n_cut] = l->n_members;
	l->parts = calloc(n_cut, sizeof(*l->parts));
	if (!l->parts)
		goto nomem;
	for (size_t k = 0; k < n_cut; k++) {
		l->parts[k] = make_part(chain, l, cut[k], cut[k + 1] - cut[k]);
		if (!l->parts[k])
			goto nomem;
		l->n_parts = k + 1;
	}
	*out = l;
	l = NULL;
out:
	free(tests);
	free(cut);
	return 0;
nomem:
	bf_lbvs_free(&l);
	free(tests);
	free(cut);
	return -ENOMEM;
}

/* ---- classes ---- */

/* Distinct vectors of W words (the members' bits), by hash. */
struct classes {
	uint32_t w; /* data words per vector */
	uint64_t *vec; /* n * w */
	uint32_t n, cap;
	uint32_t *ht; /* class + 1, 0 = free */
	uint32_t ht_cap;
};

static uint64_t vec_hash(const uint64_t *v, uint32_t w)
{
	uint64_t h = 1469598103934665603ull;

	for (uint32_t i = 0; i < w; i++)
		h = (h ^ v[i]) * 1099511628211ull;
	/* The table takes the low bits, and a product's low bits depend on
	 * its factors' low bits only: vectors that differ in high bits of
	 * a word (members 40-63 of it) all landed in a few buckets, and
	 * class_of() compared them in long runs. Mix the high bits down. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static int classes_rehash(struct classes *c, uint32_t cap)
{
	uint32_t *ht = calloc(cap, sizeof(*ht));

	if (!ht)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t h =
			(uint32_t)vec_hash(c->vec + (size_t)i * c->w, c->w) &
			(cap - 1);

		while (ht[h])
			h = (h + 1) & (cap - 1);
		ht[h] = i + 1;
	}
	free(c->ht);
	c->ht = ht;
	c->ht_cap = cap;
	return 0;
}

/* The class of vector v (added if new), or -ENOMEM. */
static int64_t class_of(struct classes *c, const uint64_t *v)
{
	uint32_t h;

	if ((c->n + 1) * 2 > c->ht_cap &&
	    classes_rehash(c, c->ht_cap ? c->ht_cap * 2 : 256))
		return -ENOMEM;
	h = (uint32_t)vec_hash(v, c->w) & (c->ht_cap - 1);
	while (c->ht[h]) {
		uint32_t k = c->ht[h] - 1;

		if (!memcmp(c->vec + (size_t)k * c->w, v, c->w * 8))
			return k;
		h = (h + 1) & (c->ht_cap - 1);
	}
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 64;
		uint64_t *n = realloc(c->vec, (size_t)cap * c->w * 8);

		if (!n)
			return -ENOMEM;
		c->vec = n;
		c->cap = cap;
	}
	memcpy(c->vec + (size_t)c->n * c->w, v, c->w * 8);
	c->ht[h] = ++c->n;
	return c->n - 1;
}

static inline void flip(uint64_t *v, size_t m)
{
	v[m / 64] ^= 1ull << (m % 64);
}

/* Members whose predicate on f holds whatever the value: those without
 * one, and the negated ones (toggled off where their set holds). */
static void base_vec(const struct pred *preds, size_t n, int f, uint64_t *v,
		     uint32_t w)
{
	memset(v, 0, w * 8);
	for (size_t m = 0; m < n; m++) {
		const struct pred *p = &preds[m * BF_LBVS_FIELD_COUNT + f];

		if (!p->set || p->neg)
			flip(v, m);
	}
}

struct pref {
	uint8_t addr[16];
	uint8_t plen;
	int64_t member; /* -1: the root 0/0 */
};

static int alen_g; /* for the comparator */

static int pref_cmp(const void *a, const void *b)
{
	const struct pref *x = a, *y = b;
	int r = memcmp(x->addr, y->addr, (size_t)alen_g);

	if (r)
		return r;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return x->member < y->member ? -1 : x->member > y->member;
}

static bool contains(const struct pref *a, const struct pref *b)
{
	if (a->plen > b->plen)
		return false;
	for (int i = 0; i < a->plen / 8; i++) {
		if (a->addr[i] != b->addr[i])
			return false;
	}
	if (a->plen % 8) {
		uint8_t mk = (uint8_t)(0xff << (8 - a->plen % 8));

		if ((b->addr[a->plen / 8] & mk) != a->addr[a->plen / 8])
			return false;
	}
	return true;
}

static int build_addr(struct bf_lbvs *l, const struct pred *preds, int f,
		      struct classes *cl)
{
	/* interface names: 16 bytes */
	int alen = l->family == BF_FAMILY_INET6 || f >= BF_LBVS_IIF ? 16 : 4;
	struct bf_lbvs_fmap *fm = &l->fmap[f];
	size_t n = 1, n_nodes = 0;
	uint32_t w = cl->w;
	struct pref *ps;
	uint64_t *stack;
	size_t *stack_node, depth = 0;
	uint64_t *base;
	int r = -ENOMEM;

	ps = calloc(l->n_members + 1, sizeof(*ps));
	stack = malloc((size_t)(alen * 8 + 3) * w * 8);
	stack_node = malloc((size_t)(alen * 8 + 2) * sizeof(size_t));
	if (!ps || !stack || !stack_node)
		goto out;
	/* the vector of a node without a parent (computed once: each
	 * top-level prefix walked every member's predicate again) */
	base = stack + (size_t)(alen * 8 + 2) * w;
	base_vec(preds, l->n_members, f, base, w);
	ps[0].member = -1;
	for (size_t m = 0; m < l->n_members; m++) {
		const struct pred *p = &preds[m * BF_LBVS_FIELD_COUNT + f];

		if (!p->set)
			continue;
		memcpy(ps[n].addr, p->addr, 16);
		ps[n].plen = p->plen;
		ps[n].member = (int64_t)m;
		n++;
	}
	alen_g = alen;
	qsort(ps, n, sizeof(*ps), pref_cmp);
	fm->used = true;
	fm->lpm = true;
	fm->key_size = 4 + (uint32_t)alen;
	fm->keys = malloc(n * fm->key_size);
	fm->values = malloc(n * sizeof(uint32_t));
	if (!fm->keys || !fm->values)
		goto out;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		uint64_t *v;
		int64_t k;
		uint32_t plen = ps[i].plen;

		/* the nearest enclosing node is the parent */
		while (depth && !contains(&ps[stack_node[depth - 1]], &ps[i]))
			depth--;
		v = stack + depth * w;
		memcpy(v, depth ? stack + (depth - 1) * w : base, w * 8);
		stack_node[depth++] = i;
		for (; j < n && ps[j].plen == ps[i].plen &&
		       !memcmp(ps[j].addr, ps[i].addr, (size_t)alen);
		     j++) {
			if (ps[j].member >= 0)
				flip(v, (size_t)ps[j].member);
		}
		k = class_of(cl, v);
		if (k < 0)
			goto out;
		memcpy(fm->keys + n_nodes * fm->key_size, &plen, 4);
		memcpy(fm->keys + n_nodes * fm->key_size + 4, ps[i].addr,
		       (size_t)alen);
		fm->values[n_nodes++] = (uint32_t)k;
		i = j;
	}
	fm->n = (uint32_t)n_nodes;
	r = 0;
out:
	free(ps);
	free(stack);
	free(stack_node);
	return r;
}

struct event {
	uint32_t at;
	uint32_t member;
};

static int event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static int build_port(struct bf_lbvs *l, const struct pred *preds, int f,
		      struct classes *cl)
{
	struct bf_lbvs_fmap *fm = &l->fmap[f];
	struct event *ev = malloc(2 * l->n_members * sizeof(*ev) + 1);
	uint64_t *v = malloc(cl->w * 8);
	size_t n_ev = 0, e = 0;
	int r = -ENOMEM;

	fm->values = malloc(65536 * sizeof(uint32_t));
	if (!ev || !v || !fm->values)
		goto out;
	fm->used = true;
	fm->key_size = 4;
	fm->n = 65536;
	for (size_t m = 0; m < l->n_members; m++) {
		const struct pred *p = &preds[m * BF_LBVS_FIELD_COUNT + f];

		if (!p->set || p->lo > p->hi)
			continue;
		ev[n_ev++] = (struct event){ p->lo, (uint32_t)m };
		if (p->hi < 65535)
			ev[n_ev++] = (struct event){ p->hi + 1u, (uint32_t)m };
	}
	qsort(ev, n_ev, sizeof(*ev), event_cmp);
	base_vec(preds, l->n_members, f, v, cl->w);
	for (uint32_t at = 0; at < 65536;) {
		uint32_t next = 65536;
		int64_t k;

		while (e < n_ev && ev[e].at == at)
			flip(v, ev[e++].member);
		if (e < n_ev)
			next = ev[e].at;
		k = class_of(cl, v);
		if (k < 0)
			goto out;
		for (; at < next; at++)
			fm->values[at] = (uint32_t)k;
	}
	r = 0;
out:
	free(ev);
	free(v);
	return r;
}

/* Whether byte value x satisfies predicate p of field f. */
static bool byte_ok(const struct pred *p, int f, uint32_t x)
{
	if (!p->set)
		return true;
	if (f == BF_LBVS_PROTO)
		return (x == p->lo) != p->neg;
	/* tcp_mt(): (flags & mask) == cmp */
	return ((x & p->lo) == p->hi) != p->neg;
}

/* Members grouped by their predicate on a byte field: few distinct
 * predicates (tcp, udp; one flags test) are tested once per value, and
 * the vector is the OR of the groups' member masks. */
#define BYTE_GROUPS 64

/* BPFILTER_LBVS_BYTE_GROUPS=0: member by member (the same classes). */
static bool byte_groups(void)
{
	static int on = -1;

	if (on < 0) {
		const char *s = getenv("BPFILTER_LBVS_BYTE_GROUPS");

		on = !(s && !strcmp(s, "0"));
	}
	return on;
}

/* Protocol and TCP flags: 256 values, tested directly. */
static int build_byte(struct bf_lbvs *l, const struct pred *preds, int f,
		      struct classes *cl)
{
	struct bf_lbvs_fmap *fm = &l->fmap[f];
	uint64_t *v = malloc(cl->w * 8);
	/* group g: the predicate of its first member, its members */
	size_t first[BYTE_GROUPS], n_g = 0;
	uint64_t *masks = calloc((size_t)BYTE_GROUPS * cl->w, 8);
	int r = -ENOMEM;

	fm->values = malloc(256 * sizeof(uint32_t));
	if (!v || !masks || !fm->values)
		goto out;
	fm->used = true;
	fm->key_size = 4;
	fm->n = 256;
	if (!byte_groups())
		n_g = BYTE_GROUPS + 1;
	for (size_t m = 0; m < l->n_members && n_g <= BYTE_GROUPS; m++) {
		const struct pred *p = &preds[m * BF_LBVS_FIELD_COUNT + f];
		size_t g;

		for (g = 0; g < n_g; g++) {
			const struct pred *q =
				&preds[first[g] * BF_LBVS_FIELD_COUNT + f];

			if (p->set == q->set && p->neg == q->neg &&
			    p->lo == q->lo && p->hi == q->hi)
				break;
		}
		if (g == n_g) {
			if (n_g == BYTE_GROUPS) {
				n_g++; /* too many: member by member */
				break;
			}
			first[n_g++] = m;
		}
		flip(masks + g * cl->w, m);
	}
	for (uint32_t x = 0; x < 256; x++) {
		int64_t k;

		memset(v, 0, cl->w * 8);
		if (n_g <= BYTE_GROUPS) {
			for (size_t g = 0; g < n_g; g++) {
				const uint64_t *mk = masks + g * cl->w;
				size_t at = first[g] * BF_LBVS_FIELD_COUNT;

				if (!byte_ok(&preds[at + (size_t)f], f, x))
					continue;
				for (uint32_t j = 0; j < cl->w; j++)
					v[j] |= mk[j];
			}
		} else {
			for (size_t m = 0; m < l->n_members; m++) {
				size_t at = m * BF_LBVS_FIELD_COUNT;

				if (byte_ok(&preds[at + (size_t)f], f, x))
					flip(v, m);
			}
		}
		k = class_of(cl, v);
		if (k < 0)
			goto out;
		fm->values[x] = (uint32_t)k;
	}
	r = 0;
out:
	free(v);
	free(masks);
	return r;
}

int bf_lbvs_build(const struct bf_chain *chain, struct bf_lbvs *l)
{
	struct classes cl = { 0 };
	struct pred *preds;
	bool used[BF_LBVS_FIELD_COUNT] = { false };
	uint32_t vw = bf_lbvs_value_words(l), s = l->summary;
	int r = 0;

	for (size_t k = 0; k < l->n_parts; k++) {
		r = bf_lbvs_build(chain, l->parts[k]);
		if (r)
			return r;
	}
	if (l->n_parts)
		return 0;

	cl.w = (uint32_t)((l->n_members + 63) / 64);
	preds = calloc(l->n_members * BF_LBVS_FIELD_COUNT, sizeof(*preds));
	if (!preds)
		return -ENOMEM;
	for (size_t m = 0; m < l->n_members; m++) {
		uint8_t need[256] = { 0 };
		bool v6p = false;
		struct pred *p = &preds[m * BF_LBVS_FIELD_COUNT];

		member_preds(&chain->rules[l->member_rule[m]], p, need, &v6p,
			     l->iface);
		for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
			used[f] |= p[f].set;
	}
	for (int f = 0; f < BF_LBVS_FIELD_COUNT && !r; f++) {
		if (!used[f])
			continue;
		if (f <= BF_LBVS_DADDR || f >= BF_LBVS_IIF)
			r = build_addr(l, preds, f, &cl);
		else if (f == BF_LBVS_SPORT || f == BF_LBVS_DPORT)
			r = build_port(l, preds, f, &cl);
		else
			r = build_byte(l, preds, f, &cl);
	}
	free(preds);
	free(cl.ht);
	if (r) {
		free(cl.vec);
		return r;
	}
	/* the map values: summary words, then the data words, padded */
	l->vectors = calloc((size_t)cl.n * vw, 8);
	if (!l->vectors) {
		free(cl.vec);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < cl.n; k++) {
		uint64_t *out = l->vectors + (size_t)k * vw;

		for (uint32_t j = 0; j < cl.w; j++) {
			out[s + j] = cl.vec[(size_t)k * cl.w + j];
			if (out[s + j])
				out[j / 64] |= 1ull << (j % 64);
		}
	}
	l->n_classes = cl.n;
	free(cl.vec);
	return 0;
}

/* ---- split searches: one set of maps for all parts ---- */

static int key_alen_g;

/* LPM keys {u32 plen, address}: by address, then prefix length (the order
 * of build_addr(): a prefix before the prefixes it contains). */
static int key_cmp(const void *a, const void *b)
{
	const uint8_t *x = a, *y = b;
	uint32_t px, py;
	int r = memcmp(x + 4, y + 4, (size_t)key_alen_g);

	if (r)
		return r;
	memcpy(&px, x, 4);
	memcpy(&py, y, 4);
	return px < py ? -1 : px > py;
}

/* Whether LPM key a (a prefix) contains key b. */
static bool key_contains(const uint8_t *a, const uint8_t *b)
{
	struct pref x = { .plen = 0 }, y = { .plen = 0 };
	uint32_t p;

	memcpy(&p, a, 4);
	x.plen = (uint8_t)p;
	memcpy(x.addr, a + 4, (size_t)key_alen_g);
	memcpy(&p, b, 4);
	y.plen = (uint8_t)p;
	memcpy(y.addr, b + 4, (size_t)key_alen_g);
	return contains(&x, &y);
}

/* Address field f (0 saddr, 1 daddr) of the parts: the chain's distinct
 * prefixes (l->node[f]), and per part, in row k of the field's array, the
 * class of each node: the part's class of the longest of its own prefixes
 * that contains the node's (the nodes come in depth-first order, so the
 * nearest enclosing node on the stack gives it when the part does not
 * have the node's prefix itself). */
static int merge_addr(struct bf_lbvs *l, int f, const uint32_t *class_base)
{
	struct bf_lbvs_fmap *nm = &l->node[f], *fm = &l->fmap[f];
	uint32_t ks = 0, n = 0, *stack = NULL;
	size_t total = 0, np = l->n_parts, depth;
	uint8_t *all;

	for (size_t k = 0; k < np; k++) {
		const struct bf_lbvs_fmap *pm = &l->parts[k]->fmap[f];

		if (pm->used) {
			ks = pm->key_size;
			total += pm->n;
		}
	}
	if (!total)
		return 0;
	key_alen_g = (int)ks - 4;
	all = malloc(total * ks);
	if (!all)
		return -ENOMEM;
	total = 0;
	for (size_t k = 0; k < np; k++) {
		const struct bf_lbvs_fmap *pm = &l->parts[k]->fmap[f];

		if (!pm->used)
			continue;
		memcpy(all + total * ks, pm->keys, (size_t)pm->n * ks);
		total += pm->n;
	}
	qsort(all, total, ks, key_cmp);
	for (size_t i = 0; i < total; i++) {
		if (n && !key_cmp(all + (size_t)(n - 1) * ks, all + i * ks))
			continue;
		memmove(all + (size_t)n * ks, all + i * ks, ks);
		n++;
	}
	*nm = (struct bf_lbvs_fmap){
		.used = true, .lpm = true, .key_size = ks, .n = n, .keys = all
	};
	nm->values = malloc((size_t)n * sizeof(uint32_t));
	*fm = (struct bf_lbvs_fmap){ .used = true, .key_size = 4 };
	fm->n = (uint32_t)np * n;
	fm->values = calloc((size_t)np * n, sizeof(uint32_t));
	stack = malloc((size_t)n * sizeof(uint32_t));
	if (!nm->values || !fm->values || !stack) {
		free(stack);
		return -ENOMEM;
	}
	for (uint32_t g = 0; g < n; g++)
		nm->values[g] = g;
	for (size_t k = 0; k < np; k++) {
		struct bf_lbvs_fmap *pm = &l->parts[k]->fmap[f];
		uint32_t *row = fm->values + k * n, at = 0;

		if (!pm->used)
			continue;
		depth = 0;
		for (uint32_t g = 0; g < n; g++) {
			const uint8_t *key = all + (size_t)g * ks;

			while (depth &&
			       !key_contains(all + (size_t)stack[depth - 1] *
							     ks,
					     key))
				depth--;
			if (at < pm->n &&
			    !key_cmp(pm->keys + (size_t)at * ks, key)) {
				uint32_t v = pm->values[at++];

				row[g] = v == BF_LBVS_EMPTY ? v :
							      v + class_base[k];
			} else if (depth)
				row[g] = row[stack[depth - 1]];
			/* (no enclosing node: only 0/0 can be first, and
			 * every part has it) */
			stack[depth++] = g;
		}
		free(pm->keys);
		free(pm->values);
		pm->keys = NULL;
		pm->values = NULL;
		pm->lpm = false;
		pm->node = true;
		pm->key_size = 4;
		pm->key_add = (uint32_t)(k * n);
		pm->n = n;
	}
	free(stack);
	return 0;
}

int bf_lbvs_merge(struct bf_lbvs *l)
{
	size_t np = l->n_parts;
	uint32_t *class_base, vw = 0;
	uint64_t t = 0;
	int r = 0;

	if (!np)
		return 0;
	class_base = calloc(np, sizeof(*class_base));
	if (!class_base)
		return -ENOMEM;
	for (size_t k = 0; k < np; k++) {
		struct bf_lbvs *p = l->parts[k];

		if (l->scatter)
			bf_lbvs_part_empty(p);
		class_base[k] = (uint32_t)t;
		t += p->n_classes;
		if (bf_lbvs_value_words(p) > vw)
			vw = bf_lbvs_value_words(p);
		/* the slow path's classes, by the chain's ids */
		for (size_t s = 0; s < p->n_slow; s++) {
			p->slow[s].rd += class_base[k];
			p->slow[s].nrd += class_base[k];
		}
	}
	l->vectors = calloc(t ? t * vw : 1, 8);
	if (!l->vectors) {
		free(class_base);
		return -ENOMEM;
	}
	l->n_classes = (uint32_t)t;
	l->vec_words = vw;
	for (size_t k = 0; k < np; k++) {
		struct bf_lbvs *p = l->parts[k];
		uint32_t pw = bf_lbvs_value_words(p);

		for (uint32_t c = 0; c < p->n_classes; c++)
			memcpy(l->vectors + (size_t)(class_base[k] + c) * vw,
			       p->vectors + (size_t)c * pw, pw * 8);
		free(p->vectors);
		p->vectors = NULL;
	}
	/* array fields: row k of part k, by the packet's value */
	for (int f = BF_LBVS_PROTO; f <= BF_LBVS_FLAGS && !r; f++) {
		struct bf_lbvs_fmap *fm = &l->fmap[f];
		uint32_t n = f == BF_LBVS_SPORT || f == BF_LBVS_DPORT ? 65536 :
									256;

		for (size_t k = 0; k < np; k++) {
			struct bf_lbvs_fmap *pm = &l->parts[k]->fmap[f];

			if (!pm->used)
				continue;
			if (!fm->used) {
				*fm = (struct bf_lbvs_fmap){ .used = true,
							     .key_size = 4,
							     .n = (uint32_t)np *
								  n };
				fm->values = calloc((size_t)np * n, 4);
				if (!fm->values) {
					r = -ENOMEM;
					break;
				}
			}
			for (uint32_t v = 0; v < n; v++)
				fm->values[k * n + v] =
					pm->values[v] == BF_LBVS_EMPTY ?
						BF_LBVS_EMPTY :
						pm->values[v] + class_base[k];
			free(pm->values);
			pm->values = NULL;
			pm->key_add = (uint32_t)(k * n);
		}
	}
	for (int f = 0; f < 2 && !r; f++)
		r = merge_addr(l, f, class_base);
	free(class_base);
	return r;
}

int bf_lbvs_select_nf(const struct bf_chain *chain,
		      const struct bf_fold_group *groups, size_t n_groups,
		      bool nf, struct bf_lbvs **out)
{
	bool any = false;
	int r;

	sel_iface = nf;
	r = bf_lbvs_select(chain, groups, n_groups, out);
	sel_iface = false;
	if (r || !*out || !nf || !(*out)->n_parts)
		return r;
	/* split searches share their address maps (bf_lbvs_merge()), not
	 * made for names: such a chain keeps -i / -o rules linear */
	for (size_t m = 0; m < (*out)->n_members && !any; m++) {
		const struct bf_rule *ru =
			&chain->rules[(*out)->member_rule[m]];

		for (size_t i = 0; i < ru->n_matches; i++)
			any |= ru->matches[i].type == BF_MATCH_IIFNAME ||
			       ru->matches[i].type == BF_MATCH_OIFNAME;
	}
	if (!any)
		return 0;
	bf_lbvs_free(out);
	return bf_lbvs_select(chain, groups, n_groups, out);
}
