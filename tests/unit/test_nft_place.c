// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the targets of an nft ruleset attach (src/lib/front/nft/place.c,
 * src/lib/load/points.c): the (family, hook) points of nf targets at a
 * priority other than 0, a missing netdev device reported at its
 * `device` clause, the devices `nft -j` leaves out taken from the text
 * listing, and the points' text form of `bpfilter save`.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/bpfilter.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/log.h"
#include "load/load.h"

static struct bf_nft *parse(const char *text, const char *name)
{
	struct bf_nft *nft = NULL;
	struct bft_logcap cap = { 0 };
	int r;

	bf_log_set(bft_log_capture, &cap);
	r = bf_nft_parse_str(text, name, &nft);
	bf_log_set(NULL, NULL);
	if (r)
		fail_msg("%s does not parse: %s", name, cap.text);
	return nft;
}

/* The target of kind and priority (nf) or device (tc); NULL if none. */
static const struct bf_nft_target *find(const struct bf_nft_target *tgs,
					size_t n, int kind, int prio,
					const char *dev)
{
	for (size_t i = 0; i < n; i++)
		if ((int)tgs[i].kind == kind &&
		    (kind == BF_NFT_TARGET_NF ? tgs[i].priority == prio :
						!strcmp(tgs[i].ifname, dev)))
			return &tgs[i];
	return NULL;
}

static const char points_text[] =
	"table ip a {\n"
	"\tchain i {\n"
	"\t\ttype filter hook input priority -200; policy accept;\n"
	"\t}\n"
	"\tchain z {\n"
	"\t\ttype filter hook output priority 0; policy accept;\n"
	"\t}\n"
	"}\n"
	"table inet b {\n"
	"\tchain o {\n"
	"\t\ttype filter hook output priority 10; policy accept;\n"
	"\t}\n"
	"}\n"
	"table ip6 c {\n"
	"\tchain f {\n"
	"\t\ttype filter hook forward priority 10; policy drop;\n"
	"\t}\n"
	"}\n";

/* An nf target at P != 0 attaches where its base chains are; the one at
 * 0 everywhere, as before. */
static void test_points(void **state)
{
	struct bf_nft *nft = parse(points_text, "p.nft");
	struct bf_nft_target *tgs = NULL;
	const struct bf_nft_target *t;
	size_t n = 0;

	(void)state;
	assert_int_equal(bf_nft_targets(nft, false, &tgs, &n), 0);
	assert_int_equal(n, 3);
	t = find(tgs, n, BF_NFT_TARGET_NF, -200, NULL);
	assert_non_null(t);
	assert_int_equal(t->points,
			 BF_NF_POINT(BF_FAMILY_INET4, BF_HOOK_INPUT));
	t = find(tgs, n, BF_NFT_TARGET_NF, 10, NULL);
	assert_non_null(t);
	assert_int_equal(t->points,
			 BF_NF_POINT(BF_FAMILY_INET4, BF_HOOK_OUTPUT) |
				 BF_NF_POINT(BF_FAMILY_INET6, BF_HOOK_OUTPUT) |
				 BF_NF_POINT(BF_FAMILY_INET6, BF_HOOK_FORWARD));
	t = find(tgs, n, BF_NFT_TARGET_NF, 0, NULL);
	assert_non_null(t);
	assert_int_equal(t->points, 0);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);
}

/* The loader's side: the points of a ruleset (the given ones, and hooks
 * whose built-in chain has rules or policy DROP), their text form. */
static void test_points_load(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	uint32_t in4 = BF_NF_POINT(BF_FAMILY_INET4, BF_HOOK_INPUT);
	uint32_t fwd6 = BF_NF_POINT(BF_FAMILY_INET6, BF_HOOK_FORWARD);
	uint32_t out4 = BF_NF_POINT(BF_FAMILY_INET4, BF_HOOK_OUTPUT);
	char buf[64];

	(void)state;
	assert_non_null(rs);
	assert_int_equal(bf_nf_points_of(rs, 0), 0);
	assert_int_equal(bf_nf_points_of(rs, in4), in4);
	for (size_t i = 0; i < rs->n_chains; i++)
		if (rs->chains[i].builtin &&
		    rs->chains[i].family == BF_FAMILY_INET6 &&
		    rs->chains[i].hook == BF_HOOK_FORWARD)
			rs->chains[i].policy = BF_VERDICT_DROP;
	assert_int_equal(bf_nf_points_of(rs, in4), in4 | fwd6);
	assert_int_equal(bf_nf_points_of(rs, 0), 0);
	bf_ruleset_free(&rs);

	bf_nf_points_format(in4 | out4 | fwd6, buf, sizeof(buf));
	assert_string_equal(buf, "in4,out4,fwd6");
	assert_int_equal(bf_nf_points_parse(buf), in4 | out4 | fwd6);
	assert_int_equal(bf_nf_points_parse("in4,bogus,out4\n"), in4 | out4);
	bf_nf_points_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(bf_nf_points_parse(""), 0);
	/* the slot points of a mask: only those */
	{
		struct bf_point pts[BF_MAX_POINTS];
		size_t np = bf_slot_points_in(BF_ATTACH_NF, 3, in4 | fwd6, pts);
		assert_int_equal(np, 2);
		assert_string_equal(pts[0].key, "in4");
		assert_string_equal(pts[1].key, "fwd6");
		assert_int_equal(bf_slot_points_in(BF_ATTACH_NF, 3, 0, pts), 6);
		bf_points_release(pts, BF_MAX_POINTS);
	}
}

