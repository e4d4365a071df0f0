// SPDX-License-Identifier: GPL-2.0-only
/* A user match built against another ABI version of the context
 * structure: bpfilter must refuse it, naming both versions. */
#include <linux/types.h>

#define SEC(name) __attribute__((section(name), used))

struct bf_usermatch_v9 {
	__u32 len;
	__u8 data[64];
};

SEC("bpfilter")
int future_abi(struct bf_usermatch_v9 *c)
{
	return c->len > 100;
}

char LICENSE[] SEC("license") = "GPL";
