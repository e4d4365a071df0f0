// SPDX-License-Identifier: GPL-2.0-only
/*
 * The recent match: recent_mt() of net/netfilter/xt_recent.c, on the
 * tables described in cgen/m_recent.h. Design note: doc/stateful.md.
 *
 * Registers while a recent match runs: r9 the packet context, r6 the
 * table's "tab" value (header), r7/r8 the entry found or created (address,
 * 1-based slot number). The packet context's scratch bytes hold the key
 * and the values that survive helper calls (SC_* below).
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cgen/m_recent.h"
#include "cgen/pctx.h"

#define NFPROTO_IPV4_ 2
#define NFPROTO_IPV6_ 10

/* pctx.scratch layout */
#define SC (PCTX_OFF(scratch))
#define SC_KEY (SC + 0) /* 20 bytes */
#define SC_SLOT (SC + 20) /* u32: value stored in the idx map */
#define SC_NOW (SC + 24) /* u64: jiffies */
#define SC_RET (SC + 32) /* u32: recent_mt()'s `ret` */
#define SC_TTL (SC + 36) /* u8 */
/* u8: what to do to the idx map once the lock is released */
#define SC_POST (SC + 37)
#define POST_INSERT 1 /* key -> SC_SLOT */
#define POST_DELETE 2 /* key */
#define SC_TIME (SC + 40) /* u64: jiffies - seconds * HZ */
_Static_assert(SC_TIME + 8 <= SC + 48, "recent scratch fits");
_Static_assert(PCTX_OFF(scratch) % 8 == 0, "scratch aligned");

uint32_t bf_recent_hz(void)
{
	static uint32_t hz;
	struct utsname u;
	char path[sizeof(u.release) + 32], line[128];
	FILE *f;

	if (hz)
		return hz;
	hz = 250;
	if (uname(&u))
		return hz;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return hz;
	while (fgets(line, sizeof(line), f)) {
		unsigned long v;
		char *end;

		if (strncmp(line, "CONFIG_HZ=", 10))
			continue;
		v = strtoul(line + 10, &end, 10);
		if (v > 0 && v <= 100000 && (*end == '\n' || !*end))
			hz = (uint32_t)v;
		break;
	}
	fclose(f);
	return hz;
}

/* recent_mt_check(): nstamp_mask + 1 of one rule */
static uint32_t rule_nstamps(uint32_t hit_count)
{
	uint32_t n = 1;

	if (!hit_count)
		return 32;
	while (n < hit_count)
		n <<= 1;
	return n;
}

/* Calls fn on every recent match of rs named `name` in order (chains as
 * stored, rules in order) until fn returns true; returns that match, or
 * NULL. */
static const struct bf_match *
walk_recent(const struct bf_ruleset *rs, const char *name,
	    bool (*fn)(const struct bf_match *m, void *ctx), void *ctx)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (!(rs->families & (1u << c->family)))
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct bf_rule *r = &c->rules[j];

			for (size_t k = 0; k < r->n_matches; k++) {
				const struct bf_match *m = &r->matches[k];

				if (m->type == BF_MATCH_RECENT &&
				    !strcmp(m->u.recent.name, name) &&
				    fn(m, ctx))
					return m;
			}
		}
	}
	return NULL;
}

static bool stop_at_first(const struct bf_match *m, void *ctx)
{
	return true;
}

static const struct bf_match *first_recent(const struct bf_ruleset *rs,
					   const char *name)
{
	return walk_recent(rs, name, stop_at_first, NULL);
}

static bool max_nstamps(const struct bf_match *m, void *ctx)
{
	uint32_t *n = ctx, s = rule_nstamps(m->u.recent.hit_count);

	if (s > *n)
		*n = s;
	return false;
}

uint32_t bf_recent_nstamps(const struct bf_ruleset *rs, const char *name)
{
	uint32_t n = 0;

	walk_recent(rs, name, max_nstamps, &n);
	return n;
}

/* Emission context of one match. */
struct rc {
	struct bf_emit *e;
	uint32_t tab; /* index in prog->recent */
	uint32_t nstamps;
	bf_label bad; /* an inconsistent table: the match does not hold */
};

static void emit(struct rc *x, struct bpf_insn i)
{
	bf_emit(x->e, i);
}

/* dst = address of the entry whose 1-based slot number is in src (r6 =
 * header); an out-of-range number goes to x->bad. dst != src. */
static void slot_addr(struct rc *x, uint8_t dst, uint8_t src)
{
	emit(x, I_MOV64_REG(dst, src));
	emit(x, I_ALU64_IMM(BPF_SUB, dst, 1));
	bf_emit_jmp_imm(x->e, BPF_JGE, dst, BF_RECENT_ENTRIES, x->bad);
	emit(x, I_ALU64_IMM(BPF_MUL, dst,
			    (int32_t)bf_recent_slot_size(x->nstamps)));
	emit(x, I_ALU64_IMM(BPF_ADD, dst, BF_RECENT_HDR_SIZE));
	emit(x, I_ALU64_REG(BPF_ADD, dst, BF_R6));
}

