/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpfilter intermediate representation.
 *
 * The IR is independent of any front end: a ruleset holds chains, a chain
 * holds rules, a rule holds an ordered list of field-level matches and one
 * verdict. Front ends (iptables, nft) build it; checks validate it; the code
 * generator compiles it; printers turn it back into text.
 *
 * Contract shared by every stage:
 *  - Matches of a rule are evaluated in list order, and the first failing
 *    match ends the rule. Front ends order them as the kernel evaluates them
 *    (for iptables: addresses, interfaces, protocol, fragment flag, then the
 *    `-m` modules in command-line order), because a match may "hotdrop" the
 *    packet (drop it at once) and that depends on what was tested before.
 *  - A rule belongs to exactly one family (IPv4 or IPv6). One ruleset may
 *    hold rules of both families; a chain may hold both.
 *  - Integers in matches are in host byte order; addresses are in network
 *    byte order (as on the wire), IPv4 in the first 4 bytes of the 16.
 *  - Every match and rule keeps the source location it came from, so that
 *    checks and code generation can report `file:line`.
 *
 * Ownership: bf_ruleset owns its chains, chains own their rules, rules own
 * their matches. Free functions take `T **`, accept NULL, and set it to NULL.
 * Errors: functions return 0 or -errno; constructors return NULL with errno.
 */
#ifndef BPFILTER_IR_H
#define BPFILTER_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BF_IFNAMSIZ 16
#define BF_CHAIN_NAME_MAX 29 /* iptables' XT_EXTENSION_MAXNAMELEN - 1 */
#define BF_MULTIPORT_MAX 15 /* XT_MULTI_PORTS */
#define BF_COMMENT_MAX 256 /* XT_MAX_COMMENT_LEN */

enum bf_family {
	BF_FAMILY_INET4 = 0,
	BF_FAMILY_INET6,
	BF_FAMILY_COUNT,
};

/* The three filter-table hooks. Order is part of the ABI of pinned state. */
enum bf_hook {
	BF_HOOK_INPUT = 0,
	BF_HOOK_FORWARD,
	BF_HOOK_OUTPUT,
	BF_HOOK_COUNT,
};

enum bf_verdict_kind {
	BF_VERDICT_CONTINUE = 0, /* no target: count and go on with next rule */
	BF_VERDICT_ACCEPT,
	BF_VERDICT_DROP,
	BF_VERDICT_RETURN,
	BF_VERDICT_JUMP, /* -j CHAIN: call, come back on RETURN/fall-through */
	BF_VERDICT_GOTO, /* -g CHAIN: RETURN from CHAIN returns to our caller */
	/* Extension targets, parameters in bf_verdict.u. REJECT ends the
	 * packet's path (it is dropped after the reply is sent); the others
	 * act on the packet and go on with the next rule (XT_CONTINUE). */
	BF_VERDICT_REJECT, /* u.reject */
	BF_VERDICT_LOG, /* u.log */
	BF_VERDICT_NFLOG, /* u.nflog */
	BF_VERDICT_MARK, /* u.mark: mark = (mark & ~mask) ^ value */
	BF_VERDICT_CONNMARK, /* u.connmark */
	BF_VERDICT_TCPMSS, /* u.tcpmss */
	/* u.bpf: -j BPF --object FILE: a user function's return value is
	 * the verdict (include/bpfilter/usermatch.h). */
	BF_VERDICT_BPF,
	/* bpfilter's, for nft (text -j NFTNEXT): an accept in a base chain
	 * that another base chain follows on its hook. It ends the user
	 * chain the built-in chain jumped to, with every chain under it,
	 * and the built-in chain goes on with its next rule, as
	 * nf_hook_slow() goes on to the next hook function after an
	 * NF_ACCEPT (doc/front-nft.md). */
	BF_VERDICT_NFT_NEXT,
	BF_VERDICT_COUNT,
};

/* Where a match came from, so a printer can group it back into the
 * front end's syntax (an iptables `-m tcp` instance, for example).
 * `module` is a front-end-defined id (0 = built-in rule field such as -s),
 * `instance` numbers the module instances of one rule from 0. */
struct bf_origin {
	uint16_t module;
	uint16_t instance;
};

