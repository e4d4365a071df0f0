// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fold pass: runs of rules that differ only in exact-match fields
 * become one hash lookup. See opt.h for the contract and
 * doc/classification.md for why each restriction keeps iptables'
 * semantics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opt/opt.h"

static struct bf_fold_options options = {
	.enabled = true,
	.min_rules = 8,
};

void bf_fold_set_options(const struct bf_fold_options *o)
{
	options = *o;
	if (options.min_rules < 2)
		options.min_rules = 2;
}

void bf_fold_get_options(struct bf_fold_options *o)
{
	*o = options;
}

/* The key field of an exact match, or -1 if m cannot be a key part. */
static int key_field(const struct bf_rule *r, const struct bf_match *m)
{
	int alen = r->family == BF_FAMILY_INET6 ? 16 : 4;

	if (m->neg)
		return -1;
	switch (m->type) {
	case BF_MATCH_SADDR:
	case BF_MATCH_DADDR:
		/* any mask: a run whose rules share it asks for the masked
		 * address to equal the rule's, an exact question */
		for (int i = alen; i < 16; i++) {
			if (m->u.addr.mask[i])
				return -1;
		}
		return m->type == BF_MATCH_SADDR ? BF_FOLD_SADDR :
						   BF_FOLD_DADDR;
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT:
		/* nft evaluation reads other bytes (pctx.nft_*) */
		if (m->u.ports.lo != m->u.ports.hi || m->nft != BF_NFT_OFF)
			return -1;
		return m->type == BF_MATCH_SPORT ? BF_FOLD_SPORT :
						   BF_FOLD_DPORT;
	case BF_MATCH_L4PROTO:
		/* IPv6 protocol matches hotdrop on a header walk error:
		 * they stay common matches. */
		if (r->family != BF_FAMILY_INET4 || m->u.proto == 0)
			return -1;
		return BF_FOLD_PROTO;
	default:
		return -1;
	}
}

bool bf_fold_can_hotdrop(const struct bf_rule *rule, const struct bf_match *m)
{
	/* nft evaluation never hotdrops: a header that cannot be read
	 * fails the match (NFT_BREAK) */
	if (m->nft != BF_NFT_OFF)
		return false;
	return m->type == BF_MATCH_L4HDR ||
	       (m->type == BF_MATCH_L4PROTO && rule->family == BF_FAMILY_INET6);
}

/* Two non-key matches at the same position of two rules: true if they
 * are the same test. Only matches without side effects qualify (a limit
 * or statistic match changes state when it is evaluated, so it must run
 * once per rule reached, never once per group). */
