// SPDX-License-Identifier: GPL-2.0-only
/* A user match the kernel verifier refuses: it reads the packet at an
 * offset nothing bounds. bpfilter must report the verifier's reason and
 * leave the ruleset in force untouched. */
#include <linux/types.h>

#include "bpfilter/usermatch.h"

#define SEC(name) __attribute__((section(name), used))

SEC("bpfilter")
int unbounded_read(struct bf_usermatch *c)
{
	return c->data[c->l4off + c->len] == 1;
}

char LICENSE[] SEC("license") = "GPL";
