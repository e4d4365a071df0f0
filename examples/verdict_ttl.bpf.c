// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpfilter user verdict (-j BPF): drop IPv4 packets whose TTL is below 5,
 * accept those whose TTL is 255 (on-link senders), and let the following
 * rules decide the others.
 *
 *   iptables -A INPUT -j BPF --object verdict_ttl.bpf.o
 */
#include <linux/types.h>

#include "bpfilter/usermatch.h"

#define SEC(name) __attribute__((section(name), used))

SEC("bpfilter/verdict")
int ttl_verdict(struct bf_usermatch *c)
{
	if (c->family != 4 || c->caplen < 20)
		return BF_USERMATCH_CONTINUE;
	if (c->data[8] < 5)
		return BF_USERMATCH_DROP;
	if (c->data[8] == 255)
		return BF_USERMATCH_ACCEPT;
	return BF_USERMATCH_CONTINUE;
}

char LICENSE[] SEC("license") = "GPL";
