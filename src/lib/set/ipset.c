// SPDX-License-Identifier: GPL-2.0-only
/*
 * `ipset save` text -> sets (include/bpfilter/set.h), and back.
 *
 * Types are described once, in ipset_types[]: their dimensions and which
 * one holds a prefix ("net"). What a set does with a packet is decided in
 * src/lib/cgen/m_set.c from the model only; this file knows the syntax.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "set/ipset.h"

#define IPSET_DEFAULT_MAXELEM 65536

struct ipset_type {
	const char *name;
	uint8_t n_dims;
	enum bf_set_dim_type dims[3];
	int net_dim; /* dimension written net/cidr, -1: none */
	bool nomatch; /* IPSET_TYPE_NOMATCH */
	bool bitmap; /* range option, IPv4 only for bitmap:ip */
	bool list;
	/* dimension 0 may not be the zero address (the type's uadt
	 * refuses it and its kadt never matches it) */
	bool no_zero;
};

/* The types the kernel of this machine offers that one BPF lookup can
 * answer exactly (at most one prefix dimension). */
static const struct ipset_type ipset_types[] = {
	{ "hash:ip", 1, { BF_SET_DIM_ADDR }, -1, false, false, false, true },
	{ "hash:net", 1, { BF_SET_DIM_ADDR }, 0, true, false, false, false },
	{ "hash:ip,port",
	  2,
	  { BF_SET_DIM_ADDR, BF_SET_DIM_PROTO_PORT },
	  -1,
	  false,
	  false,
	  false,
	  true },
	{ "hash:net,port",
	  2,
	  { BF_SET_DIM_ADDR, BF_SET_DIM_PROTO_PORT },
	  0,
	  true,
	  false,
	  false,
	  false },
	{ "hash:ip,port,ip",
	  3,
	  { BF_SET_DIM_ADDR, BF_SET_DIM_PROTO_PORT, BF_SET_DIM_ADDR },
	  -1,
	  false,
	  false,
	  false,
	  false },
	{ "hash:ip,port,net",
	  3,
	  { BF_SET_DIM_ADDR, BF_SET_DIM_PROTO_PORT, BF_SET_DIM_ADDR },
	  2,
	  true,
	  false,
	  false,
	  false },
	{ "hash:net,iface",
	  2,
	  { BF_SET_DIM_ADDR, BF_SET_DIM_IFACE },
	  0,
	  true,
	  false,
	  false,
	  false },
	/* bpfilter's own (no kernel ipset type): the keys of nft named
	 * sets that setmap.c lowers (`type ifname`, `mark`, `inet_proto`,
	 * `ipv4_addr . ipv4_addr`), exact keys; nomatch carries the drop
	 * elements of their accept/drop verdict maps (nft-vmap) */
	{ "hash:iface", 1, { BF_SET_DIM_IFACE }, -1, true, false, false, false },
	/* nft `type ifname; flags interval`: "eth*" is the prefix "eth" */
	{ "hash:ifprefix",
	  1,
	  { BF_SET_DIM_IFACE },
	  0,
	  true,
	  false,
	  false,
	  false },
	{ "hash:mark", 1, { BF_SET_DIM_MARK }, -1, true, false, false, false },
	{ "hash:proto", 1, { BF_SET_DIM_PROTO }, -1, true, false, false, false },
	{ "hash:ip,ip",
	  2,
	  { BF_SET_DIM_ADDR, BF_SET_DIM_ADDR },
	  -1,
	  true,
	  false,
	  false,
	  false },
	{ "bitmap:ip", 1, { BF_SET_DIM_ADDR }, -1, false, true, false, false },
	{ "bitmap:port", 1, { BF_SET_DIM_PORT }, -1, false, true, false, false },
	{ "list:set", 0, { 0 }, -1, false, false, true, false },
};

/* Known types we refuse, with the reason. */
static const struct {
	const char *name, *why;
} refused_types[] = {
	{ "hash:net,net", "two prefix dimensions cannot be one BPF "
			  "longest-prefix lookup" },
	{ "hash:net,port,net", "two prefix dimensions cannot be one BPF "
			       "longest-prefix lookup" },
	{ "hash:mac", "not supported yet (and not offered by this kernel)" },
	{ "hash:ip,mac", "not supported yet" },
	{ "hash:ip,mark", "not supported yet" },
	{ "bitmap:ip,mac", "not supported yet (an element's MAC address is "
			   "learnt from the first packet)" },
};

/* ICMP and ICMPv6 type/code names, as ipset 7.17 reads and prints them
 * (checked against the ipset binary: tests/unit/test_ipset.c). */
struct icmp_name {
	uint8_t type, code;
	const char *name;
};

static const struct icmp_name icmp4_names[] = {
	{ 0, 0, "echo-reply" },
	{ 3, 0, "network-unreachable" },
	{ 3, 1, "host-unreachable" },
	{ 3, 2, "protocol-unreachable" },
	{ 3, 3, "port-unreachable" },
	{ 3, 4, "fragmentation-needed" },
	{ 3, 5, "source-route-failed" },
	{ 3, 6, "network-unknown" },
	{ 3, 7, "host-unknown" },
	{ 3, 9, "network-prohibited" },
	{ 3, 10, "host-prohibited" },
	{ 3, 11, "TOS-network-unreachable" },
	{ 3, 12, "TOS-host-unreachable" },
	{ 3, 13, "communication-prohibited" },
	{ 3, 14, "host-precedence-violation" },
	{ 3, 15, "precedence-cutoff" },
	{ 4, 0, "source-quench" },
	{ 5, 0, "network-redirect" },
	{ 5, 1, "host-redirect" },
	{ 5, 2, "TOS-network-redirect" },
	{ 5, 3, "TOS-host-redirect" },
	{ 8, 0, "echo-request" },
	{ 9, 0, "router-advertisement" },
	{ 10, 0, "router-solicitation" },
	{ 11, 0, "ttl-zero-during-transit" },
	{ 11, 1, "ttl-zero-during-reassembly" },
	{ 12, 0, "ip-header-bad" },
	{ 12, 1, "required-option-missing" },
	{ 13, 0, "timestamp-request" },
	{ 14, 0, "timestamp-reply" },
	{ 17, 0, "address-mask-request" },
	{ 18, 0, "address-mask-reply" },
};

static const struct icmp_name icmp6_names[] = {
	{ 1, 0, "no-route" },
	{ 1, 1, "communication-prohibited" },
	{ 1, 3, "address-unreachable" },
	{ 1, 4, "port-unreachable" },
	{ 2, 0, "packet-too-big" },
	{ 3, 0, "ttl-zero-during-transit" },
	{ 3, 1, "ttl-zero-during-reassembly" },
	{ 4, 0, "bad-header" },
	{ 4, 1, "unknown-header-type" },
	{ 4, 2, "unknown-option" },
	{ 128, 0, "echo-request" },
	{ 129, 0, "echo-reply" },
	{ 133, 0, "router-solicitation" },
	{ 134, 0, "router-advertisement" },
	{ 135, 0, "neighbour-solicitation" },
	{ 136, 0, "neighbour-advertisement" },
	{ 137, 0, "redirect" },
};

