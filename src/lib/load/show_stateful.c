// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `-L` form of hashlimit: the same values as its iptables-save form
 * (bf_ipt_print_rule(), which follows libxt_hashlimit's save function),
 * in the order and words of hashlimit_mt_print(): "limit: up to|above
 * RATE [burst B] [mode M] [htable-size] [htable-max] [htable-gcinterval]
 * [htable-expire] [srcmask] [dstmask] [rate-match] [rate-interval]".
 * Both print each option under the same conditions (defaults left out).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_ipt.h"
#include "load/show_stateful.h"

static const char *opt(char **tok, size_t n, const char *name)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (!strcmp(tok[i], name))
			return tok[i + 1];
	}
	return NULL;
}

static bool has(char **tok, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(tok[i], name))
			return true;
	}
	return false;
}

/* print_rate() of libxt_hashlimit (revision 3): the largest unit whose
 * count is whole (or the smallest). For a rate-match packet rate the list
 * form shows the period of the whole interval (iptables -L shows
 * "4/sec ... rate-interval 10" for what iptables-save shows as 40/sec). */
static void print_rate(FILE *out, uint64_t period)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} rates[] = { { "day", 1000000ULL * 24 * 60 * 60 },
		      { "hour", 1000000ULL * 60 * 60 },
		      { "min", 1000000ULL * 60 },
		      { "sec", 1000000ULL } };
	size_t i;

	if (!period) {
		fputs(" inf", out);
		return;
	}
	for (i = 1; i < sizeof(rates) / sizeof(rates[0]); ++i) {
		if (period > rates[i].mult ||
		    rates[i].mult / period < rates[i].mult % period)
			break;
	}
	fprintf(out, " %llu/%s",
		(unsigned long long)(rates[i - 1].mult / period),
		rates[i - 1].name);
}

void bf_show_hashlimit(FILE *out, const struct bf_rule *r,
		       const struct bf_match *m)
{
	static const char *const tail[] = {
		"htable-size",	 "htable-max", "htable-gcinterval",
		"htable-expire", "srcmask",    "dstmask",
	};
	struct bf_rule one;
	char *text = NULL, *save = NULL, *tok[64];
	size_t len = 0, n = 0;
	const char *v;
	FILE *f;

	memset(&one, 0, sizeof(one));
	one.family = r->family;
	one.matches = (struct bf_match *)m;
	one.n_matches = 1;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	bf_ipt_print_rule(f, &one);
	fclose(f);
	for (char *t = strtok_r(text, " \n", &save); t && n < 64;
	     t = strtok_r(NULL, " \n", &save))
		tok[n++] = t;
	v = opt(tok, n, "--hashlimit-above");
	fputs(v ? "limit: above" : "limit: up to", out);
	if (!v)
		v = opt(tok, n, "--hashlimit-upto");
	if ((m->u.hashlimit.mode & BF_HASHLIMIT_RATE_MATCH) &&
	    !(m->u.hashlimit.mode & BF_HASHLIMIT_BYTES))
		print_rate(out, m->u.hashlimit.avg * m->u.hashlimit.interval);
	else if (v)
		fprintf(out, " %s", v);
	if ((v = opt(tok, n, "--hashlimit-burst")))
		fprintf(out, " burst %s", v);
	if ((v = opt(tok, n, "--hashlimit-mode"))) {
		fputs(" mode ", out);
		for (; *v; v++)
			fputc(*v == ',' ? '-' : *v, out);
	}
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "--hashlimit-%s", tail[i]);
		if ((v = opt(tok, n, name)))
			fprintf(out, " %s %s", tail[i], v);
	}
	if (has(tok, n, "--hashlimit-rate-match"))
		fputs(" rate-match", out);
	if ((v = opt(tok, n, "--hashlimit-rate-interval")))
		fprintf(out, " rate-interval %s", v);
	fputc(' ', out);
	free(text);
}
