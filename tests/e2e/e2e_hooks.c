// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end, per hook kind: apply a small real ruleset with the CLI under
 * `ip netns exec` (the command exits, the filter must stay), send real
 * packets between namespaces, check delivery and the counters that
 * `bpfilter list --json` reports, re-apply, flush, check traffic flows.
 */
#include "e2e.h"

/* Drops TCP to E2E_TCP_FILTER and UDP to E2E_UDP_FILTER at `chain`, and
 * counts ICMP echo requests. */
static const char *rules_in(struct e2e *e, const char *name, int tcp, int udp)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "*filter\n"
		 ":INPUT ACCEPT [0:0]\n"
		 ":FORWARD ACCEPT [0:0]\n"
		 ":OUTPUT ACCEPT [0:0]\n"
		 "-A INPUT -p tcp -m tcp --dport %d -j DROP\n"
		 "-A INPUT -p udp -m udp --dport %d -j DROP\n"
		 "-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT\n"
		 "COMMIT\n",
		 tcp, udp);
	return e2e_file(e, name, text);
}

static int setup_pair(void **state)
{
	static struct e2e e;

	*state = &e;
	if (!bft_kernel_available(&(const char *){ NULL }))
		return 0; /* each test skips itself */
	return e2e_pair_setup(&e) ? -1 : 0;
}

static int setup_router(void **state)
{
	static struct e2e e;

	*state = &e;
	if (!bft_kernel_available(&(const char *){ NULL }))
		return 0;
	return e2e_router_setup(&e) ? -1 : 0;
}

/* INPUT-style checks against B (2001:db8::2 / 192.0.2.2) from A, with
 * tcp_drop / udp_drop the ports the ruleset in force drops. */
static void check_input(struct e2e *e, const char *addr, int tcp_drop,
			int udp_drop)
{
	int tcp_ok = tcp_drop == E2E_TCP_OPEN ? E2E_TCP_FILTER : E2E_TCP_OPEN;
	int udp_ok = udp_drop == E2E_UDP_OPEN ? E2E_UDP_FILTER : E2E_UDP_OPEN;

	assert_true(e2e_tcp(e->a, addr, tcp_ok));
	assert_false(e2e_tcp(e->a, addr, tcp_drop));
	assert_true(e2e_udp(e, e->a, addr, udp_ok));
	assert_false(e2e_udp(e, e->a, addr, udp_drop));
}

static void check_all_open(struct e2e *e, const char *ns, const char *addr)
{
	assert_true(e2e_tcp(ns, addr, E2E_TCP_OPEN));
	assert_true(e2e_tcp(ns, addr, E2E_TCP_FILTER));
	assert_true(e2e_udp(e, ns, addr, E2E_UDP_OPEN));
	assert_true(e2e_udp(e, ns, addr, E2E_UDP_FILTER));
}

/* Apply in B at hook/iface, probe, check counters, re-apply the opposite
 * ruleset, probe again, flush, check everything flows. */
static void run_input(struct e2e *e, const char *hook_args, const char *slot)
{
	json_t *doc;
	const char *f1 =
		rules_in(e, "in1.rules", E2E_TCP_FILTER, E2E_UDP_FILTER);
	const char *f2;

	assert_int_equal(e2e_cli(NULL, e->b, "apply %s %s", hook_args, f1), 0);
	/* another process in B (the filter is held by pins, not by us) */
	assert_int_equal(bft_sh("ip netns exec %s true", e->b), 0);
	check_input(e, "192.0.2.2", E2E_TCP_FILTER, E2E_UDP_FILTER);
	assert_true(e2e_ping(e->a, "192.0.2.2"));

	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_int_equal(e2e_generation(doc, slot), 1);
	/* One SYN at least (retransmits may add some), exactly one UDP
	 * datagram of 20 + 8 + 14 bytes, exactly one echo request of 84. */
	assert_true(e2e_counter(doc, slot, "ipv4", "INPUT", 1, "packets") >= 1);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 2, "packets"),
			 1);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 2, "bytes"),
			 42);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 3, "packets"),
			 1);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 3, "bytes"),
			 84);
	json_decref(doc);

	/* Re-apply: the other ports are dropped now, counters start at 0. */
	f2 = rules_in(e, "in2.rules", E2E_TCP_OPEN, E2E_UDP_OPEN);
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s %s", hook_args, f2), 0);
	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_int_equal(e2e_generation(doc, slot), 2);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 2, "packets"),
			 0);
	json_decref(doc);
	check_input(e, "192.0.2.2", E2E_TCP_OPEN, E2E_UDP_OPEN);
	doc = e2e_list(e->b);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 2, "packets"),
			 1);
	json_decref(doc);

	assert_int_equal(e2e_cli(NULL, e->b, "flush %s", hook_args), 0);
	check_all_open(e, e->a, "192.0.2.2");
	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_int_equal(e2e_generation(doc, slot), -1);
	json_decref(doc);
}

