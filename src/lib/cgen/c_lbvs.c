// SPDX-License-Identifier: GPL-2.0-only
/*
 * The classifier function of the bit-vector search (c_lbvs.h,
 * doc/classification.md "Bit-vector search"), and its maps.
 *
 * Per packet: one lookup per field tested by some member (an LPM trie for
 * addresses, arrays for ports, protocol and flags) gives a class id; one
 * array lookup per class gives its vector. The vectors are ANDed summary
 * word by summary word; each set bit of an ANDed summary word names a data
 * word whose AND may be non-zero; the first non-zero data word holds the
 * first matching member in its lowest set bit. BPF has no "count trailing
 * zeros": the lowest set bit x = v & -v is found as popcount(x - 1), without
 * branches, so that the verifier sees one path per loop iteration.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfilter/log.h"
#include "cgen/c_lbvs.h"
#include "cgen/c_lbvs_flat.h"
#include "cgen/c_lbvs_iv.h"
#include "cgen/c_lbvs_pp.h"
#include "cgen/pctx.h"

static int push_map(struct bf_prog_map **maps, size_t *n_maps,
		    const struct bf_prog_map *m)
{
	struct bf_prog_map *n = realloc(*maps, (*n_maps + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	*maps = n;
	n[(*n_maps)++] = *m;
	return 0;
}

/* How member rule r reads a transport header: 0 if it does not, 1 if it
 * does (*proto, *min_len, *frag1), -1 if not in the one way the vectors
 * model (see bf_lbvs_slow_prepare()). */
static int reads_l4(const struct bf_rule *r, uint8_t *proto, uint8_t *min_len,
		    bool *frag1)
{
	bool seen = false;

	for (size_t i = 0; i < r->n_matches; i++) {
		const struct bf_match *m = &r->matches[i];

		switch (m->type) {
		case BF_MATCH_COMMENT:
			break;
		case BF_MATCH_SADDR:
		case BF_MATCH_DADDR:
		case BF_MATCH_IIFNAME:
		case BF_MATCH_OIFNAME:
		case BF_MATCH_L4PROTO:
			/* a test after the header check runs only if the
			 * check passed: the vectors would test it first */
			if (seen)
				return -1;
			break;
		case BF_MATCH_L4HDR:
			if (m->neg || !m->u.l4hdr.min_len)
				return -1;
			if (seen && (*proto != m->u.l4hdr.proto ||
				     *min_len != m->u.l4hdr.min_len ||
				     *frag1 != m->u.l4hdr.hotdrop_frag1))
				return -1;
			seen = true;
			*proto = m->u.l4hdr.proto;
			*min_len = m->u.l4hdr.min_len;
			*frag1 = m->u.l4hdr.hotdrop_frag1;
			break;
		default:
			/* ports and flags: read after the header check */
			if (!seen)
				return -1;
			break;
		}
	}
	return seen;
}

/* Append a class: the members m with rd[m] == want, summary words
 * included. Returns its id, or -ENOMEM. */
static int64_t add_class(struct bf_lbvs *l, const bool *rd, bool want)
{
	uint32_t vw = bf_lbvs_value_words(l);
	uint64_t *v = realloc(l->vectors,
			      ((size_t)l->n_classes + 1) * vw * sizeof(*v));
	uint64_t *out;

	if (!v)
		return -ENOMEM;
	l->vectors = v;
	out = v + (size_t)l->n_classes * vw;
	memset(out, 0, vw * sizeof(*out));
	for (size_t m = 0; m < l->n_members; m++) {
		if (rd[m] != want)
			continue;
		out[l->summary + m / 64] |= 1ull << (m % 64);
		out[m / 64 / 64] |= 1ull << (m / 64 % 64);
	}
	return l->n_classes++;
}

/* BPFILTER_LBVS_SLOWTAB=0: the slow path's code per protocol (before
 * session 8 round 2), without the table. */
static bool slowtab_enabled(void)
{
	const char *s = getenv("BPFILTER_LBVS_SLOWTAB");

	return !(s && !strcmp(s, "0"));
}

int bf_lbvs_slow_prepare(const struct bf_chain *chain, struct bf_lbvs *l)
{
	/* per protocol: min_len and frag1 of its readers (0: none yet) */
	uint8_t len[256] = { 0 };
	bool frag1[256] = { false };
	int16_t *proto; /* per member: the protocol it reads, or -1 */
	bool any_need = false;
	size_t n = 0;
	int r = 0;

	l->slow_vec = false;
	l->n_slow = 0;
	l->slow_all = UINT32_MAX;
	if (l->family != BF_FAMILY_INET4)
		return 0;
	for (int p = 0; p < 256; p++)
		any_need |= l->need[p] != 0;
	/* no member reads a transport header: every IPv4 packet is plain */
	if (!any_need) {
		l->slow_vec = true;
		return 0;
	}
	/* (readers test their protocol: emit_slow() has a vector to AND) */
	if (!l->fmap[BF_LBVS_PROTO].used)
		return 0;
	proto = malloc((l->n_members ? l->n_members : 1) * sizeof(*proto));
	if (!proto)
		return -ENOMEM;
	for (size_t m = 0; m < l->n_members; m++) {
		uint8_t p = 0, ml = 0;
		bool f1 = false;
		int k = reads_l4(&chain->rules[l->member_rule[m]], &p, &ml,
				 &f1);

		/* every reader of p: the same check, the one that makes
		 * the packet not plain (min_len = need[p]) */
		if (k < 0 ||
		    (k && (ml != l->need[p] || (len[p] && frag1[p] != f1))))
			goto out;
		proto[m] = k ? p : -1;
		if (k) {
			len[p] = ml;
			frag1[p] = f1;
		}
	}
	for (int p = 0; p < 256; p++) {
		if (!l->need[p])
			continue;
		/* need[p] without a reader cannot be; no room: linear */
		if (!len[p] || n == sizeof(l->slow) / sizeof(l->slow[0]))
			goto out;
		l->slow[n++] = (struct bf_lbvs_slow){ .proto = (uint8_t)p,
						      .frag1 = frag1[p] };
	}
	for (size_t k = 0; k < n; k++) {
		bool *rd = malloc(l->n_members ? l->n_members : 1);
		int64_t a, b;

		if (!rd) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t m = 0; m < l->n_members; m++)
			rd[m] = proto[m] == l->slow[k].proto;
		a = add_class(l, rd, true);
		b = a < 0 ? a : add_class(l, rd, false);
		free(rd);
		if (b < 0) {
			r = -ENOMEM;
			goto out;
		}
		l->slow[k].rd = (uint32_t)a;
		l->slow[k].nrd = (uint32_t)b;
	}
	if (n && slowtab_enabled()) {
		/* (emit_slow_tab(): ANDed on a hotdrop, rd carried) */
		bool *all = malloc(l->n_members ? l->n_members : 1);
		int64_t a;

		if (!all) {
			r = -ENOMEM;
			goto out;
		}
		memset(all, 1, l->n_members ? l->n_members : 1);
		a = add_class(l, all, true);
		free(all);
		if (a < 0) {
			r = -ENOMEM;
			goto out;
		}
		l->slow_all = (uint32_t)a;
	}
	l->n_slow = n;
	l->slow_vec = true;
