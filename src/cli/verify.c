// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter verify: prove, before switching, that bpfilter gives the
 * verdicts the kernel's own iptables gives for a ruleset. A thin shell over
 * the verify engine (include/bpfilter/verify.h): this file finds the
 * rulesets in its arguments (iptables-save files, iptables/ip6tables
 * command files, ufw directories), runs each, and prints the outcome, or
 * with --report one table over all of them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/verify.h"
#include "cli.h"

/* Exit statuses (documented in man/bpfilter.8). */
#define VERIFY_OK 0
#define VERIFY_MISMATCH 1
#define VERIFY_USAGE 2
#define VERIFY_REFUSED 3
#define VERIFY_FAILED 4

#define MAX_CASES 256
#define MAX_MODS 48

/* Refused rules counted by what refuses them ("limit", "-j REJECT"). */
struct mods {
	int n;
	struct {
		char what[40];
		size_t count;
	} v[MAX_MODS];
};

static void mods_add(struct mods *m, const char *what, size_t count)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].what, what))
			break;
	if (i == m->n) {
		if (m->n == MAX_MODS)
			return;
		snprintf(m->v[m->n++].what, sizeof(m->v[0].what), "%s", what);
	}
	m->v[i].count += count;
}

static void mods_print(FILE *f, const struct mods *m)
{
	int i;

	if (!m->n)
		fprintf(f, "-");
	for (i = 0; i < m->n; i++)
		fprintf(f, "%s%s %zu", i ? ", " : "", m->v[i].what,
			m->v[i].count);
}

struct vcase {
	char name[PATH_MAX + 16];
	enum bf_family family;
	size_t rules;
	int status; /* VERIFY_* */
	char why[512]; /* refusal or failure */
	struct mods mods;
	struct bf_verify_result res;
};

struct verify {
	struct bf_verify_opts opts;
	bool report;
	int force_family; /* -1: from the file */
	struct vcase cases[MAX_CASES];
	int n_cases;
	/* BF_VERIFY_AGAINST=FILE.nft: the bpfilter side of nft rulesets
	 * applies that file instead (the harness's own tests) */
	const char *against_nft;
};

struct unsup_ctx {
	struct vcase *c;
	bool print;
};

static void on_unsupported(const struct bf_rule *rule, const char *what,
			   void *data)
{
	struct unsup_ctx *u = data;

	mods_add(&u->c->mods, what, 1);
	if (u->print)
		printf("  %s:%d: refused: %s\n", rule->file ? rule->file : "?",
		       rule->line, what);
}

static size_t count_rules(const struct bf_ruleset *rs, enum bf_family fam)
{
	size_t c, n = 0;

	for (c = 0; rs && c < rs->n_chains; c++)
		if (rs->chains[c].family == fam)
			n += rs->chains[c].n_rules;
	return n;
}

/* "what" of a refusal message without IR (a parse error): the quoted
 * name in "match 'rt' is not supported", else the message. */
static void refusal_module(const char *msg, char *what, size_t size)
{
	const char *q = strchr(msg, '\'');
	const char *e = q ? strchr(q + 1, '\'') : NULL;
	const char *t = strstr(msg, "target '");

	if (q && e)
		snprintf(what, size, "%s%.*s", t && t + 7 == q ? "-j " : "",
			 (int)(e - q - 1), q + 1);
	else
		snprintf(what, size, "(parse error)");
}

static void refusal_modules(struct vcase *c, const char *msg)
{
	char what[64];

	refusal_module(msg, what, sizeof(what));
	mods_add(&c->mods, what, 1);
}

/* Each message of the front end's errors ("; "-separated) counts. */
static void parse_error_modules(struct vcase *c)
{
	_cleanup_free_ char *copy = strdup(c->res.parse_error);
	char *p = copy, *next;

	if (!copy || !*copy) {
		refusal_modules(c, c->res.refusal);
		return;
	}
	for (; p && *p; p = next) {
		next = strstr(p, "; ");
		if (next) {
			*next = '\0';
			next += 2;
		}
		refusal_modules(c, p);
	}
}

static void set_why(struct vcase *c, const char *msg)
{
	size_t l = strnlen(msg, sizeof(c->why) - 1);

	memmove(c->why, msg, l);
	c->why[l] = '\0';
}

