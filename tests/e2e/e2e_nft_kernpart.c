// SPDX-License-Identifier: GPL-2.0-only
/*
 * `bpfilter apply FILE.nft` hands the chains of type nat to the kernel's
 * nftables as table bpfilter_kernel_NAME in the same transaction
 * (doc/front-nft.md, "Chains for the kernel"), in a namespace of its own:
 *
 *  - the table is created with the nat chains and maps only (the filter
 *    chain is bpfilter's: `bpfilter save` has it);
 *  - a file whose nat chain the kernel refuses at commit (dnat at hook
 *    input: nft -c takes it, the kernel's transaction does not) fails and
 *    leaves everything as before: `bpfilter save` and the kernel's table;
 *  - a re-apply without nat chains deletes the table, `bpfilter flush`
 *    too, and `apply --dump` shows the script without changing anything;
 *  - type filter chains at prerouting / postrouting go there too (with
 *    the regular chain they jump to), the input chain stays bpfilter's.
 * The packets through such a ruleset are tests/diff/diff_nft's
 * (rulesets-nft/nat-split.nft).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/helper.h"

static const char nat_rs[] =
	"table ip k {\n"
	"\tmap post {\n"
	"\t\ttype ifname : verdict\n"
	"\t\telements = { \"lo\" : jump masq }\n"
	"\t}\n"
	"\tchain f {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp dport 5001 drop\n"
	"\t}\n"
	"\tchain pre {\n"
	"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
	"\t\tfib daddr type local tcp dport 8080 dnat to 192.0.2.2:80\n"
	"\t}\n"
	"\tchain out {\n"
	"\t\ttype nat hook output priority dstnat; policy accept;\n"
	"\t\ttcp dport 8080 dnat to 192.0.2.2:80\n"
	"\t}\n"
	"\tchain post {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t\toifname vmap @post\n"
	"\t}\n"
	"\tchain masq {\n"
	"\t\tip saddr 198.51.100.0/24 masquerade\n"
	"\t}\n"
	"}\n";

/* the kernel refuses dnat at input when the transaction commits */
static const char bad_rs[] =
	"table ip k {\n"
	"\tchain f {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp dport 5002 drop\n"
	"\t}\n"
	"\tchain n {\n"
	"\t\ttype nat hook input priority 100; policy accept;\n"
	"\t\ttcp dport 2 dnat to 192.0.2.9\n"
	"\t}\n"
	"}\n";

static const char filter_rs[] =
	"table ip k {\n"
	"\tchain f {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp dport 5003 drop\n"
	"\t}\n"
	"}\n";

/* type filter at prerouting / postrouting: the kernel's too */
static const char pre_rs[] =
	"table ip k {\n"
	"\tchain f {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp dport 5001 drop\n"
	"\t}\n"
	"\tchain raw {\n"
	"\t\ttype filter hook prerouting priority raw; policy accept;\n"
	"\t\tip daddr 192.0.2.66 iifname != \"br1\" drop\n"
	"\t\ttcp dport 2222 jump pre-ssh\n"
	"\t}\n"
	"\tchain pre-ssh {\n"
	"\t\tip saddr 203.0.113.0/24 drop\n"
	"\t}\n"
	"\tchain post {\n"
	"\t\ttype filter hook postrouting priority filter; policy accept;\n"
	"\t\toifname \"br2\" udp dport 53 drop\n"
	"\t}\n"
	"}\n";

struct ctx {
	char ns[32];
	char dir[64];
};

