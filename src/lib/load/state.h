/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ruleset state of one slot, stored in a pinned BPF array map ("state")
 * next to the links, so that it lives and dies with them.
 *
 * Layout: a BPF_MAP_TYPE_ARRAY of BF_STATE_CHUNK-byte values. Chunk 0
 * holds struct bf_state_hdr; the canonical iptables-save text of each
 * family follows from chunk 1 on, IPv4 text then IPv6 text, contiguous.
 */
#ifndef BPFILTER_LOAD_STATE_H
#define BPFILTER_LOAD_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "bpfilter/ir.h"

#define BF_STATE_CHUNK 4096
#define BF_STATE_MAGIC "bpfiltr"
#define BF_STATE_VERSION 1
/* A state whose `points` is not 0 (an nf slot attached at some of its
 * hooks only): a bpfilter that knows version 1 only would read it as
 * attached everywhere, so it refuses it instead. States of version 1
 * are read as before (points 0: every point). */
#define BF_STATE_VERSION_POINTS 2

enum bf_state_flags {
	/* conntrack must run in the netns for IPv4 / IPv6 (load/ct.c) */
	BF_STATE_USES_CT = 1u << 0,
	BF_STATE_USES_CT6 = 1u << 1,
};

#define BF_STATE_CT_MASK (BF_STATE_USES_CT | BF_STATE_USES_CT6)

struct bf_state_hdr {
	char magic[8];
	uint32_t version;
	uint32_t flags;
	uint64_t generation;
	uint32_t families; /* bit 1 << enum bf_family */
	uint32_t attach; /* enum bf_attach_kind */
	uint32_t len[BF_FAMILY_COUNT];
	char ifname[BF_IFNAMSIZ];
	/* Inode of the network namespace (nsfs) the slot belongs to, for
	 * bf_gc(); 0 if unknown. Unique while the namespace lives, and a
	 * pinned netfilter link keeps it alive. */
	uint64_t netns_ino;
	/* Bytes of the named sets' definitions (`ipset save` create lines,
	 * src/lib/set/), stored after the IPv6 text; 0 in states written
	 * before sets existed (the header's chunk is zero-filled). */
	uint32_t sets_len;
	/* nf slots attached at some points only: BF_NF_POINT() bits of
	 * bf_apply_opts.nf_points (bpfilter.h); 0: every family and hook
	 * (and in states written before it existed). Version
	 * BF_STATE_VERSION_POINTS when not 0. */
	uint32_t points;
};

struct bf_state {
	struct bf_state_hdr hdr;
	char *text[BF_FAMILY_COUNT]; /* NUL-terminated, NULL if absent */
	char *sets; /* NUL-terminated set definitions, NULL if none */
};

/* Create and fill a state map. Returns fd or -errno. */
int bf_state_map_create(const struct bf_state *st);
/* Read the state map pinned at path. -ENOENT if absent. */
int bf_state_read(const char *path, struct bf_state *st);
int bf_state_read_fd(int fd, struct bf_state *st);
void bf_state_release(struct bf_state *st);

#endif /* BPFILTER_LOAD_STATE_H */
