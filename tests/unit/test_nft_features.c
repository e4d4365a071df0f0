// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nft constructs beyond iptables' (doc/front-nft.md): limit (nft's
 * bucket, BF_MATCH_NFT_LIMIT), th sport/dport (BF_MATCH_TH_*), ct status
 * and ct direction (BF_MATCH_CONNTRACK), concatenations in anonymous sets
 * and verdict maps, log group (NFLOG). For each: the lowered IR as
 * iptables-save text (golden texts, reviewed against the kernel code
 * named next to them), that text read back to the same rules (apply and
 * the saved state carry the IR so), the IR printed as nft read back, and
 * the refusals with their positions. The verdicts against the kernel's
 * nftables: tests/diff/rulesets-nft/feature-*.nft (diff_nft).
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

/* The family's iptables-save text must be `want` (NULL: not checked) and
 * read back (bf_ipt_parse_restore_str(), what apply does) to the same
 * text. */
static void check_family(const struct bf_ruleset *rs, enum bf_family f,
			 const char *want)
{
	_cleanup_free_ char *got = bft_ipt_text(rs, f);
	_cleanup_free_ char *again = NULL;
	struct bf_ruleset *rs2 = bf_ruleset_new();

	assert_non_null(rs2);
	if (want && strcmp(got, want))
		fail_msg("lowered:\n%s\nwanted:\n%s", got, want);
	if (bf_ipt_parse_restore_str(rs2, got, "lowered", f))
		fail_msg("the lowered text does not read back:\n%s", got);
	again = bft_ipt_text(rs2, f);
	if (strcmp(got, again))
		fail_msg("read back as:\n%s\nfrom:\n%s", again, got);
	bf_ruleset_free(&rs2);
}

/* bpfilter save --format nft: the IR printed as nft parses and lowers to
 * the same rules of chain `ch`. */
static void check_print_ir(const struct bf_ruleset *rs, const char *ch)
{
	_cleanup_free_ char *text = bft_nft_ir_text(rs, BFT_ALL_FAMILIES);
	struct bf_ruleset *rs2 = bf_ruleset_new();
	struct bf_nft *again = NULL;

	assert_non_null(rs2);
	if (bf_nft_parse_str(text, "printed.nft", &again))
		fail_msg("the printed IR does not parse:\n%s", text);
	if (bf_nft_lower(again, rs2))
		fail_msg("the printed IR does not lower:\n%s", text);
	bft_same_rules(rs, rs2, ch, false, text);
	bf_nft_free(&again);
	bf_ruleset_free(&rs2);
}

/* `text` must fail to lower with want_r, the log saying `why`. */
static void refused(const char *text, int want_r, const char *why)
{
	struct bft_logcap cap;
	int r;
	struct bf_ruleset *rs = bft_nft_lower(text, &cap, &r);

	assert_null(rs);
	assert_int_equal(r, want_r);
	if (!strstr(cap.text, why))
		fail_msg("log lacks \"%s\":\n%s", why, cap.text);
}

#define HEAD                                                                   \
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"                \
	":OUTPUT ACCEPT [0:0]\n:c - [0:0]\n-A INPUT -j c\n"

/* limit: rate per unit in seconds, burst (packets: 0 is 5, as
 * nft_limit_init() makes it), bytes, over (NFT_LIMIT_F_INV); the bucket
 * arithmetic of nft_limit_init(). */
