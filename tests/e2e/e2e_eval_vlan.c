// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR interpreter against the compiled tc program on frames whose
 * 802.1Q / 802.1ad tag the device took out, which BPF_PROG_TEST_RUN
 * cannot give (tests/prog/test_eval_nft.c): in a network namespace of
 * this process, a veth pair; the program is attached at tcx ingress of
 * one end, random rulesets of nft's `vlan id|pcp|dei`, `ether type|daddr`
 * and `ether saddr` (with addresses and ports) are compiled, raw frames
 * (AF_PACKET) tagged, double-tagged or not are sent from the other end,
 * and after each frame every counter of the program must be what
 * bf_eval() says, given the facts the receive path leaves: the tag in
 * skb->vlan_tci (skb_vlan_untag() in __netif_receive_skb_core()), its
 * protocol as `ether type` (nft_payload_copy_vlan()), `vlan` only for an
 * 802.1Q one.
 *
 * BF_EVAL_SEED=N repeats a run. The namespace goes with the process.
 */
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "load/link.h"
#include "../prog/eval_util.h"
#include "../prog/prog_util.h"

static const uint8_t macs[][6] = {
	{ 0x02, 0, 0, 0, 0x0b, 0x01 },
	{ 0x02, 0, 0, 0, 0x0b, 0x02 },
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};
static const uint16_t tcis[] = { 10, 0xa00a, 0x100a, 0x0fff, 0x2001, 4000 };
static const uint16_t dports[] = { 9001, 9002, 53 };

static void add(struct bf_rule *r, const struct bf_match *m)
{
	assert_int_equal(bf_rule_add_match(r, m), 0);
}

static struct bf_ruleset *random_ruleset(void)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b;

	assert_non_null(rs);
	rs->families = 1u << BF_FAMILY_INET4;
	b = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	b->policy = chance(50) ? BF_VERDICT_ACCEPT : BF_VERDICT_DROP;
	for (int k = 1 + (int)below(8); k > 0; k--) {
		struct bf_rule r;
		struct bf_match m;

		memset(&r, 0, sizeof(r));
		r.family = BF_FAMILY_INET4;
		if (chance(60)) {
			m = pu_m(BF_MATCH_VLAN, chance(25));
			m.u.vlan.field = (uint8_t)below(3);
			m.u.vlan.lo = m.u.vlan.field == BF_VLAN_ID ?
					      (uint16_t)(chance(50) ? 10 : 0) :
					      (uint16_t)below(2);
			m.u.vlan.hi =
				m.u.vlan.field == BF_VLAN_ID ?
					(uint16_t)(chance(50) ? 10 : 4095) :
				m.u.vlan.field == BF_VLAN_PCP ?
					(uint16_t)(below(8)) :
					1;
			if (m.u.vlan.hi < m.u.vlan.lo)
				m.u.vlan.hi = m.u.vlan.lo;
			add(&r, &m);
		}
		if (chance(35)) {
			static const uint16_t types[] = { 0x8100, 0x0800,
							  0x88a8 };

			m = pu_m(BF_MATCH_ETH_TYPE, chance(30));
			m.u.ethtype.type = types[below(3)];
			add(&r, &m);
		}
		if (chance(25)) {
			m = pu_m(chance(50) ? BF_MATCH_ETH_DADDR : BF_MATCH_MAC,
				 chance(30));
			memcpy(m.u.mac.addr, macs[below(2)], 6);
			add(&r, &m);
		}
		if (chance(40)) {
			m = pu_proto(17, false);
			add(&r, &m);
			m = pu_l4hdr(17, 8, false);
			add(&r, &m);
			m = pu_ports(BF_MATCH_DPORT, dports[below(3)],
				     dports[below(3)], chance(20));
			if (m.u.ports.lo > m.u.ports.hi)
				m.u.ports.hi = m.u.ports.lo;
			add(&r, &m);
		}
		r.verdict.kind = chance(30) ? BF_VERDICT_CONTINUE :
				 chance(50) ? BF_VERDICT_ACCEPT :
					      BF_VERDICT_DROP;
		assert_int_equal(bf_chain_add_rule(b, &r), 0);
	}
	return rs;
}

struct tally {
	uint64_t *pk;
	size_t n;
};

static void on_step(const struct bf_eval_step *st, void *data)
{
	struct tally *x = data;

	if (st->event == BF_EVAL_RULE && st->matched &&
	    st->rule->counter_idx < x->n)
		x->pk[st->rule->counter_idx]++;
	if (st->event == BF_EVAL_POLICY && st->chain->policy_counter_idx < x->n)
		x->pk[st->chain->policy_counter_idx]++;
}

static uint64_t total(const struct pu_prog *p)
{
	uint64_t t = 0;

	for (uint32_t c = 0; c < p->n_counters; c++)
		t += pu_counter(p, c).packets;
	return t;
}

static int setup_net(unsigned int *ifindex)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	if (bft_sh("ip link set lo up && ip link add va type veth peer name "
		   "vb && sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && "
		   "sysctl -qw net.ipv6.conf.default.disable_ipv6=1 && "
		   "ip link set va up && ip link set vb up") != 0)
		return -EIO;
	*ifindex = if_nametoindex("vb");
	return *ifindex ? 0 : -ENODEV;
}

