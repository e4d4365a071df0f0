// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter: command line front end, a thin shell over libbpfilter
 * (include/bpfilter/bpfilter.h). Commands follow bpftool's object/verb
 * style; `iptables-restore` / `ip6tables-restore` (as a command or as the
 * name the binary is invoked under) read input like those tools.
 *
 * Keep the usage texts in sync with man/bpfilter.8 (a test compares them).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/log.h"
#include "cli.h"
#include "cli/nftkern.h"
#include "nft.h"

static int verbosity; /* 0: errors+warnings, 1: +info, 2: +debug */

static void log_cb(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if ((int)level > BF_LOG_WARN + verbosity)
		return;
	fprintf(stderr, "bpfilter: %s%s\n",
		level == BF_LOG_WARN ? "warning: " : "", msg);
}

static const struct cmd_help {
	const char *name;
	const char *usage;
	const char *text;
} helps[] = {
	{ "apply",
	  "bpfilter apply [--hook nf|tc|xdp] [--iface IF] [--offload] [-c] [--test] "
	  "[--dump] [--confirm SECONDS] [--if-generation N] "
	  "[--other-tables=kernel] [--iptables-restore PATH] "
	  "[--ip6tables-restore PATH] [--ipset FILE|kernel] [-4 FILE] "
	  "[-6 FILE] [--format ipt|nft] [FILE|-]",
	  "Replace the filter tables of one slot (nf, or tc/xdp on IF) with\n"
	  "iptables-save input: FILE (or -4 FILE) for IPv4, -6 FILE for IPv6\n"
	  "(ip6tables-save). A family not given keeps its table. All or\n"
	  "nothing: on any error nothing changes.\n"
	  "  --format ipt|nft  FILE is an nft ruleset (`nft -f` syntax) for\n"
	  "                    both families (see doc/front-nft.md); without\n"
	  "                    --format, a FILE that starts like one (table,\n"
	  "                    flush, define, include, add) is taken as nft\n"
	  "  --hook nf|tc|xdp  where to attach (default nf)\n"
	  "  --iface IF        interface for tc and xdp\n"
	  "  --offload         with --hook xdp: hardware (offloaded) XDP only\n"
	  "  -c, --counters    load the [packets:bytes] counters of the input\n"
	  "  -t, --test        parse, check and compile only\n"
	  "  --dump            print the IR and the programs, attach nothing\n"
	  "  --confirm SECONDS roll back to the previous ruleset unless\n"
	  "                    `bpfilter confirm` runs within SECONDS\n"
	  "  --if-generation N refuse unless the slot is at generation N\n"
	  "  --other-tables=kernel\n"
	  "                    hand the tables other than filter (nat, mangle,\n"
	  "                    raw, ...) unchanged to the kernel's\n"
	  "                    iptables-restore/ip6tables-restore, after\n"
	  "                    bpfilter's tables are loaded and before they are\n"
	  "                    switched in; without it they are an error\n"
	  "  --iptables-restore PATH, --ip6tables-restore PATH\n"
	  "                    the kernel's tools (default: from PATH)\n"
	  "  --ipset FILE|kernel\n"
	  "                    the ipset sets the rules use (-m set), from\n"
	  "                    `ipset save` output (- for stdin) or from the\n"
	  "                    kernel of this namespace (runs `ipset save`);\n"
	  "                    they replace the slot's sets. Without it the\n"
	  "                    sets in force are kept, with their elements\n" },
	{ "confirm", "bpfilter confirm [--hook nf|tc|xdp] [--iface IF]",
	  "Keep the ruleset put in force by `apply --confirm`: cancel its\n"
	  "rollback. Fails when nothing is pending.\n" },
	{ "restore", "bpfilter restore [-c] FILE|-",
	  "Put the tables of a `bpfilter save` file back in force, each slot\n"
	  "in one transaction (plain iptables-save text: the nf slot, IPv4).\n"
	  "A file of an unknown save format is refused.\n"
	  "  -c, --counters  load the saved counters\n" },
	{ "list",
	  "bpfilter list [--hook nf|tc|xdp] [--iface IF] [-v] [-x] [-n] "
	  "[-j|--json]",
	  "List the rulesets in force, per slot and chain, like iptables -L.\n"
	  "  -v          show counters and interfaces\n"
	  "  -x          exact counter values\n"
	  "  -n          numeric output (always numeric; accepted)\n"
	  "  -j, --json  one JSON document\n" },
	{ "save",
	  "bpfilter save [--hook nf|tc|xdp] [--iface IF] [-4|-6] "
	  "[-c|--counters] [--format ipt|nft]",
	  "Print the rulesets in force in canonical iptables-save form.\n"
	  "  -4, -6          only that family\n"
	  "  -c, --counters  with live [packets:bytes] counters\n"
	  "  --format nft    in nft syntax instead (`nft -f` reads it): a\n"
	  "                  table bpfilter_SLOT per family and slot\n" },
	{ "flush", "bpfilter flush [--hook nf|tc|xdp] [--iface IF]",
	  "Detach and remove the rulesets of this network namespace (all\n"
	  "slots, or the one selected); traffic then passes unfiltered.\n" },
	{ "gc", "bpfilter gc [-n|--dry-run]",
	  "Remove the pinned state of network namespaces that only bpfilter\n"
	  "keeps alive: deleted (ip netns del) without a flush, reachable from\n"
	  "no process, namespace fd or bind mount. Run it from the initial\n"
	  "mount namespace.\n"
	  "  -n, --dry-run  only print what would be removed\n" },
	{ "iptables-restore",
	  "bpfilter iptables-restore [-c] [-t] [-v] [-T filter] "
	  "[--hook nf|tc|xdp] [--iface IF] [--other-tables=kernel] "
	  "[--iptables-restore PATH] [FILE]",
	  "Read iptables-restore input (stdin by default) and apply it like\n"
	  "`apply -4`. Also run when bpfilter is invoked as iptables-restore.\n"
	  "-n/--noflush changes the table in force (one transaction).\n"
	  "--other-tables=kernel and --iptables-restore PATH: as for apply\n"
	  "(not with --noflush).\n" },
	{ "ip6tables-restore",
	  "bpfilter ip6tables-restore [-c] [-t] [-v] [-T filter] "
	  "[--hook nf|tc|xdp] [--iface IF] [--other-tables=kernel] "
	  "[--ip6tables-restore PATH] [FILE]",
	  "Same as iptables-restore, for IPv6 (apply -6).\n" },
	{ "iptables",
	  "bpfilter iptables [--hook nf|tc|xdp] [--iface IF] "
	  "[--if-generation N] IPTABLES-ARGS...",
	  "Run one iptables command on the ruleset in force, with iptables'\n"
	  "options, output, messages and exit codes: -A -I -D -R -C -N -E -X\n"
	  "-F -Z -P -L -S (-t filter, -v, -n, -x, --line-numbers, -w). Each\n"
	  "change is one atomic transaction; counters of the other rules are\n"
	  "kept. Also run when bpfilter is invoked as iptables.\n"
	  "  --if-generation N  refuse unless the slot is at generation N\n" },
	{ "ip6tables",
	  "bpfilter ip6tables [--hook nf|tc|xdp] [--iface IF] "
	  "[--if-generation N] IP6TABLES-ARGS...",
	  "Same as iptables, for the IPv6 table.\n" },
	{ "iptables-save",
	  "bpfilter iptables-save [-c] [-t filter] [--hook nf|tc|xdp] "
	  "[--iface IF]",
	  "Print the IPv4 table in force like iptables-save (nothing if no\n"
	  "IPv4 table is in force). Also run when invoked as iptables-save.\n"
	  "  -c, --counters  with [packets:bytes] counters\n" },
	{ "ip6tables-save",
	  "bpfilter ip6tables-save [-c] [-t filter] [--hook nf|tc|xdp] "
	  "[--iface IF]",
	  "Same as iptables-save, for IPv6.\n" },
	{ "rule",
	  "bpfilter rule add|insert|delete|replace|check [--hook nf|tc|xdp] "
	  "[--iface IF] [--if-generation N] [-4|-6] CHAIN [NUM] RULE...",
	  "Change one rule of the ruleset in force: iptables -A, -I CHAIN\n"
	  "[NUM], -D CHAIN NUM|RULE, -R CHAIN NUM, -C (RULE in iptables\n"
	  "syntax). -6: the IPv6 table.\n" },
	{ "batch",
	  "bpfilter batch [--hook nf|tc|xdp] [--iface IF] "
	  "[--if-generation N] FILE|-",
	  "Run a file of iptables/ip6tables command lines (one a line, '#'\n"
	  "comments) as one transaction: all are put in force at once, or\n"
	  "none when any fails (FILE:LINE of the failing command).\n" },
	{ "daemon", "bpfilter daemon",
	  "Stay in the foreground as this network namespace's resident\n"
	  "process: rule, iptables, ip6tables, iptables-save,\n"
	  "ip6tables-save and batch commands of bpfilter processes of the\n"
	  "namespace (uid 0 or the daemon's) then run in it, with their\n"
	  "stdin, stdout, stderr and exit status, and the ruleset stays in\n"
	  "memory between changes. The pinned state stays the truth: other\n"
	  "processes may change it too. Ends on SIGTERM or SIGINT; one per\n"
	  "namespace. BPFILTER_NO_DAEMON=1 makes a command run by itself.\n" },
	{ "trace",
	  "bpfilter trace [-4 FILE] [-6 FILE] [FILE] "
	  "[--hook INPUT|FORWARD|OUTPUT] [--in IF] [--out IF] [-j|--json] "
	  "[--ipset FILE] PACKET",
	  "Show the path of one packet through a ruleset (FILE or -4/-6 FILE\n"
	  "in iptables-save form or FILE.nft, else the nf ruleset in force):\n"
	  "each chain entered, each rule tested (match, or the match that failed),\n"
	  "jumps, returns, and the verdict with the rule or policy that gave\n"
	  "it. Nothing is sent. PACKET is ('->' quoted for the shell, or\n"
	  "'to')\n"
	  "  tcp|udp SRC[:PORT] -> DST[:PORT]   ([IPv6]:PORT for IPv6)\n"
	  "  icmp|icmpv6 TYPE[/CODE] SRC -> DST\n"
	  "  proto N SRC -> DST\n"
	  "followed by any of: flags FLAGS (S, SA, SYN,ACK...), frag OFFSET\n"
	  "(8-byte units), ct new|established|related|invalid|untracked\n"
	  "(default new), len N (IP length; default: the headers), mark N,\n"
	  "ttl N, smac MAC dmac MAC, pkttype host|broadcast|multicast|\n"
	  "otherhost, ctmark N, ctstatus LIST, ctdir original|reply, route\n"
	  "TYPE, time now|SECONDS, limit fresh (nft limits, nth statistics as\n"
	  "just loaded). A match trace does not model (xt limit, random\n"
	  "statistic...), or whose fact is not given, stops it with exit\n"
	  "status 3.\n"
	  "  --hook H      INPUT (default), FORWARD or OUTPUT\n"
	  "  --in, --out   interface names (none by default)\n"
	  "  -j, --json    one JSON document\n"
	  "  --ipset FILE  the sets -m set rules use (`ipset save` form)\n" },
	{ "verify",
	  "bpfilter verify [--hook nf|tc|xdp] [--report] [--seed N] "
	  "[--random N] [--max-print N] [--explain N] [--dump] [-v] [-4 FILE] "
	  "[-6 FILE] "
	  "[FILE|DIR...]",
	  "Check, before switching, that bpfilter gives the kernel's verdicts:\n"
	  "load the ruleset into iptables-legacy in one scratch network\n"
	  "namespace and into bpfilter in another, send probe packets made\n"
	  "from its own addresses, ports, interfaces and states through\n"
	  "INPUT, FORWARD and OUTPUT of both, and print every mismatch with\n"
	  "the rule (FILE:LINE) that decided it on each side. FILE is an\n"
	  "iptables-save file (IPv4 unless -6, 'ip6' in its name, a name\n"
	  "ending in 6.rules, or it only parses as IPv6), or a file of\n"
	  "iptables/ip6tables commands (each family it has); DIR a ufw\n"
	  "configuration (before.rules...);\n"
	  "FILE.nft an nft ruleset, compared with the kernel's nftables.\n"
	  "Needs root; nothing changes in this namespace. Exit status: 0 the\n"
	  "same verdicts, 1 a mismatch, 3 bpfilter refuses a ruleset (its\n"
	  "FILE:LINE errors printed), 4 could not run.\n"
	  "  --hook nf|tc|xdp  where bpfilter attaches (default nf; tc and\n"
	  "                    xdp: every interface, probes of those hooks)\n"
	  "  --report          one table over all inputs: rules, result,\n"
	  "                    probes, mismatches, refused rules by module\n"
	  "  --seed N          seed of the random probes (default 1)\n"
	  "  --random N        random probes per ruleset (default 200)\n"
	  "  --max-print N     mismatches printed per ruleset (default all;\n"
	  "                    5 with --report), each with the rule the IR\n"
	  "                    interpreter says decided\n"
	  "  --explain N       of those, re-sent alone to read the deciding\n"
	  "                    rule from each side's counters (default 40;\n"
	  "                    5 with --report)\n"
	  "  --dump            print every probe with its verdicts\n"
	  "  -v, --verbose     print the commands run\n" },
	{ "log", "bpfilter log [-f|--follow] [-j|--json] [-s|--syslog]",
	  "Print the packets logged by the LOG rules in force in this network\n"
	  "namespace (every slot), one line each in the format of the\n"
	  "kernel's LOG target: PREFIX IN= OUT= MAC= SRC= DST= LEN= ...\n"
	  "(MAC= has the first 14 bytes of the link-layer header; UID= is\n"
	  "never printed). Records are read once: without --follow, the\n"
	  "ones waiting are printed and the command ends.\n"
	  "  -f, --follow  keep printing until interrupted (the programs in\n"
	  "                force when it started)\n"
	  "  -j, --json    one JSON object a line (slot, prefix, level,\n"
	  "                counter, family, hook, len, line)\n"
	  "  -s, --syslog  also send each line to syslog(3) at the rule's\n"
	  "                --log-level (journald picks it up)\n" },
	{ "set",
	  "bpfilter set add|delete|list|test|flush [--hook nf|tc|xdp] "
	  "[--iface IF] NAME [ELEMENT [OPTIONS]]...",
	  "Change or print the elements of set NAME in force (the sets given\n"
	  "with apply --ipset), with BPF map updates only: no program is\n"
	  "reloaded and each element changes atomically. Elements and their\n"
	  "options are written as in `ipset add` (192.0.2.0/24,tcp:80\n"
	  "nomatch, 198.51.100.7 timeout 60). Every slot holding a set of\n"
	  "that name is changed unless --hook/--iface select one. list\n"
	  "prints one element a line; test says whether a packet with the\n"
	  "element's fields is in the set (exit 0) or not (exit 1); flush\n"
	  "removes every element. `bpfilter save` prints the sets back in\n"
	  "`ipset save` form.\n"
	  "  --hook nf|tc|xdp  only the sets of that slot kind\n"
	  "  --iface IF        only the slot of IF (tc, xdp)\n" },
	{ "import",
	  "bpfilter import [--hook nf|tc|xdp] [--iface IF] [--test] [--dump] "
	  "[--print] [--from FILE] nft",
	  "Put the nftables ruleset of this network namespace (`nft -j list\n"
	  "ruleset`, netdev devices from `nft -s list ruleset`; or --from\n"
	  "FILE) in force, as apply --format nft does with a file: ip, ip6\n"
	  "and inet filter chains at input, forward and output, netdev\n"
	  "chains at tc; anything else is refused with the reason (see\n"
	  "doc/front-nft.md). The kernel's nftables ruleset is left as it\n"
	  "is.\n"
	  "  --print      print the ruleset as understood (nft syntax), apply\n"
	  "               nothing\n"
	  "  --from FILE  `nft -j list ruleset` or `nft list ruleset` (the\n"
	  "               text keeps netdev devices) from FILE (- for stdin)\n"
	  "  -t, --test   parse, check and compile only\n"
	  "  --dump       print the IR and the programs, attach nothing\n" },
	{ "help", "bpfilter help [COMMAND]",
	  "Show the usage of all commands or of one.\n" },
};

