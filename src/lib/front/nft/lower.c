// SPDX-License-Identifier: GPL-2.0-only
/*
 * AST -> bpfilter IR, for what the IR can express (doc/front-nft.md):
 *
 *  - filter base chains of ip / ip6 / inet tables at input, forward and
 *    output; an inet table gives rules to both families (a rule that tests
 *    an IPv4-only or IPv6-only field goes to that family only).
 *  - Each nft chain becomes an IR user chain. The IR's built-in chain of a
 *    (family, hook) jumps to the base chains of that hook in priority
 *    order. In nft an `accept` ends only its base chain and the packet
 *    goes on to the next base chain of the hook (nf_hook_slow()), while
 *    an IR ACCEPT is final: in a base chain (or a chain it reaches) that
 *    is followed by another base chain on its hook, accept is
 *    BF_VERDICT_NFT_NEXT, which returns to the built-in chain
 *    (lower_bases()). A base chain's policy drop becomes a final DROP
 *    rule.
 *  - A rule with an anonymous (or named, inlined) set becomes one IR rule
 *    per element when the elements are pairwise disjoint (so at most one
 *    of them can match a packet, and side effects happen once); a verdict
 *    map becomes one IR rule per element with its verdict.
 *  - `log` becomes an IR LOG (NFLOG with a group) rule with the same
 *    matches followed by the rule with the verdict; matches have no side
 *    effects but `limit` (nft's bucket, BF_MATCH_NFT_LIMIT), which is
 *    refused where it would run twice (a log after it, a set of several
 *    elements) or after a match the iptables text moves before it.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/set.h"
#include "front/nft/nft.h"
#include "front/nft/setmap.h"

struct lctx {
	struct nft_errs errs;
	struct bf_ruleset *rs;
	/* lower_rule(): a rule's second set (and the element being lowered),
	 * expanded as a cross product with the first */
	const struct bf_nft_stmt *set2_stmt;
	const struct bf_nft_expr *elem2;
	const struct bf_nft *nft;
	const struct bf_nft_table *table;
	/* IR names of the chains of the current table */
	char (*names)[BF_CHAIN_NAME_MAX + 1];
	bool oom;
	int n_synth;
	struct bf_nft_loc seen[256];
	size_t n_seen;
	/* bf_nft_lower_sets(): named address sets become ruleset sets */
	bool map_sets;
	/* the nft chain being lowered and the table's families (bits) */
	const struct bf_nft_chain *cur_chain;
	unsigned int table_fams;
	/* a mapped `vmap @m` (setmap.c): lowering its drop rule */
	bool vmap_drop;
	/* several base chains on one hook (lower_bases()): the family being
	 * lowered; whether the chain being lowered is reached from a base
	 * chain that another follows on its hook (then accept is
	 * BF_VERDICT_NFT_NEXT: >= 0, an index in conts; -1: ACCEPT) */
	int cur_f;
	long cont;
	struct nft_cont *conts;
	size_t n_conts;
	/* limit statements lowered into several programs: the bucket they
	 * share is bucket0 + their index + 1 (lower_limit()); lim_shared:
	 * the rule being lowered has such a statement */
	const struct bf_nft_stmt **lims;
	size_t n_lims;
	uint32_t bucket0;
	bool lim_shared;
};

/* A base chain that can accept and that another base chain follows on
 * its hook, in family f: an accept ends only that base chain
 * (nf_hook_slow() goes on to the next hook function), so in it and in
 * the chains it reaches accept is BF_VERDICT_NFT_NEXT. */
struct nft_cont {
	int f, h;
	const struct bf_nft_chain *base;
};

/* A fresh IR chain name "nft.N": used by no chain of the nft table being
 * lowered (whose chains keep their names) nor of the IR, in any family. */
static void synth_name(struct lctx *c, char *buf, size_t size)
{
	for (;;) {
		bool used = false;
		snprintf(buf, size, "nft.%d", ++c->n_synth);
		for (size_t i = 0; c->table && i < c->table->n_chains; i++)
			if (!strcmp(c->table->chains[i].name, buf))
				used = true;
		for (int f = 0; f < BF_FAMILY_COUNT; f++)
			if (bf_ruleset_chain(c->rs, f, buf))
				used = true;
		if (!used)
			return;
	}
}

/* nft runs a limit once per rule; the IR rule of a log (or set)
 * statement repeats the matches before it, so the rule is cut after the
 * limit (split_at_limit()). */
#define LIMIT_SIDE_WHY                                                         \
	"log or set statements after limit in a rule with return, goto or a "  \
	"verdict map (the rest of the rule runs in a helper chain)"

/* Report a refused construct once (rules are lowered once per family). */
#define REFUSE(c, loc, ...)                                                    \
	do {                                                                   \
		if (!seen_loc(c, loc))                                         \
			nft_unsupported(&(c)->errs, loc, __VA_ARGS__);         \
		else                                                           \
			(c)->errs.n_unsupported++;                             \
	} while (0)

static bool seen_loc(struct lctx *c, const struct bf_nft_loc *loc)
{
	for (size_t i = 0; i < c->n_seen; i++)
		if (c->seen[i].line == loc->line &&
		    c->seen[i].col == loc->col && c->seen[i].file == loc->file)
			return true;
	if (c->n_seen < sizeof(c->seen) / sizeof(c->seen[0]))
		c->seen[c->n_seen++] = *loc;
	return false;
}

static const struct bf_nft_field *fld(const struct bf_nft_expr *e)
{
	return e->kind == BF_NFT_E_FIELD ? e->field : NULL;
}

/* Which families a field restricts the rule to: bit 1<<family. */
static unsigned int field_families(const struct bf_nft_field *f)
{
	if (f->nfamily == BF_NFT_FAMILY_IP)
		return 1u << BF_FAMILY_INET4;
	if (f->nfamily == BF_NFT_FAMILY_IP6)
		return 1u << BF_FAMILY_INET6;
	return 3u;
}

/* One element of a match: value, range or prefix. */
struct elem {
	const struct bf_nft_expr *e;
};

static void set_line(struct bf_match *m, const struct bf_nft_loc *loc)
{
	m->line = loc->line;
}

/* `meta l4proto` (and the protocol a payload implies): nft evaluation on
 * IPv6, where nft's walk differs from ip6tables'; IPv4's protocol field
 * is the same for both (nft_set_pktinfo_ipv4()), and stays -p. */
static uint8_t l4proto_mode(const struct bf_rule *r)
{
	return r->family == BF_FAMILY_INET6 ? BF_NFT_BREAK : BF_NFT_OFF;
}

static int add(struct lctx *c, struct bf_rule *r, struct bf_match *m)
{
	int ret;

	/* One protocol test and one transport header gate per protocol:
	 * iptables-save text (what apply and the saved state carry) has a
	 * single -p per rule. A second, different protocol can never match
	 * with the first: the rule is marked dead. */
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct bf_match *o = &r->matches[i];
		if (m->type == BF_MATCH_L4PROTO &&
		    o->type == BF_MATCH_L4PROTO && !m->neg && !o->neg &&
		    m->nft == o->nft) {
			if (o->u.proto != m->u.proto)
				r->counter_idx = UINT32_MAX;
			return 0;
		}
		if (m->type == BF_MATCH_L4HDR && o->type == BF_MATCH_L4HDR &&
		    o->u.l4hdr.proto == m->u.l4hdr.proto)
			return 0;
	}
	ret = bf_rule_add_match(r, m);

	if (ret)
		c->oom = true;
	return ret;
}

static void addr_from(struct bf_match *m, const struct bf_nft_expr *v,
		      unsigned int plen, bool v6)
{
	unsigned int bits = v6 ? 128 : 32;

	memset(&m->u.addr, 0, sizeof(m->u.addr));
	if (plen > bits)
		plen = bits;
	for (unsigned int i = 0; i < bits / 8; i++) {
		unsigned int b = plen > i * 8 ? plen - i * 8 : 0;
		m->u.addr.mask[i] = b >= 8 ? 0xff : (uint8_t)(0xff << (8 - b));
		m->u.addr.addr[i] = v->bytes[i] & m->u.addr.mask[i];
	}
}

static void range_of(const struct bf_nft_expr *e, uint64_t *lo, uint64_t *hi)
{
	if (e->kind == BF_NFT_E_RANGE) {
		*lo = e->sub[0]->num;
		*hi = e->sub[1]->num;
	} else {
		*lo = *hi = e->num;
	}
}

static int add_l4_gate(struct lctx *c, struct bf_rule *r,
		       const struct bf_nft_field *f,
		       const struct bf_nft_loc *loc);

/* A payload field (cgen/m_payload.c) compared with el. */
static int lower_payload(struct lctx *c, struct bf_rule *r,
			 const struct bf_nft_loc *loc,
			 const struct bf_nft_field *f,
			 const struct bf_nft_expr *el, const uint64_t *and_mask,
			 bool neg)
{
	struct bf_match m = { 0 };
	const char *why = "";

	set_line(&m, loc);
	/* one -m nftpayload per match in the iptables text */
	m.origin.instance = (uint16_t)r->n_matches;
	if (nft_payload_match(f, el, and_mask, neg, &m, &why)) {
		REFUSE(c, loc, "%s %s: %s", f->proto, f->name, why);
		return -EOPNOTSUPP;
	}
	return add(c, r, &m);
}

/* The ICMP type nft's payload dependency adds before an ICMP field that
 * exists in one type only (proto.c: icmp mtu in destination-unreachable,
 * gateway in redirect; icmpv6 mtu in packet-too-big, parameter-problem,
 * max-delay in mld-listener-query):
 * an ICMP type match (nft evaluation), unless the rule has one (nft
 * checks an explicit type against the field, eval.c canon_rule()). id
 * and sequence get theirs from eval.c (add_icmp_echo_dep()). */
static int add_icmp_dep(struct lctx *c, struct bf_rule *r,
			const struct bf_nft_field *f,
			const struct bf_nft_loc *loc)
{
	bool v6 = !strcmp(f->proto, "icmpv6");
	struct bf_match m = { 0 };
	int type = -1;

	if (!strcmp(f->name, "mtu"))
		type = v6 ? 2 : 3;
	else if (!strcmp(f->name, "gateway") && !v6)
		type = 5;
	else if (!strcmp(f->name, "parameter-problem") && v6)
		type = 4;
	else if (!strcmp(f->name, "max-delay") && v6)
		type = 130; /* mld-listener-query */
	for (size_t i = 0; i < r->n_matches; i++)
		if (r->matches[i].type == BF_MATCH_ICMP)
			return 0;
	if (type < 0)
		return 0;
	set_line(&m, loc);
	m.type = BF_MATCH_ICMP;
	m.nft = BF_NFT_BREAK;
	m.u.icmp.type = (uint8_t)type;
	m.u.icmp.code_hi = 0xff;
	return add(c, r, &m);
}

/* `ct original|reply ip|ip6 saddr|daddr`, `ct original|reply
 * proto-src|proto-dst`, `ct protocol`, `ct l3proto`: nft_ct_get_eval()
 * reads ct->tuplehash[dir].tuple (or nf_ct_protonum(), nf_ct_l3num()) and
 * breaks without a conntrack entry (untracked included), `!=` too: the
 * same as one xt_conntrack test (conntrack_mt(): no entry, no state
 * asked for, no match), inverted with its invert flag. */
static int lower_ct_tuple(struct lctx *c, struct bf_rule *r,
			  const struct bf_nft_field *f,
			  const struct bf_nft_expr *el, bool neg,
			  struct bf_match *m)
{
	bool reply = !strncmp(f->name, "reply", 5);
	bool v6 = r->family == BF_FAMILY_INET6;
	uint16_t flag = 0;
	uint64_t lo, hi;

	m->type = BF_MATCH_CONNTRACK;
	m->neg = false;
	switch (f->id) {
	case BF_NFT_CT_SADDR:
	case BF_NFT_CT_DADDR: {
		bool src = f->id == BF_NFT_CT_SADDR;
		uint8_t *a, *mask;
		unsigned int bits = f->len_bits,
			     plen = el->kind == BF_NFT_E_PREFIX ? el->plen :
								  bits;
		const struct bf_nft_expr *v =
			el->kind == BF_NFT_E_PREFIX ? el->sub[0] : el;
		if (el->kind != BF_NFT_E_VALUE && el->kind != BF_NFT_E_PREFIX) {
			REFUSE(c, &el->loc,
			       "ct %s: a value or a prefix (xt_conntrack has no address ranges)",
			       f->name);
			return -EOPNOTSUPP;
		}
		flag = reply ? (src ? BF_CT_REPLSRC : BF_CT_REPLDST) :
			       (src ? BF_CT_ORIGSRC : BF_CT_ORIGDST);
		a = reply ? (src ? m->u.conntrack.replsrc :
				   m->u.conntrack.repldst) :
			    (src ? m->u.conntrack.origsrc :
				   m->u.conntrack.origdst);
		mask = reply ? (src ? m->u.conntrack.replsrc_mask :
				      m->u.conntrack.repldst_mask) :
			       (src ? m->u.conntrack.origsrc_mask :
				      m->u.conntrack.origdst_mask);
		if (plen > bits)
			plen = bits;
		for (unsigned int i = 0; i < bits / 8; i++) {
			unsigned int b = plen > i * 8 ? plen - i * 8 : 0;
			mask[i] = b >= 8 ? 0xff : (uint8_t)(0xff << (8 - b));
			a[i] = v->bytes[i] & mask[i];
		}
		if ((bits == 128) != v6) {
			REFUSE(c, &el->loc, "ct %s in this family", f->name);
			return -EOPNOTSUPP;
		}
		break;
	}
	case BF_NFT_CT_PROTO_SRC:
	case BF_NFT_CT_PROTO_DST: {
		bool src = f->id == BF_NFT_CT_PROTO_SRC;
		uint16_t *port;
		if (el->kind != BF_NFT_E_VALUE && el->kind != BF_NFT_E_RANGE) {
			REFUSE(c, &el->loc, "ct %s in this form", f->name);
			return -EOPNOTSUPP;
		}
		range_of(el, &lo, &hi);
		flag = reply ? (src ? BF_CT_REPLSRC_PORT : BF_CT_REPLDST_PORT) :
			       (src ? BF_CT_ORIGSRC_PORT : BF_CT_ORIGDST_PORT);
		port = reply ? (src ? m->u.conntrack.replsrc_port :
				      m->u.conntrack.repldst_port) :
			       (src ? m->u.conntrack.origsrc_port :
				      m->u.conntrack.origdst_port);
		port[0] = (uint16_t)lo;
		port[1] = (uint16_t)hi;
		break;
	}
	case BF_NFT_CT_PROTOCOL:
		if (el->kind != BF_NFT_E_VALUE) {
			REFUSE(c, &el->loc, "ct protocol ranges");
			return -EOPNOTSUPP;
		}
		flag = BF_CT_PROTO;
		m->u.conntrack.l4proto = (uint8_t)el->num;
		break;
	default: /* BF_NFT_CT_L3PROTO */
		/* the entry's family is the packet's: `ct l3proto` of the
		 * rule's family holds for any entry (a tracked state) */
		if (el->kind != BF_NFT_E_VALUE ||
		    (el->num == (v6 ? 10u : 2u)) == neg) {
			REFUSE(c, &el->loc,
			       "ct l3proto other than the packet's family");
			return -EOPNOTSUPP;
		}
		m->u.conntrack.match_flags = BF_CT_STATE;
		m->u.conntrack.state_mask = BF_CT_STATE_NEW |
					    BF_CT_STATE_ESTABLISHED |
					    BF_CT_STATE_RELATED;
		return add(c, r, m);
	}
	m->u.conntrack.match_flags = flag;
	if (neg)
		m->u.conntrack.invert_flags = flag;
	return add(c, r, m);
}

