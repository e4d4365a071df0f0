// SPDX-License-Identifier: GPL-2.0-only
/*
 * Incremental changes through segment programs (load/seg.h, doc/live.md):
 *  - random rulesets, random single-rule changes made with the CLI (most
 *    of them replace one segment program): after each change, the
 *    programs in force (run through the attached dispatcher with
 *    BPF_PROG_TEST_RUN) give the same verdict on random packets as one
 *    program compiled from scratch from the ruleset in force
 *    (`iptables-save` / `ip6tables-save`), for IPv4 and for IPv6;
 *  - counters of untouched rules and policies survive changes, and a new
 *    rule that takes a freed counter slot starts from zero;
 *  - the root program is kept without a compile only when nothing it
 *    fills can change (load/segfast.h).
 * Segments are forced on small rulesets with BPFILTER_SEG_MIN and
 * BPFILTER_SEG_RULES. The flood test of e2e_live.c runs with segments too
 * (test_flood_during_segment_changes).
 */
#include <fcntl.h>
#include <sched.h>

#include "../prog/prog_util.h"
#include "bpfilter/front_ipt.h"
/* the helpers of e2e.h this test does not use */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "e2e.h"
#include "load/pin.h"

#define N_RULES 48
#define N_CHANGES 24
#define N_PKTS 400

static unsigned int seed; /* printed at the start */

static unsigned int rnd(unsigned int n)
{
	return (unsigned int)rand_r(&seed) % n;
}

static enum bf_family fam; /* of the test being run */

/* Fold shape (test_fold_cuts4): a long run of /32 sources from FOLD_HOSTS
 * addresses (duplicates in one run), folded into one hash lookup and cut
 * inside by seg_sizes() (BPFILTER_SEG_FOLD_MAX); most changes are such
 * rules, so they land inside folded runs. */
static bool fold_mode;
#define FOLD_HOSTS 48
#define FOLD_RUN 260
/* test_fold_shared4: the run in blocks of FOLD2_EVERY rules of two fold
 * shapes in turn (without and with -p tcp), each block ended by an
 * unfolded rule that matches some of the same packets first; the root
 * looks each shape up once for all segments (cgen/c_segshare.h). */
static bool fold2_mode;
#define FOLD2_EVERY 40
/* test_user_chain4/6: the long chain is the user chain uc (INPUT has a
 * few rules, some jumping to it), cut into segment programs of its own
 * (doc/live.md, "Segmented user chains"); the changes are made in uc. */
static bool user_mode;

static const char *const srcs6[] = { "2001:db8::/64",	 "2001:db8::7",
				     "2001:db8::80/121", "2001:db8:1::9",
				     "2001:db8:1::/124", "2001:db8:2::/126" };
static const char *const hosts6[] = { "2001:db8::7",   "2001:db8::c8",
				      "2001:db8:1::9", "2001:db8:1::3",
				      "2001:db8:2::2", "2001:db8:2::63" };
static const char *const srcs[] = { "198.51.100.0/24",	 "198.51.100.7",
				    "198.51.100.128/25", "203.0.113.9",
				    "203.0.113.0/28",	 "192.0.2.0/30" };
static const char *const hosts[] = { "198.51.100.7", "198.51.100.200",
				     "203.0.113.9",  "203.0.113.3",
				     "192.0.2.2",    "192.0.2.99" };

/* A random rule (iptables arguments after the chain). */
static void rand_rule(char *buf, size_t size, bool in_user)
{
	size_t n = 0;
	unsigned int proto = rnd(3), v = rnd(20);

	if (fold_mode && !in_user && rnd(4)) {
		snprintf(buf, size, "-s 198.51.100.%u %s-j %s", rnd(FOLD_HOSTS),
			 fold2_mode && rnd(2) ? "-p tcp " : "",
			 rnd(2) ? "ACCEPT" : "DROP");
		return;
	}
	/* never a rule without matches: it would end every walk */
	if (rnd(2) || proto == 0)
		n += (size_t)snprintf(buf + n, size - n, "-s %s ",
				      fam == BF_FAMILY_INET6 ? srcs6[rnd(6)] :
							       srcs[rnd(6)]);
	if (rnd(3) == 0)
		n += (size_t)snprintf(buf + n, size - n, "-d %s ",
				      fam == BF_FAMILY_INET6 ? srcs6[rnd(6)] :
							       srcs[rnd(6)]);
	if (proto == 1 || proto == 2) {
		const char *p = proto == 1 ? "tcp" : "udp";
		unsigned int lo = 1000 + rnd(8);

		n += (size_t)snprintf(buf + n, size - n, "-p %s ", p);
		if (rnd(2))
			n += (size_t)snprintf(buf + n, size - n,
					      "--dport %u:%u ", lo,
					      lo + rnd(4));
		if (proto == 1 && rnd(3) == 0)
			n += (size_t)snprintf(buf + n, size - n,
					      "--tcp-flags SYN,ACK SYN ");
	}
	snprintf(buf + n, size - n, "%s",
		 v < 8		    ? "-j ACCEPT" :
		 v < 16		    ? "-j DROP" :
		 v < 17		    ? "-j RETURN" :
		 v < 19 && !in_user ? "-j uc" :
				      "");
}

