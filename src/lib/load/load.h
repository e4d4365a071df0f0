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
/* The same, of an nf slot restricted to the BF_NF_POINT() bits of points
 * (0: every point; bf_state_hdr.points). */
size_t bf_slot_points_in(enum bf_attach_kind kind, unsigned int families,
			 uint32_t points, struct bf_point pts[BF_MAX_POINTS]);
/* points as the keys of its attach points ("in4,out6"; "" for 0), and
 * back (0 when s names none; unknown keys are ignored). bf_save() writes
 * them in an nf slot's section header (", hooks in4,out6"). */
void bf_nf_points_format(uint32_t points, char *buf, size_t size);
uint32_t bf_nf_points_parse(const char *s);
/* The points an nf slot at a priority other than 0 attaches at: those
 * given (its nft base chains) and every hook whose built-in chain has
 * rules or policy DROP (an edit that fills an empty one attaches it);
 * 0 (every point) when given is 0. */
uint32_t bf_nf_points_of(const struct bf_ruleset *rs, uint32_t given);
/* Detach the points of the slot directory dir that points leaves out
 * (their jmp_ and link_ pins; nothing when points is 0). */
void bf_nf_points_unpin(const char *dir, uint32_t points);
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
