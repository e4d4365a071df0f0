// SPDX-License-Identifier: GPL-2.0-only
/*
 * User BPF code in rules (include/bpfilter/usermatch.h,
 * doc/user-matches.md), run with BPF_PROG_TEST_RUN:
 *  - differential: a rule calling a C matcher (examples/udp_dport53.bpf.c)
 *    or a classic BPF program between ordinary rules keeps first-match
 *    order: same verdict for every probe and same rule counters as the
 *    ruleset where the call is replaced by `-p udp --dport 53`, at the
 *    netfilter, tc and XDP hooks, IPv4 and IPv6;
 *  - -j BPF --object: the function's return value is the verdict;
 *  - classic BPF semantics of xt_bpf (offset 0 = network header, loads
 *    out of bounds return 0, division by X = 0 returns 0, scratch memory,
 *    ancillary protocol);
 *  - malformed objects are refused with errors naming the object.
 * The objects come from `make tests` (examples/ and tests/bpf/, built
 * with clang next to the bpfilter binary).
 */
#include <libgen.h>

#include "bpfilter/front_ipt.h"
#include "prog_util.h"

/* ---- objects and messages ---- */

static const char *obj(const char *dir, const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	char bin[512];

	snprintf(bin, sizeof(bin), "%s", bft_bpfilter_bin());
	snprintf(p, 512, "%s/%s/%s", dirname(bin), dir, name);
	if (access(p, R_OK))
		fail_msg("%s is missing: build it with `make tests`", p);
	return p;
}

static char logbuf[16384];

static void log_fn(enum bf_log_level level, const char *msg, void *data)
{
	size_t len = strlen(logbuf);

	(void)data;
	if (level <= BF_LOG_WARN && len + strlen(msg) + 2 < sizeof(logbuf))
		snprintf(logbuf + len, sizeof(logbuf) - len, "%s\n", msg);
	if (getenv("BF_TEST_VERBOSE"))
		fprintf(stderr, "  log: %s\n", msg);
}

static void assert_logged(const char *needle)
{
	if (!strstr(logbuf, needle))
		fail_msg("expected \"%s\" in the messages:\n%s", needle,
			 logbuf);
}

/* Parse an IPv4 or IPv6 filter table (rules: the -A lines). */
static struct bf_ruleset *parse(enum bf_family fam, const char *rules)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	char *text = NULL;

	assert_non_null(rs);
	assert_true(asprintf(&text,
			     "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT "
			     "[0:0]\n:OUTPUT ACCEPT [0:0]\n%sCOMMIT\n",
			     rules) > 0);
	logbuf[0] = '\0';
	bf_log_set(log_fn, NULL);
	if (bf_ipt_parse_restore_str(rs, text, "test.rules", fam))
		fail_msg("parse error:\n%s\n%s", logbuf, text);
	rs->families = 1u << fam;
	free(text);
	return rs;
}

/* Compile and load with our log callback; 0 or -errno. */
static int load(struct bf_ruleset *rs, enum bf_attach_kind attach,
		enum bf_family fam, struct pu_prog *p)
{
	struct bf_program *prog = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	p->prog_fd = p->map_fd = -1;
	logbuf[0] = '\0';
	bf_log_set(log_fn, NULL);
	bf_ruleset_number(rs);
	r = bf_cgen_compile(rs, attach, BF_HOOK_INPUT, fam,
			    attach == BF_ATTACH_NF ? NULL : "lo", &prog);
	if (r)
		return r;
	p->n_counters = rs->n_counters;
	p->map_fd = bf_counters_map_create(rs->n_counters);
	assert_true(p->map_fd >= 0);
	p->prog_fd = bf_program_load(prog, p->map_fd, NULL, 0);
	bf_program_free(&prog);
	if (p->prog_fd < 0)
		return p->prog_fd;
	p->attach = attach;
	p->hook = BF_HOOK_INPUT;
	p->family = fam;
	return 0;
}

