// SPDX-License-Identifier: GPL-2.0-only
/*
 * ipset sets end to end, against the kernel: the same sets and rules are
 * loaded into ipset + iptables-legacy in one pair of namespaces and into
 * bpfilter (apply --ipset) in another (the verify engine's topology,
 * src/lib/verify/net.h); the same probes are sent into both and the INPUT
 * verdicts (delivery seen by raw sockets) compared. Then elements are
 * added and deleted on both sides (`ipset add/del`, `bpfilter set
 * add/delete`) and the verdicts compared again, while the bpfilter
 * program in force must stay the same (same program id, same generation:
 * no reload); an element with a timeout expires on both sides. Finally `bpfilter save` must print the kernel's elements,
 * and `apply --ipset kernel` must read the kernel's sets.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <limits.h>

#include "bftest.h"
#include "bpfilter/helper.h"
#include "load/pin.h"
#include "verify/net.h"

#include "e2e_nftcmp.h"

static const char sets_text[] =
	"create blk hash:ip family inet hashsize 1024 maxelem 65536\n"
	"add blk 198.51.100.7\n"
	"create nets hash:net family inet hashsize 1024 maxelem 65536\n"
	"add nets 203.0.113.0/24\n"
	"add nets 203.0.113.128/25 nomatch\n"
	"add nets 203.0.113.192/27\n"
	"create svc hash:ip,port family inet hashsize 1024 maxelem 65536\n"
	"add svc 192.0.2.50,udp:53\n"
	"add svc 192.0.2.50,tcp:80\n"
	"add svc 192.0.2.50,icmp:echo-request\n"
	"create np hash:net,port family inet hashsize 1024 maxelem 65536\n"
	"add np 198.51.100.0/24,udp:5000\n"
	"add np 198.51.100.64/26,udp:5000 nomatch\n"
	"create ports bitmap:port range 1-2000\n"
	"add ports 1999\n"
	"create trip hash:ip,port,net family inet hashsize 1024 maxelem 65536\n"
	"add trip 192.0.2.51,tcp:1999,198.51.100.0/25\n"
	"create ifs hash:net,iface family inet hashsize 1024 maxelem 65536\n"
	"add ifs 192.0.2.0/24,eth0\n"
	"add ifs 192.0.2.8/29,eth0 nomatch\n"
	"add ifs 198.51.100.0/24,eth1\n"
	"create tmo hash:ip family inet hashsize 1024 maxelem 65536 timeout "
	"600\n"
	"add tmo 198.51.100.8 timeout 3\n"
	"add tmo 203.0.113.5 timeout 0\n"
	"create lst list:set size 8\n"
	"add lst blk\n"
	"add lst np\n";

static const char rules_text[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -m set --match-set ifs src,dst -j ACCEPT\n"
	"-A INPUT -m set --match-set ifs src,src -j DROP\n"
	"-A INPUT -m set --match-set tmo src -j DROP\n"
	"-A INPUT -m set --match-set blk src -j DROP\n"
	"-A INPUT -m set --match-set nets src -j DROP\n"
	"-A INPUT -m set --match-set svc dst,dst -j ACCEPT\n"
	"-A INPUT -m set --match-set trip dst,dst,src -j DROP\n"
	"-A INPUT -m set ! --match-set np src,dst -m set --match-set ports "
	"dst -j DROP\n"
	"-A INPUT -m set --match-set np src,dst --return-nomatch -j DROP\n"
	"-A INPUT -m set --match-set lst src,dst -j ACCEPT\n"
	"-A INPUT -d 192.0.2.50 -j DROP\n"
	"COMMIT\n";

static const char *const srcs[] = {
	"198.51.100.7", "198.51.100.8",	 "198.51.100.70", "198.51.100.200",
	"203.0.113.5",	"203.0.113.130", "203.0.113.200", "192.0.2.9",
	"192.0.2.20",	"192.0.2.17",
};
static const char *const dsts[] = { "192.0.2.50", "192.0.2.51" };
static const struct {
	uint8_t proto;
	uint16_t port; /* dport, or ICMP type << 8 | code */
} l4s[] = {
	{ 17, 53 },  { 17, 5000 },  { 17, 1999 },  { 6, 80 },
	{ 6, 1999 }, { 1, 0x0800 }, { 1, 0x0000 }, { 47, 0 },
};