/* list_del(&e->lru_list) of entry r3 (slot r4); uses r1, r2, r5. */
static void lru_unlink(struct rc *x)
{
	bf_label p_none = bf_label_new(x->e), p_done = bf_label_new(x->e);
	bf_label n_none = bf_label_new(x->e), n_done = bf_label_new(x->e);

	emit(x, I_LDX(BPF_W, BF_R1, BF_R3, BF_RECENT_E_PREV));
	emit(x, I_LDX(BPF_W, BF_R2, BF_R3, BF_RECENT_E_NEXT));
	bf_emit_jmp_imm(x->e, BPF_JEQ, BF_R1, 0, p_none);
	slot_addr(x, BF_R5, BF_R1);
	emit(x, I_STX(BPF_W, BF_R5, BF_R2, BF_RECENT_E_NEXT));
	bf_emit_ja(x->e, p_done);
	bf_label_bind(x->e, p_none);
	emit(x, I_STX(BPF_W, BF_R6, BF_R2, BF_RECENT_HDR_HEAD));
	bf_label_bind(x->e, p_done);
	bf_emit_jmp_imm(x->e, BPF_JEQ, BF_R2, 0, n_none);
	slot_addr(x, BF_R5, BF_R2);
	emit(x, I_STX(BPF_W, BF_R5, BF_R1, BF_RECENT_E_PREV));
	bf_emit_ja(x->e, n_done);
	bf_label_bind(x->e, n_none);
	emit(x, I_STX(BPF_W, BF_R6, BF_R1, BF_RECENT_HDR_TAIL));
	bf_label_bind(x->e, n_done);
}

/* list_add_tail(&e->lru_list, &t->lru_list) of entry r3 (slot r4); uses
 * r1, r5. */
static void lru_append(struct rc *x)
{
	bf_label none = bf_label_new(x->e), done = bf_label_new(x->e);

	emit(x, I_LDX(BPF_W, BF_R1, BF_R6, BF_RECENT_HDR_TAIL));
	emit(x, I_STX(BPF_W, BF_R3, BF_R1, BF_RECENT_E_PREV));
	emit(x, I_ST(BPF_W, BF_R3, BF_RECENT_E_NEXT, 0));
	bf_emit_jmp_imm(x->e, BPF_JEQ, BF_R1, 0, none);
	slot_addr(x, BF_R5, BF_R1);
	emit(x, I_STX(BPF_W, BF_R5, BF_R4, BF_RECENT_E_NEXT));
	bf_emit_ja(x->e, done);
	bf_label_bind(x->e, none);
	emit(x, I_STX(BPF_W, BF_R6, BF_R4, BF_RECENT_HDR_HEAD));
	bf_label_bind(x->e, done);
	emit(x, I_STX(BPF_W, BF_R6, BF_R4, BF_RECENT_HDR_TAIL));
}

/* recent_entry_remove() of entry r3 (slot r4): off the LRU list, onto the
 * free list, its key cleared (family 0: an idx record still naming the
 * slot no longer matches it). Runs under the lock: no helper call; the
 * idx record of the packet's own key is deleted after the unlock
 * (POST_DELETE), one of another key is left to be overwritten or evicted.
 * Clobbers r1-r5. */
static void entry_remove(struct rc *x)
{
	lru_unlink(x);
	emit(x, I_LDX(BPF_W, BF_R1, BF_R6, BF_RECENT_HDR_FREE));
	emit(x, I_STX(BPF_W, BF_R3, BF_R1, BF_RECENT_E_NEXT));
	emit(x, I_STX(BPF_W, BF_R6, BF_R4, BF_RECENT_HDR_FREE));
	emit(x, I_LDX(BPF_W, BF_R1, BF_R6, BF_RECENT_HDR_COUNT));
	emit(x, I_ALU32_IMM(BPF_SUB, BF_R1, 1));
	emit(x, I_STX(BPF_W, BF_R6, BF_R1, BF_RECENT_HDR_COUNT));
	emit(x, I_ST(BPF_W, BF_R3, BF_RECENT_E_KEY, 0));
}

/* recent_entry_update() of entry r7 (slot r8), then e->ttl = ttl.
 * Clobbers r0-r5. */
