// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binary snapshot of a slot's parsed IR: see load/irsnap.h and
 * doc/live.md ("State without a parse").
 *
 * Layout of the map's bytes: struct hdr, then the file names (u16
 * length + bytes), then each chain (its struct, pointers and numbering
 * cleared) followed by its rules (u16 file index, the struct, then its
 * matches). Structs are stored with their runs of zero bytes squeezed
 * (rle_put()): the IR's unions are mostly zeros, so a rule of a few
 * matches takes ~100-200 bytes instead of several KB.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "load/irsnap.h"
#include "load/load.h"
#include "load/pin.h"
#include "load/seg.h"
#include "set/slot.h"

#define SNAP_MAGIC "bfirsn2"
#define SNAP_VALUE (64u * 1024)
/* bounds against a corrupted map: 256 MiB, 1 M chains, 16 M rules */
#define SNAP_MAX_BYTES (256ull << 20)

/* The IR's layout as this build sees it: a snapshot made by another
 * build (another layout, perhaps) is not used. */
#define SNAP_BUILD __DATE__ " " __TIME__

struct hdr {
	char magic[8];
	char build[24];
	uint32_t sizes[4]; /* match, verdict, rule, chain */
	uint32_t counts[2]; /* BF_MATCH_COUNT, BF_VERDICT_COUNT */
	uint64_t generation; /* of the state it was made from */
	uint32_t state_id; /* id of that state map */
	uint32_t families;
	uint32_t len[BF_FAMILY_COUNT]; /* its text lengths */
	uint32_t sets_len;
	uint32_t n_chains, n_files;
	uint64_t payload; /* bytes after the header */
};

/* A rule as stored, before its verdict and matches (trim_put()); its
 * file is the state of its family. */
struct rule_head {
	uint32_t family;
	int32_t line;
	uint32_t n_matches;
};

static void hdr_layout(struct hdr *h)
{
	memcpy(h->magic, SNAP_MAGIC, sizeof(h->magic));
	snprintf(h->build, sizeof(h->build), "%s", SNAP_BUILD);
	h->sizes[0] = sizeof(struct bf_match);
	h->sizes[1] = sizeof(struct bf_verdict);
	h->sizes[2] = sizeof(struct bf_rule);
	h->sizes[3] = sizeof(struct bf_chain);
	h->counts[0] = BF_MATCH_COUNT;
	h->counts[1] = BF_VERDICT_COUNT;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- a growing buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
	bool fixed; /* p is not ours (a map): never realloc'd */
};

static uint8_t *buf_room(struct buf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1u << 20;
		uint8_t *p;

		if (b->fixed) {
			b->oom = true;
			return NULL;
		}
		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void buf_put(struct buf *b, const void *src, size_t n)
{
	uint8_t *d = buf_room(b, n);

	if (d)
		memcpy(d, src, n);
}

static void put_u16(struct buf *b, uint16_t v)
{
	buf_put(b, &v, sizeof(v));
}

/* size bytes of p as tokens (u8 literal count, the literal bytes, u8
 * count of zero bytes) until size bytes are covered. */
static void rle_put(struct buf *b, const void *p, size_t size)
{
	const uint8_t *s = p;
	size_t i = 0;

	while (i < size) {
		size_t lit = 0, z = 0;
		uint8_t *d;

		while (i + lit < size && lit < 255 && s[i + lit])
			lit++;
		d = buf_room(b, 1 + lit);
		if (!d)
			return;
		d[0] = (uint8_t)lit;
		memcpy(d + 1, s + i, lit);
		i += lit;
		while (i + z < size && z < 255 && !s[i + z])
			z++;
		d = buf_room(b, 1);
		if (!d)
			return;
		d[0] = (uint8_t)z;
		i += z;
	}
}

/* The bytes of p up to its last non-zero one, at least min of them:
 * u16 count, then them. */
static void trim_put_min(struct buf *b, const void *p, size_t size, size_t min)
{
	const uint8_t *s = p;
	size_t n = size;
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, s + n - 8, 8);
		if (w)
			break;
		n -= 8;
	}
	while (n && !s[n - 1])
		n--;
	if (n < min)
		n = min;
	put_u16(b, (uint16_t)n);
	buf_put(b, s, n);
}

static void trim_put(struct buf *b, const void *p, size_t size)
{
	trim_put_min(b, p, size, 0);
}

/* A stored match always covers its line field (MATCH_LINE_END bytes at
 * least), so that a copied record's line can be rewritten in place
 * (splice below). */
#define MATCH_LINE_END (offsetof(struct bf_match, line) + sizeof(int))

/* A match stored at offset at of b (its bytes, after the count) is to
 * carry line as its line: rewrite it there. */