#define N_PROBES ((int)(ARRAY_SIZE(srcs) * ARRAY_SIZE(dsts) * ARRAY_SIZE(l4s)))

struct side {
	struct dside sd;
	char tmp[64];
};

static struct dtopo topo = { .n_if = 1, .name = { "eth0" } };

/* probe i: IPv4 packet with marker "H15" + id after the L4 header */
static size_t build(uint8_t *b, int ii)
{
	size_t i = (size_t)ii;
	size_t li = i % ARRAY_SIZE(l4s);
	size_t di = (i / ARRAY_SIZE(l4s)) % ARRAY_SIZE(dsts);
	size_t si = i / ARRAY_SIZE(l4s) / ARRAY_SIZE(dsts);
	uint8_t proto = l4s[li].proto;
	size_t hl = proto == 6 ? 20 : 8, len = 20 + hl + 8;

	memset(b, 0, len);
	nftcmp_ip4(b, len, (uint16_t)i, proto, srcs[si], dsts[di]);
	if (proto == 1) {
		b[20] = (uint8_t)(l4s[li].port >> 8);
		b[21] = (uint8_t)l4s[li].port;
	} else if (proto == 6 || proto == 17) {
		b[20] = 0x9c; /* source port 40000 */
		b[21] = 0x40;
		b[22] = (uint8_t)(l4s[li].port >> 8);
		b[23] = (uint8_t)l4s[li].port;
		if (proto == 6) {
			b[32] = 5 << 4;
			b[33] = 0x02;
		} else {
			b[25] = (uint8_t)(hl + 8);
		}
	}
	memcpy(b + 20 + hl, "H15", 3);
	b[20 + hl + 3] = (uint8_t)(i >> 8);
	b[20 + hl + 4] = (uint8_t)i;
	return len;
}

/* Send every probe into R; seen[i]: delivered to R's raw sockets. */
static void probe(struct side *s, bool *seen)
{
	uint8_t b[128];

	memset(seen, 0, N_PROBES * sizeof(*seen));
	for (int i = 0; i < N_PROBES; i++) {
		size_t len = build(b, i);

		assert_int_equal(
			dnet_send_in(&s->sd, 0, BF_FAMILY_INET4, b, len), 0);
	}
	nftcmp_collect(&s->sd, "H15", N_PROBES, seen);
}

