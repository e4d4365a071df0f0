// SPDX-License-Identifier: GPL-2.0-only
/*
 * iptables front end: restore and command parsing, error reporting, the IR
 * it builds, and round trips of real iptables-save files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "check/check.h"

static char logtext[16384];
static size_t loglen;
static int lognum;

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	int n;

	if (level > BF_LOG_WARN)
		return;
	lognum++;
	n = snprintf(logtext + loglen, sizeof(logtext) - loglen, "%s\n", msg);
	if (n > 0)
		loglen += (size_t)n;
	if (loglen >= sizeof(logtext))
		loglen = sizeof(logtext) - 1;
}

static int setup(void **state)
{
	loglen = 0;
	lognum = 0;
	logtext[0] = '\0';
	bf_log_set(capture, NULL);
	return 0;
}

static int teardown(void **state)
{
	bf_log_set(NULL, NULL);
	return 0;
}

static char *print_family(const struct bf_ruleset *rs, enum bf_family f,
			  unsigned int flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(bf_ipt_print(out, rs, f, flags), 0);
	fclose(out);
	return buf;
}

static int parse(struct bf_ruleset *rs, const char *text, enum bf_family f)
{
	return bf_ipt_parse_restore_str(rs, text, "t.rules", f);
}

static void test_comma_expansion(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	_cleanup_free_ char *out = NULL;

	assert_int_equal(
		parse(rs,
		      "*filter\n"
		      "-A INPUT -s 1.1.1.1,2.2.2.0/24 -d 3.3.3.3,4.4.4.4 -j DROP\n"
		      "-I FORWARD -s 5.5.5.5,6.6.6.6 -j ACCEPT\n"
		      "COMMIT\n",
		      BF_FAMILY_INET4),
		0);
	out = print_family(rs, BF_FAMILY_INET4, 0);
	/* Sources outermost; every -I rule goes in at the same index, so
	 * the inserted list comes out reversed, as with iptables. */
	assert_string_equal(out,
			    "*filter\n"
			    ":INPUT ACCEPT [0:0]\n"
			    ":FORWARD ACCEPT [0:0]\n"
			    ":OUTPUT ACCEPT [0:0]\n"
			    "-A INPUT -s 1.1.1.1/32 -d 3.3.3.3/32 -j DROP\n"
			    "-A INPUT -s 1.1.1.1/32 -d 4.4.4.4/32 -j DROP\n"
			    "-A INPUT -s 2.2.2.0/24 -d 3.3.3.3/32 -j DROP\n"
			    "-A INPUT -s 2.2.2.0/24 -d 4.4.4.4/32 -j DROP\n"
			    "-A FORWARD -s 6.6.6.6/32 -j ACCEPT\n"
			    "-A FORWARD -s 5.5.5.5/32 -j ACCEPT\n"
			    "COMMIT\n");
	assert_true(rs->families & (1u << BF_FAMILY_INET4));
	assert_false(rs->families & (1u << BF_FAMILY_INET6));

	/* `!` and a list do not mix. */
	assert_int_equal(parse(rs,
			       "*filter\n-A INPUT ! -s 1.1.1.1,2.2.2.2\n"
			       "COMMIT\n",
			       BF_FAMILY_INET4),
			 -EINVAL);
	assert_non_null(strstr(logtext, "t.rules:2: ! not allowed with "
					"multiple"));
	bf_ruleset_free(&rs);
}

static void test_counters(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	_cleanup_free_ char *out = NULL;
	const struct bf_chain *in;

	assert_int_equal(parse(rs,
			       "*filter\n"
			       ":INPUT DROP [7:8]\n"
			       "[3:4] -A INPUT -p tcp -j ACCEPT\n"
			       "-A INPUT -c 5 6 -j ACCEPT\n"
			       "-A INPUT -c 9,10\n"
			       "COMMIT\n",
			       BF_FAMILY_INET4),
			 0);
	in = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	assert_int_equal(in->policy, BF_VERDICT_DROP);
	assert_int_equal(in->policy_counter.packets, 7);
	assert_int_equal(in->policy_counter.bytes, 8);
	assert_int_equal(in->n_rules, 3);
	assert_int_equal(in->rules[0].counter.packets, 3);
	assert_int_equal(in->rules[1].counter.bytes, 6);
	out = print_family(rs, BF_FAMILY_INET4, BF_IPT_PRINT_COUNTERS);
	assert_non_null(strstr(out, ":INPUT DROP [7:8]\n"
				    ":FORWARD ACCEPT [0:0]\n"
				    ":OUTPUT ACCEPT [0:0]\n"
				    "[3:4] -A INPUT -p tcp -j ACCEPT\n"
				    "[5:6] -A INPUT -j ACCEPT\n"
				    "[9:10] -A INPUT\n"));
	free(out);
	out = print_family(rs, BF_FAMILY_INET4, 0);
	assert_non_null(strstr(out, "\n-A INPUT -p tcp -j ACCEPT\n"));

	for (const char *bad = "-c ,3\0-c 3,\0-c \"\"\0[1:x] -A INPUT\0"; *bad;
	     bad += strlen(bad) + 1) {
		_cleanup_free_ char *t = NULL;

		assert_true(asprintf(&t, "*filter\n%s%s\nCOMMIT\n", bad,
				     bad[0] == '[' ? "" : " -A INPUT") > 0);
		assert_int_equal(parse(rs, t, BF_FAMILY_INET4), -EINVAL);
	}
	bf_ruleset_free(&rs);
}

