// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpfilter user match equivalent to `-p udp --dport 53` (udp_mt() of
 * xt_tcpudp.c, for packets whose UDP header can be read): used by the
 * differential test tests/prog/test_userbpf.c, which checks that a rule
 * calling it between ordinary rules keeps first-match order.
 */
#include <linux/types.h>

#include "bpfilter/usermatch.h"

#define SEC(name) __attribute__((section(name), used))

#define DATA_MASK (BF_USERMATCH_DATA_MAX - 1)

SEC("bpfilter")
int udp_dport53(struct bf_usermatch *c)
{
	__u32 off = c->l4off + 2;

	if (c->l4proto != 17 || c->fragoff || c->l4len < 8)
		return 0;
	if (off + 2 > c->caplen)
		return 0;
	/* masked: the verifier sees every index inside data[] */
	return c->data[off & DATA_MASK] == 0 &&
	       c->data[(off + 1) & DATA_MASK] == 53;
}

char LICENSE[] SEC("license") = "GPL";
