// SPDX-License-Identifier: GPL-2.0-only
/*
 * REJECT at tc and XDP: the packet becomes the reply the kernel's REJECT
 * target would send, and goes back where it came from.
 *
 * The kernel (ipt_REJECT.c / ip6t_REJECT.c) sends either an ICMP / ICMPv6
 * destination-unreachable error through icmp_send() / icmp6_send()
 * (nf_send_unreach(), nf_send_unreach6()) or a TCP reset built by
 * nf_send_reset() / nf_send_reset6() (net/ipv4/netfilter/nf_reject_ipv4.c,
 * net/ipv6/netfilter/nf_reject_ipv6.c), and drops the packet. We build the
 * same reply in a per-CPU buffer (Ethernet addresses swapped, IP addresses
 * swapped, the error quoting as much of the packet as the kernel quotes:
 * 576 bytes of IPv4 error at most, 1280 bytes of IPv6), then resize the
 * packet to it and overwrite it:
 *  - tc ingress: bpf_redirect() out of the interface it came in on;
 *  - tc egress: bpf_redirect(lo, BPF_F_INGRESS): the reply enters the
 *    stack of this host through lo, as the kernel's reply to a local
 *    packet does;
 *  - XDP: XDP_TX.
 * The conditions under which the kernel sends nothing (the packet is only
 * dropped) are tested first, checksum verification included (a bpf_loop()
 * callback sums the transport segment); see doc/hooks.md for the list and
 * for what differs (IP ID, IPv6 flow label, rate limits, echoed IP
 * options).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "cgen/pctx.h"
#include "cgen/targets.h"
#include "compat.h"
#include "kbtf/kbtf.h"

/* Layout of the reply buffer. */
#define B_L3 14
#define B_L4_4 34 /* after a 20-byte IPv4 header */
#define B_L4_6 54 /* after the 40-byte IPv6 header */
#define B_QUOTE_4 (B_L4_4 + 8)
#define B_QUOTE_6 (B_L4_6 + 8)
#define QMAX_4 (576 - 20 - 8) /* icmp_send(): room within 576 bytes */
#define QMAX_6 (1280 - 40 - 8) /* icmp6_send(): IPV6_MIN_MTU */
#define B_PSEUDO 1304 /* 8 bytes: pseudo-header length and protocol */
#define B_TCP 1312 /* 20 bytes: the packet's TCP header */
_Static_assert(B_QUOTE_6 + QMAX_6 + 4 <= B_PSEUDO &&
		       B_TCP + 20 <= BF_REJECT_BUF,
	       "reject buffer layout");

/* bpf_csum_diff() is given at most this many bytes per call (older
 * kernels refuse more than 512). */
#define CSUM_CHUNK 512

/* Stack slots of the main function (in the packet context's scratch
 * bytes, unused once the chains have run). */
#define S_Q (STK_BUF) /* quoted bytes */
#define S_SEED (STK_BUF + 8) /* running checksum */
#define S_N (STK_BUF + 16) /* bytes left to checksum */
#define S_OFF (STK_BUF + 24) /* checksum verification: packet offset */
#define S_CH (STK_BUF + 32) /* its chunk */
#define S_I (STK_BUF + 40) /* its iteration */
/* Checksum verification reads the packet in chunks into the buffer's
 * start (before the reply is built there). */
#define B_SCR 0
/* A 16-bit one's complement sum of at most 64 KiB in CSUM_CHUNK bytes */

#define E(insn) bf_emit(e, insn)

static void pld(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	E(I_LDX(size, dst, BF_R9, off));
}

int32_t bf_cgen_reject_rc(const struct bf_rule *rule)
{
	/* ICMP codes of ipt_REJECT (reject_tg()) and ip6t_REJECT
	 * (reject_tg6()) */
	static const int8_t code[BF_REJECT_COUNT] = {
		[BF_REJECT_ICMP_NET_UNREACHABLE] = 0,
		[BF_REJECT_ICMP_HOST_UNREACHABLE] = 1,
		[BF_REJECT_ICMP_PORT_UNREACHABLE] = 3,
		[BF_REJECT_ICMP_PROTO_UNREACHABLE] = 2,
		[BF_REJECT_ICMP_NET_PROHIBITED] = 9,
		[BF_REJECT_ICMP_HOST_PROHIBITED] = 10,
		[BF_REJECT_ICMP_ADMIN_PROHIBITED] = 13,
		[BF_REJECT_TCP_RESET] = -1,
		[BF_REJECT_ICMP6_NO_ROUTE] = 0,
		[BF_REJECT_ICMP6_ADM_PROHIBITED] = 1,
		[BF_REJECT_ICMP6_ADDR_UNREACHABLE] = 3,
		[BF_REJECT_ICMP6_PORT_UNREACHABLE] = 4,
		[BF_REJECT_ICMP6_POLICY_FAIL] = 5,
		[BF_REJECT_ICMP6_REJECT_ROUTE] = 6,
	};
	enum bf_reject_with w = rule->verdict.u.reject.with;

	if ((unsigned)w >= BF_REJECT_COUNT || code[w] < 0)
		return BF_RC_REJECT_RST;
	return BF_RC_REJECT_ICMP | code[w];
}

/* r0 (a 32-bit sum as bpf_csum_diff() returns it) folded to 16 bits
 * (csum_fold() without the complement); clobbers r1. */
static void fold16(struct bf_emit *e)
{
	E(I_MOV32_REG(BF_R0, BF_R0));
	for (int i = 0; i < 2; i++) {
		E(I_MOV64_REG(BF_R1, BF_R0));
		E(I_ALU64_IMM(BPF_AND, BF_R1, 0xffff));
		E(I_ALU64_IMM(BPF_RSH, BF_R0, 16));
		E(I_ALU64_REG(BPF_ADD, BF_R0, BF_R1));
	}
}

/* r0 (a checksum as bpf_csum_diff() returns it) -> the folded,
 * complemented 16-bit checksum, stored at buffer offset off. */
static void fold_store(struct bf_emit *e, int16_t off)
{
	fold16(e);
	E(I_ALU64_IMM(BPF_XOR, BF_R0, 0xffff));
	E(I_ALU64_IMM(BPF_AND, BF_R0, 0xffff));
	E(I_STX(BPF_H, BF_R8, BF_R0, off));
}

