// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft named sets as ruleset sets (include/bpfilter/set.h), for
 * bf_nft_lower_sets(): the sets whose membership the ipset model gives
 * exactly become BPF maps that `bpfilter set add|delete` change in place;
 * the others stay inlined into the rules by the lowering (lower.c).
 *
 * Mapped (doc/front-nft.md, "Named sets as BPF maps"), when every use
 * of the set in its table is the same form (nft_setmap_agree()):
 *  - `type ipv4_addr` / `type ipv6_addr` without flags: ipset hash:ip of
 *    family inet / inet6 (a hash map of exact addresses);
 *  - the same with `flags interval`: ipset hash:net (an LPM trie). nft
 *    interval set membership is "some element contains the address"
 *    (nft_set_rbtree / pipapo lookups); an LPM lookup without nomatch
 *    elements answers "found" exactly when some prefix contains the key,
 *    so the boolean is the same. Ranges are cut into prefixes here (the
 *    exact cover of [lo, hi], as the ipset text can only say prefixes).
 *  - `type inet_service` used as `tcp|udp sport|dport @s`: bitmap:port
 *    (no family, one entry per port), create option `nft`;
 *  - `type ipv4_addr . inet_service` used as `ip saddr . tcp dport @s`:
 *    hash:ip,port / hash:net,port whose elements all have the rules'
 *    protocol (create option `nft-proto tcp`);
 *  - verdict maps of those keys (not ports alone) whose values are all
 *    accept or drop, used as `lhs vmap @m`: hash:net / hash:net,port
 *    with create option `nft-vmap`, drop elements nomatch; the lowering
 *    looks the set up twice (the second time with --return-nomatch).
 * Sets with `nft` read ports as nft does (m_set.c, emit_nft_port()).
 * Not mapped (inlined as before): other maps, other concatenations and
 * key types, timeout/dynamic sets, names longer than ipset's 31 bytes,
 * and a non-interval set holding the all-zero address (hash_ip4_uadt()
 * refuses it). A /0 element of an interval set becomes its two /1
 * halves (ipset has no /0: hash_net4_uadt() needs a cidr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/set.h"
#include "front/nft/nft.h"
#include "front/nft/setmap.h"
#include "set/ipset.h"
#include "set/nftelem.h"

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

/* The rule-side field of a port dimension: `tcp|udp|sctp|udplite|dccp|th
 * sport|dport`, the two bytes at nft's transport offset (0 or 2) that
 * an nft set's lookup reads as nft_payload_fast_eval() does (m_set.c
 * emit_nft_port(), the same as the th match of m_nftlimit.c); the rule
 * keeps the protocol's gate (th: none). Its protocol (0 for th), or -1:
 * not one. */
static int port_field(const struct bf_nft_expr *e, bool *dst)
{
	const struct bf_nft_field *f = e->kind == BF_NFT_E_FIELD ? e->field :
								   NULL;

	if (!f || f->base != BF_NFT_BASE_TH ||
	    (f->l4proto != 6 && f->l4proto != 17 && f->l4proto != 0 &&
	     f->l4proto != 33 && f->l4proto != 132 && f->l4proto != 136) ||
	    (strcmp(f->name, "sport") && strcmp(f->name, "dport")))
		return -1;
	*dst = f->name[0] == 'd';
	return f->l4proto;
}

/* `ip|ip6 saddr|daddr` of family fam. */
static bool addr_field(const struct bf_nft_expr *e, enum bf_family fam,
		       bool *dst)
{
	const struct bf_nft_field *f = e->kind == BF_NFT_E_FIELD ? e->field :
								   NULL;

	if (!f || strcmp(f->proto, fam == BF_FAMILY_INET6 ? "ip6" : "ip") ||
	    (strcmp(f->name, "saddr") && strcmp(f->name, "daddr")))
		return false;
	*dst = f->name[1] == 'a' && f->name[0] == 'd';
	return true;
}

/* `meta KEY` (iifname, oifname, mark, l4proto). */
static bool meta_field(const struct bf_nft_expr *e, int id)
{
	const struct bf_nft_field *f = e->kind == BF_NFT_E_FIELD ? e->field :
								   NULL;

	return f && !strcmp(f->proto, "meta") && f->id == id;
}

/* The exact-key kinds (no interval dimension: hash:iface, hash:mark,
 * hash:proto, hash:ip,ip). 0 and *u filled, or 1. */
static int exact_use(const struct bf_nft_expr *lhs, const struct bf_nft_set *ns,
		     enum bf_family fam, struct nft_setuse *u)
{
	enum bf_nft_dtype addr = fam == BF_FAMILY_INET6 ? BF_NFT_DT_IPV6 :
							  BF_NFT_DT_IPV4;
	bool d0 = false, d1 = false;

	u->n_dims = 1;
	/* flags interval: only for names (wildcards, hash:ifprefix) */
	if ((ns->flags & BF_NFT_SET_INTERVAL) &&
	    (ns->n_key != 1 || ns->key[0] != BF_NFT_DT_IFNAME))
		return 1;
	if (ns->n_key == 1 && ns->key[0] == BF_NFT_DT_IFNAME &&
	    (meta_field(lhs, BF_NFT_META_IIFNAME) ||
	     meta_field(lhs, BF_NFT_META_OIFNAME))) {
		/* nft_meta_store_ifname(): the device's name, NUL padded
		 * to 16 bytes; hash:iface's src is the input device */
		u->kind = NFT_SETUSE_IFACE;
		u->dst = meta_field(lhs, BF_NFT_META_OIFNAME);
		return 0;
	}
	if (ns->n_key == 1 && ns->key[0] == BF_NFT_DT_MARK &&
	    meta_field(lhs, BF_NFT_META_MARK)) {
		u->kind = NFT_SETUSE_MARK;
		return 0;
	}
	if (ns->n_key == 1 && ns->key[0] == BF_NFT_DT_PROTO &&
	    (meta_field(lhs, BF_NFT_META_L4PROTO) ||
	     (fam == BF_FAMILY_INET4 && lhs->kind == BF_NFT_E_FIELD &&
	      !strcmp(lhs->field->proto, "ip") &&
	      !strcmp(lhs->field->name, "protocol")))) {
		/* IPv4: both are the header's protocol (pkt->tprot of
		 * nft_set_pktinfo_ipv4()); IPv6: meta l4proto is the
		 * walk's protocol (m_set.c, as m_nftbreak.c) */
		u->kind = NFT_SETUSE_PROTO;
		return 0;
	}
	if (ns->n_key == 2 && ns->key[0] == addr && ns->key[1] == addr &&
	    lhs->kind == BF_NFT_E_CONCAT && lhs->n_sub == 2 &&
	    addr_field(lhs->sub[0], fam, &d0) &&
	    addr_field(lhs->sub[1], fam, &d1)) {
		u->kind = NFT_SETUSE_ADDR_ADDR;
		u->n_dims = 2;
		u->dst = (d0 ? 1u : 0u) | (d1 ? 2u : 0u);
		return 0;
	}
	return 1;
}

int nft_setmap_use(const struct bf_nft_stmt *s, const struct bf_nft_set *ns,
		   enum bf_family fam, struct nft_setuse *u)
{
	enum bf_nft_dtype addr = fam == BF_FAMILY_INET6 ? BF_NFT_DT_IPV6 :
							  BF_NFT_DT_IPV4;
	const struct bf_nft_expr *lhs;
	bool d0 = false, d1 = false, jmap_ok = u->jmap_ok;

	memset(u, 0, sizeof(*u));
	u->jmap_ok = jmap_ok;
	if (s->kind != BF_NFT_S_MATCH ||
	    (ns->flags & (BF_NFT_SET_TIMEOUT | BF_NFT_SET_DYNAMIC)) ||
	    strlen(ns->name) >= BF_SET_NAME_MAX ||
	    s->u.match.rhs->kind != BF_NFT_E_SETREF)
		return 1;
	if (s->u.match.op == BF_NFT_OP_VMAP) {
		if (!ns->is_map || ns->data != BF_NFT_DT_VERDICT)
			return 1;
		u->vmap = true;
		/* jump, goto, return or continue values: dispatched */
		for (size_t i = 0; ns->elems && i < ns->elems->n_sub; i++) {
			const struct bf_nft_expr *el = ns->elems->sub[i];

			if (el->kind == BF_NFT_E_MAPPING && el->n_sub == 2 &&
			    el->sub[1]->kind == BF_NFT_E_VERDICT &&
			    el->sub[1]->op != BF_NFT_V_ACCEPT &&
			    el->sub[1]->op != BF_NFT_V_DROP)
				u->jmap = true;
		}
		if (u->jmap && !jmap_ok)
			return 1;
	} else if (ns->is_map || (s->u.match.op != BF_NFT_OP_IMPLICIT &&
				  s->u.match.op != BF_NFT_OP_EQ &&
				  s->u.match.op != BF_NFT_OP_NE)) {
		return 1;
	}
	lhs = s->u.match.lhs;
	if (!exact_use(lhs, ns, fam, u))
		return 0;
	if (ns->n_key == 1 && ns->key[0] == addr && addr_field(lhs, fam, &d0)) {
		u->kind = NFT_SETUSE_ADDR;
		u->n_dims = 1;
		u->dst = d0;
		return 0;
	}
	if (ns->n_key == 1 && ns->key[0] == BF_NFT_DT_SERVICE && !u->vmap) {
		/* bitmap:port has no nomatch: no verdict maps of ports */
		int proto = port_field(lhs, &d0);

		if (proto < 0)
			return 1;
		u->proto = (uint8_t)proto;
		u->kind = NFT_SETUSE_PORT;
		u->n_dims = 1;
		u->dst = d0;
		return 0;
	}
	if (ns->n_key == 2 && ns->key[0] == addr &&
	    ns->key[1] == BF_NFT_DT_SERVICE && lhs->kind == BF_NFT_E_CONCAT &&
	    lhs->n_sub == 2 && addr_field(lhs->sub[0], fam, &d0)) {
		int proto = port_field(lhs->sub[1], &d1);

		/* the proto:port key holds the protocol: nft-proto tcp|udp */
		if (proto != 6 && proto != 17)
			return 1;
		u->proto = (uint8_t)proto;
		u->kind = NFT_SETUSE_ADDR_PORT;
		u->n_dims = 2;
		u->dst = (d0 ? 1u : 0u) | (d1 ? 2u : 0u);
		return 0;
	}
	return 1;
}

/* Every rule expression of t naming set ns, in any position. */
static bool names_set(const struct bf_nft_expr *e, const char *name)
{
	if (!e)
		return false;
	if (e->kind == BF_NFT_E_SETREF && e->text && !strcmp(e->text, name))
		return true;
	for (size_t i = 0; i < e->n_sub; i++)
		if (names_set(e->sub[i], name))
			return true;
	return false;
}

bool nft_setmap_agree(const struct bf_nft_table *t, const struct bf_nft_set *ns,
		      enum bf_family fam, struct nft_setuse *u)
{
	u->table = t;
	/* a netdev table (targets.c hands it over as an inet one whose
	 * base chains keep their device) goes to tc or XDP, where the
	 * inlined names resolve per device and XDP has no mark: inlined */
	for (size_t i = 0; i < t->n_chains; i++)
		if (t->chains[i].hook != BF_NFT_HOOK_NONE &&
		    (t->chains[i].device || t->chains[i].n_devices) &&
		    (u->kind == NFT_SETUSE_IFACE || u->kind == NFT_SETUSE_MARK))
			return false;
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct bf_nft_chain *ch = &t->chains[i];

		for (size_t j = 0; j < ch->n_rules; j++) {
			const struct bf_nft_rule *r = &ch->rules[j];

			for (size_t k = 0; k < r->n_stmts; k++) {
				const struct bf_nft_stmt *s = &r->stmts[k];
				struct nft_setuse o = { .jmap_ok = u->jmap_ok };
				bool uses;

				if (s->kind == BF_NFT_S_MATCH)
					uses = names_set(s->u.match.rhs,
							 ns->name) ||
					       names_set(s->u.match.lhs,
							 ns->name);
				else if (s->kind == BF_NFT_S_SET)
					uses = names_set(s->u.set.lhs,
							 ns->name) ||
					       names_set(s->u.set.value,
							 ns->name);
				else
					continue;
				if (!uses)
					continue;
				/* a use of the other family's address (an
				 * inet table's ip6 rule of an ip set) is
				 * not lowered into this family */
				if (nft_setmap_use(s, ns, fam, &o)) {
					enum bf_family other =
						fam == BF_FAMILY_INET6 ?
							BF_FAMILY_INET4 :
							BF_FAMILY_INET6;
					if (u->kind != NFT_SETUSE_PORT &&
					    !nft_setmap_use(s, ns, other, &o))
						continue;
					return false;
				}
				if (o.kind != u->kind || o.vmap != u->vmap)
					return false;
				/* a vmap rule becomes two IR rules: nothing
				 * in it may act twice (log, limit, set) */
				for (size_t l = 0; o.vmap && l < r->n_stmts;
				     l++)
					if (r->stmts[l].kind !=
						    BF_NFT_S_MATCH &&
					    r->stmts[l].kind !=
						    BF_NFT_S_COUNTER)
						return false;
				/* the proto:port key holds the protocol:
				 * one per set */
				if (u->kind == NFT_SETUSE_ADDR_PORT &&
				    o.proto != u->proto)
					return false;
			}
		}
	}
	return true;
}

