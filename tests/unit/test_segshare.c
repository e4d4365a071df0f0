// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of shared fold lookups of segment programs
 * (cgen/c_segshare.h): shapes by bf_fold_compatible(), at most
 * BF_SEG_SHAPES; per key one word per segment, the segment's first rule
 * with the key winning; the root's map rows (all ones where a segment has
 * no rule with the key). The programs that use it: e2e_seg
 * test_fold_shared4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/ir.h"
#include "cgen/c_segshare.h"
#include "opt/opt.h"

/* Runs of 8 rules: /32 sources (DROP; a duplicate of the first at the
 * end), the same with -p tcp, /32 sources again after a rule that
 * cannot fold; then (more_shapes()) /32 destinations, /24 sources, /24
 * destinations, and /32 sources with -p udp (the protocol is a key part:
 * the shape of -p tcp). */
static const char text[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -s 198.51.100.1 -j DROP\n-A INPUT -s 198.51.100.2 -j DROP\n"
	"-A INPUT -s 198.51.100.3 -j DROP\n-A INPUT -s 198.51.100.4 -j DROP\n"
	"-A INPUT -s 198.51.100.5 -j DROP\n-A INPUT -s 198.51.100.6 -j DROP\n"
	"-A INPUT -s 198.51.100.7 -j DROP\n-A INPUT -s 198.51.100.1 -j ACCEPT\n"
	"-A INPUT -s 198.51.100.1 -p tcp -j ACCEPT\n"
	"-A INPUT -s 198.51.100.2 -p tcp -j ACCEPT\n"
	"-A INPUT -s 198.51.100.3 -p tcp -j ACCEPT\n"
	"-A INPUT -s 198.51.100.4 -p tcp -j ACCEPT\n"
	"-A INPUT -s 198.51.100.5 -p tcp -j ACCEPT\n"
	"-A INPUT -s 198.51.100.6 -p tcp -j ACCEPT\n"
	"-A INPUT -s 198.51.100.7 -p tcp -j ACCEPT\n"
	"-A INPUT -s 198.51.100.8 -p tcp -j ACCEPT\n"
	"-A INPUT -s 203.0.113.0/24 -p udp --dport 1:9 -j DROP\n"
	"-A INPUT -s 198.51.100.9 -j ACCEPT\n-A INPUT -s 198.51.100.1 -j ACCEPT\n"
	"-A INPUT -s 198.51.100.10 -j ACCEPT\n-A INPUT -s 198.51.100.11 -j ACCEPT\n"
	"-A INPUT -s 198.51.100.12 -j ACCEPT\n-A INPUT -s 198.51.100.13 -j ACCEPT\n"
	"-A INPUT -s 198.51.100.14 -j ACCEPT\n-A INPUT -s 198.51.100.15 -j ACCEPT\n"
	"COMMIT\n";

static void more_shapes(FILE *m)
{
	static const char *const kind[] = { "-d 192.0.2.%d", "-s 192.0.%d.0/24",
					    "-d 192.0.%d.0/24" };

	for (int k = 0; k < 3; k++) {
		for (int i = 1; i <= 8; i++) {
			fputs("-A INPUT ", m);
			fprintf(m, kind[k], i);
			fputs(" -j DROP\n", m);
		}
		fprintf(m, "-A INPUT -s 203.0.113.0/24 -p udp --dport 1:9 "
			   "-j DROP\n");
	}
	for (int i = 1; i <= 8; i++)
		fprintf(m, "-A INPUT -s 192.0.2.%d -p udp -j DROP\n", i);
}

static uint32_t val(const struct bf_rule *r)
{
	return r->counter_idx << 2 |
	       (r->verdict.kind == BF_VERDICT_ACCEPT ? 1u : 2u);
}

/* Add the keys of group g as segment `col` does (share_fill() in
 * cgen.c). */
static void add_group(struct bf_seg_share *s, int shape, uint32_t col,
		      const struct bf_chain *c, const struct bf_fold_group *g)
{
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t key[BF_FOLD_KEY_MAX], n_parts;
	uint8_t size = bf_fold_layout(g, SIZE_MAX, parts, &n_parts);

	for (size_t i = 0; i < g->n; i++) {
		const struct bf_rule *r = &c->rules[g->first + i];

		bf_fold_key(parts, n_parts, size, (uint32_t)shape + 1, r, key);
		assert_int_equal(bf_seg_share_add(s, shape, col, key, val(r)),
				 0);
	}
}

/* The row of the key of rule r (of group g, shape) in map m. */
static const uint32_t *row_of(const struct bf_prog_map *m, int shape,
			      const struct bf_fold_group *g,
			      const struct bf_rule *r)
{
	struct bf_fold_part parts[BF_FOLD_PARTS_MAX];
	uint8_t key[BF_FOLD_KEY_MAX], n_parts;
	uint8_t size = bf_fold_layout(g, SIZE_MAX, parts, &n_parts);

	bf_fold_key(parts, n_parts, size, (uint32_t)shape + 1, r, key);
	for (uint32_t i = 0; i < m->n; i++) {
		if (!memcmp(m->keys + (size_t)i * m->key_size, key, size))
			return (const uint32_t *)(m->vals +
						  (size_t)i * m->value_size);
	}
	return NULL;
}

static void test_registry(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_seg_share *s = bf_seg_share_new();
	struct bf_fold_group *g = NULL;
	struct bf_prog_map m;
	const struct bf_chain *c;
	const uint32_t *row;
	char *buf = NULL;
	size_t ng = 0, sz = 0;
	int sh[8];
	FILE *f = open_memstream(&buf, &sz);

	(void)state;
	assert_non_null(rs);
	assert_non_null(s);
	assert_non_null(f);
	fwrite(text, 1, sizeof(text) - 1 - strlen("COMMIT\n"), f);
	more_shapes(f);
	fputs("COMMIT\n", f);
	fclose(f);
	assert_int_equal(
		bf_ipt_parse_restore_str(rs, buf, "t", BF_FAMILY_INET4), 0);
	bf_ruleset_number(rs);
	c = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	assert_non_null(c);
	assert_int_equal(bf_fold_chain(c, &g, &ng), 0);
	/* -s, -s -p tcp, -s (again), -d, -s /24, -d /24, -s -p udp */
	assert_int_equal(ng, 7);
	for (size_t i = 0; i < ng; i++)
		sh[i] = bf_seg_share_shape(s, &c->rules[g[i].first], &g[i]);
	/* the first and third group: one shape; four shapes at most */
	assert_int_equal(sh[0], 0);
	assert_int_equal(sh[1], 1);
	assert_int_equal(sh[2], 0);
	assert_int_equal(sh[3], 2);
	assert_int_equal(sh[4], 3);
	assert_int_equal(sh[5], -1);
	assert_int_equal(sh[6], 1);
	assert_int_equal(s->n_shapes, BF_SEG_SHAPES);

	/* segment 0 holds groups 0 and 2, segment 2 group 2 again */
	add_group(s, 0, 0, c, &g[0]);
	add_group(s, 0, 0, c, &g[2]);
	add_group(s, 0, 2, c, &g[2]);
	s->n_seg = 3;
	assert_int_equal(bf_seg_share_map(s, 0, &m), 0);
	assert_int_equal(m.value_size, 16); /* 3 words, 8-byte multiple */
	assert_int_equal(m.n, 7 + 7); /* .1-.7, then .9-.15 */
	/* 198.51.100.1: rule 1 in segment 0 (its later duplicates lose),
	 * the duplicate of group 2 in segment 2 */
	row = row_of(&m, 0, &g[0], &c->rules[0]);
	assert_non_null(row);
	assert_int_equal(row[0], val(&c->rules[0]));
	assert_int_equal(row[1], BF_SEG_NONE);
	assert_int_equal(row[2], val(&c->rules[g[2].first + 1]));
	assert_int_equal(row[3], BF_SEG_NONE); /* padding */
	/* 198.51.100.9: group 2's first rule, in segments 0 and 2 */
	row = row_of(&m, 0, &g[2], &c->rules[g[2].first]);
	assert_non_null(row);
	assert_int_equal(row[0], val(&c->rules[g[2].first]));
	assert_int_equal(row[1], BF_SEG_NONE);
	assert_int_equal(row[2], val(&c->rules[g[2].first]));
	/* 198.51.100.2: segment 0 only */
	row = row_of(&m, 0, &g[0], &c->rules[1]);
	assert_non_null(row);
	assert_int_equal(row[0], val(&c->rules[1]));
	assert_int_equal(row[2], BF_SEG_NONE);
	free(m.keys);
	free(m.vals);
	/* a shape nobody filled: an empty map */
	assert_int_equal(bf_seg_share_map(s, 3, &m), 0);
	assert_int_equal(m.n, 0);
	free(m.keys);
	free(m.vals);

	free(g);
	free(buf);
	bf_seg_share_free(&s);
	assert_null(s);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
