// SPDX-License-Identifier: GPL-2.0-only
/*
 * 10,000-rule chains of mixed shapes must load at every attach kind (no
 * jump offset over 32767, verifier within its limits), and still give the
 * right verdicts. Prints instruction counts and load times.
 */
#include "prog_util.h"

#define N_RULES 10000

static void add_rules(struct bf_ruleset *rs, enum bf_family f,
		      enum bf_hook hook)
{
	struct bf_chain *b = bf_ruleset_builtin(rs, f, hook);
	bool v6 = f == BF_FAMILY_INET6;
	char a[64];

	for (int i = 0; i < N_RULES; i++) {
		int x = i / 250, y = i % 250;

		if (v6)
			snprintf(a, sizeof(a), "2001:db8:%x::%x", x, y + 1);
		else
			snprintf(a, sizeof(a), "10.%d.%d.%d", x, y, 1);
		switch (i % 5) {
		case 0: /* -s a -p tcp --dport p -j DROP */
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				pu_addr(BF_MATCH_SADDR, a, v6 ? 128 : 32,
					false),
				pu_proto(6, false), pu_l4hdr(6, 20, true),
				pu_ports(BF_MATCH_DPORT, (uint16_t)(1000 + i),
					 (uint16_t)(1000 + i), false));
			break;
		case 1: /* -d a/24 -p udp --sport lo:hi -j ACCEPT */
			PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
				pu_addr(BF_MATCH_DADDR, a, v6 ? 64 : 24, false),
				pu_proto(17, false), pu_l4hdr(17, 8, false),
				pu_ports(BF_MATCH_SPORT, (uint16_t)i,
					 (uint16_t)(i + 10), false));
			break;
		case 2: /* -m iprange --src-range -j DROP */
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				pu_range(BF_MATCH_SRANGE, a, a, false));
			break;
		case 3: /* -p tcp --tcp-flags SYN,ACK SYN -m multiport */
		{
			uint16_t ports[3] = { (uint16_t)(2000 + i), 1,
					      (uint16_t)(3000 + i) };
			struct bf_match m = pu_m(BF_MATCH_MULTIPORT, false);

			m.u.multiport.count = 3;
			memcpy(m.u.multiport.ports, ports, sizeof(ports));
			m.u.multiport.dir = BF_MULTIPORT_EITHER;
			PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
				pu_proto(6, false), pu_l4hdr(6, 20, true), m);
			break;
		}
		default: /* ! -s a -i eth+ -o lo -j DROP... never the probe */
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				pu_addr(BF_MATCH_DADDR, a, v6 ? 128 : 32,
					false),
				pu_iface(BF_MATCH_OIFNAME, "l+", false));
			break;
		}
	}
	/* last: a rule that the probe hits */
	PU_RULE(b, BF_VERDICT_DROP, NULL, pu_proto(6, false),
		pu_l4hdr(6, 20, true), pu_ports(BF_MATCH_DPORT, 9, 9, false));
}

static void one(enum bf_attach_kind attach, enum bf_hook hook, enum bf_family f,
		const char *what)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b;
	struct pu_prog p;
	struct pu_pkt hit, miss, early;
	bool v6 = f == BF_FAMILY_INET6;
	int r;

	add_rules(rs, f, hook);
	rs->families = 1u << f;
	r = pu_load(rs, attach, hook, f, "veth0", &p);
	assert_int_equal(r, 0);
	b = bf_ruleset_builtin(rs, f, hook);
	hit = pu_build(&(struct pu_spec){ .fam = f, .dport = 9 });
	printf("  %-10s %s: %zu rules, %zu insns, load %.0f ms, "
	       "last-rule packet %u ns/run\n",
	       what, v6 ? "ipv6" : "ipv4", (size_t)N_RULES + 1, p.n_insns,
	       p.load_ms, pu_time(&p, hit.b, hit.len, f, 200));
	pu_reset_counters(&p);
	miss = pu_build(&(struct pu_spec){ .fam = f, .dport = 10 });
	/* rule 0: -s 10.0.0.1 / 2001:db8:0::1 --dport 1000 */
	early = pu_build(
		&(struct pu_spec){ .fam = f,
				   .src = v6 ? "2001:db8::1" : "10.0.0.1",
				   .dport = 1000 });
	assert_int_equal(pu_run(&p, hit.b, hit.len, f), pu_drop(&p));
	assert_int_equal(pu_counter(&p, b->rules[N_RULES].counter_idx).packets,
			 1);
	assert_int_equal(pu_run(&p, miss.b, miss.len, f), pu_accept(&p));
	assert_int_equal(pu_counter(&p, b->policy_counter_idx).packets, 1);
	assert_int_equal(pu_run(&p, early.b, early.len, f), pu_drop(&p));
	assert_int_equal(pu_counter(&p, b->rules[0].counter_idx).packets, 1);
	/* the multiport rules (no target) counted the probes with port 1 */
	pu_close(&p);
	bf_ruleset_free(&rs);
}

/* Cost of the prologue alone: an empty ruleset. */
static void empty(enum bf_attach_kind attach, enum bf_family f,
		  const char *what)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct pu_prog p;
	struct pu_pkt pkt = pu_build(&(struct pu_spec){ .fam = f });

	rs->families = 1u << f;
	assert_int_equal(pu_load(rs, attach, BF_HOOK_INPUT, f, "veth0", &p), 0);
	printf("  %-10s %s: empty ruleset, %zu insns, %u ns/run\n", what,
	       f ? "ipv6" : "ipv4", p.n_insns,
	       pu_time(&p, pkt.b, pkt.len, f, 100000));
	pu_close(&p);
	bf_ruleset_free(&rs);
}

static void test_10k(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		empty(BF_ATTACH_NF, f, "nf-input");
		empty(BF_ATTACH_TC, f, "tc-ingress");
		empty(BF_ATTACH_XDP, f, "xdp");
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		one(BF_ATTACH_NF, BF_HOOK_INPUT, f, "nf-input");
		one(BF_ATTACH_TC, BF_HOOK_INPUT, f, "tc-ingress");
		one(BF_ATTACH_XDP, BF_HOOK_INPUT, f, "xdp");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_10k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
