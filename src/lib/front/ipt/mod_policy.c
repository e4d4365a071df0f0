// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m policy (libxt_policy.c; the kernel's policy_mt() in
 * net/netfilter/xt_policy.c): one BF_MATCH_POLICY per instance, the
 * struct xt_policy_info the kernel gets. Options up to --next describe
 * element len; policy_check() counts the last element (--pol ipsec).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

#define IPPROTO_AH_ 51
#define IPPROTO_ESP_ 50
#define IPPROTO_COMP_ 108

enum {
	POL_DIR,
	POL_POL,
	POL_STRICT,
	POL_REQID,
	POL_SPI,
	POL_PROTO,
	POL_MODE,
	POL_TSRC,
	POL_TDST,
	POL_NEXT,
};

/* libxt_policy of iptables 1.8.9: --dir cannot be inverted (later
 * versions accept and ignore a `!` before it) */
const struct ipt_modopt ipt_policy_opts[] = {
	{ "dir", 1, POL_DIR, true, true },
	{ "pol", 1, POL_POL, true, true },
	{ "strict", 0, POL_STRICT, true, true },
	{ "reqid", 1, POL_REQID, true, false },
	{ "spi", 1, POL_SPI, true, false },
	{ "proto", 1, POL_PROTO, true, false },
	{ "mode", 1, POL_MODE, true, false },
	{ "tunnel-src", 1, POL_TSRC, true, false },
	{ "tunnel-dst", 1, POL_TDST, true, false },
	{ "next", 0, POL_NEXT, true, true },
	{ NULL },
};

static int dup_err(struct ipt_rule_ctx *ctx, const char *name)
{
	ipt_err(ctx, "policy match: double --%s option", name);
	return -EINVAL;
}