enum bf_match_type {
	/* L3 protocol field (IPv4 protocol / IPv6 upper-layer protocol found
	 * by walking extension headers as ipv6_find_hdr() does). For IPv6,
	 * a header walk error hotdrops, as ip6_packet_match() does.
	 * u.proto; proto 0 means "all" (only meaningful for IPv6, where it
	 * still triggers the header walk). */
	BF_MATCH_L4PROTO = 0,
	BF_MATCH_SADDR, /* u.addr */
	BF_MATCH_DADDR, /* u.addr */
	BF_MATCH_IIFNAME, /* u.iface */
	BF_MATCH_OIFNAME, /* u.iface */
	/* IPv4 only: packet is a non-first fragment (iptables -f). */
	BF_MATCH_FRAG,
	/* Transport header presence, as each xt match checks it before
	 * reading: fails on non-first fragments, hotdrops when fewer than
	 * u.l4hdr.min_len bytes follow the transport header offset, and
	 * (tcp_mt() only, IPv4 only) hotdrops fragments at offset 1.
	 * Emitted once per transport module instance. Never negated. */
	BF_MATCH_L4HDR,
	BF_MATCH_SPORT, /* u.ports: TCP/UDP source port range */
	BF_MATCH_DPORT, /* u.ports */
	BF_MATCH_TCPFLAGS, /* u.tcpflags: (flags & mask) == cmp */
	BF_MATCH_ICMP, /* u.icmp: ICMP (IPv4) or ICMPv6 (IPv6) type/code */
	BF_MATCH_MULTIPORT, /* u.multiport */
	BF_MATCH_SRANGE, /* u.range: source address range, inclusive */
	BF_MATCH_DRANGE, /* u.range */
	BF_MATCH_CTSTATE, /* u.ctstate: conntrack state bit mask */
	BF_MATCH_COMMENT, /* u.comment: matches everything */
	/* Matches of real-world rulesets (one IR match per iptables module
	 * instance; where the kernel inverts each option on its own, the
	 * inversion bits live in the payload and `neg` stays false). */
	BF_MATCH_LIMIT, /* u.limit (xt_limit) */
	BF_MATCH_HASHLIMIT, /* u.hashlimit (xt_hashlimit revision 3) */
	BF_MATCH_RECENT, /* u.recent (xt_recent revision 1) */
	BF_MATCH_CONNLIMIT, /* u.connlimit (xt_connlimit revision 1) */
	BF_MATCH_ADDRTYPE, /* u.addrtype (xt_addrtype revision 1) */
	BF_MATCH_MAC, /* u.mac: Ethernet source address */
	BF_MATCH_MARK, /* u.mark: (skb->mark & mask) == value */
	BF_MATCH_CONNMARK, /* u.mark: (ct->mark & mask) == value */
	BF_MATCH_OWNER, /* u.owner (xt_owner revision 1) */
	BF_MATCH_PKTTYPE, /* u.pkttype: skb->pkt_type (PACKET_HOST...) */
	/* u.length: IPv4 tot_len, IPv6 payload_len + 40 (length_mt()) */
	BF_MATCH_LENGTH,
	BF_MATCH_TTL, /* u.ttl: IPv4 TTL (xt ttl) or IPv6 hop limit (hl) */
	BF_MATCH_SET, /* u.set: ipset lookup */
	BF_MATCH_STATISTIC, /* u.statistic */
	/* u.length: value of the TCP MSS option; a packet without one matches
	 * only inverted (tcpmss_mt()) */
	BF_MATCH_TCPMSS,
	BF_MATCH_PHYSDEV, /* u.physdev: bridge ports */
	/* u.conntrack: an xt_conntrack instance (revision 3) beyond a plain
	 * state list, evaluated as conntrack_mt() does (a packet without a
	 * conntrack entry matches only if a state is asked for). A plain
	 * --ctstate list without SNAT/DNAT stays a BF_MATCH_CTSTATE. */
	BF_MATCH_CONNTRACK,
	BF_MATCH_TIME, /* u.time (xt_time) */
	/* u.rt: IPv6 routing header (ip6t_rt), found as
	 * ipv6_find_hdr(NEXTHDR_ROUTING) finds it; options inverted one by
	 * one (invflags), `neg` stays false. */
	BF_MATCH_RT,
	/* u.bpf: user BPF code (iptables -m bpf): a function of a BPF
	 * object file, classic BPF bytecode or a pinned program, described
	 * by bf_userbpf_get(u.bpf.ref) (include/bpfilter/userbpf.h); the
	 * rule matches when it returns non-zero. */
	BF_MATCH_BPF,
	/* u.nft_limit: nft's `limit rate` (nft_limit.c), a token bucket
	 * of nanoseconds, not xt_limit's (cgen/m_nftlimit.c). */
	BF_MATCH_NFT_LIMIT,
	/* u.ports: nft's `th sport` / `th dport`, the first / second 16
	 * bits at nft's transport offset whatever the protocol, read as
	 * nft_payload_fast_eval() does (also in a non-first fragment, see
	 * pctx.nft_* in cgen/pctx.h); without an L4 protocol or past the
	 * packet it does not match (NFT_BREAK): `neg` inverts the
	 * comparison only. */
	BF_MATCH_TH_SPORT,
	BF_MATCH_TH_DPORT,
	/* u.ifindex: nft's `meta iif` / `meta oif`, the input / output
	 * device's index (0 without one: no match, `!=` matches), the
	 * name resolved when the ruleset is loaded, as nft does. */
	BF_MATCH_IIF,
	BF_MATCH_OIF,
	/* nft's `ether daddr` (u.mac) and `ether type` (u.ethtype): the
	 * link-layer header as nft_payload_eval() reads it (cgen/m_ether.c):
	 * no Ethernet MAC header (netfilter output) means no match whatever
	 * `neg` says (NFT_BREAK); `neg` inverts the comparison only. */
	BF_MATCH_ETH_DADDR,
	BF_MATCH_ETH_TYPE,
	/* u.vlan: nft's `vlan id|pcp|dei` (cgen/m_ether.c): the 802.1Q tag
	 * nft_payload_copy_vlan() shows, with nft's dependency `ether type
	 * 8021q`; none (untagged, or netfilter hooks, where the tag is gone)
	 * means no match whatever `neg` says. */
	BF_MATCH_VLAN,
	/* u.dsfield: (DS field & mask) == value, `neg` inverts: the IPv4
	 * TOS byte, the IPv6 traffic class (ipv6_get_dsfield()). xt_dscp's
	 * dscp_mt() and tos_mt(), nft's `ip dscp` / `ip6 dscp`
	 * (cgen.c; pctx.dsfield). */
	BF_MATCH_DSFIELD,
	/* u.ecn: xt_ecn (ecn_mt4() / ecn_mt6()): the ECN bits of the DS
	 * field and the TCP header's ECE / CWR flags, each option inverted
	 * on its own (u.ecn.invert), `neg` stays false (cgen/m_ecn.c) */
	BF_MATCH_ECN,
	/* u.payload: nft's payload load, bitwise and and compare (`tcp
	 * window 8192`, `ip id 1-5`; cgen/m_payload.c): u.payload.len
	 * bytes at u.payload.off from the network or transport header
	 * (enum bf_payload_base), read as a big-endian number, & mask,
	 * within [lo, hi], `neg` inverting the comparison only. A header
	 * that cannot be read makes the rule not match whatever `neg`
	 * (nft_payload_eval(): NFT_BREAK): bytes past the packet; at the
	 * transport header, no transport protocol or, for a load that
	 * nft_payload_fast_eval() does not serve (3 bytes, unaligned), a
	 * non-first fragment. */
	BF_MATCH_PAYLOAD,
	/* u.u32: xt_u32's tests of packet bytes from the network header
	 * (u32_mt()), `neg` unused: u.u32.invert (cgen/m_payload.c) */
	BF_MATCH_U32,
	/* u.quota: xt_quota's quota_mt() (and nft's quota): the L3 bytes
	 * of the packets that reached the match, shared by all CPUs; it
	 * holds while they stay within u.quota.bytes (a packet that does
	 * not fit ends the quota), xor u.quota.invert (`!`, nft's `over`);
	 * `neg` unused (cgen/m_quota.c) */
	BF_MATCH_QUOTA,
	/* u.spi: xt_esp's esp_mt(), the ESP header's SPI (the first 32
	 * bits at the transport offset) within [lo, hi], xor `neg`; no
	 * match in a non-first fragment, hotdrop without 8 bytes of header
	 * (cgen/m_ecn.c) */
	BF_MATCH_ESP,
	/* u.policy: xt_policy's policy_mt(), the IPsec states that
	 * decapsulated the packet (--dir in: its sec_path) or will
	 * encapsulate it (--dir out: its route's xfrm bundle), read from
	 * the kernel at netfilter hooks (cgen/m_policy.c). `neg` unused. */
	BF_MATCH_POLICY,
	/* u.helper: xt_helper's helper_mt(), the name of the helper of
	 * the packet's conntrack entry's master (RELATED connections:
	 * ftp-data...), prefix-compared as the kernel does; `neg` for `!`
	 * (cgen/m_ctext.c) */
	BF_MATCH_HELPER,
	/* u.connbytes: xt_connbytes's connbytes_mt(), the packets, bytes
	 * or average packet size of the packet's conntrack entry
	 * (nf_conn_acct) in [from, to], or outside [to, from] when from >
	 * to (the kernel's inversion); no entry or no accounting: no
	 * match. `neg` unused (cgen/m_ctext.c). */
	BF_MATCH_CONNBYTES,
	/* IPv6 extension header matches (ip6t_frag.c, ip6t_hbh.c,
	 * ip6t_ah.c; cgen/m_exthdr.c): the first header of the type that
	 * ipv6_find_hdr() finds; a header walk error before it or an
	 * unreadable header hotdrops. Options are inverted one by one
	 * (invflags), `neg` stays false. */
	BF_MATCH_FRAG6, /* u.frag6 (-m frag) */
	BF_MATCH_OPTS6, /* u.opts6 (-m hbh, -m dst: u.opts6.dst) */
	BF_MATCH_AH, /* u.ah (-m ah: ip6t_ah.c, or ipt_ah.c for IPv4) */
	/* u.mh: ip6t_mh.c's mh_mt6(), the mobility header's type at the
	 * transport offset: no match in a non-first fragment, hotdrop
	 * without its 6 bytes or when its payload proto is not NONE */
	BF_MATCH_MH,
	BF_MATCH_COUNT,
};

