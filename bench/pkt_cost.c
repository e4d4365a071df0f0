// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkt_cost: CPU time per packet of the receiver's whole input path, filter
 * included, measured from the sender.
 *
 * On a veth pair, a frame sent with AF_PACKET and PACKET_QDISC_BYPASS is
 * received by the peer synchronously, in the sender's context, inside
 * sendmmsg(): the sending thread's CPU time per packet is the cost of the
 * receive path (driver, IP, netfilter hooks with whatever filter is there,
 * the verdict). Run it in the sender namespace; the receiver's filter is
 * what changes between runs.
 *
 * Every frame is the same IPv4 UDP datagram, from SRC to DST port 9.
 *
 * usage: pkt_cost IFNAME DST_MAC SRC_IP DST_IP [-n PACKETS] [-r RUNS]
 * prints the median over RUNS of (thread CPU ns / packets), one number.
 *
 * pkt_cost -C prints the cookie of the current network namespace (which
 * names bpfilter's pin directory, /run/bpfilter/COOKIE: bench/apply.sh
 * finds the programs and maps of a ruleset there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/helper.h"

#define BATCH 64
#define MAX_RUNS 101
#define PAYLOAD 18

struct frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	uint8_t payload[PAYLOAD];
} __attribute__((packed));

static uint16_t csum16(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	unsigned int v[ETH_ALEN];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5]) != ETH_ALEN)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Send n frames in batches; returns the thread CPU ns spent, or 0. */
static uint64_t send_all(int fd, const struct frame *f, long n)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov = {
		.iov_base = (void *)f,
		.iov_len = sizeof(*f),
	};
	uint64_t t0;
	long sent = 0;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = thread_ns();
	while (sent < n) {
		int want = n - sent < BATCH ? (int)(n - sent) : BATCH;
		int r = sendmmsg(fd, msgs, (unsigned int)want, 0);

		if (r < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			perror("pkt_cost: sendmmsg");
			return 0;
		}
		sent += r;
	}
	return thread_ns() - t0;
}

int main(int argc, char **argv)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_ll sll = { 0 };
	double res[MAX_RUNS];
	struct frame f;
	long n = 200000;
	int runs = 5, one = 1, opt;
	unsigned int ifindex;

	while ((opt = getopt(argc, argv, "n:r:C")) != -1) {
		switch (opt) {
		case 'C': {
			uint64_t cookie = 0;
			socklen_t len = sizeof(cookie);

			fd = socket(AF_UNIX, SOCK_DGRAM, 0);
			if (fd < 0 ||
			    getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie,
				       &len)) {
				perror("pkt_cost: SO_NETNS_COOKIE");
				return 1;
			}
			printf("%llu\n", (unsigned long long)cookie);
			return 0;
		}
		case 'n':
			n = strtol(optarg, NULL, 0);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 4 || n < 1 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: pkt_cost IFNAME DST_MAC SRC_IP DST_IP "
				"[-n PACKETS] [-r RUNS]\n");
		return 2;
	}

	memset(&f, 0, sizeof(f));
	ifindex = if_nametoindex(argv[optind]);
	if (!ifindex || parse_mac(argv[optind + 1], f.eth.h_dest) ||
	    inet_pton(AF_INET, argv[optind + 2], &f.ip.saddr) != 1 ||
	    inet_pton(AF_INET, argv[optind + 3], &f.ip.daddr) != 1) {
		fprintf(stderr, "pkt_cost: bad interface, MAC or address\n");
		return 2;
	}
	memset(f.eth.h_source, 0x02, ETH_ALEN);
	f.eth.h_proto = htons(ETH_P_IP);
	f.ip.version = 4;
	f.ip.ihl = 5;
	f.ip.ttl = 64;
	f.ip.protocol = IPPROTO_UDP;
	f.ip.tot_len = htons(sizeof(f) - sizeof(f.eth));
	f.ip.check = csum16(&f.ip, sizeof(f.ip));
	f.udp.source = htons(40000);
	f.udp.dest = htons(9);
	f.udp.len = htons(sizeof(f.udp) + PAYLOAD);
	memcpy(f.payload, "bpfilter-pkt-cost", PAYLOAD - 1);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("pkt_cost: AF_PACKET socket");
		return 1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) <
	    0) {
		perror("pkt_cost: PACKET_QDISC_BYPASS");
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("pkt_cost: bind");
		return 1;
	}

	/* warm up caches, the JIT image, conntrack, neighbours */
	if (!send_all(fd, &f, n / 10 + 1))
		return 1;
	for (int i = 0; i < runs; i++) {
		uint64_t ns = send_all(fd, &f, n);

		if (!ns)
			return 1;
		res[i] = (double)ns / (double)n;
	}
	qsort(res, (size_t)runs, sizeof(res[0]), cmp_double);
	printf("%.1f\n", res[runs / 2]);
	return 0;
}
