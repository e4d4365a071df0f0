// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential campaign of the iptables command line: random, seeded
 * sequences of iptables / ip6tables commands run by the kernel's
 * iptables-legacy in one namespace and by `bpfilter iptables` (or links to
 * bpfilter named iptables, ip6tables, iptables-save, iptables-restore) in
 * another. Every command's stdout, stderr and exit code must be the same
 * bytes; the only normalisations are "(legacy)" -> "(bpfilter)" in usage
 * messages, the "# Generated/Completed" comments of iptables-save, and
 * bpfilter's warning when a REJECT rule comes in at nf (nothing is sent
 * there: doc/front-ipt.md, "The iptables command line"). The
 * same commands also go through iptables-nft in a third namespace, whose
 * messages differ from legacy's (doc/front-ipt.md, "The iptables command
 * line"): there only the iptables-save output after each sequence is
 * compared.
 *
 * Rules are generated from a "meaning" seed and spelt with a separate
 * random stream, so -C and -D name rules added earlier in other words:
 * options in another order, long options and their abbreviations, -m tcp
 * implied or explicit, service names, host bits under a prefix, quoted
 * comments. Fixed scripts run first: every module's and target's -L text,
 * fail2ban-like and Docker-like command sequences.
 *
 * BFT_IPTCMD_SEED (default 1) and BFT_IPTCMD_SEQS (default 6 random
 * sequences of BFT_IPTCMD_LEN = 40 commands) size the campaign; on a
 * mismatch the scripts are kept in /tmp and the diff is printed.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>

#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bftest.h"
#include "bpfilter/helper.h"

#define DEF_SEQS 6
#define DEF_LEN 40

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, uint32_t percent)
{
	return below(r, 100) < percent;
}

#define PICK(r, a) ((a)[below((r), ARRAY_SIZE(a))])

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* A growing string. */
struct buf {
	char *p;
	size_t len, cap;
};

