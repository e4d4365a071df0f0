// SPDX-License-Identifier: GPL-2.0-only
/*
 * The part of an nft ruleset that goes to the kernel's own nftables: base
 * chains of a type other than filter (nat, route) of ip / ip6 / inet
 * tables, type filter ones at prerouting / postrouting, and mangle
 * chains (MSS clamping, mangle.c) at any hook, with the
 * regular chains and the sets only they use. bpfilter compiles the type
 * filter chains at input, forward and output; `apply` loads the rest with `nft -f`
 * as a table of its own (BF_NFT_KERNEL_PREFIX + the table's name) in the
 * same transaction (src/cli/nftkern.c). doc/front-nft.md, "Chains for the
 * kernel", says when the split is exact and what is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "front/nft/nft.h"

static bool ipt_family(enum bf_nft_family f)
{
	return f == BF_NFT_FAMILY_IP || f == BF_NFT_FAMILY_IP6 ||
	       f == BF_NFT_FAMILY_INET;
}

/* A base chain the kernel's nftables runs: one of a type other than
 * filter, or a type filter one at prerouting / postrouting, hooks where
 * bpfilter attaches nothing (its IR has filter input, forward and output
 * only): nft registers each base chain as a hook function of its own
 * (nf_tables_register_hook()), so such a chain sees what it would see in
 * the whole ruleset, with nothing of bpfilter's at its hook to order it
 * against. */
bool nft_kernel_base(const struct bf_nft_table *t, const struct bf_nft_chain *c)
{
	if (!ipt_family(t->family) || c->hook == BF_NFT_HOOK_NONE)
		return false;
	if (c->type && strcmp(c->type, "filter"))
		return true;
	/* a mangle chain (MSS clamping) at any hook: mangle.c */
	return c->hook == BF_NFT_HOOK_PREROUTING ||
	       c->hook == BF_NFT_HOOK_POSTROUTING || nft_chain_mangles(t, c);
}

/* Names after `jump` / `goto` (chains) and `@` (sets) in the text of a
 * BF_NFT_S_KERNEL rule, each passed to fn. */
static void text_refs(const char *text,
		      void (*fn)(const char *name, size_t len, bool set,
				 void *data),
		      void *data)
{
	static const char name_chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./";
	const char *p = text;

	while (p && *p) {
		size_t n;
		if (*p == '@') {
			n = strspn(p + 1, name_chars);
			if (n)
				fn(p + 1, n, true, data);
			p += 1 + n;
			continue;
		}
		if ((!strncmp(p, "jump ", 5) || !strncmp(p, "goto ", 5)) &&
		    (p == text || p[-1] == ' ')) {
			p += 5;
			n = strspn(p, name_chars);
			if (n)
				fn(p, n, false, data);
			p += n;
			continue;
		}
		p++;
	}
}

struct reach {
	const struct bf_nft_table *t;
	bool *mark; /* per chain */
	bool *sets; /* per set: used, NULL when not wanted */
	int depth;
};

static void reach_chain(struct reach *r, const struct bf_nft_chain *c);

static void reach_name(struct reach *r, const char *name, size_t len, bool set)
{
	char buf[256];

	if (len >= sizeof(buf))
		return;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (set) {
		const struct bf_nft_set *s = bf_nft_set_find(r->t, buf);
		if (!s)
			return;
		if (r->sets)
			r->sets[s - r->t->sets] = true;
		/* a verdict map's chains */
		for (size_t k = 0; s->elems && k < s->elems->n_sub; k++) {
			const struct bf_nft_expr *e = s->elems->sub[k];
			if (e->kind == BF_NFT_E_MAPPING && e->n_sub > 1 &&
			    e->sub[1]->kind == BF_NFT_E_VERDICT &&
			    e->sub[1]->text)
				reach_name(r, e->sub[1]->text,
					   strlen(e->sub[1]->text), false);
		}
		return;
	}
	const struct bf_nft_chain *c = bf_nft_chain_find(r->t, buf);
	if (!c || r->mark[c - r->t->chains])
		return;
	r->mark[c - r->t->chains] = true;
	reach_chain(r, c);
}

static void reach_text(const char *name, size_t len, bool set, void *data)
{
	reach_name(data, name, len, set);
}

