/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet context: what the prologue of every program extracts from the
 * packet, once, into the main function's stack. Chains only read this
 * structure (through r9), never the packet. See doc/codegen.md.
 *
 * All multi-byte integers are in host byte order except the addresses,
 * which are kept as on the wire (network order).
 */
#ifndef BPFILTER_CGEN_PCTX_H
#define BPFILTER_CGEN_PCTX_H

#include <stddef.h>
#include <stdint.h>

struct bf_pctx {
	uint8_t saddr[16]; /* IPv4: first 4 bytes */
	uint8_t daddr[16];
	char iif[16]; /* netfilter: state->in->name, zeros if none */
	char oif[16]; /* netfilter: state->out->name, zeros if none */
	uint32_t len; /* L3 length: what iptables counts as bytes */
	uint32_t avail; /* bytes from thoff to the end of the L3 packet */
	uint32_t thoff; /* transport header offset from the L3 header */
	/* IPv4: frag_off & 0x1fff (8-byte units); IPv6: fragment offset in
	 * bytes as ipv6_find_hdr() returns it (0 = not a non-first
	 * fragment). */
	uint16_t fragoff;
	uint8_t l4proto; /* IPv4 protocol / IPv6 upper-layer header */
	uint8_t l6err; /* IPv6 extension header walk failed */
	uint16_t sport; /* first 4 bytes after thoff (if present) */
	uint16_t dport;
	uint8_t tcpflags; /* byte 13 after thoff (if present) */
	uint8_t icmp_type; /* byte 0 after thoff */
	uint8_t icmp_code; /* byte 1 after thoff */
	uint8_t family; /* 4 or 6 */
	uint32_t ctstate; /* enum bf_ctstate bit of the packet */
	/* avail if the packet is not a non-first fragment, else 0: one
	 * compare tells whether a transport match can read its header. */
	uint32_t l4gate;
	/* Filled only when a compiled rule needs them: */
	uint32_t mark; /* skb->mark (netfilter, tc) */
	uint16_t iplen; /* IPv4 tot_len, IPv6 payload_len + 40 */
	uint8_t ttl; /* IPv4 TTL, IPv6 hop limit */
	uint8_t pkttype; /* as pkttype_mt() sees it (PACKET_LOOPBACK mapped) */
	uint8_t smac[6]; /* Ethernet source address */
	uint8_t smac_ok; /* smac is valid (mac_mt()'s device checks) */
	uint8_t ct_ok; /* netfilter: the packet has a conntrack entry */
	uint32_t ctmark; /* netfilter: its mark */
	uint32_t pad;
	/* Filled only when a compiled rule needs them (src/lib/cgen/m_*.c,
	 * see doc/hooks.md): */
	uint32_t now; /* time: real time, seconds since the epoch (UTC) */
	uint32_t ct_bits; /* conntrack: bit j = distinct match j holds */
	uint32_t sk_uid; /* owner: fsuid / fsgid of the socket's file */
	uint32_t sk_gid;
	uint32_t rt6_res; /* rt: bytes 4..7 of the routing header */
	uint16_t mss; /* tcpmss: value of the MSS option */
	uint16_t rt6_hdrlen; /* rt: ipv6_optlen() of the routing header */
	uint8_t mss_state; /* tcpmss: enum bf_mss_state */
	uint8_t sk_state; /* owner: enum bf_sk_state */
	uint8_t rt_type; /* addrtype: RTN_* of the packet's IPv4 route */
	uint8_t rt6_state; /* rt: enum bf_rt6_state */
	uint8_t rt6_type; /* rt: routing type, segments left */
	uint8_t rt6_segsleft;
	uint16_t rt6_off; /* rt: offset of the routing header, 0: none */
	/* For the nft front end's matches (bf_match.nft, m_nftbreak.c),
	 * filled only when the program has some. IPv6: the IPv6 header's
	 * next header field, and whether the header walk met a readable AH
	 * header, where nft_set_pktinfo_ipv6()'s walk (IP6_FH_F_AUTH)
	 * stops (its protocol is then AH, without error). */
	uint8_t nexthdr6;
	uint8_t nft_ah;
	/* What nft's transport payload loads read: nft_payload_fast_eval()
	 * (every load of 1, 2 or 4 aligned bytes) reads at nft's transport
	 * offset even in a non-first fragment, and that offset is ihl * 4
	 * for IPv4 but 0 for IPv6 (ipv6_find_hdr() returns there without
	 * setting it), the AH header where nft's walk stopped there: the
	 * bytes readable from that offset (0: no L4 protocol), the first
	 * two 16-bit words (host order; ICMP type and code are the first
	 * word's bytes) and byte 13. */
	uint8_t nft_flags;
	/* the IPv4 TOS byte / IPv6 traffic class, filled only when a
	 * compiled rule has a dsfield match */
	uint8_t dsfield;
	uint16_t nft_avail;
	uint16_t nft_sport;
	uint16_t nft_dport;
	uint16_t nft_ah_off; /* offset of that AH header (nft's thoff) */
	/* netfilter, for nft's meta iif/oif (m_nftlimit.c): the index of
	 * state->in / state->out, 0 without a device */
	uint32_t ifindex_in;
	union {
		uint32_t ifindex_out;
		/* tc (no state->out there): the type after an 802.1Q tag
		 * the device took out, skb->protocol in host order (nft's
		 * `vlan type`, cgen/m_ether.c) */
		uint16_t vlan_type;
	};
	/* nft's `ether daddr` / `ether type` (cgen/m_ether.c), filled only
	 * when a compiled rule has them: eth_ok says the link-layer header
	 * was read (the destination address as on the wire, the type in
	 * host order as nft's payload load sees it) */
	uint8_t eth_ok;
	uint8_t vlan_ok; /* tc: an 802.1Q tag (vlan_proto 0x8100) */
	uint16_t vlan_tci; /* its TCI, host order */
	uint8_t dmac[6];
	uint16_t ethtype;
	/* Scratch bytes. The prologue reads packet headers into them
	 * (STK_BUF: slice copies, 48 bytes for an IPv6 header); afterwards
	 * chains build the keys of folded rule groups here (see
	 * doc/classification.md): a chain function can only address the
	 * packet context, and the stack of nested chain frames is scarce. */
	uint8_t scratch[48];
	/* nft payload matches (cgen/m_payload.c), filled only when a
	 * compiled rule has one: bit j = distinct payload match j holds,
	 * evaluated by the prologue (chain functions cannot read the
	 * packet) */
	uint32_t pl_bits;
	/* IPv6 extension header matches and AH (cgen/m_exthdr.h): bit i =
	 * distinct match i holds, bit 16 + i = it hotdrops */
	uint32_t xh_bits;
};

