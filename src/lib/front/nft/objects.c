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

int nft_print_kobjs(FILE *out, const struct bf_nft_table *t, const char *name)
{
	if (!t->n_kobjs)
		return 0;
	fprintf(out, "table %s %s {\n", bf_nft_family_name(t->family), name);
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
		fputc('\n', out);
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
