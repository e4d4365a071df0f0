/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nftables front end: the `nft -f` file syntax (which is also the syntax of
 * `nft list ruleset`), parsed into an nft AST of our own, printed back in
 * nft's canonical listing form, and lowered to the bpfilter IR (ir.h) where
 * the IR can express it.
 *
 * Pipeline: tokens (with `define` and `include` resolved) -> AST with raw
 * right-hand sides -> evaluation (each constant typed by the expression it
 * is compared with, checked, ranges/prefixes/sets built) -> AST.
 *
 * Errors are reported through bf_log_at() with "file:line:col: ..." and
 * the parse functions report every error of the input before returning
 * -EINVAL (or -EOPNOTSUPP when the only errors are constructs we do not
 * support, named in the message as "unsupported: ..."); on error no AST is
 * returned.
 *
 * Ownership: bf_nft owns its tables, tables their chains and sets, chains
 * their rules, rules their statements, statements their expressions. Free
 * with bf_nft_free().
 */
#ifndef BPFILTER_FRONT_NFT_H
#define BPFILTER_FRONT_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/ir.h"

enum bf_nft_family {
	BF_NFT_FAMILY_IP = 0,
	BF_NFT_FAMILY_IP6,
	BF_NFT_FAMILY_INET,
	BF_NFT_FAMILY_NETDEV,
	BF_NFT_FAMILY_ARP,
	BF_NFT_FAMILY_BRIDGE,
	BF_NFT_FAMILY_COUNT,
};

/* Data types of constants: they decide how a word is parsed and how a
 * value is printed. */
enum bf_nft_dtype {
	BF_NFT_DT_INVALID = 0,
	BF_NFT_DT_INTEGER, /* decimal */
	BF_NFT_DT_HEX, /* printed 0x%x (frag-off, raw fields) */
	BF_NFT_DT_MARK, /* printed 0x%08x */
	BF_NFT_DT_IPV4,
	BF_NFT_DT_IPV6,
	BF_NFT_DT_ETHER,
	BF_NFT_DT_SERVICE, /* port */
	BF_NFT_DT_PROTO, /* inet_proto */
	BF_NFT_DT_IFNAME, /* string */
	BF_NFT_DT_IFINDEX, /* iif/oif: written as a name */
	BF_NFT_DT_CTSTATE, /* bitmask */
	BF_NFT_DT_CTSTATUS, /* bitmask */
	BF_NFT_DT_CTDIR,
	BF_NFT_DT_PKTTYPE,
	BF_NFT_DT_NFPROTO,
	BF_NFT_DT_TCPFLAG, /* bitmask */
	BF_NFT_DT_ICMP_TYPE,
	BF_NFT_DT_ICMP_CODE,
	BF_NFT_DT_ICMP6_TYPE,
	BF_NFT_DT_ICMP6_CODE,
	BF_NFT_DT_ETHERTYPE,
	BF_NFT_DT_DSCP,
	BF_NFT_DT_ECN,
	BF_NFT_DT_VERDICT,
	BF_NFT_DT_IFTYPE, /* iface_type: ARPHRD_* (meta iiftype/oiftype) */
	BF_NFT_DT_FIBTYPE, /* fib_addrtype: RTN_* (fib daddr type) */
	BF_NFT_DT_COUNT,
};

enum bf_nft_base {
	BF_NFT_BASE_NONE = 0, /* meta, ct */
	BF_NFT_BASE_LL, /* link layer header */
	BF_NFT_BASE_NH, /* network header */
	BF_NFT_BASE_TH, /* transport header */
};

/* One field nft can load: a payload field, a meta key or a ct key. */
struct bf_nft_field {
	const char *proto; /* "ip", "tcp", ..., "meta", "ct" */
	const char *name;
	enum bf_nft_dtype dtype;
	enum bf_nft_base base;
	uint16_t off_bits, len_bits; /* payload; len_bits also for meta/ct */
	/* Transport protocol the field needs (tcp, udp, icmp...), 0 for
	 * none (th works on tcp, udp, udplite, sctp, dccp). */
	uint8_t l4proto;
	/* Network family the field needs (ip, ip6): BF_NFT_FAMILY_IP/_IP6,
	 * or -1. */
	int8_t nfamily;
	int id; /* meta/ct key id (enum bf_nft_meta_key / bf_nft_ct_key) */
};