static void test_limit(void **state)
{
	struct bf_ruleset *rs;
	uint64_t max, cost;

	(void)state;
	rs = bft_nft_lower_ok(
		"table ip t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tlimit rate 10/second accept\n"
		"\t\tlimit rate over 400/minute burst 7 packets drop\n"
		"\t\tlimit rate 1 mbytes/second accept\n"
		"\t\tlimit rate over 5 kbytes/hour burst 300 bytes drop\n"
		"\t\tiifname \"lo\" limit rate 2/day counter\n"
		"\t}\n}\n");
	check_family(
		rs, BF_FAMILY_INET4,
		HEAD
		"-A c -m nftlimit --nft-rate 10 --nft-unit 1 --nft-burst 5 -j ACCEPT\n"
		"-A c -m nftlimit --nft-rate 400 --nft-unit 60 --nft-burst 7 --nft-over -j DROP\n"
		"-A c -m nftlimit --nft-rate 1048576 --nft-unit 1 --nft-bytes -j ACCEPT\n"
		"-A c -m nftlimit --nft-rate 5120 --nft-unit 3600 --nft-burst 300 --nft-bytes --nft-over -j DROP\n"
		"-A c -i lo -m nftlimit --nft-rate 2 --nft-unit 86400 --nft-burst 5\n"
		"COMMIT\n");
	check_print_ir(rs, "c");
	bf_ruleset_free(&rs);

	/* a log after the limit: the rest of the rule in a helper chain,
	 * so that the limit runs once */
	rs = bft_nft_lower_ok(
		"table ip t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tiifname \"lo\" limit rate 3/minute log prefix \"l \" "
		"iifname \"lo\" drop\n"
		"\t\tlimit rate 1/second log\n"
		"\t}\n}\n");
	check_family(
		rs, BF_FAMILY_INET4,
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n:c - [0:0]\n:nft.1 - [0:0]\n"
		":nft.2 - [0:0]\n-A INPUT -j c\n"
		"-A c -i lo -m nftlimit --nft-rate 3 --nft-unit 60 --nft-burst 5 -j nft.1\n"
		"-A c -m nftlimit --nft-rate 1 --nft-unit 1 --nft-burst 5 -j nft.2\n"
		"-A nft.1 -j LOG --log-prefix \"l \"\n"
		"-A nft.1 -i lo -j DROP\n"
		"-A nft.2 -j LOG\n"
		"COMMIT\n");
	bf_ruleset_free(&rs);

	/* nft_limit_init(): packets: cost = unit * 1e9 / rate, bucket =
	 * cost * burst; bytes: bucket = unit * 1e9 * (rate + burst) /
	 * rate */
	assert_int_equal(bf_nft_limit_bucket(
				 &(struct bf_nft_limit){
					 .rate = 10, .unit = 1, .burst = 0 },
				 &max, &cost),
			 0);
	assert_true(cost == 100000000ull && max == 500000000ull);
	assert_int_equal(bf_nft_limit_bucket(
				 &(struct bf_nft_limit){
					 .rate = 3, .unit = 1, .burst = 2 },
				 &max, &cost),
			 0);
	assert_true(cost == 333333333ull && max == 666666666ull);
	assert_int_equal(
		bf_nft_limit_bucket(&(struct bf_nft_limit){ .rate = 1024,
							    .unit = 1,
							    .burst = 512,
							    .bytes = true },
				    &max, &cost),
		0);
	assert_true(max == 1500000000ull);
	assert_int_equal(
		bf_nft_limit_bucket(&(struct bf_nft_limit){ .unit = 1 }, &max,
				    &cost),
		-EINVAL);
	assert_int_equal(bf_nft_limit_bucket(
				 &(struct bf_nft_limit){
					 .rate = 1, .unit = UINT64_MAX / 10 },
				 &max, &cost),
			 -EOVERFLOW);
}

/* th: any protocol (nft_payload_eval() at the transport header);
 * after `meta l4proto udp` it is udp's port (the same bytecode, and
 * what nft lists). */
static void test_th(void **state)
{
	struct bf_ruleset *rs;
	_cleanup_free_ char *t4 = NULL;

	(void)state;
	rs = bft_nft_lower_ok(
		"table inet t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tth dport 4001 drop\n"
		"\t\tth sport != 1-1023 th dport { 53, 4002-4009 } accept\n"
		"\t\tmeta l4proto udp th dport 4010 drop\n"
		"\t}\n}\n");
	check_family(rs, BF_FAMILY_INET4, NULL);
	check_family(rs, BF_FAMILY_INET6, NULL);
	t4 = bft_ipt_text(rs, BF_FAMILY_INET4);
	assert_non_null(strstr(t4, "-A c -m th --th-dport 4001 -j DROP\n"));
	assert_non_null(strstr(t4, "-A c -m th ! --th-sport 1:1023 -m th "
				   "--th-dport 53 -j ACCEPT\n"));
	assert_non_null(strstr(t4, "-A c -m th ! --th-sport 1:1023 -m th "
				   "--th-dport 4002:4009 -j ACCEPT\n"));
	/* udp's own port, not th's */
	assert_null(strstr(t4, "--th-dport 4010"));
	assert_non_null(strstr(t4, "--dport 4010 -j DROP\n"));
	check_print_ir(rs, "c");
	bf_ruleset_free(&rs);
}

