/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Verify engine: seeded random rulesets.
 *
 * Writes iptables-save filter tables that use only the supported feature
 * set (addresses and masks, interfaces and wildcards, protocols by name,
 * number, "all" and 0, runs of one shape that the optimizer folds, tcp/udp
 * ports and flags, icmp/icmp6 types, multiport, iprange, comment, state,
 * conntrack --ctstate, -f; ACCEPT, DROP, RETURN, jumps, gotos, rules
 * without target, policies), with negations, drawing values from small
 * pools so that rules overlap and shadow each other. User chains only call
 * chains defined after them, so there are no loops.
 */
#ifndef BF_VERIFY_GEN_H
#define BF_VERIFY_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "bpfilter/ir.h"

struct rgen {
	uint64_t s;
};

static __attribute__((unused)) uint32_t rg(struct rgen *r, uint32_t n)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return n ? (uint32_t)((r->s * 2685821657736338717ull) >> 33) % n : 0;
}

static __attribute__((unused)) bool rg_p(struct rgen *r, int percent)
{
	return (int)rg(r, 100) < percent;
}

static __attribute__((unused)) const char *rg_neg(struct rgen *r)
{
	return rg_p(r, 25) ? "! " : "";
}

static __attribute__((unused)) void rg_addr(struct rgen *r, FILE *f,
					    enum bf_family fam)
{
	static const char *const v4[] = { "192.0.2", "198.51.100",
					  "203.0.113" };

	if (fam == BF_FAMILY_INET4) {
		static const int lens[] = { 16, 24, 25, 28, 30, 31, 32, 32 };
		int l = lens[rg(r, ARRAY_SIZE(lens))];

		if (rg_p(r, 10)) {
			/* a non-contiguous mask */
			fprintf(f, "%s.%u/255.255.%u.%u", v4[rg(r, 3)],
				rg(r, 256), rg_p(r, 50) ? 0 : 255,
				rg_p(r, 50) ? 0xf0 : 0x0f);
			return;
		}
		fprintf(f, "%s.%u/%d", v4[rg(r, 3)], rg(r, 256), l);
	} else {
		static const int lens[] = {
			32, 48, 64, 112, 120, 127, 128, 128
		};

		fprintf(f, "2001:db8:%x::%x/%d", rg(r, 4), rg(r, 300),
			lens[rg(r, ARRAY_SIZE(lens))]);
	}
}

static __attribute__((unused)) void rg_range(struct rgen *r, FILE *f,
					     enum bf_family fam)
{
	if (fam == BF_FAMILY_INET4) {
		static const char *const v4[] = { "192.0.2", "198.51.100",
						  "203.0.113" };
		unsigned int a = rg(r, 200), b = a + rg(r, 50);
		const char *base = v4[rg(r, 3)];

		fprintf(f, "%s.%u-%s.%u", base, a, base, b);
	} else {
		unsigned int a = rg(r, 200), b = a + rg(r, 50);
		unsigned int n = rg(r, 4);

		fprintf(f, "2001:db8:%x::%x-2001:db8:%x::%x", n, a, n, b);
	}
}

static __attribute__((unused)) uint16_t rg_port(struct rgen *r)
{
	static const uint16_t pool[] = { 0,   1,    22,	  53,	67,    68,
					 80,  443,  1023, 1024, 8080,  65535,
					 100, 2000, 3000, 5353, 49152, 123 };

	return rg_p(r, 80) ? pool[rg(r, ARRAY_SIZE(pool))] :
			     (uint16_t)rg(r, 65536);
}

/* A port or a range; multiport (strict) wants lo < hi. */
static __attribute__((unused)) void rg_ports(struct rgen *r, FILE *f,
					     bool strict)
{
	uint16_t a = rg_port(r);

	if (rg_p(r, 40)) {
		uint16_t b = rg_port(r);

		if (strict && a == b)
			fprintf(f, "%u", a);
		else
			fprintf(f, "%u:%u", a < b ? a : b, a < b ? b : a);
	} else {
		fprintf(f, "%u", a);
	}
}

static __attribute__((unused)) void rg_tcpflags(struct rgen *r, FILE *f)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR" };
	unsigned int mask = rg(r, 64), cmp = rg(r, 64) & mask, i;
	bool first = true;

	if (rg_p(r, 30)) {
		fprintf(f, " %s--syn", rg_neg(r));
		return;
	}
	if (!mask)
		mask = 0x02;
	fprintf(f, " %s--tcp-flags ", rg_neg(r));
	for (i = 0; i < 8; i++)
		if (mask & (1u << i)) {
			fprintf(f, "%s%s", first ? "" : ",", names[i]);
			first = false;
		}
	if (!cmp) {
		fprintf(f, " NONE");
		return;
	}
	first = true;
	fprintf(f, " ");
	for (i = 0; i < 8; i++)
		if (cmp & (1u << i)) {
			fprintf(f, "%s%s", first ? "" : ",", names[i]);
			first = false;
		}
}

