// SPDX-License-Identifier: GPL-2.0-only
/*
 * Netfilter programs on real hooks: what BPF_PROG_TEST_RUN cannot show
 * (input and output interface names, the MAC header of a received frame,
 * pkt_type, mark). The test moves itself into a network namespace of its
 * own (gone with the process), sends Ethernet frames into a veth pair with
 * AF_PACKET and UDP datagrams out of it, and reads the rule counters.
 */
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "load/link.h"
#include "prog_util.h"

#define IFA "bfa0" /* we send frames here */
#define IFB "bfb0" /* ... and they arrive here: 192.0.2.2 */
#define SRC_MAC "02:00:00:00:00:aa"

static bool ready;
static const char *why = "not set up";
static uint8_t mac_b[6];

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		why = "not root";
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		why = "unshare(CLONE_NEWNET) failed";
		return 0;
	}
	if (bft_sh("ip link set lo up && "
		   "ip link add " IFA " type veth peer name " IFB " && "
		   "ip link set " IFA " address " SRC_MAC " && "
		   "ip link set " IFA " up && ip link set " IFB " up && "
		   "ip addr add 192.0.2.2/24 dev " IFB " && "
		   "ip neigh add 192.0.2.1 lladdr " SRC_MAC " dev " IFB " && "
		   "echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter && "
		   "echo 0 > /proc/sys/net/ipv4/conf/" IFB "/rp_filter") != 0) {
		why = "cannot set up the veth pair";
		return 0;
	}
	/* (/sys still shows the initial namespace: ask the kernel) */
	{
		struct ifreq ifr;
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFB);
		if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
			if (fd >= 0)
				close(fd);
			why = "cannot read the veth address";
			return 0;
		}
		memcpy(mac_b, ifr.ifr_hwaddr.sa_data, 6);
		close(fd);
	}
	ready = true;
	return 0;
}

/* An IPv4/UDP frame from 192.0.2.1 (SRC_MAC) to 192.0.2.2 (IFB). */
static int send_frame(uint16_t dport)
{
	struct pu_pkt p = pu_build(&(struct pu_spec){ .proto = 17,
						      .src = "192.0.2.1",
						      .dst = "192.0.2.2",
						      .sport = 999,
						      .dport = dport });
	uint8_t frame[2048];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_ifindex = (int)if_nametoindex(IFA),
				   .sll_halen = 6 };
	int fd = socket(AF_PACKET, SOCK_RAW, 0), r;

	if (fd < 0)
		return -1;
	memcpy(frame, mac_b, 6);
	sscanf(SRC_MAC, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &frame[6], &frame[7],
	       &frame[8], &frame[9], &frame[10], &frame[11]);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memcpy(frame + 14, p.b, p.len);
	memcpy(sll.sll_addr, mac_b, 6);
	r = (int)sendto(fd, frame, 14 + p.len, 0, (struct sockaddr *)&sll,
			sizeof(sll));
	close(fd);
	return r > 0 ? 0 : -1;
}

static int send_udp(uint16_t dport)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(dport) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	r = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return r == 1 ? 0 : -1;
}

/* Wait (at most 2 s) for counter idx to reach n packets. */
static uint64_t wait_count(const struct pu_prog *p, uint32_t idx, uint64_t n)
{
	uint64_t got = 0;

	for (int i = 0; i < 200; i++) {
		got = pu_counter(p, idx).packets;
		if (got >= n)
			break;
		usleep(10000);
	}
	return got;
}

static struct bf_match udp_dport(uint16_t port)
{
	return pu_ports(BF_MATCH_DPORT, port, port, false);
}

#define UDP pu_proto(17, false), pu_l4hdr(17, 8, false)

static void skip_unless_ready(void)
{
	BFT_REQUIRE_KERNEL();
	if (!ready) {
		if (bft_require_kernel())
			fail_msg("live netfilter test cannot run: %s", why);
		print_message("SKIP: %s\n", why);
		skip();
	}
}

static void test_input(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b = bf_ruleset_builtin(rs, 0, BF_HOOK_INPUT);
	struct bf_match mac = pu_m(BF_MATCH_MAC, false);
	struct bf_match mark = pu_m(BF_MATCH_MARK, false);
	struct bf_match host = pu_m(BF_MATCH_PKTTYPE, false);
	struct pu_prog p;
	int link;

	(void)state;
	skip_unless_ready();
	sscanf(SRC_MAC, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac.u.mac.addr[0],
	       &mac.u.mac.addr[1], &mac.u.mac.addr[2], &mac.u.mac.addr[3],
	       &mac.u.mac.addr[4], &mac.u.mac.addr[5]);
	mark.u.mark.mask = 0xffffffff;
	host.u.pkttype.pkttype = 0; /* PACKET_HOST */
	/* counted rules (no target), one UDP port each */
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
		pu_iface(BF_MATCH_IIFNAME, IFB, false), UDP, udp_dport(1000));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
		pu_iface(BF_MATCH_IIFNAME, IFB, true), UDP, udp_dport(1000));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
		pu_iface(BF_MATCH_IIFNAME, "bfb+", false),
		pu_iface(BF_MATCH_OIFNAME, "+", false), UDP, udp_dport(1001));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
		pu_iface(BF_MATCH_OIFNAME, IFB, false), UDP, udp_dport(1001));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, mac, UDP, udp_dport(1002));
	mac.u.mac.addr[5] ^= 1;
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, mac, UDP, udp_dport(1002));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, host, UDP, udp_dport(1003));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, mark, UDP, udp_dport(1004));
	PU_RULE(b, BF_VERDICT_DROP, NULL, UDP, udp_dport(1005));
	rs->families = 1;
	assert_int_equal(pu_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT,
				 BF_FAMILY_INET4, NULL, &p),
			 0);
	link = bf_link_attach(BF_ATTACH_NF, p.prog_fd, BF_FAMILY_INET4,
			      BF_HOOK_INPUT, 0);
	assert_true(link >= 0);
	for (uint16_t port = 1000; port <= 1005; port++)
		assert_int_equal(send_frame(port), 0);
	/* the last frame is dropped by the last rule: once it is counted,
	 * all the others went through */
	assert_int_equal(wait_count(&p, b->rules[8].counter_idx, 1), 1);
	assert_int_equal(pu_counter(&p, b->rules[0].counter_idx).packets, 1);
	assert_int_equal(pu_counter(&p, b->rules[1].counter_idx).packets, 0);
	assert_int_equal(pu_counter(&p, b->rules[2].counter_idx).packets, 1);
	assert_int_equal(pu_counter(&p, b->rules[3].counter_idx).packets, 0);
	assert_int_equal(pu_counter(&p, b->rules[4].counter_idx).packets, 1);
	assert_int_equal(pu_counter(&p, b->rules[5].counter_idx).packets, 0);
	assert_int_equal(pu_counter(&p, b->rules[6].counter_idx).packets, 1);
	assert_int_equal(pu_counter(&p, b->rules[7].counter_idx).packets, 1);
	/* bytes: the IPv4 packet (20 + 8) */
	assert_int_equal(pu_counter(&p, b->rules[0].counter_idx).bytes, 28);
	close(link);
	pu_close(&p);
	bf_ruleset_free(&rs);
}

