// SPDX-License-Identifier: GPL-2.0-only
/*
 * bf_eval() / bf_eval_at() on the matches beyond the IP packet: nft's
 * limit (the token bucket, with hand-computed times), `th` ports, device
 * indexes, the link layer (ether, mac, vlan), pkttype and the conntrack
 * entry (ct mark, status, direction, state); each needs its fact in
 * bf_eval_pkt.known, or state, and is reported not modelled / depending
 * on state without it. tests/prog/test_eval_nft.c checks the same
 * against the compiled programs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bpfilter/eval.h"
#include "bpfilter/ir.h"

#define SEC 1000000000ull

/* INPUT of IPv4, policy ACCEPT, one rule: m then DROP */
static struct bf_ruleset *one_rule(const struct bf_match *m)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_rule r;

	assert_non_null(rs);
	memset(&r, 0, sizeof(r));
	r.family = BF_FAMILY_INET4;
	assert_int_equal(bf_rule_add_match(&r, m), 0);
	r.verdict.kind = BF_VERDICT_DROP;
	assert_int_equal(bf_chain_add_rule(bf_ruleset_builtin(rs,
							      BF_FAMILY_INET4,
							      BF_HOOK_INPUT),
					   &r),
			 0);
	rs->families = 1;
	return rs;
}

static struct bf_eval_pkt pkt(void)
{
	static const uint8_t udp[] = { 0x45, 0,	   0,	 28,   0,    0,	  0,
				       0,    64,   17,	 0,    0,    192, 0,
				       2,    1,	   192,	 0,    2,    2,	  0x04,
				       0xd2, 0x00, 0x35, 0x00, 0x08, 0,	  0 };
	struct bf_eval_pkt p;

	assert_int_equal(
		bf_eval_pkt_parse(&p, BF_FAMILY_INET4, udp, sizeof(udp)), 0);
	return p;
}

/* 1: the rule matched (DROP), 0: it did not (policy ACCEPT), -errno */
static int run(const struct bf_ruleset *rs, const struct bf_eval_pkt *p,
	       struct bf_eval_state *st, uint64_t now)
{
	struct bf_eval_result res;
	int r = bf_eval_at(rs, BF_HOOK_INPUT, p, st, now, NULL, NULL, &res);

	return r ? r : res.verdict == BF_VERDICT_DROP;
}

static void test_nft_limit(void **state)
{
	struct bf_match m = { .type = BF_MATCH_NFT_LIMIT };
	struct bf_eval_pkt p = pkt();
	struct bf_eval_state *st = bf_eval_state_new();
	struct bf_eval_result res;
	struct bf_ruleset *rs;
	uint64_t t = 5 * SEC;

	(void)state;
	assert_non_null(st);
	/* 2/hour, burst 3: cost 1800 s, bucket 5400 s, full at first */
	m.u.nft_limit.rate = 2;
	m.u.nft_limit.unit = 3600;
	m.u.nft_limit.burst = 3;
	rs = one_rule(&m);
	/* without state: no verdict, and it says why */
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL, &res),
			 -EOPNOTSUPP);
	assert_true(res.stateful);
	assert_int_equal(res.match->type, BF_MATCH_NFT_LIMIT);
	assert_int_equal(run(rs, &p, st, t), 1);
	assert_int_equal(run(rs, &p, st, t + 1), 1);
	assert_int_equal(run(rs, &p, st, t + 2), 1);
	/* 3 ns of tokens: over */
	assert_int_equal(run(rs, &p, st, t + 3), 0);
	/* at t + 1800 s + 1 ns: 3 ns + 1800 s - 2 ns of tokens, one
	 * packet, 1 ns left */
	assert_int_equal(run(rs, &p, st, t + 1800 * SEC + 1), 1);
	assert_int_equal(run(rs, &p, st, t + 1800 * SEC + 2), 0);
	bf_eval_state_free(&st);
	assert_null(st);
	bf_ruleset_free(&rs);

	/* over: the complement */
	st = bf_eval_state_new();
	m.u.nft_limit.over = true;
	m.u.nft_limit.burst = 1;
	rs = one_rule(&m);
	assert_int_equal(run(rs, &p, st, t), 0);
	assert_int_equal(run(rs, &p, st, t + SEC), 1);
	bf_eval_state_free(&st);
	bf_ruleset_free(&rs);

	/* bytes: 1000 bytes/s, no burst: a bucket of 1 s, 28 bytes cost
	 * 28 ms: 35 packets at once, the 36th over (1 s - 35 * 28 ms =
	 * 20 ms left), one more 8 ms later */
	st = bf_eval_state_new();
	memset(&m.u.nft_limit, 0, sizeof(m.u.nft_limit));
	m.u.nft_limit.rate = 1000;
	m.u.nft_limit.unit = 1;
	m.u.nft_limit.bytes = true;
	rs = one_rule(&m);
	for (int i = 0; i < 35; i++)
		assert_int_equal(run(rs, &p, st, t), 1);
	assert_int_equal(run(rs, &p, st, t), 0);
	assert_int_equal(run(rs, &p, st, t + 8000000 - 1), 0);
	assert_int_equal(run(rs, &p, st, t + 8000000), 1);
	bf_eval_state_free(&st);
	bf_ruleset_free(&rs);
}

