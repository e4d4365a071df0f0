// SPDX-License-Identifier: GPL-2.0-only
/*
 * verif_cost: what the kernel's verifier spends on the programs bpfilter
 * makes of a ruleset (no namespace, nothing attached).
 *
 * Reads an iptables-restore file (IPv4 filter table), compiles the
 * netfilter INPUT program as a whole and, cut into segments of S rules
 * (-s S; 0: no segments), the segment programs (cgen/segprog.h), and
 * loads each program R times (-r R, default 3) with BPF_LOG_STATS. One
 * CSV line per program:
 *
 *   program,insns,processed,total_states,peak_states,verif_us,load_ms,cpu_ms
 *
 * processed/total_states/peak_states and verif_us ("verification time",
 * which includes the JIT of subprograms) are the verifier's own
 * statistics of the last load; load_ms is the median wall time of the
 * R bf_program_load() calls (its maps created and filled, its BTF and
 * BPF_PROG_LOAD), cpu_ms the median CPU time of this thread in them
 * (user + kernel: what a loaded machine does not inflate). -w skips the whole
 * program, -k K loads only the first K segments, -d K prints the
 * instructions of segment K (-1: the root) on stderr.
 *
 * usage: verif_cost [-r R] [-s S] [-w] [-k K] [-d K] FILE
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "cgen/cgen.h"
#include "cgen/segprog.h"
#include "check/check.h"

#define MAX_RUNS 51

static void quiet(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if (level <= BF_LOG_WARN)
		fprintf(stderr, "%s\n", msg);
}

static double now_ms(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static unsigned long stat_of(const char *log, const char *key)
{
	const char *p = strstr(log, key);

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

/* Load prog `runs` times through bf_program_load() with the verifier's
 * statistics (BF_VERIFIER_STATS): the statistics come through bf_log. */
static char last_stats[4096];

static void grab(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if (strstr(msg, "verifier stats for"))
		snprintf(last_stats, sizeof(last_stats), "%s", msg);
	else if (level <= BF_LOG_WARN)
		fprintf(stderr, "%s\n", msg);
}

static int measure(struct bf_program *p, int counters_fd, int runs)
{
	double t[MAX_RUNS], cpu[MAX_RUNS];

	bf_log_set(grab, NULL);
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms(CLOCK_MONOTONIC);
		double c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
		int fd = bf_program_load(p, counters_fd, NULL, 0);

		cpu[i] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
		t[i] = now_ms(CLOCK_MONOTONIC) - t0;
		if (fd < 0) {
			fprintf(stderr, "%s: load failed: %s\n", p->name,
				strerror(-fd));
			bf_log_set(quiet, NULL);
			return fd;
		}
		close(fd);
	}
	bf_log_set(quiet, NULL);
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_d);
	qsort(cpu, (size_t)runs, sizeof(cpu[0]), cmp_d);
	printf("%s,%zu,%lu,%lu,%lu,%lu,%.2f,%.2f\n", p->name, p->n_insns,
	       stat_of(last_stats, "processed "),
	       stat_of(last_stats, "total_states "),
	       stat_of(last_stats, "peak_states "),
	       stat_of(last_stats, "verification time "), t[runs / 2],
	       cpu[runs / 2]);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_close_ int counters_fd = -1, pcpu_fd = -1, segs_fd = -1;
	int runs = 3, seg = 333, c, r, max_k = BF_SEG_MAX, dump = -2;
	struct bf_ruleset *rs = NULL;
	bool whole = true;
	FILE *in;

	while ((c = getopt(argc, argv, "r:s:wk:d:")) != -1) {
		if (c == 'r')
			runs = atoi(optarg);
		else if (c == 's')
			seg = atoi(optarg);
		else if (c == 'w')
			whole = false;
		else if (c == 'k')
			max_k = atoi(optarg);
		else if (c == 'd')
			dump = atoi(optarg);
		else
			goto usage;
	}
	if (optind + 1 != argc || runs < 1 || runs > MAX_RUNS || seg < 0)
		goto usage;
	bf_log_set(quiet, NULL);
	setenv("BF_VERIFIER_STATS", "1", 1);
	rs = bf_ruleset_new();
	in = fopen(argv[optind], "r");
	if (!rs || !in) {
		perror(argv[optind]);
		return 1;
	}
	r = bf_ipt_parse_restore(rs, in, argv[optind], BF_FAMILY_INET4);
	fclose(in);
	if (!r)
		r = bf_check(rs, BF_ATTACH_NF, NULL);
	if (r) {
		fprintf(stderr, "cannot use %s: %s\n", argv[optind],
			strerror(-r));
		return 1;
	}
	bf_ruleset_number(rs);
	counters_fd = bf_counters_map_create(rs->n_counters + 64);
	pcpu_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bf_segpctx", 4,
				 sizeof(struct bf_seg_pcpu), 1, NULL);
	segs_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "bf_segs", 4, 4,
				 BF_SEG_MAX, NULL);
	if (counters_fd < 0 || pcpu_fd < 0 || segs_fd < 0) {
		fprintf(stderr, "cannot create maps: %s\n", strerror(errno));
		return 1;
	}
	printf("program,insns,processed,total_states,peak_states,verif_us,load_ms,cpu_ms\n");
	if (whole) {
		struct bf_program *p = NULL;

		r = bf_cgen_compile(rs, BF_ATTACH_NF, BF_HOOK_INPUT,
				    BF_FAMILY_INET4, NULL, &p);
		if (!r)
			r = measure(p, counters_fd, runs);
		bf_program_free(&p);
		if (r)
			return 1;
	}
	if (seg) {
		struct bf_chain *b =
			bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
		struct bf_rule *all = b->rules;
		size_t n_all = b->n_rules;
		struct bf_seg_opts o = { .root = true,
					 .pcpu_fd = pcpu_fd,
					 .segs_fd = segs_fd };
		struct bf_program *p = NULL;

		r = bf_cgen_compile_seg(rs, BF_HOOK_INPUT, BF_FAMILY_INET4, &o,
					&p);
		if (!r && dump == -1)
			bf_program_dump(p, stderr);
		if (!r)
			r = measure(p, counters_fd, runs);
		bf_program_free(&p);
		for (uint32_t k = 0; !r && k * (size_t)seg < n_all &&
				     k < (uint32_t)max_k && k < BF_SEG_MAX;
		     k++) {
			size_t first = k * (size_t)seg;

			o.root = false;
			o.index = k;
			b->rules = all + first;
			b->n_rules = n_all - first < (size_t)seg ?
					     n_all - first :
					     (size_t)seg;
			r = bf_cgen_compile_seg(rs, BF_HOOK_INPUT,
						BF_FAMILY_INET4, &o, &p);
			if (!r && dump == (int)k)
				bf_program_dump(p, stderr);
			if (!r)
				r = measure(p, counters_fd, runs);
			bf_program_free(&p);
		}
		b->rules = all;
		b->n_rules = n_all;
		if (r)
			return 1;
	}
	bf_ruleset_free(&rs);
	return 0;
usage:
	fprintf(stderr,
		"usage: verif_cost [-r R] [-s S] [-w] [-k K] [-d K] FILE\n");
	return 2;
}
