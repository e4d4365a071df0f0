// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dispatch of the matches of mext.h, the routing header (ip6t_rt) and the
 * TCP MSS match (xt_tcpmss). See doc/hooks.md for which match works at
 * which hook and why.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <unistd.h>

#include "bpfilter/log.h"
#include "cgen/mext.h"
#include "cgen/pctx.h"
#include "kbtf/kbtf.h"

#define RTN_LOCAL_BIT (1u << 2)
#define RTN_ANYCAST_BIT (1u << 4)
#define RTN_UNREACHABLE_BIT (1u << 7)
#define RTN_MULTICAST_BIT (1u << 5)

void bf_mx_init(struct bf_mx *x, enum bf_attach_kind attach, enum bf_hook hook)
{
	memset(x, 0, sizeof(*x));
	x->attach = attach;
	x->hook = hook;
}

struct bf_mx_test bf_mx_test_begin(struct bf_emit *e, bool inv)
{
	struct bf_mx_test t = { bf_label_new(e), bf_label_new(e), inv };

	return t;
}

void bf_mx_test_end(struct bf_emit *e, struct bf_mx_test t, bf_label fail)
{
	bf_emit_ja(e, t.inv ? fail : t.done);
	bf_label_bind(e, t.out);
	if (!t.inv)
		bf_emit_ja(e, fail);
	bf_label_bind(e, t.done);
}

void bf_mx_emit_addr_words(struct bf_emit *e, int16_t buf, const uint8_t *addr,
			   const uint8_t *mask, int words, bf_label out)
{
	for (int i = 0; i < words; i++) {
		uint32_t a, m;

		memcpy(&a, addr + 4 * i, 4);
		memcpy(&m, mask + 4 * i, 4);
		if (!m)
			continue;
		bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9, (int16_t)(buf + 4 * i)));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)m));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, (int32_t)(a & m), out);
	}
}

void bf_mx_seed(struct bf_mx *x, const struct bf_mx *root)
{
	memcpy(x->ct, root->ct, sizeof(x->ct));
	x->n_ct = root->n_ct;
	x->ct_family = root->ct_family;
	memcpy(x->sup, root->sup, sizeof(x->sup));
	x->n_sup = root->n_sup;
}

bool bf_mx_same_bits(const struct bf_mx *x, const struct bf_mx *root)
{
	return x->n_ct == (root ? root->n_ct : 0) &&
	       x->n_sup == (root ? root->n_sup : 0);
}

