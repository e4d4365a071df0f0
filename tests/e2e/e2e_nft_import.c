// SPDX-License-Identifier: GPL-2.0-only
/*
 * `bpfilter import nft` of a namespace with a netdev table, and nf slots
 * at priorities other than 0 attached at their base chains' hooks only
 * (doc/front-nft.md, "Mapping to hooks" and "The CLI"). Pair topology:
 * probes from A to B (TCP 5000/5001, UDP 5002/5003, IPv4 and IPv6).
 *
 *  - import: the kernel's nftables judges the probes with a netdev
 *    ingress table on b0 and an inet input table; `nft -j list ruleset`
 *    saved to a file is refused with the way out (nft 1.0.6 lists netdev
 *    chains without their device), the text listing `nft list ruleset`
 *    is imported (after `nft flush ruleset`, as documented) and the
 *    probes get the same verdicts; `bpfilter import nft` of the live
 *    ruleset takes the devices from the text listing.
 *  - points: conntrack's hook functions at -200 on prerouting and output
 *    (an nftables ct rule turns it on); an input chain at -200 applies
 *    (links at input only) and judges the probes, while the same slot
 *    attached everywhere (iptables input into nf-m200), or a file with an
 *    output chain at -200, fails with EBUSY; save / restore and save
 *    --format nft keep the points.
 */
#include "e2e.h"

/* the kernel's netdev table drops UDP 5003 at ingress of b0, its inet
 * table TCP 5001 at input */
static const char kernel_rs[] =
	"table netdev nd {\n"
	"\tchain ing {\n"
	"\t\ttype filter hook ingress device \"b0\" priority 0; policy accept;\n"
	"\t\tudp dport 5003 drop\n"
	"\t}\n"
	"}\n"
	"table inet f {\n"
	"\tchain i {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\ttcp dport 5001 drop\n"
	"\t}\n"
	"}\n";

static const char netdev_only[] =
	"table netdev nd {\n"
	"\tchain ing {\n"
	"\t\ttype filter hook ingress device \"b0\" priority 0; policy accept;\n"
	"\t\tudp dport 5003 drop\n"
	"\t}\n"
	"}\n";

#define N_PROBES 8

/* The verdict of each probe from A into B: bit i set when probe i
 * passed (TCP 5000, 5001, UDP 5002, 5003; IPv4 then IPv6). */
static unsigned int probe(struct e2e *e)
{
	static const char *const addrs[] = { "192.0.2.2", "2001:db8::2" };
	unsigned int passed = 0;

	for (int a = 0; a < 2; a++) {
		int b = a * 4;
		passed |= (unsigned int)e2e_tcp(e->a, addrs[a], E2E_TCP_OPEN)
			  << b;
		passed |= (unsigned int)e2e_tcp(e->a, addrs[a], E2E_TCP_FILTER)
			  << (b + 1);
		passed |= (unsigned int)e2e_udp(e, e->a, addrs[a], E2E_UDP_OPEN)
			  << (b + 2);
		passed |=
			(unsigned int)e2e_udp(e, e->a, addrs[a], E2E_UDP_FILTER)
			<< (b + 3);
	}
	print_message("probes passed: 0x%02x\n", passed);
	return passed;
}

/* TCP 5001 and UDP 5003 dropped, the rest passes (both families) */
#define PASS_OPEN_ONLY 0x55u
#define PASS_ALL 0xffu

