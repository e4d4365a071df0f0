/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Netfilter programs: pointers read from the program context without the
 * verifier's trust searches.
 *
 * The kernel's verifier types a netfilter program's ctx->state and
 * ctx->skb as trusted BTF pointers. Each time it visits a load of a
 * pointer field through a trusted pointer (state->in, skb->dev, skb->sk)
 * it looks for "<struct>__safe_trusted", "..._or_null", "__safe_rcu" and
 * "..._or_null" types by name (btf_nested_type_is_trusted(), from
 * check_ptr_to_btf_access() in kernel/bpf/verifier.c), and each ctx load
 * looks up its struct by name (nf_ptr_to_btf_id(),
 * net/netfilter/nf_bpf_link.c). In 6.18 these are linear scans of the
 * ~126,000 vmlinux types: about 1 ms each, most of a root program's load.
 *
 * Here the context is first cast to an untrusted pointer with the kfunc
 * bpf_rdonly_cast() (the verifier's fixup turns the call into one
 * register move). Loads through an untrusted pointer give untrusted
 * pointers without any search, and are PROBE_MEM loads: a NULL device
 * reads as zeros, as before.
 */
#ifndef BPFILTER_CGEN_NFBTF_H
#define BPFILTER_CGEN_NFBTF_H

#include <stdint.h>

#include "cgen/emit.h"

/* dst = ctx->member (member "state" or "skb" of struct bpf_nf_ctx; the
 * program context in r6), as an untrusted BTF pointer. Only for reading
 * kernel memory: an untrusted skb cannot be given to kfuncs. Clobbers
 * r0-r5. Without bpf_rdonly_cast() in the kernel, a plain (trusted)
 * ctx load, as with BPFILTER_NFBTF_TRUSTED=1 (tests). Member offset not
 * found: bf_emit_fail(-ENOENT). */
void bf_nf_ctx_ptr(struct bf_emit *e, uint8_t dst, const char *member);

#endif /* BPFILTER_CGEN_NFBTF_H */