static const char *scan_addrtype(struct bf_mx *x, const struct bf_rule *r,
				 const struct bf_match *m)
{
	const typeof(m->u.addrtype) *at = &m->u.addrtype;

	if (r->family == BF_FAMILY_INET6) {
		/* match_type6(): MULTICAST, UNICAST and UNSPEC come from
		 * ipv6_addr_type() (the address alone); LOCAL, ANYCAST and
		 * UNREACHABLE from a route lookup (match_lookup_rt6()),
		 * which for the destination of a locally delivered packet
		 * is the packet's own route (as for IPv4). */
		uint16_t route = RTN_LOCAL_BIT | RTN_ANYCAST_BIT |
				 RTN_UNREACHABLE_BIT;

		if (!((at->source | at->dest) & route))
			return NULL;
		if (at->source & route)
			return "IPv6 --src-type LOCAL, ANYCAST and UNREACHABLE "
			       "need a route lookup (match_lookup_rt6()) that "
			       "BPF programs cannot make; UNICAST, MULTICAST "
			       "and UNSPEC work at every hook";
		if (at->flags &
		    (BF_ADDRTYPE_LIMIT_IFACE_IN | BF_ADDRTYPE_LIMIT_IFACE_OUT))
			return "IPv6 LOCAL, ANYCAST and UNREACHABLE with "
			       "--limit-iface-* need ipv6_chk_addr() and a "
			       "lookup with that device";
		if (x->attach != BF_ATTACH_NF || x->hook != BF_HOOK_INPUT)
			return "IPv6 --dst-type LOCAL, ANYCAST and UNREACHABLE "
			       "are compiled at nf INPUT only, from the route "
			       "of the locally delivered packet";
		x->need_rt6_flags = true;
		return NULL;
	}
	/* addrtype_mt_v1(): inet_dev_addr_type() of the address. A
	 * multicast address is RTN_MULTICAST before any table lookup or
	 * device test (__inet_dev_addr_type()), and a lookup never gives
	 * RTN_MULTICAST for another address: a type list of MULTICAST
	 * alone depends on the address only, at every hook. */
	if ((at->source & ~RTN_MULTICAST_BIT) == 0 &&
	    (at->dest & ~RTN_MULTICAST_BIT) == 0)
		return NULL;
	if (at->source & ~RTN_MULTICAST_BIT)
		return "--src-type needs the type of the source address in "
		       "the local routing table (inet_dev_addr_type()), "
		       "which BPF programs cannot look up (MULTICAST alone "
		       "works: it depends on the address); --dst-type works "
		       "at nf INPUT";
	if (at->flags &
	    (BF_ADDRTYPE_LIMIT_IFACE_IN | BF_ADDRTYPE_LIMIT_IFACE_OUT))
		return "--limit-iface-in/out need the device of the local "
		       "route of the address (inet_dev_addr_type() with a "
		       "device), which the packet's route does not record "
		       "(MULTICAST alone works)";
	if (x->attach != BF_ATTACH_NF)
		return "--dst-type is read from the route the kernel chose "
		       "for the packet, which exists from the netfilter hooks "
		       "on; use --hook nf";
	/* Only a locally delivered packet's route has the type of its
	 * destination: a forwarded or sent packet's route may come from
	 * another table (policy routing) than the local table that
	 * inet_dev_addr_type() consults. */
	if (x->hook != BF_HOOK_INPUT)
		return "--dst-type is compiled in INPUT only: there the "
		       "packet's route is the local delivery the local table "
		       "decided; in FORWARD and OUTPUT the route can come from "
		       "any table (policy routing) and its type is not "
		       "inet_dev_addr_type()'s answer";
	x->need_rt_type = true;
	return NULL;
}

bool bf_mx_scan(struct bf_mx *x, const struct bf_rule *r,
		const struct bf_match *m, const char **why)
{
	*why = NULL;
	switch (m->type) {
	case BF_MATCH_ADDRTYPE:
		*why = scan_addrtype(x, r, m);
		return true;
	case BF_MATCH_OWNER:
		if (x->attach != BF_ATTACH_NF)
			*why = "the owner of a packet's socket is read at "
			       "netfilter hooks only; use --hook nf";
		else if (x->hook != BF_HOOK_OUTPUT)
			*why = "the owner match is only valid in OUTPUT";
		x->need_sk = true;
		if (!*why && (m->u.owner.match & BF_OWNER_SUPPL_GROUPS) &&
		    (m->u.owner.match & BF_OWNER_GID) &&
		    bf_mx_sup_bit(x, m->u.owner.gid_min, m->u.owner.gid_max) <
			    0) {
			if (x->n_sup + x->n_ct >= BF_MX_MAX_CT) {
				*why = "more than 32 distinct conntrack "
				       "matches and --suppl-groups ranges in "
				       "one hook";
				return true;
			}
			x->sup[x->n_sup][0] = m->u.owner.gid_min;
			x->sup[x->n_sup][1] = m->u.owner.gid_max;
			x->n_sup++;
		}
		return true;
	case BF_MATCH_TIME:
		x->need_now = true;
		return true;
	case BF_MATCH_TCPMSS:
		x->need_mss = true;
		return true;
	case BF_MATCH_RT:
		if (m->u.rt.flags & BF_RT_FST)
			*why = "--rt-0-addrs is not compiled (the addresses of "
			       "a type 0 routing header are not read)";
		x->need_rt6 = true;
		return true;
	case BF_MATCH_CONNTRACK:
		*why = bf_mx_ct_scan(x, r, m);
		return true;
	case BF_MATCH_POLICY:
		*why = bf_mx_policy_scan(x, r, m);
		return true;
	case BF_MATCH_HELPER:
	case BF_MATCH_CONNBYTES:
		*why = bf_mx_ctext_scan(x, r, m);
		return true;
	case BF_MATCH_PHYSDEV:
		*why = "physdev reads the bridge ports of a bridged packet "
		       "(br_netfilter's nf_bridge_info, a device index "
		       "resolved by name), which BPF programs cannot do; "
		       "match the bridge port with -i/-o at --hook tc on the "
		       "port instead";
		return true;
	default:
		return false;
	}
}

