/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small BPF instruction emitter.
 *
 * Instructions are appended to a growing buffer. Errors (allocation, a
 * jump that does not fit its 16-bit offset, an unbound label) are recorded
 * once: the first error sticks, later emits are ignored, and the caller
 * checks bf_emit_finish() at the end.
 *
 * Forward (and backward) jumps go through labels: bf_label_new() makes a
 * label, jumps name it, bf_label_bind() fixes its position, and
 * bf_emit_finish() patches every jump offset (and pseudo-call immediate)
 * once the layout is known.
 *
 * The I_*() helpers build one struct bpf_insn, in the spirit of the
 * kernel's BPF_* macros (include/linux/filter.h).
 */
#ifndef BPFILTER_CGEN_EMIT_H
#define BPFILTER_CGEN_EMIT_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgen/cgen.h"

#define BF_R0 0
#define BF_R1 1
#define BF_R2 2
#define BF_R3 3
#define BF_R4 4
#define BF_R5 5
#define BF_R6 6
#define BF_R7 7
#define BF_R8 8
#define BF_R9 9
#define BF_FP 10

static inline struct bpf_insn bf_insn(uint8_t code, uint8_t dst, uint8_t src,
				      int16_t off, int32_t imm)
{
	struct bpf_insn i = {
		.code = code,
		.dst_reg = dst,
		.src_reg = src,
		.off = off,
		.imm = imm,
	};
	return i;
}

#define I_MOV64_IMM(dst, imm)                                                  \
	bf_insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define I_MOV32_IMM(dst, imm)                                                  \
	bf_insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)(imm))
#define I_MOV64_REG(dst, src)                                                  \
	bf_insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define I_MOV32_REG(dst, src) bf_insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define I_ALU64_IMM(op, dst, imm)                                              \
	bf_insn(BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define I_ALU64_REG(op, dst, src)                                              \
	bf_insn(BPF_ALU64 | (op) | BPF_X, dst, src, 0, 0)
#define I_ALU32_IMM(op, dst, imm)                                              \
	bf_insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define I_ALU32_REG(op, dst, src)                                              \
	bf_insn(BPF_ALU | (op) | BPF_X, dst, src, 0, 0)
/* Convert to big endian (a byte swap on little-endian hosts), `bits` wide;
 * the upper bits of dst are cleared. */
#define I_BE(dst, bits) bf_insn(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bits)
#define I_LDX(size, dst, src, off)                                             \
	bf_insn(BPF_LDX | BPF_MEM | (size), dst, src, off, 0)
#define I_STX(size, dst, src, off)                                             \
	bf_insn(BPF_STX | BPF_MEM | (size), dst, src, off, 0)
#define I_ST(size, dst, off, imm)                                              \
	bf_insn(BPF_ST | BPF_MEM | (size), dst, 0, off, imm)
/* lock *(u64 *)(dst + off) += src */
#define I_ATOMIC_ADD64(dst, src, off)                                          \
	bf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, dst, src, off, BPF_ADD)
#define I_EXIT() bf_insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define I_KFUNC(btf_id)                                                        \
	bf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, btf_id)
#define I_HELPER(id) bf_insn(BPF_JMP | BPF_CALL, 0, 0, 0, id)
/* src = xchg((u64 *)(dst + off), src) */
#define I_XCHG64(dst, src, off)                                                \
	bf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, dst, src, off, BPF_XCHG)
/* r0 = cmpxchg((u32 *)(dst + off), r0, src) */
#define I_CMPXCHG32(dst, src, off)                                             \
	bf_insn(BPF_STX | BPF_ATOMIC | BPF_W, dst, src, off, BPF_CMPXCHG)

struct bf_emit_fixup;

struct bf_emit_label {
	size_t pos; /* insn index, SIZE_MAX while unbound */
	unsigned int refs; /* jumps and calls emitted to it */
};

struct bf_emit {
	struct bpf_insn *insns;
	size_t n, cap;
	int err; /* first error, 0 if none */
	/* The next instruction cannot be reached: it is dropped. Set after
	 * an exit or an unconditional jump, cleared by binding a label that
	 * some jump uses. All jumps we emit go forward, so this removes
	 * all dead code (which the verifier refuses). */
	bool dead;
	/* Position of the last label bound: a jump landing right after
	 * the last instruction forbids rewriting that instruction. */
	size_t bound_at;
	struct bf_emit_label *labels;
	size_t n_labels, cap_labels;
	struct bf_emit_fixup *fixups;
	size_t n_fixups, cap_fixups;
	struct bf_reloc *relocs;
	size_t n_relocs, cap_relocs;
};

typedef unsigned int bf_label;