static void entry_update(struct rc *x)
{
	bf_label keep = bf_label_new(x->e);

	emit(x, I_LDX(BPF_H, BF_R1, BF_R7, BF_RECENT_E_INDEX));
	emit(x, I_ALU64_IMM(BPF_AND, BF_R1, (int32_t)(x->nstamps - 1)));
	emit(x, I_MOV64_REG(BF_R2, BF_R1));
	emit(x, I_ALU64_IMM(BPF_LSH, BF_R2, 3));
	emit(x, I_ALU64_REG(BPF_ADD, BF_R2, BF_R7));
	emit(x, I_LDX(BPF_DW, BF_R3, BF_R9, SC_NOW));
	emit(x, I_STX(BPF_DW, BF_R2, BF_R3, BF_RECENT_E_STAMPS));
	emit(x, I_ALU64_IMM(BPF_ADD, BF_R1, 1));
	emit(x, I_STX(BPF_H, BF_R7, BF_R1, BF_RECENT_E_INDEX));
	emit(x, I_LDX(BPF_H, BF_R2, BF_R7, BF_RECENT_E_NSTAMPS));
	bf_emit_jmp_reg(x->e, BPF_JLE, BF_R1, BF_R2, keep);
	emit(x, I_STX(BPF_H, BF_R7, BF_R1, BF_RECENT_E_NSTAMPS));
	bf_label_bind(x->e, keep);
	/* list_move_tail() */
	emit(x, I_MOV64_REG(BF_R3, BF_R7));
	emit(x, I_MOV64_REG(BF_R4, BF_R8));
	lru_unlink(x);
	lru_append(x);
	emit(x, I_LDX(BPF_B, BF_R1, BF_R9, SC_TTL));
	emit(x, I_STX(BPF_B, BF_R7, BF_R1, BF_RECENT_E_TTL));
}

/* recent_entry_init(): a new entry for the key in scratch, in r7/r8.
 * Evicts the LRU head when the table is full, as the kernel does. */
static void entry_init(struct rc *x)
{
	bf_label room = bf_label_new(x->e), fresh = bf_label_new(x->e);
	bf_label fill = bf_label_new(x->e);

	emit(x, I_LDX(BPF_W, BF_R1, BF_R6, BF_RECENT_HDR_COUNT));
	bf_emit_jmp_imm(x->e, BPF_JLT, BF_R1, BF_RECENT_ENTRIES, room);
	emit(x, I_LDX(BPF_W, BF_R4, BF_R6, BF_RECENT_HDR_HEAD));
	slot_addr(x, BF_R3, BF_R4);
	entry_remove(x);
	bf_label_bind(x->e, room);
	/* a slot: from the free list, else one never used */
	emit(x, I_LDX(BPF_W, BF_R8, BF_R6, BF_RECENT_HDR_FREE));
	bf_emit_jmp_imm(x->e, BPF_JEQ, BF_R8, 0, fresh);
	slot_addr(x, BF_R7, BF_R8);
	emit(x, I_LDX(BPF_W, BF_R1, BF_R7, BF_RECENT_E_NEXT));
	emit(x, I_STX(BPF_W, BF_R6, BF_R1, BF_RECENT_HDR_FREE));
	bf_emit_ja(x->e, fill);
	bf_label_bind(x->e, fresh);
	emit(x, I_LDX(BPF_W, BF_R8, BF_R6, BF_RECENT_HDR_HW));
	bf_emit_jmp_imm(x->e, BPF_JGE, BF_R8, BF_RECENT_ENTRIES, x->bad);
	emit(x, I_ALU64_IMM(BPF_ADD, BF_R8, 1));
	emit(x, I_STX(BPF_W, BF_R6, BF_R8, BF_RECENT_HDR_HW));
	slot_addr(x, BF_R7, BF_R8);
	bf_label_bind(x->e, fill);
	for (int i = 0; i < BF_RECENT_KEY_SIZE; i += 4) {
		emit(x, I_LDX(BPF_W, BF_R1, BF_R9, (int16_t)(SC_KEY + i)));
		emit(x, I_STX(BPF_W, BF_R7, BF_R1,
			      (int16_t)(BF_RECENT_E_KEY + i)));
	}
	emit(x, I_LDX(BPF_B, BF_R1, BF_R9, SC_TTL));
	emit(x, I_STX(BPF_B, BF_R7, BF_R1, BF_RECENT_E_TTL));
	emit(x, I_LDX(BPF_DW, BF_R1, BF_R9, SC_NOW));
	emit(x, I_STX(BPF_DW, BF_R7, BF_R1, BF_RECENT_E_STAMPS));
	emit(x, I_ST(BPF_H, BF_R7, BF_RECENT_E_NSTAMPS, 1));
	emit(x, I_ST(BPF_H, BF_R7, BF_RECENT_E_INDEX, 1));
	emit(x, I_MOV64_REG(BF_R3, BF_R7));
	emit(x, I_MOV64_REG(BF_R4, BF_R8));
	lru_append(x);
	emit(x, I_LDX(BPF_W, BF_R1, BF_R6, BF_RECENT_HDR_COUNT));
	emit(x, I_ALU32_IMM(BPF_ADD, BF_R1, 1));
	emit(x, I_STX(BPF_W, BF_R6, BF_R1, BF_RECENT_HDR_COUNT));
	/* the idx record is written after the unlock */
	emit(x, I_STX(BPF_W, BF_R9, BF_R8, SC_SLOT));
	emit(x, I_ST(BPF_B, BF_R9, SC_POST, POST_INSERT));
}

/* recent_entry_reap(): remove the LRU head if its last stamp is older
 * than `time` (SC_TIME), unless it is the entry r8 about to be updated
 * (update_if_ret: XT_RECENT_UPDATE, and then only while ret holds). */
