// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nftables project's own test vectors (tests/py/FAMILY/NAME.t, in the
 * shared corpus at nft-t/{any,ip,ip6,inet}): every `ok` rule must parse
 * and print back as its expected listing (the third field when present,
 * else the rule itself), every `fail` rule must be rejected with an error
 * that carries file:line:column. Rules whose expressions we do not
 * support are rejected by the parser with "unsupported: ..." and counted
 * (and listed with -v / BFT_NFT_VERBOSE=1) as skipped, never as passes.
 *
 * Comparison: as nft-test.py compares listings, whitespace is normalized
 * and the elements of a { set } compare as a set (order-free).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Truncated test-harness strings only shorten a message or a skipped
 * line; long corpus lines do not occur. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include "bftest.h"
#include "bpfilter/bpfilter.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"

struct logcap {
	char last[1024];
	int n;
};

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	struct logcap *c = data;

	if (level != BF_LOG_ERROR)
		return;
	if (!c->n++)
		snprintf(c->last, sizeof(c->last), "%s", msg);
}

struct counts {
	int ok_pass, ok_fail, ok_unsup;
	int fail_pass, fail_fail, fail_unsup;
};

static bool verbose(void)
{
	const char *v = getenv("BFT_NFT_VERBOSE");
	return v && *v == '1';
}

/* Normalize a listing: single spaces, no space inside braces or around
 * commas, and the elements of every brace group sorted. */
static char *norm(const char *s);

static char *norm_range(const char *s, size_t n)
{
	char *out = calloc(1, n * 2 + 3);
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '{') {
			size_t depth = 1, j = i + 1;
			while (j < n && depth) {
				if (s[j] == '{')
					depth++;
				else if (s[j] == '}')
					depth--;
				j++;
			}
			/* elements of s[i+1 .. j-1) split at top-level ',' */
			char **el = NULL;
			size_t nel = 0, start = i + 1, d = 0;
			for (size_t k = i + 1; k < j; k++) {
				if (s[k] == '{')
					d++;
				if (s[k] == '}') {
					if (d == 0 || k == j - 1) {
						el = realloc(el,
							     (nel +
							      1) * sizeof(*el));
						el[nel++] = norm_range(
							s + start, k - start);
						break;
					}
					d--;
				}
				if (s[k] == ',' && d == 0) {
					el = realloc(el,
						     (nel + 1) * sizeof(*el));
					el[nel++] = norm_range(s + start,
							       k - start);
					start = k + 1;
				}
			}
			for (size_t a = 0; a < nel; a++)
				for (size_t b = a + 1; b < nel; b++)
					if (strcmp(el[a], el[b]) > 0) {
						char *t = el[a];
						el[a] = el[b];
						el[b] = t;
					}
			size_t need = 2;
			for (size_t a = 0; a < nel; a++)
				need += strlen(el[a]) + 1;
			out = realloc(out, o + need + (n - j) * 2 + 4);
			if (space && o && out[o - 1] != ' ')
				out[o++] = ' ';
			out[o++] = '{';
			for (size_t a = 0; a < nel; a++) {
				if (a)
					out[o++] = ',';
				memcpy(out + o, el[a], strlen(el[a]));
				o += strlen(el[a]);
				free(el[a]);
			}
			free(el);
			out[o++] = '}';
			i = j - 1;
			space = false;
			continue;
		}
		if (isspace((unsigned char)c)) {
			space = true;
			continue;
		}
		if (c == ':') {
			/* "25 : accept" and "25:accept" list the same */
			while (o && out[o - 1] == ' ')
				o--;
			out[o++] = c;
			while (i + 1 < n && isspace((unsigned char)s[i + 1]))
				i++;
			space = false;
			continue;
		}
		if (space && o && out[o - 1] != ' ')
			out[o++] = ' ';
		space = false;
		out[o++] = c;
	}
	out[o] = '\0';
	/* trim */
	while (o && out[o - 1] == ' ')
		out[--o] = '\0';
	char *start = out;
	while (*start == ' ')
		start++;
	char *r = strdup(start);
	free(out);
	return r;
}

static char *norm(const char *s)
{
	return norm_range(s, strlen(s));
}

struct tfile {
	char fam[16], table[64], chain[64];
	char chains[16][2][256]; /* name, spec */
	size_t n_chains;
	char sets[64][512]; /* set declarations that were accepted */
	char set_names[64][64];
	char set_elems[64][2048];
	size_t n_sets;
	char unsup_sets[64][64]; /* declarations we do not support */
	size_t n_unsup;
};

