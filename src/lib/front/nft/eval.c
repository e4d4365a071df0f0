// SPDX-License-Identifier: GPL-2.0-only
/*
 * Evaluation of the parsed AST, as nft's evaluate step does before it
 * linearizes rules: every raw word on a right-hand side is read as a value
 * of the type of the left-hand side (ranges, prefixes, flag lists, sets
 * and set references typed and checked), and relational forms that nft
 * canonicalizes are rewritten the same way, so that the AST means what
 * the kernel will run and prints as `nft list` prints it:
 *   - `x xor C == V`            -> `x == V ^ C`
 *   - `x V/plen` (integer)      -> `x & MASK == V`
 *   - `flags A / M`             -> `flags & M == A`
 *   - `flags & M != 0`          -> `flags M` (any of M), `== 0` -> `! M`
 *   - `flags & ALLBITS == V`    -> `flags == V`
 *   - `eq` on a non-bitmask     -> implicit
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "front/nft/nft.h"

struct evalctx {
	struct nft_errs errs;
	struct bf_nft_table *table;
	bool oom;
};

static int eval_value(struct evalctx *c, struct bf_nft_expr *e,
		      enum bf_nft_dtype dt, unsigned int len_bits);

static bool is_addr(enum bf_nft_dtype dt)
{
	return dt == BF_NFT_DT_IPV4 || dt == BF_NFT_DT_IPV6 ||
	       dt == BF_NFT_DT_ETHER;
}

static bool is_string(enum bf_nft_dtype dt)
{
	return dt == BF_NFT_DT_IFNAME || dt == BF_NFT_DT_IFINDEX;
}

/* Compare two values of one type: <0, 0, >0. */
static int val_cmp(const struct bf_nft_expr *a, const struct bf_nft_expr *b)
{
	if (is_addr(a->dtype))
		return memcmp(a->bytes, b->bytes, 16);
	if (is_string(a->dtype))
		return strcmp(a->text ? a->text : "", b->text ? b->text : "");
	return a->num < b->num ? -1 : a->num > b->num;
}

static int make_sub_raw(struct evalctx *c, struct bf_nft_expr *parent,
			const char *s, size_t n, const struct bf_nft_loc *loc)
{
	struct bf_nft_expr *r = nft_expr_new(BF_NFT_E_RAW, loc);

	if (!r || !(r->text = strndup(s, n))) {
		nft_expr_free(&r);
		c->oom = true;
		return -ENOMEM;
	}
	return nft_expr_add(parent, r);
}

static void apply_prefix(uint8_t *bytes, unsigned int plen)
{
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int bits = plen > i * 8 ? plen - i * 8 : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		bytes[i] &= m;
	}
}

static uint64_t width_mask(unsigned int len_bits)
{
	return len_bits >= 64 ? UINT64_MAX : (1ull << len_bits) - 1;
}

/* A raw word: a value, or "a-b", or "a/len". */
static int eval_raw(struct evalctx *c, struct bf_nft_expr *e,
		    enum bf_nft_dtype dt, unsigned int len_bits)
{
	const char *why = NULL;
	const char *text = e->text;
	struct bf_nft_loc loc = e->loc;
	int r;

	r = nft_value_parse(dt, len_bits, text, e->quoted, e, &why);
	if (!r) {
		if (!is_string(dt)) {
			free(e->text);
			e->text = NULL;
		}
		return 0;
	}
	if (r == -ENOMEM) {
		c->oom = true;
		return r;
	}
	if (e->quoted)
		goto bad;
	const char *slash = strchr(text, '/');
	if (slash && !(is_addr(dt) || dt == BF_NFT_DT_MARK ||
		       dt == BF_NFT_DT_INTEGER || dt == BF_NFT_DT_HEX)) {
		nft_unsupported(&c->errs, &loc, "'%s': a prefix of a %s value",
				text, nft_dtype(dt)->name);
		return -EINVAL;
	}
	if (slash && (is_addr(dt) || dt == BF_NFT_DT_MARK ||
		      dt == BF_NFT_DT_INTEGER || dt == BF_NFT_DT_HEX)) {
		char *end;
		unsigned long plen = strtoul(slash + 1, &end, 10);
		struct bf_nft_expr *p = nft_expr_new(BF_NFT_E_PREFIX, &loc);
		const char *w2;
		if (!p) {
			c->oom = true;
			return -ENOMEM;
		}
		if (*end || !slash[1] || plen > len_bits) {
			nft_expr_free(&p);
			nft_error(&c->errs, &loc, "bad prefix length in '%s'",
				  text);
			return -EINVAL;
		}
		if (make_sub_raw(c, p, text, (size_t)(slash - text), &loc) ||
		    nft_value_parse(dt, len_bits, p->sub[0]->text, false,
				    p->sub[0], &w2)) {
			nft_error(&c->errs, &loc, "'%.*s': %s",
				  (int)(slash - text), text,
				  w2 ? w2 : "bad value");
			nft_expr_free(&p);
			return -EINVAL;
		}
		free(p->sub[0]->text);
		p->sub[0]->text = NULL;
		p->plen = (uint8_t)plen;
		p->dtype = dt;
		p->len_bits = len_bits;
		free(e->text);
		*e = *p;
		free(p);
		return 0;
	}
	/* ranges: split at each '-' where both halves parse */
	for (const char *d = strchr(text, '-'); d; d = strchr(d + 1, '-')) {
		struct bf_nft_expr *rg = nft_expr_new(BF_NFT_E_RANGE, &loc);
		const char *w1, *w2;
		if (!rg) {
			c->oom = true;
			return -ENOMEM;
		}
		if (!make_sub_raw(c, rg, text, (size_t)(d - text), &loc) &&
		    !make_sub_raw(c, rg, d + 1, strlen(d + 1), &loc) &&
		    !nft_value_parse(dt, len_bits, rg->sub[0]->text, false,
				     rg->sub[0], &w1) &&
		    !nft_value_parse(dt, len_bits, rg->sub[1]->text, false,
				     rg->sub[1], &w2)) {
			if (!is_string(dt)) {
				free(rg->sub[0]->text);
				free(rg->sub[1]->text);
				rg->sub[0]->text = rg->sub[1]->text = NULL;
			}
			if (val_cmp(rg->sub[0], rg->sub[1]) > 0) {
				nft_error(
					&c->errs, &loc,
					"range '%s' has its upper end below its lower end",
					text);
				nft_expr_free(&rg);
				return -EINVAL;
			}
			rg->dtype = dt;
			rg->len_bits = len_bits;
			free(e->text);
			*e = *rg;
			free(rg);
			return 0;
		}
		nft_expr_free(&rg);
		if (c->oom)
			return -ENOMEM;
	}
bad:
	nft_error(&c->errs, &loc, "'%s' is not a valid %s value: %s", text,
		  nft_dtype(dt)->name, why ? why : "bad value");
	return -EINVAL;
}

/* Turn a LIST (flags) into one VALUE. */
static int eval_list(struct evalctx *c, struct bf_nft_expr *e,
		     enum bf_nft_dtype dt, unsigned int len_bits)
{
	uint64_t v = 0;

	if (!nft_dtype(dt)->bitmask && dt != BF_NFT_DT_MARK &&
	    dt != BF_NFT_DT_INTEGER && dt != BF_NFT_DT_HEX) {
		nft_error(&c->errs, &e->loc,
			  "a list of values needs braces for type %s",
			  nft_dtype(dt)->name);
		return -EINVAL;
	}
	for (size_t i = 0; i < e->n_sub; i++) {
		int r = eval_value(c, e->sub[i], dt, len_bits);
		if (r)
			return r;
		if (e->sub[i]->kind != BF_NFT_E_VALUE) {
			nft_error(&c->errs, &e->sub[i]->loc,
				  "expected a single value in a flag list");
			return -EINVAL;
		}
		v |= e->sub[i]->num;
	}
	for (size_t i = 0; i < e->n_sub; i++)
		nft_expr_free(&e->sub[i]);
	free(e->sub);
	e->sub = NULL;
	e->n_sub = 0;
	e->kind = BF_NFT_E_VALUE;
	e->num = v;
	e->dtype = dt;
	e->len_bits = len_bits;
	return 0;
}

