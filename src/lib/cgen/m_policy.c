// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPsec policy match (policy_mt() in net/netfilter/xt_policy.c) at
 * the netfilter hooks.
 *
 * Like the conntrack match (m_conntrack.c), each distinct policy match of
 * a program is evaluated once per packet by the netfilter prologue, which
 * sets its bit of pctx.ct_bits; the match in a chain tests the bit.
 *
 *  - --dir in: the packet's sec_path, skb_sec_path() =
 *    skb_ext_find(skb, SKB_EXT_SEC_PATH): present when bit SKB_EXT_SEC_PATH
 *    of skb->active_extensions is set, at skb->extensions + offset[id] * 8;
 *    its xvec[0..len-1] are the states that decapsulated the packet
 *    (match_policy_in());
 *  - --dir out: the packet's route skb_dst(skb) and, while it has one,
 *    its state dst->xfrm, following ((struct xfrm_dst *)dst)->child
 *    (match_policy_out()).
 *
 * No sec_path / no dst->xfrm is the kernel's -1: `--pol none` matches,
 * `--pol ipsec` does not; with one, `--pol none` never matches.
 *
 * Kernel memory is read with bpf_probe_read_kernel() into the packet
 * context's scratch bytes; every offset, and the value of SKB_EXT_SEC_PATH,
 * comes from the kernel BTF. A sec_path holds at most XFRM_MAX_DEPTH (6)
 * states, and so does a bundle (xfrm_bundle_create()): the walks are
 * unrolled that far.
 */
#include <errno.h>
#include <string.h>

#include "bpfilter/log.h"
#include "cgen/mext.h"
#include "cgen/pctx.h"
#include "kbtf/kbtf.h"

#define XFRM_MAX_DEPTH_ 6

/* scratch: S_BUF reads (16 bytes), S_PTR the sec_path or the current
 * route, S_ST the current state, S_LEN sec_path->len. Bytes 32 and
 * 40-47 are the conntrack prologue's (S_INFO, S_CT in m_conntrack.c). */
#define S_BUF ((int16_t)PCTX_OFF(scratch))
#define S_PTR ((int16_t)(PCTX_OFF(scratch) + 16))
#define S_ST ((int16_t)(PCTX_OFF(scratch) + 24))
#define S_LEN ((int16_t)(PCTX_OFF(scratch) + 36))

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

/* bpf_probe_read_kernel(pctx + dst, size, r3); error to `bad` */
static void probe(struct bf_emit *e, int16_t dst, int size, bf_label bad)
{
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, dst));
	bf_emit(e, I_MOV64_IMM(BF_R2, size));
	bf_emit(e, I_HELPER(BPF_FUNC_probe_read_kernel));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

/* read `size` bytes at [slot] + add into `dst`; error to `bad` */
static void rd(struct bf_emit *e, int16_t slot, int32_t add, int16_t dst,
	       int size, bf_label bad)
{
	ldp(e, BPF_DW, BF_R3, slot);
	if (add)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, add));
	probe(e, dst, size, bad);
}

const char *bf_mx_policy_scan(struct bf_mx *x, const struct bf_rule *r,
			      const struct bf_match *m)
{
	const typeof(m->u.policy) *p = &m->u.policy;

	if (x->attach != BF_ATTACH_NF)
		return "the packet's IPsec state (its sec_path, its route's "
		       "xfrm bundle) is read at netfilter hooks only; use "
		       "--hook nf";
	if (p->len > BF_POLICY_MAX_ELEM)
		return "more than 4 policy elements";
	x->need_policy = true;
	return bf_mx_ct_scan(x, r, m);
}

int bf_mx_policy_resolve(struct bf_mx *x)
{
	long id;
	int r = 0;

	if (!x->need_policy)
		return 0;
	if (bf_kbtf_enum_val("SKB_EXT_SEC_PATH", &id) || id < 0 || id > 7) {
		bf_err("kernel BTF: no SKB_EXT_SEC_PATH (a kernel without "
		       "CONFIG_XFRM and skb extensions)");
		return -ENOENT;
	}
	x->pol_sp_id = (int)id;
	x->off_skb_active_ext =
		bf_kbtf_member_off("sk_buff", "active_extensions");
	x->off_skb_extensions = bf_kbtf_member_off("sk_buff", "extensions");
	x->off_ext_offset = bf_kbtf_member_off("skb_ext", "offset");
	x->off_sp_len = bf_kbtf_member_off("sec_path", "len");
	x->off_sp_xvec = bf_kbtf_member_off("sec_path", "xvec");
	x->off_pol_refdst = bf_kbtf_member_off("sk_buff", "_skb_refdst");
	x->off_dst_xfrm = bf_kbtf_member_off("dst_entry", "xfrm");
	x->off_xdst_child = bf_kbtf_member_off("xfrm_dst", "child");
	x->off_x_daddr = bf_kbtf_path_off("xfrm_state", "id.daddr");
	x->off_x_spi = bf_kbtf_path_off("xfrm_state", "id.spi");
	x->off_x_proto = bf_kbtf_path_off("xfrm_state", "id.proto");
	x->off_x_saddr = bf_kbtf_path_off("xfrm_state", "props.saddr");
	x->off_x_reqid = bf_kbtf_path_off("xfrm_state", "props.reqid");
	x->off_x_mode = bf_kbtf_path_off("xfrm_state", "props.mode");
	const int *offs[] = { &x->off_skb_active_ext, &x->off_skb_extensions,
			      &x->off_ext_offset,     &x->off_sp_len,
			      &x->off_sp_xvec,	      &x->off_pol_refdst,
			      &x->off_dst_xfrm,	      &x->off_xdst_child,
			      &x->off_x_daddr,	      &x->off_x_spi,
			      &x->off_x_proto,	      &x->off_x_saddr,
			      &x->off_x_reqid,	      &x->off_x_mode };

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		r |= *offs[i] < 0;
	return r ? -ENOENT : 0;
}

