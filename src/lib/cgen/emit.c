// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "cgen/emit.h"

enum fixup_kind {
	FIXUP_JMP, /* patch insn.off */
	FIXUP_CALL, /* patch insn.imm */
};

struct bf_emit_fixup {
	size_t insn;
	bf_label label;
	enum fixup_kind kind;
};

/* Grow an array of `*cap` elements of `size` bytes to hold n + 1. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

void bf_emit_init(struct bf_emit *e)
{
	memset(e, 0, sizeof(*e));
	e->bound_at = SIZE_MAX;
}

void bf_emit_release(struct bf_emit *e)
{
	free(e->insns);
	free(e->labels);
	free(e->fixups);
	free(e->relocs);
	memset(e, 0, sizeof(*e));
}

void bf_emit_fail(struct bf_emit *e, int err)
{
	if (!e->err)
		e->err = err;
}

void bf_emit(struct bf_emit *e, struct bpf_insn insn)
{
	if (e->err || e->dead)
		return;
	if (grow((void **)&e->insns, &e->cap, e->n, sizeof(insn))) {
		bf_emit_fail(e, -ENOMEM);
		return;
	}
	e->insns[e->n++] = insn;
	if (insn.code == (BPF_JMP | BPF_EXIT) ||
	    insn.code == (BPF_JMP | BPF_JA))
		e->dead = true;
}

bf_label bf_label_new(struct bf_emit *e)
{
	if (grow((void **)&e->labels, &e->cap_labels, e->n_labels,
		 sizeof(*e->labels))) {
		bf_emit_fail(e, -ENOMEM);
		return 0;
	}
	e->labels[e->n_labels].pos = SIZE_MAX;
	e->labels[e->n_labels].refs = 0;
	return (bf_label)e->n_labels++;
}

void bf_label_bind(struct bf_emit *e, bf_label l)
{
	if (e->err)
		return;
	e->labels[l].pos = e->n;
	if (e->labels[l].refs) {
		e->dead = false;
		e->bound_at = e->n;
	}
}

void bf_label_bind_entry(struct bf_emit *e, bf_label l)
{
	if (e->err)
		return;
	e->dead = false;
	e->labels[l].pos = e->n;
	e->bound_at = e->n;
}

/* Called right after bf_emit() of the jump: `was_dead` tells whether that
 * jump was dropped. */
static void add_fixup(struct bf_emit *e, bf_label l, enum fixup_kind kind,
		      bool was_dead)
{
	if (e->err || was_dead)
		return;
	e->labels[l].refs++;
	if (grow((void **)&e->fixups, &e->cap_fixups, e->n_fixups,
		 sizeof(*e->fixups))) {
		bf_emit_fail(e, -ENOMEM);
		return;
	}
	e->fixups[e->n_fixups++] = (struct bf_emit_fixup){
		.insn = e->n - 1,
		.label = l,
		.kind = kind,
	};
}

/* A lower bound of the x86-64 bytes the JIT (do_jit()) makes of in, after
 * anything the verifier may do to it: 0 for jumps and calls (the verifier
 * turns a jump one way into a `goto` or a nop and removes the dead code;
 * calls can be inlined), for moves (a 64-bit move to itself is nothing)
 * and byte swaps; an instruction's opcode and ModRM byte otherwise, plus
 * the displacement byte the JIT always writes for memory operands. */
static unsigned int min_x86_bytes(const struct bpf_insn *in)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
	case BPF_ST:
		return 3;
	case BPF_STX:
		return BPF_MODE(in->code) == BPF_ATOMIC ? 4 : 3;
	case BPF_LD:
		return in->code == (BPF_LD | BPF_DW | BPF_IMM) ? 2 : 0;
	case BPF_ALU:
	case BPF_ALU64:
		return BPF_OP(in->code) == BPF_MOV ||
				       BPF_OP(in->code) == BPF_END ?
			       0 :
			       2;
	default:
		return 0;
	}
}

