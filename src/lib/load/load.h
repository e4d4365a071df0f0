/* SPDX-License-Identifier: GPL-2.0-only */
/* Internals shared by apply.c (transactions) and show.c (list / save). */
#ifndef BPFILTER_LOAD_LOAD_H
#define BPFILTER_LOAD_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "load/state.h"

/* nf: 3 hooks x 2 families; tc: ingress + egress; xdp: 1. */
#define BF_MAX_POINTS 6

/* One attach point of a slot and what a transaction holds for it. */
struct bf_point {
	enum bf_family family; /* nf only */
	enum bf_hook hook;
	char key[16]; /* pin name suffix: "in4", "ingress", "xdp", ... */
	struct bf_program *prog;
	int prog_fd;
	int jmp_fd;
	int disp_fd;
	int link_fd;
	bool fresh; /* no live dispatcher yet: attach one */
};

size_t bf_slot_points(enum bf_attach_kind kind, unsigned int families,
		      struct bf_point pts[BF_MAX_POINTS]);
void bf_points_release(struct bf_point *pts, size_t n);

/* The whole value of a counters map, as an array of *n counters. */
int bf_counters_read(int fd, struct bf_counter **out, uint32_t *n);
/* rule->counter / chain->policy_counter := vals[their index]. */
void bf_counters_apply(struct bf_ruleset *rs, const struct bf_counter *vals,
		       uint32_t n);
/* Parse the stored families (in mask) of a slot's state into rs. */
int bf_state_parse(struct bf_ruleset *rs, const struct bf_state *st,
		   const char *slot_name, unsigned int mask);

#endif /* BPFILTER_LOAD_LOAD_H */
