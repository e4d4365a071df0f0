// SPDX-License-Identifier: GPL-2.0-only
/*
 * The owner match (owner_mt() in net/netfilter/xt_owner.c) at the
 * netfilter OUTPUT hook. The prologue finds the socket as owner_mt()
 * does: skb_to_full_sk() (a request socket stands for its listener, a
 * TIME_WAIT socket for none), in the hook's network namespace, with a
 * struct socket; then the fsuid and fsgid of the credentials of the
 * socket's file (f_cred). uid and gid ranges are compared as kuid/kgid
 * values: make_kuid() of the initial user namespace is the identity (see
 * doc/hooks.md for namespaces with their own user namespace).
 *
 * Kernel memory is read with bpf_probe_read_kernel(), through scratch
 * bytes of the packet context (the prologue has finished with them).
 */
#include "cgen/mext.h"
#include "cgen/nfbtf.h"
#include "cgen/pctx.h"

#define TCP_TIME_WAIT_ 6
#define TCP_NEW_SYN_RECV_ 12

#define S0 ((int16_t)PCTX_OFF(scratch))
#define S8 ((int16_t)(PCTX_OFF(scratch) + 8))
#define S16 ((int16_t)(PCTX_OFF(scratch) + 16))
#define S24 ((int16_t)(PCTX_OFF(scratch) + 24))
/* the walk's index: 4-aligned but not 8-aligned, so the verifier keeps no
 * value for it and the loop's states converge at its may_goto */
#define S28 ((int16_t)(PCTX_OFF(scratch) + 28))
#define S32 ((int16_t)(PCTX_OFF(scratch) + 32))
_Static_assert((STK_PCTX + (int)offsetof(struct bf_pctx, scratch) + 28) % 8,
	       "walk index slot 8-aligned");

#define BPF_JCOND_ 0xe0 /* may_goto: BPF_JMP | BPF_JCOND, src_reg 0 */

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

static void stp(struct bf_emit *e, int size, int16_t off, uint8_t src)
{
	bf_emit(e, I_STX(size, BF_R9, src, off));
}

/* bpf_probe_read_kernel(pctx + dst, size, r3 + add); error to `bad` */
static void probe(struct bf_emit *e, int16_t dst, int size, int32_t add,
		  bf_label bad)
{
	if (add)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, add));
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, dst));
	bf_emit(e, I_MOV64_IMM(BF_R2, size));
	bf_emit(e, I_HELPER(BPF_FUNC_probe_read_kernel));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

int bf_mx_sup_bit(const struct bf_mx *x, uint32_t lo, uint32_t hi)
{
	for (size_t j = 0; j < x->n_sup; j++) {
		if (x->sup[j][0] == lo && x->sup[j][1] == hi)
			return 31 - (int)j;
	}
	return -1;
}

/* owner_mt() with --suppl-groups: whether one of f_cred->group_info's
 * groups lies in each distinct range; bit 31 - j of pctx.ct_bits for
 * range j. The credentials are at S8. One group per iteration of a loop
 * bounded by may_goto (ngroups is at most NGROUPS_MAX, 65536). */
