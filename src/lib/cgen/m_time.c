// SPDX-License-Identifier: GPL-2.0-only
/*
 * The time match (time_mt() in net/netfilter/xt_time.c), on the real time
 * the prologue put in pctx.now (seconds since the epoch, UTC, see
 * bf_mx_after_parse()). --kerneltz subtracts 60 * sys_tz.tz_minuteswest
 * as time_mt() does, with sys_tz as it was when the ruleset was compiled.
 * The calendar follows localtime_1/2/3(): day of week from the days since
 * the epoch, year from the same table of years 1970..2039 (later days
 * count as days of 2039, as the kernel's table does), month and day of
 * month from the days since New Year.
 */
#include "cgen/mext.h"
#include "cgen/pctx.h"

#define SECONDS_PER_DAY 86400
#define ALL_WEEKDAYS 0xfe

static const uint16_t dsy[2][12] = {
	{ 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 },
	{ 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335 },
};

static bool is_leap(unsigned int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* days from 1970-01-01 to January 1st of year y */
static uint32_t days_since_epoch(unsigned int y)
{
	uint32_t d = 0;

	for (unsigned int i = 1970; i < y; i++)
		d += is_leap(i) ? 366 : 365;
	return d;
}

/* r4 = day of the month (1-based) of day number r4 of a year; r3 = 1 in a
 * leap year. */
static void month_day(struct bf_emit *e)
{
	bf_label leap = bf_label_new(e), md = bf_label_new(e);

	bf_emit_jmp32_imm(e, BPF_JNE, BF_R3, 0, leap);
	for (int t = 0; t < 2; t++) {
		if (t)
			bf_label_bind(e, leap);
		for (int i = 11; i > 0; i--) {
			bf_label next = bf_label_new(e);

			bf_emit_jmp32_imm(e, BPF_JLT, BF_R4, dsy[t][i], next);
			bf_emit(e, I_ALU32_IMM(BPF_SUB, BF_R4, dsy[t][i]));
			bf_emit_ja(e, md);
			bf_label_bind(e, next);
		}
		bf_emit_ja(e, md);
	}
	bf_label_bind(e, md);
	bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R4, 1));
}

void bf_mx_emit_time(struct bf_mx *x, struct bf_emit *e,
		     const struct bf_match *m, bf_label fail)
{
	const typeof(m->u.time) *t = &m->u.time;

	bf_emit(e, I_LDX(BPF_W, BF_R1, BF_R9, PCTX_OFF(now)));
	if (t->flags & BF_TIME_LOCAL_TZ)
		bf_emit(e, I_ALU64_IMM(BPF_SUB, BF_R1, 60 * x->tz_minuteswest));
	/* stamp < date_start || stamp > date_stop (time64_t compares) */
	bf_emit_ld_imm64(e, BF_R2, t->date_start);
	bf_emit_jmp_reg(e, BPF_JSLT, BF_R1, BF_R2, fail);
	bf_emit_ld_imm64(e, BF_R2, t->date_stop);
	bf_emit_jmp_reg(e, BPF_JSGT, BF_R1, BF_R2, fail);

	/* localtime_1(): second of the day (div_u64_rem) */
	bf_emit(e, I_MOV64_REG(BF_R3, BF_R1));
	bf_emit(e, I_ALU64_IMM(BPF_MOD, BF_R3, SECONDS_PER_DAY));
	if (t->daytime_start < t->daytime_stop) {
		if (t->daytime_start)
			bf_emit_jmp32_imm(e, BPF_JLT, BF_R3,
					  (int32_t)t->daytime_start, fail);
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R3, (int32_t)t->daytime_stop,
				  fail);
	} else {
		bf_label in = bf_label_new(e), nc = bf_label_new(e);

		bf_emit_jmp32_imm(e, BPF_JGE, BF_R3, (int32_t)t->daytime_start,
				  in);
		bf_emit_jmp32_imm(e, BPF_JGT, BF_R3, (int32_t)t->daytime_stop,
				  fail);
		bf_label_bind(e, in);
		/* --contiguous: the part after midnight belongs to the day
		 * before */
		if (t->flags & BF_TIME_CONTIGUOUS) {
			bf_emit_jmp32_imm(e, BPF_JGT, BF_R3,
					  (int32_t)t->daytime_stop, nc);
			bf_emit(e,
				I_ALU64_IMM(BPF_SUB, BF_R1, SECONDS_PER_DAY));
			bf_label_bind(e, nc);
		}
	}

	/* localtime_2(): dse = stamp / 86400 as an unsigned int;
	 * weekday = (4 + dse - 1) % 7 + 1 */
	if (t->weekdays_match != ALL_WEEKDAYS) {
		bf_emit(e, I_MOV64_REG(BF_R4, BF_R1));
		bf_emit(e, I_ALU64_IMM(BPF_DIV, BF_R4, SECONDS_PER_DAY));
		bf_emit(e, I_MOV32_REG(BF_R4, BF_R4));
		bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R4, 3));
		bf_emit(e, I_ALU32_IMM(BPF_MOD, BF_R4, 7));
		bf_emit(e, I_ALU32_IMM(BPF_ADD, BF_R4, 1));
		bf_emit(e, I_MOV32_IMM(BF_R5, t->weekdays_match));
		bf_emit(e, I_ALU32_REG(BPF_RSH, BF_R5, BF_R4));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R5, 1));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R5, 0, fail);
	}
	if (t->monthdays_match != BF_TIME_ALL_MONTHDAYS) {
		bf_label year = bf_label_new(e);

		/* localtime_3(): the year whose first day is the last at
		 * or before dse (from 2039 down), then the day of that
		 * year */
		bf_emit(e, I_MOV64_REG(BF_R4, BF_R1));
		bf_emit(e, I_ALU64_IMM(BPF_DIV, BF_R4, SECONDS_PER_DAY));
		bf_emit(e, I_MOV32_REG(BF_R4, BF_R4));
		for (unsigned int y = 2039; y >= 1970; y--) {
			bf_label next = bf_label_new(e);
			uint32_t d = days_since_epoch(y);

			if (y > 1970)
				bf_emit_jmp32_imm(e, BPF_JLT, BF_R4, (int32_t)d,
						  next);
			if (d)
				bf_emit(e, I_ALU32_IMM(BPF_SUB, BF_R4,
						       (int32_t)d));
			bf_emit(e, I_MOV64_IMM(BF_R3, is_leap(y)));
			bf_emit_ja(e, year);
			bf_label_bind(e, next);
		}
		bf_label_bind(e, year);
		month_day(e);
		/* monthdays_match & (1 << monthday), shift count taken
		 * modulo 32 as on the kernel's CPUs */
		bf_emit(e, I_MOV32_IMM(BF_R5, t->monthdays_match));
		bf_emit(e, I_ALU32_REG(BPF_RSH, BF_R5, BF_R4));
		bf_emit(e, I_ALU32_IMM(BPF_AND, BF_R5, 1));
		bf_emit_jmp32_imm(e, BPF_JEQ, BF_R5, 0, fail);
	}
}
