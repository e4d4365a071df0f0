// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft text -> IR, checked through the IR's canonical iptables-save form
 * (golden texts below, reviewed by hand against the nft semantics noted
 * next to each), and the front end's error texts with their positions.
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
#include "bpfilter/set.h"
#include "set/ipset.h"
#include "nfttest.h"

/* Lower `text`; returns the result, the iptables-save text of both
 * families in *out (malloc'd) and the log in cap. */
static int lower(const char *text, char **out, struct bft_logcap *cap)
{
	int r;
	struct bf_ruleset *rs = bft_nft_lower(text, cap, &r);

	*out = rs ? bft_ipt_text(rs, BFT_ALL_FAMILIES) : NULL;
	bf_ruleset_free(&rs);
	return r;
}

#define EMPTY6                                                                 \
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"                \
	":OUTPUT ACCEPT [0:0]\nCOMMIT\n"

static void check(const char *nft, const char *want)
{
	struct bft_logcap cap;
	char *got;
	int r = lower(nft, &got, &cap);

	if (r)
		fail_msg("lowering failed (%d): %s", r, cap.text);
	if (strcmp(got, want))
		fail_msg("lowered:\n%s\nwanted:\n%s", got, want);
	free(got);
}

/* inet: both families; an ip6 field keeps its rule out of IPv4; a set
 * of ports is one rule per port; policy drop is a final DROP. */
static void test_inet(void **state)
{
	(void)state;
	check("table inet t {\n"
	      "\tchain in {\n"
	      "\t\ttype filter hook input priority 0; policy drop;\n"
	      "\t\tiifname \"lo\" accept\n"
	      "\t\ttcp dport { 22, 80 } accept\n"
	      "\t\tip6 saddr 2001:db8::/32 udp dport 53 accept\n"
	      "\t}\n"
	      "}\n",
	      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n:in - [0:0]\n"
	      "-A INPUT -j in\n"
	      "-A in -i lo -j ACCEPT\n"
	      "-A in -p tcp -m nft --l4hdr 6:4 --dport 22 -j ACCEPT\n"
	      "-A in -p tcp -m nft --l4hdr 6:4 --dport 80 -j ACCEPT\n"
	      "-A in -j DROP\nCOMMIT\n"
	      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n:in - [0:0]\n"
	      "-A INPUT -j in\n"
	      "-A in -i lo -j ACCEPT\n"
	      "-A in -m nft --l4proto 6 --l4hdr 6:4 --dport 22 -j ACCEPT\n"
	      "-A in -m nft --l4proto 6 --l4hdr 6:4 --dport 80 -j ACCEPT\n"
	      "-A in -s 2001:db8::/32 -m nft --l4proto 17 --l4hdr 17:4 --dport 53 -j ACCEPT\n"
	      "-A in -j DROP\nCOMMIT\n");
}

/* != { a, b }: a helper chain returning on each element; vmap: one rule
 * per element; tcp flags & mask == value. */
static void test_negset_vmap(void **state)
{
	(void)state;
	check("table ip t {\n"
	      "\tchain in {\n"
	      "\t\ttype filter hook input priority 0;\n"
	      "\t\tip saddr != { 192.0.2.0/24, 198.51.100.0/24 } tcp dport 22 drop\n"
	      "\t\ttcp dport vmap { 80 : jump web, 81 : drop }\n"
	      "\t}\n"
	      "\tchain web {\n"
	      "\t\ttcp flags & (syn | ack) == syn return\n"
	      "\t}\n"
	      "}\n",
	      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n:in - [0:0]\n:nft.1 - [0:0]\n:web - [0:0]\n"
	      "-A INPUT -j in\n"
	      "-A in -p tcp -m nft --l4hdr 6:4 --dport 22 -j nft.1\n"
	      "-A in -p tcp -m nft --l4hdr 6:4 --dport 80 -j web\n"
	      "-A in -p tcp -m nft --l4hdr 6:4 --dport 81 -j DROP\n"
	      "-A nft.1 -s 192.0.2.0/24 -j RETURN\n"
	      "-A nft.1 -s 198.51.100.0/24 -j RETURN\n"
	      "-A nft.1 -j DROP\n"
	      "-A web -p tcp -m nft --l4hdr 6:14 --tcp-flags 0x12/0x02 -j RETURN\n"
	      "COMMIT\n" EMPTY6);
}

