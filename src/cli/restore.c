// SPDX-License-Identifier: GPL-2.0-only
/*
 * `iptables-restore` / `ip6tables-restore` compatibility: the options of
 * iptables-restore(8) with the semantics bpfilter can give exactly, and a
 * clear refusal for the others.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "cli.h"

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
		{ 0 },
	};
	const char *cmd = family == BF_FAMILY_INET4 ? "iptables-restore" :
						      "ip6tables-restore";
	struct bf_apply_opts o = { .kind = BF_SLOT_NF };
	int c, kind = BF_SLOT_NF;

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
			return cli_error("%s --noflush is not supported: "
					 "bpfilter replaces the whole filter "
					 "table; give the complete table "
					 "instead",
					 cmd);
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
			/* Waiting for the xtables lock: our own lock on the
			 * namespace's state always waits. */
			break;
		case 'M':
			break; /* no kernel modules to load */
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
	return cli_status(bf_apply(&o));
}
