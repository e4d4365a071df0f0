// SPDX-License-Identifier: GPL-2.0-only
/*
 * One iptables command line (`iptables -D INPUT 3`, `iptables -C ...`)
 * applied to a ruleset in memory, with iptables' own messages, and the
 * `iptables -S` printer.
 *
 * The command and its positional arguments are taken out of the argument
 * vector here; a rule specification left over is parsed by the rule parser
 * of rule.c as the arguments of `-A CHAIN`. Rules are compared the way
 * `iptables -D/-C` find them (the kernel's compare of whole entries in
 * do_replace()/iptc's is_same()): here, by their canonical iptables-save
 * form, which is one string per distinct rule.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

/* iptables' messages for errors the kernel reports (iptc's
 * iptc_strerror() texts, as iptables 1.8.9 prints them). */
#define MSG_NOENT "No chain/target/match by that name."
#define MSG_BAD_RULE "Bad rule (does a matching rule exist in that chain?)."

_Static_assert((int)BF_IPT_CMD_VERBOSE == (int)BF_LIST_VERBOSE &&
		       (int)BF_IPT_CMD_EXACT == (int)BF_LIST_EXACT &&
		       (int)BF_IPT_CMD_NUMERIC == (int)BF_LIST_NUMERIC &&
		       (int)BF_IPT_CMD_LINE_NUMBERS ==
			       (int)BF_LIST_LINE_NUMBERS,
	       "bf_ipt_cmd flags are bf_list flags");

struct cmd_state {
	const char *prog;
	char usage[64]; /* "iptables v1.8.9 (bpfilter)" */
	struct bf_ipt_cmd *cmd;
	const char *newname; /* -E, -P */
	bool has_num;
	bool zero_num; /* -Z CHAIN RULENUM */
	/* Modules and target named so far: which of their long options
	 * take an argument (that is never a command, even "-L"). */
	const struct ipt_modopt *optsets[IPT_MAX_MODS + 1];
	size_t n_optsets;
	char *spec[IPT_MAX_ARGS + 3]; /* "-A" CHAIN rule specification */
	int n_spec;
	unsigned int given; /* options given: bit i for optflags[i] */
	bool has_pol_counters; /* -P CHAIN POLICY -c PACKETS BYTES */
	struct bf_counter pol_counters;
};

/* iptables' options checked against the command (optflags[] and
 * commands_v_options[][] of iptables/xshared.c, the first 12 columns:
 * -n -s -d -p -j -v -x -i -o --line-numbers -c -f). */
static const char optflags[] = "nsdpjvxio0cf";

/* Rows: the command, then the legality of each option ('x': illegal,
 * ' ': allowed) in optflags order. */
static const struct {
	char cmd; /* 'd': -D RULENUM, 'z': -Z CHAIN RULENUM */
	char legal[13];
} cmd_opts[] = {
	{ 'I', "x     x  x  " }, { 'D', "x     x  xx " },
	{ 'd', "xxxxx xxxxxx" }, { 'R', "x     x  x  " },
	{ 'A', "x     x  x  " }, { 'L', " xxxx  xx xx" },
	{ 'F', "xxxxx xxxxxx" }, { 'Z', "xxxxx xxxxxx" },
	{ 'N', "xxxxx xxxxxx" }, { 'X', "xxxxx xxxxxx" },
	{ 'P', "xxxxx xxxx x" }, { 'E', "xxxxx xxxxxx" },
	{ 'S', "xxxxx xxxxxx" }, { 'z', "xxxxx xxxxxx" },
	{ 'C', "x     x  xx " },
};

static int uerr_at(struct cmd_state *s, const char *fmt, char c);

#define kerr(s, ...) bf_log_at(BF_LOG_ERROR, (s)->prog, 0, 0, __VA_ARGS__)
#define uerr(s, ...)                                                           \
	do {                                                                   \
		(s)->cmd->usage_error = true;                                  \
		bf_log_at(BF_LOG_ERROR, (s)->usage, 0, 0, __VA_ARGS__);        \
	} while (0)

static const struct {
	const char *name;
	char cmd;
} long_cmds[] = {
	{ "append", 'A' },     { "delete", 'D' },	{ "check", 'C' },
	{ "insert", 'I' },     { "replace", 'R' },	{ "list", 'L' },
	{ "list-rules", 'S' }, { "flush", 'F' },	{ "zero", 'Z' },
	{ "new-chain", 'N' },  { "delete-chain", 'X' }, { "rename-chain", 'E' },
	{ "policy", 'P' },     { "line-numbers", '0' }, { "verbose", 'v' },
	{ "numeric", 'n' },    { "exact", 'x' },
};

/* Long option name -> command/flag letter: exact, or a unique prefix of
 * at least 3 characters (getopt_long over iptables' own options). */
static char long_cmd(const char *name, size_t len)
{
	char found = 0;

	for (size_t i = 0; i < ARRAY_SIZE(long_cmds); i++) {
		if (strlen(long_cmds[i].name) == len &&
		    !strncmp(long_cmds[i].name, name, len))
			return long_cmds[i].cmd;
	}
	if (len < 3)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(long_cmds); i++) {
		if (!strncmp(long_cmds[i].name, name, len)) {
			if (found && found != long_cmds[i].cmd)
				return 0;
			found = long_cmds[i].cmd;
		}
	}
	return found;
}

static int uerr_at(struct cmd_state *s, const char *fmt, char c)
{
	s->cmd->usage_error = true;
	bf_log_at(BF_LOG_ERROR, s->usage, 0, 0, fmt, c);
	return -EINVAL;
}

/* Option c was given: -n, -x and --line-numbers only once (set_option()
 * of xshared.c), -v any number of times. */
static int opt_given(struct cmd_state *s, char c)
{
	const char *p = strchr(optflags, c);
	unsigned int bit;

	if (!p || !c)
		return 0;
	bit = 1u << (p - optflags);
	if ((s->given & bit) && strchr("nx0", c))
		return uerr_at(s, "multiple -%c flags not allowed", c);
	s->given |= bit;
	return 0;
}

/* A word of the rule specification that is an option of the table above
 * (-s, --source, --src, -g...): note it. */
