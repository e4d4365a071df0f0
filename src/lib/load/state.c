// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "load/state.h"

_Static_assert(sizeof(struct bf_state_hdr) <= BF_STATE_CHUNK, "state hdr");

/* Text chunks are limited so that a corrupted header cannot make us
 * allocate without bound (64 MiB of ruleset text). */
#define MAX_CHUNKS (64u * 1024 * 1024 / BF_STATE_CHUNK)

/* The header and texts of st laid out in dst (zeroed, n chunks). */
static void layout(char *dst, const struct bf_state *st)
{
	size_t off = BF_STATE_CHUNK;

	memcpy(dst, &st->hdr, sizeof(st->hdr));
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (st->hdr.len[f])
			memcpy(dst + off, st->text[f], st->hdr.len[f]);
		off += st->hdr.len[f];
	}
	if (st->hdr.sets_len)
		memcpy(dst + off, st->sets, st->hdr.sets_len);
}

int bf_state_map_create(const struct bf_state *st)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	size_t total = 0;
	uint32_t n;
	_cleanup_free_ char *blob = NULL;
	int fd;

	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		total += st->hdr.len[f];
	total += st->hdr.sets_len;
	n = 1 + (uint32_t)((total + BF_STATE_CHUNK - 1) / BF_STATE_CHUNK);
	if (n > MAX_CHUNKS)
		return -E2BIG;

	/* Mmapable (same layout): written and read with one mmap instead
	 * of a syscall per chunk (a new map is zero-filled); states of
	 * older versions are plain maps, read chunk by chunk. */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_state", 4, BF_STATE_CHUNK,
			    n, &mo);
	if (fd >= 0) {
		void *m = mmap(NULL, (size_t)n * BF_STATE_CHUNK,
			       PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (m != MAP_FAILED) {
			layout(m, st);
			munmap(m, (size_t)n * BF_STATE_CHUNK);
			/* nothing changes it after this: freeze it against
			 * accidents */
			bpf_map_freeze(fd);
			return fd;
		}
		close(fd);
	}
	blob = calloc(n, BF_STATE_CHUNK);
	if (!blob)
		return -ENOMEM;
	layout(blob, st);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_state", 4, BF_STATE_CHUNK,
			    n, NULL);
	if (fd < 0)
		return -errno;
	for (uint32_t k = 0; k < n; k++) {
		if (bpf_map_update_elem(fd, &k,
					blob + (size_t)k * BF_STATE_CHUNK,
					BPF_ANY)) {
			int r = -errno;

			close(fd);
			return r;
		}
	}
	bpf_map_freeze(fd);
	return fd;
}

/* The whole map when it is mmapable (and n_max chunks long at most),
 * else NULL. */
static void *state_mmap(int fd, size_t *len)
{
	struct bpf_map_info info = { 0 };
	uint32_t ilen = sizeof(info);
	void *m;

	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) ||
	    !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.value_size != BF_STATE_CHUNK || !info.max_entries ||
	    info.max_entries > MAX_CHUNKS + 1)
		return NULL;
	*len = (size_t)info.max_entries * BF_STATE_CHUNK;
	m = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

/* The texts after the header, from the mmap m (mlen bytes) or, when m
 * is NULL, chunk by chunk. */
static int read_body(int fd, struct bf_state *st, const char *m, size_t mlen)
{
	size_t total = 0, off = 0;
	_cleanup_free_ char *own = NULL;
	const char *blob;
	uint32_t k, n;

	if (memcmp(st->hdr.magic, BF_STATE_MAGIC, sizeof(BF_STATE_MAGIC)) ||
	    (st->hdr.version != BF_STATE_VERSION &&
	     st->hdr.version != BF_STATE_VERSION_POINTS)) {
		bf_err("pinned state has an unknown format (version %u)",
		       st->hdr.version);
		return -EPROTO;
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		total += st->hdr.len[f];
	total += st->hdr.sets_len;
	n = (uint32_t)((total + BF_STATE_CHUNK - 1) / BF_STATE_CHUNK);
	if (n > MAX_CHUNKS)
		return -EPROTO;
	if (m) {
		if ((size_t)(n + 1) * BF_STATE_CHUNK > mlen)
			return -EPROTO;
		blob = m + BF_STATE_CHUNK;
	} else {
		own = malloc((size_t)n * BF_STATE_CHUNK + 1);
		if (!own)
			return -ENOMEM;
		for (k = 1; k <= n; k++) {
			if (bpf_map_lookup_elem(fd, &k,
						own + (size_t)(k - 1) *
								BF_STATE_CHUNK))
				return -errno;
		}
		blob = own;
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (!(st->hdr.families & (1u << f)))
			continue;
		st->text[f] = malloc(st->hdr.len[f] + 1);
		if (!st->text[f]) {
			bf_state_release(st);
			return -ENOMEM;
		}
		memcpy(st->text[f], blob + off, st->hdr.len[f]);
		st->text[f][st->hdr.len[f]] = '\0';
		off += st->hdr.len[f];
	}
	if (st->hdr.sets_len) {
		st->sets = malloc(st->hdr.sets_len + 1);
		if (!st->sets) {
			bf_state_release(st);
			return -ENOMEM;
		}
		memcpy(st->sets, blob + off, st->hdr.sets_len);
		st->sets[st->hdr.sets_len] = '\0';
	}
	return 0;
}

int bf_state_read_fd(int fd, struct bf_state *st)
{
	char chunk[BF_STATE_CHUNK];
	size_t mlen = 0;
	const char *m = state_mmap(fd, &mlen);
	uint32_t k = 0;
	int r;

	memset(st, 0, sizeof(*st));
	if (m) {
		memcpy(&st->hdr, m, sizeof(st->hdr));
	} else if (bpf_map_lookup_elem(fd, &k, chunk)) {
		return -errno;
	} else {
		memcpy(&st->hdr, chunk, sizeof(st->hdr));
	}
	r = read_body(fd, st, m, mlen);
	if (m)
		munmap((void *)m, mlen);
	return r;
}

int bf_state_read(const char *path, struct bf_state *st)
{
	_cleanup_close_ int fd = bpf_obj_get(path);

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return -errno;
	return bf_state_read_fd(fd, st);
}

void bf_state_release(struct bf_state *st)
{
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		free(st->text[f]);
		st->text[f] = NULL;
	}
	free(st->sets);
	st->sets = NULL;
}
