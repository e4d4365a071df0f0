/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * End-to-end test support: network namespaces joined by veth pairs, the
 * bpfilter CLI run under `ip netns exec`, and real probes (TCP connect,
 * UDP datagrams, ping) sent from one namespace to another.
 *
 * Topology "pair":  A (a0 192.0.2.1, 2001:db8::1) <-> B (b0 192.0.2.2,
 * 2001:db8::2). Topology "router": A (192.0.2.1) <-> R (192.0.2.254 |
 * 198.51.100.254) <-> C (198.51.100.1), R forwarding.
 *
 * Every helper here is static: each test file is its own binary.
 */
#ifndef BPFILTER_E2E_H
#define BPFILTER_E2E_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bftest.h"

#define E2E_TCP_OPEN 5000 /* listened on, never filtered by the tests */
#define E2E_TCP_FILTER 5001 /* listened on, filtered by the tests */
#define E2E_UDP_OPEN 5002
#define E2E_UDP_FILTER 5003
#define E2E_PROBE_MS 1500 /* how long a probe waits for an answer */

struct e2e {
	char a[16], b[16], r[16]; /* namespaces (r only for "router") */
	char ia[16], ib[16]; /* interfaces in a and b */
	char ira[16], irc[16]; /* interfaces of r (router) */
	pid_t srv; /* server in b (or c = b for router) */
	int srv_pipe; /* ports of UDP datagrams received */
	char tmp[64]; /* temporary directory for rulesets */
};

static int e2e_enter(const char *ns)
{
	return bft_enter_netns(ns);
}

/* Server in namespace ns: listens on TCP E2E_TCP_OPEN/FILTER (v4 + v6)
 * and receives UDP on E2E_UDP_OPEN/FILTER, writing each datagram's port
 * (as a uint16_t) to a pipe. Lives at most 120 s. */
static int e2e_server_start(struct e2e *e, const char *ns)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		static const uint16_t tcp[] = { E2E_TCP_OPEN, E2E_TCP_FILTER };
		static const uint16_t udp[] = { E2E_UDP_OPEN, E2E_UDP_FILTER };
		struct pollfd pf[2];
		int one = 1, zero = 0;
		time_t end = time(NULL) + 120;

		close(pfd[0]);
		alarm(125);
		if (e2e_enter(ns))
			_exit(1);
		for (int i = 0; i < 2; i++) {
			struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
						   .sin6_addr = in6addr_any };
			int t = socket(AF_INET6, SOCK_STREAM, 0);
			int u = socket(AF_INET6, SOCK_DGRAM, 0);

			setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
			setsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
			setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
			sa.sin6_port = htons(tcp[i]);
			if (bind(t, (void *)&sa, sizeof(sa)) || listen(t, 64))
				_exit(2);
			sa.sin6_port = htons(udp[i]);
			if (bind(u, (void *)&sa, sizeof(sa)))
				_exit(3);
			pf[i].fd = u;
			pf[i].events = POLLIN;
		}
		/* Connections complete in the kernel (SYN-ACK from the
		 * listen queue); only UDP needs reading. */
		while (time(NULL) < end) {
			if (poll(pf, 2, 1000) <= 0)
				continue;
			for (int i = 0; i < 2; i++) {
				char buf[64];

				if (!(pf[i].revents & POLLIN))
					continue;
				if (recv(pf[i].fd, buf, sizeof(buf), 0) >= 0 &&
				    write(pfd[1], &udp[i], 2) != 2)
					_exit(0);
			}
		}
		_exit(0);
	}
	close(pfd[1]);
	e->srv = pid;
	e->srv_pipe = pfd[0];
	usleep(200 * 1000);
	return 0;
}

static void e2e_server_stop(struct e2e *e)
{
	if (e->srv > 0) {
		kill(e->srv, SIGKILL);
		waitpid(e->srv, NULL, 0);
		e->srv = 0;
	}
	if (e->srv_pipe > 0) {
		close(e->srv_pipe);
		e->srv_pipe = 0;
	}
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss,
		      uint16_t port, socklen_t *len)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