/* ---- differential: first-match order ---- */

#define RULES_HEAD                                                             \
	"-A INPUT -p tcp --dport 22 -j ACCEPT\n"                               \
	"-A INPUT -p udp --dport 5353 -j DROP\n"
#define RULES_TAIL                                                             \
	"-A INPUT -p udp --sport 53 -j DROP\n"                                 \
	"-A INPUT -p udp -j ACCEPT\n"                                          \
	"-A INPUT -p tcp --dport 53 -j DROP\n"                                 \
	"-A INPUT -j DROP\n"

/* "udp dport 53" in classic BPF (IPv4: offset 0 is the IPv4 header):
 * ldb [9]; jeq #17 else ret 0; ldh [6]; jset #0x1fff (fragment) ret 0;
 * ldxb 4*([0]&0xf); ldh [x+2]; jeq #53 ret 1; ret 0 */
#define CBPF_UDP53                                                             \
	"\"9,48 0 0 9,21 0 5 17,40 0 0 6,69 3 0 8191,177 0 0 0,72 0 0 2,"      \
	"21 1 0 53,6 0 0 0,6 0 0 1\""

static struct pu_pkt random_probe(enum bf_family fam, unsigned int *seed,
				  int *pfam)
{
	static const uint16_t ports[] = { 22, 53, 53, 80, 5353, 1024, 0 };
	static const char *const src4[] = { "192.0.2.1", "198.51.100.7",
					    "203.0.113.9" };
	static const char *const src6[] = { "2001:db8::1", "2001:db8:1::2" };
	struct pu_spec s;
	int k = rand_r(seed) % 10;

	memset(&s, 0, sizeof(s));
	s.fam = fam;
	s.src = fam == BF_FAMILY_INET4 ? src4[rand_r(seed) % 3] :
					 src6[rand_r(seed) % 2];
	s.dst = fam == BF_FAMILY_INET4 ? "192.0.2.2" : "2001:db8::2";
	s.proto = k < 4 ? 17 : k < 8 ? 6 : fam == BF_FAMILY_INET4 ? 1 : 58;
	s.sport = ports[rand_r(seed) % 7];
	s.dport = ports[rand_r(seed) % 7];
	if (!s.sport)
		s.sport = (uint16_t)(rand_r(seed) % 65536);
	if (!s.dport)
		s.dport = (uint16_t)(rand_r(seed) % 65536);
	s.flags = 0x02;
	if (rand_r(seed) % 8 == 0) {
		/* a non-first fragment: no transport header to match */
		if (fam == BF_FAMILY_INET4) {
			s.frag = 0x0020; /* offset 32 bytes */
		} else {
			s.n_ext = 1;
			s.ext[0] = 44;
			s.ext_frag = 64;
		}
	} else if (fam == BF_FAMILY_INET6 && rand_r(seed) % 6 == 0) {
		s.n_ext = 2; /* hop-by-hop, destination options */
		s.ext[0] = 0;
		s.ext[1] = 60;
	}
	*pfam = fam;
	return pu_build(&s);
}