static int off_of(const char *s, const char *m, int *out)
{
	*out = bf_kbtf_member_off(s, m);
	if (*out < 0)
		bf_dbg("kernel BTF: no %s.%s", s, m);
	return *out < 0 ? *out : 0;
}

int bf_mx_resolve(struct bf_mx *x)
{
	int r = 0, rq = 0;

	if (x->need_now) {
		/* Real time = CLOCK_TAI - the kernel's TAI offset
		 * (timekeeper.tai_offset, which adjtimex() reports). BPF
		 * programs can read CLOCK_TAI (bpf_ktime_get_tai_ns()) but
		 * not CLOCK_REALTIME: the offset is read now and kept. */
		struct timex tx = { 0 };
		struct timezone tz = { 0 };

		if (adjtimex(&tx) < 0)
			return -errno;
		x->tai_offset = tx.tai;
		/* sys_tz, as settimeofday() set it (glibc's gettimeofday()
		 * no longer reports it: ask the kernel). */
		if (syscall(SYS_gettimeofday, NULL, &tz) < 0)
			return -errno;
		x->tz_minuteswest = tz.tz_minuteswest;
	}
	if (x->attach != BF_ATTACH_NF)
		return 0;
	if (bf_mx_ct_resolve(x))
		return -ENOENT;
	if (bf_mx_policy_resolve(x))
		return -ENOENT;
	if (bf_mx_ctext_resolve(x))
		return -ENOENT;
	if (x->need_rt_type) {
		r |= off_of("sk_buff", "_skb_refdst", &x->off_skb_refdst);
		r |= off_of("rtable", "rt_type", &x->off_rt_type);
	}
	if (x->need_rt6_flags) {
		r |= off_of("sk_buff", "_skb_refdst", &x->off_skb_refdst);
		r |= off_of("rt6_info", "rt6i_flags", &x->off_rt6_flags);
	}
	if (x->need_sk) {
		r |= off_of("bpf_nf_ctx", "state", &x->off_ctx_state);
		r |= off_of("nf_hook_state", "net", &x->off_state_net);
		r |= off_of("sk_buff", "sk", &x->off_skb_sk);
		r |= off_of("sock", "__sk_common", &x->off_sk_common);
		r |= off_of("sock_common", "skc_state", &x->off_skc_state);
		r |= off_of("sock_common", "skc_net", &x->off_skc_net);
		/* rsk_listener is __req_common.skc_listener */
		r |= off_of("request_sock", "__req_common", &rq);
		r |= off_of("sock_common", "skc_listener",
			    &x->off_rsk_listener);
		x->off_rsk_listener += rq;
		r |= off_of("sock", "sk_socket", &x->off_sk_socket);
		r |= off_of("socket", "file", &x->off_socket_file);
		r |= off_of("file", "f_cred", &x->off_file_cred);
		r |= off_of("cred", "fsuid", &x->off_cred_fsuid);
		r |= off_of("cred", "fsgid", &x->off_cred_fsgid);
		if (x->n_sup) {
			r |= off_of("cred", "group_info", &x->off_cred_groups);
			r |= off_of("group_info", "ngroups",
				    &x->off_gi_ngroups);
			r |= off_of("group_info", "gid", &x->off_gi_gid);
		}
	}
	return r ? -ENOENT : 0;
}

static void st(struct bf_emit *e, int size, int16_t off, uint8_t src)
{
	bf_emit(e, I_STX(size, BF_R9, src, off));
}

static void ld(struct bf_emit *e, int size, uint8_t dst, int16_t off)
{
	bf_emit(e, I_LDX(size, dst, BF_R9, off));
}

/* bpf_probe_read_kernel(pctx + dst, size, r3); r0 != 0 goes to `bad`. */
static void probe(struct bf_emit *e, int16_t dst, int size, bf_label bad)
{
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, dst));
	bf_emit(e, I_MOV64_IMM(BF_R2, size));
	bf_emit(e, I_HELPER(BPF_FUNC_probe_read_kernel));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

