/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF code generation: IR -> bpf_insn[], one program per attach point.
 *
 * Program shapes:
 *  - BF_ATTACH_NF: BPF_PROG_TYPE_NETFILTER, one program per (family, hook),
 *    entry = built-in chain of that family and hook; verdicts NF_ACCEPT /
 *    NF_DROP.
 *  - BF_ATTACH_TC: BPF_PROG_TYPE_SCHED_CLS for tcx, one program per
 *    direction (INPUT = ingress, OUTPUT = egress) serving both families;
 *    ACCEPT = TCX_NEXT, DROP = TCX_DROP. Interface matches are resolved at
 *    compile time against `ifname` (the interface the program is attached
 *    to).
 *  - BF_ATTACH_XDP: BPF_PROG_TYPE_XDP, INPUT only, both families;
 *    ACCEPT = XDP_PASS, DROP = XDP_DROP.
 *
 * Counters: one BPF_MAP_TYPE_ARRAY with a single value of
 * 16 * rs->n_counters bytes ({u64 packets, u64 bytes} per counter index
 * from bf_ruleset_number()), addressed directly with BPF_PSEUDO_MAP_VALUE
 * and updated with atomic adds. The loader supplies its fd through the
 * BF_RELOC_COUNTERS relocations.
 */
#ifndef BPFILTER_CGEN_H
#define BPFILTER_CGEN_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/ir.h"

enum bf_attach_kind {
	BF_ATTACH_NF = 0,
	BF_ATTACH_TC,
	BF_ATTACH_XDP,
	BF_ATTACH_COUNT,
};

enum bf_reloc_kind {
	/* insns[idx] is the first half of a BPF_LD_IMM64 with
	 * src_reg = BPF_PSEUDO_MAP_VALUE; set insns[idx].imm to the counters
	 * map fd (insns[idx + 1].imm already holds the value offset). */
	BF_RELOC_COUNTERS = 0,
	/* Same, for the program's private state map (rate limits): created
	 * by bf_program_load() with n_state 16-byte slots, held only by the
	 * program. */
	BF_RELOC_STATE,
	/* User BPF code (cgen/m_bpf.h): the per-CPU struct bf_usermatch
	 * map (BPF_PSEUDO_MAP_FD, created when the program is loaded), and
	 * a BPF_PSEUDO_CALL of the function of object relocs[].map (a
	 * bf_userbpf_get() reference), linked by bf_program_load(). */
	BF_RELOC_UMBUF,
	BF_RELOC_UFUNC,
	/* insns[idx] is the first half of a BPF_LD_IMM64 with
	 * src_reg = BPF_PSEUDO_MAP_FD: set insns[idx].imm to the fd of
	 * prog->maps[map], which bf_program_load() creates and fills. */
	BF_RELOC_MAP,
	/* BPF_PSEUDO_MAP_FD of the LOG maps, created by bf_program_load()
	 * when prog->log is set: a one-slot BPF_MAP_TYPE_PERCPU_ARRAY of
	 * struct bf_pktlog_rec (the record being built) and the
	 * BPF_MAP_TYPE_RINGBUF "bf_log" (include/bpfilter/pktlog.h). */
	BF_RELOC_LOGBUF,
	BF_RELOC_LOGRING,
	/* xt_recent table prog->recent[map] (cgen/m_recent.h): its "idx"
	 * hash map (BPF_PSEUDO_MAP_FD) and its "tab" array value
	 * (BPF_PSEUDO_MAP_VALUE, insns[idx + 1].imm = offset) */
	BF_RELOC_RECENT_IDX,
	BF_RELOC_RECENT_TAB,
	/* BPF_PSEUDO_MAP_FD of xt_hashlimit table prog->hashlimit[map]
	 * (cgen/m_hashlimit.h) */
	BF_RELOC_HASHLIMIT,
	/* BPF_PSEUDO_MAP_FD of the one-slot BPF_MAP_TYPE_PERCPU_ARRAY of
	 * BF_REJECT_BUF bytes REJECT replies are built in (cgen/targets.h),
	 * created by bf_program_load() when prog->reject is set. */
	BF_RELOC_REJBUF,
	/* BPF_PSEUDO_MAP_FD of the named set rs->sets[map] (cgen/m_set.h):
	 * bf_program_load() takes its fd from prog->set_fds[map]. */
	BF_RELOC_SET,
	/* insns[idx] is the first half of a BPF_LD_IMM64 with
	 * src_reg = BPF_PSEUDO_MAP_VALUE of the shared nft limit buckets
	 * (cgen/m_nftlimit.h): *prog->nftbucket_fd, else a map of the
	 * program's own (insns[idx + 1].imm = offset). */
	BF_RELOC_NFTBUCKET,
};

/* An xt_recent table a program uses (cgen/m_recent.h). */
struct bf_recent_table {
	char name[BF_RECENT_NAME_MAX];
	uint32_t nstamps; /* time stamps per entry */
};

/* An xt_hashlimit table a program uses (cgen/m_hashlimit.h). */
struct bf_hashlimit_table {
	char name[BF_HASHLIMIT_NAME_MAX];
	uint8_t family; /* enum bf_family: tables are per name and family */
	uint32_t max; /* entries (htable-max as htable_create() sets it) */
};

