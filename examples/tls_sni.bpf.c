// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpfilter user match: a TLS ClientHello (in one TCP segment) whose
 * server name indication (SNI) is "blocked.example.com", ignoring case.
 *
 *   iptables -A INPUT -p tcp --dport 443 -m bpf --object tls_sni.bpf.o -j DROP
 *
 * Walks the record and handshake headers, the session id, cipher suites
 * and compression methods, then the extensions (at most MAX_EXT of them)
 * up to the server_name one. The name compared lives in .rodata: the
 * object's global data becomes a map of the generated program.
 */
#include <linux/types.h>

#include "bpfilter/usermatch.h"

#define SEC(name) __attribute__((section(name), used))

#define MAX_EXT 24
#define NAME_MAX_ 64
#define DATA_MASK (BF_USERMATCH_DATA_MAX - 1)

/* const volatile: a global of .rodata (libbpf 1.1 cannot map the
 * string sections of static constants) */
const volatile char wanted[] = "blocked.example.com";

static __attribute__((always_inline)) int byte_at(const struct bf_usermatch *c,
						  __u32 off)
{
	if (off >= c->caplen)
		return -1;
	return c->data[off & DATA_MASK];
}

static __attribute__((always_inline)) int be16_at(const struct bf_usermatch *c,
						  __u32 off)
{
	int hi = byte_at(c, off), lo = byte_at(c, off + 1);

	if (hi < 0 || lo < 0)
		return -1;
	return hi << 8 | lo;
}

SEC("bpfilter/sni")
int tls_sni_blocked(struct bf_usermatch *c)
{
	__u32 off, end;
	int v, doff;

	if (c->l4proto != 6 || c->fragoff || c->l4len < 20)
		return 0;
	doff = byte_at(c, c->l4off + 12);
	if (doff < 0)
		return 0;
	off = c->l4off + ((__u32)doff >> 4) * 4;
	/* TLS record: handshake (22); handshake: ClientHello (1) */
	if (byte_at(c, off) != 22 || byte_at(c, off + 5) != 1)
		return 0;
	off += 5 + 4 + 2 + 32; /* headers, client version, random */
	v = byte_at(c, off); /* session id */
	if (v < 0)
		return 0;
	off += 1 + (__u32)v;
	v = be16_at(c, off); /* cipher suites */
	if (v < 0)
		return 0;
	off += 2 + (__u32)v;
	v = byte_at(c, off); /* compression methods */
	if (v < 0)
		return 0;
	off += 1 + (__u32)v;
	v = be16_at(c, off); /* extensions */
	if (v < 0)
		return 0;
	off += 2;
	end = off + (__u32)v;
	for (int i = 0; i < MAX_EXT; i++) {
		int type = be16_at(c, off), len = be16_at(c, off + 2);

		if (type < 0 || len < 0 || off + 4 + (__u32)len > end)
			return 0;
		if (type == 0) {
			/* server_name: list length, type 0 (host_name),
			 * name length, name */
			__u32 name = off + 4 + 2 + 1 + 2;
			int nlen = be16_at(c, off + 4 + 2 + 1);

			if (byte_at(c, off + 6) != 0 ||
			    nlen != (int)sizeof(wanted) - 1)
				return 0;
			for (int k = 0; k < NAME_MAX_; k++) {
				int b;

				if (k >= nlen)
					break;
				b = byte_at(c, name + (__u32)k);
				if (b >= 'A' && b <= 'Z')
					b += 'a' - 'A';
				if (b != wanted[k])
					return 0;
			}
			return 1;
		}
		off += 4 + (__u32)len;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