out:
	free(proto);
	return r;
}

/* A de Bruijn sequence: the top 6 bits of it times 2^i differ for each i
 * in 0 .. 63 (lowest_bit()). */
#define DEBRUIJN64 0x03f79d71b4cb0a89ull

/* BPFILTER_LBVS_CTZ=0: the lowest set bit by population count (as before
 * session 8), without the table. */
#define SLOW_TAB_SIZE (256 * 16)
#define SLOW_TAB_NONE 2u

static bool ctz_enabled(void)
{
	const char *s = getenv("BPFILTER_LBVS_CTZ");

	return !(s && !strcmp(s, "0"));
}

/* The slow path's table (opt/lbvs.h slow_off), appended to the flat
 * class vectors' value bv: one path for every protocol, its class rows
 * picked by data (emit_slow_tab()). */
static int slow_tab(struct bf_lbvs *l, struct bf_prog_map *bv)
{
	uint32_t row = bf_lbvs_value_words(l) * 8;
	uint32_t *t;
	uint8_t *v;

	l->slow_off = 0;
	if (!l->slow_vec || !l->n_slow || l->slow_all == UINT32_MAX)
		return 0;
	/* (the u32 entries aligned) */
	bv->value_size = (bv->value_size + 7) & ~7u;
	v = realloc(l->vectors, bv->value_size + SLOW_TAB_SIZE);
	if (!v)
		return -ENOMEM;
	l->vectors = (uint64_t *)v;
	bv->vals = v;
	t = (uint32_t *)(v + bv->value_size);
	for (uint32_t i = 0; i < SLOW_TAB_SIZE / 4; i++)
		t[i] = SLOW_TAB_NONE;
	for (size_t k = 0; k < l->n_slow; k++) {
		const struct bf_lbvs_slow *sl = &l->slow[k];
		uint32_t *e = &t[sl->proto * 4];

		/* offset 0 (and 1 with frag1): the readers hotdrop, so the
		 * first of the AND (with every member), its bit in rd
		 * carried; else the first of the AND and nrd (not in rd: no
		 * hotdrop carried) */
		e[0] = l->slow_all * row;
		e[1] = (sl->frag1 ? l->slow_all : sl->nrd) * row;
		e[2] = sl->nrd * row;
		e[3] = sl->rd * row;
	}
	l->slow_off = bv->value_size;
	bv->value_size += SLOW_TAB_SIZE;
	return 0;
}

int bf_lbvs_maps(struct bf_lbvs *l, struct bf_prog_map **maps, size_t *n_maps,
		 size_t *next_idx, uint32_t idx[BF_LBVS_FIELD_COUNT + 1])
{
	struct bf_prog_map bv = {
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.n = l->n_classes,
		.value_size = bf_lbvs_value_words(l) * 8,
		.vals = (uint8_t *)l->vectors,
	};
	int r;

	/* rows of vectors in one value (c_lbvs_flat.h) */
	l->vec_flat = bf_lbvs_flat_vec_ok(l, bv.value_size);
	l->ctz_off = 0;
	l->slow_off = 0;
	if (l->vec_flat) {
		bv.value_size *= bv.n;
		bv.n = 1;
		if (ctz_enabled()) {
			/* then the table of lowest_bit() */
			uint8_t *v = realloc(l->vectors, bv.value_size + 64);

			if (!v)
				return -ENOMEM;
			l->vectors = (uint64_t *)v;
			bv.vals = v;
			for (unsigned int i = 0; i < 64; i++)
				v[bv.value_size + ((DEBRUIJN64 << i) >> 58)] =
					(uint8_t)i;
			l->ctz_off = bv.value_size;
			bv.value_size += 64;
		}
		r = slow_tab(l, &bv);
		if (r)
			return r;
	}
	/* per-protocol searches of the fast path (c_lbvs_pp.h) */
	r = bf_lbvs_pp_maps(l, maps, n_maps, next_idx);

	if (r)
		return r;
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		struct bf_lbvs_fmap *fm = &l->fmap[f];
		int fe;
		struct bf_prog_map m = {
			.type = fm->lpm ? BPF_MAP_TYPE_LPM_TRIE :
					  BPF_MAP_TYPE_ARRAY,
			.map_flags = fm->lpm ? BPF_F_NO_PREALLOC : 0,
			.key_size = fm->key_size,
			.n = fm->n,
			.value_size = 4,
			.keys = fm->keys,
			.vals = (uint8_t *)fm->values,
		};

		if (!fm->used)
			continue;
		/* bytes and ports: a flat table of u16 (c_lbvs_flat.h) */
		if (bf_lbvs_flat_map(l, f, &m, &fe)) {
			free(fm->values);
			fm->values = NULL;
		} else if (fe) {
			return fe;
		}
		/* IPv4 addresses: intervals instead of the LPM trie */
		if (bf_iv_used(fm)) {
			int r = bf_iv_map(fm, &m);

			if (r)
				return r;
			free(fm->keys);
			free(fm->values);
			fm->keys = NULL;
			fm->values = NULL;
		}
		if (push_map(maps, n_maps, &m)) {
			if (bf_iv_used(fm) || fm->flat)
				free(m.vals);
			return -ENOMEM;
		}
		fm->keys = NULL;
		fm->values = NULL;
		idx[f] = (uint32_t)(*next_idx)++;
	}
	if (push_map(maps, n_maps, &bv))
		return -ENOMEM;
	l->vectors = NULL;
	idx[BF_LBVS_FIELD_COUNT] = (uint32_t)(*next_idx)++;
	return 0;
}