/* Does the line use a set whose declaration is unsupported? */
static bool uses_unsup_set(const struct tfile *f, const char *line)
{
	for (size_t i = 0; i < f->n_unsup; i++) {
		char ref[80];
		size_t l = strlen(f->unsup_sets[i]);
		snprintf(ref, sizeof(ref), "@%s", f->unsup_sets[i]);
		const char *p = strstr(line, ref);
		if (p && !isalnum((unsigned char)p[l + 1]) && p[l + 1] != '_')
			return true;
		if (line[0] == '?' && !strncmp(line + 1, f->unsup_sets[i], l) &&
		    line[l + 1] == ' ')
			return true;
	}
	return false;
}

static const char *chain_spec(struct tfile *f, const char *name)
{
	for (size_t i = 0; i < f->n_chains; i++)
		if (!strcmp(f->chains[i][0], name))
			return f->chains[i][1];
	return NULL;
}

/* Text of a ruleset with the file's sets, the target chain and `rule`. */
static char *build(struct tfile *f, const char *rule, const char *extra_set)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *spec = chain_spec(f, f->chain);

	fprintf(m, "table %s %s {\n", f->fam, f->table);
	for (size_t i = 0; i < f->n_sets; i++) {
		fprintf(m, "%s", f->sets[i]);
		if (f->set_elems[i][0])
			fprintf(m, "\t\telements = { %s }\n", f->set_elems[i]);
		fprintf(m, "\t}\n");
	}
	if (extra_set)
		fprintf(m, "%s", extra_set);
	fprintf(m, "\tchain %s {\n", f->chain);
	if (spec)
		fprintf(m, "\t\t%s;\n", spec);
	fprintf(m, "\t}\n}\n");
	if (rule)
		fprintf(m, "add rule %s %s %s %s\n", f->fam, f->table, f->chain,
			rule);
	fclose(m);
	return buf;
}

static bool has_position(const char *msg)
{
	/* "file:LINE:COL: ..." */
	const char *p = strchr(msg, ':');
	if (!p || !isdigit((unsigned char)p[1]))
		return false;
	p++;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p != ':' || !isdigit((unsigned char)p[1]))
		return false;
	return true;
}

/* Try the text; 0 ok, -EOPNOTSUPP, -EINVAL. *printed: last rule. */
/* Which ok rules lower alone (nft -> IR, then bf_nft_check() for an nf
 * slot), and why the others do not: a reported number, not asserted
 * (the per-rule verifier load is /work/notes/s6-H7-perrule.py's). */
struct reason {
	char text[96];
	int n;
};
static struct reason reasons[256];
static size_t n_reasons;
static int n_lowered, n_tried;

static void note_reason(const char *msg)
{
	char t[96];
	const char *u = strstr(msg, "unsupported: ");
	size_t o = 0;

	/* drop "file:line:col: " and digits (values differ per line) */
	if (u)
		msg = u + strlen("unsupported: ");
	else if (strrchr(msg, ':') && strstr(msg, ": "))
		msg = strstr(msg, ": ") + 2;
	for (; *msg && o + 1 < sizeof(t); msg++)
		if (!isdigit((unsigned char)*msg) || !o || t[o - 1] != 'N')
			t[o++] = isdigit((unsigned char)*msg) ? 'N' : *msg;
	t[o] = '\0';
	if (!o)
		snprintf(t, sizeof(t), "(no message: kernel-only rule)");
	for (size_t i = 0; i < n_reasons; i++)
		if (!strcmp(reasons[i].text, t)) {
			reasons[i].n++;
			return;
		}
	if (n_reasons < ARRAY_SIZE(reasons)) {
		snprintf(reasons[n_reasons].text, sizeof(reasons[0].text), "%s",
			 t);
		reasons[n_reasons++].n = 1;
	}
}

static void try_lower(const struct bf_nft *nft)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct logcap cap = { 0 };
	int r;

	assert_non_null(rs);
	n_tried++;
	bf_log_set(capture, &cap);
	r = bf_nft_lower(nft, rs);
	if (!r)
		r = bf_nft_check(rs, BF_SLOT_NF, NULL);
	bf_log_set(NULL, NULL);
	bf_ruleset_free(&rs);
	if (!r)
		n_lowered++;
	else
		note_reason(cap.n ? cap.last : "(no message)");
}

static int cmp_reason(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	return y->n - x->n ?: strcmp(x->text, y->text);
}

