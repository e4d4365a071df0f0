/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once

/* The text verify loads into the kernel's nftables for an nft ruleset:
 * the file as written, but with `hook output priority dstnat` written as
 * its value (-100), which nft 1.0.6 refuses ("invalid priority expression
 * value in this context") where later versions, and Docker's generated
 * tables, take it. Line numbers are kept. NULL and errno on failure. */
char *bf_verify_nft_ref_text(const char *text);

/* Rewrite the file at path with bf_verify_nft_ref_text(). 0 or -errno. */
int bf_verify_nft_ref_file(const char *path);
