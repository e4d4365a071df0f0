// SPDX-License-Identifier: GPL-2.0-only
/* bf_check(): every refusal with its file:line, and what passes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/log.h"
#include "check/check.h"

static char logbuf[8192];

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	size_t len = strlen(logbuf);

	(void)data;
	if (level == BF_LOG_ERROR)
		snprintf(logbuf + len, sizeof(logbuf) - len, "%s\n", msg);
}

static int setup(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();

	logbuf[0] = '\0';
	bf_log_set(capture, NULL);
	rs->families = 1u << BF_FAMILY_INET4;
	bf_ruleset_intern_file(rs, "t.rules");
	*state = rs;
	return rs ? 0 : -1;
}

static int teardown(void **state)
{
	struct bf_ruleset *rs = *state;

	bf_ruleset_free(&rs);
	bf_log_set(NULL, NULL);
	return 0;
}

static void add(struct bf_ruleset *rs, const char *chain, int line,
		enum bf_verdict_kind kind, const char *target,
		enum bf_match_type match)
{
	struct bf_chain *c = bf_ruleset_chain(rs, BF_FAMILY_INET4, chain);
	struct bf_rule r = { .family = BF_FAMILY_INET4,
			     .file = rs->files[0],
			     .line = line,
			     .verdict = { .kind = kind } };

	if (!c)
		assert_int_equal(bf_ruleset_add_chain(rs, BF_FAMILY_INET4,
						      chain, line, &c),
				 0);
	if (target)
		snprintf(r.verdict.chain, sizeof(r.verdict.chain), "%s",
			 target);
	if (match != BF_MATCH_COUNT) {
		struct bf_match m = { .type = match, .line = line };

		if (match == BF_MATCH_CTSTATE)
			m.u.ctstate.mask = BF_CTSTATE_NEW;
		assert_int_equal(bf_rule_add_match(&r, &m), 0);
	}
	assert_int_equal(bf_chain_add_rule(c, &r), 0);
}

static void chain(struct bf_ruleset *rs, const char *name)
{
	assert_int_equal(
		bf_ruleset_add_chain(rs, BF_FAMILY_INET4, name, 1, NULL), 0);
}

static void assert_log(const char *needle)
{
	if (!strstr(logbuf, needle))
		fail_msg("expected \"%s\" in log:\n%s", needle, logbuf);
}

static void test_ok(void **state)
{
	struct bf_ruleset *rs = *state;

	chain(rs, "a");
	add(rs, "INPUT", 5, BF_VERDICT_JUMP, "a", BF_MATCH_COUNT);
	add(rs, "a", 6, BF_VERDICT_DROP, NULL, BF_MATCH_CTSTATE);
	for (int k = 0; k < BF_ATTACH_COUNT; k++) {
		int r = bf_check(rs, k, k == BF_ATTACH_NF ? NULL : "eth0");

		/* ctstate is nf only */
		assert_int_equal(r, k == BF_ATTACH_NF ? 0 : -EINVAL);
	}
	assert_log("t.rules:6: conntrack state is not supported at tc");
	assert_int_equal(bf_ruleset_ct_families(rs), 1u << BF_FAMILY_INET4);
}

static void test_missing_target(void **state)
{
	struct bf_ruleset *rs = *state;

	add(rs, "INPUT", 7, BF_VERDICT_JUMP, "nope", BF_MATCH_COUNT);
	add(rs, "OUTPUT", 9, BF_VERDICT_GOTO, "OUTPUT", BF_MATCH_COUNT);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), -EINVAL);
	assert_log("t.rules:7: jump target chain 'nope' does not exist");
	assert_log("t.rules:9: cannot jump to built-in chain 'OUTPUT'");
}

static void test_loop(void **state)
{
	struct bf_ruleset *rs = *state;

	chain(rs, "a");
	chain(rs, "b");
	add(rs, "FORWARD", 3, BF_VERDICT_JUMP, "a", BF_MATCH_COUNT);
	add(rs, "a", 4, BF_VERDICT_JUMP, "b", BF_MATCH_COUNT);
	add(rs, "b", 5, BF_VERDICT_GOTO, "a", BF_MATCH_COUNT);
	/* refused at every attachment, FORWARD unused there or not */
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), -EINVAL);
	assert_log("t.rules:5: goto from chain 'b' to 'a' makes a loop");
}

