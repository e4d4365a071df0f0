// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recursive-descent parser of the nft file syntax (the grammar of nftables'
 * src/parser_bison.y, for the subset described in doc/front-nft.md) into
 * the AST of front_nft.h. Right-hand sides are kept as raw words here;
 * eval.c types them once the whole input (sets included) is known.
 *
 * Error recovery is per statement line: an error skips to the end of the
 * line (or the closing brace) and parsing goes on, so that every error of
 * a file is reported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/userbpf.h"
#include "front/nft/nft.h"

struct parser {
	struct bf_nft *nft;
	struct nft_tokens toks;
	size_t pos;
	struct nft_errs errs;
	bool oom;
	/* anonymous chains (`jump { ... }`) of the command being parsed,
	 * moved into its table by flush_anon() */
	struct bf_nft_chain *anon;
	size_t n_anon;
	unsigned int anon_seq;
	bool in_anon; /* parsing the rules of an anonymous chain */
};

static struct nft_token *cur(struct parser *p)
{
	return &p->toks.v[p->pos];
}

static struct nft_token *peek(struct parser *p, size_t k)
{
	size_t i = p->pos + k;

	return &p->toks.v[i < p->toks.n ? i : p->toks.n - 1];
}

static void advance(struct parser *p)
{
	if (p->pos + 1 < p->toks.n)
		p->pos++;
}

static bool is_word(struct parser *p, const char *w)
{
	struct nft_token *t = cur(p);

	return t->type == NFT_T_WORD && !strcmp(t->text, w);
}

static bool accept_word(struct parser *p, const char *w)
{
	if (!is_word(p, w))
		return false;
	advance(p);
	return true;
}

static bool accept_tok(struct parser *p, enum nft_tok t)
{
	if (cur(p)->type != t)
		return false;
	advance(p);
	return true;
}

static bool at_end_of_stmt(struct parser *p)
{
	enum nft_tok t = cur(p)->type;

	return t == NFT_T_NL || t == NFT_T_SEMI || t == NFT_T_RBRACE ||
	       t == NFT_T_EOF;
}

static void skip_nl(struct parser *p)
{
	while (cur(p)->type == NFT_T_NL || cur(p)->type == NFT_T_SEMI)
		advance(p);
}

static void skip_nl_only(struct parser *p)
{
	while (cur(p)->type == NFT_T_NL)
		advance(p);
}

static const char *tok_desc(const struct nft_token *t)
{
	static const char *const names[NFT_T_COUNT] = {
		[NFT_T_EOF] = "end of file", [NFT_T_NL] = "end of line",
		[NFT_T_SEMI] = "';'",	     [NFT_T_LBRACE] = "'{'",
		[NFT_T_RBRACE] = "'}'",	     [NFT_T_LPAREN] = "'('",
		[NFT_T_RPAREN] = "')'",	     [NFT_T_COMMA] = "','",
		[NFT_T_DOT] = "'.'",	     [NFT_T_COLON] = "':'",
		[NFT_T_SLASH] = "'/'",	     [NFT_T_MINUS] = "'-'",
		[NFT_T_PLUS] = "'+'",	     [NFT_T_AT] = "'@'",
		[NFT_T_EQ] = "'='",	     [NFT_T_EQEQ] = "'=='",
		[NFT_T_NE] = "'!='",	     [NFT_T_LT] = "'<'",
		[NFT_T_GT] = "'>'",	     [NFT_T_LE] = "'<='",
		[NFT_T_GE] = "'>='",	     [NFT_T_NOT] = "'!'",
		[NFT_T_AND] = "'&'",	     [NFT_T_OR] = "'|'",
		[NFT_T_XOR] = "'^'",	     [NFT_T_LSHIFT] = "'<<'",
		[NFT_T_RSHIFT] = "'>>'",     [NFT_T_VAR] = "variable",
	};
	static char buf[96];

	if (t->type == NFT_T_WORD || t->type == NFT_T_STRING) {
		snprintf(buf, sizeof(buf), "'%.80s'", t->text);
		return buf;
	}
	return names[t->type] ? names[t->type] : "token";
}

static void perr(struct parser *p, const char *expected)
{
	nft_error(&p->errs, &cur(p)->loc, "syntax error: expected %s, got %s",
		  expected, tok_desc(cur(p)));
}

/* Skip to the end of the current statement line (not past a '}' that
 * closes the block we are in). */
static void recover(struct parser *p)
{
	int depth = 0;

	for (;;) {
		enum nft_tok t = cur(p)->type;
		if (t == NFT_T_EOF)
			return;
		if (depth == 0 && (t == NFT_T_NL || t == NFT_T_SEMI))
			return;
		if (t == NFT_T_LBRACE)
			depth++;
		if (t == NFT_T_RBRACE) {
			if (depth == 0)
				return;
			depth--;
		}
		advance(p);
	}
}

static char *take_word(struct parser *p, const char *what)
{
	struct nft_token *t = cur(p);
	char *s;

	if (t->type != NFT_T_WORD && t->type != NFT_T_STRING) {
		perr(p, what);
		return NULL;
	}
	s = strdup(t->text);
	if (!s)
		p->oom = true;
	advance(p);
	return s;
}

/* ---- expressions ---- */

static struct bf_nft_expr *parse_rhs(struct parser *p, bool in_set);
static struct bf_nft_expr *parse_lhs(struct parser *p, bool unsup_quiet);

/* Does the current token start a field expression (an lhs)? */
static bool starts_lhs(struct parser *p)
{
	struct nft_token *t = cur(p);

	if (t->type == NFT_T_LPAREN)
		return true;
	if (t->type != NFT_T_WORD)
		return false;
	if (!strcmp(t->text, "meta") || !strcmp(t->text, "ct"))
		return true;
	if (nft_meta_unqualified(t->text))
		return true;
	if (nft_proto_known(t->text)) {
		/* "ip" alone is a value (meta protocol ip): a field needs
		 * a following word. */
		return peek(p, 1)->type == NFT_T_WORD;
	}
	return false;
}

static struct bf_nft_expr *new_expr(struct parser *p,
				    enum bf_nft_expr_kind kind,
				    const struct bf_nft_loc *loc)
{
	struct bf_nft_expr *e = nft_expr_new(kind, loc);

	if (!e)
		p->oom = true;
	return e;
}

static struct bf_nft_expr *field_expr(struct parser *p,
				      const struct bf_nft_field *f,
				      const struct bf_nft_loc *loc)
{
	struct bf_nft_expr *e = new_expr(p, BF_NFT_E_FIELD, loc);

	if (e) {
		e->field = f;
		e->dtype = f->dtype;
		e->len_bits = f->len_bits;
	}
	return e;
}

/* `ct original|reply [ip|ip6] KEY`, at the direction word: the tuple
 * fields of types.c, named as nft lists them; `ct original protocol` is
 * listed `ct protocol` (one protocol for both tuples). Other keys of a
 * direction (bytes, packets, avgpkt, zone) stay unsupported. */
static struct bf_nft_expr *parse_ct_dir(struct parser *p,
					const struct bf_nft_loc *loc)
{
	struct nft_token *dir = cur(p);
	const struct bf_nft_field *f = NULL;
	const char *fam = NULL, *key;
	char name[64];

	if (peek(p, 1)->type == NFT_T_WORD &&
	    (!strcmp(peek(p, 1)->text, "ip") ||
	     !strcmp(peek(p, 1)->text, "ip6")) &&
	    peek(p, 2)->type == NFT_T_WORD)
		fam = peek(p, 1)->text;
	key = peek(p, fam ? 2 : 1)->type == NFT_T_WORD ?
		      peek(p, fam ? 2 : 1)->text :
		      "";
	if (fam)
		snprintf(name, sizeof(name), "%s %s %s", dir->text, fam, key);
	else if (!strcmp(key, "protocol"))
		snprintf(name, sizeof(name), "%s", key);
	else if (!strcmp(key, "proto-src") || !strcmp(key, "proto-dst"))
		snprintf(name, sizeof(name), "%s %s", dir->text, key);
	else
		name[0] = '\0';
	if (name[0])
		f = nft_field_find("ct", name);
	if (!f) {
		bool addr = !fam &&
			    (!strcmp(key, "saddr") || !strcmp(key, "daddr"));
		nft_unsupported(&p->errs, &dir->loc, "ct %s%s%s%s", dir->text,
				key[0] ? " " : "", key,
				addr ? " without ip or ip6" : "");
		return NULL;
	}
	advance(p);
	if (fam)
		advance(p);
	advance(p);
	return field_expr(p, f, loc);
}

static struct bf_nft_expr *parse_field(struct parser *p)
{
	struct nft_token *t = cur(p);
	struct bf_nft_loc loc = t->loc;
	const struct bf_nft_field *f;
	const char *proto = t->text;
	const char *name;