/* The dispatcher program attached at nf INPUT of namespace ns (family
 * fam). */
static int live_prog(const char *ns)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct bpf_link_info info;
	uint32_t len = sizeof(info);
	int lfd, pfd = -1;

	assert_true(self >= 0);
	assert_int_equal(e2e_enter(ns), 0);
	if (bf_netns_dir(dir, sizeof(dir), false) == 0) {
		snprintf(path, sizeof(path), "%s/nf/link_in%d", dir,
			 fam == BF_FAMILY_INET6 ? 6 : 4);
		lfd = bpf_obj_get(path);
		memset(&info, 0, sizeof(info));
		if (lfd >= 0 && !bpf_obj_get_info_by_fd(lfd, &info, &len))
			pfd = bpf_prog_get_fd_by_id(info.prog_id);
		if (lfd >= 0)
			close(lfd);
	}
	assert_int_equal(setns(self, CLONE_NEWNET), 0);
	close(self);
	return pfd;
}

/* fold_mode: the counter index of each INPUT rule in the last
 * fresh_prog(), and their number. */
static uint32_t *fresh_idx;
static size_t n_fresh_idx;

/* One program compiled from scratch from the ruleset in force. */
static int fresh_prog(const char *ns, struct pu_prog *p)
{
	char *text = NULL;
	struct bf_ruleset *rs = bf_ruleset_new();
	int r;

	assert_non_null(rs);
	assert_int_equal(e2e_cli(&text, ns, "%s",
				 fam == BF_FAMILY_INET6 ? "ip6tables-save" :
							  "iptables-save"),
			 0);
	r = bf_ipt_parse_restore_str(rs, text, "in force", fam);
	if (r)
		printf("cannot parse:\n%s\n", text);
	assert_int_equal(r, 0);
	rs->families = 1u << fam;
	r = pu_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, fam, NULL, p);
	if (!r && fold_mode) {
		const struct bf_chain *in =
			bf_ruleset_builtin(rs, fam, BF_HOOK_INPUT);

		assert_non_null(in);
		free(fresh_idx);
		fresh_idx = calloc(in->n_rules + 1, sizeof(*fresh_idx));
		assert_non_null(fresh_idx);
		for (size_t i = 0; i < in->n_rules; i++)
			fresh_idx[i] = in->rules[i].counter_idx;
		n_fresh_idx = in->n_rules;
	}
	free(text);
	bf_ruleset_free(&rs);
	return r;
}

static struct pu_pkt rand_pkt(void)
{
	const char *const *h = fam == BF_FAMILY_INET6 ? hosts6 : hosts;
	const char *src = h[rnd(6)], *dst = h[rnd(6)];
	char fsrc[20];

	if (fold_mode && rnd(4)) {
		snprintf(fsrc, sizeof(fsrc), "198.51.100.%u",
			 rnd(FOLD_HOSTS + 8));
		src = fsrc;
	}
	uint16_t sp = (uint16_t)(1000 + rnd(12)),
		 dp = (uint16_t)(1000 + rnd(12));

	switch (rnd(3)) {
	case 0:
		return fam == BF_FAMILY_INET6 ?
			       pu_tcp6(src, dst, sp, dp, rnd(2) ? 0x02 : 0x12) :
			       pu_tcp4(src, dst, sp, dp, rnd(2) ? 0x02 : 0x12);
	case 1:
		return fam == BF_FAMILY_INET6 ? pu_udp6(src, dst, sp, dp) :
						pu_udp4(src, dst, sp, dp);
	default: {
		struct pu_pkt p;

		memset(&p, 0, sizeof(p));
		if (fam == BF_FAMILY_INET6)
			pu_v6(&p, src, dst, 58, pu_icmp(p.b + 40, 128, 0));
		else
			pu_v4(&p, src, dst, 1, pu_icmp(p.b + 20, 8, 0), 0);
		return p;
	}
	}
}

static int n_drop, n_accept;

/* The namespace of the test running, deleted by teardown() also when an
 * assertion ends the test early. */
static char cur_ns[16];

static int teardown(void **state)
{
	(void)state;
	fold_mode = fold2_mode = user_mode = false;
	if (cur_ns[0])
		bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; ip netns "
		       "del %s",
		       cur_ns, bft_bpfilter_bin(), cur_ns);
	cur_ns[0] = '\0';
	return 0;
}

/* fold_mode: the packet counters of the INPUT rules in force (n of
 * them), in order. */
static long long *live_counts(const char *ns, size_t n)
{
	json_t *doc = e2e_list(ns);
	long long *v = calloc(n + 1, sizeof(*v));

	assert_non_null(doc);
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = e2e_counter(doc, "nf", "ipv4", "INPUT", i + 1,
				   "packets");
	json_decref(doc);
	return v;
}

