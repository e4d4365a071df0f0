// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: rules written in C (doc/user-matches.md). The examples
 * examples/dns_name.bpf.c (DNS query for a name under example.org) and
 * examples/tls_sni.bpf.c (TLS ClientHello for blocked.example.com) are
 * used in rules of namespace B, and real DNS queries and TLS ClientHello
 * segments are sent from namespace A, over IPv4 and IPv6, with the rules
 * at the netfilter, tc and XDP hooks. A ruleset whose object the verifier
 * refuses is reported with the verifier's reason, and the ruleset in
 * force stays.
 */
#include <libgen.h>
#include <netinet/tcp.h>

#include "bpfilter/helper.h"
#include "e2e.h"

static const char *obj(const char *dir, const char *name)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	char bin[512];

	snprintf(bin, sizeof(bin), "%s", bft_bpfilter_bin());
	snprintf(p, 512, "%s/%s/%s", dirname(bin), dir, name);
	if (access(p, R_OK))
		fail_msg("%s is missing: build it with `make tests`", p);
	return p;
}

/* true if the query for name from A reaches B's port; want: what the
 * caller expects (e2e_dgram_passes()). */
static bool dns_passes(bool want, struct e2e *e, bool v6, uint16_t port,
		       const char *name)
{
	uint8_t q[300];

	return e2e_dgram_passes(e, want, v6, port, q, e2e_dns_query(q, name),
				0);
}

/* A TLS 1.2 ClientHello with SNI `name`, an extension before it and one
 * after it. */
static size_t client_hello(uint8_t *h, const char *name)
{
	size_t nl = strlen(name), n = 0, hs, ext;

	h[n++] = 22; /* handshake record */
	h[n++] = 3;
	h[n++] = 1;
	n += 2; /* record length */
	hs = n;
	h[n++] = 1; /* ClientHello */
	n += 3; /* handshake length */
	h[n++] = 3;
	h[n++] = 3;
	for (int i = 0; i < 32; i++)
		h[n++] = (uint8_t)(i * 7); /* random */
	h[n++] = 32; /* session id */
	for (int i = 0; i < 32; i++)
		h[n++] = (uint8_t)i;
	h[n++] = 0;
	h[n++] = 8; /* 4 cipher suites */
	for (int i = 0; i < 4; i++) {
		h[n++] = 0xc0;
		h[n++] = (uint8_t)(0x2b + i);
	}
	h[n++] = 1; /* compression: null */
	h[n++] = 0;
	n += 2; /* extensions length */
	ext = n;
	/* ec_point_formats (11): uncompressed */
	h[n++] = 0;
	h[n++] = 11;
	h[n++] = 0;
	h[n++] = 2;
	h[n++] = 1;
	h[n++] = 0;
	/* server_name (0) */
	h[n++] = 0;
	h[n++] = 0;
	h[n++] = (uint8_t)((nl + 5) >> 8);
	h[n++] = (uint8_t)(nl + 5);
	h[n++] = (uint8_t)((nl + 3) >> 8);
	h[n++] = (uint8_t)(nl + 3);
	h[n++] = 0; /* host_name */
	h[n++] = (uint8_t)(nl >> 8);
	h[n++] = (uint8_t)nl;
	memcpy(h + n, name, nl);
	n += nl;
	/* supported_versions (43): TLS 1.2 */
	h[n++] = 0;
	h[n++] = 43;
	h[n++] = 0;
	h[n++] = 3;
	h[n++] = 2;
	h[n++] = 3;
	h[n++] = 3;
	h[ext - 2] = (uint8_t)((n - ext) >> 8);
	h[ext - 1] = (uint8_t)(n - ext);
	h[hs + 1] = 0;
	h[hs + 2] = (uint8_t)((n - hs - 4) >> 8);
	h[hs + 3] = (uint8_t)(n - hs - 4);
	h[3] = (uint8_t)((n - 5) >> 8);
	h[4] = (uint8_t)(n - 5);
	return n;
}

/* true if a ClientHello for name sent from A on a connection to B:443
 * reaches B's application. */