static void test_output(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b = bf_ruleset_builtin(rs, 0, BF_HOOK_OUTPUT);
	struct pu_prog p;
	int link;

	(void)state;
	skip_unless_ready();
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
		pu_iface(BF_MATCH_OIFNAME, IFB, false),
		pu_iface(BF_MATCH_IIFNAME, "+", false), UDP, udp_dport(2000));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
		pu_iface(BF_MATCH_OIFNAME, IFA, false), UDP, udp_dport(2000));
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL,
		pu_iface(BF_MATCH_IIFNAME, IFB, false), UDP, udp_dport(2000));
	PU_RULE(b, BF_VERDICT_DROP, NULL, UDP, udp_dport(2000));
	rs->families = 1;
	assert_int_equal(pu_load(rs, BF_ATTACH_NF, BF_HOOK_OUTPUT,
				 BF_FAMILY_INET4, NULL, &p),
			 0);
	link = bf_link_attach(BF_ATTACH_NF, p.prog_fd, BF_FAMILY_INET4,
			      BF_HOOK_OUTPUT, 0);
	assert_true(link >= 0);
	/* dropped at OUTPUT: sendto() reports EPERM */
	send_udp(2000);
	assert_int_equal(wait_count(&p, b->rules[3].counter_idx, 1), 1);
	assert_int_equal(pu_counter(&p, b->rules[0].counter_idx).packets, 1);
	assert_int_equal(pu_counter(&p, b->rules[1].counter_idx).packets, 0);
	assert_int_equal(pu_counter(&p, b->rules[2].counter_idx).packets, 0);
	close(link);
	pu_close(&p);
	bf_ruleset_free(&rs);
}

/* Conntrack at a real hook: state and connection mark (an nftables chain
 * at mangle priority sets the mark before our filter runs). */
static void test_output_ct(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *b = bf_ruleset_builtin(rs, 0, BF_HOOK_OUTPUT);
	struct bf_match cm = pu_m(BF_MATCH_CONNMARK, false);
	struct bf_match ct = pu_m(BF_MATCH_CTSTATE, false);
	struct pu_prog p;
	int link;

	(void)state;
	skip_unless_ready();
	assert_int_equal(bft_sh("nft add table inet bft_live && "
				"nft 'add chain inet bft_live m { type filter "
				"hook output priority -150; }' && "
				"nft add rule inet bft_live m udp dport 2001 "
				"ct mark set 0x142"),
			 0);
	cm.u.mark.mask = 0xff;
	cm.u.mark.value = 0x42;
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, cm, UDP, udp_dport(2001));
	cm.u.mark.value = 0x43;
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, cm, UDP, udp_dport(2001));
	ct.u.ctstate.mask = BF_CTSTATE_NEW;
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, ct, UDP, udp_dport(2001));
	ct.u.ctstate.mask = BF_CTSTATE_ESTABLISHED | BF_CTSTATE_INVALID;
	PU_RULE(b, BF_VERDICT_CONTINUE, NULL, ct, UDP, udp_dport(2001));
	PU_RULE(b, BF_VERDICT_DROP, NULL, UDP, udp_dport(2001));
	rs->families = 1;
	assert_int_equal(pu_load(rs, BF_ATTACH_NF, BF_HOOK_OUTPUT,
				 BF_FAMILY_INET4, NULL, &p),
			 0);
	link = bf_link_attach(BF_ATTACH_NF, p.prog_fd, BF_FAMILY_INET4,
			      BF_HOOK_OUTPUT, 0);
	assert_true(link >= 0);
	send_udp(2001);
	assert_int_equal(wait_count(&p, b->rules[4].counter_idx, 1), 1);
	assert_int_equal(pu_counter(&p, b->rules[0].counter_idx).packets, 1);
	assert_int_equal(pu_counter(&p, b->rules[1].counter_idx).packets, 0);
	assert_int_equal(pu_counter(&p, b->rules[2].counter_idx).packets, 1);
	assert_int_equal(pu_counter(&p, b->rules[3].counter_idx).packets, 0);
	close(link);
	pu_close(&p);
	bf_ruleset_free(&rs);
	bft_sh("nft delete table inet bft_live");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_output_ct),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
