/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hashlimit match (net/netfilter/xt_hashlimit.c, revision 3) compiled
 * to BPF: one table per (name, family), shared by every program of a
 * network namespace through a pin (doc/stateful.md).
 *
 * A table is a BPF_MAP_TYPE_LRU_HASH from the key (masked source and
 * destination addresses, ports, as dsthash_dst) to the token bucket of
 * struct dsthash_ent's rateinfo: {u64 prev; u64 credit; u64 credit_cap;
 * u64 expires} (credit_cap only counts refills in byte mode; in packet
 * mode the cap and cost are constants of the table).
 */
#ifndef BPFILTER_CGEN_M_HASHLIMIT_H
#define BPFILTER_CGEN_M_HASHLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"

#define BF_HASHLIMIT_KEY_SIZE 36 /* src[16], dst[16], sport, dport */
#define BF_HASHLIMIT_VALUE_SIZE 32

/* Emit the hashlimit match m of `rule` (hashlimit_mt_common()). Tables
 * are added to *tabs / *n_tabs (owned by the caller). r9 must hold the
 * packet context; clobbers r0-r8 and pctx.scratch. `hotdrop` is the
 * function's hotdrop label. Returns false if the rest of the rule must
 * not be emitted (an error is recorded in e then). */
bool bf_hashlimit_emit(struct bf_emit *e, const struct bf_ruleset *rs,
		       const struct bf_rule *rule, const struct bf_match *m,
		       struct bf_hashlimit_table **tabs, size_t *n_tabs,
		       bf_label fail, bf_label hotdrop);

/* Why the code generator cannot compile m exactly (NULL if it can). */
const char *bf_hashlimit_check(const struct bf_ruleset *rs,
			       const struct bf_rule *rule,
			       const struct bf_match *m);

/* Open or create the maps of prog's hashlimit tables into fds[i]: pinned
 * at <recent_dir>/hashlimit/<4|6>-<name> when prog->recent_dir is set (an
 * existing table of the same geometry is reused), else the program's
 * own. Returns 0 or -errno (fds opened so far are closed). */
int bf_hashlimit_maps_open(const struct bf_program *prog, int *fds);

/* Remove every pinned hashlimit table under nsdir (`bpfilter flush`). */
int bf_hashlimit_unpin_all(const char *nsdir);

#endif /* BPFILTER_CGEN_M_HASHLIMIT_H */