	if (t->type == NFT_T_AT) {
		nft_unsupported(
			&p->errs, &t->loc,
			"raw payload expressions (@base,offset,length)");
		return NULL;
	}
	if (t->type != NFT_T_WORD) {
		perr(p, "an expression");
		return NULL;
	}
	if (!strcmp(proto, "meta")) {
		advance(p);
		if (cur(p)->type != NFT_T_WORD) {
			perr(p, "a meta key");
			return NULL;
		}
		name = cur(p)->text;
		f = nft_field_find("meta", name);
		if (!f) {
			if (nft_meta_key_unsupported(name))
				nft_unsupported(&p->errs, &cur(p)->loc,
						"meta %s", name);
			else
				nft_error(&p->errs, &cur(p)->loc,
					  "unknown meta key '%s'", name);
			return NULL;
		}
		advance(p);
		return field_expr(p, f, &loc);
	}
	if (!strcmp(proto, "ct")) {
		advance(p);
		if (cur(p)->type != NFT_T_WORD) {
			perr(p, "a ct key");
			return NULL;
		}
		name = cur(p)->text;
		if (!strcmp(name, "original") || !strcmp(name, "reply"))
			return parse_ct_dir(p, &loc);
		f = nft_field_find("ct", name);
		/* `ct helper set "NAME"` assigns a helper object: the
		 * kernel's nftables does it (objects.c, kernpart.c), as
		 * before `ct helper` was a match */
		if (f && f->id == BF_NFT_CT_HELPER &&
		    peek(p, 1)->type == NFT_T_WORD &&
		    !strcmp(peek(p, 1)->text, "set")) {
			nft_unsupported(&p->errs, &cur(p)->loc, "ct %s", name);
			return NULL;
		}
		if (!f) {
			if (nft_ct_key_unsupported(name))
				nft_unsupported(&p->errs, &cur(p)->loc, "ct %s",
						name);
			else
				nft_error(&p->errs, &cur(p)->loc,
					  "unknown ct key '%s'", name);
			return NULL;
		}
		advance(p);
		return field_expr(p, f, &loc);
	}
	if (nft_meta_unqualified(proto)) {
		f = nft_field_find("meta", proto);
		if (!f) {
			nft_unsupported(&p->errs, &loc, "meta %s", proto);
			return NULL;
		}
		advance(p);
		return field_expr(p, f, &loc);
	}
	if (!strcmp(proto, "fib") && peek(p, 1)->type == NFT_T_WORD &&
	    !strcmp(peek(p, 1)->text, "daddr") &&
	    peek(p, 2)->type == NFT_T_WORD &&
	    !strcmp(peek(p, 2)->text, "type")) {
		/* fib daddr type (fib.c); other fib forms are unsupported */
		advance(p);
		advance(p);
		advance(p);
		return field_expr(p, nft_field_find("fib", "daddr type"), &loc);
	}
	if (!strcmp(proto, "fib")) {
		nft_unsupported(&p->errs, &loc,
				"'fib' expressions other than fib daddr type");
		return NULL;
	}
	if (!strcmp(proto, "rt") && (peek(p, 1)->type != NFT_T_WORD ||
				     strcmp(peek(p, 1)->text, "type"))) {
		/* routing header fields but the type, and nft_rt's route
		 * keys (rt mtu, rt nexthop, rt classid, rt ipsec) */
		nft_unsupported(&p->errs, &loc,
				"'rt' expressions other than rt type");
		return NULL;
	}
	if (nft_proto_known(proto) < 0) {
		nft_unsupported(&p->errs, &loc, "'%s' expressions", proto);
		return NULL;
	}
	advance(p);
	if (cur(p)->type != NFT_T_WORD) {
		perr(p, "a header field");
		return NULL;
	}
	name = cur(p)->text;
	f = nft_field_find(proto, name);
	if (!f) {
		if (!strcmp(proto, "icmpv6") &&
		    (!strcmp(name, "taddr") || !strcmp(name, "daddr")))
			nft_unsupported(&p->errs, &loc, "icmpv6 %s", name);
		else if (!strcmp(proto, "tcp") && !strcmp(name, "option"))
			nft_unsupported(&p->errs, &loc, "tcp option");
		else if (!strcmp(proto, "ip") && !strcmp(name, "option"))
			nft_unsupported(&p->errs, &loc, "ip option");
		else if (!strcmp(proto, "ip6") &&
			 (!strcmp(name, "nexthdr") || !strcmp(name, "hdr")))
			nft_unsupported(&p->errs, &loc, "ip6 %s", name);
		else
			nft_error(&p->errs, &cur(p)->loc,
				  "unknown %s header field '%s'", proto, name);
		return NULL;
	}
	advance(p);
	return field_expr(p, f, &loc);
}

static int binop_of(struct parser *p)
{
	struct nft_token *t = cur(p);

	switch (t->type) {
	case NFT_T_AND:
		return BF_NFT_BINOP_AND;
	case NFT_T_OR:
		return BF_NFT_BINOP_OR;
	case NFT_T_XOR:
		return BF_NFT_BINOP_XOR;
	case NFT_T_LSHIFT:
		return BF_NFT_BINOP_LSHIFT;
	case NFT_T_RSHIFT:
		return BF_NFT_BINOP_RSHIFT;
	case NFT_T_WORD:
		if (!strcmp(t->text, "and"))
			return BF_NFT_BINOP_AND;
		if (!strcmp(t->text, "or"))
			return BF_NFT_BINOP_OR;
		if (!strcmp(t->text, "xor"))
			return BF_NFT_BINOP_XOR;
		return -1;
	default:
		return -1;
	}
}

/* Operand of a binary operator: a constant (list of flags in parentheses
 * allowed) or a field. */
static struct bf_nft_expr *parse_operand(struct parser *p)
{
	if (starts_lhs(p) && cur(p)->type != NFT_T_LPAREN)
		return parse_lhs(p, false);
	if (cur(p)->type == NFT_T_LPAREN) {
		advance(p);
		struct bf_nft_expr *e = starts_lhs(p) ? parse_lhs(p, false) :
							parse_rhs(p, false);
		if (!e)
			return NULL;
		if (!accept_tok(p, NFT_T_RPAREN)) {
			perr(p, "')'");
			nft_expr_free(&e);
			return NULL;
		}
		return e;
	}
	return parse_rhs(p, true);
}

static struct bf_nft_expr *parse_lhs_primary(struct parser *p)
{
	if (cur(p)->type == NFT_T_LPAREN) {
		advance(p);
		struct bf_nft_expr *e = parse_lhs(p, false);
		if (!e)
			return NULL;
		if (!accept_tok(p, NFT_T_RPAREN)) {
			perr(p, "')'");
			nft_expr_free(&e);
			return NULL;
		}
		return e;
	}
	return parse_field(p);
}

static struct bf_nft_expr *parse_lhs(struct parser *p, bool unsup_quiet)
{
	struct bf_nft_expr *e = parse_lhs_primary(p);
	int op;

	(void)unsup_quiet;
	while (e && (op = binop_of(p)) >= 0) {
		struct bf_nft_loc loc = cur(p)->loc;
		struct bf_nft_expr *b = new_expr(p, BF_NFT_E_BINOP, &loc);
		advance(p);
		if (!b) {
			nft_expr_free(&e);
			return NULL;
		}
		b->op = op;
		b->dtype = e->dtype;
		b->len_bits = e->len_bits;
		nft_expr_add(b, e);
		e = parse_operand(p);
		if (!e) {
			nft_expr_free(&b);
			return NULL;
		}
		nft_expr_add(b, e);
		e = b;
	}
	if (e && cur(p)->type == NFT_T_DOT) {
		struct bf_nft_expr *c = new_expr(p, BF_NFT_E_CONCAT, &e->loc);
		if (!c) {
			nft_expr_free(&e);
			return NULL;
		}
		nft_expr_add(c, e);
		while (accept_tok(p, NFT_T_DOT)) {
			e = parse_lhs_primary(p);
			if (!e) {
				nft_expr_free(&c);
				return NULL;
			}
			nft_expr_add(c, e);
		}
		e = c;
	}
	return e;
}

static struct bf_nft_expr *raw_from_tok(struct parser *p)
{
	struct nft_token *t = cur(p);
	struct bf_nft_expr *e;

	if (t->type != NFT_T_WORD && t->type != NFT_T_STRING) {
		perr(p, "a value");
		return NULL;
	}
	e = new_expr(p, BF_NFT_E_RAW, &t->loc);
	if (!e)
		return NULL;
	if (t->type == NFT_T_WORD && !strcmp(t->text, "*")) {
		e->kind = BF_NFT_E_WILDCARD;
	} else {
		e->text = strdup(t->text);
		e->quoted = t->type == NFT_T_STRING;
		if (!e->text) {
			p->oom = true;
			nft_expr_free(&e);
			return NULL;
		}
	}
	advance(p);
	return e;
}

static bool is_verdict_word(const char *w)
{
	return !strcmp(w, "accept") || !strcmp(w, "drop") ||
	       !strcmp(w, "continue") || !strcmp(w, "return") ||
	       !strcmp(w, "jump") || !strcmp(w, "goto");
}

static int parse_rule(struct parser *p, struct bf_nft_rule *r);

static void perr_nest(struct parser *p)
{
	nft_error(&p->errs, &cur(p)->loc,
		  "too many levels of nesting: an anonymous chain inside "
		  "another (nft refuses it too)");
}

/* `jump { rule; rule... }` / `goto { ... }`: an anonymous chain (nft's
 * binding chain, NFT_CHAIN_BINDING), parsed into a regular chain named
 * __chainN (flagged anon) kept in p->anon until flush_anon() moves it into
 * the table. Returns its name (for the verdict), NULL on error. */
static char *parse_anon_chain(struct parser *p)
{
	struct bf_nft_chain c = { 0 };
	struct bf_nft_rule *rv;
	struct bf_nft_chain *v;
	char name[32];
	int ret;

	c.loc = cur(p)->loc;
	if (p->in_anon) {
		/* nft 1.0.6: "too many levels of nesting" (its parser's
		 * scope depth) */
		perr_nest(p);
		return NULL;
	}
	c.anon = true;
	c.policy = BF_NFT_V_ACCEPT;
	advance(p); /* { */
	for (;;) {
		struct bf_nft_rule r = { 0 };
		skip_nl(p);
		if (accept_tok(p, NFT_T_RBRACE))
			break;
		if (cur(p)->type == NFT_T_EOF) {
			perr(p, "'}'");
			nft_chain_release(&c);
			return NULL;
		}
		p->in_anon = true;
		ret = parse_rule(p, &r);
		p->in_anon = false;
		if (ret)
			continue;
		rv = realloc(c.rules, (c.n_rules + 1) * sizeof(*rv));
		if (!rv) {
			p->oom = true;
			nft_rule_release(&r);
			nft_chain_release(&c);
			return NULL;
		}
		c.rules = rv;
		c.rules[c.n_rules++] = r;
	}
	snprintf(name, sizeof(name), "__chain%u", p->anon_seq++);
	c.name = strdup(name);
	v = realloc(p->anon, (p->n_anon + 1) * sizeof(*v));
	if (!c.name || !v) {
		if (v)
			p->anon = v;
		p->oom = true;
		nft_chain_release(&c);
		return NULL;
	}
	p->anon = v;
	p->anon[p->n_anon++] = c;
	return strdup(name);
}