static void entry_reap(struct rc *x, bool update_if_ret)
{
	bf_label skip = bf_label_new(x->e), go = bf_label_new(x->e);

	emit(x, I_LDX(BPF_W, BF_R4, BF_R6, BF_RECENT_HDR_HEAD));
	if (update_if_ret) {
		emit(x, I_LDX(BPF_W, BF_R1, BF_R9, SC_RET));
		bf_emit_jmp_imm(x->e, BPF_JEQ, BF_R1, 0, go);
		bf_emit_jmp_reg(x->e, BPF_JEQ, BF_R4, BF_R8, skip);
		bf_label_bind(x->e, go);
	}
	bf_emit_jmp_imm(x->e, BPF_JEQ, BF_R4, 0, skip);
	slot_addr(x, BF_R3, BF_R4);
	/* e->stamps[e->index - 1] */
	emit(x, I_LDX(BPF_H, BF_R1, BF_R3, BF_RECENT_E_INDEX));
	emit(x, I_ALU64_IMM(BPF_SUB, BF_R1, 1));
	bf_emit_jmp_imm(x->e, BPF_JGE, BF_R1, (int32_t)x->nstamps, skip);
	emit(x, I_ALU64_IMM(BPF_LSH, BF_R1, 3));
	emit(x, I_ALU64_REG(BPF_ADD, BF_R1, BF_R3));
	emit(x, I_LDX(BPF_DW, BF_R1, BF_R1, BF_RECENT_E_STAMPS));
	/* time_after(time, stamp): (long)(stamp - time) < 0 */
	emit(x, I_LDX(BPF_DW, BF_R2, BF_R9, SC_TIME));
	emit(x, I_ALU64_REG(BPF_SUB, BF_R1, BF_R2));
	bf_emit_jmp_imm(x->e, BPF_JSGE, BF_R1, 0, skip);
	entry_remove(x);
	bf_label_bind(x->e, skip);
}

/* The key: family and address (the --rsource/--rdest side) masked with
 * the table's mask (nf_inet_addr_mask() with t->mask). */
static void emit_key(struct rc *x, bool v6, bool dest, const uint8_t *mask)
{
	int16_t src = dest ? PCTX_OFF(daddr) : PCTX_OFF(saddr);

	emit(x, I_ST(BPF_W, BF_R9, SC_KEY, v6 ? NFPROTO_IPV6_ : NFPROTO_IPV4_));
	for (int w = 0; w < 4; w++) {
		uint32_t mw;

		memcpy(&mw, mask + 4 * w, 4);
		if (w && !v6) {
			/* the kernel zeroes the union before storing
			 * an IPv4 address */
			emit(x, I_ST(BPF_W, BF_R9,
				     (int16_t)(SC_KEY + 4 + 4 * w), 0));
			continue;
		}
		emit(x, I_LDX(BPF_W, BF_R1, BF_R9, (int16_t)(src + 4 * w)));
		if (mw != UINT32_MAX)
			emit(x, I_ALU32_IMM(BPF_AND, BF_R1, (int32_t)mw));
		emit(x,
		     I_STX(BPF_W, BF_R9, BF_R1, (int16_t)(SC_KEY + 4 + 4 * w)));
	}
}

/* XT_RECENT_CHECK / XT_RECENT_UPDATE on entry r7: counts the stamps of
 * the first nstamps that are not older than `time` (all of them without
 * --seconds) and sets ret = !invert when the count reaches
 * max(hit_count, 1). This is recent_mt()'s loop: hits only grows, so
 * "++hits >= hit_count at some i" is "the total reaches hit_count". The
 * scan is unrolled and branch-free (one path for the verifier). */
static void emit_check(struct rc *x,
		       const typeof(((struct bf_match *)0)->u.recent) *rc,
		       bool inv)
{
	bf_label no = bf_label_new(x->e);
	uint32_t need = rc->hit_count ? rc->hit_count : 1;

	emit(x, I_LDX(BPF_H, BF_R4, BF_R7, BF_RECENT_E_NSTAMPS));
	if (!rc->seconds) {
		emit(x, I_MOV64_REG(BF_R3, BF_R4));
	} else {
		emit(x, I_LDX(BPF_DW, BF_R5, BF_R9, SC_TIME));
		emit(x, I_MOV64_IMM(BF_R3, 0));
		for (uint32_t i = 0; i < x->nstamps; i++) {
			/* not too old: 1 + ((s64)(stamp - time) >> 63) */
			emit(x, I_LDX(BPF_DW, BF_R1, BF_R7,
				      (int16_t)(BF_RECENT_E_STAMPS + 8 * i)));
			emit(x, I_ALU64_REG(BPF_SUB, BF_R1, BF_R5));
			emit(x, I_ALU64_IMM(BPF_ARSH, BF_R1, 63));
			emit(x, I_ALU64_IMM(BPF_ADD, BF_R1, 1));
			/* i < nstamps: (u64)(i - nstamps) >> 63 */
			emit(x, I_MOV64_IMM(BF_R2, (int32_t)i));
			emit(x, I_ALU64_REG(BPF_SUB, BF_R2, BF_R4));
			emit(x, I_ALU64_IMM(BPF_RSH, BF_R2, 63));
			emit(x, I_ALU64_REG(BPF_AND, BF_R1, BF_R2));
			emit(x, I_ALU64_REG(BPF_ADD, BF_R3, BF_R1));
		}
	}
	bf_emit_jmp_imm(x->e, BPF_JLT, BF_R3, (int32_t)need, no);
	emit(x, I_ST(BPF_W, BF_R9, SC_RET, !inv));
	bf_label_bind(x->e, no);
}

