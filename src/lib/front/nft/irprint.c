// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR printed in nft syntax (`bpfilter save --format nft`): one table
 * per family with the built-in chains as base chains at their hooks and
 * the user chains as regular chains; what `nft -f` reads back. An IR match
 * or target nft has no equivalent for is reported and makes the printer
 * return -EOPNOTSUPP (the rest is still printed, that rule as a comment).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/set.h"
#include "front/nft/nft.h"
#include "front/nft/setmap.h"

static const char *const tcpflag_names[8] = { "fin", "syn", "rst", "psh",
					      "ack", "urg", "ecn", "cwr" };

static void flags_or(FILE *out, uint8_t v)
{
	bool any = false;

	for (int i = 0; i < 8; i++) {
		if (!(v & (1u << i)))
			continue;
		fprintf(out, "%s%s", any ? " | " : "", tcpflag_names[i]);
		any = true;
	}
	if (!any)
		fputs("0x0", out);
}

static int prefix_len(const uint8_t *mask, int bytes)
{
	int n = 0;

	for (int i = 0; i < bytes; i++)
		for (int b = 7; b >= 0; b--) {
			if (!(mask[i] & (1u << b)))
				return n;
			n++;
		}
	return n;
}

static void addr(FILE *out, enum bf_family f, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(f == BF_FAMILY_INET4 ? AF_INET : AF_INET6, a, buf,
		  sizeof(buf));
	fputs(buf, out);
}

static const char *op(bool neg)
{
	return neg ? "!= " : "";
}

static void ctstate(FILE *out, uint32_t mask, const char *sep)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ BF_CTSTATE_INVALID, "invalid" },
		{ BF_CTSTATE_ESTABLISHED, "established" },
		{ BF_CTSTATE_RELATED, "related" },
		{ BF_CTSTATE_NEW, "new" },
		{ BF_CTSTATE_UNTRACKED, "untracked" },
	};
	bool any = false;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(mask & names[i].bit))
			continue;
		fprintf(out, "%s%s", any ? sep : "", names[i].name);
		any = true;
	}
}

static const char *reject_str(enum bf_reject_with w)
{
	switch (w) {
	case BF_REJECT_ICMP_NET_UNREACHABLE:
		return "icmp net-unreachable";
	case BF_REJECT_ICMP_HOST_UNREACHABLE:
		return "icmp host-unreachable";
	case BF_REJECT_ICMP_PORT_UNREACHABLE:
		return "icmp port-unreachable";
	case BF_REJECT_ICMP_PROTO_UNREACHABLE:
		return "icmp prot-unreachable";
	case BF_REJECT_ICMP_NET_PROHIBITED:
		return "icmp net-prohibited";
	case BF_REJECT_ICMP_HOST_PROHIBITED:
		return "icmp host-prohibited";
	case BF_REJECT_ICMP_ADMIN_PROHIBITED:
		return "icmp admin-prohibited";
	case BF_REJECT_TCP_RESET:
		return "tcp reset";
	case BF_REJECT_ICMP6_NO_ROUTE:
		return "icmpv6 no-route";
	case BF_REJECT_ICMP6_ADM_PROHIBITED:
		return "icmpv6 admin-prohibited";
	case BF_REJECT_ICMP6_ADDR_UNREACHABLE:
		return "icmpv6 addr-unreachable";
	case BF_REJECT_ICMP6_PORT_UNREACHABLE:
		return "icmpv6 port-unreachable";
	case BF_REJECT_ICMP6_POLICY_FAIL:
		return "icmpv6 policy-fail";
	case BF_REJECT_ICMP6_REJECT_ROUTE:
		return "icmpv6 reject-route";
	default:
		return NULL;
	}
}

