// SPDX-License-Identifier: GPL-2.0-only
/*
 * bf_list() and bf_save(): what is in force, read back from the pinned
 * state of each slot and its live counters map.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <net/if.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/userbpf.h"
#include "bpfilter/log.h"
#include "front/ipt/list_ext.h"
#include "load/seg.h"
#include "load/link.h"
#include "load/load.h"
#include "load/pin.h"
#include "load/show_stateful.h"
#include "load/slot.h"
#include "load/state.h"
#include "set/slot.h"

/* What one slot has in force, with live counters. */
struct view {
	struct bf_slot slot;
	struct bf_state st;
	struct bf_ruleset *rs;
	bool attached; /* every attach point's link is live */
};

static void view_release(struct view *v)
{
	bf_state_release(&v->st);
	bf_ruleset_free(&v->rs);
}

/* A tc or xdp slot whose interface went away is no longer attached
 * (its links report ifindex 0); the next apply attaches it again. */
static bool slot_attached(const struct view *v)
{
	struct bf_point pts[BF_MAX_POINTS];
	unsigned int ifindex = 0;
	size_t n;

	if (v->slot.kind != BF_ATTACH_NF) {
		ifindex = if_nametoindex(v->slot.ifname);
		if (!ifindex)
			return false;
	}
	n = bf_slot_points_in(v->slot.kind, v->st.hdr.families,
			      v->st.hdr.points, pts);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (bf_path(path, sizeof(path), "%s/link_%s", v->slot.dir,
			    pts[i].key) ||
		    !bf_link_pin_alive(path, v->slot.kind, ifindex))
			return false;
	}
	return true;
}