static void bput(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bput(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (b->p && b->len + (size_t)n < b->cap)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	b->len += (size_t)n;
}

/* Shell single quotes around s. */
static void bquote(struct buf *b, const char *s)
{
	bput(b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			bput(b, "'\\''");
		else
			bput(b, "%c", *s);
	}
	bput(b, "'");
}

/* ---- rules --------------------------------------------------------- */

static const char *const user_chains[] = { "web", "f2b-sshd", "DOCKER",
					   "DOCKER-USER", "c1" };
static const char *const builtins[] = { "INPUT", "FORWARD", "OUTPUT" };

/* One option of a rule: up to 3 spellings of the same meaning. */
struct part {
	char s[3][128];
	int n;
};

static void part_set(struct part *p, int n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		snprintf(p->s[i], sizeof(p->s[i]), "%s",
			 va_arg(ap, const char *));
	va_end(ap);
	p->n = n;
}

/* Append parts[0..n) to b in a random order, each in a random spelling. */
static void put_parts(struct buf *b, struct part *parts, int n, struct rng *sp,
		      bool shuffle)
{
	int order[16];

	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; shuffle && i > 0; i--) {
		int j = (int)below(sp, (uint32_t)i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < n; i++) {
		struct part *p = &parts[order[i]];

		bput(b, " %s", p->s[below(sp, (uint32_t)p->n)]);
	}
}

/* Address part: -s/-d with negation and spellings. */
static void addr_part(struct part *p, struct rng *m, struct rng *sp, bool v6,
		      char opt)
{
	static const char *const a4[] = {
		"192.0.2.7",
		"198.51.100.0/24",
		"10.0.0.1/8",
		"203.0.113.5/32",
		"192.0.2.0/255.255.255.0",
		"192.0.2.1,192.0.2.2",
		"0.0.0.0/0",
		"198.51.100.130/25",
	};
	static const char *const a6[] = {
		"2001:db8::7",
		"2001:db8:1::/64",
		"2001:db8::1/32",
		"2001:DB8::9",
		"2001:db8::1,2001:db8::2",
		"::/0",
		"2001:db8:0:0::5/128",
	};
	const char *a = v6 ? PICK(m, a6) : PICK(m, a4);
	/* ! with a /0 mask: refused, as iptables-nft does (doc/front-ipt.md) */
	bool neg = chance(m, 20) && !strchr(a, ',') && strcmp(a, "0.0.0.0/0") &&
		   strcmp(a, "::/0");
	const char *lo = opt == 's' ? "--source" : "--destination";
	const char *ab = opt == 's' ? "--src" : "--dst";

	(void)sp;
	snprintf(p->s[0], sizeof(p->s[0]), "%s-%c %s", neg ? "! " : "", opt, a);
	snprintf(p->s[1], sizeof(p->s[1]), "%s%s %s", neg ? "! " : "", lo, a);
	snprintf(p->s[2], sizeof(p->s[2]), "%s%s %s", neg ? "! " : "", ab, a);
	p->n = 3;
}

static void iface_part(struct part *p, struct rng *m, char opt)
{
	static const char *const names[] = { "eth0", "eth+", "veth-x", "lo",
					     "br0.10" };
	const char *n = PICK(m, names);
	bool neg = chance(m, 20);

	snprintf(p->s[0], sizeof(p->s[0]), "%s-%c %s", neg ? "! " : "", opt, n);
	snprintf(p->s[1], sizeof(p->s[1]), "%s--%s-interface %s",
		 neg ? "! " : "", opt == 'i' ? "in" : "out", n);
	snprintf(p->s[2], sizeof(p->s[2]), "%s--%s %s", neg ? "! " : "",
		 opt == 'i' ? "in-int" : "out-int", n);
	p->n = 3;
}

/* tcp/udp port option. */
static void port_part(struct part *p, struct rng *m, const char *dir,
		      const char *longdir)
{
	static const char *const ports[][2] = {
		{ "22", "ssh" },    { "80", "http" },	 { "1000:2000", NULL },
		{ ":1023", NULL },  { "1024:", NULL },	 { "53", "domain" },
		{ "443", "https" }, { "0:65535", NULL }, { "5000:5000", NULL },
	};
	int k = (int)below(m, ARRAY_SIZE(ports));
	const char *num = ports[k][0], *name = ports[k][1];
	/* not "! --dport 0:65535": legacy's save drops that "!"
	 * (doc/front-ipt.md) */
	bool neg = chance(m, 15) && strcmp(num, "0:65535");
	const char *n = neg ? "! " : "";

	snprintf(p->s[0], sizeof(p->s[0]), "%s--%s %s", n, dir, num);
	snprintf(p->s[1], sizeof(p->s[1]), "%s--%s %s", n, longdir, num);
	snprintf(p->s[2], sizeof(p->s[2]), "%s--%s %s", n, dir,
		 name ? name : num);
	p->n = 3;
}

static const char *const comments[] = {
	"hello world", "it's",		 "say \"hi\"", "-L",
	"x",	       "fail2ban: sshd", "a  b",
};

/* A rule specification (no chain): its meaning from seed `meaning`, its
 * spelling from sp. jumps: may jump to user chains. */
static void gen_rule(struct buf *b, uint32_t meaning, struct rng *sp, bool v6,
		     const char *chain)
{
	struct rng m = { .s = 0x9E3779B97F4A7C15ULL ^
			      ((uint64_t)meaning << 17) ^ meaning };
	struct part base[8], mod[8];
	int nb = 0, nm;
	const char *proto = NULL;
	uint32_t k;

	rnd(&m);
	if (chance(&m, 40))
		addr_part(&base[nb++], &m, sp, v6, 's');
	if (chance(&m, 30))
		addr_part(&base[nb++], &m, sp, v6, 'd');
	if (chance(&m, 20) && strcmp(chain, "OUTPUT"))
		iface_part(&base[nb++], &m, 'i');
	if (chance(&m, 15) && strcmp(chain, "INPUT"))
		iface_part(&base[nb++], &m, 'o');
	k = below(&m, 10);
	if (k < 4)
		proto = "tcp";
	else if (k < 6)
		proto = "udp";
	else if (k == 6)
		proto = v6 ? "ipv6-icmp" : "icmp";
	else if (k == 7)
		proto = chance(&m, 50) ? "47" : "sctp";
	if (proto) {
		bool neg = !strcmp(proto, "47") && chance(&m, 50);
		const char *alt = !strcmp(proto, "tcp")	      ? "6" :
				  !strcmp(proto, "udp")	      ? "UDP" :
				  !strcmp(proto, "icmp")      ? "1" :
				  !strcmp(proto, "ipv6-icmp") ? "icmpv6" :
								proto;

		snprintf(base[nb].s[0], sizeof(base[nb].s[0]), "%s-p %s",
			 neg ? "! " : "", proto);
		snprintf(base[nb].s[1], sizeof(base[nb].s[1]),
			 "%s--protocol %s", neg ? "! " : "", alt);
		base[nb].n = 2;
		nb++;
	}
	put_parts(b, base, nb, sp, true);

	/* The protocol's own options, after -p (-m tcp implied or not). */
	if (proto && (!strcmp(proto, "tcp") || !strcmp(proto, "udp"))) {
		bool tcp = !strcmp(proto, "tcp");

		nm = 0;
		if (chance(&m, 60))
			port_part(&mod[nm++], &m, "dport", "destination-port");
		if (chance(&m, 25))
			port_part(&mod[nm++], &m, "sport", "source-port");
		if (tcp && chance(&m, 20)) {
			bool neg = chance(&m, 20);

			part_set(&mod[nm], 2,
				 neg ? "! --tcp-flags FIN,SYN,RST,ACK SYN" :
				       "--tcp-flags FIN,SYN,RST,ACK SYN",
				 neg ? "! --syn" : "--syn");
			nm++;
		} else if (tcp && chance(&m, 10)) {
			part_set(&mod[nm++], 2, "--tcp-flags SYN,ACK SYN",
				 "--tcp-flags ACK,SYN SYN");
		}
		if (nm) {
			if (chance(sp, 40))
				bput(b, " -m %s", proto);
			put_parts(b, mod, nm, sp, true);
		}
		if (chance(&m, 20)) {
			static const char *const lists[] = { "22,80,443",
							     "1000:2000,22",
							     "53", "80,8080" };
			const char *l = PICK(&m, lists);
			bool neg = chance(&m, 15);
			int d = (int)below(&m, 3);
			static const char *const o[3][2] = {
				{ "dports", "destination-ports" },
				{ "sports", "source-ports" },
				{ "ports", "ports" },
			};

			bput(b, " -m multiport %s--%s %s", neg ? "! " : "",
			     o[d][below(sp, 2)], l);
		}
	} else if (proto && !strcmp(proto, "icmp") && chance(&m, 60)) {
		static const char *const t[][2] = {
			{ "echo-request", "8" },
			{ "destination-unreachable", "3" },
			{ "port-unreachable", "3/3" },
			{ "any", "any" },
		};
		k = below(&m, ARRAY_SIZE(t));
		bput(b, "%s --icmp-type %s", chance(sp, 30) ? " -m icmp" : "",
		     t[k][below(sp, 2)]);
	} else if (proto && !strcmp(proto, "ipv6-icmp") && chance(&m, 60)) {
		static const char *const t[][2] = {
			{ "echo-request", "128" },
			{ "neighbour-solicitation", "135" },
			{ "destination-unreachable", "1" },
		};
		k = below(&m, ARRAY_SIZE(t));
		bput(b, "%s --icmpv6-type %s",
		     chance(sp, 30) ? " -m icmp6" : "", t[k][below(sp, 2)]);
	}

	/* Modules, in the meaning's order (the order is part of a rule). */
	if (chance(&m, 15)) {
		static const char *const st[][2] = {
			{ "NEW,ESTABLISHED", "ESTABLISHED,NEW" },
			{ "RELATED,ESTABLISHED", "ESTABLISHED,RELATED" },
			{ "INVALID", "INVALID" },
		};
		k = below(&m, ARRAY_SIZE(st));
		bput(b, " -m state %s--state %s", chance(&m, 10) ? "! " : "",
		     st[k][below(sp, 2)]);
	}
	if (chance(&m, 15)) {
		static const char *const st[][2] = {
			{ "RELATED,ESTABLISHED", "ESTABLISHED,RELATED" },
			{ "NEW", "NEW" },
			{ "INVALID,UNTRACKED", "UNTRACKED,INVALID" },
		};
		k = below(&m, ARRAY_SIZE(st));
		bput(b, " -m conntrack %s--ctstate %s",
		     chance(&m, 10) ? "! " : "", st[k][below(sp, 2)]);
	}
	if (chance(&m, 6)) {
		static const char *const lim[][2] = {
			{ "5/min", "5/minute" },
			{ "10/s", "10/second" },
			{ "1/hour", "1/h" },
		};
		k = below(&m, ARRAY_SIZE(lim));
		nm = 0;
		part_set(&mod[nm++], 1, "");
		snprintf(mod[0].s[0], sizeof(mod[0].s[0]), "--limit %s",
			 lim[k][0]);
		snprintf(mod[0].s[1], sizeof(mod[0].s[1]), "--limit %s",
			 lim[k][1]);
		mod[0].n = 2;
		if (chance(&m, 50))
			part_set(&mod[nm++], 1, "--limit-burst 10");
		bput(b, " -m limit");
		put_parts(b, mod, nm, sp, true);
	}
	if (chance(&m, 6)) {
		static const char *const mk[][2] = {
			{ "0x1/0xff", "1/255" },
			{ "0x10", "16" },
		};
		k = below(&m, ARRAY_SIZE(mk));
		bput(b, " -m mark %s--mark %s", chance(&m, 20) ? "! " : "",
		     mk[k][below(sp, 2)]);
	}
	if (!v6 && chance(&m, 5))
		bput(b, " -m iprange %s--src-range 192.0.2.1-192.0.2.9",
		     chance(&m, 20) ? "! " : "");
	if (chance(&m, 15)) {
		const char *c = PICK(&m, comments);

		bput(b, " -m comment --comment ");
		if (chance(sp, 50) && !strchr(c, '"') && !strchr(c, '$'))
			bput(b, "\"%s\"", c);
		else
			bquote(b, c);
	}

	/* The target. */
	k = below(&m, 20);
	if (k < 5) {
		bput(b, " %s ACCEPT", chance(sp, 20) ? "--jump" : "-j");
	} else if (k < 9) {
		bput(b, " -j DROP");
	} else if (k < 10) {
		bput(b, " -j RETURN");
	} else if (k < 12) {
		/* no target */
	} else if (k < 14) {
		bput(b, " %s %s", chance(&m, 25) ? "-g" : "-j",
		     PICK(&m, user_chains));
	} else if (k < 17) {
		static const char *const lvl[][2] = { { "4", "warning" },
						      { "7", "debug" },
						      { "0", "emerg" } };
		static const char *const pfx[] = { "pfx: ", "[f2b] ",
						   "drop \"x\"" };
		nm = 0;
		if (chance(&m, 70)) {
			mod[nm].n = 1;
			snprintf(mod[nm].s[0], sizeof(mod[nm].s[0]),
				 "--log-prefix ");
			{
				struct buf q = { 0 };

				bquote(&q, PICK(&m, pfx));
				snprintf(mod[nm].s[0], sizeof(mod[nm].s[0]),
					 "--log-prefix %s", q.p);
				free(q.p);
			}
			nm++;
		}
		if (chance(&m, 50)) {
			k = below(&m, ARRAY_SIZE(lvl));
			snprintf(mod[nm].s[0], sizeof(mod[nm].s[0]),
				 "--log-level %s", lvl[k][0]);
			snprintf(mod[nm].s[1], sizeof(mod[nm].s[1]),
				 "--log-level %s", lvl[k][1]);
			mod[nm++].n = 2;
		}
		if (chance(&m, 20))
			part_set(&mod[nm++], 1, "--log-tcp-options");
		if (chance(&m, 10))
			part_set(&mod[nm++], 1, "--log-uid");
		bput(b, " -j LOG");
		put_parts(b, mod, nm, sp, true);
	} else {
		static const char *const rw4[] = { "icmp-port-unreachable",
						   "icmp-host-prohibited",
						   "icmp-net-unreachable",
						   "icmp-admin-prohibited" };
		static const char *const rw6[] = { "icmp6-port-unreachable",
						   "icmp6-adm-prohibited",
						   "icmp6-no-route" };
		const char *w = v6 ? PICK(&m, rw6) : PICK(&m, rw4);

		if (proto && !strcmp(proto, "tcp") && chance(&m, 40))
			w = "tcp-reset";
		bput(b, " -j REJECT");
		if (chance(&m, 75))
			bput(b, " --reject-with %s", w);
	}
}

/* ---- commands ------------------------------------------------------ */

/* Up to this many rule meanings remembered, to name them again. */
#define MAX_SEEN 64

struct seen {
	uint32_t meaning;
	bool v6;
	const char *chain;
};

struct gen {
	struct rng r;
	struct seen seen[MAX_SEEN];
	int n_seen;
	int cmds;
	/* The sequence deleted or renamed a built-in chain, which
	 * iptables-nft does (its base chains are ordinary nft chains) and
	 * legacy refuses: its saves are not compared with iptables-nft. */
	bool nft_differs;
};

static bool is_builtin(const char *chain)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
		if (!strcmp(chain, builtins[i]))
			return true;
	}
	return false;
}

