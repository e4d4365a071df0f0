/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `iptables -L` text of the stateful matches (load/show.c): hashlimit as
 * libxt_hashlimit's hashlimit_mt_print() prints it.
 */
#ifndef BPFILTER_LOAD_SHOW_STATEFUL_H
#define BPFILTER_LOAD_SHOW_STATEFUL_H

#include <stdio.h>

#include "bpfilter/ir.h"

/* Print m (BF_MATCH_HASHLIMIT) of rule r, followed by a space. */
void bf_show_hashlimit(FILE *out, const struct bf_rule *r,
		       const struct bf_match *m);

#endif /* BPFILTER_LOAD_SHOW_STATEFUL_H */
