// SPDX-License-Identifier: GPL-2.0-only
/*
 * The conntrack match beyond a plain state list (BF_MATCH_CONNTRACK:
 * conntrack_mt_v3() in net/netfilter/xt_conntrack.c) at the netfilter
 * hooks.
 *
 * Chains cannot reach the conntrack entry (they see the packet context
 * only), and the entry's tuples do not fit in it. So the netfilter
 * prologue evaluates every distinct conntrack match of the program once
 * per packet, on the entry of nf_ct_get(skb), and sets bit j of
 * pctx.ct_bits when match j holds; the match in the chain tests its bit.
 * A program holds at most 32 distinct conntrack matches.
 *
 * Entry fields are read with bpf_probe_read_kernel() (skb->_nfct is a
 * plain integer to the verifier) into the packet context's scratch bytes;
 * offsets come from the kernel BTF.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "bpfilter/log.h"
#include "cgen/mext.h"
#include "cgen/pctx.h"
#include "kbtf/kbtf.h"

#define IP_CT_UNTRACKED_ 7
#define IP_CT_IS_REPLY_ 3
#define IPS_SRC_NAT_ (1u << 4)
#define IPS_DST_NAT_ (1u << 5)

/* scratch: S_CT the entry's address, S_INFO ctinfo, S_BUF reads */
#define S_BUF ((int16_t)PCTX_OFF(scratch))
#define S_INFO ((int16_t)(PCTX_OFF(scratch) + 32))
#define S_CT ((int16_t)(PCTX_OFF(scratch) + 40))

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

static void stp(struct bf_emit *e, int size, int16_t off, uint8_t src)
{
	bf_emit(e, I_STX(size, BF_R9, src, off));
}

int bf_mx_ct_index(struct bf_mx *x, const struct bf_match *m)
{
	for (size_t i = 0; i < x->n_ct; i++) {
		if (x->ct[i]->type != m->type)
			continue;
		if (m->type != BF_MATCH_CONNTRACK ?
			    bf_mx_ext_same(x->ct[i], m) :
			    !memcmp(&x->ct[i]->u.conntrack, &m->u.conntrack,
				    sizeof(m->u.conntrack)))
			return (int)i;
	}
	return -1;
}

const char *bf_mx_ct_scan(struct bf_mx *x, const struct bf_rule *r,
			  const struct bf_match *m)
{
	if (x->attach != BF_ATTACH_NF)
		return "the conntrack entry of a packet is read at netfilter "
		       "hooks only (conntrack has not seen it yet at tc and "
		       "xdp); use --hook nf";
	x->ct_family = r->family;
	if (bf_mx_ct_index(x, m) >= 0)
		return NULL;
	if (x->n_ct + x->n_sup >= BF_MX_MAX_CT)
		return "more than 32 distinct conntrack matches (other than "
		       "plain --ctstate lists) and --suppl-groups ranges in "
		       "one hook";
	x->ct[x->n_ct++] = m;
	return NULL;
}

/* Kernel HZ: the tick is the resolution of the coarse clocks. */
static int kernel_hz(uint32_t *hz)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec ||
	    !res.tv_nsec)
		return -EINVAL;
	*hz = (uint32_t)((1000000000L + res.tv_nsec / 2) / res.tv_nsec);
	return 0;
}

int bf_mx_ct_resolve(struct bf_mx *x)
{
	struct btf *btf;
	int id, hash_size, r = 0;

	if (!x->n_ct)
		return 0;
	if (kernel_hz(&x->hz))
		return -EINVAL;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, "nf_conntrack_tuple_hash",
				    BTF_KIND_STRUCT);
	hash_size = id > 0 ? (int)btf__resolve_size(btf, id) : -ENOENT;
	btf__free(btf);
	if (hash_size <= 0)
		return -ENOENT;
	x->off_nfct = bf_kbtf_member_off("sk_buff", "_nfct");
	x->off_ct_status = bf_kbtf_member_off("nf_conn", "status");
	x->off_ct_timeout = bf_kbtf_member_off("nf_conn", "timeout");
	x->off_tuple[0] = bf_kbtf_member_off("nf_conn", "tuplehash");
	id = bf_kbtf_member_off("nf_conntrack_tuple_hash", "tuple");
	x->off_src = bf_kbtf_member_off("nf_conntrack_tuple", "src");
	x->off_dst = bf_kbtf_member_off("nf_conntrack_tuple", "dst");
	x->off_u3 = bf_kbtf_member_off("nf_conntrack_man", "u3");
	x->off_u = bf_kbtf_member_off("nf_conntrack_man", "u");
	if (x->off_nfct < 0 || x->off_ct_status < 0 || x->off_ct_timeout < 0 ||
	    x->off_tuple[0] < 0 || id < 0 || x->off_src < 0 || x->off_dst < 0 ||
	    x->off_u3 < 0 || x->off_u < 0)
		r = -ENOENT;
	x->off_tuple[0] += id;
	x->off_tuple[1] = x->off_tuple[0] + hash_size;
	return r;
}