/* xt_u32 (XT_U32_MAXSIZE tests, locations and values each) and the
 * operators of a location (XT_U32_AND, _LEFTSH, _RIGHTSH, _AT). A rule
 * whose numbers do not fit in BF_U32_WORDS words is refused. */
#define BF_U32_MAXSIZE 10
#define BF_U32_WORDS 48
enum bf_u32_op {
	BF_U32_AND = 0,
	BF_U32_LEFTSH,
	BF_U32_RIGHTSH,
	BF_U32_AT,
};

/* u.payload.base (nft's NFT_PAYLOAD_NETWORK_HEADER, _TRANSPORT_HEADER) */
enum bf_payload_base {
	BF_PAYLOAD_NH = 0,
	BF_PAYLOAD_TH,
};

/* u.vlan.field: which bits of the tag (TCI) */
enum bf_vlan_field {
	BF_VLAN_ID, /* bits 0-11 */
	BF_VLAN_PCP, /* bits 13-15 */
	BF_VLAN_DEI, /* bit 12 (cfi) */
	/* the type after the tag (nft's `vlan type`), not in the TCI: lo,
	 * hi are ethertypes in host order */
	BF_VLAN_TYPE,
};

/* xt_limit's rate: the values limit_mt_check() derives from the user's
 * xt_rateinfo. avg is the period between packets in 1/10000 s
 * (XT_LIMIT_SCALE), burst the bucket size in packets. credit_cap and cost
 * are user2credits(avg * burst) and user2credits(avg) for a kernel of
 * `hz` ticks per second (bf_limit_credits()). */
#define BF_LIMIT_SCALE 10000
struct bf_limit {
	uint32_t avg;
	uint32_t burst;
	uint32_t credit_cap;
	uint32_t cost;
	uint32_t credits_per_jiffy;
	uint32_t hz;
};

/* nft's limit statement as the kernel gets it (NFTA_LIMIT_*): `rate`
 * packets (or bytes) per `unit` seconds, `burst` packets (0: 5) or bytes
 * beyond the rate; `over` (NFT_LIMIT_F_INV) matches what exceeds it. */
struct bf_nft_limit {
	uint64_t rate;
	uint64_t unit;
	uint32_t burst;
	bool bytes;
	bool over;
	/* 0: the bucket is the program's own; N: bucket N of the ruleset,
	 * one for every program of the slot (BF_RELOC_NFTBUCKET), for a
	 * statement lowered into several programs (cgen/m_nftlimit.h) */
	uint16_t bucket;
};

/* The bucket nft_limit_init() derives, in nanoseconds: *tokens_max (the
 * bucket size, where it starts) and, for packets, *cost per packet (for
 * bytes the cost is unit * 1e9 * skb->len / rate, per packet). -EINVAL
 * for rate 0, -EOVERFLOW where the kernel's arithmetic overflows (both
 * refused by the kernel). */
int bf_nft_limit_bucket(const struct bf_nft_limit *l, uint64_t *tokens_max,
			uint64_t *cost);

/* Compute credit_cap, cost and credits_per_jiffy of `l` from avg, burst
 * and hz as limit_mt_check() and user2credits() in
 * net/netfilter/xt_limit.c do; -ERANGE where the kernel refuses the rate
 * (burst 0, or avg * burst overflowing the credits). */
int bf_limit_credits(struct bf_limit *l);

