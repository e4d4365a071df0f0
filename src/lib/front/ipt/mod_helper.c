// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m helper (libxt_helper.c; the kernel's helper_mt() in
 * net/netfilter/xt_helper.c): one BF_MATCH_HELPER, the name as struct
 * xt_helper_info keeps it (xtopt_parse_string() cuts it to 29 bytes),
 * `!` in `neg`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

/* --helper-nft (bpfilter's, after --helper): nft's `ct helper`, the
 * whole name compared and nothing matched without a helper */
const struct ipt_modopt ipt_helper_opts[] = {
	{ "helper", 1, 0, true, false },
	{ "helper-nft", 0, 1, true, true },
	{ NULL },
};

int ipt_helper_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	size_t n = strlen(arg);

	(void)argc;
	(void)argv;
	(void)idx;
	if (opt->id == 1) {
		if (m->u.helper.name[0] && strlen(m->u.helper.name) >= 16) {
			ipt_err(ctx, "helper: --helper-nft names have at most "
				     "15 characters");
			return -EINVAL;
		}
		m->u.helper.nft = true;
		inst->seen |= 2;
		return 0;
	}
	if (inst->seen & 1) {
		ipt_err(ctx, "helper: option \"--%s\" can only be used once.",
			opt->name);
		return -EINVAL;
	}
	inst->seen |= 1;
	if (n >= sizeof(m->u.helper.name))
		n = sizeof(m->u.helper.name) - 1;
	memset(m->u.helper.name, 0, sizeof(m->u.helper.name));
	memcpy(m->u.helper.name, arg, n);
	m->neg = inv;
	return 0;
}

int ipt_helper_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (inst->seen & 1)
		return 0;
	ipt_err(ctx, "helper: option \"--helper\" must be specified");
	return -EINVAL;
}

void ipt_helper_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m)
{
	char name[sizeof(m->u.helper.name) + 1];

	(void)rule;
	memcpy(name, m->u.helper.name, sizeof(m->u.helper.name));
	name[sizeof(m->u.helper.name)] = '\0';
	fprintf(out, "%s --helper", m->neg ? " !" : "");
	ipt_print_save_string(out, name);
	if (m->u.helper.nft)
		fputs(" --helper-nft", out);
}
