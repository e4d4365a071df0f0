// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iptables command line on the ruleset in force: `bpfilter iptables
 * ARGS` (or the binary invoked as iptables / ip6tables), `iptables-save`,
 * `bpfilter rule add|insert|delete|replace` and `bpfilter batch FILE`.
 * Every change is one bf_edit() transaction: read what is in force, change
 * it, compile and switch atomically, under the namespace's lock.
 *
 * Messages and exit codes are iptables 1.8.9's: "iptables: Bad rule (does
 * a matching rule exist in that chain?)." and 1 when the table refuses,
 * "iptables v1.8.9 (bpfilter): ..." and 2 for bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/log.h"
#include "cli.h"

struct ipt_run {
	enum bf_family family;
	const char *prog;
	int argc;
	char **argv;
	struct bf_ipt_cmd cmd;
	FILE *batch; /* batch: commands from this file instead */
	const char *batch_name;
	/* What -v prints (the rules, "Flushing chain `X'"), kept until
	 * the change is over: a second bf_edit() attempt starts it anew. */
	FILE *vout;
	char *vtext;
	size_t vlen;
};

static void vout_reset(struct ipt_run *x)
{
	if (x->vout)
		fclose(x->vout);
	free(x->vtext);
	x->vtext = NULL;
	x->vlen = 0;
	x->vout = open_memstream(&x->vtext, &x->vlen);
}

/* Print what -v said (stdout, after the listing if any). */
static void vout_flush(struct ipt_run *x)
{
	if (x->vout && fclose(x->vout) == 0 && x->vtext)
		fwrite(x->vtext, 1, x->vlen, stdout);
	x->vout = NULL;
	free(x->vtext);
	x->vtext = NULL;
}

static void ipt_log(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if ((int)level > BF_LOG_WARN + cli_verbosity())
		return;
	fprintf(stderr, "%s\n", msg);
}

/* bpfilter rule: the front end's messages already start with its prog
 * ("bpfilter: Bad rule ...", "bpfilter v1.8.9 (bpfilter): ..."); the others
 * get the CLI's usual prefix. */
static void rule_log(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if ((int)level > BF_LOG_WARN + cli_verbosity())
		return;
	if (!strncmp(msg, "bpfilter", 8))
		fprintf(stderr, "%s\n", msg);
	else
		fprintf(stderr, "bpfilter: %s%s\n",
			level == BF_LOG_WARN ? "warning: " : "", msg);
}

static int run_one(struct bf_ruleset *rs, unsigned long long gen, void *data)
{
	struct ipt_run *x = data;
	int r;

	(void)gen;
	if (x->batch)
		return bf_ipt_run_commands(rs, x->batch, x->batch_name, stdout);
	vout_reset(x);
	x->cmd.out = x->vout;
	x->cmd.print_rule = bf_list_ipt_rule;
	r = bf_ipt_command(rs, x->family, x->argc, x->argv, x->prog, &x->cmd);
	if (r)
		return r;
	switch (x->cmd.command) {
	case 'L':
	case 'S':
		if (x->cmd.command == 'L')
			r = bf_list_ipt(stdout, rs, x->family, x->cmd.chain,
					x->cmd.rulenum, x->cmd.flags);
		else
			r = bf_ipt_print_S(stdout, rs, x->family, x->cmd.chain,
					   x->cmd.rulenum,
					   x->cmd.flags & BF_IPT_CMD_VERBOSE);
		if (r)
			return r;
		fflush(stdout);
		if (!x->cmd.zero)
			return 1;
		/* -L -Z -v: zero_entries() says each chain */
		for (size_t i = 0;
		     x->vout && (x->cmd.flags & BF_IPT_CMD_VERBOSE) &&
		     i < rs->n_chains;
		     i++) {
			const struct bf_chain *c = &rs->chains[i];

			if (c->family == x->family &&
			    (!x->cmd.chain || !strcmp(c->name, x->cmd.chain)))
				fprintf(x->vout, "Zeroing chain `%s'\n",
					c->name);
		}
		return bf_ipt_zero(rs, x->family, x->cmd.chain);
	case 'C':
		return 1;
	default:
		return 0;
	}
}

