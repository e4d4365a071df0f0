// SPDX-License-Identifier: GPL-2.0-only
/*
 * IR -> BPF. See doc/codegen.md for the program shape; in short:
 *
 *   main:  prologue (parse the packet once into struct bf_pctx on the
 *          stack), call the built-in chain's function, turn its result
 *          into the hook's verdict code.
 *   chain: one global subprogram per reachable chain, taking a pointer to
 *          the packet context, returning BF_RC_CONTINUE / ACCEPT / DROP.
 *
 * Chains are global functions so that the verifier checks each of them
 * once, with the packet context as unknown memory: the many paths of the
 * prologue do not multiply the work of verifying 10,000 rules, and the
 * state of one rule's compares never reaches the next rule.
 *
 * Every jump inside a chain stays within one rule (verdicts return inline),
 * so no jump offset grows with the number of rules.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/pktlog.h"
#include "cgen/cgen.h"
#include "cgen/emit.h"
#include "cgen/m_recent.h"
#include "cgen/m_hashlimit.h"
#include "cgen/mext.h"
#include "cgen/m_bpf.h"
#include "cgen/m_set.h"
#include "cgen/m_ether.h"
#include "cgen/m_nftlimit.h"
#include "cgen/m_nftbreak.h"
#include "cgen/m_exthdr.h"
#include "cgen/m_payload.h"
#include "cgen/m_quota.h"
#include "cgen/m_ecn.h"
#include "cgen/pctx.h"
#include "cgen/targets.h"
#include "compat.h"
#include "kbtf/kbtf.h"
#include "opt/opt.h"
#include "opt/lbvs.h"
#include "opt/lbvs_part.h"
#include "cgen/c_lbvs.h"
#include "cgen/c_lbvs_iv.h"
#include "cgen/nfbtf.h"
#include "cgen/segprog.h"
#include "cgen/c_segshare.h"

/* Return codes of chain functions. */
enum {
	BF_RC_CONTINUE = 0,
	BF_RC_ACCEPT = 1,
	BF_RC_DROP = 2,
	BF_RC_RETURN = 3, /* segments only: the chain returns */
	/* BF_VERDICT_NFT_NEXT: up to the built-in chain, which goes on */
	BF_RC_NFT_NEXT = 4,
	/* segments only: a -j/-g to a segmented user chain matched (the
	 * segment's last rule; the stub tail-calls the chain) */
	BF_RC_SEGJUMP = 5,
};

/* BPF allows 8 call frames; main takes the first. */
#define MAX_FRAMES 8
/* IPv6 extension headers walked by unrolled code; longer chains go on in
 * a bpf_loop() callback (see doc/codegen.md). */
#define V6_UNROLLED_EXTHDRS 16

#define ETH_HLEN_ 14

/* Segments of long chains: at most this many conditional jumps (an upper
 * bound from rule_cost()) per function. */
#define SEG_BUDGET 3000

/* The functions of one search (one part, opt/lbvs.h) of a chain: the
 * classifier, and the functions of the members' linear code (slow[k] runs
 * members cut[k] .. cut[k + 1]). */
struct lbvs_fn {
	bf_label fast;
	bf_label *slow;
	size_t *cut, n_slow;
	uint32_t idx[BF_LBVS_FIELD_COUNT + 1];
};

struct cfn {
	bool segmented; /* rules split into segment functions */
	/* runs of rules folded into hash lookups (src/lib/opt/) */
	struct bf_fold_group *groups;
	size_t n_groups;
	/* general rules classified by a bit-vector search (opt/lbvs.h):
	 * the functions of each of its parts, and, for a segmented chain,
	 * the first segment with a member */
	struct bf_lbvs *lbvs;
	bool lbvs_on, lbvs_stored;
	struct lbvs_fn *lfn;
	uint32_t lbvs_node_idx[2]; /* split: the node maps */
	uint32_t lbvs_imap; /* partitions: part member -> chain member */
	/* partitions: the parts a plain packet needs (bf_lbvs_part_masks()) */
	uint32_t lbvs_mmap, lbvs_moff[BF_LBVS_FIELD_COUNT];
	size_t lbvs_seg;
	const struct bf_chain *chain;
	bf_label label;
	int depth; /* frames needed from this chain down, itself included */
	int state; /* 0 new, 1 visiting, 2 collected, 3 emitted */
};

/* Code kept out of the rules' straight line (at the end of the function),
 * so that a packet walking past non-matching rules runs through as little
 * code as possible. */
struct cold {
	enum {
		COLD_MATCHED,
		COLD_L4,
		COLD_PREFIX
	} kind;
	bf_label entry, next;
	const struct bf_chain *chain;
	const struct bf_rule *rule; /* COLD_MATCHED; COLD_PREFIX: 1st rule */
	bool seg; /* COLD_MATCHED */
	bool frag1; /* COLD_L4: hotdrop IPv4 fragment offset 1 */
	bf_label drop; /* COLD_L4: where a hotdrop goes */
	/* COLD_PREFIX: hotdrop if the keys of a folded group before match
	 * `upto` are in map `map` under group id `gid`, else go to next */
	const struct bf_fold_group *group;
	size_t upto;
	uint32_t gid, map;
};

/* Entries of one hash map of folded groups, being built: all keys of
 * one size share a map (the group id in front keeps groups apart). */
struct mapb {
	uint32_t key_size;
	int idx; /* index in prog->maps, -1 until first used */
	uint8_t *keys;
	uint32_t *values;
	uint32_t n, cap;
	uint32_t *ht; /* open addressing: entry index + 1, 0 = free */
	uint32_t ht_cap;
};

#define N_MAPB (BF_FOLD_KEY_MAX / 4 + 1)

/* Folded groups of one shape in one function share one lookup: the first
 * of them looks the packet up in a map that holds the keys of all of them
 * and keeps the result in a stack slot of the function; the others only
 * test whether the result is one of their rules. Stack slots of 8 bytes
 * from r10 - 8; 4 of them stay within the 32 bytes the verifier counts
 * for every frame anyway. */
#define SHARED_MAX 4
struct shared {
	const struct bf_rule *r0; /* first rule of the first group */
	uint32_t gid, base; /* group id; counter index of value 0 */
	int map;
	int16_t slot;
	/* segment of a full build: its shape in c->seg->share + 1 (the
	 * root looked it up, cgen/c_segshare.h); 0: a map of its own */
	int share;
};

/* A run of items (folded groups of one shape that share a lookup, blocks
 * of members) under one dispatch (run_start()): the entry of each item
 * (a group's: after its common matches), bound as they are emitted. */
struct drun {
	bool on;
	size_t n, k; /* items; the next one */
	bf_label *entry, end;
	bool group_entry_on; /* emit_group() binds group_entry */
	bf_label group_entry;
};

struct cg {
	struct bf_emit e;
	struct cold *cold;
	size_t n_cold, cap_cold;
	bf_label hotdrop_l; /* shared "r0 = DROP; exit" of the function */
	/* the function's shared count and verdict of member blocks
	 * (lbvs_block(), emitted by emit_func_tail() when used); counters
	 * it may touch: below hit_ncnt */
	bf_label lbvs_hit;
	bool lbvs_hit_on;
	uint32_t lbvs_hit_ncnt;
	const struct bf_ruleset *rs;
	enum bf_attach_kind attach;
	enum bf_hook hook;
	const char *ifname;
	struct cfn *fns;
	size_t n_fns;
	int32_t v_accept, v_drop;
	size_t cap_funcs;
	uint32_t n_state; /* state slots handed out (rate limits) */
	int kf_from_skb, kf_from_xdp, kf_slice, kf_size;
	/* tc/XDP: the prologue being emitted reads the packet directly
	 * (pointers at STK_PKT), not through the dynptr (see direct_ok()) */
	bool direct;
	/* XDP, direct mode: where a frame too short for the linear bytes
	 * goes (short_l()) */
	bf_label direct_slow;
	/* IPv6 walk beyond the unrolled headers: bpf_loop() callback */
	bool v6walk_on;
	bf_label v6walk;
	int32_t v6walk_l3off;
	/* tc/XDP conntrack lookup (only when a chain matches ctstate) */
	bool use_ct;
	/* packet context fields only filled when some rule needs them */
	bool need_mark, need_pkttype, need_mac, need_ctmark;
	bool need_dsfield; /* pctx.dsfield (BF_MATCH_DSFIELD) */
	struct bf_pl pl; /* nft payload matches (m_payload.h) */
	struct bf_xh xh; /* extension header and AH matches (m_exthdr.h) */
	bool need_ecn; /* IPv4 fragments' pctx.tcpflags (m_ecn.h) */
	bool need_eth; /* nft's ether daddr/type (m_ether.c) */
	bool need_ifindex; /* nft's meta iif/oif (m_nftlimit.h) */
	int off_dev_ifindex;
	bool log_on; /* some rule is LOG: capture + LOG maps */
	bool nft_on; /* some match has nft evaluation (pctx.nft_*) */
	bool nft_next; /* some rule's verdict is BF_VERDICT_NFT_NEXT */
	struct bf_mx mx; /* addrtype, owner, time, tcpmss, rt (mext.h) */
	/* extension targets (targets.h): REJECT replies at tc/XDP, MARK */
	bool reject_on, mark_on;
	bf_label reject_cb; /* REJECT's checksum callback, if referenced */
	bool reject_cb_on;
	int off_ct_mark;
	int off_skb_mark, off_skb_dev, off_dev_type, off_skb_head, off_skb_data,
		off_skb_mac_header;
	uint32_t pkttype_bit, pkttype_bits;
	int kf_ct_lookup, kf_ct_release, off_ct_status;
	/* folded rule groups: maps by key size, next group id */
	struct mapb mapb[N_MAPB];
	size_t n_maps;
	uint32_t next_gid;
	size_t n_folded;
	struct shared shared[SHARED_MAX]; /* of the function being emitted */
	struct drun run; /* a run under one dispatch (run_start()) */
	/* maps of bit-vector searches (cgen/c_lbvs.h), their prog->maps
	 * indexes, and the members classified */
	struct bf_prog_map *xmaps;
	uint32_t *xmap_idx;
	size_t n_xmaps, n_lbvs;
	size_t n_shared;
	struct bf_um um; /* user BPF code (cgen/m_bpf.h) */
	/* netfilter: struct offsets from the kernel BTF */
	int off_ctx_state, off_ctx_skb, off_skb_nfct, off_state_in,
		off_state_out, off_dev_name;
	/* xt_recent tables used (cgen/m_recent.h), handed to the program */
	struct bf_recent_table *recent;
	size_t n_recent;
	struct bf_hashlimit_table *hashlimit; /* (cgen/m_hashlimit.h) */
	size_t n_hashlimit;
	/* compiling a root or a segment program (cgen/segprog.h) */
	const struct bf_seg_opts *seg;
};

/* An upper bound of the conditional jumps emitted for a rule. */
static unsigned int rule_cost(const struct bf_rule *r)
{
	unsigned int cost = 4;

	for (size_t i = 0; i < r->n_matches; i++) {
		const struct bf_match *m = &r->matches[i];

		switch (m->type) {
		case BF_MATCH_MULTIPORT:
			cost += 6u * m->u.multiport.count + 2;
			break;
		case BF_MATCH_SRANGE:
		case BF_MATCH_DRANGE:
			cost += 20;
			break;
		case BF_MATCH_RECENT:
			cost += 64;
			break;
		case BF_MATCH_HASHLIMIT:
			cost += 40;
			break;
		default:
			cost += 6;
			break;
		}
	}
	return cost;
}

/* The same for a folded group: its common matches, two lookups, the
 * verdict dispatch, two compares of a run's dispatch (run_start()); its
 * keys emit no jump (rule_cost() counts 6 for each). */
static unsigned int group_cost(const struct bf_chain *chain,
			       const struct bf_fold_group *g)
{
	const struct bf_rule *r0 = &chain->rules[g->first];
	unsigned int keys = 0;

	for (size_t p = 0; p < r0->n_matches; p++)
		keys += bf_fold_is_key(g, p);
	return rule_cost(r0) - 6 * keys + 14;
}

static struct cfn *fn_of(struct cg *c, const struct bf_chain *chain)
{
	for (size_t i = 0; i < c->n_fns; i++) {
		if (c->fns[i].chain == chain)
			return &c->fns[i];
	}
	return NULL;
}

static void add_cold(struct cg *c, struct cold item)
{
	if (c->n_cold == c->cap_cold) {
		size_t cap = c->cap_cold ? c->cap_cold * 2 : 64;
		struct cold *n = realloc(c->cold, cap * sizeof(*n));

		if (!n) {
			bf_emit_fail(&c->e, -ENOMEM);
			return;
		}
		c->cold = n;
		c->cap_cold = cap;
	}
	c->cold[c->n_cold++] = item;
}

/* Consecutive members of the chain's bit-vector search from rule i, with
 * consecutive counters (0: rule i is not a member). */
#define LBVS_BLOCK_COST 24
static size_t lbvs_block_len(const struct cfn *f, size_t i)
{
	const struct bf_lbvs *l = f->lbvs;
	const struct bf_rule *rules = f->chain->rules;
	size_t j = i + 1;

	if (!l || l->rule_member[i] == SIZE_MAX)
		return 0;
	while (j < l->n_rules && l->rule_member[j] != SIZE_MAX &&
	       rules[j].counter_idx == rules[i].counter_idx + (j - i))
		j++;
	return j - i;
}

/* Collect the chains reachable from `chain` (depth first) and compute the
 * frames each needs. */
/* The root program of segment programs without the analysis of the
 * rules it does not run (cgen/segprog.h, root_analyse). */
static bool root_only(const struct cg *c)
{
	return c->seg && c->seg->root && !c->seg->root_analyse;
}

/* In a segment program: is t a segmented user chain (reached by a tail
 * call, cgen/segprog.h)? */
static bool seg_target(const struct cg *c, const struct bf_chain *t)
{
	return c->seg && !c->seg->root && c->seg->segd &&
	       c->seg->segd[t - c->rs->chains];
}

/* In a segment program of a segmented user chain: is chain that chain
 * (its RETURN and its end return from the segment as BF_RC_RETURN)? */
static bool seg_top(const struct cg *c, const struct bf_chain *chain)
{
	return c->seg && !c->seg->root && c->seg->user &&
	       chain == &c->rs->chains[c->seg->user - 1];
}

static int collect(struct cg *c, const struct bf_chain *chain)
{
	struct cfn *f = fn_of(c, chain);
	int best = 0;

	if (f) {
		if (f->state == 1) {
			bf_err("chain %s can reach itself (loop)", chain->name);
			return -ELOOP;
		}
		return 0;
	}
	f = realloc(c->fns, (c->n_fns + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	c->fns = f;
	f = &c->fns[c->n_fns++];
	memset(f, 0, sizeof(*f));
	f->chain = chain;
	f->state = 1;
	f->label = bf_label_new(&c->e);
	for (size_t i = 0; i < chain->n_rules; i++) {
		const struct bf_verdict *v = &chain->rules[i].verdict;
		const struct bf_chain *t;
		struct cfn *tf;
		int r;

		if (v->kind != BF_VERDICT_JUMP && v->kind != BF_VERDICT_GOTO)
			continue;
		t = bf_ruleset_chain(c->rs, chain->family, v->chain);
		if (!t || t->builtin) {
			bf_log_at(BF_LOG_ERROR, chain->rules[i].file,
				  chain->rules[i].line, 0,
				  "jump target %s is not a user chain",
				  v->chain);
			return -EINVAL;
		}
		/* a segmented user chain runs in segments of its own */
		if (seg_target(c, t))
			continue;
		r = collect(c, t);
		if (r)
			return r;
		tf = fn_of(c, t);
		if (tf->depth > best)
			best = tf->depth;
	}
	f = fn_of(c, chain);
	if (root_only(c)) {
		/* no rule of it is emitted: no fold groups, no bit-vector
		 * search; the depth below is at most best + 2 (segmented: one
		 * more frame; a classifier: at least 2), an upper bound that
		 * compile() checks */
		f->depth = best + 2;
		f->state = 2;
		return 0;
	}
	{
		unsigned long cost = 0;
		size_t g = 0;
		int r = bf_fold_chain(chain, &f->groups, &f->n_groups);

		if (!r)
			r = bf_lbvs_select_nf(chain, f->groups, f->n_groups,
					      c->attach == BF_ATTACH_NF,
					      &f->lbvs);
		if (r)
			return r;
		for (size_t i = 0; i < chain->n_rules; i++) {
			size_t n = lbvs_block_len(f, i);

			if (g < f->n_groups && f->groups[g].first == i) {
				cost += group_cost(chain, &f->groups[g]);
				i += f->groups[g++].n - 1;
				continue;
			}
			if (n) {
				cost += LBVS_BLOCK_COST;
				i += n - 1;
				continue;
			}
			cost += rule_cost(&chain->rules[i]);
		}
		f->segmented = cost > SEG_BUDGET;
	}
	/* a segmented chain runs its rules one frame deeper */
	f->depth = best + 1 + (f->segmented ? 1 : 0);
	/* the classifier of general rules is called from the chain */
	if (f->lbvs && f->depth < 2)
		f->depth = 2;
	f->state = 2;
	return 0;
}

/* Report the deepest chain path from `chain`. */
static void report_depth(struct cg *c, const struct bf_chain *chain)
{
	char path[1024] = "";
	size_t len = 0;

	while (chain) {
		const struct bf_chain *next = NULL;
		int best = 0;

		len += (size_t)snprintf(path + len, sizeof(path) - len, "%s%s",
					len ? " -> " : "", chain->name);
		if (len >= sizeof(path))
			break;
		for (size_t i = 0; i < chain->n_rules; i++) {
			const struct bf_verdict *v = &chain->rules[i].verdict;
			const struct bf_chain *t;

			if (v->kind != BF_VERDICT_JUMP &&
			    v->kind != BF_VERDICT_GOTO)
				continue;
			t = bf_ruleset_chain(c->rs, chain->family, v->chain);
			if (t && fn_of(c, t)->depth > best) {
				best = fn_of(c, t)->depth;
				next = t;
			}
		}
		chain = next;
	}
	bf_err("chain nesting too deep for BPF: the program needs %d call "
	       "frames (at most %d: one for the program, one per chain "
	       "level, -g included): %s",
	       fn_of(c, c->fns[0].chain)->depth + 1, MAX_FRAMES, path);
}

/* ---- matches ---- */

static inline void ld(struct cg *c, int size, uint8_t dst, int16_t off)
{
	bf_emit(&c->e, I_LDX(size, dst, BF_R9, off));
}

/* Return with a hotdrop: drop now, count nothing. */
static void hotdrop(struct cg *c)
{
	bf_emit_ret(&c->e, BF_RC_DROP);
}

/* Compare nwords 32-bit words of the packet context at `off`, masked, with
 * val & mask: the match holds when all are equal (as ip_packet_match()'s
 * address compares and ifname_compare_aligned() do). */
static void masked_eq(struct cg *c, int16_t off, const uint8_t *val,
		      const uint8_t *mask, int nwords, bool neg, bool reverse,
		      bf_label fail)
{
	bf_label ok = bf_label_new(&c->e);

	/* Word order does not change the result; `reverse` tests the
	 * last word first (for addresses, the most specific bits are the
	 * most likely to differ). */
	for (int j = 0; j < nwords; j++) {
		int i = reverse ? nwords - 1 - j : j;
		uint32_t m, v;

		memcpy(&m, mask + 4 * i, 4);
		memcpy(&v, val + 4 * i, 4);
		if (!m)
			continue;
		ld(c, BPF_W, BF_R1, (int16_t)(off + 4 * i));
		if (m != UINT32_MAX)
			bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)m));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, (int32_t)(v & m),
				  neg ? ok : fail);
	}
	if (neg)
		bf_emit_ja(&c->e, fail);
	bf_label_bind(&c->e, ok);
}

/* reg (already loaded) outside [lo, hi] (unsigned, max = the field's
 * largest value) jumps to `out`; in range falls through. */
static void range_out(struct cg *c, uint8_t reg, uint32_t lo, uint32_t hi,
		      uint32_t max, bf_label out)
{
	if (lo == hi) {
		bf_emit_jmp32_imm(&c->e, BPF_JNE, reg, (int32_t)lo, out);
		return;
	}
	if (lo > 0)
		bf_emit_jmp32_imm(&c->e, BPF_JLT, reg, (int32_t)lo, out);
	if (hi < max)
		bf_emit_jmp32_imm(&c->e, BPF_JGT, reg, (int32_t)hi, out);
}

/* A range test on a packet context field: match when lo <= field <= hi
 * (xor neg). Returns false if the match can never hold (a jump to fail
 * has been emitted and the rest of the rule must not be). */
static bool field_range(struct cg *c, int size, int16_t off, uint32_t lo,
			uint32_t hi, uint32_t max, bool neg, bf_label fail)
{
	bf_label ok;

	if (lo > hi) {
		/* empty range: never in range */
		if (!neg) {
			bf_emit_ja(&c->e, fail);
			return false;
		}
		return true;
	}
	if (lo == 0 && hi >= max) {
		if (neg) {
			bf_emit_ja(&c->e, fail);
			return false;
		}
		return true;
	}
	ld(c, size, BF_R1, off);
	if (!neg) {
		range_out(c, BF_R1, lo, hi, max, fail);
		return true;
	}
	ok = bf_label_new(&c->e);
	range_out(c, BF_R1, lo, hi, max, ok);
	bf_emit_ja(&c->e, fail);
	bf_label_bind(&c->e, ok);
	return true;
}

static bool iface_static(const struct cg *c, const struct bf_match *m)
{
	char dev[BF_IFNAMSIZ] = { 0 };
	bool in = m->type == BF_MATCH_IIFNAME;
	bool eq = true;

	if ((in && c->hook == BF_HOOK_INPUT) ||
	    (!in && c->hook == BF_HOOK_OUTPUT))
		snprintf(dev, sizeof(dev), "%s", c->ifname);
	for (int i = 0; i < m->u.iface.cmp_len && i < BF_IFNAMSIZ; i++) {
		if (dev[i] != m->u.iface.name[i])
			eq = false;
	}
	return eq != m->neg;
}

/* iprange_ipv6_lt()-style lexicographic compare of the address at `off`
 * (network order words) with `ref`: jumps to `lt` if addr < ref, to `gt`
 * if addr > ref, falls through if equal. */
static uint32_t be_word(const uint8_t *a, int i);

static void addr_cmp(struct cg *c, int16_t off, const uint8_t *ref, int from,
		     int nwords, bf_label lt, bf_label gt)
{
	for (int i = from; i < nwords; i++) {
		uint32_t w = be_word(ref, i);

		ld(c, BPF_W, BF_R1, (int16_t)(off + 4 * i));
		bf_emit(&c->e, I_BE(BF_R1, 32));
		bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R1, (int32_t)w, lt);
		bf_emit_jmp32_imm(&c->e, BPF_JGT, BF_R1, (int32_t)w, gt);
	}
}

/* iprange_mt(): out of range if addr < lo or addr > hi. */
static uint32_t be_word(const uint8_t *a, int i)
{
	return (uint32_t)a[4 * i] << 24 | (uint32_t)a[4 * i + 1] << 16 |
	       (uint32_t)a[4 * i + 2] << 8 | a[4 * i + 3];
}

/* iprange_mt(): out of range if addr < lo or addr > hi (compared as
 * numbers, word by word from the most significant, as
 * iprange_ipv6_lt()). Words where lo and hi agree are plain equality
 * tests; when only the last word differs, one unsigned compare of
 * addr - lo with hi - lo does it. */
static void emit_iprange(struct cg *c, const struct bf_match *m, int nwords,
			 bf_label fail)
{
	int16_t off = m->type == BF_MATCH_SRANGE ? PCTX_OFF(saddr) :
						   PCTX_OFF(daddr);
	const uint8_t *lo = m->u.range.lo, *hi = m->u.range.hi;
	bf_label out = m->neg ? bf_label_new(&c->e) : fail;
	int p = 0;

	while (p < nwords && be_word(lo, p) == be_word(hi, p)) {
		ld(c, BPF_W, BF_R1, (int16_t)(off + 4 * p));
		bf_emit(&c->e, I_BE(BF_R1, 32));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1,
				  (int32_t)be_word(lo, p), out);
		p++;
	}
	if (p == nwords - 1 && be_word(lo, p) < be_word(hi, p)) {
		ld(c, BPF_W, BF_R1, (int16_t)(off + 4 * p));
		bf_emit(&c->e, I_BE(BF_R1, 32));
		bf_emit(&c->e,
			I_ALU32_IMM(BPF_SUB, BF_R1, (int32_t)be_word(lo, p)));
		bf_emit_jmp32_imm(&c->e, BPF_JGT, BF_R1,
				  (int32_t)(be_word(hi, p) - be_word(lo, p)),
				  out);
	} else if (p < nwords) {
		bf_label in = bf_label_new(&c->e), chk_hi = bf_label_new(&c->e);

		addr_cmp(c, off, lo, p, nwords, out, chk_hi);
		bf_label_bind(&c->e, chk_hi);
		addr_cmp(c, off, hi, p, nwords, in, out);
		bf_label_bind(&c->e, in);
	}
	/* in range */
	if (m->neg) {
		bf_emit_ja(&c->e, fail);
		bf_label_bind(&c->e, out);
	}
}

/* multiport_mt() / ports_match_v1(): any entry hit -> match (xor neg). */
static void emit_multiport(struct cg *c, const struct bf_match *m,
			   bf_label fail)
{
	const typeof(m->u.multiport) *mp = &m->u.multiport;
	bf_label hit = m->neg ? fail : bf_label_new(&c->e);
	uint8_t regs[2];
	int nregs = 0;

	if (mp->dir == BF_MULTIPORT_SRC || mp->dir == BF_MULTIPORT_EITHER) {
		ld(c, BPF_H, BF_R2, PCTX_OFF(sport));
		regs[nregs++] = BF_R2;
	}
	if (mp->dir == BF_MULTIPORT_DST || mp->dir == BF_MULTIPORT_EITHER) {
		ld(c, BPF_H, BF_R3, PCTX_OFF(dport));
		regs[nregs++] = BF_R3;
	}
	for (int i = 0; i < mp->count && i < BF_MULTIPORT_MAX; i++) {
		uint16_t lo = mp->ports[i], hi = lo;

		if (mp->is_range[i] && i + 1 < mp->count)
			hi = mp->ports[++i];
		for (int r = 0; r < nregs; r++) {
			bf_label next;

			if (lo == hi) {
				bf_emit_jmp32_imm(&c->e, BPF_JEQ, regs[r], lo,
						  hit);
				continue;
			}
			if (lo > hi)
				continue;
			next = bf_label_new(&c->e);
			range_out(c, regs[r], lo, hi, UINT16_MAX, next);
			bf_emit_ja(&c->e, hit);
			bf_label_bind(&c->e, next);
		}
	}
	if (!m->neg) {
		/* "if (port == last) goto hit; goto fail; hit:" ->
		 * "if (port != last) goto fail" */
		if (!bf_emit_invert_last(&c->e, hit, fail))
			bf_emit_ja(&c->e, fail);
		bf_label_bind(&c->e, hit);
	}
}

/* limit_mt() (net/netfilter/xt_limit.c): a token bucket in jiffies, in
 * a 16-byte slot of the program's state map: {u64 prev; u32 credit; u32
 * initialized}. limit_mt_check() starts it full (credit = credit_cap, prev
 * = now); here that happens at the first packet. The compare-and-swap
 * loop of the kernel is unrolled LIMIT_TRIES times; a packet that loses
 * every race does not match. */