static void spec_opt(struct cmd_state *s, const char *tok)
{
	static const struct {
		const char *name;
		char c;
	} longs[] = {
		{ "source", 's' },	  { "src", 's' },
		{ "destination", 'd' },	  { "dst", 'd' },
		{ "protocol", 'p' },	  { "jump", 'j' },
		{ "goto", 'j' },	  { "in-interface", 'i' },
		{ "out-interface", 'o' }, { "set-counters", 'c' },
		{ "fragment", 'f' },
	};
	const char *p = strchr(optflags, tok[1]);
	size_t len;
	char c = 0;

	if (tok[0] != '-' || !tok[1])
		return;
	if (tok[1] != '-') {
		if (tok[1] == 'g')
			c = 'j';
		else if (p && strchr("sdpjiocf", tok[1]))
			c = tok[1];
		if (c)
			s->given |= 1u << (strchr(optflags, c) - optflags);
		return;
	}
	len = strcspn(tok + 2, "=");
	if (len < 2)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(longs); i++) {
		if (strncmp(longs[i].name, tok + 2, len))
			continue;
		if (strlen(longs[i].name) == len) {
			c = longs[i].c;
			break;
		}
		if (c && c != longs[i].c)
			return; /* ambiguous */
		c = longs[i].c;
	}
	if (c)
		s->given |= 1u << (strchr(optflags, c) - optflags);
}

/* generic_opt_check() of xshared.c: an option is legal when one of the
 * commands given allows it (-L -Z), else the first illegal one in
 * optflags order is reported. */
static int check_opts(struct cmd_state *s)
{
	char cmds[2] = { s->cmd->command, 0 };

	if (cmds[0] == 'D' && s->has_num)
		cmds[0] = 'd';
	else if (cmds[0] == 'Z' && s->zero_num)
		cmds[0] = 'z';
	if (s->cmd->zero && (cmds[0] == 'L' || cmds[0] == 'S'))
		cmds[1] = 'Z';
	for (size_t i = 0; optflags[i]; i++) {
		int legal = 0;

		if (!(s->given & (1u << i)))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(cmds) && cmds[k]; k++) {
			for (size_t j = 0; j < ARRAY_SIZE(cmd_opts); j++) {
				if (cmd_opts[j].cmd != cmds[k])
					continue;
				if (cmd_opts[j].legal[i] != 'x')
					legal = 1;
				else if (!legal)
					legal = -1;
			}
		}
		if (legal == -1)
			return uerr_at(s,
				       "Illegal option `-%c' with this command",
				       optflags[i]);
	}
	return 0;
}

static bool is_word(const char *s)
{
	return s && s[0] != '-' && s[0] != '!';
}

/* Short options that take an argument (IPT_OPTSTRING), other than the
 * commands: the next word is theirs. */
static bool short_takes_arg(char c)
{
	return strchr("cdgijmopstM", c) != NULL;
}

static int parse_num(struct cmd_state *s, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || !*arg || v < 1 || v > 0x7fffffffULL) {
		uerr(s, "Invalid rule number `%s'", arg);
		return -EINVAL;
	}
	s->cmd->rulenum = v;
	s->has_num = true;
	return 0;
}

/* The command's own arguments, following the command option at argv[*i]
 * (attached: arg != NULL). */
static int command_args(struct cmd_state *s, char c, const char *arg, int argc,
			char **argv, int *i)
{
	struct bf_ipt_cmd *cmd = s->cmd;

	/* -L/-S with -Z: list, then zero (do_parse() allows the pair). */
	if ((c == 'Z' && (cmd->command == 'L' || cmd->command == 'S')) ||
	    ((c == 'L' || c == 'S') && cmd->command == 'Z' && !s->zero_num)) {
		cmd->zero = true;
		if (c != 'Z')
			cmd->command = c;
	} else if (cmd->command) {
		uerr(s, "Cannot use -%c with -%c", c, cmd->command);
		return -EINVAL;
	} else {
		cmd->command = c;
	}
	switch (c) {
	case 'A':
	case 'C':
	case 'D':
	case 'I':
	case 'R':
	case 'N':
	case 'E':
	case 'P':
		if (!arg) {
			if (*i >= argc) {
				uerr(s, "option \"-%c\" requires an argument",
				     c);
				return -EINVAL;
			}
			arg = argv[(*i)++];
		}
		cmd->chain = arg;
		break;
	default: /* F L S X Z: an optional chain */
		if (arg && *arg)
			cmd->chain = arg;
		else if (*i < argc && is_word(argv[*i]))
			cmd->chain = argv[(*i)++];
		break;
	}
	switch (c) {
	case 'D':
	case 'I':
	case 'L':
	case 'S':
	case 'Z':
		if (*i < argc && is_word(argv[*i]) &&
		    (c == 'D' || c == 'I' || cmd->chain != NULL)) {
			if (c == 'Z' && !cmd->zero)
				s->zero_num = true;
			return parse_num(s, argv[(*i)++]);
		}
		break;
	case 'R':
		if (*i >= argc || !is_word(argv[*i])) {
			uerr(s, "-R requires a rule number");
			return -EINVAL;
		}
		return parse_num(s, argv[(*i)++]);
	case 'E':
		if (*i >= argc || !is_word(argv[*i])) {
			uerr(s, "-E requires old-chain-name and "
				"new-chain-name");
			return -EINVAL;
		}
		s->newname = argv[(*i)++];
		break;
	case 'P':
		if (*i >= argc || !is_word(argv[*i])) {
			uerr(s, "-P requires a chain and a policy");
			return -EINVAL;
		}
		s->newname = argv[(*i)++];
		break;
	}
	return 0;
}

static int spec_add(struct cmd_state *s, char *word)
{
	if (s->n_spec >= (int)ARRAY_SIZE(s->spec) - 1) {
		uerr(s, "too many arguments");
		return -E2BIG;
	}
	s->spec[s->n_spec++] = word;
	return 0;
}

/* -m NAME, -p NAME (the implicit protocol match), -j NAME: remember the
 * options they add. */