/* Move the pending anonymous chains into t (NULL: drop them). */
static void flush_anon(struct parser *p, struct bf_nft_table *t)
{
	for (size_t i = 0; i < p->n_anon; i++) {
		struct bf_nft_chain *c = &p->anon[i];
		struct bf_nft_chain *v;
		if (!t || bf_nft_chain_find(t, c->name)) {
			if (t)
				nft_error(
					&p->errs, &c->loc,
					"chain %s: the name of an anonymous chain (reserved)",
					c->name);
			nft_chain_release(c);
			continue;
		}
		v = realloc(t->chains, (t->n_chains + 1) * sizeof(*v));
		if (!v) {
			p->oom = true;
			nft_chain_release(c);
			continue;
		}
		t->chains = v;
		t->chains[t->n_chains++] = *c;
	}
	free(p->anon);
	p->anon = NULL;
	p->n_anon = 0;
}

static struct bf_nft_expr *parse_verdict_expr(struct parser *p)
{
	struct nft_token *t = cur(p);
	struct bf_nft_expr *e;
	static const char *const names[] = {
		[BF_NFT_V_ACCEPT] = "accept",	  [BF_NFT_V_DROP] = "drop",
		[BF_NFT_V_CONTINUE] = "continue", [BF_NFT_V_RETURN] = "return",
		[BF_NFT_V_JUMP] = "jump",	  [BF_NFT_V_GOTO] = "goto",
	};

	if (t->type != NFT_T_WORD || !is_verdict_word(t->text)) {
		perr(p, "a verdict");
		return NULL;
	}
	e = new_expr(p, BF_NFT_E_VERDICT, &t->loc);
	if (!e)
		return NULL;
	e->dtype = BF_NFT_DT_VERDICT;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], t->text))
			e->op = (int)i;
	advance(p);
	if (e->op == BF_NFT_V_JUMP || e->op == BF_NFT_V_GOTO) {
		if (cur(p)->type == NFT_T_LBRACE)
			e->text = parse_anon_chain(p);
		else
			e->text = take_word(p, "a chain name");
		if (!e->text) {
			nft_expr_free(&e);
			return NULL;
		}
	}
	return e;
}

static struct bf_nft_expr *parse_set_block(struct parser *p)
{
	struct bf_nft_expr *s = new_expr(p, BF_NFT_E_SET, &cur(p)->loc);

	if (!s)
		return NULL;
	advance(p); /* { */
	for (;;) {
		skip_nl_only(p);
		if (accept_tok(p, NFT_T_RBRACE))
			return s;
		struct bf_nft_expr *k = parse_rhs(p, true);
		if (!k) {
			nft_expr_free(&s);
			return NULL;
		}
		if (cur(p)->type == NFT_T_WORD &&
		    (!strcmp(cur(p)->text, "timeout") ||
		     !strcmp(cur(p)->text, "expires") ||
		     !strcmp(cur(p)->text, "comment") ||
		     !strcmp(cur(p)->text, "counter"))) {
			nft_unsupported(&p->errs, &cur(p)->loc,
					"set element option '%s'",
					cur(p)->text);
			nft_expr_free(&k);
			nft_expr_free(&s);
			return NULL;
		}
		if (accept_tok(p, NFT_T_COLON)) {
			struct bf_nft_expr *m =
				new_expr(p, BF_NFT_E_MAPPING, &k->loc);
			struct bf_nft_expr *v;
			if (!m) {
				nft_expr_free(&k);
				nft_expr_free(&s);
				return NULL;
			}
			nft_expr_add(m, k);
			if (cur(p)->type == NFT_T_WORD &&
			    is_verdict_word(cur(p)->text))
				v = parse_verdict_expr(p);
			else
				v = parse_rhs(p, true);
			if (!v) {
				nft_expr_free(&m);
				nft_expr_free(&s);
				return NULL;
			}
			nft_expr_add(m, v);
			k = m;
		}
		nft_expr_add(s, k);
		skip_nl_only(p);
		if (accept_tok(p, NFT_T_COMMA))
			continue;
		skip_nl_only(p);
		if (accept_tok(p, NFT_T_RBRACE))
			return s;
		perr(p, "',' or '}'");
		nft_expr_free(&s);
		return NULL;
	}
}

static struct bf_nft_expr *parse_rhs_primary(struct parser *p)
{
	struct nft_token *t = cur(p);
	struct bf_nft_expr *e;

	switch (t->type) {
	case NFT_T_LBRACE:
		return parse_set_block(p);
	case NFT_T_AT:
		e = new_expr(p, BF_NFT_E_SETREF, &t->loc);
		advance(p);
		if (!e)
			return NULL;
		e->text = take_word(p, "a set name");
		if (!e->text)
			nft_expr_free(&e);
		return e;
	case NFT_T_LPAREN:
		advance(p);
		e = parse_rhs(p, false);
		if (e && !accept_tok(p, NFT_T_RPAREN)) {
			perr(p, "')'");
			nft_expr_free(&e);
		}
		return e;
	case NFT_T_WORD:
	case NFT_T_STRING:
		e = raw_from_tok(p);
		if (!e)
			return NULL;
		/* spaced range "1 - 2", prefix "10.0.0.0 / 8" or rate */
		/* "1 - 2" is a range; "10.0.0.0 / 8" a prefix, but in
		 * "fin,syn / fin,syn" the '/' is the flag mask of the
		 * whole list (parse_rhs) */
		if ((cur(p)->type == NFT_T_MINUS ||
		     (cur(p)->type == NFT_T_SLASH &&
		      peek(p, 1)->type == NFT_T_WORD &&
		      peek(p, 1)->text[0] >= '0' &&
		      peek(p, 1)->text[0] <= '9')) &&
		    (peek(p, 1)->type == NFT_T_WORD)) {
			bool range = cur(p)->type == NFT_T_MINUS;
			struct bf_nft_expr *r = new_expr(
				p, range ? BF_NFT_E_RANGE : BF_NFT_E_PREFIX,
				&e->loc);
			advance(p);
			if (!r) {
				nft_expr_free(&e);
				return NULL;
			}
			nft_expr_add(r, e);
			e = raw_from_tok(p);
			if (!e) {
				nft_expr_free(&r);
				return NULL;
			}
			nft_expr_add(r, e);
			return r;
		}
		return e;
	default:
		perr(p, "a value");
		return NULL;
	}
}

/* e (sep primary)*: e itself when no sep follows, else a BF_NFT_E_LIST of
 * operator op; NULL (e freed) on error. */
static struct bf_nft_expr *rhs_list(struct parser *p, struct bf_nft_expr *e,
				    enum nft_tok sep, char op)
{
	struct bf_nft_expr *l;

	if (cur(p)->type != sep)
		return e;
	l = new_expr(p, BF_NFT_E_LIST, &e->loc);
	if (!l) {
		nft_expr_free(&e);
		return NULL;
	}
	l->op = op;
	nft_expr_add(l, e);
	while (accept_tok(p, sep)) {
		e = parse_rhs_primary(p);
		if (!e) {
			nft_expr_free(&l);
			return NULL;
		}
		nft_expr_add(l, e);
	}
	return l;
}

/* rhs := item ('.' item)*, item := primary ('|' primary)*; outside a set,
 * a ',' list of flags, and "flags / mask" forms. */
static struct bf_nft_expr *parse_rhs(struct parser *p, bool in_set)
{
	struct bf_nft_expr *e = parse_rhs_primary(p);

	if (!e)
		return NULL;
	e = rhs_list(p, e, NFT_T_OR, '|');
	if (e && !in_set)
		e = rhs_list(p, e, NFT_T_COMMA, ',');
	if (!e)
		return NULL;
	if (!in_set && cur(p)->type == NFT_T_SLASH) {
		/* "fin,syn / fin,syn": value / mask */
		struct bf_nft_expr *m = new_expr(p, BF_NFT_E_PREFIX, &e->loc);
		advance(p);
		if (!m) {
			nft_expr_free(&e);
			return NULL;
		}
		m->op = '/';
		nft_expr_add(m, e);
		e = parse_rhs(p, false);
		if (!e) {
			nft_expr_free(&m);
			return NULL;
		}
		nft_expr_add(m, e);
		e = m;
	}
	if (cur(p)->type == NFT_T_DOT) {
		struct bf_nft_expr *c = new_expr(p, BF_NFT_E_CONCAT, &e->loc);
		if (!c) {
			nft_expr_free(&e);
			return NULL;
		}
		nft_expr_add(c, e);
		while (accept_tok(p, NFT_T_DOT)) {
			e = parse_rhs_primary(p);
			if (!e) {
				nft_expr_free(&c);
				return NULL;
			}
			nft_expr_add(c, e);
		}
		e = c;
	}
	return e;
}

/* ---- statements ---- */

static int stmt_push(struct parser *p, struct bf_nft_rule *r,
		     struct bf_nft_stmt *s)
{
	struct bf_nft_stmt *v =
		realloc(r->stmts, (r->n_stmts + 1) * sizeof(*v));

	if (!v) {
		p->oom = true;
		nft_stmt_release(s);
		return -ENOMEM;
	}
	r->stmts = v;
	v[r->n_stmts++] = *s;
	return 0;
}

static bool parse_u64(struct parser *p, uint64_t *v, const char *what)
{
	struct nft_token *t = cur(p);
	char *end;

	if (t->type != NFT_T_WORD ||
	    !(t->text[0] >= '0' && t->text[0] <= '9')) {
		perr(p, what);
		return false;
	}
	errno = 0;
	*v = strtoull(t->text, &end, 0);
	if (errno || *end) {
		nft_error(&p->errs, &t->loc, "bad number '%s'", t->text);
		return false;
	}
	advance(p);
	return true;
}

static int parse_counter(struct parser *p, struct bf_nft_stmt *s)
{
	s->kind = BF_NFT_S_COUNTER;
	for (;;) {
		if (accept_word(p, "packets")) {
			if (!parse_u64(p, &s->u.counter.packets, "a number"))
				return -EINVAL;
		} else if (accept_word(p, "bytes")) {
			if (!parse_u64(p, &s->u.counter.bytes, "a number"))
				return -EINVAL;
		} else if (is_word(p, "name")) {
			nft_unsupported(&p->errs, &cur(p)->loc,
					"named counters");
			return -EINVAL;
		} else {
			return 0;
		}
	}
}

static bool unit_seconds(const char *u, uint64_t *secs)
{
	static const struct nft_sym units[] = {
		{ "second", 1 },  { "minute", 60 },   { "hour", 3600 },
		{ "day", 86400 }, { "week", 604800 }, { NULL, 0 },
	};

	return nft_sym_value(units, u, secs);
}