static int view_load(struct view *v)
{
	char path[PATH_MAX];
	_cleanup_close_ int cfd = -1;
	_cleanup_free_ struct bf_counter *vals = NULL;
	uint32_t n = 0;
	int r;

	bf_path(path, sizeof(path), "%s/state", v->slot.dir);
	r = bf_state_read(path, &v->st);
	if (r)
		return r;
	v->rs = bf_ruleset_new();
	if (!v->rs)
		return -ENOMEM;
	r = bf_state_parse(v->rs, &v->st, v->slot.name, v->st.hdr.families);
	if (r)
		return r;
	bf_ruleset_number(v->rs);
	/* counter slots of segment programs (load/seg.h) */
	r = bf_seg_apply_slots(v->rs, v->slot.dir, v->st.hdr.generation);
	if (r)
		return r;
	bf_path(path, sizeof(path), "%s/counters", v->slot.dir);
	cfd = bpf_obj_get(path);
	if (cfd < 0)
		return -errno;
	r = bf_counters_read(cfd, &vals, &n);
	if (r)
		return r;
	if (n < v->rs->n_counters)
		bf_warn("%s: counters map smaller than the ruleset",
			v->slot.name);
	bf_counters_apply(v->rs, vals, n);
	v->attached = slot_attached(v);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Call fn for every selected slot, in name order, under a shared lock. */
static int for_each_slot(const struct bf_slot_sel *sel,
			 int (*fn)(struct view *v, void *data), void *data)
{
	char nsdir[PATH_MAX];
	_cleanup_close_ int lock = -1;
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	DIR *d;
	int r;

	r = bf_netns_dir(nsdir, sizeof(nsdir), false);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	lock = bf_netns_lock(nsdir, false);
	if (lock < 0)
		return lock;
	d = opendir(nsdir);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < ARRAY_SIZE(names)) {
		if (e->d_name[0] == '.')
			continue;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	r = 0;
	for (size_t i = 0; i < n; i++) {
		struct view v = { 0 };

		if (r || bf_slot_from_name(&v.slot, nsdir, names[i]) ||
		    !bf_slot_selected(&v.slot, sel)) {
			free(names[i]);
			continue;
		}
		r = view_load(&v);
		if (r == -ENOENT)
			r = 0; /* a slot half made or half removed */
		else if (!r)
			r = fn(&v, data);
		else
			bf_err("cannot read the state of slot %s: %s",
			       v.slot.name, strerror(-r));
		view_release(&v);
		free(names[i]);
	}
	return r;
}

/* ---- iptables -L style text ---- */

static const char *proto_name(uint8_t p, char buf[8])
{
	switch (p) {
	case 0:
		return "all";
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "ipv6-icmp";
	case 132:
		return "sctp";
	case 136:
		return "udplite";
	case 47:
		return "gre";
	case 50:
		return "esp";
	case 51:
		return "ah";
	case 135: /* /etc/protocols' name, as iptables-legacy -L prints */
		return "mobility-header";
	default:
		snprintf(buf, 8, "%u", p);
		return buf;
	}
}

static int prefix_len(const uint8_t *mask, int bytes)
{
	int n = 0;

	for (int i = 0; i < bytes; i++)
		n += __builtin_popcount(mask[i]);
	return n;
}

static void addr_str(enum bf_family f, const struct bf_match *m, char *buf,
		     size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(f == BF_FAMILY_INET4 ? AF_INET : AF_INET6, m->u.addr.addr, a,
		  sizeof(a));
	snprintf(buf, size, "%s%s/%d", m->neg ? "!" : "", a,
		 prefix_len(m->u.addr.mask, f == BF_FAMILY_INET4 ? 4 : 16));
}

static void print_num(FILE *out, uint64_t v, bool exact, int width)
{
	static const char units[] = "KMGT";

	if (exact || v <= 99999) {
		fprintf(out, "%*llu ", exact ? width : 5,
			(unsigned long long)v);
		return;
	}
	for (int i = 0; i < 4; i++) {
		v = (v + 500) / 1000;
		if (v <= 9999 || i == 3) {
			fprintf(out, "%4llu%c ", (unsigned long long)v,
				units[i]);
			return;
		}
	}
}

/* libxt_conntrack's print order */
static const struct {
	uint32_t bit;
	const char *name;
} ct_names[] = {
	{ BF_CTSTATE_INVALID, "INVALID" },
	{ BF_CTSTATE_NEW, "NEW" },
	{ BF_CTSTATE_RELATED, "RELATED" },
	{ BF_CTSTATE_ESTABLISHED, "ESTABLISHED" },
	{ BF_CTSTATE_UNTRACKED, "UNTRACKED" },
};

#define PORT_STR_MAX 64

/* A port as iptables -L prints it: the service name of proto unless
 * numeric (port_to_service() in libxt_tcp / libxt_multiport). */
static const char *port_str(uint16_t port, uint8_t proto, bool names,
			    char buf[PORT_STR_MAX])
{
	/* copied: getservbyport()'s result is overwritten by the next
	 * call, and a range prints two names in one fprintf() */
	if (names && (proto == 6 || proto == 17)) {
		struct servent *se =
			getservbyport(htons(port), proto == 6 ? "tcp" : "udp");

		if (se) {
			snprintf(buf, PORT_STR_MAX, "%s", se->s_name);
			return buf;
		}
	}
	snprintf(buf, PORT_STR_MAX, "%u", port);
	return buf;
}

/* The ICMP type names iptables -L prints without -n (the icmp_codes
 * tables of libxt_icmp / libip6t_icmp6): a type alone matches every code. */
static const struct icmp_name {
	uint8_t family, type, lo, hi;
	const char *name;
} icmp_names[] = {
	{ BF_FAMILY_INET4, 0xff, 0, 0xff, "any" },
	{ BF_FAMILY_INET4, 0, 0, 0xff, "echo-reply" },
	{ BF_FAMILY_INET4, 3, 0, 0xff, "destination-unreachable" },
	{ BF_FAMILY_INET4, 3, 0, 0, "network-unreachable" },
	{ BF_FAMILY_INET4, 3, 1, 1, "host-unreachable" },
	{ BF_FAMILY_INET4, 3, 2, 2, "protocol-unreachable" },
	{ BF_FAMILY_INET4, 3, 3, 3, "port-unreachable" },
	{ BF_FAMILY_INET4, 3, 4, 4, "fragmentation-needed" },
	{ BF_FAMILY_INET4, 3, 5, 5, "source-route-failed" },
	{ BF_FAMILY_INET4, 3, 6, 6, "network-unknown" },
	{ BF_FAMILY_INET4, 3, 7, 7, "host-unknown" },
	{ BF_FAMILY_INET4, 3, 9, 9, "network-prohibited" },
	{ BF_FAMILY_INET4, 3, 10, 10, "host-prohibited" },
	{ BF_FAMILY_INET4, 3, 11, 11, "TOS-network-unreachable" },
	{ BF_FAMILY_INET4, 3, 12, 12, "TOS-host-unreachable" },
	{ BF_FAMILY_INET4, 3, 13, 13, "communication-prohibited" },
	{ BF_FAMILY_INET4, 3, 14, 14, "host-precedence-violation" },
	{ BF_FAMILY_INET4, 3, 15, 15, "precedence-cutoff" },
	{ BF_FAMILY_INET4, 4, 0, 0xff, "source-quench" },
	{ BF_FAMILY_INET4, 5, 0, 0xff, "redirect" },
	{ BF_FAMILY_INET4, 5, 0, 0, "network-redirect" },
	{ BF_FAMILY_INET4, 5, 1, 1, "host-redirect" },
	{ BF_FAMILY_INET4, 5, 2, 2, "TOS-network-redirect" },
	{ BF_FAMILY_INET4, 5, 3, 3, "TOS-host-redirect" },
	{ BF_FAMILY_INET4, 8, 0, 0xff, "echo-request" },
	{ BF_FAMILY_INET4, 9, 0, 0xff, "router-advertisement" },
	{ BF_FAMILY_INET4, 10, 0, 0xff, "router-solicitation" },
	{ BF_FAMILY_INET4, 11, 0, 0xff, "time-exceeded" },
	{ BF_FAMILY_INET4, 11, 0, 0, "ttl-zero-during-transit" },
	{ BF_FAMILY_INET4, 11, 1, 1, "ttl-zero-during-reassembly" },
	{ BF_FAMILY_INET4, 12, 0, 0xff, "parameter-problem" },
	{ BF_FAMILY_INET4, 12, 0, 0, "ip-header-bad" },
	{ BF_FAMILY_INET4, 12, 1, 1, "required-option-missing" },
	{ BF_FAMILY_INET4, 13, 0, 0xff, "timestamp-request" },
	{ BF_FAMILY_INET4, 14, 0, 0xff, "timestamp-reply" },
	{ BF_FAMILY_INET4, 17, 0, 0xff, "address-mask-request" },
	{ BF_FAMILY_INET4, 18, 0, 0xff, "address-mask-reply" },
	{ BF_FAMILY_INET6, 1, 0, 0xff, "destination-unreachable" },
	{ BF_FAMILY_INET6, 1, 0, 0, "no-route" },
	{ BF_FAMILY_INET6, 1, 1, 1, "communication-prohibited" },
	{ BF_FAMILY_INET6, 1, 2, 2, "beyond-scope" },
	{ BF_FAMILY_INET6, 1, 3, 3, "address-unreachable" },
	{ BF_FAMILY_INET6, 1, 4, 4, "port-unreachable" },
	{ BF_FAMILY_INET6, 1, 5, 5, "failed-policy" },
	{ BF_FAMILY_INET6, 1, 6, 6, "reject-route" },
	{ BF_FAMILY_INET6, 2, 0, 0xff, "packet-too-big" },
	{ BF_FAMILY_INET6, 3, 0, 0xff, "time-exceeded" },
	{ BF_FAMILY_INET6, 3, 0, 0, "ttl-zero-during-transit" },
	{ BF_FAMILY_INET6, 3, 1, 1, "ttl-zero-during-reassembly" },
	{ BF_FAMILY_INET6, 4, 0, 0xff, "parameter-problem" },
	{ BF_FAMILY_INET6, 4, 0, 0, "bad-header" },
	{ BF_FAMILY_INET6, 4, 1, 1, "unknown-header-type" },
	{ BF_FAMILY_INET6, 4, 2, 2, "unknown-option" },
	{ BF_FAMILY_INET6, 128, 0, 0xff, "echo-request" },
	{ BF_FAMILY_INET6, 129, 0, 0xff, "echo-reply" },
	{ BF_FAMILY_INET6, 130, 0, 0xff, "mld-listener-query" },
	{ BF_FAMILY_INET6, 131, 0, 0xff, "mld-listener-report" },
	{ BF_FAMILY_INET6, 132, 0, 0xff, "mld-listener-done" },
	{ BF_FAMILY_INET6, 133, 0, 0xff, "router-solicitation" },
	{ BF_FAMILY_INET6, 134, 0, 0xff, "router-advertisement" },
	{ BF_FAMILY_INET6, 135, 0, 0xff, "neighbour-solicitation" },
	{ BF_FAMILY_INET6, 136, 0, 0xff, "neighbour-advertisement" },
	{ BF_FAMILY_INET6, 137, 0, 0xff, "redirect" },
};

static const char *icmp_name(enum bf_family f, uint8_t type, uint8_t lo,
			     uint8_t hi)
{
	for (size_t i = 0; i < ARRAY_SIZE(icmp_names); i++) {
		const struct icmp_name *n = &icmp_names[i];

		if (n->family == f && n->type == type && n->lo == lo &&
		    n->hi == hi)
			return n->name;
	}
	return NULL;
}

/* print_tcpf() of libxt_tcp: flag names, lowest bit first. */
static void tcp_flags_str(FILE *out, uint8_t flags)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH",
					     "ACK", "URG", "ECE", "CWR" };
	bool first = true;

	for (int b = 0; b < 8; b++) {
		if (!(flags & (1u << b)))
			continue;
		fprintf(out, "%s%s", first ? "" : ",", names[b]);
		first = false;
	}
	if (first)
		fputs("NONE", out);
}

