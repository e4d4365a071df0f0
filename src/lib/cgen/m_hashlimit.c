// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hashlimit match: hashlimit_mt_common() of
 * net/netfilter/xt_hashlimit.c (revision 3) on the tables described in
 * cgen/m_hashlimit.h. Design note and known differences: doc/stateful.md.
 *
 * The table's configuration is the one of the rule that created it
 * (htable_create() copies the first rule's cfg): the key, the rate, the
 * burst and the expiry come from the first rule of the ruleset with the
 * same name and family; each rule contributes only --hashlimit-above.
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cgen/m_hashlimit.h"
#include "cgen/m_recent.h"
#include "cgen/pctx.h"

#define SC (PCTX_OFF(scratch))
#define SC_SRC (SC + 0)
#define SC_DST (SC + 16)
#define SC_PORTS (SC + 32)
_Static_assert(BF_HASHLIMIT_KEY_SIZE == 36, "key layout");
_Static_assert(SC_PORTS + 4 <= SC + 48, "hashlimit key fits the scratch");

/* entry value */
#define V_PREV 0
#define V_CREDIT 8
#define V_CAP 16
#define V_EXPIRES 24

/* XT_HASHLIMIT_SCALE_v2, XT_HASHLIMIT_BYTE_SHIFT */
#define HL_SCALE_V2 1000000ULL
#define HL_BYTE_SHIFT 4

static uint64_t pow2_below(uint64_t x)
{
	/* POW2_BELOW64(): the largest power of two <= x (x > 0) */
	uint64_t p = 1;

	while (p <= x / 2)
		p <<= 1;
	return p;
}

/* CREDITS_PER_JIFFY (64-bit, revision >= 2) */
static uint64_t cpj(uint32_t hz)
{
	return pow2_below(UINT64_MAX / ((uint64_t)hz * 60 * 60 * 24));
}

/* CREDITS_PER_JIFFY_BYTES */
static uint64_t cpj_bytes(uint32_t hz)
{
	return pow2_below(0xFFFFFFFFULL / hz);
}

/* user2credits(user, 3) */
static uint64_t user2credits(uint64_t user, uint32_t hz)
{
	uint64_t hc = (uint64_t)hz * cpj(hz);

	if (HL_SCALE_V2 >= hc)
		return user / (HL_SCALE_V2 / hc);
	return user * (hc / HL_SCALE_V2);
}

/* user2credits_byte() */
static uint32_t user2credits_byte(uint32_t user, uint32_t hz)
{
	uint64_t us = user;

	us *= (uint64_t)hz * cpj_bytes(hz);
	return (uint32_t)(us >> 32);
}

/* user2rate() / user2rate_bytes() */
static uint64_t user2rate(uint64_t user)
{
	return user ? HL_SCALE_V2 / user : 0;
}

static uint64_t user2rate_bytes(uint32_t user)
{
	uint64_t r = user ? UINT32_MAX / user : UINT32_MAX;

	return (r - 1) << HL_BYTE_SHIFT;
}

/* msecs_to_jiffies() */
static uint64_t ms_to_jiffies(uint32_t ms, uint32_t hz)
{
	return ((uint64_t)ms * hz + 999) / 1000;
}

/* The rule whose configuration the table (name, family) has. */
static const struct bf_match *table_cfg(const struct bf_ruleset *rs,
					const struct bf_rule *rule,
					const struct bf_match *m)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->family != rule->family ||
		    !(rs->families & (1u << c->family)))
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct bf_rule *r = &c->rules[j];

			for (size_t k = 0; k < r->n_matches; k++) {
				const struct bf_match *x = &r->matches[k];

				if (x->type == BF_MATCH_HASHLIMIT &&
				    !strncmp(x->u.hashlimit.name,
					     m->u.hashlimit.name,
					     BF_HASHLIMIT_NAME_MAX))
					return x;
			}
		}
	}
	return m;
}