#define LIMIT_TRIES 4
static void emit_limit(struct cg *c, const struct bf_match *m, bf_label fail)
{
	const struct bf_limit *l = &m->u.limit;
	bf_label inited = bf_label_new(&c->e), slow = bf_label_new(&c->e);
	bf_label done = bf_label_new(&c->e);
	uint32_t slot = c->n_state++;

	bf_emit_state_addr(&c->e, BF_R6, slot * 16);
	bf_emit(&c->e, I_HELPER(BPF_FUNC_jiffies64));
	bf_emit(&c->e, I_MOV64_REG(BF_R7, BF_R0));
	bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R6, 12));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, inited);
	bf_emit(&c->e, I_STX(BPF_DW, BF_R6, BF_R7, 0));
	bf_emit(&c->e, I_ST(BPF_W, BF_R6, 8, (int32_t)l->credit_cap));
	bf_emit(&c->e, I_ST(BPF_W, BF_R6, 12, 1));
	bf_label_bind(&c->e, inited);
	/* fast path: nothing to update */
	bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R6, 8));
	bf_emit_jmp32_imm(&c->e, BPF_JGE, BF_R1, (int32_t)l->cost, slow);
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R2, BF_R6, 0));
	bf_emit_jmp_reg(&c->e, BPF_JEQ, BF_R2, BF_R7, fail);
	bf_label_bind(&c->e, slow);
	/* r8 = credit_increase (u32), accumulated over the tries */
	bf_emit(&c->e, I_MOV64_IMM(BF_R8, 0));
	for (int t = 0; t < LIMIT_TRIES; t++) {
		bf_label capped = bf_label_new(&c->e), no = bf_label_new(&c->e);

		if (t) {
			bf_emit(&c->e, I_HELPER(BPF_FUNC_jiffies64));
			bf_emit(&c->e, I_MOV64_REG(BF_R7, BF_R0));
		}
		/* credit_increase += (now - xchg(&prev, now)) * CPJ */
		bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R7));
		bf_emit(&c->e, I_XCHG64(BF_R6, BF_R2, 0));
		bf_emit(&c->e, I_MOV64_REG(BF_R3, BF_R7));
		bf_emit(&c->e, I_ALU64_REG(BPF_SUB, BF_R3, BF_R2));
		bf_emit(&c->e, I_ALU64_IMM(BPF_MUL, BF_R3,
					   (int32_t)l->credits_per_jiffy));
		bf_emit(&c->e, I_ALU32_REG(BPF_ADD, BF_R8, BF_R3));
		/* new = min(old + increase, cap); take cost if there */
		bf_emit(&c->e, I_LDX(BPF_W, BF_R0, BF_R6, 8));
		bf_emit(&c->e, I_MOV32_REG(BF_R5, BF_R0));
		bf_emit(&c->e, I_MOV32_REG(BF_R1, BF_R0));
		bf_emit(&c->e, I_ALU32_REG(BPF_ADD, BF_R1, BF_R8));
		bf_emit_jmp32_imm(&c->e, BPF_JLE, BF_R1, (int32_t)l->credit_cap,
				  capped);
		bf_emit(&c->e, I_MOV32_IMM(BF_R1, l->credit_cap));
		bf_label_bind(&c->e, capped);
		bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0));
		bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R1, (int32_t)l->cost, no);
		bf_emit(&c->e, I_ALU32_IMM(BPF_SUB, BF_R1, (int32_t)l->cost));
		bf_emit(&c->e, I_MOV64_IMM(BF_R4, 1));
		bf_label_bind(&c->e, no);
		bf_emit(&c->e, I_CMPXCHG32(BF_R6, BF_R1, 8));
		bf_emit_jmp_reg(&c->e, BPF_JEQ, BF_R0, BF_R5, done);
	}
	/* lost every race */
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0));
	bf_label_bind(&c->e, done);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R4, 0, fail);
}

/* statistic_mt() (net/netfilter/xt_statistic.c). random: matches when
 * (random & 0x7fffffff) < probability; nth: a shared counter starting at
 * every - packet (libxt_statistic's final check stores that as
 * u.nth.count, which statistic_mt_check() loads: `--packet P` is the
 * packet of index P counting from 0), advanced with compare-and-swap,
 * matches when it wraps to 0 (the retry loop unrolled; losing every race
 * counts as no match). Either xor invert. */
static void emit_statistic(struct cg *c, const struct bf_match *m,
			   bf_label fail)
{
	const typeof(m->u.statistic) *st = &m->u.statistic;
	bool inv = st->invert != m->neg;
	bf_label done = bf_label_new(&c->e);

	if (st->mode == BF_STATISTIC_RANDOM) {
		bf_emit(&c->e, I_HELPER(BPF_FUNC_get_prandom_u32));
		bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R0, 0x7fffffff));
		bf_emit_jmp32_imm(&c->e, inv ? BPF_JLT : BPF_JGE, BF_R0,
				  (int32_t)st->probability, fail);
		return;
	}
	/* slot: {u32 count; u32 initialized} */
	{
		bf_label inited = bf_label_new(&c->e);
		uint32_t slot = c->n_state++;

		bf_emit_state_addr(&c->e, BF_R6, slot * 16);
		bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R6, 4));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, inited);
		bf_emit(&c->e, I_ST(BPF_W, BF_R6, 0,
				    (int32_t)(st->every - st->packet)));
		bf_emit(&c->e, I_ST(BPF_W, BF_R6, 4, 1));
		bf_label_bind(&c->e, inited);
	}
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0)); /* 1: counter wrapped */
	for (int t = 0; t < LIMIT_TRIES; t++) {
		bf_label wrap = bf_label_new(&c->e), cas = bf_label_new(&c->e);

		bf_emit(&c->e, I_LDX(BPF_W, BF_R0, BF_R6, 0));
		bf_emit(&c->e, I_MOV32_REG(BF_R5, BF_R0));
		bf_emit(&c->e, I_MOV32_REG(BF_R1, BF_R0));
		bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0));
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, (int32_t)st->every,
				  wrap);
		bf_emit(&c->e, I_ALU32_IMM(BPF_ADD, BF_R1, 1));
		bf_emit_ja(&c->e, cas);
		bf_label_bind(&c->e, wrap);
		bf_emit(&c->e, I_MOV64_IMM(BF_R1, 0));
		bf_emit(&c->e, I_MOV64_IMM(BF_R4, 1));
		bf_label_bind(&c->e, cas);
		bf_emit(&c->e, I_CMPXCHG32(BF_R6, BF_R1, 0));
		bf_emit_jmp_reg(&c->e, BPF_JEQ, BF_R0, BF_R5, done);
	}
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0));
	bf_label_bind(&c->e, done);
	bf_emit_jmp_imm(&c->e, inv ? BPF_JNE : BPF_JEQ, BF_R4, 0, fail);
}

/* The ruleset whose rules define table-wide properties (the geometry of
 * recent and hashlimit tables, set by their first rule): a segment
 * program's rules are a part of the chain, its tables are the whole
 * ruleset's (segprog.h, `whole`). */
static const struct bf_ruleset *tables_rs(const struct cg *c)
{
	return c->seg && c->seg->whole ? c->seg->whole : c->rs;
}

/* Emit one match; jumps to `fail` when it does not hold. Returns false
 * when the match can never hold (the rest of the rule is not emitted). */
static bool emit_match(struct cg *c, const struct bf_rule *rule,
		       const struct bf_match *m, bf_label fail)
{
	bool v6 = rule->family == BF_FAMILY_INET6;
	int nwords = v6 ? 4 : 1;

	if (m->nft != BF_NFT_OFF && bf_nftbreak_emit(&c->e, rule, m, fail))
		return true;
	switch (m->type) {
	case BF_MATCH_L4PROTO:
		if (v6) {
			/* ip6_packet_match(): ipv6_find_hdr() failed (and it
			 * never reports a fragment offset on failure) ->
			 * hotdrop. */
			ld(c, BPF_B, BF_R1, PCTX_OFF(l6err));
			bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0,
					  c->hotdrop_l);
		} else if (m->u.proto == 0) {
			/* ip_packet_match(): proto 0 is not tested */
			return true;
		}
		if (m->u.proto == 0 && !m->neg)
			return true;
		ld(c, BPF_B, BF_R1, PCTX_OFF(l4proto));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
				  m->u.proto, fail);
		return true;
	case BF_MATCH_SADDR:
	case BF_MATCH_DADDR:
		masked_eq(c,
			  m->type == BF_MATCH_SADDR ? PCTX_OFF(saddr) :
						      PCTX_OFF(daddr),
			  m->u.addr.addr, m->u.addr.mask, nwords, m->neg, true,
			  fail);
		return true;
	case BF_MATCH_IIFNAME:
	case BF_MATCH_OIFNAME: {
		uint8_t name[BF_IFNAMSIZ] = { 0 }, mask[BF_IFNAMSIZ] = { 0 };

		if (c->attach != BF_ATTACH_NF) {
			if (iface_static(c, m))
				return true;
			bf_emit_ja(&c->e, fail);
			return false;
		}
		memcpy(name, m->u.iface.name, BF_IFNAMSIZ);
		for (int i = 0; i < m->u.iface.cmp_len && i < BF_IFNAMSIZ; i++)
			mask[i] = 0xff;
		masked_eq(c,
			  m->type == BF_MATCH_IIFNAME ? PCTX_OFF(iif) :
							PCTX_OFF(oif),
			  name, mask, 4, m->neg, false, fail);
		return true;
	}
	case BF_MATCH_FRAG:
		/* ip_packet_match(): -f holds for fragoff != 0 */
		ld(c, BPF_H, BF_R1, PCTX_OFF(fragoff));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JNE : BPF_JEQ, BF_R1, 0,
				  fail);
		return true;
	case BF_MATCH_L4HDR: {
		/* tcp_mt(), udp_mt(), icmp_match(), multiport_mt(): not
		 * on non-first fragments; tcp drops offset-1 fragments; a
		 * header that cannot be read drops the packet. */
		bf_label ok = bf_label_new(&c->e);

		if (m->u.l4hdr.min_len > 0) {
			/* l4gate < min_len: a non-first fragment (fails,
			 * or hotdrops at offset 1) or a short header
			 * (hotdrops), sorted out off the straight line. */
			bf_label slow = bf_label_new(&c->e);

			ld(c, BPF_W, BF_R1, PCTX_OFF(l4gate));
			bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R1,
					  m->u.l4hdr.min_len, slow);
			bf_label_ref(&c->e, fail);
			add_cold(c, (struct cold){
					    .kind = COLD_L4,
					    .entry = slow,
					    .next = fail,
					    .frag1 = m->u.l4hdr.hotdrop_frag1 &&
						     !v6,
					    .drop = c->hotdrop_l });
			return true;
		}
		ld(c, BPF_H, BF_R1, PCTX_OFF(fragoff));
		if (m->u.l4hdr.hotdrop_frag1 && !v6) {
			bf_label nofrag = bf_label_new(&c->e);

			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0, nofrag);
			bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 1, fail);
			hotdrop(c);
			bf_label_bind(&c->e, nofrag);
		} else {
			bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, fail);
		}
		ld(c, BPF_W, BF_R1, PCTX_OFF(avail));
		bf_emit_jmp32_imm(&c->e, BPF_JGE, BF_R1, m->u.l4hdr.min_len,
				  ok);
		hotdrop(c);
		bf_label_bind(&c->e, ok);
		return true;
	}
	case BF_MATCH_SPORT:
	case BF_MATCH_DPORT:
		return field_range(c, BPF_H,
				   m->type == BF_MATCH_SPORT ? PCTX_OFF(sport) :
							       PCTX_OFF(dport),
				   m->u.ports.lo, m->u.ports.hi, UINT16_MAX,
				   m->neg, fail);
	case BF_MATCH_TCPFLAGS:
		/* tcp_mt(): (flags & mask) == cmp, xor neg */
		if ((m->u.tcpflags.cmp & m->u.tcpflags.mask) !=
		    m->u.tcpflags.cmp) {
			/* cmp has bits outside mask: never equal */
			if (m->neg)
				return true;
			bf_emit_ja(&c->e, fail);
			return false;
		}
		ld(c, BPF_B, BF_R1, PCTX_OFF(tcpflags));
		bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1, m->u.tcpflags.mask));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
				  m->u.tcpflags.cmp, fail);
		return true;
	case BF_MATCH_ICMP: {
		/* icmp_type_code_match() / icmp6_type_code_match() */
		bf_label ok;

		if (!v6 && m->u.icmp.type == 0xff) {
			if (m->neg) {
				bf_emit_ja(&c->e, fail);
				return false;
			}
			return true;
		}
		ok = m->neg ? bf_label_new(&c->e) : fail;
		ld(c, BPF_B, BF_R1, PCTX_OFF(icmp_type));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, m->u.icmp.type, ok);
		ld(c, BPF_B, BF_R1, PCTX_OFF(icmp_code));
		if (m->u.icmp.code_lo > m->u.icmp.code_hi)
			bf_emit_ja(&c->e, ok);
		else
			range_out(c, BF_R1, m->u.icmp.code_lo,
				  m->u.icmp.code_hi, UINT8_MAX, ok);
		if (m->neg) {
			bf_emit_ja(&c->e, fail);
			bf_label_bind(&c->e, ok);
		}
		return true;
	}
	case BF_MATCH_MULTIPORT:
		emit_multiport(c, m, fail);
		return true;
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE:
		emit_iprange(c, m, nwords, fail);
		return true;
	case BF_MATCH_CTSTATE:
		ld(c, BPF_W, BF_R1, PCTX_OFF(ctstate));
		bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1,
					   (int32_t)m->u.ctstate.mask));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JNE : BPF_JEQ, BF_R1, 0,
				  fail);
		return true;
	case BF_MATCH_COMMENT:
		return true;
	case BF_MATCH_LENGTH:
		/* length_mt() / length_mt6() */
		return field_range(c, BPF_H, PCTX_OFF(iplen), m->u.length.min,
				   m->u.length.max, UINT16_MAX, m->neg, fail);
	case BF_MATCH_DSFIELD:
		/* dscp_mt() / tos_mt() (net/netfilter/xt_dscp.c), nft's
		 * payload load, bitwise and cmp of `ip dscp` */
		ld(c, BPF_B, BF_R1, PCTX_OFF(dsfield));
		bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1, m->u.dsfield.mask));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
				  m->u.dsfield.value, fail);
		return true;
	case BF_MATCH_ECN:
		bf_ecn_emit(&c->e, m, v6, fail);
		return true;
	case BF_MATCH_ESP:
		bf_esp_emit(&c->e, m, fail, c->hotdrop_l);
		return true;
	case BF_MATCH_PAYLOAD: /* m_payload.h */
	case BF_MATCH_U32:
		return bf_pl_emit(&c->pl, &c->e, rule->family, m, fail);
	case BF_MATCH_MH: /* m_exthdr.h: pctx only */
		bf_xh_emit_mh(&c->e, m, fail, c->hotdrop_l);
		return true;
	case BF_MATCH_FRAG6: /* m_exthdr.h */
	case BF_MATCH_OPTS6:
	case BF_MATCH_AH:
		return bf_xh_emit(&c->xh, &c->e, rule->family, m, fail,
				  c->hotdrop_l);
	case BF_MATCH_QUOTA: /* m_quota.h */
		bf_quota_emit(&c->e, c->n_state++ * 16, m, fail);
		return true;
	case BF_MATCH_TTL: {
		/* ttl_mt() / hl_mt(): the jump taken when the test fails */
		static const uint8_t fail_op[2][4] = {
			[0] = { [BF_TTL_EQ] = BPF_JNE,
				[BF_TTL_NE] = BPF_JEQ,
				[BF_TTL_LT] = BPF_JGE,
				[BF_TTL_GT] = BPF_JLE },
			[1] = { [BF_TTL_EQ] = BPF_JEQ,
				[BF_TTL_NE] = BPF_JNE,
				[BF_TTL_LT] = BPF_JLT,
				[BF_TTL_GT] = BPF_JGT },
		};

		if ((unsigned)m->u.ttl.op > BF_TTL_GT) {
			bf_emit_fail(&c->e, -EINVAL);
			return false;
		}
		ld(c, BPF_B, BF_R1, PCTX_OFF(ttl));
		bf_emit_jmp32_imm(&c->e, fail_op[m->neg][m->u.ttl.op], BF_R1,
				  m->u.ttl.value, fail);
		return true;
	}
	case BF_MATCH_MARK:
		/* mark_mt(): (skb->mark & mask) == mark, xor invert */
		if (m->u.mark.value & ~m->u.mark.mask) {
			if (m->neg)
				return true;
			bf_emit_ja(&c->e, fail);
			return false;
		}
		ld(c, BPF_W, BF_R1, PCTX_OFF(mark));
		if (m->u.mark.mask != UINT32_MAX)
			bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1,
						   (int32_t)m->u.mark.mask));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
				  (int32_t)m->u.mark.value, fail);
		return true;
	case BF_MATCH_LIMIT:
		emit_limit(c, m, fail);
		return true;
	case BF_MATCH_NFT_LIMIT:
		/* a shared bucket is not in the program's state */
		bf_nftm_limit_emit(
			&c->e, m->u.nft_limit.bucket ? 0 : c->n_state++ * 16, m,
			fail);
		return true;
	case BF_MATCH_TH_SPORT:
	case BF_MATCH_TH_DPORT:
		bf_nftm_th_emit(&c->e, m, fail);
		return true;
	case BF_MATCH_IIF:
	case BF_MATCH_OIF:
		bf_nftm_ifindex_emit(&c->e, m, fail);
		return true;
	case BF_MATCH_ETH_DADDR:
	case BF_MATCH_ETH_TYPE:
	case BF_MATCH_VLAN:
		bf_ether_emit(&c->e, m, fail);
		return true;
	case BF_MATCH_STATISTIC:
		emit_statistic(c, m, fail);
		return true;
	case BF_MATCH_RECENT:
		return bf_recent_emit(&c->e, tables_rs(c), c->attach, c->hook,
				      rule, m, &c->recent, &c->n_recent, fail);
	case BF_MATCH_HASHLIMIT:
		return bf_hashlimit_emit(&c->e, tables_rs(c), rule, m,
					 &c->hashlimit, &c->n_hashlimit, fail,
					 c->hotdrop_l);
	case BF_MATCH_SET:
		return bf_set_emit(&c->e, c->rs, c->attach, rule, m, fail);
	case BF_MATCH_CONNMARK:
		/* connmark_mt(): no conntrack entry -> false (before the
		 * inversion), else (ct->mark & mask) == mark xor invert */
		ld(c, BPF_B, BF_R1, PCTX_OFF(ct_ok));
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0, fail);
		if (m->u.mark.value & ~m->u.mark.mask) {
			if (m->neg)
				return true;
			bf_emit_ja(&c->e, fail);
			return false;
		}
		ld(c, BPF_W, BF_R1, PCTX_OFF(ctmark));
		if (m->u.mark.mask != UINT32_MAX)
			bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1,
						   (int32_t)m->u.mark.mask));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
				  (int32_t)m->u.mark.value, fail);
		return true;
	case BF_MATCH_BPF:
		bf_um_match(&c->e, &c->um, m, fail);
		return true;
	case BF_MATCH_PKTTYPE:
		ld(c, BPF_B, BF_R1, PCTX_OFF(pkttype));
		bf_emit_jmp32_imm(&c->e, m->neg ? BPF_JEQ : BPF_JNE, BF_R1,
				  m->u.pkttype.pkttype, fail);
		return true;
	case BF_MATCH_MAC: {
		/* mac_mt(): false (whatever the inversion) without an
		 * Ethernet MAC header; else address equality xor invert */
		uint8_t val[8] = { 0 }, mask[8] = { 0 };

		ld(c, BPF_B, BF_R1, PCTX_OFF(smac_ok));
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0, fail);
		memcpy(val, m->u.mac.addr, 6);
		memset(mask, 0xff, 6);
		masked_eq(c, PCTX_OFF(smac), val, mask, 2, m->neg, true, fail);
		return true;
	}
	case BF_MATCH_CONNTRACK:
	case BF_MATCH_ADDRTYPE:
	case BF_MATCH_OWNER:
	case BF_MATCH_TIME:
	case BF_MATCH_TCPMSS:
	case BF_MATCH_RT:
	case BF_MATCH_POLICY:
	case BF_MATCH_HELPER:
	case BF_MATCH_CONNBYTES:
		return bf_mx_emit(&c->mx, &c->e, rule, m, fail, c->hotdrop_l);
	default:
		bf_log_at(BF_LOG_ERROR, rule->file,
			  m->line ? m->line : rule->line, 0,
			  "codegen: unsupported match type %d", m->type);
		bf_emit_fail(&c->e, -ENOTSUP);
		return false;
	}
}

/* Count one packet and its L3 length on counter idx. */
static void emit_count(struct cg *c, uint32_t idx)
{
	bf_emit_counters_addr(&c->e, BF_R1, idx * 16);
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 1));
	bf_emit(&c->e, I_ATOMIC_ADD64(BF_R1, BF_R2, 0));
	ld(c, BPF_W, BF_R2, PCTX_OFF(len));
	bf_emit(&c->e, I_ATOMIC_ADD64(BF_R1, BF_R2, 8));
}

static bool seg_member(const struct cg *c)
{
	return c->seg && !c->seg->root;
}

static void emit_policy(struct cg *c, const struct bf_chain *chain)
{
	/* in a segment program, the policy is the stub's (seg_stub()) */
	if (seg_member(c)) {
		bf_emit_ret(&c->e, BF_RC_RETURN);
		return;
	}
	emit_count(c, chain->policy_counter_idx);
	bf_emit_ret(&c->e, chain->policy == BF_VERDICT_DROP ? BF_RC_DROP :
							      BF_RC_ACCEPT);
}

/* LOG (ipt_log_packet() in net/netfilter/nf_log_syslog.c, reached through
 * log_tg() of xt_LOG.c, which returns XT_CONTINUE): the program's
 * prologue has copied the start of the packet into the per-CPU record
 * (emit_log_capture()); here the rule's counter index, the interfaces,
 * the mark and the length are added and the record is copied into the
 * ring buffer. The prefix, level and flags are the rule's: the reader
 * finds them in the ruleset by counter index. Clobbers r0-r6. */
static void emit_log(struct cg *c, const struct bf_rule *rule)
{
	bf_label done = bf_label_new(&c->e);

	/* key: pctx.pad, always 0 (the main function zeroes its stack) */
	bf_emit_map_fd_kind(&c->e, BF_R1, BF_RELOC_LOGBUF, 0);
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, PCTX_OFF(pad)));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, done);
	bf_emit(&c->e, I_MOV64_REG(BF_R6, BF_R0));
	bf_emit(&c->e,
		I_ST(BPF_W, BF_R6,
		     (int16_t)offsetof(struct bf_pktlog_rec, counter_idx),
		     (int32_t)rule->counter_idx));
	bf_emit(&c->e,
		I_ST(BPF_W, BF_R6,
		     (int16_t)offsetof(struct bf_pktlog_rec, nflog_group),
		     rule->verdict.kind == BF_VERDICT_NFLOG ?
			     (int32_t)(rule->verdict.u.nflog.group |
				       BF_PKTLOG_NFLOG << 16) :
			     0));
	for (int i = 0; i < 4; i++) {
		int16_t src = (int16_t)(PCTX_OFF(iif) + 8 * i);
		int16_t dst =
			(int16_t)(offsetof(struct bf_pktlog_rec, iif) + 8 * i);

		ld(c, BPF_DW, BF_R1, src);
		bf_emit(&c->e, I_STX(BPF_DW, BF_R6, BF_R1, dst));
	}
	_Static_assert(offsetof(struct bf_pktlog_rec, oif) ==
				       offsetof(struct bf_pktlog_rec, iif) +
					       16 &&
			       offsetof(struct bf_pctx, oif) ==
				       offsetof(struct bf_pctx, iif) + 16,
		       "iif/oif adjacent");
	ld(c, BPF_W, BF_R1, PCTX_OFF(mark));
	bf_emit(&c->e, I_STX(BPF_W, BF_R6, BF_R1,
			     (int16_t)offsetof(struct bf_pktlog_rec, mark)));
	ld(c, BPF_W, BF_R1, PCTX_OFF(len));
	bf_emit(&c->e, I_STX(BPF_W, BF_R6, BF_R1,
			     (int16_t)offsetof(struct bf_pktlog_rec, len)));
	bf_emit_map_fd_kind(&c->e, BF_R1, BF_RELOC_LOGRING, 0);
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R6));
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, sizeof(struct bf_pktlog_rec)));
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_ringbuf_output));
	bf_label_bind(&c->e, done);
}

/* The link-layer header into the per-CPU LOG record (dump_mac_header() of
 * nf_log_syslog.c prints it when there is an input device); maclen says
 * whether it is there.
 *
 * Netfilter (hooks other than LOCAL_OUT), at the start of
 * parse_nf_meta() while r7 is the skb: 14 bytes at skb->head +
 * mac_header when they end before skb->data. Uses r0-r5 and the scratch
 * bytes of the packet context. */
static void emit_log_mac_nf(struct cg *c)
{
	bf_label nomac = bf_label_new(&c->e), done = bf_label_new(&c->e);
	int16_t mac = (int16_t)offsetof(struct bf_pktlog_rec, mac);
	int16_t maclen = (int16_t)offsetof(struct bf_pktlog_rec, maclen);

	bf_emit_map_fd_kind(&c->e, BF_R1, BF_RELOC_LOGBUF, 0);
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, PCTX_OFF(pad)));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, done);
	bf_emit(&c->e, I_ST(BPF_B, BF_R0, maclen, 0));
	bf_emit(&c->e,
		I_LDX(BPF_H, BF_R2, BF_R7, (int16_t)c->off_skb_mac_header));
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R2, 0xffff, done);
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R3, BF_R7, (int16_t)c->off_skb_head));
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R4, BF_R7, (int16_t)c->off_skb_data));
	bf_emit(&c->e, I_ALU64_REG(BPF_SUB, BF_R4, BF_R3));
	bf_emit(&c->e, I_MOV64_REG(BF_R5, BF_R2));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R5, 14));
	bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R5, BF_R4, done);
	/* the record pointer survives the call on the stack (scratch) */
	bf_emit(&c->e, I_STX(BPF_DW, BF_FP, BF_R0, STK_BUF));
	/* bpf_probe_read_kernel(rec->mac, 14, head + mac_header) */
	bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R2));
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R0));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, mac));
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 14));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_probe_read_kernel));
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_FP, STK_BUF));
	bf_emit(&c->e, I_ST(BPF_DW, BF_FP, STK_BUF, 0));
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R0, 0, nomac);
	bf_emit(&c->e, I_ST(BPF_B, BF_R1, maclen, 14));
	bf_emit_ja(&c->e, done);
	bf_label_bind(&c->e, nomac);
	bf_emit(&c->e, I_ST(BPF_B, BF_R1, maclen, 0));
	bf_label_bind(&c->e, done);
}

/* tc/XDP ingress, into the record at r7: the frame's first 14 bytes. */
static void emit_log_mac(struct cg *c, int32_t l3off)
{
	bf_label nomac = bf_label_new(&c->e), done = bf_label_new(&c->e);
	int16_t mac = (int16_t)offsetof(struct bf_pktlog_rec, mac);
	int16_t maclen = (int16_t)offsetof(struct bf_pktlog_rec, maclen);

	if (c->attach == BF_ATTACH_NF || c->hook == BF_HOOK_OUTPUT ||
	    l3off < 14) {
		if (c->attach != BF_ATTACH_NF)
			bf_emit(&c->e, I_ST(BPF_B, BF_R7, maclen, 0));
		return;
	}
	/* bpf_dynptr_read(rec->mac, 14, dynptr, 0, 0) */
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, mac));
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 14));
	bf_emit(&c->e, I_MOV64_REG(BF_R3, BF_FP));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0));
	bf_emit(&c->e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R0, 0, nomac);
	bf_emit(&c->e, I_ST(BPF_B, BF_R7, maclen, 14));
	bf_emit_ja(&c->e, done);
	bf_label_bind(&c->e, nomac);
	bf_emit(&c->e, I_ST(BPF_B, BF_R7, maclen, 0));
	bf_label_bind(&c->e, done);
}

/* The main function's part of LOG, before the built-in chain runs: the
 * hook, family, link-layer header and the first BF_PKTLOG_CAP bytes from
 * the L3 header (l3off in the dynptr) into the per-CPU record. Uses
 * r0-r5, r7. */
