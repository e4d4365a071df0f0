/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sets of a slot, for the loader (src/lib/load/apply.c) and the
 * persistence code: definitions in the slot's state, maps pinned in the
 * slot's directory as set_<name> (set/map.h), `ipset save` sections.
 */
#ifndef BPFILTER_SET_SLOT_H
#define BPFILTER_SET_SLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/set.h"

/* Parse the set definitions stored in a slot's state into rs (nothing if
 * rs already has sets): definitions only (has_elems false), the
 * elements stay those of the maps in force. */
int bf_sets_from_state(struct bf_ruleset *rs, const char *text,
		       const char *slot_name);
/* The definitions to store in the state (NULL / 0 without sets). */
int bf_sets_state_text(const struct bf_ruleset *rs, char **text, uint32_t *len);

/* The sets of rs of the slot in force (kind, ifname), if any. */
int bf_sets_load_input(struct bf_ruleset *rs, const char *path, FILE *in);
int bf_sets_load_slot(struct bf_ruleset *rs, enum bf_slot_kind kind,
		      const char *ifname);

/* One map fd per set of rs (-1 for list:set): new maps filled with the
 * given elements, or the maps pinned in slot_dir for definitions only. */
struct bf_set_maps {
	int *fds;
	size_t n;
};
int bf_set_maps_prepare(const struct bf_ruleset *rs, const char *slot_dir,
			struct bf_set_maps *m);
/* Pin them in slot_dir (replacing) and remove pins of other sets. */
int bf_set_maps_commit(const struct bf_ruleset *rs, const struct bf_set_maps *m,
		       const char *slot_dir);
void bf_set_maps_release(struct bf_set_maps *m);

/* Print the sets of rs with the elements of their maps in slot_dir in
 * `ipset save` form. */
int bf_sets_save(FILE *out, const struct bf_ruleset *rs, const char *slot_dir);

#endif /* BPFILTER_SET_SLOT_H */