/* Verdicts of the programs in force and of a fresh compile agree; in
 * fold_mode the rules' counters (slots in force, cut folded runs) too. */
static void compare(const char *ns)
{
	struct pu_prog live = { .attach = BF_ATTACH_NF,
				.hook = BF_HOOK_INPUT,
				.family = fam,
				.map_fd = -1 };
	struct pu_prog fresh;
	long long *before = NULL;

	live.prog_fd = live_prog(ns);
	assert_true(live.prog_fd >= 0);
	assert_int_equal(fresh_prog(ns, &fresh), 0);
	if (fold_mode)
		before = live_counts(ns, n_fresh_idx);
	for (int i = 0; i < N_PKTS; i++) {
		struct pu_pkt pk = rand_pkt();
		int a = pu_run(&live, pk.b, pk.len, fam);
		int b = pu_run(&fresh, pk.b, pk.len, fam);

		if (a != b)
			fail_msg("packet %d: programs in force say %d, a "
				 "fresh compile says %d",
				 i, a, b);
		if (a == pu_drop(&live))
			n_drop++;
		else if (a == pu_accept(&live))
			n_accept++;
	}
	if (fold_mode) {
		long long *after = live_counts(ns, n_fresh_idx);

		for (size_t i = 0; i < n_fresh_idx; i++) {
			long long want =
				(long long)pu_counter(&fresh, fresh_idx[i])
					.packets;

			if (after[i] - before[i] != want)
				fail_msg("INPUT rule %zu counted %lld packets "
					 "in force, %lld in a fresh compile",
					 i + 1, after[i] - before[i], want);
		}
		free(after);
		free(before);
	}
	close(live.prog_fd);
	pu_close(&fresh);
}