static void put_line(struct buf *b, size_t at, int line)
{
	if (b->oom)
		return;
	memcpy(b->p + at + offsetof(struct bf_match, line), &line,
	       sizeof(line));
}

/* ---- reading, with bounds ---- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	r->off += n;
	return r->p + r->off - n;
}

static uint16_t get_u16(struct rd *r)
{
	const uint8_t *s = rd_take(r, 2);
	uint16_t v = 0;

	if (s)
		memcpy(&v, s, 2);
	return v;
}

/* What trim_put() wrote, into out (zeroed by the caller). */
static void trim_get(struct rd *r, void *out, size_t size)
{
	uint16_t n = get_u16(r);
	const uint8_t *s;

	if (n > size) {
		r->bad = true;
		return;
	}
	s = rd_take(r, n);
	if (s)
		memcpy(out, s, n);
}

static void rle_get(struct rd *r, void *out, size_t size)
{
	uint8_t *d = out;
	size_t i = 0;

	memset(out, 0, size);
	while (i < size && !r->bad) {
		const uint8_t *n = rd_take(r, 1);
		const uint8_t *lit;

		if (!n || *n > size - i) {
			r->bad = true;
			return;
		}
		lit = rd_take(r, *n);
		if (!lit)
			return;
		memcpy(d + i, lit, *n);
		i += *n;
		n = rd_take(r, 1);
		if (!n || *n > size - i) {
			r->bad = true;
			return;
		}
		i += *n;
	}
}

/* ---- the structs as stored: no pointers, no numbering ---- */

static void norm_chain(const struct bf_chain *c, struct bf_chain *out)
{
	memcpy(out, c, sizeof(*out));
	out->rules = NULL;
	out->cap_rules = 0;
	out->policy_counter_idx = 0;
}

static void norm_rule(const struct bf_rule *r, struct bf_rule *out)
{
	memcpy(out, r, sizeof(*out));
	out->matches = NULL;
	out->file = NULL;
	out->counter_idx = 0;
}

/* ---- the map ---- */

static int map_of(const char *slotdir, const char *name)
{
	char path[PATH_MAX];

	bf_path(path, sizeof(path), "%s/%s", slotdir, name);
	return bpf_obj_get(path);
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static void drop(const char *slotdir)
{
	char path[PATH_MAX];

	bf_path(path, sizeof(path), "%s/irsnap", slotdir);
	unlink(path);
}

static bool env_is(const char *name, const char *v)
{
	const char *e = getenv(name);

	return e && !strcmp(e, v);
}

/* ---- store ---- */

static bool has_userbpf(const struct bf_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		for (size_t j = 0; j < c->n_rules; j++) {
			if (c->rules[j].verdict.kind == BF_VERDICT_BPF)
				return true;
			for (size_t k = 0; k < c->rules[j].n_matches; k++) {
				if (c->rules[j].matches[k].type == BF_MATCH_BPF)
					return true;
			}
		}
	}
	return false;
}

const char *bf_irsnap_next_line(const char *s)
{
	const char *e = strchr(s, '\n');

	return e ? e + 1 : s + strlen(s);
}

/* The chain of family f that a ":NAME ..." or "-A NAME ..." line names
 * (name at l, up to a space or the end of the line); -1 if none. */
long bf_irsnap_chain_at(const struct bf_ruleset *rs, enum bf_family f,
			const char *l, long hint)
{
	size_t n = strcspn(l, " \n");

	if (hint >= 0 && rs->chains[hint].family == f &&
	    strlen(rs->chains[hint].name) == n &&
	    !memcmp(rs->chains[hint].name, l, n))
		return hint;
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].family == f &&
		    strlen(rs->chains[i].name) == n &&
		    !memcmp(rs->chains[i].name, l, n))
			return (long)i;
	}
	return -1;
}

/* The source lines that parsing st's text gives rs's chains (clines)
 * and rules (rlines, all chains' rules in order): 0, or 1 when the text
 * and rs disagree. */
static int text_lines(const struct bf_ruleset *rs, const struct bf_state *st,
		      int *clines, int *rlines, const size_t *first)
{
	_cleanup_free_ size_t *next = calloc(rs->n_chains + 1, sizeof(*next));

	if (!next)
		return -ENOMEM;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		long hint = -1;
		int line = 1;

		if (!(st->hdr.families & (1u << f)) || !st->text[f])
			continue;
		for (const char *l = st->text[f]; *l;
		     l = bf_irsnap_next_line(l), line++) {
			long ci;

			if (l[0] == ':') {
				ci = bf_irsnap_chain_at(rs, f, l + 1, -1);
				if (ci < 0)
					return 1;
				clines[ci] = line;
			} else if (!strncmp(l, "-A ", 3)) {
				ci = bf_irsnap_chain_at(rs, f, l + 3, hint);
				if (ci < 0 ||
				    next[ci] >= rs->chains[ci].n_rules)
					return 1;
				hint = ci;
				rlines[first[ci] + next[ci]++] = line;
			}
		}
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (next[i] != rs->chains[i].n_rules)
			return 1;
	}
	return 0;
}