/* Base chains of one hook run in priority order: a drop-only chain
 * before another lowers exactly. */
static void test_priorities(void **state)
{
	(void)state;
	check("table ip b {\n"
	      "\tchain y {\n"
	      "\t\ttype filter hook input priority filter + 5; policy drop;\n"
	      "\t\tct state established accept\n"
	      "\t}\n"
	      "}\n"
	      "table ip a {\n"
	      "\tchain x {\n"
	      "\t\ttype filter hook input priority raw;\n"
	      "\t\tudp dport 9 drop\n"
	      "\t}\n"
	      "}\n",
	      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n:x - [0:0]\n:y - [0:0]\n"
	      "-A INPUT -j x\n-A INPUT -j y\n"
	      "-A x -p udp -m nft --l4hdr 17:4 --dport 9 -j DROP\n"
	      "-A y -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
	      "-A y -j DROP\n"
	      "COMMIT\n" EMPTY6);
}

static void refused(const char *nft, int want_r, const char *want_msg)
{
	struct bft_logcap cap;
	char *got;
	int r = lower(nft, &got, &cap);

	free(got);
	if (r != want_r)
		fail_msg("got %d, wanted %d; log: %s", r, want_r, cap.text);
	if (!strstr(cap.text, want_msg))
		fail_msg("log lacks \"%s\":\n%s", want_msg, cap.text);
}

/* An accept in a base chain followed by another on its hook ends only
 * that base chain (nf_hook_slow()): NFTNEXT, in the base chain and in the
 * chains it reaches, returns to the built-in chain, which jumps to the
 * next base chain. Equal priorities run in the reverse of their
 * declaration (nf_hook_entries_grow()): y before z. A goto from a base
 * chain with policy drop goes through its helper nft.1. */
static void test_continuations(void **state)
{
	(void)state;
	check("table ip b {\n"
	      "\tchain y {\n"
	      "\t\ttype filter hook input priority -10;\n"
	      "\t\tct state established accept\n"
	      "\t}\n"
	      "\tchain x {\n"
	      "\t\ttype filter hook input priority 10;\n"
	      "\t\tudp dport 9 drop\n"
	      "\t}\n"
	      "}\n",
	      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n:x - [0:0]\n:y - [0:0]\n"
	      "-A INPUT -j y\n-A INPUT -j x\n"
	      "-A x -p udp -m nft --l4hdr 17:4 --dport 9 -j DROP\n"
	      "-A y -m conntrack --ctstate ESTABLISHED -j NFTNEXT\n"
	      "COMMIT\n" EMPTY6);
	check("table ip b {\n"
	      "\tchain z {\n"
	      "\t\ttype filter hook input priority 0;\n"
	      "\t\ttcp dport 22 drop\n"
	      "\t}\n"
	      "}\n"
	      "table ip a {\n"
	      "\tchain sub {\n"
	      "\t\ttcp dport 22 accept\n"
	      "\t\tudp dport 53 accept\n"
	      "\t}\n"
	      "\tchain y {\n"
	      "\t\ttype filter hook input priority 0; policy drop;\n"
	      "\t\tjump sub\n"
	      "\t\tgoto sub\n"
	      "\t}\n"
	      "}\n",
	      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n:nft.1 - [0:0]\n"
	      ":sub - [0:0]\n:y - [0:0]\n:z - [0:0]\n"
	      "-A INPUT -j y\n-A INPUT -j z\n"
	      "-A nft.1 -j sub\n-A nft.1 -j DROP\n"
	      "-A sub -p tcp -m nft --l4hdr 6:4 --dport 22 -j NFTNEXT\n"
	      "-A sub -p udp -m nft --l4hdr 17:4 --dport 53 -j NFTNEXT\n"
	      "-A y -j sub\n-A y -j nft.1\n-A y -j DROP\n"
	      "-A z -p tcp -m nft --l4hdr 6:4 --dport 22 -j DROP\n"
	      "COMMIT\n" EMPTY6);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("table ip t {\n\tchain c {\n\t\ttype nat hook prerouting "
		"priority dstnat;\n\t}\n}\n",
		-EOPNOTSUPP,
		"t.nft:2:8: unsupported: chain c: type nat hook "
		"prerouting");
	refused("table ip t {\n\tchain c {\n\t\tlimit rate 1/second "
		"log return\n\t}\n}\n",
		-EOPNOTSUPP,
		"t.nft:3:23: unsupported: log or set statements after limit");
	refused("table ip t {\n\tchain c {\n\t\tip saddr { 10.0.0.0/8, "
		"10.1.0.0/16 } counter\n\t}\n}\n",
		-EOPNOTSUPP, "unsupported: set elements that may overlap");
}

