// SPDX-License-Identifier: GPL-2.0-only
/*
 * The set match in the IR interpreter (include/bpfilter/eval.h): what
 * ip_set_test() answers for a parsed packet, from the elements of the
 * model, with the packet fields taken as src/lib/cgen/m_set.c takes them
 * (see there for the kernel functions followed).
 */
#include <errno.h>
#include <string.h>

#include "bpfilter/eval.h"
#include "bpfilter/set.h"

#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_ICMPV6 58
#define P_SCTP 132
#define P_UDPLITE 136

/* ip_set_get_ip4_port() / _ip6_port(); bare: bitmap:port (TCP, UDP) or an
 * nft service (any port protocol). false: no port. */
static bool packet_port(const struct bf_eval_pkt *p, bool dst, bool bare,
			bool nft, uint8_t *proto, uint16_t *port)
{
	uint8_t pr = p->l4proto;
	bool ports = pr == P_TCP || pr == P_UDP || pr == P_SCTP ||
		     pr == P_UDPLITE;
	/* an nft set: nft_payload_eval() loads the field's two bytes */
	uint32_t need = nft	     ? (dst ? 4u : 2u) :
			pr == P_TCP  ? 20 :
			pr == P_SCTP ? 12 :
				       8;

	*proto = pr;
	*port = 0;
	if (p->family == BF_FAMILY_INET6) {
		if (p->fragoff || p->l6err)
			return false;
	} else {
		if (!pr)
			return false;
		if (p->fragoff)
			return !bare && !ports && pr != P_ICMP;
	}
	if (bare) {
		if (!(pr == P_TCP || pr == P_UDP ||
		      (nft && (pr == P_SCTP || pr == P_UDPLITE))))
			return false;
	}
	if (ports) {
		if (p->avail < need)
			return false;
		*port = dst ? p->dport : p->sport;
		return true;
	}
	if (pr == P_ICMP || pr == P_ICMPV6) {
		if (p->avail < 8)
			return false;
		*port = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
	}
	return true;
}

/* The key of the packet in the model's layout: 1; 0: "not in set";
 * -EOPNOTSUPP: a dimension the program does not compile either. */
static int packet_key(const struct bf_set *set, const struct bf_match *m,
		      const struct bf_eval_pkt *p, uint8_t *key)
{
	bool nft = set->origin == BF_SET_ORIGIN_NFT || set->nft;

	memset(key, 0, BF_SET_KEY_MAX);
	for (int i = 0; i < set->n_dims; i++) {
		const struct bf_set_dim *d = &set->dims[i];
		bool dst = m->u.set.flags & (1u << i);
		uint8_t *k = key + d->off;
		uint8_t proto;
		uint16_t port;

		switch (d->type) {
		case BF_SET_DIM_ADDR:
			memcpy(k, dst ? p->daddr : p->saddr, d->width);
			break;
		case BF_SET_DIM_PROTO_PORT:
		case BF_SET_DIM_PORT: {
			bool bare = d->type == BF_SET_DIM_PORT;

			if (set->nft) {
				/* nft's view, as m_set.c's emit_nft_port() */
				if (p->nft_avail < (dst ? 4u : 2u))
					return 0;
				proto = set->nft_proto;
				port = dst ? p->nft_dport : p->nft_sport;
			} else if (!packet_port(p, dst, bare, nft, &proto,
						&port)) {
				return 0;
			}
			if (!bare) {
				*k++ = proto;
				*k++ = 0;
			}
			k[0] = (uint8_t)(port >> 8);
			k[1] = (uint8_t)port;
			break;
		}
		case BF_SET_DIM_PROTO:
			/* nft's meta l4proto on IPv6 (m_set.c): AH where
			 * nft's walk stops there, none on a walk error */
			if (set->nft && p->family == BF_FAMILY_INET6 &&
			    p->nft_ah)
				k[0] = 51;
			else if (set->nft && p->family == BF_FAMILY_INET6 &&
				 p->l6err)
				return 0;
			else
				k[0] = p->l4proto;
			break;
		case BF_SET_DIM_MARK:
			/* the mark (as MARK targets left it), big endian */
			k[0] = (uint8_t)(p->mark >> 24);
			k[1] = (uint8_t)(p->mark >> 16);
			k[2] = (uint8_t)(p->mark >> 8);
			k[3] = (uint8_t)p->mark;
			break;
		case BF_SET_DIM_IFACE: {
			const char *n = dst ? p->oif : p->iif;

			if (!n[0])
				return 0;
			strncpy((char *)k, n, BF_IFNAMSIZ);
			break;
		}
		default:
			/* MAC dimensions: not compiled (m_set.c) */
			return -EOPNOTSUPP;
		}
	}
	return 1;
}

