// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's iptables-restore as a child process, for the tables
 * bpfilter does not implement (nat, mangle, raw, security). The text goes
 * through a memfd rather than a pipe so that its size never matters and
 * the child's output can be read from one pipe without a deadlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "load/kernel.h"

extern char **environ;

/* The tool's path: as given when it holds a '/', else the first
 * executable regular file of that name in PATH. */
static int find_tool(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL;
	struct stat st;
	int r = -ENOENT;

	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, size, "%s", name) >= size)
			return -ENAMETOOLONG;
		return access(out, X_OK) ? -errno : 0;
	}
	dirs = strdup(path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	if (!dirs)
		return -ENOMEM;
	for (char *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, size, "%s/%s", d, name) >= size)
			continue;
		if (!stat(out, &st) && S_ISREG(st.st_mode) &&
		    !access(out, X_OK)) {
			r = 0;
			break;
		}
	}
	free(dirs);
	return r;
}

/* Whether path is the running program (bpfilter installed under the name
 * iptables-restore would run itself). */
static bool is_self(const char *path)
{
	struct stat a, b;

	return !stat(path, &a) && !stat("/proc/self/exe", &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Report the tool's output, one message per line. */
static void report(char *out, const char *file, const char *name, bool error)
{
	char *save = NULL;

	for (char *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		bf_log(error ? BF_LOG_ERROR : BF_LOG_INFO, "%s: %s: %s", file,
		       name, l);
}

int bf_kernel_tables_restore(const char *tool, enum bf_family family,
			     const char *text, const char *file, bool test)
{
	const char *name = tool;
	char path[PATH_MAX], *argv[3] = { NULL, NULL, NULL };
	_cleanup_close_ int mfd = -1, rfd = -1, wfd = -1;
	char *out = NULL;
	size_t len = 0, cap = 0;
	posix_spawn_file_actions_t fa;
	int pipefd[2], status, r;
	pid_t pid;

	if (!name)
		name = family == BF_FAMILY_INET4 ? "iptables-restore" :
						   "ip6tables-restore";
	argv[0] = (char *)name;
	r = find_tool(name, path, sizeof(path));
	if (r) {
		bf_err("%s: cannot hand the other tables to the kernel: %s: %s "
		       "(give its path with --iptables-restore)",
		       file, name, strerror(-r));
		return r;
	}
	if (is_self(path)) {
		bf_err("%s: %s is bpfilter itself, not the kernel's "
		       "iptables-restore: give that with --iptables-restore "
		       "PATH (e.g. /usr/sbin/iptables-nft-restore)",
		       file, path);
		return -ELOOP;
	}
	if (test)
		argv[1] = (char *)"--test";

	mfd = memfd_create("bpfilter-other-tables", MFD_CLOEXEC);
	if (mfd < 0)
		return -errno;
	for (size_t off = 0, n = strlen(text); off < n;) {
		ssize_t w = write(mfd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	if (lseek(mfd, 0, SEEK_SET) < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	rfd = pipefd[0];
	wfd = pipefd[1];

	/* dup2() clears close-on-exec on the child's 0, 1 and 2. */
	r = posix_spawn_file_actions_init(&fa);
	if (r)
		return -r;
	r = posix_spawn_file_actions_adddup2(&fa, mfd, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, wfd, 1);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, wfd, 2);
	if (!r)
		r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		bf_err("%s: cannot run %s: %s", file, path, strerror(r));
		return -r;
	}
	close(TAKE_FD(wfd));

	/* Read everything the child says until it closes its end; keep at
	 * most 64 KiB of it. */
	for (;;) {
		char chunk[4096];
		ssize_t n = read(rfd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + (size_t)n + 1 > cap && cap < (64u << 10)) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *p;

			while (ncap < len + (size_t)n + 1)
				ncap *= 2;
			p = realloc(out, ncap);
			if (!p)
				continue;
			out = p;
			cap = ncap;
		}
		if (len + (size_t)n + 1 <= cap) {
			memcpy(out + len, chunk, (size_t)n);
			len += (size_t)n;
			out[len] = '\0';
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			free(out);
			return r;
		}
	}

	r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
	if (out)
		report(out, file, name, r != 0);
	free(out);
	if (r) {
		if (WIFEXITED(status))
			bf_err("%s: the kernel's %s (%s) refused the other "
			       "tables (exit status %d)",
			       file, name, path, WEXITSTATUS(status));
		else
			bf_err("%s: %s (%s) did not exit normally", file, name,
			       path);
	}
	return r;
}
