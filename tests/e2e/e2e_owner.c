// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: the owner match at nf OUTPUT with real sockets, against the
 * kernel's own iptables. In a fresh namespace per side (iptables-legacy,
 * bpfilter), processes of several uid/gid send UDP datagrams to 127.0.0.1
 * ports that rules select; a datagram dropped at OUTPUT makes sendto()
 * fail with EPERM. Both sides must agree on every (uid, gid, port), and
 * iptables must drop what the rules say (so the test cannot pass on two
 * filters that do nothing).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/helper.h"

static const char rules[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":own - [0:0]\n"
	"-A OUTPUT -p udp -m udp --dport 6001 -m owner --uid-owner 12345 -j DROP\n"
	"-A OUTPUT -p udp -m udp --dport 6002 -m owner ! --uid-owner 12345 -j DROP\n"
	"-A OUTPUT -p udp -m udp --dport 6003 -m owner --gid-owner 23456 -j DROP\n"
	"-A OUTPUT -p udp -m udp --dport 6004 -m owner --uid-owner 12000-12999 --gid-owner 23456 -j DROP\n"
	"-A OUTPUT -p udp -m udp --dport 6005 -m owner --socket-exists -j DROP\n"
	"-A OUTPUT -p udp -m udp --dport 6006 -j own\n"
	"-A own -m owner ! --gid-owner 0-100 -j DROP\n"
	"-A OUTPUT -p udp -m udp --dport 6007 -m owner --gid-owner 777 --suppl-groups -j DROP\n"
	"-A OUTPUT -p udp -m udp --dport 6008 -m owner ! --gid-owner 700-800 --suppl-groups -j DROP\n"
	"COMMIT\n";

/* each sender: uid, gid, and supplementary groups (0 = none) */
static const struct {
	uid_t uid;
	gid_t gid;
	gid_t suppl[3];
} who[] = { { 0, 0, { 0 } },	    { 12345, 23456, { 0 } },
	    { 12345, 0, { 0 } },    { 12500, 23456, { 0 } },
	    { 40000, 50, { 0 } },   { 40001, 51, { 5, 777, 9 } },
	    { 40002, 52, { 701 } }, { 40003, 777, { 3 } } };

#define PORT0 6001
#define N_PORTS 8u

/* 1 if the datagram left, 0 if OUTPUT dropped it (EPERM), -1 on error */
static int send_as(const char *ns, uid_t uid, gid_t gid, const gid_t *suppl,
		   uint16_t port)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons(port) };
		int fd;

		alarm(10);
		size_t n = 0;

		while (n < 3 && suppl[n])
			n++;
		if (bft_enter_netns(ns) || setgroups(n, suppl) || setgid(gid) ||
		    setuid(uid))
			_exit(3);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			_exit(3);
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
			   sizeof(sin)) == 1)
			_exit(1);
		_exit(errno == EPERM ? 0 : 3);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) == 3 ? -1 : WEXITSTATUS(st);
}

static void run_side(const char *side, const char *path, int out[][N_PORTS])
{
	char ns[16];
	int r;

	bft_unique_name(ns, sizeof(ns), "h14own");
	assert_int_equal(bft_sh("ip netns add %s && ip -n %s link set lo up",
				ns, ns),
			 0);
	if (!strcmp(side, "legacy"))
		r = bft_sh("ip netns exec %s iptables-legacy-restore < %s", ns,
			   path);
	else
		r = bft_sh("ip netns exec %s %s apply %s", ns,
			   bft_bpfilter_bin(), path);
	for (size_t i = 0; !r && i < ARRAY_SIZE(who); i++) {
		for (int p = 0; p < (int)N_PORTS; p++)
			out[i][p] = send_as(ns, who[i].uid, who[i].gid,
					    who[i].suppl,
					    (uint16_t)(PORT0 + p));
	}
	bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; ip netns del %s", ns,
	       bft_bpfilter_bin(), ns);
	assert_int_equal(r, 0);
}

static void test_owner(void **state)
{
	int legacy[ARRAY_SIZE(who)][N_PORTS], bpf[ARRAY_SIZE(who)][N_PORTS];
	char path[] = "/tmp/bf_e2e_owner_XXXXXX";
	int fd, diffs = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, rules, sizeof(rules) - 1),
			 (ssize_t)(sizeof(rules) - 1));
	close(fd);
	run_side("legacy", path, legacy);
	run_side("bpfilter", path, bpf);
	unlink(path);
	for (size_t i = 0; i < ARRAY_SIZE(who); i++) {
		for (int p = 0; p < (int)N_PORTS; p++) {
			printf("uid %5u gid %5u port %d: legacy %s, "
			       "bpfilter %s\n",
			       who[i].uid, who[i].gid, PORT0 + p,
			       legacy[i][p] ? "sent" : "dropped",
			       bpf[i][p] ? "sent" : "dropped");
			assert_true(legacy[i][p] >= 0 && bpf[i][p] >= 0);
			if (legacy[i][p] != bpf[i][p])
				diffs++;
		}
	}
	/* the reference filters what the rules say */
	assert_int_equal(legacy[1][0], 0); /* uid 12345 -> 6001 dropped */
	assert_int_equal(legacy[0][0], 1); /* uid 0 -> 6001 sent */
	assert_int_equal(legacy[0][4], 0); /* a socket exists */
	assert_int_equal(legacy[5][6], 0); /* supplementary group 777 */
	assert_int_equal(legacy[4][6], 1);
	assert_int_equal(diffs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