static void reach_expr(struct reach *r, const struct bf_nft_expr *e)
{
	if (!e)
		return;
	if (e->kind == BF_NFT_E_SETREF && e->text)
		reach_name(r, e->text, strlen(e->text), true);
	if (e->kind == BF_NFT_E_VERDICT && e->text)
		reach_name(r, e->text, strlen(e->text), false);
	for (size_t i = 0; i < e->n_sub; i++)
		reach_expr(r, e->sub[i]);
}

static void reach_chain(struct reach *r, const struct bf_nft_chain *c)
{
	if (++r->depth > 64)
		goto out;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct bf_nft_rule *ru = &c->rules[i];
		for (size_t j = 0; j < ru->n_stmts; j++) {
			const struct bf_nft_stmt *s = &ru->stmts[j];
			switch (s->kind) {
			case BF_NFT_S_MATCH:
				reach_expr(r, s->u.match.lhs);
				reach_expr(r, s->u.match.rhs);
				break;
			case BF_NFT_S_SET:
				reach_expr(r, s->u.set.lhs);
				reach_expr(r, s->u.set.value);
				break;
			case BF_NFT_S_VERDICT:
				if (s->u.verdict.chain)
					reach_name(r, s->u.verdict.chain,
						   strlen(s->u.verdict.chain),
						   false);
				break;
			case BF_NFT_S_KERNEL:
				text_refs(s->u.kernel.text, reach_text, r);
				break;
			default:
				break;
			}
		}
	}
out:
	r->depth--;
}

/* Marks from the base chains that `kernel` selects (kernel ones, or
 * filter ones); sets used, when sets is not NULL. */
static void reach_from(const struct bf_nft_table *t, bool kernel, bool *mark,
		       bool *sets)
{
	struct reach r = { .t = t, .mark = mark, .sets = sets };

	for (size_t i = 0; i < t->n_chains; i++) {
		const struct bf_nft_chain *c = &t->chains[i];
		if (c->hook == BF_NFT_HOOK_NONE ||
		    nft_kernel_base(t, c) != kernel)
			continue;
		mark[i] = true;
		reach_chain(&r, c);
	}
}

int nft_kernel_chains(const struct bf_nft_table *t, bool *kern, bool *filt)
{
	memset(kern, 0, t->n_chains * sizeof(*kern));
	memset(filt, 0, t->n_chains * sizeof(*filt));
	if (ipt_family(t->family))
		reach_from(t, true, kern, NULL);
	reach_from(t, false, filt, NULL);
	/* chains no base chain reaches are lowered, as they always were */
	for (size_t i = 0; i < t->n_chains; i++)
		if (!kern[i])
			filt[i] = true;
	return 0;
}

bool bf_nft_has_kernel_part(const struct bf_nft *nft)
{
	for (size_t ti = 0; ti < nft->n_tables; ti++) {
		if (nft->tables[ti].n_kobjs) /* objects.c */
			return true;
		for (size_t i = 0; i < nft->tables[ti].n_chains; i++)
			if (nft_kernel_base(&nft->tables[ti],
					    &nft->tables[ti].chains[i]))
				return true;
	}
	return false;
}

/* The reasons a BF_NFT_S_KERNEL rule holds ("LINE:COL:MESSAGE\n"...),
 * reported as the parser would have. */
static void report_why(const struct bf_nft_stmt *s, struct nft_errs *errs)
{
	for (const char *l = s->u.kernel.why; l && *l;) {
		const char *eol = strchr(l, '\n');
		struct bf_nft_loc loc = s->loc;
		int n = 0;
		if (sscanf(l, "%d:%d:%n", &loc.line, &loc.col, &n) < 2)
			n = 0;
		nft_unsupported(errs, &loc, "%.*s",
				(int)((eol ? eol : l + strlen(l)) - (l + n)),
				l + n);
		l = eol ? eol + 1 : l + strlen(l);
	}
}

