/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the random interpreter-against-program tests share
 * (tests/prog/test_eval_vs_bpf.c, tests/prog/test_eval_nft.c,
 * tests/e2e/e2e_eval_vlan.c): a seeded xorshift64* generator (each test
 * its own state: seed it with `rng = seed ? seed : 1`) and the pools of
 * documentation addresses their rulesets and packets draw from.
 */
#ifndef BPFILTER_TESTS_EVAL_UTIL_H
#define BPFILTER_TESTS_EVAL_UTIL_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
