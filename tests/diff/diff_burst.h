/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differential timing tests (diff_rate.c, diff_nftrate.c): UDP probes
 * sent at controlled times to the kernel's side and bpfilter's side at
 * once, each probe's verdict being whether a raw socket in R saw it
 * (LOCAL_IN accepted it).
 */
#ifndef BF_TESTS_DIFF_BURST_H
#define BF_TESTS_DIFF_BURST_H

#include <poll.h>

#include "bftest.h"
#include "diff_net.h"
#include "diff_pkt.h"

#define DRUN_MAX_PROBES 2048

struct drun {
	struct dside sd[2]; /* the kernel's side, bpfilter */
	uint32_t next_id;
	/* per probe id: seen by side 0 / 1 */
	bool seen[2][DRUN_MAX_PROBES];
	uint16_t dport[DRUN_MAX_PROBES];
	uint16_t marker_off, marker_off6; /* as the raw sockets see them */
	uint32_t len4; /* IP length of the IPv4 probes */
};

/* Write `text` to a new file at path (a template with %d for the pid,
 * filled into path[size]). */
static inline void drun_write_rules(char *path, size_t size, const char *tmpl,
				    const char *text)
{
	size_t len = strlen(text);
	int fd;

	snprintf(path, size, tmpl, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_true(write(fd, text, len) == (ssize_t)len);
	close(fd);
}

/* Send one UDP probe src -> dst:dport to both sides; returns its id. */
static inline uint32_t drun_send(struct drun *r, const char *src,
				 const char *dst, uint16_t dport)
{
	bool v6 = strchr(src, ':') != NULL;
	struct dpkt_spec s;
	struct dpkt p;
	uint32_t id = ++r->next_id;

	assert_true(id < DRUN_MAX_PROBES);
	memset(&s, 0, sizeof(s));
	s.family = v6 ? BF_FAMILY_INET6 : BF_FAMILY_INET4;
	inet_pton(v6 ? AF_INET6 : AF_INET, src, s.saddr);
	inet_pton(v6 ? AF_INET6 : AF_INET, dst, s.daddr);
	s.proto = IPPROTO_UDP;
	s.sport = 40000;
	s.dport = dport;
	s.ttl = 64;
	assert_int_equal(dpkt_build(&s, id, &p), 0);
	/* IPv6 raw sockets give the datagram from the transport header */
	if (v6) {
		r->marker_off6 = (uint16_t)(p.marker_off - p.l4_off);
	} else {
		r->marker_off = p.marker_off;
		r->len4 = (uint32_t)p.len[0];
	}
	r->dport[id] = dport;
	for (int i = 0; i < 2; i++)
		assert_int_equal(dnet_send_in(&r->sd[i], 0, s.family, p.data[0],
					      p.len[0]),
				 0);
	return id;
}

/* Read what the raw sockets of R saw (waiting `ms` for stragglers). */
static inline void drun_collect(struct drun *r, int ms)
{
	uint64_t end = dnet_now_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd pf[2 * DNET_MAX_RAW];
		int owner[2 * DNET_MAX_RAW], n_fd = 0, n;

		for (int i = 0; i < 2; i++)
			for (int j = 0; j < r->sd[i].n_raw; j++) {
				pf[n_fd].fd = r->sd[i].raw_in[j];
				pf[n_fd].events = POLLIN;
				owner[n_fd++] = i * DNET_MAX_RAW + j;
			}
		n = poll(pf, (nfds_t)n_fd, 20);
		if (n <= 0 && dnet_now_ms() >= end)
			break;
		for (int f = 0; f < n_fd; f++) {
			int i = owner[f] / DNET_MAX_RAW,
			    j = owner[f] % DNET_MAX_RAW;
			bool v6 = r->sd[i].raw_family[j] == BF_FAMILY_INET6;
			size_t off = v6 ? r->marker_off6 : r->marker_off;
			uint8_t buf[2048];
			ssize_t len;

			if (!(pf[f].revents & POLLIN))
				continue;
			while ((len = recv(pf[f].fd, buf, sizeof(buf),
					   MSG_DONTWAIT)) > 0) {
				uint32_t id;

				if (!off || (size_t)len < off + 8 ||
				    get32(buf + off) != DPKT_MAGIC)
					continue;
				id = get32(buf + off + 4);
				if (id < DRUN_MAX_PROBES)
					r->seen[i][id] = true;
			}
		}
	}
}

/* Put both sides of R in force: the kernel's side (named `kernel`, e.g.
 * "legacy" or "nft") loaded by the shell command `kcmd` run in its
 * namespace R, bpfilter's side by `bpfilter <bfargs>` (each a format
 * whose %1$s is the namespace; the rest of the arguments fill the
 * others); then the raw UDP sockets of both families on each side, and
 * a drain of whatever arrived before the probes. */
