// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft input for `bpfilter apply --format nft` and `bpfilter import nft`:
 * the ruleset is parsed and lowered to the IR by the nft front end, and
 * the IR is handed to bf_apply() as the iptables-save text of each family
 * (bf_ipt_print() prints the IR exactly; the iptables front end reads it
 * back into the same IR), so that everything after the front end is the
 * one apply path.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cli/cli.h"
#include "cli/nft.h"

bool cli_nft_detect(const char *path)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[512];

	if (!path || !strcmp(path, "-"))
		return false;
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, word[16];
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		if (!strncmp(p, "#!", 2))
			return strstr(p, "nft") != NULL;
		if (*p == '#')
			continue; /* both syntaxes have # comments */
		if (sscanf(p, "%15s", word) != 1)
			return false;
		return !strcmp(word, "table") || !strcmp(word, "flush") ||
		       !strcmp(word, "define") || !strcmp(word, "include") ||
		       !strcmp(word, "add") || !strcmp(word, "nft");
	}
	return false;
}

static int lower_text(struct bf_nft *nft, struct bf_apply_opts *o,
		      struct cli_nft_bufs *b)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	int r;

	if (!rs)
		return -ENOMEM;
	r = bf_nft_lower(nft, rs);
	if (r) {
		bf_ruleset_free(&rs);
		return r;
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		size_t len = 0;
		FILE *m = open_memstream(&b->text[f], &len);
		if (!m) {
			bf_ruleset_free(&rs);
			return -ENOMEM;
		}
		/* A family the nft ruleset has no table for gets an empty
		 * table: `nft -f` with `flush ruleset` leaves nothing else. */
		r = bf_ipt_print(m, rs, f, 0);
		if (fclose(m) || r) {
			bf_ruleset_free(&rs);
			return r ? r : -ENOMEM;
		}
		b->in[f] = fmemopen(b->text[f], strlen(b->text[f]), "r");
		if (!b->in[f]) {
			bf_ruleset_free(&rs);
			return -errno;
		}
		o->input[f].in = b->in[f];
		if (!o->input[f].path)
			o->input[f].path = f ? "nft (ip6)" : "nft (ip)";
	}
	bf_ruleset_free(&rs);
	return 0;
}

int cli_nft_inputs(const char *path, struct bf_apply_opts *o,
		   struct cli_nft_bufs *b)
{
	struct bf_nft *nft = NULL;
	int r;

	memset(b, 0, sizeof(*b));
	if (!strcmp(path, "-")) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		char chunk[65536];
		size_t n;
		if (!m)
			return -ENOMEM;
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			fwrite(chunk, 1, n, m);
		if (fclose(m) || ferror(stdin))
			return -EIO;
		r = bf_nft_parse_str(buf, "<stdin>", &nft);
	} else {
		r = bf_nft_parse_file(path, &nft);
	}
	if (r)
		return r;
	o->input[BF_FAMILY_INET4].path = NULL;
	o->input[BF_FAMILY_INET6].path = NULL;
	r = lower_text(nft, o, b);
	bf_nft_free(&nft);
	return r;
}

void cli_nft_bufs_free(struct cli_nft_bufs *b)
{
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (b->in[f])
			fclose(b->in[f]);
		free(b->text[f]);
		b->in[f] = NULL;
		b->text[f] = NULL;
	}
}

int cli_nft_print_lowered(const char *path, FILE *out)
{
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs;
	int r = bf_nft_parse_file(path, &nft);

	if (r)
		return r;
	rs = bf_ruleset_new();
	if (!rs) {
		bf_nft_free(&nft);
		return -ENOMEM;
	}
	r = bf_nft_lower(nft, rs);
	for (int f = 0; !r && f < BF_FAMILY_COUNT; f++)
		r = bf_ipt_print(out, rs, f, 0);
	bf_ruleset_free(&rs);
	bf_nft_free(&nft);
	return r;
}