static const struct cmd_help *find_help(const char *name)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		if (strcmp(helps[i].name, name) == 0)
			return &helps[i];
	}
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bpfilter [-v] [--version] [--help] COMMAND [ARGS]\n"
		"\nCommands:\n");
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		fprintf(out, "  %s\n", helps[i].usage);
	fprintf(out,
		"\nOptions:\n"
		"  -v, --verbose  more messages; the verifier log if a load "
		"fails\n"
		"  --version      print the version\n"
		"  -h, --help     this help\n"
		"\nEnvironment: BPFILTER_PIN_ROOT (default /run/bpfilter).\n"
		"See bpfilter(8).\n");
}

int cli_help_cmd(const char *name)
{
	const struct cmd_help *h = find_help(name);

	if (!h) {
		fprintf(stderr,
			"bpfilter: unknown command '%s' (see "
			"bpfilter --help)\n",
			name);
		return 2;
	}
	printf("Usage: %s\n\n%s", h->usage, h->text);
	return 0;
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("bpfilter: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

int cli_parse_hook(const char *arg, int *kind)
{
	int k = bf_slot_kind_from_name(arg);

	if (k < 0)
		return cli_error("unknown hook '%s': use nf, tc or xdp", arg);
	*kind = k;
	return 0;
}

int cli_other_tables(const char *arg, bool *kernel)
{
	if (strcmp(arg, "kernel"))
		return cli_error("--other-tables=%s: the only choice is "
				 "'kernel' (hand nat, mangle, raw... to the "
				 "kernel's iptables)",
				 arg);
	*kernel = true;
	return 0;
}

/* Exit status from a library return code. */
int cli_status(int r)
{
	return r ? 1 : 0;
}

static int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hook", required_argument, NULL, 'H' },
		{ "iface", required_argument, NULL, 'i' },
		{ "counters", no_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "dump", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "confirm", required_argument, NULL, 'C' },
		{ "if-generation", required_argument, NULL, 'G' },
		{ "other-tables", required_argument, NULL, 'O' },
		{ "iptables-restore", required_argument, NULL, 'R' },
		{ "ip6tables-restore", required_argument, NULL, 'S' },
		{ "ipset", required_argument, NULL, 'I' },
		{ "format", required_argument, NULL, 'F' },
		{ "offload", no_argument, NULL, 'X' },
		{ 0 },
	};
	struct bf_apply_opts o = { .kind = BF_SLOT_NF };
	struct cli_nft_bufs nftb = { 0 };
	int format = -1; /* -1 auto, 0 ipt, 1 nft */
	int c, kind = BF_SLOT_NF, r;
	long confirm = -1;
	char *end;

	while ((c = getopt_long(argc, argv, "+4:6:ctvh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (cli_parse_hook(optarg, &kind))
				return 2;
			break;
		case 'i':
			o.ifname = optarg;
			break;
		case '4':
			o.input[BF_FAMILY_INET4].path = optarg;
			break;
		case '6':
			o.input[BF_FAMILY_INET6].path = optarg;
			break;
		case 'c':
			o.counters = true;
			break;
		case 't':
			o.test_only = true;
			break;
		case 'D':
			o.dump = stdout;
			break;
		case 'G':
			errno = 0;
			o.generation = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-')
				return cli_error("--if-generation needs a "
						 "number");
			o.check_generation = true;
			break;
		case 'C':
			errno = 0;
			confirm = strtol(optarg, &end, 10);
			if (errno || *end || confirm < 1 || confirm > 86400)
				return cli_error("--confirm needs a number of "
						 "seconds (1 to 86400)");
			break;
		case 'O':
			if (cli_other_tables(optarg, &o.other_tables_kernel))
				return 2;
			break;
		case 'R':
			o.kernel_restore[BF_FAMILY_INET4] = optarg;
			break;
		case 'S':
			o.kernel_restore[BF_FAMILY_INET6] = optarg;
			break;
		case 'I':
			o.ipset.path = optarg;
			break;
		case 'X':
			o.xdp_offload = true;
			break;
		case 'F':
			if (!strcmp(optarg, "nft"))
				format = 1;
			else if (!strcmp(optarg, "ipt") ||
				 !strcmp(optarg, "iptables"))
				format = 0;
			else
				return cli_error("--format takes ipt or nft");
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			return cli_help_cmd("apply");
		default:
			return cli_error("see bpfilter help apply");
		}
	}
	if (optind < argc) {
		if (o.input[BF_FAMILY_INET4].path)
			return cli_error("IPv4 input given twice (FILE and "
					 "-4)");
		o.input[BF_FAMILY_INET4].path = argv[optind++];
	}
	if (optind < argc)
		return cli_error("unexpected argument '%s'", argv[optind]);
	/* nft: one file for both families, given as FILE, -4 or -6 */
	const char *nft_path =
		!o.input[BF_FAMILY_INET6].path ? o.input[BF_FAMILY_INET4].path :
		!o.input[BF_FAMILY_INET4].path ? o.input[BF_FAMILY_INET6].path :
						 NULL;
	if (format < 0)
		format = cli_nft_detect(nft_path);
	if (format == 1) {
		if (!nft_path)
			return cli_error("--format nft takes one FILE (both "
					 "families)");
		o.kind = (enum bf_slot_kind)kind; /* checked with the IR */
		cli_nft_inline_sets = confirm > 0;
		{
			/* several slots: one transaction (--confirm too) */
			bool handled;
			if (confirm > 0 &&
			    (o.dump || o.test_only || o.other_tables_kernel ||
			     o.ipset.path))
				return cli_error("--confirm: not with --dump, "
						 "--test, --other-tables or "
						 "--ipset");
			cli_nft_confirm = confirm > 0 ? confirm : 0;
			o.verbose = verbosity > 0;
			r = cli_nft_apply_targets(nft_path, &o, kind, &handled);
			if (handled && !r && confirm > 0)
				fprintf(stderr,
					"bpfilter: rolling back every slot "
					"of %s in %ld s unless `bpfilter "
					"confirm` runs (for any of them)\n",
					nft_path, confirm);
			if (handled || r)
				return cli_status(r);
		}
		r = cli_nft_inputs(nft_path, &o, &nftb);
		if (r) {
			cli_nft_bufs_free(&nftb);
			return cli_status(r);
		}
	}
	if (!o.input[BF_FAMILY_INET4].path && !o.input[BF_FAMILY_INET6].path)
		return cli_error("no ruleset given: bpfilter apply FILE, or -4 "
				 "FILE / -6 FILE (- for stdin)");
	if (o.input[BF_FAMILY_INET4].path && o.input[BF_FAMILY_INET6].path &&
	    !strcmp(o.input[BF_FAMILY_INET4].path, "-") &&
	    !strcmp(o.input[BF_FAMILY_INET6].path, "-"))
		return cli_error("only one input can be stdin");
	o.kind = (enum bf_slot_kind)kind;
	o.verbose = verbosity > 0;
	if (confirm > 0) {
		if (o.dump || o.test_only)
			return cli_error("--confirm changes what is in force: "
					 "not with --dump or --test");
		if (o.other_tables_kernel)
			return cli_error("--confirm cannot roll back the "
					 "kernel's tables: not with "
					 "--other-tables=kernel");
		if (o.ipset.path)
			return cli_error("--confirm cannot roll back a "
					 "replacement of the sets: not with "
					 "--ipset");
		r = bf_apply_confirm(&o, (unsigned int)confirm);
		if (!r)
			fprintf(stderr,
				"bpfilter: rolling back in %ld s unless "
				"`bpfilter confirm%s%s%s%s` runs\n",
				confirm, kind ? " --hook " : "",
				kind ? bf_slot_kind_name(o.kind) : "",
				o.ifname ? " --iface " : "",
				o.ifname ? o.ifname : "");
		return cli_status(r);
	}
	r = bf_apply(&o);
	cli_nft_bufs_free(&nftb);
	return cli_status(r);
}

static int parse_sel(int argc, char **argv, const char *cmd,
		     struct bf_slot_sel *sel, unsigned int *flags,
		     unsigned int *families, bool *counters)
{
	static const struct option opts[] = {
		{ "hook", required_argument, NULL, 'H' },
		{ "iface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "counters", no_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "exact", no_argument, NULL, 'x' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool is_list = !strcmp(cmd, "list"), is_save = !strcmp(cmd, "save");
	int c;

	sel->kind = -1;
	sel->ifname = NULL;
	while ((c = getopt_long(argc, argv, "+jcvxnh46", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (cli_parse_hook(optarg, &sel->kind))
				return 2;
			break;
		case 'i':
			sel->ifname = optarg;
			break;
		case 'j':
		case 'x':
		case 'n':
			if (!is_list)
				goto bad;
			*flags |= c == 'j' ? BF_LIST_JSON :
				  c == 'x' ? BF_LIST_EXACT :
					     BF_LIST_NUMERIC;
			break;
		case 'v':
			if (is_list)
				*flags |= BF_LIST_VERBOSE;
			else
				verbosity++;
			break;
		case 'c':
			if (!is_save)
				goto bad;
			*counters = true;
			break;
		case '4':
		case '6':
			if (!is_save)
				goto bad;
			*families |= 1u << (c == '4' ? BF_FAMILY_INET4 :
						       BF_FAMILY_INET6);
			break;
		case 'h':
			cli_help_cmd(cmd);
			return 1;
		default:
			goto bad;
		}
	}
	if (optind < argc)
		return cli_error("unexpected argument '%s' (see bpfilter help "
				 "%s)",
				 argv[optind], cmd);
	if (sel->ifname && sel->kind < 0)
		return cli_error("--iface needs --hook tc or --hook xdp");
	return 0;
bad:
	return cli_error("see bpfilter help %s", cmd);
}

static int cmd_list(int argc, char **argv)
{
	struct bf_slot_sel sel;
	unsigned int flags = 0, fam = 0;
	bool counters = false;
	int r = parse_sel(argc, argv, "list", &sel, &flags, &fam, &counters);

	if (r)
		return r == 1 ? 0 : r;
	return cli_status(bf_list(stdout, &sel, flags));
}

/* save --format ipt: rules from nft input may carry bpfilter's `-m nft`
 * (nft's evaluation of malformed packets, doc/front-nft.md): say that
 * iptables-restore cannot load such text. */
static int save_ipt(const struct bf_slot_sel *sel, unsigned int fam,
		    bool counters)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int r = -ENOMEM;

	if (m) {
		r = bf_save(m, sel, fam, counters);
		if (fclose(m) && !r)
			r = -ENOMEM;
	}
	if (buf)
		fputs(buf, stdout);
	if (!r && buf && strstr(buf, " -m nft "))
		fprintf(stderr,
			"bpfilter: note: rules from nft input carry bpfilter's "
			"\"-m nft\" (nft's evaluation of malformed packets): "
			"bpfilter restore and apply read this text, "
			"iptables-restore cannot; --format nft prints them "
			"in nft syntax\n");
	free(buf);
	return r;
}

static int cmd_save(int argc, char **argv)
{
	struct bf_slot_sel sel;
	unsigned int flags = 0, fam = 0;
	bool counters = false, nft = false;
	int r, n = 0;

	/* --format ipt|nft is save's own option (list and flush share
	 * parse_sel()) */
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			v = argv[i] + 9;
		if (!v) {
			argv[n++] = argv[i];
			continue;
		}
		if (strcmp(v, "nft") && strcmp(v, "ipt"))
			return cli_error("--format takes ipt or nft");
		nft = !strcmp(v, "nft");
	}
	argc = n;
	r = parse_sel(argc, argv, "save", &sel, &flags, &fam, &counters);
	if (r)
		return r == 1 ? 0 : r;
	if (nft)
		return cli_status(cli_save_nft(stdout, &sel, fam, counters));
	return cli_status(save_ipt(&sel, fam, counters));
}

static int cmd_flush(int argc, char **argv)
{
	struct bf_slot_sel sel;
	unsigned int flags = 0, fam = 0;
	bool counters = false;
	int r = parse_sel(argc, argv, "flush", &sel, &flags, &fam, &counters);

	if (r)
		return r == 1 ? 0 : r;
	if (sel.kind > BF_SLOT_NF && !sel.ifname)
		return cli_error("flush --hook %s needs --iface",
				 bf_slot_kind_name(sel.kind));
	r = bf_flush(&sel);
	/* the kernel's part of an nft ruleset (type nat chains...) too */
	if (!r && (sel.kind < 0 || sel.kind == BF_SLOT_NF) && !sel.ifname)
		r = cli_nftkern_flush();
	return cli_status(r);
}

static int cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool dry = false;
	int c;

	while ((c = getopt_long(argc, argv, "+nh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry = true;
			break;
		case 'h':
			return cli_help_cmd("gc");
		default:
			return cli_error("see bpfilter help gc");
		}
	}
	if (optind < argc)
		return cli_error("unexpected argument '%s'", argv[optind]);
	return cli_status(bf_gc(stdout, dry));
}

static int cmd_confirm(int argc, char **argv)
{
	struct bf_slot_sel sel;
	unsigned int flags = 0, fam = 0;
	bool counters = false;
	int r = parse_sel(argc, argv, "confirm", &sel, &flags, &fam, &counters);

	if (r)
		return r == 1 ? 0 : r;
	if (sel.kind < 0)
		sel.kind = BF_SLOT_NF;
	if (sel.kind > BF_SLOT_NF && !sel.ifname)
		return cli_error("confirm --hook %s needs --iface",
				 bf_slot_kind_name(sel.kind));
	return cli_status(bf_confirm((enum bf_slot_kind)sel.kind, sel.ifname));
}

static int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "counters", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool counters = false;
	FILE *in;
	int c, r;

	while ((c = getopt_long(argc, argv, "+ch", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			counters = true;
			break;
		case 'h':
			return cli_help_cmd("restore");
		default:
			return cli_error("see bpfilter help restore");
		}
	}
	if (optind + 1 != argc)
		return cli_error("restore needs one FILE (- for stdin)");
	if (!strcmp(argv[optind], "-")) {
		in = stdin;
	} else {
		in = fopen(argv[optind], "re");
		if (!in)
			return cli_status(cli_error("cannot open %s: %s",
						    argv[optind],
						    strerror(errno)));
	}
	r = bf_restore(in, in == stdin ? "<stdin>" : argv[optind], counters);
	if (in != stdin)
		fclose(in);
	return cli_status(r);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "confirm", cmd_confirm }, { "restore", cmd_restore },
	{ "apply", cmd_apply },	    { "list", cmd_list },
	{ "save", cmd_save },	    { "flush", cmd_flush },
	{ "gc", cmd_gc },
};

int main(int argc, char **argv)
{
	int status;

	/* a resident daemon of this network namespace runs it, if any */
	if (cli_daemon_forward(argc, argv, &status))
		return status;
	return cli_main(argc, argv);
}

int cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *base = argc > 0 ? basename(argv[0]) : "bpfilter";
	const char *cmd;
	int c;

	bf_log_set(log_cb, NULL);
	if (!strcmp(base, "iptables-restore"))
		return cli_restore(argc, argv, BF_FAMILY_INET4);
	if (!strcmp(base, "ip6tables-restore"))
		return cli_restore(argc, argv, BF_FAMILY_INET6);
	if (!strcmp(base, "iptables"))
		return cli_iptables(argc, argv, BF_FAMILY_INET4, true);
	if (!strcmp(base, "ip6tables"))
		return cli_iptables(argc, argv, BF_FAMILY_INET6, true);
	if (!strcmp(base, "iptables-save"))
		return cli_save(argc, argv, BF_FAMILY_INET4, true);
	if (!strcmp(base, "ip6tables-save"))
		return cli_save(argc, argv, BF_FAMILY_INET6, true);

	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbosity++;
			break;
		case 'V':
			printf("bpfilter %s\n", bf_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	cli_set_verbosity(verbosity);
	if (!strcmp(cmd, "help")) {
		if (argc > 1)
			return cli_help_cmd(argv[1]);
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "iptables-restore"))
		return cli_restore(argc, argv, BF_FAMILY_INET4);
	if (!strcmp(cmd, "ip6tables-restore"))
		return cli_restore(argc, argv, BF_FAMILY_INET6);
	if (!strcmp(cmd, "iptables"))
		return cli_iptables(argc, argv, BF_FAMILY_INET4, false);
	if (!strcmp(cmd, "ip6tables"))
		return cli_iptables(argc, argv, BF_FAMILY_INET6, false);
	if (!strcmp(cmd, "iptables-save"))
		return cli_save(argc, argv, BF_FAMILY_INET4, false);
	if (!strcmp(cmd, "ip6tables-save"))
		return cli_save(argc, argv, BF_FAMILY_INET6, false);
	if (!strcmp(cmd, "rule"))
		return cli_rule(argc, argv);
	if (!strcmp(cmd, "batch"))
		return cli_batch(argc, argv);
	if (!strcmp(cmd, "daemon"))
		return cli_daemon(argc, argv);
	if (!strcmp(cmd, "trace"))
		return cli_trace(argc, argv);
	if (!strcmp(cmd, "log"))
		return cli_log(argc, argv);
	if (!strcmp(cmd, "verify"))
		return cli_verify(argc, argv);
	if (!strcmp(cmd, "set"))
		return cli_set(argc, argv);
	if (!strcmp(cmd, "import"))
		return cli_import(argc, argv);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc, argv);
	}
	return cli_error("unknown command '%s' (see bpfilter --help)", cmd);
}

void cli_set_verbosity(int v)
{
	verbosity = v;
}

int cli_verbosity(void)
{
	return verbosity;
}
