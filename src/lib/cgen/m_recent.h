/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The recent match (net/netfilter/xt_recent.c) compiled to BPF: one table
 * per name, shared by every program of a network namespace through pins
 * (doc/stateful.md).
 *
 * A table is two maps:
 *  - "tab": a BPF_MAP_TYPE_ARRAY of one value, a header and BF_RECENT_ENTRIES
 *    entry slots. The header holds the LRU list (head = least recently
 *    set/updated, as t->lru_list), the entry count, a free list and a
 *    high-water mark of slots ever used. An entry slot holds its list
 *    links, its key, the TTL, the index/nstamps pair and `nstamps` time
 *    stamps in jiffies (as struct recent_entry).
 *  - "idx": a BPF_MAP_TYPE_HASH from the key (u32 family, 16-byte masked
 *    address) to the 1-based slot number.
 */
#ifndef BPFILTER_CGEN_M_RECENT_H
#define BPFILTER_CGEN_M_RECENT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"

/* ip_list_tot: entries per table (xt_recent's module parameter default) */
#define BF_RECENT_ENTRIES 100
/* The code generator unrolls the time-stamp scan: it refuses tables that
 * would keep more stamps per entry than this (--hitcount above 256). */
#define BF_RECENT_MAX_STAMPS 256

/* header of the "tab" value: a struct bpf_spin_lock first (the map has
 * BTF saying so), held while the table is read and changed */
#define BF_RECENT_HDR_LOCK 0
#define BF_RECENT_HDR_HEAD 8
#define BF_RECENT_HDR_TAIL 12
#define BF_RECENT_HDR_COUNT 16
#define BF_RECENT_HDR_HW 20
#define BF_RECENT_HDR_FREE 24
#define BF_RECENT_HDR_SIZE 32
/* an entry slot */
#define BF_RECENT_E_PREV 0
#define BF_RECENT_E_NEXT 4
#define BF_RECENT_E_KEY 8 /* 20 bytes: u32 family (NFPROTO_*), address */
#define BF_RECENT_E_TTL 28
#define BF_RECENT_E_INDEX 30 /* u16 */
#define BF_RECENT_E_NSTAMPS 32 /* u16 */
#define BF_RECENT_E_STAMPS 40 /* u64[nstamps] */
#define BF_RECENT_KEY_SIZE 20

static inline uint32_t bf_recent_slot_size(uint32_t nstamps)
{
	return BF_RECENT_E_STAMPS + 8 * nstamps;
}

static inline uint32_t bf_recent_value_size(uint32_t nstamps)
{
	return BF_RECENT_HDR_SIZE +
	       BF_RECENT_ENTRIES * bf_recent_slot_size(nstamps);
}

/* The stamps an entry of table `name` keeps, for ruleset rs:
 * recent_mt_check() gives each rule roundup_pow_of_two(hit_count) stamps
 * (32 without --hitcount; ip_pkt_list_tot is 0 by default) and a table
 * keeps the largest of its rules'. 0 if no rule uses the name. */
uint32_t bf_recent_nstamps(const struct bf_ruleset *rs, const char *name);

/* Emit the recent match m of `rule` (recent_mt()). Tables are added to
 * *tabs / *n_tabs (owned by the caller; free() them). r9 must hold the
 * packet context; clobbers r0-r8 and pctx.scratch. Returns false if the
 * match can never hold (nothing more of the rule is emitted). */
bool bf_recent_emit(struct bf_emit *e, const struct bf_ruleset *rs,
		    enum bf_attach_kind attach, enum bf_hook hook,
		    const struct bf_rule *rule, const struct bf_match *m,
		    struct bf_recent_table **tabs, size_t *n_tabs,
		    bf_label fail);

/* Open or create the maps of prog's tables: fds[2 * i] is the idx map and
 * fds[2 * i + 1] the tab map of prog->recent[i]. With prog->recent_dir,
 * each table is pinned at <recent_dir>/recent/<name>/{idx,tab} and an
 * existing pinned table of the same geometry is reused (its entries are
 * kept); otherwise the maps are the program's own. Returns 0 or -errno;
 * on error the fds opened so far are closed. */
int bf_recent_maps_open(const struct bf_program *prog, int *fds);

/* Remove every pinned table under nsdir (`bpfilter flush`). */
int bf_recent_unpin_all(const char *nsdir);

/* Unpin the tables under <nsdir>/<kind>: "recent" (a directory per table
 * holding the maps idx and tab) or "hashlimit" (a pinned map per table).
 * ref_prefix NULL: every table, then <nsdir>/<kind> itself; else only the
 * tables whose reference pin <ref_prefix><name> no slot directory holds.
 * Returns 0 (also when <nsdir>/<kind> does not exist) or the first
 * -errno. */
int bf_stateful_unpin(const char *nsdir, const char *kind,
		      const char *ref_prefix);

/* After slot `slotdir` switched to `progs`: record in the slot directory
 * the recent and hashlimit tables they use (reference pins "ref-*"), then
 * bf_stateful_gc(). Returns 0 or -errno (then no table is removed). */
int bf_stateful_refs(const char *nsdir, const char *slotdir,
		     const struct bf_program *const *progs, size_t n);

/* Remove the tables of nsdir that no slot directory refers to, as the
 * kernel frees a table with the last rule using it. */
int bf_stateful_gc(const char *nsdir);

/* CONFIG_HZ of the running kernel (from /boot/config-<release>), 250 if
 * unknown. */
uint32_t bf_recent_hz(void);

#endif /* BPFILTER_CGEN_M_RECENT_H */
