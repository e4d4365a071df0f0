// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iptables `-m` modules in scope, one descriptor each: its options, how
 * they are parsed and checked (as libxt_<name>.c and the kernel's
 * checkentry do), and the IR matches an instance compiles to.
 *
 * Transport modules (tcp, udp, icmp, icmp6, multiport) first emit one
 * BF_MATCH_L4HDR: each of tcp_mt(), udp_mt() (net/netfilter/xt_tcpudp.c),
 * icmp_match() (ip_tables.c), icmp6_match() (ip6_tables.c) and
 * multiport_mt() (xt_multiport.c) returns false on a non-first fragment and
 * hotdrops when skb_header_pointer() cannot read the bytes it needs: the
 * 20-byte tcphdr, the 8-byte udphdr / icmphdr / icmp6hdr, or the 4 bytes of
 * ports. Only tcp_mt() hotdrops a fragment at offset 1, and only IPv4 can
 * have fragoff == 1 (ip6_tables passes offsets in bytes, multiples of 8).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/ipt/ipt.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58

static bool seen_once(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		      const struct ipt_modopt *opt)
{
	if (inst->seen & (1u << opt->id)) {
		ipt_err(ctx, "%s: option \"--%s\" can only be used once",
			inst->mod->name, opt->name);
		return false;
	}
	inst->seen |= 1u << opt->id;
	return true;
}

static int add(struct bf_rule *rule, struct bf_match *m, enum ipt_mod_id mod,
	       uint16_t instance, int line)
{
	m->origin.module = (uint16_t)mod;
	m->origin.instance = instance;
	m->line = line;
	return bf_rule_add_match(rule, m);
}

static int add_l4hdr(struct ipt_rule_ctx *ctx, struct bf_rule *rule,
		     enum ipt_mod_id mod, uint16_t instance, uint8_t proto,
		     uint8_t min_len, bool frag1)
{
	struct bf_match m = { .type = BF_MATCH_L4HDR };

	m.u.l4hdr.proto = proto;
	m.u.l4hdr.min_len = min_len;
	m.u.l4hdr.hotdrop_frag1 = frag1 && ctx->family == BF_FAMILY_INET4;
	return add(rule, &m, mod, instance, ctx->line);
}

/* A match module with a fixed protocol fails its checkentry unless the
 * rule says `-p PROTO` without `!` (xt_check_match()). */
static int need_proto(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		      uint8_t proto, const char *pname)
{
	if (ctx->has_proto && ctx->proto == proto && !ctx->inv_p)
		return 0;
	ipt_err(ctx, "match '%s' needs `-p %s' (without `!')", inst->mod->name,
		pname);
	return -EINVAL;
}

/* ---- tcp / udp ---- */

enum {
	TCPUDP_SPORT,
	TCPUDP_DPORT,
	TCP_SYN,
	TCP_FLAGS,
	TCP_OPTION
};

static const struct ipt_modopt tcp_opts[] = {
	{ "source-port", 1, TCPUDP_SPORT, true, false },
	{ "sport", 1, TCPUDP_SPORT, true, false },
	{ "destination-port", 1, TCPUDP_DPORT, true, false },
	{ "dport", 1, TCPUDP_DPORT, true, false },
	{ "syn", 0, TCP_SYN, true, false },
	{ "tcp-flags", 1, TCP_FLAGS, true, false },
	{ "tcp-option", 1, TCP_OPTION, false, false },
	{ NULL },
};

static const struct ipt_modopt udp_opts[] = {
	{ "source-port", 1, TCPUDP_SPORT, true, false },
	{ "sport", 1, TCPUDP_SPORT, true, false },
	{ "destination-port", 1, TCPUDP_DPORT, true, false },
	{ "dport", 1, TCPUDP_DPORT, true, false },
	{ NULL },
};

/* parse_tcp_ports() / parse_udp_ports(): "a", "a:b", ":b", "a:", ":". */
static int parse_port_range(struct ipt_rule_ctx *ctx, const char *arg,
			    const char *proto, uint16_t out[2])
{
	char buf[128];
	char *colon;
	int lo, hi;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	colon = strchr(buf, ':');
	if (!colon) {
		lo = hi = ipt_parse_port(buf, proto);
		if (lo < 0)
			goto bad;
	} else {
		*colon = '\0';
		lo = buf[0] ? ipt_parse_port(buf, proto) : 0;
		hi = colon[1] ? ipt_parse_port(colon + 1, proto) : 0xffff;
		if (lo < 0 || hi < 0)
			goto bad;
		if (lo > hi) {
			ipt_err(ctx, "invalid portrange (min > max) `%s'", arg);
			return -EINVAL;
		}
	}
	out[0] = (uint16_t)lo;
	out[1] = (uint16_t)hi;
	return 0;
bad:
	ipt_err(ctx, "invalid port/service `%s' specified", arg);
	return -EINVAL;
}