static __attribute__((unused)) void rg_ctstate(struct rgen *r, FILE *f)
{
	static const char *const st[] = { "NEW", "ESTABLISHED", "RELATED",
					  "INVALID", "UNTRACKED" };
	unsigned int m = rg(r, 31) + 1, i;
	bool first = true;
	bool state = rg_p(r, 40);

	fprintf(f,
		state ? " -m state %s--state " : " -m conntrack %s--ctstate ",
		rg_neg(r));
	for (i = 0; i < 5; i++)
		if (m & (1u << i)) {
			fprintf(f, "%s%s", first ? "" : ",", st[i]);
			first = false;
		}
}

/* One rule (without "-A CHAIN"); hook: the built-in chain, or
 * BF_HOOK_COUNT for a user chain. */
static __attribute__((unused)) void rg_rule(struct rgen *r, FILE *f,
					    enum bf_family fam,
					    enum bf_hook hook, int self,
					    int n_user)
{
	static const char *const ifs[] = { "eth0", "eth+", "wan0", "lan+",
					   "lan1", "lo",   "+",	   "br.1" };
	bool v4 = fam == BF_FAMILY_INET4;
	int proto = -1;
	bool neg_proto = false;

	if (rg_p(r, 40)) {
		fprintf(f, " %s-s ", rg_neg(r));
		rg_addr(r, f, fam);
	}
	if (rg_p(r, 40)) {
		fprintf(f, " %s-d ", rg_neg(r));
		rg_addr(r, f, fam);
	}
	if (hook != BF_HOOK_OUTPUT && rg_p(r, 30))
		fprintf(f, " %s-i %s", rg_neg(r), ifs[rg(r, ARRAY_SIZE(ifs))]);
	if (hook != BF_HOOK_INPUT && rg_p(r, 30))
		fprintf(f, " %s-o %s", rg_neg(r), ifs[rg(r, ARRAY_SIZE(ifs))]);
	if (rg_p(r, 75)) {
		static const int protos[] = { IPPROTO_TCP, IPPROTO_TCP,
					      IPPROTO_UDP, IPPROTO_UDP,
					      -1,	   47,
					      IPPROTO_ESP };

		proto = protos[rg(r, ARRAY_SIZE(protos))];
		if (proto < 0)
			proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		neg_proto = rg_p(r, 10);
		if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
		    rg_p(r, 15))
			/* the number: the same match as the name */
			fprintf(f, " %s-p %d", neg_proto ? "! " : "", proto);
		else
			fprintf(f, " %s-p %s", neg_proto ? "! " : "",
				proto == IPPROTO_TCP	? "tcp" :
				proto == IPPROTO_UDP	? "udp" :
				proto == IPPROTO_ICMP	? "icmp" :
				proto == IPPROTO_ICMPV6 ? "ipv6-icmp" :
				proto == IPPROTO_ESP	? "esp" :
							  "47");
	} else if (rg_p(r, 10)) {
		/* any protocol, spelled as iptables allows (never negated:
		 * "rule would never match protocol") */
		fprintf(f, " -p %s", rg_p(r, 50) ? "all" : "0");
	}
	if (v4 && rg_p(r, 8))
		fprintf(f, " %s-f", rg_neg(r));
	if (!neg_proto && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		bool tcp = proto == IPPROTO_TCP;

		if (rg_p(r, 70)) {
			fprintf(f, " -m %s", tcp ? "tcp" : "udp");
			if (rg_p(r, 50)) {
				fprintf(f, " %s--sport ", rg_neg(r));
				rg_ports(r, f, false);
			}
			if (rg_p(r, 70)) {
				fprintf(f, " %s--dport ", rg_neg(r));
				rg_ports(r, f, false);
			}
			if (tcp && rg_p(r, 40))
				rg_tcpflags(r, f);
		}
		if (rg_p(r, 25)) {
			static const char *const dir[] = { "--sports",
							   "--dports",
							   "--ports" };
			int n = (int)rg(r, 4) + 1, i;

			fprintf(f, " -m multiport %s%s ", rg_neg(r),
				dir[rg(r, 3)]);
			for (i = 0; i < n; i++) {
				fprintf(f, "%s", i ? "," : "");
				rg_ports(r, f, true);
			}
		}
	}
	if (!neg_proto && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) &&
	    rg_p(r, 70)) {
		static const int t4[] = { 0, 3, 5, 8, 11, 12, 13 };
		static const int t6[] = { 1, 2, 3, 4, 128, 129, 133, 135 };
		int t = v4 ? t4[rg(r, ARRAY_SIZE(t4))] :
			     t6[rg(r, ARRAY_SIZE(t6))];

		if (v4 && rg_p(r, 10)) {
			fprintf(f, " -m icmp %s--icmp-type any", rg_neg(r));
		} else {
			fprintf(f, " -m %s %s--icmp%s-type %d",
				v4 ? "icmp" : "icmp6", rg_neg(r),
				v4 ? "" : "v6", t);
			if (rg_p(r, 40))
				fprintf(f, "/%u", rg(r, 5));
		}
	}
	if (rg_p(r, 12)) {
		fprintf(f, " -m iprange %s--%s-range ", rg_neg(r),
			rg_p(r, 50) ? "src" : "dst");
		rg_range(r, f, fam);
	}
	if (rg_p(r, 25))
		rg_ctstate(r, f);
	if (rg_p(r, 8))
		fprintf(f, " -m comment --comment \"rule %u\"", rg(r, 1000));

	/* target */
	{
		int t = (int)rg(r, 10);
		int first_callee = self + 1;

		if (t < 3)
			fprintf(f, " -j ACCEPT");
		else if (t < 6)
			fprintf(f, " -j DROP");
		else if (t == 6 && hook == BF_HOOK_COUNT)
			fprintf(f, " -j RETURN");
		else if (t >= 7 && first_callee < n_user)
			fprintf(f, " -%c u%d", t == 9 ? 'g' : 'j',
				first_callee +
					(int)rg(r, (uint32_t)(n_user -
							      first_callee)));
		/* else: no target */
	}
}

