// SPDX-License-Identifier: GPL-2.0-only
/*
 * iptables-restore input and iptables command files.
 *
 * Both parse into a scratch copy of the ruleset and report every error of
 * the input (the first one of each line); only an input without errors
 * replaces the caller's ruleset, so a typo never half-applies a firewall.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

/* rule->file of rules created by this parse, replaced at the end by the
 * name interned in the caller's ruleset. */
static const char new_rule_file[] = "";

struct parser {
	struct bf_ruleset *rs; /* scratch */
	const struct bf_ruleset *orig; /* the caller's (its sets) */
	const char *file;
	int errors;
	unsigned int families; /* families the input declared */
};

static void rules_free(struct bf_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bf_rule_release(&rules[i]);
	free(rules);
}

static void chain_release(struct bf_chain *c)
{
	for (size_t j = 0; j < c->n_rules; j++)
		bf_rule_release(&c->rules[j]);
	free(c->rules);
	c->rules = NULL;
	c->n_rules = c->cap_rules = 0;
}

/* Deep copy of the chains (the file table stays with the original). */
static struct bf_ruleset *ruleset_clone(const struct bf_ruleset *rs)
{
	struct bf_ruleset *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->families = rs->families;
	n->chains = calloc(rs->n_chains ?: 1, sizeof(*n->chains));
	if (!n->chains)
		goto err;
	n->cap_chains = rs->n_chains ?: 1;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *src = &rs->chains[i];
		struct bf_chain *dst = &n->chains[n->n_chains++];

		*dst = *src;
		dst->rules = NULL;
		dst->n_rules = dst->cap_rules = 0;
		if (!src->n_rules)
			continue;
		dst->rules = calloc(src->n_rules, sizeof(*dst->rules));
		if (!dst->rules)
			goto err;
		dst->cap_rules = src->n_rules;
		for (size_t j = 0; j < src->n_rules; j++) {
			struct bf_rule *r = &dst->rules[j];

			*r = src->rules[j];
			r->matches = NULL;
			if (src->rules[j].n_matches) {
				r->matches = malloc(src->rules[j].n_matches *
						    sizeof(*r->matches));
				if (!r->matches) {
					r->n_matches = 0;
					dst->n_rules = j;
					goto err;
				}
				memcpy(r->matches, src->rules[j].matches,
				       src->rules[j].n_matches *
					       sizeof(*r->matches));
			}
			dst->n_rules = j + 1;
		}
	}
	return n;
err:
	bf_ruleset_free(&n);
	return NULL;
}

/* Empty one family: user chains go, built-in chains lose their rules and
 * get the ACCEPT policy back (iptables-restore flushes the table). */
static void reset_family(struct bf_ruleset *rs, enum bf_family family)
{
	size_t out = 0;

	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		if (c->family == family) {
			chain_release(c);
			if (!c->builtin)
				continue;
			c->policy = BF_VERDICT_ACCEPT;
			c->policy_counter = (struct bf_counter){ 0 };
			c->line = 0;
		}
		rs->chains[out++] = *c;
	}
	rs->n_chains = out;
}

static int resolve_target(struct parser *p, struct ipt_rule_ctx *ctx)
{
	const char *t = ctx->target;
	const struct bf_chain *c;

	if (!t) {
		ctx->verdict = BF_VERDICT_CONTINUE;
		return 0;
	}
	if (ctx->tgt.tgt) {
		ctx->verdict = ctx->tgt.tgt->kind;
		return 0;
	}
	if (!strcmp(t, "ACCEPT") || !strcmp(t, "DROP") ||
	    !strcmp(t, "RETURN") || !strcmp(t, "NFTNEXT")) {
		if (ctx->is_goto) {
			ipt_err(ctx, "-g needs a user-defined chain, not %s",
				t);
			return -EINVAL;
		}
		/* NFTNEXT: bpfilter's (ir.h BF_VERDICT_NFT_NEXT) */
		ctx->verdict = !strcmp(t, "ACCEPT") ? BF_VERDICT_ACCEPT :
			       !strcmp(t, "DROP")   ? BF_VERDICT_DROP :
			       !strcmp(t, "RETURN") ? BF_VERDICT_RETURN :
						      BF_VERDICT_NFT_NEXT;
		return 0;
	}
	if (ipt_is_known_target(t)) {
		const char *why = ipt_unsupported_why(t, true);

		ipt_err(ctx, "target '%s' is not supported%s%s", t,
			why ? ": " : "", why ? why : "");
		return -EOPNOTSUPP;
	}
	c = bf_ruleset_chain(p->rs, ctx->family, t);
	if (!c) {
		ipt_err(ctx, "chain '%s' does not exist (target of %s)", t,
			ctx->is_goto ? "-g" : "-j");
		return -ENOENT;
	}
	if (c->builtin) {
		ipt_err(ctx, "cannot %s to built-in chain '%s'",
			ctx->is_goto ? "goto" : "jump", t);
		return -EINVAL;
	}
	ctx->verdict = ctx->is_goto ? BF_VERDICT_GOTO : BF_VERDICT_JUMP;
	return 0;
}

