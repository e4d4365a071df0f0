// SPDX-License-Identifier: GPL-2.0-only
/*
 * IR interpreter (include/bpfilter/eval.h). Written from the kernel's
 * iptables semantics (ipt_do_table(), ip_packet_match(),
 * ip6_packet_match(), the xt matches), independently of the code
 * generator, so that the two can be checked against each other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/eval.h"
#include "bpfilter/set.h"
#include "ir/eval_x.h"

#define EVAL_MAX_DEPTH 64

enum rc {
	RC_CONTINUE = 0, /* fell off a user chain or RETURN */
	RC_ACCEPT,
	RC_DROP,
	RC_ERROR, /* *err set */
	/* BF_VERDICT_NFT_NEXT: up to the built-in chain, which goes on
	 * with its next rule (cgen.c emit_verdict()) */
	RC_NFT_NEXT,
};

enum mres {
	M_FAIL = 0,
	M_MATCH,
	M_HOTDROP,
	M_UNMODELLED,
	M_STATEFUL, /* depends on state not given or not modelled */
	M_ERROR, /* ev.err set */
};

/* nft limit buckets (cgen/m_nftlimit.c): one per match and hook, as each
 * hook has its own program and state map, but a shared one (shared > 0:
 * m->u.nft_limit.bucket) is one for every match naming it */
struct bucket {
	const struct bf_match *m;
	enum bf_hook hook;
	uint32_t shared;
	uint64_t last, tokens; /* statistic nth: tokens is the count */
	bool init;
};

struct bf_eval_state {
	struct bucket *b;
	size_t n, cap;
};

struct ev {
	const struct bf_ruleset *rs;
	const struct bf_eval_pkt *pkt;
	enum bf_hook hook;
	struct bf_eval_state *st; /* NULL: stateful matches not evaluated */
	uint64_t now; /* ns, for st */
	uint32_t mark; /* changes with MARK targets */
	bf_eval_fn fn;
	void *data;
	struct bf_eval_result *res;
	int err;
};

/* -1, 0, 1: a compared with b as big numbers (iprange_ipv6_lt()). */
static int addr_cmp(const uint8_t *a, const uint8_t *b, int nbytes)
{
	return memcmp(a, b, (size_t)nbytes) < 0 ? -1 :
	       memcmp(a, b, (size_t)nbytes) > 0 ? 1 :
						  0;
}

static bool ports_hit(const struct bf_match *m, uint16_t port)
{
	const typeof(m->u.multiport) *mp = &m->u.multiport;

	/* ports_match_v1(): an entry flagged as a range covers it and the
	 * next entry */
	for (int i = 0; i < mp->count && i < BF_MULTIPORT_MAX; i++) {
		uint16_t lo = mp->ports[i], hi = lo;

		if (mp->is_range[i] && i + 1 < mp->count)
			hi = mp->ports[++i];
		if (port >= lo && port <= hi)
			return true;
	}
	return false;
}

/* ecn_mt4() / ecn_mt6() (net/netfilter/xt_ecn.c), each option with its
 * own inversion; match_tcp() is false without 20 bytes of TCP header */
static bool ecn_test(const struct bf_eval_pkt *p, const struct bf_match *m)
{
	uint8_t op = m->u.ecn.operation, inv = m->u.ecn.invert;

	if ((op & BF_ECN_IP) &&
	    ((p->dsfield & 3) == m->u.ecn.ip_ect) == !!(inv & BF_ECN_IP))
		return false;
	if (!(op & (BF_ECN_ECE | BF_ECN_CWR)))
		return true;
	if (!p->ecn_tcp_ok)
		return false;
	if ((op & BF_ECN_ECE) && !!(p->ecn_tcp & 0x40) == !!(inv & BF_ECN_ECE))
		return false;
	if ((op & BF_ECN_CWR) && !!(p->ecn_tcp & 0x80) == !!(inv & BF_ECN_CWR))
		return false;
	return true;
}

static bool ttl_test(enum bf_ttl_op op, uint8_t ttl, uint8_t v)
{
	switch (op) {
	case BF_TTL_EQ:
		return ttl == v;
	case BF_TTL_NE:
		return ttl != v;
	case BF_TTL_LT:
		return ttl < v;
	case BF_TTL_GT:
		return ttl > v;
	}
	return false;
}

bool bf_eval_models(enum bf_match_type type)
{
	switch (type) {
	case BF_MATCH_L4PROTO:
	case BF_MATCH_SADDR:
	case BF_MATCH_DADDR:
	case BF_MATCH_IIFNAME:
	case BF_MATCH_OIFNAME:
	case BF_MATCH_FRAG:
	case BF_MATCH_L4HDR:
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT:
	case BF_MATCH_TCPFLAGS:
	case BF_MATCH_ICMP:
	case BF_MATCH_MULTIPORT:
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE:
	case BF_MATCH_CTSTATE:
	case BF_MATCH_COMMENT:
	case BF_MATCH_LENGTH:
	case BF_MATCH_TTL:
	case BF_MATCH_DSFIELD:
	case BF_MATCH_ECN:
	case BF_MATCH_ESP:
	case BF_MATCH_MARK:
	case BF_MATCH_SET: /* when the sets' elements are known */
	case BF_MATCH_TH_SPORT:
	case BF_MATCH_TH_DPORT:
	case BF_MATCH_IIF: /* the facts of bf_eval_pkt.known, from here */
	case BF_MATCH_OIF:
	case BF_MATCH_ETH_DADDR:
	case BF_MATCH_ETH_TYPE:
	case BF_MATCH_VLAN:
	case BF_MATCH_MAC:
	case BF_MATCH_PKTTYPE:
	case BF_MATCH_CONNMARK:
	case BF_MATCH_POLICY: /* with the facts of BF_EVAL_KNOW_XFRM */
	case BF_MATCH_HELPER: /* with BF_EVAL_KNOW_HELPER */
	case BF_MATCH_CONNBYTES: /* with BF_EVAL_KNOW_ACCT */
	case BF_MATCH_CONNTRACK: /* state, status and direction only */
	case BF_MATCH_ADDRTYPE: /* as compiled (nft's fib daddr type too) */
	case BF_MATCH_RT: /* as compiled (nft's rt type too) */
	case BF_MATCH_TCPMSS:
	case BF_MATCH_TIME: /* given the time */
	case BF_MATCH_NFT_LIMIT: /* with state (bf_eval_at()) */
	case BF_MATCH_STATISTIC: /* nth mode, with state */
	case BF_MATCH_PAYLOAD: /* with bf_eval_pkt.l3 */
	case BF_MATCH_U32:
	case BF_MATCH_FRAG6: /* with bf_eval_pkt.l3 */
	case BF_MATCH_OPTS6:
	case BF_MATCH_AH:
	case BF_MATCH_MH:
		return true;
	default:
		return false;
	}
}

/* A match in nft evaluation (enum bf_nft_mode): a header that cannot be
 * read fails it whatever `neg` (NFT_BREAK in nft_payload_eval() and
 * nft_meta_get_eval()); nothing hotdrops. Negation handled here. */
