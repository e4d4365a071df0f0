// SPDX-License-Identifier: GPL-2.0-only
/*
 * BF_MATCH_SET: the set match of iptables (net/netfilter/xt_set.c) as a
 * BPF map lookup. The packet's key is built in the scratch bytes of the
 * packet context, in the map's key layout (set/map.h), then looked up.
 *
 * ip_set_test() (net/netfilter/ipset/ip_set_core.c) answers "no" when the
 * rule gives fewer directions than the set has dimensions, or when the
 * families differ; each type's kadt() answers "no" when it cannot read
 * the packet fields it needs (ip_set_get_ip4_port() / _ip6_port() in
 * ip_set_getport.c); a found element flagged nomatch answers -ENOTEMPTY,
 * which ip_set_test() turns into "no", or with --return-nomatch (for the
 * types with the nomatch feature) into "yes" while a plain element
 * becomes "no". match_set() in xt_set.c then inverts for `!`.
 */
#include <errno.h>
#include <string.h>

#include "bpfilter/log.h"
#include "bpfilter/set.h"
#include "cgen/m_set.h"
#include "cgen/pctx.h"
#include "compat.h"
#include "set/map.h"

#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_ICMPV6 58
#define P_SCTP 132
#define P_UDPLITE 136
#define P_AH 51

#define KEY_OFF PCTX_OFF(scratch)

_Static_assert(4 + BF_SET_KEY_MAX <= sizeof(((struct bf_pctx *)0)->scratch),
	       "set keys fit the scratch bytes");

/* The verdict an nft verdict map with chains found (bf_set_val.data),
 * kept from the lookup (BF_SET_VOP_LOOKUP, the last match of its rule,
 * whose verdict then calls the map's dispatch chain) to the dispatch
 * chain's BF_SET_VOP_IS tests, which are that chain's only matches: in
 * between, no code writes the scratch bytes (keys end before them). */
#define VDATA_OFF ((int16_t)(KEY_OFF + 44))
_Static_assert(4 + BF_SET_KEY_MAX <= 44 &&
		       44 + 4 <= sizeof(((struct bf_pctx *)0)->scratch),
	       "the kept verdict follows the longest key");

static void ldp(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

static void copy_words(struct bf_emit *e, int16_t from, int16_t to, int n)
{
	for (int i = 0; i < n; i++) {
		ldp(e, BPF_W, BF_R1, (int16_t)(from + 4 * i));
		bf_emit(e, I_STX(BPF_W, BF_R9, BF_R1, (int16_t)(to + 4 * i)));
	}
}

/* An interface name into the key as STRLCPY() in hash_netiface4_kadt()
 * leaves it: the bytes after the NUL are zero, whatever dev->name holds
 * there (a renamed device may keep old bytes). */
static void copy_name(struct bf_emit *e, int16_t from, int16_t to)
{
	bf_emit(e, I_MOV64_IMM(BF_R3, -1)); /* mask: all ones until NUL */
	for (int i = 0; i < BF_IFNAMSIZ; i++) {
		bf_label keep = bf_label_new(e);

		ldp(e, BPF_B, BF_R1, (int16_t)(from + i));
		bf_emit(e, I_ALU64_REG(BPF_AND, BF_R1, BF_R3));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, keep);
		bf_emit(e, I_MOV64_IMM(BF_R3, 0));
		bf_label_bind(e, keep);
		bf_emit(e, I_STX(BPF_B, BF_R9, BF_R1, (int16_t)(to + i)));
	}
}

/* The port of the packet as ip_set_get_ip4_port() / ip_set_get_ip6_port()
 * find it, into key bytes at `to` ({proto, 0, port be16}, or with
 * bare = true only the 2 port bytes, TCP and UDP only as bitmap:port's
 * ip_set_get_ip_port(), or any port protocol for nft sets). Jumps to `no`
 * where those functions return false. */