static bool chain_referenced(const struct bf_ruleset *rs,
			     const struct bf_chain *target)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->family != target->family)
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct bf_verdict *v = &c->rules[j].verdict;

			if ((v->kind == BF_VERDICT_JUMP ||
			     v->kind == BF_VERDICT_GOTO) &&
			    strcmp(v->chain, target->name) == 0)
				return true;
		}
	}
	return false;
}

/* -F, -X, -Z on one chain or on all chains of the family. */
static int chain_command(struct parser *p, struct ipt_rule_ctx *ctx)
{
	struct bf_ruleset *rs = p->rs;

	if (ctx->chain && !bf_ruleset_chain(rs, ctx->family, ctx->chain)) {
		ipt_err(ctx, "chain '%s' does not exist", ctx->chain);
		return -ENOENT;
	}
	if (ctx->command == 'X') {
		/* Deleting needs empty, unreferenced user chains. */
		for (size_t i = 0; i < rs->n_chains; i++) {
			struct bf_chain *c = &rs->chains[i];

			if (c->family != ctx->family ||
			    (ctx->chain && strcmp(c->name, ctx->chain)))
				continue;
			if (c->builtin) {
				if (!ctx->chain)
					continue;
				ipt_err(ctx,
					"cannot delete built-in chain "
					"'%s'",
					c->name);
				return -EINVAL;
			}
			if (c->n_rules) {
				ipt_err(ctx, "chain '%s' is not empty",
					c->name);
				return -EBUSY;
			}
			if (chain_referenced(rs, c)) {
				ipt_err(ctx, "chain '%s' is still referenced",
					c->name);
				return -EBUSY;
			}
		}
		for (size_t i = rs->n_chains; i-- > 0;) {
			struct bf_chain *c = &rs->chains[i];

			if (c->family != ctx->family || c->builtin ||
			    (ctx->chain && strcmp(c->name, ctx->chain)))
				continue;
			chain_release(c);
			memmove(c, c + 1, (rs->n_chains - i - 1) * sizeof(*c));
			rs->n_chains--;
		}
		return 0;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		if (c->family != ctx->family ||
		    (ctx->chain && strcmp(c->name, ctx->chain)))
			continue;
		if (ctx->command == 'F') {
			chain_release(c);
			continue;
		}
		c->policy_counter = (struct bf_counter){ 0 };
		for (size_t j = 0; j < c->n_rules; j++)
			c->rules[j].counter = (struct bf_counter){ 0 };
	}
	return 0;
}

