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
 *
 * test_nf_btf_ptrs: the netfilter programs that read kernel structures
 * (interface names, MAC header, socket owner; whole programs and the root
 * of segment programs) read them through untrusted pointers
 * (cgen/nfbtf.h): in the verifier's level-2 log no register ever holds a
 * BTF pointer other than the trusted skb and untrusted ones, since each
 * visit of a load through a trusted pointer costs the verifier linear
 * searches of the kernel's BTF (about 1 ms each). With
 * BPFILTER_NFBTF_TRUSTED=1 (the plain loads) the check must fail. The
 * root program's processed instructions stay below twice its size.
 *
 * test_member_runs: runs of three members between rules that are not
 * members (-f: fragments; -i rules are members at nf hooks) share one
 * count-and-verdict tail per function (lbvs_hit_tail()): the segment is
 * at least a quarter smaller, and processed fewer instructions, than with
 * BPFILTER_LBVS_NO_HIT=1 (one tail per run).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* [b, e) is a run of the verifier's type flag prefixes ("untrusted_",
 * "rcu_"...: reg_type_str() in kernel/bpf/verifier.c), maybe empty */
static bool flags_only(const char *b, const char *e)
{
	static const char *const flags[] = { "rdonly_", "alloc_", "user_",
					     "percpu_", "rcu_",	  "untrusted_",
					     "trusted_" };

	while (b < e) {
		size_t k = 0;

		while (k < sizeof(flags) / sizeof(flags[0]) &&
		       strncmp(b, flags[k], strlen(flags[k])) != 0)
			k++;
		if (k == sizeof(flags) / sizeof(flags[0]))
			return false;
		b += strlen(flags[k]);
	}
	return b == e;
}

/* The BTF pointer types the verifier gave registers in log (a level-2
 * log): how many are neither untrusted nor the trusted skb of ctx->skb;
 * *untrusted counts the untrusted ones. */
static unsigned int trusted_btf_ptrs(const char *log, unsigned int *untrusted)
{
	unsigned int bad = 0;

	*untrusted = 0;
	for (const char *p = strstr(log, "ptr_"); p;
	     p = strstr(p + 4, "ptr_")) {
		const char *b = p, *e = p + 4;
		char tok[128];
		size_t n;

		while (b > log &&
		       (b[-1] == '_' || (b[-1] >= 'a' && b[-1] <= 'z')))
			b--;
		while (*e == '_' || (*e >= 'a' && *e <= 'z') ||
		       (*e >= '0' && *e <= '9'))
			e++;
		if (*e != '(' || (b > log && b[-1] != '=' && b[-1] != ' ') ||
		    !flags_only(b, p))
			continue; /* not a BTF pointer (dynptr_skb...) */
		n = (size_t)(e - b) < sizeof(tok) - 1 ? (size_t)(e - b) :
							sizeof(tok) - 1;
		memcpy(tok, b, n);
		tok[n] = '\0';
		if (strstr(tok, "untrusted_"))
			(*untrusted)++;
		else if (strcmp(tok, "trusted_ptr_sk_buff") != 0) {
			if (!bad)
				print_message("trusted BTF pointer: %s\n", tok);
			bad++;
		}
	}
	return bad;
}

/* Load p with the verifier's level-2 log (BF_VERIFIER_LOG2); the count
 * of trusted_btf_ptrs(). */
static unsigned int load_log2(struct bf_program *p, int counters_fd,
			      unsigned int *untrusted)
{
	char path[] = "/tmp/bft_vlog_XXXXXX";
	int tfd = mkstemp(path), fd;
	unsigned int bad;
	struct stat st;
	char *log;
	FILE *f;

	assert_true(tfd >= 0);
	close(tfd);
	setenv("BF_VERIFIER_LOG2", path, 1);
	fd = bf_program_load(p, counters_fd, NULL, 0);
	unsetenv("BF_VERIFIER_LOG2");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0);
	log = calloc(1, (size_t)st.st_size + 1);
	f = fopen(path, "re");
	assert_non_null(log);
	assert_non_null(f);
	assert_int_equal(fread(log, 1, (size_t)st.st_size, f),
			 (size_t)st.st_size);
	fclose(f);
	unlink(path);
	bad = trusted_btf_ptrs(log, untrusted);
	print_message("%s: %u trusted, %u untrusted BTF pointer registers\n",
		      p->name, bad, *untrusted);
	free(log);
	return bad;
}