static bool same_common(const struct bf_match *a, const struct bf_match *b)
{
	if (a->type != b->type || a->neg != b->neg || a->nft != b->nft)
		return false;
	switch (a->type) {
	case BF_MATCH_L4PROTO:
		return a->u.proto == b->u.proto;
	case BF_MATCH_SADDR:
	case BF_MATCH_DADDR:
		return !memcmp(&a->u.addr, &b->u.addr, sizeof(a->u.addr));
	case BF_MATCH_IIFNAME:
	case BF_MATCH_OIFNAME:
		return a->u.iface.cmp_len == b->u.iface.cmp_len &&
		       !strncmp(a->u.iface.name, b->u.iface.name, BF_IFNAMSIZ);
	case BF_MATCH_FRAG:
	case BF_MATCH_COMMENT:
		return true;
	case BF_MATCH_L4HDR:
		/* min_len 0 hotdrops inline: not folded (nft's gates have
		 * min_len >= 1) */
		return a->u.l4hdr.min_len > 0 &&
		       a->u.l4hdr.proto == b->u.l4hdr.proto &&
		       a->u.l4hdr.min_len == b->u.l4hdr.min_len &&
		       a->u.l4hdr.hotdrop_frag1 == b->u.l4hdr.hotdrop_frag1;
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT:
		return a->u.ports.lo == b->u.ports.lo &&
		       a->u.ports.hi == b->u.ports.hi;
	case BF_MATCH_TCPFLAGS:
		return a->u.tcpflags.mask == b->u.tcpflags.mask &&
		       a->u.tcpflags.cmp == b->u.tcpflags.cmp;
	case BF_MATCH_ICMP:
		return a->u.icmp.type == b->u.icmp.type &&
		       a->u.icmp.code_lo == b->u.icmp.code_lo &&
		       a->u.icmp.code_hi == b->u.icmp.code_hi;
	case BF_MATCH_MULTIPORT:
		if (a->u.multiport.dir != b->u.multiport.dir ||
		    a->u.multiport.count != b->u.multiport.count ||
		    a->u.multiport.count > BF_MULTIPORT_MAX)
			return false;
		for (int i = 0; i < a->u.multiport.count; i++) {
			if (a->u.multiport.ports[i] !=
				    b->u.multiport.ports[i] ||
			    a->u.multiport.is_range[i] !=
				    b->u.multiport.is_range[i])
				return false;
		}
		return true;
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE:
		return !memcmp(&a->u.range, &b->u.range, sizeof(a->u.range));
	case BF_MATCH_CTSTATE:
		return a->u.ctstate.mask == b->u.ctstate.mask;
	case BF_MATCH_LENGTH:
		return a->u.length.min == b->u.length.min &&
		       a->u.length.max == b->u.length.max;
	case BF_MATCH_TTL:
		return a->u.ttl.op == b->u.ttl.op &&
		       a->u.ttl.value == b->u.ttl.value;
	case BF_MATCH_MARK:
	case BF_MATCH_CONNMARK:
		return a->u.mark.value == b->u.mark.value &&
		       a->u.mark.mask == b->u.mark.mask;
	case BF_MATCH_PKTTYPE:
		return a->u.pkttype.pkttype == b->u.pkttype.pkttype;
	case BF_MATCH_MAC:
		return !memcmp(a->u.mac.addr, b->u.mac.addr, 6);
	default:
		return false;
	}
}

static bool terminal(enum bf_verdict_kind k)
{
	return k == BF_VERDICT_ACCEPT || k == BF_VERDICT_DROP ||
	       k == BF_VERDICT_RETURN;
}

/* Can rule b join a group that starts with rule a? (a == b: can a start
 * one?) */
static bool compatible(const struct bf_rule *a, const struct bf_rule *b)
{
	size_t keys = 0;

	if (a->family != b->family || a->n_matches != b->n_matches ||
	    !terminal(a->verdict.kind) || !terminal(b->verdict.kind) ||
	    a->n_matches > 255)
		return false;
	for (size_t p = 0; p < a->n_matches; p++) {
		const struct bf_match *ma = &a->matches[p],
				      *mb = &b->matches[p];
		int fa = key_field(a, ma), fb = key_field(b, mb);

		if (fa != fb)
			return false;
		if (fa >= 0) {
			/* addresses under different masks are not one
			 * exact question */
			if ((fa == BF_FOLD_SADDR || fa == BF_FOLD_DADDR) &&
			    memcmp(ma->u.addr.mask, mb->u.addr.mask, 16))
				return false;
			keys++;
			continue;
		}
		if (!same_common(ma, mb))
			return false;
	}
	return keys > 0 && keys <= BF_FOLD_PARTS_MAX;
}

bool bf_fold_compatible(const struct bf_rule *a, const struct bf_rule *b)
{
	return compatible(a, b);
}

static uint8_t field_size(const struct bf_rule *r, int field)
{
	switch (field) {
	case BF_FOLD_SADDR:
	case BF_FOLD_DADDR:
		return r->family == BF_FAMILY_INET6 ? 16 : 4;
	case BF_FOLD_SPORT:
	case BF_FOLD_DPORT:
		return 2;
	default:
		return 1;
	}
}

/* Order the parts of a group's first rule: largest first, then by
 * position, so every part is naturally aligned after the group id. */
