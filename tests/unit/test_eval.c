// SPDX-License-Identifier: GPL-2.0-only
/*
 * bf_eval(): verdict and deciding rule for parsed and hand-built rulesets
 * (first match, -j / -g / RETURN, policies, hotdrops, negations, the core
 * matches), the steps it reports, matches it does not model, and
 * bf_eval_pkt_parse() on IPv4/IPv6 packets (extension headers, fragments,
 * truncation).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"

#define V4 BF_FAMILY_INET4
#define V6 BF_FAMILY_INET6

static const char *const base4 =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":SSH - [0:0]\n"
	":WEB - [0:0]\n"
	":LOGDROP - [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	"-A INPUT -s 10.0.0.0/8 -j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 22 -j SSH\n"
	"-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -g WEB\n"
	"-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT\n"
	"-A INPUT -m iprange --src-range 198.51.100.10-198.51.100.20 -j "
	"ACCEPT\n"
	"-A INPUT -p udp -m udp ! --dport 53 -j LOGDROP\n"
	"-A INPUT -p udp -j ACCEPT\n"
	"-A SSH -s 192.0.2.0/24 -j ACCEPT\n"
	"-A SSH -j RETURN\n"
	"-A WEB -i eth+ -p tcp -m tcp --tcp-flags SYN,ACK SYN -j ACCEPT\n"
	"-A LOGDROP -j DROP\n"
	"COMMIT\n";

static struct bf_ruleset *parse(const char *text, enum bf_family fam)
{
	struct bf_ruleset *rs = bf_ruleset_new();

	assert_non_null(rs);
	assert_int_equal(bf_ipt_parse_restore_str(rs, text, "test", fam), 0);
	return rs;
}

static struct bf_eval_pkt pkt4(uint8_t proto, const char *src, uint16_t sport,
			       const char *dst, uint16_t dport)
{
	struct bf_eval_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = V4;
	inet_pton(AF_INET, src, p.saddr);
	inet_pton(AF_INET, dst, p.daddr);
	p.l4proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.avail = proto == 6 ? 20 : 8;
	p.len = p.iplen = (uint16_t)(20 + p.avail);
	p.ttl = 64;
	p.ctstate = BF_CTSTATE_NEW;
	snprintf(p.iif, sizeof(p.iif), "eth0");
	return p;
}

struct trace {
	char text[2048];
	size_t len;
};

static void on_step(const struct bf_eval_step *s, void *data)
{
	struct trace *t = data;
	int n = snprintf(
		t->text + t->len, sizeof(t->text) - t->len, "%s %s %zu%s%s;",
		bf_eval_event_name(s->event), s->chain->name, s->rule_num,
		s->event == BF_EVAL_RULE ? (s->matched ? " +" : " -") : "",
		s->match ? bf_match_name(s->match->type) : "");

	if (n > 0 && (size_t)n < sizeof(t->text) - t->len)
		t->len += (size_t)n;
}

/* Evaluate; check verdict, deciding chain ("" = policy of the built-in)
 * and rule number. */
static void expect(const struct bf_ruleset *rs, enum bf_hook hook,
		   const struct bf_eval_pkt *p, enum bf_verdict_kind v,
		   const char *chain, size_t num, struct trace *t)
{
	struct bf_eval_result res;

	if (t)
		memset(t, 0, sizeof(*t));
	assert_int_equal(bf_eval(rs, hook, p, t ? on_step : NULL, t, &res), 0);
	assert_int_equal(res.verdict, v);
	assert_non_null(res.chain);
	assert_string_equal(res.chain->name, chain);
	assert_int_equal(res.rule_num, num);
	assert_int_equal(res.policy, num == 0);
}

