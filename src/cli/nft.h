/* SPDX-License-Identifier: GPL-2.0-only */
/* nft input of the CLI (nft.c). */
#ifndef BPFILTER_CLI_NFT_H
#define BPFILTER_CLI_NFT_H

#include <stdbool.h>
#include <stdio.h>

#include "bpfilter/bpfilter.h"

/* The iptables-save text of each family made from an nft ruleset, and the
 * streams over it that bf_apply_opts.input[] points to. */
struct cli_nft_bufs {
	char *text[BF_FAMILY_COUNT];
	FILE *in[BF_FAMILY_COUNT];
	/* the nft named sets lowered to ruleset sets (`ipset save` text) */
	char *sets_text;
	FILE *sets_in;
};

/* Inline every nft set (no ruleset sets): `apply --confirm`, whose
 * rollback cannot put replaced sets back, sets it. */
extern bool cli_nft_inline_sets;
/* apply --confirm SECONDS of a ruleset over several slots (0: none) */
extern long cli_nft_confirm;

/* Does the file look like nft syntax (first word table, flush, define,
 * include, add, nft, or an nft #! line)? */
bool cli_nft_detect(const char *path);
/* Parse and lower the nft ruleset at path ("-": stdin) and point
 * o->input[] of both families at its IR (a family without tables gets an
 * empty filter table). Errors are logged; free b with cli_nft_bufs_free()
 * after bf_apply(). */
int cli_nft_inputs(const char *path, struct bf_apply_opts *o,
		   struct cli_nft_bufs *b);
void cli_nft_bufs_free(struct cli_nft_bufs *b);
/* An nft ruleset with netdev tables or base chains at several priorities
 * is applied to several slots (bf_nft_targets(): nf at each priority,
 * tc-DEV or xdp-DEV per device), one bf_apply() each after all of them
 * were lowered and checked, and the nf slots at priorities it no longer
 * has are flushed. *handled is false (nothing done) for a ruleset of one
 * nf slot at priority 0, which goes where --hook/--iface say. */
int cli_nft_apply_targets(const char *path, struct bf_apply_opts *o, int kind,
			  bool *handled);
/* bpfilter import nft: the ruleset of `nft -j list ruleset` (or --from
 * FILE) put in force in one slot, as apply --format nft does. */
int cli_import(int argc, char **argv);
/* bpfilter save --format nft: what bf_save() prints, each family's table
 * of each slot as an nft table (bpfilter_SLOT). */
int cli_save_nft(FILE *out, const struct bf_slot_sel *sel,
		 unsigned int families, bool counters);
/* The lowered IR of an nft file in iptables-save form (both families). */
int cli_nft_print_lowered(const char *path, FILE *out);

#endif /* BPFILTER_CLI_NFT_H */