void bf_mx_nf_meta(struct bf_mx *x, struct bf_emit *e)
{
	if (x->need_rt_type) {
		/* skb_rtable(): _skb_refdst without SKB_DST_NOREF; the
		 * route's rt_type is what ip_route_input*() /
		 * ip_route_output*() decided for the destination, from the
		 * same FIB lookup inet_addr_type() makes (local table
		 * first). No route: 0xff, which no type bit matches. */
		bf_label none = bf_label_new(e), done = bf_label_new(e);

		bf_emit(e, I_LDX(BPF_DW, BF_R3, BF_R7,
				 (int16_t)x->off_skb_refdst));
		bf_emit(e, I_ALU64_IMM(BPF_AND, BF_R3, -2));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, none);
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, x->off_rt_type));
		/* rt_type is a u16 < 256: its low byte (little endian) */
		probe(e, PCTX_OFF(rt_type), 1, none);
		bf_emit_ja(e, done);
		bf_label_bind(e, none);
		bf_emit(e, I_MOV64_IMM(BF_R1, 0xff));
		st(e, BPF_B, PCTX_OFF(rt_type), BF_R1);
		bf_label_bind(e, done);
	}
	if (x->need_rt6_flags) {
		/* match_lookup_rt6() without a device, on the packet's
		 * route: RTF_REJECT -> UNREACHABLE, RTF_LOCAL -> LOCAL,
		 * RTF_ANYCAST -> ANYCAST; kept as those XT_ADDRTYPE_* bits
		 * (they fit in a byte) */
		bf_label none = bf_label_new(e), done = bf_label_new(e);
		bf_label l1 = bf_label_new(e), l2 = bf_label_new(e);
		bf_label l3 = bf_label_new(e);

		bf_emit(e, I_LDX(BPF_DW, BF_R3, BF_R7,
				 (int16_t)x->off_skb_refdst));
		bf_emit(e, I_ALU64_IMM(BPF_AND, BF_R3, -2));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R3, 0, none);
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, x->off_rt6_flags));
		probe(e, PCTX_OFF(scratch), 4, none);
		ld(e, BPF_W, BF_R1, PCTX_OFF(scratch));
		bf_emit(e, I_MOV32_IMM(BF_R2, 0));
		bf_emit(e, I_MOV32_REG(BF_R3, BF_R1));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R3, 0x0200 /* REJECT */));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R3, 0, l1);
		bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R2, RTN_UNREACHABLE_BIT));
		bf_label_bind(e, l1);
		bf_emit(e, I_MOV32_REG(BF_R3, BF_R1));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R3,
				       (int32_t)0x80000000u /* LOCAL */));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R3, 0, l2);
		bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R2, RTN_LOCAL_BIT));
		bf_label_bind(e, l2);
		bf_emit(e,
			I_ALU32_IMM(BPF_AND, BF_R1, 0x00100000 /* ANYCAST */));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, l3);
		bf_emit(e, I_ALU32_IMM(BPF_OR, BF_R2, RTN_ANYCAST_BIT));
		bf_label_bind(e, l3);
		st(e, BPF_B, PCTX_OFF(rt_type), BF_R2);
		bf_emit_ja(e, done);
		/* no route: nf_ip6_route() would fail: UNREACHABLE */
		bf_label_bind(e, none);
		bf_emit(e, I_MOV64_IMM(BF_R1, RTN_UNREACHABLE_BIT));
		st(e, BPF_B, PCTX_OFF(rt_type), BF_R1);
		bf_label_bind(e, done);
	}
	if (x->need_sk)
		bf_mx_prologue_owner(x, e);
	bf_mx_ct_prologue(x, e);
}

/* In v6_step() at a routing header whose first 4 bytes are in the
 * packet (r7 = its offset): the first one is the one
 * ipv6_find_hdr(NEXTHDR_ROUTING) stops at. */
void bf_mx_v6_rt(struct bf_mx *x, struct bf_emit *e)
{
	bf_label seen = bf_label_new(e);

	if (!x->need_rt6)
		return;
	ld(e, BPF_H, BF_R1, PCTX_OFF(rt6_off));
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, seen);
	st(e, BPF_H, PCTX_OFF(rt6_off), BF_R7);
	bf_label_bind(e, seen);
}

/* In v6_step() at a non-first fragment: ipv6_find_hdr() with a target
 * returns -ENOENT there (not an error), whatever follows. */