#define BF_HASHLIMIT_NAME_MAX 32 /* XT_HASHLIMIT_NAME_LEN, NUL included */
/* hashlimit mode bits (XT_HASHLIMIT_HASH_*, _INVERT, _BYTES, _RATE_MATCH) */
enum bf_hashlimit_mode {
	BF_HASHLIMIT_HASH_DIP = 1 << 0,
	BF_HASHLIMIT_HASH_DPT = 1 << 1,
	BF_HASHLIMIT_HASH_SIP = 1 << 2,
	BF_HASHLIMIT_HASH_SPT = 1 << 3,
	BF_HASHLIMIT_INVERT = 1 << 4, /* --hashlimit-above */
	BF_HASHLIMIT_BYTES = 1 << 5, /* rate in bytes (avg is a cost) */
	BF_HASHLIMIT_RATE_MATCH = 1 << 6,
};

#define BF_RECENT_NAME_MAX 200 /* XT_RECENT_NAME_LEN, NUL included */
enum bf_recent_flags {
	BF_RECENT_CHECK = 1 << 0,
	BF_RECENT_SET = 1 << 1,
	BF_RECENT_UPDATE = 1 << 2,
	BF_RECENT_REMOVE = 1 << 3,
	BF_RECENT_TTL = 1 << 4,
	BF_RECENT_REAP = 1 << 5,
};

/* addrtype types: 1 << RTN_* as xt_addrtype.h (UNSPEC is 1 << 0). */
enum bf_addrtype_flags {
	BF_ADDRTYPE_INVERT_SOURCE = 1 << 0,
	BF_ADDRTYPE_INVERT_DEST = 1 << 1,
	BF_ADDRTYPE_LIMIT_IFACE_IN = 1 << 2,
	BF_ADDRTYPE_LIMIT_IFACE_OUT = 1 << 3,
};

/* owner bits, for both `match` and `invert` (XT_OWNER_*) */
enum bf_owner_flags {
	BF_OWNER_UID = 1 << 0,
	BF_OWNER_GID = 1 << 1,
	BF_OWNER_SOCKET = 1 << 2,
	BF_OWNER_SUPPL_GROUPS = 1 << 3,
};

enum bf_ttl_op {
	BF_TTL_EQ = 0,
	BF_TTL_NE,
	BF_TTL_LT,
	BF_TTL_GT,
};

#define BF_SET_NAME_MAX 32 /* IPSET_MAXNAMELEN, NUL included */
#define BF_SET_DIM_MAX 6 /* IPSET_DIM_MAX */
/* bf_match.u.set.vop */
#define BF_SET_VOP_LOOKUP 1
#define BF_SET_VOP_IS 2

enum bf_statistic_mode {
	BF_STATISTIC_RANDOM = 0,
	BF_STATISTIC_NTH,
};

/* physdev bits, for `bitmask` and `invert` (XT_PHYSDEV_OP_*) */
enum bf_physdev_flags {
	BF_PHYSDEV_IN = 1 << 0,
	BF_PHYSDEV_OUT = 1 << 1,
	BF_PHYSDEV_BRIDGED = 1 << 2,
	BF_PHYSDEV_ISIN = 1 << 3,
	BF_PHYSDEV_ISOUT = 1 << 4,
};

/* REJECT replies (ipt_REJECT / ip6t_REJECT `with`): the ICMP ones are
 * per family, TCP reset exists in both. */
enum bf_reject_with {
	BF_REJECT_ICMP_NET_UNREACHABLE = 0,
	BF_REJECT_ICMP_HOST_UNREACHABLE,
	BF_REJECT_ICMP_PORT_UNREACHABLE,
	BF_REJECT_ICMP_PROTO_UNREACHABLE,
	BF_REJECT_ICMP_NET_PROHIBITED,
	BF_REJECT_ICMP_HOST_PROHIBITED,
	BF_REJECT_ICMP_ADMIN_PROHIBITED,
	BF_REJECT_TCP_RESET,
	BF_REJECT_ICMP6_NO_ROUTE,
	BF_REJECT_ICMP6_ADM_PROHIBITED,
	BF_REJECT_ICMP6_ADDR_UNREACHABLE,
	BF_REJECT_ICMP6_PORT_UNREACHABLE,
	BF_REJECT_ICMP6_POLICY_FAIL,
	BF_REJECT_ICMP6_REJECT_ROUTE,
	BF_REJECT_COUNT,
};

/* LOG flags (XT_LOG_*) */
enum bf_log_flags {
	BF_LOGF_TCPSEQ = 0x01,
	BF_LOGF_TCPOPT = 0x02,
	BF_LOGF_IPOPT = 0x04,
	BF_LOGF_UID = 0x08,
	BF_LOGF_MACDECODE = 0x20,
};
#define BF_LOG_PREFIX_MAX 30 /* ipt_log_info prefix, NUL included */
#define BF_NFLOG_PREFIX_MAX 64 /* xt_nflog_info prefix, NUL included */

enum bf_connmark_mode {
	BF_CONNMARK_SET = 0, /* ctmark = (ctmark & ~ctmask) ^ ctmark_value */
	BF_CONNMARK_SAVE, /* ctmark from the packet mark */
	BF_CONNMARK_RESTORE, /* packet mark from ctmark */
};

#define BF_TCPMSS_CLAMP_PMTU 0xffff /* XT_TCPMSS_CLAMP_PMTU */

/* xt_conntrack's match_flags / invert_flags bits (XT_CONNTRACK_*) */
enum bf_conntrack_flags {
	BF_CT_STATE = 1 << 0,
	BF_CT_PROTO = 1 << 1,
	BF_CT_ORIGSRC = 1 << 2,
	BF_CT_ORIGDST = 1 << 3,
	BF_CT_REPLSRC = 1 << 4,
	BF_CT_REPLDST = 1 << 5,
	BF_CT_STATUS = 1 << 6,
	BF_CT_EXPIRES = 1 << 7,
	BF_CT_ORIGSRC_PORT = 1 << 8,
	BF_CT_ORIGDST_PORT = 1 << 9,
	BF_CT_REPLSRC_PORT = 1 << 10,
	BF_CT_REPLDST_PORT = 1 << 11,
	BF_CT_DIRECTION = 1 << 12, /* inverted: REPLY */
	/* bpfilter's (nft `ct status == V`): ct->status equals status_mask;
	 * no match without an entry, inverted or not */
	BF_CT_STATUS_EQ = 1 << 13,
};