#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_ICMPV6 58
#define P_SCTP 132
#define P_UDPLITE 136

static bool proto_has_ports(int p)
{
	return p == P_TCP || p == P_UDP || p == P_SCTP || p == P_UDPLITE;
}

static const struct ipset_type *type_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ipset_types); i++) {
		if (!strcmp(ipset_types[i].name, name))
			return &ipset_types[i];
	}
	return NULL;
}

static const struct ipset_type *type_of(const struct bf_set *set)
{
	return type_find(set->type);
}

/* ---- reading ---- */

struct pctx {
	struct bf_ruleset *rs;
	const char *file;
	int line;
	int errors;
};

#define perr(p, ...)                                                           \
	do {                                                                   \
		bf_log_at(BF_LOG_ERROR, (p)->file, (p)->line, 0, __VA_ARGS__); \
		(p)->errors++;                                                 \
	} while (0)

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || !(isdigit((unsigned char)*s)))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* "ADDR" or "ADDR/CIDR" of the family; *cidr = host bits without one. */
static int parse_addr(const char *s, enum bf_family family, uint8_t *addr,
		      int *cidr, bool allow_cidr)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	int bits = family == BF_FAMILY_INET6 ? 128 : 32;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	*cidr = bits;
	if (slash) {
		uint32_t c;

		if (!allow_cidr)
			return -EINVAL;
		*slash = '\0';
		if (!parse_u32(slash + 1, (uint32_t)bits, &c) || c == 0)
			return -ERANGE;
		*cidr = (int)c;
	}
	memset(addr, 0, 16);
	if (inet_pton(family == BF_FAMILY_INET6 ? AF_INET6 : AF_INET, buf,
		      addr) != 1)
		return -EINVAL;
	return 0;
}

/* lo := addr masked to cidr bits, hi := lo with the host bits set */
static void prefix_bounds(uint8_t *lo, uint8_t *hi, int width, int cidr)
{
	for (int i = 0; i < width; i++) {
		int b = cidr - 8 * i;
		uint8_t m = b >= 8 ? 0xff :
			    b <= 0 ? 0 :
				     (uint8_t)(0xff << (8 - b));

		lo[i] &= m;
		hi[i] = lo[i] | (uint8_t)~m;
	}
}

static bool is_zero(const uint8_t *a, int n)
{
	for (int i = 0; i < n; i++) {
		if (a[i])
			return false;
	}
	return true;
}

static int proto_number(const char *s)
{
	uint32_t v;
	struct protoent *pe;

	if (parse_u32(s, 255, &v))
		return (int)v;
	if (!strcmp(s, "icmpv6"))
		return P_ICMPV6;
	pe = getprotobyname(s);
	return pe ? pe->p_proto : -1;
}

static int icmp_parse(const char *s, bool v6, uint16_t *port)
{
	const struct icmp_name *t = v6 ? icmp6_names : icmp4_names;
	size_t n = v6 ? ARRAY_SIZE(icmp6_names) : ARRAY_SIZE(icmp4_names);
	const char *slash = strchr(s, '/');
	uint32_t ty, co;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(t[i].name, s)) {
			*port = (uint16_t)(t[i].type << 8 | t[i].code);
			return 0;
		}
	}
	if (slash) {
		char tb[8];

		if ((size_t)(slash - s) >= sizeof(tb))
			return -EINVAL;
		memcpy(tb, s, (size_t)(slash - s));
		tb[slash - s] = '\0';
		if (parse_u32(tb, 255, &ty) && parse_u32(slash + 1, 255, &co)) {
			*port = (uint16_t)(ty << 8 | co);
			return 0;
		}
	}
	return -EINVAL;
}

static int port_parse(const char *s, const char *proto, uint16_t *port)
{
	uint32_t v;
	struct servent *se;

	if (parse_u32(s, 65535, &v)) {
		*port = (uint16_t)v;
		return 0;
	}
	se = getservbyname(s, proto);
	if (!se)
		return -EINVAL;
	*port = ntohs((uint16_t)se->s_port);
	return 0;
}

/* "[proto:]port" into {proto, 0, port be16}. */
static int parse_proto_port(struct pctx *p, const char *s,
			    enum bf_family family, uint8_t *out)
{
	char buf[64];
	const char *colon, *ps = s;
	int proto = P_TCP;
	uint16_t port = 0;

	if (strlen(s) >= sizeof(buf)) {
		perr(p, "'%s' is not a valid [proto:]port", s);
		return -EINVAL;
	}
	colon = strchr(s, ':');
	if (colon) {
		memcpy(buf, s, (size_t)(colon - s));
		buf[colon - s] = '\0';
		proto = proto_number(buf);
		if (proto <= 0) {
			perr(p, "invalid protocol '%s' in '%s'", buf, s);
			return -EINVAL;
		}
		ps = colon + 1;
	}
	if (proto == P_ICMP || proto == P_ICMPV6) {
		bool v6 = proto == P_ICMPV6;

		if (v6 != (family == BF_FAMILY_INET6)) {
			perr(p, "protocol %s cannot be used with family %s",
			     v6 ? "ICMPv6" : "ICMP",
			     family == BF_FAMILY_INET6 ? "inet6" : "inet");
			return -EINVAL;
		}
		if (icmp_parse(ps, v6, &port)) {
			perr(p, "'%s' is not a valid %s type[/code] or name",
			     ps, v6 ? "ICMPv6" : "ICMP");
			return -EINVAL;
		}
	} else if (proto_has_ports(proto)) {
		struct protoent *pe = getprotobynumber(proto);

		if (strchr(ps, '-')) {
			perr(p,
			     "port ranges in '%s' are not supported: give "
			     "one element per port (as ipset save does)",
			     s);
			return -EINVAL;
		}
		if (port_parse(ps, pe ? pe->p_name : "tcp", &port)) {
			perr(p, "cannot parse '%s' as a port", ps);
			return -EINVAL;
		}
	} else {
		uint32_t v;

		/* ip_set_get_ip4_port(): other protocols have port 0 */
		if (!parse_u32(ps, 65535, &v)) {
			perr(p, "cannot parse '%s' as a port", ps);
			return -EINVAL;
		}
	}
	out[0] = (uint8_t)proto;
	out[1] = 0;
	out[2] = (uint8_t)(port >> 8);
	out[3] = (uint8_t)port;
	return 0;
}

