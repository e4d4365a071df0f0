// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter's `bpf` statement in nft syntax (src/lib/front/nft/bpf.c):
 * parse and canonical print, lowering to BF_MATCH_BPF / BF_VERDICT_BPF
 * checked through the iptables-save text apply carries (which the
 * iptables front end must read back identically), the IR printed as nft
 * (save --format nft) read back, and errors with file:line:col.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/userbpf.h"

#define BC "4,48 0 0 9,21 0 1 17,6 0 0 1,6 0 0 0" /* ip protocol udp */

static const char *const src =
	"table ip t {\n"
	"\tchain in {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tudp dport 53   bpf   object \"/x/dns.o\" drop\n"
	"\t\tbpf ! object \"/x/m.o\" section \"bpfilter/two\" counter accept\n"
	"\t\tbpf bytecode \"" BC "\" accept\n"
	"\t\tbpf pinned \"/sys/fs/bpf/p\" drop\n"
	"\t\ttcp dport 80 bpf verdict object \"/x/v.o\"\n"
	"\t\tbpf verdict object \"/x/v.o\" section \"bpfilter/v\" counter comment \"c\"\n"
	"\t}\n"
	"}\n";

/* listed as written, spacing made canonical */
static const char *const listed[] = {
	"udp dport 53 bpf object \"/x/dns.o\" drop",
	"bpf ! object \"/x/m.o\" section \"bpfilter/two\" counter accept",
	"bpf bytecode \"" BC "\" accept",
	"bpf pinned \"/sys/fs/bpf/p\" drop",
	"tcp dport 80 bpf verdict object \"/x/v.o\"",
	"bpf verdict object \"/x/v.o\" section \"bpfilter/v\" counter comment \"c\"",
};

static void test_parse_print(void **state)
{
	struct bf_nft *nft = NULL, *again = NULL;
	const struct bf_nft_chain *ch;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	assert_int_equal(bf_nft_parse_str(src, "t.nft", &nft), 0);
	ch = bf_nft_chain_find(&nft->tables[0], "in");
	assert_non_null(ch);
	assert_int_equal(ch->n_rules, ARRAY_SIZE(listed));
	for (size_t i = 0; i < ch->n_rules; i++) {
		char *r = NULL;
		size_t l = 0;
		FILE *f = open_memstream(&r, &l);
		assert_non_null(f);
		assert_int_equal(bf_nft_print_rule(f, &ch->rules[i]), 0);
		fclose(f);
		if (strcmp(r, listed[i]))
			fail_msg("rule %zu printed as\n  %s\nwanted\n  %s", i,
				 r, listed[i]);
		free(r);
	}
	/* the whole listing parses again to the same listing */
	m = open_memstream(&text, &len);
	assert_non_null(m);
	assert_int_equal(bf_nft_print(m, nft), 0);
	fclose(m);
	if (bf_nft_parse_str(text, "listed.nft", &again))
		fail_msg("the listing does not parse:\n%s", text);
	ch = bf_nft_chain_find(&again->tables[0], "in");
	assert_non_null(ch);
	assert_int_equal(ch->n_rules, ARRAY_SIZE(listed));
	/* equal descriptions share one reference */
	assert_int_equal(ch->rules[4].stmts[1].kind, BF_NFT_S_BPF);
	assert_int_equal(nft->tables[0].chains[0].rules[4].stmts[1].u.bpf.ref,
			 ch->rules[4].stmts[1].u.bpf.ref);
	assert_true(ch->rules[4].stmts[1].u.bpf.verdict);
	assert_true(ch->rules[1].stmts[0].u.bpf.neg);
	free(text);
	bf_nft_free(&nft);
	bf_nft_free(&again);
}

static char *ipt_text(const struct bf_ruleset *rs, enum bf_family f)
{
	char *t = NULL;
	size_t l = 0;
	FILE *m = open_memstream(&t, &l);

	assert_non_null(m);
	assert_int_equal(bf_ipt_print(m, rs, f, 0), 0);
	fclose(m);
	return t;
}

/* The lowering as iptables-save text (what apply receives), and that
 * text read back by the iptables front end prints the same. */