/* The kernel's state bits for u.conntrack.state_mask
 * (XT_CONNTRACK_STATE_BIT(), _INVALID, _SNAT, _DNAT, _UNTRACKED): note
 * that UNTRACKED differs from enum bf_ctstate. */
enum bf_ct_state_bits {
	BF_CT_STATE_INVALID = 1 << 0,
	BF_CT_STATE_ESTABLISHED = 1 << 1,
	BF_CT_STATE_RELATED = 1 << 2,
	BF_CT_STATE_NEW = 1 << 3,
	BF_CT_STATE_SNAT = 1 << 6,
	BF_CT_STATE_DNAT = 1 << 7,
	BF_CT_STATE_UNTRACKED = 1 << 8,
};

/* xt_policy (XT_POLICY_*): flags, and the bits of an element's
 * match / invert */
#define BF_POLICY_MAX_ELEM 4 /* XT_POLICY_MAX_ELEM */
enum bf_policy_flags {
	BF_POLICY_IN = 1 << 0, /* --dir in (else --dir out) */
	BF_POLICY_OUT = 1 << 1,
	BF_POLICY_NONE = 1 << 2, /* --pol none (else --pol ipsec) */
	BF_POLICY_STRICT = 1 << 3,
};
enum bf_policy_elem {
	BF_POLICY_E_SADDR = 1 << 0, /* --tunnel-src */
	BF_POLICY_E_DADDR = 1 << 1, /* --tunnel-dst */
	BF_POLICY_E_PROTO = 1 << 2,
	BF_POLICY_E_MODE = 1 << 3,
	BF_POLICY_E_SPI = 1 << 4,
	BF_POLICY_E_REQID = 1 << 5,
};

/* xt_connbytes (XT_CONNBYTES_*) */
enum bf_connbytes_what {
	BF_CONNBYTES_PKTS = 0,
	BF_CONNBYTES_BYTES,
	BF_CONNBYTES_AVGPKT,
};
enum bf_connbytes_dir {
	BF_CONNBYTES_DIR_ORIGINAL = 0,
	BF_CONNBYTES_DIR_REPLY,
	BF_CONNBYTES_DIR_BOTH,
};

/* xt_time flags (XT_TIME_*) and defaults */
enum bf_time_flags {
	BF_TIME_LOCAL_TZ = 1 << 0, /* --kerneltz */
	BF_TIME_CONTIGUOUS = 1 << 1,
};
#define BF_TIME_ALL_MONTHDAYS 0xfffffffeu /* bit d: day d of the month */
#define BF_TIME_ALL_WEEKDAYS 0xfeu /* bit d: Monday = 1 .. Sunday = 7 */
#define BF_TIME_MAX_DAYTIME (24 * 60 * 60 - 1)

/* ip6t_rt flags and invflags (IP6T_RT_*) */
enum bf_rt_flags {
	BF_RT_TYP = 0x01,
	BF_RT_SGS = 0x02,
	BF_RT_LEN = 0x04,
	BF_RT_RES = 0x08,
	BF_RT_FST = 0x10,
	BF_RT_FST_NSTRICT = 0x20,
	/* bpfilter's (nft `rt type`, text --rt-nft): the type byte
	 * compared when readable, else no match; no hotdrop, no length
	 * check (nft_exthdr_ipv6_eval()); only with BF_RT_TYP */
	BF_RT_NFT = 0x40,
};
enum bf_rt_invflags {
	BF_RT_INV_TYP = 0x01,
	BF_RT_INV_SGS = 0x02,
	BF_RT_INV_LEN = 0x04,
};
#define BF_RT_HOPS 16 /* IP6T_RT_HOPS */

/* ip6t_frag flags and invflags (IP6T_FRAG_*) */
enum bf_frag6_flags {
	BF_FRAG6_IDS = 0x01,
	BF_FRAG6_LEN = 0x02,
	BF_FRAG6_RES = 0x04,
	BF_FRAG6_FST = 0x08,
	BF_FRAG6_MF = 0x10,
	BF_FRAG6_NMF = 0x20,
};
enum bf_frag6_invflags {
	BF_FRAG6_INV_IDS = 0x01,
	BF_FRAG6_INV_LEN = 0x02,
};

/* ip6t_opts flags and invflags (IP6T_OPTS_*) */
enum bf_opts6_flags {
	BF_OPTS6_LEN = 0x01,
	BF_OPTS6_OPTS = 0x02,
	BF_OPTS6_NSTRICT = 0x04,
};
#define BF_OPTS6_INV_LEN 0x01
#define BF_OPTS6_MAX 16 /* IP6T_OPTS_OPTSNR */

/* ip6t_ah / ipt_ah invflags (IP6T_AH_INV_*) */
enum bf_ah_invflags {
	BF_AH_INV_SPI = 0x01,
	BF_AH_INV_LEN = 0x02,
};

/* xt_ecn operation and invert bits (XT_ECN_OP_MATCH_*) */
enum bf_ecn_flags {
	BF_ECN_IP = 0x01,
	BF_ECN_ECE = 0x10,
	BF_ECN_CWR = 0x20,
};

/* conntrack status bits for u.conntrack.status_mask (IPS_*) */
enum bf_ct_status_bits {
	BF_CT_STATUS_EXPECTED = 1 << 0,
	BF_CT_STATUS_SEEN_REPLY = 1 << 1,
	BF_CT_STATUS_ASSURED = 1 << 2,
	BF_CT_STATUS_CONFIRMED = 1 << 3,
	/* not in xt_conntrack's --ctstatus names: bpfilter's iptables text
	 * spells them SRC_NAT, DST_NAT, DYING (nft's ct status) */
	BF_CT_STATUS_SRC_NAT = 1 << 4,
	BF_CT_STATUS_DST_NAT = 1 << 5,
	BF_CT_STATUS_DYING = 1 << 9,
};

