// SPDX-License-Identifier: GPL-2.0-only
/*
 * `bpfilter apply FILE.nft` over several slots is all or nothing
 * (doc/front-nft.md, "Applying several slots"): nf slots at priorities
 * -10, 0 and 10 and a tc slot of the netdev table.
 *
 *  - a priority another hook already has (an nftables chain at input
 *    priority 10: EBUSY when the new nf-p10 slot attaches, after nf-m10
 *    and nf were replaced) leaves every slot as before: same `bpfilter
 *    save` (generations included, counters aside), the old rules still
 *    judge (TCP probes), no nf-p10 slot;
 *  - a netdev table on a missing device, or a program of the last slot
 *    that the kernel's verifier refuses, changes nothing (found before
 *    the first slot changes: no rollback needed);
 *  - `apply --confirm` of such a file rolls every slot back at the
 *    deadline, and keeps them after `bpfilter confirm`;
 *  - with the blocker gone, the same file applies (the probes change:
 *    the checks above can fail).
 */
#include <libgen.h>

#include "e2e.h"

/* port 5001 dropped at -10; tc-b0 and nf (priority 0) harmless */
static const char old_rs[] =
	"table ip a {\n"
	"\tchain c {\n"
	"\t\ttype filter hook input priority -10; policy accept;\n"
	"\t\ttcp dport 5001 drop\n"
	"\t}\n"
	"}\n"
	"table ip b {\n"
	"\tchain c {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tip saddr 203.0.113.1 drop\n"
	"\t}\n"
	"}\n"
	"table netdev n {\n"
	"\tchain c {\n"
	"\t\ttype filter hook ingress device \"b0\" priority 0; policy accept;\n"
	"\t\tip saddr 203.0.113.2 drop\n"
	"\t}\n"
	"}\n";

/* table a of the new ruleset: port 5000 dropped instead */
#define NEW_TABLE_A                                                            \
	"table ip a {\n"                                                       \
	"\tchain c {\n"                                                        \
	"\t\ttype filter hook input priority -10; policy accept;\n"            \
	"\t\ttcp dport 5000 drop\n"                                            \
	"\t}\n"                                                                \
	"}\n"

/* port 5000 dropped instead, and a new chain at priority 10 */
static const char new_rs[] = NEW_TABLE_A
	"table ip b {\n"
	"\tchain c {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tip saddr 203.0.113.3 drop\n"
	"\t}\n"
	"}\n"
	"table ip d {\n"
	"\tchain c {\n"
	"\t\ttype filter hook input priority 10; policy accept;\n"
	"\t\tip saddr 203.0.113.4 drop\n"
	"\t}\n"
	"}\n"
	"table netdev n {\n"
	"\tchain c {\n"
	"\t\ttype filter hook ingress device \"b0\" priority 0; policy accept;\n"
	"\t\tip saddr 203.0.113.5 drop\n"
	"\t}\n"
	"}\n";

static int teardown(void **state)
{
	struct e2e *e = *state;

	if (e->a[0])
		bft_sh("ip netns exec %s nft flush ruleset 2>/dev/null", e->b);
	e2e_teardown(e);
	return 0;
}