/* r3 = the entry + off; read `size` bytes into S_BUF, error to `bad` */
static void ct_read(struct bf_emit *e, int32_t off, int size, bf_label bad)
{
	ldp(e, BPF_DW, BF_R3, S_CT);
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, off));
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, S_BUF));
	bf_emit(e, I_MOV64_IMM(BF_R2, size));
	bf_emit(e, I_HELPER(BPF_FUNC_probe_read_kernel));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

/* conntrack_addrcmp(): (entry address ^ addr) & mask == 0 */
static void addr_test(struct bf_mx *x, struct bf_emit *e, int dir, bool src,
		      const uint8_t *addr, const uint8_t *mask, bool inv,
		      bf_label fail)
{
	int words = x->ct_family == BF_FAMILY_INET6 ? 4 : 1;
	int32_t off =
		x->off_tuple[dir] + (src ? x->off_src : x->off_dst) + x->off_u3;
	struct bf_mx_test t = bf_mx_test_begin(e, inv);

	ct_read(e, off, 4 * words, fail);
	bf_mx_emit_addr_words(e, S_BUF, addr, mask, words, t.out);
	bf_mx_test_end(e, t, fail);
}

/* port_match(): lo <= ntohs(port) <= hi, xor invert */
static void port_test(struct bf_mx *x, struct bf_emit *e, int dir, bool src,
		      const uint16_t *range, bool inv, bf_label fail)
{
	int32_t off =
		x->off_tuple[dir] + (src ? x->off_src : x->off_dst) + x->off_u;
	struct bf_mx_test t = bf_mx_test_begin(e, inv);

	ct_read(e, off, 2, fail);
	ldp(e, BPF_H, BF_R1, S_BUF);
	bf_emit(e, I_BE(BF_R1, 16));
	if (range[0])
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, range[0], t.out);
	if (range[1] != 0xffff)
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, range[1], t.out);
	bf_mx_test_end(e, t, fail);
}

/* One conntrack_mt() evaluation: falls through when it holds, else jumps
 * to `fail`. S_CT and S_INFO hold the entry and ctinfo. */