/* Conntrack state bits, as XT_CONNTRACK_STATE_BIT() computes them. */
enum bf_ctstate {
	BF_CTSTATE_INVALID = 1u << 0,
	BF_CTSTATE_ESTABLISHED = 1u << 1,
	BF_CTSTATE_RELATED = 1u << 2,
	BF_CTSTATE_NEW = 1u << 3,
	BF_CTSTATE_UNTRACKED = 1u << 4,
};

enum bf_multiport_dir {
	BF_MULTIPORT_SRC = 0,
	BF_MULTIPORT_DST,
	BF_MULTIPORT_EITHER,
};

/* bf_match.nft: how a match evaluates (doc/front-nft.md, "nft
 * evaluation"). BF_NFT_OFF is iptables' (the IR's default); the others
 * come from the nft front end and exist for L4PROTO, L4HDR, SPORT, DPORT,
 * TCPFLAGS and ICMP only. */
enum bf_nft_mode {
	BF_NFT_OFF = 0,
	/* nft's payload and meta expressions: a header that cannot be read
	 * makes the rule not match (NFT_BREAK, whatever `neg`), nothing
	 * hotdrops. L4HDR: fails unless u.l4hdr.min_len bytes of the
	 * transport header can be read (nft_payload_eval()); IPv6 L4PROTO:
	 * `meta l4proto`, the protocol of nft_set_pktinfo_ipv6()'s walk,
	 * which stops at AH (IP6_FH_F_AUTH). */
	BF_NFT_BREAK,
	/* L4PROTO only, IPv6 only: `ip6 nexthdr`, the IPv6 header's own
	 * next header field (no walk). */
	BF_NFT_RAW,
};

