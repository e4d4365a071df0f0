// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CLI as a user meets it, no kernel needed: the man page stays in sync
 * with --help, errors are one "bpfilter: " line with a non-zero status,
 * and --dump prints the IR and the programs without attaching anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"

static const char *const cmds[] = {
	"apply",
	"list",
	"save",
	"flush",
	"gc",
	"iptables-restore",
	"ip6tables-restore",
	"trace",
	"log",
	"help",
	"iptables",
	"ip6tables",
	"iptables-save",
	"ip6tables-save",
	"rule",
	"batch",
	"restore",
	"confirm",
};

/* The man page with roff escapes for '-' undone. */
static char *man_text(void)
{
	char path[4096], *buf, *o;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/man/bpfilter.8", bft_root());
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (!buf)
		return NULL;
	o = buf;
	for (char *p = buf; *p; p++) {
		if (p[0] == '\\' && p[1] == '-')
			continue;
		*o++ = *p;
	}
	*o = '\0';
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return true;
	}
	return false;
}

static void test_man_matches_help(void **state)
{
	char *man = man_text(), *help = NULL;

	(void)state;
	assert_non_null(man);
	assert_int_equal(bft_sh_out(&help, "%s --help", bft_bpfilter_bin()), 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *out = NULL, *nl;
		const char *usage;

		assert_int_equal(bft_sh_out(&out, "%s help %s",
					    bft_bpfilter_bin(), cmds[i]),
				 0);
		assert_true(strncmp(out, "Usage: ", 7) == 0);
		usage = out + 7;
		nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		if (!has_line(man, usage))
			fail_msg("man page SYNOPSIS lacks: %s", usage);
		if (!strstr(help, usage))
			fail_msg("--help lacks: %s", usage);
		free(out);
	}
	for (const char *opt =
		     "--verbose\0--version\0--help\0BPFILTER_PIN_ROOT\0";
	     *opt; opt += strlen(opt) + 1) {
		if (!strstr(man, opt) || !strstr(help, opt))
			fail_msg("%s not in both man page and --help", opt);
	}
	free(help);
	free(man);
}

static void test_errors(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(
		bft_sh_out(&out, "%s frobnicate 2>&1", bft_bpfilter_bin()), 2);
	assert_string_equal(out, "bpfilter: unknown command 'frobnicate' (see "
				 "bpfilter --help)\n");
	free(out);
	assert_int_equal(bft_sh_out(&out, "%s apply 2>&1", bft_bpfilter_bin()),
			 2);
	assert_true(strncmp(out, "bpfilter: no ruleset given", 26) == 0);
	free(out);
	assert_int_equal(bft_sh_out(&out, "%s apply --hook nft x 2>&1",
				    bft_bpfilter_bin()),
			 2);
	assert_true(strncmp(out, "bpfilter: unknown hook 'nft'", 28) == 0);
	free(out);
	assert_int_equal(bft_sh_out(&out, "%s apply /nonexistent/file 2>&1",
				    bft_bpfilter_bin()),
			 1);
	assert_true(strncmp(out, "bpfilter: cannot open /nonexistent/file",
			    39) == 0);
	free(out);
	assert_int_equal(bft_sh_out(&out, "%s --version", bft_bpfilter_bin()),
			 0);
	assert_true(strncmp(out, "bpfilter ", 9) == 0);
	free(out);
}

static void test_dump(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(bft_sh_out(&out,
				    "printf '*filter\\n:INPUT DROP [0:0]\\n"
				    ":FORWARD ACCEPT [0:0]\\n:OUTPUT ACCEPT "
				    "[0:0]\\n-A INPUT -p tcp --dport 22 -j "
				    "ACCEPT\\nCOMMIT\\n' | %s apply --dump "
				    "--hook xdp --iface lo - 2>&1",
				    bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(out, "# IR (ipv4)"));
	assert_non_null(strstr(out, ":INPUT DROP [0:0]"));
	assert_non_null(strstr(out, "-A INPUT -p tcp -m tcp --dport 22 -j "
				    "ACCEPT"));
	assert_non_null(strstr(out, "# program "));
	assert_non_null(strstr(out, "exit"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_man_matches_help),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
