/* SPDX-License-Identifier: GPL-2.0-only */
/* Slots: the pin directory of one attachment ("nf", "tc-IF", "xdp-IF"). */
#ifndef BPFILTER_LOAD_SLOT_H
#define BPFILTER_LOAD_SLOT_H

#include <limits.h>
#include <stdbool.h>

#include "bpfilter/bpfilter.h"
#include "cgen/cgen.h"

struct bf_slot {
	enum bf_attach_kind kind;
	char ifname[BF_IFNAMSIZ]; /* nf: the priority token ("m10"), or "" */
	char name[8 + BF_IFNAMSIZ]; /* directory name */
	/* nf: netfilter priority of the links ("nf" 0, "nf-p10" 10,
	 * "nf-m10" -10; an nft ruleset's base chains, doc/front-nft.md) */
	int priority;
	char dir[PATH_MAX]; /* full path */
};

/* Fill a slot for kind + ifname under the namespace directory nsdir. */
int bf_slot_init(struct bf_slot *slot, const char *nsdir,
		 enum bf_attach_kind kind, const char *ifname);
/* Parse a directory name back into a slot; -EINVAL if it is none. */
int bf_slot_from_name(struct bf_slot *slot, const char *nsdir,
		      const char *name);
/* true if the slot matches the selection (NULL = all). */
bool bf_slot_selected(const struct bf_slot *slot,
		      const struct bf_slot_sel *sel);

#endif /* BPFILTER_LOAD_SLOT_H */