/* htable_create(): size from the memory when not given, max from size. */
static uint32_t table_max(const struct bf_match *cfg)
{
	uint64_t size = cfg->u.hashlimit.size;
	struct sysinfo si;

	if (!size) {
		uint64_t ram = 0;

		if (sysinfo(&si) == 0)
			ram = (uint64_t)si.totalram * si.mem_unit;
		size = ram / 16384 / 8;
		if (ram > 1024ULL * 1024 * 1024)
			size = 8192;
		if (size < 16)
			size = 16;
	}
	if (!cfg->u.hashlimit.max)
		return (uint32_t)(8 * size);
	return cfg->u.hashlimit.max < size ? (uint32_t)size :
					     cfg->u.hashlimit.max;
}

const char *bf_hashlimit_check(const struct bf_ruleset *rs,
			       const struct bf_rule *rule,
			       const struct bf_match *m)
{
	const struct bf_match *cfg = table_cfg(rs, rule, m);

	if ((m->u.hashlimit.mode ^ cfg->u.hashlimit.mode) &
	    BF_HASHLIMIT_RATE_MATCH)
		return "a table of this name is already used with(out) "
		       "--hashlimit-rate-match: the kernel would mix the two "
		       "states, the code generator does not";
	if ((cfg->u.hashlimit.mode & BF_HASHLIMIT_RATE_MATCH) &&
	    (!cfg->u.hashlimit.avg || cfg->u.hashlimit.avg > UINT32_MAX ||
	     !cfg->u.hashlimit.interval))
		return "invalid --hashlimit-rate-match rate or interval "
		       "(hashlimit_mt_check_common() refuses it)";
	if ((m->u.hashlimit.mode ^ cfg->u.hashlimit.mode) & BF_HASHLIMIT_BYTES)
		return "a table of this name is already used with a rate in "
		       "the other unit (packets/bytes): the kernel would mix "
		       "them, the code generator does not";
	return NULL;
}

static void emit(struct bf_emit *e, struct bpf_insn i)
{
	bf_emit(e, i);
}

/* dst bytes [off, off + len) of the key = the address at src masked with
 * a prefix of `plen` bits (maskl() / hashlimit_ipv6_mask()). */
static void key_addr(struct bf_emit *e, int16_t key_off, int16_t src, int alen,
		     unsigned int plen)
{
	for (int w = 0; w < alen / 4; w++) {
		int bits = (int)plen - 32 * w;
		uint32_t m;

		if (bits <= 0)
			continue; /* stays 0 */
		m = bits >= 32 ? UINT32_MAX : ~(UINT32_MAX >> bits);
		emit(e, I_LDX(BPF_W, BF_R1, BF_R9, (int16_t)(src + 4 * w)));
		if (m != UINT32_MAX) {
			/* network order in memory: mask the loaded word with
			 * the mask's bytes in the same order */
			uint8_t mb[4] = { (uint8_t)(m >> 24),
					  (uint8_t)(m >> 16), (uint8_t)(m >> 8),
					  (uint8_t)m };
			uint32_t mm;

			memcpy(&mm, mb, 4);
			emit(e, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)mm));
		}
		emit(e, I_STX(BPF_W, BF_R9, BF_R1, (int16_t)(key_off + 4 * w)));
	}
}