static void note_ext(struct cmd_state *s, char opt, const char *name)
{
	const struct ipt_modopt *o = NULL;
	char lower[32];

	if (s->n_optsets >= ARRAY_SIZE(s->optsets))
		return;
	if (opt == 'j') {
		const struct ipt_target *t = ipt_target_find(name);

		o = t ? t->opts : NULL;
	} else {
		const struct ipt_module *m;
		size_t i;

		for (i = 0; name[i] && i + 1 < sizeof(lower); i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		lower[i] = '\0';
		m = ipt_module_find(lower);
		o = m ? m->opts : NULL;
	}
	if (o)
		s->optsets[s->n_optsets++] = o;
}

/* Does the long option (a module's or the target's) take an argument? */
static bool ext_takes_arg(const struct cmd_state *s, const char *name,
			  size_t len)
{
	const struct ipt_modopt *found = NULL;

	for (size_t k = 0; k < s->n_optsets; k++) {
		for (const struct ipt_modopt *o = s->optsets[k]; o->name; o++) {
			if (strncmp(o->name, name, len))
				continue;
			if (strlen(o->name) == len)
				return o->has_arg;
			found = found ? found : o;
		}
	}
	return found && found->has_arg;
}

static bool ext_exact(const struct cmd_state *s, const char *name, size_t len)
{
	for (size_t k = 0; k < s->n_optsets; k++) {
		for (const struct ipt_modopt *o = s->optsets[k]; o->name; o++) {
			if (strlen(o->name) == len &&
			    !strncmp(o->name, name, len))
				return true;
		}
	}
	return false;
}

/* Split argv into the command (with its arguments), the listing flags and
 * the rest (the rule specification), in s->spec after "-A CHAIN". */
static int split_args(struct cmd_state *s, int argc, char **argv)
{
	int i = 0, r;

	s->n_spec = 2; /* "-A", chain */
	while (i < argc) {
		char *tok = argv[i++];

		/* -t filter (the only table), -w/-W [N] (our lock always
		 * waits): not part of any rule. */
		if (!strcmp(tok, "-t") || !strcmp(tok, "--table")) {
			if (i >= argc) {
				uerr(s, "option \"-t\" requires an argument");
				return -EINVAL;
			}
			if (strcmp(argv[i], "filter")) {
				uerr(s,
				     "can't initialize iptables table `%s': "
				     "Table does not exist (do you need to "
				     "insmod?)",
				     argv[i]);
				return -EOPNOTSUPP;
			}
			i++;
			continue;
		}
		if (!strcmp(tok, "-w") || !strcmp(tok, "--wait") ||
		    !strcmp(tok, "-W") || !strcmp(tok, "--wait-interval")) {
			if (i < argc && argv[i][0] >= '0' && argv[i][0] <= '9')
				i++;
			continue;
		}
		if (tok[0] == '-' && tok[1] == '-' && tok[2]) {
			const char *eq = strchr(tok + 2, '=');
			size_t len = eq ? (size_t)(eq - tok - 2) :
					  strlen(tok + 2);
			/* an extension's option of exactly that name wins
			 * over a command's abbreviation (getopt_long():
			 * -m policy --pol is not --policy) */
			char c = ext_exact(s, tok + 2, len) ?
					 0 :
					 long_cmd(tok + 2, len);

			if (c == 'v' || c == 'n' || c == 'x' || c == '0') {
				r = opt_given(s, c);
				if (r)
					return r;
				s->cmd->flags |=
					c == 'v' ? BF_IPT_CMD_VERBOSE :
					c == 'n' ? BF_IPT_CMD_NUMERIC :
					c == 'x' ? BF_IPT_CMD_EXACT :
						   BF_IPT_CMD_LINE_NUMBERS;
				continue; /* listing flags: no rule option */
			} else if (c) {
				r = command_args(s, c, eq ? eq + 1 : NULL, argc,
						 argv, &i);
				if (r)
					return r;
				continue;
			}
			spec_opt(s, tok);
			r = spec_add(s, tok);
			if (r)
				return r;
			if (eq || i >= argc)
				continue;
			if (!strcmp(tok, "--match") ||
			    !strcmp(tok, "--protocol") ||
			    !strcmp(tok, "--jump") || !strcmp(tok, "--goto")) {
				note_ext(s,
					 tok[2] == 'p' ? 'p' :
					 tok[2] == 'm' ? 'm' :
							 'j',
					 argv[i]);
				r = spec_add(s, argv[i++]);
			} else if (ext_takes_arg(s, tok + 2, len)) {
				r = spec_add(s, argv[i++]);
			}
			if (r)
				return r;
			continue;
		}
		if (tok[0] == '-' && tok[1] && tok[1] != '-' &&
		    strpbrk(tok + 1, "ACDIRNEPFLSXZ")) {
			/* A cluster holding a command: flags before it, the
			 * command, its attached argument. */
			for (const char *p = tok + 1; *p; p++) {
				if (strchr("ACDIRNEPFLSXZ", *p)) {
					r = command_args(s, *p,
							 p[1] ? p + 1 : NULL,
							 argc, argv, &i);
					if (r)
						return r;
					break;
				}
				if (strchr("vnx", *p)) {
					r = opt_given(s, *p);
					if (r)
						return r;
				}
				if (*p == 'v')
					s->cmd->flags |= BF_IPT_CMD_VERBOSE;
				else if (*p == 'n')
					s->cmd->flags |= BF_IPT_CMD_NUMERIC;
				else if (*p == 'x')
					s->cmd->flags |= BF_IPT_CMD_EXACT;
				else if (strchr("46wW", *p))
					continue;
				else {
					uerr(s, "unknown option \"-%c\"", *p);
					return -EINVAL;
				}
			}
			continue;
		}
		if (tok[0] == '-' && tok[1] && tok[1] != '-' &&
		    strspn(tok + 1, "vnx") == strlen(tok + 1)) {
			for (const char *p = tok + 1; *p; p++) {
				r = opt_given(s, *p);
				if (r)
					return r;
				if (*p == 'v')
					s->cmd->flags |= BF_IPT_CMD_VERBOSE;
				else if (*p == 'n')
					s->cmd->flags |= BF_IPT_CMD_NUMERIC;
				else if (*p == 'x')
					s->cmd->flags |= BF_IPT_CMD_EXACT;
			}
			continue; /* listing flags: no rule option */
		}
		spec_opt(s, tok);
		r = spec_add(s, tok);
		if (r)
			return r;
		/* The argument of a short option is never a command. */
		if (tok[0] == '-' && tok[1] && tok[1] != '-' &&
		    short_takes_arg(tok[strlen(tok) - 1]) && i < argc) {
			char last = tok[strlen(tok) - 1];

			if (last == 'm' || last == 'p' || last == 'j' ||
			    last == 'g')
				note_ext(s, last == 'g' ? 'j' : last, argv[i]);
			r = spec_add(s, argv[i++]);
			if (r)
				return r;
		}
	}
	if (!s->cmd->command) {
		uerr(s, "no command specified");
		return -EINVAL;
	}
	return 0;
}

/* -j/-g to a user chain: it must exist in the family (do_parse() loads
 * the target by name and fails with this text). */
static int resolve_target(struct cmd_state *s, struct bf_ruleset *rs,
			  struct ipt_rule_ctx *ctx, bool report)
{
	const char *t = ctx->target;
	const struct bf_chain *c;

	if (!t) {
		ctx->verdict = BF_VERDICT_CONTINUE;
		return 0;
	}
	if (ctx->tgt.tgt) {
		ctx->verdict = ctx->tgt.tgt->kind;
		return 0;
	}
	if (!strcmp(t, "ACCEPT") || !strcmp(t, "DROP") ||
	    !strcmp(t, "RETURN")) {
		if (ctx->is_goto) {
			if (report)
				uerr(s, "goto '%s' is not a chain", t);
			return -EINVAL;
		}
		ctx->verdict = !strcmp(t, "ACCEPT") ? BF_VERDICT_ACCEPT :
			       !strcmp(t, "DROP")   ? BF_VERDICT_DROP :
						      BF_VERDICT_RETURN;
		return 0;
	}
	c = bf_ruleset_chain(rs, ctx->family, t);
	if ((!c || c->builtin) && !report)
		return -ENOENT;
	if ((!c || c->builtin) && ctx->is_goto) {
		uerr(s, "goto '%s' is not a chain", t);
		return -ENOENT;
	}
	if (!c || c->builtin) {
		/* xtables_find_target()'s text ends with "\n": an empty
		 * line follows */
		uerr(s, "Couldn't load target `%s':No such file or directory\n",
		     t);
		return -ENOENT;
	}
	ctx->verdict = ctx->is_goto ? BF_VERDICT_GOTO : BF_VERDICT_JUMP;
	return 0;
}

/* Parse the rule specification into IR rules (several for comma lists of
 * addresses), owned by the caller. */
static int build_rules(struct cmd_state *s, struct bf_ruleset *rs,
		       struct bf_rule **rules, size_t *n)
{
	_cleanup_free_ struct ipt_rule_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *file;
	int r, rt;

	if (!ctx)
		return -ENOMEM;
	file = bf_ruleset_intern_file(rs, s->prog);
	if (!file)
		return -ENOMEM;
	ctx->file = s->usage;
	ctx->line = 0;
	ctx->family = s->cmd->family;
	ctx->sets = rs;
	s->spec[0] = "-A";
	s->spec[1] = (char *)s->cmd->chain;
	s->spec[s->n_spec] = NULL;
	r = ipt_parse_args(ctx, s->n_spec, s->spec);
	if (r) {
		s->cmd->usage_error = true;
		return r;
	}
	/* A jump to a chain that is not there is found after the rule's
	 * addresses are (do_command4() loads the target after do_parse()):
	 * build with no target first, then report it. */
	rt = resolve_target(s, rs, ctx, false);
	if (rt)
		ctx->verdict = BF_VERDICT_CONTINUE;
	r = ipt_build_rules(ctx, rules, n);
	/* do_parse(): -R takes one rule, checked before the target */
	if (!r && s->cmd->command == 'R' && *n != 1) {
		uerr(s, "Replacement rule does not specify a unique address");
		r = -EINVAL;
	}
	if (!r && rt) {
		for (size_t i = 0; i < *n; i++)
			bf_rule_release(&(*rules)[i]);
		free(*rules);
		*rules = NULL;
		*n = 0;
		r = resolve_target(s, rs, ctx, true);
	}
	if (r) {
		for (size_t i = 0; *rules && i < *n; i++)
			bf_rule_release(&(*rules)[i]);
		free(*rules);
		*rules = NULL;
		*n = 0;
		s->cmd->usage_error = true;
		return r;
	}
	for (size_t i = 0; i < *n; i++) {
		(*rules)[i].file = file;
		(*rules)[i].line = 0;
		(*rules)[i].counter_idx = 0; /* a new rule (see bf_edit()) */
	}
	return 0;
}

static char *rule_text(const struct bf_rule *r)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *m = open_memstream(&buf, &sz);

	if (!m)
		return NULL;
	bf_ipt_print_rule(m, r);
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The lines of the text the family's rules were read from
 * (rs->src_text, set by bf_edit(): the canonical state in force), to find
 * a rule's canonical form without printing it. */
struct src_lines {
	const char *file; /* rs->src_file[family]; NULL: no text */
	const char **start; /* start[i]: line i + 1 */
	size_t n;
};

static void src_lines_free(struct src_lines *sl)
{
	free(sl->start);
	*sl = (struct src_lines){ 0 };
}

/* Index the lines of the family's source text, if any (no text, or no
 * memory for the index: sl->file NULL, every rule is printed). */
static void src_lines_init(struct src_lines *sl, const struct bf_ruleset *rs,
			   enum bf_family f)
{
	const char *text = rs->src_text[f], *p;
	size_t n = 1;

	*sl = (struct src_lines){ 0 };
	if (!text || !rs->src_file[f])
		return;
	for (p = text; (p = strchr(p, '\n')); p++)
		n++;
	sl->start = malloc(n * sizeof(*sl->start));
	if (!sl->start)
		return;
	sl->start[sl->n++] = text;
	for (p = text; (p = strchr(p, '\n')) && sl->n < n; p++)
		sl->start[sl->n++] = p + 1;
	sl->file = rs->src_file[f];
}

/* The source line of rule r (and its length without the newline), or
 * NULL when r was not read from the indexed text. */
static const char *src_line(const struct src_lines *sl, const struct bf_rule *r,
			    size_t *len)
{
	const char *l, *e;

	if (!sl->file || !r->file || r->line < 1 || (size_t)r->line > sl->n ||
	    (r->file != sl->file && strcmp(r->file, sl->file)))
		return NULL;
	l = sl->start[r->line - 1];
	e = strchrnul(l, '\n');
	*len = (size_t)(e - l);
	return l;
}

/* Index of the first rule of c equal to r, or -1 (-2: no memory).
 *
 * Equal means the same canonical form (bf_ipt_print_rule()), as
 * iptables-save would print both: iptables compares the binary entries
 * (libiptc's is_same(), first match), and the canonical form is one
 * string per distinct entry for everything this front end accepts. A rule read from the text in
 * force (sl) already has its canonical form there, as the line
 * "-A CHAIN<form>", because that text is canonical (printing the rules
 * parsed from it gives it back, which bf_seg_plan_text() relies on too):
 * those rules are compared through their line, without printing them. A
 * line that equals is confirmed by printing its rule; if that ever
 * disagrees, the text is not trusted and every rule is printed. */
static long find_rule(const struct bf_chain *c, const struct bf_rule *r,
		      const struct src_lines *sl)
{
	_cleanup_free_ char *want = rule_text(r);
	_cleanup_free_ char *line = NULL;
	bool trust = sl->file != NULL;
	size_t line_len = 0;

	if (!want)
		return -2;
	if (trust) {
		if (asprintf(&line, "-A %s%s%s", c->name, *want ? " " : "",
			     want) < 0) {
			line = NULL;
			trust = false;
		} else {
			line_len = strlen(line);
		}
	}
again:
	for (size_t j = 0; j < c->n_rules; j++) {
		_cleanup_free_ char *have = NULL;
		const char *l;
		size_t len;

		l = trust ? src_line(sl, &c->rules[j], &len) : NULL;
		if (l && (len != line_len || memcmp(l, line, len)))
			continue; /* another canonical form */
		have = rule_text(&c->rules[j]);
		if (!have)
			return -2;
		if (!strcmp(have, want))
			return (long)j;
		if (l) {
			/* the text in force said equal: do not trust it */
			trust = false;
			goto again;
		}
	}
	return -1;
}

static void remove_rule(struct bf_chain *c, size_t j)
{
	bf_rule_release(&c->rules[j]);
	memmove(&c->rules[j], &c->rules[j + 1],
		(c->n_rules - j - 1) * sizeof(c->rules[0]));
	c->n_rules--;
}

static size_t references(const struct bf_ruleset *rs, enum bf_family f,
			 const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->family != f)
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct bf_verdict *v = &c->rules[j].verdict;

			if ((v->kind == BF_VERDICT_JUMP ||
			     v->kind == BF_VERDICT_GOTO) &&
			    !strcmp(v->chain, name))
				n++;
		}
	}
	return n;
}

