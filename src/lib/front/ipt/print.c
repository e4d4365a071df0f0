// SPDX-License-Identifier: GPL-2.0-only
/*
 * Canonical iptables-save output (iptables 1.8 nft variant, as the
 * iptables test vectors expect it): "-s -d -i -o -p -f", then each `-m`
 * module in rule order with its options in the order its save function
 * prints them, then "-j" / "-g".
 *
 * Known difference: an ICMP code range (--icmp-type 3/1:5) is printed as
 * "3/1:5"; iptables-save prints "3/1", which would reload as another rule.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "front/ipt/ipt.h"

/* xtables_save_string(): bare when only [A-Za-z0-9_-], else double
 * quoted with " \ ' escaped. */
void ipt_print_save_string(FILE *out, const char *s)
{
	static const char plain[] = "_-0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t len = strspn(s, plain);

	if (len > 0 && s[len] == '\0') {
		fprintf(out, " %s", s);
		return;
	}
	fputs(" \"", out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == '\'')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Prefix length of a contiguous mask, -1 otherwise. */
static int mask_len(const uint8_t *m, int bytes)
{
	int bits = 0, i = 0;

	for (; i < bytes && m[i] == 0xff; i++)
		bits += 8;
	if (i < bytes) {
		uint8_t b = m[i];

		while (b & 0x80) {
			bits++;
			b = (uint8_t)(b << 1);
		}
		if (b)
			return -1;
		for (i++; i < bytes; i++) {
			if (m[i])
				return -1;
		}
	}
	return bits;
}

static void print_addr(FILE *out, const struct bf_match *m, char letter,
		       enum bf_family f)
{
	char buf[INET6_ADDRSTRLEN];
	int af = f == BF_FAMILY_INET4 ? AF_INET : AF_INET6;
	int len = mask_len(m->u.addr.mask, f == BF_FAMILY_INET4 ? 4 : 16);

	fprintf(out, "%s -%c %s", m->neg ? " !" : "", letter,
		inet_ntop(af, m->u.addr.addr, buf, sizeof(buf)));
	if (len >= 0)
		fprintf(out, "/%d", len);
	else
		fprintf(out, "/%s",
			inet_ntop(af, m->u.addr.mask, buf, sizeof(buf)));
}

void ipt_print_ports(FILE *out, const struct bf_match *m, const char *opt)
{
	fprintf(out, "%s --%s %u", m->neg ? " !" : "", opt, m->u.ports.lo);
	if (m->u.ports.hi != m->u.ports.lo)
		fprintf(out, ":%u", m->u.ports.hi);
}

void ipt_print_icmp_code(FILE *out, const struct bf_match *m)
{
	if (m->u.icmp.code_lo == 0 && m->u.icmp.code_hi == 0xff)
		return;
	fprintf(out, "/%u", m->u.icmp.code_lo);
	if (m->u.icmp.code_hi != m->u.icmp.code_lo)
		fprintf(out, ":%u", m->u.icmp.code_hi);
}

/* print_tcpf(): names in tcp_flag_names[] order, NONE for no flag. */
static void print_tcpf(FILE *out, uint8_t flags)
{
	static const char *const names[] = { "FIN", "SYN", "RST",
					     "PSH", "ACK", "URG" };
	bool any = false;

	for (int i = 0; i < 6; i++) {
		if (!(flags & (1u << i)))
			continue;
		fprintf(out, "%s%s", any ? "," : "", names[i]);
		any = true;
	}
	if (!any)
		fputs("NONE", out);
}

static void print_states(FILE *out, uint32_t mask)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} order[] = {
		{ BF_CTSTATE_INVALID, "INVALID" },
		{ BF_CTSTATE_NEW, "NEW" },
		{ BF_CTSTATE_RELATED, "RELATED" },
		{ BF_CTSTATE_ESTABLISHED, "ESTABLISHED" },
		{ BF_CTSTATE_UNTRACKED, "UNTRACKED" },
	};
	const char *sep = "";

	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (mask & order[i].bit) {
			fprintf(out, "%s%s", sep, order[i].name);
			sep = ",";
		}
	}
}

