// SPDX-License-Identifier: GPL-2.0-only
/*
 * REJECT differential test: the same ruleset in the kernel's
 * iptables-legacy (INPUT) on one host and in bpfilter at tc ingress (then
 * XDP) on another; the same probes sent to both; what the sender receives
 * back (ICMP / ICMPv6 errors with their quoted datagram, TCP resets with
 * their sequence numbers, or nothing) must be the same.
 *
 * Topology per side: S (s0, 192.0.2.1, 2001:db8::1) <-> R (r0, 192.0.2.2,
 * 2001:db8::2), real addresses and permanent neighbour entries (no AnyIP
 * here: the replies must be routed back to S, see FIELD-NOTES.md), the
 * same MAC addresses on both sides. Probes are built by the verify
 * engine (src/lib/verify/pkt.h) and sent as raw frames from S; an
 * AF_PACKET socket in S collects every frame R sends back.
 *
 * Fields that legitimately differ are masked before comparing: the IPv4
 * ID of ICMP errors (ip_select_ident()), and with it the IPv4 header
 * checksum; the IPv6 flow label (the kernel hashes one, auto_flowlabels);
 * the TCP checksum of IPv4 resets (the kernel leaves it to offload,
 * CHECKSUM_PARTIAL, so a veth peer sees a partial sum). tests/prog/
 * test_reject.c checks bpfilter's checksums.
 */
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "diff_net.h"
#include "diff_pkt.h"

#define N_REPLY 4
#define REPLY_MAX 1600

struct host {
	char s[IFNAMSIZ], r[IFNAMSIZ];
	int nsfd_s;
	int sock; /* AF_PACKET in S, bound to s0 */
	int ifindex;
};

struct replies {
	int n;
	uint8_t b[N_REPLY][REPLY_MAX];
	size_t len[N_REPLY];
};

static const uint8_t mac_s[6] = { 0x02, 0xbf, 0xd2, 0, 1, 1 };
static const uint8_t mac_r[6] = { 0x02, 0xbf, 0xd2, 0, 2, 1 };

