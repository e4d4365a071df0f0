// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's part of an nft ruleset, loaded with the nft command
 * (nftkern.h). Each change is one `nft -f` file, which nft applies as one
 * netlink transaction: all of it or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cli/nftkern.h"

static const char *nft_path(void)
{
	static const char *const paths[] = { "/usr/sbin/nft", "/sbin/nft",
					     "/usr/bin/nft" };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* `nft ARGS [FILE with input]`: its exit status (-errno when it could not
 * run), its output (stdout and stderr) in *out. */
static int run(const char *args, const char *input, char **out)
{
	const char *nft = nft_path();
	char path[] = "/tmp/bpfilter-nftXXXXXX";
	_cleanup_free_ char *cmd = NULL;
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *p, *m;
	int st, fd = -1;

	*out = NULL;
	if (!nft) {
		bf_log(BF_LOG_ERROR, "the nft command is not installed "
				     "(package nftables): it loads the chains "
				     "for the kernel (type nat, route; "
				     "prerouting, postrouting)");
		return -ENOENT;
	}
	if (input) {
		fd = mkstemp(path);
		if (fd < 0)
			return -errno;
		n = strlen(input);
		if (write(fd, input, n) != (ssize_t)n) {
			close(fd);
			unlink(path);
			return -EIO;
		}
		close(fd);
	}
	if (asprintf(&cmd, "%s %s %s 2>&1", nft, args, input ? path : "") < 0) {
		cmd = NULL;
		if (input)
			unlink(path);
		return -ENOMEM;
	}
	p = popen(cmd, "re");
	if (!p) {
		if (input)
			unlink(path);
		return -errno;
	}
	m = open_memstream(&buf, &len);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (m)
			fwrite(chunk, 1, n, m);
	if (m)
		fclose(m);
	st = pclose(p);
	if (input)
		unlink(path);
	*out = buf;
	return st;
}

/* Report nft's output, each line prefixed with path. */
static void report(const char *path, const char *what, const char *out)
{
	bf_log(BF_LOG_ERROR,
	       "%s: %s (the chains for the kernel: type nat, route; "
	       "prerouting, postrouting):",
	       path, what);
	for (const char *l = out; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t n = eol ? (size_t)(eol - l) : strlen(l);
		const char *c = memchr(l, ':', n);
		/* positions point into the script (`apply --dump` shows it),
		 * not into the temporary file's name */
		if (c && !strncmp(l, "/tmp/bpfilter-nft", 17))
			bf_log(BF_LOG_ERROR, "%s: nft: script%.*s", path,
			       (int)(n - (size_t)(c - l)), c);
		else if (n)
			bf_log(BF_LOG_ERROR, "%s: nft: %.*s", path, (int)n, l);
		l += n + (eol ? 1 : 0);
	}
}

/* The tables of a previous apply: "FAMILY NAME\n"... in *out. */
static int old_tables(char **out)
{
	_cleanup_free_ char *list = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int st;

	*out = NULL;
	if (!nft_path())
		return 0; /* none can exist */
	st = run("list tables", NULL, &list);
	if (st)
		return 0; /* nftables not usable here: none either */
	m = open_memstream(&buf, &len);
	if (!m)
		return -ENOMEM;
	for (char *l = list; l && *l;) {
		char *eol = strchr(l, '\n');
		char fam[16], name[256];
		if (eol)
			*eol = '\0';
		if (sscanf(l, "table %15s %255s", fam, name) == 2 &&
		    !strncmp(name, BF_NFT_KERNEL_PREFIX,
			     strlen(BF_NFT_KERNEL_PREFIX)))
			fprintf(m, "%s %s\n", fam, name);
		l = eol ? eol + 1 : l + strlen(l);
	}
	if (fclose(m))
		return -ENOMEM;
	*out = buf;
	return 0;
}

/* "table F N\ndelete table F N\n" for each "F N" line of tables (a table
 * that exists is deleted, one that does not is no error). */
static void print_deletes(FILE *m, const char *tables)
{
	for (const char *l = tables; l && *l;) {
		char fam[16], name[256];
		const char *eol = strchr(l, '\n');
		if (sscanf(l, "%15s %255s", fam, name) == 2)
			fprintf(m, "table %s %s\ndelete table %s %s\n", fam,
				name, fam, name);
		l = eol ? eol + 1 : l + strlen(l);
	}
}

/* "F N" lines of the tables a script creates ("table F N {"). */
static char *new_tables(const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	for (const char *l = text; l && *l;) {
		char fam[16], name[256];
		const char *eol = strchr(l, '\n');
		if (sscanf(l, "table %15s %255s {", fam, name) == 2)
			fprintf(m, "%s %s\n", fam, name);
		l = eol ? eol + 1 : l + strlen(l);
	}
	if (fclose(m))
		return NULL;
	return buf;
}

int cli_nftkern_prepare(const struct bf_nft *nft, const char *path,
			struct cli_nftkern *k)
{
	_cleanup_free_ char *text = NULL, *old = NULL, *made = NULL;
	_cleanup_free_ char *out = NULL;
	char *s = NULL, *u = NULL;
	size_t sl = 0, ul = 0;
	FILE *sm = NULL, *um = NULL;
	int r;

	memset(k, 0, sizeof(*k));
	r = bf_nft_kernel_text(nft, &text);
	if (r)
		return r;
	r = old_tables(&old);
	if (r)
		return r;
	if (!text && (!old || !*old))
		return 0;
	made = new_tables(text ? text : "");
	if (!made)
		return -ENOMEM;
	sm = open_memstream(&s, &sl);
	um = open_memstream(&u, &ul);
	if (!sm || !um) {
		if (sm)
			fclose(sm);
		if (um)
			fclose(um);
		free(s);
		free(u);
		return -ENOMEM;
	}
	print_deletes(sm, old);
	if (text)
		fputs(text, sm);
	/* undo: the new tables go, the old ones come back as listed now */
	print_deletes(um, made);
	print_deletes(um, old);
	for (const char *l = old; l && *l;) {
		char fam[16], name[256], args[300];
		const char *eol = strchr(l, '\n');
		_cleanup_free_ char *listing = NULL;
		if (sscanf(l, "%15s %255s", fam, name) == 2) {
			snprintf(args, sizeof(args), "list table %s %s", fam,
				 name);
			if (run(args, NULL, &listing)) {
				report(path, "cannot list the tables in force",
				       listing);
				r = -EIO;
			} else {
				fputs(listing, um);
			}
		}
		l = eol ? eol + 1 : l + strlen(l);
	}
	fclose(sm);
	fclose(um);
	k->script = s;
	k->undo = u;
	k->any = true;
	if (r)
		return r;
	r = run("-c -f", k->script, &out);
	if (r) {
		report(path, "the kernel's nftables refuse", out);
		return -EINVAL;
	}
	return 0;
}

/* With -v: what the script put in force, one line per table ("table F N
 * (chains A, B)"), or the tables it only deleted. */
static void tell(const char *script)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	bool open = false, made = false;

	if (!m)
		return;
	for (const char *l = script; l && *l;) {
		const char *eol = strchr(l, '\n');
		char a[16], b[256];
		if (!strncmp(l, "table ", 6) &&
		    sscanf(l, "table %15s %255s {", a, b) == 2 &&
		    memchr(l, '{', eol ? (size_t)(eol - l) : strlen(l))) {
			if (open)
				fputs(")\n", m);
			fprintf(m, "table %s %s (chains:", a, b);
			open = made = true;
		} else if (open && !strncmp(l, "\tchain ", 7) &&
			   sscanf(l + 7, "%255s", b) == 1) {
			fprintf(m, " %s", b);
		}
		l = eol ? eol + 1 : l + strlen(l);
	}
	if (open)
		fputs(")", m);
	if (fclose(m)) {
		free(buf);
		return;
	}
	if (made)
		bf_info("kernel's nftables: %s in force", buf);
	else
		bf_info("kernel's nftables: the tables of the previous apply deleted");
	free(buf);
}