static int side_up(struct side *s, const char *kind)
{
	static const uint8_t protos[] = { 1, 6, 17, 47 };
	int r = dnet_side_create(&s->sd, kind, &topo, false);

	if (r)
		return r;
	for (size_t i = 0; i < sizeof(protos); i++) {
		r = dnet_raw_in(&s->sd, BF_FAMILY_INET4, protos[i]);
		if (r)
			return r;
	}
	return dnet_side_wait(&s->sd, &topo);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void compare(struct side *k, struct side *b, const char *when)
{
	bool sk[N_PROBES], sb[N_PROBES];
	int diff = 0, delivered = 0;

	probe(k, sk);
	probe(b, sb);
	for (size_t i = 0; i < (size_t)N_PROBES; i++) {
		delivered += sk[i];
		if (sk[i] == sb[i])
			continue;
		diff++;
		print_message("%s: mismatch on probe %zu (src %s dst %s proto "
			      "%u port %u): kernel %s, bpfilter %s\n",
			      when, i,
			      srcs[i / ARRAY_SIZE(l4s) / ARRAY_SIZE(dsts)],
			      dsts[(i / ARRAY_SIZE(l4s)) % ARRAY_SIZE(dsts)],
			      l4s[i % ARRAY_SIZE(l4s)].proto,
			      l4s[i % ARRAY_SIZE(l4s)].port,
			      sk[i] ? "accept" : "drop",
			      sb[i] ? "accept" : "drop");
	}
	print_message("%s: %d probes, %d accepted by the kernel, %d "
		      "mismatches\n",
		      when, N_PROBES, delivered, diff);
	/* the probes must tell verdicts apart at all */
	assert_true(delivered > 0 && delivered < N_PROBES);
	assert_int_equal(diff, 0);
}

static void both(struct side *k, struct side *b, const char *ipset_cmd,
		 const char *bf_cmd)
{
	assert_int_equal(
		bft_sh("ip netns exec %s ipset %s", k->sd.ns_r, ipset_cmd), 0);
	assert_int_equal(bft_sh("ip netns exec %s %s set %s", b->sd.ns_r,
				bft_bpfilter_bin(), bf_cmd),
			 0);
}

static void test_kernel_vs_bpfilter(void **state)
{
	struct side k = { 0 }, b = { 0 };
	char sets[96], rules[96];
	uint32_t id0, id1;
	unsigned long long g0, g1;
	char *ks = NULL, *bs = NULL;
	(void)state;

	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v ipset >/dev/null && command -v "
		   "iptables-legacy-restore >/dev/null")) {
		if (bft_require_kernel())
			fail_msg("ipset or iptables-legacy missing "
				 "(scripts/install-deps.sh installs them)");
		skip();
	}
	bf_verify_set_bin(bft_bpfilter_bin());
	dnet_init();
	snprintf(sets, sizeof(sets), "/tmp/bf-e2e-set-%d.ipset", getpid());
	snprintf(rules, sizeof(rules), "/tmp/bf-e2e-set-%d.rules", getpid());
	assert_int_equal(write_file(sets, sets_text), 0);
	assert_int_equal(write_file(rules, rules_text), 0);

	assert_int_equal(side_up(&k, "legacy"), 0);
	assert_int_equal(side_up(&b, "bpfilter"), 0);
	assert_int_equal(bft_sh("ip netns exec %s ipset restore < %s",
				k.sd.ns_r, sets),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s iptables-legacy-restore "
				"< %s",
				k.sd.ns_r, rules),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s %s apply --ipset %s %s",
				b.sd.ns_r, bft_bpfilter_bin(), sets, rules),
			 0);
	compare(&k, &b, "as loaded");
	/* iptables -L prints the set matches as the kernel's does */
	assert_int_equal(bft_sh_out(&ks,
				    "ip netns exec %s iptables-legacy -L "
				    "INPUT -n",
				    k.sd.ns_r),
			 0);
	assert_int_equal(bft_sh_out(&bs,
				    "ip netns exec %s %s iptables -L "
				    "INPUT -n",
				    b.sd.ns_r, bft_bpfilter_bin()),
			 0);
	assert_string_equal(ks, bs);
	free(ks);
	free(bs);
	ks = bs = NULL;
	/* the element of tmo with timeout 3 expires on both sides */
	sleep(4);
	compare(&k, &b, "after a timeout");

	nftcmp_in_force_sd(&b.sd, &id0, &g0);
	both(&k, &b, "add blk 192.0.2.9", "add blk 192.0.2.9");
	both(&k, &b, "del nets 203.0.113.128/25",
	     "delete nets 203.0.113.128/25");
	both(&k, &b, "add np 198.51.100.192/26,udp:5000 nomatch",
	     "add np 198.51.100.192/26,udp:5000 nomatch");
	both(&k, &b, "del svc 192.0.2.50,udp:53",
	     "delete svc 192.0.2.50,udp:53");
	both(&k, &b, "add ports 53", "add ports 53");
	/* a CIDR and a port range stand for several elements */
	both(&k, &b, "add blk 192.0.2.16/30", "add blk 192.0.2.16/30");
	both(&k, &b, "add svc 192.0.2.50,udp:5000-5001",
	     "add svc 192.0.2.50,udp:5000-5001");
	compare(&k, &b, "after set add/delete");
	nftcmp_in_force_sd(&b.sd, &id1, &g1);
	assert_int_equal(id0, id1); /* the same program: no reload */
	assert_int_equal(g0, g1);
	print_message("program id %u and generation %llu unchanged\n", id1, g1);

	/* an element of another family, or not an element: refused */
	assert_int_not_equal(bft_sh("ip netns exec %s %s set add blk "
				    "2001:db8::1 2>/dev/null",
				    b.sd.ns_r, bft_bpfilter_bin()),
			     0);
	assert_int_not_equal(bft_sh("ip netns exec %s %s set delete blk "
				    "192.0.2.99 2>/dev/null",
				    b.sd.ns_r, bft_bpfilter_bin()),
			     0);

	/* a change of the rules recompiles and keeps the elements */
	assert_int_equal(bft_sh("ip netns exec %s %s iptables -A INPUT -p "
				"tcp --dport 7 -j DROP",
				b.sd.ns_r, bft_bpfilter_bin()),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s iptables-legacy -A INPUT "
				"-p tcp --dport 7 -j DROP",
				k.sd.ns_r),
			 0);
	compare(&k, &b, "after a rule change");

	/* `set test` answers as `ipset test` (exit 0 in, 1 not in) */
	{
		static const char *const t[][2] = {
			{ "nets", "203.0.113.130" },
			{ "nets", "203.0.113.5" },
			{ "nets", "203.0.113.200" },
			{ "np", "198.51.100.70,udp:5000" },
			{ "np", "198.51.100.200,udp:5000" },
			{ "np", "198.51.100.20,udp:5000" },
			{ "blk", "192.0.2.9" },
			{ "blk", "192.0.2.10" },
			{ "blk", "192.0.2.19" },
			{ "blk", "192.0.2.20" },
			{ "svc", "192.0.2.50,tcp:80" },
			{ "svc", "192.0.2.50,udp:53" },
			{ "ifs", "192.0.2.9,eth0" },
			{ "ifs", "192.0.2.20,eth0" },
			{ "trip", "192.0.2.51,tcp:1999,198.51.100.3" },
		};
		int in = 0;

		for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
			int rk = bft_sh("ip netns exec %s ipset test %s %s "
					">/dev/null 2>&1",
					k.sd.ns_r, t[i][0], t[i][1]);
			int rb = bft_sh("ip netns exec %s %s set test %s %s "
					">/dev/null",
					b.sd.ns_r, bft_bpfilter_bin(), t[i][0],
					t[i][1]);

			if (rk != rb)
				fail_msg("test %s %s: ipset %d, bpfilter %d",
					 t[i][0], t[i][1], rk, rb);
			in += rk == 0;
		}
		assert_true(in > 0 && in < (int)ARRAY_SIZE(t));
	}

	/* save: the kernel's elements, set by set */
	assert_int_equal(bft_sh_out(&ks,
				    "ip netns exec %s ipset save | grep '^add' "
				    "| sort",
				    k.sd.ns_r),
			 0);
	assert_int_equal(bft_sh_out(&bs,
				    "ip netns exec %s %s save | grep '^add' | "
				    "sort",
				    b.sd.ns_r, bft_bpfilter_bin()),
			 0);
	assert_string_equal(ks, bs);
	free(ks);
	free(bs);

	/* flush empties a set */
	both(&k, &b, "flush nets", "flush nets");
	compare(&k, &b, "after flush");

	/* save, flush everything, restore: the same sets and verdicts */
	{
		char saved[96];

		snprintf(saved, sizeof(saved), "/tmp/bf-e2e-set-%d.save",
			 getpid());
		assert_int_equal(bft_sh("ip netns exec %s %s save > %s",
					b.sd.ns_r, bft_bpfilter_bin(), saved),
				 0);
		assert_int_equal(bft_sh("ip netns exec %s %s flush", b.sd.ns_r,
					bft_bpfilter_bin()),
				 0);
		assert_int_equal(bft_sh("ip netns exec %s %s restore %s",
					b.sd.ns_r, bft_bpfilter_bin(), saved),
				 0);
		unlink(saved);
		compare(&k, &b, "after save, flush, restore");
	}

	/* the kernel's sets read by bpfilter (parse, check, compile) */
	assert_int_equal(bft_sh("ip netns exec %s %s apply --test --ipset "
				"kernel %s",
				k.sd.ns_r, bft_bpfilter_bin(), rules),
			 0);

	unlink(sets);
	unlink(rules);
	dnet_side_destroy(&b.sd);
	dnet_side_destroy(&k.sd);
}