static void test_insert_positions(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	_cleanup_free_ char *out = NULL;

	assert_int_equal(parse(rs,
			       "*filter\n"
			       "-A OUTPUT -p 1\n"
			       "-A OUTPUT -p 2\n"
			       "-I OUTPUT -p 3\n"
			       "-I OUTPUT 3 -p 4\n"
			       "--insert OUTPUT 5 -p 5\n"
			       "COMMIT\n",
			       BF_FAMILY_INET4),
			 0);
	out = print_family(rs, BF_FAMILY_INET4, 0);
	assert_non_null(strstr(out, "-A OUTPUT -p 3\n"
				    "-A OUTPUT -p icmp\n"
				    "-A OUTPUT -p 4\n"
				    "-A OUTPUT -p igmp\n"
				    "-A OUTPUT -p 5\n") ||
			strstr(out, "-A OUTPUT -p ggp\n"));

	/* Past the end + 1, or 0: refused with the line. */
	assert_int_equal(parse(rs,
			       "*filter\n-A OUTPUT\n-I OUTPUT 3 -j DROP\n"
			       "-I OUTPUT 0 -j DROP\nCOMMIT\n",
			       BF_FAMILY_INET4),
			 -EINVAL);
	assert_non_null(strstr(logtext, "t.rules:3: Index of insertion too "
					"big"));
	assert_non_null(strstr(logtext, "t.rules:4: Invalid rule number `0'"));
	bf_ruleset_free(&rs);
}

static void test_jump_goto(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_chain *c;

	assert_int_equal(parse(rs,
			       "*filter\n"
			       ":X - [0:0]\n"
			       ":Y - [0:0]\n"
			       "-A INPUT -j X\n"
			       "-A FORWARD -g Y\n"
			       "-A X -j RETURN\n"
			       "-A INPUT -j RETURN\n"
			       "COMMIT\n",
			       BF_FAMILY_INET6),
			 0);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET6, BF_HOOK_INPUT);
	assert_int_equal(c->rules[0].verdict.kind, BF_VERDICT_JUMP);
	assert_string_equal(c->rules[0].verdict.chain, "X");
	assert_int_equal(c->rules[1].verdict.kind, BF_VERDICT_RETURN);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET6, BF_HOOK_FORWARD);
	assert_int_equal(c->rules[0].verdict.kind, BF_VERDICT_GOTO);
	assert_string_equal(c->rules[0].verdict.chain, "Y");
	/* IPv6 chains do not exist for IPv4. */
	assert_null(bf_ruleset_chain(rs, BF_FAMILY_INET4, "X"));

	assert_int_equal(parse(rs,
			       "*filter\n"
			       ":X - [0:0]\n"
			       "-A INPUT -j NOPE\n"
			       "-A INPUT -g NOPE2\n"
			       "-A NOCHAIN -j ACCEPT\n"
			       "-A INPUT -j FORWARD\n"
			       "-A INPUT -g ACCEPT\n"
			       ":ACCEPT - [0:0]\n"
			       ":-bad - [0:0]\n"
			       ":a2345678901234567890123456789 - [0:0]\n"
			       ":a234567890123456789012345678 - [0:0]\n"
			       "COMMIT\n",
			       BF_FAMILY_INET4),
			 -EINVAL);
	assert_non_null(strstr(logtext, "t.rules:3: chain 'NOPE' does not "
					"exist"));
	assert_non_null(strstr(logtext, "t.rules:4: chain 'NOPE2' does not "
					"exist"));
	assert_non_null(strstr(logtext, "t.rules:5: chain 'NOCHAIN' does not "
					"exist"));
	assert_non_null(strstr(logtext, "t.rules:6: cannot jump to built-in "
					"chain 'FORWARD'"));
	assert_non_null(strstr(logtext, "t.rules:7: -g needs a user-defined"));
	assert_non_null(strstr(logtext, "t.rules:8: chain name `ACCEPT' may "
					"not clash"));
	assert_non_null(strstr(logtext, "t.rules:9: chain name not allowed to "
					"start with `-'"));
	assert_non_null(strstr(logtext, "t.rules:10: chain name "));
	assert_int_equal(lognum, 8);
	bf_ruleset_free(&rs);
}