void bf_mx_v6_frag(struct bf_mx *x, struct bf_emit *e)
{
	if (!x->need_rt6)
		return;
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_RT6_FRAG));
	st(e, BPF_B, PCTX_OFF(rt6_state), BF_R1);
}

/* bpf_dynptr_read(pctx + dst, len_reg or len, dynptr, r4, 0); error to
 * `bad`. r4 holds the offset. */
static void dread(struct bf_emit *e, int16_t dst, int len_reg, int32_t len,
		  bf_label bad)
{
	if (len_reg >= 0)
		bf_emit(e, I_MOV64_REG(BF_R2, (uint8_t)len_reg));
	else
		bf_emit(e, I_MOV64_IMM(BF_R2, len));
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, dst));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_FP));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	bf_emit(e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, bad);
}

/* rt_mt6() (net/ipv6/netfilter/ip6t_rt.c) up to the tests: the state and
 * fields of the routing header the walk found. */
static void prologue_rt6(struct bf_emit *e, int32_t l3off)
{
	bf_label notfound = bf_label_new(e), none = bf_label_new(e);
	bf_label drop = bf_label_new(e), shortl = bf_label_new(e);
	bf_label store = bf_label_new(e), done = bf_label_new(e);
	bf_label short8 = bf_label_new(e);

	ld(e, BPF_H, BF_R4, PCTX_OFF(rt6_off));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R4, 0, notfound);
	/* ipv6_optlen() >= 8: fewer than 8 bytes left is short anyway */
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R4));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, 8));
	bf_emit_jmp_reg(e, BPF_JGT, BF_R1, BF_R8, short8);
	if (l3off)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, l3off));
	dread(e, PCTX_OFF(scratch), -1, 8, drop);
	/* the type, for nft's `rt type` too (BF_RT_NFT: whatever the
	 * header's length says, emit_rt()) */
	ld(e, BPF_B, BF_R1, PCTX_OFF(scratch) + 2);
	st(e, BPF_B, PCTX_OFF(rt6_type), BF_R1);
	ld(e, BPF_B, BF_R1, PCTX_OFF(scratch) + 1);
	bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R1, 1));
	bf_emit(e, I_ALU32_IMM(BPF_LSH, BF_R1, 3));
	st(e, BPF_H, PCTX_OFF(rt6_hdrlen), BF_R1);
	/* if (skb->len - ptr < hdrlen) return false */
	ld(e, BPF_H, BF_R2, PCTX_OFF(rt6_off));
	bf_emit(e, I_MOV64_REG(BF_R3, BF_R8));
	bf_emit(e, I_ALU64_REG(BPF_SUB, BF_R3, BF_R2));
	bf_emit_jmp_reg(e, BPF_JLT, BF_R3, BF_R1, shortl);
	ld(e, BPF_B, BF_R1, PCTX_OFF(scratch) + 2);
	st(e, BPF_B, PCTX_OFF(rt6_type), BF_R1);
	ld(e, BPF_B, BF_R1, PCTX_OFF(scratch) + 3);
	st(e, BPF_B, PCTX_OFF(rt6_segsleft), BF_R1);
	ld(e, BPF_W, BF_R1, PCTX_OFF(scratch) + 4);
	st(e, BPF_W, PCTX_OFF(rt6_res), BF_R1);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_RT6_FOUND));
	bf_emit_ja(e, store);

	/* Not found: -ENOENT (false) when the walk ended normally or at a
	 * non-first fragment, -EBADMSG (hotdrop) when it failed. */
	bf_label_bind(e, notfound);
	ld(e, BPF_B, BF_R1, PCTX_OFF(l6err));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, none);
	ld(e, BPF_B, BF_R1, PCTX_OFF(rt6_state));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, BF_RT6_FRAG, none);
	bf_label_bind(e, drop);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_RT6_DROP));
	bf_emit_ja(e, store);
	/* Fewer than 8 bytes: short for rt_mt6(); nft's `rt type` reads
	 * its one byte at offset 2 (nft_exthdr_ipv6_eval()'s
	 * skb_copy_bits()), which the packet has: the walk noted the
	 * header only with its first 4 bytes (bf_mx_v6_rt()). */
	bf_label_bind(e, short8);
	bf_emit(e, I_MOV64_REG(BF_R1, BF_R4));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, 3));
	bf_emit_jmp_reg(e, BPF_JGT, BF_R1, BF_R8, shortl);
	if (l3off)
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R4, l3off));
	dread(e, PCTX_OFF(scratch), -1, 3, shortl);
	ld(e, BPF_B, BF_R1, PCTX_OFF(scratch) + 2);
	st(e, BPF_B, PCTX_OFF(rt6_type), BF_R1);
	bf_label_bind(e, shortl);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_RT6_SHORT));
	bf_emit_ja(e, store);
	bf_label_bind(e, none);
	bf_emit(e, I_MOV64_IMM(BF_R1, BF_RT6_NONE));
	bf_label_bind(e, store);
	st(e, BPF_B, PCTX_OFF(rt6_state), BF_R1);
	bf_label_bind(e, done);
}

