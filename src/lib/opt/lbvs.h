/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bit-vector search over the "general" rules of a chain (doc/classification.md,
 * "Bit-vector search").
 *
 * The members of a chain are its rules that
 *  - end the chain when they match (ACCEPT, DROP, RETURN), are of the
 *    chain's family and are not part of a folded group (opt.h);
 *  - test only fields of the packet that no rule can change: source and
 *    destination address under any prefix (negated or not), the protocol
 *    (negated or not), source and destination port ranges (negated or not),
 *    TCP flags (negated or not), comments, and the transport header checks
 *    (BF_MATCH_L4HDR) that follow a `-p` match of the same protocol.
 *
 * For a "plain" packet (bf_lbvs_plain(): its transport header is complete
 * for the members that read it, it is not a non-first fragment, its IPv6
 * extension headers could be walked), no member can hotdrop, and whether a
 * member matches is the AND of one predicate per field. Per field, the
 * values fall into classes with the same set of matching members (for an
 * address: the longest member prefix that contains it; for a port: the
 * interval between two range ends); a class is a bit vector of members, in
 * rule order. The first member a plain packet matches is the lowest set bit
 * of the AND of its classes' vectors. Other packets are classified by the
 * members' own linear code.
 *
 * Members are terminal and their fields immutable, so the index of the first
 * matching member can be computed once, before any member is reached: in
 * the chain, each run of consecutive members then only asks whether that
 * index is one of its own (a member before the run that matched would have
 * ended the chain already).
 */
#ifndef BPFILTER_OPT_LBVS_H
#define BPFILTER_OPT_LBVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "opt/opt.h"

enum bf_lbvs_field {
	BF_LBVS_SADDR = 0,
	BF_LBVS_DADDR,
	BF_LBVS_PROTO,
	BF_LBVS_SPORT,
	BF_LBVS_DPORT,
	BF_LBVS_FLAGS,
	/* netfilter hooks only (bf_lbvs_select_nf()): the interface names,
	 * LPM tries keyed by the 16 name bytes (prefixlen 8 x the bytes
	 * ifname_compare_aligned() compares) */
	BF_LBVS_IIF,
	BF_LBVS_OIF,
	BF_LBVS_FIELD_COUNT,
};

/* At most 16 summary words: 65,536 members per search (a chain with more
 * gets several searches). */
#define BF_LBVS_MAX_MEMBERS 65536u
#define BF_LBVS_SUMMARY_MAX 16u
/* Members of one part of a split search at most. (Parts of at most 4,096
 * members, one summary word, made 100,000 general rules cost more per
 * packet than parts as large as the budget allows: the data words
 * scanned are the same, the parts' lookups more; measured, bench/cls_cost
 * -s c.) */
#define BF_LBVS_PART_MAX BF_LBVS_MAX_MEMBERS

struct bf_lbvs_options {
	bool enabled; /* default true */
	size_t min_members; /* fewer members stay linear (default 32) */
	/* bound on the class vectors of one search (default 128 MiB): a
	 * chain whose members would exceed it gets several searches */
	uint64_t max_bytes;
};

/* Options for this process. Until they are set, the environment variable
 * BPFILTER_LBVS_MIN (if set) replaces min_members. */
void bf_lbvs_set_options(const struct bf_lbvs_options *o);
void bf_lbvs_get_options(struct bf_lbvs_options *o);