static void test_nf_input(void **state)
{
	BFT_REQUIRE_KERNEL();
	run_input(*state, "", "nf");
}

static void test_tc_ingress(void **state)
{
	struct e2e *e = *state;
	char args[64];

	BFT_REQUIRE_KERNEL();
	snprintf(args, sizeof(args), "--hook tc --iface %s", e->ib);
	run_input(e, args, "tc-b0");
}

static void test_xdp(void **state)
{
	struct e2e *e = *state;
	char args[64];

	BFT_REQUIRE_KERNEL();
	snprintf(args, sizeof(args), "--hook xdp --iface %s", e->ib);
	run_input(e, args, "xdp-b0");
}

/* IPv6 table applied alone leaves the IPv4 table in force (at tc and xdp
 * one program serves both families: it is recompiled with the kept IPv4
 * table). */
static void run_input6(struct e2e *e, const char *hook_args, const char *slot)
{
	const char *f4 =
		rules_in(e, "in4.rules", E2E_TCP_FILTER, E2E_UDP_FILTER);
	const char *f6 =
		e2e_file(e, "in6.rules",
			 "*filter\n"
			 ":INPUT ACCEPT [0:0]\n"
			 ":FORWARD ACCEPT [0:0]\n"
			 ":OUTPUT ACCEPT [0:0]\n"
			 "-A INPUT -p tcp -m tcp --dport 5000 -j DROP\n"
			 "COMMIT\n");
	json_t *doc;

	assert_int_equal(e2e_cli(NULL, e->b, "apply %s -4 %s", hook_args, f4),
			 0);
	assert_false(e2e_udp(e, e->a, "192.0.2.2", E2E_UDP_FILTER));
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s -6 %s", hook_args, f6),
			 0);
	/* the IPv4 table was kept, with its counters */
	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 2, "packets"),
			 1);
	assert_int_equal(e2e_generation(doc, slot), 2);
	json_decref(doc);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_false(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_OPEN));
	assert_true(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_FILTER));
	assert_true(e2e_udp(e, e->a, "2001:db8::2", E2E_UDP_FILTER));
	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_true(e2e_counter(doc, slot, "ipv6", "INPUT", 1, "packets") >= 1);
	assert_true(e2e_counter(doc, slot, "ipv4", "INPUT", 1, "packets") >= 1);
	json_decref(doc);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_true(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_OPEN));
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
}

static void test_nf_input6(void **state)
{
	BFT_REQUIRE_KERNEL();
	run_input6(*state, "", "nf");
}

static void test_tc_input6(void **state)
{
	struct e2e *e = *state;
	char args[64];

	BFT_REQUIRE_KERNEL();
	snprintf(args, sizeof(args), "--hook tc --iface %s", e->ib);
	run_input6(e, args, "tc-b0");
}

static void test_xdp_input6(void **state)
{
	struct e2e *e = *state;
	char args[64];

	BFT_REQUIRE_KERNEL();
	snprintf(args, sizeof(args), "--hook xdp --iface %s", e->ib);
	run_input6(e, args, "xdp-b0");
}

