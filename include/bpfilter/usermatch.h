/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bpfilter user matches and verdicts written in C: the calling convention.
 *
 * A rule can call a function of a BPF object file built with clang
 * (`clang -O2 -g -target bpf -c m.c -o m.o`):
 *
 *   iptables -A INPUT -p udp -m bpf --object m.o --section bpfilter/dns \
 *            -j DROP
 *   iptables -A INPUT -j BPF --object v.o
 *
 * bpfilter links the function into the program it generates (a BPF-to-BPF
 * call: its instructions, maps and global data are relocated into that
 * program) and the kernel verifier checks it there, in the context of the
 * call. See doc/user-matches.md.
 *
 * The function:
 *  - lives in a section whose name starts with "bpfilter" (SEC("bpfilter"),
 *    SEC("bpfilter/anything")); --section picks one when there are several;
 *  - has the signature `int f(struct bf_usermatch *ctx)`, and the object
 *    carries BTF (build with -g): bpfilter checks the signature, and the
 *    version of this ABI, through the name of the structure (below);
 *  - may call other functions of the object (static or global), BPF
 *    helpers, and use maps and global data (.rodata, .data, .bss) of the
 *    object; every rule using the same object and section shares them;
 *  - must not write to *ctx (it is shared by every user match of the
 *    packet) nor use tail calls.
 *
 * Return value:
 *  - as a match (-m bpf): non-zero matches;
 *  - as a verdict (-j BPF): BF_USERMATCH_ACCEPT or BF_USERMATCH_DROP end
 *    the packet's path like -j ACCEPT / -j DROP; any other value
 *    (BF_USERMATCH_CONTINUE) goes on with the next rule.
 *
 * The packet: data[] holds the first caplen bytes of the packet from its
 * network (IPv4 / IPv6) header on, as iptables' `-m bpf` sees it at
 * offset 0. caplen = min(len, BF_USERMATCH_DATA_MAX). Reads beyond caplen
 * read stale bytes: test offsets against caplen, and bound them with
 * constants the verifier can see (see examples/).
 *
 * ABI versioning: `struct bf_usermatch` is a macro for the versioned
 * structure name; an object built against another version is refused
 * with an error naming both versions. Fields are only ever added at the
 * end of a new version.
 */
#ifndef BPFILTER_USERMATCH_H
#define BPFILTER_USERMATCH_H

#include <linux/types.h>

#define BF_USERMATCH_ABI_VERSION 1
#define bf_usermatch bf_usermatch_v1

/* Bytes of the packet copied into data[]. */
#define BF_USERMATCH_DATA_MAX 2048

/* Verdicts of -j BPF functions. */
#define BF_USERMATCH_CONTINUE 0
#define BF_USERMATCH_ACCEPT 1
#define BF_USERMATCH_DROP 2

/* hook */
#define BF_USERMATCH_HOOK_INPUT 0
#define BF_USERMATCH_HOOK_FORWARD 1
#define BF_USERMATCH_HOOK_OUTPUT 2

/* attach: where the program runs */
#define BF_USERMATCH_AT_NETFILTER 0
#define BF_USERMATCH_AT_TC 1
#define BF_USERMATCH_AT_XDP 2

struct bf_usermatch {
	__u32 len; /* L3 length: IPv4 total length, IPv6 payload + 40 */
	__u32 caplen; /* bytes of data[] that hold the packet */
	/* Transport header offset in data[] (after IPv6 extension
	 * headers). */
	__u32 l4off;
	/* Bytes from l4off to the end of the packet; 0 for a fragment
	 * other than the first (it has no transport header). */
	__u32 l4len;
	__u16 fragoff; /* non-zero: not the first fragment */
	__u8 l4proto; /* IPPROTO_* of the transport header */
	__u8 family; /* 4 or 6 */
	__u8 hook; /* BF_USERMATCH_HOOK_* */
	__u8 attach; /* BF_USERMATCH_AT_* */
	__u8 reserved[10];
	__u8 data[BF_USERMATCH_DATA_MAX];
};

#endif /* BPFILTER_USERMATCH_H */