/* hashlimit_init_dst(): the key into the scratch bytes. */
static void emit_key(struct bf_emit *e, const struct bf_match *cfg, bool v6,
		     bf_label hotdrop)
{
	uint32_t mode = cfg->u.hashlimit.mode;
	int alen = v6 ? 16 : 4;

	for (int i = 0; i < BF_HASHLIMIT_KEY_SIZE; i += 4)
		emit(e, I_ST(BPF_W, BF_R9, (int16_t)(SC + i), 0));
	if (mode & BF_HASHLIMIT_HASH_SIP)
		key_addr(e, SC_SRC, PCTX_OFF(saddr), alen,
			 cfg->u.hashlimit.srcmask);
	if (mode & BF_HASHLIMIT_HASH_DIP)
		key_addr(e, SC_DST, PCTX_OFF(daddr), alen,
			 cfg->u.hashlimit.dstmask);
	if (mode & (BF_HASHLIMIT_HASH_SPT | BF_HASHLIMIT_HASH_DPT)) {
		/* proto_ports_offset(): ports at offset 0 for these; other
		 * protocols have ports 0 */
		static const uint8_t with_ports[] = { 6, 17, 136, 132, 33, 50 };
		bf_label yes = bf_label_new(e), done = bf_label_new(e);

		if (v6) {
			/* ipv6_skip_exthdr() failed: hotdrop; it stops at
			 * a non-first fragment (nexthdr 44: no ports) */
			emit(e, I_LDX(BPF_B, BF_R1, BF_R9, PCTX_OFF(l6err)));
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, hotdrop);
			emit(e, I_LDX(BPF_H, BF_R1, BF_R9, PCTX_OFF(fragoff)));
			bf_emit_jmp32_imm(e, BPF_JNE, BF_R1, 0, done);
		}
		emit(e, I_LDX(BPF_B, BF_R1, BF_R9, PCTX_OFF(l4proto)));
		for (size_t i = 0; i < sizeof(with_ports); i++)
			bf_emit_jmp32_imm(e, BPF_JEQ, BF_R1, with_ports[i],
					  yes);
		bf_emit_ja(e, done);
		bf_label_bind(e, yes);
		/* skb_header_pointer() of 4 bytes failed: hotdrop */
		emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(avail)));
		bf_emit_jmp32_imm(e, BPF_JLT, BF_R1, 4, hotdrop);
		if (mode & BF_HASHLIMIT_HASH_SPT) {
			emit(e, I_LDX(BPF_H, BF_R1, BF_R9, PCTX_OFF(sport)));
			emit(e, I_STX(BPF_H, BF_R9, BF_R1, SC_PORTS));
		}
		if (mode & BF_HASHLIMIT_HASH_DPT) {
			emit(e, I_LDX(BPF_H, BF_R1, BF_R9, PCTX_OFF(dport)));
			emit(e, I_STX(BPF_H, BF_R9, BF_R1, SC_PORTS + 2));
		}
		bf_label_bind(e, done);
	}
}

#define HL_TRIES 4

/* rateinfo_recalc() and the credit test of hashlimit_mt_common() for a
 * packet rate, on entry r6 at time r7, made atomic where the kernel holds
 * the entry's lock: the refill since `prev` is taken with an exchange of
 * `prev` (what one CPU counted, no other counts again), the new credit
 * is written with compare-and-swap, retried HL_TRIES times (a packet that
 * loses every race does not pass, as limit does). One CPU alone computes
 * exactly the kernel's sequence: delta 0 refills nothing, the credit is
 * capped, the cost taken if there. */
static void emit_bucket_atomic(struct bf_emit *e, uint32_t hz, uint64_t cap,
			       uint64_t cost, bool inv, bf_label fail)
{
	bf_label done = bf_label_new(e);

	emit(e, I_MOV64_IMM(BF_R8, 0)); /* refill counted so far */
	for (int t = 0; t < HL_TRIES; t++) {
		bf_label fwd = bf_label_new(e), capped = bf_label_new(e);
		bf_label no = bf_label_new(e);

		if (t) {
			emit(e, I_HELPER(BPF_FUNC_jiffies64));
			emit(e, I_MOV64_REG(BF_R7, BF_R0));
		}
		/* delta = now - xchg(&prev, now), never negative (another
		 * CPU may have stored a later jiffy first) */
		emit(e, I_MOV64_REG(BF_R1, BF_R7));
		emit(e, bf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BF_R6, BF_R1,
				V_PREV, BPF_XCHG));
		emit(e, I_MOV64_REG(BF_R2, BF_R7));
		emit(e, I_ALU64_REG(BPF_SUB, BF_R2, BF_R1));
		bf_emit_jmp_imm(e, BPF_JSGE, BF_R2, 0, fwd);
		emit(e, I_MOV64_IMM(BF_R2, 0));
		bf_label_bind(e, fwd);
		/* credit += delta * CREDITS_PER_JIFFY (mod 2^64), capped */
		bf_emit_ld_imm64(e, BF_R4, cpj(hz));
		emit(e, I_ALU64_REG(BPF_MUL, BF_R2, BF_R4));
		emit(e, I_ALU64_REG(BPF_ADD, BF_R8, BF_R2));
		emit(e, I_LDX(BPF_DW, BF_R0, BF_R6, V_CREDIT));
		emit(e, I_MOV64_REG(BF_R5, BF_R0));
		emit(e, I_MOV64_REG(BF_R3, BF_R0));
		emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R8));
		bf_emit_ld_imm64(e, BF_R4, cap);
		bf_emit_jmp_reg(e, BPF_JLE, BF_R3, BF_R4, capped);
		emit(e, I_MOV64_REG(BF_R3, BF_R4));
		bf_label_bind(e, capped);
		/* credit >= cost: below the limit, take the cost */
		emit(e, I_MOV64_IMM(BF_R4, 0));
		bf_emit_ld_imm64(e, BF_R2, cost);
		bf_emit_jmp_reg(e, BPF_JLT, BF_R3, BF_R2, no);
		emit(e, I_ALU64_REG(BPF_SUB, BF_R3, BF_R2));
		emit(e, I_MOV64_IMM(BF_R4, 1));
		bf_label_bind(e, no);
		/* r0 = cmpxchg(&credit, r0, r3) */
		emit(e, bf_insn(BPF_STX | BPF_ATOMIC | BPF_DW, BF_R6, BF_R3,
				V_CREDIT, BPF_CMPXCHG));
		bf_emit_jmp_reg(e, BPF_JEQ, BF_R0, BF_R5, done);
	}
	emit(e, I_MOV64_IMM(BF_R4, 0)); /* lost every race */
	bf_label_bind(e, done);
	/* below the limit: the match holds, unless --hashlimit-above */
	bf_emit_jmp_imm(e, inv ? BPF_JNE : BPF_JEQ, BF_R4, 0, fail);
}