/* r0 = bpf_csum_diff(NULL, 0, base + off, len, seed in S_SEED); kept in
 * S_SEED. */
static void csum_at(struct bf_emit *e, uint8_t base, int16_t off, int32_t len)
{
	E(I_MOV64_IMM(BF_R1, 0));
	E(I_MOV64_IMM(BF_R2, 0));
	E(I_MOV64_REG(BF_R3, base));
	E(I_ALU64_IMM(BPF_ADD, BF_R3, off));
	E(I_MOV64_IMM(BF_R4, len));
	E(I_LDX(BPF_DW, BF_R5, BF_FP, S_SEED));
	E(I_HELPER(BPF_FUNC_csum_diff));
	E(I_STX(BPF_DW, BF_FP, BF_R0, S_SEED));
}

/* The same over buffer bytes (r8 + off). */
static void csum_fixed(struct bf_emit *e, int16_t off, int32_t len)
{
	csum_at(e, BF_R8, off, len);
}

/* Add the S_N bytes (a multiple of 4, at most nmax) from buffer offset
 * off to the checksum in S_SEED, in chunks bpf_csum_diff() takes. */
static void csum_var(struct bf_emit *e, int32_t off, int32_t nmax)
{
	bf_label done = bf_label_new(e);

	for (int32_t k = 0; k * CSUM_CHUNK < nmax; k++) {
		int32_t max = nmax - k * CSUM_CHUNK;
		bf_label take = bf_label_new(e);

		if (max > CSUM_CHUNK)
			max = CSUM_CHUNK;
		E(I_LDX(BPF_DW, BF_R4, BF_FP, S_N));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R4, 0, done);
		/* the bytes left never exceed max: the clamp only gives the
		 * verifier the bound */
		bf_emit_jmp_imm(e, BPF_JLE, BF_R4, max, take);
		E(I_MOV64_IMM(BF_R4, max));
		bf_label_bind(e, take);
		E(I_LDX(BPF_DW, BF_R1, BF_FP, S_N));
		E(I_ALU64_REG(BPF_SUB, BF_R1, BF_R4));
		E(I_STX(BPF_DW, BF_FP, BF_R1, S_N));
		E(I_MOV64_IMM(BF_R1, 0));
		E(I_MOV64_IMM(BF_R2, 0));
		E(I_MOV64_REG(BF_R3, BF_R8));
		E(I_ALU64_IMM(BPF_ADD, BF_R3, off + k * CSUM_CHUNK));
		E(I_LDX(BPF_DW, BF_R5, BF_FP, S_SEED));
		E(I_HELPER(BPF_FUNC_csum_diff));
		E(I_STX(BPF_DW, BF_FP, BF_R0, S_SEED));
	}
	bf_label_bind(e, done);
}

/* bpf_dynptr_read(buf + off, len (register or imm), dynptr, r4, 0):
 * r4 is set by the caller; fails to `fail`. */