/* Add the IR matches for `lhs OP elem` (elem: value/range/prefix) to r.
 * family: the rule's family. Returns 0, -EOPNOTSUPP (reported), -ENOMEM */
static int lower_cmp(struct lctx *c, struct bf_rule *r,
		     const struct bf_nft_stmt *s, const struct bf_nft_expr *lhs,
		     const struct bf_nft_expr *el, bool neg)
{
	const struct bf_nft_field *f = fld(lhs);
	const struct bf_nft_loc *loc = &s->loc;
	struct bf_match m = { 0 };
	bool v6 = r->family == BF_FAMILY_INET6;
	uint64_t lo, hi;

	set_line(&m, loc);
	m.neg = neg;
	if (lhs->kind == BF_NFT_E_BINOP) {
		const struct bf_nft_field *bf = fld(lhs->sub[0]);
		if (bf && lhs->op == BF_NFT_BINOP_AND &&
		    el->kind == BF_NFT_E_VALUE && !strcmp(bf->proto, "tcp") &&
		    !strcmp(bf->name, "flags")) {
			/* all 8 bits (ecn, cwr too): nft evaluation, which
			 * the iptables text carries as -m nft */
			m.type = BF_MATCH_TCPFLAGS;
			m.nft = BF_NFT_BREAK;
			m.u.tcpflags.mask = (uint8_t)lhs->sub[1]->num;
			m.u.tcpflags.cmp = (uint8_t)el->num;
			return add(c, r, &m);
		}
		if (bf && lhs->op == BF_NFT_BINOP_AND &&
		    el->kind == BF_NFT_E_VALUE &&
		    (!strcmp(bf->proto, "meta") || !strcmp(bf->proto, "ct")) &&
		    !strcmp(bf->name, "mark")) {
			m.type = !strcmp(bf->proto, "ct") ? BF_MATCH_CONNMARK :
							    BF_MATCH_MARK;
			m.u.mark.mask = (uint32_t)lhs->sub[1]->num;
			m.u.mark.value = (uint32_t)el->num;
			return add(c, r, &m);
		}
		if (bf && lhs->op == BF_NFT_BINOP_AND &&
		    (bf->base == BF_NFT_BASE_NH || bf->base == BF_NFT_BASE_TH))
			return lower_payload(c, r, loc, bf, el,
					     &lhs->sub[1]->num, neg);
		REFUSE(c, &lhs->loc,
		       "this bitwise expression has no IR equivalent");
		return -EOPNOTSUPP;
	}
	if (!f) {
		REFUSE(c, &lhs->loc, "expression has no IR equivalent");
		return -EOPNOTSUPP;
	}
	if (el->kind == BF_NFT_E_WILDCARD) {
		REFUSE(c, &el->loc, "'*' elements");
		return -EOPNOTSUPP;
	}
	if (!strcmp(f->proto, "rt")) {
		/* rt type: nft's evaluation of the routing header's type
		 * (cgen/mext.c emit_rt(), BF_RT_NFT), IPv6 only */
		if (el->kind != BF_NFT_E_VALUE) {
			REFUSE(c, &el->loc,
			       "rt type: a value or a set of values");
			return -EOPNOTSUPP;
		}
		m.type = BF_MATCH_RT;
		m.neg = false;
		m.u.rt.rt_type = (uint32_t)el->num;
		m.u.rt.flags = BF_RT_TYP | BF_RT_NFT;
		m.u.rt.segsleft[1] = UINT32_MAX;
		if (neg)
			m.u.rt.invflags = BF_RT_INV_TYP;
		return add(c, r, &m);
	}
	if (!strcmp(f->proto, "fib")) { /* fib.c */
		const char *why = "";
		if (nft_fib_match(el, r->family, neg, &m, &why)) {
			REFUSE(c, &lhs->loc, "%s", why);
			return -EOPNOTSUPP;
		}
		return add(c, r, &m);
	}
	if (!strcmp(f->proto, "ip") || !strcmp(f->proto, "ip6")) {
		if (!strcmp(f->name, "saddr") || !strcmp(f->name, "daddr")) {
			bool src = f->name[0] == 's';
			if (el->kind == BF_NFT_E_RANGE) {
				m.type = src ? BF_MATCH_SRANGE :
					       BF_MATCH_DRANGE;
				memcpy(m.u.range.lo, el->sub[0]->bytes, 16);
				memcpy(m.u.range.hi, el->sub[1]->bytes, 16);
				if (!v6) {
					memset(m.u.range.lo + 4, 0, 12);
					memset(m.u.range.hi + 4, 0, 12);
				}
				return add(c, r, &m);
			}
			m.type = src ? BF_MATCH_SADDR : BF_MATCH_DADDR;
			if (el->kind == BF_NFT_E_PREFIX)
				addr_from(&m, el->sub[0], el->plen, v6);
			else
				addr_from(&m, el, 128, v6);
			return add(c, r, &m);
		}
		if (!strcmp(f->name, "protocol")) {
			if (el->kind != BF_NFT_E_VALUE) {
				REFUSE(c, &el->loc, "protocol ranges");
				return -EOPNOTSUPP;
			}
			m.type = BF_MATCH_L4PROTO;
			m.u.proto = (uint8_t)el->num;
			if (!el->num) {
				REFUSE(c, &el->loc, "ip protocol 0");
				return -EOPNOTSUPP;
			}
			return add(c, r, &m);
		}
		if (!strcmp(f->name, "nexthdr")) {
			/* the raw field (nft's payload at network header
			 * offset 6), not the walked protocol */
			if (el->kind != BF_NFT_E_VALUE) /* a payload range */
				return lower_payload(c, r, loc, f, el, NULL,
						     neg);
			m.type = BF_MATCH_L4PROTO;
			m.nft = BF_NFT_RAW;
			m.u.proto = (uint8_t)el->num;
			return add(c, r, &m);
		}
		if (!strcmp(f->name, "ttl") || !strcmp(f->name, "hoplimit")) {
			if (el->kind != BF_NFT_E_VALUE) /* a payload range */
				return lower_payload(c, r, loc, f, el, NULL,
						     neg);
			m.type = BF_MATCH_TTL;
			m.neg = false;
			m.u.ttl.op = neg ? BF_TTL_NE : BF_TTL_EQ;
			m.u.ttl.value = (uint8_t)el->num;
			return add(c, r, &m);
		}
		if (!strcmp(f->name, "length")) {
			range_of(el, &lo, &hi);
			m.type = BF_MATCH_LENGTH;
			/* length_mt6() compares payload_len + 40 */
			if (v6) {
				lo += 40;
				hi += 40;
			}
			if (hi > 0xffff) {
				REFUSE(c, &el->loc, "ip6 length above 65495");
				return -EOPNOTSUPP;
			}
			m.u.length.min = (uint16_t)lo;
			m.u.length.max = (uint16_t)hi;
			return add(c, r, &m);
		}
		if (!strcmp(f->name, "dscp") || !strcmp(f->name, "ecn")) {
			/* nft loads the byte (IPv6: the 16 bits) holding the
			 * field, masks and compares it: the DS field's bits
			 * 2-7 or 0-1, always in the header (no break) */
			bool dscp = f->name[0] == 'd';
			if (el->kind != BF_NFT_E_VALUE) {
				REFUSE(c, &el->loc, "%s ranges", f->name);
				return -EOPNOTSUPP;
			}
			m.type = BF_MATCH_DSFIELD;
			m.u.dsfield.mask = dscp ? 0xfc : 0x03;
			m.u.dsfield.value =
				(uint8_t)(dscp ? el->num << 2 : el->num & 3);
			return add(c, r, &m);
		}
		return lower_payload(c, r, loc, f, el, NULL, neg);
	}
	if (!strcmp(f->proto, "ether")) {
		/* `meta iiftype ether` (the dependency nft adds) and the
		 * link-layer header's source: mac_mt()'s test (an Ethernet
		 * device, a MAC header in the skb), no match without them
		 * whatever the operator as nft_payload_eval() breaks */
		if (el->kind != BF_NFT_E_VALUE) {
			REFUSE(c, &lhs->loc,
			       "ether %s in this form (a single value only)",
			       f->name);
			return -EOPNOTSUPP;
		}
		if (!strcmp(f->name, "type")) {
			/* nft_payload_eval(): the LL header's type, as
			 * received (cgen/m_ether.c) */
			m.type = BF_MATCH_ETH_TYPE;
			/* one -m nftether per match */
			m.origin.instance = (uint16_t)r->n_matches;
			m.u.ethtype.type = (uint16_t)el->num;
			return add(c, r, &m);
		}
		m.type = strcmp(f->name, "daddr") ? BF_MATCH_MAC :
						    BF_MATCH_ETH_DADDR;
		m.origin.instance = (uint16_t)r->n_matches;
		memcpy(m.u.mac.addr, el->bytes, 6);
		return add(c, r, &m);
	}
	if (!strcmp(f->proto, "vlan")) {
		/* nft_payload_copy_vlan()'s tag, after nft's dependency
		 * `ether type 8021q` (cgen/m_ether.c) */
		uint64_t lo, hi;

		if (el->kind != BF_NFT_E_VALUE && el->kind != BF_NFT_E_RANGE) {
			REFUSE(c, &lhs->loc,
			       "vlan %s in this form (vlan id, pcp, dei, type with a value or a range only)",
			       f->name);
			return -EOPNOTSUPP;
		}
		range_of(el, &lo, &hi);
		m.type = BF_MATCH_VLAN;
		m.origin.instance = (uint16_t)r->n_matches;
		m.u.vlan.field = !strcmp(f->name, "id")	  ? BF_VLAN_ID :
				 !strcmp(f->name, "pcp")  ? BF_VLAN_PCP :
				 !strcmp(f->name, "type") ? BF_VLAN_TYPE :
							    BF_VLAN_DEI;
		m.u.vlan.lo = (uint16_t)lo;
		m.u.vlan.hi = (uint16_t)hi;
		return add(c, r, &m);
	}
	if (!strcmp(f->proto, "th")) {
		if (strcmp(f->name, "sport") && strcmp(f->name, "dport"))
			return lower_payload(c, r, loc, f, el, NULL, neg);
		/* after `meta l4proto tcp|udp` it is that protocol's port
		 * (the same bytecode: nft lists it as `udp dport`, and
		 * `nft -j` gives it so) */
		for (size_t i = 0; i < r->n_matches; i++) {
			const struct bf_match *o = &r->matches[i];
			const struct bf_nft_field *pf;
			if (o->type != BF_MATCH_L4PROTO || o->neg ||
			    (o->u.proto != 6 && o->u.proto != 17))
				continue;
			pf = nft_field_find(o->u.proto == 6 ? "tcp" : "udp",
					    f->name);
			if (!pf || add_l4_gate(c, r, pf, loc))
				return -ENOMEM;
			range_of(el, &lo, &hi);
			m.type = f->name[0] == 's' ? BF_MATCH_SPORT :
						     BF_MATCH_DPORT;
			m.nft = BF_NFT_BREAK;
			m.u.ports.lo = (uint16_t)lo;
			m.u.ports.hi = (uint16_t)hi;
			return add(c, r, &m);
		}
		/* any protocol (m_nftlimit.c); its own -m th instance in the
		 * iptables text, one port option each */
		range_of(el, &lo, &hi);
		m.type = f->name[0] == 's' ? BF_MATCH_TH_SPORT :
					     BF_MATCH_TH_DPORT;
		m.origin.instance = (uint16_t)r->n_matches;
		m.u.ports.lo = (uint16_t)lo;
		m.u.ports.hi = (uint16_t)hi;
		return add(c, r, &m);
	}
	if (!strcmp(f->proto, "tcp") || !strcmp(f->proto, "udp")) {
		if (!strcmp(f->name, "flags") && el->kind == BF_NFT_E_VALUE) {
			/* an element of a set (`tcp flags { syn, syn | ack
			 * }`): the byte equals it (nft's lookup) */
			m.type = BF_MATCH_TCPFLAGS;
			m.nft = BF_NFT_BREAK;
			m.u.tcpflags.mask = 0xff;
			m.u.tcpflags.cmp = (uint8_t)el->num;
			return add(c, r, &m);
		}
		if (!strcmp(f->name, "flags")) {
			/* handled by the caller (needs the relational op) */
			REFUSE(c, &lhs->loc, "tcp flags in this form");
			return -EOPNOTSUPP;
		}
		if (strcmp(f->name, "sport") && strcmp(f->name, "dport"))
			return lower_payload(c, r, loc, f, el, NULL, neg);
		range_of(el, &lo, &hi);
		m.type = f->name[0] == 's' ? BF_MATCH_SPORT : BF_MATCH_DPORT;
		m.nft = BF_NFT_BREAK;
		m.u.ports.lo = (uint16_t)lo;
		m.u.ports.hi = (uint16_t)hi;
		return add(c, r, &m);
	}
	if ((!strcmp(f->proto, "icmp") || !strcmp(f->proto, "icmpv6")) &&
	    strcmp(f->name, "type")) {
		int ret = add_icmp_dep(c, r, f, loc);

		return ret ? ret : lower_payload(c, r, loc, f, el, NULL, neg);
	}
	if (!strcmp(f->proto, "meta")) {
		switch (f->id) {
		case BF_NFT_META_L4PROTO:
			if (el->kind != BF_NFT_E_VALUE || !el->num) {
				REFUSE(c, &el->loc, "this l4proto value");
				return -EOPNOTSUPP;
			}
			m.type = BF_MATCH_L4PROTO;
			m.nft = l4proto_mode(r);
			m.u.proto = (uint8_t)el->num;
			return add(c, r, &m);
		case BF_NFT_META_MARK:
			if (el->kind != BF_NFT_E_VALUE) {
				REFUSE(c, &el->loc, "mark ranges");
				return -EOPNOTSUPP;
			}
			m.type = BF_MATCH_MARK;
			m.u.mark.mask = 0xffffffff;
			m.u.mark.value = (uint32_t)el->num;
			return add(c, r, &m);
		case BF_NFT_META_IIFNAME:
		case BF_NFT_META_OIFNAME: {
			const char *name = el->text;
			size_t n = strlen(name);
			if (el->kind != BF_NFT_E_VALUE || strchr(name, '\\')) {
				REFUSE(c, &el->loc, "this interface name form");
				return -EOPNOTSUPP;
			}
			m.type = f->id == BF_NFT_META_IIFNAME ?
					 BF_MATCH_IIFNAME :
					 BF_MATCH_OIFNAME;
			snprintf(m.u.iface.name, sizeof(m.u.iface.name), "%s",
				 name);
			if (n && name[n - 1] == '*') {
				/* nft's wildcard: a prefix */
				m.u.iface.name[n - 1] = '+';
				m.u.iface.cmp_len = (uint8_t)(n - 1);
			} else {
				m.u.iface.cmp_len = (uint8_t)(n + 1);
			}
			return add(c, r, &m);
		}
		case BF_NFT_META_PKTTYPE:
			if (el->kind != BF_NFT_E_VALUE) {
				REFUSE(c, &el->loc, "pkttype ranges");
				return -EOPNOTSUPP;
			}
			m.type = BF_MATCH_PKTTYPE;
			m.u.pkttype.pkttype = (uint8_t)el->num;
			return add(c, r, &m);
		case BF_NFT_META_LENGTH:
			range_of(el, &lo, &hi);
			if (hi > 0xffff) {
				REFUSE(c, &el->loc, "meta length above 65535");
				return -EOPNOTSUPP;
			}
			m.type = BF_MATCH_LENGTH;
			m.u.length.min = (uint16_t)lo;
			m.u.length.max = (uint16_t)hi;
			return add(c, r, &m);
		case BF_NFT_META_IIF:
		case BF_NFT_META_OIF: {
			/* nft resolves the name to the device's index when
			 * the rule is loaded (and refuses a missing one): so
			 * here, in the namespace the ruleset is lowered in */
			unsigned int idx;
			if (el->kind != BF_NFT_E_VALUE || !el->text) {
				REFUSE(c, &el->loc, "%s ranges", f->name);
				return -EOPNOTSUPP;
			}
			idx = if_nametoindex(el->text);
			if (!idx) {
				if (!seen_loc(c, &el->loc))
					nft_error(
						&c->errs, &el->loc,
						"interface '%s' does not exist (nft resolves %s when the rule is loaded)",
						el->text, f->name);
				return -EINVAL;
			}
			m.type = f->id == BF_NFT_META_IIF ? BF_MATCH_IIF :
							    BF_MATCH_OIF;
			m.origin.instance = (uint16_t)r->n_matches;
			m.u.ifindex.index = idx;
			return add(c, r, &m);
		}
		default:
			REFUSE(c, &lhs->loc, "meta %s has no IR equivalent",
			       f->name);
			return -EOPNOTSUPP;
		}
	}
	if (!strcmp(f->proto, "ct")) {
		if (f->id == BF_NFT_CT_MARK && el->kind == BF_NFT_E_VALUE) {
			m.type = BF_MATCH_CONNMARK;
			m.u.mark.mask = 0xffffffff;
			m.u.mark.value = (uint32_t)el->num;
			return add(c, r, &m);
		}
		if (f->id == BF_NFT_CT_STATE && el->kind == BF_NFT_E_VALUE) {
			uint32_t v = (uint32_t)el->num, mask = 0;
			if (v & 1)
				mask |= BF_CTSTATE_INVALID;
			if (v & 2)
				mask |= BF_CTSTATE_ESTABLISHED;
			if (v & 4)
				mask |= BF_CTSTATE_RELATED;
			if (v & 8)
				mask |= BF_CTSTATE_NEW;
			if (v & 64)
				mask |= BF_CTSTATE_UNTRACKED;
			if (v & ~(uint32_t)(1 | 2 | 4 | 8 | 64)) {
				REFUSE(c, &el->loc, "ct state bits");
				return -EOPNOTSUPP;
			}
			m.type = BF_MATCH_CTSTATE;
			m.u.ctstate.mask = mask;
			return add(c, r, &m);
		}
		if (f->id == BF_NFT_CT_HELPER && el->kind == BF_NFT_E_VALUE &&
		    el->text && strlen(el->text) < 16) {
			/* nft_ct_get_eval(): the master's helper name,
			 * padded to NF_CT_HELPER_NAME_LEN, compared whole;
			 * NFT_BREAK without one (cgen/m_ctext.c) */
			m.type = BF_MATCH_HELPER;
			m.u.helper.nft = true;
			snprintf(m.u.helper.name, sizeof(m.u.helper.name), "%s",
				 el->text);
			return add(c, r, &m);
		}
		if (f->id == BF_NFT_CT_DIRECTION &&
		    el->kind == BF_NFT_E_VALUE && el->num <= 1) {
			/* nft_ct_get_eval(): CTINFO2DIR(ctinfo), no match
			 * without an entry, as conntrack_mt()'s --ctdir */
			m.type = BF_MATCH_CONNTRACK;
			m.neg = false;
			m.u.conntrack.match_flags = BF_CT_DIRECTION;
			if ((el->num == 1) != neg)
				m.u.conntrack.invert_flags = BF_CT_DIRECTION;
			return add(c, r, &m);
		}
		if (f->id >= BF_NFT_CT_SADDR && f->id <= BF_NFT_CT_L3PROTO)
			return lower_ct_tuple(c, r, f, el, neg, &m);
		REFUSE(c, &lhs->loc, "ct %s in this form", f->name);
		return -EOPNOTSUPP;
	}
	REFUSE(c, &lhs->loc, "%s %s has no IR equivalent", f->proto, f->name);
	return -EOPNOTSUPP;
}

