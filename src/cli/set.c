// SPDX-License-Identifier: GPL-2.0-only
/* bpfilter set add|delete|list|test|flush: elements of the sets in force. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/set.h"
#include "cli.h"

int cli_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hook", required_argument, NULL, 'H' },
		{ "iface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bf_slot_sel sel = { .kind = -1 };
	enum bf_set_op op;
	const char *verb;
	int c, kind = -1;

	if (argc < 2)
		return cli_error("bpfilter set add|delete|list|test|flush NAME "
				 "[ELEMENT...] (see bpfilter help set)");
	verb = argv[1];
	if (!strcmp(verb, "-h") || !strcmp(verb, "--help"))
		return cli_help_cmd("set");
	if (!strcmp(verb, "add"))
		op = BF_SET_OP_ADD;
	else if (!strcmp(verb, "delete") || !strcmp(verb, "del"))
		op = BF_SET_OP_DEL;
	else if (!strcmp(verb, "list"))
		op = BF_SET_OP_LIST;
	else if (!strcmp(verb, "test"))
		op = BF_SET_OP_TEST;
	else if (!strcmp(verb, "flush"))
		op = BF_SET_OP_FLUSH;
	else
		return cli_error("unknown set command '%s': add, delete, list, "
				 "test or flush",
				 verb);
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (cli_parse_hook(optarg, &kind))
				return 2;
			sel.kind = kind;
			break;
		case 'i':
			sel.ifname = optarg;
			break;
		case 'h':
			return cli_help_cmd("set");
		default:
			return cli_error("see bpfilter help set");
		}
	}
	if (optind >= argc)
		return cli_error("no set name given");
	if ((op == BF_SET_OP_LIST || op == BF_SET_OP_FLUSH) &&
	    optind + 1 < argc)
		return cli_error("%s takes only a set name", verb);
	if (op != BF_SET_OP_LIST && op != BF_SET_OP_FLUSH && optind + 1 >= argc)
		return cli_error("no element given");
	if (sel.ifname && sel.kind < 0)
		return cli_error("--iface needs --hook tc or xdp");
	{
		int r = bf_set_command(op, &sel, argv[optind],
				       argc - optind - 1, argv + optind + 1,
				       stdout);

		/* test: 1 when the element is not in the set */
		return r > 0 ? 1 : cli_status(r);
	}
}
