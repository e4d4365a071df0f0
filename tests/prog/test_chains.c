// SPDX-License-Identifier: GPL-2.0-only
/*
 * Chains: first match wins, rules without target, -j / -g / RETURN and
 * policies as ipt_do_table() runs them, hotdrop inside a user chain, call
 * depth limits, both families in one tc/xdp program, non-IP and malformed
 * frames at tc/xdp. Verdicts and counters are checked.
 */
#include "prog_util.h"

static const struct {
	enum bf_attach_kind attach;
	enum bf_hook hook;
} kinds[] = {
	{ BF_ATTACH_NF, BF_HOOK_INPUT },  { BF_ATTACH_NF, BF_HOOK_OUTPUT },
	{ BF_ATTACH_TC, BF_HOOK_INPUT },  { BF_ATTACH_TC, BF_HOOK_OUTPUT },
	{ BF_ATTACH_XDP, BF_HOOK_INPUT },
};

#define V4 BF_FAMILY_INET4
#define V6 BF_FAMILY_INET6
#define ACC 1
#define DRP 0

struct pkts {
	struct pu_pkt tcp, udp, icmp, icmp99;
};

static struct pkts mkpkts(void)
{
	struct pkts p;

	p.tcp = pu_build(&(struct pu_spec){ .proto = 6, .dport = 22 });
	p.udp = pu_build(&(struct pu_spec){ .proto = 17, .dport = 53 });
	p.icmp = pu_build(&(struct pu_spec){ .proto = 1, .itype = 8 });
	p.icmp99 = pu_build(&(struct pu_spec){
		.proto = 1, .itype = 8, .src = "192.0.2.99" });
	return p;
}

static void expect(const struct pu_prog *p, const struct pu_pkt *pkt, int want)
{
	int r = pu_run(p, pkt->b, pkt->len, V4);

	assert_int_equal(r, want == ACC ? pu_accept(p) : pu_drop(p));
}

/* Packets counted on counter idx (since the last reset). */
static uint64_t cnt(const struct pu_prog *p, uint32_t idx)
{
	return pu_counter(p, idx).packets;
}

static struct bf_chain *user(struct bf_ruleset *rs, const char *name)
{
	struct bf_chain *c = NULL;

	assert_int_equal(bf_ruleset_add_chain(rs, V4, name, 0, &c), 0);
	return c;
}

#define B(rs, k) bf_ruleset_builtin(rs, V4, kinds[k].hook)
#define RULE_IDX(chain, i) ((chain)->rules[i].counter_idx)

static void load(struct bf_ruleset *rs, size_t k, struct pu_prog *p)
{
	assert_int_equal(
		pu_load(rs, kinds[k].attach, kinds[k].hook, V4, "veth0", p), 0);
}

