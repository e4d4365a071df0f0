// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft payload loads (m_payload.h). The kernel side (net/netfilter/):
 *  - nft_payload_select_ops() (nft_payload.c): a load of 1, 2 or 4 bytes
 *    at an offset that is a multiple of its length from the network or
 *    transport header is a "fast" load, evaluated by
 *    nft_payload_fast_eval() (nf_tables_core.c): at the network header,
 *    or at nft_thoff() when the packet has an L4 protocol
 *    (NFT_PKTINFO_L4PROTO), without looking at the fragment offset; the
 *    bytes must be in the linear area, else the slow path runs.
 *  - nft_payload_eval(): the other loads (and the fast ones that fall
 *    through): for the transport header it breaks (NFT_BREAK) without an
 *    L4 protocol or on a non-first fragment (pkt->fragoff); then
 *    skb_copy_bits() breaks past the end of the skb.
 *  - then nft_bitwise (mask) and nft_cmp / nft_range on the big-endian
 *    bytes, which compare as the number they spell.
 * nft_thoff() and the L4 protocol are what pctx.nft_avail encodes
 * (parse_nft_view() in cgen.c): 0 without an L4 protocol, else the bytes
 * from nft_thoff() to the end of the packet, so nft_thoff() = len -
 * nft_avail. pkt->fragoff is pctx.fragoff, except on IPv6 when nft's
 * walk stopped at AH (pctx.nft_ah), before any fragment header it could
 * have met (the walk returns at a non-first fragment's header). At a
 * netfilter hook the skb ends with the L3 packet (ip_rcv_core() trims
 * it), which pctx.len is at every attachment.
 */
#include <errno.h>
#include <string.h>

#include "cgen/m_payload.h"
#include "cgen/pctx.h"

#define SCR ((int16_t)PCTX_OFF(scratch))

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

static bool fast(const struct bf_match *m)
{
	uint8_t len = m->u.payload.len;

	return (len == 1 || len == 2 || len == 4) &&
	       m->u.payload.off % len == 0;
}

static bool same(const struct bf_match *a, const struct bf_match *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == BF_MATCH_U32)
		return !memcmp(&a->u.u32, &b->u.u32, sizeof(a->u.u32));
	return a->neg == b->neg &&
	       !memcmp(&a->u.payload, &b->u.payload, sizeof(a->u.payload));
}

/* The words test t of a u32 match uses, from *k; false if they do not
 * fit in w[]. */
static bool u32_words(const struct bf_match *m)
{
	const typeof(m->u.u32) *u = &m->u.u32;
	unsigned int k = 0;

	if (!u->ntests || u->ntests > BF_U32_MAXSIZE)
		return false;
	for (unsigned int t = 0; t < u->ntests; t++) {
		if (!u->nnums[t] || u->nnums[t] > BF_U32_MAXSIZE ||
		    !u->nvals[t] || u->nvals[t] > BF_U32_MAXSIZE)
			return false;
		k += u->nnums[t] + 2u * u->nvals[t];
	}
	return k <= BF_U32_WORDS;
}

static int find(const struct bf_pl *pl, enum bf_family fam,
		const struct bf_match *m)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->fam[i] == fam && same(pl->m[i], m))
			return (int)i;
	return -1;
}

const char *bf_pl_scan(struct bf_pl *pl, enum bf_family fam,
		       const struct bf_match *m)
{
	if (m->type == BF_MATCH_U32 && !u32_words(m))
		return "a u32 match of this shape";
	if (m->type == BF_MATCH_PAYLOAD &&
	    (m->u.payload.len < 1 || m->u.payload.len > 4 ||
	     m->u.payload.base > BF_PAYLOAD_TH))
		return "a payload load of 1 to 4 bytes of the network or "
		       "transport header only";
	if (find(pl, fam, m) >= 0)
		return NULL;
	if (pl->n == BF_PL_MAX)
		return "more than 32 distinct payload matches in one program";
	pl->m[pl->n] = m;
	pl->fam[pl->n++] = fam;
	return NULL;
}

/* r1 = the value read at scratch, big-endian, len bytes */
static void load_value(struct bf_emit *e, uint8_t len)
{
	switch (len) {
	case 1:
		ldp(e, BPF_B, BF_R1, SCR);
		break;
	case 2:
		ldp(e, BPF_H, BF_R1, SCR);
		bf_emit(e, I_BE(BF_R1, 16));
		break;
	case 3:
		ldp(e, BPF_B, BF_R1, SCR);
		bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R1, 16));
		ldp(e, BPF_B, BF_R2, SCR + 1);
		bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R2, 8));
		bf_emit(e, I_ALU32_REG(BPF_OR, BF_R1, BF_R2));
		ldp(e, BPF_B, BF_R2, SCR + 2);
		bf_emit(e, I_ALU32_REG(BPF_OR, BF_R1, BF_R2));
		break;
	default:
		ldp(e, BPF_W, BF_R1, SCR);
		bf_emit(e, I_BE(BF_R1, 32));
		break;
	}
}