static void test_tagged(void **state)
{
	const char *env = getenv("BF_EVAL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) :
			      (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	unsigned int ifindex = 0, frames = 0, tagged = 0, failures = 0;
	struct sockaddr_ll to = { .sll_family = AF_PACKET };
	int sk, r;

	(void)state;
	BFT_REQUIRE_KERNEL();
	r = setup_net(&ifindex);
	if (r) {
		print_message("SKIP: no network namespace / veth here: %s\n",
			      strerror(-r));
		skip();
	}
	print_message("seed %" PRIu64 " (BF_EVAL_SEED=%" PRIu64 " to repeat)\n",
		      seed, seed);
	rng = seed ? seed : 1;
	sk = socket(AF_PACKET, SOCK_RAW, 0);
	assert_true(sk >= 0);
	to.sll_ifindex = (int)if_nametoindex("va");
	to.sll_halen = 6;
	for (int i = 0; i < 25 && failures < 3; i++) {
		struct bf_ruleset *rs = random_ruleset();
		struct pu_prog prog;
		int link;

		assert_int_equal(pu_load(rs, BF_ATTACH_TC, BF_HOOK_INPUT,
					 BF_FAMILY_INET4, "vb", &prog),
				 0);
		link = bf_link_attach(BF_ATTACH_TC, prog.prog_fd,
				      BF_FAMILY_INET4, BF_HOOK_INPUT, ifindex);
		assert_true(link >= 0);
		for (int k = 0; k < 20 && failures < 3; k++) {
			struct pu_spec s = { .fam = BF_FAMILY_INET4,
					     .proto = 17,
					     .src = "192.0.2.1",
					     .dst = "192.0.2.2" };
			struct pu_pkt p;
			uint8_t f[2048];
			size_t off = 12;
			int tags = chance(20) ? 0 : chance(80) ? 1 : 2;
			uint16_t outer = chance(80) ? 0x8100 : 0x88a8;
			uint16_t tci = tcis[below(ARRAY_SIZE(tcis))];
			uint64_t want[64] = { 0 };
			struct tally x = { want, prog.n_counters };
			struct bf_eval_pkt ep;
			struct bf_eval_result res;
			uint16_t v;

			s.sport = 1000;
			s.dport = dports[below(3)];
			p = pu_build(&s);
			memcpy(f, macs[below(3)], 6);
			memcpy(f + 6, macs[below(2)], 6);
			for (int t = 0; t < tags; t++) {
				v = htons(t ? 0x8100 : outer);
				memcpy(f + off, &v, 2);
				v = htons(t ? 20 : tci);
				memcpy(f + off + 2, &v, 2);
				off += 4;
			}
			v = htons(0x0800);
			memcpy(f + off, &v, 2);
			memcpy(f + off + 2, p.b, p.len);
			/* the facts: skb_vlan_untag() takes the outer tag
			 * out; a second tag stays in the frame (not IP to
			 * the prologue: left alone) */
			assert_int_equal(bf_eval_pkt_parse(&ep, BF_FAMILY_INET4,
							   p.b, p.len),
					 0);
			ep.known = BF_EVAL_KNOW_L2;
			ep.eth_ok = ep.smac_ok = true;
			memcpy(ep.dmac, f, 6);
			memcpy(ep.smac, f + 6, 6);
			ep.ethtype = tags ? outer : 0x0800;
			ep.vlan_ok = tags && outer == 0x8100;
			ep.vlan_tci = tci;
			ep.vlan_type = tags == 2 ? 0x8100 : 0x0800;
			snprintf(ep.iif, sizeof(ep.iif), "vb");
			ep.ctstate = BF_CTSTATE_NEW;
			if (tags < 2)
				assert_int_equal(bf_eval(rs, BF_HOOK_INPUT, &ep,
							 on_step, &x, &res),
						 0);
			pu_reset_counters(&prog);
			memcpy(to.sll_addr, f, 6);
			assert_int_equal(sendto(sk, f, off + 2 + p.len, 0,
						(struct sockaddr *)&to,
						sizeof(to)),
					 (ssize_t)(off + 2 + p.len));
			frames++;
			tagged += tags > 0;
			/* processed asynchronously (the backlog): wait for
			 * a counter, then a little more */
			for (int w = 0; w < 100 && tags < 2 && !total(&prog);
			     w++)
				usleep(2000);
			usleep(tags < 2 ? 2000 : 30000);
			for (uint32_t c = 0; c < prog.n_counters; c++) {
				struct bf_counter cc = pu_counter(&prog, c);

				if (cc.packets == want[c])
					continue;
				fprintf(stderr,
					"COUNTER MISMATCH: counter %u: program "
					"%" PRIu64 ", interpreter %" PRIu64
					" (%d tags, outer %04x, tci %04x)\n",
					c, cc.packets, want[c], tags, outer,
					tci);
				failures++;
				bf_ipt_print(stderr, rs, BF_FAMILY_INET4, 0);
				break;
			}
		}
		close(link);
		pu_close(&prog);
		bf_ruleset_free(&rs);
	}
	close(sk);
	print_message("%u frames (%u tagged), %u mismatching\n", frames, tagged,
		      failures);
	assert_int_equal(failures, 0);
	assert_true(tagged > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
