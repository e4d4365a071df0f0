// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter trace: text and JSON output for a ruleset file (iptables-save
 * or nft), exit statuses (3 when a match is not modelled, depends on state
 * or needs a fact not given, 2 for usage errors), and the ruleset in force
 * in a private network namespace.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"

static const char *const rules =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":SSH - [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -p tcp -m tcp --dport 22 -j SSH\n"
	"-A INPUT -p tcp -m tcp --dport 80 -m limit --limit 5/sec -j ACCEPT\n"
	"-A SSH -s 192.0.2.0/24 -j ACCEPT\n"
	"COMMIT\n";

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/bf-trace-%d-XXXXXX", getpid());
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, rules, strlen(rules)) != (ssize_t)strlen(rules)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_text(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s --in eth0 tcp "
				    "192.0.2.1:1234 '->' 198.51.100.7:22 "
				    "flags S",
				    bft_bpfilter_bin(), path),
			 0);
	assert_non_null(strstr(out, "  1: -i lo -j ACCEPT\n"
				    "     no match (failed at: iifname)\n"));
	assert_non_null(strstr(out, "  jump to chain SSH\n"));
	assert_non_null(strstr(out, "verdict: ACCEPT (rule 1 of chain SSH: "
				    "-s 192.0.2.0/24 -j ACCEPT)\n"));
	free(out);
	/* from elsewhere: SSH falls through, the limit rule fails on its
	 * port before the limit, policy */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s --in eth0 tcp "
				    "203.0.113.1:1234 to 198.51.100.7:22",
				    bft_bpfilter_bin(), path),
			 0);
	assert_non_null(strstr(out, "return from chain SSH\n"));
	assert_non_null(strstr(out, "verdict: DROP (policy of chain INPUT)\n"));
	free(out);
	/* a short TCP header: hotdrop */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s tcp 203.0.113.1:1 to "
				    "198.51.100.7:22 len 30",
				    bft_bpfilter_bin(), path),
			 0);
	assert_non_null(strstr(out, "verdict: DROP (hotdrop by rule 2 of "
				    "chain INPUT at l4hdr"));
	free(out);
	/* port 80 reaches the limit match: no verdict, exit 3 */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s tcp 203.0.113.1:1 to "
				    "198.51.100.7:80 2>&1",
				    bft_bpfilter_bin(), path),
			 3);
	assert_non_null(strstr(out, "depends on state: limit"));
	assert_null(strstr(out, "\nverdict:"));
	assert_non_null(strstr(out, "no verdict: rule 3 of chain INPUT has "
				    "'limit', which depends on state"));
	free(out);
}

static const char *const nft_rules =
	"table inet filter {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\tmeta iif \"lo\" accept\n"
	"\t\tether saddr 02:00:00:00:00:01 drop\n"
	"\t\tth dport 53 accept\n"
	"\t\tct status assured ct direction reply accept\n"
	"\t\tmeta nfproto ipv4 tcp dport 22 limit rate 3/minute accept\n"
	"\t\tip6 nexthdr udp drop\n"
	"\t}\n"
	"}\n";

/* An nft ruleset: rules shown with FILE:LINE; the facts each match
 * needs (exit 3 and what to give without them), the limit's state. */
static void test_nft(void **state)
{
	char nft[80], *out = NULL;
	FILE *f;

	(void)state;
	snprintf(nft, sizeof(nft), "/tmp/bf-trace-%d.nft", getpid());
	f = fopen(nft, "w");
	assert_non_null(f);
	fputs(nft_rules, f);
	fclose(f);
	/* th dport on udp 53 from lo: accepted by the first rule */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s --in lo udp 192.0.2.1:5 to "
				    "192.0.2.2:53",
				    bft_bpfilter_bin(), nft),
			 0);
	assert_non_null(strstr(out, ":4: -m nftif --nft-iif 1 -j ACCEPT\n"
				    "       match\n"));
	free(out);
	/* ether saddr without the Ethernet header given: no verdict */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s udp 192.0.2.1:5 to "
				    "192.0.2.2:53 2>&1",
				    bft_bpfilter_bin(), nft),
			 3);
	assert_non_null(strstr(out, "needs a fact not given: mac (give smac "
				    "and dmac)"));
	free(out);
	/* given: th dport 53 on udp accepts */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s udp 192.0.2.1:5 to "
				    "192.0.2.2:53 smac 02:00:00:00:00:02 dmac "
				    "02:00:00:00:00:09",
				    bft_bpfilter_bin(), nft),
			 0);
	assert_non_null(strstr(out, ":6: -m th --th-dport 53 -j ACCEPT)\n"));
	free(out);
	/* tcp 22: the conntrack entry, then the limit's state */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s tcp 192.0.2.1:5 to "
				    "192.0.2.2:22 smac 02:00:00:00:00:02 dmac "
				    "02:00:00:00:00:09 ct established 2>&1",
				    bft_bpfilter_bin(), nft),
			 3);
	assert_non_null(strstr(out, "needs a fact not given: conntrack"));
	free(out);
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s tcp 192.0.2.1:5 to "
				    "192.0.2.2:22 smac 02:00:00:00:00:02 dmac "
				    "02:00:00:00:00:09 ct established ctstatus "
				    "confirmed,assured ctdir original 2>&1",
				    bft_bpfilter_bin(), nft),
			 3);
	assert_non_null(strstr(out, "depends on state: nft limit"));
	free(out);
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s tcp 192.0.2.1:5 to "
				    "192.0.2.2:22 smac 02:00:00:00:00:02 dmac "
				    "02:00:00:00:00:09 ct established ctstatus "
				    "confirmed,assured ctdir original limit "
				    "fresh",
				    bft_bpfilter_bin(), nft),
			 0);
	assert_non_null(strstr(out, "verdict: ACCEPT (rule 5 of chain input"));
	free(out);
	/* ... and ctdir reply is accepted by the ct rule */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s tcp 192.0.2.1:5 to "
				    "192.0.2.2:22 smac 02:00:00:00:00:02 dmac "
				    "02:00:00:00:00:09 ct established ctstatus "
				    "assured ctdir reply",
				    bft_bpfilter_bin(), nft),
			 0);
	assert_non_null(strstr(out, "verdict: ACCEPT (rule 4 of chain input"));
	free(out);
	/* IPv6 from the same file: ip6 nexthdr reads the fixed header's
	 * field (44 with a fragment header), then the policy */
	assert_int_equal(bft_sh_out(&out,
				    "%s trace %s udp '[2001:db8::1]:5' to "
				    "'[2001:db8::2]:54' smac 02:00:00:00:00:02 "
				    "dmac 02:00:00:00:00:09 ct invalid frag 1",
				    bft_bpfilter_bin(), nft),
			 0);
	assert_non_null(strstr(out, "-m nft --nexthdr 17 -j DROP\n"
				    "       no match (failed at: protocol)"));
	assert_non_null(strstr(out, "payload taken as zeros"));
	free(out);
	unlink(nft);
}

