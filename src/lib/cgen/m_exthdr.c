// SPDX-License-Identifier: GPL-2.0-only
/*
 * IPv6 extension header matches and AH (m_exthdr.h). The kernel side:
 *  - frag_mt6() (net/ipv6/netfilter/ip6t_frag.c): the fragment header's
 *    identification in range (xor invert), the reserved bits clear, the
 *    offset zero, the M flag set or clear, as asked;
 *  - hbh_mt6() (ip6t_hbh.c, both -m hbh and -m dst) as this kernel
 *    (6.18) has it: the header's ipv6_optlen() within the packet (else
 *    hotdrop), equal to --*-len (xor invert), then the strict option
 *    list: each option's type and, unless Pad1, its length (0xff: any)
 *    in order; an option whose length field is missing or that runs
 *    past the header hotdrops (older kernels returned false there);
 *  - ah_mt6() (ip6t_ah.c): the 12 bytes of struct ip_auth_hdr, SPI in
 *    range (xor invert), ipv6_authlen() equal to --ahlen (xor invert),
 *    the reserved field zero with --ahres;
 *  - mh_mt6() (ip6t_mh.c): no match in a non-first fragment, the 6
 *    bytes of struct ip6_mh at the transport offset (else hotdrop), its
 *    payload proto NONE (else hotdrop), its type in range (xor invert);
 *  - ah_mt() (net/ipv4/netfilter/ipt_ah.c): no match in a non-first
 *    fragment, the 12 bytes at the transport offset (else hotdrop), the
 *    SPI in range (xor invert).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>

#include "cgen/m_exthdr.h"
#include "cgen/pctx.h"

#define SCR ((int16_t)PCTX_OFF(scratch))
/* the walk's notes (bf_xh_walk_*()): u16 offsets and a flag byte, in
 * scratch bytes that the walk and parse_l4() leave alone */
#define XH_HOP ((int16_t)(SCR + 40))
#define XH_DST ((int16_t)(SCR + 42))
#define XH_FRAG ((int16_t)(SCR + 44))
#define XH_NONFIRST ((int16_t)(SCR + 46))
/* the prologue's working slots */
#define XH_OFF ((int16_t)(SCR + 24))
#define XH_PTR ((int16_t)(SCR + 16))
#define XH_REM ((int16_t)(SCR + 20))
#define XH_RET ((int16_t)(SCR + 28))
_Static_assert(sizeof(((struct bf_pctx *)0)->scratch) >= 48, "scratch");

static void ld(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

static void st(struct bf_emit *e, int size, int16_t off, uint8_t src)
{
	bf_emit(e, I_STX(size, BF_R9, src, off));
}

bool bf_xh_is(const struct bf_match *m)
{
	return m->type == BF_MATCH_FRAG6 || m->type == BF_MATCH_OPTS6 ||
	       m->type == BF_MATCH_AH;
}

static bool same(const struct bf_match *a, const struct bf_match *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case BF_MATCH_FRAG6:
		return !memcmp(&a->u.frag6, &b->u.frag6, sizeof(a->u.frag6));
	case BF_MATCH_OPTS6:
		return !memcmp(&a->u.opts6, &b->u.opts6, sizeof(a->u.opts6));
	default:
		return !memcmp(&a->u.ah, &b->u.ah, sizeof(a->u.ah));
	}
}

static int find(const struct bf_xh *x, enum bf_family fam,
		const struct bf_match *m)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->fam[i] == fam && same(x->m[i], m))
			return (int)i;
	return -1;
}

const char *bf_xh_scan(struct bf_xh *x, enum bf_family fam,
		       const struct bf_match *m)
{
	if (m->type != BF_MATCH_AH && fam != BF_FAMILY_INET6)
		return "an IPv6 extension header match in an IPv4 rule";
	if (m->type == BF_MATCH_OPTS6 &&
	    ((m->u.opts6.flags & BF_OPTS6_NSTRICT) ||
	     m->u.opts6.optsnr > BF_OPTS6_MAX))
		return "a non-strict option list (the kernel refuses it)";
	/* AH's offset is the walk's nft_ah_off; the non-first fragment
	 * note serves it too */
	if (fam == BF_FAMILY_INET6)
		x->walk = true;
	if (find(x, fam, m) >= 0)
		return NULL;
	if (x->n == BF_XH_MAX)
		return "more than 16 distinct extension header or AH matches "
		       "in one program";
	x->m[x->n] = m;
	x->fam[x->n++] = fam;
	return NULL;
}

