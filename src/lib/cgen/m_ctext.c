// SPDX-License-Identifier: GPL-2.0-only
/*
 * Matches on the extensions of the packet's conntrack entry, at the
 * netfilter hooks: the helper match (helper_mt() in
 * net/netfilter/xt_helper.c) and the connbytes match (connbytes_mt() in
 * net/netfilter/xt_connbytes.c).
 *
 * Like the conntrack match (m_conntrack.c), each distinct match is
 * evaluated once per packet by the netfilter prologue, which has put the
 * entry's address (nf_ct_get()) at S_CT, and sets the match's bit of
 * pctx.ct_bits with its result, inversion included; the match in a chain
 * tests the bit.
 *
 * nfct_help(ct) is nf_ct_ext_find(ct, NF_CT_EXT_HELPER): ct->ext, and
 * ext->offset[NF_CT_EXT_HELPER] when non-zero (this kernel's struct
 * nf_ct_ext has no gen_id to compare). Kernel memory is read with
 * bpf_probe_read_kernel(); offsets and the extension id come from the
 * kernel BTF.
 */
#include <errno.h>
#include <string.h>

#include "bpfilter/log.h"
#include "cgen/mext.h"
#include "cgen/pctx.h"
#include "kbtf/kbtf.h"

/* scratch: S_BUF reads (16 bytes), S_PTR / S_ST pointers, S_CT the entry
 * (m_conntrack.c's) */
#define S_BUF ((int16_t)PCTX_OFF(scratch))
#define S_PTR ((int16_t)(PCTX_OFF(scratch) + 16))
#define S_ST ((int16_t)(PCTX_OFF(scratch) + 24))
#define S_CT ((int16_t)(PCTX_OFF(scratch) + 40))

#define HELPER_NAME_LEN 16 /* NF_CT_HELPER_NAME_LEN */

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

/* read `size` bytes at [slot] + add into `dst`; error to `bad` */
static void rd(struct bf_emit *e, int16_t slot, int32_t add, int16_t dst,
	       int size, bf_label bad)
{
	ldp(e, BPF_DW, BF_R3, slot);
	if (add)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, add));
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, dst));
	bf_emit(e, I_MOV64_IMM(BF_R2, size));
	bf_emit(e, I_HELPER(BPF_FUNC_probe_read_kernel));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

/* rd() of a pointer into `dst`, then NULL goes to `bad` too */
static void rd_ptr(struct bf_emit *e, int16_t slot, int32_t add, int16_t dst,
		   bf_label bad)
{
	rd(e, slot, add, dst, 8, bad);
	ldp(e, BPF_DW, BF_R1, dst);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, bad);
}

bool bf_mx_ext_same(const struct bf_match *a, const struct bf_match *b)
{
	if (a->type != b->type || a->neg != b->neg)
		return false;
	switch (a->type) {
	case BF_MATCH_POLICY:
		return !memcmp(&a->u.policy, &b->u.policy, sizeof(a->u.policy));
	case BF_MATCH_HELPER:
		return a->u.helper.nft == b->u.helper.nft &&
		       !strncmp(a->u.helper.name, b->u.helper.name,
				sizeof(a->u.helper.name));
	case BF_MATCH_CONNBYTES:
		return a->u.connbytes.from == b->u.connbytes.from &&
		       a->u.connbytes.to == b->u.connbytes.to &&
		       a->u.connbytes.what == b->u.connbytes.what &&
		       a->u.connbytes.dir == b->u.connbytes.dir;
	default:
		return false;
	}
}

const char *bf_mx_ctext_scan(struct bf_mx *x, const struct bf_rule *r,
			     const struct bf_match *m)
{
	if (x->attach != BF_ATTACH_NF)
		return "the conntrack entry of a packet is read at netfilter "
		       "hooks only (conntrack has not seen it yet at tc and "
		       "xdp); use --hook nf";
	x->need_ctext = true;
	(void)m;
	return bf_mx_ct_scan(x, r, m);
}

