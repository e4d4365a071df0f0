// SPDX-License-Identifier: GPL-2.0-only
/*
 * `bpfilter verify` on nft rulesets (FILE.nft): the kernel's nftables is
 * the reference. Same verdicts for a ruleset of nft's own matches (th
 * ports, ct status, a limit); a bpfilter side given another ruleset
 * (BF_VERIFY_AGAINST=FILE.nft) gives mismatches, printed with the
 * deciding rule and the IR interpreter's line (a limit: "depends on
 * state"); a ruleset the nft front end refuses is exit status 3 with its
 * reasons; `--report` over tests/diff/rulesets-nft: no mismatch, no
 * failed run, refusals counted by kind, netdev rulesets (several slots)
 * probed.
 *
 * Environment: BF_VERIFY_RANDOM random probes per ruleset of the report
 * (default 20).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/helper.h"
#include "verifytest.h"

static char tmp[] = "/tmp/bfverify-nft-XXXXXX";

static void require_bin(void)
{
	bft_require_bin();
	if (system("nft --version >/dev/null 2>&1") != 0) {
		print_message("SKIP: no nft\n");
		skip();
	}
}

static const char *const base =
	"table ip filter {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\tth dport 53 accept\n"
	"\t\ttcp dport 22 limit rate 2/hour burst 2 packets accept\n"
	"\t\ttcp dport 80 accept\n"
	"\t\tct status assured accept\n"
	"\t}\n"
	"}\n";

static void test_same(void **state)
{
	_cleanup_free_ char *out = NULL;
	char path[PATH_MAX];
	int r;

	(void)state;
	require_bin();
	snprintf(path, sizeof(path), "%s/same.nft", tmp);
	bft_write_file(path, base);
	r = bft_sh_shown(&out, "%s verify --random 30 %s 2>&1",
			 bft_bpfilter_bin(), path);
	assert_int_equal(r, 0);
	assert_non_null(strstr(out, "accepted by nftables"));
	assert_non_null(strstr(out, "SAME "));
	assert_null(strstr(out, "MISMATCH"));
}

/* The bpfilter side applies a ruleset whose port 80 rule drops: the
 * probes to port 80 mismatch; the interpreter, on the reference's IR,
 * names the reference's rule (line 6). */
static void test_mismatch(void **state)
{
	_cleanup_free_ char *out = NULL;
	char path[PATH_MAX], other[PATH_MAX];
	char *changed = strdup(base), *at;
	int r;

	(void)state;
	require_bin();
	assert_non_null(changed);
	at = strstr(changed, "dport 80 accept");
	assert_non_null(at);
	memcpy(at + strlen("dport 80 "), "drop  ", 6);
	snprintf(path, sizeof(path), "%s/m.nft", tmp);
	snprintf(other, sizeof(other), "%s/m-other.nft", tmp);
	bft_write_file(path, base);
	bft_write_file(other, changed);
	free(changed);
	r = bft_sh_shown(&out,
			 "BF_VERIFY_AGAINST=%s %s verify --random 20 "
			 "--max-print 3 --explain 1 %s 2>&1",
			 other, bft_bpfilter_bin(), path);
	assert_int_equal(r, 1);
	assert_non_null(strstr(out, "nftables=ACCEPT bpfilter=DROP"));
	assert_non_null(strstr(out, "=> decided by -A input -p tcp -m nft "
				    "--l4hdr 6:4 --dport 80 -j DROP"));
	assert_non_null(strstr(out, "IR interpreter (bpfilter trace): ACCEPT "
				    "by "));
	assert_non_null(strstr(out, "m.nft:6 (rule 3 of input)"));
}

static void test_refused(void **state)
{
	_cleanup_free_ char *out = NULL;
	char path[PATH_MAX];
	int r;

	(void)state;
	require_bin();
	snprintf(path, sizeof(path), "%s/refused.nft", tmp);
	bft_write_file(path, "table inet t {\n"
			     "\tchain c {\n"
			     "\t\ttype filter hook input priority 0;\n"
			     "\t\tmeta iiftype ether accept\n"
			     "\t}\n"
			     "}\n");
	r = bft_sh_shown(&out, "%s verify %s 2>&1", bft_bpfilter_bin(), path);
	assert_int_equal(r, 3);
	assert_non_null(strstr(out, "REFUSED "));
	assert_non_null(strstr(out, "refused.nft:4:"));
	assert_non_null(strstr(out, "meta iiftype"));
}

static void test_report(void **state)
{
	_cleanup_free_ char *out = NULL;
	const char *env = getenv("BF_VERIFY_RANDOM");
	int r;

	(void)state;
	require_bin();
	r = bft_sh_shown(&out,
			 "cd %s/tests/diff/rulesets-nft && %s verify --report "
			 "--random %d *.nft 2>&1",
			 bft_root(), bft_bpfilter_bin(), env ? atoi(env) : 20);
	/* 3: some rulesets are refused (refused.nft, ...) */
	assert_true(r == 0 || r == 3);
	assert_non_null(strstr(out, "\nRULESET "));
	assert_non_null(strstr(out, " 0 mismatches;"));
	assert_non_null(strstr(out, " 0 failed to run;"));
	assert_non_null(strstr(out, "feature-th.nft "));
	assert_null(strstr(out, "MISMATCH "));
	/* netdev tables (tc slots): probed through every slot's IR */
	{
		const char *l = strstr(out, "\nnetdev-ingress.nft ");
		const char *e = l ? strchr(l + 1, '\n') : NULL;
		const char *same = l ? strstr(l, " same ") : NULL;

		assert_non_null(l);
		assert_true(same && (!e || same < e));
	}
	if (r == 3)
		assert_non_null(strstr(out, "refused rules by module: "));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
