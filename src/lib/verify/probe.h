/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Verify engine: probe generation from the parsed IR.
 *
 * For every rule and every hook whose built-in chain reaches the rule's
 * chain, one "base" packet is built that satisfies all the rule's matches
 * (a negated match is satisfied by a value outside it), then variants that
 * change one match at a time to the values just inside and just outside it:
 * prefix edges and their outside neighbours, port range ends +-1, each
 * multiport entry, iprange ends +-1, the exact TCP flags and each single
 * flip of the mask, ICMP type/code +-1, the interface named and another
 * one, another protocol, fragments, IPv6 extension header chains, and the
 * conntrack states NEW, ESTABLISHED and INVALID. Seeded random packets are
 * added on top. Duplicates are removed; each probe gets its own source
 * port / ICMP id so that flows do not mix unless the rule pins them.
 */
#ifndef BF_VERIFY_PROBE_H
#define BF_VERIFY_PROBE_H

#include <stdlib.h>

#include "bpfilter/ir.h"
#include "verify/net.h"
#include "verify/pkt.h"

#define DPROBE_MAX_SIDES 3

enum dct {
	DCT_NEW = 0, /* a fresh flow */
	DCT_ESTABLISHED, /* the reverse packet was sent first */
	DCT_INVALID, /* a TCP packet conntrack refuses (lone ACK) */
	DCT_RELATED, /* an ICMP error quoting a flow sent first */
	DCT_UNTRACKED, /* TTL / hop limit 33: the harness's notrack rule */
	DCT_COUNT,
};

enum {
	PIN_SADDR = 1 << 0,
	PIN_DADDR = 1 << 1,
	PIN_DPORT = 1 << 2,
	PIN_FLAGS = 1 << 3,
	PIN_ICMP = 1 << 4,
};

struct dprobe {
	struct dpkt_spec spec;
	enum bf_hook hook;
	int in_if, out_if;
	enum dct ct;
	bool sport_free; /* nothing pins the source port / ICMP id */
	unsigned int pinned; /* PIN_* fields a match of the rule set */
	/* the DS field a dsfield match asked for (has_ds): INPUT and OUTPUT
	 * probes carry it; FORWARD probes' TOS picks their route
	 * (dnet_tos()) */
	bool has_ds;
	uint8_t ds;
	char why[64];
	struct dpkt pkt;
	struct dpkt_spec setup_spec; /* ESTABLISHED: the reverse packet */
	struct dpkt setup;
	bool seen[DPROBE_MAX_SIDES];
};

struct dgen {
	enum bf_family family;
	const struct dtopo *topo;
	int other_if; /* index of the interface no rule names */
	bool ct; /* conntrack active: generate state variants */
	bool frags; /* generate fragments / extension headers */
	struct dprobe *v;
	size_t n, cap;
	uint64_t *hash; /* open addressing, 0 = empty */
	size_t hcap;
	uint64_t rng;
	/* value pools for random probes */
	uint8_t addrs[256][16];
	int n_addrs;
	uint16_t ports[256];
	int n_ports;
	size_t max;
};

static __attribute__((unused)) uint64_t dgen_rand(struct dgen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ull;
}

static __attribute__((unused)) uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static __attribute__((unused)) int alen(enum bf_family f)
{
	return f == BF_FAMILY_INET4 ? 4 : 16;
}

/* a += d (d = +1 or -1) on a big-endian address; false on wrap. */
static __attribute__((unused)) bool addr_step(uint8_t *a, int len, int d)
{
	int i;

	for (i = len - 1; i >= 0; i--) {
		if (d > 0) {
			if (++a[i] != 0)
				return true;
		} else {
			if (a[i]-- != 0)
				return true;
		}
	}
	return false;
}

static __attribute__((unused)) int addr_cmp(const uint8_t *a, const uint8_t *b,
					    int len)
{
	return memcmp(a, b, (size_t)len);
}

static __attribute__((unused)) int prefix_len(const uint8_t *mask, int len)
{
	int n = 0, i;

	for (i = 0; i < len; i++)
		n += __builtin_popcount(mask[i]);
	return n;
}

static __attribute__((unused)) void pool_addr(struct dgen *g, const uint8_t *a)
{
	if (g->n_addrs < 256)
		memcpy(g->addrs[g->n_addrs++], a, 16);
}

static __attribute__((unused)) void pool_port(struct dgen *g, uint16_t p)
{
	if (g->n_ports < 256)
		g->ports[g->n_ports++] = p;
}

/* Default packet of a family: documentation addresses, TCP SYN. */
static __attribute__((unused)) void spec_default(struct dgen *g,
						 struct dpkt_spec *s)
{
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
					0,    0,    0,	  0,	0, 0, 0, 1 };
	static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0,
					0,    0,    0,	  0,	0, 0, 0, 2 };

	memset(s, 0, sizeof(*s));
	s->family = g->family;
	if (g->family == BF_FAMILY_INET4) {
		static const uint8_t s4[4] = { 198, 51, 100, 1 };
		static const uint8_t d4[4] = { 203, 0, 113, 2 };

		memcpy(s->saddr, s4, 4);
		memcpy(s->daddr, d4, 4);
	} else {
		memcpy(s->saddr, s6, 16);
		memcpy(s->daddr, d6, 16);
	}
	s->proto = IPPROTO_TCP;
	s->sport = 40000;
	s->dport = 8080;
	s->tcpflags = 0x02; /* SYN */
	s->icmp_type = g->family == BF_FAMILY_INET4 ? 8 : 128;
	s->ttl = 64;
}

static __attribute__((unused)) bool if_matches(const struct bf_match *m,
					       const char *name)
{
	size_t n = m->u.iface.cmp_len;

	/* iptables compares cmp_len bytes of the name, NUL included for an
	 * exact name (ip_packet_match() / ifname_compare_aligned()). */
	if (n == 0)
		return true;
	return strncmp(name, m->u.iface.name, n) == 0 &&
	       (n > strlen(m->u.iface.name) ? name[n - 1] == '\0' : true);
}

/* An interface of the topology that matches (want) or not the match
 * (never lo for FORWARD). */
static __attribute__((unused)) int pick_if(const struct dgen *g,
					   const struct bf_match *m, bool want,
					   enum bf_hook hook)
{
	int k;

	for (k = 0; k < g->topo->n_if; k++)
		if (if_matches(m, g->topo->name[k]) == want &&
		    !(hook == BF_HOOK_FORWARD && g->topo->is_lo[k]))
			return k;
	return -1;
}

/* Finalize and store a probe (deduplicated). */
static __attribute__((unused)) void dgen_add(struct dgen *g,
					     const struct dprobe *in)
{
	struct dprobe p = *in;
	uint64_t h;
	size_t i;

	if (g->n >= g->max)
		return;
	p.spec.family = g->family;
	if (p.hook == BF_HOOK_INPUT)
		p.out_if = -1;
	if (p.hook == BF_HOOK_OUTPUT)
		p.in_if = -1;
	if (p.hook != BF_HOOK_OUTPUT && p.in_if < 0)
		p.in_if = g->other_if;
	if (p.hook != BF_HOOK_INPUT && p.out_if < 0)
		p.out_if = g->other_if;
	if (p.hook == BF_HOOK_FORWARD &&
	    (g->topo->is_lo[p.in_if] || g->topo->is_lo[p.out_if]))
		return;
	p.spec.tos = p.hook == BF_HOOK_FORWARD ? dnet_tos(p.out_if) :
		     p.has_ds		       ? p.ds :
						 0;
	if (p.hook == BF_HOOK_INPUT) {
		/* A lone fragment is never delivered locally: send whole
		 * datagrams in two fragments instead. IPv4 reassembles them
		 * before LOCAL_IN (ip_local_deliver()), IPv6 after it. */
		if (p.spec.frag == DFRAG_FIRST || p.spec.frag == DFRAG_LATER)
			p.spec.frag = DFRAG_PAIR;
		else if (p.spec.frag == DFRAG_OFF1)
			p.spec.frag = DFRAG_PAIR_SPLIT8;
		/* AH would be handed to xfrm, never to our raw socket. */
		for (i = 0; i < (size_t)p.spec.n_ext; i++)
			if (p.spec.ext[i] == IPPROTO_AH)
				return;
	}
	if (p.spec.frag != DFRAG_NONE && p.spec.short_l4)
		p.spec.short_l4 = 0;
	if (p.spec.proto != IPPROTO_TCP) {
		p.spec.tcpflags = 0;
		p.spec.tcp_doff = 0;
	}
	if (p.spec.family != BF_FAMILY_INET4)
		p.spec.ip_opts = 0;
	if (p.spec.proto != IPPROTO_TCP && p.spec.proto != IPPROTO_UDP)
		p.spec.sport = p.spec.dport = 0;
	if (p.spec.proto != IPPROTO_ICMP && p.spec.proto != IPPROTO_ICMPV6)
		p.spec.icmp_type = p.spec.icmp_code = 0;
	p.spec.ttl = p.ct == DCT_UNTRACKED ? DPKT_TTL_NOTRACK : 64;
	if (p.ct == DCT_INVALID) {
		p.spec.proto = IPPROTO_TCP;
		p.spec.tcpflags = 0x10; /* lone ACK */
		if (!p.spec.dport)
			p.spec.dport = 8080;
		if (!p.spec.sport)
			p.spec.sport = 40000;
	}

	h = fnv(&p.spec, sizeof(p.spec), 1469598103934665603ull);
	h = fnv(&p.hook, sizeof(p.hook), h);
	h = fnv(&p.in_if, sizeof(p.in_if), h);
	h = fnv(&p.out_if, sizeof(p.out_if), h);
	h = fnv(&p.ct, sizeof(p.ct), h);
	h |= 1;
	for (i = h % g->hcap;; i = (i + 1) % g->hcap) {
		if (g->hash[i] == h)
			return;
		if (!g->hash[i]) {
			g->hash[i] = h;
			break;
		}
	}
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 1024;
		struct dprobe *nv = realloc(g->v, nc * sizeof(*nv));

		if (!nv)
			return;
		g->v = nv;
		g->cap = nc;
	}
	g->v[g->n++] = p;
}