/* Run one ruleset text; rs (optional) is its parsed form. */
static void run_one(struct verify *v, const char *name, const char *text,
		    enum bf_family fam, const struct bf_ruleset *rs)
{
	struct vcase *c;
	struct bf_ruleset *parsed = NULL;
	struct bf_verify_opts o = v->opts;
	struct unsup_ctx u;
	int r;

	if (v->n_cases >= MAX_CASES) {
		fprintf(stderr, "bpfilter: more than %d rulesets, %s skipped\n",
			MAX_CASES, name);
		return;
	}
	c = &v->cases[v->n_cases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->family = fam;
	if (!rs) {
		parsed = bf_ruleset_new();
		if (parsed &&
		    bf_ipt_parse_restore_str(parsed, text, name, fam) == 0)
			rs = parsed;
	}
	c->rules = count_rules(rs, fam);
	/* a command file's parse names rules by that file's lines; a save
	 * text's lines are the file's already (the engine parses it) */
	o.rs = parsed ? NULL : rs;
	if (!v->report)
		printf("== %s [%s]: %zu rules, bpfilter at %s\n", name,
		       bf_family_name(fam), c->rules,
		       bf_slot_kind_name(o.kind));
	r = bf_verify_run(text, name, fam, &o, &c->res);
	if (c->res.refused) {
		c->status = VERIFY_REFUSED;
		set_why(c, c->res.refusal);
		if (!v->report)
			printf("REFUSED %s [%s] by %s: %s\n", name,
			       bf_family_name(fam), c->res.refused_by,
			       c->res.refusal);
		u.c = c;
		u.print = !v->report;
		if (!rs)
			parse_error_modules(c);
		else if (!bf_verify_unsupported(rs, fam, o.kind, on_unsupported,
						&u))
			refusal_modules(c, c->res.refusal);
	} else if (c->res.failed || r) {
		c->status = VERIFY_FAILED;
		set_why(c, c->res.error[0] ? c->res.error : strerror(-r));
		if (!v->report)
			printf("FAILED %s [%s]: %s\n", name,
			       bf_family_name(fam), c->why);
	} else if (c->res.mismatches) {
		c->status = VERIFY_MISMATCH;
		if (!v->report)
			printf("MISMATCHES %s [%s]: %zu of %zu probes\n", name,
			       bf_family_name(fam), c->res.mismatches,
			       c->res.probes);
	} else if (!v->report) {
		printf("SAME %s [%s]: %zu probes, every verdict the same\n",
		       name, bf_family_name(fam), c->res.probes);
	}
	bf_ruleset_free(&parsed);
}

static bool starts_with_word(const char *l, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(l, w, n) && (l[n] == ' ' || l[n] == '\t');
}

/* A file of iptables / ip6tables command lines? (first command line) */
static bool is_command_file(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *eol = strchrnul(p, '\n');

		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p < eol && *p != '#')
			return starts_with_word(p, "iptables") ||
			       starts_with_word(p, "ip6tables");
		p = *eol ? eol + 1 : eol;
	}
	return false;
}

static void run_commands(struct verify *v, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	struct bf_ruleset *rs = bf_ruleset_new();
	int fam;

	if (!f || !rs || bf_ipt_parse_commands(rs, f, path)) {
		struct vcase *c = &v->cases[v->n_cases];

		if (v->n_cases < MAX_CASES) {
			v->n_cases++;
			memset(c, 0, sizeof(*c));
			snprintf(c->name, sizeof(c->name), "%s", path);
			c->status = VERIFY_REFUSED;
			snprintf(c->why, sizeof(c->why),
				 "%s (the command file does not parse: see "
				 "above)",
				 f ? "refused" : strerror(errno));
			mods_add(&c->mods, "(parse error)", 1);
			printf("REFUSED %s: does not parse\n", path);
		}
		bf_ruleset_free(&rs);
		return;
	}
	for (fam = 0; fam < BF_FAMILY_COUNT; fam++) {
		char *text = NULL;
		size_t len = 0;
		FILE *t;

		if (v->force_family >= 0 && fam != v->force_family)
			continue;
		if (!(rs->families & (1u << fam)) && !count_rules(rs, fam))
			continue;
		t = open_memstream(&text, &len);
		if (!t)
			break;
		bf_ipt_print(t, rs, (enum bf_family)fam, 0);
		fclose(t);
		run_one(v, path, text, (enum bf_family)fam, rs);
		free(text);
	}
	bf_ruleset_free(&rs);
}