/* ct status any-of / none-of (conntrack_mt()'s --ctstatus, with
 * bpfilter's SRC_NAT, DST_NAT, DYING names); == / != the whole status
 * word (bpfilter's --nft-ctstatus-eq); ct direction. */
static void test_ct(void **state)
{
	struct bf_ruleset *rs;

	(void)state;
	rs = bft_nft_lower_ok(
		"table ip t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tct status assured,seen-reply accept\n"
		"\t\tct status ! expected drop\n"
		"\t\tct status snat,dnat,dying drop\n"
		"\t\tct direction reply accept\n"
		"\t\tct direction != reply drop\n"
		"\t\tct status == assured,seen-reply,confirmed drop\n"
		"\t\tct status != 0x0 accept\n"
		"\t}\n}\n");
	check_family(
		rs, BF_FAMILY_INET4,
		HEAD
		"-A c -m conntrack --ctstatus SEEN_REPLY,ASSURED -j ACCEPT\n"
		"-A c -m conntrack ! --ctstatus EXPECTED -j DROP\n"
		"-A c -m conntrack --ctstatus SRC_NAT,DST_NAT,DYING -j DROP\n"
		"-A c -m conntrack --ctdir REPLY -j ACCEPT\n"
		"-A c -m conntrack --ctdir ORIGINAL -j DROP\n"
		"-A c -m conntrack --nft-ctstatus-eq 0xe -j DROP\n"
		"-A c -m conntrack ! --nft-ctstatus-eq 0x0 -j ACCEPT\n"
		"COMMIT\n");
	check_print_ir(rs, "c");
	bf_ruleset_free(&rs);
}

/* Concatenations: one IR rule per element, each component a match;
 * elements disjoint when one component is; verdict maps; negated sets
 * through a helper chain. */
static void test_concat(void **state)
{
	struct bf_ruleset *rs;

	(void)state;
	rs = bft_nft_lower_ok(
		"table ip t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tip saddr . ip daddr { 192.0.2.2 . 198.51.100.1, "
		"192.0.2.1 . 198.51.100.0/24 } accept\n"
		"\t\tip saddr . iifname vmap { 192.0.2.9 . \"lo\" : drop, "
		"192.0.2.9 . \"veth*\" : accept }\n"
		"\t\tip saddr . ip daddr != { 192.0.2.3 . 198.51.100.3, "
		"192.0.2.4 . 198.51.100.4 } drop\n"
		"\t}\n}\n");
	/* elements in key order, as nft lists them */
	check_family(rs, BF_FAMILY_INET4,
		     "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n:c - [0:0]\n:nft.1 - [0:0]\n"
		     "-A INPUT -j c\n"
		     "-A c -s 192.0.2.1/32 -d 198.51.100.0/24 -j ACCEPT\n"
		     "-A c -s 192.0.2.2/32 -d 198.51.100.1/32 -j ACCEPT\n"
		     "-A c -s 192.0.2.9/32 -i lo -j DROP\n"
		     "-A c -s 192.0.2.9/32 -i veth+ -j ACCEPT\n"
		     "-A c -j nft.1\n"
		     "-A nft.1 -s 192.0.2.3/32 -d 198.51.100.3/32 -j RETURN\n"
		     "-A nft.1 -s 192.0.2.4/32 -d 198.51.100.4/32 -j RETURN\n"
		     "-A nft.1 -j DROP\n"
		     "COMMIT\n");
	bf_ruleset_free(&rs);

	/* the same source with overlapping destinations may match twice */
	refused("table ip t {\n\tchain c {\n"
		"\t\tip saddr . ip daddr { 192.0.2.1 . 198.51.100.1, "
		"192.0.2.1 . 198.51.100.0/24 } accept\n"
		"\t}\n}\n",
		-EOPNOTSUPP,
		"t.nft:3:23: unsupported: set "
		"elements that may overlap");
	refused("table ip t {\n\tchain c {\n"
		"\t\tip saddr . ip daddr != 192.0.2.1 . 198.51.100.1 "
		"accept\n\t}\n}\n",
		-EOPNOTSUPP,
		"unsupported: a concatenation with "
		"this operator");
}

/* log group: nft_log_init() logs through nfnetlink_log as xt_NFLOG;
 * snaplen is --nflog-size (NF_LOG_F_COPY_LEN). */