static void same_verdicts(enum bf_family family)
{
	char ns[16], path[] = "/tmp/bf-seg-XXXXXX", rule[256];
	int fd, incremental = 0, snapped = 0, spliced = 0, kept = 0;
	size_t n = N_RULES;
	const char *fopt = family == BF_FAMILY_INET6 ? "-6" : "-4";
	const char *ch = user_mode ? "uc" : "INPUT";
	FILE *f;

	fam = family;
	n_drop = n_accept = 0;
	BFT_REQUIRE_KERNEL();
	/* a new seed each run (BF_TEST_SEED=N repeats one) */
	seed = getenv("BF_TEST_SEED") ?
		       (unsigned int)atoi(getenv("BF_TEST_SEED")) :
		       ((unsigned int)time(NULL) ^ (unsigned int)getpid()
							   << 16) +
			       (unsigned int)fam * 7919u;
	printf("seed %u (BF_TEST_SEED)\n", seed);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f,
		"*filter\n:INPUT %s [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n:uc - [0:0]\n",
		rnd(2) ? "ACCEPT" : "DROP");
	for (size_t i = 0; i < (user_mode ? n : 4); i++) {
		rand_rule(rule, sizeof(rule), true);
		fprintf(f, "-A uc %s\n", rule);
	}
	for (size_t i = 0; i < (user_mode ? 8 : n); i++) {
		rand_rule(rule, sizeof(rule), false);
		/* user_mode: INPUT reaches uc from its first rules on */
		if (user_mode && i % 3 == 1)
			snprintf(rule, sizeof(rule), "-p %s -j uc",
				 i % 2 ? "udp" : "tcp");
		fprintf(f, "-A INPUT %s\n", rule);
		/* fold shape: one long run after the first rules */
		for (size_t j = 0; fold_mode && i == 4 && j < FOLD_RUN; j++) {
			if (fold2_mode && j % FOLD2_EVERY == FOLD2_EVERY - 1)
				fprintf(f,
					"-A INPUT -s 198.51.100.%u/29 -p %s "
					"-j %s\n",
					8 * rnd(FOLD_HOSTS / 8),
					rnd(2) ? "tcp" : "udp",
					rnd(2) ? "ACCEPT" : "DROP");
			else
				fprintf(f,
					"-A INPUT -s 198.51.100.%u %s-j %s\n",
					rnd(FOLD_HOSTS),
					fold2_mode && j / FOLD2_EVERY % 2 ?
						"-p tcp " :
						"",
					rnd(2) ? "ACCEPT" : "DROP");
		}
	}
	if (fold_mode)
		n += FOLD_RUN;
	fprintf(f, "COMMIT\n");
	fclose(f);
	bft_unique_name(ns, sizeof(ns), "seg");
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	snprintf(cur_ns, sizeof(cur_ns), "%s", ns);
	{
		char *out = NULL;

		assert_int_equal(e2e_cli(&out, ns, "-v -v apply %s %s",
					 fam == BF_FAMILY_INET6 ? "-6" : "-4",
					 path),
				 0);
		/* the long folded run was cut inside (seg_sizes()) */
		if (fold_mode && !fold2_mode &&
		    !strstr(out, "cut inside a folded group"))
			fail_msg("no cut inside the folded run:\n%s", out);
		/* the segments' folded groups looked up in the root */
		if (fold_mode && !strstr(out, "fold shapes looked up once"))
			fail_msg("no shared fold lookup in the root:\n%s", out);
		/* uc was cut into segments of its own (load/seg.c) */
		if (user_mode && !strstr(out, "user chains cut too"))
			fail_msg("uc not cut:\n%s", out);
		if (fold2_mode) {
			/* "in4: N segment programs of about M rules" */
			const char *q = strstr(out, "in4: ");
			unsigned int n_seg = 0;
			char sp = 0;

			while (q && sscanf(q, "in4: %u segment program%c",
					   &n_seg, &sp) != 2)
				q = strstr(q + 1, "in4: ");
			if (!q)
				n_seg = 0;
			printf("%u segment programs\n", n_seg);
			if (n_seg < 3)
				fail_msg("%u segments:\n%s", n_seg, out);
		}
		free(out);
	}
	unlink(path);
	compare(ns);
	for (int i = 0; i < N_CHANGES; i++) {
		char *out = NULL;
		unsigned int op = rnd(4);
		int r;

		rand_rule(rule, sizeof(rule), user_mode);
		if (op == 0 || n < 4) {
			r = e2e_cli(&out, ns, "-v -v rule add %s %s %s", fopt,
				    ch, rule);
			n++;
		} else if (op == 1) {
			r = e2e_cli(&out, ns, "-v -v rule insert %s %s %u %s",
				    fopt, ch, 1 + rnd((unsigned int)n), rule);
			n++;
		} else if (op == 2) {
			r = e2e_cli(&out, ns, "-v -v rule delete %s %s %u",
				    fopt, ch, 1 + rnd((unsigned int)n));
			n--;
		} else {
			r = e2e_cli(&out, ns, "-v -v rule replace %s %s %u %s",
				    fopt, ch, 1 + rnd((unsigned int)n), rule);
		}
		if (r)
			printf("%s\n", out);
		assert_int_equal(r, 0);
		if (strstr(out, "(one segment)"))
			incremental++;
		/* the ruleset came from the IR snapshot (load/irsnap.h) */
		if (strstr(out, "bytes decoded in"))
			snapped++;
		/* a one-segment change wrote its snapshot by copying the
		 * unchanged rules' records (irsnap.c, splice) */
		if (strstr(out, "(one segment)") && strstr(out, "spliced in"))
			spliced++;
		/* the root in force kept without a compile (segfast.h) */
		if (strstr(out, "root in force stays"))
			kept++;
		/* the state text edited in place equals the printed one
		 * (BPFILTER_SEG_CHECK), the IR snapshot the parsed text
		 * (BPFILTER_IRSNAP_CHECK) */
		assert_null(strstr(out, "differs"));
		free(out);
		compare(ns);
	}
	printf("%d of %d changes replaced one segment program; %d packets "
	       "dropped, %d accepted\n",
	       incremental, N_CHANGES, n_drop, n_accept);
	/* every change read the ruleset in force from its IR snapshot
	 * (apply and each change write one) */
	printf("%d of %d changes decoded the IR snapshot\n", snapped,
	       N_CHANGES);
	assert_int_equal(snapped, N_CHANGES);
	printf("%d of %d one-segment changes spliced the IR snapshot\n",
	       spliced, incremental);
	assert_int_equal(spliced, incremental);
	printf("%d of %d changes kept the root without compiling it\n", kept,
	       N_CHANGES);
	/* the packets exercised both verdicts */
	assert_true(n_drop > 0 && n_accept > 0);
	/* a few changes may need a full rebuild (a segment that grew too
	 * much); most must not */
	assert_true(incremental >= N_CHANGES / 2);
}

static void test_same_verdicts4(void **state)
{
	(void)state;
	same_verdicts(BF_FAMILY_INET4);
}

/* Cuts inside a folded run, changes inside folded runs (duplicates of
 * one address included). */
static void test_fold_cuts4(void **state)
{
	(void)state;
	fold_mode = true;
	setenv("BPFILTER_SEG_RULES", "64", 1);
	setenv("BPFILTER_SEG_FOLD_MAX", "100", 1);
	same_verdicts(BF_FAMILY_INET4);
	setenv("BPFILTER_SEG_RULES", "4", 1);
	unsetenv("BPFILTER_SEG_FOLD_MAX");
	fold_mode = false;
}

/* Two fold shapes in groups of many segments, duplicates of one address
 * within and across segments, unfolded rules in between: verdicts and
 * counters of the shared lookups (cgen/c_segshare.h), also after changes
 * (a segment compiled again alone has its own maps, the others still
 * read the root's rows). */
static void test_fold_shared4(void **state)
{
	(void)state;
	fold_mode = fold2_mode = true;
	setenv("BPFILTER_SEG_RULES", "8", 1);
	setenv("BPFILTER_SEG_FOLD_MAX", "70", 1);
	same_verdicts(BF_FAMILY_INET4);
	setenv("BPFILTER_SEG_RULES", "4", 1);
	unsetenv("BPFILTER_SEG_FOLD_MAX");
	fold_mode = fold2_mode = false;
}

