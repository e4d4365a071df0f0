/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nft element syntax for the ipset-origin sets that the nft front end
 * lowers nft named sets into (src/lib/front/nft/setmap.c), so that
 * `bpfilter set add|delete|test|list` takes and prints elements as nft
 * writes them (doc/front-nft.md, "Named sets as BPF maps").
 */
#ifndef BPFILTER_SET_NFTELEM_H
#define BPFILTER_SET_NFTELEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bpfilter/set.h"

/* Rewrite element `in` into ipset syntax in out: `A . P` (nft's
 * concatenation) becomes `A,P`, and for a set with nft_proto the port
 * gets its protocol (`192.0.2.1 . 80` -> `192.0.2.1,tcp:80`). Elements
 * already in ipset syntax are copied. For a verdict map (nft_vmap) the
 * element ends in ` : accept` or ` : drop` (required when need_verdict),
 * which is cut off: *nomatch is set for drop. 0, or -EINVAL (logged)
 * for a concatenation with the wrong number of parts or a bad verdict,
 * -E2BIG if too long. A verdict map with chains (nft_jmap) takes every
 * nft verdict (`KEY : jump CHAIN`): jverdict receives the value of the
 * element option nft-verdict (`jump:CHAIN`), "" when none was given. */
int bf_set_nft_elem_in(const struct bf_set *set, const char *in, char *out,
		       size_t size, bool need_verdict, bool *nomatch,
		       char *jverdict, size_t jsize);

/* Print element e of a set with nft_proto in nft syntax (`A . P`), of
 * a verdict map with its verdict (`A : drop`); other sets in ipset
 * syntax. */
void bf_set_nft_elem_print(FILE *out, const struct bf_set *set,
			   const struct bf_set_elem *e);

/* Is set one of the exact-key kinds lowered from nft (hash:iface,
 * hash:mark, hash:proto, hash:ip,ip with the create option nft), or
 * hash:ifprefix (names and "eth*" prefixes)? */
bool bf_set_nft_exact(const struct bf_set *set);

/* The key of element e of such a set as nft writes it (`"eth0"`,
 * `0x00000001`, `6`, `192.0.2.1 . 198.51.100.2`), no verdict. */
void bf_set_nft_key_print(FILE *out, const struct bf_set *set,
			  const struct bf_set_elem *e);

/* The element as nft writes it in such a set: its key, then its value in
 * a verdict map (` : accept`, ` : jump CHAIN`). */
void bf_set_nft_exact_print(FILE *out, const struct bf_set *set,
			    const struct bf_set_elem *e);

#endif /* BPFILTER_SET_NFTELEM_H */