static void differential(enum bf_attach_kind attach, enum bf_family fam,
			 const char *call)
{
	char *with_call = NULL, *plain = NULL;
	struct bf_ruleset *a, *b;
	struct pu_prog pa, pb;
	unsigned int seed = 7 + attach * 3 + fam;
	int accepted = 0, dropped = 0;

	assert_true(asprintf(&with_call, RULES_HEAD "%s -j DROP\n" RULES_TAIL,
			     call) > 0);
	assert_true(
		asprintf(&plain, RULES_HEAD
			 "-A INPUT -p udp --dport 53 -j DROP\n" RULES_TAIL) >
		0);
	a = parse(fam, with_call);
	b = parse(fam, plain);
	if (load(a, attach, fam, &pa))
		fail_msg("load with user code failed:\n%s", logbuf);
	assert_int_equal(load(b, attach, fam, &pb), 0);
	for (int i = 0; i < 3000; i++) {
		int f;
		struct pu_pkt p = random_probe(fam, &seed, &f);
		int va = pu_run(&pa, p.b, p.len, f);
		int vb = pu_run(&pb, p.b, p.len, f);

		if (va != vb)
			fail_msg("probe %d: verdict %d with %s, %d with -p udp "
				 "--dport 53",
				 i, va, call, vb);
		accepted += va == pu_accept(&pa);
		dropped += va == pu_drop(&pa);
	}
	/* every rule saw the same packets */
	assert_int_equal(a->n_counters, b->n_counters);
	for (uint32_t i = 0; i < a->n_counters; i++) {
		struct bf_counter ca = pu_counter(&pa, i),
				  cb = pu_counter(&pb, i);

		if (ca.packets != cb.packets || ca.bytes != cb.bytes)
			fail_msg("counter %u: %llu/%llu vs %llu/%llu", i,
				 (unsigned long long)ca.packets,
				 (unsigned long long)ca.bytes,
				 (unsigned long long)cb.packets,
				 (unsigned long long)cb.bytes);
	}
	/* the probes exercised both outcomes and the call's own rule */
	assert_true(accepted > 100 && dropped > 100);
	assert_true(pu_counter(&pa, bf_ruleset_builtin(a, fam, BF_HOOK_INPUT)
					    ->rules[2]
					    .counter_idx)
			    .packets > 50);
	pu_close(&pa);
	pu_close(&pb);
	bf_ruleset_free(&a);
	bf_ruleset_free(&b);
	free(with_call);
	free(plain);
}

static void test_diff_c_matcher(void **state)
{
	char call[700];
	static const enum bf_attach_kind at[] = { BF_ATTACH_NF, BF_ATTACH_TC,
						  BF_ATTACH_XDP };

	(void)state;
	BFT_REQUIRE_KERNEL();
	snprintf(call, sizeof(call), "-A INPUT -m bpf --object %s",
		 obj("examples", "udp_dport53.bpf.o"));
	for (size_t i = 0; i < 3; i++) {
		differential(at[i], BF_FAMILY_INET4, call);
		differential(at[i], BF_FAMILY_INET6, call);
	}
}

static void test_diff_cbpf(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	differential(BF_ATTACH_NF, BF_FAMILY_INET4,
		     "-A INPUT -m bpf --bytecode " CBPF_UDP53);
	differential(BF_ATTACH_TC, BF_FAMILY_INET4,
		     "-A INPUT -m bpf --bytecode " CBPF_UDP53);
	differential(BF_ATTACH_XDP, BF_FAMILY_INET4,
		     "-A INPUT -m bpf --bytecode " CBPF_UDP53);
}

/* ---- classic BPF semantics ---- */

/* Verdict of a one-rule ruleset "-m bpf --bytecode BC -j DROP" on p. */
static bool cbpf_drops(const char *bc, const struct pu_pkt *p, int fam)
{
	char *rules = NULL;
	struct bf_ruleset *rs;
	struct pu_prog pp;
	int v;

	assert_true(asprintf(&rules,
			     "-A INPUT -m bpf --bytecode \"%s\" -j DROP\n",
			     bc) > 0);
	rs = parse(fam, rules);
	if (load(rs, BF_ATTACH_NF, fam, &pp))
		fail_msg("%s: load failed:\n%s", bc, logbuf);
	v = pu_run(&pp, p->b, p->len, fam);
	pu_close(&pp);
	bf_ruleset_free(&rs);
	free(rules);
	return v == NF_DROP;
}

