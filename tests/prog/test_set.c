// SPDX-License-Identifier: GPL-2.0-only
/*
 * Set lookups (-m set) run with BPF_PROG_TEST_RUN: sets from `ipset save`
 * text, rules from iptables-save text, one packet at a time; the rule
 * under test DROPs and the policy ACCEPTs. Overlapping prefixes, nomatch,
 * --return-nomatch, `!`, directions, ports of each protocol, dimensions,
 * list:set, timeouts and counters; maps changed in place between runs.
 */
#include "prog_util.h"

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/set.h"
#include "set/ipset.h"
#include "set/map.h"
#include "set/slot.h"

struct sp {
	struct pu_prog p;
	struct bf_ruleset *rs;
	struct bf_set_maps maps;
};

/* Load `rules` (one -A INPUT line per rule) with sets `sets` at attach. */
static int sp_load(struct sp *s, const char *sets, const char *rules,
		   enum bf_family fam, enum bf_attach_kind attach)
{
	char text[4096];
	struct bf_program *prog = NULL;
	int r;

	bf_log_set(pu_log_fn, NULL);
	memset(s, 0, sizeof(*s));
	s->p.prog_fd = s->p.map_fd = -1;
	s->rs = bf_ruleset_new();
	assert_non_null(s->rs);
	assert_int_equal(bf_ipset_parse_str(s->rs, sets, "sets"), 0);
	snprintf(text, sizeof(text),
		 "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		 ":OUTPUT ACCEPT [0:0]\n%sCOMMIT\n",
		 rules);
	r = bf_ipt_parse_restore_str(s->rs, text, "rules", fam);
	if (r)
		return r;
	s->rs->families = 1u << fam;
	bf_ruleset_number(s->rs);
	r = bf_cgen_compile(s->rs, attach, BF_HOOK_INPUT, fam,
			    attach == BF_ATTACH_NF ? NULL : "veth0", &prog);
	if (r)
		return r;
	assert_int_equal(bf_set_maps_prepare(s->rs, NULL, &s->maps), 0);
	prog->set_fds = s->maps.fds;
	prog->n_set_fds = s->maps.n;
	s->p.n_counters = s->rs->n_counters;
	s->p.map_fd = bf_counters_map_create(s->rs->n_counters);
	assert_true(s->p.map_fd >= 0);
	s->p.prog_fd =
		bf_program_load(prog, s->p.map_fd, pu_log, sizeof(pu_log));
	bf_program_free(&prog);
	if (s->p.prog_fd < 0) {
		size_t len = strlen(pu_log);

		fprintf(stderr, "verifier log tail:\n%s\n",
			len > 4000 ? pu_log + len - 4000 : pu_log);
		return s->p.prog_fd;
	}
	s->p.attach = attach;
	s->p.hook = BF_HOOK_INPUT;
	s->p.family = fam;
	return 0;
}

static void sp_close(struct sp *s)
{
	pu_close(&s->p);
	bf_set_maps_release(&s->maps);
	bf_ruleset_free(&s->rs);
}

static int map_of(struct sp *s, const char *name)
{
	long i = bf_ruleset_set_index(s->rs, name);

	assert_true(i >= 0);
	return s->maps.fds[i];
}

/* 'D' dropped (the set rule matched), 'A' accepted */
static char run(struct sp *s, struct pu_pkt *pk)
{
	int v = pu_run(&s->p, pk->b, pk->len, (int)s->p.family);

	if (v == pu_drop(&s->p))
		return 'D';
	if (v == pu_accept(&s->p))
		return 'A';
	return '?';
}

static char v4_tcp(struct sp *s, const char *src, const char *dst,
		   uint16_t sport, uint16_t dport)
{
	struct pu_pkt pk;
	size_t l = pu_tcp(pk.b + 20, sport, dport, 0x02);

	pu_v4(&pk, src, dst, 6, l, 0);
	return run(s, &pk);
}

static char v4_proto(struct sp *s, const char *src, const char *dst,
		     uint8_t proto, uint16_t sport, uint16_t dport, size_t len,
		     uint16_t frag)
{
	struct pu_pkt pk;

	memset(pk.b + 20, 0, len);
	pk.b[20] = (uint8_t)(sport >> 8);
	pk.b[21] = (uint8_t)sport;
	pk.b[22] = (uint8_t)(dport >> 8);
	pk.b[23] = (uint8_t)dport;
	pu_v4(&pk, src, dst, proto, len, frag);
	return run(s, &pk);
}