static int tab_index(struct bf_emit *e, const struct bf_ruleset *rs,
		     const char *name, struct bf_recent_table **tabs,
		     size_t *n_tabs)
{
	struct bf_recent_table *n;

	for (size_t i = 0; i < *n_tabs; i++) {
		if (!strcmp((*tabs)[i].name, name))
			return (int)i;
	}
	n = realloc(*tabs, (*n_tabs + 1) * sizeof(*n));
	if (!n) {
		bf_emit_fail(e, -ENOMEM);
		return -1;
	}
	*tabs = n;
	memset(&n[*n_tabs], 0, sizeof(n[0]));
	snprintf(n[*n_tabs].name, sizeof(n[0].name), "%s", name);
	n[*n_tabs].nstamps = bf_recent_nstamps(rs, name);
	return (int)(*n_tabs)++;
}

bool bf_recent_emit(struct bf_emit *e, const struct bf_ruleset *rs,
		    enum bf_attach_kind attach, enum bf_hook hook,
		    const struct bf_rule *rule, const struct bf_match *m,
		    struct bf_recent_table **tabs, size_t *n_tabs,
		    bf_label fail)
{
	const typeof(m->u.recent) *rc = &m->u.recent;
	const struct bf_match *first = first_recent(rs, rc->name);
	bool inv = rc->invert != m->neg, v6 = rule->family == BF_FAMILY_INET6;
	uint8_t mode = rc->check_set & (BF_RECENT_SET | BF_RECENT_REMOVE |
					BF_RECENT_CHECK | BF_RECENT_UPDATE);
	struct rc x = { .e = e };
	bf_label miss, found, done;
	int t = tab_index(e, rs, rc->name, tabs, n_tabs);

	if (t < 0)
		return false;
	x.tab = (uint32_t)t;
	x.nstamps = (*tabs)[t].nstamps;
	if (x.nstamps == 0 || x.nstamps > BF_RECENT_MAX_STAMPS) {
		bf_log_at(BF_LOG_ERROR, rule->file,
			  m->line ? m->line : rule->line, 0,
			  "recent: table '%s' would keep %u time stamps per "
			  "address; the code generator supports up to %u "
			  "(--hitcount %u)",
			  rc->name, x.nstamps, BF_RECENT_MAX_STAMPS,
			  BF_RECENT_MAX_STAMPS);
		bf_emit_fail(e, -ENOTSUP);
		return false;
	}
	miss = bf_label_new(e);
	found = bf_label_new(e);
	done = bf_label_new(e);
	x.bad = done;

	/* The table's mask is the one of the rule that created it
	 * (recent_mt_check() copies info->mask only then). */
	emit_key(&x, v6, rc->side_dest,
		 first ? first->u.recent.mask : rc->mask);
	/* ttl, "as seen before forwarding": recent_mt() adds 1 when there
	 * is an output device and no local socket of this namespace:
	 * FORWARD (never a socket), not OUTPUT (local packets carry
	 * theirs). */
	emit(&x, I_LDX(BPF_B, BF_R1, BF_R9, PCTX_OFF(ttl)));
	if (attach == BF_ATTACH_NF && hook == BF_HOOK_FORWARD) {
		emit(&x, I_ALU32_IMM(BPF_ADD, BF_R1, 1));
		emit(&x, I_ALU32_IMM(BPF_AND, BF_R1, 0xff));
	}
	emit(&x, I_STX(BPF_B, BF_R9, BF_R1, SC_TTL));
	emit(&x, I_HELPER(BPF_FUNC_jiffies64));
	emit(&x, I_STX(BPF_DW, BF_R9, BF_R0, SC_NOW));
	if (rc->seconds) {
		/* jiffies - info->seconds * HZ, the product in 32 bits */
		uint32_t span = rc->seconds * bf_recent_hz();

		emit(&x, I_MOV32_IMM(BF_R1, span));
		emit(&x, I_ALU64_REG(BPF_SUB, BF_R0, BF_R1));
		emit(&x, I_STX(BPF_DW, BF_R9, BF_R0, SC_TIME));
	}
	emit(&x, I_ST(BPF_W, BF_R9, SC_RET, inv));
	emit(&x, I_ST(BPF_B, BF_R9, SC_POST, 0));

	/* recent_entry_lookup(): the idx record (a hint, checked against
	 * the slot under the lock) */
	bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_RECENT_IDX, x.tab);
	emit(&x, I_MOV64_REG(BF_R2, BF_R9));
	emit(&x, I_ALU64_IMM(BPF_ADD, BF_R2, SC_KEY));
	emit(&x, I_HELPER(BPF_FUNC_map_lookup_elem));
	emit(&x, I_MOV64_IMM(BF_R8, 0));
	{
		bf_label none = bf_label_new(e);

		bf_emit_jmp_imm(e, BPF_JEQ, BF_R0, 0, none);
		emit(&x, I_LDX(BPF_W, BF_R8, BF_R0, 0));
		bf_label_bind(e, none);
	}
	/* spin_lock_bh(&recent_lock): this table's lock */
	bf_emit_map_value_kind(e, BF_R6, BF_RELOC_RECENT_TAB, x.tab, 0);
	emit(&x, I_MOV64_REG(BF_R1, BF_R6));
	emit(&x, I_HELPER(BPF_FUNC_spin_lock));
	x.bad = miss;
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R8, 0, miss);
	slot_addr(&x, BF_R7, BF_R8);
	for (int i = 0; i < BF_RECENT_KEY_SIZE; i += 4) {
		emit(&x, I_LDX(BPF_W, BF_R1, BF_R7,
			       (int16_t)(BF_RECENT_E_KEY + i)));
		emit(&x, I_LDX(BPF_W, BF_R2, BF_R9, (int16_t)(SC_KEY + i)));
		bf_emit_jmp_reg(e, BPF_JNE, BF_R1, BF_R2, miss);
	}
	x.bad = done;
	if (rc->check_set & BF_RECENT_TTL) {
		/* ttl == e->ttl || ttl == 0 || e->ttl == 0 */
		emit(&x, I_LDX(BPF_B, BF_R1, BF_R9, SC_TTL));
		emit(&x, I_LDX(BPF_B, BF_R2, BF_R7, BF_RECENT_E_TTL));
		bf_emit_jmp_reg(e, BPF_JEQ, BF_R1, BF_R2, found);
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, found);
		bf_emit_jmp_imm(e, BPF_JEQ, BF_R2, 0, found);
		bf_emit_ja(e, miss);
	}
	bf_label_bind(e, found);
	switch (mode) {
	case BF_RECENT_SET:
		emit(&x, I_ST(BPF_W, BF_R9, SC_RET, !inv));
		entry_update(&x);
		break;
	case BF_RECENT_REMOVE:
		emit(&x, I_MOV64_REG(BF_R3, BF_R7));
		emit(&x, I_MOV64_REG(BF_R4, BF_R8));
		entry_remove(&x);
		emit(&x, I_ST(BPF_B, BF_R9, SC_POST, POST_DELETE));
		emit(&x, I_ST(BPF_W, BF_R9, SC_RET, !inv));
		break;
	default: {
		bf_label no_update = bf_label_new(e);

		emit_check(&x, rc, inv);
		if (rc->check_set & BF_RECENT_REAP)
			entry_reap(&x, rc->check_set & BF_RECENT_UPDATE);
		if (rc->check_set & BF_RECENT_UPDATE) {
			/* the kernel tests ret after the inversion */
			emit(&x, I_LDX(BPF_W, BF_R1, BF_R9, SC_RET));
			bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, no_update);
			entry_update(&x);
			bf_label_bind(e, no_update);
		}
		break;
	}
	}
	bf_emit_ja(e, done);

	bf_label_bind(e, miss);
	if (mode == BF_RECENT_SET) {
		entry_init(&x);
		emit(&x, I_ST(BPF_W, BF_R9, SC_RET, !inv));
	}
	bf_label_bind(e, done);
	emit(&x, I_MOV64_REG(BF_R1, BF_R6));
	emit(&x, I_HELPER(BPF_FUNC_spin_unlock));
	/* the idx map, now that the lock is released */
	{
		bf_label no_ins = bf_label_new(e), no_del = bf_label_new(e);

		emit(&x, I_LDX(BPF_B, BF_R1, BF_R9, SC_POST));
		bf_emit_jmp_imm(e, BPF_JNE, BF_R1, POST_INSERT, no_ins);
		bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_RECENT_IDX, x.tab);
		emit(&x, I_MOV64_REG(BF_R2, BF_R9));
		emit(&x, I_ALU64_IMM(BPF_ADD, BF_R2, SC_KEY));
		emit(&x, I_MOV64_REG(BF_R3, BF_R9));
		emit(&x, I_ALU64_IMM(BPF_ADD, BF_R3, SC_SLOT));
		emit(&x, I_MOV64_IMM(BF_R4, BPF_ANY));
		emit(&x, I_HELPER(BPF_FUNC_map_update_elem));
		bf_label_bind(e, no_ins);
		emit(&x, I_LDX(BPF_B, BF_R1, BF_R9, SC_POST));
		bf_emit_jmp_imm(e, BPF_JNE, BF_R1, POST_DELETE, no_del);
		bf_emit_map_fd_kind(e, BF_R1, BF_RELOC_RECENT_IDX, x.tab);
		emit(&x, I_MOV64_REG(BF_R2, BF_R9));
		emit(&x, I_ALU64_IMM(BPF_ADD, BF_R2, SC_KEY));
		emit(&x, I_HELPER(BPF_FUNC_map_delete_elem));
		bf_label_bind(e, no_del);
	}
	emit(&x, I_LDX(BPF_W, BF_R1, BF_R9, SC_RET));
	bf_emit_jmp_imm(e, BPF_JEQ, BF_R1, 0, fail);
	return true;
}

