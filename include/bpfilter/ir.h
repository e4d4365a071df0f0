/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bpfilter intermediate representation.
 *
 * The IR is independent of any front end: a ruleset holds chains, a chain
 * holds rules, a rule holds an ordered list of field-level matches and one
 * verdict. Front ends (iptables, nft) build it; checks validate it; the code
 * generator compiles it; printers turn it back into text.
 *
 * Contract shared by every stage:
 *  - Matches of a rule are evaluated in list order, and the first failing
 *    match ends the rule. Front ends order them as the kernel evaluates them
 *    (for iptables: addresses, interfaces, protocol, fragment flag, then the
 *    `-m` modules in command-line order), because a match may "hotdrop" the
 *    packet (drop it at once) and that depends on what was tested before.
 *  - A rule belongs to exactly one family (IPv4 or IPv6). One ruleset may
 *    hold rules of both families; a chain may hold both.
 *  - Integers in matches are in host byte order; addresses are in network
 *    byte order (as on the wire), IPv4 in the first 4 bytes of the 16.
 *  - Every match and rule keeps the source location it came from, so that
 *    checks and code generation can report `file:line`.
 *
 * Ownership: bf_ruleset owns its chains, chains own their rules, rules own
 * their matches. Free functions take `T **`, accept NULL, and set it to NULL.
 * Errors: functions return 0 or -errno; constructors return NULL with errno.
 */
#ifndef BPFILTER_IR_H
#define BPFILTER_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BF_IFNAMSIZ 16
#define BF_CHAIN_NAME_MAX 29 /* iptables' XT_EXTENSION_MAXNAMELEN - 1 */
#define BF_MULTIPORT_MAX 15  /* XT_MULTI_PORTS */
#define BF_COMMENT_MAX 256   /* XT_MAX_COMMENT_LEN */

enum bf_family {
	BF_FAMILY_INET4 = 0,
	BF_FAMILY_INET6,
	BF_FAMILY_COUNT,
};

/* The three filter-table hooks. Order is part of the ABI of pinned state. */
enum bf_hook {
	BF_HOOK_INPUT = 0,
	BF_HOOK_FORWARD,
	BF_HOOK_OUTPUT,
	BF_HOOK_COUNT,
};

enum bf_verdict_kind {
	BF_VERDICT_CONTINUE = 0, /* no target: count and go on with next rule */
	BF_VERDICT_ACCEPT,
	BF_VERDICT_DROP,
	BF_VERDICT_RETURN,
	BF_VERDICT_JUMP, /* -j CHAIN: call, come back on RETURN/fall-through */
	BF_VERDICT_GOTO, /* -g CHAIN: RETURN from CHAIN returns to our caller */
	BF_VERDICT_COUNT,
};

/* Where a match came from, so a printer can group it back into the
 * front end's syntax (an iptables `-m tcp` instance, for example).
 * `module` is a front-end-defined id (0 = built-in rule field such as -s),
 * `instance` numbers the module instances of one rule from 0. */
struct bf_origin {
	uint16_t module;
	uint16_t instance;
};