/* One rule as parsing the state's text gives it: its file and line, no
 * rule counter (the text has none), each match at its rule's line. */
static void encode_rule(struct buf *b, const struct bf_rule *rule, int line)
{
	struct rule_head rh = {
		.family = (uint32_t)rule->family,
		.line = line,
		.n_matches = (uint32_t)rule->n_matches,
	};

	buf_put(b, &rh, sizeof(rh));
	trim_put(b, &rule->verdict, sizeof(rule->verdict));
	for (size_t k = 0; k < rule->n_matches; k++) {
		const struct bf_match *m = &rule->matches[k];
		size_t at = b->len + 2;

		trim_put_min(b, m, sizeof(*m), MATCH_LINE_END);
		if (m->line != line)
			put_line(b, at, line);
	}
}

/* Past one stored rule of r, its stored line in *line. 0, or 1 when r does not hold a rule. */
static int skip_rule(struct rd *r, int *line)
{
	const uint8_t *hp = rd_take(r, sizeof(struct rule_head));
	struct rule_head rh;
	uint16_t n;

	if (!hp)
		return 1;
	memcpy(&rh, hp, sizeof(rh));
	if (rh.n_matches > 4096)
		return 1;
	n = get_u16(r);
	if (!rd_take(r, n))
		return 1;
	for (uint32_t k = 0; k < rh.n_matches; k++) {
		n = get_u16(r);
		if (!rd_take(r, n) || n < MATCH_LINE_END)
			return 1;
	}
	*line = rh.line;
	return 0;
}

/* Past n stored rules of r; with b, copy them there in one piece, then
 * rewrite the line of those whose line is not lines[j] (and of their
 * matches: a stored match carries its rule's line, encode_rule()). 0, or
 * 1 when r does not hold n rules. */
static int copy_run(struct rd *r, struct buf *b, const int *lines, size_t n)
{
	size_t start = r->off, o;
	int line;

	for (size_t j = 0; j < n; j++) {
		if (skip_rule(r, &line))
			return 1;
	}
	if (!b || r->off == start)
		return 0;
	o = b->len;
	if (!buf_room(b, r->off - start))
		return 0; /* b->oom: the caller's error */
	memcpy(b->p + o, r->p + start, r->off - start);
	for (size_t j = 0; j < n; j++) {
		struct rule_head rh;
		uint16_t len;
		bool moved;

		memcpy(&rh, b->p + o, sizeof(rh));
		moved = rh.line != lines[j];
		if (moved) {
			rh.line = lines[j];
			memcpy(b->p + o, &rh, sizeof(rh));
		}
		o += sizeof(rh);
		memcpy(&len, b->p + o, sizeof(len));
		o += sizeof(len) + len;
		for (uint32_t k = 0; k < rh.n_matches; k++) {
			memcpy(&len, b->p + o, sizeof(len));
			o += sizeof(len);
			if (moved)
				put_line(b, o, lines[j]);
			o += len;
		}
	}
	return 0;
}

/* The old snapshot's payload and the change (bf_irsnap_store_change()). */
struct splice {
	struct rd rd;
	const struct bf_irsnap_change *chg;
};

/* The rules of chain i (c) after its record: from the old snapshot where
 * unchanged, encoded where in the change's window. 0, or 1 when the old
 * snapshot does not fit. */
static int splice_chain(struct splice *sp, size_t i, const struct bf_chain *c,
			const int *lines, struct buf *b)
{
	const struct bf_irsnap_change *g = sp->chg;
	size_t n = c->n_rules, p = n, oe = n, ne = n, old_n = n;
	struct bf_chain oc;

	if (i == g->ci) {
		p = g->p;
		oe = g->oe;
		ne = g->ne;
		old_n = g->old_n;
		if (p > oe || oe > old_n || p > ne || ne > n ||
		    n - ne != old_n - oe)
			return 1;
	}
	rle_get(&sp->rd, &oc, sizeof(oc));
	if (sp->rd.bad || oc.name[BF_CHAIN_NAME_MAX] ||
	    strcmp(oc.name, c->name) || oc.family != c->family ||
	    oc.builtin != c->builtin || oc.n_rules != old_n)
		return 1;
	/* the unchanged rules in runs (copy_run()), the window encoded */
	if (copy_run(&sp->rd, b, lines, p) ||
	    copy_run(&sp->rd, NULL, NULL, oe - p))
		return 1;
	for (size_t j = p; j < ne; j++)
		encode_rule(b, &c->rules[j], lines[j]);
	return copy_run(&sp->rd, b, lines + ne, n - ne);
}

