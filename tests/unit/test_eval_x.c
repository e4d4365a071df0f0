// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR interpreter's policy, helper and connbytes matches
 * (src/lib/ir/eval_x.c) on hand-made kernel facts, against the kernel's
 * policy_mt(), helper_mt() and connbytes_mt() as read in their sources:
 * the cases the differential tests cannot reach on this kernel (no IPsec
 * states can exist here) or reach rarely.
 */
#include <string.h>

#include "bftest.h"
#include "bpfilter/eval.h"
#include "ir/eval_x.h"

static struct bf_eval_xfrm st(uint32_t spi, uint8_t proto, uint8_t mode,
			      uint32_t reqid)
{
	struct bf_eval_xfrm x = {
		.spi = spi, .proto = proto, .mode = mode, .reqid = reqid
	};

	x.saddr[0] = 192;
	x.saddr[2] = 2;
	x.saddr[3] = 1;
	x.daddr[0] = 198;
	x.daddr[1] = 51;
	x.daddr[2] = 100;
	x.daddr[3] = 1;
	return x;
}

static struct bf_match pol(uint16_t flags)
{
	struct bf_match m = { .type = BF_MATCH_POLICY };

	m.u.policy.flags = flags;
	m.u.policy.len = flags & BF_POLICY_NONE ? 0 : 1;
	return m;
}

static void test_policy(void **state)
{
	struct bf_eval_pkt p = { .family = BF_FAMILY_INET4, .sp_len = -1 };
	struct bf_match in = pol(BF_POLICY_IN),
			none = pol(BF_POLICY_IN | BF_POLICY_NONE);
	struct bf_match out = pol(BF_POLICY_OUT), m;

	(void)state;
	/* no sec_path / no bundle: -1, --pol none only */
	assert_int_equal(bf_eval_policy(&p, &in), 0);
	assert_int_equal(bf_eval_policy(&p, &none), 1);
	assert_int_equal(bf_eval_policy(&p, &out), 0);
	/* a sec_path of two states: an empty element matches any */
	p.sp_len = 2;
	p.sp[0] = st(0x100, 50, 1, 7);
	p.sp[1] = st(0x200, 51, 0, 8);
	assert_int_equal(bf_eval_policy(&p, &in), 1);
	assert_int_equal(bf_eval_policy(&p, &none), 0);
	/* non-strict: any state against element 0 */
	m = in;
	m.u.policy.pol[0].match = BF_POLICY_E_SPI;
	m.u.policy.pol[0].spi = 0x200;
	assert_int_equal(bf_eval_policy(&p, &m), 1);
	m.u.policy.pol[0].spi = 0x300;
	assert_int_equal(bf_eval_policy(&p, &m), 0);
	m.u.policy.pol[0].invert = BF_POLICY_E_SPI;
	assert_int_equal(bf_eval_policy(&p, &m), 1);
	/* tunnel destination under a mask */
	m = in;
	m.u.policy.pol[0].match = BF_POLICY_E_DADDR | BF_POLICY_E_MODE;
	m.u.policy.pol[0].mode = 1;
	m.u.policy.pol[0].daddr[0] = 198;
	m.u.policy.pol[0].daddr[1] = 51;
	m.u.policy.pol[0].dmask[0] = 0xff;
	m.u.policy.pol[0].dmask[1] = 0xff;
	assert_int_equal(bf_eval_policy(&p, &m), 1);
	m.u.policy.pol[0].mode = 2;
	assert_int_equal(bf_eval_policy(&p, &m), 0);
	/* strict, inbound: element k against xvec[len - 1 - k] */
	m = in;
	m.u.policy.flags |= BF_POLICY_STRICT;
	m.u.policy.len = 2;
	m.u.policy.pol[0].match = BF_POLICY_E_PROTO;
	m.u.policy.pol[0].proto = 51;
	m.u.policy.pol[1].match = BF_POLICY_E_PROTO;
	m.u.policy.pol[1].proto = 50;
	assert_int_equal(bf_eval_policy(&p, &m), 1);
	m.u.policy.pol[0].proto = 50;
	m.u.policy.pol[1].proto = 51;
	assert_int_equal(bf_eval_policy(&p, &m), 0);
	/* strict needs info->len == sp->len */
	m.u.policy.len = 1;
	m.u.policy.pol[0].proto = 51;
	assert_int_equal(bf_eval_policy(&p, &m), 0);
	/* outbound bundle: strict, state i against element i, and exactly
	 * len states */
	p.xdst_len = 2;
	p.xdst[0] = st(1, 50, 1, 3);
	p.xdst[1] = st(2, 50, 0, 4);
	m = out;
	m.u.policy.flags |= BF_POLICY_STRICT;
	m.u.policy.len = 2;
	m.u.policy.pol[0].match = BF_POLICY_E_REQID;
	m.u.policy.pol[0].reqid = 3;
	m.u.policy.pol[1].match = BF_POLICY_E_MODE;
	m.u.policy.pol[1].mode = 0;
	assert_int_equal(bf_eval_policy(&p, &m), 1);
	m.u.policy.len = 1;
	assert_int_equal(bf_eval_policy(&p, &m), 0); /* a state too many */
	p.xdst_len = 1;
	m.u.policy.len = 2;
	assert_int_equal(bf_eval_policy(&p, &m), 0); /* a state too few */
	assert_int_equal(bf_eval_policy(&p, &out), 1);
}

