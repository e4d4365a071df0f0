// SPDX-License-Identifier: GPL-2.0-only
/*
 * nf slots attached at some of their points only (load/load.h): an nft
 * ruleset's slot at a priority other than 0 takes that priority at the
 * (family, hook) pairs of its base chains, and nowhere else, since the
 * kernel refuses a BPF link a priority another hook function of the same
 * family and hook has (nf_hook_entries_grow(): -EBUSY), conntrack's -200
 * at prerouting and output for one (doc/front-nft.md).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "load/load.h"
#include "load/pin.h"

/* the pin name suffixes of bf_slot_points() */
static const char *const keys[BF_FAMILY_COUNT][BF_HOOK_COUNT] = {
	{ "in4", "fwd4", "out4" },
	{ "in6", "fwd6", "out6" },
};

void bf_nf_points_format(uint32_t points, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		for (int h = 0; h < BF_HOOK_COUNT; h++) {
			int n;

			if (!(points & BF_NF_POINT(f, h)) || len >= size)
				continue;
			n = snprintf(buf + len, size - len, "%s%s",
				     len ? "," : "", keys[f][h]);
			if (n > 0)
				len += (size_t)n;
		}
}

uint32_t bf_nf_points_parse(const char *s)
{
	uint32_t points = 0;

	while (s && *s && *s != '\n' && *s != ' ') {
		size_t n = strcspn(s, ", \n");

		for (int f = 0; f < BF_FAMILY_COUNT; f++)
			for (int h = 0; h < BF_HOOK_COUNT; h++)
				if (n == strlen(keys[f][h]) &&
				    !strncmp(s, keys[f][h], n))
					points |= BF_NF_POINT(f, h);
		s += n;
		if (*s == ',')
			s++;
	}
	return points;
}

uint32_t bf_nf_points_of(const struct bf_ruleset *rs, uint32_t given)
{
	uint32_t points = given;

	if (!given)
		return 0;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->builtin &&
		    (c->n_rules || c->policy != BF_VERDICT_ACCEPT))
			points |= BF_NF_POINT(c->family, c->hook);
	}
	return points;
}

void bf_nf_points_unpin(const char *dir, uint32_t points)
{
	char path[PATH_MAX];

	if (!points)
		return;
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		for (int h = 0; h < BF_HOOK_COUNT; h++) {
			if (points & BF_NF_POINT(f, h))
				continue;
			/* an empty prog array first: a link something else
			 * still holds (a rollback snapshot) then accepts */
			if (!bf_path(path, sizeof(path), "%s/jmp_%s", dir,
				     keys[f][h]))
				bf_pin_unlink(path);
			if (!bf_path(path, sizeof(path), "%s/link_%s", dir,
				     keys[f][h]))
				unlink(path);
		}
}