static u128 host_mask(unsigned int plen, int width)
{
	if (plen >= 8u * width)
		return 0;
	if (plen == 0)
		return width == 16 ? ~(u128)0 : (((u128)1 << 32) - 1);
	return ((u128)1 << (8 * width - plen)) - 1;
}

/* [lo, hi] of an element part: a value, a prefix or a range; false for
 * anything else. Integers (ports) from num, addresses from bytes. */
static bool part_bounds(const struct bf_nft_expr *el, int width, bool num,
			u128 *lo, u128 *hi)
{
	switch (el->kind) {
	case BF_NFT_E_VALUE:
		*lo = *hi = num ? (u128)el->num : to_u128(el->bytes, width);
		return true;
	case BF_NFT_E_PREFIX:
		if (num || el->plen > 8u * width)
			return false;
		*lo = to_u128(el->sub[0]->bytes, width) &
		      ~host_mask(el->plen, width);
		*hi = *lo | host_mask(el->plen, width);
		return true;
	case BF_NFT_E_RANGE:
		if (el->sub[0]->kind != BF_NFT_E_VALUE ||
		    el->sub[1]->kind != BF_NFT_E_VALUE)
			return false;
		*lo = num ? (u128)el->sub[0]->num :
			    to_u128(el->sub[0]->bytes, width);
		*hi = num ? (u128)el->sub[1]->num :
			    to_u128(el->sub[1]->bytes, width);
		return *lo <= *hi;
	default:
		return false;
	}
}

