/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User BPF code in rules: what BF_MATCH_BPF and BF_VERDICT_BPF refer to.
 *
 * A rule does not carry the (large) description itself: front ends intern
 * it here and store the returned reference in the IR (u.bpf.ref). The
 * table is process-wide and append-only; equal descriptions share one
 * reference, so equal rules compare equal. Not thread-safe.
 *
 * Three kinds, as iptables' `-m bpf` (xt_bpf revision 1) plus bpfilter's
 * own objects:
 *  - BF_USERBPF_OBJECT: a function of a BPF ELF object file, linked into
 *    the generated program (include/bpfilter/usermatch.h,
 *    doc/user-matches.md);
 *  - BF_USERBPF_BYTECODE: classic BPF (`--bytecode "N,c t f k,..."`),
 *    translated to eBPF with the kernel's classic-BPF semantics, run on
 *    the packet from its network header (as xt_bpf sees it);
 *  - BF_USERBPF_PINNED: `--object-pinned PATH`; parsed and printed, but
 *    refused by the code generator (a BPF program cannot call another
 *    loaded program and come back: see doc/user-matches.md).
 */
#ifndef BPFILTER_USERBPF_H
#define BPFILTER_USERBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BF_USERBPF_PATH_MAX 512 /* XT_BPF_PATH_MAX */
#define BF_USERBPF_SECTION_MAX 128
#define BF_USERBPF_CBPF_MAX 64 /* XT_BPF_MAX_NUM_INSTR */
/* distinct descriptions a process can intern (about 1 KiB each) */
#define BF_USERBPF_MAX_REFS 16384

enum bf_userbpf_kind {
	BF_USERBPF_OBJECT = 0,
	BF_USERBPF_BYTECODE,
	BF_USERBPF_PINNED,
};

/* One classic BPF instruction (struct sock_filter). */
struct bf_cbpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct bf_userbpf {
	enum bf_userbpf_kind kind;
	/* OBJECT: file; PINNED: bpffs path */
	char path[BF_USERBPF_PATH_MAX];
	/* OBJECT: ELF section of the function, "" = the only one */
	char section[BF_USERBPF_SECTION_MAX];
	uint16_t n_insns; /* BYTECODE */
	struct bf_cbpf_insn insns[BF_USERBPF_CBPF_MAX];
};

/* Intern *u (copied); *ref receives its reference. 0, -ENOMEM, or
 * -ENOSPC beyond BF_USERBPF_MAX_REFS distinct descriptions. */
int bf_userbpf_intern(const struct bf_userbpf *u, uint32_t *ref);
/* The description of ref, NULL if ref is unknown. */
const struct bf_userbpf *bf_userbpf_get(uint32_t ref);

/* Parse iptables' --bytecode text "N,code jt jf k,code jt jf k,..."
 * (commas or newlines between instructions, as nfbpf_compile and
 * `tcpdump -ddd` print them) into u->insns, and check the program as the
 * kernel's bpf_check_classic() does (see bf_cbpf_check()). On error,
 * returns -EINVAL and points *why at a message. */
int bf_cbpf_parse(const char *text, struct bf_userbpf *u, const char **why);
/* Check a classic program: 1..64 instructions, known opcodes, jumps
 * inside the program, scratch memory indices < 16, no division by a
 * constant 0, ending with a return; only the loads bpfilter translates
 * (no link-layer offsets, ancillary data: protocol and length only). */
int bf_cbpf_check(const struct bf_cbpf_insn *insns, size_t n, const char **why);

/* Print ref as `iptables -L` shows an xt_bpf match (libxt_bpf):
 * "match bpf CODE JT JF K,... " for bytecode, "match bpf pinned PATH ",
 * and bpfilter's "match bpf object PATH [section S] " (with "! " in
 * front when neg), trailing space included. */
void bf_userbpf_print_list(FILE *out, uint32_t ref, bool neg);

#endif /* BPFILTER_USERBPF_H */
