// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft's `ether daddr` and `ether type` (BF_MATCH_ETH_DADDR,
 * BF_MATCH_ETH_TYPE, cgen/m_ether.c): the lowered IR as iptables-save
 * text (bpfilter's -m nftether, front/ipt/mod_nft.c), that text read back
 * to the same rules (what apply and the saved state do), the IR printed
 * as nft (`save --format nft`) lowering to the same rules, and the
 * refusals with their positions. Verdicts against the kernel's nftables:
 * tests/diff/rulesets-nft/feature-ether.nft, netdev-ether.nft (diff_nft).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "nfttest.h"
#include "check/check.h"

static const char rules[] =
	"table ip t {\n"
	"\tchain c {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tether daddr 02:bf:d1:00:01:01 udp dport 1 drop\n"
	"\t\tether daddr != ff:ff:ff:ff:ff:ff accept\n"
	"\t\tether type ip accept\n"
	"\t\tether type != vlan drop\n"
	"\t\tether type 0x88a8 drop\n"
	"\t\tether saddr 2:0:0:0:0:1 ether daddr 2:0:0:0:0:2 accept\n"
	"\t\tvlan id 10 accept\n"
	"\t\tvlan id != 4000-4095 vlan pcp 5 drop\n"
	"\t\tvlan cfi 1 drop\n"
	"\t\tvlan id { 1, 7 } drop\n"
	"\t\tvlan type ip accept\n"
	"\t\tvlan type != 0x86dd-0x88a8 drop\n"
	"\t}\n"
	"}\n";

static const char want4[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n:c - [0:0]\n-A INPUT -j c\n"
	"-A c -m nftether --nft-ether-daddr 02:bf:d1:00:01:01 -p udp "
	"-m nft --l4hdr 17:4 --dport 1 -j DROP\n"
	"-A c -m nftether ! --nft-ether-daddr ff:ff:ff:ff:ff:ff -j ACCEPT\n"
	"-A c -m nftether --nft-ether-type 0x0800 -j ACCEPT\n"
	"-A c -m nftether ! --nft-ether-type 0x8100 -j DROP\n"
	"-A c -m nftether --nft-ether-type 0x88a8 -j DROP\n"
	/* nft lists adjacent fields of one header in header order */
	"-A c -m nftether --nft-ether-daddr 02:00:00:00:00:02 "
	"-m mac --mac-source 02:00:00:00:00:01 -j ACCEPT\n"
	"-A c -m nftether --nft-vlan-id 10 -j ACCEPT\n"
	"-A c -m nftether ! --nft-vlan-id 4000:4095 "
	"-m nftether --nft-vlan-pcp 5 -j DROP\n"
	"-A c -m nftether --nft-vlan-dei 1 -j DROP\n"
	"-A c -m nftether --nft-vlan-id 1 -j DROP\n"
	"-A c -m nftether --nft-vlan-id 7 -j DROP\n"
	"-A c -m nftether --nft-vlan-type 0x0800 -j ACCEPT\n"
	"-A c -m nftether ! --nft-vlan-type 0x86dd:0x88a8 -j DROP\n"
	"COMMIT\n";

/* lowered, read back, printed as nft and lowered again */
static void test_lower_roundtrip(void **state)
{
	struct bf_ruleset *rs = bft_nft_lower_ok(rules);
	_cleanup_free_ char *got = NULL, *again = NULL, *nfttext = NULL;
	struct bf_ruleset *rs2 = bf_ruleset_new(), *rs3 = bf_ruleset_new();
	struct bf_nft *nft = NULL;

	(void)state;
	got = bft_ipt_text(rs, BF_FAMILY_INET4);
	if (strcmp(got, want4))
		fail_msg("lowered:\n%s\nwanted:\n%s", got, want4);
	assert_int_equal(bf_ipt_parse_restore_str(rs2, got, "lowered",
						  BF_FAMILY_INET4),
			 0);
	/* read back, -p comes first (the rule's protocol, iptables'
	 * order); both matches are pure tests, the order does not
	 * change a verdict */
	again = bft_ipt_text(rs2, BF_FAMILY_INET4);
	{
		const char *a = "-A c -m nftether --nft-ether-daddr "
				"02:bf:d1:00:01:01 -p udp -m nft",
			   *b = "-A c -p udp -m nftether --nft-ether-daddr "
				"02:bf:d1:00:01:01 -m nft";
		char *p = strstr(got, a);

		assert_non_null(p);
		assert_int_equal(strlen(a), strlen(b));
		memcpy(p, b, strlen(b));
		assert_string_equal(again, got);
	}

	nfttext = bft_nft_ir_text(rs, BF_FAMILY_INET4);
	assert_non_null(strstr(nfttext, "ether daddr != ff:ff:ff:ff:ff:ff"));
	assert_non_null(strstr(nfttext, "ether type 0x88a8"));
	if (bf_nft_parse_str(nfttext, "printed.nft", &nft) ||
	    bf_nft_lower(nft, rs3))
		fail_msg("the printed IR does not read back:\n%s", nfttext);
	assert_non_null(bf_ruleset_chain(rs, BF_FAMILY_INET4, "c"));
	bft_same_rules(rs, rs3, "c", false, nfttext);
	bf_nft_free(&nft);
	bf_ruleset_free(&rs);
	bf_ruleset_free(&rs2);
	bf_ruleset_free(&rs3);
}

/* the text form's errors */
static void test_text_errors(void **state)
{
	static const char *bad[] = {
		"-A INPUT -m nftether --nft-ether-daddr 02:00:00:00:00 -j DROP",
		"-A INPUT -m nftether --nft-ether-daddr 02:00:00:00:00:0g -j DROP",
		"-A INPUT -m nftether --nft-ether-type 0x10000 -j DROP",
		"-A INPUT -m nftether -j DROP",
		"-A INPUT -m nftether --nft-ether-type 1 --nft-ether-daddr 02:00:00:00:00:01 -j DROP",
		"-A INPUT -m nftether --nft-vlan-id 4096 -j DROP",
		"-A INPUT -m nftether --nft-vlan-pcp 8 -j DROP",
		"-A INPUT -m nftether --nft-vlan-dei 0:2 -j DROP",
		"-A INPUT -m nftether --nft-vlan-id 9:3 -j DROP",
		"-A INPUT -m nftether --nft-vlan-type 0x10000 -j DROP",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[256];
		struct bft_logcap cap;

		snprintf(text, sizeof(text), "*filter\n%s\nCOMMIT\n", bad[i]);
		if (!bft_ipt_restore(text, "t", &cap))
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(cap.text, "nftether"));
	}
}

/* what stays refused, with positions */
static void test_refused(void **state)
{
	static const struct {
		const char *rule, *why;
	} cases[] = {
		{ "ether type 0x0800-0x86dd drop",
		  "t.nft:3:3: unsupported: ether type in this form" },
		{ "ether daddr & ff:00:00:00:00:00 == 02:00:00:00:00:00 drop",
		  "t.nft:3:15: unsupported: bitwise operations on ether_addr" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[512];
		struct bft_logcap cap;
		int r;
		struct bf_ruleset *rs;

		snprintf(text, sizeof(text),
			 "table ip t {\n\tchain c {\n\t\t%s\n\t}\n}\n",
			 cases[i].rule);
		rs = bft_nft_lower(text, &cap, &r);
		assert_null(rs);
		assert_int_not_equal(r, 0);
		if (!strstr(cap.text, cases[i].why))
			fail_msg("%s: log lacks \"%s\":\n%s", cases[i].rule,
				 cases[i].why, cap.text);
	}
}

/* the vlan match is refused at XDP (a tagged frame is not IP to the
 * prologue there), kept at tc and netfilter */
static void test_vlan_xdp(void **state)
{
	(void)state;
	assert_true(bf_check_match_supported(BF_MATCH_VLAN, BF_ATTACH_NF));
	assert_true(bf_check_match_supported(BF_MATCH_VLAN, BF_ATTACH_TC));
	assert_false(bf_check_match_supported(BF_MATCH_VLAN, BF_ATTACH_XDP));
	assert_true(bf_check_match_supported(BF_MATCH_ETH_TYPE, BF_ATTACH_XDP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lower_roundtrip),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_vlan_xdp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