/* tcp_flag_names[] of libxt_tcp.c; printing walks it in this order. */
static const struct {
	const char *name;
	uint8_t flag;
} tcp_flag_names[] = {
	{ "FIN", 0x01 }, { "SYN", 0x02 }, { "RST", 0x04 }, { "PSH", 0x08 },
	{ "ACK", 0x10 }, { "URG", 0x20 }, { "ALL", 0x3f }, { "NONE", 0 },
};

static int parse_tcp_flags(struct ipt_rule_ctx *ctx, const char *arg,
			   uint8_t *out)
{
	char buf[256];
	char *save, *tok;

	if (strlen(arg) >= sizeof(buf)) {
		ipt_err(ctx, "Unknown TCP flag `%s'", arg);
		return -EINVAL;
	}
	strcpy(buf, arg);
	*out = 0;
	/* strtok() skips empty elements, as parse_tcp_flag() does. */
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(tcp_flag_names); i++) {
			if (strcasecmp(tcp_flag_names[i].name, tok) == 0) {
				*out |= tcp_flag_names[i].flag;
				break;
			}
		}
		if (i == ARRAY_SIZE(tcp_flag_names)) {
			ipt_err(ctx, "Unknown TCP flag `%s'", tok);
			return -EINVAL;
		}
	}
	return 0;
}

static int tcpudp_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			const struct ipt_modopt *opt, const char *arg, bool inv,
			int argc, char **argv, int *idx)
{
	/* libxt_tcp / libxt_udp (XTTYPE_PORTRC) look services up for any
	 * protocol: `-p udp --dport ssh` is 22. */
	const char *pname = NULL;
	bool is_flags = opt->id == TCP_SYN || opt->id == TCP_FLAGS;

	if (is_flags && (inst->seen & ((1u << TCP_SYN) | (1u << TCP_FLAGS)))) {
		ipt_err(ctx, "Only one of `--syn' or `--tcp-flags' allowed");
		return -EINVAL;
	}
	if (!seen_once(ctx, inst, opt))
		return -EINVAL;
	switch (opt->id) {
	case TCPUDP_SPORT:
		inst->u.tcpudp.sinv = inv;
		return parse_port_range(ctx, arg, pname, inst->u.tcpudp.spts);
	case TCPUDP_DPORT:
		inst->u.tcpudp.dinv = inv;
		return parse_port_range(ctx, arg, pname, inst->u.tcpudp.dpts);
	case TCP_SYN:
		/* --syn is --tcp-flags FIN,SYN,RST,ACK SYN. */
		inst->u.tcpudp.fmask = 0x01 | 0x02 | 0x04 | 0x10;
		inst->u.tcpudp.fcmp = 0x02;
		inst->u.tcpudp.finv = inv;
		return 0;
	case TCP_FLAGS:
		if (*idx >= argc || argv[*idx][0] == '-' ||
		    argv[*idx][0] == '!') {
			ipt_err(ctx, "--tcp-flags requires two args.");
			return -EINVAL;
		}
		inst->u.tcpudp.finv = inv;
		if (parse_tcp_flags(ctx, arg, &inst->u.tcpudp.fmask))
			return -EINVAL;
		return parse_tcp_flags(ctx, argv[(*idx)++],
				       &inst->u.tcpudp.fcmp);
	}
	return -EINVAL;
}

static int tcp_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	return need_proto(ctx, inst, IPPROTO_TCP_, "tcp");
}

static int udp_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	return need_proto(ctx, inst, IPPROTO_UDP_, "udp");
}