static void dyn_read(struct bf_emit *e, int16_t off, int32_t len, bool len_r2,
		     bf_label fail)
{
	E(I_MOV64_REG(BF_R1, BF_R8));
	E(I_ALU64_IMM(BPF_ADD, BF_R1, off));
	if (!len_r2)
		E(I_MOV64_IMM(BF_R2, len));
	E(I_MOV64_REG(BF_R3, BF_FP));
	E(I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	E(I_MOV64_IMM(BF_R5, 0));
	E(I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
}

/* r8 = the per-CPU reply buffer, or go to fail. */
static void get_buf(struct bf_emit *e, bf_label fail)
{
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_REJBUF, 0);
	E(I_MOV64_REG(BF_R2, BF_R9));
	E(I_ALU64_IMM(BPF_ADD, BF_R2, PCTX_OFF(pad))); /* always 0 */
	E(I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R0, 0, fail);
	E(I_MOV64_REG(BF_R8, BF_R0));
}

/* The frame's Ethernet header, source and destination swapped: the
 * reply goes to whoever sent the packet (the kernel's reply is routed
 * there and the neighbour is that same host). At egress the reply is
 * delivered through the loopback device, as the kernel's reply to a
 * packet of this host is: addresses 0, lo's. */
static void eth_swap(struct bf_emit *e, const struct bf_reject_env *env,
		     bf_label fail)
{
	E(I_MOV64_IMM(BF_R4, env->l3off - 14));
	dyn_read(e, 0, 14, false, fail);
	if (env->hook == BF_HOOK_OUTPUT) {
		E(I_ST(BPF_DW, BF_R8, 0, 0));
		E(I_ST(BPF_W, BF_R8, 8, 0));
		return;
	}
	E(I_LDX(BPF_W, BF_R1, BF_R8, 0));
	E(I_LDX(BPF_H, BF_R2, BF_R8, 4));
	E(I_LDX(BPF_W, BF_R3, BF_R8, 6));
	E(I_LDX(BPF_H, BF_R4, BF_R8, 10));
	E(I_STX(BPF_W, BF_R8, BF_R3, 0));
	E(I_STX(BPF_H, BF_R8, BF_R4, 4));
	E(I_STX(BPF_W, BF_R8, BF_R1, 6));
	E(I_STX(BPF_H, BF_R8, BF_R2, 10));
}

/* Copy 16 bytes (an IPv6 address) from the packet context to the
 * buffer. */
static void copy_addr6(struct bf_emit *e, int16_t from, int16_t to)
{
	for (int i = 0; i < 2; i++) {
		pld(e, BPF_DW, BF_R1, (int16_t)(from + 8 * i));
		E(I_STX(BPF_DW, BF_R8, BF_R1, (int16_t)(to + 8 * i)));
	}
}

/* Resize the packet to r7 bytes, write the buffer over it and send it
 * back. At XDP, a reply longer than the frame (an ICMP error: `grow`
 * header bytes more, and at most that) takes the room from the
 * headroom, which XDP guarantees, rather than from the tailroom, which
 * a frame built from a small skb may not have. */
static void send_reply(struct bf_emit *e, const struct bf_reject_env *env,
		       int kf_size, int32_t grow, bf_label fail)
{
	if (env->attach == BF_ATTACH_XDP) {
		/* tail delta = r7 - (frame length + grow) */
		E(I_MOV64_REG(BF_R1, BF_FP));
		E(I_ALU64_IMM(BPF_ADD, BF_R1, STK_DYNPTR));
		E(I_KFUNC(kf_size));
		E(I_MOV64_REG(BF_R2, BF_R7));
		E(I_ALU64_REG(BPF_SUB, BF_R2, BF_R0));
		if (grow) {
			E(I_ALU64_IMM(BPF_ADD, BF_R2, -grow));
			E(I_STX(BPF_DW, BF_FP, BF_R2, S_N));
			E(I_MOV64_REG(BF_R1, BF_R6));
			E(I_MOV64_IMM(BF_R2, -grow));
			E(I_HELPER(BPF_FUNC_xdp_adjust_head));
			bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
			E(I_LDX(BPF_DW, BF_R2, BF_FP, S_N));
		}
		E(I_MOV64_REG(BF_R1, BF_R6));
		E(I_HELPER(BPF_FUNC_xdp_adjust_tail));
		bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
		E(I_MOV64_REG(BF_R1, BF_R6));
		E(I_MOV64_IMM(BF_R2, 0));
		E(I_MOV64_REG(BF_R3, BF_R8));
		E(I_MOV64_REG(BF_R4, BF_R7));
		E(I_HELPER(BPF_FUNC_xdp_store_bytes));
		bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
		bf_emit_ret(e, XDP_TX);
		return;
	}
	E(I_MOV64_REG(BF_R1, BF_R6));
	E(I_MOV64_REG(BF_R2, BF_R7));
	E(I_MOV64_IMM(BF_R3, 0));
	E(I_HELPER(BPF_FUNC_skb_change_tail));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
	E(I_MOV64_REG(BF_R1, BF_R6));
	E(I_MOV64_IMM(BF_R2, 0));
	E(I_MOV64_REG(BF_R3, BF_R8));
	E(I_MOV64_REG(BF_R4, BF_R7));
	E(I_MOV64_IMM(BF_R5, 0));
	E(I_HELPER(BPF_FUNC_skb_store_bytes));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
	/* the kernel's replies carry mark 0 (fwmark_reflect off) */
	E(I_ST(BPF_W, BF_R6, (int16_t)offsetof(struct __sk_buff, mark), 0));
	if (env->hook == BF_HOOK_OUTPUT) {
		/* into this host through lo (ifindex 1 in every namespace):
		 * a reply from one of its own addresses arriving on the
		 * interface would be a martian */
		E(I_MOV64_IMM(BF_R1, 1));
		E(I_MOV64_IMM(BF_R2, BPF_F_INGRESS));
	} else {
		E(I_LDX(BPF_W, BF_R1, BF_R6,
			(int16_t)offsetof(struct __sk_buff, ifindex)));
		E(I_MOV64_IMM(BF_R2, 0));
	}
	E(I_HELPER(BPF_FUNC_redirect));
	E(I_EXIT());
}

/* icmp_send() / icmp6_send() answer only packets sent to this host
 * (skb->pkt_type PACKET_HOST) at ingress. */
static void require_l2_unicast(struct bf_emit *e,
			       const struct bf_reject_env *env, bf_label fail)
{
	if (env->hook == BF_HOOK_OUTPUT)
		return;
	if (env->attach == BF_ATTACH_TC) {
		E(I_LDX(BPF_W, BF_R1, BF_R6,
			(int16_t)offsetof(struct __sk_buff, pkt_type)));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0 /* PACKET_HOST */, fail);
		return;
	}
	/* XDP: the group bit of the destination MAC address */
	E(I_MOV64_REG(BF_R1, BF_FP));
	E(I_ALU64_IMM(BPF_ADD, BF_R1, S_SEED));
	E(I_MOV64_IMM(BF_R2, 1));
	E(I_MOV64_REG(BF_R3, BF_FP));
	E(I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	E(I_MOV64_IMM(BF_R4, env->l3off - 14));
	E(I_MOV64_IMM(BF_R5, 0));
	E(I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
	E(I_LDX(BPF_B, BF_R1, BF_FP, S_SEED));
	E(I_ALU64_IMM(BPF_AND, BF_R1, 1));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R1, 0, fail);
}

/* r0 (a sum from bpf_csum_diff()) folded to 16 bits; go to fail unless
 * it is 0xffff (the data, checksum included, sums to zero). */
static void fold_check(struct bf_emit *e, bf_label fail)
{
	fold16(e);
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0xffff, fail);
}

/* bpf_csum_diff(NULL, 0, r9 + off, len, S_SEED) into S_SEED: packet
 * context bytes (the addresses of the pseudo-header). */
static void csum_pctx(struct bf_emit *e, int16_t off, int32_t len)
{
	csum_at(e, BF_R9, off, len);
}

/*
 * The checksums the kernel verifies before it answers, or go to fail
 * (the packet is only dropped):
 *  - IPv4: the header checksum (ip_rcv_core() drops a packet with a bad
 *    one before any hook sees it);
 *  - the transport checksum, as nf_ip_checksum() / nf_ip6_checksum()
 *    verify it for nf_send_unreach() (unless nf_reject_verify_csum()
 *    exempts the protocol: GRE, AH, ESP, SCTP, UDP-Lite, DCCP, UDP
 *    without a checksum), nf_send_unreach6() (reject6_csum_ok()),
 *    nf_reject_ip_tcphdr_get() and nf_reject_ip6_tcphdr_get() (`rst`:
 *    TCP, always): the one's complement sum of the transport segment,
 *    with the pseudo-header for TCP and UDP (IPv4) or always (IPv6).
 * At tc a packet whose skb says CHECKSUM_UNNECESSARY (checked by the
 * device) or CHECKSUM_PARTIAL (sent by this host or a local peer, the sum
 * to be filled in by offload) is not verified, as skb_csum_unnecessary()
 * and nf_ip_checksum() do. XDP has no such state: every frame is
 * verified (doc/hooks.md).
 */