/*
 * Before a jump back to l: make sure the JIT always encodes it with a
 * 32-bit displacement, by padding the code it jumps over to more than
 * 128 bytes when it could be shorter.
 *
 * do_jit() computes a backward jump's displacement from the target's
 * address in the current pass and the jump's own in the previous pass, so
 * its size (2 or 5 bytes) need not shrink monotonically like a forward
 * jump's: it can grow in a pass where another jump shrinks, two passes
 * then end with the same image size but a different layout, and the final
 * pass of bpf_int_jit_compile() fails ("bpf_jit: fatal error", ENOTSUPP
 * for BPF_PROG_LOAD). A jump over more than 128 bytes in the final layout
 * is 5 bytes in every pass (each pass's layout is at least as long), so it
 * never changes size. The pad is `if r10 == 0 goto +0` (test + jcc, 5
 * bytes, no effect; the verifier keeps it, both ways being the same
 * instruction); it is only on the way back from cold code or round a
 * loop.
 */
#define BACK_MIN_BYTES 136
static void pad_backward(struct bf_emit *e, bf_label l)
{
	unsigned int bytes = 0;
	size_t pos;

	if (e->err || e->dead || l >= e->n_labels)
		return;
	pos = e->labels[l].pos;
	if (pos == SIZE_MAX)
		return;
	for (size_t i = pos; i < e->n && bytes < BACK_MIN_BYTES; i++)
		bytes += min_x86_bytes(&e->insns[i]);
	for (; bytes < BACK_MIN_BYTES; bytes += 5)
		bf_emit(e, bf_insn(BPF_JMP | BPF_JEQ | BPF_K, BF_FP, 0, 0, 0));
}

void bf_emit_jmp_imm(struct bf_emit *e, uint8_t op, uint8_t dst, int32_t imm,
		     bf_label l)
{
	bool was_dead;

	pad_backward(e, l);
	was_dead = e->dead;

	bf_emit(e, bf_insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm));
	add_fixup(e, l, FIXUP_JMP, was_dead);
}

void bf_emit_jmp32_imm(struct bf_emit *e, uint8_t op, uint8_t dst, int32_t imm,
		       bf_label l)
{
	bool was_dead;

	pad_backward(e, l);
	was_dead = e->dead;

	bf_emit(e, bf_insn(BPF_JMP32 | op | BPF_K, dst, 0, 0, imm));
	add_fixup(e, l, FIXUP_JMP, was_dead);
}

void bf_emit_jmp_reg(struct bf_emit *e, uint8_t op, uint8_t dst, uint8_t src,
		     bf_label l)
{
	bool was_dead;

	pad_backward(e, l);
	was_dead = e->dead;

	bf_emit(e, bf_insn(BPF_JMP | op | BPF_X, dst, src, 0, 0));
	add_fixup(e, l, FIXUP_JMP, was_dead);
}