/* What the code generator needs of one field's map. */
struct bf_lbvs_fmap {
	bool used; /* some member tests this field */
	bool lpm; /* an LPM trie (addresses) or an array (others) */
	uint32_t key_size; /* LPM: 4 + address bytes; array: 4 */
	uint32_t n; /* entries */
	uint8_t *keys; /* LPM: n keys {u32 prefixlen, address}; array: NULL */
	uint32_t *values; /* class ids (array: by index 0 .. n - 1) */
	/* A part of a split search after bf_lbvs_merge(): its rows in the
	 * chain's array of this field start at key_add; with node (address
	 * fields) the key is not the packet's address but the id of the
	 * chain's longest prefix that contains it (BF_LBVS_NODE_OFF). */
	bool node;
	uint32_t key_add;
	/* Set by bf_lbvs_maps(): the field's map is a flat table of u16
	 * class ids in one map value (cgen/c_lbvs_flat.h). */
	bool flat;
	/* Set by bf_iv_map() (cgen/c_lbvs_iv.h): the layout of an IPv4
	 * interval search with buckets (iv_steps > 0), for its emitter:
	 * iv_n bounds from iv_lo on, padded to iv_rows words, bucket
	 * (address - iv_lo) >> iv_shift (at most iv_nb - 1). */
	uint32_t iv_steps, iv_n, iv_rows, iv_lo, iv_shift, iv_nb;
};

/* Split searches: where the caller of the parts' classifiers leaves the
 * node ids of the packet's addresses (u32 each, saddr then daddr), from
 * the start of pctx.scratch. */
#define BF_LBVS_NODE_OFF 40

struct bf_lbvs {
	enum bf_family family;
	/* -i / -o rules may be members (bf_lbvs_select_nf()) */
	bool iface;
	/* Several searches: when one search's vectors could exceed the
	 * budget (or BF_LBVS_MAX_MEMBERS), bf_lbvs_select() cuts the
	 * members, in rule order, into n_parts searches (parts[k], each a
	 * struct bf_lbvs of its own members, built and coded on its own;
	 * 0: this object is the one search). The object returned by
	 * bf_lbvs_select() numbers all the chain's members (member_rule,
	 * rule_member); a part numbers its own, and its classifier reports
	 * member m as base + m, so results are the chain's member indexes
	 * whatever part found them. Run in chain order, the first part that
	 * finds a member gives the chain's first matching member. */
	size_t n_parts;
	struct bf_lbvs **parts;
	size_t base;
	/* The parts are partitions (opt/lbvs_part.h): their members are not
	 * contiguous (base: the first one's index), the chain's first
	 * matching member is the minimum over all parts. */
	bool scatter;
	/* A part of a partitioned search (lbvs_part.h): the fields every
	 * member tests positively (bit f), looked up first (their class is
	 * often empty). */
	uint8_t first_fields;
	/* The AND of its class vectors is expected to be sparse (a part of
	 * a partitioned search): the scan of the data words jumps over
	 * those whose summary bit is clear (cgen/c_lbvs.c search_sw()). */
	bool sparse;
	/* Split, after bf_lbvs_merge(): the parts share one map per field
	 * (fmap[f]: n_parts rows) and one vector map (vectors: rows of
	 * vec_words words, each part's S + W words first); node[0/1]: the
	 * chain's distinct prefixes of saddr / daddr (LPM entries whose
	 * values are node ids 0 .. n - 1). */
	uint32_t vec_words;
	struct bf_lbvs_fmap node[2];
	size_t n_members;
	size_t *member_rule; /* member index -> chain rule index */
	/* chain rule index -> member index, SIZE_MAX for other rules */
	size_t *rule_member;
	size_t n_rules;
	/* need[p]: a plain packet of protocol p has l4gate >= need[p]
	 * (0: no member reads a transport header of protocol p) */
	uint8_t need[256];
	bool v6_proto; /* an IPv6 member has a protocol match (walk) */
	/* Summary words per vector S; a class vector is S summary words then
	 * W = ceil(members / 64) data words (bit j of summary word s: data
	 * word 64 s + j is not zero). */
	uint32_t summary;
	/* Filled by bf_lbvs_build(): */
	struct bf_lbvs_fmap fmap[BF_LBVS_FIELD_COUNT];
	uint32_t n_classes;
	uint64_t *vectors; /* n_classes * bf_lbvs_value_words() */
	/* Filled by bf_lbvs_slow_prepare() (cgen/c_lbvs.h): packets that
	 * are not plain classified by vectors too, without the members'
	 * linear code (slow_vec): n_slow protocols (those with need[]),
	 * each with the classes of the members that read its transport
	 * header (rd) and of the others (nrd). */
	bool slow_vec;
	/* Set by bf_lbvs_maps(): the class vectors (and the per-protocol
	 * searches' ones) are one map value each, rows read at the value's
	 * address (cgen/c_lbvs_flat.h). */
	bool vec_flat;
	/* Set by bf_lbvs_maps() with vec_flat: the offset in the class
	 * vectors' value of a 64-byte table of the lowest set bit's index by
	 * de Bruijn product (cgen/c_lbvs.c lowest_bit()); 0: none. */
	uint32_t ctz_off;
	/* Set by bf_lbvs_maps() with vec_flat and slow_vec: the offset in
	 * the class vectors' value of the slow path's table (cgen/c_lbvs.c
	 * emit_slow_tab()): per protocol (16 bytes each), per fragment case
	 * (offset 0, 1, other), a u32: the byte offset of the class row to
	 * AND (nrd, or slow_all on a hotdrop), 2 when the protocol has no
	 * slow path; then the offset of its rd row, carried; 0: none (the
	 * per-protocol code). */
	uint32_t slow_off;
	/* Set by bf_lbvs_slow_prepare() with n_slow (and the table not
	 * switched off): the class of every member (UINT32_MAX: none). */
	uint32_t slow_all;
	/* Set by bf_lbvs_maps() (cgen/c_lbvs_pp.h): the fast path's
	 * per-protocol searches, one allocation (NULL: none). */
	struct bf_lbvs_pp *pp;
	size_t n_slow;
	struct bf_lbvs_slow {
		uint8_t proto;
		bool frag1; /* its readers hotdrop IPv4 fragment offset 1 */
		uint32_t rd, nrd;
	} slow[8];
};

