// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "compat.h"
#include "load/link.h"

enum bpf_prog_type bf_attach_prog_type(enum bf_attach_kind attach)
{
	switch (attach) {
	case BF_ATTACH_NF:
		return (enum bpf_prog_type)BPF_PROG_TYPE_NETFILTER;
	case BF_ATTACH_TC:
		return BPF_PROG_TYPE_SCHED_CLS;
	default:
		return BPF_PROG_TYPE_XDP;
	}
}

/* Since the kernel records expected_attach_type as part of a prog array's
 * owner (__bpf_prog_map_compatible() in kernel/bpf/core.c), the dispatcher
 * and the ruleset programs must be loaded with the same value. Netfilter
 * programs need BPF_NETFILTER (bpf_prog_load_check_attach()); tc and xdp
 * programs use 0, which tcx and XDP links accept. */
enum bpf_attach_type bf_attach_expected_type(enum bf_attach_kind attach)
{
	return attach == BF_ATTACH_NF ? (enum bpf_attach_type)BPF_NETFILTER :
					(enum bpf_attach_type)0;
}

int bf_attach_accept_code(enum bf_attach_kind attach)
{
	switch (attach) {
	case BF_ATTACH_NF:
		return NF_ACCEPT;
	case BF_ATTACH_TC:
		return TCX_NEXT;
	default:
		return XDP_PASS;
	}
}

int bf_jmp_map_create(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "bf_jmp", 4, 4, 1,
				NULL);

	return fd < 0 ? -errno : fd;
}

int bf_dispatcher_load(enum bf_attach_kind attach, int jmp_fd)
{
	/* r1 = ctx on entry and is what bpf_tail_call() passes on. */
	struct bpf_insn insns[] = {
		/* r2 = jmp map (ld_imm64 with BPF_PSEUDO_MAP_FD) */
		{ .code = BPF_LD | BPF_DW | BPF_IMM,
		  .dst_reg = BPF_REG_2,
		  .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = jmp_fd },
		{ 0 },
		/* r3 = 0 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_tail_call },
		/* only reached when slot 0 is empty */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = bf_attach_accept_code(attach) },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log,
		    .log_size = sizeof(log), .log_level = 0,
		    .expected_attach_type = bf_attach_expected_type(attach));
	int fd;

	fd = bpf_prog_load(bf_attach_prog_type(attach), "bf_dispatch", "GPL",
			   insns, ARRAY_SIZE(insns), &opts);
	if (fd < 0) {
		int r = -errno;

		/* Retry with the verifier log to report why. */
		opts.log_level = 1;
		fd = bpf_prog_load(bf_attach_prog_type(attach), "bf_dispatch",
				   "GPL", insns, ARRAY_SIZE(insns), &opts);
		if (fd >= 0)
			return fd;
		bf_err("cannot load the %s dispatcher: %s", "bpfilter",
		       strerror(-r));
		bf_dbg("verifier log:\n%s", log);
		return r;
	}
	return fd;
}

int bf_jmp_map_set(int jmp_fd, int prog_fd)
{
	uint32_t key = 0, val = (uint32_t)prog_fd;

	if (bpf_map_update_elem(jmp_fd, &key, &val, BPF_ANY))
		return -errno;
	return 0;
}

static int link_create_raw(struct bf_link_create_attr *a)
{
	union {
		union bpf_attr attr;
		struct bf_link_create_attr lc;
		char raw[256];
	} u;
	int fd;

	memset(&u, 0, sizeof(u));
	u.lc = *a;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &u, sizeof(u.raw));
	return fd < 0 ? -errno : fd;
}

static const unsigned int nf_hooknum[BF_HOOK_COUNT] = {
	[BF_HOOK_INPUT] = NF_INET_LOCAL_IN,
	[BF_HOOK_FORWARD] = NF_INET_FORWARD,
	[BF_HOOK_OUTPUT] = NF_INET_LOCAL_OUT,
};