/* Does the command only read (-L, -S, -C)? Decides the lock taken. */
static bool reads_only(int argc, char **argv)
{
	static const char *const longs[] = { "--list", "--list-rules",
					     "--check" };

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--zero") ||
		    (a[0] == '-' && a[1] != '-' && strchr(a, 'Z')))
			return false;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		for (size_t k = 0; k < sizeof(longs) / sizeof(longs[0]); k++) {
			if (!strcmp(a, longs[k]))
				return true;
		}
		if (a[0] == '-' && a[1] && a[1] != '-' &&
		    strspn(a + 1, "vnxLSC") == strlen(a + 1) &&
		    strpbrk(a + 1, "LSC"))
			return true;
	}
	return false;
}

/* Leading bpfilter options of `bpfilter iptables` / `rule` / `batch`. */
static int slot_opts(int *argc, char ***argv, struct bf_edit_opts *o, bool *v6)
{
	while (*argc > 0) {
		const char *a = (*argv)[0];
		char *end;

		if (!strcmp(a, "--hook") && *argc > 1) {
			int k;

			if (cli_parse_hook((*argv)[1], &k))
				return 2;
			o->kind = (enum bf_slot_kind)k;
		} else if (!strcmp(a, "--iface") && *argc > 1) {
			o->ifname = (*argv)[1];
		} else if (!strcmp(a, "--if-generation") && *argc > 1) {
			errno = 0;
			o->if_generation = strtoll((*argv)[1], &end, 10);
			if (errno || *end || o->if_generation < 0)
				return cli_error("--if-generation needs a "
						 "number");
		} else if (v6 && !strcmp(a, "-6")) {
			*v6 = true;
			(*argc)--;
			(*argv)++;
			continue;
		} else if (v6 && !strcmp(a, "-4")) {
			*v6 = false;
			(*argc)--;
			(*argv)++;
			continue;
		} else {
			break;
		}
		*argc -= 2;
		*argv += 2;
	}
	if (o->kind != BF_SLOT_NF && !o->ifname)
		return cli_error("--hook %s needs --iface",
				 bf_slot_kind_name(o->kind));
	return 0;
}

static int edit_status(const struct ipt_run *x, int r)
{
	if (r == 1 || r == 0)
		return 0;
	if (x->cmd.usage_error) {
		fprintf(stderr,
			"Try `%s -h' or '%s --help' for more information.\n",
			x->prog, x->prog);
		return 2;
	}
	return 1;
}

static int run(struct ipt_run *x, struct bf_edit_opts *o)
{
	int r;

	o->verbose = cli_verbosity() > 0;
	if (!o->read_only && x->argc == 0 && !x->batch) {
		fprintf(stderr,
			"%s v1.8.9 (bpfilter): no command specified\n"
			"Try `%s -h' or '%s --help' for more information.\n",
			x->prog, x->prog, x->prog);
		return 2;
	}
	r = bf_edit(o, run_one, x);
	if (r == -EROFS && o->read_only) {
		/* reads_only() guessed wrong (say, "-L" as an option's
		 * value): run it again as a change. */
		o->read_only = false;
		r = bf_edit(o, run_one, x);
	}
	vout_flush(x);
	return edit_status(x, r);
}

/* The table named by -t/--table, or NULL (filter). */
static const char *table_arg(int argc, char **argv)
{
	const char *t = NULL;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if ((!strcmp(a, "-t") || !strcmp(a, "--table")) && i + 1 < argc)
			t = argv[++i];
		else if (!strncmp(a, "--table=", 8))
			t = a + 8;
		else if (a[0] == '-' && a[1] == 't' && a[2])
			t = a + 2;
	}
	return t;
}

