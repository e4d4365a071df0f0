// SPDX-License-Identifier: GPL-2.0-only
/*
 * One iptables argument vector -> IR rules.
 *
 * This follows do_parse() in iptables/xshared.c (iptables 1.8): options are
 * read in order as getopt_long() would (glued short options "-ptcp", long
 * options with "=" and unique abbreviations "--proto"), `!` inverts the
 * next option, `-m` loads a module whose options then become valid, and an
 * unknown option with `-p` set loads the protocol's module implicitly
 * (load_proto()). Every rejection iptables makes for the features in scope
 * is made here too; features outside the scope are errors that say "not
 * supported" and name the module, target or option.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	OPT_SOURCE = 1 << 0,
	OPT_DESTINATION = 1 << 1,
	OPT_PROTOCOL = 1 << 2,
	OPT_JUMP = 1 << 3,
	OPT_VIANAMEIN = 1 << 4,
	OPT_VIANAMEOUT = 1 << 5,
	OPT_COUNTERS = 1 << 6,
	OPT_FRAGMENT = 1 << 7,
};

struct core_opt {
	const char *name;
	int has_arg; /* 0 none, 1 required, 2 optional (attached only) */
	char val;
};

/* iptables' original_opts[] (long forms of the short options). */
static const struct core_opt core_opts[] = {
	{ "append", 1, 'A' },	     { "delete", 1, 'D' },
	{ "check", 1, 'C' },	     { "insert", 1, 'I' },
	{ "replace", 1, 'R' },	     { "list", 2, 'L' },
	{ "list-rules", 2, 'S' },    { "flush", 2, 'F' },
	{ "zero", 2, 'Z' },	     { "new-chain", 1, 'N' },
	{ "delete-chain", 2, 'X' },  { "rename-chain", 1, 'E' },
	{ "policy", 1, 'P' },	     { "source", 1, 's' },
	{ "destination", 1, 'd' },   { "src", 1, 's' },
	{ "dst", 1, 'd' },	     { "protocol", 1, 'p' },
	{ "in-interface", 1, 'i' },  { "jump", 1, 'j' },
	{ "table", 1, 't' },	     { "match", 1, 'm' },
	{ "numeric", 0, 'n' },	     { "out-interface", 1, 'o' },
	{ "verbose", 0, 'v' },	     { "wait", 2, 'w' },
	{ "wait-interval", 2, 'W' }, { "exact", 0, 'x' },
	{ "fragments", 0, 'f' },     { "version", 0, 'V' },
	{ "help", 2, 'h' },	     { "line-numbers", 0, '0' },
	{ "modprobe", 1, 'M' },	     { "set-counters", 1, 'c' },
	{ "goto", 1, 'g' },	     { "ipv4", 0, '4' },
	{ "ipv6", 0, '6' },
};

/* IPT_OPTSTRING: which short options take an argument. */
static int short_has_arg(char c)
{
	switch (c) {
	case 'A':
	case 'C':
	case 'D':
	case 'E':
	case 'I':
	case 'M':
	case 'N':
	case 'P':
	case 'R':
	case 'c':
	case 'd':
	case 'g':
	case 'i':
	case 'j':
	case 'm':
	case 'o':
	case 'p':
	case 's':
	case 't':
		return 1;
	case 'F':
	case 'L':
	case 'X':
	case 'Z':
	case 'h':
	case 'w':
	case 'W':
	case 'S':
		return 2;
	case 'f':
	case '4':
	case '6':
	case 'V':
	case 'v':
	case 'x':
	case 'n':
		return 0;
	default:
		return -1;
	}
}

struct lookup {
	const struct core_opt *core;
	const struct ipt_modopt *mopt;
	struct ipt_mod_inst *inst;
	struct ipt_tgt_inst *tinst; /* an option of the -j target */
};

static bool same_lookup(const struct lookup *a, const struct lookup *b)
{
	if (a->core || b->core)
		return a->core && b->core && a->core->val == b->core->val;
	return a->inst == b->inst && a->tinst == b->tinst &&
	       a->mopt->id == b->mopt->id;
}

/* State of one getopt_long()-style search: the candidate found by prefix
 * so far, and whether another, different option also had that prefix. */
struct long_search {
	const char *name;
	size_t len;
	bool exact; /* this pass accepts exact names only */
	bool have, ambiguous, found;
	struct lookup cand;
};

/* Offer option `optname` (reached as *l) to the search; an exact match
 * sets s->found (and is then in s->cand). */