static void test_same_verdicts6(void **state)
{
	(void)state;
	same_verdicts(BF_FAMILY_INET6);
}

/* The same, with the rules and the changes in the user chain uc. */
static void test_user_chain4(void **state)
{
	(void)state;
	user_mode = true;
	same_verdicts(BF_FAMILY_INET4);
}

static void test_user_chain6(void **state)
{
	(void)state;
	user_mode = true;
	same_verdicts(BF_FAMILY_INET6);
}

static long long counter_of(const char *ns, size_t num)
{
	json_t *doc = e2e_list(ns);
	long long v;

	assert_non_null(doc);
	v = e2e_counter(doc, "nf", "ipv4", "INPUT", num, "packets");
	json_decref(doc);
	return v;
}

static void send_n(int prog_fd, const char *src, uint16_t dport, int n)
{
	struct pu_prog live = { .prog_fd = prog_fd,
				.attach = BF_ATTACH_NF,
				.hook = BF_HOOK_INPUT,
				.family = BF_FAMILY_INET4 };

	for (int i = 0; i < n; i++) {
		struct pu_pkt pk = pu_udp4(src, "192.0.2.1", 4000, dport);

		assert_true(pu_run(&live, pk.b, pk.len, BF_FAMILY_INET4) >= 0);
	}
}

static void test_counters_kept(void **state)
{
	char ns[16], *out = NULL;
	int fd;

	(void)state;
	BFT_REQUIRE_KERNEL();
	fam = BF_FAMILY_INET4;
	bft_unique_name(ns, sizeof(ns), "segc");
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	snprintf(cur_ns, sizeof(cur_ns), "%s", ns);
	/* rule 2 counts 198.51.100.2:7777; rules 1..20 otherwise match
	 * nothing we send */
	for (int i = 1; i <= 20; i++)
		assert_int_equal(
			e2e_cli(NULL, ns,
				"iptables -A INPUT -s 203.0.113.%d -p udp "
				"--dport %d -j ACCEPT",
				i == 2 ? 202 : i, i == 2 ? 7777 : 1000 + i),
			0);
	assert_int_equal(e2e_cli(NULL, ns,
				 "iptables -R INPUT 2 -s "
				 "198.51.100.2 -p udp --dport 7777 "
				 "-j ACCEPT"),
			 0);
	fd = live_prog(ns);
	assert_true(fd >= 0);
	send_n(fd, "198.51.100.2", 7777, 5);
	send_n(fd, "198.51.100.3", 9, 3); /* policy */
	close(fd);
	assert_int_equal(counter_of(ns, 2), 5);
	assert_int_equal(counter_of(ns, 0), 3);
	/* changes in other segments (and this one's end): every one of
	 * them replaces one segment program */
	const char *const changes[] = {
		"rule add INPUT -s 203.0.113.50 -j DROP",
		"rule insert INPUT 15 -s 203.0.113.51 -j DROP",
		"rule delete INPUT 10",
		"rule replace INPUT 18 -s 203.0.113.52 -j ACCEPT",
		"rule insert INPUT 3 -s 203.0.113.53 -j DROP",
	};
	for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
		assert_int_equal(e2e_cli(&out, ns, "-v -v %s", changes[i]), 0);
		assert_non_null(strstr(out, "(one segment)"));
		free(out);
		out = NULL;
		assert_int_equal(counter_of(ns, 2), 5);
		assert_int_equal(counter_of(ns, 0), 3);
	}
	fd = live_prog(ns);
	send_n(fd, "198.51.100.2", 7777, 2);
	close(fd);
	assert_int_equal(counter_of(ns, 2), 7);
	/* a deleted rule's slot, taken by a new rule, starts at zero: the
	 * four slots freed so far (rule 2 with its 7 packets, the rules
	 * deleted and replaced above) are the lowest free ones, taken by
	 * the next four new rules */
	assert_int_equal(e2e_cli(NULL, ns, "rule delete INPUT 2"), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(e2e_cli(NULL, ns,
					 "rule add INPUT -s 198.51.100.%d -j "
					 "DROP",
					 20 + i),
				 0);
	assert_int_equal(e2e_cli(NULL, ns,
				 "rule add INPUT -s 198.51.100.2 "
				 "-p udp --dport 7777 -j ACCEPT"),
			 0);
	for (size_t num = 22; num <= 26; num++)
		assert_int_equal(counter_of(ns, num), 0);
	fd = live_prog(ns);
	send_n(fd, "198.51.100.2", 7777, 1);
	close(fd);
	assert_int_equal(counter_of(ns, 26), 1);
	assert_int_equal(counter_of(ns, 0), 3);
}

/* Counters, generation and the state text across one-segment changes in
 * a segmented user chain (doc/live.md, "Segmented user chains"). */