static void emit_port(struct bf_emit *e, enum bf_family family, bool dst,
		      bool bare, bool nft, int16_t to, bf_label no)
{
	bf_label ports = bf_label_new(e), icmp = bf_label_new(e);
	bf_label other = bf_label_new(e), done = bf_label_new(e);
	bf_label nofrag = bf_label_new(e);
	static const uint8_t port_protos[] = { P_TCP, P_SCTP, P_UDP,
					       P_UDPLITE };

	ldp(e, BPF_B, BF_R1, PCTX_OFF(l4proto));
	ldp(e, BPF_H, BF_R2, PCTX_OFF(fragoff));
	if (family == BF_FAMILY_INET6) {
		/* ipv6_skip_exthdr() failed or found a non-first fragment:
		 * false */
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 0, no);
		ldp(e, BPF_B, BF_R3, PCTX_OFF(l6err));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R3, 0, no);
	} else {
		/* "protocol <= 0": false */
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, no);
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, nofrag);
		/* non-first fragment: no ports for these, port 0 else */
		for (size_t i = 0; i < sizeof(port_protos); i++)
			bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, port_protos[i],
					  no);
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, P_ICMP, no);
		bf_emit_ja(e, bare ? no : other);
		bf_label_bind(e, nofrag);
	}
	ldp(e, BPF_W, BF_R3, PCTX_OFF(avail));
	/* get_port(): the header must be there, whole; an nft set's port
	 * is nft_payload_eval()'s load of the field's two bytes */
	if (nft) {
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, P_TCP, ports);
	} else {
		bf_label not_tcp = bf_label_new(e);

		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, P_TCP, not_tcp);
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R3, 20, no);
		bf_emit_ja(e, ports);
		bf_label_bind(e, not_tcp);
	}
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, P_UDP, ports);
	if (!bare || nft) {
		bf_label not_sctp = bf_label_new(e);

		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, P_UDPLITE, ports);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, P_SCTP, not_sctp);
		if (!nft)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R3, 12, no);
		bf_emit_ja(e, ports);
		bf_label_bind(e, not_sctp);
	}
	if (bare) {
		bf_emit_ja(e, no);
	} else {
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, P_ICMP, icmp);
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, P_ICMPV6, icmp);
		bf_emit_ja(e, other);
	}

	/* TCP (20 bytes checked), SCTP (12), UDP / UDPLITE (8); nft: the
	 * field's end */
	bf_label_bind(e, ports);
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R3, nft ? (dst ? 4 : 2) : 8, no);
	ldp(e, BPF_H, BF_R4, dst ? PCTX_OFF(dport) : PCTX_OFF(sport));
	bf_emit_ja(e, done);

	if (!bare) {
		/* ICMP / ICMPv6: type << 8 | code, whatever the direction:
		 * the first two bytes, as pctx.sport holds them */
		bf_label_bind(e, icmp);
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R3, 8, no);
		ldp(e, BPF_H, BF_R4, PCTX_OFF(sport));
		bf_emit_ja(e, done);
		/* other protocols: port 0 */
		bf_label_bind(e, other);
		bf_emit(e, I_MOV64_IMM(BF_R4, 0));
	}

	bf_label_bind(e, done);
	if (!bare) {
		bf_emit(e, I_STX(BPF_B, BF_R9, BF_R1, to));
		bf_emit(e, I_ST(BPF_B, BF_R9, (int16_t)(to + 1), 0));
		to = (int16_t)(to + 2);
	}
	/* port in network order: high byte first */
	bf_emit(e, I_STX(BPF_B, BF_R9, BF_R4, (int16_t)(to + 1)));
	bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R4, 8));
	bf_emit(e, I_STX(BPF_B, BF_R9, BF_R4, to));
}

/* The port of a set lowered from nft (bf_set.nft) as nft's payload load
 * reads it: the field's two bytes at nft's transport offset
 * (pctx.nft_sport / nft_dport, m_nftbreak.c: nft_payload_fast_eval()
 * reads a non-first fragment's bytes too), present when nft_avail covers
 * them (the rule's `-m nft --l4hdr` gate checks the same). The proto
 * byte of a proto:port key is the set's protocol, which the rule's
 * l4proto gate (nft's view on IPv6) has checked. */