/* Apply one parsed command to the scratch ruleset. */
static int apply(struct parser *p, struct ipt_rule_ctx *ctx)
{
	struct bf_rule *rules = NULL;
	struct bf_chain *c;
	size_t n = 0;
	int r;

	if (ctx->command == 'F' || ctx->command == 'X' || ctx->command == 'Z')
		return chain_command(p, ctx);

	if (ctx->command == 'N') {
		r = bf_ruleset_add_chain(p->rs, ctx->family, ctx->chain,
					 ctx->line, NULL);
		if (r == -EEXIST)
			ipt_err(ctx, "chain '%s' already exists", ctx->chain);
		else if (r)
			ipt_err(ctx, "cannot create chain '%s'", ctx->chain);
		return r;
	}
	c = bf_ruleset_chain(p->rs, ctx->family, ctx->chain);
	if (!c) {
		ipt_err(ctx, "chain '%s' does not exist", ctx->chain);
		return -ENOENT;
	}
	if (ctx->command == 'P') {
		if (!c->builtin) {
			ipt_err(ctx, "cannot set a policy on user chain '%s'",
				ctx->chain);
			return -EINVAL;
		}
		if (strcmp(ctx->policy, "ACCEPT") &&
		    strcmp(ctx->policy, "DROP")) {
			ipt_err(ctx, "Bad policy name `%s'", ctx->policy);
			return -EINVAL;
		}
		c->policy = strcmp(ctx->policy, "ACCEPT") ? BF_VERDICT_DROP :
							    BF_VERDICT_ACCEPT;
		if (ctx->has_counters)
			c->policy_counter = ctx->counters;
		return 0;
	}
	if (ctx->command == 'I' && ctx->rulenum - 1 > c->n_rules) {
		ipt_err(ctx,
			"Index of insertion too big (chain '%s' has %zu "
			"rules)",
			ctx->chain, c->n_rules);
		return -EINVAL;
	}
	r = resolve_target(p, ctx);
	if (r)
		return r;
	r = ipt_build_rules(ctx, &rules, &n);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		rules[i].file = new_rule_file;
		/* Each rule of a comma list goes in at the same index, so an
		 * -I list ends up reversed, exactly as with iptables. */
		if (ctx->command == 'A')
			r = bf_chain_add_rule(c, &rules[i]);
		else
			r = bf_chain_insert_rule(c, ctx->rulenum - 1,
						 &rules[i]);
		if (r)
			break;
	}
	rules_free(rules, n);
	return r;
}

static void ctx_init(struct ipt_rule_ctx *ctx, const char *file, int line,
		     enum bf_family family, bool restore)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->file = file;
	ctx->line = line;
	ctx->family = family;
	ctx->restore = restore;
}

/* ":NAME POLICY [p:b]" */
static int chain_line(struct parser *p, enum bf_family family, char *line,
		      int lineno)
{
	char *save, *name, *policy, *ctrs;
	struct bf_chain *c;
	unsigned long long pk = 0, by = 0;
	int r;

	name = strtok_r(line + 1, " \t", &save);
	policy = name ? strtok_r(NULL, " \t", &save) : NULL;
	ctrs = policy ? strtok_r(NULL, " \t", &save) : NULL;
	if (!name || !policy) {
		bf_log_at(BF_LOG_ERROR, p->file, lineno, 0,
			  "bad chain line: expected \":CHAIN POLICY "
			  "[packets:bytes]\"");
		return -EINVAL;
	}
	if (ctrs) {
		char tail;

		if (sscanf(ctrs, "[%llu:%llu]%c", &pk, &by, &tail) != 2 ||
		    strtok_r(NULL, " \t", &save)) {
			bf_log_at(BF_LOG_ERROR, p->file, lineno, 0,
				  "invalid policy counters for chain '%s'",
				  name);
			return -EINVAL;
		}
	}
	c = bf_ruleset_chain(p->rs, family, name);
	if (c && c->builtin) {
		if (strcmp(policy, "ACCEPT") && strcmp(policy, "DROP")) {
			bf_log_at(BF_LOG_ERROR, p->file, lineno, 0,
				  "Bad policy name `%s' for built-in chain "
				  "'%s'",
				  policy, name);
			return -EINVAL;
		}
		c->policy = strcmp(policy, "ACCEPT") ? BF_VERDICT_DROP :
						       BF_VERDICT_ACCEPT;
		c->policy_counter.packets = pk;
		c->policy_counter.bytes = by;
		c->line = lineno;
		return 0;
	}
	if (strcmp(policy, "-") != 0) {
		bf_log_at(BF_LOG_ERROR, p->file, lineno, 0,
			  "Can't set policy `%s' on `%s': not a built-in "
			  "chain of the filter table",
			  policy, name);
		return -EINVAL;
	}
	if (c) {
		bf_log_at(BF_LOG_ERROR, p->file, lineno, 0,
			  "chain '%s' already exists", name);
		return -EEXIST;
	}
	r = ipt_check_chain_name(p->file, lineno, name);
	if (r)
		return r;
	return bf_ruleset_add_chain(p->rs, family, name, lineno, NULL);
}