int nft_kernel_check(const struct bf_nft *nft, struct nft_errs *errs)
{
	for (size_t ti = 0; ti < nft->n_tables; ti++) {
		const struct bf_nft_table *t = &nft->tables[ti];
		_cleanup_free_ bool *kern = calloc(t->n_chains + 1, 1);
		_cleanup_free_ bool *filt = calloc(t->n_chains + 1, 1);

		if (!kern || !filt)
			return -ENOMEM;
		nft_kernel_chains(t, kern, filt);
		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *c = &t->chains[i];
			if (!filt[i])
				continue;
			for (size_t k = 0; k < c->n_rules; k++)
				for (size_t j = 0; j < c->rules[k].n_stmts; j++)
					if (c->rules[k].stmts[j].kind ==
					    BF_NFT_S_KERNEL)
						report_why(
							&c->rules[k].stmts[j],
							errs);
		}
	}
	return 0;
}

/* Refusals that keep the split exact, for table t. */
static void split_checks(const struct bf_nft_table *t, const bool *kern,
			 const bool *filt, struct nft_errs *errs)
{
	_cleanup_free_ bool *ks = calloc(t->n_sets + 1, 1);
	_cleanup_free_ bool *fs = calloc(t->n_sets + 1, 1);
	_cleanup_free_ bool *mk = calloc(t->n_chains + 1, 1);
	_cleanup_free_ bool *mf = calloc(t->n_chains + 1, 1);

	if (!ks || !fs || !mk || !mf) {
		errs->n_errors++;
		return;
	}
	(void)kern;
	(void)filt;
	reach_from(t, true, mk, ks);
	reach_from(t, false, mf, fs);
	/* A set both parts use is two sets: nft's copy in the kernel's
	 * table, and the one bpfilter compiles (or maps, changed by
	 * `bpfilter set`). Only a constant set stays one. */
	for (size_t i = 0; i < t->n_sets; i++) {
		const struct bf_nft_set *s = &t->sets[i];
		if (ks[i] && fs[i] && !(s->flags & BF_NFT_SET_CONSTANT))
			nft_unsupported(
				errs, &s->loc,
				"%s %s is used by chains bpfilter compiles (type filter at input, forward, output) and by chains for the kernel's nftables (another type, prerouting / postrouting, or a mangle chain: nft would hold a copy of its own): make it constant (flags constant) or give each part its own",
				s->is_map ? "map" : "set", s->name);
	}
	/* A regular chain both parts reach is two copies: a limit in it
	 * would be two buckets (nft_limit_eval() keeps one per expression);
	 * `bpf object` is bpfilter's own statement, which nft cannot load. */
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct bf_nft_chain *c = &t->chains[i];
		for (size_t k = 0; mk[i] && k < c->n_rules; k++)
			for (size_t j = 0; j < c->rules[k].n_stmts; j++) {
				const struct bf_nft_stmt *st =
					&c->rules[k].stmts[j];
				if (st->kind == BF_NFT_S_LIMIT && mf[i])
					nft_unsupported(
						errs, &st->loc,
						"chain %s: limit in a chain reached from chains bpfilter compiles and from chains for the kernel's nftables (two copies, two buckets, where nft has one)",
						c->name);
				if (st->kind == BF_NFT_S_BPF)
					nft_unsupported(
						errs, &st->loc,
						"chain %s: bpf object in a chain for the kernel's nftables (bpfilter's own statement)",
						c->name);
			}
	}
	/* nft orders base chains of one hook and priority by registration,
	 * and a BPF link cannot share a priority (EBUSY) */
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct bf_nft_chain *a = &t->chains[i];
		if (!nft_kernel_base(t, a))
			continue;
		for (size_t j = 0; j < t->n_chains; j++) {
			const struct bf_nft_chain *b = &t->chains[j];
			if (b->hook != a->hook || nft_kernel_base(t, b) ||
			    b->priority != a->priority)
				continue;
			nft_unsupported(
				errs, &a->loc,
				"chain %s: type %s at the hook and priority (%d) of type filter chain %s: nft orders such chains by registration, which bpfilter does not control",
				a->name, a->type, a->priority, b->name);
		}
	}
}

/* Chain priorities as numbers: nft 1.0.6 refuses some standard names at
 * some hooks (`type nat hook output priority dstnat`: "invalid priority
 * expression value in this context"; later versions take it), while
 * every number in range is accepted. */
