// SPDX-License-Identifier: GPL-2.0-only
/*
 * cls_cost: how the program cost per packet grows with the number of rules,
 * folded (src/lib/opt/fold.c) and linear, for two ruleset shapes, measured
 * in the kernel with BPF_PROG_TEST_RUN.
 *
 * Shapes (K rules in INPUT, policy ACCEPT):
 *   a  "-s 198.18.X.Y/32 -j DROP", distinct sources.
 *   b  shaped like the bpf-iptables "enterprise public servers" ruleset
 *      (corpus: polito_enterprise_1000.iptables-cmds), scaled to K: 2.5 %
 *      "-m conntrack --ctstate NEW -s CLIENT -j ACCEPT" (at tc and XDP,
 *      where the checker refuses conntrack state: "-s CLIENT -j ACCEPT"),
 *      then servers
 *      (40 ports each) "-d SERVER -p udp --dport P -j ACCEPT"; after every
 *      1,000 rules, 10 general rules that mix prefixes of lengths 8 to 28,
 *      TCP with port ranges and TCP flags, UDP source port ranges and
 *      negations, with DROP targets (1 % of the rules, never folded; the
 *      bit-vector search of doc/classification.md classifies them).
 *   c  general rules only ("5-tuple" rules of a real enterprise policy,
 *      made general): sources in 10/8 under prefixes of lengths 8 to 32 or
 *      "! -s 192.0.2.0/24", destinations in 198.18/15 under prefixes of
 *      16 to 32, TCP with destination port ranges and flags, UDP with
 *      source port ranges, ICMP, ACCEPT and DROP mixed; none matches the
 *      probes but the last rule (UDP to 198.19.0.1, ports 50-60).
 * Probes (UDP, IPv4):
 *   last  a packet that only the last rule matches (a: DROP, b: ACCEPT
 *         from the last server rule, the rule counter checked);
 *   none  a packet no rule matches (policy ACCEPT, policy counter checked).
 * The kernel reports the mean of `repeat` runs; we print the median of
 * `runs` such means. Verdicts and counters are checked on every run.
 *
 * Output, one CSV line per (shape, attach, mode, K, probe):
 *   shape,attach,mode,rules,case,ns_per_pkt,insns,compile_ms,load_ms,memlock_kb,folded
 * mode is "fold" (fold pass and bit-vector search, the default), "nolbvs"
 * (-B: fold pass only) or "linear" (-L: neither); a program the kernel refuses (linear code
 * beyond the verifier's budget) gives ns_per_pkt "nan".
 *
 * usage: cls_cost [-s a|b|c] [-a nf|tc|xdp] [-L|-B] [-r REPEAT] [-n RUNS] [-H]
 *                 [-D FILE] K...
 * -D FILE writes the instructions of the (last) program compiled to FILE.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "cgen/cgen.h"
#include "check/check.h"
#include "compat.h"
#include "opt/lbvs.h"
#include "opt/opt.h"

#define MAX_RUNS 101
#define PORTS_PER_SERVER 40

static int verbose;
static const char *dump_path; /* -D FILE: the program's instructions */