/* Arrays of fewer elements than this are filled by one batch update: the
 * mapping faults in every page and its munmap() flushes the TLB of every
 * CPU the process ran on, which costs more than a batch update of a few
 * hundred elements (a segment program of 334 members has 14 maps: a
 * one-segment change through the daemon is faster, doc/live.md).
 * BPFILTER_LBVS_MMAP_MIN sets it (0: always mapped, for A/B runs). Read
 * at each call: bf_lbvs_map_create() runs in the segment load thread. */
static uint32_t mmap_min(void)
{
	const char *s = getenv("BPFILTER_LBVS_MMAP_MIN");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 4096;
	v = strtoul(s, &end, 10);
	return *end || v > UINT32_MAX ? 4096 : (uint32_t)v;
}

/* Fill an array map created BPF_F_MMAPABLE through one mapping of its
 * values (element i at i * round_up(value_size, 8): array_map_alloc()):
 * a batch update copies and checks every element on its own, and the
 * port maps have 65,536 of them, which made filling the maps cost more
 * than verifying the program. 0, or -errno (then fill it by updates). */
static int fill_mmap(int fd, const struct bf_prog_map *m)
{
	size_t stride = ((size_t)m->value_size + 7) / 8 * 8;
	size_t len = stride * m->n;
	uint8_t *v;

	if (!len)
		return 0;
	v = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED)
		return -errno;
	for (uint32_t i = 0; i < m->n; i++)
		memcpy(v + i * stride, m->vals + (size_t)i * m->value_size,
		       m->value_size);
	munmap(v, len);
	return 0;
}

int bf_lbvs_map_create(const struct bf_prog_map *m)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = m->map_flags);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	uint32_t *idx = NULL, done = 0;
	bool mm = m->type == BPF_MAP_TYPE_ARRAY && !m->keys &&
		  m->n >= mmap_min();
	int fd, r = 0;

	if (mm)
		copts.map_flags |= BPF_F_MMAPABLE;
	fd = bpf_map_create(m->type, "bf_lbvs", m->key_size, m->value_size,
			    m->n ? m->n : 1, &copts);
	if (fd < 0 && mm) {
		mm = false;
		copts.map_flags = m->map_flags;
		fd = bpf_map_create(m->type, "bf_lbvs", m->key_size,
				    m->value_size, m->n ? m->n : 1, &copts);
	}
	if (fd < 0) {
		r = -errno;
		bf_err("cannot create a map of %u classes of general rules: %s",
		       m->n, strerror(-r));
		return r;
	}
	if (mm && !fill_mmap(fd, m))
		return fd;
	if (!m->keys) {
		idx = malloc((m->n ? m->n : 1) * sizeof(*idx));
		if (!idx) {
			close(fd);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < m->n; i++)
			idx[i] = i;
	}
	while (done < m->n) {
		uint32_t count = m->n - done;
		const void *k =
			m->keys ? (const void *)(m->keys +
						 (size_t)done * m->key_size) :
				  (const void *)(idx + done);

		r = bpf_map_update_batch(fd, k,
					 m->vals + (size_t)done * m->value_size,
					 &count, &bopts);
		if (r && errno != EINTR && errno != EAGAIN)
			break;
		done += count;
		r = 0;
	}
	/* map types without batch updates: one by one */
	for (; done < m->n; done++) {
		const void *k =
			m->keys ? (const void *)(m->keys +
						 (size_t)done * m->key_size) :
				  (const void *)(idx + done);

		if (bpf_map_update_elem(fd, k,
					m->vals + (size_t)done * m->value_size,
					BPF_ANY)) {
			r = -errno;
			bf_err("cannot fill a map of general rules: %s",
			       strerror(-r));
			free(idx);
			close(fd);
			return r;
		}
	}
	free(idx);
	return fd;
}

/* ---- code ---- */

enum {
	R0 = 0,
	R1,
	R2,
	R3,
	R4,
	R5,
	R6,
	R7,
	R8,
	R9,
	RFP,
};

static void popcount(struct bf_emit *e)
{
	/* r1 = popcount(r1), with r2 and r3 */
	bf_emit(e, I_MOV64_REG(R2, R1));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R2, 1));
	bf_emit_ld_imm64(e, R3, 0x5555555555555555ull);
	bf_emit(e, I_ALU64_REG(BPF_AND, R2, R3));
	bf_emit(e, I_ALU64_REG(BPF_SUB, R1, R2));
	bf_emit_ld_imm64(e, R3, 0x3333333333333333ull);
	bf_emit(e, I_MOV64_REG(R2, R1));
	bf_emit(e, I_ALU64_REG(BPF_AND, R2, R3));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R1, 2));
	bf_emit(e, I_ALU64_REG(BPF_AND, R1, R3));
	bf_emit(e, I_ALU64_REG(BPF_ADD, R1, R2));
	bf_emit(e, I_MOV64_REG(R2, R1));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R2, 4));
	bf_emit(e, I_ALU64_REG(BPF_ADD, R1, R2));
	bf_emit_ld_imm64(e, R3, 0x0f0f0f0f0f0f0f0full);
	bf_emit(e, I_ALU64_REG(BPF_AND, R1, R3));
	bf_emit_ld_imm64(e, R3, 0x0101010101010101ull);
	bf_emit(e, I_ALU64_REG(BPF_MUL, R1, R3));
	bf_emit(e, I_ALU64_IMM(BPF_RSH, R1, 56));
}

/* Where lowest_bit() finds its table: map index and offset (off 0: no
 * table). */
struct ctz_tab {
	uint32_t map, off;
};

/* r1 = index of the lowest set bit of r1 (r1 != 0), in [0, 63]; uses r2,
 * r3. With a table: the bit alone times a de Bruijn constant has the
 * index's entry in its top 6 bits (9 instructions, one multiply and one
 * load); without: the population count of the bits below it (24). */
static void lowest_bit(struct bf_emit *e, struct ctz_tab t)
{
	bf_emit(e, I_MOV64_IMM(R2, 0));
	bf_emit(e, I_ALU64_REG(BPF_SUB, R2, R1));
	bf_emit(e, I_ALU64_REG(BPF_AND, R1, R2));
	if (t.off) {
		bf_emit_ld_imm64(e, R2, DEBRUIJN64);
		bf_emit(e, I_ALU64_REG(BPF_MUL, R1, R2));
		bf_emit(e, I_ALU64_IMM(BPF_RSH, R1, 58));
		bf_emit_map_value_kind(e, R3, BF_RELOC_MAP, t.map, t.off);
		bf_emit(e, I_ALU64_REG(BPF_ADD, R3, R1));
		bf_emit(e, I_LDX(BPF_B, R1, R3, 0));
		return;
	}
	bf_emit(e, I_ALU64_IMM(BPF_SUB, R1, 1));
	popcount(e);
	bf_emit(e, I_ALU64_IMM(BPF_AND, R1, 63));
}

