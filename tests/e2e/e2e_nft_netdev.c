// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft rulesets that bpfilter spreads over several slots, end to end
 * against the kernel's nftables (doc/front-nft.md, "Mapping to hooks"):
 *
 *  - netdev tables: base chains at ingress of two devices (and one on
 *    both, `devices = { ... }`) and at egress of one, for IPv4, IPv6 and frames of neither (a local experimental
 *    EtherType, 0x88b5), applied with a plain `bpfilter apply FILE` (the
 *    file names its devices: tc-eth0 and tc-eth1), and the ingress
 *    chains again with `--hook xdp`;
 *  - several ip / inet base chains on one hook at priorities -10, 0 and
 *    10, where an accept of an earlier chain goes on to the next one
 *    (three nf slots, netfilter links at those priorities).
 *
 * The same file is loaded with `nft -f` in one pair of namespaces and
 * with bpfilter in another (the verify engine's topology,
 * src/lib/verify/net.h); the same probes go into both and the verdicts
 * are compared: delivery to R's raw sockets (input, ingress), frames seen
 * in S (egress), and an AF_PACKET socket of R bound to 0x88b5 (which
 * the stack serves after tc and netdev ingress) for the non-IP frames.
 * `bpfilter save --format nft` of each case must load into nftables
 * (`nft -c -f`), and a netdev chain that would drop non-IP frames, or
 * reads ct at ingress, is refused with its reason.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "bftest.h"
#include "bpfilter/helper.h"
#include "verify/net.h"

#include "e2e_nftcmp.h"

#define ETH_P_TEST 0x88b5 /* IEEE local experimental EtherType */

static const char netdev_rs[] =
	"flush ruleset\n"
	"table netdev t {\n"
	"\tchain in0 {\n"
	"\t\ttype filter hook ingress device \"eth0\" priority 0; policy drop;\n"
	"\t\tmeta protocol != { ip, ip6 } accept\n"
	"\t\tip saddr 203.0.113.0/24 drop\n"
	"\t\tip6 saddr 2001:db8:bad::/48 drop\n"
	"\t\tudp dport 7000 drop\n"
	"\t\tip daddr 192.0.2.50 accept\n"
	"\t\tip6 daddr 2001:db8:50::/48 accept\n"
	"\t\tudp dport 53 accept\n"
	"\t}\n"
	"\tchain in1 {\n"
	"\t\ttype filter hook ingress device \"eth1\" priority 0; policy accept;\n"
	"\t\tudp dport 53 drop\n"
	"\t\tip saddr 198.51.100.0/24 jump check\n"
	"\t}\n"
	"\tchain check {\n"
	"\t\tip daddr 192.0.2.51 drop\n"
	"\t}\n"
	"\tchain both {\n"
	"\t\ttype filter hook ingress devices = { eth0, eth1 } priority -10;\n"
	"\t\tip saddr 192.0.2.9 udp dport 9 drop\n"
	"\t\tip6 saddr 2001:db8:2::9 udp dport 9 drop\n"
	"\t}\n"
	"\tchain out1 {\n"
	"\t\ttype filter hook egress device \"eth1\" priority 0; policy accept;\n"
	"\t\tudp dport 7000 drop\n"
	"\t\tip6 daddr 2001:db8:51::/48 udp dport 9 drop\n"
	"\t}\n"
	"}\n";

