// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft named sets as ruleset sets (include/bpfilter/set.h), for
 * bf_nft_lower_sets(): the sets whose membership the ipset model gives
 * exactly become BPF maps that `bpfilter set add|delete` change in place;
 * the others stay inlined into the rules by the lowering (lower.c).
 *
 * Mapped (doc/front-nft.md, "Named sets as maps"):
 *  - `type ipv4_addr` / `type ipv6_addr` without flags: ipset hash:ip of
 *    family inet / inet6 (a hash map of exact addresses);
 *  - the same with `flags interval`: ipset hash:net (an LPM trie). nft
 *    interval set membership is "some element contains the address"
 *    (nft_set_rbtree / pipapo lookups); an LPM lookup without nomatch
 *    elements answers "found" exactly when some prefix contains the key,
 *    so the boolean is the same. Ranges are cut into prefixes here (the
 *    exact cover of [lo, hi], as the ipset text can only say prefixes).
 * Not mapped (inlined as before): maps, concatenations, other key types,
 * timeout/dynamic sets, names longer than ipset's 31 bytes, and a
 * non-interval set holding the all-zero address (hash_ip4_uadt() refuses
 * it). A /0 element of an interval set becomes its two /1 halves (ipset
 * has no /0: hash_net4_uadt() needs a cidr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/set.h"
#include "front/nft/nft.h"

typedef unsigned __int128 u128;

static u128 to_u128(const uint8_t *b, int width)
{
	u128 v = 0;

	for (int i = 0; i < width; i++)
		v = v << 8 | b[i];
	return v;
}

static void from_u128(u128 v, uint8_t *b, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static bool all_zero(const uint8_t *b, int width)
{
	for (int i = 0; i < width; i++)
		if (b[i])
			return false;
	return true;
}

/* Add the prefixes that cover [lo, hi] exactly (largest aligned block at
 * lo each time, at most /1: the whole space is two /1 halves, as ipset
 * has no /0). 0 or -errno. */
static int add_range(struct bf_set *set, u128 lo, u128 hi, int width, int line)
{
	int bits = 8 * width;

	if (lo > hi)
		return -EINVAL;
	for (int guard = 0; guard < 2 * 128 + 2; guard++) {
		struct bf_set_elem e = { 0 };
		int k = 0; /* host bits of the block */
		int r;

		/* the largest k with lo aligned to 2^k and lo + 2^k - 1 <= hi */
		while (k < bits) {
			u128 size = (u128)1 << (k + 1);
			if (k + 1 == bits)
				break;
			if (lo & (size - 1))
				break;
			if (lo + size - 1 > hi || lo + size - 1 < lo)
				break;
			k++;
		}
		from_u128(lo, e.key, width);
		from_u128(lo + (((u128)1 << k) - 1), e.hi, width);
		e.line = line;
		r = bf_set_add_elem(set, &e);
		if (r)
			return r;
		if (lo + (((u128)1 << k) - 1) >= hi)
			return 0;
		lo += (u128)1 << k;
	}
	return -E2BIG;
}

int nft_set_to_bf(const struct bf_nft_set *ns, enum bf_family fam,
		  struct bf_set *out)
{
	bool v6 = fam == BF_FAMILY_INET6;
	bool interval = ns->flags & BF_NFT_SET_INTERVAL;
	int width = v6 ? 16 : 4;
	int r;

	memset(out, 0, sizeof(*out));
	if (ns->is_map || ns->n_key != 1 ||
	    ns->key[0] != (v6 ? BF_NFT_DT_IPV6 : BF_NFT_DT_IPV4) ||
	    (ns->flags & (BF_NFT_SET_TIMEOUT | BF_NFT_SET_DYNAMIC)) ||
	    strlen(ns->name) >= BF_SET_NAME_MAX)
		return 1;
	snprintf(out->name, sizeof(out->name), "%s", ns->name);
	out->origin = BF_SET_ORIGIN_IPSET;
	out->family = fam;
	out->n_dims = 1;
	out->dims[0].type = BF_SET_DIM_ADDR;
	out->interval_dim = interval ? 0 : -1;
	if (interval)
		out->flags |= BF_SET_F_NOMATCH_TYPE; /* as ipset's hash:net */
	snprintf(out->type, sizeof(out->type), "%s",
		 interval ? "hash:net" : "hash:ip");
	snprintf(out->create_opts, sizeof(out->create_opts), "family %s",
		 v6 ? "inet6" : "inet");
	out->line = ns->loc.line;
	out->has_elems = true;
	r = bf_set_layout(out);
	if (r)
		return r;
	for (size_t i = 0; ns->elems && i < ns->elems->n_sub; i++) {
		const struct bf_nft_expr *el = ns->elems->sub[i];
		u128 lo, hi;

		if (el->kind == BF_NFT_E_VALUE) {
			lo = hi = to_u128(el->bytes, width);
		} else if (el->kind == BF_NFT_E_PREFIX && interval) {
			unsigned int plen = el->plen;
			u128 host;
			if (plen > 8u * width) {
				bf_set_release(out);
				return 1;
			}
			if (plen == 0)
				host = width == 16 ? ~(u128)0 :
						     (((u128)1 << 32) - 1);
			else
				host = plen == 8u * width ?
					       0 :
					       (((u128)1
						 << (8 * width - plen)) -
						1);
			lo = to_u128(el->sub[0]->bytes, width) & ~host;
			hi = lo | host;
		} else if (el->kind == BF_NFT_E_RANGE && interval) {
			lo = to_u128(el->sub[0]->bytes, width);
			hi = to_u128(el->sub[1]->bytes, width);
		} else {
			bf_set_release(out);
			return 1;
		}
		if (!interval) {
			struct bf_set_elem e = { 0 };
			if (all_zero(el->bytes, width)) {
				bf_set_release(out);
				return 1;
			}
			memcpy(e.key, el->bytes, width);
			memcpy(e.hi, el->bytes, width);
			e.line = el->loc.line;
			r = bf_set_add_elem(out, &e);
		} else {
			r = add_range(out, lo, hi, width, el->loc.line);
		}
		if (r) {
			bf_set_release(out);
			return r;
		}
	}
	return 0;
}

struct ival {
	u128 lo, hi;
};

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void print_addr(FILE *out, u128 v, int width)
{
	uint8_t b[16];
	char buf[INET6_ADDRSTRLEN];

	from_u128(v, b, width);
	inet_ntop(width == 16 ? AF_INET6 : AF_INET, b, buf, sizeof(buf));
	fputs(buf, out);
}

int nft_set_print_decl(FILE *out, const struct bf_set *set)
{
	int width = set->family == BF_FAMILY_INET6 ? 16 : 4;
	bool interval = set->interval_dim == 0;
	struct ival *iv;
	size_t n = 0;

	if (set->n_dims != 1 || set->dims[0].type != BF_SET_DIM_ADDR ||
	    set->is_list ||
	    (set->flags & (BF_SET_F_TIMEOUT | BF_SET_F_COUNTERS)) ||
	    (!interval && set->netmask && set->netmask != 8 * width) ||
	    strlen(set->name) >= BF_SET_NAME_MAX) {
		fprintf(out, "\t# set %s has no nft form\n", set->name);
		return -EOPNOTSUPP;
	}
	iv = calloc(set->n_elems + 1, sizeof(*iv));
	if (!iv)
		return -ENOMEM;
	for (size_t i = 0; i < set->n_elems; i++) {
		const struct bf_set_elem *e = &set->elems[i];
		if (e->nomatch) {
			free(iv);
			fprintf(out,
				"\t# set %s (nomatch elements) has no nft form\n",
				set->name);
			return -EOPNOTSUPP;
		}
		iv[n].lo = to_u128(e->key, width);
		iv[n].hi = interval ? to_u128(e->hi, width) : iv[n].lo;
		n++;
	}
	/* nft refuses overlapping intervals: print the union (the same
	 * membership as the LPM lookup without nomatch elements) */
	qsort(iv, n, sizeof(*iv), cmp_ival);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && iv[i].lo <= iv[k - 1].hi + 1 &&
		    iv[k - 1].hi + 1 != 0) {
			if (iv[i].hi > iv[k - 1].hi)
				iv[k - 1].hi = iv[i].hi;
			continue;
		}
		if (k && iv[k - 1].hi + 1 == 0)
			continue; /* already up to the top */
		iv[k++] = iv[i];
	}
	fprintf(out, "\tset %s {\n\t\ttype %s\n", set->name,
		width == 16 ? "ipv6_addr" : "ipv4_addr");
	if (interval)
		fputs("\t\tflags interval\n", out);
	if (k) {
		fputs("\t\telements = { ", out);
		for (size_t i = 0; i < k; i++) {
			uint8_t lo[16], hi[16];
			int plen;

			if (i)
				fputs(", ", out);
			from_u128(iv[i].lo, lo, width);
			from_u128(iv[i].hi, hi, width);
			print_addr(out, iv[i].lo, width);
			if (iv[i].lo == iv[i].hi)
				continue;
			if (bf_set_range_prefix(lo, hi, width, &plen)) {
				fprintf(out, "/%d", plen);
			} else {
				fputc('-', out);
				print_addr(out, iv[i].hi, width);
			}
		}
		fputs(" }\n", out);
	}
	fputs("\t}\n", out);
	free(iv);
	return ferror(out) ? -EIO : 0;
}
