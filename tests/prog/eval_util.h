/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the random interpreter-against-program tests share
 * (tests/prog/test_eval_vs_bpf.c, tests/prog/test_eval_nft.c,
 * tests/e2e/e2e_eval_vlan.c): a seeded xorshift64* generator (each test
 * its own state: seed it with `rng = seed ? seed : 1`), the pools of
 * documentation addresses their rulesets and packets draw from, and the
 * random packet spec (prog_util.h's struct pu_spec) they start from.
 */
#ifndef BPFILTER_TESTS_EVAL_UTIL_H
#define BPFILTER_TESTS_EVAL_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "prog_util.h"

static uint64_t rng;

static inline uint32_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

/* 0 .. n-1 (0 if n is 0) */
static inline uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* true pct times out of 100 */
static inline bool chance(int pct)
{
	return below(100) < (uint32_t)pct;
}

static const char *const v4_addrs[] = { "192.0.2.1", "192.0.2.7",
					"198.51.100.7", "203.0.113.200" };
static const char *const v6_addrs[] = { "2001:db8::1", "2001:db8::7",
					"2001:db8:1::7", "2001:db8:ff::1" };

/* One of the pools' addresses of the family. */
static inline const char *pick_addr(bool v6)
{
	return v6 ? v6_addrs[below(4)] : v4_addrs[below(4)];
}

/* How eval_random_spec() draws: the port pool, and the odds. */
struct eval_spec_odds {
	const uint16_t *ports;
	size_t n_ports;
	uint32_t flags_below; /* TCP flags: SYN, or any below this */
	int short_l4_pct; /* a short transport header (1..19 bytes) */
	int no_l4_pct; /* of those, none at all (-1); 0: not drawn */
	int v6_ext_pct; /* IPv6: 1 to 3 extension headers */
};

/* A random packet spec of family fam: addresses and ports from the
 * pools, protocol, TCP flags, ICMP type and code, IPv4 fragments, short
 * transport headers and IPv6 extension headers (odds as o says). */
static inline void eval_random_spec(struct pu_spec *s, enum bf_family fam,
				    const struct eval_spec_odds *o)
{
	static const uint8_t v4p[] = { 6, 17, 1, 47 };
	static const uint8_t v6p[] = { 6, 17, 58, 47, 59 };
	static const uint8_t exts[] = { 0, 43, 44, 51, 60 };
	bool v6 = fam == BF_FAMILY_INET6;

	memset(s, 0, sizeof(*s));
	s->fam = fam;
	s->src = pick_addr(v6);
	s->dst = pick_addr(v6);
	s->proto = v6 ? v6p[below(ARRAY_SIZE(v6p))] : v4p[below(4)];
	s->sport = o->ports[below((uint32_t)o->n_ports)];
	s->dport = o->ports[below((uint32_t)o->n_ports)];
	s->flags = chance(50) ? 0x02 : (uint8_t)below(o->flags_below);
	s->itype = (uint8_t)(v6 ? 128 + below(3) : below(3) * 4);
	s->icode = (uint8_t)below(2);
	if (!v6 && chance(20)) {
		static const uint16_t frags[] = { 0x2000, 1, 2, 0x2001, 100 };

		s->frag = frags[below(ARRAY_SIZE(frags))];
	}
	if (chance(o->short_l4_pct))
		s->l4len = o->no_l4_pct && chance(o->no_l4_pct) ?
				   -1 :
				   (int)(1 + below(19));
	if (v6 && chance(o->v6_ext_pct)) {
		s->n_ext = (int)(1 + below(3));
		for (int i = 0; i < s->n_ext; i++)
			s->ext[i] = exts[below(ARRAY_SIZE(exts))];
		if (chance(50))
			s->ext_frag = (uint16_t)(below(3) * 8);
		if (chance(10))
			s->ext_len[below((uint32_t)s->n_ext)] =
				(uint8_t)below(40);
	}
}

#endif