static void emit_nft_port(struct bf_emit *e, const struct bf_set *set, bool dst,
			  bool bare, int16_t to, bf_label no)
{
	ldp(e, BPF_H, BF_R3, PCTX_OFF(nft_avail));
	bf_emit_jmp32_imm(e, BPF_JLT, BF_R3, dst ? 4 : 2, no);
	ldp(e, BPF_H, BF_R4, dst ? PCTX_OFF(nft_dport) : PCTX_OFF(nft_sport));
	if (!bare) {
		bf_emit(e, I_ST(BPF_B, BF_R9, to, set->nft_proto));
		bf_emit(e, I_ST(BPF_B, BF_R9, (int16_t)(to + 1), 0));
		to = (int16_t)(to + 2);
	}
	bf_emit(e, I_STX(BPF_B, BF_R9, BF_R4, (int16_t)(to + 1)));
	bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R4, 8));
	bf_emit(e, I_STX(BPF_B, BF_R9, BF_R4, to));
}

bool bf_set_nft_view(const struct bf_ruleset *rs, const struct bf_match *m)
{
	const struct bf_set *set = bf_ruleset_set(rs, m->u.set.name);

	return set && set->nft;
}

static bool dim_dst(const struct bf_match *m, int i)
{
	return m->u.set.flags & (1u << i);
}

/* Does ip_set_test() answer "no" whatever the packet? */
static bool always_no(const struct bf_set *set, const struct bf_rule *rule,
		      const struct bf_match *m)
{
	return m->u.set.dim < set->n_dims ||
	       (rule->family != set->family && !bf_set_any_family(set));
}

/* One set (not a list): falls through when the set answers "yes", jumps
 * to `no` otherwise. `member`: a member of a list:set, whose counters
 * list_set_ktest() also leaves alone with `! --update-subcounters`. */