static int try_parse(const char *text, const char *name, struct logcap *cap,
		     char **printed)
{
	struct bf_nft *nft = NULL;
	int r;

	memset(cap, 0, sizeof(*cap));
	bf_log_set(capture, cap);
	r = bf_nft_parse_str(text, name, &nft);
	bf_log_set(NULL, NULL);
	if (r)
		return r;
	/* A rule of a chain for the kernel's nftables (type nat, or type
	 * filter at prerouting: kernpart.c) that the parser does not model
	 * is kept as its text: not modelled, so unsupported here too. */
	for (size_t ti = 0; ti < nft->n_tables; ti++)
		for (size_t i = 0; i < nft->tables[ti].n_chains; i++) {
			const struct bf_nft_chain *c =
				&nft->tables[ti].chains[i];
			for (size_t k = 0; k < c->n_rules; k++)
				for (size_t j = 0; j < c->rules[k].n_stmts; j++)
					if (c->rules[k].stmts[j].kind ==
					    BF_NFT_S_KERNEL)
						r = -EOPNOTSUPP;
		}
	if (r) {
		bf_nft_free(&nft);
		return r;
	}
	if (printed) {
		size_t len = 0;
		try_lower(nft);
		FILE *m = open_memstream(printed, &len);
		struct bf_nft_table *t = &nft->tables[0];
		for (size_t i = 0; i < t->n_chains; i++) {
			struct bf_nft_chain *c = &t->chains[i];
			if (c->n_rules)
				bf_nft_print_rule(m, &c->rules[c->n_rules - 1]);
		}
		fclose(m);
	}
	bf_nft_free(&nft);
	return 0;
}

static void split3(char *line, char **f1, char **f2, char **f3)
{
	/* the rule itself may contain ';' only in strings: split from the
	 * right at ";ok" / ";fail" */
	char *p;

	*f3 = NULL;
	*f2 = NULL;
	*f1 = line;
	p = strstr(line, ";ok;");
	if (p) {
		*p = '\0';
		*f2 = "ok";
		*f3 = p + 4;
		return;
	}
	size_t n = strlen(line);
	if (n > 3 && !strcmp(line + n - 3, ";ok")) {
		line[n - 3] = '\0';
		*f2 = "ok";
		return;
	}
	if (n > 5 && !strcmp(line + n - 5, ";fail")) {
		line[n - 5] = '\0';
		*f2 = "fail";
		return;
	}
}

