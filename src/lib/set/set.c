// SPDX-License-Identifier: GPL-2.0-only
/* The set model of include/bpfilter/set.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/set.h"

static const char *const dim_names[BF_SET_DIM_TYPE_COUNT] = {
	[BF_SET_DIM_ADDR] = "addr",   [BF_SET_DIM_PROTO_PORT] = "proto_port",
	[BF_SET_DIM_PORT] = "port",   [BF_SET_DIM_PROTO] = "proto",
	[BF_SET_DIM_IFACE] = "iface", [BF_SET_DIM_MARK] = "mark",
	[BF_SET_DIM_MAC] = "mac",
};
_Static_assert(ARRAY_SIZE(dim_names) == BF_SET_DIM_TYPE_COUNT, "dim names");

const char *bf_set_dim_name(enum bf_set_dim_type type)
{
	return (unsigned)type < BF_SET_DIM_TYPE_COUNT ? dim_names[type] : "?";
}

uint8_t bf_set_dim_width(enum bf_set_dim_type type, enum bf_family family)
{
	switch (type) {
	case BF_SET_DIM_ADDR:
		return family == BF_FAMILY_INET6 ? 16 : 4;
	case BF_SET_DIM_PROTO_PORT:
		return 4;
	case BF_SET_DIM_PORT:
		return 2;
	case BF_SET_DIM_PROTO:
		return 1;
	case BF_SET_DIM_IFACE:
		return BF_IFNAMSIZ;
	case BF_SET_DIM_MARK:
		return 4;
	case BF_SET_DIM_MAC:
		return 6;
	default:
		return 0;
	}
}

bool bf_set_any_family(const struct bf_set *set)
{
	if (set->is_list)
		return true;
	for (int i = 0; i < set->n_dims; i++)
		if (set->dims[i].type == BF_SET_DIM_ADDR)
			return false;
	return set->n_dims > 0;
}

int bf_set_layout(struct bf_set *set)
{
	unsigned int off = 0;

	if (set->n_dims == 0 || set->n_dims > BF_SET_DIM_MAX)
		return -EINVAL;
	if (set->interval_dim >= set->n_dims)
		return -EINVAL;
	for (int i = 0; i < set->n_dims; i++) {
		uint8_t w = bf_set_dim_width(set->dims[i].type, set->family);

		if (!w)
			return -EINVAL;
		set->dims[i].width = w;
		set->dims[i].off = (uint8_t)off;
		off += w;
		if (off > BF_SET_KEY_MAX)
			return -E2BIG;
	}
	if (set->interval_dim >= 0 && set->dims[set->interval_dim].width > 16)
		return -EINVAL;
	set->key_size = (uint8_t)off;
	return 0;
}

int bf_ruleset_add_set(struct bf_ruleset *rs, struct bf_set *set)
{
	if (bf_ruleset_set(rs, set->name))
		return -EEXIST;
	if (rs->n_sets == rs->cap_sets) {
		size_t cap = rs->cap_sets ? 2 * rs->cap_sets : 4;
		struct bf_set *n = realloc(rs->sets, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rs->sets = n;
		rs->cap_sets = cap;
	}
	rs->sets[rs->n_sets++] = *set;
	set->elems = NULL;
	set->n_elems = set->cap_elems = 0;
	return 0;
}

struct bf_set *bf_ruleset_set(const struct bf_ruleset *rs, const char *name)
{
	long i = bf_ruleset_set_index(rs, name);

	return i < 0 ? NULL : &rs->sets[i];
}

long bf_ruleset_set_index(const struct bf_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_sets; i++) {
		if (!strcmp(rs->sets[i].name, name))
			return (long)i;
	}
	return -1;
}

int bf_set_add_elem(struct bf_set *set, const struct bf_set_elem *e)
{
	if (set->n_elems == set->cap_elems) {
		size_t cap = set->cap_elems ? 2 * set->cap_elems : 16;
		struct bf_set_elem *n = realloc(set->elems, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		set->elems = n;
		set->cap_elems = cap;
	}
	set->elems[set->n_elems++] = *e;
	return 0;
}

void bf_set_release(struct bf_set *set)
{
	if (!set)
		return;
	free(set->elems);
	set->elems = NULL;
	set->n_elems = set->cap_elems = 0;
}

bool bf_set_range_prefix(const uint8_t *lo, const uint8_t *hi, int width,
			 int *plen)
{
	int bits = 0;
	bool in_host = false;

	/* A prefix: lo and hi agree on the first bits, then lo has only
	 * zeros and hi only ones. */
	for (int i = 0; i < width * 8; i++) {
		int l = (lo[i / 8] >> (7 - i % 8)) & 1;
		int h = (hi[i / 8] >> (7 - i % 8)) & 1;

		if (!in_host && l == h) {
			bits++;
			continue;
		}
		in_host = true;
		if (l != 0 || h != 1)
			return false;
	}
	*plen = bits;
	return true;
}

/* The value of create option nft-chains in set->create_opts. */
static const char *jmap_list(const struct bf_set *set, size_t *len)
{
	const char *p = strstr(set->create_opts, "nft-chains ");

	if (!set->nft_jmap || !p)
		return NULL;
	p += strlen("nft-chains ");
	*len = strcspn(p, " ");
	return p;
}

bool bf_set_jmap_chain_name(const struct bf_set *set, uint32_t idx, char *buf,
			    size_t size)
{
	size_t len, n;
	const char *p = jmap_list(set, &len);

	for (uint32_t i = 0; p && len; i++) {
		n = strcspn(p, ",");
		if (n > len)
			n = len;
		if (i == idx) {
			if (n >= size)
				return false;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return true;
		}
		if (n == len)
			break;
		p += n + 1;
		len -= n + 1;
	}
	return false;
}

int bf_set_jmap_chain(const struct bf_set *set, const char *name)
{
	char buf[BF_CHAIN_NAME_MAX + 64];

	for (uint32_t i = 0; bf_set_jmap_chain_name(set, i, buf, sizeof(buf));
	     i++)
		if (!strcmp(buf, name))
			return (int)i;
	return -1;
}