static void suppl_groups(struct bf_mx *x, struct bf_emit *e)
{
	bf_label done = bf_label_new(e);

	ldp(e, BPF_DW, BF_R3, S8);
	probe(e, S16, 8, x->off_cred_groups, done);
	ldp(e, BPF_DW, BF_R3, S16);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, done);
	probe(e, S24, 4, x->off_gi_ngroups, done);
	for (size_t j = 0; j < x->n_sup; j++) {
		bf_label loop = bf_label_new(e), next = bf_label_new(e);
		bf_label cont = bf_label_new(e);

		bf_emit(e, I_MOV64_IMM(BF_R1, 0));
		stp(e, BPF_W, S28, BF_R1);
		bf_label_ref(e, loop); /* the backward jump below */
		bf_label_bind(e, loop);
		bf_emit_jmp_imm(e, BPF_JCOND_, 0, 0, next);
		ldp(e, BPF_W, BF_R1, S28);
		ldp(e, BPF_W, BF_R2, S24);
		bf_emit_jmp_reg(e, BPF_JGE, BF_R1, BF_R2, next);
		ldp(e, BPF_DW, BF_R3, S16);
		bf_emit(e, I_ALU64_IMM(BPF_LSH, BF_R1, 2));
		bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
		probe(e, S32, 4, x->off_gi_gid, next);
		ldp(e, BPF_W, BF_R1, S32);
		if (x->sup[j][0])
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
					  (int32_t)x->sup[j][0], cont);
		if (x->sup[j][1] != UINT32_MAX)
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R1,
					  (int32_t)x->sup[j][1], cont);
		ldp(e, BPF_W, BF_R1, PCTX_OFF(ct_bits));
		bf_emit(e,
			I_ALU32_IMM(BPF_OR, BF_R1, (int32_t)(1u << (31 - j))));
		stp(e, BPF_W, PCTX_OFF(ct_bits), BF_R1);
		bf_emit_ja(e, next);
		bf_label_bind(e, cont);
		ldp(e, BPF_W, BF_R1, S28);
		bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R1, 1));
		stp(e, BPF_W, S28, BF_R1);
		bf_emit_ja(e, loop);
		bf_label_bind(e, next);
	}
	bf_label_bind(e, done);
}

void bf_mx_prologue_owner(struct bf_mx *x, struct bf_emit *e)
{
	bf_label none = bf_label_new(e), nofile = bf_label_new(e);
	bf_label full = bf_label_new(e), store = bf_label_new(e);
	int32_t common = x->off_sk_common;

	/* sk = skb->sk (through an untrusted skb: no verifier trust
	 * search, cgen/nfbtf.h) */
	bf_nf_ctx_ptr(e, BF_R3, "skb");
	bf_emit(e, I_LDX(BPF_DW, BF_R3, BF_R3, (int16_t)x->off_skb_sk));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, none);
	bf_emit(e, I_STX(BPF_DW, BF_R9, BF_R3, S0));
	/* sk_to_full_sk() */
	probe(e, S8, 1, common + x->off_skc_state, none);
	ldp(e, BPF_B, BF_R1, S8);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, TCP_TIME_WAIT_, none);
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, TCP_NEW_SYN_RECV_, full);
	ldp(e, BPF_DW, BF_R3, S0);
	probe(e, S0, 8, x->off_rsk_listener, none);
	ldp(e, BPF_DW, BF_R1, S0);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, none);
	bf_label_bind(e, full);
	/* net_eq(xt_net(par), sock_net(sk)) */
	ldp(e, BPF_DW, BF_R3, S0);
	probe(e, S8, 8, common + x->off_skc_net, none);
	bf_nf_ctx_ptr(e, BF_R3, "state");
	probe(e, S16, 8, x->off_state_net, none);
	ldp(e, BPF_DW, BF_R1, S8);
	ldp(e, BPF_DW, BF_R2, S16);
	bf_emit_jmp_reg(e, BPF_JNE, BF_R1, BF_R2, none);
	/* sk->sk_socket, then its file (none: NOFILE) */
	ldp(e, BPF_DW, BF_R3, S0);
	probe(e, S8, 8, x->off_sk_socket, none);
	ldp(e, BPF_DW, BF_R3, S8);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, none);
	probe(e, S8, 8, x->off_socket_file, nofile);
	ldp(e, BPF_DW, BF_R3, S8);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, nofile);
	probe(e, S8, 8, x->off_file_cred, nofile);
	ldp(e, BPF_DW, BF_R3, S8);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, nofile);
	probe(e, PCTX_OFF(sk_uid), 4, x->off_cred_fsuid, nofile);
	ldp(e, BPF_DW, BF_R3, S8);
	probe(e, PCTX_OFF(sk_gid), 4, x->off_cred_fsgid, nofile);
	if (x->n_sup)
		suppl_groups(x, e);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_SK_FILE));
	bf_emit_ja(e, store);
	bf_label_bind(e, nofile);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_SK_NOFILE));
	bf_emit_ja(e, store);
	bf_label_bind(e, none);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_SK_NONE));
	bf_label_bind(e, store);
	stp(e, BPF_B, PCTX_OFF(sk_state), BF_R1);
}