/* ---- IPv6: ip6tables-legacy + ipset family inet6 vs bpfilter ---- */

static const char sets6_text[] =
	"create n6 hash:net family inet6 hashsize 1024 maxelem 65536\n"
	"add n6 2001:db8:100::/48\n"
	"add n6 2001:db8:100:1::/64 nomatch\n"
	"create s6 hash:ip,port family inet6 hashsize 1024 maxelem 65536\n"
	"add s6 2001:db8::50,udp:53\n"
	"add s6 2001:db8::50,tcp:80\n"
	"add s6 2001:db8::50,ipv6-icmp:echo-request\n"
	"create np6 hash:net,port family inet6 hashsize 1024 maxelem 65536\n"
	"add np6 2001:db8:200::/40,udp:5000\n";

static const char rules6_text[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -m set --match-set n6 src -j DROP\n"
	"-A INPUT -m set --match-set s6 dst,dst -j ACCEPT\n"
	"-A INPUT -m set --match-set np6 src,dst --return-nomatch -j ACCEPT\n"
	"-A INPUT -m set --match-set np6 src,dst -j DROP\n"
	"-A INPUT -d 2001:db8::50 -j DROP\n"
	"COMMIT\n";

static const char *const srcs6[] = {
	"2001:db8:100::1",
	"2001:db8:100:1::1",
	"2001:db8:200:5::1",
	"2001:db8:9::1",
};
static const char *const dsts6[] = { "2001:db8::50", "2001:db8::51" };

#define N6 ((int)(ARRAY_SIZE(srcs6) * ARRAY_SIZE(dsts6) * ARRAY_SIZE(l4s)))

/* probe i (IPv6): l4s[] with ICMP as ICMPv6 (echo request 128/0, echo
 * reply 129/0) and GRE; odd probes of UDP 53 are non-first fragments */
static size_t build6(uint8_t *b, int ii, size_t *l4off)
{
	size_t i = (size_t)ii;
	size_t li = i % ARRAY_SIZE(l4s);
	size_t di = (i / ARRAY_SIZE(l4s)) % ARRAY_SIZE(dsts6);
	size_t si = i / ARRAY_SIZE(l4s) / ARRAY_SIZE(dsts6);
	uint8_t proto = l4s[li].proto == 1 ? 58 : l4s[li].proto;
	size_t hl = proto == 6 ? 20 : 8, off = 40, plen;
	bool frag = proto == 17 && l4s[li].port == 53 && (si & 1);

	memset(b, 0, 128);
	b[0] = 0x60;
	b[6] = frag ? 44 : proto;
	b[7] = 64;
	inet_pton(AF_INET6, srcs6[si], b + 8);
	inet_pton(AF_INET6, dsts6[di], b + 24);
	if (frag) {
		b[40] = proto;
		b[42] = 0;
		b[43] = 8 << 3; /* offset 64 */
		b[47] = (uint8_t)i;
		off = 48;
	}
	if (proto == 58) {
		b[off] = l4s[li].port == 0x0800 ? 128 : 129;
	} else if (proto == 6 || proto == 17) {
		b[off] = 0x9c;
		b[off + 1] = 0x40;
		b[off + 2] = (uint8_t)(l4s[li].port >> 8);
		b[off + 3] = (uint8_t)l4s[li].port;
		if (proto == 6) {
			b[off + 12] = 5 << 4;
			b[off + 13] = 0x02;
		} else {
			b[off + 5] = (uint8_t)(hl + 8);
		}
	}
	memcpy(b + off + hl, "H15", 3);
	b[off + hl + 3] = (uint8_t)(i >> 8);
	b[off + hl + 4] = (uint8_t)i;
	plen = off - 40 + hl + 8;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	*l4off = off;
	return 40 + plen;
}

/* IPv6 raw sockets get the packet from its transport header on; a
 * fragment is not delivered (nothing reassembles it): only the verdict
 * of whole packets is observed, fragments are sent for the drop side. */
static void probe6(struct side *s, bool *seen)
{
	uint8_t b[128], rx[2048];
	uint64_t end;

	memset(seen, 0, N6 * sizeof(*seen));
	for (int i = 0; i < N6; i++) {
		size_t off, len = build6(b, i, &off);

		assert_int_equal(
			dnet_send_in(&s->sd, 0, BF_FAMILY_INET6, b, len), 0);
	}
	end = dnet_now_ms() + 600;
	while (dnet_now_ms() < end) {
		for (int k = 0; k < s->sd.n_raw; k++) {
			ssize_t n;

			if (s->sd.raw_family[k] != BF_FAMILY_INET6)
				continue;
			while ((n = recv(s->sd.raw_in[k], rx, sizeof(rx), 0)) >
			       0) {
				size_t hl = s->sd.raw_proto[k] == 6 ? 20 : 8;
				size_t id;

				if ((size_t)n < hl + 5 ||
				    memcmp(rx + hl, "H15", 3))
					continue;
				id = (size_t)(rx[hl + 3] << 8 | rx[hl + 4]);
				if (id < (size_t)N6)
					seen[id] = true;
			}
		}
		usleep(20000);
	}
}

static void test_v6(void **state)
{
	struct side k = { 0 }, b = { 0 };
	char sets[96], rules[96];
	bool sk[N6], sb[N6];
	int diff = 0, delivered = 0;
	static const uint8_t protos[] = { 6, 17, 58, 47 };
	(void)state;

	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v ipset >/dev/null && command -v "
		   "ip6tables-legacy-restore >/dev/null")) {
		if (bft_require_kernel())
			fail_msg("ipset or ip6tables-legacy missing "
				 "(scripts/install-deps.sh installs them)");
		skip();
	}
	bf_verify_set_bin(bft_bpfilter_bin());
	dnet_init();
	snprintf(sets, sizeof(sets), "/tmp/bf-e2e-set6-%d.ipset", getpid());
	snprintf(rules, sizeof(rules), "/tmp/bf-e2e-set6-%d.rules", getpid());
	assert_int_equal(write_file(sets, sets6_text), 0);
	assert_int_equal(write_file(rules, rules6_text), 0);
	for (int s = 0; s < 2; s++) {
		struct side *sd = s ? &b : &k;

		assert_int_equal(dnet_side_create(&sd->sd,
						  s ? "bpfilter" : "legacy",
						  &topo, false),
				 0);
		for (size_t i = 0; i < sizeof(protos); i++)
			assert_int_equal(dnet_raw_in(&sd->sd, BF_FAMILY_INET6,
						     protos[i]),
					 0);
		assert_int_equal(dnet_side_wait(&sd->sd, &topo), 0);
	}
	assert_int_equal(bft_sh("ip netns exec %s ipset restore < %s",
				k.sd.ns_r, sets),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s ip6tables-legacy-restore "
				"< %s",
				k.sd.ns_r, rules),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s %s apply --ipset %s -6 %s",
				b.sd.ns_r, bft_bpfilter_bin(), sets, rules),
			 0);
	probe6(&k, sk);
	probe6(&b, sb);
	for (int i = 0; i < N6; i++) {
		delivered += sk[i];
		if (sk[i] != sb[i]) {
			diff++;
			print_message("IPv6 mismatch on probe %d: kernel %s, "
				      "bpfilter %s\n",
				      i, sk[i] ? "accept" : "drop",
				      sb[i] ? "accept" : "drop");
		}
	}
	print_message("IPv6: %d probes, %d accepted by the kernel, %d "
		      "mismatches\n",
		      N6, delivered, diff);
	assert_true(delivered > 0 && delivered < N6);
	assert_int_equal(diff, 0);
	unlink(sets);
	unlink(rules);
	dnet_side_destroy(&b.sd);
	dnet_side_destroy(&k.sd);
}

