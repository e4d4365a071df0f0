// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test of the nft front end: each nft ruleset is loaded with
 * `nft -f` into the kernel's nftables in one pair of namespaces (the
 * reference) and with `bpfilter apply` (nft input) into another; the
 * verify engine (include/bpfilter/verify.h) sends the same probes, made
 * from the lowered IR's addresses, ports, interfaces and states, through
 * INPUT, FORWARD and OUTPUT of both, once per family the ruleset has
 * tables for, and every verdict must be the same.
 *
 * Each ruleset that lowers is also read back from a scratch namespace's
 * nftables as `nft -j list ruleset` JSON (the input of `bpfilter import
 * nft`), which must lower to the same IR.
 *
 * Rulesets: the shared corpus's rulesets (NAME.nft, NAME.nft-cmds) ("nft add
 * ..." lines, the "nft " dropped for the reference) and the hand-written
 * tests/diff/rulesets-nft/NAME.nft. A ruleset the nft front end refuses (a
 * construct the IR cannot express) is listed with its reasons and counted
 * as refused, never as passed. `flush ruleset` lines are left out of what
 * the reference loads: the engine's own conntrack table lives in the same
 * namespace.
 *
 * A ruleset `bpfilter apply` spreads over several slots (netdev tables,
 * base chains at several priorities; multichain-*.nft, netdev-*.nft) is
 * applied by the bpfilter side as the nft file it is, and probed with
 * the IR of all its slots (bf_verify_nft_probe_ir());
 * BF_DIFF_NFT_OTHER=legacy does not apply to those.
 *
 * Environment: BF_DIFF_FILTER (only rulesets whose name contains it),
 * BF_DIFF_SEED, BF_DIFF_RANDOM (random probes per ruleset, default 200),
 * BF_DIFF_VERBOSE, BF_DIFF_DUMP; BF_DIFF_NFT_OTHER=legacy runs the lowered
 * IR (as iptables-save text) on iptables-legacy instead of bpfilter, which
 * tells a lowering difference from a code generation one.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/verify.h"

#define MAX_CASES 64

struct ncase {
	char name[160];
	char path[PATH_MAX];
};

static struct ncase cases[MAX_CASES];
static int n_cases;
static uint64_t seed;

static struct {
	int run, refused;
	size_t probes, mismatches;
} tot;

/* Every mismatch fails the test: the nft front end's transport and IPv6
 * protocol matches have nft's evaluation on malformed packets too (short
 * headers, fragments, extension header chains; doc/front-nft.md, "nft
 * evaluation"). Mismatches are counted per probe kind for the summary. */
static void on_mismatch(const char *why, void *data)
{
	size_t *n = data;

	(void)why;
	(*n)++;
}

struct msgs {
	char buf[2048];
	size_t len;
};

static void collect(enum bf_log_level level, const char *msg, void *data)
{
	struct msgs *m = data;
	int n;

	if (level > BF_LOG_WARN || m->len >= sizeof(m->buf) - 1)
		return;
	n = snprintf(m->buf + m->len, sizeof(m->buf) - m->len, "    %s\n", msg);
	if (n > 0)
		m->len += (size_t)n;
	if (m->len >= sizeof(m->buf))
		m->len = sizeof(m->buf) - 1;
}

/* The text the reference loads: no `flush ruleset`, no leading "nft ". */
static char *reference_text(const char *text)
{
	char *out = malloc(strlen(text) + 2), *o = out;
	const char *p = text;

	if (!out)
		return NULL;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		const char *q = p;
		while (q < p + n && (*q == ' ' || *q == '\t'))
			q++;
		if (!strncmp(q, "flush ruleset", 13)) {
			/* keep the line count */
		} else if (strstr(q, "hook output priority dstnat;") &&
			   (size_t)(strstr(q, "dstnat;") - p) < n) {
			/* nft 1.0.6 refuses the name dstnat at output (later
			 * versions take it, Docker writes it): its value */
			const char *d = strstr(q, "dstnat;");
			memcpy(o, p, (size_t)(d - p));
			o += d - p;
			memcpy(o, "-100", 4);
			o += 4;
			memcpy(o, d + 6, n - (size_t)(d + 6 - p));
			o += n - (size_t)(d + 6 - p);
		} else if (!strncmp(q, "nft ", 4)) {
			memcpy(o, q + 4, n - (size_t)(q + 4 - p));
			o += n - (size_t)(q + 4 - p);
		} else {
			memcpy(o, p, n);
			o += n;
		}
		*o++ = '\n';
		p += n + (eol ? 1 : 0);
	}
	*o = '\0';
	return out;
}

