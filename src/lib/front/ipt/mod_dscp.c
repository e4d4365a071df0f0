// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m dscp and -m tos (libxt_dscp.c, libxt_tos.c revision 1; the kernel's
 * dscp_mt(), dscp_mt6() and tos_mt() in net/netfilter/xt_dscp.c). Both
 * read the DS field (the IPv4 TOS byte, the IPv6 traffic class) and
 * become one BF_MATCH_DSFIELD, (field & mask) == value, `neg` for `!`:
 * --dscp D is mask 0xfc, value D << 2 (dscp_mt() compares the field
 * shifted right by 2); --tos V/M is the kernel's tos_value / tos_mask.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	DSCP_VALUE,
	DSCP_CLASS,
	TOS_VALUE
};

const struct ipt_modopt ipt_dscp_opts[] = {
	{ "dscp", 1, DSCP_VALUE, true, false },
	{ "dscp-class", 1, DSCP_CLASS, true, false },
	{ NULL },
};

const struct ipt_modopt ipt_tos_opts[] = {
	{ "tos", 1, TOS_VALUE, true, false },
	{ NULL },
};

/* class_to_dscp() (extensions/dscp_helper.c): the first name that is a
 * case-insensitive prefix of the argument. */
static const struct {
	const char *name;
	uint8_t dscp;
} classes[] = {
	{ "CS0", 0x00 },  { "CS1", 0x08 },  { "CS2", 0x10 },  { "CS3", 0x18 },
	{ "CS4", 0x20 },  { "CS5", 0x28 },  { "CS6", 0x30 },  { "CS7", 0x38 },
	{ "BE", 0x00 },	  { "AF11", 0x0a }, { "AF12", 0x0c }, { "AF13", 0x0e },
	{ "AF21", 0x12 }, { "AF22", 0x14 }, { "AF23", 0x16 }, { "AF31", 0x1a },
	{ "AF32", 0x1c }, { "AF33", 0x1e }, { "AF41", 0x22 }, { "AF42", 0x24 },
	{ "AF43", 0x26 }, { "EF", 0x2e },
};

/* tos_symbol_names (libxtables/xtoptions.c), compared whole, any case */
static const struct {
	const char *name;
	uint8_t tos;
} tos_names[] = {
	{ "Minimize-Delay", 0x10 },	  { "Maximize-Throughput", 0x08 },
	{ "Maximize-Reliability", 0x04 }, { "Minimize-Cost", 0x02 },
	{ "Normal-Service", 0x00 },
};

static bool once(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		 const struct ipt_modopt *opt)
{
	if (inst->seen & (1u << opt->id)) {
		ipt_err(ctx, "%s: option \"--%s\" can only be used once.",
			inst->mod->name, opt->name);
		return false;
	}
	inst->seen |= 1u << opt->id;
	return true;
}

int ipt_dscp_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		   const struct ipt_modopt *opt, const char *arg, bool inv,
		   int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long v;
	uint8_t dscp = 0;
	size_t i;

	(void)argc;
	(void)argv;
	(void)idx;
	if (!once(ctx, inst, opt))
		return -EINVAL;
	if (inst->seen & (1u << DSCP_VALUE) &&
	    inst->seen & (1u << DSCP_CLASS)) {
		ipt_err(ctx,
			"dscp: \"--dscp\" and \"--dscp-class\" cannot be used "
			"together.");
		return -EINVAL;
	}
	if (opt->id == DSCP_VALUE) {
		if (!ipt_strtoui(arg, 0, 0x3f, 0, &v)) {
			ipt_err(ctx,
				"dscp: bad value for option \"--dscp\", or out "
				"of range (0-63).");
			return -EINVAL;
		}
		dscp = (uint8_t)v;
	} else {
		for (i = 0; i < ARRAY_SIZE(classes); i++) {
			if (!strncasecmp(arg, classes[i].name,
					 strlen(classes[i].name)))
				break;
		}
		if (i == ARRAY_SIZE(classes)) {
			ipt_err(ctx, "Invalid DSCP value `%s'", arg);
			return -EINVAL;
		}
		dscp = classes[i].dscp;
	}
	m->u.dsfield.mask = 0xfc;
	m->u.dsfield.value = (uint8_t)(dscp << 2);
	m->neg = inv;
	return 0;
}

int ipt_dscp_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (inst->seen)
		return 0;
	ipt_err(ctx, "DSCP match: Parameter --dscp is required");
	return -EINVAL;
}

void ipt_dscp_print(FILE *out, const struct bf_rule *rule,
		    const struct bf_match *m)
{
	(void)rule;
	fprintf(out, "%s --dscp 0x%02x", m->neg ? " !" : "",
		m->u.dsfield.value >> 2);
}

/* xtopt_parse_tosmask(): a number (with an optional /mask, 0xff
 * otherwise), else a symbolic name (mask 0x3f, revision 1's). */
int ipt_tos_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long v, mask = 0xff;
	char num[32];
	const char *slash;
	size_t i, n;

	(void)argc;
	(void)argv;
	(void)idx;
	if (!once(ctx, inst, opt))
		return -EINVAL;
	slash = strchr(arg, '/');
	n = slash ? (size_t)(slash - arg) : strlen(arg);
	if (n < sizeof(num)) {
		memcpy(num, arg, n);
		num[n] = '\0';
	} else {
		num[0] = '\0';
	}
	if (arg[0] >= '0' && arg[0] <= '9') {
		if (!ipt_strtoui(num, 0, 0xff, 0, &v) ||
		    (slash && !ipt_strtoui(slash + 1, 0, 0xff, 0, &mask))) {
			ipt_err(ctx, "Illegal value: \"%s\"", arg);
			return -EINVAL;
		}
	} else {
		for (i = 0; i < ARRAY_SIZE(tos_names); i++) {
			if (!strcasecmp(arg, tos_names[i].name))
				break;
		}
		if (i == ARRAY_SIZE(tos_names)) {
			ipt_err(ctx, "Symbolic name \"%s\" is unknown", arg);
			return -EINVAL;
		}
		v = tos_names[i].tos;
		mask = 0x3f;
	}
	m->u.dsfield.mask = (uint8_t)mask;
	m->u.dsfield.value = (uint8_t)v;
	m->neg = inv;
	return 0;
}

int ipt_tos_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (inst->seen)
		return 0;
	ipt_err(ctx, "tos: option \"--tos\" must be specified.");
	return -EINVAL;
}

void ipt_tos_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m)
{
	(void)rule;
	fprintf(out, "%s --tos 0x%02x/0x%02x", m->neg ? " !" : "",
		m->u.dsfield.value, m->u.dsfield.mask);
}
