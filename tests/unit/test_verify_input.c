// SPDX-License-Identifier: GPL-2.0-only
/*
 * The verify engine's inputs (include/bpfilter/verify.h), without the
 * kernel: the filter section of an iptables-save text with its line
 * numbers kept, the ufw configuration assembled as ufw loads it, and the
 * rules bpfilter refuses counted by what refuses them.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "bpfilter/verify.h"
#include "check/check.h"

static int n_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Line `num` (1-based) of s, without its newline. */
static void line_of(const char *s, int num, char *buf, size_t size)
{
	while (--num > 0 && (s = strchr(s, '\n')))
		s++;
	assert_non_null(s);
	snprintf(buf, size, "%.*s", (int)strcspn(s, "\n"), s);
}

static void test_filter_text(void **state)
{
	static const char text[] =
		"# generated\n"
		"*nat\n"
		":PREROUTING ACCEPT [0:0]\n"
		"-A PREROUTING -p tcp -j REDIRECT --to-ports 1\n"
		"COMMIT\n"
		"*filter\n"
		":INPUT DROP [0:0]\n"
		":FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n"
		"-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
		"COMMIT\n"
		"*mangle\n"
		"COMMIT";
	_cleanup_free_ char *f = bf_verify_filter_text(text);
	struct bf_ruleset *rs = bf_ruleset_new();
	char l[128];

	(void)state;
	assert_non_null(f);
	assert_non_null(rs);
	/* every line kept in place: the rule is on line 10 of both */
	assert_int_equal(n_lines(f), n_lines(text) + 1);
	line_of(f, 2, l, sizeof(l));
	assert_string_equal(l, "");
	line_of(f, 6, l, sizeof(l));
	assert_string_equal(l, "*filter");
	line_of(f, 10, l, sizeof(l));
	assert_string_equal(l, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT");
	line_of(f, 12, l, sizeof(l));
	assert_string_equal(l, "");
	assert_int_equal(bf_ipt_parse_restore_str(rs, f, "t", BF_FAMILY_INET4),
			 0);
	assert_int_equal(rs->chains[0].family, BF_FAMILY_INET4);
	{
		const struct bf_chain *in =
			bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);

		assert_non_null(in);
		assert_int_equal(in->n_rules, 1);
		assert_int_equal(in->rules[0].line, 10);
	}
	bf_ruleset_free(&rs);

	errno = 0;
	assert_null(bf_verify_filter_text("*nat\nCOMMIT\n"));
	assert_int_equal(errno, ENOENT);
	/* "*filterx" is not the filter table */
	assert_null(bf_verify_filter_text("*filterx\nCOMMIT\n"));
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void quiet(enum bf_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)msg;
	(void)data;
}

static void test_ufw(void **state)
{
	char dir[] = "/tmp/bfverify-ufw-XXXXXX";
	_cleanup_free_ char *t = NULL;
	struct bf_ruleset *rs;
	const char *a, *b, *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_false(bf_verify_is_ufw_dir(dir, BF_FAMILY_INET4));
	write_file(dir, "before.rules",
		   "*filter\n:ufw-before-input - [0:0]\n"
		   ":ufw-before-output - [0:0]\n"
		   "-A ufw-before-input -i lo -j ACCEPT\n"
		   "-A ufw-before-input -p udp -j ufw-skip-to-policy-input\n"
		   "COMMIT\n");
	write_file(dir, "user.rules",
		   "*filter\n:ufw-user-input - [0:0]\n"
		   "-A ufw-user-input -p tcp --dport 22 -j ACCEPT\nCOMMIT\n");
	write_file(dir, "ufw_conf_after.rules",
		   "*filter\n:ufw-after-input - [0:0]\n"
		   "-A ufw-after-input -p tcp --dport 137 -j DROP\nCOMMIT\n");
	assert_true(bf_verify_is_ufw_dir(dir, BF_FAMILY_INET4));
	assert_false(bf_verify_is_ufw_dir(dir, BF_FAMILY_INET6));

	bf_log_set(quiet, NULL);
	t = bf_verify_ufw_text(dir, BF_FAMILY_INET4);
	bf_log_set(NULL, NULL);
	assert_non_null(t);
	/* ufw's own jumps, in load order, after the declarations */
	a = strstr(t, "-A INPUT -j ufw-before-input\n");
	b = strstr(t, "-A INPUT -j ufw-user-input\n");
	c = strstr(t, "-A INPUT -j ufw-after-input\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a < b && b < c);
	assert_non_null(strstr(t, "-A OUTPUT -j ufw-before-output\n"));
	assert_null(strstr(t, "ufw-user-output"));
	/* a chain only ufw's code creates is declared empty */
	assert_non_null(strstr(t, ":ufw-skip-to-policy-input - [0:0]\n"));
	rs = bf_ruleset_new();
	assert_non_null(rs);
	assert_int_equal(
		bf_ipt_parse_restore_str(rs, t, "ufw", BF_FAMILY_INET4), 0);
	bf_ruleset_free(&rs);

	errno = 0;
	assert_null(bf_verify_ufw_text(dir, BF_FAMILY_INET6));
	assert_int_equal(errno, ENOENT);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

struct seen {
	int n;
	int lines[8];
	char what[8][64];
};

static void on_rule(const struct bf_rule *rule, const char *what, void *data)
{
	struct seen *s = data;

	assert_true(s->n < 8);
	s->lines[s->n] = rule->line;
	snprintf(s->what[s->n], sizeof(s->what[0]), "%s", what);
	s->n++;
}

static void test_unsupported(void **state)
{
	static const char text[] =
		"*filter\n"
		":INPUT ACCEPT [0:0]\n"
		":FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n"
		"-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
		"-A INPUT -m physdev --physdev-in eth0 -j DROP\n"
		"-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN "
		"-j TCPMSS --clamp-mss-to-pmtu\n"
		"-A INPUT -s 192.0.2.1/32 -j DROP\n"
		"COMMIT\n";
	struct bf_ruleset *rs = bf_ruleset_new();
	struct seen s = { 0 };
	size_t want = 0, n;
	bool physdev_ok, tcpmss_ok;

	(void)state;
	assert_non_null(rs);
	assert_int_equal(
		bf_ipt_parse_restore_str(rs, text, "u", BF_FAMILY_INET4), 0);
	/* what the checker says today decides what must be listed */
	physdev_ok = bf_check_match_supported(BF_MATCH_PHYSDEV, BF_ATTACH_NF);
	tcpmss_ok = bf_check_verdict_supported(BF_VERDICT_TCPMSS);
	want = !physdev_ok + !tcpmss_ok;
	n = bf_verify_unsupported(rs, BF_FAMILY_INET4, BF_SLOT_NF, on_rule, &s);
	assert_int_equal(n, want);
	assert_int_equal(s.n, (int)want);
	if (!physdev_ok) {
		assert_int_equal(s.lines[0], 6);
		assert_string_equal(s.what[0], bf_match_name(BF_MATCH_PHYSDEV));
	}
	if (!tcpmss_ok) {
		assert_int_equal(s.lines[s.n - 1], 7);
		assert_string_equal(s.what[s.n - 1], "-j TCPMSS");
	}
	/* the other family has no rule; no callback needed */
	assert_int_equal(bf_verify_unsupported(rs, BF_FAMILY_INET6, BF_SLOT_NF,
					       NULL, NULL),
			 0);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_text),
		cmocka_unit_test(test_ufw),
		cmocka_unit_test(test_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
