// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mangle chains: a type filter base chain at input, forward or output
 * whose rules rewrite packets in a way bpfilter's programs cannot. The
 * one real rulesets write is MSS clamping, `tcp option maxseg size set
 * rt mtu` (OpenWrt fw4's mangle_forward / mangle_postrouting, the
 * nftables sample ruleset's FORWARD_MANGLE): nft_exthdr_tcp_set_eval()
 * rewrites the option and the TCP checksum in place, which a
 * BPF_PROG_TYPE_NETFILTER program cannot (its packet is read-only). Such
 * a chain (the statement in it or in a regular chain it reaches: the
 * sample ruleset's is in an anonymous chain) goes to the kernel's
 * nftables whole (kernpart.c), as nat
 * chains do: nft registers every base chain as a hook function of its
 * own (nf_tables_register_hook()), so the chain, at its own priority,
 * sees and changes the same packets as in the whole ruleset, and
 * bpfilter's programs at their priorities see what it left.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "front/nft/nft.h"

/* Whether the text of a rule kept for the kernel has a `tcp option NAME
 * [FIELD] set` statement (nft's exthdr set statement). */
static bool text_sets_tcp_option(const char *text)
{
	for (const char *p = strstr(text, "tcp option "); p;
	     p = strstr(p + 1, "tcp option ")) {
		const char *w = p + strlen("tcp option ");
		/* NAME, then at most one FIELD, then `set` */
		for (int words = 0; words < 3 && *w; words++) {
			size_t n = strcspn(w, " ");
			if (n == 3 && !strncmp(w, "set", 3))
				return words > 0;
			w += n;
			w += strspn(w, " ");
		}
	}
	return false;
}

static bool own_rules_mangle(const struct bf_nft_chain *c)
{
	for (size_t i = 0; i < c->n_rules; i++)
		for (size_t j = 0; j < c->rules[i].n_stmts; j++) {
			const struct bf_nft_stmt *s = &c->rules[i].stmts[j];
			if (s->kind == BF_NFT_S_KERNEL && s->u.kernel.text &&
			    text_sets_tcp_option(s->u.kernel.text))
				return true;
		}
	return false;
}

static bool reach_mangles(const struct bf_nft_table *t, const char *name,
			  bool *seen, int depth);

/* The chains the verdicts of an element list (vmap) name. */
static bool elems_mangle(const struct bf_nft_table *t,
			 const struct bf_nft_expr *set, bool *seen, int depth)
{
	for (size_t k = 0; set && set->kind == BF_NFT_E_SET && k < set->n_sub;
	     k++) {
		const struct bf_nft_expr *e = set->sub[k];
		if (e && e->kind == BF_NFT_E_MAPPING && e->n_sub > 1 &&
		    e->sub[1] && e->sub[1]->kind == BF_NFT_E_VERDICT &&
		    reach_mangles(t, e->sub[1]->text, seen, depth))
			return true;
	}
	return false;
}

static bool chain_mangles(const struct bf_nft_table *t,
			  const struct bf_nft_chain *c, bool *seen, int depth)
{
	if (depth > 64) /* nft's own limit on jumps is 16 */
		return false;
	if (own_rules_mangle(c))
		return true;
	for (size_t i = 0; i < c->n_rules; i++)
		for (size_t j = 0; j < c->rules[i].n_stmts; j++) {
			const struct bf_nft_stmt *s = &c->rules[i].stmts[j];
			const struct bf_nft_expr *rhs;
			if (s->kind == BF_NFT_S_VERDICT &&
			    reach_mangles(t, s->u.verdict.chain, seen,
					  depth + 1))
				return true;
			if (s->kind != BF_NFT_S_MATCH ||
			    s->u.match.op != BF_NFT_OP_VMAP)
				continue;
			rhs = s->u.match.rhs;
			if (rhs && rhs->kind == BF_NFT_E_SETREF && rhs->text) {
				const struct bf_nft_set *m =
					bf_nft_set_find(t, rhs->text);
				rhs = m ? m->elems : NULL;
			}
			if (elems_mangle(t, rhs, seen, depth + 1))
				return true;
		}
	return false;
}

static bool reach_mangles(const struct bf_nft_table *t, const char *name,
			  bool *seen, int depth)
{
	const struct bf_nft_chain *c = name ? bf_nft_chain_find(t, name) : NULL;

	if (!c || c->hook != BF_NFT_HOOK_NONE || seen[c - t->chains])
		return false;
	seen[c - t->chains] = true;
	return chain_mangles(t, c, seen, depth);
}

bool nft_chain_mangles(const struct bf_nft_table *t,
		       const struct bf_nft_chain *c)
{
	bool seen_small[64] = { 0 };
	_cleanup_free_ bool *seen_big = NULL;
	bool *seen = seen_small;

	if (t->n_chains > 64) {
		seen_big = calloc(t->n_chains, sizeof(*seen_big));
		if (!seen_big) /* cannot tell: its own rules only */
			return own_rules_mangle(c);
		seen = seen_big;
	}
	return chain_mangles(t, c, seen, 0);
}