/* The conntrack entry's tuples and protocols (s8c2): one xt_conntrack
 * test each, `!=` as its invert flag; ct l3proto asks for an entry of
 * the rule's family. Refused: address ranges, a tuple address without
 * ip/ip6; errors: proto-src/dst without a transport protocol, a tuple of
 * the family meta nfproto excludes. */
static void test_ct_tuple(void **state)
{
	(void)state;
	check("table ip t {\n"
	      "\tchain c {\n"
	      "\t\ttype filter hook input priority 0;\n"
	      "\t\tct original ip saddr 192.0.2.0/24 ct reply ip daddr != 198.51.100.1 accept\n"
	      "\t\tct protocol 6 ct original proto-dst 22 ct reply proto-src 1024-2000 drop\n"
	      "\t\tct l3proto ipv4 accept\n"
	      "\t\tct l3proto ipv6 accept\n"
	      "\t}\n"
	      "}\n",
	      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	      ":OUTPUT ACCEPT [0:0]\n:c - [0:0]\n"
	      "-A INPUT -j c\n"
	      "-A c -m conntrack --ctorigsrc 192.0.2.0/24 ! --ctrepldst 198.51.100.1 -j ACCEPT\n"
	      "-A c -m conntrack --ctproto 6 --ctorigdstport 22 --ctreplsrcport 1024:2000 -j DROP\n"
	      "-A c -m conntrack --ctstate NEW,RELATED,ESTABLISHED -j ACCEPT\n"
	      "COMMIT\n" EMPTY6);
	refused("table ip t {\n\tchain c {\n\t\tct original ip saddr "
		"192.0.2.1-192.0.2.9 accept\n\t}\n}\n",
		-EOPNOTSUPP,
		"t.nft:3:24: unsupported: ct original ip saddr: a value or a "
		"prefix");
	refused("table inet t {\n\tchain c {\n\t\tct reply daddr ::1 "
		"accept\n\t}\n}\n",
		-EOPNOTSUPP,
		"t.nft:3:6: unsupported: ct reply daddr without ip or ip6");
	refused("table ip t {\n\tchain c {\n\t\tct original proto-dst 22 "
		"accept\n\t}\n}\n",
		-EINVAL,
		"t.nft:3:3: ct original proto-dst needs the transport "
		"protocol");
	refused("table inet t {\n\tchain c {\n\t\tmeta nfproto ipv6 ct "
		"original ip saddr 192.0.2.1\n\t}\n}\n",
		-EINVAL, "conflicting protocols specified");
}

/* Errors with file:line:column, every error of the input reported. */
static void test_errors(void **state)
{
	(void)state;
	refused("table ip t {\n\tchain c {\n\t\ttcp dport\n\t\tudp sport "
		"70000\n\t}\n}\n",
		-EINVAL,
		"t.nft:3:12: syntax error: expected a value to "
		"compare with, got end of line");
	refused("table ip t {\n\tchain c {\n\t\ttcp dport\n\t\tudp sport "
		"70000\n\t}\n}\n",
		-EINVAL,
		"t.nft:4:13: '70000' is not a valid inet_service "
		"value: value out of range");
	refused("define p = 22\ntable ip t {\n\tchain c {\n\t\ttcp dport $q "
		"accept\n\t}\n}\n",
		-EINVAL, "t.nft:4:13: unknown variable '$q'");
	refused("table ip t {\n\tchain c {\n\t\tjump nowhere\n\t}\n}\n",
		-EINVAL, "t.nft:3:3: no such chain: nowhere");
	refused("table ip t {\n\tchain c {\n\t\tip saddr 1.2.3.4 fib saddr "
		". iif oif 0 drop\n\t}\n}\n",
		-EOPNOTSUPP,
		"t.nft:3:20: unsupported: 'fib' expressions other than fib "
		"daddr type");
}

/* bpfilter save --format nft: the IR printed in nft syntax parses and
 * lowers again, to the same rules under the base-chain wrappers (the
 * built-in chains print as base chains named INPUT..., which lower to
 * nft.N chains jumped to from the IR's built-in chains). */