static int tcpudp_emit(struct ipt_rule_ctx *ctx,
		       const struct ipt_mod_inst *inst, struct bf_rule *rule,
		       uint16_t instance)
{
	bool tcp = inst->mod->id == IPT_MOD_TCP;
	const uint16_t *sp = inst->u.tcpudp.spts, *dp = inst->u.tcpudp.dpts;
	int r;

	r = add_l4hdr(ctx, rule, inst->mod->id, instance,
		      tcp ? IPPROTO_TCP_ : IPPROTO_UDP_, tcp ? 20 : 8, tcp);
	if (r)
		return r;
	/* A full range matches every port: tcp_mt() tests it anyway, but
	 * the result is always true, so only an inverted one is kept. */
	if (sp[0] != 0 || sp[1] != 0xffff || inst->u.tcpudp.sinv) {
		struct bf_match m = { .type = BF_MATCH_SPORT };

		m.neg = inst->u.tcpudp.sinv;
		m.u.ports.lo = sp[0];
		m.u.ports.hi = sp[1];
		r = add(rule, &m, inst->mod->id, instance, ctx->line);
		if (r)
			return r;
	}
	if (dp[0] != 0 || dp[1] != 0xffff || inst->u.tcpudp.dinv) {
		struct bf_match m = { .type = BF_MATCH_DPORT };

		m.neg = inst->u.tcpudp.dinv;
		m.u.ports.lo = dp[0];
		m.u.ports.hi = dp[1];
		r = add(rule, &m, inst->mod->id, instance, ctx->line);
		if (r)
			return r;
	}
	/* (flags & 0) == 0 holds for every packet: tcp_save() prints
	 * nothing for it either. */
	if ((inst->seen & ((1u << TCP_SYN) | (1u << TCP_FLAGS))) &&
	    (inst->u.tcpudp.fmask || inst->u.tcpudp.fcmp ||
	     inst->u.tcpudp.finv)) {
		struct bf_match m = { .type = BF_MATCH_TCPFLAGS };

		m.neg = inst->u.tcpudp.finv;
		m.u.tcpflags.mask = inst->u.tcpudp.fmask;
		m.u.tcpflags.cmp = inst->u.tcpudp.fcmp;
		r = add(rule, &m, inst->mod->id, instance, ctx->line);
		if (r)
			return r;
	}
	return 0;
}

/* ---- icmp / icmp6 ---- */

struct icmp_name {
	const char *name;
	uint8_t type, code_min, code_max;
};

/* The names iptables knows (extensions/libxt_icmp.h), in its order: the
 * order matters for the "ambiguous abbreviation" check. */
static const struct icmp_name icmp_codes[] = {
	{ "any", 0xff, 0, 0xff },
	{ "echo-reply", 0, 0, 0xff },
	{ "pong", 0, 0, 0xff },
	{ "destination-unreachable", 3, 0, 0xff },
	{ "network-unreachable", 3, 0, 0 },
	{ "host-unreachable", 3, 1, 1 },
	{ "protocol-unreachable", 3, 2, 2 },
	{ "port-unreachable", 3, 3, 3 },
	{ "fragmentation-needed", 3, 4, 4 },
	{ "source-route-failed", 3, 5, 5 },
	{ "network-unknown", 3, 6, 6 },
	{ "host-unknown", 3, 7, 7 },
	{ "network-prohibited", 3, 9, 9 },
	{ "host-prohibited", 3, 10, 10 },
	{ "TOS-network-unreachable", 3, 11, 11 },
	{ "TOS-host-unreachable", 3, 12, 12 },
	{ "communication-prohibited", 3, 13, 13 },
	{ "host-precedence-violation", 3, 14, 14 },
	{ "precedence-cutoff", 3, 15, 15 },
	{ "source-quench", 4, 0, 0xff },
	{ "redirect", 5, 0, 0xff },
	{ "network-redirect", 5, 0, 0 },
	{ "host-redirect", 5, 1, 1 },
	{ "TOS-network-redirect", 5, 2, 2 },
	{ "TOS-host-redirect", 5, 3, 3 },
	{ "echo-request", 8, 0, 0xff },
	{ "ping", 8, 0, 0xff },
	{ "router-advertisement", 9, 0, 0xff },
	{ "router-solicitation", 10, 0, 0xff },
	{ "time-exceeded", 11, 0, 0xff },
	{ "ttl-exceeded", 11, 0, 0xff },
	{ "ttl-zero-during-transit", 11, 0, 0 },
	{ "ttl-zero-during-reassembly", 11, 1, 1 },
	{ "parameter-problem", 12, 0, 0xff },
	{ "ip-header-bad", 12, 0, 0 },
	{ "required-option-missing", 12, 1, 1 },
	{ "timestamp-request", 13, 0, 0xff },
	{ "timestamp-reply", 14, 0, 0xff },
	{ "address-mask-request", 17, 0, 0xff },
	{ "address-mask-reply", 18, 0, 0xff },
};