static char *ipt_text(const struct bf_ruleset *rs)
{
	char *t = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&t, &len);

	assert_non_null(m);
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		assert_int_equal(bf_ipt_print(m, rs, f, 0), 0);
	fclose(m);
	return t;
}

/*
 * `bpfilter import nft` reproduces the ruleset: the reference text loaded
 * into a scratch namespace's nftables, read back with `nft -j list
 * ruleset` and parsed as JSON, must lower to the very IR the file gave
 * (the IR the probes just checked).
 */
static void check_import(const struct ncase *c, const char *ref,
			 const struct bf_ruleset *rs)
{
	_cleanup_free_ char *json = NULL, *want = NULL, *got = NULL;
	char ns[32], path[] = "/tmp/bfnftimpXXXXXX";
	struct bf_nft *nft = NULL;
	struct bf_ruleset *irs;
	int fd, r;

	bft_unique_name(ns, sizeof(ns), "h18i");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, ref, strlen(ref)), (ssize_t)strlen(ref));
	close(fd);
	r = bft_sh("ip netns add %s", ns);
	if (!r)
		r = bft_sh("ip netns exec %s nft -f %s", ns, path);
	if (!r)
		r = bft_sh_out(&json, "ip netns exec %s nft -j list ruleset",
			       ns);
	bft_sh("ip netns del %s 2>/dev/null", ns);
	unlink(path);
	if (r || !json)
		fail_msg("%s: cannot list the ruleset as JSON", c->name);
	r = bf_nft_parse_json(json, "nft -j list ruleset", &nft);
	if (r)
		fail_msg("%s: the JSON listing does not parse (%d)", c->name,
			 r);
	irs = bf_ruleset_new();
	assert_non_null(irs);
	r = bf_nft_lower(nft, irs);
	bf_nft_free(&nft);
	if (r) {
		bf_ruleset_free(&irs);
		fail_msg("%s: the JSON listing does not lower (%d)", c->name,
			 r);
	}
	want = ipt_text(rs);
	got = ipt_text(irs);
	bf_ruleset_free(&irs);
	if (strcmp(want, got))
		fail_msg("%s: import gives another IR:\n%s\nthan the file:\n%s",
			 c->name, got, want);
	printf("%s: import (nft -j list ruleset) gives the same IR\n", c->name);
}