/* One rule's statements; false if something has no nft form (*what). */
static bool rule_stmts(FILE *out, const struct bf_ruleset *rs,
		       const struct bf_rule *r, bool counters,
		       const char **what)
{
	enum bf_family f = r->family;
	const char *ip = f == BF_FAMILY_INET4 ? "ip" : "ip6";
	const char *l4 = "th";
	const char *comment = NULL;
	const struct bf_match *vmap = NULL;
	bool sep = false;

#define SP() (sep ? fputc(' ', out) : 0, sep = true)
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct bf_match *m = &r->matches[i];
		switch (m->type) {
		case BF_MATCH_L4PROTO:
			if (m->nft == BF_NFT_RAW) {
				/* the IPv6 header's field (bf_nft_mode) */
				SP();
				fprintf(out, "ip6 nexthdr %s%u", op(m->neg),
					m->u.proto);
				break;
			}
			if (!m->u.proto) {
				*what = "protocol all";
				return false;
			}
			SP();
			fprintf(out, "meta l4proto %s%u", op(m->neg),
				m->u.proto);
			if (!m->neg)
				l4 = m->u.proto == 6  ? "tcp" :
				     m->u.proto == 17 ? "udp" :
							"th";
			break;
		case BF_MATCH_L4HDR:
			break; /* implied by the transport fields */
		case BF_MATCH_SADDR:
		case BF_MATCH_DADDR: {
			int bytes = f == BF_FAMILY_INET4 ? 4 : 16;
			int len = prefix_len(m->u.addr.mask, bytes);
			SP();
			fprintf(out, "%s %s %s", ip,
				m->type == BF_MATCH_SADDR ? "saddr" : "daddr",
				op(m->neg));
			addr(out, f, m->u.addr.addr);
			if (len != bytes * 8)
				fprintf(out, "/%d", len);
			break;
		}
		case BF_MATCH_SRANGE:
		case BF_MATCH_DRANGE:
			SP();
			fprintf(out, "%s %s %s", ip,
				m->type == BF_MATCH_SRANGE ? "saddr" : "daddr",
				op(m->neg));
			addr(out, f, m->u.range.lo);
			fputc('-', out);
			addr(out, f, m->u.range.hi);
			break;
		case BF_MATCH_IIFNAME:
		case BF_MATCH_OIFNAME: {
			char name[BF_IFNAMSIZ + 1];
			size_t n = strlen(m->u.iface.name);
			if (!m->u.iface.cmp_len)
				break; /* "+": any interface */
			snprintf(name, sizeof(name), "%s", m->u.iface.name);
			if (n && name[n - 1] == '+')
				name[n - 1] = '*';
			SP();
			fprintf(out, "%s %s\"%s\"",
				m->type == BF_MATCH_IIFNAME ? "iifname" :
							      "oifname",
				op(m->neg), name);
			break;
		}
		case BF_MATCH_SPORT:
		case BF_MATCH_DPORT:
			SP();
			fprintf(out, "%s %s %s%u", l4,
				m->type == BF_MATCH_SPORT ? "sport" : "dport",
				op(m->neg), m->u.ports.lo);
			if (m->u.ports.hi != m->u.ports.lo)
				fprintf(out, "-%u", m->u.ports.hi);
			break;
		case BF_MATCH_TCPFLAGS:
			SP();
			fputs("tcp flags & (", out);
			flags_or(out, m->u.tcpflags.mask);
			fprintf(out, ") %s ", m->neg ? "!=" : "==");
			flags_or(out, m->u.tcpflags.cmp);
			break;
		case BF_MATCH_ICMP: {
			const char *p = f == BF_FAMILY_INET4 ? "icmp" :
							       "icmpv6";
			bool all_codes = m->u.icmp.code_lo == 0 &&
					 m->u.icmp.code_hi == 0xff;
			if (f == BF_FAMILY_INET4 && m->u.icmp.type == 0xff &&
			    m->nft == BF_NFT_OFF)
				break; /* any type (not in nft evaluation) */
			if (m->neg && !all_codes) {
				*what = "negated icmp type and code";
				return false;
			}
			SP();
			fprintf(out, "%s type %s%u", p, op(m->neg),
				m->u.icmp.type);
			if (!all_codes) {
				fprintf(out, " %s code %u", p,
					m->u.icmp.code_lo);
				if (m->u.icmp.code_hi != m->u.icmp.code_lo)
					fprintf(out, "-%u", m->u.icmp.code_hi);
			}
			break;
		}
		case BF_MATCH_CTSTATE:
			SP();
			if (m->neg) {
				fputs("ct state & (", out);
				ctstate(out, m->u.ctstate.mask, " | ");
				fputs(") == 0", out);
			} else {
				fputs("ct state ", out);
				ctstate(out, m->u.ctstate.mask, ",");
			}
			break;
		case BF_MATCH_MARK:
		case BF_MATCH_CONNMARK:
			SP();
			fputs(m->type == BF_MATCH_MARK ? "meta mark " :
							 "ct mark ",
			      out);
			if (m->u.mark.mask != 0xffffffff)
				fprintf(out, "& 0x%08x %s", m->u.mark.mask,
					m->neg ? "!= " : "== ");
			else
				fputs(op(m->neg), out);
			fprintf(out, "0x%08x", m->u.mark.value);
			break;
		case BF_MATCH_PKTTYPE: {
			static const char *const names[] = {
				"host", "broadcast", "multicast", "other"
			};
			SP();
			if (m->u.pkttype.pkttype < 4)
				fprintf(out, "meta pkttype %s%s", op(m->neg),
					names[m->u.pkttype.pkttype]);
			else
				fprintf(out, "meta pkttype %s%u", op(m->neg),
					m->u.pkttype.pkttype);
			break;
		}
		case BF_MATCH_LENGTH: {
			unsigned int lo = m->u.length.min, hi = m->u.length.max;
			if (f == BF_FAMILY_INET6) {
				/* the IR's length is payload + 40 */
				if (lo < 40) {
					*what = "IPv6 length below 40";
					return false;
				}
				lo -= 40;
				hi -= 40;
			}
			SP();
			fprintf(out, "%s length %s%u", ip, op(m->neg), lo);
			if (hi != lo)
				fprintf(out, "-%u", hi);
			break;
		}
		case BF_MATCH_TTL: {
			static const char *const ops[] = { "", "!= ", "< ",
							   "> " };
			SP();
			fprintf(out, "%s %s %s%u", ip,
				f == BF_FAMILY_INET4 ? "ttl" : "hoplimit",
				ops[m->u.ttl.op], m->u.ttl.value);
			break;
		}
		case BF_MATCH_FRAG:
			if (f != BF_FAMILY_INET4) {
				*what = "fragment";
				return false;
			}
			SP();
			fprintf(out, "ip frag-off & 0x1fff %s 0",
				m->neg ? "==" : "!=");
			break;
		case BF_MATCH_COMMENT:
			comment = m->u.comment;
			break;
		case BF_MATCH_SET: /* a lowered nft set (setmap.c) */
			if (nft_setmap_vmap_half(rs, r) == 1) {
				vmap = m; /* printed as the verdict */
				break;
			}
			SP();
			if (!nft_setmap_print_lookup(out, rs, m, f, l4)) {
				*what = "set";
				return false;
			}
			break;
		case BF_MATCH_NFT_LIMIT: {
			struct bf_nft_stmt st = { .kind = BF_NFT_S_LIMIT };
			st.u.limit.rate = m->u.nft_limit.rate;
			st.u.limit.unit = m->u.nft_limit.unit;
			st.u.limit.burst = m->u.nft_limit.burst;
			st.u.limit.bytes = m->u.nft_limit.bytes;
			st.u.limit.over = m->u.nft_limit.over;
			SP();
			nft_stmt_print(out, &st);
			break;
		}
		case BF_MATCH_IIF:
		case BF_MATCH_OIF: {
			char name[IF_NAMESIZE];
			if (!if_indextoname(m->u.ifindex.index, name)) {
				*what = "iif/oif of an interface that is gone";
				return false;
			}
			SP();
			fprintf(out, "%s %s\"%s\"",
				m->type == BF_MATCH_IIF ? "iif" : "oif",
				op(m->neg), name);
			break;
		}
		case BF_MATCH_MAC:
		case BF_MATCH_ETH_DADDR: {
			/* nft adds `meta iiftype ether` to both, as
			 * mac_mt() and m_ether.c test */
			const uint8_t *a = m->u.mac.addr;
			SP();
			fprintf(out, "ether %s %s%02x:%02x:%02x:%02x:%02x:%02x",
				m->type == BF_MATCH_MAC ? "saddr" : "daddr",
				op(m->neg), a[0], a[1], a[2], a[3], a[4], a[5]);
			break;
		}
		case BF_MATCH_ETH_TYPE:
			SP();
			fprintf(out, "ether type %s0x%04x", op(m->neg),
				m->u.ethtype.type);
			break;
		case BF_MATCH_VLAN:
			SP();
			if (m->u.vlan.field == BF_VLAN_TYPE) {
				fprintf(out, "vlan type %s0x%04x", op(m->neg),
					m->u.vlan.lo);
				if (m->u.vlan.hi != m->u.vlan.lo)
					fprintf(out, "-0x%04x", m->u.vlan.hi);
				break;
			}
			fprintf(out, "vlan %s %s%u",
				m->u.vlan.field == BF_VLAN_ID  ? "id" :
				m->u.vlan.field == BF_VLAN_PCP ? "pcp" :
								 "dei",
				op(m->neg), m->u.vlan.lo);
			if (m->u.vlan.hi != m->u.vlan.lo)
				fprintf(out, "-%u", m->u.vlan.hi);
			break;
		case BF_MATCH_PAYLOAD: {
			/* nft's raw payload syntax (m_payload.c) */
			const typeof(m->u.payload) *p = &m->u.payload;
			uint32_t bits = p->len * 8u, mk = p->mask;
			unsigned int sh = 0, w = 0;

			if (bits < 32)
				mk &= (1u << bits) - 1;
			while (sh < bits && mk && !(mk >> sh & 1))
				sh++;
			while (sh + w < bits && (mk >> (sh + w) & 1))
				w++;
			SP();
			if (!mk || (sh + w < 32 && (mk >> (sh + w)))) {
				/* not one run of bits: the bytes, masked */
				fprintf(out, "@%s,%u,%u & 0x%x %s0x%x",
					p->base == BF_PAYLOAD_TH ? "th" : "nh",
					p->off * 8u, bits, mk, op(m->neg),
					p->lo);
			} else {
				fprintf(out, "@%s,%u,%u %s%u",
					p->base == BF_PAYLOAD_TH ? "th" : "nh",
					p->off * 8u + bits - sh - w, w,
					op(m->neg), p->lo >> sh);
			}
			if (p->hi != p->lo)
				fprintf(out, "-%u", p->hi >> sh);
			break;
		}
		case BF_MATCH_TH_SPORT:
		case BF_MATCH_TH_DPORT:
			SP();
			fprintf(out, "th %s %s%u",
				m->type == BF_MATCH_TH_SPORT ? "sport" :
							       "dport",
				op(m->neg), m->u.ports.lo);
			if (m->u.ports.hi != m->u.ports.lo)
				fprintf(out, "-%u", m->u.ports.hi);
			break;
		case BF_MATCH_CONNTRACK: {
			/* what the nft lowering makes: ct status, ct
			 * direction (lower.c) */
			const typeof(m->u.conntrack) *ct = &m->u.conntrack;
			const struct nft_sym *sy =
				nft_dtype(BF_NFT_DT_CTSTATUS)->syms;
			uint16_t fl = ct->match_flags;
			bool any = false;
			if (m->neg || !fl ||
			    (fl & ~(BF_CT_STATUS | BF_CT_DIRECTION |
				    BF_CT_STATUS_EQ)) ||
			    ((fl & BF_CT_STATUS) && !ct->status_mask)) {
				*what = "conntrack";
				return false;
			}
			if (fl & BF_CT_STATUS) {
				SP();
				fputs(ct->invert_flags & BF_CT_STATUS ?
					      "ct status ! " :
					      "ct status ",
				      out);
				for (size_t k = 0; sy[k].name; k++) {
					if (!(ct->status_mask & sy[k].value))
						continue;
					fprintf(out, "%s%s", any ? "," : "",
						sy[k].name);
					any = true;
				}
			}
			if (fl & BF_CT_STATUS_EQ) {
				uint16_t rest = ct->status_mask;
				SP();
				fputs(ct->invert_flags & BF_CT_STATUS_EQ ?
					      "ct status != " :
					      "ct status == ",
				      out);
				for (size_t k = 0; sy[k].name; k++)
					rest &= (uint16_t)~sy[k].value;
				for (size_t k = 0; !rest && sy[k].name; k++) {
					if (!(ct->status_mask & sy[k].value))
						continue;
					fprintf(out, "%s%s", any ? "," : "",
						sy[k].name);
					any = true;
				}
				if (rest || !ct->status_mask)
					fprintf(out, "0x%x", ct->status_mask);
			}
			if (fl & BF_CT_DIRECTION) {
				SP();
				fprintf(out, "ct direction %s",
					ct->invert_flags & BF_CT_DIRECTION ?
						"reply" :
						"original");
			}
			break;
		}
		case BF_MATCH_BPF: /* bpfilter's extension (bpf.c) */
			SP();
			nft_bpf_print(out, m->u.bpf.ref, m->neg, false);
			break;
		default:
			*what = bf_match_name(m->type);
			return false;
		}
	}
	SP();
	if (counters)
		fprintf(out, "counter packets %" PRIu64 " bytes %" PRIu64,
			r->counter.packets, r->counter.bytes);
	else
		fputs("counter", out);
	if (vmap) {
		/* the accept half of a lowered vmap (setmap.c) */
		fputc(' ', out);
		if (!nft_setmap_print_lookup(out, rs, vmap, f, l4)) {
			*what = "set";
			return false;
		}
		if (comment)
			fprintf(out, " comment \"%s\"", comment);
		return true;
	}
	switch (r->verdict.kind) {
	case BF_VERDICT_CONTINUE:
		break;
	case BF_VERDICT_ACCEPT:
	case BF_VERDICT_NFT_NEXT: /* the accept of one of several base chains */
		fputs(" accept", out);
		break;
	case BF_VERDICT_DROP:
		fputs(" drop", out);
		break;
	case BF_VERDICT_RETURN:
		fputs(" return", out);
		break;
	case BF_VERDICT_JUMP:
		fprintf(out, " jump %s", r->verdict.chain);
		break;
	case BF_VERDICT_GOTO:
		fprintf(out, " goto %s", r->verdict.chain);
		break;
	case BF_VERDICT_REJECT: {
		const char *w = reject_str(r->verdict.u.reject.with);
		if (!w) {
			*what = "this REJECT type";
			return false;
		}
		fprintf(out, " reject with %s", w);
		break;
	}
	case BF_VERDICT_LOG:
		fputs(" log", out);
		if (r->verdict.u.log.prefix[0])
			fprintf(out, " prefix \"%s\"", r->verdict.u.log.prefix);
		if (r->verdict.u.log.level != 4)
			fprintf(out, " level %s",
				nft_sym_name(nft_log_level_syms,
					     r->verdict.u.log.level)
					?: "warn");
		if (r->verdict.u.log.flags & BF_LOGF_TCPSEQ)
			fputs(" flags tcp sequence", out);
		if (r->verdict.u.log.flags & BF_LOGF_TCPOPT)
			fputs(" flags tcp options", out);
		if (r->verdict.u.log.flags & BF_LOGF_IPOPT)
			fputs(" flags ip options", out);
		if (r->verdict.u.log.flags & BF_LOGF_UID)
			fputs(" flags skuid", out);
		if (r->verdict.u.log.flags & BF_LOGF_MACDECODE)
			fputs(" flags ether", out);
		break;
	case BF_VERDICT_NFLOG: {
		const typeof(r->verdict.u.nflog) *nl = &r->verdict.u.nflog;
		if (nl->len && !nl->copy_len) {
			*what = "NFLOG --nflog-range";
			return false;
		}
		fputs(" log", out);
		if (nl->prefix[0])
			fprintf(out, " prefix \"%s\"", nl->prefix);
		fprintf(out, " group %u", nl->group);
		if (nl->len)
			fprintf(out, " snaplen %u", nl->len);
		if (nl->threshold)
			fprintf(out, " queue-threshold %u", nl->threshold);
		break;
	}
	case BF_VERDICT_MARK:
		if (r->verdict.u.mark.mask == 0xffffffff) {
			fprintf(out, " meta mark set 0x%08x",
				r->verdict.u.mark.value);
			break;
		}
		*what = "MARK with a mask";
		return false;
	case BF_VERDICT_BPF:
		fputc(' ', out);
		nft_bpf_print(out, r->verdict.u.bpf.ref, false, true);
		break;
	default:
		*what = bf_verdict_name(r->verdict.kind);
		return false;
	}
	if (comment)
		fprintf(out, " comment \"%s\"", comment);
	return true;