static const char *const jmap_kinds[BF_SET_V_COUNT] = {
	[BF_SET_V_ACCEPT] = "accept",	  [BF_SET_V_DROP] = "drop",
	[BF_SET_V_CONTINUE] = "continue", [BF_SET_V_RETURN] = "return",
	[BF_SET_V_JUMP] = "jump",	  [BF_SET_V_GOTO] = "goto",
};

/* nft-verdict accept|drop|continue|return|jump:CHAIN|goto:CHAIN of an
 * nft verdict map with chains: the chain must be in its list (the
 * programs dispatch to those only). */
static int parse_jmap_verdict(struct pctx *p, const struct bf_set *set,
			      const char *v, uint32_t *data)
{
	const char *colon = strchr(v, ':');
	size_t klen = colon ? (size_t)(colon - v) : strlen(v);

	for (int k = 1; k < BF_SET_V_COUNT; k++) {
		bool chained = k == BF_SET_V_JUMP || k == BF_SET_V_GOTO;
		int idx = 0;

		if (strlen(jmap_kinds[k]) != klen ||
		    strncmp(v, jmap_kinds[k], klen))
			continue;
		if (chained != !!colon)
			break;
		if (chained) {
			char list[sizeof(set->create_opts)];
			const char *l = strstr(set->create_opts, "nft-chains ");

			idx = bf_set_jmap_chain(set, colon + 1);
			if (idx < 0) {
				snprintf(list, sizeof(list), "%s",
					 l ? l + strlen("nft-chains ") : "");
				list[strcspn(list, " ")] = '\0';
				perr(p,
				     "verdict map %s cannot %s to chain %s: "
				     "its programs dispatch only to the chains "
				     "they were built with (%s); a chain that "
				     "leads back to a verdict map lookup "
				     "cannot be one (apply the ruleset again "
				     "with the new chain)",
				     set->name, jmap_kinds[k], colon + 1, list);
				return -EINVAL;
			}
		}
		*data = BF_SET_V_DATA(k, idx);
		return 0;
	}
	perr(p,
	     "'%s' is not a verdict (accept, drop, continue, return, "
	     "jump:CHAIN, goto:CHAIN)",
	     v);
	return -EINVAL;
}

/* The nft-verdict value of data (jump:CHAIN...) into buf. */
static void print_jmap_verdict(FILE *out, const struct bf_set *set,
			       uint32_t data, bool nft)
{
	unsigned int k = data >> 24;
	char name[BF_CHAIN_NAME_MAX + 64];

	if (k == 0 || k >= BF_SET_V_COUNT) {
		fputs("?", out);
		return;
	}
	fputs(jmap_kinds[k], out);
	if (k != BF_SET_V_JUMP && k != BF_SET_V_GOTO)
		return;
	if (!bf_set_jmap_chain_name(set, data & 0xffffff, name, sizeof(name)))
		snprintf(name, sizeof(name), "?");
	fprintf(out, "%s%s", nft ? " " : ":", name);
}

void bf_set_jmap_print_verdict(FILE *out, const struct bf_set *set,
			       uint32_t data)
{
	print_jmap_verdict(out, set, data, true);
}

int bf_set_jmap_parse_verdict(const struct bf_set *set, const char *v,
			      uint32_t *data)
{
	struct pctx pc = { .file = "<command line>" };

	return parse_jmap_verdict(&pc, set, v, data);
}