static void test_import(void **state)
{
	struct e2e *e = *state;
	const char *rs, *listing, *json;
	unsigned int kernel, bpf;
	char *out = NULL;

	BFT_REQUIRE_KERNEL();
	rs = e2e_file(e, "kernel.nft", kernel_rs);
	assert_int_equal(bft_sh("ip netns exec %s nft -f %s", e->b, rs), 0);
	kernel = probe(e);
	assert_int_equal(kernel, PASS_OPEN_ONLY);

	listing = e2e_file(e, "listing.nft", "");
	json = e2e_file(e, "listing.json", "");
	assert_int_equal(bft_sh("ip netns exec %s nft list ruleset > %s; "
				"ip netns exec %s nft -j list ruleset > %s",
				e->b, listing, e->b, json),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s nft flush ruleset", e->b), 0);
	assert_int_equal(probe(e), PASS_ALL); /* nothing judges now */

	/* the JSON lacks the device: refused, saying what to do */
	assert_int_not_equal(e2e_cli(&out, e->b, "import --from %s nft", json),
			     0);
	e2e_assert_contains(out, "without their devices");
	e2e_assert_contains(out, "nft list ruleset > FILE");
	free(out);
	out = NULL;
	assert_int_equal(e2e_cli(NULL, e->b, "import --from %s nft", listing),
			 0);
	assert_int_equal(e2e_cli(&out, e->b, "save"), 0);
	e2e_assert_contains(out, "# bpfilter slot tc-b0, ipv4");
	e2e_assert_contains(out, "# bpfilter slot nf, ipv4");
	free(out);
	out = NULL;
	bpf = probe(e);
	assert_int_equal(bpf, kernel);

	/* live: the netdev table in force, imported with its device */
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(probe(e), PASS_ALL);
	rs = e2e_file(e, "netdev.nft", netdev_only);
	assert_int_equal(bft_sh("ip netns exec %s nft -f %s", e->b, rs), 0);
	assert_int_equal(e2e_cli(NULL, e->b, "import nft"), 0);
	assert_int_equal(bft_sh("ip netns exec %s nft flush ruleset", e->b), 0);
	assert_int_equal(e2e_cli(&out, e->b, "save"), 0);
	e2e_assert_contains(out, "# bpfilter slot tc-b0, ipv4");
	free(out);
	/* bpfilter alone drops UDP 5003 now */
	assert_int_equal(probe(e), PASS_ALL & ~(1u << 3) & ~(1u << 7));
}

/* conntrack on: its hook functions at -200 on prerouting and output */
static const char ct_rs[] = "table inet ctuser {\n"
			    "\tchain fw {\n"
			    "\t\ttype filter hook forward priority 0; policy "
			    "accept;\n"
			    "\t\tct state established accept\n"
			    "\t}\n"
			    "}\n";

#define INPUT_M200                                                             \
	"table inet f {\n"                                                     \
	"\tchain i {\n"                                                        \
	"\t\ttype filter hook input priority -200; policy accept;\n"           \
	"\t\ttcp dport 5001 drop\n"                                            \
	"\t\tudp dport 5003 drop\n"                                            \
	"\t}\n"                                                                \
	"}\n"

static const char input_m200[] = INPUT_M200;

static const char output_too[] = INPUT_M200
	"table ip o {\n"
	"\tchain o {\n"
	"\t\ttype filter hook output priority -200; policy accept;\n"
	"\t\tudp dport 9 drop\n"
	"\t}\n"
	"}\n";

/* the same rules as iptables input, for every hook of the slot */
static const char ipt_rs[] = "*filter\n"
			     ":INPUT ACCEPT [0:0]\n"
			     ":FORWARD ACCEPT [0:0]\n"
			     ":OUTPUT ACCEPT [0:0]\n"
			     "-A INPUT -p tcp --dport 5001 -j DROP\n"
			     "-A INPUT -p udp --dport 5003 -j DROP\n"
			     "COMMIT\n";

static void test_points(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	f = e2e_file(e, "ct.nft", ct_rs);
	assert_int_equal(bft_sh("ip netns exec %s nft -f %s", e->b, f), 0);
	assert_int_equal(probe(e), PASS_ALL);

	/* attached at every hook, the slot meets conntrack at output */
	f = e2e_file(e, "m200.ipt", ipt_rs);
	assert_int_not_equal(
		e2e_cli(&out, e->b, "apply --hook nf --iface m200 %s", f), 0);
	e2e_assert_contains(out, "OUTPUT at priority -200");
	e2e_assert_contains(out, "Device or resource busy");
	free(out);
	out = NULL;

	/* the nft file's slot attaches at input only */
	f = e2e_file(e, "m200.nft", input_m200);
	assert_int_equal(e2e_cli(NULL, e->b, "apply %s", f), 0);
	assert_int_equal(e2e_cli(&out, e->b, "save"), 0);
	e2e_assert_contains(out, "# bpfilter slot nf-m200, ipv4, generation 1, "
				 "hooks in4,in6\n");
	free(out);
	out = NULL;
	assert_int_equal(probe(e), PASS_OPEN_ONLY);

	/* a chain at output -200 does meet conntrack: nothing changes */
	f = e2e_file(e, "out.nft", output_too);
	assert_int_not_equal(e2e_cli(&out, e->b, "apply %s", f), 0);
	e2e_assert_contains(out, "Device or resource busy");
	free(out);
	out = NULL;
	assert_int_equal(e2e_cli(&out, e->b, "save"), 0);
	e2e_assert_contains(out, "generation 1, hooks in4,in6\n");
	free(out);
	out = NULL;
	{
		json_t *doc = e2e_list(e->b);
		assert_non_null(doc);
		json_t *sl, *slots = json_object_get(doc, "slots");
		size_t i;
		bool seen = false;

		assert_int_equal(e2e_generation(doc, "nf-m200"), 1);
		json_array_foreach(slots, i, sl)
		{
			if (strcmp(json_string_value(
					   json_object_get(sl, "slot")),
				   "nf-m200"))
				continue;
			seen = true;
			assert_string_equal(
				json_string_value(json_object_get(sl, "hooks")),
				"in4,in6");
			assert_true(
				json_is_true(json_object_get(sl, "attached")));
		}
		assert_true(seen);
		json_decref(doc);
	}
	assert_int_equal(probe(e), PASS_OPEN_ONLY); /* still judging */

	/* save --format nft: the input base chain only */
	assert_int_equal(e2e_cli(&out, e->b, "save --format nft"), 0);
	e2e_assert_contains(out, "type filter hook input priority -200;");
	assert_null(strstr(out, "hook output"));
	assert_null(strstr(out, "hook forward"));
	free(out);
	out = NULL;

	/* save, flush, restore: the same points, the same verdicts */
	f = e2e_file(e, "saved", "");
	assert_int_equal(bft_sh("ip netns exec %s %s save > %s", e->b,
				bft_bpfilter_bin(), f),
			 0);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(probe(e), PASS_ALL);
	assert_int_equal(e2e_cli(NULL, e->b, "restore %s", f), 0);
	assert_int_equal(e2e_cli(&out, e->b, "save"), 0);
	e2e_assert_contains(out, "# bpfilter slot nf-m200, ipv6, generation 1, "
				 "hooks in4,in6\n");
	free(out);
	assert_int_equal(probe(e), PASS_OPEN_ONLY);
}

static int teardown(void **state)
{
	struct e2e *e = *state;

	if (e->b[0])
		bft_sh("ip netns exec %s nft flush ruleset 2>/dev/null", e->b);
	return e2e_teardown_state(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import, e2e_setup_pair,
						teardown),
		cmocka_unit_test_setup_teardown(test_points, e2e_setup_pair,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
