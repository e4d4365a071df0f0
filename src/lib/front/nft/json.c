// SPDX-License-Identifier: GPL-2.0-only
/*
 * `nft -j list ruleset` (libnftables-json(5)) into the AST: each JSON
 * object is written back as the nft command it stands for ("add table",
 * "add chain ... { type ... }", "add set", "add rule ..."), and that text
 * goes through the text parser, so that typing, checks and canonical forms
 * are the same whatever the input. Objects and expressions outside the
 * subset the text parser supports are reported as unsupported with the
 * table, chain and rule handle they come from.
 *
 * The tables bpfilter keeps for conntrack (ip/ip6 bpfilter_ct, inet in
 * older versions, see src/lib/load/ct.c) are not part of the user's
 * ruleset and are skipped.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/nft/nft.h"

struct jctx {
	FILE *out;
	int n_unsupported;
	int n_errors;
	const char *where; /* "table inet t chain c handle 4" */
};

static void unsup(struct jctx *c, const char *what)
{
	bf_log(BF_LOG_ERROR, "nft JSON: unsupported: %s (%s)", what,
	       c->where ? c->where : "ruleset");
	c->n_unsupported++;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\n')
			continue; /* nft names never hold them */
		fputc(*s, out);
	}
	fputc('"', out);
}

static bool put_expr(struct jctx *c, json_t *e, bool quote);

static bool put_list(struct jctx *c, json_t *a, const char *sep, bool quote)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (i)
			fputs(sep, c->out);
		if (!put_expr(c, v, quote))
			return false;
	}
	return true;
}

static bool put_verdict(struct jctx *c, json_t *v)
{
	static const char *const words[] = { "accept", "drop", "continue",
					     "return" };
	json_t *t;

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (json_object_get(v, words[i])) {
			fputs(words[i], c->out);
			return true;
		}
	}
	if ((t = json_object_get(v, "jump")) ||
	    (t = json_object_get(v, "goto"))) {
		const char *target = jstr(t, "target");
		if (!target) {
			unsup(c, "jump without a target chain");
			return false;
		}
		fprintf(c->out, "%s %s",
			json_object_get(v, "jump") ? "jump" : "goto", target);
		return true;
	}
	return false;
}

/* One expression (a field, a constant, a set...). quote: strings are
 * interface names (quoted), else symbols and addresses (bare). */