static const char *any_chain(struct gen *g)
{
	uint32_t k = below(&g->r, 20);

	if (k < 12)
		return PICK(&g->r, builtins);
	if (k < 19)
		return PICK(&g->r, user_chains);
	return k & 1 ? "nochain" : "PREROUTING";
}

static void listing_flags(struct buf *b, struct gen *g)
{
	static const char *const f[] = { " -v",	       " -n",
					 " -x",	       " --line-numbers",
					 " --verbose", " --numeric",
					 " --exact" };

	bool verbose = false;

	for (int i = 0; i < 3; i++) {
		const char *o = PICK(&g->r, f);
		bool v = !strcmp(o, " -v") || !strcmp(o, " --verbose");

		if (!chance(&g->r, 40) || (v && verbose))
			continue; /* -v -v: libiptc's dump (doc/front-ipt.md) */
		verbose |= v;
		bput(b, "%s", o);
	}
}

/* One random command, with "$I" or "$I6" as the iptables to run. */
static void gen_cmd(struct buf *b, struct gen *g)
{
	bool v6 = chance(&g->r, 30);
	const char *I = v6 ? "$I6" : "$I";
	uint32_t k = below(&g->r, 100);
	const char *chain = any_chain(g);
	struct seen *s = NULL;

	g->cmds++;
	if (g->n_seen && k < 30) {
		/* name a rule seen earlier, spelt anew */
		s = &g->seen[below(&g->r, (uint32_t)g->n_seen)];
		v6 = s->v6;
		I = v6 ? "$I6" : "$I";
		if (chance(&g->r, 85))
			chain = s->chain;
	}
	bput(b, "%s", I);
	if (chance(&g->r, 8))
		bput(b, " %s",
		     chance(&g->r, 50) ? "-w" :
		     chance(&g->r, 50) ? "-w 5" :
					 "--wait");
	if (chance(&g->r, 6))
		bput(b, " %s filter", chance(&g->r, 50) ? "-t" : "--table");
	/* one -v at most: -v -v adds libiptc's dump (doc/front-ipt.md) */
	if (chance(&g->r, 8) && k < 82)
		bput(b, " -v");
	if (s) {
		static const char *const c[] = { "-C",	    "-D", "-C",
						 "-D",	    "-A", "--check",
						 "--delete" };

		bput(b, " %s %s", PICK(&g->r, c), chain);
		gen_rule(b, s->meaning, &g->r, v6, chain);
	} else if (k < 55) {
		uint32_t meaning = rnd(&g->r);
		uint32_t c = below(&g->r, 10);

		if (c < 5)
			bput(b, " %s %s", chance(&g->r, 10) ? "--append" : "-A",
			     chain);
		else if (c < 8)
			bput(b, " -I %s%s", chain,
			     chance(&g->r, 50) ? "" :
			     chance(&g->r, 70) ? " 1" :
			     chance(&g->r, 50) ? " 2" :
						 " 5");
		else if (c < 9)
			bput(b, " -R %s %u", chain, 1 + below(&g->r, 3));
		else
			bput(b, " -C %s", chain);
		gen_rule(b, meaning, &g->r, v6, chain);
		if (g->n_seen < MAX_SEEN)
			g->seen[g->n_seen++] =
				(struct seen){ meaning, v6, chain };
		else
			g->seen[below(&g->r, MAX_SEEN)] =
				(struct seen){ meaning, v6, chain };
	} else if (k < 62) {
		bput(b, " -N %s",
		     chance(&g->r, 90) ? PICK(&g->r, user_chains) :
		     chance(&g->r, 50) ? "INPUT" :
					 "'a b'");
	} else if (k < 65) {
		bool named = chance(&g->r, 85);

		bput(b, " -X%s%s", chance(&g->r, 85) ? " " : "",
		     named ? chain : "");
		g->nft_differs |= named && is_builtin(chain);
	} else if (k < 67) {
		bput(b, " -E %s %s", chain, PICK(&g->r, user_chains));
		g->nft_differs |= is_builtin(chain);
	} else if (k < 70) {
		bput(b, " -F%s%s", chance(&g->r, 70) ? " " : "",
		     chance(&g->r, 70) ? chain : "");
	} else if (k < 74) {
		bput(b, " -Z");
		if (chance(&g->r, 60))
			bput(b, " %s", chain);
		if (chance(&g->r, 30))
			bput(b, " %u", 1 + below(&g->r, 4));
	} else if (k < 78) {
		static const char *const pol[] = { "ACCEPT", "DROP", "DROP",
						   "RETURN", "FOO" };

		bput(b, " -P %s %s", chain, PICK(&g->r, pol));
	} else if (k < 82) {
		bput(b, " -D %s %u", chain, 1 + below(&g->r, 4));
	} else if (k < 92) {
		bput(b, " -L");
		if (chance(&g->r, 70))
			bput(b, " %s", chain);
		if (chance(&g->r, 20))
			bput(b, " %u", 1 + below(&g->r, 3));
		/* -n: the kernel's iptables would resolve host names */
		bput(b, " -n");
		listing_flags(b, g);
	} else {
		bput(b, " -S");
		if (chance(&g->r, 60))
			bput(b, " %s", chain);
		if (chance(&g->r, 15))
			bput(b, " %u", 1 + below(&g->r, 3));
		if (chance(&g->r, 30))
			bput(b, " -v");
	}
	bput(b, "; echo rc=$?\n");
}