/* `limit rate [over] N/unit [burst B]`: nft_limit's bucket (m_nft.c).
 * The match is stateful: evaluated once per packet reaching it, in
 * its place among the rule's matches. */
static int lower_limit(struct lctx *c, struct bf_rule *r,
		       const struct bf_nft_stmt *s)
{
	struct bf_match m = { 0 };
	uint64_t max, cost;

	set_line(&m, &s->loc);
	m.type = BF_MATCH_NFT_LIMIT;
	m.origin.instance = (uint16_t)r->n_matches;
	m.u.nft_limit.rate = s->u.limit.rate;
	m.u.nft_limit.unit = s->u.limit.unit;
	m.u.nft_limit.burst = (uint32_t)s->u.limit.burst;
	if (!s->u.limit.bytes && !s->u.limit.burst)
		m.u.nft_limit.burst = 5; /* nft_limit_init()'s default */
	m.u.nft_limit.bytes = s->u.limit.bytes;
	m.u.nft_limit.over = s->u.limit.over;
	if (c->lim_shared) {
		/* one bucket for all the programs it is lowered into */
		size_t k = 0;

		while (k < c->n_lims && c->lims[k] != s)
			k++;
		if (k == c->n_lims) {
			const struct bf_nft_stmt **n;

			if (c->bucket0 + k + 1 > UINT16_MAX) {
				REFUSE(c, &s->loc,
				       "more than %u limits shared by several programs",
				       UINT16_MAX);
				return -EOPNOTSUPP;
			}
			n = realloc(c->lims, (k + 1) * sizeof(*n));
			if (!n)
				return -ENOMEM;
			c->lims = n;
			c->lims[c->n_lims++] = s;
		}
		m.u.nft_limit.bucket = (uint16_t)(c->bucket0 + k + 1);
	}
	if (s->u.limit.burst > UINT32_MAX ||
	    bf_nft_limit_bucket(&m.u.nft_limit, &max, &cost)) {
		/* NFTA_LIMIT_BURST is 32 bits; nft_limit_init() refuses
		 * rate 0 and overflowing buckets */
		REFUSE(c, &s->loc,
		       "a limit the kernel refuses (rate 0, or a bucket that overflows)");
		return -EOPNOTSUPP;
	}
	return add(c, r, &m);
}

/* Matches the iptables text (apply's input) evaluates first, whatever
 * their place: -s, -d, -i, -o, -p, -f. After a limit they would change
 * which packets take tokens. */
