/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attach points and the dispatcher (see doc/hooks.md, "Atomic replace").
 *
 * Each attach point (a netfilter hook of one family, a tcx direction, the
 * XDP hook of an interface) gets once a tiny fixed dispatcher program whose
 * only work is bpf_tail_call() into slot 0 of its own one-slot
 * BPF_MAP_TYPE_PROG_ARRAY. Replacing a ruleset is one map update: a packet
 * runs either the old or the new program, never both and never none. With
 * the slot empty the dispatcher accepts.
 */
#ifndef BPFILTER_LOAD_LINK_H
#define BPFILTER_LOAD_LINK_H

#include <stdbool.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"

/* Program type and expected attach type of programs at an attachment kind
 * (the ruleset programs and the dispatcher must agree for tail calls). */
enum bpf_prog_type bf_attach_prog_type(enum bf_attach_kind attach);
enum bpf_attach_type bf_attach_expected_type(enum bf_attach_kind attach);
/* The verdict meaning "accept / go on" at an attachment kind. */
int bf_attach_accept_code(enum bf_attach_kind attach);

/* Create a one-slot prog array. Returns fd or -errno. */
int bf_jmp_map_create(void);
/* Load the dispatcher tail-calling through jmp_fd. Returns fd or -errno. */
int bf_dispatcher_load(enum bf_attach_kind attach, int jmp_fd);
/* Put prog_fd into slot 0 of jmp_fd (atomic for the data path). */
int bf_jmp_map_set(int jmp_fd, int prog_fd);

/* Attach prog_fd and return the link fd, or -errno (reported).
 * nf: family + hook; tc: ifindex + hook (INPUT = ingress, OUTPUT =
 * egress); xdp: ifindex (native mode, generic if the driver lacks it). */
int bf_link_attach(enum bf_attach_kind attach, int prog_fd,
		   enum bf_family family, enum bf_hook hook,
		   unsigned int ifindex);

/* The nf case of bf_link_attach() at a given netfilter priority (an nf
 * slot of an nft ruleset's base chains, doc/front-nft.md). */
int bf_link_attach_nf(int prog_fd, enum bf_family family, enum bf_hook hook,
		      int priority);

/* Is the link pinned at path still attached where it should be? (A tcx or
 * xdp link whose interface went away reports ifindex 0.) */
bool bf_link_pin_alive(const char *path, enum bf_attach_kind kind,
		       unsigned int ifindex);

#endif /* BPFILTER_LOAD_LINK_H */
