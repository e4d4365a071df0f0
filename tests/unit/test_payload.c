// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m u32, -m quota and bpfilter's -m nftpayload: parse and print back
 * (iptables-save's forms), parse errors, and the IR interpreter's
 * u32_match_it() / nft payload loads on hand-made packets (values worked
 * out by hand from xt_u32.c and nft_payload.c, not from our code).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/ir.h"

#define V4 BF_FAMILY_INET4

static const char *const head = "*filter\n:INPUT ACCEPT [0:0]\n"
				":FORWARD ACCEPT [0:0]\n"
				":OUTPUT ACCEPT [0:0]\n";

/* Parse one INPUT rule; NULL (no ruleset) when parsing fails. */
static struct bf_ruleset *one(const char *rule)
{
	char text[1024];
	struct bf_ruleset *rs = bf_ruleset_new();

	assert_non_null(rs);
	snprintf(text, sizeof(text), "%s-A INPUT %s\nCOMMIT\n", head, rule);
	if (bf_ipt_parse_restore_str(rs, text, "test", V4)) {
		bf_ruleset_free(&rs);
		return NULL;
	}
	return rs;
}

static const struct bf_rule *rule0(const struct bf_ruleset *rs)
{
	const struct bf_chain *c = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);

	assert_non_null(c);
	assert_int_equal(c->n_rules, 1);
	return &c->rules[0];
}

static void round_trip(const char *in, const char *want)
{
	struct bf_ruleset *rs = one(in);
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	assert_non_null(rs);
	f = open_memstream(&buf, &n);
	assert_non_null(f);
	assert_int_equal(bf_ipt_print_rule(f, rule0(rs)), 0);
	fclose(f);
	if (!strstr(buf, want))
		fail_msg("printed '%s', wanted '%s' in it", buf, want);
	free(buf);
	bf_ruleset_free(&rs);
}

static void test_print(void **state)
{
	(void)state;
	round_trip("-p udp -m u32 --u32 \"0>>22&0x3C@0>>16=53\" -j DROP",
		   "-m u32 --u32 \"0x0>>0x16&0x3c@0x0>>0x10=0x35\"");
	round_trip(
		"-m u32 ! --u32 \" 6 & 0xFF = 1 && 4&0x3FFF=0:5,7 \" -j DROP",
		"-m u32 ! --u32 \"0x6&0xff=0x1&&0x4&0x3fff=0x0:0x5,0x7\"");
	round_trip("-m u32 --u32 \"0<<3>>1=0x10\" -j DROP",
		   "--u32 \"0x0<<0x3>>0x1=0x10\"");
	round_trip("-m quota --quota 1000 -j ACCEPT", "-m quota --quota 1000");
	round_trip("-m quota ! --quota 0x10 -j ACCEPT",
		   "-m quota ! --quota 16");
	round_trip("-m nftpayload ! --nft-payload th,14,2,0xffff,0x2000",
		   "-m nftpayload ! --nft-payload th,14,2,0xffff,0x2000");
	round_trip("-m nftpayload --nft-payload nh,1,3,0xfffff,0x1:0x5",
		   "--nft-payload nh,1,3,0xfffff,0x1:0x5");
}

static void test_errors(void **state)
{
	static const char *const bad[] = {
		"-m u32 --u32 \"=1\"",
		"-m u32 --u32 \"0=\"",
		"-m u32 --u32 \"0\"",
		"-m u32 --u32 \"0<1=1\"",
		"-m u32 --u32 \"0=1&2\"",
		"-m u32 --u32 \"0=0x100000000\"",
		/* 11 tests, 11 numbers in a location, 11 ranges */
		"-m u32 --u32 \"0=0&&0=0&&0=0&&0=0&&0=0&&0=0&&0=0&&0=0&&0=0&&"
		"0=0&&0=0\"",
		"-m u32 --u32 \"0&1&1&1&1&1&1&1&1&1&1=0\"",
		"-m u32 --u32 \"0=1,2,3,4,5,6,7,8,9,10,11\"",
		/* u32_mt_checkentry(): shift counts below 32 */
		"-m u32 --u32 \"8>>32=0\"",
		"-m u32 --u32 \"8<<0x20=0\"",
		"-m quota --quota x",
		"-m quota",
		"-m nftpayload --nft-payload ll,0,1,0xff,0x1",
		"-m nftpayload --nft-payload th,0,5,0xff,0x1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bf_ruleset *rs = one(bad[i]);

		if (rs)
			fail_msg("accepted: %s", bad[i]);
	}
	/* the limits themselves are accepted */
	{
		struct bf_ruleset *rs =
			one("-m u32 --u32 \"0&1&1&1&1&1&1&1&1&1=0\" -j DROP");

		assert_non_null(rs);
		bf_ruleset_free(&rs);
	}
}

/* A UDP packet: IPv4 header of ihl words (options NOPs), UDP header,
 * payload "JOIN" */
static size_t udp_pkt(uint8_t *b, int ihl, uint16_t sport, uint16_t frag)
{
	size_t n = (size_t)ihl * 4 + 8 + 4;

	memset(b, 0, 128);
	b[0] = (uint8_t)(0x40 | ihl);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	b[4] = 0x12; /* id 0x1234 */
	b[5] = 0x34;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = 17;
	memset(b + 20, 1, (size_t)ihl * 4 - 20);
	b[ihl * 4] = (uint8_t)(sport >> 8);
	b[ihl * 4 + 1] = (uint8_t)sport;
	b[ihl * 4 + 3] = 53;
	b[ihl * 4 + 5] = 12;
	memcpy(b + ihl * 4 + 8, "JOIN", 4);
	return n;
}