/* xt_addr_cmp(): (state address ^ addr) & mask == 0 over the rule's
 * family's bytes; the state's address is at [S_ST] + off */
static void addr_test(struct bf_mx *x, struct bf_emit *e, int32_t off,
		      const uint8_t *addr, const uint8_t *mask, bool inv,
		      bf_label fail)
{
	int words = x->ct_family == BF_FAMILY_INET6 ? 4 : 1;
	struct bf_mx_test t = bf_mx_test_begin(e, inv);

	rd(e, S_ST, off, S_BUF, 4 * words, fail);
	bf_mx_emit_addr_words(e, S_BUF, addr, mask, words, t.out);
	bf_mx_test_end(e, t, fail);
}

/* an integer field of the state at [S_ST] + off equals v, xor inv */
static void int_test(struct bf_emit *e, int32_t off, int size, uint32_t v,
		     bool inv, bf_label fail)
{
	struct bf_mx_test t = bf_mx_test_begin(e, inv);

	rd(e, S_ST, off, S_BUF, size == BPF_W ? 4 : 1, fail);
	ldp(e, size, BF_R1, S_BUF);
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, (int32_t)v, t.out);
	bf_mx_test_end(e, t, fail);
}

/* match_xfrm_state(): the state at [S_ST] against element k; falls
 * through when it matches, else `fail`. An element without options
 * matches every state. */
static void state_test(struct bf_mx *x, struct bf_emit *e,
		       const struct bf_match *m, int k, bf_label fail)
{
	const typeof(m->u.policy.pol[0]) *el = &m->u.policy.pol[k];
	uint8_t mt = el->match, inv = el->invert;

	if (mt & BF_POLICY_E_SADDR)
		addr_test(x, e, x->off_x_saddr, el->saddr, el->smask,
			  inv & BF_POLICY_E_SADDR, fail);
	if (mt & BF_POLICY_E_DADDR)
		addr_test(x, e, x->off_x_daddr, el->daddr, el->dmask,
			  inv & BF_POLICY_E_DADDR, fail);
	if (mt & BF_POLICY_E_PROTO)
		int_test(e, x->off_x_proto, BPF_B, el->proto,
			 inv & BF_POLICY_E_PROTO, fail);
	if (mt & BF_POLICY_E_MODE)
		int_test(e, x->off_x_mode, BPF_B, el->mode,
			 inv & BF_POLICY_E_MODE, fail);
	/* x->id.spi is __be32 and the rule's spi a host number: the kernel
	 * compares the two as they lie in memory, and so do we */
	if (mt & BF_POLICY_E_SPI)
		int_test(e, x->off_x_spi, BPF_W, el->spi, inv & BF_POLICY_E_SPI,
			 fail);
	if (mt & BF_POLICY_E_REQID)
		int_test(e, x->off_x_reqid, BPF_W, el->reqid,
			 inv & BF_POLICY_E_REQID, fail);
}

/* S_ST = sec_path->xvec[i]; error to `bad` */
static void load_xvec(struct bf_mx *x, struct bf_emit *e, int i, bf_label bad)
{
	rd(e, S_PTR, x->off_sp_xvec + 8 * i, S_ST, 8, bad);
}

/* match_policy_in(), sec_path at [S_PTR], its len at S_LEN */
static void eval_in(struct bf_mx *x, struct bf_emit *e,
		    const struct bf_match *m, bf_label fail)
{
	const typeof(m->u.policy) *p = &m->u.policy;
	int len = p->len;

	ldp(e, BPF_W, BF_R1, S_LEN);
	if (p->flags & BF_POLICY_STRICT) {
		/* info->len == sp->len, then element k against the state
		 * xvec[len - 1 - k]: the walk from the last state to the
		 * first, with pos = sp->len - i - 1 (the kernel's order
		 * since commit 4b2b4d7d4e20, "xt_policy: fix strict mode
		 * inbound policy matching") */
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, len, fail);
		for (int k = 0; k < len; k++) {
			load_xvec(x, e, len - 1 - k, fail);
			state_test(x, e, m, k, fail);
		}
		return;
	}
	/* any state against element 0; none (or no element) is 0 */
	if (!len) {
		bf_emit_ja(e, fail);
		return;
	}
	{
		bf_label ok = bf_label_new(e);

		for (int i = 0; i < XFRM_MAX_DEPTH_; i++) {
			bf_label next = bf_label_new(e);

			ldp(e, BPF_W, BF_R1, S_LEN);
			bf_emit_jmp32_imm(e, BPF_JSLE, BF_R1, i, fail);
			load_xvec(x, e, i, next);
			state_test(x, e, m, 0, next);
			bf_emit_ja(e, ok);
			bf_label_bind(e, next);
		}
		bf_emit_ja(e, fail);
		bf_label_bind(e, ok);
	}
}

