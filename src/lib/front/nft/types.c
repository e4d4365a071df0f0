// SPDX-License-Identifier: GPL-2.0-only
/*
 * The domain of the nft front end, described once: data types (how a
 * constant is parsed and printed) and the fields nft can load (payload
 * offsets, meta and ct keys). The parser, evaluator, printer and lowering
 * all read these tables.
 *
 * Offsets and widths follow the header layouts that nft's payload
 * expressions load (see the .t.payload files of the nftables tests:
 * e.g. `tcp dport` is "payload load 2b @ transport header + 2").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "front/nft/nft.h"

static const struct nft_sym ctstate_syms[] = {
	{ "invalid", 1 }, { "established", 2 }, { "related", 4 },
	{ "new", 8 },	  { "untracked", 64 },	{ NULL, 0 },
};

static const struct nft_sym ctstatus_syms[] = {
	{ "expected", 0x1 },  { "seen-reply", 0x2 }, { "assured", 0x4 },
	{ "confirmed", 0x8 }, { "snat", 0x10 },	     { "dnat", 0x20 },
	{ "dying", 0x200 },   { NULL, 0 },
};

static const struct nft_sym ctdir_syms[] = {
	{ "original", 0 },
	{ "reply", 1 },
	{ NULL, 0 },
};

/* nft's arphrd table (datatype iface_type) */
/* RTN_* as nft's fib_addr_type names them */
static const struct nft_sym fibtype_syms[] = {
	{ "unspec", 0 },    { "unicast", 1 },	  { "local", 2 },
	{ "broadcast", 3 }, { "anycast", 4 },	  { "multicast", 5 },
	{ "blackhole", 6 }, { "unreachable", 7 }, { "prohibit", 8 },
	{ NULL, 0 },
};

static const struct nft_sym iftype_syms[] = {
	{ "ether", 1 },	     { "ppp", 512 }, { "ipip", 768 },  { "ipip6", 769 },
	{ "loopback", 772 }, { "sit", 776 }, { "ipgre", 778 }, { NULL, 0 },
};

static const struct nft_sym pkttype_syms[] = {
	{ "host", 0 },	    { "unicast", 0 }, { "broadcast", 1 },
	{ "multicast", 2 }, { "other", 3 },   { NULL, 0 },
};

static const struct nft_sym nfproto_syms[] = {
	{ "ipv4", 2 },
	{ "ipv6", 10 },
	{ NULL, 0 },
};

static const struct nft_sym tcpflag_syms[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 },
	{ "psh", 0x08 }, { "ack", 0x10 }, { "urg", 0x20 },
	{ "ecn", 0x40 }, { "cwr", 0x80 }, { NULL, 0 },
};

static const struct nft_sym icmp_type_syms[] = {
	{ "echo-reply", 0 },	       { "destination-unreachable", 3 },
	{ "source-quench", 4 },	       { "redirect", 5 },
	{ "echo-request", 8 },	       { "router-advertisement", 9 },
	{ "router-solicitation", 10 }, { "time-exceeded", 11 },
	{ "parameter-problem", 12 },   { "timestamp-request", 13 },
	{ "timestamp-reply", 14 },     { "info-request", 15 },
	{ "info-reply", 16 },	       { "address-mask-request", 17 },
	{ "address-mask-reply", 18 },  { NULL, 0 },
};

static const struct nft_sym icmp6_type_syms[] = {
	{ "destination-unreachable", 1 }, { "packet-too-big", 2 },
	{ "time-exceeded", 3 },		  { "parameter-problem", 4 },
	{ "echo-request", 128 },	  { "echo-reply", 129 },
	{ "mld-listener-query", 130 },	  { "mld-listener-report", 131 },
	{ "mld-listener-done", 132 },	  { "mld-listener-reduction", 132 },
	{ "nd-router-solicit", 133 },	  { "nd-router-advert", 134 },
	{ "nd-neighbor-solicit", 135 },	  { "nd-neighbor-advert", 136 },
	{ "nd-redirect", 137 },		  { "router-renumbering", 138 },
	{ "ind-neighbor-solicit", 141 },  { "ind-neighbor-advert", 142 },
	{ "mld2-listener-report", 143 },  { NULL, 0 },
};

