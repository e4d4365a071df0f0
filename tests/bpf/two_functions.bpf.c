// SPDX-License-Identifier: GPL-2.0-only
/* Two user functions in one object: --section picks one. Also a map
 * (a per-object packet counter) and a global: rules using the function
 * share them. */
#include <linux/bpf.h>
#include <linux/types.h>

#include "bpfilter/usermatch.h"

#define SEC(name) __attribute__((section(name), used))

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct {
	int (*type)[BPF_MAP_TYPE_ARRAY];
	int (*max_entries)[1];
	__u32 *key;
	__u64 *value;
} seen SEC(".maps");

__u32 min_len = 100;

SEC("bpfilter/long")
int longer_than(struct bf_usermatch *c)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&seen, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return c->len > min_len;
}

SEC("bpfilter/ipv6")
int is_ipv6(struct bf_usermatch *c)
{
	return c->family == 6;
}

char LICENSE[] SEC("license") = "GPL";