static void test_th(void **state)
{
	struct bf_match m = { .type = BF_MATCH_TH_DPORT };
	struct bf_eval_pkt p = pkt();
	struct bf_ruleset *rs;

	(void)state;
	m.u.ports.lo = m.u.ports.hi = 53;
	rs = one_rule(&m);
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	rs->chains[0].rules[0].matches[0].neg = true;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	/* 3 bytes at nft's transport offset: no destination port, no
	 * match whatever the negation (NFT_BREAK) */
	p.nft_avail = 3;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	bf_ruleset_free(&rs);
}

static void test_facts(void **state)
{
	struct bf_match m = { .type = BF_MATCH_IIF };
	struct bf_eval_pkt p = pkt();
	struct bf_eval_result res;
	struct bf_ruleset *rs;

	(void)state;
	m.u.ifindex.index = 3;
	rs = one_rule(&m);
	/* the device's index not given: not modelled, not stateful */
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL, &res),
			 -EOPNOTSUPP);
	assert_false(res.stateful);
	p.known = BF_EVAL_KNOW_IFINDEX;
	p.ifindex_in = 3;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	p.ifindex_in = 0;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	rs->chains[0].rules[0].matches[0].neg = true;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	bf_ruleset_free(&rs);

	/* link layer: no header fails `!=` too */
	memset(&m, 0, sizeof(m));
	m.type = BF_MATCH_ETH_TYPE;
	m.neg = true;
	m.u.ethtype.type = 0x86dd;
	rs = one_rule(&m);
	p.known = 0;
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	p.known = BF_EVAL_KNOW_L2;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.eth_ok = true;
	p.ethtype = 0x0800;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	p.ethtype = 0x86dd;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	bf_ruleset_free(&rs);

	/* vlan pcp 5, dei 0, id 0x123 of TCI 0xa123 */
	memset(&m, 0, sizeof(m));
	m.type = BF_MATCH_VLAN;
	m.u.vlan.field = BF_VLAN_PCP;
	m.u.vlan.lo = m.u.vlan.hi = 5;
	rs = one_rule(&m);
	p.vlan_tci = 0xa123;
	assert_int_equal(run(rs, &p, NULL, 0), 0); /* no tag */
	p.vlan_ok = true;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	rs->chains[0].rules[0].matches[0].u.vlan.field = BF_VLAN_DEI;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	rs->chains[0].rules[0].matches[0].u.vlan.lo = 0;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	rs->chains[0].rules[0].matches[0].u.vlan.field = BF_VLAN_ID;
	rs->chains[0].rules[0].matches[0].u.vlan.lo = 0x100;
	rs->chains[0].rules[0].matches[0].u.vlan.hi = 0x123;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	rs->chains[0].rules[0].matches[0].u.vlan.hi = 0x122;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	/* vlan type: the type after the tag */
	rs->chains[0].rules[0].matches[0].u.vlan.field = BF_VLAN_TYPE;
	rs->chains[0].rules[0].matches[0].u.vlan.lo = 0x0800;
	rs->chains[0].rules[0].matches[0].u.vlan.hi = 0x0800;
	p.vlan_type = 0x86dd;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.vlan_type = 0x0800;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	bf_ruleset_free(&rs);

	/* mac: the source address, none: no match even with ! */
	memset(&m, 0, sizeof(m));
	m.type = BF_MATCH_MAC;
	m.neg = true;
	memcpy(m.u.mac.addr, "\x02\x00\x00\x00\x00\x01", 6);
	rs = one_rule(&m);
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.smac_ok = true;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	memcpy(p.smac, m.u.mac.addr, 6);
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	bf_ruleset_free(&rs);

	memset(&m, 0, sizeof(m));
	m.type = BF_MATCH_PKTTYPE;
	m.u.pkttype.pkttype = 1;
	rs = one_rule(&m);
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	p.known |= BF_EVAL_KNOW_PKTTYPE;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.pkttype = 1;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	bf_ruleset_free(&rs);
}