/* true if a TCP connection from ns to addr:port completes in time. */
static bool e2e_tcp(const char *ns, const char *addr, uint16_t port)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		struct pollfd pf;
		int af, fd, err = 1;

		alarm(10);
		if (e2e_enter(ns))
			_exit(3);
		af = parse_addr(addr, &ss, port, &len);
		if (af < 0)
			_exit(3);
		fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			_exit(3);
		if (connect(fd, (void *)&ss, len) && errno != EINPROGRESS)
			_exit(1);
		pf.fd = fd;
		pf.events = POLLOUT;
		if (poll(&pf, 1, E2E_PROBE_MS) == 1) {
			socklen_t l = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		}
		_exit(err ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void e2e_udp_send(const char *ns, const char *addr, uint16_t port)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		int af, fd;

		alarm(10);
		if (e2e_enter(ns))
			_exit(3);
		af = parse_addr(addr, &ss, port, &len);
		fd = socket(af, SOCK_DGRAM, 0);
		if (fd < 0 ||
		    sendto(fd, "bpfilter-probe", 14, 0, (void *)&ss, len) < 0)
			_exit(1);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* Drain what the server received so far. */
static __attribute__((unused)) void e2e_udp_drain(struct e2e *e)
{
	struct pollfd pf = { .fd = e->srv_pipe, .events = POLLIN };
	uint16_t port;

	while (poll(&pf, 1, 0) == 1 && read(e->srv_pipe, &port, 2) == 2)
		;
}

/* true if a datagram from ns to addr:port reaches the server. */
static __attribute__((unused)) bool e2e_udp(struct e2e *e, const char *ns,
					    const char *addr, uint16_t port)
{
	struct pollfd pf = { .fd = e->srv_pipe, .events = POLLIN };
	uint16_t got;

	e2e_udp_drain(e);
	e2e_udp_send(ns, addr, port);
	for (int i = 0; i < 10; i++) {
		if (poll(&pf, 1, E2E_PROBE_MS / 4) != 1)
			continue;
		if (read(e->srv_pipe, &got, 2) == 2 && got == port)
			return true;
	}
	return false;
}

static __attribute__((unused)) bool e2e_ping(const char *ns, const char *addr)
{
	return bft_sh("ip netns exec %s ping -q -c1 -W1 %s >/dev/null 2>&1", ns,
		      addr) == 0;
}

/* Run the CLI in namespace ns; output in *out if out is non-NULL
 * (stderr merged). Returns its exit status. */
static int e2e_cli(char **out, const char *ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int e2e_cli(char **out, const char *ns, const char *fmt, ...)
{
	char *args = NULL;
	char *dummy = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		args = NULL;
	va_end(ap);
	if (!args)
		return -1;
	r = bft_sh_out(out ? out : &dummy, "ip netns exec %s %s %s 2>&1", ns,
		       bft_bpfilter_bin(), args);
	if (!out) {
		if (r)
			printf("bpfilter %s -> %d:\n%s\n", args, r,
			       dummy ? dummy : "");
		free(dummy);
	}
	free(args);
	return r;
}

/* Write a ruleset file in e->tmp; returns its path (static buffer per
 * call slot: use the result before the 4th next call). */
static const char *e2e_file(struct e2e *e, const char *name, const char *text)
{
	static char paths[4][128];
	static int next;
	char *p = paths[next++ % 4];
	FILE *f;

	snprintf(p, 128, "%s/%s", e->tmp, name);
	f = fopen(p, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return p;
}

static int e2e_pair_setup(struct e2e *e)
{
	memset(e, 0, sizeof(*e));
	bft_unique_name(e->a, sizeof(e->a), "e2a");
	bft_unique_name(e->b, sizeof(e->b), "e2b");
	snprintf(e->ia, sizeof(e->ia), "a0");
	snprintf(e->ib, sizeof(e->ib), "b0");
	snprintf(e->tmp, sizeof(e->tmp), "/tmp/bft-e2e-%d", (int)getpid());
	mkdir(e->tmp, 0700);
	if (bft_sh("ip netns add %s && ip netns add %s", e->a, e->b))
		return -1;
	if (bft_sh("ip link add %s netns %s type veth peer name %s netns %s",
		   e->ia, e->a, e->ib, e->b))
		return -1;
	if (bft_sh("set -e; "
		   "ip -n %1$s link set lo up; ip -n %2$s link set lo up; "
		   "ip -n %1$s addr add 192.0.2.1/24 dev %3$s; "
		   "ip -n %2$s addr add 192.0.2.2/24 dev %4$s; "
		   "ip -n %1$s addr add 2001:db8::1/64 dev %3$s nodad; "
		   "ip -n %2$s addr add 2001:db8::2/64 dev %4$s nodad; "
		   "ip -n %1$s link set %3$s up; ip -n %2$s link set %4$s up",
		   e->a, e->b, e->ia, e->ib))
		return -1;
	if (e2e_server_start(e, e->b))
		return -1;
	/* Neighbour discovery settles before the first probe. */
	e2e_ping(e->a, "192.0.2.2");
	e2e_ping(e->a, "2001:db8::2");
	return 0;
}

static __attribute__((unused)) int e2e_router_setup(struct e2e *e)
{
	memset(e, 0, sizeof(*e));
	bft_unique_name(e->a, sizeof(e->a), "e2a");
	bft_unique_name(e->r, sizeof(e->r), "e2r");
	bft_unique_name(e->b, sizeof(e->b), "e2c");
	snprintf(e->tmp, sizeof(e->tmp), "/tmp/bft-e2e-%d", (int)getpid());
	mkdir(e->tmp, 0700);
	if (bft_sh("ip netns add %s && ip netns add %s && ip netns add %s",
		   e->a, e->r, e->b))
		return -1;
	if (bft_sh("set -e; "
		   "ip link add a0 netns %1$s type veth peer name ra netns %2$s; "
		   "ip link add c0 netns %3$s type veth peer name rc netns %2$s; "
		   "for n in %1$s %2$s %3$s; do ip -n $n link set lo up; done; "
		   "ip -n %1$s addr add 192.0.2.1/24 dev a0; "
		   "ip -n %2$s addr add 192.0.2.254/24 dev ra; "
		   "ip -n %2$s addr add 198.51.100.254/24 dev rc; "
		   "ip -n %3$s addr add 198.51.100.1/24 dev c0; "
		   "ip -n %1$s link set a0 up; ip -n %3$s link set c0 up; "
		   "ip -n %2$s link set ra up; ip -n %2$s link set rc up; "
		   "ip -n %1$s route add default via 192.0.2.254; "
		   "ip -n %3$s route add default via 198.51.100.254; "
		   "ip netns exec %2$s sysctl -qw net.ipv4.ip_forward=1",
		   e->a, e->r, e->b))
		return -1;
	if (e2e_server_start(e, e->b))
		return -1;
	e2e_ping(e->a, "198.51.100.1");
	return 0;
}

/* Remove everything: flush bpfilter state of each namespace (so no pins
 * outlive the test), then the namespaces. Safe on partial setups. */
static void e2e_teardown(struct e2e *e)
{
	const char *ns[] = { e->a, e->b, e->r };

	e2e_server_stop(e);
	for (size_t i = 0; i < 3; i++) {
		if (!ns[i][0])
			continue;
		bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; "
		       "ip netns del %s 2>/dev/null",
		       ns[i], bft_bpfilter_bin(), ns[i]);
	}
	if (e->tmp[0])
		bft_sh("rm -rf %s", e->tmp);
}

/* `bpfilter list --json` of ns, parsed; NULL on failure. */
static json_t *e2e_list(const char *ns)
{
	char *out = NULL;
	json_t *j = NULL;

	if (e2e_cli(&out, ns, "list --json") == 0)
		j = json_loads(out, 0, NULL);
	if (!j)
		printf("list --json failed: %s\n", out ? out : "");
	free(out);
	return j;
}

/* Counter of rule `num` (1-based) of chain in slot/family; -1 if absent.
 * num 0 = policy counter. */
static __attribute__((unused)) long long
e2e_counter(json_t *doc, const char *slot, const char *family,
	    const char *chain, size_t num, const char *what)
{
	json_t *slots = json_object_get(doc, "slots"), *s, *t, *c;
	size_t i, k, m;

	json_array_foreach(slots, i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "slot")), slot))
			continue;
		json_array_foreach(json_object_get(s, "tables"), k, t)
		{
			if (strcmp(json_string_value(
					   json_object_get(t, "family")),
				   family))
				continue;
			json_array_foreach(json_object_get(t, "chains"), m, c)
			{
				json_t *rules;

				if (strcmp(json_string_value(
						   json_object_get(c, "name")),
					   chain))
					continue;
				if (num == 0)
					return json_integer_value(
						json_object_get(c, what));
				rules = json_object_get(c, "rules");
				if (num > json_array_size(rules))
					return -1;
				return json_integer_value(json_object_get(
					json_array_get(rules, num - 1), what));
			}
		}
	}
	return -1;
}