static void test_json(void **state)
{
	char *out = NULL;
	json_error_t err;
	json_t *j, *steps, *by;

	(void)state;
	assert_int_equal(bft_sh_out(&out,
				    "%s trace -j %s --in lo udp 192.0.2.1:1 "
				    "to 192.0.2.2:2",
				    bft_bpfilter_bin(), path),
			 0);
	j = json_loads(out, 0, &err);
	if (!j)
		fail_msg("bad JSON: %s\n%s", err.text, out);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")),
			    "ACCEPT");
	by = json_object_get(j, "decided_by");
	assert_string_equal(json_string_value(json_object_get(by, "kind")),
			    "rule");
	assert_int_equal(json_integer_value(json_object_get(by, "num")), 1);
	steps = json_object_get(j, "steps");
	assert_int_equal(json_array_size(steps), 2);
	assert_true(json_is_true(
		json_object_get(json_array_get(steps, 1), "matched")));
	json_decref(j);
	free(out);
}

static void test_usage(void **state)
{
	char *out = NULL;
	const char *bad[] = {
		"tcp 192.0.2.1 198.51.100.7",
		"tcp 192.0.2.1 to 2001:db8::1",
		"sctp 192.0.2.1 to 192.0.2.2",
		"udp 192.0.2.1 to 192.0.2.2 flags S",
		"tcp 192.0.2.1 to 192.0.2.2 ct bogus",
		"icmp 192.0.2.1 to 192.0.2.2",
		"--hook PREROUTING tcp 192.0.2.1 to 192.0.2.2",
		"-6 /dev/null tcp 192.0.2.1 to 192.0.2.2",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = bft_sh_out(&out, "%s trace %s %s 2>&1",
				   bft_bpfilter_bin(),
				   strncmp(bad[i], "-6", 2) ? path : "",
				   bad[i]);

		if (r != 2)
			fail_msg("'%s': exit %d, want 2: %s", bad[i], r, out);
		assert_true(strncmp(out, "bpfilter: ", 10) == 0);
		free(out);
	}
}

static void test_in_force(void **state)
{
	char ns[64], *out = NULL;
	int r;

	(void)state;
	BFT_REQUIRE_KERNEL();
	bft_unique_name(ns, sizeof(ns), "bftr");
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	/* one shell: the pins of `ip netns exec` live as long as it */
	r = bft_sh_out(&out,
		       "ip netns exec %s sh -c '%s apply %s && "
		       "%s trace --in eth0 tcp 192.0.2.1:5 to 192.0.2.2:22; "
		       "echo rc=$?; %s flush' 2>&1",
		       ns, bft_bpfilter_bin(), path, bft_bpfilter_bin(),
		       bft_bpfilter_bin());
	bft_sh("ip netns del %s", ns);
	assert_int_equal(r, 0);
	assert_non_null(strstr(out, "verdict: ACCEPT (rule 1 of chain SSH"));
	assert_non_null(strstr(out, "rc=0"));
	free(out);
	/* nothing in force: no table, not filtered */
	bft_unique_name(ns, sizeof(ns), "bftr");
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	r = bft_sh_out(&out,
		       "ip netns exec %s %s trace tcp 192.0.2.1:5 to "
		       "192.0.2.2:22 2>&1",
		       ns, bft_bpfilter_bin());
	bft_sh("ip netns del %s", ns);
	assert_int_equal(r, 0);
	assert_non_null(strstr(out, "verdict: ACCEPT (no ipv4 table"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),	 cmocka_unit_test(test_nft),
		cmocka_unit_test(test_json),	 cmocka_unit_test(test_usage),
		cmocka_unit_test(test_in_force),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
