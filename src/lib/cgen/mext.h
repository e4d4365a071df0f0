/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Matches that need more than the packet headers: addrtype, owner, time,
 * tcpmss, rt and conntrack (src/lib/cgen/m_*.c). cgen.c calls them at a few fixed
 * points:
 *
 *  - bf_mx_scan() for every match of the compiled chains, before any code
 *    is emitted: says whether the match is one of these, what the
 *    prologue must fill in, and why a combination cannot be compiled;
 *  - bf_mx_resolve() with the kernel BTF offsets they need;
 *  - bf_mx_nf_meta() in the netfilter prologue, while r6 = bpf_nf_ctx,
 *    r7 = sk_buff (trusted BTF pointers), r9 = packet context: reads what
 *    only the skb knows (the route type, the socket's owner, the
 *    conntrack entry);
 *  - bf_mx_v6_rt() / bf_mx_v6_frag() inside the IPv6 extension header walk
 *    (see v6_step()), so that the routing header is found exactly where
 *    ipv6_find_hdr(NEXTHDR_ROUTING) finds it;
 *  - bf_mx_after_parse() once the headers are parsed (every attachment;
 *    r8 = L3 length, the dynptr at STK_DYNPTR): time, TCP MSS option,
 *    routing header fields;
 *  - bf_mx_emit() for one match in a chain (r9 = packet context).
 *
 * Every function may clobber r0-r5; none touches r6-r9.
 */
#ifndef BPFILTER_CGEN_MEXT_H
#define BPFILTER_CGEN_MEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpfilter/ir.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"

#define BF_MX_MAX_CT 32 /* distinct conntrack matches per program */

struct bf_mx {
	enum bf_attach_kind attach;
	enum bf_hook hook;
	bool need_now, need_sk, need_rt_type, need_mss, need_rt6;
	bool need_rt6_flags; /* IPv6 addrtype LOCAL/ANYCAST/UNREACHABLE */
	/* time: seconds between CLOCK_TAI and CLOCK_REALTIME, and the
	 * kernel's sys_tz.tz_minuteswest, both read when compiling */
	int64_t tai_offset;
	int32_t tz_minuteswest;
	/* kernel BTF offsets */
	int off_rt6_flags;
	int off_ctx_state, off_state_net, off_skb_sk, off_skb_refdst,
		off_rt_type, off_sk_common, off_skc_state, off_skc_net,
		off_rsk_listener, off_sk_socket, off_socket_file, off_file_cred,
		off_cred_fsuid, off_cred_fsgid;
	/* conntrack (m_conntrack.c): the distinct matches, evaluated by the
	 * prologue into pctx.ct_bits */
	const struct bf_match *ct[BF_MX_MAX_CT];
	size_t n_ct;
	enum bf_family ct_family;
	uint32_t hz; /* kernel HZ, for --ctexpire */
	int off_nfct, off_ct_status, off_ct_timeout, off_tuple[2], off_src,
		off_dst, off_u3, off_u;
	/* owner --suppl-groups (m_owner.c): distinct gid ranges, evaluated
	 * by the prologue into pctx.ct_bits from bit 31 down */
	uint32_t sup[BF_MX_MAX_CT][2];
	size_t n_sup;
	int off_cred_groups, off_gi_ngroups, off_gi_gid;
	/* policy (m_policy.c): evaluated by the conntrack prologue into
	 * pctx.ct_bits, among x->ct[] */
	bool need_policy;
	int pol_sp_id; /* SKB_EXT_SEC_PATH */
	/* m_ctext.c */
	bool need_ctext;
	int ctx_helper_id; /* NF_CT_EXT_HELPER */
	int ctx_acct_id; /* NF_CT_EXT_ACCT */
	int off_acct_counter, off_cnt_packets, off_cnt_bytes, cnt_size;
	int off_ct_master, off_ct_ext, off_ctext_offset, off_help_helper,
		off_helper_name;
	int off_skb_active_ext, off_skb_extensions, off_ext_offset, off_sp_len,
		off_sp_xvec, off_pol_refdst, off_dst_xfrm, off_xdst_child,
		off_x_daddr, off_x_spi, off_x_proto, off_x_saddr, off_x_reqid,
		off_x_mode;
};

void bf_mx_init(struct bf_mx *x, enum bf_attach_kind attach, enum bf_hook hook);

/* Segment programs (cgen/segprog.h): start x's per-packet bits (conntrack
 * matches, --suppl-groups ranges) from the root's numbering `root`; and
 * whether x needs no bit beyond root's (root NULL: none at all). */
void bf_mx_seed(struct bf_mx *x, const struct bf_mx *root);
bool bf_mx_same_bits(const struct bf_mx *x, const struct bf_mx *root);

