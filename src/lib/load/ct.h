/* SPDX-License-Identifier: GPL-2.0-only */
/* Make conntrack run in the current network namespace (or stop holding it):
 * see ct.c and doc/hooks.md. Both return 0 or -errno (reported). */
#ifndef BPFILTER_LOAD_CT_H
#define BPFILTER_LOAD_CT_H

/* flags: BF_STATE_USES_CT (IPv4) and/or BF_STATE_USES_CT6 (IPv6) */
int bf_ct_enable(unsigned int flags);
/* Turn on conntrack accounting in the namespace
 * (net.netfilter.nf_conntrack_acct = 1), as connbytes_mt_check() does
 * for a connbytes rule (nf_ct_set_acct()); like the kernel, never turned
 * off again. 0 or -errno. */
int bf_ct_acct_enable(void);
int bf_ct_disable(unsigned int flags);

#endif /* BPFILTER_LOAD_CT_H */
