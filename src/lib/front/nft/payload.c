// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft payload fields as BF_MATCH_PAYLOAD (cgen/m_payload.c): what nft
 * emits for `tcp window 8192`, `ip id 1-5`, `ip hdrlength 5`: a payload
 * load of the bytes that hold the field (netlink_linearize.c
 * netlink_gen_payload(): the field's bytes, rounded out to whole bytes),
 * a bitwise and when the field does not fill them (payload_expr_
 * complete() / the mask nft adds for sub-byte fields) and a cmp or range
 * of the value shifted into place.
 */
#include <errno.h>
#include <string.h>

#include "front/nft/nft.h"

int nft_payload_match(const struct bf_nft_field *f,
		      const struct bf_nft_expr *el, const uint64_t *and_mask,
		      bool neg, struct bf_match *m, const char **why)
{
	unsigned int first = f->off_bits / 8;
	unsigned int end = f->off_bits + f->len_bits;
	unsigned int nbytes = (end + 7) / 8 - first;
	unsigned int shift = (first + nbytes) * 8 - end;
	uint64_t fmask, lo, hi;

	if (f->base != BF_NFT_BASE_NH && f->base != BF_NFT_BASE_TH) {
		*why = "payload fields of this header";
		return -EOPNOTSUPP;
	}
	if (nbytes > 4 || !f->len_bits) {
		*why = "payload fields wider than 32 bits in this form";
		return -EOPNOTSUPP;
	}
	if (el->kind == BF_NFT_E_RANGE) {
		lo = el->sub[0]->num;
		hi = el->sub[1]->num;
	} else if (el->kind == BF_NFT_E_VALUE) {
		lo = hi = el->num;
	} else {
		*why = "this payload comparison";
		return -EOPNOTSUPP;
	}
	fmask = (f->len_bits >= 64 ? UINT64_MAX : (1ull << f->len_bits) - 1);
	if (lo > fmask || hi > fmask) {
		*why = "a value wider than the field";
		return -EOPNOTSUPP;
	}
	memset(&m->u, 0, sizeof(m->u));
	m->type = BF_MATCH_PAYLOAD;
	m->neg = neg;
	m->nft = BF_NFT_OFF;
	m->u.payload.base = f->base == BF_NFT_BASE_NH ? BF_PAYLOAD_NH :
							BF_PAYLOAD_TH;
	m->u.payload.off = (uint16_t)first;
	m->u.payload.len = (uint8_t)nbytes;
	if (and_mask) {
		/* `field & M == V`: nft's bitwise of M (in place) */
		if (el->kind != BF_NFT_E_VALUE) {
			*why = "a bitwise and with a range";
			return -EOPNOTSUPP;
		}
		fmask &= *and_mask;
		lo &= fmask;
		hi = lo;
		if ((el->num & ~fmask) != 0)
			lo = 1, hi = 0; /* never equal (empty range) */
	}
	m->u.payload.mask = (uint32_t)(fmask << shift);
	if (lo > hi) {
		m->u.payload.lo = 1;
		m->u.payload.hi = 0;
	} else {
		m->u.payload.lo = (uint32_t)(lo << shift);
		m->u.payload.hi = (uint32_t)(hi << shift);
	}
	return 0;
}