static void offer(struct long_search *s, const char *optname,
		  const struct lookup *l)
{
	if (strncmp(optname, s->name, s->len) || (s->exact && optname[s->len]))
		return;
	if (s->exact) {
		s->cand = *l;
		s->found = true;
		return;
	}
	if (s->have && !same_lookup(&s->cand, l))
		s->ambiguous = true;
	s->cand = *l;
	s->have = true;
}

/* getopt_long(): an exact name wins; otherwise a unique prefix (several
 * prefixes naming the same option are fine). Options of every module
 * instance not superseded by a later one of the same name are visible, in
 * load order, as iptables merges them into its option table. */
static int lookup_long(struct ipt_rule_ctx *ctx, const char *name, size_t len,
		       struct lookup *out)
{
	struct long_search s = { .name = name, .len = len };

	for (int pass = 0; pass < 2 && !s.found; pass++) {
		s.exact = pass == 0;
		for (size_t i = 0; i < ARRAY_SIZE(core_opts) && !s.found; i++) {
			struct lookup l = { .core = &core_opts[i] };

			offer(&s, core_opts[i].name, &l);
		}
		for (size_t m = 0; m < ctx->n_mods && !s.found; m++) {
			struct ipt_mod_inst *inst = &ctx->mods[m];

			if (inst->completed)
				continue;
			for (const struct ipt_modopt *o = inst->mod->opts;
			     o->name && !s.found; o++) {
				struct lookup l = { .mopt = o, .inst = inst };

				offer(&s, o->name, &l);
			}
		}
		/* The target's options come last (loaded by -j). */
		for (const struct ipt_modopt *o =
			     ctx->tgt.tgt ? ctx->tgt.tgt->opts : NULL;
		     o && o->name && !s.found; o++) {
			struct lookup l = { .mopt = o, .tinst = &ctx->tgt };

			offer(&s, o->name, &l);
		}
	}
	if (!s.found && s.ambiguous)
		return -EINVAL;
	if (!s.found && !s.have)
		return -ENOENT;
	*out = s.cand;
	return 0;
}

static int set_option(struct ipt_rule_ctx *ctx, unsigned int opt,
		      const char *name, bool invert, bool invertible)
{
	if (ctx->options & opt) {
		ipt_err(ctx, "multiple %s flags not allowed", name);
		return -EINVAL;
	}
	ctx->options |= opt;
	if (invert && !invertible) {
		ipt_err(ctx, "cannot have ! before %s", name);
		return -EINVAL;
	}
	return 0;
}

static int load_module(struct ipt_rule_ctx *ctx, const struct ipt_module *mod)
{
	struct ipt_mod_inst *inst;

	if (ctx->n_mods >= IPT_MAX_MODS) {
		ipt_err(ctx, "too many matches in one rule");
		return -E2BIG;
	}
	if (mod->family >= 0 && (int)ctx->family != mod->family) {
		ipt_err(ctx, "match '%s' is not available for %s", mod->name,
			ctx->family == BF_FAMILY_INET4 ? "iptables" :
							 "ip6tables");
		return -EINVAL;
	}
	/* A new instance hides the options of the earlier ones
	 * (xtables_find_match() marks them completed). */
	for (size_t i = 0; i < ctx->n_mods; i++) {
		if (ctx->mods[i].mod == mod)
			ctx->mods[i].completed = true;
	}
	inst = &ctx->mods[ctx->n_mods++];
	memset(inst, 0, sizeof(*inst));
	inst->mod = mod;
	if (mod->id == IPT_MOD_TCP || mod->id == IPT_MOD_UDP) {
		inst->u.tcpudp.spts[1] = 0xffff;
		inst->u.tcpudp.dpts[1] = 0xffff;
	}
	if (mod->id >= IPT_MOD_EXT_FIRST || mod->id == IPT_MOD_CONNTRACK)
		ipt_ext_init(ctx, inst);
	return 0;
}

static int command_match(struct ipt_rule_ctx *ctx, const char *name,
			 bool invert)
{
	const struct ipt_module *mod;

	if (invert) {
		ipt_err(ctx, "unexpected ! flag before --match");
		return -EINVAL;
	}
	mod = ipt_module_find(name);
	if (!mod) {
		const char *why = ipt_unsupported_why(name, false);

		ipt_err(ctx, "match '%s' is not supported%s%s", name,
			why ? ": " : "", why ? why : "");
		return -EOPNOTSUPP;
	}
	return load_module(ctx, mod);
}

/* Protocols that have an iptables match module of the same name. */
static const char *const proto_modules_unsupported[] = {
	"sctp", "dccp", "udplite", "esp", "ah", "mh",
};

/* load_proto(): an option nobody knows, with -p set, loads the module
 * named after the protocol (once per rule). Returns 1 if loaded. */
