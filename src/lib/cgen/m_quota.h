/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * -m quota and nft's quota (BF_MATCH_QUOTA): a byte count in the
 * program's state map.
 */
#ifndef BPFILTER_CGEN_M_QUOTA_H
#define BPFILTER_CGEN_M_QUOTA_H

#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/emit.h"

/* Emit m with its 16 bytes of state at state_off of the state map
 * (zero when the program is loaded); `fail` when it does not hold.
 * r9 = packet context; clobbers r0-r4. */
void bf_quota_emit(struct bf_emit *e, uint32_t state_off,
		   const struct bf_match *m, bf_label fail);

#endif /* BPFILTER_CGEN_M_QUOTA_H */
