/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the `bpfilter verify` end-to-end tests
 * (tests/diff/diff_verify.c, tests/diff/diff_verify_nft.c): the bpfilter
 * binary required, a scratch file written, a command's output shown.
 */
#pragma once

/* In a cmocka test: skip (or fail under BF_REQUIRE_KERNEL_TESTS=1) unless
 * kernel tests can run and bft_bpfilter_bin() is built. */
void bft_require_bin(void);

/* Write text to path (created or truncated); a cmocka failure if not. */
void bft_write_file(const char *path, const char *text);

/* bft_sh_out(), and its output (if any) printed on stdout for the log. */
int bft_sh_shown(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
