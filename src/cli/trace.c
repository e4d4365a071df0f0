// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter trace: the path of one packet, described on the command line,
 * through a ruleset (a file, or the one in force in the nf slot), as the
 * IR interpreter (bpfilter/eval.h) walks it: chains entered, rules tested
 * with the match that failed, jumps, returns, the verdict and who gave it.
 * Like `nft monitor trace`, offline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/set.h"
#include "cli.h"

/* Exit status when the packet reaches a match the interpreter does not
 * model (no verdict can be given). */
#define TRACE_NOT_MODELLED 3

struct trace {
	struct bf_eval_pkt pkt;
	enum bf_hook hook;
	bool json;
	bool fam_known;
	bool nft; /* the ruleset is an nft file: rules show FILE:LINE */
	/* `limit fresh`: nft limits evaluated on full buckets (the first
	 * packet after the ruleset is loaded); else they depend on state */
	bool fresh;
	bool smac, dmac; /* given */
	char desc[256]; /* the packet, as understood */
	json_t *steps; /* --json */
	int status; /* exit status */
};

static const struct {
	const char *name;
	uint8_t bit;
} tcp_flag_names[] = {
	{ "FIN", 0x01 }, { "SYN", 0x02 }, { "RST", 0x04 }, { "PSH", 0x08 },
	{ "ACK", 0x10 }, { "URG", 0x20 }, { "ECE", 0x40 }, { "CWR", 0x80 },
};

/* "S", "SA", "SYN,ACK", "NONE" */
static int parse_flags(const char *arg, uint8_t *out)
{
	static const char letters[] = "FSRPAUEC";
	uint8_t f = 0;

	if (!strcasecmp(arg, "none")) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tcp_flag_names); i++) {
		if (!strcasecmp(arg, tcp_flag_names[i].name)) {
			*out = tcp_flag_names[i].bit;
			return 0;
		}
	}
	if (strchr(arg, ',')) {
		_cleanup_free_ char *copy = strdup(arg);
		char *save = NULL;

		if (!copy)
			return -ENOMEM;
		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			bool ok = false;

			for (size_t i = 0; i < ARRAY_SIZE(tcp_flag_names);
			     i++) {
				if (!strcasecmp(t, tcp_flag_names[i].name)) {
					f |= tcp_flag_names[i].bit;
					ok = true;
				}
			}
			if (!ok)
				return -EINVAL;
		}
	} else {
		for (const char *p = arg; *p; p++) {
			const char *l = strchr(letters, *p);

			if (!l || !*p)
				return -EINVAL;
			f |= (uint8_t)(1u << (l - letters));
		}
	}
	*out = f;
	return 0;
}

static int parse_uint(const char *arg, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 0);
	if (errno || *end || !*arg || *arg == '-' || *out > max)
		return -EINVAL;
	return 0;
}

/* ADDR, ADDR:PORT, [ADDR6]:PORT or ADDR6 */
static int parse_endpoint(struct trace *t, const char *arg, uint8_t *addr,
			  uint16_t *port, bool *has_port)
{
	char buf[INET6_ADDRSTRLEN + 16];
	char *colon, *a = buf;
	unsigned long v;
	int fam;

	*has_port = false;
	if (strlen(arg) >= sizeof(buf))
		return cli_error("bad address '%s'", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return cli_error("bad address '%s': missing ']'", arg);
		*close = '\0';
		a = buf + 1;
		if (close[1] == ':') {
			if (parse_uint(close + 2, 65535, &v))
				return cli_error("bad port in '%s'", arg);
			*port = (uint16_t)v;
			*has_port = true;
		} else if (close[1]) {
			return cli_error("bad address '%s'", arg);
		}
	} else if ((colon = strchr(buf, ':')) && !strchr(colon + 1, ':')) {
		*colon = '\0';
		if (parse_uint(colon + 1, 65535, &v))
			return cli_error("bad port in '%s'", arg);
		*port = (uint16_t)v;
		*has_port = true;
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, a, addr) == 1)
		fam = BF_FAMILY_INET4;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		fam = BF_FAMILY_INET6;
	else
		return cli_error("bad address '%s' (IPv4, IPv6, [IPv6]:PORT)",
				 arg);
	if (t->fam_known && (int)t->pkt.family != fam)
		return cli_error("'%s' is not of the packet's family", arg);
	t->pkt.family = (enum bf_family)fam;
	t->fam_known = true;
	return 0;
}

static const struct {
	const char *name;
	uint32_t bit;
} ct_names[] = {
	{ "new", BF_CTSTATE_NEW },
	{ "established", BF_CTSTATE_ESTABLISHED },
	{ "related", BF_CTSTATE_RELATED },
	{ "invalid", BF_CTSTATE_INVALID },
	{ "untracked", BF_CTSTATE_UNTRACKED },
};

static const char *ct_name(uint32_t bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(ct_names); i++) {
		if (ct_names[i].bit == bit)
			return ct_names[i].name;
	}
	return "?";
}

