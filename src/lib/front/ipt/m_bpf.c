// SPDX-License-Identifier: GPL-2.0-only
/*
 * iptables `-m bpf` (libxt_bpf, xt_bpf revision 1) and bpfilter's own
 * user BPF code: `-m bpf --object FILE.o [--section NAME]` and
 * `-j BPF --object FILE.o [--section NAME]` (include/bpfilter/userbpf.h,
 * doc/user-matches.md).
 *
 * The description of the code is interned in the userbpf table while the
 * options are parsed (each option re-interns the updated description);
 * the IR only holds the reference.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/log.h"
#include "bpfilter/userbpf.h"
#include "front/ipt/ipt.h"

enum {
	BPF_O_BYTECODE = 0,
	BPF_O_PINNED,
	BPF_O_OBJECT,
	BPF_O_SECTION,
};

const struct ipt_modopt ipt_bpf_opts[] = {
	{ "bytecode", 1, BPF_O_BYTECODE, true, true },
	{ "object-pinned", 1, BPF_O_PINNED, true, true },
	{ "object", 1, BPF_O_OBJECT, true, false },
	{ "section", 1, BPF_O_SECTION, true, true },
	{ NULL },
};

const struct ipt_modopt ipt_bpf_tg_opts[] = {
	{ "object", 1, BPF_O_OBJECT, true, true },
	{ "section", 1, BPF_O_SECTION, true, true },
	{ NULL },
};

/* Apply one option to the description behind *ref (seen says whether
 * there is one yet) and intern the result into *ref. */
static int update(struct ipt_rule_ctx *ctx, const char *what, uint32_t *ref,
		  unsigned int *seen, const struct ipt_modopt *opt,
		  const char *arg)
{
	static struct bf_userbpf u; /* large: not on the stack */
	const struct bf_userbpf *cur = *seen ? bf_userbpf_get(*ref) : NULL;
	const char *why = NULL;
	int r;

	if (*seen & (1u << opt->id)) {
		ipt_err(ctx,
			"%s: \"--%s\" option cannot be used more than "
			"once",
			what, opt->name);
		return -EINVAL;
	}
	if (cur)
		u = *cur;
	else
		memset(&u, 0, sizeof(u));
	switch (opt->id) {
	case BPF_O_BYTECODE:
		r = bf_cbpf_parse(arg, &u, &why);
		if (r) {
			ipt_err(ctx, "%s: bad --bytecode \"%s\": %s", what, arg,
				why);
			return r;
		}
		break;
	case BPF_O_PINNED:
	case BPF_O_OBJECT:
		if (!*arg || strlen(arg) >= sizeof(u.path)) {
			ipt_err(ctx, "%s: bad path for \"--%s\"", what,
				opt->name);
			return -EINVAL;
		}
		u.kind = opt->id == BPF_O_PINNED ? BF_USERBPF_PINNED :
						   BF_USERBPF_OBJECT;
		snprintf(u.path, sizeof(u.path), "%s", arg);
		break;
	default:
		if (!*arg || strlen(arg) >= sizeof(u.section)) {
			ipt_err(ctx, "%s: bad section name for \"--section\"",
				what);
			return -EINVAL;
		}
		snprintf(u.section, sizeof(u.section), "%s", arg);
		break;
	}
	*seen |= 1u << opt->id;
	r = bf_userbpf_intern(&u, ref);
	if (r == -ENOSPC)
		ipt_err(ctx,
			"%s: too many distinct user BPF programs (at most "
			"%d)",
			what, BF_USERBPF_MAX_REFS);
	else if (r)
		ipt_err(ctx, "%s: %s", what, strerror(-r));
	return r;
}

int ipt_bpf_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;

	if (opt->id == BPF_O_OBJECT)
		m->neg = inv;
	return update(ctx, "bpf", &m->u.bpf.ref, &inst->seen, opt, arg);
}

/* Exactly one of --bytecode, --object-pinned and --object; --section
 * only with --object. */
static int check_mode(struct ipt_rule_ctx *ctx, const char *what,
		      unsigned int seen)
{
	unsigned int modes = seen &
			     ((1u << BPF_O_BYTECODE) | (1u << BPF_O_PINNED) |
			      (1u << BPF_O_OBJECT));

	if (!modes) {
		ipt_err(ctx,
			"%s: one of --bytecode, --object-pinned and "
			"--object must be specified",
			what);
		return -EINVAL;
	}
	if (modes & (modes - 1)) {
		ipt_err(ctx,
			"%s: --bytecode, --object-pinned and --object "
			"are mutually exclusive",
			what);
		return -EINVAL;
	}
	if ((seen & (1u << BPF_O_SECTION)) && !(seen & (1u << BPF_O_OBJECT))) {
		ipt_err(ctx, "%s: --section needs --object", what);
		return -EINVAL;
	}
	return 0;
}

int ipt_bpf_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	return check_mode(ctx, "bpf", inst->seen);
}

static void print_ref(FILE *out, uint32_t ref, bool neg)
{
	const struct bf_userbpf *u = bf_userbpf_get(ref);
	char buf[BF_USERBPF_CBPF_MAX * 32 + 8];
	size_t len;

	if (!u) {
		fputs(" --object \"?\"", out);
		return;
	}
	switch (u->kind) {
	case BF_USERBPF_BYTECODE:
		len = (size_t)snprintf(buf, sizeof(buf), "%u", u->n_insns);
		for (size_t i = 0; i < u->n_insns && len < sizeof(buf); i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						",%u %u %u %u",
						u->insns[i].code,
						u->insns[i].jt, u->insns[i].jf,
						u->insns[i].k);
		fputs(" --bytecode", out);
		ipt_print_save_string(out, buf);
		break;
	case BF_USERBPF_PINNED:
		fputs(" --object-pinned", out);
		ipt_print_save_string(out, u->path);
		break;
	default:
		fprintf(out, "%s --object", neg ? " !" : "");
		ipt_print_save_string(out, u->path);
		if (u->section[0]) {
			fputs(" --section", out);
			ipt_print_save_string(out, u->section);
		}
		break;
	}
}

void ipt_bpf_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m)
{
	print_ref(out, m->u.bpf.ref, m->neg);
}

int ipt_bpf_tg_parse(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv)
{
	return update(ctx, "BPF", &inst->v.u.bpf.ref, &inst->seen, opt, arg);
}

int ipt_bpf_tg_final(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst)
{
	if (!(inst->seen & (1u << BPF_O_OBJECT))) {
		ipt_err(ctx, "BPF target: option \"--object\" must be "
			     "specified");
		return -EINVAL;
	}
	return check_mode(ctx, "BPF", inst->seen);
}

void ipt_bpf_tg_print(FILE *out, const struct bf_rule *rule)
{
	print_ref(out, rule->verdict.u.bpf.ref, false);
}