static void log_cb(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if (level <= BF_LOG_WARN || verbose)
		fprintf(stderr, "cls_cost: %s\n", msg);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 198.18.0.0/15 + i (RFC 2544 benchmarking range), network order */
static void addr_of(uint32_t base, uint32_t i, uint8_t out[4])
{
	uint32_t a = base + i;

	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
}

#define BASE_A (198u << 24 | 18u << 16) /* 198.18.0.0 */
#define BASE_CLIENT (198u << 24 | 18u << 16 | 1) /* clients 198.18.0.1.. */
#define BASE_SERVER (198u << 24 | 19u << 16) /* servers 198.19.0.0.. */

static struct bf_match m_addr(enum bf_match_type t, uint32_t base, uint32_t i,
			      int plen, bool neg)
{
	struct bf_match m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	m.neg = neg;
	addr_of(base, i, m.u.addr.addr);
	for (int b = 0; b < 4; b++) {
		int bits = plen - 8 * b;

		m.u.addr.mask[b] = bits >= 8 ? 0xff :
				   bits <= 0 ? 0 :
					       (uint8_t)(0xff << (8 - bits));
		m.u.addr.addr[b] &= m.u.addr.mask[b];
	}
	return m;
}

static struct bf_match m_simple(enum bf_match_type t)
{
	struct bf_match m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	return m;
}

static struct bf_match m_proto(uint8_t p)
{
	struct bf_match m = m_simple(BF_MATCH_L4PROTO);

	m.u.proto = p;
	return m;
}

/* the transport header check of -p tcp / -p udp (as the front end
 * builds it) */
static struct bf_match m_l4(uint8_t p)
{
	struct bf_match m = m_simple(BF_MATCH_L4HDR);

	m.u.l4hdr.proto = p;
	m.u.l4hdr.min_len = p == 6 ? 20 : 8;
	m.u.l4hdr.hotdrop_frag1 = p == 6;
	return m;
}

static struct bf_match m_ports(enum bf_match_type t, uint16_t lo, uint16_t hi,
			       bool neg)
{
	struct bf_match m = m_simple(t);

	m.neg = neg;
	m.u.ports.lo = lo;
	m.u.ports.hi = hi;
	return m;
}

static int add(struct bf_chain *c, enum bf_verdict_kind v,
	       const struct bf_match *ms, size_t n)
{
	struct bf_rule r;
	int e = 0;

	memset(&r, 0, sizeof(r));
	r.family = BF_FAMILY_INET4;
	r.verdict.kind = v;
	r.line = (int)c->n_rules + 1;
	for (size_t i = 0; i < n && !e; i++)
		e = bf_rule_add_match(&r, &ms[i]);
	if (!e)
		e = bf_chain_add_rule(c, &r);
	if (e)
		bf_rule_release(&r);
	return e;
}

#define ADD(c, v, ...)                                                         \
	({                                                                     \
		const struct bf_match ms_[] = { __VA_ARGS__ };                 \
		add(c, v, ms_, sizeof(ms_) / sizeof(ms_[0]));                  \
	})

/* The i-th general rule of shape b: never matches the probes (sources
 * 10/8 and 172.16/12, TCP, or UDP from ports 1-999). */
static int general_rule(struct bf_chain *c, uint32_t i)
{
	static const int plen[] = { 8, 12, 16, 20, 24, 28 };
	uint32_t net = (10u << 24) + (i << 8);
	struct bf_match flags = m_simple(BF_MATCH_TCPFLAGS);

	flags.u.tcpflags.mask = 0x12;
	flags.u.tcpflags.cmp = 0x02;
	switch (i % 4) {
	case 0:
		return ADD(c, BF_VERDICT_DROP,
			   m_addr(BF_MATCH_SADDR, net, 0, plen[i % 6], false),
			   m_proto(6), m_l4(6),
			   m_ports(BF_MATCH_DPORT, (uint16_t)(1000 + i % 500),
				   (uint16_t)(2000 + i % 500), false));
	case 1:
		return ADD(c, BF_VERDICT_DROP,
			   m_addr(BF_MATCH_DADDR, BASE_SERVER, i,
				  plen[(i / 4) % 6] + 4, false),
			   m_proto(6), m_l4(6), flags);
	case 2:
		return ADD(c, BF_VERDICT_DROP,
			   m_addr(BF_MATCH_SADDR, (172u << 24 | 16u << 16), i,
				  12 + (int)(i % 13), false),
			   m_proto(17), m_l4(17),
			   m_ports(BF_MATCH_SPORT, 1, (uint16_t)(999), false));
	default:
		return ADD(c, BF_VERDICT_DROP, m_proto(17), m_l4(17),
			   m_ports(BF_MATCH_SPORT, 1000, 65535, true),
			   m_ports(BF_MATCH_DPORT, 1, 1023, false));
	}
}

/* The i-th rule of shape c (deterministic pseudo-random): never matches
 * the probes (UDP from 192.0.2.1:40000): every rule has a source in 10/8,
 * or "! -s 192.0.2.0/24", or TCP/ICMP, or UDP source ports below 40000. */
static uint32_t c_state;

static uint32_t c_rnd(uint32_t n)
{
	c_state = c_state * 1103515245u + 12345u;
	return (c_state >> 8) % n;
}

static int shape_c_rule(struct bf_chain *c, uint32_t i)
{
	struct bf_match ms[8];
	size_t n = 0;
	uint32_t p = c_rnd(10);
	bool src10 = false;

	c_state ^= i;
	if (c_rnd(10) < 7) {
		ms[n++] = m_addr(BF_MATCH_SADDR, 10u << 24, c_rnd(1u << 24),
				 8 + (int)c_rnd(25), false);
		src10 = true;
	} else if (c_rnd(3) == 0) {
		ms[n++] = m_addr(BF_MATCH_SADDR, 192u << 24 | 2u << 8, 0, 24,
				 true);
		src10 = true;
	}
	if (c_rnd(10) < 6)
		ms[n++] = m_addr(BF_MATCH_DADDR, 198u << 24 | 18u << 16,
				 c_rnd(1u << 17), 16 + (int)c_rnd(17), false);
	if (p < 5) {
		uint16_t lo = (uint16_t)(1 + c_rnd(9000));

		ms[n++] = m_proto(6);
		ms[n++] = m_l4(6);
		ms[n++] = m_ports(BF_MATCH_DPORT, lo,
				  (uint16_t)(lo + c_rnd(3) * c_rnd(2000)),
				  c_rnd(10) == 0);
		if (c_rnd(10) < 3) {
			struct bf_match f = m_simple(BF_MATCH_TCPFLAGS);

			f.u.tcpflags.mask = 0x12;
			f.u.tcpflags.cmp = 0x02;
			ms[n++] = f;
		}
	} else if (p < 9) {
		uint16_t lo = (uint16_t)(1 + c_rnd(30000));

		ms[n++] = m_proto(17);
		ms[n++] = m_l4(17);
		if (!src10 || c_rnd(2))
			ms[n++] = m_ports(BF_MATCH_SPORT, lo,
					  (uint16_t)(lo + c_rnd(9000)), false);
		if (c_rnd(2))
			ms[n++] = m_ports(BF_MATCH_DPORT, 1, 1023, false);
	} else {
		ms[n++] = m_proto(1);
	}
	return add(c, c_rnd(2) ? BF_VERDICT_DROP : BF_VERDICT_ACCEPT, ms, n);
}

struct probes {
	uint32_t last_saddr, last_daddr; /* host order */
	uint16_t last_dport;
	bool last_drop;
	size_t last_rule; /* index in INPUT of the rule the last probe hits */
};

static int build(char shape, uint32_t k, bool ct, struct bf_ruleset **out,
		 struct probes *pr)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *in;
	uint32_t clients = shape == 'b' ? k / 40 : 0, n_srv = 0, n_gen = 0;
	int e = 0;

	if (!rs)
		return -ENOMEM;
	rs->families = 1u << BF_FAMILY_INET4;
	in = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	memset(pr, 0, sizeof(*pr));
	pr->last_saddr = (192u << 24 | 2u << 8 | 1); /* 192.0.2.1 */
	pr->last_daddr = (192u << 24 | 2u << 8 | 2);
	pr->last_dport = 53;
	c_state = 1;
	for (uint32_t i = 0; i < k && !e; i++) {
		if (shape == 'c' && i + 1 < k) {
			e = shape_c_rule(in, i);
			continue;
		}
		if (shape == 'c') {
			e = ADD(in, BF_VERDICT_ACCEPT,
				m_addr(BF_MATCH_SADDR, 192u << 24 | 2u << 8, 0,
				       24, false),
				m_addr(BF_MATCH_DADDR, BASE_SERVER, 1, 32,
				       false),
				m_proto(17), m_l4(17),
				m_ports(BF_MATCH_DPORT, 50, 60, false));
			pr->last_daddr = BASE_SERVER + 1;
			pr->last_dport = 53;
			pr->last_drop = false;
			pr->last_rule = i;
			continue;
		}
		if (shape == 'a') {
			e = ADD(in, BF_VERDICT_DROP,
				m_addr(BF_MATCH_SADDR, BASE_A, 1 + i, 32,
				       false));
			pr->last_saddr = BASE_A + 1 + i;
			pr->last_drop = true;
			pr->last_rule = i;
			continue;
		}
		if (i < clients) {
			struct bf_match st = m_simple(BF_MATCH_CTSTATE);

			st.u.ctstate.mask = BF_CTSTATE_NEW;
			if (ct)
				e = ADD(in, BF_VERDICT_ACCEPT, st,
					m_addr(BF_MATCH_SADDR, BASE_CLIENT, i,
					       32, false));
			else
				e = ADD(in, BF_VERDICT_ACCEPT,
					m_addr(BF_MATCH_SADDR, BASE_CLIENT, i,
					       32, false));
			continue;
		}
		if (i % 1000 >= 990) {
			e = general_rule(in, n_gen++);
			continue;
		}
		{
			uint32_t srv = n_srv / PORTS_PER_SERVER;
			uint16_t port =
				(uint16_t)(8080 + n_srv % PORTS_PER_SERVER);

			e = ADD(in, BF_VERDICT_ACCEPT,
				m_addr(BF_MATCH_DADDR, BASE_SERVER, srv, 32,
				       false),
				m_proto(17), m_l4(17),
				m_ports(BF_MATCH_DPORT, port, port, false));
			pr->last_daddr = BASE_SERVER + srv;
			pr->last_dport = port;
			pr->last_drop = false;
			pr->last_rule = i;
			n_srv++;
		}
	}
	if (e) {
		bf_ruleset_free(&rs);
		return e;
	}
	bf_ruleset_number(rs);
	*out = rs;
	return 0;
}