static void test_parsed_v4(void **state)
{
	struct bf_ruleset *rs = parse(base4, V4);
	struct bf_eval_pkt p;
	struct trace t;

	(void)state;
	/* SSH from an allowed network: jump, accepted in SSH */
	p = pkt4(6, "192.0.2.1", 1234, "198.51.100.7", 22);
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "SSH", 1, &t);
	assert_string_equal(t.text, "enter INPUT 0;rule INPUT 1 -iifname;"
				    "rule INPUT 2 -ctstate;rule INPUT 3 -saddr;"
				    "rule INPUT 4 +;enter SSH 0;rule SSH 1 +;");
	/* from elsewhere: SSH returns, later rules, policy */
	p = pkt4(6, "203.0.113.1", 1234, "198.51.100.7", 22);
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 0, &t);
	assert_non_null(strstr(t.text, "rule SSH 2 +;return SSH 0;"));
	/* established: rule 2 */
	p.ctstate = BF_CTSTATE_ESTABLISHED;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 2, NULL);
	/* loopback */
	p.ctstate = BF_CTSTATE_NEW;
	snprintf(p.iif, sizeof(p.iif), "lo");
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 1, NULL);
	/* "lo" is an exact name: "lo0" does not match (the NUL compared) */
	snprintf(p.iif, sizeof(p.iif), "lo0");
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 0, NULL);
	/* 10/8 */
	p = pkt4(6, "10.1.2.3", 1234, "198.51.100.7", 22);
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 3, NULL);
	/* web: multiport range entry, goto WEB, SYN accepted */
	p = pkt4(6, "203.0.113.1", 1234, "198.51.100.7", 8080);
	p.tcpflags = 0x02;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "WEB", 1, NULL);
	/* a SYN-ACK falls off WEB: -g from a built-in chain -> policy,
	 * not the rules after the goto (iprange would accept it) */
	p = pkt4(6, "198.51.100.15", 1234, "198.51.100.7", 443);
	p.tcpflags = 0x12;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 0, &t);
	assert_non_null(strstr(t.text, "rule WEB 1 -tcpflags;return WEB 0;"
				       "policy INPUT 0;"));
	/* 8081 is outside the range: on to iprange */
	p.dport = 8081;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 7, NULL);
	/* ICMP "any" */
	p = pkt4(1, "203.0.113.1", 0, "198.51.100.7", 0);
	p.icmp_type = 13;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 6, NULL);
	/* udp: ! --dport 53 -> LOGDROP; 53 -> rule 9 */
	p = pkt4(17, "203.0.113.1", 5000, "198.51.100.7", 123);
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "LOGDROP", 1, NULL);
	p.dport = 53;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 9, NULL);
	/* other hooks: empty, policy ACCEPT */
	expect(rs, BF_HOOK_OUTPUT, &p, BF_VERDICT_ACCEPT, "OUTPUT", 0, NULL);
	bf_ruleset_free(&rs);
}

static void test_hotdrops(void **state)
{
	struct bf_ruleset *rs = parse(base4, V4);
	struct bf_eval_result res;
	struct bf_eval_pkt p;

	(void)state;
	/* a TCP header of 10 bytes: tcp_mt() cannot read it -> hotdrop at
	 * rule 4, before SSH or the policy */
	p = pkt4(6, "192.0.2.1", 1234, "198.51.100.7", 22);
	p.avail = 10;
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL, &res), 0);
	assert_int_equal(res.verdict, BF_VERDICT_DROP);
	assert_true(res.hotdrop);
	assert_int_equal(res.rule_num, 4);
	assert_int_equal(res.match->type, BF_MATCH_L4HDR);
	/* a TCP fragment at offset 1: hotdrop; at offset 2: tcp fails,
	 * multiport fails, ... policy */
	p.avail = 20;
	p.fragoff = 1;
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL, &res), 0);
	assert_true(res.hotdrop);
	p.fragoff = 2;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 0, NULL);
	/* a UDP fragment at offset 1 is no hotdrop: udp_mt() just fails */
	p = pkt4(17, "203.0.113.1", 5000, "198.51.100.7", 123);
	p.fragoff = 1;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 9, NULL);
	bf_ruleset_free(&rs);
}