static int load_proto(struct ipt_rule_ctx *ctx, const char *optname)
{
	const struct ipt_module *mod;
	const char *name = ctx->protocol;
	unsigned long long v;

	if (!ctx->has_proto || ctx->proto_used)
		return 0;
	ctx->proto_used = true;
	if (ipt_strtoui(name, 0, 255, 0, &v)) {
		name = ipt_proto_name((uint8_t)v);
		if (!name)
			return 0;
	}
	mod = ipt_module_find(name);
	if (!mod) {
		for (size_t i = 0; i < ARRAY_SIZE(proto_modules_unsupported);
		     i++) {
			if (strcmp(name, proto_modules_unsupported[i]) == 0) {
				const char *why =
					ipt_unsupported_why(name, false);

				ipt_err(ctx,
					"match '%s' is not supported (option "
					"\"%s\")%s%s",
					name, optname, why ? ": " : "",
					why ? why : "");
				return -EOPNOTSUPP;
			}
		}
		return 0;
	}
	/* The implicit module must exist for this family (icmp is IPv4). */
	if (mod->family >= 0 && (int)ctx->family != mod->family)
		return 0;
	return load_module(ctx, mod) ?: 1;
}

static int parse_iface(struct ipt_rule_ctx *ctx, const char *arg, char *out)
{
	size_t len = strlen(arg);

	if (!len) {
		ipt_err(ctx, "Empty interface is likely to be undesired");
		return -EINVAL;
	}
	if (len >= BF_IFNAMSIZ) {
		ipt_err(ctx,
			"interface name `%s' must be shorter than %d "
			"characters",
			arg, BF_IFNAMSIZ);
		return -EINVAL;
	}
	memcpy(out, arg, len + 1);
	return 0;
}

static int parse_counters(struct ipt_rule_ctx *ctx, const char *arg, int argc,
			  char **argv, int *idx)
{
	const char *bcnt = strchr(arg, ',');
	unsigned long long p, b;

	if (bcnt)
		bcnt++;
	else if (*idx < argc && argv[*idx][0] != '-' && argv[*idx][0] != '!')
		bcnt = argv[(*idx)++];
	if (!bcnt) {
		ipt_err(ctx, "--set-counters requires packet and byte counter");
		return -EINVAL;
	}
	/* sscanf("%llu") as iptables: leading digits are enough. */
	if (sscanf(arg, "%llu", &p) != 1) {
		ipt_err(ctx, "--set-counters packet counter not numeric");
		return -EINVAL;
	}
	if (sscanf(bcnt, "%llu", &b) != 1) {
		ipt_err(ctx, "--set-counters byte counter not numeric");
		return -EINVAL;
	}
	ctx->has_counters = true;
	ctx->counters.packets = p;
	ctx->counters.bytes = b;
	return 0;
}

static int add_command(struct ipt_rule_ctx *ctx, char cmd, bool invert)
{
	if (invert) {
		ipt_err(ctx, "unexpected '!' flag");
		return -EINVAL;
	}
	if (ctx->command) {
		ipt_err(ctx, "Cannot use -%c with -%c", cmd, ctx->command);
		return -EINVAL;
	}
	ctx->command = cmd;
	return 0;
}

static bool has_arg(int argc, char **argv, int idx)
{
	return idx < argc && argv[idx][0] != '-' && argv[idx][0] != '!';
}