/* -t nat, mangle, raw, security: the kernel's tables, not bpfilter's.
 * The command goes to the kernel's iptables unchanged
 * (BPFILTER_KERNEL_IPTABLES / BPFILTER_KERNEL_IP6TABLES, default
 * iptables-nft / ip6tables-nft), as `apply --other-tables=kernel` hands
 * those tables to iptables-restore; a table no kernel has is refused
 * with iptables' own text and exit code 3. */
static int other_table(const char *prog, enum bf_family family,
		       const char *table, int argc, char **argv)
{
	static const char *const kernel[] = { "nat", "mangle", "raw",
					      "security" };
	const char *tool = getenv(family == BF_FAMILY_INET4 ?
					  "BPFILTER_KERNEL_IPTABLES" :
					  "BPFILTER_KERNEL_IP6TABLES");
	char **args;

	for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++) {
		if (strcmp(table, kernel[i]))
			continue;
		if (!tool || !*tool)
			tool = family == BF_FAMILY_INET4 ? "iptables-nft" :
							   "ip6tables-nft";
		args = calloc((size_t)argc + 2, sizeof(*args));
		if (!args)
			return 4;
		args[0] = (char *)tool;
		memcpy(args + 1, argv, (size_t)argc * sizeof(*args));
		fflush(stdout);
		execvp(tool, args);
		fprintf(stderr,
			"%s v1.8.9 (bpfilter): table `%s' is the kernel's: "
			"cannot run %s: %s (set BPFILTER_KERNEL_%s)\n",
			prog, table, tool, strerror(errno),
			family == BF_FAMILY_INET4 ? "IPTABLES" : "IP6TABLES");
		free(args);
		return 3;
	}
	/* xtables_error(OTHER_PROBLEM, ...) of iptables' do_command() */
	fprintf(stderr,
		"%1$s v1.8.9 (bpfilter): can't initialize %1$s table `%2$s': "
		"Table does not exist (do you need to insmod?)\n"
		"Perhaps %1$s or your kernel needs to be upgraded.\n",
		prog, table);
	return 3;
}

int cli_iptables(int argc, char **argv, enum bf_family family, bool linked)
{
	struct bf_edit_opts o = { .kind = BF_SLOT_NF, .if_generation = -1 };
	struct ipt_run x = { .family = family };
	int r;

	x.prog = family == BF_FAMILY_INET4 ? "iptables" : "ip6tables";
	argc--;
	argv++;
	if (!linked) {
		r = slot_opts(&argc, &argv, &o, NULL);
		if (r)
			return r;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return cli_help_cmd(x.prog);
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("%s v1.8.9 (bpfilter %s)\n", x.prog,
			       bf_version());
			return 0;
		}
	}
	{
		const char *t = table_arg(argc, argv);

		if (t && strcmp(t, "filter"))
			return other_table(x.prog, family, t, argc, argv);
	}
	bf_log_set(ipt_log, NULL);
	x.argc = argc;
	x.argv = argv;
	o.read_only = reads_only(argc, argv);
	return run(&x, &o);
}

/* iptables-save / ip6tables-save of the nf slot (or --hook/--iface). */
struct save_run {
	enum bf_family family;
	bool counters;
};

static int save_one(struct bf_ruleset *rs, unsigned long long gen, void *data)
{
	struct save_run *s = data;

	(void)gen;
	if (!(rs->families & (1u << s->family)))
		return 1; /* nothing in force: iptables-save prints nothing */
	printf("# Generated by bpfilter %s\n", bf_version());
	bf_ipt_print(stdout, rs, s->family,
		     s->counters ? BF_IPT_PRINT_COUNTERS : 0);
	printf("# Completed\n");
	return 1;
}

