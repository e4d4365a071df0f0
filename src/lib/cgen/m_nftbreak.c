// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft evaluation (m_nftbreak.h). The kernel side:
 *  - nft_set_pktinfo_ipv4() (include/net/netfilter/nf_tables_ipv4.h):
 *    tprot = the IPv4 protocol, fragoff = frag_off & IP_OFFSET;
 *    nft_set_pktinfo_ipv6() (nf_tables_ipv6.h): ipv6_find_hdr() with
 *    IP6_FH_F_AUTH, which ends the walk at an AH header whose first two
 *    bytes can be read (tprot = AH); on a walk error no L4 protocol is
 *    set (nft_set_pktinfo_unspec()).
 *  - nft_meta_get_eval() (net/netfilter/nft_meta.c), NFT_META_L4PROTO:
 *    without an L4 protocol the expression breaks (NFT_BREAK): the rule
 *    does not match, whether the compare after it is == or !=.
 *  - nft_payload_eval() (net/netfilter/nft_payload.c), transport header
 *    base: breaks without an L4 protocol or on a non-first fragment
 *    (pkt->fragoff), and when skb_copy_bits() cannot read the bytes.
 *  - nft_payload_fast_eval() (nf_tables_core.c), which serves every
 *    load of 1, 2 or 4 aligned bytes (all the transport fields lowered
 *    here) before nft_payload_eval(): it does not look at the fragment
 *    offset, so a non-first fragment's bytes at nft's transport offset
 *    are read (IPv4: after the IP header; IPv6: offset 0, the IPv6
 *    header, as ipv6_find_hdr() returns a fragment's protocol without
 *    setting the offset); past the packet, the slow path breaks.
 * The packet context's IPv6 walk is ip6tables' (past AH); pctx.nft_ah
 * tells where nft's would have stopped, pctx.nexthdr6 keeps the raw
 * field for `ip6 nexthdr`, and pctx.nft_* hold what the loads read
 * (parse_nft_view() in cgen.c).
 */
#include "cgen/m_nftbreak.h"
#include "cgen/pctx.h"

#define IPPROTO_AH_ 51

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

/* meta l4proto / ip6 nexthdr on IPv6 */
static void emit_l4proto6(struct bf_emit *e, const struct bf_match *m,
			  bf_label fail)
{
	bf_label cmp = bf_label_new(e), walked = bf_label_new(e);

	if (m->nft == BF_NFT_RAW) {
		ldp(e, BPF_B, BF_R1, PCTX_OFF(nexthdr6));
	} else {
		ldp(e, BPF_B, BF_R2, PCTX_OFF(nft_ah));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, walked);
		bf_emit(e, I_MOV64_IMM(BF_R1, IPPROTO_AH_));
		bf_emit_ja(e, cmp);
		bf_label_bind(e, walked);
		ldp(e, BPF_B, BF_R2, PCTX_OFF(l6err));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 0, fail);
		ldp(e, BPF_B, BF_R1, PCTX_OFF(l4proto));
	}
	bf_label_bind(e, cmp);
	bf_emit_jmp32_imm(e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1, m->u.proto,
			  fail);
}

/* lo <= v <= hi (r1 = v), xor neg: else go to fail */
static void range16(struct bf_emit *e, uint16_t lo, uint16_t hi, bool neg,
		    bf_label fail)
{
	bf_label out = neg ? bf_label_new(e) : fail;

	if (lo)
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, lo, out);
	if (hi != 0xffff)
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, hi, out);
	if (neg) {
		bf_emit_ja(e, fail);
		bf_label_bind(e, out);
	}
}

bool bf_nftbreak_emit(struct bf_emit *e, const struct bf_rule *rule,
		      const struct bf_match *m, bf_label fail)
{
	bool v6 = rule->family == BF_FAMILY_INET6;

	switch (m->type) {
	case BF_MATCH_L4PROTO:
		if (!v6)
			return false; /* the IPv4 protocol field, as -p */
		emit_l4proto6(e, m, fail);
		return true;
	case BF_MATCH_L4HDR:
		/* the loads after it read within nft_avail bytes */
		ldp(e, BPF_H, BF_R1, PCTX_OFF(nft_avail));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
				  m->u.l4hdr.min_len ? m->u.l4hdr.min_len : 1,
				  fail);
		return true;
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT:
		ldp(e, BPF_H, BF_R1,
		    m->type == BF_MATCH_SPORT ? PCTX_OFF(nft_sport) :
						PCTX_OFF(nft_dport));
		if (m->u.ports.lo == 0 && m->u.ports.hi == 0xffff) {
			if (m->neg)
				bf_emit_ja(e, fail);
			return true;
		}
		range16(e, m->u.ports.lo, m->u.ports.hi, m->neg, fail);
		return true;
	case BF_MATCH_TCPFLAGS:
		ldp(e, BPF_B, BF_R1, PCTX_OFF(nft_flags));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, m->u.tcpflags.mask));
		bf_emit_jmp32_imm(e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
				  m->u.tcpflags.cmp, fail);
		return true;
	case BF_MATCH_ICMP: {
		/* type and code: the bytes of the first word; no wildcard
		 * type in nft */
		bf_label ok = m->neg ? bf_label_new(e) : fail;

		ldp(e, BPF_H, BF_R1, PCTX_OFF(nft_sport));
		bf_emit(e, I_MOV64_REG(BF_R2, BF_R1));
		bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R2, 8));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, m->u.icmp.type, ok);
		if (m->u.icmp.code_lo > m->u.icmp.code_hi) {
			bf_emit_ja(e, ok);
		} else if (m->u.icmp.code_lo != 0 ||
			   m->u.icmp.code_hi != 0xff) {
			bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 0xff));
			if (m->u.icmp.code_lo)
				bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
						  m->u.icmp.code_lo, ok);
			if (m->u.icmp.code_hi != 0xff)
				bf_emit_jmp32_imm(e, BPF_JGT, BF_R1,
						  m->u.icmp.code_hi, ok);
		}
		if (m->neg) {
			bf_emit_ja(e, fail);
			bf_label_bind(e, ok);
		}
		return true;
	}
	default:
		return false;
	}
}
