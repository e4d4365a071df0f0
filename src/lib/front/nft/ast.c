// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "front/nft/nft.h"

struct bf_nft_expr *nft_expr_new(enum bf_nft_expr_kind kind,
				 const struct bf_nft_loc *loc)
{
	struct bf_nft_expr *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->kind = kind;
	if (loc)
		e->loc = *loc;
	return e;
}

void nft_expr_free(struct bf_nft_expr **e)
{
	if (!*e)
		return;
	for (size_t i = 0; i < (*e)->n_sub; i++)
		nft_expr_free(&(*e)->sub[i]);
	free((*e)->sub);
	free((*e)->text);
	free(*e);
	*e = NULL;
}

int nft_expr_add(struct bf_nft_expr *parent, struct bf_nft_expr *child)
{
	struct bf_nft_expr **v;

	if (!child)
		return -ENOMEM;
	v = realloc(parent->sub, (parent->n_sub + 1) * sizeof(*v));
	if (!v) {
		nft_expr_free(&child);
		return -ENOMEM;
	}
	v[parent->n_sub++] = child;
	parent->sub = v;
	return 0;
}

void nft_stmt_release(struct bf_nft_stmt *s)
{
	switch (s->kind) {
	case BF_NFT_S_MATCH:
		nft_expr_free(&s->u.match.lhs);
		nft_expr_free(&s->u.match.rhs);
		break;
	case BF_NFT_S_LOG:
		free(s->u.log.prefix);
		break;
	case BF_NFT_S_VERDICT:
		free(s->u.verdict.chain);
		break;
	case BF_NFT_S_SET:
		nft_expr_free(&s->u.set.lhs);
		nft_expr_free(&s->u.set.value);
		break;
	case BF_NFT_S_KERNEL:
		free(s->u.kernel.text);
		free(s->u.kernel.why);
		break;
	default:
		break;
	}
	memset(s, 0, sizeof(*s));
}

void nft_rule_release(struct bf_nft_rule *r)
{
	for (size_t i = 0; i < r->n_stmts; i++)
		nft_stmt_release(&r->stmts[i]);
	free(r->stmts);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

void nft_chain_release(struct bf_nft_chain *c)
{
	for (size_t i = 0; i < c->n_rules; i++)
		nft_rule_release(&c->rules[i]);
	free(c->rules);
	free(c->name);
	free(c->type);
	free(c->device);
	for (size_t i = 0; i < c->n_devices; i++)
		free(c->devices[i]);
	free(c->devices);
	free(c->comment);
	memset(c, 0, sizeof(*c));
}

void nft_set_release(struct bf_nft_set *s)
{
	free(s->name);
	free(s->policy);
	free(s->comment);
	nft_expr_free(&s->key_typeof);
	nft_expr_free(&s->elems);
	memset(s, 0, sizeof(*s));
}

void nft_table_release(struct bf_nft_table *t)
{
	for (size_t i = 0; i < t->n_chains; i++)
		nft_chain_release(&t->chains[i]);
	for (size_t i = 0; i < t->n_sets; i++)
		nft_set_release(&t->sets[i]);
	for (size_t i = 0; i < t->n_kobjs; i++)
		free(t->kobjs[i].text);
	free(t->kobjs);
	free(t->chains);
	free(t->sets);
	free(t->name);
	free(t->comment);
	memset(t, 0, sizeof(*t));
}

void bf_nft_free(struct bf_nft **nft)
{
	if (!*nft)
		return;
	for (size_t i = 0; i < (*nft)->n_tables; i++)
		nft_table_release(&(*nft)->tables[i]);
	free((*nft)->tables);
	for (size_t i = 0; i < (*nft)->n_files; i++)
		free((*nft)->files[i]);
	free((*nft)->files);
	free(*nft);
	*nft = NULL;
}

struct bf_nft_table *bf_nft_table_find(const struct bf_nft *nft,
				       enum bf_nft_family family,
				       const char *name)
{
	for (size_t i = 0; i < nft->n_tables; i++)
		if (nft->tables[i].family == family &&
		    !strcmp(nft->tables[i].name, name))
			return &nft->tables[i];
	return NULL;
}

struct bf_nft_chain *bf_nft_chain_find(const struct bf_nft_table *t,
				       const char *name)
{
	for (size_t i = 0; i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

struct bf_nft_set *bf_nft_set_find(const struct bf_nft_table *t,
				   const char *name)
{
	for (size_t i = 0; i < t->n_sets; i++)
		if (!strcmp(t->sets[i].name, name))
			return &t->sets[i];
	return NULL;
}

const struct bf_nft_expr *nft_vmap_elems(const struct bf_nft_table *t,
					 const struct bf_nft_stmt *s)
{
	const struct bf_nft_expr *m;
	const struct bf_nft_set *ns;

	if (s->kind != BF_NFT_S_MATCH || s->u.match.op != BF_NFT_OP_VMAP)
		return NULL;
	m = s->u.match.rhs;
	if (m->kind != BF_NFT_E_SETREF)
		return m;
	ns = bf_nft_set_find(t, m->text);
	return ns ? ns->elems : NULL;
}

const char *nft_intern_file(struct bf_nft *nft, const char *file)
{
	char **v;

	for (size_t i = 0; i < nft->n_files; i++)
		if (!strcmp(nft->files[i], file))
			return nft->files[i];
	v = realloc(nft->files, (nft->n_files + 1) * sizeof(*v));
	if (!v)
		return NULL;
	nft->files = v;
	v[nft->n_files] = strdup(file);
	if (!v[nft->n_files])
		return NULL;
	return v[nft->n_files++];
}

static const char *const family_names[BF_NFT_FAMILY_COUNT] = {
	[BF_NFT_FAMILY_IP] = "ip",     [BF_NFT_FAMILY_IP6] = "ip6",
	[BF_NFT_FAMILY_INET] = "inet", [BF_NFT_FAMILY_NETDEV] = "netdev",
	[BF_NFT_FAMILY_ARP] = "arp",   [BF_NFT_FAMILY_BRIDGE] = "bridge",
};
_Static_assert(ARRAY_SIZE(family_names) == BF_NFT_FAMILY_COUNT, "families");

const char *bf_nft_family_name(enum bf_nft_family family)
{
	return (unsigned)family < BF_NFT_FAMILY_COUNT ? family_names[family] :
							"?";
}

static const char *const hook_names[BF_NFT_HOOK_COUNT] = {
	[BF_NFT_HOOK_NONE] = "",
	[BF_NFT_HOOK_PREROUTING] = "prerouting",
	[BF_NFT_HOOK_INPUT] = "input",
	[BF_NFT_HOOK_FORWARD] = "forward",
	[BF_NFT_HOOK_OUTPUT] = "output",
	[BF_NFT_HOOK_POSTROUTING] = "postrouting",
	[BF_NFT_HOOK_INGRESS] = "ingress",
	[BF_NFT_HOOK_EGRESS] = "egress",
};
_Static_assert(ARRAY_SIZE(hook_names) == BF_NFT_HOOK_COUNT, "hooks");

const char *bf_nft_hook_name(enum bf_nft_hook hook)
{
	return (unsigned)hook < BF_NFT_HOOK_COUNT ? hook_names[hook] : "?";
}