int bf_ipset_parse_elem(const struct bf_set *set, int argc, char **argv,
			const char *file, int line, struct bf_set_elem *out)
{
	struct pctx pc = { .file = file, .line = line }, *p = &pc;
	const struct ipset_type *t = type_of(set);
	char buf[256];
	char *parts[BF_SET_DIM_MAX], *save = NULL;
	int n = 0;

	memset(out, 0, sizeof(*out));
	out->line = line;
	if (!t || argc < 1) {
		perr(p, "missing element");
		return -EINVAL;
	}
	if (strlen(argv[0]) >= sizeof(buf)) {
		perr(p, "element too long");
		return -EINVAL;
	}
	strcpy(buf, argv[0]);
	if (t->list) {
		if (strlen(buf) >= BF_SET_NAME_MAX) {
			perr(p, "set name '%s' too long", buf);
			return -EINVAL;
		}
		strcpy((char *)out->key, buf);
	} else {
		for (char *tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (n == t->n_dims) {
				n++;
				break;
			}
			parts[n++] = tok;
		}
		if (n != t->n_dims) {
			perr(p,
			     "'%s' is not an element of a %s set (%u "
			     "comma-separated parts)",
			     argv[0], t->name, t->n_dims);
			return -EINVAL;
		}
	}
	for (int i = 0; !t->list && i < t->n_dims; i++) {
		const struct bf_set_dim *d = &set->dims[i];
		uint8_t *k = out->key + d->off;
		int cidr, r;

		switch (d->type) {
		case BF_SET_DIM_ADDR:
			r = parse_addr(parts[i], set->family, k, &cidr,
				       i == t->net_dim);
			if (r) {
				perr(p,
				     r == -ERANGE ?
					     "invalid CIDR in '%s'" :
					     "'%s' is not a valid %s address%s",
				     parts[i],
				     set->family == BF_FAMILY_INET6 ? "IPv6" :
								      "IPv4",
				     i == t->net_dim ? "[/cidr]" : "");
				return -EINVAL;
			}
			if (set->interval_dim == i)
				prefix_bounds(k, out->hi, d->width,
					      i == t->net_dim ? cidr :
								set->netmask);
			if (i == 0 && t->no_zero && is_zero(k, d->width)) {
				perr(p,
				     "zero valued IP address '%s' is not "
				     "allowed in a %s set",
				     parts[i], t->name);
				return -EINVAL;
			}
			if (t->bitmap &&
			    (memcmp(k, set->range_lo, d->width) < 0 ||
			     memcmp(k, set->range_hi, d->width) > 0)) {
				perr(p,
				     "'%s' is outside of the range of set "
				     "%s",
				     parts[i], set->name);
				return -EINVAL;
			}
			break;
		case BF_SET_DIM_PROTO_PORT:
			if (parse_proto_port(p, parts[i], set->family, k))
				return -EINVAL;
			if (set->nft_proto && k[0] != set->nft_proto) {
				/* an nft set (nft-proto): its rules look
				 * up one protocol's ports */
				perr(p,
				     "'%s': set %s holds %s ports (the "
				     "protocol of the nft rules using it)",
				     parts[i], set->name,
				     set->nft_proto == 6 ? "tcp" : "udp");
				return -EINVAL;
			}
			break;
		case BF_SET_DIM_PORT: {
			uint16_t port;

			if (port_parse(parts[i], "tcp", &port)) {
				perr(p, "cannot parse '%s' as a port",
				     parts[i]);
				return -EINVAL;
			}
			k[0] = (uint8_t)(port >> 8);
			k[1] = (uint8_t)port;
			if (memcmp(k, set->range_lo, 2) < 0 ||
			    memcmp(k, set->range_hi, 2) > 0) {
				perr(p,
				     "port %s is outside of the range of "
				     "set %s",
				     parts[i], set->name);
				return -EINVAL;
			}
			break;
		}
		case BF_SET_DIM_IFACE:
			if (!strncmp(parts[i], "physdev:", 8)) {
				perr(p, "physdev: interfaces (bridge ports) "
					"are not supported");
				return -EINVAL;
			}
			if (!*parts[i] || strlen(parts[i]) >= BF_IFNAMSIZ) {
				perr(p, "invalid interface name '%s'",
				     parts[i]);
				return -EINVAL;
			}
			if (i == t->net_dim) {
				/* hash:ifprefix: "eth*" is the names that
				 * start with eth (nft's wildcard), "eth0"
				 * that name only */
				size_t n = strlen(parts[i]);
				bool wild = parts[i][n - 1] == '*';

				if ((wild && n == 1) ||
				    strchr(parts[i], '\\') ||
				    strchr(parts[i], '*') !=
					    (wild ? parts[i] + n - 1 : NULL)) {
					perr(p,
					     "invalid interface name '%s' (a "
					     "name, or a prefix and '*')",
					     parts[i]);
					return -EINVAL;
				}
				memset(k, 0, BF_IFNAMSIZ);
				memcpy(k, parts[i], wild ? n - 1 : n);
				prefix_bounds(k, out->hi, d->width,
					      wild ? 8 * (int)(n - 1) :
						     8 * BF_IFNAMSIZ);
				break;
			}
			if (set->nft && strpbrk(parts[i], "*\\")) {
				/* nft reads "eth*" as a prefix, which needs
				 * flags interval: a set lowered from nft
				 * has exact names only */
				perr(p,
				     "'%s': set %s holds exact interface "
				     "names (a wildcard is a prefix, which "
				     "nft only takes in a set with flags "
				     "interval; such sets are not maps)",
				     parts[i], set->name);
				return -EINVAL;
			}
			strncpy((char *)k, parts[i], BF_IFNAMSIZ);
			break;
		case BF_SET_DIM_MARK: {
			uint32_t v;

			if (!parse_u32(parts[i], UINT32_MAX, &v)) {
				perr(p, "'%s' is not a mark (a 32-bit number)",
				     parts[i]);
				return -EINVAL;
			}
			k[0] = (uint8_t)(v >> 24);
			k[1] = (uint8_t)(v >> 16);
			k[2] = (uint8_t)(v >> 8);
			k[3] = (uint8_t)v;
			break;
		}
		case BF_SET_DIM_PROTO: {
			int proto = proto_number(parts[i]);

			if (proto < 0) {
				perr(p, "'%s' is not a protocol", parts[i]);
				return -EINVAL;
			}
			k[0] = (uint8_t)proto;
			break;
		}
		default:
			perr(p, "unsupported dimension");
			return -EINVAL;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "nomatch")) {
			if (!t->nomatch) {
				perr(p, "nomatch is not allowed in a %s set",
				     t->name);
				return -EINVAL;
			}
			out->nomatch = true;
		} else if (!strcmp(o, "timeout")) {
			if (!(set->flags & BF_SET_F_TIMEOUT)) {
				perr(p, "set %s has no timeout support",
				     set->name);
				return -EINVAL;
			}
			if (!v ||
			    !parse_u32(v, UINT32_MAX / 1000, &out->timeout)) {
				perr(p, "invalid timeout value");
				return -EINVAL;
			}
			i++;
		} else if (!strcmp(o, "packets") || !strcmp(o, "bytes")) {
			if (!(set->flags & BF_SET_F_COUNTERS)) {
				perr(p, "set %s has no counters support",
				     set->name);
				return -EINVAL;
			}
			if (!v || !parse_u64(v, o[0] == 'p' ? &out->packets :
							      &out->bytes)) {
				perr(p, "invalid %s value", o);
				return -EINVAL;
			}
			i++;
		} else if (!strcmp(o, "nft-verdict")) {
			if (!set->nft_jmap || !v ||
			    parse_jmap_verdict(p, set, v, &out->data))
				return -EINVAL;
			i++;
		} else if (!strcmp(o, "comment")) {
			/* Comments do not change what matches; they are
			 * not kept (doc/sets.md). */
			if (!v) {
				perr(p, "comment needs a value");
				return -EINVAL;
			}
			i++;
		} else {
			perr(p, "unknown or unsupported element option '%s'",
			     o);
			return -EINVAL;
		}
	}
	if (set->flags & BF_SET_F_TIMEOUT && !out->timeout) {
		/* no "timeout" given: the set's default (0: permanent) */
		bool given = false;

		for (int i = 1; i < argc; i++)
			given |= !strcmp(argv[i], "timeout");
		if (!given)
			out->timeout = set->timeout;
	}
	return 0;
}

/* Most elements one `add` line may stand for (ipset's IPSET_MAX_RANGE is
 * larger; a BPF map update each is the cost here). */
#define EXPAND_MAX 65536

/* "A.B.C.D/N" or "A.B.C.D-E.F.G.H" (IPv4) into [lo, hi]; false if s is
 * neither. */
static int v4_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	char buf[64];
	char *sep;
	struct in_addr a, b;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if ((sep = strchr(buf, '/'))) {
		uint32_t c, m;

		*sep = '\0';
		if (inet_pton(AF_INET, buf, &a) != 1 ||
		    !parse_u32(sep + 1, 32, &c) || !c)
			return -EINVAL;
		m = c == 32 ? 0xffffffffu : ~(0xffffffffu >> c);
		*lo = ntohl(a.s_addr) & m;
		*hi = *lo | ~m;
		return 0;
	}
	if ((sep = strchr(buf, '-'))) {
		*sep = '\0';
		if (inet_pton(AF_INET, buf, &a) != 1 ||
		    inet_pton(AF_INET, sep + 1, &b) != 1 ||
		    ntohl(a.s_addr) > ntohl(b.s_addr))
			return -EINVAL;
		*lo = ntohl(a.s_addr);
		*hi = ntohl(b.s_addr);
		return 0;
	}
	return 1;
}

