// SPDX-License-Identifier: GPL-2.0-only
/* See confirm.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfilter/log.h"
#include "load/confirm.h"
#include "load/pin.h"

int bf_confirm_path(char *buf, size_t size, enum bf_slot_kind kind,
		    const char *ifname)
{
	uint64_t cookie;
	int r = bf_netns_cookie(&cookie);

	if (r)
		return r;
	if (kind == BF_SLOT_NF)
		return bf_path(buf, size, "%s/%llu-nf", BF_CONFIRM_DIR,
			       (unsigned long long)cookie);
	return bf_path(buf, size, "%s/%llu-%s-%s", BF_CONFIRM_DIR,
		       (unsigned long long)cookie, bf_slot_kind_name(kind),
		       ifname);
}

bool bf_confirm_holds(const char *path, pid_t pid)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && atoi(buf) == (int)pid;
}

void bf_confirm_deadline(struct timespec *end, unsigned int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, end);
	end->tv_sec += seconds;
}

bool bf_confirm_expired(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

static void helper_start(int wfd, char (*files)[PATH_MAX], size_t n,
			 void (*child_init)(void *data),
			 void (*run)(void *data), void *data)
{
	char pid[32];
	pid_t h;
	int fd;

	if (child_init)
		child_init(data);
	setsid();
	h = fork();
	if (h != 0)
		_exit(h < 0);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	for (size_t i = 0; i < n; i++) {
		fd = open(files[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
			_exit(1);
		close(fd);
	}
	if (write(wfd, "1", 1) != 1)
		_exit(1);
	close(wfd);
	run(data);
	_exit(0);
}

int bf_confirm_spawn(char (*files)[PATH_MAX], size_t n,
		     void (*child_init)(void *data), void (*run)(void *data),
		     void *data)
{
	int pfd[2], r = 0;
	pid_t child;
	char c;

	if (mkdir(BF_CONFIRM_DIR, 0700) && errno != EEXIST) {
		r = -errno;
		bf_err("cannot create %s: %s", BF_CONFIRM_DIR, strerror(-r));
		return r;
	}
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (child == 0) {
		close(pfd[0]);
		helper_start(pfd[1], files, n, child_init, run, data);
	}
	close(pfd[1]);
	waitpid(child, NULL, 0);
	if (read(pfd[0], &c, 1) != 1)
		r = -ECHILD;
	close(pfd[0]);
	return r;
}