/* A run of 8 to 16 rules of one shape (what the optimizer folds into one
 * hash lookup, doc/classification.md), keys drawn from a small pool so
 * that some repeat, a few with the other verdict. */
static __attribute__((unused)) void rg_fold_block(struct rgen *r, FILE *f,
						  enum bf_family fam,
						  const char *chain, bool user)
{
	static const char *const v4[] = { "192.0.2", "198.51.100",
					  "203.0.113" };
	int n = 8 + (int)rg(r, 9), shape = (int)rg(r, 3), k;
	const char *proto = rg_p(r, 50) ? "tcp" : "udp";
	const char *tgt = rg_p(r, 50) ? "ACCEPT" : "DROP";

	for (k = 0; k < n; k++) {
		const char *t =
			rg_p(r, 20) ? (rg_p(r, 50) ? "ACCEPT" : "DROP") : tgt;
		unsigned int a = rg(r, 6) * 7 + 1;

		if (user && rg_p(r, 10))
			t = "RETURN";
		fprintf(f, "-A %s", chain);
		if (shape == 0 && fam == BF_FAMILY_INET4)
			fprintf(f, " -s %s.%u/32", v4[a % 3], a);
		else if (shape == 0)
			fprintf(f, " -s 2001:db8:%x::%x/128", a % 4, a);
		else if (shape == 1)
			fprintf(f, " -p %s -m %s --dport %u", proto, proto,
				rg_port(r));
		else if (fam == BF_FAMILY_INET4)
			fprintf(f, " -d %s.%u/32 -p %s -m %s --dport %u",
				v4[a % 3], a, proto, proto, rg_port(r));
		else
			fprintf(f,
				" -d 2001:db8:%x::%x/128 -p %s -m %s --dport %u",
				a % 4, a, proto, proto, rg_port(r));
		fprintf(f, " -j %s\n", t);
	}
}

/* Write a random filter table of one family to f. */
static __attribute__((unused)) void rg_ruleset(uint64_t seed,
					       enum bf_family fam, FILE *f)
{
	static const char *const builtin[] = { "INPUT", "FORWARD", "OUTPUT" };
	static const enum bf_hook hooks[] = { BF_HOOK_INPUT, BF_HOOK_FORWARD,
					      BF_HOOK_OUTPUT };
	struct rgen r = { .s = seed * 0x9e3779b97f4a7c15ull + 1 };
	int n_user = (int)rg(&r, 4), i, k, n;

	fprintf(f, "# random ruleset, seed %llu\n*filter\n",
		(unsigned long long)seed);
	for (i = 0; i < 3; i++)
		fprintf(f, ":%s %s [0:0]\n", builtin[i],
			rg_p(&r, 50) ? "DROP" : "ACCEPT");
	for (i = 0; i < n_user; i++)
		fprintf(f, ":u%d - [0:0]\n", i);
	for (i = 0; i < 3; i++) {
		n = 3 + (int)rg(&r, 8);
		for (k = 0; k < n; k++) {
			fprintf(f, "-A %s", builtin[i]);
			rg_rule(&r, f, fam, hooks[i], -1, n_user);
			fprintf(f, "\n");
			if (rg_p(&r, 4))
				rg_fold_block(&r, f, fam, builtin[i], false);
		}
	}
	for (i = 0; i < n_user; i++) {
		n = 1 + (int)rg(&r, 5);
		for (k = 0; k < n; k++) {
			char name[16];

			fprintf(f, "-A u%d", i);
			rg_rule(&r, f, fam, BF_HOOK_COUNT, i, n_user);
			fprintf(f, "\n");
			snprintf(name, sizeof(name), "u%d", i);
			if (rg_p(&r, 4))
				rg_fold_block(&r, f, fam, name, true);
		}
	}
	fprintf(f, "COMMIT\n");
}

#endif /* BF_VERIFY_GEN_H */