static const struct icmp_name icmpv6_codes[] = {
	{ "destination-unreachable", 1, 0, 0xff },
	{ "no-route", 1, 0, 0 },
	{ "communication-prohibited", 1, 1, 1 },
	{ "beyond-scope", 1, 2, 2 },
	{ "address-unreachable", 1, 3, 3 },
	{ "port-unreachable", 1, 4, 4 },
	{ "failed-policy", 1, 5, 5 },
	{ "reject-route", 1, 6, 6 },
	{ "packet-too-big", 2, 0, 0xff },
	{ "time-exceeded", 3, 0, 0xff },
	{ "ttl-exceeded", 3, 0, 0xff },
	{ "ttl-zero-during-transit", 3, 0, 0 },
	{ "ttl-zero-during-reassembly", 3, 1, 1 },
	{ "parameter-problem", 4, 0, 0xff },
	{ "bad-header", 4, 0, 0 },
	{ "unknown-header-type", 4, 1, 1 },
	{ "unknown-option", 4, 2, 2 },
	{ "echo-request", 128, 0, 0xff },
	{ "ping", 128, 0, 0xff },
	{ "echo-reply", 129, 0, 0xff },
	{ "pong", 129, 0, 0xff },
	{ "mld-listener-query", 130, 0, 0xff },
	{ "mld-listener-report", 131, 0, 0xff },
	{ "mld-listener-done", 132, 0, 0xff },
	{ "mld-listener-reduction", 132, 0, 0xff },
	{ "router-solicitation", 133, 0, 0xff },
	{ "router-advertisement", 134, 0, 0xff },
	{ "neighbour-solicitation", 135, 0, 0xff },
	{ "neighbor-solicitation", 135, 0, 0xff },
	{ "neighbour-advertisement", 136, 0, 0xff },
	{ "neighbor-advertisement", 136, 0, 0xff },
	{ "redirect", 137, 0, 0xff },
};

/* "N" or "N:M", numbers 0..255: parse_range() of libxt_icmp.h. */
static const char *icmp_range(const char *s, unsigned int out[2])
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return NULL;
	v = strtoul(s, &end, 0);
	if (end == s || v > 255)
		return NULL;
	out[0] = out[1] = (unsigned int)v;
	if (*end == ':') {
		s = end + 1;
		if (*s < '0' || *s > '9')
			return NULL;
		v = strtoul(s, &end, 0);
		if (end == s || v > 255)
			return NULL;
		out[1] = (unsigned int)v;
	}
	return end;
}

/* __parse_icmp(): a (case-insensitive, abbreviable) name, or
 * TYPE[/CODE[:CODE]]. */
static int parse_icmp(struct ipt_rule_ctx *ctx, const struct icmp_name *codes,
		      size_t n, const char *what, const char *arg,
		      struct ipt_mod_inst *inst)
{
	size_t match = n, len = strlen(arg);
	unsigned int num[2];
	const char *next;

	for (size_t i = 0; i < n; i++) {
		if (strncasecmp(codes[i].name, arg, len))
			continue;
		if (match != n) {
			ipt_err(ctx, "Ambiguous %s type `%s': `%s' or `%s'?",
				what, arg, codes[match].name, codes[i].name);
			return -EINVAL;
		}
		match = i;
	}
	if (match < n) {
		inst->u.icmp.type = codes[match].type;
		inst->u.icmp.code[0] = codes[match].code_min;
		inst->u.icmp.code[1] = codes[match].code_max;
		return 0;
	}
	next = icmp_range(arg, num);
	if (!next) {
		ipt_err(ctx, "Unknown %s type `%s'", what, arg);
		return -EINVAL;
	}
	if (num[0] != num[1]) {
		ipt_err(ctx, "%s type range not supported", what);
		return -EINVAL;
	}
	inst->u.icmp.type = (uint8_t)num[0];
	inst->u.icmp.code[0] = 0;
	inst->u.icmp.code[1] = 0xff;
	if (*next == '\0')
		return 0;
	if (*next == '/') {
		next = icmp_range(next + 1, num);
		if (!next) {
			ipt_err(ctx, "Unknown %s code `%s'", what, arg);
			return -EINVAL;
		}
		inst->u.icmp.code[0] = (uint8_t)num[0];
		inst->u.icmp.code[1] = (uint8_t)num[1];
		if (*next == '\0')
			return 0;
	}
	ipt_err(ctx, "unknown character %c in %s type `%s'", *next, what, arg);
	return -EINVAL;
}