static int rule_command(struct cmd_state *s, struct bf_ruleset *rs,
			struct bf_chain *c)
{
	struct bf_ipt_cmd *cmd = s->cmd;
	struct bf_rule *rules = NULL;
	struct src_lines sl = { 0 };
	size_t n = 0, moved = 0;
	int r = 0;

	if (cmd->command == 'D' && s->has_num) {
		if (s->n_spec > 2) {
			uerr(s, "Illegal option with this command");
			return -EINVAL;
		}
		if (!c) {
			kerr(s, MSG_NOENT);
			return -ENOENT;
		}
		if (cmd->rulenum > c->n_rules) {
			kerr(s, "Index of deletion too big.");
			return -ENOENT;
		}
		remove_rule(c, cmd->rulenum - 1);
		return 0;
	}
	/* As iptables: the rule is parsed first (its errors come before
	 * the table's), -v prints each rule made of it (print_firewall_line()
	 * before each libiptc call), then the table refuses or changes. */
	r = build_rules(s, rs, &rules, &n);
	if (r)
		goto out;
	if ((cmd->flags & BF_IPT_CMD_VERBOSE) && cmd->out && cmd->print_rule) {
		for (size_t k = 0; k < n; k++)
			cmd->print_rule(cmd->out, &rules[k]);
	}
	/* build_rules() may have grown the chain table: find c again. */
	c = bf_ruleset_chain(rs, cmd->family, cmd->chain);
	if (!c) {
		/* libiptc's TC_CHECK_ENTRY / TC_DELETE_ENTRY: ENOENT on the
		 * chain, before the target is mapped */
		kerr(s, "%s",
		     cmd->command == 'C' || cmd->command == 'D' ? MSG_BAD_RULE :
								  MSG_NOENT);
		r = -ENOENT;
		goto out;
	}
	if (cmd->command == 'I' && !s->has_num)
		cmd->rulenum = 1;
	if (cmd->command == 'I' && cmd->rulenum > c->n_rules + 1) {
		kerr(s, "Index of insertion too big.");
		r = -E2BIG;
		goto out;
	}
	if (cmd->command == 'R' && cmd->rulenum > c->n_rules) {
		kerr(s, "Index of replacement too big.");
		r = -E2BIG;
		goto out;
	}
	switch (cmd->command) {
	case 'A':
	case 'I':
		for (; moved < n; moved++) {
			r = cmd->command == 'A' ?
				    bf_chain_add_rule(c, &rules[moved]) :
				    bf_chain_insert_rule(c, cmd->rulenum - 1,
							 &rules[moved]);
			if (r)
				goto out;
		}
		break;
	case 'R':
		if (n != 1) {
			uerr(s, "-R requires a rule with one source and one "
				"destination address");
			r = -EINVAL;
			goto out;
		}
		bf_rule_release(&c->rules[cmd->rulenum - 1]);
		c->rules[cmd->rulenum - 1] = rules[0];
		moved = 1;
		break;
	case 'C':
	case 'D':
		src_lines_init(&sl, rs, cmd->family);
		for (size_t k = 0; k < n; k++) {
			long j = find_rule(c, &rules[k], &sl);

			if (j == -2) {
				r = -ENOMEM;
				goto out;
			}
			if (j < 0) {
				/* iptables-legacy: a target other than
				 * ACCEPT/DROP/RETURN/none goes through
				 * TC_BUILTIN() in libiptc's
				 * iptcc_map_target(), which leaves iptc_fn
				 * there, and ENOENT then reads as the
				 * generic text */
				enum bf_verdict_kind v = rules[k].verdict.kind;

				kerr(s, "%s",
				     v == BF_VERDICT_CONTINUE ||
						     v == BF_VERDICT_ACCEPT ||
						     v == BF_VERDICT_DROP ||
						     v == BF_VERDICT_RETURN ?
					     MSG_BAD_RULE :
					     MSG_NOENT);
				r = -ENOENT;
				goto out;
			}
			if (cmd->command == 'D')
				remove_rule(c, (size_t)j);
		}
		break;
	}
out:
	src_lines_free(&sl);
	for (size_t k = moved; k < n; k++)
		bf_rule_release(&rules[k]);
	free(rules);
	return r;
}