static uint16_t csum16(const uint8_t *b, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* Ethernet + IPv4 + UDP from saddr:40000 to daddr:dport (host order). */
static size_t build_pkt(uint8_t *b, uint32_t saddr, uint32_t daddr,
			uint16_t dport)
{
	uint8_t *ip = b + 14, *udp = ip + 20;
	uint16_t v;
	uint32_t a;

	memset(b, 0, 14 + 28);
	b[0] = b[6] = 0x02;
	b[12] = 0x08;
	ip[0] = 0x45;
	v = htons(28);
	memcpy(ip + 2, &v, 2);
	ip[8] = 64;
	ip[9] = 17;
	a = htonl(saddr);
	memcpy(ip + 12, &a, 4);
	a = htonl(daddr);
	memcpy(ip + 16, &a, 4);
	v = csum16(ip, 20);
	memcpy(ip + 10, &v, 2);
	v = htons(40000);
	memcpy(udp, &v, 2);
	v = htons(dport);
	memcpy(udp + 2, &v, 2);
	v = htons(8);
	memcpy(udp + 4, &v, 2);
	return 14 + 28;
}

static int test_run(int fd, enum bf_attach_kind attach, const uint8_t *pkt,
		    size_t len, uint32_t repeat, uint32_t *dur, uint32_t *ret)
{
	uint8_t ctx[16] = { NF_INET_LOCAL_IN, NFPROTO_IPV4 };
	LIBBPF_OPTS(bpf_test_run_opts, o);

	o.data_in = pkt;
	o.data_size_in = (uint32_t)len;
	o.repeat = repeat;
	if (attach == BF_ATTACH_NF) {
		o.ctx_in = ctx;
		o.ctx_size_in = 2;
	}
	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*dur = o.duration;
	*ret = o.retval;
	return 0;
}

static uint64_t packets_of(int map_fd, uint32_t n, uint32_t idx)
{
	struct bf_counter *all = calloc(n ? n : 1, sizeof(*all));
	uint32_t key = 0;
	uint64_t v = UINT64_MAX;

	if (all && !bpf_map_lookup_elem(map_fd, &key, all) && idx < n)
		v = all[idx].packets;
	free(all);
	return v;
}

/* "memlock:" of an fd in /proc/self/fdinfo, bytes */
static long memlock_of(int fd)
{
	char path[64], line[256];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memlock: %ld", &v) == 1)
			break;
	}
	fclose(f);
	return v;
}

