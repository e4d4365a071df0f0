// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft verdict maps whose values jump and go to chains (Docker's `type
 * ifname : verdict` maps), and named sets of interface names, marks,
 * protocols and address . address pairs, as BPF maps, end to end against
 * the kernel's nftables: the ruleset is loaded with `nft -f` in one pair of
 * namespaces and with `bpfilter apply --format nft` in another, the same
 * UDP probes go into both and the INPUT verdicts are compared (e2e_nftcmp.h).
 * Then elements change on both sides, bpfilter's with `bpfilter set` in
 * nft element syntax (`'"eth0" : goto c2'`, `'198.51.100.200 : jump c2'`):
 * the verdicts are compared again, and the program in force is the same
 * (program id and generation: no reload). A chain the programs cannot
 * dispatch to (one that leads back to a verdict map lookup, or none of that
 * name) is refused by `bpfilter set add` with the reason. Marks come from a
 * kernel nft chain at priority -150 in both namespaces (a netfilter program
 * cannot set them), before the filter chain at priority 0.
 */
#include "e2e_nftcmp.h"

static const char ruleset[] =
	"flush ruleset\n"
	"table ip t {\n"
	"\tmap ifm {\n"
	"\t\ttype ifname : verdict\n"
	"\t\telements = { \"eth0\" : jump from_eth0, \"dk9\" : drop }\n"
	"\t}\n"
	"\tmap srcm {\n"
	"\t\ttype ipv4_addr : verdict\n"
	"\t\tflags interval\n"
	"\t\telements = { 203.0.113.0/28 : jump a, 198.51.100.9 : goto b,\n"
	"\t\t\t     203.0.113.70 : return, 198.51.100.200 : drop }\n"
	"\t}\n"
	"\tset marks {\n"
	"\t\ttype mark\n"
	"\t\telements = { 0x0000002a }\n"
	"\t}\n"
	"\tset protos {\n"
	"\t\ttype inet_proto\n"
	"\t\telements = { tcp }\n"
	"\t}\n"
	"\tset pairs {\n"
	"\t\ttype ipv4_addr . ipv4_addr\n"
	"\t\telements = { 203.0.113.70 . 192.0.2.51 }\n"
	"\t}\n"
	"\tset ifs {\n"
	"\t\ttype ifname\n"
	"\t\telements = { \"dk1\" }\n"
	"\t}\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tiifname vmap @ifm\n"
	"\t\tjump inner\n"
	"\t\tudp dport 7003 drop\n"
	"\t}\n"
	"\tchain inner {\n"
	"\t\tip saddr vmap @srcm\n"
	"\t\tmeta mark @marks udp dport 53 drop\n"
	"\t\tmeta l4proto != @protos udp dport 7011 drop\n"
	"\t\tip saddr . ip daddr @pairs udp dport 54 drop\n"
	"\t\tiifname @ifs udp dport 7000 drop\n"
	"\t\tudp dport 7000 drop\n"
	"\t}\n"
	"\tchain a {\n"
	"\t\tudp dport 7001 drop\n"
	"\t\tudp dport 53 return\n"
	"\t\tudp dport 54 accept\n"
	"\t}\n"
	"\tchain b {\n"
	"\t\tudp dport 54 drop\n"
	"\t}\n"
	"\tchain from_eth0 {\n"
	"\t\tip daddr 192.0.2.51 udp dport 7000 accept\n"
	"\t\tip daddr 192.0.2.50 udp dport 7003 accept\n"
	"\t}\n"
	"\tchain c2 {\n"
	"\t\tudp dport 7011 drop\n"
	"\t\tudp dport 7001 accept\n"
	"\t}\n"
	"}\n";

/* marks set before the filter chains, in both namespaces */
static const char marker_table[] =
	"table ip mk { chain pre { type filter hook input priority -150; "
	"ip saddr 203.0.113.5 meta mark set 0x2a; "
	"ip saddr 198.51.100.9 meta mark set 0x7; }; }";

static const char *const srcs[] = {
	"203.0.113.5",	"203.0.113.70",	  "203.0.113.100",
	"198.51.100.9", "198.51.100.200",
};
static const char *const dsts[] = { "192.0.2.50", "192.0.2.51" };
static const uint16_t ports[] = { 7000, 7001, 7003, 7011, 53, 54 };

static struct nftcmp c = NFTCMP_INIT(srcs, dsts, ports, "H3J", "nft-jmap");

static void test_nft_jump_maps(void **state)
{
	uint32_t id0;
	unsigned long long g0;
	char *listed = NULL;
	int d0, d1, d2, d3;
	(void)state;

	nftcmp_load(&c, ruleset);
	assert_int_equal(bft_sh("ip netns exec %s nft '%s'", c.kside.ns_r,
				marker_table),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s nft '%s'", c.bside.ns_r,
				marker_table),
			 0);
	/* maps, not inlined rules: two lookups per vmap, dispatch chains */
	nftcmp_saved_has(&c, "'^-A input -m set --match-set ifm src "
			     "--nft-vkinds 0x50 -g nft'");
	nftcmp_saved_has(&c, "'^-A inner -m set --match-set srcm src "
			     "--nft-vkinds 0x26 -j nft'");
	nftcmp_saved_has(&c, "'^-A inner .*-m set --match-set marks src '");
	nftcmp_saved_has(&c, "'^-A inner .*-m set --match-set pairs src,dst '");
	d0 = nftcmp_compare(&c, "as loaded");

	nftcmp_in_force(&c, &id0, &g0);
	/* a verdict changes: nft deletes and adds, bpfilter replaces */
	assert_int_equal(bft_sh("ip netns exec %s nft 'delete element ip t "
				"srcm { 198.51.100.200 }'",
				c.kside.ns_r),
			 0);
	nftcmp_both(&c, "add element ip t srcm { 198.51.100.200 : jump c2 }",
		    "add srcm '198.51.100.200 : jump c2'");
	nftcmp_both(&c, "delete element ip t ifm { \"eth0\" }",
		    "delete ifm '\"eth0\"'");
	nftcmp_both(&c, "add element ip t ifm { \"eth0\" : jump c2 }",
		    "add ifm '\"eth0\" : jump c2'");
	nftcmp_both(&c, "add element ip t srcm { 203.0.113.96/27 : return }",
		    "add srcm '203.0.113.96/27 : return'");
	d1 = nftcmp_compare(&c, "after changing srcm and ifm");
	assert_true(d1 != d0);
	nftcmp_both(&c, "delete element ip t marks { 0x2a }",
		    "delete marks 0x2a");
	nftcmp_both(&c, "add element ip t marks { 0x7 }", "add marks 0x7");
	nftcmp_both(&c, "add element ip t protos { udp }", "add protos udp");
	nftcmp_both(&c, "add element ip t pairs { 198.51.100.9 . 192.0.2.50 }",
		    "add pairs '198.51.100.9 . 192.0.2.50'");
	nftcmp_both(&c, "add element ip t ifs { \"eth0\" }",
		    "add ifs '\"eth0\"'");
	d2 = nftcmp_compare(&c, "after changing marks, protos, pairs, ifs");
	assert_true(d2 != d1);
	/* a goto: c2's end does not return into input */
	nftcmp_both(&c, "delete element ip t ifm { \"eth0\" }",
		    "delete ifm '\"eth0\"'");
	nftcmp_both(&c, "add element ip t ifm { \"eth0\" : goto c2 }",
		    "add ifm '\"eth0\" : goto c2'");
	d3 = nftcmp_compare(&c, "after eth0 : goto c2");
	assert_true(d3 != d2);
	nftcmp_same_program(&c, id0, g0);

	/* chains the programs cannot dispatch to are refused with why */
	assert_int_equal(bft_sh_out(&listed,
				    "ip netns exec %s %s set add ifm "
				    "'\"dk2\" : jump inner' 2>&1",
				    c.bside.ns_r, bft_bpfilter_bin()),
			 1);
	assert_non_null(strstr(listed, "cannot jump to chain inner"));
	free(listed);
	assert_int_not_equal(bft_sh("ip netns exec %s %s set add ifm "
				    "'\"dk2\" : jump nosuch' 2>/dev/null",
				    c.bside.ns_r, bft_bpfilter_bin()),
			     0);
	/* wildcard names are prefixes: nft needs flags interval */
	assert_int_not_equal(bft_sh("ip netns exec %s %s set add ifs "
				    "'\"dk*\"' 2>/dev/null",
				    c.bside.ns_r, bft_bpfilter_bin()),
			     0);

	/* set list / test in nft element syntax */
	assert_int_equal(bft_sh_out(&listed, "ip netns exec %s %s set list ifm",
				    c.bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(listed, "\"eth0\" : goto c2"));
	assert_non_null(strstr(listed, "\"dk9\" : drop"));
	free(listed);
	assert_int_equal(bft_sh("ip netns exec %s %s set test srcm "
				"198.51.100.200 >/dev/null",
				c.bside.ns_r, bft_bpfilter_bin()),
			 0);
	/* save --format nft prints the maps with the elements in force and
	 * the lookups as vmaps; nftables loads it */
	nftcmp_saved_nft(&c, &listed);
	assert_non_null(strstr(listed, "iifname vmap @ifm"));
	assert_non_null(strstr(listed, "ip saddr vmap @srcm"));
	assert_non_null(strstr(listed, "198.51.100.200 : jump c2"));
	assert_null(strstr(listed, "--nft-vis"));
	free(listed);
	assert_int_equal(bft_sh("ip netns exec %s %s save --format nft "
				"| ip netns exec %s nft -c -f -",
				c.bside.ns_r, bft_bpfilter_bin(), c.kside.ns_r),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(
			test_nft_jump_maps, NULL, nftcmp_teardown_state, &c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
