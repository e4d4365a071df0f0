// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter's iptables-save module for nft's payload expressions
 * (BF_MATCH_PAYLOAD, cgen/m_payload.c), which the nft front end lowers
 * and iptables has no module for: the IR travels to apply and to the
 * saved state as iptables-save text, so this reads back exactly what
 * print writes. Not an iptables option: real iptables refuses it.
 *
 *   -m nftpayload [!] --nft-payload nh|th,OFF,LEN,MASK,LO[:HI]
 *       LEN bytes (1-4) at byte OFF of the network or transport header,
 *       as a big-endian number, & MASK (hex), within LO..HI (hex); `!`
 *       inverts the comparison only (a header that cannot be read never
 *       matches). One payload per instance.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

const struct ipt_modopt ipt_nftpayload_opts[] = {
	{ "nft-payload", 1, 0, true, false },
	{ NULL },
};

/* The next comma- (or `sep`-) terminated number of s in base; NULL on
 * error. */
static const char *num(const char *s, int base, uint64_t max, char sep,
		       uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return NULL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || v > max || (*end != sep && *end))
		return NULL;
	*out = (uint32_t)v;
	return end;
}

int ipt_nftpayload_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			 const struct ipt_modopt *opt, const char *arg,
			 bool inv, int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	typeof(m->u.payload) *p = &m->u.payload;
	uint32_t off, len, mask, lo, hi;
	const char *s = arg;

	if (inst->seen) {
		ipt_err(ctx, "nftpayload: one --nft-payload per -m nftpayload");
		return -EINVAL;
	}
	inst->seen = 1;
	if (!strncmp(s, "nh,", 3))
		p->base = BF_PAYLOAD_NH;
	else if (!strncmp(s, "th,", 3))
		p->base = BF_PAYLOAD_TH;
	else
		goto bad;
	s += 3;
	if (!(s = num(s, 10, UINT16_MAX, ',', &off)) || *s++ != ',' ||
	    !(s = num(s, 10, 4, ',', &len)) || *s++ != ',' || !len ||
	    !(s = num(s, 16, UINT32_MAX, ',', &mask)) || *s++ != ',' ||
	    !(s = num(s, 16, UINT32_MAX, ':', &lo)))
		goto bad;
	hi = lo;
	if (*s == ':' && !(s = num(s + 1, 16, UINT32_MAX, '\0', &hi)))
		goto bad;
	if (*s)
		goto bad;
	m->type = BF_MATCH_PAYLOAD;
	m->neg = inv;
	p->off = (uint16_t)off;
	p->len = (uint8_t)len;
	p->mask = mask;
	p->lo = lo;
	p->hi = hi;
	return 0;
bad:
	ipt_err(ctx,
		"nftpayload: bad --nft-payload \"%s\" (nh|th,OFF,LEN,MASK,LO[:HI])",
		arg);
	return -EINVAL;
}

int ipt_nftpayload_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "nftpayload: --nft-payload is required");
		return -EINVAL;
	}
	return 0;
}

void ipt_nftpayload_print(FILE *out, const struct bf_rule *rule,
			  const struct bf_match *m)
{
	const typeof(m->u.payload) *p = &m->u.payload;

	fprintf(out, "%s --nft-payload %s,%u,%u,0x%" PRIx32 ",0x%" PRIx32,
		m->neg ? " !" : "", p->base == BF_PAYLOAD_TH ? "th" : "nh",
		(unsigned int)p->off, (unsigned int)p->len, p->mask, p->lo);
	if (p->hi != p->lo)
		fprintf(out, ":0x%" PRIx32, p->hi);
}