void bf_mx_after_parse(struct bf_mx *x, struct bf_emit *e,
		       enum bf_family family, int32_t l3off)
{
	if (x->need_now) {
		/* time_mt(): ktime_get_real_seconds(), here
		 * CLOCK_TAI / 1e9 - tai_offset (see bf_mx_resolve()). */
		bf_emit(e, I_HELPER(BPF_FUNC_ktime_get_tai_ns));
		bf_emit_ld_imm64(e, BF_R1, 1000000000ull);
		bf_emit(e, I_ALU64_REG(BPF_DIV, BF_R0, BF_R1));
		if (x->tai_offset)
			bf_emit(e, I_ALU64_IMM(BPF_SUB, BF_R0,
					       (int32_t)x->tai_offset));
		st(e, BPF_W, PCTX_OFF(now), BF_R0);
	}
	if (x->need_mss)
		bf_mx_prologue_mss(x, e, family, l3off);
	if (x->need_rt6 && family == BF_FAMILY_INET6)
		prologue_rt6(e, l3off);
}

/* ---- matches ---- */

/* tcpmss_mt(): no MSS option -> invert; unreadable header or options ->
 * hotdrop; else (min <= mss <= max) ^ invert. */
static void emit_tcpmss(struct bf_emit *e, const struct bf_match *m,
			bf_label fail, bf_label hotdrop)
{
	bf_label found = bf_label_new(e), ok = bf_label_new(e);

	ld(e, BPF_B, BF_R1, PCTX_OFF(mss_state));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, BF_MSS_FOUND, found);
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, BF_MSS_DROP, hotdrop);
	if (m->neg)
		bf_emit_ja(e, ok);
	else
		bf_emit_ja(e, fail);
	bf_label_bind(e, found);
	ld(e, BPF_H, BF_R1, PCTX_OFF(mss));
	if (!m->neg) {
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, m->u.length.min, fail);
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, m->u.length.max, fail);
	} else {
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, m->u.length.min, ok);
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R1, m->u.length.max, ok);
		bf_emit_ja(e, fail);
	}
	bf_label_bind(e, ok);
}

/* rt_mt6(): segments left in range (xor invert), then length and type
 * when given (xor invert), then the reserved field when asked. */