#undef SP
}

int bf_nft_print_ir(FILE *out, const struct bf_ruleset *rs,
		    enum bf_family family, const char *table, bool counters)
{
	static const char *const hooks[BF_HOOK_COUNT] = { "input", "forward",
							  "output" };
	int ret = 0;

	fprintf(out, "table %s %s {\n",
		family == BF_FAMILY_INET4 ? "ip" : "ip6", table);
	/* the sets the rules of this family look up */
	for (size_t i = 0; i < rs->n_sets; i++) {
		bool used = false;
		for (size_t j = 0; j < rs->n_chains && !used; j++) {
			const struct bf_chain *c = &rs->chains[j];
			for (size_t k = 0;
			     c->family == family && k < c->n_rules && !used;
			     k++)
				for (size_t l = 0; l < c->rules[k].n_matches;
				     l++)
					if (c->rules[k].matches[l].type ==
						    BF_MATCH_SET &&
					    !strcmp(c->rules[k]
							    .matches[l]
							    .u.set.name,
						    rs->sets[i].name))
						used = true;
		}
		if (used && (rs->sets[i].family == family ||
			     bf_set_any_family(&rs->sets[i]))) {
			int r = nft_set_print_decl(out, &rs->sets[i]);
			if (r == -ENOMEM)
				return r;
			if (r && !ret)
				ret = r;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rs->n_chains; i++) {
			const struct bf_chain *c = &rs->chains[i];
			if (c->family != family || c->builtin != (pass == 0))
				continue;
			if (nft_setmap_dispatch_chain(rs, c))
				continue; /* printed as its rule's vmap */
			fprintf(out, "\tchain %s {\n", c->name);
			if (c->builtin)
				fprintf(out,
					"\t\ttype filter hook %s priority filter; "
					"policy %s;\n",
					hooks[c->hook],
					c->policy == BF_VERDICT_DROP ?
						"drop" :
						"accept");
			for (size_t j = 0; j < c->n_rules; j++) {
				const char *what = NULL;
				char *buf = NULL;
				size_t len = 0;
				FILE *m = open_memstream(&buf, &len);
				bool ok;
				if (!m)
					return -ENOMEM;
				if (nft_setmap_vmap_half(rs, &c->rules[j]) ==
				    2) {
					/* printed with its accept half */
					fclose(m);
					free(buf);
					continue;
				}
				ok = rule_stmts(m, rs, &c->rules[j], counters,
						&what);
				fclose(m);
				if (ok) {
					fprintf(out, "\t\t%s\n", buf);
				} else {
					fprintf(out,
						"\t\t# rule %zu: %s has no nft form\n",
						j + 1, what);
					bf_log(BF_LOG_ERROR,
					       "chain %s rule %zu: %s has no nft form",
					       c->name, j + 1, what);
					ret = -EOPNOTSUPP;
				}
				free(buf);
			}
			fputs("\t}\n", out);
		}
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : ret;
}
