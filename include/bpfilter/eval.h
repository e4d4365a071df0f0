/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An interpreter of the IR: the verdict netfilter's filter table would give
 * one packet, and the path that led to it (chains entered, rules tested,
 * the match that failed, jumps, returns, policies).
 *
 * It follows the semantics the code generator implements (doc/codegen.md):
 * first match wins; -j calls, -g replaces the current chain, RETURN and the
 * end of a user chain go back to the caller; a built-in chain's RETURN, its
 * end, and a -g target that returns to it give its policy
 * (ipt_do_table()); hotdrops (IPv6 header walk failure for a rule with a
 * protocol, short or offset-1 transport headers) drop the packet at once
 * and count nothing. It is a second, independent oracle for the code
 * generator, and the engine of `bpfilter trace`.
 *
 * Match types it does not model (hashlimit, owner, time, ...), or that
 * need a fact about the packet the caller did not give (its device
 * index, link-layer header, conntrack entry: bf_eval_pkt.known) or state
 * (xt limits, random statistic) stop the evaluation with -EOPNOTSUPP and
 * the match in the result: it never guesses. nft's limit and nth
 * statistic are modelled when the caller keeps their state (bf_eval_at()).
 */
#ifndef BPFILTER_EVAL_H
#define BPFILTER_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfilter/ir.h"

/* The parsed packet: the fields of the code generator's packet context
 * (src/lib/cgen/pctx.h). */
struct bf_eval_pkt {
	enum bf_family family;
	uint8_t saddr[16], daddr[16]; /* network order, IPv4 in bytes 0-3 */
	/* state->in / state->out names; all zeros: no device */
	char iif[BF_IFNAMSIZ], oif[BF_IFNAMSIZ];
	uint32_t len; /* L3 length: what the counters add */
	uint16_t iplen; /* IPv4 tot_len; IPv6 payload_len + 40 */
	uint8_t ttl; /* TTL / hop limit */
	uint8_t dsfield; /* IPv4 TOS byte / IPv6 traffic class */
	uint8_t l4proto; /* IPv4 protocol; IPv6 after the header walk */
	/* IPv4: frag_off & 0x1fff; IPv6: ipv6_find_hdr()'s fragment offset
	 * (bytes, nonzero only for a non-first fragment) */
	uint16_t fragoff;
	bool l6err; /* IPv6: the extension header walk failed */
	/* IPv6, for nft evaluation (enum bf_nft_mode): the header walk met
	 * a readable AH header, where nft_set_pktinfo_ipv6() stops; the
	 * IPv6 header's next header field */
	bool nft_ah;
	uint8_t nexthdr6;
	/* What nft's transport payload loads read (cgen/pctx.h): the bytes
	 * from nft's transport offset (IPv4 ihl * 4; IPv6 the walk's, the
	 * AH header's, 0 for a non-first fragment; none on a walk error),
	 * and the first two 16-bit words and byte 13 there */
	uint32_t nft_avail;
	uint16_t nft_sport, nft_dport;
	uint8_t nft_flags;
	uint32_t avail; /* bytes from the transport offset to the end */
	uint16_t sport, dport; /* host order; if avail >= 2 (>= 4) */
	uint8_t tcpflags; /* byte 13 after the transport offset */
	uint8_t icmp_type, icmp_code;
	uint32_t ctstate; /* one enum bf_ctstate bit (0 counts as none) */
	uint32_t mark; /* skb->mark */
	/* Facts beyond the IP packet, each valid only with its bit in
	 * `known` (enum bf_eval_know): a match that needs a fact the
	 * caller did not give is not modelled (bf_eval() never guesses).
	 * bf_eval_pkt_parse() leaves them all unknown. */
	uint32_t known;
	/* BF_EVAL_KNOW_IFINDEX: index of the input / output device, 0 for
	 * none (nft's meta iif / oif) */
	uint32_t ifindex_in, ifindex_out;
	/* BF_EVAL_KNOW_L2, the link layer as the program's prologue reads
	 * it (cgen/m_ether.c): eth_ok, the destination address and the
	 * type nft's `ether daddr|type` load (the tag's protocol in place
	 * of the type when the device took a tag out, host order);
	 * smac_ok and the source address mac_mt() / `ether saddr` read;
	 * vlan_ok and the TCI of an 802.1Q tag the device took out (tc
	 * only: the tag is gone at netfilter hooks), and the type after
	 * it (skb->protocol, nft's `vlan type`). */
	bool eth_ok, smac_ok, vlan_ok;
	uint8_t dmac[6], smac[6];
	uint16_t ethtype, vlan_tci, vlan_type;
	/* BF_EVAL_KNOW_PKTTYPE: as pkttype_mt() sees it (PACKET_*) */
	uint8_t pkttype;
	/* BF_EVAL_KNOW_CT: the conntrack entry. A packet has one when
	 * ctstate is NEW, ESTABLISHED or RELATED (INVALID and UNTRACKED:
	 * none); then ct_reply (its direction is REPLY), ct_status
	 * (IPS_* bits) and ctmark. */
	bool ct_reply;
	uint32_t ct_status, ctmark;
	/* BF_EVAL_KNOW_ROUTE: the packet's route, as the netfilter
	 * prologue reads it for addrtype (and nft's fib daddr type,
	 * cgen/m_addrtype.c): IPv4, its RTN_* type (0xff: no route); IPv6,
	 * the XT_ADDRTYPE bits LOCAL (1 << 2), ANYCAST (1 << 4),
	 * UNREACHABLE (1 << 7) of its flags (no route: UNREACHABLE) */
	uint8_t rt_type;
	/* IPv6: the routing header as the prologue reads it for rt_mt6()
	 * and nft's rt type (cgen/mext.c), filled by bf_eval_pkt_parse():
	 * the first one the header walk met (offset, 0: none), what
	 * rt_mt6() finds there (enum bf_eval_rt6), its type, segments left,
	 * length (ipv6_optlen()) and reserved bytes as read */
	uint16_t rt6_off, rt6_hdrlen;
	uint8_t rt6_state, rt6_type, rt6_segsleft;
	uint32_t rt6_res;
	/* BF_EVAL_KNOW_TIME, for xt_time (cgen/m_time.c): the real time in
	 * seconds since the epoch (UTC) and sys_tz.tz_minuteswest (what
	 * gettimeofday() reports; --kerneltz subtracts it) */
	uint32_t now_real;
	int32_t tz_minuteswest;
	/* The TCP MSS option as tcpmss_mt() finds it (cgen/m_tcpmss.c),
	 * filled by bf_eval_pkt_parse(): enum bf_eval_mss, its value */
	uint8_t mss_state;
	uint16_t mss;
	/* BF_EVAL_KNOW_XFRM, for xt_policy (cgen/m_policy.c): the IPsec
	 * states of the packet's sec_path (sp_len of them; -1: no
	 * sec_path) and of its route's bundle, first to last (xdst_len;
	 * 0: dst->xfrm is NULL) */
	int8_t sp_len;
	uint8_t xdst_len;
	struct bf_eval_xfrm {
		uint8_t saddr[16], daddr[16]; /* props.saddr, id.daddr */
		uint32_t spi; /* id.spi as it lies in memory */
		uint32_t reqid;
		uint8_t proto, mode;
	} sp[6], xdst[6];
	/* BF_EVAL_KNOW_HELPER, for xt_helper: the name of the helper of
	 * the master of the packet's conntrack entry; "" when there is no
	 * entry, no master, or no helper */
	char ct_helper[16];
	/* BF_EVAL_KNOW_ACCT, for xt_connbytes: whether the packet's
	 * conntrack entry has the accounting extension, and its counters
	 * ([0] original, [1] reply direction), this packet included */
	bool ct_acct;
	uint64_t acct_packets[2], acct_bytes[2];
	/* What xt_ecn's match_tcp() reads, filled by bf_eval_pkt_parse():
	 * byte 13 of the 20 bytes at iptables' transport offset (IPv4 ihl
	 * * 4 also in a non-first fragment; IPv6 0 in a non-first fragment,
	 * see cgen/m_ecn.h), ecn_tcp_ok when the 20 bytes are there */
	bool ecn_tcp_ok;
	uint8_t ecn_tcp;
	/* The len bytes bf_eval_pkt_parse() was given (borrowed: valid
	 * while the caller's buffer is), for nft payload loads
	 * (BF_MATCH_PAYLOAD); NULL: those are not modelled. */
	const uint8_t *l3;
};

