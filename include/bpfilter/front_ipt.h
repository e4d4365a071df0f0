/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iptables front end: iptables-save / iptables-restore text, the iptables
 * command form ("iptables -A CHAIN ..."), and the canonical printer.
 *
 * Errors are reported through bf_log_at() with "file:line: ..." and the
 * parse functions report every error of the input before returning -EINVAL;
 * on error the ruleset passed in is left unchanged.
 */
#ifndef BPFILTER_FRONT_IPT_H
#define BPFILTER_FRONT_IPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/ir.h"

/* Parse iptables-restore input (the `*filter` table) for one family into
 * rs: the family's chains are replaced by what the input declares, and
 * rs->families gains the family. Another table is an error that names the
 * table. `filename` is used in messages only. */
int bf_ipt_parse_restore(struct bf_ruleset *rs, FILE *in, const char *filename,
			 enum bf_family family);
int bf_ipt_parse_restore_str(struct bf_ruleset *rs, const char *text,
			     const char *filename, enum bf_family family);

/* Parse a file of iptables/ip6tables command lines ("iptables -A ...",
 * "ip6tables -P ...", "-t filter" only), applying each in order; the
 * family of each line comes from its command name. */
int bf_ipt_parse_commands(struct bf_ruleset *rs, FILE *in,
			  const char *filename);

enum bf_ipt_print_flags {
	BF_IPT_PRINT_COUNTERS = 1 << 0, /* "[p:b] -A ..." like save -c */
};

/* Print the family's filter table in canonical iptables-save form
 * ("*filter", chain lines, rules, "COMMIT"). */
int bf_ipt_print(FILE *out, const struct bf_ruleset *rs, enum bf_family family,
		 unsigned int flags);
/* Print one rule's arguments in canonical form, without "-A CHAIN". */
int bf_ipt_print_rule(FILE *out, const struct bf_rule *rule);

/* Fuzzing entry point: parse `data` as iptables-restore input for IPv4,
 * then for IPv6, print what parsed, free everything. Never fails (returns
 * 0); parse errors are logged through bf_log. */
int bf_ipt_fuzz_one(const uint8_t *data, size_t size);

#endif /* BPFILTER_FRONT_IPT_H */