static inline void drun_open(struct drun *r, struct dtopo *t,
			     const char *kernel, const char *kcmd,
			     const char *bfargs)
{
	assert_int_equal(dnet_side_create(&r->sd[0], kernel, t, false), 0);
	assert_int_equal(dnet_side_create(&r->sd[1], "bpfilter", t, false), 0);
	assert_int_equal(
		dnet_sh("ip netns exec %s sh -c '%s'", r->sd[0].ns_r, kcmd), 0);
	assert_int_equal(dnet_sh("ip netns exec %s %s %s", r->sd[1].ns_r,
				 bf_verify_bin(), bfargs),
			 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dnet_raw_in(&r->sd[i], BF_FAMILY_INET4,
					     IPPROTO_UDP),
				 0);
		assert_int_equal(dnet_raw_in(&r->sd[i], BF_FAMILY_INET6,
					     IPPROTO_UDP),
				 0);
		assert_int_equal(dnet_side_wait(&r->sd[i], t), 0);
	}
	usleep(200 * 1000);
	drun_collect(r, 50); /* nothing of ours yet: drain */
}

#define DRUN_NB 4 /* bursts per series (drun_bursts()) */

/* DRUN_NB bursts of n probes to dport, gap_ms[b] before burst b, from
 * src4 to dst4 (every probe, or the even ones when src6 is set: the odd
 * ones go from src6 to dst6); pass[side][burst] = how many each side
 * let through. */
static inline void drun_bursts(struct drun *r, const int gap_ms[DRUN_NB],
			       const char *src4, const char *dst4,
			       const char *src6, const char *dst6,
			       uint16_t dport, int n, int pass[2][DRUN_NB])
{
	uint32_t first[DRUN_NB], last[DRUN_NB];

	for (int b = 0; b < DRUN_NB; b++) {
		usleep((useconds_t)gap_ms[b] * 1000);
		first[b] = r->next_id + 1;
		for (int i = 0; i < n; i++) {
			if (src6 && (i & 1))
				drun_send(r, src6, dst6, dport);
			else
				drun_send(r, src4, dst4, dport);
		}
		last[b] = r->next_id;
	}
	drun_collect(r, 100);
	for (int b = 0; b < DRUN_NB; b++) {
		pass[0][b] = pass[1][b] = 0;
		for (uint32_t id = first[b]; id <= last[b]; id++)
			for (int s = 0; s < 2; s++)
				pass[s][b] += r->seen[s][id];
	}
}

/* Compare the counts of drun_bursts(): the first burst (a full bucket)
 * exactly, later ones (refilled by the gap before them) within 1, the
 * totals within 2. Prints them; returns the mismatches. */
static inline int drun_compare(const int gap_ms[DRUN_NB], const char *what,
			       int n, int pass[2][DRUN_NB])
{
	int bad = 0, tot[2] = { 0, 0 };

	for (int b = 0; b < DRUN_NB; b++) {
		printf("  %s burst %d (after %d ms): kernel %d, bpfilter %d "
		       "of %d\n",
		       what, b, gap_ms[b], pass[0][b], pass[1][b], n);
		for (int s = 0; s < 2; s++)
			tot[s] += pass[s][b];
		if (b == 0 ? pass[0][b] != pass[1][b] :
			     abs(pass[0][b] - pass[1][b]) > 1) {
			printf("  MISMATCH %s burst %d\n", what, b);
			bad++;
		}
	}
	if (abs(tot[0] - tot[1]) > 2) {
		printf("  MISMATCH %s totals: %d vs %d\n", what, tot[0],
		       tot[1]);
		bad++;
	}
	return bad;
}

/* The rules file of a test that puts one nft ruleset on both sides
 * (drun_open_nft()), removed at exit and on failure. */
static __attribute__((unused)) char drun_path[64];

static inline void drun_remove_file(void)
{
	if (drun_path[0])
		unlink(drun_path);
}

/* Both sides of R with the nft ruleset `rules` (written to a file named
 * after the template `tmpl`, %d the pid): the kernel's nftables by `nft
 * -f`, bpfilter by `apply --format nft`, one interface "eth0". */
static inline void drun_open_nft(struct drun *r, const char *tmpl,
				 const char *rules)
{
	struct dtopo t = { .n_if = 1 };
	char kcmd[128], bfargs[128];

	dnet_init();
	dnet_cleanup_hook = drun_remove_file;
	snprintf(t.name[0], sizeof(t.name[0]), "eth0");
	drun_write_rules(drun_path, sizeof(drun_path), tmpl, rules);
	snprintf(kcmd, sizeof(kcmd), "nft -f %s", drun_path);
	snprintf(bfargs, sizeof(bfargs), "apply --format nft %s", drun_path);
	drun_open(r, &t, "nft", kcmd, bfargs);
}

/* The end of a test of drun_open_nft(): both sides and the file gone. */
static inline void drun_close_nft(struct drun *r)
{
	dnet_side_destroy(&r->sd[1]);
	dnet_side_destroy(&r->sd[0]);
	drun_remove_file();
}

#endif /* BF_TESTS_DIFF_BURST_H */
