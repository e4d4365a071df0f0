// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: what survives and what is refused. Bad input leaves the
 * ruleset in force untouched (with file:line in the error), the state
 * outlives the command and its private mount namespace, the
 * iptables-restore entry points, and conntrack state at netfilter hooks.
 */
#include <sys/statfs.h>

#include "e2e.h"

static const char good[] = "*filter\n"
			   ":INPUT ACCEPT [0:0]\n"
			   ":FORWARD ACCEPT [0:0]\n"
			   ":OUTPUT ACCEPT [0:0]\n"
			   "-A INPUT -p tcp -m tcp --dport 5001 -j DROP\n"
			   "COMMIT\n";

static void assert_good_in_force(struct e2e *e, long long generation)
{
	json_t *doc = e2e_list(e->b);

	assert_non_null(doc);
	assert_int_equal(e2e_generation(doc, "nf"), generation);
	json_decref(doc);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
}

static void test_refuse_bad_input(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "good.rules", good);
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s", f), 0);
	assert_good_in_force(e, 1);

	/* Parse error: unknown jump target at line 5. */
	f = e2e_file(e, "bad1.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -p tcp -j nosuchchain\n"
		     "COMMIT\n");
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", f), 0);
	e2e_assert_contains(out, "bad1.rules:5:");
	e2e_assert_contains(out, "bpfilter: ");
	free(out);

	/* Check error: a loop between two user chains (line 8 closes it). */
	f = e2e_file(e, "bad2.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     ":a - [0:0]\n"
		     ":b - [0:0]\n"
		     "-A INPUT -j a\n"
		     "-A b -j a\n"
		     "-A a -j b\n"
		     "COMMIT\n");
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", f), 0);
	e2e_assert_contains(out, "bad2.rules:");
	e2e_assert_contains(out, "loop");
	free(out);

	/* Hook error: FORWARD rules make no sense at xdp; nothing is
	 * attached there and nf keeps its ruleset. */
	f = e2e_file(e, "bad3.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -p tcp -m tcp --dport 5000 -j DROP\n"
		     "-A FORWARD -j DROP\n"
		     "COMMIT\n");
	assert_int_not_equal(
		e2e_cli(&out, e->b, "apply --hook xdp --iface %s %s", e->ib, f),
		0);
	e2e_assert_contains(out, "bad3.rules:6:");
	free(out);
	assert_int_equal(
		bft_sh("ip -n %s link show %s | grep -q xdp", e->b, e->ib), 1);

	/* IPv6 input broken, IPv4 fine: all or nothing, neither changes. */
	f = e2e_file(e, "bad4.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     "-A INPUT -p tcp --dport 5000 -j DROP\n"
		     "-A INPUT --bogus-option\n"
		     "COMMIT\n");
	assert_int_not_equal(e2e_cli(&out, e->b, "apply -4 %s/good.rules -6 %s",
				     e->tmp, f),
			     0);
	e2e_assert_contains(out, "bad4.rules:4:");
	free(out);

	assert_good_in_force(e, 1);
}

/* The filter outlives the command, whose mount namespace (made by ip netns
 * exec) is gone; the pins live in the outer namespace's bpffs. */
static void test_persistence(void **state)
{
	struct e2e *e = *state;
	const char *root = getenv("BPFILTER_PIN_ROOT");
	char *out = NULL;
	struct statfs st;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s",
				 e2e_file(e, "good.rules", good)),
			 0);
	/* ip netns exec's private mount namespace died with the command;
	 * the bpffs we see is the outer one. */
	assert_int_equal(statfs(root && *root ? root : "/run/bpfilter", &st),
			 0);
	assert_true((unsigned long)st.f_type == 0xcafe4a11UL);
	sleep(1);
	assert_good_in_force(e, 1);
	/* The state is found again from a fresh ip netns exec. */
	assert_int_equal(e2e_cli(&out, e->b, "save"), 0);
	e2e_assert_contains(out, "-A INPUT -p tcp -m tcp --dport 5001 -j DROP");
	free(out);
	/* Another namespace sees nothing of it. */
	assert_int_equal(e2e_cli(&out, e->a, "save"), 0);
	assert_true(strstr(out, "-A INPUT") == NULL);
	free(out);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
}