static void emit_log_capture(struct cg *c, enum bf_family family, int32_t l3off)
{
	bf_label done = bf_label_new(&c->e), capped = bf_label_new(&c->e);

	bf_emit_map_fd_kind(&c->e, BF_R1, BF_RELOC_LOGBUF, 0);
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, PCTX_OFF(pad)));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, done);
	bf_emit(&c->e, I_MOV64_REG(BF_R7, BF_R0));
	bf_emit(&c->e, I_ST(BPF_B, BF_R7,
			    (int16_t)offsetof(struct bf_pktlog_rec, hook),
			    (int32_t)c->hook));
	bf_emit(&c->e, I_ST(BPF_B, BF_R7,
			    (int16_t)offsetof(struct bf_pktlog_rec, family),
			    (int32_t)family));
	bf_emit(&c->e, I_ST(BPF_B, BF_R7,
			    (int16_t)offsetof(struct bf_pktlog_rec, attach),
			    (int32_t)c->attach));
	emit_log_mac(c, l3off);
	ld(c, BPF_W, BF_R2, PCTX_OFF(len));
	bf_emit_jmp_imm(&c->e, BPF_JLE, BF_R2, BF_PKTLOG_CAP, capped);
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, BF_PKTLOG_CAP));
	bf_label_bind(&c->e, capped);
	bf_emit(&c->e, I_STX(BPF_W, BF_R7, BF_R2,
			     (int16_t)offsetof(struct bf_pktlog_rec, caplen)));
	/* bpf_dynptr_read(dst, len, src, offset, flags) */
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	bf_emit(&c->e,
		I_ALU64_IMM(BPF_ADD, BF_R1,
			    (int32_t)offsetof(struct bf_pktlog_rec, data)));
	bf_emit(&c->e, I_MOV64_REG(BF_R3, BF_FP));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R3, STK_DYNPTR));
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, l3off));
	bf_emit(&c->e, I_MOV64_IMM(BF_R5, 0));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_dynptr_read));
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, done);
	bf_emit(&c->e,
		I_ST(BPF_W, BF_R7,
		     (int16_t)offsetof(struct bf_pktlog_rec, caplen), 0));
	bf_label_bind(&c->e, done);
}

/* How a rule's verdict leaves a function: a chain function (`seg` false)
 * or one segment of a long chain (`seg` true; RETURN then means "the
 * chain returns" and is passed to the chain's dispatcher as
 * BF_RC_RETURN). */
static void emit_verdict(struct cg *c, const struct bf_chain *chain,
			 const struct bf_rule *rule, bool seg, bf_label next)
{
	const struct bf_chain *t;
	bf_label l;

	switch (rule->verdict.kind) {
	case BF_VERDICT_CONTINUE:
		break;
	case BF_VERDICT_LOG:
	case BF_VERDICT_NFLOG:
		emit_log(c, rule);
		break;
	case BF_VERDICT_MARK:
		bf_cgen_mark(&c->e, &rule->verdict);
		break;
	case BF_VERDICT_REJECT:
		/* netfilter programs cannot send: the packet is dropped
		 * (bf_check() warns) */
		bf_emit_ret(&c->e, c->attach == BF_ATTACH_NF ?
					   BF_RC_DROP :
					   bf_cgen_reject_rc(rule));
		break;
	case BF_VERDICT_ACCEPT:
		bf_emit_ret(&c->e, BF_RC_ACCEPT);
		break;
	case BF_VERDICT_DROP:
		bf_emit_ret(&c->e, BF_RC_DROP);
		break;
	case BF_VERDICT_NFT_NEXT:
		/* every chain call passes it up (JUMP, GOTO below); the
		 * built-in chain goes on with its next rule */
		if (chain->builtin)
			bf_emit_ja(&c->e, next);
		else
			bf_emit_ret(&c->e, BF_RC_NFT_NEXT);
		break;
	case BF_VERDICT_BPF:
		/* ends with a jump to next (also from the cold path) */
		bf_um_verdict(&c->e, &c->um, rule->verdict.u.bpf.ref, next,
			      BF_RC_ACCEPT, BF_RC_DROP);
		break;
	case BF_VERDICT_RETURN:
		/* ipt_do_table(): RETURN with an empty jump stack (in a
		 * built-in chain) takes the policy. */
		if (seg)
			bf_emit_ret(&c->e, BF_RC_RETURN);
		else if (chain->builtin || seg_top(c, chain))
			emit_policy(c, chain);
		else
			bf_emit_ret(&c->e, BF_RC_CONTINUE);
		break;
	case BF_VERDICT_JUMP:
	case BF_VERDICT_GOTO:
		t = bf_ruleset_chain(c->rs, chain->family, rule->verdict.chain);
		if (seg_target(c, t)) {
			/* the segment ends here: the stub tail-calls t */
			bf_emit_ret(&c->e, BF_RC_SEGJUMP);
			break;
		}
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
		bf_emit_call(&c->e, fn_of(c, t)->label);
		if (chain->builtin && c->nft_next)
			bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_NFT_NEXT,
					next);
		if (rule->verdict.kind == BF_VERDICT_JUMP) {
			bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_CONTINUE,
					next);
			bf_emit(&c->e, I_EXIT());
			break;
		}
		/* -g: the target's RETURN returns from this chain too;
		 * from a built-in chain that means its policy. */
		if (!seg && !chain->builtin && !seg_top(c, chain)) {
			bf_emit(&c->e, I_EXIT());
			break;
		}
		l = bf_label_new(&c->e);
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_CONTINUE, l);
		bf_emit(&c->e, I_EXIT());
		bf_label_bind(&c->e, l);
		if (seg)
			bf_emit_ret(&c->e, BF_RC_RETURN);
		else
			emit_policy(c, chain);
		break;
	default:
		bf_emit_fail(&c->e, -EINVAL);
		break;
	}
}

/* A rule that can never match and cannot hotdrop before it finds out
 * (an interface match resolved false at tc/XDP, preceded only by matches
 * that cannot hotdrop) needs no code at all. */
static bool rule_is_void(const struct cg *c, const struct bf_rule *rule)
{
	if (c->attach == BF_ATTACH_NF)
		return false;
	for (size_t i = 0; i < rule->n_matches; i++) {
		const struct bf_match *m = &rule->matches[i];

		if (m->type == BF_MATCH_L4HDR ||
		    (m->type == BF_MATCH_L4PROTO &&
		     rule->family == BF_FAMILY_INET6))
			return false;
		if ((m->type == BF_MATCH_IIFNAME ||
		     m->type == BF_MATCH_OIFNAME) &&
		    !iface_static(c, m))
			return true;
	}
	return false;
}

static void emit_rule(struct cg *c, const struct bf_chain *chain,
		      const struct bf_rule *rule, bool seg)
{
	bf_label next;
	bool reach = true;

	if (rule_is_void(c, rule))
		return;
	next = bf_label_new(&c->e);

	for (size_t i = 0; i < rule->n_matches && reach; i++)
		reach = emit_match(c, rule, &rule->matches[i], next);
	if (reach && bf_label_refs(&c->e, next) &&
	    rule->verdict.kind != BF_VERDICT_CONTINUE &&
	    rule->verdict.kind != BF_VERDICT_LOG &&
	    rule->verdict.kind != BF_VERDICT_NFLOG &&
	    rule->verdict.kind != BF_VERDICT_MARK &&
	    rule->verdict.kind != BF_VERDICT_JUMP) {
		/* a terminal verdict: counted and returned off the
		 * straight line */
		bf_label matched = bf_label_new(&c->e);

		/* "if (!ok) goto next; goto matched" ->
		 * "if (ok) goto matched": a packet that does not match
		 * runs straight through. */
		if (!bf_emit_invert_last(&c->e, next, matched))
			bf_emit_ja(&c->e, matched);
		add_cold(c, (struct cold){ .kind = COLD_MATCHED,
					   .entry = matched,
					   .next = next,
					   .chain = chain,
					   .rule = rule,
					   .seg = seg });
	} else if (reach) {
		emit_count(c, rule->counter_idx);
		emit_verdict(c, chain, rule, seg, next);
	}
	bf_label_bind(&c->e, next);
}

/* ---- folded rule groups (src/lib/opt/fold.c, doc/classification.md) ---- */

static uint32_t key_hash(const uint8_t *k, uint32_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static int mapb_rehash(struct mapb *m, uint32_t cap)
{
	uint32_t *ht = calloc(cap, sizeof(*ht));

	if (!ht)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->n; i++) {
		uint32_t h = key_hash(m->keys + (size_t)i * m->key_size,
				      m->key_size) &
			     (cap - 1);

		while (ht[h])
			h = (h + 1) & (cap - 1);
		ht[h] = i + 1;
	}
	free(m->ht);
	m->ht = ht;
	m->ht_cap = cap;
	return 0;
}

/* Add key -> value unless the key is there already (the first rule with a
 * key wins: later duplicates can never match, as in iptables). */
static int mapb_add(struct mapb *m, const uint8_t *key, uint32_t value)
{
	uint32_t h;

	if ((m->n + 1) * 2 > m->ht_cap &&
	    mapb_rehash(m, m->ht_cap ? m->ht_cap * 2 : 1024))
		return -ENOMEM;
	h = key_hash(key, m->key_size) & (m->ht_cap - 1);
	while (m->ht[h]) {
		if (!memcmp(m->keys + (size_t)(m->ht[h] - 1) * m->key_size, key,
			    m->key_size))
			return 0;
		h = (h + 1) & (m->ht_cap - 1);
	}
	if (m->n == m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 256;
		uint8_t *k = realloc(m->keys, (size_t)cap * m->key_size);
		uint32_t *v;

		if (!k)
			return -ENOMEM;
		m->keys = k;
		v = realloc(m->values, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->values = v;
		m->cap = cap;
	}
	memcpy(m->keys + (size_t)m->n * m->key_size, key, m->key_size);
	m->values[m->n] = value;
	m->ht[h] = ++m->n;
	return 0;
}

/* The map for keys of `key_size` bytes, numbered on first use. */
static struct mapb *mapb_of(struct cg *c, uint8_t key_size)
{
	struct mapb *m = &c->mapb[key_size / 4];

	if (m->idx < 0) {
		m->idx = (int)c->n_maps++;
		m->key_size = key_size;
	}
	return m;
}

/* Fill the map of group g's keys before match `upto` (SIZE_MAX: all
 * keys) under group id gid: the full key maps to
 * ((counter index - base) << 2 | verdict), a prefix key only needs to be
 * present. Returns the map's index. */
static int fill_group(struct cg *c, const struct bf_chain *chain,
		      const struct bf_fold_group *g, size_t upto, uint32_t gid,
		      uint32_t base)
{
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t key[BF_FOLD_KEY_MAX], n_parts;
	uint8_t size = bf_fold_layout(g, upto, parts, &n_parts);
	struct mapb *m = mapb_of(c, size);

	for (size_t i = 0; i < g->n; i++) {
		const struct bf_rule *r = &chain->rules[g->first + i];
		uint32_t v = 0;

		if (upto == SIZE_MAX) {
			v = r->verdict.kind == BF_VERDICT_ACCEPT ?
				    BF_RC_ACCEPT :
			    r->verdict.kind == BF_VERDICT_DROP ? BF_RC_DROP :
								 BF_RC_RETURN;
			v |= (r->counter_idx - base) << 2;
		}
		bf_fold_key(parts, n_parts, size, gid, r, key);
		if (mapb_add(m, key, v)) {
			bf_emit_fail(&c->e, -ENOMEM);
			return -ENOMEM;
		}
	}
	return m->idx;
}

/* fill_group() into the shared lookup of shape `shape` (c->seg->share),
 * word c->seg->index of the rows; values hold counter slots from 0.
 * Returns 0 or -ENOMEM. */
static int share_fill(struct cg *c, const struct bf_chain *chain,
		      const struct bf_fold_group *g, int shape)
{
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t key[BF_FOLD_KEY_MAX], n_parts;
	uint8_t size = bf_fold_layout(g, SIZE_MAX, parts, &n_parts);

	for (size_t i = 0; i < g->n; i++) {
		const struct bf_rule *r = &chain->rules[g->first + i];
		uint32_t v = r->verdict.kind == BF_VERDICT_ACCEPT ?
				     BF_RC_ACCEPT :
			     r->verdict.kind == BF_VERDICT_DROP ? BF_RC_DROP :
								  BF_RC_RETURN;

		v |= r->counter_idx << 2;
		bf_fold_key(parts, n_parts, size, (uint32_t)shape + 1, r, key);
		if (bf_seg_share_add(c->seg->share, shape, c->seg->index, key,
				     v)) {
			bf_emit_fail(&c->e, -ENOMEM);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Build the key of g's parts before match `upto` in pctx.scratch and look
 * it up: r0 = value pointer or NULL. */
static void emit_lookup(struct cg *c, const struct bf_fold_group *g,
			size_t upto, uint32_t gid, uint32_t map)
{
	static const int16_t field_off[BF_FOLD_FIELD_COUNT] = {
		[BF_FOLD_SADDR] = PCTX_OFF(saddr),
		[BF_FOLD_DADDR] = PCTX_OFF(daddr),
		[BF_FOLD_SPORT] = PCTX_OFF(sport),
		[BF_FOLD_DPORT] = PCTX_OFF(dport),
		[BF_FOLD_PROTO] = PCTX_OFF(l4proto),
	};
	const int16_t key = PCTX_OFF(scratch);
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t n_parts, size = bf_fold_layout(g, upto, parts, &n_parts);
	uint8_t end = 4;

	if (n_parts)
		end = (uint8_t)(parts[n_parts - 1].off +
				parts[n_parts - 1].size);
	if (end < size) /* padding: zero the last word first */
		bf_emit(&c->e,
			I_ST(BPF_W, BF_R9, (int16_t)(key + size - 4), 0));
	bf_emit(&c->e, I_ST(BPF_W, BF_R9, key, (int32_t)gid));
	for (uint8_t i = 0; i < n_parts; i++) {
		const struct bf_fold_part *p = &parts[i];
		int sz = p->size == 1 ? BPF_B : p->size == 2 ? BPF_H : BPF_W;
		int step = p->size >= 4 ? 4 : p->size;

		for (int o = 0; o < p->size; o += step) {
			uint32_t mask = UINT32_MAX;

			if (p->field == BF_FOLD_SADDR ||
			    p->field == BF_FOLD_DADDR)
				memcpy(&mask, p->mask + o, 4);
			if (!mask) {
				bf_emit(&c->e,
					I_ST(BPF_W, BF_R9,
					     (int16_t)(key + p->off + o), 0));
				continue;
			}
			ld(c, sz, BF_R1, (int16_t)(field_off[p->field] + o));
			if (mask != UINT32_MAX)
				bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1,
							   (int32_t)mask));
			bf_emit(&c->e, I_STX(sz, BF_R9, BF_R1,
					     (int16_t)(key + p->off + o)));
		}
	}
	bf_emit_map_fd(&c->e, BF_R1, map);
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, key));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
}

/* Folded groups of at most INLINE_MAX rules keyed by one address field
 * (IPv4, any mask) are searched in the code, a binary search of the sorted
 * keys, instead of with a hash map lookup (htab_map_hash() and the bucket
 * walk: ~17 ns a lookup at XDP). BPFILTER_FOLD_INLINE=0: never. */
#define INLINE_MAX 32

struct inl_kv {
	uint32_t k, v;
};

static int inl_cmp(const void *a, const void *b)
{
	const struct inl_kv *x = a, *y = b;

	return x->k < y->k ? -1 : x->k > y->k;
}

/* ... and only when no later group of the chain has the same shape: those
 * would share one map lookup (emit_group()), one search per group would
 * cost more. */
static bool inline_ok(const struct cg *c, const struct bf_chain *chain,
		      const struct bf_fold_group *g,
		      const struct bf_fold_group *g_end)
{
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t n_parts;

	for (const struct bf_fold_group *q = g + 1; q < g_end; q++) {
		if (bf_fold_compatible(&chain->rules[q->first],
				       &chain->rules[g->first]))
			return false;
	}
	bf_fold_layout(g, SIZE_MAX, parts, &n_parts);
	return g->n <= INLINE_MAX && !c->run.on && n_parts == 1 &&
	       parts[0].size == 4 &&
	       (parts[0].field == BF_FOLD_SADDR ||
		parts[0].field == BF_FOLD_DADDR) &&
	       !(getenv("BPFILTER_FOLD_INLINE") &&
		 !strcmp(getenv("BPFILTER_FOLD_INLINE"), "0"));
}

static void inl_tree(struct cg *c, const struct inl_kv *kv, size_t n,
		     bf_label found, bf_label miss)
{
	if (n <= 3) {
		for (size_t i = 0; i < n; i++) {
			bf_label no = bf_label_new(&c->e);

			bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1,
					  (int32_t)kv[i].k, no);
			bf_emit(&c->e, I_MOV64_IMM(BF_R1, (int32_t)kv[i].v));
			bf_emit_ja(&c->e, found);
			bf_label_bind(&c->e, no);
		}
		bf_emit_ja(&c->e, miss);
		return;
	}
	bf_label right = bf_label_new(&c->e);
	size_t mid = n / 2;

	bf_emit_jmp32_imm(&c->e, BPF_JGT, BF_R1, (int32_t)kv[mid].k, right);
	inl_tree(c, kv, mid + 1, found, miss);
	bf_label_bind(&c->e, right);
	inl_tree(c, kv + mid + 1, n - mid - 1, found, miss);
}

/* r1 = the value the map of g would give for the packet (as fill_group()
 * fills it: the first rule of a key wins), else goto miss. */
static void emit_inline_lookup(struct cg *c, const struct bf_chain *chain,
			       const struct bf_fold_group *g, uint32_t base,
			       bf_label miss)
{
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t key[BF_FOLD_KEY_MAX], n_parts;
	uint8_t size = bf_fold_layout(g, SIZE_MAX, parts, &n_parts);
	struct inl_kv kv[INLINE_MAX];
	bf_label found = bf_label_new(&c->e);
	size_t n = 0;
	uint32_t mask;

	for (size_t i = 0; i < g->n; i++) {
		const struct bf_rule *r = &chain->rules[g->first + i];
		uint32_t k, v;
		bool dup = false;

		v = r->verdict.kind == BF_VERDICT_ACCEPT ? BF_RC_ACCEPT :
		    r->verdict.kind == BF_VERDICT_DROP	 ? BF_RC_DROP :
							   BF_RC_RETURN;
		v |= (r->counter_idx - base) << 2;
		bf_fold_key(parts, n_parts, size, 0, r, key);
		memcpy(&k, key + parts[0].off, 4);
		for (size_t j = 0; j < n && !dup; j++)
			dup = kv[j].k == k;
		if (!dup)
			kv[n++] = (struct inl_kv){ k, v };
	}
	qsort(kv, n, sizeof(kv[0]), inl_cmp);
	memcpy(&mask, parts[0].mask, 4);
	ld(c, BPF_W, BF_R1,
	   parts[0].field == BF_FOLD_SADDR ? PCTX_OFF(saddr) : PCTX_OFF(daddr));
	if (mask != UINT32_MAX)
		bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)mask));
	inl_tree(c, kv, n, found, miss);
	bf_label_bind(&c->e, found);
}

/* A folded group in place of its rules: the common matches once, in rule
 * order (a hotdrop among them asks the prefix map whether a rule would
 * have got that far); then one lookup, whose value is the matching rule's
 * index in the group and verdict: count that rule, return its verdict. */
static void emit_group(struct cg *c, const struct bf_chain *chain,
		       const struct bf_fold_group *g,
		       const struct bf_fold_group *g_end, bool seg)
{
	const struct bf_rule *r0 = &chain->rules[g->first];
	bf_label end = bf_label_new(&c->e), real_drop = c->hotdrop_l;
	bool reach = true, kinds[4] = { false }, lead = true;
	struct shared *sh = NULL, own = { .r0 = r0 };
	uint32_t lo;
	int n_kinds = 0;
	bool inl = false;

	/* a group of the same shape earlier in this function already
	 * looks the packet up (the same common matches held there) */
	for (size_t i = 0; i < c->n_shared && !sh; i++) {
		if (bf_fold_compatible(c->shared[i].r0, r0))
			sh = &c->shared[i];
	}
	if (sh) {
		lead = false;
	} else if (inline_ok(c, chain, g, g_end)) {
		/* searched in the code: not shared with later groups */
		inl = true;
		own.gid = ++c->next_gid;
		own.base = r0->counter_idx;
		sh = &own;
	} else if (c->n_shared < SHARED_MAX) {
		sh = &c->shared[c->n_shared];
		*sh = (struct shared){
			.r0 = r0,
			.gid = ++c->next_gid,
			.base = r0->counter_idx,
			.slot = (int16_t)(-8 * (int)(c->n_shared + 1)),
		};
		/* the built-in chain of a segment of a full build: the
		 * root's lookup, shared by all segments */
		if (seg_member(c) && c->seg->share && chain->builtin)
			sh->share =
				bf_seg_share_shape(c->seg->share, r0, g) + 1;
		if (sh->share)
			sh->base = 0;
		c->n_shared++;
	} else {
		/* no stack slot left: a lookup of its own */
		own.gid = ++c->next_gid;
		own.base = r0->counter_idx;
		sh = &own;
	}
	if (sh->share)
		own.map = share_fill(c, chain, g, sh->share - 1);
	else
		own.map = fill_group(c, chain, g, SIZE_MAX, sh->gid, sh->base);
	if (own.map < 0)
		return;
	if (lead)
		sh->map = own.map;
	c->n_folded += g->n;
	if (lead && sh->slot)
		bf_emit(&c->e, I_ST(BPF_DW, BF_FP, sh->slot, -1));
	for (size_t p = 0; p < r0->n_matches && reach; p++) {
		const struct bf_match *m = &r0->matches[p];
		struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
		uint8_t n_parts;
		bf_label hd;
		uint32_t pgid;
		int pmap;

		if (bf_fold_is_key(g, p))
			continue;
		bf_fold_layout(g, p, parts, &n_parts);
		if (!bf_fold_can_hotdrop(r0, m) || !n_parts) {
			/* no key before it: the group's first rule would
			 * hotdrop, so the group does */
			reach = emit_match(c, r0, m, end);
			continue;
		}
		pgid = ++c->next_gid;
		pmap = fill_group(c, chain, g, p, pgid, 0);
		if (pmap < 0)
			return;
		hd = bf_label_new(&c->e);
		c->hotdrop_l = hd;
		reach = emit_match(c, r0, m, end);
		c->hotdrop_l = real_drop;
		/* used inline (IPv6 walk error), or by the cold code of a
		 * transport header check, emitted later */
		if (bf_label_refs(&c->e, hd) ||
		    (c->n_cold && c->cold[c->n_cold - 1].kind == COLD_L4 &&
		     c->cold[c->n_cold - 1].drop == hd)) {
			bf_label_ref(&c->e, end);
			add_cold(c, (struct cold){ .kind = COLD_PREFIX,
						   .entry = hd,
						   .next = end,
						   .group = g,
						   .upto = p,
						   .gid = pgid,
						   .map = (uint32_t)pmap });
		}
	}
	if (c->run.group_entry_on) {
		/* entry from the dispatch of a run: the common matches held */
		bf_label_bind(&c->e, c->run.group_entry);
		c->run.group_entry_on = false;
	}
	if (reach) {
		for (size_t i = 0; i < g->n; i++) {
			enum bf_verdict_kind k =
				chain->rules[g->first + i].verdict.kind;
			int rc = k == BF_VERDICT_ACCEPT ? BF_RC_ACCEPT :
				 k == BF_VERDICT_DROP	? BF_RC_DROP :
							  BF_RC_RETURN;

			if (!kinds[rc])
				n_kinds++;
			kinds[rc] = true;
		}
		if (lead && inl) {
			emit_inline_lookup(c, chain, g, sh->base, end);
		} else if (lead && sh->share) {
			/* this segment's word of the root's lookup */
			bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R9,
					     bf_seg_share_off(sh->share - 1,
							      c->seg->index)));
			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, -1, end);
			bf_emit(&c->e, I_STX(BPF_DW, BF_FP, BF_R1, sh->slot));
		} else if (lead) {
			emit_lookup(c, g, SIZE_MAX, sh->gid, (uint32_t)sh->map);
			bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, end);
			bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R0, 0));
			if (sh->slot)
				bf_emit(&c->e,
					I_STX(BPF_DW, BF_FP, BF_R1, sh->slot));
		} else {
			/* -1 (not found) fails the range test below */
			bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_FP, sh->slot));
		}
		bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R1));
		bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R2, 3));
		bf_emit(&c->e, I_ALU64_IMM(BPF_RSH, BF_R1, 2));
		/* one of our rules? (also bounds the counter offset for
		 * the verifier) */
		lo = r0->counter_idx - sh->base;
		if (lo)
			bf_emit_jmp_imm(&c->e, BPF_JLT, BF_R1, (int32_t)lo,
					end);
		bf_emit_jmp_imm(&c->e, BPF_JGE, BF_R1, (int32_t)(lo + g->n),
				end);
		if (lo)
			bf_emit(&c->e,
				I_ALU64_IMM(BPF_SUB, BF_R1, (int32_t)lo));
		bf_emit(&c->e, I_ALU64_IMM(BPF_LSH, BF_R1, 4));
		bf_emit_counters_addr(&c->e, BF_R3, r0->counter_idx * 16);
		bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
		bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
		bf_emit(&c->e, I_ATOMIC_ADD64(BF_R3, BF_R1, 0));
		ld(c, BPF_W, BF_R1, PCTX_OFF(len));
		bf_emit(&c->e, I_ATOMIC_ADD64(BF_R3, BF_R1, 8));
		for (int rc = BF_RC_ACCEPT; rc <= BF_RC_RETURN; rc++) {
			bf_label other;
			struct bf_rule ret = { .verdict.kind =
						       BF_VERDICT_RETURN };

			if (!kinds[rc])
				continue;
			other = bf_label_new(&c->e);
			if (--n_kinds)
				bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R2, rc,
						other);
			if (rc == BF_RC_RETURN)
				emit_verdict(c, chain, &ret, seg, end);
			else
				bf_emit_ret(&c->e, rc);
			bf_label_bind(&c->e, other);
		}
	}
	bf_label_bind(&c->e, end);
}

static void lbvs_hit_tail(struct cg *c);
static bool lbvs_hit_rule(struct cg *c, const struct bf_rule *rule);

/* End of a function: its cold code, then the shared hotdrop. */
static void emit_func_tail(struct cg *c)
{
	for (size_t i = 0; i < c->n_cold; i++) {
		const struct cold *k = &c->cold[i];

		bf_label_bind(&c->e, k->entry);
		if (k->kind == COLD_MATCHED && lbvs_hit_rule(c, k->rule))
			continue;
		if (k->kind == COLD_MATCHED) {
			emit_count(c, k->rule->counter_idx);
			emit_verdict(c, k->chain, k->rule, k->seg, k->next);
			continue;
		}
		if (k->kind == COLD_PREFIX) {
			emit_lookup(c, k->group, k->upto, k->gid, k->map);
			bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R0, 0, c->hotdrop_l);
			bf_emit_ja(&c->e, k->next);
			continue;
		}
		ld(c, BPF_H, BF_R1, PCTX_OFF(fragoff));
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0, k->drop);
		if (k->frag1)
			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 1, k->drop);
		bf_emit_ja(&c->e, k->next);
	}
	c->n_cold = 0;
	if (c->lbvs_hit_on)
		lbvs_hit_tail(c);
	bf_label_bind(&c->e, c->hotdrop_l);
	hotdrop(c);
}

/* Start a global function at label l: NULL check of the argument (the
 * verifier assumes it may be NULL), r9 = packet context. */
