/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging. The library never prints: it reports through a callback that the
 * CLI (or a test) installs with bf_log_set(). Without a callback, messages
 * of level BF_LOG_ERROR and BF_LOG_WARN go to stderr.
 *
 * User-input errors are reported with a location, as "file:line: message"
 * (or "file:line:col: message"), through bf_log_at().
 */
#ifndef BPFILTER_LOG_H
#define BPFILTER_LOG_H

enum bf_log_level {
	BF_LOG_ERROR = 0,
	BF_LOG_WARN,
	BF_LOG_INFO,
	BF_LOG_DEBUG,
};

typedef void (*bf_log_fn)(enum bf_log_level level, const char *msg, void *data);

void bf_log_set(bf_log_fn fn, void *data);
/* The callback in place (to put it back after a temporary one). */
void bf_log_get(bf_log_fn *fn, void **data);
void bf_log(enum bf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "file:line: msg" (col <= 0 omits the column; line <= 0 omits both). */
void bf_log_at(enum bf_log_level level, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define bf_err(...) bf_log(BF_LOG_ERROR, __VA_ARGS__)
#define bf_warn(...) bf_log(BF_LOG_WARN, __VA_ARGS__)
#define bf_info(...) bf_log(BF_LOG_INFO, __VA_ARGS__)
#define bf_dbg(...) bf_log(BF_LOG_DEBUG, __VA_ARGS__)

#endif /* BPFILTER_LOG_H */
