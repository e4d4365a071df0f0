// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m ecn and, at the end, -m esp.
 *
 * -m ecn (libxt_ecn.c; the kernel's ecn_mt4(), ecn_mt6() and their checks
 * in net/netfilter/xt_ecn.c): one BF_MATCH_ECN per instance, each option
 * inverted on its own (u.ecn.invert, XT_ECN_OP_MATCH_* bits), as
 * struct xt_ecn_info keeps them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	ECN_CWR,
	ECN_ECE,
	ECN_IP_ECT,
};

const struct ipt_modopt ipt_ecn_opts[] = {
	{ "ecn-tcp-cwr", 0, ECN_CWR, true, false },
	{ "ecn-tcp-ece", 0, ECN_ECE, true, false },
	{ "ecn-ip-ect", 1, ECN_IP_ECT, true, false },
	{ NULL },
};

int ipt_ecn_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long v;
	uint8_t bit;

	(void)argc;
	(void)argv;
	(void)idx;
	if (inst->seen & (1u << opt->id)) {
		ipt_err(ctx, "ecn: option \"--%s\" can only be used once.",
			opt->name);
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	switch (opt->id) {
	case ECN_CWR:
		bit = BF_ECN_CWR;
		break;
	case ECN_ECE:
		bit = BF_ECN_ECE;
		break;
	default:
		/* XTTYPE_UINT8 with max 3 */
		if (!ipt_strtoui(arg, 0, 3, 0, &v)) {
			ipt_err(ctx,
				"ecn: bad value for option \"--ecn-ip-ect\", "
				"or out of range (0-3).");
			return -EINVAL;
		}
		m->u.ecn.ip_ect = (uint8_t)v;
		bit = BF_ECN_IP;
		break;
	}
	m->u.ecn.operation |= bit;
	if (inv)
		m->u.ecn.invert |= bit;
	return 0;
}

int ipt_ecn_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	const struct bf_match *m = &inst->u.ext.m;

	if (!inst->seen) {
		ipt_err(ctx, "ECN match: some option required");
		return -EINVAL;
	}
	/* ecn_mt_check4() / ecn_mt_check6(): the TCP bits only in a rule
	 * for -p tcp without `!' */
	if ((m->u.ecn.operation & (BF_ECN_ECE | BF_ECN_CWR)) &&
	    !(ctx->has_proto && ctx->proto == 6 && !ctx->inv_p)) {
		ipt_err(ctx, "ecn: --ecn-tcp-cwr and --ecn-tcp-ece need `-p "
			     "tcp' (without `!'): the kernel refuses them in "
			     "other rules (ecn_mt_check4())");
		return -EINVAL;
	}
	return 0;
}

/* ecn_save(): ECE, CWR, then the IP field, each with its `!' */
void ipt_ecn_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m)
{
	uint8_t op = m->u.ecn.operation, inv = m->u.ecn.invert;

	(void)rule;
	if (op & BF_ECN_ECE)
		fprintf(out, "%s --ecn-tcp-ece", inv & BF_ECN_ECE ? " !" : "");
	if (op & BF_ECN_CWR)
		fprintf(out, "%s --ecn-tcp-cwr", inv & BF_ECN_CWR ? " !" : "");
	if (op & BF_ECN_IP)
		fprintf(out, "%s --ecn-ip-ect %u", inv & BF_ECN_IP ? " !" : "",
			m->u.ecn.ip_ect);
}

/* ---- -m esp (libxt_esp.c; esp_mt() and esp_mt_check() in
 * net/netfilter/xt_esp.c): one BF_MATCH_ESP, `neg` for `!` ---- */

const struct ipt_modopt ipt_esp_opts[] = {
	{ "espspi", 1, 0, true, false },
	{ NULL },
};

int ipt_esp_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;

	(void)argc;
	(void)argv;
	(void)idx;
	if (inst->seen) {
		ipt_err(ctx, "esp: option \"--%s\" can only be used once.",
			opt->name);
		return -EINVAL;
	}
	inst->seen = 1;
	if (!ipt_u32_range(arg, &m->u.spi.lo, &m->u.spi.hi)) {
		ipt_err(ctx, "esp: bad value for option \"--espspi\", or out "
			     "of range (0-4294967295).");
		return -EINVAL;
	}
	m->neg = inv;
	return 0;
}

int ipt_esp_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	struct bf_match *m = &inst->u.ext.m;

	/* esp_init(): every SPI when --espspi is not given */
	if (!inst->seen)
		m->u.spi.hi = UINT32_MAX;
	/* xt_esp is registered for IPPROTO_ESP (xt_check_match()) */
	if (ctx->has_proto && ctx->proto == 50 && !ctx->inv_p)
		return 0;
	ipt_err(ctx, "match 'esp' needs `-p esp' (without `!')");
	return -EINVAL;
}

/* esp_save() (iptables 1.8.10 and later: an inverted full range is
 * printed too; 1.8.9 leaves it out, losing the `!') */
void ipt_esp_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m)
{
	(void)rule;
	if (m->u.spi.lo == 0 && m->u.spi.hi == UINT32_MAX && !m->neg)
		return;
	fprintf(out, "%s --espspi ", m->neg ? " !" : "");
	if (m->u.spi.lo != m->u.spi.hi)
		fprintf(out, "%u:%u", m->u.spi.lo, m->u.spi.hi);
	else
		fprintf(out, "%u", m->u.spi.lo);
}
