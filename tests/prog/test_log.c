// SPDX-License-Identifier: GPL-2.0-only
/* Program tests: the LOG target counts, lets evaluation go on with the
 * next rule (XT_CONTINUE), and writes one record per logged packet into
 * the program's ring buffer (include/bpfilter/pktlog.h). */
#include <bpf/libbpf.h>

#include "bpfilter/pktlog.h"
#include "prog_util.h"

struct kind {
	enum bf_attach_kind attach;
	enum bf_hook hook;
};

static const struct kind kinds[] = {
	{ BF_ATTACH_NF, BF_HOOK_INPUT },   { BF_ATTACH_NF, BF_HOOK_OUTPUT },
	{ BF_ATTACH_NF, BF_HOOK_FORWARD }, { BF_ATTACH_TC, BF_HOOK_INPUT },
	{ BF_ATTACH_TC, BF_HOOK_OUTPUT },  { BF_ATTACH_XDP, BF_HOOK_INPUT },
};

#define MAX_RECS 8

struct recs {
	struct bf_pktlog_rec r[MAX_RECS];
	size_t n;
	size_t bad_size;
};

static int on_rec(void *ctx, void *data, size_t size)
{
	struct recs *rs = ctx;

	if (size != sizeof(struct bf_pktlog_rec)) {
		rs->bad_size++;
		return 0;
	}
	if (rs->n < MAX_RECS)
		memcpy(&rs->r[rs->n], data, size);
	rs->n++;
	return 0;
}

/* Drain the program's ring buffer into *out. */
static void drain(const struct pu_prog *p, struct recs *out)
{
	struct ring_buffer *rb;
	int fd = bf_pktlog_ring_fd(p->prog_fd);

	assert_true(fd >= 0);
	memset(out, 0, sizeof(*out));
	rb = ring_buffer__new(fd, on_rec, out, NULL);
	assert_non_null(rb);
	assert_true(ring_buffer__consume(rb) >= 0);
	ring_buffer__free(rb);
	close(fd);
	assert_int_equal(out->bad_size, 0);
}

static void check_rec(const struct bf_pktlog_rec *r, const struct kind *k,
		      int f, uint32_t idx, const struct pu_pkt *pkt)
{
	size_t cap = pkt->len < BF_PKTLOG_CAP ? pkt->len : BF_PKTLOG_CAP;

	assert_int_equal(r->counter_idx, idx);
	assert_int_equal(r->hook, k->hook);
	assert_int_equal(r->family, f);
	assert_int_equal(r->attach, k->attach);
	assert_int_equal(r->len, pkt->len);
	assert_int_equal(r->caplen, cap);
	assert_memory_equal(r->data, pkt->b, cap);
	assert_int_equal(r->mark, 0);
	/* tc/XDP ingress: the Ethernet header in front of the packet */
	if (k->attach != BF_ATTACH_NF) {
		if (k->hook == BF_HOOK_INPUT) {
			assert_int_equal(r->maclen, 14);
			assert_int_equal(r->mac[12], f ? 0x86 : 0x08);
			assert_int_equal(r->mac[13], f ? 0xdd : 0x00);
		} else {
			assert_int_equal(r->maclen, 0);
		}
	}
}

/* builtin: -p tcp -j LOG; -p tcp -j DROP; policy ACCEPT. A TCP packet is
 * logged once and dropped by the next rule; a UDP packet is neither
 * logged nor dropped. The same LOG rule in a user chain reached by -j
 * (a global subprogram) behaves alike. */
static void test_log_continue(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (int f = 0; f < BF_FAMILY_COUNT; f++) {
			for (int in_user = 0; in_user < 2; in_user++) {
				struct bf_ruleset *rs = bf_ruleset_new();
				struct bf_chain *b, *u = NULL, *lc;
				struct pu_prog p;
				struct pu_pkt tcp, udp;
				struct recs got;
				size_t li;

				b = bf_ruleset_builtin(rs, f, kinds[k].hook);
				b->policy = BF_VERDICT_ACCEPT;
				if (in_user) {
					assert_int_equal(
						bf_ruleset_add_chain(rs, f, "L",
								     0, &u),
						0);
					PU_RULE(b, BF_VERDICT_JUMP, "L",
						pu_proto(6, false));
					b = bf_ruleset_builtin(rs, f,
							       kinds[k].hook);
				}
				lc = in_user ? u : b;
				PU_RULE(lc, BF_VERDICT_LOG, NULL,
					pu_proto(6, false));
				li = lc->n_rules - 1;
				lc->rules[li].verdict.u.log.level = 4;
				PU_RULE(b, BF_VERDICT_DROP, NULL,
					pu_proto(6, false));
				assert_int_equal(pu_load(rs, kinds[k].attach,
							 kinds[k].hook, f,
							 "veth0", &p),
						 0);
				tcp = f ? pu_tcp6("2001:db8::1", "2001:db8::2",
						  1000, 22, 0x02) :
					  pu_tcp4("192.0.2.1", "192.0.2.2",
						  1000, 22, 0x02);
				udp = f ? pu_udp6("2001:db8::1", "2001:db8::2",
						  1000, 53) :
					  pu_udp4("192.0.2.1", "192.0.2.2",
						  1000, 53);
				assert_int_equal(pu_run(&p, udp.b, udp.len, f),
						 pu_accept(&p));
				drain(&p, &got);
				assert_int_equal(got.n, 0);
				assert_int_equal(pu_run(&p, tcp.b, tcp.len, f),
						 pu_drop(&p));
				assert_int_equal(pu_run(&p, tcp.b, tcp.len, f),
						 pu_drop(&p));
				drain(&p, &got);
				assert_int_equal(got.n, 2);
				for (size_t i = 0; i < 2; i++)
					check_rec(&got.r[i], &kinds[k], f,
						  lc->rules[li].counter_idx,
						  &tcp);
				assert_int_equal(
					pu_counter(&p,
						   lc->rules[li].counter_idx)
						.packets,
					2);
				assert_int_equal(
					pu_counter(&p, b->rules[b->n_rules - 1]
							       .counter_idx)
						.packets,
					2);
				pu_close(&p);
				bf_ruleset_free(&rs);
			}
		}
	}
}

/* A program without LOG rules has no ring buffer. */
static void test_no_ring(void **state)
{
	struct bf_ruleset *rs;
	struct pu_prog p;

	(void)state;
	BFT_REQUIRE_KERNEL();
	rs = bf_ruleset_new();
	PU_RULE(bf_ruleset_builtin(rs, 0, BF_HOOK_INPUT), BF_VERDICT_DROP, NULL,
		pu_proto(6, false));
	assert_int_equal(
		pu_load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, 0, "veth0", &p), 0);
	assert_int_equal(bf_pktlog_ring_fd(p.prog_fd), -ENOENT);
	pu_close(&p);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_continue),
		cmocka_unit_test(test_no_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