static void test_other_table_and_modules(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();

	assert_int_equal(
		parse(rs,
		      "*nat\n"
		      "-A PREROUTING -j DNAT --to 1.2.3.4\n"
		      "COMMIT\n"
		      "*filter\n"
		      "-A INPUT -m string --algo bm --string x -j ACCEPT\n"
		      "-A INPUT -j NFQUEUE --queue-num 1\n"
		      "-A INPUT -p sctp --dport 5\n"
		      "-A INPUT -m set --match-set s src --packets-eq 5\n"
		      "-A INPUT -p tcp --tcp-option 5\n"
		      "COMMIT\n",
		      BF_FAMILY_INET4),
		-EINVAL);
	assert_non_null(strstr(logtext, "t.rules:1: table 'nat' is not "
					"supported"));
	assert_non_null(strstr(logtext, "t.rules:5: match 'string' is not "
					"supported"));
	assert_non_null(strstr(logtext, "t.rules:6: target 'NFQUEUE' is not "
					"supported"));
	assert_non_null(strstr(logtext, "t.rules:7: match 'sctp' is not "
					"supported"));
	assert_non_null(strstr(logtext, "t.rules:8: option \"--packets-eq\" "
					"of match 'set' is not supported"));
	assert_non_null(strstr(logtext, "t.rules:9: option \"--tcp-option\" "
					"of match 'tcp' is not supported"));
	assert_int_equal(lognum, 6);
	bf_ruleset_free(&rs);
}

/* Every error of a file is reported, and the ruleset stays as it was. */
static void test_all_errors_unchanged(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	_cleanup_free_ char *before = NULL;
	_cleanup_free_ char *after = NULL;

	assert_int_equal(parse(rs,
			       "*filter\n:INPUT DROP [0:0]\n"
			       "-A INPUT -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n",
			       BF_FAMILY_INET4),
			 0);
	before = print_family(rs, BF_FAMILY_INET4, BF_IPT_PRINT_COUNTERS);
	assert_int_equal(parse(rs,
			       "*filter\n"
			       ":INPUT ACCEPT [0:0]\n"
			       "-A INPUT -p tcp --dport 99999\n"
			       "-A INPUT -j ACCEPT\n"
			       "-A INPUT -i thisnameiswaytoolong0\n"
			       "# comment\n"
			       "-A OUTPUT -i eth0\n"
			       "-A INPUT -m tcp --dport 1\n"
			       "-A INPUT ! -p 0\n"
			       "-A INPUT -p tcp -m tcp --sport 4:3\n"
			       "-A INPUT -m comment\n"
			       "-A INPUT -s 1.2.3.4/33\n"
			       "-A INPUT -f -f\n"
			       "-A INPUT ! ! -s 1.2.3.4\n"
			       "-A INPUT -s ! 1.2.3.4\n"
			       "COMMIT\n",
			       BF_FAMILY_INET4),
			 -EINVAL);
	assert_int_equal(lognum, 11);
	for (int l = 3; l <= 15; l++) {
		char want[32];

		if (l == 4 || l == 6)
			continue;
		snprintf(want, sizeof(want), "t.rules:%d: ", l);
		assert_non_null(strstr(logtext, want));
	}
	after = print_family(rs, BF_FAMILY_INET4, BF_IPT_PRINT_COUNTERS);
	assert_string_equal(before, after);

	/* Missing COMMIT, line outside a table. */
	assert_int_equal(parse(rs, "-A INPUT\n*filter\n-A INPUT\n",
			       BF_FAMILY_INET4),
			 -EINVAL);
	assert_non_null(strstr(logtext, "t.rules:1: line outside of a table"));
	assert_non_null(strstr(logtext, "t.rules:3: missing COMMIT"));
	bf_ruleset_free(&rs);
}

static const struct bf_match *match_at(const struct bf_rule *r, size_t i)
{
	assert_true(i < r->n_matches);
	return &r->matches[i];
}