/* ---- maps: creation, pins, reuse ---- */

static int map_matches(int fd, enum bpf_map_type type, uint32_t key_size,
		       uint32_t value_size, uint32_t max_entries, bool btf)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.type == (uint32_t)type && info.key_size == key_size &&
	       info.value_size == value_size &&
	       info.max_entries == max_entries &&
	       (!btf || info.btf_value_type_id != 0);
}

/* idx records: the live entries' plus stale ones (of entries evicted or
 * reaped under the lock, left in place), which the LRU map drops first */
#define IDX_ENTRIES (8 * BF_RECENT_ENTRIES)

/* The "tab" array map, with BTF describing the spin lock at offset 0
 * (the verifier requires it for bpf_spin_lock()). Returns fd or -errno. */
static int tab_create(uint32_t vsize)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	struct btf *b = btf__new_empty();
	int t_u32, t_u8, t_lock, t_arr, t_val, fd;

	if (!b)
		return -ENOMEM;
	t_u32 = btf__add_int(b, "unsigned int", 4, 0);
	t_u8 = btf__add_int(b, "unsigned char", 1, 0);
	t_lock = btf__add_struct(b, "bpf_spin_lock", 4);
	btf__add_field(b, "val", t_u32, 0, 0);
	t_arr = btf__add_array(b, t_u32, t_u8, vsize - 8);
	t_val = btf__add_struct(b, "bf_recent_tab", vsize);
	btf__add_field(b, "lock", t_lock, 0, 0);
	btf__add_field(b, "data", t_arr, 64, 0);
	if (t_u32 < 0 || t_u8 < 0 || t_lock < 0 || t_arr < 0 || t_val < 0 ||
	    btf__load_into_kernel(b)) {
		btf__free(b);
		return -EINVAL;
	}
	o.btf_fd = (uint32_t)btf__fd(b);
	o.btf_key_type_id = (uint32_t)t_u32;
	o.btf_value_type_id = (uint32_t)t_val;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_recent_tab", 4, vsize, 1,
			    &o);
	if (fd < 0)
		fd = -errno;
	btf__free(b); /* the map holds the BTF */
	return fd;
}

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The maps of one table: both reused from the pins when their geometry
 * matches, else both new (and pinned if dir). */
