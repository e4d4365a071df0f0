// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m nft: bpfilter's own module (no iptables has it), the iptables-save
 * spelling of the matches the nft front end makes with nft evaluation
 * (bf_match.nft, enum bf_nft_mode; doc/front-nft.md, "nft evaluation").
 * Apply and the saved state carry the IR as iptables-save text, so these
 * matches must survive it; each option is one IR match, in rule order:
 *
 *   [!] --l4proto N      L4PROTO, BF_NFT_BREAK (IPv6 `meta l4proto`)
 *   [!] --nexthdr N      L4PROTO, BF_NFT_RAW (IPv6 `ip6 nexthdr`)
 *   --l4hdr P:LEN        L4HDR of protocol P, LEN bytes readable (1-255)
 *   [!] --sport A[:B]    SPORT      [!] --dport A[:B]   DPORT
 *   [!] --tcp-flags M/C  TCPFLAGS, all 8 bits ((flags & M) == C)
 *   [!] --icmp-type T[/A[:B]]  ICMP (no wildcard type)
 *
 * Options may repeat. A ruleset with `-m nft` cannot be loaded by
 * iptables-restore.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

enum {
	NFTB_L4PROTO,
	NFTB_NEXTHDR,
	NFTB_L4HDR,
	NFTB_SPORT,
	NFTB_DPORT,
	NFTB_TCPFLAGS,
	NFTB_ICMP,
};

const struct ipt_modopt ipt_nftb_opts[] = {
	{ "l4proto", 1, NFTB_L4PROTO, true, false },
	{ "nexthdr", 1, NFTB_NEXTHDR, true, false },
	{ "l4hdr", 1, NFTB_L4HDR, true, true },
	{ "sport", 1, NFTB_SPORT, true, false },
	{ "dport", 1, NFTB_DPORT, true, false },
	{ "tcp-flags", 1, NFTB_TCPFLAGS, true, false },
	{ "icmp-type", 1, NFTB_ICMP, true, false },
	{ NULL },
};

/* One parsed option: the IR match it becomes, compactly. */
struct nftb_item {
	uint8_t type; /* enum bf_match_type */
	uint8_t nft; /* enum bf_nft_mode */
	bool neg;
	uint8_t a, b, c, d; /* proto; l4hdr proto, len; flags mask, cmp;
			     * icmp type, code lo, hi */
	uint16_t lo, hi; /* ports */
};

#define NFTB_MAX 16

/* Kept in the instance's union; its first word is u.ext.m.type, which
 * ipt_ext_init() sets. */
struct nftb_inst {
	uint32_t ext_type;
	uint8_t n;
	struct nftb_item items[NFTB_MAX];
};

_Static_assert(sizeof(struct nftb_inst) <=
		       sizeof(((struct ipt_mod_inst *)0)->u),
	       "-m nft items fit the instance");

static struct nftb_inst *nftb(const struct ipt_mod_inst *inst)
{
	return (struct nftb_inst *)&inst->u;
}

static bool num(const char *s, unsigned long long max, unsigned long long *v)
{
	return ipt_strtoui(s, 0, max, 0, v);
}

