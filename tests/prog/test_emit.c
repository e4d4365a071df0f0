// SPDX-License-Identifier: GPL-2.0-only
/* The emitter alone (no kernel needed): fixups, dead code, the inverted
 * last jump, jump range errors. */
#include <errno.h>

#include "bftest.h"
#include "cgen/emit.h"

static void test_fixups_and_dead_code(void **state)
{
	struct bf_emit e;
	bf_label a, b;

	(void)state;
	bf_emit_init(&e);
	a = bf_label_new(&e);
	b = bf_label_new(&e);
	bf_emit_jmp_imm(&e, BPF_JEQ, BF_R1, 5, a); /* 0 */
	bf_emit_ret(&e, 1); /* 1, 2 */
	bf_emit(&e, I_MOV64_IMM(BF_R0, 9)); /* dead: dropped */
	bf_label_bind(&e, b); /* unused: still dead */
	bf_emit(&e, I_MOV64_IMM(BF_R0, 8)); /* dropped */
	bf_label_bind(&e, a); /* used: live again */
	bf_emit_ret(&e, 2); /* 3, 4 */
	assert_int_equal(bf_emit_finish(&e), 0);
	assert_int_equal(e.n, 5);
	assert_int_equal(e.insns[0].off, 2);
	assert_int_equal(e.insns[3].imm, 2);
	bf_emit_release(&e);
}

static void test_backward_ref(void **state)
{
	struct bf_emit e;
	bf_label next, cold;

	(void)state;
	bf_emit_init(&e);
	next = bf_label_new(&e);
	cold = bf_label_new(&e);
	bf_emit_jmp_imm(&e, BPF_JGT, BF_R1, 3, cold); /* 0 */
	bf_label_ref(&e, next); /* the cold code will come back here */
	bf_emit(&e, I_EXIT()); /* 1 */
	bf_label_bind(&e, next);
	bf_emit(&e, I_EXIT()); /* 2: kept thanks to the reference */
	bf_label_bind(&e, cold);
	bf_emit_ja(&e, next); /* 3: backward */
	assert_int_equal(bf_emit_finish(&e), 0);
	/* the backward jump is padded (`if r10 == 0 goto +0`, 5 bytes of
	 * x86 each) to jump over more than 128 bytes: the x86 JIT then
	 * always encodes it the same way (doc/codegen.md) */
	assert_true(e.n > 4);
	assert_true((e.n - 4) * 5 > 128);
	for (size_t i = 3; i < e.n - 1; i++) {
		assert_int_equal(e.insns[i].code, BPF_JMP | BPF_JEQ | BPF_K);
		assert_int_equal(e.insns[i].dst_reg, BF_FP);
		assert_int_equal(e.insns[i].off, 0);
	}
	assert_int_equal(e.insns[0].off, 2);
	assert_int_equal(e.insns[e.n - 1].off, 2 - (int)e.n);
	/* one exit per function: the first exit jumps to the last one */
	assert_int_equal(e.insns[1].code, BPF_JMP | BPF_JA);
	assert_int_equal(e.insns[1].off, 0);
	assert_int_equal(e.insns[2].code, BPF_JMP | BPF_EXIT);
	bf_emit_release(&e);
}

static void test_invert_last(void **state)
{
	struct bf_emit e;
	bf_label next, matched, other;

	(void)state;
	bf_emit_init(&e);
	next = bf_label_new(&e);
	matched = bf_label_new(&e);
	other = bf_label_new(&e);
	bf_emit_jmp32_imm(&e, BPF_JLT, BF_R1, 7, next);
	assert_true(bf_emit_invert_last(&e, next, matched));
	assert_int_equal(BPF_OP(e.insns[0].code), BPF_JGE);
	assert_int_equal(bf_label_refs(&e, next), 0);
	assert_int_equal(bf_label_refs(&e, matched), 1);
	/* not when another jump lands right after the last insn */
	bf_emit_jmp32_imm(&e, BPF_JEQ, BF_R1, 1, other);
	bf_emit_jmp32_imm(&e, BPF_JNE, BF_R1, 2, next);
	bf_label_bind(&e, other);
	assert_false(bf_emit_invert_last(&e, next, matched));
	/* nor for a jump to another label */
	bf_emit_jmp32_imm(&e, BPF_JNE, BF_R1, 2, other);
	assert_false(bf_emit_invert_last(&e, next, matched));
	bf_emit_release(&e);
}

static void test_range(void **state)
{
	struct bf_emit e;
	bf_label far;

	(void)state;
	bf_emit_init(&e);
	far = bf_label_new(&e);
	bf_emit_jmp_imm(&e, BPF_JEQ, BF_R1, 0, far);
	for (int i = 0; i < 40000; i++)
		bf_emit(&e, I_MOV64_IMM(BF_R0, i));
	bf_label_bind(&e, far);
	bf_emit(&e, I_EXIT());
	assert_int_equal(bf_emit_finish(&e), -E2BIG);
	bf_emit_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixups_and_dead_code),
		cmocka_unit_test(test_backward_ref),
		cmocka_unit_test(test_invert_last),
		cmocka_unit_test(test_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