static void eval_one(struct bf_mx *x, struct bf_emit *e,
		     const struct bf_match *m, bf_label fail)
{
	const typeof(m->u.conntrack) *ci = &m->u.conntrack;
	uint16_t mf = ci->match_flags, inv = ci->invert_flags;
	bf_label have = bf_label_new(e), ok = bf_label_new(e);

	ldp(e, BPF_DW, BF_R1, S_CT);
	bf_emit_jmp_imm(e, BPF_JNE, BF_R1, 0, have);
	/* No entry: UNTRACKED or INVALID for the state test; then the
	 * match holds if a state was asked for. */
	if (mf & BF_CT_STATE) {
		struct bf_mx_test t = bf_mx_test_begin(e, inv & BF_CT_STATE);
		bf_label test = bf_label_new(e);

		ldp(e, BPF_B, BF_R1, S_INFO);
		bf_emit(e, I_MOV32_IMM(BF_R2, BF_CT_STATE_INVALID));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, IP_CT_UNTRACKED_, test);
		bf_emit(e, I_MOV32_IMM(BF_R2, BF_CT_STATE_UNTRACKED));
		bf_label_bind(e, test);
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R2, ci->state_mask));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, t.out);
		bf_mx_test_end(e, t, fail);
		bf_emit_ja(e, ok);
	} else {
		bf_emit_ja(e, fail);
	}
	bf_label_bind(e, have);

	/* an entry: XT_CONNTRACK_STATE_BIT(ctinfo), | SNAT / DNAT */
	if (mf & BF_CT_STATE) {
		struct bf_mx_test t = bf_mx_test_begin(e, inv & BF_CT_STATE);
		bf_label nosn = bf_label_new(e), nodn = bf_label_new(e);

		ct_read(e, x->off_ct_status, 4, fail);
		ldp(e, BPF_B, BF_R2, S_INFO);
		bf_emit(e, I_ALU32_IMM(BPF_MOD, BF_R2, IP_CT_IS_REPLY_));
		bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R2, 1));
		bf_emit(e, I_MOV32_IMM(BF_R4, 1));
		bf_emit(e, I_ALU32_REG(BPF_LSH, BF_R4, BF_R2));
		ldp(e, BPF_W, BF_R1, S_BUF);
		bf_emit(e, I_MOV32_REG(BF_R3, BF_R1));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R3, IPS_SRC_NAT_));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R3, 0, nosn);
		bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R4, BF_CT_STATE_SNAT));
		bf_label_bind(e, nosn);
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, IPS_DST_NAT_));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, nodn);
		bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R4, BF_CT_STATE_DNAT));
		bf_label_bind(e, nodn);
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R4, ci->state_mask));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R4, 0, t.out);
		bf_mx_test_end(e, t, fail);
	}
	if (mf & BF_CT_DIRECTION) {
		/* (CTINFO2DIR(ctinfo) == ORIGINAL) ^ !invert fails */
		struct bf_mx_test t =
			bf_mx_test_begin(e, inv & BF_CT_DIRECTION);

		ldp(e, BPF_B, BF_R1, S_INFO);
		bf_emit_jmp32_imm(e, BPF_JGE, BF_R1, IP_CT_IS_REPLY_, t.out);
		bf_mx_test_end(e, t, fail);
	}
	if (mf & BF_CT_ORIGSRC)
		addr_test(x, e, 0, true, ci->origsrc, ci->origsrc_mask,
			  inv & BF_CT_ORIGSRC, fail);
	if (mf & BF_CT_ORIGDST)
		addr_test(x, e, 0, false, ci->origdst, ci->origdst_mask,
			  inv & BF_CT_ORIGDST, fail);
	if (mf & BF_CT_REPLSRC)
		addr_test(x, e, 1, true, ci->replsrc, ci->replsrc_mask,
			  inv & BF_CT_REPLSRC, fail);
	if (mf & BF_CT_REPLDST)
		addr_test(x, e, 1, false, ci->repldst, ci->repldst_mask,
			  inv & BF_CT_REPLDST, fail);
	/* ct_proto_port_check_v3() */
	if (mf & BF_CT_PROTO) {
		struct bf_mx_test t = bf_mx_test_begin(e, inv & BF_CT_PROTO);

		/* nf_ct_protonum(): the original tuple's dst.protonum,
		 * right after dst.u */
		ct_read(e, x->off_tuple[0] + x->off_dst + x->off_u + 2, 1,
			fail);
		ldp(e, BPF_B, BF_R1, S_BUF);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, ci->l4proto, t.out);
		bf_mx_test_end(e, t, fail);
	}
	if (mf & BF_CT_ORIGSRC_PORT)
		port_test(x, e, 0, true, ci->origsrc_port,
			  inv & BF_CT_ORIGSRC_PORT, fail);
	if (mf & BF_CT_ORIGDST_PORT)
		port_test(x, e, 0, false, ci->origdst_port,
			  inv & BF_CT_ORIGDST_PORT, fail);
	if (mf & BF_CT_REPLSRC_PORT)
		port_test(x, e, 1, true, ci->replsrc_port,
			  inv & BF_CT_REPLSRC_PORT, fail);
	if (mf & BF_CT_REPLDST_PORT)
		port_test(x, e, 1, false, ci->repldst_port,
			  inv & BF_CT_REPLDST_PORT, fail);
	if (mf & BF_CT_STATUS) {
		struct bf_mx_test t = bf_mx_test_begin(e, inv & BF_CT_STATUS);

		ct_read(e, x->off_ct_status, 4, fail);
		ldp(e, BPF_W, BF_R1, S_BUF);
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, ci->status_mask));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, t.out);
		bf_mx_test_end(e, t, fail);
	}
	if (mf & BF_CT_STATUS_EQ) {
		/* nft's cmp eq on the whole register (nft_ct_get_eval()) */
		struct bf_mx_test t =
			bf_mx_test_begin(e, inv & BF_CT_STATUS_EQ);

		ct_read(e, x->off_ct_status, 4, fail);
		ldp(e, BPF_W, BF_R1, S_BUF);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, ci->status_mask, t.out);
		bf_mx_test_end(e, t, fail);
	}
	if (mf & BF_CT_EXPIRES) {
		/* nf_ct_expires(ct) / HZ: max((s32)(timeout - (u32)jiffies),
		 * 0) / HZ */
		struct bf_mx_test t = bf_mx_test_begin(e, inv & BF_CT_EXPIRES);
		bf_label pos = bf_label_new(e);

		bf_emit(e, I_HELPER(BPF_FUNC_jiffies64));
		stp(e, BPF_W, (int16_t)(S_BUF + 8), BF_R0);
		ct_read(e, x->off_ct_timeout, 4, fail);
		ldp(e, BPF_W, BF_R1, S_BUF);
		ldp(e, BPF_W, BF_R2, (int16_t)(S_BUF + 8));
		bf_emit(e, I_ALU32_REG(BPF_SUB, BF_R1, BF_R2));
		bf_emit_jmp32_imm(e, BPF_JSGE, BF_R1, 0, pos);
		bf_emit(e, I_MOV32_IMM(BF_R1, 0));
		bf_label_bind(e, pos);
		bf_emit(e, I_ALU32_IMM(BPF_DIV, BF_R1, (int32_t)x->hz));
		if (ci->expires_min)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
					  (int32_t)ci->expires_min, t.out);
		if (ci->expires_max != UINT32_MAX)
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R1,
					  (int32_t)ci->expires_max, t.out);
		bf_mx_test_end(e, t, fail);
	}
	bf_label_bind(e, ok);
}