/* A payload match's value in field units (m_payload.c): the shift of
 * its mask's lowest bit and the largest value; *contig false when the
 * mask is not one run of bits. */
static __attribute__((unused)) void pl_units(const struct bf_match *m,
					     unsigned int *sh, uint32_t *fmax,
					     bool *contig)
{
	uint32_t mk = m->u.payload.mask;
	unsigned int bits = m->u.payload.len * 8u;

	if (bits < 32)
		mk &= (1u << bits) - 1;
	*sh = mk ? (unsigned int)__builtin_ctz(mk) : 0;
	*fmax = mk >> *sh;
	*contig = mk && !(*fmax & (*fmax + 1));
}

/* Add (or replace, for the same bytes) a poke of payload match m with
 * value v (in place, under the mask) to p. */
static __attribute__((unused)) void
pl_poke(struct dprobe *p, const struct bf_match *m, uint32_t v)
{
	struct dpkt_spec *s = &p->spec;
	int i;

	for (i = 0; i < s->n_pokes; i++)
		if (s->pokes[i].base == m->u.payload.base &&
		    s->pokes[i].off == m->u.payload.off &&
		    s->pokes[i].len == m->u.payload.len &&
		    s->pokes[i].mask == m->u.payload.mask)
			break;
	if (i == 4)
		return;
	if (i == s->n_pokes)
		s->n_pokes++;
	s->pokes[i].base = m->u.payload.base;
	s->pokes[i].off = m->u.payload.off;
	s->pokes[i].len = m->u.payload.len;
	s->pokes[i].mask = m->u.payload.mask;
	s->pokes[i].val = v;
	/* the bytes that tell flows apart (ports, ICMP id) */
	if (m->u.payload.base == BF_PAYLOAD_TH) {
		unsigned int a = m->u.payload.off, b = a + m->u.payload.len;

		if (a < 2 || (s->proto != IPPROTO_TCP &&
			      s->proto != IPPROTO_UDP && a < 6 && b > 4))
			p->sport_free = false;
		if (a < 4 && b > 2)
			p->pinned |= PIN_DPORT;
	}
}

/* u32 test t of m (word index *k, moved past it): when its location has
 * no '@', the 4 bytes at its position that give val (masked by *care)
 * after the location's operators: false when no such bytes exist. */
static __attribute__((unused)) bool u32_solve(const struct bf_match *m,
					      unsigned int t, uint32_t val,
					      uint32_t *pos, uint32_t *x,
					      uint32_t *care, bool *th)
{
	const typeof(m->u.u32) *u = &m->u.u32;
	unsigned int k = 0, n, first = 1;

	for (unsigned int i = 0; i < t; i++)
		k += u->nnums[i] + 2u * u->nvals[i];
	n = u->nnums[t];
	*pos = u->w[k];
	*x = val;
	*care = UINT32_MAX;
	*th = false;
	/* "0>>22&0x3C@N...": N bytes into the IPv4 transport header */
	if (n >= 4 && u->w[k] == 0 && u->ops[k + 1] == BF_U32_RIGHTSH &&
	    u->w[k + 1] == 22 && u->ops[k + 2] == BF_U32_AND &&
	    u->w[k + 2] == 0x3c && u->ops[k + 3] == BF_U32_AT) {
		*pos = u->w[k + 3];
		*th = true;
		first = 4;
	}
	for (unsigned int i = n - 1; i >= first; i--) {
		uint32_t a = u->w[k + i], sh = a & 31;

		switch (u->ops[k + i]) {
		case BF_U32_AND:
			if (*x & ~a)
				return false;
			*care &= a;
			break;
		case BF_U32_RIGHTSH:
			if (sh && (*x >> (32 - sh)))
				return false;
			*x <<= sh;
			*care <<= sh;
			break;
		case BF_U32_LEFTSH:
			if (*x & ((1u << sh) - 1))
				return false;
			*x >>= sh;
			*care >>= sh;
			break;
		default:
			return false; /* '@' */
		}
	}
	*x &= *care;
	return true;
}

/* A poke of the 4 bytes at pos (of the network or transport header). */
static __attribute__((unused)) void u32_poke(struct dprobe *p, uint32_t pos,
					     uint32_t x, uint32_t care, bool th)
{
	struct bf_match pm = { .type = BF_MATCH_PAYLOAD };

	if (pos > 0xfff0)
		return;
	pm.u.payload.base = th ? BF_PAYLOAD_TH : BF_PAYLOAD_NH;
	pm.u.payload.off = (uint16_t)pos;
	pm.u.payload.len = 4;
	pm.u.payload.mask = care;
	pl_poke(p, &pm, x);
}

/* Set the field of a match to a value inside (want) or outside it.
 * Returns false when no such value exists. */
/* -m hbh / -m dst probes (pkt.h xopt): the options a rule lists, in order
 * (Pad1 for type 0, else type, length and that many zero bytes; a length
 * "any" is 2), then Pad1 up to the end of the header. `bump` >= 0 changes
 * option `bump` (its type, or its length when the rule gives one). False
 * when they do not fit in 22 bytes. */
static __attribute__((unused)) bool
xopt_fill(struct dpkt_spec *s, const struct bf_match *m, int bump)
{
	const typeof(m->u.opts6) *o = &m->u.opts6;
	int k = o->dst ? 1 : 0;
	size_t n = 0;

	memset(s->xopt[k], 0, sizeof(s->xopt[k]));
	for (unsigned int i = 0; i < o->optsnr && i < BF_OPTS6_MAX; i++) {
		uint8_t type = (uint8_t)(o->opts[i] >> 8);
		uint8_t len = (uint8_t)o->opts[i];

		if (len == 0xff)
			len = 2;
		if ((int)i == bump) {
			if ((uint8_t)o->opts[i] != 0xff && type)
				len = (uint8_t)(len + 1);
			else
				type = (uint8_t)(type ? type + 1 : 1);
		}
		if (!type) {
			if (n + 1 > sizeof(s->xopt[k]))
				return false;
			s->xopt[k][n++] = 0;
			continue;
		}
		if (n + 2 + len > sizeof(s->xopt[k]))
			return false;
		s->xopt[k][n] = type;
		s->xopt[k][n + 1] = len;
		n += 2u + len;
	}
	s->xopt_on[k] = true;
	s->xopt_hl[k] = (uint8_t)((n + 2 + 7) / 8 - 1);
	if (!n)
		s->xopt_hl[k] = 0;
	return true;
}

/* Put the header an extension header match looks for first in the
 * chain (replacing the others). */
static __attribute__((unused)) void ext_only(struct dpkt_spec *s, uint8_t t)
{
	s->ext[0] = t;
	s->n_ext = 1;
	s->bad_ext = false;
}

/* A value in (want) or out of [lo, hi] ^ inv; false if there is none. */
static __attribute__((unused)) bool range_pick(uint32_t lo, uint32_t hi,
					       bool inv, bool want, uint32_t *v)
{
	bool in = want != inv;

	if (in) {
		*v = lo;
		return lo <= hi;
	}
	if (lo > hi || lo > 0) {
		*v = lo > hi ? 0 : lo - 1;
		return true;
	}
	if (hi < UINT32_MAX) {
		*v = hi + 1;
		return true;
	}
	return false;
}

