// SPDX-License-Identifier: GPL-2.0-only
/*
 * Chains named by verdict maps: `vmap { K : jump C }` in a rule and the
 * elements of a named map of type verdict. nft checks each such chain
 * when it loads the rule or element (nft_verdict_init(): -ENOENT for a
 * missing chain, -EOPNOTSUPP for a base chain). Checked once per table
 * after evaluation, so the error comes once, at the element, whichever
 * part (bpfilter's programs or the kernel's nftables) the map ends up in
 * and however many families a table is lowered for.
 */
#include <stdbool.h>

#include "bpfilter/front_nft.h"
#include "front/nft/nft.h"

static void check_verdict(const struct bf_nft_table *t,
			  const struct bf_nft_expr *v, struct nft_errs *errs)
{
	const struct bf_nft_chain *c;

	if (!v->text || (v->op != BF_NFT_V_JUMP && v->op != BF_NFT_V_GOTO))
		return;
	c = bf_nft_chain_find(t, v->text);
	if (!c)
		nft_error(errs, &v->loc, "no such chain: %s", v->text);
	else if (c->hook != BF_NFT_HOOK_NONE)
		nft_error(errs, &v->loc, "cannot jump to base chain %s",
			  v->text);
}

/* The verdicts of the mappings of an element list (E_SET of E_MAPPING). */
static void check_elems(const struct bf_nft_table *t,
			const struct bf_nft_expr *set, struct nft_errs *errs)
{
	if (!set || set->kind != BF_NFT_E_SET)
		return;
	for (size_t k = 0; k < set->n_sub; k++) {
		const struct bf_nft_expr *e = set->sub[k];
		if (e && e->kind == BF_NFT_E_MAPPING && e->n_sub > 1 &&
		    e->sub[1] && e->sub[1]->kind == BF_NFT_E_VERDICT)
			check_verdict(t, e->sub[1], errs);
	}
}

void nft_check_chain_refs(const struct bf_nft_table *t, struct nft_errs *errs)
{
	for (size_t i = 0; i < t->n_sets; i++)
		if (t->sets[i].is_map && t->sets[i].data == BF_NFT_DT_VERDICT)
			check_elems(t, t->sets[i].elems, errs);
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct bf_nft_chain *c = &t->chains[i];
		for (size_t j = 0; j < c->n_rules; j++)
			for (size_t k = 0; k < c->rules[j].n_stmts; k++) {
				const struct bf_nft_stmt *s =
					&c->rules[j].stmts[k];
				if (s->kind == BF_NFT_S_MATCH &&
				    s->u.match.op == BF_NFT_OP_VMAP)
					check_elems(t, s->u.match.rhs, errs);
			}
	}
}
