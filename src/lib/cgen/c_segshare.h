/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared fold lookups of segment programs (cgen/segprog.h,
 * doc/classification.md "Segments: one lookup per shape").
 *
 * In a full build, the folded groups of every segment of a chain are
 * registered here by shape (bf_fold_compatible()) instead of going into
 * each segment's own hash map: one map per shape for the whole chain, whose
 * value for a key is a row of BF_SEG_MAX words, word k being what segment
 * k's own map would hold for that key (its first rule with the key, the
 * rule's counter slot relative to the segment's base of the shape, and
 * the verdict; 0xffffffff: none). The root program looks the packet up once
 * per shape and copies the row into the slot's extension (struct
 * bf_seg_pcpu, after the packet context); segment k reads word k there
 * where it would have looked up its own map. A segment compiled again
 * alone (a one-segment change) has maps of its own and reads nothing
 * there, so the rows of the other segments never change while they are in
 * force.
 */
#ifndef BPFILTER_CGEN_C_SEGSHARE_H
#define BPFILTER_CGEN_C_SEGSHARE_H

#include <stddef.h>
#include <stdint.h>

#include "cgen/cgen.h"
#include "cgen/segprog.h"
#include "opt/opt.h"

#define BF_SEG_NONE UINT32_MAX

struct bf_seg_shape {
	const struct bf_rule *r0; /* first rule of its first group */
	struct bf_fold_group g; /* its layout (parts; first/n unused) */
	uint8_t key_size;
	uint8_t *keys; /* n keys of key_size bytes (group id shape + 1) */
	uint32_t *rows; /* n rows of BF_SEG_MAX words */
	uint32_t n, cap;
	uint32_t *ht; /* open addressing: entry + 1, 0 = free */
	uint32_t ht_cap;
};

struct bf_seg_share {
	size_t n_shapes;
	struct bf_seg_shape shapes[BF_SEG_SHAPES];
	uint32_t n_seg; /* root: the segments (columns copied) */
};

struct bf_seg_share *bf_seg_share_new(void);
void bf_seg_share_free(struct bf_seg_share **s);

/* The shape of group g (first rule r0): its index, registered if new;
 * -1 when all BF_SEG_SHAPES are taken. */
int bf_seg_share_shape(struct bf_seg_share *s, const struct bf_rule *r0,
		       const struct bf_fold_group *g);

/* Word `col` of the row of `key` (key_size of the shape) := value unless
 * it has one already (the segment's first rule with the key wins). 0 or
 * -ENOMEM. */
int bf_seg_share_add(struct bf_seg_share *s, int shape, uint32_t col,
		     const uint8_t *key, uint32_t value);

/* The map of shape k for the root: a hash map (type BPF_MAP_TYPE_HASH,
 * keys, vals of n_seg words rounded up to 8 bytes). 0 or -ENOMEM. */
int bf_seg_share_map(const struct bf_seg_share *s, int shape,
		     struct bf_prog_map *out);

/* Offset of segment `col`'s word of shape k from the slot's packet
 * context. */
static inline int16_t bf_seg_share_off(int shape, uint32_t col)
{
	return (int16_t)(BF_SEG_EXT_OFF +
			 ((size_t)shape * BF_SEG_MAX + col) * 4);
}

#endif /* BPFILTER_CGEN_C_SEGSHARE_H */