struct bf_match {
	enum bf_match_type type;
	bool neg; /* `!`: result inverted (never for L4HDR, COMMENT) */
	uint8_t nft; /* enum bf_nft_mode */
	struct bf_origin origin;
	int line; /* source line, 0 if unknown */
	union {
		uint8_t proto;
		struct {
			uint8_t addr[16]; /* already masked */
			uint8_t mask[16];
		} addr;
		struct {
			char name[BF_IFNAMSIZ]; /* as written, '+' kept */
			/* bytes of name compared: strlen+1 for an exact name
			 * (the NUL must match too), strlen-1 for "eth+",
			 * 0 for "+" (matches any interface and none). */
			uint8_t cmp_len;
		} iface;
		struct {
			uint8_t proto; /* IPPROTO_TCP/UDP/ICMP/ICMPV6, ... */
			uint8_t min_len; /* bytes needed after the L4 offset */
			bool hotdrop_frag1; /* tcp_mt(): fragoff == 1 drops */
		} l4hdr;
		struct {
			uint16_t lo, hi;
		} ports;
		struct {
			uint8_t mask, cmp;
		} tcpflags;
		struct {
			/* IPv4: type 0xff matches every type and code, whatever
			 * code_lo/hi (icmp_type_code_match()); IPv6 has no
			 * such wildcard. */
			uint8_t type, code_lo, code_hi;
		} icmp;
		struct {
			enum bf_multiport_dir dir;
			uint8_t count; /* number of entries in ports[] */
			uint16_t ports[BF_MULTIPORT_MAX];
			/* is_range[i]: ports[i]..ports[i+1] is a range, and
			 * entry i+1 is its upper end (xt_multiport v1). */
			bool is_range[BF_MULTIPORT_MAX];
		} multiport;
		struct {
			uint8_t lo[16], hi[16];
		} range;
		struct {
			uint32_t mask; /* enum bf_ctstate bits */
		} ctstate;
		char comment[BF_COMMENT_MAX];
		struct bf_limit limit;
		struct bf_nft_limit nft_limit;
		struct {
			uint32_t index;
		} ifindex;
		struct {
			uint16_t type; /* host byte order */
		} ethtype;
		struct {
			uint8_t field; /* enum bf_vlan_field */
			uint16_t lo, hi; /* inclusive */
		} vlan;
		struct {
			/* hashlimit_cfg3: avg in 1/1000000 s
			 * (XT_HASHLIMIT_SCALE_v2), or a byte cost with
			 * BF_HASHLIMIT_BYTES; expire and gc_interval in ms. */
			uint64_t avg, burst;
			uint32_t mode; /* enum bf_hashlimit_mode */
			uint32_t size, max, gc_interval, expire, interval;
			uint8_t srcmask, dstmask;
			char name[BF_HASHLIMIT_NAME_MAX];
		} hashlimit;
		struct {
			uint32_t seconds, hit_count;
			uint8_t check_set; /* enum bf_recent_flags */
			bool invert, side_dest; /* --rdest (else --rsource) */
			char name[BF_RECENT_NAME_MAX];
			uint8_t mask[16];
		} recent;
		struct {
			uint8_t mask[16]; /* grouping mask */
			uint32_t limit;
			bool invert, daddr; /* --connlimit-daddr */
		} connlimit;
		struct {
			uint16_t source, dest; /* 1 << RTN_* bits, 0: any */
			uint32_t flags; /* enum bf_addrtype_flags */
		} addrtype;
		struct {
			uint8_t addr[6];
		} mac;
		struct {
			uint32_t value, mask;
		} mark;
		struct {
			uint32_t uid_min, uid_max, gid_min, gid_max;
			uint8_t match, invert; /* enum bf_owner_flags */
		} owner;
		struct {
			uint8_t pkttype; /* PACKET_HOST, _BROADCAST, ... */
		} pkttype;
		struct {
			uint16_t min, max;
		} length;
		struct {
			enum bf_ttl_op op;
			uint8_t value;
		} ttl;
		struct {
			char name[BF_SET_NAME_MAX];
			uint8_t dim; /* number of directions */
			/* bit i: dimension i+1 is "dst" (else "src") */
			uint8_t flags;
			/* xt_set revision 4 options beyond the lookup */
			bool return_nomatch, no_update_counters,
				no_update_subcounters;
			/* nft verdict maps with chains (bf_set.nft_jmap,
			 * doc/front-nft.md): BF_SET_VOP_LOOKUP holds when
			 * the found element's verdict kind (data >> 24) is
			 * a bit of vkinds, and keeps its data for the
			 * BF_SET_VOP_IS matches of the dispatch chain the
			 * rule jumps to, which hold when it equals vdata
			 * (no lookup). 0: a plain lookup. */
			uint8_t vop;
			uint8_t vkinds;
			uint32_t vdata;
		} set;
		struct {
			enum bf_statistic_mode mode;
			bool invert;
			uint32_t probability; /* of 0x80000000 */
			uint32_t every, packet; /* every is N - 1 */
		} statistic;
		struct {
			char physindev[BF_IFNAMSIZ], physoutdev[BF_IFNAMSIZ];
			uint8_t bitmask, invert; /* enum bf_physdev_flags */
		} physdev;
		struct {
			/* address / mask pairs, network byte order */
			uint8_t origsrc[16], origsrc_mask[16];
			uint8_t origdst[16], origdst_mask[16];
			uint8_t replsrc[16], replsrc_mask[16];
			uint8_t repldst[16], repldst_mask[16];
			uint32_t expires_min, expires_max; /* seconds */
			/* port ranges, host byte order */
			uint16_t origsrc_port[2], origdst_port[2];
			uint16_t replsrc_port[2], repldst_port[2];
			uint16_t match_flags,
				invert_flags; /* bf_conntrack_flags */
			uint16_t state_mask; /* enum bf_ct_state_bits */
			uint16_t status_mask; /* enum bf_ct_status_bits */
			uint8_t l4proto;
		} conntrack;
		struct {
			/* seconds since the epoch (UTC), as xt_time_info */
			uint32_t date_start, date_stop;
			uint32_t daytime_start, daytime_stop; /* s of day */
			uint32_t monthdays_match;
			uint8_t weekdays_match;
			uint8_t flags; /* enum bf_time_flags */
		} time;
		struct {
			/* struct ip6t_rt: segsleft range, header length in
			 * bytes (ipv6_optlen()), type */
			uint32_t rt_type, segsleft[2], hdrlen;
			uint8_t flags, invflags; /* bf_rt_(inv)flags */
			uint8_t addrnr;
			uint8_t addrs[BF_RT_HOPS][16];
		} rt;
		struct {
			uint32_t ref; /* bf_userbpf_get() */
		} bpf;
		struct {
			uint8_t mask, value;
		} dsfield;
		struct {
			/* enum bf_ecn_flags (XT_ECN_OP_MATCH_*) */
			uint8_t operation, invert;
			uint8_t ip_ect; /* 0-3 */
		} ecn;
		struct {
			uint32_t lo, hi; /* inclusive, host order */
		} spi;
		struct {
			uint8_t base; /* enum bf_payload_base */
			uint8_t len; /* 1 to 4 bytes */
			uint16_t off; /* bytes from the header */
			uint32_t mask, lo, hi; /* host order */
		} payload;
		struct {
			/* struct xt_u32 in a flat form: test t has nnums[t]
			 * location numbers (the first one a position, each
			 * next one applied with ops[] of its word), then
			 * nvals[t] (min, max) pairs, in w[] one test after
			 * the other */
			uint8_t ntests;
			uint8_t nnums[BF_U32_MAXSIZE], nvals[BF_U32_MAXSIZE];
			uint8_t ops[BF_U32_WORDS]; /* enum bf_u32_op */
			uint32_t w[BF_U32_WORDS];
			bool invert;
		} u32;
		struct {
			uint64_t bytes;
			bool invert;
		} quota;
		struct {
			/* struct xt_policy_elem: tunnel addresses and masks
			 * (network order), spi as xt_policy compares it
			 * (with the state's __be32 as it lies in memory),
			 * reqid, proto, mode (0 transport, 1 tunnel), and
			 * bf_policy_elem bits of what to test / invert */
			struct {
				uint8_t saddr[16], smask[16];
				uint8_t daddr[16], dmask[16];
				uint32_t spi, reqid;
				uint8_t proto, mode, match, invert;
			} pol[BF_POLICY_MAX_ELEM];
			uint16_t flags; /* enum bf_policy_flags */
			uint16_t len; /* elements in pol[] */
		} policy;
		struct {
			char name[30]; /* struct xt_helper_info */
			/* nft's `ct helper "NAME"` (nft_ct_get_eval()):
			 * the whole name compared, and no entry, master or
			 * helper is no match whatever `neg` (NFT_BREAK) */
			bool nft;
		} helper;
		struct {
			uint64_t from, to;
			uint8_t what; /* enum bf_connbytes_what */
			uint8_t dir; /* enum bf_connbytes_dir */
		} connbytes;
		struct {
			/* struct ip6t_frag: identification range, header
			 * length (never tested by frag_mt6()) */
			uint32_t ids[2], hdrlen;
			uint8_t flags, invflags; /* bf_frag6_(inv)flags */
		} frag6;
		struct {
			/* struct ip6t_opts: header length in bytes
			 * (ipv6_optlen()), the option list: type << 8 |
			 * length, length 0xff for any */
			uint32_t hdrlen;
			uint16_t opts[BF_OPTS6_MAX];
			uint8_t flags, invflags; /* bf_opts6_flags */
			uint8_t optsnr;
			bool dst; /* -m dst (else -m hbh) */
		} opts6;
		struct {
			/* struct ip6t_ah / ipt_ah: SPI range, (IPv6) header
			 * length in bytes (ipv6_authlen()), reserved field
			 * must be zero */
			uint32_t spis[2], hdrlen;
			uint8_t hdrres, invflags; /* enum bf_ah_invflags */
		} ah;
		struct {
			uint8_t types[2]; /* inclusive range */
			bool invert; /* IP6T_MH_INV_TYPE */
		} mh;
	} u;
};