void bf_xh_walk_start(const struct bf_xh *x, struct bf_emit *e)
{
	if (!x->walk)
		return;
	bf_emit(e, I_ST(BPF_DW, BF_R9, XH_HOP, 0));
}

void bf_xh_walk_hdr(const struct bf_xh *x, struct bf_emit *e, int nh)
{
	int16_t slot = nh == 0 ? XH_HOP : nh == 60 ? XH_DST : XH_FRAG;
	bf_label seen = bf_label_new(e);

	if (!x->walk)
		return;
	ld(e, BPF_H, BF_R1, slot);
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, seen);
	st(e, BPF_H, slot, BF_R7);
	bf_label_bind(e, seen);
}

void bf_xh_walk_nonfirst(const struct bf_xh *x, struct bf_emit *e)
{
	if (!x->walk)
		return;
	bf_emit(e, I_ST(BPF_B, BF_R9, XH_NONFIRST, 1));
}

/* bpf_dynptr_read(pctx + dst, len, dynptr, r4, 0); `bad` on error. r4
 * holds the offset in the dynptr. */
static void dread(struct bf_emit *e, int16_t dst, int32_t len, bf_label bad)
{
	bf_emit(e, I_MOV64_IMM(BF_R2, len));
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, dst));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_FP));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	bf_emit(e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

/* r4 = L3 offset of `len` bytes that must be in the packet (r8 = L3
 * length), else `bad`; read them into scratch[0..len-1]. */
static void read_at(struct bf_emit *e, int32_t l3off, int32_t len, bf_label bad)
{
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R4));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, len));
	bf_emit_jmp_reg(e, BPF_JGT, BF_R1, BF_R8, bad);
	if (l3off)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, l3off));
	dread(e, SCR, len, bad);
}

/* (lo <= r1 <= hi) ^ inv, 32-bit unsigned, else `fail` */
static void range32(struct bf_emit *e, uint32_t lo, uint32_t hi, bool inv,
		    bf_label fail)
{
	bf_label out = inv ? bf_label_new(e) : fail;

	if (lo > hi) {
		bf_emit_ja(e, out);
	} else {
		if (lo > 0)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, (int32_t)lo, out);
		if (hi < UINT32_MAX)
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, (int32_t)hi, out);
	}
	if (inv) {
		bf_emit_ja(e, fail);
		bf_label_bind(e, out);
	}
}

/* r1 == v ^ inv, else `fail` */
static void equal(struct bf_emit *e, uint32_t v, bool inv, bf_label fail)
{
	bf_emit_jmp32_imm(e, inv ? BPF_JEQ : BPF_JNE, BF_R1, (int32_t)v, fail);
}

/* ipv6_find_hdr(skb, &ptr, target, NULL, NULL): r4 = the header's offset
 * (also at XH_OFF); `none` for -ENOENT (no header, or the walk ended at a
 * non-first fragment before it), `drop` for the other errors (the walk
 * failed before it: hotdrop). */
static void find_hdr(struct bf_emit *e, const struct bf_match *m, bf_label none,
		     bf_label drop)
{
	bf_label notfound = bf_label_new(e), found = bf_label_new(e);

	if (m->type == BF_MATCH_AH) {
		ld(e, BPF_B, BF_R1, PCTX_OFF(nft_ah));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, notfound);
		ld(e, BPF_H, BF_R4, PCTX_OFF(nft_ah_off));
	} else {
		ld(e, BPF_H, BF_R4,
		   m->type == BF_MATCH_FRAG6 ? XH_FRAG :
		   m->u.opts6.dst	     ? XH_DST :
					       XH_HOP);
	}
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R4, 0, found);
	bf_label_bind(e, notfound);
	ld(e, BPF_B, BF_R1, PCTX_OFF(l6err));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, none);
	ld(e, BPF_B, BF_R1, XH_NONFIRST);
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, none);
	bf_emit_ja(e, drop);
	bf_label_bind(e, found);
	st(e, BPF_W, XH_OFF, BF_R4);
}