void bf_emit_init(struct bf_emit *e);
void bf_emit_release(struct bf_emit *e);
/* Record an error if none is recorded yet. */
void bf_emit_fail(struct bf_emit *e, int err);

void bf_emit(struct bf_emit *e, struct bpf_insn insn);
bf_label bf_label_new(struct bf_emit *e);
void bf_label_bind(struct bf_emit *e, bf_label l);
/* Count a reference to l that a later (backward) jump will make, so
 * that binding l keeps the code after it reachable. */
static inline void bf_label_ref(struct bf_emit *e, bf_label l)
{
	if (!e->err && !e->dead)
		e->labels[l].refs++;
}
/* Bind a function entry: reachable through calls, never dead. */
void bf_label_bind_entry(struct bf_emit *e, bf_label l);
static inline unsigned int bf_label_refs(const struct bf_emit *e, bf_label l)
{
	return e->labels[l].refs;
}
/* Index of the next instruction. */
static inline size_t bf_emit_pos(const struct bf_emit *e)
{
	return e->n;
}

/* if (dst <op> imm) goto l; 64-bit or 32-bit (jmp32) compare. */
void bf_emit_jmp_imm(struct bf_emit *e, uint8_t op, uint8_t dst, int32_t imm,
		     bf_label l);
void bf_emit_jmp32_imm(struct bf_emit *e, uint8_t op, uint8_t dst, int32_t imm,
		       bf_label l);
void bf_emit_jmp_reg(struct bf_emit *e, uint8_t op, uint8_t dst, uint8_t src,
		     bf_label l);
void bf_emit_ja(struct bf_emit *e, bf_label l);
/* BPF-to-BPF call of the subprogram starting at label l. */
void bf_emit_call(struct bf_emit *e, bf_label l);
/* dst = address of the subprogram starting at label l, for helpers that
 * take a callback (BPF_LD_IMM64 with src_reg BPF_PSEUDO_FUNC). */
void bf_emit_ld_func(struct bf_emit *e, uint8_t dst, bf_label l);
/* dst = 64-bit immediate (two instructions). */
void bf_emit_ld_imm64(struct bf_emit *e, uint8_t dst, uint64_t imm);
/* dst = address of byte `off` of the counters map value (two instructions,
 * with a BF_RELOC_COUNTERS relocation). */
void bf_emit_counters_addr(struct bf_emit *e, uint8_t dst, uint32_t off);
/* dst = address of byte `off` of the private state map value
 * (BF_RELOC_STATE). */
void bf_emit_state_addr(struct bf_emit *e, uint8_t dst, uint32_t off);
/* dst = address of byte `off` of the shared nft limit buckets' map value
 * (BF_RELOC_NFTBUCKET, cgen/m_nftlimit.h). */
void bf_emit_nftbucket_addr(struct bf_emit *e, uint8_t dst, uint32_t off);
/* dst = pointer to map prog->maps[map] (two instructions, with a
 * BF_RELOC_MAP relocation). */
void bf_emit_map_fd(struct bf_emit *e, uint8_t dst, uint32_t map);
/* Same, for a map of relocation kind `kind` (BF_RELOC_LOG*). */
void bf_emit_map_fd_kind(struct bf_emit *e, uint8_t dst,
			 enum bf_reloc_kind kind, uint32_t map);
/* dst = address of byte `off` of the value of map `map` of relocation
 * kind `kind` (BPF_PSEUDO_MAP_VALUE; BF_RELOC_RECENT_TAB). */
void bf_emit_map_value_kind(struct bf_emit *e, uint8_t dst,
			    enum bf_reloc_kind kind, uint32_t map,
			    uint32_t off);
/* r0 = imm; exit */
void bf_emit_ret(struct bf_emit *e, int32_t imm);

/* If the last instruction is a conditional jump to `from`, invert its
 * condition and make it jump to `to` instead (so that "if (x) goto from;
 * goto to;" becomes "if (!x) goto to;" falling through to `from`).
 * Returns false (nothing changed) otherwise. */
bool bf_emit_invert_last(struct bf_emit *e, bf_label from, bf_label to);

/* Resolve the fixups. Returns the recorded error, or 0. */
int bf_emit_finish(struct bf_emit *e);

/* The function starts of insns[0..n), sorted (repeats kept): 0, and
 * every in-range target of a BPF-to-BPF call or of a function pointer.
 * *out has room for n + 1 entries (one past *n_out for a sentinel); the
 * caller frees it. Returns 0 or -ENOMEM. */
int bf_insns_func_starts(const struct bpf_insn *insns, size_t n, size_t **out,
			 size_t *n_out);

#endif /* BPFILTER_CGEN_EMIT_H */