/* Whether m can hold at all (else nothing is emitted); if so, the
 * evaluation of m, jumping to fail when it does not hold. */
static bool never(const struct bf_match *m)
{
	if (m->type == BF_MATCH_U32)
		return false;

	const typeof(m->u.payload) *p = &m->u.payload;
	uint32_t full = p->len >= 4 ? UINT32_MAX : (1u << (8 * p->len)) - 1;

	if (p->lo > p->hi)
		return !m->neg;
	return m->neg && !p->lo && p->hi >= full;
}

static void eval(struct bf_emit *e, enum bf_family fam,
		 const struct bf_match *m, int32_t l3off, bf_label fail)
{
	const typeof(m->u.payload) *p = &m->u.payload;
	uint32_t full = p->len >= 4 ? UINT32_MAX : (1u << (8 * p->len)) - 1;
	int32_t end = (int32_t)p->off + p->len;
	bf_label out;

	/* r4 = offset of the bytes from the network header */
	if (p->base == BF_PAYLOAD_NH) {
		ldp(e, BPF_W, BF_R1, PCTX_OFF(len));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, end, fail);
		bf_emit(e, I_MOV64_IMM(BF_R4, 0));
	} else {
		if (!fast(m)) {
			bf_label frag = bf_label_new(e);

			if (fam == BF_FAMILY_INET6) {
				ldp(e, BPF_B, BF_R1, PCTX_OFF(nft_ah));
				bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, frag);
			}
			ldp(e, BPF_H, BF_R1, PCTX_OFF(fragoff));
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, fail);
			bf_label_bind(e, frag);
		}
		ldp(e, BPF_H, BF_R1, PCTX_OFF(nft_avail));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, end, fail);
		ldp(e, BPF_W, BF_R4, PCTX_OFF(len));
		bf_emit(e, I_ALU64_REG(BPF_SUB, BF_R4, BF_R1));
	}
	if (l3off + p->off)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, l3off + p->off));
	/* bpf_dynptr_read(scratch, len, dynptr, r4, 0), the dynptr and
	 * scratch bytes of the main function addressed from r9 */
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, SCR));
	bf_emit(e, I_MOV64_IMM(BF_R2, p->len));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR - STK_PCTX));
	bf_emit(e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
	load_value(e, p->len);
	if ((p->mask & full) != full)
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)p->mask));
	/* lo <= v <= hi, xor neg */
	if (p->lo > p->hi || (!p->lo && p->hi >= full))
		return; /* holds once read (never(): not the other way) */
	out = m->neg ? bf_label_new(e) : fail;
	if (p->lo)
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, (int32_t)p->lo, out);
	if (p->hi < full)
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, (int32_t)p->hi, out);
	if (m->neg) {
		bf_emit_ja(e, fail);
		bf_label_bind(e, out);
	}
}

/* r1 = the 4 bytes at r4 + l3off in the packet, big-endian; fail when
 * they cannot be read (u32_match_it() checked the length before). */
static void read4(struct bf_emit *e, int32_t l3off, bf_label fail)
{
	if (l3off)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, l3off));
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, SCR));
	bf_emit(e, I_MOV64_IMM(BF_R2, 4));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR - STK_PCTX));
	bf_emit(e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
	ldp(e, BPF_W, BF_R1, SCR);
	bf_emit(e, I_BE(BF_R1, 32));
}

#define SCR_AT ((int16_t)(SCR + 8)) /* u32_match_it()'s `at` */

/* u32_match_it() (net/netfilter/xt_u32.c), then the inversion of
 * u32_mt(): jumps to `skip` when the match does not hold. skb->len is
 * pctx.len (the L3 packet from the network header). Shift counts are
 * below 32 (mod_u32.c refuses others, as u32_mt_checkentry() does); the
 * & 31 only keeps a hand-built IR from an undefined shift. */