static void test_log_group(void **state)
{
	struct bf_ruleset *rs;

	(void)state;
	rs = bft_nft_lower_ok("table ip t {\n\tchain c {\n"
			      "\t\ttype filter hook input priority 0;\n"
			      "\t\tiifname \"lo\" log group 2 drop\n"
			      "\t\tlog prefix \"g \" group 5 snaplen 128 "
			      "queue-threshold 3\n"
			      "\t}\n}\n");
	check_family(rs, BF_FAMILY_INET4,
		     HEAD "-A c -i lo -j NFLOG --nflog-group 2\n"
			  "-A c -i lo -j DROP\n"
			  "-A c -j NFLOG --nflog-prefix \"g \" --nflog-group 5 "
			  "--nflog-size 128 --nflog-threshold 3\n"
			  "COMMIT\n");
	check_print_ir(rs, "c");
	bf_ruleset_free(&rs);
}

/* ether saddr: nft's `meta iiftype ether` dependency (dropped from the
 * listing) and the MAC header's source, which is mac_mt()'s test. */
static void test_ether(void **state)
{
	struct bf_ruleset *rs;

	(void)state;
	rs = bft_nft_lower_ok(
		"table ip t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tiiftype ether ether saddr 0:f:54:c:11:4 accept\n"
		"\t\tether saddr != 02:00:00:00:00:01 drop\n"
		"\t}\n}\n");
	check_family(rs, BF_FAMILY_INET4,
		     HEAD
		     "-A c -m mac --mac-source 00:0f:54:0c:11:04 -j ACCEPT\n"
		     "-A c -m mac ! --mac-source 02:00:00:00:00:01 -j DROP\n"
		     "COMMIT\n");
	bf_ruleset_free(&rs);
}

/* meta iif/oif: the name resolved to its index when the ruleset is
 * lowered (lo is 1 in every namespace); a missing device is an error, as
 * nft's. */
static void test_iif(void **state)
{
	struct bf_ruleset *rs;

	(void)state;
	rs = bft_nft_lower_ok("table ip t {\n\tchain c {\n"
			      "\t\ttype filter hook forward priority 0;\n"
			      "\t\tiif \"lo\" accept\n"
			      "\t\tmeta oif != \"lo\" drop\n"
			      "\t}\n}\n");
	check_family(rs, BF_FAMILY_INET4,
		     "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n:c - [0:0]\n-A FORWARD -j c\n"
		     "-A c -m nftif --nft-iif 1 -j ACCEPT\n"
		     "-A c -m nftif ! --nft-oif 1 -j DROP\n"
		     "COMMIT\n");
	check_print_ir(rs, "c");
	bf_ruleset_free(&rs);
	refused("table ip t {\n\tchain c {\n"
		"\t\tiif \"bfnosuchif0\" accept\n\t}\n}\n",
		-EINVAL,
		"t.nft:3:7: interface 'bfnosuchif0' "
		"does not exist");
}

