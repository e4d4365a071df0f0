// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft evaluation (bf_match.nft, doc/front-nft.md "nft evaluation"): the
 * nft front end marks its transport and IPv6 protocol matches, the
 * iptables-save text carries them as bpfilter's `-m nft` (what apply and
 * the saved state use) and reads them back to the same IR, and the IR
 * interpreter evaluates them as nftables does on malformed packets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "nfttest.h"

static const char ruleset[] =
	"table inet t {\n"
	"  chain in {\n"
	"    type filter hook input priority 0; policy accept;\n"
	"    tcp dport 22 tcp flags syn accept\n"
	"    tcp flags == syn|ecn|cwr drop\n"
	"    tcp flags & (ecn|cwr) == ecn counter\n"
	"    udp sport 53 log prefix \"x\" udp dport 1000-2000 drop\n"
	"    icmp type echo-request icmp code 0 accept\n"
	"    icmpv6 type echo-request accept\n"
	"    meta l4proto ah drop\n"
	"    meta l4proto != udp counter\n"
	"    ip6 nexthdr tcp tcp dport 80 drop\n"
	"    ip protocol tcp tcp sport != 1-1023 drop\n"
	"  }\n"
	"}\n";

static const struct bf_chain *chain_in(const struct bf_ruleset *rs,
				       enum bf_family f)
{
	const struct bf_chain *c = bf_ruleset_chain(rs, f, "in");

	assert_non_null(c);
	return c;
}

/* The lowering marks what nft evaluates differently from iptables. */
static void test_lowering_marks(void **state)
{
	struct bf_ruleset *rs = bft_nft_lower_ok(ruleset);
	const struct bf_chain *c4 = chain_in(rs, BF_FAMILY_INET4);
	const struct bf_chain *c6 = chain_in(rs, BF_FAMILY_INET6);
	const struct bf_rule *r;

	(void)state;
	/* tcp dport 22 tcp flags syn: one gate, up to the flags byte */
	r = &c4->rules[0];
	assert_int_equal(r->matches[0].type, BF_MATCH_L4PROTO);
	assert_int_equal(r->matches[0].nft, BF_NFT_OFF); /* IPv4: -p */
	assert_int_equal(r->matches[1].type, BF_MATCH_L4HDR);
	assert_int_equal(r->matches[1].nft, BF_NFT_BREAK);
	assert_int_equal(r->matches[1].u.l4hdr.min_len, 14);
	assert_int_equal(r->matches[2].type, BF_MATCH_DPORT);
	assert_int_equal(r->matches[2].nft, BF_NFT_BREAK);
	r = &c6->rules[0];
	assert_int_equal(r->matches[0].nft, BF_NFT_BREAK); /* IPv6 */
	/* tcp flags == syn|ecn|cwr: all 8 bits */
	r = &c4->rules[1];
	assert_int_equal(r->matches[2].type, BF_MATCH_TCPFLAGS);
	assert_int_equal(r->matches[2].u.tcpflags.mask, 0xff);
	assert_int_equal(r->matches[2].u.tcpflags.cmp, 0xc2);
	/* ip6 nexthdr tcp tcp dport 80 (IPv6 only): raw field, then the
	 * walked protocol: two tests */
	for (size_t i = 0; i < c6->n_rules; i++) {
		r = &c6->rules[i];
		if (r->n_matches && r->matches[0].nft == BF_NFT_RAW) {
			assert_int_equal(r->matches[0].u.proto, 6);
			assert_int_equal(r->matches[1].type, BF_MATCH_L4PROTO);
			assert_int_equal(r->matches[1].nft, BF_NFT_BREAK);
			break;
		}
		assert_true(i + 1 < c6->n_rules);
	}
	bf_ruleset_free(&rs);
}

/* IR -> iptables-save text -> IR -> text: the same text, and the text
 * says -m nft for each marked match. */