static bool tls_passes(bool want, struct e2e *e, bool v6, const char *name)
{
	struct sockaddr_storage ss;
	const char *dst = v6 ? "2001:db8::2" : "192.0.2.2";
	int ls = e2e_socket_in(e->b, v6 ? AF_INET6 : AF_INET, SOCK_STREAM);
	int cs = e2e_socket_in(e->a, v6 ? AF_INET6 : AF_INET, SOCK_STREAM);
	socklen_t len = e2e_sockaddr(v6, dst, 443, &ss);
	struct pollfd pf = { .events = POLLIN };
	uint8_t hello[512], buf[1024];
	size_t n = client_hello(hello, name);
	int one = 1, as = -1;
	ssize_t got = -1;

	assert_true(ls >= 0 && cs >= 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(ls, (void *)&ss, len), 0);
	assert_int_equal(listen(ls, 4), 0);
	/* the handshake carries no payload: the match never holds */
	assert_int_equal(connect(cs, (void *)&ss, len), 0);
	setsockopt(cs, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pf.fd = ls;
	assert_int_equal(poll(&pf, 1, 2000), 1);
	as = accept(ls, NULL, NULL);
	assert_true(as >= 0);
	assert_int_equal(send(cs, hello, n, 0), (ssize_t)n);
	pf.fd = as;
	/* want: what the caller expects; a payload that should pass has
	 * time for TCP's retransmissions */
	if (poll(&pf, 1, want ? 3000 : 400) == 1)
		got = recv(as, buf, sizeof(buf), MSG_DONTWAIT);
	/* abort: no FIN exchange (retransmissions) to wait for */
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(cs, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(cs);
	close(as);
	close(ls);
	return got == (ssize_t)n && !memcmp(buf, hello, n);
}

static const char *ruleset(struct e2e *e)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		 ":OUTPUT ACCEPT [0:0]\n"
		 "-A INPUT -p udp --dport 53 -m bpf --object %s -j DROP\n"
		 "-A INPUT -p tcp --dport 443 -m bpf --object %s "
		 "--section bpfilter/sni -j DROP\n"
		 "COMMIT\n",
		 obj("examples", "dns_name.bpf.o"),
		 obj("examples", "tls_sni.bpf.o"));
	return e2e_file(e, "userbpf.rules", text);
}

static void check_dns(struct e2e *e, bool v6)
{
	static const char *const blocked[] = { "example.org", "www.example.org",
					       "a.b.EXAMPLE.Org" };
	static const char *const allowed[] = { "badexample.org",
					       "example.org.evil.com",
					       "example.com", "org" };

	for (size_t i = 0; i < ARRAY_SIZE(blocked); i++)
		if (dns_passes(false, e, v6, 53, blocked[i]))
			fail_msg("DNS query for %s (IPv%d) was not dropped",
				 blocked[i], v6 ? 6 : 4);
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (!dns_passes(true, e, v6, 53, allowed[i]))
			fail_msg("DNS query for %s (IPv%d) was dropped",
				 allowed[i], v6 ? 6 : 4);
	/* the rule asks for port 53 first */
	assert_true(dns_passes(true, e, v6, 5353, "www.example.org"));
}

static void check_tls(struct e2e *e, bool v6)
{
	assert_false(tls_passes(false, e, v6, "blocked.example.com"));
	assert_false(tls_passes(false, e, v6, "BLOCKED.Example.COM"));
	assert_true(tls_passes(true, e, v6, "ok.example.com"));
	assert_true(tls_passes(true, e, v6, "blocked.example.com.evil"));
}

static void test_nf(void **state)
{
	struct e2e *e = *state;

	BFT_REQUIRE_KERNEL();
	/* nothing installed: everything passes */
	assert_true(dns_passes(true, e, false, 53, "www.example.org"));
	assert_true(tls_passes(true, e, false, "blocked.example.com"));
	assert_int_equal(
		e2e_cli(NULL, e->b, "apply -4 %1$s -6 %1$s", ruleset(e)), 0);
	check_dns(e, false);
	check_dns(e, true);
	check_tls(e, false);
	check_tls(e, true);
	/* other traffic goes on */
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_true(dns_passes(true, e, false, 53, "www.example.org"));
}