/* "[proto:]lo-hi" (or bare "lo-hi") with a port protocol: the range. */
static int port_range(const char *s, bool bare, char *prefix, size_t psize,
		      uint32_t *lo, uint32_t *hi)
{
	const char *colon = bare ? NULL : strchr(s, ':');
	const char *ps = colon ? colon + 1 : s;
	const char *dash = strchr(ps, '-');
	char a[16], proto[32] = "tcp";
	uint16_t pl, ph;

	if (!dash)
		return 1;
	if (colon) {
		if ((size_t)(colon - s) >= sizeof(proto))
			return -EINVAL;
		memcpy(proto, s, (size_t)(colon - s));
		proto[colon - s] = '\0';
		if (!proto_has_ports(proto_number(proto)))
			return 1;
	}
	if ((size_t)(dash - ps) >= sizeof(a))
		return -EINVAL;
	memcpy(a, ps, (size_t)(dash - ps));
	a[dash - ps] = '\0';
	if (port_parse(a, proto, &pl) || port_parse(dash + 1, proto, &ph) ||
	    pl > ph)
		return -EINVAL;
	snprintf(prefix, psize, "%s%s", colon ? proto : "", colon ? ":" : "");
	*lo = pl;
	*hi = ph;
	return 0;
}

/* A copy of argv whose first word is elem (the others shared), NULL
 * when out of memory; free() it. */
static char **argv_with(char *elem, int argc, char **argv)
{
	char **av = malloc((size_t)argc * sizeof(*av));

	if (!av)
		return NULL;
	av[0] = elem;
	for (int i = 1; i < argc; i++)
		av[i] = argv[i];
	return av;
}

/* An IPv4 range A-B in the net dimension of a hash:net* set: ipset
 * stores the fewest CIDRs that cover it (ipset(8), hash:net "IP range"),
 * each added as its own element (the other parts as written, port
 * ranges expanded by the recursion). */
static int net_range(struct pctx *p, const struct bf_set *set, int n,
		     char parts[][96], int argc, char **argv, const char *file,
		     int line, bf_ipset_elem_fn fn, void *data)
{
	uint32_t lo, hi;
	uint64_t a;
	char elem[300];
	char **av;
	int r = 0, count = 0;

	if (v4_range(parts[0], &lo, &hi)) {
		perr(p, "'%s' is not a valid IPv4 address range", parts[0]);
		return -EINVAL;
	}
	av = argv_with(elem, argc, argv);
	if (!av)
		return -ENOMEM;
	for (a = lo; a <= hi && !r && count++ < 64;) {
		int k = 0; /* host bits of the largest aligned block at a */
		size_t len;

		while (k < 31 && !(a & ((2ull << k) - 1)) &&
		       a + (2ull << k) - 1 <= hi)
			k++;
		len = (size_t)snprintf(elem, sizeof(elem), "%u.%u.%u.%u/%d",
				       (unsigned)(a >> 24) & 255,
				       (unsigned)(a >> 16) & 255,
				       (unsigned)(a >> 8) & 255,
				       (unsigned)a & 255, 32 - k);
		for (int i = 1; i < n && len < sizeof(elem); i++)
			len += (size_t)snprintf(elem + len, sizeof(elem) - len,
						",%s", parts[i]);
		r = bf_ipset_parse_elems(set, argc, av, file, line, fn, data);
		a += 1ull << k;
	}
	free(av);
	return r;
}

int bf_ipset_parse_elems(const struct bf_set *set, int argc, char **argv,
			 const char *file, int line, bf_ipset_elem_fn fn,
			 void *data)
{
	struct pctx pc = { .file = file, .line = line }, *p = &pc;
	const struct ipset_type *t = type_of(set);
	char parts[BF_SET_DIM_MAX][96], prefix[40] = "", elem[300];
	uint32_t alo = 0, ahi = 0, plo = 0, phi = 0;
	int pdim = -1, r;
	bool arange = false;
	char *save = NULL, buf[300], *tok;
	int n = 0;
	char **av;

	if (!t || t->list || argc < 1 || strlen(argv[0]) >= sizeof(buf) ||
	    (!strchr(argv[0], '/') && !strchr(argv[0], '-')))
		goto one;
	strcpy(buf, argv[0]);
	for (tok = strtok_r(buf, ",", &save); tok && n < BF_SET_DIM_MAX;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strlen(tok) >= sizeof(parts[0]))
			goto one;
		strcpy(parts[n++], tok);
	}
	if (n != t->n_dims)
		goto one;
	if (set->family == BF_FAMILY_INET4 && t->net_dim == 0 &&
	    set->dims[0].type == BF_SET_DIM_ADDR && strchr(parts[0], '-'))
		return net_range(p, set, n, parts, argc, argv, file, line, fn,
				 data);
	/* ipset adds every address of a range or CIDR to hash:ip* and
	 * bitmap:ip sets (IPv4), every port of a port range */
	if (set->family == BF_FAMILY_INET4 &&
	    set->dims[0].type == BF_SET_DIM_ADDR && t->net_dim != 0 &&
	    set->interval_dim != 0) {
		r = v4_range(parts[0], &alo, &ahi);
		if (r < 0) {
			perr(p,
			     "'%s' is not a valid IPv4 address, range or "
			     "CIDR",
			     parts[0]);
			return -EINVAL;
		}
		arange = r == 0;
	}
	for (int i = 0; i < n; i++) {
		if (set->dims[i].type != BF_SET_DIM_PROTO_PORT &&
		    set->dims[i].type != BF_SET_DIM_PORT)
			continue;
		r = port_range(parts[i], set->dims[i].type == BF_SET_DIM_PORT,
			       prefix, sizeof(prefix), &plo, &phi);
		if (r < 0) {
			perr(p, "'%s' is not a valid port range", parts[i]);
			return -EINVAL;
		}
		if (!r)
			pdim = i;
	}
	if (!arange && pdim < 0)
		goto one;
	if ((uint64_t)(ahi - alo + 1) * (phi - plo + 1) > EXPAND_MAX) {
		perr(p, "'%s' stands for more than %d elements", argv[0],
		     EXPAND_MAX);
		return -E2BIG;
	}
	av = argv_with(elem, argc, argv);
	if (!av)
		return -ENOMEM;
	r = 0;
	for (uint64_t a = alo; a <= ahi && !r; a++) {
		for (uint64_t q = plo; q <= phi && !r; q++) {
			size_t len = 0;

			for (int i = 0; i < n; i++) {
				char v[96];

				if (i == 0 && arange)
					snprintf(v, sizeof(v), "%u.%u.%u.%u",
						 (unsigned)(a >> 24) & 255,
						 (unsigned)(a >> 16) & 255,
						 (unsigned)(a >> 8) & 255,
						 (unsigned)a & 255);
				else if (i == pdim)
					snprintf(v, sizeof(v), "%s%u", prefix,
						 (unsigned)q);
				else
					snprintf(v, sizeof(v), "%.95s",
						 parts[i]);
				len += (size_t)snprintf(elem + len,
							sizeof(elem) - len,
							"%s%s", i ? "," : "",
							v);
			}
			{
				struct bf_set_elem e;

				r = bf_ipset_parse_elem(set, argc, av, file,
							line, &e);
				if (!r)
					r = fn(&e, data);
			}
		}
	}
	free(av);
	return r;
