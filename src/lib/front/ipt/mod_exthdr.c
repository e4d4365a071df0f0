// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip6tables' -m frag, -m hbh, -m dst and -m ah, iptables' -m ah
 * (libip6t_frag.c, libip6t_hbh.c, libip6t_dst.c, libip6t_ah.c,
 * libipt_ah.c options; the kernel's struct ip6t_frag, ip6t_opts, ip6t_ah
 * and ipt_ah). One IR match per instance (BF_MATCH_FRAG6, _OPTS6, _AH),
 * each option carrying its own inversion (invflags).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	X_FRAGID,
	X_FRAGLEN,
	X_FRAGRES,
	X_FRAGFIRST,
	X_FRAGMORE,
	X_FRAGLAST,
	X_LEN = 0,
	X_OPTS,
	X_AHSPI = 0,
	X_AHLEN,
	X_AHRES,
};

const struct ipt_modopt ipt_frag_opts[] = {
	{ "fragid", 1, X_FRAGID, true, false },
	{ "fraglen", 1, X_FRAGLEN, true, false },
	{ "fragres", 0, X_FRAGRES, true, true },
	{ "fragfirst", 0, X_FRAGFIRST, true, true },
	{ "fragmore", 0, X_FRAGMORE, true, true },
	{ "fraglast", 0, X_FRAGLAST, true, true },
	{ NULL },
};

const struct ipt_modopt ipt_hbh_opts[] = {
	{ "hbh-len", 1, X_LEN, true, false },
	{ "hbh-opts", 1, X_OPTS, true, true },
	{ NULL },
};

const struct ipt_modopt ipt_dst_opts[] = {
	{ "dst-len", 1, X_LEN, true, false },
	{ "dst-opts", 1, X_OPTS, true, true },
	{ NULL },
};

const struct ipt_modopt ipt_mh_opts[] = {
	{ "mh-type", 1, 0, true, false },
	{ NULL },
};

const struct ipt_modopt ipt_ah_opts[] = {
	{ "ahspi", 1, X_AHSPI, true, false },
	{ "ahlen", 1, X_AHLEN, true, false },
	{ "ahres", 0, X_AHRES, true, true },
	{ NULL },
};

void ipt_exthdr_init(struct ipt_mod_inst *inst)
{
	struct bf_match *m = &inst->u.ext.m;

	/* frag_init(), ah_init(): every id / SPI */
	if (m->type == BF_MATCH_FRAG6)
		m->u.frag6.ids[1] = UINT32_MAX;
	else if (m->type == BF_MATCH_AH)
		m->u.ah.spis[1] = UINT32_MAX;
	else if (m->type == BF_MATCH_OPTS6)
		m->u.opts6.dst = inst->mod->id == IPT_MOD_DST;
	else if (m->type == BF_MATCH_MH)
		m->u.mh.types[1] = 0xff; /* mh_init() */
}

/* libip6t_mh.c's names and aliases */
static const struct {
	const char *name;
	uint8_t type;
} mh_names[] = {
	{ "binding-refresh-request", 0 },
	{ "brr", 0 },
	{ "home-test-init", 1 },
	{ "hoti", 1 },
	{ "careof-test-init", 2 },
	{ "coti", 2 },
	{ "home-test", 3 },
	{ "hot", 3 },
	{ "careof-test", 4 },
	{ "cot", 4 },
	{ "binding-update", 5 },
	{ "bu", 5 },
	{ "binding-acknowledgement", 6 },
	{ "ba", 6 },
	{ "binding-error", 7 },
	{ "be", 7 },
};

/* name_to_type(): a name or an abbreviation of one (the first that the
 * text abbreviates, unless a later one is spelt out), else a number */