/* r7 = now (jiffies); r6 = the entry of the key in scratch in table t
 * (dsthash_find()); to `missing` without one, to `expired` for one past
 * its expiry: what htable_gc() removes, it starts again from
 * rateinfo_init() (doc/stateful.md: gc runs lazily). */
static void lookup_live(struct bf_emit *e, uint32_t t, bf_label missing,
			bf_label expired)
{
	emit(e, I_HELPER(BPF_FUNC_jiffies64));
	emit(e, I_MOV64_REG(BF_R7, BF_R0)); /* now */
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_HASHLIMIT, t);
	emit(e, I_MOV64_REG(BF_R2, BF_R9));
	emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, SC));
	emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	emit(e, I_MOV64_REG(BF_R6, BF_R0));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R6, 0, missing);
	emit(e, I_MOV64_REG(BF_R1, BF_R7));
	emit(e, I_LDX(BPF_DW, BF_R2, BF_R6, V_EXPIRES));
	emit(e, I_ALU64_REG(BPF_SUB, BF_R1, BF_R2));
	bf_emit_jmp_imm(e, BPF_JSGE, BF_R1, 0, expired);
}

/* Find or create the entry of the key in scratch: r6 = entry, r7 = now;
 * `fresh` is reached for a new (or expired) entry with r6, r7 set, the
 * code after this returns for an existing one (expiry already pushed). */
static void lookup_or_insert(struct bf_emit *e, uint32_t t, uint64_t exp_j,
			     bf_label fresh, bf_label hotdrop)
{
	bf_label init = bf_label_new(e), found = bf_label_new(e);

	lookup_live(e, t, init, fresh);
	bf_emit_ja(e, found);
	bf_label_bind(e, init);
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_HASHLIMIT, t);
	emit(e, I_MOV64_REG(BF_R2, BF_R9));
	emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, SC));
	emit(e, I_MOV64_REG(BF_R3, BF_R9));
	emit(e, I_MOV64_IMM(BF_R4, BPF_ANY));
	emit(e, I_HELPER(BPF_FUNC_map_update_elem));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, hotdrop);
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_HASHLIMIT, t);
	emit(e, I_MOV64_REG(BF_R2, BF_R9));
	emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, SC));
	emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	emit(e, I_MOV64_REG(BF_R6, BF_R0));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R6, 0, hotdrop);
	bf_emit_ja(e, fresh);
	bf_label_bind(e, found);
	bf_emit_ld_imm64(e, BF_R1, exp_j);
	emit(e, I_ALU64_REG(BPF_ADD, BF_R1, BF_R7));
	emit(e, I_STX(BPF_DW, BF_R6, BF_R1, V_EXPIRES));
}