static bool put_expr(struct jctx *c, json_t *e, bool quote)
{
	const char *k;
	json_t *v;

	if (json_is_integer(e)) {
		fprintf(c->out, "%" JSON_INTEGER_FORMAT, json_integer_value(e));
		return true;
	}
	if (json_is_string(e)) {
		const char *s = json_string_value(e);
		if (s[0] == '@' || !quote)
			fputs(s, c->out);
		else
			put_string(c->out, s);
		return true;
	}
	if (json_is_array(e)) /* a list of flags */
		return put_list(c, e, ",", quote);
	if (!json_is_object(e) || json_object_size(e) != 1) {
		unsup(c, "JSON expression of an unknown shape");
		return false;
	}
	json_object_foreach(e, k, v)
	{
		if (!strcmp(k, "payload")) {
			const char *p = jstr(v, "protocol"),
				   *f = jstr(v, "field");
			if (!p || !f) {
				unsup(c, "raw payload expressions");
				return false;
			}
			fprintf(c->out, "%s %s", p, f);
			return true;
		}
		if (!strcmp(k, "exthdr") && jstr(v, "name") &&
		    jstr(v, "field") && !strcmp(jstr(v, "name"), "rt") &&
		    !strcmp(jstr(v, "field"), "type") &&
		    !json_object_get(v, "offset")) {
			/* {"exthdr": {"name": "rt", "field": "type"}} */
			fputs("rt type", c->out);
			return true;
		}
		if (!strcmp(k, "fib")) {
			/* {"fib": {"result": "type", "flags": ["daddr"]}}:
			 * fib daddr type, the one form parse.c takes */
			json_t *fl = json_object_get(v, "flags");
			const char *res = jstr(v, "result");
			const char *f0 =
				json_is_array(fl) && json_array_size(fl) == 1 ?
					json_string_value(
						json_array_get(fl, 0)) :
					json_string_value(fl);
			if (!res || !f0 || strcmp(res, "type") ||
			    strcmp(f0, "daddr")) {
				unsup(c, "fib expressions other than fib daddr "
					 "type");
				return false;
			}
			fputs("fib daddr type", c->out);
			return true;
		}
		if (!strcmp(k, "meta") || !strcmp(k, "ct")) {
			const char *key = jstr(v, "key");
			const char *dir = jstr(v, "dir");
			/* nft lists a tuple field as {"dir": "original",
			 * "key": "ip saddr"}: the text form, parse.c's */
			if (!key || json_object_get(v, "family") ||
			    (dir &&
			     (strcmp(k, "ct") || (strcmp(dir, "original") &&
						  strcmp(dir, "reply"))))) {
				unsup(c,
				      "ct expressions with a direction or family");
				return false;
			}
			if (dir)
				fprintf(c->out, "%s %s %s", k, dir, key);
			else
				fprintf(c->out, "%s %s", k, key);
			return true;
		}
		if (!strcmp(k, "set")) {
			fputs("{ ", c->out);
			if (json_is_array(v)) {
				size_t i;
				json_t *el;
				json_array_foreach(v, i, el)
				{
					if (i)
						fputs(", ", c->out);
					if (json_is_array(el) &&
					    json_array_size(el) == 2) {
						/* map element: key : data */
						if (!put_expr(c,
							      json_array_get(el,
									     0),
							      quote))
							return false;
						fputs(" : ", c->out);
						json_t *d =
							json_array_get(el, 1);
						if (!put_verdict(c, d) &&
						    !put_expr(c, d, false))
							return false;
					} else if (!put_expr(c, el, quote)) {
						return false;
					}
				}
			} else if (!put_expr(c, v, quote)) {
				return false;
			}
			fputs(" }", c->out);
			return true;
		}
		if (!strcmp(k, "range") && json_array_size(v) == 2) {
			return put_expr(c, json_array_get(v, 0), quote) &&
			       (fputc('-', c->out), true) &&
			       put_expr(c, json_array_get(v, 1), quote);
		}
		if (!strcmp(k, "prefix")) {
			json_t *a = json_object_get(v, "addr");
			json_t *l = json_object_get(v, "len");
			if (!json_is_string(a) || !json_is_integer(l)) {
				unsup(c, "prefix of an unknown shape");
				return false;
			}
			fprintf(c->out, "%s/%" JSON_INTEGER_FORMAT,
				json_string_value(a), json_integer_value(l));
			return true;
		}
		if (!strcmp(k, "concat"))
			return put_list(c, v, " . ", quote);
		if ((!strcmp(k, "&") || !strcmp(k, "|") || !strcmp(k, "^")) &&
		    json_array_size(v) == 2) {
			json_t *l = json_array_get(v, 0),
			       *r = json_array_get(v, 1);
			bool field = json_is_object(l) &&
				     (json_object_get(l, "payload") ||
				      json_object_get(l, "meta") ||
				      json_object_get(l, "ct"));
			if (!field) {
				/* a flag expression: syn | ack */
				return put_expr(c, l, quote) &&
				       (fprintf(c->out, " %s ", k), true) &&
				       put_expr(c, r, quote);
			}
			if (!put_expr(c, l, quote))
				return false;
			fprintf(c->out, " %s (", k);
			if (!(json_is_array(r) ? put_list(c, r, " | ", quote) :
						 put_expr(c, r, quote)))
				return false;
			fputc(')', c->out);
			return true;
		}
		if (!strcmp(k, "elem")) {
			unsup(c,
			      "set elements with options (timeout, comment...)");
			return false;
		}
		char what[96];
		snprintf(what, sizeof(what), "JSON expression '%s'", k);
		unsup(c, what);
		return false;
	}
	return false;
}

static bool is_string_field(json_t *left)
{
	json_t *m = json_object_get(left, "meta");
	const char *key = m ? jstr(m, "key") : NULL;

	return key && (!strcmp(key, "iifname") || !strcmp(key, "oifname") ||
		       !strcmp(key, "iif") || !strcmp(key, "oif"));
}