/* Most entries one nft element may stand for (a port range times the
 * prefixes of an address range). */
#define ELEM_EXPAND_MAX 65536

/* The entries of one element: the address part [alo, ahi] (cut into its
 * prefix cover when the set has an interval address, else one address),
 * times each port of [plo, phi] (no port dimension: phi < plo). */
static int add_parts(struct bf_set *set, const struct nft_setuse *u, int width,
		     u128 alo, u128 ahi, u128 plo, u128 phi, int line)
{
	bool has_addr = u->kind != NFT_SETUSE_PORT;
	bool has_port = u->kind != NFT_SETUSE_ADDR;
	int poff = has_addr ? width : 0;
	size_t before = set->n_elems;

	if (!has_port)
		plo = phi = 0;
	if (phi - plo >= ELEM_EXPAND_MAX)
		return 1;
	for (u128 p = plo; p <= phi; p++) {
		struct bf_set_elem e = { 0 };
		int r;

		if (has_port) {
			uint8_t *k = e.key + poff;
			if (u->kind == NFT_SETUSE_ADDR_PORT) {
				*k++ = u->proto;
				*k++ = 0;
			}
			k[0] = (uint8_t)(p >> 8);
			k[1] = (uint8_t)p;
		}
		if (!has_addr || set->interval_dim < 0) {
			if (has_addr) {
				from_u128(alo, e.key, width);
				memcpy(e.hi, e.key, width);
			}
			e.line = line;
			r = bf_set_add_elem(set, &e);
		} else {
			size_t at = set->n_elems;
			r = add_range(set, alo, ahi, width, line);
			/* add_range() filled key[0..width) and hi: copy
			 * the port into each prefix it added */
			for (size_t i = at; !r && i < set->n_elems; i++)
				memcpy(set->elems[i].key + poff, e.key + poff,
				       4);
		}
		if (r)
			return r;
		if (set->n_elems - before > 4 * ELEM_EXPAND_MAX)
			return 1;
	}
	return 0;
}

/* ---- verdict maps with chains ---- */

/* Does verdict map ns hold a value other than accept and drop? */
static bool is_jmap(const struct bf_nft_set *ns)
{
	for (size_t i = 0; ns->is_map && ns->elems && i < ns->elems->n_sub;
	     i++) {
		const struct bf_nft_expr *el = ns->elems->sub[i];

		if (el->kind == BF_NFT_E_MAPPING && el->n_sub == 2 &&
		    el->sub[1]->kind == BF_NFT_E_VERDICT &&
		    el->sub[1]->op != BF_NFT_V_ACCEPT &&
		    el->sub[1]->op != BF_NFT_V_DROP)
			return true;
	}
	return false;
}

/* Mark in `to` (indexes of t->chains) the chains that expression e can
 * jump or go to: verdicts in it, and the elements of the maps it names. */
static void expr_targets(const struct bf_nft_table *t,
			 const struct bf_nft_expr *e, bool *to, int depth)
{
	if (!e || depth > 4)
		return;
	if (e->kind == BF_NFT_E_VERDICT &&
	    (e->op == BF_NFT_V_JUMP || e->op == BF_NFT_V_GOTO) && e->text) {
		const struct bf_nft_chain *ch = bf_nft_chain_find(t, e->text);

		if (ch)
			to[ch - t->chains] = true;
	}
	if (e->kind == BF_NFT_E_SETREF && e->text) {
		const struct bf_nft_set *ns = bf_nft_set_find(t, e->text);

		if (ns && ns->is_map)
			expr_targets(t, ns->elems, to, depth + 1);
	}
	for (size_t i = 0; i < e->n_sub; i++)
		expr_targets(t, e->sub[i], to, depth + 1);
}

