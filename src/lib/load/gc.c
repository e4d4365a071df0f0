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
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
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
	r = 0;
out:
	free(set.v);
	return r;
}