static __attribute__((unused)) bool satisfy(struct dgen *g, struct dprobe *p,
					    const struct bf_match *m, bool want)
{
	struct dpkt_spec *s = &p->spec;
	int al = alen(g->family);
	uint8_t a[16], last[16];
	int i, k;

	switch (m->type) {
	case BF_MATCH_L4PROTO:
		if (m->u.proto == 0)
			return want;
		if (want)
			s->proto = m->u.proto;
		else
			s->proto = m->u.proto == IPPROTO_TCP ? IPPROTO_UDP :
							       IPPROTO_TCP;
		return true;
	case BF_MATCH_SADDR:
	case BF_MATCH_DADDR: {
		uint8_t *f = m->type == BF_MATCH_SADDR ? s->saddr : s->daddr;
		bool in = true;

		p->pinned |= m->type == BF_MATCH_SADDR ? PIN_SADDR : PIN_DADDR;

		for (i = 0; i < al; i++)
			if ((f[i] & m->u.addr.mask[i]) != m->u.addr.addr[i])
				in = false;
		if (in == want)
			return true;
		memcpy(a, m->u.addr.addr, 16);
		for (i = 0; i < al; i++)
			last[i] = a[i] | (uint8_t)~m->u.addr.mask[i];
		if (want) {
			/* first address, or the one after it */
			if (prefix_len(m->u.addr.mask, al) < al * 8)
				addr_step(a, al, 1);
			memcpy(f, a, (size_t)al);
			return true;
		}
		if (addr_step(last, al, 1)) {
			memcpy(f, last, (size_t)al);
			return true;
		}
		if (addr_step(a, al, -1)) {
			memcpy(f, a, (size_t)al);
			return true;
		}
		return false;
	}
	case BF_MATCH_IIFNAME:
		/* no input device in OUTPUT: the name is "", which only
		 * "+" matches */
		if (p->hook == BF_HOOK_OUTPUT)
			return (m->u.iface.cmp_len == 0) == want;
		k = pick_if(g, m, want, p->hook);
		if (k < 0)
			return false;
		p->in_if = k;
		return true;
	case BF_MATCH_OIFNAME:
		if (p->hook == BF_HOOK_INPUT)
			return (m->u.iface.cmp_len == 0) == want;
		k = pick_if(g, m, want, p->hook);
		if (k < 0)
			return false;
		p->out_if = k;
		return true;
	case BF_MATCH_FRAG:
		s->frag = want ? DFRAG_LATER : DFRAG_NONE;
		return true;
	case BF_MATCH_L4HDR:
		if (!want)
			return false;
		s->proto = m->u.l4hdr.proto;
		return true;
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT: {
		uint16_t *f = m->type == BF_MATCH_SPORT ? &s->sport : &s->dport;

		if (m->type == BF_MATCH_SPORT)
			p->sport_free = false;
		else
			p->pinned |= PIN_DPORT;
		if ((*f >= m->u.ports.lo && *f <= m->u.ports.hi) == want)
			return true;
		if (want)
			*f = m->u.ports.lo;
		else if (m->u.ports.hi < 65535)
			*f = (uint16_t)(m->u.ports.hi + 1);
		else if (m->u.ports.lo > 0)
			*f = (uint16_t)(m->u.ports.lo - 1);
		else
			return false;
		return true;
	}
	case BF_MATCH_TCPFLAGS:
		p->pinned |= PIN_FLAGS;
		s->tcpflags = (uint8_t)((s->tcpflags & ~m->u.tcpflags.mask) |
					m->u.tcpflags.cmp);
		if (!want) {
			if (!m->u.tcpflags.mask)
				return false;
			s->tcpflags ^= (uint8_t)(m->u.tcpflags.mask &
						 -m->u.tcpflags.mask);
		}
		return true;
	case BF_MATCH_ICMP:
		p->pinned |= PIN_ICMP;
		if (m->u.icmp.type == 0xff && m->u.icmp.code_lo == 0 &&
		    m->u.icmp.code_hi == 0xff)
			return want;
		s->icmp_type = m->u.icmp.type;
		s->icmp_code = m->u.icmp.code_lo;
		if (!want)
			s->icmp_type = (uint8_t)(m->u.icmp.type + 1);
		return true;
	case BF_MATCH_MULTIPORT: {
		uint16_t v = m->u.multiport.ports[0];

		if (!want) {
			/* a port in no entry */
			uint16_t c;
			bool hit;
			int t;

			for (t = 0, c = 1; t < 64;
			     t++, c = (uint16_t)(c * 7 + 13)) {
				hit = false;
				for (i = 0; i < m->u.multiport.count; i++) {
					if (m->u.multiport.is_range[i] &&
					    i + 1 < m->u.multiport.count) {
						if (c >= m->u.multiport
								    .ports[i] &&
						    c <= m->u.multiport.ports[i +
									      1])
							hit = true;
						i++;
					} else if (c ==
						   m->u.multiport.ports[i]) {
						hit = true;
					}
				}
				if (!hit)
					break;
			}
			v = c;
		}
		if (m->u.multiport.dir != BF_MULTIPORT_DST) {
			s->sport = v;
			p->sport_free = false;
		}
		if (m->u.multiport.dir != BF_MULTIPORT_SRC) {
			s->dport = v;
			p->pinned |= PIN_DPORT;
		}
		if (!want && m->u.multiport.dir == BF_MULTIPORT_EITHER)
			s->sport = v;
		return true;
	}
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE: {
		uint8_t *f = m->type == BF_MATCH_SRANGE ? s->saddr : s->daddr;

		p->pinned |= m->type == BF_MATCH_SRANGE ? PIN_SADDR : PIN_DADDR;
		bool in = addr_cmp(f, m->u.range.lo, al) >= 0 &&
			  addr_cmp(f, m->u.range.hi, al) <= 0;

		if (in == want)
			return true;
		if (want) {
			memcpy(f, m->u.range.lo, (size_t)al);
			return true;
		}
		memcpy(a, m->u.range.hi, 16);
		if (addr_step(a, al, 1)) {
			memcpy(f, a, (size_t)al);
			return true;
		}
		memcpy(a, m->u.range.lo, 16);
		if (addr_step(a, al, -1)) {
			memcpy(f, a, (size_t)al);
			return true;
		}
		return false;
	}
	case BF_MATCH_CTSTATE: {
		static const struct {
			uint32_t bit;
			enum dct ct;
		} st[] = { { BF_CTSTATE_NEW, DCT_NEW },
			   { BF_CTSTATE_ESTABLISHED, DCT_ESTABLISHED },
			   { BF_CTSTATE_INVALID, DCT_INVALID },
			   { BF_CTSTATE_RELATED, DCT_RELATED },
			   { BF_CTSTATE_UNTRACKED, DCT_UNTRACKED } };

		for (i = 0; i < (int)ARRAY_SIZE(st); i++) {
			if (!!(m->u.ctstate.mask & st[i].bit) == want) {
				p->ct = st[i].ct;
				return true;
			}
		}
		return false;
	}
	case BF_MATCH_DSFIELD: {
		uint8_t mask = m->u.dsfield.mask, val = m->u.dsfield.value;
		bool hit = (val & ~mask) == 0;

		if (!want) {
			/* a DS field outside: another value under the mask */
			if (!mask && hit)
				return false;
			p->ds = hit ? (uint8_t)(val ^ (mask & -mask)) : 0;
		} else {
			if (!hit)
				return false;
			p->ds = val;
		}
		p->has_ds = true;
		return true;
	}
	case BF_MATCH_ESP: {
		/* the probe's SPI (pkt.h) */
		uint32_t v = m->u.spi.lo;

		if (want) {
			if (m->u.spi.lo > m->u.spi.hi)
				return false;
		} else if (m->u.spi.lo > m->u.spi.hi) {
			v = 0; /* nothing is inside */
		} else if (m->u.spi.lo > 0) {
			v = m->u.spi.lo - 1;
		} else if (m->u.spi.hi < UINT32_MAX) {
			v = m->u.spi.hi + 1;
		} else {
			return false;
		}
		s->esp_spi_on = true;
		s->esp_spi = v;
		return true;
	}
	case BF_MATCH_ECN: {
		/* every option holds; !want: the first one fails */
		uint8_t op = m->u.ecn.operation, inv = m->u.ecn.invert;
		bool flip = !want;

		if (op & BF_ECN_IP) {
			uint8_t e = (uint8_t)(m->u.ecn.ip_ect ^
					      (!!(inv & BF_ECN_IP) ^ flip));

			flip = false;
			p->ds = (uint8_t)((p->has_ds ? p->ds : 0) & ~3u) | e;
			p->has_ds = true;
		}
		for (i = 0; i < 2; i++) {
			uint8_t bit = i ? BF_ECN_CWR : BF_ECN_ECE;
			uint8_t tcp = i ? 0x80 : 0x40;

			if (!(op & bit))
				continue;
			p->pinned |= PIN_FLAGS;
			if (!!(inv & bit) ^ flip)
				s->tcpflags &= (uint8_t)~tcp;
			else
				s->tcpflags |= tcp;
			flip = false;
		}
		return true;
	}
	case BF_MATCH_PAYLOAD: {
		/* lo inside; outside: past hi, or before lo */
		unsigned int sh;
		uint32_t fmax, lo = m->u.payload.lo, hi = m->u.payload.hi;
		bool contig, in = want != m->neg;

		pl_units(m, &sh, &fmax, &contig);
		if (!contig || lo > hi)
			return !in;
		lo >>= sh;
		hi >>= sh;
		if (in)
			pl_poke(p, m, lo << sh);
		else if (hi < fmax)
			pl_poke(p, m, (hi + 1) << sh);
		else if (lo > 0)
			pl_poke(p, m, (lo - 1) << sh);
		else
			return false;
		return true;
	}
	case BF_MATCH_U32: {
		/* every test's first range (want), or the first test's
		 * value just past its ranges */
		const typeof(m->u.u32) *u = &m->u.u32;
		uint32_t pos, x, care;
		unsigned int k = 0;
		bool th;

		if (want != u->invert) {
			for (unsigned int t = 0; t < u->ntests; t++) {
				k += u->nnums[t];
				if (u32_solve(m, t, u->w[k], &pos, &x, &care,
					      &th))
					u32_poke(p, pos, x, care, th);
				k += 2u * u->nvals[t];
			}
			return true;
		}
		k = u->nnums[0];
		if (u->w[k + 1] != UINT32_MAX &&
		    u32_solve(m, 0, u->w[k + 1] + 1, &pos, &x, &care, &th))
			u32_poke(p, pos, x, care, th);
		else if (u->w[k] &&
			 u32_solve(m, 0, u->w[k] - 1, &pos, &x, &care, &th))
			u32_poke(p, pos, x, care, th);
		return true;
	}
	case BF_MATCH_FRAG6: {
		const typeof(m->u.frag6) *f = &m->u.frag6;
		uint32_t v;

		if (g->family != BF_FAMILY_INET6)
			return !want;
		if (!want) {
			s->frag = DFRAG_NONE;
			return true;
		}
		if (!range_pick(f->ids[0], f->ids[1],
				f->invflags & BF_FRAG6_INV_IDS, true, &v))
			return false;
		s->frag_id_on = true;
		s->frag_id = v;
		if (f->flags & BF_FRAG6_NMF)
			s->frag = f->flags & BF_FRAG6_FST ? DFRAG_ATOMIC :
							    DFRAG_LATER;
		else
			s->frag = DFRAG_FIRST;
		return true;
	}
	case BF_MATCH_OPTS6: {
		const typeof(m->u.opts6) *o = &m->u.opts6;

		if (g->family != BF_FAMILY_INET6)
			return !want;
		if (!want) {
			s->n_ext = 0;
			return true;
		}
		ext_only(s, o->dst ? IPPROTO_DSTOPTS : IPPROTO_HOPOPTS);
		if ((o->flags & BF_OPTS6_OPTS) && !xopt_fill(s, m, -1))
			return false;
		if ((o->flags & BF_OPTS6_LEN) &&
		    !(o->invflags & BF_OPTS6_INV_LEN) &&
		    !(o->flags & BF_OPTS6_OPTS) && o->hdrlen % 8 == 0 &&
		    o->hdrlen >= 8 && o->hdrlen <= 24) {
			int k = o->dst ? 1 : 0;

			s->xopt_on[k] = true;
			s->xopt_hl[k] = (uint8_t)(o->hdrlen / 8 - 1);
			memset(s->xopt[k], 0, sizeof(s->xopt[k]));
		}
		return true;
	}
	case BF_MATCH_AH: {
		const typeof(m->u.ah) *a = &m->u.ah;
		uint32_t v;

		if (!range_pick(a->spis[0], a->spis[1],
				a->invflags & BF_AH_INV_SPI, want, &v)) {
			if (want || g->family == BF_FAMILY_INET4)
				return false;
			s->n_ext = 0;
			return true;
		}
		s->ah_spi_on = true;
		s->ah_spi = v;
		if (g->family == BF_FAMILY_INET6) {
			if (!want) {
				s->n_ext = 0;
				return true;
			}
			ext_only(s, IPPROTO_AH);
			if (a->hdrlen && !(a->invflags & BF_AH_INV_LEN) &&
			    a->hdrlen % 4 == 0 && a->hdrlen >= 12 &&
			    a->hdrlen <= 32)
				s->ah_hl = (uint8_t)(a->hdrlen / 4 - 2);
		}
		return true;
	}
	case BF_MATCH_MH: {
		uint32_t v;

		if (!range_pick(m->u.mh.types[0], m->u.mh.types[1],
				m->u.mh.invert, want, &v) ||
		    v > 255)
			return false;
		s->mh_type = (uint8_t)v;
		return true;
	}
	case BF_MATCH_COMMENT:
	default:
		return want;
	}
}