/* Does chain ch look up a verdict map with chains (`vmap @m`)? */
static bool chain_uses_jmap(const struct bf_nft_table *t,
			    const struct bf_nft_chain *ch)
{
	for (size_t j = 0; j < ch->n_rules; j++)
		for (size_t k = 0; k < ch->rules[j].n_stmts; k++) {
			const struct bf_nft_stmt *s = &ch->rules[j].stmts[k];
			const struct bf_nft_set *ns;

			if (s->kind != BF_NFT_S_MATCH ||
			    s->u.match.op != BF_NFT_OP_VMAP ||
			    s->u.match.rhs->kind != BF_NFT_E_SETREF)
				continue;
			ns = bf_nft_set_find(t, s->u.match.rhs->text);
			if (ns && is_jmap(ns))
				return true;
		}
	return false;
}

/* Names a jump map's list can hold (the create option's syntax). */
static bool listable(const char *n)
{
	return *n && *n != '-' && strlen(n) <= BF_CHAIN_NAME_MAX &&
	       !strpbrk(n, ", \t:\"\\");
}

/* The chains a verdict map with chains may name: t's regular chains
 * from which no chain that looks up such a map can be reached (nft
 * refuses an element that makes a loop, nft_chain_validate(); bpfilter
 * compiles every listed chain into the programs, so none of them may
 * lead back into a dispatch). As the create option's value (`a,b,c`,
 * `-` for none) into buf; 1: too long. */
static int jmap_list(const struct bf_nft_table *t, char *buf, size_t size)
{
	size_t n = t->n_chains, len = 0;
	bool *bad = calloc(n + 1, 1), *to = calloc(n * n + 1, 1);
	bool changed = true;
	int r = 0;

	if (!bad || !to) {
		free(bad);
		free(to);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bf_nft_chain *ch = &t->chains[i];

		bad[i] = chain_uses_jmap(t, ch);
		for (size_t j = 0; j < ch->n_rules; j++)
			for (size_t k = 0; k < ch->rules[j].n_stmts; k++) {
				const struct bf_nft_stmt *s =
					&ch->rules[j].stmts[k];

				if (s->kind == BF_NFT_S_VERDICT &&
				    (s->u.verdict.verdict == BF_NFT_V_JUMP ||
				     s->u.verdict.verdict == BF_NFT_V_GOTO) &&
				    s->u.verdict.chain) {
					const struct bf_nft_chain *c2 =
						bf_nft_chain_find(
							t, s->u.verdict.chain);
					if (c2)
						to[i * n +
						   (size_t)(c2 - t->chains)] =
							true;
				}
				if (s->kind == BF_NFT_S_MATCH) {
					expr_targets(t, s->u.match.lhs,
						     to + i * n, 0);
					expr_targets(t, s->u.match.rhs,
						     to + i * n, 0);
				}
			}
	}
	for (size_t guard = 0; changed && guard <= n; guard++) {
		changed = false;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n && !bad[i]; j++)
				if (to[i * n + j] && bad[j])
					bad[i] = changed = true;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < n && !r; i++) {
		const struct bf_nft_chain *ch = &t->chains[i];
		int w;

		if (bad[i] || ch->hook != BF_NFT_HOOK_NONE ||
		    !listable(ch->name))
			continue;
		w = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
			     ch->name);
		if (w < 0 || (size_t)w >= size - len)
			r = 1;
		else
			len += (size_t)w;
	}
	if (!r && !len)
		snprintf(buf, size, "-");
	free(bad);
	free(to);
	return r;
}

/* The element data of verdict v (a jump or goto to a chain of the list
 * in set's create options); false when it names another chain. */
static bool jmap_data(const struct bf_set *set, const struct bf_nft_expr *v,
		      uint32_t *data)
{
	static const uint8_t kinds[] = {
		[BF_NFT_V_ACCEPT] = BF_SET_V_ACCEPT,
		[BF_NFT_V_DROP] = BF_SET_V_DROP,
		[BF_NFT_V_CONTINUE] = BF_SET_V_CONTINUE,
		[BF_NFT_V_RETURN] = BF_SET_V_RETURN,
		[BF_NFT_V_JUMP] = BF_SET_V_JUMP,
		[BF_NFT_V_GOTO] = BF_SET_V_GOTO,
	};
	int idx = 0;

	if (v->kind != BF_NFT_E_VERDICT || v->op < 0 ||
	    (size_t)v->op >= sizeof(kinds) || !kinds[v->op])
		return false;
	if (v->op == BF_NFT_V_JUMP || v->op == BF_NFT_V_GOTO) {
		idx = v->text ? bf_set_jmap_chain(set, v->text) : -1;
		if (idx < 0)
			return false;
	}
	*data = BF_SET_V_DATA(kinds[v->op], idx);
	return true;
}

/* " nft-chains LIST" (a verdict map with chains) or " nft-vmap" at the
 * end of out's create options. 1: the list does not fit. */
static int vmap_opts(struct bf_set *out, const struct nft_setuse *u)
{
	size_t l = strlen(out->create_opts);

	out->nft = out->nft_vmap = true;
	if (!u->jmap) {
		snprintf(out->create_opts + l, sizeof(out->create_opts) - l,
			 " nft-vmap");
		return 0;
	}
	out->nft_jmap = true;
	if (!u->table || l + 16 >= sizeof(out->create_opts))
		return 1;
	l += (size_t)snprintf(out->create_opts + l,
			      sizeof(out->create_opts) - l, " nft-chains ");
	return jmap_list(u->table, out->create_opts + l,
			 sizeof(out->create_opts) - l);
}

/* The key bytes of element part el for dimension d of an exact set;
 * false when el is not one value of it. */
