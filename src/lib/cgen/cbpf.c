// SPDX-License-Identifier: GPL-2.0-only
/*
 * Classic BPF (iptables -m bpf --bytecode) -> an eBPF function
 * `int f(struct bf_usermatch *ctx)`.
 *
 * Semantics are those of a classic filter run by xt_bpf's bpf_mt_v1():
 * the kernel converts it (bpf_convert_filter() in net/core/filter.c) and
 * runs it on the skb, whose data starts at the network header at the
 * netfilter hooks: offset 0 is the first byte of the IPv4/IPv6 header.
 *  - A and X are 32-bit and start at 0; scratch words M[0..15] are only
 *    read after a write (bf_cbpf_check()).
 *  - Loads are big endian; a load beyond the end of the packet ends the
 *    filter with 0 (bpf_skb_load_helper_*() failing in the converted
 *    program); so does a division or modulo by X == 0.
 *  - LD|ABS at SKF_NET_OFF + k reads offset k; SKF_AD_OFF +
 *    SKF_AD_PROTOCOL gives the EtherType (skb->protocol) in host order;
 *    LEN is the packet length from the network header (skb->len).
 *  - The match holds when the filter returns non-zero (!!bpf_prog_run()).
 * The packet bytes come from ctx->data (the first caplen bytes): a load
 * past BF_USERMATCH_DATA_MAX in a longer packet also returns 0.
 *
 * Registers: r6 = ctx, r7 = A, r8 = X; M[] on the stack (only when the
 * program uses it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/usermatch.h"
#include "cgen/m_bpf.h"

#define UM_OFF(f) ((int16_t)offsetof(struct bf_usermatch, f))
#define REG_CTX BF_R6
#define REG_A BF_R7
#define REG_X BF_R8
#define M_OFF(k) ((int16_t)(-64 + 4 * (int)(k)))

#define SKF_AD_OFF_ (-0x1000)
#define SKF_NET_OFF_ (-0x100000)

static int load_size(uint16_t code)
{
	switch (code & 0x18) {
	case 0x00:
		return 4;
	case 0x08:
		return 2;
	default:
		return 1;
	}
}

static int bpf_size(int bytes)
{
	return bytes == 4 ? BPF_W : bytes == 2 ? BPF_H : BPF_B;
}

/* dst = packet bytes [k, k + size) (big endian), or return 0. */
static void load_abs(struct bf_emit *e, uint8_t dst, int64_t k, int size,
		     bf_label ret0)
{
	if (k < 0 || k + size > BF_USERMATCH_DATA_MAX) {
		bf_emit_ja(e, ret0);
		return;
	}
	bf_emit(e, I_LDX(BPF_W, BF_R1, REG_CTX, UM_OFF(caplen)));
	bf_emit_jmp_imm(e, BPF_JLT, BF_R1, (int32_t)(k + size), ret0);
	bf_emit(e, I_LDX(bpf_size(size), dst, REG_CTX,
			 (int16_t)(UM_OFF(data) + k)));
	if (size > 1)
		bf_emit(e, I_BE(dst, size * 8));
}

/* A = packet bytes [X + k, X + k + size), or return 0. */
static void load_ind(struct bf_emit *e, uint32_t k, int size, bf_label ret0)
{
	/* the offset is an int in the converted program: negative ones
	 * only reach the SKF_* areas, which we refuse: 0 */
	bf_emit(e, I_MOV32_REG(BF_R2, REG_X));
	bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R2, (int32_t)k));
	bf_emit_jmp32_imm(e, BPF_JSLT, BF_R2, 0, ret0);
	bf_emit_jmp_imm(e, BPF_JGT, BF_R2, BF_USERMATCH_DATA_MAX - size, ret0);
	bf_emit(e, I_LDX(BPF_W, BF_R1, REG_CTX, UM_OFF(caplen)));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_R2));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, size));
	bf_emit_jmp_reg(e, BPF_JGT, BF_R3, BF_R1, ret0);
	bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R2, REG_CTX));
	bf_emit(e, I_LDX(bpf_size(size), REG_A, BF_R2, UM_OFF(data)));
	if (size > 1)
		bf_emit(e, I_BE(REG_A, size * 8));
}

static uint8_t jmp_op(uint16_t code)
{
	switch (code & 0xf0) {
	case 0x10:
		return BPF_JEQ;
	case 0x20:
		return BPF_JGT;
	case 0x30:
		return BPF_JGE;
	default:
		return BPF_JSET;
	}
}

static uint8_t alu_op(uint16_t code)
{
	static const uint8_t ops[16] = {
		[0x0] = BPF_ADD, [0x1] = BPF_SUB, [0x2] = BPF_MUL,
		[0x3] = BPF_DIV, [0x4] = BPF_OR,  [0x5] = BPF_AND,
		[0x6] = BPF_LSH, [0x7] = BPF_RSH, [0x8] = BPF_NEG,
		[0x9] = BPF_MOD, [0xa] = BPF_XOR,
	};

	return ops[(code >> 4) & 0xf];
}

