// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conntrack objects for the kernel's nftables: `ct helper NAME { type
 * "ftp" protocol tcp; }` (OpenWrt fw4 declares twelve of them in every
 * ruleset), `ct timeout NAME { ... }` and `ct expectation NAME { ... }`
 * of ip, ip6 and inet tables. They do nothing by themselves: a rule
 * assigns one to a connection (`ct helper set "ftp"`, nft_ct_helper_obj_eval()
 * and friends), and that statement is kept as text for the kernel
 * (parse.c), so it is accepted only in chains that go to the kernel's
 * nftables (fw4: helper_lan, reached from its prerouting chain) and
 * refused in every chain bpfilter compiles. The objects therefore go,
 * as written, into the kernel's table (bf_nft_kernel_text()), where
 * those rules find them; the helpers they attach act on the conntrack
 * entries both parts read (an FTP data connection becomes `related` for
 * bpfilter's `ct state` as for nft's), as in the whole ruleset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_nft.h"
#include "front/nft/nft.h"

bool nft_kobj_kept(const struct bf_nft_table *t, const char *what)
{
	if (!what ||
	    (t->family != BF_NFT_FAMILY_IP && t->family != BF_NFT_FAMILY_IP6 &&
	     t->family != BF_NFT_FAMILY_INET))
		return false;
	return !strcmp(what, "helper") || !strcmp(what, "timeout") ||
	       !strcmp(what, "expectation");
}

int nft_table_add_kobj(struct bf_nft_table *t, char *text,
		       const struct bf_nft_loc *loc)
{
	struct bf_nft_kobj *v;

	v = realloc(t->kobjs, (t->n_kobjs + 1) * sizeof(*v));
	if (!v) {
		free(text);
		return -ENOMEM;
	}
	t->kobjs = v;
	v[t->n_kobjs].text = text;
	v[t->n_kobjs].loc = *loc;
	t->n_kobjs++;
	return 0;
}

/* The objects of t, one tab in, their lines one tab more. */
static void print_kobjs(FILE *out, const struct bf_nft_table *t)
{
	for (size_t i = 0; i < t->n_kobjs; i++) {
		/* the object's lines indented as nft lists them */
		fputc('\t', out);
		for (const char *c = t->kobjs[i].text; *c; c++) {
			if (*c != '\n') {
				fputc(*c, out);
				continue;
			}
			c += strspn(c + 1, " \t");
			fputs(c[1] == '}' ? "\n\t" : "\n\t\t", out);
		}
		fputs("\n\n", out);
	}
}

char *nft_insert_kobjs(const char *text, const struct bf_nft *view)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *p = text;

	if (!m)
		return NULL;
	/* bf_nft_print() writes each table as `table FAMILY NAME {` on a
	 * line of its own, in the view's order */
	for (size_t i = 0; i < view->n_tables; i++) {
		const struct bf_nft_table *t = &view->tables[i];
		char head[320];
		const char *at;

		if (!t->n_kobjs)
			continue;
		snprintf(head, sizeof(head), "table %s %s {\n",
			 bf_nft_family_name(t->family), t->name);
		at = strstr(p, head);
		if (!at) {
			/* no such line: the objects in a block of their own */
			fputs(head, m);
			print_kobjs(m, t);
			fputs("}\n", m);
			continue;
		}
		at += strlen(head);
		fwrite(p, 1, (size_t)(at - p), m);
		print_kobjs(m, t);
		p = at;
	}
	fputs(p, m);
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}
