/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libbpfilter: the operations the `bpfilter` command offers, for the CLI
 * and any other caller (tests, a daemon).
 *
 * Every operation works on the network namespace of the calling thread.
 * Rulesets are installed per *slot*: "nf" (the netfilter hooks of the
 * namespace), "tc-IFNAME" (tcx ingress/egress of an interface) or
 * "xdp-IFNAME". They stay in force after the caller exits (pinned in a
 * bpffs, see doc/hooks.md) until flushed.
 *
 * Errors: 0 or -errno; what went wrong is reported through bf_log() (see
 * bpfilter/log.h), user input errors as "file:line: message".
 */
#ifndef BPFILTER_BPFILTER_H
#define BPFILTER_BPFILTER_H

#include <stdbool.h>
#include <stdio.h>

#include "bpfilter/ir.h"

/* Where a ruleset is attached; same values as the code generator's
 * enum bf_attach_kind. */
enum bf_slot_kind {
	BF_SLOT_NF = 0,
	BF_SLOT_TC,
	BF_SLOT_XDP,
	BF_SLOT_COUNT,
};

/* "nf", "tc", "xdp" <-> kind; -1 if unknown. */
int bf_slot_kind_from_name(const char *name);
const char *bf_slot_kind_name(enum bf_slot_kind kind);

/* nf slots at other netfilter priorities than 0 (an nft ruleset's base
 * chains, one slot per priority; doc/front-nft.md) are named "nf-p10"
 * (priority 10) and "nf-m10" (-10). Their token ("p10", "m10") is given
 * as `ifname` with kind nf to apply, and selects them in list, save and
 * flush. bf_nf_prio_token() writes the token of a priority ("" for 0);
 * bf_nf_prio_parse() reads one: false if s (NULL: false) is not one. */
void bf_nf_prio_token(int priority, char *buf, size_t size);
bool bf_nf_prio_parse(const char *s, int *priority);
/* One attach point of an nf slot in a mask (bf_apply_opts.nf_points):
 * family (enum bf_family) and hook (enum bf_hook). */
#define BF_NF_POINT(family, hook) (1u << ((family)*BF_HOOK_COUNT + (hook)))

struct bf_apply_opts {
	enum bf_slot_kind kind;
	const char *ifname; /* required for tc and xdp */
	/* iptables-save text per family: a path ("-" = stdin), or an open
	 * stream in `in` (then `path` only names it in messages). A family
	 * with neither keeps the table currently in force in the slot. */
	struct {
		const char *path;
		FILE *in;
	} input[BF_FAMILY_COUNT];
	/* Take the [packets:bytes] counters of the input as initial values
	 * (iptables-restore -c); otherwise the given families start at 0.
	 * Counters of a family not given carry over. */
	bool counters;
	/* Parse, check and compile only (iptables-restore --test). */
	bool test_only;
	/* Print the IR and the programs here instead of attaching. */
	FILE *dump;
	/* Report the verifier log of a rejected program at error level. */
	bool verbose;
	/* Refuse with -ESTALE unless the slot is at generation
	 * `generation` (0: nothing in force). */
	bool check_generation;
	unsigned long long generation;
	/* Tables other than filter in the inputs (nat, mangle, raw, ...)
	 * are an error naming the table, unless other_tables_kernel: then
	 * they are handed unchanged to the kernel's iptables-restore /
	 * ip6tables-restore (see bf_apply()). */
	bool other_tables_kernel;
	/* Those tools per family; NULL: "iptables-restore" /
	 * "ip6tables-restore" from PATH. */
	const char *kernel_restore[BF_FAMILY_COUNT];
	/* Named sets (ipset) the rules may use: `ipset save` text at a path
	 * ("-" = stdin, "kernel" = run `ipset save` in this namespace) or
	 * in an open stream. They replace the sets in force in the slot
	 * (with their elements); without one, the sets in force are kept,
	 * elements included (see doc/sets.md). */
	struct {
		const char *path;
		FILE *in;
	} ipset;
	/* --hook xdp --offload: ask for hardware (offloaded) XDP on ifname
	 * first; every device here refuses it, and so does bf_apply()
	 * (-EOPNOTSUPP, the kernel's answer in the message; see
	 * doc/user-matches.md). Nothing changes then. */
	bool xdp_offload;
	/* Check, compile and load every program (the kernel's verifier
	 * included), then stop: nothing is attached, switched or pinned.
	 * `apply FILE.nft` over several slots runs this for each slot
	 * before changing any (doc/front-nft.md). */
	bool load_only;
	/* nf slots: attach at these points only (BF_NF_POINT() bits); 0:
	 * every family and hook. An nft ruleset's slot at a priority other
	 * than 0 gets the (family, hook) pairs of its base chains, so that
	 * it takes that priority nowhere else (doc/front-nft.md). Stored in
	 * the slot's state; bf_edit() keeps it. */
	uint32_t nf_points;
};

/* Replace the tables of the given families in one slot, all or nothing:
 * every input is parsed, checked, compiled and loaded before anything
 * attached changes; the switch is atomic per attach point.
 * With other_tables_kernel, once all of that succeeded and before anything
 * of bpfilter's is attached or switched, the other tables go to the
 * kernel's tool: first `--test` for every family, then for real, IPv4
 * before IPv6. If the tool refuses them, bpfilter's switch does not happen
 * and the apply fails (the kernel's tables stay as they were unless an
 * IPv6 run fails after the IPv4 run succeeded, which --test makes rare).
 * If bpfilter's own switch fails after that, the kernel keeps the tables
 * it accepted. --test (test_only) runs only the tool's --test; --dump
 * does not run it. */
