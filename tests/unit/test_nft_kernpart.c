// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's part of an nft ruleset (src/lib/front/nft/kernpart.c):
 * chains of type nat (and type filter ones at prerouting / postrouting)
 * with the regular chains and maps only they reach
 * become the nft text of table bpfilter_kernel_NAME (priorities as
 * numbers), the type filter chains are lowered without them, rules the
 * front end does not model are kept as text only there, and the splits
 * that would not be exact are refused with their position. fib daddr
 * type (fib.c): lowering, the text read back, refusals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "nfttest.h"

static const char docker_like[] =
	"table ip d {\n"
	"\tmap post {\n"
	"\t\ttype ifname : verdict\n"
	"\t\telements = { \"dk0\" : jump post-dk0 }\n"
	"\t}\n"
	"\tmap fwd {\n"
	"\t\ttype ifname : verdict\n"
	"\t\telements = { \"dk0\" : jump fwd-dk0 }\n"
	"\t}\n"
	"\tchain FWD {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t\toifname vmap @fwd\n"
	"\t}\n"
	"\tchain OUT {\n"
	"\t\ttype nat hook output priority dstnat; policy accept;\n"
	"\t\tip daddr != 127.0.0.0/8 fib daddr type local counter jump dn\n"
	"\t}\n"
	"\tchain POST {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t\tiifname vmap @post\n"
	"\t}\n"
	"\tchain dn {\n"
	"\t\ttcp dport 8080 dnat to 192.0.2.2:80 comment \"DNAT\"\n"
	"\t}\n"
	"\tchain post-dk0 {\n"
	"\t\toifname != \"dk0\" ip saddr 172.17.0.0/16 masquerade\n"
	"\t}\n"
	"\tchain fwd-dk0 {\n"
	"\t\tct state established,related accept\n"
	"\t\tdrop\n"
	"\t}\n"
	"}\n";

static const char docker_kernel[] =
	"table ip bpfilter_kernel_d {\n"
	"\tmap post {\n"
	"\t\ttype ifname : verdict\n"
	"\t\telements = { \"dk0\" : jump post-dk0 }\n"
	"\t}\n"
	"\n"
	"\tchain OUT {\n"
	"\t\ttype nat hook output priority -100; policy accept;\n"
	"\t\tip daddr != 127.0.0.0/8 fib daddr type local counter packets 0 "
	"bytes 0 jump dn\n"
	"\t}\n"
	"\n"
	"\tchain POST {\n"
	"\t\ttype nat hook postrouting priority 100; policy accept;\n"
	"\t\tiifname vmap @post\n"
	"\t}\n"
	"\n"
	"\tchain dn {\n"
	"\t\ttcp dport 8080 dnat to 192.0.2.2:80 comment \"DNAT\"\n"
	"\t}\n"
	"\n"
	"\tchain post-dk0 {\n"
	"\t\toifname != \"dk0\" ip saddr 172.17.0.0/16 masquerade\n"
	"\t}\n"
	"}\n";

static void test_split_text(void **state)
{
	struct bf_nft *nft;

	(void)state;
	nft = bft_nft_kernel_is(docker_like, docker_kernel);
	bf_nft_free(&nft);
}

/* The targets hold the filter chains only: one nf target whose lowering
 * has FWD, the map's chain, and nothing of the nat part. */