static int table_open(const struct bf_recent_table *t, const char *dir,
		      int *idx_fd, int *tab_fd)
{
	uint32_t vsize = bf_recent_value_size(t->nstamps);
	char tdir[PATH_MAX], pidx[PATH_MAX + 8], ptab[PATH_MAX + 8];
	int fi = -1, ft = -1, r;

	if (dir) {
		int n = snprintf(tdir, sizeof(tdir), "%s/recent", dir);

		if (n < 0 || (size_t)n >= sizeof(tdir))
			return -ENAMETOOLONG;
		r = mkdir_one(tdir);
		if (r)
			return r;
		n = snprintf(tdir, sizeof(tdir), "%s/recent/%s", dir, t->name);
		if (n < 0 || (size_t)n >= sizeof(tdir))
			return -ENAMETOOLONG;
		r = mkdir_one(tdir);
		if (r)
			return r;
		snprintf(pidx, sizeof(pidx), "%s/idx", tdir);
		snprintf(ptab, sizeof(ptab), "%s/tab", tdir);
		fi = bpf_obj_get(pidx);
		ft = bpf_obj_get(ptab);
		if (fi >= 0 && ft >= 0 &&
		    map_matches(fi, BPF_MAP_TYPE_LRU_HASH, BF_RECENT_KEY_SIZE,
				4, IDX_ENTRIES, false) &&
		    map_matches(ft, BPF_MAP_TYPE_ARRAY, 4, vsize, 1, true)) {
			*idx_fd = fi;
			*tab_fd = ft;
			return 0;
		}
		if (fi >= 0)
			close(fi);
		if (ft >= 0)
			close(ft);
		/* another geometry (more stamps): a new, empty table,
		 * as recent_mt_check() flushes a table whose stamps
		 * grow */
		unlink(pidx);
		unlink(ptab);
	}
	fi = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "bf_recent_idx",
			    BF_RECENT_KEY_SIZE, 4, IDX_ENTRIES, NULL);
	if (fi < 0)
		return -errno;
	ft = tab_create(vsize);
	if (ft < 0) {
		close(fi);
		return ft;
	}
	if (dir && (bpf_obj_pin(fi, pidx) || bpf_obj_pin(ft, ptab))) {
		r = -errno;
		close(fi);
		close(ft);
		return r;
	}
	*idx_fd = fi;
	*tab_fd = ft;
	return 0;
}