static void emit_one(struct bf_emit *e, const struct bf_ruleset *rs,
		     const struct bf_set *set, const struct bf_rule *rule,
		     const struct bf_match *m, bool member, bf_label no)
{
	bool lpm = bf_set_is_lpm(set);
	bool nft = set->origin == BF_SET_ORIGIN_NFT || set->nft;
	long idx = bf_ruleset_set_index(rs, set->name);
	bool rn = m->u.set.return_nomatch &&
		  (set->flags & BF_SET_F_NOMATCH_TYPE);

	if (lpm)
		bf_emit(e, I_ST(BPF_W, BF_R9, KEY_OFF,
				(int32_t)(8u * set->key_size)));
	for (int i = 0; i < set->n_dims; i++) {
		const struct bf_set_dim *d = &set->dims[i];
		int16_t to = (int16_t)(KEY_OFF + bf_set_map_dim_off(set, i));
		bool dst = dim_dst(m, i);

		switch (d->type) {
		case BF_SET_DIM_ADDR:
			copy_words(e, dst ? PCTX_OFF(daddr) : PCTX_OFF(saddr),
				   to, d->width / 4);
			break;
		case BF_SET_DIM_PROTO_PORT:
		case BF_SET_DIM_PORT: {
			bool bare = d->type == BF_SET_DIM_PORT;

			if (set->nft)
				emit_nft_port(e, set, dst, bare, to, no);
			else
				emit_port(e, rule->family, dst, bare, nft, to,
					  no);
			break;
		}
		case BF_SET_DIM_PROTO:
			if (set->nft && rule->family == BF_FAMILY_INET6) {
				/* nft's meta l4proto (m_nftbreak.c): AH
				 * where nft's walk stops there; a walk
				 * error breaks */
				bf_label walked = bf_label_new(e);
				bf_label put = bf_label_new(e);

				ldp(e, BPF_B, BF_R2, PCTX_OFF(nft_ah));
				bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, walked);
				bf_emit(e, I_MOV64_IMM(BF_R1, P_AH));
				bf_emit_ja(e, put);
				bf_label_bind(e, walked);
				ldp(e, BPF_B, BF_R2, PCTX_OFF(l6err));
				bf_emit_jmp32_imm(e, BPF_JNE, BF_R2, 0, no);
				ldp(e, BPF_B, BF_R1, PCTX_OFF(l4proto));
				bf_label_bind(e, put);
			} else {
				ldp(e, BPF_B, BF_R1, PCTX_OFF(l4proto));
			}
			bf_emit(e, I_STX(BPF_B, BF_R9, BF_R1, to));
			break;
		case BF_SET_DIM_MARK:
			/* skb->mark, the key big endian (set.h) */
			ldp(e, BPF_W, BF_R1, PCTX_OFF(mark));
			for (int b = 3; b >= 0; b--) {
				bf_emit(e, I_STX(BPF_B, BF_R9, BF_R1,
						 (int16_t)(to + b)));
				if (b)
					bf_emit(e,
						I_ALU32_IMM(BPF_RSH, BF_R1, 8));
			}
			break;
		case BF_SET_DIM_IFACE: {
			int16_t from = dst ? PCTX_OFF(oif) : PCTX_OFF(iif);

			/* hash_netiface4_kadt(): no interface name: false */
			ldp(e, BPF_B, BF_R1, from);
			bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, no);
			copy_name(e, from, to);
			break;
		}
		default:
			bf_emit_fail(e, -ENOTSUP);
			return;
		}
	}
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_SET, (uint32_t)idx);
	bf_emit(e, I_MOV64_REG(BF_R2, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, KEY_OFF));
	bf_emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R0, 0, no);
	bf_emit(e, I_MOV64_REG(BF_R6, BF_R0));
	if (set->flags & BF_SET_F_TIMEOUT) {
		/* ip_set_match_extensions(): an expired element is not
		 * there */
		bf_label alive = bf_label_new(e);

		bf_emit(e, I_LDX(BPF_DW, BF_R7, BF_R6, BF_SET_VAL_OFF_EXPIRES));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R7, 0, alive);
		bf_emit(e, I_HELPER(BPF_FUNC_ktime_get_boot_ns));
		bf_emit_jmp_reg(e, BPF_JGE, BF_R0, BF_R7, no);
		bf_label_bind(e, alive);
	}
	if ((set->flags & BF_SET_F_COUNTERS) && !m->u.set.no_update_counters &&
	    !(member && m->u.set.no_update_subcounters)) {
		/* ip_set_update_counter(): skb->len, the L3 length here */
		bf_emit(e, I_MOV64_IMM(BF_R1, 1));
		bf_emit(e,
			I_ATOMIC_ADD64(BF_R6, BF_R1, BF_SET_VAL_OFF_PACKETS));
		ldp(e, BPF_W, BF_R1, PCTX_OFF(len));
		bf_emit(e, I_ATOMIC_ADD64(BF_R6, BF_R1, BF_SET_VAL_OFF_BYTES));
	}
	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R6, BF_SET_VAL_OFF_FLAGS));
	bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, BF_SET_VAL_NOMATCH));
	bf_emit_jmp32_imm(e, rn ? BPF_JEQ : BPF_JNE, BF_R1, 0, no);
	if (m->u.set.vop == BF_SET_VOP_LOOKUP) {
		/* keep the verdict; hold when its kind is one of vkinds */
		bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R6, BF_SET_VAL_OFF_DATA));
		bf_emit(e, I_STX(BPF_W, BF_R9, BF_R1, VDATA_OFF));
		bf_emit(e, I_ALU32_IMM(BPF_RSH, BF_R1, 24));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, 31)); /* kinds < 8 */
		bf_emit(e, I_MOV64_IMM(BF_R2, 1));
		bf_emit(e, I_ALU32_REG(BPF_LSH, BF_R2, BF_R1));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R2, m->u.set.vkinds));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, 0, no);
	}
}

