// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter's own iptables-save modules for what the nft front end lowers
 * and iptables has no module for (doc/front-nft.md): the IR travels to
 * apply and to the saved state as iptables-save text, so these must read
 * back exactly what print writes. Not iptables options: real iptables
 * refuses them.
 *
 *   -m nftlimit --nft-rate N --nft-unit S [--nft-burst B] [--nft-bytes]
 *               [--nft-over] [--nft-bucket ID]
 *       BF_MATCH_NFT_LIMIT: nft's `limit rate [over] N/unit [burst B]`
 *       (NFTA_LIMIT_RATE, _UNIT in seconds, _BURST, NFT_LIMIT_PKT_BYTES,
 *       NFT_LIMIT_F_INV); --nft-bucket 1..65535: the bucket the rules of
 *       the slot naming ID share (one nft statement in several programs);
 *   -m th [!] --th-sport P[:Q] | [!] --th-dport P[:Q]
 *       BF_MATCH_TH_SPORT / BF_MATCH_TH_DPORT: nft's `th sport|dport`,
 *       one port option per instance (one IR match each);
 *   -m nftif [!] --nft-iif N | [!] --nft-oif N
 *       BF_MATCH_IIF / BF_MATCH_OIF: nft's `meta iif|oif`, the device's
 *       index as the nft front end resolved it (one per instance).
 *   -m nftether [!] --nft-ether-daddr XX:XX:XX:XX:XX:XX |
 *               [!] --nft-ether-type 0xHHHH |
 *               [!] --nft-vlan-id|--nft-vlan-pcp|--nft-vlan-dei N[:M]
 *               [!] --nft-vlan-type 0xT[:0xU]
 *       BF_MATCH_ETH_DADDR / BF_MATCH_ETH_TYPE / BF_MATCH_VLAN: nft's
 *       `ether daddr|type`, `vlan id|pcp|dei` (one per instance).
 * The option names are unique among all modules: iptables hands an
 * option to the first loaded module that has it (an earlier -m tcp would
 * take a --sport).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	NL_RATE,
	NL_UNIT,
	NL_BURST,
	NL_BYTES,
	NL_OVER,
	NL_BUCKET
};

const struct ipt_modopt ipt_nftlimit_opts[] = {
	{ "nft-rate", 1, NL_RATE, true, true },
	{ "nft-unit", 1, NL_UNIT, true, true },
	{ "nft-burst", 1, NL_BURST, true, true },
	{ "nft-bytes", 0, NL_BYTES, true, true },
	{ "nft-over", 0, NL_OVER, true, true },
	{ "nft-bucket", 1, NL_BUCKET, true, true },
	{ NULL },
};

static int once(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		const char *mod, const struct ipt_modopt *opt)
{
	if (inst->seen & (1u << opt->id)) {
		ipt_err(ctx, "%s: option \"--%s\" can only be used once.", mod,
			opt->name);
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	return 0;
}

int ipt_nftlimit_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx)
{
	struct bf_nft_limit *l = &inst->u.ext.m.u.nft_limit;
	unsigned long long v;

	if (once(ctx, inst, "nftlimit", opt))
		return -EINVAL;
	switch (opt->id) {
	case NL_RATE:
	case NL_UNIT:
	case NL_BURST:
	case NL_BUCKET:
		if (!ipt_strtoui(arg, opt->id == NL_BURST ? 0 : 1,
				 opt->id == NL_BURST  ? UINT32_MAX :
				 opt->id == NL_BUCKET ? UINT16_MAX :
							UINT64_MAX,
				 10, &v)) {
			ipt_err(ctx, "nftlimit: bad value for \"--%s\": \"%s\"",
				opt->name, arg);
			return -EINVAL;
		}
		if (opt->id == NL_RATE)
			l->rate = v;
		else if (opt->id == NL_UNIT)
			l->unit = v;
		else if (opt->id == NL_BUCKET)
			l->bucket = (uint16_t)v;
		else
			l->burst = (uint32_t)v;
		return 0;
	case NL_BYTES:
		l->bytes = true;
		return 0;
	case NL_OVER:
		l->over = true;
		return 0;
	}
	return -EINVAL;
}

int ipt_nftlimit_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	const struct bf_nft_limit *l = &inst->u.ext.m.u.nft_limit;
	uint64_t max, cost;

	if (!(inst->seen & (1u << NL_RATE)) ||
	    !(inst->seen & (1u << NL_UNIT))) {
		ipt_err(ctx,
			"nftlimit: --nft-rate and --nft-unit are required");
		return -EINVAL;
	}
	if (bf_nft_limit_bucket(l, &max, &cost)) {
		/* nft_limit_init() refuses it */
		ipt_err(ctx,
			"nftlimit: rate %" PRIu64 " per %" PRIu64
			" s, burst %u overflows the kernel's bucket",
			l->rate, l->unit, l->burst);
		return -EINVAL;
	}
	return 0;
}