static bool mh_type(const char *s, uint8_t *out)
{
	size_t len = strlen(s), hit = ARRAY_SIZE(mh_names);
	unsigned long long v;

	for (size_t i = 0; i < ARRAY_SIZE(mh_names); i++) {
		if (strncasecmp(mh_names[i].name, s, len))
			continue;
		if (hit == ARRAY_SIZE(mh_names) ||
		    strlen(mh_names[i].name) == len)
			hit = i;
	}
	if (hit != ARRAY_SIZE(mh_names)) {
		*out = mh_names[hit].type;
		return true;
	}
	if (!ipt_strtoui(s, 0, UINT8_MAX, 0, &v))
		return false;
	*out = (uint8_t)v;
	return true;
}

/* parse_mh_types(): TYPE or [TYPE]:[TYPE] */
static int mh_types(struct ipt_rule_ctx *ctx, const char *arg, uint8_t t[2])
{
	_cleanup_free_ char *buf = strdup(arg);
	char *colon;
	const char *bad = NULL;

	if (!buf)
		return -ENOMEM;
	colon = strchr(buf, ':');
	if (!colon) {
		if (!mh_type(buf, &t[0]))
			bad = buf;
		t[1] = t[0];
	} else {
		*colon++ = '\0';
		t[0] = 0;
		t[1] = 0xff;
		if (buf[0] && !mh_type(buf, &t[0]))
			bad = buf;
		else if (colon[0] && !mh_type(colon, &t[1]))
			bad = colon;
		else if (t[0] > t[1]) {
			ipt_err(ctx, "Invalid MH type range (min > max)");
			return -EINVAL;
		}
	}
	if (bad) {
		ipt_err(ctx, "Invalid MH type `%s'", bad);
		return -EINVAL;
	}
	return 0;
}

static int bad(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
	       const struct ipt_modopt *opt, const char *arg)
{
	ipt_err(ctx, "%s: Bad value for \"--%s\" option: \"%s\"",
		inst->mod->name, opt->name, arg);
	return -EINVAL;
}

/* parse_opts_num(): strtoul in base 0, the whole string */
static bool opt_num(const char *s, unsigned long *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return end != s && !*end && errno != ERANGE;
}

/* parse_options() of libip6t_hbh.c / libip6t_dst.c: TYPE[:LEN] items,
 * at most BF_OPTS6_MAX; a type without length takes any (0xff) */
static int parse_opts(struct ipt_rule_ctx *ctx, const char *mod,
		      const char *arg,
		      typeof(((struct bf_match *)0)->u.opts6) *o)
{
	_cleanup_free_ char *buf = strdup(arg);
	char *cp = buf, *next;
	unsigned int i = 0;

	if (!buf)
		return -ENOMEM;
	for (; cp && i < BF_OPTS6_MAX; cp = next, i++) {
		char *range;
		unsigned long v;

		next = strchr(cp, ',');
		if (next)
			*next++ = '\0';
		range = strchr(cp, ':');
		if (range) {
			if (i == BF_OPTS6_MAX - 1) {
				ipt_err(ctx, "too many ports specified");
				return -EINVAL;
			}
			*range++ = '\0';
		}
		if (!opt_num(cp, &v)) {
			ipt_err(ctx, "%s: error parsing opt `%s'", mod, cp);
			return -EINVAL;
		}
		o->opts[i] = (uint16_t)((v & 0xff) << 8);
		if (range) {
			if (!o->opts[i]) {
				ipt_err(ctx, "PAD0 has not got length");
				return -EINVAL;
			}
			if (!opt_num(range, &v)) {
				ipt_err(ctx, "%s: error parsing length `%s'",
					mod, range);
				return -EINVAL;
			}
			o->opts[i] |= (uint16_t)(v & 0xff);
		} else {
			o->opts[i] |= 0xff;
		}
	}
	if (cp) {
		ipt_err(ctx, "too many addresses specified");
		return -EINVAL;
	}
	o->optsnr = (uint8_t)i;
	return 0;
}

