// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conntrack objects (src/lib/front/nft/objects.c): `ct helper`, `ct
 * timeout`, `ct expectation` objects of ip, ip6 and inet tables are kept
 * as text and go to the kernel's table, in its block before its chains; `ct helper set`
 * stays refused in a chain bpfilter compiles; other objects (and ct
 * objects of other families) stay refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "nfttest.h"

static void test_to_kernel(void **state)
{
	static const char in[] =
		"table inet fw4 {\n"
		"\tct helper ftp {\n\t\ttype \"ftp\" protocol tcp;\n\t}\n"
		"\tct timeout t1 {\n\t\tprotocol tcp\n\t\tl3proto ip\n"
		"\t\tpolicy = { established : 100 }\n\t}\n"
		"\tchain input {\n\t\ttype filter hook input priority 0;\n"
		"\t\ttcp dport 21 accept\n\t}\n"
		"\tchain pre {\n\t\ttype filter hook prerouting priority 0;\n"
		"\t\ttcp dport 21 ct helper set \"ftp\"\n\t}\n}\n";
	static const char want[] =
		"table inet bpfilter_kernel_fw4 {\n"
		"\tct helper ftp {\n\t\ttype \"ftp\" protocol tcp;\n\t}\n\n"
		"\tct timeout t1 {\n\t\tprotocol tcp\n\t\tl3proto ip\n"
		"\t\tpolicy = { established : 100 }\n\t}\n\n"
		"\tchain pre {\n"
		"\t\ttype filter hook prerouting priority 0; policy accept;\n"
		"\t\ttcp dport 21 ct helper set \"ftp\"\n\t}\n}\n";
	struct bf_nft *nft;

	(void)state;
	nft = bft_nft_kernel_is(in, want);
	bf_nft_free(&nft);
}

static void test_objects_alone(void **state)
{
	struct bft_logcap cap;
	_cleanup_free_ char *text = NULL;
	struct bf_nft *nft;
	int r;

	(void)state;
	/* objects and filter chains only: still a kernel part (the
	 * objects), no chain of it */
	nft = bft_nft_parse(
		"table ip t {\n\tct expectation e {\n\t\tprotocol tcp\n"
		"\t\tdport 21\n\t\ttimeout 1m\n\t\tsize 12\n\t}\n"
		"\tchain input {\n\t\ttype filter hook input priority 0;\n"
		"\t}\n}\n",
		&cap, &r);
	if (r)
		fail_msg("parse: %d\n%s", r, cap.text);
	assert_true(bf_nft_has_kernel_part(nft));
	assert_int_equal(bf_nft_kernel_text(nft, &text), 0);
	if (!strstr(text, "table ip bpfilter_kernel_t {\n\tct expectation e "
			  "{\n\t\tprotocol tcp\n\t\tdport 21\n"))
		fail_msg("kernel text:\n%s", text);
	bf_nft_free(&nft);
}

static void test_refused(void **state)
{
	struct bft_logcap cap;
	struct bf_nft *nft;
	int r;

	(void)state;
	/* assigned in a chain bpfilter compiles */
	nft = bft_nft_parse(
		"table ip t {\n\tct helper ftp {\n\t\ttype \"ftp\" "
		"protocol tcp;\n\t}\n\tchain in {\n\t\ttype filter hook "
		"input priority 0;\n\t\ttcp dport 21 ct helper set "
		"\"ftp\"\n\t}\n}\n",
		&cap, &r);
	assert_null(nft);
	assert_int_equal(r, -EOPNOTSUPP);
	if (!strstr(cap.text, "t.nft:7:19: unsupported: ct helper"))
		fail_msg("log: %s", cap.text);
	/* other objects, other families */
	nft = bft_nft_parse("table ip t {\n\tcounter c {\n\t}\n}\n", &cap, &r);
	assert_null(nft);
	if (!strstr(cap.text, "t.nft:2:2: unsupported: 'counter' objects"))
		fail_msg("log: %s", cap.text);
	nft = bft_nft_parse(
		"table bridge t {\n\tct helper ftp {\n\t\ttype \"ftp\" "
		"protocol tcp;\n\t}\n}\n",
		&cap, &r);
	assert_null(nft);
	if (!strstr(cap.text, "t.nft:2:2: unsupported: 'ct' objects"))
		fail_msg("log: %s", cap.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_kernel),
		cmocka_unit_test(test_objects_alone),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
