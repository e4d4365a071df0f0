// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conntrack state at tc and XDP, from real conntrack entries: the test
 * moves itself into a network namespace of its own (it disappears with
 * the process), turns conntrack on there with an nftables table, makes
 * UDP and TCP flows over loopback, then runs tc/XDP programs with
 * BPF_PROG_TEST_RUN (whose packets belong to the current namespace) on
 * packets of those flows.
 */
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include "prog_util.h"

static bool in_netns;
static const char *netns_err = "not set up";

static int udp_sock(int af, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(af, SOCK_DGRAM, 0);

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0)
		return -1;
	return fd;
}

static int send_to(int fd, int af, uint16_t port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (af == AF_INET)
		return (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&a4,
				   sizeof(a4));
	return (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&a6, sizeof(a6));
}

/* UDP 40000 <-> 40001 both ways (seen reply), 40002 -> 40003 one way. */
static int make_flows(int af)
{
	int a = udp_sock(af, 40000), b = udp_sock(af, 40001);
	int c = udp_sock(af, 40002);
	char buf[8];
	int r = -1;

	if (a < 0 || b < 0 || c < 0)
		goto out;
	if (send_to(a, af, 40001) != 1 || recv(b, buf, sizeof(buf), 0) != 1)
		goto out;
	if (send_to(b, af, 40000) != 1 || recv(a, buf, sizeof(buf), 0) != 1)
		goto out;
	if (send_to(c, af, 40003) != 1)
		goto out;
	r = 0;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (c >= 0)
		close(c);
	return r;
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		netns_err = "not root";
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		netns_err = "unshare(CLONE_NEWNET) failed";
		return 0;
	}
	if (bft_sh("ip link set lo up") != 0 ||
	    bft_sh("nft add table inet bft_ct && nft 'add chain inet bft_ct "
		   "out { type filter hook output priority 0; }' && "
		   "nft add rule inet bft_ct out ct state new counter") != 0) {
		netns_err = "cannot enable conntrack with nft in the netns";
		return 0;
	}
	if (make_flows(AF_INET) || make_flows(AF_INET6)) {
		netns_err = "cannot make loopback UDP flows";
		return 0;
	}
	in_netns = true;
	return 0;
}

static struct bf_match ctm(uint32_t mask)
{
	struct bf_match m = pu_m(BF_MATCH_CTSTATE, false);

	m.u.ctstate.mask = mask;
	return m;
}

static void test_ct_states(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	if (!in_netns) {
		if (bft_require_kernel())
			fail_msg("conntrack test cannot run: %s", netns_err);
		print_message("SKIP: %s\n", netns_err);
		skip();
	}
	for (int a = BF_ATTACH_TC; a <= BF_ATTACH_XDP; a++) {
		for (int f = 0; f < BF_FAMILY_COUNT; f++) {
			struct bf_ruleset *rs = bf_ruleset_new();
			struct bf_chain *b =
				bf_ruleset_builtin(rs, f, BF_HOOK_INPUT);
			const char *lo = f ? "::1" : "127.0.0.1";
			static const struct {
				uint16_t sport, dport;
				uint32_t state;
			} probes[] = {
				{ 40000, 40001, BF_CTSTATE_ESTABLISHED },
				{ 40001, 40000, BF_CTSTATE_ESTABLISHED },
				{ 40002, 40003, BF_CTSTATE_NEW },
				{ 40003, 40002, BF_CTSTATE_ESTABLISHED },
				{ 40004, 40005, BF_CTSTATE_NEW },
			};
			struct pu_prog p;

			/* one rule per state: the one that counts tells */
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				ctm(BF_CTSTATE_ESTABLISHED));
			PU_RULE(b, BF_VERDICT_ACCEPT, NULL,
				ctm(BF_CTSTATE_NEW));
			PU_RULE(b, BF_VERDICT_DROP, NULL,
				ctm(BF_CTSTATE_RELATED | BF_CTSTATE_INVALID |
				    BF_CTSTATE_UNTRACKED));
			assert_int_equal(
				pu_load(rs, a, BF_HOOK_INPUT, f, "lo", &p), 0);
			for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
				struct pu_pkt pkt = pu_build(&(struct pu_spec){
					.fam = f,
					.proto = 17,
					.src = lo,
					.dst = lo,
					.sport = probes[i].sport,
					.dport = probes[i].dport });
				int r, rule = probes[i].state ==
							      BF_CTSTATE_NEW ?
						      1 :
						      0;

				pu_reset_counters(&p);
				r = pu_run(&p, pkt.b, pkt.len, f);
				if (pu_counter(&p, b->rules[rule].counter_idx)
					    .packets != 1)
					fail_msg("%s %s %u->%u: wrong state",
						 a == BF_ATTACH_TC ? "tc" :
								     "xdp",
						 f ? "ipv6" : "ipv4",
						 probes[i].sport,
						 probes[i].dport);
				assert_int_equal(r, rule ? pu_accept(&p) :
							   pu_drop(&p));
			}
			pu_close(&p);
			bf_ruleset_free(&rs);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_states),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
