/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nft's `ether daddr` and `ether type` (BF_MATCH_ETH_DADDR,
 * BF_MATCH_ETH_TYPE): the link-layer header as nft_payload_eval()
 * (net/netfilter/nft_payload.c, NFT_PAYLOAD_LL_HEADER) reads it. The
 * prologue fills pctx.dmac / ethtype / eth_ok; the match only reads them.
 */
#ifndef BPFILTER_CGEN_M_ETHER_H
#define BPFILTER_CGEN_M_ETHER_H

#include <stdbool.h>

#include "bpfilter/ir.h"
#include "cgen/emit.h"

/* The match, in a chain function (r9 = packet context); clobbers r1. */
void bf_ether_emit(struct bf_emit *e, const struct bf_match *m, bf_label fail);

/* Netfilter prologue, input and forward only (r7 = the skb, r9 = the
 * packet context), by the BTF offsets of sk_buff.dev, .head, .data,
 * .mac_header and net_device.type. Clobbers r0-r5. */
void bf_ether_nf(struct bf_emit *e, int off_skb_dev, int off_dev_type,
		 int off_skb_head, int off_skb_data, int off_skb_mac_header);

/* tc / XDP prologue: r0 = the frame's first 14 bytes (readable), r6 =
 * the program context (struct __sk_buff at tc). Clobbers r1, r2. */
void bf_ether_l2(struct bf_emit *e, bool tc);

#endif /* BPFILTER_CGEN_M_ETHER_H */