static const char nf_meta_rules[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -i eth0 -s 192.0.2.1 -j DROP\n"
	"-A INPUT -m mac --mac-source 02:00:00:00:00:01 -j DROP\n"
	"-A INPUT -p tcp --dport 22 -j ACCEPT\n"
	"-A OUTPUT -o eth1 -j DROP\n"
	"-A OUTPUT -m owner --uid-owner 0 -j ACCEPT\n"
	"COMMIT\n";

static void test_nf_btf_ptrs(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_program *in = NULL, *out = NULL, *root = NULL, *old = NULL;
	struct bf_seg_opts o = { .root = true };
	unsigned int u;
	unsigned long n;
	int counters_fd, pcpu_fd, segs_fd;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_non_null(rs);
	assert_int_equal(bf_ipt_parse_restore_str(rs, nf_meta_rules, "meta",
						  BF_FAMILY_INET4),
			 0);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
	bf_ruleset_number(rs);
	counters_fd = bf_counters_map_create(rs->n_counters);
	pcpu_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bf_segpctx", 4,
				 sizeof(struct bf_seg_pcpu), 1, NULL);
	segs_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "bf_segs", 4, 4,
				 BF_SEG_MAX, NULL);
	assert_true(counters_fd >= 0 && pcpu_fd >= 0 && segs_fd >= 0);
	o.pcpu_fd = pcpu_fd;
	o.segs_fd = segs_fd;

	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, BF_HOOK_INPUT,
					 BF_FAMILY_INET4, NULL, &in),
			 0);
	assert_int_equal(load_log2(in, counters_fd, &u), 0);
	assert_true(u > 0); /* the devices and the MAC header's device */
	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, BF_HOOK_OUTPUT,
					 BF_FAMILY_INET4, NULL, &out),
			 0);
	assert_int_equal(load_log2(out, counters_fd, &u), 0);
	assert_true(u > 0);
	assert_int_equal(bf_cgen_compile_seg(rs, BF_HOOK_INPUT, BF_FAMILY_INET4,
					     &o, &root),
			 0);
	assert_int_equal(load_log2(root, counters_fd, &u), 0);
	assert_true(u > 0);
	/* the 8 slot claims join before the copy of the packet context
	 * (seg_root()): the verifier walks it once */
	n = processed(root, counters_fd);
	assert_true(n > 0 && n < 2 * root->n_insns);

	/* the plain loads through trusted pointers: the check sees them */
	setenv("BPFILTER_NFBTF_TRUSTED", "1", 1);
	assert_int_equal(bf_cgen_compile(rs, BF_ATTACH_NF, BF_HOOK_INPUT,
					 BF_FAMILY_INET4, NULL, &old),
			 0);
	unsetenv("BPFILTER_NFBTF_TRUSTED");
	assert_true(load_log2(old, counters_fd, &u) > 0);

	bf_program_free(&in);
	bf_program_free(&out);
	bf_program_free(&root);
	bf_program_free(&old);
	close(counters_fd);
	close(pcpu_fd);
	close(segs_fd);
	bf_ruleset_free(&rs);
}

/* 4 x runs rules: 3 members (prefix and ports) then one -i rule */
static struct bf_ruleset *member_runs(int runs)
{
	size_t cap = (size_t)runs * 4 * 96 + 256, len = 0;
	char *t = malloc(cap);
	struct bf_ruleset *rs = bf_ruleset_new();

	assert_non_null(t);
	assert_non_null(rs);
	len += (size_t)snprintf(
		t + len, cap - len,
		"*filter\n:INPUT ACCEPT [0:0]\n"
		":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
	for (int i = 0; i < runs; i++) {
		len += (size_t)snprintf(
			t + len, cap - len,
			"-A INPUT -s 10.%d.0.0/16 -p tcp --dport %d:%d -j DROP\n"
			"-A INPUT -s 10.%d.1.0/24 -p udp --sport %d -j ACCEPT\n"
			"-A INPUT -d 10.%d.2.0/29 -p tcp --tcp-flags SYN,ACK SYN -j DROP\n"
			"-A INPUT -s 10.%d.3.0/28 -f -j DROP\n",
			i, 1000 + i, 1010 + i, i, 2000 + i, i, i);
	}
	snprintf(t + len, cap - len, "COMMIT\n");
	assert_int_equal(
		bf_ipt_parse_restore_str(rs, t, "runs", BF_FAMILY_INET4), 0);
	free(t);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
	bf_ruleset_number(rs);
	return rs;
}

static void test_member_runs(void **state)
{
	struct bf_ruleset *rs;
	struct bf_program *hit = NULL, *old = NULL;
	struct bf_seg_opts o = { .root = false, .index = 0 };
	int counters_fd, pcpu_fd, segs_fd;
	unsigned long n_hit, n_old;

	(void)state;
	BFT_REQUIRE_KERNEL();
	rs = member_runs(60);
	counters_fd = bf_counters_map_create(rs->n_counters);
	pcpu_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bf_segpctx", 4,
				 sizeof(struct bf_seg_pcpu), 1, NULL);
	segs_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "bf_segs", 4, 4,
				 BF_SEG_MAX, NULL);
	assert_true(counters_fd >= 0 && pcpu_fd >= 0 && segs_fd >= 0);
	o.pcpu_fd = pcpu_fd;
	o.segs_fd = segs_fd;
	assert_int_equal(bf_cgen_compile_seg(rs, BF_HOOK_INPUT, BF_FAMILY_INET4,
					     &o, &hit),
			 0);
	n_hit = processed(hit, counters_fd);
	setenv("BPFILTER_LBVS_NO_HIT", "1", 1);
	assert_int_equal(bf_cgen_compile_seg(rs, BF_HOOK_INPUT, BF_FAMILY_INET4,
					     &o, &old),
			 0);
	unsetenv("BPFILTER_LBVS_NO_HIT");
	n_old = processed(old, counters_fd);
	assert_true(hit->n_insns * 4 < old->n_insns * 3);
	assert_true(n_hit > 0 && n_hit < n_old);
	/* no path explosion: each instruction explored about twice at most
	 * (4,395 for 2,180 with the flat field tables of c_lbvs_flat.c; a
	 * forking search costs tens of times its length) */
	assert_true(2 * n_hit < 5 * hit->n_insns);

	bf_program_free(&hit);
	bf_program_free(&old);
	close(counters_fd);
	close(pcpu_fd);
	close(segs_fd);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_general_rules),
		cmocka_unit_test(test_nf_btf_ptrs),
		cmocka_unit_test(test_member_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
