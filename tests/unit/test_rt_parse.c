// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip6tables -m rt: options into struct ip6t_rt values (BF_MATCH_RT), the
 * printed form (checked against ip6tables-legacy-save 1.8.9 output of the
 * same rules), and the refusals of libip6t_rt.c / rt_mt6_check().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"

static char logtext[8192];

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	size_t len = strlen(logtext);

	(void)level;
	(void)data;
	snprintf(logtext + len, sizeof(logtext) - len, "%s\n", msg);
}

#define HDR                                                                    \
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"

/* input rule -> the line ip6tables-legacy-save printed for it */
static const char *const roundtrip[][2] = {
	{ "-A INPUT -m rt --rt-type 0 -j DROP",
	  "-A INPUT -m rt --rt-type 0 -j DROP" },
	{ "-A INPUT -m rt ! --rt-type 2 --rt-segsleft 1:5 -j DROP",
	  "-A INPUT -m rt ! --rt-type 2 --rt-segsleft 1:5 -j DROP" },
	{ "-A INPUT -m rt ! --rt-segsleft 3 ! --rt-len 24 -j ACCEPT",
	  "-A INPUT -m rt ! --rt-segsleft 3 ! --rt-len 24 -j ACCEPT" },
	{ "-A INPUT -m rt --rt-type 0 --rt-0-res --rt-len 8 -j DROP",
	  "-A INPUT -m rt --rt-type 0 --rt-len 8 --rt-0-res -j DROP" },
	{ "-A INPUT -m rt --rt-segsleft 4: -j DROP",
	  "-A INPUT -m rt --rt-segsleft 4:4294967295 -j DROP" },
	{ "-A INPUT -m rt --rt-segsleft :4 -j DROP",
	  "-A INPUT -m rt --rt-segsleft 0:4 -j DROP" },
	{ "-A FORWARD -m rt --rt-type 0 --rt-0-addrs 2001:db8::1,2001:db8::2 "
	  "--rt-0-not-strict -j DROP",
	  "-A FORWARD -m rt --rt-type 0 --rt-0-addrs 2001:db8::1,2001:db8::2 "
	  "--rt-0-not-strict -j DROP" },
};

static const char *const refused[] = {
	"-A INPUT -m rt --rt-0-res -j DROP",
	"-A INPUT -m rt --rt-type 2 --rt-0-res -j DROP",
	"-A INPUT -m rt ! --rt-type 0 --rt-0-addrs 2001:db8::1 -j DROP",
	"-A INPUT -m rt --rt-type 0 --rt-0-not-strict -j DROP",
	"-A INPUT -m rt --rt-type x -j DROP",
	"-A INPUT -m rt --rt-segsleft 1:2:3 -j DROP",
	"-A INPUT -m rt --rt-type 0 --rt-type 0 -j DROP",
	"-A INPUT -m rt --rt-type 0 --rt-0-addrs 2001:db8::zz -j DROP",
	"-A INPUT -m rt --rt-type 0 ! --rt-0-res -j DROP",
};

static void test_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(roundtrip) / sizeof(roundtrip[0]); i++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		char text[512], *buf = NULL;
		size_t len = 0;
		FILE *out;

		snprintf(text, sizeof(text), HDR "%s\nCOMMIT\n",
			 roundtrip[i][0]);
		assert_int_equal(bf_ipt_parse_restore_str(rs, text, "t.rules",
							  BF_FAMILY_INET6),
				 0);
		out = open_memstream(&buf, &len);
		assert_non_null(out);
		assert_int_equal(bf_ipt_print(out, rs, BF_FAMILY_INET6, 0), 0);
		fclose(out);
		if (!strstr(buf, roundtrip[i][1]))
			fail_msg("want \"%s\" in:\n%s", roundtrip[i][1], buf);
		free(buf);
		bf_ruleset_free(&rs);
	}
}

static void test_values(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_chain *c;
	const struct bf_match *m;

	(void)state;
	assert_int_equal(
		bf_ipt_parse_restore_str(
			rs,
			HDR "-A INPUT -m rt ! --rt-type 0 --rt-segsleft 2:9 "
			    "--rt-len 0x18 -j DROP\nCOMMIT\n",
			"t.rules", BF_FAMILY_INET6),
		0);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET6, BF_HOOK_INPUT);
	assert_int_equal(c->n_rules, 1);
	m = &c->rules[0].matches[c->rules[0].n_matches - 1];
	assert_int_equal(m->type, BF_MATCH_RT);
	assert_false(m->neg);
	assert_int_equal(m->u.rt.flags, BF_RT_TYP | BF_RT_SGS | BF_RT_LEN);
	assert_int_equal(m->u.rt.invflags, BF_RT_INV_TYP);
	assert_int_equal(m->u.rt.rt_type, 0);
	assert_int_equal(m->u.rt.segsleft[0], 2);
	assert_int_equal(m->u.rt.segsleft[1], 9);
	assert_int_equal(m->u.rt.hdrlen, 24);
	bf_ruleset_free(&rs);
}

static void test_refused(void **state)
{
	(void)state;
	bf_log_set(capture, NULL);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		char text[512];

		snprintf(text, sizeof(text), HDR "%s\nCOMMIT\n", refused[i]);
		logtext[0] = '\0';
		if (bf_ipt_parse_restore_str(rs, text, "t.rules",
					     BF_FAMILY_INET6) == 0)
			fail_msg("accepted: %s", refused[i]);
		if (!strstr(logtext, "t.rules:5:"))
			fail_msg("no file:line for %s:\n%s", refused[i],
				 logtext);
		bf_ruleset_free(&rs);
	}
	/* rt is an ip6tables match */
	{
		struct bf_ruleset *rs = bf_ruleset_new();

		assert_int_not_equal(
			bf_ipt_parse_restore_str(
				rs,
				HDR
				"-A INPUT -m rt --rt-type 0 -j DROP\nCOMMIT\n",
				"t.rules", BF_FAMILY_INET4),
			0);
		bf_ruleset_free(&rs);
	}
	bf_log_set(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