/* Emit the variants of one match: values just inside and just outside. */
static __attribute__((unused)) void vary(struct dgen *g,
					 const struct dprobe *base,
					 const struct bf_match *m,
					 const char *why)
{
	int al = alen(g->family), i, k;
	struct dprobe p;

#define EMIT(label)                                                            \
	do {                                                                   \
		/* a long description may be cut: it is only printed */        \
		if (snprintf(p.why, sizeof(p.why), "%s %s", why, label) < 0)   \
			p.why[0] = '\0';                                       \
		dgen_add(g, &p);                                               \
	} while (0)

	switch (m->type) {
	case BF_MATCH_L4PROTO: {
		static const uint8_t others[] = { IPPROTO_TCP, IPPROTO_UDP,
						  IPPROTO_ICMP, IPPROTO_ICMPV6,
						  IPPROTO_ESP };

		for (i = 0; i < (int)ARRAY_SIZE(others); i++) {
			p = *base;
			if (others[i] == (g->family == BF_FAMILY_INET4 ?
						  IPPROTO_ICMPV6 :
						  IPPROTO_ICMP))
				continue;
			p.spec.proto = others[i];
			EMIT("proto");
		}
		if (m->u.proto && m->u.proto != IPPROTO_TCP &&
		    m->u.proto != IPPROTO_UDP) {
			p = *base;
			p.spec.proto = m->u.proto;
			EMIT("proto=");
		}
		break;
	}
	case BF_MATCH_SADDR:
	case BF_MATCH_DADDR: {
		uint8_t first[16], last[16], x[16];
		bool src = m->type == BF_MATCH_SADDR;
		int plen = prefix_len(m->u.addr.mask, al);

		memcpy(first, m->u.addr.addr, 16);
		for (i = 0; i < al; i++)
			last[i] = first[i] | (uint8_t)~m->u.addr.mask[i];
		pool_addr(g, first);
		pool_addr(g, last);
		if (plen < (al == 4 ? 8 : 16))
			break; /* edges of a huge prefix are special addresses */
		for (k = 0; k < 4; k++) {
			p = *base;
			memcpy(x, k < 2 ? first : last, 16);
			if (k == 1 && !addr_step(x, al, -1))
				continue;
			if (k == 3 && !addr_step(x, al, 1))
				continue;
			memcpy(src ? p.spec.saddr : p.spec.daddr, x,
			       (size_t)al);
			pool_addr(g, x);
			EMIT(k == 0 ? "addr first" :
			     k == 1 ? "addr first-1" :
			     k == 2 ? "addr last" :
				      "addr last+1");
		}
		break;
	}
	case BF_MATCH_IIFNAME:
	case BF_MATCH_OIFNAME:
		for (k = 0; k < g->topo->n_if; k++) {
			p = *base;
			if (m->type == BF_MATCH_IIFNAME)
				p.in_if = k;
			else
				p.out_if = k;
			EMIT(g->topo->name[k]);
		}
		break;
	case BF_MATCH_FRAG:
	case BF_MATCH_L4HDR: {
		static const enum dpkt_frag fr[] = { DFRAG_NONE, DFRAG_FIRST,
						     DFRAG_LATER, DFRAG_OFF1 };

		if (!g->frags)
			break;
		for (i = 0; i < (int)ARRAY_SIZE(fr); i++) {
			p = *base;
			p.spec.frag = fr[i];
			EMIT("frag");
		}
		if (m->type == BF_MATCH_L4HDR) {
			/* the transport header moved by IPv4 options; TCP
			 * options; a TCP data offset below 5 (hotdrop) */
			static const uint8_t opts[] = { 4, 40 };
			static const uint8_t doffs[] = { 4, 8, 15 };

			for (i = 0; g->family == BF_FAMILY_INET4 &&
				    i < (int)ARRAY_SIZE(opts);
			     i++) {
				p = *base;
				p.spec.ip_opts = opts[i];
				EMIT("ip options");
			}
			for (i = 0; base->spec.proto == IPPROTO_TCP &&
				    i < (int)ARRAY_SIZE(doffs);
			     i++) {
				p = *base;
				p.spec.tcp_doff = doffs[i];
				EMIT("tcp data offset");
			}
			p = *base;
			p.spec.short_l4 =
				(uint8_t)((l4_hdrlen(p.spec.proto) / 2) & ~1u);
			if (p.spec.short_l4)
				EMIT("truncated");
		}
		break;
	}
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT: {
		int v[4] = { m->u.ports.lo - 1, m->u.ports.lo, m->u.ports.hi,
			     m->u.ports.hi + 1 };

		for (k = 0; k < 4; k++) {
			if (v[k] < 0 || v[k] > 65535)
				continue;
			p = *base;
			if (m->type == BF_MATCH_SPORT)
				p.spec.sport = (uint16_t)v[k];
			else
				p.spec.dport = (uint16_t)v[k];
			pool_port(g, (uint16_t)v[k]);
			EMIT("port edge");
		}
		break;
	}
	case BF_MATCH_TCPFLAGS:
		p = *base;
		p.spec.tcpflags = m->u.tcpflags.cmp;
		EMIT("flags exact");
		for (i = 0; i < 8; i++) {
			if (!(m->u.tcpflags.mask & (1u << i)))
				continue;
			p = *base;
			p.spec.tcpflags =
				(uint8_t)(m->u.tcpflags.cmp ^ (1u << i));
			EMIT("flags flip");
		}
		break;
	case BF_MATCH_ICMP: {
		int t = m->u.icmp.type;
		int v[6][2] = { { t, m->u.icmp.code_lo },
				{ t, m->u.icmp.code_hi },
				{ t, m->u.icmp.code_lo - 1 },
				{ t, m->u.icmp.code_hi + 1 },
				{ t + 1, 0 },
				{ t - 1, 0 } };

		if (t == 0xff)
			break;
		for (k = 0; k < 6; k++) {
			if (v[k][0] < 0 || v[k][0] > 255 || v[k][1] < 0 ||
			    v[k][1] > 255)
				continue;
			p = *base;
			p.spec.icmp_type = (uint8_t)v[k][0];
			p.spec.icmp_code = (uint8_t)v[k][1];
			EMIT("icmp type/code");
		}
		break;
	}
	case BF_MATCH_MULTIPORT:
		for (i = 0; i < m->u.multiport.count; i++) {
			int pv = m->u.multiport.ports[i];
			int d;

			for (d = -1; d <= 1; d++) {
				int x = pv + d;

				if (x < 0 || x > 65535)
					continue;
				p = *base;
				if (m->u.multiport.dir != BF_MULTIPORT_DST)
					p.spec.sport = (uint16_t)x;
				if (m->u.multiport.dir != BF_MULTIPORT_SRC)
					p.spec.dport = (uint16_t)x;
				pool_port(g, (uint16_t)x);
				EMIT("multiport");
				if (m->u.multiport.dir == BF_MULTIPORT_EITHER) {
					/* only one side on the port */
					p = *base;
					p.spec.sport = (uint16_t)x;
					EMIT("multiport sport only");
				}
			}
		}
		break;
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE: {
		uint8_t x[16];

		for (k = 0; k < 4; k++) {
			memcpy(x, k < 2 ? m->u.range.lo : m->u.range.hi, 16);
			if (k == 0 && !addr_step(x, al, -1))
				continue;
			if (k == 3 && !addr_step(x, al, 1))
				continue;
			p = *base;
			memcpy(m->type == BF_MATCH_SRANGE ? p.spec.saddr :
							    p.spec.daddr,
			       x, (size_t)al);
			pool_addr(g, x);
			EMIT("range edge");
		}
		break;
	}
	case BF_MATCH_ADDRTYPE: {
		/* addresses of each type: limited broadcast, all-hosts
		 * multicast, 0.0.0.0, a unicast one; IPv6 all-nodes, ::,
		 * ::ffff:192.0.2.1 (mapped), ::1 and a global one */
		static const uint8_t a4[][4] = { { 255, 255, 255, 255 },
						 { 224, 0, 0, 1 },
						 { 0, 0, 0, 0 },
						 { 203, 0, 113, 9 } };
		static const uint8_t a6[][16] = {
			{ 0xff, 2, [15] = 1 },
			{ 0 },
			{ [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 },
			{ [15] = 1 },
			{ 0x20, 0x01, 0x0d, 0xb8, [15] = 9 },
		};
		size_t n = g->family == BF_FAMILY_INET6 ? ARRAY_SIZE(a6) :
							  ARRAY_SIZE(a4);

		for (i = 0; i < (int)n; i++) {
			const uint8_t *a =
				g->family == BF_FAMILY_INET6 ? a6[i] : a4[i];

			p = *base;
			memcpy(p.spec.daddr, a, (size_t)al);
			EMIT("addrtype dst");
			p = *base;
			memcpy(p.spec.saddr, a, (size_t)al);
			EMIT("addrtype src");
		}
		break;
	}
	case BF_MATCH_TCPMSS: {
		/* MSS values at and around the range ends, the option after
		 * NOPs, and no MSS option at all */
		uint32_t v[] = { m->u.length.min, m->u.length.max,
				 m->u.length.min - 1u, m->u.length.max + 1u };
		static const uint8_t doffs[] = { 6, 8 };

		for (k = 0; k < 2; k++) {
			for (i = 0; i < (int)ARRAY_SIZE(v); i++) {
				p = *base;
				p.spec.tcp_doff = doffs[k];
				p.spec.tcp_mss_on = true;
				p.spec.tcp_mss = (uint16_t)v[i];
				EMIT("tcpmss");
			}
			p = *base;
			p.spec.tcp_doff = doffs[k];
			EMIT("tcpmss none");
		}
		/* a later fragment: tcpmss_mt() reads at the transport
		 * offset ip{,6}t_do_table() left */
		p = *base;
		p.spec.frag = DFRAG_LATER;
		EMIT("tcpmss frag");
		break;
	}
	case BF_MATCH_RT: {
		/* a routing header of each type asked for and another one,
		 * segments left at the range ends, a reserved word set */
		static const uint8_t types[] = { 0, 2, 4 };
		uint8_t sl[] = { 0, 1, (uint8_t)m->u.rt.segsleft[0],
				 (uint8_t)m->u.rt.segsleft[1],
				 (uint8_t)(m->u.rt.segsleft[1] + 1) };

		if (g->family != BF_FAMILY_INET6)
			break;
		for (k = 0; k < (int)ARRAY_SIZE(types); k++) {
			for (i = 0; i < (int)ARRAY_SIZE(sl); i++) {
				p = *base;
				p.spec.ext[0] = IPPROTO_ROUTING;
				p.spec.n_ext = 1;
				p.spec.rt_type = types[k];
				p.spec.rt_segsleft = sl[i];
				p.spec.rt_res = i == 1 ? 0x01020304u : 0;
				EMIT("rt");
			}
		}
		break;
	}
	case BF_MATCH_FRAG6: {
		/* each kind of fragment with identifications at and around
		 * the range's ends, reserved bits set, behind other headers */
		static const enum dpkt_frag fr[] = { DFRAG_FIRST, DFRAG_LATER,
						     DFRAG_OFF1, DFRAG_ATOMIC };
		const typeof(m->u.frag6) *f = &m->u.frag6;
		uint64_t ids[4] = { (uint64_t)f->ids[0] - 1, f->ids[0],
				    f->ids[1], (uint64_t)f->ids[1] + 1 };

		if (g->family != BF_FAMILY_INET6)
			break;
		for (k = 0; k < (int)ARRAY_SIZE(fr); k++) {
			for (i = 0; i < 4; i++) {
				if (ids[i] > UINT32_MAX)
					continue;
				p = *base;
				p.spec.frag = fr[k];
				p.spec.frag_id_on = true;
				p.spec.frag_id = (uint32_t)ids[i];
				EMIT("frag id");
			}
			p = *base;
			p.spec.frag = fr[k];
			p.spec.frag_resv = 1;
			EMIT("frag reserved");
			p = *base;
			p.spec.frag = fr[k];
			p.spec.frag_rbits = 2;
			EMIT("frag res bits");
			p = *base;
			p.spec.frag = fr[k];
			ext_only(&p.spec, IPPROTO_HOPOPTS);
			EMIT("frag after hbh");
		}
		p = *base;
		p.spec.frag = DFRAG_NONE;
		EMIT("no frag");
		break;
	}
	case BF_MATCH_OPTS6: {
		/* the header with the rule's options, each option changed,
		 * the default options, lengths 8 to 24, the other header
		 * kind, both, a fragment, an overrunning header */
		const typeof(m->u.opts6) *o = &m->u.opts6;
		uint8_t t = o->dst ? IPPROTO_DSTOPTS : IPPROTO_HOPOPTS;
		int kk = o->dst ? 1 : 0;

		if (g->family != BF_FAMILY_INET6)
			break;
		for (i = -1; i < (int)o->optsnr && i < BF_OPTS6_MAX; i++) {
			p = *base;
			ext_only(&p.spec, t);
			if (xopt_fill(&p.spec, m, i))
				EMIT(i < 0 ? "opts" : "opts changed");
		}
		for (i = 0; i < 3; i++) {
			p = *base;
			ext_only(&p.spec, t);
			p.spec.xopt_on[kk] = true;
			p.spec.xopt_hl[kk] = (uint8_t)i;
			p.spec.xopt[kk][0] = 1; /* PadN to the end */
			p.spec.xopt[kk][1] = (uint8_t)(8 * i + 4);
			EMIT("opts len");
		}
		p = *base;
		ext_only(&p.spec, t);
		EMIT("opts default");
		p = *base;
		ext_only(&p.spec, o->dst ? IPPROTO_HOPOPTS : IPPROTO_DSTOPTS);
		EMIT("opts other");
		p = *base;
		p.spec.ext[0] = IPPROTO_HOPOPTS;
		p.spec.ext[1] = IPPROTO_DSTOPTS;
		p.spec.ext[2] = IPPROTO_ROUTING;
		p.spec.ext[3] = IPPROTO_DSTOPTS;
		p.spec.n_ext = 4;
		if (xopt_fill(&p.spec, m, -1))
			EMIT("opts chain");
		p = *base;
		ext_only(&p.spec, t);
		p.spec.frag = DFRAG_LATER;
		EMIT("opts frag");
		p = *base;
		ext_only(&p.spec, t);
		p.spec.bad_ext = true;
		EMIT("opts overrun");
		p = *base;
		p.spec.ext[0] = IPPROTO_ROUTING;
		p.spec.ext[1] = t;
		p.spec.n_ext = 2;
		p.spec.bad_ext = true;
		EMIT("opts after overrun");
		break;
	}
	case BF_MATCH_MH: {
		/* types at and around the range's ends, a payload proto
		 * other than NONE and a header cut short (hotdrop), a later
		 * fragment (no match) */
		int t[4] = { m->u.mh.types[0] - 1, m->u.mh.types[0],
			     m->u.mh.types[1], m->u.mh.types[1] + 1 };

		for (k = 0; k < 4; k++) {
			if (t[k] < 0 || t[k] > 255)
				continue;
			p = *base;
			p.spec.mh_type = (uint8_t)t[k];
			EMIT("mh type");
		}
		p = *base;
		p.spec.mh_bad_proto = true;
		EMIT("mh proto");
		p = *base;
		p.spec.short_l4 = 4;
		EMIT("mh truncated");
		p = *base;
		p.spec.frag = DFRAG_LATER;
		EMIT("mh frag");
		break;
	}
	case BF_MATCH_AH: {
		/* the SPI range's ends and their neighbours, other lengths,
		 * the reserved field set, AH behind other headers; IPv4: a
		 * header cut short, a later fragment */
		const typeof(m->u.ah) *a = &m->u.ah;
		uint64_t v[4] = { (uint64_t)a->spis[0] - 1, a->spis[0],
				  a->spis[1], (uint64_t)a->spis[1] + 1 };
		bool v6 = g->family == BF_FAMILY_INET6;

		for (k = 0; k < 4; k++) {
			if (v[k] > UINT32_MAX)
				continue;
			p = *base;
			if (v6)
				ext_only(&p.spec, IPPROTO_AH);
			p.spec.ah_spi_on = true;
			p.spec.ah_spi = (uint32_t)v[k];
			EMIT("ah spi");
		}
		if (!v6) {
			p = *base;
			p.spec.short_l4 = 8;
			EMIT("ah truncated");
			p = *base;
			p.spec.frag = DFRAG_LATER;
			EMIT("ah frag");
			break;
		}
		for (k = 1; k <= 4; k++) {
			p = *base;
			ext_only(&p.spec, IPPROTO_AH);
			p.spec.ah_hl = (uint8_t)k;
			EMIT("ah len");
		}
		p = *base;
		ext_only(&p.spec, IPPROTO_AH);
		p.spec.ah_res = 0x100;
		EMIT("ah reserved");
		p = *base;
		p.spec.ext[0] = IPPROTO_HOPOPTS;
		p.spec.ext[1] = IPPROTO_AH;
		p.spec.ext[2] = IPPROTO_DSTOPTS;
		p.spec.n_ext = 3;
		EMIT("ah chain");
		p = *base;
		p.spec.n_ext = 0;
		EMIT("no ah");
		break;
	}
	case BF_MATCH_DSFIELD: {
		/* the value, one bit of the mask flipped, the bits outside
		 * the mask set, zero */
		uint8_t mask = m->u.dsfield.mask, val = m->u.dsfield.value;
		const uint8_t ds[] = { val, (uint8_t)(val ^ (mask & -mask)),
				       (uint8_t)(val | ~mask), 0 };

		for (k = 0; k < (int)ARRAY_SIZE(ds); k++) {
			p = *base;
			p.has_ds = true;
			p.ds = ds[k];
			EMIT("dsfield");
		}
		break;
	}
	case BF_MATCH_ESP: {
		/* the SPI range's ends and their neighbours, a header cut
		 * short (hotdrop), a later fragment (no match) */
		uint64_t v[4] = { (uint64_t)m->u.spi.lo - 1, m->u.spi.lo,
				  m->u.spi.hi, (uint64_t)m->u.spi.hi + 1 };

		for (k = 0; k < 4; k++) {
			if (v[k] > UINT32_MAX)
				continue;
			p = *base;
			p.spec.esp_spi_on = true;
			p.spec.esp_spi = (uint32_t)v[k];
			EMIT("esp spi");
		}
		p = *base;
		p.spec.short_l4 = 4;
		EMIT("esp truncated");
		p = *base;
		p.spec.frag = DFRAG_LATER;
		EMIT("esp frag");
		break;
	}
	case BF_MATCH_ECN:
		/* each ECN codepoint, each ECE / CWR combination, a header
		 * cut short (match_tcp() is false) and a later fragment
		 * (match_tcp() reads there anyway, see cgen/m_ecn.h) */
		for (k = 0; k < 4; k++) {
			p = *base;
			p.ds = (uint8_t)(((p.has_ds ? p.ds : 0) & ~3u) | k);
			p.has_ds = true;
			EMIT("ecn ect");
			p = *base;
			p.spec.tcpflags =
				(uint8_t)((p.spec.tcpflags & 0x3f) | k << 6);
			EMIT("ecn flags");
		}
		if (!(m->u.ecn.operation & (BF_ECN_ECE | BF_ECN_CWR)))
			break;
		p = *base;
		p.spec.short_l4 = 14;
		EMIT("ecn truncated");
		p = *base;
		p.spec.frag = DFRAG_LATER;
		EMIT("ecn frag");
		/* IPv6: there it reads the IPv6 header (offset 0), byte 13
		 * being the source address's byte 5 */
		for (k = 1; g->family == BF_FAMILY_INET6 && k < 4; k++) {
			p = *base;
			p.spec.frag = DFRAG_LATER;
			p.spec.saddr[5] = (uint8_t)(p.spec.saddr[5] ^ k << 6);
			EMIT("ecn frag saddr");
		}
		break;
	case BF_MATCH_PAYLOAD: {
		/* the range ends and their neighbours, 0 and the largest
		 * value; for the transport header, a header cut before the
		 * field and a later fragment */
		unsigned int sh;
		uint32_t fmax, lo = m->u.payload.lo, hi = m->u.payload.hi;
		bool contig;

		pl_units(m, &sh, &fmax, &contig);
		if (contig && lo <= hi) {
			uint32_t v[] = {
				lo >> sh,	hi >> sh, (lo >> sh) - 1,
				(hi >> sh) + 1, 0,	  fmax
			};

			for (k = 0; k < (int)ARRAY_SIZE(v); k++) {
				if (v[k] > fmax)
					continue;
				p = *base;
				pl_poke(&p, m, v[k] << sh);
				EMIT("payload");
			}
		}
		if (m->u.payload.base != BF_PAYLOAD_TH)
			break;
		p = *base;
		p.spec.short_l4 = (uint8_t)m->u.payload.off;
		if (p.spec.short_l4)
			EMIT("payload truncated");
		p = *base;
		p.spec.frag = DFRAG_LATER;
		EMIT("payload frag");
		break;
	}
	case BF_MATCH_U32: {
		/* each test's range ends and their neighbours */
		const typeof(m->u.u32) *u = &m->u.u32;
		unsigned int w = 0;

		for (unsigned int t = 0; t < u->ntests; t++) {
			w += u->nnums[t];
			for (unsigned int r = 0; r < u->nvals[t]; r++) {
				uint32_t lo = u->w[w + 2 * r],
					 hi = u->w[w + 2 * r + 1];
				uint32_t v[] = { lo, hi, lo - 1, hi + 1 };
				uint32_t pos, x, care;
				bool th;

				for (k = 0; k < 4; k++) {
					if (!u32_solve(m, t, v[k], &pos, &x,
						       &care, &th))
						continue;
					p = *base;
					u32_poke(&p, pos, x, care, th);
					EMIT("u32");
				}
			}
			w += 2u * u->nvals[t];
		}
		p = *base;
		p.spec.short_l4 = 4;
		EMIT("u32 short");
		break;
	}
	case BF_MATCH_CTSTATE:
		if (!g->ct)
			break;
		for (k = DCT_NEW; k < DCT_COUNT; k++) {
			p = *base;
			p.ct = (enum dct)k;
			EMIT(k == DCT_NEW	  ? "ct new" :
			     k == DCT_ESTABLISHED ? "ct established" :
			     k == DCT_INVALID	  ? "ct invalid" :
			     k == DCT_RELATED	  ? "ct related" :
						    "ct untracked");
		}
		break;
	default:
		break;
	}
#undef EMIT
}

/* The base with every field the rule leaves free drawn at random, so
 * that a rule shadowed for the default values is reached another way. */
static __attribute__((unused)) void
jitter(struct dgen *g, const struct dprobe *base, const char *why)
{
	static const uint8_t pfx4[3][3] = { { 192, 0, 2 },
					    { 198, 51, 100 },
					    { 203, 0, 113 } };
	int al = alen(g->family), k;
	struct dprobe p = *base;

	for (k = 0; k < 2; k++) {
		uint8_t *a = k ? p.spec.daddr : p.spec.saddr;

		if (p.pinned & (k ? PIN_DADDR : PIN_SADDR))
			continue;
		if (g->n_addrs && dgen_rand(g) % 2) {
			memcpy(a, g->addrs[dgen_rand(g) % (uint64_t)g->n_addrs],
			       (size_t)al);
		} else if (al == 4) {
			memcpy(a, pfx4[dgen_rand(g) % 3], 3);
			a[3] = (uint8_t)dgen_rand(g);
		} else {
			a[5] = (uint8_t)(dgen_rand(g) % 4);
			a[15] = (uint8_t)dgen_rand(g);
		}
	}
	if (!(p.pinned & PIN_DPORT))
		p.spec.dport =
			g->n_ports && dgen_rand(g) % 2 ?
				g->ports[dgen_rand(g) % (uint64_t)g->n_ports] :
				(uint16_t)dgen_rand(g);
	if (!(p.pinned & PIN_FLAGS))
		p.spec.tcpflags = (uint8_t)(dgen_rand(g) & 0x3f);
	if (!(p.pinned & PIN_ICMP))
		p.spec.icmp_type = (uint8_t)(dgen_rand(g) % 20);
	snprintf(p.why, sizeof(p.why), "%s jitter", why);
	dgen_add(g, &p);
}

/* IPv6 extension header chains in front of the base's transport header:
 * each kind alone, the three together, AH, an atomic fragment, and long
 * chains of destination options (8, 16 and 17 headers: ipv6_find_hdr() walks
 * any number). */
static __attribute__((unused)) void
ext_variants(struct dgen *g, const struct dprobe *base, const char *why)
{
	static const uint8_t chains[][3] = {
		{ IPPROTO_HOPOPTS },
		{ IPPROTO_DSTOPTS },
		{ IPPROTO_ROUTING },
		{ IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING },
		{ IPPROTO_AH },
	};
	static const int len[] = { 1, 1, 1, 3, 1 };
	static const int longs[] = { 8, 16, 17 };
	struct dprobe p;
	size_t i;
	int k;

	for (i = 0; i < ARRAY_SIZE(chains); i++) {
		p = *base;
		memcpy(p.spec.ext, chains[i], 3);
		p.spec.n_ext = len[i];
		snprintf(p.why, sizeof(p.why), "%s ext", why);
		dgen_add(g, &p);
	}
	for (i = 0; i < ARRAY_SIZE(longs); i++) {
		p = *base;
		p.spec.ext[0] = IPPROTO_HOPOPTS;
		for (k = 1; k < longs[i]; k++)
			p.spec.ext[k] = IPPROTO_DSTOPTS;
		p.spec.n_ext = longs[i];
		snprintf(p.why, sizeof(p.why), "%s ext chain", why);
		dgen_add(g, &p);
	}
	p = *base;
	p.spec.frag = DFRAG_ATOMIC;
	snprintf(p.why, sizeof(p.why), "%s atomic frag", why);
	dgen_add(g, &p);
	/* a destination options header whose length overruns the packet:
	 * the header walk fails, ip6_packet_match() hotdrops */
	p = *base;
	p.spec.ext[0] = IPPROTO_DSTOPTS;
	p.spec.n_ext = 1;
	p.spec.bad_ext = true;
	snprintf(p.why, sizeof(p.why), "%s bad ext", why);
	dgen_add(g, &p);
}

static __attribute__((unused)) bool has_type(const struct bf_rule *r,
					     enum bf_match_type t)
{
	size_t i;

	for (i = 0; i < r->n_matches; i++)
		if (r->matches[i].type == t)
			return true;
	return false;
}

/* A rule that does not name a protocol: the base with other protocols,
 * so that rules after a "-p tcp -j ..." are reached too. */
static __attribute__((unused)) void
proto_variants(struct dgen *g, const struct dprobe *base, const char *why)
{
	const uint8_t protos[] = { IPPROTO_UDP,
				   g->family == BF_FAMILY_INET4 ?
					   IPPROTO_ICMP :
					   IPPROTO_ICMPV6,
				   IPPROTO_ESP };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		struct dprobe p = *base;

		p.spec.proto = protos[i];
		snprintf(p.why, sizeof(p.why), "%s proto", why);
		dgen_add(g, &p);
	}
}