static void print_extras(FILE *out, const struct bf_rule *r, uint8_t proto,
			 bool names)
{
	char p1[PORT_STR_MAX], p2[PORT_STR_MAX];
	char pb[8];
	int last_inst = -1;

	for (size_t k = 0; k < r->n_matches; k++) {
		const struct bf_match *m = &r->matches[k];
		const char *neg = m->neg ? "!" : "";
		int inst = m->origin.module << 16 | m->origin.instance;

		if (bf_ipt_list_match(out, r, m, !names) ||
		    bf_ipt_list_ext(out, r, m, !names)) {
			last_inst = inst; /* "tcp " said for this -m tcp */
			continue;
		}
		switch (m->type) {
		case BF_MATCH_SPORT:
		case BF_MATCH_DPORT:
		case BF_MATCH_TCPFLAGS:
			if (inst != last_inst)
				fprintf(out, "%s ", proto_name(proto, pb));
			last_inst = inst;
			if (m->type == BF_MATCH_TCPFLAGS) {
				fprintf(out, "flags:%s", neg);
				if (!names) {
					fprintf(out, "0x%02X/0x%02X ",
						m->u.tcpflags.mask,
						m->u.tcpflags.cmp);
					break;
				}
				tcp_flags_str(out, m->u.tcpflags.mask);
				fputc('/', out);
				tcp_flags_str(out, m->u.tcpflags.cmp);
				fputc(' ', out);
				break;
			}
			if (m->u.ports.lo == m->u.ports.hi)
				fprintf(out, "%s:%s%s ",
					m->type == BF_MATCH_SPORT ? "spt" :
								    "dpt",
					neg,
					port_str(m->u.ports.lo, proto, names,
						 p1));
			else
				fprintf(out, "%s:%s%s:%s ",
					m->type == BF_MATCH_SPORT ? "spts" :
								    "dpts",
					neg,
					port_str(m->u.ports.lo, proto, names,
						 p1),
					port_str(m->u.ports.hi, proto, names,
						 p2));
			break;
		case BF_MATCH_ICMP: {
			/* as print_icmptype() / icmp6 print do */
			const char *p = r->family == BF_FAMILY_INET4 ?
						"icmp" :
						"ipv6-icmp";

			if (names) {
				const char *n = icmp_name(r->family,
							  m->u.icmp.type,
							  m->u.icmp.code_lo,
							  m->u.icmp.code_hi);

				if (n) {
					fprintf(out, "%s %s%s ", p, neg, n);
					break;
				}
			}
			/* " icmp" " !" "type 8": print_icmptype() */
			fprintf(out, "%s%stype %u", p, m->neg ? " !" : "",
				m->u.icmp.type);
			if (m->u.icmp.code_lo == m->u.icmp.code_hi)
				fprintf(out, " code %u", m->u.icmp.code_lo);
			else if (m->u.icmp.code_lo != 0 ||
				 m->u.icmp.code_hi != 0xff)
				fprintf(out, " codes %u-%u", m->u.icmp.code_lo,
					m->u.icmp.code_hi);
			fputc(' ', out);
			break;
		}
		case BF_MATCH_MULTIPORT:
			/* multiport_print(): "dports " then " !" */
			fprintf(out, "multiport %s %s",
				m->u.multiport.dir == BF_MULTIPORT_SRC ?
					"sports" :
				m->u.multiport.dir == BF_MULTIPORT_DST ?
					"dports" :
					"ports",
				m->neg ? " !" : "");
			for (int i = 0; i < m->u.multiport.count; i++) {
				bool range = m->u.multiport.is_range[i];

				fprintf(out, "%s%s", i ? "," : "",
					port_str(m->u.multiport.ports[i], proto,
						 names, p1));
				if (range && i + 1 < m->u.multiport.count)
					fprintf(out, ":%s",
						port_str(m->u.multiport
								 .ports[++i],
							 proto, names, p2));
			}
			fputc(' ', out);
			break;
		case BF_MATCH_SRANGE:
		case BF_MATCH_DRANGE: {
			char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
			int af = r->family == BF_FAMILY_INET4 ? AF_INET :
								AF_INET6;

			inet_ntop(af, m->u.range.lo, lo, sizeof(lo));
			inet_ntop(af, m->u.range.hi, hi, sizeof(hi));
			fprintf(out, "%s%s IP range %s-%s ", m->neg ? "! " : "",
				m->type == BF_MATCH_SRANGE ? "source" :
							     "destination",
				lo, hi);
			break;
		}
		case BF_MATCH_CTSTATE: {
			bool first = true;

			fprintf(out, "%sctstate ", m->neg ? "! " : "");
			for (size_t b = 0; b < ARRAY_SIZE(ct_names); b++) {
				if (!(m->u.ctstate.mask & ct_names[b].bit))
					continue;
				fprintf(out, "%s%s", first ? "" : ",",
					ct_names[b].name);
				first = false;
			}
			fputc(' ', out);
			break;
		}
		case BF_MATCH_COMMENT:
			fprintf(out, "/* %s */ ", m->u.comment);
			break;
		case BF_MATCH_SET:
			/* libxt_set's set_print_v4_matchinfo() */
			fprintf(out, "%smatch-set %.*s ", m->neg ? "! " : "",
				BF_SET_NAME_MAX - 1, m->u.set.name);
			for (int d = 0; d < m->u.set.dim && d < BF_SET_DIM_MAX;
			     d++)
				fprintf(out, "%s%s", d ? "," : "",
					m->u.set.flags & (1u << d) ? "dst" :
								     "src");
			fputc(' ', out);
			if (m->u.set.return_nomatch)
				fputs("return-nomatch ", out);
			if (m->u.set.no_update_counters)
				fputs("! update-counters ", out);
			if (m->u.set.no_update_subcounters)
				fputs("! update-subcounters ", out);
			break;
		case BF_MATCH_BPF:
			bf_userbpf_print_list(out, m->u.bpf.ref, m->neg);
			break;
		case BF_MATCH_HASHLIMIT:
			bf_show_hashlimit(out, r, m);
			break;
		case BF_MATCH_RECENT: {
			/* libxt_recent's recent_print() */
			const typeof(m->u.recent) *rc = &m->u.recent;
			char mask[INET6_ADDRSTRLEN];

			inet_ntop(r->family == BF_FAMILY_INET4 ? AF_INET :
								 AF_INET6,
				  rc->mask, mask, sizeof(mask));
			fprintf(out,
				"%srecent:", rc->invert != m->neg ? "! " : "");
			if (rc->check_set & BF_RECENT_SET)
				fputs(" SET", out);
			if (rc->check_set & BF_RECENT_CHECK)
				fputs(" CHECK", out);
			if (rc->check_set & BF_RECENT_UPDATE)
				fputs(" UPDATE", out);
			if (rc->check_set & BF_RECENT_REMOVE)
				fputs(" REMOVE", out);
			if (rc->seconds)
				fprintf(out, " seconds: %d", (int)rc->seconds);
			if (rc->check_set & BF_RECENT_REAP)
				fputs(" reap", out);
			if (rc->hit_count)
				fprintf(out, " hit_count: %d",
					(int)rc->hit_count);
			if (rc->check_set & BF_RECENT_TTL)
				fputs(" TTL-Match", out);
			fprintf(out, " name: %.*s side: %s mask: %s ",
				BF_RECENT_NAME_MAX - 1, rc->name,
				rc->side_dest ? "dest" : "source", mask);
			break;
		}
		default:
			break;
		}
	}
	bf_ipt_list_target(out, r, !names);
}