static void test_text_round_trip(void **state)
{
	struct bf_ruleset *rs = bft_nft_lower_ok(ruleset);

	(void)state;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		_cleanup_free_ char *a = bft_ipt_text(rs, f), *b = NULL;
		struct bf_ruleset *back = bf_ruleset_new();
		const struct bf_chain *c, *o;

		assert_non_null(back);
		if (bf_ipt_parse_restore_str(back, a, "saved", f))
			fail_msg("does not read back:\n%s", a);
		b = bft_ipt_text(back, f);
		if (strcmp(a, b))
			fail_msg("round trip:\n%s\n---\n%s", a, b);
		/* the matches' modes and gates survive */
		c = chain_in(rs, f);
		o = chain_in(back, f);
		assert_int_equal(c->n_rules, o->n_rules);
		for (size_t i = 0; i < c->n_rules; i++) {
			assert_int_equal(c->rules[i].n_matches,
					 o->rules[i].n_matches);
			for (size_t k = 0; k < c->rules[i].n_matches; k++) {
				const struct bf_match *x =
					&c->rules[i].matches[k];
				const struct bf_match *y =
					&o->rules[i].matches[k];
				assert_int_equal(x->type, y->type);
				assert_int_equal(x->nft, y->nft);
				assert_int_equal(x->neg, y->neg);
				if (x->type == BF_MATCH_L4HDR)
					assert_int_equal(x->u.l4hdr.min_len,
							 y->u.l4hdr.min_len);
			}
		}
		if (f == BF_FAMILY_INET4) {
			assert_non_null(strstr(
				a,
				"-A in -p tcp -m nft --l4hdr 6:14 --dport 22 "
				"! --tcp-flags 0x02/0x00 -j ACCEPT"));
		} else {
			assert_non_null(strstr(
				a, "-A in -m nft --nexthdr 6 --l4proto 6 "
				   "--l4hdr 6:4 --dport 80 -j DROP"));
		}
		bf_ruleset_free(&back);
	}
	bf_ruleset_free(&rs);
}

static void test_text_errors(void **state)
{
	static const char *const bad[] = {
		"-A INPUT -m nft --l4hdr 6:0 -j DROP",
		"-A INPUT -m nft --l4hdr 6 -j DROP",
		"-A INPUT -m nft --tcp-flags 0x100/0 -j DROP",
		"-A INPUT -m nft --dport 9:8 -j DROP",
		"-A INPUT -m nft -j DROP",
	};
	struct bft_logcap cap;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		struct bf_ruleset *rs = bf_ruleset_new();

		snprintf(text, sizeof(text), "*filter\n%s\nCOMMIT\n", bad[i]);
		memset(&cap, 0, sizeof(cap));
		bf_log_set(bft_log_capture, &cap);
		assert_int_not_equal(bf_ipt_parse_restore_str(rs, text, "t",
							      BF_FAMILY_INET6),
				     0);
		bf_log_set(NULL, NULL);
		assert_non_null(strstr(cap.text, "nft"));
		bf_ruleset_free(&rs);
	}
	/* IPv6 only */
	{
		struct bf_ruleset *rs = bf_ruleset_new();

		memset(&cap, 0, sizeof(cap));
		bf_log_set(bft_log_capture, &cap);
		assert_int_not_equal(
			bf_ipt_parse_restore_str(
				rs,
				"*filter\n-A INPUT -m nft --nexthdr 6 -j DROP\n"
				"COMMIT\n",
				"t", BF_FAMILY_INET4),
			0);
		bf_log_set(NULL, NULL);
		assert_non_null(strstr(cap.text, "IPv6 only"));
		bf_ruleset_free(&rs);
	}
}

/* An IPv6 packet: header, then `ext` (n bytes, chain already linked by
 * the caller through nh0), then `l4` (m bytes). */
