/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ipset front end: `ipset save` text <-> sets of the model
 * (include/bpfilter/set.h). See doc/sets.md for the types and options
 * taken, and what is refused.
 */
#ifndef BPFILTER_SET_IPSET_H
#define BPFILTER_SET_IPSET_H

#include <stdbool.h>
#include <stdio.h>

#include "bpfilter/set.h"

/* Parse `ipset save` output (create / add lines) into rs->sets. Every
 * error of the file is reported (file:line, through bf_log); on error
 * nothing may be used (-EINVAL). */
int bf_ipset_parse(struct bf_ruleset *rs, FILE *in, const char *name);
int bf_ipset_parse_str(struct bf_ruleset *rs, const char *text,
		       const char *name);

/* Parse one element with its options ("192.0.2.0/24,tcp:80 nomatch"),
 * as on an `add` line after the set name, for `set`. argv holds the
 * element then its options. Errors reported at file:line. */
int bf_ipset_parse_elem(const struct bf_set *set, int argc, char **argv,
			const char *file, int line, struct bf_set_elem *out);

/* The same, for the elements one argv may stand for: an IPv4 range or
 * CIDR in the address of hash:ip* and bitmap:ip sets, a port range
 * ("tcp:80-90"), as ipset expands them; fn is called for each (at most
 * 65536); its error stops the expansion and is returned. */
typedef int (*bf_ipset_elem_fn)(const struct bf_set_elem *e, void *data);
int bf_ipset_parse_elems(const struct bf_set *set, int argc, char **argv,
			 const char *file, int line, bf_ipset_elem_fn fn,
			 void *data);

/* "create NAME TYPE OPTIONS" (newline included). */
void bf_ipset_print_create(FILE *out, const struct bf_set *set);
/* The element as `ipset save` prints it after "add NAME ", with its
 * options when opts is set (no newline). */
void bf_ipset_print_elem(FILE *out, const struct bf_set *set,
			 const struct bf_set_elem *e, bool opts);
/* Every set of rs with its elements (rs->sets[i].elems), in `ipset save`
 * order: list:set sets last. */
void bf_ipset_print(FILE *out, const struct bf_ruleset *rs);

/* Run `ipset save` (the binary `ipset`, or $BPFILTER_IPSET) in the current
 * network namespace and parse its output into rs->sets. */
int bf_ipset_from_kernel(struct bf_ruleset *rs);

/* A key of a mark (`0x00000001`) or protocol number (`6`) dimension at k,
 * as both ipset and nft write it; false (nothing printed) for another
 * type. */
bool bf_set_print_num_key(FILE *out, enum bf_set_dim_type type,
			  const uint8_t *k);

/* An nft verdict map with chains (bf_set.nft_jmap): the verdict of
 * element data as nft writes it (`jump CHAIN`), and back from the
 * option value of nft-verdict (`accept`, `jump:CHAIN`; errors logged). */
void bf_set_jmap_print_verdict(FILE *out, const struct bf_set *set,
			       uint32_t data);
int bf_set_jmap_parse_verdict(const struct bf_set *set, const char *v,
			      uint32_t *data);

#endif /* BPFILTER_SET_IPSET_H */
