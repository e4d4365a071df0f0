// SPDX-License-Identifier: GPL-2.0-only
/*
 * bf_nft_print_ir_at(): the nft form of a slot other than "nf" (`bpfilter
 * save --format nft`, doc/front-nft.md "Mapping to hooks"), made from
 * bf_nft_print_ir()'s listing, whose built-in chains it moves:
 *
 *  - tc-D / xdp-D: a netdev table; INPUT hooks at ingress of D, OUTPUT at
 *    egress, FORWARD and the built-in chains a slot leaves empty (no rule,
 *    policy accept) are left out. The slot's program passes the frames of
 *    the other family and those of neither untouched, so each chain
 *    starts by accepting them (`meta protocol != ip accept`) and the
 *    table judges its own family only, as the slot does.
 *  - nf-m10: the base chains at priority -10 instead of `filter`; those
 *    of the hooks the slot is not attached at (place->points) left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"

#define TYPE_LINE "\t\ttype filter hook "

/* One chain block of the listing (lines[from..to], to the "\t}" line). */
static void put_chain(FILE *out, char **lines, size_t from, size_t to,
		      enum bf_family family, const struct bf_nft_place *pl)
{
	const char *dev = pl->device && *pl->device ? pl->device : NULL;
	char hook[16] = "", policy[16] = "";
	bool base = to > from + 1 &&
		    !strncmp(lines[from + 1], TYPE_LINE, strlen(TYPE_LINE));

	if (base)
		sscanf(lines[from + 1] + strlen(TYPE_LINE),
		       "%15s priority filter; policy %15[a-z];", hook, policy);
	if (base && dev &&
	    (!strcmp(hook, "forward") ||
	     (to == from + 2 && !strcmp(policy, "accept"))))
		return; /* no such hook, or nothing there */
	if (base && !dev && pl->points) {
		/* an nf slot attached at some hooks only: not there */
		int h = !strcmp(hook, "input")	 ? BF_HOOK_INPUT :
			!strcmp(hook, "forward") ? BF_HOOK_FORWARD :
						   BF_HOOK_OUTPUT;
		if (!(pl->points & (1u << (family * BF_HOOK_COUNT + h))))
			return;
	}
	for (size_t i = from; i <= to; i++) {
		if (i != from + 1 || !base) {
			fprintf(out, "%s\n", lines[i]);
			continue;
		}
		if (dev)
			fprintf(out,
				TYPE_LINE "%s device \"%s\" priority 0; "
					  "policy %s;\n"
					  "\t\tmeta protocol != %s accept\n",
				!strcmp(hook, "input") ? "ingress" : "egress",
				dev, policy,
				family == BF_FAMILY_INET4 ? "ip" : "ip6");
		else
			fprintf(out, TYPE_LINE "%s priority %d; policy %s;\n",
				hook, pl->priority, policy);
	}
}

int bf_nft_print_ir_at(FILE *out, const struct bf_ruleset *rs,
		       enum bf_family family, const char *table, bool counters,
		       const struct bf_nft_place *place)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char **lines = NULL;
	size_t len = 0, n = 0;
	FILE *m;
	char *p, *save = NULL;
	int r;

	if (!place || ((!place->device || !*place->device) && !place->priority))
		return bf_nft_print_ir(out, rs, family, table, counters);
	m = open_memstream(&text, &len);
	if (!m)
		return -ENOMEM;
	r = bf_nft_print_ir(m, rs, family, table, counters);
	if (fclose(m))
		return -ENOMEM;
	lines = calloc(len + 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (p = strtok_r(text, "\n", &save); p;
	     p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	for (size_t i = 0; i < n; i++) {
		size_t end = i;
		if (i == 0 && place->device && *place->device &&
		    !strncmp(lines[0], "table ip", 8)) {
			const char *name = strchr(lines[0] + 6, ' ');
			fprintf(out, "table netdev%s\n", name ? name : " {");
			continue;
		}
		if (strncmp(lines[i], "\tchain ", 7)) {
			fprintf(out, "%s\n", lines[i]);
			continue;
		}
		while (end + 1 < n && strcmp(lines[end], "\t}"))
			end++;
		put_chain(out, lines, i, end, family, place);
		i = end;
	}
	return ferror(out) ? -EIO : r;
}
