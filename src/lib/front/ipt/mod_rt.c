// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m rt: the IPv6 routing header match (libip6t_rt.c options, ip6t_rt.c's
 * struct ip6t_rt and rt_mt6_check()). One IR match (BF_MATCH_RT) per
 * instance; each option carries its own inversion (invflags).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	RT_TYPE,
	RT_SEGSLEFT,
	RT_LEN,
	RT_0_RES,
	RT_0_ADDRS,
	RT_0_NSTRICT,
	RT_NFT,
};

const struct ipt_modopt ipt_rt_opts[] = {
	{ "rt-type", 1, RT_TYPE, true, false },
	{ "rt-segsleft", 1, RT_SEGSLEFT, true, false },
	{ "rt-len", 1, RT_LEN, true, false },
	{ "rt-0-res", 0, RT_0_RES, true, true },
	{ "rt-0-addrs", 1, RT_0_ADDRS, true, true },
	{ "rt-0-not-strict", 0, RT_0_NSTRICT, true, true },
	/* bpfilter's: nft's `rt type` (BF_RT_NFT, front/nft/lower.c) */
	{ "rt-nft", 0, RT_NFT, true, true },
	{ NULL },
};

void ipt_rt_init(struct bf_match *m)
{
	/* rt_init(): segments left 0:0xffffffff (any) */
	m->u.rt.segsleft[1] = UINT32_MAX;
}

static int bad(struct ipt_rule_ctx *ctx, const struct ipt_modopt *opt,
	       const char *arg)
{
	ipt_err(ctx, "rt: Bad value for \"--%s\" option: \"%s\"", opt->name,
		arg);
	return -EINVAL;
}

/* parse_addresses(): a comma list of numeric IPv6 addresses, at most
 * IP6T_RT_HOPS. */
static int parse_addrs(struct ipt_rule_ctx *ctx, const char *arg,
		       typeof(((struct bf_match *)0)->u.rt) *rt)
{
	const char *p = arg;

	rt->addrnr = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char buf[64];

		if (rt->addrnr == BF_RT_HOPS) {
			ipt_err(ctx, "too many addresses specified");
			return -EINVAL;
		}
		if (len >= sizeof(buf) || !len) {
			ipt_err(ctx, "bad address: %.*s", (int)len, p);
			return -EINVAL;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, rt->addrs[rt->addrnr]) != 1) {
			ipt_err(ctx, "bad address: %s", buf);
			return -EINVAL;
		}
		rt->addrnr++;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

int ipt_rt_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		 const struct ipt_modopt *opt, const char *arg, bool inv,
		 int argc, char **argv, int *idx)
{
	typeof(inst->u.ext.m.u.rt) *rt = &inst->u.ext.m.u.rt;
	unsigned long long v;

	if (inst->seen & (1u << opt->id)) {
		ipt_err(ctx, "rt: option \"--%s\" can only be used once.",
			opt->name);
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	switch (opt->id) {
	case RT_TYPE:
	case RT_LEN:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad(ctx, opt, arg);
		if (opt->id == RT_TYPE) {
			rt->rt_type = (uint32_t)v;
			rt->flags |= BF_RT_TYP;
			if (inv)
				rt->invflags |= BF_RT_INV_TYP;
		} else {
			rt->hdrlen = (uint32_t)v;
			rt->flags |= BF_RT_LEN;
			if (inv)
				rt->invflags |= BF_RT_INV_LEN;
		}
		return 0;
	case RT_SEGSLEFT:
		if (!ipt_u32_range(arg, &rt->segsleft[0], &rt->segsleft[1]))
			return bad(ctx, opt, arg);
		rt->flags |= BF_RT_SGS;
		if (inv)
			rt->invflags |= BF_RT_INV_SGS;
		return 0;
	case RT_0_RES:
	case RT_0_ADDRS:
		if (!(rt->flags & BF_RT_TYP) || rt->rt_type != 0 ||
		    (rt->invflags & BF_RT_INV_TYP)) {
			ipt_err(ctx, "`--rt-type 0' required before `--%s'",
				opt->name);
			return -EINVAL;
		}
		if (opt->id == RT_0_RES) {
			rt->flags |= BF_RT_RES;
			return 0;
		}
		rt->flags |= BF_RT_FST;
		return parse_addrs(ctx, arg, rt);
	case RT_0_NSTRICT:
		if (!(inst->seen & (1u << RT_0_ADDRS))) {
			ipt_err(ctx, "`--rt-0-addr ...' required before "
				     "`--rt-0-not-strict'");
			return -EINVAL;
		}
		rt->flags |= BF_RT_FST_NSTRICT;
		return 0;
	case RT_NFT:
		rt->flags |= BF_RT_NFT;
		return 0;
	}
	return -EINVAL;
}

int ipt_rt_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	const typeof(inst->u.ext.m.u.rt) *rt = &inst->u.ext.m.u.rt;

	/* rt_mt6_check(): the type 0 options need `--rt-type 0` */
	if ((rt->flags & (BF_RT_RES | BF_RT_FST | BF_RT_FST_NSTRICT)) &&
	    (!(rt->flags & BF_RT_TYP) || rt->rt_type != 0 ||
	     (rt->invflags & BF_RT_INV_TYP))) {
		ipt_err(ctx, "rt: `--rt-type 0' required before `--rt-0-*'");
		return -EINVAL;
	}
	/* nft's rt type: the type alone */
	if ((rt->flags & BF_RT_NFT) &&
	    (rt->flags != (BF_RT_NFT | BF_RT_TYP) || rt->segsleft[0] != 0 ||
	     rt->segsleft[1] != UINT32_MAX)) {
		ipt_err(ctx, "rt: `--rt-nft' goes with `--rt-type' alone");
		return -EINVAL;
	}
	return 0;
}

/* rt_save() */
void ipt_rt_print(FILE *out, const struct bf_rule *rule,
		  const struct bf_match *m)
{
	const typeof(m->u.rt) *rt = &m->u.rt;

	if (rt->flags & BF_RT_TYP)
		fprintf(out, "%s --rt-type %u",
			rt->invflags & BF_RT_INV_TYP ? " !" : "", rt->rt_type);
	if (!(rt->segsleft[0] == 0 && rt->segsleft[1] == UINT32_MAX)) {
		fprintf(out, "%s --rt-segsleft ",
			rt->invflags & BF_RT_INV_SGS ? " !" : "");
		if (rt->segsleft[0] != rt->segsleft[1])
			fprintf(out, "%u:%u", rt->segsleft[0], rt->segsleft[1]);
		else
			fprintf(out, "%u", rt->segsleft[0]);
	}
	if (rt->flags & BF_RT_LEN)
		fprintf(out, "%s --rt-len %u",
			rt->invflags & BF_RT_INV_LEN ? " !" : "", rt->hdrlen);
	if (rt->flags & BF_RT_RES)
		fputs(" --rt-0-res", out);
	if (rt->flags & BF_RT_FST)
		fputs(" --rt-0-addrs", out);
	for (unsigned int i = 0; i < rt->addrnr && i < BF_RT_HOPS; i++) {
		char buf[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, rt->addrs[i], buf, sizeof(buf));
		fprintf(out, "%c%s", i ? ',' : ' ', buf);
	}
	if (rt->flags & BF_RT_FST_NSTRICT)
		fputs(" --rt-0-not-strict", out);
	if (rt->flags & BF_RT_NFT)
		fputs(" --rt-nft", out);
}