static size_t pkt6(uint8_t *b, uint8_t nh0, const uint8_t *ext, size_t n,
		   const uint8_t *l4, size_t m)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[2] = 0x12; /* flow label's low 16 bits: 0x1234 */
	b[3] = 0x34;
	b[4] = (uint8_t)((n + m) >> 8);
	b[5] = (uint8_t)(n + m);
	b[6] = nh0;
	b[7] = 64;
	b[8] = 0x20; /* 2001:db8::1 -> 2001:db8::2 */
	b[9] = 0x01;
	b[10] = 0x0d;
	b[11] = 0xb8;
	b[23] = 1;
	memcpy(b + 24, b + 8, 16);
	b[39] = 2;
	memcpy(b + 40, ext, n);
	memcpy(b + 40 + n, l4, m);
	return 40 + n + m;
}

static enum bf_verdict_kind verdict6(const struct bf_ruleset *rs,
				     const uint8_t *b, size_t len)
{
	struct bf_eval_pkt p;
	struct bf_eval_result res;

	assert_int_equal(bf_eval_pkt_parse(&p, BF_FAMILY_INET6, b, len), 0);
	assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &p, NULL, NULL, &res), 0);
	assert_false(res.hotdrop); /* nft never hotdrops */
	return res.verdict;
}

/* The interpreter evaluates as nftables: a short header, an AH header, a
 * walk error make the rule not match (no hotdrop); a non-first fragment
 * is read at offset 0 by the fast payload path. */
static void test_eval(void **state)
{
	static const char text[] =
		"table ip6 t {\n"
		"  chain in {\n"
		"    type filter hook input priority 0; policy accept;\n"
		"    meta l4proto ah drop\n"
		"    tcp dport != 22 tcp dport 0x1234 drop\n"
		"    tcp dport 80 tcp flags syn drop\n"
		"    ip6 nexthdr 0 meta l4proto udp drop\n"
		"  }\n"
		"}\n";
	struct bf_ruleset *rs = bft_nft_lower_ok(text);
	uint8_t b[256], tcp[20] = { 0 }, ext[16] = { 0 };
	size_t len;

	(void)state;
	tcp[2] = 0;
	tcp[3] = 80;
	tcp[13] = 0x02; /* syn */
	len = pkt6(b, 6, ext, 0, tcp, sizeof(tcp));
	assert_int_equal(verdict6(rs, b, len), BF_VERDICT_DROP);
	/* 4 bytes of TCP: the dport holds, the flags cannot be read */
	len = pkt6(b, 6, ext, 0, tcp, 4);
	assert_int_equal(verdict6(rs, b, len), BF_VERDICT_ACCEPT);
	/* AH (8 bytes) before TCP: meta l4proto is ah */
	ext[0] = 6;
	ext[1] = 0;
	len = pkt6(b, 51, ext, 8, tcp, sizeof(tcp));
	assert_int_equal(verdict6(rs, b, len), BF_VERDICT_DROP);
	/* a destination options header overrunning the packet: no L4
	 * protocol; nothing matches, no hotdrop */
	ext[0] = 6;
	ext[1] = 20;
	len = pkt6(b, 60, ext, 8, tcp, 4);
	assert_int_equal(verdict6(rs, b, len), BF_VERDICT_ACCEPT);
	/* a non-first fragment of TCP: dport is read from the IPv6
	 * header's bytes 2-3 (0x1234) */
	memset(ext, 0, sizeof(ext));
	ext[0] = 6;
	ext[2] = 0x01; /* offset 32 */
	len = pkt6(b, 44, ext, 8, tcp, 12);
	assert_int_equal(verdict6(rs, b, len), BF_VERDICT_DROP);
	/* hop-by-hop then UDP: ip6 nexthdr is 0, meta l4proto udp */
	memset(ext, 0, sizeof(ext));
	ext[0] = 17;
	len = pkt6(b, 0, ext, 8, tcp, 8);
	assert_int_equal(verdict6(rs, b, len), BF_VERDICT_DROP);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowering_marks),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_eval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