static enum mres match_nft(const struct bf_eval_pkt *p,
			   const struct bf_rule *rule, const struct bf_match *m)
{
	bool v6 = rule->family == BF_FAMILY_INET6;
	bool r;

	switch (m->type) {
	case BF_MATCH_L4PROTO: {
		uint8_t proto = p->l4proto;

		if (v6 && m->nft == BF_NFT_RAW) {
			proto = p->nexthdr6;
		} else if (v6 && p->nft_ah) {
			proto = 51; /* the walk stopped at AH */
		} else if (v6 && p->l6err) {
			return M_FAIL; /* no L4 protocol: break */
		}
		r = proto == m->u.proto;
		break;
	}
	case BF_MATCH_L4HDR:
		/* nft_payload_fast_eval(): the bytes at nft's transport
		 * offset, a non-first fragment's too (none without an L4
		 * protocol, or at AH) */
		if (p->nft_avail < (m->u.l4hdr.min_len ?: 1))
			return M_FAIL;
		return M_MATCH;
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT: {
		uint16_t v = m->type == BF_MATCH_SPORT ? p->nft_sport :
							 p->nft_dport;

		r = v >= m->u.ports.lo && v <= m->u.ports.hi;
		break;
	}
	case BF_MATCH_TCPFLAGS:
		r = (p->nft_flags & m->u.tcpflags.mask) == m->u.tcpflags.cmp;
		break;
	case BF_MATCH_ICMP: {
		/* type and code: the first word's bytes; no wildcard type */
		uint8_t type = (uint8_t)(p->nft_sport >> 8);
		uint8_t code = (uint8_t)p->nft_sport;

		r = type == m->u.icmp.type && code >= m->u.icmp.code_lo &&
		    code <= m->u.icmp.code_hi;
		break;
	}
	default:
		return M_UNMODELLED;
	}
	return r != m->neg ? M_MATCH : M_FAIL;
}

static bool known(const struct bf_eval_pkt *p, uint32_t bits)
{
	return (p->known & bits) == bits;
}

static struct bucket *bucket_get(struct bf_eval_state *st,
				 const struct bf_match *m, enum bf_hook hook)
{
	uint32_t shared =
		m->type == BF_MATCH_NFT_LIMIT ? m->u.nft_limit.bucket : 0;
	struct bucket *b;

	for (size_t i = 0; i < st->n; i++) {
		if (shared ? st->b[i].shared == shared :
			     (st->b[i].m == m && st->b[i].hook == hook &&
			      !st->b[i].shared))
			return &st->b[i];
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 8;

		b = realloc(st->b, cap * sizeof(*b));
		if (!b)
			return NULL;
		st->b = b;
		st->cap = cap;
	}
	b = &st->b[st->n++];
	memset(b, 0, sizeof(*b));
	b->m = m;
	b->hook = hook;
	b->shared = shared;
	return b;
}

/* nft's limit on its bucket, as bf_nftm_limit_emit() computes it (the
 * arithmetic of nft_limit_eval(), in nanoseconds): the bucket starts full
 * at the first packet; tokens grow by the time since the last packet,
 * capped; a packet costing no more than the tokens takes them. */
static enum mres match_nft_limit(struct ev *e, const struct bf_match *m)
{
	const struct bf_nft_limit *l = &m->u.nft_limit;
	uint64_t max, cost, tokens, delta;
	struct bucket *b;
	bool within;

	if (!e->st)
		return M_STATEFUL;
	if (bf_nft_limit_bucket(l, &max, &cost))
		return M_UNMODELLED; /* never compiled either */
	b = bucket_get(e->st, m, e->hook);
	if (!b) {
		e->err = -ENOMEM;
		return M_ERROR;
	}
	if (!b->init) {
		b->init = true;
		b->last = e->now;
		b->tokens = max;
	}
	tokens = b->tokens + (e->now - b->last);
	b->last = e->now;
	if ((int64_t)tokens < 0)
		tokens = 0;
	if (tokens > max)
		tokens = max;
	if (l->bytes)
		/* nft_limit_bytes_eval(): unit * 1e9 * len / rate, with the
		 * program's 64-bit wrap-around */
		cost = l->unit * 1000000000ull * e->pkt->len / l->rate;
	delta = tokens - cost;
	within = (int64_t)delta >= 0;
	b->tokens = within ? delta : tokens;
	return within != l->over ? M_MATCH : M_FAIL;
}

/* statistic_mt() in nth mode, as cgen.c's emit_statistic() keeps it: a
 * count per match and program starting at every - packet (libxt_statistic's
 * u.nth.count: `--packet P` is the packet of index P); the packet that finds
 * it at `every` (N - 1) resets it and matches, the others increment it.
 * The random mode depends on chance: not modelled. */
static enum mres match_statistic(struct ev *e, const struct bf_match *m)
{
	const typeof(m->u.statistic) *st = &m->u.statistic;
	bool inv = st->invert != m->neg, wrapped;
	struct bucket *b;

	if (st->mode != BF_STATISTIC_NTH || !e->st)
		return M_STATEFUL;
	b = bucket_get(e->st, m, e->hook);
	if (!b) {
		e->err = -ENOMEM;
		return M_ERROR;
	}
	if (!b->init) {
		b->tokens = st->every - st->packet; /* u.nth.count */
		b->init = true;
	}
	wrapped = (uint32_t)b->tokens == st->every;
	b->tokens = wrapped ? 0 : (uint32_t)(b->tokens + 1);
	return wrapped != inv ? M_MATCH : M_FAIL;
}

/* conntrack_mt() as cgen/m_conntrack.c evaluates it, for the state,
 * status and direction options (the nft front end's `ct status` and
 * `ct direction`); the entry's tuples and timeout are not in
 * bf_eval_pkt. Inversions are in the payload (`neg` is not used, as in
 * the program). */
static enum mres match_conntrack(const struct bf_eval_pkt *p,
				 const struct bf_match *m)
{
	const typeof(m->u.conntrack) *ci = &m->u.conntrack;
	uint16_t mf = ci->match_flags, inv = ci->invert_flags;
	bool entry = p->ctstate == BF_CTSTATE_NEW ||
		     p->ctstate == BF_CTSTATE_ESTABLISHED ||
		     p->ctstate == BF_CTSTATE_RELATED;
	uint32_t state;

	if (!known(p, BF_EVAL_KNOW_CT) ||
	    (mf &
	     ~(BF_CT_STATE | BF_CT_STATUS | BF_CT_DIRECTION | BF_CT_STATUS_EQ)))
		return M_UNMODELLED;
	if (!entry) {
		/* no entry: the state test alone (UNTRACKED or INVALID),
		 * and the match holds only if it was asked for */
		if (!(mf & BF_CT_STATE))
			return M_FAIL;
		state = p->ctstate == BF_CTSTATE_UNTRACKED ?
				BF_CT_STATE_UNTRACKED :
				BF_CT_STATE_INVALID;
		return ((state & ci->state_mask) != 0) !=
				       !!(inv & BF_CT_STATE) ?
			       M_MATCH :
			       M_FAIL;
	}
	if (mf & BF_CT_STATE) {
		/* XT_CONNTRACK_STATE_BIT(ctinfo): the bits of enum
		 * bf_ctstate for these three; SNAT / DNAT from the status */
		state = p->ctstate;
		if (p->ct_status & BF_CT_STATUS_SRC_NAT)
			state |= BF_CT_STATE_SNAT;
		if (p->ct_status & BF_CT_STATUS_DST_NAT)
			state |= BF_CT_STATE_DNAT;
		if (((state & ci->state_mask) != 0) == !!(inv & BF_CT_STATE))
			return M_FAIL;
	}
	/* not inverted: the original direction (m_conntrack.c) */
	if ((mf & BF_CT_DIRECTION) && !p->ct_reply == !!(inv & BF_CT_DIRECTION))
		return M_FAIL;
	if ((mf & BF_CT_STATUS) &&
	    ((p->ct_status & ci->status_mask) != 0) == !!(inv & BF_CT_STATUS))
		return M_FAIL;
	if ((mf & BF_CT_STATUS_EQ) &&
	    (p->ct_status == ci->status_mask) == !!(inv & BF_CT_STATUS_EQ))
		return M_FAIL;
	return M_MATCH;
}

