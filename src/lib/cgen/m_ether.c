// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft's `ether daddr` / `ether type` (see m_ether.h).
 *
 * nft_payload_eval() with NFT_PAYLOAD_LL_HEADER breaks (the rule does not
 * match, whatever the comparison) unless the skb has a MAC header
 * (skb_mac_header_was_set() and a non-zero skb_mac_header_len()); it then
 * copies from the MAC header, except that a tag in skb->vlan_tci
 * (skb_vlan_tag_present()) is put back in front of the type field
 * (nft_payload_copy_vlan()), so that `ether type` reads the tag's
 * protocol (0x8100) there. In the ip/ip6/inet tables nft also adds
 * `meta iiftype ether` (state->in->type == ARPHRD_ETHER).
 *
 * Where that is read:
 *  - netfilter input and forward: the Ethernet header the driver left in
 *    front of skb->data (as mac_mt(): an Ethernet device, a MAC header
 *    inside the head). A tag is no longer in skb->vlan_tci there:
 *    __netif_receive_skb_core() clears it when no VLAN device took the
 *    frame, and vlan_do_receive() when one did.
 *  - netfilter output: no MAC header yet; pctx.eth_ok stays 0: no match.
 *  - tc: the frame at skb->data; the tag, when the device took it out
 *    (__sk_buff.vlan_present), gives the type as nft's copy_vlan does.
 *  - XDP: the frame as received, the tag in it (check.c keeps the vlan
 *    match from XDP: a tagged frame is not IP to the prologue).
 *
 * `vlan id|pcp|dei|type` (BF_MATCH_VLAN) come with nft's dependency `ether
 * type 8021q`: at tc the tag of vlan_proto 0x8100 in __sk_buff.vlan_tci,
 * and the type after it, __sk_buff.protocol (nft_payload_copy_vlan()
 * rebuilds the tag with skb->protocol as the encapsulated type); at
 * netfilter there is none (see above), pctx.vlan_ok stays 0.
 */
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include <linux/bpf.h>

#include "cgen/m_ether.h"
#include "cgen/nfbtf.h"
#include "cgen/pctx.h"

#define ETH_HLEN_ 14

/* BF_MATCH_VLAN: nft's dependency `ether type 8021q`, then the field of
 * the TCI (nft loads the tag's bytes and masks them) in [lo, hi] */
static void vlan_emit(struct bf_emit *e, const struct bf_match *m,
		      bf_label fail)
{
	bf_label in = bf_label_new(e), out = bf_label_new(e);

	bf_emit(e, I_LDX(BPF_B, BF_R1, BF_R9, PCTX_OFF(vlan_ok)));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, fail);
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R9,
			 m->u.vlan.field == BF_VLAN_TYPE ? PCTX_OFF(vlan_type) :
							   PCTX_OFF(vlan_tci)));
	switch (m->u.vlan.field) {
	case BF_VLAN_TYPE:
		break;
	case BF_VLAN_PCP:
		bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R1, 13));
		break;
	case BF_VLAN_DEI:
		bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R1, 12));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 1));
		break;
	default:
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 0xfff));
		break;
	}
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, m->u.vlan.lo, m->neg ? in : fail);
	bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, m->u.vlan.hi, m->neg ? in : fail);
	if (m->neg)
		bf_emit_ja(e, fail);
	else
		bf_emit_ja(e, out);
	bf_label_bind(e, in);
	bf_label_bind(e, out);
}

void bf_ether_emit(struct bf_emit *e, const struct bf_match *m, bf_label fail)
{
	if (m->type == BF_MATCH_VLAN) {
		vlan_emit(e, m, fail);
		return;
	}
	bf_emit(e, I_LDX(BPF_B, BF_R1, BF_R9, PCTX_OFF(eth_ok)));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, fail);
	if (m->type == BF_MATCH_ETH_TYPE) {
		/* pctx.ethtype is the type as loaded from the wire */
		uint16_t v = htobe16(m->u.ethtype.type);

		bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R9, PCTX_OFF(ethtype)));
		bf_emit_jmp32_imm(e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1, v,
				  fail);
		return;
	}
	/* BF_MATCH_ETH_DADDR: 4 + 2 bytes as loaded */
	uint32_t w;
	uint16_t h;
	bf_label differ = bf_label_new(e);

	memcpy(&w, m->u.mac.addr, 4);
	memcpy(&h, m->u.mac.addr + 4, 2);
	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(dmac)));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, (int32_t)w,
			  m->neg ? differ : fail);
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R9, (int16_t)(PCTX_OFF(dmac) + 4)));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, h, m->neg ? differ : fail);
	if (m->neg)
		bf_emit_ja(e, fail);
	bf_label_bind(e, differ);
}

/* head + mac_header (+ add) into r3; r2 = mac_header */
static void mac_addr(struct bf_emit *e, int off_skb_head,
		     int off_skb_mac_header, int add)
{
	bf_emit(e, I_LDX(BPF_H, BF_R2, BF_R7, (int16_t)off_skb_mac_header));
	bf_emit(e, I_LDX(BPF_DW, BF_R3, BF_R7, (int16_t)off_skb_head));
	bf_emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R2));
	if (add)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, add));
}

/* bpf_probe_read_kernel(pctx + to, size, head + mac + add); none if it
 * fails */
static void read_mac(struct bf_emit *e, int off_skb_head,
		     int off_skb_mac_header, int add, int16_t to, int size,
		     bf_label none)
{
	mac_addr(e, off_skb_head, off_skb_mac_header, add);
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, to));
	bf_emit(e, I_MOV64_IMM(BF_R2, size));
	bf_emit(e, I_HELPER(BPF_FUNC_probe_read_kernel));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, none);
}

void bf_ether_nf(struct bf_emit *e, int off_skb_dev, int off_dev_type,
		 int off_skb_head, int off_skb_data, int off_skb_mac_header)
{
	bf_label none = bf_label_new(e);

	/* meta iiftype ether: the device the packet came in on (through an
	 * untrusted skb: no verifier trust search, cgen/nfbtf.h) */
	bf_nf_ctx_ptr(e, BF_R1, "skb");
	bf_emit(e, I_LDX(BPF_DW, BF_R1, BF_R1, (int16_t)off_skb_dev));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, none);
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R1, (int16_t)off_dev_type));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 1 /* ARPHRD_ETHER */, none);
	/* skb_mac_header_was_set(), and the 14 bytes inside the head */
	bf_emit(e, I_LDX(BPF_H, BF_R2, BF_R7, (int16_t)off_skb_mac_header));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0xffff, none);
	bf_emit(e, I_LDX(BPF_DW, BF_R3, BF_R7, (int16_t)off_skb_head));
	bf_emit(e, I_LDX(BPF_DW, BF_R4, BF_R7, (int16_t)off_skb_data));
	bf_emit(e, I_ALU64_REG(BPF_SUB, BF_R4, BF_R3));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, ETH_HLEN_));
	bf_emit_jmp_reg(e, BPF_JGT, BF_R2, BF_R4, none);
	/* bpf_probe_read_kernel(&pctx->dmac, 6, head + mac) */
	read_mac(e, off_skb_head, off_skb_mac_header, 0, PCTX_OFF(dmac), 6,
		 none);
	/* bpf_probe_read_kernel(&pctx->ethtype, 2, head + mac + 12) */
	read_mac(e, off_skb_head, off_skb_mac_header, 12, PCTX_OFF(ethtype), 2,
		 none);
	bf_emit(e, I_MOV64_IMM(BF_R1, 1));
	bf_emit(e, I_STX(BPF_B, BF_R9, BF_R1, PCTX_OFF(eth_ok)));
	bf_label_bind(e, none);
}

void bf_ether_l2(struct bf_emit *e, bool tc)
{
	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R0, 0));
	bf_emit(e, I_STX(BPF_W, BF_R9, BF_R1, PCTX_OFF(dmac)));
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R0, 4));
	bf_emit(e, I_STX(BPF_H, BF_R9, BF_R1, (int16_t)(PCTX_OFF(dmac) + 4)));
	bf_emit(e, I_LDX(BPF_H, BF_R1, BF_R0, 12));
	if (tc) {
		/* a tag the device took out: nft_payload_copy_vlan() puts
		 * its protocol (__sk_buff.vlan_proto, network order) at
		 * the type's place */
		bf_label untagged = bf_label_new(e);

		bf_emit(e, I_LDX(BPF_W, BF_R2, BF_R6,
				 (int16_t)offsetof(struct __sk_buff,
						   vlan_present)));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, untagged);
		bf_emit(e,
			I_LDX(BPF_W, BF_R1, BF_R6,
			      (int16_t)offsetof(struct __sk_buff, vlan_proto)));
		/* an 802.1Q tag: `vlan id|pcp|dei` read its TCI */
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, htobe16(0x8100), untagged);
		bf_emit(e,
			I_LDX(BPF_W, BF_R2, BF_R6,
			      (int16_t)offsetof(struct __sk_buff, vlan_tci)));
		bf_emit(e, I_STX(BPF_H, BF_R9, BF_R2, PCTX_OFF(vlan_tci)));
		/* `vlan type`: nft_payload_copy_vlan() puts skb->protocol
		 * after the tag it rebuilds */
		bf_emit(e,
			I_LDX(BPF_W, BF_R2, BF_R6,
			      (int16_t)offsetof(struct __sk_buff, protocol)));
		bf_emit(e, I_BE(BF_R2, 16));
		bf_emit(e, I_STX(BPF_H, BF_R9, BF_R2, PCTX_OFF(vlan_type)));
		bf_emit(e, I_MOV64_IMM(BF_R2, 1));
		bf_emit(e, I_STX(BPF_B, BF_R9, BF_R2, PCTX_OFF(vlan_ok)));
		bf_label_bind(e, untagged);
	}
	bf_emit(e, I_STX(BPF_H, BF_R9, BF_R1, PCTX_OFF(ethtype)));
	bf_emit(e, I_MOV64_IMM(BF_R1, 1));
	bf_emit(e, I_STX(BPF_B, BF_R9, BF_R1, PCTX_OFF(eth_ok)));
}