static __attribute__((unused)) long long e2e_generation(json_t *doc,
							const char *slot)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(doc, "slots"), i, s)
	{
		if (!strcmp(json_string_value(json_object_get(s, "slot")),
			    slot))
			return json_integer_value(
				json_object_get(s, "generation"));
	}
	return -1;
}

/* cmocka group set-up for the "pair" topology: *state is a struct e2e
 * (set up only when the kernel tests can run; each test skips or fails
 * with BFT_REQUIRE_KERNEL()), torn down by e2e_teardown_state(). */
static __attribute__((unused)) int e2e_setup_pair(void **state)
{
	static struct e2e e;

	*state = &e;
	if (!bft_kernel_available(&(const char *){ NULL }))
		return 0;
	return e2e_pair_setup(&e) ? -1 : 0;
}

static __attribute__((unused)) int e2e_teardown_state(void **state)
{
	e2e_teardown(*state);
	return 0;
}

static __attribute__((unused)) void e2e_assert_contains(const char *hay,
							const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "");
}

/* How many times needle occurs in hay (NULL: none). */
static __attribute__((unused)) size_t e2e_count(const char *hay,
						const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A socket of type/proto in namespace ns (the process goes back to its
 * own namespace). */
static __attribute__((unused)) int e2e_socket_in(const char *ns, int af,
						 int type)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;

	if (self < 0)
		return -1;
	if (!e2e_enter(ns))
		fd = socket(af, type | SOCK_CLOEXEC, 0);
	if (setns(self, CLONE_NEWNET))
		fail_msg("cannot return to the test's namespace");
	close(self);
	return fd;
}

