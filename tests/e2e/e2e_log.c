// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: the LOG target. A LOG rule before an ACCEPT logs the
 * packets it sees, and `bpfilter log` prints them in the kernel's LOG
 * format (net/netfilter/nf_log_syslog.c); the packets still pass.
 */
#include "e2e.h"

/* The line of out that starts with prefix (copied into line[size]). */
static void line_of(const char *out, const char *prefix, char *line,
		    size_t size)
{
	const char *p = out ? strstr(out, prefix) : NULL;
	size_t n;

	if (!p)
		fail_msg("no line \"%s...\" in:\n%s", prefix, out ? out : "");
	n = strcspn(p, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(line, p, n);
	line[n] = '\0';
}

/* After "MAC=" in line: an Ethernet header (14 bytes "xx:", IPv4
 * EtherType last), a space, then rest. */
static void mac_then(const char *line, const char *rest)
{
	const char *p = strstr(line, " MAC=");
	unsigned int b[14];
	int n = 0;

	assert_non_null(p);
	p += 5;
	if (sscanf(p,
		   "%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x:%2x %n",
		   &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7],
		   &b[8], &b[9], &b[10], &b[11], &b[12], &b[13], &n) != 14 ||
	    n != 42)
		fail_msg("no Ethernet header after MAC= in: %s", line);
	assert_int_equal(b[12], 0x08);
	assert_int_equal(b[13], 0x00);
	if (strncmp(p + n, rest, strlen(rest)))
		fail_msg("expected \"%s\" after the MAC header in: %s", rest,
			 line);
}

static void test_log_ping_syn(void **state)
{
	struct e2e *e = *state;
	char *out = NULL, line[1024], want[256];
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "log.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -p icmp -j LOG --log-prefix \"bf-icmp: \"\n"
		     "-A INPUT -p icmp -j ACCEPT\n"
		     "-A INPUT -p tcp -m tcp --dport 5001 --tcp-flags "
		     "SYN,ACK SYN -j LOG --log-prefix \"bf-syn: \" "
		     "--log-level 6 --log-tcp-options --log-tcp-sequence\n"
		     "-A INPUT -p tcp -m tcp --dport 5001 -j ACCEPT\n"
		     "COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s", f), 0);
	/* nothing logged yet: no output */
	assert_int_equal(e2e_cli(&out, e->b, "log"), 0);
	assert_int_equal(e2e_count(out, "IN="), 0);
	free(out);

	assert_true(e2e_ping(e->a, "192.0.2.2"));
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(&out, e->b, "log"), 0);
	/* exactly one echo request and one SYN */
	assert_int_equal(e2e_count(out, "bf-icmp: "), 1);
	assert_int_equal(e2e_count(out, "bf-syn: "), 1);

	line_of(out, "bf-icmp: ", line, sizeof(line));
	snprintf(want, sizeof(want), "bf-icmp: IN=%s OUT= MAC=", e->ib);
	e2e_assert_contains(line, want);
	mac_then(line, "SRC=192.0.2.1 DST=192.0.2.2 LEN=84 TOS=0x00 "
		       "PREC=0x00 TTL=64 ID=");
	e2e_assert_contains(line, " DF PROTO=ICMP TYPE=8 CODE=0 ID=");
	e2e_assert_contains(line, " SEQ=1 ");
	print_message("%s\n", line);

	line_of(out, "bf-syn: ", line, sizeof(line));
	snprintf(want, sizeof(want), "bf-syn: IN=%s OUT= MAC=", e->ib);
	e2e_assert_contains(line, want);
	mac_then(line, "SRC=192.0.2.1 DST=192.0.2.2 LEN=60 TOS=0x00 "
		       "PREC=0x00 TTL=64 ID=");
	e2e_assert_contains(line, " DF PROTO=TCP SPT=");
	e2e_assert_contains(line, " DPT=5001 SEQ=");
	e2e_assert_contains(line, " ACK=0 WINDOW=");
	e2e_assert_contains(line, " RES=0x00 SYN URGP=0 OPT (020405B4");
	print_message("%s\n", line);
	free(out);

	/* read once: the records are gone */
	assert_int_equal(e2e_cli(&out, e->b, "log"), 0);
	assert_int_equal(e2e_count(out, "IN="), 0);
	free(out);

	/* --json: one object a line, with the rule's level and prefix */
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(&out, e->b, "log --json"), 0);
	assert_int_equal(e2e_count(out, "\"prefix\":\"bf-syn: \""), 1);
	e2e_assert_contains(out, "\"level\":6");
	e2e_assert_contains(out, "\"slot\":\"nf\"");
	e2e_assert_contains(out, "\"family\":\"ipv4\"");
	e2e_assert_contains(out, "\"line\":\"bf-syn: IN=");
	free(out);

	/* XDP on b's interface: the same line, the interface from the
	 * slot (IN= at ingress) */
	f = e2e_file(e, "xdp.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     "-A INPUT -p icmp -j LOG --log-prefix \"xdp-icmp: \"\n"
		     "COMMIT\n");
	assert_int_equal(e2e_cli(NULL, e->b, "apply --hook xdp --iface %s %s",
				 e->ib, f),
			 0);
	assert_true(e2e_ping(e->a, "192.0.2.2"));
	assert_int_equal(e2e_cli(&out, e->b, "log"), 0);
	assert_int_equal(e2e_count(out, "xdp-icmp: "), 1);
	assert_int_equal(e2e_count(out, "bf-icmp: "), 1);
	line_of(out, "xdp-icmp: ", line, sizeof(line));
	snprintf(want, sizeof(want), "xdp-icmp: IN=%s OUT= MAC=", e->ib);
	e2e_assert_contains(line, want);
	mac_then(line, "SRC=192.0.2.1 DST=192.0.2.2 LEN=84 TOS=0x00 "
		       "PREC=0x00 TTL=64 ID=");
	e2e_assert_contains(line, " DF PROTO=ICMP TYPE=8 CODE=0 ID=");
	free(out);
	assert_int_equal(
		e2e_cli(NULL, e->b, "flush --hook xdp --iface %s", e->ib), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_ping_syn),
	};

	(void)e2e_list;

	return cmocka_run_group_tests(tests, e2e_setup_pair,
				      e2e_teardown_state);
}
