// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft named sets of ports and of address . port concatenations lowered to
 * ruleset sets (src/lib/front/nft/setmap.c, doc/front-nft.md "Named sets
 * as BPF maps"): the ipset text apply reads (golden, reviewed by hand),
 * the -m set lookups of the rules, the round trip through `save --format
 * nft`, sets whose uses disagree (not mapped), verdict maps, and the nft
 * element syntax of `bpfilter set` (src/lib/set/nftelem.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/set.h"
#include "set/ipset.h"
#include "set/nftelem.h"
#include "nfttest.h"

/* Golden text reviewed by hand:
 *  - ports: bitmap:port over the whole port range, one entry a port;
 *    used by tcp and udp rules of both families (family-less set);
 *  - prange (interval): 7010-7013 is four entries;
 *  - sp: hash:ip,port, every element with the rules' protocol (udp);
 *  - np (interval): hash:net,port, the address range cut into its
 *    prefix cover (.100/30 .104/30 .108/31 .110), times each port of
 *    53-54;
 *  - sp6: `typeof ip6 saddr . tcp dport`, hash:ip,port family inet6, tcp;
 *  - mixed: used with tcp and with udp ports: not mapped (and then
 *    inlined, or refused while concatenations are not inlined). */
static const char *const src =
	"table inet t {\n"
	"\tset ports { type inet_service; elements = { 7001, 7003 } }\n"
	"\tset prange { type inet_service; flags interval;\n"
	"\t\telements = { 7010-7013 } }\n"
	"\tset sp { type ipv4_addr . inet_service;\n"
	"\t\telements = { 198.51.100.9 . 7000, 203.0.113.5 . 53 } }\n"
	"\tset np { type ipv4_addr . inet_service; flags interval;\n"
	"\t\telements = { 203.0.113.64/27 . 7000,\n"
	"\t\t\t     203.0.113.100-203.0.113.110 . 53-54 } }\n"
	"\tset sp6 { typeof ip6 saddr . tcp dport;\n"
	"\t\telements = { 2001:db8::1 . 22 } }\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tudp dport @ports drop\n"
	"\t\ttcp sport != @ports accept\n"
	"\t\tudp dport @prange drop\n"
	"\t\tip saddr . udp dport @sp drop\n"
	"\t\tip daddr . udp sport @np drop\n"
	"\t\tip6 saddr . tcp dport @sp6 drop\n"
	"\t}\n"
	"}\n";

static const char *const want_sets =
	"create ports bitmap:port range 0-65535 nft\n"
	"add ports 7001\n"
	"add ports 7003\n"
	"create prange bitmap:port range 0-65535 nft\n"
	"add prange 7010\n"
	"add prange 7011\n"
	"add prange 7012\n"
	"add prange 7013\n"
	"create sp hash:ip,port family inet nft-proto udp\n"
	"add sp 198.51.100.9,udp:7000\n"
	"add sp 203.0.113.5,udp:53\n"
	"create np hash:net,port family inet nft-proto udp\n"
	"add np 203.0.113.64/27,udp:7000\n"
	"add np 203.0.113.100/30,udp:53\n"
	"add np 203.0.113.104/30,udp:53\n"
	"add np 203.0.113.108/31,udp:53\n"
	"add np 203.0.113.110,udp:53\n"
	"add np 203.0.113.100/30,udp:54\n"
	"add np 203.0.113.104/30,udp:54\n"
	"add np 203.0.113.108/31,udp:54\n"
	"add np 203.0.113.110,udp:54\n"
	"create sp6 hash:ip,port family inet6 nft-proto tcp\n"
	"add sp6 2001:db8::1,tcp:22\n";

static char *lowered_text(struct bf_ruleset *rs, bool sets)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (!sets)
		return bft_ipt_text(rs, BFT_ALL_FAMILIES);
	m = open_memstream(&text, &len);
	assert_non_null(m);
	bf_ipset_print(m, rs);
	fclose(m);
	return text;
}

/* An element as `bpfilter set` prints it for an nft set. */
static char *elem_text(const struct bf_set *set, const struct bf_set_elem *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	assert_non_null(m);
	bf_set_nft_elem_print(m, set, e);
	fclose(m);
	return text;
}

static void test_lowered(void **state)
{
	struct bf_nft *nft = NULL, *again = NULL;
	struct bf_ruleset *rs = bf_ruleset_new(), *rs2 = bf_ruleset_new();
	struct bf_ruleset *rs3 = bf_ruleset_new();
	char *sets, *rules, *sets2, *nfttext = NULL;
	static const char *const lookups[] = {
		"-m set --match-set ports dst -j DROP",
		"-m set ! --match-set ports src -j ACCEPT",
		"-m set --match-set prange dst -j DROP",
		"-m set --match-set sp src,dst -j DROP",
		"-m set --match-set np dst,src -j DROP",
		"-m set --match-set sp6 src,dst -j DROP",
	};
	static const char *const printed[] = {
		"udp dport @ports",
		"tcp sport != @ports",
		"ip saddr . udp dport @sp",
		"ip daddr . udp sport @np",
		"ip6 saddr . tcp dport @sp6",
		"\tset sp {\n\t\ttype ipv4_addr . inet_service\n"
		"\t\telements = { 198.51.100.9 . 7000, 203.0.113.5 . 53 }\n"
		"\t}\n",
		"\tset prange {\n\t\ttype inet_service\n\t\tflags interval\n"
		"\t\telements = { 7010-7013 }\n\t}\n",
		"\tset ports {\n\t\ttype inet_service\n"
		"\t\telements = { 7001, 7003 }\n\t}\n",
	};

	(void)state;
	assert_non_null(rs);
	assert_non_null(rs2);
	assert_non_null(rs3);
	assert_int_equal(bf_nft_parse_str(src, "t.nft", &nft), 0);
	assert_int_equal(bf_nft_lower_sets(nft, rs), 0);
	sets = lowered_text(rs, true);
	rules = lowered_text(rs, false);
	if (strcmp(sets, want_sets))
		fail_msg("sets:\n%s\nwanted:\n%s", sets, want_sets);
	for (size_t i = 0; i < ARRAY_SIZE(lookups); i++)
		if (!strstr(rules, lookups[i]))
			fail_msg("no '%s' in:\n%s", lookups[i], rules);
	/* the port lookups keep their protocol gate: no inlined ports */
	assert_null(strstr(rules, "--dport 7001"));
	assert_null(strstr(rules, "--dport 7000"));

	/* apply reads the ipset text back: the same sets, nft-proto kept */
	assert_int_equal(bf_ipset_parse_str(rs3, sets, "sets"), 0);
	assert_int_equal(rs3->n_sets, 5);
	assert_int_equal(bf_ruleset_set(rs3, "sp")->nft_proto, 17);
	assert_int_equal(bf_ruleset_set(rs3, "sp6")->nft_proto, 6);
	assert_int_equal(bf_ruleset_set(rs3, "np")->interval_dim, 0);
	assert_int_equal(bf_ruleset_set(rs3, "ports")->nft_proto, 0);
	assert_true(bf_ruleset_set(rs3, "ports")->nft);
	assert_true(bf_ruleset_set(rs3, "sp")->nft);
	assert_true(bf_set_any_family(bf_ruleset_set(rs3, "ports")));
	assert_false(bf_set_any_family(bf_ruleset_set(rs3, "sp")));

	/* save --format nft prints them as nft sets and lookups, and that
	 * lowers to the same sets */
	nfttext = bft_nft_ir_text(rs, BFT_ALL_FAMILIES);
	for (size_t i = 0; i < ARRAY_SIZE(printed); i++)
		if (!strstr(nfttext, printed[i]))
			fail_msg("no '%s' in:\n%s", printed[i], nfttext);
	if (bf_nft_parse_str(nfttext, "printed.nft", &again))
		fail_msg("the printed IR does not parse:\n%s", nfttext);
	assert_int_equal(bf_nft_lower_sets(again, rs2), 0);
	sets2 = lowered_text(rs2, true);
	/* the same sets, in the printed order (ip table first) */
	for (size_t i = 0; i < rs->n_sets; i++) {
		const struct bf_set *a = &rs->sets[i];
		const struct bf_set *b = bf_ruleset_set(rs2, a->name);

		assert_non_null(b);
		assert_string_equal(a->type, b->type);
		assert_int_equal(a->n_elems, b->n_elems);
		assert_int_equal(a->nft_proto, b->nft_proto);
	}
	free(sets);
	free(rules);
	free(sets2);
	free(nfttext);
	bf_nft_free(&nft);
	bf_nft_free(&again);
	bf_ruleset_free(&rs);
	bf_ruleset_free(&rs2);
	bf_ruleset_free(&rs3);
}

/* A set whose uses disagree is mapped for none of them: `bpfilter set`
 * must not change some uses and leave the inlined ones. */
static void test_disagreeing_uses(void **state)
{
	static const char *const text =
		"table ip t {\n"
		"\tset ap { type ipv4_addr . inet_service;\n"
		"\t\telements = { 192.0.2.1 . 80 } }\n"
		"\tset pp { type inet_service; elements = { 80 } }\n"
		"\tset zero { type ipv4_addr . inet_service;\n"
		"\t\telements = { 0.0.0.0 . 80 } }\n"
		"\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tip saddr . tcp dport @ap drop\n"
		"\t\tip saddr . udp dport @ap drop\n"
		"\t\ttcp dport @pp drop\n"
		"\t\tudp sport @pp drop\n"
		"\t\tip saddr . tcp dport @zero drop\n"
		"\t}\n"
		"}\n";
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bft_logcap cap = { 0 };
	bf_log_fn ofn;
	void *odata;
	int r;

	(void)state;
	assert_non_null(rs);
	assert_int_equal(bf_nft_parse_str(text, "d.nft", &nft), 0);
	bf_log_get(&ofn, &odata);
	bf_log_set(bft_log_capture, &cap);
	r = bf_nft_lower_sets(nft, rs);
	bf_log_set(ofn, odata);
	/* ap (two protocols) and zero (hash:ip,port refuses 0.0.0.0) are
	 * not maps: inlined, or refused with the concatenation's
	 * position while concatenations are not inlined */
	assert_null(bf_ruleset_set(rs, "ap"));
	assert_null(bf_ruleset_set(rs, "zero"));
	if (r)
		assert_non_null(strstr(cap.text, "d.nft:"));
	else
		/* bitmap:port gives tcp and udp ports: pp maps in both */
		assert_non_null(bf_ruleset_set(rs, "pp"));
	bf_nft_free(&nft);
	bf_ruleset_free(&rs);
}

static int count_elem(const struct bf_set_elem *e, void *data)
{
	(void)e;
	(*(int *)data)++;
	return 0;
}

/* `bpfilter set` element syntax: nft's `A . P` becomes ipset's `A,P`
 * with the set's protocol; ipset syntax passes; an IPv4 range in a
 * hash:net* set is its prefix cover (as ipset stores it). */
static void test_elem_syntax(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_set *sp, *ports;
	struct bf_set_elem e;
	char out[128], *av[1];

	(void)state;
	assert_non_null(rs);
	assert_int_equal(bf_ipset_parse_str(rs, want_sets, "sets"), 0);
	sp = bf_ruleset_set(rs, "sp");
	ports = bf_ruleset_set(rs, "ports");
	bool nm;

	assert_int_equal(bf_set_nft_elem_in(sp, "192.0.2.7 . 443", out,
					    sizeof(out), true, &nm, NULL, 0),
			 0);
	assert_string_equal(out, "192.0.2.7,udp:443");
	assert_false(nm);
	assert_int_equal(bf_set_nft_elem_in(sp, "192.0.2.7,udp:443", out,
					    sizeof(out), true, &nm, NULL, 0),
			 0);
	assert_string_equal(out, "192.0.2.7,udp:443");
	assert_int_equal(bf_set_nft_elem_in(sp, "192.0.2.7 . 1 . 2", out,
					    sizeof(out), true, &nm, NULL, 0),
			 -EINVAL);
	assert_int_equal(bf_set_nft_elem_in(ports, "8000-8002", out,
					    sizeof(out), true, &nm, NULL, 0),
			 0);
	assert_string_equal(out, "8000-8002");
	{
		const struct bf_set *np = bf_ruleset_set(rs, "np");
		char *r1[] = { "198.51.100.1-198.51.100.6,udp:80-81" };
		int n = 0;

		/* .1 .2/31 .4/31 .6, times two ports */
		assert_int_equal(bf_ipset_parse_elems(np, 1, r1, "x", 1,
						      count_elem, &n),
				 0);
		assert_int_equal(n, 8);
	}
	/* the set's protocol only: a tcp element of a udp set refused */
	av[0] = "192.0.2.7,tcp:443";
	assert_int_equal(bf_ipset_parse_elem(sp, 1, av, "x", 1, &e), -EINVAL);
	av[0] = "192.0.2.7,udp:443";
	assert_int_equal(bf_ipset_parse_elem(sp, 1, av, "x", 1, &e), 0);
	{
		char *text = elem_text(sp, &e);

		assert_string_equal(text, "192.0.2.7 . 443");
		free(text);
	}
	bf_ruleset_free(&rs);
}

/* Verdict maps of accept and drop: one hash:net map (exact keys as full
 * prefixes), drop elements nomatch, two lookups (the second with
 * --return-nomatch); a map with a jump: the verdicts in the map (chains
 * by their index in nft-chains), two lookups that dispatch through
 * helper chains. */
static void test_vmap(void **state)
{
	static const char *const text =
		"table ip t {\n"
		"\tmap vm { type ipv4_addr : verdict;\n"
		"\t\telements = { 198.51.100.200 : drop, 203.0.113.70 : accept } }\n"
		"\tmap vn { type ipv4_addr . inet_service : verdict; flags interval;\n"
		"\t\telements = { 203.0.113.0/24 . 53 : drop } }\n"
		"\tmap vj { type ipv4_addr : verdict;\n"
		"\t\telements = { 192.0.2.9 : jump x } }\n"
		"\tchain x { }\n"
		"\tchain c {\n"
		"\t\ttype filter hook input priority 0;\n"
		"\t\tip saddr vmap @vm\n"
		"\t\tip saddr . udp dport vmap @vn\n"
		"\t\tip saddr vmap @vj\n"
		"\t}\n"
		"}\n";
	static const char *const want =
		"create vm hash:net family inet nft-vmap\n"
		"add vm 198.51.100.200 nomatch\n"
		"add vm 203.0.113.70\n"
		"create vn hash:net,port family inet nft-proto udp nft-vmap\n"
		"add vn 203.0.113.0/24,udp:53 nomatch\n"
		"create vj hash:net family inet nft-chains x\n"
		"add vj 192.0.2.9 nft-verdict jump:x\n";
	static const char *const rules_want[] = {
		"-A c -m set --match-set vm src -j ACCEPT\n"
		"-A c -m set --match-set vm src --return-nomatch -j DROP\n",
		"-m set --match-set vn src,dst -j ACCEPT\n",
		"-m set --match-set vn src,dst --return-nomatch -j DROP\n",
		"-A c -m set --match-set vj src --nft-vkinds 0x50 -g nft.",
		"-A c -m set --match-set vj src --nft-vkinds 0x26 -j nft.",
		"-m set --match-set vj src --nft-vis 0x5000000 -g x\n",
		"-m set --match-set vj src --nft-vis 0x4000000 -j RETURN\n",
	};
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs = bf_ruleset_new(), *rs2 = bf_ruleset_new();
	const struct bf_set *vm;
	struct bf_set_elem e;
	char *sets, *rules, out[128], *av[2];
	bool nm;

	(void)state;
	assert_non_null(rs);
	assert_non_null(rs2);
	assert_int_equal(bf_nft_parse_str(text, "v.nft", &nft), 0);
	assert_int_equal(bf_nft_lower_sets(nft, rs), 0);
	sets = lowered_text(rs, true);
	rules = lowered_text(rs, false);
	if (strcmp(sets, want))
		fail_msg("sets:\n%s\nwanted:\n%s", sets, want);
	for (size_t i = 0; i < ARRAY_SIZE(rules_want); i++)
		if (!strstr(rules, rules_want[i]))
			fail_msg("no '%s' in:\n%s", rules_want[i], rules);
	assert_true(bf_ruleset_set(rs, "vj") &&
		    bf_ruleset_set(rs, "vj")->nft_jmap);

	/* save --format nft: the two rules are one vmap again, the set a
	 * map of verdicts; that lowers to the same sets */
	{
		struct bf_nft *again = NULL;
		struct bf_ruleset *rs3 = bf_ruleset_new();
		char *t = NULL, *t3;
		size_t len = 0;
		FILE *m = open_memstream(&t, &len);

		assert_non_null(m);
		assert_non_null(rs3);
		assert_int_equal(
			bf_nft_print_ir(m, rs, BF_FAMILY_INET4, "p", false), 0);
		fclose(m);
		if (!strstr(t, "counter ip saddr vmap @vm\n") ||
		    !strstr(t, "ip saddr . udp dport vmap @vn\n") ||
		    !strstr(t,
			    "198.51.100.200 : drop, 203.0.113.70 : accept") ||
		    !strstr(t, "ip saddr vmap @vj\n") ||
		    !strstr(t, "192.0.2.9 : jump x") || strstr(t, "nft.") ||
		    strstr(t, "--return-nomatch") || strstr(t, " drop\n"))
			fail_msg("printed:\n%s", t);
		assert_int_equal(bf_nft_parse_str(t, "p.nft", &again), 0);
		assert_int_equal(bf_nft_lower_sets(again, rs3), 0);
		t3 = lowered_text(rs3, true);
		if (strcmp(t3, want))
			fail_msg("re-lowered:\n%s\nwanted:\n%s", t3, want);
		free(t);
		free(t3);
		bf_nft_free(&again);
		bf_ruleset_free(&rs3);
	}

	/* element syntax: the verdict is the nomatch flag */
	assert_int_equal(bf_ipset_parse_str(rs2, sets, "sets"), 0);
	vm = bf_ruleset_set(rs2, "vm");
	assert_true(vm->nft_vmap);
	assert_int_equal(bf_set_nft_elem_in(vm, "192.0.2.1 : drop", out,
					    sizeof(out), true, &nm, NULL, 0),
			 0);
	assert_string_equal(out, "192.0.2.1");
	assert_true(nm);
	assert_int_equal(bf_set_nft_elem_in(vm, "192.0.2.1 : accept", out,
					    sizeof(out), true, &nm, NULL, 0),
			 0);
	assert_false(nm);
	/* add needs the verdict, delete does not */
	assert_int_equal(bf_set_nft_elem_in(vm, "192.0.2.1", out, sizeof(out),
					    true, &nm, NULL, 0),
			 -EINVAL);
	assert_int_equal(bf_set_nft_elem_in(vm, "192.0.2.1", out, sizeof(out),
					    false, &nm, NULL, 0),
			 0);
	assert_int_equal(bf_set_nft_elem_in(vm, "192.0.2.1 : jump x", out,
					    sizeof(out), true, &nm, NULL, 0),
			 -EINVAL);
	av[0] = "192.0.2.1";
	av[1] = "nomatch";
	assert_int_equal(bf_ipset_parse_elem(vm, 2, av, "x", 1, &e), 0);
	{
		char *t = elem_text(vm, &e);

		assert_string_equal(t, "192.0.2.1 : drop");
		free(t);
	}
	free(sets);
	free(rules);
	bf_nft_free(&nft);
	bf_ruleset_free(&rs);
	bf_ruleset_free(&rs2);
}

/* Sets of ifname, mark, inet_proto and ipv4_addr . ipv4_addr keys are
 * hash maps (hash:iface, hash:mark, hash:proto, hash:ip,ip); ifname with
 * flags interval (wildcards) an LPM trie (hash:ifprefix). A verdict map with chains
 * lists the chains that lead back to no verdict map lookup: an element
 * naming another keeps the map inlined, and `set add` refuses one. */
static void test_exact_and_jmap(void **state)
{
	static const char *const text =
		"table ip t {\n"
		"\tset ifs { type ifname; elements = { \"eth0\", \"lo\" } }\n"
		"\tset wild { type ifname; flags interval;\n"
		"\t\telements = { \"eth*\" } }\n"
		"\tset marks { type mark; elements = { 0x1, 0x2a } }\n"
		"\tset protos { type inet_proto; elements = { tcp, 132 } }\n"
		"\tset pairs { type ipv4_addr . ipv4_addr;\n"
		"\t\telements = { 192.0.2.1 . 198.51.100.2 } }\n"
		"\tmap jm { type ifname : verdict;\n"
		"\t\telements = { \"eth0\" : jump a, \"eth1\" : goto b } }\n"
		"\tmap loopm { type mark : verdict;\n"
		"\t\telements = { 0x1 : jump back } }\n"
		"\tchain a { udp dport 1 drop }\n"
		"\tchain b { udp dport 2 drop }\n"
		"\tmap jm2 { type mark : verdict;\n"
		"\t\telements = { 0x7 : jump a } }\n"
		"\tchain back { jump d }\n"
		"\tchain d { meta mark vmap @jm2 }\n"
		"\tchain c {\n"
		"\t\ttype filter hook forward priority 0;\n"
		"\t\tiifname @ifs accept\n"
		"\t\toifname @wild accept\n"
		"\t\tmeta mark @marks drop\n"
		"\t\tmeta l4proto != @protos drop\n"
		"\t\tip saddr . ip daddr @pairs drop\n"
		"\t\toifname vmap @jm\n"
		"\t\tmeta mark vmap @loopm\n"
		"\t}\n"
		"}\n";
	static const char *const want[] = {
		"create ifs hash:iface nft\nadd ifs eth0\nadd ifs lo\n",
		"create marks hash:mark nft\nadd marks 0x00000001\n"
		"add marks 0x0000002a\n",
		"create protos hash:proto nft\nadd protos 6\nadd protos 132\n",
		"create pairs hash:ip,ip family inet nft\n"
		"add pairs 192.0.2.1,198.51.100.2\n",
		"create jm hash:iface nft nft-chains a,b\n"
		"add jm eth0 nft-verdict jump:a\nadd jm eth1 nft-verdict goto:b\n",
	};
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_set *jm;
	struct bf_set_elem e;
	char *sets, *rules, *av[3];

	(void)state;
	assert_non_null(rs);
	assert_int_equal(bf_nft_parse_str(text, "x.nft", &nft), 0);
	assert_int_equal(bf_nft_lower_sets(nft, rs), 0);
	sets = lowered_text(rs, true);
	rules = lowered_text(rs, false);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(sets, want[i]))
			fail_msg("no '%s' in:\n%s", want[i], sets);
	/* the wildcard set is an LPM trie of name prefixes; the map naming
	 * `back` (which reaches d, a chain looking up a verdict map with
	 * chains) stays inlined */
	if (!strstr(sets, "create wild hash:ifprefix nft\nadd wild eth*\n"))
		fail_msg("sets:\n%s", sets);
	assert_null(bf_ruleset_set(rs, "loopm"));
	if (!strstr(rules, "-m set --match-set wild dst -j ACCEPT") ||
	    !strstr(rules, "-m set --match-set ifs src -j ACCEPT") ||
	    !strstr(rules, "-m set --match-set pairs src,dst -j DROP") ||
	    !strstr(rules, "-m mark --mark 0x1 -j back"))
		fail_msg("rules:\n%s", rules);

	/* elements in nft syntax; chains outside the list refused */
	jm = bf_ruleset_set(rs, "jm");
	assert_non_null(jm);
	assert_true(jm->nft_jmap);
	av[0] = "eth5";
	av[1] = "nft-verdict";
	av[2] = "goto:a";
	assert_int_equal(bf_ipset_parse_elem(jm, 3, av, "x", 1, &e), 0);
	{
		char *t = elem_text(jm, &e);

		assert_string_equal(t, "\"eth5\" : goto a");
		free(t);
	}
	av[2] = "jump:back";
	assert_int_equal(bf_ipset_parse_elem(jm, 3, av, "x", 1, &e), -EINVAL);
	av[2] = "jump:d";
	assert_int_equal(bf_ipset_parse_elem(jm, 3, av, "x", 1, &e), -EINVAL);
	av[2] = "return";
	assert_int_equal(bf_ipset_parse_elem(jm, 3, av, "x", 1, &e), 0);
	assert_int_equal(e.data, BF_SET_V_DATA(BF_SET_V_RETURN, 0));
	av[0] = "eth*";
	assert_int_equal(bf_ipset_parse_elem(bf_ruleset_set(rs, "ifs"), 1, av,
					     "x", 1, &e),
			 -EINVAL);
	assert_int_equal(bf_ipset_parse_elem(bf_ruleset_set(rs, "wild"), 1, av,
					     "x", 1, &e),
			 0);
	{
		char *t = elem_text(bf_ruleset_set(rs, "wild"), &e);

		assert_string_equal(t, "\"eth*\"");
		free(t);
	}
	av[0] = "e*th";
	assert_int_equal(bf_ipset_parse_elem(bf_ruleset_set(rs, "wild"), 1, av,
					     "x", 1, &e),
			 -EINVAL);
	free(sets);
	free(rules);
	bf_nft_free(&nft);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowered),
		cmocka_unit_test(test_disagreeing_uses),
		cmocka_unit_test(test_elem_syntax),
		cmocka_unit_test(test_vmap),
		cmocka_unit_test(test_exact_and_jmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
