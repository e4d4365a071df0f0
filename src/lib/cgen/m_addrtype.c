// SPDX-License-Identifier: GPL-2.0-only
/*
 * The addrtype match (addrtype_mt_v1() in net/netfilter/xt_addrtype.c).
 *
 * IPv4: inet_dev_addr_type() of the destination is the type of the route
 * the kernel chose for the packet (rtable.rt_type, read by the netfilter
 * prologue): both come from the same FIB lookup (table local first, then
 * the others), so RTN_LOCAL, RTN_BROADCAST, RTN_MULTICAST and
 * RTN_UNICAST agree; doc/hooks.md lists the corner cases. A list of
 * MULTICAST alone is the address's own property (any side, any hook,
 * --limit-iface-* included). Other source types and --limit-iface-* need
 * lookups the packet does not carry and are refused (bf_mx_scan()).
 *
 * IPv6: match_type6() tests MULTICAST, UNICAST and UNSPEC against
 * ipv6_addr_type() of the address, which depends on the address alone;
 * LOCAL, ANYCAST and UNREACHABLE of the destination at nf INPUT come from
 * the flags of the packet's route (see bf_mx_nf_meta()).
 */
#include "cgen/mext.h"
#include "cgen/pctx.h"

#define T_UNSPEC (1u << 0)
#define T_UNICAST (1u << 1)
#define T_MULTICAST (1u << 5)
/* LOCAL, ANYCAST, UNREACHABLE: from the route (match_lookup_rt6()) */
#define T_ROUTE ((1u << 2) | (1u << 4) | (1u << 7))

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

/* match_type6(): every type asked for must hold (jump to `no` if not). */
static void type6(struct bf_emit *e, int16_t off, uint16_t mask, bf_label no)
{
	if (mask & T_MULTICAST) {
		/* ff00::/8 */
		ldp(e, BPF_B, BF_R1, off);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0xff, no);
	}
	if (mask & T_UNICAST) {
		/* __ipv6_addr_type(): everything but multicast, :: (ANY)
		 * and ::ffff:0:0/96 (MAPPED) has IPV6_ADDR_UNICAST */
		bf_label uni = bf_label_new(e);

		ldp(e, BPF_B, BF_R1, off);
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0xff, no);
		ldp(e, BPF_W, BF_R1, off);
		ldp(e, BPF_W, BF_R2, (int16_t)(off + 4));
		bf_emit(e, I_ALU32_REG(BPF_OR, BF_R1, BF_R2));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, uni);
		ldp(e, BPF_W, BF_R1, (int16_t)(off + 8));
		/* bytes 00 00 ff ff, loaded little endian */
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, (int32_t)0xffff0000u, no);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, uni);
		ldp(e, BPF_W, BF_R1, (int16_t)(off + 12));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, no);
		bf_label_bind(e, uni);
	}
	if (mask & T_UNSPEC) {
		/* IPV6_ADDR_ANY: :: */
		for (int i = 0; i < 4; i++) {
			ldp(e, BPF_W, BF_R1, (int16_t)(off + 4 * i));
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, no);
		}
	}
	if (mask & T_ROUTE) {
		/* !!(mask & match_lookup_rt6()): the route's bits, kept in
		 * pctx.rt_type by the prologue (destination, nf INPUT) */
		ldp(e, BPF_B, BF_R1, PCTX_OFF(rt_type));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, mask & T_ROUTE));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, no);
	}
}

/* IPv4, a type list of MULTICAST alone: ipv4_is_multicast() (224/4),
 * xor the side's inversion. */
static void side4_mc(struct bf_emit *e, int16_t off, bool inv, bf_label fail)
{
	ldp(e, BPF_B, BF_R1, off);
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 0xf0));
	bf_emit_jmp32_imm(e, inv ? BPF_JEQ : BPF_JNE, BF_R1, 0xe0, fail);
}

/* One side: its type test, xor the side's inversion. */
static void side6(struct bf_emit *e, int16_t off, uint16_t mask, bool inv,
		  bf_label fail)
{
	bf_label no = bf_label_new(e), done = bf_label_new(e);

	type6(e, off, mask, no);
	if (inv)
		bf_emit_ja(e, fail);
	else
		bf_emit_ja(e, done);
	bf_label_bind(e, no);
	if (!inv)
		bf_emit_ja(e, fail);
	bf_label_bind(e, done);
}

void bf_mx_emit_addrtype(struct bf_mx *x, struct bf_emit *e,
			 const struct bf_rule *r, const struct bf_match *m,
			 bf_label fail)
{
	const typeof(m->u.addrtype) *at = &m->u.addrtype;

	(void)x;
	if (r->family == BF_FAMILY_INET6) {
		if (at->source)
			side6(e, PCTX_OFF(saddr), at->source,
			      at->flags & BF_ADDRTYPE_INVERT_SOURCE, fail);
		if (at->dest)
			side6(e, PCTX_OFF(daddr), at->dest,
			      at->flags & BF_ADDRTYPE_INVERT_DEST, fail);
		return;
	}
	if (at->source)
		side4_mc(e, PCTX_OFF(saddr),
			 at->flags & BF_ADDRTYPE_INVERT_SOURCE, fail);
	if (!at->dest)
		return;
	if (!(at->dest & ~T_MULTICAST)) {
		side4_mc(e, PCTX_OFF(daddr),
			 at->flags & BF_ADDRTYPE_INVERT_DEST, fail);
		return;
	}
	/* match_type(): !!(mask & (1 << type)), xor invert; no route
	 * (rt_type 0xff) never matches */
	ldp(e, BPF_B, BF_R1, PCTX_OFF(rt_type));
	bf_emit(e, I_MOV32_IMM(BF_R2, at->dest));
	bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, 15, fail);
	bf_emit(e, I_ALU32_REG(BPF_RSH, BF_R2, BF_R1));
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R2, 1));
	bf_emit_jmp32_imm(
		e, at->flags & BF_ADDRTYPE_INVERT_DEST ? BPF_JNE : BPF_JEQ,
		BF_R2, 0, fail);
}