static int rule_line(struct parser *p, enum bf_family family, char *line,
		     int lineno, bool restore)
{
	struct ipt_rule_ctx *ctx;
	struct ipt_argv *av;
	struct bf_counter ctr = { 0 };
	bool has_ctr = false;
	const char *err = NULL;
	int r;

	/* tokenize_rule_counters(): "[p:b] -A ..." */
	if (restore && line[0] == '[') {
		char *end = strchr(line, ']');
		unsigned long long pk, by;

		if (!end || sscanf(line, "[%llu:%llu]", &pk, &by) != 2) {
			bf_log_at(BF_LOG_ERROR, p->file, lineno, 0,
				  "bad counters: expected [packets:bytes]");
			return -EINVAL;
		}
		ctr.packets = pk;
		ctr.bytes = by;
		has_ctr = true;
		line = end + 1;
	}
	ctx = malloc(sizeof(*ctx));
	av = malloc(sizeof(*av));
	if (!ctx || !av) {
		free(ctx);
		free(av);
		return -ENOMEM;
	}
	ctx_init(ctx, p->file, lineno, family, restore);
	ctx->sets = p->orig;
	r = ipt_split_restore(line, av, &err);
	if (r) {
		bf_log_at(BF_LOG_ERROR, p->file, lineno, 0, "%s", err);
		goto out;
	}
	r = ipt_parse_args(ctx, av->argc, av->argv);
	if (r || ctx->skip)
		goto out;
	if (has_ctr && !ctx->has_counters) {
		ctx->has_counters = true;
		ctx->counters = ctr;
	}
	r = apply(p, ctx);
out:
	ipt_argv_free(av);
	free(av);
	free(ctx);
	return r;
}

static char *trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
		       s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s;
}

/* Hand the scratch ruleset's chains to the caller's ruleset. */
static int commit(struct bf_ruleset *rs, struct parser *p)
{
	const char *file = bf_ruleset_intern_file(rs, p->file ?: "<input>");

	if (!file)
		return -ENOMEM;
	for (size_t i = 0; i < p->rs->n_chains; i++) {
		struct bf_chain *c = &p->rs->chains[i];

		for (size_t j = 0; j < c->n_rules; j++) {
			if (c->rules[j].file == new_rule_file)
				c->rules[j].file = file;
		}
	}
	for (size_t i = 0; i < rs->n_chains; i++)
		chain_release(&rs->chains[i]);
	free(rs->chains);
	rs->chains = p->rs->chains;
	rs->n_chains = p->rs->n_chains;
	rs->cap_chains = p->rs->cap_chains;
	rs->families = p->rs->families | p->families;
	p->rs->chains = NULL;
	p->rs->n_chains = p->rs->cap_chains = 0;
	return 0;
}

/* 0 and a line, 1 for a line holding a NUL byte, -1 at the end. */
static int getline_str(char **buf, size_t *cap, FILE *in)
{
	ssize_t n = getline(buf, cap, in);

	if (n < 0)
		return -1;
	return strlen(*buf) != (size_t)n;
}

/* Whether the raw line belongs to a table other than filter: inside one,
 * or its "*TABLE" line. */
static bool other_table_line(const char *s, bool in_other)
{
	if (in_other)
		return true;
	s += strspn(s, " \t");
	if (*s != '*')
		return false;
	s++;
	return strncmp(s, "filter", 6) != 0 || !strchr(" \t\r\n", s[6]);
}

/* other: NULL to refuse tables other than filter, else the stream that
 * collects them (see bf_ipt_parse_restore_other()); *n_other counts their
 * lines. */
static int parse_restore(struct bf_ruleset *rs, FILE *in, const char *filename,
			 enum bf_family family, FILE *other, size_t *n_other)
{
	struct parser p = { .file = filename ?: "<input>" };
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0;
	int lineno = 0, table_line = 0;
	bool in_table = false, skip_table = false;
	int r = 0;