/* The IR contract: kernel order, L4HDR per transport module, origins. */
static void test_ir_mapping(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_rule *r;
	const struct bf_chain *c;

	assert_int_equal(parse(rs,
			       "*filter\n"
			       "-A FORWARD -m comment --comment c -p tcp "
			       "--dport 22 -o eth1 -s 1.2.3.4 -f "
			       "-m multiport --sports 1,5:6 -m tcp ! --syn\n"
			       "-A FORWARD -p all\n"
			       "COMMIT\n",
			       BF_FAMILY_INET4),
			 0);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_FORWARD);
	r = &c->rules[0];
	assert_int_equal(r->n_matches, 11);
	assert_int_equal(match_at(r, 0)->type, BF_MATCH_SADDR);
	assert_int_equal(match_at(r, 1)->type, BF_MATCH_OIFNAME);
	assert_int_equal(match_at(r, 1)->u.iface.cmp_len, 5);
	assert_int_equal(match_at(r, 2)->type, BF_MATCH_L4PROTO);
	assert_int_equal(match_at(r, 2)->u.proto, 6);
	assert_int_equal(match_at(r, 3)->type, BF_MATCH_FRAG);
	/* comment (instance 0), implicit tcp at --dport (1), multiport (2),
	 * explicit tcp (3): command-line order. */
	assert_int_equal(match_at(r, 4)->type, BF_MATCH_COMMENT);
	assert_int_equal(match_at(r, 4)->origin.instance, 0);
	assert_int_equal(match_at(r, 5)->type, BF_MATCH_L4HDR);
	assert_int_equal(match_at(r, 5)->u.l4hdr.min_len, 20);
	assert_true(match_at(r, 5)->u.l4hdr.hotdrop_frag1);
	assert_int_equal(match_at(r, 5)->origin.instance, 1);
	assert_int_equal(match_at(r, 6)->type, BF_MATCH_DPORT);
	assert_int_equal(match_at(r, 6)->u.ports.lo, 22);
	assert_int_equal(match_at(r, 7)->type, BF_MATCH_L4HDR);
	assert_int_equal(match_at(r, 7)->u.l4hdr.min_len, 4);
	assert_false(match_at(r, 7)->u.l4hdr.hotdrop_frag1);
	assert_int_equal(match_at(r, 8)->type, BF_MATCH_MULTIPORT);
	assert_int_equal(match_at(r, 8)->u.multiport.count, 3);
	assert_true(match_at(r, 8)->u.multiport.is_range[1]);
	assert_int_equal(match_at(r, 9)->type, BF_MATCH_L4HDR);
	assert_int_equal(match_at(r, 9)->origin.instance, 3);
	assert_int_equal(match_at(r, 10)->type, BF_MATCH_TCPFLAGS);
	assert_true(match_at(r, 10)->neg);
	assert_int_equal(match_at(r, 10)->u.tcpflags.mask, 0x17);
	assert_int_equal(match_at(r, 10)->u.tcpflags.cmp, 0x02);
	/* `-p all`: IPv4 tests no protocol at all. */
	assert_int_equal(c->rules[1].n_matches, 0);

	/* IPv6: `-p all` still walks the headers (IP6T_F_PROTO);
	 * tcp never hotdrops at fragment offset 1; udp needs 8 bytes. */
	assert_int_equal(parse(rs,
			       "*filter\n-A INPUT -p all\n"
			       "-A INPUT -p udp --sport 53 -p6\n"
			       "-A INPUT -p tcp --sport 53\n"
			       "COMMIT\n",
			       BF_FAMILY_INET6),
			 -EINVAL);
	assert_non_null(strstr(logtext, "t.rules:3: multiple -p flags"));
	assert_int_equal(parse(rs,
			       "*filter\n-A INPUT -p all\n"
			       "-A INPUT -p udp --sport 53\n"
			       "-A INPUT -p tcp --sport 53\n"
			       "COMMIT\n",
			       BF_FAMILY_INET6),
			 0);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET6, BF_HOOK_INPUT);
	assert_int_equal(c->rules[0].n_matches, 1);
	assert_int_equal(c->rules[0].matches[0].type, BF_MATCH_L4PROTO);
	assert_int_equal(c->rules[0].matches[0].u.proto, 0);
	assert_int_equal(c->rules[1].matches[1].u.l4hdr.min_len, 8);
	assert_false(c->rules[2].matches[1].u.l4hdr.hotdrop_frag1);
	assert_true(rs->families & (1u << BF_FAMILY_INET6));
	bf_ruleset_free(&rs);
}

/* Matches and targets of real-world rulesets: the IR values the kernel
 * would use, and the code generator's refusal through bf_check(). */