static void ret32(struct bf_emit *e, uint32_t v)
{
	bf_emit(e, I_MOV32_IMM(R0, (int32_t)v));
	bf_emit(e, I_EXIT());
}

/* r0 = bpf_map_lookup_elem(map idx, pctx + key); none if absent */
static void lookup(struct bf_emit *e, uint32_t idx, int16_t key, bf_label none)
{
	bf_emit_map_fd(e, R1, idx);
	bf_emit(e, I_MOV64_REG(R2, R9));
	bf_emit(e, I_ALU64_IMM(BPF_ADD, R2, key));
	bf_emit(e, I_HELPER(BPF_FUNC_map_lookup_elem));
	bf_emit_jmp_imm(e, BPF_JEQ, R0, 0, none);
}

/* The class vector of field f for this packet: its pointer in the stack
 * slot (-8 * (n + 1)); with one summary word, r6 = the AND of the summary
 * words so far (n: vectors before this one), and none when it is zero.
 * Absent keys or classes: none. */
static void field_vec_v(struct bf_emit *e, const struct bf_lbvs *l,
			const uint32_t idx[BF_LBVS_FIELD_COUNT + 1], int f,
			int n, bf_label none, uint32_t vmap, uint32_t S,
			uint32_t stride, const struct bf_lbvs_cfn *cf)
{
	static const int16_t addr_off[2] = { PCTX_OFF(saddr), PCTX_OFF(daddr) };
	const int16_t key = PCTX_OFF(scratch);
	int alen = l->family == BF_FAMILY_INET6 ? 16 : 4;

	if (cf && cf->on[f]) {
		/* r1 = the class, from the field's class function (its
		 * BF_LBVS_NONE is no class: none below) */
		bf_emit(e, I_MOV64_REG(R1, R9));
		bf_emit_call(e, cf->l[f]);
		bf_emit(e, I_MOV64_REG(R1, R0));
		bf_emit(e, I_STX(BPF_W, R9, R1, key));
		goto vec;
	}

	if (l->fmap[f].node) {
		/* a part of a split search: the chain's node id of the
		 * address (cgen.c lbvs_nodes()), in the part's rows */
		bf_emit(e, I_LDX(BPF_W, R1, R9,
				 (int16_t)(key + BF_LBVS_NODE_OFF + 4 * f)));
		if (l->fmap[f].key_add)
			bf_emit(e, I_ALU64_IMM(BPF_ADD, R1,
					       (int32_t)l->fmap[f].key_add));
		bf_emit(e, I_STX(BPF_W, R9, R1, key));
		goto cls;
	}
	if ((f == BF_LBVS_SADDR || f == BF_LBVS_DADDR) &&
	    bf_iv_used(&l->fmap[f])) {
		bf_iv_emit(e, &l->fmap[f], idx[f], addr_off[f], key, none);
		bf_emit(e, I_STX(BPF_W, R9, R1, key));
		goto vec;
	}
	if (f == BF_LBVS_IIF || f == BF_LBVS_OIF) {
		/* the 16 name bytes (pctx.h: zeros without a device) */
		int16_t src = f == BF_LBVS_IIF ? PCTX_OFF(iif) : PCTX_OFF(oif);

		bf_emit(e, I_ST(BPF_W, R9, key, 128));
		for (int o = 0; o < 16; o += 4) {
			bf_emit(e, I_LDX(BPF_W, R1, R9, (int16_t)(src + o)));
			bf_emit(e,
				I_STX(BPF_W, R9, R1, (int16_t)(key + 4 + o)));
		}
	} else if (f == BF_LBVS_SADDR || f == BF_LBVS_DADDR) {
		bf_emit(e, I_ST(BPF_W, R9, key, alen * 8));
		for (int o = 0; o < alen; o += 4) {
			bf_emit(e, I_LDX(BPF_W, R1, R9,
					 (int16_t)(addr_off[f] + o)));
			bf_emit(e,
				I_STX(BPF_W, R9, R1, (int16_t)(key + 4 + o)));
		}
	} else {
		if (f == BF_LBVS_PROTO)
			bf_emit(e, I_LDX(BPF_B, R1, R9, PCTX_OFF(l4proto)));
		else if (f == BF_LBVS_FLAGS)
			bf_emit(e, I_LDX(BPF_B, R1, R9, PCTX_OFF(tcpflags)));
		else
			bf_emit(e, I_LDX(BPF_H, R1, R9,
					 f == BF_LBVS_SPORT ? PCTX_OFF(sport) :
							      PCTX_OFF(dport)));
		if (l->fmap[f].flat) {
			bf_lbvs_flat_emit(e, idx[f]);
			bf_emit(e, I_STX(BPF_W, R9, R1, key));
			goto vec;
		}
		/* a part of a split search: its rows */
		if (l->fmap[f].key_add)
			bf_emit(e, I_ALU64_IMM(BPF_ADD, R1,
					       (int32_t)l->fmap[f].key_add));
		bf_emit(e, I_STX(BPF_W, R9, R1, key));
	}
cls:
	lookup(e, idx[f], key, none);
	bf_emit(e, I_LDX(BPF_W, R1, R0, 0));
	bf_emit(e, I_STX(BPF_W, R9, R1, key));
vec:
	/* r1 = the class id (also at key) */
	if (l->vec_flat)
		bf_lbvs_flat_vec_emit(e, vmap, l->n_classes, stride, none);
	else
		lookup(e, vmap, key, none);
	bf_emit(e, I_STX(BPF_DW, RFP, R0, (int16_t)(-8 * (n + 1))));
	if (S == 1) {
		bf_emit(e, I_LDX(BPF_DW, n ? R1 : R6, R0, 0));
		if (n)
			bf_emit(e, I_ALU64_REG(BPF_AND, R6, R1));
		bf_emit_jmp_imm(e, BPF_JEQ, R6, 0, none);
	}
}

/* field_vec_v() with the chain's vectors */
static void field_vec(struct bf_emit *e, const struct bf_lbvs *l,
		      const uint32_t idx[BF_LBVS_FIELD_COUNT + 1], int f, int n,
		      bf_label none, const struct bf_lbvs_cfn *cf)
{
	field_vec_v(e, l, idx, f, n, none, idx[BF_LBVS_FIELD_COUNT], l->summary,
		    bf_lbvs_value_words(l) * 8, cf);
}