int bf_link_attach_nf(int prog_fd, enum bf_family family, enum bf_hook hook,
		      int priority)
{
	struct bf_link_create_attr a = { .prog_fd = (uint32_t)prog_fd };
	int fd;

	a.attach_type = BPF_NETFILTER;
	a.netfilter.pf = family == BF_FAMILY_INET4 ? NFPROTO_IPV4 :
						     NFPROTO_IPV6;
	a.netfilter.hooknum = nf_hooknum[hook];
	a.netfilter.priority = priority;
	fd = link_create_raw(&a);
	if (fd < 0)
		bf_err("cannot attach to netfilter %s %s at priority %d: %s%s",
		       bf_family_name(family), bf_hook_name(hook), priority,
		       strerror(-fd),
		       priority == INT_MIN || priority == INT_MAX ?
			       " (the kernel refuses NF_IP_PRI_FIRST and "
			       "NF_IP_PRI_LAST to BPF links)" :
		       fd == -EBUSY ?
			       " (another hook function of this family and "
			       "hook, conntrack, iptables or an nftables "
			       "chain, already has this priority: a BPF link "
			       "needs one of its own, nf_hook_entries_grow())" :
			       "");
	return fd;
}

int bf_link_attach(enum bf_attach_kind attach, int prog_fd,
		   enum bf_family family, enum bf_hook hook,
		   unsigned int ifindex)
{
	struct bf_link_create_attr a = { .prog_fd = (uint32_t)prog_fd };
	int fd;

	switch (attach) {
	case BF_ATTACH_NF:
		a.attach_type = BPF_NETFILTER;
		a.netfilter.pf = family == BF_FAMILY_INET4 ? NFPROTO_IPV4 :
							     NFPROTO_IPV6;
		a.netfilter.hooknum = nf_hooknum[hook];
		/* NF_IP_PRI_FILTER: where iptables' filter table runs, after
		 * conntrack (-200) and before SELinux/security hooks. */
		return bf_link_attach_nf(prog_fd, family, hook,
					 NF_IP_PRI_FILTER);
	case BF_ATTACH_TC:
		a.target_fd = ifindex;
		a.attach_type = hook == BF_HOOK_INPUT ? BPF_TCX_INGRESS :
							BPF_TCX_EGRESS;
		fd = link_create_raw(&a);
		if (fd < 0)
			bf_err("cannot attach tcx %s on ifindex %u: %s",
			       hook == BF_HOOK_INPUT ? "ingress" : "egress",
			       ifindex, strerror(-fd));
		return fd;
	default: {
		LIBBPF_OPTS(bpf_link_create_opts, o,
			    .flags = XDP_FLAGS_DRV_MODE);

		fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &o);
		if (fd >= 0)
			return fd;
		/* No native XDP in this driver: generic (skb) mode. */
		o.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &o);
		if (fd < 0) {
			fd = -errno;
			bf_err("cannot attach xdp on ifindex %u: %s", ifindex,
			       strerror(-fd));
		} else {
			bf_info("xdp: native mode refused, using generic mode");
		}
		return fd;
	}
	}
}

/* Is the link pinned at path still attached where it should be? A tcx or
 * xdp link whose interface went away reports ifindex 0. */
bool bf_link_pin_alive(const char *path, enum bf_attach_kind kind,
		       unsigned int ifindex)
{
	_cleanup_close_ int fd = bpf_obj_get(path);
	/* struct bpf_link_info: type, id, prog_id, then a union aligned to
	 * 8 whose tcx and xdp members start with the ifindex. */
	union {
		uint8_t raw[256];
		uint64_t align;
	} info;
	uint32_t len = sizeof(info), idx;

	if (fd < 0)
		return false;
	if (kind == BF_ATTACH_NF)
		return true;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	memcpy(&idx, info.raw + 16, sizeof(idx));
	return idx == ifindex;
}
