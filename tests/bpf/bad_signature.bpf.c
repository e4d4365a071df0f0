// SPDX-License-Identifier: GPL-2.0-only
/* A user match with the wrong signature (no struct bf_usermatch *):
 * bpfilter must refuse it, naming the object and the function. */
#include <linux/types.h>

#define SEC(name) __attribute__((section(name), used))

SEC("bpfilter")
int wrong_args(int a, int b)
{
	return a == b;
}

char LICENSE[] SEC("license") = "GPL";
