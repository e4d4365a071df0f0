/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPv6 extension header matches and AH (BF_MATCH_FRAG6, BF_MATCH_OPTS6,
 * BF_MATCH_AH; include/bpfilter/ir.h): ip6tables' -m frag, -m hbh,
 * -m dst, -m ah and iptables' -m ah.
 *
 * The kernel's matches find their header with ipv6_find_hdr(skb, &ptr,
 * target, ...): the first header of that type on the extension header
 * walk, which is the prologue's walk up to that header (v6_step() in
 * cgen.c). The walk notes the offset of the first hop-by-hop,
 * destination options and fragment header (bf_xh_walk_hdr()) and whether
 * it ended at a non-first fragment (where ipv6_find_hdr() returns
 * -ENOENT, not an error: bf_xh_walk_nonfirst()); the AH header is the
 * one the walk notes for nft (pctx.nft_ah_off).
 *
 * Chain functions cannot read the packet, so, as for payload matches
 * (m_payload.h), the prologue evaluates each distinct match of the
 * program once per packet, after the headers are parsed, into two bits
 * of pctx.xh_bits: bit i when match i holds, bit 16 + i when it
 * hotdrops. The match in a chain tests them. The matches have no side
 * effect, so where they are evaluated does not change the verdicts.
 */
#ifndef BPFILTER_CGEN_M_EXTHDR_H
#define BPFILTER_CGEN_M_EXTHDR_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/emit.h"

#define BF_XH_MAX 16 /* distinct matches per program */

struct bf_xh {
	const struct bf_match *m[BF_XH_MAX];
	enum bf_family fam[BF_XH_MAX];
	size_t n;
	bool walk; /* the IPv6 walk notes header offsets */
};

/* Whether m is one of these matches. */
bool bf_xh_is(const struct bf_match *m);

/* Record m (of a rule of family fam); the reason it cannot be compiled,
 * or NULL. */
const char *bf_xh_scan(struct bf_xh *x, enum bf_family fam,
		       const struct bf_match *m);

/* In parse_v6(), before the walk: clear the walk's notes. */
void bf_xh_walk_start(const struct bf_xh *x, struct bf_emit *e);
/* In v6_step() at a header of type nh (0, 60 or 44) at offset r7 whose
 * bytes ipv6_find_hdr() reads are in the packet: note the first one. */
void bf_xh_walk_hdr(const struct bf_xh *x, struct bf_emit *e, int nh);
/* In v6_step() at a non-first fragment, where the walk ends. */
void bf_xh_walk_nonfirst(const struct bf_xh *x, struct bf_emit *e);

/* After the headers of a packet of family fam are parsed (r9 = packet
 * context, r8 = L3 length, the dynptr at STK_DYNPTR; not in direct
 * mode): evaluate the matches into pctx.xh_bits. Clobbers r0-r5 and
 * pctx.scratch[0..39]. */
void bf_xh_prologue(const struct bf_xh *x, struct bf_emit *e,
		    enum bf_family fam, int32_t l3off);

/* -m mh (BF_MATCH_MH) in a chain, from the packet context alone:
 * mh_mt6() on pctx.fragoff, avail and the first 4 bytes at the transport
 * offset (sport, dport). */
void bf_xh_emit_mh(struct bf_emit *e, const struct bf_match *m, bf_label fail,
		   bf_label hotdrop);

/* The match in a chain (r9 = packet context). */
bool bf_xh_emit(const struct bf_xh *x, struct bf_emit *e, enum bf_family fam,
		const struct bf_match *m, bf_label fail, bf_label hotdrop);

#endif /* BPFILTER_CGEN_M_EXTHDR_H */