static void eval_u32(struct bf_emit *e, const struct bf_match *m, int32_t l3off,
		     bf_label skip)
{
	const typeof(m->u.u32) *u = &m->u.u32;
	bf_label no = u->invert ? bf_label_new(e) : skip;
	unsigned int k = 0;

	for (unsigned int t = 0; t < u->ntests; t++) {
		bf_label ok = bf_label_new(e);
		uint32_t pos = u->w[k++];

		ldp(e, BPF_W, BF_R1, PCTX_OFF(len));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 4, no);
		bf_emit(e, I_ALU32_IMM(BPF_SUB, BF_R1, 4));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, (int32_t)pos, no);
		bf_emit(e, I_ST(BPF_W, BF_R9, SCR_AT, 0));
		bf_emit(e, I_MOV32_IMM(BF_R4, (int32_t)pos));
		read4(e, l3off, no);
		for (unsigned int i = 1; i < u->nnums[t]; i++, k++) {
			uint32_t n = u->w[k];

			switch (u->ops[k]) {
			case BF_U32_AND:
				bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1,
						       (int32_t)n));
				break;
			case BF_U32_LEFTSH:
				bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R1,
						       (int32_t)(n & 31)));
				break;
			case BF_U32_RIGHTSH:
				bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R1,
						       (int32_t)(n & 31)));
				break;
			default: /* BF_U32_AT */
				/* at += val (no wrap), at + 4 no wrap, then
				 * skb->len >= at + 4 and pos <= len - at - 4 */
				ldp(e, BPF_W, BF_R2, SCR_AT);
				bf_emit(e, I_MOV32_REG(BF_R3, BF_R2));
				bf_emit(e, I_ALU32_REG(BPF_ADD, BF_R3, BF_R1));
				bf_emit_jmp_reg(e, BPF_JLT, BF_R3, BF_R2, no);
				bf_emit(e, I_STX(BPF_W, BF_R9, BF_R3, SCR_AT));
				bf_emit_jmp32_imm(e, BPF_JGT, BF_R3, -5, no);
				ldp(e, BPF_W, BF_R2, PCTX_OFF(len));
				bf_emit(e, I_MOV32_REG(BF_R4, BF_R3));
				bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R4, 4));
				bf_emit_jmp_reg(e, BPF_JLT, BF_R2, BF_R4, no);
				bf_emit(e, I_ALU32_REG(BPF_SUB, BF_R2, BF_R4));
				bf_emit_jmp32_imm(e, BPF_JLT, BF_R2, (int32_t)n,
						  no);
				bf_emit(e, I_MOV32_REG(BF_R4, BF_R3));
				bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R4,
						       (int32_t)n));
				read4(e, l3off, no);
				break;
			}
		}
		/* any of the ranges */
		for (unsigned int i = 0; i < u->nvals[t]; i++, k += 2) {
			bf_label next = bf_label_new(e);

			if (u->w[k] > u->w[k + 1])
				continue; /* empty */
			if (u->w[k])
				bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
						  (int32_t)u->w[k], next);
			if (u->w[k + 1] != UINT32_MAX)
				bf_emit_jmp32_imm(e, BPF_JGT, BF_R1,
						  (int32_t)u->w[k + 1], next);
			bf_emit_ja(e, ok);
			bf_label_bind(e, next);
		}
		bf_emit_ja(e, no);
		bf_label_bind(e, ok);
	}
	if (u->invert) {
		/* every test held: u32_mt() returns false */
		bf_emit_ja(e, skip);
		bf_label_bind(e, no);
	}
}

void bf_pl_prologue(const struct bf_pl *pl, struct bf_emit *e,
		    enum bf_family fam, int32_t l3off)
{
	for (size_t i = 0; i < pl->n; i++) {
		bf_label skip;

		if (pl->fam[i] != fam || never(pl->m[i]))
			continue;
		skip = bf_label_new(e);
		if (pl->m[i]->type == BF_MATCH_U32)
			eval_u32(e, pl->m[i], l3off, skip);
		else
			eval(e, fam, pl->m[i], l3off, skip);
		ldp(e, BPF_W, BF_R1, PCTX_OFF(pl_bits));
		bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R1, (int32_t)(1u << i)));
		bf_emit(e, I_STX(BPF_W, BF_R9, BF_R1, PCTX_OFF(pl_bits)));
		bf_label_bind(e, skip);
	}
}

bool bf_pl_emit(const struct bf_pl *pl, struct bf_emit *e, enum bf_family fam,
		const struct bf_match *m, bf_label fail)
{
	int i = find(pl, fam, m);

	if (i < 0) {
		bf_emit_fail(e, -EINVAL);
		return false;
	}
	if (never(m)) {
		bf_emit_ja(e, fail);
		return false;
	}
	ldp(e, BPF_W, BF_R1, PCTX_OFF(pl_bits));
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)(1u << i)));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, fail);
	return true;
}