/* bf_eval_pkt.mss_state */
enum bf_eval_mss {
	BF_EVAL_MSS_NONE = 0, /* no MSS option */
	BF_EVAL_MSS_FOUND,
	BF_EVAL_MSS_DROP, /* header or options unreadable: hotdrop */
};

/* bf_eval_pkt.rt6_state */
enum bf_eval_rt6 {
	BF_EVAL_RT6_NONE = 0, /* no routing header: no match */
	BF_EVAL_RT6_FOUND, /* the fields are valid */
	BF_EVAL_RT6_SHORT, /* shorter than its length: no match */
	BF_EVAL_RT6_DROP, /* the header walk failed: rt_mt6() hotdrops */
};

/* bf_eval_pkt.known */
enum bf_eval_know {
	BF_EVAL_KNOW_IFINDEX = 1 << 0,
	BF_EVAL_KNOW_L2 = 1 << 1,
	BF_EVAL_KNOW_PKTTYPE = 1 << 2,
	BF_EVAL_KNOW_CT = 1 << 3,
	BF_EVAL_KNOW_ROUTE = 1 << 4,
	BF_EVAL_KNOW_TIME = 1 << 5,
	BF_EVAL_KNOW_XFRM = 1 << 6, /* sp_len, sp, xdst_len, xdst */
	BF_EVAL_KNOW_HELPER = 1 << 7, /* ct_helper */
	BF_EVAL_KNOW_ACCT = 1 << 8, /* ct_acct, acct_packets, acct_bytes */
};