/* Quiet parse: does the text parse for this family? */
static void log_nothing(enum bf_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)msg;
	(void)data;
}

static bool parses_as(const char *text, const char *name, enum bf_family fam)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	bf_log_fn fn;
	void *data;
	bool ok;

	if (!rs)
		return false;
	bf_log_get(&fn, &data);
	bf_log_set(log_nothing, NULL);
	ok = bf_ipt_parse_restore_str(rs, text, name, fam) == 0;
	bf_log_set(fn, data);
	bf_ruleset_free(&rs);
	return ok;
}

/* The nft front end's messages while an nft ruleset is lowered: kept
 * for the report, and passed on to the CLI's log unless --report. */
struct nft_msgs {
	char buf[1024];
	size_t len;
	bf_log_fn fn;
	void *data;
	bool quiet;
	struct mods *mods;
};

static void nft_collect(enum bf_log_level level, const char *msg, void *data)
{
	struct nft_msgs *m = data;
	const char *u = strstr(msg, "unsupported: ");
	int n;

	if (!m->quiet && m->fn)
		m->fn(level, msg, m->data);
	if (level > BF_LOG_WARN)
		return;
	n = snprintf(m->buf + m->len, sizeof(m->buf) - m->len, "%s%s",
		     m->len ? "; " : "", msg);
	if (n > 0 && (size_t)n < sizeof(m->buf) - m->len)
		m->len += (size_t)n;
	if (u) {
		/* "unsupported: limit in a rule for both..." counts as
		 * "nft: limit" */
		char what[40];
		size_t k = 0;

		u += strlen("unsupported: ");
		k = (size_t)snprintf(what, sizeof(what), "nft: ");
		/* "meta iiftype has no...", "chain pre: ...", "limit in a
		 * rule ...": up to the reason */
		while (*u && !strchr(",(:", *u) && strncmp(u, " has ", 5) &&
		       strncmp(u, " in ", 4) && k + 1 < sizeof(what))
			what[k++] = *u++;
		what[k] = '\0';
		mods_add(m->mods, what, 1);
	}
}

/* What the kernel's nftables loads (`nft -f` in the scratch namespaces):
 * the file without `flush ruleset` (the engine's own conntrack table
 * lives there), lines kept so that errors point at the file's. */
static char *nft_reference(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *p = text;

	if (!out)
		return NULL;
	while (*p) {
		const char *eol = strchrnul(p, '\n'), *q = p;

		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (strncmp(q, "flush ruleset", 13)) {
			memcpy(o, p, (size_t)(eol - p));
			o += eol - p;
		}
		if (*eol)
			*o++ = '\n';
		p = *eol ? eol + 1 : eol;
	}
	*o = '\0';
	return out;
}

/* An nft ruleset (FILE.nft): the reference is the kernel's nftables with
 * the file, the bpfilter side applies the file, and the probes come from
 * the IR it lowers to, once per family it has tables for (the method of
 * tests/diff/diff_nft.c). A file the nft front end refuses is a refused
 * case with its reasons. */