/* The program and every map it uses. */
static long memlock_total(int prog_fd)
{
	uint32_t ids[64];
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	long total = memlock_of(prog_fd);

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 64;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return total;
	for (uint32_t i = 0; i < info.nr_map_ids && i < 64; i++) {
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd >= 0) {
			total += memlock_of(fd);
			close(fd);
		}
	}
	return total;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t code(enum bf_attach_kind a, bool drop)
{
	if (a == BF_ATTACH_NF)
		return drop ? NF_DROP : NF_ACCEPT;
	if (a == BF_ATTACH_TC)
		return drop ? TCX_DROP : (uint32_t)TCX_NEXT;
	return drop ? XDP_DROP : XDP_PASS;
}

static int bench(char shape, enum bf_attach_kind attach, bool linear,
		 bool nolbvs, uint32_t k, uint32_t repeat, int runs)
{
	struct bf_lbvs_options lo;
	const char *mode = linear ? "linear" : nolbvs ? "nolbvs" : "fold";
	static char vlog[1 << 20];
	const char *ifname = attach == BF_ATTACH_NF ? NULL : "lo";
	struct bf_fold_options fo = { .enabled = !linear, .min_rules = 8 };
	struct bf_ruleset *rs = NULL;
	struct bf_program *prog = NULL;
	_cleanup_close_ int cfd = -1;
	_cleanup_close_ int pfd = -1;
	double t0, tc = 0, tl = 0;
	struct probes pr;
	size_t folded = 0, insns = 0;
	long mem = 0;
	int r;

	bf_fold_set_options(&fo);
	bf_lbvs_get_options(&lo);
	lo.enabled = !linear && !nolbvs;
	bf_lbvs_set_options(&lo);
	r = build(shape, k, attach == BF_ATTACH_NF, &rs, &pr);
	if (r)
		return r;
	t0 = now_ms();
	r = bf_check(rs, attach, ifname);
	if (!r)
		r = bf_cgen_compile(rs, attach, BF_HOOK_INPUT, BF_FAMILY_INET4,
				    ifname, &prog);
	tc = now_ms() - t0;
	if (!r) {
		insns = prog->n_insns;
		folded = prog->n_folded;
		if (dump_path) {
			FILE *df = fopen(dump_path, "w");

			if (df) {
				bf_program_dump(prog, df);
				fclose(df);
			}
		}
		cfd = bf_counters_map_create(rs->n_counters);
		r = cfd < 0 ? cfd : 0;
	}
	if (!r) {
		t0 = now_ms();
		pfd = bf_program_load(prog, cfd, vlog, sizeof(vlog));
		tl = now_ms() - t0;
		r = pfd < 0 ? pfd : 0;
	}
	if (r) {
		/* e.g. linear code beyond the verifier's budget */
		for (int c = 0; c < 2; c++)
			printf("%c,%s,%s,%u,%s,nan,%zu,%.1f,%.1f,0,%zu\n",
			       shape, bf_attach_name(attach), mode, k,
			       c ? "none" : "last", insns, tc, tl, folded);
		fprintf(stderr, "cls_cost: %c %s %s %u rules: %s\n", shape,
			bf_attach_name(attach), mode, k, strerror(-r));
		fflush(stdout);
		r = 0;
		goto out;
	}
	mem = memlock_total(pfd) + memlock_of(cfd);
	for (int c = 0; c < 2; c++) {
		bool last = c == 0 && k > 0;
		uint8_t pkt[64];
		size_t len;
		uint32_t d[MAX_RUNS], ret = 0;
		uint32_t want = code(attach, last && pr.last_drop);
		const struct bf_chain *in =
			bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
		uint32_t cidx = last ? in->rules[pr.last_rule].counter_idx :
				       in->policy_counter_idx;
		uint64_t before = packets_of(cfd, rs->n_counters, cidx), after;

		if (last)
			len = build_pkt(pkt, pr.last_saddr, pr.last_daddr,
					pr.last_dport);
		else
			len = build_pkt(pkt, (192u << 24 | 2u << 8 | 1),
					(203u << 24 | 113u << 8 | 9), 53);
		for (int i = 0; i < runs; i++) {
			r = test_run(pfd, attach, pkt, len, repeat, &d[i],
				     &ret);
			if (r || ret != want) {
				fprintf(stderr,
					"cls_cost: %c %u rules, %s: verdict %d (want %u): %s\n",
					shape, k, last ? "last" : "none",
					(int)ret, want, strerror(-r));
				r = r ? r : -EPROTO;
				goto out;
			}
		}
		after = packets_of(cfd, rs->n_counters, cidx);
		if (after - before != (uint64_t)repeat * (uint64_t)runs) {
			fprintf(stderr,
				"cls_cost: %c %u rules, %s: counter %u "
				"moved by %llu, want %llu\n",
				shape, k, last ? "last" : "none", cidx,
				(unsigned long long)(after - before),
				(unsigned long long)repeat * (uint64_t)runs);
			r = -EPROTO;
			goto out;
		}
		qsort(d, (size_t)runs, sizeof(d[0]), cmp_u32);
		printf("%c,%s,%s,%u,%s,%u,%zu,%.1f,%.1f,%ld,%zu\n", shape,
		       bf_attach_name(attach), mode, k, last ? "last" : "none",
		       d[runs / 2], insns, tc, tl, mem / 1024, folded);
		fflush(stdout);
	}
out:
	bf_program_free(&prog);
	bf_ruleset_free(&rs);
	return r;
}