static void test_tc_xdp(void **state)
{
	struct e2e *e = *state;
	static const char *const hooks[] = { "tc", "xdp" };

	BFT_REQUIRE_KERNEL();
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(e2e_cli(NULL, e->b,
					 "apply --hook %1$s --iface "
					 "%2$s -4 %3$s -6 %3$s",
					 hooks[i], e->ib, ruleset(e)),
				 0);
		check_dns(e, false);
		check_dns(e, true);
		check_tls(e, false);
		assert_int_equal(e2e_cli(NULL, e->b,
					 "flush --hook %s --iface %s", hooks[i],
					 e->ib),
				 0);
		assert_true(dns_passes(true, e, false, 53, "www.example.org"));
	}
}

/* A verifier rejection names the object and says why; the ruleset in
 * force stays (same generation, same behaviour). */
static void test_refused_keeps_ruleset(void **state)
{
	struct e2e *e = *state;
	char bad[2048], *out = NULL, *save0 = NULL, *save1 = NULL;
	const char *path;
	long long gen0, gen1;
	json_t *doc;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(
		e2e_cli(NULL, e->b, "apply -4 %1$s -6 %1$s", ruleset(e)), 0);
	assert_int_equal(e2e_cli(&save0, e->b, "save"), 0);
	doc = e2e_list(e->b);
	assert_non_null(doc);
	gen0 = e2e_generation(doc, "nf");
	json_decref(doc);
	snprintf(bad, sizeof(bad),
		 "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		 ":OUTPUT ACCEPT [0:0]\n"
		 "-A INPUT -p udp -m bpf --object %s -j DROP\nCOMMIT\n",
		 obj("tests/bpf", "bad_verifier.bpf.o"));
	path = e2e_file(e, "bad.rules", bad);
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", path), 0);
	if (!strstr(out, "bad_verifier.bpf.o") ||
	    !strstr(out, "unbounded memory access"))
		fail_msg("the error does not name the object and the "
			 "verifier's reason:\n%s",
			 out);
	assert_int_equal(e2e_cli(&save1, e->b, "save"), 0);
	assert_string_equal(save0, save1);
	doc = e2e_list(e->b);
	assert_non_null(doc);
	gen1 = e2e_generation(doc, "nf");
	json_decref(doc);
	assert_true(gen0 > 0);
	assert_int_equal(gen0, gen1);
	check_dns(e, false);
	/* a missing section: named too */
	free(out);
	snprintf(bad, sizeof(bad),
		 "*filter\n:INPUT ACCEPT [0:0]\n"
		 "-A INPUT -m bpf --object %s --section bpfilter/none -j DROP\n"
		 "COMMIT\n",
		 obj("examples", "dns_name.bpf.o"));
	path = e2e_file(e, "bad2.rules", bad);
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", path), 0);
	if (!strstr(out, "dns_name.bpf.o") || !strstr(out, "bpfilter/none") ||
	    !strstr(out, "bpfilter/dns"))
		fail_msg("missing section not reported clearly:\n%s", out);
	/* apply --test finds it too (the object is checked when the
	 * program is compiled, before any load) */
	free(out);
	assert_int_not_equal(e2e_cli(&out, e->b, "apply --test %s", path), 0);
	if (!strstr(out, "bpfilter/none") || !strstr(out, "bad2.rules:3"))
		fail_msg("apply --test does not check the object:\n%s", out);
	check_dns(e, false);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	free(out);
	free(save0);
	free(save1);
}

/* --hook xdp --offload: veth has no BPF offload engine; the kernel's
 * refusal is reported and nothing is attached. */
static void test_xdp_offload_refused(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	json_t *doc;

	BFT_REQUIRE_KERNEL();
	assert_int_not_equal(e2e_cli(&out, e->b,
				     "apply --hook xdp --iface %s --offload %s",
				     e->ib, ruleset(e)),
			     0);
	if (!strstr(out, "cannot run XDP programs in hardware") ||
	    !strstr(out, e->ib) || !strstr(out, "XDP_FLAGS_HW_MODE"))
		fail_msg("offload refusal not reported clearly:\n%s", out);
	free(out);
	doc = e2e_list(e->b);
	assert_non_null(doc);
	assert_int_equal(e2e_generation(doc, "xdp"), -1);
	json_decref(doc);
	assert_true(dns_passes(true, e, false, 53, "www.example.org"));
	/* --offload is for xdp only */
	assert_int_not_equal(
		e2e_cli(&out, e->b, "apply --offload %s", ruleset(e)), 0);
	assert_non_null(strstr(out, "--offload needs --hook xdp"));
	free(out);
}