static const char *const pkttype_names[] = { "host", "broadcast", "multicast",
					     "otherhost" };

static const struct {
	const char *name;
	uint32_t bit;
} ctstatus_names[] = {
	{ "expected", BF_CT_STATUS_EXPECTED },
	{ "seen-reply", BF_CT_STATUS_SEEN_REPLY },
	{ "assured", BF_CT_STATUS_ASSURED },
	{ "confirmed", BF_CT_STATUS_CONFIRMED },
	{ "snat", BF_CT_STATUS_SRC_NAT },
	{ "dnat", BF_CT_STATUS_DST_NAT },
	{ "dying", BF_CT_STATUS_DYING },
};

static int parse_mac(const char *arg, uint8_t *mac)
{
	unsigned int b[6];
	char end;

	if (sscanf(arg, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* The keywords of the facts beyond the IP packet (bf_eval_pkt.known):
 * link layer, packet type, conntrack entry, limits. */
static int parse_more(struct trace *t, const char *kw, const char *arg)
{
	struct bf_eval_pkt *p = &t->pkt;
	unsigned long v;

	if (!strcmp(kw, "smac") || !strcmp(kw, "dmac")) {
		bool src = kw[0] == 's';

		if (parse_mac(arg, src ? p->smac : p->dmac))
			return cli_error("%s needs a MAC address "
					 "(02:00:00:00:00:01)",
					 kw);
		*(src ? &t->smac : &t->dmac) = true;
		return 0;
	}
	if (!strcmp(kw, "pkttype")) {
		for (size_t k = 0; k < ARRAY_SIZE(pkttype_names); k++) {
			if (!strcmp(arg, pkttype_names[k])) {
				p->pkttype = (uint8_t)k;
				p->known |= BF_EVAL_KNOW_PKTTYPE;
				return 0;
			}
		}
		return cli_error("pkttype needs host, broadcast, multicast or "
				 "otherhost");
	}
	if (!strcmp(kw, "ctmark")) {
		if (parse_uint(arg, UINT32_MAX, &v))
			return cli_error("ctmark needs a number");
		p->ctmark = (uint32_t)v;
		p->known |= BF_EVAL_KNOW_CT;
		return 0;
	}
	if (!strcmp(kw, "ctdir")) {
		if (strcmp(arg, "original") && strcmp(arg, "reply"))
			return cli_error("ctdir needs original or reply");
		p->ct_reply = arg[0] == 'r';
		p->known |= BF_EVAL_KNOW_CT;
		return 0;
	}
	if (!strcmp(kw, "ctstatus")) {
		_cleanup_free_ char *copy = strdup(arg);
		char *save = NULL;

		if (!copy)
			return cli_error("out of memory");
		for (char *w = strtok_r(copy, ",", &save); w;
		     w = strtok_r(NULL, ",", &save)) {
			size_t k;

			for (k = 0; k < ARRAY_SIZE(ctstatus_names); k++)
				if (!strcmp(w, ctstatus_names[k].name))
					break;
			if (k == ARRAY_SIZE(ctstatus_names))
				return cli_error("ctstatus needs a list of "
						 "expected, seen-reply, "
						 "assured, confirmed, snat, "
						 "dnat, dying");
			p->ct_status |= ctstatus_names[k].bit;
		}
		p->known |= BF_EVAL_KNOW_CT;
		return 0;
	}
	if (!strcmp(kw, "route")) {
		/* the packet's route, as the prologue reads it for addrtype
		 * and nft's fib daddr type (bf_eval_pkt.rt_type) */
		static const char *const rtn[] = {
			"unspec",    "unicast",	    "local",
			"broadcast", "anycast",	    "multicast",
			"blackhole", "unreachable", "prohibit",
		};
		bool v6 = p->family == BF_FAMILY_INET6;
		size_t k;

		if (!strcmp(arg, "none")) {
			p->rt_type = v6 ? 1 << 7 : 0xff;
			p->known |= BF_EVAL_KNOW_ROUTE;
			return 0;
		}
		for (k = 1; k < ARRAY_SIZE(rtn); k++)
			if (!strcmp(arg, rtn[k]))
				break;
		if (k == ARRAY_SIZE(rtn) ||
		    (v6 && k != 1 && k != 2 && k != 4 && k != 7))
			return cli_error("route needs %s or none",
					 v6 ? "unicast, local, anycast, "
					      "unreachable" :
					      "unicast, local, broadcast, "
					      "anycast, multicast, blackhole, "
					      "unreachable, prohibit");
		/* IPv6: the route's flags as XT_ADDRTYPE bits */
		p->rt_type = !v6 ? (uint8_t)k : k == 1 ? 0 : (uint8_t)(1u << k);
		p->known |= BF_EVAL_KNOW_ROUTE;
		return 0;
	}
	if (!strcmp(kw, "time")) {
		/* xt_time: the real time, and this host's sys_tz as the
		 * code generator takes it for --kerneltz */
		struct timezone tz = { 0 };
		struct timeval tv;

		if (!strcmp(arg, "now")) {
			v = (unsigned long)time(NULL);
		} else if (parse_uint(arg, UINT32_MAX, &v)) {
			return cli_error("time needs 'now' or seconds since "
					 "the epoch (UTC)");
		}
		gettimeofday(&tv, &tz);
		p->now_real = (uint32_t)v;
		p->tz_minuteswest = tz.tz_minuteswest;
		p->known |= BF_EVAL_KNOW_TIME;
		return 0;
	}
	if (!strcmp(kw, "limit")) {
		if (strcmp(arg, "fresh"))
			return cli_error("limit needs 'fresh' (every limit's "
					 "bucket full, as just loaded)");
		t->fresh = true;
		return 0;
	}
	return cli_error("unknown packet keyword '%s' (flags, frag, ct, len, "
			 "mark, ttl, smac, dmac, pkttype, ctmark, ctstatus, "
			 "ctdir, route, time, limit)",
			 kw);
}

/* What nft's payload loads read (bf_eval_pkt.nft_*) and tcpmss finds:
 * the packet built from the description (a TCP header without options),
 * parsed as the prologue does. */
static int nft_view(struct trace *t)
{
	struct bf_eval_pkt *p = &t->pkt, q;
	uint8_t b[128] = { 0 };
	bool v6 = p->family == BF_FAMILY_INET6;
	uint32_t off = v6 ? 40 : 20, len = p->len;

	if (len > sizeof(b))
		len = sizeof(b); /* nft's loads read 14 bytes at most */
	if (v6) {
		b[0] = 0x60;
		b[4] = (uint8_t)((p->len - 40) >> 8);
		b[5] = (uint8_t)(p->len - 40);
		b[6] = p->l4proto;
		/* `frag`: a fragment header (parse_packet()'s 48 bytes) */
		if (p->len - p->avail == 48) {
			b[6] = 44;
			b[40] = p->l4proto;
			b[42] = (uint8_t)(p->fragoff >> 8);
			b[43] = (uint8_t)(p->fragoff & 0xf8);
			off += 8;
		}
	} else {
		b[0] = 0x45;
		b[2] = (uint8_t)(p->len >> 8);
		b[3] = (uint8_t)p->len;
		b[6] = (uint8_t)(p->fragoff >> 8);
		b[7] = (uint8_t)p->fragoff;
		b[9] = p->l4proto;
	}
	if (!p->fragoff && off + 14 <= sizeof(b)) {
		if (p->l4proto == 1 || p->l4proto == 58) {
			b[off] = p->icmp_type;
			b[off + 1] = p->icmp_code;
		} else {
			b[off] = (uint8_t)(p->sport >> 8);
			b[off + 1] = (uint8_t)p->sport;
			b[off + 2] = (uint8_t)(p->dport >> 8);
			b[off + 3] = (uint8_t)p->dport;
			if (p->l4proto == 6)
				b[off + 12] = 0x50; /* no options */
			b[off + 13] = p->tcpflags;
		}
	}
	if (bf_eval_pkt_parse(&q, p->family, b, len))
		return cli_error("cannot build the packet");
	p->nft_avail = q.nft_avail + (p->len - len);
	p->nft_sport = q.nft_sport;
	p->nft_dport = q.nft_dport;
	p->nft_flags = q.nft_flags;
	p->nft_ah = q.nft_ah;
	p->nexthdr6 = q.nexthdr6;
	/* tcpmss: no MSS option, or a header `len` cuts short */
	p->mss_state = q.mss_state;
	p->mss = q.mss;
	return 0;
}

/* The facts of bf_eval_pkt.known that follow from the hook, the
 * interfaces and the keywords given. */
static int set_facts(struct trace *t, const char *in, const char *out)
{
	struct bf_eval_pkt *p = &t->pkt;

	/* nft resolves meta iif/oif when the ruleset is loaded: here, in
	 * this network namespace; an unknown name leaves them unknown */
	p->ifindex_in = in ? if_nametoindex(in) : 0;
	p->ifindex_out = out ? if_nametoindex(out) : 0;
	if ((!in || p->ifindex_in) && (!out || p->ifindex_out))
		p->known |= BF_EVAL_KNOW_IFINDEX;
	if (t->hook == BF_HOOK_OUTPUT) {
		/* no link-layer header yet (cgen/m_ether.c) */
		if (t->smac || t->dmac)
			return cli_error("no link-layer header at OUTPUT "
					 "(smac, dmac)");
		p->known |= BF_EVAL_KNOW_L2;
	} else if (t->smac && t->dmac) {
		/* an Ethernet frame; a VLAN tag is no longer there at the
		 * netfilter hooks */
		p->known |= BF_EVAL_KNOW_L2;
		p->eth_ok = p->smac_ok = true;
		p->ethtype = p->family == BF_FAMILY_INET6 ? 0x86dd : 0x0800;
	} else if (t->smac || t->dmac) {
		return cli_error("give both smac and dmac (the Ethernet "
				 "header)");
	}
	/* no conntrack entry: nothing else to know about it */
	if (p->ctstate == BF_CTSTATE_INVALID ||
	    p->ctstate == BF_CTSTATE_UNTRACKED)
		p->known |= BF_EVAL_KNOW_CT;
	return 0;
}

/* PROTO SRC -> DST [flags F] [frag N] [ct S] [len N] [mark N] [ttl N] */
static int parse_packet(struct trace *t, int argc, char **argv)
{
	struct bf_eval_pkt *p = &t->pkt;
	const char *proto = NULL;
	uint16_t sport = 0, dport = 0;
	bool sp = false, dp = false, has_len = false, has_frag = false;
	unsigned long v, len = 0, frag = 0, type = 0, code = 0;
	uint8_t l4len;
	uint32_t hdr;
	int i = 0, r;

	if (argc < 1)
		return cli_error("no packet given (see bpfilter help trace)");
	proto = argv[i++];
	if (!strcmp(proto, "tcp")) {
		p->l4proto = 6;
	} else if (!strcmp(proto, "udp")) {
		p->l4proto = 17;
	} else if (!strcmp(proto, "icmp") || !strcmp(proto, "icmpv6")) {
		char *slash;

		p->l4proto = proto[4] ? 58 : 1;
		if (i >= argc)
			return cli_error("%s needs TYPE[/CODE]", proto);
		slash = strchr(argv[i], '/');
		if (slash)
			*slash = '\0';
		if (parse_uint(argv[i], 255, &type) ||
		    (slash && parse_uint(slash + 1, 255, &code)))
			return cli_error("bad %s TYPE[/CODE] '%s'", proto,
					 argv[i]);
		if (slash)
			*slash = '/';
		i++;
		p->icmp_type = (uint8_t)type;
		p->icmp_code = (uint8_t)code;
		t->pkt.family = p->l4proto == 58 ? BF_FAMILY_INET6 :
						   BF_FAMILY_INET4;
		t->fam_known = true;
	} else if (!strcmp(proto, "proto")) {
		if (i >= argc || parse_uint(argv[i], 255, &v))
			return cli_error("proto needs a number (0-255)");
		p->l4proto = (uint8_t)v;
		i++;
	} else {
		return cli_error("unknown protocol '%s': tcp, udp, icmp TYPE"
				 "[/CODE], icmpv6 TYPE[/CODE] or proto N",
				 proto);
	}
	if (i + 3 > argc ||
	    (strcmp(argv[i + 1], "->") && strcmp(argv[i + 1], "to")))
		return cli_error("expected SRC -> DST (or SRC to DST) after "
				 "'%s'",
				 proto);
	if (parse_endpoint(t, argv[i], p->saddr, &sport, &sp) ||
	    parse_endpoint(t, argv[i + 2], p->daddr, &dport, &dp))
		return 2;
	if ((sp || dp) && p->l4proto != 6 && p->l4proto != 17)
		return cli_error("ports only with tcp or udp");
	p->sport = sport;
	p->dport = dport;
	i += 3;
	p->ctstate = BF_CTSTATE_NEW;
	p->ttl = 64;
	for (; i < argc; i += 2) {
		const char *kw = argv[i],
			   *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(kw, "-j") || !strcmp(kw, "--json")) {
			t->json = true; /* also accepted after the packet */
			i--;
			continue;
		}
		if (!arg)
			return cli_error("'%s' needs a value", kw);
		if (!strcmp(kw, "flags")) {
			if (p->l4proto != 6)
				return cli_error("flags only with tcp");
			if (parse_flags(arg, &p->tcpflags))
				return cli_error("bad TCP flags '%s' (letters "
						 "FSRPAUEC or names "
						 "SYN,ACK,...)",
						 arg);
		} else if (!strcmp(kw, "frag")) {
			if (parse_uint(arg, 0x1fff, &frag))
				return cli_error("frag needs an offset in "
						 "8-byte units (0-8191)");
			has_frag = true;
		} else if (!strcmp(kw, "ct")) {
			bool ok = false;

			for (size_t k = 0; k < ARRAY_SIZE(ct_names); k++) {
				if (!strcmp(arg, ct_names[k].name)) {
					p->ctstate = ct_names[k].bit;
					ok = true;
				}
			}
			if (!ok)
				return cli_error("ct needs new, established, "
						 "related, invalid or "
						 "untracked");
		} else if (!strcmp(kw, "len")) {
			if (parse_uint(arg, 65535, &len))
				return cli_error("len needs a number");
			has_len = true;
		} else if (!strcmp(kw, "mark")) {
			if (parse_uint(arg, UINT32_MAX, &v))
				return cli_error("mark needs a number");
			p->mark = (uint32_t)v;
		} else if (!strcmp(kw, "ttl")) {
			if (parse_uint(arg, 255, &v))
				return cli_error("ttl needs a number");
			p->ttl = (uint8_t)v;
		} else {
			int r = parse_more(t, kw, arg);

			if (r)
				return r;
		}
	}
	/* lengths: the IP header, then the whole transport header unless
	 * `len` cuts it */
	hdr = p->family == BF_FAMILY_INET6 ? 40 : 20;
	l4len = p->l4proto == 6 ? 20 : 8;
	if (has_frag && p->family == BF_FAMILY_INET6)
		hdr += 8; /* the fragment header */
	if (!has_len)
		len = hdr + l4len;
	if (len < hdr)
		return cli_error("len %lu is shorter than the IP headers (%u)",
				 len, hdr);
	p->len = (uint32_t)len;
	p->iplen = (uint16_t)len;
	p->avail = (uint32_t)(len - hdr);
	if (has_frag) {
		p->fragoff = (uint16_t)(p->family == BF_FAMILY_INET6 ?
						frag * 8 :
						frag);
		if (p->fragoff) {
			/* nothing of a transport header in a later
			 * fragment */
			p->sport = p->dport = 0;
			p->tcpflags = p->icmp_type = p->icmp_code = 0;
		}
	}
	if (p->avail < 4 && !p->fragoff)
		p->sport = p->dport = 0, p->icmp_type = p->icmp_code = 0;
	if (p->avail < 14)
		p->tcpflags = 0;
	r = nft_view(t);
	if (r)
		return r;
	{
		FILE *f = fmemopen(t->desc, sizeof(t->desc), "w");

		if (f) {
			for (int k = 0; k < argc; k++) {
				if (strcmp(argv[k], "-j") &&
				    strcmp(argv[k], "--json"))
					fprintf(f, "%s%s", k ? " " : "",
						argv[k]);
			}
			fprintf(f, " (%s, %u bytes, ct %s%s)",
				bf_family_name(p->family), p->len,
				ct_name(p->ctstate),
				/* what nft's loads read there (nft_view()) */
				p->fragoff ? "; the fragment's payload taken "
					     "as zeros" :
					     "");
			fclose(f);
		}
	}
	return 0;
}

static bool nft_rules; /* rule texts carry the nft file's FILE:LINE */

static char *rule_text(const struct bf_rule *rule)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	/* an nft rule: where it is, then its IR in iptables form (with
	 * bpfilter's -m nft... for nft's own matches) */
	if (nft_rules && rule->file)
		fprintf(f, "%s:%d: ", rule->file, rule->line);
	bf_ipt_print_rule(f, rule);
	fclose(f);
	return buf;
}

static const char *via_name(enum bf_verdict_kind via)
{
	return via == BF_VERDICT_JUMP ? "jump" :
	       via == BF_VERDICT_GOTO ? "goto" :
					"hook";
}

/* For a match the interpreter models given a fact: the keywords or
 * options that give it; NULL for one it does not model. */
static const char *fact_needed(const struct bf_eval_pkt *p,
			       const struct bf_match *m)
{
	switch (m ? m->type : BF_MATCH_COUNT) {
	case BF_MATCH_IIF:
	case BF_MATCH_OIF:
		if (!(p->known & BF_EVAL_KNOW_IFINDEX))
			return "--in/--out naming a device of this network "
			       "namespace";
		break;
	case BF_MATCH_ETH_DADDR:
	case BF_MATCH_ETH_TYPE:
	case BF_MATCH_VLAN:
	case BF_MATCH_MAC:
		if (!(p->known & BF_EVAL_KNOW_L2))
			return "smac and dmac";
		break;
	case BF_MATCH_PKTTYPE:
		if (!(p->known & BF_EVAL_KNOW_PKTTYPE))
			return "pkttype";
		break;
	case BF_MATCH_CONNMARK:
	case BF_MATCH_CONNTRACK:
		if (!(p->known & BF_EVAL_KNOW_CT))
			return "ctmark, ctstatus or ctdir";
		break;
	case BF_MATCH_ADDRTYPE:
		if (!(p->known & BF_EVAL_KNOW_ROUTE))
			return "route TYPE";
		break;
	case BF_MATCH_TIME:
		if (!(p->known & BF_EVAL_KNOW_TIME))
			return "time now|SECONDS";
		break;
	default:
		break;
	}
	return NULL;
}

static void on_step(const struct bf_eval_step *s, void *data)
{
	struct trace *t = data;
	_cleanup_free_ char *text = s->rule ? rule_text(s->rule) : NULL;
	int ind = 2 * s->depth;

	if (t->json) {
		json_t *j = json_pack("{s:s, s:s, s:i}", "event",
				      bf_eval_event_name(s->event), "chain",
				      s->chain->name, "depth", s->depth);

		if (!j)
			return;
		if (s->event == BF_EVAL_ENTER)
			json_object_set_new(j, "via",
					    json_string(via_name(s->via)));
		if (s->rule) {
			json_object_set_new(
				j, "num",
				json_integer((json_int_t)s->rule_num));
			json_object_set_new(j, "rule",
					    json_string(text ? text : ""));
		}
		if (s->event == BF_EVAL_RULE)
			json_object_set_new(j, "matched",
					    json_boolean(s->matched));
		if (s->match)
			json_object_set_new(
				j,
				s->event == BF_EVAL_RULE ? "failed_at" :
							   "match",
				json_string(bf_match_name(s->match->type)));
		if (s->event == BF_EVAL_POLICY)
			json_object_set_new(
				j, "policy",
				json_string(bf_verdict_name(s->chain->policy)));
		json_array_append_new(t->steps, j);
		return;
	}
	switch (s->event) {
	case BF_EVAL_ENTER:
		if (s->via == BF_VERDICT_CONTINUE)
			printf("%*schain %s (hook %s, policy %s)\n", ind, "",
			       s->chain->name, bf_hook_name(t->hook),
			       bf_verdict_name(s->chain->policy));
		else
			printf("%*s%s to chain %s\n", ind, "", via_name(s->via),
			       s->chain->name);
		break;
	case BF_EVAL_RULE:
		printf("%*s  %zu: %s\n%*s     ", ind, "", s->rule_num,
		       text ? text : "", ind, "");
		if (s->matched)
			printf("match\n");
		else
			printf("no match (failed at: %s)\n",
			       s->match ? bf_match_name(s->match->type) : "?");
		break;
	case BF_EVAL_RETURN:
		printf("%*sreturn from chain %s\n", ind, "", s->chain->name);
		break;
	case BF_EVAL_POLICY:
		printf("%*s  policy %s of chain %s\n", ind, "",
		       bf_verdict_name(s->chain->policy), s->chain->name);
		break;
	case BF_EVAL_HOTDROP:
		printf("%*s  %zu: %s\n%*s     hotdrop at: %s (the packet is "
		       "dropped at once, nothing counted)\n",
		       ind, "", s->rule_num, text ? text : "", ind, "",
		       bf_match_name(s->match->type));
		break;
	case BF_EVAL_STATEFUL:
		printf("%*s  %zu: %s\n%*s     depends on state: %s\n", ind, "",
		       s->rule_num, text ? text : "", ind, "",
		       bf_match_name(s->match->type));
		break;
	case BF_EVAL_NOT_MODELLED: {
		const char *need = fact_needed(&t->pkt, s->match);

		printf("%*s  %zu: %s\n%*s     ", ind, "", s->rule_num,
		       text ? text : "", ind, "");
		/* eval.c sets rule on every NOT_MODELLED step */
		if (need)
			printf("needs a fact not given: %s (give %s)\n",
			       bf_match_name(s->match->type), need);
		else
			printf("not modelled: %s\n",
			       s->match ?
				       bf_match_name(s->match->type) :
				       bf_verdict_name(s->rule->verdict.kind));
		break;
	}
	default:
		break;
	}
}

static void pkt_json(json_t *o, const struct trace *t)
{
	const struct bf_eval_pkt *p = &t->pkt;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = p->family == BF_FAMILY_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, p->saddr, s, sizeof(s));
	inet_ntop(af, p->daddr, d, sizeof(d));
	json_object_set_new(
		o, "packet",
		json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:s, "
			  "s:s, s:s, s:I}",
			  "family", bf_family_name(p->family), "src", s, "dst",
			  d, "l4proto", p->l4proto, "sport", p->sport, "dport",
			  p->dport, "tcpflags", p->tcpflags, "fragoff",
			  p->fragoff, "len", (int)p->len, "ct",
			  ct_name(p->ctstate), "in", p->iif, "out", p->oif,
			  "mark", (json_int_t)p->mark));
}

