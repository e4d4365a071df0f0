// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conntrack activation (see doc/hooks.md, "Conntrack").
 *
 * The kernel runs conntrack in a network namespace only while something
 * holds a reference through nf_ct_netns_get(): iptables' state/conntrack
 * matches do it from their checkentry. A BPF netfilter program reading
 * skb->_nfct has no such hook, so we hold the reference with a tiny
 * nftables table whose regular (unhooked) chain has a `ct state`
 * expression: nft_ct_get_init() calls nf_ct_netns_get() for it, yet the
 * chain never sees a packet. Flushing removes the table.
 *
 * One table per family (`ip` / `ip6`): nft_ct_get_init() asks for its
 * table's family only, as iptables' state and conntrack matches ask for
 * theirs (xt_check_match() -> nf_ct_netns_get(net, par->family)). An
 * `inet` table would also switch on IPv6 conntrack and its defragmentation
 * for an IPv4-only ruleset, which changes what happens to IPv6 fragments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfilter/log.h"
#include "load/ct.h"
#include "load/state.h"

#define CT_TABLE "bpfilter_ct"

static const char *const nft_paths[] = { "/usr/sbin/nft", "/sbin/nft",
					 "/usr/bin/nft" };

/* Run nft -f - with script on stdin; returns its exit status or -errno. */
static int run_nft(const char *script, bool quiet)
{
	const char *nft = NULL;
	int pfd[2], status;
	pid_t pid;
	size_t len = strlen(script);

	for (size_t i = 0; i < sizeof(nft_paths) / sizeof(nft_paths[0]); i++) {
		if (access(nft_paths[i], X_OK) == 0) {
			nft = nft_paths[i];
			break;
		}
	}
	if (!nft)
		return -ENOENT;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(pfd[0], 0);
		if (null >= 0) {
			dup2(null, 1);
			if (quiet)
				dup2(null, 2);
		}
		execl(nft, "nft", "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(pfd[1], script + off, len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(pfd[1]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static const struct {
	unsigned int flag;
	const char *family;
} ct_families[] = {
	{ BF_STATE_USES_CT, "ip" },
	{ BF_STATE_USES_CT6, "ip6" },
};

int bf_ct_enable(unsigned int flags)
{
	for (size_t i = 0; i < sizeof(ct_families) / sizeof(ct_families[0]);
	     i++) {
		const char *fam = ct_families[i].family;
		char script[512];
		int r;

		if (!(flags & ct_families[i].flag))
			continue;
		/* Declaring the table creates it if absent; flushing it
		 * first makes the script idempotent (one rule, however
		 * often we run it). */
		snprintf(script, sizeof(script),
			 "table %s " CT_TABLE "\n"
			 "flush table %s " CT_TABLE "\n"
			 "table %s " CT_TABLE " {\n"
			 "\tcomment \"held by bpfilter: keeps conntrack "
			 "active\"\n"
			 "\tchain track {\n"
			 "\t\tct state established\n"
			 "\t}\n"
			 "}\n",
			 fam, fam, fam);
		r = run_nft(script, false);
		if (r == -ENOENT) {
			bf_err("conntrack state matches need nft (package "
			       "nftables) to make conntrack run in this "
			       "namespace");
			return r;
		}
		if (r) {
			bf_err("cannot create the nftables table %s %s that "
			       "keeps conntrack active (nft exited with %d)",
			       fam, CT_TABLE, r);
			return -EIO;
		}
	}
	return 0;
}

int bf_ct_disable(unsigned int flags)
{
	int ret = 0;

	/* The single inet table of older versions, if still there. */
	run_nft("delete table inet " CT_TABLE "\n", true);
	for (size_t i = 0; i < sizeof(ct_families) / sizeof(ct_families[0]);
	     i++) {
		char script[128];
		int r;

		if (!(flags & ct_families[i].flag))
			continue;
		snprintf(script, sizeof(script),
			 "delete table %s " CT_TABLE "\n",
			 ct_families[i].family);
		/* Absent table: nft fails quietly, nothing to do. */
		r = run_nft(script, true);
		if (r < 0 && r != -ENOENT)
			ret = r;
	}
	return ret;
}

int bf_ct_acct_enable(void)
{
	const char *path = "/proc/sys/net/netfilter/nf_conntrack_acct";
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0 || write(fd, "1", 1) != 1) {
		r = -errno;
		bf_err("cannot turn on conntrack accounting (%s) that the "
		       "connbytes match needs: %s",
		       path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return r;
}