static void run_nft(struct verify *v, const char *path, const char *text,
		    int fam)
{
	/* the reasons are printed with the refusal (several slots: the
	 * one-IR lowering's refusal is no reason) */
	struct nft_msgs msgs = { .quiet = true };
	_cleanup_free_ char *ref = nft_reference(text);
	struct bf_verify_opts saved = v->opts;
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_nft *nft = NULL;
	struct mods mods = { 0 };
	bool multi = false;
	int r = -ENOMEM;

	msgs.mods = &mods;
	bf_log_get(&msgs.fn, &msgs.data);
	bf_log_set(nft_collect, &msgs);
	if (ref && rs) {
		r = bf_nft_parse_str(text, path, &nft);
		if (!r)
			r = bf_nft_lower(nft, rs);
	}
	if (r && nft) {
		/* several slots: the probes come from every slot's IR, the
		 * bpfilter side applies the file as it is */
		struct nft_msgs first = msgs;
		struct mods first_mods = mods;

		bf_ruleset_free(&rs);
		msgs.len = 0;
		msgs.buf[0] = '\0';
		mods.n = 0;
		if (!bf_verify_nft_probe_ir(nft, &rs)) {
			multi = true;
			r = 0;
		} else if (!msgs.len) {
			/* a one-IR file: bf_nft_lower()'s reasons; a file
			 * with several slots or a kernel part keeps the
			 * reasons of that path */
			msgs = first;
			mods = first_mods;
			msgs.mods = &mods;
		}
	}
	bf_log_set(msgs.fn, msgs.data);
	bf_nft_free(&nft);
	if (r) {
		struct vcase *c = &v->cases[v->n_cases];

		if (v->n_cases < MAX_CASES) {
			v->n_cases++;
			memset(c, 0, sizeof(*c));
			snprintf(c->name, sizeof(c->name), "%s", path);
			c->family = fam >= 0 ? (enum bf_family)fam :
					       BF_FAMILY_INET4;
			c->status = VERIFY_REFUSED;
			set_why(c, msgs.len ? msgs.buf : strerror(-r));
			c->mods = mods;
			if (!c->mods.n)
				mods_add(&c->mods, "(nft front end)", 1);
			if (!v->report)
				printf("REFUSED %s by the nft front end: %s\n",
				       path, c->why);
		}
		bf_ruleset_free(&rs);
		return;
	}
	v->opts.sides[0] = "nftables";
	v->opts.sides[1] = "bpfilter";
	v->opts.n_sides = 2;
	v->opts.side_text[0] = ref;
	v->opts.side_text[1] = v->against_nft ? v->against_nft : text;
	v->opts.no_eval = multi;
	if (multi && !v->report)
		printf("note: %s spreads over several slots (doc/front-nft.md, "
		       "\"Mapping to hooks\"): bpfilter applies the file, "
		       "the probes come from every slot's IR, no interpreter "
		       "line for mismatches\n",
		       path);
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		char *ipt = NULL;
		size_t len = 0;
		FILE *t;

		if ((fam >= 0 && f != fam) || !(rs->families & (1u << f)))
			continue;
		t = open_memstream(&ipt, &len);
		if (!t)
			break;
		bf_ipt_print(t, rs, (enum bf_family)f, 0);
		fclose(t);
		run_one(v, path, ipt, (enum bf_family)f, rs);
		free(ipt);
	}
	v->opts = saved;
	bf_ruleset_free(&rs);
}

/* An iptables-save file: IPv4 unless -6, "ip6" in its name, a name ending
 * in "6.rules" (ufw's before6.rules, after6.rules, user6.rules), or it
 * parses only as IPv6. */
static void run_save(struct verify *v, const char *path, const char *text,
		     int fam)
{
	_cleanup_free_ char *filter = bf_verify_filter_text(text);
	const char *base = strrchr(path, '/');

	if (!filter) {
		printf("note: %s has no filter table: nothing to verify\n",
		       path);
		return;
	}
	base = base ? base + 1 : path;
	if (fam < 0) {
		size_t bl = strlen(base);
		bool v6 = strstr(base, "ip6") ||
			  (bl >= 7 && !strcmp(base + bl - 7, "6.rules"));

		fam = v6 ? BF_FAMILY_INET6 : BF_FAMILY_INET4;
		if (!parses_as(filter, path, (enum bf_family)fam) &&
		    parses_as(filter, path, (enum bf_family) !fam))
			fam = !fam;
	}
	run_one(v, path, filter, (enum bf_family)fam, NULL);
}

static int run_path(struct verify *v, const char *path, int fam)
{
	_cleanup_free_ char *text = NULL;
	struct stat st;
	int f;

	if (stat(path, &st))
		return cli_error("cannot read %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		bool any = false;

		for (f = 0; f < BF_FAMILY_COUNT; f++) {
			_cleanup_free_ char *t = NULL;
			char name[PATH_MAX + 8];

			if ((fam >= 0 && f != fam) ||
			    !bf_verify_is_ufw_dir(path, (enum bf_family)f))
				continue;
			t = bf_verify_ufw_text(path, (enum bf_family)f);
			if (!t)
				continue;
			snprintf(name, sizeof(name), "%s (ufw)", path);
			run_one(v, name, t, (enum bf_family)f, NULL);
			any = true;
		}
		if (!any)
			return cli_error("%s: a directory, but not a ufw "
					 "configuration (before.rules...)",
					 path);
		return 0;
	}
	text = bf_verify_read_file(path);
	if (!text)
		return cli_error("cannot read %s: %s", path, strerror(errno));
	if (strlen(path) > 4 && !strcmp(path + strlen(path) - 4, ".nft")) {
		run_nft(v, path, text, fam);
	} else if (is_command_file(text)) {
		int saved = v->force_family;

		v->force_family = fam;
		run_commands(v, path);
		v->force_family = saved;
	} else {
		run_save(v, path, text, fam);
	}
	return 0;
}