int bf_apply(const struct bf_apply_opts *opts);

enum bf_list_flags {
	BF_LIST_VERBOSE = 1 << 0, /* counters and interfaces (-v) */
	BF_LIST_EXACT = 1 << 1, /* exact counter values (-x) */
	BF_LIST_NUMERIC = 1 << 2, /* numeric output (-n), always the case */
	BF_LIST_JSON = 1 << 3, /* JSON document instead of text */
	BF_LIST_LINE_NUMBERS = 1 << 4, /* --line-numbers (bf_list_ipt()) */
};

/* Optional slot selection for list/save/flush: kind < 0 = every slot. */
struct bf_slot_sel {
	int kind;
	const char *ifname;
};

/* List the rulesets in force with live counters, like iptables -L. */
int bf_list(FILE *out, const struct bf_slot_sel *sel, unsigned int flags);

/* Print one family's table of rs (or one chain, or one rule of it when
 * rulenum > 0) exactly as `iptables -L` does, flags BF_LIST_VERBOSE,
 * _EXACT, _NUMERIC (else "anywhere", protocol names; addresses and ports
 * stay numeric), _LINE_NUMBERS. -ENOENT: no such chain or rule. */
int bf_list_ipt(FILE *out, const struct bf_ruleset *rs, enum bf_family family,
		const char *chain, unsigned long long rulenum,
		unsigned int flags);

/* Print one rule as `iptables -v -A ...` does before changing the table
 * (print_firewall_line(): "ACCEPT  tcp opt -- in * out *  0.0.0.0/0  ->
 * 0.0.0.0/0   tcp dpt:22"). */
void bf_list_ipt_rule(FILE *out, const struct bf_rule *r);

/* Print the stored rulesets in iptables-save form. families: bit mask of
 * 1 << enum bf_family (0 = both). counters: "[p:b]" live counters. */
int bf_save(FILE *out, const struct bf_slot_sel *sel, unsigned int families,
	    bool counters);

/* Detach and remove the selected slots (every slot of the namespace when
 * sel is NULL or sel->kind < 0). Not an error if nothing is installed. */
int bf_flush(const struct bf_slot_sel *sel);

/* Remove the pinned state of network namespaces that only bpfilter's own
 * netfilter links keep alive (deleted with `ip netns del` without a
 * flush): reachable from no process, open namespace fd or nsfs bind mount
 * visible here. Prints one line per namespace on out; dry_run removes
 * nothing. Run it from the initial mount namespace (where /run/netns bind
 * mounts live). */
int bf_gc(FILE *out, bool dry_run);

/* ---- changes to the ruleset in force (bf_edit) ---- */

struct bf_edit_opts {
	enum bf_slot_kind kind;
	const char *ifname; /* required for tc and xdp */
	/* Refuse the change with -ESTALE unless the slot is at this
	 * generation (0: nothing in force); -1: no condition. */
	long long if_generation;
	/* Only read (shared lock); if the callback returns 0 (a change),
	 * nothing is installed and bf_edit() returns -EROFS. */
	bool read_only;
	/* Parse, check and compile the result only. */
	bool test_only;
	bool verbose; /* report the verifier log of a rejected program */
};

/* Change the ruleset in force in place. rs holds every family in force
 * (rs->families) with live counters in rule->counter and
 * chain->policy_counter; an empty slot gives an empty ruleset with
 * families 0 (set the family bit of a table you fill). generation is the
 * slot's (0: none). Return 0 to put rs in force, a positive value to
 * change nothing and have bf_edit() return it, or -errno (nothing
 * changes). */
typedef int (*bf_edit_fn)(struct bf_ruleset *rs, unsigned long long generation,
			  void *data);

/* Read, change and replace the ruleset of one slot as one transaction
 * under the namespace's lock: concurrent edits are serialised and none is
 * lost. The switch is atomic per attach point (see bf_apply()). Counters
 * follow their rules: rules and policies the callback keeps (even moved)
 * keep their counters, including packets counted while the change was
 * being compiled; rules it creates start from rule->counter. */
int bf_edit(const struct bf_edit_opts *opts, bf_edit_fn fn, void *data);

/* ---- persistence and safe apply ---- */

/* Version of the `bpfilter save` format (first line "# bpfilter save
 * format N"). */
#define BF_SAVE_FORMAT 1

/* Put the tables of a `bpfilter save` file back in force, one apply per
 * slot (each all or nothing). Plain iptables-save text (no "# bpfilter
 * slot" lines) goes to the nf slot as IPv4. An unknown save format is
 * refused. counters: load the [p:b] counters (save --counters). */
int bf_restore(FILE *in, const char *name, bool counters);

/* bf_apply(), then roll back to the ruleset in force before (nothing:
 * flush) after `seconds` unless bf_confirm() is called for the slot. The
 * rollback is done by a detached helper process. */
int bf_apply_confirm(const struct bf_apply_opts *opts, unsigned int seconds);
/* Keep what the last bf_apply_confirm() of the slot put in force.
 * -ENOENT: nothing pending. */
int bf_confirm(enum bf_slot_kind kind, const char *ifname);

const char *bf_version(void);

#endif /* BPFILTER_BPFILTER_H */