static const char nets4[] =
	"create nets hash:net family inet hashsize 1024 maxelem 65536\n"
	"add nets 10.0.0.0/8\n"
	"add nets 10.1.0.0/16 nomatch\n"
	"add nets 10.1.2.0/24\n"
	"add nets 10.1.2.128/25 nomatch\n"
	"add nets 10.1.2.200\n";

static void test_net_prefixes(void **state)
{
	static const struct {
		const char *src;
		char plain, rn, neg;
	} cases[] = {
		{ "10.9.9.9", 'D', 'A', 'A' }, /* /8 */
		{ "10.1.9.9", 'A', 'D', 'D' }, /* /16 nomatch */
		{ "10.1.2.3", 'D', 'A', 'A' }, /* /24 */
		{ "10.1.2.130", 'A', 'D', 'D' }, /* /25 nomatch */
		{ "10.1.2.200", 'D', 'A', 'A' }, /* /32 inside the nomatch */
		{ "11.0.0.1", 'A', 'A', 'D' }, /* not in the set */
	};
	static const char *const rules[3] = {
		"-A INPUT -m set --match-set nets src -j DROP\n",
		"-A INPUT -m set --match-set nets src --return-nomatch -j DROP\n",
		"-A INPUT -m set ! --match-set nets src -j DROP\n",
	};
	(void)state;

	BFT_REQUIRE_KERNEL();
	for (int k = 0; k < 3; k++) {
		for (int a = 0; a < BF_ATTACH_COUNT; a++) {
			struct sp s;

			assert_int_equal(sp_load(&s, nets4, rules[k],
						 BF_FAMILY_INET4, a),
					 0);
			for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
				char exp = k == 0 ? cases[i].plain :
					   k == 1 ? cases[i].rn :
						    cases[i].neg;
				char got = v4_tcp(&s, cases[i].src, "192.0.2.1",
						  1000, 80);

				if (got != exp)
					fail_msg("rule %d attach %d src %s: "
						 "%c, expected %c",
						 k, a, cases[i].src, got, exp);
			}
			sp_close(&s);
		}
	}
}