static void emit_func_head(struct cg *c, bf_label l, struct bf_program *prog,
			   const struct bf_chain *chain, const char *kind)
{
	bf_label body = bf_label_new(&c->e);
	struct bf_func *fn;

	if (prog->n_funcs == c->cap_funcs) {
		size_t cap = c->cap_funcs * 2;
		struct bf_func *n = realloc(prog->funcs, cap * sizeof(*n));

		if (!n) {
			bf_emit_fail(&c->e, -ENOMEM);
			return;
		}
		prog->funcs = n;
		c->cap_funcs = cap;
	}
	fn = &prog->funcs[prog->n_funcs++];
	memset(fn, 0, sizeof(*fn));
	c->n_cold = 0;
	c->n_shared = 0;
	c->hotdrop_l = bf_label_new(&c->e);
	c->lbvs_hit_on = false;
	c->lbvs_hit_ncnt = 0;
	bf_label_bind_entry(&c->e, l);
	fn->insn_off = bf_emit_pos(&c->e);
	fn->global = true;
	snprintf(fn->name, sizeof(fn->name), "bf%d_%s%zu",
		 chain->family == BF_FAMILY_INET6 ? 6 : 4, kind,
		 prog->n_funcs - 1);
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R1, 0, body);
	bf_emit_ret(&c->e, BF_RC_CONTINUE);
	bf_label_bind(&c->e, body);
	bf_emit(&c->e, I_MOV64_REG(BF_R9, BF_R1));
}

static void emit_chain_end(struct cg *c, const struct bf_chain *chain)
{
	if (chain->builtin && !seg_member(c))
		emit_policy(c, chain);
	else
		bf_emit_ret(&c->e, BF_RC_CONTINUE);
}

/* ---- general rules: bit-vector search (opt/lbvs.h, cgen/c_lbvs.h) ---- */

/* Where the classifier's result (u32) is kept: a chain function keeps it
 * in its own stack (LBVS_SLOT); the segment functions of a segmented
 * chain read it from pctx.pad, which the chain's dispatcher sets before
 * each segment call from its own LBVS_SLOT (a chain called in between may
 * have set pctx.pad for itself), after saving the caller's value in
 * LBVS_SAVED and before restoring it on return. */
#define LBVS_SLOT (-40)
#define LBVS_SAVED (-48)

/* One part's classes and maps, and its members cut into functions of
 * bounded size for their linear code. */
static int lbvs_prepare_part(struct cg *c, struct cfn *f, struct bf_lbvs *l,
			     struct lbvs_fn *fn, bool maps)
{
	size_t n0 = c->n_xmaps, i0 = c->n_maps;
	unsigned int cost = 0;
	uint32_t *xi;
	int r = 0;

	if (!getenv("BPFILTER_LBVS_LINEAR_SLOW"))
		r = bf_lbvs_slow_prepare(f->chain, l);
	if (!r && maps)
		r = bf_lbvs_maps(l, &c->xmaps, &c->n_xmaps, &c->n_maps,
				 fn->idx);
	xi = realloc(c->xmap_idx, (c->n_xmaps ? c->n_xmaps : 1) * sizeof(*xi));
	fn->cut = malloc((l->n_members + 1) * sizeof(size_t));
	fn->slow = malloc((l->n_members ? l->n_members : 1) * sizeof(bf_label));
	if (!r && (!xi || !fn->cut || !fn->slow))
		r = -ENOMEM;
	if (xi)
		c->xmap_idx = xi;
	if (r)
		return r;
	for (size_t k = n0; k < c->n_xmaps; k++)
		c->xmap_idx[k] = (uint32_t)(i0 + k - n0);
	fn->fast = bf_label_new(&c->e);
	/* slow_vec: the classifier decides every packet, no linear code */
	for (size_t m = 0; m < l->n_members && !l->slow_vec; m++) {
		unsigned int rc =
			rule_cost(&f->chain->rules[l->member_rule[m]]);

		if (!m || cost + rc > SEG_BUDGET) {
			fn->cut[fn->n_slow] = m;
			fn->slow[fn->n_slow++] = bf_label_new(&c->e);
			cost = 0;
		}
		cost += rc;
	}
	fn->cut[fn->n_slow] = l->n_members;
	return 0;
}

/* Appends `m` (its values owned from then on) to the program's extra maps
 * and gives its index among the program's maps in *idx. */
static int lbvs_push_map(struct cg *c, struct bf_prog_map *m, uint32_t *idx)
{
	struct bf_prog_map *x;
	uint32_t *xi;

	x = realloc(c->xmaps, (c->n_xmaps + 1) * sizeof(*x));
	if (x)
		c->xmaps = x;
	xi = realloc(c->xmap_idx, (c->n_xmaps + 1) * sizeof(*xi));
	if (xi)
		c->xmap_idx = xi;
	if (!x || !xi) {
		free(m->vals);
		return -ENOMEM;
	}
	c->xmap_idx[c->n_xmaps] = (uint32_t)c->n_maps;
	c->xmaps[c->n_xmaps++] = *m;
	*idx = (uint32_t)c->n_maps++;
	return 0;
}

/* Partitions (opt/lbvs_part.h): one array of the parts' members, part
 * after part, giving each one's index in the chain's members. */
static int lbvs_index_map(struct cg *c, struct cfn *f)
{
	const struct bf_lbvs *l = f->lbvs;
	struct bf_prog_map m = { .type = BPF_MAP_TYPE_ARRAY,
				 .key_size = 4,
				 .value_size = 4 };
	uint32_t *v;
	size_t n = 0;

	for (size_t p = 0; p < l->n_parts; p++)
		n += l->parts[p]->n_members;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (size_t p = 0; p < l->n_parts; p++) {
		const struct bf_lbvs *q = l->parts[p];

		for (size_t k = 0; k < q->n_members; k++)
			v[n++] = (uint32_t)l->rule_member[q->member_rule[k]];
	}
	m.n = (uint32_t)(n ? n : 1);
	m.vals = (uint8_t *)v;
	return lbvs_push_map(c, &m, &f->lbvs_imap);
}

/* Partitions: the masks of the parts a plain packet needs, one array. */
static int lbvs_mask_map(struct cg *c, struct cfn *f)
{
	struct bf_prog_map m = { .type = BPF_MAP_TYPE_ARRAY,
				 .key_size = 4,
				 .value_size = 8 };
	uint64_t *v = NULL;
	int r = bf_lbvs_part_masks(f->lbvs, &v, &m.n, f->lbvs_moff);

	if (r)
		return r;
	m.vals = (uint8_t *)v;
	return lbvs_push_map(c, &m, &f->lbvs_mmap);
}

/* A split search: the maps all parts share (bf_lbvs_merge()), and the
 * node maps of the address fields. */
static int lbvs_shared_maps(struct cg *c, struct cfn *f)
{
	struct bf_lbvs *l = f->lbvs;
	size_t n0 = c->n_xmaps, i0 = c->n_maps;
	uint32_t idx[BF_LBVS_FIELD_COUNT + 1] = { 0 }, *xi;
	int r = bf_lbvs_merge(l);

	if (!r && l->scatter)
		r = lbvs_mask_map(c, f);
	if (!r)
		r = bf_lbvs_maps(l, &c->xmaps, &c->n_xmaps, &c->n_maps, idx);
	for (int a = 0; a < 2 && !r; a++) {
		struct bf_lbvs_fmap *nm = &l->node[a];
		struct bf_prog_map m = {
			.type = BPF_MAP_TYPE_LPM_TRIE,
			.map_flags = BPF_F_NO_PREALLOC,
			.key_size = nm->key_size,
			.n = nm->n,
			.value_size = 4,
			.keys = nm->keys,
			.vals = (uint8_t *)nm->values,
		};
		struct bf_prog_map *x;

		if (!nm->used)
			continue;
		/* IPv4: a search over intervals (cgen/c_lbvs_iv.h) */
		if (bf_iv_used(nm)) {
			r = bf_iv_map(nm, &m);
			if (r)
				break;
			free(nm->keys);
			free(nm->values);
		}
		nm->keys = NULL;
		nm->values = NULL;
		x = realloc(c->xmaps, (c->n_xmaps + 1) * sizeof(*x));
		if (!x) {
			free(m.keys);
			free(m.vals);
			r = -ENOMEM;
			break;
		}
		c->xmaps = x;
		c->xmaps[c->n_xmaps++] = m;
		f->lbvs_node_idx[a] = (uint32_t)c->n_maps++;
	}
	xi = realloc(c->xmap_idx, (c->n_xmaps ? c->n_xmaps : 1) * sizeof(*xi));
	if (!r && !xi)
		r = -ENOMEM;
	if (xi)
		c->xmap_idx = xi;
	if (r)
		return r;
	for (size_t k = n0; k < c->n_xmaps; k++)
		c->xmap_idx[k] = (uint32_t)(i0 + k - n0);
	for (size_t p = 0; p < l->n_parts; p++)
		memcpy(f->lfn[p].idx, idx, sizeof(idx));
	return l->scatter ? lbvs_index_map(c, f) : 0;
}

/* On first use: the classes and maps of every part of the search. */
static int lbvs_prepare(struct cg *c, struct cfn *f)
{
	struct bf_lbvs *l = f->lbvs;
	size_t np = bf_lbvs_n_parts(l);
	int r;

	if (f->lbvs_on)
		return 0;
	f->lbvs_on = true;
	f->lfn = calloc(np, sizeof(*f->lfn));
	r = f->lfn ? bf_lbvs_build(f->chain, l) : -ENOMEM;
	for (size_t k = 0; k < np && !r; k++)
		r = lbvs_prepare_part(c, f, bf_lbvs_part(l, k), &f->lfn[k],
				      !l->n_parts);
	if (!r && l->n_parts)
		r = lbvs_shared_maps(c, f);
	if (r) {
		bf_emit_fail(&c->e, r);
		return r;
	}
	c->n_lbvs += l->n_members;
	return 0;
}

/* A split search: r6 / r7 = the node ids of the packet's source and
 * destination addresses (the chain's longest prefix containing each),
 * looked up once for all parts; none (not reached: 0/0 is a node) gives
 * NONE. r6 and r7 are the caller's, kept across the parts' calls. */
static void lbvs_nodes(struct cg *c, const struct cfn *f, bf_label done)
{
	static const int16_t off[2] = { PCTX_OFF(saddr), PCTX_OFF(daddr) };
	const int16_t key = PCTX_OFF(scratch);
	const struct bf_lbvs *l = f->lbvs;
	int alen = l->family == BF_FAMILY_INET6 ? 16 : 4;
	bf_label none = bf_label_new(&c->e), ok = bf_label_new(&c->e);

	for (int a = 0; a < 2; a++) {
		const struct bf_lbvs_fmap *nm = &l->node[a];

		if (!nm->used)
			continue;
		if (bf_iv_used(nm)) {
			bf_iv_emit(&c->e, nm, f->lbvs_node_idx[a], off[a], key,
				   none);
		} else {
			bf_emit(&c->e, I_ST(BPF_W, BF_R9, key, alen * 8));
			for (int o = 0; o < alen; o += 4) {
				ld(c, BPF_W, BF_R1, (int16_t)(off[a] + o));
				bf_emit(&c->e, I_STX(BPF_W, BF_R9, BF_R1,
						     (int16_t)(key + 4 + o)));
			}
			bf_emit_map_fd(&c->e, BF_R1, f->lbvs_node_idx[a]);
			bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
			bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, key));
			bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
			bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, none);
			bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R0, 0));
		}
		bf_emit(&c->e, I_MOV64_REG((uint8_t)(BF_R6 + a), BF_R1));
	}
	bf_emit_ja(&c->e, ok);
	bf_label_bind(&c->e, none);
	bf_emit(&c->e, I_MOV32_IMM(BF_R0, (int32_t)BF_LBVS_NONE));
	bf_emit_ja(&c->e, done);
	bf_label_bind(&c->e, ok);
}

/* Partitions: r8 = the parts a packet needs to run. A plain packet
 * (as bf_lbvs_emit_fast() decides it, with the chain's need[], which is
 * at least each part's) skips every part with an empty class of one of
 * its fields (the AND of the fields' masks); any other packet runs all
 * (r8 = ~0). None left: done (r0 = NONE). */
static void lbvs_masks(struct cg *c, const struct cfn *f, bf_label done)
{
	static const int16_t boff[BF_LBVS_FIELD_COUNT] = {
		[BF_LBVS_PROTO] = PCTX_OFF(l4proto),
		[BF_LBVS_FLAGS] = PCTX_OFF(tcpflags),
		[BF_LBVS_SPORT] = PCTX_OFF(sport),
		[BF_LBVS_DPORT] = PCTX_OFF(dport),
	};
	const struct bf_lbvs *l = f->lbvs;
	const int16_t key = PCTX_OFF(scratch);
	bf_label all = bf_label_new(&c->e);

	bf_emit(&c->e, I_MOV64_IMM(BF_R8, -1));
	if (l->family == BF_FAMILY_INET6) {
		ld(c, BPF_B, BF_R1, PCTX_OFF(l6err));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, all);
	}
	ld(c, BPF_B, BF_R2, PCTX_OFF(l4proto));
	ld(c, BPF_W, BF_R3, PCTX_OFF(l4gate));
	for (int p = 0; p < 256; p++) {
		bf_label other;

		if (!l->need[p])
			continue;
		other = bf_label_new(&c->e);
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R2, p, other);
		bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R3, l->need[p], all);
		bf_label_bind(&c->e, other);
	}
	for (int fi = 0; fi < BF_LBVS_FIELD_COUNT; fi++) {
		if (f->lbvs_moff[fi] == UINT32_MAX)
			continue;
		if (fi == BF_LBVS_SADDR || fi == BF_LBVS_DADDR)
			bf_emit(&c->e,
				I_MOV64_REG(BF_R1, (uint8_t)(BF_R6 + fi)));
		else if (fi == BF_LBVS_SPORT || fi == BF_LBVS_DPORT)
			ld(c, BPF_H, BF_R1, boff[fi]);
		else if (fi == BF_LBVS_PROTO || fi == BF_LBVS_FLAGS)
			ld(c, BPF_B, BF_R1, boff[fi]);
		else
			continue;
		if (f->lbvs_moff[fi])
			bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1,
						   (int32_t)f->lbvs_moff[fi]));
		bf_emit(&c->e, I_STX(BPF_W, BF_R9, BF_R1, key));
		bf_emit_map_fd(&c->e, BF_R1, f->lbvs_mmap);
		bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, key));
		bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, all);
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_R0, 0));
		bf_emit(&c->e, I_ALU64_REG(BPF_AND, BF_R8, BF_R1));
	}
	/* (parts from the 64th on have no bit: always run) */
	if (l->n_parts <= 64)
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R8, 0, done);
	bf_label_bind(&c->e, all);
}

/* Partitions (opt/lbvs_part.h): r0 = the least of the parts' results (in
 * the chain's numbering), kept in LBVS_SLOT meanwhile (the callers store
 * r0 there next); a part whose first member comes after the best so far
 * is not run, nor any later one (they are sorted by their first member).
 * A part's own result m << 1 | h becomes the chain's through the index
 * map (r8 keeps it across the lookup); its linear code numbers the
 * chain's members already. */
static void lbvs_call_min(struct cg *c, struct cfn *f)
{
	const struct bf_lbvs *l = f->lbvs;
	const int16_t key = PCTX_OFF(scratch);
	bf_label done = bf_label_new(&c->e), fin = bf_label_new(&c->e);
	uint32_t off = 0;

	bf_emit(&c->e, I_ST(BPF_W, BF_FP, LBVS_SLOT, (int32_t)BF_LBVS_NONE));
	lbvs_nodes(c, f, fin);
	lbvs_masks(c, f, done);
	for (size_t p = 0; p < l->n_parts; p++) {
		const struct bf_lbvs *q = l->parts[p];
		const struct lbvs_fn *fn = &f->lfn[p];
		bf_label found = bf_label_new(&c->e),
			 have = bf_label_new(&c->e);
		bf_label next = bf_label_new(&c->e);

		if (p) {
			bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_FP, LBVS_SLOT));
			bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R1,
					  (int32_t)(2 * q->base), done);
		}
		/* a plain packet with an empty class in this part: no
		 * member of it can match (r8: lbvs_masks()) */
		if (p < 64) {
			bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R8));
			if (p)
				bf_emit(&c->e, I_ALU64_IMM(BPF_RSH, BF_R1,
							   (int32_t)p));
			bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R1, 1));
			bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R1, 0, next);
		}
		for (int a = 0; a < 2; a++) {
			if (l->node[a].used)
				bf_emit(&c->e,
					I_STX(BPF_W, BF_R9,
					      (uint8_t)(BF_R6 + a),
					      (int16_t)(key + BF_LBVS_NODE_OFF +
							4 * a)));
		}
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
		bf_emit_call(&c->e, fn->fast);
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R0, (int32_t)BF_LBVS_SLOW,
				  found);
		for (size_t k = 0; k < fn->n_slow; k++) {
			bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
			bf_emit_call(&c->e, fn->slow[k]);
			if (k + 1 < fn->n_slow)
				bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R0,
						  (int32_t)BF_LBVS_NONE, have);
		}
		bf_emit_ja(&c->e, have);
		bf_label_bind(&c->e, found);
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R0, (int32_t)BF_LBVS_NONE,
				  next);
		bf_emit(&c->e, I_STX(BPF_W, BF_R9, BF_R0, (int16_t)(key + 24)));
		bf_emit(&c->e, I_MOV32_REG(BF_R1, BF_R0));
		bf_emit(&c->e, I_ALU32_IMM(BPF_RSH, BF_R1, 1));
		if (off)
			bf_emit(&c->e,
				I_ALU32_IMM(BPF_ADD, BF_R1, (int32_t)off));
		bf_emit(&c->e, I_STX(BPF_W, BF_R9, BF_R1, key));
		bf_emit_map_fd(&c->e, BF_R1, f->lbvs_imap);
		bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, key));
		bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, next);
		bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R0, 0));
		bf_emit(&c->e, I_ALU32_IMM(BPF_LSH, BF_R1, 1));
		bf_emit(&c->e, I_LDX(BPF_W, BF_R0, BF_R9, (int16_t)(key + 24)));
		bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R0, 1));
		bf_emit(&c->e, I_ALU32_REG(BPF_OR, BF_R0, BF_R1));
		bf_label_bind(&c->e, have);
		bf_emit(&c->e, I_MOV32_REG(BF_R0, BF_R0));
		bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_FP, LBVS_SLOT));
		bf_emit_jmp_reg(&c->e, BPF_JGE, BF_R0, BF_R1, next);
		bf_emit(&c->e, I_STX(BPF_W, BF_FP, BF_R0, LBVS_SLOT));
		bf_label_bind(&c->e, next);
		off += (uint32_t)q->n_members;
	}
	bf_label_bind(&c->e, done);
	bf_emit(&c->e, I_LDX(BPF_W, BF_R0, BF_FP, LBVS_SLOT));
	bf_label_bind(&c->e, fin);
}

/* r0 = the first member the packet matches (c_lbvs.h): the classifier,
 * or the members' linear code when the packet is not plain; with several
 * parts, each in turn (in rule order) until one finds a member. */
static void lbvs_call(struct cg *c, struct cfn *f)
{
	bf_label done = bf_label_new(&c->e);
	size_t np;

	if (lbvs_prepare(c, f))
		return;
	if (f->lbvs->scatter) {
		lbvs_call_min(c, f);
		return;
	}
	np = bf_lbvs_n_parts(f->lbvs);
	if (f->lbvs->n_parts)
		lbvs_nodes(c, f, done);
	for (size_t p = 0; p < np; p++) {
		const struct lbvs_fn *fn = &f->lfn[p];
		size_t base = bf_lbvs_part(f->lbvs, p)->base;
		bf_label found = bf_label_new(&c->e);
		bf_label next = p + 1 < np ? bf_label_new(&c->e) : done;

		/* the node ids for this part (the linear code of the part
		 * before may have used the scratch bytes) */
		for (int a = 0; a < 2 && f->lbvs->n_parts; a++) {
			if (f->lbvs->node[a].used)
				bf_emit(&c->e,
					I_STX(BPF_W, BF_R9,
					      (uint8_t)(BF_R6 + a),
					      (int16_t)(PCTX_OFF(scratch) +
							BF_LBVS_NODE_OFF +
							4 * a)));
		}
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
		bf_emit_call(&c->e, fn->fast);
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R0, (int32_t)BF_LBVS_SLOW,
				  found);
		/* (the linear code numbers the chain's members) */
		for (size_t k = 0; k < fn->n_slow; k++) {
			bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
			bf_emit_call(&c->e, fn->slow[k]);
			if (k + 1 < fn->n_slow || p + 1 < np)
				bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R0,
						  (int32_t)BF_LBVS_NONE, done);
		}
		if (fn->n_slow)
			bf_emit_ja(&c->e, next);
		bf_label_bind(&c->e, found);
		if (p + 1 < np || base) {
			/* the part numbers its own members: the chain's
			 * index is base + m */
			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R0,
					  (int32_t)BF_LBVS_NONE, next);
			if (base)
				bf_emit(&c->e,
					I_ALU32_IMM(BPF_ADD, BF_R0,
						    (int32_t)(2 * base)));
			bf_emit_ja(&c->e, done);
		}
		if (p + 1 < np)
			bf_label_bind(&c->e, next);
	}
	bf_label_bind(&c->e, done);
}

/* Return the verdict of member rule i + r2 (r2 in [a, b)), r2 being the
 * index relative to rule i. */
static void lbvs_dispatch(struct cg *c, const struct cfn *f, size_t i, size_t a,
			  size_t b, bool seg, bf_label end)
{
	const struct bf_rule *rules = f->chain->rules;
	size_t mid = a + 1, best = SIZE_MAX;
	bf_label right;
	uint64_t drop = 0;
	bool ad = b - a > 1 && b - a <= 64;

	/* up to 64 members, each ACCEPT or DROP: the verdict is bit r2 - a
	 * of a constant, without a branch for the verifier to explore */
	for (size_t k = a; k < b && ad; k++) {
		enum bf_verdict_kind v = rules[i + k].verdict.kind;

		ad = v == BF_VERDICT_ACCEPT || v == BF_VERDICT_DROP;
		if (v == BF_VERDICT_DROP)
			drop |= 1ull << (k - a);
	}
	if (ad) {
		_Static_assert(BF_RC_DROP == BF_RC_ACCEPT + 1, "rc of a bit");
		bf_emit_ld_imm64(&c->e, BF_R0, drop);
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R2));
		if (a)
			bf_emit(&c->e, I_ALU64_IMM(BPF_SUB, BF_R1, (int32_t)a));
		bf_emit(&c->e, I_ALU64_REG(BPF_RSH, BF_R0, BF_R1));
		bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R0, 1));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R0, BF_RC_ACCEPT));
		bf_emit(&c->e, I_EXIT());
		return;
	}
	/* the run boundary nearest the middle */
	for (size_t k = a + 1; k < b; k++) {
		size_t d = k > (a + b) / 2 ? k - (a + b) / 2 : (a + b) / 2 - k;

		if (rules[i + k].verdict.kind !=
			    rules[i + k - 1].verdict.kind &&
		    d < best) {
			best = d;
			mid = k;
		}
	}
	if (best == SIZE_MAX) {
		emit_verdict(c, f->chain, &rules[i + a], seg, end);
		return;
	}
	right = bf_label_new(&c->e);
	bf_emit_jmp_imm(&c->e, BPF_JGE, BF_R2, (int32_t)mid, right);
	lbvs_dispatch(c, f, i, a, mid, seg, end);
	bf_label_bind(&c->e, right);
	lbvs_dispatch(c, f, i, mid, b, seg, end);
}

/* lbvs_block() -> lbvs_hit_tail(): result, first counter, verdict bits */
#define LBVS_HIT_IDX PCTX_OFF(scratch)
#define LBVS_HIT_CNT ((int16_t)(PCTX_OFF(scratch) + 4))
#define LBVS_HIT_BITS ((int16_t)(PCTX_OFF(scratch) + 8))

/* n consecutive members from rule i, in place of their code: is the first
 * member the packet matches one of them? (A member before them that
 * matched would have ended the chain: they are terminal.) Then count it
 * and return its verdict, or hotdrop as its code would have. */
static void lbvs_block(struct cg *c, struct cfn *f, size_t i, size_t n,
		       bool seg)
{
	const struct bf_chain *chain = f->chain;
	uint32_t lo = (uint32_t)f->lbvs->rule_member[i];
	bf_label end = bf_label_new(&c->e);
	bool hot = false, shared = n <= 64 && !getenv("BPFILTER_LBVS_NO_HIT");
	uint64_t drop = 0;

	for (size_t k = 0; k < n; k++) {
		enum bf_verdict_kind v = chain->rules[i + k].verdict.kind;

		hot |= bf_lbvs_can_hotdrop(&chain->rules[i + k]);
		shared &= v == BF_VERDICT_ACCEPT || v == BF_VERDICT_DROP;
		/* (only used when shared: n <= 64) */
		if (v == BF_VERDICT_DROP && k < 64)
			drop |= 1ull << k;
	}
	if (seg) {
		ld(c, BPF_W, BF_R1, PCTX_OFF(pad));
	} else {
		if (!f->lbvs_stored) {
			lbvs_call(c, f);
			bf_emit(&c->e, I_STX(BPF_W, BF_FP, BF_R0, LBVS_SLOT));
			f->lbvs_stored = true;
		}
		bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_FP, LBVS_SLOT));
	}
	/* r1 - 2 lo < 2 n (unsigned, in 64 bits: a result below 2 lo
	 * wraps round to a huge value): one compare for both ends */
	if (lo)
		bf_emit(&c->e, I_ALU64_IMM(BPF_SUB, BF_R1, (int32_t)(2 * lo)));
	bf_emit_jmp_imm(&c->e, BPF_JGE, BF_R1, (int32_t)(2 * n), end);
	if (shared) {
		/* the function's one tail counts and returns (lbvs_hit_tail()):
		 * the block's values go through pctx.scratch */
		uint32_t cidx = chain->rules[i].counter_idx;

		bf_emit(&c->e, I_STX(BPF_W, BF_R9, BF_R1, LBVS_HIT_IDX));
		bf_emit(&c->e, I_ST(BPF_W, BF_R9, LBVS_HIT_CNT, (int32_t)cidx));
		bf_emit(&c->e, I_ST(BPF_W, BF_R9, LBVS_HIT_BITS,
				    (int32_t)(uint32_t)drop));
		bf_emit(&c->e, I_ST(BPF_W, BF_R9, LBVS_HIT_BITS + 4,
				    (int32_t)(uint32_t)(drop >> 32)));
		if (!c->lbvs_hit_on) {
			c->lbvs_hit_on = true;
			c->lbvs_hit = bf_label_new(&c->e);
		}
		if (cidx + n > c->lbvs_hit_ncnt)
			c->lbvs_hit_ncnt = cidx + (uint32_t)n;
		bf_emit_ja(&c->e, c->lbvs_hit);
		bf_label_bind(&c->e, end);
		return;
	}
	if (hot) {
		/* (in r2: a test of r1's bits would lose its bounds) */
		bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R1));
		bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R2, 1));
		bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R2, 0, c->hotdrop_l);
	}
	bf_emit(&c->e, I_ALU64_IMM(BPF_RSH, BF_R1, 1));
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R1));
	bf_emit(&c->e, I_ALU64_IMM(BPF_LSH, BF_R1, 4));
	bf_emit_counters_addr(&c->e, BF_R3, chain->rules[i].counter_idx * 16);
	bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
	bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
	bf_emit(&c->e, I_ATOMIC_ADD64(BF_R3, BF_R1, 0));
	ld(c, BPF_W, BF_R1, PCTX_OFF(len));
	bf_emit(&c->e, I_ATOMIC_ADD64(BF_R3, BF_R1, 8));
	/* the verdict: runs of members with the same one, found by a
	 * binary search (a chain of general rules alternates verdicts) */
	lbvs_dispatch(c, f, i, 0, n, seg, end);
	bf_label_bind(&c->e, end);
}

/* The cold code of a matched ACCEPT or DROP rule as a jump to the shared
 * tail (one member of result 0); false for other verdicts. */