static void test_ct(void **state)
{
	struct bf_match m = { .type = BF_MATCH_CONNTRACK };
	struct bf_eval_pkt p = pkt();
	struct bf_ruleset *rs;
	struct bf_match *rm;

	(void)state;
	/* ct direction original (not inverted, cgen/m_conntrack.c) */
	m.u.conntrack.match_flags = BF_CT_DIRECTION;
	rs = one_rule(&m);
	rm = &rs->chains[0].rules[0].matches[0];
	p.ctstate = BF_CTSTATE_ESTABLISHED;
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	p.known = BF_EVAL_KNOW_CT;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	p.ct_reply = true;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	rm->u.conntrack.invert_flags = BF_CT_DIRECTION;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* no entry: no match, inverted or not */
	p.ctstate = BF_CTSTATE_INVALID;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	/* ct status assured */
	rm->u.conntrack.match_flags = BF_CT_STATUS;
	rm->u.conntrack.invert_flags = 0;
	rm->u.conntrack.status_mask = BF_CT_STATUS_ASSURED;
	p.ctstate = BF_CTSTATE_NEW;
	p.ct_status = BF_CT_STATUS_CONFIRMED;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.ct_status |= BF_CT_STATUS_ASSURED;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	rm->u.conntrack.invert_flags = BF_CT_STATUS;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	/* a state list with SNAT: the status bit counts */
	rm->u.conntrack.match_flags = BF_CT_STATE;
	rm->u.conntrack.invert_flags = 0;
	rm->u.conntrack.state_mask = BF_CT_STATE_SNAT;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.ct_status |= BF_CT_STATUS_SRC_NAT;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* no entry: INVALID or UNTRACKED; the state test alone decides */
	rm->u.conntrack.state_mask = BF_CT_STATE_UNTRACKED;
	p.ctstate = BF_CTSTATE_INVALID;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.ctstate = BF_CTSTATE_UNTRACKED;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* the entry's addresses are not in bf_eval_pkt */
	rm->u.conntrack.match_flags |= BF_CT_ORIGSRC;
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	bf_ruleset_free(&rs);

	/* ct mark: none without an entry, `!=` included */
	memset(&m, 0, sizeof(m));
	m.type = BF_MATCH_CONNMARK;
	m.neg = true;
	m.u.mark.mask = 0xff;
	m.u.mark.value = 7;
	rs = one_rule(&m);
	p.ctstate = BF_CTSTATE_INVALID;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.ctstate = BF_CTSTATE_ESTABLISHED;
	p.ctmark = 0x107;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.ctmark = 0x108;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	bf_ruleset_free(&rs);
}

static void test_addrtype(void **state)
{
	struct bf_match m = { .type = BF_MATCH_ADDRTYPE };
	struct bf_eval_pkt p = pkt();
	struct bf_ruleset *rs;
	struct bf_match *rm;

	(void)state;
	/* IPv4 --dst-type LOCAL: the route's type */
	m.u.addrtype.dest = 1 << 2;
	rs = one_rule(&m);
	rm = &rs->chains[0].rules[0].matches[0];
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	p.known = BF_EVAL_KNOW_ROUTE;
	p.rt_type = 2; /* RTN_LOCAL */
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	p.rt_type = 1; /* RTN_UNICAST */
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	rm->u.addrtype.flags = BF_ADDRTYPE_INVERT_DEST;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* no route: no match, inverted or not */
	p.rt_type = 0xff;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	/* MULTICAST alone: the address (192.0.2.2 is not 224/4), no
	 * route needed */
	rm->u.addrtype.dest = 1 << 5;
	p.known = 0;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* --src-type LOCAL: refused by the program, not modelled */
	rm->u.addrtype.source = 1 << 2;
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	bf_ruleset_free(&rs);
}