static void test_ext_ir_and_check(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_limit l = { .avg = 10000, .burst = 5, .hz = 100 };
	bool refused = false;
	int rc;
	const struct bf_chain *c;
	const struct bf_rule *r;

	assert_int_equal(
		parse(rs,
		      "*filter\n"
		      "-A INPUT -m limit --limit 1/sec -m mark ! --mark 5/0xf\n"
		      "-A OUTPUT -m owner --uid-owner 0-10 ! --socket-exists "
		      "-j MARK --or-mark 0x10\n"
		      "-A INPUT -p tcp -j REJECT --reject-with tcp-rst\n"
		      "-A INPUT -m statistic --mode random --probability 0.5 "
		      "-j LOG --log-level debug --log-prefix \"p: \"\n"
		      "-A INPUT -m conntrack ! --ctstate NEW,UNTRACKED "
		      "-m conntrack --ctstate DNAT --ctdir REPLY\n"
		      "COMMIT\n",
		      BF_FAMILY_INET4),
		0);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	r = &c->rules[0];
	assert_int_equal(r->n_matches, 2);
	assert_int_equal(match_at(r, 0)->type, BF_MATCH_LIMIT);
	/* 1/sec: one packet per XT_LIMIT_SCALE units; credits as
	 * limit_mt_check() computes them for this kernel's HZ. */
	assert_int_equal(match_at(r, 0)->u.limit.avg, 10000);
	assert_int_equal(match_at(r, 0)->u.limit.burst, 5);
	assert_true(match_at(r, 0)->u.limit.hz > 0);
	assert_int_equal(match_at(r, 0)->u.limit.cost,
			 match_at(r, 0)->u.limit.hz *
				 match_at(r, 0)->u.limit.credits_per_jiffy);
	assert_int_equal(match_at(r, 0)->u.limit.credit_cap,
			 5 * match_at(r, 0)->u.limit.cost);
	assert_int_equal(match_at(r, 1)->type, BF_MATCH_MARK);
	assert_true(match_at(r, 1)->neg);
	assert_int_equal(match_at(r, 1)->u.mark.value, 5);
	assert_int_equal(match_at(r, 1)->u.mark.mask, 0xf);
	assert_int_equal(c->rules[1].verdict.kind, BF_VERDICT_REJECT);
	assert_int_equal(c->rules[1].verdict.u.reject.with,
			 BF_REJECT_TCP_RESET);
	r = &c->rules[2];
	assert_int_equal(match_at(r, 0)->type, BF_MATCH_STATISTIC);
	assert_int_equal(match_at(r, 0)->u.statistic.probability, 0x40000000);
	assert_int_equal(r->verdict.kind, BF_VERDICT_LOG);
	assert_int_equal(r->verdict.u.log.level, 7);
	assert_string_equal(r->verdict.u.log.prefix, "p: ");
	/* A plain state list stays a CTSTATE match (enum bf_ctstate bits);
	 * anything more is one CONNTRACK match with the kernel's bits. */
	r = &c->rules[3];
	assert_int_equal(r->n_matches, 2);
	assert_int_equal(match_at(r, 0)->type, BF_MATCH_CTSTATE);
	assert_true(match_at(r, 0)->neg);
	assert_int_equal(match_at(r, 0)->u.ctstate.mask,
			 BF_CTSTATE_NEW | BF_CTSTATE_UNTRACKED);
	assert_int_equal(match_at(r, 1)->type, BF_MATCH_CONNTRACK);
	assert_int_equal(match_at(r, 1)->u.conntrack.match_flags,
			 BF_CT_STATE | BF_CT_DIRECTION);
	assert_int_equal(match_at(r, 1)->u.conntrack.invert_flags,
			 BF_CT_DIRECTION);
	assert_int_equal(match_at(r, 1)->u.conntrack.state_mask,
			 BF_CT_STATE_DNAT);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_OUTPUT);
	r = &c->rules[0];
	assert_int_equal(match_at(r, 0)->type, BF_MATCH_OWNER);
	assert_int_equal(match_at(r, 0)->u.owner.uid_max, 10);
	assert_int_equal(match_at(r, 0)->u.owner.match,
			 BF_OWNER_UID | BF_OWNER_SOCKET);
	assert_int_equal(match_at(r, 0)->u.owner.invert, BF_OWNER_SOCKET);
	assert_int_equal(r->verdict.kind, BF_VERDICT_MARK);
	assert_int_equal(r->verdict.u.mark.value, 0x10);
	assert_int_equal(r->verdict.u.mark.mask, 0x10);

	/* Whatever the code generator cannot compile yet, bf_check()
	 * refuses with the rule's line; the rest passes. */
	rc = bf_check(rs, BF_ATTACH_NF, NULL);
	for (size_t i = 0; i < rs->n_chains; i++) {
		for (size_t j = 0; j < rs->chains[i].n_rules; j++) {
			const struct bf_rule *x = &rs->chains[i].rules[j];
			char want[128];

			for (size_t k = 0; k < x->n_matches; k++) {
				const struct bf_match *m = &x->matches[k];

				if (bf_check_match_supported(m->type,
							     BF_ATTACH_NF))
					continue;
				refused = true;
				snprintf(want, sizeof(want),
					 "t.rules:%d: match '%s' is not "
					 "supported by the code generator yet",
					 x->line, bf_match_name(m->type));
				assert_non_null(strstr(logtext, want));
			}
			if (bf_check_verdict_supported(x->verdict.kind))
				continue;
			refused = true;
			/* "is not supported by the code generator yet", or
			 * "cannot be used at nf: <why>" */
			snprintf(want, sizeof(want), "t.rules:%d: target '%s' ",
				 x->line, bf_verdict_name(x->verdict.kind));
			assert_non_null(strstr(logtext, want));
		}
	}
	assert_int_equal(rc, refused ? -EINVAL : 0);
	/* conntrack matches need conntrack running */
	assert_true(bf_ruleset_ct_families(rs) & (1u << BF_FAMILY_INET4));

	/* user2credits() with HZ 100: 256 credits per jiffy. */
	assert_int_equal(bf_limit_credits(&l), 0);
	assert_int_equal(l.credits_per_jiffy, 256);
	assert_int_equal(l.cost, 25600);
	assert_int_equal(l.credit_cap, 128000);
	/* avg * burst wraps in 32 bits: limit_mt_check() says -ERANGE. */
	l = (struct bf_limit){ .avg = 864000000, .burst = 10000, .hz = 250 };
	assert_int_equal(bf_limit_credits(&l), -ERANGE);
	l.burst = 0;
	assert_int_equal(bf_limit_credits(&l), -ERANGE);
	bf_ruleset_free(&rs);
}

