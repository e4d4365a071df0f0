// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test: bpfilter against the kernel's own iptables.
 *
 * Each ruleset (an iptables-save filter table of one family) is loaded into
 * iptables-legacy (ipt_do_table, the reference) in one pair of network
 * namespaces and into bpfilter in another (or iptables-nft: see
 * BF_DIFF_SIDES); the same probe packets, generated from the parsed IR, go
 * through INPUT, FORWARD and OUTPUT of both, and every probe must get the
 * same verdict. See doc/testing.md for the method; diff_net.h for the
 * topology, diff_probe.h for the probes.
 *
 * Environment:
 *   BF_DIFF_SIDES   comma list, reference first (default
 *                   "legacy,bpfilter"; "legacy,nft" tests the harness)
 *   BF_DIFF_SEED    seed of the random probes (default: time)
 *   BF_DIFF_RANDOM  random probes per ruleset (default 200)
 *   BF_DIFF_RANDOM_RULESETS  random rulesets (default 16, half IPv6)
 *   BF_DIFF_FILTER  only rulesets whose name contains this
 *   BF_DIFF_RULESETS directory of hand-written rulesets (default
 *                   tests/diff/rulesets)
 *   BF_DIFF_VERBOSE print every command
 *   BF_DIFF_DUMP    print every probe with its verdicts
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <sys/uio.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "bftest.h"
#include "diff_net.h"
#include "diff_pkt.h"
#include "diff_gen.h"
#include "diff_probe.h"
#include "bpfilter/verify.h"

#define MAX_CASES 128
#define MAX_PROBES 24000
#define CASE_TIME_MS 60000
#define MAX_EXPLAIN 5
#define MAX_PRINT 40

enum case_kind {
	CASE_SAVE = 0, /* iptables-save text (maybe several tables) */
	CASE_CMDS, /* iptables / ip6tables command lines */
	CASE_UFW, /* ufw before/user/after files of one family */
	CASE_RANDOM, /* a seeded random ruleset (diff_gen.h) */
};

struct dcase {
	char name[160];
	char path[PATH_MAX];
	enum case_kind kind;
	enum bf_family family;
	/* results */
	bool refused;
	char refusal[512];
	size_t probes, mismatches;
	bool failed;
	uint64_t rseed; /* CASE_RANDOM */
	/* bpfilter cuts each built-in chain into segment programs of about
	 * one rule (BPFILTER_SEG_MIN/_RULES): what a long chain gets,
	 * checked on the hand-written rulesets */
	bool seg;
	/* harness self-tests: the same ruleset on two iptables-legacy sides
	 * must give no mismatch; a changed one must give some */
	enum {
		SELFTEST_NONE = 0,
		SELFTEST_SAME,
		SELFTEST_MUTATED
	} selftest;
};

static struct dcase cases[MAX_CASES];
static int n_cases;
static const char *sides[DPROBE_MAX_SIDES];
static int n_sides;
static uint64_t seed;
static int n_random = 200;

/* Totals over all rulesets. */
static struct {
	int run, refused, failed, skipped;
	int rules, rules_hit;
	size_t probes, mismatches;
} tot;

/* ---- ruleset text ------------------------------------------------------ */

static char *read_file(const char *path)
{
	return bf_verify_read_file(path);
}

/* Run an .iptables-cmds file in a scratch namespace with the kernel's
 * iptables-legacy and return that namespace's iptables-save filter table
 * for the family (NULL if the file has no command of that family). */
static char *cmds_text(const char *path, enum bf_family fam)
{
	_cleanup_free_ char *t = read_file(path);
	char ns[IFNAMSIZ], script[] = "/tmp/bfdiff-cmdXXXXXX";
	const char *cmd = fam == BF_FAMILY_INET6 ? "ip6tables" : "iptables";
	char *out = NULL, *save = NULL, *l;
	FILE *f;
	int fd, r, n = 0;

	if (!t)
		return NULL;
	fd = mkstemp(script);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	fprintf(f, "set -e\n");
	for (l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t cl = strlen(cmd);

		if (strncmp(l, cmd, cl) != 0 || l[cl] != ' ')
			continue;
		fprintf(f, "%s-legacy%s\n", cmd, l + cl);
		n++;
	}
	fclose(f);
	if (!n) {
		unlink(script);
		return NULL;
	}
	if (dnet_ns_add(ns, sizeof(ns), "bfdc") == 0) {
		r = dnet_sh("ip netns exec %s sh %s", ns, script);
		if (r == 0)
			bft_sh_out(&out,
				   "ip netns exec %s %s-legacy-save -t filter",
				   ns, cmd);
		else
			printf("cannot run the commands of %s (exit %d)\n",
			       path, r);
		dnet_ns_del(ns);
	}
	unlink(script);
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}