static void verify_csum(struct bf_emit *e, const struct bf_reject_env *env,
			bool v6, bool rst, bf_label fail)
{
	bf_label skip = bf_label_new(e);
	bf_label pseudo = bf_label_new(e), seeded = bf_label_new(e);

	if (!v6) {
		bf_label hok = bf_label_new(e);

		/* thoff = ihl * 4, 20..60 */
		pld(e, BPF_W, BF_R2, PCTX_OFF(thoff));
		bf_emit_jmp_imm(e, BPF_JGT, BF_R2, 60, fail);
		bf_emit_jmp_imm(e, BPF_JLT, BF_R2, 20, fail);
		E(I_MOV64_IMM(BF_R4, env->l3off));
		dyn_read(e, B_SCR, 0, true, fail);
		pld(e, BPF_W, BF_R4, PCTX_OFF(thoff));
		bf_emit_jmp_imm(e, BPF_JLE, BF_R4, 60, hok);
		E(I_MOV64_IMM(BF_R4, 60));
		bf_label_bind(e, hok);
		E(I_MOV64_IMM(BF_R1, 0));
		E(I_MOV64_IMM(BF_R2, 0));
		E(I_MOV64_REG(BF_R3, BF_R8));
		E(I_ALU64_IMM(BPF_ADD, BF_R3, B_SCR));
		E(I_MOV64_IMM(BF_R5, 0));
		E(I_HELPER(BPF_FUNC_csum_diff));
		fold_check(e, fail);
	}

	if (env->attach == BF_ATTACH_TC) {
		int kf = bf_kbtf_func_id("bpf_cast_to_kern_ctx");
		unsigned int bit = 0, bits = 0;

		if (kf < 0 ||
		    bf_kbtf_member_bits("sk_buff", "ip_summed", &bit, &bits)) {
			bf_err("REJECT: the kernel BTF lacks "
			       "bpf_cast_to_kern_ctx or sk_buff.ip_summed");
			bf_emit_fail(e, -ENOENT);
			return;
		}
		E(I_MOV64_REG(BF_R1, BF_R6));
		E(I_KFUNC(kf));
		E(I_LDX(BPF_B, BF_R1, BF_R0, (int16_t)(bit / 8)));
		if (bit % 8)
			E(I_ALU32_IMM(BPF_RSH, BF_R1, (int32_t)(bit % 8)));
		E(I_ALU32_IMM(BPF_AND, BF_R1, 3));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 1 /* UNNECESSARY */, skip);
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 3 /* PARTIAL */, skip);
	}
	pld(e, BPF_B, BF_R2, PCTX_OFF(l4proto));
	if (!rst) {
		static const int exempt[] = { 47, 51, 50, 132, 136, 33 };
		bf_label verify = bf_label_new(e);

		for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++)
			bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, exempt[i], skip);
		/* UDP without a checksum (when its header can be read) */
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 17, verify);
		E(I_ST(BPF_DW, BF_FP, S_CH, 0));
		E(I_MOV64_REG(BF_R1, BF_FP));
		E(I_ALU64_IMM(BPF_ADD, BF_R1, S_CH));
		E(I_MOV64_IMM(BF_R2, 2));
		E(I_MOV64_REG(BF_R3, BF_FP));
		E(I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
		pld(e, BPF_W, BF_R4, PCTX_OFF(thoff));
		E(I_ALU64_IMM(BPF_ADD, BF_R4, env->l3off + 6));
		E(I_MOV64_IMM(BF_R5, 0));
		E(I_HELPER(BPF_FUNC_dynptr_read));
		bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, verify);
		E(I_LDX(BPF_DW, BF_R1, BF_FP, S_CH));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, skip);
		bf_label_bind(e, verify);
		pld(e, BPF_B, BF_R2, PCTX_OFF(l4proto));
	}

	/* N = L3 length - transport offset; the pseudo-header's tail */
	pld(e, BPF_W, BF_R1, PCTX_OFF(len));
	pld(e, BPF_W, BF_R3, PCTX_OFF(thoff));
	E(I_ALU64_REG(BPF_SUB, BF_R1, BF_R3));
	E(I_STX(BPF_DW, BF_FP, BF_R1, S_N));
	E(I_ST(BPF_DW, BF_FP, S_SEED, 0));
	if (v6) {
		E(I_BE(BF_R1, 32));
		E(I_STX(BPF_W, BF_R8, BF_R1, B_PSEUDO));
		E(I_ST(BPF_W, BF_R8, B_PSEUDO + 4, 0));
		E(I_STX(BPF_B, BF_R8, BF_R2, B_PSEUDO + 7));
		csum_pctx(e, PCTX_OFF(saddr), 32);
		csum_fixed(e, B_PSEUDO, 8);
	} else {
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 6, pseudo);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 17, seeded);
		bf_label_bind(e, pseudo);
		E(I_BE(BF_R1, 16));
		E(I_STX(BPF_H, BF_R8, BF_R1, B_PSEUDO + 2));
		E(I_ST(BPF_B, BF_R8, B_PSEUDO, 0));
		E(I_STX(BPF_B, BF_R8, BF_R2, B_PSEUDO + 1));
		csum_pctx(e, PCTX_OFF(saddr), 4);
		csum_pctx(e, PCTX_OFF(daddr), 4);
		csum_fixed(e, B_PSEUDO, 4);
	}
	bf_label_bind(e, seeded);
	/* XDP: the pseudo-header's sum, for the CHECKSUM_PARTIAL test */
	E(I_LDX(BPF_DW, BF_R1, BF_FP, S_SEED));
	E(I_STX(BPF_DW, BF_FP, BF_R1, S_Q));

	/* the segment, CSUM_CHUNK bytes at a time, in the bpf_loop()
	 * callback bf_cgen_reject_csum_cb() (verified once, however many
	 * paths lead here) */
	pld(e, BPF_W, BF_R1, PCTX_OFF(thoff));
	E(I_ALU64_IMM(BPF_ADD, BF_R1, env->l3off));
	E(I_STX(BPF_DW, BF_FP, BF_R1, S_OFF));
	E(I_LDX(BPF_DW, BF_R1, BF_FP, S_N));
	E(I_ALU64_IMM(BPF_ADD, BF_R1, CSUM_CHUNK - 1));
	E(I_ALU64_IMM(BPF_RSH, BF_R1, 9));
	_Static_assert(CSUM_CHUNK == 1 << 9, "chunk shift");
	bf_emit_ld_func(e, BF_R2, env->csum_cb);
	E(I_MOV64_REG(BF_R3, BF_R9));
	E(I_MOV64_IMM(BF_R4, 0));
	E(I_HELPER(BPF_FUNC_loop));
	/* every byte summed (the callback leaves S_N non-zero on error) */
	E(I_LDX(BPF_DW, BF_R1, BF_FP, S_N));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R1, 0, fail);
	E(I_LDX(BPF_DW, BF_R0, BF_FP, S_SEED));
	if (env->attach != BF_ATTACH_XDP) {
		fold_check(e, fail);
	} else {
		/* XDP cannot see CHECKSUM_PARTIAL, but a frame a local
		 * socket sent through a veth carries its mark: a TCP or UDP
		 * checksum field holding the folded sum of the pseudo-header
		 * alone (__tcp_v4_send_check(), udp4_hwcsum(), ...). Such a
		 * frame is answered, as the kernel answers the skb. */
		bf_label partial = bf_label_new(e), udp = bf_label_new(e);
		bf_label rd = bf_label_new(e);

		fold_check(e, partial);
		bf_emit_ja(e, skip);
		bf_label_bind(e, partial);
		pld(e, BPF_B, BF_R2, PCTX_OFF(l4proto));
		pld(e, BPF_W, BF_R4, PCTX_OFF(thoff));
		E(I_ALU64_IMM(BPF_ADD, BF_R4, env->l3off));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 17, udp);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 6, fail);
		E(I_ALU64_IMM(BPF_ADD, BF_R4, 16));
		bf_emit_ja(e, rd);
		bf_label_bind(e, udp);
		E(I_ALU64_IMM(BPF_ADD, BF_R4, 6));
		bf_label_bind(e, rd);
		E(I_ST(BPF_DW, BF_FP, S_CH, 0));
		E(I_MOV64_REG(BF_R1, BF_FP));
		E(I_ALU64_IMM(BPF_ADD, BF_R1, S_CH));
		E(I_MOV64_IMM(BF_R2, 2));
		E(I_MOV64_REG(BF_R3, BF_FP));
		E(I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
		E(I_MOV64_IMM(BF_R5, 0));
		E(I_HELPER(BPF_FUNC_dynptr_read));
		bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, fail);
		E(I_LDX(BPF_DW, BF_R0, BF_FP, S_Q));
		fold16(e);
		E(I_LDX(BPF_DW, BF_R1, BF_FP, S_CH));
		bf_emit_jmp_reg(e, BPF_JNE, BF_R0, BF_R1, fail);
	}
	bf_label_bind(e, skip);
}

