// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: the extension targets other than LOG. NFLOG records reach
 * `bpfilter log` with their group and prefix; MARK at tc sets the mark a
 * later rule and the kernel's own iptables see; REJECT at the netfilter
 * hook drops with a warning (no reply can be sent from there); MARK and
 * CONNMARK where they cannot work are refused with file:line. REJECT
 * replies themselves are compared with iptables' in
 * tests/diff/diff_reject.c.
 */
#include "e2e.h"

static int setup_pair(void **state)
{
	static struct e2e e;

	*state = &e;
	if (!bft_kernel_available(&(const char *){ NULL }))
		return 0;
	return e2e_pair_setup(&e) ? -1 : 0;
}

static int teardown(void **state)
{
	e2e_teardown(*state);
	return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "");
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_nflog(void **state)
{
	struct e2e *e = *state;
	char *out = NULL, want[128];
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "nflog.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -p icmp -j NFLOG --nflog-group 5 "
		     "--nflog-prefix \"nf-icmp\"\n"
		     "-A INPUT -p tcp --dport 5001 --syn -j NFLOG\n"
		     "COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s", f), 0);
	/* NFLOG goes on with the next rule: the packets pass */
	assert_true(e2e_ping(e->a, "192.0.2.2"));
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(&out, e->b, "log"), 0);
	snprintf(want, sizeof(want), "NFLOG group 5: nf-icmp IN=%s OUT= ",
		 e->ib);
	assert_int_equal(count(out, want), 1);
	assert_contains(out, "SRC=192.0.2.1 DST=192.0.2.2 LEN=84 ");
	assert_contains(out, "PROTO=ICMP TYPE=8 CODE=0");
	/* group 0, no prefix */
	snprintf(want, sizeof(want), "NFLOG group 0: IN=%s OUT= ", e->ib);
	assert_int_equal(count(out, want), 1);
	assert_contains(out, "DPT=5001 WINDOW=");
	print_message("%s", out);
	free(out);

	assert_true(e2e_ping(e->a, "192.0.2.2"));
	assert_int_equal(e2e_cli(&out, e->b, "log --json"), 0);
	assert_int_equal(count(out, "\"target\":\"NFLOG\""), 1);
	assert_contains(out, "\"group\":5");
	assert_contains(out, "\"prefix\":\"nf-icmp\"");
	free(out);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
}

/* MARK at tc ingress: a later rule of the same ruleset and the kernel's
 * iptables (INPUT, after tc) see the mark. */
static void test_mark_tc(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "mark.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -p icmp -j MARK --set-xmark 0x2a/0xff\n"
		     "-A INPUT -p icmp -m mark --mark 0x2a -j ACCEPT\n"
		     "-A INPUT -p icmp -j DROP\n"
		     "COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->b, "apply --hook tc --iface %s %s",
				 e->ib, f),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s iptables-legacy -A INPUT -p "
				"icmp -m mark --mark 0x2a",
				e->b),
			 0);
	assert_true(e2e_ping(e->a, "192.0.2.2"));
	assert_int_equal(bft_sh_out(&out,
				    "ip netns exec %s iptables-legacy -L INPUT "
				    "-v -x -n",
				    e->b),
			 0);
	/* exactly the echo request reached INPUT marked */
	assert_contains(out, "       1       84            1    --  *      *  "
			     "     0.0.0.0/0            0.0.0.0/0            "
			     "mark match 0x2a");
	free(out);

	/* a mark the ACCEPT rule does not match: the DROP rule wins */
	f = e2e_file(e, "mark2.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -p icmp -j MARK --set-mark 7\n"
		     "-A INPUT -p icmp -m mark --mark 0x2a -j ACCEPT\n"
		     "-A INPUT -p icmp -j DROP\n"
		     "COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->b, "apply --hook tc --iface %s %s",
				 e->ib, f),
			 0);
	assert_false(e2e_ping(e->a, "192.0.2.2"));
	assert_int_equal(
		e2e_cli(NULL, e->b, "flush --hook tc --iface %s", e->ib), 0);
	bft_sh("ip netns exec %s iptables-legacy -F INPUT", e->b);
}

static void test_refusals(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "bad.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -j MARK --set-mark 1\n"
		     "-A INPUT -j CONNMARK --save-mark\n"
		     "COMMIT\n");
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", f), 0);
	assert_contains(out, "bad.rules:5: target 'MARK' cannot be used at "
			     "nf: ");
	assert_contains(out, "bad.rules:6: target 'CONNMARK' cannot be used "
			     "at nf: ");
	free(out);
	assert_int_not_equal(e2e_cli(&out, e->b,
				     "apply --hook xdp --iface %s %s", e->ib,
				     f),
			     0);
	assert_contains(out, "bad.rules:5: target 'MARK' cannot be used at "
			     "xdp: XDP frames have no mark");
	free(out);
}

/* REJECT at nf: applied with a warning, the packet dropped, no reply
 * (ping sees a timeout, not "Destination ... Prohibited"). */
static void test_reject_nf(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "rej.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -p icmp -j REJECT --reject-with "
		     "icmp-host-prohibited\n"
		     "COMMIT\n");
	if (e2e_cli(&out, e->b, "apply %s", f))
		fail_msg("apply failed:\n%s", out ? out : "");
	assert_contains(out, "rej.rules:5: target 'REJECT' at nf: ");
	assert_contains(out, "no ICMP error is sent");
	free(out);
	assert_int_not_equal(bft_sh_out(&out,
					"ip netns exec %s ping -c1 -W1 "
					"192.0.2.2",
					e->a),
			     0);
	assert_true(count(out, "Prohibited") == 0);
	free(out);

	/* the same rules at tc: the sender is told */
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(e2e_cli(NULL, e->b, "apply --hook tc --iface %s %s",
				 e->ib, f),
			 0);
	assert_int_not_equal(bft_sh_out(&out,
					"ip netns exec %s ping -c1 -W1 "
					"192.0.2.2",
					e->a),
			     0);
	assert_contains(out, "From 192.0.2.2 icmp_seq=1 Destination Host "
			     "Prohibited");
	free(out);
	assert_int_equal(
		e2e_cli(NULL, e->b, "flush --hook tc --iface %s", e->ib), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_reject_nf),
		/* last: it loads iptables-legacy rules into the namespace,
		 * which keep bpfilter from attaching at nf afterwards */
		cmocka_unit_test(test_mark_tc),
	};

	(void)e2e_list;

	return cmocka_run_group_tests(tests, setup_pair, teardown);
}