static const char multi_rs[] =
	"flush ruleset\n"
	"table inet a {\n"
	"\tchain early {\n"
	"\t\ttype filter hook input priority -10; policy accept;\n"
	"\t\tudp dport 7000 accept\n"
	"\t\tip saddr 203.0.113.0/24 drop\n"
	"\t\tip6 saddr 2001:db8:bad::/48 accept\n"
	"\t}\n"
	"\tchain out {\n"
	"\t\ttype filter hook output priority filter - 5; policy accept;\n"
	"\t\tudp dport 9 accept\n"
	"\t}\n"
	"}\n"
	"table ip b {\n"
	"\tchain late {\n"
	"\t\ttype filter hook input priority 10; policy accept;\n"
	"\t\tudp dport 7000 drop\n"
	"\t\tip saddr 198.51.100.0/24 accept\n"
	"\t\tip daddr 192.0.2.51 drop\n"
	"\t}\n"
	"\tchain mid {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tip saddr 198.51.100.0/24 udp dport 53 drop\n"
	"\t}\n"
	"\tchain out {\n"
	"\t\ttype filter hook output priority 0; policy accept;\n"
	"\t\tudp dport 9 drop\n"
	"\t}\n"
	"}\n"
	"table ip6 c {\n"
	"\tchain late6 {\n"
	"\t\ttype filter hook input priority 10; policy drop;\n"
	"\t\tip6 daddr 2001:db8:50::/48 accept\n"
	"\t}\n"
	"}\n";

static const char *const srcs4[] = { "203.0.113.5", "198.51.100.9",
				     "192.0.2.9" };
static const char *const dsts4[] = { "192.0.2.50", "192.0.2.51" };
static const char *const srcs6[] = { "2001:db8:bad::5", "2001:db8:1::9",
				     "2001:db8:2::9" };
static const char *const dsts6[] = { "2001:db8:50::1", "2001:db8:51::1" };
static const uint16_t ports[] = { 7000, 53, 9 };

#define N_IF 2
#define N_SRC 3
#define N_DST 2
#define N_PORT 3
#define N_IP (2 * N_IF * N_SRC * N_DST * N_PORT) /* both families */
#define N_NONIP N_IF
#define N_PROBES (N_IP + N_NONIP)

static struct dtopo topo = { .n_if = N_IF, .name = { "eth0", "eth1" } };
static struct dside kside, bside;
static int nonip_rx[2] = { -1, -1 }; /* kside, bside: AF_PACKET 0x88b5 */
static char path[96];

struct pdesc {
	int k; /* interface */
	enum bf_family fam;
	int si, di, pi;
};