static const struct ipt_modopt icmp_opts[] = {
	{ "icmp-type", 1, 0, true, false },
	{ NULL },
};

static const struct ipt_modopt icmp6_opts[] = {
	{ "icmpv6-type", 1, 0, true, false },
	{ NULL },
};

static int icmp_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		      const struct ipt_modopt *opt, const char *arg, bool inv,
		      int argc, char **argv, int *idx)
{
	bool v6 = inst->mod->id == IPT_MOD_ICMP6;

	if (!seen_once(ctx, inst, opt))
		return -EINVAL;
	inst->u.icmp.inv = inv;
	if (v6)
		return parse_icmp(ctx, icmpv6_codes, ARRAY_SIZE(icmpv6_codes),
				  "ICMPv6", arg, inst);
	return parse_icmp(ctx, icmp_codes, ARRAY_SIZE(icmp_codes), "ICMP", arg,
			  inst);
}

static int icmp_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	bool v6 = inst->mod->id == IPT_MOD_ICMP6;

	if (!inst->seen) {
		ipt_err(ctx, "%s: option \"--%s\" must be specified",
			inst->mod->name, v6 ? "icmpv6-type" : "icmp-type");
		return -EINVAL;
	}
	return v6 ? need_proto(ctx, inst, IPPROTO_ICMPV6_, "ipv6-icmp") :
		    need_proto(ctx, inst, IPPROTO_ICMP_, "icmp");
}

static int icmp_emit(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		     struct bf_rule *rule, uint16_t instance)
{
	bool v6 = inst->mod->id == IPT_MOD_ICMP6;
	struct bf_match m = { .type = BF_MATCH_ICMP };
	int r;

	r = add_l4hdr(ctx, rule, inst->mod->id, instance,
		      v6 ? IPPROTO_ICMPV6_ : IPPROTO_ICMP_, 8, false);
	if (r)
		return r;
	m.neg = inst->u.icmp.inv;
	m.u.icmp.type = inst->u.icmp.type;
	m.u.icmp.code_lo = inst->u.icmp.code[0];
	m.u.icmp.code_hi = inst->u.icmp.code[1];
	return add(rule, &m, inst->mod->id, instance, ctx->line);
}

/* ---- multiport ---- */

enum {
	MP_SRC,
	MP_DST,
	MP_EITHER
};

static const struct ipt_modopt multiport_opts[] = {
	{ "source-ports", 1, MP_SRC, true, false },
	{ "sports", 1, MP_SRC, true, false },
	{ "destination-ports", 1, MP_DST, true, false },
	{ "dports", 1, MP_DST, true, false },
	{ "ports", 1, MP_EITHER, true, false },
	{ NULL },
};