bool bf_set_emit(struct bf_emit *e, const struct bf_ruleset *rs,
		 enum bf_attach_kind attach, const struct bf_rule *rule,
		 const struct bf_match *m, bf_label fail)
{
	const struct bf_set *set = bf_ruleset_set(rs, m->u.set.name);
	bool neg = m->neg;
	bf_label no, yes;

	(void)attach;
	if (set && m->u.set.vop == BF_SET_VOP_IS) {
		/* the dispatch chain of a verdict map with chains: the
		 * verdict its caller's lookup kept */
		ldp(e, BPF_W, BF_R1, VDATA_OFF);
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, (int32_t)m->u.set.vdata,
				  fail);
		return true;
	}
	if (!set) {
		bf_log_at(BF_LOG_ERROR, rule->file,
			  m->line ? m->line : rule->line, 0,
			  "set %s does not exist", m->u.set.name);
		bf_emit_fail(e, -ENOENT);
		return false;
	}
	if (!set->is_list) {
		if (always_no(set, rule, m)) {
			if (neg)
				return true;
			bf_emit_ja(e, fail);
			return false;
		}
		no = neg ? bf_label_new(e) : fail;
		emit_one(e, rs, set, rule, m, false, no);
		if (neg) {
			bf_emit_ja(e, fail);
			bf_label_bind(e, no);
		}
		return true;
	}

	/* list_set_ktest() (ip_set_list_set.c): the members in order, the
	 * first that answers "yes" decides */
	yes = bf_label_new(e);
	for (size_t i = 0; i < set->n_elems; i++) {
		const struct bf_set *ms =
			bf_ruleset_set(rs, (const char *)set->elems[i].key);
		bf_label next;

		if (!ms || ms->is_list || always_no(ms, rule, m))
			continue;
		next = bf_label_new(e);
		emit_one(e, rs, ms, rule, m, true, next);
		bf_emit_ja(e, yes);
		bf_label_bind(e, next);
	}
	/* every member said no */
	if (!neg) {
		bf_emit_ja(e, fail);
		bf_label_bind(e, yes);
		return true;
	}
	no = bf_label_new(e);
	bf_emit_ja(e, no);
	bf_label_bind(e, yes);
	bf_emit_ja(e, fail);
	bf_label_bind(e, no);
	return true;
}

const char *bf_set_check(const struct bf_ruleset *rs,
			 enum bf_attach_kind attach, const struct bf_match *m)
{
	const struct bf_set *set = bf_ruleset_set(rs, m->u.set.name);

	if (!set)
		return "the set does not exist (give its definition with "
		       "--ipset FILE or --ipset kernel)";
	for (size_t i = 0; i <= (set->is_list ? set->n_elems : 0); i++) {
		const struct bf_set *s = set;

		if (set->is_list) {
			if (i == set->n_elems)
				break;
			s = bf_ruleset_set(rs, (const char *)set->elems[i].key);
			if (!s)
				return "a member of the list:set does not exist";
		}
		for (int d = 0; d < s->n_dims; d++) {
			switch (s->dims[d].type) {
			case BF_SET_DIM_IFACE:
				if (attach != BF_ATTACH_NF)
					return "sets with an interface "
					       "dimension work at the "
					       "netfilter hooks only (use "
					       "--hook nf)";
				break;
			case BF_SET_DIM_MARK:
				if (attach == BF_ATTACH_XDP)
					return "XDP frames have no mark (a set "
					       "with a mark dimension)";
				break;
			case BF_SET_DIM_MAC:
				return "MAC set dimensions are not compiled "
				       "yet";
			default:
				break;
			}
		}
	}
	return NULL;
}

bool bf_set_need_mark(const struct bf_ruleset *rs, const struct bf_match *m)
{
	const struct bf_set *set = bf_ruleset_set(rs, m->u.set.name);

	for (size_t i = 0; set && i <= (set->is_list ? set->n_elems : 0); i++) {
		const struct bf_set *s = set;

		if (set->is_list) {
			if (i == set->n_elems)
				break;
			s = bf_ruleset_set(rs, (const char *)set->elems[i].key);
			if (!s)
				continue;
		}
		for (int d = 0; d < s->n_dims; d++)
			if (s->dims[d].type == BF_SET_DIM_MARK)
				return true;
	}
	return false;
}