/* The vector of class id in the stack slot (-8 * (n + 1)). */
static void class_vec(struct bf_emit *e, const struct bf_lbvs *l,
		      const uint32_t *idx, uint32_t id, int n, bf_label none)
{
	const int16_t key = PCTX_OFF(scratch);

	if (l->vec_flat) {
		/* its row, at a constant offset (id < n_classes) */
		bf_emit_map_value_kind(e, R0, BF_RELOC_MAP,
				       idx[BF_LBVS_FIELD_COUNT],
				       id * bf_lbvs_value_words(l) * 8);
		bf_emit(e, I_STX(BPF_DW, RFP, R0, (int16_t)(-8 * (n + 1))));
		return;
	}
	bf_emit(e, I_ST(BPF_W, R9, key, (int32_t)id));
	lookup(e, idx[BF_LBVS_FIELD_COUNT], key, none);
	bf_emit(e, I_STX(BPF_DW, RFP, R0, (int16_t)(-8 * (n + 1))));
}

/* Return the first member in the AND of the n vectors of stack slots
 * -8 .. -8 n, as member << 1; with carry, the vector of slot -8 (n + 1)
 * is not ANDed but gives the result's low bit: that member's bit in it.
 * Falls through when there is none. Per summary word: its 64 data words
 * are skipped when the AND of the summary words is zero, else ANDed one
 * after the other, the vectors' base pointers in r1..r(n + carry) (at
 * most six). The words are unrolled, not a loop: a loop's backward jump
 * needs the JIT padding of emit.c (conditional jumps, each of which the
 * verifier explores both ways) and its iterations are walked by the
 * verifier one by one anyway. */
/* dst = word off of vector i: its base pointer in r(1 + i) for the first
 * six, reloaded from its stack slot for the others (interface fields make
 * up to eight vectors) */
static void vec_word(struct bf_emit *e, uint8_t dst, int i, int16_t off)
{
	uint8_t base = (uint8_t)(R1 + i);

	if (i >= 6) {
		bf_emit(e, I_LDX(BPF_DW, dst, RFP, (int16_t)(-8 * (i + 1))));
		base = dst;
	}
	bf_emit(e, I_LDX(BPF_DW, dst, base, off));
}

/* Jump to at[j], j the index of the single set bit of the 32-bit value
 * in dst (lo <= j < lo + n; n a power of two): a binary search on the
 * bit's position, one JSET of the upper half's mask per level. */
static void bit_tree(struct bf_emit *e, uint8_t dst, uint32_t lo, uint32_t n,
		     uint32_t base, const bf_label *at)
{
	bf_label hi;
	uint32_t h = n / 2;

	if (n == 1) {
		bf_emit_ja(e, at[base + lo]);
		return;
	}
	hi = bf_label_new(e);
	bf_emit_jmp32_imm(e, BPF_JSET, dst,
			  (int32_t)(((1u << h) - 1) << (lo + h)), hi);
	bit_tree(e, dst, lo, h, base, at);
	bf_label_bind(e, hi);
	bit_tree(e, dst, lo + h, h, base, at);
}

static void search_sw(struct bf_emit *e, uint32_t S, uint32_t W, int n,
		      bool carry, bool map_back, uint32_t imap, bool sparse,
		      struct ctz_tab ctz)
{
	int np = n + (carry ? 1 : 0);
	bf_label found = bf_label_new(e), out = bf_label_new(e);
	bf_label entry[64];

	for (int i = 0; i < np && i < 6; i++)
		bf_emit(e, I_LDX(BPF_DW, (uint8_t)(R1 + i), RFP,
				 (int16_t)(-8 * (i + 1))));
	for (uint32_t s = 0; s < S; s++) {
		bf_label next = bf_label_new(e);
		uint32_t nw = W - 64 * s < 64 ? W - 64 * s : 64;

		bf_emit(e, I_LDX(BPF_DW, R0, R1, (int16_t)(8 * s)));
		for (int i = 1; i < n; i++) {
			vec_word(e, R8, i, (int16_t)(8 * s));
			bf_emit(e, I_ALU64_REG(BPF_AND, R0, R8));
		}
		bf_emit_jmp_imm(e, BPF_JEQ, R0, 0, next);
		/* r7 = the complement of the summaries' AND: a set bit j
		 * says data word 64 s + j of some vector is zero, so is
		 * their AND (the scan jumps over it); the scan starts at
		 * the lowest set bit of the AND (r8 = that bit alone, whose
		 * position a binary search finds: a chain of taken jumps
		 * over the words before it cost more) */
		if (sparse) {
			bf_label high = bf_label_new(e);

			for (uint32_t j = 0; j < 64; j++)
				entry[j] = j < nw ? bf_label_new(e) : next;
			bf_emit(e, I_MOV64_REG(R7, R0));
			bf_emit(e, I_ALU64_IMM(BPF_XOR, R7, -1));
			bf_emit(e, I_MOV64_IMM(R8, 0));
			bf_emit(e, I_ALU64_REG(BPF_SUB, R8, R0));
			bf_emit(e, I_ALU64_REG(BPF_AND, R8, R0));
			bf_emit_jmp32_imm(e, BPF_JEQ, R8, 0, high);
			bit_tree(e, R8, 0, 32, 0, entry);
			bf_label_bind(e, high);
			/* words 32 .. 63: r7 as after word 31 */
			bf_emit(e, I_ALU64_IMM(BPF_RSH, R8, 32));
			bf_emit(e, I_ALU64_IMM(BPF_RSH, R7, 32));
			bit_tree(e, R8, 0, 32, 32, entry);
		}
		for (uint32_t j = 0; j < nw; j++) {
			uint32_t w = 64 * s + j;
			int16_t off = (int16_t)(8 * (S + w));
			bf_label skip = bf_label_new(e);

			if (sparse && j == 32)
				bf_emit(e, I_ALU64_IMM(BPF_RSH, R7, 32));
			if (sparse) {
				bf_emit_jmp32_imm(e, BPF_JSET, R7,
						  (int32_t)(1u << (j % 32)),
						  skip);
				bf_label_bind(e, entry[j]);
			}
			bf_emit(e, I_LDX(BPF_DW, R0, R1, off));
			for (int i = 1; i < n; i++) {
				vec_word(e, R8, i, off);
				bf_emit(e, I_ALU64_REG(BPF_AND, R0, R8));
			}
			bf_emit_jmp_imm(e, BPF_JEQ, R0, 0, skip);
			bf_emit(e, I_MOV64_IMM(R7, (int32_t)w));
			if (carry)
				vec_word(e, R5, n, off);
			bf_emit_ja(e, found);
			bf_label_bind(e, skip);
		}
		bf_label_bind(e, next);
	}
	bf_emit_ja(e, out);
	/* member 64 * word (r7) + lowest set bit of r0 */
	bf_label_bind(e, found);
	if (carry) {
		/* r5 = the carried word & the lowest set bit of r0 */
		bf_emit(e, I_MOV64_IMM(R6, 0));
		bf_emit(e, I_ALU64_REG(BPF_SUB, R6, R0));
		bf_emit(e, I_ALU64_REG(BPF_AND, R6, R0));
		bf_emit(e, I_ALU64_REG(BPF_AND, R5, R6));
	}
	bf_emit(e, I_MOV64_REG(R8, R7));
	bf_emit(e, I_MOV64_REG(R1, R0));
	lowest_bit(e, ctz);
	bf_emit(e, I_ALU64_IMM(BPF_LSH, R8, 6));
	bf_emit(e, I_ALU64_REG(BPF_ADD, R8, R1));
	if (map_back) {
		/* a per-protocol search: its index -> the member */
		bf_emit(e, I_STX(BPF_W, R9, R8, PCTX_OFF(scratch)));
		lookup(e, imap, PCTX_OFF(scratch), out);
		bf_emit(e, I_LDX(BPF_W, R8, R0, 0));
	}
	bf_emit(e, I_ALU64_IMM(BPF_LSH, R8, 1));
	if (carry) {
		bf_label plain = bf_label_new(e);

		bf_emit_jmp_imm(e, BPF_JEQ, R5, 0, plain);
		bf_emit(e, I_ALU64_IMM(BPF_OR, R8, 1));
		bf_label_bind(e, plain);
	}
	bf_emit(e, I_MOV64_REG(R0, R8));
	bf_emit(e, I_EXIT());
	bf_label_bind(e, out);
}

