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

#include <stdbool.h>
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
/* The same, but tables other than filter are not refused: their sections
 * ("*nat" ... "COMMIT") are collected verbatim in *other (malloc'd, NULL
 * when there is none), every other line of the input replaced by an empty
 * line, so that line N of *other is line N of the input (errors of a tool
 * that reads *other then point into the file). Errors in those sections
 * are not looked for here. */
int bf_ipt_parse_restore_other(struct bf_ruleset *rs, FILE *in,
			       const char *filename, enum bf_family family,
			       char **other);
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
/* `iptables -L`'s text for match m of rule r ("state NEW ", "limit: avg
 * 5/min burst 5 ", each ending in a space) when only the front end knows
 * it: false when m is not one of those (the caller prints it). */
bool bf_ipt_list_match(FILE *out, const struct bf_rule *r,
		       const struct bf_match *m, bool numeric);
/* `iptables -L`'s text for the rule's target options ("reject-with
 * icmp-port-unreachable ", "LOG flags 0 level 4 "), nothing for others. */
void bf_ipt_list_target(FILE *out, const struct bf_rule *r, bool numeric);

/* One iptables command line, as `iptables` runs it on the table in force.
 * Commands: A C D I R (rules), N E X F Z P (chains), L S (listings,
 * which change nothing: the caller prints). */
/* The same bits as enum bf_list_flags (bpfilter.h), for bf_list_ipt(). */
enum bf_ipt_cmd_flags {
	BF_IPT_CMD_VERBOSE = 1 << 0, /* -v */
	BF_IPT_CMD_EXACT = 1 << 1, /* -x */
	BF_IPT_CMD_NUMERIC = 1 << 2, /* -n */
	BF_IPT_CMD_LINE_NUMBERS = 1 << 4, /* --line-numbers */
};

struct bf_ipt_cmd {
	char command; /* 'A', 'D', ... as the short option */
	enum bf_family family;
	const char *chain; /* points into argv; NULL: all chains */
	unsigned long long rulenum; /* 1-based; 0 if not given */
	unsigned int flags; /* enum bf_ipt_cmd_flags */
	/* The arguments were wrong (iptables exits with 2, else 1). */
	bool usage_error;
	bool changed; /* rs was changed */
	/* -L/-S with -Z: after printing, zero the counters of cmd->chain
	 * (all chains if NULL) with bf_ipt_zero() and put that in force. */
	bool zero;
	/* Set by the caller, kept by bf_ipt_command(): where -v prints
	 * ("Flushing chain `X'", and each rule of -A/-I/-D/-R/-C through
	 * print_rule, as iptables' print_firewall_line()); NULL: nowhere. */
	FILE *out;
	void (*print_rule)(FILE *out, const struct bf_rule *r);
};

/* Run the command argv[0..argc) (the arguments after "iptables") on the
 * family's table in rs, all or nothing. -C returns 0 when a matching rule
 * exists, -ENOENT when not; -D of a missing rule is -ENOENT. Errors are
 * reported with iptables' own texts: "PROG: Bad rule (...)." for what the
 * kernel would refuse, "PROG v1.8.9 (bpfilter): ..." for usage errors
 * (cmd->usage_error). Modifying commands set the family's bit in
 * rs->families. Rules it creates have counter_idx 0 and the counters of
 * -c (else 0). */
int bf_ipt_command(struct bf_ruleset *rs, enum bf_family family, int argc,
		   char **argv, const char *prog, struct bf_ipt_cmd *cmd);

/* iptables-restore --noflush input applied on top of rs (the family's
 * table in force): ":CHAIN POLICY" sets a built-in chain's policy, flushes
 * an existing user chain or creates it; the other lines are iptables
 * commands (-A, -I, -D, -R, -N, -X, -F, -Z, -E, -P) run as
 * bf_ipt_command() does. counters: "[p:b]" prefixes and policy counters
 * are loaded (-c). Stops at the first error ("FILE:LINE: tool: ..."). */
int bf_ipt_restore_noflush(struct bf_ruleset *rs, FILE *in,
			   const char *filename, enum bf_family family,
			   bool counters);

/* Zero the counters of one chain (NULL: every chain) of the family.
 * -ENOENT: no such chain. */
int bf_ipt_zero(struct bf_ruleset *rs, enum bf_family family,
		const char *chain);

/* `iptables -S [CHAIN [RULENUM]]` output ("-P", "-N", "-A" lines);
 * counters: "-c PACKETS BYTES" as with -v. -ENOENT: no such chain/rule. */
int bf_ipt_print_S(FILE *out, const struct bf_ruleset *rs,
		   enum bf_family family, const char *chain,
		   unsigned long long rulenum, bool counters);

/* Run a file of iptables/ip6tables command lines (shell quoting, '#'
 * comments) on rs in order, stopping at the first error, reported as
 * "FILE:LINE: iptables: ...". -L and -S print on out. */
int bf_ipt_run_commands(struct bf_ruleset *rs, FILE *in, const char *filename,
			FILE *out);

/* Fuzzing entry point: parse `data` as iptables-restore input for IPv4,
 * then for IPv6, print what parsed, free everything. Never fails (returns
 * 0); parse errors are logged through bf_log. */
int bf_ipt_fuzz_one(const uint8_t *data, size_t size);

#endif /* BPFILTER_FRONT_IPT_H */