static int core_option(struct ipt_rule_ctx *ctx, char c, const char *arg,
		       bool invert, int argc, char **argv, int *idx)
{
	unsigned long long v;
	int proto;

	switch (c) {
	case 'A':
		ctx->chain = arg;
		return add_command(ctx, 'A', invert);
	case 'I':
		ctx->chain = arg;
		ctx->rulenum = 1;
		if (has_arg(argc, argv, *idx)) {
			if (!ipt_strtoui(argv[*idx], 1, 0x7fffffff, 0, &v)) {
				ipt_err(ctx, "Invalid rule number `%s'",
					argv[*idx]);
				return -EINVAL;
			}
			ctx->rulenum = v;
			(*idx)++;
		}
		return add_command(ctx, 'I', invert);
	case 'N':
		ctx->chain = arg;
		if (ipt_check_chain_name(ctx->file, ctx->line, arg))
			return -EINVAL;
		return add_command(ctx, 'N', invert);
	case 'P':
		ctx->chain = arg;
		if (!has_arg(argc, argv, *idx)) {
			ipt_err(ctx, "-P requires a chain and a policy");
			return -EINVAL;
		}
		ctx->policy = argv[(*idx)++];
		return add_command(ctx, 'P', invert);
	case 'F':
	case 'X':
	case 'Z':
		/* Optional chain: attached, or the next word if it is not an
		 * option (as do_parse() does for -F/-X/-Z). */
		if (*arg)
			ctx->chain = arg;
		else if (has_arg(argc, argv, *idx))
			ctx->chain = argv[(*idx)++];
		return add_command(ctx, c, invert);
	case 'D':
	case 'C':
	case 'R':
	case 'L':
	case 'S':
	case 'E':
		ipt_err(ctx, "command -%c is not supported", c);
		return -EOPNOTSUPP;
	case 'p':
		if (set_option(ctx, OPT_PROTOCOL, "-p", invert, true))
			return -EINVAL;
		ctx->inv_p = invert;
		if (strlen(arg) >= sizeof(ctx->protocol)) {
			ipt_err(ctx, "unknown protocol \"%s\" specified", arg);
			return -EINVAL;
		}
		/* do_parse() lower-cases the protocol. */
		for (size_t i = 0; arg[i]; i++)
			ctx->protocol[i] = (char)tolower((unsigned char)arg[i]);
		ctx->protocol[strlen(arg)] = '\0';
		proto = ipt_parse_proto(ctx->protocol);
		if (proto < 0) {
			ipt_err(ctx, "unknown protocol \"%s\" specified", arg);
			return -EINVAL;
		}
		if (proto == 0 && invert) {
			ipt_err(ctx, "rule would never match protocol");
			return -EINVAL;
		}
		ctx->has_proto = true;
		ctx->proto = (uint8_t)proto;
		return 0;
	case 's':
		if (set_option(ctx, OPT_SOURCE, "-s", invert, true))
			return -EINVAL;
		ctx->inv_s = invert;
		ctx->saddr = arg;
		return 0;
	case 'd':
		if (set_option(ctx, OPT_DESTINATION, "-d", invert, true))
			return -EINVAL;
		ctx->inv_d = invert;
		ctx->daddr = arg;
		return 0;
	case 'i':
		if (!*arg) {
			ipt_err(ctx,
				"Empty interface is likely to be undesired");
			return -EINVAL;
		}
		if (set_option(ctx, OPT_VIANAMEIN, "-i", invert, true))
			return -EINVAL;
		ctx->inv_i = invert;
		return parse_iface(ctx, arg, ctx->iniface);
	case 'o':
		if (!*arg) {
			ipt_err(ctx,
				"Empty interface is likely to be undesired");
			return -EINVAL;
		}
		if (set_option(ctx, OPT_VIANAMEOUT, "-o", invert, true))
			return -EINVAL;
		ctx->inv_o = invert;
		return parse_iface(ctx, arg, ctx->outiface);
	case 'f':
		if (ctx->family == BF_FAMILY_INET6) {
			ipt_err(ctx, "`-f' is not supported in IPv6, use -m "
				     "frag instead");
			return -EINVAL;
		}
		if (set_option(ctx, OPT_FRAGMENT, "-f", invert, true))
			return -EINVAL;
		ctx->inv_f = invert;
		ctx->frag = true;
		return 0;
	case 'j':
	case 'g':
		if (set_option(ctx, OPT_JUMP, c == 'j' ? "-j" : "-g", invert,
			       false))
			return -EINVAL;
		if (!*arg) {
			ipt_err(ctx, "Invalid target name (too short)");
			return -EINVAL;
		}
		if (strlen(arg) > IPT_CHAIN_NAME_MAX) {
			ipt_err(ctx, "Invalid target name `%s' (%d chars max)",
				arg, IPT_CHAIN_NAME_MAX);
			return -EINVAL;
		}
		for (const char *p = arg; *p; p++) {
			if (isspace((unsigned char)*p)) {
				ipt_err(ctx, "Invalid target name `%s'", arg);
				return -EINVAL;
			}
		}
		ctx->tgt.tgt = ipt_target_find(arg);
		if (ctx->tgt.tgt) {
			if (c == 'g') {
				ipt_err(ctx,
					"-g needs a user-defined chain, "
					"not %s",
					arg);
				return -EINVAL;
			}
			if (ctx->tgt.tgt->family >= 0 &&
			    (int)ctx->family != ctx->tgt.tgt->family) {
				ipt_err(ctx,
					"target '%s' is not available for "
					"%s",
					arg,
					ctx->family == BF_FAMILY_INET4 ?
						"iptables" :
						"ip6tables");
				return -EINVAL;
			}
			ipt_target_init(ctx, &ctx->tgt);
		}
		/* An extension target loads its own options: say at once
		 * that it is out of scope, before its options confuse. */
		else if (ipt_is_known_target(arg) && strcmp(arg, "ACCEPT") &&
			 strcmp(arg, "DROP") && strcmp(arg, "RETURN")) {
			const char *why = ipt_unsupported_why(arg, true);

			ipt_err(ctx, "target '%s' is not supported%s%s", arg,
				why ? ": " : "", why ? why : "");
			return -EOPNOTSUPP;
		}
		ctx->target = arg;
		ctx->is_goto = c == 'g';
		return 0;
	case 'm':
		return command_match(ctx, arg, invert);
	case 'c':
		if (set_option(ctx, OPT_COUNTERS, "-c", invert, false))
			return -EINVAL;
		return parse_counters(ctx, arg, argc, argv, idx);
	case 't':
		if (invert) {
			ipt_err(ctx, "unexpected ! flag before --table");
			return -EINVAL;
		}
		if (ctx->restore) {
			ipt_err(ctx, "The -t option cannot be used in "
				     "iptables-restore.");
			return -EINVAL;
		}
		if (strcmp(arg, "filter") != 0) {
			ipt_err(ctx, "table '%s' is not supported", arg);
			return -EOPNOTSUPP;
		}
		return 0;
	case '4':
		if (ctx->family == BF_FAMILY_INET6) {
			if (!ctx->restore) {
				ipt_err(ctx, "-4 given to ip6tables");
				return -EINVAL;
			}
			ctx->skip = true;
		}
		return 0;
	case '6':
		if (ctx->family == BF_FAMILY_INET4) {
			if (!ctx->restore) {
				ipt_err(ctx, "-6 given to iptables");
				return -EINVAL;
			}
			ctx->skip = true;
		}
		return 0;
	case 'v':
	case 'n':
	case 'x':
		return 0;
	case 'w':
	case 'W':
		if (ctx->restore) {
			ipt_err(ctx,
				"You cannot use `-%c' from iptables-restore",
				c);
			return -EINVAL;
		}
		return 0;
	case 'M':
		return 0;
	case 'V':
	case 'h':
	case '0':
		ipt_err(ctx, "option -%c is not supported here", c);
		return -EOPNOTSUPP;
	}
	ipt_err(ctx, "unknown option \"-%c\"", c);
	return -EINVAL;
}