static bool byte_unit(const char *u, uint64_t *mult)
{
	static const struct nft_sym units[] = {
		{ "bytes", 1 },
		{ "kbytes", 1024 },
		{ "mbytes", 1024 * 1024 },
		{ NULL, 0 },
	};

	return nft_sym_value(units, u, mult);
}

/* Collect the text of "N[ ]unit[ ]/[ ]time" into buf. */
static int parse_limit(struct parser *p, struct bf_nft_stmt *s)
{
	char buf[128] = "";
	struct bf_nft_loc loc = cur(p)->loc;
	char num[64], unit[32], per[32];
	uint64_t mult = 0, secs;
	char *q, *end;

	s->kind = BF_NFT_S_LIMIT;
	if (!accept_word(p, "rate")) {
		perr(p, "'rate'");
		return -EINVAL;
	}
	if (accept_word(p, "over"))
		s->u.limit.over = true;
	loc = cur(p)->loc;
	/* Glue words and '/' until the time unit is complete. */
	while (cur(p)->type == NFT_T_WORD || cur(p)->type == NFT_T_SLASH) {
		const char *t = cur(p)->type == NFT_T_SLASH ? "/" :
							      cur(p)->text;
		if (strlen(buf) + strlen(t) + 2 >= sizeof(buf))
			break;
		if (buf[0] && cur(p)->type == NFT_T_WORD && t[0] != '/' &&
		    buf[strlen(buf) - 1] != '/')
			strcat(buf, " ");
		strcat(buf, t);
		advance(p);
		q = strchr(buf, '/');
		if (q && q[1])
			break;
	}
	q = strchr(buf, '/');
	if (!q || !q[1]) {
		nft_error(&p->errs, &loc, "limit: expected RATE/UNIT");
		return -EINVAL;
	}
	*q = '\0';
	snprintf(per, sizeof(per), "%s", q + 1);
	/* "1025bytes", "1025 bytes", "400" */
	size_t i = 0;
	while (buf[i] >= '0' && buf[i] <= '9' && i < sizeof(num) - 1)
		i++;
	memcpy(num, buf, i);
	num[i] = '\0';
	while (buf[i] == ' ')
		i++;
	snprintf(unit, sizeof(unit), "%s", buf + i);
	for (char *u = unit + strlen(unit); u > unit && u[-1] == ' '; u--)
		u[-1] = '\0';
	if (!num[0]) {
		nft_error(&p->errs, &loc, "limit: expected a rate");
		return -EINVAL;
	}
	errno = 0;
	s->u.limit.rate = strtoull(num, &end, 10);
	if (errno || *end || !s->u.limit.rate) {
		nft_error(&p->errs, &loc, "limit: bad rate '%s'", num);
		return -EINVAL;
	}
	if (unit[0]) {
		if (!byte_unit(unit, &mult)) {
			nft_error(&p->errs, &loc, "limit: unknown unit '%s'",
				  unit);
			return -EINVAL;
		}
		s->u.limit.bytes = true;
		s->u.limit.rate *= mult;
	}
	if (!unit_seconds(per, &secs)) {
		nft_error(&p->errs, &loc, "limit: unknown time unit '%s'", per);
		return -EINVAL;
	}
	s->u.limit.unit = secs;
	if (accept_word(p, "burst")) {
		struct bf_nft_loc bloc = cur(p)->loc;
		uint64_t b;
		char *bu = NULL;
		if (cur(p)->type != NFT_T_WORD) {
			perr(p, "a burst");
			return -EINVAL;
		}
		b = strtoull(cur(p)->text, &bu, 10);
		advance(p);
		if (bu && !*bu) {
			if (cur(p)->type != NFT_T_WORD) {
				perr(p, "'packets' or a byte unit");
				return -EINVAL;
			}
			bu = cur(p)->text;
			advance(p);
		}
		if (!strcmp(bu, "packets")) {
			if (s->u.limit.bytes) {
				nft_error(
					&p->errs, &bloc,
					"limit: a byte rate needs a burst in bytes");
				return -EINVAL;
			}
		} else if (byte_unit(bu, &mult)) {
			if (!s->u.limit.bytes) {
				nft_error(
					&p->errs, &bloc,
					"limit: a packet rate needs a burst in packets");
				return -EINVAL;
			}
			b *= mult;
		} else {
			nft_error(&p->errs, &bloc,
				  "limit: unknown burst unit '%s'", bu);
			return -EINVAL;
		}
		s->u.limit.burst = b;
	}
	/* nft_limit_init(): a byte rate above what 32 bits of bytes per
	 * second... nft itself refuses gbytes; we keep what it accepts. */
	return 0;
}

static int parse_log(struct parser *p, struct bf_nft_stmt *s)
{
	struct bf_nft_loc loc = s->loc;
	bool audit = false;
	uint64_t v;

	s->kind = BF_NFT_S_LOG;
	s->u.log.level = -1;
	s->u.log.group = -1;
	for (;;) {
		struct bf_nft_loc oloc = cur(p)->loc;
		if (accept_word(p, "prefix")) {
			free(s->u.log.prefix);
			s->u.log.prefix = take_word(p, "a prefix string");
			if (!s->u.log.prefix)
				return -EINVAL;
		} else if (accept_word(p, "level")) {
			if (cur(p)->type != NFT_T_WORD ||
			    !nft_sym_value(nft_log_level_syms, cur(p)->text,
					   &v)) {
				perr(p, "a log level");
				return -EINVAL;
			}
			s->u.log.level = (int)v;
			audit = v == 8;
			advance(p);
		} else if (accept_word(p, "group")) {
			if (!parse_u64(p, &v, "a group number"))
				return -EINVAL;
			s->u.log.group = (int)v;
		} else if (accept_word(p, "snaplen")) {
			if (!parse_u64(p, &v, "a length"))
				return -EINVAL;
			s->u.log.snaplen = (uint32_t)v;
		} else if (accept_word(p, "queue-threshold")) {
			if (!parse_u64(p, &v, "a number"))
				return -EINVAL;
			s->u.log.qthreshold = (uint32_t)v;
		} else if (accept_word(p, "flags")) {
			if (accept_word(p, "all")) {
				s->u.log.flags |= BF_NFT_LOG_ALL;
			} else if (accept_word(p, "ip")) {
				if (!accept_word(p, "options")) {
					perr(p, "'options'");
					return -EINVAL;
				}
				s->u.log.flags |= BF_NFT_LOG_IPOPT;
			} else if (accept_word(p, "skuid")) {
				s->u.log.flags |= BF_NFT_LOG_UID;
			} else if (accept_word(p, "ether")) {
				s->u.log.flags |= BF_NFT_LOG_MACDECODE;
			} else if (accept_word(p, "tcp")) {
				do {
					if (accept_word(p, "sequence"))
						s->u.log.flags |=
							BF_NFT_LOG_TCPSEQ;
					else if (accept_word(p, "options"))
						s->u.log.flags |=
							BF_NFT_LOG_TCPOPT;
					else {
						perr(p,
						     "'sequence' or 'options'");
						return -EINVAL;
					}
				} while (accept_tok(p, NFT_T_COMMA));
			} else {
				perr(p, "a log flag");
				return -EINVAL;
			}
		} else {
			break;
		}
		(void)oloc;
	}
	/* nft's evaluation: group (nflog) excludes level and flags; audit
	 * excludes everything else. */
	if (audit &&
	    (s->u.log.prefix || s->u.log.group >= 0 || s->u.log.snaplen ||
	     s->u.log.qthreshold || s->u.log.flags)) {
		nft_error(&p->errs, &loc,
			  "log level audit takes no other option");
		return -EINVAL;
	}
	if (s->u.log.group >= 0 && (s->u.log.level >= 0 || s->u.log.flags)) {
		nft_error(&p->errs, &loc,
			  "log group cannot be combined with level or flags");
		return -EINVAL;
	}
	if (s->u.log.group < 0 && (s->u.log.snaplen || s->u.log.qthreshold)) {
		nft_error(&p->errs, &loc,
			  "log snaplen/queue-threshold need a group");
		return -EINVAL;
	}
	return 0;
}

static int parse_reject(struct parser *p, struct bf_nft_stmt *s)
{
	uint64_t v;

	s->kind = BF_NFT_S_REJECT;
	s->u.reject.type = BF_NFT_REJECT_DEFAULT;
	if (!accept_word(p, "with"))
		return 0;
	if (accept_word(p, "tcp")) {
		if (!accept_word(p, "reset") && !accept_word(p, "rst")) {
			perr(p, "'reset'");
			return -EINVAL;
		}
		s->u.reject.type = BF_NFT_REJECT_TCP_RESET;
		return 0;
	}
	const struct nft_sym *syms;
	if (accept_word(p, "icmp")) {
		s->u.reject.type = BF_NFT_REJECT_ICMP;
		syms = nft_icmp_code_syms;
	} else if (accept_word(p, "icmpv6") || accept_word(p, "icmp6")) {
		s->u.reject.type = BF_NFT_REJECT_ICMP6;
		syms = nft_icmp6_code_syms;
	} else if (accept_word(p, "icmpx")) {
		s->u.reject.type = BF_NFT_REJECT_ICMPX;
		syms = nft_icmpx_code_syms;
	} else {
		perr(p, "'icmp', 'icmpv6', 'icmpx' or 'tcp reset'");
		return -EINVAL;
	}
	accept_word(p, "type");
	if (cur(p)->type != NFT_T_WORD) {
		perr(p, "a reject code");
		return -EINVAL;
	}
	if (!nft_sym_value(syms, cur(p)->text, &v)) {
		char *end;
		v = strtoull(cur(p)->text, &end, 0);
		if (*end || v > 255) {
			nft_error(&p->errs, &cur(p)->loc,
				  "unknown reject code '%s'", cur(p)->text);
			return -EINVAL;
		}
	}
	s->u.reject.code = (uint8_t)v;
	advance(p);
	return 0;
}

/* bpfilter's `bpf` statement (bpf.c): `bpf [verdict] [!] object "F"
 * [section "S"]`, `bpf bytecode "..."`, `bpf pinned "P"`. */
