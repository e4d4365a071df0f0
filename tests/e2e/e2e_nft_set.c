// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft named sets as BPF maps, end to end against the kernel's nftables:
 * the same nft ruleset (named ipv4_addr sets, one with `flags interval`
 * and a range, one empty and used with `!=`) is loaded with `nft -f` in
 * one pair of namespaces and with `bpfilter apply --format nft` in
 * another (the verify engine's topology, src/lib/verify/net.h); the same
 * UDP probes are sent into both and the INPUT verdicts (delivery seen by
 * raw sockets) compared. Then elements are added and deleted on both
 * sides (`nft add|delete element`, `bpfilter set add|delete`) and the
 * verdicts compared again: they change, and the bpfilter program in
 * force stays the same (same program id, same generation: no reload).
 * Finally `bpfilter save --format nft` prints the sets with the elements
 * in force, and that listing loads into nftables.
 */
#include "e2e_nftcmp.h"

static const char ruleset[] =
	"flush ruleset\n"
	"table inet t {\n"
	"\tset bad {\n"
	"\t\ttype ipv4_addr\n"
	"\t\tflags interval\n"
	"\t\telements = { 203.0.113.0/26, 203.0.113.100-203.0.113.110 }\n"
	"\t}\n"
	"\tset allow {\n"
	"\t\ttype ipv4_addr\n"
	"\t}\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tip daddr != @allow udp dport 7000 drop\n"
	"\t\tip saddr @bad drop\n"
	"\t}\n"
	"}\n";

static const char *const srcs[] = {
	"203.0.113.5",	 "203.0.113.70",  "203.0.113.100", "203.0.113.105",
	"203.0.113.110", "203.0.113.111", "198.51.100.9",  "198.51.100.200",
};
static const char *const dsts[] = { "192.0.2.50", "192.0.2.51" };
static const uint16_t ports[] = { 7000, 53 };

static struct nftcmp c = NFTCMP_INIT(srcs, dsts, ports, "H22", "nft-set");

static void test_nft_set_maps(void **state)
{
	uint32_t id0;
	unsigned long long g0;
	char *saved = NULL, *listed = NULL;
	int d0, d1, d2;
	(void)state;

	nftcmp_load(&c, ruleset);
	/* the sets are maps, not inlined rules */
	nftcmp_saved_has(&c, "'^-A input -m set --match-set bad src -j DROP$'");
	d0 = nftcmp_compare(&c, "as loaded");

	nftcmp_in_force(&c, &id0, &g0);
	nftcmp_both(&c, "add element inet t allow { 192.0.2.50 }",
		    "add allow 192.0.2.50");
	d1 = nftcmp_compare(&c, "after adding 192.0.2.50 to allow");
	assert_true(d1 > d0); /* port 7000 to 192.0.2.50 now passes */
	nftcmp_both(&c, "add element inet t bad { 198.51.100.0/24 }",
		    "add bad 198.51.100.0/24");
	nftcmp_both(&c, "delete element inet t bad { 203.0.113.0/26 }",
		    "delete bad 203.0.113.0/26");
	d2 = nftcmp_compare(&c, "after changing bad");
	assert_true(d2 != d1);
	nftcmp_same_program(&c, id0, g0);

	/* save --format nft carries the elements in force; nft loads it */
	nftcmp_saved_nft(&c, &saved);
	assert_non_null(strstr(saved, "elements = { 192.0.2.50 }"));
	assert_non_null(strstr(saved, "198.51.100.0/24"));
	assert_null(strstr(saved, "203.0.113.0/26"));
	assert_int_equal(bft_sh_out(&listed,
				    "ip netns exec %s %s save --format nft "
				    "| ip netns exec %s nft -c -f - && echo ok",
				    c.bside.ns_r, bft_bpfilter_bin(),
				    c.kside.ns_r),
			 0);
	free(saved);
	free(listed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(
			test_nft_set_maps, NULL, nftcmp_teardown_state, &c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