static const char rules4[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -f -j REJECT\n"
	"-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset\n"
	"-A INPUT -p udp --dport 53 -j REJECT\n"
	"-A INPUT -p udp --dport 5001 -j REJECT --reject-with "
	"icmp-net-unreachable\n"
	"-A INPUT -p udp --dport 5002 -j REJECT --reject-with "
	"icmp-host-unreachable\n"
	"-A INPUT -p udp --dport 5003 -j REJECT --reject-with "
	"icmp-port-unreachable\n"
	"-A INPUT -p udp --dport 5004 -j REJECT --reject-with "
	"icmp-proto-unreachable\n"
	"-A INPUT -p udp --dport 5005 -j REJECT --reject-with "
	"icmp-net-prohibited\n"
	"-A INPUT -p udp --dport 5006 -j REJECT --reject-with "
	"icmp-host-prohibited\n"
	"-A INPUT -p udp --dport 5007 -j REJECT --reject-with "
	"icmp-admin-prohibited\n"
	"-A INPUT -p icmp -j REJECT --reject-with icmp-host-prohibited\n"
	"-A INPUT -p 253 -j REJECT --reject-with icmp-proto-unreachable\n"
	"COMMIT\n";

static const char rules6[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset\n"
	"-A INPUT -p udp --dport 53 -j REJECT\n"
	"-A INPUT -p udp --dport 5001 -j REJECT --reject-with "
	"icmp6-no-route\n"
	"-A INPUT -p udp --dport 5002 -j REJECT --reject-with "
	"icmp6-adm-prohibited\n"
	"-A INPUT -p udp --dport 5003 -j REJECT --reject-with "
	"icmp6-addr-unreachable\n"
	"-A INPUT -p udp --dport 5004 -j REJECT --reject-with "
	"icmp6-port-unreachable\n"
	"-A INPUT -p udp --dport 5005 -j REJECT --reject-with "
	"icmp6-policy-fail\n"
	"-A INPUT -p udp --dport 5006 -j REJECT --reject-with "
	"icmp6-reject-route\n"
	"-A INPUT -p ipv6-icmp --icmpv6-type echo-request -j REJECT "
	"--reject-with icmp6-adm-prohibited\n"
	"-A INPUT -p ipv6-icmp --icmpv6-type destination-unreachable "
	"-j REJECT\n"
	"-A INPUT -p 253 -j REJECT --reject-with icmp6-adm-prohibited\n"
	"COMMIT\n";

static char path4[64], path6[64];

static void remove_files(void)
{
	if (path4[0])
		unlink(path4);
	if (path6[0])
		unlink(path6);
}

static int write_file(char *path, size_t size, const char *text)
{
	int fd;

	snprintf(path, size, "/tmp/bfrej-%d-XXXXXX", (int)getpid());
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Two namespaces joined by a veth, addresses, permanent neighbours, no
 * ICMP rate limits in R. */
static int host_create(struct host *h, const char *tag)
{
	char mr[20], ms[20];
	int r;

	memset(h, 0, sizeof(*h));
	h->sock = h->nsfd_s = -1;
	if (dnet_ns_add(h->s, sizeof(h->s), "bfrs") ||
	    dnet_ns_add(h->r, sizeof(h->r), "bfrr"))
		return -1;
	if (!strcmp(tag, "bpfilter"))
		dnet_ns_mark_bpf(h->r);
	snprintf(ms, sizeof(ms), "%02x:%02x:%02x:%02x:%02x:%02x", mac_s[0],
		 mac_s[1], mac_s[2], mac_s[3], mac_s[4], mac_s[5]);
	snprintf(mr, sizeof(mr), "%02x:%02x:%02x:%02x:%02x:%02x", mac_r[0],
		 mac_r[1], mac_r[2], mac_r[3], mac_r[4], mac_r[5]);
	r = dnet_sh(
		"set -e; ip link add s0 netns %1$s address %3$s type veth "
		"peer name r0 netns %2$s address %4$s; "
		"ip netns exec %1$s sysctl -qw net.ipv6.conf.all.accept_dad=0 "
		"net.ipv6.conf.default.accept_dad=0 "
		"net.ipv6.conf.s0.accept_dad=0 "
		"net.ipv6.conf.s0.router_solicitations=0; "
		"ip netns exec %2$s sysctl -qw net.ipv6.conf.r0.accept_dad=0 "
		"net.ipv4.icmp_ratemask=0 net.ipv4.icmp_ratelimit=0 "
		"net.ipv6.icmp.ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000000 "
		"net.ipv4.icmp_msgs_burst=100000000; "
		"ip netns exec %2$s sh -c 'echo > "
		"/proc/sys/net/ipv6/icmp/ratemask'; "
		"ip -n %1$s link set lo up; ip -n %2$s link set lo up; "
		"ip -n %1$s addr add 192.0.2.1/24 dev s0; "
		"ip -n %2$s addr add 192.0.2.2/24 dev r0; "
		"ip -n %1$s addr add 2001:db8::1/64 dev s0 nodad; "
		"ip -n %2$s addr add 2001:db8::2/64 dev r0 nodad; "
		"ip -n %1$s link set s0 up; ip -n %2$s link set r0 up; "
		"ip -n %1$s neigh replace 192.0.2.2 lladdr %4$s dev s0 "
		"nud permanent; "
		"ip -n %1$s neigh replace 2001:db8::2 lladdr %4$s dev s0 "
		"nud permanent; "
		"ip -n %2$s neigh replace 192.0.2.1 lladdr %3$s dev r0 "
		"nud permanent; "
		"ip -n %2$s neigh replace 2001:db8::1 lladdr %3$s dev r0 "
		"nud permanent",
		h->s, h->r, ms, mr);
	if (r)
		return -1;
	if (dnet_wait_up(h->r, 1) || dnet_wait_up(h->s, 1))
		return -1;
	h->nsfd_s = dnet_ns_open(h->s);
	if (h->nsfd_s < 0 || dnet_enter(h->nsfd_s))
		return -1;
	h->sock = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 htons(ETH_P_ALL));
	h->ifindex = (int)if_nametoindex("s0");
	dnet_enter(-1);
	if (h->sock < 0 || !h->ifindex)
		return -1;
	{
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_protocol = htons(ETH_P_ALL),
					   .sll_ifindex = h->ifindex };

		if (bind(h->sock, (struct sockaddr *)&sll, sizeof(sll)))
			return -1;
	}
	return 0;
}

static void host_destroy(struct host *h)
{
	if (h->sock >= 0)
		close(h->sock);
	if (h->nsfd_s >= 0)
		close(h->nsfd_s);
	h->sock = h->nsfd_s = -1;
	if (h->r[0])
		dnet_ns_del(h->r);
	if (h->s[0])
		dnet_ns_del(h->s);
	h->r[0] = h->s[0] = '\0';
}

/* Frames R sent to S, of interest: IPv4 / IPv6 from R's address, not
 * neighbour discovery or MLD. */
static bool of_interest(const uint8_t *f, size_t len)
{
	uint16_t et;

	/* replies are unicast to S: multicast frames (MLD reports...) are
	 * R's own business */
	if (len < 14 + 20 || memcmp(f + 6, mac_r, 6) || memcmp(f, mac_s, 6))
		return false;
	et = (uint16_t)(f[12] << 8 | f[13]);
	if (et == 0x0800)
		return true;
	if (et != 0x86dd || len < 14 + 41)
		return false;
	/* ICMPv6 133..143: router/neighbour discovery, MLD */
	return !(f[14 + 6] == 58 && f[14 + 40] >= 130 && f[14 + 40] <= 143);
}

static void drain(struct host *h)
{
	uint8_t buf[REPLY_MAX];

	while (recv(h->sock, buf, sizeof(buf), 0) > 0)
		;
}

/* Send one probe from S to R. */
static int send_probe(struct host *h, const struct dpkt *p, enum bf_family fam,
		      struct replies *out)
{
	uint8_t frame[14 + DPKT_MAX];
	struct sockaddr_ll sll;

	drain(h);
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < p->n; i++) {
		memcpy(frame, mac_r, 6);
		memcpy(frame + 6, mac_s, 6);
		put16(frame + 12,
		      fam == BF_FAMILY_INET4 ? ETH_P_IP : ETH_P_IPV6);
		memcpy(frame + 14, p->data[i], p->len[i]);
		memset(&sll, 0, sizeof(sll));
		sll.sll_family = AF_PACKET;
		sll.sll_ifindex = h->ifindex;
		sll.sll_halen = 6;
		memcpy(sll.sll_addr, mac_r, 6);
		if (sendto(h->sock, frame, 14 + p->len[i], 0,
			   (struct sockaddr *)&sll, sizeof(sll)) < 0)
			return -errno;
	}
	return 0;
}