/* The module a match belongs to, for matches built without an iptables
 * origin (another front end). */
static enum ipt_mod_id module_of(const struct bf_rule *rule,
				 const struct bf_match *m)
{
	uint8_t proto = 0;

	if (m->nft != BF_NFT_OFF)
		return IPT_MOD_NFT;
	if (m->origin.module > IPT_MOD_CORE && m->origin.module < IPT_MOD_COUNT)
		return (enum ipt_mod_id)m->origin.module;
	for (size_t i = 0; i < rule->n_matches; i++) {
		if (rule->matches[i].type == BF_MATCH_L4PROTO)
			proto = rule->matches[i].u.proto;
	}
	switch (m->type) {
	case BF_MATCH_L4HDR:
		proto = m->u.l4hdr.proto;
		/* fallthrough */
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT:
	case BF_MATCH_TCPFLAGS:
		if (proto == 1)
			return IPT_MOD_ICMP;
		if (proto == 58)
			return IPT_MOD_ICMP6;
		return proto == 17 ? IPT_MOD_UDP : IPT_MOD_TCP;
	case BF_MATCH_ICMP:
		return rule->family == BF_FAMILY_INET6 ? IPT_MOD_ICMP6 :
							 IPT_MOD_ICMP;
	case BF_MATCH_MULTIPORT:
		return IPT_MOD_MULTIPORT;
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE:
		return IPT_MOD_IPRANGE;
	case BF_MATCH_CTSTATE:
		return IPT_MOD_CONNTRACK;
	case BF_MATCH_COMMENT:
		return IPT_MOD_COMMENT;
	case BF_MATCH_CONNTRACK:
		return IPT_MOD_CONNTRACK;
	case BF_MATCH_TH_DPORT: /* mod_nft.c */
		return IPT_MOD_TH;
	case BF_MATCH_OIF: /* mod_nft.c */
		return IPT_MOD_NFTIF;
	case BF_MATCH_ETH_TYPE: /* mod_nft.c */
	case BF_MATCH_VLAN:
		return IPT_MOD_NFTETHER;
	case BF_MATCH_OPTS6: /* mod_exthdr.c */
		return m->u.opts6.dst ? IPT_MOD_DST : IPT_MOD_HBH;
	case BF_MATCH_DSFIELD: /* mod_dscp.c: --dscp is mask 0xfc */
		return m->u.dsfield.mask == 0xfc ? IPT_MOD_DSCP : IPT_MOD_TOS;
	default:
		break;
	}
	/* Extension matches: the module whose emit builds this type. */
	for (int i = IPT_MOD_EXT_FIRST; i < IPT_MOD_COUNT; i++) {
		if (m->type == ipt_ext_match_type(i)) {
			if (m->type == BF_MATCH_TTL &&
			    rule->family == BF_FAMILY_INET6)
				return IPT_MOD_HL;
			return (enum ipt_mod_id)i;
		}
	}
	return IPT_MOD_CORE;
}

