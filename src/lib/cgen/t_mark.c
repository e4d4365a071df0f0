// SPDX-License-Identifier: GPL-2.0-only
/*
 * MARK (mark_tg() in net/netfilter/xt_mark.c, revision 2): the packet's
 * mark becomes (mark & ~mask) ^ value and the next rule runs
 * (XT_CONTINUE). The chains work on the packet context's copy, so that
 * later mark matches of the same ruleset see the new mark, and the main
 * function stores it into skb->mark once the chains are done (cgen.c,
 * call_builtin()). Only tc programs may write skb->mark: bf_check()
 * refuses MARK at the netfilter hooks (the skb is read-only to
 * BPF_PROG_TYPE_NETFILTER programs) and at XDP (no skb yet).
 */
#include "cgen/pctx.h"
#include "cgen/targets.h"

void bf_cgen_mark(struct bf_emit *e, const struct bf_verdict *v)
{
	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(mark)));
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)~v->u.mark.mask));
	bf_emit(e, I_ALU32_IMM(BPF_XOR, BF_R1, (int32_t)v->u.mark.value));
	bf_emit(e, I_STX(BPF_W, BF_R9, BF_R1, PCTX_OFF(mark)));
}
