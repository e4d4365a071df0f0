// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft's limit statement and transport-header ports (m_nftlimit.h).
 *
 * limit: nft_limit_eval() in net/netfilter/nft_limit.c keeps, under a
 * spinlock, {last, tokens} in nanoseconds of ktime_get_ns(): tokens grow
 * by the time elapsed since `last`, capped at tokens_max; a packet
 * costing `cost` nanoseconds is within the rate when tokens >= cost (and
 * takes them), else the tokens stay (capped) and it is over the rate.
 * Here `last` is exchanged atomically and the tokens compare-and-swapped,
 * with the time each try exchanges accumulated, so concurrent packets
 * share the elapsed time as the lock would make them; the retry loop is
 * unrolled NFTM_TRIES times and a packet losing every race counts as over
 * the rate. The bucket starts full at the first packet (nft_limit_init()
 * fills it when the rule is loaded: the same, as it cannot overflow).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bpfilter/log.h"

#include "cgen/m_nftlimit.h"
#include "cgen/nfbtf.h"
#include "cgen/pctx.h"

#define NSEC_PER_SEC 1000000000ull
#define NFT_LIMIT_PKT_BURST_DEFAULT 5 /* nft_limit.c */
#define NFTM_TRIES 4

/* r0 = cmpxchg((u64 *)(dst + off), r0, src) */
#define I_CMPXCHG64(dst, src, off)                                             \
	bf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, dst, src, off, BPF_CMPXCHG)