/* OUTPUT of B: drop the SYN-ACKs from port E2E_TCP_FILTER. */
static void run_output(struct e2e *e, const char *hook_args, const char *slot)
{
	const char *f =
		e2e_file(e, "out.rules",
			 "*filter\n"
			 ":INPUT ACCEPT [0:0]\n"
			 ":FORWARD ACCEPT [0:0]\n"
			 ":OUTPUT ACCEPT [0:0]\n"
			 "-A OUTPUT -p tcp -m tcp --sport 5001 -j DROP\n"
			 "-A OUTPUT -p icmp -j DROP\n"
			 "COMMIT\n");
	json_t *doc;

	assert_int_equal(e2e_cli(NULL, e->b, "apply %s %s", hook_args, f), 0);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_false(e2e_ping(e->a, "192.0.2.2"));
	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_true(e2e_counter(doc, slot, "ipv4", "OUTPUT", 1, "packets") >=
		    1);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "OUTPUT", 2, "packets"),
			 1);
	json_decref(doc);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_true(e2e_ping(e->a, "192.0.2.2"));
}

static void test_nf_output(void **state)
{
	BFT_REQUIRE_KERNEL();
	run_output(*state, "", "nf");
}

static void test_tc_egress(void **state)
{
	struct e2e *e = *state;
	char args[64];

	BFT_REQUIRE_KERNEL();
	snprintf(args, sizeof(args), "--hook tc --iface %s", e->ib);
	run_output(e, args, "tc-b0");
}

static void test_nf_forward(void **state)
{
	struct e2e *e = *state;
	const char *f =
		e2e_file(e, "fwd.rules",
			 "*filter\n"
			 ":INPUT ACCEPT [0:0]\n"
			 ":FORWARD ACCEPT [0:0]\n"
			 ":OUTPUT ACCEPT [0:0]\n"
			 "-A FORWARD -p tcp -m tcp --dport 5001 -j DROP\n"
			 "-A FORWARD -p udp -m udp --dport 5003 -j DROP\n"
			 "COMMIT\n");
	json_t *doc;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->r, "apply %s", f), 0);
	check_input(e, "198.51.100.1", E2E_TCP_FILTER, E2E_UDP_FILTER);
	doc = e2e_list(e->r);
	assert_non_null(doc);
	assert_true(e2e_counter(doc, "nf", "ipv4", "FORWARD", 1, "packets") >=
		    1);
	assert_int_equal(
		e2e_counter(doc, "nf", "ipv4", "FORWARD", 2, "packets"), 1);
	json_decref(doc);

	/* FORWARD policy DROP: nothing crosses R any more. */
	f = e2e_file(e, "fwd2.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD DROP [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->r, "apply %s", f), 0);
	assert_false(e2e_tcp(e->a, "198.51.100.1", E2E_TCP_OPEN));
	assert_true(e2e_ping(e->a, "192.0.2.254")); /* R itself: INPUT */
	assert_int_equal(e2e_cli(NULL, e->r, "flush"), 0);
	check_all_open(e, e->a, "198.51.100.1");
}

/* Datagrams to E2E_UDP_FILTER, every ms, from A to B, during `ms`. */
static pid_t flood_start(struct e2e *e, int ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(E2E_UDP_FILTER) };
		int fd;

		alarm(30);
		if (e2e_enter(e->a))
			_exit(3);
		inet_pton(AF_INET, "192.0.2.2", &sa.sin_addr);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		for (int i = 0; i < ms; i++) {
			sendto(fd, "flood", 5, 0, (void *)&sa, sizeof(sa));
			usleep(1000);
		}
		_exit(0);
	}
	return pid;
}

/* Re-applying never opens a gap: while rulesets that all drop
 * E2E_UDP_FILTER replace each other, none of a stream of datagrams to it
 * gets through, and the policy/other rules keep working. */