const struct nft_sym nft_icmp_code_syms[] = {
	{ "net-unreachable", 0 },
	{ "host-unreachable", 1 },
	{ "prot-unreachable", 2 },
	{ "port-unreachable", 3 },
	{ "frag-needed", 4 },
	{ "net-prohibited", 9 },
	{ "host-prohibited", 10 },
	{ "admin-prohibited", 13 },
	{ NULL, 0 },
};

const struct nft_sym nft_icmp6_code_syms[] = {
	{ "no-route", 0 },
	{ "admin-prohibited", 1 },
	{ "addr-unreachable", 3 },
	{ "port-unreachable", 4 },
	{ "policy-fail", 5 },
	{ "reject-route", 6 },
	{ NULL, 0 },
};

/* NFT_REJECT_ICMPX_* */
const struct nft_sym nft_icmpx_code_syms[] = {
	{ "no-route", 0 },
	{ "port-unreachable", 1 },
	{ "host-unreachable", 2 },
	{ "admin-prohibited", 3 },
	{ NULL, 0 },
};

const struct nft_sym nft_log_level_syms[] = {
	{ "emerg", 0 }, { "alert", 1 },	 { "crit", 2 }, { "err", 3 },
	{ "warn", 4 },	{ "notice", 5 }, { "info", 6 }, { "debug", 7 },
	{ "audit", 8 }, { NULL, 0 },
};

static const struct nft_sym ethertype_syms[] = {
	{ "ip", 0x0800 },    { "arp", 0x0806 },	 { "ip6", 0x86dd },
	{ "8021q", 0x8100 }, { "vlan", 0x8100 }, { "8021ad", 0x88a8 },
	{ NULL, 0 },
};

static const struct nft_sym dscp_syms[] = {
	{ "cs0", 0x00 },
	{ "cs1", 0x08 },
	{ "cs2", 0x10 },
	{ "cs3", 0x18 },
	{ "cs4", 0x20 },
	{ "cs5", 0x28 },
	{ "cs6", 0x30 },
	{ "cs7", 0x38 },
	{ "af11", 0x0a },
	{ "af12", 0x0c },
	{ "af13", 0x0e },
	{ "af21", 0x12 },
	{ "af22", 0x14 },
	{ "af23", 0x16 },
	{ "af31", 0x1a },
	{ "af32", 0x1c },
	{ "af33", 0x1e },
	{ "af41", 0x22 },
	{ "af42", 0x24 },
	{ "af43", 0x26 },
	{ "ef", 0x2e },
	{ "va", 0x2c },
	{ "le", 0x01 },
	/* nft 1.0.6's name for 0x01 (its JSON listings use it) */
	{ "lephb", 0x01 },
	{ NULL, 0 },
};

static const struct nft_sym ecn_syms[] = {
	{ "not-ect", 0 }, { "ect1", 1 }, { "ect0", 2 },
	{ "ce", 3 },	  { NULL, 0 },
};

/* A few protocol / service names, so that parsing never depends on the
 * contents of /etc/protocols and /etc/services for the common ones. */
static const struct nft_sym proto_syms[] = {
	{ "icmp", 1 },	    { "igmp", 2 },	 { "tcp", 6 },
	{ "udp", 17 },	    { "ipv6-icmp", 58 }, { "icmpv6", 58 },
	{ "esp", 50 },	    { "ah", 51 },	 { "comp", 108 },
	{ "udplite", 136 }, { "dccp", 33 },	 { "sctp", 132 },
	{ "gre", 47 },	    { "ipip", 4 },	 { "ipv6", 41 },
	{ NULL, 0 },
};

static const struct nft_sym service_syms[] = {
	{ "ftp", 21 },	  { "ssh", 22 },    { "telnet", 23 }, { "smtp", 25 },
	{ "domain", 53 }, { "bootps", 67 }, { "bootpc", 68 }, { "http", 80 },
	{ "ntp", 123 },	  { "https", 443 }, { NULL, 0 },
};