static size_t chain_refs(const struct bf_ruleset *rs, const struct bf_chain *c)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *o = &rs->chains[i];

		if (o->family != c->family)
			continue;
		for (size_t j = 0; j < o->n_rules; j++) {
			const struct bf_verdict *v = &o->rules[j].verdict;

			if ((v->kind == BF_VERDICT_JUMP ||
			     v->kind == BF_VERDICT_GOTO) &&
			    !strcmp(v->chain, c->name))
				n++;
		}
	}
	return n;
}

static void print_rule_text(FILE *out, const struct bf_rule *r,
			    unsigned int flags)
{
	bool verbose = flags & BF_LIST_VERBOSE, exact = flags & BF_LIST_EXACT;
	const char *any = r->family == BF_FAMILY_INET4 ? "0.0.0.0/0" : "::/0";
	char src[64], dst[64], in[20] = "*", outi[20] = "*", pb[8];
	const char *target = "";
	uint8_t proto = 0;
	bool proto_neg = false, frag = false, frag_neg = false;

	snprintf(src, sizeof(src), "%s", any);
	snprintf(dst, sizeof(dst), "%s", any);
	for (size_t k = 0; k < r->n_matches; k++) {
		const struct bf_match *m = &r->matches[k];

		switch (m->type) {
		case BF_MATCH_L4PROTO:
			proto = m->u.proto;
			proto_neg = m->neg;
			break;
		case BF_MATCH_SADDR:
			addr_str(r->family, m, src, sizeof(src));
			break;
		case BF_MATCH_DADDR:
			addr_str(r->family, m, dst, sizeof(dst));
			break;
		case BF_MATCH_IIFNAME:
			snprintf(in, sizeof(in), "%s%s", m->neg ? "!" : "",
				 m->u.iface.name);
			break;
		case BF_MATCH_OIFNAME:
			snprintf(outi, sizeof(outi), "%s%s", m->neg ? "!" : "",
				 m->u.iface.name);
			break;
		case BF_MATCH_FRAG:
			frag = true;
			frag_neg = m->neg;
			break;
		default:
			break;
		}
	}
	switch (r->verdict.kind) {
	case BF_VERDICT_JUMP:
	case BF_VERDICT_GOTO:
		target = r->verdict.chain;
		break;
	default:
		target = bf_verdict_name(r->verdict.kind);
		break;
	}
	if (verbose) {
		print_num(out, r->counter.packets, exact, 8);
		print_num(out, r->counter.bytes, exact, 10);
	}
	{
		char prot[16];

		snprintf(prot, sizeof(prot), "%s%s", proto_neg ? "!" : "",
			 proto_name(proto, pb));
		fprintf(out, "%-10s %-4s %-3s ", target, prot,
			frag ? (frag_neg ? "!f" : "-f") : "--");
	}
	if (verbose)
		fprintf(out, "%-6s %-6s ", in, outi);
	fprintf(out, "%-20s %-20s ", src, dst);
	if (r->verdict.kind == BF_VERDICT_GOTO)
		fprintf(out, "[goto] ");
	print_extras(out, r, proto, false);
	fputc('\n', out);
}