/* The snapshot of rs and st into b; with sp, the unchanged rules copied
 * from the old snapshot (1 when it does not fit). */
static int encode(const struct bf_ruleset *rs, const struct bf_state *st,
		  const char *slot_name, struct buf *b, struct splice *sp)
{
	_cleanup_free_ size_t *first = NULL, *order = NULL;
	_cleanup_free_ int *clines = NULL, *rlines = NULL;
	char names[BF_FAMILY_COUNT][64];
	size_t total = 0, n_order = 0;
	struct hdr h = { 0 };
	int r;

	first = calloc(rs->n_chains + 1, sizeof(*first));
	clines = calloc(rs->n_chains + 1, sizeof(*clines));
	if (!first || !clines)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_chains; i++) {
		first[i] = total;
		total += rs->chains[i].n_rules;
	}
	rlines = calloc(total + 1, sizeof(*rlines));
	if (!rlines)
		return -ENOMEM;
	/* ~100 bytes a rule: room for it at once (no copy while growing) */
	if (!b->fixed && !buf_room(b, 4096 + total * 160))
		return -ENOMEM;
	b->len = 0;
	r = text_lines(rs, st, clines, rlines, first);
	if (r)
		return r;
	order = malloc((rs->n_chains + 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	/* the chains in the order parsing gives them: the built-in ones
	 * (bf_ruleset_new()), then each family's user chains in the order
	 * of their ":NAME" lines; bf_ruleset_number() depends on it */
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].builtin)
			order[n_order++] = i;
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		size_t from = n_order;

		for (size_t i = 0; i < rs->n_chains; i++) {
			size_t k;

			if (rs->chains[i].builtin ||
			    (int)rs->chains[i].family != f)
				continue;
			if (!clines[i])
				return 1; /* not in the text */
			for (k = n_order++;
			     k > from && clines[order[k - 1]] > clines[i]; k--)
				order[k] = order[k - 1];
			order[k] = i;
		}
	}

	hdr_layout(&h);
	h.n_chains = (uint32_t)n_order;
	h.n_files = BF_FAMILY_COUNT;
	buf_put(b, &h, sizeof(h));
	/* the file names bf_state_parse() gives, one per family */
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		snprintf(names[f], sizeof(names[f]), "<%s %s state>", slot_name,
			 bf_family_name(f));
		put_u16(b, (uint16_t)strlen(names[f]));
		buf_put(b, names[f], strlen(names[f]));
		/* the old snapshot's file names: the same */
		if (sp) {
			uint16_t n = get_u16(&sp->rd);
			const uint8_t *s = rd_take(&sp->rd, n);

			if (!s || n != strlen(names[f]) ||
			    memcmp(s, names[f], n))
				return 1;
		}
	}
	for (size_t o = 0; o < n_order; o++) {
		size_t i = order[o];
		const struct bf_chain *c = &rs->chains[i];
		bool parsed = st->hdr.families & (1u << c->family);
		struct bf_chain nc;

		norm_chain(c, &nc);
		nc.line = parsed ? clines[i] : 0;
		if (!c->builtin)
			memset(&nc.policy_counter, 0,
			       sizeof(nc.policy_counter));
		rle_put(b, &nc, sizeof(nc));
		if (sp) {
			if (splice_chain(sp, i, c, rlines + first[i], b))
				return 1;
			continue;
		}
		for (size_t j = 0; j < c->n_rules; j++)
			encode_rule(b, &c->rules[j], rlines[first[i] + j]);
	}
	if (sp && sp->rd.off != sp->rd.len)
		return 1;
	if (b->oom)
		return -ENOMEM;
	if (b->len > SNAP_MAX_BYTES)
		return -E2BIG;
	((struct hdr *)b->p)->payload = b->len - sizeof(h);
	return 0;
}

/* The snapshot pinned in slotdir if it is the one of the state old
 * (header as bf_irsnap_load() checks it, but for the state map's id:
 * the caller decoded it under the lock it still holds): mapped at *m
 * (*len bytes), its header at h. 0, or 1 when there is none such. */