static void test_syntax_forms(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	_cleanup_free_ char *out = NULL;

	assert_int_equal(
		parse(rs,
		      "*filter\n"
		      "-A INPUT --protocol=TCP --src 10.1.2.3/16 --dp 80 "
		      "-m comment --comment \"say \\\"hi\\\"\" -jACCEPT\n"
		      "-A INPUT -p udp -m multiport --dports domain,1000 -m state "
		      "--state NEW,est -m iprange --src-range 10.0.0.1-10.0.0.5\n"
		      "-A INPUT -p icmp -m icmp ! --icmp-type echo-request -4\n"
		      "-A INPUT -6 -p tcp\n"
		      "COMMIT\n",
		      BF_FAMILY_INET4),
		0);
	out = print_family(rs, BF_FAMILY_INET4, 0);
	assert_non_null(strstr(
		out,
		"-A INPUT -s 10.1.0.0/16 -p tcp -m tcp --dport 80 -m comment "
		"--comment \"say \\\"hi\\\"\" -j ACCEPT\n"
		"-A INPUT -p udp -m multiport --dports 53,1000 -m state --state "
		"NEW,ESTABLISHED -m iprange --src-range 10.0.0.1-10.0.0.5\n"
		"-A INPUT -p icmp -m icmp ! --icmp-type 8\n"
		"COMMIT\n"));
	bf_ruleset_free(&rs);
}

static int parse_cmds(struct bf_ruleset *rs, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	r = bf_ipt_parse_commands(rs, f, "s.sh");
	fclose(f);
	return r;
}

/* Script idioms: flush / delete / zero, continuation lines, -P -c. */
static void test_command_scripts(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	_cleanup_free_ char *out = NULL;

	assert_int_equal(parse_cmds(rs, "iptables -N A\n"
					"iptables -A A -j DROP\n"
					"iptables -A INPUT -j A -c 1 2\n"
					"iptables -A OUTPUT -j ACCEPT\n"
					"ip6tables -N A\n"),
			 0);
	assert_int_equal(parse_cmds(rs, "iptables -Z\n"
					"iptables -F\n"
					"iptables -X\n"
					"iptables -P INPUT DROP -c 3 4\n"
					"iptables -A INPUT -p tcp \\\n"
					"    --dport 22 \\\n"
					"    -j ACCEPT\n"
					"iptables -N B\n"
					"iptables -A B -j RETURN\n"
					"iptables -A FORWARD -j B\n"
					"iptables -F B\n"),
			 0);
	out = print_family(rs, BF_FAMILY_INET4, BF_IPT_PRINT_COUNTERS);
	assert_string_equal(out, "*filter\n"
				 ":INPUT DROP [3:4]\n"
				 ":FORWARD ACCEPT [0:0]\n"
				 ":OUTPUT ACCEPT [0:0]\n"
				 ":B - [0:0]\n"
				 "[0:0] -A INPUT -p tcp -m tcp --dport 22 -j "
				 "ACCEPT\n"
				 "[0:0] -A FORWARD -j B\n"
				 "COMMIT\n");
	/* The IPv6 chain A was left alone. */
	assert_non_null(bf_ruleset_chain(rs, BF_FAMILY_INET6, "A"));

	assert_int_equal(parse_cmds(rs, "iptables -X B\n"
					"iptables -X INPUT\n"
					"iptables -X NOPE\n"
					"iptables -N C -s 1.2.3.4\n"
					"iptables -A INPUT \\\n"
					"  -m nosuch\n"
					"iptables -A INPUT \\\n"),
			 -EINVAL);
	assert_non_null(strstr(logtext, "s.sh:1: chain 'B' is still "
					"referenced"));
	assert_non_null(strstr(logtext, "s.sh:2: cannot delete built-in"));
	assert_non_null(strstr(logtext, "s.sh:3: chain 'NOPE' does not"));
	assert_non_null(strstr(logtext, "s.sh:4: Illegal option"));
	assert_non_null(strstr(logtext, "s.sh:5: match 'nosuch' is not "
					"supported"));
	assert_non_null(strstr(logtext, "s.sh:7: command continued"));
	assert_int_equal(lognum, 6);

	/* In restore input, -6 marks a line for ip6tables-restore only. */
	assert_int_equal(parse(rs,
			       "*filter\n-A INPUT -6 -m nosuch\n"
			       "-A INPUT -4 -j DROP\nCOMMIT\n",
			       BF_FAMILY_INET4),
			 0);
	free(out);
	out = print_family(rs, BF_FAMILY_INET4, 0);
	assert_non_null(strstr(out, ":OUTPUT ACCEPT [0:0]\n-A INPUT -j "
				    "DROP\nCOMMIT\n"));
	bf_ruleset_free(&rs);
}

