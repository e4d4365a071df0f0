/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's part of an nft ruleset (chains of type nat, route...: see
 * bf_nft_kernel_text() and doc/front-nft.md, "Chains for the kernel"):
 * loaded with `nft -f` in this network namespace as tables named
 * BF_NFT_KERNEL_PREFIX + NAME, within apply's transaction.
 */
#ifndef BPFILTER_CLI_NFTKERN_H
#define BPFILTER_CLI_NFTKERN_H

#include <stdbool.h>

#include "bpfilter/front_nft.h"

struct cli_nftkern {
	char *script; /* old tables deleted, the new ones (nft -f) */
	char *undo; /* the new tables deleted, the old ones back */
	bool any; /* something to do: a new part or old tables */
};

/* Build the scripts for nft (tables of a previous apply found with `nft
 * list tables`) and check the new one with `nft -c -f` (nothing changes).
 * 0 (k->any false: no part, no old tables), or -errno, reported with
 * path. */
int cli_nftkern_prepare(const struct bf_nft *nft, const char *path,
			struct cli_nftkern *k);
/* Run k->script (one nft transaction: all or nothing). */
int cli_nftkern_commit(const struct cli_nftkern *k, const char *path);
/* Put the tables of before the commit back. */
int cli_nftkern_rollback(const struct cli_nftkern *k, const char *path);
void cli_nftkern_free(struct cli_nftkern *k);
/* bpfilter flush: delete every such table of this namespace. */
int cli_nftkern_flush(void);

#endif /* BPFILTER_CLI_NFTKERN_H */