int cli_nftkern_commit(const struct cli_nftkern *k, const char *path)
{
	_cleanup_free_ char *out = NULL;

	if (!k->any)
		return 0;
	if (run("-f", k->script, &out)) {
		report(path, "the kernel's nftables refuse", out);
		return -EINVAL;
	}
	tell(k->script);
	return 0;
}

int cli_nftkern_rollback(const struct cli_nftkern *k, const char *path)
{
	_cleanup_free_ char *out = NULL;

	if (!k->any)
		return 0;
	if (run("-f", k->undo, &out)) {
		report(path, "the old tables could not be put back", out);
		return -EIO;
	}
	return 0;
}

void cli_nftkern_free(struct cli_nftkern *k)
{
	free(k->script);
	free(k->undo);
	memset(k, 0, sizeof(*k));
}

int cli_nftkern_flush(void)
{
	_cleanup_free_ char *old = NULL, *s = NULL, *out = NULL;
	size_t sl = 0;
	FILE *sm;
	int r = old_tables(&old);

	if (r || !old || !*old)
		return r;
	sm = open_memstream(&s, &sl);
	if (!sm)
		return -ENOMEM;
	print_deletes(sm, old);
	fclose(sm);
	if (run("-f", s, &out)) {
		report("flush", "cannot delete the kernel's tables", out);
		return -EIO;
	}
	return 0;
}