/* --hashlimit-rate-match (revision 3): per entry, the packets (bytes)
 * counted in the current window of `interval` seconds; the match holds
 * while the previous window was not over the rate and the current count
 * is within the burst (hashlimit_mt_common(), rateinfo_recalc() and
 * rateinfo_init()). Value: prev, current_rate, prev_window, expires. */
static bool emit_rate_match(struct bf_emit *e, const struct bf_match *cfg,
			    enum bf_family family, uint32_t t, bool inv,
			    bf_label fail, bf_label hotdrop)
{
	const typeof(cfg->u.hashlimit) *h = &cfg->u.hashlimit;
	bool bytes = h->mode & BF_HASHLIMIT_BYTES;
	uint32_t hz = bf_recent_hz();
	uint64_t exp_j = ms_to_jiffies(h->expire, hz);
	uint64_t rate, burst, interval_j = (uint64_t)h->interval * hz;
	bf_label fresh = bf_label_new(e), count = bf_label_new(e);
	bf_label no_window = bf_label_new(e), over = bf_label_new(e);
	bf_label done = bf_label_new(e);

	if (bytes) {
		rate = user2rate_bytes((uint32_t)h->avg);
		burst = h->burst ? h->burst * rate : rate;
	} else {
		rate = user2rate(h->avg);
		burst = h->burst + rate;
	}
	emit_key(e, cfg, family == BF_FAMILY_INET6, hotdrop);
	lookup_or_insert(e, t, exp_j, fresh, hotdrop);
	/* rateinfo_recalc(): a new window once `interval` has passed */
	emit(e, I_MOV64_REG(BF_R1, BF_R7));
	emit(e, I_LDX(BPF_DW, BF_R2, BF_R6, V_PREV));
	emit(e, I_ALU64_REG(BPF_SUB, BF_R1, BF_R2)); /* delta */
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, count);
	bf_emit_ld_imm64(e, BF_R2, interval_j);
	bf_emit_jmp_reg(e, BPF_JLT, BF_R1, BF_R2, count);
	emit(e, I_STX(BPF_DW, BF_R6, BF_R7, V_PREV));
	/* prev_window = current_rate * interval > delta * rate */
	emit(e, I_LDX(BPF_DW, BF_R3, BF_R6, V_CREDIT));
	emit(e, I_ALU64_REG(BPF_MUL, BF_R3, BF_R2));
	bf_emit_ld_imm64(e, BF_R4, rate);
	emit(e, I_ALU64_REG(BPF_MUL, BF_R1, BF_R4));
	emit(e, I_MOV64_IMM(BF_R5, 0));
	bf_emit_jmp_reg(e, BPF_JLE, BF_R3, BF_R1, no_window);
	emit(e, I_MOV64_IMM(BF_R5, 1));
	bf_label_bind(e, no_window);
	emit(e, I_STX(BPF_DW, BF_R6, BF_R5, V_CAP));
	emit(e, I_ST(BPF_DW, BF_R6, V_CREDIT, 0));
	bf_emit_ja(e, count);
	/* rateinfo_init() */
	bf_label_bind(e, fresh);
	emit(e, I_STX(BPF_DW, BF_R6, BF_R7, V_PREV));
	emit(e, I_ST(BPF_DW, BF_R6, V_CREDIT, 0));
	emit(e, I_ST(BPF_DW, BF_R6, V_CAP, 0));
	bf_emit_ld_imm64(e, BF_R1, exp_j);
	emit(e, I_ALU64_REG(BPF_ADD, BF_R1, BF_R7));
	emit(e, I_STX(BPF_DW, BF_R6, BF_R1, V_EXPIRES));
	bf_label_bind(e, count);
	/* current_rate += cost (skb->len or 1) */
	emit(e, I_LDX(BPF_DW, BF_R3, BF_R6, V_CREDIT));
	if (bytes) {
		emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(len)));
		emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
	} else {
		emit(e, I_ALU64_IMM(BPF_ADD, BF_R3, 1));
	}
	emit(e, I_STX(BPF_DW, BF_R6, BF_R3, V_CREDIT));
	emit(e, I_LDX(BPF_DW, BF_R1, BF_R6, V_CAP));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R1, 0, over);
	bf_emit_ld_imm64(e, BF_R2, burst);
	bf_emit_jmp_reg(e, BPF_JGT, BF_R3, BF_R2, over);
	/* under the rate: holds unless --hashlimit-above */
	if (inv)
		bf_emit_ja(e, fail);
	else
		bf_emit_ja(e, done);
	bf_label_bind(e, over);
	if (!inv)
		bf_emit_ja(e, fail);
	bf_label_bind(e, done);
	return true;
}

