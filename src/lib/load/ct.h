/* SPDX-License-Identifier: GPL-2.0-only */
/* Make conntrack run in the current network namespace (or stop holding it):
 * see ct.c and doc/hooks.md. Both return 0 or -errno (reported). */
#ifndef BPFILTER_LOAD_CT_H
#define BPFILTER_LOAD_CT_H

int bf_ct_enable(void);
int bf_ct_disable(void);

#endif /* BPFILTER_LOAD_CT_H */