/* `bpfilter save` of B without the counters (packets still arrive) */
static char *save_of(struct e2e *e)
{
	char *out = NULL;

	assert_int_equal(bft_sh_out(&out,
				    "ip netns exec %s %s save | sed -E "
				    "'s/\\[[0-9]+:[0-9]+\\]//g'",
				    e->b, bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(out, "# bpfilter slot"));
	return out;
}

static void assert_old_judges(struct e2e *e)
{
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
}

static void assert_new_judges(struct e2e *e)
{
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
}

static void test_failure_keeps_every_slot(void **state)
{
	struct e2e *e = *state;
	char *before, *after, *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "old.nft", old_rs);
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s", f), 0);
	assert_old_judges(e);
	before = save_of(e);
	assert_non_null(strstr(before, "slot nf-m10, ipv4, generation 1"));
	assert_non_null(strstr(before, "slot tc-b0, ipv4, generation 1"));

	/* an nftables chain takes input priority 10 */
	assert_int_equal(bft_sh("printf 'table ip blk {\\n chain c {\\n type "
				"filter hook input priority 10;\\n }\\n}\\n' | "
				"ip netns exec %s nft -f -",
				e->b),
			 0);
	f = e2e_file(e, "new.nft", new_rs);
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", f), 0);
	e2e_assert_contains(out, "Device or resource busy");
	e2e_assert_contains(out, "every slot is as before");
	free(out);
	after = save_of(e);
	assert_string_equal(before, after);
	assert_null(strstr(after, "nf-p10"));
	free(after);
	{
		json_t *doc = e2e_list(e->b);
		assert_non_null(doc);
		assert_int_equal(e2e_generation(doc, "nf-m10"), 1);
		assert_int_equal(e2e_generation(doc, "nf"), 1);
		assert_int_equal(e2e_generation(doc, "tc-b0"), 1);
		json_decref(doc);
	}
	assert_old_judges(e);

	/* a netdev table on a device that does not exist: nothing changes */
	f = e2e_file(
		e, "nodev.nft",
		NEW_TABLE_A
		"table netdev n {\n"
		"\tchain c {\n"
		"\t\ttype filter hook ingress device \"nosuch0\" priority 0;\n"
		"\t}\n"
		"}\n");
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", f), 0);
	e2e_assert_contains(out, "nosuch0");
	free(out);
	after = save_of(e);
	assert_string_equal(before, after);
	free(after);
	assert_old_judges(e);

	/* the kernel's verifier refuses the last slot's program (a user
	 * function without bounds checks): found while every slot is
	 * loaded, before any changes */
	{
		char bin[512], *text = NULL;
		snprintf(bin, sizeof(bin), "%s", bft_bpfilter_bin());
		assert_true(
			asprintf(&text,
				 "table ip a {\n"
				 "\tchain c {\n"
				 "\t\ttype filter hook input priority -10;\n"
				 "\t\ttcp dport 5000 drop\n"
				 "\t}\n"
				 "}\n"
				 "table netdev n {\n"
				 "\tchain c {\n"
				 "\t\ttype filter hook ingress device \"b0\" "
				 "priority 0;\n"
				 "\t\tudp dport 53 bpf object "
				 "\"%s/tests/bpf/bad_verifier.bpf.o\" drop\n"
				 "\t}\n"
				 "}\n",
				 dirname(bin)) > 0);
		f = e2e_file(e, "verifier.nft", text);
		free(text);
	}
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", f), 0);
	e2e_assert_contains(out, "verifier");
	e2e_assert_contains(out, "nothing changed");
	assert_null(strstr(out, "every slot is as before"));
	free(out);
	after = save_of(e);
	assert_string_equal(before, after);
	free(after);
	assert_old_judges(e);

	/* the blocker gone, the same file applies: every slot changes */
	assert_int_equal(
		bft_sh("ip netns exec %s nft delete table ip blk", e->b), 0);
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s",
				 e2e_file(e, "new.nft", new_rs)),
			 0);
	after = save_of(e);
	assert_non_null(strstr(after, "slot nf-m10, ipv4, generation 2"));
	assert_non_null(strstr(after, "slot tc-b0, ipv4, generation 2"));
	assert_non_null(strstr(after, "slot nf-p10, ipv4, generation 1"));
	free(after);
	assert_new_judges(e);
	free(before);
}

static void test_confirm(void **state)
{
	struct e2e *e = *state;
	char *before, *after = NULL, *out = NULL;
	bool same = false;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s",
				 e2e_file(e, "old.nft", old_rs)),
			 0);
	before = save_of(e);

	/* no confirm: every slot rolls back, the new nf-p10 goes */
	assert_int_equal(e2e_cli(&out, e->b, "apply --confirm 2 %s",
				 e2e_file(e, "new.nft", new_rs)),
			 0);
	e2e_assert_contains(out, "rolling back every slot");
	free(out);
	after = save_of(e);
	assert_non_null(strstr(after, "slot nf-p10"));
	free(after);
	assert_new_judges(e);
	for (int i = 0; i < 80 && !same; i++) {
		usleep(100 * 1000);
		after = save_of(e);
		same = !strcmp(before, after);
		free(after);
	}
	assert_true(same);
	assert_old_judges(e);

	/* confirmed: the new ruleset stays past the deadline */
	assert_int_equal(e2e_cli(NULL, e->b, "apply --confirm 2 %s",
				 e2e_file(e, "new.nft", new_rs)),
			 0);
	assert_int_equal(e2e_cli(NULL, e->b, "confirm"), 0);
	sleep(3);
	after = save_of(e);
	assert_non_null(strstr(after, "slot nf-m10, ipv4, generation 2"));
	assert_non_null(strstr(after, "slot nf-p10, ipv4, generation 1"));
	assert_string_not_equal(before, after);
	free(after);
	assert_new_judges(e);
	free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failure_keeps_every_slot,
						e2e_setup_pair, teardown),
		cmocka_unit_test_setup_teardown(test_confirm, e2e_setup_pair,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