/* fail2ban's iptables-multiport action, as it runs it. */
static const char f2b_script[] =
	"$I -N f2b-sshd\n"
	"$I -A f2b-sshd -j RETURN\n"
	"$I -I INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n"
	"$I -C INPUT -p tcp -m multiport --dports 22 -j f2b-sshd; echo rc=$?\n"
	"$I -C f2b-sshd -s 192.0.2.7 -j REJECT --reject-with "
	"icmp-port-unreachable; echo rc=$?\n"
	"$I -I f2b-sshd 1 -s 192.0.2.7 -j REJECT --reject-with "
	"icmp-port-unreachable\n"
	"$I -C f2b-sshd -s 192.0.2.7 -j REJECT --reject-with "
	"icmp-port-unreachable; echo rc=$?\n"
	"$I -w -I f2b-sshd 1 -s 198.51.100.9 -j REJECT --reject-with "
	"icmp-port-unreachable\n"
	"$I -D f2b-sshd -s 192.0.2.7 -j REJECT --reject-with "
	"icmp-port-unreachable; echo rc=$?\n"
	"$I -D f2b-sshd -s 192.0.2.7 -j REJECT --reject-with "
	"icmp-port-unreachable; echo rc=$?\n"
	"$I -S f2b-sshd; $I -L f2b-sshd -n --line-numbers\n"
	"$I -X f2b-sshd; echo rc=$?\n"
	"$I -N lone; $I -A lone -j RETURN; $I -X lone; echo rc=$?; $I -X; "
	"echo rc=$?; $I -F lone; $I -X lone\n"
	"$I -D INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n"
	"$I -F f2b-sshd; $I -X f2b-sshd; echo rc=$?\n"
	"$I6 -N f2b-sshd; $I6 -A f2b-sshd -j RETURN\n"
	"$I6 -I INPUT -p tcp -m multiport --dports 22 -j f2b-sshd\n"
	"$I6 -I f2b-sshd 1 -s 2001:db8::7 -j REJECT --reject-with "
	"icmp6-port-unreachable\n"
	"$I6 -C f2b-sshd -s 2001:db8::7/128 -j REJECT --reject-with "
	"icmp6-port-unreachable; echo rc=$?\n"
	"$I6 -D f2b-sshd -s 2001:db8::7 -j REJECT; echo rc=$?\n"
	"$I6 -S\n";

/* What dockerd runs at start and for a published port. */
static const char docker_script[] =
	"$I -N DOCKER; $I -N DOCKER-ISOLATION-STAGE-1; "
	"$I -N DOCKER-ISOLATION-STAGE-2; $I -N DOCKER-USER\n"
	"$I -C FORWARD -j DOCKER-USER; echo rc=$?\n"
	"$I -I FORWARD -j DOCKER-USER\n"
	"$I -C DOCKER-USER -j RETURN || $I -A DOCKER-USER -j RETURN\n"
	"$I -C FORWARD -j DOCKER-ISOLATION-STAGE-1 || "
	"$I -I FORWARD -j DOCKER-ISOLATION-STAGE-1\n"
	"$I -C FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED "
	"-j ACCEPT || $I -A FORWARD -o docker0 -m conntrack --ctstate "
	"RELATED,ESTABLISHED -j ACCEPT\n"
	"$I -A FORWARD -o docker0 -j DOCKER\n"
	"$I -A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n"
	"$I -A FORWARD -i docker0 -o docker0 -j ACCEPT\n"
	"$I -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j "
	"DOCKER-ISOLATION-STAGE-2\n"
	"$I -A DOCKER-ISOLATION-STAGE-1 -j RETURN\n"
	"$I -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP\n"
	"$I -A DOCKER-ISOLATION-STAGE-2 -j RETURN\n"
	"$I -C DOCKER -d 198.51.100.2/32 ! -i docker0 -o docker0 -p tcp -m tcp "
	"--dport 80 -j ACCEPT; echo rc=$?\n"
	"$I -A DOCKER -d 198.51.100.2/32 ! -i docker0 -o docker0 -p tcp -m tcp "
	"--dport 80 -j ACCEPT\n"
	"$I -C DOCKER -d 198.51.100.2 ! -i docker0 -o docker0 -p tcp --dport "
	"80 -j ACCEPT; echo rc=$?\n"
	"$I --wait -t filter -D DOCKER -d 198.51.100.2/32 ! -i docker0 -o "
	"docker0 -p tcp -m tcp --dport 80 -j ACCEPT; echo rc=$?\n"
	"$I -X DOCKER-ISOLATION-STAGE-2; echo rc=$?\n"
	"$I -E DOCKER-USER DOCKER-USER2; echo rc=$?\n"
	"$I -S; $I -L FORWARD -v -n -x --line-numbers\n"
	/* iptables-restore --noflush through the link */
	"printf '*filter\\n:DOCKER - [0:0]\\n-A DOCKER -s 192.0.2.99/32 -j "
	"DROP\\n-I FORWARD 1 -j DOCKER\\nCOMMIT\\n' | $R --noflush; "
	"echo rc=$?; $I -S FORWARD; $I -S DOCKER\n"
	"printf '*filter\\n-A INPUT -s 2001:db8::99 -j DROP\\nCOMMIT\\n' | "
	"$R6 --noflush; echo rc=$?; $I6 -S INPUT\n";