enum bf_nft_meta_key {
	BF_NFT_META_LENGTH = 1,
	BF_NFT_META_PROTOCOL,
	BF_NFT_META_NFPROTO,
	BF_NFT_META_L4PROTO,
	BF_NFT_META_MARK,
	BF_NFT_META_IIF,
	BF_NFT_META_OIF,
	BF_NFT_META_IIFNAME,
	BF_NFT_META_OIFNAME,
	BF_NFT_META_PKTTYPE,
	BF_NFT_META_IIFTYPE,
	BF_NFT_META_OIFTYPE,
};

enum bf_nft_ct_key {
	BF_NFT_CT_STATE = 1,
	BF_NFT_CT_STATUS,
	BF_NFT_CT_MARK,
	BF_NFT_CT_DIRECTION,
	BF_NFT_CT_HELPER, /* the master's helper name (BF_MATCH_HELPER) */
	/* the tuples (nft_ct_get_eval(): NFT_CT_SRC/DST/PROTO_SRC/PROTO_DST
	 * of ct->tuplehash[dir], the direction in the field's name,
	 * "original ..." or "reply ..."), the protocols (NFT_CT_PROTOCOL,
	 * NFT_CT_L3PROTOCOL): BF_MATCH_CONNTRACK */
	BF_NFT_CT_SADDR,
	BF_NFT_CT_DADDR,
	BF_NFT_CT_PROTO_SRC,
	BF_NFT_CT_PROTO_DST,
	BF_NFT_CT_PROTOCOL,
	BF_NFT_CT_L3PROTO,
};

enum bf_nft_expr_kind {
	BF_NFT_E_RAW = 0, /* unevaluated word: text */
	BF_NFT_E_VALUE, /* typed constant: num / bytes / str */
	BF_NFT_E_RANGE, /* sub[0] - sub[1] */
	BF_NFT_E_PREFIX, /* sub[0] / plen */
	BF_NFT_E_SET, /* { sub... } */
	BF_NFT_E_SETREF, /* @text */
	BF_NFT_E_CONCAT, /* sub[0] . sub[1] ... */
	BF_NFT_E_MAPPING, /* sub[0] : sub[1] */
	BF_NFT_E_BINOP, /* sub[0] op sub[1] */
	BF_NFT_E_LIST, /* a,b,c or a|b of a bitmask type (OR of values) */
	BF_NFT_E_FIELD, /* field */
	BF_NFT_E_VERDICT, /* verdict (+ chain in text) */
	BF_NFT_E_WILDCARD, /* * */
	BF_NFT_E_COUNT,
};

enum bf_nft_binop {
	BF_NFT_BINOP_AND = 0,
	BF_NFT_BINOP_OR,
	BF_NFT_BINOP_XOR,
	BF_NFT_BINOP_LSHIFT,
	BF_NFT_BINOP_RSHIFT,
};

enum bf_nft_verdict {
	BF_NFT_V_ACCEPT = 0,
	BF_NFT_V_DROP,
	BF_NFT_V_CONTINUE,
	BF_NFT_V_RETURN,
	BF_NFT_V_JUMP,
	BF_NFT_V_GOTO,
};

struct bf_nft_loc {
	const char *file; /* owned by the bf_nft's file table */
	int line, col;
};

struct bf_nft_expr {
	enum bf_nft_expr_kind kind;
	struct bf_nft_loc loc;
	enum bf_nft_dtype dtype; /* after evaluation */
	unsigned int len_bits; /* width of a value (for concatenations) */
	struct bf_nft_expr **sub;
	size_t n_sub;
	int op; /* BINOP: enum bf_nft_binop; VERDICT: enum bf_nft_verdict */
	uint8_t plen; /* PREFIX */
	const struct bf_nft_field *field; /* FIELD */
	uint64_t num; /* VALUE of an integer type */
	uint8_t bytes[16]; /* VALUE of an address type (network order) */
	char *text; /* RAW word, VALUE string, SETREF name, VERDICT chain */
	bool quoted; /* RAW: was a "string" */
};