static int list_text(struct view *v, void *data)
{
	FILE *out = ((void **)data)[0];
	unsigned int flags = *(unsigned int *)((void **)data)[1];
	bool verbose = flags & BF_LIST_VERBOSE;

	fprintf(out, "# slot %s (generation %llu)%s\n", v->slot.name,
		(unsigned long long)v->st.hdr.generation,
		v->attached ? "" :
			      " NOT ATTACHED: the interface is gone; apply "
			      "again or flush");
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (!(v->rs->families & (1u << f)))
			continue;
		fprintf(out, "# %s\n",
			f == BF_FAMILY_INET4 ? "iptables" : "ip6tables");
		for (size_t i = 0; i < v->rs->n_chains; i++) {
			const struct bf_chain *c = &v->rs->chains[i];

			if ((int)c->family != f)
				continue;
			if (c->builtin && verbose)
				fprintf(out,
					"Chain %s (policy %s %llu packets, "
					"%llu bytes)\n",
					c->name, bf_verdict_name(c->policy),
					(unsigned long long)
						c->policy_counter.packets,
					(unsigned long long)
						c->policy_counter.bytes);
			else if (c->builtin)
				fprintf(out, "Chain %s (policy %s)\n", c->name,
					bf_verdict_name(c->policy));
			else
				fprintf(out, "Chain %s (%zu references)\n",
					c->name, chain_refs(v->rs, c));
			if (verbose)
				fprintf(out, "%s %s ",
					flags & BF_LIST_EXACT ? "    pkts" :
								" pkts",
					flags & BF_LIST_EXACT ? "     bytes" :
								"bytes");
			fprintf(out, "%-10s %-4s %-3s ", "target", "prot",
				"opt");
			if (verbose)
				fprintf(out, "%-6s %-6s ", "in", "out");
			fprintf(out, "%-20s %s\n", "source", "destination");
			for (size_t j = 0; j < c->n_rules; j++)
				print_rule_text(out, &c->rules[j], flags);
			fputc('\n', out);
		}
	}
	return 0;
}

/* ---- JSON ---- */