/* lo <= reg <= hi, else `out` */
static void in_range(struct bf_emit *e, uint8_t reg, uint32_t lo, uint32_t hi,
		     bf_label out)
{
	if (lo > hi) {
		bf_emit_ja(e, out);
		return;
	}
	if (lo)
		bf_emit_jmp32_imm(e, BPF_JLT, reg, (int32_t)lo, out);
	if (hi != UINT32_MAX)
		bf_emit_jmp32_imm(e, BPF_JGT, reg, (int32_t)hi, out);
}

static void id_test(struct bf_emit *e, int16_t off, uint32_t lo, uint32_t hi,
		    bool inv, bf_label fail)
{
	ldp(e, BPF_W, BF_R2, off);
	if (!inv) {
		in_range(e, BF_R2, lo, hi, fail);
	} else {
		bf_label out = bf_label_new(e);

		in_range(e, BF_R2, lo, hi, out);
		bf_emit_ja(e, fail);
		bf_label_bind(e, out);
	}
}

/* fsgid in [lo, hi], or (--suppl-groups) a supplementary group in it,
 * xor invert */
static void gid_test(struct bf_mx *x, struct bf_emit *e, uint32_t lo,
		     uint32_t hi, bool suppl, bool inv, bf_label fail)
{
	bf_label in = bf_label_new(e), out = bf_label_new(e);
	bf_label sup = bf_label_new(e), done = bf_label_new(e);
	int bit = suppl ? bf_mx_sup_bit(x, lo, hi) : -1;

	ldp(e, BPF_W, BF_R2, PCTX_OFF(sk_gid));
	in_range(e, BF_R2, lo, hi, sup);
	bf_emit_ja(e, in);
	bf_label_bind(e, sup);
	if (bit >= 0) {
		ldp(e, BPF_W, BF_R1, PCTX_OFF(ct_bits));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)(1u << bit)));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, in);
	}
	bf_emit_ja(e, out);
	bf_label_bind(e, in);
	bf_emit_ja(e, inv ? fail : done);
	bf_label_bind(e, out);
	if (!inv)
		bf_emit_ja(e, fail);
	bf_label_bind(e, done);
}

void bf_mx_emit_owner(struct bf_mx *x, struct bf_emit *e,
		      const struct bf_match *m, bf_label fail)
{
	const typeof(m->u.owner) *o = &m->u.owner;
	bf_label nonel = bf_label_new(e), nofilel = bf_label_new(e);
	bf_label ok = bf_label_new(e);
	unsigned int diff = (unsigned int)(o->match ^ o->invert);

	(void)x;
	ldp(e, BPF_B, BF_R1, PCTX_OFF(sk_state));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, BF_SK_NONE, nonel);
	/* a socket, but `! --socket-exists` */
	if (o->match & o->invert & BF_OWNER_SOCKET)
		bf_emit_ja(e, fail);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, BF_SK_NOFILE, nofilel);
	if (o->match & BF_OWNER_UID)
		id_test(e, PCTX_OFF(sk_uid), o->uid_min, o->uid_max,
			o->invert & BF_OWNER_UID, fail);
	if (o->match & BF_OWNER_GID)
		gid_test(x, e, o->gid_min, o->gid_max,
			 o->match & BF_OWNER_SUPPL_GROUPS,
			 o->invert & BF_OWNER_GID, fail);
	bf_emit_ja(e, ok);
	/* no socket: (match ^ invert) == 0 */
	bf_label_bind(e, nonel);
	bf_emit_ja(e, diff == 0 ? ok : fail);
	/* no file: ((match ^ invert) & (UID | GID)) == 0 */
	bf_label_bind(e, nofilel);
	bf_emit_ja(e, (diff & (BF_OWNER_UID | BF_OWNER_GID)) == 0 ? ok : fail);
	bf_label_bind(e, ok);
}