enum bf_nft_relop {
	BF_NFT_OP_IMPLICIT = 0, /* no operator written */
	BF_NFT_OP_EQ,
	BF_NFT_OP_NE,
	BF_NFT_OP_LT,
	BF_NFT_OP_GT,
	BF_NFT_OP_LE,
	BF_NFT_OP_GE,
	BF_NFT_OP_NEG, /* `!` before a bitmask: no bit set */
	BF_NFT_OP_VMAP, /* lhs vmap { ... } / @map */
};

enum bf_nft_stmt_kind {
	BF_NFT_S_MATCH = 0,
	BF_NFT_S_COUNTER,
	BF_NFT_S_LIMIT,
	BF_NFT_S_LOG,
	BF_NFT_S_REJECT,
	BF_NFT_S_VERDICT,
	BF_NFT_S_SET, /* lhs set value (meta mark set ..., ct mark set ...) */
	/* bpfilter's extension (nft has none): user BPF code, `bpf [!]
	 * object "F" [section "S"]`, `bpf bytecode "..."`, `bpf pinned "P"`
	 * as a match, `bpf verdict object "F" [section "S"]` as the verdict
	 * (doc/front-nft.md, doc/user-matches.md) */
	BF_NFT_S_BPF,
	/* A rule nft accepts but this front end does not model (nat
	 * statements, ...), kept as its nft text (u.kernel) for the chains
	 * that go to the kernel's own nftables (kernpart.c); refused
	 * anywhere else with the reasons the parser found (additive) */
	BF_NFT_S_KERNEL,
	BF_NFT_S_COUNT,
};

enum bf_nft_reject_type {
	BF_NFT_REJECT_DEFAULT = 0, /* no `with` */
	BF_NFT_REJECT_ICMP,
	BF_NFT_REJECT_ICMP6,
	BF_NFT_REJECT_ICMPX,
	BF_NFT_REJECT_TCP_RESET,
};

/* NF_LOG_* flags as nft's `log flags` set them */
enum bf_nft_log_flags {
	BF_NFT_LOG_TCPSEQ = 0x01,
	BF_NFT_LOG_TCPOPT = 0x02,
	BF_NFT_LOG_IPOPT = 0x04,
	BF_NFT_LOG_UID = 0x08,
	BF_NFT_LOG_MACDECODE = 0x20,
	BF_NFT_LOG_ALL = 0x2f,
};

struct bf_nft_stmt {
	enum bf_nft_stmt_kind kind;
	struct bf_nft_loc loc;
	union {
		struct {
			enum bf_nft_relop op;
			struct bf_nft_expr *lhs, *rhs;
			/* `a != x b != y` that nft 1.0.6 merges into one
			 * comparison (eval.c merge_neq()): lhs `a . b`, rhs
			 * `{ x . y }`, printed back as nft lists it */
			bool merged_neq;
		} match;
		struct {
			uint64_t packets, bytes;
		} counter;
		struct {
			uint64_t rate; /* packets or bytes per unit */
			uint64_t unit; /* seconds */
			uint64_t burst; /* packets or bytes; 0: default */
			bool bytes, over;
		} limit;
		struct {
			char *prefix; /* NULL: none */
			int level; /* 0..7, 8 = audit; -1: not given (warn) */
			int group; /* -1: not given */
			uint32_t snaplen, qthreshold;
			uint32_t flags; /* enum bf_nft_log_flags */
		} log;
		struct {
			enum bf_nft_reject_type type;
			uint8_t code;
		} reject;
		struct {
			enum bf_nft_verdict verdict;
			char *chain;
		} verdict;
		struct {
			struct bf_nft_expr *lhs, *value;
		} set;
		struct {
			uint32_t ref; /* bf_userbpf_get() (userbpf.h) */
			bool neg; /* `bpf ! object ...` */
			bool verdict; /* `bpf verdict object ...` */
		} bpf;
		struct {
			char *text; /* the whole rule, as written */
			/* why it is not modelled: "LINE:COL:MESSAGE\n"... */
			char *why;
		} kernel;
	} u;
};