struct bf_reloc {
	size_t idx;
	enum bf_reloc_kind kind;
	uint32_t map; /* BF_RELOC_MAP: index in prog->maps */
};

/* A hash map of folded rule groups (src/lib/opt/, doc/classification.md):
 * n entries of key_size-byte keys and u32 values, in insertion order
 * (keys are unique). bf_program_load() creates it, fills it and hands it
 * to the program only. */
struct bf_prog_map {
	uint32_t key_size;
	uint32_t n;
	uint8_t *keys; /* n * key_size bytes */
	uint32_t *values;
	/* Maps of the bit-vector search (cgen/c_lbvs.h): a BPF_MAP_TYPE_*
	 * (0: the hash map above), map_flags, and n values of value_size
	 * bytes in vals (keys NULL for an array: entry i has index i). */
	uint32_t type;
	uint32_t map_flags;
	uint32_t value_size;
	uint8_t *vals;
};

/* A function of the program: insn 0 is the entry (main); every chain is a
 * global BPF subprogram (verified once, on its own) taking the packet
 * context pointer. The loader describes them to the kernel with BTF
 * func_info. */
struct bf_func {
	size_t insn_off;
	char name[32];
	bool global;
};

struct bf_program {
	enum bf_attach_kind attach;
	enum bf_hook hook;
	enum bf_family family; /* BF_ATTACH_NF only */
	char name[16]; /* BPF object name, e.g. "bf_in4" */
	struct bpf_insn *insns;
	size_t n_insns;
	struct bf_reloc *relocs;
	size_t n_relocs;
	struct bf_func *funcs; /* sorted by insn_off, funcs[0] at 0 */
	size_t n_funcs;
	/* bytes behind a chain function's argument (BTF): 0 = sizeof(struct
	 * bf_pctx); segment programs: a slot, extension included
	 * (cgen/segprog.h) */
	uint32_t pctx_size;
	uint32_t n_state; /* state slots (0: no state map) */
	struct bf_prog_map *maps; /* folded rule groups' hash maps */
	size_t n_maps;
	size_t n_folded; /* rules folded into hash lookups */
	bool log; /* has LOG rules: needs the LOG maps */
	struct bf_recent_table *recent; /* xt_recent tables used */
	size_t n_recent;
	/* Where bf_program_load() pins and finds the recent tables (the
	 * namespace's pin directory; set by the caller, not owned); NULL:
	 * the program gets tables of its own. */
	const char *recent_dir;
	struct bf_hashlimit_table *hashlimit; /* xt_hashlimit tables used */
	size_t n_hashlimit;
	bool reject; /* sends REJECT replies: needs the reply buffer */
	/* fds of the maps of rs->sets, by set index (-1: none), set by the
	 * caller before bf_program_load() for BF_RELOC_SET (not owned) */
	const int *set_fds;
	size_t n_set_fds;
	/* the map of the shared nft limit buckets (BF_RELOC_NFTBUCKET), set
	 * by the caller for every program of a slot (not owned); NULL: the
	 * program gets one of its own */
	const int *nftbucket_fd;
	/* the LOG maps (BF_RELOC_LOGBUF, BF_RELOC_LOGRING) shared by the
	 * root and the segment programs of one point (load/seg.h), set by
	 * the caller (not owned); NULL: the program gets maps of its own */
	const int *logbuf_fd, *logring_fd;
	/* the state map (BF_RELOC_STATE) to use, of 16 * n_state bytes, set
	 * by the caller (not owned): a one-segment change keeps the state of
	 * the segment it replaces (load/seg.h); NULL: a new one */
	const int *state_fd;
};

/* Compile the chains reachable from the built-in chain `hook` (of `family`
 * for BF_ATTACH_NF; of both families otherwise). rs must have been
 * numbered (bf_ruleset_number()) and checked (bf_check()). `ifname` is
 * required for TC and XDP. Returns 0 or -errno (reported via bf_log). */
int bf_cgen_compile(const struct bf_ruleset *rs, enum bf_attach_kind attach,
		    enum bf_hook hook, enum bf_family family,
		    const char *ifname, struct bf_program **out);
void bf_program_free(struct bf_program **prog);

/* BPF call frames the program for the built-in chain `hook` of `family`
 * needs: 1 for the program, 1 per chain level (-j and -g alike), and 1
 * more for each chain long enough to be split into segment functions.
 * BPF allows 8; bf_cgen_compile() fails with -E2BIG beyond. Returns the
 * count, or -ELOOP / -EINVAL (reported via bf_log). */
int bf_cgen_frames(const struct bf_ruleset *rs, enum bf_family family,
		   enum bf_hook hook);

/* Print the program's instructions, one per line (for --dump / -v). */
void bf_program_dump(const struct bf_program *prog, FILE *out);

/* Create the counters map for n counters (at least 1). Returns fd or
 * -errno. */
int bf_counters_map_create(uint32_t n_counters);

/* Resolve relocations and load the program into the kernel. Returns the
 * program fd or -errno; on verifier rejection, the verifier log is kept in
 * log (if non-NULL) and reported via bf_log at debug level. */
int bf_program_load(struct bf_program *prog, int counters_fd, char *log,
		    size_t log_size);

#endif /* BPFILTER_CGEN_H */
