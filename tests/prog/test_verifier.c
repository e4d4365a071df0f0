// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the kernel's verifier spends on the programs of general rules
 * (doc/live.md, "Verifier cost of segment programs").
 *
 * A chain of general IPv4 rules (prefixes, protocols, port ranges, TCP
 * flags, negations: the bit-vector search's members) is compiled as a
 * segment program and as a whole netfilter program and loaded with the
 * verifier's statistics (BF_VERIFIER_STATS). Checked:
 *  - no function of the members' linear code ("lbvsl") is emitted: IPv4
 *    packets that are not plain are classified by vectors;
 *  - the verifier walks each instruction about once: processed
 *    instructions stay below twice the program's (the search used to be
 *    a loop whose JIT padding jumps the verifier explored both ways);
 *  - with BPFILTER_LBVS_LINEAR_SLOW=1 the linear functions are back and
 *    the program is larger (so the first check can fail).
 * Verdicts are not checked here: test_lbvs compares these programs with
 * the linear code packet by packet.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"

#include "bpfilter/front_ipt.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "cgen/cgen.h"
#include "cgen/segprog.h"
#include "check/check.h"

#define N_RULES 400

static char stats[4096];

static void grab(enum bf_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)data;
	if (strstr(msg, "verifier stats for"))
		snprintf(stats, sizeof(stats), "%s", msg);
}

static unsigned long stat_of(const char *key)
{
	const char *p = strstr(stats, key);

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

/* N_RULES general rules in four kinds, as bench/gen.sh shape g */
static struct bf_ruleset *general_rules(void)
{
	size_t cap = N_RULES * 96 + 256, len = 0;
	char *t = malloc(cap);
	struct bf_ruleset *rs = bf_ruleset_new();

	assert_non_null(t);
	assert_non_null(rs);
	len += (size_t)snprintf(
		t + len, cap - len,
		"*filter\n:INPUT DROP [0:0]\n"
		":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
	for (int i = 0; i < N_RULES; i++) {
		const char *v = i / 4 % 2 ? "ACCEPT" : "DROP";

		switch (i % 4) {
		case 0:
			len += (size_t)snprintf(
				t + len, cap - len,
				"-A INPUT -s 10.%d.%d.0/%d -p tcp --dport %d:%d -j %s\n",
				i / 256 % 256, i % 256, 8 + i % 17, 1000 + i,
				2000 + i, v);
			break;
		case 1:
			len += (size_t)snprintf(
				t + len, cap - len,
				"-A INPUT -d 198.19.%d.%d/%d -p tcp --tcp-flags SYN,ACK SYN -j %s\n",
				i / 256 % 256, i % 256, 12 + i % 13, v);
			break;
		case 2:
			len += (size_t)snprintf(
				t + len, cap - len,
				"-A INPUT -s 172.16.%d.%d/%d -p udp --sport 1:%d -j %s\n",
				i / 256 % 256, i % 256, 14 + i % 11, 999 + i,
				v);
			break;
		default:
			len += (size_t)snprintf(
				t + len, cap - len,
				"-A INPUT -p udp ! --sport %d:65535 --dport 1:%d -j %s\n",
				1000 + i, 1020 + i % 50, v);
			break;
		}
	}
	snprintf(t + len, cap - len, "COMMIT\n");
	assert_int_equal(
		bf_ipt_parse_restore_str(rs, t, "general", BF_FAMILY_INET4), 0);
	free(t);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
	bf_ruleset_number(rs);
	return rs;
}

static bool has_linear(const struct bf_program *p)
{
	for (size_t i = 0; i < p->n_funcs; i++) {
		if (strstr(p->funcs[i].name, "lbvsl"))
			return true;
	}
	return false;
}

/* Load p with the verifier's statistics: processed instructions. */
static unsigned long processed(struct bf_program *p, int counters_fd)
{
	bf_log_fn fn;
	void *data;
	int fd;

	stats[0] = '\0';
	bf_log_get(&fn, &data);
	bf_log_set(grab, NULL);
	setenv("BF_VERIFIER_STATS", "1", 1);
	fd = bf_program_load(p, counters_fd, NULL, 0);
	unsetenv("BF_VERIFIER_STATS");
	bf_log_set(fn, data);
	assert_true(fd >= 0);
	close(fd);
	print_message("%s: %zu insns, %lu processed, %lu states\n", p->name,
		      p->n_insns, stat_of("processed "),
		      stat_of("total_states "));
	return stat_of("processed ");
}

static void test_general_rules(void **state)
{
	struct bf_ruleset *rs;
	struct bf_program *whole = NULL, *seg = NULL, *lin = NULL;
	struct bf_seg_opts o = { .root = false, .index = 0 };
	int counters_fd, pcpu_fd, segs_fd;
	unsigned long n;

	(void)state;
	BFT_REQUIRE_KERNEL();
	rs = general_rules();
	counters_fd = bf_counters_map_create(rs->n_counters);
	pcpu_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bf_segpctx", 4,
				 sizeof(struct bf_seg_pcpu), 1, NULL);
	segs_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "bf_segs", 4, 4,
				 BF_SEG_MAX, NULL);
	assert_true(counters_fd >= 0 && pcpu_fd >= 0 && segs_fd >= 0);
	o.pcpu_fd = pcpu_fd;
	o.segs_fd = segs_fd;

	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, BF_HOOK_INPUT,
					 BF_FAMILY_INET4, NULL, &whole),
			 0);
	assert_false(has_linear(whole));
	n = processed(whole, counters_fd);
	assert_true(n > 0 && n < 2 * whole->n_insns);

	assert_int_equal(bf_cgen_compile_seg(rs, BF_HOOK_INPUT, BF_FAMILY_INET4,
					     &o, &seg),
			 0);
	assert_false(has_linear(seg));
	n = processed(seg, counters_fd);
	assert_true(n > 0 && n < 2 * seg->n_insns);

	/* the linear code on request: the check above can fail */
	setenv("BPFILTER_LBVS_LINEAR_SLOW", "1", 1);
	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, BF_HOOK_INPUT,
					 BF_FAMILY_INET4, NULL, &lin),
			 0);
	unsetenv("BPFILTER_LBVS_LINEAR_SLOW");
	assert_true(has_linear(lin));
	assert_true(lin->n_insns > 2 * whole->n_insns);

	bf_program_free(&whole);
	bf_program_free(&seg);
	bf_program_free(&lin);
	close(counters_fd);
	close(pcpu_fd);
	close(segs_fd);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_general_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
