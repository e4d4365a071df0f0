// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tokens of the nft syntax. nft's scanner recognises addresses, numbers
 * and names with dedicated patterns; here a word is any run of
 * letters, digits and _ . : / * - \\ and the evaluator later reads it according to the
 * type of what it is compared with (so "33-45" is a range of ports and
 * "ipv6-icmp" a protocol name). The one context-free decision made here is
 * about ':' inside a word: it stays in the word only when the word is an
 * IPv6 or Ethernet address (possibly with a prefix or range), otherwise it
 * ends the word, so that "25:accept" in a verdict map is key, ':', value.
 *
 * `include "file"` and `define NAME = ...` / `$NAME` are resolved here,
 * so the parser sees one flat token stream.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/nft/nft.h"

#define NFT_INCLUDE_DEPTH_MAX 16

static void vreport(const struct bf_nft_loc *loc, const char *pfx,
		    const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	bf_log_at(BF_LOG_ERROR, loc && loc->file ? loc->file : "<input>",
		  loc ? loc->line : 0, loc ? loc->col : 0, "%s%s", pfx, msg);
}

void nft_error(struct nft_errs *errs, const struct bf_nft_loc *loc,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(loc, "", fmt, ap);
	va_end(ap);
	errs->n_errors++;
}

void nft_unsupported(struct nft_errs *errs, const struct bf_nft_loc *loc,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (errs->held) {
		/* parse.c decides later (BF_NFT_S_KERNEL, kernpart.c) */
		char msg[512], *n = NULL;
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (asprintf(&n, "%s%d:%d:%s\n", *errs->held ? *errs->held : "",
			     loc ? loc->line : 0, loc ? loc->col : 0,
			     msg) < 0) {
			errs->n_unsupported++; /* no memory: refused as is */
			return;
		}
		free(*errs->held);
		*errs->held = n;
		return;
	}
	vreport(loc, "unsupported: ", fmt, ap);
	va_end(ap);
	errs->n_unsupported++;
}

int nft_errs_ret(const struct nft_errs *errs)
{
	if (errs->n_errors)
		return -EINVAL;
	if (errs->n_unsupported)
		return -EOPNOTSUPP;
	return 0;
}

void nft_tokens_free(struct nft_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int tok_push(struct nft_tokens *t, const struct nft_token *tok)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct nft_token *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *tok;
	return 0;
}

static int tok_push_copy(struct nft_tokens *t, const struct nft_token *tok)
{
	struct nft_token c = *tok;

	if (tok->text && !(c.text = strdup(tok->text)))
		return -ENOMEM;
	if (tok_push(t, &c)) {
		free(c.text);
		return -ENOMEM;
	}
	return 0;
}

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == ':' ||
	       c == '/' || c == '-' || c == '*' || c == '\\' || c == '%';
}

/* Where a word may start: not at '.', '/', a lone ':' or a '-' that is
 * an operator ("33 - 45"); "-150" (a priority) and "::1" are words. */
static bool word_start(const char *p, bool space)
{
	char c = *p;

	if (isalnum((unsigned char)c) || c == '_' || c == '*' || c == '\\')
		return true;
	if (c == ':')
		return p[1] == ':';
	if (c == '-')
		return space && isdigit((unsigned char)p[1]);
	return false;
}

/* Six groups of one or two hex digits ("00:0f:54:0c:11:4", as nft takes
 * them). */
static bool is_ether(const char *s, size_t n)
{
	size_t groups = 1, digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':') {
			if (!digits || ++groups > 6)
				return false;
			digits = 0;
		} else if (!isxdigit((unsigned char)s[i]) || ++digits > 2) {
			return false;
		}
	}
	return groups == 6 && digits;
}

static bool is_ip6(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 8];
	uint8_t a[16];

	if (n >= sizeof(buf) || !memchr(s, ':', n))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* A word keeps its colons if it is an address (with optional /prefix) or
 * a range of them. */
static bool colon_word_ok(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	size_t m = slash ? (size_t)(slash - s) : n;

	if (is_ip6(s, m) || is_ether(s, m))
		return true;
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] == '-' && (is_ip6(s, i) || is_ether(s, i)) &&
		    (is_ip6(s + i + 1, n - i - 1) ||
		     is_ether(s + i + 1, n - i - 1)))
			return true;
	}
	return false;
}

struct nft_def {
	char *name;
	struct nft_tokens toks;
};