void ipt_nftlimit_print(FILE *out, const struct bf_rule *rule,
			const struct bf_match *m)
{
	const struct bf_nft_limit *l = &m->u.nft_limit;

	fprintf(out, " --nft-rate %" PRIu64 " --nft-unit %" PRIu64, l->rate,
		l->unit);
	if (l->burst)
		fprintf(out, " --nft-burst %u", l->burst);
	if (l->bytes)
		fputs(" --nft-bytes", out);
	if (l->over)
		fputs(" --nft-over", out);
	if (l->bucket)
		fprintf(out, " --nft-bucket %u", (unsigned int)l->bucket);
}

enum {
	TH_SPORT,
	TH_DPORT
};

const struct ipt_modopt ipt_th_opts[] = {
	{ "th-sport", 1, TH_SPORT, true, false },
	{ "th-dport", 1, TH_DPORT, true, false },
	{ NULL },
};

int ipt_th_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		 const struct ipt_modopt *opt, const char *arg, bool inv,
		 int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long lo, hi;
	const char *colon = strchr(arg, ':');
	char buf[16];

	if (inst->seen) {
		ipt_err(ctx, "th: one of --th-sport, --th-dport per -m th");
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	if (colon && (size_t)(colon - arg) < sizeof(buf)) {
		memcpy(buf, arg, (size_t)(colon - arg));
		buf[colon - arg] = '\0';
	}
	if (colon ? (size_t)(colon - arg) >= sizeof(buf) ||
			    !ipt_strtoui(buf, 0, UINT16_MAX, 10, &lo) ||
			    !ipt_strtoui(colon + 1, lo, UINT16_MAX, 10, &hi) :
		    !ipt_strtoui(arg, 0, UINT16_MAX, 10, &lo)) {
		ipt_err(ctx, "th: bad port range \"%s\"", arg);
		return -EINVAL;
	}
	if (!colon)
		hi = lo;
	m->type = opt->id == TH_SPORT ? BF_MATCH_TH_SPORT : BF_MATCH_TH_DPORT;
	m->neg = inv;
	m->u.ports.lo = (uint16_t)lo;
	m->u.ports.hi = (uint16_t)hi;
	return 0;
}

int ipt_th_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "th: --th-sport or --th-dport is required");
		return -EINVAL;
	}
	return 0;
}

void ipt_th_print(FILE *out, const struct bf_rule *rule,
		  const struct bf_match *m)
{
	ipt_print_ports(out, m,
			m->type == BF_MATCH_TH_SPORT ? "th-sport" : "th-dport");
}

enum {
	IF_IIF,
	IF_OIF
};

const struct ipt_modopt ipt_nftif_opts[] = {
	{ "nft-iif", 1, IF_IIF, true, false },
	{ "nft-oif", 1, IF_OIF, true, false },
	{ NULL },
};

int ipt_nftif_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		    const struct ipt_modopt *opt, const char *arg, bool inv,
		    int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long v;

	if (inst->seen) {
		ipt_err(ctx, "nftif: one of --nft-iif, --nft-oif per -m nftif");
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	if (!ipt_strtoui(arg, 1, INT32_MAX, 10, &v)) {
		ipt_err(ctx, "nftif: bad interface index \"%s\"", arg);
		return -EINVAL;
	}
	m->type = opt->id == IF_IIF ? BF_MATCH_IIF : BF_MATCH_OIF;
	m->neg = inv;
	m->u.ifindex.index = (uint32_t)v;
	return 0;
}

int ipt_nftif_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "nftif: --nft-iif or --nft-oif is required");
		return -EINVAL;
	}
	return 0;
}

void ipt_nftif_print(FILE *out, const struct bf_rule *rule,
		     const struct bf_match *m)
{
	fprintf(out, "%s --%s %u", m->neg ? " !" : "",
		m->type == BF_MATCH_IIF ? "nft-iif" : "nft-oif",
		m->u.ifindex.index);
}

enum {
	ETH_DADDR,
	ETH_TYPE,
	ETH_VLAN_ID,
	ETH_VLAN_PCP,
	ETH_VLAN_DEI,
	ETH_VLAN_TYPE,
};

const struct ipt_modopt ipt_nftether_opts[] = {
	{ "nft-ether-daddr", 1, ETH_DADDR, true, false },
	{ "nft-ether-type", 1, ETH_TYPE, true, false },
	{ "nft-vlan-id", 1, ETH_VLAN_ID, true, false },
	{ "nft-vlan-pcp", 1, ETH_VLAN_PCP, true, false },
	{ "nft-vlan-dei", 1, ETH_VLAN_DEI, true, false },
	{ "nft-vlan-type", 1, ETH_VLAN_TYPE, true, false },
	{ NULL },
};