static char *numeric_prios(const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *p = text;

	if (!m)
		return NULL;
	while (*p) {
		const char *at = strstr(p, " priority ");
		const char *w;
		bool done = false;
		if (!at) {
			fputs(p, m);
			break;
		}
		w = at + strlen(" priority ");
		fwrite(p, 1, (size_t)(w - p), m);
		for (size_t i = 0; i < nft_n_prios && !done; i++) {
			size_t n = strlen(nft_prios[i].name);
			int d = 0, k = 0;
			if (strncmp(w, nft_prios[i].name, n) ||
			    (w[n] != ';' && w[n] != ' '))
				continue;
			if (sscanf(w + n, " + %d%n", &d, &k) == 1)
				;
			else if (sscanf(w + n, " - %d%n", &d, &k) == 1)
				d = -d;
			else
				k = 0;
			fprintf(m, "%d", nft_prios[i].value + d);
			w += n + (size_t)k;
			done = true;
		}
		p = w;
	}
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int bf_nft_kernel_text(const struct bf_nft *nft, char **text)
{
	struct nft_errs errs = { 0 };
	struct bf_nft view = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int r = 0;

	*text = NULL;
	if (!bf_nft_has_kernel_part(nft))
		return 0;
	view.files = nft->files;
	view.n_files = nft->n_files;
	view.tables = calloc(nft->n_tables + 1, sizeof(*view.tables));
	if (!view.tables)
		return -ENOMEM;
	for (size_t ti = 0; ti < nft->n_tables && !r; ti++) {
		const struct bf_nft_table *t = &nft->tables[ti];
		struct bf_nft_table *vt;
		_cleanup_free_ bool *kern = calloc(t->n_chains + 1, 1);
		_cleanup_free_ bool *filt = calloc(t->n_chains + 1, 1);
		_cleanup_free_ bool *mk = calloc(t->n_chains + 1, 1);
		_cleanup_free_ bool *ks = calloc(t->n_sets + 1, 1);
		bool any = false;

		if (!kern || !filt || !mk || !ks) {
			r = -ENOMEM;
			break;
		}
		nft_kernel_chains(t, kern, filt);
		for (size_t i = 0; i < t->n_chains; i++)
			any |= kern[i];
		if (!any && !t->n_kobjs)
			continue;
		split_checks(t, kern, filt, &errs);
		reach_from(t, true, mk, ks);
		vt = &view.tables[view.n_tables++];
		*vt = *t;
		vt->name = NULL;
		vt->chains = calloc(t->n_chains + 1, sizeof(*vt->chains));
		vt->sets = calloc(t->n_sets + 1, sizeof(*vt->sets));
		if (!vt->chains || !vt->sets ||
		    asprintf(&vt->name, "%s%s", BF_NFT_KERNEL_PREFIX, t->name) <
			    0) {
			vt->name = NULL;
			r = -ENOMEM;
			break;
		}
		vt->n_chains = 0;
		vt->n_sets = 0;
		for (size_t i = 0; i < t->n_sets; i++)
			if (ks[i])
				vt->sets[vt->n_sets++] = t->sets[i];
		for (size_t i = 0; i < t->n_chains; i++)
			if (kern[i])
				vt->chains[vt->n_chains++] = t->chains[i];
	}
	if (!r && (errs.n_errors || errs.n_unsupported))
		r = errs.n_errors ? -ENOMEM : -EOPNOTSUPP;
	if (!r) {
		m = open_memstream(&buf, &len);
		if (!m) {
			r = -ENOMEM;
		} else {
			r = bf_nft_print(m, &view);
			if (fclose(m) && !r)
				r = -ENOMEM;
		}
	}
	if (!r) {
		/* conntrack objects first in their table: the rules that
		 * name them follow (objects.c) */
		char *with = nft_insert_kobjs(buf, &view);

		free(buf);
		buf = with;
		if (!buf)
			r = -ENOMEM;
	}
	for (size_t i = 0; i < view.n_tables; i++) {
		free(view.tables[i].name);
		free(view.tables[i].chains);
		free(view.tables[i].sets);
	}
	free(view.tables);
	if (r) {
		free(buf);
		return r;
	}
	*text = numeric_prios(buf);
	free(buf);
	return *text ? 0 : -ENOMEM;
}