static bool lbvs_hit_rule(struct cg *c, const struct bf_rule *rule)
{
	enum bf_verdict_kind v = rule->verdict.kind;

	if ((v != BF_VERDICT_ACCEPT && v != BF_VERDICT_DROP) ||
	    getenv("BPFILTER_LBVS_NO_HIT"))
		return false;
	bf_emit(&c->e, I_ST(BPF_W, BF_R9, LBVS_HIT_IDX, 0));
	bf_emit(&c->e,
		I_ST(BPF_W, BF_R9, LBVS_HIT_CNT, (int32_t)rule->counter_idx));
	bf_emit(&c->e, I_ST(BPF_W, BF_R9, LBVS_HIT_BITS,
			    v == BF_VERDICT_DROP ? 1 : 0));
	bf_emit(&c->e, I_ST(BPF_W, BF_R9, LBVS_HIT_BITS + 4, 0));
	if (!c->lbvs_hit_on) {
		c->lbvs_hit_on = true;
		c->lbvs_hit = bf_label_new(&c->e);
	}
	if (rule->counter_idx + 1 > c->lbvs_hit_ncnt)
		c->lbvs_hit_ncnt = rule->counter_idx + 1;
	bf_emit_ja(&c->e, c->lbvs_hit);
	return true;
}

/* The shared tail of lbvs_block(): r1 = the result relative to the
 * block's first member (k << 1 | hotdrop), the block's first counter and
 * the verdicts of its members (bit k: DROP) in pctx.scratch. Chain
 * functions are global (their pctx is memory the verifier does not
 * track): the loaded values are unknown scalars, so the verifier walks
 * this tail once per function, not once per block. */
static void lbvs_hit_tail(struct cg *c)
{
	bf_label verdict = bf_label_new(&c->e);

	bf_label_bind(&c->e, c->lbvs_hit);
	bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R9, LBVS_HIT_IDX));
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R1));
	bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R2, 1));
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R2, 0, c->hotdrop_l);
	bf_emit(&c->e, I_ALU64_IMM(BPF_RSH, BF_R1, 1));
	bf_emit(&c->e, I_LDX(BPF_W, BF_R2, BF_R9, LBVS_HIT_CNT));
	bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R2, BF_R1));
	/* (always true: a bound for the verifier) */
	bf_emit_jmp_imm(&c->e, BPF_JGE, BF_R2, (int32_t)c->lbvs_hit_ncnt,
			verdict);
	bf_emit(&c->e, I_ALU64_IMM(BPF_LSH, BF_R2, 4));
	bf_emit_counters_addr(&c->e, BF_R3, 0);
	bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R2));
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 1));
	bf_emit(&c->e, I_ATOMIC_ADD64(BF_R3, BF_R2, 0));
	ld(c, BPF_W, BF_R2, PCTX_OFF(len));
	bf_emit(&c->e, I_ATOMIC_ADD64(BF_R3, BF_R2, 8));
	bf_label_bind(&c->e, verdict);
	_Static_assert(BF_RC_DROP == BF_RC_ACCEPT + 1, "rc of a bit");
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R0, BF_R9, LBVS_HIT_BITS));
	bf_emit(&c->e, I_ALU64_REG(BPF_RSH, BF_R0, BF_R1));
	bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R0, 1));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R0, BF_RC_ACCEPT));
	bf_emit(&c->e, I_EXIT());
}

/* A member's own code in a linear function: r0 = m << 1 if it matches,
 * m << 1 | 1 if it hotdrops, else on to the next member. */
static void lbvs_member(struct cg *c, const struct bf_rule *r, uint32_t m)
{
	bf_label next = bf_label_new(&c->e), hd = bf_label_new(&c->e);
	bf_label real = c->hotdrop_l;
	size_t cold0 = c->n_cold;
	bool reach = true;

	c->hotdrop_l = hd;
	for (size_t i = 0; i < r->n_matches && reach; i++)
		reach = emit_match(c, r, &r->matches[i], next);
	c->hotdrop_l = real;
	/* the cold code of a transport header check jumps back to hd
	 * (counted while the code here is still live) */
	for (size_t k = cold0; k < c->n_cold; k++) {
		if (c->cold[k].kind == COLD_L4 && c->cold[k].drop == hd)
			bf_label_ref(&c->e, hd);
	}
	if (reach) {
		bf_emit(&c->e, I_MOV32_IMM(BF_R0, (int32_t)(m << 1)));
		bf_emit(&c->e, I_EXIT());
	}
	bf_label_bind(&c->e, hd);
	bf_emit(&c->e, I_MOV32_IMM(BF_R0, (int32_t)(m << 1 | 1)));
	bf_emit(&c->e, I_EXIT());
	bf_label_bind(&c->e, next);
}

/* The classifier function and the members' linear functions of f. */
static void lbvs_funcs(struct cg *c, struct cfn *f, struct bf_program *prog)
{
	if (!f->lbvs_on || c->e.err)
		return;
	for (size_t p = 0; p < bf_lbvs_n_parts(f->lbvs); p++) {
		const struct bf_lbvs *l = bf_lbvs_part(f->lbvs, p);
		const struct lbvs_fn *fn = &f->lfn[p];

		/* Only functions something calls: the kernel finds
		 * subprograms by their calls, and func_info must list
		 * exactly those ("number of funcs in func_info doesn't
		 * match number of subprogs"). The members can all be dead
		 * code, e.g. after `! -i eth+ -j ACCEPT`, true on every
		 * interface at tc/XDP (iface_static()). */
		if (bf_label_refs(&c->e, fn->fast)) {
			struct bf_lbvs_cfn cf = { 0 };

			/* up to 4 functions more per search: only in programs
			 * of few chains (segments: one), far from the kernel's
			 * 256 functions (BPF_MAX_SUBPROGS) */
			if (c->n_fns <= 16)
				bf_lbvs_cfn_plan(&c->e, l, &cf);
			emit_func_head(c, fn->fast, prog, f->chain, "lbvs");
			bf_lbvs_emit_fast(&c->e, l, fn->idx, &cf);
			emit_func_tail(c);
			/* its class functions (c_lbvs.h), those it calls */
			for (int k = 0; k < BF_LBVS_FIELD_COUNT; k++) {
				if (!cf.on[k] || !bf_label_refs(&c->e, cf.l[k]))
					continue;
				emit_func_head(c, cf.l[k], prog, f->chain,
					       "lbvsc");
				bf_lbvs_emit_cfn(&c->e, l, fn->idx, k);
				emit_func_tail(c);
			}
		}
		for (size_t k = 0; k < fn->n_slow; k++) {
			if (!bf_label_refs(&c->e, fn->slow[k]))
				continue;
			emit_func_head(c, fn->slow[k], prog, f->chain, "lbvsl");
			for (size_t m = fn->cut[k]; m < fn->cut[k + 1]; m++)
				lbvs_member(
					c, &f->chain->rules[l->member_rule[m]],
					(uint32_t)f->lbvs
						->rule_member[l->member_rule[m]]);
			bf_emit(&c->e, I_MOV32_IMM(BF_R0, -1));
			bf_emit(&c->e, I_EXIT());
			emit_func_tail(c);
		}
	}
}

/* Cost of the rule or folded group that starts at rule i (g: the next
 * group of f not emitted yet). */
static unsigned int item_cost(const struct cfn *f, size_t g, size_t i)
{
	if (g < f->n_groups && f->groups[g].first == i)
		return group_cost(f->chain, &f->groups[g]);
	if (lbvs_block_len(f, i))
		return LBVS_BLOCK_COST;
	return rule_cost(&f->chain->rules[i]);
}

/* ---- one dispatch for a run of folded groups and member blocks ----
 *
 * A run: consecutive items of a function, each a folded group of one
 * shape whose lookup an earlier group of the function did (its value in
 * the shape's stack slot), or a block of members (the classifier's result
 * in LBVS_SLOT or pctx.pad), nothing else between them. Item k decides
 * iff its range test holds (a group's only when its common matches hold,
 * the same for every group of the shape), so the first item that decides
 * is found by a binary search over the items, on two monotonic bounds:
 * F(k) = "slot value below the end of the last group <= k, or member
 * below the end of the last block <= k". The code jumps to that item's
 * range test (a group's after its common matches) and goes on from there
 * as the linear code would. When the common matches may hotdrop, the run
 * runs item after item from the start (doc/classification.md). */
#define RUN_MIN_GROUPS 3

struct run_item {
	bool group;
	uint64_t gh, mh; /* F(k)'s bounds, relative to the run's first */
};

static void run_tree(struct cg *c, const struct run_item *it, size_t a,
		     size_t b)
{
	size_t mid;
	bf_label yes;

	if (a == b) {
		bf_emit_ja(&c->e, a < c->run.n ? c->run.entry[a] : c->run.end);
		return;
	}
	mid = a + (b - a) / 2;
	yes = bf_label_new(&c->e);
	if (it[mid].gh)
		bf_emit_jmp_imm(&c->e, BPF_JLT, BF_R1, (int32_t)it[mid].gh,
				yes);
	if (it[mid].mh)
		bf_emit_jmp_imm(&c->e, BPF_JLT, BF_R2, (int32_t)it[mid].mh,
				yes);
	run_tree(c, it, mid + 1, b);
	bf_label_bind(&c->e, yes);
	run_tree(c, it, a, mid);
}

/* Before the item at rule i (group g): start a run there if one fits
 * (within `budget` of segment cost from `cost`), emitting its dispatch. */
static void run_start(struct cg *c, struct cfn *f, size_t g, size_t i,
		      unsigned int cost, unsigned int budget, bool seg)
{
	const struct bf_chain *chain = f->chain;
	const struct shared *sh = NULL;
	const struct bf_fold_group *g0 = NULL;
	struct run_item *it = NULL;
	size_t n = 0, n_groups = 0, n_blocks = 0, cap = 0;
	uint64_t glo = 0, mlo = 0, gh = 0, mh = 0;
	bf_label seq, cfail, search, real_drop = c->hotdrop_l;
	bool reach = true;

	if (c->run.on || getenv("BPFILTER_NO_RUN"))
		return;
	while (i < chain->n_rules) {
		size_t nb = 0;
		unsigned int ic;
		bool grp = g < f->n_groups && f->groups[g].first == i;

		if (grp) {
			const struct bf_rule *r0 = &chain->rules[i];
			const struct shared *s = NULL;

			for (size_t j = 0; j < c->n_shared && !s; j++) {
				if (bf_fold_compatible(c->shared[j].r0, r0))
					s = &c->shared[j];
			}
			if (!s || (sh && s != sh) || !s->slot)
				break;
			sh = s;
			ic = group_cost(chain, &f->groups[g]);
		} else if ((nb = lbvs_block_len(f, i))) {
			ic = LBVS_BLOCK_COST;
		} else {
			break;
		}
		if (n && cost + ic > budget)
			break;
		cost += ic;
		if (n == cap) {
			struct run_item *m;

			cap = cap ? cap * 2 : 64;
			m = realloc(it, cap * sizeof(*it));
			if (!m) {
				free(it);
				bf_emit_fail(&c->e, -ENOMEM);
				return;
			}
			it = m;
		}
		if (grp) {
			const struct bf_fold_group *fg = &f->groups[g];
			uint64_t lo = chain->rules[i].counter_idx - sh->base;

			if (!n_groups++) {
				glo = lo;
				g0 = fg;
			}
			gh = lo + fg->n - glo;
			i += fg->n;
			g++;
		} else {
			uint64_t lo = f->lbvs->rule_member[i];

			if (!n_blocks++)
				mlo = lo;
			mh = lo + nb - mlo;
			i += nb;
		}
		it[n++] = (struct run_item){ .group = grp, .gh = gh, .mh = mh };
	}
	for (size_t p = 0; g0 && p < chain->rules[g0->first].n_matches; p++) {
		const struct bf_rule *r0 = &chain->rules[g0->first];
		const struct bf_match *m = &r0->matches[p];

		/* inline hotdrops (not through c->hotdrop_l) cannot be
		 * redirected */
		if (!bf_fold_is_key(g0, p) && bf_fold_can_hotdrop(r0, m) &&
		    m->type == BF_MATCH_L4HDR && !m->u.l4hdr.min_len)
			n_groups = 0;
	}
	if (n_groups < RUN_MIN_GROUPS) {
		free(it);
		return;
	}
	c->run =
		(struct drun){ .on = true, .n = n, .end = bf_label_new(&c->e) };
	c->run.entry = calloc(n, sizeof(*c->run.entry));
	if (!c->run.entry) {
		free(it);
		c->run.on = false;
		bf_emit_fail(&c->e, -ENOMEM);
		return;
	}
	for (size_t k = 0; k < n; k++)
		c->run.entry[k] = bf_label_new(&c->e);
	if (n_blocks && !seg && !f->lbvs_stored) {
		lbvs_call(c, f);
		bf_emit(&c->e, I_STX(BPF_W, BF_FP, BF_R0, LBVS_SLOT));
		f->lbvs_stored = true;
	}
	seq = bf_label_new(&c->e);
	cfail = bf_label_new(&c->e);
	search = bf_label_new(&c->e);
	/* the shape's common matches: failing, no group decides; a hotdrop
	 * (or its prefix keys) is left to the linear order */
	c->hotdrop_l = seq;
	for (size_t p = 0; p < chain->rules[g0->first].n_matches && reach;
	     p++) {
		const struct bf_rule *r0 = &chain->rules[g0->first];

		if (bf_fold_is_key(g0, p))
			continue;
		reach = emit_match(c, r0, &r0->matches[p], cfail);
	}
	c->hotdrop_l = real_drop;
	if (reach) {
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_FP, sh->slot));
		bf_emit(&c->e, I_ALU64_IMM(BPF_RSH, BF_R1, 2));
		if (glo)
			bf_emit(&c->e,
				I_ALU64_IMM(BPF_SUB, BF_R1, (int32_t)glo));
		bf_emit_ja(&c->e, search);
	}
	bf_label_bind(&c->e, cfail);
	bf_emit(&c->e, I_MOV64_IMM(BF_R1, -1));
	bf_label_bind(&c->e, search);
	if (n_blocks) {
		if (seg)
			ld(c, BPF_W, BF_R2, PCTX_OFF(pad));
		else
			bf_emit(&c->e, I_LDX(BPF_W, BF_R2, BF_FP, LBVS_SLOT));
		bf_emit(&c->e, I_ALU64_IMM(BPF_RSH, BF_R2, 1));
		if (mlo)
			bf_emit(&c->e,
				I_ALU64_IMM(BPF_SUB, BF_R2, (int32_t)mlo));
	}
	run_tree(c, it, 0, n);
	bf_label_bind(&c->e, seq);
	free(it);
}

/* Before and after emitting an item of the chain (a group or not). */
static void run_pre(struct cg *c, bool group)
{
	if (!c->run.on)
		return;
	if (group) {
		c->run.group_entry = c->run.entry[c->run.k];
		c->run.group_entry_on = true;
	} else {
		bf_label_bind(&c->e, c->run.entry[c->run.k]);
	}
}

/* At the end of the run, or of the function (then what follows the
 * run is the function's end: the entries left lead there). */
static void run_post(struct cg *c, bool flush)
{
	if (!c->run.on)
		return;
	if (!flush && ++c->run.k < c->run.n)
		return;
	for (size_t k = c->run.k; k < c->run.n; k++)
		bf_label_bind(&c->e, c->run.entry[k]);
	bf_label_bind(&c->e, c->run.end);
	free(c->run.entry);
	c->run = (struct drun){ 0 };
}

/* The caller's pctx.pad, back before a segmented chain returns. */
static void lbvs_restore(struct cg *c, const struct cfn *f)
{
	if (!f->lbvs_stored)
		return;
	bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_FP, LBVS_SAVED));
	bf_emit(&c->e, I_STX(BPF_W, BF_R9, BF_R1, PCTX_OFF(pad)));
}

static int emit_chain(struct cg *c, struct cfn *f, struct bf_program *prog)
{
	const struct bf_chain *chain = f->chain;
	bf_label *segs = NULL, ret;
	size_t n_segs = 0, i = 0, nb;

	size_t g = 0;

	if (!f->segmented) {
		emit_func_head(c, f->label, prog, chain, "chain");
		for (size_t j = 0; j < chain->n_rules; j++) {
			run_start(c, f, g, j, 0, UINT_MAX, false);
			if (g < f->n_groups && f->groups[g].first == j) {
				run_pre(c, true);
				emit_group(c, chain, &f->groups[g],
					   f->groups + f->n_groups, false);
				run_post(c, false);
				j += f->groups[g++].n - 1;
				continue;
			}
			if ((nb = lbvs_block_len(f, j))) {
				run_pre(c, false);
				lbvs_block(c, f, j, nb, false);
				run_post(c, false);
				j += nb - 1;
				continue;
			}
			emit_rule(c, chain, &chain->rules[j], false);
		}
		run_post(c, true);
		emit_chain_end(c, chain);
		emit_func_tail(c);
		lbvs_funcs(c, f, prog);
		return 0;
	}

	/* A long chain: its rules go into segment functions of bounded
	 * size (the verifier keeps at most 8192 pending branches per
	 * function), called in turn by a dispatcher. */
	while (i < chain->n_rules) {
		unsigned int cost = 0;
		bf_label *n = realloc(segs, (n_segs + 1) * sizeof(*n));

		if (!n) {
			free(segs);
			bf_emit_fail(&c->e, -ENOMEM);
			return -ENOMEM;
		}
		segs = n;
		segs[n_segs] = bf_label_new(&c->e);
		emit_func_head(c, segs[n_segs++], prog, chain, "seg");
		do {
			run_start(c, f, g, i, cost, SEG_BUDGET, true);
			if (g < f->n_groups && f->groups[g].first == i) {
				cost += group_cost(chain, &f->groups[g]);
				run_pre(c, true);
				emit_group(c, chain, &f->groups[g],
					   f->groups + f->n_groups, true);
				run_post(c, false);
				i += f->groups[g++].n;
				continue;
			}
			if ((nb = lbvs_block_len(f, i))) {
				if (!f->lbvs_stored) {
					f->lbvs_seg = n_segs - 1;
					f->lbvs_stored = true;
				}
				cost += LBVS_BLOCK_COST;
				run_pre(c, false);
				lbvs_block(c, f, i, nb, true);
				run_post(c, false);
				i += nb;
				continue;
			}
			cost += rule_cost(&chain->rules[i]);
			emit_rule(c, chain, &chain->rules[i], true);
			i++;
		} while (i < chain->n_rules &&
			 cost + item_cost(f, g, i) <= SEG_BUDGET);
		run_post(c, true);
		bf_emit_ret(&c->e, BF_RC_CONTINUE);
		emit_func_tail(c);
	}

	emit_func_head(c, f->label, prog, chain, "chain");
	ret = bf_label_new(&c->e);
	if (f->lbvs_stored) {
		ld(c, BPF_W, BF_R1, PCTX_OFF(pad));
		bf_emit(&c->e, I_STX(BPF_W, BF_FP, BF_R1, LBVS_SAVED));
	}
	for (size_t s = 0; s < n_segs; s++) {
		bf_label next = bf_label_new(&c->e);

		if (f->lbvs_stored && s == f->lbvs_seg) {
			lbvs_call(c, f);
			bf_emit(&c->e, I_STX(BPF_W, BF_FP, BF_R0, LBVS_SLOT));
		}
		if (f->lbvs_stored && s >= f->lbvs_seg) {
			bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_FP, LBVS_SLOT));
			bf_emit(&c->e,
				I_STX(BPF_W, BF_R9, BF_R1, PCTX_OFF(pad)));
		}
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
		bf_emit_call(&c->e, segs[s]);
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_CONTINUE, next);
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_RETURN, ret);
		bf_emit(&c->e, I_EXIT());
		bf_label_bind(&c->e, next);
	}
	lbvs_restore(c, f);
	emit_chain_end(c, chain);
	bf_label_bind(&c->e, ret);
	if (chain->builtin || seg_top(c, chain)) {
		emit_policy(c, chain);
	} else {
		lbvs_restore(c, f);
		emit_chain_end(c, chain);
	}
	emit_func_tail(c);
	lbvs_funcs(c, f, prog);
	free(segs);
	return 0;
}

/* ---- prologue ---- */

/* Direct mode (direct_ok()): the packet pointers, in the dynptr's slot */
#define STK_PKT STK_DYNPTR
#define STK_PKT_END (STK_DYNPTR + 8)

static void kcall(struct cg *c, int id)
{
	bf_emit(&c->e, I_KFUNC(id));
}

static void fp_ptr(struct cg *c, uint8_t dst, int16_t off)
{
	bf_emit(&c->e, I_MOV64_REG(dst, BF_FP));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, dst, off));
}

/* r0 = bpf_dynptr_slice(&dynptr, off_reg (+ off_imm), buf, size);
 * if NULL goto null_l. off_reg < 0: offset is off_imm. */
static void slice(struct cg *c, int off_reg, int32_t off_imm, uint32_t size,
		  bf_label null_l)
{
	if (c->direct) {
		/* r0 = data + off; the bytes must lie before data_end.
		 * Direct mode parses IPv4 only: off <= 14 + 60, and the
		 * verifier wants a bound (off + size <= 0xffff). */
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R0, BF_FP, STK_PKT));
		if (off_reg >= 0) {
			bf_emit(&c->e, I_MOV64_REG(BF_R2, (uint8_t)off_reg));
			if (off_imm)
				bf_emit(&c->e,
					I_ALU64_IMM(BPF_ADD, BF_R2, off_imm));
			bf_emit_jmp_imm(&c->e, BPF_JGT, BF_R2, 0x7fff, null_l);
			bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R0, BF_R2));
		} else if (off_imm) {
			bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R0, off_imm));
		}
		bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R0));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, (int32_t)size));
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R3, BF_FP, STK_PKT_END));
		bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R2, BF_R3, null_l);
		return;
	}
	if (off_reg >= 0) {
		if (off_reg != BF_R2)
			bf_emit(&c->e, I_MOV64_REG(BF_R2, (uint8_t)off_reg));
		if (off_imm)
			bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, off_imm));
	} else {
		bf_emit(&c->e, I_MOV64_IMM(BF_R2, off_imm));
	}
	fp_ptr(c, BF_R1, STK_DYNPTR);
	fp_ptr(c, BF_R3, STK_BUF);
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, (int32_t)size));
	kcall(c, c->kf_slice);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, null_l);
}

static void st_pctx(struct cg *c, int size, int16_t off, uint8_t src)
{
	bf_emit(&c->e, I_STX(size, BF_R9, src, off));
}

/* Read the first bytes of the transport header (ports, TCP flags, ICMP
 * type and code) when they are within the L3 packet. */
static void parse_l4(struct cg *c, int32_t l3off)
{
	bf_label done = bf_label_new(&c->e), small = bf_label_new(&c->e);
	bf_label common = bf_label_new(&c->e);

	ld(c, BPF_W, BF_R6, PCTX_OFF(avail));
	bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R6, 4, done);
	ld(c, BPF_W, BF_R7, PCTX_OFF(thoff));
	bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R6, 14, small);
	slice(c, BF_R7, l3off, 14, done);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 13));
	st_pctx(c, BPF_B, PCTX_OFF(tcpflags), BF_R1);
	bf_emit_ja(&c->e, common);
	bf_label_bind(&c->e, small);
	slice(c, BF_R7, l3off, 4, done);
	bf_label_bind(&c->e, common);
	bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 0));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	st_pctx(c, BPF_H, PCTX_OFF(sport), BF_R1);
	bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 2));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	st_pctx(c, BPF_H, PCTX_OFF(dport), BF_R1);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 0));
	st_pctx(c, BPF_B, PCTX_OFF(icmp_type), BF_R1);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 1));
	st_pctx(c, BPF_B, PCTX_OFF(icmp_code), BF_R1);
	bf_label_bind(&c->e, done);
}

/* The transport bytes nft's payload loads read (pctx.nft_*, see pctx.h
 * and m_nftbreak.c), for programs with nft evaluation matches: at
 * nft_thoff() (IPv4: the header length; IPv6: the walk's offset, the AH
 * header where nft's walk stops, 0 for a non-first fragment), as far as
 * the packet goes; nothing without an L4 protocol (IPv6 walk error). */
static void parse_nft_view(struct cg *c, int32_t l3off, bool v6)
{
	bf_label done = bf_label_new(&c->e), go = bf_label_new(&c->e);
	bf_label b4 = bf_label_new(&c->e), b2 = bf_label_new(&c->e);
	bf_label b1 = bf_label_new(&c->e), words = bf_label_new(&c->e);
	bf_label b1b = bf_label_new(&c->e);

	if (!c->nft_on)
		return;
	ld(c, BPF_W, BF_R7, PCTX_OFF(thoff));
	ld(c, BPF_W, BF_R6, PCTX_OFF(avail));
	if (v6) {
		bf_label walked = bf_label_new(&c->e);

		/* nft's walk stopped at AH: its transport offset */
		ld(c, BPF_B, BF_R1, PCTX_OFF(nft_ah));
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0, walked);
		ld(c, BPF_H, BF_R7, PCTX_OFF(nft_ah_off));
		ld(c, BPF_W, BF_R6, PCTX_OFF(len));
		bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R7, BF_R6, done);
		bf_emit(&c->e, I_ALU64_REG(BPF_SUB, BF_R6, BF_R7));
		bf_emit_ja(&c->e, go);
		bf_label_bind(&c->e, walked);
		ld(c, BPF_B, BF_R1, PCTX_OFF(l6err));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, done);
		ld(c, BPF_H, BF_R1, PCTX_OFF(fragoff));
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0, go);
		bf_emit(&c->e, I_MOV64_IMM(BF_R7, 0));
		ld(c, BPF_W, BF_R6, PCTX_OFF(len));
	}
	bf_label_bind(&c->e, go);
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, 0, done);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R6));
	bf_emit_jmp32_imm(&c->e, BPF_JLE, BF_R1, 0xffff, b4);
	bf_emit(&c->e, I_MOV64_IMM(BF_R1, 0xffff));
	bf_label_bind(&c->e, b4);
	st_pctx(c, BPF_H, PCTX_OFF(nft_avail), BF_R1);
	bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R6, 14, b2);
	slice(c, BF_R7, l3off, 14, done);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 13));
	st_pctx(c, BPF_B, PCTX_OFF(nft_flags), BF_R1);
	bf_emit_ja(&c->e, words);
	bf_label_bind(&c->e, b2);
	bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R6, 4, b1);
	slice(c, BF_R7, l3off, 4, done);
	bf_label_bind(&c->e, words);
	bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 2));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	st_pctx(c, BPF_H, PCTX_OFF(nft_dport), BF_R1);
	bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 0));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	st_pctx(c, BPF_H, PCTX_OFF(nft_sport), BF_R1);
	bf_emit_ja(&c->e, done);
	/* 1 to 3 bytes: the first word, or its first byte */
	bf_label_bind(&c->e, b1);
	bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R6, 2, b1b);
	slice(c, BF_R7, l3off, 2, done);
	bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 0));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	st_pctx(c, BPF_H, PCTX_OFF(nft_sport), BF_R1);
	bf_emit_ja(&c->e, done);
	bf_label_bind(&c->e, b1b);
	slice(c, BF_R7, l3off, 1, done);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 0));
	bf_emit(&c->e, I_ALU32_IMM(BPF_LSH, BF_R1, 8));
	st_pctx(c, BPF_H, PCTX_OFF(nft_sport), BF_R1);
	bf_label_bind(&c->e, done);
}

/* avail = len - thoff, or 0 if thoff is past the end (r8 = len, reg =
 * thoff). */
static void store_avail(struct cg *c, uint8_t thoff_reg)
{
	bf_label skip = bf_label_new(&c->e);

	bf_emit_jmp_reg(&c->e, BPF_JGT, thoff_reg, BF_R8, skip);
	bf_emit(&c->e, I_MOV64_REG(BF_R3, BF_R8));
	bf_emit(&c->e, I_ALU64_REG(BPF_SUB, BF_R3, thoff_reg));
	st_pctx(c, BPF_W, PCTX_OFF(avail), BF_R3);
	bf_label_bind(&c->e, skip);
}