static void eval_frag(struct bf_emit *e, const struct bf_match *m,
		      int32_t l3off, bf_label skip, bf_label drop)
{
	const typeof(m->u.frag6) *f = &m->u.frag6;

	find_hdr(e, m, skip, drop);
	read_at(e, l3off, 8, drop);
	ld(e, BPF_W, BF_R1, SCR + 4);
	bf_emit(e, I_BE(BF_R1, 32));
	range32(e, f->ids[0], f->ids[1], f->invflags & BF_FRAG6_INV_IDS, skip);
	ld(e, BPF_H, BF_R2, SCR + 2);
	bf_emit(e, I_BE(BF_R2, 16));
	if (f->flags & BF_FRAG6_RES) {
		ld(e, BPF_B, BF_R1, SCR + 1);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, skip);
		bf_emit(e, I_MOV64_REG(BF_R1, BF_R2));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 6));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, skip);
	}
	if (f->flags & BF_FRAG6_FST) {
		bf_emit(e, I_MOV64_REG(BF_R1, BF_R2));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 0xfff8));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, skip);
	}
	if (f->flags & (BF_FRAG6_MF | BF_FRAG6_NMF)) {
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R2, 1));
		if (f->flags & BF_FRAG6_MF)
			bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, skip);
		if (f->flags & BF_FRAG6_NMF)
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 0, skip);
	}
}

static void eval_ah(struct bf_emit *e, enum bf_family fam,
		    const struct bf_match *m, int32_t l3off, bf_label skip,
		    bf_label drop)
{
	const typeof(m->u.ah) *a = &m->u.ah;

	if (fam == BF_FAMILY_INET4) {
		ld(e, BPF_H, BF_R1, PCTX_OFF(fragoff));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, skip);
		ld(e, BPF_W, BF_R4, PCTX_OFF(thoff));
	} else {
		find_hdr(e, m, skip, drop);
	}
	read_at(e, l3off, 12, drop);
	ld(e, BPF_W, BF_R1, SCR + 4);
	bf_emit(e, I_BE(BF_R1, 32));
	range32(e, a->spis[0], a->spis[1], a->invflags & BF_AH_INV_SPI, skip);
	if (fam == BF_FAMILY_INET4)
		return;
	if (a->hdrlen) {
		/* ipv6_authlen() */
		ld(e, BPF_B, BF_R1, SCR + 1);
		bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R1, 2));
		bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R1, 2));
		equal(e, a->hdrlen, a->invflags & BF_AH_INV_LEN, skip);
	}
	if (a->hdrres) {
		ld(e, BPF_H, BF_R1, SCR + 2);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, skip);
	}
}

static void eval_opts(struct bf_emit *e, const struct bf_match *m,
		      int32_t l3off, bf_label skip, bf_label drop)
{
	const typeof(m->u.opts6) *o = &m->u.opts6;

	find_hdr(e, m, skip, drop);
	read_at(e, l3off, 2, drop);
	/* hdrlen = ipv6_optlen(); the packet shorter than that: hotdrop */
	ld(e, BPF_B, BF_R1, SCR + 1);
	bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R1, 1));
	bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R1, 3));
	ld(e, BPF_W, BF_R4, XH_OFF);
	bf_emit(e, I_MOV64_REG(BF_R2, BF_R8));
	bf_emit(e, I_ALU64_REG(BPF_SUB, BF_R2, BF_R4));
	bf_emit_jmp_reg(e, BPF_JLT, BF_R2, BF_R1, drop);
	if (!(o->flags & BF_OPTS6_OPTS)) {
		if (o->flags & BF_OPTS6_LEN)
			equal(e, o->hdrlen, o->invflags & BF_OPTS6_INV_LEN,
			      skip);
		return;
	}
	/* ret (the length test) decides at the end: the option list may
	 * still hotdrop */
	bf_emit(e, I_ST(BPF_B, BF_R9, XH_RET, 1));
	if (o->flags & BF_OPTS6_LEN) {
		bf_label ok = bf_label_new(e);

		/* the inverse test "fails" (to `ok`) when the test holds */
		equal(e, o->hdrlen, !(o->invflags & BF_OPTS6_INV_LEN), ok);
		bf_emit(e, I_ST(BPF_B, BF_R9, XH_RET, 0));
		bf_label_bind(e, ok);
	}
	/* the strict list: ptr after the 2-byte header, rem bytes of the
	 * header left; ptr + rem stays within the packet */
	bf_emit(e, I_ALU32_IMM(BPF_SUB, BF_R1, 2));
	st(e, BPF_W, XH_REM, BF_R1);
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, 2));
	st(e, BPF_W, XH_PTR, BF_R4);
	for (unsigned int t = 0; t < o->optsnr && t < BF_OPTS6_MAX; t++) {
		uint8_t type = (uint8_t)(o->opts[t] >> 8);
		uint8_t spec = (uint8_t)o->opts[t];

		/* type field exists? (a break: no match) */
		ld(e, BPF_W, BF_R1, XH_REM);
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 1, skip);
		ld(e, BPF_W, BF_R4, XH_PTR);
		read_at(e, l3off, 1, drop);
		ld(e, BPF_B, BF_R1, SCR);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, type, skip);
		if (type) {
			/* the length field must be there */
			ld(e, BPF_W, BF_R1, XH_REM);
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 2, drop);
			ld(e, BPF_W, BF_R4, XH_PTR);
			bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, 1));
			read_at(e, l3off, 1, drop);
			ld(e, BPF_B, BF_R1, SCR);
			if (spec != 0xff)
				bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, spec,
						  skip);
			bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R1, 2));
		} else {
			bf_emit(e, I_MOV64_IMM(BF_R1, 1));
		}
		/* the option runs past the header or the packet: hotdrop
		 * ("ptr > skb->len || optlen > skb->len - ptr || hdrlen <
		 * optlen": the last test alone, while ptr + rem stays in
		 * the packet) */
		ld(e, BPF_W, BF_R2, XH_REM);
		bf_emit_jmp_reg(e, BPF_JGT, BF_R1, BF_R2, drop);
		bf_emit(e, I_ALU32_REG(BPF_SUB, BF_R2, BF_R1));
		st(e, BPF_W, XH_REM, BF_R2);
		ld(e, BPF_W, BF_R2, XH_PTR);
		bf_emit(e, I_ALU32_REG(BPF_ADD, BF_R2, BF_R1));
		st(e, BPF_W, XH_PTR, BF_R2);
	}
	ld(e, BPF_B, BF_R1, XH_RET);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, skip);
}

