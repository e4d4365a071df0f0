// SPDX-License-Identifier: GPL-2.0-only
/*
 * User BPF code: the packet buffer, the calls, matches and verdicts. See
 * cgen/m_bpf.h and doc/user-matches.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "bpfilter/usermatch.h"
#include "cgen/m_bpf.h"
#include "cgen/pctx.h"

#define UM_OFF(f) ((int16_t)offsetof(struct bf_usermatch, f))

_Static_assert(BF_USERMATCH_HOOK_INPUT == BF_HOOK_INPUT &&
		       BF_USERMATCH_HOOK_FORWARD == BF_HOOK_FORWARD &&
		       BF_USERMATCH_HOOK_OUTPUT == BF_HOOK_OUTPUT,
	       "usermatch hooks");
_Static_assert(BF_USERMATCH_AT_NETFILTER == BF_ATTACH_NF &&
		       BF_USERMATCH_AT_TC == BF_ATTACH_TC &&
		       BF_USERMATCH_AT_XDP == BF_ATTACH_XDP,
	       "usermatch attach kinds");
_Static_assert(offsetof(struct bf_usermatch, data) == 32 &&
		       sizeof(struct bf_usermatch) ==
			       32 + BF_USERMATCH_DATA_MAX,
	       "usermatch ABI v1 layout");

static struct bf_um_fn *fn_of(struct bf_um *um, uint32_t ref)
{
	struct bf_um_fn *n;

	for (size_t i = 0; i < um->n_fns; i++) {
		if (um->fns[i].ref == ref)
			return &um->fns[i];
	}
	n = realloc(um->fns, (um->n_fns + 1) * sizeof(*n));
	if (!n)
		return NULL;
	um->fns = n;
	n = &um->fns[um->n_fns++];
	memset(n, 0, sizeof(*n));
	n->ref = ref;
	n->label = UINT32_MAX;
	return n;
}

int bf_um_scan(struct bf_um *um, const struct bf_rule *rule,
	       const struct bf_match *m, uint32_t ref)
{
	const struct bf_userbpf *u = bf_userbpf_get(ref);
	int line = m && m->line ? m->line : rule->line;
	const char *why = NULL;

	if (!u) {
		bf_log_at(BF_LOG_ERROR, rule->file, line, 0,
			  "bpf: unknown user BPF reference %u", ref);
		return -EINVAL;
	}
	if (u->kind == BF_USERBPF_PINNED) {
		bf_log_at(BF_LOG_ERROR, rule->file, line, 0,
			  "bpf: --object-pinned %s: a generated program "
			  "cannot call a program already loaded in the "
			  "kernel and come back (there is no call by file "
			  "descriptor, and a tail call never returns); build "
			  "the match from C and use --object FILE.o (see "
			  "doc/user-matches.md)",
			  u->path);
		return -EOPNOTSUPP;
	}
	if (u->kind == BF_USERBPF_BYTECODE &&
	    bf_cbpf_check(u->insns, u->n_insns, &why)) {
		bf_log_at(BF_LOG_ERROR, rule->file, line, 0,
			  "bpf: --bytecode: %s", why);
		return -EINVAL;
	}
	if (u->kind == BF_USERBPF_BYTECODE && !m) {
		bf_log_at(BF_LOG_ERROR, rule->file, line, 0,
			  "BPF target: classic BPF cannot give a verdict; "
			  "use --object FILE.o");
		return -EINVAL;
	}
	um->on = true;
	for (size_t i = 0; i < um->n_fns; i++) {
		if (um->fns[i].ref == ref)
			return 0; /* checked already */
	}
	if (u->kind == BF_USERBPF_OBJECT && bf_userbpf_check(u)) {
		bf_log_at(BF_LOG_ERROR, rule->file, line, 0,
			  "bpf: cannot use %s (see above)", u->path);
		return -EINVAL;
	}
	return fn_of(um, ref) ? 0 : -ENOMEM;
}

void bf_um_fill(struct bf_emit *e, enum bf_attach_kind attach,
		enum bf_hook hook, int32_t l3off)
{
	bf_label done = bf_label_new(e), capped = bf_label_new(e);