/* IPv4 header at l3off; r8 = bytes from l3off to the end of the frame.
 * Malformed headers (which the stack would drop before iptables sees
 * them) jump to `bad`. */
/* Where a check of the frame length (r8) sends a frame too short: `bad`,
 * except at XDP in direct mode, where r8 is the linear length
 * data_end - data (direct_start()): a multi-buffer frame may be longer,
 * so it goes to the dynptr path, which checks the whole length. */
static bf_label short_l(const struct cg *c, bf_label bad)
{
	return c->direct && c->attach == BF_ATTACH_XDP ? c->direct_slow : bad;
}

static void parse_v4(struct cg *c, int32_t l3off, bf_label bad)
{
	bool trim = c->attach != BF_ATTACH_NF;
	bf_label l4 = bf_label_new(&c->e), frag = bf_label_new(&c->e);

	bf_emit_jmp_imm(&c->e, BPF_JLT, BF_R8, 20, short_l(c, bad));
	slice(c, -1, l3off, 20, short_l(c, bad));
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 0));
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R1));
	bf_emit(&c->e, I_ALU32_IMM(BPF_RSH, BF_R2, 4));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R2, 4, bad);
	bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1, 0xf));
	bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R1, 5, bad);
	bf_emit(&c->e, I_ALU32_IMM(BPF_LSH, BF_R1, 2));
	if (trim) {
		/* ip_rcv_core(): tot_len within the frame and covering
		 * the header; the packet is trimmed to tot_len. */
		bf_emit(&c->e, I_LDX(BPF_H, BF_R2, BF_R0, 2));
		bf_emit(&c->e, I_BE(BF_R2, 16));
		bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R2, BF_R8, short_l(c, bad));
		bf_emit_jmp_reg(&c->e, BPF_JLT, BF_R2, BF_R1, bad);
		bf_emit(&c->e, I_MOV64_REG(BF_R8, BF_R2));
	}
	st_pctx(c, BPF_W, PCTX_OFF(len), BF_R8);
	st_pctx(c, BPF_W, PCTX_OFF(thoff), BF_R1);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R2, BF_R0, 9));
	st_pctx(c, BPF_B, PCTX_OFF(l4proto), BF_R2);
	bf_emit(&c->e, I_LDX(BPF_W, BF_R2, BF_R0, 12));
	st_pctx(c, BPF_W, PCTX_OFF(saddr), BF_R2);
	bf_emit(&c->e, I_LDX(BPF_W, BF_R2, BF_R0, 16));
	st_pctx(c, BPF_W, PCTX_OFF(daddr), BF_R2);
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 4));
	st_pctx(c, BPF_B, PCTX_OFF(family), BF_R2);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R2, BF_R0, 8));
	st_pctx(c, BPF_B, PCTX_OFF(ttl), BF_R2);
	if (c->need_dsfield) {
		/* ipv4_get_dsfield(): the TOS byte */
		bf_emit(&c->e, I_LDX(BPF_B, BF_R2, BF_R0, 1));
		st_pctx(c, BPF_B, PCTX_OFF(dsfield), BF_R2);
	}
	bf_emit(&c->e, I_LDX(BPF_H, BF_R2, BF_R0, 2));
	bf_emit(&c->e, I_BE(BF_R2, 16));
	st_pctx(c, BPF_H, PCTX_OFF(iplen), BF_R2);
	/* fragoff = ntohs(frag_off) & IP_OFFSET */
	bf_emit(&c->e, I_LDX(BPF_H, BF_R6, BF_R0, 6));
	bf_emit(&c->e, I_BE(BF_R6, 16));
	bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R6, 0x1fff));
	st_pctx(c, BPF_H, PCTX_OFF(fragoff), BF_R6);
	store_avail(c, BF_R1);
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R6, 0, c->need_ecn ? frag : l4);
	ld(c, BPF_W, BF_R1, PCTX_OFF(avail));
	st_pctx(c, BPF_W, PCTX_OFF(l4gate), BF_R1);
	parse_l4(c, l3off);
	if (c->need_ecn) {
		/* ecn_mt4()'s match_tcp() reads a TCP header at ihl * 4
		 * also in a non-first fragment (m_ecn.h): its byte 13 when
		 * 20 bytes are there. No other reader of tcpflags looks at
		 * a non-first fragment (they test l4gate or fragoff). */
		bf_emit_ja(&c->e, l4);
		bf_label_bind(&c->e, frag);
		ld(c, BPF_W, BF_R1, PCTX_OFF(avail));
		bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R1, 20, l4);
		ld(c, BPF_W, BF_R7, PCTX_OFF(thoff));
		slice(c, BF_R7, l3off, 14, l4);
		bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 13));
		st_pctx(c, BPF_B, PCTX_OFF(tcpflags), BF_R1);
	}
	bf_label_bind(&c->e, l4);
	parse_nft_view(c, l3off, false);
}

static bool is_v6_ext(int nh)
{
	/* ipv6_ext_hdr() */
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 59 ||
	       nh == 60;
}

/* The walk's state between bpf_loop() calls (next header; its offset, a
 * u32), in scratch bytes that the walk's slices (4 bytes at most) leave
 * alone, at stack offsets that are not 8-aligned: the verifier keeps no
 * bounds across calls there, so its check of the callback converges at
 * once. */
#define V6WALK_OFF ((int16_t)(PCTX_OFF(scratch) + 4))
#define V6WALK_NH ((int16_t)(PCTX_OFF(scratch) + 9))
_Static_assert((STK_PCTX + offsetof(struct bf_pctx, scratch) + 4) % 8 &&
		       (STK_PCTX + offsetof(struct bf_pctx, scratch) + 9) % 8,
	       "walk state slots not 8-aligned");

/* r0 = bpf_dynptr_slice(&dynptr, r7 + l3off, scratch, size) with the
 * dynptr and the scratch buffer addressed from r9 (the packet context, in
 * the main function's stack): the same code serves the main function and
 * the walk callback, whose r9 points into the main function's frame. */
static void slice_pctx(struct cg *c, int32_t l3off, uint32_t size,
		       bf_label null_l)
{
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R7));
	if (l3off)
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, l3off));
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, STK_DYNPTR - STK_PCTX));
	bf_emit(&c->e, I_MOV64_REG(BF_R3, BF_R9));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R3, PCTX_OFF(scratch)));
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, (int32_t)size));
	kcall(c, c->kf_slice);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, null_l);
}

/* Read the {nexthdr, hdrlen} pair of the extension header at offset r7
 * (bounded by r8, else `err`) into r6 (next header) and r1 = (hdrlen +
 * add) << shift bytes, then go to `adv`: ipv6_optlen() is add 1, shift 3,
 * ipv6_authlen() add 2, shift 2. */
static void emit_v6_hdrlen(struct cg *c, int32_t l3off, int32_t add,
			   int32_t shift, bf_label adv, bf_label err)
{
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, 2));
	bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R1, BF_R8, err);
	slice_pctx(c, l3off, 2, err);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R6, BF_R0, 0));
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 1));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, add));
	bf_emit(&c->e, I_ALU64_IMM(BPF_LSH, BF_R1, shift));
	bf_emit_ja(&c->e, adv);
}

/* One step of ipv6_find_hdr()'s loop. In: r6 = next header, r7 = its
 * offset from the L3 header, r8 = L3 length, r9 = packet context. A
 * header that ends the walk (not an extension header, or NONE) goes to
 * `found`; a header that cannot be read to `err`; a non-first fragment
 * stores fragoff, l4proto and thoff and goes to `frag_done`. Otherwise it
 * falls through with r6, r7 = the following header and its offset. */
static void v6_step(struct cg *c, int32_t l3off, bf_label found, bf_label err,
		    bf_label frag_done)
{
	bf_label opt = bf_label_new(&c->e), auth = bf_label_new(&c->e);
	bf_label frag = bf_label_new(&c->e), adv = bf_label_new(&c->e);
	bf_label first = bf_label_new(&c->e), rt = bf_label_new(&c->e);
	bf_label ah_seen = bf_label_new(&c->e);

	bf_label hop = c->xh.walk ? bf_label_new(&c->e) : opt;
	bf_label dst = c->xh.walk ? bf_label_new(&c->e) : opt;

	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, 0, hop);
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, 43, rt);
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, 60, dst);
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, 51, auth);
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, 44, frag);
	/* not an extension header, or NONE (59): the protocol */
	bf_emit_ja(&c->e, found);

	/* -m hbh / -m dst (m_exthdr.h): the first of each, once its
	 * 2 bytes are in the packet */
	for (int k = 0; c->xh.walk && k < 2; k++) {
		bf_label_bind(&c->e, k ? dst : hop);
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, 2));
		bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R1, BF_R8, err);
		bf_xh_walk_hdr(&c->xh, &c->e, k ? 60 : 0);
		bf_emit_ja(&c->e, opt);
	}

	/* hop-by-hop, destination options: ipv6_optlen() =
	 * (hdrlen + 1) * 8. A routing header is read as a
	 * struct ipv6_rt_hdr (4 bytes) first. */
	bf_label_bind(&c->e, rt);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, 4));
	bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R1, BF_R8, err);
	bf_mx_v6_rt(&c->mx, &c->e);
	bf_label_bind(&c->e, opt);
	emit_v6_hdrlen(c, l3off, 1, 3, adv, err);

	/* AH: ipv6_authlen() = (hdrlen + 2) * 4. nft's walk
	 * (IP6_FH_F_AUTH) ends here once the header can be read. */
	bf_label_bind(&c->e, auth);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, 2));
	bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R1, BF_R8, err);
	ld(c, BPF_B, BF_R1, PCTX_OFF(nft_ah));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, ah_seen);
	bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
	st_pctx(c, BPF_B, PCTX_OFF(nft_ah), BF_R1);
	st_pctx(c, BPF_H, PCTX_OFF(nft_ah_off), BF_R7);
	bf_label_bind(&c->e, ah_seen);
	emit_v6_hdrlen(c, l3off, 2, 2, adv, err);

	/* fragment header: a non-first fragment ends the walk with its
	 * next header if that is not an extension header (else -ENOENT);
	 * a first fragment is 8 bytes. */
	bf_label_bind(&c->e, frag);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, 4));
	bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R1, BF_R8, err);
	bf_xh_walk_hdr(&c->xh, &c->e, 44);
	slice_pctx(c, l3off, 4, err);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R6, BF_R0, 0));
	bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 2));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1, 0xfff8));
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0, first);
	bf_mx_v6_frag(&c->mx, &c->e);
	bf_xh_walk_nonfirst(&c->xh, &c->e);
	for (int nh = 0; nh < 256; nh++) {
		if (is_v6_ext(nh) && nh != 59)
			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, nh, err);
	}
	st_pctx(c, BPF_H, PCTX_OFF(fragoff), BF_R1);
	st_pctx(c, BPF_B, PCTX_OFF(l4proto), BF_R6);
	st_pctx(c, BPF_W, PCTX_OFF(thoff), BF_R7);
	bf_emit_ja(&c->e, frag_done);
	bf_label_bind(&c->e, first);
	bf_emit(&c->e, I_MOV64_IMM(BF_R1, 8));

	bf_label_bind(&c->e, adv);
	bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R7, BF_R1));
}

/* IPv6 header at l3off, then the extension header walk of
 * ipv6_find_hdr(skb, &off, -1, &fragoff, NULL): unrolled for the first
 * V6_UNROLLED_EXTHDRS headers, then in walk_v6_cb() (bpf_loop()). */
static void parse_v6(struct cg *c, int32_t l3off, bf_label bad)
{
	bool trim = c->attach != BF_ATTACH_NF;
	bf_label err = bf_label_new(&c->e), found = bf_label_new(&c->e);
	bf_label done = bf_label_new(&c->e), more = bf_label_new(&c->e);

	bf_emit_jmp_imm(&c->e, BPF_JLT, BF_R8, 40, bad);
	slice(c, -1, l3off, 40, bad);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R0, 0));
	bf_emit(&c->e, I_ALU32_IMM(BPF_RSH, BF_R1, 4));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 6, bad);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R3, BF_R0, 6));
	st_pctx(c, BPF_B, PCTX_OFF(nexthdr6), BF_R3);
	if (trim) {
		/* ipv6_rcv(): payload within the frame; jumbograms
		 * (payload length 0 with hop-by-hop) are left to the
		 * stack. */
		bf_label nojumbo = bf_label_new(&c->e);

		bf_emit(&c->e, I_LDX(BPF_H, BF_R2, BF_R0, 4));
		bf_emit(&c->e, I_BE(BF_R2, 16));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R2, 0, nojumbo);
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R3, 0, bad);
		bf_label_bind(&c->e, nojumbo);
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R2, 40));
		bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R2, BF_R8, bad);
		bf_emit(&c->e, I_MOV64_REG(BF_R8, BF_R2));
	}
	st_pctx(c, BPF_W, PCTX_OFF(len), BF_R8);
	for (int i = 0; i < 2; i++) {
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_R0, 8 + 8 * i));
		st_pctx(c, BPF_DW, (int16_t)(PCTX_OFF(saddr) + 8 * i), BF_R1);
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_R0, 24 + 8 * i));
		st_pctx(c, BPF_DW, (int16_t)(PCTX_OFF(daddr) + 8 * i), BF_R1);
	}
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 6));
	st_pctx(c, BPF_B, PCTX_OFF(family), BF_R2);
	bf_emit(&c->e, I_LDX(BPF_B, BF_R2, BF_R0, 7));
	st_pctx(c, BPF_B, PCTX_OFF(ttl), BF_R2);
	if (c->need_dsfield) {
		/* ipv6_get_dsfield(): bits 4-11 of the first 16 */
		bf_emit(&c->e, I_LDX(BPF_H, BF_R2, BF_R0, 0));
		bf_emit(&c->e, I_BE(BF_R2, 16));
		bf_emit(&c->e, I_ALU32_IMM(BPF_RSH, BF_R2, 4));
		st_pctx(c, BPF_B, PCTX_OFF(dsfield), BF_R2);
	}
	bf_emit(&c->e, I_LDX(BPF_H, BF_R2, BF_R0, 4));
	bf_emit(&c->e, I_BE(BF_R2, 16));
	bf_emit(&c->e, I_ALU32_IMM(BPF_ADD, BF_R2, 40));
	st_pctx(c, BPF_H, PCTX_OFF(iplen), BF_R2);
	/* Walk state lives in narrow, unaligned stack slots so that the
	 * verifier sees unknown values at each step and prunes the
	 * unrolled iterations. */
	bf_emit(&c->e, I_STX(BPF_B, BF_FP, BF_R3, STK_WALK_NH));
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 40));
	bf_emit(&c->e, I_STX(BPF_H, BF_FP, BF_R2, STK_WALK_OFF));
	bf_xh_walk_start(&c->xh, &c->e);
	for (int k = 0; k < V6_UNROLLED_EXTHDRS; k++) {
		bf_emit(&c->e, I_LDX(BPF_B, BF_R6, BF_FP, STK_WALK_NH));
		bf_emit(&c->e, I_LDX(BPF_H, BF_R7, BF_FP, STK_WALK_OFF));
		v6_step(c, l3off, found, err, done);
		/* 16 headers of at most 2,048 bytes: the offset fits */
		bf_emit(&c->e, I_STX(BPF_H, BF_FP, BF_R7, STK_WALK_OFF));
		bf_emit(&c->e, I_STX(BPF_B, BF_FP, BF_R6, STK_WALK_NH));
	}
	bf_emit(&c->e, I_LDX(BPF_B, BF_R6, BF_FP, STK_WALK_NH));
	bf_emit(&c->e, I_LDX(BPF_H, BF_R7, BF_FP, STK_WALK_OFF));
	for (int nh = 0; nh < 256; nh++) {
		if (is_v6_ext(nh) && nh != 59)
			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, nh, more);
	}
	bf_emit_ja(&c->e, found);

	/* A longer chain: the walk goes on in emit_v6walk()'s callback,
	 * called by bpf_loop() until the walk ends. Every step consumes at
	 * least 8 bytes and needs 2 of them within the packet, so
	 * len / 8 + 2 calls always suffice: the packet bounds the chain,
	 * as in ipv6_find_hdr(), which has no count limit. */
	bf_label_bind(&c->e, more);
	if (!c->v6walk_on) {
		c->v6walk_on = true;
		c->v6walk = bf_label_new(&c->e);
		c->v6walk_l3off = l3off;
	}
	st_pctx(c, BPF_B, V6WALK_NH, BF_R6);
	st_pctx(c, BPF_W, V6WALK_OFF, BF_R7);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R8));
	bf_emit(&c->e, I_ALU64_IMM(BPF_RSH, BF_R1, 3));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, 2));
	bf_emit_ld_func(&c->e, BF_R2, c->v6walk);
	bf_emit(&c->e, I_MOV64_REG(BF_R3, BF_R9));
	bf_emit(&c->e, I_MOV64_IMM(BF_R4, 0));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_loop));
	/* the callback set l6err, or fragoff for a non-first fragment
	 * (with l4proto and thoff), or left the protocol in its state */
	ld(c, BPF_B, BF_R1, PCTX_OFF(l6err));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, done);
	ld(c, BPF_H, BF_R1, PCTX_OFF(fragoff));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, done);
	ld(c, BPF_B, BF_R6, V6WALK_NH);
	ld(c, BPF_W, BF_R7, V6WALK_OFF);
	/* still an extension header: bpf_loop() ran out (cannot happen,
	 * see above) */
	for (int nh = 0; nh < 256; nh++) {
		if (is_v6_ext(nh) && nh != 59)
			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, nh, err);
	}
	bf_emit_ja(&c->e, found);

	bf_label_bind(&c->e, err);
	bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
	st_pctx(c, BPF_B, PCTX_OFF(l6err), BF_R1);
	bf_emit_ja(&c->e, done);

	bf_label_bind(&c->e, found);
	st_pctx(c, BPF_B, PCTX_OFF(l4proto), BF_R6);
	st_pctx(c, BPF_W, PCTX_OFF(thoff), BF_R7);
	store_avail(c, BF_R7);
	ld(c, BPF_W, BF_R1, PCTX_OFF(avail));
	st_pctx(c, BPF_W, PCTX_OFF(l4gate), BF_R1);
	parse_l4(c, l3off);
	bf_label_bind(&c->e, done);
	parse_nft_view(c, l3off, true);
}

/* The bpf_loop() callback that goes on with the IPv6 extension header walk
 * after the unrolled steps: int bf_v6walk(u32 index, struct bf_pctx *p), a
 * static subprogram. p points into the main function's stack, where the
 * dynptr also lives. One header per call; returns 0 to be called again, 1
 * when the walk ended (pctx.l6err set on error; pctx.fragoff, l4proto and
 * thoff set for a non-first fragment; else the state slots hold the
 * protocol and its offset). */
static void emit_v6walk(struct cg *c, struct bf_program *prog)
{
	bf_label err = bf_label_new(&c->e), stop = bf_label_new(&c->e);
	struct bf_func *fn;

	if (!c->v6walk_on || !bf_label_refs(&c->e, c->v6walk) || c->e.err)
		return;
	if (prog->n_funcs == c->cap_funcs) {
		bf_emit_fail(&c->e, -ENOMEM); /* cap_funcs > 1: cannot be */
		return;
	}
	fn = &prog->funcs[prog->n_funcs++];
	memset(fn, 0, sizeof(*fn));
	bf_label_bind_entry(&c->e, c->v6walk);
	fn->insn_off = bf_emit_pos(&c->e);
	snprintf(fn->name, sizeof(fn->name), "bf_v6walk");
	bf_emit(&c->e, I_MOV64_REG(BF_R9, BF_R2));
	ld(c, BPF_B, BF_R6, V6WALK_NH);
	ld(c, BPF_W, BF_R7, V6WALK_OFF);
	ld(c, BPF_W, BF_R8, PCTX_OFF(len));
	v6_step(c, c->v6walk_l3off, stop, err, stop);
	st_pctx(c, BPF_W, V6WALK_OFF, BF_R7);
	st_pctx(c, BPF_B, V6WALK_NH, BF_R6);
	bf_emit_ret(&c->e, 0);
	bf_label_bind(&c->e, err);
	bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
	st_pctx(c, BPF_B, PCTX_OFF(l6err), BF_R1);
	bf_label_bind(&c->e, stop);
	bf_emit_ret(&c->e, 1);
}

/* REJECT's checksum callback (t_reject.c) as a function of its own. */
static void emit_reject_cb(struct cg *c, struct bf_program *prog)
{
	struct bf_func *fn;

	if (!c->reject_cb_on || !bf_label_refs(&c->e, c->reject_cb) || c->e.err)
		return;
	if (prog->n_funcs == c->cap_funcs) {
		bf_emit_fail(&c->e, -ENOMEM); /* cap_funcs > 2: cannot be */
		return;
	}
	fn = &prog->funcs[prog->n_funcs++];
	memset(fn, 0, sizeof(*fn));
	bf_label_bind_entry(&c->e, c->reject_cb);
	fn->insn_off = bf_emit_pos(&c->e);
	snprintf(fn->name, sizeof(fn->name), "bf_rejsum");
	bf_cgen_reject_csum_cb(&c->e);
}

/* Netfilter-only context: conntrack state and interface names. */
static void parse_nf_meta(struct cg *c)
{
	bf_label tracked = bf_label_new(&c->e), store = bf_label_new(&c->e);
	bf_label untracked = bf_label_new(&c->e);

	if (c->log_on && c->hook != BF_HOOK_OUTPUT)
		emit_log_mac_nf(c);

	/* nf_ct_get(): ct = _nfct & ~7, ctinfo = _nfct & 7.
	 * XT_CONNTRACK_STATE_BIT(ctinfo) = 1 << (ctinfo % 3 + 1);
	 * no ct: UNTRACKED if ctinfo == IP_CT_UNTRACKED (7), else
	 * INVALID. */
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_R7, (int16_t)c->off_skb_nfct));
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R1));
	bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R2, 7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R1, -8));
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R1, 0, tracked);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R2, 7, untracked);
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, BF_CTSTATE_INVALID));
	bf_emit_ja(&c->e, store);
	bf_label_bind(&c->e, untracked);
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, BF_CTSTATE_UNTRACKED));
	bf_emit_ja(&c->e, store);
	bf_label_bind(&c->e, tracked);
	if (c->need_ctmark) {
		/* connmark_mt(): ct->mark of nf_ct_get()'s ct. _nfct is a
		 * plain integer for the verifier: read through
		 * bpf_probe_read_kernel(), ctinfo parked in pctx. */
		bf_label skip = bf_label_new(&c->e);

		st_pctx(c, BPF_W, PCTX_OFF(ctstate), BF_R2);
		bf_emit(&c->e, I_MOV64_REG(BF_R3, BF_R1));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R3, c->off_ct_mark));
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, PCTX_OFF(ctmark)));
		bf_emit(&c->e, I_MOV64_IMM(BF_R2, 4));
		bf_emit(&c->e, I_HELPER(BPF_FUNC_probe_read_kernel));
		bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R0, 0, skip);
		bf_emit(&c->e, I_MOV64_IMM(BF_R3, 1));
		st_pctx(c, BPF_B, PCTX_OFF(ct_ok), BF_R3);
		bf_label_bind(&c->e, skip);
		ld(c, BPF_W, BF_R2, PCTX_OFF(ctstate));
	}
	bf_emit(&c->e, I_ALU32_IMM(BPF_MOD, BF_R2, 3));
	bf_emit(&c->e, I_ALU32_IMM(BPF_ADD, BF_R2, 1));
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, 1));
	bf_emit(&c->e, I_ALU32_REG(BPF_LSH, BF_R3, BF_R2));
	bf_label_bind(&c->e, store);
	st_pctx(c, BPF_W, PCTX_OFF(ctstate), BF_R3);

	if (c->need_mark) {
		bf_emit(&c->e,
			I_LDX(BPF_W, BF_R1, BF_R7, (int16_t)c->off_skb_mark));
		st_pctx(c, BPF_W, PCTX_OFF(mark), BF_R1);
	}
	if (c->need_pkttype) {
		/* the pkt_type bitfield (little-endian bit order) */
		bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R7,
				     (int16_t)(c->pkttype_bit / 8)));
		if (c->pkttype_bit % 8)
			bf_emit(&c->e,
				I_ALU32_IMM(BPF_RSH, BF_R1,
					    (int32_t)(c->pkttype_bit % 8)));
		if (c->pkttype_bits)
			bf_emit(&c->e,
				I_ALU32_IMM(BPF_AND, BF_R1,
					    (int32_t)((1u << c->pkttype_bits) -
						      1)));
		st_pctx(c, BPF_B, PCTX_OFF(pkttype), BF_R1);
	}
	if (c->need_mac && c->hook != BF_HOOK_OUTPUT) {
		/* mac_mt(): an Ethernet device, and a MAC header that lies
		 * between skb->head and skb->data */
		bf_label nomac = bf_label_new(&c->e);

		bf_nf_ctx_ptr(&c->e, BF_R1, "skb"); /* untrusted: nfbtf.h */
		bf_emit(&c->e,
			I_LDX(BPF_DW, BF_R1, BF_R1, (int16_t)c->off_skb_dev));
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R1, 0, nomac);
		bf_emit(&c->e,
			I_LDX(BPF_H, BF_R1, BF_R1, (int16_t)c->off_dev_type));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 1 /* ARPHRD_ETHER */,
				  nomac);
		bf_emit(&c->e, I_LDX(BPF_H, BF_R2, BF_R7,
				     (int16_t)c->off_skb_mac_header));
		bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R2, 0xffff, nomac);
		bf_emit(&c->e,
			I_LDX(BPF_DW, BF_R3, BF_R7, (int16_t)c->off_skb_head));
		bf_emit(&c->e,
			I_LDX(BPF_DW, BF_R4, BF_R7, (int16_t)c->off_skb_data));
		bf_emit(&c->e, I_ALU64_REG(BPF_SUB, BF_R4, BF_R3));
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R2));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, ETH_HLEN_));
		bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R1, BF_R4, nomac);
		/* bpf_probe_read_kernel(&pctx->smac, 6, head + mac + 6) */
		bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R2));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R3, 6));
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
		bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, PCTX_OFF(smac)));
		bf_emit(&c->e, I_MOV64_IMM(BF_R2, 6));
		bf_emit(&c->e, I_HELPER(BPF_FUNC_probe_read_kernel));
		bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R0, 0, nomac);
		bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
		st_pctx(c, BPF_B, PCTX_OFF(smac_ok), BF_R1);
		bf_label_bind(&c->e, nomac);
	}
	if (c->need_eth && c->hook != BF_HOOK_OUTPUT)
		bf_ether_nf(&c->e, c->off_skb_dev, c->off_dev_type,
			    c->off_skb_head, c->off_skb_data,
			    c->off_skb_mac_header);

	bf_mx_nf_meta(&c->mx, &c->e);
	if (c->need_ifindex)
		bf_nftm_nf_ifindex(&c->e, c->off_ctx_state, c->off_state_in,
				   c->off_state_out, c->off_dev_ifindex);

	/* state->in->name, state->out->name; a missing device reads as
	 * zeros (BTF pointer loads of NULL yield 0). The state pointer is
	 * untrusted: no verifier trust search (cgen/nfbtf.h). */
	bf_nf_ctx_ptr(&c->e, BF_R4, "state");
	for (int dir = 0; dir < 2; dir++) {
		int16_t poff =
			(int16_t)(dir ? c->off_state_out : c->off_state_in);
		int16_t dst = dir ? PCTX_OFF(oif) : PCTX_OFF(iif);

		bf_emit(&c->e, I_LDX(BPF_DW, BF_R2, BF_R4, poff));
		for (int i = 0; i < 2; i++) {
			bf_emit(&c->e,
				I_LDX(BPF_DW, BF_R3, BF_R2,
				      (int16_t)(c->off_dev_name + 8 * i)));
			st_pctx(c, BPF_DW, (int16_t)(dst + 8 * i), BF_R3);
		}
	}
}