struct bf_nft_rule {
	struct bf_nft_stmt *stmts;
	size_t n_stmts;
	char *comment;
	struct bf_nft_loc loc;
};

enum bf_nft_hook {
	BF_NFT_HOOK_NONE = 0, /* regular chain */
	BF_NFT_HOOK_PREROUTING,
	BF_NFT_HOOK_INPUT,
	BF_NFT_HOOK_FORWARD,
	BF_NFT_HOOK_OUTPUT,
	BF_NFT_HOOK_POSTROUTING,
	BF_NFT_HOOK_INGRESS,
	BF_NFT_HOOK_EGRESS,
	BF_NFT_HOOK_COUNT,
};

struct bf_nft_chain {
	char *name;
	struct bf_nft_loc loc;
	enum bf_nft_hook hook; /* NONE: regular chain */
	char *type; /* "filter", "nat", "route" */
	int priority;
	char *device; /* netdev */
	/* netdev `devices = { a, b }`: every name (device is the first) */
	char **devices;
	size_t n_devices;
	/* where the `device` / `devices` clause is (file 0: none given) */
	struct bf_nft_loc dev_loc;
	enum bf_nft_verdict policy; /* ACCEPT or DROP */
	bool has_policy;
	char *comment;
	struct bf_nft_rule *rules;
	size_t n_rules;
	/* anonymous chain (`jump { ... }`, nft's binding chain): a regular
	 * chain named __chainN, printed inline at the one verdict naming it */
	bool anon;
};

enum bf_nft_set_flags {
	BF_NFT_SET_CONSTANT = 1 << 0,
	BF_NFT_SET_INTERVAL = 1 << 1,
	BF_NFT_SET_TIMEOUT = 1 << 2,
	BF_NFT_SET_DYNAMIC = 1 << 3,
};

#define BF_NFT_CONCAT_MAX 8
struct bf_nft_set {
	char *name;
	struct bf_nft_loc loc;
	bool is_map;
	/* key type: one dtype per concatenated component */
	enum bf_nft_dtype key[BF_NFT_CONCAT_MAX];
	unsigned int key_len_bits[BF_NFT_CONCAT_MAX];
	size_t n_key;
	/* typeof: the field expressions (NULL when `type` was used) */
	struct bf_nft_expr *key_typeof;
	enum bf_nft_dtype data; /* maps */
	unsigned int flags; /* enum bf_nft_set_flags */
	uint32_t size; /* 0: not given */
	bool auto_merge;
	char *policy;
	char *comment;
	/* Elements: an E_SET expression (mappings for maps), NULL if none. */
	struct bf_nft_expr *elems;
};

/* A conntrack object (`ct helper|timeout|expectation NAME { ... }`) kept
 * as its text for the kernel's nftables (objects.c, kernpart.c). */
struct bf_nft_kobj {
	char *text; /* as written, its block included */
	struct bf_nft_loc loc;
};

struct bf_nft_table {
	enum bf_nft_family family;
	char *name;
	struct bf_nft_loc loc;
	char *comment;
	struct bf_nft_chain *chains;
	size_t n_chains;
	struct bf_nft_set *sets;
	size_t n_sets;
	struct bf_nft_kobj *kobjs; /* ip, ip6, inet tables only */
	size_t n_kobjs;
};

struct bf_nft {
	struct bf_nft_table *tables;
	size_t n_tables;
	bool flush; /* input started with (or contained) `flush ruleset` */
	char **files; /* file name table */
	size_t n_files;
};

/* Parse `nft -f` input. `filename` is used in messages and to resolve
 * relative `include`s (relative to the including file's directory, then
 * to the current directory). *out receives the AST on success. */
int bf_nft_parse_file(const char *filename, struct bf_nft **out);
int bf_nft_parse_str(const char *text, const char *filename,
		     struct bf_nft **out);
void bf_nft_free(struct bf_nft **nft);

struct bf_nft_table *bf_nft_table_find(const struct bf_nft *nft,
				       enum bf_nft_family family,
				       const char *name);
