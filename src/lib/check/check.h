/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checks: the one place where a parsed ruleset is rejected before code
 * generation.
 *
 * bf_check() validates a ruleset for one attachment kind:
 *  - every -j / -g target exists in the rule's family and is a user chain;
 *  - no chain can reach itself (iptables' kernel refuses loops with ELOOP
 *    in mark_source_chains(), net/ipv4/netfilter/ip_tables.c);
 *  - the chain nesting reachable from each compiled built-in chain fits the
 *    code generator's BPF call frames (BF_CHECK_MAX_FRAMES, main included);
 *  - the hooks used make sense for the attachment: tc and xdp have no
 *    FORWARD path, and xdp has no OUTPUT path, so rules (or a non-ACCEPT
 *    policy) there are refused rather than silently ignored;
 *  - tc and xdp need an interface name, nf takes none;
 *  - each match type is supported at the attachment.
 * Every error is reported through bf_log_at() with the file:line of the
 * offending rule (or chain declaration); all errors are reported before
 * returning -EINVAL. Returns 0 when the ruleset is acceptable.
 */
#ifndef BPFILTER_CHECK_H
#define BPFILTER_CHECK_H

#include "bpfilter/ir.h"
#include "cgen/cgen.h"

/* BPF allows 8 call frames (MAX_CALL_FRAMES). The code generator's
 * program entry takes the first, the built-in chain (a subprogram) the
 * second, and each -j or -g into a user chain one more. */
#define BF_CHECK_MAX_FRAMES 8

int bf_check(const struct bf_ruleset *rs, enum bf_attach_kind attach,
	     const char *ifname);

/* bf_check() of a ruleset that passed it before a change replaced rules
 * of built-in chain ci by its rules [first, end) (an incremental change,
 * load/seg.h): checks what the change can affect, with the same errors
 * (the whole check when a new rule calls a chain). */
int bf_check_change(const struct bf_ruleset *rs, enum bf_attach_kind attach,
		    const char *ifname, size_t ci, size_t first, size_t end);

/* Whether the code generator compiles a match type at an attachment
 * kind, and a verdict kind at all (what bf_check() enforces). */
bool bf_check_match_supported(enum bf_match_type type,
			      enum bf_attach_kind attach);
bool bf_check_verdict_supported(enum bf_verdict_kind kind); /* at nf */
bool bf_check_verdict_supported_at(enum bf_verdict_kind kind,
				   enum bf_attach_kind attach);

/* Name of an attachment kind: "nf", "tc", "xdp". */
const char *bf_attach_name(enum bf_attach_kind attach);

/* Families (bit 1 << enum bf_family) whose rules read or write conntrack
 * entries: conntrack must run for them (iptables' state/conntrack matches
 * call nf_ct_netns_get() for their own family only). */
unsigned int bf_ruleset_ct_families(const struct bf_ruleset *rs);
/* Does rule r read or write a conntrack entry (what makes its family
 * one of bf_ruleset_ct_families())? */
bool bf_rule_uses_ct(const struct bf_rule *r);
/* Whether a rule of rs reads conntrack accounting (connbytes): the
 * namespace's nf_conntrack_acct must be on, as connbytes_mt_check()
 * turns it on. */
bool bf_ruleset_uses_acct(const struct bf_ruleset *rs);

#endif /* BPFILTER_CHECK_H */