/* iptables -L of every module and target the generator uses, with and
 * without -n (service names, flag names, LOG levels). */
static const char list_script[] =
	"$I -A INPUT -j REJECT\n"
	"$I -A INPUT -p tcp -j REJECT --reject-with tcp-reset\n"
	"$I -A INPUT -j REJECT --reject-with icmp-host-prohibited\n"
	"$I -A INPUT -j LOG\n"
	"$I -A INPUT -j LOG --log-prefix 'pfx: ' --log-level 7 "
	"--log-tcp-options --log-uid\n"
	"$I -A INPUT -j LOG --log-level 3 --log-ip-options "
	"--log-tcp-sequence --log-macdecode\n"
	"$I -A INPUT -m state --state NEW,ESTABLISHED\n"
	"$I -A INPUT -m state ! --state INVALID\n"
	"$I -A INPUT -m conntrack ! --ctstate INVALID,UNTRACKED\n"
	"$I -A INPUT -m limit --limit 5/min\n"
	"$I -A INPUT -m limit --limit 10/s --limit-burst 10\n"
	"$I -A INPUT -m limit --limit 3/day --limit-burst 1\n"
	"$I -A INPUT -m mark --mark 0x1/0xff\n"
	"$I -A INPUT -m mark ! --mark 16\n"
	"$I -A INPUT -m iprange ! --src-range 192.0.2.1-192.0.2.9\n"
	"$I -A INPUT -m comment --comment 'say \"hi\"'\n"
	"$I -A INPUT -p tcp --syn\n"
	"$I -A INPUT -p tcp ! --syn --dport 22\n"
	"$I -A INPUT -p tcp --tcp-flags ALL NONE\n"
	"$I -A INPUT -p tcp ! --sport 1000:2000 --dport ssh\n"
	"$I -A INPUT -p tcp -m multiport ! --dports 22,80\n"
	"$I -A INPUT -p udp -m multiport --ports 1000:2000,22\n"
	"$I -A INPUT -p sctp\n"
	"$I -A INPUT -p udp --sport 0:65535\n"
	"$I -A INPUT -p tcp -m tcp\n"
	"$I -A INPUT ! -p 47\n"
	"$I -A INPUT -p icmp --icmp-type any\n"
	"$I -A INPUT -p icmp --icmp-type 3/3\n"
	"$I -A INPUT -p icmp ! --icmp-type 8\n"
	"$I -L INPUT -n; $I -L INPUT -n -v -x --line-numbers; $I -L INPUT\n"
	"$I6 -A INPUT -p ipv6-icmp ! --icmpv6-type 128\n"
	"$I6 -A INPUT -p ipv6-icmp --icmpv6-type 1/3\n"
	"$I6 -A INPUT -j REJECT\n"
	"$I6 -A INPUT -j REJECT --reject-with icmp6-adm-prohibited\n"
	"$I6 -L INPUT; $I6 -L INPUT -n\n";

/* -L / -S text of the modules added in session 7 (libxt_ecn, u32, quota,
 * policy, helper, connbytes, dscp, tos print functions) and of mac,
 * connmark, pkttype, length, ttl, hl, tcpmss, statistic, owner, rt, time
 * and conntrack beyond --ctstate, their "!" forms
 * and option combinations; only rules both sides accept (the kernel's
 * checks, e.g. policy --dir out in INPUT, are worded otherwise by
 * bpfilter). Its iptables-save is compared with legacy only. */