/* ---- classic BPF: bpfilter vs the kernel's xt_bpf ---- */

#define XP_PORTS 3
#define XP_LENS 8

/* Send one UDP datagram per (port, payload length) from A to B (source
 * port = probe id), then report in got[] which ones B received. */
static void xt_probe_round(struct e2e *e, bool v6, bool got[XP_PORTS * XP_LENS])
{
	static const uint16_t ports[XP_PORTS] = { 53, 7000, 7001 };
	static const size_t lens[XP_LENS] = { 0, 1, 5, 31, 32, 33, 120, 200 };
	struct sockaddr_storage ss;
	int rx[XP_PORTS];
	struct pollfd pf[XP_PORTS];
	double end;
	struct timespec ts;

	for (int p = 0; p < XP_PORTS; p++) {
		socklen_t l = e2e_sockaddr(v6, v6 ? "2001:db8::2" : "192.0.2.2",
					   ports[p], &ss);

		rx[p] = e2e_socket_in(e->b, v6 ? AF_INET6 : AF_INET,
				      SOCK_DGRAM);
		assert_true(rx[p] >= 0);
		assert_int_equal(bind(rx[p], (void *)&ss, l), 0);
		pf[p].fd = rx[p];
		pf[p].events = POLLIN;
	}
	for (int i = 0; i < XP_PORTS * XP_LENS; i++) {
		struct sockaddr_storage src;
		socklen_t sl = e2e_sockaddr(v6,
					    v6 ? "2001:db8::1" : "192.0.2.1",
					    (uint16_t)(40000 + i), &src);
		socklen_t l = e2e_sockaddr(v6, v6 ? "2001:db8::2" : "192.0.2.2",
					   ports[i / XP_LENS], &ss);
		int tx = e2e_socket_in(e->a, v6 ? AF_INET6 : AF_INET,
				       SOCK_DGRAM);
		uint8_t payload[256];
		size_t n = lens[i % XP_LENS];

		memset(payload, 0, sizeof(payload));
		/* 'Z' first; 'A' at payload offset 32 (IP offset 60) for
		 * odd probes */
		payload[0] = i % 3 ? 'Z' : 'Y';
		if (i % 2)
			payload[32] = 'A';
		got[i] = false;
		assert_true(tx >= 0);
		assert_int_equal(bind(tx, (void *)&src, sl), 0);
		assert_int_equal(sendto(tx, payload, n, 0, (void *)&ss, l),
				 (ssize_t)n);
		close(tx);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + ts.tv_nsec / 1e9 + 0.5;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec + ts.tv_nsec / 1e9 >= end ||
		    poll(pf, XP_PORTS, 100) < 0)
			break;
		for (int p = 0; p < XP_PORTS; p++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			uint8_t buf[512];

			if (!(pf[p].revents & POLLIN))
				continue;
			if (recvfrom(rx[p], buf, sizeof(buf), MSG_DONTWAIT,
				     (void *)&from, &fl) >= 0) {
				/* sin_port and sin6_port share their place */
				int id = ntohs(((struct sockaddr_in *)&from)
						       ->sin_port) -
					 40000;

				if (id >= 0 && id < XP_PORTS * XP_LENS)
					got[id] = true;
			}
		}
	}
	for (int p = 0; p < XP_PORTS; p++)
		close(rx[p]);
}