static const char *const vlan_opt[] = {
	[BF_VLAN_ID] = "nft-vlan-id",
	[BF_VLAN_PCP] = "nft-vlan-pcp",
	[BF_VLAN_DEI] = "nft-vlan-dei",
	[BF_VLAN_TYPE] = "nft-vlan-type",
};

static int vlan_parse(struct ipt_rule_ctx *ctx, struct bf_match *m, int id,
		      const char *arg)
{
	static const unsigned int max[] = { 4095, 7, 1, 0xffff };
	enum bf_vlan_field fl = id == ETH_VLAN_ID   ? BF_VLAN_ID :
				id == ETH_VLAN_PCP  ? BF_VLAN_PCP :
				id == ETH_VLAN_TYPE ? BF_VLAN_TYPE :
						      BF_VLAN_DEI;
	int base = fl == BF_VLAN_TYPE ? 0 : 10;
	const char *colon = strchr(arg, ':');
	unsigned long long lo, hi;
	char buf[8];

	if (colon && (size_t)(colon - arg) < sizeof(buf)) {
		memcpy(buf, arg, (size_t)(colon - arg));
		buf[colon - arg] = '\0';
	}
	if (colon ? (size_t)(colon - arg) >= sizeof(buf) ||
			    !ipt_strtoui(buf, 0, max[fl], base, &lo) ||
			    !ipt_strtoui(colon + 1, lo, max[fl], base, &hi) :
		    !ipt_strtoui(arg, 0, max[fl], base, &lo)) {
		ipt_err(ctx, "nftether: bad value for \"--%s\": \"%s\"",
			vlan_opt[fl], arg);
		return -EINVAL;
	}
	m->type = BF_MATCH_VLAN;
	m->u.vlan.field = (uint8_t)fl;
	m->u.vlan.lo = (uint16_t)lo;
	m->u.vlan.hi = (uint16_t)(colon ? hi : lo);
	return 0;
}

int ipt_nftether_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx)
{
	struct bf_match *m = &inst->u.ext.m;
	unsigned long long v;

	if (inst->seen) {
		ipt_err(ctx, "nftether: one option per -m nftether");
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	m->neg = inv;
	if (opt->id >= ETH_VLAN_ID)
		return vlan_parse(ctx, m, opt->id, arg);
	if (opt->id == ETH_TYPE) {
		if (!ipt_strtoui(arg, 0, UINT16_MAX, 0, &v)) {
			ipt_err(ctx, "nftether: bad type \"%s\"", arg);
			return -EINVAL;
		}
		m->type = BF_MATCH_ETH_TYPE;
		m->u.ethtype.type = (uint16_t)v;
		return 0;
	}
	m->type = BF_MATCH_ETH_DADDR;
	for (int i = 0; i < 6; i++) {
		const char *p = arg + 3 * i;
		unsigned int b;
		int n = 0;

		if (sscanf(p, "%2x%n", &b, &n) != 1 || n != 2 ||
		    p[2] != (i == 5 ? '\0' : ':')) {
			ipt_err(ctx, "nftether: bad address \"%s\"", arg);
			return -EINVAL;
		}
		m->u.mac.addr[i] = (uint8_t)b;
	}
	return 0;
}

int ipt_nftether_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx,
			"nftether: --nft-ether-daddr, --nft-ether-type or --nft-vlan-* is required");
		return -EINVAL;
	}
	return 0;
}

void ipt_nftether_print(FILE *out, const struct bf_rule *rule,
			const struct bf_match *m)
{
	const uint8_t *a = m->u.mac.addr;

	if (m->type == BF_MATCH_VLAN) {
		const char *fmt = m->u.vlan.field == BF_VLAN_TYPE ? "0x%04x" :
								    "%u";

		fprintf(out, "%s --%s ", m->neg ? " !" : "",
			vlan_opt[m->u.vlan.field]);
		fprintf(out, fmt, m->u.vlan.lo);
		if (m->u.vlan.hi != m->u.vlan.lo) {
			fputc(':', out);
			fprintf(out, fmt, m->u.vlan.hi);
		}
		return;
	}
	if (m->type == BF_MATCH_ETH_TYPE) {
		fprintf(out, "%s --nft-ether-type 0x%04x", m->neg ? " !" : "",
			m->u.ethtype.type);
		return;
	}
	fprintf(out, "%s --nft-ether-daddr %02x:%02x:%02x:%02x:%02x:%02x",
		m->neg ? " !" : "", a[0], a[1], a[2], a[3], a[4], a[5]);
}