static bool put_stmt(struct jctx *c, json_t *s)
{
	const char *k;
	json_t *v;

	if (put_verdict(c, s))
		return true;
	/* an anonymous chain: nft (1.0.6) has no JSON form for it ("stmt
	 * ops chain have no json callback") and writes its listing text,
	 * `jump {\n\t\t\trule...\n\t\t}`, which the text parser reads */
	if (json_is_string(s) &&
	    (!strncmp(json_string_value(s), "jump {", 6) ||
	     !strncmp(json_string_value(s), "goto {", 6))) {
		fputs(json_string_value(s), c->out);
		return true;
	}
	if (!json_is_object(s) || json_object_size(s) != 1) {
		unsup(c, "statement of an unknown shape");
		return false;
	}
	json_object_foreach(s, k, v)
	{
		if (!strcmp(k, "match")) {
			const char *op = jstr(v, "op");
			json_t *l = json_object_get(v, "left");
			if (!op || !l)
				break;
			if (!put_expr(c, l, false))
				return false;
			/* "in" is nft's implicit operator (flags: any of);
			 * "==" stays explicit (flags: exactly) */
			if (strcmp(op, "in"))
				fprintf(c->out, " %s", op);
			fputc(' ', c->out);
			return put_expr(c, json_object_get(v, "right"),
					is_string_field(l));
		}
		if (!strcmp(k, "counter")) {
			json_t *p = json_object_get(v, "packets");
			json_t *b = json_object_get(v, "bytes");
			fputs("counter", c->out);
			if (json_is_integer(p) && json_is_integer(b))
				fprintf(c->out,
					" packets %" JSON_INTEGER_FORMAT
					" bytes %" JSON_INTEGER_FORMAT,
					json_integer_value(p),
					json_integer_value(b));
			return true;
		}
		if (!strcmp(k, "log")) {
			const char *str;
			json_t *x;
			fputs("log", c->out);
			if (!json_is_object(v))
				return true;
			if ((str = jstr(v, "prefix"))) {
				fputs(" prefix ", c->out);
				put_string(c->out, str);
			}
			if ((str = jstr(v, "level")))
				fprintf(c->out, " level %s", str);
			if (json_is_integer(x = json_object_get(v, "group")))
				fprintf(c->out, " group %" JSON_INTEGER_FORMAT,
					json_integer_value(x));
			if (json_is_integer(x = json_object_get(v, "snaplen")))
				fprintf(c->out,
					" snaplen %" JSON_INTEGER_FORMAT,
					json_integer_value(x));
			if (json_is_integer(
				    x = json_object_get(v, "queue-threshold")))
				fprintf(c->out,
					" queue-threshold %" JSON_INTEGER_FORMAT,
					json_integer_value(x));
			x = json_object_get(v, "flags");
			if (json_is_string(x))
				fprintf(c->out, " flags %s",
					json_string_value(x));
			if (json_is_array(x)) {
				size_t i;
				json_t *f;
				json_array_foreach(x, i,
						   f) if (json_is_string(f))
					fprintf(c->out, " flags %s",
						json_string_value(f));
			}
			return true;
		}
		if (!strcmp(k, "reject")) {
			const char *type = json_is_object(v) ? jstr(v, "type") :
							       NULL;
			json_t *x = json_is_object(v) ?
					    json_object_get(v, "expr") :
					    NULL;
			fputs("reject", c->out);
			if (!type)
				return true;
			if (!strcmp(type, "tcp reset")) {
				fputs(" with tcp reset", c->out);
				return true;
			}
			fprintf(c->out, " with %s ", type);
			return x ? put_expr(c, x, false) :
				   (fputs("port-unreachable", c->out), true);
		}
		if (!strcmp(k, "limit")) {
			json_t *rate = json_object_get(v, "rate");
			json_t *burst = json_object_get(v, "burst");
			const char *per = jstr(v, "per");
			const char *ru = jstr(v, "rate_unit");
			const char *bu = jstr(v, "burst_unit");
			if (!json_is_integer(rate) || !per)
				break;
			fprintf(c->out, "limit rate %s%" JSON_INTEGER_FORMAT,
				json_is_true(json_object_get(v, "inv")) ?
					"over " :
					"",
				json_integer_value(rate));
			if (ru && strcmp(ru, "packets"))
				fprintf(c->out, " %s", ru);
			fprintf(c->out, "/%s", per);
			if (json_is_integer(burst) && json_integer_value(burst))
				fprintf(c->out,
					" burst %" JSON_INTEGER_FORMAT " %s",
					json_integer_value(burst),
					bu ? bu : "packets");
			return true;
		}
		if (!strcmp(k, "vmap")) {
			json_t *key = json_object_get(v, "key");
			if (!put_expr(c, key, false))
				return false;
			fputs(" vmap ", c->out);
			return put_expr(c, json_object_get(v, "data"),
					is_string_field(key));
		}
		if (!strcmp(k, "mangle")) {
			if (!put_expr(c, json_object_get(v, "key"), false))
				return false;
			fputs(" set ", c->out);
			return put_expr(c, json_object_get(v, "value"), false);
		}
		char what[96];
		snprintf(what, sizeof(what), "statement '%s'", k);
		unsup(c, what);
		return false;
	}
	unsup(c, "statement of an unknown shape");
	return false;
}