static const char *status_name(int s)
{
	switch (s) {
	case VERIFY_OK:
		return "same";
	case VERIFY_MISMATCH:
		return "MISMATCH";
	case VERIFY_REFUSED:
		return "refused";
	default:
		return "failed";
	}
}

static void print_report(const struct verify *v)
{
	struct mods all = { 0 };
	size_t probes = 0, mism = 0;
	int warnings = 0;
	int i, j, whole = 0, refused = 0, failed = 0, nm = 0;

	printf("\n%-52s %-5s %6s %-9s %7s %10s %8s  %s\n", "RULESET", "FAM",
	       "RULES", "RESULT", "PROBES", "MISMATCHES", "WARNINGS",
	       "REFUSED RULES BY MODULE");
	for (i = 0; i < v->n_cases; i++) {
		const struct vcase *c = &v->cases[i];
		const char *base = strrchr(c->name, '/');

		base = base ? base + 1 : c->name;
		printf("%-52.52s %-5s %6zu %-9s %7zu %10zu %8d  ", base,
		       bf_family_name(c->family), c->rules,
		       status_name(c->status), c->res.probes, c->res.mismatches,
		       c->res.warnings);
		mods_print(stdout, &c->mods);
		printf("\n");
		if (c->status == VERIFY_REFUSED || c->status == VERIFY_FAILED)
			printf("%-52s   %s\n", "", c->why);
		whole += c->status == VERIFY_OK || c->status == VERIFY_MISMATCH;
		refused += c->status == VERIFY_REFUSED;
		failed += c->status == VERIFY_FAILED;
		nm += c->status == VERIFY_MISMATCH;
		probes += c->res.probes;
		warnings += c->res.warnings;
		mism += c->res.mismatches;
		for (j = 0; j < c->mods.n; j++)
			mods_add(&all, c->mods.v[j].what, c->mods.v[j].count);
	}
	printf("\ntotals: %d rulesets: %d accepted whole (%d with "
	       "mismatches), %d refused, %d failed to run; %zu probes, %zu "
	       "mismatches; %d warnings of bpfilter\nrefused rules by "
	       "module: ",
	       v->n_cases, whole, nm, refused, failed, probes, mism, warnings);
	mods_print(stdout, &all);
	printf("\n");
}

static int verify_status(const struct verify *v)
{
	int i, s = VERIFY_OK;

	for (i = 0; i < v->n_cases; i++)
		if (v->cases[i].status == VERIFY_MISMATCH)
			return VERIFY_MISMATCH;
	for (i = 0; i < v->n_cases; i++)
		if (v->cases[i].status == VERIFY_FAILED)
			s = VERIFY_FAILED;
		else if (v->cases[i].status == VERIFY_REFUSED && s == VERIFY_OK)
			s = VERIFY_REFUSED;
	return s;
}

/* Extra sides for the harness's own tests: BF_VERIFY_SIDES="legacy,nft". */
static int env_sides(struct verify *v, char *buf)
{
	char *save = NULL, *t;

	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (v->opts.n_sides == BF_VERIFY_MAX_SIDES ||
		    (strcmp(t, "legacy") && strcmp(t, "nft") &&
		     strcmp(t, "bpfilter")))
			return cli_error("BF_VERIFY_SIDES: up to %d of legacy, "
					 "nft, bpfilter",
					 BF_VERIFY_MAX_SIDES);
		v->opts.sides[v->opts.n_sides++] = t;
	}
	return v->opts.n_sides < 2 ?
		       cli_error("BF_VERIFY_SIDES: two sides at least") :
		       0;
}