/* One set (not a list): 1 in, 0 not in, -EOPNOTSUPP unknown elements. */
static int one(const struct bf_set *set, const struct bf_rule *rule,
	       const struct bf_match *m, const struct bf_eval_pkt *p)
{
	uint8_t key[BF_SET_KEY_MAX];
	const struct bf_set_elem *best = NULL;
	int iv = set->interval_dim, best_span = -1, kr;
	bool rn = m->u.set.return_nomatch &&
		  (set->flags & BF_SET_F_NOMATCH_TYPE);

	if (m->u.set.dim < set->n_dims ||
	    (rule->family != set->family && !bf_set_any_family(set)))
		return 0;
	if (!set->has_elems)
		return -EOPNOTSUPP;
	kr = packet_key(set, m, p, key);
	if (kr <= 0)
		return kr;
	for (size_t i = 0; i < set->n_elems; i++) {
		const struct bf_set_elem *e = &set->elems[i];
		const struct bf_set_dim *d;
		int span = 0;
		bool eq = true;

		for (int j = 0; j < set->n_dims && eq; j++) {
			d = &set->dims[j];
			if (j != iv)
				eq = !memcmp(e->key + d->off, key + d->off,
					     d->width);
		}
		if (!eq)
			continue;
		if (iv >= 0) {
			d = &set->dims[iv];
			if (memcmp(key + d->off, e->key + d->off, d->width) <
				    0 ||
			    memcmp(key + d->off, e->hi, d->width) > 0)
				continue;
			/* the most specific element: the smallest range */
			for (int b = 0; b < d->width; b++)
				span += __builtin_popcount(
					(unsigned)(e->key[d->off + b] ^
						   e->hi[b]));
		}
		/* later duplicates replace earlier ones, as in the map */
		if (!best || span <= best_span) {
			best = e;
			best_span = span;
		}
	}
	if (!best)
		return 0;
	if (m->u.set.vop == BF_SET_VOP_IS)
		/* the dispatch test: the IR interpreter looks the key up
		 * again (the IS match names the set and directions of the
		 * lookup whose verdict the program keeps) */
		return !best->nomatch && best->data == m->u.set.vdata;
	if (m->u.set.vop == BF_SET_VOP_LOOKUP && best->nomatch == rn)
		return (best->data >> 24) < 8 &&
		       ((m->u.set.vkinds >> (best->data >> 24)) & 1);
	return best->nomatch == rn;
}

int bf_set_eval(const struct bf_ruleset *rs, const struct bf_rule *rule,
		const struct bf_match *m, const struct bf_eval_pkt *p)
{
	const struct bf_set *set = bf_ruleset_set(rs, m->u.set.name);

	if (!set)
		return -ENOENT;
	if (!set->is_list)
		return one(set, rule, m, p);
	/* list_set_ktest(): the first member answering "in set" */
	for (size_t i = 0; i < set->n_elems; i++) {
		const struct bf_set *ms =
			bf_ruleset_set(rs, (const char *)set->elems[i].key);
		int r;

		if (!ms || ms->is_list)
			continue;
		r = one(ms, rule, m, p);
		if (r)
			return r;
	}
	return 0;
}