int ipt_policy_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx)
{
	typeof(inst->u.ext.m.u.policy) *p = &inst->u.ext.m.u.policy;
	typeof(p->pol[0]) *el;
	unsigned long long v;
	int proto;

	(void)argc;
	(void)argv;
	(void)idx;
	if (p->len >= BF_POLICY_MAX_ELEM)
		return -EINVAL;
	el = &p->pol[p->len];
	/* xtables_option_parse(): options without XTOPT_MULTI once */
	if (opt->id <= POL_STRICT) {
		if (inst->seen & (1u << opt->id)) {
			ipt_err(ctx,
				"policy: option \"--%s\" can only be used "
				"once.",
				opt->name);
			return -EINVAL;
		}
	}
	inst->seen |= 1u << opt->id;
	switch (opt->id) {
	case POL_DIR:
		if (!strcmp(arg, "in")) {
			p->flags |= BF_POLICY_IN;
		} else if (!strcmp(arg, "out")) {
			p->flags |= BF_POLICY_OUT;
		} else {
			ipt_err(ctx, "policy_match: invalid dir \"%s\"", arg);
			return -EINVAL;
		}
		return 0;
	case POL_POL:
		if (!strcmp(arg, "none")) {
			p->flags |= BF_POLICY_NONE;
		} else if (strcmp(arg, "ipsec")) {
			ipt_err(ctx, "policy match: invalid policy \"%s\"",
				arg);
			return -EINVAL;
		}
		return 0;
	case POL_STRICT:
		p->flags |= BF_POLICY_STRICT;
		return 0;
	case POL_REQID:
	case POL_SPI:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v)) {
			ipt_err(ctx,
				"policy: bad value for option \"--%s\", or out "
				"of range (0-4294967295).",
				opt->name);
			return -EINVAL;
		}
		if (opt->id == POL_REQID) {
			if (el->match & BF_POLICY_E_REQID)
				return dup_err(ctx, "reqid");
			el->match |= BF_POLICY_E_REQID;
			el->invert |= inv ? BF_POLICY_E_REQID : 0;
			el->reqid = (uint32_t)v;
		} else {
			if (el->match & BF_POLICY_E_SPI)
				return dup_err(ctx, "spi");
			el->match |= BF_POLICY_E_SPI;
			el->invert |= inv ? BF_POLICY_E_SPI : 0;
			el->spi = (uint32_t)v;
		}
		return 0;
	case POL_TSRC:
	case POL_TDST: {
		bool src = opt->id == POL_TSRC;
		uint8_t bit = src ? BF_POLICY_E_SADDR : BF_POLICY_E_DADDR;

		if (el->match & bit)
			return dup_err(ctx, opt->name);
		if (!ipt_parse_hostmask(ctx->family, arg,
					src ? el->saddr : el->daddr,
					src ? el->smask : el->dmask)) {
			ipt_err(ctx, "host/network `%s' not found", arg);
			return -EINVAL;
		}
		el->match |= bit;
		el->invert |= inv ? bit : 0;
		return 0;
	}
	case POL_PROTO:
		if (el->match & BF_POLICY_E_PROTO)
			return dup_err(ctx, "proto");
		proto = ipt_parse_proto(arg);
		if (proto < 0) {
			ipt_err(ctx, "unknown protocol \"%s\" specified", arg);
			return -EINVAL;
		}
		if (proto != IPPROTO_AH_ && proto != IPPROTO_ESP_ &&
		    proto != IPPROTO_COMP_) {
			ipt_err(ctx, "policy match: protocol must be "
				     "ah/esp/ipcomp");
			return -EINVAL;
		}
		el->proto = (uint8_t)proto;
		el->match |= BF_POLICY_E_PROTO;
		el->invert |= inv ? BF_POLICY_E_PROTO : 0;
		return 0;
	case POL_MODE:
		if (el->match & BF_POLICY_E_MODE)
			return dup_err(ctx, "mode");
		if (!strcmp(arg, "transport")) {
			el->mode = 0;
		} else if (!strcmp(arg, "tunnel")) {
			el->mode = 1;
		} else {
			ipt_err(ctx, "policy match: invalid mode \"%s\"", arg);
			return -EINVAL;
		}
		el->match |= BF_POLICY_E_MODE;
		el->invert |= inv ? BF_POLICY_E_MODE : 0;
		return 0;
	case POL_NEXT:
		if (++p->len == BF_POLICY_MAX_ELEM) {
			ipt_err(ctx,
				"policy match: maximum policy depth reached");
			return -EINVAL;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

/* policy_check(), after xtables_options_fcheck()'s "--next also
 * requires --strict" */
int ipt_policy_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	typeof(inst->u.ext.m.u.policy) *p = &inst->u.ext.m.u.policy;

	if ((inst->seen & (1u << POL_NEXT)) &&
	    !(inst->seen & (1u << POL_STRICT))) {
		ipt_err(ctx, "policy: option \"--next\" also requires "
			     "\"--strict\".");
		return -EINVAL;
	}
	if (!(p->flags & (BF_POLICY_IN | BF_POLICY_OUT))) {
		ipt_err(ctx, "policy match: neither --dir in nor --dir out "
			     "specified");
		return -EINVAL;
	}
	if (p->flags & BF_POLICY_NONE) {
		if (p->flags & BF_POLICY_STRICT) {
			ipt_err(ctx, "policy match: policy none but --strict "
				     "given");
			return -EINVAL;
		}
		if (p->len) {
			ipt_err(ctx, "policy match: policy none but policy "
				     "given");
			return -EINVAL;
		}
	} else {
		p->len++;
	}
	for (unsigned int i = 0; i < p->len; i++) {
		const typeof(p->pol[0]) *el = &p->pol[i];
		bool inv_mode = el->invert & BF_POLICY_E_MODE;

		if ((p->flags & BF_POLICY_STRICT) && !el->match) {
			ipt_err(ctx,
				"policy match: empty policy element %u. "
				"--strict is in effect, but at least one of "
				"reqid, spi, tunnel-src, tunnel-dst, proto or "
				"mode is required.",
				i);
			return -EINVAL;
		}
		/* as libxt_policy tests it: e->mode of an element without
		 * --mode is 0 (transport) */
		if ((el->match & (BF_POLICY_E_SADDR | BF_POLICY_E_DADDR)) &&
		    ((el->mode == 1 && inv_mode) ||
		     (el->mode == 0 && !inv_mode))) {
			ipt_err(ctx, "policy match: --tunnel-src/--tunnel-dst "
				     "is only valid in tunnel mode");
			return -EINVAL;
		}
	}
	return 0;
}