static char *case_text(const struct dcase *c)
{
	_cleanup_free_ char *t = NULL;
	char dir[PATH_MAX];

	switch (c->kind) {
	case CASE_SAVE:
		t = read_file(c->path);
		return t ? bf_verify_filter_text(t) : NULL;
	case CASE_CMDS:
		return cmds_text(c->path, c->family);
	case CASE_UFW:
		snprintf(dir, sizeof(dir), "%s", c->path);
		return bf_verify_ufw_text(dir, c->family);
	case CASE_RANDOM: {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);

		if (!f)
			return NULL;
		rg_ruleset(c->rseed, c->family, f);
		fclose(f);
		return out;
	}
	}
	return NULL;
}

/* ---- supported features (H1's scope) ----------------------------------- */

/*
 * true if every rule uses only what bpfilter promises to support: the
 * built-in fields, -m tcp/udp/icmp/icmp6/multiport/iprange/comment/state,
 * -m conntrack --ctstate, and the targets ACCEPT/DROP/RETURN or a chain.
 * *why receives the first thing outside that scope.
 */
static bool only_supported(const char *text, char *why, size_t size)
{
	static const char *const mods[] = {
		"tcp",	   "udp",	"icmp",	     "icmp6",
		"icmpv6",  "ipv6-icmp", "multiport", "iprange",
		"comment", "state",	"conntrack"
	};
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL, *l;

	for (l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *tok, *s2 = NULL, *prev = NULL;
		bool in_ct = false;

		if (l[0] == '[')
			l = strchr(l, ']') ? strchr(l, ']') + 1 : l;
		while (*l == ' ')
			l++;
		if (strncmp(l, "-A", 2) && strncmp(l, "-I", 2))
			continue;
		for (tok = strtok_r(l, " \t", &s2); tok;
		     tok = strtok_r(NULL, " \t", &s2)) {
			if (prev && !strcmp(prev, "-m")) {
				size_t i;
				bool ok = false;

				for (i = 0; i < ARRAY_SIZE(mods); i++)
					if (!strcmp(tok, mods[i]))
						ok = true;
				in_ct = !strcmp(tok, "conntrack");
				if (!ok) {
					snprintf(why, size, "-m %s", tok);
					return false;
				}
			} else if (prev && (!strcmp(prev, "-j") ||
					    !strcmp(prev, "-g"))) {
				char decl[64];

				snprintf(decl, sizeof(decl), "\n:%s ", tok);
				if (strcmp(tok, "ACCEPT") &&
				    strcmp(tok, "DROP") &&
				    strcmp(tok, "RETURN") &&
				    !strstr(text, decl)) {
					snprintf(why, size, "-j %s", tok);
					return false;
				}
			} else if (in_ct && !strncmp(tok, "--ct", 4) &&
				   strcmp(tok, "--ctstate")) {
				snprintf(why, size, "conntrack %s", tok);
				return false;
			}
			prev = tok;
		}
	}
	return true;
}

/* Mismatches by kind of probe (the variant in its "why", without the
 * rule it came from), to see at a glance what differs. */
static struct {
	char name[40];
	size_t n;
} kinds[32];
static int n_kinds;

static void count_kind(const char *why)
{
	const char *k = strchr(why, ' ');
	int i;

	k = k ? k + 1 : why;
	for (i = 0; i < n_kinds; i++)
		if (!strncmp(kinds[i].name, k, sizeof(kinds[i].name) - 1))
			break;
	if (i == n_kinds) {
		if (n_kinds == (int)ARRAY_SIZE(kinds))
			return;
		snprintf(kinds[n_kinds++].name, sizeof(kinds[0].name), "%.39s",
			 k);
	}
	kinds[i].n++;
}

/* ---- one ruleset -------------------------------------------------------- */

static void on_mismatch(const char *why, void *data)
{
	const struct dcase *c = data;

	if (c->selftest != SELFTEST_MUTATED)
		count_kind(why);
}

/* The ruleset with one more rule at the end of OUTPUT (self-test). */
static char *mutated(const char *text)
{
	const char *commit = strstr(text, "\nCOMMIT");
	char *out = NULL;

	if (!commit || asprintf(&out, "%.*s\n-A OUTPUT -p udp -j DROP%s",
				(int)(commit - text), text, commit) < 0)
		return NULL;
	return out;
}