/* "A" or "A:B" of numbers up to max, A <= B */
static bool range(const char *s, unsigned long long max, uint16_t *lo,
		  uint16_t *hi)
{
	char buf[32];
	char *colon;
	unsigned long long a, b;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (!num(buf, max, &a))
		return false;
	b = a;
	if (colon && !num(colon + 1, max, &b))
		return false;
	if (a > b)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

int ipt_nftb_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		   const struct ipt_modopt *opt, const char *arg, bool inv,
		   int argc, char **argv, int *idx)
{
	struct nftb_inst *ni = nftb(inst);
	struct nftb_item it = { .nft = BF_NFT_BREAK, .neg = inv };
	unsigned long long v, w;
	const char *slash;
	char buf[32];

	if (ni->n >= NFTB_MAX) {
		ipt_err(ctx, "nft: more than %d options in one -m nft",
			NFTB_MAX);
		return -E2BIG;
	}
	switch (opt->id) {
	case NFTB_L4PROTO:
	case NFTB_NEXTHDR:
		if (ctx->family != BF_FAMILY_INET6) {
			ipt_err(ctx, "nft: --%s is for IPv6 only", opt->name);
			return -EINVAL;
		}
		if (!num(arg, 255, &v))
			goto bad;
		it.type = BF_MATCH_L4PROTO;
		it.nft = opt->id == NFTB_NEXTHDR ? BF_NFT_RAW : BF_NFT_BREAK;
		it.a = (uint8_t)v;
		/* nft's `tcp ...` on IPv6: TCP for REJECT's tcp-reset */
		if (opt->id == NFTB_L4PROTO && v == 6 && !inv)
			ctx->nft_tcp = true;
		break;
	case NFTB_L4HDR:
		slash = strchr(arg, ':');
		if (!slash || (size_t)(slash - arg) >= sizeof(buf))
			goto bad;
		memcpy(buf, arg, (size_t)(slash - arg));
		buf[slash - arg] = '\0';
		if (!num(buf, 255, &v) ||
		    !ipt_strtoui(slash + 1, 1, 255, 0, &w))
			goto bad;
		it.type = BF_MATCH_L4HDR;
		it.a = (uint8_t)v;
		it.b = (uint8_t)w;
		break;
	case NFTB_SPORT:
	case NFTB_DPORT:
		if (!range(arg, 0xffff, &it.lo, &it.hi))
			goto bad;
		it.type = opt->id == NFTB_SPORT ? BF_MATCH_SPORT :
						  BF_MATCH_DPORT;
		break;
	case NFTB_TCPFLAGS:
		slash = strchr(arg, '/');
		if (!slash || (size_t)(slash - arg) >= sizeof(buf))
			goto bad;
		memcpy(buf, arg, (size_t)(slash - arg));
		buf[slash - arg] = '\0';
		if (!num(buf, 255, &v) || !num(slash + 1, 255, &w))
			goto bad;
		it.type = BF_MATCH_TCPFLAGS;
		it.a = (uint8_t)v;
		it.b = (uint8_t)w;
		break;
	case NFTB_ICMP: {
		uint16_t lo = 0, hi = 0xff;

		slash = strchr(arg, '/');
		if (slash && (size_t)(slash - arg) >= sizeof(buf))
			goto bad;
		snprintf(buf, sizeof(buf), "%.*s",
			 slash ? (int)(slash - arg) : (int)strlen(arg), arg);
		if (!num(buf, 255, &v) ||
		    (slash && !range(slash + 1, 255, &lo, &hi)))
			goto bad;
		it.type = BF_MATCH_ICMP;
		it.a = (uint8_t)v;
		it.c = (uint8_t)lo;
		it.d = (uint8_t)hi;
		break;
	}
	default:
		goto bad;
	}
	ni->items[ni->n++] = it;
	return 0;
bad:
	ipt_err(ctx, "nft: bad --%s value `%s'", opt->name, arg);
	return -EINVAL;
}

int ipt_nftb_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!nftb(inst)->n) {
		ipt_err(ctx, "nft: -m nft needs an option");
		return -EINVAL;
	}
	return 0;
}

int ipt_nftb_emit(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		  struct bf_rule *rule, uint16_t instance)
{
	const struct nftb_inst *ni = nftb(inst);

	for (uint8_t i = 0; i < ni->n; i++) {
		const struct nftb_item *it = &ni->items[i];
		struct bf_match m = {
			.type = (enum bf_match_type)it->type,
			.neg = it->neg,
			.nft = it->nft,
			.origin = { .module = IPT_MOD_NFT,
				    .instance = instance },
			.line = ctx->line,
		};
		int r;

		switch (m.type) {
		case BF_MATCH_L4PROTO:
			m.u.proto = it->a;
			break;
		case BF_MATCH_L4HDR:
			m.u.l4hdr.proto = it->a;
			m.u.l4hdr.min_len = it->b;
			break;
		case BF_MATCH_SPORT:
		case BF_MATCH_DPORT:
			m.u.ports.lo = it->lo;
			m.u.ports.hi = it->hi;
			break;
		case BF_MATCH_TCPFLAGS:
			m.u.tcpflags.mask = it->a;
			m.u.tcpflags.cmp = it->b;
			break;
		case BF_MATCH_ICMP:
			m.u.icmp.type = it->a;
			m.u.icmp.code_lo = it->c;
			m.u.icmp.code_hi = it->d;
			break;
		default:
			return -EINVAL;
		}
		r = bf_rule_add_match(rule, &m);
		if (r)
			return r;
	}
	return 0;
}

void ipt_nftb_print(FILE *out, const struct bf_rule *rule,
		    const struct bf_match *m)
{
	const char *neg = m->neg ? " !" : "";

	switch (m->type) {
	case BF_MATCH_L4PROTO:
		fprintf(out, "%s --%s %u", neg,
			m->nft == BF_NFT_RAW ? "nexthdr" : "l4proto",
			m->u.proto);
		break;
	case BF_MATCH_L4HDR:
		fprintf(out, " --l4hdr %u:%u", m->u.l4hdr.proto,
			m->u.l4hdr.min_len);
		break;
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT:
		ipt_print_ports(out, m,
				m->type == BF_MATCH_SPORT ? "sport" : "dport");
		break;
	case BF_MATCH_TCPFLAGS:
		fprintf(out, "%s --tcp-flags 0x%02x/0x%02x", neg,
			m->u.tcpflags.mask, m->u.tcpflags.cmp);
		break;
	case BF_MATCH_ICMP:
		fprintf(out, "%s --icmp-type %u", neg, m->u.icmp.type);
		ipt_print_icmp_code(out, m);
		break;
	default:
		break;
	}
	(void)rule;
}
