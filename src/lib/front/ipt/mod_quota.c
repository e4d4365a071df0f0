// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m quota (libxt_quota.c; the kernel's quota_mt() in
 * net/netfilter/xt_quota.c): [!] --quota BYTES, one BF_MATCH_QUOTA
 * (cgen/m_quota.c). iptables-save prints " [!] --quota N".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

const struct ipt_modopt ipt_quota_opts[] = {
	{ "quota", 1, 0, true, false },
	{ NULL },
};

int ipt_quota_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		    const struct ipt_modopt *opt, const char *arg, bool inv,
		    int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long v;

	if (inst->seen) {
		ipt_err(ctx, "quota: --quota can only be used once");
		return -EINVAL;
	}
	inst->seen = 1;
	/* xtables_strtoul(): base 0, the whole u64 range */
	if (!ipt_strtoui(arg, 0, UINT64_MAX, 0, &v)) {
		ipt_err(ctx, "quota: bad value for option \"--quota\": \"%s\"",
			arg);
		return -EINVAL;
	}
	m->type = BF_MATCH_QUOTA;
	m->neg = false;
	m->u.quota.bytes = v;
	m->u.quota.invert = inv;
	return 0;
}

int ipt_quota_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "quota: --quota is required");
		return -EINVAL;
	}
	return 0;
}

void ipt_quota_print(FILE *out, const struct bf_rule *rule,
		     const struct bf_match *m)
{
	fprintf(out, "%s --quota %" PRIu64, m->u.quota.invert ? " !" : "",
		m->u.quota.bytes);
}