static void desc(int i, struct pdesc *d)
{
	d->pi = i % N_PORT;
	i /= N_PORT;
	d->di = i % N_DST;
	i /= N_DST;
	d->si = i % N_SRC;
	i /= N_SRC;
	d->fam = (i % 2) ? BF_FAMILY_INET6 : BF_FAMILY_INET4;
	d->k = i / 2;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t k = 0; k + 1 < n; k += 2)
		s += (uint32_t)(p[k] << 8 | p[k + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

/* IP probe i: UDP with marker "H4N" + id right after the UDP header. */
static size_t build(uint8_t *b, int i, const struct pdesc *d)
{
	size_t l3 = d->fam == BF_FAMILY_INET4 ? 20 : 40;
	size_t len = l3 + 8 + 8;
	uint8_t *u = b + l3;
	uint32_t s;
	uint16_t c;

	memset(b, 0, len);
	if (d->fam == BF_FAMILY_INET4) {
		nftcmp_ip4(b, len, (uint16_t)i, 17, srcs4[d->si], dsts4[d->di]);
	} else {
		b[0] = 0x60;
		b[5] = 16; /* payload length */
		b[6] = 17;
		b[7] = 64;
		inet_pton(AF_INET6, srcs6[d->si], b + 8);
		inet_pton(AF_INET6, dsts6[d->di], b + 24);
	}
	u[0] = 0x9c; /* source port 40000 */
	u[1] = 0x40;
	u[2] = (uint8_t)(ports[d->pi] >> 8);
	u[3] = (uint8_t)ports[d->pi];
	u[5] = 16;
	memcpy(u + 8, "H4N", 3);
	u[11] = (uint8_t)(i >> 8);
	u[12] = (uint8_t)i;
	if (d->fam == BF_FAMILY_INET6) {
		/* pseudo-header: addresses, length, next header */
		s = sum16(b + 8, 32) + 16 + 17 + sum16(u, 16);
		c = fold(s);
		u[6] = (uint8_t)(c >> 8);
		u[7] = (uint8_t)c;
	}
	return len;
}

static long marker_id(const uint8_t *p, size_t n)
{
	long id;

	if (n < 13 || memcmp(p + 8, "H4N", 3))
		return -1;
	id = p[11] << 8 | p[12];
	return id < N_PROBES ? id : -1;
}

/* A non-IP frame k into R on interface k: EtherType 0x88b5, marker. */
static int send_nonip(struct dside *sd, int k, int id)
{
	uint8_t f[60] = { 0 };
	struct sockaddr_ll sll = { 0 };

	dnet_mac(f, 1, k);
	dnet_mac(f + 6, 2, k);
	f[12] = ETH_P_TEST >> 8;
	f[13] = ETH_P_TEST & 0xff;
	memcpy(f + 14 + 8, "H4N", 3);
	f[14 + 11] = (uint8_t)(id >> 8);
	f[14 + 12] = (uint8_t)id;
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = sd->ifindex_s[k];
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	return sendto(sd->pkt_tx, f, sizeof(f), 0, (struct sockaddr *)&sll,
		      sizeof(sll)) < 0 ?
		       -errno :
		       0;
}

/* Send every probe into R (in) or out of R (!in); seen[i]: it got
 * through (delivered in R, or seen in S). */
static void probe(struct dside *sd, int nonip_fd, bool in, bool *seen)
{
	uint8_t b[128], rx[2048];
	uint64_t end;

	memset(seen, 0, N_PROBES * sizeof(*seen));
	for (int i = 0; i < N_IP; i++) {
		struct pdesc d;
		size_t len;
		desc(i, &d);
		len = build(b, i, &d);
		if (in)
			assert_int_equal(dnet_send_in(sd, d.k, d.fam, b, len),
					 0);
		else
			assert_int_equal(dnet_send_out(sd, d.k, d.fam, b, len),
					 0);
	}
	for (int k = 0; in && k < N_NONIP; k++)
		assert_int_equal(send_nonip(sd, k, N_IP + k), 0);
	end = dnet_now_ms() + 700;
	while (dnet_now_ms() < end) {
		ssize_t n;
		for (int r = 0; in && r < sd->n_raw; r++) {
			while ((n = recv(sd->raw_in[r], rx, sizeof(rx), 0)) >
			       0) {
				/* IPv4 raw sockets give the IP header,
				 * IPv6 ones the payload */
				size_t off = sd->raw_family[r] ==
							     BF_FAMILY_INET4 ?
						     (size_t)(rx[0] & 15) * 4 :
						     0;
				long id;
				if ((size_t)n <= off)
					continue;
				id = marker_id(rx + off, (size_t)n - off);
				if (id >= 0 && id < N_IP)
					seen[id] = true;
			}
		}
		while (in && (n = recv(nonip_fd, rx, sizeof(rx), 0)) > 0) {
			long id = marker_id(rx, (size_t)n);
			if (id >= N_IP)
				seen[id] = true;
		}
		while (!in) {
			struct sockaddr_ll sll = { 0 };
			socklen_t sl = sizeof(sll);
			size_t off;
			long id;
			n = recvfrom(sd->pkt_rx, rx, sizeof(rx), 0,
				     (struct sockaddr *)&sll, &sl);
			if (n <= 0)
				break;
			if (sll.sll_pkttype == PACKET_OUTGOING || n < 14 + 20)
				continue;
			if (rx[12] == 0x08 && rx[13] == 0x00)
				off = 14 + (size_t)(rx[14] & 15) * 4;
			else if (rx[12] == 0x86 && rx[13] == 0xdd)
				off = 14 + 40;
			else
				continue;
			if ((size_t)n <= off)
				continue;
			id = marker_id(rx + off, (size_t)n - off);
			if (id >= 0 && id < N_IP)
				seen[id] = true;
		}
		usleep(20000);
	}
}

static int side_up(struct dside *sd, const char *kind, int *nonip)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_TEST) };
	int r = dnet_side_create(sd, kind, &topo, false);

	if (r)
		return r;
	if ((r = dnet_raw_in(sd, BF_FAMILY_INET4, 17)) ||
	    (r = dnet_raw_in(sd, BF_FAMILY_INET6, 17)))
		return r;
	/* served after tc and netdev ingress (__netif_receive_skb_core()
	 * delivers to protocol handlers last) */
	if (dnet_enter(sd->nsfd_r) < 0)
		return -errno;
	*nonip = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			htons(ETH_P_TEST));
	if (*nonip >= 0 && bind(*nonip, (struct sockaddr *)&sll, sizeof(sll)))
		r = -errno;
	dnet_enter(-1);
	if (*nonip < 0)
		return -errno;
	if (r)
		return r;
	return dnet_side_wait(sd, &topo);
}