static const char mods_script[] =
	"$I -A INPUT -p tcp -m ecn --ecn-tcp-cwr\n"
	"$I -A INPUT -p tcp -m ecn ! --ecn-tcp-ece --ecn-ip-ect 2\n"
	"$I -A INPUT -m ecn ! --ecn-ip-ect 3\n"
	"$I -A INPUT -m u32 --u32 '0>>22&0x3C@0>>16=0x0:0x1ff'\n"
	"$I -A INPUT -m u32 ! --u32 '6&0xFF=1&&4&0x3FFF=0'\n"
	"$I -A INPUT -m u32 --u32 '6&0xFF=6,17 && "
	"0>>22&0x3C@0&0xFFFF=53:60,1:2'\n"
	"$I -A INPUT -m u32 --u32 '0>>22&0x3C@12>>26&0x3C@0=0x47455420' "
	"-m u32 ! --u32 '0<<1=5'\n"
	"$I -A INPUT -m quota --quota 100\n"
	"$I -A INPUT -m quota ! --quota 0x10\n"
	"$I -A INPUT -m quota --quota 18446744073709551615\n"
	"$I -A INPUT -m policy --dir in --pol none\n"
	"$I -A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 "
	"--spi 0x10 --proto esp --mode tunnel --tunnel-src 192.0.2.1 "
	"--tunnel-dst 198.51.100.0/24\n"
	"$I -A INPUT -m policy --dir in --pol ipsec ! --reqid 5 ! --proto ah "
	"! --mode transport\n"
	"$I -A INPUT -m policy --dir in --pol ipsec --strict --proto ipcomp "
	"--next ! --spi 7 --next --mode transport\n"
	"$I -A OUTPUT -m policy --dir out --pol ipsec ! --spi 7 --mode tunnel "
	"! --tunnel-src 192.0.2.0/24 "
	"! --tunnel-dst 203.0.113.5/255.255.0.255\n"
	"$I -A INPUT -m helper --helper ftp\n"
	"$I -A INPUT -m helper ! --helper 'sip'\n"
	"$I -A INPUT -m helper --helper ''\n"
	"$I -A INPUT -m helper --helper 'a b\"c'\n"
	"$I -A INPUT -m connbytes --connbytes 10 --connbytes-dir original "
	"--connbytes-mode packets\n"
	"$I -A INPUT -m connbytes ! --connbytes 10:100 --connbytes-dir both "
	"--connbytes-mode bytes\n"
	"$I -A INPUT -m connbytes --connbytes 0:5 --connbytes-dir reply "
	"--connbytes-mode avgpkt\n"
	"$I -A INPUT -m connbytes --connbytes 3: --connbytes-dir reply "
	"--connbytes-mode avgpkt\n"
	"$I -A INPUT -m connbytes ! --connbytes 3 --connbytes-dir reply "
	"--connbytes-mode bytes\n"
	"$I -A INPUT -m connbytes --connbytes :7 --connbytes-dir reply "
	"--connbytes-mode bytes\n"
	"$I -A INPUT -m dscp --dscp 10\n"
	"$I -A INPUT -m dscp ! --dscp-class EF\n"
	"$I -A INPUT -m tos --tos 0x10\n"
	"$I -A INPUT -m tos ! --tos Minimize-Delay\n"
	"$I -A INPUT -m tos --tos 0x08/0x0f\n"
	"$I -A INPUT -m dscp --dscp 0 -m quota --quota 1 -m helper --helper x\n"
	"$I -A INPUT -m mac --mac-source 00:11:22:33:44:55\n"
	"$I -A INPUT -m mac ! --mac-source 00:11:22:33:44:aa\n"
	"$I -A INPUT -m connmark --mark 0x5/0xf\n"
	"$I -A INPUT -m connmark ! --mark 7\n"
	"$I -A INPUT -m pkttype --pkt-type broadcast\n"
	"$I -A INPUT -m pkttype ! --pkt-type host\n"
	"$I -A INPUT -m length --length 100:200 -m length ! --length 64\n"
	"$I -A INPUT -m ttl --ttl-eq 64\n"
	"$I -A INPUT -m ttl --ttl-gt 3 -m ttl ! --ttl-eq 1 -m ttl --ttl-lt 9\n"
	"$I -A INPUT -p tcp -m tcpmss --mss 500:1000\n"
	"$I -A INPUT -p tcp -m tcpmss ! --mss 536\n"
	"$I -A INPUT -m statistic --mode nth --every 3 --packet 1\n"
	"$I -A INPUT -m statistic --mode nth ! --every 5 --packet 0\n"
	"$I -A INPUT -m statistic --mode random --probability 0.25\n"
	"$I -A INPUT -m statistic --mode random ! --probability 0.1\n"
	"$I -A OUTPUT -m owner --uid-owner 0 ! --gid-owner 5\n"
	"$I -A OUTPUT -m owner --uid-owner 0-10 --socket-exists\n"
	"$I -A OUTPUT -m owner ! --socket-exists --gid-owner 0 "
	"--suppl-groups\n"
	"$I -A OUTPUT -m owner ! --uid-owner 65000 --gid-owner 3-4\n"
	"$I -A INPUT -m conntrack --ctstate NEW --ctproto tcp --ctorigsrc "
	"192.0.2.1 ! --ctorigdstport 80 --ctstatus ASSURED --ctdir REPLY "
	"--ctexpire 10:20\n"
	"$I -A INPUT -m conntrack --ctorigsrc 192.0.2.0/24 ! --ctreplsrc "
	"198.51.100.7 --ctrepldst 203.0.113.0/25 ! --ctorigdst 192.0.2.9\n"
	"$I -A INPUT -m conntrack ! --ctstate SNAT,DNAT,NEW ! --ctstatus "
	"SEEN_REPLY,CONFIRMED,EXPECTED ! --ctexpire 5 --ctdir ORIGINAL\n"
	"$I -A INPUT -m conntrack --ctorigsrcport 1000:2000 --ctreplsrcport 5 "
	"! --ctrepldstport 6:7 --ctproto udp\n"
	"$I -A INPUT -m conntrack ! --ctproto 6 --ctstatus NONE\n"
	"$I -A INPUT -m time --timestart 08:00 --timestop 17:00 "
	"--weekdays Mon,Tue\n"
	"$I -A INPUT -m time --datestart 2020-01-01T00:00:00 --monthdays 1,15 "
	"--kerneltz\n"
	"$I -A INPUT -m time --timestart 22:00 --timestop 02:00 --contiguous\n"
	"$I -A INPUT -m time ! --weekdays Sat,Sun --datestop "
	"2030-05-06T07:08:09\n"
	"$I -A INPUT -m time --monthdays 2,3,11,12,13,21,22,23,31 --weekdays "
	"Sun,Wed --timestart 01:02:03\n"
	"$I -A INPUT -m time ! --monthdays 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
	"16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"$I -A INPUT -m time --datestart 1970-01-01T00:00:01 --datestop "
	"2038-01-19T03:14:06 --utc\n"
	"$I -L INPUT -n; $I -L INPUT -n -v -x --line-numbers; $I -L INPUT\n"
	"$I -L OUTPUT -n; $I -L OUTPUT; $I -S INPUT; $I -S OUTPUT\n"
	"$I6 -A INPUT -p tcp -m ecn --ecn-tcp-cwr ! --ecn-ip-ect 2\n"
	"$I6 -A INPUT -m u32 --u32 '0>>4&0xFF=0x10'\n"
	"$I6 -A INPUT -m quota --quota 5\n"
	"$I6 -A INPUT -m policy --dir in --pol ipsec --tunnel-src 2001:db8::1 "
	"--tunnel-dst 2001:db8::/64 --mode tunnel\n"
	"$I6 -A OUTPUT -m policy --dir out --pol ipsec "
	"! --tunnel-src 2001:db8::/48 --proto ipcomp --mode tunnel\n"
	"$I6 -A OUTPUT -m policy --dir out --pol ipsec --strict --proto 50 "
	"--next --reqid 9\n"
	"$I6 -A INPUT -m helper --helper ftp\n"
	"$I6 -A INPUT -m connbytes --connbytes 1:2 --connbytes-dir both "
	"--connbytes-mode avgpkt\n"
	"$I6 -A INPUT -m dscp --dscp 0x3f\n"
	"$I6 -A INPUT -m tos ! --tos 2/0x3\n"
	"$I6 -A INPUT -m hl --hl-eq 64 -m hl ! --hl-eq 255\n"
	"$I6 -A INPUT -m hl --hl-lt 5 -m hl --hl-gt 1 -m length ! --length 40\n"
	"$I6 -A INPUT -m rt --rt-type 0 --rt-segsleft 2:5 --rt-len 8\n"
	"$I6 -A INPUT -m rt ! --rt-type 2 ! --rt-segsleft 3\n"
	"$I6 -A INPUT -m rt ! --rt-len 16 --rt-segsleft 0:4294967295\n"
	"$I6 -A INPUT -m rt ! --rt-segsleft 0:4294967295 --rt-0-res\n"
	"$I6 -A INPUT -m conntrack --ctorigsrc 2001:db8::/64 --ctstate "
	"ESTABLISHED ! --ctrepldst 2001:db8::5\n"
	"$I6 -A INPUT -m frag --fragid 1 --fragfirst\n"
	"$I6 -A INPUT -m frag --fragid 1:2 ! --fraglen 8 --fragres --fragmore\n"
	"$I6 -A INPUT -m frag ! --fragid 5: --fraglast -m frag\n"
	"$I6 -A INPUT -m hbh --hbh-len 8 --hbh-opts 1:4,5,0\n"
	"$I6 -A INPUT -m hbh ! --hbh-len 16 -m dst --dst-opts 0x05:2,194\n"
	"$I6 -A INPUT -m dst ! --dst-len 0 -m hbh\n"
	"$I6 -A INPUT -m ah --ahspi 100:200 --ahlen 16 --ahres\n"
	"$I6 -A INPUT -m ah ! --ahspi 7 ! --ahlen 12 -m ah --ahspi 0\n"
	"$I6 -A INPUT -p tcp -m ah --ahspi :9 -m ah\n"
	"$I6 -A INPUT -p mh -m mh --mh-type 5 -m mh ! --mh-type hoti:3\n"
	"$I6 -A INPUT -p 135 -m mh --mh-type ba: -m mh ! --mh-type :2 -m mh\n"
	"$I6 -A INPUT -p mh -m mh --mh-type binding-error:200\n"
	"$I -A INPUT -p ah -m ah --ahspi 4096:8191\n"
	"$I -A INPUT -p 51 -m ah ! --ahspi 300 -m ah\n"
	"$I -L INPUT -n; $I -L INPUT -v -x -n; $I -S INPUT\n"
	"$I6 -L INPUT -n; $I6 -L INPUT -v -x -n; $I6 -L INPUT; $I6 -S INPUT\n"
	"$I6 -L OUTPUT -n; $I6 -L OUTPUT; $I6 -S OUTPUT\n";

