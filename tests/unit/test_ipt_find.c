// SPDX-License-Identifier: GPL-2.0-only
/*
 * `iptables -D CHAIN <rule>` and `-C`: which rule a specification names.
 * iptables deletes the first rule whose entry equals the one the
 * specification gives (libiptc's is_same()), so spellings that make the
 * same entry (-s A vs -s A/32, option order, -m tcp implied by -p tcp and
 * a port) name the same rule, and anything else (a negation, another
 * prefix, another target) does not. bf_ipt_command() finds it through
 * the text the ruleset was read from when it has it (rs->src_text, the
 * state in force under bf_edit()) and by printing every rule otherwise:
 * both must give the same answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"

#define FILE_NAME "<test inet4 state>"

static const char ruleset[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":USER - [0:0]\n"
	"-A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	"-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	"-A INPUT ! -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	"-A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j DROP\n"
	"-A INPUT -i eth0 -p udp -m udp --sport 53 -j USER\n"
	"-A INPUT -d 198.51.100.0/24 -p tcp -m tcp --tcp-flags SYN,ACK SYN "
	"-j DROP\n"
	"-A INPUT\n"
	"-A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT\n"
	"-A USER -s 203.0.113.7/32 -j RETURN\n"
	"COMMIT\n";

/* A fresh ruleset read from the text above, with the text known to
 * bf_ipt_command() (with_text) or not. */
static struct bf_ruleset *load(bool with_text)
{
	struct bf_ruleset *rs = bf_ruleset_new();

	assert_non_null(rs);
	assert_int_equal(bf_ipt_parse_restore_str(rs, ruleset, FILE_NAME,
						  BF_FAMILY_INET4),
			 0);
	if (with_text) {
		rs->src_file[BF_FAMILY_INET4] =
			bf_ruleset_intern_file(rs, FILE_NAME);
		assert_non_null(rs->src_file[BF_FAMILY_INET4]);
		rs->src_text[BF_FAMILY_INET4] = ruleset;
	}
	return rs;
}

/* Run "iptables <line>" on rs: bf_ipt_command()'s result. */
static int run(struct bf_ruleset *rs, const char *line)
{
	char buf[512], *argv[64];
	struct bf_ipt_cmd cmd = { 0 };
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return bf_ipt_command(rs, BF_FAMILY_INET4, argc, argv, "iptables",
			      &cmd);
}

/* The canonical form of INPUT's rule i (0-based), printed. */
static char *rule_at(const struct bf_ruleset *rs, size_t i)
{
	const struct bf_chain *c =
		bf_ruleset_chain(rs, BF_FAMILY_INET4, "INPUT");
	char *buf = NULL;
	size_t sz = 0;
	FILE *m;

	assert_non_null(c);
	assert_true(i < c->n_rules);
	m = open_memstream(&buf, &sz);
	assert_non_null(m);
	bf_ipt_print_rule(m, &c->rules[i]);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static size_t n_input(const struct bf_ruleset *rs)
{
	return bf_ruleset_chain(rs, BF_FAMILY_INET4, "INPUT")->n_rules;
}

/* Specifications and the 0-based index of the first INPUT rule they name
 * (-1: none). */
static const struct {
	const char *spec;
	int want;
} specs[] = {
	{ "-s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT", 0 },
	{ "-s 192.0.2.1 -p tcp -m tcp --dport 22 -j ACCEPT", 0 },
	{ "-p tcp -s 192.0.2.1 --dport 22 -j ACCEPT", 0 },
	{ "-p tcp --dport 22 -s 192.0.2.1/255.255.255.255 -j ACCEPT", 0 },
	{ "--source 192.0.2.1 --protocol tcp --destination-port 22 "
	  "--jump ACCEPT",
	  0 },
	{ "-s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT", 1 },
	{ "-s 192.0.2.9/24 -p tcp --dport 22 -j ACCEPT", 1 },
	{ "! -s 192.0.2.1 -p tcp --dport 22 -j ACCEPT", 2 },
	{ "-s 192.0.2.1 -p tcp --dport 22 -j DROP", 3 },
	{ "-p udp -i eth0 --sport 53 -j USER", 4 },
	{ "-p udp -m udp --sport 53 -i eth0 -j USER", 4 },
	{ "-d 198.51.100.0/24 -p tcp --tcp-flags ACK,SYN SYN -j DROP", 5 },
	{ "", 6 },
	/* not in the chain */
	{ "-s 192.0.2.1 -p tcp --dport 23 -j ACCEPT", -1 },
	{ "-s 192.0.2.1 -p tcp --dport 22", -1 },
	{ "-s 192.0.2.1 -p tcp ! --dport 22 -j ACCEPT", -1 },
	{ "-s 192.0.2.1 -p udp --dport 22 -j ACCEPT", -1 },
	{ "-s 192.0.2.0/25 -p tcp --dport 22 -j ACCEPT", -1 },
	{ "-p udp -i eth1 --sport 53 -j USER", -1 },
	{ "-p udp -i eth0 --sport 53 -g USER", -1 },
	{ "-d 198.51.100.0/24 -p tcp --tcp-flags SYN,ACK,FIN SYN -j DROP", -1 },
	{ "-s 203.0.113.7 -j RETURN", -1 }, /* that one is in USER */
};

/* -C: found or not, with and without the text; the text in force is not
 * changed by -C. */
static void test_check(void **state)
{
	(void)state;
	for (int t = 0; t < 2; t++) {
		struct bf_ruleset *rs = load(t);

		for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
			char line[512];

			snprintf(line, sizeof(line), "-C INPUT %s",
				 specs[i].spec);
			if (run(rs, line) != (specs[i].want < 0 ? -ENOENT : 0))
				fail_msg("text %d: %s", t, line);
		}
		assert_int_equal(n_input(rs), 8);
		bf_ruleset_free(&rs);
	}
}

