// SPDX-License-Identifier: GPL-2.0-only
/*
 * bf_gc(): remove the pinned state of network namespaces that nothing but
 * bpfilter keeps alive.
 *
 * A netfilter link holds a reference on its namespace (bpf_nf_link_attach()
 * in net/netfilter/nf_bpf_link.c takes one with get_net_track()), so a
 * namespace deleted with `ip netns del` without a flush stays alive,
 * unreachable, as long as our pins exist. Such a namespace is reachable
 * from no process (/proc/PID/ns/net), no open namespace fd
 * (/proc/PID/fd/N -> "net:[INO]") and no nsfs bind mount (/run/netns/NAME,
 * seen in mountinfo). Each slot's state records the namespace's nsfs inode,
 * unique while the namespace lives, so comparing the two finds orphans.
 *
 * A namespace directory without any slot (a run killed between making
 * it and applying, or the empty subdirectories of recent / hashlimit
 * tables) has no state to say whose it is: its name is the namespace's
 * cookie (SO_NETNS_COOKIE, bf_netns_dir()), so the cookies of the
 * reachable namespaces (a socket made in each, setns()) tell whether its
 * namespace is gone; then the directory, empty but for directories, is
 * removed under the namespace's lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cgen/m_hashlimit.h"
#include "cgen/m_recent.h"
#include "load/pin.h"
#include "load/state.h"

/* Bounds: namespaces reachable and processes inspected. */
#define MAX_NS 65536
#define MAX_FDS_PER_PID 65536

struct inoset {
	uint64_t *v;
	size_t n, cap;
};

static int add(struct inoset *s, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i] == ino)
			return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *v;

		if (cap > MAX_NS)
			return -E2BIG;
		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ino;
	return 0;
}

static bool has(const struct inoset *s, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i] == ino)
			return true;
	}
	return false;
}

/* "net:[4026531840]" -> inode */
static bool parse_net_link(const char *s, uint64_t *ino)
{
	unsigned long long v;

	if (sscanf(s, "net:[%llu]", &v) != 1)
		return false;
	*ino = v;
	return true;
}

static void scan_fds(struct inoset *set, const char *pid)
{
	char dir[64], path[PATH_MAX], link[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	bf_path(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) && n++ < MAX_FDS_PER_PID) {
		ssize_t len;
		uint64_t ino;

		if (e->d_name[0] == '.')
			continue;
		bf_path(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (parse_net_link(link, &ino))
			add(set, ino);
	}
	closedir(d);
}

/* The namespace of path (an nsfs file): its inode into inos and, the
 * first time, its cookie into cookies (entered with setns(); the caller
 * goes back). */
static void add_cookie(const char *path, struct inoset *inos,
		       struct inoset *cookies)
{
	struct stat st;
	uint64_t cookie;
	int fd;

	if (stat(path, &st) || has(inos, (uint64_t)st.st_ino))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!setns(fd, CLONE_NEWNET) && !bf_netns_cookie(&cookie) &&
	    !add(inos, (uint64_t)st.st_ino))
		add(cookies, cookie);
	close(fd);
}

/* The cookies of every namespace we can see being used (as
 * reachable()). */
static int reachable_cookies(struct inoset *cookies)
{
	_cleanup_close_ int self =
		open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_fclose_ FILE *mi = NULL;
	struct inoset inos = { 0 };
	char line[4096];
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (self < 0)
		return -errno;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX], fdir[64], link[64];
		struct dirent *f;
		DIR *fd;
		int n = 0;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		bf_path(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		add_cookie(path, &inos, cookies);
		bf_path(fdir, sizeof(fdir), "/proc/%s/fd", e->d_name);
		fd = opendir(fdir);
		while (fd && (f = readdir(fd)) && n++ < MAX_FDS_PER_PID) {
			ssize_t len;
			uint64_t ino;

			if (f->d_name[0] == '.' ||
			    bf_path(path, sizeof(path), "%s/%s", fdir,
				    f->d_name))
				continue;
			len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (parse_net_link(link, &ino))
				add_cookie(path, &inos, cookies);
		}
		if (fd)
			closedir(fd);
	}
	closedir(d);
	/* nsfs bind mounts, by their mount point */
	mi = fopen("/proc/self/mountinfo", "re");
	while (mi && fgets(line, sizeof(line), mi)) {
		char root[256], point[PATH_MAX];
		uint64_t ino;

		if (sscanf(line, "%*s %*s %*s %255s %4095s", root, point) ==
			    2 &&
		    parse_net_link(root, &ino))
			add_cookie(point, &inos, cookies);
	}
	if (setns(self, CLONE_NEWNET))
		r = -errno; /* cannot happen: our own namespace */
	free(inos.v);
	return r;
}

/* Is dir empty but for directories (depth levels at most)? */
static bool only_dirs(const char *dir, int depth)
{
	struct dirent *e;
	bool empty = true;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (empty && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		empty = depth > 0 &&
			!bf_path(path, sizeof(path), "%s/%s", dir, e->d_name) &&
			!lstat(path, &st) && S_ISDIR(st.st_mode) &&
			only_dirs(path, depth - 1);
	}
	closedir(d);
	return empty;
}