static int parse_bpf(struct parser *p, struct bf_nft_stmt *s)
{
	struct bf_nft_loc loc;
	const char *why = NULL;
	int kind;
	int r;

	s->kind = BF_NFT_S_BPF;
	s->u.bpf.verdict = accept_word(p, "verdict");
	if (accept_tok(p, NFT_T_NOT)) {
		if (s->u.bpf.verdict) {
			nft_error(&p->errs, &s->loc,
				  "a bpf verdict cannot be negated");
			return -EINVAL;
		}
		s->u.bpf.neg = true;
	}
	if (accept_word(p, "object")) {
		kind = BF_USERBPF_OBJECT;
	} else if (!s->u.bpf.verdict && !s->u.bpf.neg &&
		   accept_word(p, "bytecode")) {
		kind = BF_USERBPF_BYTECODE;
	} else if (!s->u.bpf.verdict && !s->u.bpf.neg &&
		   accept_word(p, "pinned")) {
		kind = BF_USERBPF_PINNED;
	} else {
		perr(p,
		     s->u.bpf.verdict || s->u.bpf.neg ?
			     "'object'" :
			     "'object', 'bytecode', 'pinned', 'verdict' or '!'");
		return -EINVAL;
	}
	if (cur(p)->type != NFT_T_STRING) {
		perr(p, "a \"quoted\" string");
		return -EINVAL;
	}
	loc = cur(p)->loc;
	_cleanup_free_ char *arg = take_word(p, "a string");
	_cleanup_free_ char *section = NULL;
	if (!arg)
		return -ENOMEM;
	if (kind == BF_USERBPF_OBJECT && accept_word(p, "section")) {
		if (cur(p)->type != NFT_T_STRING) {
			perr(p, "a \"quoted\" section name");
			return -EINVAL;
		}
		section = take_word(p, "a string");
		if (!section)
			return -ENOMEM;
	}
	r = nft_bpf_intern(kind, arg, section, &s->u.bpf.ref, &why);
	if (r == -ENOMEM)
		p->oom = true;
	if (r)
		nft_error(&p->errs, &loc, "bpf: %s", why);
	return r;
}

static enum bf_nft_relop relop_of(struct parser *p)
{
	struct nft_token *t = cur(p);

	switch (t->type) {
	case NFT_T_EQEQ:
		return BF_NFT_OP_EQ;
	case NFT_T_NE:
		return BF_NFT_OP_NE;
	case NFT_T_LT:
		return BF_NFT_OP_LT;
	case NFT_T_GT:
		return BF_NFT_OP_GT;
	case NFT_T_LE:
		return BF_NFT_OP_LE;
	case NFT_T_GE:
		return BF_NFT_OP_GE;
	case NFT_T_NOT:
		return BF_NFT_OP_NEG;
	case NFT_T_WORD:
		if (!strcmp(t->text, "eq"))
			return BF_NFT_OP_EQ;
		if (!strcmp(t->text, "ne"))
			return BF_NFT_OP_NE;
		if (!strcmp(t->text, "lt"))
			return BF_NFT_OP_LT;
		if (!strcmp(t->text, "gt"))
			return BF_NFT_OP_GT;
		if (!strcmp(t->text, "le"))
			return BF_NFT_OP_LE;
		if (!strcmp(t->text, "ge"))
			return BF_NFT_OP_GE;
		if (!strcmp(t->text, "vmap"))
			return BF_NFT_OP_VMAP;
		return BF_NFT_OP_IMPLICIT;
	default:
		return BF_NFT_OP_IMPLICIT;
	}
}

static int parse_expr_stmt(struct parser *p, struct bf_nft_stmt *s)
{
	struct bf_nft_expr *lhs = parse_lhs(p, false);
	enum bf_nft_relop op;

	if (!lhs)
		return -EINVAL;
	if (accept_word(p, "set")) {
		s->kind = BF_NFT_S_SET;
		s->u.set.lhs = lhs;
		if (starts_lhs(p))
			s->u.set.value = parse_lhs(p, false);
		else
			s->u.set.value = parse_rhs(p, false);
		if (s->u.set.value && binop_of(p) >= 0) {
			/* "0x11 xor 0x1331", "0x1 or ct mark" */
			struct bf_nft_expr *e = s->u.set.value;
			while (binop_of(p) >= 0) {
				struct bf_nft_expr *b = new_expr(
					p, BF_NFT_E_BINOP, &cur(p)->loc);
				if (!b)
					break;
				b->op = binop_of(p);
				advance(p);
				nft_expr_add(b, e);
				e = b;
				struct bf_nft_expr *o = parse_operand(p);
				if (!o)
					break;
				nft_expr_add(b, o);
			}
			s->u.set.value = e;
		}
		if (is_word(p, "map")) {
			nft_unsupported(&p->errs, &cur(p)->loc,
					"maps in set statements");
			return -EINVAL;
		}
		return s->u.set.value ? 0 : -EINVAL;
	}
	if (is_word(p, "map")) {
		nft_unsupported(&p->errs, &cur(p)->loc, "map lookups");
		nft_expr_free(&lhs);
		return -EINVAL;
	}
	s->kind = BF_NFT_S_MATCH;
	s->u.match.lhs = lhs;
	op = relop_of(p);
	if (op != BF_NFT_OP_IMPLICIT)
		advance(p);
	s->u.match.op = op;
	if (at_end_of_stmt(p)) {
		perr(p, "a value to compare with");
		return -EINVAL;
	}
	if (op == BF_NFT_OP_VMAP) {
		if (cur(p)->type != NFT_T_LBRACE && cur(p)->type != NFT_T_AT) {
			perr(p, "'{' or '@map'");
			return -EINVAL;
		}
	}
	s->u.match.rhs = parse_rhs(p, false);
	return s->u.match.rhs ? 0 : -EINVAL;
}

static const char *const unsupported_stmts[] = {
	"masquerade", "snat",	"dnat",	  "redirect", "tproxy",	  "notrack",
	"queue",      "dup",	"fwd",	  "quota",    "synproxy", "flow",
	"add",	      "update", "delete", "numgen",   "osf",	  "fib",
	"rt",	      "socket", "xt",	  "secmark",  "objref",	  "exthdr",
	"hbh",	      "frag",	"dst",	  "mh",	      "srh",	  "ipsec",
	"vlan",	      "arp",	"sctp",	  "dccp",     "udplite",  "ah",
	"esp",	      "comp",	"igmp",	  "gre",      "reset",	  "last",
	"connlimit",  "meter",	"set",
};

static int parse_stmt(struct parser *p, struct bf_nft_rule *r)
{
	struct nft_token *t = cur(p);
	struct bf_nft_stmt s = { 0 };
	int ret;

	s.loc = t->loc;
	if (t->type == NFT_T_AT) {
		nft_unsupported(
			&p->errs, &t->loc,
			"raw payload expressions (@base,offset,length)");
		return -EINVAL;
	}
	if (t->type != NFT_T_WORD && t->type != NFT_T_LPAREN) {
		perr(p, "a statement");
		return -EINVAL;
	}
	if (t->type == NFT_T_WORD) {
		const char *w = t->text;
		if (is_verdict_word(w)) {
			struct bf_nft_expr *v = parse_verdict_expr(p);
			if (!v)
				return -EINVAL;
			s.kind = BF_NFT_S_VERDICT;
			s.u.verdict.verdict = v->op;
			s.u.verdict.chain = TAKE_PTR(v->text);
			nft_expr_free(&v);
			return stmt_push(p, r, &s);
		}
		if (!strcmp(w, "counter")) {
			advance(p);
			ret = parse_counter(p, &s);
			return ret ? ret : stmt_push(p, r, &s);
		}
		if (!strcmp(w, "limit")) {
			advance(p);
			ret = parse_limit(p, &s);
			return ret ? ret : stmt_push(p, r, &s);
		}
		if (!strcmp(w, "log")) {
			advance(p);
			ret = parse_log(p, &s);
			if (ret) {
				nft_stmt_release(&s);
				return ret;
			}
			return stmt_push(p, r, &s);
		}
		if (!strcmp(w, "reject")) {
			advance(p);
			ret = parse_reject(p, &s);
			return ret ? ret : stmt_push(p, r, &s);
		}
		if (!strcmp(w, "bpf")) {
			advance(p);
			ret = parse_bpf(p, &s);
			return ret ? ret : stmt_push(p, r, &s);
		}
		if (!strcmp(w, "comment")) {
			advance(p);
			free(r->comment);
			r->comment = take_word(p, "a comment string");
			return r->comment ? 0 : -EINVAL;
		}
		if (!starts_lhs(p)) {
			for (size_t i = 0; i < ARRAY_SIZE(unsupported_stmts);
			     i++) {
				if (!strcmp(unsupported_stmts[i], w)) {
					nft_unsupported(&p->errs, &t->loc,
							"'%s' statement", w);
					return -EINVAL;
				}
			}
			nft_error(&p->errs, &t->loc,
				  "syntax error: unknown statement '%s'", w);
			return -EINVAL;
		}
	}
	ret = parse_expr_stmt(p, &s);
	if (ret) {
		nft_stmt_release(&s);
		return ret;
	}
	return stmt_push(p, r, &s);
}

/* The nft text of tokens [from, to): words, "strings" and symbols, a
 * space where the input had one. NULL when out of memory. */