static bool skipped_table(json_t *o)
{
	const char *fam = jstr(o, "family"), *t = jstr(o, "table");

	if (!t)
		t = jstr(o, "name");
	return fam && t && !strcmp(t, "bpfilter_ct") &&
	       (!strcmp(fam, "ip") || !strcmp(fam, "ip6") ||
		!strcmp(fam, "inet"));
}

static void put_set(struct jctx *c, json_t *s, bool map)
{
	json_t *type = json_object_get(s, "type");
	json_t *flags = json_object_get(s, "flags");
	json_t *elem = json_object_get(s, "elem");
	json_t *size = json_object_get(s, "size");
	const char *data = jstr(s, "map");
	bool quote = json_is_string(type) &&
		     !strcmp(json_string_value(type), "ifname");

	fprintf(c->out, "add %s %s %s %s { ", map ? "map" : "set",
		jstr(s, "family"), jstr(s, "table"), jstr(s, "name"));
	if (json_is_string(type)) {
		fprintf(c->out, "type %s", json_string_value(type));
	} else if (json_is_array(type)) {
		size_t i;
		json_t *t;
		fputs("type ", c->out);
		json_array_foreach(type, i, t)
			fprintf(c->out, "%s%s", i ? " . " : "",
				json_is_string(t) ? json_string_value(t) : "?");
	} else {
		unsup(c, "a set declared with typeof");
	}
	if (map)
		fprintf(c->out, " : %s", data ? data : "?");
	fputs("; ", c->out);
	if (json_is_integer(size))
		fprintf(c->out, "size %" JSON_INTEGER_FORMAT "; ",
			json_integer_value(size));
	if (json_is_array(flags) && json_array_size(flags)) {
		fputs("flags ", c->out);
		put_list(c, flags, ",", false);
		fputs("; ", c->out);
	} else if (json_is_string(flags)) {
		fprintf(c->out, "flags %s; ", json_string_value(flags));
	}
	if (json_is_true(json_object_get(s, "auto-merge")))
		fputs("auto-merge; ", c->out);
	if (json_is_array(elem) && json_array_size(elem)) {
		json_t *set = json_pack("{s:O}", "set", elem);
		fputs("elements = ", c->out);
		if (set)
			put_expr(c, set, quote);
		json_decref(set);
	}
	fputs(" }\n", c->out);
}