static void test_print_ir(void **state)
{
	static const char *const src =
		"table inet t {\n"
		"\tchain in {\n"
		"\t\ttype filter hook input priority 0; policy drop;\n"
		"\t\tiifname \"eth*\" ct state established,related accept\n"
		"\t\tip saddr != { 192.0.2.0/24, 198.51.100.7 } tcp dport 22 drop\n"
		"\t\ttcp flags & (syn | ack) == syn tcp dport 1-1023 accept\n"
		"\t\ticmp type 3 icmp code 4 accept\n"
		"\t\ticmpv6 type nd-neighbor-solicit accept\n"
		"\t\tmeta mark & 0xff == 0x7 log prefix \"m \" reject\n"
		"\t\tip6 daddr 2001:db8::1-2001:db8::9 udp sport 53 counter\n"
		"\t}\n"
		"}\n";
	struct bf_nft *again = NULL;
	struct bf_ruleset *rs = bft_nft_lower_ok(src), *rs2 = bf_ruleset_new();
	char *text = bft_nft_ir_text(rs, BFT_ALL_FAMILIES);

	(void)state;
	assert_non_null(rs2);
	if (bf_nft_parse_str(text, "printed.nft", &again))
		fail_msg("the printed IR does not parse:\n%s", text);
	if (bf_nft_lower(again, rs2))
		fail_msg("the printed IR does not lower:\n%s", text);
	/* same user-chain rules, family by family */
	bft_same_rules(rs, rs2, "in", true, NULL);
	free(text);
	bf_nft_free(&again);
	bf_ruleset_free(&rs);
	bf_ruleset_free(&rs2);
}

/* bf_nft_lower_sets(): named address sets become ruleset sets (ipset
 * hash:ip / hash:net text, the form apply reads) and -m set matches;
 * sets that do not map stay inlined. Golden text reviewed by hand:
 *  - bad4 (interval): 203.0.113.100-203.0.113.110 is cut into the exact
 *    prefix cover .100/30 .104/30 .108/31 .110/32; 0.0.0.0/0 in `all`
 *    becomes the two /1 halves (ipset has no /0);
 *  - e4: no elements, still a set (elements come from `bpfilter set add`);
 *  - `!= @e4`: ! --match-set (nft: not a member);
 *  - svc (inet_service with flags timeout), long name (> 31 bytes):
 *    inlined as before (port sets without timeout map:
 *    tests/unit/test_nft_setmap.c);
 *  - bad6 in the ip6 rules only (nft keeps its elements sorted). */