static long long uc_counter(const char *ns, const char *chain, size_t num,
			    long long *gen)
{
	json_t *doc = e2e_list(ns);
	long long v;

	assert_non_null(doc);
	v = e2e_counter(doc, "nf", "ipv4", chain, num, "packets");
	if (gen)
		*gen = e2e_generation(doc, "nf");
	json_decref(doc);
	return v;
}

static void test_user_counters(void **state)
{
	char ns[16], *out = NULL, *save = NULL;
	long long gen0 = -1, gen = -1;
	int fd;

	(void)state;
	BFT_REQUIRE_KERNEL();
	fam = BF_FAMILY_INET4;
	bft_unique_name(ns, sizeof(ns), "segu");
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	snprintf(cur_ns, sizeof(cur_ns), "%s", ns);
	/* INPUT: -j USR (UDP), then a DROP for 198.51.100.9; USR: 20 rules,
	 * rule 2 counts 198.51.100.2:7777, a RETURN at 12 for 198.51.100.9 */
	assert_int_equal(e2e_cli(NULL, ns, "iptables -N USR"), 0);
	assert_int_equal(e2e_cli(NULL, ns, "iptables -A INPUT -p udp -j USR"),
			 0);
	assert_int_equal(e2e_cli(NULL, ns,
				 "iptables -A INPUT -s 198.51.100.9 -j DROP"),
			 0);
	for (int i = 1; i <= 20; i++)
		assert_int_equal(
			e2e_cli(NULL, ns, "iptables -A USR %s",
				i == 2	? "-s 198.51.100.2 -p udp --dport 7777 "
					  "-j ACCEPT" :
				i == 12 ? "-s 198.51.100.9 -j RETURN" :
					  "-s 203.0.113.1 -p udp --dport 1 -j "
					  "DROP"),
			0);
	/* a full rebuild (a new chain) cuts USR */
	assert_int_equal(e2e_cli(&out, ns, "-v -v iptables -N ZZZ"), 0);
	if (!strstr(out, "user chains cut too"))
		fail_msg("USR not cut:\n%s", out);
	free(out);
	out = NULL;
	fd = live_prog(ns);
	assert_true(fd >= 0);
	send_n(fd, "198.51.100.2", 7777, 5); /* USR 2: ACCEPT */
	send_n(fd, "198.51.100.3", 9, 3); /* USR's end, INPUT's policy */
	send_n(fd, "198.51.100.9", 9, 4); /* USR 12 RETURN, INPUT 2 DROP */
	close(fd);
	assert_int_equal(uc_counter(ns, "USR", 2, &gen0), 5);
	assert_int_equal(uc_counter(ns, "USR", 12, NULL), 4);
	assert_int_equal(uc_counter(ns, "INPUT", 1, NULL), 12);
	assert_int_equal(uc_counter(ns, "INPUT", 2, NULL), 4);
	assert_int_equal(uc_counter(ns, "INPUT", 0, NULL), 3);
	const char *const changes[] = {
		"rule add USR -s 203.0.113.50 -j DROP",
		"rule insert USR 15 -s 203.0.113.51 -j DROP",
		"rule delete USR 10",
		"rule replace USR 18 -s 203.0.113.52 -j ACCEPT",
		"rule insert USR 3 -s 203.0.113.53 -j DROP",
		"rule insert USR 1 -s 198.51.100.9 -j DROP",
	};
	for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
		assert_int_equal(e2e_cli(&out, ns, "-v -v %s", changes[i]), 0);
		if (!strstr(out, "(one segment)"))
			fail_msg("%s: not one segment:\n%s", changes[i], out);
		assert_null(strstr(out, "differs"));
		free(out);
		out = NULL;
		assert_int_equal(uc_counter(ns, "INPUT", 1, &gen), 12);
		assert_int_equal(gen, gen0 + 1 + (long long)i);
		assert_int_equal(uc_counter(ns, "INPUT", 0, NULL), 3);
		/* USR 2 moved to 3 by the insertion at 1 */
		assert_int_equal(uc_counter(ns, "USR", i < 5 ? 2 : 3, NULL), 5);
	}
	/* a match that no hook reaching USR (INPUT) allows: refused by the
	 * incremental check as by the whole one (BPFILTER_SEG_CHECK) */
	assert_int_not_equal(
		e2e_cli(&out, ns,
			"rule add USR -m owner --uid-owner 0 -j DROP"),
		0);
	free(out);
	out = NULL;
	/* the text in force: USR as changed */
	assert_int_equal(e2e_cli(&save, ns, "iptables-save"), 0);
	assert_non_null(strstr(save, "-A USR -s 198.51.100.9/32 -j DROP\n"
				     "-A USR -s 203.0.113.1/32 -p udp -m udp "
				     "--dport 1 -j DROP\n"
				     "-A USR -s 198.51.100.2/32 -p udp -m udp "
				     "--dport 7777 -j ACCEPT\n"
				     "-A USR -s 203.0.113.53/32 -j DROP\n"));
	assert_non_null(strstr(save, "-A USR -s 203.0.113.50/32 -j DROP\n"
				     "COMMIT"));
	free(save);
	/* the new USR 1 drops 198.51.100.9 now, and is counted */
	fd = live_prog(ns);
	send_n(fd, "198.51.100.9", 9, 2);
	send_n(fd, "198.51.100.2", 7777, 1);
	close(fd);
	assert_int_equal(uc_counter(ns, "USR", 1, NULL), 2);
	assert_int_equal(uc_counter(ns, "USR", 3, NULL), 6);
	assert_int_equal(uc_counter(ns, "INPUT", 2, NULL), 4);
	assert_int_equal(uc_counter(ns, "INPUT", 1, NULL), 15);
	compare(ns);
}