#define AT_UNSPEC (1u << 0)
#define AT_UNICAST (1u << 1)
#define AT_MULTICAST (1u << 5)
#define AT_ROUTE ((1u << 2) | (1u << 4) | (1u << 7))

/* match_type6() as cgen/m_addrtype.c's type6(): every type asked for
 * holds; the route's types from the fact. -1: the fact is missing. */
static int type6(const struct bf_eval_pkt *p, const uint8_t *a, uint16_t mask)
{
	static const uint8_t zero[16] = { 0 };
	static const uint8_t mapped[4] = { 0, 0, 0xff, 0xff };

	if ((mask & AT_MULTICAST) && a[0] != 0xff)
		return 0;
	if ((mask & AT_UNICAST) &&
	    (a[0] == 0xff ||
	     (!memcmp(a, zero, 8) &&
	      (!memcmp(a + 8, mapped, 4) ||
	       (!memcmp(a + 8, zero, 4) && !memcmp(a + 12, zero, 4))))))
		return 0;
	if ((mask & AT_UNSPEC) && memcmp(a, zero, 16))
		return 0;
	if (mask & AT_ROUTE) {
		if (!known(p, BF_EVAL_KNOW_ROUTE))
			return -1;
		if (!(p->rt_type & mask & AT_ROUTE))
			return 0;
	}
	return 1;
}

/* addrtype_mt_v1() as cgen/m_addrtype.c compiles it: IPv4 sources and
 * destination lists of MULTICAST alone by the address, other IPv4
 * destination types by the route's type (no route: no match, inverted or
 * not); IPv6 by the address and the route's flags. */
static enum mres match_addrtype(const struct bf_eval_pkt *p,
				const struct bf_match *m)
{
	const typeof(m->u.addrtype) *at = &m->u.addrtype;
	bool inv_s = at->flags & BF_ADDRTYPE_INVERT_SOURCE;
	bool inv_d = at->flags & BF_ADDRTYPE_INVERT_DEST;

	bool limit = at->flags &
		     (BF_ADDRTYPE_LIMIT_IFACE_IN | BF_ADDRTYPE_LIMIT_IFACE_OUT);

	if (p->family == BF_FAMILY_INET6) {
		int s, d;

		/* a source's route, or a route with a device: refused by
		 * the program too (the device does not matter otherwise,
		 * match_type6()) */
		if ((at->source & AT_ROUTE) || (limit && (at->dest & AT_ROUTE)))
			return M_UNMODELLED;
		s = at->source ? type6(p, p->saddr, at->source) : 1;

		if (s < 0)
			return M_UNMODELLED;
		if (at->source && (s == 1) == inv_s)
			return M_FAIL;
		d = at->dest ? type6(p, p->daddr, at->dest) : 1;
		if (d < 0)
			return M_UNMODELLED;
		if (at->dest && (d == 1) == inv_d)
			return M_FAIL;
		return M_MATCH;
	}
	if ((at->source & ~AT_MULTICAST) ||
	    (limit && ((at->source | at->dest) & ~AT_MULTICAST)))
		return M_UNMODELLED; /* refused by the program too */
	if (at->source && ((p->saddr[0] & 0xf0) == 0xe0) == inv_s)
		return M_FAIL;
	if (!at->dest)
		return M_MATCH;
	if (!(at->dest & ~AT_MULTICAST))
		return ((p->daddr[0] & 0xf0) == 0xe0) != inv_d ? M_MATCH :
								 M_FAIL;
	if (!known(p, BF_EVAL_KNOW_ROUTE))
		return M_UNMODELLED;
	if (p->rt_type > 15)
		return M_FAIL;
	return !!(at->dest & (1u << p->rt_type)) != inv_d ? M_MATCH : M_FAIL;
}

/* rt_mt6() as cgen/mext.c's emit_rt() compiles it (inversions in the
 * payload, `neg` unused): a header walk error hotdrops, no routing header
 * (or a short one) fails, then segments left, length, type, reserved.
 * nft's `rt type` (BF_RT_NFT): the type byte if the packet has it, else
 * no match, `!=` included; nothing hotdrops. */