static void describe(int i, char *buf, size_t size, const void *ctx)
{
	struct pdesc d;

	if (i >= N_IP) {
		snprintf(buf, size, "EtherType 0x88b5 frame on eth%d",
			 i - N_IP);
		return;
	}
	desc(i, &d);
	snprintf(buf, size, "eth%d %s %s -> %s udp dport %u", d.k,
		 d.fam ? "ipv6" : "ipv4", d.fam ? srcs6[d.si] : srcs4[d.si],
		 d.fam ? dsts6[d.di] : dsts4[d.di], ports[d.pi]);
}

/* nftables' verdicts of the last compare() */
static bool sk[N_PROBES];

/* Compare both sides' verdicts; returns how many got through. */
static int compare(const char *when, bool in)
{
	bool sb[N_PROBES];
	int n = in ? N_PROBES : N_IP;

	probe(&kside, nonip_rx[0], in, sk);
	probe(&bside, nonip_rx[1], in, sb);
	return nftcmp_tally(when, sk, sb, n, describe, NULL, "passed", "pass");
}

/* The ruleset file holds text. */
static void write_path(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* bpfilter apply OPT of text fails; returns its output (to free). */
static char *apply_refused(const char *text, const char *opt)
{
	char *out = NULL;

	write_path(text);
	assert_int_not_equal(
		bft_sh_out(&out, "ip netns exec %s %s apply %s%s 2>&1",
			   bside.ns_r, bft_bpfilter_bin(), opt, path),
		0);
	assert_non_null(out);
	return out;
}

static void load_both_opt(const char *text, const char *opt)
{
	write_path(text);
	assert_int_equal(bft_sh("ip netns exec %s nft -f %s", kside.ns_r, path),
			 0);
	/* no --hook, --iface nor --format: the file says it all */
	assert_int_equal(bft_sh("ip netns exec %s %s apply %s %s", bside.ns_r,
				bft_bpfilter_bin(), opt, path),
			 0);
}

static void load_both(const char *text)
{
	load_both_opt(text, "");
}

/* save --format nft of the bpfilter side loads into nftables */
static void saved_loads(const char *must)
{
	char *saved = NULL;

	assert_int_equal(bft_sh_out(&saved,
				    "ip netns exec %s %s save --format nft",
				    bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_non_null(saved);
	if (!strstr(saved, must))
		print_message("save --format nft:\n%s\n", saved);
	assert_non_null(strstr(saved, must));
	free(saved);
	assert_int_equal(bft_sh("ip netns exec %s %s save --format nft "
				"| ip netns exec %s nft -c -f -",
				bside.ns_r, bft_bpfilter_bin(), kside.ns_s),
			 0);
}

static bool setup_done;

static int group_setup(void **state)
{
	(void)state;
	if (getuid() != 0 || bft_sh("command -v nft >/dev/null"))
		return 0;
	bf_verify_set_bin(bft_bpfilter_bin());
	dnet_init();
	snprintf(path, sizeof(path), "/tmp/bf-e2e-nft-netdev-%d.nft", getpid());
	if (side_up(&kside, "nftables", &nonip_rx[0]) ||
	    side_up(&bside, "bpfilter", &nonip_rx[1]))
		return 0;
	setup_done = true;
	return 0;
}

static void need_sides(void)
{
	BFT_REQUIRE_KERNEL();
	if (!setup_done) {
		if (bft_require_kernel())
			fail_msg("namespaces or nft not available");
		skip();
	}
}

static void test_netdev(void **state)
{
	(void)state;
	need_sides();
	load_both(netdev_rs);
	compare("netdev ingress", true);
	/* the non-IP frames were seen (accepted by both) */
	for (int k = 0; k < N_NONIP; k++)
		assert_true(sk[N_IP + k]);
	compare("netdev egress", false);
	/* one tc slot per device, nothing at nf */
	assert_int_equal(bft_sh("ip netns exec %s %s list | grep -q tc-eth0",
				bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s %s list | grep -q tc-eth1",
				bside.ns_r, bft_bpfilter_bin()),
			 0);
	saved_loads("bpfilter_tc_eth1");
}

/* The ingress chains at XDP (`apply --hook xdp`): the same verdicts */
static void test_netdev_xdp(void **state)
{
	char text[sizeof(netdev_rs)];
	char *out1;
	(void)state;
	need_sides();
	assert_int_equal(bft_sh("ip netns exec %s %s flush", bside.ns_r,
				bft_bpfilter_bin()),
			 0);
	/* without the egress chain (XDP has none) */
	snprintf(text, sizeof(text), "%s", netdev_rs);
	out1 = strstr(text, "\tchain out1 {");
	assert_non_null(out1);
	snprintf(out1, sizeof(text) - (size_t)(out1 - text), "}\n");
	load_both_opt(text, "--hook xdp");
	assert_int_equal(bft_sh("ip netns exec %s %s list | grep -q xdp-eth1",
				bside.ns_r, bft_bpfilter_bin()),
			 0);
	compare("netdev ingress at xdp", true);
	for (int k = 0; k < N_NONIP; k++)
		assert_true(sk[N_IP + k]);
	assert_int_equal(bft_sh("ip netns exec %s %s flush", bside.ns_r,
				bft_bpfilter_bin()),
			 0);
}

static void test_multichain(void **state)
{
	(void)state;
	need_sides();
	assert_int_equal(bft_sh("ip netns exec %s %s flush", bside.ns_r,
				bft_bpfilter_bin()),
			 0);
	load_both(multi_rs);
	compare("base chains at priorities -10, 0, 10 (input)", true);
	compare("base chains at priorities -5, 0 (output)", false);
	assert_int_equal(bft_sh("ip netns exec %s %s list | grep -q nf-m10",
				bside.ns_r, bft_bpfilter_bin()),
			 0);
	saved_loads("priority -10");
}

/* Refusals with their reasons, nothing applied */
static void test_refused(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "table netdev t {\n\tchain c {\n\t\ttype filter hook ingress "
		  "device \"eth0\" priority 0; policy drop;\n\t\tip saddr "
		  "192.0.2.1 accept\n\t}\n}\n",
		  "neither IPv4 nor IPv6" },
		{ "table netdev t {\n\tchain c {\n\t\ttype filter hook ingress "
		  "device \"eth0\" priority 0;\n\t\tct state established "
		  "accept\n\t}\n}\n",
		  "conntrack has not seen" },
		{ "table netdev t {\n\tchain c {\n\t\ttype filter hook egress "
		  "device \"eth0\" priority 0;\n\t\tdrop\n\t}\n}\n",
		  "neither IPv4 nor IPv6" },
	};
	(void)state;
	need_sides();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out = apply_refused(cases[i].text, "");

		if (!strstr(out, cases[i].why))
			print_message("case %zu: %s\n", i, out);
		assert_non_null(strstr(out, cases[i].why));
		free(out);
	}
	/* egress at xdp */
	{
		char *out = apply_refused(netdev_rs, "--hook xdp ");

		assert_non_null(strstr(out, "XDP sees received frames only"));
		free(out);
	}
}

static int group_teardown(void **state)
{
	(void)state;
	if (path[0])
		unlink(path);
	for (int i = 0; i < 2; i++)
		if (nonip_rx[i] >= 0)
			close(nonip_rx[i]);
	dnet_side_destroy(&bside);
	dnet_side_destroy(&kside);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netdev),
		cmocka_unit_test(test_netdev_xdp),
		cmocka_unit_test(test_multichain),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