static const struct nft_dtype_desc dtypes[BF_NFT_DT_COUNT] = {
	[BF_NFT_DT_INVALID] = { "invalid", 0, NULL, false, false },
	[BF_NFT_DT_INTEGER] = { "integer", 32, NULL, false, false },
	[BF_NFT_DT_HEX] = { "integer", 32, NULL, false, false },
	[BF_NFT_DT_MARK] = { "mark", 32, NULL, false, false },
	[BF_NFT_DT_IPV4] = { "ipv4_addr", 32, NULL, false, false },
	[BF_NFT_DT_IPV6] = { "ipv6_addr", 128, NULL, false, false },
	[BF_NFT_DT_ETHER] = { "ether_addr", 48, NULL, false, false },
	[BF_NFT_DT_SERVICE] = { "inet_service", 16, service_syms, false,
				false },
	[BF_NFT_DT_PROTO] = { "inet_proto", 8, proto_syms, false, false },
	[BF_NFT_DT_IFNAME] = { "ifname", 128, NULL, false, false },
	[BF_NFT_DT_IFINDEX] = { "iface_index", 32, NULL, false, false },
	[BF_NFT_DT_CTSTATE] = { "ct_state", 32, ctstate_syms, true, true },
	[BF_NFT_DT_CTSTATUS] = { "ct_status", 32, ctstatus_syms, true, true },
	[BF_NFT_DT_CTDIR] = { "ct_dir", 8, ctdir_syms, false, true },
	[BF_NFT_DT_PKTTYPE] = { "pkt_type", 8, pkttype_syms, false, true },
	[BF_NFT_DT_NFPROTO] = { "nf_proto", 8, nfproto_syms, false, true },
	[BF_NFT_DT_TCPFLAG] = { "tcp_flag", 8, tcpflag_syms, true, true },
	[BF_NFT_DT_ICMP_TYPE] = { "icmp_type", 8, icmp_type_syms, false, true },
	[BF_NFT_DT_ICMP_CODE] = { "icmp_code", 8, nft_icmp_code_syms, false,
				  false },
	[BF_NFT_DT_ICMP6_TYPE] = { "icmpv6_type", 8, icmp6_type_syms, false,
				   true },
	[BF_NFT_DT_ICMP6_CODE] = { "icmpv6_code", 8, nft_icmp6_code_syms, false,
				   false },
	[BF_NFT_DT_ETHERTYPE] = { "ether_type", 16, ethertype_syms, false,
				  true },
	[BF_NFT_DT_DSCP] = { "dscp", 6, dscp_syms, false, true },
	[BF_NFT_DT_ECN] = { "ecn", 2, ecn_syms, false, true },
	[BF_NFT_DT_VERDICT] = { "verdict", 32, NULL, false, false },
	[BF_NFT_DT_IFTYPE] = { "iface_type", 16, iftype_syms, false, true },
	[BF_NFT_DT_FIBTYPE] = { "fib_addrtype", 32, fibtype_syms, false, true },
};
_Static_assert(ARRAY_SIZE(dtypes) == BF_NFT_DT_COUNT, "dtype table");

const struct nft_dtype_desc *nft_dtype(enum bf_nft_dtype dt)
{
	return &dtypes[(unsigned)dt < BF_NFT_DT_COUNT ? dt : 0];
}

enum bf_nft_dtype nft_dtype_by_name(const char *name)
{
	static const struct {
		const char *name;
		enum bf_nft_dtype dt;
	} extra[] = {
		{ "ifname", BF_NFT_DT_IFNAME },
		{ "iface_index", BF_NFT_DT_IFINDEX },
		{ "mark", BF_NFT_DT_MARK },
		{ "verdict", BF_NFT_DT_VERDICT },
		{ "integer", BF_NFT_DT_INTEGER },
	};

	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		if (!strcmp(extra[i].name, name))
			return extra[i].dt;
	for (int i = 1; i < BF_NFT_DT_COUNT; i++)
		if (!strcmp(dtypes[i].name, name) && i != BF_NFT_DT_HEX)
			return i;
	return BF_NFT_DT_INVALID;
}

#define PL(p, n, dt, base, off, len, l4, fam)                                  \
	{                                                                      \
		p, n, dt, BF_NFT_BASE_##base, off, len, l4, fam, 0             \
	}
#define META(n, dt, len, id)                                                   \
	{                                                                      \
		"meta", n, dt, BF_NFT_BASE_NONE, 0, len, 0, -1, id             \
	}
#define CTT(n, dt, len, fam, id)                                               \
	{                                                                      \
		"ct", n, BF_NFT_DT_##dt, BF_NFT_BASE_NONE, 0, len, 0,          \
			BF_NFT_FAMILY_##fam, BF_NFT_CT_##id                    \
	}