struct nft_defs {
	struct nft_def *v;
	size_t n;
};

static struct nft_def *def_find(struct nft_defs *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name))
			return &d->v[i];
	return NULL;
}

/* Pass 1: characters -> raw tokens of one file. */
static int scan(const char *text, const char *file, struct nft_tokens *out,
		struct nft_errs *errs)
{
	int line = 1;
	const char *bol = text;
	const char *p = text;
	bool space = true;

	while (*p) {
		struct nft_token tok = { 0 };
		char c = *p;

		tok.loc.file = file;
		tok.loc.line = line;
		tok.loc.col = (int)(p - bol) + 1;
		tok.space_before = space;
		space = false;
		if (c == '\\' && p[1] == '\n') {
			p += 2;
			line++;
			bol = p;
			space = true;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			p++;
			space = true;
			continue;
		}
		if (c == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (c == '\n') {
			tok.type = NFT_T_NL;
			p++;
			line++;
			bol = p;
			space = true;
		} else if (c == '"') {
			const char *s = ++p;
			while (*p && *p != '"' && *p != '\n') {
				if (*p == '\\' && p[1] && p[1] != '\n')
					p++;
				p++;
			}
			if (*p != '"') {
				nft_error(errs, &tok.loc,
					  "unterminated string");
				continue;
			}
			tok.type = NFT_T_STRING;
			tok.text = strndup(s, (size_t)(p - s));
			if (!tok.text)
				return -ENOMEM;
			p++;
		} else if (c == '$' || c == '@') {
			const char *s = ++p;
			while (isalnum((unsigned char)*p) || *p == '_' ||
			       *p == '-' || *p == '.')
				p++;
			if (p == s) {
				if (c == '@') {
					tok.type = NFT_T_AT;
					goto push;
				}
				nft_error(errs, &tok.loc,
					  "expected a variable name after '$'");
				continue;
			}
			if (c == '@') {
				/* '@' then the word: the parser reads both. */
				tok.type = NFT_T_AT;
				if (tok_push(out, &tok))
					return -ENOMEM;
				tok.type = NFT_T_WORD;
				tok.loc.col++;
				tok.space_before = false;
			} else {
				tok.type = NFT_T_VAR;
			}
			tok.text = strndup(s, (size_t)(p - s));
			if (!tok.text)
				return -ENOMEM;
		} else if (word_start(p, tok.space_before)) {
			const char *s = p;
			while (is_word_char(*p))
				p++;
			size_t n = (size_t)(p - s);
			const char *colon = memchr(s, ':', n);
			if (colon && !colon_word_ok(s, n)) {
				/* the longest address before a ':' ("::1:drop"
				 * would not be one), else the first ':' */
				size_t cut = (size_t)(colon - s);
				for (size_t i = n; i-- > 1;) {
					if (s[i] == ':' &&
					    (is_ip6(s, i) || is_ether(s, i))) {
						cut = i;
						break;
					}
				}
				if (cut) {
					n = cut;
					p = s + cut;
				}
			}
			tok.type = NFT_T_WORD;
			tok.text = strndup(s, n);
			if (!tok.text)
				return -ENOMEM;
		} else {
			p++;
			switch (c) {
			case ';':
				tok.type = NFT_T_SEMI;
				break;
			case '{':
				tok.type = NFT_T_LBRACE;
				break;
			case '}':
				tok.type = NFT_T_RBRACE;
				break;
			case '(':
				tok.type = NFT_T_LPAREN;
				break;
			case ')':
				tok.type = NFT_T_RPAREN;
				break;
			case ',':
				tok.type = NFT_T_COMMA;
				break;
			case '.':
				tok.type = NFT_T_DOT;
				break;
			case ':':
				tok.type = NFT_T_COLON;
				break;
			case '/':
				tok.type = NFT_T_SLASH;
				break;
			case '-':
				tok.type = NFT_T_MINUS;
				break;
			case '+':
				tok.type = NFT_T_PLUS;
				break;
			case '&':
				tok.type = NFT_T_AND;
				break;
			case '|':
				tok.type = NFT_T_OR;
				break;
			case '^':
				tok.type = NFT_T_XOR;
				break;
			case '=':
				tok.type = NFT_T_EQ;
				if (*p == '=') {
					tok.type = NFT_T_EQEQ;
					p++;
				}
				break;
			case '!':
				tok.type = NFT_T_NOT;
				if (*p == '=') {
					tok.type = NFT_T_NE;
					p++;
				}
				break;
			case '<':
				tok.type = NFT_T_LT;
				if (*p == '=') {
					tok.type = NFT_T_LE;
					p++;
				} else if (*p == '<') {
					tok.type = NFT_T_LSHIFT;
					p++;
				}
				break;
			case '>':
				tok.type = NFT_T_GT;
				if (*p == '=') {
					tok.type = NFT_T_GE;
					p++;
				} else if (*p == '>') {
					tok.type = NFT_T_RSHIFT;
					p++;
				}
				break;
			default:
				nft_error(errs, &tok.loc,
					  "unexpected character '%c'", c);
				continue;
			}
		}
push:
		if (tok_push(out, &tok)) {
			free(tok.text);
			return -ENOMEM;
		}
	}
	return 0;
}

static char *read_whole(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static int lex_rec(struct bf_nft *nft, const char *text, const char *file,
		   struct nft_tokens *toks, int depth, struct nft_defs *defs,
		   struct nft_errs *errs);

static bool at_stmt_start(const struct nft_tokens *raw, size_t i)
{
	if (i == 0)
		return true;
	enum nft_tok t = raw->v[i - 1].type;
	return t == NFT_T_NL || t == NFT_T_SEMI || t == NFT_T_LBRACE ||
	       t == NFT_T_RBRACE;
}

static int do_include(struct bf_nft *nft, const struct nft_token *name,
		      const char *file, struct nft_tokens *toks, int depth,
		      struct nft_defs *defs, struct nft_errs *errs)
{
	_cleanup_free_ char *dircopy = strdup(file);
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	const char *ifile;

	if (!dircopy)
		return -ENOMEM;
	if (depth >= NFT_INCLUDE_DEPTH_MAX) {
		nft_error(errs, &name->loc, "includes nested too deeply");
		return 0;
	}
	if (name->text[0] == '/') {
		path = strdup(name->text);
	} else if (asprintf(&path, "%s/%s", dirname(dircopy), name->text) < 0) {
		path = NULL;
	}
	if (!path)
		return -ENOMEM;
	if (strpbrk(name->text, "*?[")) {
		/* nft reads every match of a pattern, in order; a pattern
		 * without matches is not an error */
		glob_t g;
		int gr = glob(path, 0, NULL, &g), r = 0;
		if (gr == GLOB_NOMATCH)
			return 0;
		if (gr) {
			nft_error(errs, &name->loc,
				  "include \"%s\": glob failed", name->text);
			return 0;
		}
		for (size_t i = 0; i < g.gl_pathc && !r; i++) {
			_cleanup_free_ char *t = read_whole(g.gl_pathv[i]);
			const char *gf;
			if (!t) {
				nft_error(errs, &name->loc,
					  "cannot read include file \"%s\": %s",
					  g.gl_pathv[i], strerror(errno));
				continue;
			}
			gf = nft_intern_file(nft, g.gl_pathv[i]);
			r = gf ? lex_rec(nft, t, gf, toks, depth + 1, defs,
					 errs) :
				 -ENOMEM;
		}
		globfree(&g);
		return r;
	}
	text = read_whole(path);
	if (!text && errno == ENOENT) {
		free(path);
		path = strdup(name->text);
		if (!path)
			return -ENOMEM;
		text = read_whole(path);
	}
	if (!text) {
		nft_error(errs, &name->loc,
			  "cannot read include file \"%s\": %s", name->text,
			  strerror(errno));
		return 0;
	}
	ifile = nft_intern_file(nft, path);
	if (!ifile)
		return -ENOMEM;
	return lex_rec(nft, text, ifile, toks, depth + 1, defs, errs);
}

/* Pass 2: includes, defines and variables. */
static int lex_rec(struct bf_nft *nft, const char *text, const char *file,
		   struct nft_tokens *toks, int depth, struct nft_defs *defs,
		   struct nft_errs *errs)
{
	struct nft_tokens raw = { 0 };
	int r = scan(text, file, &raw, errs);

	for (size_t i = 0; !r && i < raw.n; i++) {
		struct nft_token *t = &raw.v[i];

		if (t->type == NFT_T_WORD && at_stmt_start(&raw, i) &&
		    !strcmp(t->text, "include")) {
			if (i + 1 >= raw.n ||
			    raw.v[i + 1].type != NFT_T_STRING) {
				nft_error(
					errs, &t->loc,
					"include: expected a quoted file name");
				continue;
			}
			r = do_include(nft, &raw.v[i + 1], file, toks, depth,
				       defs, errs);
			i++;
			continue;
		}
		if (t->type == NFT_T_WORD && at_stmt_start(&raw, i) &&
		    (!strcmp(t->text, "define") ||
		     !strcmp(t->text, "redefine"))) {
			struct nft_def *d;
			size_t j = i + 1;
			int depth2 = 0;

			if (j + 1 >= raw.n || raw.v[j].type != NFT_T_WORD ||
			    raw.v[j + 1].type != NFT_T_EQ) {
				nft_error(errs, &t->loc,
					  "define: expected NAME = VALUE");
				while (i + 1 < raw.n &&
				       raw.v[i + 1].type != NFT_T_NL)
					i++;
				continue;
			}
			d = def_find(defs, raw.v[j].text);
			if (d && !strcmp(t->text, "define")) {
				nft_error(errs, &raw.v[j].loc,
					  "variable '%s' already defined",
					  raw.v[j].text);
			}
			if (!d) {
				struct nft_def *v = realloc(
					defs->v, (defs->n + 1) * sizeof(*v));
				if (!v) {
					r = -ENOMEM;
					break;
				}
				defs->v = v;
				d = &v[defs->n++];
				memset(d, 0, sizeof(*d));
				d->name = strdup(raw.v[j].text);
				if (!d->name) {
					r = -ENOMEM;
					break;
				}
			} else {
				nft_tokens_free(&d->toks);
			}
			for (j += 2; j < raw.n && !r; j++) {
				enum nft_tok tt = raw.v[j].type;
				if (tt == NFT_T_LBRACE || tt == NFT_T_LPAREN)
					depth2++;
				if (tt == NFT_T_RBRACE || tt == NFT_T_RPAREN)
					depth2--;
				if (depth2 <= 0 &&
				    (tt == NFT_T_NL || tt == NFT_T_SEMI))
					break;
				if (depth2 > 0 && tt == NFT_T_NL)
					continue;
				if (tt == NFT_T_VAR) {
					struct nft_def *o =
						def_find(defs, raw.v[j].text);
					if (o == d) {
						nft_error(
							errs, &raw.v[j].loc,
							"variable '$%s' refers to itself",
							raw.v[j].text);
						continue;
					}
					if (!o) {
						nft_error(
							errs, &raw.v[j].loc,
							"unknown variable '$%s'",
							raw.v[j].text);
						continue;
					}
					for (size_t k = 0; k < o->toks.n && !r;
					     k++)
						r = tok_push_copy(
							&d->toks,
							&o->toks.v[k]);
					continue;
				}
				r = tok_push_copy(&d->toks, &raw.v[j]);
			}
			i = j - 1;
			continue;
		}
		if (t->type == NFT_T_VAR) {
			struct nft_def *d = def_find(defs, t->text);
			if (!d) {
				nft_error(errs, &t->loc,
					  "unknown variable '$%s'", t->text);
				continue;
			}
			for (size_t k = 0; k < d->toks.n && !r; k++) {
				struct nft_token c = d->toks.v[k];
				/* Errors point at the use of the variable. */
				c.loc = t->loc;
				if (k == 0)
					c.space_before = t->space_before;
				r = tok_push_copy(toks, &c);
			}
			continue;
		}
		r = tok_push(toks, t);
		if (!r)
			t->text = NULL;
	}
	nft_tokens_free(&raw);
	return r;
}

int nft_lex(struct bf_nft *nft, const char *text, const char *file,
	    struct nft_tokens *toks, int depth)
{
	struct nft_defs defs = { 0 };
	struct nft_errs errs = { 0 };
	struct nft_token eof = { 0 };
	int r;

	r = lex_rec(nft, text, file, toks, depth, &defs, &errs);
	for (size_t i = 0; i < defs.n; i++) {
		free(defs.v[i].name);
		nft_tokens_free(&defs.v[i].toks);
	}
	free(defs.v);
	if (r)
		return r;
	eof.type = NFT_T_EOF;
	eof.loc.file = file;
	eof.loc.line = toks->n ? toks->v[toks->n - 1].loc.line : 1;
	eof.loc.col = 1;
	r = tok_push(toks, &eof);
	if (r)
		return r;
	return errs.n_errors ? -EINVAL : 0;
}
