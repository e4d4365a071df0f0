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
	snprintf(want, sizeof(want),
		 "NFLOG group 5: nf-icmp IN=%s OUT= ", e->ib);
	assert_int_equal(e2e_count(out, want), 1);
	e2e_assert_contains(out, "SRC=192.0.2.1 DST=192.0.2.2 LEN=84 ");
	e2e_assert_contains(out, "PROTO=ICMP TYPE=8 CODE=0");
	/* group 0, no prefix */
	snprintf(want, sizeof(want), "NFLOG group 0: IN=%s OUT= ", e->ib);
	assert_int_equal(e2e_count(out, want), 1);
	e2e_assert_contains(out, "DPT=5001 WINDOW=");
	print_message("%s", out);
	free(out);

	assert_true(e2e_ping(e->a, "192.0.2.2"));
	assert_int_equal(e2e_cli(&out, e->b, "log --json"), 0);
	assert_int_equal(e2e_count(out, "\"target\":\"NFLOG\""), 1);
	e2e_assert_contains(out, "\"group\":5");
	e2e_assert_contains(out, "\"prefix\":\"nf-icmp\"");
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
	e2e_assert_contains(out,
			    "       1       84            1    --  *      *  "
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
	e2e_assert_contains(out, "bad.rules:5: target 'MARK' cannot be used at "
				 "nf: ");
	e2e_assert_contains(out,
			    "bad.rules:6: target 'CONNMARK' cannot be used "
			    "at nf: ");
	free(out);
	assert_int_not_equal(
		e2e_cli(&out, e->b, "apply --hook xdp --iface %s %s", e->ib, f),
		0);
	e2e_assert_contains(out, "bad.rules:5: target 'MARK' cannot be used at "
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
	e2e_assert_contains(out, "rej.rules:5: target 'REJECT' at nf: ");
	e2e_assert_contains(out, "no ICMP error is sent");
	free(out);
	assert_int_not_equal(bft_sh_out(&out,
					"ip netns exec %s ping -c1 -W1 "
					"192.0.2.2",
					e->a),
			     0);
	assert_true(e2e_count(out, "Prohibited") == 0);
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
	e2e_assert_contains(out, "From 192.0.2.2 icmp_seq=1 Destination Host "
				 "Prohibited");
	free(out);
	assert_int_equal(
		e2e_cli(NULL, e->b, "flush --hook tc --iface %s", e->ib), 0);
}

/* errno of a TCP connect from namespace ns to addr:port (0: connected),
 * -1 if the probe could not run */
static int connect_errno(const char *ns, const char *addr, uint16_t port)
{
	int pfd[2], err = -1;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct sockaddr_storage ss;
		socklen_t len = 0, l = sizeof(err);
		struct pollfd pf;
		int af, fd;

		alarm(10);
		err = -1;
		if (!e2e_enter(ns) &&
		    (af = parse_addr(addr, &ss, port, &len)) >= 0 &&
		    (fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK, 0)) >= 0) {
			if (connect(fd, (void *)&ss, len) == 0)
				err = 0;
			else if (errno != EINPROGRESS)
				err = errno;
			else {
				pf.fd = fd;
				pf.events = POLLOUT;
				err = poll(&pf, 1, E2E_PROBE_MS) == 1 &&
						      !getsockopt(fd,
								  SOL_SOCKET,
								  SO_ERROR,
								  &err, &l) ?
					      err :
					      ETIMEDOUT;
			}
		}
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &err, sizeof(err)) != sizeof(err))
		err = -1;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return err;
}

/* REJECT in OUTPUT at tc egress: the reply enters this host through lo
 * and the local socket gets the error of the ICMP code (or the reset). */
static void test_reject_tc_egress(void **state)
{
	struct e2e *e = *state;
	const char *f4, *f6;

	BFT_REQUIRE_KERNEL();
	/* without rules: a's closed port answers with a reset */
	assert_int_equal(connect_errno(e->b, "192.0.2.1", 5999), ECONNREFUSED);
	f4 = e2e_file(e, "out4.rules",
		      "*filter\n"
		      ":INPUT ACCEPT [0:0]\n"
		      ":FORWARD ACCEPT [0:0]\n"
		      ":OUTPUT ACCEPT [0:0]\n"
		      "-A OUTPUT -p tcp --dport 5999 -j REJECT --reject-with "
		      "icmp-host-prohibited\n"
		      "-A OUTPUT -p tcp --dport 5998 -j REJECT --reject-with "
		      "tcp-reset\n"
		      "COMMIT\n");
	f6 = e2e_file(e, "out6.rules",
		      "*filter\n"
		      ":INPUT ACCEPT [0:0]\n"
		      ":FORWARD ACCEPT [0:0]\n"
		      ":OUTPUT ACCEPT [0:0]\n"
		      "-A OUTPUT -p tcp --dport 5999 -j REJECT --reject-with "
		      "icmp6-adm-prohibited\n"
		      "-A OUTPUT -p tcp --dport 5998 -j REJECT --reject-with "
		      "tcp-reset\n"
		      "COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->b,
				 "apply --hook tc --iface %s -4 %s -6 %s",
				 e->ib, f4, f6),
			 0);
	/* icmp_err_convert[]: host prohibited is EHOSTUNREACH; ICMPv6
	 * administratively prohibited is EACCES */
	assert_int_equal(connect_errno(e->b, "192.0.2.1", 5999), EHOSTUNREACH);
	assert_int_equal(connect_errno(e->b, "2001:db8::1", 5999), EACCES);
	assert_int_equal(connect_errno(e->b, "192.0.2.1", 5998), ECONNREFUSED);
	assert_int_equal(connect_errno(e->b, "2001:db8::1", 5998),
			 ECONNREFUSED);
	assert_int_equal(
		e2e_cli(NULL, e->b, "flush --hook tc --iface %s", e->ib), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_reject_nf),
		cmocka_unit_test(test_reject_tc_egress),
		/* last: it loads iptables-legacy rules into the namespace,
		 * which keep bpfilter from attaching at nf afterwards */
		cmocka_unit_test(test_mark_tc),
	};

	(void)e2e_list;

	return cmocka_run_group_tests(tests, e2e_setup_pair,
				      e2e_teardown_state);
}