	if (!rs || !in || (unsigned)family >= BF_FAMILY_COUNT)
		return -EINVAL;
	p.orig = rs;
	p.rs = ruleset_clone(rs);
	if (!p.rs)
		return -ENOMEM;
	while ((r = getline_str(&buf, &cap, in)) >= 0) {
		char *line;
		size_t len = strlen(buf);

		lineno++;
		/* Line N of the collected text is line N of the input: the
		 * kernel tool's "line N failed" then points into the file. */
		if (other && !r && other_table_line(buf, skip_table)) {
			fputs(buf, other);
			if (!len || buf[len - 1] != '\n')
				fputc('\n', other);
			(*n_other)++;
		} else if (other) {
			fputc('\n', other);
		}
		if (r) {
			bf_log_at(BF_LOG_ERROR, p.file, lineno, 0,
				  "NUL byte in line");
			p.errors++;
			continue;
		}
		line = trim(buf);
		if (!*line || *line == '#')
			continue;
		if (strcmp(line, "COMMIT") == 0) {
			if (!in_table) {
				bf_log_at(BF_LOG_ERROR, p.file, lineno, 0,
					  "COMMIT outside of a table");
				p.errors++;
			}
			in_table = skip_table = false;
			continue;
		}
		if (*line == '*') {
			if (in_table) {
				bf_log_at(BF_LOG_ERROR, p.file, lineno, 0,
					  "table started before the COMMIT of "
					  "the table of line %d",
					  table_line);
				p.errors++;
			}
			in_table = true;
			table_line = lineno;
			skip_table = strcmp(line + 1, "filter") != 0;
			if (skip_table && other)
				continue;
			if (skip_table) {
				bf_log_at(BF_LOG_ERROR, p.file, lineno, 0,
					  "table '%s' is not supported "
					  "(only filter)",
					  line + 1);
				p.errors++;
				continue;
			}
			reset_family(p.rs, family);
			p.families |= 1u << family;
			continue;
		}
		if (skip_table)
			continue;
		if (!in_table) {
			bf_log_at(BF_LOG_ERROR, p.file, lineno, 0,
				  "line outside of a table (expected "
				  "\"*filter\")");
			p.errors++;
			continue;
		}
		if (*line == ':')
			r = chain_line(&p, family, line, lineno);
		else
			r = rule_line(&p, family, line, lineno, true);
		if (r == -ENOMEM)
			goto out;
		if (r)
			p.errors++;
	}
	if (in_table) {
		bf_log_at(BF_LOG_ERROR, p.file, lineno, 0,
			  "missing COMMIT for the table of line %d",
			  table_line);
		p.errors++;
	}
	if (p.errors) {
		r = -EINVAL;
		goto out;
	}
	r = commit(rs, &p);
out:
	bf_ruleset_free(&p.rs);
	return r;
}

int bf_ipt_parse_restore(struct bf_ruleset *rs, FILE *in, const char *filename,
			 enum bf_family family)
{
	return parse_restore(rs, in, filename, family, NULL, NULL);
}

int bf_ipt_parse_restore_other(struct bf_ruleset *rs, FILE *in,
			       const char *filename, enum bf_family family,
			       char **other)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0, n_other = 0;
	FILE *f;
	int r;

	if (!other)
		return -EINVAL;
	*other = NULL;
	f = open_memstream(&text, &size);
	if (!f)
		return -errno;
	r = parse_restore(rs, in, filename, family, f, &n_other);
	if (fclose(f) && !r)
		r = -ENOMEM;
	if (!r && n_other)
		*other = TAKE_PTR(text);
	return r;
}

int bf_ipt_parse_restore_str(struct bf_ruleset *rs, const char *text,
			     const char *filename, enum bf_family family)
{
	_cleanup_fclose_ FILE *f = NULL;

	if (!text)
		return -EINVAL;
	/* fmemopen() cannot open an empty buffer: an empty text is one
	 * empty line. */
	if (!*text)
		text = "\n";
	f = fmemopen((void *)text, strlen(text), "r");
	if (!f)
		return -errno;
	return bf_ipt_parse_restore(rs, f, filename, family);
}