/* The map changes under a loaded program: verdicts follow. */
static void test_map_updates(void **state)
{
	struct sp s;
	struct bf_set *set;
	struct bf_set_elem e;
	char *argv[2] = { "10.1.0.0/16", "nomatch" };
	char *argv2[1] = { "10.1.0.0/16" };
	(void)state;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(sp_load(&s, nets4,
				 "-A INPUT -m set --match-set nets src -j "
				 "DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_NF),
			 0);
	set = bf_ruleset_set(s.rs, "nets");
	assert_int_equal(v4_tcp(&s, "10.1.9.9", "192.0.2.1", 1, 2), 'A');
	/* delete the nomatch /16: the /8 decides */
	assert_int_equal(bf_ipset_parse_elem(set, 2, argv, "t", 1, &e), 0);
	assert_int_equal(bf_set_map_del(map_of(&s, "nets"), set, &e), 0);
	assert_int_equal(v4_tcp(&s, "10.1.9.9", "192.0.2.1", 1, 2), 'D');
	assert_int_equal(bf_set_map_del(map_of(&s, "nets"), set, &e), -ENOENT);
	/* put it back as a plain element, then as nomatch */
	assert_int_equal(bf_ipset_parse_elem(set, 1, argv2, "t", 1, &e), 0);
	assert_int_equal(bf_set_map_add(map_of(&s, "nets"), set, &e), 0);
	assert_int_equal(v4_tcp(&s, "10.1.9.9", "192.0.2.1", 1, 2), 'D');
	assert_int_equal(bf_ipset_parse_elem(set, 2, argv, "t", 1, &e), 0);
	assert_int_equal(bf_set_map_add(map_of(&s, "nets"), set, &e), 0);
	assert_int_equal(v4_tcp(&s, "10.1.9.9", "192.0.2.1", 1, 2), 'A');
	sp_close(&s);
}

static void test_ip_port(void **state)
{
	static const char sets[] = "create svc hash:ip,port family inet\n"
				   "add svc 192.0.2.1,tcp:80\n"
				   "add svc 192.0.2.1,udp:53\n"
				   "add svc 192.0.2.1,sctp:9\n"
				   "add svc 192.0.2.1,icmp:echo-request\n"
				   "add svc 192.0.2.1,gre:0\n";
	struct sp s;
	(void)state;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set --match-set svc dst,dst -j "
				 "DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_NF),
			 0);
	assert_int_equal(v4_tcp(&s, "1.2.3.4", "192.0.2.1", 1000, 80), 'D');
	assert_int_equal(v4_tcp(&s, "1.2.3.4", "192.0.2.2", 1000, 80), 'A');
	assert_int_equal(v4_tcp(&s, "1.2.3.4", "192.0.2.1", 80, 81), 'A');
	/* TCP with less than 20 header bytes: no port, no match */
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 6, 1, 80, 12, 0),
			 'A');
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 17, 1, 53, 8, 0),
			 'D');
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 17, 1, 80, 8, 0),
			 'A');
	/* SCTP needs 12 bytes */
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 132, 1, 9, 12, 0),
			 'D');
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 132, 1, 9, 8, 0),
			 'A');
	/* ICMP: type 8 code 0 is port 0x0800, whatever the direction */
	assert_int_equal(
		v4_proto(&s, "1.2.3.4", "192.0.2.1", 1, 0x0800, 0, 8, 0), 'D');
	assert_int_equal(
		v4_proto(&s, "1.2.3.4", "192.0.2.1", 1, 0x0000, 0, 8, 0), 'A');
	/* other protocols: port 0, fragments included */
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 47, 7, 7, 8, 0),
			 'D');
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 47, 7, 7, 8, 10),
			 'D');
	/* non-first TCP/UDP fragments: no match */
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 17, 1, 53, 8, 10),
			 'A');
	sp_close(&s);

	/* fewer directions than dimensions: never "in set" */
	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set --match-set svc dst -j DROP\n"
				 "-A INPUT -m set ! --match-set svc dst -j "
				 "ACCEPT\n-A INPUT -j DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_NF),
			 0);
	assert_int_equal(v4_tcp(&s, "1.2.3.4", "192.0.2.1", 1000, 80), 'A');
	sp_close(&s);
}

static void test_net_port_ports(void **state)
{
	static const char sets[] = "create np hash:net,port family inet\n"
				   "add np 10.0.0.0/8,tcp:22\n"
				   "add np 10.1.0.0/16,tcp:22 nomatch\n"
				   "add np 10.1.0.0/16,tcp:23\n"
				   "create bp bitmap:port range 1-1024\n"
				   "add bp 22\n";
	struct sp s;
	(void)state;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set --match-set np src,dst -j "
				 "DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_XDP),
			 0);
	assert_int_equal(v4_tcp(&s, "10.1.1.1", "192.0.2.1", 5, 22), 'A');
	assert_int_equal(v4_tcp(&s, "10.1.1.1", "192.0.2.1", 5, 23), 'D');
	assert_int_equal(v4_tcp(&s, "10.2.1.1", "192.0.2.1", 5, 22), 'D');
	assert_int_equal(v4_tcp(&s, "10.2.1.1", "192.0.2.1", 5, 23), 'A');
	assert_int_equal(v4_tcp(&s, "10.1.1.1", "192.0.2.1", 5, 24), 'A');
	sp_close(&s);

	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set --match-set bp dst -j DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_TC),
			 0);
	assert_int_equal(v4_tcp(&s, "10.1.1.1", "192.0.2.1", 5, 22), 'D');
	assert_int_equal(v4_proto(&s, "1.2.3.4", "192.0.2.1", 17, 1, 22, 8, 0),
			 'D');
	/* bitmap:port: TCP and UDP only */
	assert_int_equal(
		v4_proto(&s, "1.2.3.4", "192.0.2.1", 132, 1, 22, 12, 0), 'A');
	sp_close(&s);
}