/* Chains reachable from each hook's built-in chain (through jumps and
 * gotos), as flags indexed like rs->chains. */
static __attribute__((unused)) void reach(const struct bf_ruleset *rs,
					  enum bf_family fam, enum bf_hook hook,
					  bool *seen)
{
	size_t stack[512], n = 0, i, r;
	const struct bf_chain *c = bf_ruleset_builtin(rs, fam, hook);

	memset(seen, 0, rs->n_chains * sizeof(*seen));
	if (!c)
		return;
	stack[n++] = (size_t)(c - rs->chains);
	seen[c - rs->chains] = true;
	while (n) {
		c = &rs->chains[stack[--n]];
		for (r = 0; r < c->n_rules; r++) {
			const struct bf_verdict *v = &c->rules[r].verdict;
			const struct bf_chain *t;

			if (v->kind != BF_VERDICT_JUMP &&
			    v->kind != BF_VERDICT_GOTO)
				continue;
			t = bf_ruleset_chain(rs, fam, v->chain);
			if (!t)
				continue;
			i = (size_t)(t - rs->chains);
			if (!seen[i] && n < ARRAY_SIZE(stack)) {
				seen[i] = true;
				stack[n++] = i;
			}
		}
	}
}

static __attribute__((unused)) void random_probe(struct dgen *g,
						 struct dprobe *p)
{
	static const uint8_t protos4[] = { IPPROTO_TCP, IPPROTO_UDP,
					   IPPROTO_ICMP };
	static const uint8_t protos6[] = { IPPROTO_TCP, IPPROTO_UDP,
					   IPPROTO_ICMPV6 };
	int al = alen(g->family);
	uint64_t r = dgen_rand(g);