static void test_iptables_restore(void **state)
{
	struct e2e *e = *state;
	const char *f = e2e_file(e, "good.rules", good);
	char *out = NULL;

	BFT_REQUIRE_KERNEL();
	/* --test: parsed and compiled, nothing attached */
	assert_int_equal(e2e_cli(NULL, e->b, "iptables-restore --test < %s", f),
			 0);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	/* --noflush: on top of the table in force (here: none); tested
	 * against iptables-legacy-restore in e2e_live.c */
	assert_int_equal(e2e_cli(&out, e->b, "iptables-restore -n < %s", f), 0);
	free(out);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	/* invoked under the name iptables-restore, with -c counters */
	f = e2e_file(e, "cnt.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [7:700]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "[3:300] -A INPUT -p tcp -m tcp --dport 5001 -j DROP\n"
		     "COMMIT\n");
	assert_int_equal(bft_sh("ln -sf \"$(realpath %s)\" %s/iptables-restore",
				bft_bpfilter_bin(), e->tmp),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s %s/iptables-restore -c < %s",
				e->b, e->tmp, f),
			 0);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(&out, e->b, "save --counters"), 0);
	e2e_assert_contains(out, ":INPUT ACCEPT [7:700]");
	assert_true(strstr(out, "[3:300] -A INPUT") == NULL); /* it counted */
	e2e_assert_contains(out, "-A INPUT -p tcp -m tcp --dport 5001 -j DROP");
	free(out);
	/* without -c, counters of the input are not loaded */
	assert_int_equal(e2e_cli(NULL, e->b, "iptables-restore < %s", f), 0);
	assert_int_equal(e2e_cli(&out, e->b, "save --counters"), 0);
	e2e_assert_contains(out, "[0:0] -A INPUT -p tcp");
	free(out);
	/* ip6tables-restore fills the IPv6 table, IPv4 stays */
	assert_true(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(NULL, e->b, "ip6tables-restore %s", f), 0);
	assert_false(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_FILTER));
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(&out, e->b, "save -6"), 0);
	e2e_assert_contains(out, "ipv6");
	e2e_assert_contains(out, "-A INPUT -p tcp -m tcp --dport 5001 -j DROP");
	free(out);
}

/* Conntrack at nf: NEW connections into B are dropped, replies to
 * connections B opens are ESTABLISHED and accepted. */
static void test_conntrack(void **state)
{
	struct e2e *e = *state;
	struct e2e srv_a = { 0 };
	const char *f = e2e_file(e, "ct.rules",
				 "*filter\n"
				 ":INPUT ACCEPT [0:0]\n"
				 ":FORWARD ACCEPT [0:0]\n"
				 ":OUTPUT ACCEPT [0:0]\n"
				 "-A INPUT -m conntrack --ctstate "
				 "RELATED,ESTABLISHED -j ACCEPT\n"
				 "-A INPUT -p tcp -m conntrack --ctstate NEW "
				 "-j DROP\n"
				 "COMMIT\n");
	json_t *doc;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_server_start(&srv_a, e->a), 0);
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s", f), 0);
	/* the helper table holding IPv4 conntrack in B's namespace, and
	 * none for IPv6 (an IPv4 ruleset leaves IPv6 conntrack off) */
	assert_int_equal(bft_sh("ip netns exec %s nft list table ip "
				"bpfilter_ct >/dev/null",
				e->b),
			 0);
	assert_int_not_equal(bft_sh("ip netns exec %s nft list table ip6 "
				    "bpfilter_ct >/dev/null 2>&1",
				    e->b),
			     0);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_true(e2e_tcp(e->b, "192.0.2.1", E2E_TCP_OPEN));
	doc = e2e_list(e->b);
	assert_non_null(doc);
	/* SYN-ACK (and whatever follows) ESTABLISHED, the SYN from A NEW */
	assert_true(e2e_counter(doc, "nf", "ipv4", "INPUT", 1, "packets") >= 1);
	assert_true(e2e_counter(doc, "nf", "ipv4", "INPUT", 2, "packets") >= 1);
	json_decref(doc);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_not_equal(bft_sh("ip netns exec %s nft list table ip "
				    "bpfilter_ct >/dev/null 2>&1",
				    e->b),
			     0);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	e2e_server_stop(&srv_a);
}

/* A namespace deleted without a flush stays alive (the netfilter links hold
 * it); gc finds it and releases it, and leaves live namespaces alone. */
static void test_gc(void **state)
{
	struct e2e *e = *state;
	const char *f = e2e_file(e, "good.rules", good);
	char x[16], *out = NULL;

	BFT_REQUIRE_KERNEL();
	bft_unique_name(x, sizeof(x), "e2x");
	/* e2e_teardown_state flushes and deletes it on every path */
	snprintf(e->r, sizeof(e->r), "%s", x);
	assert_int_equal(bft_sh("ip netns add %s && ip link add gx netns %s "
				"type veth peer name gy netns %s",
				x, x, e->b),
			 0);
	assert_int_equal(e2e_cli(NULL, x, "apply %s", f), 0);
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s", f), 0);
	assert_int_equal(bft_sh("ip netns del %s", x), 0);
	sleep(1);
	/* still alive: its end of the veth pair keeps ours */
	assert_int_equal(bft_sh("ip -n %s link show gy >/dev/null", e->b), 0);
	assert_int_equal(bft_sh_out(&out, "%s gc -n", bft_bpfilter_bin()), 0);
	assert_non_null(strstr(out, "would remove"));
	free(out);
	assert_int_equal(bft_sh("ip -n %s link show gy >/dev/null", e->b), 0);
	assert_int_equal(bft_sh("%s gc >/dev/null", bft_bpfilter_bin()), 0);
	for (int i = 0; i < 50; i++) {
		if (bft_sh("ip -n %s link show gy >/dev/null 2>&1", e->b))
			break;
		usleep(100 * 1000);
	}
	assert_int_not_equal(
		bft_sh("ip -n %s link show gy >/dev/null 2>&1", e->b), 0);
	/* B's ruleset is untouched */
	assert_good_in_force(e, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refuse_bad_input,
						e2e_setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(
			test_persistence, e2e_setup_pair, e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_iptables_restore,
						e2e_setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_conntrack, e2e_setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_gc, e2e_setup_pair,
						e2e_teardown_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
