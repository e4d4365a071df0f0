// SPDX-License-Identifier: GPL-2.0-only
/*
 * -m ecn (xt_ecn.c): see m_ecn.h for where each byte comes from.
 */
#include "cgen/m_ecn.h"
#include "cgen/pctx.h"

#define TCP_ECE 0x40 /* byte 13 of the TCP header */
#define TCP_CWR 0x80

bool bf_ecn_needs_tcp(const struct bf_match *m)
{
	return m->u.ecn.operation & (BF_ECN_ECE | BF_ECN_CWR);
}

static void ld(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

/* One flag of match_tcp(): set (or, inverted, clear), else `fail`. */
static void flag(struct bf_emit *e, bool inv, int32_t bit, bf_label fail)
{
	bf_emit(e, I_MOV32_REG(BF_R2, BF_R1));
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R2, bit));
	bf_emit_jmp32_imm(e, inv ? BPF_JNE : BPF_JEQ, BF_R2, 0, fail);
}

void bf_ecn_emit(struct bf_emit *e, const struct bf_match *m, bool v6,
		 bf_label fail)
{
	uint8_t op = m->u.ecn.operation, inv = m->u.ecn.invert;

	if (op & BF_ECN_IP) {
		/* match_ip() / match_ipv6(): (field & 3) == ip_ect, xor
		 * the option's `!` */
		ld(e, BPF_B, BF_R1, PCTX_OFF(dsfield));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 3));
		bf_emit_jmp32_imm(e, inv & BF_ECN_IP ? BPF_JEQ : BPF_JNE, BF_R1,
				  m->u.ecn.ip_ect, fail);
	}
	if (!bf_ecn_needs_tcp(m))
		return;
	if (v6) {
		bf_label whole = bf_label_new(e), test = bf_label_new(e);

		ld(e, BPF_H, BF_R1, PCTX_OFF(fragoff));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, whole);
		/* non-first fragment: thoff 0, the IPv6 header's byte 13 */
		ld(e, BPF_B, BF_R1, (int16_t)(PCTX_OFF(saddr) + 5));
		bf_emit_ja(e, test);
		bf_label_bind(e, whole);
		ld(e, BPF_W, BF_R1, PCTX_OFF(avail));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 20, fail);
		ld(e, BPF_B, BF_R1, PCTX_OFF(tcpflags));
		bf_label_bind(e, test);
	} else {
		/* skb_header_pointer(skb, thoff, 20): NULL is no match */
		ld(e, BPF_W, BF_R1, PCTX_OFF(avail));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 20, fail);
		ld(e, BPF_B, BF_R1, PCTX_OFF(tcpflags));
	}
	if (op & BF_ECN_ECE)
		flag(e, inv & BF_ECN_ECE, TCP_ECE, fail);
	if (op & BF_ECN_CWR)
		flag(e, inv & BF_ECN_CWR, TCP_CWR, fail);
}

/* esp_mt() (net/netfilter/xt_esp.c): no match in a non-first fragment,
 * hotdrop when the 8-byte header cannot be read, then spi_match(): the
 * SPI (pctx.sport, dport: the first 32 bits) within [lo, hi], xor `!`. */
void bf_esp_emit(struct bf_emit *e, const struct bf_match *m, bf_label fail,
		 bf_label hotdrop)
{
	bf_label ok = bf_label_new(e), out = m->neg ? ok : fail;

	ld(e, BPF_H, BF_R1, PCTX_OFF(fragoff));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, fail);
	ld(e, BPF_W, BF_R1, PCTX_OFF(avail));
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 8, hotdrop);
	if (m->u.spi.lo > m->u.spi.hi) {
		/* nothing is inside */
		bf_emit_ja(e, out);
	} else {
		ld(e, BPF_H, BF_R1, PCTX_OFF(sport));
		bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R1, 16));
		ld(e, BPF_H, BF_R2, PCTX_OFF(dport));
		bf_emit(e, I_ALU32_REG(BPF_OR, BF_R1, BF_R2));
		if (m->u.spi.lo > 0)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
					  (int32_t)m->u.spi.lo, out);
		if (m->u.spi.hi < UINT32_MAX)
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R1,
					  (int32_t)m->u.spi.hi, out);
		if (m->neg)
			bf_emit_ja(e, fail);
	}
	bf_label_bind(e, ok);
}
