// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m connbytes (libxt_connbytes.c; the kernel's connbytes_mt() in
 * net/netfilter/xt_connbytes.c): one BF_MATCH_CONNBYTES, struct
 * xt_connbytes_info as iptables 1.8.9 fills it: `! --connbytes A:B`
 * swaps the bounds (from B, to A), which the kernel reads as "outside".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	CB_COUNT,
	CB_DIR,
	CB_MODE,
};

const struct ipt_modopt ipt_connbytes_opts[] = {
	{ "connbytes", 1, CB_COUNT, true, false },
	{ "connbytes-dir", 1, CB_DIR, true, true },
	{ "connbytes-mode", 1, CB_MODE, true, true },
	{ NULL },
};

static const char *const dirs[] = { "original", "reply", "both" };
static const char *const modes[] = { "packets", "bytes", "avgpkt" };

/* xtopt_parse_mint() for XTTYPE_UINT64RC: "A", "A:B", ":B", "A:" */
static bool parse_range(const char *arg, uint64_t *lo, uint64_t *hi,
			const char **near)
{
	const char *colon = strchr(arg, ':');
	unsigned long long v;
	char buf[64];

	*lo = 0;
	*hi = UINT64_MAX;
	*near = arg;
	if (strlen(arg) >= sizeof(buf))
		return false;
	strcpy(buf, arg);
	if (colon)
		buf[colon - arg] = '\0';
	if (buf[0]) {
		if (!ipt_strtoui(buf, 0, UINT64_MAX, 0, &v))
			return false;
		*lo = v;
	}
	if (colon && colon[1]) {
		*near = colon + 1;
		if (!ipt_strtoui(colon + 1, 0, UINT64_MAX, 0, &v))
			return false;
		*hi = v;
	}
	return true;
}

int ipt_connbytes_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			const struct ipt_modopt *opt, const char *arg, bool inv,
			int argc, char **argv, int *idx)
{
	typeof(inst->u.ext.m.u.connbytes) *cb = &inst->u.ext.m.u.connbytes;
	const char *near;
	uint64_t lo, hi;
	size_t i;

	(void)argc;
	(void)argv;
	(void)idx;
	if (inst->seen & (1u << opt->id)) {
		ipt_err(ctx,
			"connbytes: option \"--%s\" can only be used once.",
			opt->name);
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	switch (opt->id) {
	case CB_COUNT:
		if (!parse_range(arg, &lo, &hi, &near)) {
			ipt_err(ctx,
				"connbytes: bad value for option "
				"\"--connbytes\" near \"%s\", or out of range "
				"(0-18446744073709551615).",
				near);
			return -EINVAL;
		}
		if (hi < lo) {
			ipt_err(ctx, "%llu should be less than %llu",
				(unsigned long long)lo, (unsigned long long)hi);
			return -EINVAL;
		}
		cb->from = inv ? hi : lo;
		cb->to = inv ? lo : hi;
		return 0;
	case CB_DIR:
	case CB_MODE: {
		const char *const *names = opt->id == CB_DIR ? dirs : modes;

		for (i = 0; i < 3; i++) {
			if (!strcmp(arg, names[i]))
				break;
		}
		if (i == 3) {
			ipt_err(ctx, "Unknown --%s `%s'", opt->name, arg);
			return -EINVAL;
		}
		if (opt->id == CB_DIR)
			cb->dir = (uint8_t)i;
		else
			cb->what = (uint8_t)i;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

int ipt_connbytes_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	/* XTOPT_MAND, in the options' order */
	for (int id = CB_COUNT; id <= CB_MODE; id++) {
		if (!(inst->seen & (1u << id))) {
			ipt_err(ctx,
				"connbytes: option \"--%s\" must be specified",
				ipt_connbytes_opts[id].name);
			return -EINVAL;
		}
	}
	return 0;
}

/* connbytes_save() */
void ipt_connbytes_print(FILE *out, const struct bf_rule *rule,
			 const struct bf_match *m)
{
	const typeof(m->u.connbytes) *cb = &m->u.connbytes;

	(void)rule;
	if (cb->from > cb->to) {
		fprintf(out, " ! --connbytes %llu", (unsigned long long)cb->to);
		if (cb->from != UINT64_MAX)
			fprintf(out, ":%llu", (unsigned long long)cb->from);
	} else {
		fprintf(out, " --connbytes %llu", (unsigned long long)cb->from);
		if (cb->to != UINT64_MAX)
			fprintf(out, ":%llu", (unsigned long long)cb->to);
	}
	fprintf(out, " --connbytes-mode %s",
		cb->what < 3 ? modes[cb->what] : "unknown");
	fprintf(out, " --connbytes-dir %s",
		cb->dir < 3 ? dirs[cb->dir] : "unknown");
}
