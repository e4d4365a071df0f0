// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft anonymous chains (`jump { ... }` / `goto { ... }`, nft's binding
 * chains): parsed into regular chains named __chainN, printed back inline
 * as `nft list ruleset` prints them, lowered as a jump / goto to that chain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"

static const char input[] =
	"table inet t {\n"
	"  chain input {\n"
	"    type filter hook input priority 0; policy accept;\n"
	"    tcp dport 22 jump { ip saddr 192.0.2.1 accept; counter drop; }\n"
	"    udp dport 53 goto { ip saddr 192.0.2.2 accept\n"
	"      tcp dport 1 jump named\n"
	"      drop\n"
	"    }\n"
	"    tcp dport 80 jump { }\n"
	"  }\n"
	"  chain named {\n"
	"    accept\n"
	"  }\n"
	"}\n";

/* What nft 1.0.6 lists after `nft -f` of input (seen in a namespace) */
static const char listing[] = "table inet t {\n"
			      "\tchain input {\n"
			      "\t\ttype filter hook input priority filter; "
			      "policy accept;\n"
			      "\t\ttcp dport 22 jump {\n"
			      "\t\t\tip saddr 192.0.2.1 accept\n"
			      "\t\t\tcounter packets 0 bytes 0 drop\n"
			      "\t\t}\n"
			      "\t\tudp dport 53 goto {\n"
			      "\t\t\tip saddr 192.0.2.2 accept\n"
			      "\t\t\ttcp dport 1 jump named\n"
			      "\t\t\tdrop\n"
			      "\t\t}\n"
			      "\t\ttcp dport 80 jump {\n"
			      "\t\t}\n"
			      "\t}\n"
			      "\n"
			      "\tchain named {\n"
			      "\t\taccept\n"
			      "\t}\n"
			      "}\n";

static char *print_text(const struct bf_nft *nft)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(bf_nft_print(f, nft), 0);
	fclose(f);
	return buf;
}

static struct bf_nft *parse_ok(const char *text)
{
	struct bft_logcap cap = { 0 };
	struct bf_nft *nft = NULL;
	bf_log_fn ofn;
	void *odata;
	int r;

	bf_log_get(&ofn, &odata);
	bf_log_set(bft_log_capture, &cap);
	r = bf_nft_parse_str(text, "t.nft", &nft);
	bf_log_set(ofn, odata);
	if (r)
		fail_msg("parse: %d: %s", r, cap.text);
	return nft;
}

static void test_print(void **state)
{
	struct bf_nft *nft = parse_ok(input);
	const struct bf_nft_table *t = &nft->tables[0];
	size_t n_anon = 0;
	char *out, *out2;
	struct bf_nft *again;

	(void)state;
	for (size_t i = 0; i < t->n_chains; i++)
		n_anon += t->chains[i].anon;
	assert_int_equal(n_anon, 3);
	out = print_text(nft);
	assert_string_equal(out, listing);
	/* the listing parses back to itself */
	again = parse_ok(out);
	out2 = print_text(again);
	assert_string_equal(out2, listing);
	free(out);
	free(out2);
	bf_nft_free(&again);
	bf_nft_free(&nft);
}

static const struct bf_rule *rule_with_dport(const struct bf_chain *c,
					     uint16_t port)
{
	for (size_t i = 0; i < c->n_rules; i++)
		for (size_t m = 0; m < c->rules[i].n_matches; m++)
			if (c->rules[i].matches[m].type == BF_MATCH_DPORT &&
			    c->rules[i].matches[m].u.ports.lo == port)
				return &c->rules[i];
	fail_msg("no rule with dport %u", port);
	return NULL;
}

static void test_lower(void **state)
{
	struct bf_nft *nft = parse_ok(input);
	struct bf_ruleset *rs = bf_ruleset_new();

	(void)state;
	assert_non_null(rs);
	assert_int_equal(bf_nft_lower(nft, rs), 0);
	for (int f = BF_FAMILY_INET4; f <= BF_FAMILY_INET6; f++) {
		const struct bf_chain *in = bf_ruleset_chain(rs, f, "input");
		const struct bf_rule *r22, *r53, *r80;
		const struct bf_chain *a, *g, *e;
		assert_non_null(in);
		r22 = rule_with_dport(in, 22);
		r53 = rule_with_dport(in, 53);
		r80 = rule_with_dport(in, 80);
		assert_int_equal(r22->verdict.kind, BF_VERDICT_JUMP);
		assert_int_equal(r53->verdict.kind, BF_VERDICT_GOTO);
		assert_int_equal(r80->verdict.kind, BF_VERDICT_JUMP);
		a = bf_ruleset_chain(rs, f, r22->verdict.chain);
		g = bf_ruleset_chain(rs, f, r53->verdict.chain);
		e = bf_ruleset_chain(rs, f, r80->verdict.chain);
		assert_non_null(a);
		assert_non_null(g);
		assert_non_null(e);
		assert_string_not_equal(a->name, g->name);
		assert_string_not_equal(a->name, e->name);
		assert_false(a->builtin);
		/* the last rule of the first one drops (the ip saddr rule
		 * before it is IPv4 only) */
		assert_int_equal(a->n_rules, f == BF_FAMILY_INET4 ? 2 : 1);
		assert_int_equal(a->rules[a->n_rules - 1].verdict.kind,
				 BF_VERDICT_DROP);
		assert_int_equal(e->n_rules, 0);
		/* the goto chain jumps to a named chain */
		const struct bf_rule *r1 = rule_with_dport(g, 1);
		assert_int_equal(r1->verdict.kind, BF_VERDICT_JUMP);
		assert_string_equal(r1->verdict.chain, "named");
	}
	bf_ruleset_free(&rs);
	bf_nft_free(&nft);
}