_Static_assert(sizeof(struct bf_pctx) == 240, "pctx layout");

/* pctx.sk_state: what owner_mt() finds (xt_owner.c) */
enum bf_sk_state {
	BF_SK_NONE = 0, /* no full socket (or another netns) */
	BF_SK_NOFILE, /* a socket without a file */
	BF_SK_FILE, /* a socket with a file: sk_uid, sk_gid valid */
};

/* pctx.mss_state: what tcpmss_mt() finds */
enum bf_mss_state {
	BF_MSS_NONE = 0, /* no MSS option */
	BF_MSS_FOUND, /* mss valid */
	BF_MSS_DROP, /* header or options unreadable: hotdrop */
};

/* pctx.rt6_state: what ipv6_find_hdr(NEXTHDR_ROUTING) and rt_mt6() find */
enum bf_rt6_state {
	BF_RT6_NONE = 0, /* no routing header (-ENOENT) */
	BF_RT6_FOUND, /* rt6_type, rt6_segsleft, rt6_hdrlen, rt6_res valid */
	BF_RT6_SHORT, /* packet shorter than the header's length: false */
	BF_RT6_DROP, /* header walk error: hotdrop */
	BF_RT6_FRAG, /* walk only: ended at a non-first fragment */
};

#define PCTX_OFF(f) ((int16_t)offsetof(struct bf_pctx, f))

/* Main-function stack layout (offsets from r10). */
#define STK_PCTX (-240)
#define STK_DYNPTR (-256)
/* 48 bytes: slice copies (IPv6 header = 40), in pctx.scratch */
#define STK_BUF (STK_PCTX + (int)offsetof(struct bf_pctx, scratch))
#define STK_WALK_OFF (-262) /* u16, deliberately not 8-aligned */
#define STK_WALK_NH (-259) /* u8 */
#define STK_SIZE 264
/* tc/XDP with conntrack state matches only: */
#define STK_TUPLE (-304) /* struct bpf_sock_tuple (ipv6: 36 bytes) */
#define STK_CTOPTS (-320) /* struct bpf_ct_opts (16 bytes) */
#define STK_CTX (-328) /* the program context, spilled */
#define STK_SIZE_CT 328

_Static_assert(STK_PCTX + (int)sizeof(struct bf_pctx) <= 0 &&
		       STK_DYNPTR + 16 <= STK_PCTX && STK_BUF + 48 <= 0 &&
		       STK_WALK_NH + 1 <= STK_DYNPTR &&
		       STK_WALK_OFF + 2 <= STK_WALK_NH &&
		       -STK_SIZE <= STK_WALK_OFF &&
		       STK_TUPLE + 40 <= -STK_SIZE &&
		       STK_CTOPTS + 16 <= STK_TUPLE &&
		       STK_CTX + 8 <= STK_CTOPTS && -STK_SIZE_CT <= STK_CTX,
	       "stack layout");

#endif /* BPFILTER_CGEN_PCTX_H */
