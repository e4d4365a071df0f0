// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lifetime of recent/hashlimit tables through `bpfilter apply` in a
 * network namespace (doc/stateful.md): an address set by the INPUT program
 * is seen by the OUTPUT program, survives re-applying a ruleset that still
 * uses the table, and is gone once a ruleset without the table was applied
 * (xt_recent frees a table with its last rule); `bpfilter flush` removes
 * the pins. Packets go through lo: UDP to port 7 is --set at INPUT, UDP to
 * port 9 is dropped at OUTPUT while 127.0.0.1 is in the table (sendto()
 * then fails with EPERM).
 */
#include "bftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char ns[64], f_life[128], f_none[128], name[32];

static void write_rules(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f,
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n%sCOMMIT\n",
		body);
	fclose(f);
}

/* 0 if a datagram to 127.0.0.1:port could be sent from the namespace */
static int send_udp(int port)
{
	return bft_sh(
		"ip netns exec %s bash -c 'echo x > /dev/udp/127.0.0.1/%d' "
		"2>/dev/null",
		ns, port);
}

static int apply(const char *path)
{
	return bft_sh("ip netns exec %s %s apply %s", ns, bft_bpfilter_bin(),
		      path);
}

/* 0 if the table's pins exist under the pin root */
static int pinned(void)
{
	return bft_sh(
		"ls -d ${BPFILTER_PIN_ROOT:-/run/bpfilter}/*/recent/%s/tab "
		">/dev/null 2>&1",
		name);
}

static void test_lifetime(void **state)
{
	char body[512];

	(void)state;
	BFT_REQUIRE_KERNEL();
	bft_unique_name(ns, sizeof(ns), "h13st");
	snprintf(name, sizeof(name), "T%d", (int)getpid());
	snprintf(f_life, sizeof(f_life), "/tmp/%s-life.rules", ns);
	snprintf(f_none, sizeof(f_none), "/tmp/%s-none.rules", ns);
	snprintf(body, sizeof(body),
		 "-A INPUT -p udp --dport 7 -m recent --set --name %s\n"
		 "-A OUTPUT -p udp --dport 9 -m recent --rcheck --rdest "
		 "--name %s -j DROP\n",
		 name, name);
	write_rules(f_life, body);
	write_rules(f_none, "-A INPUT -p udp --dport 7 -j ACCEPT\n");
	assert_int_equal(bft_sh("ip netns add %s && ip -n %s link set lo up",
				ns, ns),
			 0);

	assert_int_equal(apply(f_life), 0);
	assert_int_equal(pinned(), 0);
	assert_int_equal(send_udp(9), 0); /* nothing set yet */
	assert_int_equal(send_udp(7), 0); /* INPUT: --set 127.0.0.1 */
	assert_int_not_equal(send_udp(9), 0); /* OUTPUT sees it */
	/* the same ruleset again: the table and its entry stay */
	assert_int_equal(apply(f_life), 0);
	assert_int_not_equal(send_udp(9), 0);
	/* a ruleset without the table: it is freed */
	assert_int_equal(apply(f_none), 0);
	assert_int_not_equal(pinned(), 0);
	/* named again: a new, empty table */
	assert_int_equal(apply(f_life), 0);
	assert_int_equal(pinned(), 0);
	assert_int_equal(send_udp(9), 0);

	assert_int_equal(
		bft_sh("ip netns exec %s %s flush", ns, bft_bpfilter_bin()), 0);
	assert_int_not_equal(pinned(), 0);
	bft_sh("ip netns del %s", ns);
	unlink(f_life);
	unlink(f_none);
}

static int cleanup(void **state)
{
	(void)state;
	if (ns[0])
		bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; "
		       "ip netns del %s 2>/dev/null",
		       ns, bft_bpfilter_bin(), ns);
	unlink(f_life);
	unlink(f_none);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifetime),
	};

	return cmocka_run_group_tests(tests, NULL, cleanup);
}
