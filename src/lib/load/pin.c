// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "compat.h"
#include "load/pin.h"

#define DEFAULT_ROOT "/run/bpfilter"
/* Bound on the parent chain we walk (a chain of processes is short). */
#define MAX_ANCESTORS 64

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 &&
	       (unsigned long)st.f_type == (unsigned long)BPF_FS_MAGIC;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int mount_bpffs(const char *path)
{
	int r = mkdir_p(path, 0700);

	if (r)
		return r;
	if (mount("bpffs", path, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700"))
		return -errno;
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	_cleanup_fclose_ FILE *f = NULL;
	char *p;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		return -1;
	/* "pid (comm) state ppid ...": comm may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

static int mnt_ns_of(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/*
 * The farthest ancestor we can see whose mount namespace differs from
 * ours (ip netns exec unshares one per command), or 0. PID 1 is usually
 * not readable (undumpable), so we never depend on it.
 */
static pid_t outer_ancestor(void)
{
	char self[64], ns[64];
	pid_t pid = getppid(), found = 0;

	if (mnt_ns_of(getpid(), self, sizeof(self)))
		return 0;
	for (int i = 0; i < MAX_ANCESTORS && pid > 1; i++) {
		if (mnt_ns_of(pid, ns, sizeof(ns)) == 0 &&
		    strcmp(ns, self) != 0) {
			char root[64];

			snprintf(root, sizeof(root), "/proc/%d/root/",
				 (int)pid);
			if (access(root, X_OK) == 0)
				found = pid;
		}
		pid = parent_of(pid);
	}
	return found;
}

/* Mount bpffs on path inside the mount namespace of pid, from a child
 * (setns() into a mount namespace needs a single-threaded caller). */
static int mount_in_ns_of(pid_t pid, const char *path)
{
	char nspath[64];
	int status;
	pid_t child;

	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/mnt", (int)pid);
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		int fd = open(nspath, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNS))
			_exit(10);
		if (is_bpffs(path))
			_exit(0);
		_exit(mount_bpffs(path) ? 11 : 0);
	}
	if (waitpid(child, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EPERM;
	return 0;
}

int bf_pin_root(char *root, size_t size)
{
	const char *want = getenv("BPFILTER_PIN_ROOT");
	char via[PATH_MAX];
	pid_t anc;
	int r;

	if (!want || !*want)
		want = DEFAULT_ROOT;
	if (want[0] != '/') {
		bf_err("BPFILTER_PIN_ROOT must be an absolute path");
		return -EINVAL;
	}
	if (is_bpffs(want)) {
		snprintf(root, size, "%s", want);
		return 0;
	}

	anc = outer_ancestor();
	if (anc > 0) {
		/* A private mount namespace (ip netns exec): pins made in a
		 * bpffs of ours would vanish with it. Use (or make) the
		 * outer namespace's bpffs and reach it through
		 * /proc/ANCESTOR/root when the mount does not propagate. */
		snprintf(via, sizeof(via), "/proc/%d/root%s", (int)anc, want);
		if (!is_bpffs(via)) {
			r = mount_in_ns_of(anc, want);
			if (r) {
				bf_err("cannot mount bpffs on %s in the mount "
				       "namespace of process %d: %s",
				       want, (int)anc, strerror(-r));
				return r;
			}
		}
		if (is_bpffs(want))
			snprintf(root, size, "%s", want);
		else if (is_bpffs(via))
			snprintf(root, size, "%s", via);
		else {
			bf_err("bpffs on %s is not reachable", want);
			return -ENOENT;
		}
		return 0;
	}

	r = mount_bpffs(want);
	if (r) {
		bf_err("cannot mount bpffs on %s: %s", want, strerror(-r));
		return r;
	}
	snprintf(root, size, "%s", want);
	return 0;
}

int bf_pin_root_find(char *root, size_t size)
{
	const char *want = getenv("BPFILTER_PIN_ROOT");
	pid_t anc;

	if (!want || !*want)
		want = DEFAULT_ROOT;
	snprintf(root, size, "%s", want);
	if (is_bpffs(root))
		return 0;
	anc = outer_ancestor();
	if (anc <= 0)
		return -ENOENT;
	snprintf(root, size, "/proc/%d/root%s", (int)anc, want);
	return is_bpffs(root) ? 0 : -ENOENT;
}

int bf_netns_cookie(uint64_t *cookie)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(*cookie);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		return -errno;
	return 0;
}

int bf_netns_dir(char *dir, size_t size, bool create)
{
	char root[PATH_MAX];
	uint64_t cookie = 0; /* set whenever bf_netns_cookie() returns 0 */
	int r;

	r = create ? bf_pin_root(root, sizeof(root)) :
		     bf_pin_root_find(root, sizeof(root));
	if (r)
		return r;
	r = bf_netns_cookie(&cookie);
	if (r) {
		bf_err("cannot read the network namespace cookie: %s",
		       strerror(-r));
		return r;
	}
	if ((size_t)snprintf(dir, size, "%s/%llu", root,
			     (unsigned long long)cookie) >= size)
		return -ENAMETOOLONG;
	if (create) {
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
	} else if (access(dir, F_OK)) {
		return -ENOENT;
	}
	return 0;
}

/* The lock held by a transaction over several slots (load/multi.h):
 * bf_netns_lock() of that directory in this process hands out a dup of
 * it, so that bf_apply()/bf_flush() run inside the transaction. */
static int held_lock_fd = -1;
static char held_lock_dir[PATH_MAX];

void bf_netns_lock_held(const char *dir, int fd)
{
	held_lock_fd = dir ? fd : -1;
	snprintf(held_lock_dir, sizeof(held_lock_dir), "%s", dir ? dir : "");
}

int bf_netns_lock(const char *dir, bool exclusive)
{
	int fd;

	if (held_lock_fd >= 0 && !strcmp(dir, held_lock_dir)) {
		fd = fcntl(held_lock_fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int bf_pin_unlink(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strncmp(base, "jmp_", 4)) {
		int fd = bpf_obj_get(path);
		uint32_t k = 0;

		if (fd >= 0) {
			bpf_map_delete_elem(fd, &k);
			close(fd);
		}
	}
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

int bf_pin_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		bf_pin_unlink(path);
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}

int bf_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int bf_prog_find_map(int prog_fd, uint32_t type, const char *name,
		     uint32_t value_size, uint32_t max_entries)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info), n;
	_cleanup_free_ uint32_t *ids = NULL;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	n = info.nr_map_ids;
	if (!n)
		return -ENOENT;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	if (info.nr_map_ids < n)
		n = info.nr_map_ids;
	for (uint32_t i = 0; i < n; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) &&
		    mi.type == type && !strcmp(mi.name, name) &&
		    (!value_size || mi.value_size == value_size) &&
		    (!max_entries || mi.max_entries == max_entries))
			return fd;
		close(fd);
	}
	return -ENOENT;
}