static void print_hostmask(FILE *out, enum bf_family f, const char *opt,
			   bool neg, const uint8_t *addr, const uint8_t *mask)
{
	int af = f == BF_FAMILY_INET4 ? AF_INET : AF_INET6;
	int len = f == BF_FAMILY_INET4 ? 32 : 128, bits = 0;
	char buf[INET6_ADDRSTRLEN];
	bool cidr = true;

	/* xtables_ipmask_to_numeric() / xtables_ip6mask_to_numeric():
	 * nothing for a host mask, /N for a prefix, else the mask */
	for (int i = 0; i < len; i++) {
		bool one = mask[i / 8] & (0x80 >> (i % 8));

		if (one && bits != i)
			cidr = false;
		bits += one;
	}
	fprintf(out, "%s --%s %s", neg ? " !" : "", opt,
		inet_ntop(af, addr, buf, sizeof(buf)));
	if (!cidr)
		fprintf(out, "/%s", inet_ntop(af, mask, buf, sizeof(buf)));
	else if (bits != len)
		fprintf(out, "/%d", bits);
}

/* policy4_save() / policy6_save() */
void ipt_policy_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m)
{
	const typeof(m->u.policy) *p = &m->u.policy;

	fprintf(out, " --dir %s", p->flags & BF_POLICY_IN ? "in" : "out");
	fprintf(out, " --pol %s", p->flags & BF_POLICY_NONE ? "none" : "ipsec");
	if (p->flags & BF_POLICY_STRICT)
		fputs(" --strict", out);
	for (unsigned int i = 0; i < p->len && i < BF_POLICY_MAX_ELEM; i++) {
		const typeof(p->pol[0]) *el = &p->pol[i];
		uint8_t mt = el->match, inv = el->invert;

		if (mt & BF_POLICY_E_REQID)
			fprintf(out, "%s --reqid %u",
				inv & BF_POLICY_E_REQID ? " !" : "", el->reqid);
		if (mt & BF_POLICY_E_SPI)
			fprintf(out, "%s --spi 0x%x",
				inv & BF_POLICY_E_SPI ? " !" : "", el->spi);
		if (mt & BF_POLICY_E_PROTO) {
			/* getprotobynumber()'s names (/etc/protocols) */
			const char *n = el->proto == IPPROTO_ESP_ ? "esp" :
					el->proto == IPPROTO_AH_  ? "ah" :
								    "ipcomp";

			fprintf(out, "%s --proto %s",
				inv & BF_POLICY_E_PROTO ? " !" : "", n);
		}
		if (mt & BF_POLICY_E_MODE)
			fprintf(out, "%s --mode %s",
				inv & BF_POLICY_E_MODE ? " !" : "",
				el->mode == 0 ? "transport" :
				el->mode == 1 ? "tunnel" :
						"???");
		if (mt & BF_POLICY_E_DADDR)
			print_hostmask(out, rule->family, "tunnel-dst",
				       inv & BF_POLICY_E_DADDR, el->daddr,
				       el->dmask);
		if (mt & BF_POLICY_E_SADDR)
			print_hostmask(out, rule->family, "tunnel-src",
				       inv & BF_POLICY_E_SADDR, el->saddr,
				       el->smask);
		if (i + 1 < p->len)
			fputs(" --next", out);
	}
}