static void test_unreachable_loop_ok(void **state)
{
	struct bf_ruleset *rs = *state;

	chain(rs, "a");
	chain(rs, "b");
	add(rs, "a", 4, BF_VERDICT_JUMP, "b", BF_MATCH_COUNT);
	add(rs, "b", 5, BF_VERDICT_JUMP, "a", BF_MATCH_COUNT);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
}

/* INPUT -> c1 -> ... -> cN: entry + INPUT + N frames. */
static void nest(struct bf_ruleset *rs, int n)
{
	char name[8], prev[8] = "INPUT";

	for (int i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		chain(rs, name);
		add(rs, prev, 10 + i, BF_VERDICT_JUMP, name, BF_MATCH_COUNT);
		snprintf(prev, sizeof(prev), "%s", name);
	}
}

static void test_depth_limit_ok(void **state)
{
	nest(*state, BF_CHECK_MAX_FRAMES - 2);
	assert_int_equal(bf_check(*state, BF_ATTACH_NF, NULL), 0);
}

static void test_depth_limit_exceeded(void **state)
{
	nest(*state, BF_CHECK_MAX_FRAMES - 1);
	assert_int_equal(bf_check(*state, BF_ATTACH_NF, NULL), -EINVAL);
	/* the jump into the 9th frame is c6's, at line 17 */
	assert_log("t.rules:17: chain nesting too deep for BPF: INPUT needs 9 "
		   "call frames, at most 8 are supported (path: INPUT -> c1 -> "
		   "c2 -> c3 -> c4 -> c5 -> c6 -> c7)");
}

static void test_hooks_per_attach(void **state)
{
	struct bf_ruleset *rs = *state;
	struct bf_chain *fwd =
		bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_FORWARD);

	add(rs, "OUTPUT", 8, BF_VERDICT_DROP, NULL, BF_MATCH_COUNT);
	fwd->policy = BF_VERDICT_DROP;
	fwd->line = 3;
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
	assert_int_equal(bf_check(rs, BF_ATTACH_TC, "eth0"), -EINVAL);
	assert_log("t.rules:3: ipv4 FORWARD policy DROP cannot be enforced at "
		   "tc");
	logbuf[0] = '\0';
	assert_int_equal(bf_check(rs, BF_ATTACH_XDP, "eth0"), -EINVAL);
	assert_log("t.rules:8: ipv4 OUTPUT rules cannot be attached at xdp");
	assert_log("t.rules:3: ipv4 FORWARD policy DROP");
	/* the IPv6 table is not declared: its chains are not checked */
	fwd->policy = BF_VERDICT_ACCEPT;
	logbuf[0] = '\0';
	assert_int_equal(bf_check(rs, BF_ATTACH_TC, "eth0"), 0);
}

/* xt_mac is valid from INPUT and FORWARD only: a chain using it that OUTPUT
 * reaches, even through a jump, is refused; reached from INPUT it is not. */
static void test_match_hooks(void **state)
{
	struct bf_ruleset *rs = *state;

	chain(rs, "m");
	add(rs, "m", 7, BF_VERDICT_DROP, NULL, BF_MATCH_MAC);
	add(rs, "INPUT", 8, BF_VERDICT_JUMP, "m", BF_MATCH_COUNT);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), 0);
	add(rs, "OUTPUT", 9, BF_VERDICT_JUMP, "m", BF_MATCH_COUNT);
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), -EINVAL);
	assert_log("t.rules:7: match 'mac' cannot be used from OUTPUT");
}

static void test_iface_args(void **state)
{
	struct bf_ruleset *rs = *state;

	assert_int_equal(bf_check(rs, BF_ATTACH_TC, NULL), -EINVAL);
	assert_log("an interface is required to attach at tc");
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, "eth0"), -EINVAL);
	assert_int_equal(bf_check(rs, BF_ATTACH_XDP,
				  "a-name-longer-than-ifnamsiz"),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_target, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_loop_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit_exceeded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks_per_attach, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_match_hooks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_iface_args, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
