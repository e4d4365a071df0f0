// SPDX-License-Identifier: GPL-2.0-only
/* A disassembler for what the code generator emits, one line per insn. */
#include <inttypes.h>
#include <stdio.h>

#include "cgen/cgen.h"
#include "kbtf/kbtf.h"

static const char *const alu_ops[16] = {
	"+=",  "-=", "*=", "/=", "|=",	 "&=",	"<<=", ">>=",
	"neg", "%=", "^=", "=",	 "s>>=", "end", "?",   "?",
};
static const char *const jmp_ops[16] = {
	"goto", "==",	">", ">=", "&",	 "!=",	"s>", "s>=",
	"call", "exit", "<", "<=", "s<", "s<=", "?",  "?",
};
static const char *const sizes[4] = { "u32", "u16", "u8", "u64" };

static void dump_insn(const struct bpf_insn *in, size_t i, FILE *out)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	const char *sz = sizes[BPF_SIZE(in->code) >> 3];
	char w = cls == BPF_ALU || cls == BPF_JMP32 ? 'w' : 'r';

	fprintf(out, "%5zu: ", i);
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_END)
			fprintf(out, "r%u = be%d r%u", in->dst_reg, in->imm,
				in->dst_reg);
		else if (op == BPF_NEG)
			fprintf(out, "%c%u = -%c%u", w, in->dst_reg, w,
				in->dst_reg);
		else if (BPF_SRC(in->code) == BPF_X)
			fprintf(out, "%c%u %s %c%u", w, in->dst_reg,
				alu_ops[op >> 4], w, in->src_reg);
		else
			fprintf(out, "%c%u %s %d", w, in->dst_reg,
				alu_ops[op >> 4], in->imm);
		break;
	case BPF_LDX:
		fprintf(out, "r%u = *(%s *)(r%u %+d)", in->dst_reg, sz,
			in->src_reg, in->off);
		break;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC)
			fprintf(out, "lock *(%s *)(r%u %+d) += r%u", sz,
				in->dst_reg, in->off, in->src_reg);
		else
			fprintf(out, "*(%s *)(r%u %+d) = r%u", sz, in->dst_reg,
				in->off, in->src_reg);
		break;
	case BPF_ST:
		fprintf(out, "*(%s *)(r%u %+d) = %d", sz, in->dst_reg, in->off,
			in->imm);
		break;
	case BPF_LD:
		if (in->src_reg == BPF_PSEUDO_MAP_VALUE)
			fprintf(out, "r%u = map_value(fd %d) + %d ll",
				in->dst_reg, in->imm, in[1].imm);
		else if (in->src_reg == BPF_PSEUDO_MAP_FD)
			fprintf(out, "r%u = map(fd %d) ll", in->dst_reg,
				in->imm);
		else
			fprintf(out, "r%u = 0x%" PRIx64 " ll", in->dst_reg,
				(uint64_t)(uint32_t)in[1].imm << 32 |
					(uint32_t)in->imm);
		break;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_EXIT) {
			fprintf(out, "exit");
		} else if (op == BPF_CALL) {
			if (in->src_reg == BPF_PSEUDO_CALL)
				fprintf(out, "call pc%+d (insn %zu)", in->imm,
					i + 1 + (size_t)(long)in->imm);
			else if (in->src_reg == BPF_PSEUDO_KFUNC_CALL)
				fprintf(out, "call %s (kfunc#%d)",
					bf_kbtf_name(in->imm) ?
						bf_kbtf_name(in->imm) :
						"?",
					in->imm);
			else
				fprintf(out, "call helper#%d", in->imm);
		} else if (op == BPF_JA) {
			fprintf(out, "goto %+d (insn %zu)", in->off,
				i + 1 + (size_t)(long)in->off);
		} else if (BPF_SRC(in->code) == BPF_X) {
			fprintf(out, "if %c%u %s %c%u goto %+d (insn %zu)", w,
				in->dst_reg, jmp_ops[op >> 4], w, in->src_reg,
				in->off, i + 1 + (size_t)(long)in->off);
		} else {
			fprintf(out, "if %c%u %s %d goto %+d (insn %zu)", w,
				in->dst_reg, jmp_ops[op >> 4], in->imm, in->off,
				i + 1 + (size_t)(long)in->off);
		}
		break;
	default:
		fprintf(out, "(code 0x%02x)", in->code);
	}
	fputc('\n', out);
}

void bf_program_dump(const struct bf_program *prog, FILE *out)
{
	size_t f = 0;

	fprintf(out, "program %s: %zu instructions\n", prog->name,
		prog->n_insns);
	for (size_t i = 0; i < prog->n_insns; i++) {
		while (f < prog->n_funcs && prog->funcs[f].insn_off == i)
			fprintf(out, "%s:\n", prog->funcs[f++].name);
		dump_insn(&prog->insns[i], i, out);
		if (BPF_CLASS(prog->insns[i].code) == BPF_LD &&
		    BPF_SIZE(prog->insns[i].code) == BPF_DW)
			i++;
	}
}
