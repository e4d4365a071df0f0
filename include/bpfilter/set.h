/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Named sets: the front-end-independent model of ipset sets and nftables
 * named sets, compiled to BPF maps (src/lib/set/, doc/sets.md).
 *
 * A set has a family, an ordered list of dimensions (its key layout) and
 * elements. Each dimension is one packet field type; an element gives one
 * value per dimension. At most one dimension, the *interval dimension*,
 * may hold prefixes or ranges: the set then becomes a longest-prefix-match
 * map (BPF_MAP_TYPE_LPM_TRIE) whose key holds the exact dimensions first
 * and the interval dimension last; otherwise it is a hash map of exact
 * keys. With prefixes, the most specific element containing the packet
 * decides (as ipset's hash:net* types and nft interval sets do), and an
 * element flagged `nomatch` makes the lookup answer "not in the set".
 *
 * Element key bytes: every dimension at its offset (bf_set_dim.off) in
 * elem.key, `width` bytes, in network byte order (addresses as on the
 * wire, IPv4 in 4 bytes; ports and marks big endian), so that prefixes
 * of the bytes are prefixes of the values. The interval dimension holds
 * the low end in key and the high end (inclusive) in elem.hi; ipset's
 * net/cidr is lo = net, hi = net | hostmask. Ranges that are not prefixes
 * (nft `a-b`) are cut into prefixes by the map builder.
 *
 * A ruleset owns its sets (bf_ruleset.sets); a rule refers to a set by
 * name (BF_MATCH_SET: u.set.name, for ipset). Ownership and errors follow
 * ir.h: free functions take T ** / release a struct, 0 or -errno.
 */
#ifndef BPFILTER_SET_H
#define BPFILTER_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/ir.h"

/* Longest set name of any front end (nft's NFT_SET_MAXNAMELEN); ipset's
 * limit is BF_SET_NAME_MAX (ir.h), checked by its parser. */
#define BF_SET_NAME_LEN 256
/* Bytes of one element key (all dimensions): the LPM key adds 4. */
#define BF_SET_KEY_MAX 40
/* ipset type names ("hash:net,port") and comments */
#define BF_SET_TYPE_LEN 24

enum bf_set_dim_type {
	/* IPv4/IPv6 address of the set's family (4 or 16 bytes). May be
	 * the interval dimension (prefixes: ipset's "net", nft's
	 * `flags interval` on ipv4_addr/ipv6_addr). */
	BF_SET_DIM_ADDR = 0,
	/* L4 protocol and port, 4 bytes {proto, 0, port (be16)}: ipset's
	 * "port" dimension in hash:*port* types. The packet's port is taken
	 * as ip_set_get_ip4_port() does: TCP/UDP/SCTP/UDPLITE ports, ICMP
	 * and ICMPv6 type << 8 | code, 0 for other protocols. */
	BF_SET_DIM_PROTO_PORT,
	/* Bare port, 2 bytes be16 (nft inet_service, ipset bitmap:port):
	 * the port of a TCP/UDP/SCTP/UDPLITE packet. */
	BF_SET_DIM_PORT,
	/* L4 protocol, 1 byte (nft inet_proto). */
	BF_SET_DIM_PROTO,
	/* Interface name, 16 bytes, NUL padded (ipset hash:net,iface: the
	 * input interface for "src", the output one for "dst"). */
	BF_SET_DIM_IFACE,
	/* Packet mark, 4 bytes be32. */
	BF_SET_DIM_MARK,
	/* Ethernet address, 6 bytes (ipset hash:mac). */
	BF_SET_DIM_MAC,
	BF_SET_DIM_TYPE_COUNT,
};

struct bf_set_dim {
	enum bf_set_dim_type type;
	uint8_t width; /* bytes in the key, from type and family */
	uint8_t off; /* offset in bf_set_elem.key */
};

/* Where a set came from: which syntax prints it back. */
enum bf_set_origin {
	BF_SET_ORIGIN_IPSET = 0,
	BF_SET_ORIGIN_NFT,
};

enum bf_set_flags {
	BF_SET_F_TIMEOUT = 1 << 0, /* elements may expire (ipset timeout) */
	BF_SET_F_COUNTERS = 1 << 1, /* per-element packet/byte counters */
	/* nomatch elements exist in this type (ipset IPSET_TYPE_NOMATCH:
	 * the hash:*net* types); --return-nomatch only acts then. */
	BF_SET_F_NOMATCH_TYPE = 1 << 2,
};

struct bf_set_elem {
	uint8_t key[BF_SET_KEY_MAX];
	uint8_t hi[16]; /* interval dimension: high end, inclusive */
	bool nomatch;
	uint32_t timeout; /* seconds (ipset "timeout N"); 0: none */
	uint64_t packets, bytes; /* BF_SET_F_COUNTERS */
	int line; /* source line, 0 if unknown */
	/* nft verdict map with chains (bf_set.nft_jmap): the element's
	 * verdict, BF_SET_V_<KIND> << 24 | index of the chain in the
	 * set's chain list (jump, goto); 0: none */
	uint32_t data;
};

/* bf_set_elem.data kinds (bits 24-31) of an nft_jmap set */
enum bf_set_vkind {
	BF_SET_V_ACCEPT = 1,
	BF_SET_V_DROP,
	BF_SET_V_CONTINUE,
	BF_SET_V_RETURN,
	BF_SET_V_JUMP,
	BF_SET_V_GOTO,
	BF_SET_V_COUNT,
};
#define BF_SET_V_DATA(kind, idx) ((uint32_t)(kind) << 24 | (uint32_t)(idx))

struct bf_set {
	char name[BF_SET_NAME_LEN];
	enum bf_set_origin origin;
	enum bf_family family;
	uint8_t n_dims;
	struct bf_set_dim dims[BF_SET_DIM_MAX];
	int interval_dim; /* index in dims, -1: exact keys only */
	uint8_t key_size; /* sum of the dimension widths */
	uint32_t flags; /* enum bf_set_flags */
	uint32_t timeout; /* default timeout of new elements, seconds */
	/* ipset: type name and the creation options as written after it
	 * ("family inet hashsize 1024 ..."), printed back verbatim */
	char type[BF_SET_TYPE_LEN];
	char create_opts[1024];
	uint32_t maxelem; /* most elements (map size); 0: 65536 */
	/* hash:ip / bitmap:ip netmask below the host length: elements are
	 * /netmask blocks (interval_dim 0) */
	uint8_t netmask;
	/* bitmap:ip / bitmap:port: the range elements must lie in */
	uint8_t range_lo[16], range_hi[16];
	/* list:set: members are the names of other sets, one per element
	 * (NUL-terminated in key); the set has no map of its own and its
	 * members are looked up in order (list_set_ktest()). */
	bool is_list;
	/* A set lowered from an nft named set with a proto:port dimension
	 * (ipset create option `nft-proto tcp|udp`, bpfilter's own): the
	 * protocol of its elements, so that `bpfilter set` also takes nft
	 * element syntax (`192.0.2.1 . 80`). 0: none. */
	uint8_t nft_proto;
	/* Lowered from an nft named set (create option `nft`, implied by
	 * nft-proto): a port is read as nft's payload load reads it, the
	 * field's two bytes at nft's transport offset (pctx.nft_sport /
	 * nft_dport: also in a non-first fragment), not from the whole
	 * header as ipset's ip_set_get_ip4_port() needs it; the key's
	 * protocol is nft_proto (the rule's l4proto gate checked it). */
	bool nft;
	/* Lowered from an nft verdict map (create option `nft-vmap`, on
	 * hash:net and hash:net,port): plain elements are `accept`,
	 * nomatch elements `drop`; two lookups (the second with
	 * --return-nomatch) give the map's verdict, and one map update
	 * changes an element's verdict atomically. */
	bool nft_vmap;
	/* An nft verdict map whose values include jump, goto, return or
	 * continue (create option `nft-chains C0,C1,...`, with nft_vmap):
	 * each element's verdict is in bf_set_elem.data, chains by their
	 * index in that list (bf_set_jmap_chain()); the rules dispatch on
	 * it (doc/front-nft.md, "Verdict maps with chains"). */
	bool nft_jmap;
	struct bf_set_elem *elems;
	size_t n_elems, cap_elems;
	/* Elements are given (from a file); false: the set's elements live
	 * in the map in force and are kept (definition only). */
	bool has_elems;
	const char *file; /* borrowed from the ruleset's file name table */
	int line;
};

/* Index of nft chain `name` in the chain list of nft_jmap set `set`
 * (its create option nft-chains), or -1. The name of index i into buf
 * (false: no such index). */
int bf_set_jmap_chain(const struct bf_set *set, const char *name);
bool bf_set_jmap_chain_name(const struct bf_set *set, uint32_t idx, char *buf,
			    size_t size);

/* Width in bytes of a dimension type in a family. */
uint8_t bf_set_dim_width(enum bf_set_dim_type type, enum bf_family family);
/* Short name of a dimension type ("addr", "proto_port", ...). */
const char *bf_set_dim_name(enum bf_set_dim_type type);

/* Does the set answer for packets of any family (no address dimension:
 * ipset's bitmap:port and list:set have family NFPROTO_UNSPEC, which
 * ip_set_test() and libxt_set accept with either family)? */
bool bf_set_any_family(const struct bf_set *set);

/* Fill dims[].width/off, key_size; -E2BIG if the key is too long,
 * -EINVAL if more than one dimension is the interval one. */
int bf_set_layout(struct bf_set *set);

/* Add a set (copied, elements included: the ruleset takes ownership of
 * set->elems) to rs; -EEXIST if the name is taken. */
int bf_ruleset_add_set(struct bf_ruleset *rs, struct bf_set *set);
/* Find a set by name; NULL if absent. */
struct bf_set *bf_ruleset_set(const struct bf_ruleset *rs, const char *name);
/* Index of a set in rs->sets, or -1. */
long bf_ruleset_set_index(const struct bf_ruleset *rs, const char *name);

/* Append an element (copied). Duplicates are not looked for: when the
 * map is filled, a later element with the same key replaces the earlier
 * one (as `ipset add -exist` does). */
int bf_set_add_elem(struct bf_set *set, const struct bf_set_elem *e);
/* Release the elements of a set. */
void bf_set_release(struct bf_set *set);

/* For an interval dimension of `width` bytes: is [lo, hi] one prefix?
 * If so, *plen receives its length in bits. */
bool bf_set_range_prefix(const uint8_t *lo, const uint8_t *hi, int width,
			 int *plen);

/* ---- sets in force (src/lib/set/slot.c) ---- */

struct bf_slot_sel;

enum bf_set_op {
	BF_SET_OP_ADD = 0,
	BF_SET_OP_DEL,
	BF_SET_OP_LIST,
	BF_SET_OP_TEST, /* 0: in the set, 1: not (as `ipset test`) */
	BF_SET_OP_FLUSH, /* every element removed */
};

/* `bpfilter set add|delete|list|test|flush NAME [ELEMENT [OPTIONS]]...`:
 * change or print the elements of set NAME in force in the selected slots
 * (every slot holding a set of that name when sel is NULL), with map
 * updates only: no program is reloaded, each element is one atomic map
 * update (a range that is no prefix: one per prefix). argv holds
 * elements, each followed by its options, in the syntax of the set's
 * origin. list prints one element a line on out; test answers for one
 * element as the kernel would for a packet with those fields (the most
 * specific element containing it, nomatch and timeouts included):
 * 0 and "E is in set NAME." on out, or 1 and "E is NOT in set NAME.";
 * flush removes every element (one map delete each). -ENOENT: no such
 * set in force. */
int bf_set_command(enum bf_set_op op, const struct bf_slot_sel *sel,
		   const char *name, int argc, char **argv, FILE *out);

/* Element syntax of a front end other than ipset (nft), for
 * bf_set_command(): parse argv (an element and its options) into *e, or
 * print e without newline. */
typedef int (*bf_set_elem_parse_fn)(const struct bf_set *set, int argc,
				    char **argv, struct bf_set_elem *e);
typedef void (*bf_set_elem_print_fn)(FILE *out, const struct bf_set *set,
				     const struct bf_set_elem *e);
void bf_set_register_syntax(enum bf_set_origin origin,
			    bf_set_elem_parse_fn parse,
			    bf_set_elem_print_fn print);

/* ---- sets outside the kernel ---- */

struct bf_eval_pkt;

/* What ip_set_test() (and xt_set before its `!`) answers for the parsed
 * packet `p` of `rule`, from the elements of the sets of rs: 1 in the set,
 * 0 not, -EOPNOTSUPP when a set's elements are not known (a definition
 * only), -ENOENT without such a set. For the IR interpreter (eval.h). */
int bf_set_eval(const struct bf_ruleset *rs, const struct bf_rule *rule,
		const struct bf_match *m, const struct bf_eval_pkt *p);

/* Read the sets of an `ipset save` file (path, "-" for stdin, "kernel"
 * for `ipset save` of this network namespace) into rs. */
int bf_sets_load(struct bf_ruleset *rs, const char *path);

#endif /* BPFILTER_SET_H */