static bool exact_part(const struct bf_nft_expr *el, const struct bf_set_dim *d,
		       uint8_t *k, uint8_t *hi)
{
	if (el->kind != BF_NFT_E_VALUE)
		return false;
	switch (d->type) {
	case BF_SET_DIM_IFACE: {
		size_t n = el->text ? strlen(el->text) : 0;
		bool wild = n && el->text[n - 1] == '*';
		char *star = n ? strchr(el->text, '*') : NULL;

		/* "eth*" (nft's wildcard: the prefix "eth", an interval)
		 * only in hash:ifprefix (hi given); escapes stay inlined;
		 * "" would be the key of a packet without that device,
		 * which hash:iface never finds */
		if (!n || n >= BF_IFNAMSIZ || strchr(el->text, '\\') ||
		    (star && (!hi || star != el->text + n - 1 || n == 1)))
			return false;
		memcpy(k, el->text, wild ? n - 1 : n);
		if (hi) {
			size_t keep = wild ? n - 1 : BF_IFNAMSIZ;

			memcpy(hi, k, BF_IFNAMSIZ);
			memset(hi + keep, 0xff, BF_IFNAMSIZ - keep);
		}
		return true;
	}
	case BF_SET_DIM_MARK:
		if (el->num > UINT32_MAX)
			return false;
		from_u128(el->num, k, 4);
		return true;
	case BF_SET_DIM_PROTO:
		if (el->num > 255)
			return false;
		k[0] = (uint8_t)el->num;
		return true;
	case BF_SET_DIM_ADDR:
		memcpy(k, el->bytes, d->width);
		return true;
	default:
		return false;
	}
}

/* The exact-key kinds (exact_use()): one hash entry per element. */
static int exact_to_bf(const struct bf_nft_set *ns, const struct nft_setuse *u,
		       struct bf_set *out)
{
	static const char *const types[] = {
		[NFT_SETUSE_IFACE] = "hash:iface",
		[NFT_SETUSE_MARK] = "hash:mark",
		[NFT_SETUSE_PROTO] = "hash:proto",
		[NFT_SETUSE_ADDR_ADDR] = "hash:ip,ip",
	};
	static const enum bf_set_dim_type dims[] = {
		[NFT_SETUSE_IFACE] = BF_SET_DIM_IFACE,
		[NFT_SETUSE_MARK] = BF_SET_DIM_MARK,
		[NFT_SETUSE_PROTO] = BF_SET_DIM_PROTO,
		[NFT_SETUSE_ADDR_ADDR] = BF_SET_DIM_ADDR,
	};
	int r;

	out->n_dims = u->n_dims;
	for (int i = 0; i < u->n_dims; i++)
		out->dims[i].type = dims[u->kind];
	snprintf(out->type, sizeof(out->type), "%s", types[u->kind]);
	if (ns->flags & BF_NFT_SET_INTERVAL) {
		/* type ifname; flags interval: an LPM trie of name
		 * prefixes ("eth*": 24 bits; "eth0": all 128) */
		snprintf(out->type, sizeof(out->type), "hash:ifprefix");
		out->interval_dim = 0;
	}
	if (u->kind == NFT_SETUSE_ADDR_ADDR)
		snprintf(out->create_opts, sizeof(out->create_opts),
			 "family %s nft",
			 out->family == BF_FAMILY_INET6 ? "inet6" : "inet");
	else
		snprintf(out->create_opts, sizeof(out->create_opts), "nft");
	out->nft = true;
	if (u->vmap && vmap_opts(out, u))
		return 1;
	out->flags |= BF_SET_F_NOMATCH_TYPE;
	r = bf_set_layout(out);
	if (r)
		return r;
	for (size_t i = 0; ns->elems && i < ns->elems->n_sub; i++) {
		const struct bf_nft_expr *el = ns->elems->sub[i];
		struct bf_set_elem e = { 0 };
		bool ok = true;

		if (u->vmap) {
			const struct bf_nft_expr *v;

			if (el->kind != BF_NFT_E_MAPPING || el->n_sub != 2)
				return 1;
			v = el->sub[1];
			if (out->nft_jmap) {
				/* a chain outside the list: inlined */
				if (!jmap_data(out, v, &e.data))
					return 1;
			} else if (v->kind != BF_NFT_E_VERDICT ||
				   (v->op != BF_NFT_V_ACCEPT &&
				    v->op != BF_NFT_V_DROP)) {
				return 1;
			} else {
				e.nomatch = v->op == BF_NFT_V_DROP;
			}
			el = el->sub[0];
		}
		if (u->n_dims == 1)
			ok = exact_part(el, &out->dims[0], e.key,
					out->interval_dim == 0 ? e.hi : NULL);
		else if (el->kind != BF_NFT_E_CONCAT || el->n_sub != 2)
			ok = false;
		else
			for (int k = 0; k < 2 && ok; k++)
				ok = exact_part(el->sub[k], &out->dims[k],
						e.key + out->dims[k].off, NULL);
		if (!ok)
			return 1;
		e.line = el->loc.line;
		r = bf_set_add_elem(out, &e);
		if (r)
			return r;
	}
	return 0;
}

