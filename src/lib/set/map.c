// SPDX-License-Identifier: GPL-2.0-only
/* Sets as BPF maps: see map.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "set/map.h"

#define DEFAULT_MAX 65536

uint32_t bf_set_map_key_size(const struct bf_set *set)
{
	return set->key_size + (bf_set_is_lpm(set) ? 4u : 0u);
}

uint32_t bf_set_map_dim_off(const struct bf_set *set, int dim)
{
	uint32_t off = 4;

	if (!bf_set_is_lpm(set))
		return set->dims[dim].off;
	if (dim == set->interval_dim)
		return 4u + set->key_size - set->dims[dim].width;
	for (int i = 0; i < dim; i++) {
		if (i != set->interval_dim)
			off += set->dims[i].width;
	}
	return off;
}

uint64_t bf_set_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void map_name(const struct bf_set *set, char *buf)
{
	size_t n = 4;

	memcpy(buf, "bfs_", 4);
	for (const char *s = set->name; *s && n < 15; s++) {
		char ch = *s;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			ch = '_';
		buf[n++] = ch;
	}
	buf[n] = '\0';
}

int bf_set_map_create(const struct bf_set *set)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	uint32_t max = set->maxelem ? set->maxelem : DEFAULT_MAX;
	char name[16];
	int fd;

	if (set->is_list || !set->key_size)
		return -EINVAL;
	if (max < set->n_elems)
		max = (uint32_t)set->n_elems;
	map_name(set, name);
	fd = bpf_map_create(bf_set_is_lpm(set) ? BPF_MAP_TYPE_LPM_TRIE :
						 BPF_MAP_TYPE_HASH,
			    name, bf_set_map_key_size(set),
			    sizeof(struct bf_set_val), max, &o);
	if (fd < 0) {
		fd = -errno;
		bf_err("cannot create the map of set %s: %s", set->name,
		       strerror(-fd));
	}
	return fd;
}

typedef unsigned __int128 u128;

static u128 to_num(const uint8_t *b, int w)
{
	u128 v = 0;

	for (int i = 0; i < w; i++)
		v = v << 8 | b[i];
	return v;
}

static void from_num(u128 v, uint8_t *b, int w)
{
	for (int i = w - 1; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The map key of element e with the interval dimension at lo/plen. */
static void make_key(const struct bf_set *set, const struct bf_set_elem *e,
		     const uint8_t *lo, int plen, uint8_t *key)
{
	uint32_t exact_bits = 0;

	memset(key, 0, bf_set_map_key_size(set));
	for (int i = 0; i < set->n_dims; i++) {
		const struct bf_set_dim *d = &set->dims[i];

		memcpy(key + bf_set_map_dim_off(set, i),
		       i == set->interval_dim ? lo : e->key + d->off, d->width);
		if (i != set->interval_dim)
			exact_bits += 8u * d->width;
	}
	if (bf_set_is_lpm(set)) {
		uint32_t prefixlen = exact_bits + (uint32_t)plen;

		memcpy(key, &prefixlen, 4);
	}
}

static void make_val(const struct bf_set *set, const struct bf_set_elem *e,
		     struct bf_set_val *v)
{
	memset(v, 0, sizeof(*v));
	if (e->nomatch)
		v->flags |= BF_SET_VAL_NOMATCH;
	v->data = e->data;
	if ((set->flags & BF_SET_F_TIMEOUT) && e->timeout)
		v->expires_ns = bf_set_now_ns() + e->timeout * 1000000000ull;
	v->packets = e->packets;
	v->bytes = e->bytes;
}

typedef int (*entry_fn)(int fd, const uint8_t *key, const struct bf_set_val *v);

static int do_update(int fd, const uint8_t *key, const struct bf_set_val *v)
{
	return bpf_map_update_elem(fd, key, v, BPF_ANY) ? -errno : 0;
}

