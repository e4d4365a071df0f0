// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft named sets of ports and of address . port concatenations as BPF
 * maps, end to end against the kernel's nftables: `type inet_service`
 * sets (plain, `flags interval`, used with `==` and `!=`) and `type
 * ipv4_addr . inet_service` sets (plain and `flags interval` with
 * prefixes, address and port ranges) are loaded with `nft -f` in one pair
 * of namespaces and with `bpfilter apply --format nft` in another; the
 * same UDP probes go into both and the INPUT verdicts are compared. Then
 * elements change on both sides, bpfilter's in nft element syntax
 * (`nft add element ... { 198.51.100.200 . 7000 }` / `bpfilter set add sp
 * '198.51.100.200 . 7000'`): the verdicts are compared again, and the
 * program in force is the same (program id and generation: no reload).
 * A verdict map (`ip saddr vmap @vm`, accept and drop) is one map too:
 * `bpfilter set add vm '203.0.113.70 : drop'` turns an accept element
 * into a drop one with one map update.
 */
#include "e2e_nftcmp.h"

static const char ruleset[] =
	"flush ruleset\n"
	"table inet t {\n"
	"\tset ports {\n"
	"\t\ttype inet_service\n"
	"\t\telements = { 7001, 7003 }\n"
	"\t}\n"
	"\tset prange {\n"
	"\t\ttype inet_service\n"
	"\t\tflags interval\n"
	"\t\telements = { 7010-7013 }\n"
	"\t}\n"
	"\tset sports {\n"
	"\t\ttype inet_service\n"
	"\t\telements = { 40000 }\n"
	"\t}\n"
	"\tset sp {\n"
	"\t\ttype ipv4_addr . inet_service\n"
	"\t\telements = { 198.51.100.9 . 7000, 203.0.113.5 . 53 }\n"
	"\t}\n"
	"\tset np {\n"
	"\t\ttype ipv4_addr . inet_service\n"
	"\t\tflags interval\n"
	"\t\telements = { 203.0.113.64/27 . 7000,\n"
	"\t\t\t     203.0.113.100-203.0.113.110 . 53-54 }\n"
	"\t}\n"
	"\tmap vm {\n"
	"\t\ttype ipv4_addr : verdict\n"
	"\t\telements = { 198.51.100.200 : drop, 203.0.113.70 : accept }\n"
	"\t}\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tip saddr vmap @vm\n"
	"\t\tudp dport @ports drop\n"
	"\t\tudp dport @prange drop\n"
	"\t\tip daddr 192.0.2.51 udp sport != @sports drop\n"
	"\t\tip saddr . udp dport @sp drop\n"
	"\t\tip saddr . udp dport @np drop\n"
	"\t}\n"
	"}\n";

static const char *const srcs[] = {
	"203.0.113.5",	 "203.0.113.70", "203.0.113.100",
	"203.0.113.105", "198.51.100.9", "198.51.100.200",
};
static const char *const dsts[] = { "192.0.2.50", "192.0.2.51" };
static const uint16_t ports[] = { 7000, 7001, 7003, 7011, 53, 54 };

static struct nftcmp c = NFTCMP_INIT(srcs, dsts, ports, "H26", "nft-setmap");

static void test_nft_port_sets(void **state)
{
	uint32_t id0;
	unsigned long long g0;
	char *listed = NULL;
	int d0, d1, d2;
	(void)state;

	nftcmp_load(&c, ruleset);
	/* the sets are maps, not inlined rules */
	nftcmp_saved_has(&c,
			 "'^-A input -p udp .*-m set --match-set sp src,dst "
			 "-j DROP$'");
	nftcmp_saved_has(&c, "'^-A input -p udp .*-m set --match-set ports dst "
			     "-j DROP$'");
	d0 = nftcmp_compare(&c, "as loaded");

	nftcmp_in_force(&c, &id0, &g0);
	nftcmp_both(&c, "add element inet t ports { 53 }", "add ports 53");
	nftcmp_both(&c, "add element inet t sp { 198.51.100.200 . 7000 }",
		    "add sp '198.51.100.200 . 7000'");
	d1 = nftcmp_compare(&c, "after adding to ports and sp");
	assert_true(d1 < d0);
	nftcmp_both(&c, "delete element inet t np { 203.0.113.64/27 . 7000 }",
		    "delete np '203.0.113.64/27 . 7000'");
	nftcmp_both(&c, "add element inet t np { 198.51.100.0/24 . 7011 }",
		    "add np '198.51.100.0/24 . 7011'");
	nftcmp_both(&c, "delete element inet t sports { 40000 }",
		    "delete sports 40000");
	/* a verdict changes: nft deletes and adds, bpfilter replaces */
	assert_int_equal(bft_sh("ip netns exec %s nft 'delete element inet t "
				"vm { 203.0.113.70 }'",
				c.kside.ns_r),
			 0);
	nftcmp_both(&c, "add element inet t vm { 203.0.113.70 : drop }",
		    "add vm '203.0.113.70 : drop'");
	nftcmp_both(&c, "add element inet t vm { 203.0.113.5 : accept }",
		    "add vm '203.0.113.5 : accept'");
	nftcmp_both(&c, "delete element inet t prange { 7010-7013 }",
		    "delete prange 7010-7013");
	d2 = nftcmp_compare(&c, "after changing np, sports and prange");
	assert_true(d2 != d1);
	nftcmp_same_program(&c, id0, g0);

	/* set list prints nft element syntax */
	assert_int_equal(bft_sh_out(&listed, "ip netns exec %s %s set list sp",
				    c.bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(listed, "198.51.100.200 . 7000"));
	assert_non_null(strstr(listed, "203.0.113.5 . 53"));
	free(listed);
	assert_int_equal(bft_sh_out(&listed, "ip netns exec %s %s set list vm",
				    c.bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(listed, "203.0.113.70 : drop"));
	assert_non_null(strstr(listed, "203.0.113.5 : accept"));
	free(listed);
	/* save --format nft prints the sets and the vmap with the elements
	 * in force; nftables loads it */
	nftcmp_saved_nft(&c, &listed);
	assert_non_null(strstr(listed, "ip saddr vmap @vm"));
	assert_non_null(strstr(listed, "203.0.113.70 : drop"));
	assert_non_null(strstr(listed, "198.51.100.200 . 7000"));
	free(listed);
	assert_int_equal(bft_sh("ip netns exec %s %s save --format nft "
				"| ip netns exec %s nft -c -f -",
				c.bside.ns_r, bft_bpfilter_bin(), c.kside.ns_r),
			 0);
	/* the vmap is a map: two lookups of one set, no inlined rules */
	assert_int_equal(
		bft_sh("ip netns exec %s %s save | grep -c "
		       "'^-A input -m set --match-set vm src' | grep -qx 2",
		       c.bside.ns_r, bft_bpfilter_bin()),
		0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(
			test_nft_port_sets, NULL, nftcmp_teardown_state, &c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
