// SPDX-License-Identifier: GPL-2.0-only
/*
 * prog_cost: cost of a compiled ruleset per packet, measured in the kernel
 * with BPF_PROG_TEST_RUN (no traffic, no namespaces).
 *
 * The ruleset is K rules "-A INPUT -s 198.18.X.Y/32 -j DROP" (distinct
 * sources from the RFC 2544 benchmarking range, 198.18.0.0/15) with policy
 * ACCEPT, built directly as IR and compiled by bf_cgen_compile(). Two probe
 * packets (IPv4 TCP SYN) are run through it:
 *   last  source = the last rule's address: every rule is evaluated, DROP
 *   none  source = an address no rule has: every rule is evaluated, ACCEPT
 * The kernel reports the mean duration of `repeat` runs; we take the median
 * of `runs` such means. The verdict is checked against the expected one, so
 * a wrong program is an error, not a fast result.
 *
 * By default the code generator folds runs of such exact-match rules into
 * one hash lookup (src/lib/opt/opt.h); -L turns folding off to measure the
 * linear code ("-linear" is then appended to the attach column).
 *
 * Output: one CSV line per (attach, rules, case):
 *   attach,rules,case,ns_per_pkt,insns,compile_ms,load_ms
 *
 * -E measures instead a program of two instructions that returns the
 * hook's "pass" verdict (attach column "ATTACH-empty", K ignored, printed
 * as 0): what BPF_PROG_TEST_RUN itself costs per run for this program
 * type, to be subtracted from a program's cost to get what the program
 * adds (bench/README.md, "XDP").
 *
 * usage: prog_cost [-a nf|tc|xdp] [-L|-E] [-r REPEAT] [-n RUNS] [-H] K [K...]
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "cgen/cgen.h"
#include "check/check.h"
#include "compat.h"
#include "opt/opt.h"

#define MAX_RUNS 101

/* struct nf_hook_state as bpf_prog_test_run_nf() reads it from ctx_in:
 * only hook and pf may be set (net/bpf/test_run.c). */
struct nf_hook_state_user {
	uint8_t hook;
	uint8_t pf;
	uint8_t pad[6];
	uint64_t in, out, sk, net, okfn;
};

struct probe {
	uint8_t buf[ETH_HLEN + sizeof(struct iphdr) + sizeof(struct tcphdr)];
	size_t len;
};

static int verbose;
static int linear;
static int empty;

static void log_cb(enum bf_log_level level, const char *msg, void *data)
{
	if (level <= BF_LOG_WARN || verbose)
		fprintf(stderr, "prog_cost: %s\n", msg);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* i-th benchmark address: 198.18.0.1 + i, in network byte order. */
static void bench_addr(uint32_t i, uint8_t out[4])
{
	uint32_t a = (198u << 24 | 18u << 16) + 1 + i;

	out[0] = a >> 24;
	out[1] = a >> 16;
	out[2] = a >> 8;
	out[3] = a;
}

static int build_ruleset(struct bf_ruleset **out, uint32_t k)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *input;
	int r;

	if (!rs)
		return -ENOMEM;
	rs->families = 1u << BF_FAMILY_INET4;
	input = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	for (uint32_t i = 0; i < k; i++) {
		struct bf_rule rule = {
			.family = BF_FAMILY_INET4,
			.verdict.kind = BF_VERDICT_DROP,
			.line = (int)i + 1,
		};
		struct bf_match m = {
			.type = BF_MATCH_SADDR,
			.line = (int)i + 1,
		};

		bench_addr(i, m.u.addr.addr);
		memset(m.u.addr.mask, 0xff, 4);
		r = bf_rule_add_match(&rule, &m);
		if (!r)
			r = bf_chain_add_rule(input, &rule);
		if (r) {
			bf_rule_release(&rule);
			bf_ruleset_free(&rs);
			return r;
		}
	}
	bf_ruleset_number(rs);
	*out = rs;
	return 0;
}

static uint16_t csum16(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* IPv4 TCP SYN from saddr to 192.0.2.2:80, with an Ethernet header unless
 * l3_only. bpf_prog_test_run_nf() wants the Ethernet header too for every
 * hook but LOCAL_OUT (it runs eth_type_trans() on the data), and hands the
 * program the packet from the IP header on. */
static void build_probe(struct probe *p, const uint8_t saddr[4], bool l3_only)
{
	struct ethhdr *eth = (struct ethhdr *)p->buf;
	size_t off = l3_only ? 0 : ETH_HLEN;
	struct iphdr *ip = (struct iphdr *)(p->buf + off);
	struct tcphdr *tcp = (struct tcphdr *)(ip + 1);
	const uint8_t daddr[4] = { 192, 0, 2, 2 };

	memset(p->buf, 0, sizeof(p->buf));
	if (!l3_only) {
		memset(eth->h_dest, 0x02, ETH_ALEN);
		memset(eth->h_source, 0x04, ETH_ALEN);
		eth->h_proto = htons(ETH_P_IP);
	}
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*tcp));
	memcpy(&ip->saddr, saddr, 4);
	memcpy(&ip->daddr, daddr, 4);
	ip->check = csum16(ip, sizeof(*ip));
	tcp->source = htons(40000);
	tcp->dest = htons(80);
	tcp->doff = 5;
	tcp->syn = 1;
	tcp->window = htons(64240);
	p->len = off + sizeof(*ip) + sizeof(*tcp);
}