static int to_text(json_t *root, FILE *out, struct jctx *c)
{
	json_t *list = json_object_get(root, "nftables");
	size_t i;
	json_t *o;

	if (!json_is_array(list)) {
		bf_log(BF_LOG_ERROR,
		       "nft JSON: expected an object with an \"nftables\" array");
		return -EINVAL;
	}
	json_array_foreach(list, i, o)
	{
		const char *kind;
		json_t *v;
		char where[300];

		if (!json_is_object(o) || json_object_size(o) != 1)
			continue;
		json_object_foreach(o, kind, v)
		{
			if (!strcmp(kind, "metainfo"))
				continue;
			if (skipped_table(v))
				continue;
			snprintf(where, sizeof(where), "%s %s %s%s%s%s", kind,
				 jstr(v, "family") ? jstr(v, "family") : "?",
				 jstr(v, "table") ? jstr(v, "table") : "",
				 jstr(v, "table") ? " " : "",
				 jstr(v, "name")  ? jstr(v, "name") :
				 jstr(v, "chain") ? jstr(v, "chain") :
						    "",
				 "");
			c->where = where;
			if (!strcmp(kind, "table") && jstr(v, "name") &&
			    !strncmp(jstr(v, "name"), BF_NFT_KERNEL_PREFIX,
				     strlen(BF_NFT_KERNEL_PREFIX)))
				/* kernpart.c: a previous apply's kernel part;
				 * imported, it would be handed on again under
				 * another name while apply deletes this one */
				unsup(c,
				      "a table bpfilter apply made for the kernel's nftables (apply the nft file itself)");
			if (!strcmp(kind, "table")) {
				fprintf(out, "add table %s %s\n",
					jstr(v, "family"), jstr(v, "name"));
			} else if (!strcmp(kind, "chain")) {
				json_t *prio = json_object_get(v, "prio");
				fprintf(out, "add chain %s %s %s",
					jstr(v, "family"), jstr(v, "table"),
					jstr(v, "name"));
				if (jstr(v, "hook")) {
					fprintf(out, " { type %s hook %s",
						jstr(v, "type") ?
							jstr(v, "type") :
							"filter",
						jstr(v, "hook"));
					if (jstr(v, "dev"))
						fprintf(out, " device \"%s\"",
							jstr(v, "dev"));
					else if (json_is_array(json_object_get(
							 v, "dev"))) {
						/* several devices */
						json_t *dv = json_object_get(
							v, "dev");
						size_t di;
						json_t *de;
						fputs(" devices = {", out);
						json_array_foreach(dv, di, de) fprintf(
							out, "%s \"%s\"",
							di ? "," : "",
							json_string_value(de) ?:
								"");
						fputs(" }", out);
					}
					fprintf(out,
						" priority %" JSON_INTEGER_FORMAT
						"; policy %s; }",
						json_is_integer(prio) ?
							json_integer_value(
								prio) :
							0,
						jstr(v, "policy") ?
							jstr(v, "policy") :
							"accept");
				}
				fputc('\n', out);
			} else if (!strcmp(kind, "set") ||
				   !strcmp(kind, "map")) {
				put_set(c, v, !strcmp(kind, "map"));
			} else if (!strcmp(kind, "rule")) {
				json_t *exprs = json_object_get(v, "expr");
				json_t *h = json_object_get(v, "handle");
				size_t j;
				json_t *s;
				char *buf = NULL;
				size_t len = 0;
				FILE *m;
				bool ok = true;

				snprintf(
					where, sizeof(where),
					"table %s %s chain %s handle %" JSON_INTEGER_FORMAT,
					jstr(v, "family"), jstr(v, "table"),
					jstr(v, "chain"),
					json_is_integer(h) ?
						json_integer_value(h) :
						0);
				m = open_memstream(&buf, &len);
				if (!m)
					return -ENOMEM;
				c->out = m;
				json_array_foreach(exprs, j, s)
				{
					if (j)
						fputc(' ', m);
					if (!put_stmt(c, s)) {
						ok = false;
						break;
					}
				}
				if (jstr(v, "comment")) {
					fputs(" comment ", m);
					put_string(m, jstr(v, "comment"));
				}
				fclose(m);
				c->out = out;
				if (ok)
					fprintf(out, "add rule %s %s %s %s\n",
						jstr(v, "family"),
						jstr(v, "table"),
						jstr(v, "chain"), buf);
				free(buf);
			} else {
				char what[96];
				snprintf(what, sizeof(what), "'%s' objects",
					 kind);
				unsup(c, what);
			}
		}
	}
	return 0;
}

int bf_nft_json_to_text(const char *json, char **text)
{
	json_error_t err;
	json_t *root = json_loads(json, 0, &err);
	struct jctx c = { 0 };
	size_t len = 0;
	int r;

	*text = NULL;
	if (!root) {
		bf_log(BF_LOG_ERROR, "nft JSON: line %d column %d: %s",
		       err.line, err.column, err.text);
		return -EINVAL;
	}
	c.out = open_memstream(text, &len);
	if (!c.out) {
		json_decref(root);
		return -ENOMEM;
	}
	r = to_text(root, c.out, &c);
	json_decref(root);
	if (fclose(c.out) && !r)
		r = -ENOMEM;
	if (!r && c.n_unsupported)
		r = -EOPNOTSUPP;
	if (r) {
		free(*text);
		*text = NULL;
	}
	return r;
}

int bf_nft_parse_json(const char *json, const char *filename,
		      struct bf_nft **out)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *name = NULL;
	int r = bf_nft_json_to_text(json, &text);

	if (r)
		return r;
	/* positions point into the commands, not into the JSON */
	if (asprintf(&name, "%s (as nft commands)",
		     filename ? filename : "<json>") < 0)
		return -ENOMEM;
	return bf_nft_parse_str(text, name, out);
}