/* Fill pkt from an L3 packet (IP header first) of `len` bytes as the
 * netfilter prologue does: IPv4 header, IPv6 header and the walk of
 * ipv6_find_hdr(skb, &off, -1, &fragoff, NULL), transport bytes. Interfaces,
 * ctstate and mark are left zero. -EINVAL for a packet too short for its
 * IP header or of another version. */
int bf_eval_pkt_parse(struct bf_eval_pkt *pkt, enum bf_family family,
		      const void *l3, size_t len);

enum bf_eval_event {
	BF_EVAL_ENTER = 0, /* chain entered (by hook, jump or goto) */
	BF_EVAL_RULE, /* rule tested: matched, or failed at `match` */
	BF_EVAL_RETURN, /* back to the caller (RETURN or end of chain) */
	BF_EVAL_POLICY, /* a built-in chain's policy applies */
	BF_EVAL_HOTDROP, /* `match` dropped the packet at once */
	BF_EVAL_NOT_MODELLED, /* `match` (or the target) is not modelled */
	/* `match` depends on state: the interpreter was given none (nft's
	 * limit, see bf_eval_at()), or does not model it (xt limit,
	 * hashlimit, recent, connlimit, statistic) */
	BF_EVAL_STATEFUL,
	BF_EVAL_EVENT_COUNT,
};

struct bf_eval_step {
	enum bf_eval_event event;
	const struct bf_chain *chain;
	const struct bf_rule *rule; /* RULE, HOTDROP, NOT_MODELLED */
	size_t rule_num; /* 1-based position of rule in chain */
	const struct bf_match *match; /* the failing / hotdropping one */
	bool matched; /* RULE: every match held */
	/* ENTER: how (BF_VERDICT_JUMP, _GOTO, or _CONTINUE for the hook's
	 * built-in chain) */
	enum bf_verdict_kind via;
	int depth; /* call depth, 0 = the built-in chain */
};

typedef void (*bf_eval_fn)(const struct bf_eval_step *step, void *data);

struct bf_eval_result {
	/* BF_VERDICT_ACCEPT, _DROP or _REJECT (a drop after a reply) */
	enum bf_verdict_kind verdict;
	/* Who decided: a rule (rule != NULL), a policy (policy), or a
	 * hotdrop (hotdrop, rule and match set). */
	const struct bf_chain *chain;
	const struct bf_rule *rule;
	size_t rule_num;
	const struct bf_match *match;
	bool policy;
	bool hotdrop;
	uint32_t mark; /* the packet mark after MARK targets */
	/* with -EOPNOTSUPP: `match` depends on state (BF_EVAL_STATEFUL),
	 * rather than being unmodelled */
	bool stateful;
};

/* Evaluate pkt at `hook` of rs (the built-in chain of pkt->family).
 * step (optional) receives every step, in order. Returns 0 with res
 * filled; -EOPNOTSUPP when a match or target that is not modelled was
 * reached (res->rule/match tell which; no verdict); -ENOENT for a jump
 * to a missing chain; -ELOOP beyond 64 nested calls. */
int bf_eval(const struct bf_ruleset *rs, enum bf_hook hook,
	    const struct bf_eval_pkt *pkt, bf_eval_fn step, void *data,
	    struct bf_eval_result *res);

/* The state of the stateful matches bf_eval_at() models, per match
 * (keyed by its address: the ruleset must outlive the state) and hook
 * (each hook has its own program): a token bucket per nft `limit` match
 * (BF_MATCH_NFT_LIMIT; one per shared bucket number for those that have
 * one, u.nft_limit.bucket), created full when a packet first reaches the
 * match, as the compiled program's bucket is (cgen/m_nftlimit.c); the
 * count of a `statistic --mode nth` match, starting at --packet. */
struct bf_eval_state;

struct bf_eval_state *bf_eval_state_new(void);
void bf_eval_state_free(struct bf_eval_state **st);

/* bf_eval() with state: an nft limit is evaluated at now_ns (nanoseconds
 * of CLOCK_MONOTONIC, the program's bpf_ktime_get_ns()) on its bucket in
 * st, which the packet updates as nft_limit_eval() does. Packets must
 * come in time order. Every evaluation of one packet happens at now_ns,
 * where the program reads the clock at each: for a limit that one packet
 * reaches several times, they differ only by the nanoseconds between
 * those evaluations. bf_eval() is bf_eval_at() without state: a limit
 * stops the evaluation with -EOPNOTSUPP, res->stateful and a
 * BF_EVAL_STATEFUL step. -ENOMEM when a bucket cannot be allocated. */
int bf_eval_at(const struct bf_ruleset *rs, enum bf_hook hook,
	       const struct bf_eval_pkt *pkt, struct bf_eval_state *st,
	       uint64_t now_ns, bf_eval_fn step, void *data,
	       struct bf_eval_result *res);

/* Whether bf_eval() models a match type (given the facts of
 * bf_eval_pkt.known it needs, and state for nft limit). */
bool bf_eval_models(enum bf_match_type type);

const char *bf_eval_event_name(enum bf_eval_event ev);

#endif /* BPFILTER_EVAL_H */