static int module_option(struct ipt_rule_ctx *ctx, const struct lookup *l,
			 const char *arg, bool invert, int argc, char **argv,
			 int *idx)
{
	const char *ext = l->tinst ? l->tinst->tgt->name : l->inst->mod->name;

	if (!l->mopt->supported) {
		ipt_err(ctx, "option \"--%s\" of %s '%s' is not supported",
			l->mopt->name, l->tinst ? "target" : "match", ext);
		return -EOPNOTSUPP;
	}
	/* xtables_option_parse(): XTOPT_INVERT missing. */
	if (invert && (l->mopt->no_invert || l->tinst)) {
		ipt_err(ctx, "%s: option \"--%s\" cannot be inverted.", ext,
			l->mopt->name);
		return -EINVAL;
	}
	if (l->tinst)
		return l->tinst->tgt->parse(ctx, l->tinst, l->mopt, arg,
					    invert);
	return l->inst->mod->parse(ctx, l->inst, l->mopt, arg, invert, argc,
				   argv, idx);
}

int ipt_parse_args(struct ipt_rule_ctx *ctx, int argc, char **argv)
{
	bool invert = false;
	int idx = 0;
	int r;

	while (idx < argc) {
		const char *tok = argv[idx++];

		if (strcmp(tok, "!") == 0) {
			if (invert) {
				ipt_err(ctx,
					"multiple consecutive ! not allowed");
				return -EINVAL;
			}
			invert = true;
			continue;
		}
		if (tok[0] == '-' && tok[1] == '-' && tok[2]) {
			const char *name = tok + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const char *arg = eq ? eq + 1 : NULL;
			struct lookup l;
			int has;

			r = lookup_long(ctx, name, len, &l);
			if (r == -ENOENT) {
				r = load_proto(ctx, tok);
				if (r < 0)
					return r;
				if (r > 0)
					r = lookup_long(ctx, name, len, &l);
				else
					r = -ENOENT;
			}
			if (r == -EINVAL) {
				ipt_err(ctx, "option '--%.*s' is ambiguous",
					(int)len, name);
				return r;
			}
			if (r) {
				ipt_err(ctx, "unknown option \"--%.*s\"",
					(int)len, name);
				return -EINVAL;
			}
			has = l.core ? l.core->has_arg : l.mopt->has_arg;
			if (has == 0 && eq) {
				ipt_err(ctx,
					"option '--%.*s' doesn't allow an "
					"argument",
					(int)len, name);
				return -EINVAL;
			}
			if (has == 1 && !arg) {
				if (idx >= argc) {
					ipt_err(ctx,
						"option \"--%.*s\" "
						"requires an argument",
						(int)len, name);
					return -EINVAL;
				}
				arg = argv[idx++];
			}
			if (l.core)
				r = core_option(ctx, l.core->val, arg ?: "",
						invert, argc, argv, &idx);
			else
				r = module_option(ctx, &l, arg ?: "", invert,
						  argc, argv, &idx);
			if (r)
				return r;
			if (ctx->skip)
				return 0;
			invert = false;
			continue;
		}
		if (tok[0] == '-' && tok[1] && tok[1] != '-') {
			/* A cluster of short options, the last one may take
			 * the rest of the word or the next word. */
			for (const char *p = tok + 1; *p; p++) {
				int has = short_has_arg(*p);
				const char *arg = NULL;

				if (has < 0) {
					ipt_err(ctx, "unknown option \"-%c\"",
						*p);
					return -EINVAL;
				}
				if (has == 1) {
					if (p[1])
						arg = p + 1;
					else if (idx < argc)
						arg = argv[idx++];
					else {
						ipt_err(ctx,
							"option \"-%c\" requires "
							"an argument",
							*p);
						return -EINVAL;
					}
				} else if (has == 2 && p[1]) {
					arg = p + 1;
				}
				r = core_option(ctx, *p, arg ?: "", invert,
						argc, argv, &idx);
				if (r)
					return r;
				/* -6 in iptables-restore: the line is not for
				 * us, whatever follows. */
				if (ctx->skip)
					return 0;
				invert = false;
				if (arg)
					break;
			}
			continue;
		}
		ipt_err(ctx, "Bad argument `%s'", tok);
		return -EINVAL;
	}
	if (invert) {
		ipt_err(ctx, "nothing appropriate following !");
		return -EINVAL;
	}
	if (!ctx->command) {
		ipt_err(ctx, "no command specified");
		return -EINVAL;
	}
	if (ctx->command != 'A' && ctx->command != 'I') {
		/* generic_opt_check(): -c goes with -P, nothing else with
		 * the chain commands. */
		if ((ctx->options &
		     ~(unsigned int)(ctx->command == 'P' ? OPT_COUNTERS : 0)) ||
		    ctx->n_mods) {
			ipt_err(ctx, "Illegal option with this command");
			return -EINVAL;
		}
		return 0;
	}
	for (size_t i = 0; i < ctx->n_mods; i++) {
		r = ctx->mods[i].mod->final(ctx, &ctx->mods[i]);
		if (r)
			return r;
	}
	if (ctx->tgt.tgt) {
		r = ctx->tgt.tgt->final(ctx, &ctx->tgt);
		if (r)
			return r;
	}
	if (strlen(ctx->chain) > IPT_CHAIN_NAME_MAX) {
		ipt_err(ctx,
			"chain name `%s' too long (must be under %d chars)",
			ctx->chain, IPT_CHAIN_NAME_MAX + 1);
		return -EINVAL;
	}
	/* Generic checks of do_parse(): the interface a hook cannot see. */
	if (strcmp(ctx->chain, "INPUT") == 0 &&
	    (ctx->options & OPT_VIANAMEOUT)) {
		/* iptables' text ends with "\n": an empty line follows
		 * (not in a file's error, "FILE:LINE: ...") */
		ipt_err(ctx, "Can't use -o with INPUT%s",
			ctx->line ? "" : "\n");
		return -EINVAL;
	}
	if (strcmp(ctx->chain, "OUTPUT") == 0 &&
	    (ctx->options & OPT_VIANAMEIN)) {
		ipt_err(ctx, "Can't use -i with OUTPUT%s",
			ctx->line ? "" : "\n");
		return -EINVAL;
	}
	return 0;
}