static void test_v6(void **state)
{
	static const char sets[] = "create n6 hash:net family inet6\n"
				   "add n6 2001:db8::/32\n"
				   "add n6 2001:db8:1::/48 nomatch\n"
				   "add n6 2001:db8:1:2::/64\n";
	static const struct {
		const char *src;
		char exp;
	} cases[] = {
		{ "2001:db8:5::1", 'D' },
		{ "2001:db8:1:5::1", 'A' },
		{ "2001:db8:1:2::9", 'D' },
		{ "2001:db9::1", 'A' },
	};
	(void)state;

	BFT_REQUIRE_KERNEL();
	for (int a = 0; a < BF_ATTACH_COUNT; a++) {
		struct sp s;

		assert_int_equal(sp_load(&s, sets,
					 "-A INPUT -m set --match-set n6 src "
					 "-j DROP\n",
					 BF_FAMILY_INET6, a),
				 0);
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct pu_pkt pk;
			size_t l = pu_tcp(pk.b + 40, 1, 2, 0x02);

			pu_v6(&pk, cases[i].src, "2001:db8::7", 6, l);
			if (run(&s, &pk) != cases[i].exp)
				fail_msg("attach %d %s: expected %c", a,
					 cases[i].src, cases[i].exp);
		}
		sp_close(&s);
	}
}

static void test_v6_ip_port(void **state)
{
	static const char sets[] = "create s6 hash:ip,port family inet6\n"
				   "add s6 2001:db8::1,udp:53\n"
				   "add s6 2001:db8::1,icmpv6:echo-request\n";
	struct sp s;
	struct pu_pkt pk;
	size_t l;
	(void)state;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set --match-set s6 dst,dst -j "
				 "DROP\n",
				 BF_FAMILY_INET6, BF_ATTACH_NF),
			 0);
	l = pu_udp(pk.b + 40, 1, 53, 0);
	pu_v6(&pk, "2001:db8::9", "2001:db8::1", 17, l);
	assert_int_equal(run(&s, &pk), 'D');
	l = pu_udp(pk.b + 40, 1, 54, 0);
	pu_v6(&pk, "2001:db8::9", "2001:db8::1", 17, l);
	assert_int_equal(run(&s, &pk), 'A');
	l = pu_icmp(pk.b + 40, 128, 0);
	pu_v6(&pk, "2001:db8::9", "2001:db8::1", 58, l);
	assert_int_equal(run(&s, &pk), 'D');
	l = pu_icmp(pk.b + 40, 129, 0);
	pu_v6(&pk, "2001:db8::9", "2001:db8::1", 58, l);
	assert_int_equal(run(&s, &pk), 'A');
	/* a non-first fragment: no port, no match (ip_set_get_ip6_port()) */
	memset(pk.b + 40, 0, 16);
	pk.b[40] = 17; /* next header: UDP */
	pk.b[42] = 0;
	pk.b[43] = 8 << 3; /* offset 64 bytes */
	pu_udp(pk.b + 48, 1, 53, 0);
	pu_v6(&pk, "2001:db8::9", "2001:db8::1", 44, 16);
	assert_int_equal(run(&s, &pk), 'A');
	sp_close(&s);
}

static void test_iface(void **state)
{
	static const char sets[] = "create ifs hash:net,iface family inet\n"
				   "add ifs 10.0.0.0/8,lo\n"
				   "add ifs 10.1.0.0/16,lo nomatch\n";
	struct sp s;
	(void)state;

	BFT_REQUIRE_KERNEL();
	/* BPF_PROG_TEST_RUN of a netfilter program runs with out = "lo" and
	 * no input device, whatever the hook (see test_matches.c) */
	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set --match-set ifs src,dst -j "
				 "DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_NF),
			 0);
	assert_int_equal(v4_tcp(&s, "10.9.9.9", "192.0.2.1", 1, 2), 'D');
	assert_int_equal(v4_tcp(&s, "10.1.9.9", "192.0.2.1", 1, 2), 'A');
	assert_int_equal(v4_tcp(&s, "11.1.9.9", "192.0.2.1", 1, 2), 'A');
	sp_close(&s);
	/* no input device: never in the set */
	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set ! --match-set ifs src,src -j "
				 "DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_NF),
			 0);
	assert_int_equal(v4_tcp(&s, "10.9.9.9", "192.0.2.1", 1, 2), 'D');
	sp_close(&s);
	/* interfaces are netfilter-only */
	assert_int_not_equal(sp_load(&s, sets,
				     "-A INPUT -m set --match-set ifs src,src "
				     "-j DROP\n",
				     BF_FAMILY_INET4, BF_ATTACH_XDP),
			     0);
	sp_close(&s);
}