static void test_sets_as_maps(void **state)
{
	static const char *const src =
		"table inet t {\n"
		"\tset bad4 { type ipv4_addr; flags interval;\n"
		"\t\telements = { 203.0.113.0/26, 203.0.113.100-203.0.113.110 } }\n"
		"\tset all { type ipv4_addr; flags interval; elements = { 0.0.0.0/0 } }\n"
		"\tset e4 { type ipv4_addr; }\n"
		"\tset bad6 { type ipv6_addr; elements = { 2001:db8::dead, 2001:db8::beef } }\n"
		"\tset svc { type inet_service; flags timeout;\n"
		"\t\telements = { 25, 110 } }\n"
		"\tset a_name_much_longer_than_ipset_allows { type ipv4_addr;\n"
		"\t\telements = { 192.0.2.1 } }\n"
		"\tchain in {\n"
		"\t\ttype filter hook input priority 0; policy accept;\n"
		"\t\tip saddr @bad4 drop\n"
		"\t\tip daddr != @e4 tcp dport 22 drop\n"
		"\t\tip saddr @all counter\n"
		"\t\tip6 saddr @bad6 drop\n"
		"\t\ttcp dport @svc drop\n"
		"\t\tip daddr @a_name_much_longer_than_ipset_allows accept\n"
		"\t}\n"
		"}\n";
	static const char *const want =
		"create bad4 hash:net family inet\n"
		"add bad4 203.0.113.0/26\n"
		"add bad4 203.0.113.100/30\n"
		"add bad4 203.0.113.104/30\n"
		"add bad4 203.0.113.108/31\n"
		"add bad4 203.0.113.110\n"
		"create e4 hash:ip family inet\n"
		"create all hash:net family inet\n"
		"add all 0.0.0.0/1\n"
		"add all 128.0.0.0/1\n"
		"create bad6 hash:ip family inet6\n"
		"add bad6 2001:db8::beef\n"
		"add bad6 2001:db8::dead\n"
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n:in - [0:0]\n"
		"-A INPUT -j in\n"
		"-A in -m set --match-set bad4 src -j DROP\n"
		"-A in -m set ! --match-set e4 dst -p tcp -m nft --l4hdr 6:4 --dport 22 -j DROP\n"
		"-A in -m set --match-set all src\n"
		"-A in -p tcp -m nft --l4hdr 6:4 --dport 25 -j DROP\n"
		"-A in -p tcp -m nft --l4hdr 6:4 --dport 110 -j DROP\n"
		"-A in -d 192.0.2.1/32 -j ACCEPT\n"
		"COMMIT\n"
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n:in - [0:0]\n"
		"-A INPUT -j in\n"
		"-A in -m set --match-set bad6 src -j DROP\n"
		"-A in -m nft --l4proto 6 --l4hdr 6:4 --dport 25 -j DROP\n"
		"-A in -m nft --l4proto 6 --l4hdr 6:4 --dport 110 -j DROP\n"
		"COMMIT\n";
	struct bf_nft *nft = NULL, *again = NULL;
	struct bf_ruleset *rs = bf_ruleset_new(), *rs2 = bf_ruleset_new();
	char *text = NULL, *nfttext = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	assert_non_null(rs);
	assert_non_null(rs2);
	assert_int_equal(bf_nft_parse_str(src, "t.nft", &nft), 0);
	assert_int_equal(bf_nft_lower_sets(nft, rs), 0);
	m = open_memstream(&text, &len);
	assert_non_null(m);
	bf_ipset_print(m, rs);
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		assert_int_equal(bf_ipt_print(m, rs, f, 0), 0);
	fclose(m);
	if (strcmp(text, want))
		fail_msg("lowered:\n%s\nwanted:\n%s", text, want);
	/* the ipset text is what apply reads back: the same sets */
	{
		struct bf_ruleset *rs3 = bf_ruleset_new();
		char *t2 = NULL;
		size_t l2 = 0;
		FILE *m2;
		assert_non_null(rs3);
		m2 = open_memstream(&t2, &l2);
		assert_non_null(m2);
		bf_ipset_print(m2, rs);
		fclose(m2);
		assert_int_equal(bf_ipset_parse_str(rs3, t2, "sets"), 0);
		assert_int_equal(rs3->n_sets, 4);
		assert_int_equal(bf_ruleset_set(rs3, "bad4")->n_elems, 5);
		assert_int_equal(bf_ruleset_set(rs3, "bad4")->interval_dim, 0);
		assert_int_equal(bf_ruleset_set(rs3, "e4")->interval_dim, -1);
		free(t2);
		bf_ruleset_free(&rs3);
	}
	/* save --format nft: the sets as nft sets (the union of the
	 * elements: adjacent pieces merged), which lower to the same */
	nfttext = bft_nft_ir_text(rs, BFT_ALL_FAMILIES);
	if (!strstr(nfttext,
		    "\tset bad4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
		    "\t\telements = { 203.0.113.0/26, "
		    "203.0.113.100-203.0.113.110 }\n\t}\n") ||
	    !strstr(nfttext,
		    "\tset all {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
		    "\t\telements = { 0.0.0.0/0 }\n\t}\n") ||
	    !strstr(nfttext, "\tset e4 {\n\t\ttype ipv4_addr\n\t}\n") ||
	    !strstr(nfttext, "ip daddr != @e4"))
		fail_msg("printed IR:\n%s", nfttext);
	if (bf_nft_parse_str(nfttext, "printed.nft", &again))
		fail_msg("the printed IR does not parse:\n%s", nfttext);
	assert_int_equal(bf_nft_lower_sets(again, rs2), 0);
	assert_int_equal(rs2->n_sets, 4);
	assert_int_equal(bf_ruleset_set(rs2, "bad4")->n_elems, 5);
	assert_int_equal(bf_ruleset_set(rs2, "all")->n_elems, 2);
	free(text);
	free(nfttext);
	bf_nft_free(&nft);
	bf_nft_free(&again);
	bf_ruleset_free(&rs);
	bf_ruleset_free(&rs2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet),
		cmocka_unit_test(test_negset_vmap),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_continuations),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ct_tuple),
		cmocka_unit_test(test_print_ir),
		cmocka_unit_test(test_sets_as_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
