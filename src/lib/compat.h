/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel UAPI constants newer than the installed headers (Debian 12 ships
 * the 6.1 UAPI and libbpf 1.1; the target kernel is much newer). Every
 * definition is guarded so that newer headers win. Add to this file, do not
 * rewrite it: several parts of bpfilter share it.
 */
#ifndef BPFILTER_COMPAT_H
#define BPFILTER_COMPAT_H

#include <linux/bpf.h>
#include <stdint.h>

/* enum bpf_prog_type */
#ifndef BPF_PROG_TYPE_NETFILTER
#define BPF_PROG_TYPE_NETFILTER 32
#endif

/* enum bpf_attach_type */
#ifndef BPF_NETFILTER
#define BPF_NETFILTER 45
#endif
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#endif
#ifndef BPF_TCX_EGRESS
#define BPF_TCX_EGRESS 47
#endif

/* enum bpf_link_type */
#ifndef BPF_LINK_TYPE_NETFILTER
#define BPF_LINK_TYPE_NETFILTER 10
#endif
#ifndef BPF_LINK_TYPE_TCX
#define BPF_LINK_TYPE_TCX 11
#endif

/* tcx program return codes (enum tcx_action_base). */
#ifndef TCX_NEXT
#define TCX_NEXT (-1)
#endif
#ifndef TCX_PASS
#define TCX_PASS 0
#endif
#ifndef TCX_DROP
#define TCX_DROP 2
#endif
#ifndef TCX_REDIRECT
#define TCX_REDIRECT 7
#endif

/* Netfilter protocol families and IPv4/IPv6 hook numbers. */
#ifndef NFPROTO_IPV4
#define NFPROTO_IPV4 2
#endif
#ifndef NFPROTO_IPV6
#define NFPROTO_IPV6 10
#endif
#ifndef NF_INET_LOCAL_IN
#define NF_INET_PRE_ROUTING 0
#define NF_INET_LOCAL_IN 1
#define NF_INET_FORWARD 2
#define NF_INET_LOCAL_OUT 3
#define NF_INET_POST_ROUTING 4
#endif
#ifndef NF_DROP
#define NF_DROP 0
#define NF_ACCEPT 1
#endif
#ifndef NF_IP_PRI_FILTER
#define NF_IP_PRI_FILTER 0
#endif

/* socket option giving the network namespace cookie (Linux 5.14). */
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* statfs f_type of bpffs. */
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/*
 * BPF_LINK_CREATE attributes for the link kinds the 6.1 UAPI does not know:
 * the layout of union bpf_attr's link_create member (include/uapi/linux/
 * bpf.h): four u32 then a union at offset 16. Pass this struct, zero
 * padded, as the attr of bpf(BPF_LINK_CREATE).
 */
struct bf_link_create_attr {
	uint32_t prog_fd;
	uint32_t target_fd; /* target_ifindex for tcx / xdp */
	uint32_t attach_type;
	uint32_t flags;
	union {
		struct {
			uint32_t pf;
			uint32_t hooknum;
			int32_t priority;
			uint32_t flags;
		} netfilter;
		struct {
			uint32_t relative_fd;
			uint32_t pad;
			uint64_t expected_revision;
		} tcx;
		uint8_t raw[48];
	};
} __attribute__((aligned(8)));

/* 6.3: a program bound to a device without being offloaded to it */
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

#endif /* BPFILTER_COMPAT_H */
