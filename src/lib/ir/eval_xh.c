// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR interpreter's IPv6 extension header matches and AH (eval_x.h):
 * the kernel's frag_mt6(), hbh_mt6(), ah_mt6() and ah_mt() on the bytes
 * of the L3 packet, as cgen/m_exthdr.c compiles them.
 */
#include <stdbool.h>
#include <stdint.h>

#include "ir/eval_x.h"

static bool v6_ext(uint8_t nh)
{
	/* ipv6_ext_hdr() */
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 59 ||
	       nh == 60;
}

/* ipv6_find_hdr(skb, &off, target, NULL, NULL): 0 with *off, -1 for
 * -ENOENT, -2 for -EBADMSG */
static int find_hdr(const uint8_t *b, uint32_t len, uint8_t target,
		    uint32_t *off)
{
	uint32_t start = 40;
	uint8_t nh = b[6];

	for (;;) {
		uint32_t hdrlen;
		bool found = nh == target;

		if (!v6_ext(nh) || nh == 59)
			return found ? (*off = start, 0) : -1;
		if ((uint64_t)start + 2 > len)
			return -2;
		if (nh == 43 && (uint64_t)start + 4 > len)
			return -2;
		if (nh == 44) {
			if ((uint64_t)start + 4 > len)
				return -2;
			if ((b[start + 2] << 8 | b[start + 3]) & ~7) {
				if (!found)
					return -1;
				*off = start;
				return 0;
			}
			hdrlen = 8;
		} else if (nh == 51) {
			hdrlen = ((uint32_t)b[start + 1] + 2) * 4;
		} else {
			hdrlen = ((uint32_t)b[start + 1] + 1) * 8;
		}
		if (found) {
			*off = start;
			return 0;
		}
		nh = b[start];
		start += hdrlen;
	}
}

static bool in(uint32_t v, const uint32_t r[2], bool inv)
{
	return (v >= r[0] && v <= r[1]) != inv;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int frag(const uint8_t *b, uint32_t len, const struct bf_match *m)
{
	const typeof(m->u.frag6) *f = &m->u.frag6;
	uint32_t off;
	int r = find_hdr(b, len, 44, &off);
	uint16_t fo;

	if (r < 0)
		return r == -1 ? 0 : 2;
	if ((uint64_t)off + 8 > len)
		return 2;
	fo = (uint16_t)(b[off + 2] << 8 | b[off + 3]);
	if (!in(be32(b + off + 4), f->ids, f->invflags & BF_FRAG6_INV_IDS))
		return 0;
	if ((f->flags & BF_FRAG6_RES) && (b[off + 1] || (fo & 6)))
		return 0;
	if ((f->flags & BF_FRAG6_FST) && (fo & ~7))
		return 0;
	if ((f->flags & BF_FRAG6_MF) && !(fo & 1))
		return 0;
	if ((f->flags & BF_FRAG6_NMF) && (fo & 1))
		return 0;
	return 1;
}

/* hbh_mt6() as 6.18 has it (see cgen/m_exthdr.c) */
static int opts(const uint8_t *b, uint32_t len, const struct bf_match *m)
{
	const typeof(m->u.opts6) *o = &m->u.opts6;
	uint32_t ptr, hdrlen, t;
	int r = find_hdr(b, len, o->dst ? 60 : 0, &ptr);
	bool ret;

	if (r < 0)
		return r == -1 ? 0 : 2;
	if ((uint64_t)ptr + 2 > len)
		return 2;
	hdrlen = ((uint32_t)b[ptr + 1] + 1) * 8;
	if (len - ptr < hdrlen)
		return 2;
	ret = !(o->flags & BF_OPTS6_LEN) ||
	      ((o->hdrlen == hdrlen) != !!(o->invflags & BF_OPTS6_INV_LEN));
	ptr += 2;
	hdrlen -= 2;
	if (!(o->flags & BF_OPTS6_OPTS))
		return ret;
	for (t = 0; t < o->optsnr && t < BF_OPTS6_MAX; t++) {
		uint32_t optlen;

		if (hdrlen < 1)
			break;
		if (ptr + 1 > len)
			return 2;
		if (b[ptr] != o->opts[t] >> 8)
			return 0;
		if (b[ptr]) {
			if (hdrlen < 2 || ptr + 2 > len)
				return 2;
			if ((o->opts[t] & 0xff) != 0xff &&
			    (o->opts[t] & 0xff) != b[ptr + 1])
				return 0;
			optlen = (uint32_t)b[ptr + 1] + 2;
		} else {
			optlen = 1;
		}
		if (ptr > len || optlen > len - ptr || hdrlen < optlen)
			return 2;
		ptr += optlen;
		hdrlen -= optlen;
	}
	return t == o->optsnr ? ret : 0;
}

static int ah(const struct bf_eval_pkt *p, const struct bf_match *m)
{
	const typeof(m->u.ah) *a = &m->u.ah;
	const uint8_t *b = p->l3;
	uint32_t off;

	if (p->family == BF_FAMILY_INET4) {
		/* ah_mt(): the transport offset, ihl * 4 */
		if (p->fragoff)
			return 0;
		off = (uint32_t)(b[0] & 0xf) * 4;
	} else {
		int r = find_hdr(b, p->len, 51, &off);

		if (r < 0)
			return r == -1 ? 0 : 2;
	}
	if ((uint64_t)off + 12 > p->len)
		return 2;
	if (!in(be32(b + off + 4), a->spis, a->invflags & BF_AH_INV_SPI))
		return 0;
	if (p->family == BF_FAMILY_INET4)
		return 1;
	if (a->hdrlen && (a->hdrlen == ((uint32_t)b[off + 1] + 2) * 4) ==
				 !!(a->invflags & BF_AH_INV_LEN))
		return 0;
	if (a->hdrres && (b[off + 2] || b[off + 3]))
		return 0;
	return 1;
}

int bf_eval_exthdr(const struct bf_eval_pkt *p, const struct bf_match *m)
{
	if (!p->l3)
		return -1;
	if (m->type == BF_MATCH_AH)
		return ah(p, m);
	if (p->family != BF_FAMILY_INET6 || p->len < 40)
		return 0;
	if (m->type == BF_MATCH_FRAG6)
		return frag(p->l3, p->len, m);
	return opts(p->l3, p->len, m);
}