static int multiport_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			   const struct ipt_modopt *opt, const char *arg,
			   bool inv, int argc, char **argv, int *idx)
{
	static const uint8_t ok_protos[] = { 6, 17, 136, 132, 33 };
	char buf[512];
	char *cp, *next;
	const char *pname;
	unsigned int i;
	size_t k;

	if (inst->seen) {
		ipt_err(ctx, "multiport can only have one option");
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	/* check_proto() of libxt_multiport.c runs while parsing, so `-p`
	 * must come before the ports. */
	for (k = 0; k < ARRAY_SIZE(ok_protos); k++) {
		if (ctx->has_proto && ctx->proto == ok_protos[k])
			break;
	}
	if (k == ARRAY_SIZE(ok_protos) || ctx->inv_p) {
		ipt_err(ctx, "multiport needs `-p tcp', `-p udp', "
			     "`-p udplite', `-p sctp' or `-p dccp'");
		return -EINVAL;
	}
	pname = ipt_proto_name(ctx->proto);
	inst->u.mp.proto = ctx->proto;
	inst->u.mp.inv = inv;
	inst->u.mp.dir = opt->id == MP_SRC ? BF_MULTIPORT_SRC :
			 opt->id == MP_DST ? BF_MULTIPORT_DST :
					     BF_MULTIPORT_EITHER;
	if (strlen(arg) >= sizeof(buf)) {
		ipt_err(ctx, "too many ports specified");
		return -EINVAL;
	}
	strcpy(buf, arg);
	/* parse_multi_ports_v1(): a range takes two of the 15 slots. */
	for (cp = buf, i = 0; cp && i < BF_MULTIPORT_MAX; cp = next, i++) {
		char *range;
		int p;

		next = strchr(cp, ',');
		if (next)
			*next++ = '\0';
		range = strchr(cp, ':');
		if (range) {
			if (i == BF_MULTIPORT_MAX - 1) {
				ipt_err(ctx, "too many ports specified");
				return -EINVAL;
			}
			*range++ = '\0';
		}
		p = ipt_parse_port(cp, pname);
		if (p < 0) {
			ipt_err(ctx, "invalid port/service `%s' specified", cp);
			return -EINVAL;
		}
		inst->u.mp.ports[i] = (uint16_t)p;
		inst->u.mp.pflags[i] = false;
		if (range) {
			p = ipt_parse_port(range, pname);
			if (p < 0) {
				ipt_err(ctx,
					"invalid port/service `%s' specified",
					range);
				return -EINVAL;
			}
			inst->u.mp.pflags[i] = true;
			inst->u.mp.ports[++i] = (uint16_t)p;
			inst->u.mp.pflags[i] = false;
			if (inst->u.mp.ports[i - 1] >= inst->u.mp.ports[i]) {
				ipt_err(ctx, "invalid portrange specified");
				return -EINVAL;
			}
		}
	}
	if (cp) {
		ipt_err(ctx, "too many ports specified");
		return -EINVAL;
	}
	inst->u.mp.count = (uint8_t)i;
	return 0;
}

static int multiport_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "multiport expects an option");
		return -EINVAL;
	}
	/* The kernel's multiport_mt_check() wants the same protocol at the
	 * end (a later `-p` cannot exist: -p may appear once). */
	return 0;
}

static int multiport_emit(struct ipt_rule_ctx *ctx,
			  const struct ipt_mod_inst *inst, struct bf_rule *rule,
			  uint16_t instance)
{
	struct bf_match m = { .type = BF_MATCH_MULTIPORT };
	int r;

	r = add_l4hdr(ctx, rule, IPT_MOD_MULTIPORT, instance, inst->u.mp.proto,
		      4, false);
	if (r)
		return r;
	m.neg = inst->u.mp.inv;
	m.u.multiport.dir = inst->u.mp.dir;
	m.u.multiport.count = inst->u.mp.count;
	memcpy(m.u.multiport.ports, inst->u.mp.ports,
	       sizeof(m.u.multiport.ports));
	memcpy(m.u.multiport.is_range, inst->u.mp.pflags,
	       sizeof(m.u.multiport.is_range));
	return add(rule, &m, IPT_MOD_MULTIPORT, instance, ctx->line);
}

/* ---- iprange ---- */

enum {
	IPRANGE_SRC,
	IPRANGE_DST
};

static const struct ipt_modopt iprange_opts[] = {
	{ "src-range", 1, IPRANGE_SRC, true, false },
	{ "dst-range", 1, IPRANGE_DST, true, false },
	{ NULL },
};

static bool parse_addr(enum bf_family f, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (f == BF_FAMILY_INET4)
		return ipt_parse_ip4(s, out);
	return ipt_parse_ip6(s, out);
}

static int iprange_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			 const struct ipt_modopt *opt, const char *arg,
			 bool inv, int argc, char **argv, int *idx)
{
	uint8_t *lo = opt->id == IPRANGE_SRC ? inst->u.iprange.smin :
					       inst->u.iprange.dmin;
	uint8_t *hi = opt->id == IPRANGE_SRC ? inst->u.iprange.smax :
					       inst->u.iprange.dmax;
	char buf[128];
	char *dash;

	if (!seen_once(ctx, inst, opt))
		return -EINVAL;
	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	/* iprange_parse_range(): "A-B", or a single address "A" = "A-A". */
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!parse_addr(ctx->family, buf, lo))
		goto bad;
	if (!parse_addr(ctx->family, dash ? dash + 1 : buf, hi))
		goto bad;
	if (opt->id == IPRANGE_SRC)
		inst->u.iprange.sinv = inv;
	else
		inst->u.iprange.dinv = inv;
	return 0;