struct bf_verdict {
	enum bf_verdict_kind kind;
	char chain[BF_CHAIN_NAME_MAX + 1]; /* JUMP / GOTO target */
	/* Parameters of the extension targets. */
	union {
		struct {
			enum bf_reject_with with;
		} reject;
		struct {
			uint8_t level; /* syslog level 0..7, default 4 */
			uint8_t flags; /* enum bf_log_flags */
			char prefix[BF_LOG_PREFIX_MAX];
		} log;
		struct {
			uint32_t len; /* --nflog-size / --nflog-range */
			uint16_t group, threshold;
			bool copy_len; /* --nflog-size (XT_NFLOG_F_COPY_LEN) */
			char prefix[BF_NFLOG_PREFIX_MAX];
		} nflog;
		struct {
			uint32_t value, mask;
		} mark;
		struct {
			enum bf_connmark_mode mode;
			uint32_t ctmark, ctmask, nfmask;
			uint8_t shift_dir; /* 0 left, 1 right (revision 2) */
			uint8_t shift_bits;
		} connmark;
		struct {
			uint16_t mss; /* BF_TCPMSS_CLAMP_PMTU: path MTU */
		} tcpmss;
		struct {
			uint32_t ref; /* bf_userbpf_get() */
		} bpf;
	} u;
};

struct bf_counter {
	uint64_t packets;
	uint64_t bytes;
};

struct bf_rule {
	enum bf_family family;
	struct bf_match *matches;
	size_t n_matches;
	struct bf_verdict verdict;
	struct bf_counter counter; /* initial counters ([p:b] / -c), if any */
	const char *file; /* borrowed from the ruleset's file name table */
	int line;
	/* Filled by bf_ruleset_number(): index of this rule's counter. */
	uint32_t counter_idx;
};

/* A chain belongs to one family: iptables and ip6tables have separate
 * filter tables, so "INPUT" of IPv4 and "INPUT" of IPv6 are two chains, and
 * user chains of the same name in both are unrelated. */
struct bf_chain {
	char name[BF_CHAIN_NAME_MAX + 1];
	enum bf_family family;
	bool builtin;
	enum bf_hook hook; /* valid if builtin */
	/* Policy of a built-in chain: ACCEPT or DROP. */
	enum bf_verdict_kind policy;
	struct bf_counter policy_counter;
	/* Filled by bf_ruleset_number(): index of the policy counter. */
	uint32_t policy_counter_idx;
	struct bf_rule *rules;
	size_t n_rules;
	size_t cap_rules;
	int line;
};

/* The filter table of both families. bf_ruleset_new() creates the six
 * built-in chains (INPUT, FORWARD, OUTPUT for IPv4 then IPv6, in that
 * order, policy ACCEPT); bf_ruleset_builtin() finds them. */
struct bf_ruleset {
	struct bf_chain *chains;
	size_t n_chains;
	size_t cap_chains;
	/* Which families' tables the input declared (bit 1 << family). A
	 * family the input does not mention is left unfiltered (no program
	 * is attached for it). */
	unsigned int families;
	/* Total counters after bf_ruleset_number(). */
	uint32_t n_counters;
	char **files; /* file name table, owned */
	size_t n_files;
	/* Named sets (include/bpfilter/set.h), owned; referred to by name
	 * from BF_MATCH_SET. */
	struct bf_set *sets;
	size_t n_sets, cap_sets;
	/* Optional, not owned: the canonical iptables-save text a family was
	 * read from and the interned file name (bf_ruleset_intern_file()) its
	 * rules carry; rule->line of a rule with that file is its line in the
	 * text. Set by bf_edit() around its callback (the state in force), so
	 * that -D/-C by specification compare text lines instead of printing
	 * every rule. NULL: unknown. */
	const char *src_text[BF_FAMILY_COUNT];
	const char *src_file[BF_FAMILY_COUNT];
};

struct bf_ruleset *bf_ruleset_new(void);
void bf_ruleset_free(struct bf_ruleset **rs);

/* Find a chain of a family by name; NULL if absent. */
struct bf_chain *bf_ruleset_chain(const struct bf_ruleset *rs,
				  enum bf_family family, const char *name);
struct bf_chain *bf_ruleset_builtin(const struct bf_ruleset *rs,
				    enum bf_family family, enum bf_hook hook);
/* Add a user chain; -EEXIST if a chain of that name exists in the family,
 * -EINVAL for a bad name. *out (optional) receives the chain. Pointers to
 * chains are invalidated by the next bf_ruleset_add_chain(). */
int bf_ruleset_add_chain(struct bf_ruleset *rs, enum bf_family family,
			 const char *name, int line, struct bf_chain **out);
/* Remove a user chain (it must be empty and unreferenced: -EBUSY). */
int bf_ruleset_del_chain(struct bf_ruleset *rs, enum bf_family family,
			 const char *name);
/* Store a file name, returning a pointer owned by the ruleset. */
const char *bf_ruleset_intern_file(struct bf_ruleset *rs, const char *file);

/* Append or insert (at 0-based pos, pos <= n_rules) a rule; the chain takes
 * ownership of rule->matches (the struct itself is copied). */
int bf_chain_add_rule(struct bf_chain *chain, struct bf_rule *rule);
int bf_chain_insert_rule(struct bf_chain *chain, size_t pos,
			 struct bf_rule *rule);
/* Add one match to a rule (copied). */
int bf_rule_add_match(struct bf_rule *rule, const struct bf_match *m);
void bf_rule_release(struct bf_rule *rule);

/* Assign counter indices: the policy counters of the built-in chains first,
 * then one per rule, in chain order. Deterministic for a given ruleset. */
void bf_ruleset_number(struct bf_ruleset *rs);

const char *bf_hook_name(enum bf_hook hook);
const char *bf_family_name(enum bf_family family);
const char *bf_verdict_name(enum bf_verdict_kind kind);
/* Short lower-case name of a match type ("limit", "saddr"), for messages. */
const char *bf_match_name(enum bf_match_type type);

#endif /* BPFILTER_IR_H */
