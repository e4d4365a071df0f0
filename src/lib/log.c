// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>

#include "bpfilter/log.h"

static bf_log_fn log_fn;
static void *log_data;

void bf_log_set(bf_log_fn fn, void *data)
{
	log_fn = fn;
	log_data = data;
}

void bf_log_get(bf_log_fn *fn, void **data)
{
	*fn = log_fn;
	*data = log_data;
}

static void emit(enum bf_log_level level, const char *msg)
{
	if (log_fn) {
		log_fn(level, msg, log_data);
		return;
	}
	if (level <= BF_LOG_WARN)
		fprintf(stderr, "%s\n", msg);
}

void bf_log(enum bf_log_level level, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(level, buf);
}

void bf_log_at(enum bf_log_level level, const char *file, int line, int col,
	       const char *fmt, ...)
{
	char msg[3800];
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!file)
		file = "<input>";
	if (line <= 0)
		snprintf(buf, sizeof(buf), "%s: %s", file, msg);
	else if (col <= 0)
		snprintf(buf, sizeof(buf), "%s:%d: %s", file, line, msg);
	else
		snprintf(buf, sizeof(buf), "%s:%d:%d: %s", file, line, col,
			 msg);
	emit(level, buf);
}
