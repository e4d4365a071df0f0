/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small process helpers of the verify engine (src/lib/verify): shell
 * commands, unique namespace names, the bpfilter binary that drives the
 * bpfilter side. Internal to the library and to tests/diff.
 */
#ifndef BF_VERIFY_VUTIL_H
#define BF_VERIFY_VUTIL_H

#include <stdarg.h>
#include <stddef.h>

/* Run a shell command; returns its exit status (128+N for signal N), -1 if
 * it could not run. stdout is flushed first. */
__attribute__((format(printf, 1, 2))) int bf_vsh(const char *fmt, ...);
/* The same, with its standard output in *out (malloc'd, "" when empty,
 * NULL only on failure to run). */
__attribute__((format(printf, 2, 3))) int bf_vsh_out(char **out,
						     const char *fmt, ...);
/* The same two taking a va_list (tests/lib/bftest.c's bft_sh() and
 * bft_sh_out() are these). */
int bf_vshv(const char *fmt, va_list ap);
int bf_vsh_outv(char **out, const char *fmt, va_list ap);
/* "<prefix(4)><pid>v<counter>": fits IFNAMSIZ, unique per process. */
void bf_vunique_name(char *buf, size_t size, const char *prefix);

/* The bpfilter binary run (under `ip netns exec`) for the bpfilter side
 * and for `flush` before a namespace is deleted. Default: $BF_BIN, else
 * the running executable if it is called bpfilter, else "bpfilter". */
const char *bf_verify_bin(void);
void bf_verify_set_bin(const char *path);

#endif /* BF_VERIFY_VUTIL_H */