	memset(p, 0, sizeof(*p));
	spec_default(g, &p->spec);
	p->hook = (enum bf_hook)(r % 3);
	p->in_if = (int)((r >> 8) % (uint64_t)g->topo->n_if);
	p->out_if = (int)((r >> 16) % (uint64_t)g->topo->n_if);
	p->spec.proto = (g->family == BF_FAMILY_INET4 ? protos4 :
							protos6)[(r >> 24) % 3];
	if (g->n_addrs && (r >> 32) % 4 != 0)
		memcpy(p->spec.saddr,
		       g->addrs[dgen_rand(g) % (uint64_t)g->n_addrs],
		       (size_t)al);
	else
		p->spec.saddr[al - 1] = (uint8_t)dgen_rand(g);
	if (g->n_addrs && (r >> 34) % 4 != 0)
		memcpy(p->spec.daddr,
		       g->addrs[dgen_rand(g) % (uint64_t)g->n_addrs],
		       (size_t)al);
	else
		p->spec.daddr[al - 1] = (uint8_t)dgen_rand(g);
	p->spec.sport = (uint16_t)dgen_rand(g);
	p->spec.dport = g->n_ports && (r >> 36) % 2 ?
				g->ports[dgen_rand(g) % (uint64_t)g->n_ports] :
				(uint16_t)dgen_rand(g);
	p->spec.tcpflags = (uint8_t)(dgen_rand(g) & 0x3f);
	p->spec.icmp_type =
		(uint8_t)(dgen_rand(g) % 20 +
			  (g->family == BF_FAMILY_INET6 && (r >> 40) % 2 ? 128 :
									   0));
	p->spec.icmp_code = (uint8_t)(dgen_rand(g) % 4);
	if (g->ct)
		p->ct = (enum dct)((r >> 44) % DCT_COUNT);
	if ((r >> 48) % 10 == 0)
		p->spec.ip_opts = 8;
	if ((r >> 52) % 10 == 0)
		p->spec.tcp_doff = 6;
	p->sport_free = false;
	snprintf(p->why, sizeof(p->why), "random");
}