enum bf_match_type {
	/* L3 protocol field (IPv4 protocol / IPv6 upper-layer protocol found
	 * by walking extension headers as ipv6_find_hdr() does). For IPv6,
	 * a header walk error hotdrops, as ip6_packet_match() does.
	 * u.proto; proto 0 means "all" (only meaningful for IPv6, where it
	 * still triggers the header walk). */
	BF_MATCH_L4PROTO = 0,
	BF_MATCH_SADDR, /* u.addr */
	BF_MATCH_DADDR, /* u.addr */
	BF_MATCH_IIFNAME, /* u.iface */
	BF_MATCH_OIFNAME, /* u.iface */
	/* IPv4 only: packet is a non-first fragment (iptables -f). */
	BF_MATCH_FRAG,
	/* Transport header presence, as each xt match checks it before
	 * reading: fails on non-first fragments, hotdrops when fewer than
	 * u.l4hdr.min_len bytes follow the transport header offset, and
	 * (tcp_mt() only, IPv4 only) hotdrops fragments at offset 1.
	 * Emitted once per transport module instance. Never negated. */
	BF_MATCH_L4HDR,
	BF_MATCH_SPORT, /* u.ports: TCP/UDP source port range */
	BF_MATCH_DPORT, /* u.ports */
	BF_MATCH_TCPFLAGS, /* u.tcpflags: (flags & mask) == cmp */
	BF_MATCH_ICMP, /* u.icmp: ICMP (IPv4) or ICMPv6 (IPv6) type/code */
	BF_MATCH_MULTIPORT, /* u.multiport */
	BF_MATCH_SRANGE, /* u.range: source address range, inclusive */
	BF_MATCH_DRANGE, /* u.range */
	BF_MATCH_CTSTATE, /* u.ctstate: conntrack state bit mask */
	BF_MATCH_COMMENT, /* u.comment: matches everything */
	BF_MATCH_COUNT,
};

/* Conntrack state bits, as XT_CONNTRACK_STATE_BIT() computes them. */
enum bf_ctstate {
	BF_CTSTATE_INVALID = 1u << 0,
	BF_CTSTATE_ESTABLISHED = 1u << 1,
	BF_CTSTATE_RELATED = 1u << 2,
	BF_CTSTATE_NEW = 1u << 3,
	BF_CTSTATE_UNTRACKED = 1u << 4,
};

enum bf_multiport_dir {
	BF_MULTIPORT_SRC = 0,
	BF_MULTIPORT_DST,
	BF_MULTIPORT_EITHER,
};

struct bf_match {
	enum bf_match_type type;
	bool neg; /* `!`: result inverted (never for L4HDR, COMMENT) */
	struct bf_origin origin;
	int line; /* source line, 0 if unknown */
	union {
		uint8_t proto;
		struct {
			uint8_t addr[16]; /* already masked */
			uint8_t mask[16];
		} addr;
		struct {
			char name[BF_IFNAMSIZ]; /* as written, '+' kept */
			/* bytes of name compared: strlen+1 for an exact name
			 * (the NUL must match too), strlen-1 for "eth+",
			 * 0 for "+" (matches any interface and none). */
			uint8_t cmp_len;
		} iface;
		struct {
			uint8_t proto; /* IPPROTO_TCP/UDP/ICMP/ICMPV6, ... */
			uint8_t min_len; /* bytes needed after the L4 offset */
			bool hotdrop_frag1; /* tcp_mt(): fragoff == 1 drops */
		} l4hdr;
		struct {
			uint16_t lo, hi;
		} ports;
		struct {
			uint8_t mask, cmp;
		} tcpflags;
		struct {
			/* IPv4: type 0xff matches every type and code, whatever
			 * code_lo/hi (icmp_type_code_match()); IPv6 has no
			 * such wildcard. */
			uint8_t type, code_lo, code_hi;
		} icmp;
		struct {
			enum bf_multiport_dir dir;
			uint8_t count; /* number of entries in ports[] */
			uint16_t ports[BF_MULTIPORT_MAX];
			/* is_range[i]: ports[i]..ports[i+1] is a range, and
			 * entry i+1 is its upper end (xt_multiport v1). */
			bool is_range[BF_MULTIPORT_MAX];
		} multiport;
		struct {
			uint8_t lo[16], hi[16];
		} range;
		struct {
			uint32_t mask; /* enum bf_ctstate bits */
		} ctstate;
		char comment[BF_COMMENT_MAX];
	} u;
};

struct bf_verdict {
	enum bf_verdict_kind kind;
	char chain[BF_CHAIN_NAME_MAX + 1]; /* JUMP / GOTO target */
};

struct bf_counter {
	uint64_t packets;
	uint64_t bytes;
};