/* Up to this many command lines of a family are replayed one `bpfilter
 * iptables` process each (each an incremental change); longer files go
 * through `bpfilter batch` (one transaction). BF_DIFF_REPLAY_MAX. */
#define REPLAY_MAX 100

/* A script running the family's commands of c through bpfilter, in path
 * (NULL if it cannot be written). */
static const char *replay_script(const struct dcase *c, char *path, size_t size)
{
	_cleanup_free_ char *t = read_file(c->path);
	const char *cmd = c->family == BF_FAMILY_INET6 ? "ip6tables" :
							 "iptables";
	const char *env = getenv("BF_DIFF_REPLAY_MAX");
	int max = env && *env ? atoi(env) : REPLAY_MAX, n = 0, fd;
	char *save = NULL;
	FILE *f;

	if (!t)
		return NULL;
	for (char *p = t; (p = strstr(p, cmd)); p++)
		n += (p == t || p[-1] == '\n') && p[strlen(cmd)] == ' ';
	snprintf(path, size, "/tmp/bfdiff-replayXXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return NULL;
	}
	if (n > max) {
		fprintf(f, "%s batch %s\n", bft_bpfilter_bin(), c->path);
	} else {
		for (char *l = strtok_r(t, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(l, cmd, strlen(cmd)) &&
			    l[strlen(cmd)] == ' ')
				fprintf(f, "%s %s\n", bft_bpfilter_bin(), l);
		}
	}
	fclose(f);
	printf("%s: bpfilter side replays %d commands%s\n", c->name, n,
	       n > max ? " (batch)" : "");
	return path;
}

static void run_case(void **state)
{
	struct dcase *c = *state;
	struct bf_verify_opts o = {
		.seed = seed,
		.n_random = n_random,
		.max_probes = MAX_PROBES,
		.time_ms = CASE_TIME_MS,
		.max_print = c->selftest == SELFTEST_MUTATED ? 0 : MAX_PRINT,
		.max_explain = MAX_EXPLAIN,
		.out = stdout,
		.on_mismatch = on_mismatch,
		.data = c,
		.bin = bft_bpfilter_bin(),
	};
	struct bf_verify_result res;
	_cleanup_free_ char *text = NULL, *mut = NULL;
	char why[128] = "", script[64];
	bool supported, has_bpf = false;
	int s;

	BFT_REQUIRE_KERNEL();
	if (c->selftest) {
		o.n_sides = 2;
		o.sides[0] = o.sides[1] = "legacy";
	} else {
		o.n_sides = n_sides;
		for (s = 0; s < n_sides; s++)
			o.sides[s] = sides[s];
	}
	for (s = 0; s < o.n_sides; s++)
		has_bpf |= !strcmp(o.sides[s], "bpfilter");
	if (has_bpf && access(bft_bpfilter_bin(), X_OK) != 0) {
		if (bft_require_kernel())
			fail_msg("%s is not built (BF_BIN)",
				 bft_bpfilter_bin());
		print_message("SKIP: %s is not built\n", bft_bpfilter_bin());
		skip();
	}
	text = case_text(c);
	if (!text) {
		print_message("SKIP %s: no %s filter table in it\n", c->name,
			      bf_family_name(c->family));
		tot.skipped++;
		skip();
		return;
	}
	if (c->selftest == SELFTEST_MUTATED) {
		mut = mutated(text);
		assert_non_null(mut);
		o.side_text[1] = mut;
	}
	supported = only_supported(text, why, sizeof(why));

	/* A command file: bpfilter gets the commands themselves, so the
	 * programs probed are those its changes left in force. */
	if (c->kind == CASE_CMDS && !c->selftest && has_bpf)
		o.bpfilter_script = replay_script(c, script, sizeof(script));
	if (c->seg) {
		setenv("BPFILTER_SEG_MIN", "2", 1);
		setenv("BPFILTER_SEG_RULES", "2", 1);
	}
	bf_verify_run(text, c->name, c->family, &o, &res);
	unsetenv("BPFILTER_SEG_MIN");
	unsetenv("BPFILTER_SEG_RULES");
	if (o.bpfilter_script)
		unlink(o.bpfilter_script);
	c->probes = res.probes;
	c->mismatches = res.mismatches;
	if (res.refused) {
		c->refused = true;
		snprintf(c->refusal, sizeof(c->refusal), "%s%s%s",
			 strcmp(res.refused_by, "bpfilter") ? "(" : "",
			 strcmp(res.refused_by, "bpfilter") ? res.refused_by :
							      "",
			 strcmp(res.refused_by, "bpfilter") ? ") " : "");
		snprintf(c->refusal + strlen(c->refusal),
			 sizeof(c->refusal) - strlen(c->refusal), "%s",
			 res.refusal);
		printf("REFUSED %s: %s\n", c->name, c->refusal);
		if (supported) {
			printf("FAILED %s: refused although it only uses "
			       "supported features\n",
			       c->name);
			c->failed = true;
		} else {
			printf("  (uses %s, outside the supported set)\n", why);
		}
	} else if (res.failed) {
		c->failed = true;
	} else if (c->selftest == SELFTEST_MUTATED) {
		/* the harness must see the difference */
		printf("selftest %s: %zu mismatches expected, %s\n", c->name,
		       c->mismatches, c->mismatches ? "seen" : "NONE SEEN");
		c->failed = c->mismatches == 0;
		c->mismatches = 0;
	} else {
		c->failed = c->mismatches != 0;
		tot.rules += res.rules;
		tot.rules_hit += res.rules_hit;
	}
	if (!res.refused && !res.failed)
		printf("%s %s\n", c->failed ? "FAIL" : "ok", c->name);

	tot.probes += c->probes;
	tot.mismatches += c->mismatches;
	if (c->refused)
		tot.refused++;
	else
		tot.run++;
	if (c->failed) {
		tot.failed++;
		fail_msg("%s: %zu mismatches%s", c->name, c->mismatches,
			 c->refused ? " (refused although supported)" :
			 c->selftest == SELFTEST_MUTATED ?
				      " (a changed ruleset went unnoticed)" :
				      "");
	}
}

