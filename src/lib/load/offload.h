/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * XDP hardware offload (`bpfilter apply --hook xdp --offload`): see
 * doc/user-matches.md ("XDP offload").
 */
#ifndef BPFILTER_LOAD_OFFLOAD_H
#define BPFILTER_LOAD_OFFLOAD_H

/* Ask the kernel for hardware mode on ifname: load a minimal XDP program
 * offloaded to the device (prog_ifindex), and one bound to it
 * (BPF_F_XDP_DEV_BOUND_ONLY) attached with XDP_FLAGS_HW_MODE. Nothing
 * stays loaded or attached. Returns -EOPNOTSUPP with an error naming the
 * device and what the kernel said: either the device has no BPF offload,
 * or (a device that has one) bpfilter's programs use what offload cannot
 * run. -ENODEV if there is no such interface. */
int bf_xdp_offload_check(const char *ifname);

#endif /* BPFILTER_LOAD_OFFLOAD_H */
