// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TCP MSS option of a packet, as tcpmss_mt() (net/netfilter/
 * xt_tcpmss.c) finds it: the TCP header at the transport offset (hotdrop
 * if it cannot be read or doff * 4 < 20), the options (hotdrop if
 * truncated), then the first kind-2 option of length 4 with at least 4
 * bytes left; kinds 0 and 1 take one byte, others their length byte (1 if
 * it is 0).
 */
#include "cgen/mext.h"
#include "cgen/pctx.h"

#define OPT_BUF PCTX_OFF(scratch) /* options: scratch[0..40) */
/* the walk's index and the options' length, at stack offsets that are
 * not 8-aligned: the verifier keeps no value for them, so every unrolled
 * step starts from the same state and its two paths merge */
#define OPT_I ((int16_t)(PCTX_OFF(scratch) + 41))
#define OPT_LEN ((int16_t)(PCTX_OFF(scratch) + 43))
/* bytes left from the TCP header (capped at 255), its offset */
#define OPT_LEFT ((int16_t)(PCTX_OFF(scratch) + 45))
#define OPT_OFF ((int16_t)(PCTX_OFF(scratch) + 46))
_Static_assert((STK_PCTX + (int)offsetof(struct bf_pctx, scratch) + 41) % 8 &&
		       (STK_PCTX + (int)offsetof(struct bf_pctx, scratch) +
			43) % 8,
	       "tcpmss walk slots not 8-aligned");

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

static void stp(struct bf_emit *e, int size, int16_t off, uint8_t src)
{
	bf_emit(e, I_STX(size, BF_R9, src, off));
}

/* bpf_dynptr_read(pctx + OPT_BUF, r2, dynptr, r4, 0) */
static void read_to_buf(struct bf_emit *e, bf_label bad)
{
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, OPT_BUF));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_FP));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	bf_emit(e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

void bf_mx_prologue_mss(struct bf_mx *x, struct bf_emit *e,
			enum bf_family family, int32_t l3off)
{
	bf_label drop = bf_label_new(e), none = bf_label_new(e);
	bf_label found = bf_label_new(e), store = bf_label_new(e);
	bf_label go = bf_label_new(e), small = bf_label_new(e);

	(void)x;
	/* protoff: the transport offset; for an IPv6 non-first fragment
	 * ip6t_do_table() leaves it at 0 (ipv6_find_hdr() returns before
	 * setting it), so tcpmss_mt() reads from the IPv6 header. Only
	 * whether at least 20 and 20 + optlen (<= 60) bytes are left
	 * matters: the bytes left are kept, capped at 255. */
	ldp(e, BPF_W, BF_R1, PCTX_OFF(avail));
	ldp(e, BPF_W, BF_R4, PCTX_OFF(thoff));
	if (family == BF_FAMILY_INET6) {
		ldp(e, BPF_H, BF_R0, PCTX_OFF(fragoff));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R0, 0, go);
		ldp(e, BPF_W, BF_R1, PCTX_OFF(len));
		bf_emit(e, I_MOV64_IMM(BF_R4, 0));
		bf_label_bind(e, go);
	}
	bf_emit_jmp32_imm(e, BPF_JLE, BF_R1, 255, small);
	bf_emit(e, I_MOV64_IMM(BF_R1, 255));
	bf_label_bind(e, small);
	stp(e, BPF_B, OPT_LEFT, BF_R1);
	stp(e, BPF_H, OPT_OFF, BF_R4);
	/* th = skb_header_pointer(skb, protoff, 20) */
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 20, drop);
	if (l3off)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, l3off));
	bf_emit(e, I_MOV64_IMM(BF_R2, 20));
	read_to_buf(e, drop);
	ldp(e, BPF_B, BF_R3, (int16_t)(OPT_BUF + 12));
	bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R3, 4));
	bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R3, 2));
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R3, 20, drop);
	bf_emit(e, I_ALU32_IMM(BPF_SUB, BF_R3, 20));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R3, 0, none);
	/* truncated options */
	ldp(e, BPF_B, BF_R1, OPT_LEFT);
	bf_emit(e, I_ALU32_IMM(BPF_SUB, BF_R1, 20));
	bf_emit_jmp_reg(e, BPF_JLT, BF_R1, BF_R3, drop);
	bf_emit_jmp32_imm(e, BPF_JGT, BF_R3, 40, drop); /* doff <= 15 */
	stp(e, BPF_B, OPT_LEN, BF_R3);
	ldp(e, BPF_H, BF_R4, OPT_OFF);
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, l3off + 20));
	bf_emit(e, I_MOV64_REG(BF_R2, BF_R3));
	read_to_buf(e, drop);
	bf_emit(e, I_MOV64_IMM(BF_R1, 0));
	stp(e, BPF_B, OPT_I, BF_R1);

	/* Each step consumes at least one byte of at most 40. */
	for (int k = 0; k < 40; k++) {
		bf_label notmss = bf_label_new(e), one = bf_label_new(e);
		bf_label adv = bf_label_new(e);

		ldp(e, BPF_B, BF_R1, OPT_I);
		ldp(e, BPF_B, BF_R2, OPT_LEN);
		bf_emit_jmp_reg(e, BPF_JGE, BF_R1, BF_R2, none);
		bf_emit_jmp_imm(e, BPF_JGT, BF_R1, 39, none);
		bf_emit(e, I_MOV64_REG(BF_R3, BF_R9));
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, OPT_BUF));
		bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
		bf_emit(e, I_LDX(BPF_B, BF_R4, BF_R3, 0));
		/* op[i] == TCPOPT_MSS && optlen - i >= TCPOLEN_MSS &&
		 * op[i + 1] == TCPOLEN_MSS */
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R4, 2, notmss);
		bf_emit(e, I_MOV64_REG(BF_R5, BF_R2));
		bf_emit(e, I_ALU64_REG(BPF_SUB, BF_R5, BF_R1));
		bf_emit_jmp_imm(e, BPF_JLT, BF_R5, 4, notmss);
		bf_emit(e, I_LDX(BPF_B, BF_R5, BF_R3, 1));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R5, 4, notmss);
		bf_emit(e, I_LDX(BPF_B, BF_R5, BF_R3, 2));
		bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R5, 8));
		bf_emit(e, I_LDX(BPF_B, BF_R0, BF_R3, 3));
		bf_emit(e, I_ALU32_REG(BPF_OR, BF_R5, BF_R0));
		stp(e, BPF_H, PCTX_OFF(mss), BF_R5);
		bf_emit_ja(e, found);
		bf_label_bind(e, notmss);
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R4, 2, one);
		bf_emit(e, I_LDX(BPF_B, BF_R5, BF_R3, 1));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R5, 0, adv);
		bf_label_bind(e, one);
		bf_emit(e, I_MOV64_IMM(BF_R5, 1));
		bf_label_bind(e, adv);
		bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R1, BF_R5));
		bf_emit_jmp_reg(e, BPF_JGE, BF_R1, BF_R2, none);
		stp(e, BPF_B, OPT_I, BF_R1);
	}
	bf_emit_ja(e, none);

	bf_label_bind(e, found);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_MSS_FOUND));
	bf_emit_ja(e, store);
	bf_label_bind(e, drop);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_MSS_DROP));
	bf_emit_ja(e, store);
	bf_label_bind(e, none);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_MSS_NONE));
	bf_label_bind(e, store);
	stp(e, BPF_B, PCTX_OFF(mss_state), BF_R1);
}