static void test_list_timeout_counters(void **state)
{
	static const char sets[] =
		"create a hash:ip family inet timeout 300 counters\n"
		"add a 192.0.2.7 timeout 0 packets 0 bytes 0\n"
		"add a 192.0.2.8 timeout 100 packets 0 bytes 0\n"
		"create b hash:net family inet\n"
		"add b 198.51.100.0/24\n"
		"create l list:set size 8\n"
		"add l a\n"
		"add l b\n";
	struct sp s;
	struct bf_set *set;
	struct bf_set_elem e;
	struct bf_set_val v;
	uint8_t key[4];
	(void)state;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(sp_load(&s, sets,
				 "-A INPUT -m set --match-set l src -j DROP\n",
				 BF_FAMILY_INET4, BF_ATTACH_NF),
			 0);
	assert_int_equal(v4_tcp(&s, "192.0.2.7", "192.0.2.1", 1, 2), 'D');
	assert_int_equal(v4_tcp(&s, "192.0.2.8", "192.0.2.1", 1, 2), 'D');
	assert_int_equal(v4_tcp(&s, "198.51.100.3", "192.0.2.1", 1, 2), 'D');
	assert_int_equal(v4_tcp(&s, "192.0.2.9", "192.0.2.1", 1, 2), 'A');
	/* counters of the element: one packet of 40 bytes */
	inet_pton(AF_INET, "192.0.2.7", key);
	assert_int_equal(bpf_map_lookup_elem(map_of(&s, "a"), key, &v), 0);
	assert_int_equal(v.packets, 1);
	assert_int_equal(v.bytes, 40);
	/* expired: not in the set any more */
	inet_pton(AF_INET, "192.0.2.8", key);
	assert_int_equal(bpf_map_lookup_elem(map_of(&s, "a"), key, &v), 0);
	assert_true(v.expires_ns > bf_set_now_ns());
	v.expires_ns = bf_set_now_ns() - 1;
	assert_int_equal(bpf_map_update_elem(map_of(&s, "a"), key, &v, 0), 0);
	assert_int_equal(v4_tcp(&s, "192.0.2.8", "192.0.2.1", 1, 2), 'A');
	/* read back: the expired element is left out */
	set = bf_ruleset_set(s.rs, "a");
	assert_int_equal(bf_set_map_read(map_of(&s, "a"), set), 0);
	assert_int_equal(set->n_elems, 1);
	e = set->elems[0];
	assert_int_equal(e.packets, 1);
	sp_close(&s);
}

/* The IR interpreter (bf_eval(), src/lib/set/eval.c) and the compiled
 * program agree on random packets around the sets' elements: two
 * independent implementations of the same kernel semantics. */
