// SPDX-License-Identifier: GPL-2.0-only
/* nft element syntax for sets lowered from nft named sets (nftelem.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/log.h"
#include "set/ipset.h"
#include "set/nftelem.h"

/* Split `A . B . C` at dots with blanks on both sides (an IPv4 address
 * has dots without blanks); parts trimmed in place. */
static int split_concat(char *s, char **parts, int max)
{
	int n = 0;
	char *p = s;

	parts[n++] = s;
	while ((p = strchr(p, '.'))) {
		if (p > s && isspace((unsigned char)p[-1]) &&
		    isspace((unsigned char)p[1])) {
			if (n == max)
				return max + 1;
			*p = '\0';
			parts[n++] = p + 1;
		}
		p++;
	}
	for (int i = 0; i < n; i++) {
		char *b = parts[i], *e;

		while (isspace((unsigned char)*b))
			b++;
		e = b + strlen(b);
		while (e > b && isspace((unsigned char)e[-1]))
			*--e = '\0';
		parts[i] = b;
	}
	return n;
}

int bf_set_nft_elem_in(const struct bf_set *set, const char *in, char *out,
		       size_t size)
{
	char buf[300], *parts[BF_SET_DIM_MAX + 1];
	size_t len = 0;
	int n;

	if (strlen(in) >= sizeof(buf))
		return -E2BIG;
	strcpy(buf, in);
	n = split_concat(buf, parts, BF_SET_DIM_MAX);
	if (n == 1) {
		/* one part: ipset syntax (or a one-dimension element) */
		if ((size_t)snprintf(out, size, "%s", parts[0]) >= size)
			return -E2BIG;
		return 0;
	}
	if (n != set->n_dims) {
		bf_err("'%s' is not an element of set %s (%d parts, the set "
		       "has %u)",
		       in, set->name, n, set->n_dims);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		const char *proto = "";
		int w;

		if (set->dims[i].type == BF_SET_DIM_PROTO_PORT &&
		    set->nft_proto && !strchr(parts[i], ':'))
			proto = set->nft_proto == 6 ? "tcp:" : "udp:";
		w = snprintf(out + len, size - len, "%s%s%s", i ? "," : "",
			     proto, parts[i]);
		if (w < 0 || (size_t)w >= size - len)
			return -E2BIG;
		len += (size_t)w;
	}
	return 0;
}

void bf_set_nft_elem_print(FILE *out, const struct bf_set *set,
			   const struct bf_set_elem *e)
{
	char *text = NULL, *p;
	size_t len = 0;
	FILE *m;

	if (!set->nft_proto) {
		bf_ipset_print_elem(out, set, e, true);
		return;
	}
	m = open_memstream(&text, &len);
	if (!m)
		return;
	bf_ipset_print_elem(m, set, e, true);
	if (fclose(m)) {
		free(text);
		return;
	}
	/* "A,tcp:P[ options]" -> "A . P[ options]" */
	p = strchr(text, ',');
	if (p && (!strncmp(p + 1, "tcp:", 4) || !strncmp(p + 1, "udp:", 4))) {
		*p = '\0';
		fprintf(out, "%s . %s", text, p + 5);
	} else {
		fputs(text, out);
	}
	free(text);
}