struct bf_nft_chain *bf_nft_chain_find(const struct bf_nft_table *t,
				       const char *name);
struct bf_nft_set *bf_nft_set_find(const struct bf_nft_table *t,
				   const char *name);

/* Print in `nft list ruleset` form (tabs, one table block each). */
int bf_nft_print(FILE *out, const struct bf_nft *nft);
/* Print one rule's statements (no indentation, no newline). */
int bf_nft_print_rule(FILE *out, const struct bf_nft_rule *rule);

const char *bf_nft_family_name(enum bf_nft_family family);
const char *bf_nft_hook_name(enum bf_nft_hook hook);

/* Lower the AST into rs (which must be fresh from bf_ruleset_new()).
 * Everything the IR cannot express is refused, each construct reported
 * with its location and reason ("unsupported: ..."); -EOPNOTSUPP then.
 * See doc/front-nft.md for the mapping. */
int bf_nft_lower(const struct bf_nft *nft, struct bf_ruleset *rs);
/* The same, but the named sets that the ipset model gives exactly
 * (ipv4_addr / ipv6_addr, with or without `flags interval`, used as
 * `ip|ip6 saddr|daddr [!=] @NAME`) become sets of rs (origin IPSET,
 * hash:ip / hash:net) and BF_MATCH_SET matches instead of being inlined,
 * so that `bpfilter set add|delete` changes them in place (setmap.c,
 * doc/front-nft.md). rs->sets then must reach apply as `ipset save` text
 * (bf_apply_opts.ipset). */
int bf_nft_lower_sets(const struct bf_nft *nft, struct bf_ruleset *rs);

/* Where a ruleset is installed (src/lib/front/nft/targets.c): one target
 * per nf priority of the ip / ip6 / inet base chains, one per netdev
 * device. The kinds equal enum bf_slot_kind (bpfilter.h). */
enum bf_nft_target_kind {
	BF_NFT_TARGET_NF = 0,
	BF_NFT_TARGET_TC,
	BF_NFT_TARGET_XDP,
};

struct bf_nft_target {
	enum bf_nft_target_kind kind;
	char ifname[BF_IFNAMSIZ]; /* tc, xdp: the netdev device */
	int priority; /* nf: priority of the target's base chains */
	/* nf at a priority other than 0: the (family, hook) pairs that have
	 * a base chain, bit BF_NF_POINT(family, hook); 0: every pair (the
	 * slot at 0, as for iptables input). bf_apply_opts.nf_points. */
	uint32_t points;
	/* tc, xdp: the `device` clause of the first chain naming ifname */
	struct bf_nft_loc dev_loc;
	/* Shallow view of the input holding this target's tables, base
	 * chains and the regular chains they may reach; borrows from the
	 * input, which must outlive it. */
	struct bf_nft view;
};

/* Cut nft into targets (*out, *n; free with bf_nft_targets_free()): the
 * ip / ip6 / inet base chains by priority (sorted; without netdev tables
 * there is always one, priority 0 when no base chain names one), then
 * netdev base chains by device: tc, or xdp for ingress when `xdp`
 * (egress is then refused). Errors (netdev chain without device) with
 * their location: -EINVAL / -EOPNOTSUPP. */
int bf_nft_targets(const struct bf_nft *nft, bool xdp,
		   struct bf_nft_target **out, size_t *n);
void bf_nft_targets_free(struct bf_nft_target **targets, size_t n);
/* Every tc / xdp target's device exists in this network namespace; each
 * one that does not is reported at its `device` clause
 * ("file:line:col: ..."): -ENODEV then (src/lib/front/nft/place.c). */
int bf_nft_targets_devices(const struct bf_nft_target *targets, size_t n);
/* netdev base chains of nft without a device (what `nft -j list ruleset`
 * of nft 1.0.6 gives) take the devices of the chain of the same table and
 * name in `from` (the text listing `nft list ruleset`, which has them).
 * Returns how many chains are still without one, or -ENOMEM. */
