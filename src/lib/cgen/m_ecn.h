/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iptables -m ecn (BF_MATCH_ECN) and -m esp (BF_MATCH_ESP, at the end).
 * -m ecn: ecn_mt4() / ecn_mt6() in
 * net/netfilter/xt_ecn.c. The ECN bits are the DS field's two low bits
 * (pctx.dsfield, which the prologue fills when a rule has the match); the
 * TCP part is match_tcp(), which reads 20 bytes at the rule's transport
 * offset and is false (no hotdrop) without them. It does not look at
 * fragments: in an IPv4 non-first fragment it reads the fragment's data
 * at ihl * 4 (the prologue stores that byte 13 in pctx.tcpflags when
 * bf_ecn_needs_tcp() says so); in an IPv6 one, ip6t_do_table()'s thoff
 * stays 0 (ipv6_find_hdr() returns before setting it), so it reads the
 * IPv6 header itself: byte 13 is the source address's byte 5.
 */
#ifndef BPFILTER_CGEN_M_ECN_H
#define BPFILTER_CGEN_M_ECN_H

#include <stdbool.h>

#include "bpfilter/ir.h"
#include "cgen/emit.h"

/* Whether the match tests the TCP flags (ECE or CWR). */
bool bf_ecn_needs_tcp(const struct bf_match *m);

/* The match, in a chain function (r9 = packet context); clobbers r1, r2.
 * `v6`: the rule's family is IPv6. */
void bf_ecn_emit(struct bf_emit *e, const struct bf_match *m, bool v6,
		 bf_label fail);

/* -m esp (BF_MATCH_ESP), in a chain function: `hotdrop` drops the packet
 * at once. Clobbers r1, r2. */
void bf_esp_emit(struct bf_emit *e, const struct bf_match *m, bf_label fail,
		 bf_label hotdrop);

#endif /* BPFILTER_CGEN_M_ECN_H */
