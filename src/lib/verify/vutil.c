// SPDX-License-Identifier: GPL-2.0-only
#include "verify/vutil.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char bin[PATH_MAX];

static int exit_status(int st)
{
	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int bf_vshv(const char *fmt, va_list ap)
{
	char *cmd = NULL;
	int r;

	r = vasprintf(&cmd, fmt, ap);
	if (r < 0)
		return -1;
	fflush(stdout);
	r = exit_status(system(cmd));
	free(cmd);
	return r;
}

int bf_vsh(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bf_vshv(fmt, ap);
	va_end(ap);
	return r;
}

int bf_vsh_outv(char **out, const char *fmt, va_list ap)
{
	char *cmd = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	int r;

	*out = NULL;
	r = vasprintf(&cmd, fmt, ap);
	if (r < 0)
		return -1;
	fflush(stdout);
	p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return -1;
	for (;;) {
		size_t got;

		if (len + 4096 + 1 > cap) {
			char *n;

			cap = cap ? cap * 2 : 8192;
			n = realloc(buf, cap);
			if (!n) {
				free(buf);
				pclose(p);
				return -1;
			}
			buf = n;
		}
		got = fread(buf + len, 1, 4096, p);
		if (got == 0)
			break;
		len += got;
	}
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	*out = buf;
	return exit_status(pclose(p));
}

int bf_vsh_out(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bf_vsh_outv(out, fmt, ap);
	va_end(ap);
	return r;
}

void bf_vunique_name(char *buf, size_t size, const char *prefix)
{
	static unsigned int counter;

	snprintf(buf, size, "%.4s%dv%u", prefix, (int)getpid() % 100000,
		 counter++);
}

const char *bf_verify_bin(void)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (bin[0])
		return bin;
	if (getenv("BF_BIN") && *getenv("BF_BIN")) {
		snprintf(bin, sizeof(bin), "%s", getenv("BF_BIN"));
		return bin;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		const char *base;

		exe[n] = '\0';
		base = strrchr(exe, '/');
		base = base ? base + 1 : exe;
		if (!strcmp(base, "bpfilter")) {
			snprintf(bin, sizeof(bin), "%s", exe);
			return bin;
		}
	}
	snprintf(bin, sizeof(bin), "bpfilter");
	return bin;
}

void bf_verify_set_bin(const char *path)
{
	snprintf(bin, sizeof(bin), "%s", path ? path : "");
}