one : {
	struct bf_set_elem e;

	r = bf_ipset_parse_elem(set, argc, argv, file, line, &e);
	return r ? r : fn(&e, data);
}
}

/* Split a line into words; "..." quotes a word (comments). */
static int split(char *s, char **argv, int max)
{
	int n = 0;

	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (n == max)
			return -E2BIG;
		if (*s == '"') {
			char *end = strchr(s + 1, '"');

			if (!end)
				return -EINVAL;
			*end = '\0';
			argv[n++] = s + 1;
			s = end + 1;
			continue;
		}
		argv[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static int parse_range(struct pctx *p, struct bf_set *set, const char *v)
{
	char buf[96];
	char *dash;

	if (strlen(v) >= sizeof(buf)) {
		perr(p, "invalid range '%s'", v);
		return -EINVAL;
	}
	strcpy(buf, v);
	if (set->dims[0].type == BF_SET_DIM_PORT) {
		uint16_t lo, hi;

		dash = strchr(buf, '-');
		if (!dash) {
			perr(p, "range must be FROM-TO ports");
			return -EINVAL;
		}
		*dash = '\0';
		if (port_parse(buf, "tcp", &lo) ||
		    port_parse(dash + 1, "tcp", &hi) || lo > hi) {
			perr(p, "invalid port range '%s'", v);
			return -EINVAL;
		}
		set->range_lo[0] = (uint8_t)(lo >> 8);
		set->range_lo[1] = (uint8_t)lo;
		set->range_hi[0] = (uint8_t)(hi >> 8);
		set->range_hi[1] = (uint8_t)hi;
		return 0;
	}
	dash = strchr(buf, '-');
	if (dash) {
		int c;

		*dash = '\0';
		if (parse_addr(buf, BF_FAMILY_INET4, set->range_lo, &c,
			       false) ||
		    parse_addr(dash + 1, BF_FAMILY_INET4, set->range_hi, &c,
			       false) ||
		    memcmp(set->range_lo, set->range_hi, 4) > 0) {
			perr(p, "invalid IPv4 range '%s'", v);
			return -EINVAL;
		}
	} else {
		int c;

		if (parse_addr(buf, BF_FAMILY_INET4, set->range_lo, &c, true)) {
			perr(p, "invalid IPv4 range '%s'", v);
			return -EINVAL;
		}
		prefix_bounds(set->range_lo, set->range_hi, 4, c);
	}
	return 0;
}

static int parse_create(struct pctx *p, int argc, char **argv)
{
	struct bf_set set = { .interval_dim = -1 };
	const struct ipset_type *t;
	size_t olen = 0;
	bool has_range = false, family_given = false;
	uint32_t netmask = 0;
	int r;

	if (argc < 3) {
		perr(p, "create needs a set name and a type");
		return -EINVAL;
	}
	if (strlen(argv[1]) >= BF_SET_NAME_MAX) {
		perr(p, "set name '%s' is too long (at most %d characters)",
		     argv[1], BF_SET_NAME_MAX - 1);
		return -EINVAL;
	}
	t = type_find(argv[2]);
	if (!t) {
		for (size_t i = 0; i < ARRAY_SIZE(refused_types); i++) {
			if (!strcmp(refused_types[i].name, argv[2])) {
				perr(p, "set %s: type %s is not supported: %s",
				     argv[1], argv[2], refused_types[i].why);
				return -EINVAL;
			}
		}
		perr(p, "set %s: unknown set type '%s'", argv[1], argv[2]);
		return -EINVAL;
	}
	strcpy(set.name, argv[1]);
	snprintf(set.type, sizeof(set.type), "%s", t->name);
	set.origin = BF_SET_ORIGIN_IPSET;
	set.family = BF_FAMILY_INET4;
	set.n_dims = t->n_dims;
	set.is_list = t->list;
	set.has_elems = true;
	set.file = bf_ruleset_intern_file(p->rs, p->file);
	set.line = p->line;
	set.maxelem = IPSET_DEFAULT_MAXELEM;
	for (int i = 0; i < t->n_dims; i++)
		set.dims[i].type = t->dims[i];
	set.interval_dim = t->net_dim;
	if (t->nomatch)
		set.flags |= BF_SET_F_NOMATCH_TYPE;
	if (t->dims[0] == BF_SET_DIM_PORT) {
		memset(set.range_hi, 0xff, 2);
	}

	for (int i = 3; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint32_t u;
		int w;

		w = snprintf(set.create_opts + olen,
			     sizeof(set.create_opts) - olen, "%s%s",
			     olen ? " " : "", o);
		if (w < 0 || (size_t)w >= sizeof(set.create_opts) - olen) {
			perr(p, "set %s: options too long", set.name);
			return -EINVAL;
		}
		olen += (size_t)w;
		if (!strcmp(o, "counters")) {
			set.flags |= BF_SET_F_COUNTERS;
			continue;
		}
		if (!strcmp(o, "comment") || !strcmp(o, "forceadd"))
			continue;
		if (!strcmp(o, "nft")) {
			/* bpfilter's own: an nft set (setmap.c) */
			set.nft = true;
			continue;
		}
		if (!strcmp(o, "nft-vmap")) {
			/* bpfilter's own: an nft verdict map (setmap.c),
			 * drop elements are the nomatch ones */
			if (!t->nomatch) {
				perr(p,
				     "set %s: nft-vmap needs a type with "
				     "nomatch",
				     set.name);
				return -EINVAL;
			}
			set.nft = set.nft_vmap = true;
			continue;
		}
		if (!v) {
			perr(p, "set %s: option '%s' needs a value", set.name,
			     o);
			return -EINVAL;
		}
		w = snprintf(set.create_opts + olen,
			     sizeof(set.create_opts) - olen, " %s", v);
		if (w < 0 || (size_t)w >= sizeof(set.create_opts) - olen) {
			perr(p, "set %s: options too long", set.name);
			return -EINVAL;
		}
		olen += (size_t)w;
		i++;
		if (!strcmp(o, "family")) {
			if (t->list || (t->bitmap && strcmp(v, "inet"))) {
				perr(p, "set %s: type %s takes no family %s",
				     set.name, t->name, v);
				return -EINVAL;
			}
			if (!strcmp(v, "inet") || !strcmp(v, "ipv4"))
				set.family = BF_FAMILY_INET4;
			else if (!strcmp(v, "inet6") || !strcmp(v, "ipv6"))
				set.family = BF_FAMILY_INET6;
			else {
				perr(p, "set %s: unknown family '%s'", set.name,
				     v);
				return -EINVAL;
			}
			family_given = true;
		} else if (!strcmp(o, "hashsize") || !strcmp(o, "bucketsize") ||
			   !strcmp(o, "initval") || !strcmp(o, "size")) {
			if (!parse_u32(v, UINT32_MAX, &u)) {
				perr(p, "set %s: invalid %s '%s'", set.name, o,
				     v);
				return -EINVAL;
			}
		} else if (!strcmp(o, "maxelem")) {
			if (!parse_u32(v, UINT32_MAX, &u) || !u) {
				perr(p, "set %s: invalid maxelem '%s'",
				     set.name, v);
				return -EINVAL;
			}
			set.maxelem = u;
		} else if (!strcmp(o, "timeout")) {
			if (!parse_u32(v, UINT32_MAX / 1000, &u)) {
				perr(p, "set %s: invalid timeout '%s'",
				     set.name, v);
				return -EINVAL;
			}
			set.flags |= BF_SET_F_TIMEOUT;
			set.timeout = u;
		} else if (!strcmp(o, "netmask") &&
			   (!strcmp(t->name, "hash:ip") ||
			    !strcmp(t->name, "bitmap:ip"))) {
			if (!parse_u32(v, 128, &u) || !u) {
				perr(p, "set %s: invalid netmask '%s'",
				     set.name, v);
				return -EINVAL;
			}
			netmask = u;
		} else if (!strcmp(o, "nft-proto") && t->n_dims == 2 &&
			   t->dims[1] == BF_SET_DIM_PROTO_PORT) {
			/* bpfilter's own: an nft set lowered by setmap.c,
			 * whose elements all have this protocol */
			if (strcmp(v, "tcp") && strcmp(v, "udp")) {
				perr(p, "set %s: invalid nft-proto '%s'",
				     set.name, v);
				return -EINVAL;
			}
			set.nft_proto = v[0] == 't' ? 6 : 17;
			set.nft = true;
		} else if (!strcmp(o, "nft-chains") && !t->list && !t->bitmap) {
			/* bpfilter's own: an nft verdict map with chains
			 * (setmap.c); its elements carry nft-verdict */
			set.nft = set.nft_vmap = set.nft_jmap = true;
		} else if (!strcmp(o, "range") && t->bitmap) {
			if (parse_range(p, &set, v))
				return -EINVAL;
			has_range = true;
		} else {
			perr(p,
			     "set %s: unknown or unsupported option '%s' "
			     "for type %s",
			     set.name, o, t->name);
			return -EINVAL;
		}
	}
	(void)family_given;
	if (t->bitmap && !has_range) {
		perr(p, "set %s: a %s set needs a range", set.name, t->name);
		return -EINVAL;
	}
	if (netmask) {
		int bits = set.family == BF_FAMILY_INET6 ? 128 : 32;

		if ((int)netmask > bits) {
			perr(p, "set %s: invalid netmask %u", set.name,
			     netmask);
			return -EINVAL;
		}
		if ((int)netmask < bits) {
			/* hash:ip / bitmap:ip netmask N: each element stands
			 * for its /N block; the packet address is masked
			 * (hash_ip4_kadt()): a prefix lookup of length N */
			set.interval_dim = 0;
			set.netmask = (uint8_t)netmask;
		}
	}
	if (t->list && (set.flags & (BF_SET_F_TIMEOUT | BF_SET_F_COUNTERS))) {
		perr(p,
		     "set %s: timeout and counters are not supported for "
		     "list:set (its members are compiled into the programs)",
		     set.name);
		return -EINVAL;
	}
	if (set.interval_dim >= 0 && (set.flags & BF_SET_F_TIMEOUT)) {
		perr(p,
		     "set %s: timeout is not supported for %s sets with "
		     "prefixes (an expired element would hide the less "
		     "specific ones the kernel then finds)",
		     set.name, t->name);
		return -EINVAL;
	}
	if (t->list) {
		set.n_dims = 0;
		set.key_size = BF_SET_NAME_MAX;
	} else {
		r = bf_set_layout(&set);
		if (r) {
			perr(p, "set %s: key too long", set.name);
			return r;
		}
	}
	r = bf_ruleset_add_set(p->rs, &set);
	if (r == -EEXIST) {
		perr(p, "set %s already exists", argv[1]);
		return r;
	}
	return r;
}

struct add_ctx {
	struct pctx *p;
	struct bf_set *set;
};

static int add_one(const struct bf_set_elem *e, void *data)
{
	struct add_ctx *a = data;

	if (a->set->n_elems >= a->set->maxelem) {
		perr(a->p, "set %s is full (maxelem %u)", a->set->name,
		     a->set->maxelem);
		return -ENOSPC;
	}
	return bf_set_add_elem(a->set, e);
}

static int parse_add(struct pctx *p, int argc, char **argv)
{
	struct bf_set *set;
	struct bf_set_elem e;
	int r;

	if (argc < 3) {
		perr(p, "add needs a set name and an element");
		return -EINVAL;
	}
	set = bf_ruleset_set(p->rs, argv[1]);
	if (!set || set->origin != BF_SET_ORIGIN_IPSET) {
		perr(p, "the set with the given name '%s' does not exist",
		     argv[1]);
		return -ENOENT;
	}
	if (!set->is_list) {
		struct add_ctx a = { p, set };

		r = bf_ipset_parse_elems(set, argc - 2, argv + 2, p->file,
					 p->line, add_one, &a);
		if (r && r != -ENOSPC)
			p->errors++;
		return r;
	}
	r = bf_ipset_parse_elem(set, argc - 2, argv + 2, p->file, p->line, &e);
	if (r) {
		p->errors++;
		return r;
	}
	if (set->is_list) {
		const struct bf_set *m = bf_ruleset_set(p->rs, (char *)e.key);

		if (!m) {
			perr(p, "set %s (member of %s) does not exist",
			     (char *)e.key, set->name);
			return -ENOENT;
		}
		if (m->is_list) {
			perr(p,
			     "set %s is a list:set: it cannot be a member "
			     "of list:set %s",
			     m->name, set->name);
			return -EINVAL;
		}
	}
	if (set->n_elems >= set->maxelem) {
		perr(p, "set %s is full (maxelem %u)", set->name, set->maxelem);
		return -ENOSPC;
	}
	return bf_set_add_elem(set, &e);
}

static int parse_line(struct pctx *p, char *line)
{
	char *argv[64];
	int argc = split(line, argv, (int)ARRAY_SIZE(argv));

	if (argc == -E2BIG || argc == -EINVAL) {
		perr(p,
		     argc == -E2BIG ? "too many words" : "unterminated quote");
		return argc;
	}
	if (argc == 0 || argv[0][0] == '#')
		return 0;
	if (!strcmp(argv[0], "create") || !strcmp(argv[0], "-N") ||
	    !strcmp(argv[0], "n"))
		return parse_create(p, argc, argv);
	if (!strcmp(argv[0], "add") || !strcmp(argv[0], "-A") ||
	    !strcmp(argv[0], "a"))
		return parse_add(p, argc, argv);
	perr(p,
	     "unsupported ipset command '%s' (only create and add, as "
	     "in `ipset save` output)",
	     argv[0]);
	return -EINVAL;
}

int bf_ipset_parse(struct bf_ruleset *rs, FILE *in, const char *name)
{
	struct pctx p = { .rs = rs, .file = name };
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	errno = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		p.line++;
		if (n && line[n - 1] == '\n')
			line[n - 1] = '\0';
		parse_line(&p, line);
	}
	if (ferror(in)) {
		bf_err("%s: read error", name);
		return -EIO;
	}
	return p.errors ? -EINVAL : 0;
}

int bf_ipset_parse_str(struct bf_ruleset *rs, const char *text,
		       const char *name)
{
	_cleanup_fclose_ FILE *in = fmemopen((void *)text, strlen(text), "r");

	if (!in)
		return strlen(text) ? -errno : 0;
	return bf_ipset_parse(rs, in, name);
}

/* ---- printing ---- */

void bf_ipset_print_create(FILE *out, const struct bf_set *set)
{
	fprintf(out, "create %s %s%s%s\n", set->name, set->type,
		set->create_opts[0] ? " " : "", set->create_opts);
}

static void print_proto_port(FILE *out, const uint8_t *k)
{
	int proto = k[0];
	uint16_t port = (uint16_t)(k[2] << 8 | k[3]);
	struct protoent *pe = getprotobynumber(proto);

	if (pe)
		fprintf(out, "%s:", pe->p_name);
	else
		fprintf(out, "%d:", proto);
	if (proto == P_ICMP || proto == P_ICMPV6) {
		const struct icmp_name *t = proto == P_ICMPV6 ? icmp6_names :
								icmp4_names;
		size_t n = proto == P_ICMPV6 ? ARRAY_SIZE(icmp6_names) :
					       ARRAY_SIZE(icmp4_names);

		for (size_t i = 0; i < n; i++) {
			if (t[i].type == port >> 8 &&
			    t[i].code == (port & 0xff)) {
				fputs(t[i].name, out);
				return;
			}
		}
		fprintf(out, "%u/%u", port >> 8, port & 0xff);
		return;
	}
	fprintf(out, "%u", port);
}

bool bf_set_print_num_key(FILE *out, enum bf_set_dim_type type,
			  const uint8_t *k)
{
	switch (type) {
	case BF_SET_DIM_MARK:
		fprintf(out, "0x%08x",
			(unsigned)k[0] << 24 | (unsigned)k[1] << 16 |
				(unsigned)k[2] << 8 | k[3]);
		return true;
	case BF_SET_DIM_PROTO:
		fprintf(out, "%u", k[0]);
		return true;
	default:
		return false;
	}
}

void bf_ipset_print_elem(FILE *out, const struct bf_set *set,
			 const struct bf_set_elem *e, bool opts)
{
	const struct ipset_type *t = type_of(set);

	if (set->is_list) {
		fprintf(out, "%.*s", BF_SET_NAME_MAX - 1, (const char *)e->key);
		return;
	}
	for (int i = 0; i < set->n_dims; i++) {
		const struct bf_set_dim *d = &set->dims[i];
		const uint8_t *k = e->key + d->off;
		char buf[INET6_ADDRSTRLEN];

		if (i)
			fputc(',', out);
		switch (d->type) {
		case BF_SET_DIM_ADDR: {
			int plen;

			inet_ntop(set->family == BF_FAMILY_INET6 ? AF_INET6 :
								   AF_INET,
				  k, buf, sizeof(buf));
			fputs(buf, out);
			if (t && i == t->net_dim &&
			    bf_set_range_prefix(k, e->hi, d->width, &plen) &&
			    plen != 8 * d->width)
				fprintf(out, "/%d", plen);
			break;
		}
		case BF_SET_DIM_PROTO_PORT:
			print_proto_port(out, k);
			break;
		case BF_SET_DIM_PORT:
			fprintf(out, "%u", (unsigned)(k[0] << 8 | k[1]));
			break;
		case BF_SET_DIM_IFACE: {
			int plen;

			fprintf(out, "%.*s", BF_IFNAMSIZ, (const char *)k);
			if (t && i == t->net_dim &&
			    bf_set_range_prefix(k, e->hi, d->width, &plen) &&
			    plen != 8 * d->width)
				fputc('*', out);
			break;
		}
		default:
			if (!bf_set_print_num_key(out, d->type, k))
				fputs("?", out);
		}
	}
	if (!opts)
		return;
	if (set->flags & BF_SET_F_TIMEOUT)
		fprintf(out, " timeout %u", e->timeout);
	if (e->nomatch)
		fputs(" nomatch", out);
	if (set->nft_jmap) {
		fputs(" nft-verdict ", out);
		print_jmap_verdict(out, set, e->data, false);
	}
	if (set->flags & BF_SET_F_COUNTERS)
		fprintf(out, " packets %llu bytes %llu",
			(unsigned long long)e->packets,
			(unsigned long long)e->bytes);
}

static void print_set(FILE *out, const struct bf_set *set)
{
	bf_ipset_print_create(out, set);
	for (size_t j = 0; j < set->n_elems; j++) {
		fprintf(out, "add %s ", set->name);
		bf_ipset_print_elem(out, set, &set->elems[j], true);
		fputc('\n', out);
	}
}

void bf_ipset_print(FILE *out, const struct bf_ruleset *rs)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rs->n_sets; i++) {
			const struct bf_set *set = &rs->sets[i];

			if (set->origin != BF_SET_ORIGIN_IPSET ||
			    set->is_list != (pass == 1))
				continue;
			print_set(out, set);
		}
	}
}

int bf_ipset_from_kernel(struct bf_ruleset *rs)
{
	const char *bin = getenv("BPFILTER_IPSET");
	_cleanup_free_ char *cmd = NULL;
	FILE *in;
	int r, st;

	if (!bin || !*bin)
		bin = "ipset";
	if (asprintf(&cmd, "%s save 2>&1", bin) < 0)
		return -ENOMEM;
	in = popen(cmd, "r");
	if (!in) {
		r = -errno;
		bf_err("cannot run '%s save': %s", bin, strerror(-r));
		return r;
	}
	r = bf_ipset_parse(rs, in, "<ipset save>");
	st = pclose(in);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		bf_err("'%s save' failed (is ipset installed, and are you "
		       "root?)",
		       bin);
		return r ? r : -EIO;
	}
	return r;
}