/* Collect what the two hosts send back within 60 ms (replies take well
 * under a millisecond on a veth). */
static void collect(struct host *h[2], struct replies *out[2])
{
	uint64_t end = dnet_now_ms() + 60;

	while (dnet_now_ms() < end) {
		struct pollfd pf[2] = {
			{ .fd = h[0]->sock, .events = POLLIN },
			{ .fd = h[1]->sock, .events = POLLIN },
		};

		if (poll(pf, 2, 10) < 1)
			continue;
		for (int k = 0; k < 2; k++) {
			uint8_t buf[REPLY_MAX];
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (!(pf[k].revents & POLLIN))
				continue;
			n = recvfrom(h[k]->sock, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
			if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING ||
			    !of_interest(buf, (size_t)n) ||
			    out[k]->n == N_REPLY)
				continue;
			memcpy(out[k]->b[out[k]->n], buf, (size_t)n);
			out[k]->len[out[k]->n++] = (size_t)n;
		}
	}
}

/* Mask the fields that may differ (see the top of the file). */
static void normalize(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14;

	if (ip[-2] == 0x08) {
		size_t ihl = (size_t)(ip[0] & 15) * 4;

		if (ip[9] == 1) { /* ICMP error: IP ID, header checksum */
			memset(ip + 4, 0, 2);
			memset(ip + 10, 0, 2);
		}
		if (ip[9] == 6 && len >= 14 + ihl + 20)
			memset(ip + ihl + 16, 0, 2); /* TCP checksum */
	} else {
		ip[1] &= 0xf0; /* flow label */
		ip[2] = ip[3] = 0;
	}
}

static void hexdump(const char *what, const uint8_t *b, size_t len)
{
	printf("    %s (%zu bytes):", what, len);
	for (size_t i = 0; i < len && i < 96; i++)
		printf("%s%02x", i % 16 ? " " : "\n      ", b[i]);
	printf("\n");
}

struct probe_def {
	const char *name;
	struct dpkt_spec s;
	int n_expect; /* replies iptables is expected to send (sanity) */
	bool bad_csum; /* spoil the transport checksum (TCP or UDP) */
};

static void addrs(struct dpkt_spec *s, enum bf_family fam)
{
	s->family = fam;
	if (fam == BF_FAMILY_INET4) {
		inet_pton(AF_INET, "192.0.2.1", s->saddr);
		inet_pton(AF_INET, "192.0.2.2", s->daddr);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", s->saddr);
		inet_pton(AF_INET6, "2001:db8::2", s->daddr);
	}
}