/* goto from a base chain with policy drop: when the target ends, nft
 * applies the base chain's policy (the IR: a helper chain jumps to the
 * target, then drops) */
static void test_base_goto_drop(void **state)
{
	struct bf_nft *nft = parse_ok(
		"table ip f {\n chain fw {\n"
		"  type filter hook forward priority 0; policy drop;\n"
		"  ip saddr 203.0.113.0/24 goto { ip daddr 198.51.100.1 accept; }\n"
		"  ip saddr 192.0.2.0/24 goto named\n"
		" }\n chain named {\n  tcp dport 22 accept\n }\n}\n");
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_chain *fw, *h;

	(void)state;
	assert_int_equal(bf_nft_lower(nft, rs), 0);
	fw = bf_ruleset_chain(rs, BF_FAMILY_INET4, "fw");
	assert_non_null(fw);
	assert_int_equal(fw->n_rules, 3);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(fw->rules[i].verdict.kind, BF_VERDICT_JUMP);
		h = bf_ruleset_chain(rs, BF_FAMILY_INET4,
				     fw->rules[i].verdict.chain);
		assert_non_null(h);
		assert_int_equal(h->n_rules, 2);
		assert_int_equal(h->rules[0].verdict.kind, BF_VERDICT_JUMP);
		assert_int_equal(h->rules[1].verdict.kind, BF_VERDICT_DROP);
		if (i == 1)
			assert_string_equal(h->rules[0].verdict.chain, "named");
	}
	assert_int_equal(fw->rules[2].verdict.kind, BF_VERDICT_DROP);
	bf_ruleset_free(&rs);
	bf_nft_free(&nft);
	/* policy accept: the goto stays */
	nft = parse_ok("table ip f {\n chain fw {\n"
		       "  type filter hook forward priority 0;\n"
		       "  ip saddr 203.0.113.0/24 goto { accept; }\n }\n}\n");
	rs = bf_ruleset_new();
	assert_int_equal(bf_nft_lower(nft, rs), 0);
	fw = bf_ruleset_chain(rs, BF_FAMILY_INET4, "fw");
	assert_int_equal(fw->n_rules, 1);
	assert_int_equal(fw->rules[0].verdict.kind, BF_VERDICT_GOTO);
	bf_ruleset_free(&rs);
	bf_nft_free(&nft);
}

static int parse_err(const char *text, struct bft_logcap *cap)
{
	struct bf_nft *nft = NULL;
	bf_log_fn ofn;
	void *odata;
	int r;

	memset(cap, 0, sizeof(*cap));
	bf_log_get(&ofn, &odata);
	bf_log_set(bft_log_capture, cap);
	r = bf_nft_parse_str(text, "t.nft", &nft);
	bf_log_set(ofn, odata);
	bf_nft_free(&nft);
	return r;
}

static void test_errors(void **state)
{
	struct bft_logcap cap;

	(void)state;
	/* unterminated */
	assert_int_equal(parse_err("table ip t {\n chain c {\n"
				   "  jump { accept\n",
				   &cap),
			 -EINVAL);
	/* an error inside is reported at its place */
	assert_int_equal(parse_err("table ip t {\n chain c {\n"
				   "  jump { ip saddr nonsense accept }\n"
				   " }\n}\n",
				   &cap),
			 -EINVAL);
	assert_non_null(strstr(cap.text, "t.nft:3:"));
	/* nested, as nft */
	assert_int_equal(parse_err("table ip t {\n chain c {\n"
				   "  jump { jump { accept; }; }\n"
				   " }\n}\n",
				   &cap),
			 -EINVAL);
	assert_non_null(strstr(cap.text, "t.nft:3:15: "));
	assert_non_null(strstr(cap.text, "nesting"));
	/* a user chain with the generated name */
	assert_int_equal(parse_err("table ip t {\n chain __chain0 {\n }\n"
				   " chain c {\n  jump { accept; }\n }\n}\n",
				   &cap),
			 -EINVAL);
	assert_non_null(strstr(cap.text, "anonymous"));
	/* `add rule` with an anonymous chain */
	struct bf_nft *nft =
		parse_ok("add table ip t\nadd chain ip t c\n"
			 "add rule ip t c ip saddr 192.0.2.9 goto { drop; }\n");
	char *out = print_text(nft);
	assert_non_null(strstr(out, "\t\tip saddr 192.0.2.9 goto {\n"
				    "\t\t\tdrop\n\t\t}\n"));
	free(out);
	bf_nft_free(&nft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_lower),
		cmocka_unit_test(test_base_goto_drop),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
