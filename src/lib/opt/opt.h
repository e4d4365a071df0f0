/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Optimizer passes on the IR (see doc/classification.md).
 *
 * fold: runs of consecutive rules of one chain that differ only in
 * exact-match fields (an address under the same mask in every rule of the
 * run — /32, /128, or any prefix length —, a single port, an IPv4
 * protocol) are folded into one hash-map lookup. The pass only describes
 * the groups (struct bf_fold_group); the code generator emits the lookup
 * and fills the maps with bf_fold_key(). The IR is not modified.
 *
 * A group keeps iptables' first-match semantics exactly:
 *  - the matches that are not keys are identical in every rule of the run
 *    and free of side effects, so they are evaluated once, in rule order;
 *  - a key that several rules share maps to the first of them (later
 *    duplicates can never match in iptables either);
 *  - counters are per rule: the map value is the rule's index in the run,
 *    and the run's counter indices are consecutive;
 *  - verdicts are ACCEPT, DROP or RETURN (terminal: no later rule of the
 *    run can be reached once one matched), per rule;
 *  - a common match that can hotdrop (a short transport header, an IPv6
 *    extension header walk error) hotdrops only if some rule of the run
 *    has all its keys *before* that match equal to the packet's, as the
 *    first such rule would have done: a second lookup on those keys.
 * Negated keys are never folded.
 */
#ifndef BPFILTER_OPT_H
#define BPFILTER_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfilter/ir.h"

enum bf_fold_field {
	BF_FOLD_SADDR = 0,
	BF_FOLD_DADDR,
	BF_FOLD_SPORT,
	BF_FOLD_DPORT,
	BF_FOLD_PROTO,
	BF_FOLD_FIELD_COUNT,
};

/* Keys start with a 4-byte group id, then the parts, padded to 4 bytes:
 * at most two IPv6 addresses, two ports and a protocol. */
#define BF_FOLD_PARTS_MAX 5
#define BF_FOLD_KEY_MAX 44

struct bf_fold_part {
	uint8_t pos; /* index of the match in each rule of the group */
	uint8_t field; /* enum bf_fold_field */
	uint8_t size; /* bytes: 4 or 16 (address), 2 (port), 1 (proto) */
	uint8_t off; /* byte offset in the key */
	/* addresses: the mask of every rule of the group (the key holds
	 * the masked address; IR addresses are already masked) */
	uint8_t mask[16];
};

struct bf_fold_group {
	size_t first, n; /* chain->rules[first .. first + n) */
	/* Key parts in key order (largest first, so each is aligned). */
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t n_parts;
	uint8_t key_size; /* bytes, group id included, multiple of 4 */
};

struct bf_fold_options {
	bool enabled; /* default true */
	size_t min_rules; /* shortest run folded (default 8) */
};

/* Options of the fold pass for this process (tests and benchmarks compare
 * folded and linear code). */
void bf_fold_set_options(const struct bf_fold_options *o);
void bf_fold_get_options(struct bf_fold_options *o);

/* The groups of a chain, sorted by `first`, none overlapping. *groups is
 * malloc'ed (NULL when there is none). The chain must have been numbered
 * (bf_ruleset_number()). Returns 0 or -ENOMEM. */
int bf_fold_chain(const struct bf_chain *chain, struct bf_fold_group **groups,
		  size_t *n_groups);

/* True if rules a and b have the same shape: both could be in one group
 * (same family, same common matches, keys of the same fields and masks,
 * terminal verdicts). Groups whose first rules have the same shape can
 * share one lookup. */
bool bf_fold_compatible(const struct bf_rule *a, const struct bf_rule *b);

/* True if match `m` of a group's rules is a key part. */
bool bf_fold_is_key(const struct bf_fold_group *g, size_t pos);

/* The layout of the key made of the parts of g that come before match
 * `upto` (every part: upto = SIZE_MAX). Fills parts (offsets recomputed)
 * and returns the key size in bytes (group id included). */
uint8_t bf_fold_layout(const struct bf_fold_group *g, size_t upto,
		       struct bf_fold_part *parts, uint8_t *n_parts);

/* Write the key of `rule` (a rule of g) for the layout above, with group
 * id `gid`, into key (BF_FOLD_KEY_MAX bytes, zero padded). */
void bf_fold_key(const struct bf_fold_part *parts, uint8_t n_parts,
		 uint8_t key_size, uint32_t gid, const struct bf_rule *rule,
		 uint8_t *key);

/* True if the match can hotdrop the packet (see bf_fold_group). */
bool bf_fold_can_hotdrop(const struct bf_rule *rule, const struct bf_match *m);

#endif /* BPFILTER_OPT_H */