/* dst = ((struct xfrm_dst *)dst)->child at S_PTR, its xfrm at S_ST;
 * either NULL (or unreadable): `end` */
static void next_dst(struct bf_mx *x, struct bf_emit *e, bf_label end)
{
	rd(e, S_PTR, x->off_xdst_child, S_PTR, 8, end);
	ldp(e, BPF_DW, BF_R1, S_PTR);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, end);
	rd(e, S_PTR, x->off_dst_xfrm, S_ST, 8, end);
	ldp(e, BPF_DW, BF_R1, S_ST);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, end);
}

/* match_policy_out(), route at [S_PTR], its first state at [S_ST] */
static void eval_out(struct bf_mx *x, struct bf_emit *e,
		     const struct bf_match *m, bf_label fail)
{
	const typeof(m->u.policy) *p = &m->u.policy;
	int len = p->len;
	bf_label ok = bf_label_new(e);

	if (p->flags & BF_POLICY_STRICT) {
		/* state i against element i; more states than elements
		 * fails, and so do fewer (i == info->len at the end) */
		for (int i = 0; i < len; i++) {
			bf_label end = bf_label_new(e);
			bf_label more = bf_label_new(e);

			state_test(x, e, m, i, fail);
			next_dst(x, e, end);
			/* another state: element i + 1 tests it, and there
			 * is none after the last element */
			bf_emit_ja(e, i + 1 < len ? more : fail);
			/* the chain ended after i + 1 states */
			bf_label_bind(e, end);
			bf_emit_ja(e, i + 1 == len ? ok : fail);
			bf_label_bind(e, more);
		}
		if (!len)
			bf_emit_ja(e, fail);
		bf_label_bind(e, ok);
		return;
	}
	if (!len) {
		bf_emit_ja(e, fail);
		return;
	}
	for (int i = 0; i < XFRM_MAX_DEPTH_; i++) {
		bf_label next = bf_label_new(e);

		state_test(x, e, m, 0, next);
		bf_emit_ja(e, ok);
		bf_label_bind(e, next);
		next_dst(x, e, fail);
	}
	bf_emit_ja(e, fail);
	bf_label_bind(e, ok);
}

void bf_mx_policy_eval(struct bf_mx *x, struct bf_emit *e,
		       const struct bf_match *m, bf_label fail)
{
	const typeof(m->u.policy) *p = &m->u.policy;
	bf_label none = bf_label_new(e), ok = bf_label_new(e);

	if (p->flags & BF_POLICY_IN) {
		/* skb_sec_path(): skb_ext_find(skb, SKB_EXT_SEC_PATH) */
		bf_emit(e, I_LDX(BPF_B, BF_R1, BF_R7,
				 (int16_t)x->off_skb_active_ext));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 1 << x->pol_sp_id));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, none);
		bf_emit(e, I_MOV64_REG(BF_R3, BF_R7));
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, x->off_skb_extensions));
		probe(e, S_PTR, 8, none);
		ldp(e, BPF_DW, BF_R1, S_PTR);
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, none);
		rd(e, S_PTR, x->off_ext_offset + x->pol_sp_id, S_BUF, 1, none);
		ldp(e, BPF_B, BF_R1, S_BUF);
		bf_emit(e, I_ALU64_IMM(BPF_LSH, BF_R1, 3));
		ldp(e, BPF_DW, BF_R3, S_PTR);
		bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
		bf_emit(e, I_STX(BPF_DW, BF_R9, BF_R3, S_PTR));
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, x->off_sp_len));
		probe(e, S_LEN, 4, none);
	} else {
		/* skb_dst(skb)->xfrm */
		bf_emit(e, I_LDX(BPF_DW, BF_R3, BF_R7,
				 (int16_t)x->off_pol_refdst));
		bf_emit(e, I_ALU64_IMM(BPF_AND, BF_R3, -2));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, none);
		bf_emit(e, I_STX(BPF_DW, BF_R9, BF_R3, S_PTR));
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, x->off_dst_xfrm));
		probe(e, S_ST, 8, none);
		ldp(e, BPF_DW, BF_R1, S_ST);
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, none);
	}
	/* IPsec state present: --pol none fails */
	if (p->flags & BF_POLICY_NONE)
		bf_emit_ja(e, fail);
	else if (p->flags & BF_POLICY_IN)
		eval_in(x, e, m, fail);
	else
		eval_out(x, e, m, fail);
	bf_emit_ja(e, ok);
	bf_label_bind(e, none);
	if (!(p->flags & BF_POLICY_NONE))
		bf_emit_ja(e, fail);
	bf_label_bind(e, ok);
}
