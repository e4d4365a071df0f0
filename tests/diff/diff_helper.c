// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test of -m helper (xt_helper's helper_mt()) with real FTP
 * control connections, against the kernel's iptables.
 *
 * Per side, a client namespace C (192.0.2.1) and a server namespace S
 * (192.0.2.2) joined by a veth pair. In S the kernel's raw table assigns
 * the built-in FTP helper to port 21 (-j CT --helper ftp); the filter
 * table is iptables-legacy's on one side, bpfilter's on the other. For
 * each data port P, the client opens a control connection, reads the
 * server's banner, sends "PASV P" and the server answers "227 ... (P)":
 * nf_conntrack_ftp sees the reply (its first line in a direction only
 * records where lines end: the banner is needed) and expects the
 * client's data connection to P, which then arrives RELATED, its master
 * the control connection with helper "ftp". Rules in INPUT drop data
 * connections by their port and helper name (with `!`, an empty name,
 * names that the helper's name prefixes or not); a data connection
 * without an expectation (the "plain" ports) has no master. Both sides
 * must let the same connections through, and the kernel must drop what
 * the rules say (so two filters doing nothing cannot pass).
 *
 * The same for nft's `ct helper "NAME"` (the whole name; no match
 * without a helper, `!=` included): the kernel's nftables against
 * `bpfilter apply --format nft`, the helper assigned in a chain that
 * prerouting jumps to (`ct helper set`, as OpenWrt's fw4 does; bpfilter
 * hands that chain to the kernel's nftables).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/helper.h"

#define FTP_PORT 21
#define DATA0 30001

static const char rules[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":hlp - [0:0]\n"
	"-A INPUT -p tcp -m tcp --dport 30001 -m helper --helper ftp -j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30002 -m helper ! --helper ftp -j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30003 -m helper --helper \"\" -j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30004 -m helper --helper ftp-data "
	"-j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30005 -m helper --helper ft -j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30006 -m helper --helper sip -j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30007 -m helper ! --helper sip "
	"-j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30008 -m helper ! --helper \"\" "
	"-j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 30009:30010 -j hlp\n"
	"-A hlp -m helper --helper ftp -m conntrack --ctstate RELATED "
	"-j ACCEPT\n"
	"-A hlp -j DROP\n"
	"COMMIT\n";

#define N_PORTS 10

static const char nft_rules[] =
	"table inet t {\n"
	"\tct helper ftph {\n"
	"\t\ttype \"ftp\" protocol tcp;\n"
	"\t}\n"
	"\tchain pre {\n"
	"\t\ttype filter hook prerouting priority filter; policy accept;\n"
	"\t\tjump helpers\n"
	"\t}\n"
	"\tchain helpers {\n"
	"\t\tmeta l4proto tcp tcp dport 21 ct helper set \"ftph\"\n"
	"\t}\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp dport 30001 ct helper \"ftp\" drop\n"
	"\t\ttcp dport 30002 ct helper != \"ftp\" drop\n"
	"\t\ttcp dport 30003 ct helper \"ft\" drop\n"
	"\t\ttcp dport 30004 ct helper != \"sip\" drop\n"
	"\t\ttcp dport 30005 ct helper \"ftp-data\" drop\n"
	"\t}\n"
	"}\n";

static const int expect_nft[N_PORTS][2] = {
	{ 0, 1 }, { 1, 1 }, { 1, 1 }, { 0, 1 }, { 1, 1 },
	{ 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 },
};

/* what the kernel must do: 1 passes, 0 dropped; [0] through an FTP
 * expectation, [1] without one */
static const int expect[N_PORTS][2] = {
	{ 0, 1 }, { 1, 0 }, { 0, 1 }, { 0, 1 }, { 1, 1 },
	{ 1, 1 }, { 0, 0 }, { 1, 0 }, { 1, 0 }, { 1, 0 },
};

static int listen_on(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The server in S: the control port (banner, then "227" answers to
 * "PASV P" lines) and the data ports (accept and close). Bounded: 60 s.
 * Writes one byte to `ready` once listening. */
static void server(const char *ns, int ready)
{
	struct pollfd pf[1 + N_PORTS + 16];
	int n = 0, nconn = 0;
	time_t end = time(NULL) + 60;

	alarm(70);
	if (bft_enter_netns(ns))
		_exit(1);
	pf[n].fd = listen_on(FTP_PORT);
	pf[n++].events = POLLIN;
	for (int p = 0; p < N_PORTS; p++) {
		pf[n].fd = listen_on((uint16_t)(DATA0 + p));
		pf[n++].events = POLLIN;
	}
	for (int i = 0; i < n; i++) {
		if (pf[i].fd < 0)
			_exit(1);
	}
	if (write(ready, "x", 1) != 1)
		_exit(1);
	while (time(NULL) < end) {
		if (poll(pf, (nfds_t)(n + nconn), 500) <= 0)
			continue;
		for (int i = 0; i < n + nconn; i++) {
			char buf[128], reply[128];
			unsigned int port;
			ssize_t len;
			int c;

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (i == 0 && nconn < 16) {
				c = accept(pf[0].fd, NULL, NULL);
				if (c < 0)
					continue;
				if (write(c, "220 bft\r\n", 9) != 9) {
					close(c);
					continue;
				}
				pf[n + nconn].fd = c;
				pf[n + nconn].events = POLLIN;
				pf[n + nconn].revents = 0;
				nconn++;
			} else if (i > 0 && i < n) {
				c = accept(pf[i].fd, NULL, NULL);
				if (c >= 0)
					close(c);
			} else if (i >= n) {
				len = read(pf[i].fd, buf, sizeof(buf) - 1);
				if (len <= 0) {
					close(pf[i].fd);
					pf[i] = pf[n + nconn - 1];
					nconn--;
					i--;
					continue;
				}
				buf[len] = '\0';
				if (sscanf(buf, "PASV %u", &port) != 1)
					continue;
				len = snprintf(reply, sizeof(reply),
					       "227 Entering Passive Mode "
					       "(192,0,2,2,%u,%u).\r\n",
					       port >> 8, port & 255);
				if (write(pf[i].fd, reply, (size_t)len) != len)
					continue;
			}
		}
	}
	_exit(0);
}

static int connect_to(uint16_t port, int timeout_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	struct pollfd pf;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "192.0.2.2", &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	pf.fd = fd;
	pf.events = POLLOUT;
	if (poll(&pf, 1, timeout_ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		close(fd);
		return -1;
	}
	return fd;
}

/* read one line ending in '\n' within timeout_ms; 0 or -1 */
static int read_line(int fd, int timeout_ms)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char c;

	while (poll(&pf, 1, timeout_ms) == 1) {
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			return 0;
	}
	return -1;
}

/* In C: 1 if a data connection to port passes, 0 if not, -1 if the
 * control connection failed. With `ftp`, after a PASV exchange. */
static int client(const char *ns, uint16_t port, bool ftp)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char cmd[32];
		int c = -1, d, len;

		alarm(10);
		if (bft_enter_netns(ns))
			_exit(3);
		if (ftp) {
			c = connect_to(FTP_PORT, 2000);
			if (c < 0 || read_line(c, 2000))
				_exit(3);
			len = snprintf(cmd, sizeof(cmd), "PASV %u\r\n", port);
			if (write(c, cmd, (size_t)len) != len ||
			    read_line(c, 2000))
				_exit(3);
		}
		d = connect_to(port, 700);
		if (d >= 0)
			close(d);
		if (c >= 0)
			close(c);
		_exit(d >= 0 ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) == 3 ? -1 : WEXITSTATUS(st);
}

static void run_side(const char *side, const char *path, int out[][2])
{
	char c[16], s[16];
	int pfd[2], r;
	pid_t srv = -1;
	char x;

	bft_unique_name(c, sizeof(c), "hlpc");
	bft_unique_name(s, sizeof(s), "hlps");
	r = bft_sh("set -e; ip netns add %1$s; ip netns add %2$s; "
		   "ip link add a0 netns %1$s type veth peer name b0 netns "
		   "%2$s; ip -n %1$s addr add 192.0.2.1/24 dev a0; "
		   "ip -n %2$s addr add 192.0.2.2/24 dev b0; "
		   "for n in %1$s %2$s; do ip -n $n link set lo up; done; "
		   "ip -n %1$s link set a0 up; ip -n %2$s link set b0 up",
		   c, s);
	if (!r && strstr(side, "nft") == NULL)
		r = bft_sh("ip netns exec %s iptables-legacy -t raw -A "
			   "PREROUTING -p tcp --dport 21 -j CT --helper ftp",
			   s);
	if (!r && !strcmp(side, "legacy"))
		r = bft_sh("ip netns exec %s iptables-legacy-restore < %s", s,
			   path);
	else if (!r && !strcmp(side, "nft"))
		r = bft_sh("ip netns exec %s nft -f %s", s, path);
	else if (!r)
		r = bft_sh("ip netns exec %s %s apply%s %s", s,
			   bft_bpfilter_bin(),
			   strstr(side, "nft") ? " --format nft" : "", path);
	if (!r && !pipe(pfd)) {
		srv = fork();
		if (srv == 0) {
			close(pfd[0]);
			server(s, pfd[1]);
		}
		close(pfd[1]);
		if (srv < 0 || read(pfd[0], &x, 1) != 1)
			r = -1;
		close(pfd[0]);
	}
	for (int p = 0; !r && p < N_PORTS; p++) {
		out[p][0] = client(c, (uint16_t)(DATA0 + p), true);
		out[p][1] = client(c, (uint16_t)(DATA0 + p), false);
	}
	if (srv > 0) {
		kill(srv, SIGKILL);
		waitpid(srv, NULL, 0);
	}
	bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; ip netns del %s; "
	       "ip netns del %s",
	       s, bft_bpfilter_bin(), s, c);
	assert_int_equal(r, 0);
}

static void run_pair(const char *ref, const char *ours, const char *text,
		     const int exp[N_PORTS][2])
{
	int legacy[N_PORTS][2], bpf[N_PORTS][2];
	char path[] = "/tmp/bf_diff_helper_XXXXXX";
	size_t len = strlen(text);
	int fd, probes = 0, diffs = 0;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	run_side(ref, path, legacy);
	run_side(ours, path, bpf);
	unlink(path);
	for (int p = 0; p < N_PORTS; p++) {
		for (int k = 0; k < 2; k++) {
			printf("port %d %s: %s %s, bpfilter %s\n", DATA0 + p,
			       k ? "plain" : "ftp-data", ref,
			       legacy[p][k] ? "passed" : "dropped",
			       bpf[p][k] ? "passed" : "dropped");
			assert_true(legacy[p][k] >= 0 && bpf[p][k] >= 0);
			probes++;
			diffs += legacy[p][k] != bpf[p][k];
		}
	}
	printf("diff_helper (%s): %d probes, %d mismatches\n", ref, probes,
	       diffs);
	/* the reference does what the rules say */
	for (int p = 0; p < N_PORTS; p++) {
		assert_int_equal(legacy[p][0], exp[p][0]);
		assert_int_equal(legacy[p][1], exp[p][1]);
	}
	assert_int_equal(diffs, 0);
}

static void test_helper(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	run_pair("legacy", "bpfilter", rules, expect);
}

static void test_helper_nft(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	run_pair("nft", "bpfilter-nft", nft_rules, expect_nft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helper),
		cmocka_unit_test(test_helper_nft),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
