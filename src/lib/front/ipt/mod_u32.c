// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m u32 (libxt_u32.c; the kernel's u32_mt() in net/netfilter/xt_u32.c):
 *
 *   [!] --u32 tests
 *   tests    := location "=" value | tests "&&" location "=" value
 *   value    := range | value "," range
 *   range    := number | number ":" number
 *   location := number | location operator number
 *   operator := "&" | "<<" | ">>" | "@"
 *
 * Numbers as strtoul() base 0 reads them (decimal, 0x hex, 0 octal),
 * spaces allowed between tokens; at most 10 tests, 10 numbers in a
 * location and 10 ranges in a value (XT_U32_MAXSIZE); shift counts below
 * 32 (u32_mt_checkentry() refuses others since "netfilter: xt_u32:
 * reject invalid shift counts", which this kernel has). iptables-save
 * prints every number in hex: " --u32 \"0x0>>0x16&0x3c@0x0=0x1:0x5\"".
 * One BF_MATCH_U32; the IR keeps the numbers of all tests in
 * BF_U32_WORDS words.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

const struct ipt_modopt ipt_u32_opts[] = {
	{ "u32", 1, 0, true, false },
	{ NULL },
};

/* A number at *s (base 0, up to UINT32_MAX), *s moved past it. */
static bool number(const char **s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	while (isspace((unsigned char)**s))
		++*s;
	if (!isdigit((unsigned char)**s))
		return false;
	errno = 0;
	v = strtoull(*s, &end, 0);
	if (errno || end == *s || v > UINT32_MAX)
		return false;
	*s = end;
	*out = (uint32_t)v;
	return true;
}

static void skip_space(const char **s)
{
	while (isspace((unsigned char)**s))
		++*s;
}

int ipt_u32_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx)
{
	typeof(inst->u.ext.m.u.u32) *u = &inst->u.ext.m.u.u32;
	const char *s = arg, *why = NULL;
	unsigned int nw = 0;

	if (inst->seen) {
		ipt_err(ctx, "u32: --u32 can only be used once");
		return -EINVAL;
	}
	inst->seen = 1;
	memset(u, 0, sizeof(*u));
	inst->u.ext.m.type = BF_MATCH_U32;
	inst->u.ext.m.neg = false;
	u->invert = inv;
	for (;;) {
		unsigned int t = u->ntests, nl = 0, nv = 0;

		if (t >= BF_U32_MAXSIZE) {
			why = "too many \"&&\"s";
			goto bad;
		}
		/* location */
		for (;;) {
			uint8_t op = BF_U32_AND;

			skip_space(&s);
			if (nl) {
				if (*s == '=') {
					++s;
					break;
				}
				if (*s == '&') {
					op = BF_U32_AND;
				} else if (*s == '<' && s[1] == '<') {
					op = BF_U32_LEFTSH;
					++s;
				} else if (*s == '>' && s[1] == '>') {
					op = BF_U32_RIGHTSH;
					++s;
				} else if (*s == '@') {
					op = BF_U32_AT;
				} else {
					why = *s ? "operator expected" :
						   "abrupt end of input after "
						   "location specifier";
					goto bad;
				}
				++s;
			} else if (*s == '=') {
				why = "location spec missing";
				goto bad;
			}
			if (nl >= BF_U32_MAXSIZE) {
				why = "too many operators";
				goto bad;
			}
			if (nw >= BF_U32_WORDS) {
				why = NULL;
				goto big;
			}
			if (!number(&s, &u->w[nw])) {
				why = "not a number or out of range";
				goto bad;
			}
			if (nl &&
			    (op == BF_U32_LEFTSH || op == BF_U32_RIGHTSH) &&
			    u->w[nw] >= 32) {
				/* u32_mt_checkentry() refuses it (this
				 * kernel has the 2026 fix) */
				why = "shift count of 32 or more (the kernel "
				      "refuses it)";
				goto bad;
			}
			u->ops[nw++] = op;
			nl++;
		}
		/* value */
		for (;;) {
			skip_space(&s);
			if (nv) {
				if (!*s || (*s == '&' && s[1] == '&'))
					break;
				if (*s != ',') {
					why = "expected \",\" or \"&&\"";
					goto bad;
				}
				++s;
			}
			if (nv >= BF_U32_MAXSIZE) {
				why = "too many \",\"s";
				goto bad;
			}
			if (nw + 2 > BF_U32_WORDS)
				goto big;
			if (!number(&s, &u->w[nw])) {
				why = *s ? "not a number or out of range" :
					   "test ended with no value specified";
				goto bad;
			}
			skip_space(&s);
			u->w[nw + 1] = u->w[nw];
			if (*s == ':') {
				++s;
				if (!number(&s, &u->w[nw + 1])) {
					why = "not a number or out of range";
					goto bad;
				}
			}
			nw += 2;
			nv++;
		}
		u->nnums[t] = (uint8_t)nl;
		u->nvals[t] = (uint8_t)nv;
		u->ntests++;
		if (!*s)
			return 0;
		s += 2; /* && */
	}
bad:
	ipt_err(ctx, "u32: at char %u: %s", (unsigned int)(s - arg), why);
	return -EINVAL;
big:
	ipt_err(ctx,
		"u32: more than %d numbers in one --u32 (bpfilter's limit)",
		BF_U32_WORDS);
	return -EINVAL;
}

int ipt_u32_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "u32: --u32 is required");
		return -EINVAL;
	}
	return 0;
}

void ipt_u32_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m)
{
	const typeof(m->u.u32) *u = &m->u.u32;
	static const char *const ops[] = { "&", "<<", ">>", "@" };
	unsigned int k = 0;

	fprintf(out, "%s --u32 \"", u->invert ? " !" : "");
	for (unsigned int t = 0; t < u->ntests && t < BF_U32_MAXSIZE; t++) {
		if (t)
			fputs("&&", out);
		for (unsigned int i = 0; i < u->nnums[t] && k < BF_U32_WORDS;
		     i++, k++) {
			if (i)
				fputs(ops[u->ops[k] & 3], out);
			fprintf(out, "0x%" PRIx32, u->w[k]);
		}
		fputc('=', out);
		for (unsigned int i = 0;
		     i < u->nvals[t] && k + 1 < BF_U32_WORDS; i++, k += 2) {
			if (i)
				fputc(',', out);
			if (u->w[k] == u->w[k + 1])
				fprintf(out, "0x%" PRIx32, u->w[k]);
			else
				fprintf(out, "0x%" PRIx32 ":0x%" PRIx32,
					u->w[k], u->w[k + 1]);
		}
	}
	fputc('"', out);
}