static void print_module_match(FILE *out, const struct bf_rule *rule,
			       enum ipt_mod_id mod, const struct bf_match *m)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int af = rule->family == BF_FAMILY_INET4 ? AF_INET : AF_INET6;
	const char *neg = m->neg ? " !" : "";

	switch (m->type) {
	case BF_MATCH_SPORT:
		ipt_print_ports(out, m, "sport");
		break;
	case BF_MATCH_DPORT:
		ipt_print_ports(out, m, "dport");
		break;
	case BF_MATCH_TCPFLAGS:
		fprintf(out, "%s --tcp-flags ", neg);
		print_tcpf(out, m->u.tcpflags.mask);
		fputc(' ', out);
		print_tcpf(out, m->u.tcpflags.cmp);
		break;
	case BF_MATCH_ICMP:
		if (mod == IPT_MOD_ICMP6) {
			fprintf(out, "%s --icmpv6-type %u", neg,
				m->u.icmp.type);
		} else if (m->u.icmp.type == 0xff && m->u.icmp.code_lo == 0 &&
			   m->u.icmp.code_hi == 0xff) {
			fprintf(out, "%s --icmp-type any", neg);
			break;
		} else {
			fprintf(out, "%s --icmp-type %u", neg, m->u.icmp.type);
		}
		ipt_print_icmp_code(out, m);
		break;
	case BF_MATCH_MULTIPORT:
		fprintf(out, "%s --%s ", neg,
			m->u.multiport.dir == BF_MULTIPORT_SRC ? "sports" :
			m->u.multiport.dir == BF_MULTIPORT_DST ? "dports" :
								 "ports");
		for (unsigned int i = 0;
		     i < m->u.multiport.count && i < BF_MULTIPORT_MAX; i++) {
			fprintf(out, "%s%u", i ? "," : "",
				m->u.multiport.ports[i]);
			if (m->u.multiport.is_range[i] &&
			    i + 1 < m->u.multiport.count)
				fprintf(out, ":%u", m->u.multiport.ports[++i]);
		}
		break;
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE:
		fprintf(out, "%s --%s %s-%s", neg,
			m->type == BF_MATCH_SRANGE ? "src-range" : "dst-range",
			inet_ntop(af, m->u.range.lo, lo, sizeof(lo)),
			inet_ntop(af, m->u.range.hi, hi, sizeof(hi)));
		break;
	case BF_MATCH_CTSTATE:
		fprintf(out, "%s --%s ", neg,
			mod == IPT_MOD_STATE ? "state" : "ctstate");
		print_states(out, m->u.ctstate.mask);
		break;
	case BF_MATCH_COMMENT: {
		char c[BF_COMMENT_MAX];

		memcpy(c, m->u.comment, sizeof(c));
		c[sizeof(c) - 1] = '\0';
		fputs(" --comment", out);
		ipt_print_save_string(out, c);
		break;
	}
	default:
		break;
	}
}

static void print_rule(FILE *out, const struct bf_rule *rule)
{
	const struct ipt_target *tgt;
	enum ipt_mod_id cur = IPT_MOD_CORE;
	int cur_inst = -1;

	for (size_t i = 0; i < rule->n_matches; i++) {
		const struct bf_match *m = &rule->matches[i];
		enum ipt_mod_id mod = module_of(rule, m);
		const char *pname;

		if (mod == IPT_MOD_CORE) {
			switch (m->type) {
			case BF_MATCH_SADDR:
				print_addr(out, m, 's', rule->family);
				break;
			case BF_MATCH_DADDR:
				print_addr(out, m, 'd', rule->family);
				break;
			case BF_MATCH_IIFNAME:
			case BF_MATCH_OIFNAME:
				fprintf(out, "%s -%c %.*s", m->neg ? " !" : "",
					m->type == BF_MATCH_IIFNAME ? 'i' : 'o',
					BF_IFNAMSIZ - 1, m->u.iface.name);
				break;
			case BF_MATCH_L4PROTO:
				/* save_rule_details() prints proto > 0. */
				if (!m->u.proto)
					break;
				pname = ipt_proto_name(m->u.proto);
				fprintf(out, "%s -p ", m->neg ? " !" : "");
				if (pname)
					fputs(pname, out);
				else
					fprintf(out, "%u", m->u.proto);
				break;
			case BF_MATCH_FRAG:
				fprintf(out, "%s -f", m->neg ? " !" : "");
				break;
			default:
				break;
			}
			continue;
		}
		if (mod != cur || m->origin.instance != cur_inst) {
			fprintf(out, " -m %s", ipt_module_by_id(mod)->name);
			cur = mod;
			cur_inst = m->origin.instance;
		}
		if (ipt_module_by_id(mod)->print)
			ipt_module_by_id(mod)->print(out, rule, m);
		else
			print_module_match(out, rule, mod, m);
	}
	switch (rule->verdict.kind) {
	case BF_VERDICT_ACCEPT:
	case BF_VERDICT_DROP:
	case BF_VERDICT_RETURN:
	case BF_VERDICT_NFT_NEXT:
		fprintf(out, " -j %s", bf_verdict_name(rule->verdict.kind));
		break;
	case BF_VERDICT_JUMP:
		fprintf(out, " -j %.*s", BF_CHAIN_NAME_MAX,
			rule->verdict.chain);
		break;
	case BF_VERDICT_GOTO:
		fprintf(out, " -g %.*s", BF_CHAIN_NAME_MAX,
			rule->verdict.chain);
		break;
	default:
		tgt = ipt_target_by_kind(rule->verdict.kind);
		if (tgt) {
			fprintf(out, " -j %s", tgt->name);
			tgt->print(out, rule);
		}
		break;
	}
}