static void test_first_match_and_continue(void **state)
{
	struct pkts pk = mkpkts();

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = B(rs, k);
		struct pu_prog p;

		/* r0: count tcp (no target); r1: tcp ACCEPT; r2: tcp DROP;
		 * r3: all DROP; policy ACCEPT */
		PU_RULE(b, BF_VERDICT_CONTINUE, NULL, pu_proto(6, false));
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL, pu_proto(6, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(6, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(17, false));
		load(rs, k, &p);
		expect(&p, &pk.tcp, ACC);
		expect(&p, &pk.tcp, ACC);
		expect(&p, &pk.udp, DRP);
		expect(&p, &pk.icmp, ACC);
		assert_int_equal(cnt(&p, RULE_IDX(b, 0)), 2);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 2);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2)), 0);
		assert_int_equal(cnt(&p, RULE_IDX(b, 3)), 1);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 1);
		assert_int_equal(pu_counter(&p, RULE_IDX(b, 0)).bytes,
				 2 * pk.tcp.len);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void test_jump_return(void **state)
{
	struct pkts pk = mkpkts();

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *u = user(rs, "U"), *b = B(rs, k);
		struct pu_prog p;

		/* INPUT: -j U; DROP. U: -p udp ACCEPT; -p tcp RETURN;
		 * -s .99 DROP; (end: return) */
		PU_RULE(b, BF_VERDICT_JUMP, "U", pu_proto(0, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(0, false));
		u = bf_ruleset_chain(rs, V4, "U");
		PU_RULE(u, BF_VERDICT_ACCEPT, NULL, pu_proto(17, false));
		PU_RULE(u, BF_VERDICT_RETURN, NULL, pu_proto(6, false));
		PU_RULE(u, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, "192.0.2.99", 32, false));
		load(rs, k, &p);
		b = B(rs, k);
		u = bf_ruleset_chain(rs, V4, "U");

		expect(&p, &pk.udp, ACC);
		assert_int_equal(cnt(&p, RULE_IDX(b, 0)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(u, 0)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 0);

		pu_reset_counters(&p);
		expect(&p, &pk.tcp, DRP);
		assert_int_equal(cnt(&p, RULE_IDX(u, 1)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 1);

		pu_reset_counters(&p);
		expect(&p, &pk.icmp99, DRP);
		assert_int_equal(cnt(&p, RULE_IDX(u, 2)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 0);

		pu_reset_counters(&p);
		expect(&p, &pk.icmp, DRP); /* falls off U, then INPUT r1 */
		assert_int_equal(cnt(&p, RULE_IDX(u, 2)), 0);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 1);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 0);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void test_goto(void **state)
{
	struct pkts pk = mkpkts();

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b, *a, *bb, *g;
		struct pu_prog p;

		user(rs, "A");
		user(rs, "B");
		user(rs, "G");
		b = B(rs, k);
		a = bf_ruleset_chain(rs, V4, "A");
		bb = bf_ruleset_chain(rs, V4, "B");
		g = bf_ruleset_chain(rs, V4, "G");
		/* INPUT: -p icmp -g G; -j A; -p tcp DROP; policy DROP.
		 * G: -s .99 ACCEPT (else return -> INPUT policy).
		 * A: -g B; ACCEPT (never reached).
		 * B: -p udp DROP (else return to INPUT after -j A). */
		b->policy = BF_VERDICT_DROP;
		PU_RULE(b, BF_VERDICT_GOTO, "G", pu_proto(1, false));
		PU_RULE(b, BF_VERDICT_JUMP, "A", pu_proto(0, false));
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(6, false));
		PU_RULE(g, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_SADDR, "192.0.2.99", 32, false));
		PU_RULE(a, BF_VERDICT_GOTO, "B", pu_proto(0, false));
		PU_RULE(a, BF_VERDICT_ACCEPT, NULL, pu_proto(0, false));
		PU_RULE(bb, BF_VERDICT_DROP, NULL, pu_proto(17, false));
		load(rs, k, &p);

		expect(&p, &pk.icmp99, ACC);
		assert_int_equal(cnt(&p, RULE_IDX(g, 0)), 1);
		pu_reset_counters(&p);
		/* goto from a built-in chain: G returns -> policy, not the
		 * next INPUT rule */
		expect(&p, &pk.icmp, DRP);
		assert_int_equal(cnt(&p, RULE_IDX(b, 0)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 0);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 1);
		pu_reset_counters(&p);
		/* A -g B, B returns: back to INPUT after -j A */
		expect(&p, &pk.tcp, DRP);
		assert_int_equal(cnt(&p, RULE_IDX(a, 0)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(a, 1)), 0);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2)), 1);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 0);
		pu_reset_counters(&p);
		expect(&p, &pk.udp, DRP);
		assert_int_equal(cnt(&p, RULE_IDX(bb, 0)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2)), 0);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void test_return_builtin_and_hotdrop_in_user(void **state)
{
	struct pkts pk = mkpkts();
	struct pu_pkt shorttcp =
		pu_build(&(struct pu_spec){ .proto = 6, .l4len = 12 });

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b, *u;
		struct pu_prog p;

		user(rs, "U");
		b = B(rs, k);
		u = bf_ruleset_chain(rs, V4, "U");
		/* INPUT: -p udp RETURN; -j U; ACCEPT; policy DROP.
		 * U: -p tcp --dport 22 ACCEPT (hotdrops short tcp) */
		b->policy = BF_VERDICT_DROP;
		PU_RULE(b, BF_VERDICT_RETURN, NULL, pu_proto(17, false));
		PU_RULE(b, BF_VERDICT_JUMP, "U", pu_proto(0, false));
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL, pu_proto(0, false));
		PU_RULE(u, BF_VERDICT_ACCEPT, NULL, pu_proto(6, false),
			pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_DPORT, 22, 22, false));
		load(rs, k, &p);

		expect(&p, &pk.udp, DRP); /* RETURN in INPUT: policy */
		assert_int_equal(cnt(&p, RULE_IDX(b, 0)), 1);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2)), 0);
		pu_reset_counters(&p);
		expect(&p, &shorttcp, DRP); /* hotdrop inside U */
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(u, 0)), 0);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2)), 0);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 0);
		pu_reset_counters(&p);
		expect(&p, &pk.tcp, ACC);
		assert_int_equal(cnt(&p, RULE_IDX(u, 0)), 1);
		expect(&p, &pk.icmp, ACC);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2)), 1);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void filler(struct bf_chain *c, int n)
{
	char a[32];

	for (int i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", i / 200, i % 200);
		PU_RULE(c, BF_VERDICT_DROP, NULL,
			pu_addr(BF_MATCH_SADDR, a, 32, false),
			pu_proto(6, false));
	}
}