int nft_setmap_to_bf(const struct bf_nft_set *ns, enum bf_family fam,
		     const struct nft_setuse *u, struct bf_set *out)
{
	bool v6 = fam == BF_FAMILY_INET6;
	bool interval = ns->flags & BF_NFT_SET_INTERVAL;
	int width = v6 ? 16 : 4;
	int r;

	memset(out, 0, sizeof(*out));
	if (u->kind >= NFT_SETUSE_IFACE) {
		snprintf(out->name, sizeof(out->name), "%s", ns->name);
		out->origin = BF_SET_ORIGIN_IPSET;
		out->family = fam;
		out->line = ns->loc.line;
		out->has_elems = true;
		out->interval_dim = -1;
		r = exact_to_bf(ns, u, out);
		if (r)
			bf_set_release(out);
		return r;
	}
	snprintf(out->name, sizeof(out->name), "%s", ns->name);
	out->origin = BF_SET_ORIGIN_IPSET;
	out->family = fam;
	out->line = ns->loc.line;
	out->has_elems = true;
	out->interval_dim = -1;
	if (u->vmap) {
		/* accept and drop elements in one hash:net* map (nomatch:
		 * drop); exact keys are full-length prefixes */
		if (u->kind == NFT_SETUSE_PORT)
			return 1;
		interval = true;
	}
	switch (u->kind) {
	case NFT_SETUSE_ADDR:
		out->n_dims = 1;
		out->dims[0].type = BF_SET_DIM_ADDR;
		snprintf(out->type, sizeof(out->type), "%s",
			 interval ? "hash:net" : "hash:ip");
		snprintf(out->create_opts, sizeof(out->create_opts),
			 "family %s", v6 ? "inet6" : "inet");
		break;
	case NFT_SETUSE_PORT:
		/* ipset's bitmap:port (family NFPROTO_UNSPEC: one set for
		 * both families; TCP and UDP ports, as the rule's gate) */
		out->family = BF_FAMILY_INET4;
		out->n_dims = 1;
		out->dims[0].type = BF_SET_DIM_PORT;
		memset(out->range_hi, 0xff, 2);
		snprintf(out->type, sizeof(out->type), "bitmap:port");
		snprintf(out->create_opts, sizeof(out->create_opts),
			 "range 0-65535 nft");
		out->nft = true;
		interval = false; /* ranges: one entry per port */
		break;
	case NFT_SETUSE_ADDR_PORT:
		out->n_dims = 2;
		out->dims[0].type = BF_SET_DIM_ADDR;
		out->dims[1].type = BF_SET_DIM_PROTO_PORT;
		out->nft_proto = u->proto;
		out->nft = true;
		snprintf(out->type, sizeof(out->type), "%s",
			 interval ? "hash:net,port" : "hash:ip,port");
		snprintf(out->create_opts, sizeof(out->create_opts),
			 "family %s nft-proto %s", v6 ? "inet6" : "inet",
			 u->proto == 6 ? "tcp" : "udp");
		break;
	default:
		return 1;
	}
	if (interval && u->kind != NFT_SETUSE_PORT) {
		out->interval_dim = 0;
		out->flags |= BF_SET_F_NOMATCH_TYPE; /* as ipset's hash:net* */
	}
	if (u->vmap && vmap_opts(out, u))
		return 1;
	r = bf_set_layout(out);
	if (r)
		return r;
	for (size_t i = 0; ns->elems && i < ns->elems->n_sub; i++) {
		const struct bf_nft_expr *el = ns->elems->sub[i];
		const struct bf_nft_expr *ap = NULL, *pp = NULL;
		u128 alo = 0, ahi = 0, plo = 0, phi = 0;
		size_t before = out->n_elems;
		bool drop = false;
		uint32_t data = 0;

		if (u->vmap) {
			const struct bf_nft_expr *v;

			if (el->kind != BF_NFT_E_MAPPING || el->n_sub != 2) {
				bf_set_release(out);
				return 1;
			}
			v = el->sub[1];
			if (out->nft_jmap ? !jmap_data(out, v, &data) :
					    (v->kind != BF_NFT_E_VERDICT ||
					     (v->op != BF_NFT_V_ACCEPT &&
					      v->op != BF_NFT_V_DROP))) {
				bf_set_release(out);
				return 1; /* a chain outside the list */
			}
			drop = !out->nft_jmap && v->op == BF_NFT_V_DROP;
			el = el->sub[0];
		}

		if (u->kind == NFT_SETUSE_ADDR)
			ap = el;
		else if (u->kind == NFT_SETUSE_PORT)
			pp = el;
		else if (el->kind == BF_NFT_E_CONCAT && el->n_sub == 2)
			ap = el->sub[0], pp = el->sub[1];
		r = 0;
		if ((u->kind != NFT_SETUSE_PORT &&
		     (!ap || !part_bounds(ap, width, false, &alo, &ahi))) ||
		    (u->kind != NFT_SETUSE_ADDR &&
		     (!pp || !part_bounds(pp, 2, true, &plo, &phi) ||
		      phi > 0xffff)))
			r = 1;
		/* hash:ip* refuse the zero address (hash_ip4_uadt());
		 * without interval an element is one address */
		if (!r && u->kind != NFT_SETUSE_PORT && out->interval_dim < 0 &&
		    (alo != ahi || alo == 0))
			r = 1;
		if (!r)
			r = add_parts(out, u, width, alo, ahi, plo, phi,
				      el->loc.line);
		for (size_t k = before; !r && k < out->n_elems; k++) {
			out->elems[k].nomatch = drop;
			out->elems[k].data = data;
		}
		if (r) {
			bf_set_release(out);
			return r;
		}
	}
	return 0;
}

int nft_set_to_bf(const struct bf_nft_set *ns, enum bf_family fam,
		  struct bf_set *out)
{
	struct nft_setuse u = { .kind = NFT_SETUSE_ADDR, .n_dims = 1 };