static int test_run(int prog_fd, enum bf_attach_kind attach,
		    const struct probe *p, uint32_t repeat, uint32_t *duration,
		    uint32_t *retval)
{
	struct nf_hook_state_user st = {
		.hook = NF_INET_LOCAL_IN,
		.pf = NFPROTO_IPV4,
	};
	uint8_t out[sizeof(p->buf) + 256];
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog_fd;
	attr.test.data_in = (uint64_t)(uintptr_t)p->buf;
	attr.test.data_size_in = (uint32_t)p->len;
	attr.test.data_out = (uint64_t)(uintptr_t)out;
	attr.test.data_size_out = sizeof(out);
	attr.test.repeat = repeat;
	if (attach == BF_ATTACH_NF) {
		attr.test.ctx_in = (uint64_t)(uintptr_t)&st;
		attr.test.ctx_size_in = sizeof(st);
		attr.test.data_out = 0;
		attr.test.data_size_out = 0;
	}
	if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &attr, sizeof(attr)) < 0)
		return -errno;
	*duration = attr.test.duration;
	*retval = attr.test.retval;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t verdict_code(enum bf_attach_kind attach, bool drop)
{
	switch (attach) {
	case BF_ATTACH_NF:
		return drop ? NF_DROP : NF_ACCEPT;
	case BF_ATTACH_TC:
		return drop ? TCX_DROP : (uint32_t)TCX_NEXT;
	default:
		return drop ? XDP_DROP : XDP_PASS;
	}
}

/* A program that only returns the hook's pass verdict. */
static int load_empty(enum bf_attach_kind attach)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = (int32_t)verdict_code(attach, false) },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	enum bpf_prog_type t = BPF_PROG_TYPE_XDP;
	int fd;

	if (attach == BF_ATTACH_NF) {
		t = (enum bpf_prog_type)BPF_PROG_TYPE_NETFILTER;
		o.expected_attach_type = (enum bpf_attach_type)BPF_NETFILTER;
	} else if (attach == BF_ATTACH_TC) {
		t = BPF_PROG_TYPE_SCHED_CLS;
	}
	fd = bpf_prog_load(t, "bf_empty", "GPL", insns, 2, &o);
	return fd < 0 ? -errno : fd;
}

static int bench_empty(enum bf_attach_kind attach, uint32_t repeat, int runs)
{
	_cleanup_close_ int pfd = load_empty(attach);
	const uint8_t saddr[4] = { 198, 19, 255, 255 };
	uint32_t d[MAX_RUNS], retval = 0;
	struct probe p;
	int r;

	if (pfd < 0) {
		fprintf(stderr, "prog_cost: empty %s program: %s\n",
			bf_attach_name(attach), strerror(-pfd));
		return pfd;
	}
	build_probe(&p, saddr, false);
	for (int i = 0; i < runs; i++) {
		r = test_run(pfd, attach, &p, repeat, &d[i], &retval);
		if (r || retval != verdict_code(attach, false)) {
			fprintf(stderr, "prog_cost: empty %s program: %s\n",
				bf_attach_name(attach),
				r ? strerror(-r) : "wrong verdict");
			return r ? r : -EPROTO;
		}
	}
	qsort(d, (size_t)runs, sizeof(d[0]), cmp_u32);
	for (int c = 0; c < 2; c++)
		printf("%s-empty,0,%s,%u,2,0.00,0.00\n", bf_attach_name(attach),
		       c ? "none" : "last", d[runs / 2]);
	fflush(stdout);
	return 0;
}

