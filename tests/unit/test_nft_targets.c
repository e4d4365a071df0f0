// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where an nft ruleset goes (src/lib/front/nft/targets.c): the targets a
 * ruleset is cut into (nf slots per priority, tc / xdp slots per netdev
 * device), the IR each one lowers to (golden iptables-save texts,
 * reviewed against nft's semantics noted next to each), and the
 * refusals of netdev chains with their positions and reasons.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "nfttest.h"

/* Parse text and cut it; returns the result of bf_nft_targets(). */
static int targets(const char *text, bool xdp, struct bf_nft **nft,
		   struct bf_nft_target **tgs, size_t *n,
		   struct bft_logcap *cap)
{
	int r;

	memset(cap, 0, sizeof(*cap));
	bf_log_set(bft_log_capture, cap);
	r = bf_nft_parse_str(text, "t.nft", nft);
	if (!r)
		r = bf_nft_targets(*nft, xdp, tgs, n);
	bf_log_set(NULL, NULL);
	return r;
}

/* Lower target i; the iptables-save text of both families in *out. */
static int lower(const struct bf_nft_target *tg, char **out,
		 struct bft_logcap *cap)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	int r;

	assert_non_null(rs);
	memset(cap, 0, sizeof(*cap));
	bf_log_set(bft_log_capture, cap);
	r = bf_nft_lower_target(tg, rs, false);
	bf_log_set(NULL, NULL);
	*out = r ? NULL : bft_ipt_text(rs, BFT_ALL_FAMILIES);
	bf_ruleset_free(&rs);
	return r;
}

/* iptables-save text of a family up to the rules of chain c */
#define HEAD_C                                                                 \
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"                \
	":OUTPUT ACCEPT [0:0]\n:c - [0:0]\n-A INPUT -j c\n"

/* `text` has one target (no XDP): lower() it. */
static int lower_one(const char *text, char **out, struct bft_logcap *cap)
{
	struct bf_nft *nft = NULL;
	struct bf_nft_target *tgs = NULL;
	size_t n = 0;
	int r;

	assert_int_equal(targets(text, false, &nft, &tgs, &n, cap), 0);
	assert_int_equal(n, 1);
	r = lower(&tgs[0], out, cap);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);
	return r;
}

static const char mixed[] =
	"table inet a {\n"
	"\tchain late {\n"
	"\t\ttype filter hook input priority 10; policy accept;\n"
	"\t\tip daddr 192.0.2.7 drop\n"
	"\t}\n"
	"\tchain early {\n"
	"\t\ttype filter hook input priority -10; policy accept;\n"
	"\t\tudp dport 7 accept\n"
	"\t\tjump common\n"
	"\t}\n"
	"\tchain common {\n"
	"\t\tip saddr 192.0.2.1 drop\n"
	"\t}\n"
	"\tchain unused {\n"
	"\t\tudp dport 9 drop\n"
	"\t}\n"
	"}\n"
	"table netdev n {\n"
	"\tchain i0 {\n"
	"\t\ttype filter hook ingress device \"eth0\" priority 0;\n"
	"\t\tip saddr 203.0.113.0/24 drop\n"
	"\t\tudp dport 53 jump dns\n"
	"\t}\n"
	"\tchain e1 {\n"
	"\t\ttype filter hook egress device \"eth1\" priority 0;\n"
	"\t\tip6 daddr 2001:db8::/32 drop\n"
	"\t}\n"
	"\tchain e0 {\n"
	"\t\ttype filter hook egress device \"eth0\" priority 0;\n"
	"\t\tudp sport 53 accept\n"
	"\t}\n"
	"\tchain dns {\n"
	"\t\tip6 saddr 2001:db8::1 drop\n"
	"\t}\n"
	"}\n";

static bool view_has(const struct bf_nft_target *tg, const char *chain)
{
	for (size_t t = 0; t < tg->view.n_tables; t++)
		if (bf_nft_chain_find(&tg->view.tables[t], chain))
			return true;
	return false;
}

/* Priorities sorted, one nf target each; devices in order of first
 * appearance; the first nf target has every regular chain, the others
 * those their base chains reach. */