/* The rule's arguments as one malloc'd string (every piece is printed
 * with a leading space: the string keeps it, "" for an empty rule). */
static char *rule_str(const struct bf_rule *rule)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	mem = open_memstream(&buf, &len);
	if (!mem)
		return NULL;
	print_rule(mem, rule);
	if (fclose(mem)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int bf_ipt_print_rule(FILE *out, const struct bf_rule *rule)
{
	_cleanup_free_ char *s = NULL;

	if (!out || !rule)
		return -EINVAL;
	s = rule_str(rule);
	if (!s)
		return -ENOMEM;
	fputs(*s ? s + 1 : "", out);
	return ferror(out) ? -EIO : 0;
}

static int cmp_chain(const void *a, const void *b)
{
	const struct bf_chain *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

int bf_ipt_print(FILE *out, const struct bf_ruleset *rs, enum bf_family family,
		 unsigned int flags)
{
	_cleanup_free_ const struct bf_chain **order = NULL;
	size_t n = 0;

	if (!out || !rs || (unsigned)family >= BF_FAMILY_COUNT)
		return -EINVAL;
	order = calloc(rs->n_chains ?: 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	/* Built-in chains in hook order, then user chains sorted by name,
	 * as iptables-save lists them. */
	for (int h = 0; h < BF_HOOK_COUNT; h++) {
		const struct bf_chain *c = bf_ruleset_builtin(rs, family, h);

		if (c)
			order[n++] = c;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].family == family && !rs->chains[i].builtin)
			order[n++] = &rs->chains[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (!order[i]->builtin) {
			qsort(&order[i], n - i, sizeof(*order), cmp_chain);
			break;
		}
	}
	fputs("*filter\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct bf_chain *c = order[i];

		if (c->builtin)
			fprintf(out, ":%s %s [%llu:%llu]\n", c->name,
				bf_verdict_name(c->policy),
				(unsigned long long)c->policy_counter.packets,
				(unsigned long long)c->policy_counter.bytes);
		else
			fprintf(out, ":%s - [0:0]\n", c->name);
	}
	for (size_t i = 0; i < n; i++) {
		const struct bf_chain *c = order[i];

		for (size_t j = 0; j < c->n_rules; j++) {
			const struct bf_rule *r = &c->rules[j];
			_cleanup_free_ char *s = rule_str(r);

			if (!s)
				return -ENOMEM;
			if (flags & BF_IPT_PRINT_COUNTERS)
				fprintf(out, "[%llu:%llu] ",
					(unsigned long long)r->counter.packets,
					(unsigned long long)r->counter.bytes);
			fprintf(out, "-A %s%s\n", c->name, s);
		}
	}
	fputs("COMMIT\n", out);
	return ferror(out) ? -EIO : 0;
}