static void test_v6_walk(void **state)
{
	struct bf_ruleset *rs = parse("*filter\n"
				      ":INPUT ACCEPT [0:0]\n"
				      ":FORWARD ACCEPT [0:0]\n"
				      ":OUTPUT ACCEPT [0:0]\n"
				      "-A INPUT -s 2001:db8::/32 -j ACCEPT\n"
				      "-A INPUT -p udp -j DROP\n"
				      "COMMIT\n",
				      V6);
	/* IPv6 + hop-by-hop (8) + UDP, then a walk cut short */
	uint8_t b[64] = { 0x60, 0, 0, 0, 0, 16, 0 /* hop */, 64 };
	struct bf_eval_pkt p;
	struct bf_eval_result res;

	(void)state;
	inet_pton(AF_INET6, "2001:db9::1", b + 8);
	inet_pton(AF_INET6, "2001:db8::2", b + 24);
	b[40] = 17; /* next: udp */
	b[48] = 0x13;
	b[49] = 0x88; /* sport 5000 */
	assert_int_equal(bf_eval_pkt_parse(&p, V6, b, 64), 0);
	assert_false(p.l6err);
	assert_int_equal(p.l4proto, 17);
	assert_int_equal(p.avail, 16);
	assert_int_equal(p.sport, 5000);
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 2, NULL);
	/* hop-by-hop length 7 (64 bytes) ends past the packet: not an
	 * error while what follows is the protocol (ipv6_find_hdr() reads
	 * nothing of it; nothing is available) */
	b[41] = 7;
	assert_int_equal(bf_eval_pkt_parse(&p, V6, b, 64), 0);
	assert_false(p.l6err);
	assert_int_equal(p.avail, 0);
	/* but an extension header there cannot be read: the walk fails;
	 * rule 1 (no protocol) does not walk, rule 2 hotdrops */
	b[40] = 60;
	assert_int_equal(bf_eval_pkt_parse(&p, V6, b, 64), 0);
	assert_true(p.l6err);
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL, &res), 0);
	assert_true(res.hotdrop);
	assert_int_equal(res.rule_num, 2);
	inet_pton(AF_INET6, "2001:db8::1", b + 8);
	assert_int_equal(bf_eval_pkt_parse(&p, V6, b, 64), 0);
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 1, NULL);
	/* a non-first fragment ends the walk with its next header */
	b[6] = 44;
	b[40] = 17;
	b[41] = 0;
	b[42] = 0;
	b[43] = 8 << 3;
	inet_pton(AF_INET6, "2001:db9::1", b + 8);
	assert_int_equal(bf_eval_pkt_parse(&p, V6, b, 64), 0);
	assert_false(p.l6err);
	assert_int_equal(p.fragoff, 64);
	assert_int_equal(p.l4proto, 17);
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 2, NULL);
	/* ... unless that is an extension header: error */
	b[40] = 60;
	assert_int_equal(bf_eval_pkt_parse(&p, V6, b, 64), 0);
	assert_true(p.l6err);
	assert_int_equal(bf_eval_pkt_parse(&p, V6, b, 39), -EINVAL);
	bf_ruleset_free(&rs);
}

static void test_pkt_parse_v4(void **state)
{
	uint8_t b[40] = { 0x45, 0, 0, 40, 0, 0, 0x20, 0, 64, 6 };
	struct bf_eval_pkt p;

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", b + 12);
	inet_pton(AF_INET, "192.0.2.2", b + 16);
	b[22] = 0;
	b[23] = 22;
	b[33] = 0x12;
	assert_int_equal(bf_eval_pkt_parse(&p, V4, b, 40), 0);
	assert_int_equal(p.dport, 22);
	assert_int_equal(p.tcpflags, 0x12);
	assert_int_equal(p.fragoff, 0); /* MF alone: first fragment */
	assert_int_equal(p.avail, 20);
	assert_int_equal(p.iplen, 40);
	b[7] = 3;
	assert_int_equal(bf_eval_pkt_parse(&p, V4, b, 40), 0);
	assert_int_equal(p.fragoff, 3);
	assert_int_equal(p.dport, 0);
	b[0] = 0x44;
	assert_int_equal(bf_eval_pkt_parse(&p, V4, b, 40), -EINVAL);
}

/* Hand-built: -g inside a user chain returns to the caller of that
 * chain; RETURN in a built-in chain gives the policy; negations. */