/* Remove dir, empty but for directories. */
static int rmdirs(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX];

		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !bf_path(path, sizeof(path), "%s/%s", dir, e->d_name))
			rmdirs(path);
	}
	closedir(d);
	return rmdir(dir) ? -errno : 0;
}

/* The namespace directories without any slot whose namespace is gone
 * (top of file). */
static int gc_empty(FILE *out, const char *root, bool dry_run)
{
	struct inoset cookies = { 0 };
	bool listed = false;
	struct dirent *e;
	DIR *d = opendir(root);
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char nsdir[PATH_MAX], *end;
		unsigned long long cookie;
		int lock;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		errno = 0;
		cookie = strtoull(e->d_name, &end, 10);
		if (errno || *end ||
		    bf_path(nsdir, sizeof(nsdir), "%s/%s", root, e->d_name) ||
		    !only_dirs(nsdir, 2))
			continue;
		if (!listed) {
			r = reachable_cookies(&cookies);
			if (r)
				break;
			listed = true;
		}
		if (has(&cookies, cookie))
			continue; /* alive: an apply may be about to fill it */
		fprintf(out,
			"%s %s (empty; network namespace cookie %llu is "
			"reachable from no process or mount)\n",
			dry_run ? "would remove" : "removing", nsdir, cookie);
		if (dry_run)
			continue;
		/* under its lock, and still empty */
		lock = bf_netns_lock(nsdir, true);
		if (lock < 0)
			continue;
		if (only_dirs(nsdir, 2) && rmdirs(nsdir))
			bf_warn("cannot remove %s: %s", nsdir, strerror(errno));
		close(lock);
	}
	closedir(d);
	free(cookies.v);
	return r;
}

/* Every namespace we can see being used; *blind counts processes we could
 * not inspect. */
static int reachable(struct inoset *set, int *blind)
{
	_cleanup_fclose_ FILE *mi = NULL;
	char line[4096];
	struct dirent *e;
	DIR *d;

	*blind = 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[64];
		struct stat st;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		bf_path(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &st) == 0)
			add(set, (uint64_t)st.st_ino);
		else if (errno != ENOENT)
			(*blind)++;
		scan_fds(set, e->d_name);
	}
	closedir(d);

	/* nsfs bind mounts: "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." with
	 * ROOT "net:[INO]". */
	mi = fopen("/proc/self/mountinfo", "re");
	while (mi && fgets(line, sizeof(line), mi)) {
		char root[256];
		uint64_t ino;

		if (sscanf(line, "%*s %*s %*s %255s", root) == 1 &&
		    parse_net_link(root, &ino))
			add(set, ino);
	}
	return 0;
}

int bf_gc(FILE *out, bool dry_run)
{
	struct inoset set = { 0 };
	char root[PATH_MAX];
	struct dirent *e;
	int blind = 0, r;
	DIR *d;

	r = bf_pin_root_find(root, sizeof(root));
	if (r)
		return r == -ENOENT ? 0 : r;

	r = reachable(&set, &blind);
	if (r)
		goto out;
	if (blind)
		bf_info("gc: %d processes could not be inspected (their "
			"namespaces count as unknown)",
			blind);

	d = opendir(root);
	if (!d) {
		r = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	while ((e = readdir(d))) {
		char nsdir[PATH_MAX];
		uint64_t ino = 0;
		struct dirent *s;
		DIR *sd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (bf_path(nsdir, sizeof(nsdir), "%s/%s", root, e->d_name))
			continue;
		sd = opendir(nsdir);
		if (!sd)
			continue;
		/* The namespace inode, from any slot's state. */
		while (!ino && (s = readdir(sd))) {
			char path[PATH_MAX];
			struct bf_state st;

			if (s->d_name[0] == '.' ||
			    bf_path(path, sizeof(path), "%s/%s/state", nsdir,
				    s->d_name) ||
			    bf_state_read(path, &st))
				continue;
			ino = st.hdr.netns_ino;
			bf_state_release(&st);
		}
		closedir(sd);
		if (!ino || has(&set, ino))
			continue; /* unknown, or alive */
		fprintf(out,
			"%s %s (network namespace %llu is reachable from "
			"no process or mount)\n",
			dry_run ? "would remove" : "removing", nsdir,
			(unsigned long long)ino);
		if (dry_run)
			continue;
		/* xt_recent / xt_hashlimit tables (subdirectories) */
		bf_recent_unpin_all(nsdir);
		bf_hashlimit_unpin_all(nsdir);
		sd = opendir(nsdir);
		while (sd && (s = readdir(sd))) {
			char path[PATH_MAX];

			if (s->d_name[0] == '.' ||
			    bf_path(path, sizeof(path), "%s/%s", nsdir,
				    s->d_name))
				continue;
			bf_pin_rmdir(path);
		}
		if (sd)
			closedir(sd);
		if (rmdir(nsdir))
			bf_warn("cannot remove %s: %s", nsdir, strerror(errno));
	}
	closedir(d);
	r = gc_empty(out, root, dry_run);
out:
	free(set.v);
	return r;
}