static void run_file(const char *path, struct counts *tot, int *mismatch)
{
	_cleanup_fclose_ FILE *in = fopen(path, "r");
	struct tfile *f = calloc(1, sizeof(*f));
	struct counts c = { 0 };
	char line[4096];
	int lineno = 0;
	struct logcap cap;

	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		char *f1, *f2, *f3;
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#' || line[0] == '-')
			continue;
		if (line[0] == ':') {
			char *semi = strchr(line, ';');
			if (semi && f->n_chains < 16) {
				*semi = '\0';
				snprintf(f->chains[f->n_chains][0], 256, "%s",
					 line + 1);
				snprintf(f->chains[f->n_chains][1], 256, "%s",
					 semi + 1);
				f->n_chains++;
			}
			continue;
		}
		if (line[0] == '*') {
			char fam[16], table[64], chains[256];
			if (f->fam[0])
				continue;
			if (sscanf(line + 1, "%15[^;];%63[^;];%255s", fam,
				   table, chains) != 3)
				continue;
			if (strcmp(fam, "ip") && strcmp(fam, "ip6") &&
			    strcmp(fam, "inet"))
				continue;
			snprintf(f->fam, sizeof(f->fam), "%s", fam);
			snprintf(f->table, sizeof(f->table), "%s", table);
			chains[strcspn(chains, ",")] = '\0';
			snprintf(f->chain, sizeof(f->chain), "%s", chains);
			continue;
		}
		if (!f->fam[0])
			continue;
		split3(line, &f1, &f2, &f3);
		if (!f2)
			continue;
		bool ok = !strcmp(f2, "ok");
		if (uses_unsup_set(f, f1)) {
			if (ok)
				c.ok_unsup++;
			else
				c.fail_unsup++;
			continue;
		}
		char name[600];
		snprintf(name, sizeof(name), "%s:%d", path, lineno);

		if (line[0] == '!' || line[0] == '?' || line[0] == '%') {
			char decl[512] = "", setname[64] = "", *rest;
			if (line[0] == '%') {
				/* stateful objects: unsupported */
				if (ok)
					c.ok_unsup++;
				else
					c.fail_unsup++;
				continue;
			}
			if (sscanf(f1 + 1, "%63s", setname) != 1)
				continue;
			rest = f1 + 1 + strlen(setname);
			if (line[0] == '!') {
				char type[400], flags[100] = "";
				char *fl = strstr(rest, " flags ");
				if (fl) {
					snprintf(flags, sizeof(flags), "%s",
						 fl + 7);
					*fl = '\0';
				}
				char *ty = strstr(rest, "type ");
				if (!ty)
					continue;
				snprintf(type, sizeof(type), "%s", ty + 5);
				snprintf(decl, sizeof(decl),
					 "\t%s %s {\n\t\ttype %s\n%s%s%s",
					 strchr(type, ':') ? "map" : "set",
					 setname, type,
					 flags[0] ? "\t\tflags " : "", flags,
					 flags[0] ? "\n" : "");
				char extra[600];
				snprintf(extra, sizeof(extra), "%s\t}\n", decl);
				char *text = build(f, NULL, extra);
				int r = try_parse(text, name, &cap, NULL);
				free(text);
				if (ok && !r && f->n_sets < 64) {
					snprintf(f->sets[f->n_sets], 512, "%s",
						 decl);
					snprintf(f->set_names[f->n_sets], 64,
						 "%s", setname);
					f->set_elems[f->n_sets][0] = '\0';
					f->n_sets++;
				}
				goto judge;
			} else {
				size_t i;
				for (i = 0; i < f->n_sets; i++)
					if (!strcmp(f->set_names[i], setname))
						break;
				char saved[2048];
				int r;
				if (i == f->n_sets) {
					/* unknown set: must fail */
					r = -EINVAL;
					snprintf(
						cap.last, sizeof(cap.last),
						"%s:1:1: no such set (test harness)",
						name);
					cap.n = 1;
					goto judge_r;
				}
				snprintf(saved, sizeof(saved), "%s",
					 f->set_elems[i]);
				if (saved[0])
					snprintf(f->set_elems[i], 2048,
						 "%s, %s", saved, rest);
				else
					snprintf(f->set_elems[i], 2048, "%s",
						 rest);
				char *text = build(f, NULL, NULL);
				r = try_parse(text, name, &cap, NULL);
				free(text);
				if (!ok || r)
					snprintf(f->set_elems[i], 2048, "%s",
						 saved);
judge_r:
				if (ok) {
					if (!r)
						c.ok_pass++;
					else if (r == -EOPNOTSUPP)
						c.ok_unsup++;
					else {
						c.ok_fail++;
						(*mismatch)++;
						print_message(
							"FAIL %s: ok line rejected: %s\n      %s\n",
							name, f1, cap.last);
					}
				} else {
					if (r == -EOPNOTSUPP)
						c.fail_unsup++;
					else if (r && has_position(cap.last))
						c.fail_pass++;
					else {
						c.fail_fail++;
						(*mismatch)++;
						print_message(
							"FAIL %s: fail line %s: %s\n",
							name,
							r ? "rejected without position" :
							    "accepted",
							f1);
					}
				}
				continue;
			}
judge:;
			int r2 = 0;
			/* re-run the judgement on the declaration result */
			{
				char extra[600];
				snprintf(extra, sizeof(extra), "%s\t}\n", decl);
				char *text = build(f, NULL, ok ? NULL : extra);
				if (!ok) {
					r2 = try_parse(text, name, &cap, NULL);
				} else {
					/* already added above if it parsed */
					bool added =
						f->n_sets &&
						!strcmp(f->set_names[f->n_sets -
								     1],
							setname);
					r2 = added ? 0 : -EINVAL;
					if (!added) {
						char *t2 =
							build(f, NULL, extra);
						r2 = try_parse(t2, name, &cap,
							       NULL);
						free(t2);
					}
				}
				free(text);
			}
			if (ok) {
				if (!r2)
					c.ok_pass++;
				else if (r2 == -EOPNOTSUPP) {
					c.ok_unsup++;
					if (f->n_unsup < 64)
						snprintf(f->unsup_sets
								 [f->n_unsup++],
							 64, "%s", setname);
				} else {
					c.ok_fail++;
					(*mismatch)++;
					print_message(
						"FAIL %s: set declaration rejected: %s\n      %s\n",
						name, f1, cap.last);
				}
			} else {
				if (r2 == -EOPNOTSUPP)
					c.fail_unsup++;
				else if (r2 && has_position(cap.last))
					c.fail_pass++;
				else {
					c.fail_fail++;
					(*mismatch)++;
					print_message(
						"FAIL %s: bad set declaration accepted: %s\n",
						name, f1);
				}
			}
			continue;
		}

		/* a rule */
		char *printed = NULL;
		char *text = build(f, f1, NULL);
		int r = try_parse(text, name, &cap, ok ? &printed : NULL);
		free(text);
		if (ok) {
			if (r == -EOPNOTSUPP) {
				c.ok_unsup++;
				note_reason(cap.last);
				if (verbose())
					print_message("SKIP %s: %s\n      %s\n",
						      name, f1, cap.last);
			} else if (r) {
				c.ok_fail++;
				(*mismatch)++;
				print_message(
					"FAIL %s: ok rule rejected: %s\n      %s\n",
					name, f1, cap.last);
			} else {
				char *want = norm(f3 ? f3 : f1);
				char *got = norm(printed ? printed : "");
				if (!strcmp(want, got)) {
					c.ok_pass++;
				} else {
					c.ok_fail++;
					(*mismatch)++;
					print_message(
						"FAIL %s: %s\n      want: %s\n      got:  %s\n",
						name, f1, want, got);
				}
				free(want);
				free(got);
			}
		} else {
			if (r == -EOPNOTSUPP) {
				c.fail_unsup++;
			} else if (r && has_position(cap.last)) {
				c.fail_pass++;
				if (verbose())
					print_message(
						"REJECTED %s: %s\n      %s\n",
						name, f1, cap.last);
			} else {
				c.fail_fail++;
				(*mismatch)++;
				print_message("FAIL %s: fail rule %s: %s %s\n",
					      name,
					      r ? "rejected without position:" :
						  "accepted",
					      f1, r ? cap.last : "");
			}
		}
		free(printed);
	}
	print_message(
		"%-40s ok %3d pass %3d fail %3d unsupported | fail-lines %3d rejected %3d accepted %3d unsupported\n",
		path + (strlen(path) > 40 ? strlen(path) - 40 : 0), c.ok_pass,
		c.ok_fail, c.ok_unsup, c.fail_pass, c.fail_fail, c.fail_unsup);
	tot->ok_pass += c.ok_pass;
	tot->ok_fail += c.ok_fail;
	tot->ok_unsup += c.ok_unsup;
	tot->fail_pass += c.fail_pass;
	tot->fail_fail += c.fail_fail;
	tot->fail_unsup += c.fail_unsup;
	free(f);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus(void **state)
{
	static const char *const dirs[] = { "any", "ip", "ip6", "inet" };
	const char *corpus = bft_corpus_dir();
	struct counts tot = { 0 };
	int mismatch = 0;

	(void)state;
	if (!corpus) {
		print_message("SKIP: corpus not found\n");
		skip();
	}
	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		char dir[1024];
		char *names[256];
		size_t n = 0;
		snprintf(dir, sizeof(dir), "%s/nft-t/%s", corpus, dirs[d]);
		DIR *dh = opendir(dir);
		assert_non_null(dh);
		struct dirent *de;
		while ((de = readdir(dh)) && n < 256) {
			size_t l = strlen(de->d_name);
			if (l > 2 && !strcmp(de->d_name + l - 2, ".t"))
				names[n++] = strdup(de->d_name);
		}
		closedir(dh);
		qsort(names, n, sizeof(*names), cmpstr);
		for (size_t i = 0; i < n; i++) {
			char path[1300];
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			run_file(path, &tot, &mismatch);
			free(names[i]);
		}
	}
	print_message(
		"TOTAL ok lines: %d pass, %d fail, %d unsupported; fail lines: %d rejected, %d accepted/no position, %d unsupported\n",
		tot.ok_pass, tot.ok_fail, tot.ok_unsup, tot.fail_pass,
		tot.fail_fail, tot.fail_unsup);
	print_message(
		"ok rules that lower alone (nft -> IR, checked for nf): %d of %d parsed, %d ok lines in all\n",
		n_lowered, n_tried, tot.ok_pass + tot.ok_fail + tot.ok_unsup);
	qsort(reasons, n_reasons, sizeof(*reasons), cmp_reason);
	for (size_t i = 0; i < n_reasons && i < 30; i++)
		print_message("  %4d %s\n", reasons[i].n, reasons[i].text);
	assert_true(tot.ok_pass > 0);
	assert_int_equal(mismatch, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