static void put(const struct ctx *c, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* `CMD` in the namespace: exit status, stdout in *out (may be NULL) */
static int in_ns(const struct ctx *c, char **out, const char *cmd)
{
	char *o = NULL;
	int r = bft_sh_out(&o, "ip netns exec %s %s 2>/dev/null", c->ns, cmd);

	if (out)
		*out = o;
	else
		free(o);
	return r;
}

static int bf(const struct ctx *c, char **out, const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s %s", bft_bpfilter_bin(), args);
	return in_ns(c, out, cmd);
}

static char *kernel_table(const struct ctx *c)
{
	char *out = NULL;

	if (in_ns(c, &out, "nft list table ip bpfilter_kernel_k")) {
		free(out);
		return NULL;
	}
	return out;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	bft_unique_name(c->ns, sizeof(c->ns), "h4k");
	snprintf(c->dir, sizeof(c->dir), "/tmp/%s", c->ns);
	if (bft_sh("mkdir -p %s && ip netns add %s && ip netns exec %s ip "
		   "link set lo up",
		   c->dir, c->ns, c->ns)) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	bft_sh("ip netns exec %s %s flush >/dev/null 2>&1", c->ns,
	       bft_bpfilter_bin());
	bft_sh("ip netns del %s 2>/dev/null; rm -rf %s", c->ns, c->dir);
	free(c);
	return 0;
}

static void test_kernpart(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *t = NULL, *save1 = NULL, *save2 = NULL;
	_cleanup_free_ char *t2 = NULL, *dump = NULL;
	char args[256];

	BFT_REQUIRE_KERNEL();
	put(c, "nat.nft", nat_rs);
	put(c, "bad.nft", bad_rs);
	put(c, "filter.nft", filter_rs);

	/* --dump: the script, nothing applied */
	snprintf(args, sizeof(args), "apply --dump %s/nat.nft", c->dir);
	assert_int_equal(bf(c, &dump, args), 0);
	assert_non_null(strstr(dump, "# for the kernel's nftables"));
	assert_non_null(strstr(dump, "table ip bpfilter_kernel_k {"));
	assert_null(kernel_table(c));

	snprintf(args, sizeof(args), "apply %s/nat.nft", c->dir);
	assert_int_equal(bf(c, NULL, args), 0);
	t = kernel_table(c);
	assert_non_null(t);
	assert_non_null(strstr(t, "dnat to 192.0.2.2:80"));
	assert_non_null(strstr(t, "masquerade"));
	assert_non_null(strstr(t, "map post"));
	assert_null(strstr(t, "dport 5001")); /* the filter chain: ours */
	assert_int_equal(bf(c, &save1, "save"), 0);
	assert_non_null(strstr(save1, "--dport 5001"));
	assert_null(strstr(save1, "8080"));

	/* refused by the kernel at commit: everything as before */
	snprintf(args, sizeof(args), "apply %s/bad.nft", c->dir);
	assert_int_not_equal(bf(c, NULL, args), 0);
	assert_int_equal(bf(c, &save2, "save"), 0);
	if (strcmp(save1, save2))
		fail_msg("save changed:\n%s\nwas:\n%s", save2, save1);
	t2 = kernel_table(c);
	assert_non_null(t2);
	assert_string_equal(t, t2);

	/* no nat chains any more: the table goes */
	snprintf(args, sizeof(args), "apply %s/filter.nft", c->dir);
	assert_int_equal(bf(c, NULL, args), 0);
	assert_null(kernel_table(c));

	/* flush deletes it too */
	snprintf(args, sizeof(args), "apply %s/nat.nft", c->dir);
	assert_int_equal(bf(c, NULL, args), 0);
	free(t2);
	t2 = kernel_table(c);
	assert_non_null(t2);
	assert_int_equal(bf(c, NULL, "flush"), 0);
	assert_null(kernel_table(c));
}

/* Type filter chains at prerouting / postrouting (no IR hook) go to the
 * kernel's table like nat chains; input stays bpfilter's. */
static void test_prerouting(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *t = NULL, *save = NULL, *dump = NULL;
	_cleanup_free_ char *t2 = NULL, *verbose = NULL;
	char args[256];

	BFT_REQUIRE_KERNEL();
	put(c, "pre.nft", pre_rs);
	put(c, "filter.nft", filter_rs);

	snprintf(args, sizeof(args), "apply --dump %s/pre.nft", c->dir);
	assert_int_equal(bf(c, &dump, args), 0);
	assert_non_null(strstr(dump, "# for the kernel's nftables"));
	assert_non_null(strstr(dump, "type filter hook prerouting priority "
				     "-300;"));
	assert_null(kernel_table(c));

	/* -v says what went to the kernel */
	snprintf(args, sizeof(args), "sh -c '%s apply -v %s/pre.nft 2>&1'",
		 bft_bpfilter_bin(), c->dir);
	assert_int_equal(in_ns(c, &verbose, args), 0);
	if (!strstr(verbose, "kernel's nftables: table ip bpfilter_kernel_k "
			     "(chains: raw pre-ssh post) in force"))
		fail_msg("apply -v: %s", verbose);
	t = kernel_table(c);
	assert_non_null(t);
	assert_non_null(strstr(t, "hook prerouting"));
	assert_non_null(strstr(t, "hook postrouting"));
	assert_non_null(strstr(t, "192.0.2.66"));
	assert_non_null(strstr(t, "chain pre-ssh"));
	assert_null(strstr(t, "dport 5001")); /* input: ours */
	assert_int_equal(bf(c, &save, "save --format nft"), 0);
	assert_non_null(strstr(save, "dport 5001"));
	assert_null(strstr(save, "192.0.2.66")); /* the kernel's part */
	assert_null(strstr(save, "203.0.113.0"));
	/* import nft refuses the kernel's table (json.c) */
	assert_int_not_equal(bf(c, NULL, "import --test nft"), 0);

	/* without them the table goes; flush deletes it too */
	snprintf(args, sizeof(args), "apply %s/filter.nft", c->dir);
	assert_int_equal(bf(c, NULL, args), 0);
	assert_null(kernel_table(c));
	snprintf(args, sizeof(args), "apply %s/pre.nft", c->dir);
	assert_int_equal(bf(c, NULL, args), 0);
	t2 = kernel_table(c);
	assert_non_null(t2);
	assert_int_equal(bf(c, NULL, "flush"), 0);
	assert_null(kernel_table(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernpart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prerouting, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