	memset(out, 0, sizeof(*out));
	if (ns->is_map || ns->n_key != 1 ||
	    ns->key[0] != (fam == BF_FAMILY_INET6 ? BF_NFT_DT_IPV6 :
						    BF_NFT_DT_IPV4) ||
	    (ns->flags & (BF_NFT_SET_TIMEOUT | BF_NFT_SET_DYNAMIC)) ||
	    strlen(ns->name) >= BF_SET_NAME_MAX)
		return 1;
	return nft_setmap_to_bf(ns, fam, &u, out);
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

static int print_addr_decl(FILE *out, const struct bf_set *set);

bool nft_setmap_print_lookup(FILE *out, const struct bf_ruleset *rs,
			     const struct bf_match *m, enum bf_family f,
			     const char *l4)
{
	const struct bf_set *s = rs ? bf_ruleset_set(rs, m->u.set.name) : NULL;

	if (!s || s->is_list || m->u.set.dim != s->n_dims ||
	    (m->u.set.return_nomatch && !s->nft_vmap) ||
	    (s->nft_vmap && m->neg) || m->u.set.no_update_counters ||
	    m->u.set.no_update_subcounters)
		return false;
	for (int i = 0; i < s->n_dims; i++) {
		bool dst = m->u.set.flags & (1u << i);
		bool tcp = !strcmp(l4, "tcp");

		if (i)
			fputs(" . ", out);
		switch (s->dims[i].type) {
		case BF_SET_DIM_ADDR:
			fprintf(out, "%s %s",
				f == BF_FAMILY_INET6 ? "ip6" : "ip",
				dst ? "daddr" : "saddr");
			break;
		case BF_SET_DIM_IFACE:
			fputs(dst ? "oifname" : "iifname", out);
			break;
		case BF_SET_DIM_MARK:
			fputs("meta mark", out);
			break;
		case BF_SET_DIM_PROTO:
			/* IPv4: the same as ip protocol */
			fputs("meta l4proto", out);
			break;
		case BF_SET_DIM_PROTO_PORT:
			/* the elements' protocol is the rule's */
			if (s->nft_proto != (tcp ? 6 : 17))
				return false;
			/* fall through */
		case BF_SET_DIM_PORT:
			/* bitmap:port nft: the port bytes behind the
			 * rule's protocol gate (th: none) */
			if (!tcp && strcmp(l4, "udp") && strcmp(l4, "th"))
				return false;
			fprintf(out, "%s %s", l4, dst ? "dport" : "sport");
			break;
		default:
			return false;
		}
	}
	if (s->nft_vmap)
		fprintf(out, " vmap @%s", m->u.set.name);
	else
		fprintf(out, " %s@%s", m->neg ? "!= " : "", m->u.set.name);
	return true;
}

int nft_setmap_vmap_half(const struct bf_ruleset *rs, const struct bf_rule *r)
{
	for (size_t i = 0; rs && i < r->n_matches; i++) {
		const struct bf_match *m = &r->matches[i];
		const struct bf_set *s;

		if (m->type != BF_MATCH_SET)
			continue;
		s = bf_ruleset_set(rs, m->u.set.name);
		if (!s || !s->nft_vmap || m->neg)
			continue;
		if (s->nft_jmap) {
			/* nft_setmap_jmap_rule(): the goto half first */
			if (m->u.set.vop != BF_SET_VOP_LOOKUP)
				continue;
			return m->u.set.vkinds & (1u << BF_SET_V_GOTO) ? 1 : 2;
		}
		if (!m->u.set.return_nomatch &&
		    r->verdict.kind == BF_VERDICT_ACCEPT)
			return 1;
		if (m->u.set.return_nomatch &&
		    r->verdict.kind == BF_VERDICT_DROP)
			return 2;
	}
	return 0;
}

/* A verdict map (nft_vmap) as `map NAME { type K : verdict; flags
 * interval; ... }`, one element per entry, nomatch ones `drop`. */
static int print_vmap_decl(FILE *out, const struct bf_set *set)
{
	int width = set->family == BF_FAMILY_INET6 ? 16 : 4;
	const char *at = width == 16 ? "ipv6_addr" : "ipv4_addr";

	fprintf(out, "\tmap %s {\n\t\ttype %s%s : verdict\n", set->name, at,
		set->n_dims == 2 ? " . inet_service" : "");
	fputs("\t\tflags interval\n", out);
	for (size_t i = 0; i < set->n_elems; i++) {
		const struct bf_set_elem *e = &set->elems[i];
		int plen;

		fputs(i ? ", " : "\t\telements = { ", out);
		print_addr(out, to_u128(e->key, width), width);
		if (bf_set_range_prefix(e->key, e->hi, width, &plen) &&
		    plen != 8 * width)
			fprintf(out, "/%d", plen);
		if (set->n_dims == 2) {
			const uint8_t *pp = e->key + set->dims[1].off + 2;

			fprintf(out, " . %u", pp[0] << 8 | pp[1]);
		}
		if (set->nft_jmap) {
			fputs(" : ", out);
			bf_set_jmap_print_verdict(out, set, e->data);
			continue;
		}
		fputs(e->nomatch ? " : drop" : " : accept", out);
	}
	if (set->n_elems)
		fputs(" }\n", out);
	fputs("\t}\n", out);
	return ferror(out) ? -EIO : 0;
}

/* A bitmap:port set as `type inet_service`: the union of its ports. */
static int print_port_decl(FILE *out, const struct bf_set *set)
{
	uint8_t *have = calloc(65536, 1);
	bool ranges = false, first = true;

	if (!have)
		return -ENOMEM;
	for (size_t i = 0; i < set->n_elems; i++)
		have[set->elems[i].key[0] << 8 | set->elems[i].key[1]] = 1;
	for (unsigned int p = 0; p < 65535; p++)
		if (have[p] && have[p + 1])
			ranges = true;
	fprintf(out, "\tset %s {\n\t\ttype inet_service\n", set->name);
	if (ranges)
		fputs("\t\tflags interval\n", out);
	for (unsigned int p = 0; p < 65536; p++) {
		unsigned int q = p;

		if (!have[p])
			continue;
		while (ranges && q < 65535 && have[q + 1])
			q++;
		fprintf(out, "%s%u", first ? "\t\telements = { " : ", ", p);
		if (q != p)
			fprintf(out, "-%u", q);
		first = false;
		p = q;
	}
	if (!first)
		fputs(" }\n", out);
	fputs("\t}\n", out);
	free(have);
	return ferror(out) ? -EIO : 0;
}

/* A hash:ip,port / hash:net,port set lowered from nft (nft_proto) as
 * `type ipv4_addr . inet_service`, one element per entry. */
static int print_addr_port_decl(FILE *out, const struct bf_set *set)
{
	int width = set->family == BF_FAMILY_INET6 ? 16 : 4;
	bool interval = set->interval_dim == 0;

	fprintf(out, "\tset %s {\n\t\ttype %s . inet_service\n", set->name,
		width == 16 ? "ipv6_addr" : "ipv4_addr");
	if (interval)
		fputs("\t\tflags interval\n", out);
	for (size_t i = 0; i < set->n_elems; i++) {
		const struct bf_set_elem *e = &set->elems[i];
		const uint8_t *pp = e->key + set->dims[1].off + 2;
		int plen;

		fputs(i ? ", " : "\t\telements = { ", out);
		print_addr(out, to_u128(e->key, width), width);
		if (interval &&
		    bf_set_range_prefix(e->key, e->hi, width, &plen) &&
		    plen != 8 * width)
			fprintf(out, "/%d", plen);
		fprintf(out, " . %u", pp[0] << 8 | pp[1]);
	}
	if (set->n_elems)
		fputs(" }\n", out);
	fputs("\t}\n", out);
	return ferror(out) ? -EIO : 0;
}

/* An exact set of exact_to_bf() as `set NAME { type T; elements = {
 * ... } }` (a verdict map: `map NAME { type T : verdict; ... }`). */
static int print_exact_decl(FILE *out, const struct bf_set *set)
{
	const char *t;

	switch (set->dims[0].type) {
	case BF_SET_DIM_IFACE:
		t = "ifname";
		break;
	case BF_SET_DIM_MARK:
		t = "mark";
		break;
	case BF_SET_DIM_PROTO:
		t = "inet_proto";
		break;
	default:
		t = set->family == BF_FAMILY_INET6 ? "ipv6_addr . ipv6_addr" :
						     "ipv4_addr . ipv4_addr";
		break;
	}
	fprintf(out, "\t%s %s {\n\t\ttype %s%s\n",
		set->nft_vmap ? "map" : "set", set->name, t,
		set->nft_vmap ? " : verdict" : "");
	if (set->interval_dim == 0)
		fputs("\t\tflags interval\n", out); /* hash:ifprefix */
	for (size_t i = 0; i < set->n_elems; i++) {
		const struct bf_set_elem *e = &set->elems[i];

		if (e->nomatch && !set->nft_vmap) {
			fprintf(out,
				"\t# set %s (nomatch elements) has no nft form\n",
				set->name);
			return -EOPNOTSUPP;
		}
		fputs(i ? ", " : "\t\telements = { ", out);
		bf_set_nft_exact_print(out, set, e);
	}
	if (set->n_elems)
		fputs(" }\n", out);
	fputs("\t}\n", out);
	return ferror(out) ? -EIO : 0;
}

int nft_set_print_decl(FILE *out, const struct bf_set *set)
{
	bool plain = !set->is_list && !set->netmask &&
		     !(set->flags & (BF_SET_F_TIMEOUT | BF_SET_F_COUNTERS)) &&
		     strlen(set->name) < BF_SET_NAME_MAX;

	if (plain && bf_set_nft_exact(set))
		return print_exact_decl(out, set);
	if (plain && set->nft_vmap && set->interval_dim == 0 &&
	    set->dims[0].type == BF_SET_DIM_ADDR &&
	    (set->n_dims == 1 ||
	     (set->n_dims == 2 && set->dims[1].type == BF_SET_DIM_PROTO_PORT)))
		return print_vmap_decl(out, set);
	for (size_t i = 0; plain && i < set->n_elems; i++)
		plain = !set->elems[i].nomatch;
	if (plain && set->n_dims == 1 && set->dims[0].type == BF_SET_DIM_PORT)
		return print_port_decl(out, set);
	if (plain && set->n_dims == 2 && set->nft_proto &&
	    set->dims[0].type == BF_SET_DIM_ADDR &&
	    set->dims[1].type == BF_SET_DIM_PROTO_PORT)
		return print_addr_port_decl(out, set);
	return print_addr_decl(out, set);
}

/* A one-address set (hash:ip / hash:net) as `type ipv4_addr`. */
static int print_addr_decl(FILE *out, const struct bf_set *set)
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

int nft_setmap_jmap_rule(struct bf_ruleset *rs, enum bf_family fam,
			 const struct bf_set *set, bool second,
			 const struct nft_jmap_ops *ops, int line,
			 struct bf_match *m, struct bf_verdict *v)
{
	char chain[BF_CHAIN_NAME_MAX + 64];
	struct bf_chain *dc;
	int r;