/* The verdict of INPUT for rule (-j DROP) on the packet b. */
static enum bf_verdict_kind verdict(const char *rule, const uint8_t *b,
				    size_t n)
{
	struct bf_ruleset *rs = one(rule);
	struct bf_eval_result res;
	struct bf_eval_pkt p;

	assert_non_null(rs);
	assert_int_equal(bf_eval_pkt_parse(&p, V4, b, n), 0);
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL, &res), 0);
	bf_ruleset_free(&rs);
	return res.verdict;
}

#define DROP BF_VERDICT_DROP
#define ACCEPT BF_VERDICT_ACCEPT

static void test_u32_eval(void **state)
{
	uint8_t b[128];
	size_t n;

	(void)state;
	n = udp_pkt(b, 5, 1000, 0);
	/* the UDP source port after the header length: 1000 */
	assert_int_equal(
		verdict("-m u32 --u32 \"0>>22&0x3C@0>>16=1000\" -j DROP", b, n),
		DROP);
	assert_int_equal(
		verdict("-m u32 --u32 \"0>>22&0x3C@0>>16=999\" -j DROP", b, n),
		ACCEPT);
	assert_int_equal(
		verdict("-m u32 ! --u32 \"0>>22&0x3C@0>>16=999\" -j DROP", b,
			n),
		DROP);
	/* with 4 bytes of options the header is 24 bytes */
	n = udp_pkt(b, 6, 1000, 0);
	assert_int_equal(
		verdict("-m u32 --u32 \"0>>22&0x3C@0>>16=1000\" -j DROP", b, n),
		DROP);
	/* two @: the UDP length word (8 + 4 = 12) is 12, so @12 from
	 * there is 12 + 12 = 24 + 12... here: at = 24 (ihl), then + 12
	 * read at 24 + 4 (length 12, checksum 0: 0x000c0000 >> 16 = 12),
	 * at = 36 = the packet's end: the 4 bytes at 36 + 0 are past it */
	assert_int_equal(
		verdict("-m u32 --u32 \"0>>22&0x3C@4>>16@0=0:0xffffffff\" "
			"-j DROP",
			b, n),
		ACCEPT);
	/* "JOIN" at 24 + 8 */
	assert_int_equal(
		verdict("-m u32 --u32 \"0>>22&0x3C@8=0x4a4f494e\" -j DROP", b,
			n),
		DROP);
	/* the last 4 bytes are readable, one more is not (pos > len - 4) */
	assert_int_equal(
		verdict("-m u32 --u32 \"32=0x4a4f494e\" -j DROP", b, n), DROP);
	assert_int_equal(verdict("-m u32 ! --u32 \"33=0:0xffffffff\" -j DROP",
				 b, n),
			 DROP);
	/* && of tests, ranges and lists; shifts modulo 32 */
	assert_int_equal(
		verdict("-m u32 --u32 \"6&0xFF=17 && 4>>16=0:5,0x1234\" "
			"-j DROP",
			b, n),
		DROP);
	assert_int_equal(verdict("-m u32 --u32 \"6&0xFF=17 && 4>>16=0:5\" "
				 "-j DROP",
				 b, n),
			 ACCEPT);
	assert_int_equal(verdict("-m u32 --u32 \"6&0xFF=6 && 4>>16=0x1234\" "
				 "-j DROP",
				 b, n),
			 ACCEPT);
	/* bytes 8-11: ttl 64, protocol 17, checksum 0 */
	assert_int_equal(verdict("-m u32 --u32 \"8>>31=0\" -j DROP", b, n),
			 DROP);
	assert_int_equal(verdict("-m u32 --u32 \"8<<4=0x01100000\" -j DROP", b,
				 n),
			 DROP);
}

static void test_payload_eval(void **state)
{
	uint8_t b[128];
	size_t n;

	(void)state;
	n = udp_pkt(b, 5, 1000, 0);
	/* udp length 12 (2 bytes at transport 4) */
	assert_int_equal(
		verdict("-m nftpayload --nft-payload th,4,2,0xffff,0xc "
			"-j DROP",
			b, n),
		DROP);
	/* ip id & 0xff00 == 0x1200 */
	assert_int_equal(
		verdict("-m nftpayload --nft-payload nh,4,2,0xff00,0x1200 "
			"-j DROP",
			b, n),
		DROP);
	/* past the end: no match, whatever ! */
	assert_int_equal(
		verdict("-m nftpayload ! --nft-payload th,10,4,0xffffffff,"
			"0x1 -j DROP",
			b, n),
		ACCEPT);
	/* a later fragment: a 3-byte (slow) load breaks, a 2-byte aligned
	 * (fast) one reads at ihl * 4 anyway */
	n = udp_pkt(b, 5, 1000, 0x0010);
	assert_int_equal(
		verdict("-m nftpayload --nft-payload th,0,2,0xffff,0x3e8 "
			"-j DROP",
			b, n),
		DROP);
	assert_int_equal(verdict("-m nftpayload --nft-payload th,0,3,0xffff00,"
				 "0x3e800 -j DROP",
				 b, n),
			 ACCEPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_u32_eval),
		cmocka_unit_test(test_payload_eval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