/* The probes of one family (returns their count). */
static int probes(enum bf_family fam, struct probe_def *d)
{
	bool v6 = fam == BF_FAMILY_INET6;
	int n = 0;

#define P(nm, exp, ...)                                                        \
	do {                                                                   \
		memset(&d[n], 0, sizeof(d[n]));                                \
		d[n].name = nm;                                                \
		d[n].n_expect = exp;                                           \
		addrs(&d[n].s, fam);                                           \
		d[n].s = (struct dpkt_spec){ .family = fam, __VA_ARGS__ };     \
		addrs(&d[n].s, fam);                                           \
		n++;                                                           \
	} while (0)
	P("tcp SYN", 1, .proto = 6, .sport = 40000, .dport = 22,
	  .tcpflags = 0x02, .seq = 1000);
	P("tcp PSH|ACK", 1, .proto = 6, .sport = 40001, .dport = 22,
	  .tcpflags = 0x18, .seq = 5000, .ack = 7000);
	P("tcp FIN|ACK", 1, .proto = 6, .sport = 40002, .dport = 22,
	  .tcpflags = 0x11, .seq = 0xfffffff0u, .ack = 99);
	P("tcp SYN|FIN", 1, .proto = 6, .sport = 40003, .dport = 22,
	  .tcpflags = 0x03, .seq = 0xffffffffu);
	P("tcp SYN doff 8", 1, .proto = 6, .sport = 40006, .dport = 22,
	  .tcpflags = 0x02, .seq = 12345, .tcp_doff = 8);
	P("tcp ACK doff 6", 1, .proto = 6, .sport = 40007, .dport = 22,
	  .tcpflags = 0x10, .seq = 5, .ack = 0x80000000u, .tcp_doff = 6);
	P("tcp RST", 0, .proto = 6, .sport = 40004, .dport = 22,
	  .tcpflags = 0x04, .seq = 1);
	P("tcp RST|ACK", 0, .proto = 6, .sport = 40005, .dport = 22,
	  .tcpflags = 0x14, .seq = 1, .ack = 2);
	P("udp 53", 1, .proto = 17, .sport = 1234, .dport = 53);
	P("udp 53 tos 0x2e", 1, .proto = 17, .sport = 1234, .dport = 53,
	  .tos = 0x2e);
	for (int port = 5001; port <= (v6 ? 5006 : 5007); port++)
		P("udp reject-with", 1, .proto = 17, .sport = 1235,
		  .dport = (uint16_t)port);
	/* the marker payload does not sum to zero: the kernel verifies
	 * unknown protocols too (nf_ip_checksum()) and sends nothing */
	P("proto 253", 0, .proto = 253);
	P("tcp SYN bad checksum", 0, .proto = 6, .sport = 40010, .dport = 22,
	  .tcpflags = 0x02, .seq = 77);
	d[n - 1].bad_csum = true;
	P("udp 53 bad checksum", 0, .proto = 17, .sport = 1236, .dport = 53);
	d[n - 1].bad_csum = true;
	if (!v6) {
		P("icmp echo", 1, .proto = 1, .icmp_type = 8, .icmp_id = 7);
		P("icmp timestamp", 1, .proto = 1, .icmp_type = 13);
		P("icmp dest-unreach", 0, .proto = 1, .icmp_type = 3,
		  .icmp_code = 3);
		P("icmp time-exceeded", 0, .proto = 1, .icmp_type = 11);
		P("icmp type 40", 0, .proto = 1, .icmp_type = 40);
		P("non-first fragment", 0, .proto = 17, .sport = 1, .dport = 53,
		  .frag = DFRAG_LATER);
		P("udp 53 ip options", 1, .proto = 17, .sport = 1234,
		  .dport = 53, .ip_opts = 4);
		P("tcp SYN ip options", 1, .proto = 6, .sport = 40008,
		  .dport = 22, .tcpflags = 0x02, .seq = 9, .ip_opts = 8);
	} else {
		P("icmp6 echo", 1, .proto = 58, .icmp_type = 128, .icmp_id = 7);
		P("icmp6 dest-unreach", 0, .proto = 58, .icmp_type = 1,
		  .icmp_code = 4);
		P("udp 53 after dstopts", 1, .proto = 17, .sport = 1234,
		  .dport = 53, .ext = { 60 }, .n_ext = 1);
		P("tcp SYN after hop-by-hop and dstopts", 1, .proto = 6,
		  .sport = 40009, .dport = 22, .tcpflags = 0x02, .seq = 3,
		  .ext = { 0, 60 }, .n_ext = 2);
	}
#undef P
	return n;
}