static void run_case(void **state)
{
	struct ncase *c = *state;
	_cleanup_free_ char *text = bf_verify_read_file(c->path);
	_cleanup_free_ char *ref = NULL;
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs = NULL;
	struct msgs msgs = { 0 };
	bool multi = false;
	bf_log_fn ofn;
	void *odata;
	int r;

	BFT_REQUIRE_KERNEL();
	assert_non_null(text);
	ref = reference_text(text);
	assert_non_null(ref);

	bf_log_get(&ofn, &odata);
	bf_log_set(collect, &msgs);
	r = bf_nft_parse_str(text, c->path, &nft);
	if (!r) {
		rs = bf_ruleset_new();
		assert_non_null(rs);
		r = bf_nft_lower(nft, rs);
	}
	if (r && nft) {
		/* several slots? then the probes come from their IRs */
		struct msgs first = msgs;
		bf_ruleset_free(&rs);
		msgs.len = 0;
		msgs.buf[0] = '\0';
		if (!bf_verify_nft_probe_ir(nft, &rs)) {
			multi = true;
			r = 0;
		} else if (!bf_nft_has_kernel_part(nft) || !msgs.len) {
			msgs = first; /* every reason of the whole file */
		} /* else the slots' reasons: the kernel's part is not one */
	}
	bf_log_set(ofn, odata);
	bf_nft_free(&nft);
	if (r) {
		printf("%s: REFUSED by the nft front end:\n%s", c->name,
		       msgs.buf);
		tot.refused++;
		bf_ruleset_free(&rs);
		/* refusals must say why */
		assert_true(msgs.len > 0);
		return;
	}
	if (multi)
		printf("%s: several slots (doc/front-nft.md, \"Mapping to "
		       "hooks\"): bpfilter applies the file itself; no import "
		       "check\n",
		       c->name);
	else
		check_import(c, ref, rs);
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		struct bf_verify_opts o = { 0 };
		struct bf_verify_result res = { 0 };
		size_t n_mm = 0;
		_cleanup_free_ char *ipt = NULL;
		size_t len = 0;
		FILE *m;

		if (!(rs->families & (1u << f)))
			continue;
		m = open_memstream(&ipt, &len);
		assert_non_null(m);
		assert_int_equal(bf_ipt_print(m, rs, f, 0), 0);
		fclose(m);
		o.sides[0] = "nftables";
		o.sides[1] = "bpfilter";
		o.n_sides = 2;
		o.side_text[0] = ref;
		o.side_text[1] = text;
		if (getenv("BF_DIFF_NFT_OTHER") &&
		    !strcmp(getenv("BF_DIFF_NFT_OTHER"), "legacy")) {
			/* harness check: the lowered IR on iptables-legacy
			 * (its iptables-save text) instead of bpfilter */
			o.sides[1] = "legacy";
			o.side_text[1] = NULL;
		}
		o.rs = rs;
		o.seed = seed;
		o.n_random = getenv("BF_DIFF_RANDOM") ?
				     atoi(getenv("BF_DIFF_RANDOM")) :
				     200;
		o.verbose = getenv("BF_DIFF_VERBOSE") != NULL;
		o.dump = getenv("BF_DIFF_DUMP") != NULL;
		o.out = stdout;
		o.on_mismatch = on_mismatch;
		o.data = &n_mm;
		o.max_print = -1;
		o.max_explain = -1;
		r = bf_verify_run(ipt, c->path, f, &o, &res);
		printf("%s [%s]: %zu probes, %zu mismatches%s%s\n", c->name,
		       bf_family_name(f), res.probes, res.mismatches,
		       res.refused ? ", refused by " : "",
		       res.refused ? res.refused_by : "");
		if (res.refused) {
			printf("    %s\n", res.refusal);
			tot.refused++;
			continue;
		}
		if (r == -EPERM) {
			bf_ruleset_free(&rs);
			skip();
		}
		if (r) {
			bf_ruleset_free(&rs);
			fail_msg("%s [%s]: run failed: %s", c->name,
				 bf_family_name(f), res.error);
		}
		tot.run++;
		tot.probes += res.probes;
		tot.mismatches += res.mismatches;
		if (res.mismatches || n_mm) {
			bf_ruleset_free(&rs);
			fail_msg("%s [%s]: %zu mismatches", c->name,
				 bf_family_name(f), res.mismatches);
		}
		assert_true(res.probes > 0);
	}
	bf_ruleset_free(&rs);
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && !strcmp(s + a - b, sfx);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(const char *dir)
{
	const char *filter = getenv("BF_DIFF_FILTER");
	char *names[256];
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && n < 256)
		if (ends_with(e->d_name, ".nft") ||
		    ends_with(e->d_name, ".nft-cmds"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	for (int i = 0; i < n; i++) {
		if (n_cases < MAX_CASES &&
		    (!filter || strstr(names[i], filter))) {
			struct ncase *c = &cases[n_cases++];
			snprintf(c->name, sizeof(c->name), "%s", names[i]);
			snprintf(c->path, sizeof(c->path), "%s/%s", dir,
				 names[i]);
		}
		free(names[i]);
	}
}

int main(void)
{
	struct CMUnitTest tests[MAX_CASES];
	const char *corpus = bft_corpus_dir();
	char dir[PATH_MAX];
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	seed = getenv("BF_DIFF_SEED") ?
		       strtoull(getenv("BF_DIFF_SEED"), NULL, 0) :
		       (uint64_t)time(NULL);
	printf("diff_nft: nftables (nft -f) vs bpfilter, seed %llu\n",
	       (unsigned long long)seed);
	if (corpus) {
		snprintf(dir, sizeof(dir), "%s/rulesets", corpus);
		add_dir(dir);
	}
	snprintf(dir, sizeof(dir), "%s/tests/diff/rulesets-nft", bft_root());
	add_dir(dir);
	for (int i = 0; i < n_cases; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	r = _cmocka_run_group_tests("diff_nft", tests, (size_t)n_cases, NULL,
				    NULL);
	printf("diff_nft: %d runs, %d refused, %zu probes, %zu mismatches\n",
	       tot.run, tot.refused, tot.probes, tot.mismatches);
	bf_verify_cleanup();
	return r;
}