static void test_cbpf_vs_xt_bpf(void **state)
{
	struct e2e *e = *state;
	static const char *const progs[2][6] = {
		{
			/* udp dport 53 (fragments excluded) */
			"9,48 0 0 9,21 0 5 17,40 0 0 6,69 3 0 8191,177 0 0 0,"
			"72 0 0 2,21 1 0 53,6 0 0 0,6 0 0 1",
			/* byte 60 from the IPv4 header is 'A' (out of
			 * bounds: 0) */
			"4,48 0 0 60,21 0 1 65,6 0 0 1,6 0 0 0",
			/* length above 100 */
			"4,128 0 0 0,37 0 1 100,6 0 0 1,6 0 0 0",
			/* first UDP payload byte is 'Z' (X = IPv4 header
			 * length) */
			"5,177 0 0 0,80 0 0 8,21 0 1 90,6 0 0 1,6 0 0 0",
			/* halfword at X + 190 is 0: long packets only */
			"5,177 0 0 0,72 0 0 190,21 0 1 0,6 0 0 1,6 0 0 0",
			/* ret A: the protocol byte (non-zero) */
			"2,48 0 0 9,22 0 0 0",
		},
		{
			/* IPv6: UDP destination port 53 (offset 40 + 2) */
			"4,40 0 0 42,21 0 1 53,6 0 0 1,6 0 0 0",
			/* byte 80 (payload offset 32) is 'A' */
			"4,48 0 0 80,21 0 1 65,6 0 0 1,6 0 0 0",
			/* length above 100 */
			"4,128 0 0 0,37 0 1 100,6 0 0 1,6 0 0 0",
			/* first payload byte is 'Z' */
			"4,48 0 0 48,21 0 1 90,6 0 0 1,6 0 0 0",
			/* X + k: halfword at 40 + 200 is 0 */
			"5,1 0 0 40,72 0 0 200,21 0 1 0,6 0 0 1,6 0 0 0",
			/* ancillary protocol: ETH_P_IPV6 */
			"4,40 0 0 4294963200,21 0 1 34525,6 0 0 1,6 0 0 0",
		},
	};
	static const char *const tool[2] = { "iptables-legacy",
					     "ip6tables-legacy" };
	bool kern[2][6][XP_PORTS * XP_LENS], ours[2][6][XP_PORTS * XP_LENS];

	BFT_REQUIRE_KERNEL();
	/* bpfilter first: a netfilter BPF link cannot share the filter
	 * priority with a legacy filter table, which stays once created */
	for (int f = 0; f < 2; f++) {
		for (size_t k = 0; k < 6; k++) {
			char rules[1024];

			snprintf(
				rules, sizeof(rules),
				"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp "
				"-m bpf --bytecode \"%s\" -j DROP\nCOMMIT\n",
				progs[f][k]);
			assert_int_equal(
				e2e_cli(NULL, e->b, "apply %s %s",
					f ? "-6" : "-4",
					e2e_file(e, "cbpf.rules", rules)),
				0);
			xt_probe_round(e, f, ours[f][k]);
			assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
		}
	}
	for (int f = 0; f < 2; f++) {
		for (size_t k = 0; k < 6; k++) {
			assert_int_equal(
				bft_sh("ip netns exec %1$s %2$s -F INPUT && "
				       "ip netns exec %1$s %2$s -A INPUT -p "
				       "udp -m bpf --bytecode '%3$s' -j DROP",
				       e->b, tool[f], progs[f][k]),
				0);
			xt_probe_round(e, f, kern[f][k]);
		}
		assert_int_equal(bft_sh("ip netns exec %s %s -F INPUT", e->b,
					tool[f]),
				 0);
	}
	for (int f = 0; f < 2; f++) {
		for (size_t k = 0; k < 6; k++) {
			int dropped = 0;

			for (int i = 0; i < XP_PORTS * XP_LENS; i++) {
				if (kern[f][k][i] != ours[f][k][i])
					fail_msg(
						"IPv%d --bytecode \"%s\": probe "
						"%d %s by xt_bpf, %s by "
						"bpfilter",
						f ? 6 : 4, progs[f][k], i,
						kern[f][k][i] ? "passed" :
								"dropped",
						ours[f][k][i] ? "passed" :
								"dropped");
				dropped += !kern[f][k][i];
			}
			print_message("xt_bpf vs bpfilter, IPv%d: \"%s\": "
				      "%d/%d probes dropped by both\n",
				      f ? 6 : 4, progs[f][k], dropped,
				      XP_PORTS * XP_LENS);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nf),
		cmocka_unit_test(test_tc_xdp),
		cmocka_unit_test(test_refused_keeps_ruleset),
		cmocka_unit_test(test_xdp_offload_refused),
		/* last: it leaves a (flushed) legacy filter table in B */
		cmocka_unit_test(test_cbpf_vs_xt_bpf),
	};

	return cmocka_run_group_tests(tests, e2e_setup_pair,
				      e2e_teardown_state);
}