void bf_mx_ct_prologue(struct bf_mx *x, struct bf_emit *e)
{
	if (!x->n_ct)
		return;
	/* nf_ct_get(): ct = _nfct & ~7, ctinfo = _nfct & 7 */
	bf_emit(e, I_LDX(BPF_DW, BF_R1, BF_R7, (int16_t)x->off_nfct));
	bf_emit(e, I_MOV64_REG(BF_R2, BF_R1));
	bf_emit(e, I_ALU64_IMM(BPF_AND, BF_R2, 7));
	stp(e, BPF_B, S_INFO, BF_R2);
	bf_emit(e, I_ALU64_IMM(BPF_AND, BF_R1, -8));
	stp(e, BPF_DW, S_CT, BF_R1);
	/* pctx.ct_bits starts at 0 (the prologue zeroes the stack); owner
	 * --suppl-groups bits may already be set from bit 31 down */
	for (size_t j = 0; j < x->n_ct; j++) {
		bf_label fail = bf_label_new(e);

		if (x->ct[j]->type == BF_MATCH_POLICY)
			bf_mx_policy_eval(x, e, x->ct[j], fail);
		else if (x->ct[j]->type != BF_MATCH_CONNTRACK)
			bf_mx_ctext_eval(x, e, x->ct[j], fail);
		else
			eval_one(x, e, x->ct[j], fail);
		ldp(e, BPF_W, BF_R1, PCTX_OFF(ct_bits));
		bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R1, (int32_t)(1u << j)));
		stp(e, BPF_W, PCTX_OFF(ct_bits), BF_R1);
		bf_label_bind(e, fail);
	}
}

void bf_mx_emit_conntrack(struct bf_mx *x, struct bf_emit *e,
			  const struct bf_match *m, bf_label fail)
{
	int j = bf_mx_ct_index(x, m);

	if (j < 0) {
		bf_emit_fail(e, -EINVAL);
		return;
	}
	ldp(e, BPF_W, BF_R1, PCTX_OFF(ct_bits));
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)(1u << j)));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, fail);
}