static char *tokens_text(const struct parser *p, size_t from, size_t to,
			 bool keep_nl)
{
	static const char *const sym[NFT_T_COUNT] = {
		[NFT_T_SEMI] = ";",    [NFT_T_LBRACE] = "{",
		[NFT_T_RBRACE] = "}",  [NFT_T_LPAREN] = "(",
		[NFT_T_RPAREN] = ")",  [NFT_T_COMMA] = ",",
		[NFT_T_DOT] = ".",     [NFT_T_COLON] = ":",
		[NFT_T_SLASH] = "/",   [NFT_T_MINUS] = "-",
		[NFT_T_PLUS] = "+",    [NFT_T_AT] = "@",
		[NFT_T_EQ] = "=",      [NFT_T_EQEQ] = "==",
		[NFT_T_NE] = "!=",     [NFT_T_LT] = "<",
		[NFT_T_GT] = ">",      [NFT_T_LE] = "<=",
		[NFT_T_GE] = ">=",     [NFT_T_NOT] = "!",
		[NFT_T_AND] = "&",     [NFT_T_OR] = "|",
		[NFT_T_XOR] = "^",     [NFT_T_LSHIFT] = "<<",
		[NFT_T_RSHIFT] = ">>",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	for (size_t i = from; i < to && i < p->toks.n; i++) {
		const struct nft_token *t = &p->toks.v[i];
		if (i > from && t->space_before)
			fputc(' ', m);
		if (t->type == NFT_T_STRING)
			fprintf(m, "\"%s\"", t->text);
		else if (t->type == NFT_T_VAR)
			fprintf(m, "$%s", t->text);
		else if (t->text)
			fputs(t->text, m);
		else if (sym[t->type])
			fputs(sym[t->type], m);
		else if (t->type == NFT_T_NL)
			fputc(keep_nl ? '\n' : ' ', m);
	}
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A rule whose only errors are constructs we do not model becomes one
 * BF_NFT_S_KERNEL statement holding its text and the reasons: the kernel's
 * nftables may get it (kernpart.c, chains of type nat...), and
 * nft_kernel_check() reports the reasons for every other chain. */
static int kernel_rule(struct parser *p, struct bf_nft_rule *r, size_t from,
		       char **why)
{
	struct bf_nft_stmt s = { .kind = BF_NFT_S_KERNEL, .loc = r->loc };

	s.u.kernel.text = tokens_text(p, from, p->pos, false);
	if (!s.u.kernel.text) {
		p->oom = true;
		return -ENOMEM;
	}
	s.u.kernel.why = TAKE_PTR(*why);
	return stmt_push(p, r, &s);
}

/* Log held reasons as the unsupported errors they are. */
static void held_report(struct parser *p, const struct bf_nft_loc *at,
			const char *why)
{
	for (const char *l = why; l && *l;) {
		const char *eol = strchr(l, '\n');
		struct bf_nft_loc loc = *at;
		int n = 0;
		if (sscanf(l, "%d:%d:%n", &loc.line, &loc.col, &n) < 2)
			n = 0;
		nft_unsupported(&p->errs, &loc, "%.*s",
				(int)((eol ? eol : l + strlen(l)) - (l + n)),
				l + n);
		l = eol ? eol + 1 : l + strlen(l);
	}
}

/* Parse one rule up to the end of line; returns 0 with r filled. */
static int parse_rule(struct parser *p, struct bf_nft_rule *r)
{
	size_t from = p->pos;
	int n_errors = p->errs.n_errors;
	char **outer = p->errs.held;
	_cleanup_free_ char *why = NULL;

	r->loc = cur(p)->loc;
	p->errs.held = &why;
	while (!at_end_of_stmt(p)) {
		int ret = parse_stmt(p, r);
		if (ret) {
			recover(p);
			nft_rule_release(r);
			r->loc = p->toks.v[from].loc;
			p->errs.held = outer;
			if (why && p->errs.n_errors == n_errors && !p->oom)
				return kernel_rule(p, r, from, &why);
			held_report(p, &r->loc, why);
			return ret;
		}
	}
	p->errs.held = outer;
	if (why) /* reported without failing the statement */
		held_report(p, &r->loc, why);
	if (!r->n_stmts && !r->comment) {
		nft_error(&p->errs, &r->loc, "empty rule");
		return -EINVAL;
	}
	return 0;
}

/* ---- tables, chains, sets ---- */

static bool family_of(const char *w, enum bf_nft_family *f)
{
	for (int i = 0; i < BF_NFT_FAMILY_COUNT; i++) {
		if (!strcmp(w, bf_nft_family_name(i))) {
			*f = i;
			return true;
		}
	}
	return false;
}

/* The end of a get-or-create lookup of `name` (a `kind`, after the family
 * `fam` unless NULL): true when it is over, found or (when not to be created)
 * reported missing, with name freed; false when the caller must create it. */
static bool lookup_over(struct parser *p, const struct bf_nft_loc *loc,
			char *name, bool found, bool create, const char *kind,
			const char *fam)
{
	if (found || !create) {
		if (!found)
			nft_error(&p->errs, loc, "no such %s: %s%s%s", kind,
				  fam ? fam : "", fam ? " " : "", name);
		free(name);
		return true;
	}
	return false;
}

/* The array arr of n elements of `size` bytes, grown by one; NULL when out
 * of memory (p->oom set, and name, not to be owned, freed). */
static void *grow_one(struct parser *p, void *arr, size_t n, size_t size,
		      char *name)
{
	void *a = realloc(arr, (n + 1) * size);

	if (!a) {
		free(name);
		p->oom = true;
	}
	return a;
}

/* [family] name */
static struct bf_nft_table *table_ref(struct parser *p, bool create)
{
	enum bf_nft_family fam = BF_NFT_FAMILY_IP;
	struct bf_nft_loc loc = cur(p)->loc;
	struct bf_nft_table *t;
	char *name;

	if (cur(p)->type == NFT_T_WORD && family_of(cur(p)->text, &fam) &&
	    (peek(p, 1)->type == NFT_T_WORD ||
	     peek(p, 1)->type == NFT_T_STRING))
		advance(p);
	name = take_word(p, "a table name");
	if (!name)
		return NULL;
	t = bf_nft_table_find(p->nft, fam, name);
	if (lookup_over(p, &loc, name, t, create, "table",
			bf_nft_family_name(fam)))
		return t;
	t = grow_one(p, p->nft->tables, p->nft->n_tables, sizeof(*t), name);
	if (!t)
		return NULL;
	p->nft->tables = t;
	t = &t[p->nft->n_tables++];
	memset(t, 0, sizeof(*t));
	t->family = fam;
	t->name = name;
	t->loc = loc;
	return t;
}

static struct bf_nft_chain *chain_get(struct parser *p, struct bf_nft_table *t,
				      bool create)
{
	struct bf_nft_loc loc = cur(p)->loc;
	char *name = take_word(p, "a chain name");
	struct bf_nft_chain *c;

	if (!name)
		return NULL;
	c = bf_nft_chain_find(t, name);
	if (lookup_over(p, &loc, name, c, create, "chain", NULL))
		return c;
	c = grow_one(p, t->chains, t->n_chains, sizeof(*c), name);
	if (!c)
		return NULL;
	t->chains = c;
	c = &c[t->n_chains++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->loc = loc;
	c->policy = BF_NFT_V_ACCEPT;
	return c;
}

static bool prio_name(const char *w, int *v)
{
	for (size_t i = 0; i < nft_n_prios; i++) {
		if (!strcmp(nft_prios[i].name, w)) {
			*v = nft_prios[i].value;
			return true;
		}
	}
	return false;
}

static bool parse_int(const char *s, long lo, long hi, int *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 0);
	if (errno || *end || !*s || x < lo || x > hi)
		return false;
	*v = (int)x;
	return true;
}

static int parse_priority(struct parser *p, int *prio)
{
	struct nft_token *t = cur(p);
	int base, off;

	if (t->type != NFT_T_WORD) {
		perr(p, "a priority");
		return -EINVAL;
	}
	if (!prio_name(t->text, &base) &&
	    !parse_int(t->text, INT32_MIN, INT32_MAX, &base)) {
		nft_error(&p->errs, &t->loc, "unknown priority '%s'", t->text);
		return -EINVAL;
	}
	advance(p);
	if (cur(p)->type == NFT_T_PLUS || cur(p)->type == NFT_T_MINUS) {
		bool minus = cur(p)->type == NFT_T_MINUS;
		advance(p);
		if (cur(p)->type != NFT_T_WORD ||
		    !parse_int(cur(p)->text, 0, INT32_MAX, &off)) {
			perr(p, "a priority offset");
			return -EINVAL;
		}
		advance(p);
		base += minus ? -off : off;
	}
	*prio = base;
	return 0;
}

static const struct {
	const char *name;
	enum bf_nft_hook hook;
} hooks[] = {
	{ "prerouting", BF_NFT_HOOK_PREROUTING },
	{ "input", BF_NFT_HOOK_INPUT },
	{ "forward", BF_NFT_HOOK_FORWARD },
	{ "output", BF_NFT_HOOK_OUTPUT },
	{ "postrouting", BF_NFT_HOOK_POSTROUTING },
	{ "ingress", BF_NFT_HOOK_INGRESS },
	{ "egress", BF_NFT_HOOK_EGRESS },
};

/* devices = { D1, D2 ... }: c->devices, and c->device the first */
static int parse_devices(struct parser *p, struct bf_nft_chain *c)
{
	if (!accept_tok(p, NFT_T_EQ) || !accept_tok(p, NFT_T_LBRACE)) {
		perr(p, "'= {'");
		return -EINVAL;
	}
	do {
		char **v, *d;
		skip_nl(p);
		d = take_word(p, "a device name");
		if (!d)
			return -EINVAL;
		v = realloc(c->devices, (c->n_devices + 1) * sizeof(*v));
		if (!v) {
			free(d);
			p->oom = true;
			return -ENOMEM;
		}
		c->devices = v;
		v[c->n_devices++] = d;
		skip_nl(p);
	} while (accept_tok(p, NFT_T_COMMA));
	if (!accept_tok(p, NFT_T_RBRACE)) {
		perr(p, "'}'");
		return -EINVAL;
	}
	free(c->device);
	c->device = strdup(c->devices[0]);
	if (!c->device) {
		p->oom = true;
		return -ENOMEM;
	}
	return 0;
}

/* type T hook H [device D | devices = { D... }] priority P */
static int parse_base_spec(struct parser *p, struct bf_nft_table *t,
			   struct bf_nft_chain *c)
{
	struct bf_nft_loc loc = cur(p)->loc;
	bool found = false;

	advance(p); /* type */
	free(c->type);
	c->type = take_word(p, "a chain type");
	if (!c->type)
		return -EINVAL;
	if (strcmp(c->type, "filter") && strcmp(c->type, "nat") &&
	    strcmp(c->type, "route")) {
		nft_error(&p->errs, &loc, "unknown chain type '%s'", c->type);
		return -EINVAL;
	}
	if (!accept_word(p, "hook")) {
		perr(p, "'hook'");
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(hooks); i++) {
		if (is_word(p, hooks[i].name)) {
			c->hook = hooks[i].hook;
			found = true;
		}
	}
	if (!found) {
		perr(p, "a hook name");
		return -EINVAL;
	}
	advance(p);
	/* nft's chain_evaluate(): netdev has ingress/egress only, the
	 * others have no ingress/egress (inet ingress exists, unsupported
	 * here). */
	if (t->family == BF_NFT_FAMILY_NETDEV &&
	    c->hook != BF_NFT_HOOK_INGRESS && c->hook != BF_NFT_HOOK_EGRESS) {
		nft_error(&p->errs, &loc,
			  "netdev chains hook at ingress or egress");
		return -EINVAL;
	}
	if (t->family != BF_NFT_FAMILY_NETDEV &&
	    t->family != BF_NFT_FAMILY_INET &&
	    (c->hook == BF_NFT_HOOK_INGRESS || c->hook == BF_NFT_HOOK_EGRESS)) {
		nft_error(&p->errs, &loc, "%s chains cannot hook at %s",
			  bf_nft_family_name(t->family),
			  bf_nft_hook_name(c->hook));
		return -EINVAL;
	}
	if (is_word(p, "device") || is_word(p, "devices"))
		c->dev_loc = cur(p)->loc; /* for bf_nft_targets_devices() */
	if (accept_word(p, "device")) {
		free(c->device);
		c->device = take_word(p, "a device name");
		if (!c->device)
			return -EINVAL;
	} else if (accept_word(p, "devices")) {
		int r = parse_devices(p, c);
		if (r)
			return r;
	}
	if (!accept_word(p, "priority")) {
		perr(p, "'priority'");
		return -EINVAL;
	}
	return parse_priority(p, &c->priority);
}

/* A rule parsed into c, first when insert: 0 also when the rule had errors
 * (reported), -ENOMEM (p->oom set) when out of memory. */
static int add_rule_to(struct parser *p, struct bf_nft_chain *c, bool insert)
{
	struct bf_nft_rule r = { 0 };
	struct bf_nft_rule *v;

	if (parse_rule(p, &r))
		return 0;
	v = realloc(c->rules, (c->n_rules + 1) * sizeof(*v));
	if (!v) {
		p->oom = true;
		nft_rule_release(&r);
		return -ENOMEM;
	}
	c->rules = v;
	if (insert) {
		memmove(&v[1], &v[0], c->n_rules * sizeof(*v));
		v[0] = r;
	} else {
		v[c->n_rules] = r;
	}
	c->n_rules++;
	return 0;
}

static int parse_chain_body(struct parser *p, struct bf_nft_table *t,
			    struct bf_nft_chain *c)
{
	if (!accept_tok(p, NFT_T_LBRACE)) {
		perr(p, "'{'");
		return -EINVAL;
	}
	for (;;) {
		skip_nl(p);
		if (accept_tok(p, NFT_T_RBRACE))
			return 0;
		if (cur(p)->type == NFT_T_EOF) {
			perr(p, "'}'");
			return -EINVAL;
		}
		if (is_word(p, "type")) {
			if (parse_base_spec(p, t, c))
				recover(p);
			continue;
		}
		if (is_word(p, "policy")) {
			advance(p);
			if (accept_word(p, "accept")) {
				c->policy = BF_NFT_V_ACCEPT;
			} else if (accept_word(p, "drop")) {
				c->policy = BF_NFT_V_DROP;
			} else {
				perr(p, "'accept' or 'drop'");
				recover(p);
				continue;
			}
			c->has_policy = true;
			continue;
		}
		if (is_word(p, "comment") &&
		    (peek(p, 1)->type == NFT_T_STRING) &&
		    (peek(p, 2)->type == NFT_T_SEMI ||
		     peek(p, 2)->type == NFT_T_NL)) {
			advance(p);
			free(c->comment);
			c->comment = take_word(p, "a comment");
			continue;
		}
		if (is_word(p, "devices") || is_word(p, "flags")) {
			nft_unsupported(&p->errs, &cur(p)->loc, "chain %s",
					cur(p)->text);
			recover(p);
			continue;
		}
		if (add_rule_to(p, c, false))
			return -ENOMEM;
	}
}

static int set_add_type(struct parser *p, struct bf_nft_set *s)
{
	do {
		struct nft_token *t = cur(p);
		enum bf_nft_dtype dt;
		if (t->type != NFT_T_WORD) {
			perr(p, "a type name");
			return -EINVAL;
		}
		dt = nft_dtype_by_name(t->text);
		if (dt == BF_NFT_DT_INVALID) {
			nft_unsupported(&p->errs, &t->loc, "set type '%s'",
					t->text);
			/* the set stays declared: rules naming it are not
			 * reported again ("no such set") */
			s->key[0] = BF_NFT_DT_INVALID;
			s->n_key = 1;
			return -EINVAL;
		}
		if (s->n_key == BF_NFT_CONCAT_MAX) {
			nft_error(&p->errs, &t->loc,
				  "too many concatenated types");
			return -EINVAL;
		}
		s->key[s->n_key] = dt;
		s->key_len_bits[s->n_key++] = nft_dtype(dt)->len_bits;
		advance(p);
	} while (accept_tok(p, NFT_T_DOT));
	return 0;
}

static int parse_set_body(struct parser *p, struct bf_nft_set *s)
{
	if (!accept_tok(p, NFT_T_LBRACE)) {
		perr(p, "'{'");
		return -EINVAL;
	}
	for (;;) {
		skip_nl(p);
		struct nft_token *t = cur(p);
		if (accept_tok(p, NFT_T_RBRACE))
			return 0;
		if (t->type == NFT_T_EOF) {
			perr(p, "'}'");
			return -EINVAL;
		}
		if (accept_word(p, "type")) {
			s->n_key = 0;
			if (set_add_type(p, s)) {
				recover(p);
				continue;
			}
			if (accept_tok(p, NFT_T_COLON)) {
				if (!s->is_map) {
					nft_error(
						&p->errs, &t->loc,
						"a set has no data type (use a map)");
					recover(p);
					continue;
				}
				if (cur(p)->type != NFT_T_WORD) {
					perr(p, "a data type");
					recover(p);
					continue;
				}
				s->data = nft_dtype_by_name(cur(p)->text);
				if (s->data == BF_NFT_DT_INVALID ||
				    peek(p, 1)->type == NFT_T_DOT) {
					nft_unsupported(&p->errs, &cur(p)->loc,
							"map data type '%s'",
							cur(p)->text);
					recover(p);
					continue;
				}
				advance(p);
			} else if (s->is_map) {
				perr(p, "':' and the data type of the map");
				recover(p);
			}
			continue;
		}
		if (accept_word(p, "typeof")) {
			struct bf_nft_expr *k = parse_lhs(p, false);
			if (!k) {
				recover(p);
				continue;
			}
			nft_expr_free(&s->key_typeof);
			s->key_typeof = k;
			s->n_key = 0;
			if (k->kind == BF_NFT_E_CONCAT) {
				for (size_t i = 0;
				     i < k->n_sub && i < BF_NFT_CONCAT_MAX;
				     i++) {
					s->key[s->n_key] = k->sub[i]->dtype;
					s->key_len_bits[s->n_key++] =
						k->sub[i]->len_bits;
				}
			} else {
				s->key[0] = k->dtype;
				s->key_len_bits[0] = k->len_bits;
				s->n_key = 1;
			}
			if (accept_tok(p, NFT_T_COLON)) {
				if (is_word(p, "verdict")) {
					s->data = BF_NFT_DT_VERDICT;
					advance(p);
				} else {
					struct bf_nft_expr *d =
						parse_lhs(p, false);
					if (!d) {
						recover(p);
						continue;
					}
					s->data = d->dtype;
					nft_expr_free(&d);
				}
			}
			continue;
		}
		if (accept_word(p, "flags")) {
			do {
				if (accept_word(p, "interval"))
					s->flags |= BF_NFT_SET_INTERVAL;
				else if (accept_word(p, "constant"))
					s->flags |= BF_NFT_SET_CONSTANT;
				else if (accept_word(p, "timeout"))
					s->flags |= BF_NFT_SET_TIMEOUT;
				else if (accept_word(p, "dynamic"))
					s->flags |= BF_NFT_SET_DYNAMIC;
				else {
					perr(p, "a set flag");
					recover(p);
					break;
				}
			} while (accept_tok(p, NFT_T_COMMA));
			continue;
		}
		if (accept_word(p, "elements")) {
			if (!accept_tok(p, NFT_T_EQ)) {
				perr(p, "'='");
				recover(p);
				continue;
			}
			if (cur(p)->type != NFT_T_LBRACE) {
				perr(p, "'{'");
				recover(p);
				continue;
			}
			struct bf_nft_expr *e = parse_set_block(p);
			if (!e) {
				recover(p);
				continue;
			}
			if (!s->elems) {
				s->elems = e;
			} else {
				for (size_t i = 0; i < e->n_sub; i++)
					nft_expr_add(s->elems,
						     TAKE_PTR(e->sub[i]));
				e->n_sub = 0;
				nft_expr_free(&e);
			}
			continue;
		}
		if (accept_word(p, "size")) {
			uint64_t v;
			if (parse_u64(p, &v, "a size"))
				s->size = (uint32_t)v;
			continue;
		}
		if (accept_word(p, "policy")) {
			free(s->policy);
			s->policy = take_word(p, "a set policy");
			continue;
		}
		if (accept_word(p, "auto-merge")) {
			s->auto_merge = true;
			continue;
		}
		if (accept_word(p, "comment")) {
			free(s->comment);
			s->comment = take_word(p, "a comment");
			continue;
		}
		if (is_word(p, "timeout") || is_word(p, "gc-interval") ||
		    is_word(p, "counter")) {
			nft_unsupported(&p->errs, &t->loc, "set option '%s'",
					t->text);
			recover(p);
			continue;
		}
		perr(p, "a set option");
		recover(p);
	}
}

static struct bf_nft_set *set_get(struct parser *p, struct bf_nft_table *t,
				  bool is_map, bool create)
{
	struct bf_nft_loc loc = cur(p)->loc;
	char *name = take_word(p, "a set name");
	struct bf_nft_set *s;

	if (!name)
		return NULL;
	s = bf_nft_set_find(t, name);
	if (lookup_over(p, &loc, name, s, create, "set", NULL))
		return s;
	s = grow_one(p, t->sets, t->n_sets, sizeof(*s), name);
	if (!s)
		return NULL;
	t->sets = s;
	s = &s[t->n_sets++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->loc = loc;
	s->is_map = is_map;
	return s;
}

static void parse_table_body(struct parser *p, struct bf_nft_table *t)
{
	for (;;) {
		skip_nl(p);
		struct nft_token *tok = cur(p);
		if (accept_tok(p, NFT_T_RBRACE))
			return;
		if (tok->type == NFT_T_EOF) {
			perr(p, "'}'");
			return;
		}
		if (accept_word(p, "chain")) {
			struct bf_nft_chain *c = chain_get(p, t, true);
			if (!c || parse_chain_body(p, t, c))
				recover(p);
			flush_anon(p, t);
			continue;
		}
		if (is_word(p, "set") || is_word(p, "map")) {
			bool is_map = is_word(p, "map");
			advance(p);
			struct bf_nft_set *s = set_get(p, t, is_map, true);
			if (!s || parse_set_body(p, s))
				recover(p);
			continue;
		}
		if (accept_word(p, "comment")) {
			free(t->comment);
			t->comment = take_word(p, "a comment");
			continue;
		}
		if (is_word(p, "flags")) {
			nft_unsupported(&p->errs, &tok->loc, "table flags");
			recover(p);
			continue;
		}
		if (tok->type == NFT_T_WORD && !strcmp(tok->text, "ct") &&
		    nft_kobj_kept(t, peek(p, 1)->text)) {
			/* conntrack objects: the kernel's (objects.c) */
			size_t from = p->pos;
			char *text;
			advance(p);
			recover(p);
			text = tokens_text(p, from, p->pos, true);
			if (!text || nft_table_add_kobj(t, text, &tok->loc))
				p->oom = true;
			continue;
		}
		if (tok->type == NFT_T_WORD &&
		    (!strcmp(tok->text, "counter") ||
		     !strcmp(tok->text, "quota") || !strcmp(tok->text, "ct") ||
		     !strcmp(tok->text, "flowtable") ||
		     !strcmp(tok->text, "limit") ||
		     !strcmp(tok->text, "secmark") ||
		     !strcmp(tok->text, "synproxy"))) {
			nft_unsupported(&p->errs, &tok->loc, "'%s' objects",
					tok->text);
			advance(p);
			recover(p);
			if (cur(p)->type == NFT_T_RBRACE) {
				/* the object's own block ended on its line */
			}
			continue;
		}
		perr(p, "'chain', 'set', 'map' or '}'");
		recover(p);
		if (cur(p)->type == NFT_T_RBRACE)
			advance(p);
	}
}

static void parse_command(struct parser *p)
{
	struct nft_token *t = cur(p);
	bool insert = false;

	if (accept_word(p, "flush")) {
		if (accept_word(p, "ruleset")) {
			for (size_t i = 0; i < p->nft->n_tables; i++)
				nft_table_release(&p->nft->tables[i]);
			p->nft->n_tables = 0;
			p->nft->flush = true;
			return;
		}
		if (accept_word(p, "chain")) {
			struct bf_nft_table *tb = table_ref(p, false);
			struct bf_nft_chain *c = tb ? chain_get(p, tb, false) :
						      NULL;
			if (c) {
				for (size_t i = 0; i < c->n_rules; i++)
					nft_rule_release(&c->rules[i]);
				c->n_rules = 0;
			}
			return;
		}
		if (accept_word(p, "table")) {
			struct bf_nft_table *tb = table_ref(p, false);
			for (size_t i = 0; tb && i < tb->n_chains; i++) {
				for (size_t j = 0; j < tb->chains[i].n_rules;
				     j++)
					nft_rule_release(
						&tb->chains[i].rules[j]);
				tb->chains[i].n_rules = 0;
			}
			return;
		}
		perr(p, "'ruleset', 'table' or 'chain'");
		recover(p);
		return;
	}
	if (accept_word(p, "table")) {
		struct bf_nft_table *tb = table_ref(p, true);
		if (!tb) {
			recover(p);
			return;
		}
		if (at_end_of_stmt(p))
			return; /* "table inet fw4": declares it */
		if (cur(p)->type != NFT_T_LBRACE) {
			perr(p, "'{'");
			recover(p);
			return;
		}
		advance(p);
		parse_table_body(p, tb);
		return;
	}
	if (accept_word(p, "add") || accept_word(p, "create") ||
	    (insert = accept_word(p, "insert"))) {
		if (accept_word(p, "table")) {
			struct bf_nft_table *tb = table_ref(p, true);
			if (tb && accept_tok(p, NFT_T_LBRACE))
				parse_table_body(p, tb);
			return;
		}
		if (accept_word(p, "chain")) {
			struct bf_nft_table *tb = table_ref(p, false);
			struct bf_nft_chain *c = tb ? chain_get(p, tb, true) :
						      NULL;
			if (!c) {
				recover(p);
				return;
			}
			if (cur(p)->type == NFT_T_LBRACE &&
			    parse_chain_body(p, tb, c))
				recover(p);
			flush_anon(p, tb);
			return;
		}
		if (accept_word(p, "rule")) {
			struct bf_nft_table *tb = table_ref(p, false);
			struct bf_nft_chain *c = tb ? chain_get(p, tb, false) :
						      NULL;
			if (!c) {
				recover(p);
				return;
			}
			if (is_word(p, "position") || is_word(p, "handle") ||
			    is_word(p, "index")) {
				nft_unsupported(&p->errs, &cur(p)->loc,
						"rule %s", cur(p)->text);
				recover(p);
				return;
			}
			add_rule_to(p, c, insert);
			flush_anon(p, tb);
			return;
		}
		if (is_word(p, "set") || is_word(p, "map")) {
			bool is_map = is_word(p, "map");
			advance(p);
			struct bf_nft_table *tb = table_ref(p, false);
			struct bf_nft_set *s =
				tb ? set_get(p, tb, is_map, true) : NULL;
			if (!s || parse_set_body(p, s))
				recover(p);
			return;
		}
		if (accept_word(p, "element")) {
			struct bf_nft_table *tb = table_ref(p, false);
			struct bf_nft_set *s =
				tb ? set_get(p, tb, false, false) : NULL;
			struct bf_nft_expr *e;
			if (!s || cur(p)->type != NFT_T_LBRACE) {
				if (s)
					perr(p, "'{'");
				recover(p);
				return;
			}
			e = parse_set_block(p);
			if (!e) {
				recover(p);
				return;
			}
			if (!s->elems) {
				s->elems = e;
			} else {
				for (size_t i = 0; i < e->n_sub; i++)
					nft_expr_add(s->elems,
						     TAKE_PTR(e->sub[i]));
				e->n_sub = 0;
				nft_expr_free(&e);
			}
			return;
		}
		perr(p, "'table', 'chain', 'rule', 'set', 'map' or 'element'");
		recover(p);
		return;
	}
	if (t->type == NFT_T_WORD &&
	    (!strcmp(t->text, "delete") || !strcmp(t->text, "destroy") ||
	     !strcmp(t->text, "replace") || !strcmp(t->text, "rename") ||
	     !strcmp(t->text, "list") || !strcmp(t->text, "reset") ||
	     !strcmp(t->text, "monitor") || !strcmp(t->text, "describe"))) {
		nft_unsupported(&p->errs, &t->loc, "'%s' command", t->text);
		recover(p);
		return;
	}
	perr(p, "a command ('table', 'add', 'flush'...)");
	recover(p);
	if (cur(p)->type == NFT_T_RBRACE)
		advance(p);
}

static int parse_all(struct parser *p)
{
	for (;;) {
		skip_nl(p);
		if (cur(p)->type == NFT_T_EOF)
			break;
		/* lines of a shell script of nft commands: "nft add ..." */
		if (is_word(p, "nft"))
			advance(p);
		parse_command(p);
		flush_anon(p, NULL); /* left by a command in error */
		if (p->oom)
			return -ENOMEM;
		if (!at_end_of_stmt(p)) {
			perr(p, "end of line");
			recover(p);
		}
	}
	return 0;
}

static int parse_text(const char *text, const char *filename,
		      struct bf_nft **out)
{
	struct parser p = { 0 };
	int r;

	p.nft = calloc(1, sizeof(*p.nft));
	if (!p.nft)
		return -ENOMEM;
	const char *file =
		nft_intern_file(p.nft, filename ? filename : "<input>");
	if (!file) {
		bf_nft_free(&p.nft);
		return -ENOMEM;
	}
	r = nft_lex(p.nft, text, file, &p.toks, 0);
	if (r == -ENOMEM) {
		nft_tokens_free(&p.toks);
		bf_nft_free(&p.nft);
		return r;
	}
	if (r)
		p.errs.n_errors++;
	if (p.toks.n) {
		r = parse_all(&p);
		if (r) {
			nft_tokens_free(&p.toks);
			bf_nft_free(&p.nft);
			return r;
		}
	}
	nft_tokens_free(&p.toks);
	/* rules kept for the kernel: refused unless their chain goes there */
	if (nft_kernel_check(p.nft, &p.errs) == -ENOMEM) {
		bf_nft_free(&p.nft);
		return -ENOMEM;
	}
	if (!p.errs.n_errors && !p.errs.n_unsupported) {
		r = nft_eval(p.nft);
	} else {
		/* still type-check what parsed, to report those errors too */
		int r2 = nft_eval(p.nft);
		r = nft_errs_ret(&p.errs);
		if (r2 == -EINVAL)
			r = -EINVAL;
		if (r2 == -ENOMEM)
			r = r2;
	}
	if (r) {
		bf_nft_free(&p.nft);
		return r;
	}
	*out = p.nft;
	return 0;
}

int bf_nft_parse_str(const char *text, const char *filename,
		     struct bf_nft **out)
{
	return parse_text(text, filename, out);
}

int bf_nft_parse_file(const char *filename, struct bf_nft **out)
{
	_cleanup_fclose_ FILE *f = fopen(filename, "r");
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (!f) {
		int r = -errno;
		bf_log(BF_LOG_ERROR, "%s: %s", filename, strerror(errno));
		return r;
	}
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -ENOMEM;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	bool err = ferror(f);
	if (fclose(m) || err) {
		bf_log(BF_LOG_ERROR, "%s: read error", filename);
		return -EIO;
	}
	return parse_text(buf, filename, out);
}