int bf_mx_ctext_resolve(struct bf_mx *x)
{
	long id;

	if (!x->need_ctext)
		return 0;
	if (bf_kbtf_enum_val("NF_CT_EXT_HELPER", &id) || id < 0 || id > 31)
		return -ENOENT;
	x->ctx_helper_id = (int)id;
	if (bf_kbtf_enum_val("NF_CT_EXT_ACCT", &id) || id < 0 || id > 31)
		return -ENOENT;
	x->ctx_acct_id = (int)id;
	x->off_acct_counter = bf_kbtf_member_off("nf_conn_acct", "counter");
	x->off_cnt_packets = bf_kbtf_member_off("nf_conn_counter", "packets");
	x->off_cnt_bytes = bf_kbtf_member_off("nf_conn_counter", "bytes");
	if (x->off_acct_counter < 0 || x->off_cnt_packets < 0 ||
	    x->off_cnt_bytes < 0)
		return -ENOENT;
	/* sizeof(struct nf_conn_counter): two atomic64_t, counter[1]
	 * (the reply direction) follows counter[0] */
	x->cnt_size = 2 * (x->off_cnt_bytes > x->off_cnt_packets ?
				   x->off_cnt_bytes :
				   x->off_cnt_packets);
	if (x->cnt_size != 16)
		return -ENOENT;
	x->off_ct_master = bf_kbtf_member_off("nf_conn", "master");
	x->off_ct_ext = bf_kbtf_member_off("nf_conn", "ext");
	x->off_ctext_offset = bf_kbtf_member_off("nf_ct_ext", "offset");
	x->off_help_helper = bf_kbtf_member_off("nf_conn_help", "helper");
	x->off_helper_name = bf_kbtf_member_off("nf_conntrack_helper", "name");
	if (x->off_ct_master < 0 || x->off_ct_ext < 0 ||
	    x->off_ctext_offset < 0 || x->off_help_helper < 0 ||
	    x->off_helper_name < 0)
		return -ENOENT;
	return 0;
}

/* helper_mt(): ret = invert; no entry, no master, no helper extension on
 * the master or no helper: ret; else an empty name flips ret, and a name
 * flips it when its first strlen(helper->name) bytes are the helper's
 * name (strncmp()). The bit is the result. */
static void eval_helper(struct bf_mx *x, struct bf_emit *e,
			const struct bf_match *m, bf_label fail)
{
	const char *name = m->u.helper.name;
	bf_label none = bf_label_new(e), found = bf_label_new(e);
	bf_label ok = bf_label_new(e);

	/* master = ct->master */
	ldp(e, BPF_DW, BF_R1, S_CT);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, none);
	rd_ptr(e, S_CT, x->off_ct_master, S_PTR, none);
	/* help = nfct_help(master) */
	rd_ptr(e, S_PTR, x->off_ct_ext, S_ST, none);
	rd(e, S_ST, x->off_ctext_offset + x->ctx_helper_id, S_BUF, 1, none);
	ldp(e, BPF_B, BF_R1, S_BUF);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, none);
	ldp(e, BPF_DW, BF_R3, S_ST);
	bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
	bf_emit(e, I_STX(BPF_DW, BF_R9, BF_R3, S_ST));
	/* helper = help->helper */
	rd_ptr(e, S_ST, x->off_help_helper, S_PTR, none);
	if (m->u.helper.nft) {
		/* nft: the 16 bytes strscpy_pad() copies, compared with the
		 * name padded with zeros; no helper: NFT_BREAK, the bit
		 * stays clear whatever `neg` */
		bf_label eq = bf_label_new(e), ne = bf_label_new(e);

		rd(e, S_PTR, x->off_helper_name, S_BUF, HELPER_NAME_LEN, fail);
		for (int i = 0; i < HELPER_NAME_LEN; i += 4) {
			uint32_t w = 0;

			for (int k = 0; k < 4 && i + k < 30; k++)
				w |= (uint32_t)(uint8_t)name[i + k] << (8 * k);
			ldp(e, BPF_W, BF_R1, (int16_t)(S_BUF + i));
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, (int32_t)w, ne);
		}
		bf_emit_ja(e, eq);
		bf_label_bind(e, ne);
		bf_emit_ja(e, m->neg ? ok : fail);
		bf_label_bind(e, eq);
		bf_emit_ja(e, m->neg ? fail : ok);
		bf_label_bind(e, none);
		bf_emit_ja(e, fail);
		bf_label_bind(e, found);
		bf_label_bind(e, ok);
		return;
	}
	if (!name[0]) {
		bf_emit_ja(e, found);
	} else {
		bf_label differ = bf_label_new(e);

		rd(e, S_PTR, x->off_helper_name, S_BUF, HELPER_NAME_LEN, none);
		for (int i = 0; i < HELPER_NAME_LEN; i++) {
			ldp(e, BPF_B, BF_R1, (int16_t)(S_BUF + i));
			/* the helper's name ended: equal so far */
			bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, found);
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R1,
					  (uint8_t)(i < 30 ? name[i] : 0),
					  differ);
			if (i < 29 && !name[i])
				break;
		}
		/* 16 bytes without NUL cannot be: NF_CT_HELPER_NAME_LEN
		 * names end within it */
		bf_label_bind(e, differ);
		bf_emit_ja(e, none);
	}
	bf_label_bind(e, found);
	/* !ret */
	bf_emit_ja(e, m->neg ? fail : ok);
	bf_label_bind(e, none);
	/* ret */
	bf_emit_ja(e, m->neg ? ok : fail);
	bf_label_bind(e, ok);
}