/* Offsets of the main function's stack slots from the packet context,
 * for the callback, which reaches them through its pointer. */
#define X(slot) ((int16_t)((slot)-STK_PCTX))

void bf_cgen_reject_csum_cb(struct bf_emit *e)
{
	bf_label take = bf_label_new(e), stop = bf_label_new(e);
	bf_label bad = bf_label_new(e);

	/* int cb(u64 index, struct bf_pctx *p): r9 = p */
	E(I_MOV64_REG(BF_R9, BF_R2));
	get_buf(e, stop);
	E(I_LDX(BPF_DW, BF_R2, BF_R9, X(S_N)));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R2, 0, stop);
	bf_emit_jmp_imm(e, BPF_JLE, BF_R2, CSUM_CHUNK, take);
	E(I_MOV64_IMM(BF_R2, CSUM_CHUNK));
	bf_label_bind(e, take);
	E(I_STX(BPF_DW, BF_R9, BF_R2, X(S_CH)));
	/* zeros after the chunk, up to a multiple of 4 */
	E(I_MOV64_REG(BF_R1, BF_R8));
	E(I_ALU64_REG(BPF_ADD, BF_R1, BF_R2));
	E(I_ST(BPF_W, BF_R1, B_SCR, 0));
	E(I_MOV64_REG(BF_R1, BF_R8));
	E(I_ALU64_IMM(BPF_ADD, BF_R1, B_SCR));
	E(I_MOV64_REG(BF_R3, BF_R9));
	E(I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR - STK_PCTX));
	E(I_LDX(BPF_DW, BF_R4, BF_R9, X(S_OFF)));
	E(I_MOV64_IMM(BF_R5, 0));
	E(I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
	E(I_LDX(BPF_DW, BF_R4, BF_R9, X(S_CH)));
	E(I_ALU64_IMM(BPF_ADD, BF_R4, 3));
	E(I_ALU64_IMM(BPF_AND, BF_R4, ~3));
	E(I_MOV64_IMM(BF_R1, 0));
	E(I_MOV64_IMM(BF_R2, 0));
	E(I_MOV64_REG(BF_R3, BF_R8));
	E(I_ALU64_IMM(BPF_ADD, BF_R3, B_SCR));
	E(I_LDX(BPF_DW, BF_R5, BF_R9, X(S_SEED)));
	E(I_HELPER(BPF_FUNC_csum_diff));
	E(I_STX(BPF_DW, BF_R9, BF_R0, X(S_SEED)));
	E(I_LDX(BPF_DW, BF_R1, BF_R9, X(S_CH)));
	E(I_LDX(BPF_DW, BF_R2, BF_R9, X(S_N)));
	E(I_ALU64_REG(BPF_SUB, BF_R2, BF_R1));
	E(I_STX(BPF_DW, BF_R9, BF_R2, X(S_N)));
	E(I_LDX(BPF_DW, BF_R2, BF_R9, X(S_OFF)));
	E(I_ALU64_REG(BPF_ADD, BF_R2, BF_R1));
	E(I_STX(BPF_DW, BF_R9, BF_R2, X(S_OFF)));
	bf_emit_ret(e, 0);
	bf_label_bind(e, bad);
	E(I_ST(BPF_DW, BF_R9, X(S_N), -1));
	bf_label_bind(e, stop);
	bf_emit_ret(e, 1);
}