static void test_statistic(void **state)
{
	struct bf_match m = { .type = BF_MATCH_STATISTIC };
	struct bf_eval_pkt p = pkt();
	struct bf_eval_state *st = bf_eval_state_new();
	struct bf_ruleset *rs;
	static const int want[] = { 0, 1, 0, 0, 1, 0, 0, 1 };

	(void)state;
	assert_non_null(st);
	/* --mode nth --every 3 --packet 1: the 2nd, 5th, 8th... packet */
	m.u.statistic.mode = BF_STATISTIC_NTH;
	m.u.statistic.every = 2;
	m.u.statistic.packet = 1;
	rs = one_rule(&m);
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(run(rs, &p, st, 1), want[i]);
	bf_eval_state_free(&st);
	bf_ruleset_free(&rs);
	/* --every 3 --packet 0: the 1st, 4th, 7th... (the count starts at
	 * every - packet, libxt_statistic's u.nth.count, not at packet) */
	st = bf_eval_state_new();
	assert_non_null(st);
	m.u.statistic.packet = 0;
	rs = one_rule(&m);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(run(rs, &p, st, 1), i % 3 == 0);
	bf_eval_state_free(&st);
	/* random: chance, not modelled even with state */
	st = bf_eval_state_new();
	rs->chains[0].rules[0].matches[0].u.statistic.mode =
		BF_STATISTIC_RANDOM;
	assert_int_equal(run(rs, &p, st, 1), -EOPNOTSUPP);
	bf_eval_state_free(&st);
	bf_ruleset_free(&rs);
}

static void test_time(void **state)
{
	struct bf_match m = { .type = BF_MATCH_TIME };
	struct bf_eval_pkt p = pkt();
	struct bf_ruleset *rs;
	struct bf_match *rm;

	(void)state;
	/* 2026-11-28 (a Saturday) 08:00:00 UTC */
	p.now_real = 1795852800;
	m.u.time.date_stop = INT32_MAX;
	m.u.time.daytime_stop = BF_TIME_MAX_DAYTIME;
	m.u.time.weekdays_match = 1 << 6; /* Saturday */
	m.u.time.monthdays_match = 1u << 28;
	rs = one_rule(&m);
	rm = &rs->chains[0].rules[0].matches[0];
	assert_int_equal(run(rs, &p, NULL, 0), -EOPNOTSUPP);
	p.known = BF_EVAL_KNOW_TIME;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* --kerneltz, 9 hours east: 17:00 the same day */
	rm->u.time.flags = BF_TIME_LOCAL_TZ;
	p.tz_minuteswest = -540;
	rm->u.time.daytime_start = 17 * 3600;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* 10 hours west: 22:00 on Friday the 27th */
	p.tz_minuteswest = 600;
	rm->u.time.daytime_start = 0;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	rm->u.time.weekdays_match = 1 << 5;
	rm->u.time.monthdays_match = 1u << 27;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	/* 21:00-06:00 --contiguous at 08:00 UTC, 1 h west (07:00):
	 * outside; at 05:00 (3 h west): Friday's night */
	p.tz_minuteswest = 180;
	rm->u.time.daytime_start = 21 * 3600;
	rm->u.time.daytime_stop = 6 * 3600;
	rm->u.time.flags |= BF_TIME_CONTIGUOUS;
	assert_int_equal(run(rs, &p, NULL, 0), 1);
	rm->u.time.flags &= (uint8_t)~BF_TIME_CONTIGUOUS;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	p.tz_minuteswest = 60;
	assert_int_equal(run(rs, &p, NULL, 0), 0);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_limit),
		cmocka_unit_test(test_th),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_ct),
		cmocka_unit_test(test_addrtype),
		cmocka_unit_test(test_statistic),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