/* A chain of n user chains, each jumping to the next; the last accepts. */
static int depth_prog(int n, struct pu_prog *p)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *c;
	char name[16], next[16];
	int r;

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "C%d", i);
		user(rs, name);
	}
	c = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
	c->policy = BF_VERDICT_DROP;
	PU_RULE(c, BF_VERDICT_JUMP, "C0", pu_proto(0, false));
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "C%d", i);
		snprintf(next, sizeof(next), "C%d", i + 1);
		c = bf_ruleset_chain(rs, V4, name);
		if (i + 1 < n)
			PU_RULE(c, i % 2 ? BF_VERDICT_GOTO : BF_VERDICT_JUMP,
				next, pu_proto(0, false));
		else
			PU_RULE(c, BF_VERDICT_ACCEPT, NULL, pu_proto(6, false));
	}
	r = pu_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, V4, NULL, p);
	bf_ruleset_free(&rs);
	return r;
}

static void test_depth(void **state)
{
	struct pkts pk = mkpkts();
	struct pu_prog p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	/* main + INPUT + 6 user chains = 8 frames: the most BPF allows */
	{
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b;

		user(rs, "A");
		user(rs, "B");
		b = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
		PU_RULE(b, BF_VERDICT_JUMP, "A", pu_proto(0, false));
		PU_RULE(bf_ruleset_chain(rs, V4, "A"), BF_VERDICT_GOTO, "B",
			pu_proto(0, false));
		assert_int_equal(bf_cgen_frames(rs, V4, BF_HOOK_INPUT), 4);
		/* a long B is split into segments: one frame more */
		filler(bf_ruleset_chain(rs, V4, "B"), 1000);
		assert_int_equal(bf_cgen_frames(rs, V4, BF_HOOK_INPUT), 5);
		bf_ruleset_free(&rs);
	}
	assert_int_equal(depth_prog(6, &p), 0);
	expect(&p, &pk.tcp, ACC);
	expect(&p, &pk.udp, DRP);
	pu_close(&p);
	assert_int_equal(depth_prog(7, &p), -E2BIG);
}

/* One tc/xdp program serves both families; non-IP frames pass uncounted;
 * malformed IP is left to the stack (accepted, uncounted); Ethernet
 * padding is not counted. */
static void test_l2(void **state)
{
	struct pu_pkt t4 = pu_build(&(struct pu_spec){ .proto = 6 });
	struct pu_pkt t6 = pu_build(&(struct pu_spec){ .fam = V6, .proto = 6 });

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (int a = BF_ATTACH_TC; a <= BF_ATTACH_XDP; a++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b4 = bf_ruleset_builtin(rs, V4, BF_HOOK_INPUT);
		struct bf_chain *b6 = bf_ruleset_builtin(rs, V6, BF_HOOK_INPUT);
		uint8_t frame[128];
		LIBBPF_OPTS(bpf_test_run_opts, o);
		struct pu_prog p;
		struct pu_pkt bad;

		b4->policy = BF_VERDICT_DROP;
		PU_RULE(b6, BF_VERDICT_DROP, NULL, pu_proto(6, false));
		assert_int_equal(pu_load(rs, a, BF_HOOK_INPUT, V4, "veth0", &p),
				 0);
		assert_int_equal(pu_run(&p, t4.b, t4.len, V4), pu_drop(&p));
		assert_int_equal(pu_run(&p, t6.b, t6.len, V6), pu_drop(&p));
		assert_int_equal(cnt(&p, b4->policy_counter_idx), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b6, 0)), 1);
		assert_int_equal(cnt(&p, b6->policy_counter_idx), 0);

		/* ARP frame */
		memset(frame, 0, sizeof(frame));
		frame[0] = frame[6] = 0x02;
		frame[12] = 0x08;
		frame[13] = 0x06;
		o.data_in = frame;
		o.data_size_in = 60;
		assert_int_equal(bpf_prog_test_run_opts(p.prog_fd, &o), 0);
		assert_int_equal((int)o.retval, pu_accept(&p));

		/* IPv4 with tot_len beyond the frame */
		pu_reset_counters(&p);
		bad = t4;
		bad.b[2] = 0x05; /* 1280+ */
		assert_int_equal(pu_run(&p, bad.b, bad.len, V4), pu_accept(&p));
		/* IPv4 header length 4 */
		bad = t4;
		bad.b[0] = 0x44;
		assert_int_equal(pu_run(&p, bad.b, bad.len, V4), pu_accept(&p));
		assert_int_equal(cnt(&p, b4->policy_counter_idx), 0);

		/* padding after the IPv4 packet is not counted */
		bad = t4;
		bad.len += 20;
		assert_int_equal(pu_run(&p, bad.b, bad.len, V4), pu_drop(&p));
		assert_int_equal(pu_counter(&p, b4->policy_counter_idx).bytes,
				 t4.len);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* Long chains are split into segment functions: RETURN, -g and -j from
 * inside segments keep their meaning. */