static bool core_after_limit(const struct bf_rule *r)
{
	bool limit = false;

	for (size_t i = 0; i < r->n_matches; i++) {
		switch (r->matches[i].type) {
		case BF_MATCH_NFT_LIMIT:
			limit = true;
			break;
		case BF_MATCH_SADDR:
		case BF_MATCH_DADDR:
		case BF_MATCH_IIFNAME:
		case BF_MATCH_OIFNAME:
		case BF_MATCH_L4PROTO:
		case BF_MATCH_FRAG:
			if (limit)
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static bool has_limit(const struct bf_rule *r)
{
	for (size_t i = 0; i < r->n_matches; i++)
		if (r->matches[i].type == BF_MATCH_NFT_LIMIT)
			return true;
	return false;
}

/* `ct status [!] FLAGS`: any of the bits (none of them with `!`), as
 * nft lists a bitmask compare; the register is ct->status
 * (nft_ct_get_eval(), no match without an entry), which conntrack_mt()'s
 * --ctstatus tests the same way. `==` / `!=` compare the whole register
 * (cmp eq / neq): BF_CT_STATUS_EQ, also without a match when there is no
 * entry. The kernel defines status bits 0..15 (__IPS_MAX_BIT): a value
 * with a higher bit is refused (status_mask has 16 bits). */
static int lower_ctstatus(struct lctx *c, struct bf_rule *r,
			  const struct bf_nft_stmt *s)
{
	const struct bf_nft_expr *rhs = s->u.match.rhs;
	const uint64_t known = BF_CT_STATUS_EXPECTED | BF_CT_STATUS_SEEN_REPLY |
			       BF_CT_STATUS_ASSURED | BF_CT_STATUS_CONFIRMED |
			       BF_CT_STATUS_SRC_NAT | BF_CT_STATUS_DST_NAT |
			       BF_CT_STATUS_DYING;
	struct bf_match m = { 0 };

	if ((s->u.match.op == BF_NFT_OP_EQ || s->u.match.op == BF_NFT_OP_NE) &&
	    rhs->kind == BF_NFT_E_VALUE) {
		if (rhs->num > 0xffff) {
			REFUSE(c, &s->loc,
			       "ct status with a bit above 15 (the kernel defines none, __IPS_MAX_BIT)");
			return -EOPNOTSUPP;
		}
		set_line(&m, &s->loc);
		m.type = BF_MATCH_CONNTRACK;
		m.u.conntrack.match_flags = BF_CT_STATUS_EQ;
		if (s->u.match.op == BF_NFT_OP_NE)
			m.u.conntrack.invert_flags = BF_CT_STATUS_EQ;
		m.u.conntrack.status_mask = (uint16_t)rhs->num;
		return add(c, r, &m);
	}
	if ((s->u.match.op != BF_NFT_OP_IMPLICIT &&
	     s->u.match.op != BF_NFT_OP_NEG) ||
	    rhs->kind != BF_NFT_E_VALUE || !rhs->num || (rhs->num & ~known)) {
		REFUSE(c, &s->loc,
		       "ct status other than [!] expected, seen-reply, assured, confirmed, snat, dnat, dying");
		return -EOPNOTSUPP;
	}
	set_line(&m, &s->loc);
	m.type = BF_MATCH_CONNTRACK;
	m.u.conntrack.match_flags = BF_CT_STATUS;
	m.u.conntrack.status_mask = (uint16_t)rhs->num;
	if (s->u.match.op == BF_NFT_OP_NEG)
		m.u.conntrack.invert_flags = BF_CT_STATUS;
	return add(c, r, &m);
}

/* The transport header a field needs, before its match. */
static int add_l4_gate(struct lctx *c, struct bf_rule *r,
		       const struct bf_nft_field *f,
		       const struct bf_nft_loc *loc)
{
	struct bf_match m = { 0 };
	uint8_t need;

	if (!f || f->base != BF_NFT_BASE_TH || !f->l4proto)
		return 0;
	need = (uint8_t)((f->off_bits + f->len_bits + 7) / 8);
	/* nft_payload_eval(): a header that cannot be read does not match
	 * (NFT_BREAK), so the gate (nft evaluation, bf_nft_mode) asks for
	 * the end of the farthest field of the rule: the rule holds only
	 * if every load succeeds, whatever their order (none hotdrops). */
	for (size_t i = 0; i < r->n_matches; i++) {
		struct bf_match *o = &r->matches[i];
		if (o->type == BF_MATCH_L4HDR &&
		    o->u.l4hdr.proto == f->l4proto) {
			if (o->u.l4hdr.min_len < need)
				o->u.l4hdr.min_len = need;
			return 0;
		}
	}
	set_line(&m, loc);
	m.type = BF_MATCH_L4PROTO;
	m.nft = l4proto_mode(r);
	m.u.proto = f->l4proto;
	if (add(c, r, &m))
		return -ENOMEM;
	memset(&m.u, 0, sizeof(m.u));
	m.type = BF_MATCH_L4HDR;
	m.nft = BF_NFT_BREAK;
	m.u.l4hdr.proto = f->l4proto;
	m.u.l4hdr.min_len = need;
	return add(c, r, &m);
}

/* ICMP type [code]: one IR match. */
static int lower_icmp(struct lctx *c, struct bf_rule *r,
		      const struct bf_nft_stmt *s, const struct bf_nft_expr *el,
		      const struct bf_nft_stmt *code_stmt, bool neg)
{
	bool v6 = r->family == BF_FAMILY_INET6;
	struct bf_match m = { 0 };
	uint64_t lo, hi;
	int ret;

	ret = add_l4_gate(c, r, fld(s->u.match.lhs), &s->loc);
	if (!ret && code_stmt)
		ret = add_l4_gate(c, r, fld(code_stmt->u.match.lhs),
				  &code_stmt->loc);
	if (ret)
		return ret;
	if (el->kind != BF_NFT_E_VALUE) {
		REFUSE(c, &el->loc, "icmp type ranges");
		return -EOPNOTSUPP;
	}
	set_line(&m, &s->loc);
	m.type = BF_MATCH_ICMP;
	m.nft = BF_NFT_BREAK; /* type 255 is no wildcard there */
	m.neg = neg;
	m.u.icmp.type = (uint8_t)el->num;
	m.u.icmp.code_lo = 0;
	m.u.icmp.code_hi = 0xff;
	(void)v6;
	if (code_stmt) {
		range_of(code_stmt->u.match.rhs, &lo, &hi);
		m.u.icmp.code_lo = (uint8_t)lo;
		m.u.icmp.code_hi = (uint8_t)hi;
	}
	return add(c, r, &m);
}

/* The code (value or range) of the ICMP match lower_icmp() just added. */
static int icmp_code_of(struct lctx *c, struct bf_rule *r,
			const struct bf_nft_expr *el)
{
	uint64_t lo, hi;

	if (!r->n_matches ||
	    r->matches[r->n_matches - 1].type != BF_MATCH_ICMP ||
	    (el->kind != BF_NFT_E_VALUE && el->kind != BF_NFT_E_RANGE)) {
		REFUSE(c, &el->loc, "an icmp code of this form");
		return -EOPNOTSUPP;
	}
	range_of(el, &lo, &hi);
	r->matches[r->n_matches - 1].u.icmp.code_lo = (uint8_t)lo;
	r->matches[r->n_matches - 1].u.icmp.code_hi = (uint8_t)hi;
	return 0;
}

static bool is_icmp_type(const struct bf_nft_field *f)
{
	return f &&
	       (!strcmp(f->proto, "icmp") || !strcmp(f->proto, "icmpv6")) &&
	       !strcmp(f->name, "type");
}

/* `lhs [!=] el` for one element el of a set (or a value): a
 * concatenation `a . b` against `x . y` is `a x` and `b y`, each with the
 * transport header its field needs; a negated one (`!=` of all the
 * components together) has no IR form. */
static int lower_elem(struct lctx *c, struct bf_rule *r,
		      const struct bf_nft_stmt *s,
		      const struct bf_nft_expr *lhs,
		      const struct bf_nft_expr *el, bool neg)
{
	int ret = 0;

	if (lhs->kind != BF_NFT_E_CONCAT) {
		if (is_icmp_type(fld(lhs)))
			return lower_icmp(c, r, s, el, NULL, neg);
		return lower_cmp(c, r, s, lhs, el, neg);
	}
	if (neg || el->kind != BF_NFT_E_CONCAT || el->n_sub != lhs->n_sub) {
		REFUSE(c, &el->loc, "a negated concatenation");
		return -EOPNOTSUPP;
	}
	for (size_t k = 0; k < lhs->n_sub && !ret; k++) {
		const struct bf_nft_expr *l = lhs->sub[k];
		ret = add_l4_gate(c, r,
				  l->kind == BF_NFT_E_BINOP ? fld(l->sub[0]) :
							      fld(l),
				  &s->loc);
		if (ret)
			break;
		if (is_icmp_type(fld(l)) && k + 1 < lhs->n_sub &&
		    fld(lhs->sub[k + 1]) &&
		    !strcmp(fld(lhs->sub[k + 1])->name, "code") &&
		    !strcmp(fld(lhs->sub[k + 1])->proto, fld(l)->proto)) {
			/* `icmpv6 type . icmpv6 code { 130 . 0, ... }`
			 * (fw4): one ICMP match of that type and code */
			ret = lower_icmp(c, r, s, el->sub[k], NULL, false);
			if (!ret)
				ret = icmp_code_of(c, r, el->sub[k + 1]);
			k++;
		} else if (is_icmp_type(fld(l)))
			ret = lower_icmp(c, r, s, el->sub[k], NULL, false);
		else
			ret = lower_cmp(c, r, s, l, el->sub[k], false);
	}
	return ret;
}

/* ---- rule expansion ---- */

struct irule {
	struct bf_rule r;
	bool dead; /* can never match (wrong family) */
};

struct expansion {
	/* the one set/vmap of the rule being expanded, if any */
	const struct bf_nft_stmt *set_stmt;
	const struct bf_nft_expr *set; /* E_SET */
};

/* Lowest and highest address of a value, prefix or range. */
static void addr_bounds(const struct bf_nft_expr *e, uint8_t lo[16],
			uint8_t hi[16])
{
	if (e->kind == BF_NFT_E_RANGE) {
		memcpy(lo, e->sub[0]->bytes, 16);
		memcpy(hi, e->sub[1]->bytes, 16);
		return;
	}
	if (e->kind == BF_NFT_E_PREFIX) {
		unsigned int bits = e->sub[0]->dtype == BF_NFT_DT_IPV4 ? 32 :
									 128;
		memcpy(lo, e->sub[0]->bytes, 16);
		memcpy(hi, e->sub[0]->bytes, 16);
		for (unsigned int i = e->plen; i < bits; i++) {
			lo[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
			hi[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		}
		return;
	}
	memcpy(lo, e->bytes, 16);
	memcpy(hi, e->bytes, 16);
}

/* Can no packet match both elements a and b (values, ranges, prefixes,
 * or concatenations of them, which are disjoint when one component is)? */
static bool pair_disjoint(const struct bf_nft_expr *a,
			  const struct bf_nft_expr *b)
{
	if (a->kind == BF_NFT_E_MAPPING)
		a = a->sub[0];
	if (b->kind == BF_NFT_E_MAPPING)
		b = b->sub[0];
	if (a->kind == BF_NFT_E_CONCAT || b->kind == BF_NFT_E_CONCAT) {
		if (a->kind != b->kind || a->n_sub != b->n_sub)
			return false;
		for (size_t k = 0; k < a->n_sub; k++)
			if (pair_disjoint(a->sub[k], b->sub[k]))
				return true;
		return false;
	}
	if (a->kind == BF_NFT_E_VALUE && b->kind == BF_NFT_E_VALUE) {
		if (a->dtype == BF_NFT_DT_IFNAME ||
		    a->dtype == BF_NFT_DT_IFINDEX) {
			/* "eth*" is every name starting with "eth": two
			 * names overlap when one is (a prefix of) the
			 * other */
			const char *x = a->text, *y = b->text;
			size_t lx = strcspn(x, "*"), ly = strcspn(y, "*");
			bool wx = x[lx] == '*', wy = y[ly] == '*';
			if (strchr(x, '\\') || strchr(y, '\\'))
				return false;
			if (wx && wy)
				return strncmp(x, y, lx < ly ? lx : ly) != 0;
			if (wx)
				return strncmp(x, y, lx) != 0;
			if (wy)
				return strncmp(x, y, ly) != 0;
			return strcmp(x, y) != 0;
		}
		return a->num != b->num || memcmp(a->bytes, b->bytes, 16);
	}
	/* integer ranges */
	if (a->dtype != BF_NFT_DT_IPV4 && a->dtype != BF_NFT_DT_IPV6 &&
	    (a->kind == BF_NFT_E_RANGE || a->kind == BF_NFT_E_VALUE) &&
	    (b->kind == BF_NFT_E_RANGE || b->kind == BF_NFT_E_VALUE)) {
		uint64_t alo, ahi, blo, bhi;
		range_of(a, &alo, &ahi);
		range_of(b, &blo, &bhi);
		return !(alo <= bhi && blo <= ahi);
	}
	if (a->dtype == BF_NFT_DT_IPV4 || a->dtype == BF_NFT_DT_IPV6 ||
	    (a->kind != BF_NFT_E_VALUE && a->sub[0]->dtype <= BF_NFT_DT_IPV6 &&
	     (a->sub[0]->dtype == BF_NFT_DT_IPV4 ||
	      a->sub[0]->dtype == BF_NFT_DT_IPV6))) {
		uint8_t alo[16], ahi[16], blo[16], bhi[16];
		addr_bounds(a, alo, ahi);
		addr_bounds(b, blo, bhi);
		return !(memcmp(alo, bhi, 16) <= 0 &&
			 memcmp(blo, ahi, 16) <= 0);
	}
	return false;
}

static bool elems_disjoint(const struct bf_nft_expr *set)
{
	for (size_t i = 0; i < set->n_sub; i++)
		for (size_t j = i + 1; j < set->n_sub; j++)
			if (!pair_disjoint(set->sub[i], set->sub[j]))
				return false;
	return true;
}

static bool verdict_of(struct lctx *c, int v, const char *chain,
		       struct bf_verdict *out, const struct bf_nft_loc *loc)
{
	memset(out, 0, sizeof(*out));
	switch (v) {
	case BF_NFT_V_ACCEPT:
		/* ends the base chain only (lower_bases()) */
		out->kind = c->cont >= 0 ? BF_VERDICT_NFT_NEXT :
					   BF_VERDICT_ACCEPT;
		return true;
	case BF_NFT_V_DROP:
		out->kind = BF_VERDICT_DROP;
		return true;
	case BF_NFT_V_CONTINUE:
		out->kind = BF_VERDICT_CONTINUE;
		return true;
	case BF_NFT_V_RETURN:
		out->kind = BF_VERDICT_RETURN;
		return true;
	case BF_NFT_V_JUMP:
	case BF_NFT_V_GOTO: {
		const struct bf_nft_chain *ch =
			bf_nft_chain_find(c->table, chain);
		if (!ch) {
			nft_error(&c->errs, loc, "no such chain: %s", chain);
			return false;
		}
		if (ch->hook != BF_NFT_HOOK_NONE) {
			nft_error(&c->errs, loc, "cannot jump to base chain %s",
				  chain);
			return false;
		}
		out->kind = v == BF_NFT_V_JUMP ? BF_VERDICT_JUMP :
						 BF_VERDICT_GOTO;
		snprintf(out->chain, sizeof(out->chain), "%s",
			 c->names[ch - c->table->chains]);
		return true;
	}
	default:
		return false;
	}
}

/* The reject type's code through its table (tab[code], 0 marking a hole but
 * for code 0): a code without an IR equivalent is refused. */
static bool reject_code(struct lctx *c, const struct bf_nft_stmt *s,
			const enum bf_reject_with *tab, size_t n,
			const char *what, struct bf_verdict *v)
{
	uint8_t code = s->u.reject.code;

	if (code >= n || (!tab[code] && code != 0)) {
		REFUSE(c, &s->loc, "reject with %s code %u", what, code);
		return false;
	}
	v->u.reject.with = tab[code];
	return true;
}

static bool reject_of(struct lctx *c, const struct bf_nft_stmt *s,
		      enum bf_family fam, struct bf_verdict *v)
{
	static const enum bf_reject_with icmp[16] = {
		[0] = BF_REJECT_ICMP_NET_UNREACHABLE,
		[1] = BF_REJECT_ICMP_HOST_UNREACHABLE,
		[2] = BF_REJECT_ICMP_PROTO_UNREACHABLE,
		[3] = BF_REJECT_ICMP_PORT_UNREACHABLE,
		[9] = BF_REJECT_ICMP_NET_PROHIBITED,
		[10] = BF_REJECT_ICMP_HOST_PROHIBITED,
		[13] = BF_REJECT_ICMP_ADMIN_PROHIBITED,
	};
	static const enum bf_reject_with icmp6[8] = {
		[0] = BF_REJECT_ICMP6_NO_ROUTE,
		[1] = BF_REJECT_ICMP6_ADM_PROHIBITED,
		[3] = BF_REJECT_ICMP6_ADDR_UNREACHABLE,
		[4] = BF_REJECT_ICMP6_PORT_UNREACHABLE,
		[5] = BF_REJECT_ICMP6_POLICY_FAIL,
		[6] = BF_REJECT_ICMP6_REJECT_ROUTE,
	};
	uint8_t code = s->u.reject.code;

	memset(v, 0, sizeof(*v));
	v->kind = BF_VERDICT_REJECT;
	switch (s->u.reject.type) {
	case BF_NFT_REJECT_TCP_RESET:
		v->u.reject.with = BF_REJECT_TCP_RESET;
		return true;
	case BF_NFT_REJECT_DEFAULT:
		v->u.reject.with = fam == BF_FAMILY_INET6 ?
					   BF_REJECT_ICMP6_PORT_UNREACHABLE :
					   BF_REJECT_ICMP_PORT_UNREACHABLE;
		return true;
	case BF_NFT_REJECT_ICMP:
		if (fam != BF_FAMILY_INET4)
			return false;
		return reject_code(c, s, icmp, ARRAY_SIZE(icmp), "icmp", v);
	case BF_NFT_REJECT_ICMP6:
		if (fam != BF_FAMILY_INET6)
			return false;
		return reject_code(c, s, icmp6, ARRAY_SIZE(icmp6), "icmpv6", v);
	case BF_NFT_REJECT_ICMPX: {
		/* nft_reject_icmpx_to_icmp_code() / _icmpv6_code() */
		static const enum bf_reject_with x[2][4] = {
			{
				BF_REJECT_ICMP_NET_UNREACHABLE,
				BF_REJECT_ICMP_PORT_UNREACHABLE,
				BF_REJECT_ICMP_HOST_UNREACHABLE,
				BF_REJECT_ICMP_ADMIN_PROHIBITED,
			},
			{
				BF_REJECT_ICMP6_NO_ROUTE,
				BF_REJECT_ICMP6_PORT_UNREACHABLE,
				BF_REJECT_ICMP6_ADDR_UNREACHABLE,
				BF_REJECT_ICMP6_ADM_PROHIBITED,
			},
		};
		if (code > 3)
			return false;
		v->u.reject.with = x[fam != BF_FAMILY_INET4][code];
		return true;
	}
	}
	return false;
}

/* Does the rule (for this family) test fields of the other family? */
static unsigned int rule_families(const struct bf_nft_rule *rule)
{
	unsigned int fams = 3;

	for (size_t i = 0; i < rule->n_stmts; i++) {
		const struct bf_nft_stmt *s = &rule->stmts[i];
		const struct bf_nft_expr *l;
		if (s->kind != BF_NFT_S_MATCH)
			continue;
		l = s->u.match.lhs;
		while (l->kind == BF_NFT_E_BINOP)
			l = l->sub[0];
		if (l->kind == BF_NFT_E_CONCAT)
			for (size_t k = 0; k < l->n_sub; k++)
				if (fld(l->sub[k]))
					fams &= field_families(fld(l->sub[k]));
		if (fld(l))
			fams &= field_families(fld(l));
		/* `ct l3proto`: the entry's family is the packet's (and
		 * lower_ct_tuple() asks for an entry) */
		if (fld(l) &&
		    ((fld(l)->id == BF_NFT_META_NFPROTO &&
		      !strcmp(fld(l)->proto, "meta")) ||
		     (fld(l)->id == BF_NFT_CT_L3PROTO &&
		      !strcmp(fld(l)->proto, "ct"))) &&
		    s->u.match.rhs->kind == BF_NFT_E_VALUE) {
			bool eq = s->u.match.op != BF_NFT_OP_NE;
			unsigned int f = s->u.match.rhs->num == 2  ? 1u :
					 s->u.match.rhs->num == 10 ? 2u :
								     0u;
			fams &= eq ? f : (3u & ~f);
		}
		if (fld(l) && fld(l)->id == BF_NFT_META_PROTOCOL &&
		    !strcmp(fld(l)->proto, "meta") &&
		    s->u.match.rhs->kind == BF_NFT_E_VALUE) {
			bool eq = s->u.match.op != BF_NFT_OP_NE;
			unsigned int f = s->u.match.rhs->num == 0x0800 ? 1u :
					 s->u.match.rhs->num == 0x86dd ? 2u :
									 0u;
			fams &= eq ? f : (3u & ~f);
		}
		/* `meta protocol|nfproto [!=] { ... }`: the families of
		 * the elements (an element of neither is no family) */
		if (fld(l) && l == s->u.match.lhs &&
		    (fld(l)->id == BF_NFT_META_PROTOCOL ||
		     fld(l)->id == BF_NFT_META_NFPROTO) &&
		    !strcmp(fld(l)->proto, "meta") &&
		    s->u.match.rhs->kind == BF_NFT_E_SET &&
		    (s->u.match.op == BF_NFT_OP_EQ ||
		     s->u.match.op == BF_NFT_OP_IMPLICIT ||
		     s->u.match.op == BF_NFT_OP_NE)) {
			bool proto = fld(l)->id == BF_NFT_META_PROTOCOL;
			const struct bf_nft_expr *set = s->u.match.rhs;
			unsigned int f = 0;
			for (size_t k = 0; k < set->n_sub; k++) {
				const struct bf_nft_expr *e = set->sub[k];
				if (e->kind != BF_NFT_E_VALUE)
					continue;
				if (e->num == (proto ? 0x0800u : 2u))
					f |= 1u;
				if (e->num == (proto ? 0x86ddu : 10u))
					f |= 2u;
			}
			fams &= s->u.match.op == BF_NFT_OP_NE ? (3u & ~f) : f;
		}
	}
	return fams;
}

/* Chains are found by name at each push: adding a chain (helper chains
 * of negated sets) moves them. */
static int push_rule(struct lctx *c, const char *chname, struct bf_rule *r)
{
	struct bf_chain *ch = bf_ruleset_chain(c->rs, r->family, chname);
	int ret = ch ? bf_chain_add_rule(ch, r) : -ENOENT;

	if (ret) {
		bf_rule_release(r);
		c->oom = true;
	}
	memset(r, 0, sizeof(*r));
	return ret;
}

/* A goto in a base chain whose policy is drop: in nft the goto pushes no
 * frame, so when the target chain ends (falls off its end or returns) the
 * stack is empty and the base chain's policy drops (nft_do_chain()). In
 * the IR the base chain is a user chain jumped from the built-in one, so
 * a GOTO's target returns past the base chain's final DROP rule into the
 * built-in chain. Each such GOTO of IR chain irc (family f) becomes a JUMP
 * to a helper chain H = `-j target`, `-j DROP` (one per rule). */
static int base_goto_drop(struct lctx *c, enum bf_family f, const char *irc)
{
	struct bf_chain *ch = bf_ruleset_chain(c->rs, f, irc);

	for (size_t i = 0; ch && i < ch->n_rules; i++) {
		char target[BF_CHAIN_NAME_MAX + 1];
		char hname[BF_CHAIN_NAME_MAX + 1];
		struct bf_rule jr = { 0 }, dr = { 0 };
		struct bf_rule *r = &ch->rules[i];
		int file_line = r->line;
		const char *file = r->file;
		if (r->verdict.kind != BF_VERDICT_GOTO)
			continue;
		snprintf(target, sizeof(target), "%s", r->verdict.chain);
		synth_name(c, hname, sizeof(hname));
		r->verdict.kind = BF_VERDICT_JUMP;
		snprintf(r->verdict.chain, sizeof(r->verdict.chain), "%s",
			 hname);
		if (bf_ruleset_add_chain(c->rs, f, hname, file_line, NULL))
			return -ENOMEM;
		jr.family = dr.family = f;
		jr.file = dr.file = file;
		jr.line = dr.line = file_line;
		jr.verdict.kind = BF_VERDICT_JUMP;
		snprintf(jr.verdict.chain, sizeof(jr.verdict.chain), "%s",
			 target);
		dr.verdict.kind = BF_VERDICT_DROP;
		if (push_rule(c, hname, &jr) || push_rule(c, hname, &dr))
			return -ENOMEM;
		/* adding a chain moved the chains */
		ch = bf_ruleset_chain(c->rs, f, irc);
	}
	return 0;
}

/* Can the key of `lhs != { ... }` be missing, so that nft breaks the rule
 * before the lookup? `th` ports (no transport header, or past the
 * packet), `meta l4proto` on IPv6 (nft_set_pktinfo_ipv6() found no
 * transport protocol), `ct` keys other than `state` without a conntrack
 * entry (nft_ct_get_eval()), `rt`, `ether`, `vlan` headers that are not
 * there. tcp, udp and icmp fields have the parent's transport gate
 * (add_l4_gate()); addresses, interface names, marks, lengths are always
 * there. */
static bool negset_key_may_break(const struct bf_nft_expr *lhs,
				 enum bf_family fam)
{
	const struct bf_nft_field *f;

	if (lhs->kind == BF_NFT_E_CONCAT)
		return false;
	f = lhs->kind == BF_NFT_E_BINOP ? fld(lhs->sub[0]) : fld(lhs);
	if (!f)
		return false;
	if (!strcmp(f->proto, "meta"))
		return f->id == BF_NFT_META_L4PROTO && fam == BF_FAMILY_INET6;
	if (!strcmp(f->proto, "ct"))
		return strcmp(f->name, "state") != 0;
	return !strcmp(f->proto, "th") || !strcmp(f->proto, "rt") ||
	       !strcmp(f->proto, "ether") || !strcmp(f->proto, "vlan");
}

/* `M lhs != { e1, e2... } V`: one rule with a negated match per element
 * cannot be carried by iptables-save text (one -s, one -p per rule), so a
 * helper chain does it: parent `M -j H`, H = `e1 -j RETURN`, `e2 -j
 * RETURN`, ..., `V`. V runs inside H: fine for accept, drop, reject, no
 * verdict and jump (the jump returns into H, which then returns to the
 * parent's next rule); refused for return and goto, which would act on
 * H's frame instead of the rule's chain. */
static int lower_negset(struct lctx *c, const char *ch, struct bf_rule *r,
			const struct bf_nft_stmt *s,
			const struct bf_nft_expr *set, size_t side_rules)
{
	char hname[BF_CHAIN_NAME_MAX + 1];
	const struct bf_nft_expr *lhs0 = s->u.match.lhs;
	enum bf_family fam = r->family;
	struct bf_rule last = { 0 };
	int ret;

	if (r->verdict.kind == BF_VERDICT_RETURN ||
	    r->verdict.kind == BF_VERDICT_GOTO || side_rules) {
		REFUSE(c, &s->loc,
		       "a negated set in a rule with return, goto, log or a set statement");
		bf_rule_release(r);
		return -EOPNOTSUPP;
	}
	synth_name(c, hname, sizeof(hname));
	if (bf_ruleset_add_chain(c->rs, fam, hname, s->loc.line, NULL)) {
		bf_rule_release(r);
		c->oom = true;
		return -ENOMEM;
	}
	last.family = fam;
	last.file = r->file;
	last.line = r->line;
	last.verdict = r->verdict;
	r->verdict = (struct bf_verdict){ .kind = BF_VERDICT_JUMP };
	snprintf(r->verdict.chain, sizeof(r->verdict.chain), "%s", hname);
	/* nft's lookup (nft_lookup_eval() with NFT_LOOKUP_F_INV) runs only
	 * if the key could be loaded: a `th` port without a transport
	 * header, `meta l4proto` where the IPv6 walk failed, a `ct` key
	 * without an entry break the rule (NFT_BREAK) whatever `!=` says,
	 * while H's RETURN rules would then all fail and V run. The parent
	 * tests the first element negated (true of every packet the rule
	 * matches, and failing as nft does where the key is missing). */
	ret = 0;
	if (negset_key_may_break(lhs0, fam) && set->n_sub)
		ret = lower_elem(c, r, s, lhs0, set->sub[0], true);
	/* a concatenation (merge_neq() in eval.c): the fields' protocol
	 * dependencies are the rule's, as nft puts them before the load */
	for (size_t k = 0;
	     !ret && lhs0->kind == BF_NFT_E_CONCAT && k < lhs0->n_sub; k++)
		ret = add_l4_gate(c, r, fld(lhs0->sub[k]), &s->loc);
	if (ret) {
		bf_rule_release(r);
		bf_rule_release(&last);
		return ret;
	}
	ret = push_rule(c, ch, r);
	for (size_t k = 0; k < set->n_sub && !ret; k++) {
		struct bf_rule er = { 0 };
		const struct bf_nft_expr *lhs = s->u.match.lhs;
		const struct bf_nft_field *f = fld(lhs);
		er.family = fam;
		er.file = last.file;
		er.line = last.line;
		er.verdict.kind = BF_VERDICT_RETURN;
		ret = add_l4_gate(
			c, &er,
			lhs->kind == BF_NFT_E_BINOP ? fld(lhs->sub[0]) : f,
			&s->loc);
		if (!ret)
			ret = lower_elem(c, &er, s, lhs, set->sub[k], false);
		if (ret) {
			bf_rule_release(&er);
			break;
		}
		ret = push_rule(c, hname, &er);
	}
	if (ret) {
		bf_rule_release(&last);
		return ret;
	}
	return push_rule(c, hname, &last);
}

/* bf_nft_lower_sets(): does s look up a named set that maps onto a
 * ruleset set exactly (setmap.c: `ip|ip6 saddr|daddr`, `tcp|udp
 * sport|dport`, `ip saddr . tcp dport` [==|!=] @NAME), and do all the
 * table's uses of the set agree? Then the set is in c->rs (added at its
 * first use), *u says how s uses it, and its name is returned; NULL:
 * inline it. A name already taken by another nft table's set: inlined
 * too. */
static const char *mapped_set(struct lctx *c, const struct bf_nft_stmt *s,
			      enum bf_family fam, struct nft_setuse *u)
{
	const struct bf_nft_set *ns;
	struct bf_set *have, set;
	struct nft_setuse tmp;

	if (!u)
		u = &tmp;
	if (!c->map_sets || s->kind != BF_NFT_S_MATCH ||
	    s->u.match.rhs->kind != BF_NFT_E_SETREF)
		return NULL;
	ns = bf_nft_set_find(c->table, s->u.match.rhs->text);
	u->jmap_ok = true; /* lower_rule_elem() dispatches them */
	if (!ns || nft_setmap_use(s, ns, fam, u) ||
	    !nft_setmap_agree(c->table, ns, fam, u))
		return NULL;
	if (u->vmap && c->cont >= 0)
		return NULL; /* inlined: its accepts jump on (lower_bases) */
	have = bf_ruleset_set(c->rs, ns->name);
	if (have)
		return have->line == ns->loc.line && (have->family == fam ||
						      bf_set_any_family(have)) ?
			       have->name :
			       NULL;
	if (nft_setmap_to_bf(ns, fam, u, &set))
		return NULL; /* does not map (or no memory: inlined) */
	if (bf_ruleset_add_set(c->rs, &set)) {
		bf_set_release(&set);
		return NULL;
	}
	have = bf_ruleset_set(c->rs, ns->name);
	return have ? have->name : NULL;
}

/* A log or set statement after a limit: the IR rule of the statement
 * would repeat the matches before it, the limit too (a second bucket).
 * The rule is cut there instead: `M limit -j nft.N` in *ch, and the rest
 * of the rule (the statement's rule, the final one) goes to nft.N, so
 * the limit runs once. As for negated sets, a return or goto verdict
 * would act on nft.N's frame: refused. */
static int split_at_limit(struct lctx *c, const char **ch, char *hname,
			  struct bf_rule *r, const struct bf_nft_rule *rule,
			  const struct bf_nft_stmt *set_stmt,
			  const struct bf_nft_stmt *s)
{
	char parent_ch[BF_CHAIN_NAME_MAX + 1];
	struct bf_rule parent = *r;
	int ret;

	for (size_t i = 0; i < rule->n_stmts; i++) {
		const struct bf_nft_stmt *t = &rule->stmts[i];
		if ((t->kind == BF_NFT_S_VERDICT &&
		     (t->u.verdict.verdict == BF_NFT_V_RETURN ||
		      t->u.verdict.verdict == BF_NFT_V_GOTO)) ||
		    (t == set_stmt && t->u.match.op == BF_NFT_OP_VMAP)) {
			REFUSE(c, &s->loc, LIMIT_SIDE_WHY);
			return -EOPNOTSUPP;
		}
	}
	if (r->counter_idx == UINT32_MAX)
		return 0; /* never matches: left as it is, dropped later */
	/* *ch may be hname itself (a second split) */
	snprintf(parent_ch, sizeof(parent_ch), "%s", *ch);
	synth_name(c, hname, BF_CHAIN_NAME_MAX + 1);
	if (bf_ruleset_add_chain(c->rs, r->family, hname, s->loc.line, NULL)) {
		c->oom = true;
		return -ENOMEM;
	}
	memset(&parent.verdict, 0, sizeof(parent.verdict));
	parent.verdict.kind = BF_VERDICT_JUMP;
	snprintf(parent.verdict.chain, sizeof(parent.verdict.chain), "%s",
		 hname);
	r->matches = NULL;
	r->n_matches = 0;
	ret = push_rule(c, parent_ch, &parent);
	*ch = hname;
	return ret;
}

/* nft_setmap_jmap_rule()'s view of the lowering: the verdicts of the
 * place the rule is lowered at, fresh chain names. */
struct jmap_ctx {
	struct lctx *c;
	const struct bf_nft_loc *loc;
};

static bool jmap_verdict(void *ctx, int v, const char *chain,
			 struct bf_verdict *out)
{
	struct jmap_ctx *j = ctx;

	return verdict_of(j->c, v, chain, out, j->loc);
}

static void jmap_name(void *ctx, char *buf, size_t size)
{
	synth_name(((struct jmap_ctx *)ctx)->c, buf, size);
}

/* Lower one rule for one family into chain ch. `elem` is the set element
 * chosen for the rule's set statement (NULL: none). */
static int lower_rule_elem(struct lctx *c, const char *ch,
			   const struct bf_nft_rule *rule, enum bf_family fam,
			   const struct bf_nft_stmt *set_stmt,
			   const struct bf_nft_expr *elem, const char *file)
{
	char hname[BF_CHAIN_NAME_MAX + 1];
	struct bf_rule r = { 0 };
	bool have_verdict = false;
	struct bf_verdict verdict = { 0 };
	const struct bf_nft_expr *negset = NULL;
	const struct bf_nft_stmt *negset_stmt = NULL;
	size_t side_rules = 0;
	int ret = 0;

	r.family = fam;
	r.file = file;
	r.line = rule->loc.line;
	for (size_t i = 0; i < rule->n_stmts && !ret; i++) {
		const struct bf_nft_stmt *s = &rule->stmts[i];
		switch (s->kind) {
		case BF_NFT_S_COUNTER:
			break; /* every IR rule counts */
		case BF_NFT_S_LIMIT:
			ret = lower_limit(c, &r, s);
			break;
		case BF_NFT_S_LOG: {
			struct bf_rule lr = { 0 };
			if (has_limit(&r)) {
				ret = split_at_limit(c, &ch, hname, &r, rule,
						     set_stmt, s);
				if (ret)
					break;
			}
			if (s->u.log.level == 8) {
				REFUSE(c, &s->loc, "log level audit");
				ret = -EOPNOTSUPP;
				break;
			}
			if (s->u.log.group > UINT16_MAX ||
			    s->u.log.qthreshold > UINT16_MAX ||
			    (s->u.log.prefix && s->u.log.group >= 0 &&
			     strlen(s->u.log.prefix) >= BF_NFLOG_PREFIX_MAX)) {
				REFUSE(c, &s->loc,
				       "log group or queue-threshold above 65535, or a group prefix of more than 63 characters (xt_nflog_info)");
				ret = -EOPNOTSUPP;
				break;
			}
			lr.family = fam;
			lr.file = file;
			lr.line = rule->loc.line;
			for (size_t k = 0; k < r.n_matches; k++)
				if (bf_rule_add_match(&lr, &r.matches[k])) {
					c->oom = true;
					ret = -ENOMEM;
				}
			if (s->u.log.group >= 0) {
				/* nft_log_init(): a group logs through
				 * nfnetlink_log as xt_NFLOG does; snaplen sets
				 * NF_LOG_F_COPY_LEN (--nflog-size) */
				lr.verdict.kind = BF_VERDICT_NFLOG;
				lr.verdict.u.nflog.group =
					(uint16_t)s->u.log.group;
				lr.verdict.u.nflog.threshold =
					(uint16_t)s->u.log.qthreshold;
				lr.verdict.u.nflog.len = s->u.log.snaplen;
				lr.verdict.u.nflog.copy_len =
					s->u.log.snaplen != 0;
				if (s->u.log.prefix)
					snprintf(lr.verdict.u.nflog.prefix,
						 sizeof(lr.verdict.u.nflog
								.prefix),
						 "%s", s->u.log.prefix);
			} else {
				lr.verdict.kind = BF_VERDICT_LOG;
				lr.verdict.u.log.level =
					(uint8_t)(s->u.log.level >= 0 ?
							  s->u.log.level :
							  4);
				lr.verdict.u.log.flags =
					(uint8_t)s->u.log.flags;
				if (s->u.log.prefix)
					snprintf(
						lr.verdict.u.log.prefix,
						sizeof(lr.verdict.u.log.prefix),
						"%s", s->u.log.prefix);
			}
			side_rules++;
			if (!ret)
				ret = push_rule(c, ch, &lr);
			else
				bf_rule_release(&lr);
			break;
		}
		case BF_NFT_S_REJECT:
			if (!reject_of(c, s, fam, &verdict)) {
				bf_rule_release(&r);
				return 0; /* never applies to this family */
			}
			if (verdict.u.reject.with == BF_REJECT_TCP_RESET) {
				struct bf_match m = { 0 };
				m.type = BF_MATCH_L4PROTO;
				m.nft = l4proto_mode(&r);
				m.u.proto = 6;
				set_line(&m, &s->loc);
				ret = add(c, &r, &m) ? -ENOMEM : 0;
			}
			have_verdict = true;
			break;
		case BF_NFT_S_VERDICT:
			if (!verdict_of(c, s->u.verdict.verdict,
					s->u.verdict.chain, &verdict, &s->loc))
				ret = -EINVAL;
			have_verdict = true;
			break;
		case BF_NFT_S_SET: {
			const struct bf_nft_field *f = fld(s->u.set.lhs);
			struct bf_rule sr = { 0 };
			if (has_limit(&r)) {
				ret = split_at_limit(c, &ch, hname, &r, rule,
						     set_stmt, s);
				if (ret)
					break;
			}
			sr.family = fam;
			sr.file = file;
			sr.line = rule->loc.line;
			for (size_t k = 0; k < r.n_matches; k++)
				if (bf_rule_add_match(&sr, &r.matches[k]))
					ret = -ENOMEM;
			if (!strcmp(f->proto, "meta")) {
				sr.verdict.kind = BF_VERDICT_MARK;
				sr.verdict.u.mark.value =
					(uint32_t)s->u.set.value->num;
				sr.verdict.u.mark.mask = 0xffffffff;
			} else {
				sr.verdict.kind = BF_VERDICT_CONNMARK;
				sr.verdict.u.connmark.mode = BF_CONNMARK_SET;
				sr.verdict.u.connmark.ctmark =
					(uint32_t)s->u.set.value->num;
				sr.verdict.u.connmark.ctmask = 0xffffffff;
			}
			side_rules++;
			if (!ret)
				ret = push_rule(c, ch, &sr);
			else
				bf_rule_release(&sr);
			break;
		}
		case BF_NFT_S_MATCH: {
			const struct bf_nft_expr *lhs = s->u.match.lhs;
			const struct bf_nft_expr *rhs = s->u.match.rhs;
			const struct bf_nft_field *f = fld(lhs);
			enum bf_nft_relop op = s->u.match.op;
			struct nft_setuse use;
			if (f && !strcmp(f->proto, "meta") &&
			    (f->id == BF_NFT_META_NFPROTO ||
			     f->id == BF_NFT_META_PROTOCOL))
				break; /* selects the family (rule_families) */
			if (rhs->kind == BF_NFT_E_SETREF &&
			    mapped_set(c, s, fam, &use)) {
				/* xt_set's lookup (setmap.c), behind the
				 * port field's l4proto gate */
				struct bf_match m = { 0 };
				const struct bf_nft_expr *pf =
					lhs->kind == BF_NFT_E_CONCAT ?
						lhs->sub[lhs->n_sub - 1] :
						lhs;
				ret = add_l4_gate(c, &r, fld(pf), &s->loc);
				if (ret)
					break;
				set_line(&m, &s->loc);
				m.type = BF_MATCH_SET;
				m.neg = op == BF_NFT_OP_NE;
				snprintf(m.u.set.name, sizeof(m.u.set.name),
					 "%s", rhs->text);
				m.u.set.dim = use.n_dims;
				m.u.set.flags = use.dst;
				if (use.vmap && use.jmap) {
					/* jump/goto values: dispatched
					 * (setmap.c) */
					struct jmap_ctx jc = { c, &s->loc };
					const struct nft_jmap_ops ops = {
						&jc, jmap_verdict, jmap_name
					};

					ret = nft_setmap_jmap_rule(
						c->rs, fam,
						bf_ruleset_set(c->rs,
							       rhs->text),
						c->vmap_drop, &ops,
						rule->loc.line, &m, &verdict);
					if (ret == -ENOMEM)
						c->oom = true;
					have_verdict = !ret;
				} else if (use.vmap) {
					/* accept elements plain, drop ones
					 * nomatch: found by the lookup with
					 * --return-nomatch */
					m.u.set.return_nomatch = c->vmap_drop;
					have_verdict = verdict_of(
						c,
						c->vmap_drop ? BF_NFT_V_DROP :
							       BF_NFT_V_ACCEPT,
						NULL, &verdict, &s->loc);
				}
				ret = add(c, &r, &m);
				break;
			}
			if (lhs->kind == BF_NFT_E_BINOP)
				ret = add_l4_gate(c, &r, fld(lhs->sub[0]),
						  &s->loc);
			else
				ret = add_l4_gate(c, &r, f, &s->loc);
			if (ret)
				break;
			if (s == set_stmt || (s && s == c->set2_stmt)) {
				const struct bf_nft_expr *e =
					s == set_stmt ? elem : c->elem2;
				if (op == BF_NFT_OP_VMAP) {
					if (!verdict_of(c, e->sub[1]->op,
							e->sub[1]->text,
							&verdict, &s->loc)) {
						ret = -EINVAL;
						break;
					}
					have_verdict = true;
					e = e->sub[0];
				}
				ret = lower_elem(c, &r, s, lhs, e, false);
				break;
			}
			if (rhs->kind == BF_NFT_E_SET ||
			    rhs->kind == BF_NFT_E_SETREF) {
				/* != { a, b }: all negated */
				const struct bf_nft_expr *set = rhs;
				if (rhs->kind == BF_NFT_E_SETREF) {
					const struct bf_nft_set *ns =
						bf_nft_set_find(c->table,
								rhs->text);
					set = ns ? ns->elems : NULL;
					if (!set) {
						REFUSE(c, &rhs->loc,
						       "set @%s without elements",
						       rhs->text);
						ret = -EOPNOTSUPP;
						break;
					}
				}
				if (op != BF_NFT_OP_NE) {
					REFUSE(c, &rhs->loc,
					       "a second set in one rule");
					ret = -EOPNOTSUPP;
					break;
				}
				if (set->n_sub > 1 ||
				    lhs->kind == BF_NFT_E_CONCAT) {
					if (negset) {
						REFUSE(c, &rhs->loc,
						       "two negated sets in one rule");
						ret = -EOPNOTSUPP;
						break;
					}
					negset = set;
					negset_stmt = s;
					break;
				}
				for (size_t k = 0; k < set->n_sub && !ret; k++)
					ret = lower_elem(c, &r, s, lhs,
							 set->sub[k], true);
				break;
			}
			if (lhs->kind == BF_NFT_E_CONCAT) {
				if (op != BF_NFT_OP_IMPLICIT &&
				    op != BF_NFT_OP_EQ) {
					REFUSE(c, &s->loc,
					       "a concatenation with this operator");
					ret = -EOPNOTSUPP;
					break;
				}
				ret = lower_elem(c, &r, s, lhs, rhs, false);
				break;
			}
			if (f && !strcmp(f->proto, "tcp") &&
			    !strcmp(f->name, "flags")) {
				struct bf_match m = { 0 };
				set_line(&m, &s->loc);
				m.type = BF_MATCH_TCPFLAGS;
				/* all 8 bits (ecn, cwr too): nft evaluation,
				 * carried by the iptables text as -m nft */
				m.nft = BF_NFT_BREAK;
				uint8_t v = (uint8_t)rhs->num;
				switch (op) {
				case BF_NFT_OP_IMPLICIT: /* any bit set */
				case BF_NFT_OP_NEG: /* no bit set */
					m.u.tcpflags.mask = v;
					m.u.tcpflags.cmp = 0;
					m.neg = op == BF_NFT_OP_IMPLICIT;
					break;
				case BF_NFT_OP_EQ:
				case BF_NFT_OP_NE:
					m.u.tcpflags.mask = 0xff;
					m.u.tcpflags.cmp = v;
					m.neg = op == BF_NFT_OP_NE;
					break;
				default:
					REFUSE(c, &s->loc,
					       "tcp flags with < >");
					ret = -EOPNOTSUPP;
					break;
				}
				if (!ret)
					ret = add(c, &r, &m) ? -ENOMEM : 0;
				break;
			}
			if (lhs->kind == BF_NFT_E_BINOP) {
				if (op != BF_NFT_OP_EQ && op != BF_NFT_OP_NE) {
					REFUSE(c, &s->loc, "bitwise with < >");
					ret = -EOPNOTSUPP;
					break;
				}
				ret = lower_cmp(c, &r, s, lhs, rhs,
						op == BF_NFT_OP_NE);
				break;
			}
			if (f && !strcmp(f->proto, "ct") &&
			    f->id == BF_NFT_CT_STATE) {
				bool single = rhs->kind == BF_NFT_E_VALUE &&
					      !(rhs->num & (rhs->num - 1));
				/* any of (implicit), none of (!), and ==/!= of
				 * one state (a packet has exactly one) */
				if ((op == BF_NFT_OP_NE ||
				     op == BF_NFT_OP_EQ) &&
				    !single) {
					REFUSE(c, &s->loc,
					       "this ct state form");
					ret = -EOPNOTSUPP;
					break;
				}
				ret = lower_cmp(c, &r, s, lhs, rhs,
						op == BF_NFT_OP_NE ||
							op == BF_NFT_OP_NEG);
				break;
			}
			if (f && !strcmp(f->proto, "ct") &&
			    f->id == BF_NFT_CT_STATUS) {
				ret = lower_ctstatus(c, &r, s);
				break;
			}
			if (f && (!strcmp(f->proto, "icmp") ||
				  !strcmp(f->proto, "icmpv6"))) {
				/* type [code] pairs */
				if (!strcmp(f->name, "type") &&
				    (op == BF_NFT_OP_IMPLICIT ||
				     op == BF_NFT_OP_NE)) {
					const struct bf_nft_stmt *code = NULL;
					if (i + 1 < rule->n_stmts) {
						const struct bf_nft_stmt *n =
							&rule->stmts[i + 1];
						if (n->kind == BF_NFT_S_MATCH &&
						    fld(n->u.match.lhs) &&
						    !strcmp(fld(n->u.match.lhs)
								    ->name,
							    "code") &&
						    !strcmp(fld(n->u.match.lhs)
								    ->proto,
							    f->proto) &&
						    n->u.match.op ==
							    BF_NFT_OP_IMPLICIT &&
						    (n->u.match.rhs->kind ==
							     BF_NFT_E_VALUE ||
						     n->u.match.rhs->kind ==
							     BF_NFT_E_RANGE) &&
						    op == BF_NFT_OP_IMPLICIT) {
							code = n;
							i++;
						}
					}
					ret = lower_icmp(c, &r, s, rhs, code,
							 op == BF_NFT_OP_NE);
					break;
				}
				if (!strcmp(f->name, "type")) {
					REFUSE(c, &s->loc,
					       "%s type in this form",
					       f->proto);
					ret = -EOPNOTSUPP;
					break;
				}
				/* other fields: payload loads, after the
				 * type nft's dependency implies
				 * (lower_cmp(), add_icmp_dep()) */
			}
			if (op != BF_NFT_OP_IMPLICIT && op != BF_NFT_OP_NE &&
			    op != BF_NFT_OP_EQ) {
				/* < > <= >= as ranges of integers */
				uint64_t max =
					f ? (f->len_bits >= 64 ?
						     UINT64_MAX :
						     (1ull << f->len_bits) -
							     1) :
					    0;
				struct bf_nft_expr rg = { 0 }, lo = *rhs,
						   hi = *rhs;
				struct bf_nft_expr *subs[2] = { &lo, &hi };
				if (rhs->kind != BF_NFT_E_VALUE || !f ||
				    f->dtype == BF_NFT_DT_IPV4 ||
				    f->dtype == BF_NFT_DT_IPV6 ||
				    f->dtype == BF_NFT_DT_IFNAME) {
					REFUSE(c, &s->loc, "this comparison");
					ret = -EOPNOTSUPP;
					break;
				}
				rg.kind = BF_NFT_E_RANGE;
				rg.sub = subs;
				rg.n_sub = 2;
				rg.dtype = rhs->dtype;
				switch (op) {
				case BF_NFT_OP_LT:
					if (!rhs->num) {
						REFUSE(c, &s->loc, "< 0");
						ret = -EOPNOTSUPP;
						break;
					}
					lo.num = 0;
					hi.num = rhs->num - 1;
					break;
				case BF_NFT_OP_LE:
					lo.num = 0;
					break;
				case BF_NFT_OP_GT:
					lo.num = rhs->num + 1;
					hi.num = max;
					break;
				default:
					hi.num = max;
					break;
				}
				if (!ret)
					ret = lower_cmp(c, &r, s, lhs, &rg,
							false);
				break;
			}
			if (rhs->kind == BF_NFT_E_VALUE && f &&
			    nft_dtype(f->dtype)->bitmask) {
				REFUSE(c, &s->loc, "%s %s in this form",
				       f->proto, f->name);
				ret = -EOPNOTSUPP;
				break;
			}
			ret = lower_cmp(c, &r, s, lhs, rhs, op == BF_NFT_OP_NE);
			break;
		}
		case BF_NFT_S_KERNEL: { /* kernpart.c: not modelled */
			const char *w = s->u.kernel.why ? s->u.kernel.why : "";
			int n = 0;
			sscanf(w, "%*d:%*d:%n", &n);
			REFUSE(c, &s->loc, "%.*s", (int)strcspn(w + n, "\n"),
			       w + n);
			ret = -EOPNOTSUPP;
			break;
		}
		case BF_NFT_S_BPF: /* bpf.c; eval.c checks it ends the rule */
			if (s->u.bpf.verdict && c->cont >= 0) {
				REFUSE(c, &s->loc,
				       "a BPF verdict where another base chain follows on the hook (its accept would be final, nft goes on to that chain)");
				ret = -EOPNOTSUPP;
			} else if (s->u.bpf.verdict) {
				memset(&verdict, 0, sizeof(verdict));
				verdict.kind = BF_VERDICT_BPF;
				verdict.u.bpf.ref = s->u.bpf.ref;
				have_verdict = true;
			} else {
				struct bf_match m = { 0 };
				m.type = BF_MATCH_BPF;
				m.neg = s->u.bpf.neg;
				m.u.bpf.ref = s->u.bpf.ref;
				set_line(&m, &s->loc);
				ret = add(c, &r, &m) ? -ENOMEM : 0;
			}
			break;
		default:
			break;
		}
	}
	if (ret) {
		bf_rule_release(&r);
		return ret;
	}
	if (rule->comment) {
		struct bf_match m = { 0 };
		m.type = BF_MATCH_COMMENT;
		m.line = rule->loc.line;
		snprintf(m.u.comment, sizeof(m.u.comment), "%s", rule->comment);
		if (add(c, &r, &m)) {
			bf_rule_release(&r);
			return -ENOMEM;
		}
	}
	if (core_after_limit(&r)) {
		REFUSE(c, &rule->loc,
		       "an address, interface or protocol match after limit (the IR's iptables text tests those first, so other packets would not take tokens)");
		bf_rule_release(&r);
		return -EOPNOTSUPP;
	}
	r.verdict = have_verdict ? verdict : (struct bf_verdict){ 0 };
	if (r.counter_idx == UINT32_MAX) {
		/* two different protocols: never matches */
		bf_rule_release(&r);
		return 0;
	}
	if (negset)
		return lower_negset(c, ch, &r, negset_stmt, negset, side_rules);
	if (!have_verdict && side_rules && !rule->comment) {
		/* `... log` (or `meta mark set`) ends the rule: its own IR
		 * rule is the whole effect; a verdict-less copy of the
		 * matches after it would only count twice */
		bool match_after = false;
		for (size_t i = rule->n_stmts; i-- > 0;) {
			enum bf_nft_stmt_kind k = rule->stmts[i].kind;
			if (k == BF_NFT_S_LOG || k == BF_NFT_S_SET)
				break;
			if (k == BF_NFT_S_MATCH)
				match_after = true;
		}
		if (!match_after) {
			bf_rule_release(&r);
			return 0;
		}
	}
	/* a rule without verdict nor effect (only matches, counter):
	 * still one IR rule (it counts) */
	return push_rule(c, ch, &r);
}

/* Can chain `from` reach chain `to` (jump, goto, verdict map)? Depth
 * bounded (deeper: yes, to stay on the safe side). */
static bool reaches_chain(const struct bf_nft_table *t,
			  const struct bf_nft_chain *from,
			  const struct bf_nft_chain *to, int depth)
{
	if (from == to || depth > 16)
		return true;
	for (size_t i = 0; i < from->n_rules; i++) {
		const struct bf_nft_rule *r = &from->rules[i];
		for (size_t j = 0; j < r->n_stmts; j++) {
			const struct bf_nft_stmt *s = &r->stmts[j];
			const struct bf_nft_expr *m;
			if (s->kind == BF_NFT_S_VERDICT && s->u.verdict.chain) {
				const struct bf_nft_chain *n =
					bf_nft_chain_find(t,
							  s->u.verdict.chain);
				if (n && reaches_chain(t, n, to, depth + 1))
					return true;
			}
			m = nft_vmap_elems(t, s);
			for (size_t k = 0; m && k < m->n_sub; k++) {
				const struct bf_nft_expr *v = m->sub[k]->sub[1];
				const struct bf_nft_chain *n =
					v->text ?
						bf_nft_chain_find(t, v->text) :
						NULL;
				if (n && reaches_chain(t, n, to, depth + 1))
					return true;
			}
		}
	}
	return false;
}

/* nft keeps one bucket per limit statement (nft_limit_init()); the IR
 * gives each program its own: a rule lowered for both families (an inet
 * rule that does not select one), or in a chain that several base chains
 * reach (programs of several hooks), has its limits use a bucket shared
 * by every program of the slot instead (BF_MATCH_NFT_LIMIT's bucket,
 * cgen/m_nftlimit.h). */
static bool limit_shared(struct lctx *c, const struct bf_nft_rule *rule)
{
	unsigned int fams = rule_families(rule) & c->table_fams;
	bool lim = false;
	int bases = 0;

	for (size_t i = 0; i < rule->n_stmts && !lim; i++)
		lim = rule->stmts[i].kind == BF_NFT_S_LIMIT;
	if (!lim)
		return false;
	if (fams == 3)
		return true;
	for (size_t i = 0; c->cur_chain && i < c->table->n_chains; i++) {
		const struct bf_nft_chain *b = &c->table->chains[i];
		if (b->hook != BF_NFT_HOOK_NONE &&
		    reaches_chain(c->table, b, c->cur_chain, 0))
			bases++;
	}
	return bases > 1;
}

/* A rule with two sets (`ip daddr { A, B } tcp dport vmap { 22 : accept,
 * 80 : drop }`, the nftables sample ruleset): one IR rule per pair of
 * elements. Each set's elements are disjoint, so a packet matches at most
 * one pair, whose rule decides as nft's two lookups do. A limit would be
 * taken by every pair's rule that reaches it: refused. */
static int lower_two_sets(struct lctx *c, const char *ch,
			  const struct bf_nft_rule *rule, enum bf_family fam,
			  const char *file, const struct bf_nft_stmt *s1,
			  const struct bf_nft_expr *set1,
			  const struct bf_nft_stmt *s2,
			  const struct bf_nft_expr *set2)
{
	int ret = 0;

	for (size_t i = 0; i < rule->n_stmts; i++) {
		if (rule->stmts[i].kind == BF_NFT_S_LIMIT) {
			REFUSE(c, &rule->stmts[i].loc,
			       "limit in a rule with two sets");
			return -EOPNOTSUPP;
		}
	}
	if (!elems_disjoint(set1) || !elems_disjoint(set2)) {
		REFUSE(c, elems_disjoint(set1) ? &set2->loc : &set1->loc,
		       "set elements that may overlap (one IR rule per element needs disjoint ones)");
		return -EOPNOTSUPP;
	}
	c->set2_stmt = s2;
	for (size_t k = 0; k < set1->n_sub && !ret; k++)
		for (size_t j = 0; j < set2->n_sub && !ret; j++) {
			c->elem2 = set2->sub[j];
			ret = lower_rule_elem(c, ch, rule, fam, s1,
					      set1->sub[k], file);
		}
	c->set2_stmt = NULL;
	c->elem2 = NULL;
	return ret;
}

static int lower_rule(struct lctx *c, const char *ch,
		      const struct bf_nft_rule *rule, enum bf_family fam,
		      const char *file)
{
	const struct bf_nft_stmt *set_stmt = NULL, *set2_stmt = NULL;
	const struct bf_nft_expr *set = NULL, *set2 = NULL;
	bool vmap = false;

	if (!(rule_families(rule) & (1u << fam)))
		return 0;
	c->lim_shared = limit_shared(c, rule);
	for (size_t i = 0; i < rule->n_stmts; i++) {
		const struct bf_nft_stmt *s = &rule->stmts[i];
		const struct bf_nft_expr *rhs;
		if (s->kind != BF_NFT_S_MATCH)
			continue;
		rhs = s->u.match.rhs;
		if (s->u.match.op == BF_NFT_OP_NE &&
		    s->u.match.op != BF_NFT_OP_VMAP)
			continue;
		{
			struct nft_setuse u;

			if (mapped_set(c, s, fam, &u)) {
				vmap |= u.vmap;
				continue; /* a BF_MATCH_SET, not expanded */
			}
		}
		if (fld(s->u.match.lhs) &&
		    !strcmp(fld(s->u.match.lhs)->proto, "meta") &&
		    (fld(s->u.match.lhs)->id == BF_NFT_META_PROTOCOL ||
		     fld(s->u.match.lhs)->id == BF_NFT_META_NFPROTO) &&
		    rhs->kind == BF_NFT_E_SET)
			continue; /* selects the family (rule_families) */
		if (rhs->kind == BF_NFT_E_SETREF) {
			const struct bf_nft_set *ns =
				bf_nft_set_find(c->table, rhs->text);
			if (!ns || !ns->elems) {
				REFUSE(c, &rhs->loc, "set @%s without elements",
				       rhs->text);
				return -EOPNOTSUPP;
			}
			rhs = ns->elems;
		}
		if (rhs->kind != BF_NFT_E_SET)
			continue;
		if (set2) {
			REFUSE(c, &rhs->loc, "a third set in one rule");
			return -EOPNOTSUPP;
		}
		if (set) {
			set2 = rhs;
			set2_stmt = s;
			continue;
		}
		set = rhs;
		set_stmt = s;
	}
	if (set2)
		return lower_two_sets(c, ch, rule, fam, file, set_stmt, set,
				      set2_stmt, set2);
	if (!set && vmap) {
		/* a mapped verdict map: its accept rule, then its drop rule
		 * (setmap.c); at most one of them matches a packet */
		int ret = lower_rule_elem(c, ch, rule, fam, NULL, NULL, file);

		c->vmap_drop = true;
		if (!ret)
			ret = lower_rule_elem(c, ch, rule, fam, NULL, NULL,
					      file);
		c->vmap_drop = false;
		return ret;
	}
	if (!set)
		return lower_rule_elem(c, ch, rule, fam, NULL, NULL, file);
	for (size_t i = 0; i < rule->n_stmts && set->n_sub > 1; i++) {
		if (rule->stmts[i].kind != BF_NFT_S_LIMIT)
			continue;
		if (&rule->stmts[i] < set_stmt) {
			REFUSE(c, &rule->stmts[i].loc,
			       "limit before a set of several elements (each element's IR rule would take a token)");
			return -EOPNOTSUPP;
		}
		/* One IR rule per element, all with the statement's one
		 * bucket (lower_limit()): the elements are disjoint (below)
		 * and the set is matched before the limit, so a packet takes
		 * a token in at most one of them, as nft's one limit
		 * expression (fw4's ICMPv6 rules). */
		c->lim_shared = true;
	}
	if (!elems_disjoint(set)) {
		REFUSE(c, &set->loc,
		       "set elements that may overlap (one IR rule per element needs disjoint ones)");
		return -EOPNOTSUPP;
	}
	for (size_t k = 0; k < set->n_sub; k++) {
		int ret = lower_rule_elem(c, ch, rule, fam, set_stmt,
					  set->sub[k], file);
		if (ret)
			return ret;
	}
	return 0;
}

static enum bf_hook ir_hook(enum bf_nft_hook h, bool *ok)
{
	*ok = true;
	switch (h) {
	case BF_NFT_HOOK_INPUT:
		return BF_HOOK_INPUT;
	case BF_NFT_HOOK_FORWARD:
		return BF_HOOK_FORWARD;
	case BF_NFT_HOOK_OUTPUT:
		return BF_HOOK_OUTPUT;
	default:
		*ok = false;
		return BF_HOOK_INPUT;
	}
}

static bool is_builtin_name(const char *n)
{
	return !strcmp(n, "INPUT") || !strcmp(n, "FORWARD") ||
	       !strcmp(n, "OUTPUT");
}

/* Does chain ch (or a chain it reaches) accept? depth-bounded walk. */
static bool reaches_accept(const struct bf_nft_table *t,
			   const struct bf_nft_chain *ch, int depth)
{
	if (depth > 16)
		return true;
	for (size_t i = 0; i < ch->n_rules; i++) {
		const struct bf_nft_rule *r = &ch->rules[i];
		for (size_t j = 0; j < r->n_stmts; j++) {
			const struct bf_nft_stmt *s = &r->stmts[j];
			const struct bf_nft_expr *m;
			if (s->kind == BF_NFT_S_BPF && s->u.bpf.verdict)
				return true; /* user code may accept */
			if (s->kind == BF_NFT_S_VERDICT) {
				if (s->u.verdict.verdict == BF_NFT_V_ACCEPT)
					return true;
				if (s->u.verdict.chain) {
					const struct bf_nft_chain *n =
						bf_nft_chain_find(
							t, s->u.verdict.chain);
					if (n &&
					    reaches_accept(t, n, depth + 1))
						return true;
				}
			}
			m = nft_vmap_elems(t, s);
			for (size_t k = 0; m && k < m->n_sub; k++) {
				const struct bf_nft_expr *v = m->sub[k]->sub[1];
				const struct bf_nft_chain *n;
				if (v->op == BF_NFT_V_ACCEPT)
					return true;
				n = v->text ? bf_nft_chain_find(t, v->text) :
					      NULL;
				if (n && reaches_accept(t, n, depth + 1))
					return true;
			}
		}
	}
	return false;
}

struct base_ref {
	const struct bf_nft_table *t;
	const struct bf_nft_chain *ch;
	char irname[BF_CHAIN_NAME_MAX + 1];
	size_t order;
};

/* The order the kernel runs the base chains of one hook in: by priority,
 * and equal priorities in the reverse of their registration:
 * nf_hook_entries_grow() (net/netfilter/core.c) puts a new hook function
 * before the first one whose priority is >= its own. nf_tables registers
 * a base chain's hook when the transaction adds the chain
 * (nf_tables_addchain()), and `nft -f` adds the chains in the order the
 * file declares them: of two chains of equal priority, the one declared
 * later runs first. */
static int cmp_base(const void *a, const void *b)
{
	const struct base_ref *x = a, *y = b;
	const struct bf_nft_loc *lx = &x->ch->loc, *ly = &y->ch->loc;

	if (x->ch->priority != y->ch->priority)
		return x->ch->priority < y->ch->priority ? -1 : 1;
	if (lx->file == ly->file && lx->line != ly->line)
		return lx->line > ly->line ? -1 : 1;
	if (lx->file == ly->file && lx->col != ly->col)
		return lx->col > ly->col ? -1 : 1;
	return x->order > y->order ? -1 : x->order < y->order;
}

static bool table_has(const struct bf_nft_table *t, int f)
{
	return t->family == BF_NFT_FAMILY_INET ||
	       (t->family == BF_NFT_FAMILY_IP && f == BF_FAMILY_INET4) ||
	       (t->family == BF_NFT_FAMILY_IP6 && f == BF_FAMILY_INET6);
}

static bool base_on(const struct base_ref *b, int f, int h)
{
	bool ok;

	return table_has(b->t, f) && (int)ir_hook(b->ch->hook, &ok) == h;
}

static long cont_of_base(const struct lctx *c, const struct bf_nft_chain *b,
			 int f)
{
	for (size_t i = 0; i < c->n_conts; i++)
		if (c->conts[i].base == b && c->conts[i].f == f)
			return (long)i;
	return -1;
}

/* Whether a chain of table t, in family f, has its accepts lowered as
 * BF_VERDICT_NFT_NEXT: when a base chain with a continuation reaches it
 * (the index of one), else -1. In a chain that the last base chain of
 * a hook reaches as well, NFT_NEXT is an ACCEPT there: the built-in
 * chain has no rule after that base chain's, and its policy accepts. */
static long home_cont(struct lctx *c, const struct bf_nft_table *t,
		      const struct bf_nft_chain *x, int f)
{
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct bf_nft_chain *b = &t->chains[i];
		long k;

		if (b->hook == BF_NFT_HOOK_NONE || !reaches_chain(t, b, x, 0))
			continue;
		k = cont_of_base(c, b, f);
		if (k >= 0)
			return k;
	}
	return -1;
}

/* The filter base chains at input, forward and output of the ip, ip6 and
 * inet tables in the kernel's order (cmp_base()), and a continuation
 * chain (struct nft_cont) for each that another follows on its hook in a
 * family. */
static int lower_bases(struct lctx *c, struct base_ref **out, size_t *n_out)
{
	struct base_ref *bases = NULL;
	size_t n = 0;

	for (size_t ti = 0; ti < c->nft->n_tables; ti++) {
		const struct bf_nft_table *t = &c->nft->tables[ti];

		if (!table_has(t, BF_FAMILY_INET4) &&
		    !table_has(t, BF_FAMILY_INET6))
			continue;
		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *ch = &t->chains[i];
			struct base_ref *v;
			bool ok;

			if (ch->hook == BF_NFT_HOOK_NONE)
				continue;
			ir_hook(ch->hook, &ok);
			if (!ok ||
			    strcmp(ch->type ? ch->type : "filter", "filter"))
				continue;
			v = realloc(bases, (n + 1) * sizeof(*v));
			if (!v) {
				free(bases);
				return -ENOMEM;
			}
			bases = v;
			memset(&v[n], 0, sizeof(v[n]));
			v[n].t = t;
			v[n].ch = ch;
			v[n].order = n;
			n++;
		}
	}
	if (n > 1)
		qsort(bases, n, sizeof(*bases), cmp_base);
	*out = bases;
	*n_out = n;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		for (int h = 0; h < BF_HOOK_COUNT; h++) {
			size_t prev = SIZE_MAX;

			for (size_t i = 0; i < n; i++) {
				struct nft_cont *q;

				if (!base_on(&bases[i], f, h))
					continue;
				if (prev == SIZE_MAX ||
				    !reaches_accept(bases[prev].t,
						    bases[prev].ch, 0)) {
					/* falls through to the next one */
					prev = i;
					continue;
				}
				q = realloc(c->conts,
					    (c->n_conts + 1) * sizeof(*q));
				if (!q)
					return -ENOMEM;
				c->conts = q;
				q = &q[c->n_conts];
				memset(q, 0, sizeof(*q));
				q->f = f;
				q->h = h;
				q->base = bases[prev].ch;
				c->n_conts++;
				prev = i;
			}
		}
	}
	return 0;
}

static void push_jump(struct lctx *c, const char *from, int f, const char *file,
		      const struct base_ref *to)
{
	struct bf_rule jr = { 0 };

	jr.family = f;
	jr.file = file;
	jr.line = to->ch->loc.line;
	jr.verdict.kind = BF_VERDICT_JUMP;
	snprintf(jr.verdict.chain, sizeof(jr.verdict.chain), "%s", to->irname);
	push_rule(c, from, &jr);
}

static int lower(const struct bf_nft *nft, struct bf_ruleset *rs,
		 bool map_sets);

int bf_nft_lower(const struct bf_nft *nft, struct bf_ruleset *rs)
{
	return lower(nft, rs, false);
}

int bf_nft_lower_sets(const struct bf_nft *nft, struct bf_ruleset *rs)
{
	return lower(nft, rs, true);
}

static int lower(const struct bf_nft *nft, struct bf_ruleset *rs, bool map_sets)
{
	struct lctx c = {
		.rs = rs, .nft = nft, .map_sets = map_sets, .cont = -1
	};
	struct base_ref *bases = NULL;
	size_t n_bases = 0;
	const char *file =
		nft->n_files ? bf_ruleset_intern_file(rs, nft->files[0]) : NULL;
	int ret = 0;

	if (lower_bases(&c, &bases, &n_bases))
		c.oom = true;
	/* shared limit buckets after the ones the IR has */
	for (size_t i = 0; i < rs->n_chains; i++)
		for (size_t j = 0; j < rs->chains[i].n_rules; j++) {
			const struct bf_rule *r = &rs->chains[i].rules[j];

			for (size_t k = 0; k < r->n_matches; k++)
				if (r->matches[k].type == BF_MATCH_NFT_LIMIT &&
				    r->matches[k].u.nft_limit.bucket >
					    c.bucket0)
					c.bucket0 =
						r->matches[k].u.nft_limit.bucket;
		}
	for (size_t ti = 0; ti < nft->n_tables && !c.oom; ti++) {
		const struct bf_nft_table *t = &nft->tables[ti];
		bool fams[BF_FAMILY_COUNT] = { false, false };

		c.table = t;
		switch (t->family) {
		case BF_NFT_FAMILY_IP:
			fams[BF_FAMILY_INET4] = true;
			break;
		case BF_NFT_FAMILY_IP6:
			fams[BF_FAMILY_INET6] = true;
			break;
		case BF_NFT_FAMILY_INET:
			fams[0] = fams[1] = true;
			break;
		default:
			REFUSE(&c, &t->loc,
			       "%s tables in one IR (bpfilter apply FILE puts "
			       "them in tc/xdp slots per device)",
			       bf_nft_family_name(t->family));
			continue;
		}
		free(c.names);
		c.names = calloc(t->n_chains + 1, sizeof(*c.names));
		if (!c.names) {
			c.oom = true;
			break;
		}
		/* IR names: the nft name when it fits and is free */
		for (size_t i = 0; i < t->n_chains; i++) {
			const char *n = t->chains[i].name;
			bool clash = strlen(n) > 28 || is_builtin_name(n) ||
				     strchr(n, ' ') || n[0] == '-' ||
				     n[0] == '!';
			for (int f = 0; f < BF_FAMILY_COUNT && !clash; f++)
				if (fams[f] && bf_ruleset_chain(rs, f, n))
					clash = true;
			for (size_t j = 0; j < i && !clash; j++)
				if (!strcmp(c.names[j], n))
					clash = true; /* a synthesized name */
			if (clash)
				synth_name(&c, c.names[i], sizeof(c.names[i]));
			else
				snprintf(c.names[i], sizeof(c.names[i]), "%s",
					 n);
		}
		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *ch = &t->chains[i];
			bool ok;
			if (ch->hook != BF_NFT_HOOK_NONE) {
				ir_hook(ch->hook, &ok);
				if (!ok ||
				    strcmp(ch->type ? ch->type : "filter",
					   "filter")) {
					REFUSE(&c, &ch->loc,
					       "chain %s: type %s hook %s (the IR has filter input/forward/output)",
					       ch->name,
					       ch->type ? ch->type : "filter",
					       bf_nft_hook_name(ch->hook));
					continue;
				}
				for (size_t k = 0; k < n_bases; k++)
					if (bases[k].ch == ch)
						snprintf(
							bases[k].irname,
							sizeof(bases[k].irname),
							"%s", c.names[i]);
			}
			for (int f = 0; f < BF_FAMILY_COUNT; f++) {
				const char *irc = c.names[i];
				if (!fams[f])
					continue;
				if (bf_ruleset_add_chain(rs, f, c.names[i],
							 ch->loc.line, NULL)) {
					nft_error(
						&c.errs, &ch->loc,
						"chain %s: cannot create IR chain %s",
						ch->name, c.names[i]);
					continue;
				}
				rs->families |= 1u << f;
				c.cur_chain = ch;
				c.table_fams = (fams[0] ? 1u : 0) |
					       (fams[1] ? 2u : 0);
				c.cur_f = f;
				c.cont = ch->hook != BF_NFT_HOOK_NONE ?
						 cont_of_base(&c, ch, f) :
						 home_cont(&c, t, ch, f);
				for (size_t j = 0; j < ch->n_rules; j++) {
					int r = lower_rule(&c, irc,
							   &ch->rules[j], f,
							   file);
					if (r == -ENOMEM)
						c.oom = true;
				}
				if (ch->hook != BF_NFT_HOOK_NONE &&
				    ch->policy == BF_NFT_V_DROP &&
				    base_goto_drop(&c, f, irc))
					c.oom = true;
				if (ch->hook != BF_NFT_HOOK_NONE &&
				    ch->policy == BF_NFT_V_DROP) {
					struct bf_rule pr = { 0 };
					pr.family = f;
					pr.file = file;
					pr.line = ch->loc.line;
					pr.verdict.kind = BF_VERDICT_DROP;
					push_rule(&c, irc, &pr);
				}
			}
		}
		c.cont = -1;
	}
	/* built-in chains: jump to the base chains in the kernel's order
	 * (an NFT_NEXT returns here and the next one runs) */
	for (int f = 0; f < BF_FAMILY_COUNT && !c.oom; f++)
		for (int h = 0; h < BF_HOOK_COUNT; h++)
			for (size_t i = 0; i < n_bases; i++)
				if (base_on(&bases[i], f, h) &&
				    bases[i].irname[0])
					push_jump(&c,
						  bf_ruleset_builtin(rs, f, h)
							  ->name,
						  f, file, &bases[i]);
	free(bases);
	free(c.names);
	free(c.conts);
	free(c.lims);
	if (c.oom)
		return -ENOMEM;
	ret = nft_errs_ret(&c.errs);
	return ret;
}
