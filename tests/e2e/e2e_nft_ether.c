// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft's `ether type`, `ether daddr` and `vlan id|pcp|dei|type` on VLAN-tagged
 * and untagged frames
 * at netdev ingress (tc), end to end against the kernel's nftables: the
 * same file is loaded with `nft -f` and with `bpfilter apply`, the same
 * raw frames (AF_PACKET) are sent into the device of each, and every
 * rule's packet counter must be the same.
 *
 * A veth takes an 802.1Q tag out of the frame before tc and netdev
 * ingress run (skb_vlan_untag() in __netif_receive_skb_core()), and
 * nft_payload_eval() puts it back virtually (nft_payload_copy_vlan()):
 * `ether type` reads 0x8100 on a tagged frame (cgen/m_ether.c reads
 * __sk_buff.vlan_present / vlan_proto there) and `vlan id` the tag
 * (nft's dependency `ether type 8021q`: not an 802.1ad one), `vlan type`
 * the type after it (skb->protocol, __sk_buff.protocol). Only frames
 * carrying IPv4
 * are sent: bpfilter's tc programs evaluate IP frames (doc/front-nft.md).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/helper.h"

#define N_SEND 3

static const char ruleset[] =
	"table netdev tv {\n"
	"\tchain in0 {\n"
	"\t\ttype filter hook ingress device \"eth0\" priority 0; policy accept;\n"
	"\t\tether type vlan udp dport 9001 counter drop\n"
	"\t\tether type ip udp dport 9002 counter drop\n"
	"\t\tether type != vlan udp dport 9003 counter drop\n"
	"\t\tether daddr 02:00:00:00:0b:01 udp dport 9004 counter drop\n"
	"\t\tether daddr != 02:00:00:00:0b:01 udp dport 9005 counter drop\n"
	"\t\tether type 0x88a8 udp dport 9006 counter drop\n"
	"\t\tvlan id 10 udp dport 9007 counter drop\n"
	"\t\tvlan id != 10 udp dport 9008 counter drop\n"
	"\t\tvlan pcp 5 udp dport 9009 counter drop\n"
	"\t\tvlan id 4000-4095 udp dport 9010 counter drop\n"
	"\t\tvlan dei 1 udp dport 9011 counter drop\n"
	"\t\tvlan dei != 1 vlan pcp 0 udp dport 9012 counter drop\n"
	"\t\tvlan type ip udp dport 9013 counter drop\n"
	"\t\tvlan type 0x0800-0x0900 vlan id 10 udp dport 9014 counter drop\n"
	"\t\tvlan type != arp udp dport 9015 counter drop\n"
	"\t}\n"
	"}\n";

static const uint16_t ports[] = { 9001, 9002, 9003, 9004, 9005,
				  9006, 9007, 9008, 9009, 9010,
				  9011, 9012, 9013, 9014, 9015 };

struct frame {
	uint16_t tpid; /* 0: untagged */
	uint16_t tci;
	uint8_t dst[6];
};

static const struct frame frames[] = {
	{ 0, 0, { 2, 0, 0, 0, 0x0b, 1 } },
	{ 0x8100, 10, { 2, 0, 0, 0, 0x0b, 1 } },
	{ 0x8100, (5 << 13) | 4094, { 2, 0, 0, 0, 0x0b, 1 } },
	{ 0x88a8, 20, { 2, 0, 0, 0, 0x0b, 1 } },
	{ 0, 0, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ 0x8100, 11, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ 0x8100, (1 << 12) | 10, { 2, 0, 0, 0, 0x0b, 1 } },
};

static uint16_t csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static size_t build(uint8_t *f, const struct frame *fr, uint16_t dport)
{
	static const uint8_t src[6] = { 2, 0, 0, 0, 0x0a, 1 };
	size_t o = 0;
	uint8_t *ip;

	memcpy(f, fr->dst, 6);
	memcpy(f + 6, src, 6);
	o = 12;
	if (fr->tpid) {
		f[o++] = (uint8_t)(fr->tpid >> 8);
		f[o++] = (uint8_t)fr->tpid;
		f[o++] = (uint8_t)(fr->tci >> 8);
		f[o++] = (uint8_t)fr->tci;
	}
	f[o++] = 0x08;
	f[o++] = 0x00;
	ip = f + o;
	memset(ip, 0, 32);
	ip[0] = 0x45;
	ip[3] = 32; /* tot_len: 20 + 8 + 4 */
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, "192.0.2.1", ip + 12);
	inet_pton(AF_INET, "192.0.2.2", ip + 16);
	ip[10] = (uint8_t)(csum(ip, 20) >> 8);
	ip[11] = (uint8_t)csum(ip, 20);
	ip[20] = 0x04;
	ip[21] = 0xd2; /* sport 1234 */
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	ip[25] = 12; /* udp length, checksum 0 */
	return o + 32;
}