void bf_cbpf_emit(struct bf_emit *e, const struct bf_userbpf *u)
{
	bf_label at[BF_USERBPF_CBPF_MAX + 1];
	bf_label ret0 = bf_label_new(e);
	bool mem = false;
	size_t n;

	if (!u || u->kind != BF_USERBPF_BYTECODE || !u->n_insns ||
	    u->n_insns > BF_USERBPF_CBPF_MAX) {
		bf_emit_fail(e, -EINVAL);
		return;
	}
	n = u->n_insns;
	for (size_t i = 0; i < n; i++) {
		uint16_t cls = u->insns[i].code & 0x07;

		at[i] = bf_label_new(e);
		if (cls == 0x02 || cls == 0x03 ||
		    ((cls == 0x00 || cls == 0x01) &&
		     (u->insns[i].code & 0xe0) == 0x60))
			mem = true;
	}
	bf_emit(e, I_MOV64_REG(REG_CTX, BF_R1));
	bf_emit(e, I_MOV64_IMM(REG_A, 0));
	bf_emit(e, I_MOV64_IMM(REG_X, 0));
	if (mem) {
		for (int off = -64; off < 0; off += 8)
			bf_emit(e, I_ST(BPF_DW, BF_FP, (int16_t)off, 0));
	}

	for (size_t i = 0; i < n; i++) {
		const struct bf_cbpf_insn *f = &u->insns[i];
		uint16_t c = f->code;
		int32_t k = (int32_t)f->k;

		bf_label_bind(e, at[i]);
		switch (c & 0x07) {
		case 0x00: /* LD */
			switch (c & 0xe0) {
			case 0x00:
				bf_emit(e, I_MOV32_IMM(REG_A, f->k));
				break;
			case 0x20:
				if (k == SKF_AD_OFF_) {
					/* SKF_AD_PROTOCOL: ntohs(skb->protocol) */
					bf_label v4 = bf_label_new(e);

					bf_emit(e, I_MOV32_IMM(REG_A, 0x0800));
					bf_emit(e, I_LDX(BPF_B, BF_R1, REG_CTX,
							 UM_OFF(family)));
					bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 6,
							  v4);
					bf_emit(e, I_MOV32_IMM(REG_A, 0x86dd));
					bf_label_bind(e, v4);
					break;
				}
				load_abs(e, REG_A,
					 k < 0 ? (int64_t)k - SKF_NET_OFF_ :
						 (int64_t)f->k,
					 load_size(c), ret0);
				break;
			case 0x40:
				load_ind(e, f->k, load_size(c), ret0);
				break;
			case 0x60:
				bf_emit(e, I_LDX(BPF_W, REG_A, BF_FP,
						 M_OFF(f->k)));
				break;
			case 0x80:
				bf_emit(e, I_LDX(BPF_W, REG_A, REG_CTX,
						 UM_OFF(len)));
				break;
			}
			break;
		case 0x01: /* LDX */
			switch (c & 0xe0) {
			case 0x00:
				bf_emit(e, I_MOV32_IMM(REG_X, f->k));
				break;
			case 0x60:
				bf_emit(e, I_LDX(BPF_W, REG_X, BF_FP,
						 M_OFF(f->k)));
				break;
			case 0x80:
				bf_emit(e, I_LDX(BPF_W, REG_X, REG_CTX,
						 UM_OFF(len)));
				break;
			default: /* MSH: X = 4 * (P[k] & 0xf) */
				load_abs(e, REG_X,
					 k < 0 ? (int64_t)k - SKF_NET_OFF_ :
						 (int64_t)f->k,
					 1, ret0);
				bf_emit(e, I_ALU32_IMM(BPF_AND, REG_X, 0xf));
				bf_emit(e, I_ALU32_IMM(BPF_LSH, REG_X, 2));
				break;
			}
			break;
		case 0x02: /* ST */
			bf_emit(e, I_STX(BPF_W, BF_FP, REG_A, M_OFF(f->k)));
			break;
		case 0x03: /* STX */
			bf_emit(e, I_STX(BPF_W, BF_FP, REG_X, M_OFF(f->k)));
			break;
		case 0x04: { /* ALU, 32 bits */
			uint8_t op = alu_op(c);

			if (op == BPF_NEG) {
				bf_emit(e, I_ALU32_IMM(BPF_NEG, REG_A, 0));
				break;
			}
			if (!(c & 0x08)) {
				bf_emit(e, I_ALU32_IMM(op, REG_A, k));
				break;
			}
			if (op == BPF_DIV || op == BPF_MOD)
				bf_emit_jmp32_imm(e, BPF_JEQ, REG_X, 0, ret0);
			bf_emit(e, I_ALU32_REG(op, REG_A, REG_X));
			break;
		}
		case 0x05: /* JMP */
			if ((c & 0xf0) == 0x00) {
				bf_emit_ja(e, at[i + 1 + f->k]);
				break;
			}
			if (c & 0x08)
				bf_emit_jmp_reg(e, jmp_op(c), REG_A, REG_X,
						at[i + 1 + f->jt]);
			else
				bf_emit_jmp32_imm(e, jmp_op(c), REG_A, k,
						  at[i + 1 + f->jt]);
			bf_emit_ja(e, at[i + 1 + f->jf]);
			break;
		case 0x06: /* RET */
			if ((c & 0x18) == 0x10)
				bf_emit(e, I_MOV32_REG(BF_R0, REG_A));
			else
				bf_emit(e, I_MOV32_IMM(BF_R0, f->k));
			bf_emit(e, I_EXIT());
			break;
		default: /* MISC */
			if (c & 0x80)
				bf_emit(e, I_MOV32_REG(REG_A, REG_X));
			else
				bf_emit(e, I_MOV32_REG(REG_X, REG_A));
			break;
		}
	}
	bf_label_bind(e, ret0);
	bf_emit_ret(e, 0);
}