/* ss = addr:port (IPv6 when v6); returns its length. */
static __attribute__((unused)) socklen_t
e2e_sockaddr(bool v6, const char *addr, uint16_t port,
	     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s = (void *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		return sizeof(*s);
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr);
	return sizeof(struct sockaddr_in);
}

/* A DNS query (A record) for name into q (300 bytes are enough for any
 * name): header, labels, type, class. Returns its length. */
static __attribute__((unused)) size_t e2e_dns_query(uint8_t *q,
						    const char *name)
{
	size_t n = 12;
	const char *p = name;

	memset(q, 0, 12);
	q[0] = 0x12;
	q[1] = 0x34;
	q[2] = 0x01; /* RD */
	q[5] = 1; /* QDCOUNT */
	while (*p) {
		size_t len = strcspn(p, ".");

		q[n++] = (uint8_t)len;
		memcpy(q + n, p, len);
		n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 1;
	q[n++] = 0;
	q[n++] = 1;
	return n;
}

/* true if a datagram (payload q, n bytes; IPv4 TTL ttl, 0: default) sent
 * from A reaches a socket bound in B to the pair's address (v6 or not)
 * and port. want: what the caller expects. A datagram that should pass
 * gets a second, longer chance (a loaded machine); one that should be
 * dropped waits 400 ms. */
static __attribute__((unused)) bool e2e_dgram_passes(struct e2e *e, bool want,
						     bool v6, uint16_t port,
						     const uint8_t *q, size_t n,
						     int ttl)
{
	struct sockaddr_storage ss;
	uint8_t buf[1500];
	int rx = e2e_socket_in(e->b, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM);
	int tx = e2e_socket_in(e->a, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM);
	socklen_t len =
		e2e_sockaddr(v6, v6 ? "2001:db8::2" : "192.0.2.2", port, &ss);
	struct pollfd pf = { .fd = rx, .events = POLLIN };
	bool got = false;

	assert_true(rx >= 0 && tx >= 0);
	if (ttl)
		assert_int_equal(setsockopt(tx, IPPROTO_IP, IP_TTL, &ttl,
					    sizeof(ttl)),
				 0);
	assert_int_equal(bind(rx, (void *)&ss, len), 0);
	for (int i = 0; i < (want ? 2 : 1) && !got; i++) {
		assert_int_equal(sendto(tx, q, n, 0, (void *)&ss, len),
				 (ssize_t)n);
		if (poll(&pf, 1, 400 + 600 * i) == 1)
			got = recv(rx, buf, sizeof(buf), 0) == (ssize_t)n &&
			      !memcmp(buf, q, n);
	}
	close(rx);
	close(tx);
	return got;
}

#endif /* BPFILTER_E2E_H */