bad:
	ipt_err(ctx, "iprange: bad address range \"%s\"", arg);
	return -EINVAL;
}

static int iprange_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "iprange match: You must specify `--src-range' "
			     "or `--dst-range'");
		return -EINVAL;
	}
	return 0;
}

static int iprange_emit(struct ipt_rule_ctx *ctx,
			const struct ipt_mod_inst *inst, struct bf_rule *rule,
			uint16_t instance)
{
	int r;

	/* iprange_mt4() / iprange_mt6() test the source range first. */
	if (inst->seen & (1u << IPRANGE_SRC)) {
		struct bf_match m = { .type = BF_MATCH_SRANGE };

		m.neg = inst->u.iprange.sinv;
		memcpy(m.u.range.lo, inst->u.iprange.smin, 16);
		memcpy(m.u.range.hi, inst->u.iprange.smax, 16);
		r = add(rule, &m, IPT_MOD_IPRANGE, instance, ctx->line);
		if (r)
			return r;
	}
	if (inst->seen & (1u << IPRANGE_DST)) {
		struct bf_match m = { .type = BF_MATCH_DRANGE };

		m.neg = inst->u.iprange.dinv;
		memcpy(m.u.range.lo, inst->u.iprange.dmin, 16);
		memcpy(m.u.range.hi, inst->u.iprange.dmax, 16);
		r = add(rule, &m, IPT_MOD_IPRANGE, instance, ctx->line);
		if (r)
			return r;
	}
	return 0;
}

/* ---- comment ---- */

static const struct ipt_modopt comment_opts[] = {
	{ "comment", 1, 0, true, false },
	{ NULL },
};

static int comment_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			 const struct ipt_modopt *opt, const char *arg,
			 bool inv, int argc, char **argv, int *idx)
{
	if (inv) {
		ipt_err(ctx,
			"comment: option \"--comment\" cannot be inverted");
		return -EINVAL;
	}
	if (!seen_once(ctx, inst, opt))
		return -EINVAL;
	if (strlen(arg) >= BF_COMMENT_MAX) {
		ipt_err(ctx,
			"comment: \"--comment\" must be no longer than "
			"%d characters",
			BF_COMMENT_MAX - 1);
		return -EINVAL;
	}
	strcpy(inst->u.comment, arg);
	return 0;
}

static int comment_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "comment: option \"--comment\" must be specified");
		return -EINVAL;
	}
	return 0;
}

static int comment_emit(struct ipt_rule_ctx *ctx,
			const struct ipt_mod_inst *inst, struct bf_rule *rule,
			uint16_t instance)
{
	struct bf_match m = { .type = BF_MATCH_COMMENT };

	strcpy(m.u.comment, inst->u.comment);
	return add(rule, &m, IPT_MOD_COMMENT, instance, ctx->line);
}

/* ---- state (the conntrack module is in modules_ext.c) ---- */

static const struct ipt_modopt state_opts[] = {
	{ "state", 1, 0, true, false },
	{ NULL },
};

/* state_parse_states(): each element may be abbreviated (compared over
 * its own length, case-insensitively), in this order. */
static const struct {
	const char *name;
	uint32_t bit;
} states[] = {
	{ "INVALID", BF_CTSTATE_INVALID },
	{ "NEW", BF_CTSTATE_NEW },
	{ "RELATED", BF_CTSTATE_RELATED },
	{ "ESTABLISHED", BF_CTSTATE_ESTABLISHED },
	{ "UNTRACKED", BF_CTSTATE_UNTRACKED },
};

static int parse_states(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			const char *arg)
{
	const char *p = arg;

	inst->u.state.mask = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		size_t i;

		for (i = 0; len && i < ARRAY_SIZE(states); i++) {
			if (strncasecmp(p, states[i].name, len) == 0)
				break;
		}
		if (!len || i == ARRAY_SIZE(states)) {
			ipt_err(ctx, "Bad state \"%s\"", p);
			return -EINVAL;
		}
		inst->u.state.mask |= states[i].bit;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int state_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx)
{
	if (!seen_once(ctx, inst, opt))
		return -EINVAL;
	inst->u.state.inv = inv;
	return parse_states(ctx, inst, arg);
}

static int state_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (inst->seen)
		return 0;
	ipt_err(ctx, "state: option \"--state\" must be specified");
	return -EINVAL;
}