static void test_cut(void **state)
{
	struct bf_nft *nft = NULL;
	struct bf_nft_target *tgs = NULL;
	struct bft_logcap cap;
	size_t n = 0;
	(void)state;

	assert_int_equal(targets(mixed, false, &nft, &tgs, &n, &cap), 0);
	assert_int_equal(n, 4);
	assert_int_equal(tgs[0].kind, BF_NFT_TARGET_NF);
	assert_int_equal(tgs[0].priority, -10);
	assert_true(view_has(&tgs[0], "early"));
	assert_true(view_has(&tgs[0], "common"));
	assert_true(view_has(&tgs[0], "unused"));
	assert_false(view_has(&tgs[0], "late"));
	assert_false(view_has(&tgs[0], "i0"));
	assert_int_equal(tgs[1].kind, BF_NFT_TARGET_NF);
	assert_int_equal(tgs[1].priority, 10);
	assert_true(view_has(&tgs[1], "late"));
	assert_false(view_has(&tgs[1], "early"));
	assert_false(view_has(&tgs[1], "common"));
	assert_false(view_has(&tgs[1], "unused"));
	assert_int_equal(tgs[2].kind, BF_NFT_TARGET_TC);
	assert_string_equal(tgs[2].ifname, "eth0");
	assert_true(view_has(&tgs[2], "i0"));
	assert_true(view_has(&tgs[2], "e0"));
	assert_true(view_has(&tgs[2], "dns"));
	assert_false(view_has(&tgs[2], "e1"));
	assert_false(view_has(&tgs[2], "early"));
	assert_int_equal(tgs[3].kind, BF_NFT_TARGET_TC);
	assert_string_equal(tgs[3].ifname, "eth1");
	assert_true(view_has(&tgs[3], "e1"));
	assert_false(view_has(&tgs[3], "i0"));
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);

	/* xdp: ingress to xdp-eth0; the egress chains are refused */
	assert_int_equal(targets(mixed, true, &nft, &tgs, &n, &cap),
			 -EOPNOTSUPP);
	assert_non_null(strstr(cap.text, "t.nft:24:8: unsupported: netdev "
					 "chain e1: hook egress with --hook "
					 "xdp"));
	assert_non_null(strstr(cap.text, "t.nft:28:8:"));
	bf_nft_free(&nft);

	/* no netdev, one priority: the one nf target at 0 as before */
	assert_int_equal(targets("table ip t {\n\tchain c {\n\t\ttype filter "
				 "hook input priority 0;\n\t}\n}\n",
				 false, &nft, &tgs, &n, &cap),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(tgs[0].kind, BF_NFT_TARGET_NF);
	assert_int_equal(tgs[0].priority, 0);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);
	assert_int_equal(
		targets("flush ruleset\n", false, &nft, &tgs, &n, &cap), 0);
	assert_int_equal(n, 1);
	assert_int_equal(tgs[0].priority, 0);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);

	/* the kernel refuses these priorities to BPF links */
	assert_int_equal(targets("table ip t {\n\tchain c {\n\t\ttype filter "
				 "hook input priority -2147483648;\n\t}\n}\n",
				 false, &nft, &tgs, &n, &cap),
			 -EOPNOTSUPP);
	assert_non_null(strstr(cap.text, "priority -2147483648: the kernel "
					 "refuses NF_IP_PRI_FIRST"));
	bf_nft_free(&nft);
}

/* The IR of each target: an accept in "early" no longer needs refusing
 * (its own slot at -10); netdev chains give both families, a rule with
 * an ip field only IPv4's, and ingress / egress are INPUT / OUTPUT. */
static void test_lower(void **state)
{
	struct bf_nft *nft = NULL;
	struct bf_nft_target *tgs = NULL;
	struct bft_logcap cap;
	char *got = NULL;
	size_t n = 0;
	(void)state;

	assert_int_equal(targets(mixed, false, &nft, &tgs, &n, &cap), 0);
	assert_int_equal(lower(&tgs[1], &got, &cap), 0);
	assert_string_equal(got, "*filter\n:INPUT ACCEPT [0:0]\n"
				 ":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
				 ":late - [0:0]\n-A INPUT -j late\n"
				 "-A late -d 192.0.2.7/32 -j DROP\n"
				 "COMMIT\n"
				 "*filter\n:INPUT ACCEPT [0:0]\n"
				 ":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
				 ":late - [0:0]\n-A INPUT -j late\n"
				 "COMMIT\n");
	free(got);
	assert_int_equal(lower(&tgs[2], &got, &cap), 0);
	/* IPv4 has the saddr rule, IPv6 the dns chain's rule */
	assert_non_null(strstr(got, "-A INPUT -j i0\n"));
	assert_non_null(strstr(got, "-A OUTPUT -j e0\n"));
	assert_non_null(strstr(got, "-A i0 -s 203.0.113.0/24 -j DROP\n"));
	assert_non_null(strstr(got, "-A dns -s 2001:db8::1/128 -j DROP\n"));
	assert_null(strstr(got, ":e1 "));
	free(got);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);
}

/* A netdev target with `meta protocol != { ip, ip6 } accept` first:
 * the rule is no IR rule (it matches no IPv4 nor IPv6 packet), and
 * frames of neither family are accepted by the chain, as bpfilter's tc
 * programs do; policy drop is then exact. */
static void test_nonip(void **state)
{
	static const char text[] =
		"table netdev t {\n"
		"\tchain c {\n"
		"\t\ttype filter hook ingress device \"eth0\" priority 0; "
		"policy drop;\n"
		"\t\tmeta protocol != { ip, ip6 } accept\n"
		"\t\tmeta protocol ip6 accept\n"
		"\t\tip daddr 192.0.2.53 accept\n"
		"\t}\n"
		"}\n";
	struct bft_logcap cap;
	char *got = NULL;
	(void)state;

	assert_int_equal(lower_one(text, &got, &cap), 0);
	assert_string_equal(got, HEAD_C "-A c -d 192.0.2.53/32 -j ACCEPT\n"
					"-A c -j DROP\nCOMMIT\n" HEAD_C
					"-A c -j ACCEPT\n"
					"-A c -j DROP\nCOMMIT\n");
	free(got);
}