static void test_eval_vs_bpf(void **state)
{
	static const char sets[] =
		"create blk hash:ip family inet\n"
		"add blk 198.51.100.7\n"
		"create nets hash:net family inet\n"
		"add nets 203.0.113.0/24\n"
		"add nets 203.0.113.128/25 nomatch\n"
		"add nets 203.0.113.192/27\n"
		"create svc hash:ip,port family inet\n"
		"add svc 192.0.2.50,udp:53\n"
		"add svc 192.0.2.50,tcp:80\n"
		"add svc 192.0.2.50,sctp:80\n"
		"add svc 192.0.2.50,icmp:echo-request\n"
		"add svc 192.0.2.50,gre:0\n"
		"create np hash:net,port family inet\n"
		"add np 198.51.100.0/24,udp:53\n"
		"add np 198.51.100.64/26,udp:53 nomatch\n"
		"add np 198.51.100.0/25,tcp:80\n"
		"create ports bitmap:port range 1-2000\n"
		"add ports 80\n"
		"create trip hash:ip,port,net family inet\n"
		"add trip 192.0.2.51,tcp:80,198.51.100.0/25\n"
		"add trip 192.0.2.51,tcp:80,198.51.100.0/26 nomatch\n"
		"create ifs hash:net,iface family inet\n"
		"add ifs 203.0.113.0/26,lo\n"
		"create lst list:set size 8\n"
		"add lst blk\n"
		"add lst np\n";
	static const char rules[] =
		"-A INPUT -m set --match-set ifs src,dst -j ACCEPT\n"
		"-A INPUT -m set --match-set blk src -j DROP\n"
		"-A INPUT -m set --match-set nets src -j DROP\n"
		"-A INPUT -m set --match-set svc dst,dst -j ACCEPT\n"
		"-A INPUT -m set --match-set trip dst,dst,src --return-nomatch "
		"-j ACCEPT\n"
		"-A INPUT -m set --match-set trip dst,dst,src -j DROP\n"
		"-A INPUT -m set ! --match-set np src,dst -m set --match-set "
		"ports dst -j DROP\n"
		"-A INPUT -m set --match-set np src,dst --return-nomatch -j "
		"DROP\n"
		"-A INPUT -m set --match-set lst src,dst -j ACCEPT\n"
		"-A INPUT -m set --match-set svc dst -j DROP\n"
		"-A INPUT -d 192.0.2.50 -j DROP\n";
	static const char *const addrs[] = {
		"198.51.100.7",	 "198.51.100.8",   "198.51.100.70",
		"198.51.100.20", "198.51.100.200", "203.0.113.5",
		"203.0.113.130", "203.0.113.200",  "192.0.2.50",
		"192.0.2.51",	 "192.0.2.9",	   "0.0.0.0",
	};
	static const uint8_t protos[] = { 6, 17, 132, 1, 47, 136, 0 };
	static const uint16_t ports[] = { 53, 80, 81, 2000, 2001, 0x0800 };
	struct sp s;
	unsigned int seed = 15, n = 0, dropped = 0;
	(void)state;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(
		sp_load(&s, sets, rules, BF_FAMILY_INET4, BF_ATTACH_NF), 0);
	for (int i = 0; i < 3000; i++) {
		struct pu_pkt pk;
		struct bf_eval_pkt ep;
		struct bf_eval_result res;
		uint8_t proto = protos[rand_r(&seed) % sizeof(protos)];
		uint16_t sp_ = ports[rand_r(&seed) % ARRAY_SIZE(ports)];
		uint16_t dp = ports[rand_r(&seed) % ARRAY_SIZE(ports)];
		size_t len = (size_t)(rand_r(&seed) % 4 ?
					      20 :
					      6 + rand_r(&seed) % 14);
		uint16_t frag = rand_r(&seed) % 8 ? 0 : 10;
		char got, exp;

		memset(pk.b + 20, 0, len);
		pk.b[20] = (uint8_t)(sp_ >> 8);
		pk.b[21] = (uint8_t)sp_;
		if (len >= 4) {
			pk.b[22] = (uint8_t)(dp >> 8);
			pk.b[23] = (uint8_t)dp;
		}
		pu_v4(&pk, addrs[rand_r(&seed) % ARRAY_SIZE(addrs)],
		      addrs[rand_r(&seed) % ARRAY_SIZE(addrs)], proto, len,
		      frag);
		got = run(&s, &pk);
		assert_int_equal(bf_eval_pkt_parse(&ep, BF_FAMILY_INET4, pk.b,
						   pk.len),
				 0);
		/* BPF_PROG_TEST_RUN's devices (see test_iface) */
		snprintf(ep.oif, sizeof(ep.oif), "lo");
		assert_int_equal(
			bf_eval(s.rs, BF_HOOK_INPUT, &ep, NULL, NULL, &res), 0);
		exp = res.verdict == BF_VERDICT_DROP ? 'D' : 'A';
		if (got != exp)
			fail_msg("packet %d (proto %u, %zu bytes after the IP "
				 "header, frag %u): program %c, interpreter %c "
				 "(rule %zu)",
				 i, proto, len, frag, got, exp, res.rule_num);
		n++;
		dropped += got == 'D';
	}
	print_message("%u packets, %u dropped, program and interpreter "
		      "agree\n",
		      n, dropped);
	assert_true(dropped > n / 10 && dropped < n - n / 10);
	sp_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_prefixes),
		cmocka_unit_test(test_map_updates),
		cmocka_unit_test(test_ip_port),
		cmocka_unit_test(test_net_port_ports),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_v6_ip_port),
		cmocka_unit_test(test_iface),
		cmocka_unit_test(test_list_timeout_counters),
		cmocka_unit_test(test_eval_vs_bpf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