static int do_delete(int fd, const uint8_t *key, const struct bf_set_val *v)
{
	(void)v;
	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

/* Call fn for every map entry of element e: the interval [lo, hi] cut
 * into the fewest aligned prefixes. */
static int for_entries(int fd, const struct bf_set *set,
		       const struct bf_set_elem *e, entry_fn fn)
{
	uint8_t key[4 + BF_SET_KEY_MAX], lob[16];
	struct bf_set_val v;
	const struct bf_set_dim *d;
	int w, bits, r = 0;
	u128 lo, hi;

	make_val(set, e, &v);
	if (!bf_set_is_lpm(set)) {
		make_key(set, e, NULL, 0, key);
		return fn(fd, key, &v);
	}
	d = &set->dims[set->interval_dim];
	w = d->width;
	bits = 8 * w;
	lo = to_num(e->key + d->off, w);
	hi = to_num(e->hi, w);
	if (lo > hi)
		return -EINVAL;
	for (;;) {
		int k = 0;
		u128 span;

		/* the largest aligned block at lo that stays within hi */
		while (k < bits && !((lo >> k) & 1)) {
			span = k + 1 >= 128 ? ~(u128)0 :
					      ((((u128)1) << (k + 1)) - 1);
			if (hi - lo < span)
				break;
			k++;
		}
		from_num(lo, lob, w);
		make_key(set, e, lob, bits - k, key);
		r = fn(fd, key, &v);
		if (r)
			return r;
		span = k >= 128 ? ~(u128)0 : ((((u128)1) << k) - 1);
		if (hi - lo <= span)
			return 0;
		lo += span + 1;
	}
}

int bf_set_map_add(int fd, const struct bf_set *set,
		   const struct bf_set_elem *e)
{
	return for_entries(fd, set, e, do_update);
}

int bf_set_map_del(int fd, const struct bf_set *set,
		   const struct bf_set_elem *e)
{
	return for_entries(fd, set, e, do_delete);
}

int bf_set_map_test(int fd, const struct bf_set *set,
		    const struct bf_set_elem *e)
{
	uint8_t key[4 + BF_SET_KEY_MAX];
	struct bf_set_val v;
	int plen = 0;

	if (bf_set_is_lpm(set)) {
		const struct bf_set_dim *d = &set->dims[set->interval_dim];

		/* a prefix: the most specific element containing it */
		if (!bf_set_range_prefix(e->key + d->off, e->hi, d->width,
					 &plen))
			return -EINVAL;
		make_key(set, e, e->key + d->off, plen, key);
	} else {
		make_key(set, e, NULL, 0, key);
	}
	if (bpf_map_lookup_elem(fd, key, &v))
		return errno == ENOENT ? 0 : -errno;
	if (v.expires_ns && v.expires_ns <= bf_set_now_ns())
		return 0;
	return !(v.flags & BF_SET_VAL_NOMATCH);
}

int bf_set_map_flush(int fd)
{
	uint8_t key[4 + BF_SET_KEY_MAX];

	/* always the first key: deleting changes the iteration order */
	for (;;) {
		if (bpf_map_get_next_key(fd, NULL, key))
			return errno == ENOENT ? 0 : -errno;
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			return -errno;
	}
}

int bf_set_map_fill(int fd, const struct bf_set *set)
{
	for (size_t i = 0; i < set->n_elems; i++) {
		int r = bf_set_map_add(fd, set, &set->elems[i]);

		if (r) {
			bf_log_at(BF_LOG_ERROR, set->file, set->elems[i].line,
				  0, "cannot put an element into set %s: %s",
				  set->name,
				  r == -E2BIG ? "the set is full (maxelem)" :
						strerror(-r));
			return r;
		}
	}
	return 0;
}

static int cmp_elem(const void *a, const void *b, void *ks)
{
	return memcmp(((const struct bf_set_elem *)a)->key,
		      ((const struct bf_set_elem *)b)->key, *(size_t *)ks);
}

int bf_set_map_read(int fd, struct bf_set *set)
{
	uint8_t key[4 + BF_SET_KEY_MAX], next[4 + BF_SET_KEY_MAX];
	uint32_t ks = bf_set_map_key_size(set);
	uint64_t now = bf_set_now_ns();
	void *prev = NULL;
	size_t sort_ks = set->key_size;
	int r;

	bf_set_release(set);
	while (!(r = bpf_map_get_next_key(fd, prev, next))) {
		struct bf_set_val v;
		struct bf_set_elem e = { 0 };

		memcpy(key, next, ks);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &v))
			continue; /* deleted meanwhile */
		if (v.expires_ns && v.expires_ns <= now)
			continue;
		for (int i = 0; i < set->n_dims; i++) {
			const struct bf_set_dim *d = &set->dims[i];

			memcpy(e.key + d->off, key + bf_set_map_dim_off(set, i),
			       d->width);
		}
		if (bf_set_is_lpm(set)) {
			const struct bf_set_dim *d =
				&set->dims[set->interval_dim];
			uint32_t plen;
			uint8_t *lo = e.key + d->off;

			memcpy(&plen, key, 4);
			plen -= 8u * (set->key_size - d->width);
			for (int i = 0; i < d->width; i++) {
				int b = (int)plen - 8 * i;
				uint8_t m = b >= 8 ? 0xff :
					    b <= 0 ? 0 :
						     (uint8_t)(0xff << (8 - b));

				e.hi[i] = lo[i] | (uint8_t)~m;
			}
		}
		e.nomatch = v.flags & BF_SET_VAL_NOMATCH;
		e.data = v.data;
		if (v.expires_ns)
			e.timeout =
				(uint32_t)((v.expires_ns - now + 999999999ull) /
					   1000000000ull);
		e.packets = v.packets;
		e.bytes = v.bytes;
		r = bf_set_add_elem(set, &e);
		if (r)
			return r;
	}
	if (r != -ENOENT && errno != ENOENT)
		return -errno;
	if (set->n_elems > 1)
		qsort_r(set->elems, set->n_elems, sizeof(*set->elems), cmp_elem,
			&sort_ks);
	return 0;
}

int bf_set_pin_name(const char *name, char *buf, size_t size)
{
	size_t n = 0;

	if (size < 5)
		return -ENAMETOOLONG;
	memcpy(buf, "set_", 4);
	n = 4;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		/* bpffs refuses '.', the path needs no '/' */
		if (*s == '.' || *s == '/' || *s == '%' || *s <= ' ' ||
		    *s >= 0x7f) {
			if (n + 3 >= size)
				return -ENAMETOOLONG;
			snprintf(buf + n, size - n, "%%%02x", *s);
			n += 3;
		} else {
			if (n + 1 >= size)
				return -ENAMETOOLONG;
			buf[n++] = (char)*s;
		}
	}
	buf[n] = '\0';
	return 0;
}
