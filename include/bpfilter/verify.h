/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verify engine: one ruleset (an iptables-save filter table of one
 * family) loaded into the kernel's own iptables (legacy, the reference) in
 * one scratch pair of network namespaces and into bpfilter in another; the
 * same probe packets, generated from the ruleset's own addresses, ports,
 * interfaces and states, go through INPUT, FORWARD and OUTPUT of both (with
 * a bpfilter side at tc or xdp: the hooks that exist there), and every
 * verdict is compared. Each mismatch is printed with the probe and, for
 * each side, the rule that decided it (file:line of the input). Used by
 * `bpfilter verify` and by tests/diff/diff_iptables.c. Needs root; never
 * touches the calling namespace (doc/testing.md: "The verify engine").
 */
#ifndef BPFILTER_VERIFY_H
#define BPFILTER_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/ir.h"

#define BF_VERIFY_MAX_SIDES 3

struct bf_verify_opts {
	/* Sides, the reference first: "legacy" (iptables-legacy-restore),
	 * "nft" (iptables-nft-restore), "nftables" (`nft -f`: the side's
	 * text is an nft ruleset, see tests/diff/diff_nft.c), "bpfilter".
	 * n_sides == 0: legacy and bpfilter. */
	const char *sides[BF_VERIFY_MAX_SIDES];
	int n_sides;
	/* Another ruleset text for side i (NULL: the same); the harness's
	 * self-test gives side 1 a changed ruleset. */
	const char *side_text[BF_VERIFY_MAX_SIDES];
	/* Where the bpfilter side attaches (BF_SLOT_NF by default; tc and
	 * xdp attach to every interface of the scratch host, and only the
	 * probes those hooks see are sent). */
	enum bf_slot_kind kind;
	/* nf only: the bpfilter side is set up by running this shell script
	 * (`sh -e`) in its namespace instead of `bpfilter apply` of the
	 * text, e.g. the ruleset's iptables commands, one `bpfilter
	 * iptables` each, so that the programs probed are those the
	 * changes left in force (the text must still be what they make:
	 * the other sides and the probes use it). NULL: apply. */
	const char *bpfilter_script;
	/* The bpfilter binary for the bpfilter side (NULL: bf_verify_bin()
	 * default: $BF_BIN, the running bpfilter, or "bpfilter"). */
	const char *bin;
	uint64_t seed; /* random probes' seed (mixed with the name) */
	int n_random; /* random probes; < 0: 200 */
	size_t max_probes; /* 0: 24,000 */
	unsigned int time_ms; /* for the whole run; 0: 60 s */
	int max_print; /* mismatches printed (< 0: 40), each with the IR
			* interpreter's verdict and deciding rule */
	int max_explain; /* of those, explained on every side by re-sending
			  * and reading counters (< 0: 5) */
	bool verbose; /* print every command run */
	bool dump; /* print every probe with its verdicts */
	bool quiet_coverage; /* no "rules matched" lines */
	/* The ruleset already parsed (e.g. from a command file, whose
	 * rules then carry that file's lines); `text` must be its
	 * bf_ipt_print() form. NULL: `text` is parsed. */
	const struct bf_ruleset *rs;
	/* The report (summary line, mismatches, coverage); NULL: none. */
	FILE *out;
	/* Called for each mismatch with the probe's kind (e.g. "dport+1"). */
	void (*on_mismatch)(const char *kind, void *data);
	void *data;
	/* rs only makes the probes (bf_verify_nft_probe_ir()): no IR
	 * interpreter line for mismatches */
	bool no_eval;
};

struct bf_verify_result {
	bool parsed; /* the IR front end accepted the text */
	char parse_error[1024]; /* its messages if not */
	/* A side after the reference refused the ruleset (the bpfilter
	 * side: its error, with file:line); nothing was probed. */
	bool refused;
	char refusal[512];
	const char *refused_by; /* that side's name */
	/* The run could not be done (setup, sending); printed on out. */
	bool failed;
	char error[256];
	size_t probes, per_hook[BF_HOOK_COUNT];
	size_t accepted; /* probes the reference side let through */
	size_t mismatches;
	int rules, rules_hit; /* reference rules, rules a probe matched */
	/* Warnings of bpfilter's apply (printed on out): what it accepted
	 * but does differently, e.g. REJECT at nf dropping without a reply
	 * (the verdicts compared here are the same). */
	int warnings;
	unsigned long long ms;
};

/*
 * Run `text` (iptables-save text of `family`'s filter table; line N of it
 * is line N of `name`, which is used in messages and as the file of the
 * rules) through the sides of opts. Returns 0 when probes ran (see
 * res->mismatches), -EINVAL when the text does not parse or a side refused
 * it (res->parsed / res->refused say which), -EPERM without the rights,
 * another -errno when the run failed (res->failed). Namespaces are deleted
 * before it returns, also on failure (and by bf_verify_cleanup() on exit
 * and on signals).
 */
int bf_verify_run(const char *text, const char *name, enum bf_family family,
		  const struct bf_verify_opts *opts,
		  struct bf_verify_result *res);

/* Delete every scratch namespace still there (flushing bpfilter in them
 * first). Installed with atexit() and for fatal signals by the first
 * bf_verify_run(); callable any time. */
void bf_verify_cleanup(void);

/* ---- inputs ---- */

/* A file's contents (NUL-terminated, malloc'd); NULL and errno. */
char *bf_verify_read_file(const char *path);
/* The `*filter` ... `COMMIT` section of an iptables-save text, every
 * other line blanked so that line N is line N of the input; NULL with
 * errno ENOENT when there is none. */
char *bf_verify_filter_text(const char *text);
/* A ufw configuration directory: before/user/after.rules (before6...
 * for IPv6), named as in /etc/ufw or ufw_conf_<part>.rules. */
bool bf_verify_is_ufw_dir(const char *dir, enum bf_family family);
/* The filter table ufw builds from them (its chains, the jumps from the
 * built-in chains, the rules in load order). malloc'd; NULL and errno. */
char *bf_verify_ufw_text(const char *dir, enum bf_family family);

struct bf_nft;

/* The IR that makes the probes of an nft ruleset `bpfilter apply` spreads
 * over several slots (netdev tables, base chains at several priorities, a
 * part handed to the kernel's nftables; doc/front-nft.md): every target's
 * IR in one ruleset (user chains renamed "tK.NAME"), plus a rule `-i DEV`
 * in INPUT per netdev device so that the scratch host has that interface.
 * Its verdicts mean nothing: run it with bf_verify_opts.no_eval, the
 * bpfilter side applying the nft file itself. *out owned by the caller.
 * -EOPNOTSUPP when the file is one IR (bf_nft_lower() decides), else 0 or
 * the targets' -errno (reported through the log). */
int bf_verify_nft_probe_ir(const struct bf_nft *nft, struct bf_ruleset **out);

/* Rules of the family that bpfilter refuses at `kind` because of a match
 * or a target the code generator does not compile there: fn is called for
 * each with what refuses it ("limit", "-j REJECT"; the first such thing
 * of the rule). Returns the number of those rules. */
size_t bf_verify_unsupported(const struct bf_ruleset *rs, enum bf_family family,
			     enum bf_slot_kind kind,
			     void (*fn)(const struct bf_rule *rule,
					const char *what, void *data),
			     void *data);

#endif /* BPFILTER_VERIFY_H */