/* The ICMP / ICMPv6 error (r7 & 0xff = code). */
static void build_icmp(struct bf_emit *e, const struct bf_reject_env *env,
		       bool v6, int kf_size, bf_label fail)
{
	int32_t qmax = v6 ? QMAX_6 : QMAX_4;
	int16_t quote = v6 ? B_QUOTE_6 : B_QUOTE_4;
	int16_t l4 = v6 ? B_L4_6 : B_L4_4;
	bool local_src = env->hook == BF_HOOK_OUTPUT;
	bf_label qok = bf_label_new(e);

	/* Q = min(L3 length, qmax): the error quotes the packet from its
	 * network header (icmp_param.offset / msg.offset). */
	pld(e, BPF_W, BF_R2, PCTX_OFF(len));
	bf_emit_jmp_imm(e, BPF_JLE, BF_R2, qmax, qok);
	E(I_MOV64_IMM(BF_R2, qmax));
	bf_label_bind(e, qok);
	E(I_STX(BPF_DW, BF_FP, BF_R2, S_Q));
	E(I_MOV64_IMM(BF_R4, env->l3off));
	dyn_read(e, quote, 0, true, fail);
	/* zeros after the quote, up to the next multiple of 4 */
	E(I_LDX(BPF_DW, BF_R1, BF_FP, S_Q));
	E(I_MOV64_REG(BF_R2, BF_R8));
	E(I_ALU64_REG(BPF_ADD, BF_R2, BF_R1));
	E(I_ST(BPF_W, BF_R2, quote, 0));
	eth_swap(e, env, fail);

	/* Source: the packet's destination at input (a local address).
	 * For a packet this host sends, icmp6_send() finds no local
	 * destination and the route back to the sender (this host) picks
	 * the sender's own address: so do we at tc egress. icmp_send()
	 * does the same for IPv4, but an IPv4 packet from one of the
	 * host's own addresses that enters without a route attached is a
	 * martian (fib_validate_source() without accept_local): at tc
	 * egress the IPv4 error comes from the packet's destination
	 * instead (doc/hooks.md). */
	if (!v6) {
		/* tos: (tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL */
		E(I_ST(BPF_B, BF_R8, B_L3, 0x45));
		E(I_LDX(BPF_B, BF_R1, BF_R8, (int16_t)(quote + 1)));
		E(I_ALU64_IMM(BPF_AND, BF_R1, 0x1e));
		E(I_ALU64_IMM(BPF_OR, BF_R1, 0xc0));
		E(I_STX(BPF_B, BF_R8, BF_R1, B_L3 + 1));
		E(I_LDX(BPF_DW, BF_R1, BF_FP, S_Q));
		E(I_ALU64_IMM(BPF_ADD, BF_R1, 28));
		E(I_BE(BF_R1, 16));
		E(I_STX(BPF_H, BF_R8, BF_R1, B_L3 + 2));
		E(I_ST(BPF_W, BF_R8, B_L3 + 4, 0)); /* id, frag_off */
		E(I_ST(BPF_B, BF_R8, B_L3 + 8, env->ttl4));
		E(I_ST(BPF_B, BF_R8, B_L3 + 9, 1 /* IPPROTO_ICMP */));
		E(I_ST(BPF_H, BF_R8, B_L3 + 10, 0));
		pld(e, BPF_W, BF_R1, PCTX_OFF(daddr));
		E(I_STX(BPF_W, BF_R8, BF_R1, B_L3 + 12));
		pld(e, BPF_W, BF_R1, PCTX_OFF(saddr));
		E(I_STX(BPF_W, BF_R8, BF_R1, B_L3 + 16));
		E(I_ST(BPF_B, BF_R8, l4, 3 /* ICMP_DEST_UNREACH */));
		E(I_ST(BPF_DW, BF_FP, S_SEED, 0));
	} else {
		/* version 6, traffic class 0, flow label 0 */
		E(I_ST(BPF_W, BF_R8, B_L3, 0x60));
		E(I_LDX(BPF_DW, BF_R1, BF_FP, S_Q));
		E(I_ALU64_IMM(BPF_ADD, BF_R1, 8));
		E(I_MOV64_REG(BF_R2, BF_R1));
		E(I_BE(BF_R1, 16));
		E(I_STX(BPF_H, BF_R8, BF_R1, B_L3 + 4));
		E(I_ST(BPF_B, BF_R8, B_L3 + 6, 58 /* IPPROTO_ICMPV6 */));
		E(I_ST(BPF_B, BF_R8, B_L3 + 7, env->hlim6));
		copy_addr6(e, local_src ? PCTX_OFF(saddr) : PCTX_OFF(daddr),
			   B_L3 + 8);
		copy_addr6(e, PCTX_OFF(saddr), B_L3 + 24);
		E(I_ST(BPF_B, BF_R8, l4, 1 /* ICMPV6_DEST_UNREACH */));
		/* pseudo-header: addresses, upper-layer length, next
		 * header (csum_ipv6_magic()) */
		E(I_BE(BF_R2, 32));
		E(I_STX(BPF_W, BF_R8, BF_R2, B_PSEUDO));
		E(I_ST(BPF_W, BF_R8, B_PSEUDO + 4, 0x3a000000));
		E(I_ST(BPF_DW, BF_FP, S_SEED, 0));
		csum_fixed(e, B_L3 + 8, 32);
		csum_fixed(e, B_PSEUDO, 8);
	}
	E(I_MOV64_REG(BF_R1, BF_R7));
	E(I_ALU64_IMM(BPF_AND, BF_R1, 0xff));
	E(I_STX(BPF_B, BF_R8, BF_R1, (int16_t)(l4 + 1)));
	E(I_ST(BPF_H, BF_R8, (int16_t)(l4 + 2), 0));
	E(I_ST(BPF_W, BF_R8, (int16_t)(l4 + 4), 0));

	/* checksum of the ICMP header and the quote */
	E(I_LDX(BPF_DW, BF_R1, BF_FP, S_Q));
	E(I_ALU64_IMM(BPF_ADD, BF_R1, 8 + 3));
	E(I_ALU64_IMM(BPF_AND, BF_R1, ~3));
	E(I_STX(BPF_DW, BF_FP, BF_R1, S_N));
	csum_var(e, l4, (qmax + 8 + 3) & ~3);
	E(I_LDX(BPF_DW, BF_R0, BF_FP, S_SEED));
	fold_store(e, (int16_t)(l4 + 2));
	if (!v6) {
		E(I_ST(BPF_DW, BF_FP, S_SEED, 0));
		csum_fixed(e, B_L3, 20);
		fold_store(e, B_L3 + 10);
	}
	E(I_LDX(BPF_DW, BF_R7, BF_FP, S_Q));
	E(I_ALU64_IMM(BPF_ADD, BF_R7, quote));
	send_reply(e, env, kf_size, quote - B_L3, fail);
}