static __attribute__((unused)) int dgen_prepare(struct dgen *g, size_t max)
{
	g->max = max;
	g->hcap = max * 2 + 1;
	g->hash = calloc(g->hcap, sizeof(*g->hash));
	return g->hash ? 0 : -ENOMEM;
}

/*
 * Generate the probes of one family's ruleset into g->v. n_random probes
 * are drawn with the generator's seed.
 */
static __attribute__((unused)) int
dgen_ruleset(struct dgen *g, const struct bf_ruleset *rs, int n_random)
{
	bool *rch[BF_HOOK_COUNT];
	size_t ci, ri, mi, i;
	int h, rn = 0;

	for (h = 0; h < BF_HOOK_COUNT; h++) {
		rch[h] = calloc(rs->n_chains + 1, sizeof(bool));
		if (!rch[h])
			return -ENOMEM;
		reach(rs, g->family, (enum bf_hook)h, rch[h]);
	}

	/* Policies: a default packet per hook and interface. */
	for (h = 0; h < BF_HOOK_COUNT; h++) {
		int k;

		for (k = 0; k < g->topo->n_if; k++) {
			struct dprobe p;

			memset(&p, 0, sizeof(p));
			spec_default(g, &p.spec);
			p.hook = (enum bf_hook)h;
			p.in_if = p.out_if = k;
			p.sport_free = true;
			snprintf(p.why, sizeof(p.why), "%s default",
				 bf_hook_name((enum bf_hook)h));
			dgen_add(g, &p);
		}
	}

	for (ci = 0; ci < rs->n_chains; ci++) {
		const struct bf_chain *c = &rs->chains[ci];

		if (c->family != g->family)
			continue;
		for (ri = 0; ri < c->n_rules; ri++) {
			const struct bf_rule *r = &c->rules[ri];

			for (h = 0; h < BF_HOOK_COUNT; h++) {
				struct dprobe base;
				char why[48];
				bool ok = true;

				if (!rch[h][ci])
					continue;
				snprintf(why, sizeof(why), "%s:%d",
					 bf_hook_name((enum bf_hook)h),
					 r->line);
				memset(&base, 0, sizeof(base));
				spec_default(g, &base.spec);
				base.hook = (enum bf_hook)h;
				base.in_if = base.out_if = -1;
				base.sport_free = true;
				for (mi = 0; mi < r->n_matches; mi++)
					if (!satisfy(g, &base, &r->matches[mi],
						     !r->matches[mi].neg))
						ok = false;
				if (snprintf(base.why, sizeof(base.why),
					     "%s base%s", why,
					     ok ? "" : " (unsatisfiable)") < 0)
					continue;
				dgen_add(g, &base);
				for (mi = 0; mi < r->n_matches; mi++)
					vary(g, &base, &r->matches[mi], why);
				if (!has_type(r, BF_MATCH_L4PROTO) &&
				    !has_type(r, BF_MATCH_L4HDR))
					proto_variants(g, &base, why);
				for (i = 0; i < 2; i++)
					jitter(g, &base, why);
				if (g->ct) {
					for (i = DCT_NEW; i < DCT_COUNT; i++) {
						struct dprobe p = base;

						p.ct = (enum dct)i;
						snprintf(p.why, sizeof(p.why),
							 "%s ct %zu", why, i);
						dgen_add(g, &p);
					}
				}
				if (g->frags && g->family == BF_FAMILY_INET6)
					ext_variants(g, &base, why);
			}
		}
	}
	for (h = 0; h < BF_HOOK_COUNT; h++)
		free(rch[h]);

	for (rn = 0; rn < n_random; rn++) {
		struct dprobe p;

		random_probe(g, &p);
		dgen_add(g, &p);
	}
	return 0;
}