/* (sparse: the fast path of a part of a partitioned search; the slow
 * paths, for packets that are not plain, keep the plain scan) */
static struct ctz_tab ctz_of(const struct bf_lbvs *l, const uint32_t *idx)
{
	return (struct ctz_tab){ .map = idx[BF_LBVS_FIELD_COUNT],
				 .off = l->ctz_off };
}

static void search(struct bf_emit *e, const struct bf_lbvs *l,
		   const uint32_t *idx, int n, bool carry, bool sparse)
{
	search_sw(e, l->summary, (uint32_t)((l->n_members + 63) / 64), n, carry,
		  false, 0, sparse && l->sparse, ctz_of(l, idx));
}

/* The fast path's per-protocol searches (c_lbvs_pp.h): the packet's
 * protocol class picks one; its fields ANDed over its vectors. */
static void emit_pp(struct bf_emit *e, const struct bf_lbvs *l,
		    const uint32_t idx[BF_LBVS_FIELD_COUNT + 1], bf_label none,
		    const struct bf_lbvs_cfn *cf)
{
	static const int order[BF_LBVS_FIELD_COUNT] = {
		BF_LBVS_PROTO, BF_LBVS_FLAGS, BF_LBVS_DPORT, BF_LBVS_SPORT,
		BF_LBVS_IIF,   BF_LBVS_OIF,   BF_LBVS_DADDR, BF_LBVS_SADDR,
	};
	const struct bf_lbvs_pp *pp = l->pp;
	const int16_t key = PCTX_OFF(scratch);
	bf_label at[BF_LBVS_PP_MAX];

	bf_emit(e, I_LDX(BPF_B, R1, R9, PCTX_OFF(l4proto)));
	if (l->fmap[BF_LBVS_PROTO].flat) {
		bf_lbvs_flat_emit(e, idx[BF_LBVS_PROTO]);
	} else {
		bf_emit(e, I_STX(BPF_W, R9, R1, key));
		lookup(e, idx[BF_LBVS_PROTO], key, none);
		bf_emit(e, I_LDX(BPF_W, R1, R0, 0));
	}
	for (uint32_t k = 0; k < pp->n; k++) {
		at[k] = bf_label_new(e);
		bf_emit_jmp32_imm(e, BPF_JEQ, R1, (int32_t)pp->p[k].cls, at[k]);
	}
	bf_emit_ja(e, none);
	for (uint32_t k = 0; k < pp->n; k++) {
		const struct bf_lbvs_ppart *p = &pp->p[k];
		int n = 0;

		bf_label_bind(e, at[k]);
		if (!p->n_members) {
			bf_emit_ja(e, none);
			continue;
		}
		for (int i = 0; i < BF_LBVS_FIELD_COUNT; i++) {
			if (p->use[order[i]])
				field_vec_v(e, l, idx, order[i], n++, none,
					    p->vmap, p->S, (p->S + p->W) * 8,
					    cf);
		}
		if (!n) {
			/* every member of the class matches: its first */
			bf_emit(e, I_ST(BPF_W, R9, key, 0));
			lookup(e, p->imap, key, none);
			bf_emit(e, I_LDX(BPF_W, R0, R0, 0));
			bf_emit(e, I_ALU64_IMM(BPF_LSH, R0, 1));
			bf_emit(e, I_EXIT());
			continue;
		}
		search_sw(e, p->S, p->W, n, false, true, p->imap, false,
			  ctz_of(l, idx));
		bf_emit_ja(e, none);
	}
}

/* A packet that is not plain, with l->slow_vec: an IPv4 packet of
 * protocol p whose transport header cannot be read by the members that
 * read it (l4gate < need[p]: a short header, or a non-first fragment).
 * Each of those members (after its address and protocol tests, which the
 * vectors test exactly) goes to the cold path of its header check
 * (emit_func_tail() in cgen.c): on a short header or, with frag1, an
 * offset-1 fragment it hotdrops, on another fragment it fails. Members
 * that do not read p's header test no port or flag (those follow a
 * header check of their own protocol, which the protocol test failed)
 * and are exact. So: the first member of the AND of the address and
 * protocol vectors, hotdropping if it reads p's header; or, on a
 * fragment that does not hotdrop, the first of that AND and the class of
 * the members that do not read it. */