/* -D removes the first rule the specification names, and only it (the
 * rule after it moves up). */
static void test_delete(void **state)
{
	(void)state;
	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
			struct bf_ruleset *rs = load(t);
			_cleanup_free_ char *before = NULL, *after = NULL;
			char line[512];
			int w = specs[i].want;

			snprintf(line, sizeof(line), "-D INPUT %s",
				 specs[i].spec);
			if (w >= 0)
				before = rule_at(rs, (size_t)w + 1);
			if (run(rs, line) != (w < 0 ? -ENOENT : 0))
				fail_msg("text %d: %s", t, line);
			assert_int_equal(n_input(rs), w < 0 ? 8 : 7);
			if (w >= 0) {
				after = rule_at(rs, (size_t)w);
				assert_string_equal(before, after);
			}
			bf_ruleset_free(&rs);
		}
	}
}

/* Two equal rules: -D removes the first, then the second, then fails;
 * a rule added by an earlier command of the same transaction (no line in
 * the text) is found too. */
static void test_first_and_new(void **state)
{
	struct bf_ruleset *rs = load(true);
	const char *d = "-D INPUT -p tcp -s 192.0.2.1 --dport 22 -j ACCEPT";

	(void)state;
	assert_int_equal(run(rs, d), 0);
	assert_int_equal(n_input(rs), 7);
	/* the second copy was the last rule */
	assert_int_equal(run(rs, d), 0);
	assert_int_equal(n_input(rs), 6);
	assert_int_equal(run(rs, d), -ENOENT);
	assert_int_equal(run(rs, "-I INPUT 2 -s 192.0.2.1 -p tcp --dport 22 "
				 "-j ACCEPT"),
			 0);
	assert_int_equal(run(rs, "-A INPUT -s 192.0.2.77 -j DROP"), 0);
	assert_int_equal(run(rs, "-C INPUT -s 192.0.2.77/32 -j DROP"), 0);
	assert_int_equal(run(rs, d), 0);
	assert_int_equal(n_input(rs), 7);
	assert_int_equal(run(rs, d), -ENOENT);
	/* a rule replaced by -R is found by its new form, not its old line */
	assert_int_equal(run(rs, "-R INPUT 1 -s 192.0.2.5 -j DROP"), 0);
	assert_int_equal(run(rs, "-C INPUT -s 192.0.2.1/24 -p tcp --dport 22 "
				 "-j ACCEPT"),
			 -ENOENT);
	assert_int_equal(run(rs, "-C INPUT -s 192.0.2.5 -j DROP"), 0);
	bf_ruleset_free(&rs);
}

/* A text that does not say what the rules are (here: lines swapped
 * against the rules) is caught on the line that looks equal: the answer
 * is the printed one. */
static void test_text_checked(void **state)
{
	struct bf_ruleset *rs = load(true);
	struct bf_chain *c = bf_ruleset_chain(rs, BF_FAMILY_INET4, "INPUT");
	int l0 = c->rules[0].line;

	(void)state;
	c->rules[0].line = c->rules[3].line; /* says "-j DROP" */
	c->rules[3].line = l0; /* says "-j ACCEPT" */
	assert_int_equal(run(rs, "-D INPUT -s 192.0.2.1 -p tcp --dport 22 "
				 "-j ACCEPT"),
			 0);
	assert_int_equal(n_input(rs), 7);
	{
		_cleanup_free_ char *first = rule_at(rs, 0);

		assert_string_equal(first, "-s 192.0.2.0/24 -p tcp -m tcp "
					   "--dport 22 -j ACCEPT");
	}
	bf_ruleset_free(&rs);
}

static struct bft_logcap cap;

/* -C/-D of a rule not in the chain: iptables-legacy's text depends on the
 * target (a chain or an extension target reads "No chain/target/match by
 * that name.", as libiptc's TC_BUILTIN() call leaves iptc_fn). */
static void test_not_found_messages(void **state)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "-C INPUT -s 192.0.2.99 -j ACCEPT", "Bad rule" },
		{ "-D INPUT -s 192.0.2.99 -j DROP", "Bad rule" },
		{ "-C INPUT -s 192.0.2.99 -j RETURN", "Bad rule" },
		{ "-C INPUT -s 192.0.2.99", "Bad rule" },
		{ "-C INPUT -s 192.0.2.99 -j USER", "No chain/target/match" },
		{ "-D INPUT -s 192.0.2.99 -g USER", "No chain/target/match" },
		{ "-C INPUT -s 192.0.2.99 -j REJECT", "No chain/target/match" },
		{ "-D INPUT -s 192.0.2.99 -j LOG", "No chain/target/match" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bf_ruleset *rs = load(true);

		cap.len = 0;
		cap.text[0] = '\0';
		assert_int_equal(run(rs, cases[i].line), -ENOENT);
		if (!strstr(cap.text, cases[i].msg))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].line,
				 cap.text, cases[i].msg);
		bf_ruleset_free(&rs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_first_and_new),
		cmocka_unit_test(test_text_checked),
		cmocka_unit_test(test_not_found_messages),
	};

	bf_log_set(bft_log_capture, &cap); /* iptables' messages: quiet */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