static void test_cbpf_semantics(void **state)
{
	struct pu_pkt u = pu_udp4("192.0.2.1", "192.0.2.2", 1234, 53);
	struct pu_pkt u6 = pu_udp6("2001:db8::1", "2001:db8::2", 1234, 53);
	char bc[128];

	(void)state;
	BFT_REQUIRE_KERNEL();
	/* offset 0 is the IPv4 header: version/IHL byte 0x45 */
	assert_false(cbpf_drops("4,48 0 0 0,21 0 1 70,6 0 0 1,6 0 0 0", &u,
				BF_FAMILY_INET4));
	assert_true(cbpf_drops("4,48 0 0 0,21 0 1 69,6 0 0 1,6 0 0 0", &u,
			       BF_FAMILY_INET4));
	/* a word load, big endian: the source address */
	assert_true(cbpf_drops("4,32 0 0 12,21 0 1 3221225985,6 0 0 1,6 0 0 0",
			       &u, BF_FAMILY_INET4));
	/* a load past the end returns 0 at once (even "ret 1" after it) */
	snprintf(bc, sizeof(bc), "2,48 0 0 %zu,6 0 0 1", u.len);
	assert_false(cbpf_drops(bc, &u, BF_FAMILY_INET4));
	snprintf(bc, sizeof(bc), "2,48 0 0 %zu,6 0 0 1", u.len - 1);
	assert_true(cbpf_drops(bc, &u, BF_FAMILY_INET4));
	/* indirect: X + k out of bounds -> 0 */
	snprintf(bc, sizeof(bc), "3,1 0 0 %zu,80 0 0 0,6 0 0 1", u.len);
	assert_false(cbpf_drops(bc, &u, BF_FAMILY_INET4));
	/* len: A = packet length from the network header */
	snprintf(bc, sizeof(bc), "4,128 0 0 0,21 0 1 %zu,6 0 0 1,6 0 0 0",
		 u.len);
	assert_true(cbpf_drops(bc, &u, BF_FAMILY_INET4));
	/* division by X = 0 returns 0; by 2 goes on */
	assert_false(cbpf_drops("4,0 0 0 8,1 0 0 0,60 0 0 0,6 0 0 1", &u,
				BF_FAMILY_INET4));
	assert_true(cbpf_drops("4,0 0 0 8,1 0 0 2,60 0 0 0,22 0 0 0", &u,
			       BF_FAMILY_INET4));
	/* scratch memory: M[3] = 7; A = 0; A = M[3]; ret A */
	assert_true(cbpf_drops("5,0 0 0 7,2 0 0 3,0 0 0 0,96 0 0 3,22 0 0 0",
			       &u, BF_FAMILY_INET4));
	/* ancillary protocol: ETH_P_IPV6 in an IPv6 table */
	assert_true(
		cbpf_drops("4,40 0 0 4294963200,21 0 1 34525,6 0 0 1,6 0 0 0",
			   &u6, BF_FAMILY_INET6));
	/* SKF_NET_OFF + 9 is offset 9 (protocol 17) */
	assert_true(cbpf_drops("4,48 0 0 4293918729,21 0 1 17,6 0 0 1,6 0 0 0",
			       &u, BF_FAMILY_INET4));
}

static void test_cbpf_refused(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	static const struct {
		const char *bc, *why;
	} bad[] = {
		{ "2,6 0 0 1", "expected \"code jt jf k\"" },
		{ "1,6 0 0 1,6 0 0 0", "more instructions than the count" },
		{ "1,0 0 0 1", "does not end with a return" },
		{ "2,21 5 0 1,6 0 0 0", "jump out of the program" },
		{ "2,52 0 0 0,6 0 0 0", "division by constant 0" },
		{ "2,96 0 0 2,6 0 0 0", "read before it is written" },
		{ "2,48 0 0 4292870144,6 0 0 0", "link-layer" },
		{ "2,32 0 0 4294963204,6 0 0 0", "ancillary" },
		{ "1,255 0 0 0", "unknown classic BPF instruction" },
	};

	(void)state;
	bf_log_set(log_fn, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *text = NULL;

		assert_true(
			asprintf(&text,
				 "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m "
				 "bpf --bytecode \"%s\" -j DROP\nCOMMIT\n",
				 bad[i].bc) > 0);
		logbuf[0] = '\0';
		assert_int_not_equal(bf_ipt_parse_restore_str(rs, text, "t",
							      BF_FAMILY_INET4),
				     0);
		assert_logged(bad[i].why);
		assert_logged("t:3:");
		free(text);
	}
	bf_ruleset_free(&rs);
}