static void emit_slow(struct bf_emit *e, const struct bf_lbvs *l,
		      const uint32_t idx[BF_LBVS_FIELD_COUNT + 1],
		      const struct bf_lbvs_cfn *cf)
{
	static const int fields[] = { BF_LBVS_PROTO, BF_LBVS_IIF, BF_LBVS_OIF,
				      BF_LBVS_DADDR, BF_LBVS_SADDR };
	bf_label *at = calloc(l->n_slow, sizeof(*at));

	if (!at) {
		bf_emit_fail(e, -ENOMEM);
		return;
	}
	bf_emit(e, I_LDX(BPF_B, R2, R9, PCTX_OFF(l4proto)));
	for (size_t k = 0; k < l->n_slow; k++) {
		at[k] = bf_label_new(e);
		bf_emit_jmp32_imm(e, BPF_JEQ, R2, l->slow[k].proto, at[k]);
	}
	/* not reached: only those protocols make a packet not plain */
	ret32(e, BF_LBVS_SLOW);
	for (size_t k = 0; k < l->n_slow; k++) {
		/* a "none" of its own after each protocol's code: every jump
		 * forward (a jump back would be padded, see search()) and
		 * short (two unrolled searches of at most 1,024 words) */
		bf_label hot = bf_label_new(e), none = bf_label_new(e);
		int n = 0;

		bf_label_bind(e, at[k]);
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]);
		     i++) {
			if (!l->fmap[fields[i]].used)
				continue;
			field_vec(e, l, idx, fields[i], n++, none, cf);
		}
		bf_emit(e, I_LDX(BPF_H, R1, R9, PCTX_OFF(fragoff)));
		bf_emit_jmp32_imm(e, BPF_JEQ, R1, 0, hot);
		if (l->slow[k].frag1)
			bf_emit_jmp32_imm(e, BPF_JEQ, R1, 1, hot);
		class_vec(e, l, idx, l->slow[k].nrd, n, none);
		search(e, l, idx, n + 1, false, false);
		bf_emit_ja(e, none);
		bf_label_bind(e, hot);
		class_vec(e, l, idx, l->slow[k].rd, n, none);
		search(e, l, idx, n, true, false);
		bf_label_bind(e, none);
		ret32(e, BF_LBVS_NONE);
	}
	free(at);
}

/* emit_slow() with the table of slow_off: the same verdicts from one
 * path and one search for all the protocols (verified once, not twice
 * per protocol). The field vectors first (they do not depend on the
 * protocol); then the table's entries for the packet's protocol give the
 * row ANDed with them for its fragment case (offset 0, 1 or other):
 * every member on a hotdrop, else nrd; and its rd row, carried: the low
 * bit says the first member hotdrops (never with nrd ANDed). The rows'
 * offsets are values the verifier does not know, bounded by the last
 * row, so that every protocol's path reaches the search in one state. */
static void emit_slow_tab(struct bf_emit *e, const struct bf_lbvs *l,
			  const uint32_t idx[BF_LBVS_FIELD_COUNT + 1],
			  const struct bf_lbvs_cfn *cf)
{
	static const int fields[] = { BF_LBVS_PROTO, BF_LBVS_IIF, BF_LBVS_OIF,
				      BF_LBVS_DADDR, BF_LBVS_SADDR };
	const uint32_t vec = idx[BF_LBVS_FIELD_COUNT];
	const int32_t last =
		(int32_t)((l->n_classes - 1) * bf_lbvs_value_words(l) * 8);
	bf_label none = bf_label_new(e), other = bf_label_new(e);
	bf_label got = bf_label_new(e), f0 = bf_label_new(e),
		 f1 = bf_label_new(e);
	int n = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!l->fmap[fields[i]].used)
			continue;
		field_vec(e, l, idx, fields[i], n++, none, cf);
	}
	/* r6 = the protocol's 16 bytes of the table, r1 = its row to AND */
	bf_emit(e, I_LDX(BPF_B, R2, R9, PCTX_OFF(l4proto)));
	bf_emit(e, I_ALU64_IMM(BPF_LSH, R2, 4));
	bf_emit_map_value_kind(e, R6, BF_RELOC_MAP, vec, l->slow_off);
	bf_emit(e, I_ALU64_REG(BPF_ADD, R6, R2));
	bf_emit(e, I_LDX(BPF_H, R1, R9, PCTX_OFF(fragoff)));
	bf_emit_jmp32_imm(e, BPF_JEQ, R1, 0, f0);
	bf_emit_jmp32_imm(e, BPF_JEQ, R1, 1, f1);
	bf_emit(e, I_LDX(BPF_W, R1, R6, 8));
	bf_emit_ja(e, got);
	bf_label_bind(e, f1);
	bf_emit(e, I_LDX(BPF_W, R1, R6, 4));
	bf_emit_ja(e, got);
	bf_label_bind(e, f0);
	bf_emit(e, I_LDX(BPF_W, R1, R6, 0));
	bf_label_bind(e, got);
	/* not reached: only those protocols make a packet not plain */
	bf_emit_jmp32_imm(e, BPF_JSET, R1, (int32_t)SLOW_TAB_NONE, other);
	for (int k = 0; k < 2; k++) {
		if (k)
			bf_emit(e, I_LDX(BPF_W, R1, R6, 12));
		bf_emit(e, I_ALU64_IMM(BPF_AND, R1, -8));
		bf_emit_jmp_imm(e, BPF_JGT, R1, last, none);
		bf_emit_map_value_kind(e, R0, BF_RELOC_MAP, vec, 0);
		bf_emit(e, I_ALU64_REG(BPF_ADD, R0, R1));
		bf_emit(e, I_STX(BPF_DW, RFP, R0, (int16_t)(-8 * (n + k + 1))));
	}
	search(e, l, idx, n + 1, true, false);
	bf_emit_ja(e, none);
	bf_label_bind(e, other);
	ret32(e, BF_LBVS_SLOW);
	bf_label_bind(e, none);
	ret32(e, BF_LBVS_NONE);
}