/* -P CHAIN POLICY -c PACKETS BYTES (or "-c P,B", --set-counters): the
 * policy's counters, as iptc_set_policy() takes them. */
static int policy_counters(struct cmd_state *s)
{
	const char *o = s->spec[2], *a = NULL, *b = NULL;
	unsigned long long pk, by;
	int used = 3;

	if (!strcmp(o, "-c") || !strcmp(o, "--set-counters")) {
		a = s->n_spec > 3 ? s->spec[3] : NULL;
		used = 4;
	} else if (!strncmp(o, "--set-counters=", 15)) {
		a = o + 15;
	} else if (!strncmp(o, "-c", 2)) {
		a = o + 2;
	}
	if (!a) {
		uerr(s, "Illegal option with this command");
		return -EINVAL;
	}
	b = strchr(a, ',');
	if (b)
		b++;
	else if (used < s->n_spec)
		b = s->spec[used++];
	if (!b) {
		uerr(s, "--set-counters requires packet and byte counter");
		return -EINVAL;
	}
	if (used != s->n_spec) {
		uerr(s, "Illegal option with this command");
		return -EINVAL;
	}
	/* sscanf("%llu") as iptables: leading digits are enough */
	if (sscanf(a, "%llu", &pk) != 1) {
		uerr(s, "--set-counters packet counter not numeric");
		return -EINVAL;
	}
	if (sscanf(b, "%llu", &by) != 1) {
		uerr(s, "--set-counters byte counter not numeric");
		return -EINVAL;
	}
	s->pol_counters = (struct bf_counter){ .packets = pk, .bytes = by };
	s->has_pol_counters = true;
	return 0;
}

static int rename_chain(struct cmd_state *s, struct bf_ruleset *rs);

/* -v of -F, -Z, -X: "Flushing chain `web'" before each chain. */
static void verbose_chain(struct cmd_state *s, const char *name)
{
	const char *what = s->cmd->command == 'F' ? "Flushing" :
			   s->cmd->command == 'Z' ? "Zeroing" :
			   s->cmd->command == 'X' ? "Deleting" :
						    NULL;

	/* -Z CHAIN RULENUM: iptc_zero_counter(), nothing said */
	if (what && !s->zero_num && (s->cmd->flags & BF_IPT_CMD_VERBOSE) &&
	    s->cmd->out)
		fprintf(s->cmd->out, "%s chain `%s'\n", what, name);
}

