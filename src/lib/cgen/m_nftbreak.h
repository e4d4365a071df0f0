/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nft evaluation of the matches the nft front end makes (bf_match.nft,
 * enum bf_nft_mode in include/bpfilter/ir.h; doc/front-nft.md, "nft
 * evaluation"): a header that cannot be read makes the rule not match,
 * nothing hotdrops.
 */
#ifndef BPFILTER_CGEN_M_NFTBREAK_H
#define BPFILTER_CGEN_M_NFTBREAK_H

#include <stdbool.h>

#include "bpfilter/ir.h"
#include "cgen/emit.h"

/* Emit m (m->nft != BF_NFT_OFF) reading the packet context through r9
 * (pctx.nft_*, filled by the prologue when cg.nft_on); jumps to `fail`
 * when it does not hold. Returns false when the caller emits it as an
 * iptables match (an IPv4 L4PROTO: the same protocol field). */
bool bf_nftbreak_emit(struct bf_emit *e, const struct bf_rule *rule,
		      const struct bf_match *m, bf_label fail);

#endif /* BPFILTER_CGEN_M_NFTBREAK_H */
