// SPDX-License-Identifier: GPL-2.0-only
/*
 * XDP programs on multi-buffer frames. The direct path of an XDP program
 * takes the frame length as data_end - data, the linear part only
 * (cgen.c direct_start(), short_l()): a frame whose IPv4 packet does not
 * fit in the linear part must still be judged on all its bytes (through
 * the dynptr path), as with bpf_xdp_get_buff_len(). BPF_PROG_TEST_RUN puts
 * the bytes of an XDP input beyond 4096 - headroom - tailroom (about
 * 3.5 KiB) in fragments, whatever the program's flags.
 */
#include "prog_util.h"

#define BIG 6000 /* L3 bytes: well beyond the linear part */

static uint8_t frame[14 + 8192];

/* Run an Ethernet frame of flen bytes whose IPv4 UDP packet has
 * tot_len bytes (the rest of the frame: padding). */
static int run_udp(const struct pu_prog *p, uint16_t dport, size_t tot_len,
		   size_t flen)
{
	struct pu_pkt h = pu_udp4("192.0.2.1", "198.51.100.2", 1000, dport);
	uint16_t v = htons((uint16_t)tot_len);
	LIBBPF_OPTS(bpf_test_run_opts, o);
	uint16_t et = htons(0x0800);

	assert_true(flen <= sizeof(frame));
	memset(frame, 0, sizeof(frame));
	frame[0] = frame[6] = 0x02;
	memcpy(frame + 12, &et, 2);
	memcpy(h.b + 2, &v, 2); /* tot_len (the checksum is not checked) */
	memcpy(frame + 14, h.b, h.len);
	for (size_t i = 14 + h.len; i < flen; i++)
		frame[i] = (uint8_t)i;
	o.data_in = frame;
	o.data_size_in = (uint32_t)flen;
	if (bpf_prog_test_run_opts(p->prog_fd, &o) != 0)
		return -1000 - errno;
	return (int)o.retval;
}

static void expect(const struct pu_prog *p, uint32_t rule, uint32_t policy,
		   uint64_t rule_pkts, uint64_t rule_bytes, uint64_t pol_pkts,
		   uint64_t pol_bytes)
{
	struct bf_counter r = pu_counter(p, rule), q = pu_counter(p, policy);

	assert_int_equal(r.packets, rule_pkts);
	assert_int_equal(r.bytes, rule_bytes);
	assert_int_equal(q.packets, pol_pkts);
	assert_int_equal(q.bytes, pol_bytes);
	pu_reset_counters(p);
}

/* -s 192.0.2.1 -p udp --dport 53 -j DROP, policy ACCEPT, at XDP (and tc
 * for comparison: same verdicts and counts). */
static void test_frags(void **state)
{
	static const enum bf_attach_kind kinds[] = { BF_ATTACH_XDP,
						     BF_ATTACH_TC };

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b =
			bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
		uint32_t rule, pol;
		struct pu_prog p;
		int r;

		PU_RULE(b, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "192.0.2.1", 32, false),
			pu_proto(IPPROTO_UDP, false),
			pu_l4hdr(IPPROTO_UDP, 4, false),
			pu_ports(BF_MATCH_DPORT, 53, 53, false));
		b->policy = BF_VERDICT_ACCEPT;
		rs->families = 1u << BF_FAMILY_INET4;
		assert_int_equal(pu_load(rs, kinds[k], BF_HOOK_INPUT,
					 BF_FAMILY_INET4, "veth0", &p),
				 0);
		rule = b->rules[0].counter_idx;
		pol = b->policy_counter_idx;
		pu_reset_counters(&p);

		/* small packet, linear frame: the direct path */
		assert_int_equal(run_udp(&p, 53, 100, 114), pu_drop(&p));
		expect(&p, rule, pol, 1, 100, 0, 0);
		r = run_udp(&p, 53, BIG, 14 + BIG);
		if (kinds[k] == BF_ATTACH_TC && r < -1000) {
			/* an older kernel without skb fragments in
			 * BPF_PROG_TEST_RUN: nothing to compare */
			pu_close(&p);
			bf_ruleset_free(&rs);
			continue;
		}
		/* packet beyond the linear part: judged on all its bytes */
		assert_int_equal(r, pu_drop(&p));
		expect(&p, rule, pol, 1, BIG, 0, 0);
		assert_int_equal(run_udp(&p, 54, BIG, 14 + BIG), pu_accept(&p));
		expect(&p, rule, pol, 0, 0, 1, BIG);
		/* small packet, padding in fragments */
		assert_int_equal(run_udp(&p, 53, 100, 14 + BIG), pu_drop(&p));
		expect(&p, rule, pol, 1, 100, 0, 0);
		/* tot_len beyond the whole frame: left to the stack,
		 * uncounted (ip_rcv_core()) */
		assert_int_equal(run_udp(&p, 53, BIG + 1, 14 + BIG),
				 pu_accept(&p));
		expect(&p, rule, pol, 0, 0, 0, 0);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