/* "iptables ..." / "ip6tables ..." (also /sbin/..., -nft, -legacy). */
static int command_family(const char *cmd, enum bf_family *family)
{
	const char *base = strrchr(cmd, '/');
	static const char *const v4[] = { "iptables", "iptables-nft",
					  "iptables-legacy" };
	static const char *const v6[] = { "ip6tables", "ip6tables-nft",
					  "ip6tables-legacy" };

	base = base ? base + 1 : cmd;
	for (size_t i = 0; i < ARRAY_SIZE(v4); i++) {
		if (strcmp(base, v4[i]) == 0) {
			*family = BF_FAMILY_INET4;
			return 0;
		}
		if (strcmp(base, v6[i]) == 0) {
			*family = BF_FAMILY_INET6;
			return 0;
		}
	}
	return -EINVAL;
}

int bf_ipt_parse_commands(struct bf_ruleset *rs, FILE *in, const char *filename)
{
	struct parser p = { .file = filename ?: "<input>" };
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *joined = NULL;
	struct ipt_argv *av = NULL;
	struct ipt_rule_ctx *ctx = NULL;
	size_t cap = 0, jlen = 0;
	int lineno = 0, first = 0;
	int r = 0;

	if (!rs || !in)
		return -EINVAL;
	p.orig = rs;
	p.rs = ruleset_clone(rs);
	av = malloc(sizeof(*av));
	ctx = malloc(sizeof(*ctx));
	if (!p.rs || !av || !ctx) {
		r = -ENOMEM;
		goto out;
	}
	av->argc = 0;
	while ((r = getline_str(&buf, &cap, in)) >= 0) {
		const char *err = NULL;
		enum bf_family family;
		char *line;

		lineno++;
		if (r) {
			bf_log_at(BF_LOG_ERROR, p.file, lineno, 0,
				  "NUL byte in line");
			p.errors++;
			continue;
		}
		line = trim(buf);
		/* A trailing backslash continues the command on the next
		 * line, as in a shell script; errors name its first line. */
		if (!jlen)
			first = lineno;
		if (jlen || (*line && line[strlen(line) - 1] == '\\')) {
			size_t l = strlen(line);
			bool more = l && line[l - 1] == '\\';
			char *n = realloc(joined, jlen + l + 2);

			if (!n) {
				r = -ENOMEM;
				goto out;
			}
			joined = n;
			memcpy(joined + jlen, line, l - more);
			jlen += l - more;
			joined[jlen++] = ' ';
			joined[jlen] = '\0';
			if (more)
				continue;
			line = joined;
			jlen = 0;
		}
		if (!*line || *line == '#')
			continue;
		r = ipt_split_shell(line, av, &err);
		if (r) {
			bf_log_at(BF_LOG_ERROR, p.file, first, 0, "%s", err);
			p.errors++;
			ipt_argv_free(av);
			continue;
		}
		if (!av->argc) {
			ipt_argv_free(av);
			continue;
		}
		if (command_family(av->argv[0], &family)) {
			bf_log_at(BF_LOG_ERROR, p.file, first, 0,
				  "'%s' is not an iptables or ip6tables "
				  "command",
				  av->argv[0]);
			p.errors++;
			ipt_argv_free(av);
			continue;
		}
		ctx_init(ctx, p.file, first, family, false);
		ctx->sets = p.orig;
		r = ipt_parse_args(ctx, av->argc - 1, av->argv + 1);
		if (!r)
			r = apply(&p, ctx);
		if (!r)
			p.families |= 1u << family;
		ipt_argv_free(av);
		if (r == -ENOMEM)
			goto out;
		if (r)
			p.errors++;
	}
	if (jlen) {
		bf_log_at(BF_LOG_ERROR, p.file, first, 0,
			  "command continued (\\) past the end of the file");
		p.errors++;
	}
	if (p.errors) {
		r = -EINVAL;
		goto out;
	}
	r = commit(rs, &p);
out:
	free(av);
	free(ctx);
	bf_ruleset_free(&p.rs);
	return r;
}