static bool mul_ovf(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

int bf_nft_limit_bucket(const struct bf_nft_limit *l, uint64_t *tokens_max,
			uint64_t *cost)
{
	uint64_t nsecs, burst = l->burst, sum, tmp;

	/* nft_limit_init() */
	if (!l->rate)
		return -EINVAL;
	if (mul_ovf(l->unit, NSEC_PER_SEC, &nsecs))
		return -EOVERFLOW;
	if (!l->bytes && !burst)
		burst = NFT_LIMIT_PKT_BURST_DEFAULT;
	if (__builtin_add_overflow(l->rate, burst, &sum))
		return -EOVERFLOW;
	if (!l->bytes) {
		if (mul_ovf(nsecs / l->rate, burst, tokens_max))
			return -EOVERFLOW;
		*cost = nsecs / l->rate; /* nft_limit_pkts_init() */
		return 0;
	}
	/* tokens_max = unit * (rate + burst) / rate */
	if (mul_ovf(nsecs, sum, &tmp))
		return -EOVERFLOW;
	*tokens_max = tmp / l->rate;
	*cost = 0;
	return 0;
}

void bf_nftm_limit_emit(struct bf_emit *e, uint32_t state_off,
			const struct bf_match *m, bf_label fail)
{
	const struct bf_nft_limit *l = &m->u.nft_limit;
	bf_label inited = bf_label_new(e), done = bf_label_new(e);
	uint64_t tokens_max = 0, cost = 0, nsecs = l->unit * NSEC_PER_SEC;

	if (bf_nft_limit_bucket(l, &tokens_max, &cost)) {
		/* the front ends refuse these; never emitted */
		bf_emit_fail(e, -EINVAL);
		return;
	}
	/* r6 = the slot, r7 = now, r8 = the time accumulated */
	if (l->bucket)
		bf_emit_nftbucket_addr(e, BF_R6, 16u * (l->bucket - 1u));
	else
		bf_emit_state_addr(e, BF_R6, state_off);
	bf_emit(e, I_HELPER(BPF_FUNC_ktime_get_ns));
	bf_emit(e, I_MOV64_REG(BF_R7, BF_R0));
	bf_emit(e, I_LDX(BPF_DW, BF_R1, BF_R6, 0));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R1, 0, inited);
	bf_emit(e, I_STX(BPF_DW, BF_R6, BF_R7, 0));
	bf_emit_ld_imm64(e, BF_R1, tokens_max);
	bf_emit(e, I_STX(BPF_DW, BF_R6, BF_R1, 8));
	bf_label_bind(e, inited);
	bf_emit(e, I_MOV64_IMM(BF_R8, 0));
	for (int t = 0; t < NFTM_TRIES; t++) {
		bf_label pos = bf_label_new(e), capped = bf_label_new(e);
		bf_label no = bf_label_new(e);

		if (t) {
			bf_emit(e, I_HELPER(BPF_FUNC_ktime_get_ns));
			bf_emit(e, I_MOV64_REG(BF_R7, BF_R0));
		}
		/* r8 += now - xchg(&last, now) */
		bf_emit(e, I_MOV64_REG(BF_R2, BF_R7));
		bf_emit(e, I_XCHG64(BF_R6, BF_R2, 0));
		bf_emit(e, I_MOV64_REG(BF_R3, BF_R7));
		bf_emit(e, I_ALU64_REG(BPF_SUB, BF_R3, BF_R2));
		bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R8, BF_R3));
		/* r1 = min(tokens + r8, tokens_max); r5 = tokens */
		bf_emit(e, I_LDX(BPF_DW, BF_R0, BF_R6, 8));
		bf_emit(e, I_MOV64_REG(BF_R5, BF_R0));
		bf_emit(e, I_MOV64_REG(BF_R1, BF_R0));
		bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R1, BF_R8));
		/* only a race can make it negative */
		bf_emit_jmp_imm(e, BPF_JSGE, BF_R1, 0, pos);
		bf_emit(e, I_MOV64_IMM(BF_R1, 0));
		bf_label_bind(e, pos);
		bf_emit_ld_imm64(e, BF_R2, tokens_max);
		bf_emit_jmp_reg(e, BPF_JLE, BF_R1, BF_R2, capped);
		bf_emit(e, I_MOV64_REG(BF_R1, BF_R2));
		bf_label_bind(e, capped);
		/* r3 = cost: per packet, or nsecs * skb->len / rate
		 * (nft_limit_bytes_eval(); skb->len is the L3 length at
		 * these hooks) */
		if (l->bytes) {
			bf_emit(e, I_LDX(BPF_W, BF_R3, BF_R9, PCTX_OFF(len)));
			bf_emit_ld_imm64(e, BF_R2, nsecs);
			bf_emit(e, I_ALU64_REG(BPF_MUL, BF_R3, BF_R2));
			bf_emit_ld_imm64(e, BF_R2, l->rate);
			bf_emit(e, I_ALU64_REG(BPF_DIV, BF_R3, BF_R2));
		} else {
			bf_emit_ld_imm64(e, BF_R3, cost);
		}
		/* delta = (s64)(tokens - cost) >= 0: within, take them */
		bf_emit(e, I_MOV64_IMM(BF_R4, 0));
		bf_emit(e, I_MOV64_REG(BF_R2, BF_R1));
		bf_emit(e, I_ALU64_REG(BPF_SUB, BF_R2, BF_R3));
		bf_emit_jmp_imm(e, BPF_JSLT, BF_R2, 0, no);
		bf_emit(e, I_MOV64_REG(BF_R1, BF_R2));
		bf_emit(e, I_MOV64_IMM(BF_R4, 1));
		bf_label_bind(e, no);
		bf_emit(e, I_CMPXCHG64(BF_R6, BF_R1, 8));
		bf_emit_jmp_reg(e, BPF_JEQ, BF_R0, BF_R5, done);
	}
	/* lost every race: over the rate */
	bf_emit(e, I_MOV64_IMM(BF_R4, 0));
	bf_label_bind(e, done);
	/* r4: within the rate; `over` matches the others (NFT_LIMIT_F_INV) */
	bf_emit_jmp_imm(e, l->over ? BPF_JNE : BPF_JEQ, BF_R4, 0, fail);
}