static int state_emit(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		      struct bf_rule *rule, uint16_t instance)
{
	struct bf_match m = { .type = BF_MATCH_CTSTATE };

	m.neg = inst->u.state.inv;
	m.u.ctstate.mask = inst->u.state.mask;
	return add(rule, &m, inst->mod->id, instance, ctx->line);
}

/* ---- the table ---- */

static const struct ipt_module modules[IPT_MOD_EXT_FIRST] = {
	[IPT_MOD_TCP] = { IPT_MOD_TCP, "tcp", -1, tcp_opts, tcpudp_parse,
			  tcp_final, tcpudp_emit },
	[IPT_MOD_UDP] = { IPT_MOD_UDP, "udp", -1, udp_opts, tcpudp_parse,
			  udp_final, tcpudp_emit },
	[IPT_MOD_ICMP] = { IPT_MOD_ICMP, "icmp", BF_FAMILY_INET4, icmp_opts,
			   icmp_parse, icmp_final, icmp_emit },
	[IPT_MOD_ICMP6] = { IPT_MOD_ICMP6, "icmp6", BF_FAMILY_INET6, icmp6_opts,
			    icmp_parse, icmp_final, icmp_emit },
	[IPT_MOD_MULTIPORT] = { IPT_MOD_MULTIPORT, "multiport", -1,
				multiport_opts, multiport_parse,
				multiport_final, multiport_emit },
	[IPT_MOD_IPRANGE] = { IPT_MOD_IPRANGE, "iprange", -1, iprange_opts,
			      iprange_parse, iprange_final, iprange_emit },
	[IPT_MOD_COMMENT] = { IPT_MOD_COMMENT, "comment", -1, comment_opts,
			      comment_parse, comment_final, comment_emit },
	[IPT_MOD_STATE] = { IPT_MOD_STATE, "state", -1, state_opts, state_parse,
			    state_final, state_emit },
	[IPT_MOD_CONNTRACK] = { IPT_MOD_CONNTRACK, "conntrack", -1, ipt_ct_opts,
				ipt_ct_parse, ipt_ct_final, ipt_ct_emit,
				ipt_ct_print },
};
_Static_assert(ARRAY_SIZE(modules) == IPT_MOD_EXT_FIRST, "module table");

const struct ipt_module *ipt_module_by_id(enum ipt_mod_id id)
{
	if (id <= IPT_MOD_CORE || id >= IPT_MOD_COUNT)
		return NULL;
	if (id >= IPT_MOD_EXT_FIRST)
		return &ipt_ext_modules[id - IPT_MOD_EXT_FIRST];
	return &modules[id];
}

const struct ipt_module *ipt_module_find(const char *name)
{
	/* xtables_find_match() maps the protocol spellings to icmp6. */
	if (strcmp(name, "icmpv6") == 0 || strcmp(name, "ipv6-icmp") == 0)
		name = "icmp6";
	for (int i = IPT_MOD_CORE + 1; i < IPT_MOD_COUNT; i++) {
		const struct ipt_module *m = ipt_module_by_id(i);

		if (strcmp(m->name, name) == 0)
			return m;
	}
	return NULL;
}

/* Targets iptables ships (extensions/libxt_*.c, libipt_*, libip6t_*): a
 * `-j` to one of them is an unsupported target, not a chain. */
static const char *const known_targets[] = {
	"ACCEPT",   "DROP",	  "RETURN",	 "QUEUE",    "AUDIT",
	"CHECKSUM", "CLASSIFY",	  "CLUSTERIP",	 "CONNMARK", "CONNSECMARK",
	"CT",	    "DNAT",	  "DNPT",	 "DSCP",     "ECN",
	"HL",	    "HMARK",	  "IDLETIMER",	 "LED",	     "LOG",
	"MARK",	    "MASQUERADE", "MIRROR",	 "NETMAP",   "NFLOG",
	"NFQUEUE",  "NOTRACK",	  "RATEEST",	 "REDIRECT", "REJECT",
	"SAME",	    "SECMARK",	  "SET",	 "SNAT",     "SNPT",
	"SYNPROXY", "TCPMSS",	  "TCPOPTSTRIP", "TEE",	     "TOS",
	"TPROXY",   "TRACE",	  "TTL",	 "ULOG",
};

bool ipt_is_known_target(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_targets); i++) {
		if (strcmp(known_targets[i], name) == 0)
			return true;
	}
	return false;
}