void bf_emit_ja(struct bf_emit *e, bf_label l)
{
	bool was_dead;

	pad_backward(e, l);
	was_dead = e->dead;

	bf_emit(e, bf_insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
	add_fixup(e, l, FIXUP_JMP, was_dead);
}

void bf_emit_call(struct bf_emit *e, bf_label l)
{
	bool was_dead = e->dead;

	bf_emit(e, bf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
	add_fixup(e, l, FIXUP_CALL, was_dead);
}

void bf_emit_ld_func(struct bf_emit *e, uint8_t dst, bf_label l)
{
	bool was_dead = e->dead;

	/* insn[0].imm is patched like a call's: target - insn - 1 */
	bf_emit(e,
		bf_insn(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_FUNC, 0, 0));
	add_fixup(e, l, FIXUP_CALL, was_dead);
	bf_emit(e, bf_insn(0, 0, 0, 0, 0));
}

void bf_emit_ld_imm64(struct bf_emit *e, uint8_t dst, uint64_t imm)
{
	bf_emit(e, bf_insn(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0,
			   (int32_t)(uint32_t)imm));
	bf_emit(e, bf_insn(0, 0, 0, 0, (int32_t)(uint32_t)(imm >> 32)));
}

static void map_value_addr(struct bf_emit *e, uint8_t dst, uint32_t off,
			   enum bf_reloc_kind kind)
{
	if (e->err || e->dead)
		return;
	if (grow((void **)&e->relocs, &e->cap_relocs, e->n_relocs,
		 sizeof(*e->relocs))) {
		bf_emit_fail(e, -ENOMEM);
		return;
	}
	e->relocs[e->n_relocs++] = (struct bf_reloc){
		.idx = e->n,
		.kind = kind,
	};
	bf_emit(e, bf_insn(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_VALUE,
			   0, -1));
	bf_emit(e, bf_insn(0, 0, 0, 0, (int32_t)off));
}

void bf_emit_counters_addr(struct bf_emit *e, uint8_t dst, uint32_t off)
{
	map_value_addr(e, dst, off, BF_RELOC_COUNTERS);
}

void bf_emit_state_addr(struct bf_emit *e, uint8_t dst, uint32_t off)
{
	map_value_addr(e, dst, off, BF_RELOC_STATE);
}

void bf_emit_nftbucket_addr(struct bf_emit *e, uint8_t dst, uint32_t off)
{
	map_value_addr(e, dst, off, BF_RELOC_NFTBUCKET);
}

void bf_emit_map_fd(struct bf_emit *e, uint8_t dst, uint32_t map)
{
	bf_emit_map_fd_kind(e, dst, BF_RELOC_MAP, map);
}

void bf_emit_map_fd_kind(struct bf_emit *e, uint8_t dst,
			 enum bf_reloc_kind kind, uint32_t map)
{
	if (e->err || e->dead)
		return;
	if (grow((void **)&e->relocs, &e->cap_relocs, e->n_relocs,
		 sizeof(*e->relocs))) {
		bf_emit_fail(e, -ENOMEM);
		return;
	}
	e->relocs[e->n_relocs++] = (struct bf_reloc){
		.idx = e->n,
		.kind = kind,
		.map = map,
	};
	bf_emit(e, bf_insn(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0,
			   -1));
	bf_emit(e, bf_insn(0, 0, 0, 0, 0));
}

void bf_emit_map_value_kind(struct bf_emit *e, uint8_t dst,
			    enum bf_reloc_kind kind, uint32_t map, uint32_t off)
{
	size_t at = e->n;

	bf_emit_map_fd_kind(e, dst, kind, map);
	if (e->err || e->n != at + 2)
		return;
	e->insns[at].src_reg = BPF_PSEUDO_MAP_VALUE;
	e->insns[at + 1].imm = (int32_t)off;
}

void bf_emit_ret(struct bf_emit *e, int32_t imm)
{
	bf_emit(e, I_MOV64_IMM(BF_R0, imm));
	bf_emit(e, I_EXIT());
}

bool bf_emit_invert_last(struct bf_emit *e, bf_label from, bf_label to)
{
	static const uint8_t inverse[16] = {
		[BPF_JEQ >> 4] = BPF_JNE,   [BPF_JNE >> 4] = BPF_JEQ,
		[BPF_JGT >> 4] = BPF_JLE,   [BPF_JLE >> 4] = BPF_JGT,
		[BPF_JGE >> 4] = BPF_JLT,   [BPF_JLT >> 4] = BPF_JGE,
		[BPF_JSGT >> 4] = BPF_JSLE, [BPF_JSLE >> 4] = BPF_JSGT,
		[BPF_JSGE >> 4] = BPF_JSLT, [BPF_JSLT >> 4] = BPF_JSGE,
	};
	struct bf_emit_fixup *f;
	struct bpf_insn *in;
	uint8_t op;

	if (e->err || e->dead || !e->n || !e->n_fixups || e->bound_at == e->n)
		return false;
	f = &e->fixups[e->n_fixups - 1];
	in = &e->insns[e->n - 1];
	if (f->insn != e->n - 1 || f->label != from || f->kind != FIXUP_JMP)
		return false;
	if (BPF_CLASS(in->code) != BPF_JMP && BPF_CLASS(in->code) != BPF_JMP32)
		return false;
	op = BPF_OP(in->code);
	if (!inverse[op >> 4])
		return false;
	in->code = (uint8_t)((in->code & ~0xf0) | inverse[op >> 4]);
	e->labels[from].refs--;
	e->labels[to].refs++;
	f->label = to;
	return true;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int bf_insns_func_starts(const struct bpf_insn *insns, size_t n, size_t **out,
			 size_t *n_out)
{
	size_t *starts, n_starts = 0;

	starts = malloc((n + 1) * sizeof(*starts));
	if (!starts)
		return -ENOMEM;
	starts[n_starts++] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &insns[i];
		long t;

		/* a BPF-to-BPF call, or a function pointer (callbacks) */
		if (!(in->code == (BPF_JMP | BPF_CALL) &&
		      in->src_reg == BPF_PSEUDO_CALL) &&
		    !(in->code == (BPF_LD | BPF_DW | BPF_IMM) &&
		      in->src_reg == BPF_PSEUDO_FUNC))
			continue;
		t = (long)i + 1 + in->imm;
		if (t > 0 && (size_t)t < n)
			starts[n_starts++] = (size_t)t;
	}
	qsort(starts, n_starts, sizeof(*starts), cmp_size);
	*out = starts;
	*n_out = n_starts;
	return 0;
}

/*
 * Leave one exit per function: every exit but the last one of its
 * function becomes a forward jump to that last one.
 *
 * Why: the x86-64 JIT (arch/x86/net/bpf_jit_comp.c, do_jit()) compiles
 * the first exit of a function it meets as the epilogue and every later
 * exit as a jump back to it, whose displacement mixes the addresses of
 * the current pass (the epilogue) and of the previous pass (the jump
 * itself). Such a jump can grow from 2 to 5 bytes in one pass while
 * another one shrinks, so two passes can end with the same image size
 * but a different layout; bpf_int_jit_compile() then allocates the image
 * and the final pass fails its check that no instruction moved
 * ("bpf_jit: fatal error"), and BPF_PROG_LOAD fails with ENOTSUPP (524).
 * A forward BPF jump's displacement is computed from the previous pass
 * alone, so it only shrinks and the passes converge. Same length, same
 * verdicts: the jump lands on an exit, with r0 unchanged.
 */
static int single_exit(struct bf_emit *e)
{
	size_t *starts, n_starts;
	int r;

	r = bf_insns_func_starts(e->insns, e->n, &starts, &n_starts);
	if (r)
		return r;
	starts[n_starts] = e->n;
	for (size_t f = 0; f < n_starts; f++) {
		size_t lo = starts[f], hi = starts[f + 1], last = SIZE_MAX;

		for (size_t i = hi; i > lo; i--) {
			if (e->insns[i - 1].code == (BPF_JMP | BPF_EXIT)) {
				last = i - 1;
				break;
			}
		}
		if (last == SIZE_MAX)
			continue;
		/* Each exit jumps to the last one, or, too far for a 16-bit
		 * offset, to the nearest later (former) exit: still forward.
		 * One out of reach of both stays an exit (a function of more
		 * than 32K instructions without any exit in between). */
		for (size_t i = last, next = last; i-- > lo;) {
			long to_last = (long)last - (long)i - 1;
			long to_next = (long)next - (long)i - 1;

			if (e->insns[i].code != (BPF_JMP | BPF_EXIT))
				continue;
			if (to_last <= INT16_MAX)
				e->insns[i] = bf_insn(BPF_JMP | BPF_JA, 0, 0,
						      (int16_t)to_last, 0);
			else if (to_next <= INT16_MAX)
				e->insns[i] = bf_insn(BPF_JMP | BPF_JA, 0, 0,
						      (int16_t)to_next, 0);
			next = i;
		}
	}
	free(starts);
	return 0;
}

int bf_emit_finish(struct bf_emit *e)
{
	if (e->err)
		return e->err;
	for (size_t i = 0; i < e->n_fixups; i++) {
		const struct bf_emit_fixup *f = &e->fixups[i];
		size_t target = e->labels[f->label].pos;
		long delta;

		if (target == SIZE_MAX) {
			bf_err("codegen: jump to an unbound label at insn %zu",
			       f->insn);
			return -EINVAL;
		}
		delta = (long)target - (long)f->insn - 1;
		if (f->kind == FIXUP_CALL) {
			e->insns[f->insn].imm = (int32_t)delta;
			continue;
		}
		if (delta < INT16_MIN || delta > INT16_MAX) {
			bf_err("codegen: jump of %ld instructions at insn %zu "
			       "does not fit a BPF jump offset",
			       delta, f->insn);
			return -E2BIG;
		}
		e->insns[f->insn].off = (int16_t)delta;
	}
	return single_exit(e);
}
