/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User BPF code in generated programs (BF_MATCH_BPF, BF_VERDICT_BPF; see
 * include/bpfilter/userbpf.h, include/bpfilter/usermatch.h and
 * doc/user-matches.md).
 *
 * Every piece of user code is a function `int f(struct bf_usermatch *)`
 * called with a BPF-to-BPF call (never a tail call) from the rule that
 * uses it:
 *  - classic BPF (--bytecode) is translated here, at compile time, into a
 *    static function of the program (cbpf.c);
 *  - a function of an object file (--object) is linked at load time
 *    (userobj.c): the compiler emits a call with a BF_RELOC_UFUNC
 *    relocation, and bf_userbpf_link() appends the object's instructions
 *    (relocated by libbpf: maps created, global data, subprograms) to the
 *    program and points the calls at them.
 * The argument is the value of a per-CPU array map (BF_RELOC_UMBUF) that
 * the main function fills once per packet, before the built-in chain
 * runs, when some rule needs it (bf_um_fill()).
 */
#ifndef BPFILTER_CGEN_M_BPF_H
#define BPFILTER_CGEN_M_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "bpfilter/userbpf.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"

/* One piece of user code of a program. */
struct bf_um_fn {
	uint32_t ref; /* bf_userbpf_get() */
	bf_label label; /* classic BPF: its function */
	bool emitted;
};

/* User code state of one compilation. */
struct bf_um {
	bool on; /* some rule calls user code: fill the buffer */
	struct bf_um_fn *fns;
	size_t n_fns;
};

/* Check the user code a rule of the program refers to (known reference,
 * pinned programs refused). Reports via bf_log_at(); 0 or -errno. */
int bf_um_scan(struct bf_um *um, const struct bf_rule *rule,
	       const struct bf_match *m, uint32_t ref);

/* Main function, once the packet context (r9) is filled: fill the
 * per-CPU struct bf_usermatch from the packet context and the packet
 * (dynptr at STK_DYNPTR, network header at l3off). Clobbers r0-r5, r7. */
void bf_um_fill(struct bf_emit *e, enum bf_attach_kind attach,
		enum bf_hook hook, int32_t l3off);

/* In a chain (r9 = packet context): r0 = user code ref's result; a
 * failed buffer lookup goes to `nobuf`. Clobbers r0-r5. */
void bf_um_call(struct bf_emit *e, struct bf_um *um, uint32_t ref,
		bf_label nobuf);

/* A BF_MATCH_BPF match: go to `fail` unless the code returns non-zero
 * (xt_bpf: `!!bpf_prog_run()`). */
void bf_um_match(struct bf_emit *e, struct bf_um *um, const struct bf_match *m,
		 bf_label fail);

/* A BF_VERDICT_BPF verdict: return rc_accept / rc_drop from the chain
 * for BF_USERMATCH_ACCEPT / _DROP, else go to `next`. */
void bf_um_verdict(struct bf_emit *e, struct bf_um *um, uint32_t ref,
		   bf_label next, int32_t rc_accept, int32_t rc_drop);

/* After the chains: emit the functions of the classic programs called,
 * adding them to prog->funcs (*cap_funcs entries allocated). */
int bf_um_emit_funcs(struct bf_emit *e, struct bf_um *um,
		     struct bf_program *prog, size_t *cap_funcs);

void bf_um_release(struct bf_um *um);

/* cbpf.c: emit the function of classic program u at the current
 * position (the label is bound by the caller). */
void bf_cbpf_emit(struct bf_emit *e, const struct bf_userbpf *u);

/* userobj.c: link the object functions the program calls
 * (BF_RELOC_UFUNC) into prog: append their instructions and functions,
 * patch the calls. *objs receives what keeps their maps alive until the
 * program is loaded: release it with bf_userbpf_unlink(). Errors name the
 * object; 0 or -errno. */
/* Check an object reference without loading anything (the file opens,
 * the function exists, its signature and ABI version): what
 * `apply --test` can know before the verifier. Errors name the object;
 * 0 or -errno. */
int bf_userbpf_check(const struct bf_userbpf *u);

struct bf_uobjs;
/* When it returns, prog holds the object code; bf_userbpf_unlink()
 * restores prog as compiled. */
int bf_userbpf_link(struct bf_program *prog, struct bf_uobjs **objs);
void bf_userbpf_unlink(struct bf_uobjs **objs);
/* After a failed load of a program with user code: report the end of
 * the verifier log at error level, naming the objects. */
void bf_userbpf_report(const struct bf_uobjs *objs, const char *log);

#endif /* BPFILTER_CGEN_M_BPF_H */
