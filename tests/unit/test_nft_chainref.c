// SPDX-License-Identifier: GPL-2.0-only
/*
 * Chains named by verdict maps (src/lib/front/nft/chainref.c): a missing
 * chain, or a base chain, named by an element of an anonymous vmap or of
 * a named verdict map is one error at the element's position, whatever
 * part of the ruleset (bpfilter's, the kernel's nftables) the map belongs
 * to and however many families an inet table is lowered for (it used to
 * come from lowering, once per family, or from nft with the position in
 * the kernel's script).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "nfttest.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* text must be refused by bft_nft_lower() (parse and lowering) with
 * exactly one line, want. */
static void refused_once(const char *text, const char *want)
{
	struct bft_logcap cap;
	struct bf_ruleset *rs;
	int r;

	rs = bft_nft_lower(text, &cap, &r);
	if (rs) {
		bf_ruleset_free(&rs);
		fail_msg("accepted: %s", text);
	}
	assert_int_equal(r, -EINVAL);
	if (count(cap.text, want) != 1 || count(cap.text, "\n") != 1)
		fail_msg("want \"%s\" once and nothing else, log:\n%s", want,
			 cap.text);
}

static void test_anonymous(void **state)
{
	(void)state;
	refused_once("table ip t {\n\tchain in {\n\t\ttype filter hook input "
		     "priority 0;\n\t\tiifname vmap { \"e1\" : accept, \"e9\" "
		     ": jump nosuch }\n\t}\n}\n",
		     "t.nft:4:40: no such chain: nosuch");
	/* inet: lowered for IPv4 and IPv6, reported once */
	refused_once("table inet t {\n\tchain in {\n\t\ttype filter hook "
		     "input priority 0;\n\t\tiifname vmap { \"e9\" : goto "
		     "nosuch }\n\t}\n}\n",
		     "t.nft:4:25: no such chain: nosuch");
	/* in a nat chain, which goes to the kernel's nftables: ours, not
	 * nft's message with the script's position */
	refused_once("table ip t {\n\tchain pre {\n\t\ttype nat hook "
		     "prerouting priority dstnat;\n\t\tiifname vmap { \"e9\" "
		     ": jump nosuch }\n\t}\n\tchain in {\n\t\ttype filter hook "
		     "input priority 0;\n\t}\n}\n",
		     "t.nft:4:25: no such chain: nosuch");
	/* a base chain is no jump target (nft_verdict_init()) */
	refused_once("table ip t {\n\tchain in {\n\t\ttype filter hook input "
		     "priority 0;\n\t\tiifname vmap { \"e9\" : jump out }\n"
		     "\t}\n\tchain out {\n\t\ttype filter hook output priority "
		     "0;\n\t}\n}\n",
		     "t.nft:4:25: cannot jump to base chain out");
}

static void test_named_map(void **state)
{
	(void)state;
	refused_once("table inet t {\n\tmap m {\n\t\ttype ifname : verdict\n"
		     "\t\telements = { \"e1\" : drop, \"e9\" : jump nosuch }\n"
		     "\t}\n\tchain in {\n\t\ttype filter hook input priority "
		     "0;\n\t\tiifname vmap @m\n\t}\n}\n",
		     "t.nft:4:36: no such chain: nosuch");
	/* used by a nat chain only (the kernel's part) */
	refused_once("table ip t {\n\tmap m {\n\t\ttype ifname : verdict\n"
		     "\t\telements = { \"e9\" : jump nosuch }\n\t}\n"
		     "\tchain post {\n\t\ttype nat hook postrouting priority "
		     "srcnat;\n\t\toifname vmap @m\n\t}\n}\n",
		     "t.nft:4:23: no such chain: nosuch");
}

static void test_good(void **state)
{
	struct bf_ruleset *rs;

	(void)state;
	/* existing regular chains, and verdicts without chains */
	rs = bft_nft_lower_ok(
		"table inet t {\n\tmap m {\n\t\ttype ifname : verdict\n"
		"\t\telements = { \"e1\" : jump a, \"e2\" : accept }\n\t}\n"
		"\tchain in {\n\t\ttype filter hook input priority 0;\n"
		"\t\tiifname vmap @m\n\t\toifname vmap { \"e3\" : goto a, "
		"\"e4\" : drop }\n\t}\n\tchain a {\n\t\tdrop\n\t}\n}\n");
	assert_non_null(rs);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anonymous),
		cmocka_unit_test(test_named_map),
		cmocka_unit_test(test_good),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
