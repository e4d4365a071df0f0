// SPDX-License-Identifier: GPL-2.0-only
/*
 * XDP hardware offload requests (load/offload.h).
 *
 * Offloading an XDP program means loading it for one device
 * (BPF_PROG_LOAD with prog_ifindex, no BPF_F_XDP_DEV_BOUND_ONLY: the
 * device's driver translates and verifies it, bpf_prog_dev_bound_init()
 * and bpf_prog_offload_init() in kernel/bpf/offload.c) and attaching it
 * with XDP_FLAGS_HW_MODE (dev_xdp_attach() in net/core/dev.c refuses a
 * program not offloaded to that device). Only drivers with a BPF offload
 * engine accept the first step (nfp: Netronome/Corigine Agilio); veth and
 * virtual devices refuse it with EINVAL.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/log.h"
#include "compat.h"
#include "load/offload.h"

/* r0 = XDP_PASS; exit */
static const struct bpf_insn pass[2] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 2 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_for(unsigned int ifindex, unsigned int flags)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .prog_ifindex = ifindex,
		    .prog_flags = flags);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "bf_offload", "GPL", pass, 2,
			       &o);

	return fd < 0 ? -errno : fd;
}

int bf_xdp_offload_check(const char *ifname)
{
	unsigned int ifindex = ifname ? if_nametoindex(ifname) : 0;
	int fd, r, hw;

	if (!ifindex) {
		bf_err("--offload: no interface '%s' in this network namespace",
		       ifname ? ifname : "");
		return -ENODEV;
	}
	/* 1. a program offloaded to the device */
	fd = load_for(ifindex, 0);
	if (fd >= 0) {
		/* 2. in hardware mode; taken off at once */
		hw = bpf_xdp_attach((int)ifindex, fd, XDP_FLAGS_HW_MODE, NULL);
		if (!hw)
			bpf_xdp_detach((int)ifindex, XDP_FLAGS_HW_MODE, NULL);
		close(fd);
		if (hw) {
			bf_err("--offload: %s accepted an offloaded XDP program "
			       "but refused hardware mode (XDP_FLAGS_HW_MODE): "
			       "%s",
			       ifname, strerror(-hw));
			return -EOPNOTSUPP;
		}
		bf_err("--offload: %s can run XDP programs in hardware, but "
		       "bpfilter's programs cannot be offloaded: they call "
		       "kfuncs (bpf_dynptr_*), BPF-to-BPF functions and per-CPU "
		       "maps, which device offload does not support; use "
		       "--hook xdp without --offload (driver mode)",
		       ifname);
		return -EOPNOTSUPP;
	}
	r = fd;
	/* what a device-bound (not offloaded) program gets in hardware
	 * mode, for the message */
	fd = load_for(ifindex, BPF_F_XDP_DEV_BOUND_ONLY);
	hw = fd;
	if (fd >= 0) {
		hw = bpf_xdp_attach((int)ifindex, fd, XDP_FLAGS_HW_MODE, NULL);
		if (!hw)
			bpf_xdp_detach((int)ifindex, XDP_FLAGS_HW_MODE, NULL);
		close(fd);
	}
	bf_err("--offload: %s cannot run XDP programs in hardware: the kernel "
	       "refused to load a program offloaded to it (prog_ifindex: %s) "
	       "and to attach a program bound to it in hardware mode "
	       "(XDP_FLAGS_HW_MODE: %s). Only NICs with a BPF offload engine "
	       "(driver nfp) offload XDP; use --hook xdp without --offload "
	       "for driver (native) mode",
	       ifname, strerror(-r), hw ? strerror(-hw) : "accepted");
	return -EOPNOTSUPP;
}