static void test_segmented(void **state)
{
	struct pkts pk = mkpkts();
	struct pu_pkt t23 =
		pu_build(&(struct pu_spec){ .proto = 6, .dport = 23 });

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b, *u, *g;
		struct pu_prog p;

		user(rs, "U");
		user(rs, "G");
		b = B(rs, k);
		u = bf_ruleset_chain(rs, V4, "U");
		g = bf_ruleset_chain(rs, V4, "G");
		b->policy = BF_VERDICT_DROP;
		filler(b, 700);
		PU_RULE(b, BF_VERDICT_RETURN, NULL, pu_proto(17, false));
		filler(b, 500);
		PU_RULE(b, BF_VERDICT_GOTO, "G", pu_proto(1, false));
		filler(b, 200);
		PU_RULE(b, BF_VERDICT_JUMP, "U", pu_proto(6, false));
		filler(b, 600);
		PU_RULE(b, BF_VERDICT_ACCEPT, NULL, pu_proto(0, false));
		PU_RULE(g, BF_VERDICT_ACCEPT, NULL,
			pu_addr(BF_MATCH_SADDR, "192.0.2.99", 32, false));
		filler(u, 900);
		PU_RULE(u, BF_VERDICT_RETURN, NULL, pu_proto(6, false),
			pu_l4hdr(6, 20, true),
			pu_ports(BF_MATCH_DPORT, 22, 22, false));
		filler(u, 900);
		PU_RULE(u, BF_VERDICT_DROP, NULL, pu_proto(0, false));
		load(rs, k, &p);

		expect(&p, &pk.udp, DRP);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 700)), 1);
		pu_reset_counters(&p);
		expect(&p, &pk.icmp, DRP);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1201)), 1);
		expect(&p, &pk.icmp99, ACC);
		assert_int_equal(cnt(&p, RULE_IDX(g, 0)), 1);
		pu_reset_counters(&p);
		expect(&p, &pk.tcp, ACC); /* dport 22: U returns */
		assert_int_equal(cnt(&p, RULE_IDX(u, 900)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2003)), 1);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1402)), 1);
		expect(&p, &t23, DRP);
		assert_int_equal(cnt(&p, RULE_IDX(u, 1801)), 1);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 0);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* CONFIG_HZ of this kernel (the limit credits depend on it), 250 if
 * unknown. */
static uint32_t kernel_hz(void)
{
	char *out = NULL;
	unsigned int hz = 0;

	if (bft_sh_out(&out, "(zcat /proc/config.gz 2>/dev/null || "
			     "cat /boot/config-$(uname -r) 2>/dev/null) | "
			     "sed -n 's/^CONFIG_HZ=//p'") == 0 &&
	    out)
		sscanf(out, "%u", &hz);
	free(out);
	return hz ? hz : 250;
}

static struct bf_match limitm(uint32_t avg, uint32_t burst)
{
	struct bf_match m = pu_m(BF_MATCH_LIMIT, false);