static int chain_command(struct cmd_state *s, struct bf_ruleset *rs)
{
	struct bf_ipt_cmd *cmd = s->cmd;
	enum bf_family f = cmd->family;
	struct bf_chain *c = NULL;

	if (cmd->command == 'E')
		return rename_chain(s, rs);
	if (cmd->chain) {
		c = bf_ruleset_chain(rs, f, cmd->chain);
		if (!c) {
			/* -v says what it tries first (flush_entries(),
			 * zero_entries(), delete_chain() of iptables.c) */
			verbose_chain(s, cmd->chain);
			/* TC_SET_POLICY's ENOENT has a text of its own */
			kerr(s, "%s",
			     cmd->command == 'P' ? "Bad built-in chain name." :
						   MSG_NOENT);
			return -ENOENT;
		}
	}
	switch (cmd->command) {
	case 'F':
	case 'Z':
		if (cmd->command == 'Z' && s->zero_num) {
			/* command_args() sets zero_num only after a chain
			 * name, so c is set: checked for the analyser. */
			if (!c)
				return -EINVAL;
			if (cmd->rulenum > c->n_rules) {
				kerr(s, "Index of counter too big.");
				return -E2BIG;
			}
			c->rules[cmd->rulenum - 1].counter =
				(struct bf_counter){ 0 };
			return 0;
		}
		for (size_t i = 0; i < rs->n_chains; i++) {
			struct bf_chain *o = &rs->chains[i];

			if (o->family != f || (c && o != c))
				continue;
			verbose_chain(s, o->name);
			if (cmd->command == 'F') {
				while (o->n_rules)
					remove_rule(o, o->n_rules - 1);
				continue;
			}
			o->policy_counter = (struct bf_counter){ 0 };
			for (size_t j = 0; j < o->n_rules; j++)
				o->rules[j].counter = (struct bf_counter){ 0 };
		}
		return 0;
	case 'X':
		if (c && c->builtin) {
			verbose_chain(s, c->name);
			kerr(s, "Invalid argument. Run `dmesg' for more "
				"information.");
			return -EINVAL;
		}
		/* Every chain is tried (for_each_chain4() goes on after a
		 * failure) and the last failure is what iptables says; the
		 * table is not committed then. TC_DELETE_CHAIN(): referenced
		 * (EMLINK) before not empty (ENOTEMPTY). */
		{
			int err = 0;

			for (size_t i = 0; i < rs->n_chains; i++) {
				struct bf_chain *o = &rs->chains[i];

				if (o->family != f || o->builtin ||
				    (c && o != c))
					continue;
				verbose_chain(s, o->name);
				if (references(rs, f, o->name))
					err = -EMLINK;
				else if (o->n_rules)
					err = -ENOTEMPTY;
			}
			if (err) {
				kerr(s, "%s",
				     err == -EMLINK ? "Too many links." :
						      "Directory not empty.");
				return err;
			}
		}
		for (size_t i = rs->n_chains; i-- > 0;) {
			struct bf_chain *o = &rs->chains[i];
			char name[BF_CHAIN_NAME_MAX + 1];

			if (o->family != f || o->builtin ||
			    (cmd->chain && strcmp(o->name, cmd->chain)))
				continue;
			snprintf(name, sizeof(name), "%s", o->name);
			bf_ruleset_del_chain(rs, f, name);
		}
		return 0;
	case 'P':
		if (!c)
			return -EINVAL; /* -P and -E always name a chain */
		if (!c->builtin) {
			kerr(s, "Bad built-in chain name.");
			return -EINVAL;
		}
		if (strcmp(s->newname, "ACCEPT") &&
		    strcmp(s->newname, "DROP")) {
			kerr(s, "Bad policy name. Run `dmesg' for more "
				"information.");
			return -EINVAL;
		}
		c->policy = strcmp(s->newname, "ACCEPT") ? BF_VERDICT_DROP :
							   BF_VERDICT_ACCEPT;
		if (s->has_pol_counters)
			c->policy_counter = s->pol_counters;
		return 0;
	}
	return 0;
}

/* -E OLD NEW in TC_RENAME_CHAIN()'s order: NEW taken (a chain or a
 * standard target) first, then OLD missing or built-in. */
static int rename_chain(struct cmd_state *s, struct bf_ruleset *rs)
{
	static const char *const std[] = { "ACCEPT", "DROP", "QUEUE",
					   "RETURN" };
	struct bf_ipt_cmd *cmd = s->cmd;
	enum bf_family f = cmd->family;
	struct bf_chain *c;

	if (ipt_check_chain_name(s->usage, 0, s->newname)) {
		cmd->usage_error = true;
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(std); i++) {
		if (!strcmp(s->newname, std[i])) {
			kerr(s, "File exists.");
			return -EEXIST;
		}
	}
	if (bf_ruleset_chain(rs, f, s->newname)) {
		kerr(s, "File exists.");
		return -EEXIST;
	}
	c = bf_ruleset_chain(rs, f, cmd->chain);
	if (!c || c->builtin) {
		kerr(s, MSG_NOENT);
		return -ENOENT;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *o = &rs->chains[i];

		if (o->family != f)
			continue;
		for (size_t j = 0; j < o->n_rules; j++) {
			struct bf_verdict *v = &o->rules[j].verdict;

			if ((v->kind == BF_VERDICT_JUMP ||
			     v->kind == BF_VERDICT_GOTO) &&
			    !strcmp(v->chain, c->name))
				snprintf(v->chain, sizeof(v->chain), "%s",
					 s->newname);
		}
	}
	snprintf(c->name, sizeof(c->name), "%s", s->newname);
	return 0;
}