/* tc/XDP: the conntrack state of the packet from the conntrack table, as
 * resolve_normal_ct() (net/netfilter/nf_conntrack_core.c) would set
 * ctinfo for an existing entry: reply direction -> ESTABLISHED; original
 * direction: seen reply -> ESTABLISHED, expected -> RELATED, else NEW.
 * No entry, and packets the lookup cannot key (not TCP/UDP, fragments,
 * short headers) -> NEW. See doc/codegen.md for what this approximates. */
static void ct_lookup(struct cg *c, enum bf_family family)
{
	bool v6 = family == BF_FAMILY_INET6;
	bf_label done = bf_label_new(&c->e), key = bf_label_new(&c->e);
	bf_label store = bf_label_new(&c->e);
	int16_t t = STK_TUPLE;

	bf_emit(&c->e, I_MOV64_IMM(BF_R1, BF_CTSTATE_NEW));
	st_pctx(c, BPF_W, PCTX_OFF(ctstate), BF_R1);
	ld(c, BPF_B, BF_R6, PCTX_OFF(l4proto));
	bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R6, 6, key);
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R6, 17, done);
	bf_label_bind(&c->e, key);
	ld(c, BPF_H, BF_R1, PCTX_OFF(fragoff));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, done);
	ld(c, BPF_B, BF_R1, PCTX_OFF(l6err));
	bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 0, done);
	ld(c, BPF_W, BF_R1, PCTX_OFF(avail));
	bf_emit_jmp32_imm(&c->e, BPF_JLT, BF_R1, 4, done);

	/* struct bpf_sock_tuple: addresses and ports in network order */
	if (v6) {
		for (int i = 0; i < 2; i++) {
			ld(c, BPF_DW, BF_R1,
			   (int16_t)(PCTX_OFF(saddr) + 8 * i));
			bf_emit(&c->e, I_STX(BPF_DW, BF_FP, BF_R1,
					     (int16_t)(t + 8 * i)));
			ld(c, BPF_DW, BF_R1,
			   (int16_t)(PCTX_OFF(daddr) + 8 * i));
			bf_emit(&c->e, I_STX(BPF_DW, BF_FP, BF_R1,
					     (int16_t)(t + 16 + 8 * i)));
		}
	} else {
		ld(c, BPF_W, BF_R1, PCTX_OFF(saddr));
		bf_emit(&c->e, I_STX(BPF_W, BF_FP, BF_R1, t));
		ld(c, BPF_W, BF_R1, PCTX_OFF(daddr));
		bf_emit(&c->e, I_STX(BPF_W, BF_FP, BF_R1, (int16_t)(t + 4)));
	}
	ld(c, BPF_H, BF_R1, PCTX_OFF(sport));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	bf_emit(&c->e,
		I_STX(BPF_H, BF_FP, BF_R1, (int16_t)(t + (v6 ? 32 : 8))));
	ld(c, BPF_H, BF_R1, PCTX_OFF(dport));
	bf_emit(&c->e, I_BE(BF_R1, 16));
	bf_emit(&c->e,
		I_STX(BPF_H, BF_FP, BF_R1, (int16_t)(t + (v6 ? 34 : 10))));

	/* struct bpf_ct_opts: netns_id = BPF_F_CURRENT_NETNS, l4proto */
	bf_emit(&c->e, I_ST(BPF_W, BF_FP, STK_CTOPTS, -1));
	bf_emit(&c->e, I_ST(BPF_W, BF_FP, STK_CTOPTS + 4, 0));
	bf_emit(&c->e, I_ST(BPF_DW, BF_FP, STK_CTOPTS + 8, 0));
	bf_emit(&c->e, I_STX(BPF_B, BF_FP, BF_R6, STK_CTOPTS + 8));

	bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_FP, STK_CTX));
	fp_ptr(c, BF_R2, STK_TUPLE);
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, v6 ? 36 : 12));
	fp_ptr(c, BF_R4, STK_CTOPTS);
	bf_emit(&c->e, I_MOV64_IMM(BF_R5, 16));
	kcall(c, c->kf_ct_lookup);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, done);
	bf_emit(&c->e, I_MOV64_REG(BF_R7, BF_R0));
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_R7, (int16_t)c->off_ct_status));
	bf_emit(&c->e, I_LDX(BPF_B, BF_R2, BF_FP, STK_CTOPTS + 9));
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, BF_CTSTATE_ESTABLISHED));
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R2, 0, store); /* IP_CT_DIR_REPLY */
	bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R1));
	bf_emit(&c->e,
		I_ALU64_IMM(BPF_AND, BF_R2, 1 << 1)); /* IPS_SEEN_REPLY */
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R2, 0, store);
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, BF_CTSTATE_RELATED));
	bf_emit(&c->e, I_ALU64_IMM(BPF_AND, BF_R1, 1 << 0)); /* IPS_EXPECTED */
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R1, 0, store);
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, BF_CTSTATE_NEW));
	bf_label_bind(&c->e, store);
	st_pctx(c, BPF_W, PCTX_OFF(ctstate), BF_R3);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	kcall(c, c->kf_ct_release);
	bf_label_bind(&c->e, done);
}

static bool spill_ctx(const struct cg *c);
static void seg_root(struct cg *c);
static void seg_root_share(struct cg *c);
static void seg_stub(struct cg *c, enum bf_family family);

/* Call the chain function of a family's built-in chain and return the
 * hook's verdict. */
static void call_builtin(struct cg *c, enum bf_family family)
{
	const struct bf_chain *b = bf_ruleset_builtin(c->rs, family, c->hook);
	bf_label drop = bf_label_new(&c->e);

	if (c->need_pkttype) {
		/* pkttype_mt(): PACKET_LOOPBACK (5) reads as MULTICAST (2)
		 * for IPv6 and IPv4 multicast destinations, else as
		 * BROADCAST (1). */
		bf_label done = bf_label_new(&c->e), mc = bf_label_new(&c->e);

		ld(c, BPF_B, BF_R1, PCTX_OFF(pkttype));
		bf_emit_jmp32_imm(&c->e, BPF_JNE, BF_R1, 5, done);
		if (family == BF_FAMILY_INET4) {
			ld(c, BPF_B, BF_R1, PCTX_OFF(daddr));
			bf_emit(&c->e, I_ALU32_IMM(BPF_AND, BF_R1, 0xf0));
			bf_emit_jmp32_imm(&c->e, BPF_JEQ, BF_R1, 0xe0, mc);
			bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
			st_pctx(c, BPF_B, PCTX_OFF(pkttype), BF_R1);
			bf_emit_ja(&c->e, done);
		}
		bf_label_bind(&c->e, mc);
		bf_emit(&c->e, I_MOV64_IMM(BF_R1, 2));
		st_pctx(c, BPF_B, PCTX_OFF(pkttype), BF_R1);
		bf_label_bind(&c->e, done);
	}
	if (c->seg && c->seg->root) {
		seg_root(c);
	} else {
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
		bf_emit_call(&c->e, fn_of(c, b)->label);
	}
	if (spill_ctx(c))
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R6, BF_FP, STK_CTX));
	if (c->mark_on && c->attach == BF_ATTACH_TC) {
		/* MARK rules changed pctx.mark (t_mark.c) */
		ld(c, BPF_W, BF_R1, PCTX_OFF(mark));
		bf_emit(&c->e,
			I_STX(BPF_W, BF_R6, BF_R1,
			      (int16_t)offsetof(struct __sk_buff, mark)));
	}
	if (c->reject_on) {
		bf_label rej = bf_label_new(&c->e);
		struct bf_reject_env env = {
			.attach = c->attach,
			.hook = c->hook,
			.l3off = ETH_HLEN_,
			.v_drop = c->v_drop,
			.kf_size = c->kf_size,
		};

		if (!c->reject_cb_on) {
			c->reject_cb = bf_label_new(&c->e);
			c->reject_cb_on = true;
		}
		env.csum_cb = c->reject_cb;

		bf_cgen_reply_hoplimits(c->ifname, &env.ttl4, &env.hlim6);
		bf_emit_jmp_imm(&c->e, BPF_JGE, BF_R0, BF_RC_REJECT_ICMP, rej);
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_DROP, drop);
		bf_emit_ret(&c->e, c->v_accept);
		bf_label_bind(&c->e, rej);
		bf_cgen_reject_reply(&c->e, &env, family);
	} else {
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_DROP, drop);
		bf_emit_ret(&c->e, c->v_accept);
	}
	bf_label_bind(&c->e, drop);
	bf_emit_ret(&c->e, c->v_drop);
}

/* The main function keeps the program context on its stack (STK_CTX)
 * when code after the prologue needs it: conntrack lookups, REJECT
 * replies, MARK. */
static bool spill_ctx(const struct cg *c)
{
	return (c->seg && c->seg->root) || c->use_ct || c->reject_on ||
	       (c->mark_on && c->attach == BF_ATTACH_TC);
}

static bool family_on(const struct cg *c, enum bf_family f)
{
	return c->rs->families & (1u << f);
}

/* From the network header at l3off to the verdict: parse it (bad or
 * short: accept), then conntrack (tc/XDP), log capture and user metadata
 * as enabled, and the built-in chain. */
static void judge_l3(struct cg *c, enum bf_family family, int32_t l3off,
		     bf_label accept)
{
	if (family == BF_FAMILY_INET4)
		parse_v4(c, l3off, accept);
	else
		parse_v6(c, l3off, accept);
	bf_xh_prologue(&c->xh, &c->e, family, l3off);
	bf_mx_after_parse(&c->mx, &c->e, family, l3off);
	bf_pl_prologue(&c->pl, &c->e, family, l3off);
	if (c->use_ct)
		ct_lookup(c, family);
	if (c->log_on)
		emit_log_capture(c, family, l3off);
	if (c->um.on)
		bf_um_fill(&c->e, c->attach, c->hook, l3off);
	call_builtin(c, family);
}

/* tc/XDP: from the Ethernet header to the verdict. In direct mode, IPv6
 * goes to `slow` (its extension header walk may continue in a bpf_loop()
 * callback, which reads through the dynptr). */
static void emit_l2(struct cg *c, bf_label accept, bf_label slow)
{
	bf_label v4 = bf_label_new(&c->e), v6 = bf_label_new(&c->e);

	if (c->attach == BF_ATTACH_TC && c->need_mark) {
		bf_emit(&c->e,
			I_LDX(BPF_W, BF_R1, BF_R6,
			      (int16_t)offsetof(struct __sk_buff, mark)));
		st_pctx(c, BPF_W, PCTX_OFF(mark), BF_R1);
	}
	if (c->attach == BF_ATTACH_TC && c->need_pkttype) {
		bf_emit(&c->e,
			I_LDX(BPF_W, BF_R1, BF_R6,
			      (int16_t)offsetof(struct __sk_buff, pkt_type)));
		st_pctx(c, BPF_B, PCTX_OFF(pkttype), BF_R1);
	}
	bf_emit_jmp_imm(&c->e, BPF_JLT, BF_R8, ETH_HLEN_, short_l(c, accept));
	slice(c, -1, 0, ETH_HLEN_, short_l(c, accept));
	if (c->need_mac && c->hook == BF_HOOK_INPUT) {
		bf_emit(&c->e, I_LDX(BPF_W, BF_R1, BF_R0, 6));
		st_pctx(c, BPF_W, PCTX_OFF(smac), BF_R1);
		bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 10));
		st_pctx(c, BPF_H, (int16_t)(PCTX_OFF(smac) + 4), BF_R1);
		bf_emit(&c->e, I_MOV64_IMM(BF_R1, 1));
		st_pctx(c, BPF_B, PCTX_OFF(smac_ok), BF_R1);
	}
	if (c->need_eth)
		bf_ether_l2(&c->e, c->attach == BF_ATTACH_TC);
	bf_emit(&c->e, I_LDX(BPF_H, BF_R1, BF_R0, 12));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R8, -ETH_HLEN_));
	/* EtherType as loaded (network order) on a little-endian
	 * host: 0x0800 reads 0x0008, 0x86dd reads 0xdd86. */
	if (family_on(c, BF_FAMILY_INET4))
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R1, (int32_t)htobe16(0x0800),
				v4);
	if (family_on(c, BF_FAMILY_INET6))
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R1, (int32_t)htobe16(0x86dd),
				c->direct ? slow : v6);
	bf_emit_ja(&c->e, accept);
	if (family_on(c, BF_FAMILY_INET4)) {
		bf_label_bind(&c->e, v4);
		judge_l3(c, BF_FAMILY_INET4, ETH_HLEN_, accept);
	}
	if (family_on(c, BF_FAMILY_INET6) && !c->direct) {
		bf_label_bind(&c->e, v6);
		judge_l3(c, BF_FAMILY_INET6, ETH_HLEN_, accept);
	}
}

/* Whether tc/XDP programs may read the headers straight from the packet
 * (ctx->data .. data_end) instead of through a dynptr: the kfunc calls
 * that create and slice a dynptr cost more than the rest of the prologue
 * (bench/README.md). Only when nothing after the prologue uses the
 * dynptr (LOG capture, REJECT replies, user BPF code, the matches of
 * mext.h), and at run time only for packets whose bytes are all in the
 * linear area (XDP without fragments, skbs with skb->len == headlen):
 * other packets take the dynptr path, so both read the same bytes. */
static bool direct_ok(const struct cg *c)
{
	const struct bf_mx *x = &c->mx;

	return c->attach != BF_ATTACH_NF && !c->log_on && !c->reject_on &&
	       !c->um.on && !c->pl.n && !c->xh.n && !x->need_now &&
	       !x->need_sk && !x->need_rt_type && !x->need_mss &&
	       !x->need_rt6 && !(c->seg && c->seg->root);
}

/* r8 = packet length, data and data_end spilled at STK_PKT; `slow` when
 * some bytes are outside the linear area. */
static void direct_start(struct cg *c, bf_label slow)
{
	int16_t data, end;

	if (c->attach == BF_ATTACH_XDP) {
		/* r8 = the linear length data_end - data, not the frame
		 * length (bpf_xdp_get_buff_len(), a helper call): a
		 * multi-buffer frame (veth builds them from large skbs
		 * even for programs without BPF_F_XDP_HAS_FRAGS) is longer.
		 * Every check of r8 that fails goes to the dynptr path
		 * (short_l()); one that passes holds for the whole frame
		 * too, and the bytes read are then in the linear area.
		 * (A pointer difference is an unknown scalar for a
		 * privileged program.) */
		data = (int16_t)offsetof(struct xdp_md, data);
		end = (int16_t)offsetof(struct xdp_md, data_end);
		bf_emit(&c->e, I_LDX(BPF_W, BF_R2, BF_R6, data));
		bf_emit(&c->e, I_LDX(BPF_W, BF_R3, BF_R6, end));
		bf_emit(&c->e, I_MOV64_REG(BF_R8, BF_R3));
		bf_emit(&c->e, I_ALU64_REG(BPF_SUB, BF_R8, BF_R2));
		bf_emit_jmp_imm(&c->e, BPF_JGT, BF_R8, 0xffff, slow);
	} else {
		bf_emit(&c->e, I_LDX(BPF_W, BF_R8, BF_R6,
				     (int16_t)offsetof(struct __sk_buff, len)));
		data = (int16_t)offsetof(struct __sk_buff, data);
		end = (int16_t)offsetof(struct __sk_buff, data_end);
		bf_emit(&c->e, I_LDX(BPF_W, BF_R2, BF_R6, data));
		bf_emit(&c->e, I_LDX(BPF_W, BF_R3, BF_R6, end));
		bf_emit_jmp_imm(&c->e, BPF_JGT, BF_R8, 0xffff, slow);
		bf_emit(&c->e, I_MOV64_REG(BF_R4, BF_R2));
		bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R4, BF_R8));
		bf_emit_jmp_reg(&c->e, BPF_JGT, BF_R4, BF_R3, slow);
	}
	bf_emit(&c->e, I_STX(BPF_DW, BF_FP, BF_R2, STK_PKT));
	bf_emit(&c->e, I_STX(BPF_DW, BF_FP, BF_R3, STK_PKT_END));
}

/* tc/XDP programs whose code after the prologue reads none of the
 * on-demand fields of the packet context (pctx.now .. pctx.ethtype: time,
 * conntrack, owner, rt, tcpmss, nft, meta iif/oif, ether) and nothing of
 * the whole context or the stack (LOG capture, REJECT, user BPF code,
 * segment root): the main function then zeroes neither those bytes nor
 * the dynptr and walk slots below the context (STK_DYNPTR, STK_WALK_*),
 * which are always written before they are read. Every other byte of the
 * stack is still zeroed (doc/codegen.md, "Stack zeroing"). */
static bool lean_zero(const struct cg *c)
{
	return c->attach != BF_ATTACH_NF && direct_ok(c) && !c->use_ct &&
	       !c->nft_on && !c->need_ifindex && !c->need_eth && !c->mark_on &&
	       !c->mx.need_rt6_flags;
}

_Static_assert(offsetof(struct bf_pctx, now) % 8 == 0 &&
		       offsetof(struct bf_pctx, scratch) % 8 == 0 &&
		       STK_PCTX % 8 == 0 &&
		       offsetof(struct bf_pctx, ethtype) + 2 ==
			       offsetof(struct bf_pctx, scratch) &&
		       -STK_SIZE + 24 == STK_PCTX,
	       "lean zeroing layout");

/* Whether the main function may leave the 8 stack bytes at off (from r10)
 * unzeroed (lean_zero()). */
static bool lean_skip(const struct cg *c, int off)
{
	int now = STK_PCTX + (int)offsetof(struct bf_pctx, now);
	int end = STK_PCTX + (int)offsetof(struct bf_pctx, scratch);

	if (!lean_zero(c))
		return false;
	return (off >= -STK_SIZE && off < STK_PCTX) ||
	       (off >= now && off < end);
}

static void emit_main(struct cg *c, enum bf_family nf_family)
{
	bf_label accept = bf_label_new(&c->e);

	if (seg_member(c)) {
		seg_stub(c, nf_family);
		return;
	}
	bf_emit(&c->e, I_MOV64_REG(BF_R6, BF_R1));
	for (int off = spill_ctx(c) ? -STK_SIZE_CT : -STK_SIZE; off < 0;
	     off += 8)
		if (!lean_skip(c, off))
			bf_emit(&c->e, I_ST(BPF_DW, BF_FP, (int16_t)off, 0));
	if (spill_ctx(c))
		bf_emit(&c->e, I_STX(BPF_DW, BF_FP, BF_R6, STK_CTX));
	fp_ptr(c, BF_R9, STK_PCTX);

	if (direct_ok(c)) {
		bf_label slow = bf_label_new(&c->e);

		direct_start(c, slow);
		c->direct = true;
		c->direct_slow = slow;
		emit_l2(c, accept, slow);
		c->direct = false;
		bf_label_bind(&c->e, slow);
	}
	if (c->attach == BF_ATTACH_NF) {
		bf_emit(&c->e,
			I_LDX(BPF_DW, BF_R7, BF_R6, (int16_t)c->off_ctx_skb));
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R7));
	} else {
		bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R6));
	}
	bf_emit(&c->e, I_MOV64_IMM(BF_R2, 0));
	fp_ptr(c, BF_R3, STK_DYNPTR);
	kcall(c, c->attach == BF_ATTACH_XDP ? c->kf_from_xdp : c->kf_from_skb);
	bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R0, 0, accept);
	fp_ptr(c, BF_R1, STK_DYNPTR);
	kcall(c, c->kf_size);
	bf_emit(&c->e, I_MOV64_REG(BF_R8, BF_R0));

	if (c->attach == BF_ATTACH_NF) {
		parse_nf_meta(c);
		judge_l3(c, nf_family, 0, accept); /* no use_ct at nf */
	} else {
		emit_l2(c, accept, accept);
	}
	bf_label_bind(&c->e, accept);
	bf_emit_ret(&c->e, c->v_accept);
}

static int resolve_kernel(struct cg *c)
{
	c->kf_slice = bf_kbtf_func_id("bpf_dynptr_slice");
	c->kf_size = bf_kbtf_func_id("bpf_dynptr_size");
	if (c->kf_slice < 0 || c->kf_size < 0)
		return -ENOENT;
	if (c->use_ct) {
		c->kf_ct_lookup = bf_kbtf_func_id(c->attach == BF_ATTACH_XDP ?
							  "bpf_xdp_ct_lookup" :
							  "bpf_skb_ct_lookup");
		c->kf_ct_release = bf_kbtf_func_id("bpf_ct_release");
		c->off_ct_status = bf_kbtf_member_off("nf_conn", "status");
		if (c->kf_ct_lookup < 0 || c->kf_ct_release < 0 ||
		    c->off_ct_status < 0)
			return -ENOENT;
	}
	if (c->attach == BF_ATTACH_XDP) {
		c->kf_from_xdp = bf_kbtf_func_id("bpf_dynptr_from_xdp");
		return c->kf_from_xdp < 0 ? -ENOENT : 0;
	}
	c->kf_from_skb = bf_kbtf_func_id("bpf_dynptr_from_skb");
	if (c->kf_from_skb < 0)
		return -ENOENT;
	if (c->attach != BF_ATTACH_NF)
		return 0;
	if (c->need_mark) {
		c->off_skb_mark = bf_kbtf_member_off("sk_buff", "mark");
		if (c->off_skb_mark < 0)
			return -ENOENT;
	}
	if (c->need_ctmark) {
		c->off_ct_mark = bf_kbtf_member_off("nf_conn", "mark");
		if (c->off_ct_mark < 0)
			return -ENOENT;
	}
	if (c->need_pkttype &&
	    bf_kbtf_member_bits("sk_buff", "pkt_type", &c->pkttype_bit,
				&c->pkttype_bits))
		return -ENOENT;
	if (c->need_mac || c->need_eth) {
		c->off_skb_dev = bf_kbtf_member_off("sk_buff", "dev");
		c->off_dev_type = bf_kbtf_member_off("net_device", "type");
		c->off_skb_head = bf_kbtf_member_off("sk_buff", "head");
		c->off_skb_data = bf_kbtf_member_off("sk_buff", "data");
		c->off_skb_mac_header =
			bf_kbtf_member_off("sk_buff", "mac_header");
		if (c->off_skb_dev < 0 || c->off_dev_type < 0 ||
		    c->off_skb_head < 0 || c->off_skb_data < 0 ||
		    c->off_skb_mac_header < 0)
			return -ENOENT;
	}
	c->off_ctx_state = bf_kbtf_member_off("bpf_nf_ctx", "state");
	c->off_ctx_skb = bf_kbtf_member_off("bpf_nf_ctx", "skb");
	c->off_skb_nfct = bf_kbtf_member_off("sk_buff", "_nfct");
	c->off_state_in = bf_kbtf_member_off("nf_hook_state", "in");
	c->off_state_out = bf_kbtf_member_off("nf_hook_state", "out");
	c->off_dev_name = bf_kbtf_member_off("net_device", "name");
	if (c->off_ctx_state < 0 || c->off_ctx_skb < 0 || c->off_skb_nfct < 0 ||
	    c->off_state_in < 0 || c->off_state_out < 0 || c->off_dev_name < 0)
		return -ENOENT;
	if (c->need_ifindex) {
		c->off_dev_ifindex =
			bf_kbtf_member_off("net_device", "ifindex");
		if (c->off_dev_ifindex < 0)
			return -ENOENT;
	}
	return 0;
}

static const char *const attach_names[BF_ATTACH_COUNT] = {
	[BF_ATTACH_NF] = "netfilter",
	[BF_ATTACH_TC] = "tc",
	[BF_ATTACH_XDP] = "xdp",
};

/* Which packet context fields the compiled chains need, and refuse what
 * cannot be compiled for this attachment. */
static int scan_matches(struct cg *c)
{
	for (size_t i = 0; i < c->n_fns; i++) {
		const struct bf_chain *ch = c->fns[i].chain;

		for (size_t j = 0; j < ch->n_rules; j++) {
			const struct bf_rule *r = &ch->rules[j];

			if (r->verdict.kind == BF_VERDICT_BPF &&
			    bf_um_scan(&c->um, r, NULL, r->verdict.u.bpf.ref))
				return -EINVAL;

			if (r->verdict.kind == BF_VERDICT_MARK) {
				c->mark_on = true;
				c->need_mark = true;
			}
			if (r->verdict.kind == BF_VERDICT_NFT_NEXT)
				c->nft_next = true;
			if (r->verdict.kind == BF_VERDICT_REJECT &&
			    c->attach != BF_ATTACH_NF)
				c->reject_on = true;
			if (r->verdict.kind == BF_VERDICT_LOG ||
			    r->verdict.kind == BF_VERDICT_NFLOG) {
				c->log_on = true;
				if (c->attach != BF_ATTACH_XDP)
					c->need_mark = true;
				/* the skb offsets of the MAC header */
				if (c->attach == BF_ATTACH_NF &&
				    c->hook != BF_HOOK_OUTPUT)
					c->need_mac = true;
			}
			for (size_t k = 0; k < r->n_matches; k++) {
				const struct bf_match *m = &r->matches[k];
				const char *why = NULL;

				c->nft_on |= m->nft != BF_NFT_OFF;
				switch (m->type) {
				case BF_MATCH_CTSTATE:
					c->use_ct |= c->attach != BF_ATTACH_NF;
					break;
				case BF_MATCH_MARK:
					c->need_mark = true;
					if (c->attach == BF_ATTACH_XDP)
						why = "XDP frames have no mark";
					break;
				case BF_MATCH_PKTTYPE:
					c->need_pkttype = true;
					if (c->attach == BF_ATTACH_XDP)
						why = "XDP does not classify "
						      "frames (pkt_type)";
					break;
				case BF_MATCH_MAC:
					c->need_mac = true;
					if (c->hook == BF_HOOK_OUTPUT)
						why = "the mac match is only "
						      "valid for received "
						      "packets (not OUTPUT)";
					break;
				case BF_MATCH_DSFIELD:
					c->need_dsfield = true;
					break;
				case BF_MATCH_ESP: /* m_ecn.h: pctx only */
				case BF_MATCH_MH: /* m_exthdr.h: likewise */
					break;
				case BF_MATCH_ECN: /* m_ecn.h */
					c->need_dsfield = true;
					c->need_ecn |= bf_ecn_needs_tcp(m);
					break;
				case BF_MATCH_PAYLOAD:
				case BF_MATCH_U32:
					/* the prologue reads them into
					 * pctx.pl_bits, numbered per program
					 * (m_payload.h): a segment program's
					 * numbers would not be the root's, so
					 * the chain stays one program */
					if (seg_member(c))
						return -ENOTSUP;
					c->nft_on |= m->type ==
						     BF_MATCH_PAYLOAD;
					why = bf_pl_scan(&c->pl, r->family, m);
					break;
				case BF_MATCH_QUOTA: /* m_quota.h */
					break;
				case BF_MATCH_FRAG6:
				case BF_MATCH_OPTS6:
				case BF_MATCH_AH:
					/* the prologue's pctx.xh_bits,
					 * numbered per program as payload
					 * matches (m_exthdr.h) */
					if (seg_member(c))
						return -ENOTSUP;
					why = bf_xh_scan(&c->xh, r->family, m);
					break;
				case BF_MATCH_LENGTH:
				case BF_MATCH_TTL:
				case BF_MATCH_LIMIT:
				case BF_MATCH_STATISTIC:
				case BF_MATCH_RECENT:
				case BF_MATCH_NFT_LIMIT:
					break;
				case BF_MATCH_IIF:
				case BF_MATCH_OIF:
					/* check.c keeps them to netfilter */
					c->need_ifindex = true;
					break;
				case BF_MATCH_ETH_DADDR:
				case BF_MATCH_ETH_TYPE:
				case BF_MATCH_VLAN:
					c->need_eth = true;
					break;
				case BF_MATCH_TH_SPORT:
				case BF_MATCH_TH_DPORT:
					/* nft's view (pctx.nft_*) */
					c->nft_on = true;
					break;
				case BF_MATCH_HASHLIMIT:
					why = bf_hashlimit_check(tables_rs(c),
								 r, m);
					break;
				case BF_MATCH_SET:
					why = bf_set_check(c->rs, c->attach, m);
					c->nft_on |= bf_set_nft_view(c->rs, m);
					c->need_mark |=
						bf_set_need_mark(c->rs, m);
					break;
				case BF_MATCH_BPF:
					if (bf_um_scan(&c->um, r, m,
						       m->u.bpf.ref))
						return -EINVAL;
					break;
				case BF_MATCH_CONNMARK:
					c->need_ctmark = true;
					if (c->attach != BF_ATTACH_NF)
						why = "the connection mark is "
						      "only read at netfilter "
						      "hooks";
					break;
				default:
					if (bf_mx_scan(&c->mx, r, m, &why))
						break;
					if (m->type >= BF_MATCH_LIMIT &&
					    m->type < BF_MATCH_COUNT)
						why = "this match is not "
						      "supported by the code "
						      "generator";
					break;
				}
				if (why) {
					bf_log_at(BF_LOG_ERROR, r->file,
						  m->line ? m->line : r->line,
						  0,
						  "match '%s' at the %s hook: "
						  "%s",
						  bf_match_name(m->type),
						  attach_names[c->attach], why);
					return -ENOTSUP;
				}
			}
		}
	}
	return 0;
}