/* ---- -j BPF: the return value is the verdict ---- */

static void test_user_verdict(void **state)
{
	char rules[1024];
	struct bf_ruleset *rs;
	struct pu_prog p;
	struct pu_pkt pk = pu_udp4("192.0.2.1", "192.0.2.2", 1, 2);

	(void)state;
	BFT_REQUIRE_KERNEL();
	/* TTL < 5: DROP, 255: ACCEPT, else the next rules (-j DROP) */
	snprintf(rules, sizeof(rules),
		 "-A INPUT -j BPF --object %s\n-A INPUT -p udp -j DROP\n",
		 obj("examples", "verdict_ttl.bpf.o"));
	rs = parse(BF_FAMILY_INET4, rules);
	if (load(rs, BF_ATTACH_NF, BF_FAMILY_INET4, &p))
		fail_msg("load failed:\n%s", logbuf);
	pk.b[8] = 255;
	assert_int_equal(pu_run(&p, pk.b, pk.len, BF_FAMILY_INET4), NF_ACCEPT);
	pk.b[8] = 64;
	assert_int_equal(pu_run(&p, pk.b, pk.len, BF_FAMILY_INET4), NF_DROP);
	/* TCP at TTL 64 goes past both rules: the policy accepts */
	{
		struct pu_pkt t = pu_tcp4("192.0.2.1", "192.0.2.2", 1, 2, 0x02);

		t.b[8] = 64;
		assert_int_equal(pu_run(&p, t.b, t.len, BF_FAMILY_INET4),
				 NF_ACCEPT);
		t.b[8] = 3;
		assert_int_equal(pu_run(&p, t.b, t.len, BF_FAMILY_INET4),
				 NF_DROP);
	}
	/* the BPF rule counted every packet, the udp rule one */
	assert_int_equal(
		pu_counter(&p, rs->chains[0].rules[0].counter_idx).packets, 4);
	assert_int_equal(
		pu_counter(&p, rs->chains[0].rules[1].counter_idx).packets, 1);
	pu_close(&p);
	bf_ruleset_free(&rs);
}

/* ---- objects: sections, maps, errors ---- */

static int try_object(const char *opts, struct pu_prog *p)
{
	char rules[1200];
	struct bf_ruleset *rs;
	int r;

	snprintf(rules, sizeof(rules), "-A INPUT -m bpf %s -j DROP\n", opts);
	rs = parse(BF_FAMILY_INET4, rules);
	r = load(rs, BF_ATTACH_NF, BF_FAMILY_INET4, p);
	bf_ruleset_free(&rs);
	return r;
}