static bool leap(unsigned int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* time_mt() as cgen/m_time.c compiles it (localtime_1/2/3() of
 * xt_time.c, years past 2039 counted as 2039 as the kernel's table
 * does), at the real time given. */
static enum mres match_time(const struct bf_eval_pkt *p,
			    const struct bf_match *m)
{
	static const uint16_t dsy[2][12] = {
		{ 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 },
		{ 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335 },
	};
	const typeof(m->u.time) *t = &m->u.time;
	int64_t stamp = p->now_real;
	uint64_t sod;

	if (!known(p, BF_EVAL_KNOW_TIME))
		return M_UNMODELLED;
	if (t->flags & BF_TIME_LOCAL_TZ)
		stamp -= 60 * (int64_t)p->tz_minuteswest;
	if (stamp < (int64_t)t->date_start || stamp > (int64_t)t->date_stop)
		return M_FAIL;
	sod = (uint64_t)stamp % 86400;
	if (t->daytime_start < t->daytime_stop) {
		if ((uint32_t)sod < t->daytime_start ||
		    (uint32_t)sod > t->daytime_stop)
			return M_FAIL;
	} else {
		if ((uint32_t)sod < t->daytime_start &&
		    (uint32_t)sod > t->daytime_stop)
			return M_FAIL;
		/* --contiguous: after midnight, the day before */
		if ((t->flags & BF_TIME_CONTIGUOUS) &&
		    (uint32_t)sod <= t->daytime_stop)
			stamp -= 86400;
	}
	if (t->weekdays_match != BF_TIME_ALL_WEEKDAYS) {
		uint32_t dse = (uint32_t)((uint64_t)stamp / 86400);
		uint32_t wd = (dse + 3) % 7 + 1;

		if (!((t->weekdays_match >> wd) & 1))
			return M_FAIL;
	}
	if (t->monthdays_match != BF_TIME_ALL_MONTHDAYS) {
		uint32_t dse = (uint32_t)((uint64_t)stamp / 86400), d = 0;
		unsigned int y = 1970, lp, md;
		int i;

		/* the last year (up to 2039) starting at or before dse */
		for (unsigned int k = 1970; k < 2039; k++) {
			uint32_t n = d + (leap(k) ? 366 : 365);

			if (n > dse)
				break;
			d = n;
			y = k + 1;
		}
		dse -= d;
		lp = leap(y);
		for (i = 11; i > 0 && dse < dsy[lp][i]; i--)
			;
		md = dse - dsy[lp][i] + 1;
		/* the shift count modulo 32, as on the kernel's CPUs */
		if (!((t->monthdays_match >> (md & 31)) & 1))
			return M_FAIL;
	}
	return M_MATCH;
}

/* tcpmss_mt() as cgen/mext.c's emit_tcpmss(): an unreadable header or
 * options hotdrop, no MSS option matches only inverted. */
static enum mres match_tcpmss(const struct bf_eval_pkt *p,
			      const struct bf_match *m)
{
	if (p->mss_state == BF_EVAL_MSS_DROP)
		return M_HOTDROP;
	if (p->mss_state != BF_EVAL_MSS_FOUND)
		return m->neg ? M_MATCH : M_FAIL;
	return (p->mss >= m->u.length.min && p->mss <= m->u.length.max) !=
			       m->neg ?
		       M_MATCH :
		       M_FAIL;
}

static enum mres match_rt(const struct bf_eval_pkt *p, const struct bf_match *m)
{
	const typeof(m->u.rt) *rt = &m->u.rt;
	bool in;

	if (rt->flags & BF_RT_FST)
		return M_UNMODELLED; /* not compiled either */
	if (p->family != BF_FAMILY_INET6)
		return M_FAIL; /* no routing header read: none */
	if (rt->flags & BF_RT_NFT) {
		if (!p->rt6_off || p->rt6_state == BF_EVAL_RT6_DROP ||
		    (uint32_t)p->rt6_off + 3 > p->len)
			return M_FAIL;
		in = rt->rt_type <= 255 && p->rt6_type == rt->rt_type;
		return in != !!(rt->invflags & BF_RT_INV_TYP) ? M_MATCH :
								M_FAIL;
	}
	if (p->rt6_state == BF_EVAL_RT6_DROP)
		return M_HOTDROP;
	if (p->rt6_state != BF_EVAL_RT6_FOUND)
		return M_FAIL;
	/* segsleft_match() */
	in = rt->segsleft[0] <= 255 && rt->segsleft[0] <= rt->segsleft[1] &&
	     p->rt6_segsleft >= rt->segsleft[0] &&
	     p->rt6_segsleft <= rt->segsleft[1];
	if (in == !!(rt->invflags & BF_RT_INV_SGS))
		return M_FAIL;
	if ((rt->flags & BF_RT_LEN) &&
	    (rt->hdrlen <= 0xffff && p->rt6_hdrlen == rt->hdrlen) ==
		    !!(rt->invflags & BF_RT_INV_LEN))
		return M_FAIL;
	if ((rt->flags & BF_RT_TYP) &&
	    (rt->rt_type <= 255 && p->rt6_type == rt->rt_type) ==
		    !!(rt->invflags & BF_RT_INV_TYP))
		return M_FAIL;
	if ((rt->flags & BF_RT_RES) && p->rt6_res)
		return M_FAIL;
	return M_MATCH;
}

/* nft's payload load (cgen/m_payload.c): the bytes at the network
 * header, or at nft's transport offset (len - nft_avail; nft_avail 0:
 * no L4 protocol), which a load nft_payload_fast_eval() does not serve
 * cannot read in a non-first fragment (nft_payload_eval()); past the
 * packet, no match whatever `neg` (NFT_BREAK). */
static enum mres match_payload(const struct bf_eval_pkt *p,
			       const struct bf_match *m)
{
	const typeof(m->u.payload) *pl = &m->u.payload;
	uint32_t start = 0, end = (uint32_t)pl->off + pl->len, v = 0;
	bool fast = (pl->len == 1 || pl->len == 2 || pl->len == 4) &&
		    pl->off % pl->len == 0;

	if (!p->l3)
		return M_UNMODELLED;
	if (pl->len < 1 || pl->len > 4)
		return M_UNMODELLED;
	if (pl->base == BF_PAYLOAD_TH) {
		if (!fast && p->fragoff &&
		    !(p->family == BF_FAMILY_INET6 && p->nft_ah))
			return M_FAIL;
		if (p->nft_avail < end)
			return M_FAIL;
		start = p->len - p->nft_avail;
	} else if (p->len < end) {
		return M_FAIL;
	}
	for (uint32_t i = 0; i < pl->len; i++)
		v = v << 8 | p->l3[start + pl->off + i];
	v &= pl->mask;
	return (v >= pl->lo && v <= pl->hi) != m->neg ? M_MATCH : M_FAIL;
}

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* xt_u32's u32_match_it() over the L3 packet (skb->len = len), then
 * u32_mt()'s inversion; shift counts are below 32 (mod_u32.c), & 31 as
 * cgen/m_payload.c. */
static enum mres match_u32(const struct bf_eval_pkt *p,
			   const struct bf_match *m)
{
	const typeof(m->u.u32) *u = &m->u.u32;
	uint32_t len = p->len;
	unsigned int k = 0;
	bool hold = true;

	if (!p->l3)
		return M_UNMODELLED;
	for (unsigned int t = 0; t < u->ntests && hold; t++) {
		uint32_t pos = u->w[k++], at = 0, val;
		bool in = false;

		if (t >= BF_U32_MAXSIZE ||
		    k + u->nnums[t] - 1 + 2u * u->nvals[t] > BF_U32_WORDS)
			return M_UNMODELLED;
		if (len < 4 || pos > len - 4) {
			hold = false;
			break;
		}
		val = be32_at(p->l3 + pos);
		for (unsigned int i = 1; i < u->nnums[t] && hold; i++, k++) {
			uint32_t n = u->w[k];

			switch (u->ops[k]) {
			case BF_U32_AND:
				val &= n;
				break;
			case BF_U32_LEFTSH:
				val <<= n & 31;
				break;
			case BF_U32_RIGHTSH:
				val >>= n & 31;
				break;
			default:
				if (at + val < at) {
					hold = false;
					break;
				}
				at += val;
				if (at + 4 < at || len < at + 4 ||
				    n > len - at - 4) {
					hold = false;
					break;
				}
				val = be32_at(p->l3 + at + n);
				break;
			}
		}
		if (!hold)
			break;
		for (unsigned int i = 0; i < u->nvals[t]; i++, k += 2)
			if (u->w[k] <= val && val <= u->w[k + 1])
				in = true;
		hold = in;
	}
	return hold != u->invert ? M_MATCH : M_FAIL;
}

/* The matches of the nft front end and others that need facts beyond
 * the IP packet (bf_eval_pkt.known) or state; negation handled here. A
 * header or fact that is not there fails them whatever `neg` (NFT_BREAK,
 * mac_mt()'s and connmark_mt()'s early false). */
static enum mres match_ext(struct ev *e, const struct bf_match *m)
{
	const struct bf_eval_pkt *p = e->pkt;
	bool r;

	switch (m->type) {
	case BF_MATCH_TH_SPORT:
	case BF_MATCH_TH_DPORT: {
		/* bf_nftm_th_emit(): nft's fast payload load at nft's
		 * transport offset, 2 or 4 bytes needed */
		bool src = m->type == BF_MATCH_TH_SPORT;
		uint16_t v = src ? p->nft_sport : p->nft_dport;

		if (p->nft_avail < (src ? 2u : 4u))
			return M_FAIL;
		r = v >= m->u.ports.lo && v <= m->u.ports.hi;
		break;
	}
	case BF_MATCH_IIF:
	case BF_MATCH_OIF:
		if (!known(p, BF_EVAL_KNOW_IFINDEX))
			return M_UNMODELLED;
		r = (m->type == BF_MATCH_IIF ?
			     p->ifindex_in :
			     p->ifindex_out) == m->u.ifindex.index;
		break;
	case BF_MATCH_ETH_DADDR:
	case BF_MATCH_ETH_TYPE:
		if (!known(p, BF_EVAL_KNOW_L2))
			return M_UNMODELLED;
		if (!p->eth_ok)
			return M_FAIL;
		r = m->type == BF_MATCH_ETH_TYPE ?
			    p->ethtype == m->u.ethtype.type :
			    !memcmp(p->dmac, m->u.mac.addr, 6);
		break;
	case BF_MATCH_VLAN: {
		uint16_t v;

		if (!known(p, BF_EVAL_KNOW_L2))
			return M_UNMODELLED;
		if (!p->vlan_ok)
			return M_FAIL;
		switch (m->u.vlan.field) {
		case BF_VLAN_TYPE: /* not in the TCI (cgen/m_ether.c) */
			v = p->vlan_type;
			break;
		case BF_VLAN_ID:
			v = p->vlan_tci & 0xfff;
			break;
		case BF_VLAN_PCP:
			v = p->vlan_tci >> 13;
			break;
		case BF_VLAN_DEI:
			v = (p->vlan_tci >> 12) & 1;
			break;
		default:
			return M_UNMODELLED;
		}
		r = v >= m->u.vlan.lo && v <= m->u.vlan.hi;
		break;
	}
	case BF_MATCH_MAC:
		if (!known(p, BF_EVAL_KNOW_L2))
			return M_UNMODELLED;
		if (!p->smac_ok)
			return M_FAIL;
		r = !memcmp(p->smac, m->u.mac.addr, 6);
		break;
	case BF_MATCH_PKTTYPE:
		if (!known(p, BF_EVAL_KNOW_PKTTYPE))
			return M_UNMODELLED;
		r = p->pkttype == m->u.pkttype.pkttype;
		break;
	case BF_MATCH_CONNMARK:
		if (!known(p, BF_EVAL_KNOW_CT))
			return M_UNMODELLED;
		if (p->ctstate != BF_CTSTATE_NEW &&
		    p->ctstate != BF_CTSTATE_ESTABLISHED &&
		    p->ctstate != BF_CTSTATE_RELATED)
			return M_FAIL;
		r = (p->ctmark & m->u.mark.mask) == m->u.mark.value;
		break;
	case BF_MATCH_POLICY: {
		int pr;

		if (!known(p, BF_EVAL_KNOW_XFRM))
			return M_UNMODELLED;
		pr = bf_eval_policy(p, m);
		return pr < 0 ? M_UNMODELLED : pr ? M_MATCH : M_FAIL;
	}
	case BF_MATCH_CONNBYTES:
		if (!known(p, BF_EVAL_KNOW_ACCT))
			return M_UNMODELLED;
		return bf_eval_connbytes(p, m) ? M_MATCH : M_FAIL;
	case BF_MATCH_HELPER:
		if (!known(p, BF_EVAL_KNOW_HELPER))
			return M_UNMODELLED;
		return bf_eval_helper(p, m) ? M_MATCH : M_FAIL;
	case BF_MATCH_CONNTRACK:
		return match_conntrack(p, m);
	case BF_MATCH_ADDRTYPE:
		return match_addrtype(p, m);
	case BF_MATCH_RT:
		return match_rt(p, m);
	case BF_MATCH_TCPMSS:
		return match_tcpmss(p, m);
	case BF_MATCH_TIME:
		return match_time(p, m);
	case BF_MATCH_PAYLOAD:
		return match_payload(p, m);
	case BF_MATCH_MH:
		/* mh_mt6(), as cgen/m_exthdr.c's bf_xh_emit_mh() */
		if (p->fragoff)
			return M_FAIL;
		if (p->avail < 6 || p->sport >> 8 != 59)
			return M_HOTDROP;
		return ((p->dport >> 8) >= m->u.mh.types[0] &&
			(p->dport >> 8) <= m->u.mh.types[1]) != m->u.mh.invert ?
			       M_MATCH :
			       M_FAIL;
	case BF_MATCH_FRAG6:
	case BF_MATCH_OPTS6:
	case BF_MATCH_AH: {
		int xr = bf_eval_exthdr(p, m);

		return xr < 0  ? M_UNMODELLED :
		       xr == 2 ? M_HOTDROP :
		       xr      ? M_MATCH :
				 M_FAIL;
	}
	case BF_MATCH_U32:
		return match_u32(p, m);
	case BF_MATCH_NFT_LIMIT:
		return match_nft_limit(e, m);
	case BF_MATCH_STATISTIC:
		return match_statistic(e, m);
	case BF_MATCH_LIMIT:
	case BF_MATCH_HASHLIMIT:
	case BF_MATCH_RECENT:
	case BF_MATCH_CONNLIMIT:
	case BF_MATCH_QUOTA: /* bytes of earlier packets */
		return M_STATEFUL;
	default:
		return M_UNMODELLED;
	}
	return r != m->neg ? M_MATCH : M_FAIL;
}

/* One match, without its negation unless the match handles it itself. */
static enum mres match_one(struct ev *e, const struct bf_rule *rule,
			   const struct bf_match *m)
{
	const struct bf_eval_pkt *p = e->pkt;
	bool v6 = rule->family == BF_FAMILY_INET6;
	int nbytes = v6 ? 16 : 4;
	bool r;

	/* an IPv4 protocol is the header's field in both evaluations
	 * (bf_nftbreak_emit() leaves it to the iptables code) */
	if (m->nft != BF_NFT_OFF && (v6 || m->type != BF_MATCH_L4PROTO))
		return match_nft(p, rule, m);
	switch (m->type) {
	case BF_MATCH_L4PROTO:
		if (v6) {
			/* ip6_packet_match(): ipv6_find_hdr() < 0 with no
			 * fragment offset -> hotdrop */
			if (p->l6err)
				return M_HOTDROP;
			/* "-p all" holds for any protocol; "! -p all" for
			 * any but 0 (the proto == protohdr test comes
			 * first), that is any: the walk never ends at 0 */
			if (m->u.proto == 0 && !m->neg)
				return M_MATCH;
		} else if (m->u.proto == 0) {
			/* ip_packet_match(): protocol 0 is not tested, so
			 * not inverted either */
			return M_MATCH;
		}
		r = p->l4proto == m->u.proto;
		break;
	case BF_MATCH_SADDR:
	case BF_MATCH_DADDR: {
		const uint8_t *a = m->type == BF_MATCH_SADDR ? p->saddr :
							       p->daddr;

		r = true;
		for (int i = 0; i < nbytes; i++) {
			if ((a[i] & m->u.addr.mask[i]) != m->u.addr.addr[i])
				r = false;
		}
		break;
	}
	case BF_MATCH_IIFNAME:
	case BF_MATCH_OIFNAME: {
		/* ifname_compare_aligned() with the mask iptables builds:
		 * cmp_len bytes, the NUL included for an exact name */
		const char *dev = m->type == BF_MATCH_IIFNAME ? p->iif : p->oif;

		r = true;
		for (int i = 0; i < m->u.iface.cmp_len && i < BF_IFNAMSIZ;
		     i++) {
			if (dev[i] != m->u.iface.name[i])
				r = false;
		}
		break;
	}
	case BF_MATCH_FRAG:
		r = p->fragoff != 0;
		break;
	case BF_MATCH_L4HDR:
		/* tcp_mt(), udp_mt(), icmp_match(), multiport_mt(): never
		 * on a non-first fragment; tcp_mt() drops an IPv4 fragment
		 * at offset 1; an unreadable header drops. */
		if (p->fragoff != 0) {
			if (m->u.l4hdr.hotdrop_frag1 && !v6 && p->fragoff == 1)
				return M_HOTDROP;
			return M_FAIL;
		}
		if (p->avail < m->u.l4hdr.min_len)
			return M_HOTDROP;
		return M_MATCH;
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT: {
		uint16_t v = m->type == BF_MATCH_SPORT ? p->sport : p->dport;

		r = v >= m->u.ports.lo && v <= m->u.ports.hi;
		break;
	}
	case BF_MATCH_TCPFLAGS:
		r = (p->tcpflags & m->u.tcpflags.mask) == m->u.tcpflags.cmp;
		break;
	case BF_MATCH_ICMP:
		/* icmp_type_code_match(): type 0xff is any (IPv4 only) */
		if (!v6 && m->u.icmp.type == 0xff)
			r = true;
		else
			r = p->icmp_type == m->u.icmp.type &&
			    p->icmp_code >= m->u.icmp.code_lo &&
			    p->icmp_code <= m->u.icmp.code_hi;
		break;
	case BF_MATCH_MULTIPORT:
		r = false;
		if (m->u.multiport.dir != BF_MULTIPORT_DST &&
		    ports_hit(m, p->sport))
			r = true;
		if (m->u.multiport.dir != BF_MULTIPORT_SRC &&
		    ports_hit(m, p->dport))
			r = true;
		break;
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE: {
		const uint8_t *a = m->type == BF_MATCH_SRANGE ? p->saddr :
								p->daddr;

		/* iprange_mt(): out of range if below lo or above hi */
		r = addr_cmp(a, m->u.range.lo, nbytes) >= 0 &&
		    addr_cmp(a, m->u.range.hi, nbytes) <= 0;
		break;
	}
	case BF_MATCH_CTSTATE:
		r = (p->ctstate & m->u.ctstate.mask) != 0;
		break;
	case BF_MATCH_COMMENT:
		return M_MATCH;
	case BF_MATCH_LENGTH:
		r = p->iplen >= m->u.length.min && p->iplen <= m->u.length.max;
		break;
	case BF_MATCH_TTL:
		r = ttl_test(m->u.ttl.op, p->ttl, m->u.ttl.value);
		break;
	case BF_MATCH_DSFIELD:
		r = (p->dsfield & m->u.dsfield.mask) == m->u.dsfield.value;
		break;
	case BF_MATCH_ECN:
		return ecn_test(p, m) ? M_MATCH : M_FAIL;
	case BF_MATCH_ESP: {
		/* esp_mt(): not in a non-first fragment, hotdrop without the
		 * 8-byte header, then the SPI range */
		uint32_t spi = (uint32_t)p->sport << 16 | p->dport;

		if (p->fragoff)
			return M_FAIL;
		if (p->avail < 8)
			return M_HOTDROP;
		r = spi >= m->u.spi.lo && spi <= m->u.spi.hi;
		break;
	}
	case BF_MATCH_MARK:
		r = (e->mark & m->u.mark.mask) == m->u.mark.value;
		break;
	case BF_MATCH_SET: {
		/* src/lib/set/eval.c; unknown elements: not modelled. A
		 * mark dimension reads the mark MARK targets have set, as
		 * the program's packet context copy (cgen/t_mark.c). */
		struct bf_eval_pkt q = *p;
		int sr;

		q.mark = e->mark;
		sr = bf_set_eval(e->rs, rule, m, &q);

		if (sr < 0)
			return M_UNMODELLED;
		r = sr == 1;
		break;
	}
	default:
		return match_ext(e, m);
	}
	return r != m->neg ? M_MATCH : M_FAIL;
}

static void emit_step(const struct ev *e, const struct bf_eval_step *s)
{
	if (e->fn)
		e->fn(s, e->data);
}

static void decide(struct ev *e, enum bf_verdict_kind v,
		   const struct bf_chain *chain, const struct bf_rule *rule,
		   size_t num, const struct bf_match *m)
{
	e->res->verdict = v;
	e->res->chain = chain;
	e->res->rule = rule;
	e->res->rule_num = num;
	e->res->match = m;
}

static enum rc run_chain(struct ev *e, const struct bf_chain *chain,
			 enum bf_verdict_kind via, int depth);

/* Call `name` from a rule of `from`. */
static enum rc call(struct ev *e, const struct bf_chain *from,
		    const struct bf_rule *rule, int depth)
{
	const struct bf_chain *to =
		bf_ruleset_chain(e->rs, rule->family, rule->verdict.chain);

	if (!to) {
		e->err = -ENOENT;
		return RC_ERROR;
	}
	if (depth + 1 > EVAL_MAX_DEPTH) {
		e->err = -ELOOP;
		return RC_ERROR;
	}
	(void)from;
	return run_chain(e, to, rule->verdict.kind, depth + 1);
}

static enum rc policy(struct ev *e, const struct bf_chain *chain, int depth)
{
	struct bf_eval_step s = { .event = BF_EVAL_POLICY,
				  .chain = chain,
				  .depth = depth };

	emit_step(e, &s);
	decide(e, chain->policy, chain, NULL, 0, NULL);
	e->res->policy = true;
	return chain->policy == BF_VERDICT_DROP ? RC_DROP : RC_ACCEPT;
}

static enum rc run_chain(struct ev *e, const struct bf_chain *chain,
			 enum bf_verdict_kind via, int depth)
{
	struct bf_eval_step s = { .event = BF_EVAL_ENTER,
				  .chain = chain,
				  .via = via,
				  .depth = depth };

	emit_step(e, &s);
	for (size_t i = 0; i < chain->n_rules; i++) {
		const struct bf_rule *rule = &chain->rules[i];
		struct bf_eval_step rs = { .event = BF_EVAL_RULE,
					   .chain = chain,
					   .rule = rule,
					   .rule_num = i + 1,
					   .depth = depth };
		enum mres mr = M_MATCH;
		enum rc rc;

		if (rule->family != e->pkt->family)
			continue;
		for (size_t k = 0; k < rule->n_matches; k++) {
			mr = match_one(e, rule, &rule->matches[k]);
			if (mr != M_MATCH) {
				rs.match = &rule->matches[k];
				break;
			}
		}
		if (mr == M_ERROR)
			return RC_ERROR;
		if (mr == M_UNMODELLED || mr == M_HOTDROP || mr == M_STATEFUL) {
			rs.event = mr == M_HOTDROP  ? BF_EVAL_HOTDROP :
				   mr == M_STATEFUL ? BF_EVAL_STATEFUL :
						      BF_EVAL_NOT_MODELLED;
			emit_step(e, &rs);
			e->res->stateful = mr == M_STATEFUL;
			decide(e, BF_VERDICT_DROP, chain, rule, i + 1,
			       rs.match);
			if (mr == M_HOTDROP) {
				e->res->hotdrop = true;
				return RC_DROP;
			}
			e->err = -EOPNOTSUPP;
			return RC_ERROR;
		}
		rs.matched = mr == M_MATCH;
		emit_step(e, &rs);
		if (!rs.matched)
			continue;
		switch (rule->verdict.kind) {
		case BF_VERDICT_CONTINUE:
		case BF_VERDICT_LOG:
		case BF_VERDICT_NFLOG:
		case BF_VERDICT_TCPMSS:
			/* act on the packet (or not at all) and go on:
			 * nothing a later match of ours reads */
			continue;
		case BF_VERDICT_MARK:
			/* mark_tg(): (mark & ~mask) ^ value */
			e->mark = (e->mark & ~rule->verdict.u.mark.mask) ^
				  rule->verdict.u.mark.value;
			continue;
		case BF_VERDICT_ACCEPT:
		case BF_VERDICT_DROP:
		case BF_VERDICT_REJECT:
			decide(e, rule->verdict.kind, chain, rule, i + 1, NULL);
			return rule->verdict.kind == BF_VERDICT_ACCEPT ?
				       RC_ACCEPT :
				       RC_DROP;
		case BF_VERDICT_RETURN:
			goto out;
		case BF_VERDICT_NFT_NEXT:
			/* an accept that ends this base chain: the built-in
			 * chain goes on (nf_hook_slow()) */
			if (chain->builtin)
				continue;
			return RC_NFT_NEXT;
		case BF_VERDICT_JUMP:
			rc = call(e, chain, rule, depth);
			if (rc == RC_NFT_NEXT && chain->builtin)
				continue;
			if (rc != RC_CONTINUE)
				return rc;
			continue;
		case BF_VERDICT_GOTO:
			rc = call(e, chain, rule, depth);
			if (rc == RC_NFT_NEXT && chain->builtin)
				continue;
			if (rc != RC_CONTINUE)
				return rc;
			/* the target returned: to our caller, or to the
			 * policy of a built-in chain */
			goto out;
		default:
			rs.event = BF_EVAL_NOT_MODELLED;
			rs.match = NULL;
			emit_step(e, &rs);
			decide(e, BF_VERDICT_DROP, chain, rule, i + 1, NULL);
			e->err = -EOPNOTSUPP;
			return RC_ERROR;
		}
	}
out:
	if (chain->builtin)
		return policy(e, chain, depth);
	s.event = BF_EVAL_RETURN;
	emit_step(e, &s);
	return RC_CONTINUE;
}

struct bf_eval_state *bf_eval_state_new(void)
{
	return calloc(1, sizeof(struct bf_eval_state));
}

void bf_eval_state_free(struct bf_eval_state **st)
{
	if (!*st)
		return;
	free((*st)->b);
	free(*st);
	*st = NULL;
}

int bf_eval(const struct bf_ruleset *rs, enum bf_hook hook,
	    const struct bf_eval_pkt *pkt, bf_eval_fn step, void *data,
	    struct bf_eval_result *res)
{
	return bf_eval_at(rs, hook, pkt, NULL, 0, step, data, res);
}

int bf_eval_at(const struct bf_ruleset *rs, enum bf_hook hook,
	       const struct bf_eval_pkt *pkt, struct bf_eval_state *st,
	       uint64_t now_ns, bf_eval_fn step, void *data,
	       struct bf_eval_result *res)
{
	struct ev e = { .rs = rs,
			.pkt = pkt,
			.hook = hook,
			.st = st,
			.now = now_ns,
			.mark = pkt->mark,
			.fn = step,
			.data = data,
			.res = res };
	const struct bf_chain *chain;
	enum rc rc;

	memset(res, 0, sizeof(*res));
	if ((unsigned)hook >= BF_HOOK_COUNT ||
	    (unsigned)pkt->family >= BF_FAMILY_COUNT)
		return -EINVAL;
	chain = bf_ruleset_builtin(rs, pkt->family, hook);
	if (!chain)
		return -ENOENT;
	rc = run_chain(&e, chain, BF_VERDICT_CONTINUE, 0);
	res->mark = e.mark;
	if (rc == RC_ERROR)
		return e.err;
	/* A built-in chain always ends in a verdict (its policy). */
	return 0;
}

static bool v6_ext(uint8_t nh)
{
	/* ipv6_ext_hdr(): hop-by-hop, routing, fragment, AH, none, dst */
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 59 ||
	       nh == 60;
}

/* ipv6_find_hdr(skb, &off, -1, &fragoff, NULL) over b[0..len):
 * (net/ipv6/exthdrs_core.c). Returns the protocol, -1 on error. */
static int v6_walk(const uint8_t *b, size_t len, uint32_t *off,
		   uint16_t *fragoff, bool *ah, uint32_t *ah_off,
		   uint32_t *rt_off, bool *frag_nf)
{
	uint32_t start = 40;
	uint8_t nh = b[6];

	for (;;) {
		uint32_t hdrlen;

		if (!v6_ext(nh) || nh == 59)
			break;
		if ((size_t)start + 2 > len)
			return -1;
		if (nh == 43 && (size_t)start + 4 > len)
			return -1;
		/* the routing header ipv6_find_hdr(NEXTHDR_ROUTING) stops
		 * at (cgen/mext.c bf_mx_v6_rt()) */
		if (nh == 43 && !*rt_off)
			*rt_off = start;
		if (nh == 44) {
			uint16_t fo;

			if ((size_t)start + 4 > len)
				return -1;
			fo = (uint16_t)((b[start + 2] << 8 | b[start + 3]) &
					~7);
			if (fo) {
				/* a non-first fragment ends the walk when
				 * what follows is not an extension header */
				*frag_nf = true;
				if (!v6_ext(b[start]) || b[start] == 59) {
					*fragoff = fo;
					*off = start;
					return b[start];
				}
				return -1;
			}
			hdrlen = 8;
		} else if (nh == 51) {
			/* where nft_set_pktinfo_ipv6()'s walk ends */
			if (!*ah)
				*ah_off = start;
			*ah = true;
			hdrlen = ((uint32_t)b[start + 1] + 2) * 4;
		} else {
			hdrlen = ((uint32_t)b[start + 1] + 1) * 8;
		}
		nh = b[start];
		start += hdrlen;
	}
	*off = start;
	return nh;
}

/* pkt->rt6_*: the routing header as cgen/mext.c's prologue_rt6() reads
 * it for rt_mt6() and nft's rt type: at off (0: none), the walk failed
 * (err: a hotdrop for rt_mt6() unless it ended at a non-first
 * fragment, which the caller folds in) */
static void rt6_view(struct bf_eval_pkt *pkt, const uint8_t *b, size_t len,
		     uint32_t off, bool err)
{
	pkt->rt6_off = (uint16_t)off;
	if (!off) {
		pkt->rt6_state = err ? BF_EVAL_RT6_DROP : BF_EVAL_RT6_NONE;
		return;
	}
	if ((size_t)off + 8 > len) {
		/* short for rt_mt6(); nft reads the type byte if there */
		if ((size_t)off + 3 <= len)
			pkt->rt6_type = b[off + 2];
		pkt->rt6_state = BF_EVAL_RT6_SHORT;
		return;
	}
	pkt->rt6_type = b[off + 2];
	pkt->rt6_hdrlen = (uint16_t)(((uint32_t)b[off + 1] + 1) * 8);
	if (len - off < pkt->rt6_hdrlen) {
		pkt->rt6_state = BF_EVAL_RT6_SHORT;
		return;
	}
	pkt->rt6_segsleft = b[off + 3];
	memcpy(&pkt->rt6_res, b + off + 4, 4);
	pkt->rt6_state = BF_EVAL_RT6_FOUND;
}

/* pkt->mss*: the TCP MSS option as cgen/m_tcpmss.c's prologue finds it
 * for tcpmss_mt(): a TCP header at off with `left` bytes from there */
static void mss_view(struct bf_eval_pkt *pkt, const uint8_t *b, uint32_t off,
		     uint32_t left)
{
	uint32_t optlen;
	const uint8_t *op;

	pkt->mss_state = BF_EVAL_MSS_DROP;
	if (left > 255)
		left = 255;
	if (left < 20 || (b[off + 12] >> 4) * 4 < 20)
		return;
	optlen = (uint32_t)(b[off + 12] >> 4) * 4 - 20;
	if (left - 20 < optlen)
		return; /* truncated options */
	pkt->mss_state = BF_EVAL_MSS_NONE;
	op = b + off + 20;
	for (uint32_t i = 0; i < optlen;) {
		uint32_t step;

		if (op[i] == 2 && optlen - i >= 4 && op[i + 1] == 4) {
			pkt->mss = (uint16_t)(op[i + 2] << 8 | op[i + 3]);
			pkt->mss_state = BF_EVAL_MSS_FOUND;
			return;
		}
		/* kinds 0 and 1: one byte; others their length (1 for 0):
		 * a length byte past the options only ends the walk */
		step = op[i] < 2 || i + 1 >= optlen ? 1 :
		       op[i + 1]		    ? op[i + 1] :
						      1;
		i += step;
	}
}

/* pkt->nft_*: what nft's transport payload loads read at offset off */
static void nft_view(struct bf_eval_pkt *pkt, const uint8_t *b, size_t len,
		     uint32_t off)
{
	uint32_t n = off <= len ? (uint32_t)(len - off) : 0;

	pkt->nft_avail = n;
	if (n >= 1)
		pkt->nft_sport = (uint16_t)(b[off] << 8);
	if (n >= 2)
		pkt->nft_sport |= b[off + 1];
	if (n >= 4)
		pkt->nft_dport = (uint16_t)(b[off + 2] << 8 | b[off + 3]);
	if (n >= 14)
		pkt->nft_flags = b[off + 13];
}

int bf_eval_pkt_parse(struct bf_eval_pkt *pkt, enum bf_family family,
		      const void *l3, size_t len)
{
	const uint8_t *b = l3;
	uint32_t thoff;

	memset(pkt, 0, sizeof(*pkt));
	pkt->family = family;
	pkt->len = (uint32_t)len;
	pkt->l3 = b;
	if (family == BF_FAMILY_INET4) {
		if (len < 20 || b[0] >> 4 != 4 || (b[0] & 0xf) < 5)
			return -EINVAL;
		thoff = (uint32_t)(b[0] & 0xf) * 4;
		memcpy(pkt->saddr, b + 12, 4);
		memcpy(pkt->daddr, b + 16, 4);
		pkt->l4proto = b[9];
		pkt->ttl = b[8];
		pkt->dsfield = b[1];
		pkt->iplen = (uint16_t)(b[2] << 8 | b[3]);
		pkt->fragoff = (uint16_t)((b[6] << 8 | b[7]) & 0x1fff);
	} else {
		int proto;
		uint32_t off = 0, ah_off = 0, rt_off = 0;
		bool frag_nf = false;

		if (len < 40 || b[0] >> 4 != 6)
			return -EINVAL;
		memcpy(pkt->saddr, b + 8, 16);
		memcpy(pkt->daddr, b + 24, 16);
		pkt->ttl = b[7];
		pkt->dsfield = (uint8_t)((b[0] << 8 | b[1]) >> 4);
		pkt->iplen = (uint16_t)((b[4] << 8 | b[5]) + 40);
		pkt->nexthdr6 = b[6];
		proto = v6_walk(b, len, &off, &pkt->fragoff, &pkt->nft_ah,
				&ah_off, &rt_off, &frag_nf);
		rt6_view(pkt, b, len, rt_off, proto < 0 && !frag_nf);
		/* nft's walk stopped at the first AH header */
		if (pkt->nft_ah)
			nft_view(pkt, b, len, ah_off);
		if (proto < 0) {
			pkt->l6err = true;
			pkt->fragoff = 0;
			mss_view(pkt, b, 0, 0);
			return 0;
		}
		pkt->l4proto = (uint8_t)proto;
		if (pkt->fragoff) {
			/* nothing after a non-first fragment; nft's fast
			 * loads read at offset 0, and so do tcpmss_mt()
			 * and ecn's match_tcp() (ip6t_do_table()'s protoff
			 * stays 0) */
			if (!pkt->nft_ah)
				nft_view(pkt, b, len, 0);
			mss_view(pkt, b, 0, (uint32_t)len);
			pkt->ecn_tcp_ok = true; /* len >= 40 */
			pkt->ecn_tcp = b[13];
			return 0;
		}
		thoff = off;
	}
	if (!pkt->nft_ah)
		nft_view(pkt, b, len, thoff);
	pkt->avail = thoff <= len ? (uint32_t)(len - thoff) : 0;
	mss_view(pkt, b, thoff, pkt->avail);
	if (pkt->avail >= 20) {
		pkt->ecn_tcp_ok = true;
		pkt->ecn_tcp = b[thoff + 13];
	}
	if (pkt->fragoff)
		return 0;
	/* as far as the bytes go (nft reads single fields) */
	if (pkt->avail >= 1)
		pkt->icmp_type = b[thoff];
	if (pkt->avail >= 2) {
		pkt->sport = (uint16_t)(b[thoff] << 8 | b[thoff + 1]);
		pkt->icmp_code = b[thoff + 1];
	}
	if (pkt->avail >= 4)
		pkt->dport = (uint16_t)(b[thoff + 2] << 8 | b[thoff + 3]);
	if (pkt->avail >= 14)
		pkt->tcpflags = b[thoff + 13];
	return 0;
}

const char *bf_eval_event_name(enum bf_eval_event ev)
{
	static const char *const names[] = {
		[BF_EVAL_ENTER] = "enter",
		[BF_EVAL_RULE] = "rule",
		[BF_EVAL_RETURN] = "return",
		[BF_EVAL_POLICY] = "policy",
		[BF_EVAL_HOTDROP] = "hotdrop",
		[BF_EVAL_NOT_MODELLED] = "not modelled",
		[BF_EVAL_STATEFUL] = "depends on state",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == BF_EVAL_EVENT_COUNT,
		       "event names");

	return (unsigned)ev < BF_EVAL_EVENT_COUNT ? names[ev] : "?";
}
