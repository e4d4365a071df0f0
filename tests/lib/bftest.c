// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bftest.h"

bool bft_require_kernel(void)
{
	const char *v = getenv("BF_REQUIRE_KERNEL_TESTS");

	return v && strcmp(v, "0") != 0 && *v;
}

bool bft_kernel_available(const char **reason)
{
	union bpf_attr attr;
	int fd;

	if (geteuid() != 0) {
		*reason = "not running as root";
		return false;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = (int)syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0) {
		*reason = "bpf() is not permitted here";
		return false;
	}
	close(fd);
	if (access("/usr/sbin/ip", X_OK) != 0 &&
	    access("/sbin/ip", X_OK) != 0 && access("/usr/bin/ip", X_OK) != 0) {
		*reason = "iproute2 (ip) is not installed";
		return false;
	}
	return true;
}

const char *bft_root(void)
{
	static char root[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;
	char *p;

	if (root[0])
		return root;
	if (getenv("BF_ROOT")) {
		snprintf(root, sizeof(root), "%s", getenv("BF_ROOT"));
		return root;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* <root>/build[/...]/tests/<kind>/<name> */
		p = strstr(exe, "/build/");
		if (p) {
			*p = '\0';
			snprintf(root, sizeof(root), "%s", exe);
			return root;
		}
	}
	if (!getcwd(root, sizeof(root)))
		snprintf(root, sizeof(root), ".");
	return root;
}

const char *bft_corpus_dir(void)
{
	static char dir[PATH_MAX];
	struct stat st;

	if (getenv("BF_CORPUS"))
		snprintf(dir, sizeof(dir), "%s", getenv("BF_CORPUS"));
	else
		snprintf(dir, sizeof(dir), "%s/../shared/corpus", bft_root());
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

const char *bft_bpfilter_bin(void)
{
	static char bin[PATH_MAX];

	if (getenv("BF_BIN"))
		snprintf(bin, sizeof(bin), "%s", getenv("BF_BIN"));
	else
		snprintf(bin, sizeof(bin), "%s/build/bpfilter", bft_root());
	return bin;
}

static int status_of(int st)
{
	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int bft_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	fflush(stdout);
	r = status_of(system(cmd));
	free(cmd);
	return r;
}

int bft_sh_out(char **out, const char *fmt, ...)
{
	char *cmd = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	va_list ap;
	FILE *p;
	int r;

	*out = NULL;
	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return -1;
	for (;;) {
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
		size_t got = fread(buf + len, 1, 4096, p);

		if (got == 0)
			break;
		len += got;
	}
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	*out = buf;
	return status_of(pclose(p));
}

void bft_unique_name(char *buf, size_t size, const char *prefix)
{
	static unsigned int counter;

	snprintf(buf, size, "%.4s%d-%u", prefix, (int)getpid() % 100000,
		 counter++);
}