static void test_object_sections(void **state)
{
	const char *two = obj("tests/bpf", "two_functions.bpf.o");
	struct pu_pkt small = pu_udp4("192.0.2.1", "192.0.2.2", 1, 2);
	struct pu_pkt big = small;
	char opts[700];
	struct pu_prog p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	snprintf(opts, sizeof(opts), "--object %s", two);
	assert_int_not_equal(try_object(opts, &p), 0);
	assert_logged("has 2 bpfilter functions");
	assert_logged(two);

	snprintf(opts, sizeof(opts), "--object %s --section bpfilter/nope",
		 two);
	assert_int_not_equal(try_object(opts, &p), 0);
	assert_logged("no section or function bpfilter/nope");
	assert_logged("bpfilter/long, bpfilter/ipv6");

	/* by section name; the map and the global data are linked in */
	snprintf(opts, sizeof(opts), "--object %s --section bpfilter/long",
		 two);
	if (try_object(opts, &p))
		fail_msg("load failed:\n%s", logbuf);
	big.len = 200;
	big.b[2] = 0;
	big.b[3] = 200;
	assert_int_equal(pu_run(&p, small.b, small.len, BF_FAMILY_INET4),
			 NF_ACCEPT);
	assert_int_equal(pu_run(&p, big.b, big.len, BF_FAMILY_INET4), NF_DROP);
	pu_close(&p);
	/* by function name */
	snprintf(opts, sizeof(opts), "--object %s --section is_ipv6", two);
	assert_int_equal(try_object(opts, &p), 0);
	assert_int_equal(pu_run(&p, big.b, big.len, BF_FAMILY_INET4),
			 NF_ACCEPT);
	pu_close(&p);
	/* two functions of one object in one program (the object is
	 * opened once: they share its maps) */
	{
		char rules[1400];
		struct bf_ruleset *rs;

		snprintf(rules, sizeof(rules),
			 "-A INPUT -m bpf --object %s --section is_ipv6 -j "
			 "DROP\n-A INPUT -m bpf --object %s --section "
			 "bpfilter/long -j DROP\n",
			 two, two);
		rs = parse(BF_FAMILY_INET4, rules);
		if (load(rs, BF_ATTACH_NF, BF_FAMILY_INET4, &p))
			fail_msg("load failed:\n%s", logbuf);
		assert_int_equal(pu_run(&p, small.b, small.len,
					BF_FAMILY_INET4),
				 NF_ACCEPT);
		assert_int_equal(pu_run(&p, big.b, big.len, BF_FAMILY_INET4),
				 NF_DROP);
		pu_close(&p);
		bf_ruleset_free(&rs);
	}
}

static void test_object_errors(void **state)
{
	struct pu_prog p;
	char opts[700];
	const char *o;

	(void)state;
	BFT_REQUIRE_KERNEL();
	o = obj("tests/bpf", "bad_signature.bpf.o");
	snprintf(opts, sizeof(opts), "--object %s", o);
	assert_int_not_equal(try_object(opts, &p), 0);
	assert_logged(o);
	assert_logged("function wrong_args has the wrong signature");

	o = obj("tests/bpf", "bad_abi.bpf.o");
	snprintf(opts, sizeof(opts), "--object %s", o);
	assert_int_not_equal(try_object(opts, &p), 0);
	assert_logged("usermatch ABI version 9");

	o = obj("tests/bpf", "bad_verifier.bpf.o");
	snprintf(opts, sizeof(opts), "--object %s", o);
	assert_int_not_equal(try_object(opts, &p), 0);
	assert_logged("the kernel verifier refused");
	assert_logged(o);
	assert_logged("unbounded_read");
	/* the verifier's own words about the access */
	assert_logged("unbounded memory access");

	assert_int_not_equal(try_object("--object /nonexistent/x.o", &p), 0);
	assert_logged("cannot open BPF object /nonexistent/x.o");

	/* not an ELF file */
	assert_int_not_equal(try_object("--object /etc/hostname", &p), 0);
	assert_logged("cannot open BPF object /etc/hostname");

	/* a pinned program cannot be called */
	assert_int_not_equal(try_object("--object-pinned /sys/fs/bpf/x", &p),
			     0);
	assert_logged("--object-pinned /sys/fs/bpf/x");
	assert_logged("tail call never returns");
}

/* ---- printing: iptables-save form, stable round trip ---- */

static char *print_table(struct bf_ruleset *rs, enum bf_family fam)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(bf_ipt_print(f, rs, fam, 0), 0);
	fclose(f);
	return buf;
}