static int old_snapshot(const char *slotdir, const struct bf_state *old,
			struct hdr *h, void **m, size_t *len)
{
	_cleanup_close_ int fd = map_of(slotdir, "irsnap");
	struct bpf_map_info info = { 0 };
	uint32_t ilen = sizeof(info);
	struct hdr want = { 0 };

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &ilen) ||
	    info.value_size != SNAP_VALUE || !info.max_entries ||
	    (uint64_t)info.max_entries * SNAP_VALUE > SNAP_MAX_BYTES)
		return 1;
	*len = (size_t)info.max_entries * SNAP_VALUE;
	*m = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	if (*m == MAP_FAILED)
		return 1;
	memcpy(h, *m, sizeof(*h));
	hdr_layout(&want);
	if (memcmp(h->magic, want.magic, sizeof(h->magic)) ||
	    memcmp(h->build, want.build, sizeof(h->build)) ||
	    memcmp(h->sizes, want.sizes, sizeof(h->sizes)) ||
	    memcmp(h->counts, want.counts, sizeof(h->counts)) ||
	    h->generation != old->hdr.generation ||
	    h->families != old->hdr.families ||
	    memcmp(h->len, old->hdr.len, sizeof(h->len)) ||
	    h->sets_len != old->hdr.sets_len || h->n_files != BF_FAMILY_COUNT ||
	    h->payload > *len - sizeof(*h)) {
		munmap(*m, *len);
		return 1;
	}
	return 0;
}

/* The rules of the change's window: user BPF code (no snapshot)? The
 * others were in the old snapshot, which has none. */
static bool window_userbpf(const struct bf_ruleset *rs,
			   const struct bf_irsnap_change *g)
{
	const struct bf_chain *c = &rs->chains[g->ci];

	for (size_t j = g->p; j < g->ne && j < c->n_rules; j++) {
		if (c->rules[j].verdict.kind == BF_VERDICT_BPF)
			return true;
		for (size_t k = 0; k < c->rules[j].n_matches; k++) {
			if (c->rules[j].matches[k].type == BF_MATCH_BPF)
				return true;
		}
	}
	return false;
}

/* The snapshot of rs and st in b: spliced from the old one when chg
 * allows (*spliced), else encoded whole. 0, 1 (text and rs differ) or
 * -errno. */
static int make(const struct bf_ruleset *rs, const struct bf_state *st,
		const char *slotdir, const char *slot_name,
		const struct bf_irsnap_change *chg, struct buf *b,
		bool *spliced)
{
	struct hdr oh;
	void *om = NULL;
	size_t olen = 0;
	int r;

	*spliced = false;
	if (chg && chg->ci < rs->n_chains &&
	    !old_snapshot(slotdir, chg->old, &oh, &om, &olen)) {
		struct splice sp = {
			.rd = { .p = (const uint8_t *)om + sizeof(oh),
				.len = (size_t)oh.payload },
			.chg = chg,
		};

		r = oh.n_chains == rs->n_chains ?
			    encode(rs, st, slot_name, b, &sp) :
			    1;
		munmap(om, olen);
		if (r <= 0) {
			*spliced = !r;
			return r;
		}
		bf_dbg("IR snapshot: the old one does not fit the change: "
		       "encoding it all");
		b->len = 0;
		b->oom = false;
	}
	return encode(rs, st, slot_name, b, NULL);
}

/* The header fields that tie snapshot h to the state st (in map
 * state_fd). 0, or -EINVAL when that map has no id. */
static int tie(struct hdr *h, const struct bf_state *st, int state_fd)
{
	h->generation = st->hdr.generation;
	h->state_id = map_id(state_fd);
	h->families = st->hdr.families;
	memcpy(h->len, st->hdr.len, sizeof(h->len));
	h->sets_len = st->hdr.sets_len;
	return h->state_id ? 0 : -EINVAL;
}

/* The splice of bf_irsnap_store_change() written straight into the new
 * map (no buffer of the whole snapshot, no copy of it): sized for the old
 * payload and the window's rules at their largest. 0 (pinned), 1 (it does
 * not fit: the caller does it the long way) or -errno. */
