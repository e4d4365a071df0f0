/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nft named sets as ruleset sets (setmap.c, doc/front-nft.md "Named sets
 * as BPF maps"): which lookups map, and the set each becomes.
 */
#ifndef BPFILTER_NFT_SETMAP_H
#define BPFILTER_NFT_SETMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/front_nft.h"
#include "bpfilter/set.h"

/* How a rule statement looks up a named set that becomes a BPF map. */
enum nft_setuse_kind {
	NFT_SETUSE_ADDR = 1, /* ip|ip6 saddr|daddr @s: hash:ip / hash:net */
	NFT_SETUSE_PORT, /* tcp|udp sport|dport @s: bitmap:port */
	/* ip saddr . tcp dport @s: hash:ip,port / hash:net,port */
	NFT_SETUSE_ADDR_PORT,
	/* iifname|oifname @s (type ifname): hash:iface */
	NFT_SETUSE_IFACE,
	NFT_SETUSE_MARK, /* meta mark @s: hash:mark */
	/* meta l4proto @s, ip protocol @s (type inet_proto): hash:proto */
	NFT_SETUSE_PROTO,
	/* ip saddr . ip daddr @s (ipv4_addr . ipv4_addr): hash:ip,ip */
	NFT_SETUSE_ADDR_ADDR,
};

struct nft_setuse {
	enum nft_setuse_kind kind;
	uint8_t n_dims; /* dimensions of the lookup (bf_match u.set.dim) */
	uint32_t dst; /* bit i: dimension i is the destination's */
	uint8_t proto; /* the port field's protocol (6, 17), 0: none */
	/* `lhs vmap @m` of a map with accept/drop values: two IR rules,
	 * the lookup (accept elements) and --return-nomatch (drop) */
	bool vmap;
	/* a verdict map with other values (jump, goto, return, continue):
	 * two IR rules that dispatch through helper chains
	 * (nft_setmap_jmap_rule()) */
	bool jmap;
	/* set by the caller of nft_setmap_use() (kept there): it lowers
	 * verdict maps with chains (nft_setmap_jmap_rule()); without it
	 * they are not mapped */
	bool jmap_ok;
	/* the table (nft_setmap_agree() sets it): the chains a verdict map
	 * with chains may name */
	const struct bf_nft_table *table;
};

/* How the lowering gives nft_setmap_jmap_rule() the IR verdicts of the
 * place a rule is lowered at (lower.c's verdict_of(): continuations and
 * chain copies), and fresh IR chain names. */
struct nft_jmap_ops {
	void *ctx;
	/* the IR verdict of nft verdict v (enum bf_nft_verdict; chain: the
	 * nft name for jump/goto); false: refused (logged) */
	bool (*verdict)(void *ctx, int v, const char *chain,
			struct bf_verdict *out);
	void (*name)(void *ctx, char *buf, size_t size);
};

/* 0 and *u filled when statement s (`lhs [==|!=] @ns`) looks set ns up
 * in a way a ruleset set answers exactly for family fam; 1 otherwise. */
int nft_setmap_use(const struct bf_nft_stmt *s, const struct bf_nft_set *ns,
		   enum bf_family fam, struct nft_setuse *u);

/* Do all statements of t that name ns use it as u does (so that no use
 * stays inlined while `bpfilter set` changes the map)? */
bool nft_setmap_agree(const struct bf_nft_table *t, const struct bf_nft_set *ns,
		      enum bf_family fam, struct nft_setuse *u);

/* A rule `... lhs vmap @m` of a verdict map with chains (bf_set.nft_jmap)
 * becomes two IR rules, the same matches then a lookup of m each:
 *  - first (second = false): holds for goto and return elements, and
 *    `-g` a dispatch chain G: `m is return -j RETURN`, `m is goto Ci -g
 *    Ci` for each chain Ci of the map's list;
 *  - second: holds for accept, drop and jump elements, and `-j` a
 *    dispatch chain J: `m is accept -j ACCEPT`, `m is drop -j DROP`,
 *    `m is jump Ci -g Ci`.
 * (continue: neither holds; the next rule follows, as in nft.) The goto
 * into Ci from J makes Ci's end return past J into the rule's chain, as
 * nft's jump returns; from G, past the rule's chain, as nft's goto. The
 * lookup keeps the element's verdict for the dispatch chain's tests
 * (m_set.c). Fills *m (the set match's vop, vkinds) and *v, adding the
 * dispatch chain (named by ops->name) to rs. 0 or -errno. */
int nft_setmap_jmap_rule(struct bf_ruleset *rs, enum bf_family fam,
			 const struct bf_set *set, bool second,
			 const struct nft_jmap_ops *ops, int line,
			 struct bf_match *m, struct bf_verdict *v);

/* Is IR chain c a dispatch chain of nft_setmap_jmap_rule() (printed as
 * the `vmap @m` of the rule that calls it, not as a chain)? */
bool nft_setmap_dispatch_chain(const struct bf_ruleset *rs,
			       const struct bf_chain *c);

/* The ruleset set (origin IPSET: ipset hash:ip, hash:net, bitmap:port,
 * hash:ip,port or hash:net,port; `nft-proto` for the last two) for nft
 * set ns used as u by a rule of family fam: 0 and *out filled (elements
 * owned by out), 1 when the set does not map exactly (inline it), or
 * -errno. */
int nft_setmap_to_bf(const struct bf_nft_set *ns, enum bf_family fam,
		     const struct nft_setuse *u, struct bf_set *out);

/* Print the lookup of BF_MATCH_SET m of a rule of family f whose
 * protocol is l4 ("tcp", "udp", "th") as nft writes it (`ip saddr .
 * tcp dport != @s`); false if it has none (the set is not one that
 * setmap.c makes). */
bool nft_setmap_print_lookup(FILE *out, const struct bf_ruleset *rs,
			     const struct bf_match *m, enum bf_family f,
			     const char *l4);

/* Is rule r one of the two IR rules of a lowered `vmap @m` (a lookup of
 * an nft_vmap set)? 1: the accept rule (printed back as the `vmap`),
 * 2: the drop rule (--return-nomatch; not printed), 0: neither. */
int nft_setmap_vmap_half(const struct bf_ruleset *rs, const struct bf_rule *r);

#endif /* BPFILTER_NFT_SETMAP_H */