/* Send every frame for every port, N_SEND times, from va in ns. */
static int send_all(const char *ns)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char path[128];
		struct sockaddr_ll sll = { 0 };
		uint8_t f[128];
		int fd, s;

		snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(2);
		s = socket(AF_PACKET, SOCK_RAW, 0);
		if (s < 0)
			_exit(3);
		sll.sll_family = AF_PACKET;
		sll.sll_ifindex = (int)if_nametoindex("va");
		sll.sll_halen = 6;
		for (size_t i = 0; i < ARRAY_SIZE(frames); i++) {
			for (size_t p = 0; p < ARRAY_SIZE(ports); p++) {
				size_t n = build(f, &frames[i], ports[p]);

				memcpy(sll.sll_addr, f, 6);
				for (int k = 0; k < N_SEND; k++)
					if (sendto(s, f, n, 0,
						   (struct sockaddr *)&sll,
						   sizeof(sll)) != (ssize_t)n)
						_exit(4);
			}
		}
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) ? -1 : 0;
}

/* nft list ruleset: the packets counted by the rule of `port` */
static long count_after(const char *text, uint16_t port, const char *fmt)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), fmt, port);
	p = strstr(text, pat);
	if (!p)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

/* bpfilter save -c: "[P:B] -A in0 ... --dport PORT ..." */
static long bf_count(const char *text, uint16_t port)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "--dport %u ", port);
	p = strstr(text, pat);
	if (!p)
		return -1;
	while (p > text && p[-1] != '\n')
		p--;
	if (*p != '[')
		return -1;
	return strtol(p + 1, NULL, 10);
}

static void test_ether_vlan(void **state)
{
	char a[32], b[32], file[64];
	_cleanup_free_ char *nft_out = NULL, *bf_out = NULL;
	long want[ARRAY_SIZE(ports)], got[ARRAY_SIZE(ports)];
	bool same = true;
	FILE *f;

	(void)state;
	BFT_REQUIRE_KERNEL();
	bft_unique_name(a, sizeof(a), "bfea");
	bft_unique_name(b, sizeof(b), "bfeb");
	snprintf(file, sizeof(file), "/tmp/%s.nft", b);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(ruleset, f);
	fclose(f);
	if (bft_sh("ip netns add %s && ip netns add %s && "
		   "ip link add va netns %s address 02:00:00:00:0a:01 type veth "
		   "peer name eth0 netns %s address 02:00:00:00:0b:01 && "
		   "ip -n %s link set va up && ip -n %s link set eth0 up && "
		   "ip -n %s link set lo up",
		   a, b, a, b, a, b, b))
		goto fail;
	/* the reference */
	if (bft_sh("ip netns exec %s nft -f %s", b, file) || send_all(a) ||
	    bft_sh_out(&nft_out, "sleep 0.2; ip netns exec %s nft list ruleset",
		       b))
		goto fail;
	for (size_t p = 0; p < ARRAY_SIZE(ports); p++)
		want[p] = count_after(nft_out, ports[p],
				      "dport %u counter packets ");
	/* bpfilter, the same device, the kernel's table gone */
	if (bft_sh("ip netns exec %s nft flush ruleset", b) ||
	    bft_sh("ip netns exec %s %s apply --format nft %s", b,
		   bft_bpfilter_bin(), file) ||
	    send_all(a) ||
	    bft_sh_out(&bf_out, "sleep 0.2; ip netns exec %s %s save -c", b,
		       bft_bpfilter_bin()))
		goto fail;
	for (size_t p = 0; p < ARRAY_SIZE(ports); p++) {
		got[p] = bf_count(bf_out, ports[p]);
		same &= want[p] >= 0 && got[p] == want[p];
	}
	bft_sh("ip netns exec %s %s flush", b, bft_bpfilter_bin());
	bft_sh("ip netns del %s; ip netns del %s; rm -f %s", a, b, file);
	for (size_t p = 0; p < ARRAY_SIZE(ports); p++)
		print_message("dport %u: nftables %ld, bpfilter %ld\n",
			      ports[p], want[p], got[p]);
	if (!same)
		fail_msg("counters differ\nnft:\n%s\nbpfilter:\n%s", nft_out,
			 bf_out);
	/* not a test that cannot fail: tagged and untagged frames split */
	for (size_t p = 0; p < ARRAY_SIZE(ports); p++)
		assert_true(want[p] > 0);
	return;
fail:
	bft_sh("ip netns exec %s %s flush 2>/dev/null", b, bft_bpfilter_bin());
	bft_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; "
	       "rm -f %s",
	       a, b, file);
	fail_msg("setup or probe failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ether_vlan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
