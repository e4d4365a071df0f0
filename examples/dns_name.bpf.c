// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpfilter user match: a DNS query (UDP) whose first question asks for a
 * name under example.org (example.org itself, www.example.org,
 * a.b.EXAMPLE.org, ... but not badexample.org).
 *
 *   iptables -A INPUT -p udp --dport 53 -m bpf --object dns_name.bpf.o -j DROP
 *
 * The name is walked label by label with bounded loops; every read is
 * checked against the captured length and masked into data[] so that the
 * verifier sees it in bounds.
 */
#include <linux/types.h>

#include "bpfilter/usermatch.h"

#define SEC(name) __attribute__((section(name), used))

#define MAX_LABELS 32
#define DATA_MASK (BF_USERMATCH_DATA_MAX - 1)

/* The byte at off, or -1 beyond the packet. */
static __attribute__((always_inline)) int byte_at(const struct bf_usermatch *c,
						  __u32 off)
{
	if (off >= c->caplen)
		return -1;
	return c->data[off & DATA_MASK];
}

/* Does the label at off (length byte first) equal word (lower case,
 * len bytes), ignoring ASCII case? */
static __attribute__((always_inline)) int label_is(const struct bf_usermatch *c,
						   __u32 off, const char *word,
						   int len)
{
	if (byte_at(c, off) != len)
		return 0;
	for (int i = 0; i < 8; i++) {
		int b;

		if (i >= len)
			break;
		b = byte_at(c, off + 1 + i);
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (b != word[i])
			return 0;
	}
	return 1;
}

SEC("bpfilter/dns")
int dns_under_example_org(struct bf_usermatch *c)
{
	__u32 off, last = 0, before = 0;
	int n = 0;

	if (c->l4proto != 17 || c->l4len < 8 + 12 || c->fragoff)
		return 0;
	off = c->l4off + 8; /* DNS header */
	/* a query (QR = 0) with at least one question (QDCOUNT) */
	if (byte_at(c, off + 2) < 0 || (byte_at(c, off + 2) & 0x80))
		return 0;
	if (byte_at(c, off + 4) <= 0 && byte_at(c, off + 5) <= 0)
		return 0;
	off += 12; /* QNAME */
	for (int i = 0; i < MAX_LABELS; i++) {
		int len = byte_at(c, off);

		/* the end of the name, or a compression pointer (which a
		 * question's first name never needs) */
		if (len <= 0 || len > 63)
			break;
		before = last;
		last = off;
		n++;
		off += 1 + (__u32)len;
	}
	if (byte_at(c, off) != 0 || n < 2)
		return 0;
	return label_is(c, before, "example", 7) && label_is(c, last, "org", 3);
}

char LICENSE[] SEC("license") = "GPL";