static void test_commands(void **state)
{
	const char *dir = bft_corpus_dir();
	struct bf_ruleset *rs;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *out4 = NULL;
	_cleanup_free_ char *out6 = NULL;
	const struct bf_chain *c;
	FILE *f;

	rs = bf_ruleset_new();
	f = fmemopen((void *)"# x\n"
			     "iptables -t filter -N LOGDROP\n"
			     "/sbin/iptables -A LOGDROP -j DROP\n"
			     "iptables -P FORWARD DROP\n"
			     "iptables -A FORWARD -p tcp --dport 22 -m comment "
			     "--comment 'a b' -j LOGDROP\n"
			     "ip6tables -A INPUT -s 2001:db8::/32 -j ACCEPT\n",
		     strlen("# x\n"
			    "iptables -t filter -N LOGDROP\n"
			    "/sbin/iptables -A LOGDROP -j DROP\n"
			    "iptables -P FORWARD DROP\n"
			    "iptables -A FORWARD -p tcp --dport 22 -m comment "
			    "--comment 'a b' -j LOGDROP\n"
			    "ip6tables -A INPUT -s 2001:db8::/32 -j ACCEPT\n"),
		     "r");
	assert_non_null(f);
	assert_int_equal(bf_ipt_parse_commands(rs, f, "c.sh"), 0);
	fclose(f);
	out4 = print_family(rs, BF_FAMILY_INET4, 0);
	out6 = print_family(rs, BF_FAMILY_INET6, 0);
	assert_string_equal(out4, "*filter\n"
				  ":INPUT ACCEPT [0:0]\n"
				  ":FORWARD DROP [0:0]\n"
				  ":OUTPUT ACCEPT [0:0]\n"
				  ":LOGDROP - [0:0]\n"
				  "-A FORWARD -p tcp -m tcp --dport 22 -m "
				  "comment --comment \"a b\" -j LOGDROP\n"
				  "-A LOGDROP -j DROP\n"
				  "COMMIT\n");
	assert_non_null(strstr(out6, "-A INPUT -s 2001:db8::/32 -j ACCEPT\n"));
	assert_int_equal(rs->families, 3);

	f = fmemopen((void *)"iptables -t nat -A POSTROUTING -j MASQUERADE\n"
			     "ebtables -A INPUT\n"
			     "iptables -A INPUT -j NOWHERE\n",
		     strlen("iptables -t nat -A POSTROUTING -j MASQUERADE\n"
			    "ebtables -A INPUT\n"
			    "iptables -A INPUT -j NOWHERE\n"),
		     "r");
	assert_int_equal(bf_ipt_parse_commands(rs, f, "c.sh"), -EINVAL);
	fclose(f);
	assert_non_null(strstr(logtext, "c.sh:1: table 'nat' is not "
					"supported"));
	assert_non_null(strstr(logtext, "c.sh:2: 'ebtables' is not"));
	assert_non_null(strstr(logtext, "c.sh:3: chain 'NOWHERE' does not"));
	bf_ruleset_free(&rs);

	if (!dir) {
		print_message("SKIP: shared corpus not found\n");
		return;
	}
	/* The WebRTC quickstart commands: three -I then three -A. */
	rs = bf_ruleset_new();
	assert_true(asprintf(&path,
			     "%s/rulesets/webrtc-quickstart_cmds."
			     "iptables-cmds",
			     dir) > 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(bf_ipt_parse_commands(rs, f, path), 0);
	fclose(f);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	assert_int_equal(c->n_rules, 6);
	free(out4);
	out4 = print_family(rs, BF_FAMILY_INET4, 0);
	assert_non_null(strstr(out4, ":OUTPUT ACCEPT [0:0]\n"
				     "-A INPUT -d 198.51.100.19/32 -p udp -m "
				     "udp --dport 49152:65535 -j ACCEPT\n"));
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET6, BF_HOOK_INPUT);
	assert_int_equal(c->n_rules, 5);
	free(out6);
	out6 = print_family(rs, BF_FAMILY_INET6, 0);
	assert_non_null(strstr(out6, "-A INPUT -d 2001:db8:1000:2000::19/128 "
				     "-p udp -m udp --dport 49152:65535 -j "
				     "ACCEPT\n"));
	bf_ruleset_free(&rs);

	/* The 1000-rule enterprise ruleset. */
	rs = bf_ruleset_new();
	free(path);
	assert_true(asprintf(&path,
			     "%s/rulesets/polito_enterprise_1000."
			     "iptables-cmds",
			     dir) > 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(bf_ipt_parse_commands(rs, f, path), 0);
	fclose(f);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_FORWARD);
	assert_int_equal(c->policy, BF_VERDICT_DROP);
	assert_true(c->n_rules >= 1000);
	print_message("polito_enterprise_1000: %zu FORWARD rules\n",
		      c->n_rules);
	bf_ruleset_free(&rs);
}