/* The root program of segments is not compiled for a change of neutral
 * rules when the root in force needs nothing (load/segfast.h); a rule
 * that needs a new prologue field rebuilds it, and a neutral change
 * while such a rule is in force compiles it again. BPFILTER_SEG_ROOT_CHECK
 * (set in main()) compiles the root for every change and fails one whose
 * kept root differs. */
static void root_step(const char *ns, const char *change, int one_segment,
		      int kept)
{
	char *out = NULL;

	assert_int_equal(e2e_cli(&out, ns, "-v -v %s", change), 0);
	if ((one_segment >= 0 &&
	     !strstr(out, "(one segment)") != !one_segment) ||
	    (kept >= 0 && !strstr(out, "root in force stays") != !kept) ||
	    strstr(out, "differs"))
		fail_msg("%s: expected one segment %d, root kept %d:\n%s",
			 change, one_segment, kept, out);
	free(out);
	compare(ns);
}

static void test_root_needs(void **state)
{
	char ns[16], path[] = "/tmp/bf-segr-XXXXXX";
	int fd;
	FILE *f;

	(void)state;
	BFT_REQUIRE_KERNEL();
	fam = BF_FAMILY_INET4;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		   ":OUTPUT ACCEPT [0:0]\n");
	for (int i = 0; i < 24; i++)
		fprintf(f,
			"-A INPUT -s 198.51.100.%d -p udp --dport %d -j %s\n",
			i, 1000 + i % 12, i % 2 ? "ACCEPT" : "DROP");
	fprintf(f, "COMMIT\n");
	fclose(f);
	bft_unique_name(ns, sizeof(ns), "segr");
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	snprintf(cur_ns, sizeof(cur_ns), "%s", ns);
	assert_int_equal(e2e_cli(NULL, ns, "apply -4 %s", path), 0);
	unlink(path);
	root_step(ns, "rule add INPUT -s 198.51.100.200 -j DROP", true, true);
	/* the mark: a new prologue field, the root is rebuilt */
	root_step(ns,
		  "rule insert INPUT 3 -m mark --mark 0x0/0x1 -p tcp -j DROP",
		  false, false);
	/* neutral, but the root in force fills the mark: compiled, kept */
	root_step(ns, "rule replace INPUT 9 -s 198.51.100.7 -j ACCEPT", true,
		  false);
	/* the last mark rule gone: the root changes again */
	root_step(ns, "rule delete INPUT 3", false, false);
	root_step(ns, "rule insert INPUT 12 -s 198.51.100.201 -p tcp -j DROP",
		  true, true);
	/* the MAC address (INPUT) */
	root_step(
		ns,
		"rule add INPUT -m mac --mac-source 02:00:00:00:00:01 -j DROP",
		false, false);
	/* a neutral change while it is in force, then it goes */
	root_step(ns, "rule delete INPUT 25", true, false);
	root_step(ns,
		  "rule delete INPUT -m mac --mac-source 02:00:00:00:00:01 "
		  "-j DROP",
		  false, false);
	/* conntrack: the state's flags follow (BPFILTER_SEG_CHECK compares
	 * them with a walk of every rule); the root does not read it at nf */
	root_step(ns,
		  "rule insert INPUT 5 -m state --state ESTABLISHED -j ACCEPT",
		  -1, -1);
	root_step(ns, "rule add INPUT -s 198.51.100.202 -j DROP", -1, -1);
	root_step(ns, "rule delete INPUT 5", -1, -1);
	root_step(ns, "rule add INPUT -s 198.51.100.203 -j DROP", true, true);
}

/* The verdict of the programs in force on a UDP datagram from src. */
static int verdict_of(const char *ns, const char *src)
{
	struct pu_prog live = { .attach = BF_ATTACH_NF,
				.hook = BF_HOOK_INPUT,
				.family = BF_FAMILY_INET4,
				.map_fd = -1 };
	struct pu_pkt pk = pu_udp4(src, "192.0.2.1", 4000, 53);
	int v;

	live.prog_fd = live_prog(ns);
	assert_true(live.prog_fd >= 0);
	v = pu_run(&live, pk.b, pk.len, BF_FAMILY_INET4);
	assert_true(v == pu_drop(&live) || v == pu_accept(&live));
	v = v == pu_drop(&live);
	close(live.prog_fd);
	return v; /* 1: dropped */
}