int bf_ipt_command(struct bf_ruleset *rs, enum bf_family family, int argc,
		   char **argv, const char *prog, struct bf_ipt_cmd *cmd)
{
	struct cmd_state s = { .prog = prog ? prog : "iptables", .cmd = cmd };
	struct bf_chain *c = NULL;
	int r;

	{
		FILE *out = cmd->out;
		void (*print_rule)(FILE *, const struct bf_rule *) =
			cmd->print_rule;

		memset(cmd, 0, sizeof(*cmd));
		cmd->out = out;
		cmd->print_rule = print_rule;
	}
	cmd->family = family;
	snprintf(s.usage, sizeof(s.usage), "%s v1.8.9 (bpfilter)", s.prog);
	r = split_args(&s, argc, argv);
	if (!r)
		r = check_opts(&s);
	if (r)
		return r;
	switch (cmd->command) {
	case 'L':
	case 'S':
		if (s.n_spec > 2) {
			uerr(&s, "Illegal option with this command");
			return -EINVAL;
		}
		if (cmd->chain && !bf_ruleset_chain(rs, family, cmd->chain)) {
			kerr(&s, MSG_NOENT);
			return -ENOENT;
		}
		return 0;
	case 'N':
		if (s.n_spec > 2) {
			uerr(&s, "Illegal option with this command");
			return -EINVAL;
		}
		if (ipt_check_chain_name(s.usage, 0, cmd->chain)) {
			cmd->usage_error = true;
			return -EINVAL;
		}
		if (bf_ruleset_chain(rs, family, cmd->chain)) {
			kerr(&s, "Chain already exists.");
			return -EEXIST;
		}
		r = bf_ruleset_add_chain(rs, family, cmd->chain, 0, NULL);
		break;
	case 'F':
	case 'Z':
	case 'X':
	case 'P':
	case 'E':
		if (cmd->command == 'P' && s.n_spec > 2) {
			r = policy_counters(&s);
			if (r)
				return r;
		} else if (s.n_spec > 2) {
			uerr(&s, "Illegal option with this command");
			return -EINVAL;
		}
		r = chain_command(&s, rs);
		break;
	default: /* A C D I R */
		c = bf_ruleset_chain(rs, family, cmd->chain);
		r = rule_command(&s, rs, c);
		break;
	}
	if (r)
		return r;
	if (cmd->command != 'C') {
		rs->families |= 1u << family;
		cmd->changed = true;
	}
	return 0;
}

/* "-c PACKETS BYTES" goes before the target, as iptables -S -v prints it
 * (print_rule4() prints the counters, then the target). */
static void print_S_rule(FILE *out, const struct bf_chain *c,
			 const struct bf_rule *r, bool counters)
{
	_cleanup_free_ char *text = rule_text(r);
	const char *tgt;

	fprintf(out, "-A %s", c->name);
	if (!text)
		return;
	if (!counters) {
		fprintf(out, "%s%s\n", *text ? " " : "", text);
		return;
	}
	tgt = NULL;
	for (const char *p = text; (p = strstr(p, "-j ")) || 0; p++) {
		if (p == text || p[-1] == ' ')
			tgt = p;
	}
	if (!tgt) {
		for (const char *p = text; (p = strstr(p, "-g ")); p++) {
			if (p == text || p[-1] == ' ')
				tgt = p;
		}
	}
	if (!tgt) {
		fprintf(out, "%s%s -c %llu %llu\n", *text ? " " : "", text,
			(unsigned long long)r->counter.packets,
			(unsigned long long)r->counter.bytes);
		return;
	}
	fprintf(out, " %.*s-c %llu %llu %s\n", (int)(tgt - text), text,
		(unsigned long long)r->counter.packets,
		(unsigned long long)r->counter.bytes, tgt);
}

int bf_ipt_print_S(FILE *out, const struct bf_ruleset *rs,
		   enum bf_family family, const char *chain,
		   unsigned long long rulenum, bool counters)
{
	if (chain && rulenum) {
		const struct bf_chain *c = bf_ruleset_chain(rs, family, chain);

		if (!c)
			return -ENOENT;
		if (rulenum > c->n_rules)
			return 0; /* iptables prints nothing, exits 0 */
		print_S_rule(out, c, &c->rules[rulenum - 1], counters);
		return 0;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->family != family || (chain && strcmp(c->name, chain)))
			continue;
		if (c->builtin) {
			fprintf(out, "-P %s %s", c->name,
				bf_verdict_name(c->policy));
			if (counters)
				fprintf(out, " -c %llu %llu",
					(unsigned long long)
						c->policy_counter.packets,
					(unsigned long long)
						c->policy_counter.bytes);
			fputc('\n', out);
		} else {
			fprintf(out, "-N %s\n", c->name);
		}
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->family != family || (chain && strcmp(c->name, chain)))
			continue;
		for (size_t j = 0; j < c->n_rules; j++)
			print_S_rule(out, c, &c->rules[j], counters);
	}
	return 0;
}

/* getline() returned -1: 0 at the end of the input, else the error that
 * stopped it (a failed allocation must not pass for the end of a file). */
static int input_end(FILE *in)
{
	int e = errno;

	if (feof(in))
		return 0;
	return e ? -e : -EIO;
}

int bf_ipt_run_commands(struct bf_ruleset *rs, FILE *in, const char *filename,
			FILE *out)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0;
	int lineno = 0, r = 0;

	while (getline(&buf, &cap, in) >= 0) {
		struct ipt_argv av = { 0 };
		struct bf_ipt_cmd cmd;
		const char *err = NULL, *base;
		char prog[PATH_MAX];
		enum bf_family f;

		lineno++;
		r = ipt_split_shell(buf, &av, &err);
		if (r) {
			bf_log_at(BF_LOG_ERROR, filename, lineno, 0, "%s",
				  err ? err : "cannot split the line");
			ipt_argv_free(&av);
			return r;
		}
		if (!av.argc) {
			ipt_argv_free(&av);
			continue;
		}
		base = strrchr(av.argv[0], '/');
		base = base ? base + 1 : av.argv[0];
		if (!strcmp(base, "iptables")) {
			f = BF_FAMILY_INET4;
		} else if (!strcmp(base, "ip6tables")) {
			f = BF_FAMILY_INET6;
		} else {
			bf_log_at(BF_LOG_ERROR, filename, lineno, 0,
				  "'%s' is not iptables or ip6tables", base);
			ipt_argv_free(&av);
			return -EINVAL;
		}
		snprintf(prog, sizeof(prog), "%s:%d: %s", filename, lineno,
			 base);
		r = bf_ipt_command(rs, f, av.argc - 1, av.argv + 1, prog, &cmd);
		if (!r && cmd.command == 'L')
			r = bf_list_ipt(out, rs, f, cmd.chain, cmd.rulenum,
					cmd.flags);
		else if (!r && cmd.command == 'S')
			r = bf_ipt_print_S(out, rs, f, cmd.chain, cmd.rulenum,
					   cmd.flags & BF_IPT_CMD_VERBOSE);
		if (!r && cmd.zero)
			r = bf_ipt_zero(rs, f, cmd.chain);
		ipt_argv_free(&av);
		if (r)
			return r;
	}
	return input_end(in);
}

int bf_ipt_zero(struct bf_ruleset *rs, enum bf_family family, const char *chain)
{
	if (chain && !bf_ruleset_chain(rs, family, chain))
		return -ENOENT;
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		if (c->family != family || (chain && strcmp(c->name, chain)))
			continue;
		c->policy_counter = (struct bf_counter){ 0 };
		for (size_t j = 0; j < c->n_rules; j++)
			c->rules[j].counter = (struct bf_counter){ 0 };
	}
	return 0;
}