/* Options against commands (generic_opt_check()), flags given twice, and
 * what -v prints for each command (not -v -v: libiptc's dump of the
 * table, which bpfilter does not print). */
static const char opts_script[] =
	"$I -N c1; $I -A INPUT -s 192.0.2.1 -j ACCEPT\n"
	"for cmd in '-A INPUT -j ACCEPT' '-I INPUT -s 192.0.2.1,192.0.2.2 -j "
	"DROP' '-D INPUT -j ACCEPT' '-D INPUT 1' '-R INPUT 1 -j ACCEPT' "
	"'-C INPUT -j ACCEPT' '-L INPUT' '-S INPUT' '-F c1' '-Z c1' "
	"'-Z c1 1' '-N c2' '-X c2' '-P INPUT ACCEPT' '-E c1 c3' '-E c3 c1' "
	"'-L -Z' '-A nochain -j DROP' '-F nochain' '-X INPUT' "
	"'-I INPUT 9 -j DROP' '-C INPUT -p tcp -j REJECT'; do\n"
	"for f in -n -v -x --line-numbers '-n -n' '-x -x' "
	"'--line-numbers --line-numbers' '-c 1 2' -f '-s 192.0.2.1' "
	"'-p tcp' '-j ACCEPT' '-i eth0' '-o eth0'; do\n"
	"echo \"## $cmd $f\"; $I $cmd $f; echo rc=$?\n"
	"done; done\n"
	"$I -nL INPUT; echo rc=$?; $I -L INPUT -nn; echo rc=$?\n"
	"$I -vL INPUT; $I -Lv INPUT; $I -vnxL INPUT\n"
	"$I6 -A INPUT -s 2001:db8::/32 -p tcp --dport 22 -v\n"
	"$I6 -A INPUT -p ipv6-icmp -j REJECT -v\n"
	"$I6 -X -v; $I -F -v; $I -X -v; $I -Z -v\n"
	"$I -t foo -L; echo rc=$?; $I6 --table foo -S; echo rc=$?\n";

/* Put the families back to nothing: no rules, no user chains, ACCEPT. */
static void reset_cmds(struct buf *b)
{
	/* $RESET: `nft flush ruleset` for iptables-nft, whose built-in
	 * chains a sequence may have renamed or deleted; nothing else */
	bput(b, "$RESET\n");
	for (int f = 0; f < 2; f++) {
		const char *I = f ? "$I6" : "$I";

		bput(b, "%s -F; %s -X; %s -Z", I, I, I);
		for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
			bput(b, "; %s -P %s ACCEPT", I, builtins[i]);
		bput(b, "\n");
	}
}

/* "=== save N" sections are compared with iptables-nft, "=== lsave N"
 * ones only with legacy. */
static void save_cmds(struct buf *b, int seq, bool legacy_only)
{
	bput(b,
	     "echo '=== %ssave %d'; $S | grep -v '^#'; $S6 | grep -v '^#'; "
	     "echo '=== end'\n",
	     legacy_only ? "l" : "", seq);
}

/* The campaign as one script over $I, $I6, $S, $S6. */
static char *campaign(uint64_t seed, int seqs, int len)
{
	struct buf b = { 0 };
	struct gen g = { .r = { .s = seed * 0x9E3779B97F4A7C15ULL + 1 } };

	/* iptables-legacy does not always write one command's stdout and
	 * stderr in the same order (seen in CI: the rule line of "-A nochain
	 * -j DROP -v" before its error, where a run by hand gives it after),
	 * so on every side a command's stderr comes after all its stdout. */
	bput(&b, "E=$(mktemp); trap 'rm -f \"$E\"' EXIT\n"
		 "w() { \"$@\" 2>\"$E\"; r=$?; cat \"$E\" >&2; return $r; }\n"
		 "I=\"w $I\"; I6=\"w $I6\"; R=\"w $R\"; R6=\"w $R6\"; "
		 "S=\"w $S\"; S6=\"w $S6\"\n");
	bput(&b, "echo '## options'\n%s", opts_script);
	reset_cmds(&b);
	bput(&b, "echo '## list'\n%s", list_script);
	save_cmds(&b, -3, false);
	reset_cmds(&b);
	bput(&b, "echo '## modules'\n%s", mods_script);
	save_cmds(&b, -4, true);
	reset_cmds(&b);
	bput(&b, "echo '## f2b'\n%s", f2b_script);
	save_cmds(&b, -2, false);
	reset_cmds(&b);
	bput(&b, "echo '## docker'\n%s", docker_script);
	save_cmds(&b, -1, false);
	for (int s = 0; s < seqs; s++) {
		reset_cmds(&b);
		g.n_seen = 0;
		g.nft_differs = false;
		for (int i = 0; i < len; i++) {
			bput(&b, "echo '## %d.%d'\n", s, i);
			gen_cmd(&b, &g);
		}
		save_cmds(&b, s, g.nft_differs);
	}
	return b.p;
}

/* ---- running -------------------------------------------------------- */

static char ns_names[3][16];
static char linkdir[64];

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		if (ns_names[i][0])
			bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; "
			       "ip netns del %s 2>/dev/null",
			       ns_names[i], bft_bpfilter_bin(), ns_names[i]);
		ns_names[i][0] = '\0';
	}
	if (linkdir[0])
		bft_sh("rm -rf %s", linkdir);
	linkdir[0] = '\0';
	return 0;
}

