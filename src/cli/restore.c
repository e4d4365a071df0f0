// SPDX-License-Identifier: GPL-2.0-only
/*
 * `iptables-restore` / `ip6tables-restore` compatibility: the options of
 * iptables-restore(8) with the semantics bpfilter can give exactly, and a
 * clear refusal for the others.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "cli.h"

struct noflush {
	FILE *in;
	const char *name;
	enum bf_family family;
	bool counters;
};

static int noflush_fn(struct bf_ruleset *rs, unsigned long long gen, void *data)
{
	struct noflush *n = data;

	(void)gen;
	return bf_ipt_restore_noflush(rs, n->in, n->name, n->family,
				      n->counters);
}

/* --noflush: the input changes the table in force (one bf_edit()
 * transaction: all of it or nothing). */
static int noflush_restore(const struct bf_apply_opts *o, enum bf_family family)
{
	struct bf_edit_opts eo = { .kind = o->kind,
				   .ifname = o->ifname,
				   .if_generation = -1,
				   .test_only = o->test_only,
				   .verbose = o->verbose };
	const char *path = o->input[family].path;
	struct noflush n = { .family = family, .counters = o->counters };
	int r;

	if (!strcmp(path, "-")) {
		n.in = stdin;
		n.name = "<stdin>";
	} else {
		n.in = fopen(path, "re");
		if (!n.in)
			return cli_status(cli_error("cannot open %s: %s", path,
						    strerror(errno)));
		n.name = path;
	}
	r = bf_edit(&eo, noflush_fn, &n);
	if (n.in != stdin)
		fclose(n.in);
	return cli_status(r < 0 ? r : 0);
}

int cli_restore(int argc, char **argv, enum bf_family family)
{
	static const struct option opts[] = {
		{ "counters", no_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "noflush", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "wait", optional_argument, NULL, 'w' },
		{ "wait-interval", required_argument, NULL, 'W' },
		{ "modprobe", required_argument, NULL, 'M' },
		{ "table", required_argument, NULL, 'T' },
		{ "hook", required_argument, NULL, 'H' },
		{ "iface", required_argument, NULL, 'i' },
		{ "other-tables", required_argument, NULL, 'O' },
		{ "iptables-restore", required_argument, NULL, 'R' },
		{ "ip6tables-restore", required_argument, NULL, 'R' },
		{ 0 },
	};
	const char *cmd = family == BF_FAMILY_INET4 ? "iptables-restore" :
						      "ip6tables-restore";
	struct bf_apply_opts o = { .kind = BF_SLOT_NF };
	int c, kind = BF_SLOT_NF;
	bool noflush = false;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+ctnvVhw::W:M:T:", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o.counters = true;
			break;
		case 't':
			o.test_only = true;
			break;
		case 'n':
			noflush = true;
			break;
		case 'v':
			cli_set_verbosity(cli_verbosity() + 1);
			break;
		case 'V':
			printf("%s (bpfilter %s)\n", cmd, bf_version());
			return 0;
		case 'h':
			return cli_help_cmd(cmd);
		case 'w':
		case 'W':
		case 'M':
			/* -w/-W: waiting for the xtables lock: our own lock on
			 * the namespace's state always waits. -M: no kernel
			 * modules to load. */
			break;
		case 'T':
			if (strcmp(optarg, "filter"))
				return cli_error("%s: table '%s' is not "
						 "supported, only filter",
						 cmd, optarg);
			break;
		case 'H':
			if (cli_parse_hook(optarg, &kind))
				return 2;
			break;
		case 'i':
			o.ifname = optarg;
			break;
		case 'O':
			if (cli_other_tables(optarg, &o.other_tables_kernel))
				return 2;
			break;
		case 'R':
			o.kernel_restore[family] = optarg;
			break;
		default:
			return cli_error("see bpfilter help %s", cmd);
		}
	}
	if (optind + 1 < argc)
		return cli_error("%s: unexpected argument '%s'", cmd,
				 argv[optind + 1]);
	o.input[family].path = optind < argc ? argv[optind] : "-";
	o.kind = (enum bf_slot_kind)kind;
	o.verbose = cli_verbosity() > 0;
	if (noflush && o.other_tables_kernel)
		return cli_error("%s: --other-tables=kernel is not supported "
				 "with --noflush",
				 cmd);
	if (noflush)
		return noflush_restore(&o, family);
	return cli_status(bf_apply(&o));
}