static void test_split_targets(void **state)
{
	struct bft_logcap cap;
	struct bf_nft_target *tgs = NULL;
	struct bf_ruleset *rs;
	_cleanup_free_ char *ipt = NULL;
	struct bf_nft *nft;
	size_t n = 0;
	int r;

	(void)state;
	nft = bft_nft_parse(docker_like, &cap, &r);
	assert_int_equal(r, 0);
	assert_int_equal(bf_nft_targets(nft, false, &tgs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(tgs[0].priority, 0);
	rs = bf_ruleset_new();
	assert_non_null(rs);
	assert_int_equal(bf_nft_lower_target(&tgs[0], rs, false), 0);
	ipt = bft_ipt_text(rs, BF_FAMILY_INET4);
	assert_non_null(strstr(ipt, "-A FORWARD -j FWD\n"));
	assert_non_null(strstr(ipt, "-A FWD -o dk0 -j fwd-dk0\n"));
	assert_null(strstr(ipt, "dn"));
	assert_null(strstr(ipt, "post"));
	bf_ruleset_free(&rs);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);
}

/* A rule the front end does not model, in a chain that is lowered: the
 * parser's reason, at its position, as before. */
static void test_kernel_rule_in_filter(void **state)
{
	struct bft_logcap cap;
	struct bf_nft *nft;
	int r;

	(void)state;
	nft = bft_nft_parse(
		"table ip t {\n\tchain c {\n\t\ttype filter hook input "
		"priority 0;\n\t\ttcp dport 1 dnat to 192.0.2.1\n\t}\n}\n",
		&cap, &r);
	assert_null(nft);
	assert_int_equal(r, -EOPNOTSUPP);
	if (!strstr(cap.text, "t.nft:4:15: unsupported: 'dnat' statement"))
		fail_msg("log: %s", cap.text);
	/* reached from a nat chain and from a filter chain: refused too */
	nft = bft_nft_parse(
		"table ip t {\n\tchain n {\n\t\ttype nat hook prerouting "
		"priority dstnat;\n\t\tjump x\n\t}\n"
		"\tchain f {\n\t\ttype filter hook input priority 0;\n"
		"\t\tjump x\n\t}\n"
		"\tchain x {\n\t\tmasquerade\n\t}\n}\n",
		&cap, &r);
	assert_null(nft);
	assert_int_equal(r, -EOPNOTSUPP);
	if (!strstr(cap.text, "t.nft:11:3: unsupported: 'masquerade'"))
		fail_msg("log: %s", cap.text);
}

static void refused_text(const char *in, const char *want)
{
	struct bft_logcap cap;
	_cleanup_free_ char *text = NULL;
	struct bf_nft *nft;
	bf_log_fn ofn;
	void *odata;
	int r;

	nft = bft_nft_parse(in, &cap, &r);
	if (r)
		fail_msg("parse: %d\n%s", r, cap.text);
	memset(&cap, 0, sizeof(cap));
	bf_log_get(&ofn, &odata);
	bf_log_set(bft_log_capture, &cap);
	r = bf_nft_kernel_text(nft, &text);
	bf_log_set(ofn, odata);
	bf_nft_free(&nft);
	assert_int_equal(r, -EOPNOTSUPP);
	assert_null(text);
	if (!strstr(cap.text, want))
		fail_msg("log lacks \"%s\":\n%s", want, cap.text);
}

static void test_split_refusals(void **state)
{
	(void)state;
	/* one set, two copies: `bpfilter set` would change one */
	refused_text("table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n"
		     "\tchain n {\n\t\ttype nat hook prerouting priority "
		     "dstnat;\n\t\tip saddr @s accept\n\t}\n"
		     "\tchain f {\n\t\ttype filter hook input priority 0;\n"
		     "\t\tip saddr @s drop\n\t}\n}\n",
		     "t.nft:2:6: unsupported: set s is used by chains "
		     "bpfilter compiles");
	/* a nat chain at a filter chain's hook and priority */
	refused_text("table ip t {\n\tchain n {\n\t\ttype nat hook output "
		     "priority 0;\n\t}\n"
		     "\tchain f {\n\t\ttype filter hook output priority 0;\n"
		     "\t}\n}\n",
		     "t.nft:2:8: unsupported: chain n: type nat at the hook "
		     "and priority (0) of type filter chain f");
}

static void test_fib(void **state)
{
	struct bft_logcap cap;
	struct bf_ruleset *rs;
	_cleanup_free_ char *ipt = NULL;
	int r;

	(void)state;
	rs = bft_nft_lower_ok(
		"table ip t {\n\tchain c {\n\t\ttype filter hook input "
		"priority 0;\n\t\tfib daddr type local udp dport 7 drop\n"
		"\t\tfib daddr type != multicast accept\n\t}\n}\n");
	ipt = bft_ipt_text(rs, BF_FAMILY_INET4);
	if (!strstr(ipt, "-m addrtype --dst-type LOCAL") ||
	    !strstr(ipt, "-m addrtype ! --dst-type MULTICAST"))
		fail_msg("%s", ipt);
	assert_int_equal(bft_ipt_restore(ipt, "t", &cap), 0);
	bf_ruleset_free(&rs);
	/* IPv6: refused with the reason */
	rs = bft_nft_lower("table ip6 t {\n\tchain c {\n\t\ttype filter hook "
			   "input priority 0;\n\t\tfib daddr type local "
			   "drop\n\t}\n}\n",
			   &cap, &r);
	assert_null(rs);
	assert_int_equal(r, -EOPNOTSUPP);
	if (!strstr(cap.text, "t.nft:4:3: unsupported: fib daddr type of "
			      "IPv6"))
		fail_msg("%s", cap.text);
	/* other fib forms: unsupported at parse */
	rs = bft_nft_lower("table ip t {\n\tchain c {\n\t\ttype filter hook "
			   "input priority 0;\n\t\tfib saddr . iif oif 0 "
			   "drop\n\t}\n}\n",
			   &cap, &r);
	assert_null(rs);
	if (!strstr(cap.text, "t.nft:4:3: unsupported: 'fib' expressions "
			      "other than fib daddr type"))
		fail_msg("%s", cap.text);
}

/* Type filter base chains at prerouting / postrouting (no IR hook) are
 * the kernel's, with the regular chain they reach; input is lowered; a
 * non-constant set both use is refused; bridge tables are not split. */
static void test_filter_prerouting(void **state)
{
	static const char in[] =
		"table inet t {\n\tchain raw {\n\t\ttype filter hook "
		"prerouting priority raw; policy accept;\n"
		"\t\tip daddr 192.0.2.66 iifname != \"br1\" drop\n"
		"\t\ttcp dport 22 jump x\n\t}\n"
		"\tchain x {\n\t\tip saddr 203.0.113.0/24 drop\n\t}\n"
		"\tchain post {\n\t\ttype filter hook postrouting priority "
		"filter; policy accept;\n\t\toifname \"br2\" drop\n\t}\n"
		"\tchain in {\n\t\ttype filter hook input priority filter; "
		"policy drop;\n\t\ttcp dport 5001 accept\n\t}\n}\n";
	static const char want[] =
		"table inet bpfilter_kernel_t {\n"
		"\tchain raw {\n"
		"\t\ttype filter hook prerouting priority -300; policy "
		"accept;\n"
		"\t\tip daddr 192.0.2.66 iifname != \"br1\" drop\n"
		"\t\ttcp dport 22 jump x\n"
		"\t}\n\n"
		"\tchain x {\n"
		"\t\tip saddr 203.0.113.0/24 drop\n"
		"\t}\n\n"
		"\tchain post {\n"
		"\t\ttype filter hook postrouting priority 0; policy "
		"accept;\n"
		"\t\toifname \"br2\" drop\n"
		"\t}\n"
		"}\n";
	struct bft_logcap cap;
	_cleanup_free_ char *ipt = NULL;
	struct bf_nft_target *tgs = NULL;
	struct bf_ruleset *rs;
	struct bf_nft *nft;
	size_t n = 0;
	int r;

	(void)state;
	nft = bft_nft_kernel_is(in, want);
	assert_int_equal(bf_nft_targets(nft, false, &tgs, &n), 0);
	assert_int_equal(n, 1);
	rs = bf_ruleset_new();
	assert_non_null(rs);
	assert_int_equal(bf_nft_lower_target(&tgs[0], rs, false), 0);
	ipt = bft_ipt_text(rs, BF_FAMILY_INET4);
	assert_non_null(strstr(ipt, "--dport 5001"));
	assert_null(strstr(ipt, "192.0.2.66"));
	assert_null(strstr(ipt, "203.0.113"));
	bf_ruleset_free(&rs);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);

	/* one set, two copies */
	refused_text("table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n"
		     "\tchain p {\n\t\ttype filter hook prerouting priority "
		     "raw;\n\t\tip saddr @s drop\n\t}\n"
		     "\tchain f {\n\t\ttype filter hook input priority 0;\n"
		     "\t\tip saddr @s drop\n\t}\n}\n",
		     "t.nft:2:6: unsupported: set s is used by chains "
		     "bpfilter compiles");
	/* a chain both parts reach: its limit would be two buckets */
	refused_text("table ip t {\n\tchain p {\n\t\ttype filter hook "
		     "prerouting priority raw;\n\t\tjump x\n\t}\n"
		     "\tchain f {\n\t\ttype filter hook input priority 0;\n"
		     "\t\tjump x\n\t}\n"
		     "\tchain x {\n\t\ttcp dport 22 limit rate 3/second "
		     "accept\n\t}\n}\n",
		     "t.nft:11:16: unsupported: chain x: limit in a chain "
		     "reached from chains bpfilter compiles and from chains "
		     "for the kernel's nftables");
	/* bpfilter's own statement cannot go to nft */
	refused_text("table ip t {\n\tchain p {\n\t\ttype filter hook "
		     "postrouting priority 0;\n\t\tudp dport 53 bpf object "
		     "\"/x/dns.o\" drop\n\t}\n}\n",
		     "unsupported: chain p: bpf object in a chain for the "
		     "kernel's nftables");
	/* a bridge table has no kernel part: refused at lowering */
	nft = bft_nft_parse(
		"table bridge b {\n\tchain p {\n\t\ttype filter hook "
		"prerouting priority 0;\n\t\tdrop\n\t}\n}\n",
		&cap, &r);
	assert_int_equal(r, 0);
	assert_false(bf_nft_has_kernel_part(nft));
	bf_nft_free(&nft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_text),
		cmocka_unit_test(test_split_targets),
		cmocka_unit_test(test_kernel_rule_in_filter),
		cmocka_unit_test(test_split_refusals),
		cmocka_unit_test(test_fib),
		cmocka_unit_test(test_filter_prerouting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