/* Compare the two sides' replies to every probe; returns mismatches. */
static int compare(struct host *ref, struct host *bpf, const char *hook,
		   int *n_probes, int *n_replies)
{
	int bad = 0;

	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		struct probe_def d[40];
		int n = probes(f, d);

		for (int i = 0; i < n; i++) {
			struct dpkt p;
			struct replies a, b;
			bool same;

			assert_int_equal(
				dpkt_build(&d[i].s, (uint32_t)i + 1, &p), 0);
			if (d[i].bad_csum)
				p.data[0][p.l4_off +
					  (d[i].s.proto == 6 ? 16 : 6)] ^= 0x40;
			struct host *hs[2] = { ref, bpf };
			struct replies *rs[2] = { &a, &b };

			assert_int_equal(send_probe(ref, &p, f, &a), 0);
			assert_int_equal(send_probe(bpf, &p, f, &b), 0);
			collect(hs, rs);
			for (int k = 0; k < a.n; k++)
				normalize(a.b[k], a.len[k]);
			for (int k = 0; k < b.n; k++)
				normalize(b.b[k], b.len[k]);
			same = a.n == b.n;
			for (int k = 0; same && k < a.n; k++)
				same = a.len[k] == b.len[k] &&
				       !memcmp(a.b[k], b.b[k], a.len[k]);
			(*n_probes)++;
			*n_replies += a.n;
			if (a.n != d[i].n_expect)
				printf("  note: iptables sent %d replies to "
				       "%s %s (expected %d)\n",
				       a.n, bf_family_name(f), d[i].name,
				       d[i].n_expect);
			if (same)
				continue;
			bad++;
			printf("  MISMATCH %s %s at %s: iptables %d replies, "
			       "bpfilter %d\n",
			       bf_family_name(f), d[i].name, hook, a.n, b.n);
			for (int k = 0; k < a.n; k++)
				hexdump("iptables", a.b[k], a.len[k]);
			for (int k = 0; k < b.n; k++)
				hexdump("bpfilter", b.b[k], b.len[k]);
		}
	}
	return bad;
}

static void test_reject_diff(void **state)
{
	struct host ref, bpf;
	int bad, n_probes = 0, n_replies = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v iptables-legacy-restore >/dev/null && "
		   "command -v ip6tables-legacy-restore >/dev/null"))
		skip();
	dnet_init();
	dnet_cleanup_hook = remove_files;
	assert_int_equal(write_file(path4, sizeof(path4), rules4), 0);
	assert_int_equal(write_file(path6, sizeof(path6), rules6), 0);
	assert_int_equal(host_create(&ref, "legacy"), 0);
	assert_int_equal(host_create(&bpf, "bpfilter"), 0);
	assert_int_equal(dnet_sh("ip netns exec %s iptables-legacy-restore %s "
				 "&& ip netns exec %s ip6tables-legacy-restore "
				 "%s",
				 ref.r, path4, ref.r, path6),
			 0);
	assert_int_equal(dnet_sh("ip netns exec %s %s apply --hook tc --iface "
				 "r0 -4 %s -6 %s",
				 bpf.r, bf_verify_bin(), path4, path6),
			 0);
	/* let the addresses' MLD reports and the like go by */
	usleep(300 * 1000);

	bad = compare(&ref, &bpf, "tc ingress", &n_probes, &n_replies);
	printf("  tc ingress: %d probes, %d replies from iptables, %d "
	       "mismatches\n",
	       n_probes, n_replies, bad);

	/* the same at XDP; XDP_TX on a veth needs XDP (or GRO) on the
	 * peer: an empty bpfilter XDP ruleset on s0 */
	assert_int_equal(dnet_sh("ip netns exec %1$s %2$s flush --hook tc "
				 "--iface r0 && ip netns exec %1$s %2$s apply "
				 "--hook xdp --iface r0 -4 %3$s -6 %4$s",
				 bpf.r, bf_verify_bin(), path4, path6),
			 0);
	dnet_ns_mark_bpf(bpf.s);
	assert_int_equal(dnet_sh("printf '*filter\\n:INPUT ACCEPT [0:0]\\n"
				 ":FORWARD ACCEPT [0:0]\\n:OUTPUT ACCEPT [0:0]"
				 "\\nCOMMIT\\n' | ip netns exec %s %s apply "
				 "--hook xdp --iface s0 -",
				 bpf.s, bf_verify_bin()),
			 0);
	n_probes = n_replies = 0;
	bad += compare(&ref, &bpf, "xdp", &n_probes, &n_replies);
	printf("  xdp: %d probes, %d replies from iptables, total mismatches "
	       "%d\n",
	       n_probes, n_replies, bad);

	host_destroy(&bpf);
	host_destroy(&ref);
	remove_files();
	/* the probes must have exercised replies at all */
	assert_true(n_replies > 20);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reject_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