static uint64_t env_num(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* The lines between "=== save" and "=== end" markers. */
static char *saves_of(const char *out)
{
	struct buf b = { 0 };
	bool in = false;

	bput(&b, "%s", "");
	for (const char *l = out; l && *l;) {
		const char *e = strchrnul(l, '\n');

		if (!strncmp(l, "=== save", 8))
			in = true;
		if (in)
			bput(&b, "%.*s\n", (int)(e - l), l);
		if (!strncmp(l, "=== end", 7))
			in = false;
		l = *e ? e + 1 : e;
	}
	return b.p;
}

static bool same_or_diff(const char *what, const char *a, const char *b,
			 const char *tag)
{
	char pa[96], pb[96];
	FILE *f;

	if (!strcmp(a, b))
		return true;
	snprintf(pa, sizeof(pa), "/tmp/bft-iptcmd-%d-%s-k.out", (int)getpid(),
		 tag);
	snprintf(pb, sizeof(pb), "/tmp/bft-iptcmd-%d-%s-b.out", (int)getpid(),
		 tag);
	f = fopen(pa, "w");
	fputs(a, f);
	fclose(f);
	f = fopen(pb, "w");
	fputs(b, f);
	fclose(f);
	printf("%s differs (< %s, > bpfilter; kept %s %s):\n", what, what, pa,
	       pb);
	bft_sh("diff %s %s | head -60", pa, pb);
	return false;
}

static void test_campaign(void **state)
{
	uint64_t seed = env_num("BFT_IPTCMD_SEED", 1);
	int seqs = (int)env_num("BFT_IPTCMD_SEQS", DEF_SEQS);
	int len = (int)env_num("BFT_IPTCMD_LEN", DEF_LEN);
	_cleanup_free_ char *script = campaign(seed, seqs, len);
	_cleanup_free_ char *out_k = NULL, *out_b = NULL, *out_n = NULL;
	_cleanup_free_ char *sv_n = NULL;
	char path[96], bin[PATH_MAX];
	bool ok = true, nft;
	FILE *f;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_non_null(realpath(bft_bpfilter_bin(), bin));
	snprintf(path, sizeof(path), "/tmp/bft-iptcmd-%d.sh", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	printf("seed %llu: %d sequences of %d commands + f2b + docker "
	       "(script %s)\n",
	       (unsigned long long)seed, seqs, len, path);

	/* links named like iptables' own binaries */
	snprintf(linkdir, sizeof(linkdir), "/tmp/bft-iptcmd-%d.d",
		 (int)getpid());
	assert_int_equal(bft_sh("mkdir -p %1$s && for n in iptables ip6tables "
				"iptables-save ip6tables-save "
				"iptables-restore ip6tables-restore; do "
				"ln -sf %2$s %1$s/$n; done",
				linkdir, bin),
			 0);
	nft = bft_sh("iptables-nft -V >/dev/null 2>&1 && "
		     "nft -v >/dev/null 2>&1") == 0;
	bft_unique_name(ns_names[0], sizeof(ns_names[0]), "ick");
	bft_unique_name(ns_names[1], sizeof(ns_names[1]), "icb");
	bft_unique_name(ns_names[2], sizeof(ns_names[2]), "icn");
	for (int i = 0; i < (nft ? 3 : 2); i++)
		assert_int_equal(bft_sh("ip netns add %s", ns_names[i]), 0);

	bft_sh_out(&out_k,
		   "ip netns exec %s env RESET=: I=iptables-legacy "
		   "I6=ip6tables-legacy R=iptables-legacy-restore "
		   "R6=ip6tables-legacy-restore "
		   "S=iptables-legacy-save S6=ip6tables-legacy-save "
		   "sh %s 2>&1 | sed 's/v1.8.9 (legacy)/v1.8.9 (bpfilter)/'",
		   ns_names[0], path);
	/* bpfilter through `bpfilter iptables` for IPv4 and through the
	 * links for IPv6 and the saves (argv[0] decides). */
	bft_sh_out(&out_b,
		   "ip netns exec %1$s env RESET=: I='%2$s iptables' "
		   "R=%3$s/iptables-restore R6=%3$s/ip6tables-restore "
		   "I6=%3$s/ip6tables S=%3$s/iptables-save "
		   "S6='%2$s ip6tables-save' sh %4$s 2>&1 | "
		   "grep -v \"^ip6\\?tables: target 'REJECT' at nf: BPF "
		   "netfilter programs can only accept or drop\"",
		   ns_names[1], bin, linkdir, path);
	if (nft)
		bft_sh_out(&out_n,
			   "ip netns exec %s env 'RESET=nft flush ruleset' "
			   "I=iptables-nft R=iptables-nft-restore "
			   "R6=ip6tables-nft-restore "
			   "I6=ip6tables-nft S=iptables-nft-save "
			   "S6=ip6tables-nft-save sh %s 2>&1",
			   ns_names[2], path);
	assert_non_null(out_k);
	assert_non_null(out_b);
	assert_non_null(strstr(out_k, "=== save -1"));
	ok = same_or_diff("iptables-legacy", out_k, out_b, "legacy");
	if (nft) {
		_cleanup_free_ char *sv_b = saves_of(out_b);

		assert_non_null(out_n);
		sv_n = saves_of(out_n);
		ok = same_or_diff("iptables-nft-save", sv_n, sv_b, "nft") && ok;
	}
	teardown(NULL);
	if (!ok)
		fail_msg("bpfilter iptables differs (seed %llu, script %s)",
			 (unsigned long long)seed, path);
	unlink(path);
	printf("%zu bytes of output, the same\n", strlen(out_k));
}

/* -t nat (mangle, raw, security) goes to the kernel's iptables: the rule
 * is in the kernel's nat table and nowhere in bpfilter's. */
static void test_other_tables(void **state)
{
	char bin[PATH_MAX];
	_cleanup_free_ char *out = NULL;

	(void)state;
	BFT_REQUIRE_KERNEL();
	if (bft_sh("iptables-nft -V >/dev/null 2>&1")) {
		print_message("SKIP: no iptables-nft\n");
		return;
	}
	assert_non_null(realpath(bft_bpfilter_bin(), bin));
	bft_unique_name(ns_names[0], sizeof(ns_names[0]), "ico");
	assert_int_equal(bft_sh("ip netns add %s", ns_names[0]), 0);
	assert_int_equal(
		bft_sh_out(&out,
			   "ip netns exec %1$s sh -c '%2$s iptables -t "
			   "nat -A POSTROUTING -s 192.0.2.0/24 -j "
			   "MASQUERADE && %2$s iptables -A INPUT -s "
			   "192.0.2.9 -j DROP && iptables-nft-save -t "
			   "nat && echo ---; %2$s iptables-save; "
			   "%2$s iptables -t nat -S POSTROUTING'",
			   ns_names[0], bin),
		0);
	teardown(NULL);
	assert_non_null(strstr(out, "*nat\n"));
	{
		const char *m = strstr(out, "-A POSTROUTING -s 192.0.2.0/24 -j "
					    "MASQUERADE\n");

		assert_non_null(m);
		assert_true(m < strstr(out, "---\n"));
	}
	/* bpfilter's iptables-save: filter, and the filter rule only */
	assert_non_null(strstr(out, "-A INPUT -s 192.0.2.9/32 -j DROP\n"));
	assert_null(strstr(strstr(out, "---\n"), "*nat"));
	assert_non_null(strstr(out, "-P POSTROUTING ACCEPT\n-A POSTROUTING "
				    "-s 192.0.2.0/24 -j MASQUERADE\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_campaign, teardown),
		cmocka_unit_test_teardown(test_other_tables, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
