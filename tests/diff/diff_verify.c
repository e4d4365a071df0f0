// SPDX-License-Identifier: GPL-2.0-only
/*
 * `bpfilter verify` end to end: its exit statuses and messages (same
 * verdicts, a mismatch with the deciding rules, a refusal with file:line,
 * a hook that refuses FORWARD rules), and `--report` over the shared
 * corpus's iptables rulesets (save files, command files, the ufw
 * configuration), whose table is printed here for the closing note: every
 * ruleset bpfilter accepts must give the kernel's verdicts (no mismatch,
 * no failed run).
 *
 * Environment: BF_VERIFY_RANDOM random probes per corpus ruleset (default
 * 100).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bftest.h"
#include "verifytest.h"

static char tmp[] = "/tmp/bfverify-test-XXXXXX";

static const char *ruleset(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tests/diff/rulesets/%s", bft_root(),
		 name);
	return path;
}

static void test_same(void **state)
{
	_cleanup_free_ char *out = NULL;
	int r;

	(void)state;
	bft_require_bin();
	r = bft_sh_shown(&out, "%s verify --random 50 %s 2>&1",
			 bft_bpfilter_bin(), ruleset("basic.rules"));
	assert_int_equal(r, 0);
	assert_non_null(strstr(out, "SAME "));
	assert_null(strstr(out, "MISMATCH"));
}

/* Side 2 (iptables-legacy too) loads the ruleset with one more rule: the
 * mismatches must be found, printed with the deciding rule of each side,
 * and give exit status 1. */
static void test_mismatch(void **state)
{
	_cleanup_free_ char *out = NULL;
	char mut[PATH_MAX];
	int r;

	(void)state;
	bft_require_bin();
	snprintf(mut, sizeof(mut), "%s/mut.rules", tmp);
	bft_write_file(mut, "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n"
			    ":OUTPUT ACCEPT [0:0]\n"
			    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
			    "-A INPUT -p udp -j ACCEPT\nCOMMIT\n");
	snprintf(mut + strlen(mut) - 6, 8, ".orig");
	bft_write_file(mut,
		       "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n"
		       ":OUTPUT ACCEPT [0:0]\n"
		       "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n");
	r = bft_sh_shown(&out,
			 "BF_VERIFY_SIDES=legacy,legacy "
			 "BF_VERIFY_AGAINST=%s/mut.rules %s verify --random 20 "
			 "--max-print 2 %s 2>&1",
			 tmp, bft_bpfilter_bin(), mut);
	assert_int_equal(r, 1);
	assert_non_null(strstr(out, "MISMATCHES "));
	/* the reference's deciding rule: the INPUT policy, line 2 */
	assert_non_null(strstr(out, "=> decided by the policy "));
	assert_non_null(strstr(out, ".orig:2: :INPUT DROP"));
	/* the changed side's: its added rule */
	assert_non_null(strstr(out, "=> decided by -A INPUT -p udp -j ACCEPT"));
}

/* A ruleset that does not parse: exit 3, the error with file:line. */
static void test_refused(void **state)
{
	_cleanup_free_ char *out = NULL;
	char path[PATH_MAX];
	int r;

	(void)state;
	bft_require_bin();
	snprintf(path, sizeof(path), "%s/bad.rules", tmp);
	bft_write_file(path,
		       "# comment\n*filter\n:INPUT ACCEPT [0:0]\n"
		       ":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
		       "-A INPUT -m nosuchmodule --foo -j DROP\nCOMMIT\n");
	r = bft_sh_shown(&out, "%s verify %s 2>&1", bft_bpfilter_bin(), path);
	assert_int_equal(r, 3);
	assert_non_null(strstr(out, "REFUSED "));
	assert_non_null(strstr(out, "bad.rules:6:"));
}

/* At tc, FORWARD rules are refused (file:line); exit 3. */
static void test_hook_tc_refuses_forward(void **state)
{
	_cleanup_free_ char *out = NULL;
	int r;

	(void)state;
	bft_require_bin();
	r = bft_sh_shown(&out, "%s verify --hook tc --random 0 %s 2>&1",
			 bft_bpfilter_bin(), ruleset("basic.rules"));
	assert_int_equal(r, 3);
	assert_non_null(strstr(out, "basic.rules:18: ipv4 FORWARD rules"));
}

static bool iptables_input(const char *f)
{
	size_t l = strlen(f);

	return (l > 5 && !strcmp(f + l - 5, "-save")) ||
	       strstr(f, "ipt-save") ||
	       (l > 14 && !strcmp(f + l - 14, ".iptables-cmds"));
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* --report over the corpus: one row per ruleset and family, totals; no
 * mismatch and no failed run. */
static void test_report_corpus(void **state)
{
	_cleanup_free_ char *out = NULL, *args = NULL;
	const char *corpus = bft_corpus_dir();
	const char *env = getenv("BF_VERIFY_RANDOM");
	char dir[PATH_MAX], *line, *save = NULL;
	size_t alen = 0;
	FILE *a;
	DIR *d;
	struct dirent *e;
	char *names[64];
	int r, i, inputs = 0, rows = 0, same = 0, whole = -1;

	(void)state;
	bft_require_bin();
	if (!corpus) {
		print_message("SKIP: no shared corpus (BF_CORPUS)\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/rulesets", corpus);
	a = open_memstream(&args, &alen);
	assert_non_null(a);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) && inputs < 64) {
		if (!iptables_input(e->d_name))
			continue;
		names[inputs] = strdup(e->d_name);
		assert_non_null(names[inputs]);
		inputs++;
	}
	closedir(d);
	qsort(names, (size_t)inputs, sizeof(names[0]), cmp_str);
	for (i = 0; i < inputs; i++) {
		fprintf(a, " '%s/%s'", dir, names[i]);
		free(names[i]);
	}
	fprintf(a, " '%s'", dir); /* the ufw configuration */
	fclose(a);
	assert_true(inputs > 0);

	r = bft_sh_shown(&out, "%s verify --report --random %s%s 2>/dev/null",
			 bft_bpfilter_bin(), env ? env : "100", args);
	assert_non_null(out);
	/* 1: a mismatch; 4: a run failed; 0 or 3 (refusals) are fine */
	assert_true(r == 0 || r == 3);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, " ipv4 ") || strstr(line, " ipv6 ")) {
			rows++;
			same += strstr(line, " same ") != NULL;
			assert_null(strstr(line, " MISMATCH "));
			assert_null(strstr(line, " failed "));
		}
		if (!strncmp(line, "totals: ", 8))
			assert_int_equal(sscanf(line,
						"totals: %*d rulesets: %d "
						"accepted whole",
						&whole),
					 1);
	}
	/* every file gives a row at least (a family each), ufw two */
	assert_true(rows >= inputs + 2);
	assert_int_equal(whole, same);
	assert_true(same > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_hook_tc_refuses_forward),
		cmocka_unit_test(test_report_corpus),
	};
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	r = cmocka_run_group_tests(tests, NULL, NULL);
	bft_sh("rm -rf '%s'", tmp);
	return r;
}