/* nf_ct_ext_find(ct, id) of the entry at S_CT into S_ST; none: `none` */
static void ct_ext(struct bf_mx *x, struct bf_emit *e, int id, bf_label none)
{
	ldp(e, BPF_DW, BF_R1, S_CT);
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, none);
	rd_ptr(e, S_CT, x->off_ct_ext, S_ST, none);
	rd(e, S_ST, x->off_ctext_offset + id, S_BUF, 1, none);
	ldp(e, BPF_B, BF_R1, S_BUF);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, none);
	ldp(e, BPF_DW, BF_R3, S_ST);
	bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
	bf_emit(e, I_STX(BPF_DW, BF_R9, BF_R3, S_ST));
}

/* connbytes_mt(): no entry or no accounting extension: false. The
 * counters are read at once into S_BUF (orig packets, orig bytes, reply
 * packets, reply bytes: the kernel's atomic64_read()s, one by one too). */
static void eval_connbytes(struct bf_mx *x, struct bf_emit *e,
			   const struct bf_match *m, bf_label fail)
{
	const typeof(m->u.connbytes) *cb = &m->u.connbytes;
	int dir = cb->dir;
	int16_t pk = (int16_t)(S_BUF + x->off_cnt_packets);
	int16_t by = (int16_t)(S_BUF + x->off_cnt_bytes);
	int16_t rpk = (int16_t)(pk + x->cnt_size);
	int16_t rby = (int16_t)(by + x->cnt_size);
	bf_label in = bf_label_new(e);

	ct_ext(x, e, x->ctx_acct_id, fail);
	/* both directions' counters: 32 bytes (2 x {packets, bytes}),
	 * over S_PTR and S_ST (done with) */
	rd(e, S_ST, x->off_acct_counter, S_BUF, 2 * x->cnt_size, fail);
	if (dir == BF_CONNBYTES_DIR_REPLY) {
		pk = rpk;
		by = rby;
	}
	switch (cb->what) {
	case BF_CONNBYTES_PKTS:
	case BF_CONNBYTES_BYTES: {
		int16_t o = cb->what == BF_CONNBYTES_PKTS ? pk : by;

		ldp(e, BPF_DW, BF_R4, o);
		if (dir == BF_CONNBYTES_DIR_BOTH) {
			ldp(e, BPF_DW, BF_R1,
			    cb->what == BF_CONNBYTES_PKTS ? rpk : rby);
			bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R4, BF_R1));
		}
		break;
	}
	default: {
		/* avgpkt: bytes / packets, 0 without packets */
		bf_label zero = bf_label_new(e), done = bf_label_new(e);

		ldp(e, BPF_DW, BF_R4, by);
		ldp(e, BPF_DW, BF_R2, pk);
		if (dir == BF_CONNBYTES_DIR_BOTH) {
			ldp(e, BPF_DW, BF_R1, rby);
			bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R4, BF_R1));
			ldp(e, BPF_DW, BF_R1, rpk);
			bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R2, BF_R1));
		}
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R2, 0, zero);
		bf_emit(e, I_ALU64_REG(BPF_DIV, BF_R4, BF_R2));
		bf_emit_ja(e, done);
		bf_label_bind(e, zero);
		bf_emit(e, I_MOV64_IMM(BF_R4, 0));
		bf_label_bind(e, done);
		break;
	}
	}
	/* r4 = what; 64-bit bounds in r1 */
	bf_emit_ld_imm64(e, BF_R1, cb->to);
	bf_emit_ld_imm64(e, BF_R2, cb->from);
	if (cb->to >= cb->from) {
		/* from <= what <= to */
		bf_emit_jmp_reg(e, BPF_JGT, BF_R4, BF_R1, fail);
		bf_emit_jmp_reg(e, BPF_JLT, BF_R4, BF_R2, fail);
	} else {
		/* what < to || what > from */
		bf_emit_jmp_reg(e, BPF_JLT, BF_R4, BF_R1, in);
		bf_emit_jmp_reg(e, BPF_JGT, BF_R4, BF_R2, in);
		bf_emit_ja(e, fail);
	}
	bf_label_bind(e, in);
}

void bf_mx_ctext_eval(struct bf_mx *x, struct bf_emit *e,
		      const struct bf_match *m, bf_label fail)
{
	switch (m->type) {
	case BF_MATCH_HELPER:
		eval_helper(x, e, m, fail);
		return;
	case BF_MATCH_CONNBYTES:
		eval_connbytes(x, e, m, fail);
		return;
	default:
		bf_emit_fail(e, -EINVAL);
		return;
	}
}
