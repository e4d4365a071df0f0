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
 *                 [-B IFNAME0 DST_MAC0] [-b BATCH] [-c CPU]
 * prints the median over RUNS of (thread CPU ns / packets), one number.
 *
 * Paired mode (-B): a second interface leads to a baseline receiver (the
 * same tool with an empty ruleset). Batches of BATCH frames (default 64,
 * one sendmmsg() each) go to IFNAME and to IFNAME0 in turn (ABBA order, so
 * neither always comes first), each batch timed on its own. Per run: the
 * median batch cost per packet of each side and the median of the paired
 * differences (IFNAME's batch minus the IFNAME0 batch next to it). Both
 * sides are measured in the same milliseconds, so load, frequency and cache
 * drift hit both; a batch hit by an interrupt, a tick or another softirq
 * only moves the median by one rank. Prints one line
 *   COST BASE DELTA DELTA_MIN DELTA_MAX
 * COST, BASE, DELTA: medians over RUNS; DELTA_MIN, DELTA_MAX: the smallest
 * and largest per-run DELTA (the spread between runs).
 *
 * -c CPU pins the sending thread (and so the receive path it runs) to one
 * CPU: no migration between runs and batches.
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
#include <sched.h>
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
#define MAX_BATCH 1024
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

/* Send exactly n frames (n <= MAX_BATCH) on fd; returns the thread CPU ns
 * spent, or 0 on error. */
static uint64_t send_batch(int fd, struct mmsghdr *msgs, int n)
{
	uint64_t t0 = thread_ns();
	int sent = 0;

	while (sent < n) {
		int r = sendmmsg(fd, msgs + sent, (unsigned int)(n - sent), 0);

		if (r < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			perror("pkt_cost: sendmmsg");
			return 0;
		}
		sent += r;
	}
	return thread_ns() - t0 ?: 1;
}

static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Paired mode: batches to fd (A, the filter) and fd0 (B, the baseline) in
 * ABBA order; per run the median per-packet cost of each side and the
 * median of the per-pair differences A - B. */
static int paired(int fd, const struct frame *f, int fd0,
		  const struct frame *f0, long n, int runs, int batch)
{
	struct iovec iov = { .iov_base = (void *)f, .iov_len = sizeof(*f) };
	struct iovec iov0 = { .iov_base = (void *)f0, .iov_len = sizeof(*f0) };
	static struct mmsghdr msgs[MAX_BATCH], msgs0[MAX_BATCH];
	double ra[MAX_RUNS], rb[MAX_RUNS], rd[MAX_RUNS];
	long pairs = n / batch < 3 ? 3 : n / batch;
	_cleanup_free_ double *a = calloc((size_t)pairs, sizeof(*a));
	_cleanup_free_ double *b = calloc((size_t)pairs, sizeof(*b));
	_cleanup_free_ double *d = calloc((size_t)pairs, sizeof(*d));

	if (!a || !b || !d)
		return -ENOMEM;
	for (int i = 0; i < batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs0[i].msg_hdr.msg_iov = &iov0;
		msgs0[i].msg_hdr.msg_iovlen = 1;
	}
	/* warm up both paths */
	for (long i = 0; i < pairs / 10 + 1; i++) {
		if (!send_batch(fd, msgs, batch) ||
		    !send_batch(fd0, msgs0, batch))
			return -EIO;
	}
	for (int r = 0; r < runs; r++) {
		for (long i = 0; i < pairs; i++) {
			uint64_t ta, tb;

			if (i % 2) {
				tb = send_batch(fd0, msgs0, batch);
				ta = send_batch(fd, msgs, batch);
			} else {
				ta = send_batch(fd, msgs, batch);
				tb = send_batch(fd0, msgs0, batch);
			}
			if (!ta || !tb)
				return -EIO;
			a[i] = (double)ta / batch;
			b[i] = (double)tb / batch;
			d[i] = a[i] - b[i];
		}
		ra[r] = median_of(a, (size_t)pairs);
		rb[r] = median_of(b, (size_t)pairs);
		rd[r] = median_of(d, (size_t)pairs);
	}
	qsort(rd, (size_t)runs, sizeof(rd[0]), cmp_double);
	printf("%.1f %.1f %.1f %.1f %.1f\n", median_of(ra, (size_t)runs),
	       median_of(rb, (size_t)runs), rd[runs / 2], rd[0], rd[runs - 1]);
	return 0;
}

/* An AF_PACKET socket on IFNAME sending past the qdisc, or -1. */
static int open_tx(const char *ifname)
{
	struct sockaddr_ll sll = { 0 };
	unsigned int ifindex = if_nametoindex(ifname);
	int one = 1;
	int fd;

	if (!ifindex) {
		fprintf(stderr, "pkt_cost: no interface %s\n", ifname);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("pkt_cost: AF_PACKET socket");
		return -1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) <
	    0) {
		perror("pkt_cost: PACKET_QDISC_BYPASS");
		close(fd);
		return -1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("pkt_cost: bind");
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int fd0 = -1;
	const char *if0 = NULL, *mac0 = NULL;
	double res[MAX_RUNS];
	struct frame f, f0;
	long n = 200000;
	int runs = 5, batch = BATCH, cpu = -1, opt;

	while ((opt = getopt(argc, argv, "n:r:B:b:c:C")) != -1) {
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
		case 'B':
			/* the MAC follows as the next argument */
			if (optind >= argc) {
				fprintf(stderr,
					"pkt_cost: -B IFNAME0 DST_MAC0\n");
				return 2;
			}
			if0 = optarg;
			mac0 = argv[optind++];
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 4 || n < 1 || runs < 1 || runs > MAX_RUNS ||
	    batch < 1 || batch > MAX_BATCH) {
		fprintf(stderr, "usage: pkt_cost IFNAME DST_MAC SRC_IP DST_IP "
				"[-n PACKETS] [-r RUNS] [-B IFNAME0 DST_MAC0] "
				"[-b BATCH] [-c CPU]\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("pkt_cost: sched_setaffinity");
			return 1;
		}
	}

	memset(&f, 0, sizeof(f));
	if (parse_mac(argv[optind + 1], f.eth.h_dest) ||
	    inet_pton(AF_INET, argv[optind + 2], &f.ip.saddr) != 1 ||
	    inet_pton(AF_INET, argv[optind + 3], &f.ip.daddr) != 1) {
		fprintf(stderr, "pkt_cost: bad MAC or address\n");
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

	fd = open_tx(argv[optind]);
	if (fd < 0)
		return 1;

	if (if0) {
		int r;

		f0 = f;
		if (parse_mac(mac0, f0.eth.h_dest)) {
			fprintf(stderr, "pkt_cost: bad MAC %s\n", mac0);
			return 2;
		}
		fd0 = open_tx(if0);
		if (fd0 < 0)
			return 1;
		r = paired(fd, &f, fd0, &f0, n, runs, batch);
		if (r == -ENOMEM)
			fprintf(stderr, "pkt_cost: out of memory\n");
		return r ? 1 : 0;
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