static int store_in_map(const struct bf_ruleset *rs, const struct bf_state *st,
			int state_fd, const char *slotdir,
			const char *slot_name,
			const struct bf_irsnap_change *chg, double t0)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	const struct bf_chain *c = &rs->chains[chg->ci];
	struct buf b = { .fixed = true };
	struct hdr oh;
	void *om = NULL, *m;
	size_t olen = 0, len, bound;
	double t1;
	uint32_t n;
	int fd, r;

	if (old_snapshot(slotdir, chg->old, &oh, &om, &olen))
		return 1;
	bound = sizeof(struct hdr) + (size_t)oh.payload + 4096 +
		rs->n_chains * 2 * sizeof(struct bf_chain);
	for (size_t j = chg->p; j < chg->ne && j < c->n_rules; j++)
		bound += sizeof(struct rule_head) + 2 +
			 sizeof(struct bf_verdict) +
			 c->rules[j].n_matches * (2 + sizeof(struct bf_match));
	n = (uint32_t)((bound + SNAP_VALUE - 1) / SNAP_VALUE);
	fd = oh.n_chains == rs->n_chains && bound <= SNAP_MAX_BYTES ?
		     bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_irsnap", 4,
				    SNAP_VALUE, n, &mo) :
		     -1;
	len = (size_t)n * SNAP_VALUE;
	m = fd >= 0 ?
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) :
		    MAP_FAILED;
	if (m == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		munmap(om, olen);
		return 1;
	}
	{
		struct splice sp = {
			.rd = { .p = (const uint8_t *)om + sizeof(oh),
				.len = (size_t)oh.payload },
			.chg = chg,
		};

		b.p = m;
		b.cap = len;
		r = encode(rs, st, slot_name, &b, &sp);
	}
	munmap(om, olen);
	if (r == -ENOMEM && b.oom)
		r = 1; /* larger than the bound */
	if (!r && env_is("BPFILTER_IRSNAP_CHECK", "1")) {
		/* the splice gives the bytes of a full encode */
		struct buf full = { 0 };

		r = encode(rs, st, slot_name, &full, NULL);
		if (!r && (full.len != b.len || memcmp(full.p, b.p, b.len))) {
			bf_err("IR snapshot: the spliced one differs from "
			       "the encoded one");
			r = -EPROTO;
		}
		free(full.p);
	}
	if (!r)
		r = tie((struct hdr *)m, st, state_fd);
	t1 = now_ms();
	munmap(m, len);
	if (!r) {
		bpf_map_freeze(fd);
		r = bf_pin_replace(fd, slotdir, "irsnap");
	}
	close(fd);
	if (!r)
		bf_dbg("IR snapshot: %zu bytes, spliced in %.1f ms, stored in "
		       "%.1f ms (in its map)",
		       b.len, t1 - t0, now_ms() - t1);
	return r;
}

int bf_irsnap_store(const struct bf_ruleset *rs, const struct bf_state *st,
		    int state_fd, const char *slotdir, const char *slot_name)
{
	return bf_irsnap_store_change(rs, st, state_fd, slotdir, slot_name,
				      NULL);
}

int bf_irsnap_store_change(const struct bf_ruleset *rs,
			   const struct bf_state *st, int state_fd,
			   const char *slotdir, const char *slot_name,
			   const struct bf_irsnap_change *chg)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	struct buf b = { 0 };
	double t0 = now_ms(), t1 = t0;
	bool spliced = false;
	struct hdr *h;
	uint32_t n;
	size_t len;
	void *m;
	int fd = -1, r;

	if (chg && chg->ci >= rs->n_chains)
		chg = NULL;
	if (env_is("BPFILTER_IRSNAP", "0") ||
	    (chg ? window_userbpf(rs, chg) : has_userbpf(rs))) {
		drop(slotdir);
		return 0;
	}
	if (chg && !env_is("BPFILTER_IRSNAP_INMAP", "0")) {
		r = store_in_map(rs, st, state_fd, slotdir, slot_name, chg, t0);
		if (r <= 0)
			goto out;
		bf_dbg("IR snapshot: the old one does not fit the change: "
		       "encoding it all");
		chg = NULL;
	}
	r = make(rs, st, slotdir, slot_name, chg, &b, &spliced);
	if (!r && spliced && env_is("BPFILTER_IRSNAP_CHECK", "1")) {
		/* the splice gives the bytes of a full encode */
		struct buf full = { 0 };

		r = encode(rs, st, slot_name, &full, NULL);
		if (!r && (full.len != b.len || memcmp(full.p, b.p, b.len))) {
			bf_err("IR snapshot: the spliced one differs from "
			       "the encoded one");
			r = -EPROTO;
		}
		free(full.p);
	}
	if (r) {
		if (r == 1)
			bf_dbg("IR snapshot not written: the state text and "
			       "the ruleset differ");
		goto out;
	}
	t1 = now_ms();
	h = (struct hdr *)b.p;
	r = tie(h, st, state_fd);
	if (r)
		goto out;

	n = (uint32_t)((b.len + SNAP_VALUE - 1) / SNAP_VALUE);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_irsnap", 4, SNAP_VALUE, n,
			    &mo);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	len = (size_t)n * SNAP_VALUE;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	memcpy(m, b.p, b.len);
	munmap(m, len);
	bpf_map_freeze(fd);
	r = bf_pin_replace(fd, slotdir, "irsnap");
	if (!r)
		bf_dbg("IR snapshot: %zu bytes, %s in %.1f ms, stored in "
		       "%.1f ms",
		       b.len, spliced ? "spliced" : "encoded", t1 - t0,
		       now_ms() - t1);
out:
	if (r < 0)
		bf_dbg("IR snapshot not written: %s", strerror(-r));
	if (r)
		drop(slotdir);
	if (fd >= 0)
		close(fd);
	free(b.p);
	return r < 0 ? r : 0;
}

/* ---- load ---- */

