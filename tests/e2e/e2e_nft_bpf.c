// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: user BPF code in nft syntax (bpfilter's `bpf` statement,
 * doc/front-nft.md). An nft ruleset applied with `bpfilter apply --format
 * nft` in namespace B calls the C matcher examples/dns_name.bpf.o (plain
 * and negated), a classic-BPF program and the user verdict
 * examples/verdict_ttl.bpf.o between ordinary rules; real UDP datagrams
 * from namespace A show each verdict and first-match order. `bpfilter
 * save --format nft` prints the statements back, and that listing,
 * applied again, behaves the same.
 */
#include <libgen.h>

#include "bpfilter/helper.h"
#include "e2e.h"

/* $(BUILD)/examples/NAME, next to the bpfilter binary under test */
static const char *obj(const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	char bin[512];

	snprintf(bin, sizeof(bin), "%s", bft_bpfilter_bin());
	snprintf(p, 512, "%s/examples/%s", dirname(bin), name);
	if (access(p, R_OK))
		fail_msg("%s is missing: build it with `make examples`", p);
	return p;
}

/* true if a datagram from A reaches B's port (e2e_dgram_passes()) */
static bool udp_passes(bool want, struct e2e *e, bool v6, uint16_t port,
		       const uint8_t *q, size_t n, int ttl)
{
	return e2e_dgram_passes(e, want, v6, port, q, n, ttl);
}

/* true if a DNS query for name from A reaches B's port */
static bool dns_passes(bool want, struct e2e *e, bool v6, uint16_t port,
		       const char *name)
{
	uint8_t q[300];

	return e2e_dgram_passes(e, want, v6, port, q, e2e_dns_query(q, name),
				0);
}

/* classic BPF: the first UDP payload byte is 'Z' (IPv4: X = header
 * length) */
#define CBPF_Z "5,177 0 0 0,80 0 0 8,21 0 1 90,6 0 0 1,6 0 0 0"

static const char *ruleset(struct e2e *e)
{
	char text[4096];
	const char *dns = obj("dns_name.bpf.o");
	const char *ttl = obj("verdict_ttl.bpf.o");

	snprintf(
		text, sizeof(text),
		"table inet t {\n"
		"\tchain in {\n"
		"\t\ttype filter hook input priority 0; policy accept;\n"
		/* an ordinary accept first: the C match never sees 54 */
		"\t\tudp dport 54 accept\n"
		"\t\tudp dport { 53, 54 } bpf object \"%1$s\" section \"bpfilter/dns\" counter drop\n"
		"\t\tudp dport 53 accept\n"
		"\t\tudp dport 5353 bpf ! object \"%1$s\" drop\n"
		"\t\tmeta nfproto ipv4 udp dport 7001 bpf bytecode \"" CBPF_Z
		"\" drop\n"
		"\t\tudp dport 7002 bpf verdict object \"%2$s\"\n"
		"\t\tudp dport 7002 drop\n"
		"\t}\n"
		"}\n",
		dns, ttl);
	return e2e_file(e, "bpf.nft", text);
}

static void check(struct e2e *e)
{
	static const char *const under[] = { "example.org", "www.example.org" };
	static const char *const other[] = { "badexample.org", "example.com" };

	for (int v6 = 0; v6 < 2; v6++) {
		for (size_t i = 0; i < ARRAY_SIZE(under); i++) {
			if (dns_passes(false, e, v6, 53, under[i]))
				fail_msg(
					"IPv%d port 53 %s: not dropped by the C match",
					v6 ? 6 : 4, under[i]);
			if (!dns_passes(true, e, v6, 54, under[i]))
				fail_msg(
					"IPv%d port 54 %s: the accept before the C match did not win",
					v6 ? 6 : 4, under[i]);
			if (!dns_passes(true, e, v6, 5353, under[i]))
				fail_msg(
					"IPv%d port 5353 %s: dropped by the negated C match",
					v6 ? 6 : 4, under[i]);
		}
		for (size_t i = 0; i < ARRAY_SIZE(other); i++) {
			if (!dns_passes(true, e, v6, 53, other[i]))
				fail_msg("IPv%d port 53 %s: dropped",
					 v6 ? 6 : 4, other[i]);
			if (dns_passes(false, e, v6, 5353, other[i]))
				fail_msg(
					"IPv%d port 5353 %s: not dropped by the negated C match",
					v6 ? 6 : 4, other[i]);
		}
	}
	/* classic BPF, IPv4 only (the rule says meta nfproto ipv4) */
	assert_false(udp_passes(false, e, false, 7001, (const uint8_t *)"Zed",
				3, 0));
	assert_true(
		udp_passes(true, e, false, 7001, (const uint8_t *)"Yes", 3, 0));
	assert_true(
		udp_passes(true, e, true, 7001, (const uint8_t *)"Zed", 3, 0));
	/* user verdict: TTL 255 accepted, TTL 3 dropped by the code, others
	 * continue to the drop after it (IPv6: always continue) */
	assert_true(
		udp_passes(true, e, false, 7002, (const uint8_t *)"t", 1, 255));
	assert_false(
		udp_passes(false, e, false, 7002, (const uint8_t *)"t", 1, 3));
	assert_false(
		udp_passes(false, e, false, 7002, (const uint8_t *)"t", 1, 64));
	assert_false(
		udp_passes(false, e, true, 7002, (const uint8_t *)"t", 1, 0));
	/* other traffic goes on */
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
}