/* The TCP reset (nf_reject_ip_tcphdr_put(), nf_reject_ip6_tcphdr_put()). */
static void build_rst(struct bf_emit *e, const struct bf_reject_env *env,
		      bool v6, int kf_size, bf_label fail)
{
	int16_t l4 = v6 ? B_L4_6 : B_L4_4;
	bf_label noack = bf_label_new(e), hdr = bf_label_new(e);

	pld(e, BPF_W, BF_R4, PCTX_OFF(thoff));
	E(I_ALU64_IMM(BPF_ADD, BF_R4, env->l3off));
	dyn_read(e, B_TCP, 20, false, fail);
	eth_swap(e, env, fail);

	if (!v6) {
		/* tos 0, id 0, DF, the route's TTL */
		E(I_ST(BPF_H, BF_R8, B_L3, 0x0045));
		E(I_ST(BPF_H, BF_R8, B_L3 + 2, 0x2800)); /* 40 */
		E(I_ST(BPF_H, BF_R8, B_L3 + 4, 0));
		E(I_ST(BPF_H, BF_R8, B_L3 + 6, 0x0040)); /* IP_DF */
		E(I_ST(BPF_B, BF_R8, B_L3 + 8, env->ttl4));
		E(I_ST(BPF_B, BF_R8, B_L3 + 9, 6 /* IPPROTO_TCP */));
		E(I_ST(BPF_H, BF_R8, B_L3 + 10, 0));
		pld(e, BPF_W, BF_R1, PCTX_OFF(daddr));
		E(I_STX(BPF_W, BF_R8, BF_R1, B_L3 + 12));
		pld(e, BPF_W, BF_R1, PCTX_OFF(saddr));
		E(I_STX(BPF_W, BF_R8, BF_R1, B_L3 + 16));
	} else {
		E(I_ST(BPF_W, BF_R8, B_L3, 0x60));
		E(I_ST(BPF_H, BF_R8, B_L3 + 4, 0x1400)); /* 20 */
		E(I_ST(BPF_B, BF_R8, B_L3 + 6, 6 /* IPPROTO_TCP */));
		E(I_ST(BPF_B, BF_R8, B_L3 + 7, env->hlim6));
		copy_addr6(e, PCTX_OFF(daddr), B_L3 + 8);
		copy_addr6(e, PCTX_OFF(saddr), B_L3 + 24);
	}
	/* ports swapped */
	E(I_LDX(BPF_H, BF_R1, BF_R8, B_TCP + 2));
	E(I_STX(BPF_H, BF_R8, BF_R1, l4));
	E(I_LDX(BPF_H, BF_R1, BF_R8, B_TCP));
	E(I_STX(BPF_H, BF_R8, BF_R1, (int16_t)(l4 + 2)));
	/* With ACK: seq = its ack_seq, no ACK. Without: seq 0, ACK of
	 * everything the packet carried (SYN and FIN count one). */
	E(I_LDX(BPF_B, BF_R2, BF_R8, B_TCP + 13));
	E(I_MOV64_REG(BF_R1, BF_R2));
	E(I_ALU64_IMM(BPF_AND, BF_R1, 0x10));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, noack);
	E(I_LDX(BPF_W, BF_R1, BF_R8, B_TCP + 8));
	E(I_STX(BPF_W, BF_R8, BF_R1, (int16_t)(l4 + 4)));
	E(I_ST(BPF_W, BF_R8, (int16_t)(l4 + 8), 0));
	E(I_ST(BPF_B, BF_R8, (int16_t)(l4 + 13), 0x04)); /* RST */
	bf_emit_ja(e, hdr);
	bf_label_bind(e, noack);
	E(I_ST(BPF_W, BF_R8, (int16_t)(l4 + 4), 0));
	E(I_LDX(BPF_W, BF_R1, BF_R8, B_TCP + 4));
	E(I_BE(BF_R1, 32));
	E(I_MOV64_REG(BF_R3, BF_R2));
	E(I_ALU64_IMM(BPF_RSH, BF_R3, 1));
	E(I_ALU64_IMM(BPF_AND, BF_R3, 1)); /* SYN */
	E(I_ALU64_REG(BPF_ADD, BF_R1, BF_R3));
	E(I_MOV64_REG(BF_R3, BF_R2));
	E(I_ALU64_IMM(BPF_AND, BF_R3, 1)); /* FIN */
	E(I_ALU64_REG(BPF_ADD, BF_R1, BF_R3));
	/* + L3 length - transport offset - doff * 4 */
	pld(e, BPF_W, BF_R3, PCTX_OFF(len));
	E(I_ALU64_REG(BPF_ADD, BF_R1, BF_R3));
	pld(e, BPF_W, BF_R3, PCTX_OFF(thoff));
	E(I_ALU64_REG(BPF_SUB, BF_R1, BF_R3));
	E(I_LDX(BPF_B, BF_R3, BF_R8, B_TCP + 12));
	E(I_ALU64_IMM(BPF_RSH, BF_R3, 4));
	E(I_ALU64_IMM(BPF_LSH, BF_R3, 2));
	E(I_ALU64_REG(BPF_SUB, BF_R1, BF_R3));
	E(I_BE(BF_R1, 32));
	E(I_STX(BPF_W, BF_R8, BF_R1, (int16_t)(l4 + 8)));
	E(I_ST(BPF_B, BF_R8, (int16_t)(l4 + 13), 0x14)); /* RST, ACK */
	bf_label_bind(e, hdr);
	E(I_ST(BPF_B, BF_R8, (int16_t)(l4 + 12), 0x50)); /* doff 5 */
	E(I_ST(BPF_H, BF_R8, (int16_t)(l4 + 14), 0)); /* window */
	E(I_ST(BPF_W, BF_R8, (int16_t)(l4 + 16), 0)); /* check, urg */

	E(I_ST(BPF_DW, BF_FP, S_SEED, 0));
	if (!v6) {
		/* pseudo-header: addresses, 0, IPPROTO_TCP, length 20 */
		E(I_ST(BPF_W, BF_R8, B_PSEUDO, 0x14000600));
		csum_fixed(e, B_L3 + 12, 8);
		csum_fixed(e, B_PSEUDO, 4);
	} else {
		E(I_ST(BPF_W, BF_R8, B_PSEUDO, 0x14000000));
		E(I_ST(BPF_W, BF_R8, B_PSEUDO + 4, 0x06000000));
		csum_fixed(e, B_L3 + 8, 32);
		csum_fixed(e, B_PSEUDO, 8);
	}
	csum_fixed(e, l4, 20);
	fold_store(e, (int16_t)(l4 + 16));
	if (!v6) {
		E(I_ST(BPF_DW, BF_FP, S_SEED, 0));
		csum_fixed(e, B_L3, 20);
		fold_store(e, B_L3 + 10);
	}
	E(I_MOV64_IMM(BF_R7, l4 + 20));
	/* never longer than the packet (a whole TCP header at least) */
	send_reply(e, env, kf_size, 0, fail);
}