/* Give each probe its own flow (source port / ICMP id / sequence), build
 * its datagrams and, for ESTABLISHED, its reverse setup packet. */
static __attribute__((unused)) int dgen_finish(struct dgen *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct dprobe *p = &g->v[i];
		uint32_t id = (uint32_t)i;

		if (p->sport_free && (p->spec.proto == IPPROTO_TCP ||
				      p->spec.proto == IPPROTO_UDP))
			p->spec.sport = (uint16_t)(20000 + i % 40000);
		p->spec.icmp_id = (uint16_t)(i + 1);
		p->spec.seq = 1000u * (uint32_t)i + 1;
		if (p->ct == DCT_RELATED) {
			/* The reverse flow (UDP) is sent first; the probe is
			 * an ICMP error quoting it: conntrack calls it
			 * RELATED (nf_conntrack_inet_error()). */
			struct dpkt_spec *s = &p->setup_spec;
			bool l4 = p->spec.proto == IPPROTO_TCP ||
				  p->spec.proto == IPPROTO_UDP;
			bool v4 = p->spec.family == BF_FAMILY_INET4;

			*s = p->spec;
			s->frag = DFRAG_NONE;
			s->n_ext = 0;
			s->short_l4 = 0;
			s->bad_ext = false;
			s->ip_opts = 0; /* the quote must fit spec.quote */
			s->tcp_doff = 0;
			s->quote_len = 0;
			memcpy(s->saddr, p->spec.daddr, 16);
			memcpy(s->daddr, p->spec.saddr, 16);
			s->proto = IPPROTO_UDP;
			s->sport = l4 ? p->spec.dport : 5353;
			s->dport = l4 ? p->spec.sport :
					(uint16_t)(20000 + i % 40000);
			s->tos = p->hook == BF_HOOK_FORWARD ?
					 dnet_tos(p->in_if) :
					 0;
			if (dpkt_build(s, id | 0x80000000u, &p->setup) < 0) {
				p->ct = DCT_NEW;
			} else {
				p->spec.proto = v4 ? IPPROTO_ICMP :
						     IPPROTO_ICMPV6;
				p->spec.icmp_type = v4 ? 3 : 1;
				p->spec.icmp_code = v4 ? 3 : 4;
				p->spec.quote_len =
					(uint8_t)(p->setup.l4_off + 8);
				if (p->spec.quote_len > sizeof(p->spec.quote))
					return -EINVAL;
				memcpy(p->spec.quote, p->setup.data[0],
				       p->spec.quote_len);
			}
		}
		if (p->ct == DCT_ESTABLISHED) {
			struct dpkt_spec *s = &p->setup_spec;

			*s = p->spec;
			s->frag = DFRAG_NONE;
			s->n_ext = 0;
			s->short_l4 = 0;
			s->bad_ext = false;
			s->ip_opts = 0;
			s->tcp_doff = 0;
			memcpy(s->saddr, p->spec.daddr, 16);
			memcpy(s->daddr, p->spec.saddr, 16);
			s->sport = p->spec.dport;
			s->dport = p->spec.sport;
			/* reverse path: a FORWARD setup leaves by the
			 * probe's input interface */
			s->tos = p->hook == BF_HOOK_FORWARD ?
					 dnet_tos(p->in_if) :
					 0;
			if (s->proto == IPPROTO_TCP) {
				s->tcpflags = 0x02;
				s->seq = 777000u + (uint32_t)i;
				p->spec.tcpflags = 0x12; /* SYN ACK */
				p->spec.ack = s->seq + 1;
			} else if (s->proto == IPPROTO_ICMP) {
				s->icmp_type = 8;
				s->icmp_code = 0;
				p->spec.icmp_type = 0;
				p->spec.icmp_code = 0;
			} else if (s->proto == IPPROTO_ICMPV6) {
				s->icmp_type = 128;
				s->icmp_code = 0;
				p->spec.icmp_type = 129;
				p->spec.icmp_code = 0;
			}
			/* the setup packet carries the id with the top bit
			 * set, so it is never taken for a probe */
			if (dpkt_build(s, id | 0x80000000u, &p->setup) < 0)
				p->ct = DCT_NEW;
		}
		if (dpkt_build(&p->spec, id, &p->pkt) < 0) {
			/* does not fit: fall back to the plain packet */
			p->spec.n_ext = 0;
			p->spec.frag = DFRAG_NONE;
			if (dpkt_build(&p->spec, id, &p->pkt) < 0)
				return -EINVAL;
		}
	}
	return 0;
}

static __attribute__((unused)) void dgen_free(struct dgen *g)
{
	free(g->v);
	free(g->hash);
	g->v = NULL;
	g->hash = NULL;
	g->n = g->cap = 0;
}

#endif /* BF_VERIFY_PROBE_H */