/* ":NAME POLICY [p:b]" of iptables-restore --noflush: a built-in chain
 * gets the policy, an existing user chain is flushed, a new one created
 * (iptables-restore.c with noflush: chain_flush() or chain_user_add()). */
static int noflush_chain(struct bf_ruleset *rs, enum bf_family f, char *line,
			 const char *where, bool counters)
{
	char *save, *name, *policy, *ctrs;
	unsigned long long pk = 0, by = 0;
	struct bf_chain *c;

	name = strtok_r(line + 1, " \t", &save);
	policy = name ? strtok_r(NULL, " \t", &save) : NULL;
	ctrs = policy ? strtok_r(NULL, " \t", &save) : NULL;
	if (!name || !policy) {
		bf_log_at(BF_LOG_ERROR, where, 0, 0,
			  "bad chain line: expected \":CHAIN POLICY "
			  "[packets:bytes]\"");
		return -EINVAL;
	}
	/* sscanf() as iptables-restore reads policy counters */
	if (ctrs && sscanf(ctrs, "[%llu:%llu]", &pk, &by) != 2) {
		bf_log_at(BF_LOG_ERROR, where, 0, 0,
			  "invalid policy counters for chain '%s'", name);
		return -EINVAL;
	}
	c = bf_ruleset_chain(rs, f, name);
	if (c && c->builtin) {
		if (strcmp(policy, "ACCEPT") && strcmp(policy, "DROP")) {
			bf_log_at(BF_LOG_ERROR, where, 0, 0,
				  "Bad policy name `%s'", policy);
			return -EINVAL;
		}
		c->policy = strcmp(policy, "ACCEPT") ? BF_VERDICT_DROP :
						       BF_VERDICT_ACCEPT;
		if (counters) {
			c->policy_counter.packets = pk;
			c->policy_counter.bytes = by;
		}
		return 0;
	}
	if (c) {
		while (c->n_rules)
			remove_rule(c, c->n_rules - 1);
		return 0;
	}
	if (ipt_check_chain_name(where, 0, name))
		return -EINVAL;
	return bf_ruleset_add_chain(rs, f, name, 0, NULL);
}

int bf_ipt_restore_noflush(struct bf_ruleset *rs, FILE *in,
			   const char *filename, enum bf_family family,
			   bool counters)
{
	const char *tool = family == BF_FAMILY_INET4 ? "iptables-restore" :
						       "ip6tables-restore";
	_cleanup_free_ char *buf = NULL;
	bool in_table = false, any = false;
	size_t cap = 0;
	int lineno = 0, r = 0;

	while (getline(&buf, &cap, in) >= 0) {
		char where[PATH_MAX], *line = buf, *e;
		struct ipt_argv av = { 0 };
		struct bf_ipt_cmd cmd;
		const char *err = NULL;
		int shift = 0;

		lineno++;
		e = line + strlen(line);
		while (e > line && (e[-1] == '\n' || e[-1] == ' ' ||
				    e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d: %s", filename, lineno,
			 tool);
		if (*line == '*') {
			if (strcmp(line, "*filter")) {
				bf_log_at(BF_LOG_ERROR, where, 0, 0,
					  "table '%s' is not supported, only "
					  "filter",
					  line + 1);
				return -EOPNOTSUPP;
			}
			in_table = any = true;
			continue;
		}
		if (!in_table) {
			bf_log_at(BF_LOG_ERROR, where, 0, 0,
				  "no table given (*filter) before this line");
			return -EINVAL;
		}
		if (!strcmp(line, "COMMIT")) {
			in_table = false;
			continue;
		}
		if (*line == ':') {
			r = noflush_chain(rs, family, line, where, counters);
			if (r)
				return r;
			rs->families |= 1u << family;
			continue;
		}
		/* "[p:b] -A ..." : the counters become -c P B */
		if (*line == '[') {
			unsigned long long pk, by;
			char *end = strchr(line, ']');

			if (!end ||
			    sscanf(line, "[%llu:%llu]", &pk, &by) != 2) {
				bf_log_at(BF_LOG_ERROR, where, 0, 0,
					  "bad counters");
				return -EINVAL;
			}
			line = end + 1;
			shift = counters ? 3 : 0;
			if (counters) {
				av.argv[0] = strdup("-c");
				if (asprintf(&av.argv[1], "%llu", pk) < 0)
					av.argv[1] = NULL;
				if (asprintf(&av.argv[2], "%llu", by) < 0)
					av.argv[2] = NULL;
				if (!av.argv[0] || !av.argv[1] || !av.argv[2]) {
					for (int i = 0; i < shift; i++)
						free(av.argv[i]);
					return -ENOMEM;
				}
			}
		}
		{
			struct ipt_argv rest = { 0 };

			r = ipt_split_restore(line, &rest, &err);
			if (r) {
				bf_log_at(BF_LOG_ERROR, where, 0, 0, "%s",
					  err ? err : "cannot split the line");
				ipt_argv_free(&rest);
				for (int i = 0; i < shift; i++)
					free(av.argv[i]);
				return r;
			}
			if (rest.argc + shift > IPT_MAX_ARGS) {
				bf_log_at(BF_LOG_ERROR, where, 0, 0,
					  "too many arguments");
				ipt_argv_free(&rest);
				for (int i = 0; i < shift; i++)
					free(av.argv[i]);
				return -E2BIG;
			}
			/* The command first, then -c P B (iptables-restore
			 * adds them after the rule's own arguments). */
			for (int i = 0; i < rest.argc; i++)
				av.argv[shift + i] = rest.argv[i];
			av.argc = shift + rest.argc;
			if (shift) {
				char *c0 = av.argv[0], *c1 = av.argv[1],
				     *c2 = av.argv[2];

				memmove(av.argv, av.argv + 3,
					(size_t)rest.argc * sizeof(char *));
				av.argv[rest.argc] = c0;
				av.argv[rest.argc + 1] = c1;
				av.argv[rest.argc + 2] = c2;
			}
			av.argv[av.argc] = NULL;
		}
		r = bf_ipt_command(rs, family, av.argc, av.argv, where, &cmd);
		if (!r && (cmd.command == 'L' || cmd.command == 'S' ||
			   cmd.command == 'C')) {
			bf_log_at(BF_LOG_ERROR, where, 0, 0,
				  "-%c is not allowed in %s input", cmd.command,
				  tool);
			r = -EINVAL;
		}
		ipt_argv_free(&av);
		if (r)
			return r;
	}
	r = input_end(in);
	if (r)
		return r;
	if (in_table) {
		bf_log_at(BF_LOG_ERROR, filename, lineno, 0,
			  "COMMIT expected at the end of the table");
		return -EINVAL;
	}
	if (!any) {
		bf_log_at(BF_LOG_ERROR, filename, 0, 0, "no *filter table");
		return -EINVAL;
	}
	return 0;
}