static void make_parts(struct bf_fold_group *g, const struct bf_rule *r)
{
	static const uint8_t sizes[] = { 16, 4, 2, 1 };

	g->n_parts = 0;
	for (size_t s = 0; s < sizeof(sizes); s++) {
		for (size_t p = 0; p < r->n_matches; p++) {
			int f = key_field(r, &r->matches[p]);

			if (f < 0 || field_size(r, f) != sizes[s])
				continue;
			g->parts[g->n_parts] = (struct bf_fold_part){
				.pos = (uint8_t)p,
				.field = (uint8_t)f,
				.size = sizes[s],
			};
			if (f == BF_FOLD_SADDR || f == BF_FOLD_DADDR)
				memcpy(g->parts[g->n_parts].mask,
				       r->matches[p].u.addr.mask, 16);
			g->n_parts++;
		}
	}
	g->key_size = bf_fold_layout(g, SIZE_MAX, g->parts, &g->n_parts);
}

uint8_t bf_fold_layout(const struct bf_fold_group *g, size_t upto,
		       struct bf_fold_part *parts, uint8_t *n_parts)
{
	struct bf_fold_part tmp[BF_FOLD_PARTS_MAX];
	uint8_t n = 0, off = 4;

	for (uint8_t i = 0; i < g->n_parts; i++) {
		if (g->parts[i].pos >= upto)
			continue;
		tmp[n] = g->parts[i];
		tmp[n].off = off;
		off = (uint8_t)(off + tmp[n].size);
		n++;
	}
	memcpy(parts, tmp, n * sizeof(*tmp));
	*n_parts = n;
	return (uint8_t)((off + 3) & ~3);
}

bool bf_fold_is_key(const struct bf_fold_group *g, size_t pos)
{
	for (uint8_t i = 0; i < g->n_parts; i++) {
		if (g->parts[i].pos == pos)
			return true;
	}
	return false;
}

void bf_fold_key(const struct bf_fold_part *parts, uint8_t n_parts,
		 uint8_t key_size, uint32_t gid, const struct bf_rule *rule,
		 uint8_t *key)
{
	memset(key, 0, BF_FOLD_KEY_MAX);
	memcpy(key, &gid, 4);
	for (uint8_t i = 0;
	     i < n_parts && parts[i].off + parts[i].size <= key_size; i++) {
		const struct bf_match *m = &rule->matches[parts[i].pos];
		uint8_t *at = key + parts[i].off;

		switch (parts[i].field) {
		case BF_FOLD_SADDR:
		case BF_FOLD_DADDR:
			for (uint8_t b = 0; b < parts[i].size; b++)
				at[b] = m->u.addr.addr[b] & parts[i].mask[b];
			break;
		case BF_FOLD_SPORT:
		case BF_FOLD_DPORT:
			/* host order, as in the packet context */
			memcpy(at, &m->u.ports.lo, 2);
			break;
		default:
			*at = m->u.proto;
			break;
		}
	}
}

int bf_fold_chain(const struct bf_chain *chain, struct bf_fold_group **groups,
		  size_t *n_groups)
{
	struct bf_fold_group *out = NULL;
	size_t n = 0, cap = 0, i = 0;

	*groups = NULL;
	*n_groups = 0;
	if (!options.enabled)
		return 0;
	while (i < chain->n_rules) {
		const struct bf_rule *a = &chain->rules[i];
		size_t j = i + 1;

		if (!compatible(a, a)) {
			i++;
			continue;
		}
		/* counters are addressed as first + index: consecutive */
		while (j < chain->n_rules &&
		       chain->rules[j].counter_idx ==
			       a->counter_idx + (uint32_t)(j - i) &&
		       compatible(a, &chain->rules[j]))
			j++;
		if (j - i < options.min_rules) {
			i = j;
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct bf_fold_group *g =
				realloc(out, ncap * sizeof(*g));

			if (!g) {
				free(out);
				return -ENOMEM;
			}
			out = g;
			cap = ncap;
		}
		memset(&out[n], 0, sizeof(out[n]));
		out[n].first = i;
		out[n].n = j - i;
		make_parts(&out[n], a);
		n++;
		i = j;
	}
	*groups = out;
	*n_groups = n;
	return 0;
}