#define CT(n, dt, len, id)                                                     \
	{                                                                      \
		"ct", n, dt, BF_NFT_BASE_NONE, 0, len, 0, -1, id               \
	}

static const struct bf_nft_field fields[] = {
	PL("ip", "version", BF_NFT_DT_INTEGER, NH, 0, 4, 0, BF_NFT_FAMILY_IP),
	PL("ip", "hdrlength", BF_NFT_DT_INTEGER, NH, 4, 4, 0, BF_NFT_FAMILY_IP),
	PL("ip", "dscp", BF_NFT_DT_DSCP, NH, 8, 6, 0, BF_NFT_FAMILY_IP),
	PL("ip", "ecn", BF_NFT_DT_ECN, NH, 14, 2, 0, BF_NFT_FAMILY_IP),
	PL("ip", "length", BF_NFT_DT_INTEGER, NH, 16, 16, 0, BF_NFT_FAMILY_IP),
	PL("ip", "id", BF_NFT_DT_INTEGER, NH, 32, 16, 0, BF_NFT_FAMILY_IP),
	PL("ip", "frag-off", BF_NFT_DT_HEX, NH, 48, 16, 0, BF_NFT_FAMILY_IP),
	PL("ip", "ttl", BF_NFT_DT_INTEGER, NH, 64, 8, 0, BF_NFT_FAMILY_IP),
	PL("ip", "protocol", BF_NFT_DT_PROTO, NH, 72, 8, 0, BF_NFT_FAMILY_IP),
	PL("ip", "checksum", BF_NFT_DT_INTEGER, NH, 80, 16, 0,
	   BF_NFT_FAMILY_IP),
	PL("ip", "saddr", BF_NFT_DT_IPV4, NH, 96, 32, 0, BF_NFT_FAMILY_IP),
	PL("ip", "daddr", BF_NFT_DT_IPV4, NH, 128, 32, 0, BF_NFT_FAMILY_IP),
	PL("ip6", "version", BF_NFT_DT_INTEGER, NH, 0, 4, 0, BF_NFT_FAMILY_IP6),
	PL("ip6", "dscp", BF_NFT_DT_DSCP, NH, 4, 6, 0, BF_NFT_FAMILY_IP6),
	PL("ip6", "ecn", BF_NFT_DT_ECN, NH, 10, 2, 0, BF_NFT_FAMILY_IP6),
	PL("ip6", "flowlabel", BF_NFT_DT_INTEGER, NH, 12, 20, 0,
	   BF_NFT_FAMILY_IP6),
	PL("ip6", "length", BF_NFT_DT_INTEGER, NH, 32, 16, 0,
	   BF_NFT_FAMILY_IP6),
	PL("ip6", "nexthdr", BF_NFT_DT_PROTO, NH, 48, 8, 0, BF_NFT_FAMILY_IP6),
	PL("ip6", "hoplimit", BF_NFT_DT_INTEGER, NH, 56, 8, 0,
	   BF_NFT_FAMILY_IP6),
	PL("ip6", "saddr", BF_NFT_DT_IPV6, NH, 64, 128, 0, BF_NFT_FAMILY_IP6),
	PL("ip6", "daddr", BF_NFT_DT_IPV6, NH, 192, 128, 0, BF_NFT_FAMILY_IP6),
	PL("tcp", "sport", BF_NFT_DT_SERVICE, TH, 0, 16, 6, -1),
	PL("tcp", "dport", BF_NFT_DT_SERVICE, TH, 16, 16, 6, -1),
	PL("tcp", "sequence", BF_NFT_DT_INTEGER, TH, 32, 32, 6, -1),
	PL("tcp", "ackseq", BF_NFT_DT_INTEGER, TH, 64, 32, 6, -1),
	PL("tcp", "doff", BF_NFT_DT_INTEGER, TH, 96, 4, 6, -1),
	PL("tcp", "reserved", BF_NFT_DT_INTEGER, TH, 100, 4, 6, -1),
	PL("tcp", "flags", BF_NFT_DT_TCPFLAG, TH, 104, 8, 6, -1),
	PL("tcp", "window", BF_NFT_DT_INTEGER, TH, 112, 16, 6, -1),
	PL("tcp", "checksum", BF_NFT_DT_INTEGER, TH, 128, 16, 6, -1),
	PL("tcp", "urgptr", BF_NFT_DT_INTEGER, TH, 144, 16, 6, -1),
	PL("udp", "sport", BF_NFT_DT_SERVICE, TH, 0, 16, 17, -1),
	PL("udp", "dport", BF_NFT_DT_SERVICE, TH, 16, 16, 17, -1),
	PL("udp", "length", BF_NFT_DT_INTEGER, TH, 32, 16, 17, -1),
	PL("udp", "checksum", BF_NFT_DT_INTEGER, TH, 48, 16, 17, -1),
	PL("th", "sport", BF_NFT_DT_SERVICE, TH, 0, 16, 0, -1),
	PL("th", "dport", BF_NFT_DT_SERVICE, TH, 16, 16, 0, -1),
	PL("icmp", "type", BF_NFT_DT_ICMP_TYPE, TH, 0, 8, 1, BF_NFT_FAMILY_IP),
	PL("icmp", "code", BF_NFT_DT_ICMP_CODE, TH, 8, 8, 1, BF_NFT_FAMILY_IP),
	PL("icmp", "checksum", BF_NFT_DT_INTEGER, TH, 16, 16, 1,
	   BF_NFT_FAMILY_IP),
	PL("icmp", "id", BF_NFT_DT_INTEGER, TH, 32, 16, 1, BF_NFT_FAMILY_IP),
	PL("icmp", "sequence", BF_NFT_DT_INTEGER, TH, 48, 16, 1,
	   BF_NFT_FAMILY_IP),
	PL("icmp", "gateway", BF_NFT_DT_INTEGER, TH, 32, 32, 1,
	   BF_NFT_FAMILY_IP),
	PL("icmp", "mtu", BF_NFT_DT_INTEGER, TH, 48, 16, 1, BF_NFT_FAMILY_IP),
	PL("icmpv6", "type", BF_NFT_DT_ICMP6_TYPE, TH, 0, 8, 58,
	   BF_NFT_FAMILY_IP6),
	PL("icmpv6", "code", BF_NFT_DT_ICMP6_CODE, TH, 8, 8, 58,
	   BF_NFT_FAMILY_IP6),
	PL("icmpv6", "checksum", BF_NFT_DT_INTEGER, TH, 16, 16, 58,
	   BF_NFT_FAMILY_IP6),
	PL("icmpv6", "parameter-problem", BF_NFT_DT_INTEGER, TH, 32, 32, 58,
	   BF_NFT_FAMILY_IP6),
	PL("icmpv6", "mtu", BF_NFT_DT_INTEGER, TH, 32, 32, 58,
	   BF_NFT_FAMILY_IP6),
	PL("icmpv6", "id", BF_NFT_DT_INTEGER, TH, 32, 16, 58,
	   BF_NFT_FAMILY_IP6),
	PL("icmpv6", "sequence", BF_NFT_DT_INTEGER, TH, 48, 16, 58,
	   BF_NFT_FAMILY_IP6),
	PL("icmpv6", "max-delay", BF_NFT_DT_INTEGER, TH, 32, 16, 58,
	   BF_NFT_FAMILY_IP6),
	PL("ether", "daddr", BF_NFT_DT_ETHER, LL, 0, 48, 0, -1),
	PL("ether", "saddr", BF_NFT_DT_ETHER, LL, 48, 48, 0, -1),
	PL("ether", "type", BF_NFT_DT_ETHERTYPE, LL, 96, 16, 0, -1),
	/* the 802.1Q header after the Ethernet one (nft's proto_vlan):
	 * lowered where the tag can be read (cgen/m_ether.c) */
	PL("vlan", "pcp", BF_NFT_DT_INTEGER, LL, 112, 3, 0, -1),
	PL("vlan", "dei", BF_NFT_DT_INTEGER, LL, 115, 1, 0, -1),
	PL("vlan", "cfi", BF_NFT_DT_INTEGER, LL, 115, 1, 0, -1),
	PL("vlan", "id", BF_NFT_DT_INTEGER, LL, 116, 12, 0, -1),
	PL("vlan", "type", BF_NFT_DT_ETHERTYPE, LL, 128, 16, 0, -1),
	META("length", BF_NFT_DT_INTEGER, 32, BF_NFT_META_LENGTH),
	META("protocol", BF_NFT_DT_ETHERTYPE, 16, BF_NFT_META_PROTOCOL),
	META("nfproto", BF_NFT_DT_NFPROTO, 8, BF_NFT_META_NFPROTO),
	META("l4proto", BF_NFT_DT_PROTO, 8, BF_NFT_META_L4PROTO),
	META("mark", BF_NFT_DT_MARK, 32, BF_NFT_META_MARK),
	META("iif", BF_NFT_DT_IFINDEX, 32, BF_NFT_META_IIF),
	META("oif", BF_NFT_DT_IFINDEX, 32, BF_NFT_META_OIF),
	META("iifname", BF_NFT_DT_IFNAME, 128, BF_NFT_META_IIFNAME),
	META("oifname", BF_NFT_DT_IFNAME, 128, BF_NFT_META_OIFNAME),
	META("pkttype", BF_NFT_DT_PKTTYPE, 8, BF_NFT_META_PKTTYPE),
	META("iiftype", BF_NFT_DT_IFTYPE, 16, BF_NFT_META_IIFTYPE),
	META("oiftype", BF_NFT_DT_IFTYPE, 16, BF_NFT_META_OIFTYPE),
	CT("state", BF_NFT_DT_CTSTATE, 32, BF_NFT_CT_STATE),
	CT("status", BF_NFT_DT_CTSTATUS, 32, BF_NFT_CT_STATUS),
	CT("mark", BF_NFT_DT_MARK, 32, BF_NFT_CT_MARK),
	CT("direction", BF_NFT_DT_CTDIR, 8, BF_NFT_CT_DIRECTION),
	/* a string of NF_CT_HELPER_NAME_LEN bytes, like a device name;
	 * `ct helper set` stays unsupported (parse.c) */
	CT("helper", BF_NFT_DT_IFNAME, 128, BF_NFT_CT_HELPER),
	/* the tuples of one direction: `ct original ip saddr`... (parse.c
	 * builds the name), nft's listing form */
	CTT("original ip saddr", IPV4, 32, IP, SADDR),
	CTT("original ip daddr", IPV4, 32, IP, DADDR),
	CTT("reply ip saddr", IPV4, 32, IP, SADDR),
	CTT("reply ip daddr", IPV4, 32, IP, DADDR),
	CTT("original ip6 saddr", IPV6, 128, IP6, SADDR),
	CTT("original ip6 daddr", IPV6, 128, IP6, DADDR),
	CTT("reply ip6 saddr", IPV6, 128, IP6, SADDR),
	CTT("reply ip6 daddr", IPV6, 128, IP6, DADDR),
	CT("original proto-src", BF_NFT_DT_INTEGER, 16, BF_NFT_CT_PROTO_SRC),
	CT("original proto-dst", BF_NFT_DT_INTEGER, 16, BF_NFT_CT_PROTO_DST),
	CT("reply proto-src", BF_NFT_DT_INTEGER, 16, BF_NFT_CT_PROTO_SRC),
	CT("reply proto-dst", BF_NFT_DT_INTEGER, 16, BF_NFT_CT_PROTO_DST),
	/* listed without a direction (both tuples hold the same) */
	CT("protocol", BF_NFT_DT_PROTO, 8, BF_NFT_CT_PROTOCOL),
	CT("l3proto", BF_NFT_DT_NFPROTO, 8, BF_NFT_CT_L3PROTO),
	/* `rt type`: byte 2 of the IPv6 routing header that
	 * ipv6_find_hdr() finds (nft_exthdr_ipv6_eval()), the one rt
	 * field parsed (lower.c: BF_MATCH_RT with BF_RT_NFT) */
	{ "rt", "type", BF_NFT_DT_INTEGER, BF_NFT_BASE_NONE, 16, 8, 0,
	  BF_NFT_FAMILY_IP6, 0 },
	/* `fib daddr type`, the one fib form parsed (fib.c lowers it) */
	{ "fib", "daddr type", BF_NFT_DT_FIBTYPE, BF_NFT_BASE_NONE, 0, 32, 0,
	  -1, 0 },
};

