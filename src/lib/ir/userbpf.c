// SPDX-License-Identifier: GPL-2.0-only
/*
 * The table of user BPF code descriptions, and classic BPF parsing and
 * checking (include/bpfilter/userbpf.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/userbpf.h"

static struct bf_userbpf **table;
static uint32_t n_table, cap_table;

int bf_userbpf_intern(const struct bf_userbpf *u, uint32_t *ref)
{
	struct bf_userbpf *copy;

	for (uint32_t i = 0; i < n_table; i++) {
		const struct bf_userbpf *t = table[i];

		if (t->kind == u->kind && !strcmp(t->path, u->path) &&
		    !strcmp(t->section, u->section) &&
		    t->n_insns == u->n_insns &&
		    !memcmp(t->insns, u->insns,
			    u->n_insns * sizeof(u->insns[0]))) {
			*ref = i;
			return 0;
		}
	}
	/* bounded: a fuzzer (or a generator) feeding endless distinct
	 * descriptions must not grow the process without limit */
	if (n_table >= BF_USERBPF_MAX_REFS)
		return -ENOSPC;
	if (n_table == cap_table) {
		uint32_t cap = cap_table ? cap_table * 2 : 16;
		struct bf_userbpf **n = realloc(table, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		table = n;
		cap_table = cap;
	}
	copy = calloc(1, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	copy->kind = u->kind;
	memcpy(copy->path, u->path, sizeof(copy->path));
	copy->path[sizeof(copy->path) - 1] = '\0';
	memcpy(copy->section, u->section, sizeof(copy->section));
	copy->section[sizeof(copy->section) - 1] = '\0';
	copy->n_insns = u->n_insns;
	memcpy(copy->insns, u->insns, sizeof(copy->insns));
	table[n_table] = copy;
	*ref = n_table++;
	return 0;
}

const struct bf_userbpf *bf_userbpf_get(uint32_t ref)
{
	return ref < n_table ? table[ref] : NULL;
}

/* Classic BPF opcodes (include/uapi/linux/filter.h, bpf_common.h). */
#define C_CLASS(c) ((c)&0x07)
#define C_LD 0x00
#define C_LDX 0x01
#define C_ST 0x02
#define C_STX 0x03
#define C_ALU 0x04
#define C_JMP 0x05
#define C_RET 0x06
#define C_MISC 0x07
#define C_SIZE(c) ((c)&0x18)
#define C_W 0x00
#define C_H 0x08
#define C_B 0x10
#define C_MODE(c) ((c)&0xe0)
#define C_IMM 0x00
#define C_ABS 0x20
#define C_IND 0x40
#define C_MEM 0x60
#define C_LEN 0x80
#define C_MSH 0xa0
#define C_OP(c) ((c)&0xf0)
#define C_SRC(c) ((c)&0x08)
#define C_X 0x08
#define C_RVAL(c) ((c)&0x18)
#define C_RA 0x10
#define C_MEMWORDS 16
#define C_SKF_AD_OFF (-0x1000)
#define C_SKF_AD_PROTOCOL 0
#define C_SKF_NET_OFF (-0x100000)
#define C_SKF_LL_OFF (-0x200000)

/* Opcodes bpf_check_classic() accepts (its codes[] table). */
static bool code_known(uint16_t code)
{
	switch (code) {
	/* ALU, K and X */
	case 0x04:
	case 0x0c:
	case 0x14:
	case 0x1c:
	case 0x24:
	case 0x2c:
	case 0x34:
	case 0x3c:
	case 0x44:
	case 0x4c:
	case 0x54:
	case 0x5c:
	case 0x64:
	case 0x6c:
	case 0x74:
	case 0x7c:
	case 0x94:
	case 0x9c:
	case 0xa4:
	case 0xac:
	case 0x84: /* NEG */
	/* LD: W/H/B ABS, W/H/B IND, W MEM, W LEN, IMM */
	case 0x20:
	case 0x28:
	case 0x30:
	case 0x40:
	case 0x48:
	case 0x50:
	case 0x60:
	case 0x80:
	case 0x00:
	/* LDX: W LEN, B MSH, IMM, W MEM */
	case 0x81:
	case 0xb1:
	case 0x01:
	case 0x61:
	case 0x02:
	case 0x03: /* ST, STX */
	case 0x07:
	case 0x87: /* TAX, TXA */
	case 0x06:
	case 0x16: /* RET K, RET A */
	/* JMP: JA, JEQ/JGT/JGE/JSET with K and X */
	case 0x05:
	case 0x15:
	case 0x1d:
	case 0x25:
	case 0x2d:
	case 0x35:
	case 0x3d:
	case 0x45:
	case 0x4d:
		return true;
	default:
		return false;
	}
}

int bf_cbpf_check(const struct bf_cbpf_insn *insns, size_t n, const char **why)
{
	/* scratch words certainly written before each instruction, as
	 * check_load_and_stores() computes them */
	uint16_t written[BF_USERBPF_CBPF_MAX];

	if (n == 0 || n > BF_USERBPF_CBPF_MAX) {
		*why = "a program has 1 to 64 instructions (XT_BPF_MAX_NUM_INSTR)";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		written[i] = 0xffff;
	written[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bf_cbpf_insn *f = &insns[i];
		uint16_t c = f->code;
		int32_t k = (int32_t)f->k;
		uint16_t w = written[i];

		if (!code_known(c)) {
			*why = "unknown classic BPF instruction";
			return -EINVAL;
		}
		switch (C_CLASS(c)) {
		case C_ALU:
			if (C_SRC(c) != C_X &&
			    (C_OP(c) == 0x30 || C_OP(c) == 0x90) && f->k == 0) {
				*why = "division by constant 0";
				return -EINVAL;
			}
			if (C_SRC(c) != C_X &&
			    (C_OP(c) == 0x60 || C_OP(c) == 0x70) &&
			    f->k >= 32) {
				*why = "shift by 32 or more";
				return -EINVAL;
			}
			break;
		case C_LD:
		case C_LDX:
			if (C_MODE(c) == C_MEM) {
				if (f->k >= C_MEMWORDS) {
					*why = "scratch memory index out of range";
					return -EINVAL;
				}
				if (!(w & (1u << f->k))) {
					*why = "scratch memory read before it is written";
					return -EINVAL;
				}
			}
			if (C_MODE(c) == C_ABS || C_MODE(c) == C_MSH) {
				if (k == C_SKF_AD_OFF + C_SKF_AD_PROTOCOL &&
				    C_MODE(c) == C_ABS)
					break;
				if (k >= C_SKF_AD_OFF && k < 0) {
					*why = "ancillary data other than "
					       "SKF_AD_PROTOCOL is not supported";
					return -EINVAL;
				}
				if (k < C_SKF_NET_OFF) {
					*why = "link-layer loads (SKF_LL_OFF) "
					       "are not supported: offset 0 is "
					       "the network header";
					return -EINVAL;
				}
			}
			break;
		case C_ST:
		case C_STX:
			if (f->k >= C_MEMWORDS) {
				*why = "scratch memory index out of range";
				return -EINVAL;
			}
			w |= (uint16_t)(1u << f->k);
			break;
		case C_JMP:
			if (C_OP(c) == 0x00) {
				if (f->k >= n - i - 1) {
					*why = "jump out of the program";
					return -EINVAL;
				}
				written[i + 1 + f->k] &= w;
				w = 0xffff; /* next insn reached only by jumps */
				break;
			}
			if (i + 1 + f->jt >= n || i + 1 + f->jf >= n) {
				*why = "jump out of the program";
				return -EINVAL;
			}
			written[i + 1 + f->jt] &= w;
			written[i + 1 + f->jf] &= w;
			w = 0xffff;
			break;
		case C_RET:
			w = 0xffff;
			break;
		default:
			break;
		}
		if (i + 1 < n)
			written[i + 1] &= w;
	}
	if (C_CLASS(insns[n - 1].code) != C_RET) {
		*why = "the program does not end with a return";
		return -EINVAL;
	}
	return 0;
}

static const char *skip_sep(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static bool num(const char **p, unsigned long long max, unsigned long long *out)
{
	char *end;

	*p = skip_sep(*p);
	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*out = strtoull(*p, &end, 10);
	if (errno || *out > max)
		return false;
	*p = end;
	return true;
}

int bf_cbpf_parse(const char *text, struct bf_userbpf *u, const char **why)
{
	const char *p = text;
	unsigned long long n, v[4];

	/* "N,c t f k,c t f k" (xtables bpf_parse_string()); tcpdump -ddd
	 * separates with newlines instead. */
	if (!num(&p, BF_USERBPF_CBPF_MAX, &n) || n == 0) {
		*why = "expected the instruction count (1-64) first";
		return -EINVAL;
	}
	u->kind = BF_USERBPF_BYTECODE;
	u->n_insns = 0;
	for (unsigned long long i = 0; i < n; i++) {
		p = skip_sep(p);
		if (*p == ',')
			p++;
		if (!num(&p, 0xffff, &v[0]) || !num(&p, 0xff, &v[1]) ||
		    !num(&p, 0xff, &v[2]) || !num(&p, 0xffffffffull, &v[3])) {
			*why = "expected \"code jt jf k\" (decimal numbers)";
			return -EINVAL;
		}
		u->insns[i] = (struct bf_cbpf_insn){
			.code = (uint16_t)v[0],
			.jt = (uint8_t)v[1],
			.jf = (uint8_t)v[2],
			.k = (uint32_t)v[3],
		};
		u->n_insns++;
	}
	p = skip_sep(p);
	if (*p == ',')
		p = skip_sep(p + 1);
	if (*p) {
		*why = "more instructions than the count says";
		return -EINVAL;
	}
	return bf_cbpf_check(u->insns, u->n_insns, why);
}

void bf_userbpf_print_list(FILE *out, uint32_t ref, bool neg)
{
	const struct bf_userbpf *u = bf_userbpf_get(ref);

	if (!u)
		return;
	switch (u->kind) {
	case BF_USERBPF_BYTECODE:
		fputs("match bpf ", out);
		for (size_t i = 0; i < u->n_insns; i++)
			fprintf(out, "%s%u %u %u %u", i ? "," : "",
				u->insns[i].code, u->insns[i].jt,
				u->insns[i].jf, u->insns[i].k);
		fputc(' ', out);
		break;
	case BF_USERBPF_PINNED:
		fprintf(out, "match bpf pinned %s ", u->path);
		break;
	default:
		fprintf(out, "%smatch bpf object %s ", neg ? "! " : "",
			u->path);
		if (u->section[0])
			fprintf(out, "section %s ", u->section);
		break;
	}
}