	/* r7 = the buffer (key: pctx.pad, always 0) */
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_UMBUF, 0);
	bf_emit(e, I_MOV64_REG(BF_R2, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, PCTX_OFF(pad)));
	bf_emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R0, 0, done);
	bf_emit(e, I_MOV64_REG(BF_R7, BF_R0));

	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(len)));
	bf_emit(e, I_STX(BPF_W, BF_R7, BF_R1, UM_OFF(len)));
	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(thoff)));
	bf_emit(e, I_STX(BPF_W, BF_R7, BF_R1, UM_OFF(l4off)));
	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(l4gate)));
	bf_emit(e, I_STX(BPF_W, BF_R7, BF_R1, UM_OFF(l4len)));
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R9, PCTX_OFF(fragoff)));
	bf_emit(e, I_STX(BPF_H, BF_R7, BF_R1, UM_OFF(fragoff)));
	bf_emit(e, I_LDX(BPF_B, BF_R1, BF_R9, PCTX_OFF(l4proto)));
	bf_emit(e, I_STX(BPF_B, BF_R7, BF_R1, UM_OFF(l4proto)));
	bf_emit(e, I_LDX(BPF_B, BF_R1, BF_R9, PCTX_OFF(family)));
	bf_emit(e, I_STX(BPF_B, BF_R7, BF_R1, UM_OFF(family)));
	bf_emit(e, I_ST(BPF_B, BF_R7, UM_OFF(hook), (int32_t)hook));
	bf_emit(e, I_ST(BPF_B, BF_R7, UM_OFF(attach), (int32_t)attach));

	/* caplen = min(len, BF_USERMATCH_DATA_MAX), the bytes copied */
	bf_emit(e, I_LDX(BPF_W, BF_R2, BF_R9, PCTX_OFF(len)));
	bf_emit_jmp_imm(e, BPF_JLE, BF_R2, BF_USERMATCH_DATA_MAX, capped);
	bf_emit(e, I_MOV64_IMM(BF_R2, BF_USERMATCH_DATA_MAX));
	bf_label_bind(e, capped);
	bf_emit(e, I_STX(BPF_W, BF_R7, BF_R2, UM_OFF(caplen)));
	/* bpf_dynptr_read(data, caplen, dynptr, l3off, 0) */
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R7));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, UM_OFF(data)));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_FP));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	bf_emit(e, I_MOV64_IMM(BF_R4, l3off));
	bf_emit(e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R0, 0, done);
	/* the packet is shorter than its L3 length says: nothing */
	bf_emit(e, I_ST(BPF_W, BF_R7, UM_OFF(caplen), 0));
	bf_label_bind(e, done);
}

static void add_call_reloc(struct bf_emit *e, uint32_t ref)
{
	struct bf_reloc *n;

	if (e->err || e->dead)
		return;
	if (e->n_relocs == e->cap_relocs) {
		size_t cap = e->cap_relocs ? e->cap_relocs * 2 : 64;

		n = realloc(e->relocs, cap * sizeof(*n));
		if (!n) {
			bf_emit_fail(e, -ENOMEM);
			return;
		}
		e->relocs = n;
		e->cap_relocs = cap;
	}
	e->relocs[e->n_relocs++] = (struct bf_reloc){
		.idx = e->n,
		.kind = BF_RELOC_UFUNC,
		.map = ref,
	};
	/* imm patched by bf_userbpf_link() */
	bf_emit(e, bf_insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, -1));
}

void bf_um_call(struct bf_emit *e, struct bf_um *um, uint32_t ref,
		bf_label nobuf)
{
	const struct bf_userbpf *u = bf_userbpf_get(ref);
	struct bf_um_fn *f = fn_of(um, ref);

	if (!u || !f) {
		bf_emit_fail(e, u ? -ENOMEM : -EINVAL);
		return;
	}
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_UMBUF, 0);
	bf_emit(e, I_MOV64_REG(BF_R2, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, PCTX_OFF(pad)));
	bf_emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R0, 0, nobuf);
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R0));
	if (u->kind == BF_USERBPF_OBJECT) {
		add_call_reloc(e, ref);
		return;
	}
	if (f->label == UINT32_MAX)
		f->label = bf_label_new(e);
	bf_emit_call(e, f->label);
}

void bf_um_match(struct bf_emit *e, struct bf_um *um, const struct bf_match *m,
		 bf_label fail)
{
	bf_um_call(e, um, m->u.bpf.ref, fail);
	/* 32-bit: the function returns an int */
	bf_emit_jmp32_imm(e, m->neg ? BPF_JNE : BPF_JEQ, BF_R0, 0, fail);
}

void bf_um_verdict(struct bf_emit *e, struct bf_um *um, uint32_t ref,
		   bf_label next, int32_t rc_accept, int32_t rc_drop)
{
	bf_label acc = bf_label_new(e), drop = bf_label_new(e);

	bf_um_call(e, um, ref, next);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R0, BF_USERMATCH_ACCEPT, acc);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R0, BF_USERMATCH_DROP, drop);
	bf_emit_ja(e, next);
	bf_label_bind(e, acc);
	bf_emit_ret(e, rc_accept);
	bf_label_bind(e, drop);
	bf_emit_ret(e, rc_drop);
}

int bf_um_emit_funcs(struct bf_emit *e, struct bf_um *um,
		     struct bf_program *prog, size_t *cap_funcs)
{
	for (size_t i = 0; i < um->n_fns; i++) {
		struct bf_um_fn *f = &um->fns[i];
		struct bf_func *fn;

		if (f->label == UINT32_MAX || f->emitted ||
		    !bf_label_refs(e, f->label))
			continue;
		f->emitted = true;
		if (prog->n_funcs == *cap_funcs) {
			size_t cap = *cap_funcs * 2 + 1;
			struct bf_func *n =
				realloc(prog->funcs, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			prog->funcs = n;
			*cap_funcs = cap;
		}
		fn = &prog->funcs[prog->n_funcs++];
		memset(fn, 0, sizeof(*fn));
		bf_label_bind_entry(e, f->label);
		fn->insn_off = bf_emit_pos(e);
		fn->global = false;
		snprintf(fn->name, sizeof(fn->name), "bf_cbpf%zu", i);
		bf_cbpf_emit(e, bf_userbpf_get(f->ref));
	}
	return e->err;
}

void bf_um_release(struct bf_um *um)
{
	free(um->fns);
	um->fns = NULL;
	um->n_fns = 0;
}