static void emit_rt(struct bf_emit *e, const struct bf_match *m, bf_label fail,
		    bf_label hotdrop)
{
	const typeof(m->u.rt) *rt = &m->u.rt;
	bf_label in;

	if (rt->flags & BF_RT_NFT) {
		/* nft's `rt type` (nft_exthdr_ipv6_eval()): ipv6_find_hdr()
		 * found a routing header and skb_copy_bits() reads its byte
		 * 2, else NFT_BREAK: no match, `!=` included; nothing
		 * hotdrops. rt6_type holds that byte whenever it is inside
		 * the packet (prologue_rt6()). */
		ld(e, BPF_H, BF_R1, PCTX_OFF(rt6_off));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, 0, fail);
		ld(e, BPF_B, BF_R2, PCTX_OFF(rt6_state));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R2, BF_RT6_DROP, fail);
		bf_emit(e, I_ALU64_IMM(BPF_ADD, BF_R1, 3));
		ld(e, BPF_W, BF_R2, PCTX_OFF(len));
		bf_emit_jmp_reg(e, BPF_JGT, BF_R1, BF_R2, fail);
		ld(e, BPF_B, BF_R1, PCTX_OFF(rt6_type));
		if (rt->rt_type > 255) {
			if (!(rt->invflags & BF_RT_INV_TYP))
				bf_emit_ja(e, fail);
			return;
		}
		bf_emit_jmp32_imm(
			e, rt->invflags & BF_RT_INV_TYP ? BPF_JEQ : BPF_JNE,
			BF_R1, (int32_t)rt->rt_type, fail);
		return;
	}
	ld(e, BPF_B, BF_R1, PCTX_OFF(rt6_state));
	bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, BF_RT6_DROP, hotdrop);
	bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, BF_RT6_FOUND, fail);

	/* segsleft_match(min, max, id, invert) on a u8 */
	in = bf_label_new(e);
	ld(e, BPF_B, BF_R1, PCTX_OFF(rt6_segsleft));
	if (!(rt->invflags & BF_RT_INV_SGS)) {
		if (rt->segsleft[0] > 255 || rt->segsleft[0] > rt->segsleft[1])
			bf_emit_ja(e, fail);
		if (rt->segsleft[0] > 0)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
					  (int32_t)rt->segsleft[0], fail);
		if (rt->segsleft[1] < 255)
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R1,
					  (int32_t)rt->segsleft[1], fail);
	} else {
		bf_label out = bf_label_new(e);

		if (rt->segsleft[0] > 255 || rt->segsleft[0] > rt->segsleft[1])
			bf_emit_ja(e, out);
		if (rt->segsleft[0] > 0)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R1,
					  (int32_t)rt->segsleft[0], out);
		if (rt->segsleft[1] < 255)
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R1,
					  (int32_t)rt->segsleft[1], out);
		bf_emit_ja(e, fail);
		bf_label_bind(e, out);
	}
	bf_label_bind(e, in);
	if (rt->flags & BF_RT_LEN) {
		ld(e, BPF_H, BF_R1, PCTX_OFF(rt6_hdrlen));
		if (rt->hdrlen > 0xffff) {
			/* never equal */
			if (!(rt->invflags & BF_RT_INV_LEN))
				bf_emit_ja(e, fail);
		} else
			bf_emit_jmp32_imm(e,
					  rt->invflags & BF_RT_INV_LEN ?
						  BPF_JEQ :
						  BPF_JNE,
					  BF_R1, (int32_t)rt->hdrlen, fail);
	}
	if (rt->flags & BF_RT_TYP) {
		ld(e, BPF_B, BF_R1, PCTX_OFF(rt6_type));
		if (rt->rt_type > 255) {
			if (!(rt->invflags & BF_RT_INV_TYP))
				bf_emit_ja(e, fail);
		} else {
			bf_emit_jmp32_imm(e,
					  rt->invflags & BF_RT_INV_TYP ?
						  BPF_JEQ :
						  BPF_JNE,
					  BF_R1, (int32_t)rt->rt_type, fail);
		}
	}
	if (rt->flags & BF_RT_RES) {
		ld(e, BPF_W, BF_R1, PCTX_OFF(rt6_res));
		bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, fail);
	}
}

bool bf_mx_emit(struct bf_mx *x, struct bf_emit *e, const struct bf_rule *r,
		const struct bf_match *m, bf_label fail, bf_label hotdrop)
{
	switch (m->type) {
	case BF_MATCH_ADDRTYPE:
		bf_mx_emit_addrtype(x, e, r, m, fail);
		return true;
	case BF_MATCH_OWNER:
		bf_mx_emit_owner(x, e, m, fail);
		return true;
	case BF_MATCH_TIME:
		bf_mx_emit_time(x, e, m, fail);
		return true;
	case BF_MATCH_TCPMSS:
		emit_tcpmss(e, m, fail, hotdrop);
		return true;
	case BF_MATCH_RT:
		emit_rt(e, m, fail, hotdrop);
		return true;
	case BF_MATCH_CONNTRACK:
	case BF_MATCH_POLICY: /* its bit of pctx.ct_bits */
	case BF_MATCH_HELPER:
	case BF_MATCH_CONNBYTES:
		bf_mx_emit_conntrack(x, e, m, fail);
		return true;
	default:
		bf_emit_fail(e, -ENOTSUP);
		return false;
	}
}