/* Evaluate and report; rs may be NULL (no table of the family). */
static int run(struct trace *t, const struct bf_ruleset *rs)
{
	struct bf_eval_result res;
	_cleanup_free_ char *text = NULL;
	json_t *out = NULL;
	int r = 0;

	if (t->json) {
		t->steps = json_array();
		out = json_object();
		if (!t->steps || !out)
			return -ENOMEM;
		pkt_json(out, t);
		json_object_set_new(out, "hook",
				    json_string(bf_hook_name(t->hook)));
	} else {
		printf("packet: %s\nhook %s, in %s, out %s\n", t->desc,
		       bf_hook_name(t->hook), t->pkt.iif[0] ? t->pkt.iif : "-",
		       t->pkt.oif[0] ? t->pkt.oif : "-");
	}
	if (!rs || !(rs->families & (1u << t->pkt.family))) {
		/* no table of the family: nothing filters it */
		memset(&res, 0, sizeof(res));
		res.verdict = BF_VERDICT_ACCEPT;
	} else {
		struct bf_eval_state *st = t->fresh ? bf_eval_state_new() :
						      NULL;

		if (t->fresh && !st)
			return -ENOMEM;
		/* fresh buckets: any time, as long as it is not 0 */
		r = bf_eval_at(rs, t->hook, &t->pkt, st, 1, on_step, t, &res);
		bf_eval_state_free(&st);
		if (r && r != -EOPNOTSUPP) {
			json_decref(out);
			json_decref(t->steps);
			return r;
		}
	}
	if (res.rule)
		text = rule_text(res.rule);
	if (t->json) {
		json_t *by = json_object();

		json_object_set_new(out, "steps", t->steps);
		t->steps = NULL;
		if (r == -EOPNOTSUPP) {
			json_object_set_new(out, "verdict", json_null());
			json_object_set_new(
				by, "kind",
				json_string(res.stateful ? "depends on state" :
							   "not modelled"));
		} else {
			json_object_set_new(
				out, "verdict",
				json_string(bf_verdict_name(res.verdict)));
			json_object_set_new(by, "kind",
					    json_string(res.hotdrop ?
								"hotdrop" :
							res.policy ? "policy" :
							res.rule   ? "rule" :
								     "no table"));
		}
		if (res.chain)
			json_object_set_new(by, "chain",
					    json_string(res.chain->name));
		if (res.rule) {
			json_object_set_new(
				by, "num",
				json_integer((json_int_t)res.rule_num));
			json_object_set_new(by, "rule",
					    json_string(text ? text : ""));
		}
		if (res.match)
			json_object_set_new(
				by, "match",
				json_string(bf_match_name(res.match->type)));
		json_object_set_new(out, "decided_by", by);
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
	} else if (r == -EOPNOTSUPP && res.stateful) {
		printf("no verdict: rule %zu of chain %s has '%s', which "
		       "depends on state%s\n",
		       res.rule_num, res.chain ? res.chain->name : "?",
		       bf_match_name(res.match->type),
		       res.match->type == BF_MATCH_NFT_LIMIT ||
				       (res.match->type == BF_MATCH_STATISTIC &&
					res.match->u.statistic.mode ==
						BF_STATISTIC_NTH) ?
			       " (add 'limit fresh' for the first packet "
			       "after loading)" :
			       " that trace does not model");
	} else if (r == -EOPNOTSUPP && fact_needed(&t->pkt, res.match)) {
		printf("no verdict: rule %zu of chain %s needs '%s': give %s\n",
		       res.rule_num, res.chain ? res.chain->name : "?",
		       bf_match_name(res.match->type),
		       fact_needed(&t->pkt, res.match));
	} else if (r == -EOPNOTSUPP) {
		printf("no verdict: rule %zu of chain %s needs '%s', which "
		       "trace does not model\n",
		       res.rule_num, res.chain ? res.chain->name : "?",
		       res.match ? bf_match_name(res.match->type) :
		       res.rule	 ? bf_verdict_name(res.rule->verdict.kind) :
				   "?");
	} else if (res.hotdrop) {
		printf("verdict: DROP (hotdrop by rule %zu of chain %s at %s: "
		       "%s)\n",
		       res.rule_num, res.chain->name,
		       bf_match_name(res.match->type), text ? text : "");
	} else if (res.policy) {
		printf("verdict: %s (policy of chain %s)\n",
		       bf_verdict_name(res.verdict), res.chain->name);
	} else if (res.rule) {
		printf("verdict: %s (rule %zu of chain %s: %s)\n",
		       bf_verdict_name(res.verdict), res.rule_num,
		       res.chain->name, text ? text : "");
	} else {
		printf("verdict: ACCEPT (no %s table: not filtered)\n",
		       bf_family_name(t->pkt.family));
	}
	if (r == -EOPNOTSUPP) {
		if (!t->json)
			fflush(stdout);
		fprintf(stderr, "bpfilter: trace stopped: %s\n",
			res.stateful ? "a match that depends on state was "
				       "reached" :
				       "a match it does not model (or a fact "
				       "about the packet not given) was "
				       "reached");
		t->status = TRACE_NOT_MODELLED;
	}
	return 0;
}

