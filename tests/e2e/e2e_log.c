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

/* Run a change with -v -v; fail unless it replaced one segment program
 * (want_one) or rebuilt everything. */
static void seg_change(struct e2e *e, const char *change, bool want_one)
{
	char *out = NULL;

	assert_int_equal(e2e_cli(&out, e->b, "-v -v %s", change), 0);
	if (!strstr(out, "(one segment)") != !want_one)
		fail_msg("%s: expected %s:\n%s", change,
			 want_one ? "one segment" : "a full rebuild", out);
	free(out);
}

/* Packets counted by rule num of nf INPUT (IPv4) in namespace ns. */
static long long counter_of(const char *ns, size_t num)
{
	json_t *doc = e2e_list(ns);
	long long v;

	assert_non_null(doc);
	v = e2e_counter(doc, "nf", "ipv4", "INPUT", num, "packets");
	json_decref(doc);
	return v;
}

/* Records of `bpfilter log` with prefix pfx after n pings. */
static size_t pings_logged(struct e2e *e, int n, const char *pfx)
{
	char *out = NULL;
	size_t c;

	for (int i = 0; i < n; i++)
		assert_true(e2e_ping(e->a, "192.0.2.2"));
	assert_int_equal(e2e_cli(&out, e->b, "log"), 0);
	c = e2e_count(out, pfx);
	free(out);
	return c;
}

/* LOG and limit rules in segment programs (load/seg.h): the chain is cut
 * although it logs; the records of a LOG rule in a later segment reach
 * `bpfilter log` through the point's ring, also after one-segment
 * changes elsewhere and in its own segment; a limit keeps its state
 * through changes of other rules, also of its own segment, and starts
 * afresh when it is replaced itself. */
static void test_log_in_segment(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	setenv("BPFILTER_SEG_MIN", "2", 1);
	setenv("BPFILTER_SEG_RULES", "2", 1);
	setenv("BPFILTER_SEG_FOLD", "0", 1);
	f = e2e_file(e, "seglog.rules",
		     "*filter\n"
		     ":INPUT ACCEPT [0:0]\n"
		     ":FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\n"
		     "-A INPUT -s 203.0.113.1 -p udp --dport 1001 -j DROP\n"
		     "-A INPUT -s 203.0.113.2 -p udp --dport 1002 -j DROP\n"
		     "-A INPUT -s 203.0.113.3 -p tcp --dport 1003 -j DROP\n"
		     "-A INPUT -s 203.0.113.4 -p tcp --dport 1004 -j DROP\n"
		     "-A INPUT -s 203.0.113.5 -p udp --dport 1005 -j DROP\n"
		     "-A INPUT -s 203.0.113.6 -p udp --dport 1006 -j DROP\n"
		     "-A INPUT -p icmp -m limit --limit 1/hour "
		     "--limit-burst 2 -j LOG --log-prefix \"seg-lim: \"\n"
		     "-A INPUT -s 203.0.113.7 -p tcp --dport 1007 -j DROP\n"
		     "-A INPUT -s 203.0.113.8 -p tcp --dport 1008 -j DROP\n"
		     "-A INPUT -s 203.0.113.9 -p tcp --dport 1009 -j DROP\n"
		     "-A INPUT -p icmp -j LOG --log-prefix \"seg-all: \"\n"
		     "-A INPUT -p icmp -j ACCEPT\n"
		     "COMMIT\n");
	assert_int_equal(e2e_cli(&out, e->b, "-v -v apply -4 %s", f), 0);
	if (!strstr(out, "in4: 6 segment programs of"))
		fail_msg("INPUT not segmented:\n%s", out);
	free(out);
	out = NULL;
	assert_int_equal(e2e_cli(&out, e->b, "log"), 0);
	free(out);
	out = NULL;

	/* cut by rule count: segments of rules 1-2, 3-4, ..., 11-12; the
	 * limit (rule 7) in segment 3, the last LOG (rule 11) in 5 */
	assert_int_equal(pings_logged(e, 3, "seg-all: "), 3);
	/* the burst of 2 is spent; every ping still reaches seg-all */
	assert_int_equal(pings_logged(e, 2, "seg-lim: "), 0);

	/* a change in segment 0: the limit's state and the ring stay */
	seg_change(e, "rule replace INPUT 1 -s 203.0.113.11 -j DROP", true);
	assert_int_equal(pings_logged(e, 1, "seg-lim: "), 0);
	assert_int_equal(pings_logged(e, 2, "seg-all: "), 2);
	/* a change in the LOG rule's own segment: the new segment program
	 * writes to the same ring */
	seg_change(e, "rule replace INPUT 12 -p icmp -s 192.0.2.0/24 -j ACCEPT",
		   true);
	assert_int_equal(pings_logged(e, 2, "seg-all: "), 2);
	/* a change in the limit's segment that leaves the stateful rules
	 * as they are: the new segment program keeps the state */
	seg_change(e, "rule replace INPUT 8 -s 203.0.113.17 -j DROP", true);
	assert_int_equal(pings_logged(e, 3, "seg-lim: "), 0);
	/* counters of the rules no change replaced went on: 13 pings so
	 * far, the limit matched 2 of them; the ACCEPT replaced before the
	 * last 5 */
	assert_int_equal(counter_of(e->b, 11), 13);
	assert_int_equal(counter_of(e->b, 7), 2);
	assert_int_equal(counter_of(e->b, 12), 5);
	/* the limit rule itself replaced: a new rule, a full bucket (as
	 * iptables-legacy's on any change: limit_mt_check()) */
	seg_change(e,
		   "rule replace INPUT 7 -p icmp -m limit --limit 1/hour "
		   "--limit-burst 2 -j LOG --log-prefix \"seg-lim: \"",
		   true);
	assert_int_equal(pings_logged(e, 3, "seg-lim: "), 2);
	/* a new LOG rule in a segment without one: one segment too */
	seg_change(e,
		   "rule insert INPUT 2 -p icmp -j LOG --log-prefix "
		   "\"seg-new: \"",
		   true);
	assert_int_equal(pings_logged(e, 1, "seg-new: "), 1);
	/* the last LOG rules gone: the root's capture goes, a full
	 * rebuild */
	seg_change(e, "rule delete INPUT 2", true);
	seg_change(e, "rule delete INPUT 11", true);
	seg_change(e, "rule delete INPUT 7", false);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	unsetenv("BPFILTER_SEG_MIN");
	unsetenv("BPFILTER_SEG_RULES");
	unsetenv("BPFILTER_SEG_FOLD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_ping_syn),
		cmocka_unit_test(test_log_in_segment),
	};

	(void)e2e_list;

	return cmocka_run_group_tests(tests, e2e_setup_pair,
				      e2e_teardown_state);
}
