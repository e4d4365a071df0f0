// SPDX-License-Identifier: GPL-2.0-only
/*
 * What verify loads into the reference's nftables (nftref.h). Only the
 * one spelling nft 1.0.6 refuses is rewritten: `priority dstnat` after
 * `hook output` (nft's std_prio table of 1.0.6 lists dstnat for
 * prerouting only; bpfilter's own kernel part writes every priority as a
 * number, kernpart.c numeric_prios()). dstnat is -100 in ip, ip6 and
 * inet tables, the only families with a nat type.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/verify.h"
#include "verify/nftref.h"

char *bf_verify_nft_ref_text(const char *text)
{
	static const char hook[] = "hook output priority dstnat";
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *p = text;

	if (!m)
		return NULL;
	for (;;) {
		const char *at = strstr(p, hook);
		size_t n = strlen(hook);
		if (!at) {
			fputs(p, m);
			break;
		}
		/* a whole word: `dstnat;`, `dstnat ` or `dstnat + 10` */
		if (at[n] && at[n] != ';' && at[n] != ' ' && at[n] != '\t' &&
		    at[n] != '\n') {
			fwrite(p, 1, (size_t)(at - p) + n, m);
			p = at + n;
			continue;
		}
		int d = 0, k = 0;
		if (sscanf(at + n, " + %d%n", &d, &k) == 1)
			;
		else if (sscanf(at + n, " - %d%n", &d, &k) == 1)
			d = -d;
		else
			k = 0;
		fwrite(p, 1, (size_t)(at - p) + n - strlen("dstnat"), m);
		fprintf(m, "%d", -100 + d);
		p = at + n + k;
	}
	if (fclose(m)) {
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	return buf;
}

int bf_verify_nft_ref_file(const char *path)
{
	_cleanup_free_ char *text = bf_verify_read_file(path);
	_cleanup_free_ char *ref = NULL;
	size_t len;
	ssize_t w;
	int fd;

	if (!text)
		return -errno;
	ref = bf_verify_nft_ref_text(text);
	if (!ref)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = strlen(ref);
	w = write(fd, ref, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -EIO;
}