int cli_save(int argc, char **argv, enum bf_family family, bool linked)
{
	static const struct option opts[] = {
		{ "counters", no_argument, NULL, 'c' },
		{ "table", required_argument, NULL, 't' },
		{ "modprobe", required_argument, NULL, 'M' },
		{ "hook", required_argument, NULL, 'H' },
		{ "iface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cmd = family == BF_FAMILY_INET4 ? "iptables-save" :
						      "ip6tables-save";
	struct bf_edit_opts o = { .kind = BF_SLOT_NF,
				  .if_generation = -1,
				  .read_only = true };
	struct save_run s = { .family = family };
	int c, kind, r;

	(void)linked;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+ct:M:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			s.counters = true;
			break;
		case 't':
			if (strcmp(optarg, "filter"))
				return cli_error("%s: table '%s' is not "
						 "supported, only filter",
						 cmd, optarg);
			break;
		case 'M':
			break;
		case 'H':
			if (cli_parse_hook(optarg, &kind))
				return 2;
			o.kind = (enum bf_slot_kind)kind;
			break;
		case 'i':
			o.ifname = optarg;
			break;
		case 'h':
			return cli_help_cmd(cmd);
		default:
			return cli_error("see bpfilter help %s", cmd);
		}
	}
	if (optind < argc)
		return cli_error("%s: unexpected argument '%s'", cmd,
				 argv[optind]);
	r = bf_edit(&o, save_one, &s);
	return r == 1 || r == 0 ? 0 : 1;
}

/* bpfilter rule add|insert|delete|replace [-4|-6] CHAIN [NUM] RULE... */
int cli_rule(int argc, char **argv)
{
	struct bf_edit_opts o = { .kind = BF_SLOT_NF, .if_generation = -1 };
	struct ipt_run x = { 0 };
	static const struct {
		const char *verb;
		const char *opt;
	} verbs[] = { { "add", "-A" },
		      { "insert", "-I" },
		      { "delete", "-D" },
		      { "replace", "-R" },
		      { "check", "-C" } };
	const char *opt = NULL;
	char **args;
	bool v6 = false;
	int r;

	if (argc < 2)
		return cli_error("usage: %s", "see bpfilter help rule");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cli_help_cmd("rule");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (!strcmp(argv[1], verbs[i].verb))
			opt = verbs[i].opt;
	}
	if (!opt)
		return cli_error("unknown rule verb '%s': add, insert, "
				 "delete, replace or check",
				 argv[1]);
	argc -= 2;
	argv += 2;
	r = slot_opts(&argc, &argv, &o, &v6);
	if (r)
		return r;
	if (argc < 1)
		return cli_error("rule %s needs a chain (see bpfilter help "
				 "rule)",
				 opt);
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return 1;
	args[0] = (char *)opt;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*args));
	x.family = v6 ? BF_FAMILY_INET6 : BF_FAMILY_INET4;
	x.prog = "bpfilter";
	x.argc = argc + 1;
	x.argv = args;
	o.read_only = !strcmp(opt, "-C");
	bf_log_set(rule_log, NULL);
	r = run(&x, &o);
	free(args);
	return r == 2 ? 2 : r;
}

/* bpfilter batch [--hook H --iface IF] [--if-generation N] FILE|- */
int cli_batch(int argc, char **argv)
{
	struct bf_edit_opts o = { .kind = BF_SLOT_NF, .if_generation = -1 };
	struct ipt_run x = { .prog = "bpfilter" };
	FILE *in;
	int r;

	argc--;
	argv++;
	if (argc > 0 && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")))
		return cli_help_cmd("batch");
	r = slot_opts(&argc, &argv, &o, NULL);
	if (r)
		return r;
	if (argc != 1)
		return cli_error("batch needs one FILE (- for stdin); see "
				 "bpfilter help batch");
	if (!strcmp(argv[0], "-")) {
		in = stdin;
		x.batch_name = "<stdin>";
	} else {
		in = fopen(argv[0], "re");
		if (!in) {
			fprintf(stderr, "bpfilter: cannot open %s: %s\n",
				argv[0], strerror(errno));
			return 1;
		}
		x.batch_name = argv[0];
	}
	x.batch = in;
	bf_log_set(ipt_log, NULL);
	o.verbose = cli_verbosity() > 0;
	r = bf_edit(&o, run_one, &x);
	if (in != stdin)
		fclose(in);
	return r == 0 || r == 1 ? 0 : 1;
}