static json_t *rule_json(const struct bf_rule *r, size_t num)
{
	char *spec = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&spec, &len);
	json_t *j;

	if (!m)
		return NULL;
	bf_ipt_print_rule(m, r);
	fclose(m);
	while (len && (spec[len - 1] == '\n' || spec[len - 1] == ' '))
		spec[--len] = '\0';
	j = json_pack("{s:I, s:I, s:I, s:s, s:s, s:i}", "num", (json_int_t)num,
		      "packets", (json_int_t)r->counter.packets, "bytes",
		      (json_int_t)r->counter.bytes, "target",
		      (r->verdict.kind == BF_VERDICT_JUMP ||
		       r->verdict.kind == BF_VERDICT_GOTO) ?
			      r->verdict.chain :
			      bf_verdict_name(r->verdict.kind),
		      "rule", spec ? spec : "", "line", r->line);
	free(spec);
	return j;
}

static json_t *chain_json(const struct bf_ruleset *rs, const struct bf_chain *c)
{
	json_t *rules = json_array(), *j;

	for (size_t i = 0; i < c->n_rules; i++)
		json_array_append_new(rules, rule_json(&c->rules[i], i + 1));
	j = json_pack("{s:s, s:b, s:o}", "name", c->name, "builtin", c->builtin,
		      "rules", rules);
	if (!j)
		return NULL;
	if (c->builtin) {
		json_object_set_new(j, "policy",
				    json_string(bf_verdict_name(c->policy)));
		json_object_set_new(
			j, "packets",
			json_integer((json_int_t)c->policy_counter.packets));
		json_object_set_new(
			j, "bytes",
			json_integer((json_int_t)c->policy_counter.bytes));
	} else {
		json_object_set_new(
			j, "references",
			json_integer((json_int_t)chain_refs(rs, c)));
	}
	return j;
}

static int list_json(struct view *v, void *data)
{
	json_t *slots = data, *tables = json_array(), *slot;

	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		json_t *chains;

		if (!(v->rs->families & (1u << f)))
			continue;
		chains = json_array();
		for (size_t i = 0; i < v->rs->n_chains; i++) {
			if ((int)v->rs->chains[i].family == f)
				json_array_append_new(
					chains,
					chain_json(v->rs, &v->rs->chains[i]));
		}
		json_array_append_new(tables, json_pack("{s:s, s:o}", "family",
							bf_family_name(f),
							"chains", chains));
	}
	slot = json_pack("{s:s, s:s, s:I, s:o}", "slot", v->slot.name, "hook",
			 bf_slot_kind_name((enum bf_slot_kind)v->slot.kind),
			 "generation", (json_int_t)v->st.hdr.generation,
			 "tables", tables);
	if (!slot)
		return -ENOMEM;
	if (v->slot.ifname[0])
		json_object_set_new(slot, "iface", json_string(v->slot.ifname));
	json_object_set_new(slot, "attached", json_boolean(v->attached));
	if (v->st.hdr.points) {
		/* an nf slot attached at these points only (load/points.c) */
		char hooks[64];

		bf_nf_points_format(v->st.hdr.points, hooks, sizeof(hooks));
		json_object_set_new(slot, "hooks", json_string(hooks));
	}
	json_object_set_new(slot, "conntrack",
			    json_boolean(v->st.hdr.flags & BF_STATE_CT_MASK));
	json_array_append_new(slots, slot);
	return 0;
}