/* The members of `chain` (after fold: rules of `groups` are not members).
 * *out is NULL when the chain has too few members, or too many, or their
 * vectors could exceed the memory budget. Cheap: no vectors are built. */
int bf_lbvs_select(const struct bf_chain *chain,
		   const struct bf_fold_group *groups, size_t n_groups,
		   struct bf_lbvs **out);

/* bf_lbvs_select() at a netfilter hook (nf): rules with -i / -o may be
 * members too, unless the chain's search is split into parts (then as
 * bf_lbvs_select(): their maps are shared, bf_lbvs_merge()). */
int bf_lbvs_select_nf(const struct bf_chain *chain,
		      const struct bf_fold_group *groups, size_t n_groups,
		      bool nf, struct bf_lbvs **out);

/* Build the classes and the fields' maps (of every part of a split
 * object). Returns 0 or -ENOMEM. */
int bf_lbvs_build(const struct bf_chain *chain, struct bf_lbvs *l);

/* The searches of l: l->n_parts parts, or l itself. */
static inline size_t bf_lbvs_n_parts(const struct bf_lbvs *l)
{
	return l->n_parts ? l->n_parts : 1;
}

static inline struct bf_lbvs *bf_lbvs_part(struct bf_lbvs *l, size_t k)
{
	return l->n_parts ? l->parts[k] : l;
}

static inline uint32_t bf_lbvs_value_words(const struct bf_lbvs *l)
{
	if (l->vec_words)
		return l->vec_words;
	return l->summary + (uint32_t)((l->n_members + 63) / 64);
}

/* Split searches, after bf_lbvs_build() and each part's
 * bf_lbvs_slow_prepare(): move the parts' classes into the maps of l
 * shared by all parts (class ids become the chain's; each part's fmap
 * gets key_add / node). Returns 0 or -ENOMEM. */
int bf_lbvs_merge(struct bf_lbvs *l);

void bf_lbvs_free(struct bf_lbvs **l);

/* True if the match is a member match whose code can hotdrop (the member
 * can hotdrop on a packet that is not plain). */
bool bf_lbvs_can_hotdrop(const struct bf_rule *r);

#endif /* BPFILTER_OPT_LBVS_H */