/* The *filter section of a file, or NULL. */
static char *filter_section(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "r");
	_cleanup_free_ char *line = NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	bool in = false, found = false;
	FILE *out;

	if (!f)
		return NULL;
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	while (getline(&line, &cap, f) >= 0) {
		if (strncmp(line, "*filter", 7) == 0) {
			in = found = true;
		}
		if (in)
			fputs(line, out);
		if (in && strncmp(line, "COMMIT", 6) == 0)
			in = false;
	}
	fclose(out);
	if (!found) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Real iptables-save / ufw files: parse their filter table; when it
 * loads, the canonical print must hold every "-A" line of the input as
 * written (iptables-save output is canonical already) and re-parse to the
 * same print. Refusals are listed with their first reason. */
static void test_rulesets_roundtrip(void **state)
{
	const char *dir = bft_corpus_dir();
	_cleanup_free_ char *rdir = NULL;
	struct dirent *de;
	int loaded = 0, refused = 0;
	DIR *d;

	if (!dir) {
		print_message("SKIP: shared corpus not found\n");
		skip();
	}
	assert_true(asprintf(&rdir, "%s/rulesets", dir) > 0);
	d = opendir(rdir);
	if (!d) {
		print_message("SKIP: no %s\n", rdir);
		skip();
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		_cleanup_free_ char *text = NULL;
		_cleanup_free_ char *out = NULL;
		_cleanup_free_ char *out2 = NULL;
		enum bf_family fam;
		struct bf_ruleset *rs;
		int r;

		if (!strstr(de->d_name, "iptables-save") &&
		    !strstr(de->d_name, "ip6tables-save") &&
		    !strstr(de->d_name, ".rules") &&
		    !strstr(de->d_name, "ipt-save"))
			continue;
		assert_true(asprintf(&path, "%s/%s", rdir, de->d_name) > 0);
		text = filter_section(path);
		if (!text)
			continue;
		fam = strstr(de->d_name, "6") ? BF_FAMILY_INET6 :
						BF_FAMILY_INET4;
		rs = bf_ruleset_new();
		loglen = 0;
		logtext[0] = '\0';
		r = bf_ipt_parse_restore_str(rs, text, de->d_name, fam);
		if (r) {
			char *nl = strchr(logtext, '\n');

			if (nl)
				*nl = '\0';
			print_message("refused %s (%s): %s\n", de->d_name,
				      bf_family_name(fam), logtext);
			refused++;
			bf_ruleset_free(&rs);
			continue;
		}
		loaded++;
		out = print_family(rs, fam, 0);
		bf_ruleset_free(&rs);
		rs = bf_ruleset_new();
		assert_int_equal(
			bf_ipt_parse_restore_str(rs, out, "printed", fam), 0);
		out2 = print_family(rs, fam, 0);
		assert_string_equal(out, out2);
		bf_ruleset_free(&rs);
		if (strstr(de->d_name, "save")) {
			char *save = NULL;

			for (char *l = strtok_r(text, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save)) {
				if (strncmp(l, "-A ", 3) == 0 &&
				    !strstr(out, l))
					fail_msg("%s: line not printed as "
						 "written: %s",
						 de->d_name, l);
			}
		}
		print_message("loaded %s (%s): round trip OK\n", de->d_name,
			      bf_family_name(fam));
	}
	closedir(d);
	print_message("rulesets: %d filter tables loaded, %d refused\n", loaded,
		      refused);
	assert_true(loaded + refused > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_comma_expansion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_positions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_jump_goto, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_table_and_modules,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ext_ir_and_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_errors_unchanged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ir_mapping, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_syntax_forms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_command_scripts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rulesets_roundtrip, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