struct bf_rule {
	enum bf_family family;
	struct bf_match *matches;
	size_t n_matches;
	struct bf_verdict verdict;
	struct bf_counter counter; /* initial counters ([p:b] / -c), if any */
	const char *file; /* borrowed from the ruleset's file name table */
	int line;
	/* Filled by bf_ruleset_number(): index of this rule's counter. */
	uint32_t counter_idx;
};

/* A chain belongs to one family: iptables and ip6tables have separate
 * filter tables, so "INPUT" of IPv4 and "INPUT" of IPv6 are two chains, and
 * user chains of the same name in both are unrelated. */
struct bf_chain {
	char name[BF_CHAIN_NAME_MAX + 1];
	enum bf_family family;
	bool builtin;
	enum bf_hook hook; /* valid if builtin */
	/* Policy of a built-in chain: ACCEPT or DROP. */
	enum bf_verdict_kind policy;
	struct bf_counter policy_counter;
	/* Filled by bf_ruleset_number(): index of the policy counter. */
	uint32_t policy_counter_idx;
	struct bf_rule *rules;
	size_t n_rules;
	size_t cap_rules;
	int line;
};

/* The filter table of both families. bf_ruleset_new() creates the six
 * built-in chains (INPUT, FORWARD, OUTPUT for IPv4 then IPv6, in that
 * order, policy ACCEPT); bf_ruleset_builtin() finds them. */
struct bf_ruleset {
	struct bf_chain *chains;
	size_t n_chains;
	size_t cap_chains;
	/* Which families' tables the input declared (bit 1 << family). A
	 * family the input does not mention is left unfiltered (no program
	 * is attached for it). */
	unsigned int families;
	/* Total counters after bf_ruleset_number(). */
	uint32_t n_counters;
	char **files; /* file name table, owned */
	size_t n_files;
};

struct bf_ruleset *bf_ruleset_new(void);
void bf_ruleset_free(struct bf_ruleset **rs);

/* Find a chain of a family by name; NULL if absent. */
struct bf_chain *bf_ruleset_chain(const struct bf_ruleset *rs,
				  enum bf_family family, const char *name);
struct bf_chain *bf_ruleset_builtin(const struct bf_ruleset *rs,
				    enum bf_family family, enum bf_hook hook);
/* Add a user chain; -EEXIST if a chain of that name exists in the family,
 * -EINVAL for a bad name. *out (optional) receives the chain. Pointers to
 * chains are invalidated by the next bf_ruleset_add_chain(). */
int bf_ruleset_add_chain(struct bf_ruleset *rs, enum bf_family family,
			 const char *name, int line, struct bf_chain **out);
/* Remove a user chain (it must be empty and unreferenced: -EBUSY). */
int bf_ruleset_del_chain(struct bf_ruleset *rs, enum bf_family family,
			 const char *name);
/* Store a file name, returning a pointer owned by the ruleset. */
const char *bf_ruleset_intern_file(struct bf_ruleset *rs, const char *file);

/* Append or insert (at 0-based pos, pos <= n_rules) a rule; the chain takes
 * ownership of rule->matches (the struct itself is copied). */
int bf_chain_add_rule(struct bf_chain *chain, struct bf_rule *rule);
int bf_chain_insert_rule(struct bf_chain *chain, size_t pos,
			 struct bf_rule *rule);
/* Add one match to a rule (copied). */
int bf_rule_add_match(struct bf_rule *rule, const struct bf_match *m);
void bf_rule_release(struct bf_rule *rule);

/* Assign counter indices: the policy counters of the built-in chains first,
 * then one per rule, in chain order. Deterministic for a given ruleset. */
void bf_ruleset_number(struct bf_ruleset *rs);

const char *bf_hook_name(enum bf_hook hook);
const char *bf_family_name(enum bf_family family);
const char *bf_verdict_name(enum bf_verdict_kind kind);

#endif /* BPFILTER_IR_H */
