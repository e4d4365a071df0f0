/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Matches of nft's semantics that the nft front end makes (lower.c):
 * `limit rate` (nft_limit.c) and `th sport|dport` (nft_payload.c).
 * Both emit into a chain function (r9 = packet context) and clobber
 * r0-r8, as every match may.
 */
#ifndef BPFILTER_CGEN_M_NFTLIMIT_H
#define BPFILTER_CGEN_M_NFTLIMIT_H

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"

/* BF_MATCH_NFT_LIMIT: the bucket lives in the 16 bytes of the program's
 * state map at state_off ({u64 last; u64 tokens}), or, for a statement
 * lowered into several programs (the IPv4 and IPv6 copies of an inet
 * rule, a chain several base chains reach), m->u.nft_limit.bucket N > 0:
 * at 16 * (N - 1) in the one value of the shared buckets' map, which
 * every program of a slot loaded together gets (bf_nftm_buckets_open()),
 * as nft keeps one bucket per statement. */
void bf_nftm_limit_emit(struct bf_emit *e, uint32_t state_off,
			const struct bf_match *m, bf_label fail);

/* Bytes of the shared buckets' map value prog uses (0: none). */
uint32_t bf_nftm_buckets_size(const struct bf_program *prog);

/* Create the shared buckets' map for programs needing `size` bytes (a
 * one-entry array, the buckets zero: full at their first packet).
 * Returns the fd or -errno. */
int bf_nftm_buckets_create(uint32_t size);

/* BF_MATCH_TH_SPORT / BF_MATCH_TH_DPORT */
void bf_nftm_th_emit(struct bf_emit *e, const struct bf_match *m,
		     bf_label fail);

/* BF_MATCH_IIF / BF_MATCH_OIF, on pctx.ifindex_in / ifindex_out */
void bf_nftm_ifindex_emit(struct bf_emit *e, const struct bf_match *m,
			  bf_label fail);

/* Netfilter prologue (r6 = the program context, r9 = the packet
 * context): pctx.ifindex_in/out from state->in/out, by the BTF offsets
 * of bpf_nf_ctx.state, nf_hook_state.in/out and net_device.ifindex. */
void bf_nftm_nf_ifindex(struct bf_emit *e, int off_ctx_state, int off_state_in,
			int off_state_out, int off_dev_ifindex);

#endif /* BPFILTER_CGEN_M_NFTLIMIT_H */