static int eval_value(struct evalctx *c, struct bf_nft_expr *e,
		      enum bf_nft_dtype dt, unsigned int len_bits)
{
	int r;

	switch (e->kind) {
	case BF_NFT_E_RAW:
		return eval_raw(c, e, dt, len_bits);
	case BF_NFT_E_VALUE:
		return 0;
	case BF_NFT_E_LIST:
		return eval_list(c, e, dt, len_bits);
	case BF_NFT_E_RANGE:
		for (size_t i = 0; i < 2; i++) {
			r = eval_value(c, e->sub[i], dt, len_bits);
			if (r)
				return r;
			if (e->sub[i]->kind != BF_NFT_E_VALUE) {
				nft_error(
					&c->errs, &e->sub[i]->loc,
					"a range bound must be a single value");
				return -EINVAL;
			}
		}
		if (val_cmp(e->sub[0], e->sub[1]) > 0) {
			nft_error(
				&c->errs, &e->loc,
				"range has its upper end below its lower end");
			return -EINVAL;
		}
		e->dtype = dt;
		e->len_bits = len_bits;
		return 0;
	case BF_NFT_E_PREFIX:
		if (e->op == '/') {
			nft_error(&c->errs, &e->loc,
				  "unexpected value/mask here");
			return -EINVAL;
		}
		r = eval_value(c, e->sub[0], dt, len_bits);
		if (r)
			return r;
		{
			char *end;
			struct bf_nft_expr *l = e->sub[1];
			unsigned long plen =
				l->text ? strtoul(l->text, &end, 10) : 0;
			if (!l->text || *end || plen > len_bits ||
			    !is_addr(dt)) {
				nft_error(&c->errs, &l->loc,
					  "bad prefix length");
				return -EINVAL;
			}
			e->plen = (uint8_t)plen;
			nft_expr_free(&e->sub[1]);
			e->n_sub = 1;
		}
		e->dtype = dt;
		e->len_bits = len_bits;
		return 0;
	case BF_NFT_E_WILDCARD:
		return 0;
	case BF_NFT_E_FIELD:
	case BF_NFT_E_BINOP:
		return 0;
	default:
		nft_error(&c->errs, &e->loc, "unexpected expression here");
		return -EINVAL;
	}
}

/* Key types of an lhs: one per concatenated component. */
static size_t lhs_types(const struct bf_nft_expr *lhs, enum bf_nft_dtype *dts,
			unsigned int *lens)
{
	if (lhs->kind == BF_NFT_E_CONCAT) {
		size_t n = 0;
		for (size_t i = 0; i < lhs->n_sub && n < BF_NFT_CONCAT_MAX;
		     i++) {
			dts[n] = lhs->sub[i]->dtype;
			lens[n++] = lhs->sub[i]->len_bits;
		}
		return n;
	}
	dts[0] = lhs->dtype;
	lens[0] = lhs->len_bits;
	return 1;
}