static int check_attach(struct cg *c)
{
	int r = scan_matches(c);

	if (r || c->attach == BF_ATTACH_NF)
		return r;
	if (!c->ifname || !*c->ifname) {
		bf_err("the %s hook needs an interface name",
		       attach_names[c->attach]);
		return -EINVAL;
	}
	if (c->hook == BF_HOOK_FORWARD ||
	    (c->attach == BF_ATTACH_XDP && c->hook == BF_HOOK_OUTPUT)) {
		bf_err("chain %s cannot be enforced at the %s hook: it only "
		       "sees packets %s the interface",
		       bf_hook_name(c->hook), attach_names[c->attach],
		       c->attach == BF_ATTACH_XDP ? "received by" :
						    "entering or leaving");
		return -EINVAL;
	}
	return 0;
}

void bf_program_free(struct bf_program **prog)
{
	if (!prog || !*prog)
		return;
	free((*prog)->insns);
	free((*prog)->relocs);
	free((*prog)->funcs);
	for (size_t i = 0; i < (*prog)->n_maps; i++) {
		free((*prog)->maps[i].keys);
		free((*prog)->maps[i].values);
		free((*prog)->maps[i].vals);
	}
	free((*prog)->maps);
	free((*prog)->recent);
	free((*prog)->hashlimit);
	free(*prog);
	*prog = NULL;
}

static void release(struct cg *c)
{
	free(c->recent);
	c->recent = NULL;
	free(c->hashlimit);
	c->hashlimit = NULL;
	bf_um_release(&c->um);
	for (size_t i = 0; i < c->n_fns; i++) {
		free(c->fns[i].groups);
		for (size_t k = 0; c->fns[i].lfn && c->fns[i].lbvs &&
				   k < bf_lbvs_n_parts(c->fns[i].lbvs);
		     k++) {
			free(c->fns[i].lfn[k].cut);
			free(c->fns[i].lfn[k].slow);
		}
		free(c->fns[i].lfn);
		bf_lbvs_free(&c->fns[i].lbvs);
	}
	for (size_t i = 0; i < c->n_xmaps; i++) {
		free(c->xmaps[i].keys);
		free(c->xmaps[i].vals);
	}
	free(c->xmaps);
	free(c->xmap_idx);
	free(c->fns);
	c->fns = NULL;
	for (size_t i = 0; i < N_MAPB; i++) {
		free(c->mapb[i].keys);
		free(c->mapb[i].values);
		free(c->mapb[i].ht);
	}
}

/* Hand the maps of folded groups over to the program. */
static int take_maps(struct cg *c, struct bf_program *prog)
{
	if (!c->n_maps)
		return 0;
	prog->maps = calloc(c->n_maps, sizeof(*prog->maps));
	if (!prog->maps)
		return -ENOMEM;
	prog->n_maps = c->n_maps;
	for (size_t i = 0; i < N_MAPB; i++) {
		struct mapb *m = &c->mapb[i];
		struct bf_prog_map *pm;

		if (m->idx < 0)
			continue;
		pm = &prog->maps[m->idx];
		pm->key_size = m->key_size;
		pm->n = m->n;
		pm->keys = TAKE_PTR(m->keys);
		pm->values = TAKE_PTR(m->values);
	}
	for (size_t i = 0; i < c->n_xmaps; i++) {
		prog->maps[c->xmap_idx[i]] = c->xmaps[i];
		c->xmaps[i].keys = NULL;
		c->xmaps[i].vals = NULL;
	}
	if (c->n_lbvs)
		bf_dbg("%s: %zu general rules classified by bit-vector search",
		       prog->name, c->n_lbvs);
	prog->n_folded = c->n_folded;
	bf_dbg("%s: %zu rules folded into hash lookups (%u group ids, %zu "
	       "maps; doc/classification.md)",
	       prog->name, c->n_folded, c->next_gid, c->n_maps);
	return 0;
}

int bf_cgen_frames(const struct bf_ruleset *rs, enum bf_family family,
		   enum bf_hook hook)
{
	const struct bf_chain *b = bf_ruleset_builtin(rs, family, hook);
	struct cg c = { .rs = rs };
	int r;

	if (!b)
		return -EINVAL;
	bf_emit_init(&c.e);
	r = collect(&c, b);
	if (!r)
		r = fn_of(&c, b)->depth + 1;
	bf_emit_release(&c.e);
	release(&c);
	return r;
}

static int compile(const struct bf_ruleset *rs, enum bf_attach_kind attach,
		   enum bf_hook hook, enum bf_family family, const char *ifname,
		   const struct bf_seg_opts *seg, struct bf_program **out)
{
	struct bf_program *prog;
	struct cg c = {
		.rs = rs,
		.attach = attach,
		.hook = hook,
		.ifname = ifname,
		.seg = seg,
	};
	int r;

	if ((unsigned)attach >= BF_ATTACH_COUNT ||
	    (unsigned)hook >= BF_HOOK_COUNT ||
	    (unsigned)family >= BF_FAMILY_COUNT)
		return -EINVAL;
	bf_emit_init(&c.e);
	for (size_t i = 0; i < N_MAPB; i++)
		c.mapb[i].idx = -1;
	switch (attach) {
	case BF_ATTACH_NF:
		c.v_accept = NF_ACCEPT;
		c.v_drop = NF_DROP;
		break;
	case BF_ATTACH_TC:
		c.v_accept = TCX_NEXT;
		c.v_drop = TCX_DROP;
		break;
	default:
		c.v_accept = XDP_PASS;
		c.v_drop = XDP_DROP;
		break;
	}

	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		const struct bf_chain *b;

		if (attach == BF_ATTACH_NF ? f != (int)family :
					     !family_on(&c, f))
			continue;
		b = bf_ruleset_builtin(rs, f, hook);
		if (!b) {
			r = -EINVAL;
			goto out;
		}
		/* a segment of a segmented user chain runs that chain */
		if (seg && !seg->root && seg->user)
			b = &rs->chains[seg->user - 1];
		r = collect(&c, b);
		if (r)
			goto out;
		if (fn_of(&c, b)->depth + 1 > MAX_FRAMES && root_only(&c)) {
			/* an upper bound only (collect()): the exact depth */
			struct bf_seg_opts o = *seg;

			o.root_analyse = true;
			r = compile(rs, attach, hook, family, ifname, &o, out);
			goto out;
		}
		if (fn_of(&c, b)->depth + 1 > MAX_FRAMES) {
			struct cfn tmp = c.fns[0];
			size_t bi = (size_t)(fn_of(&c, b) - c.fns);

			c.fns[0] = c.fns[bi];
			c.fns[bi] = tmp;
			report_depth(&c, b);
			r = -E2BIG;
			goto out;
		}
	}
	bf_mx_init(&c.mx, attach, hook);
	if (seg && !seg->root && seg->mx_seed)
		bf_mx_seed(&c.mx, seg->mx_seed);
	r = check_attach(&c);
	if (r)
		goto out;
	if (seg && !seg->root && !bf_mx_same_bits(&c.mx, seg->mx_seed)) {
		bf_dbg("segment %u: its rules need prologue bits the root "
		       "does not compute",
		       seg->index);
		r = -ENOTSUP;
		goto out;
	}
	if (seg && seg->root && seg->mx_out)
		*seg->mx_out = c.mx;
	r = resolve_kernel(&c);
	if (!r)
		r = bf_mx_resolve(&c.mx);
	if (r)
		goto out;
	/* what the stubs of segment programs do not do (cgen/segprog.h):
	 * at netfilter hooks use_ct, reject_on and mark_on stay false
	 * (REJECT drops there, bf_check() refuses MARK); LOG works: the
	 * root's prologue captures the packet into the per-CPU record the
	 * segments' LOG rules complete (shared maps, load/seg.h) */
	if (seg && (c.use_ct || c.reject_on || c.mark_on || c.um.on)) {
		r = -ENOTSUP;
		goto out;
	}

	prog = calloc(1, sizeof(*prog));
	if (!prog) {
		r = -ENOMEM;
		goto out;
	}
	c.cap_funcs = c.n_fns + 8;
	prog->funcs = calloc(c.cap_funcs, sizeof(*prog->funcs));
	if (!prog->funcs) {
		bf_program_free(&prog);
		r = -ENOMEM;
		goto out;
	}
	prog->attach = attach;
	prog->hook = hook;
	prog->family = family;
	snprintf(prog->name, sizeof(prog->name), "bf_%s_%s%s",
		 attach == BF_ATTACH_NF ? "nf" :
		 attach == BF_ATTACH_TC ? "tc" :
					  "xdp",
		 hook == BF_HOOK_INPUT	? "in" :
		 hook == BF_HOOK_OUTPUT ? "out" :
					  "fwd",
		 attach != BF_ATTACH_NF	   ? "" :
		 family == BF_FAMILY_INET6 ? "6" :
					     "4");

	prog->funcs[0].insn_off = 0;
	snprintf(prog->funcs[0].name, sizeof(prog->funcs[0].name), "%s",
		 prog->name);
	prog->n_funcs = 1;
	emit_main(&c, family);
	emit_v6walk(&c, prog);
	emit_reject_cb(&c, prog);
	/* Emit the chains that live code calls, until none is left: a
	 * chain called only from unreachable rules is left out (the
	 * verifier refuses unreachable code). */
	for (bool more = true; more && !c.e.err;) {
		more = false;
		for (size_t i = 0; i < c.n_fns; i++) {
			if (c.fns[i].state == 3 ||
			    !bf_label_refs(&c.e, c.fns[i].label))
				continue;
			c.fns[i].state = 3;
			emit_chain(&c, &c.fns[i], prog);
			more = true;
		}
	}
	if (!c.e.err && c.um.on)
		bf_um_emit_funcs(&c.e, &c.um, prog, &c.cap_funcs);
	r = bf_emit_finish(&c.e);
	if (!r)
		r = take_maps(&c, prog);
	if (r) {
		bf_err("code generation failed: %s", strerror(-r));
		bf_program_free(&prog);
		goto out;
	}
	prog->n_state = c.n_state;
	/* a segment's chains see the whole slot (its extension) */
	if (seg_member(&c))
		prog->pctx_size = BF_SEG_PCTX_SIZE;
	prog->log = c.log_on;
	prog->recent = TAKE_PTR(c.recent);
	prog->n_recent = c.n_recent;
	prog->hashlimit = TAKE_PTR(c.hashlimit);
	prog->n_hashlimit = c.n_hashlimit;
	prog->reject = c.reject_on;
	prog->insns = TAKE_PTR(c.e.insns);
	prog->n_insns = c.e.n;
	prog->relocs = TAKE_PTR(c.e.relocs);
	prog->n_relocs = c.e.n_relocs;
	*out = prog;
out:
	bf_emit_release(&c.e);
	release(&c);
	free(c.cold);
	return r;
}

int bf_cgen_compile(const struct bf_ruleset *rs, enum bf_attach_kind attach,
		    enum bf_hook hook, enum bf_family family,
		    const char *ifname, struct bf_program **out)
{
	return compile(rs, attach, hook, family, ifname, NULL, out);
}

/* ---- segment programs (cgen/segprog.h, doc/live.md) ---- */

int bf_cgen_compile_seg(const struct bf_ruleset *rs, enum bf_hook hook,
			enum bf_family family, const struct bf_seg_opts *o,
			struct bf_program **out)
{
	int r = compile(rs, BF_ATTACH_NF, hook, family, NULL, o, out);

	if (!r && !o->root)
		snprintf((*out)->name, sizeof((*out)->name), "bf_seg%u_%s%d",
			 o->index,
			 hook == BF_HOOK_INPUT	? "in" :
			 hook == BF_HOOK_OUTPUT ? "out" :
						  "fwd",
			 family == BF_FAMILY_INET6 ? 6 : 4);
	return r;
}

static void seg_map_fd(struct cg *c, uint8_t dst, int fd)
{
	bf_emit(&c->e, bf_insn(BPF_LD | BPF_DW | BPF_IMM, dst,
			       BPF_PSEUDO_MAP_FD, 0, fd));
	bf_emit(&c->e, bf_insn(0, 0, 0, 0, 0));
}

/* r0 = the per-CPU struct bf_seg_pcpu, or goto fail. Clobbers r1-r5. */
static void seg_pcpu(struct cg *c, int16_t key_off, bf_label fail)
{
	bf_emit(&c->e, I_ST(BPF_W, BF_FP, key_off, 0));
	seg_map_fd(c, BF_R1, c->seg->pcpu_fd);
	fp_ptr(c, BF_R2, key_off);
	bf_emit(&c->e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, fail);
}

#define SEG_OWNER(i) ((int16_t)offsetof(struct bf_seg_pcpu, owner[i]))
#define SEG_PCTX(i) ((int32_t)offsetof(struct bf_seg_pcpu, pctx[i]))

/* The slot a root or segment program holds, as a byte in an unaligned
 * stack slot: the verifier keeps no value for it (STACK_MISC), so the
 * code after the slot's pointers are made is walked once, not once per
 * slot. The root's is in STK_CTOPTS, a segment stub's beside its map
 * key. */
#define SEG_STK_SLOT (STK_CTOPTS + 9)
#define SEG_STUB_SLOT (-3)

/* The slot found, i + 1 into SEG_STK_SLOT: the last slot falls through
 * from the search (the first path the verifier walks to `join`), the
 * others jump there (in got[i]), then bind join. */
static void seg_slot_jumps(struct cg *c, const bf_label *got, bf_label join,
			   int16_t off)
{
	bf_emit(&c->e, I_ST(BPF_B, BF_FP, off, BF_SEG_SLOTS));
	bf_emit_ja(&c->e, join);
	for (int i = 0; i + 1 < BF_SEG_SLOTS; i++) {
		bf_label_bind(&c->e, got[i]);
		bf_emit(&c->e, I_ST(BPF_B, BF_FP, off, i + 1));
		/* no jump to the next instruction: the x86 JIT drops such
		 * jumps, which can keep its passes from converging */
		if (i + 2 < BF_SEG_SLOTS)
			bf_emit_ja(&c->e, join);
	}
	bf_label_bind(&c->e, join);
}

/* From the slot at off (i + 1): r8 = &owner[i], `dst` = &pctx[i] (r7 =
 * the per-CPU value); beyond the slots (cannot be): goto fail. Clobbers
 * r2. */
static void seg_slot_ptrs(struct cg *c, uint8_t dst, bf_label fail, int16_t off)
{
	bf_emit(&c->e, I_LDX(BPF_B, BF_R2, BF_FP, off));
	bf_emit(&c->e, I_ALU64_IMM(BPF_SUB, BF_R2, 1));
	bf_emit_jmp_imm(&c->e, BPF_JGE, BF_R2, BF_SEG_SLOTS, fail);
	bf_emit(&c->e, I_MOV64_REG(BF_R8, BF_R2));
	bf_emit(&c->e, I_ALU64_IMM(BPF_LSH, BF_R8, 3));
	bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R8, BF_R7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_MUL, BF_R2, BF_SEG_PCTX_SIZE));
	bf_emit(&c->e, I_MOV64_REG(dst, BF_R7));
	bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, dst, SEG_PCTX(0)));
	bf_emit(&c->e, I_ALU64_REG(BPF_ADD, dst, BF_R2));
}

/* After the root's copy (r1 = the slot's packet context): each shape of
 * the shared lookups (cgen/c_segshare.h) looked up once, its row (one word
 * a segment) copied into the slot's extension, all ones when the key is
 * not there. Clobbers r0-r5, r7. */
static void seg_root_share(struct cg *c)
{
	const struct bf_seg_share *sh = c->seg->share;
	uint32_t words = (sh->n_seg + 1) / 2; /* 8-byte words of a row */

	bf_emit(&c->e, I_MOV64_REG(BF_R7, BF_R1));
	for (size_t k = 0; k < sh->n_shapes; k++) {
		struct bf_prog_map m;
		bf_label miss = bf_label_new(&c->e), done = bf_label_new(&c->e);
		int16_t off = bf_seg_share_off((int)k, 0);
		uint32_t idx;

		if (bf_seg_share_map(sh, (int)k, &m)) {
			bf_emit_fail(&c->e, -ENOMEM);
			return;
		}
		if (lbvs_push_map(c, &m, &idx)) {
			free(m.keys);
			bf_emit_fail(&c->e, -ENOMEM);
			return;
		}
		emit_lookup(c, &sh->shapes[k].g, SIZE_MAX, (uint32_t)k + 1,
			    idx);
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, miss);
		for (uint32_t w = 0; w < words; w++) {
			bf_emit(&c->e,
				I_LDX(BPF_DW, BF_R1, BF_R0, (int16_t)(8 * w)));
			bf_emit(&c->e, I_STX(BPF_DW, BF_R7, BF_R1,
					     (int16_t)(off + 8 * w)));
		}
		bf_emit_ja(&c->e, done);
		bf_label_bind(&c->e, miss);
		for (uint32_t w = 0; w < words; w++)
			bf_emit(&c->e, I_ST(BPF_DW, BF_R7,
					    (int16_t)(off + 8 * w), -1));
		bf_label_bind(&c->e, done);
	}
}

/* The root's end: in place of calling the built-in chain (r9 = packet
 * context on the stack), claim a free slot of the per-CPU array with a
 * compare-and-exchange of its owner (0 -> context pointer), copy the
 * packet context into it and tail-call segment 0. Leaves r0 = BF_RC_DROP
 * when that fails (no free slot, no segment 0): fail closed. */
static void seg_root(struct cg *c)
{
	bf_label fail = bf_label_new(&c->e), copy = bf_label_new(&c->e);
	bf_label got[BF_SEG_SLOTS];

	/* STK_CTOPTS is free in netfilter programs (no conntrack lookup) */
	seg_pcpu(c, STK_CTOPTS, fail);
	bf_emit(&c->e, I_MOV64_REG(BF_R7, BF_R0));
	bf_emit(&c->e, I_LDX(BPF_DW, BF_R6, BF_FP, STK_CTX));
	/* the last slot on the straight path: the verifier stores its state
	 * at `copy` there (seg_slot_ptrs()) */
	for (int i = 0; i < BF_SEG_SLOTS; i++) {
		got[i] = bf_label_new(&c->e);
		bf_emit(&c->e, I_MOV64_IMM(BF_R0, 0));
		bf_emit(&c->e, bf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BF_R7,
				       BF_R6, SEG_OWNER(i), BPF_CMPXCHG));
		if (i + 1 < BF_SEG_SLOTS)
			bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, 0, got[i]);
		else
			bf_emit_jmp_imm(&c->e, BPF_JNE, BF_R0, 0, fail);
	}
	seg_slot_jumps(c, got, copy, SEG_STK_SLOT);
	seg_slot_ptrs(c, BF_R1, fail, SEG_STK_SLOT);
	for (int16_t off = 0; off < (int16_t)sizeof(struct bf_pctx); off += 8) {
		int size = (size_t)off + 8 <= sizeof(struct bf_pctx) ? BPF_DW :
								       BPF_W;

		bf_emit(&c->e, I_LDX(size, BF_R2, BF_R9, off));
		bf_emit(&c->e, I_STX(size, BF_R1, BF_R2, off));
	}
	/* the return stack of segmented user chains: empty */
	bf_emit(&c->e, I_ST(BPF_B, BF_R1, BF_SEG_RSTK_OFF, 0));
	if (c->seg->share)
		seg_root_share(c);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R6));
	seg_map_fd(c, BF_R2, c->seg->segs_fd);
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, 0));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_tail_call));
	/* no segment 0: free the slot */
	bf_emit(&c->e, I_ST(BPF_DW, BF_R8, 0, 0));
	bf_label_bind(&c->e, fail);
	bf_emit(&c->e, I_MOV64_IMM(BF_R0, BF_RC_DROP));
}

/* r1 = ctx, r2 = the prog array, r3 = index set: tail call; falls through
 * when it fails. */
static void seg_tail(struct cg *c)
{
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R6));
	seg_map_fd(c, BF_R2, c->seg->segs_fd);
	bf_emit(&c->e, I_HELPER(BPF_FUNC_tail_call));
}

/* After the call of the segment's chain function (r0 = its return code),
 * for a point with segmented user chains (c->seg->segd; doc/live.md,
 * "Segmented user chains"). The continuation of a -j to a segmented chain
 * is pushed on the slot's return stack (the index of the next segment of
 * the calling chain; none when the jump is the chain's last rule: its
 * end follows, as after a -g); the end of a segmented user chain, or its
 * RETURN, pops it, and an empty stack means the end of the built-in
 * chain (ipt_do_table() with an empty jump stack: the policy). Every
 * tail call that fails drops the packet. r6 = ctx, r8 = &owner, r9 = the
 * slot's packet context. */
static void seg_stub_user(struct cg *c, const struct bf_chain *b,
			  const struct bf_chain *top, bf_label policy,
			  bf_label drop)
{
	const struct bf_seg_opts *o = c->seg;
	bf_label next = bf_label_new(&c->e), end = bf_label_new(&c->e);
	bf_label jump = bf_label_new(&c->e), fail = bf_label_new(&c->e);
	const struct bf_rule *last =
		top->n_rules ? &top->rules[top->n_rules - 1] : NULL;

	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_CONTINUE, next);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_RETURN, end);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_SEGJUMP, jump);
	bf_emit(&c->e, I_ST(BPF_DW, BF_R8, 0, 0));
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_DROP, drop);
	bf_emit_ret(&c->e, c->v_accept);

	bf_label_bind(&c->e, jump);
	if (o->jump_to < 0) {
		bf_emit_ja(&c->e, fail);
	} else {
		if (o->next >= 0 && last &&
		    last->verdict.kind == BF_VERDICT_JUMP) {
			/* push next (the depth is bounded when cutting) */
			bf_emit(&c->e,
				I_LDX(BPF_B, BF_R1, BF_R9, BF_SEG_RSTK_OFF));
			bf_emit_jmp_imm(&c->e, BPF_JGE, BF_R1,
					BF_SEG_RSTK_DEPTH, fail);
			bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
			bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R2, BF_R1));
			bf_emit(&c->e, I_ST(BPF_B, BF_R2, BF_SEG_RSTK_OFF + 1,
					    o->next));
			bf_emit(&c->e, I_ALU64_IMM(BPF_ADD, BF_R1, 1));
			bf_emit(&c->e,
				I_STX(BPF_B, BF_R9, BF_R1, BF_SEG_RSTK_OFF));
		}
		bf_emit(&c->e, I_MOV64_IMM(BF_R3, o->jump_to));
		seg_tail(c);
		bf_emit_ja(&c->e, fail);
	}

	bf_label_bind(&c->e, next);
	if (o->next >= 0) {
		bf_emit(&c->e, I_MOV64_IMM(BF_R3, o->next));
		seg_tail(c);
		bf_emit_ja(&c->e, fail);
	}

	bf_label_bind(&c->e, end);
	if (top == b) {
		bf_emit_ja(&c->e, policy);
	} else {
		/* pop */
		bf_emit(&c->e, I_LDX(BPF_B, BF_R1, BF_R9, BF_SEG_RSTK_OFF));
		bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R1, 0, policy);
		bf_emit_jmp_imm(&c->e, BPF_JGT, BF_R1, BF_SEG_RSTK_DEPTH, fail);
		bf_emit(&c->e, I_ALU64_IMM(BPF_SUB, BF_R1, 1));
		bf_emit(&c->e, I_STX(BPF_B, BF_R9, BF_R1, BF_SEG_RSTK_OFF));
		bf_emit(&c->e, I_MOV64_REG(BF_R2, BF_R9));
		bf_emit(&c->e, I_ALU64_REG(BPF_ADD, BF_R2, BF_R1));
		bf_emit(&c->e, I_LDX(BPF_B, BF_R3, BF_R2, BF_SEG_RSTK_OFF + 1));
		seg_tail(c);
	}
	bf_label_bind(&c->e, fail);
	bf_emit(&c->e, I_ST(BPF_DW, BF_R8, 0, 0));
	bf_emit_ja(&c->e, drop);
}

/* The main function of segment program k (see cgen/segprog.h). */
static void seg_stub(struct cg *c, enum bf_family family)
{
	const struct bf_chain *b = bf_ruleset_builtin(c->rs, family, c->hook);
	bf_label fail = bf_label_new(&c->e), found = bf_label_new(&c->e);
	bf_label next = bf_label_new(&c->e), policy = bf_label_new(&c->e);
	bf_label drop = bf_label_new(&c->e);
	bf_label at[BF_SEG_SLOTS];

	bf_emit(&c->e, I_MOV64_REG(BF_R6, BF_R1));
	seg_pcpu(c, -8, fail);
	bf_emit(&c->e, I_MOV64_REG(BF_R7, BF_R0));
	for (int i = 0; i < BF_SEG_SLOTS; i++) {
		at[i] = bf_label_new(&c->e);
		bf_emit(&c->e, I_LDX(BPF_DW, BF_R1, BF_R7, SEG_OWNER(i)));
		if (i + 1 < BF_SEG_SLOTS)
			bf_emit_jmp_reg(&c->e, BPF_JEQ, BF_R1, BF_R6, at[i]);
		else
			bf_emit_jmp_reg(&c->e, BPF_JNE, BF_R1, BF_R6, fail);
	}
	seg_slot_jumps(c, at, found, SEG_STUB_SLOT);
	seg_slot_ptrs(c, BF_R9, fail, SEG_STUB_SLOT);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R9));
	if (c->seg->segd) {
		const struct bf_chain *top =
			c->seg->user ? &c->rs->chains[c->seg->user - 1] : b;

		bf_emit_call(&c->e, fn_of(c, top)->label);
		seg_stub_user(c, b, top, policy, drop);
		goto chain_end;
	}
	bf_emit_call(&c->e, fn_of(c, b)->label);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_CONTINUE, next);
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_RETURN, policy);
	bf_emit(&c->e, I_ST(BPF_DW, BF_R8, 0, 0));
	bf_emit_jmp_imm(&c->e, BPF_JEQ, BF_R0, BF_RC_DROP, drop);
	bf_emit_ret(&c->e, c->v_accept);
	bf_label_bind(&c->e, next);
	bf_emit(&c->e, I_MOV64_REG(BF_R1, BF_R6));
	seg_map_fd(c, BF_R2, c->seg->segs_fd);
	bf_emit(&c->e, I_MOV64_IMM(BF_R3, (int32_t)c->seg->index + 1));
	bf_emit(&c->e, I_HELPER(BPF_FUNC_tail_call));
	/* no next segment: the chain ends */
chain_end:
	bf_label_bind(&c->e, policy);
	emit_count(c, b->policy_counter_idx);
	bf_emit(&c->e, I_ST(BPF_DW, BF_R8, 0, 0));
	if (b->policy == BF_VERDICT_DROP)
		bf_emit_ja(&c->e, drop);
	else
		bf_emit_ret(&c->e, c->v_accept);
	bf_label_bind(&c->e, fail);
	bf_label_bind(&c->e, drop);
	bf_emit_ret(&c->e, c->v_drop);
}