/* A device that does not exist here: the error is at its clause. */
static void test_missing_device(void **state)
{
	static const char text[] =
		"table netdev t {\n"
		"\tchain c {\n"
		"\t\ttype filter hook ingress device \"bfnodev0\" priority 0; policy accept;\n"
		"\t}\n"
		"\tchain d {\n"
		"\t\ttype filter hook egress devices = { lo,\n"
		"\t\t\tbfnodev1 } priority 0; policy accept;\n"
		"\t}\n"
		"}\n";
	struct bf_nft *nft = parse(text, "dev.nft");
	struct bf_nft_target *tgs = NULL;
	struct bft_logcap cap = { 0 };
	size_t n = 0;

	(void)state;
	assert_true(if_nametoindex("lo") > 0);
	assert_int_equal(if_nametoindex("bfnodev0"), 0);
	assert_int_equal(if_nametoindex("bfnodev1"), 0);
	assert_int_equal(bf_nft_targets(nft, false, &tgs, &n), 0);
	assert_int_equal(n, 3);
	bf_log_set(bft_log_capture, &cap);
	assert_int_equal(bf_nft_targets_devices(tgs, n), -ENODEV);
	bf_log_set(NULL, NULL);
	/* the `device` word of line 3 (tabs count one column each) and
	 * the `devices` word of line 6; lo exists and is not reported */
	assert_non_null(strstr(cap.text,
			       "dev.nft:3:28: no device 'bfnodev0' in this "
			       "network namespace (netdev table, hook tc)"));
	assert_non_null(strstr(cap.text, "dev.nft:6:27: no device 'bfnodev1'"));
	assert_null(strstr(cap.text, "'lo'"));
	/* only the existing one: nothing to say */
	memset(&cap, 0, sizeof(cap));
	bf_log_set(bft_log_capture, &cap);
	assert_int_equal(bf_nft_targets_devices(
				 find(tgs, n, BF_NFT_TARGET_TC, 0, "lo"), 1),
			 0);
	bf_log_set(NULL, NULL);
	assert_int_equal(cap.len, 0);
	bf_nft_targets_free(&tgs, n);
	bf_nft_free(&nft);
}

/* What `nft -j list ruleset` of nft 1.0.6 lists (no device) takes the
 * devices of the text listing's chain of the same table and name. */
static void test_fill_devices(void **state)
{
	static const char json[] =
		"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", "
		"\"json_schema_version\": 1}}, "
		"{\"table\": {\"family\": \"netdev\", \"name\": \"t\", "
		"\"handle\": 1}}, "
		"{\"chain\": {\"family\": \"netdev\", \"table\": \"t\", "
		"\"name\": \"c\", \"handle\": 1, \"type\": \"filter\", "
		"\"hook\": \"ingress\", \"prio\": 0, \"policy\": \"accept\"}}, "
		"{\"chain\": {\"family\": \"netdev\", \"table\": \"t\", "
		"\"name\": \"d\", \"handle\": 2, \"type\": \"filter\", "
		"\"hook\": \"ingress\", \"prio\": 5, \"policy\": \"accept\"}}, "
		"{\"chain\": {\"family\": \"netdev\", \"table\": \"t\", "
		"\"name\": \"e\", \"handle\": 3, \"type\": \"filter\", "
		"\"hook\": \"egress\", \"prio\": 0, \"policy\": \"accept\"}}, "
		"{\"table\": {\"family\": \"inet\", \"name\": \"bpfilter_ct\", "
		"\"handle\": 2}}]}";
	static const char listing[] =
		"table netdev t {\n"
		"\tchain c {\n"
		"\t\ttype filter hook ingress device \"a0\" priority filter; policy accept;\n"
		"\t}\n"
		"\tchain d {\n"
		"\t\ttype filter hook ingress devices = { a0, a1 } priority filter + 5; policy accept;\n"
		"\t}\n"
		"}\n"
		"table inet bpfilter_ct {\n"
		"}\n";
	struct bft_logcap cap = { 0 };
	struct bf_nft *nft = NULL, *text = parse(listing, "l.nft");
	struct bf_nft_table *t;

	(void)state;
	bf_log_set(bft_log_capture, &cap);
	assert_int_equal(bf_nft_parse_json(json, "j.json", &nft), 0);
	bf_log_set(NULL, NULL);
	assert_true(bf_nft_lacks_devices(nft));
	assert_false(bf_nft_lacks_devices(text));
	/* e is in no listing: still without one */
	assert_int_equal(bf_nft_fill_devices(nft, text), 1);
	t = bf_nft_table_find(nft, BF_NFT_FAMILY_NETDEV, "t");
	assert_non_null(t);
	assert_string_equal(bf_nft_chain_find(t, "c")->device, "a0");
	assert_int_equal(bf_nft_chain_find(t, "c")->n_devices, 0);
	assert_int_equal(bf_nft_chain_find(t, "d")->n_devices, 2);
	assert_string_equal(bf_nft_chain_find(t, "d")->devices[1], "a1");
	assert_null(bf_nft_chain_find(t, "e")->device);
	assert_true(bf_nft_lacks_devices(nft));
	/* the JSON reader skips bpfilter's table; the text needs this */
	assert_null(bf_nft_table_find(nft, BF_NFT_FAMILY_INET, "bpfilter_ct"));
	assert_non_null(
		bf_nft_table_find(text, BF_NFT_FAMILY_INET, "bpfilter_ct"));
	bf_nft_drop_own_tables(text);
	assert_null(bf_nft_table_find(text, BF_NFT_FAMILY_INET, "bpfilter_ct"));
	assert_non_null(bf_nft_table_find(text, BF_NFT_FAMILY_NETDEV, "t"));
	bf_nft_free(&nft);
	bf_nft_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_points),
		cmocka_unit_test(test_points_load),
		cmocka_unit_test(test_missing_device),
		cmocka_unit_test(test_fill_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