int bf_recent_maps_open(const struct bf_program *prog, int *fds)
{
	for (size_t i = 0; i < prog->n_recent; i++) {
		int r = table_open(&prog->recent[i], prog->recent_dir,
				   &fds[2 * i], &fds[2 * i + 1]);

		if (r) {
			bf_err("cannot open the maps of recent table '%s': %s",
			       prog->recent[i].name, strerror(-r));
			for (size_t j = 0; j < 2 * i; j++) {
				close(fds[j]);
				fds[j] = -1;
			}
			return r;
		}
	}
	return 0;
}

/* ---- which slots use which tables ----
 *
 * The kernel frees an xt_recent or xt_hashlimit table with the last rule
 * that uses it (recent_mt_destroy(), htable_put()). Each slot directory
 * holds a reference pin per table its programs use ("ref-r-<name>",
 * "ref-h-<4|6>-<name>", pins of the same maps); a table no slot refers to
 * any more is removed. */

static void unlink_refs(const char *slotdir)
{
	struct dirent *ent;
	DIR *d = opendir(slotdir);

	if (!d)
		return;
	while ((ent = readdir(d))) {
		char path[PATH_MAX + 300];

		if (strncmp(ent->d_name, "ref-", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", slotdir, ent->d_name);
		unlink(path);
	}
	closedir(d);
}

static int add_ref(const char *from, const char *to)
{
	int fd = bpf_obj_get(from), r = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, to) && errno != EEXIST)
		r = -errno;
	close(fd);
	return r;
}

int bf_stateful_refs(const char *nsdir, const char *slotdir,
		     const struct bf_program *const *progs, size_t n)
{
	char from[PATH_MAX + 300], to[PATH_MAX + 300];
	int r = 0;

	unlink_refs(slotdir);
	for (size_t i = 0; i < n; i++) {
		const struct bf_program *p = progs[i];

		for (size_t k = 0; p && k < p->n_recent; k++) {
			snprintf(from, sizeof(from), "%s/recent/%s/tab", nsdir,
				 p->recent[k].name);
			snprintf(to, sizeof(to), "%s/ref-r-%s", slotdir,
				 p->recent[k].name);
			if (!r)
				r = add_ref(from, to);
		}
		for (size_t k = 0; p && k < p->n_hashlimit; k++) {
			int f = p->hashlimit[k].family == BF_FAMILY_INET6 ? 6 :
									    4;

			snprintf(from, sizeof(from), "%s/hashlimit/%d-%s",
				 nsdir, f, p->hashlimit[k].name);
			snprintf(to, sizeof(to), "%s/ref-h-%d-%s", slotdir, f,
				 p->hashlimit[k].name);
			if (!r)
				r = add_ref(from, to);
		}
	}
	if (r)
		return r; /* keep every table: better than losing one */
	return bf_stateful_gc(nsdir);
}

/* Does any slot directory of nsdir hold the pin `ref`? */
static bool referenced(const char *nsdir, const char *ref)
{
	struct dirent *ent;
	bool found = false;
	DIR *d = opendir(nsdir);

	if (!d)
		return true;
	while (!found && (ent = readdir(d))) {
		char path[PATH_MAX + 600];
		struct stat st;

		if (ent->d_name[0] == '.' || !strcmp(ent->d_name, "recent") ||
		    !strcmp(ent->d_name, "hashlimit"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", nsdir, ent->d_name,
			 ref);
		found = stat(path, &st) == 0;
	}
	closedir(d);
	return found;
}

int bf_stateful_unpin(const char *nsdir, const char *kind,
		      const char *ref_prefix)
{
	bool is_recent = !strcmp(kind, "recent");
	char dir[PATH_MAX];
	struct dirent *ent;
	DIR *d;
	int n, r = 0;

	n = snprintf(dir, sizeof(dir), "%s/%s", nsdir, kind);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((ent = readdir(d))) {
		char ref[300], path[PATH_MAX + 600];
		int e;

		if (ent->d_name[0] == '.')
			continue;
		if (ref_prefix) {
			snprintf(ref, sizeof(ref), "%s%s", ref_prefix,
				 ent->d_name);
			if (referenced(nsdir, ref))
				continue;
		}
		if (is_recent) {
			snprintf(path, sizeof(path), "%s/%s/idx", dir,
				 ent->d_name);
			unlink(path);
			snprintf(path, sizeof(path), "%s/%s/tab", dir,
				 ent->d_name);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		e = is_recent ? rmdir(path) : unlink(path);
		if (e && !r)
			r = -errno;
	}
	closedir(d);
	if (!ref_prefix && rmdir(dir) && !r)
		r = -errno;
	return r;
}

int bf_recent_unpin_all(const char *nsdir)
{
	return bf_stateful_unpin(nsdir, "recent", NULL);
}

int bf_stateful_gc(const char *nsdir)
{
	/* errors keep tables: better than losing one */
	bf_stateful_unpin(nsdir, "recent", "ref-r-");
	bf_stateful_unpin(nsdir, "hashlimit", "ref-h-");
	return 0;
}