int bf_nft_fill_devices(struct bf_nft *nft, const struct bf_nft *from);
/* Does nft have a netdev base chain without a device? */
bool bf_nft_lacks_devices(const struct bf_nft *nft);
/* Remove bpfilter's own conntrack tables (ip / ip6 / inet bpfilter_ct,
 * src/lib/load/ct.c) from a listing read as text, as the JSON reader
 * skips them. */
void bf_nft_drop_own_tables(struct bf_nft *nft);
/* bf_nft_lower() / bf_nft_lower_sets() (map_sets) of one target's view;
 * a tc or xdp target's netdev chains go to INPUT (ingress) and OUTPUT
 * (egress) of both families, after the netdev checks (doc/front-nft.md). */
int bf_nft_lower_target(const struct bf_nft_target *target,
			struct bf_ruleset *rs, bool map_sets);

/* The checks `bpfilter apply` runs for a slot kind (enum bf_slot_kind),
 * on the IR bf_nft_lower() made: refusals are reported with the nft
 * file:line:col of the rule. 0 or -errno. */
int bf_nft_check(const struct bf_ruleset *rs, int slot_kind,
		 const char *ifname);

/* Print one family's filter table of the IR in nft syntax, as `table ip
 * TABLE { ... }` (ip6 for IPv6): built-in chains as base chains at their
 * hooks (priority filter), user chains as regular chains, every rule with
 * a counter (with its values when `counters`). A match or target without
 * an nft form is printed as a comment, reported, and the function returns
 * -EOPNOTSUPP after printing the rest. */
int bf_nft_print_ir(FILE *out, const struct bf_ruleset *rs,
		    enum bf_family family, const char *table, bool counters);
/* Where the printed table's base chains hook (save of a slot other than
 * "nf"): device set, a netdev table whose INPUT hooks at ingress of the
 * device and OUTPUT at egress (FORWARD and empty accepting built-in
 * chains are left out; each chain first accepts frames that are not of
 * `family`, which the slot's programs pass); else priority for the base
 * chains (0: `priority filter`). */
struct bf_nft_place {
	const char *device;
	int priority;
	/* nf-m10...: the slot's points (bit family * BF_HOOK_COUNT + hook,
	 * BF_NF_POINT() of bpfilter.h); only their base chains are
	 * printed. 0: every one. */
	uint32_t points;
};
int bf_nft_print_ir_at(FILE *out, const struct bf_ruleset *rs,
		       enum bf_family family, const char *table, bool counters,
		       const struct bf_nft_place *place);

/* Chains of type nat, route (any type but filter) of ip / ip6 / inet
 * tables, with the regular chains and sets only they use, go to the
 * kernel's own nftables, as a table of their own named
 * BF_NFT_KERNEL_PREFIX + the table's name (kernpart.c, doc/front-nft.md
 * "Chains for the kernel"); bf_nft_targets() leaves them out. */
#define BF_NFT_KERNEL_PREFIX "bpfilter_kernel_"
/* Does nft have such chains? */
bool bf_nft_has_kernel_part(const struct bf_nft *nft);
/* The nft -f text of those tables (*text NULL when there are none), after
 * the checks that the split is exact (a set both parts use and `bpfilter
 * set` may change, a kernel chain sharing a hook and priority with a
 * filter chain: refused with the location). 0, -EOPNOTSUPP, -ENOMEM. */
int bf_nft_kernel_text(const struct bf_nft *nft, char **text);

/* Parse the JSON of `nft -j list ruleset` (libnftables-json) into an
 * AST: each object becomes the nft command it stands for, parsed by the
 * text parser (so errors point into that text, one command per line; see
 * bf_nft_json_to_text()). Objects and expressions outside the supported
 * subset are reported ("nft JSON: unsupported: ...", with the table, chain
 * and rule handle) and make it return -EOPNOTSUPP. bpfilter's own table
 * inet bpfilter_ct is skipped. */
int bf_nft_parse_json(const char *json, const char *filename,
		      struct bf_nft **out);
/* The nft commands (malloc'd text) the JSON stands for. */
int bf_nft_json_to_text(const char *json, char **text);

#endif /* BPFILTER_FRONT_NFT_H */