static void test_print_round_trip(void **state)
{
	static const char *const rules =
		"-A INPUT -p udp --dport 53 -m bpf --object /x/dns.o "
		"--section bpfilter/dns -j DROP\n"
		"-A INPUT -m bpf ! --object \"/x/a b.o\" -j ACCEPT\n"
		"-A INPUT -m bpf --bytecode \"4,48 0 0 9,21 0 1 17,6 0 0 1,"
		"6 0 0 0\" -j ACCEPT\n"
		"-A INPUT -m bpf --object-pinned /sys/fs/bpf/p -j DROP\n"
		"-A INPUT -j BPF --object /x/v.o --section bpfilter/verdict\n";
	struct bf_ruleset *a, *b;
	char *pa, *pb;

	(void)state;
	a = parse(BF_FAMILY_INET4, rules);
	pa = print_table(a, BF_FAMILY_INET4);
	b = bf_ruleset_new();
	assert_int_equal(
		bf_ipt_parse_restore_str(b, pa, "printed", BF_FAMILY_INET4), 0);
	pb = print_table(b, BF_FAMILY_INET4);
	assert_string_equal(pa, pb);
	if (!strstr(pa, "-A INPUT -p udp -m udp --dport 53 -m bpf --object "
			"\"/x/dns.o\" --section \"bpfilter/dns\" -j DROP\n") ||
	    !strstr(pa, "-m bpf ! --object \"/x/a b.o\" -j ACCEPT") ||
	    !strstr(pa, "-m bpf --bytecode \"4,48 0 0 9,21 0 1 17,6 0 0 1,"
			"6 0 0 0\" -j ACCEPT") ||
	    !strstr(pa, "-m bpf --object-pinned \"/sys/fs/bpf/p\" -j DROP") ||
	    !strstr(pa, "-j BPF --object \"/x/v.o\" --section "
			"\"bpfilter/verdict\""))
		fail_msg("unexpected iptables-save form:\n%s", pa);
	/* equal descriptions share one reference */
	assert_int_equal(a->chains[0]
				 .rules[0]
				 .matches[a->chains[0].rules[0].n_matches - 1]
				 .u.bpf.ref,
			 b->chains[0]
				 .rules[0]
				 .matches[b->chains[0].rules[0].n_matches - 1]
				 .u.bpf.ref);
	free(pa);
	free(pb);
	bf_ruleset_free(&a);
	bf_ruleset_free(&b);
}

/* Options the front end refuses, with the rule's location. */
static void test_options_refused(void **state)
{
	static const struct {
		const char *rule, *why;
	} bad[] = {
		{ "-m bpf -j DROP", "one of --bytecode, --object-pinned and "
				    "--object must be specified" },
		{ "-m bpf --object a.o --bytecode \"1,6 0 0 0\" -j DROP",
		  "mutually exclusive" },
		{ "-m bpf --bytecode \"1,6 0 0 0\" --section x -j DROP",
		  "--section needs --object" },
		{ "-m bpf --object a.o --object b.o -j DROP",
		  "cannot be used more than once" },
		{ "-j BPF --section x",
		  "option \"--object\" must be specified" },
		{ "-j BPF --object a.o --bytecode 1", "" },
	};
	struct bf_ruleset *rs = bf_ruleset_new();

	(void)state;
	bf_log_set(log_fn, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *text = NULL;

		assert_true(asprintf(&text,
				     "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT "
				     "%s\nCOMMIT\n",
				     bad[i].rule) > 0);
		logbuf[0] = '\0';
		assert_int_not_equal(bf_ipt_parse_restore_str(rs, text, "o",
							      BF_FAMILY_INET4),
				     0);
		assert_logged(bad[i].why);
		assert_logged("o:3:");
		free(text);
	}
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_options_refused),
		cmocka_unit_test(test_cbpf_refused),
		cmocka_unit_test(test_cbpf_semantics),
		cmocka_unit_test(test_user_verdict),
		cmocka_unit_test(test_object_sections),
		cmocka_unit_test(test_object_errors),
		cmocka_unit_test(test_diff_c_matcher),
		cmocka_unit_test(test_diff_cbpf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
