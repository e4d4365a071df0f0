// SPDX-License-Identifier: GPL-2.0-only
/* nft element syntax for sets lowered from nft named sets (nftelem.h). */
#include <arpa/inet.h>
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

/* Cut ` : accept|drop` off the end of s (the ':' after a blank: IPv6
 * addresses have colons without). 1: none there, 0: cut (*drop set),
 * -EINVAL: a ':' verdict that is neither. With jmap (a verdict map with
 * chains) every nft verdict is taken and written into jv as the value
 * of the element option nft-verdict (`jump:CHAIN`). */
static int cut_verdict(char *s, bool *drop, bool jmap, char *jv, size_t jsize)
{
	char *c = strrchr(s, ':'), *v;

	if (!c || c == s || !isspace((unsigned char)c[-1]))
		return 1;
	v = c + 1;
	while (isspace((unsigned char)*v))
		v++;
	if (jmap) {
		char *sp = strpbrk(v, " \t");
		char *chain = sp;

		while (chain && isspace((unsigned char)*chain))
			chain++;
		if (sp && (size_t)snprintf(jv, jsize, "%.*s:%s", (int)(sp - v),
					   v, chain) >= jsize)
			return -EINVAL;
		if (!sp && (size_t)snprintf(jv, jsize, "%s", v) >= jsize)
			return -EINVAL;
		*c = '\0';
		return 0;
	}
	if (!strcmp(v, "accept") || !strcmp(v, "drop")) {
		*drop = v[0] == 'd';
		*c = '\0';
		return 0;
	}
	return -EINVAL;
}

int bf_set_nft_elem_in(const struct bf_set *set, const char *in, char *out,
		       size_t size, bool need_verdict, bool *nomatch,
		       char *jverdict, size_t jsize)
{
	char buf[300], *parts[BF_SET_DIM_MAX + 1];
	size_t len = 0;
	int n;

	*nomatch = false;
	if (jsize)
		jverdict[0] = '\0';
	if (strlen(in) >= sizeof(buf))
		return -E2BIG;
	strcpy(buf, in);
	if (set->nft_vmap) {
		int r = cut_verdict(buf, nomatch, set->nft_jmap, jverdict,
				    jsize);

		if (r < 0 || (r && need_verdict)) {
			if (set->nft_jmap)
				bf_err("'%s': an element of verdict map %s "
				       "is KEY : VERDICT (accept, drop, "
				       "continue, return, jump CHAIN, goto "
				       "CHAIN)",
				       in, set->name);
			else
				bf_err("'%s': an element of verdict map %s "
				       "is KEY : accept or KEY : drop (a map "
				       "lowered without jump or goto values "
				       "takes no others)",
				       in, set->name);
			return -EINVAL;
		}
	}
	n = split_concat(buf, parts, BF_SET_DIM_MAX);
	for (int i = 0; i < n && i <= BF_SET_DIM_MAX; i++) {
		/* nft's "eth0": the name without its quotes */
		size_t l = strlen(parts[i]);

		if (l >= 2 && parts[i][0] == '"' && parts[i][l - 1] == '"') {
			parts[i][l - 1] = '\0';
			parts[i]++;
		}
	}
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

bool bf_set_nft_exact(const struct bf_set *set)
{
	if (!set->nft || set->is_list)
		return false;
	/* hash:ifprefix: names and "eth*" prefixes */
	if (set->interval_dim == 0 && set->n_dims == 1 &&
	    set->dims[0].type == BF_SET_DIM_IFACE)
		return true;
	if (set->interval_dim >= 0)
		return false;
	if (set->n_dims == 1)
		return set->dims[0].type == BF_SET_DIM_IFACE ||
		       set->dims[0].type == BF_SET_DIM_MARK ||
		       set->dims[0].type == BF_SET_DIM_PROTO;
	return set->n_dims == 2 && set->dims[0].type == BF_SET_DIM_ADDR &&
	       set->dims[1].type == BF_SET_DIM_ADDR;
}

void bf_set_nft_key_print(FILE *out, const struct bf_set *set,
			  const struct bf_set_elem *e)
{
	for (int i = 0; i < set->n_dims; i++) {
		const uint8_t *k = e->key + set->dims[i].off;
		char buf[INET6_ADDRSTRLEN];

		if (i)
			fputs(" . ", out);
		switch (set->dims[i].type) {
		case BF_SET_DIM_IFACE: {
			int plen;

			fprintf(out, "\"%.*s", BF_IFNAMSIZ, (const char *)k);
			if (set->interval_dim == i &&
			    bf_set_range_prefix(k, e->hi, BF_IFNAMSIZ, &plen) &&
			    plen != 8 * BF_IFNAMSIZ)
				fputc('*', out);
			fputc('"', out);
			break;
		}
		case BF_SET_DIM_ADDR:
			inet_ntop(set->dims[i].width == 16 ? AF_INET6 : AF_INET,
				  k, buf, sizeof(buf));
			fputs(buf, out);
			break;
		default:
			if (!bf_set_print_num_key(out, set->dims[i].type, k))
				fputs("?", out);
		}
	}
}

void bf_set_nft_exact_print(FILE *out, const struct bf_set *set,
			    const struct bf_set_elem *e)
{
	bf_set_nft_key_print(out, set, e);
	if (set->nft_jmap) {
		fputs(" : ", out);
		bf_set_jmap_print_verdict(out, set, e->data);
	} else if (set->nft_vmap) {
		fputs(e->nomatch ? " : drop" : " : accept", out);
	}
}

void bf_set_nft_elem_print(FILE *out, const struct bf_set *set,
			   const struct bf_set_elem *e)
{
	if (bf_set_nft_exact(set)) {
		bf_set_nft_exact_print(out, set, e);
		return;
	}
	char *text = NULL, *p;
	size_t len = 0;
	FILE *m;

	if (!set->nft_proto && !set->nft_vmap) {
		bf_ipset_print_elem(out, set, e, true);
		return;
	}
	m = open_memstream(&text, &len);
	if (!m)
		return;
	/* a verdict map's nomatch is its verdict, printed below */
	bf_ipset_print_elem(m, set, e, !set->nft_vmap);
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
	if (set->nft_jmap) {
		fputs(" : ", out);
		bf_set_jmap_print_verdict(out, set, e->data);
	} else if (set->nft_vmap) {
		fputs(e->nomatch ? " : drop" : " : accept", out);
	}
	free(text);
}
