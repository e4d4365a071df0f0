// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "cgen/nfbtf.h"
#include "kbtf/kbtf.h"

void bf_nf_ctx_ptr(struct bf_emit *e, uint8_t dst, const char *member)
{
	int off = bf_kbtf_member_off("bpf_nf_ctx", member);
	int cast = -ENOENT, id = -ENOENT;

	if (off < 0) {
		bf_emit_fail(e, -ENOENT);
		return;
	}
	/* BPFILTER_NFBTF_TRUSTED=1: the plain ctx load (tests show that
	 * their check of the verifier's log can fail) */
	if (!getenv("BPFILTER_NFBTF_TRUSTED")) {
		cast = bf_kbtf_func_id("bpf_rdonly_cast");
		id = bf_kbtf_struct_id("bpf_nf_ctx");
	}
	if (cast < 0 || id < 0) {
		bf_emit(e, I_LDX(BPF_DW, dst, BF_R6, (int16_t)off));
		return;
	}
	/* r0 = bpf_rdonly_cast(ctx, id of struct bpf_nf_ctx) */
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R6));
	bf_emit(e, I_MOV64_IMM(BF_R2, id));
	bf_emit(e, I_KFUNC(cast));
	bf_emit(e, I_LDX(BPF_DW, dst, BF_R0, (int16_t)off));
}