void bf_cgen_reject_reply(struct bf_emit *e, const struct bf_reject_env *env,
			  enum bf_family family)
{
	bool v6 = family == BF_FAMILY_INET6;
	bf_label drop = bf_label_new(e), rst = bf_label_new(e);
	bf_label icmp = bf_label_new(e);
	int kf_size = env->kf_size;

	E(I_MOV64_REG(BF_R7, BF_R0));
	/* Never for a non-first fragment (nf_send_unreach(),
	 * nf_reject_ip_tcphdr_get(), reject6_csum_ok()), nor when the IPv6
	 * header walk failed (no transport offset). */
	pld(e, BPF_H, BF_R1, PCTX_OFF(fragoff));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, drop);
	if (!v6) {
		/* no reply to or from broadcast/multicast destinations
		 * (RTCF_BROADCAST | RTCF_MULTICAST: limited broadcast and
		 * 224/4 here; see doc/hooks.md), nor to 0.0.0.0 (the
		 * kernel would route it to itself) */
		pld(e, BPF_W, BF_R1, PCTX_OFF(daddr));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, -1, drop);
		E(I_ALU64_IMM(BPF_AND, BF_R1, 0xf0));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0xe0, drop);
		pld(e, BPF_W, BF_R1, PCTX_OFF(saddr));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, drop);
	} else {
		pld(e, BPF_B, BF_R1, PCTX_OFF(l6err));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, drop);
		/* icmp6_send(): not to a multicast destination, not from
		 * an unspecified or multicast source; nf_send_reset6():
		 * both addresses unicast */
		pld(e, BPF_B, BF_R1, PCTX_OFF(daddr));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0xff, drop);
		pld(e, BPF_B, BF_R1, PCTX_OFF(saddr));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0xff, drop);
		pld(e, BPF_DW, BF_R1, PCTX_OFF(saddr));
		pld(e, BPF_DW, BF_R2, (int16_t)(PCTX_OFF(saddr) + 8));
		E(I_ALU64_REG(BPF_OR, BF_R1, BF_R2));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, drop);
	}
	get_buf(e, drop);
	bf_emit_jmp_imm(e, BPF_JGE, BF_R7, BF_RC_REJECT_RST, rst);

	require_l2_unicast(e, env, drop);
	/* Never an ICMP error about an ICMP error: icmp_send() refuses
	 * inner types above NR_ICMP_TYPES and the error types;
	 * is_ineligible() refuses ICMPv6 types below 128. */
	pld(e, BPF_B, BF_R1, PCTX_OFF(l4proto));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, v6 ? 58 : 1, icmp);
	pld(e, BPF_W, BF_R2, PCTX_OFF(avail));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, drop);
	pld(e, BPF_B, BF_R2, PCTX_OFF(icmp_type));
	if (v6) {
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R2, 128, drop);
	} else {
		static const int errors[] = { 3, 4, 5, 11, 12 };

		bf_emit_jmp32_imm(e, BPF_JGT, BF_R2, 18, drop);
		for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
			bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, errors[i], drop);
	}
	bf_label_bind(e, icmp);
	if (v6) {
		/* reject6_csum_ok(): a transport offset inside the packet */
		pld(e, BPF_W, BF_R1, PCTX_OFF(thoff));
		pld(e, BPF_W, BF_R2, PCTX_OFF(len));
		bf_emit_jmp_reg(e, BPF_JGE, BF_R1, BF_R2, drop);
	}
	verify_csum(e, env, v6, false, drop);
	build_icmp(e, env, v6, kf_size, drop);

	/* TCP reset: a whole TCP header, not itself a reset */
	bf_label_bind(e, rst);
	pld(e, BPF_B, BF_R1, PCTX_OFF(l4proto));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 6, drop);
	pld(e, BPF_W, BF_R1, PCTX_OFF(avail));
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 20, drop);
	pld(e, BPF_B, BF_R1, PCTX_OFF(tcpflags));
	E(I_ALU64_IMM(BPF_AND, BF_R1, 0x04));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R1, 0, drop);
	verify_csum(e, env, v6, true, drop);
	build_rst(e, env, v6, kf_size, drop);

	bf_label_bind(e, drop);
	bf_emit_ret(e, env->v_drop);
}

static int read_sysctl(const char *path, int *out)
{
	FILE *f = fopen(path, "re");
	int v, r;

	if (!f)
		return -errno;
	r = fscanf(f, "%d", &v) == 1 && v > 0 && v < 256 ? 0 : -EINVAL;
	fclose(f);
	if (!r)
		*out = v;
	return r;
}

void bf_cgen_reply_hoplimits(const char *ifname, uint8_t *ttl4, uint8_t *hlim6)
{
	char path[128];
	int v = 64;

	(void)read_sysctl("/proc/sys/net/ipv4/ip_default_ttl", &v);
	*ttl4 = (uint8_t)v;
	v = 64;
	if (!ifname || !*ifname ||
	    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/hop_limit",
		     ifname) >= (int)sizeof(path) ||
	    read_sysctl(path, &v))
		(void)read_sysctl("/proc/sys/net/ipv6/conf/default/hop_limit",
				  &v);
	*hlim6 = (uint8_t)v;
}