static void maps_step(const char *ns, const char *change)
{
	char *out = NULL;

	assert_int_equal(e2e_cli(&out, ns, "-v -v %s", change), 0);
	if (!strstr(out, "(one segment)"))
		fail_msg("%s: not one segment:\n%s", change, out);
	free(out);
}

/* Segments that use a set, LOG and limit state (load/seg.h, "What a
 * segment may hold"): cut, one-segment changes next to and of the set
 * rule, and the set's elements changed afterwards reach the new segment
 * program (it uses the set map in force). */
static void test_maps_in_segments(void **state)
{
	char ns[16], rules[] = "/tmp/bf-segm-XXXXXX",
		     sets[] = "/tmp/bf-segs-XXXXXX", *out = NULL;
	int fd;
	FILE *f;

	(void)state;
	BFT_REQUIRE_KERNEL();
	fam = BF_FAMILY_INET4;
	setenv("BPFILTER_SEG_RULES", "2", 1);
	setenv("BPFILTER_SEG_FOLD", "0", 1);
	fd = mkstemp(sets);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "create bad hash:ip family inet hashsize 1024 maxelem "
		   "65536\nadd bad 198.51.100.7\n");
	fclose(f);
	fd = mkstemp(rules);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		   ":OUTPUT ACCEPT [0:0]\n"
		   "-A INPUT -s 203.0.113.1 -p tcp -j DROP\n"
		   "-A INPUT -s 203.0.113.2 -p tcp -j DROP\n"
		   "-A INPUT -m limit --limit 10000/sec --limit-burst 10000 "
		   "-j LOG --log-prefix \"segm: \"\n"
		   "-A INPUT -s 203.0.113.3 -p tcp -j DROP\n"
		   "-A INPUT -m set --match-set bad src -j DROP\n"
		   "-A INPUT -s 203.0.113.4 -p tcp -j DROP\n"
		   "-A INPUT -s 203.0.113.5 -p tcp -j DROP\n"
		   "COMMIT\n");
	fclose(f);
	bft_unique_name(ns, sizeof(ns), "segm");
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	snprintf(cur_ns, sizeof(cur_ns), "%s", ns);
	assert_int_equal(
		e2e_cli(&out, ns, "-v -v apply --ipset %s %s", sets, rules), 0);
	unlink(rules);
	unlink(sets);
	if (!strstr(out, "in4: 4 segment programs"))
		fail_msg("INPUT not cut in 4:\n%s", out);
	free(out);
	assert_int_equal(verdict_of(ns, "198.51.100.7"), 1);
	assert_int_equal(verdict_of(ns, "198.51.100.8"), 0);
	/* the set rule's segment (rules 5-6), next to it, then of it */
	maps_step(ns, "rule replace INPUT 6 -s 203.0.113.14 -p tcp -j DROP");
	assert_int_equal(verdict_of(ns, "198.51.100.7"), 1);
	assert_int_equal(verdict_of(ns, "198.51.100.8"), 0);
	maps_step(ns, "rule replace INPUT 5 -m set --match-set bad src -p udp "
		      "-j DROP");
	assert_int_equal(verdict_of(ns, "198.51.100.7"), 1);
	assert_int_equal(verdict_of(ns, "198.51.100.8"), 0);
	/* the LOG and limit rule's segment */
	maps_step(ns, "rule replace INPUT 4 -s 203.0.113.13 -p tcp -j DROP");
	/* an element added: the new segment program sees it */
	assert_int_equal(e2e_cli(NULL, ns, "set add bad 198.51.100.8"), 0);
	assert_int_equal(verdict_of(ns, "198.51.100.8"), 1);
	assert_int_equal(verdict_of(ns, "198.51.100.9"), 0);
	setenv("BPFILTER_SEG_RULES", "4", 1);
	unsetenv("BPFILTER_SEG_FOLD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_same_verdicts4, teardown),
		cmocka_unit_test_teardown(test_same_verdicts6, teardown),
		cmocka_unit_test_teardown(test_user_chain4, teardown),
		cmocka_unit_test_teardown(test_user_chain6, teardown),
		cmocka_unit_test_teardown(test_user_counters, teardown),
		cmocka_unit_test_teardown(test_counters_kept, teardown),
		cmocka_unit_test_teardown(test_root_needs, teardown),
		cmocka_unit_test_teardown(test_fold_cuts4, teardown),
		cmocka_unit_test_teardown(test_fold_shared4, teardown),
		cmocka_unit_test_teardown(test_maps_in_segments, teardown),
	};

	/* segment programs on small rulesets (load/seg.c) */
	setenv("BPFILTER_SEG_MIN", "1", 1);
	setenv("BPFILTER_SEG_RULES", "4", 1);
	setenv("BPFILTER_SEG_CHECK", "1", 1);
	setenv("BPFILTER_IRSNAP_CHECK", "1", 1);
	setenv("BPFILTER_SEG_ROOT_CHECK", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