/* ---- random overlapping prefixes with nomatch, kernel vs bpfilter ---- */

#define RN_ELEMS 80
#define RN_PROBES 400

/* UDP probe i from src[i] to 192.0.2.1:53, marker "H15" + i */
static size_t build_rn(uint8_t *b, const uint8_t *src, int i)
{
	size_t len = 20 + 8 + 8;
	uint32_t sum = 0;

	memset(b, 0, len);
	b[0] = 0x45;
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = 17;
	memcpy(b + 12, src, 4);
	inet_pton(AF_INET, "192.0.2.1", b + 16);
	for (int k = 0; k < 20; k += 2)
		sum += (uint32_t)(b[k] << 8 | b[k + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	b[10] = (uint8_t)(sum >> 8);
	b[11] = (uint8_t)sum;
	b[20] = 0x9c;
	b[21] = 0x40;
	b[23] = 53;
	b[25] = 16;
	memcpy(b + 28, "H15", 3);
	b[31] = (uint8_t)(i >> 8);
	b[32] = (uint8_t)i;
	return len;
}

static void probe_rn(struct side *s, uint8_t (*srcs_)[4], bool *seen)
{
	uint8_t b[64], rx[2048];
	uint64_t end;

	memset(seen, 0, RN_PROBES * sizeof(*seen));
	for (int i = 0; i < RN_PROBES; i++) {
		size_t len = build_rn(b, srcs_[i], i);

		assert_int_equal(
			dnet_send_in(&s->sd, 0, BF_FAMILY_INET4, b, len), 0);
	}
	end = dnet_now_ms() + 600;
	while (dnet_now_ms() < end) {
		for (int k = 0; k < s->sd.n_raw; k++) {
			ssize_t n;

			while ((n = recv(s->sd.raw_in[k], rx, sizeof(rx), 0)) >
			       0) {
				size_t id;

				if (n < 33 || rx[9] != 17 ||
				    memcmp(rx + 28, "H15", 3))
					continue;
				id = (size_t)(rx[31] << 8 | rx[32]);
				if (id < RN_PROBES)
					seen[id] = true;
			}
		}
		usleep(20000);
	}
}

static void test_random_prefixes(void **state)
{
	struct side k = { 0 }, b = { 0 };
	char sets[96], rules[96];
	uint8_t nets[RN_ELEMS][4], srcs_[RN_PROBES][4];
	int plens[RN_ELEMS];
	bool sk[RN_PROBES], sb[RN_PROBES];
	unsigned int seed = 1515;
	int diff = 0, delivered = 0, n = 0;
	FILE *f;
	(void)state;

	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v ipset >/dev/null && command -v "
		   "iptables-legacy-restore >/dev/null")) {
		if (bft_require_kernel())
			fail_msg("ipset or iptables-legacy missing");
		skip();
	}
	bf_verify_set_bin(bft_bpfilter_bin());
	dnet_init();
	snprintf(sets, sizeof(sets), "/tmp/bf-e2e-setrn-%d.ipset", getpid());
	snprintf(rules, sizeof(rules), "/tmp/bf-e2e-setrn-%d.rules", getpid());
	/* nested prefixes inside 10.0.0.0/8: each new one inside an
	 * earlier one half of the time, every third one nomatch */
	f = fopen(sets, "w");
	assert_non_null(f);
	fprintf(f, "create rn hash:net family inet hashsize 1024 maxelem "
		   "65536\n");
	while (n < RN_ELEMS) {
		uint32_t a, m;
		int pl = 8 + rand_r(&seed) % 25, dup = 0;

		if (n && rand_r(&seed) % 2) {
			int p = rand_r(&seed) % n;

			a = (uint32_t)nets[p][0] << 24 | nets[p][1] << 16 |
			    nets[p][2] << 8 | nets[p][3];
			a |= (uint32_t)rand_r(&seed) &
			     ~(0xffffffffu << (32 - plens[p]));
		} else {
			a = 0x0a000000u | ((uint32_t)rand_r(&seed) & 0xffffff);
		}
		m = 0xffffffffu << (32 - pl);
		a &= m;
		for (int j = 0; j < n; j++)
			dup |= plens[j] == pl &&
			       !memcmp(nets[j],
				       (uint8_t[]){ a >> 24, a >> 16, a >> 8,
						    a },
				       4);
		if (dup)
			continue;
		nets[n][0] = (uint8_t)(a >> 24);
		nets[n][1] = (uint8_t)(a >> 16);
		nets[n][2] = (uint8_t)(a >> 8);
		nets[n][3] = (uint8_t)a;
		plens[n] = pl;
		fprintf(f, "add rn %u.%u.%u.%u/%d%s\n", nets[n][0], nets[n][1],
			nets[n][2], nets[n][3], pl,
			n % 3 == 2 ? " nomatch" : "");
		n++;
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(write_file(rules,
				    "*filter\n:INPUT ACCEPT [0:0]\n"
				    ":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT "
				    "[0:0]\n-A INPUT -m set --match-set rn src "
				    "-j DROP\nCOMMIT\n"),
			 0);
	/* probe sources: inside a random element (near its edges or not),
	 * or anywhere in 10/8 */
	for (int i = 0; i < RN_PROBES; i++) {
		int p = rand_r(&seed) % RN_ELEMS;
		uint32_t a = (uint32_t)nets[p][0] << 24 | nets[p][1] << 16 |
			     nets[p][2] << 8 | nets[p][3];
		uint32_t host = ~(0xffffffffu << (32 - plens[p]));

		if (plens[p] == 32)
			host = 0;
		switch (i % 4) {
		case 0:
			a |= host; /* last address */
			break;
		case 1:
			a = (a | host) + 1; /* just after */
			break;
		case 2:
			a |= (uint32_t)rand_r(&seed) & host;
			break;
		default:
			a = 0x0a000000u | ((uint32_t)rand_r(&seed) & 0xffffff);
		}
		srcs_[i][0] = (uint8_t)(a >> 24);
		srcs_[i][1] = (uint8_t)(a >> 16);
		srcs_[i][2] = (uint8_t)(a >> 8);
		srcs_[i][3] = (uint8_t)a;
	}
	assert_int_equal(side_up(&k, "legacy"), 0);
	assert_int_equal(side_up(&b, "bpfilter"), 0);
	assert_int_equal(bft_sh("ip netns exec %s ipset restore < %s",
				k.sd.ns_r, sets),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s iptables-legacy-restore "
				"< %s",
				k.sd.ns_r, rules),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s %s apply --ipset %s %s",
				b.sd.ns_r, bft_bpfilter_bin(), sets, rules),
			 0);
	probe_rn(&k, srcs_, sk);
	probe_rn(&b, srcs_, sb);
	for (int i = 0; i < RN_PROBES; i++) {
		delivered += sk[i];
		if (sk[i] != sb[i]) {
			diff++;
			print_message("mismatch: src %u.%u.%u.%u kernel %s, "
				      "bpfilter %s\n",
				      srcs_[i][0], srcs_[i][1], srcs_[i][2],
				      srcs_[i][3], sk[i] ? "accept" : "drop",
				      sb[i] ? "accept" : "drop");
		}
	}
	print_message("random prefixes: %d elements, %d probes, %d accepted "
		      "by the kernel, %d mismatches\n",
		      RN_ELEMS, RN_PROBES, delivered, diff);
	assert_true(delivered > RN_PROBES / 10 &&
		    delivered < RN_PROBES - RN_PROBES / 10);
	assert_int_equal(diff, 0);
	unlink(sets);
	unlink(rules);
	dnet_side_destroy(&b.sd);
	dnet_side_destroy(&k.sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_vs_bpfilter),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_random_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
