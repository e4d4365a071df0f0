/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef BF_FRONT_IPT_LIST_EXT_H
#define BF_FRONT_IPT_LIST_EXT_H

#include <stdbool.h>
#include <stdio.h>

#include "bpfilter/ir.h"

/* What `iptables -L` prints for one match of the modules added in
 * session 7 (u32, quota, policy, helper, connbytes, dscp, tos), as
 * bf_ipt_list_match() does for the older ones ("x y " with a trailing
 * space); false when m is not one of them. numeric: -n. */
bool bf_ipt_list_ext(FILE *out, const struct bf_rule *r,
		     const struct bf_match *m, bool numeric);

#endif
