// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shortcuts of a one-segment change: see load/segfast.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "check/check.h"
#include "load/seg.h"
#include "load/segfast.h"

bool bf_seg_rule_root_neutral(const struct bf_rule *r)
{
	switch (r->verdict.kind) {
	case BF_VERDICT_CONTINUE:
	case BF_VERDICT_ACCEPT:
	case BF_VERDICT_DROP:
	case BF_VERDICT_RETURN:
		break;
	default: /* chain calls, targets with state or a prologue need */
		return false;
	}
	for (size_t k = 0; k < r->n_matches; k++) {
		const struct bf_match *m = &r->matches[k];

		if (m->nft != BF_NFT_OFF)
			return false; /* pctx.nft_* */
		switch (m->type) {
		/* read from what every prologue fills: the IP header, the
		 * transport header, the interface names (cgen.c, emit_main()
		 * and parse_nf_meta()) */
		case BF_MATCH_L4PROTO:
		case BF_MATCH_SADDR:
		case BF_MATCH_DADDR:
		case BF_MATCH_IIFNAME:
		case BF_MATCH_OIFNAME:
		case BF_MATCH_FRAG:
		case BF_MATCH_L4HDR:
		case BF_MATCH_SPORT:
		case BF_MATCH_DPORT:
		case BF_MATCH_TCPFLAGS:
		case BF_MATCH_ICMP:
		case BF_MATCH_MULTIPORT:
		case BF_MATCH_SRANGE:
		case BF_MATCH_DRANGE:
		case BF_MATCH_COMMENT:
		case BF_MATCH_LENGTH:
		case BF_MATCH_TTL:
			break;
		default:
			return false;
		}
	}
	return true;
}

bool bf_seg_rules_root_neutral(const struct bf_chain *c, size_t first,
			       size_t end)
{
	for (size_t j = first; j < end && j < c->n_rules; j++) {
		if (!bf_seg_rule_root_neutral(&c->rules[j]))
			return false;
	}
	return true;
}

bool bf_seg_root_check(void)
{
	const char *v = getenv("BPFILTER_SEG_ROOT_CHECK");

	return v && *v && strcmp(v, "0");
}

int bf_seg_plan_check(const struct bf_seg_plan *pl, const struct bf_ruleset *rs,
		      enum bf_attach_kind attach, const char *ifname)
{
	size_t ci, p, oe, ne, old_n;
	const char *v = getenv("BPFILTER_SEG_CHECK");
	int r, full;

	bf_seg_plan_window(pl, &ci, &p, &oe, &ne, &old_n);
	r = bf_check_change(rs, attach, ifname, ci, p, ne);
	if (!v || !*v || !strcmp(v, "0"))
		return r;
	full = bf_check(rs, attach, ifname);
	if (full != r) {
		bf_err("incremental check (%d) differs from the whole one (%d)",
		       r, full);
		return full ? full : -EINVAL;
	}
	return r;
}

void bf_ruleset_free_later(struct bf_ruleset **rs)
{
	static struct bf_ruleset *later;
	const char *v = getenv("BPFILTER_FREE_NOW");

	bf_ruleset_free(&later);
	if (v && *v && strcmp(v, "0")) {
		bf_ruleset_free(rs);
		return;
	}
	later = *rs;
	*rs = NULL;
}

unsigned int bf_seg_plan_ct_families(const struct bf_seg_plan *pl,
				     const struct bf_ruleset *rs,
				     const struct bf_state *old)
{
	size_t ci, p, oe, ne, old_n;
	unsigned int had = 0, fams, fam;
	const struct bf_chain *c;
	const char *v = getenv("BPFILTER_SEG_CHECK");

	bf_seg_plan_window(pl, &ci, &p, &oe, &ne, &old_n);
	if (old->hdr.flags & BF_STATE_USES_CT)
		had |= 1u << BF_FAMILY_INET4;
	if (old->hdr.flags & BF_STATE_USES_CT6)
		had |= 1u << BF_FAMILY_INET6;
	c = ci < rs->n_chains ? &rs->chains[ci] : NULL;
	fam = c ? 1u << c->family : 0;
	/* a removed rule may have been its family's last conntrack user */
	if (!c || (oe > p && (had & fam)))
		return bf_ruleset_ct_families(rs);
	fams = had & rs->families;
	for (size_t j = p; j < ne && j < c->n_rules && !(fams & fam); j++) {
		if (bf_rule_uses_ct(&c->rules[j]))
			fams |= fam & rs->families;
	}
	if (v && *v && strcmp(v, "0") && fams != bf_ruleset_ct_families(rs)) {
		bf_err("incremental conntrack families: the result differs from "
		       "the whole walk's");
		return bf_ruleset_ct_families(rs);
	}
	return fams;
}