static void refused(const char *chain_body, const char *want)
{
	char text[1024];
	struct bft_logcap cap;
	char *got = NULL;

	snprintf(text, sizeof(text),
		 "table netdev t {\n\tchain c {\n\t\ttype filter hook ingress "
		 "device \"eth0\" priority 0;%s\n\t}\n\tchain r {\n"
		 "\t\tip saddr 192.0.2.9 drop\n\t}\n}\n",
		 chain_body);
	assert_int_equal(lower_one(text, &got, &cap), -EOPNOTSUPP);
	if (!strstr(cap.text, want))
		fail_msg("log lacks \"%s\":\n%s", want, cap.text);
}

static void test_refusals(void **state)
{
	(void)state;
	refused(" policy drop;\n\t\tudp dport 53 accept",
		"t.nft:2:8: unsupported: netdev chain c may drop frames that "
		"are neither IPv4 nor IPv6 (policy drop)");
	refused("\n\t\tmeta mark 0x1 drop",
		"netdev chain c may drop frames that are neither IPv4 nor "
		"IPv6 (a rule that can match them drops)");
	refused("\n\t\tmeta protocol arp jump r\n\t\tjump x\n\t}\n\tchain x "
		"{\n\t\tdrop",
		"(a rule that can match them drops)");
	refused("\n\t\treject", "(a rule that can match them drops)");
	refused("\n\t\tct state established accept",
		"t.nft:4:3: unsupported: ct in netdev chain c: at ingress "
		"conntrack has not seen the packet yet");
	refused("\n\t\tmeta nfproto ipv4 accept",
		"meta nfproto in netdev chain c");
	refused("\n\t\tmeta length 100 accept",
		"meta length in netdev chain c");
}

/* What passes the non-IP analysis: rules that cannot match such frames
 * (network and transport fields, meta l4proto, meta protocol ip), a
 * jump to a chain that only drops IP packets. */
static void test_nonip_ok(void **state)
{
	static const char *const bodies[] = {
		" policy accept;\n\t\tip saddr 192.0.2.1 drop",
		"\n\t\ttcp dport 22 drop\n\t\tmeta l4proto udp drop",
		"\n\t\tmeta protocol { ip, ip6 } drop",
		"\n\t\tmeta protocol ip jump r\n\t\tjump r",
		" policy drop;\n\t\tmeta protocol != ip6 meta protocol != ip "
		"accept",
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		char text[1024], *got = NULL;
		struct bft_logcap cap;

		snprintf(text, sizeof(text),
			 "table netdev t {\n\tchain c {\n\t\ttype filter hook "
			 "ingress device \"eth0\" priority 0;%s\n\t}\n"
			 "\tchain r {\n\t\tip saddr 192.0.2.9 drop\n\t}\n}\n",
			 bodies[i]);
		if (lower_one(text, &got, &cap))
			fail_msg("case %zu refused: %s", i, cap.text);
		free(got);
	}
}

/* inet (lower.c's rule_families()): `meta protocol|nfproto` with a set
 * selects the families of its elements, no rule per element */
static void test_inet_proto_set(void **state)
{
	static const char text[] =
		"table inet t {\n"
		"\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tmeta protocol != { ip, ip6 } accept\n"
		"\t\tmeta nfproto { ipv6 } ip6 saddr 2001:db8::1 drop\n"
		"\t\tmeta protocol { ip, ip6 } ip daddr 192.0.2.1 drop\n"
		"\t}\n"
		"}\n";
	struct bft_logcap cap;
	char *got = NULL;
	(void)state;

	assert_int_equal(lower_one(text, &got, &cap), 0);
	assert_string_equal(got, HEAD_C
			    "-A c -d 192.0.2.1/32 -j DROP\nCOMMIT\n" HEAD_C
			    "-A c -s 2001:db8::1/128 -j DROP\nCOMMIT\n");
	free(got);
}

/* Priority tokens of nf slot names */
static void test_prio_token(void **state)
{
	static const int prios[] = { 0,	   10,	       -10,
				     -300, 2147483647, -2147483647 - 1 };
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(prios); i++) {
		char tok[16];
		int back = 12345;
		bf_nf_prio_token(prios[i], tok, sizeof(tok));
		if (!prios[i]) {
			assert_string_equal(tok, "");
			continue;
		}
		assert_true(bf_nf_prio_parse(tok, &back));
		assert_int_equal(back, prios[i]);
	}
	{
		int p;
		assert_false(bf_nf_prio_parse("eth0", &p));
		assert_false(bf_nf_prio_parse("p", &p));
		assert_false(bf_nf_prio_parse("p010", &p));
		assert_false(bf_nf_prio_parse("m2147483649", &p));
		assert_false(bf_nf_prio_parse(NULL, &p));
		assert_true(bf_nf_prio_parse("p0", &p));
		assert_int_equal(p, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_lower),
		cmocka_unit_test(test_nonip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_nonip_ok),
		cmocka_unit_test(test_prio_token),
		cmocka_unit_test(test_inet_proto_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