static int tab_index(struct bf_emit *e, const struct bf_match *cfg,
		     enum bf_family family, struct bf_hashlimit_table **tabs,
		     size_t *n_tabs)
{
	struct bf_hashlimit_table *n;

	for (size_t i = 0; i < *n_tabs; i++) {
		if ((*tabs)[i].family == family &&
		    !strncmp((*tabs)[i].name, cfg->u.hashlimit.name,
			     BF_HASHLIMIT_NAME_MAX))
			return (int)i;
	}
	n = realloc(*tabs, (*n_tabs + 1) * sizeof(*n));
	if (!n) {
		bf_emit_fail(e, -ENOMEM);
		return -1;
	}
	*tabs = n;
	memset(&n[*n_tabs], 0, sizeof(n[0]));
	memcpy(n[*n_tabs].name, cfg->u.hashlimit.name, BF_HASHLIMIT_NAME_MAX);
	n[*n_tabs].name[BF_HASHLIMIT_NAME_MAX - 1] = '\0';
	n[*n_tabs].family = (uint8_t)family;
	n[*n_tabs].max = table_max(cfg);
	return (int)(*n_tabs)++;
}

bool bf_hashlimit_emit(struct bf_emit *e, const struct bf_ruleset *rs,
		       const struct bf_rule *rule, const struct bf_match *m,
		       struct bf_hashlimit_table **tabs, size_t *n_tabs,
		       bf_label fail, bf_label hotdrop)
{
	const struct bf_match *cfg = table_cfg(rs, rule, m);
	const typeof(cfg->u.hashlimit) *h = &cfg->u.hashlimit;
	bool bytes = h->mode & BF_HASHLIMIT_BYTES;
	bool inv = (m->u.hashlimit.mode & BF_HASHLIMIT_INVERT) != 0;
	uint32_t hz = bf_recent_hz();
	uint64_t exp_j = ms_to_jiffies(h->expire, hz);
	uint64_t cap, cost, full_b = cpj_bytes(hz) * hz;
	bf_label init = bf_label_new(e), have = bf_label_new(e);
	bf_label decide = bf_label_new(e), under = bf_label_new(e);
	const char *why = bf_hashlimit_check(rs, rule, m);
	int t;

	if (m->neg)
		inv = !inv;
	if (why) {
		bf_log_at(BF_LOG_ERROR, rule->file,
			  m->line ? m->line : rule->line, 0, "hashlimit: %s",
			  why);
		bf_emit_fail(e, -ENOTSUP);
		return false;
	}
	t = tab_index(e, cfg, rule->family, tabs, n_tabs);
	if (t < 0)
		return false;
	if (bytes) {
		cap = full_b; /* the initial credit */
		cost = user2credits_byte((uint32_t)h->avg, hz);
	} else {
		cap = user2credits(h->avg * h->burst, hz);
		cost = user2credits(h->avg, hz);
	}

	if (h->mode & BF_HASHLIMIT_RATE_MATCH)
		return emit_rate_match(e, cfg, rule->family, (uint32_t)t, inv,
				       fail, hotdrop);
	emit_key(e, cfg, rule->family == BF_FAMILY_INET6, hotdrop);
	/* dsthash_find(); an expired entry starts again (htable_gc()) */
	lookup_live(e, (uint32_t)t, init, have);
	/* expires = now + msecs_to_jiffies(expire); rateinfo_recalc() */
	bf_emit_ld_imm64(e, BF_R1, exp_j);
	emit(e, I_ALU64_REG(BPF_ADD, BF_R1, BF_R7));
	emit(e, I_STX(BPF_DW, BF_R6, BF_R1, V_EXPIRES));
	if (!bytes) {
		/* packets: the refill is part of the atomic loop below */
		bf_emit_ja(e, decide);
		goto fresh;
	}
	emit(e, I_MOV64_REG(BF_R1, BF_R7));
	emit(e, I_LDX(BPF_DW, BF_R2, BF_R6, V_PREV));
	emit(e, I_ALU64_REG(BPF_SUB, BF_R1, BF_R2)); /* delta */
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, decide);
	emit(e, I_STX(BPF_DW, BF_R6, BF_R7, V_PREV));
	emit(e, I_LDX(BPF_DW, BF_R3, BF_R6, V_CREDIT));
	if (bytes) {
		bf_label no_ovf = bf_label_new(e), capped = bf_label_new(e);

		emit(e, I_MOV64_REG(BF_R4, BF_R3)); /* tmp */
		emit(e, I_ALU64_IMM(BPF_MUL, BF_R1, (int32_t)cpj_bytes(hz)));
		emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
		bf_emit_jmp_reg(e, BPF_JLT, BF_R4, BF_R3, no_ovf);
		bf_emit_ld_imm64(e, BF_R3, full_b);
		bf_emit_ja(e, capped);
		bf_label_bind(e, no_ovf);
		bf_emit_ld_imm64(e, BF_R4, full_b);
		bf_emit_jmp_reg(e, BPF_JLE, BF_R3, BF_R4, capped);
		emit(e, I_MOV64_REG(BF_R3, BF_R4));
		bf_label_bind(e, capped);
	} else {
		bf_label capped = bf_label_new(e);

		/* credit += delta * CREDITS_PER_JIFFY (mod 2^64) */
		bf_emit_ld_imm64(e, BF_R4, cpj(hz));
		emit(e, I_ALU64_REG(BPF_MUL, BF_R1, BF_R4));
		emit(e, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
		bf_emit_ld_imm64(e, BF_R4, cap);
		bf_emit_jmp_reg(e, BPF_JLE, BF_R3, BF_R4, capped);
		emit(e, I_MOV64_REG(BF_R3, BF_R4));
		bf_label_bind(e, capped);
	}
	emit(e, I_STX(BPF_DW, BF_R6, BF_R3, V_CREDIT));
	bf_emit_ja(e, decide);

fresh:
	/* dsthash_alloc_init(): insert (any bytes), then rateinfo_init().
	 * The LRU map makes room instead of refusing at htable-max
	 * (doc/stateful.md). */
	bf_label_bind(e, init);
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_HASHLIMIT, (uint32_t)t);
	emit(e, I_MOV64_REG(BF_R2, BF_R9));
	emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, SC));
	emit(e, I_MOV64_REG(BF_R3, BF_R9)); /* 32 bytes of anything */
	emit(e, I_MOV64_IMM(BF_R4, BPF_ANY));
	emit(e, I_HELPER(BPF_FUNC_map_update_elem));
	bf_emit_jmp_imm(e, BPF_JNE, BF_R0, 0, hotdrop);
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_HASHLIMIT, (uint32_t)t);
	emit(e, I_MOV64_REG(BF_R2, BF_R9));
	emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, SC));
	emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	emit(e, I_MOV64_REG(BF_R6, BF_R0));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R6, 0, hotdrop);
	bf_label_bind(e, have);
	emit(e, I_STX(BPF_DW, BF_R6, BF_R7, V_PREV));
	bf_emit_ld_imm64(e, BF_R1, cap);
	emit(e, I_STX(BPF_DW, BF_R6, BF_R1, V_CREDIT));
	/* byte mode: credit_cap counts the refills left (the burst) */
	bf_emit_ld_imm64(e, BF_R1, bytes ? h->burst : cap);
	emit(e, I_STX(BPF_DW, BF_R6, BF_R1, V_CAP));
	bf_emit_ld_imm64(e, BF_R1, exp_j);
	emit(e, I_ALU64_REG(BPF_ADD, BF_R1, BF_R7));
	emit(e, I_STX(BPF_DW, BF_R6, BF_R1, V_EXPIRES));

	bf_label_bind(e, decide);
	if (!bytes) {
		emit_bucket_atomic(e, hz, cap, cost, inv, fail);
		return true;
	}
	emit(e, I_LDX(BPF_DW, BF_R3, BF_R6, V_CREDIT));
	if (bytes) {
		/* hashlimit_byte_cost() */
		bf_label small = bf_label_new(e), no_refill = bf_label_new(e);

		emit(e, I_LDX(BPF_W, BF_R2, BF_R9, PCTX_OFF(len)));
		emit(e, I_ALU64_IMM(BPF_RSH, BF_R2, HL_BYTE_SHIFT));
		emit(e, I_ALU64_IMM(BPF_ADD, BF_R2, 1));
		bf_emit_ld_imm64(e, BF_R1, cost);
		emit(e, I_ALU64_REG(BPF_MUL, BF_R2, BF_R1));
		bf_emit_ld_imm64(e, BF_R1, full_b);
		bf_emit_jmp_reg(e, BPF_JLE, BF_R2, BF_R1, small);
		emit(e, I_MOV64_REG(BF_R2, BF_R1));
		bf_label_bind(e, small);
		bf_emit_jmp_reg(e, BPF_JGE, BF_R3, BF_R2, no_refill);
		emit(e, I_LDX(BPF_DW, BF_R4, BF_R6, V_CAP));
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R4, 0, no_refill);
		emit(e, I_ALU64_IMM(BPF_SUB, BF_R4, 1));
		emit(e, I_STX(BPF_DW, BF_R6, BF_R4, V_CAP));
		emit(e, I_MOV64_REG(BF_R3, BF_R1));
		emit(e, I_STX(BPF_DW, BF_R6, BF_R3, V_CREDIT));
		bf_label_bind(e, no_refill);
		emit(e, I_MOV32_REG(BF_R2, BF_R2)); /* (u32) tmp */
	} else {
		bf_emit_ld_imm64(e, BF_R2, cost);
	}
	/* credit >= cost: below the limit */
	bf_emit_jmp_reg(e, BPF_JGE, BF_R3, BF_R2, under);
	if (!inv)
		bf_emit_ja(e, fail);
	else {
		bf_label done = bf_label_new(e);

		bf_emit_ja(e, done);
		bf_label_bind(e, under);
		emit(e, I_ALU64_REG(BPF_SUB, BF_R3, BF_R2));
		emit(e, I_STX(BPF_DW, BF_R6, BF_R3, V_CREDIT));
		bf_emit_ja(e, fail);
		bf_label_bind(e, done);
		return true;
	}
	bf_label_bind(e, under);
	emit(e, I_ALU64_REG(BPF_SUB, BF_R3, BF_R2));
	emit(e, I_STX(BPF_DW, BF_R6, BF_R3, V_CREDIT));
	return true;
}