int bf_list(FILE *out, const struct bf_slot_sel *sel, unsigned int flags)
{
	int r;

	if (flags & BF_LIST_JSON) {
		json_t *slots = json_array(), *doc;

		if (!slots)
			return -ENOMEM;
		r = for_each_slot(sel, list_json, slots);
		doc = json_pack("{s:o}", "slots", slots);
		if (!r && doc) {
			json_dumpf(doc, out,
				   JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', out);
		}
		json_decref(doc);
		return r;
	}
	{
		void *data[2] = { out, &flags };

		return for_each_slot(sel, list_text, data);
	}
}

struct save_ctx {
	FILE *out;
	unsigned int families;
	bool counters;
	int printed;
};

static int save_one(struct view *v, void *data)
{
	struct save_ctx *s = data;
	int r;

	/* the named sets first: the rules refer to them (set/slot.h) */
	if (v->rs->n_sets) {
		fprintf(s->out, "# bpfilter slot %s, ipset, generation %llu\n",
			v->slot.name, (unsigned long long)v->st.hdr.generation);
		r = bf_sets_save(s->out, v->rs, v->slot.dir);
		if (r)
			return r;
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		char hooks[64];

		if (!(v->rs->families & s->families & (1u << f)))
			continue;
		/* an nf slot attached at some points only (load/points.c) */
		bf_nf_points_format(v->st.hdr.points, hooks, sizeof(hooks));
		fprintf(s->out, "# bpfilter slot %s, %s, generation %llu%s%s\n",
			v->slot.name, bf_family_name(f),
			(unsigned long long)v->st.hdr.generation,
			*hooks ? ", hooks " : "", hooks);
		r = bf_ipt_print(s->out, v->rs, f,
				 s->counters ? BF_IPT_PRINT_COUNTERS : 0);
		if (r)
			return r;
		s->printed++;
	}
	return 0;
}

int bf_save(FILE *out, const struct bf_slot_sel *sel, unsigned int families,
	    bool counters)
{
	struct save_ctx s = { .out = out,
			      .families = families ?
						  families :
						  (1u << BF_FAMILY_COUNT) - 1,
			      .counters = counters };

	/* The version of this format, checked by bf_restore(). */
	fprintf(out, "# bpfilter save format %d\n", BF_SAVE_FORMAT);
	return for_each_slot(sel, save_one, &s);
}

/* ---- `iptables -L` exactly (iptables 1.8.9's print_header() and
 * print_firewall() layouts, xtables_print_num() numbers) ---- */

static void ipt_num(FILE *out, uint64_t v, unsigned int flags, bool notable)
{
	static const char units[] = "KMGT";
	unsigned long long n = v;

	if (flags & BF_LIST_EXACT) {
		fprintf(out, notable ? "%llu " : "%8llu ", n);
		return;
	}
	if (n <= 99999) {
		fprintf(out, notable ? "%llu " : "%5llu ", n);
		return;
	}
	for (int i = 0; i < 4; i++) {
		n = (n + 500) / 1000;
		if (n <= 9999 || i == 3) {
			fprintf(out, notable ? "%llu%c " : "%4llu%c ", n,
				units[i]);
			return;
		}
	}
}

/* "a.b.c.d", "a.b.c.d/len", "anywhere" (xtables_ipmask_to_numeric()
 * omits a full mask). */
static void ipt_addr(enum bf_family f, const struct bf_match *m,
		     unsigned int flags, char *buf, size_t size)
{
	int bytes = f == BF_FAMILY_INET4 ? 4 : 16;
	char a[INET6_ADDRSTRLEN] = "";
	int len;

	if (!m) {
		snprintf(buf, size, "%s",
			 !(flags & BF_LIST_NUMERIC) ? "anywhere" :
			 f == BF_FAMILY_INET4	    ? "0.0.0.0/0" :
						      "::/0");
		return;
	}
	len = prefix_len(m->u.addr.mask, bytes);
	if (len == 0 && !(flags & BF_LIST_NUMERIC)) {
		snprintf(buf, size, "anywhere");
		return;
	}
	inet_ntop(f == BF_FAMILY_INET4 ? AF_INET : AF_INET6, m->u.addr.addr, a,
		  sizeof(a));
	if (len == bytes * 8)
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%d", a, len);
}

/* The fields iptables prints in columns (or before the matches, for
 * print_rule()): protocol, addresses, interfaces, fragment flag. */
struct ipt_head {
	const struct bf_match *src, *dst;
	const char *ifin, *ifout;
	bool inv_in, inv_out, proto_neg, frag, frag_neg;
	uint8_t proto;
};

static void ipt_head_scan(const struct bf_rule *r, struct ipt_head *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t k = 0; k < r->n_matches; k++) {
		const struct bf_match *x = &r->matches[k];

		switch (x->type) {
		case BF_MATCH_L4PROTO:
			h->proto = x->u.proto;
			h->proto_neg = x->neg;
			break;
		case BF_MATCH_SADDR:
			h->src = x;
			break;
		case BF_MATCH_DADDR:
			h->dst = x;
			break;
		case BF_MATCH_IIFNAME:
			h->ifin = x->u.iface.name;
			h->inv_in = x->neg;
			break;
		case BF_MATCH_OIFNAME:
			h->ifout = x->u.iface.name;
			h->inv_out = x->neg;
			break;
		case BF_MATCH_FRAG:
			h->frag = true;
			h->frag_neg = x->neg;
			break;
		default:
			break;
		}
	}
}

/* The matches, as bf_list() prints them ("x y " each), become iptables'
 * " x y" (each module prints a leading space). */
static void ipt_extras(FILE *out, const struct bf_rule *r, uint8_t proto,
		       bool names)
{
	_cleanup_free_ char *extra = NULL;
	size_t extra_len = 0;
	FILE *m = open_memstream(&extra, &extra_len);

	if (!m)
		return;
	print_extras(m, r, proto, names);
	if (fclose(m) == 0 && extra) {
		/* the separator after the last one; a module that ends
		 * with a space of its own (" frag ", " ah ") keeps it */
		if (extra_len && extra[extra_len - 1] == ' ')
			extra[--extra_len] = '\0';
		if (extra_len)
			fprintf(out, " %s", extra);
	}
}

static void ipt_rule_line(FILE *out, const struct bf_rule *r, size_t num,
			  unsigned int flags)
{
	struct ipt_head h;
	const char *any = flags & BF_LIST_NUMERIC ? "*" : "any";
	char in[24], outi[24], sbuf[64], dbuf[64], pb[8];
	const char *target = "";

	ipt_head_scan(r, &h);
	switch (r->verdict.kind) {
	case BF_VERDICT_CONTINUE:
		break;
	case BF_VERDICT_JUMP:
	case BF_VERDICT_GOTO:
		target = r->verdict.chain;
		break;
	default:
		target = bf_verdict_name(r->verdict.kind);
		break;
	}
	if (flags & BF_LIST_LINE_NUMBERS)
		fprintf(out, "%-4zu ", num);
	if (flags & BF_LIST_VERBOSE) {
		ipt_num(out, r->counter.packets, flags, false);
		ipt_num(out, r->counter.bytes, flags, false);
	}
	fprintf(out, "%-9s %c", target, h.proto_neg ? '!' : ' ');
	if (flags & BF_LIST_NUMERIC)
		fprintf(out, "%-4u ", h.proto);
	else
		fprintf(out, "%-4s ", proto_name(h.proto, pb));
	fprintf(out, "%c%c ", h.frag && h.frag_neg ? '!' : '-',
		h.frag ? 'f' : '-');
	if (flags & BF_LIST_VERBOSE) {
		snprintf(in, sizeof(in), "%s%s", h.inv_in ? "!" : "",
			 h.ifin ? h.ifin : any);
		snprintf(outi, sizeof(outi), "%s%s", h.inv_out ? "!" : "",
			 h.ifout ? h.ifout : any);
		fprintf(out, " %-6s %-6s ", in, outi);
	}
	ipt_addr(r->family, h.src, flags, sbuf, sizeof(sbuf));
	ipt_addr(r->family, h.dst, flags, dbuf, sizeof(dbuf));
	fprintf(out, "%c%-19s %c%-19s ", h.src && h.src->neg ? '!' : ' ', sbuf,
		h.dst && h.dst->neg ? '!' : ' ', dbuf);
	if (r->verdict.kind == BF_VERDICT_GOTO)
		fputs("[goto] ", out);
	ipt_extras(out, r, h.proto, !(flags & BF_LIST_NUMERIC));
	fputc('\n', out);
}