/* Whether `m` is one of these matches (true), and then whether it can be
 * compiled here: *why receives the reason it cannot (NULL if it can). */
bool bf_mx_scan(struct bf_mx *x, const struct bf_rule *r,
		const struct bf_match *m, const char **why);

/* Kernel offsets and clocks for what the scan asked for; 0 or -errno. */
int bf_mx_resolve(struct bf_mx *x);

void bf_mx_nf_meta(struct bf_mx *x, struct bf_emit *e);
void bf_mx_v6_rt(struct bf_mx *x, struct bf_emit *e);
void bf_mx_v6_frag(struct bf_mx *x, struct bf_emit *e);
void bf_mx_after_parse(struct bf_mx *x, struct bf_emit *e,
		       enum bf_family family, int32_t l3off);

/* Emit the match; `fail` when it does not hold, `hotdrop` to drop the
 * packet at once. Returns false when the rule can never match. */
bool bf_mx_emit(struct bf_mx *x, struct bf_emit *e, const struct bf_rule *r,
		const struct bf_match *m, bf_label fail, bf_label hotdrop);

/* Shared by the m_*.c files. */
/* A test of a match: it holds when the code emitted between
 * bf_mx_test_begin() and bf_mx_test_end() falls through, not when that
 * code jumps to t.out; bf_mx_test_end() goes to `fail` when the test does
 * not hold, or (t.inv) when it does. */
struct bf_mx_test {
	bf_label out, done;
	bool inv;
};

struct bf_mx_test bf_mx_test_begin(struct bf_emit *e, bool inv);

/* Address test on `words` 32-bit words read into the packet context at
 * `buf` (r9-relative): goto `out` unless (word & mask) == (addr & mask)
 * for each word of a non-zero mask. Clobbers r1. */
void bf_mx_emit_addr_words(struct bf_emit *e, int16_t buf, const uint8_t *addr,
			   const uint8_t *mask, int words, bf_label out);
void bf_mx_test_end(struct bf_emit *e, struct bf_mx_test t, bf_label fail);
void bf_mx_emit_addrtype(struct bf_mx *x, struct bf_emit *e,
			 const struct bf_rule *r, const struct bf_match *m,
			 bf_label fail);
void bf_mx_emit_owner(struct bf_mx *x, struct bf_emit *e,
		      const struct bf_match *m, bf_label fail);
void bf_mx_emit_time(struct bf_mx *x, struct bf_emit *e,
		     const struct bf_match *m, bf_label fail);
const char *bf_mx_ct_scan(struct bf_mx *x, const struct bf_rule *r,
			  const struct bf_match *m);
int bf_mx_ct_index(struct bf_mx *x, const struct bf_match *m);
int bf_mx_ct_resolve(struct bf_mx *x);
void bf_mx_ct_prologue(struct bf_mx *x, struct bf_emit *e);
void bf_mx_emit_conntrack(struct bf_mx *x, struct bf_emit *e,
			  const struct bf_match *m, bf_label fail);
void bf_mx_prologue_owner(struct bf_mx *x, struct bf_emit *e);
/* the ct_bits bit of owner --suppl-groups range [lo, hi], -1 if none */
int bf_mx_sup_bit(const struct bf_mx *x, uint32_t lo, uint32_t hi);
void bf_mx_prologue_mss(struct bf_mx *x, struct bf_emit *e,
			enum bf_family family, int32_t l3off);

/* m_policy.c: scan (then bf_mx_ct_scan()), BTF offsets, and one
 * evaluation in the conntrack prologue (falls through when the match
 * holds, else `fail`) */
const char *bf_mx_policy_scan(struct bf_mx *x, const struct bf_rule *r,
			      const struct bf_match *m);
int bf_mx_policy_resolve(struct bf_mx *x);
void bf_mx_policy_eval(struct bf_mx *x, struct bf_emit *e,
		       const struct bf_match *m, bf_label fail);

/* m_ctext.c: matches on the conntrack entry's extensions (helper),
 * evaluated in the conntrack prologue like m_policy.c's; whether two
 * such matches (any type but conntrack) are the same evaluation */
const char *bf_mx_ctext_scan(struct bf_mx *x, const struct bf_rule *r,
			     const struct bf_match *m);
int bf_mx_ctext_resolve(struct bf_mx *x);
void bf_mx_ctext_eval(struct bf_mx *x, struct bf_emit *e,
		      const struct bf_match *m, bf_label fail);
bool bf_mx_ext_same(const struct bf_match *a, const struct bf_match *b);

#endif /* BPFILTER_CGEN_MEXT_H */
