// SPDX-License-Identifier: GPL-2.0-only
/*
 * Byte quotas (m_quota.h). The kernel's:
 *  - quota_mt() (net/netfilter/xt_quota.c), under a spin lock shared by
 *    all CPUs: when the bytes left are >= skb->len it takes them and the
 *    packet matches, else the bytes left become 0 and it does not (so no
 *    later packet fits either); `!` inverts the result.
 *  - nft_quota_do_eval() (net/netfilter/nft_quota.c): consumed +=
 *    skb->len (atomic64_add_return()), over when consumed > quota; the
 *    rule goes on when not over, xor `over`.
 * Both are "the bytes of the packets that reached the match so far,
 * this one included, are within the quota" (xt_quota's reset to 0 after
 * a miss keeps every later packet out, as the count only grows), which
 * one atomic fetch-and-add of a counter shared by all CPUs gives without
 * a lock: used_before + len <= quota. skb->len at a netfilter hook is the
 * L3 length, pctx.len at every attachment. The counter starts at 0 when
 * the program is loaded, as the kernel's quota starts full when the rule
 * is (iptables-restore, nft -f).
 */
#include "cgen/m_quota.h"
#include "cgen/pctx.h"

/* BPF_ATOMIC | BPF_ADD | BPF_FETCH, 64 bits: src = old value */
#define I_ATOMIC_FETCH_ADD64(dst, src, off)                                    \
	bf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, dst, src, off,                  \
		BPF_ADD | BPF_FETCH)

void bf_quota_emit(struct bf_emit *e, uint32_t state_off,
		   const struct bf_match *m, bf_label fail)
{
	bf_emit_state_addr(e, BF_R1, state_off);
	bf_emit(e, I_LDX(BPF_W, BF_R2, BF_R9, PCTX_OFF(len)));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_R2));
	bf_emit(e, I_ATOMIC_FETCH_ADD64(BF_R1, BF_R2, 0));
	bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R2, BF_R3));
	bf_emit_ld_imm64(e, BF_R4, m->u.quota.bytes);
	bf_emit_jmp_reg(e, m->u.quota.invert ? BPF_JLE : BPF_JGT, BF_R2, BF_R4,
			fail);
}