void bf_lbvs_emit_fast(struct bf_emit *e, const struct bf_lbvs *l,
		       const uint32_t idx[BF_LBVS_FIELD_COUNT + 1],
		       const struct bf_lbvs_cfn *cf)
{
	bf_label slow = bf_label_new(e), none = bf_label_new(e);
	int n_slots = 0;
	bool any_need = false;

	/* not plain: the members' own code decides (hotdrops included),
	 * or with slow_vec the vectors (emit_slow()) */
	if (l->family == BF_FAMILY_INET6) {
		bf_emit(e, I_LDX(BPF_B, R1, R9, PCTX_OFF(l6err)));
		bf_emit_jmp32_imm(e, BPF_JNE, R1, 0, slow);
	}
	for (int p = 0; p < 256; p++)
		any_need |= l->need[p] != 0;
	if (any_need) {
		bf_emit(e, I_LDX(BPF_B, R2, R9, PCTX_OFF(l4proto)));
		bf_emit(e, I_LDX(BPF_W, R3, R9, PCTX_OFF(l4gate)));
		for (int p = 0; p < 256; p++) {
			bf_label other;

			if (!l->need[p])
				continue;
			other = bf_label_new(e);
			bf_emit_jmp32_imm(e, BPF_JNE, R2, p, other);
			bf_emit_jmp32_imm(e, BPF_JLT, R3, l->need[p], slow);
			bf_label_bind(e, other);
		}
	}

	if (l->pp) {
		emit_pp(e, l, idx, none, cf);
		goto tail;
	}
	/* one class vector per field: the arrays first (their lookups are
	 * inlined), the LPM tries last; with one summary word, a zero AND
	 * of the summaries so far ends the search before the next lookup
	 * (r6 keeps it across the helper calls) */
	/* (a part of a partitioned search: the fields all its members test
	 * positively first, opt/lbvs_part.h) */
	for (int k = 0; k < 2 * BF_LBVS_FIELD_COUNT; k++) {
		static const int order[BF_LBVS_FIELD_COUNT] = {
			BF_LBVS_PROTO, BF_LBVS_FLAGS, BF_LBVS_DPORT,
			BF_LBVS_SPORT, BF_LBVS_IIF,   BF_LBVS_OIF,
			BF_LBVS_DADDR, BF_LBVS_SADDR,
		};
		int f = order[k % BF_LBVS_FIELD_COUNT];

		if (l->fmap[f].used &&
		    (k < BF_LBVS_FIELD_COUNT) == (l->first_fields >> f & 1))
			field_vec(e, l, idx, f, n_slots++, none, cf);
	}
	if (!n_slots) {
		/* no field tested: every member matches, the first wins */
		ret32(e, 0);
		goto tail;
	}
	search(e, l, idx, n_slots, false, true);
tail:
	bf_label_bind(e, none);
	ret32(e, BF_LBVS_NONE);
	bf_label_bind(e, slow);
	if (l->slow_vec && any_need && l->slow_off)
		emit_slow_tab(e, l, idx, cf);
	else if (l->slow_vec && any_need)
		emit_slow(e, l, idx, cf);
	else
		ret32(e, BF_LBVS_SLOW);
}

static bool cfn_enabled(void)
{
	const char *s = getenv("BPFILTER_LBVS_CFN");

	return !(s && !strcmp(s, "0"));
}

/* A field whose class takes a search or a lookup to find (not a flat
 * table or a split search's node id). */
static bool cfn_field(const struct bf_lbvs *l, int f)
{
	const struct bf_lbvs_fmap *fm = &l->fmap[f];

	if (!fm->used || fm->node || fm->key_add)
		return false;
	if (f == BF_LBVS_IIF || f == BF_LBVS_OIF)
		return true;
	return (f == BF_LBVS_SADDR || f == BF_LBVS_DADDR) &&
	       (bf_iv_used(fm) || fm->lpm);
}

void bf_lbvs_cfn_plan(struct bf_emit *e, const struct bf_lbvs *l,
		      struct bf_lbvs_cfn *cf)
{
	static const int slow_fields[] = { BF_LBVS_IIF, BF_LBVS_OIF,
					   BF_LBVS_DADDR, BF_LBVS_SADDR };
	unsigned int uses[BF_LBVS_FIELD_COUNT] = { 0 };
	bool any_need = false;

	memset(cf, 0, sizeof(*cf));
	if (!cfn_enabled() || l->n_parts)
		return;
	/* the paths of bf_lbvs_emit_fast() that compute each field */
	if (l->pp) {
		for (uint32_t k = 0; k < l->pp->n; k++) {
			if (!l->pp->p[k].n_members)
				continue;
			for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
				uses[f] += l->pp->p[k].use[f];
		}
	} else {
		for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++)
			uses[f] += l->fmap[f].used;
	}
	for (int p = 0; p < 256; p++)
		any_need |= l->need[p] != 0;
	if (l->slow_vec && any_need) {
		for (size_t i = 0;
		     i < sizeof(slow_fields) / sizeof(*slow_fields); i++)
			uses[slow_fields[i]] +=
				l->slow_off ? 1 : (unsigned int)l->n_slow;
	}
	for (int f = 0; f < BF_LBVS_FIELD_COUNT; f++) {
		cf->on[f] = uses[f] >= 2 && cfn_field(l, f);
		if (cf->on[f])
			cf->l[f] = bf_label_new(e);
	}
}

void bf_lbvs_emit_cfn(struct bf_emit *e, const struct bf_lbvs *l,
		      const uint32_t idx[BF_LBVS_FIELD_COUNT + 1], int f)
{
	static const int16_t addr_off[2] = { PCTX_OFF(saddr), PCTX_OFF(daddr) };
	const int16_t key = PCTX_OFF(scratch);
	int alen = l->family == BF_FAMILY_INET6 ? 16 : 4;
	bf_label none = bf_label_new(e);

	if ((f == BF_LBVS_SADDR || f == BF_LBVS_DADDR) &&
	    bf_iv_used(&l->fmap[f])) {
		bf_iv_emit(e, &l->fmap[f], idx[f], addr_off[f], key, none);
	} else {
		/* the LPM key: prefix length, then the interface's 16 name
		 * bytes (pctx.h: zeros without a device) or the address */
		bool ifc = f == BF_LBVS_IIF || f == BF_LBVS_OIF;
		int16_t src = f == BF_LBVS_IIF ? PCTX_OFF(iif) :
			      f == BF_LBVS_OIF ? PCTX_OFF(oif) :
						 addr_off[f];
		int len = ifc ? 16 : alen;

		bf_emit(e, I_ST(BPF_W, R9, key, ifc ? 128 : alen * 8));
		for (int o = 0; o < len; o += 4) {
			bf_emit(e, I_LDX(BPF_W, R1, R9, (int16_t)(src + o)));
			bf_emit(e,
				I_STX(BPF_W, R9, R1, (int16_t)(key + 4 + o)));
		}
		lookup(e, idx[f], key, none);
		bf_emit(e, I_LDX(BPF_W, R1, R0, 0));
	}
	bf_emit(e, I_MOV64_REG(R0, R1));
	bf_emit(e, I_EXIT());
	bf_label_bind(e, none);
	ret32(e, BF_LBVS_NONE);
}