static int decode(struct rd *rd, const struct hdr *h, struct bf_ruleset *rs)
{
	struct bf_chain *chains = NULL;
	const char *files[BF_FAMILY_COUNT] = { 0 };
	size_t n = 0;
	int r = 1;

	if (h->n_files != BF_FAMILY_COUNT || !h->n_chains ||
	    h->n_chains > (1u << 20))
		return 1;
	for (uint32_t i = 0; i < h->n_files; i++) {
		uint16_t len = get_u16(rd);
		const uint8_t *s = rd_take(rd, len);
		char name[256];

		if (!s || len >= sizeof(name))
			return 1;
		memcpy(name, s, len);
		name[len] = '\0';
		files[i] = bf_ruleset_intern_file(rs, name);
		if (!files[i])
			return -ENOMEM;
	}
	chains = calloc(h->n_chains, sizeof(*chains));
	if (!chains)
		return -ENOMEM;
	for (n = 0; n < h->n_chains; n++) {
		struct bf_chain *c = &chains[n];

		rle_get(rd, c, sizeof(*c));
		if (rd->bad || c->n_rules > (1u << 24) ||
		    c->name[BF_CHAIN_NAME_MAX] ||
		    (unsigned)c->family >= BF_FAMILY_COUNT) {
			c->n_rules = 0;
			n++;
			goto fail;
		}
		c->rules =
			calloc(c->n_rules ? c->n_rules : 1, sizeof(*c->rules));
		if (!c->rules) {
			c->n_rules = 0;
			n++;
			r = -ENOMEM;
			goto fail;
		}
		c->cap_rules = c->n_rules ? c->n_rules : 1;
		for (size_t j = 0; j < c->n_rules; j++) {
			struct bf_rule *rule = &c->rules[j];
			const uint8_t *hp =
				rd_take(rd, sizeof(struct rule_head));
			struct rule_head rh = { 0 };
			size_t nm;

			if (hp)
				memcpy(&rh, hp, sizeof(rh));
			trim_get(rd, &rule->verdict, sizeof(rule->verdict));
			nm = rh.n_matches;
			if (rd->bad || rh.family >= BF_FAMILY_COUNT ||
			    nm > 4096 ||
			    rule->verdict.kind >= BF_VERDICT_COUNT) {
				n++;
				goto fail;
			}
			rule->family = (enum bf_family)rh.family;
			rule->line = rh.line;
			rule->file = files[rh.family];
			if (!nm)
				continue;
			rule->matches = calloc(nm, sizeof(*rule->matches));
			if (!rule->matches) {
				n++;
				r = -ENOMEM;
				goto fail;
			}
			rule->n_matches = nm;
			for (size_t k = 0; k < nm; k++) {
				trim_get(rd, &rule->matches[k],
					 sizeof(rule->matches[k]));
				if (rule->matches[k].type >= BF_MATCH_COUNT)
					rd->bad = true;
			}
			if (rd->bad) {
				n++;
				goto fail;
			}
		}
	}
	if (rd->off != rd->len)
		goto fail;
	/* rs is fresh: its chains are the empty built-in ones */
	for (size_t i = 0; i < rs->n_chains; i++)
		free(rs->chains[i].rules);
	free(rs->chains);
	rs->chains = chains;
	rs->n_chains = rs->cap_chains = h->n_chains;
	rs->families |= h->families;
	return 0;
fail:
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < chains[i].n_rules; j++)
			bf_rule_release(&chains[i].rules[j]);
		free(chains[i].rules);
	}
	free(chains);
	return r;
}

/* rs == ref, field by field as stored (BPFILTER_IRSNAP_CHECK). */
static bool same_ir(const struct bf_ruleset *rs, const struct bf_ruleset *ref)
{
	if (rs->n_chains != ref->n_chains)
		return false;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *a = &rs->chains[i], *b = &ref->chains[i];
		struct bf_chain na, nb;

		norm_chain(a, &na);
		norm_chain(b, &nb);
		if (memcmp(&na, &nb, sizeof(na))) {
			bf_err("IR snapshot: chain %s differs (builtin %d/%d, "
			       "hook %d/%d, policy %d/%d, line %d/%d, rules "
			       "%zu/%zu)",
			       a->name, a->builtin, b->builtin, a->hook,
			       b->hook, a->policy, b->policy, a->line, b->line,
			       a->n_rules, b->n_rules);
			return false;
		}
		for (size_t j = 0; j < a->n_rules; j++) {
			const struct bf_rule *x = &a->rules[j],
					     *y = &b->rules[j];
			struct bf_rule nx, ny;

			norm_rule(x, &nx);
			norm_rule(y, &ny);
			if (memcmp(&nx, &ny, sizeof(nx)) ||
			    !x->file != !y->file ||
			    (x->file && strcmp(x->file, y->file)) ||
			    (x->n_matches &&
			     memcmp(x->matches, y->matches,
				    x->n_matches * sizeof(*x->matches)))) {
				bf_err("IR snapshot: rule %zu of %s differs", j,
				       a->name);
				return false;
			}
		}
	}
	return true;
}