static void test_hand_built(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *a, *b, *in;
	struct bf_rule r;
	struct bf_match m;
	struct bf_eval_pkt p = pkt4(17, "192.0.2.1", 1, "192.0.2.2", 2);
	struct trace t;

	(void)state;
	assert_int_equal(bf_ruleset_add_chain(rs, V4, "A", 0, NULL), 0);
	assert_int_equal(bf_ruleset_add_chain(rs, V4, "B", 0, NULL), 0);
	a = bf_ruleset_chain(rs, V4, "A");
	b = bf_ruleset_chain(rs, V4, "B");
	in = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
	in->policy = BF_VERDICT_DROP;
	/* INPUT: -j A; ! -p udp -j DROP; -j ACCEPT */
	memset(&r, 0, sizeof(r));
	r.verdict.kind = BF_VERDICT_JUMP;
	snprintf(r.verdict.chain, sizeof(r.verdict.chain), "A");
	assert_int_equal(bf_chain_add_rule(in, &r), 0);
	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	m.type = BF_MATCH_L4PROTO;
	m.u.proto = 17;
	m.neg = true;
	assert_int_equal(bf_rule_add_match(&r, &m), 0);
	r.verdict.kind = BF_VERDICT_DROP;
	assert_int_equal(bf_chain_add_rule(in, &r), 0);
	memset(&r, 0, sizeof(r));
	r.verdict.kind = BF_VERDICT_ACCEPT;
	assert_int_equal(bf_chain_add_rule(in, &r), 0);
	/* A: -g B; -j DROP (skipped: B's return goes back to INPUT) */
	memset(&r, 0, sizeof(r));
	r.verdict.kind = BF_VERDICT_GOTO;
	snprintf(r.verdict.chain, sizeof(r.verdict.chain), "B");
	assert_int_equal(bf_chain_add_rule(a, &r), 0);
	memset(&r, 0, sizeof(r));
	r.verdict.kind = BF_VERDICT_DROP;
	assert_int_equal(bf_chain_add_rule(a, &r), 0);
	/* B: mark 0x0/0xff -> MARK 5; -m mark --mark 5 -j RETURN */
	memset(&r, 0, sizeof(r));
	r.verdict.kind = BF_VERDICT_MARK;
	r.verdict.u.mark.value = 5;
	r.verdict.u.mark.mask = 0xffffffff;
	assert_int_equal(bf_chain_add_rule(b, &r), 0);
	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	m.type = BF_MATCH_MARK;
	m.u.mark.value = 5;
	m.u.mark.mask = 0xff;
	assert_int_equal(bf_rule_add_match(&r, &m), 0);
	r.verdict.kind = BF_VERDICT_RETURN;
	assert_int_equal(bf_chain_add_rule(b, &r), 0);

	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_ACCEPT, "INPUT", 3, &t);
	assert_string_equal(t.text,
			    "enter INPUT 0;rule INPUT 1 +;enter A 0;"
			    "rule A 1 +;enter B 0;rule B 1 +;rule B 2 +;"
			    "return B 0;return A 0;rule INPUT 2 -protocol;"
			    "rule INPUT 3 +;");
	p.l4proto = 6;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 2, NULL);
	/* RETURN in the built-in chain: the policy */
	in->rules[1].verdict.kind = BF_VERDICT_RETURN;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 0, NULL);
	/* a jump to a chain that does not exist */
	snprintf(in->rules[0].verdict.chain, BF_CHAIN_NAME_MAX, "NOPE");
	{
		struct bf_eval_result res;

		assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL,
					 &res),
				 -ENOENT);
	}
	bf_ruleset_free(&rs);
}

static void test_not_modelled(void **state)
{
	struct bf_ruleset *rs =
		parse("*filter\n"
		      ":INPUT ACCEPT [0:0]\n"
		      ":FORWARD ACCEPT [0:0]\n"
		      ":OUTPUT ACCEPT [0:0]\n"
		      "-A INPUT -p udp -j DROP\n"
		      "-A INPUT -p tcp -m limit --limit 5/sec -j ACCEPT\n"
		      "-A INPUT -j DROP\n"
		      "COMMIT\n",
		      V4);
	struct bf_eval_pkt p = pkt4(17, "192.0.2.1", 1, "192.0.2.2", 2);
	struct bf_eval_result res;
	struct trace t;

	(void)state;
	/* udp is decided before the limit rule */
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 1, NULL);
	/* tcp reaches it: no verdict */
	p.l4proto = 6;
	memset(&t, 0, sizeof(t));
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, on_step, &t, &res),
			 -EOPNOTSUPP);
	assert_int_equal(res.rule_num, 2);
	assert_non_null(res.match);
	assert_int_equal(res.match->type, BF_MATCH_LIMIT);
	/* xt_limit's credits: state the interpreter does not model */
	assert_true(res.stateful);
	assert_non_null(strstr(t.text, "depends on state INPUT 2limit;"));
	/* icmp fails -p tcp before the limit: decided */
	p.l4proto = 1;
	expect(rs, BF_HOOK_INPUT, &p, BF_VERDICT_DROP, "INPUT", 3, NULL);
	assert_false(bf_eval_models(BF_MATCH_LIMIT));
	assert_true(bf_eval_models(BF_MATCH_MULTIPORT));
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsed_v4),
		cmocka_unit_test(test_hotdrops),
		cmocka_unit_test(test_v6_walk),
		cmocka_unit_test(test_pkt_parse_v4),
		cmocka_unit_test(test_hand_built),
		cmocka_unit_test(test_not_modelled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