static bool is_nft_path(const char *path)
{
	size_t n = strlen(path);

	return n > 4 && !strcmp(path + n - 4, ".nft");
}

/* An nft ruleset (`nft -f` input), lowered as `bpfilter apply FILE.nft`
 * lowers it into one IR (errors reported with FILE:LINE:COL). */
static int load_nft(struct bf_ruleset *rs, const char *path)
{
	struct bf_nft *nft = NULL;
	int r = bf_nft_parse_file(path, &nft);

	if (!r)
		r = bf_nft_lower(nft, rs);
	bf_nft_free(&nft);
	if (r)
		cli_error("%s: cannot trace this nft ruleset (see above)",
			  path);
	return r;
}

static int traced_in_force(struct bf_ruleset *rs, unsigned long long generation,
			   void *data)
{
	struct trace *t = data;
	int r;

	(void)generation;
	r = run(t, rs);
	/* a positive value: change nothing */
	return r ? r : 1;
}

int cli_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hook", required_argument, NULL, 'H' },
		{ "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "ipset", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct trace t = { .hook = BF_HOOK_INPUT };
	const char *ipset = NULL;
	const char *files[BF_FAMILY_COUNT] = { NULL, NULL };
	const char *in = NULL, *out = NULL;
	struct bf_ruleset *rs = NULL;
	int c, r;

again:
	while ((c = getopt_long(argc, argv, "+4:6:jh", opts, NULL)) != -1) {
		switch (c) {
		case '4':
		case '6':
			files[c == '4' ? BF_FAMILY_INET4 : BF_FAMILY_INET6] =
				optarg;
			break;
		case 'H': /* long options only, required_argument: optarg set */
			if (!strcasecmp(optarg, "INPUT"))
				t.hook = BF_HOOK_INPUT;
			else if (!strcasecmp(optarg, "FORWARD"))
				t.hook = BF_HOOK_FORWARD;
			else if (!strcasecmp(optarg, "OUTPUT"))
				t.hook = BF_HOOK_OUTPUT;
			else
				return cli_error("--hook needs INPUT, FORWARD "
						 "or OUTPUT");
			break;
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			t.json = true;
			break;
		case 'I':
			ipset = optarg;
			break;
		case 'h':
			return cli_help_cmd("trace");
		default:
			return cli_error("see bpfilter help trace");
		}
	}
	/* an optional FILE before the packet: anything that is not a
	 * protocol keyword */
	if (optind < argc && strcmp(argv[optind], "tcp") &&
	    strcmp(argv[optind], "udp") && strcmp(argv[optind], "icmp") &&
	    strcmp(argv[optind], "icmpv6") && strcmp(argv[optind], "proto")) {
		if (files[BF_FAMILY_INET4])
			return cli_error("IPv4 input given twice (FILE and "
					 "-4)");
		files[BF_FAMILY_INET4] = argv[optind++];
		goto again; /* options may follow FILE */
	}
	if (in && strlen(in) >= BF_IFNAMSIZ)
		return cli_error("interface name '%s' too long", in);
	if (out && strlen(out) >= BF_IFNAMSIZ)
		return cli_error("interface name '%s' too long", out);
	r = parse_packet(&t, argc - optind, argv + optind);
	if (r)
		return r;
	if (in)
		snprintf(t.pkt.iif, sizeof(t.pkt.iif), "%s", in);
	if (out)
		snprintf(t.pkt.oif, sizeof(t.pkt.oif), "%s", out);
	if (t.hook == BF_HOOK_OUTPUT && in)
		return cli_error("no input interface at OUTPUT");
	if (t.hook == BF_HOOK_INPUT && out)
		return cli_error("no output interface at INPUT");
	r = set_facts(&t, in, out);
	if (r)
		return r;
	/* an nft file (FILE.nft) holds both families */
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (files[f] && is_nft_path(files[f]) && !files[!f])
			files[!f] = files[f];
	}

	if (!files[BF_FAMILY_INET4] && !files[BF_FAMILY_INET6]) {
		struct bf_edit_opts eo = { .kind = BF_SLOT_NF,
					   .if_generation = -1,
					   .read_only = true };

		r = bf_edit(&eo, traced_in_force, &t);
		if (r == 1)
			return t.status;
		if (r == -ENOENT || r == 0)
			return cli_error("cannot read the ruleset in force");
		return cli_status(r);
	}
	if (!files[t.pkt.family])
		return cli_error("the packet is %s but no %s ruleset was given "
				 "(%s FILE)",
				 bf_family_name(t.pkt.family),
				 bf_family_name(t.pkt.family),
				 t.pkt.family == BF_FAMILY_INET6 ? "-6" : "-4");
	rs = bf_ruleset_new();
	if (!rs)
		return cli_status(-ENOMEM);
	/* the sets -m set rules use, with their elements */
	if (ipset) {
		r = bf_sets_load(rs, ipset);
		if (r) {
			bf_ruleset_free(&rs);
			return cli_status(r);
		}
	}
	if (is_nft_path(files[t.pkt.family])) {
		r = load_nft(rs, files[t.pkt.family]);
		nft_rules = true;
	} else {
		const char *path = files[t.pkt.family];
		FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;

		if (!f) {
			bf_ruleset_free(&rs);
			return cli_status(cli_error("cannot open %s: %s", path,
						    strerror(errno)));
		}
		r = bf_ipt_parse_restore(rs, f, f == stdin ? "<stdin>" : path,
					 t.pkt.family);
		if (f != stdin)
			fclose(f);
	}
	if (!r)
		r = run(&t, rs);
	bf_ruleset_free(&rs);
	return r ? cli_status(r) : t.status;
}