	if (!set || !set->nft_jmap)
		return -EINVAL;
	m->u.set.vop = BF_SET_VOP_LOOKUP;
	m->u.set.vkinds = second ?
				  (1u << BF_SET_V_ACCEPT | 1u << BF_SET_V_DROP |
				   1u << BF_SET_V_JUMP) :
				  (1u << BF_SET_V_GOTO | 1u << BF_SET_V_RETURN);
	memset(v, 0, sizeof(*v));
	v->kind = second ? BF_VERDICT_JUMP : BF_VERDICT_GOTO;
	ops->name(ops->ctx, v->chain, sizeof(v->chain));
	r = bf_ruleset_add_chain(rs, fam, v->chain, line, NULL);
	if (r)
		return r;
	dc = bf_ruleset_chain(rs, fam, v->chain);
	if (!dc)
		return -ENOENT;
	/* the dispatch chain: one test of the kept verdict per value */
	for (uint32_t k = BF_SET_V_ACCEPT; k < BF_SET_V_COUNT; k++) {
		bool chained = k == BF_SET_V_JUMP || k == BF_SET_V_GOTO;
		static const int nft_v[] = {
			[BF_SET_V_ACCEPT] = BF_NFT_V_ACCEPT,
			[BF_SET_V_DROP] = BF_NFT_V_DROP,
			[BF_SET_V_RETURN] = BF_NFT_V_RETURN,
			[BF_SET_V_JUMP] = BF_NFT_V_GOTO,
			[BF_SET_V_GOTO] = BF_NFT_V_GOTO,
		};

		if (!(m->u.set.vkinds & (1u << k)))
			continue;
		for (uint32_t idx = 0;; idx++) {
			struct bf_rule rule = { 0 };
			struct bf_match is = *m;

			if (chained && !bf_set_jmap_chain_name(set, idx, chain,
							       sizeof(chain)))
				break;
			if (chained && !strcmp(chain, "-"))
				break;
			if (!chained && idx)
				break;
			rule.family = fam;
			rule.line = line;
			is.neg = false;
			is.u.set.vop = BF_SET_VOP_IS;
			is.u.set.vkinds = 0;
			is.u.set.vdata = BF_SET_V_DATA(k, chained ? idx : 0);
			/* jump Ci as a goto from here: Ci's end returns
			 * past this chain, where the rule's jump returns */
			if (!ops->verdict(ops->ctx, nft_v[k],
					  chained ? chain : NULL,
					  &rule.verdict))
				return -EINVAL;
			r = bf_rule_add_match(&rule, &is);
			if (!r)
				r = bf_chain_add_rule(dc, &rule);
			if (r) {
				bf_rule_release(&rule);
				return r;
			}
		}
	}
	return 0;
}

bool nft_setmap_dispatch_chain(const struct bf_ruleset *rs,
			       const struct bf_chain *c)
{
	if (!c->n_rules || c->builtin)
		return false;
	if (c->n_rules == 2 && !c->rules[0].n_matches &&
	    !c->rules[1].n_matches &&
	    c->rules[0].verdict.kind == BF_VERDICT_JUMP &&
	    c->rules[1].verdict.kind == BF_VERDICT_DROP) {
		/* lower.c's base_goto_drop() helper for the goto half's
		 * dispatch chain (a goto from a base chain with policy
		 * drop): `-j G`, `-j DROP` */
		const struct bf_chain *g = bf_ruleset_chain(
			rs, c->family, c->rules[0].verdict.chain);

		return g && g != c && nft_setmap_dispatch_chain(rs, g);
	}
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct bf_rule *r = &c->rules[i];

		if (r->n_matches != 1 || r->matches[0].type != BF_MATCH_SET ||
		    r->matches[0].u.set.vop != BF_SET_VOP_IS)
			return false;
	}
	return rs != NULL;
}
