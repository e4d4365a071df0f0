/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IR interpreter's matches that read kernel state beyond the headers
 * (eval_x.c), each from the facts the caller gave in bf_eval_pkt.
 */
#ifndef BPFILTER_IR_EVAL_X_H
#define BPFILTER_IR_EVAL_X_H

#include "bpfilter/eval.h"

/* policy_mt() (net/netfilter/xt_policy.c) on the packet's IPsec states
 * (BF_EVAL_KNOW_XFRM): 1 match, 0 no match. */
int bf_eval_policy(const struct bf_eval_pkt *p, const struct bf_match *m);

/* helper_mt() (net/netfilter/xt_helper.c) on p->ct_helper
 * (BF_EVAL_KNOW_HELPER), `neg` included: 1 match, 0 no match. */
int bf_eval_helper(const struct bf_eval_pkt *p, const struct bf_match *m);

/* connbytes_mt() (net/netfilter/xt_connbytes.c) on the counters of
 * BF_EVAL_KNOW_ACCT: 1 match, 0 no match. */
int bf_eval_connbytes(const struct bf_eval_pkt *p, const struct bf_match *m);

/* frag_mt6(), hbh_mt6(), ah_mt6(), ah_mt() (eval_xh.c) on the bytes of
 * the L3 packet (p->l3): 1 match, 0 no match, 2 hotdrop, -1 not
 * modelled (no bytes). */
int bf_eval_exthdr(const struct bf_eval_pkt *p, const struct bf_match *m);

#endif /* BPFILTER_IR_EVAL_X_H */