static void test_helper(void **state)
{
	struct bf_eval_pkt p = { 0 };
	struct bf_match m = { .type = BF_MATCH_HELPER };

	(void)state;
	strcpy(m.u.helper.name, "ftp");
	assert_int_equal(bf_eval_helper(&p, &m), 0); /* no master helper */
	m.neg = true;
	assert_int_equal(bf_eval_helper(&p, &m), 1);
	strcpy(p.ct_helper, "ftp");
	assert_int_equal(bf_eval_helper(&p, &m), 0);
	m.neg = false;
	assert_int_equal(bf_eval_helper(&p, &m), 1);
	/* the rule's name only has to start with the helper's */
	strcpy(m.u.helper.name, "ftp-data");
	assert_int_equal(bf_eval_helper(&p, &m), 1);
	strcpy(m.u.helper.name, "ft");
	assert_int_equal(bf_eval_helper(&p, &m), 0);
	m.u.helper.name[0] = '\0';
	assert_int_equal(bf_eval_helper(&p, &m), 1);
}

static void test_connbytes(void **state)
{
	struct bf_eval_pkt p = { .ct_acct = true,
				 .acct_packets = { 3, 2 },
				 .acct_bytes = { 300, 1000 } };
	struct bf_match m = { .type = BF_MATCH_CONNBYTES };

	(void)state;
	m.u.connbytes.what = BF_CONNBYTES_PKTS;
	m.u.connbytes.dir = BF_CONNBYTES_DIR_BOTH;
	m.u.connbytes.from = 5;
	m.u.connbytes.to = UINT64_MAX;
	assert_int_equal(bf_eval_connbytes(&p, &m), 1);
	m.u.connbytes.dir = BF_CONNBYTES_DIR_REPLY;
	assert_int_equal(bf_eval_connbytes(&p, &m), 0);
	/* the inverted form: outside [to, from] */
	m.u.connbytes.from = 3;
	m.u.connbytes.to = 1;
	assert_int_equal(bf_eval_connbytes(&p, &m), 0);
	m.u.connbytes.dir = BF_CONNBYTES_DIR_ORIGINAL;
	m.u.connbytes.from = 2;
	assert_int_equal(bf_eval_connbytes(&p, &m), 1);
	/* average: (300 + 1000) / 5 = 260 */
	m.u.connbytes.what = BF_CONNBYTES_AVGPKT;
	m.u.connbytes.dir = BF_CONNBYTES_DIR_BOTH;
	m.u.connbytes.from = 260;
	m.u.connbytes.to = 260;
	assert_int_equal(bf_eval_connbytes(&p, &m), 1);
	p.acct_packets[0] = p.acct_packets[1] = 0;
	m.u.connbytes.from = m.u.connbytes.to = 0;
	assert_int_equal(bf_eval_connbytes(&p, &m), 1);
	p.ct_acct = false;
	assert_int_equal(bf_eval_connbytes(&p, &m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_helper),
		cmocka_unit_test(test_connbytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