void bf_list_ipt_rule(FILE *out, const struct bf_rule *r)
{
	struct ipt_head h;
	const char *target = "";
	char sbuf[64], dbuf[64], pb[8];

	ipt_head_scan(r, &h);
	if (r->verdict.kind == BF_VERDICT_JUMP ||
	    r->verdict.kind == BF_VERDICT_GOTO)
		target = r->verdict.chain;
	else if (r->verdict.kind != BF_VERDICT_CONTINUE)
		target = bf_verdict_name(r->verdict.kind);
	/* FMT_PRINT_RULE: no counters, numeric, "%s " instead of columns;
	 * the protocol by name only for xtables_chain_protos[] */
	fprintf(out, "%s %c", target, h.proto_neg ? '!' : ' ');
	switch (h.proto) {
	case 0:
	case 1:
	case 6:
	case 17:
	case 50:
	case 51:
	case 58:
	case 132:
	case 136:
		fprintf(out, "%s ", proto_name(h.proto, pb));
		break;
	case 135:
		fputs("mh ", out);
		break;
	default:
		fprintf(out, "%u ", h.proto);
		break;
	}
	/* ip6tables has no fragment flag: always "--" */
	fprintf(out, "opt %c%c ", h.frag && h.frag_neg ? '!' : '-',
		h.frag ? 'f' : '-');
	fprintf(out, "in %s%s out %s%s ", h.inv_in ? "!" : "",
		h.ifin ? h.ifin : "*", h.inv_out ? "!" : "",
		h.ifout ? h.ifout : "*");
	ipt_addr(r->family, h.src, BF_LIST_NUMERIC, sbuf, sizeof(sbuf));
	ipt_addr(r->family, h.dst, BF_LIST_NUMERIC, dbuf, sizeof(dbuf));
	fprintf(out, "%c%s %c-> %s  ", h.src && h.src->neg ? '!' : ' ', sbuf,
		h.dst && h.dst->neg ? '!' : ' ', dbuf);
	if (r->verdict.kind == BF_VERDICT_GOTO)
		fputs("[goto] ", out);
	ipt_extras(out, r, h.proto, false);
	fputc('\n', out);
}

static void ipt_chain_header(FILE *out, const struct bf_ruleset *rs,
			     const struct bf_chain *c, unsigned int flags)
{
	if (c->builtin) {
		fprintf(out, "Chain %s (policy %s", c->name,
			bf_verdict_name(c->policy));
		if (flags & BF_LIST_VERBOSE) {
			fputc(' ', out);
			ipt_num(out, c->policy_counter.packets, flags, true);
			fputs("packets, ", out);
			ipt_num(out, c->policy_counter.bytes, flags, true);
			fputs("bytes", out);
		}
		fputs(")\n", out);
	} else {
		fprintf(out, "Chain %s (%zu references)\n", c->name,
			chain_refs(rs, c));
	}
	if (flags & BF_LIST_LINE_NUMBERS)
		fprintf(out, "%-4s ", "num");
	if (flags & BF_LIST_VERBOSE) {
		if (flags & BF_LIST_EXACT)
			fprintf(out, "%8s %10s ", "pkts", "bytes");
		else
			fprintf(out, "%5s %5s ", "pkts", "bytes");
	}
	fprintf(out, "%-9s  prot opt", "target");
	if (flags & BF_LIST_VERBOSE)
		fprintf(out, " %-6s %-6s ", "in", "out");
	fprintf(out, " %-19s  %-19s \n", "source", "destination");
}

int bf_list_ipt(FILE *out, const struct bf_ruleset *rs, enum bf_family family,
		const char *chain, unsigned long long rulenum,
		unsigned int flags)
{
	bool first = true;

	if (chain && rulenum) {
		const struct bf_chain *c = bf_ruleset_chain(rs, family, chain);

		if (!c)
			return -ENOENT;
		if (rulenum > c->n_rules)
			return 0; /* iptables prints nothing, exits 0 */
		ipt_rule_line(out, &c->rules[rulenum - 1], rulenum, flags);
		return 0;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->family != family || (chain && strcmp(c->name, chain)))
			continue;
		if (!first)
			fputc('\n', out);
		first = false;
		ipt_chain_header(out, rs, c, flags);
		for (size_t j = 0; j < c->n_rules; j++)
			ipt_rule_line(out, &c->rules[j], j + 1, flags);
	}
	return 0;
}