int main(int argc, char **argv)
{
	enum bf_attach_kind attach = BF_ATTACH_NF;
	uint32_t repeat = 100000;
	int runs = 5, opt, r = 0;
	bool linear = false, nolbvs = false;
	char shape = 'a';

	while ((opt = getopt(argc, argv, "s:a:LBr:n:HvD:")) != -1) {
		switch (opt) {
		case 's':
			shape = optarg[0];
			break;
		case 'a':
			attach = !strcmp(optarg, "xdp") ? BF_ATTACH_XDP :
				 !strcmp(optarg, "tc")	? BF_ATTACH_TC :
							  BF_ATTACH_NF;
			break;
		case 'L':
			linear = true;
			break;
		case 'B':
			nolbvs = true;
			break;
		case 'r':
			repeat = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		case 'H':
			printf("shape,attach,mode,rules,case,ns_per_pkt,insns,"
			       "compile_ms,load_ms,memlock_kb,folded\n");
			break;
		case 'v':
			verbose = 1;
			break;
		case 'D':
			dump_path = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: cls_cost [-s a|b|c] [-a nf|tc|xdp] "
				"[-L|-B] [-r REPEAT] [-n RUNS] [-H] [-D FILE] K...\n");
			return 2;
		}
	}
	if ((shape < 'a' || shape > 'c') || runs < 1 || runs > MAX_RUNS ||
	    optind >= argc) {
		fprintf(stderr, "cls_cost: bad arguments\n");
		return 2;
	}
	bf_log_set(log_cb, NULL);
	for (int i = optind; i < argc && !r; i++) {
		unsigned long k = strtoul(argv[i], NULL, 0);

		if (k < 1 || k > 1000000) {
			fprintf(stderr, "cls_cost: K must be 1..1000000\n");
			return 2;
		}
		r = bench(shape, attach, linear, nolbvs, (uint32_t)k, repeat,
			  runs);
	}
	return r ? 1 : 0;
}