static int bench_one(enum bf_attach_kind attach, uint32_t k, uint32_t repeat,
		     int runs)
{
	static char vlog[1 << 20];
	struct bf_ruleset *rs = NULL;
	struct bf_program *prog = NULL;
	_cleanup_close_ int cfd = -1;
	_cleanup_close_ int pfd = -1;
	const char *ifname = attach == BF_ATTACH_NF ? NULL : "lo";
	double t0, t_compile, t_load;
	int r;

	r = build_ruleset(&rs, k);
	if (r) {
		fprintf(stderr, "prog_cost: building %u rules: %s\n", k,
			strerror(-r));
		return r;
	}
	t0 = now_ms();
	r = bf_check(rs, attach, ifname);
	if (!r)
		r = bf_cgen_compile(rs, attach, BF_HOOK_INPUT, BF_FAMILY_INET4,
				    ifname, &prog);
	t_compile = now_ms() - t0;
	if (r) {
		fprintf(stderr, "prog_cost: compiling %u rules: %s\n", k,
			strerror(-r));
		goto out;
	}
	cfd = bf_counters_map_create(rs->n_counters ? rs->n_counters : 1);
	if (cfd < 0) {
		r = cfd;
		fprintf(stderr, "prog_cost: counters map: %s\n", strerror(-r));
		goto out;
	}
	t0 = now_ms();
	pfd = bf_program_load(prog, cfd, vlog, sizeof(vlog));
	t_load = now_ms() - t0;
	if (pfd < 0) {
		r = pfd;
		fprintf(stderr, "prog_cost: loading %u rules: %s\n%s\n", k,
			strerror(-r),
			verbose ? vlog : "(-v shows the verifier log)");
		goto out;
	}

	for (int c = 0; c < 2; c++) {
		bool last = c == 0;
		uint32_t d[MAX_RUNS], retval = 0, want;
		uint8_t saddr[4];
		struct probe p;

		if (last && k > 0)
			bench_addr(k - 1, saddr);
		else
			/* 198.19.255.255: no rule has it */
			bench_addr(0x1fffe, saddr);
		build_probe(&p, saddr, false);
		want = verdict_code(attach, last && k > 0);
		for (int i = 0; i < runs; i++) {
			r = test_run(pfd, attach, &p, repeat, &d[i], &retval);
			if (r) {
				fprintf(stderr,
					"prog_cost: BPF_PROG_TEST_RUN: %s\n",
					strerror(-r));
				goto out;
			}
			if (retval != want) {
				fprintf(stderr,
					"prog_cost: %s, %u rules, case %s: verdict %d, expected %d\n",
					bf_attach_name(attach), k,
					last ? "last" : "none", (int)retval,
					(int)want);
				r = -EPROTO;
				goto out;
			}
		}
		qsort(d, (size_t)runs, sizeof(d[0]), cmp_u32);
		printf("%s%s,%u,%s,%u,%zu,%.2f,%.2f\n", bf_attach_name(attach),
		       linear ? "-linear" : "", k, last ? "last" : "none",
		       d[runs / 2], prog->n_insns, t_compile, t_load);
		fflush(stdout);
	}
out:
	bf_program_free(&prog);
	bf_ruleset_free(&rs);
	return r;
}

static int parse_attach(const char *s, enum bf_attach_kind *out)
{
	for (int a = 0; a < BF_ATTACH_COUNT; a++) {
		if (!strcmp(s, bf_attach_name((enum bf_attach_kind)a))) {
			*out = (enum bf_attach_kind)a;
			return 0;
		}
	}
	return -EINVAL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: prog_cost [-a nf|tc|xdp] [-L|-E] [-r REPEAT] [-n RUNS] [-H] [-v] K [K...]\n"
		"  K       number of rules (distinct /32 sources)\n"
		"  -a      attachment (default nf)\n"
		"  -L      linear code: no folding of exact-match rules\n"
		"  -E      an empty program (returns pass): the harness's own cost\n"
		"  -r      BPF_PROG_TEST_RUN repeat count (default 100000)\n"
		"  -n      runs per measurement, median taken (default 5)\n"
		"  -H      print the CSV header first\n");
}

int main(int argc, char **argv)
{
	enum bf_attach_kind attach = BF_ATTACH_NF;
	uint32_t repeat = 100000;
	int runs = 5, header = 0, opt, r = 0;

	while ((opt = getopt(argc, argv, "a:LEr:n:Hvh")) != -1) {
		switch (opt) {
		case 'a':
			if (parse_attach(optarg, &attach)) {
				fprintf(stderr,
					"prog_cost: unknown attachment '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			repeat = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			runs = atoi(optarg);
			if (runs < 1 || runs > MAX_RUNS) {
				fprintf(stderr,
					"prog_cost: runs must be 1..%d\n",
					MAX_RUNS);
				return 2;
			}
			break;
		case 'H':
			header = 1;
			break;
		case 'L':
			linear = 1;
			break;
		case 'E':
			empty = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	bf_log_set(log_cb, NULL);
	if (linear) {
		struct bf_fold_options fo;

		bf_fold_get_options(&fo);
		fo.enabled = false;
		bf_fold_set_options(&fo);
	}
	if (header)
		printf("attach,rules,case,ns_per_pkt,insns,compile_ms,load_ms\n");
	for (int i = optind; i < argc && !r; i++) {
		unsigned long k = strtoul(argv[i], NULL, 0);

		if (k > 100000) {
			fprintf(stderr, "prog_cost: at most 100000 rules\n");
			return 2;
		}
		r = empty ? bench_empty(attach, repeat, runs) :
			    bench_one(attach, (uint32_t)k, repeat, runs);
		if (empty)
			break;
	}
	return r ? 1 : 0;
}