int ipt_exthdr_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long v;

	(void)argc;
	(void)argv;
	(void)idx;
	if (inst->seen & (1u << opt->id)) {
		ipt_err(ctx, "%s: option \"--%s\" can only be used once.",
			inst->mod->name, opt->name);
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	switch (m->type) {
	case BF_MATCH_FRAG6:
		switch (opt->id) {
		case X_FRAGID:
			if (!ipt_u32_range(arg, &m->u.frag6.ids[0],
					   &m->u.frag6.ids[1]))
				return bad(ctx, inst, opt, arg);
			m->u.frag6.flags |= BF_FRAG6_IDS;
			if (inv)
				m->u.frag6.invflags |= BF_FRAG6_INV_IDS;
			return 0;
		case X_FRAGLEN:
			if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
				return bad(ctx, inst, opt, arg);
			m->u.frag6.hdrlen = (uint32_t)v;
			m->u.frag6.flags |= BF_FRAG6_LEN;
			if (inv)
				m->u.frag6.invflags |= BF_FRAG6_INV_LEN;
			return 0;
		case X_FRAGRES:
			m->u.frag6.flags |= BF_FRAG6_RES;
			return 0;
		case X_FRAGFIRST:
			m->u.frag6.flags |= BF_FRAG6_FST;
			return 0;
		case X_FRAGMORE:
		case X_FRAGLAST:
			if (m->u.frag6.flags &
			    (opt->id == X_FRAGMORE ? BF_FRAG6_NMF :
						     BF_FRAG6_MF)) {
				ipt_err(ctx, "frag: --fragmore and --fraglast "
					     "exclude each other");
				return -EINVAL;
			}
			m->u.frag6.flags |= opt->id == X_FRAGMORE ?
						    BF_FRAG6_MF :
						    BF_FRAG6_NMF;
			return 0;
		}
		break;
	case BF_MATCH_OPTS6:
		if (opt->id == X_LEN) {
			if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
				return bad(ctx, inst, opt, arg);
			m->u.opts6.hdrlen = (uint32_t)v;
			m->u.opts6.flags |= BF_OPTS6_LEN;
			if (inv)
				m->u.opts6.invflags |= BF_OPTS6_INV_LEN;
			return 0;
		}
		m->u.opts6.flags |= BF_OPTS6_OPTS;
		return parse_opts(ctx, inst->mod->name, arg, &m->u.opts6);
	case BF_MATCH_MH:
		if (inv)
			m->u.mh.invert = true;
		return mh_types(ctx, arg, m->u.mh.types);
	case BF_MATCH_AH:
		/* libipt_ah.c has --ahspi only */
		if (opt->id != X_AHSPI && ctx->family != BF_FAMILY_INET6) {
			ipt_err(ctx, "unknown option \"--%s\"", opt->name);
			return -EINVAL;
		}
		switch (opt->id) {
		case X_AHSPI:
			if (!ipt_u32_range(arg, &m->u.ah.spis[0],
					   &m->u.ah.spis[1]))
				return bad(ctx, inst, opt, arg);
			if (inv)
				m->u.ah.invflags |= BF_AH_INV_SPI;
			return 0;
		case X_AHLEN:
			if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
				return bad(ctx, inst, opt, arg);
			m->u.ah.hdrlen = (uint32_t)v;
			if (inv)
				m->u.ah.invflags |= BF_AH_INV_LEN;
			return 0;
		case X_AHRES:
			m->u.ah.hdrres = 1;
			return 0;
		}
		break;
	default:
		break;
	}
	return -EINVAL;
}