static int eval_key(struct evalctx *c, struct bf_nft_expr *e,
		    const enum bf_nft_dtype *dts, const unsigned int *lens,
		    size_t n)
{
	if (n == 1) {
		if (e->kind == BF_NFT_E_CONCAT) {
			nft_error(
				&c->errs, &e->loc,
				"a concatenation where a single value is expected");
			return -EINVAL;
		}
		return eval_value(c, e, dts[0], lens[0]);
	}
	if (e->kind != BF_NFT_E_CONCAT || e->n_sub != n) {
		nft_error(&c->errs, &e->loc,
			  "expected a concatenation of %zu values", n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		int r = eval_value(c, e->sub[i], dts[i], lens[i]);
		if (r)
			return r;
	}
	return 0;
}

static int flatten_set(struct evalctx *c, struct bf_nft_expr *set)
{
	for (size_t i = 0; i < set->n_sub; i++) {
		struct bf_nft_expr *in = set->sub[i];
		if (in->kind != BF_NFT_E_SET)
			continue;
		size_t n = set->n_sub - 1 + in->n_sub;
		struct bf_nft_expr **v = calloc(n ? n : 1, sizeof(*v));
		if (!v) {
			c->oom = true;
			return -ENOMEM;
		}
		memcpy(v, set->sub, i * sizeof(*v));
		memcpy(v + i, in->sub, in->n_sub * sizeof(*v));
		memcpy(v + i + in->n_sub, set->sub + i + 1,
		       (set->n_sub - i - 1) * sizeof(*v));
		free(in->sub);
		in->sub = NULL;
		in->n_sub = 0;
		nft_expr_free(&in);
		free(set->sub);
		set->sub = v;
		set->n_sub = n;
		i--;
	}
	return 0;
}

static int cmp_elem(const void *a, const void *b)
{
	const struct bf_nft_expr *x = *(const struct bf_nft_expr *const *)a;
	const struct bf_nft_expr *y = *(const struct bf_nft_expr *const *)b;

	if (x->kind == BF_NFT_E_MAPPING)
		x = x->sub[0];
	if (y->kind == BF_NFT_E_MAPPING)
		y = y->sub[0];
	if (x->kind == BF_NFT_E_CONCAT && y->kind == BF_NFT_E_CONCAT &&
	    x->n_sub == y->n_sub) {
		/* component by component, as nft orders concatenated keys */
		for (size_t i = 0; i < x->n_sub; i++) {
			const struct bf_nft_expr *xs = x->sub[i],
						 *ys = y->sub[i];
			int r = cmp_elem(&xs, &ys);
			if (r)
				return r;
		}
		return 0;
	}
	if (x->kind == BF_NFT_E_RANGE || x->kind == BF_NFT_E_PREFIX)
		x = x->sub[0];
	if (y->kind == BF_NFT_E_RANGE || y->kind == BF_NFT_E_PREFIX)
		y = y->sub[0];
	if (x->kind != BF_NFT_E_VALUE || y->kind != BF_NFT_E_VALUE)
		return 0;
	return val_cmp(x, y);
}

/* Anonymous interval sets of integers: adjacent and overlapping ranges
 * merge, as nft's set_automerge does for them. */
static void merge_ranges(struct bf_nft_expr *set)
{
	if (set->n_sub < 2)
		return;
	for (size_t i = 0; i < set->n_sub; i++) {
		struct bf_nft_expr *e = set->sub[i];
		if (e->kind != BF_NFT_E_RANGE && e->kind != BF_NFT_E_VALUE)
			return;
		if ((e->kind == BF_NFT_E_RANGE ? e->sub[0] : e)->dtype ==
			    BF_NFT_DT_IFNAME ||
		    is_addr((e->kind == BF_NFT_E_RANGE ? e->sub[0] : e)->dtype))
			return;
	}
	qsort(set->sub, set->n_sub, sizeof(*set->sub), cmp_elem);
	size_t out = 0;
	for (size_t i = 0; i < set->n_sub; i++) {
		struct bf_nft_expr *e = set->sub[i];
		if (out > 0 && set->sub[out - 1]->kind == BF_NFT_E_RANGE &&
		    e->kind == BF_NFT_E_RANGE) {
			struct bf_nft_expr *prev = set->sub[out - 1];
			if (e->sub[0]->num <= prev->sub[1]->num + 1) {
				if (e->sub[1]->num > prev->sub[1]->num)
					prev->sub[1]->num = e->sub[1]->num;
				nft_expr_free(&set->sub[i]);
				continue;
			}
		}
		set->sub[out++] = e;
	}
	set->n_sub = out;
}

/* Bounds of an element of one key (value, range, prefix) as 16
 * big-endian bytes, for overlap checks; false for other elements. */
static bool elem_bounds(const struct bf_nft_expr *e, uint8_t lo[16],
			uint8_t hi[16])
{
	const struct bf_nft_expr *v = e;

	if (e->kind == BF_NFT_E_MAPPING)
		return elem_bounds(e->sub[0], lo, hi);
	if (e->kind == BF_NFT_E_RANGE || e->kind == BF_NFT_E_PREFIX)
		v = e->sub[0];
	if (v->kind != BF_NFT_E_VALUE || is_string(v->dtype))
		return false;
	if (is_addr(v->dtype)) {
		unsigned int bits = v->dtype == BF_NFT_DT_IPV4	? 32 :
				    v->dtype == BF_NFT_DT_ETHER ? 48 :
								  128;
		memcpy(lo, v->bytes, 16);
		memcpy(hi,
		       e->kind == BF_NFT_E_RANGE ? e->sub[1]->bytes : v->bytes,
		       16);
		if (e->kind == BF_NFT_E_PREFIX)
			for (unsigned int i = e->plen; i < bits; i++) {
				lo[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
				hi[i / 8] |= (uint8_t)(0x80 >> (i % 8));
			}
		return true;
	}
	uint64_t a = v->num,
		 b = e->kind == BF_NFT_E_RANGE ? e->sub[1]->num : v->num;
	memset(lo, 0, 16);
	memset(hi, 0, 16);
	for (int i = 0; i < 8; i++) {
		lo[15 - i] = (uint8_t)(a >> (8 * i));
		hi[15 - i] = (uint8_t)(b >> (8 * i));
	}
	return true;
}

/* nft refuses overlapping intervals in maps and in named interval sets
 * (without auto-merge): "conflicting intervals specified". */
static int check_overlaps(struct evalctx *c, const struct bf_nft_expr *set)
{
	for (size_t i = 0; i < set->n_sub; i++) {
		uint8_t alo[16], ahi[16];
		if (!elem_bounds(set->sub[i], alo, ahi))
			continue;
		for (size_t j = 0; j < i; j++) {
			uint8_t blo[16], bhi[16];
			if (!elem_bounds(set->sub[j], blo, bhi))
				continue;
			if (memcmp(alo, bhi, 16) <= 0 &&
			    memcmp(blo, ahi, 16) <= 0) {
				nft_error(
					&c->errs, &set->sub[i]->loc,
					"conflicting intervals: this element overlaps another one");
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int eval_set_elems(struct evalctx *c, struct bf_nft_expr *set,
			  const enum bf_nft_dtype *dts,
			  const unsigned int *lens, size_t n, bool is_map,
			  enum bf_nft_dtype data, bool anonymous)
{
	int r = flatten_set(c, set);

	if (r)
		return r;
	for (size_t i = 0; i < set->n_sub; i++) {
		struct bf_nft_expr *e = set->sub[i];
		if (is_map) {
			if (e->kind != BF_NFT_E_MAPPING) {
				nft_error(&c->errs, &e->loc,
					  "expected 'key : value' in a map");
				return -EINVAL;
			}
			if (e->sub[0]->kind != BF_NFT_E_WILDCARD) {
				r = eval_key(c, e->sub[0], dts, lens, n);
				if (r)
					return r;
			}
			if (data == BF_NFT_DT_VERDICT) {
				if (e->sub[1]->kind != BF_NFT_E_VERDICT) {
					nft_error(&c->errs, &e->sub[1]->loc,
						  "expected a verdict");
					return -EINVAL;
				}
			} else {
				r = eval_value(c, e->sub[1], data,
					       nft_dtype(data)->len_bits);
				if (r)
					return r;
			}
			continue;
		}
		if (e->kind == BF_NFT_E_MAPPING) {
			nft_error(&c->errs, &e->loc,
				  "'key : value' in a set (not a map)");
			return -EINVAL;
		}
		if (e->kind == BF_NFT_E_WILDCARD)
			continue;
		r = eval_key(c, e, dts, lens, n);
		if (r)
			return r;
	}
	if (anonymous && n == 1 && !is_map)
		merge_ranges(set);
	/* elements in key order, as nft lists them: the same AST (and IR)
	 * whatever order the input wrote them in */
	if (set->n_sub > 1)
		qsort(set->sub, set->n_sub, sizeof(*set->sub), cmp_elem);
	if (is_map && n == 1)
		return check_overlaps(c, set);
	return 0;
}

static bool bitmask(enum bf_nft_dtype dt)
{
	return nft_dtype(dt)->bitmask;
}

static int eval_match(struct evalctx *c, struct bf_nft_stmt *s)
{
	struct bf_nft_expr *lhs = s->u.match.lhs;
	struct bf_nft_expr *rhs = s->u.match.rhs;
	enum bf_nft_dtype dts[BF_NFT_CONCAT_MAX];
	unsigned int lens[BF_NFT_CONCAT_MAX];
	size_t n;
	int r;

	/* binop operands: lhs op CONST */
	if (lhs->kind == BF_NFT_E_BINOP) {
		struct bf_nft_expr *f = lhs->sub[0];
		if (f->kind != BF_NFT_E_FIELD) {
			nft_unsupported(&c->errs, &lhs->loc,
					"nested bitwise expressions");
			return -EINVAL;
		}
		if (lhs->op == BF_NFT_BINOP_LSHIFT ||
		    lhs->op == BF_NFT_BINOP_RSHIFT) {
			nft_unsupported(&c->errs, &lhs->loc,
					"shifts in matches");
			return -EINVAL;
		}
		if (is_string(f->dtype) || is_addr(f->dtype)) {
			nft_unsupported(&c->errs, &lhs->loc,
					"bitwise operations on %s",
					nft_dtype(f->dtype)->name);
			return -EINVAL;
		}
		r = eval_value(c, lhs->sub[1], f->dtype, f->len_bits);
		if (r)
			return r;
		if (lhs->sub[1]->kind != BF_NFT_E_VALUE) {
			nft_error(&c->errs, &lhs->sub[1]->loc,
				  "a bitwise operand must be a constant");
			return -EINVAL;
		}
	}
	n = lhs_types(lhs, dts, lens);
	if (lhs->kind == BF_NFT_E_CONCAT) {
		for (size_t i = 0; i < lhs->n_sub; i++)
			if (lhs->sub[i]->kind != BF_NFT_E_FIELD) {
				nft_unsupported(
					&c->errs, &lhs->sub[i]->loc,
					"expressions in concatenations");
				return -EINVAL;
			}
	}
	if (s->u.match.op == BF_NFT_OP_VMAP) {
		if (rhs->kind == BF_NFT_E_SETREF)
			goto setref;
		if (rhs->kind != BF_NFT_E_SET) {
			nft_error(&c->errs, &rhs->loc, "vmap needs a map");
			return -EINVAL;
		}
		return eval_set_elems(c, rhs, dts, lens, n, true,
				      BF_NFT_DT_VERDICT, true);
	}
	if (rhs->kind == BF_NFT_E_SET) {
		if (s->u.match.op != BF_NFT_OP_IMPLICIT &&
		    s->u.match.op != BF_NFT_OP_EQ &&
		    s->u.match.op != BF_NFT_OP_NE) {
			nft_error(&c->errs, &rhs->loc,
				  "only == and != apply to a set");
			return -EINVAL;
		}
		return eval_set_elems(c, rhs, dts, lens, n, false, 0, true);
	}
	if (rhs->kind == BF_NFT_E_SETREF) {
setref:;
		struct bf_nft_set *set = bf_nft_set_find(c->table, rhs->text);
		if (!set) {
			nft_error(&c->errs, &rhs->loc,
				  "no such set or map: @%s", rhs->text);
			return -EINVAL;
		}
		for (size_t i = 0; i < set->n_key; i++)
			if (set->key[i] == BF_NFT_DT_INVALID)
				return 0; /* reported with the set */
		if ((s->u.match.op == BF_NFT_OP_VMAP &&
		     (!set->is_map || set->data != BF_NFT_DT_VERDICT))) {
			nft_error(&c->errs, &rhs->loc,
				  s->u.match.op == BF_NFT_OP_VMAP ?
					  "@%s is not a verdict map" :
					  "@%s is a map, not a set",
				  rhs->text);
			return -EINVAL;
		}
		if (set->n_key != n) {
			nft_error(
				&c->errs, &rhs->loc,
				"@%s has %zu key components, the expression %zu",
				rhs->text, set->n_key, n);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			bool ok = set->key[i] == dts[i] ||
				  (set->key[i] == BF_NFT_DT_INTEGER &&
				   !is_addr(dts[i]) && !is_string(dts[i])) ||
				  (set->key[i] == BF_NFT_DT_IFNAME &&
				   dts[i] == BF_NFT_DT_IFINDEX);
			if (!ok) {
				nft_error(&c->errs, &rhs->loc,
					  "@%s holds %s, the expression is %s",
					  rhs->text,
					  nft_dtype(set->key[i])->name,
					  nft_dtype(dts[i])->name);
				return -EINVAL;
			}
		}
		return 0;
	}
	if (n > 1) {
		return eval_key(c, rhs, dts, lens, n);
	}
	/* value / mask form ("fin,syn / fin,syn", "0xffffff00/24") */
	if (rhs->kind == BF_NFT_E_PREFIX && rhs->op == '/') {
		struct bf_nft_expr *val = rhs->sub[0], *mask = rhs->sub[1];
		if (lhs->kind != BF_NFT_E_FIELD || !bitmask(lhs->dtype)) {
			nft_error(&c->errs, &rhs->loc,
				  "value / mask needs a flag type");
			return -EINVAL;
		}
		if ((r = eval_value(c, val, lhs->dtype, lhs->len_bits)) ||
		    (r = eval_value(c, mask, lhs->dtype, lhs->len_bits)))
			return r;
		if (val->kind != BF_NFT_E_VALUE ||
		    mask->kind != BF_NFT_E_VALUE) {
			nft_error(&c->errs, &rhs->loc, "bad value / mask");
			return -EINVAL;
		}
		struct bf_nft_expr *b = nft_expr_new(BF_NFT_E_BINOP, &lhs->loc);
		if (!b) {
			c->oom = true;
			return -ENOMEM;
		}
		b->op = BF_NFT_BINOP_AND;
		b->dtype = lhs->dtype;
		b->len_bits = lhs->len_bits;
		nft_expr_add(b, lhs);
		nft_expr_add(b, mask);
		rhs->sub[1] = NULL;
		rhs->sub[0] = NULL;
		rhs->n_sub = 0;
		nft_expr_free(&s->u.match.rhs);
		s->u.match.rhs = val;
		s->u.match.lhs = b;
		if (s->u.match.op == BF_NFT_OP_IMPLICIT)
			s->u.match.op = BF_NFT_OP_EQ;
		lhs = b;
		rhs = val;
	} else {
		r = eval_value(c, rhs, lhs->dtype, lhs->len_bits);
		if (r)
			return r;
	}
	if (rhs->kind == BF_NFT_E_WILDCARD) {
		nft_error(&c->errs, &rhs->loc, "'*' only in sets and maps");
		return -EINVAL;
	}
	if (rhs->kind == BF_NFT_E_PREFIX && !is_addr(lhs->dtype)) {
		/* integer prefix: x & mask == value */
		uint64_t m = width_mask(lhs->len_bits) &
			     ~(width_mask(lhs->len_bits) >> rhs->plen);
		struct bf_nft_expr *b = nft_expr_new(BF_NFT_E_BINOP, &lhs->loc);
		struct bf_nft_expr *mv =
			nft_expr_new(BF_NFT_E_VALUE, &rhs->loc);
		if (!b || !mv) {
			nft_expr_free(&b);
			nft_expr_free(&mv);
			c->oom = true;
			return -ENOMEM;
		}
		mv->dtype = lhs->dtype;
		mv->num = m;
		mv->len_bits = lhs->len_bits;
		b->op = BF_NFT_BINOP_AND;
		b->dtype = lhs->dtype;
		b->len_bits = lhs->len_bits;
		nft_expr_add(b, lhs);
		nft_expr_add(b, mv);
		struct bf_nft_expr *v = TAKE_PTR(rhs->sub[0]);
		rhs->n_sub = 0;
		nft_expr_free(&s->u.match.rhs);
		v->num &= m;
		s->u.match.rhs = v;
		s->u.match.lhs = b;
		if (s->u.match.op == BF_NFT_OP_IMPLICIT)
			s->u.match.op = BF_NFT_OP_EQ;
		lhs = b;
		rhs = v;
	}
	if (rhs->kind == BF_NFT_E_PREFIX && is_addr(lhs->dtype))
		apply_prefix(rhs->sub[0]->bytes, rhs->plen);
	if (rhs->kind == BF_NFT_E_RANGE &&
	    (s->u.match.op != BF_NFT_OP_IMPLICIT &&
	     s->u.match.op != BF_NFT_OP_EQ && s->u.match.op != BF_NFT_OP_NE)) {
		nft_error(&c->errs, &rhs->loc,
			  "only == and != apply to a range");
		return -EINVAL;
	}
	if (s->u.match.op == BF_NFT_OP_NEG && lhs->kind == BF_NFT_E_BINOP) {
		nft_error(&c->errs, &rhs->loc,
			  "'!' cannot follow a bitwise expression (use == 0)");
		return -EINVAL;
	}
	/* Canonical forms (see the top of this file). */
	if (lhs->kind == BF_NFT_E_BINOP && rhs->kind == BF_NFT_E_VALUE) {
		struct bf_nft_expr *k = lhs->sub[1];
		enum bf_nft_relop op = s->u.match.op;
		if (op == BF_NFT_OP_IMPLICIT)
			op = s->u.match.op = BF_NFT_OP_EQ;
		if (lhs->op == BF_NFT_BINOP_XOR &&
		    (op == BF_NFT_OP_EQ || op == BF_NFT_OP_NE)) {
			rhs->num ^= k->num;
			s->u.match.lhs = TAKE_PTR(lhs->sub[0]);
			nft_expr_free(&lhs);
			s->u.match.op = op == BF_NFT_OP_EQ ?
						BF_NFT_OP_IMPLICIT :
						BF_NFT_OP_NE;
			if (bitmask(s->u.match.lhs->dtype) &&
			    op == BF_NFT_OP_EQ)
				s->u.match.op = BF_NFT_OP_EQ;
			return 0;
		}
		if (lhs->op == BF_NFT_BINOP_AND && bitmask(lhs->dtype) &&
		    rhs->num == 0 &&
		    (op == BF_NFT_OP_EQ || op == BF_NFT_OP_NE)) {
			rhs->num = k->num;
			s->u.match.lhs = TAKE_PTR(lhs->sub[0]);
			nft_expr_free(&lhs);
			s->u.match.op = op == BF_NFT_OP_NE ?
						BF_NFT_OP_IMPLICIT :
						BF_NFT_OP_NEG;
			return 0;
		}
		if (lhs->op == BF_NFT_BINOP_AND && bitmask(lhs->dtype) &&
		    k->num == width_mask(lhs->len_bits)) {
			s->u.match.lhs = TAKE_PTR(lhs->sub[0]);
			nft_expr_free(&lhs);
			return 0;
		}
		return 0;
	}
	if (s->u.match.op == BF_NFT_OP_EQ && !bitmask(lhs->dtype))
		s->u.match.op = BF_NFT_OP_IMPLICIT;
	if (s->u.match.op == BF_NFT_OP_NEG &&
	    (!bitmask(lhs->dtype) || rhs->kind != BF_NFT_E_VALUE)) {
		nft_error(&c->errs, &rhs->loc,
			  "'!' applies to flags only (use '!=')");
		return -EINVAL;
	}
	return 0;
}

static int eval_set_stmt(struct evalctx *c, struct bf_nft_stmt *s)
{
	struct bf_nft_expr *lhs = s->u.set.lhs;
	struct bf_nft_expr *v = s->u.set.value;

	if (lhs->kind != BF_NFT_E_FIELD ||
	    (lhs->field->id != BF_NFT_META_MARK &&
	     strcmp(lhs->field->proto, "meta") == 0) ||
	    (strcmp(lhs->field->proto, "meta") &&
	     strcmp(lhs->field->proto, "ct"))) {
		nft_unsupported(&c->errs, &s->loc, "setting this field");
		return -EINVAL;
	}
	if (!strcmp(lhs->field->proto, "ct") &&
	    lhs->field->id != BF_NFT_CT_MARK) {
		nft_unsupported(&c->errs, &s->loc, "setting ct %s",
				lhs->field->name);
		return -EINVAL;
	}
	if (v->kind == BF_NFT_E_SET) {
		nft_error(&c->errs, &v->loc, "a set cannot be assigned");
		return -EINVAL;
	}
	if (v->kind == BF_NFT_E_BINOP || v->kind == BF_NFT_E_FIELD) {
		nft_unsupported(&c->errs, &v->loc,
				"computed values in set statements");
		return -EINVAL;
	}
	return eval_value(c, v, lhs->dtype, lhs->len_bits);
}

static bool field_is(const struct bf_nft_expr *e, const char *proto,
		     const char *name)
{
	while (e && (e->kind == BF_NFT_E_BINOP || e->kind == BF_NFT_E_CONCAT))
		e = e->sub[0];
	return e && e->kind == BF_NFT_E_FIELD &&
	       !strcmp(e->field->proto, proto) &&
	       (!name || !strcmp(e->field->name, name));
}

static const struct bf_nft_field *first_field(const struct bf_nft_expr *e)
{
	while (e && (e->kind == BF_NFT_E_BINOP || e->kind == BF_NFT_E_CONCAT))
		e = e->sub[0];
	return e && e->kind == BF_NFT_E_FIELD ? e->field : NULL;
}

static bool is_single_eq(const struct bf_nft_stmt *s)
{
	return s->kind == BF_NFT_S_MATCH &&
	       s->u.match.op == BF_NFT_OP_IMPLICIT &&
	       s->u.match.lhs->kind == BF_NFT_E_FIELD &&
	       s->u.match.rhs->kind == BF_NFT_E_VALUE;
}

static void stmt_remove(struct bf_nft_rule *rule, size_t i)
{
	nft_stmt_release(&rule->stmts[i]);
	memmove(&rule->stmts[i], &rule->stmts[i + 1],
		(rule->n_stmts - i - 1) * sizeof(*rule->stmts));
	rule->n_stmts--;
}

/* nft adds `icmp type { echo-reply, echo-request }` before icmp id and
 * sequence (they exist in echo messages only) and lists it. */
static int add_icmp_echo_dep(struct evalctx *c, struct bf_nft_rule *rule)
{
	for (size_t i = 0; i < rule->n_stmts; i++) {
		struct bf_nft_stmt *s = &rule->stmts[i];
		const char *proto;
		if (s->kind != BF_NFT_S_MATCH)
			continue;
		proto = field_is(s->u.match.lhs, "icmp", NULL)	 ? "icmp" :
			field_is(s->u.match.lhs, "icmpv6", NULL) ? "icmpv6" :
								   NULL;
		if (!proto)
			continue;
		if (field_is(s->u.match.lhs, proto, "type"))
			return 0;
		if (!field_is(s->u.match.lhs, proto, "id") &&
		    !field_is(s->u.match.lhs, proto, "sequence"))
			continue;
		bool v6 = proto[4] == 'v';
		struct bf_nft_stmt dep = { 0 };
		struct bf_nft_stmt *v;
		dep.kind = BF_NFT_S_MATCH;
		dep.loc = s->loc;
		dep.u.match.op = BF_NFT_OP_IMPLICIT;
		dep.u.match.lhs = nft_expr_new(BF_NFT_E_FIELD, &s->loc);
		dep.u.match.rhs = nft_expr_new(BF_NFT_E_SET, &s->loc);
		if (!dep.u.match.lhs || !dep.u.match.rhs) {
			nft_stmt_release(&dep);
			c->oom = true;
			return -ENOMEM;
		}
		dep.u.match.lhs->field = nft_field_find(proto, "type");
		dep.u.match.lhs->dtype = dep.u.match.lhs->field->dtype;
		dep.u.match.lhs->len_bits = 8;
		for (int k = 0; k < 2; k++) {
			struct bf_nft_expr *e =
				nft_expr_new(BF_NFT_E_VALUE, &s->loc);
			if (!e || nft_expr_add(dep.u.match.rhs, e)) {
				nft_stmt_release(&dep);
				c->oom = true;
				return -ENOMEM;
			}
			e->dtype = dep.u.match.lhs->dtype;
			e->len_bits = 8;
			e->num = v6 ? (k ? 129 : 128) : (k ? 8 : 0);
		}
		v = realloc(rule->stmts, (rule->n_stmts + 1) * sizeof(*v));
		if (!v) {
			nft_stmt_release(&dep);
			c->oom = true;
			return -ENOMEM;
		}
		rule->stmts = v;
		memmove(&v[i + 1], &v[i], (rule->n_stmts - i) * sizeof(*v));
		v[i] = dep;
		rule->n_stmts++;
		return 0;
	}
	return 0;
}

/* The ICMP types an ICMP field exists in (nft's payload dependencies of
 * icmp id/sequence/mtu/gateway): *n of them, NULL when any type. */
static const uint8_t *icmp_field_types(const struct bf_nft_field *f, size_t *n)
{
	static const uint8_t echo4[] = { 0, 8 }, echo6[] = { 128, 129 };
	static const uint8_t mtu4[] = { 3 }, gw4[] = { 5 }, mtu6[] = { 2 };
	bool v6 = !strcmp(f->proto, "icmpv6");

	*n = 1;
	if (strcmp(f->proto, "icmp") && !v6)
		return NULL;
	if (!strcmp(f->name, "id") || !strcmp(f->name, "sequence")) {
		*n = 2;
		return v6 ? echo6 : echo4;
	}
	if (!strcmp(f->name, "mtu"))
		return v6 ? mtu6 : mtu4;
	if (!strcmp(f->name, "gateway"))
		return gw4;
	return NULL;
}

/* Which families the rule's matches restrict it to: bit 0 IPv4, bit 1
 * IPv6 (ip/icmp fields, ip6/icmpv6 fields, meta nfproto). */
static unsigned int rule_fams(const struct bf_nft_rule *rule)
{
	unsigned int fams = 3;

	for (size_t i = 0; i < rule->n_stmts; i++) {
		const struct bf_nft_stmt *s = &rule->stmts[i];
		const struct bf_nft_field *f;
		if (s->kind != BF_NFT_S_MATCH)
			continue;
		f = first_field(s->u.match.lhs);
		if (!f)
			continue;
		if (f->nfamily == BF_NFT_FAMILY_IP)
			fams &= 1;
		if (f->nfamily == BF_NFT_FAMILY_IP6)
			fams &= 2;
		if (!strcmp(f->proto, "meta") && f->id == BF_NFT_META_NFPROTO &&
		    s->u.match.op == BF_NFT_OP_IMPLICIT &&
		    s->u.match.rhs->kind == BF_NFT_E_VALUE)
			fams &= s->u.match.rhs->num == 2  ? 1u :
				s->u.match.rhs->num == 10 ? 2u :
							    0u;
	}
	return fams;
}

/* Matches that only state what the next payload match implies (nft's
 * payload dependency removal on listing), and reject's family defaults. */
/* `ct original|reply proto-src|proto-dst`: nft types the value from the
 * transport protocol a `ct protocol`, `meta l4proto`, `ip protocol`,
 * `ip6 nexthdr` (==) or transport header field gives, and refuses the
 * rule without one (its listing may drop a `meta l4proto` that a later
 * transport field implies: anywhere in the rule counts). */
static int check_ct_proto_ctx(struct evalctx *c, const struct bf_nft_rule *rule)
{
	const struct bf_nft_stmt *port = NULL;
	const struct bf_nft_field *pf = NULL;
	bool l4 = false;

	for (size_t i = 0; i < rule->n_stmts; i++) {
		const struct bf_nft_stmt *s = &rule->stmts[i];
		const struct bf_nft_field *f;
		if (s->kind != BF_NFT_S_MATCH)
			continue;
		f = first_field(s->u.match.lhs);
		if (!f)
			continue;
		if (!strcmp(f->proto, "ct") && (f->id == BF_NFT_CT_PROTO_SRC ||
						f->id == BF_NFT_CT_PROTO_DST)) {
			if (!port) {
				port = s;
				pf = f;
			}
			continue;
		}
		if (f->l4proto || f->base == BF_NFT_BASE_TH ||
		    (is_single_eq(s) &&
		     ((!strcmp(f->proto, "ct") && f->id == BF_NFT_CT_PROTOCOL) ||
		      field_is(s->u.match.lhs, "meta", "l4proto") ||
		      field_is(s->u.match.lhs, "ip", "protocol") ||
		      field_is(s->u.match.lhs, "ip6", "nexthdr"))))
			l4 = true;
	}
	if (port && !l4) {
		nft_error(
			&c->errs, &port->loc,
			"ct %s needs the transport protocol (ct protocol, meta l4proto)",
			pf->name);
		return -EINVAL;
	}
	return 0;
}

static int canon_rule(struct evalctx *c, struct bf_nft_rule *rule)
{
	enum bf_nft_family fam = c->table->family;

	if (check_ct_proto_ctx(c, rule))
		return -EINVAL;

	/* icmp fields that exist in some types only: an explicit type must
	 * be one of them (icmpv6 mtu's own type is implied and not listed) */
	for (size_t i = 0; i < rule->n_stmts; i++) {
		struct bf_nft_stmt *s = &rule->stmts[i];
		const struct bf_nft_field *f;
		const uint8_t *types;
		size_t nt;
		if (s->kind != BF_NFT_S_MATCH ||
		    !(f = first_field(s->u.match.lhs)) ||
		    !(types = icmp_field_types(f, &nt)))
			continue;
		for (size_t j = 0; j < rule->n_stmts; j++) {
			struct bf_nft_stmt *t = &rule->stmts[j];
			if (j == i || !is_single_eq(t) ||
			    !field_is(t->u.match.lhs, f->proto, "type"))
				continue;
			bool ok = false;
			for (size_t k = 0; k < nt; k++)
				ok |= types[k] == t->u.match.rhs->num;
			if (!ok) {
				nft_error(
					&c->errs, &s->loc,
					"%s %s does not exist in this %s type",
					f->proto, f->name, f->proto);
				return -EINVAL;
			}
			if (!strcmp(f->proto, "icmpv6") &&
			    !strcmp(f->name, "mtu")) {
				stmt_remove(rule, j);
				if (j < i)
					i--;
				j--;
			}
		}
	}
	/* `ether type 8021q` is the dependency nft adds before a vlan
	 * field, and drops from the listing; another type there conflicts
	 * (nft: "conflicting protocols") */
	for (size_t i = 0; i < rule->n_stmts; i++) {
		struct bf_nft_stmt *s = &rule->stmts[i];
		bool vlan = false;
		if (!is_single_eq(s) ||
		    !field_is(s->u.match.lhs, "ether", "type"))
			continue;
		for (size_t j = i + 1; j < rule->n_stmts && !vlan; j++) {
			const struct bf_nft_field *f;
			if (rule->stmts[j].kind != BF_NFT_S_MATCH ||
			    !(f = first_field(rule->stmts[j].u.match.lhs)))
				continue;
			vlan = !strcmp(f->proto, "vlan");
		}
		if (!vlan)
			continue;
		if (s->u.match.rhs->num != 0x8100) {
			nft_error(
				&c->errs, &s->loc,
				"conflicting protocols specified: ether type before vlan fields must be vlan (8021q)");
			return -EINVAL;
		}
		stmt_remove(rule, i);
		i--;
	}
	/* `meta iiftype ether` is the dependency nft adds before an ether
	 * field in ip, ip6 and inet tables, and drops from the listing */
	for (size_t i = 0; fam != BF_NFT_FAMILY_NETDEV &&
			   fam != BF_NFT_FAMILY_BRIDGE && i < rule->n_stmts;
	     i++) {
		struct bf_nft_stmt *s = &rule->stmts[i];
		bool l3 = false, ether = false;
		if (!is_single_eq(s) ||
		    !field_is(s->u.match.lhs, "meta", "iiftype") ||
		    s->u.match.rhs->num != 1 /* ARPHRD_ETHER */)
			continue;
		for (size_t j = i + 1; j < rule->n_stmts && !ether; j++) {
			const struct bf_nft_field *f;
			if (rule->stmts[j].kind != BF_NFT_S_MATCH ||
			    !(f = first_field(rule->stmts[j].u.match.lhs)))
				continue;
			ether = !strcmp(f->proto, "ether");
			l3 |= !strcmp(f->proto, "ip") ||
			      !strcmp(f->proto, "ip6");
		}
		if (!ether)
			continue;
		if (fam == BF_NFT_FAMILY_INET && l3) {
			/* nft lists the ether match before the ip one
			 * there; that order is not reproduced */
			nft_unsupported(
				&c->errs, &s->loc,
				"iiftype ether then ip/ip6 fields before ether ones in an inet table");
			return -EOPNOTSUPP;
		}
		stmt_remove(rule, i);
		i--;
	}
	/* adjacent equality matches on contiguous fields of one header list
	 * in header order (nft merges them into one load and splits them
	 * back in offset order) */
	for (size_t i = 0; i + 1 < rule->n_stmts; i++) {
		struct bf_nft_stmt *a = &rule->stmts[i],
				   *b = &rule->stmts[i + 1];
		if (is_single_eq(a) && is_single_eq(b) &&
		    a->u.match.lhs->field->base != BF_NFT_BASE_NONE &&
		    !strcmp(a->u.match.lhs->field->proto,
			    b->u.match.lhs->field->proto) &&
		    a->u.match.lhs->field->off_bits ==
			    b->u.match.lhs->field->off_bits +
				    b->u.match.lhs->field->len_bits) {
			struct bf_nft_stmt t = *a;
			*a = *b;
			*b = t;
			i = (size_t)-1;
		}
	}
	/* reject types against the families the rule can see */
	{
		unsigned int fams = rule_fams(rule);
		for (size_t i = 0; i < rule->n_stmts; i++) {
			struct bf_nft_stmt *s = &rule->stmts[i];
			if (s->kind != BF_NFT_S_REJECT)
				continue;
			if ((s->u.reject.type == BF_NFT_REJECT_ICMP &&
			     !(fams & 1)) ||
			    (s->u.reject.type == BF_NFT_REJECT_ICMP6 &&
			     !(fams & 2))) {
				nft_error(
					&c->errs, &s->loc,
					"this reject type cannot apply to the packets the rule matches");
				return -EINVAL;
			}
			if (fam == BF_NFT_FAMILY_INET &&
			    s->u.reject.type == BF_NFT_REJECT_DEFAULT &&
			    (fams == 1 || fams == 2)) {
				bool nfp = false;
				for (size_t j = 0; j < i; j++)
					if (is_single_eq(&rule->stmts[j]) &&
					    field_is(rule->stmts[j].u.match.lhs,
						     "meta", "nfproto"))
						nfp = true;
				if (!nfp) {
					s->u.reject.type =
						fams == 1 ? BF_NFT_REJECT_ICMP :
							    BF_NFT_REJECT_ICMP6;
					s->u.reject.code = fams == 1 ? 3 : 4;
				}
			}
			if (fam == BF_NFT_FAMILY_INET &&
			    s->u.reject.type == BF_NFT_REJECT_TCP_RESET) {
				bool dep = false;
				for (size_t j = 0; j < rule->n_stmts; j++) {
					const struct bf_nft_field *f =
						rule->stmts[j].kind ==
								BF_NFT_S_MATCH ?
							first_field(
								rule->stmts[j]
									.u.match
									.lhs) :
							NULL;
					if (f &&
					    (f->l4proto == 6 ||
					     (is_single_eq(&rule->stmts[j]) &&
					      (field_is(rule->stmts[j]
								.u.match.lhs,
							"meta", "l4proto") ||
					       field_is(rule->stmts[j]
								.u.match.lhs,
							"ip", "protocol")))))
						dep = true;
				}
				if (!dep) {
					/* nft adds and lists `meta l4proto tcp` */
					struct bf_nft_stmt d = { 0 };
					struct bf_nft_stmt *v;
					d.kind = BF_NFT_S_MATCH;
					d.loc = s->loc;
					d.u.match.lhs = nft_expr_new(
						BF_NFT_E_FIELD, &s->loc);
					d.u.match.rhs = nft_expr_new(
						BF_NFT_E_VALUE, &s->loc);
					v = realloc(rule->stmts,
						    (rule->n_stmts + 1) *
							    sizeof(*v));
					if (!d.u.match.lhs || !d.u.match.rhs ||
					    !v) {
						if (v)
							rule->stmts = v;
						nft_stmt_release(&d);
						c->oom = true;
						return -ENOMEM;
					}
					rule->stmts = v;
					d.u.match.lhs->field = nft_field_find(
						"meta", "l4proto");
					d.u.match.lhs->dtype = BF_NFT_DT_PROTO;
					d.u.match.lhs->len_bits = 8;
					d.u.match.rhs->dtype = BF_NFT_DT_PROTO;
					d.u.match.rhs->len_bits = 8;
					d.u.match.rhs->num = 6;
					memmove(&v[1], &v[0],
						rule->n_stmts * sizeof(*v));
					v[0] = d;
					rule->n_stmts++;
					i++;
				}
			}
		}
	}

	for (size_t i = 0; i + 1 < rule->n_stmts; i++) {
		struct bf_nft_stmt *s = &rule->stmts[i],
				   *n = &rule->stmts[i + 1];
		const struct bf_nft_field *nf;
		if (!is_single_eq(s))
			continue;
		if (n->kind == BF_NFT_S_REJECT && fam == BF_NFT_FAMILY_INET &&
		    field_is(s->u.match.lhs, "meta", "nfproto")) {
			uint64_t v = s->u.match.rhs->num;
			if (n->u.reject.type == BF_NFT_REJECT_ICMP6 && v == 2) {
				nft_error(
					&c->errs, &n->loc,
					"reject with icmpv6 for IPv4 packets");
				return -EINVAL;
			}
			if (n->u.reject.type == BF_NFT_REJECT_ICMP && v == 10) {
				nft_error(&c->errs, &n->loc,
					  "reject with icmp for IPv6 packets");
				return -EINVAL;
			}
			if (n->u.reject.type == BF_NFT_REJECT_ICMPX)
				continue;
			if (n->u.reject.type == BF_NFT_REJECT_DEFAULT) {
				n->u.reject.type = v == 2 ? BF_NFT_REJECT_ICMP :
							    BF_NFT_REJECT_ICMP6;
				n->u.reject.code = v == 2 ? 3 : 4;
			}
			stmt_remove(rule, i);
			i--;
			continue;
		}
		if (n->kind != BF_NFT_S_MATCH)
			continue;
		nf = first_field(n->u.match.lhs);
		if (!nf)
			continue;
		if (field_is(s->u.match.lhs, "meta", "nfproto") &&
		    !strcmp(nf->proto, "ct") && nf->nfamily >= 0 &&
		    s->u.match.rhs->num !=
			    (nf->nfamily == BF_NFT_FAMILY_IP ? 2u : 10u)) {
			/* a ct tuple of the other family (nft: conflicting
			 * protocols) */
			nft_error(
				&c->errs, &n->loc,
				"conflicting protocols specified: ct %s after meta nfproto %s",
				nf->name,
				s->u.match.rhs->num == 2 ? "ipv4" : "ipv6");
			return -EINVAL;
		}
		if ((field_is(s->u.match.lhs, "meta", "l4proto") ||
		     (fam == BF_NFT_FAMILY_IP &&
		      field_is(s->u.match.lhs, "ip", "protocol")) ||
		     (fam == BF_NFT_FAMILY_IP6 &&
		      field_is(s->u.match.lhs, "ip6", "nexthdr"))) &&
		    nf->l4proto && nf->l4proto == s->u.match.rhs->num) {
			stmt_remove(rule, i);
			i--;
			continue;
		}
		if ((field_is(s->u.match.lhs, "meta", "protocol") &&
		     ((fam == BF_NFT_FAMILY_IP &&
		       s->u.match.rhs->num == 0x0800) ||
		      (fam == BF_NFT_FAMILY_IP6 &&
		       s->u.match.rhs->num == 0x86dd))) ||
		    (fam == BF_NFT_FAMILY_INET &&
		     field_is(s->u.match.lhs, "meta", "nfproto") &&
		     nf->nfamily >= 0 &&
		     s->u.match.rhs->num ==
			     (nf->nfamily == BF_NFT_FAMILY_IP ? 2u : 10u))) {
			stmt_remove(rule, i);
			i--;
			continue;
		}
	}
	for (size_t i = 0; i < rule->n_stmts; i++) {
		struct bf_nft_stmt *s = &rule->stmts[i];
		if (s->kind != BF_NFT_S_REJECT)
			continue;
		if ((fam == BF_NFT_FAMILY_IP &&
		     s->u.reject.type == BF_NFT_REJECT_ICMP6) ||
		    (fam == BF_NFT_FAMILY_IP6 &&
		     s->u.reject.type == BF_NFT_REJECT_ICMP)) {
			nft_error(
				&c->errs, &s->loc,
				"this reject type does not exist in an %s table",
				bf_nft_family_name(fam));
			return -EINVAL;
		}
		if ((fam == BF_NFT_FAMILY_IP &&
		     s->u.reject.type == BF_NFT_REJECT_ICMP &&
		     s->u.reject.code == 3) ||
		    (fam == BF_NFT_FAMILY_IP6 &&
		     s->u.reject.type == BF_NFT_REJECT_ICMP6 &&
		     s->u.reject.code == 4) ||
		    (fam == BF_NFT_FAMILY_INET &&
		     s->u.reject.type == BF_NFT_REJECT_ICMPX &&
		     s->u.reject.code == 1))
			s->u.reject.type = BF_NFT_REJECT_DEFAULT;
		if (s->u.reject.type == BF_NFT_REJECT_TCP_RESET) {
			for (size_t j = 0; j < i; j++) {
				struct bf_nft_stmt *m = &rule->stmts[j];
				if (is_single_eq(m) &&
				    (field_is(m->u.match.lhs, "meta",
					      "l4proto") ||
				     field_is(m->u.match.lhs, "ip",
					      "protocol")) &&
				    m->u.match.rhs->num != 6) {
					nft_error(
						&c->errs, &s->loc,
						"reject with tcp reset needs TCP packets");
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

/* A `!=` comparison of a byte-aligned payload field with one value, which
 * nft 1.0.6 may merge with its neighbour (merge_neq()). Fields whose load
 * can fail without a protocol gate (`th`, link layer) are left alone. */
static bool neq_candidate(const struct bf_nft_stmt *s, bool *neq)
{
	const struct bf_nft_field *f;

	if (s->kind != BF_NFT_S_MATCH ||
	    s->u.match.lhs->kind != BF_NFT_E_FIELD ||
	    s->u.match.rhs->kind != BF_NFT_E_VALUE)
		return false;
	f = s->u.match.lhs->field;
	if (f->base != BF_NFT_BASE_NH && f->base != BF_NFT_BASE_TH)
		return false;
	if (f->off_bits % 8 || f->len_bits % 8 || !f->len_bits)
		return false;
	*neq = s->u.match.op == BF_NFT_OP_NE;
	return *neq || s->u.match.op == BF_NFT_OP_IMPLICIT ||
	       s->u.match.op == BF_NFT_OP_EQ;
}

struct neq_item {
	size_t idx; /* statement */
	unsigned int base, off, len; /* bytes */
	bool neq;
	int group; /* first item of its merged run, -1 */
};

static int neq_item_cmp(const void *a, const void *b)
{
	const struct neq_item *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * nft 1.0.6 (the nft of this system) merges the payload comparisons of a
 * rule that load adjacent bytes of one header with the same operator into
 * one load and one comparison (rule_postprocess(), payload_do_merge():
 * statements sorted by header and offset, payload_can_merge(): byte
 * aligned, at most 4 bytes together, or more when one already has more,
 * at most 16; a counter between them does not stop it). For `==` that is
 * the same test; for `!=` it is not: `tcp sport != 1 tcp dport != 2`
 * becomes `[ payload load 4b @ transport header + 0 ] [ cmp neq ]`, true
 * unless both are equal, and that is what the kernel runs (nftables
 * fixed it later: "rule: do not merge OP_NEQ"). Such a run of `!=`
 * statements is rewritten here to what the kernel gets: one statement
 * `f1 . f2 != { v1 . v2 }` (lowered as a negated set, lower_negset()).
 * Only runs of matches and counters are looked at.
 */
static int merge_neq(struct evalctx *c, struct bf_nft_rule *rule)
{
	/* 1: a run was rewritten, 0: none left, -ENOMEM */
	struct neq_item it[64];
	size_t n = 0, end = 0;

	while (end < rule->n_stmts &&
	       (rule->stmts[end].kind == BF_NFT_S_MATCH ||
		rule->stmts[end].kind == BF_NFT_S_COUNTER))
		end++;
	for (size_t i = 0; i < end && n < ARRAY_SIZE(it); i++) {
		const struct bf_nft_field *f;
		bool neq;

		if (!neq_candidate(&rule->stmts[i], &neq))
			continue;
		f = rule->stmts[i].u.match.lhs->field;
		it[n++] = (struct neq_item){ .idx = i,
					     .base = f->base,
					     .off = f->off_bits / 8u,
					     .len = f->len_bits / 8u,
					     .neq = neq,
					     .group = -1 };
	}
	if (n < 2)
		return 0;
	qsort(it, n, sizeof(*it), neq_item_cmp);
	for (size_t last = 0, i = 1; i < n; i++) {
		unsigned int l = it[last].len, t = l + it[i].len;
		bool ok = it[last].base == it[i].base &&
			  it[last].off + l == it[i].off &&
			  it[last].neq == it[i].neq && t <= 16 &&
			  (t <= 4 || l > 4 || it[i].len > 4);

		if (!ok) {
			last = i;
			continue;
		}
		it[last].len = t;
		it[i].group = (int)last;
		if (it[last].group < 0)
			it[last].group = (int)last;
	}
	/* rewrite each merged `!=` run (from the end: indexes stay valid) */
	for (size_t g = n; g-- > 0;) {
		struct bf_nft_expr *lhs, *set, *el;
		size_t first = SIZE_MAX, members = 0;
		struct bf_nft_stmt *s;

		if (it[g].group != (int)g || !it[g].neq)
			continue;
		for (size_t i = 0; i < n; i++)
			if (it[i].group == (int)g) {
				members++;
				if (it[i].idx < first)
					first = it[i].idx;
			}
		if (members < 2)
			continue;
		s = &rule->stmts[first];
		lhs = nft_expr_new(BF_NFT_E_CONCAT, &s->loc);
		set = nft_expr_new(BF_NFT_E_SET, &s->loc);
		el = nft_expr_new(BF_NFT_E_CONCAT, &s->loc);
		if (!lhs || !set || !el) {
			nft_expr_free(&lhs);
			nft_expr_free(&set);
			nft_expr_free(&el);
			c->oom = true;
			return -ENOMEM;
		}
		/* components in header order, as the kernel's load */
		for (size_t i = 0; i < n; i++) {
			struct bf_nft_stmt *m;
			struct bf_nft_expr *ml, *mr;

			if (it[i].group != (int)g)
				continue;
			m = &rule->stmts[it[i].idx];
			ml = m->u.match.lhs;
			mr = m->u.match.rhs;
			m->u.match.lhs = NULL;
			m->u.match.rhs = NULL;
			lhs->len_bits += ml->len_bits;
			el->len_bits += mr->len_bits;
			if (nft_expr_add(lhs, ml) || nft_expr_add(el, mr)) {
				nft_expr_free(&lhs);
				nft_expr_free(&el);
				nft_expr_free(&set);
				c->oom = true;
				return -ENOMEM;
			}
		}
		if (nft_expr_add(set, el)) {
			nft_expr_free(&lhs);
			nft_expr_free(&set);
			c->oom = true;
			return -ENOMEM;
		}
		s->u.match.lhs = lhs;
		s->u.match.rhs = set;
		s->u.match.op = BF_NFT_OP_NE;
		s->u.match.merged_neq = true;
		/* the other members go (from the highest index down) */
		for (size_t k = rule->n_stmts; k-- > 0;) {
			bool member = false;

			for (size_t i = 0; i < n; i++)
				member |= it[i].group == (int)g &&
					  it[i].idx == k && k != first;
			if (member)
				stmt_remove(rule, k);
		}
		/* indexes moved: the caller runs this again */
		return 1;
	}
	return 0;
}

static int eval_rule(struct evalctx *c, struct bf_nft_rule *rule)
{
	int ret = 0;

	for (size_t i = 0; i < rule->n_stmts; i++) {
		struct bf_nft_stmt *s = &rule->stmts[i];
		int r = 0;
		switch (s->kind) {
		case BF_NFT_S_MATCH:
			r = eval_match(c, s);
			break;
		case BF_NFT_S_SET:
			r = eval_set_stmt(c, s);
			break;
		case BF_NFT_S_VERDICT:
			if (s->u.verdict.chain &&
			    !bf_nft_chain_find(c->table, s->u.verdict.chain)) {
				nft_error(&c->errs, &s->loc,
					  "no such chain: %s",
					  s->u.verdict.chain);
				r = -EINVAL;
			}
			break;
		case BF_NFT_S_BPF:
			/* bpfilter's `bpf verdict`: the rule's verdict, last
			 * (a counter may follow, as after accept) */
			for (size_t k = 0; k < rule->n_stmts; k++) {
				const struct bf_nft_stmt *o = &rule->stmts[k];
				if (!s->u.bpf.verdict || o == s)
					continue;
				if ((k > i && o->kind != BF_NFT_S_COUNTER) ||
				    o->kind == BF_NFT_S_VERDICT ||
				    o->kind == BF_NFT_S_REJECT ||
				    (o->kind == BF_NFT_S_BPF &&
				     o->u.bpf.verdict) ||
				    (o->kind == BF_NFT_S_MATCH &&
				     o->u.match.op == BF_NFT_OP_VMAP)) {
					nft_error(
						&c->errs, &o->loc,
						"a bpf verdict is the rule's verdict: nothing but a counter may follow it, and no other verdict");
					r = -EINVAL;
					break;
				}
			}
			break;
		default:
			break;
		}
		if (r && !ret)
			ret = r;
		if (c->oom)
			return -ENOMEM;
	}
	if (!ret)
		ret = add_icmp_echo_dep(c, rule);
	if (!ret)
		ret = canon_rule(c, rule);
	/* each pass merges one run (a bounded number of statements) */
	for (size_t k = 0; !ret && k < rule->n_stmts; k++) {
		ret = merge_neq(c, rule);
		if (ret <= 0)
			break;
		ret = 0;
	}
	return ret;
}

static int eval_named_set(struct evalctx *c, struct bf_nft_set *s)
{
	for (size_t i = 0; i < s->n_key; i++)
		if (s->key[i] == BF_NFT_DT_INVALID)
			return 0; /* its type was reported unsupported */
	if (!s->n_key) {
		nft_error(&c->errs, &s->loc, "set %s has no type", s->name);
		return -EINVAL;
	}
	if (s->is_map && s->data == BF_NFT_DT_INVALID) {
		nft_error(&c->errs, &s->loc, "map %s has no data type",
			  s->name);
		return -EINVAL;
	}
	if (!s->elems)
		return 0;
	int r = eval_set_elems(c, s->elems, s->key, s->key_len_bits, s->n_key,
			       s->is_map, s->data, false);
	if (r)
		return r;
	if ((s->flags & BF_NFT_SET_INTERVAL) && !s->auto_merge &&
	    s->n_key == 1 && !s->is_map && check_overlaps(c, s->elems))
		return -EINVAL;
	if (!(s->flags & BF_NFT_SET_INTERVAL)) {
		for (size_t i = 0; i < s->elems->n_sub; i++) {
			struct bf_nft_expr *e = s->elems->sub[i];
			if (e->kind == BF_NFT_E_MAPPING)
				e = e->sub[0];
			if (e->kind == BF_NFT_E_RANGE ||
			    e->kind == BF_NFT_E_PREFIX) {
				nft_error(
					&c->errs, &e->loc,
					"set %s needs 'flags interval' for ranges and prefixes",
					s->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int nft_eval(struct bf_nft *nft)
{
	struct evalctx c = { 0 };

	for (size_t t = 0; t < nft->n_tables; t++) {
		struct bf_nft_table *tb = &nft->tables[t];
		c.table = tb;
		for (size_t i = 0; i < tb->n_sets; i++) {
			eval_named_set(&c, &tb->sets[i]);
			if (c.oom)
				return -ENOMEM;
		}
		for (size_t i = 0; i < tb->n_chains; i++) {
			for (size_t j = 0; j < tb->chains[i].n_rules; j++) {
				if (eval_rule(&c, &tb->chains[i].rules[j]) ==
				    -ENOMEM)
					return -ENOMEM;
			}
		}
		nft_check_chain_refs(tb, &c.errs);
	}
	return nft_errs_ret(&c.errs);
}