static void run_atomic(struct e2e *e, const char *hook_args, const char *slot)
{
	const char *f[2];
	uint16_t port;
	int delivered = 0, applies = 0;
	struct pollfd pf = { .fd = e->srv_pipe, .events = POLLIN };
	json_t *doc;
	long long total = 0;
	pid_t flood;

	f[0] = rules_in(e, "a1.rules", E2E_TCP_FILTER, E2E_UDP_FILTER);
	f[1] = e2e_file(e, "a2.rules",
			"*filter\n"
			":INPUT ACCEPT [0:0]\n"
			":FORWARD ACCEPT [0:0]\n"
			":OUTPUT ACCEPT [0:0]\n"
			"-A INPUT -p tcp -m tcp --dport 5000 -j DROP\n"
			"-A INPUT -p udp -m udp --dport 5003 -j DROP\n"
			"COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s %s", hook_args, f[0]),
			 0);
	e2e_udp_drain(e);
	flood = flood_start(e, 3000);
	assert_true(flood > 0);
	for (int i = 1; i <= 8; i++) {
		if (e2e_cli(NULL, e->b, "apply %s %s", hook_args, f[i % 2]) ==
		    0)
			applies++;
	}
	waitpid(flood, NULL, 0);
	while (poll(&pf, 1, 300) == 1 && read(e->srv_pipe, &port, 2) == 2) {
		if (port == E2E_UDP_FILTER)
			delivered++;
	}
	assert_int_equal(applies, 8);
	assert_int_equal(delivered, 0);
	/* the last ruleset (a1) is in force and counts what it drops */
	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_int_equal(e2e_generation(doc, slot), 9);
	total = e2e_counter(doc, slot, "ipv4", "INPUT", 2, "packets");
	json_decref(doc);
	assert_true(e2e_udp(e, e->a, "192.0.2.2", E2E_UDP_OPEN));
	assert_false(e2e_udp(e, e->a, "192.0.2.2", E2E_UDP_FILTER));
	doc = e2e_list(e->b);
	assert_int_equal(e2e_counter(doc, slot, "ipv4", "INPUT", 2, "packets"),
			 total + 1);
	json_decref(doc);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
}

static void test_nf_atomic(void **state)
{
	BFT_REQUIRE_KERNEL();
	run_atomic(*state, "", "nf");
}

static void test_xdp_atomic(void **state)
{
	struct e2e *e = *state;
	char args[64];

	BFT_REQUIRE_KERNEL();
	snprintf(args, sizeof(args), "--hook xdp --iface %s", e->ib);
	run_atomic(e, args, "xdp-b0");
}

/* A flush is in effect when the command returns: the first datagram
 * sent right after it passes (the kernel frees an unpinned link only
 * after an RCU grace period, so flush empties the dispatchers first). */
static void run_flush_now(struct e2e *e, const char *hook_args)
{
	const char *f =
		rules_in(e, "now.rules", E2E_TCP_FILTER, E2E_UDP_FILTER);
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(E2E_UDP_FILTER) };
	/* sent from this process, not a child: no delay after the flush */
	int tx = e2e_socket_in(e->a, AF_INET, SOCK_DGRAM);

	assert_true(tx >= 0);
	inet_pton(AF_INET, "192.0.2.2", &to.sin_addr);
	for (int i = 0; i < 10; i++) {
		struct pollfd pf = { .fd = e->srv_pipe, .events = POLLIN };
		uint16_t got = 0;

		assert_int_equal(
			e2e_cli(NULL, e->b, "apply %s %s", hook_args, f), 0);
		e2e_udp_drain(e);
		assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
		assert_int_equal(
			sendto(tx, "now", 3, 0, (void *)&to, sizeof(to)), 3);
		if (poll(&pf, 1, E2E_PROBE_MS) != 1 ||
		    read(e->srv_pipe, &got, 2) != 2 || got != E2E_UDP_FILTER)
			fail_msg(
				"%s: round %d: a datagram sent after the flush "
				"returned was dropped",
				hook_args[0] ? hook_args : "nf", i);
	}
	close(tx);
}

static void test_flush_now(void **state)
{
	struct e2e *e = *state;
	char args[64];

	BFT_REQUIRE_KERNEL();
	run_flush_now(e, "");
	snprintf(args, sizeof(args), "--hook tc --iface %s", e->ib);
	run_flush_now(e, args);
	snprintf(args, sizeof(args), "--hook xdp --iface %s", e->ib);
	run_flush_now(e, args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nf_input, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_nf_input6, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_nf_output, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_nf_forward, setup_router,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_tc_ingress, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_tc_egress, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_xdp, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_tc_input6, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_xdp_input6, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_nf_atomic, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_xdp_atomic, setup_pair,
						e2e_teardown_state),
		cmocka_unit_test_setup_teardown(test_flush_now, setup_pair,
						e2e_teardown_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