static void set_bit(struct bf_emit *e, unsigned int bit)
{
	ld(e, BPF_W, BF_R1, PCTX_OFF(xh_bits));
	bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R1, (int32_t)(1u << bit)));
	st(e, BPF_W, PCTX_OFF(xh_bits), BF_R1);
}

void bf_xh_prologue(const struct bf_xh *x, struct bf_emit *e,
		    enum bf_family fam, int32_t l3off)
{
	for (size_t i = 0; i < x->n; i++) {
		const struct bf_match *m = x->m[i];
		bf_label skip, drop, done;

		if (x->fam[i] != fam)
			continue;
		skip = bf_label_new(e);
		drop = bf_label_new(e);
		done = bf_label_new(e);
		switch (m->type) {
		case BF_MATCH_FRAG6:
			eval_frag(e, m, l3off, skip, drop);
			break;
		case BF_MATCH_OPTS6:
			eval_opts(e, m, l3off, skip, drop);
			break;
		default:
			eval_ah(e, fam, m, l3off, skip, drop);
			break;
		}
		set_bit(e, (unsigned int)i);
		bf_emit_ja(e, done);
		bf_label_bind(e, drop);
		set_bit(e, 16 + (unsigned int)i);
		bf_label_bind(e, skip);
		bf_label_bind(e, done);
	}
}

bool bf_xh_emit(const struct bf_xh *x, struct bf_emit *e, enum bf_family fam,
		const struct bf_match *m, bf_label fail, bf_label hotdrop)
{
	int i = find(x, fam, m);

	if (i < 0) {
		bf_emit_fail(e, -EINVAL);
		return false;
	}
	ld(e, BPF_W, BF_R1, PCTX_OFF(xh_bits));
	bf_emit(e, I_MOV64_REG(BF_R2, BF_R1));
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R2, (int32_t)(1u << (16 + i))));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 0, hotdrop);
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)(1u << i)));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, fail);
	return true;
}

void bf_xh_emit_mh(struct bf_emit *e, const struct bf_match *m, bf_label fail,
		   bf_label hotdrop)
{
	ld(e, BPF_H, BF_R1, PCTX_OFF(fragoff));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, fail);
	ld(e, BPF_W, BF_R1, PCTX_OFF(avail));
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 6, hotdrop);
	/* ip6mh_proto, the first byte (sport's high byte) */
	ld(e, BPF_H, BF_R1, PCTX_OFF(sport));
	bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R1, 8));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 59, hotdrop);
	/* ip6mh_type, the third (dport's high byte) */
	ld(e, BPF_H, BF_R1, PCTX_OFF(dport));
	bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R1, 8));
	range32(e, m->u.mh.types[0], m->u.mh.types[1], m->u.mh.invert, fail);
}