/* What stays refused, with positions. */
static void test_refused(void **state)
{
	static const struct {
		const char *rule, *why;
	} cases[] = {
		/* the rest of the rule runs in a helper chain, whose frame
		 * a return would leave */
		{ "limit rate 1/second log return",
		  "t.nft:3:23: unsupported: log or set statements after limit" },
		/* iptables text tests -s/-p first: other packets would not
		 * take tokens */
		{ "limit rate 1/second ip saddr 192.0.2.1 drop",
		  "t.nft:3:3: unsupported: an address, interface or protocol "
		  "match after limit" },
		/* one IR rule per element, each taking a token before its
		 * element is tested (after the set, they share the
		 * statement's bucket: diff_nftrate_set) */
		{ "limit rate 1/second icmp type { 0, 8 } drop",
		  "unsupported: limit before a set of several elements" },
		/* unit * 1e9 / rate * burst overflows */
		{ "limit rate 1/week burst 4000000000 packets drop",
		  "unsupported: a limit the kernel refuses" },
		/* the status word has bits 0..15 (__IPS_MAX_BIT) */
		{ "ct status != 0x10000 drop",
		  "t.nft:3:3: unsupported: ct status with a bit above 15" },
		{ "ct status & assured == assured drop",
		  "unsupported: this bitwise expression" },
		{ "log level audit", "unsupported: log level audit" },
		{ "meta iiftype ppp drop",
		  "t.nft:3:3: unsupported: meta iiftype has no IR equivalent" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[512];
		struct bft_logcap cap;
		struct bf_ruleset *rs;
		int r;

		snprintf(text, sizeof(text),
			 "table ip t {\n\tchain c {\n\t\t%s\n\t}\n}\n",
			 cases[i].rule);
		rs = bft_nft_lower(text, &cap, &r);
		if (rs || !strstr(cap.text, cases[i].why))
			fail_msg("%s: %d, log:\n%s\nwanted: %s", cases[i].rule,
				 r, cap.text, cases[i].why);
	}
}

/* One bucket per limit statement: refused where the IR would make
 * several (both families of an inet rule, a chain several base chains
 * reach). */
/* The bucket of the nft limit match of rule `rule` of chain `name` in
 * family f (asserted to have one). */
static unsigned int bucket_of(const struct bf_ruleset *rs, enum bf_family f,
			      const char *name, size_t rule)
{
	const struct bf_chain *c = bf_ruleset_chain(rs, f, name);

	assert_non_null(c);
	assert_true(rule < c->n_rules);
	for (size_t k = 0; k < c->rules[rule].n_matches; k++)
		if (c->rules[rule].matches[k].type == BF_MATCH_NFT_LIMIT)
			return c->rules[rule].matches[k].u.nft_limit.bucket;
	fail_msg("no limit in rule %zu of %s", rule, name);
	return 0;
}

/* One nft limit statement lowered into several programs (the IPv4 and
 * IPv6 copies of an inet rule, a chain that several base chains reach)
 * keeps one bucket: the copies name the same shared bucket, which the
 * text carries (--nft-bucket) and reads back; a statement of one program
 * keeps the program's own (no --nft-bucket). */
static void test_limit_shared(void **state)
{
	struct bf_ruleset *rs;
	_cleanup_free_ char *t4 = NULL, *t6 = NULL;
	unsigned int b, b2;

	(void)state;
	rs = bft_nft_lower_ok(
		"table inet t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\ttcp dport 22 limit rate 1/second accept\n"
		"\t\tudp dport 53 limit rate 2/second accept\n\t}\n}\n");
	b = bucket_of(rs, BF_FAMILY_INET4, "c", 0);
	b2 = bucket_of(rs, BF_FAMILY_INET4, "c", 1);
	assert_true(b > 0 && b2 > 0 && b != b2);
	assert_int_equal(bucket_of(rs, BF_FAMILY_INET6, "c", 0), b);
	assert_int_equal(bucket_of(rs, BF_FAMILY_INET6, "c", 1), b2);
	t4 = bft_ipt_text(rs, BF_FAMILY_INET4);
	t6 = bft_ipt_text(rs, BF_FAMILY_INET6);
	assert_non_null(strstr(t4, "--nft-rate 1 --nft-unit 1 --nft-burst 5 "
				   "--nft-bucket 1 "));
	assert_non_null(strstr(t4, "--nft-rate 2 --nft-unit 1 --nft-burst 5 "
				   "--nft-bucket 2 "));
	assert_non_null(strstr(t6, "--nft-bucket 1 "));
	assert_non_null(strstr(t6, "--nft-bucket 2 "));
	check_family(rs, BF_FAMILY_INET4, NULL);
	check_family(rs, BF_FAMILY_INET6, NULL);
	bf_ruleset_free(&rs);

	/* a chain that two base chains reach */
	rs = bft_nft_lower_ok(
		"table ip t {\n"
		"\tchain i {\n\t\ttype filter hook input priority 0;\n"
		"\t\tjump l\n\t}\n"
		"\tchain o {\n\t\ttype filter hook output priority 0;\n"
		"\t\tjump l\n\t}\n"
		"\tchain l {\n\t\tlimit rate 1/second accept\n\t}\n}\n");
	assert_true(bucket_of(rs, BF_FAMILY_INET4, "l", 0) > 0);
	check_family(rs, BF_FAMILY_INET4, NULL);
	bf_ruleset_free(&rs);

	/* selecting the family: one program, its own bucket */
	rs = bft_nft_lower_ok(
		"table inet t {\n\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tmeta nfproto ipv6 tcp dport 22 limit rate 1/second "
		"accept\n\t}\n}\n");
	assert_int_equal(bucket_of(rs, BF_FAMILY_INET6, "c", 0), 0);
	bf_ruleset_free(&rs);

	/* base chains of two priorities, a netdev chain on two devices: two
	 * slots, refused */
	static const char *const slots[] = {
		"table ip t {\n"
		"\tchain i {\n\t\ttype filter hook input priority 0;\n"
		"\t\tjump l\n\t}\n"
		"\tchain j {\n\t\ttype filter hook input priority 10;\n"
		"\t\tjump l\n\t}\n"
		"\tchain l {\n\t\tlimit rate 1/second accept\n\t}\n}\n",
		"table netdev n {\n\tchain c {\n"
		"\t\ttype filter hook ingress devices = { a, b } priority 0;"
		"\n\t\tmeta protocol ip limit rate 1/second accept\n"
		"\t}\n}\n",
	};
	static const char *const slots_why[] = {
		"t.nft:11:3: unsupported: limit in chain l, which base chains "
		"of two slots reach (priority 0, priority 10)",
		"t.nft:4:20: unsupported: limit in chain c, which base chains "
		"of two slots reach (device a, device b)",
	};
	for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
		struct bf_nft *nft = NULL;
		struct bf_nft_target *tgs = NULL;
		struct bft_logcap cap = { 0 };
		size_t n = 0;
		int r;

		bf_log_set(bft_log_capture, &cap);
		r = bf_nft_parse_str(slots[i], "t.nft", &nft);
		if (!r)
			r = bf_nft_targets(nft, false, &tgs, &n);
		bf_log_set(NULL, NULL);
		if (r != -EOPNOTSUPP || !strstr(cap.text, slots_why[i]))
			fail_msg("%d, log:\n%s\nwanted: %s", r, cap.text,
				 slots_why[i]);
		bf_nft_targets_free(&tgs, n);
		bf_nft_free(&nft);
	}

	/* the text: --nft-bucket 1..65535 */
	{
		static const char *const bad[] = {
			"--nft-bucket 0",
			"--nft-bucket 65536",
			"--nft-bucket x",
		};

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			char text[256];
			struct bft_logcap cap;

			snprintf(text, sizeof(text),
				 "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m "
				 "nftlimit --nft-rate 1 --nft-unit 1 %s -j "
				 "DROP\nCOMMIT\n",
				 bad[i]);
			if (!bft_ipt_restore(text, "t.rules", &cap))
				fail_msg("accepted: %s", bad[i]);
		}
	}
}