static void test_lower(void **state)
{
	static const char *const want =
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n:in - [0:0]\n"
		"-A INPUT -j in\n"
		"-A in -p udp -m nft --l4hdr 17:4 --dport 53 -m bpf --object \"/x/dns.o\" -j DROP\n"
		"-A in -m bpf ! --object \"/x/m.o\" --section \"bpfilter/two\" -j ACCEPT\n"
		"-A in -m bpf --bytecode \"" BC "\" -j ACCEPT\n"
		"-A in -m bpf --object-pinned \"/sys/fs/bpf/p\" -j DROP\n"
		"-A in -p tcp -m nft --l4hdr 6:4 --dport 80 -j BPF --object \"/x/v.o\"\n"
		"-A in -m comment --comment c -j BPF --object \"/x/v.o\" --section \"bpfilter/v\"\n"
		"COMMIT\n";
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs = bf_ruleset_new(), *back = bf_ruleset_new();
	struct bft_logcap cap = { 0 };
	char *got, *again;
	int r;

	(void)state;
	assert_non_null(rs);
	assert_non_null(back);
	assert_int_equal(bf_nft_parse_str(src, "t.nft", &nft), 0);
	bf_log_set(bft_log_capture, &cap);
	r = bf_nft_lower(nft, rs);
	bf_log_set(NULL, NULL);
	if (r)
		fail_msg("lowering failed (%d): %s", r, cap.text);
	got = ipt_text(rs, BF_FAMILY_INET4);
	if (strcmp(got, want))
		fail_msg("lowered:\n%s\nwanted:\n%s", got, want);
	/* the IR itself */
	const struct bf_chain *c = bf_ruleset_chain(rs, BF_FAMILY_INET4, "in");
	assert_non_null(c);
	assert_int_equal(c->rules[4].verdict.kind, BF_VERDICT_BPF);
	const struct bf_userbpf *u =
		bf_userbpf_get(c->rules[4].verdict.u.bpf.ref);
	assert_non_null(u);
	assert_int_equal(u->kind, BF_USERBPF_OBJECT);
	assert_string_equal(u->path, "/x/v.o");
	u = bf_userbpf_get(c->rules[2].matches[0].u.bpf.ref);
	assert_non_null(u);
	assert_int_equal(u->kind, BF_USERBPF_BYTECODE);
	assert_int_equal(u->n_insns, 4);
	assert_int_equal(u->insns[1].k, 17);
	/* apply's path: iptables-save text -> iptables front end */
	assert_int_equal(bf_ipt_parse_restore_str(back, got, "lowered",
						  BF_FAMILY_INET4),
			 0);
	again = ipt_text(back, BF_FAMILY_INET4);
	assert_string_equal(again, got);
	free(again);
	free(got);
	bf_nft_free(&nft);
	bf_ruleset_free(&rs);
	bf_ruleset_free(&back);
}

/* save --format nft: the IR printed in nft syntax shows the bpf
 * statements and lowers back to the same rules. */
static void test_print_ir(void **state)
{
	struct bf_nft *nft = NULL, *again = NULL;
	struct bf_ruleset *rs = bf_ruleset_new(), *rs2 = bf_ruleset_new();
	char *text = NULL, *a, *b;
	size_t len = 0;
	FILE *m;

	(void)state;
	assert_int_equal(bf_nft_parse_str(src, "t.nft", &nft), 0);
	assert_int_equal(bf_nft_lower(nft, rs), 0);
	m = open_memstream(&text, &len);
	assert_non_null(m);
	assert_int_equal(bf_nft_print_ir(m, rs, BF_FAMILY_INET4, "b4", false),
			 0);
	fclose(m);
	if (!strstr(text,
		    "bpf ! object \"/x/m.o\" section \"bpfilter/two\" counter accept") ||
	    !strstr(text,
		    "meta l4proto 6 tcp dport 80 counter bpf verdict object \"/x/v.o\"\n") ||
	    !strstr(text, "bpf bytecode \"" BC "\" counter accept"))
		fail_msg("printed IR lacks the bpf statements:\n%s", text);
	if (bf_nft_parse_str(text, "printed.nft", &again))
		fail_msg("the printed IR does not parse:\n%s", text);
	if (bf_nft_lower(again, rs2))
		fail_msg("the printed IR does not lower:\n%s", text);
	const struct bf_chain *x = bf_ruleset_chain(rs, BF_FAMILY_INET4, "in");
	const struct bf_chain *y = bf_ruleset_chain(rs2, BF_FAMILY_INET4, "in");
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(x->n_rules, y->n_rules);
	for (size_t i = 0; i < x->n_rules; i++) {
		size_t la = 0, lb = 0;
		FILE *ma = open_memstream(&a, &la),
		     *mb = open_memstream(&b, &lb);
		bf_ipt_print_rule(ma, &x->rules[i]);
		bf_ipt_print_rule(mb, &y->rules[i]);
		fclose(ma);
		fclose(mb);
		if (strcmp(a, b))
			fail_msg("rule %zu: %s became %s", i, a, b);
		free(a);
		free(b);
	}
	free(text);
	bf_nft_free(&nft);
	bf_nft_free(&again);
	bf_ruleset_free(&rs);
	bf_ruleset_free(&rs2);
}