static void test_nft_bpf(void **state)
{
	struct e2e *e = *state;
	char *saved = NULL;
	const char *dns;

	BFT_REQUIRE_KERNEL();
	/* nothing installed: everything passes */
	assert_true(dns_passes(true, e, false, 53, "www.example.org"));
	assert_true(
		udp_passes(true, e, false, 7002, (const uint8_t *)"t", 1, 64));
	assert_int_equal(
		e2e_cli(NULL, e->b, "apply --format nft %s", ruleset(e)), 0);
	check(e);

	/* save --format nft prints the bpf statements */
	assert_int_equal(e2e_cli(&saved, e->b, "save --format nft"), 0);
	dns = obj("dns_name.bpf.o");
	{
		char want[1024];
		static const char *const fmt[] = {
			"bpf object \"%s\" section \"bpfilter/dns\" counter drop",
			"bpf ! object \"%s\" counter drop",
			"bpf verdict object \"%s\"\n",
		};
		for (size_t i = 0; i < ARRAY_SIZE(fmt); i++) {
			snprintf(want, sizeof(want), fmt[i],
				 i == 2 ? obj("verdict_ttl.bpf.o") : dns);
			if (!strstr(saved, want))
				fail_msg("save --format nft lacks '%s':\n%s",
					 want, saved);
		}
		if (!strstr(saved, "bpf bytecode \"" CBPF_Z "\" counter drop"))
			fail_msg("save --format nft lacks the bytecode:\n%s",
				 saved);
	}

	/* ... and that listing applied again behaves the same */
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_true(dns_passes(true, e, false, 53, "www.example.org"));
	assert_int_equal(e2e_cli(NULL, e->b, "apply --format nft %s",
				 e2e_file(e, "saved.nft", saved)),
			 0);
	check(e);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	free(saved);
}

static long long generation(struct e2e *e)
{
	json_t *doc = e2e_list(e->b);
	long long g;

	assert_non_null(doc);
	g = e2e_generation(doc, "nf");
	json_decref(doc);
	return g;
}

/* A missing object named in nft syntax: refused, naming the object; a
 * bad form: refused with its nft position; the ruleset in force stays. */
static void test_nft_bpf_refused(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *path;
	long long gen;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(
		e2e_cli(NULL, e->b, "apply --format nft %s", ruleset(e)), 0);
	gen = generation(e);
	assert_true(gen > 0);
	path = e2e_file(
		e, "bad.nft",
		"table ip t {\n\tchain in {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tudp dport 53 bpf object \"/nonexistent/x.o\" drop\n"
		"\t}\n}\n");
	assert_int_not_equal(e2e_cli(&out, e->b, "apply --format nft %s", path),
			     0);
	if (!strstr(out, "bad.nft:4: bpf: cannot use /nonexistent/x.o"))
		fail_msg("the missing object is not named at its nft line:\n%s",
			 out);
	free(out);
	assert_false(dns_passes(false, e, false, 53, "www.example.org"));
	/* a syntax error in the statement, with its position */
	path = e2e_file(e, "bad2.nft",
			"table ip t {\n\tchain in {\n"
			"\t\ttype filter hook input priority 0;\n"
			"\t\tudp dport 53 bpf verdict ! object \"/x.o\"\n"
			"\t}\n}\n");
	assert_int_not_equal(e2e_cli(&out, e->b, "apply --format nft %s", path),
			     0);
	if (!strstr(out, "bad2.nft:4:16: a bpf verdict cannot be negated"))
		fail_msg("no positioned error:\n%s", out);
	free(out);
	assert_int_equal(generation(e), gen);
	check(e);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_bpf),
		cmocka_unit_test(test_nft_bpf_refused),
	};

	return cmocka_run_group_tests(tests, e2e_setup_pair,
				      e2e_teardown_state);
}