/* bpfilter's iptables modules read their own text only: the errors. */
static void test_ipt_modules(void **state)
{
	static const char *const bad[] = {
		"-A INPUT -m nftlimit --nft-unit 1 -j DROP\n",
		"-A INPUT -m nftlimit --nft-rate 0 --nft-unit 1 -j DROP\n",
		"-A INPUT -m th --th-sport 1 --th-dport 2 -j DROP\n",
		"-A INPUT -m th --th-dport 5:4 -j DROP\n",
		"-A INPUT -m th -j DROP\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[256];
		struct bft_logcap cap;

		snprintf(text, sizeof(text),
			 "*filter\n:INPUT ACCEPT [0:0]\n%sCOMMIT\n", bad[i]);
		if (!bft_ipt_restore(text, "t.rules", &cap))
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(cap.text, "t.rules:3"));
	}
}

/* reject with tcp reset in an inet table: on IPv6 nft's `tcp` is
 * `-m nft --l4proto 6`, which is TCP for REJECT's check as `-p tcp` is
 * (the lowered text reads back for both families). */
static void test_reject_tcp_reset(void **state)
{
	struct bf_ruleset *rs;
	_cleanup_free_ char *t6 = NULL;

	(void)state;
	rs = bft_nft_lower_ok("table inet t {\n\tchain c {\n"
			      "\t\ttype filter hook input priority 0;\n"
			      "\t\ttcp dport 23 reject with tcp reset\n"
			      "\t}\n}\n");
	check_family(rs, BF_FAMILY_INET4, NULL);
	check_family(rs, BF_FAMILY_INET6, NULL);
	t6 = bft_ipt_text(rs, BF_FAMILY_INET6);
	assert_non_null(strstr(t6, "--l4proto 6"));
	assert_non_null(strstr(t6, "--reject-with tcp-reset"));
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_th),
		cmocka_unit_test(test_ct),
		cmocka_unit_test(test_concat),
		cmocka_unit_test(test_log_group),
		cmocka_unit_test(test_ether),
		cmocka_unit_test(test_iif),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limit_shared),
		cmocka_unit_test(test_ipt_modules),
		cmocka_unit_test(test_reject_tcp_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