const struct bf_nft_field *nft_field_find(const char *proto, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].proto, proto) &&
		    !strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

int nft_proto_known(const char *proto)
{
	static const char *const unsupported[] = {
		"arp",	 "sctp",    "dccp",   "udplite", "ah",	   "esp",
		"comp",	 "rt",	    "frag",   "hbh",	 "dst",	   "mh",
		"fib",	 "osf",	    "ipsec",  "tunnel",	 "exthdr", "numgen",
		"jhash", "symhash", "socket", "rt0",	 "rt2",	   "srh",
		"igmp",	 "gre",	    "vxlan",  "geneve",	 "gretap", "cgroupv2",
	};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].proto, proto))
			return 1;
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
		if (!strcmp(unsupported[i], proto))
			return -1;
	return 0;
}

bool nft_meta_unqualified(const char *key)
{
	static const char *const keys[] = {
		"mark",	     "iif",	 "oif",	     "iifname",	 "oifname",
		"iiftype",   "oiftype",	 "skuid",    "skgid",	 "nftrace",
		"rtclassid", "ibriport", "obriport", "ibrname",	 "obrname",
		"pkttype",   "cpu",	 "iifgroup", "oifgroup", "cgroup",
		"ipsec",     "iifkind",	 "oifkind",  "random",	 "priority",
		"time",	     "day",	 "hour",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

bool nft_meta_printed_unqualified(int id)
{
	return id == BF_NFT_META_IIF || id == BF_NFT_META_OIF ||
	       id == BF_NFT_META_IIFNAME || id == BF_NFT_META_OIFNAME;
}

bool nft_meta_key_unsupported(const char *key)
{
	static const char *const keys[] = {
		"priority",  "skuid",	    "skgid",	   "nftrace",
		"rtclassid", "ibriport",    "obriport",	   "ibrname",
		"obrname",   "cpu",	    "iifgroup",	   "oifgroup",
		"cgroup",    "random",	    "ipsec",	   "iifkind",
		"oifkind",   "secmark",	    "time",	   "day",
		"hour",	     "sdif",	    "sdifname",	   "broute",
		"secpath",   "ibridgename", "obridgename",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

bool nft_ct_key_unsupported(const char *key)
{
	static const char *const keys[] = {
		"expiration", "l3proto",   "protocol", "saddr",	  "daddr",
		"proto-src",  "proto-dst", "label",    "bytes",	  "packets",
		"avgpkt",     "zone",	   "event",    "secmark", "id",
		"count",      "original",  "reply",    "ip",	  "ip6",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

const char *nft_sym_name(const struct nft_sym *syms, uint64_t v)
{
	for (; syms && syms->name; syms++)
		if (syms->value == v)
			return syms->name;
	return NULL;
}

bool nft_sym_value(const struct nft_sym *syms, const char *name, uint64_t *v)
{
	for (; syms && syms->name; syms++) {
		if (!strcmp(syms->name, name)) {
			*v = syms->value;
			return true;
		}
	}
	return false;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

static int parse_ether(const char *s, uint8_t out[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)b[i];
	return 0;
}

int nft_value_parse(enum bf_nft_dtype dt, unsigned int len_bits,
		    const char *text, bool quoted, struct bf_nft_expr *e,
		    const char **why)
{
	const struct nft_dtype_desc *d = nft_dtype(dt);
	uint64_t max = len_bits >= 64 ? UINT64_MAX : (1ull << len_bits) - 1;
	uint64_t v;

	*why = NULL;
	e->dtype = dt;
	e->len_bits = len_bits;
	switch (dt) {
	case BF_NFT_DT_IPV4:
		memset(e->bytes, 0, sizeof(e->bytes));
		if (inet_pton(AF_INET, text, e->bytes) != 1) {
			*why = "not an IPv4 address";
			return -EINVAL;
		}
		break;
	case BF_NFT_DT_IPV6:
		if (inet_pton(AF_INET6, text, e->bytes) != 1) {
			*why = "not an IPv6 address";
			return -EINVAL;
		}
		break;
	case BF_NFT_DT_ETHER:
		memset(e->bytes, 0, sizeof(e->bytes));
		if (parse_ether(text, e->bytes)) {
			*why = "not an Ethernet address";
			return -EINVAL;
		}
		break;
	case BF_NFT_DT_IFNAME:
	case BF_NFT_DT_IFINDEX:
		if (!*text) {
			*why = "empty interface name";
			return -EINVAL;
		}
		if (strlen(text) >= 16) {
			*why = "interface name too long (15 characters max)";
			return -EINVAL;
		}
		if (e->text != text) {
			char *dup = strdup(text);
			if (!dup)
				return -ENOMEM;
			free(e->text);
			e->text = dup;
		}
		break;
	case BF_NFT_DT_VERDICT:
		*why = "a verdict is not a value here";
		return -EINVAL;
	default:
		if (quoted && dt != BF_NFT_DT_SERVICE &&
		    dt != BF_NFT_DT_PROTO) {
			*why = "a string is not a value of this type";
			return -EINVAL;
		}
		if (nft_sym_value(d->syms, text, &v)) {
			e->num = v;
			break;
		}
		if (dt == BF_NFT_DT_PROTO) {
			struct protoent *p = getprotobyname(text);
			if (p) {
				e->num = (uint64_t)p->p_proto;
				break;
			}
		} else if (dt == BF_NFT_DT_SERVICE) {
			struct servent *s = getservbyname(text, NULL);
			if (s) {
				e->num = ntohs((uint16_t)s->s_port);
				break;
			}
		}
		if (parse_uint(text, max, &v)) {
			if (!(text[0] >= '0' && text[0] <= '9'))
				*why = d->syms ? "unknown name for this type" :
						 "not a number";
			else
				*why = "value out of range";
			return -EINVAL;
		}
		e->num = v;
		break;
	}
	e->kind = BF_NFT_E_VALUE;
	return 0;
}

static void print_string(FILE *out, const char *s)
{
	fputc('"', out);
	fputs(s, out);
	fputc('"', out);
}

void nft_value_print(FILE *out, const struct bf_nft_expr *e)
{
	const struct nft_dtype_desc *d = nft_dtype(e->dtype);
	char buf[INET6_ADDRSTRLEN];
	const char *name;

	switch (e->dtype) {
	case BF_NFT_DT_IPV4:
		fputs(inet_ntop(AF_INET, e->bytes, buf, sizeof(buf)), out);
		return;
	case BF_NFT_DT_IPV6:
		fputs(inet_ntop(AF_INET6, e->bytes, buf, sizeof(buf)), out);
		return;
	case BF_NFT_DT_ETHER:
		fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", e->bytes[0],
			e->bytes[1], e->bytes[2], e->bytes[3], e->bytes[4],
			e->bytes[5]);
		return;
	case BF_NFT_DT_IFNAME:
	case BF_NFT_DT_IFINDEX:
		print_string(out, e->text ? e->text : "");
		return;
	case BF_NFT_DT_MARK:
		fprintf(out, "0x%08" PRIx64, e->num);
		return;
	case BF_NFT_DT_HEX:
		fprintf(out, "0x%" PRIx64, e->num);
		return;
	case BF_NFT_DT_DSCP:
		name = nft_sym_name(d->syms, e->num);
		if (name)
			fputs(name, out);
		else
			fprintf(out, "0x%02" PRIx64, e->num);
		return;
	case BF_NFT_DT_ETHERTYPE:
		name = nft_sym_name(d->syms, e->num);
		if (name && e->num == 0x8100)
			name = "8021q";
		if (name)
			fputs(name, out);
		else
			fprintf(out, "0x%04" PRIx64, e->num);
		return;
	default:
		if (d->print_sym && (name = nft_sym_name(d->syms, e->num))) {
			fputs(name, out);
			return;
		}
		if (d->print_sym && e->dtype != BF_NFT_DT_ICMP_TYPE &&
		    e->dtype != BF_NFT_DT_ICMP6_TYPE &&
		    e->dtype != BF_NFT_DT_ICMP_CODE &&
		    e->dtype != BF_NFT_DT_ICMP6_CODE) {
			fprintf(out, "0x%" PRIx64, e->num);
			return;
		}
		fprintf(out, "%" PRIu64, e->num);
		return;
	}
}

const struct nft_prio nft_prios[] = {
	{ "raw", -300 }, { "mangle", -150 }, { "dstnat", -100 },
	{ "filter", 0 }, { "security", 50 }, { "srcnat", 100 },
};
const size_t nft_n_prios = ARRAY_SIZE(nft_prios);