int ipt_exthdr_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	const struct bf_match *m = &inst->u.ext.m;

	/* ipt_ah is registered for IPPROTO_AH (xt_check_match()); ip6t_ah
	 * finds its header itself */
	if (m->type == BF_MATCH_AH && ctx->family == BF_FAMILY_INET4 &&
	    !(ctx->has_proto && ctx->proto == 51 && !ctx->inv_p)) {
		ipt_err(ctx, "match 'ah' needs `-p ah' (without `!')");
		return -EINVAL;
	}
	/* ip6t_mh is registered for IPPROTO_MH */
	if (m->type == BF_MATCH_MH &&
	    !(ctx->has_proto && ctx->proto == 135 && !ctx->inv_p)) {
		ipt_err(ctx, "match 'mh' needs `-p mh' (without `!')");
		return -EINVAL;
	}
	return 0;
}

static void range_print(FILE *out, const char *name, const uint32_t r[2],
			bool inv)
{
	if (r[0] == 0 && r[1] == UINT32_MAX && !inv)
		return;
	fprintf(out, "%s --%s ", inv ? " !" : "", name);
	if (r[0] != r[1])
		fprintf(out, "%u:%u", r[0], r[1]);
	else
		fprintf(out, "%u", r[0]);
}

/* frag_save(), hbh_save(), dst_save(), ah_save() (an inverted full range
 * is printed, as ipt_esp_print() does, so that the `!' survives) */
void ipt_exthdr_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m)
{
	(void)rule;
	switch (m->type) {
	case BF_MATCH_FRAG6: {
		const typeof(m->u.frag6) *f = &m->u.frag6;

		range_print(out, "fragid", f->ids,
			    f->invflags & BF_FRAG6_INV_IDS);
		if (f->flags & BF_FRAG6_LEN)
			fprintf(out, "%s --fraglen %u",
				f->invflags & BF_FRAG6_INV_LEN ? " !" : "",
				f->hdrlen);
		if (f->flags & BF_FRAG6_RES)
			fputs(" --fragres", out);
		if (f->flags & BF_FRAG6_FST)
			fputs(" --fragfirst", out);
		if (f->flags & BF_FRAG6_MF)
			fputs(" --fragmore", out);
		if (f->flags & BF_FRAG6_NMF)
			fputs(" --fraglast", out);
		break;
	}
	case BF_MATCH_OPTS6: {
		const typeof(m->u.opts6) *o = &m->u.opts6;
		const char *n = o->dst ? "dst" : "hbh";

		if (o->flags & BF_OPTS6_LEN)
			fprintf(out, "%s --%s-len %u",
				o->invflags & BF_OPTS6_INV_LEN ? " !" : "", n,
				o->hdrlen);
		if (o->flags & BF_OPTS6_OPTS)
			fprintf(out, " --%s-opts", n);
		for (unsigned int i = 0; i < o->optsnr && i < BF_OPTS6_MAX;
		     i++) {
			fprintf(out, "%c%d", i ? ',' : ' ', o->opts[i] >> 8);
			if ((o->opts[i] & 0xff) != 0xff)
				fprintf(out, ":%d", o->opts[i] & 0xff);
		}
		break;
	}
	case BF_MATCH_MH:
		/* mh_save() */
		if (m->u.mh.types[0] == 0 && m->u.mh.types[1] == 0xff &&
		    !m->u.mh.invert)
			break;
		fputs(m->u.mh.invert ? " ! --mh-type " : " --mh-type ", out);
		if (m->u.mh.types[0] != m->u.mh.types[1])
			fprintf(out, "%u:%u", m->u.mh.types[0],
				m->u.mh.types[1]);
		else
			fprintf(out, "%u", m->u.mh.types[0]);
		break;
	case BF_MATCH_AH:
		range_print(out, "ahspi", m->u.ah.spis,
			    m->u.ah.invflags & BF_AH_INV_SPI);
		if (m->u.ah.hdrlen || (m->u.ah.invflags & BF_AH_INV_LEN))
			fprintf(out, "%s --ahlen %u",
				m->u.ah.invflags & BF_AH_INV_LEN ? " !" : "",
				m->u.ah.hdrlen);
		if (m->u.ah.hdrres)
			fputs(" --ahres", out);
		break;
	default:
		break;
	}
}