static void error(const char *rule, const char *want)
{
	char text[1024];
	struct bf_nft *nft = NULL;
	struct bft_logcap cap = { 0 };
	int r;

	snprintf(text, sizeof(text),
		 "table ip t {\n\tchain c {\n\t\t%s\n\t}\n}\n", rule);
	bf_log_set(bft_log_capture, &cap);
	r = bf_nft_parse_str(text, "e.nft", &nft);
	bf_log_set(NULL, NULL);
	bf_nft_free(&nft);
	if (r != -EINVAL)
		fail_msg("'%s': got %d, wanted -EINVAL; log: %s", rule, r,
			 cap.text);
	if (!strstr(cap.text, want))
		fail_msg("'%s': log lacks \"%s\":\n%s", rule, want, cap.text);
}

/* Bad forms, each at its file:line:col (rule text starts at col 3). */
static void test_errors(void **state)
{
	(void)state;
	error("bpf object /x.o accept",
	      "e.nft:3:14: syntax error: expected a \"quoted\" string, got '/'");
	error("bpf frob \"x\"",
	      "e.nft:3:7: syntax error: expected 'object', 'bytecode', "
	      "'pinned', 'verdict' or '!', got 'frob'");
	error("bpf bytecode \"1,6 0 0 1,6 0 0 0\" accept",
	      "e.nft:3:16: bpf: more instructions than the count says");
	error("bpf bytecode \"3,6 0 0 1\" accept",
	      "e.nft:3:16: bpf: expected \"code jt jf k\"");
	error("bpf bytecode \"2,6 0 0 1,21 0 0 1\" accept",
	      "e.nft:3:16: bpf: ");
	error("bpf ! bytecode \"" BC "\"",
	      "e.nft:3:9: syntax error: expected 'object', got 'bytecode'");
	error("bpf verdict ! object \"/v.o\"",
	      "e.nft:3:3: a bpf verdict cannot be negated");
	error("bpf verdict pinned \"/p\"",
	      "e.nft:3:15: syntax error: expected 'object', got 'pinned'");
	error("bpf object \"\" drop", "e.nft:3:14: bpf: bad path");
	error("bpf object \"/x.o\" section \"\" drop",
	      "e.nft:3:14: bpf: bad section name");
	error("bpf object \"/x.o\" section drop",
	      "e.nft:3:29: syntax error: expected a \"quoted\" section name, got 'drop'");
	error("bpf bytecode \"" BC "\" section \"s\" accept",
	      "syntax error: unknown statement 'section'");
	error("bpf verdict object \"/v.o\" accept",
	      "e.nft:3:29: a bpf verdict is the rule's verdict: nothing but a "
	      "counter may follow it");
	error("drop bpf verdict object \"/v.o\"",
	      "e.nft:3:3: a bpf verdict is the rule's verdict");
	error("bpf verdict object \"/v.o\" log",
	      "e.nft:3:29: a bpf verdict is the rule's verdict");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_print),
		cmocka_unit_test(test_lower),
		cmocka_unit_test(test_print_ir),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
