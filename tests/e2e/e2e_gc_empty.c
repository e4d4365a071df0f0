// SPDX-License-Identifier: GPL-2.0-only
/*
 * `bpfilter gc` and the namespace directories left without any slot (a
 * run killed between making its directory and applying; empty recent /
 * hashlimit subdirectories): the one of a namespace that is gone is
 * removed, the one of a namespace still alive stays (src/lib/load/gc.c).
 * The directories are made as bf_netns_dir() names them: the pin root
 * and the namespace's cookie.
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bftest.h"
#include "load/pin.h"

struct gcx {
	char gone[16], live[16];
	char root[PATH_MAX];
	char dir_gone[PATH_MAX], dir_live[PATH_MAX];
};

/* The cookie of namespace ns (SO_NETNS_COOKIE from a socket made in it). */
static int cookie_of(const char *ns, unsigned long long *cookie)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	char path[128];
	uint64_t c = 0;
	int fd, r = -1;

	if (self < 0)
		return -1;
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !setns(fd, CLONE_NEWNET)) {
		r = bf_netns_cookie(&c);
		if (setns(self, CLONE_NEWNET))
			r = -1;
	}
	if (fd >= 0)
		close(fd);
	close(self);
	*cookie = c;
	return r;
}

static int setup(void **state)
{
	static struct gcx g;

	memset(&g, 0, sizeof(g));
	*state = &g;
	return 0;
}

static int teardown(void **state)
{
	struct gcx *g = *state;

	if (g->dir_gone[0])
		bft_sh("rmdir %s/recent %s 2>/dev/null", g->dir_gone,
		       g->dir_gone);
	if (g->dir_live[0])
		bft_sh("rmdir %s 2>/dev/null", g->dir_live);
	if (g->gone[0])
		bft_sh("ip netns del %s 2>/dev/null", g->gone);
	if (g->live[0])
		bft_sh("ip netns del %s 2>/dev/null", g->live);
	return 0;
}

static void test_gc_empty(void **state)
{
	struct gcx *g = *state;
	unsigned long long cg, cl;
	char *out = NULL;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(bf_pin_root(g->root, sizeof(g->root)), 0);
	bft_unique_name(g->gone, sizeof(g->gone), "gce");
	bft_unique_name(g->live, sizeof(g->live), "gcl");
	assert_int_equal(bft_sh("ip netns add %s && ip netns add %s", g->gone,
				g->live),
			 0);
	assert_int_equal(cookie_of(g->gone, &cg), 0);
	assert_int_equal(cookie_of(g->live, &cl), 0);
	assert_true(cg != cl);
	assert_int_equal(bf_path(g->dir_gone, sizeof(g->dir_gone), "%s/%llu",
				 g->root, cg),
			 0);
	assert_int_equal(bf_path(g->dir_live, sizeof(g->dir_live), "%s/%llu",
				 g->root, cl),
			 0);
	assert_int_equal(mkdir(g->dir_gone, 0700), 0);
	assert_int_equal(bft_sh("mkdir %s/recent", g->dir_gone), 0);
	assert_int_equal(mkdir(g->dir_live, 0700), 0);
	assert_int_equal(bft_sh("ip netns del %s", g->gone), 0);

	assert_int_equal(bft_sh_out(&out, "%s gc -n", bft_bpfilter_bin()), 0);
	print_message("%s", out ? out : "");
	assert_non_null(out);
	assert_non_null(strstr(out, "would remove"));
	assert_non_null(strstr(out, g->dir_gone));
	assert_null(strstr(out, g->dir_live));
	free(out);
	out = NULL;
	assert_int_equal(access(g->dir_gone, F_OK), 0); /* -n: only lists */

	assert_int_equal(bft_sh_out(&out, "%s gc", bft_bpfilter_bin()), 0);
	assert_non_null(out);
	assert_non_null(strstr(out, "removing"));
	assert_non_null(strstr(out, g->dir_gone));
	free(out);
	assert_int_not_equal(access(g->dir_gone, F_OK), 0);
	assert_int_equal(access(g->dir_live, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gc_empty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