uint32_t bf_nftm_buckets_size(const struct bf_program *prog)
{
	uint32_t size = 0;

	for (size_t i = 0; i < prog->n_relocs; i++) {
		size_t idx = prog->relocs[i].idx;

		if (prog->relocs[i].kind == BF_RELOC_NFTBUCKET &&
		    idx + 1 < prog->n_insns &&
		    (uint32_t)prog->insns[idx + 1].imm + 16 > size)
			size = (uint32_t)prog->insns[idx + 1].imm + 16;
	}
	return size;
}

int bf_nftm_buckets_create(uint32_t size)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_nftbucket",
				sizeof(uint32_t), size, 1, NULL);

	if (fd < 0) {
		fd = -errno;
		bf_err("cannot create the nft limit buckets' map: %s",
		       strerror(-fd));
	}
	return fd;
}

/* nft_payload_fast_eval() (nf_tables_core.c; `th sport|dport` are
 * aligned 2-byte loads) reads at nft's transport offset without looking
 * at the fragment offset, and gives up (the slow nft_payload_eval(),
 * which breaks) only without an L4 protocol or past the packet: the
 * prologue's nft view has those bytes (pctx.nft_avail, nft_sport,
 * nft_dport; m_nftbreak.c): 2 bytes for the source port, 4 for the
 * destination port. Where nft's IPv6 walk stops at AH, the view is taken
 * at the AH header, as nft's transport offset is there. */
void bf_nftm_th_emit(struct bf_emit *e, const struct bf_match *m, bf_label fail)
{
	bool src = m->type == BF_MATCH_TH_SPORT;
	uint16_t lo = m->u.ports.lo, hi = m->u.ports.hi;
	bf_label out;

	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R9, PCTX_OFF(nft_avail)));
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, src ? 2 : 4, fail);
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R9,
			 src ? PCTX_OFF(nft_sport) : PCTX_OFF(nft_dport)));
	if (!m->neg) {
		if (lo == hi) {
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, lo, fail);
			return;
		}
		if (lo)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, lo, fail);
		if (hi != UINT16_MAX)
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, hi, fail);
		return;
	}
	if (lo == hi) {
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, lo, fail);
		return;
	}
	out = bf_label_new(e);
	if (lo)
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, lo, out);
	if (hi != UINT16_MAX)
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, hi, out);
	bf_emit_ja(e, fail);
	bf_label_bind(e, out);
}

/* BF_MATCH_IIF / BF_MATCH_OIF: nft_meta_get_eval()'s NFT_META_IIF/OIF is
 * the device's ifindex, 0 without one (no device has 0), compared with
 * the index the name had when the ruleset was loaded. */
void bf_nftm_ifindex_emit(struct bf_emit *e, const struct bf_match *m,
			  bf_label fail)
{
	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9,
			 m->type == BF_MATCH_IIF ? PCTX_OFF(ifindex_in) :
						   PCTX_OFF(ifindex_out)));
	bf_emit_jmp32_imm(e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
			  (int32_t)m->u.ifindex.index, fail);
}

void bf_nftm_nf_ifindex(struct bf_emit *e, int off_ctx_state, int off_state_in,
			int off_state_out, int off_dev_ifindex)
{
	/* the state as an untrusted pointer: no verifier trust search
	 * (cgen/nfbtf.h) */
	(void)off_ctx_state;
	bf_nf_ctx_ptr(e, BF_R4, "state");
	for (int dir = 0; dir < 2; dir++) {
		/* state->in / state->out: a NULL device reads as 0 (BTF
		 * pointer loads of NULL yield 0) */
		bf_emit(e,
			I_LDX(BPF_DW, BF_R2, BF_R4,
			      (int16_t)(dir ? off_state_out : off_state_in)));
		bf_emit(e,
			I_LDX(BPF_W, BF_R3, BF_R2, (int16_t)off_dev_ifindex));
		bf_emit(e, I_STX(BPF_W, BF_R9, BF_R3,
				 dir ? PCTX_OFF(ifindex_out) :
				       PCTX_OFF(ifindex_in)));
	}
}