	m.u.limit.avg = avg;
	m.u.limit.burst = burst;
	m.u.limit.hz = kernel_hz();
	assert_int_equal(bf_limit_credits(&m.u.limit), 0);
	return m;
}

/* -m limit: a full bucket of `burst` packets, then nothing until it
 * refills; each program starts with a full bucket (a new table in
 * iptables does too). */
static void test_limit(void **state)
{
	struct pkts pk = mkpkts();

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = B(rs, k);
		struct pu_prog p;

		/* 1/hour, burst 3; and 1/s, burst 1 for udp */
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(6, false),
			limitm(3600 * 10000, 3));
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(17, false),
			limitm(10000, 1));
		load(rs, k, &p);
		for (int i = 0; i < 5; i++)
			expect(&p, &pk.tcp, i < 3 ? DRP : ACC);
		assert_int_equal(cnt(&p, RULE_IDX(b, 0)), 3);
		assert_int_equal(cnt(&p, b->policy_counter_idx), 2);
		if (k == 0) {
			expect(&p, &pk.udp, DRP);
			expect(&p, &pk.udp, ACC);
			usleep(1100 * 1000);
			expect(&p, &pk.udp, DRP);
			assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 2);
		}
		pu_close(&p);
		/* a new program: a full bucket again */
		load(rs, k, &p);
		for (int i = 0; i < 4; i++)
			expect(&p, &pk.tcp, i < 3 ? DRP : ACC);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

/* -m statistic: nth (every 3rd packet, starting at --packet 1) and
 * random with probability 0 and 1 (the only deterministic ones). */
static void test_statistic(void **state)
{
	struct pkts pk = mkpkts();

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct bf_ruleset *rs = bf_ruleset_new();
		struct bf_chain *b = B(rs, k);
		struct bf_match nth = pu_m(BF_MATCH_STATISTIC, false);
		struct bf_match rnd = pu_m(BF_MATCH_STATISTIC, false);
		struct pu_prog p;

		nth.u.statistic.mode = BF_STATISTIC_NTH;
		nth.u.statistic.every = 2; /* --every 3 */
		nth.u.statistic.packet = 1;
		PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(6, false), nth);
		rnd.u.statistic.mode = BF_STATISTIC_RANDOM;
		rnd.u.statistic.probability = 0x80000000u; /* 1.0 */
		PU_RULE(b, BF_VERDICT_CONTINUE, NULL, pu_proto(17, false), rnd);
		rnd.u.statistic.probability = 0;
		PU_RULE(b, BF_VERDICT_CONTINUE, NULL, pu_proto(17, false), rnd);
		rnd.u.statistic.invert = true;
		PU_RULE(b, BF_VERDICT_CONTINUE, NULL, pu_proto(17, false), rnd);
		load(rs, k, &p);
		/* count 1 -> 2 (no), 2 -> 0 (match), 0 -> 1, 1 -> 2, 2 -> 0 */
		expect(&p, &pk.tcp, ACC);
		expect(&p, &pk.tcp, DRP);
		expect(&p, &pk.tcp, ACC);
		expect(&p, &pk.tcp, ACC);
		expect(&p, &pk.tcp, DRP);
		assert_int_equal(cnt(&p, RULE_IDX(b, 0)), 2);
		for (int i = 0; i < 20; i++)
			expect(&p, &pk.udp, ACC);
		assert_int_equal(cnt(&p, RULE_IDX(b, 1)), 20);
		assert_int_equal(cnt(&p, RULE_IDX(b, 2)), 0);
		assert_int_equal(cnt(&p, RULE_IDX(b, 3)), 20);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void test_refused_hooks(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct pu_prog p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_int_equal(pu_load(rs, BF_ATTACH_TC, BF_HOOK_FORWARD, V4, "veth0",
				 &p),
			 -EINVAL);
	assert_int_equal(pu_load(rs, BF_ATTACH_XDP, BF_HOOK_OUTPUT, V4, "veth0",
				 &p),
			 -EINVAL);
	assert_int_equal(pu_load(rs, BF_ATTACH_XDP, BF_HOOK_INPUT, V4, NULL,
				 &p),
			 -EINVAL);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_match_and_continue),
		cmocka_unit_test(test_jump_return),
		cmocka_unit_test(test_goto),
		cmocka_unit_test(test_return_builtin_and_hotdrop_in_user),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_l2),
		cmocka_unit_test(test_refused_hooks),
		cmocka_unit_test(test_segmented),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_statistic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