/* ---- maps ---- */

static int same_geometry(int fd, uint32_t max)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.type == BPF_MAP_TYPE_LRU_HASH &&
	       info.key_size == BF_HASHLIMIT_KEY_SIZE &&
	       info.value_size == BF_HASHLIMIT_VALUE_SIZE &&
	       info.max_entries == max;
}

static int table_open(const struct bf_hashlimit_table *t, const char *dir)
{
	char path[PATH_MAX];
	int fd, n, r;

	if (dir) {
		n = snprintf(path, sizeof(path), "%s/hashlimit", dir);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		n = snprintf(path, sizeof(path), "%s/hashlimit/%d-%s", dir,
			     t->family == BF_FAMILY_INET6 ? 6 : 4, t->name);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		fd = bpf_obj_get(path);
		if (fd >= 0 && same_geometry(fd, t->max))
			return fd;
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "bf_hashlimit",
			    BF_HASHLIMIT_KEY_SIZE, BF_HASHLIMIT_VALUE_SIZE,
			    t->max, NULL);
	if (fd < 0)
		return -errno;
	if (dir && bpf_obj_pin(fd, path)) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int bf_hashlimit_maps_open(const struct bf_program *prog, int *fds)
{
	for (size_t i = 0; i < prog->n_hashlimit; i++) {
		int fd = table_open(&prog->hashlimit[i], prog->recent_dir);

		if (fd < 0) {
			bf_err("cannot open the map of hashlimit table '%s': "
			       "%s",
			       prog->hashlimit[i].name, strerror(-fd));
			for (size_t j = 0; j < i; j++) {
				close(fds[j]);
				fds[j] = -1;
			}
			return fd;
		}
		fds[i] = fd;
	}
	return 0;
}

int bf_hashlimit_unpin_all(const char *nsdir)
{
	return bf_stateful_unpin(nsdir, "hashlimit", NULL);
}