/* ---- discovery ---------------------------------------------------------- */

static void add_case(const char *path, const char *name, enum case_kind k,
		     enum bf_family fam)
{
	struct dcase *c;
	const char *filter = getenv("BF_DIFF_FILTER");

	if (n_cases >= MAX_CASES)
		return;
	c = &cases[n_cases];
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->name, sizeof(c->name), "%s [%s]", name,
		 bf_family_name(fam));
	if (filter && !strstr(c->name, filter))
		return;
	c->kind = k;
	c->family = fam;
	n_cases++;
}

static void add_selftest(const char *path, const char *name, int kind)
{
	struct dcase *c;

	if (n_cases >= MAX_CASES || access(path, R_OK) != 0)
		return;
	c = &cases[n_cases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->kind = CASE_SAVE;
	c->family = BF_FAMILY_INET4;
	c->selftest = kind;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && !strcmp(s + a - b, sfx);
}

/* Files of a directory, sorted. */
static int list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	*out = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		v = realloc(v, sizeof(*v) * (size_t)(n + 1));
		v[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static void discover(void)
{
	const char *corpus = bft_corpus_dir();
	char dir[PATH_MAX], path[PATH_MAX];
	char **names = NULL;
	int n, i;

	if (corpus) {
		snprintf(dir, sizeof(dir), "%s/rulesets", corpus);
		n = list_dir(dir, &names);
		for (i = 0; i < n; i++) {
			const char *f = names[i];

			if (snprintf(path, sizeof(path), "%s/%s", dir, f) >=
			    (int)sizeof(path))
				continue;
			if (ends_with(f, ".iptables-save") ||
			    ends_with(f, "-save") || strstr(f, "ipt-save"))
				add_case(path, f, CASE_SAVE,
					 strstr(f, "ip6tables") ?
						 BF_FAMILY_INET6 :
						 BF_FAMILY_INET4);
			else if (ends_with(f, ".iptables-cmds")) {
				/* a case per family the file has commands of */
				char *t = read_file(path);

				if (t && (!strncmp(t, "iptables ", 9) ||
					  strstr(t, "\niptables ")))
					add_case(path, f, CASE_CMDS,
						 BF_FAMILY_INET4);
				if (t && (!strncmp(t, "ip6tables ", 10) ||
					  strstr(t, "\nip6tables ")))
					add_case(path, f, CASE_CMDS,
						 BF_FAMILY_INET6);
				free(t);
			} else if (!strcmp(f, "ufw_conf_before.rules")) {
				add_case(dir, "ufw (before+user+after.rules)",
					 CASE_UFW, BF_FAMILY_INET4);
			} else if (!strcmp(f, "ufw_conf_before6.rules")) {
				add_case(dir,
					 "ufw (before6+user6+after6.rules)",
					 CASE_UFW, BF_FAMILY_INET6);
			}
			free(names[i]);
		}
		free(names);
	} else {
		printf("note: no shared corpus found: only the hand-written "
		       "rulesets run\n");
	}

	if (getenv("BF_DIFF_RULESETS"))
		snprintf(dir, sizeof(dir), "%s", getenv("BF_DIFF_RULESETS"));
	else
		snprintf(dir, sizeof(dir), "%s/tests/diff/rulesets",
			 bft_root());
	if (!getenv("BF_DIFF_FILTER") ||
	    strstr("selftest", getenv("BF_DIFF_FILTER"))) {
		char p1[PATH_MAX + 32];

		if (snprintf(p1, sizeof(p1),
			     "%s/tests/diff/rulesets/conntrack.rules",
			     bft_root()) < (int)sizeof(p1))
			add_selftest(
				p1, "selftest: conntrack.rules twice on legacy",
				SELFTEST_SAME);
		if (snprintf(p1, sizeof(p1),
			     "%s/tests/diff/rulesets/basic.rules",
			     bft_root()) < (int)sizeof(p1))
			add_selftest(p1,
				     "selftest: basic.rules vs basic.rules "
				     "+ one rule, on legacy",
				     SELFTEST_MUTATED);
	}
	n = list_dir(dir, &names);
	for (int seg = 0; seg < 2; seg++) {
		for (i = 0; i < n; i++) {
			char sname[PATH_MAX];
			int before = n_cases;

			if (snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]) >= (int)sizeof(path) ||
			    !ends_with(names[i], ".rules"))
				continue;
			snprintf(sname, sizeof(sname), "%s%s", names[i],
				 seg ? " segmented" : "");
			add_case(path, sname, CASE_SAVE,
				 ends_with(names[i], "6.rules") ?
					 BF_FAMILY_INET6 :
					 BF_FAMILY_INET4);
			if (n_cases > before)
				cases[n_cases - 1].seg = seg;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);

	/* seeded random rulesets, alternating families */
	{
		const char *e = getenv("BF_DIFF_RANDOM_RULESETS");
		int nr = e ? atoi(e) : 16;

		for (i = 0; i < nr; i++) {
			char name[64];
			enum bf_family fam = i % 2 ? BF_FAMILY_INET6 :
						     BF_FAMILY_INET4;
			int before = n_cases;

			snprintf(name, sizeof(name), "random-%llu",
				 (unsigned long long)(seed + (uint64_t)i / 2));
			add_case("", name, CASE_RANDOM, fam);
			if (n_cases > before)
				cases[n_cases - 1].rseed =
					seed + (uint64_t)i / 2;
		}
	}
}

int main(void)
{
	struct CMUnitTest *tests;
	const char *env;
	char *sv, *tok, *save = NULL;
	cpu_set_t cpus;
	int i, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dnet_init();
	/* One CPU: the packets of a batch are processed in sending order. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	env = getenv("BF_DIFF_SIDES");
	sv = strdup(env && *env ? env : "legacy,bpfilter");
	for (tok = strtok_r(sv, ",", &save); tok && n_sides < DPROBE_MAX_SIDES;
	     tok = strtok_r(NULL, ",", &save))
		sides[n_sides++] = tok;
	env = getenv("BF_DIFF_SEED");
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	env = getenv("BF_DIFF_RANDOM");
	if (env)
		n_random = atoi(env);
	printf("diff_iptables: sides %s", sides[0]);
	for (i = 1; i < n_sides; i++)
		printf(" vs %s", sides[i]);
	printf(", seed %llu (BF_DIFF_SEED=%llu reproduces), %d random probes "
	       "per ruleset\n",
	       (unsigned long long)seed, (unsigned long long)seed, n_random);

	discover();
	tests = calloc((size_t)n_cases + 1, sizeof(*tests));
	for (i = 0; i < n_cases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	r = _cmocka_run_group_tests("diff_iptables", tests, (size_t)n_cases,
				    NULL, NULL);

	printf("\n== diff_iptables totals: %d rulesets run, %d refused, %d "
	       "failed, %zu probes, %zu mismatches; %d of %d rules matched "
	       "a probe\n",
	       tot.run, tot.refused, tot.failed, tot.probes, tot.mismatches,
	       tot.rules_hit, tot.rules);
	for (i = 0; i < n_cases; i++)
		if (cases[i].refused)
			printf("   refused: %s: %s\n", cases[i].name,
			       cases[i].refusal);
	for (i = 0; i < n_kinds; i++)
		printf("   mismatches of %s probes: %zu\n", kinds[i].name,
		       kinds[i].n);
	bf_verify_cleanup();
	dnet_cleanup();
	free(tests);
	free(sv);
	return r;
}