int bf_irsnap_load(struct bf_ruleset *rs, const struct bf_state *st,
		   const char *slotdir, const char *slot_name)
{
	_cleanup_close_ int fd = -1, sfd = -1;
	struct bpf_map_info info = { 0 };
	uint32_t ilen = sizeof(info);
	struct hdr want = { 0 }, h;
	double t0 = now_ms();
	struct rd rd;
	size_t len;
	void *m;
	int r;

	if (env_is("BPFILTER_IRSNAP", "0") || !slotdir || !*slotdir)
		return 1;
	fd = map_of(slotdir, "irsnap");
	if (fd < 0)
		return 1;
	sfd = map_of(slotdir, "state");
	if (sfd < 0 || bpf_obj_get_info_by_fd(fd, &info, &ilen) ||
	    info.value_size != SNAP_VALUE || !info.max_entries ||
	    (uint64_t)info.max_entries * SNAP_VALUE > SNAP_MAX_BYTES)
		return 1;
	len = (size_t)info.max_entries * SNAP_VALUE;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 1;
	memcpy(&h, m, sizeof(h));
	hdr_layout(&want);
	r = 1;
	if (memcmp(h.magic, want.magic, sizeof(h.magic)) ||
	    memcmp(h.build, want.build, sizeof(h.build)) ||
	    memcmp(h.sizes, want.sizes, sizeof(h.sizes)) ||
	    memcmp(h.counts, want.counts, sizeof(h.counts))) {
		bf_dbg("IR snapshot of another build: parsing the state");
		goto out;
	}
	if (h.generation != st->hdr.generation || h.state_id != map_id(sfd) ||
	    h.families != st->hdr.families ||
	    memcmp(h.len, st->hdr.len, sizeof(h.len)) ||
	    h.sets_len != st->hdr.sets_len || h.payload > len - sizeof(h)) {
		bf_dbg("IR snapshot of another state: parsing the state");
		goto out;
	}
	/* named sets as bf_state_parse() reads them: from their text */
	r = bf_sets_from_state(rs, st->sets, slot_name);
	if (r)
		goto out;
	rd = (struct rd){ .p = (const uint8_t *)m + sizeof(h),
			  .len = (size_t)h.payload };
	r = decode(&rd, &h, rs);
	if (r == 1)
		bf_dbg("IR snapshot does not decode: parsing the state");
	if (!r)
		bf_dbg("IR snapshot: %llu bytes decoded in %.1f ms",
		       (unsigned long long)h.payload, now_ms() - t0);
	if (!r && env_is("BPFILTER_IRSNAP_CHECK", "1")) {
		struct bf_ruleset *ref = bf_ruleset_new();

		if (!ref) {
			r = -ENOMEM;
			goto out;
		}
		r = bf_state_parse(ref, st, slot_name, st->hdr.families);
		if (!r && !same_ir(rs, ref)) {
			bf_err("IR snapshot of %s differs from its state",
			       slotdir);
			r = -EPROTO;
		}
		bf_ruleset_free(&ref);
	}
out:
	munmap(m, len);
	return r;
}

bool bf_irsnap_of(const struct bf_state *st, uint32_t state_id,
		  const char *slotdir)
{
	_cleanup_close_ int fd = -1;
	struct bpf_map_info info = { 0 };
	uint32_t ilen = sizeof(info);
	struct hdr want = { 0 }, h;
	bool ok;
	void *m;

	if (env_is("BPFILTER_IRSNAP", "0") || !slotdir || !*slotdir)
		return false;
	fd = map_of(slotdir, "irsnap");
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &ilen) ||
	    info.value_size != SNAP_VALUE || !info.max_entries)
		return false;
	/* the header only: the first page */
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return false;
	memcpy(&h, m, sizeof(h));
	munmap(m, 4096);
	hdr_layout(&want);
	ok = !memcmp(h.magic, want.magic, sizeof(h.magic)) &&
	     !memcmp(h.build, want.build, sizeof(h.build)) &&
	     !memcmp(h.sizes, want.sizes, sizeof(h.sizes)) &&
	     !memcmp(h.counts, want.counts, sizeof(h.counts)) &&
	     h.generation == st->hdr.generation && h.state_id == state_id &&
	     h.families == st->hdr.families &&
	     !memcmp(h.len, st->hdr.len, sizeof(h.len)) &&
	     h.sets_len == st->hdr.sets_len;
	return ok;
}