int cli_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hook", required_argument, NULL, 'H' },
		{ "seed", required_argument, NULL, 'S' },
		{ "random", required_argument, NULL, 'R' },
		{ "max-print", required_argument, NULL, 'P' },
		{ "explain", required_argument, NULL, 'E' },
		{ "report", no_argument, NULL, 'r' },
		{ "dump", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_free_ struct verify *v = calloc(1, sizeof(*v));
	_cleanup_free_ char *sides = NULL, *against = NULL;
	const char *files[2] = { NULL, NULL };
	int c, kind = BF_SLOT_NF, r = 0, i;
	const char *env;
	char *end;

	if (!v)
		return cli_error("out of memory");
	v->opts.n_random = -1;
	v->opts.max_print = -1;
	v->opts.max_explain = -1;
	v->opts.out = stdout;
	v->opts.seed = 1;
	v->force_family = -1;
	while ((c = getopt_long(argc, argv, "4:6:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (cli_parse_hook(optarg, &kind))
				return VERIFY_USAGE;
			break;
		case 'S':
			v->opts.seed = strtoull(optarg, &end, 0);
			if (*end || !*optarg)
				return cli_error("--seed: a number");
			break;
		case 'R':
		case 'P':
		case 'E': {
			long n = strtol(optarg, &end, 10);

			if (*end || !*optarg || n < 0 || n > 100000)
				return cli_error("--%s: 0 to 100000",
						 c == 'R' ? "random" :
						 c == 'P' ? "max-print" :
							    "explain");
			if (c == 'R')
				v->opts.n_random = (int)n;
			else if (c == 'P')
				v->opts.max_print = (int)n;
			else
				v->opts.max_explain = (int)n;
			break;
		}
		case 'r':
			v->report = true;
			break;
		case 'D':
			v->opts.dump = true;
			break;
		case 'v':
			v->opts.verbose = true;
			break;
		case '4':
		case '6':
			files[c == '6'] = optarg;
			break;
		case 'h':
			cli_help_cmd("verify");
			return 0;
		default:
			return cli_error("see bpfilter help verify");
		}
	}
	if (optind >= argc && !files[0] && !files[1])
		return cli_error("verify needs a FILE (see bpfilter help "
				 "verify)");
	v->opts.kind = (enum bf_slot_kind)kind;
	/* One CPU, as the differential test: the probes of a batch are
	 * processed in the order they are sent. */
	{
		int cpu = sched_getcpu();
		cpu_set_t cpus;

		CPU_ZERO(&cpus);
		CPU_SET(cpu > 0 ? cpu : 0, &cpus);
		sched_setaffinity(0, sizeof(cpus), &cpus);
	}
	env = getenv("BF_VERIFY_SIDES");
	if (env) {
		sides = strdup(env);
		if (!sides || env_sides(v, sides))
			return VERIFY_USAGE;
	}
	/* The harness's own tests: the last side loads another ruleset
	 * (its filter table), so that mismatches exist. */
	env = getenv("BF_VERIFY_AGAINST");
	if (env && strlen(env) > 4 && !strcmp(env + strlen(env) - 4, ".nft")) {
		against = bf_verify_read_file(env);
		if (!against)
			return cli_error("BF_VERIFY_AGAINST: cannot read %s",
					 env);
		v->against_nft = against;
	} else if (env) {
		_cleanup_free_ char *t =
			bf_verify_read_file(getenv("BF_VERIFY_AGAINST"));

		against = t ? bf_verify_filter_text(t) : NULL;
		if (!against)
			return cli_error("BF_VERIFY_AGAINST: no filter table "
					 "in %s",
					 getenv("BF_VERIFY_AGAINST"));
		v->opts.side_text[v->opts.n_sides ? v->opts.n_sides - 1 : 1] =
			against;
	}
	/* every mismatch printed, the first 40 of a ruleset explained on
	 * both sides; --report: 5 of each */
	if (v->opts.max_print < 0)
		v->opts.max_print = v->report ? 5 : 100000;
	if (v->opts.max_explain < 0)
		v->opts.max_explain = v->report ? 5 : 40;
	v->opts.quiet_coverage = v->report;
	for (i = 0; i < 2 && !r; i++)
		if (files[i])
			r = run_path(v, files[i],
				     i ? BF_FAMILY_INET6 : BF_FAMILY_INET4);
	for (i = optind; i < argc && !r; i++)
		r = run_path(v, argv[i], -1);
	bf_verify_cleanup();
	if (r)
		return VERIFY_USAGE;
	if (v->report)
		print_report(v);
	return verify_status(v);
}
