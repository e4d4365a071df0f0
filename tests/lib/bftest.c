// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bftest.h"
#include "verify/vutil.h"

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

int bft_sh(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bf_vshv(fmt, ap);
	va_end(ap);
	return r;
}

int bft_sh_out(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bf_vsh_outv(out, fmt, ap);
	va_end(ap);
	return r;
}

void bft_unique_name(char *buf, size_t size, const char *prefix)
{
	static unsigned int counter;

	snprintf(buf, size, "%.4s%d-%u", prefix, (int)getpid() % 100000,
		 counter++);
}

void bft_log_capture(enum bf_log_level level, const char *msg, void *data)
{
	struct bft_logcap *c = data;
	int n;

	(void)level;
	n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s\n", msg);
	if (n > 0 && c->len + (size_t)n < sizeof(c->text))
		c->len += (size_t)n;
}

int bft_enter_netns(const char *name)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}
