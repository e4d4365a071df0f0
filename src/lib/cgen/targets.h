/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Code generation of the extension targets that act on the packet
 * (src/lib/cgen/t_reject.c, t_mark.c): REJECT replies and MARK.
 * LOG and NFLOG share emit_log() in cgen.c. See doc/hooks.md for what
 * each hook can do.
 *
 * REJECT at tc and XDP: the chain function returns a reject code
 * (BF_RC_REJECT_ICMP | code, or BF_RC_REJECT_RST), which propagates
 * through the chain calls like any other verdict; the program's main
 * function then turns the packet into the reply (bf_cgen_reject_reply())
 * and sends it back where it came from. At netfilter hooks a BPF program
 * can only accept or drop: REJECT compiles to DROP (bf_check() warns).
 */
#ifndef BPFILTER_CGEN_TARGETS_H
#define BPFILTER_CGEN_TARGETS_H

#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"

/* Chain return codes of REJECT (above every other BF_RC_*): the low byte
 * is the ICMP / ICMPv6 code of a destination-unreachable reply. */
#define BF_RC_REJECT_ICMP 0x100
#define BF_RC_REJECT_RST 0x200

/* Bytes of the per-CPU buffer the reply is built in: Ethernet, IPv6 and
 * ICMPv6 headers, the quoted 1232 bytes (icmp6_send() keeps the error
 * within the IPv6 minimum MTU), 4 zero bytes, then scratch. */
#define BF_REJECT_BUF 1344

/* The chain return code of a REJECT rule (its family picks the ICMP or
 * ICMPv6 code). */
int32_t bf_cgen_reject_rc(const struct bf_rule *rule);

struct bf_reject_env {
	enum bf_attach_kind attach; /* BF_ATTACH_TC or BF_ATTACH_XDP */
	enum bf_hook hook; /* INPUT (ingress) or OUTPUT (tc egress) */
	int32_t l3off; /* L3 header offset in the frame (Ethernet: 14) */
	int32_t v_drop; /* the hook's drop code */
	uint8_t ttl4, hlim6; /* TTL / hop limit of the replies */
	int kf_size; /* BTF id of the bpf_dynptr_size kfunc */
	/* entry of the checksum callback (bf_cgen_reject_csum_cb()), which
	 * the caller emits as a function of its own */
	bf_label csum_cb;
};

/* Main function, right after the family's built-in chain returned with a
 * reject code in r0 (r6 = program context, r9 = packet context, the skb
 * or xdp dynptr at STK_DYNPTR): build the reply of the kernel's REJECT
 * (nf_send_unreach() / icmp_send(), nf_send_reset(), and their IPv6
 * twins) and send it, or drop the packet when the kernel would not
 * answer. Always ends with an exit. Uses r0-r5, r7, r8 and the scratch
 * bytes of the packet context; needs the BF_RELOC_REJBUF map. */
void bf_cgen_reject_reply(struct bf_emit *e, const struct bf_reject_env *env,
			  enum bf_family family);

/* The bpf_loop() callback of bf_cgen_reject_reply()'s checksum
 * verification (one chunk of the transport segment a call), emitted by
 * the caller at env->csum_cb as a static function:
 * int cb(u64 index, struct bf_pctx *p). */
void bf_cgen_reject_csum_cb(struct bf_emit *e);

/* MARK (mark_tg() in net/netfilter/xt_mark.c): in a chain function (r9 =
 * packet context), pctx.mark = (pctx.mark & ~mask) ^ value; the main
 * function writes pctx.mark back to skb->mark (tc only). Clobbers r1. */
void bf_cgen_mark(struct bf_emit *e, const struct bf_verdict *v);

/* Default TTL / hop limit of replies sent from the current network
 * namespace (ip_default_ttl; conf/IF/hop_limit of the interface, else
 * conf/default), as the kernel's routes would use them. */
void bf_cgen_reply_hoplimits(const char *ifname, uint8_t *ttl4, uint8_t *hlim6);

#endif /* BPFILTER_CGEN_TARGETS_H */