int ipt_check_chain_name(const char *file, int line, const char *name)
{
	if (strlen(name) > IPT_CHAIN_NAME_MAX) {
		bf_log_at(BF_LOG_ERROR, file, line, 0,
			  "chain name `%s' too long (must be under %d chars)",
			  name, IPT_CHAIN_NAME_MAX + 1);
		return -EINVAL;
	}
	if (!*name) {
		bf_log_at(BF_LOG_ERROR, file, line, 0, "empty chain name");
		return -EINVAL;
	}
	if (*name == '-' || *name == '!') {
		bf_log_at(BF_LOG_ERROR, file, line, 0,
			  "chain name not allowed to start with `%c'", *name);
		return -EINVAL;
	}
	if (ipt_is_known_target(name)) {
		bf_log_at(BF_LOG_ERROR, file, line, 0,
			  "chain name `%s' may not clash with target name",
			  name);
		return -EINVAL;
	}
	for (const char *p = name; *p; p++) {
		if (isspace((unsigned char)*p)) {
			bf_log_at(BF_LOG_ERROR, file, line, 0,
				  "Invalid chain name `%s'", name);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- addresses ---- */

struct addr {
	uint8_t a[16], m[16];
};

static bool parse_mask(enum bf_family f, const char *s, uint8_t m[16])
{
	unsigned long long bits;
	unsigned int max = f == BF_FAMILY_INET4 ? 32 : 128;

	memset(m, 0, 16);
	if (!s) {
		memset(m, 0xff, max / 8);
		return true;
	}
	if (f == BF_FAMILY_INET4 && strchr(s, '.')) {
		int dots = 0;

		/* A dotted mask needs all four numbers (is_mask in
		 * __numeric_to_ipaddr()). */
		for (const char *p = s; *p; p++)
			dots += *p == '.';
		return dots == 3 && ipt_parse_ip4(s, m);
	}
	if (f == BF_FAMILY_INET6 && strchr(s, ':'))
		return ipt_parse_ip6(s, m);
	if (!ipt_strtoui(s, 0, max, 0, &bits))
		return false;
	for (unsigned int i = 0; i < bits; i++)
		m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	return true;
}

/* xtables_ipparse_multiple() / xtables_ip6parse_multiple(): a comma list
 * of ADDR[/MASK], each masked. Host names are not resolved (iptables
 * would ask the resolver at load time): they are an error here. */
static int parse_addrs(struct ipt_rule_ctx *ctx, const char *opt,
		       const char *spec, struct addr *out, size_t *n)
{
	char buf[256];
	const char *p = spec;
	enum bf_family f = ctx->family;

	*n = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *slash;
		struct addr *a;
		bool zero_mask;

		if (!len || len >= sizeof(buf)) {
			ipt_err(ctx, "bad address list `%s' for %s", spec, opt);
			return -EINVAL;
		}
		if (*n >= IPT_MAX_ADDRS) {
			ipt_err(ctx, "too many addresses for %s", opt);
			return -E2BIG;
		}
		a = &out[(*n)++];
		memcpy(buf, p, len);
		buf[len] = '\0';
		slash = strrchr(buf, '/');
		if (slash)
			*slash++ = '\0';
		if (!parse_mask(f, slash, a->m)) {
			ipt_err(ctx, "invalid mask `%s' specified", slash);
			return -EINVAL;
		}
		zero_mask = true;
		for (int i = 0; i < 16; i++)
			zero_mask &= a->m[i] == 0;
		memset(a->a, 0, 16);
		/* "any/0": with a null mask the name is ignored. */
		if (!zero_mask &&
		    !(f == BF_FAMILY_INET4 ? ipt_parse_ip4(buf, a->a) :
					     ipt_parse_ip6(buf, a->a))) {
			ipt_err(ctx,
				"host/network `%s' not found (host names "
				"are not supported, use addresses)",
				buf);
			return -EINVAL;
		}
		for (int i = 0; i < 16; i++)
			a->a[i] &= a->m[i];
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int add_core(struct bf_rule *rule, struct bf_match *m, int line)
{
	m->origin.module = IPT_MOD_CORE;
	m->origin.instance = 0;
	m->line = line;
	return bf_rule_add_match(rule, m);
}

static int add_addr(struct bf_rule *rule, enum bf_match_type type,
		    const struct addr *a, bool neg, int line)
{
	struct bf_match m = { .type = type, .neg = neg };
	bool zero_mask = true;

	for (int i = 0; i < 16; i++)
		zero_mask &= a->m[i] == 0;
	/* A /0 address matches everything: nothing to test. */
	if (zero_mask && !neg)
		return 0;
	memcpy(m.u.addr.addr, a->a, 16);
	memcpy(m.u.addr.mask, a->m, 16);
	return add_core(rule, &m, line);
}

static int add_iface(struct bf_rule *rule, enum bf_match_type type,
		     const char *name, bool neg, int line)
{
	struct bf_match m = { .type = type, .neg = neg };
	size_t len = strlen(name);

	if (!len)
		return 0;
	/* "+" matches every interface: iptables-save drops it too. */
	if (strcmp(name, "+") == 0 && !neg)
		return 0;
	memcpy(m.u.iface.name, name, len + 1);
	/* iface_to_mask(): a trailing '+' compares the bytes before it,
	 * otherwise the name and its NUL. */
	m.u.iface.cmp_len = (uint8_t)(name[len - 1] == '+' ? len - 1 : len + 1);
	return add_core(rule, &m, line);
}

static int build_one(struct ipt_rule_ctx *ctx, const struct addr *s,
		     const struct addr *d, struct bf_rule *rule)
{
	int r;

	memset(rule, 0, sizeof(*rule));
	rule->family = ctx->family;
	rule->line = ctx->line;
	rule->counter = ctx->counters;
	rule->verdict.kind = ctx->verdict;
	if (ctx->tgt.tgt) {
		rule->verdict = ctx->tgt.v;
		rule->verdict.kind = ctx->tgt.tgt->kind;
	}
	if (ctx->verdict == BF_VERDICT_JUMP || ctx->verdict == BF_VERDICT_GOTO)
		strcpy(rule->verdict.chain, ctx->target);

	/* Kernel order: ip_packet_match() / ip6_packet_match() test the
	 * addresses, interfaces, protocol and fragment flag, then the
	 * matches run in rule order. */
	r = add_addr(rule, BF_MATCH_SADDR, s, ctx->inv_s, ctx->line);
	if (!r)
		r = add_addr(rule, BF_MATCH_DADDR, d, ctx->inv_d, ctx->line);
	if (!r)
		r = add_iface(rule, BF_MATCH_IIFNAME, ctx->iniface, ctx->inv_i,
			      ctx->line);
	if (!r)
		r = add_iface(rule, BF_MATCH_OIFNAME, ctx->outiface, ctx->inv_o,
			      ctx->line);
	/* ip_packet_match() skips protocol 0; ip6tables always sets
	 * IP6T_F_PROTO with -p (ipv6_proto_parse()), so `-p all` still
	 * walks the extension headers on IPv6. */
	if (!r && ctx->has_proto &&
	    (ctx->proto != 0 || ctx->family == BF_FAMILY_INET6)) {
		struct bf_match m = { .type = BF_MATCH_L4PROTO,
				      .neg = ctx->inv_p };

		m.u.proto = ctx->proto;
		r = add_core(rule, &m, ctx->line);
	}
	if (!r && ctx->frag) {
		struct bf_match m = { .type = BF_MATCH_FRAG,
				      .neg = ctx->inv_f };

		r = add_core(rule, &m, ctx->line);
	}
	for (size_t i = 0; !r && i < ctx->n_mods; i++)
		r = ctx->mods[i].mod->emit(ctx, &ctx->mods[i], rule,
					   (uint16_t)i);
	if (r)
		bf_rule_release(rule);
	return r;
}

int ipt_build_rules(struct ipt_rule_ctx *ctx, struct bf_rule **rules,
		    size_t *n_rules)
{
	static const char *const any[BF_FAMILY_COUNT] = { "0.0.0.0/0", "::/0" };
	_cleanup_free_ struct addr *s = NULL;
	_cleanup_free_ struct addr *d = NULL;
	struct bf_rule *out;
	size_t ns, nd, n = 0;
	int r;

	s = calloc(IPT_MAX_ADDRS, sizeof(*s));
	d = calloc(IPT_MAX_ADDRS, sizeof(*d));
	if (!s || !d)
		return -ENOMEM;
	r = parse_addrs(ctx, "-s", ctx->saddr ?: any[ctx->family], s, &ns);
	if (!r)
		r = parse_addrs(ctx, "-d", ctx->daddr ?: any[ctx->family], d,
				&nd);
	if (r)
		return r;
	if ((ns > 1 || nd > 1) && (ctx->inv_s || ctx->inv_d)) {
		ipt_err(ctx, "! not allowed with multiple source or "
			     "destination IP addresses");
		return -EINVAL;
	}
	/* iptables-nft refuses what can never match: `! -s x/0`. */
	for (size_t i = 0; i < ns && ctx->inv_s; i++) {
		bool z = true;

		for (int k = 0; k < 16; k++)
			z &= s[i].m[k] == 0;
		if (z) {
			ipt_err(ctx, "! -s with a /0 mask never matches");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < nd && ctx->inv_d; i++) {
		bool z = true;

		for (int k = 0; k < 16; k++)
			z &= d[i].m[k] == 0;
		if (z) {
			ipt_err(ctx, "! -d with a /0 mask never matches");
			return -EINVAL;
		}
	}

	out = calloc(ns * nd, sizeof(*out));
	if (!out)
		return -ENOMEM;
	/* The product source x destination, sources outermost, as
	 * append_entry() / add_entry() loop. */
	for (size_t i = 0; i < ns; i++) {
		for (size_t j = 0; j < nd; j++) {
			r = build_one(ctx, &s[i], &d[j], &out[n]);
			if (r)
				goto err;
			n++;
		}
	}
	*rules = out;
	*n_rules = n;
	return 0;
err:
	while (n)
		bf_rule_release(&out[--n]);
	free(out);
	return r;
}
