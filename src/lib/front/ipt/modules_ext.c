// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `-m` modules and `-j` targets of real-world rulesets beyond the core
 * (limit, hashlimit, recent, connlimit, addrtype, mac, mark, connmark,
 * owner, pkttype, length, ttl/hl, set, statistic, tcpmss, physdev; REJECT,
 * LOG, NFLOG, MARK, CONNMARK, TCPMSS).
 *
 * Each module parses its options as its libxt_<name>.c does (option
 * types, defaults, exclusions, the final check), refuses what the
 * kernel's checkentry refuses, and builds one IR match per instance in
 * ipt_mod_inst.u.ext.m. Printing follows the module's save function, so
 * that a rule reads back as iptables-save prints it.
 *
 * Hook restrictions of a match or target (xt_mac: no OUTPUT, xt_owner:
 * OUTPUT only, ...) are checked for rules in a built-in chain; for a user
 * chain they depend on which built-in chains reach it and are not checked
 * here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/set.h"
#include "cgen/m_recent.h"
#include "front/ipt/ipt.h"

#define IPPROTO_TCP_ 6

#define HOOK(h) (1u << (h))

/* The hook of the rule's chain, 0 for a user chain. */
static unsigned int chain_hook(const struct ipt_rule_ctx *ctx)
{
	for (int h = 0; h < BF_HOOK_COUNT; h++) {
		if (ctx->chain && strcmp(ctx->chain, bf_hook_name(h)) == 0)
			return HOOK(h);
	}
	return 0;
}

/* false (and an error naming the chains) if the rule's built-in chain is
 * not one of `hooks`. */
static bool hook_ok(struct ipt_rule_ctx *ctx, const char *what,
		    unsigned int hooks, const char *valid)
{
	unsigned int h = chain_hook(ctx);

	if (!h || (h & hooks))
		return true;
	ipt_err(ctx, "%s: only valid in %s, not in %s", what, valid,
		ctx->chain);
	return false;
}

static bool once(struct ipt_rule_ctx *ctx, const char *ext, unsigned int *seen,
		 const struct ipt_modopt *opt)
{
	if (*seen & (1u << opt->id)) {
		ipt_err(ctx, "%s: option \"--%s\" can only be used once.", ext,
			opt->name);
		return false;
	}
	*seen |= 1u << opt->id;
	return true;
}

/* xtables_options_fcheck()'s `.excl`: `opt` may not meet any of `excl`. */
static bool excl(struct ipt_rule_ctx *ctx, const char *ext, unsigned int seen,
		 const struct ipt_modopt *opts, const struct ipt_modopt *opt,
		 unsigned int excl_ids)
{
	for (const struct ipt_modopt *o = opts; o->name; o++) {
		if (o->id != opt->id && (excl_ids & (1u << o->id)) &&
		    (seen & (1u << o->id))) {
			ipt_err(ctx,
				"%s: option \"--%s\" cannot be used together "
				"with \"--%s\".",
				ext, opt->name, o->name);
			return false;
		}
	}
	return true;
}

static int bad_value(struct ipt_rule_ctx *ctx, const char *ext,
		     const struct ipt_modopt *opt, const char *arg)
{
	ipt_err(ctx, "%s: Bad value for \"--%s\" option: \"%s\"", ext,
		opt->name, arg);
	return -EINVAL;
}

static struct bf_match *ext_m(struct ipt_mod_inst *inst)
{
	return &inst->u.ext.m;
}

/* xtables_strtoui() on a prefix: *end receives the first character
 * after the number. */
static bool strtoul_prefix(const char *s, char **end, unsigned long long min,
			   unsigned long long max, unsigned long long *out)
{
	unsigned long long v;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, end, 0);
	if (*end == s || errno == ERANGE || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* XTTYPE_MARKMASK32: "value[/mask]", mask 0xffffffff by default. */
static bool parse_markmask(const char *arg, uint32_t *value, uint32_t *mask)
{
	unsigned long long v, m = UINT32_MAX;
	char *end;

	if (!strtoul_prefix(arg, &end, 0, UINT32_MAX, &v))
		return false;
	if (*end == '/') {
		if (!ipt_strtoui(end + 1, 0, UINT32_MAX, 0, &m))
			return false;
	} else if (*end) {
		return false;
	}
	*value = (uint32_t)v;
	*mask = (uint32_t)m;
	return true;
}

/* XTTYPE_UINT16RC: "a", "a:b", ":b", "a:" or ":" (0..65535), a <= b. */
static bool parse_u16_range(const char *arg, uint16_t *lo, uint16_t *hi)
{
	unsigned long long a = 0, b = UINT16_MAX;
	const char *colon = strchr(arg, ':');
	char buf[32];

	if (!colon) {
		if (!ipt_strtoui(arg, 0, UINT16_MAX, 0, &a))
			return false;
		*lo = *hi = (uint16_t)a;
		return true;
	}
	if ((size_t)(colon - arg) >= sizeof(buf))
		return false;
	memcpy(buf, arg, (size_t)(colon - arg));
	buf[colon - arg] = '\0';
	if (*buf && !ipt_strtoui(buf, 0, UINT16_MAX, 0, &a))
		return false;
	if (colon[1] && !ipt_strtoui(colon + 1, 0, UINT16_MAX, 0, &b))
		return false;
	if (a > b)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

static void print_u16_range(FILE *out, const char *opt, bool neg, uint16_t lo,
			    uint16_t hi)
{
	fprintf(out, "%s --%s %u", neg ? " !" : "", opt, lo);
	if (hi != lo)
		fprintf(out, ":%u", hi);
}

static int addr_bytes(enum bf_family f)
{
	return f == BF_FAMILY_INET4 ? 4 : 16;
}

static void print_addr(FILE *out, enum bf_family f, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	fputs(inet_ntop(f == BF_FAMILY_INET4 ? AF_INET : AF_INET6, a, buf,
			sizeof(buf)),
	      out);
}

static bool parse_host(enum bf_family f, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	return f == BF_FAMILY_INET4 ? ipt_parse_ip4(s, out) :
				      ipt_parse_ip6(s, out);
}

/* "missing mandatory option" in xtables_options_fcheck() words. */
static int need(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		int id, const char *name)
{
	if (inst->seen & (1u << id))
		return 0;
	ipt_err(ctx, "%s: option \"--%s\" must be specified.", inst->mod->name,
		name);
	return -EINVAL;
}

static int emit_one(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		    struct bf_rule *rule, uint16_t instance)
{
	struct bf_match m = inst->u.ext.m;

	m.origin.module = (uint16_t)inst->mod->id;
	m.origin.instance = instance;
	m.line = ctx->line;
	return bf_rule_add_match(rule, &m);
}

/* ---- limit (libxt_limit.c, xt_limit.c) ---- */

#define LIMIT_BURST_DEFAULT 5

static const struct ipt_modopt limit_opts[] = {
	{ "limit", 1, 0, true, true },
	{ "limit-burst", 1, 1, true, true },
	{ NULL },
};

/* parse_rate() of libxt_limit / libxt_hashlimit: "N[/unit]", the unit
 * any prefix of second, minute, hour or day; atoi() reads N. Returns the
 * unit in seconds and N, or 0. */
static uint32_t parse_rate_unit(const char *rate, unsigned long long *n)
{
	const char *delim = strchr(rate, '/');
	uint32_t mult = 1;

	if (delim) {
		const char *u = delim + 1;
		size_t len = strlen(u);

		if (!len)
			return 0;
		if (!strncasecmp(u, "second", len))
			mult = 1;
		else if (!strncasecmp(u, "minute", len))
			mult = 60;
		else if (!strncasecmp(u, "hour", len))
			mult = 60 * 60;
		else if (!strncasecmp(u, "day", len))
			mult = 24 * 60 * 60;
		else
			return 0;
	}
	*n = (unsigned long long)atoll(rate);
	return *n ? mult : 0;
}

static int limit_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx)
{
	struct bf_limit *l = &ext_m(inst)->u.limit;
	unsigned long long n;
	uint32_t mult;

	if (!once(ctx, "limit", &inst->seen, opt))
		return -EINVAL;
	if (opt->id == 1) {
		if (!ipt_strtoui(arg, 0, 10000, 0, &n)) {
			ipt_err(ctx, "limit: bad value for option "
				     "\"--limit-burst\", or out of range "
				     "(0-10000).");
			return -EINVAL;
		}
		l->burst = (uint32_t)n;
		return 0;
	}
	mult = parse_rate_unit(arg, &n);
	if (!mult) {
		ipt_err(ctx, "bad rate \"%s\"'", arg);
		return -EINVAL;
	}
	/* XT_LIMIT_SCALE * mult / r in 32 bits, r as an unsigned int. */
	l->avg = (uint32_t)(BF_LIMIT_SCALE * mult / (uint32_t)n);
	if (!l->avg) {
		ipt_err(ctx, "Rate too fast \"%s\"", arg);
		return -EINVAL;
	}
	return 0;
}

static int limit_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	struct bf_limit *l = &ext_m(inst)->u.limit;

	/* CONFIG_HZ of the running kernel (250 if unknown): only the
	 * precomputed credits depend on it, the code generator may
	 * recompute them. */
	l->hz = bf_recent_hz();
	if (bf_limit_credits(l)) {
		/* limit_mt_check() refuses these with -ERANGE. */
		ipt_err(ctx,
			"limit: burst %u is not possible at this rate (the "
			"kernel's limit_mt_check() refuses a zero burst or "
			"an overflowing avg * burst)",
			l->burst);
		return -EINVAL;
	}
	return 0;
}

static const struct {
	const char *name;
	uint32_t mult;
} limit_units[] = {
	{ "day", BF_LIMIT_SCALE * 24 * 60 * 60 },
	{ "hour", BF_LIMIT_SCALE * 60 * 60 },
	{ "min", BF_LIMIT_SCALE * 60 },
	{ "sec", BF_LIMIT_SCALE },
};

/* print_rate() of libxt_limit: the largest unit that still shows the
 * rate exactly enough. */
void ipt_print_limit_rate(FILE *out, uint64_t period, uint64_t scale)
{
	size_t i;

	if (!period) {
		fprintf(out, " %f", INFINITY);
		return;
	}
	for (i = 1; i < ARRAY_SIZE(limit_units); i++) {
		uint64_t mult = limit_units[i].mult / BF_LIMIT_SCALE * scale;

		if (period > mult || mult / period < mult % period)
			break;
	}
	fprintf(out, " %llu/%s",
		(unsigned long long)(limit_units[i - 1].mult / BF_LIMIT_SCALE *
				     scale / period),
		limit_units[i - 1].name);
}

static void limit_print(FILE *out, const struct bf_rule *rule,
			const struct bf_match *m)
{
	fputs(" --limit", out);
	ipt_print_limit_rate(out, m->u.limit.avg, BF_LIMIT_SCALE);
	if (m->u.limit.burst != LIMIT_BURST_DEFAULT)
		fprintf(out, " --limit-burst %u", m->u.limit.burst);
}

/* ---- hashlimit (libxt_hashlimit.c revision 3, xt_hashlimit.c) ---- */

#define HL_SCALE 1000000ULL /* XT_HASHLIMIT_SCALE_v2 */
#define HL_BURST_MAX 1000000 /* XT_HASHLIMIT_BURST_MAX */
#define HL_GCINTERVAL 1000
#define HL_BYTE_SHIFT 4
#define HL_BYTE_EXPIRE 15
#define HL_BYTE_EXPIRE_BURST 60

enum {
	HL_UPTO,
	HL_ABOVE,
	HL_SRCMASK,
	HL_DSTMASK,
	HL_BURST,
	HL_SIZE,
	HL_MAX,
	HL_GCINT,
	HL_EXPIRE,
	HL_MODE,
	HL_NAME,
	HL_RATEMATCH,
	HL_INTERVAL,
};

static const struct ipt_modopt hashlimit_opts[] = {
	{ "hashlimit-upto", 1, HL_UPTO, true, false },
	{ "hashlimit-above", 1, HL_ABOVE, true, false },
	{ "hashlimit", 1, HL_UPTO, true, false }, /* old name of -upto */
	{ "hashlimit-srcmask", 1, HL_SRCMASK, true, true },
	{ "hashlimit-dstmask", 1, HL_DSTMASK, true, true },
	{ "hashlimit-burst", 1, HL_BURST, true, true },
	{ "hashlimit-htable-size", 1, HL_SIZE, true, true },
	{ "hashlimit-htable-max", 1, HL_MAX, true, true },
	{ "hashlimit-htable-gcinterval", 1, HL_GCINT, true, true },
	{ "hashlimit-htable-expire", 1, HL_EXPIRE, true, true },
	{ "hashlimit-mode", 1, HL_MODE, true, true },
	{ "hashlimit-name", 1, HL_NAME, true, true },
	{ "hashlimit-rate-match", 0, HL_RATEMATCH, true, true },
	{ "hashlimit-rate-interval", 1, HL_INTERVAL, true, true },
	{ NULL },
};

static uint64_t hl_bytes_to_cost(uint64_t bytes)
{
	uint32_t r = (uint32_t)(bytes >> HL_BYTE_SHIFT);

	return UINT32_MAX / ((uint64_t)r + 1);
}

static uint64_t hl_cost_to_bytes(uint64_t cost)
{
	uint64_t r = cost ? UINT32_MAX / cost : UINT32_MAX;

	return (r - 1) << HL_BYTE_SHIFT;
}

static uint32_t unit_factor(char c)
{
	return c == 'm' ? 1024 * 1024 : c == 'k' ? 1024 : 1;
}

/* "N[k|m]b/s": a byte rate, stored as a cost per byte. */
static int hl_parse_bytes(struct ipt_rule_ctx *ctx, const char *rate,
			  uint64_t *avg, bool *is_bytes)
{
	const char *mode = strstr(rate, "b/s");
	uint64_t r, tmp;

	*is_bytes = false;
	if (!mode || mode == rate)
		return 0;
	r = (uint64_t)atoll(rate); /* as libxt_hashlimit parse_bytes() */
	if (!r)
		return 0;
	tmp = r * unit_factor(mode[-1]);
	tmp = hl_bytes_to_cost(tmp);
	if (!tmp) {
		ipt_err(ctx, "Rate too high \"%s\"", rate);
		return -EINVAL;
	}
	*avg = tmp;
	*is_bytes = true;
	return 0;
}

static int hashlimit_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			   const struct ipt_modopt *opt, const char *arg,
			   bool inv, int argc, char **argv, int *idx)
{
	struct bf_match *m = ext_m(inst);
	unsigned long long v, maxlen;
	char *end;
	bool bytes;
	int r;

	if (!once(ctx, "hashlimit", &inst->seen, opt))
		return -EINVAL;
	if (!excl(ctx, "hashlimit", inst->seen, hashlimit_opts, opt,
		  opt->id == HL_UPTO  ? 1u << HL_ABOVE :
		  opt->id == HL_ABOVE ? 1u << HL_UPTO :
					0))
		return -EINVAL;
	switch (opt->id) {
	case HL_UPTO:
	case HL_ABOVE:
		if (inv != (opt->id == HL_ABOVE))
			m->u.hashlimit.mode |= BF_HASHLIMIT_INVERT;
		r = hl_parse_bytes(ctx, arg, &m->u.hashlimit.avg, &bytes);
		if (r)
			return r;
		if (bytes) {
			m->u.hashlimit.mode |= BF_HASHLIMIT_BYTES;
			inst->u.ext.mult = HL_BYTE_EXPIRE;
			return 0;
		}
		inst->u.ext.mult = parse_rate_unit(arg, &v);
		if (!inst->u.ext.mult)
			return bad_value(ctx, "hashlimit", opt, arg);
		m->u.hashlimit.avg = HL_SCALE * inst->u.ext.mult / v;
		if (!m->u.hashlimit.avg) {
			ipt_err(ctx, "Rate too fast \"%s\"", arg);
			return -EINVAL;
		}
		return 0;
	case HL_SRCMASK:
	case HL_DSTMASK:
		maxlen = ctx->family == BF_FAMILY_INET4 ? 32 : 128;
		if (!ipt_strtoui(arg, 0, maxlen, 0, &v))
			return bad_value(ctx, "hashlimit", opt, arg);
		if (opt->id == HL_SRCMASK)
			m->u.hashlimit.srcmask = (uint8_t)v;
		else
			m->u.hashlimit.dstmask = (uint8_t)v;
		return 0;
	case HL_BURST:
		/* parse_burst(): a number (trailing text allowed), times
		 * 1024 for "k..." or 1048576 for "m...". */
		if (!strtoul_prefix(arg, &end, 1, UINT64_MAX, &v) ||
		    (!*end && v > HL_BURST_MAX)) {
			ipt_err(ctx, "bad value for option "
				     "\"--hashlimit-burst\", or out of range "
				     "(1-1000000).");
			return -EINVAL;
		}
		if (v > UINT64_MAX / unit_factor(*end)) {
			ipt_err(ctx,
				"bad value for option "
				"\"--hashlimit-burst\", value \"%s\" too "
				"large",
				arg);
			return -EINVAL;
		}
		inst->u.ext.burst = v * unit_factor(*end);
		return 0;
	case HL_SIZE:
	case HL_MAX:
	case HL_GCINT:
	case HL_EXPIRE:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad_value(ctx, "hashlimit", opt, arg);
		if (opt->id == HL_SIZE)
			m->u.hashlimit.size = (uint32_t)v;
		else if (opt->id == HL_MAX)
			m->u.hashlimit.max = (uint32_t)v;
		else if (opt->id == HL_GCINT)
			m->u.hashlimit.gc_interval = (uint32_t)v;
		else
			m->u.hashlimit.expire = (uint32_t)v;
		return 0;
	case HL_MODE: {
		char buf[256], *save = NULL;

		if (strlen(arg) >= sizeof(buf))
			return bad_value(ctx, "hashlimit", opt, arg);
		strcpy(buf, arg);
		for (char *t = strtok_r(buf, ",|", &save); t;
		     t = strtok_r(NULL, ",|", &save)) {
			if (!strcmp(t, "dstip"))
				m->u.hashlimit.mode |= BF_HASHLIMIT_HASH_DIP;
			else if (!strcmp(t, "srcip"))
				m->u.hashlimit.mode |= BF_HASHLIMIT_HASH_SIP;
			else if (!strcmp(t, "srcport"))
				m->u.hashlimit.mode |= BF_HASHLIMIT_HASH_SPT;
			else if (!strcmp(t, "dstport"))
				m->u.hashlimit.mode |= BF_HASHLIMIT_HASH_DPT;
			else
				return bad_value(ctx, "hashlimit", opt, arg);
		}
		return 0;
	}
	case HL_NAME:
		if (!*arg) {
			ipt_err(ctx, "Argument must have a minimum length of "
				     "1 characters");
			return -EINVAL;
		}
		/* XTOPT_PUT truncates to the field. */
		snprintf(m->u.hashlimit.name, sizeof(m->u.hashlimit.name), "%s",
			 arg);
		return 0;
	case HL_RATEMATCH:
		m->u.hashlimit.mode |= BF_HASHLIMIT_RATE_MATCH;
		return 0;
	case HL_INTERVAL:
		/* atoi() as libxt_hashlimit parse_interval(): "5x" is 5 */
		if (atoi(arg) <= 0)
			return bad_value(ctx, "hashlimit", opt, arg);
		m->u.hashlimit.interval = (uint32_t)atoi(arg);
		return 0;
	}
	return -EINVAL;
}

static int hashlimit_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	struct bf_match *m = ext_m(inst);
	uint32_t mult = inst->u.ext.mult;

	/* hashlimit_mt_check() of libxt_hashlimit. */
	if (!(inst->seen & ((1u << HL_UPTO) | (1u << HL_ABOVE)))) {
		ipt_err(ctx, "You have to specify --hashlimit");
		return -EINVAL;
	}
	if (need(ctx, inst, HL_NAME, "hashlimit-name"))
		return -EINVAL;
	if (!(inst->seen & (1u << HL_EXPIRE)))
		m->u.hashlimit.expire = mult * 1000;
	if (m->u.hashlimit.mode & BF_HASHLIMIT_BYTES) {
		uint64_t burst = 0, unit = hl_cost_to_bytes(m->u.hashlimit.avg);

		if (inst->seen & (1u << HL_BURST)) {
			/* Below 16 bytes/s a packet's cost is the whole
			 * bucket: libxt_hashlimit would divide by zero. */
			if (!unit) {
				ipt_err(ctx, "hashlimit: a byte rate below "
					     "16b/s cannot have a burst");
				return -EINVAL;
			}
			if (inst->u.ext.burst < unit) {
				ipt_err(ctx,
					"burst cannot be smaller than %llub",
					(unsigned long long)unit);
				return -EINVAL;
			}
			/* a 32-bit quotient, rounded up */
			burst = (uint32_t)(inst->u.ext.burst / unit);
			if (inst->u.ext.burst % unit)
				burst = (uint32_t)(burst + 1);
			if (!(inst->seen & (1u << HL_EXPIRE)))
				m->u.hashlimit.expire =
					HL_BYTE_EXPIRE_BURST * 1000;
		}
		m->u.hashlimit.burst = burst;
	} else {
		m->u.hashlimit.burst = inst->u.ext.burst;
		if (m->u.hashlimit.burst > HL_BURST_MAX) {
			ipt_err(ctx, "bad value for option "
				     "\"--hashlimit-burst\", or out of range "
				     "(1-1000000).");
			return -EINVAL;
		}
	}
	if (m->u.hashlimit.mode & BF_HASHLIMIT_RATE_MATCH) {
		if (!(m->u.hashlimit.mode & BF_HASHLIMIT_BYTES))
			m->u.hashlimit.avg /= mult;
		if (!m->u.hashlimit.interval)
			m->u.hashlimit.interval =
				m->u.hashlimit.mode & BF_HASHLIMIT_BYTES ? 1 :
									   mult;
	}
	/* hashlimit_mt_check_common() of the kernel. */
	if (!m->u.hashlimit.gc_interval || !m->u.hashlimit.expire) {
		ipt_err(ctx, "hashlimit: gc interval and expire time must "
			     "not be 0");
		return -EINVAL;
	}
	return 0;
}

static void hashlimit_print(FILE *out, const struct bf_rule *rule,
			    const struct bf_match *m)
{
	static const struct {
		const char *name;
		uint32_t thresh;
	} units[] = { { "m", 1024 * 1024 }, { "k", 1024 }, { "", 1 } };
	const typeof(m->u.hashlimit) *h = &m->u.hashlimit;
	unsigned int dmask = rule->family == BF_FAMILY_INET4 ? 32 : 128;
	uint64_t quantum;
	const char *sep = " ";

	fputs(h->mode & BF_HASHLIMIT_INVERT ? " --hashlimit-above" :
					      " --hashlimit-upto",
	      out);
	if (h->mode & BF_HASHLIMIT_BYTES) {
		/* print_bytes() */
		unsigned long long r = hl_cost_to_bytes(h->avg);
		size_t i;

		for (i = 0; i < ARRAY_SIZE(units) - 1; i++) {
			if (r >= units[i].thresh &&
			    hl_bytes_to_cost(r & ~(units[i].thresh - 1ULL)) ==
				    h->avg)
				break;
		}
		fprintf(out, " %llu%sb/s", r / units[i].thresh, units[i].name);
		quantum = HL_BYTE_EXPIRE * 1000;
		if (h->burst) {
			r *= h->burst;
			for (i = 0; i < ARRAY_SIZE(units) - 1; i++) {
				if (r >= units[i].thresh)
					break;
			}
			fprintf(out, " --hashlimit-burst %llu%sb",
				r / units[i].thresh, units[i].name);
			quantum = HL_BYTE_EXPIRE_BURST * 1000;
		}
	} else {
		/* print_rate() returns the unit in ms. */
		size_t i;

		ipt_print_limit_rate(out, h->avg, HL_SCALE);
		for (i = 1; i < ARRAY_SIZE(limit_units); i++) {
			uint64_t mult =
				limit_units[i].mult / BF_LIMIT_SCALE * HL_SCALE;

			if (!h->avg || h->avg > mult ||
			    mult / h->avg < mult % h->avg)
				break;
		}
		quantum = h->avg ? limit_units[i - 1].mult / BF_LIMIT_SCALE *
					   1000 :
				   0;
		fprintf(out, " --hashlimit-burst %llu",
			(unsigned long long)h->burst);
	}
	if (h->mode & (BF_HASHLIMIT_HASH_SIP | BF_HASHLIMIT_HASH_SPT |
		       BF_HASHLIMIT_HASH_DIP | BF_HASHLIMIT_HASH_DPT)) {
		static const struct {
			uint32_t bit;
			const char *name;
		} order[] = {
			{ BF_HASHLIMIT_HASH_SIP, "srcip" },
			{ BF_HASHLIMIT_HASH_SPT, "srcport" },
			{ BF_HASHLIMIT_HASH_DIP, "dstip" },
			{ BF_HASHLIMIT_HASH_DPT, "dstport" },
		};

		fputs(" --hashlimit-mode", out);
		for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
			if (h->mode & order[i].bit) {
				fprintf(out, "%s%s", sep, order[i].name);
				sep = ",";
			}
		}
	}
	fprintf(out, " --hashlimit-name %.*s", BF_HASHLIMIT_NAME_MAX - 1,
		h->name);
	if (h->size)
		fprintf(out, " --hashlimit-htable-size %u", h->size);
	if (h->max)
		fprintf(out, " --hashlimit-htable-max %u", h->max);
	if (h->gc_interval != HL_GCINTERVAL)
		fprintf(out, " --hashlimit-htable-gcinterval %u",
			h->gc_interval);
	if (h->expire != quantum)
		fprintf(out, " --hashlimit-htable-expire %u", h->expire);
	if (h->srcmask != dmask)
		fprintf(out, " --hashlimit-srcmask %u", h->srcmask);
	if (h->dstmask != dmask)
		fprintf(out, " --hashlimit-dstmask %u", h->dstmask);
	if (h->mode & BF_HASHLIMIT_RATE_MATCH) {
		fputs(" --hashlimit-rate-match", out);
		if (h->interval != 1)
			fprintf(out, " --hashlimit-rate-interval %u",
				h->interval);
	}
}

/* ---- recent (libxt_recent.c revision 1, xt_recent.c) ---- */

enum {
	RC_SET,
	RC_RCHECK,
	RC_UPDATE,
	RC_REMOVE,
	RC_SECONDS,
	RC_REAP,
	RC_HITCOUNT,
	RC_RTTL,
	RC_NAME,
	RC_RSOURCE,
	RC_RDEST,
	RC_MASK,
};

static const struct ipt_modopt recent_opts[] = {
	{ "set", 0, RC_SET, true, false },
	{ "rcheck", 0, RC_RCHECK, true, false },
	{ "update", 0, RC_UPDATE, true, false },
	{ "remove", 0, RC_REMOVE, true, false },
	{ "seconds", 1, RC_SECONDS, true, true },
	{ "reap", 0, RC_REAP, true, true },
	{ "hitcount", 1, RC_HITCOUNT, true, true },
	{ "rttl", 0, RC_RTTL, true, true },
	{ "name", 1, RC_NAME, true, true },
	{ "rsource", 0, RC_RSOURCE, true, true },
	{ "rdest", 0, RC_RDEST, true, true },
	{ "mask", 1, RC_MASK, true, true },
	{ NULL },
};

#define RC_MODES                                                               \
	((1u << RC_SET) | (1u << RC_RCHECK) | (1u << RC_UPDATE) |              \
	 (1u << RC_REMOVE))

static int recent_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			const struct ipt_modopt *opt, const char *arg, bool inv,
			int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.recent) *rc = &ext_m(inst)->u.recent;
	static const uint8_t mode_bit[] = {
		[RC_SET] = BF_RECENT_SET,
		[RC_RCHECK] = BF_RECENT_CHECK,
		[RC_UPDATE] = BF_RECENT_UPDATE,
		[RC_REMOVE] = BF_RECENT_REMOVE,
	};
	unsigned long long v;

	if ((1u << opt->id) & RC_MODES) {
		if (inst->seen & RC_MODES) {
			ipt_err(ctx, "recent: only one of `--set', `--rcheck' "
				     "`--update' or `--remove' may be set");
			return -EINVAL;
		}
		inst->seen |= 1u << opt->id;
		rc->check_set |= mode_bit[opt->id];
		rc->invert = inv;
		return 0;
	}
	/* --rsource and --rdest may both be given: the last one wins. */
	if (!once(ctx, "recent", &inst->seen, opt))
		return -EINVAL;
	switch (opt->id) {
	case RC_SECONDS:
	case RC_HITCOUNT:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad_value(ctx, "recent", opt, arg);
		if (opt->id == RC_SECONDS)
			rc->seconds = (uint32_t)v;
		else
			rc->hit_count = (uint32_t)v;
		return 0;
	case RC_REAP:
		rc->check_set |= BF_RECENT_REAP;
		return 0;
	case RC_RTTL:
		rc->check_set |= BF_RECENT_TTL;
		return 0;
	case RC_NAME:
		if (!*arg || strlen(arg) >= BF_RECENT_NAME_MAX) {
			ipt_err(ctx,
				"recent: bad name \"%s\" (1 to %d "
				"characters)",
				arg, BF_RECENT_NAME_MAX - 1);
			return -EINVAL;
		}
		/* recent_mt_check(): the name becomes a /proc file. */
		if (strchr(arg, '/') || !strcmp(arg, ".") ||
		    !strcmp(arg, "..")) {
			ipt_err(ctx,
				"recent: name \"%s\" is not a valid file "
				"name",
				arg);
			return -EINVAL;
		}
		strcpy(rc->name, arg);
		return 0;
	case RC_RSOURCE:
		rc->side_dest = false;
		return 0;
	case RC_RDEST:
		rc->side_dest = true;
		return 0;
	case RC_MASK:
		if (!parse_host(ctx->family, arg, rc->mask))
			return bad_value(ctx, "recent", opt, arg);
		return 0;
	}
	return -EINVAL;
}

static int recent_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	typeof(ext_m(inst)->u.recent) *rc = &ext_m(inst)->u.recent;
	uint8_t mode = rc->check_set & (BF_RECENT_SET | BF_RECENT_REMOVE);

	if (!(inst->seen & RC_MODES)) {
		ipt_err(ctx, "recent: you must specify one of `--set', "
			     "`--rcheck' `--update' or `--remove'");
		return -EINVAL;
	}
	if ((inst->seen & (1u << RC_REAP)) &&
	    !(inst->seen & (1u << RC_SECONDS))) {
		ipt_err(ctx,
			"recent: option \"--reap\" also requires \"--seconds\".");
		return -EINVAL;
	}
	/* recent_mt_check(): --set and --remove take no condition. */
	if (mode && (rc->seconds || rc->hit_count ||
		     (rc->check_set & (BF_RECENT_TTL | BF_RECENT_REAP)))) {
		ipt_err(ctx, "recent: --set and --remove cannot take "
			     "--seconds, --hitcount, --rttl or --reap");
		return -EINVAL;
	}
	/* XT_RECENT_MAX_NSTAMPS */
	if (rc->hit_count >= 65536) {
		ipt_err(ctx,
			"recent: hitcount (%u) is larger than allowed "
			"maximum (65535)",
			rc->hit_count);
		return -EINVAL;
	}
	return 0;
}

static void recent_print(FILE *out, const struct bf_rule *rule,
			 const struct bf_match *m)
{
	const typeof(m->u.recent) *rc = &m->u.recent;

	if (rc->invert)
		fputs(" !", out);
	if (rc->check_set & BF_RECENT_SET)
		fputs(" --set", out);
	if (rc->check_set & BF_RECENT_CHECK)
		fputs(" --rcheck", out);
	if (rc->check_set & BF_RECENT_UPDATE)
		fputs(" --update", out);
	if (rc->check_set & BF_RECENT_REMOVE)
		fputs(" --remove", out);
	if (rc->seconds)
		fprintf(out, " --seconds %u", rc->seconds);
	if (rc->check_set & BF_RECENT_REAP)
		fputs(" --reap", out);
	if (rc->hit_count)
		fprintf(out, " --hitcount %u", rc->hit_count);
	if (rc->check_set & BF_RECENT_TTL)
		fputs(" --rttl", out);
	fprintf(out, " --name %.*s --mask ", BF_RECENT_NAME_MAX - 1, rc->name);
	print_addr(out, rule->family, rc->mask);
	fputs(rc->side_dest ? " --rdest" : " --rsource", out);
}

/* ---- connlimit (libxt_connlimit.c revision 1) ---- */

enum {
	CL_UPTO,
	CL_ABOVE,
	CL_MASK,
	CL_SADDR,
	CL_DADDR,
};

static const struct ipt_modopt connlimit_opts[] = {
	{ "connlimit-upto", 1, CL_UPTO, true, false },
	{ "connlimit-above", 1, CL_ABOVE, true, false },
	{ "connlimit-mask", 1, CL_MASK, true, true },
	{ "connlimit-saddr", 0, CL_SADDR, true, true },
	{ "connlimit-daddr", 0, CL_DADDR, true, true },
	{ NULL },
};

static void prefix_mask(uint8_t mask[16], unsigned int bits)
{
	memset(mask, 0, 16);
	for (unsigned int i = 0; i < bits; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

static int connlimit_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			   const struct ipt_modopt *opt, const char *arg,
			   bool inv, int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.connlimit) *cl = &ext_m(inst)->u.connlimit;
	unsigned long long v;

	if (!once(ctx, "connlimit", &inst->seen, opt))
		return -EINVAL;
	if (!excl(ctx, "connlimit", inst->seen, connlimit_opts, opt,
		  opt->id == CL_UPTO  ? 1u << CL_ABOVE :
		  opt->id == CL_ABOVE ? 1u << CL_UPTO :
		  opt->id == CL_SADDR ? 1u << CL_DADDR :
		  opt->id == CL_DADDR ? 1u << CL_SADDR :
					0))
		return -EINVAL;
	switch (opt->id) {
	case CL_UPTO:
	case CL_ABOVE:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad_value(ctx, "connlimit", opt, arg);
		cl->limit = (uint32_t)v;
		/* XT_CONNLIMIT_INVERT means "up to". */
		cl->invert = inv != (opt->id == CL_UPTO);
		return 0;
	case CL_MASK:
		if (!ipt_strtoui(arg, 0,
				 ctx->family == BF_FAMILY_INET4 ? 32 : 128, 0,
				 &v))
			return bad_value(ctx, "connlimit", opt, arg);
		prefix_mask(cl->mask, (unsigned int)v);
		return 0;
	case CL_SADDR:
		cl->daddr = false;
		return 0;
	case CL_DADDR:
		cl->daddr = true;
		return 0;
	}
	return -EINVAL;
}

static int connlimit_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (inst->seen & ((1u << CL_UPTO) | (1u << CL_ABOVE)))
		return 0;
	ipt_err(ctx, "connlimit: option \"--connlimit-above\" or "
		     "\"--connlimit-upto\" must be specified.");
	return -EINVAL;
}

static void connlimit_print(FILE *out, const struct bf_rule *rule,
			    const struct bf_match *m)
{
	int bits = 0;

	for (int i = 0; i < addr_bytes(rule->family) * 8; i++)
		bits += !!(m->u.connlimit.mask[i / 8] & (0x80 >> (i % 8)));
	fprintf(out, " --connlimit-%s %u --connlimit-mask %d --connlimit-%s",
		m->u.connlimit.invert ? "upto" : "above", m->u.connlimit.limit,
		bits, m->u.connlimit.daddr ? "daddr" : "saddr");
}

/* ---- addrtype (libxt_addrtype.c revision 1, xt_addrtype.c) ---- */

/* RTN_* order: bit i is 1 << i. */
static const char *const rtn_names[] = {
	"UNSPEC",   "UNICAST",	 "LOCAL",     "BROADCAST",
	"ANYCAST",  "MULTICAST", "BLACKHOLE", "UNREACHABLE",
	"PROHIBIT", "THROW",	 "NAT",	      "XRESOLVE",
};

enum {
	AT_SRC,
	AT_DST,
	AT_IN,
	AT_OUT,
};

static const struct ipt_modopt addrtype_opts[] = {
	{ "src-type", 1, AT_SRC, true, false },
	{ "dst-type", 1, AT_DST, true, false },
	{ "limit-iface-in", 0, AT_IN, true, true },
	{ "limit-iface-out", 0, AT_OUT, true, true },
	{ NULL },
};

/* parse_types(): comma list, each element a case-insensitive prefix of
 * a type name (the first in table order wins). */
static bool parse_types(const char *arg, uint16_t *mask)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		size_t i;

		if (!len)
			return false;
		for (i = 0; i < ARRAY_SIZE(rtn_names); i++) {
			if (!strncasecmp(p, rtn_names[i], len))
				break;
		}
		if (i == ARRAY_SIZE(rtn_names))
			return false;
		*mask |= (uint16_t)(1u << i);
		if (!comma)
			return true;
		p = comma + 1;
	}
}

static int addrtype_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			  const struct ipt_modopt *opt, const char *arg,
			  bool inv, int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.addrtype) *at = &ext_m(inst)->u.addrtype;

	if (!once(ctx, "addrtype", &inst->seen, opt))
		return -EINVAL;
	if (!excl(ctx, "addrtype", inst->seen, addrtype_opts, opt,
		  opt->id == AT_IN  ? 1u << AT_OUT :
		  opt->id == AT_OUT ? 1u << AT_IN :
				      0))
		return -EINVAL;
	switch (opt->id) {
	case AT_SRC:
	case AT_DST:
		if (!parse_types(arg,
				 opt->id == AT_SRC ? &at->source : &at->dest)) {
			ipt_err(ctx, "addrtype: bad type \"%s\"", arg);
			return -EINVAL;
		}
		if (inv)
			at->flags |= opt->id == AT_SRC ?
					     BF_ADDRTYPE_INVERT_SOURCE :
					     BF_ADDRTYPE_INVERT_DEST;
		return 0;
	case AT_IN:
		at->flags |= BF_ADDRTYPE_LIMIT_IFACE_IN;
		return 0;
	case AT_OUT:
		at->flags |= BF_ADDRTYPE_LIMIT_IFACE_OUT;
		return 0;
	}
	return -EINVAL;
}

static int addrtype_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	typeof(ext_m(inst)->u.addrtype) *at = &ext_m(inst)->u.addrtype;
	uint16_t both = at->source | at->dest;

	if (!(inst->seen & ((1u << AT_SRC) | (1u << AT_DST)))) {
		ipt_err(ctx,
			"addrtype: you must specify --src-type or --dst-type");
		return -EINVAL;
	}
	/* addrtype_mt_checkentry_v1() */
	if ((at->flags & BF_ADDRTYPE_LIMIT_IFACE_OUT) &&
	    !hook_ok(ctx, "addrtype --limit-iface-out",
		     HOOK(BF_HOOK_FORWARD) | HOOK(BF_HOOK_OUTPUT),
		     "FORWARD and OUTPUT"))
		return -EINVAL;
	if ((at->flags & BF_ADDRTYPE_LIMIT_IFACE_IN) &&
	    !hook_ok(ctx, "addrtype --limit-iface-in",
		     HOOK(BF_HOOK_FORWARD) | HOOK(BF_HOOK_INPUT),
		     "INPUT and FORWARD"))
		return -EINVAL;
	if (ctx->family == BF_FAMILY_INET6 &&
	    (both & ((1u << 3) | (1u << 6) | (0xffffu << 8)))) {
		ipt_err(ctx, "addrtype: IPv6 has no BROADCAST, BLACKHOLE, "
			     "PROHIBIT, THROW, NAT or XRESOLVE types");
		return -EINVAL;
	}
	return 0;
}

static void print_types(FILE *out, uint16_t mask)
{
	const char *sep = " ";

	for (size_t i = 0; i < ARRAY_SIZE(rtn_names); i++) {
		if (mask & (1u << i)) {
			fprintf(out, "%s%s", sep, rtn_names[i]);
			sep = ",";
		}
	}
}

static void addrtype_print(FILE *out, const struct bf_rule *rule,
			   const struct bf_match *m)
{
	const typeof(m->u.addrtype) *at = &m->u.addrtype;

	if (at->source) {
		if (at->flags & BF_ADDRTYPE_INVERT_SOURCE)
			fputs(" !", out);
		fputs(" --src-type", out);
		print_types(out, at->source);
	}
	if (at->dest) {
		if (at->flags & BF_ADDRTYPE_INVERT_DEST)
			fputs(" !", out);
		fputs(" --dst-type", out);
		print_types(out, at->dest);
	}
	if (at->flags & BF_ADDRTYPE_LIMIT_IFACE_IN)
		fputs(" --limit-iface-in", out);
	if (at->flags & BF_ADDRTYPE_LIMIT_IFACE_OUT)
		fputs(" --limit-iface-out", out);
}

/* ---- mac (libxt_mac.c, xt_mac.c) ---- */

static const struct ipt_modopt mac_opts[] = {
	{ "mac-source", 1, 0, true, false },
	{ NULL },
};

/* XTTYPE_ETHERMAC: six hex numbers of at most two digits, ':'-separated */
static bool parse_mac(const char *arg, uint8_t out[6])
{
	const char *p = arg;

	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long v = strtoul(p, &end, 16);

		if (end - p > 2 || *end != (i < 5 ? ':' : '\0'))
			return false;
		out[i] = (uint8_t)v;
		p = end + 1;
	}
	return true;
}

static int mac_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx)
{
	if (!once(ctx, "mac", &inst->seen, opt))
		return -EINVAL;
	if (!parse_mac(arg, ext_m(inst)->u.mac.addr))
		return bad_value(ctx, "mac", opt, arg);
	ext_m(inst)->neg = inv;
	return 0;
}

static int mac_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (need(ctx, inst, 0, "mac-source"))
		return -EINVAL;
	/* xt_mac is registered for PRE_ROUTING, LOCAL_IN and FORWARD. */
	return hook_ok(ctx, "mac", HOOK(BF_HOOK_INPUT) | HOOK(BF_HOOK_FORWARD),
		       "INPUT and FORWARD") ?
		       0 :
		       -EINVAL;
}

static void mac_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m)
{
	const uint8_t *a = m->u.mac.addr;

	fprintf(out, "%s --mac-source %02x:%02x:%02x:%02x:%02x:%02x",
		m->neg ? " !" : "", a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- mark / connmark (libxt_mark.c, libxt_connmark.c) ---- */

static const struct ipt_modopt mark_opts[] = {
	{ "mark", 1, 0, true, false },
	{ NULL },
};

static int mark_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		      const struct ipt_modopt *opt, const char *arg, bool inv,
		      int argc, char **argv, int *idx)
{
	struct bf_match *m = ext_m(inst);

	if (!once(ctx, inst->mod->name, &inst->seen, opt))
		return -EINVAL;
	if (!parse_markmask(arg, &m->u.mark.value, &m->u.mark.mask))
		return bad_value(ctx, inst->mod->name, opt, arg);
	m->neg = inv;
	return 0;
}

static int mark_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	return need(ctx, inst, 0, "mark");
}

static void print_markmask(FILE *out, uint32_t value, uint32_t mask)
{
	fprintf(out, " 0x%x", value);
	if (mask != UINT32_MAX)
		fprintf(out, "/0x%x", mask);
}

static void mark_print(FILE *out, const struct bf_rule *rule,
		       const struct bf_match *m)
{
	fprintf(out, "%s --mark", m->neg ? " !" : "");
	print_markmask(out, m->u.mark.value, m->u.mark.mask);
}

/* ---- owner (libxt_owner.c revision 1, xt_owner.c) ---- */

enum {
	OW_UID,
	OW_GID,
	OW_SOCKET,
	OW_SUPPL,
};

static const struct ipt_modopt owner_opts[] = {
	{ "uid-owner", 1, OW_UID, true, false },
	{ "gid-owner", 1, OW_GID, true, false },
	{ "socket-exists", 0, OW_SOCKET, true, false },
	{ "suppl-groups", 0, OW_SUPPL, true, true },
	{ NULL },
};

/* A user or group name, or "N" / "N-M" (at most 2^32 - 2). */
static bool parse_id_range(const char *arg, bool group, uint32_t *lo,
			   uint32_t *hi)
{
	unsigned long long a, b;
	char *end;

	if (group) {
		struct group *g = getgrnam(arg);

		if (g) {
			*lo = *hi = g->gr_gid;
			return true;
		}
	} else {
		struct passwd *pw = getpwnam(arg);

		if (pw) {
			*lo = *hi = pw->pw_uid;
			return true;
		}
	}
	if (!strtoul_prefix(arg, &end, 0, UINT32_MAX - 1, &a))
		return false;
	b = a;
	if (*end == '-') {
		if (!ipt_strtoui(end + 1, 0, UINT32_MAX - 1, 0, &b))
			return false;
	} else if (*end) {
		return false;
	}
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return true;
}

static int owner_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.owner) *ow = &ext_m(inst)->u.owner;
	static const uint8_t bit[] = {
		[OW_UID] = BF_OWNER_UID,
		[OW_GID] = BF_OWNER_GID,
		[OW_SOCKET] = BF_OWNER_SOCKET,
		[OW_SUPPL] = BF_OWNER_SUPPL_GROUPS,
	};

	if (!once(ctx, "owner", &inst->seen, opt))
		return -EINVAL;
	switch (opt->id) {
	case OW_UID:
	case OW_GID:
		if (!parse_id_range(
			    arg, opt->id == OW_GID,
			    opt->id == OW_UID ? &ow->uid_min : &ow->gid_min,
			    opt->id == OW_UID ? &ow->uid_max : &ow->gid_max))
			return bad_value(ctx, "owner", opt, arg);
		break;
	case OW_SUPPL:
		if (!(ow->match & BF_OWNER_GID)) {
			ipt_err(ctx, "owner: Bad value for \"--suppl-groups\" "
				     "option: \"you need to use --gid-owner "
				     "first\"");
			return -EINVAL;
		}
		break;
	}
	ow->match |= bit[opt->id];
	if (inv)
		ow->invert |= bit[opt->id];
	return 0;
}

static int owner_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	typeof(ext_m(inst)->u.owner) *ow = &ext_m(inst)->u.owner;

	if (!(ow->match & (BF_OWNER_UID | BF_OWNER_GID | BF_OWNER_SOCKET))) {
		ipt_err(ctx, "owner: At least one of --uid-owner, --gid-owner "
			     "or --socket-exists is required");
		return -EINVAL;
	}
	if (((ow->match & BF_OWNER_UID) && ow->uid_min > ow->uid_max) ||
	    ((ow->match & BF_OWNER_GID) && ow->gid_min > ow->gid_max)) {
		ipt_err(ctx, "owner: empty id range (first id above the last)");
		return -EINVAL;
	}
	/* xt_owner is registered for LOCAL_OUT and POST_ROUTING. */
	return hook_ok(ctx, "owner", HOOK(BF_HOOK_OUTPUT), "OUTPUT") ? 0 :
								       -EINVAL;
}

static void owner_print(FILE *out, const struct bf_rule *rule,
			const struct bf_match *m)
{
	const typeof(m->u.owner) *ow = &m->u.owner;

	if (ow->match & BF_OWNER_SOCKET)
		fprintf(out, "%s --socket-exists",
			ow->invert & BF_OWNER_SOCKET ? " !" : "");
	if (ow->match & BF_OWNER_UID) {
		fprintf(out, "%s --uid-owner %u",
			ow->invert & BF_OWNER_UID ? " !" : "", ow->uid_min);
		if (ow->uid_max != ow->uid_min)
			fprintf(out, "-%u", ow->uid_max);
	}
	if (ow->match & BF_OWNER_GID) {
		fprintf(out, "%s --gid-owner %u",
			ow->invert & BF_OWNER_GID ? " !" : "", ow->gid_min);
		if (ow->gid_max != ow->gid_min)
			fprintf(out, "-%u", ow->gid_max);
	}
	if (ow->match & BF_OWNER_SUPPL_GROUPS)
		fputs(" --suppl-groups", out);
}

/* ---- pkttype (libxt_pkttype.c) ---- */

static const struct {
	const char *name;
	uint8_t type; /* PACKET_* of linux/if_packet.h */
} pkt_types[] = {
	{ "unicast", 0 },   { "broadcast", 1 }, { "multicast", 2 },
	{ "otherhost", 3 }, { "host", 0 },
};

static const struct ipt_modopt pkttype_opts[] = {
	{ "pkt-type", 1, 0, true, false },
	{ NULL },
};

static int pkttype_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			 const struct ipt_modopt *opt, const char *arg,
			 bool inv, int argc, char **argv, int *idx)
{
	if (!once(ctx, "pkttype", &inst->seen, opt))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(pkt_types); i++) {
		if (!strcasecmp(arg, pkt_types[i].name)) {
			ext_m(inst)->u.pkttype.pkttype = pkt_types[i].type;
			ext_m(inst)->neg = inv;
			return 0;
		}
	}
	ipt_err(ctx, "Bad packet type '%s'", arg);
	return -EINVAL;
}

static int pkttype_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	return need(ctx, inst, 0, "pkt-type");
}

static void pkttype_print(FILE *out, const struct bf_rule *rule,
			  const struct bf_match *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(pkt_types); i++) {
		if (pkt_types[i].type == m->u.pkttype.pkttype) {
			fprintf(out, "%s --pkt-type %s", m->neg ? " !" : "",
				pkt_types[i].name);
			return;
		}
	}
	fprintf(out, "%s --pkt-type %u", m->neg ? " !" : "",
		m->u.pkttype.pkttype);
}

/* ---- length, tcpmss (XTTYPE_UINT16RC) ---- */

static const struct ipt_modopt length_opts[] = {
	{ "length", 1, 0, true, false },
	{ NULL },
};

static const struct ipt_modopt tcpmss_opts[] = {
	{ "mss", 1, 0, true, false },
	{ NULL },
};

static int range_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx)
{
	struct bf_match *m = ext_m(inst);

	if (!once(ctx, inst->mod->name, &inst->seen, opt))
		return -EINVAL;
	if (!parse_u16_range(arg, &m->u.length.min, &m->u.length.max)) {
		ipt_err(ctx, "%s: invalid range \"%s\" for \"--%s\"",
			inst->mod->name, arg, opt->name);
		return -EINVAL;
	}
	m->neg = inv;
	return 0;
}

static int length_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	return need(ctx, inst, 0, "length");
}

static int tcpmss_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (need(ctx, inst, 0, "mss"))
		return -EINVAL;
	/* xt_tcpmss is registered for IPPROTO_TCP (xt_check_match()). */
	if (ctx->has_proto && ctx->proto == IPPROTO_TCP_ && !ctx->inv_p)
		return 0;
	ipt_err(ctx, "match 'tcpmss' needs `-p tcp' (without `!')");
	return -EINVAL;
}

static void range_print(FILE *out, const struct bf_rule *rule,
			const struct bf_match *m)
{
	print_u16_range(out, m->type == BF_MATCH_LENGTH ? "length" : "mss",
			m->neg, m->u.length.min, m->u.length.max);
}

/* ---- ttl (libipt_ttl.c), hl (libip6t_hl.c) ---- */

static const struct ipt_modopt ttl_opts[] = {
	{ "ttl-eq", 1, BF_TTL_EQ, true, false },
	{ "ttl-lt", 1, BF_TTL_LT, true, true },
	{ "ttl-gt", 1, BF_TTL_GT, true, true },
	{ NULL },
};

static const struct ipt_modopt hl_opts[] = {
	{ "hl-eq", 1, BF_TTL_EQ, true, false },
	{ "hl-lt", 1, BF_TTL_LT, true, true },
	{ "hl-gt", 1, BF_TTL_GT, true, true },
	{ NULL },
};

static int ttl_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx)
{
	struct bf_match *m = ext_m(inst);
	unsigned long long v;

	if (inst->seen) {
		ipt_err(ctx,
			"%s: only one of the --%s-eq, -lt and -gt options "
			"may be given",
			inst->mod->name, inst->mod->name);
		return -EINVAL;
	}
	inst->seen |= 1u << opt->id;
	if (!ipt_strtoui(arg, 0, UINT8_MAX, 0, &v))
		return bad_value(ctx, inst->mod->name, opt, arg);
	m->u.ttl.op = inv ? BF_TTL_NE : (enum bf_ttl_op)opt->id;
	m->u.ttl.value = (uint8_t)v;
	return 0;
}

static int ttl_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (inst->seen)
		return 0;
	ipt_err(ctx,
		"%s: You must specify one of `--%s-eq', `--%s-lt', "
		"`--%s-gt'",
		inst->mod->name, inst->mod->name, inst->mod->name,
		inst->mod->name);
	return -EINVAL;
}

static void ttl_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m)
{
	static const char *const ops[] = {
		[BF_TTL_EQ] = "eq",
		[BF_TTL_NE] = "eq",
		[BF_TTL_LT] = "lt",
		[BF_TTL_GT] = "gt",
	};
	const char *what = rule->family == BF_FAMILY_INET4 ? "ttl" : "hl";

	fprintf(out, "%s --%s-%s %u", m->u.ttl.op == BF_TTL_NE ? " !" : "",
		what, ops[m->u.ttl.op & 3], m->u.ttl.value);
}

/* ---- set (libxt_set.c revision 4) ---- */

enum {
	SET_MATCH,
	SET_RETURN_NOMATCH,
	SET_UPDATE_COUNTERS,
	SET_UPDATE_SUBCOUNTERS,
	SET_NFT_VKINDS, /* bpfilter's own: nft verdict maps with chains */
	SET_NFT_VIS,
};

static const struct ipt_modopt set_opts[] = {
	{ "match-set", 1, SET_MATCH, true, false },
	{ "set", 1, SET_MATCH, true, false }, /* old name */
	{ "return-nomatch", 0, SET_RETURN_NOMATCH, true, true },
	{ "update-counters", 0, SET_UPDATE_COUNTERS, true, false },
	{ "update-subcounters", 0, SET_UPDATE_SUBCOUNTERS, true, false },
	{ "nft-vkinds", 1, SET_NFT_VKINDS, true, true },
	{ "nft-vis", 1, SET_NFT_VIS, true, true },
	{ "packets-eq", 1, 10, false, false },
	{ "packets-lt", 1, 11, false, false },
	{ "packets-gt", 1, 12, false, false },
	{ "bytes-eq", 1, 13, false, false },
	{ "bytes-lt", 1, 14, false, false },
	{ "bytes-gt", 1, 15, false, false },
	{ NULL },
};

static int set_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.set) *st = &ext_m(inst)->u.set;

	if (!once(ctx, "set", &inst->seen, opt))
		return -EINVAL;
	switch (opt->id) {
	case SET_MATCH: {
		const char *dirs;
		char *save = NULL, buf[64];

		/* The set name, then the directions as the next word. */
		if (*idx >= argc || argv[*idx][0] == '-' ||
		    argv[*idx][0] == '!') {
			ipt_err(ctx, "--match-set requires two args.");
			return -EINVAL;
		}
		dirs = argv[(*idx)++];
		if (strlen(arg) >= BF_SET_NAME_MAX) {
			ipt_err(ctx,
				"setname `%s' too long, max %d characters.",
				arg, BF_SET_NAME_MAX - 1);
			return -EINVAL;
		}
		strcpy(st->name, arg);
		if (strlen(dirs) >= sizeof(buf)) {
			ipt_err(ctx, "Can't be more src/dst options than %d.",
				BF_SET_DIM_MAX);
			return -EINVAL;
		}
		strcpy(buf, dirs);
		for (char *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			if (st->dim == BF_SET_DIM_MAX) {
				ipt_err(ctx,
					"Can't be more src/dst options "
					"than %d.",
					BF_SET_DIM_MAX);
				return -EINVAL;
			}
			if (!strcmp(t, "dst"))
				st->flags |= (uint8_t)(1u << st->dim);
			else if (strcmp(t, "src")) {
				ipt_err(ctx, "You must specify (the "
					     "comma separated list of) "
					     "'src' or 'dst'.");
				return -EINVAL;
			}
			st->dim++;
		}
		ext_m(inst)->neg = inv;
		return 0;
	}
	case SET_RETURN_NOMATCH:
		st->return_nomatch = true;
		return 0;
	case SET_NFT_VKINDS:
	case SET_NFT_VIS: {
		/* an nft verdict map with chains (set.h nft_jmap): the
		 * lookup's verdict kinds, or the dispatch test */
		char *end;
		unsigned long v = strtoul(arg, &end, 0);

		if (!*arg || *end ||
		    v > (opt->id == SET_NFT_VKINDS ? 0xffu : 0xffffffffu)) {
			ipt_err(ctx, "set: invalid --%s value '%s'", opt->name,
				arg);
			return -EINVAL;
		}
		if (opt->id == SET_NFT_VKINDS) {
			st->vop = BF_SET_VOP_LOOKUP;
			st->vkinds = (uint8_t)v;
		} else {
			st->vop = BF_SET_VOP_IS;
			st->vdata = (uint32_t)v;
		}
		return 0;
	}
	case SET_UPDATE_COUNTERS:
	case SET_UPDATE_SUBCOUNTERS:
		if (!inv) {
			ipt_err(ctx,
				"set: --%s is the default; only `! --%s' "
				"is an option",
				opt->name, opt->name);
			return -EINVAL;
		}
		if (opt->id == SET_UPDATE_COUNTERS)
			st->no_update_counters = true;
		else
			st->no_update_subcounters = true;
		return 0;
	}
	return -EINVAL;
}

static int set_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (!(inst->seen & (1u << SET_MATCH))) {
		ipt_err(ctx, "You must specify `--match-set' with proper "
			     "arguments");
		return -EINVAL;
	}
	/* iptables asks the kernel for the set while parsing
	 * (get_set_byname() of libxt_set.h); bpfilter looks in the sets
	 * given with the ruleset (include/bpfilter/set.h). */
	{
		const char *name = ext_m(inst)->u.set.name;
		const struct bf_set *set =
			ctx->sets ? bf_ruleset_set(ctx->sets, name) : NULL;

		if (!set) {
			ipt_err(ctx, "Set %s doesn't exist.", name);
			return -ENOENT;
		}
		if (!bf_set_any_family(set) && set->family != ctx->family) {
			ipt_err(ctx,
				"The protocol family of set %s is %s, which "
				"is not applicable.",
				name,
				set->family == BF_FAMILY_INET6 ? "inet6" :
								 "inet");
			return -EINVAL;
		}
	}
	return 0;
}

static void set_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m)
{
	const typeof(m->u.set) *st = &m->u.set;

	fprintf(out, "%s --match-set %.*s ", m->neg ? " !" : "",
		BF_SET_NAME_MAX - 1, st->name);
	for (int i = 0; i < st->dim && i < BF_SET_DIM_MAX; i++)
		fprintf(out, "%s%s", i ? "," : "",
			st->flags & (1u << i) ? "dst" : "src");
	if (st->return_nomatch)
		fputs(" --return-nomatch", out);
	if (st->vop == BF_SET_VOP_LOOKUP)
		fprintf(out, " --nft-vkinds 0x%x", st->vkinds);
	if (st->vop == BF_SET_VOP_IS)
		fprintf(out, " --nft-vis 0x%x", st->vdata);
	if (st->no_update_counters)
		fputs(" ! --update-counters", out);
	if (st->no_update_subcounters)
		fputs(" ! --update-subcounters", out);
}

/* ---- statistic (libxt_statistic.c, xt_statistic.c) ---- */

enum {
	ST_MODE,
	ST_PROBABILITY,
	ST_EVERY,
	ST_PACKET,
};

static const struct ipt_modopt statistic_opts[] = {
	{ "mode", 1, ST_MODE, true, true },
	{ "probability", 1, ST_PROBABILITY, true, false },
	{ "every", 1, ST_EVERY, true, false },
	{ "packet", 1, ST_PACKET, true, true },
	{ NULL },
};

static int statistic_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			   const struct ipt_modopt *opt, const char *arg,
			   bool inv, int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.statistic) *st = &ext_m(inst)->u.statistic;
	unsigned long long v;
	char *end;
	double d;

	if (!once(ctx, "statistic", &inst->seen, opt))
		return -EINVAL;
	if (!excl(ctx, "statistic", inst->seen, statistic_opts, opt,
		  opt->id == ST_PROBABILITY ?
			  (1u << ST_EVERY) | (1u << ST_PACKET) :
		  opt->id == ST_EVERY || opt->id == ST_PACKET ?
			  1u << ST_PROBABILITY :
			  0))
		return -EINVAL;
	switch (opt->id) {
	case ST_MODE:
		if (!strcmp(arg, "random"))
			st->mode = BF_STATISTIC_RANDOM;
		else if (!strcmp(arg, "nth"))
			st->mode = BF_STATISTIC_NTH;
		else {
			ipt_err(ctx, "Bad mode \"%s\"", arg);
			return -EINVAL;
		}
		return 0;
	case ST_PROBABILITY:
		/* XTTYPE_DOUBLE, 0..1 */
		errno = 0;
		d = strtod(arg, &end);
		if (end == arg || *end || errno || !(d >= 0.0 && d <= 1.0))
			return bad_value(ctx, "statistic", opt, arg);
		st->probability =
			(uint32_t)(0x80000000 * d + 0.5); /* lround() */
		st->invert |= inv;
		return 0;
	case ST_EVERY:
		if (!ipt_strtoui(arg, 1, UINT32_MAX, 0, &v))
			return bad_value(ctx, "statistic", opt, arg);
		st->every = (uint32_t)(v - 1);
		st->invert |= inv;
		return 0;
	case ST_PACKET:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad_value(ctx, "statistic", opt, arg);
		st->packet = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}

static int statistic_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	typeof(ext_m(inst)->u.statistic) *st = &ext_m(inst)->u.statistic;
	bool every = inst->seen & (1u << ST_EVERY);
	bool packet = inst->seen & (1u << ST_PACKET);

	if (need(ctx, inst, ST_MODE, "mode"))
		return -EINVAL;
	if (every != packet) {
		ipt_err(ctx,
			"statistic: option \"--%s\" also requires "
			"\"--%s\".",
			every ? "every" : "packet", every ? "packet" : "every");
		return -EINVAL;
	}
	if ((inst->seen & (1u << ST_PROBABILITY)) &&
	    st->mode != BF_STATISTIC_RANDOM) {
		ipt_err(ctx, "--probability can only be used in random mode");
		return -EINVAL;
	}
	if (every && st->mode != BF_STATISTIC_NTH) {
		ipt_err(ctx, "--every and --packet can only be used in nth "
			     "mode");
		return -EINVAL;
	}
	if (st->packet > st->every) {
		ipt_err(ctx, "the --packet p must be 0 <= p <= n-1");
		return -EINVAL;
	}
	return 0;
}

static void statistic_print(FILE *out, const struct bf_rule *rule,
			    const struct bf_match *m)
{
	const typeof(m->u.statistic) *st = &m->u.statistic;

	if (st->mode == BF_STATISTIC_RANDOM)
		fprintf(out, " --mode random%s --probability %.11f",
			st->invert ? " !" : "",
			1.0 * st->probability / 0x80000000);
	else
		fprintf(out, " --mode nth%s --every %u --packet %u",
			st->invert ? " !" : "", st->every + 1, st->packet);
}

/* ---- physdev (libxt_physdev.c, xt_physdev.c) ---- */

enum {
	PD_IN,
	PD_OUT,
	PD_ISIN,
	PD_ISOUT,
	PD_BRIDGED,
};

static const struct ipt_modopt physdev_opts[] = {
	{ "physdev-in", 1, PD_IN, true, false },
	{ "physdev-out", 1, PD_OUT, true, false },
	{ "physdev-is-in", 0, PD_ISIN, true, false },
	{ "physdev-is-out", 0, PD_ISOUT, true, false },
	{ "physdev-is-bridged", 0, PD_BRIDGED, true, false },
	{ NULL },
};

static int physdev_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			 const struct ipt_modopt *opt, const char *arg,
			 bool inv, int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.physdev) *pd = &ext_m(inst)->u.physdev;
	static const uint8_t bit[] = {
		[PD_IN] = BF_PHYSDEV_IN,
		[PD_OUT] = BF_PHYSDEV_OUT,
		[PD_ISIN] = BF_PHYSDEV_ISIN,
		[PD_ISOUT] = BF_PHYSDEV_ISOUT,
		[PD_BRIDGED] = BF_PHYSDEV_BRIDGED,
	};

	if (!once(ctx, "physdev", &inst->seen, opt))
		return -EINVAL;
	if (opt->id == PD_IN || opt->id == PD_OUT) {
		if (!*arg || strlen(arg) >= BF_IFNAMSIZ) {
			ipt_err(ctx, "physdev: bad interface name \"%s\"", arg);
			return -EINVAL;
		}
		strcpy(opt->id == PD_IN ? pd->physindev : pd->physoutdev, arg);
	}
	pd->bitmask |= bit[opt->id];
	if (inv)
		pd->invert |= bit[opt->id];
	return 0;
}

static int physdev_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	typeof(ext_m(inst)->u.physdev) *pd = &ext_m(inst)->u.physdev;

	if (!pd->bitmask) {
		ipt_err(ctx, "PHYSDEV: no physdev option specified");
		return -EINVAL;
	}
	/* physdev_mt_check(): without a bridge, locally generated packets
	 * have no output port yet (only LOCAL_OUT is refused). */
	if ((pd->bitmask & (BF_PHYSDEV_OUT | BF_PHYSDEV_ISOUT)) &&
	    (!(pd->bitmask & BF_PHYSDEV_BRIDGED) ||
	     (pd->invert & BF_PHYSDEV_BRIDGED)) &&
	    chain_hook(ctx) == HOOK(BF_HOOK_OUTPUT)) {
		ipt_err(ctx, "physdev: --physdev-out and --physdev-is-out only "
			     "supported in the FORWARD and POSTROUTING chains "
			     "with bridged traffic");
		return -EINVAL;
	}
	return 0;
}

static void physdev_print(FILE *out, const struct bf_rule *rule,
			  const struct bf_match *m)
{
	const typeof(m->u.physdev) *pd = &m->u.physdev;
#define NEG(b) (pd->invert & (b) ? " !" : "")

	if (pd->bitmask & BF_PHYSDEV_ISIN)
		fprintf(out, "%s --physdev-is-in", NEG(BF_PHYSDEV_ISIN));
	if (pd->bitmask & BF_PHYSDEV_IN)
		fprintf(out, "%s --physdev-in %.*s", NEG(BF_PHYSDEV_IN),
			BF_IFNAMSIZ - 1, pd->physindev);
	if (pd->bitmask & BF_PHYSDEV_ISOUT)
		fprintf(out, "%s --physdev-is-out", NEG(BF_PHYSDEV_ISOUT));
	if (pd->bitmask & BF_PHYSDEV_OUT)
		fprintf(out, "%s --physdev-out %.*s", NEG(BF_PHYSDEV_OUT),
			BF_IFNAMSIZ - 1, pd->physoutdev);
	if (pd->bitmask & BF_PHYSDEV_BRIDGED)
		fprintf(out, "%s --physdev-is-bridged",
			NEG(BF_PHYSDEV_BRIDGED));
#undef NEG
}

/* ---- conntrack (libxt_conntrack.c revision 3, xt_conntrack.c) ---- */

enum {
	CT_STATE,
	CT_PROTO,
	CT_ORIGSRC,
	CT_ORIGDST,
	CT_REPLSRC,
	CT_REPLDST,
	CT_ORIGSRCPORT,
	CT_ORIGDSTPORT,
	CT_REPLSRCPORT,
	CT_REPLDSTPORT,
	CT_STATUS,
	CT_EXPIRE,
	CT_DIR,
	CT_STATUS_EQ, /* bpfilter's own: nft `ct status == V` */
};

const struct ipt_modopt ipt_ct_opts[] = {
	{ "ctstate", 1, CT_STATE, true, false },
	{ "ctproto", 1, CT_PROTO, true, false },
	{ "ctorigsrc", 1, CT_ORIGSRC, true, false },
	{ "ctorigdst", 1, CT_ORIGDST, true, false },
	{ "ctreplsrc", 1, CT_REPLSRC, true, false },
	{ "ctrepldst", 1, CT_REPLDST, true, false },
	{ "ctorigsrcport", 1, CT_ORIGSRCPORT, true, false },
	{ "ctorigdstport", 1, CT_ORIGDSTPORT, true, false },
	{ "ctreplsrcport", 1, CT_REPLSRCPORT, true, false },
	{ "ctrepldstport", 1, CT_REPLDSTPORT, true, false },
	{ "ctstatus", 1, CT_STATUS, true, false },
	{ "ctexpire", 1, CT_EXPIRE, true, false },
	{ "ctdir", 1, CT_DIR, true, true },
	{ "nft-ctstatus-eq", 1, CT_STATUS_EQ, true, false },
	{ NULL },
};

/* The option's bit in match_flags. */
static const uint16_t ct_flag[] = {
	[CT_STATE] = BF_CT_STATE,
	[CT_PROTO] = BF_CT_PROTO,
	[CT_ORIGSRC] = BF_CT_ORIGSRC,
	[CT_ORIGDST] = BF_CT_ORIGDST,
	[CT_REPLSRC] = BF_CT_REPLSRC,
	[CT_REPLDST] = BF_CT_REPLDST,
	[CT_ORIGSRCPORT] = BF_CT_ORIGSRC_PORT,
	[CT_ORIGDSTPORT] = BF_CT_ORIGDST_PORT,
	[CT_REPLSRCPORT] = BF_CT_REPLSRC_PORT,
	[CT_REPLDSTPORT] = BF_CT_REPLDST_PORT,
	[CT_STATUS] = BF_CT_STATUS,
	[CT_EXPIRE] = BF_CT_EXPIRES,
	[CT_DIR] = BF_CT_DIRECTION,
	[CT_STATUS_EQ] = BF_CT_STATUS_EQ,
};

/* conntrack_ps_state() / conntrack_ps_status(): each element of the
 * comma list abbreviates a name (compared over its own length). */
struct ct_name {
	const char *name;
	uint16_t bit;
};

static const struct ct_name ct_state_names[] = {
	{ "INVALID", BF_CT_STATE_INVALID },
	{ "NEW", BF_CT_STATE_NEW },
	{ "ESTABLISHED", BF_CT_STATE_ESTABLISHED },
	{ "RELATED", BF_CT_STATE_RELATED },
	{ "UNTRACKED", BF_CT_STATE_UNTRACKED },
	{ "SNAT", BF_CT_STATE_SNAT },
	{ "DNAT", BF_CT_STATE_DNAT },
};

static const struct ct_name ct_status_names[] = {
	{ "NONE", 0 },
	{ "EXPECTED", BF_CT_STATUS_EXPECTED },
	{ "SEEN_REPLY", BF_CT_STATUS_SEEN_REPLY },
	{ "ASSURED", BF_CT_STATUS_ASSURED },
	{ "CONFIRMED", BF_CT_STATUS_CONFIRMED },
	/* bpfilter's extension, for nft's ct status snat, dnat, dying */
	{ "SRC_NAT", BF_CT_STATUS_SRC_NAT },
	{ "DST_NAT", BF_CT_STATUS_DST_NAT },
	{ "DYING", BF_CT_STATUS_DYING },
};

static bool ct_parse_list(const char *arg, const struct ct_name *names,
			  size_t n, uint16_t *mask)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		size_t i;

		if (!len)
			return false;
		for (i = 0; i < n; i++) {
			if (!strncasecmp(p, names[i].name, len))
				break;
		}
		if (i == n)
			return false;
		*mask |= names[i].bit;
		if (!comma)
			return true;
		p = comma + 1;
	}
}

/* XTTYPE_HOSTMASK (-m conntrack --ctorigsrc..., -m policy --tunnel-src...):
 * an address and an optional mask, a prefix length or an address-shaped
 * mask. libxtables 1.8.9's xtopt_parse_plenmask() turns an address-shaped
 * mask that is no prefix into a full one (its length comes back as
 * (uint8_t)-1; 1.8.10 keeps the mask): the rule the kernel gets, and the
 * one bpfilter keeps. */
bool ipt_parse_hostmask(enum bf_family f, const char *arg, uint8_t addr[16],
			uint8_t mask[16])
{
	unsigned int max = f == BF_FAMILY_INET4 ? 32 : 128;
	unsigned long long plen = max;
	const char *slash = strchr(arg, '/');
	char buf[64];

	if (strlen(arg) >= sizeof(buf))
		return false;
	strcpy(buf, arg);
	if (slash) {
		const char *m = slash + 1;

		buf[slash - arg] = '\0';
		if (strchr(m, f == BF_FAMILY_INET4 ? '.' : ':')) {
			unsigned int bits = 0;
			bool cidr = true;

			if (!parse_host(f, m, mask))
				return false;
			for (unsigned int i = 0; i < max; i++) {
				bool one = mask[i / 8] & (0x80 >> (i % 8));

				cidr &= !one || bits == i;
				bits += one;
			}
			if (!cidr)
				prefix_mask(mask, max);
		} else {
			if (!ipt_strtoui(m, 0, max, 10, &plen))
				return false;
			prefix_mask(mask, (unsigned int)plen);
		}
	} else {
		prefix_mask(mask, max);
	}
	return parse_host(f, buf, addr);
}

/* XTTYPE_PORTRC: "p", "p:q", ":q", "p:" or ":", names allowed. */
static bool ct_parse_ports(const char *arg, uint16_t out[2])
{
	const char *colon = strchr(arg, ':');
	char buf[64];
	int lo = 0, hi = UINT16_MAX;

	if (strlen(arg) >= sizeof(buf))
		return false;
	strcpy(buf, arg);
	if (!colon) {
		lo = hi = ipt_parse_port(buf, NULL);
	} else {
		buf[colon - arg] = '\0';
		if (*buf)
			lo = ipt_parse_port(buf, NULL);
		if (colon[1])
			hi = ipt_parse_port(colon + 1, NULL);
	}
	if (lo < 0 || hi < 0 || lo > hi)
		return false;
	out[0] = (uint16_t)lo;
	out[1] = (uint16_t)hi;
	return true;
}

/* XTTYPE_UINT32RC: "a" or "a:b" (either end may be left out), a <= b. */
static bool ct_parse_u32_range(const char *arg, uint32_t *lo, uint32_t *hi)
{
	const char *colon = strchr(arg, ':');
	unsigned long long a = 0, b = UINT32_MAX;
	char buf[64];

	if (strlen(arg) >= sizeof(buf))
		return false;
	strcpy(buf, arg);
	if (!colon) {
		if (!ipt_strtoui(buf, 0, UINT32_MAX, 0, &a))
			return false;
		b = a;
	} else {
		buf[colon - arg] = '\0';
		if (*buf && !ipt_strtoui(buf, 0, UINT32_MAX, 0, &a))
			return false;
		if (colon[1] && !ipt_strtoui(colon + 1, 0, UINT32_MAX, 0, &b))
			return false;
	}
	if (a > b)
		return false;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return true;
}

int ipt_ct_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		 const struct ipt_modopt *opt, const char *arg, bool inv,
		 int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.conntrack) *ct = &ext_m(inst)->u.conntrack;
	uint16_t *ports = NULL;
	uint8_t *addr = NULL, *mask = NULL;
	bool ok = true;
	int proto;

	if (!once(ctx, "conntrack", &inst->seen, opt))
		return -EINVAL;
	switch (opt->id) {
	case CT_STATE:
		if (!ct_parse_list(arg, ct_state_names,
				   ARRAY_SIZE(ct_state_names),
				   &ct->state_mask)) {
			ipt_err(ctx, "Bad ctstate \"%s\"", arg);
			return -EINVAL;
		}
		break;
	case CT_STATUS:
		if (!ct_parse_list(arg, ct_status_names,
				   ARRAY_SIZE(ct_status_names),
				   &ct->status_mask)) {
			ipt_err(ctx, "Bad ctstatus \"%s\"", arg);
			return -EINVAL;
		}
		break;
	case CT_PROTO: {
		char lower[64];
		size_t i;

		for (i = 0; arg[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)(arg[i] >= 'A' && arg[i] <= 'Z' ?
						  arg[i] - 'A' + 'a' :
						  arg[i]);
		lower[i] = '\0';
		proto = arg[i] ? -1 : ipt_parse_proto(lower);
		if (proto < 0)
			return bad_value(ctx, "conntrack", opt, arg);
		/* A conntrack entry always has a protocol. */
		if (proto == 0) {
			ipt_err(ctx, "conntrack: rule would never match "
				     "protocol");
			return -EINVAL;
		}
		ct->l4proto = (uint8_t)proto;
		break;
	}
	case CT_ORIGSRC:
		addr = ct->origsrc, mask = ct->origsrc_mask;
		break;
	case CT_ORIGDST:
		addr = ct->origdst, mask = ct->origdst_mask;
		break;
	case CT_REPLSRC:
		addr = ct->replsrc, mask = ct->replsrc_mask;
		break;
	case CT_REPLDST:
		addr = ct->repldst, mask = ct->repldst_mask;
		break;
	case CT_ORIGSRCPORT:
		ports = ct->origsrc_port;
		break;
	case CT_ORIGDSTPORT:
		ports = ct->origdst_port;
		break;
	case CT_REPLSRCPORT:
		ports = ct->replsrc_port;
		break;
	case CT_REPLDSTPORT:
		ports = ct->repldst_port;
		break;
	case CT_EXPIRE:
		ok = ct_parse_u32_range(arg, &ct->expires_min,
					&ct->expires_max);
		break;
	case CT_STATUS_EQ: {
		/* the whole status word (ir.h BF_CT_STATUS_EQ), bits 0..15 */
		char *end;
		unsigned long v = strtoul(arg, &end, 0);

		ok = *arg && !*end && v <= 0xffff;
		if (ok)
			ct->status_mask = (uint16_t)v;
		break;
	}
	case CT_DIR:
		if (!strcasecmp(arg, "ORIGINAL"))
			inv = false;
		else if (!strcasecmp(arg, "REPLY"))
			inv = true; /* inverted direction flag */
		else
			ok = false;
		break;
	}
	if (addr)
		ok = ipt_parse_hostmask(ctx->family, arg, addr, mask);
	if (ports)
		ok = ct_parse_ports(arg, ports);
	if (!ok)
		return bad_value(ctx, "conntrack", opt, arg);
	ct->match_flags |= ct_flag[opt->id];
	if (inv)
		ct->invert_flags |= ct_flag[opt->id];
	return 0;
}

int ipt_ct_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	if (inst->seen)
		return 0;
	ipt_err(ctx, "conntrack: At least one option is required");
	return -EINVAL;
}

/* A plain state list the code generator knows: BF_MATCH_CTSTATE. */
static bool ct_is_plain_state(const struct bf_match *m)
{
	return m->u.conntrack.match_flags == BF_CT_STATE &&
	       !(m->u.conntrack.state_mask &
		 (BF_CT_STATE_SNAT | BF_CT_STATE_DNAT));
}

int ipt_ct_emit(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		struct bf_rule *rule, uint16_t instance)
{
	const struct bf_match *full = &inst->u.ext.m;
	struct bf_match m = *full;

	if (ct_is_plain_state(full)) {
		uint16_t k = full->u.conntrack.state_mask;

		memset(&m, 0, sizeof(m));
		m.type = BF_MATCH_CTSTATE;
		m.neg = full->u.conntrack.invert_flags & BF_CT_STATE;
		/* kernel bits -> enum bf_ctstate (UNTRACKED moves) */
		m.u.ctstate.mask =
			(k & (BF_CT_STATE_INVALID | BF_CT_STATE_ESTABLISHED |
			      BF_CT_STATE_RELATED | BF_CT_STATE_NEW)) |
			(k & BF_CT_STATE_UNTRACKED ? BF_CTSTATE_UNTRACKED : 0);
	} else {
		m.type = BF_MATCH_CONNTRACK;
	}
	m.origin.module = IPT_MOD_CONNTRACK;
	m.origin.instance = instance;
	m.line = ctx->line;
	return bf_rule_add_match(rule, &m);
}

static void ct_print_list(FILE *out, uint16_t mask, const struct ct_name *order,
			  size_t n)
{
	const char *sep = " ";

	for (size_t i = 0; i < n; i++) {
		if (mask & order[i].bit) {
			fprintf(out, "%s%s", sep, order[i].name);
			sep = ",";
		}
	}
}

/* print_state() order */
static const struct ct_name ct_state_order[] = {
	{ "INVALID", BF_CT_STATE_INVALID },
	{ "NEW", BF_CT_STATE_NEW },
	{ "RELATED", BF_CT_STATE_RELATED },
	{ "ESTABLISHED", BF_CT_STATE_ESTABLISHED },
	{ "UNTRACKED", BF_CT_STATE_UNTRACKED },
	{ "SNAT", BF_CT_STATE_SNAT },
	{ "DNAT", BF_CT_STATE_DNAT },
};

static void ct_print_hostmask(FILE *out, enum bf_family f, const char *opt,
			      bool neg, const uint8_t *addr,
			      const uint8_t *mask)
{
	int bits = 0, len = addr_bytes(f) * 8;

	for (int i = 0; i < len; i++)
		bits += !!(mask[i / 8] & (0x80 >> (i % 8)));
	uint8_t cidr[16];

	prefix_mask(cidr, (unsigned int)bits);
	fprintf(out, "%s --%s ", neg ? " !" : "", opt);
	print_addr(out, f, addr);
	if (memcmp(cidr, mask, (size_t)addr_bytes(f))) {
		fputc('/', out);
		print_addr(out, f, mask);
	} else if (bits != len) {
		fprintf(out, "/%d", bits);
	}
}

void ipt_ct_print(FILE *out, const struct bf_rule *rule,
		  const struct bf_match *m)
{
	const typeof(m->u.conntrack) *ct = &m->u.conntrack;
	uint16_t fl, inv;
	static const struct {
		uint16_t flag;
		const char *name;
		size_t off;
	} ports[] = {
		{ BF_CT_ORIGSRC_PORT, "ctorigsrcport",
		  offsetof(typeof(*ct), origsrc_port) },
		{ BF_CT_ORIGDST_PORT, "ctorigdstport",
		  offsetof(typeof(*ct), origdst_port) },
		{ BF_CT_REPLSRC_PORT, "ctreplsrcport",
		  offsetof(typeof(*ct), replsrc_port) },
		{ BF_CT_REPLDST_PORT, "ctrepldstport",
		  offsetof(typeof(*ct), repldst_port) },
	};

	if (m->type == BF_MATCH_CTSTATE) {
		static const struct ct_name order[] = {
			{ "INVALID", BF_CTSTATE_INVALID },
			{ "NEW", BF_CTSTATE_NEW },
			{ "RELATED", BF_CTSTATE_RELATED },
			{ "ESTABLISHED", BF_CTSTATE_ESTABLISHED },
			{ "UNTRACKED", BF_CTSTATE_UNTRACKED },
		};

		fprintf(out, "%s --ctstate", m->neg ? " !" : "");
		ct_print_list(out, (uint16_t)m->u.ctstate.mask, order,
			      ARRAY_SIZE(order));
		return;
	}
	if (m->type != BF_MATCH_CONNTRACK)
		return;
	fl = ct->match_flags;
	inv = ct->invert_flags;
	/* conntrack_dump() order */
	if (fl & BF_CT_STATE) {
		fprintf(out, "%s --ctstate", inv & BF_CT_STATE ? " !" : "");
		ct_print_list(out, ct->state_mask, ct_state_order,
			      ARRAY_SIZE(ct_state_order));
	}
	if (fl & BF_CT_PROTO)
		fprintf(out, "%s --ctproto %u", inv & BF_CT_PROTO ? " !" : "",
			ct->l4proto);
	if (fl & BF_CT_ORIGSRC)
		ct_print_hostmask(out, rule->family, "ctorigsrc",
				  inv & BF_CT_ORIGSRC, ct->origsrc,
				  ct->origsrc_mask);
	if (fl & BF_CT_ORIGDST)
		ct_print_hostmask(out, rule->family, "ctorigdst",
				  inv & BF_CT_ORIGDST, ct->origdst,
				  ct->origdst_mask);
	if (fl & BF_CT_REPLSRC)
		ct_print_hostmask(out, rule->family, "ctreplsrc",
				  inv & BF_CT_REPLSRC, ct->replsrc,
				  ct->replsrc_mask);
	if (fl & BF_CT_REPLDST)
		ct_print_hostmask(out, rule->family, "ctrepldst",
				  inv & BF_CT_REPLDST, ct->repldst,
				  ct->repldst_mask);
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		const uint16_t *p =
			(const uint16_t *)((const char *)ct + ports[i].off);

		if (!(fl & ports[i].flag))
			continue;
		/* conntrack_dump_ports() */
		fprintf(out, "%s --%s %u", inv & ports[i].flag ? " !" : "",
			ports[i].name, p[0]);
		if (p[1] && p[1] != p[0])
			fprintf(out, ":%u", p[1]);
	}
	if (fl & BF_CT_STATUS) {
		fprintf(out, "%s --ctstatus", inv & BF_CT_STATUS ? " !" : "");
		if (ct->status_mask)
			ct_print_list(out, ct->status_mask, ct_status_names + 1,
				      ARRAY_SIZE(ct_status_names) - 1);
		else
			fputs(" NONE", out);
	}
	if (fl & BF_CT_STATUS_EQ)
		fprintf(out, "%s --nft-ctstatus-eq 0x%x",
			inv & BF_CT_STATUS_EQ ? " !" : "", ct->status_mask);
	if (fl & BF_CT_EXPIRES) {
		fprintf(out, "%s --ctexpire %u",
			inv & BF_CT_EXPIRES ? " !" : "", ct->expires_min);
		if (ct->expires_max != ct->expires_min)
			fprintf(out, ":%u", ct->expires_max);
	}
	if (fl & BF_CT_DIRECTION)
		fprintf(out, " --ctdir %s",
			inv & BF_CT_DIRECTION ? "REPLY" : "ORIGINAL");
}

/* ---- time (libxt_time.c, xt_time.c) ---- */

enum {
	TM_DATESTART,
	TM_DATESTOP,
	TM_TIMESTART,
	TM_TIMESTOP,
	TM_CONTIGUOUS,
	TM_MONTHDAYS,
	TM_WEEKDAYS,
	TM_LOCALTZ,
	TM_UTC,
	TM_KERNELTZ,
};

static const struct ipt_modopt time_opts[] = {
	{ "datestart", 1, TM_DATESTART, true, true },
	{ "datestop", 1, TM_DATESTOP, true, true },
	{ "timestart", 1, TM_TIMESTART, true, true },
	{ "timestop", 1, TM_TIMESTOP, true, true },
	{ "contiguous", 0, TM_CONTIGUOUS, true, true },
	{ "monthdays", 1, TM_MONTHDAYS, true, false },
	{ "weekdays", 1, TM_WEEKDAYS, true, false },
	{ "localtz", 0, TM_LOCALTZ, true, true },
	{ "utc", 0, TM_UTC, true, true },
	{ "kerneltz", 0, TM_KERNELTZ, true, true },
	{ NULL },
};

static const char *const week_days[] = {
	NULL, "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};

/* time_parse_date(): YYYY[-MM[-DD[Thh[:mm[:ss]]]]] in UTC, fields as
 * strtoul() reads them, out-of-range days normalised as mktime() does. */
static bool time_parse_date(const char *s, uint32_t *out)
{
	/* field limits: year, month, day, hour, minute, second */
	static const unsigned long max[] = { 2038, 12, 31, 23, 59, 59 };
	static const char next[] = { '-', '-', 'T', ':', ':', '\0' };
	unsigned long v[6] = { 0, 1, 1, 0, 0, 0 };
	struct tm tm = { 0 };
	time_t t;

	for (int i = 0; i < 6; i++) {
		char *e;

		v[i] = strtoul(s, &e, 10);
		if ((*e != next[i] && *e) || v[i] > max[i] ||
		    (i == 0 && v[i] < 1970))
			return false;
		if (!*e)
			break;
		s = e + 1;
	}
	tm.tm_year = (int)v[0] - 1900;
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_mday = (int)v[2];
	tm.tm_hour = (int)v[3];
	tm.tm_min = (int)v[4];
	tm.tm_sec = (int)v[5];
	t = timegm(&tm);
	if (t < 0)
		return false;
	*out = (uint32_t)t; /* xt_time_info keeps 32 bits */
	return true;
}

/* time_parse_minutes(): hh:mm[:ss] */
static bool time_parse_daytime(const char *s, uint32_t *out)
{
	unsigned long h, m, sec = 0;
	char *e;

	h = strtoul(s, &e, 10);
	if (*e != ':' || h > 23)
		return false;
	m = strtoul(e + 1, &e, 10);
	if ((*e != ':' && *e) || m > 59)
		return false;
	if (*e) {
		sec = strtoul(e + 1, &e, 10);
		if (*e || sec > 59)
			return false;
	}
	*out = (uint32_t)(h * 3600 + m * 60 + sec);
	return true;
}

/* The comma-separated segments of a day list, each cut to `width`
 * characters as libxt_time's fixed buffers do; an empty list ends early. */
static const char *day_segment(const char **arg, char *buf, size_t width)
{
	const char *sep;
	size_t len;

	if (!*arg || !**arg)
		return NULL;
	sep = strchr(*arg, ',');
	len = sep ? (size_t)(sep - *arg) : strlen(*arg);
	if (len > width)
		len = width;
	memcpy(buf, *arg, len);
	buf[len] = '\0';
	*arg = sep ? sep + 1 : NULL;
	return buf;
}

static bool time_parse_monthdays(const char *arg, uint32_t *out)
{
	char day[3];

	*out = 0;
	while (day_segment(&arg, day, 2)) {
		char *e;
		unsigned long d = strtoul(day, &e, 0);

		if (*e || d > 31)
			return false;
		*out |= 1u << d;
	}
	return true;
}

static bool time_parse_weekdays(const char *arg, uint8_t *out)
{
	char day[4];

	*out = 0;
	while (day_segment(&arg, day, 3)) {
		char *e;
		unsigned long d = strtoul(day, &e, 0);
		bool valid = false;

		if (!*e) {
			/* "the week does NOT begin with Sunday" (0), and
			 * xt_time_info keeps 8 bits */
			if (d < 1 || d > 7)
				return false;
			*out |= (uint8_t)(1u << d);
			continue;
		}
		for (int i = 1; i <= 7; i++) {
			if (!strncmp(day, week_days[i], 2)) {
				*out |= (uint8_t)(1u << i);
				valid = true;
			}
		}
		if (!valid)
			return false;
	}
	return true;
}

static int time_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		      const struct ipt_modopt *opt, const char *arg, bool inv,
		      int argc, char **argv, int *idx)
{
	typeof(ext_m(inst)->u.time) *tm = &ext_m(inst)->u.time;
	bool ok = true;

	if (!once(ctx, "time", &inst->seen, opt) ||
	    !excl(ctx, "time", inst->seen, time_opts, opt,
		  opt->id == TM_UTC ? (1u << TM_LOCALTZ) | (1u << TM_KERNELTZ) :
		  opt->id == TM_LOCALTZ || opt->id == TM_KERNELTZ ?
				      1u << TM_UTC :
				      0))
		return -EINVAL;
	switch (opt->id) {
	case TM_DATESTART:
	case TM_DATESTOP:
		if (!time_parse_date(arg, opt->id == TM_DATESTART ?
						  &tm->date_start :
						  &tm->date_stop)) {
			ipt_err(ctx,
				"Invalid date \"%s\" specified. Should be "
				"YYYY[-MM[-DD[Thh[:mm[:ss]]]]]",
				arg);
			return -EINVAL;
		}
		return 0;
	case TM_TIMESTART:
	case TM_TIMESTOP:
		if (!time_parse_daytime(arg, opt->id == TM_TIMESTART ?
						     &tm->daytime_start :
						     &tm->daytime_stop)) {
			ipt_err(ctx,
				"invalid time \"%s\" specified, should be "
				"hh:mm[:ss] format and within the "
				"boundaries",
				arg);
			return -EINVAL;
		}
		return 0;
	case TM_CONTIGUOUS:
		tm->flags |= BF_TIME_CONTIGUOUS;
		return 0;
	case TM_LOCALTZ:
	case TM_KERNELTZ:
		tm->flags |= BF_TIME_LOCAL_TZ;
		return 0;
	case TM_UTC:
		return 0;
	case TM_MONTHDAYS:
		ok = time_parse_monthdays(arg, &tm->monthdays_match);
		if (inv)
			tm->monthdays_match ^= BF_TIME_ALL_MONTHDAYS;
		break;
	case TM_WEEKDAYS:
		ok = time_parse_weekdays(arg, &tm->weekdays_match);
		if (inv)
			tm->weekdays_match ^= BF_TIME_ALL_WEEKDAYS;
		break;
	}
	if (!ok) {
		ipt_err(ctx, "time: \"%s\" is not a valid day list for --%s",
			arg, opt->name);
		return -EINVAL;
	}
	return 0;
}

static int time_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	typeof(ext_m(inst)->u.time) *tm = &ext_m(inst)->u.time;

	if ((tm->flags & BF_TIME_CONTIGUOUS) &&
	    tm->daytime_start < tm->daytime_stop) {
		ipt_err(ctx, "time: --contiguous only makes sense when "
			     "stoptime is smaller than starttime");
		return -EINVAL;
	}
	return 0;
}

static void print_date(FILE *out, const char *opt, uint32_t date)
{
	time_t t = date;
	struct tm tm;

	/* time_save() skips 0 and LONG_MAX, so the default date_stop
	 * (INT_MAX) is printed. */
	if (!date || !gmtime_r(&t, &tm))
		return;
	fprintf(out, " --%s %04d-%02d-%02dT%02d:%02d:%02d", opt,
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec);
}

static void time_print(FILE *out, const struct bf_rule *rule,
		       const struct bf_match *m)
{
	const typeof(m->u.time) *tm = &m->u.time;
	const char *sep = " ";

	if (tm->daytime_start != 0 || tm->daytime_stop != BF_TIME_MAX_DAYTIME)
		fprintf(out,
			" --timestart %02u:%02u:%02u --timestop "
			"%02u:%02u:%02u",
			tm->daytime_start / 3600, tm->daytime_start / 60 % 60,
			tm->daytime_start % 60, tm->daytime_stop / 3600,
			tm->daytime_stop / 60 % 60, tm->daytime_stop % 60);
	if (tm->monthdays_match != BF_TIME_ALL_MONTHDAYS) {
		fputs(" --monthdays", out);
		for (unsigned int d = 1; d <= 31; d++) {
			if (tm->monthdays_match & (1u << d)) {
				fprintf(out, "%s%u", sep, d);
				sep = ",";
			}
		}
		if (*sep == ' ')
			fputc(' ', out);
	}
	sep = " ";
	if (tm->weekdays_match != BF_TIME_ALL_WEEKDAYS) {
		fputs(" --weekdays", out);
		for (int d = 1; d <= 7; d++) {
			if (tm->weekdays_match & (1u << d)) {
				fprintf(out, "%s%s", sep, week_days[d]);
				sep = ",";
			}
		}
		if (*sep == ' ')
			fputc(' ', out);
	}
	print_date(out, "datestart", tm->date_start);
	print_date(out, "datestop", tm->date_stop);
	if (tm->flags & BF_TIME_LOCAL_TZ)
		fputs(" --kerneltz", out);
	if (tm->flags & BF_TIME_CONTIGUOUS)
		fputs(" --contiguous", out);
}

/* ---- the module table ---- */

#define EXT(id_, name_, fam_, opts_, parse_, final_, print_)                   \
	[id_ - IPT_MOD_EXT_FIRST] = {                                          \
		.id = id_,                                                     \
		.name = name_,                                                 \
		.family = fam_,                                                \
		.opts = opts_,                                                 \
		.parse = parse_,                                               \
		.final = final_,                                               \
		.emit = emit_one,                                              \
		.print = print_,                                               \
	}

const struct ipt_module ipt_ext_modules[IPT_MOD_COUNT - IPT_MOD_EXT_FIRST] = {
	EXT(IPT_MOD_LIMIT, "limit", -1, limit_opts, limit_parse, limit_final,
	    limit_print),
	EXT(IPT_MOD_HASHLIMIT, "hashlimit", -1, hashlimit_opts, hashlimit_parse,
	    hashlimit_final, hashlimit_print),
	EXT(IPT_MOD_RECENT, "recent", -1, recent_opts, recent_parse,
	    recent_final, recent_print),
	EXT(IPT_MOD_CONNLIMIT, "connlimit", -1, connlimit_opts, connlimit_parse,
	    connlimit_final, connlimit_print),
	EXT(IPT_MOD_ADDRTYPE, "addrtype", -1, addrtype_opts, addrtype_parse,
	    addrtype_final, addrtype_print),
	EXT(IPT_MOD_MAC, "mac", -1, mac_opts, mac_parse, mac_final, mac_print),
	EXT(IPT_MOD_MARK, "mark", -1, mark_opts, mark_parse, mark_final,
	    mark_print),
	EXT(IPT_MOD_CONNMARK, "connmark", -1, mark_opts, mark_parse, mark_final,
	    mark_print),
	EXT(IPT_MOD_OWNER, "owner", -1, owner_opts, owner_parse, owner_final,
	    owner_print),
	EXT(IPT_MOD_PKTTYPE, "pkttype", -1, pkttype_opts, pkttype_parse,
	    pkttype_final, pkttype_print),
	EXT(IPT_MOD_LENGTH, "length", -1, length_opts, range_parse,
	    length_final, range_print),
	EXT(IPT_MOD_TTL, "ttl", BF_FAMILY_INET4, ttl_opts, ttl_parse, ttl_final,
	    ttl_print),
	EXT(IPT_MOD_HL, "hl", BF_FAMILY_INET6, hl_opts, ttl_parse, ttl_final,
	    ttl_print),
	EXT(IPT_MOD_SET, "set", -1, set_opts, set_parse, set_final, set_print),
	EXT(IPT_MOD_STATISTIC, "statistic", -1, statistic_opts, statistic_parse,
	    statistic_final, statistic_print),
	EXT(IPT_MOD_TCPMSS, "tcpmss", -1, tcpmss_opts, range_parse,
	    tcpmss_final, range_print),
	EXT(IPT_MOD_PHYSDEV, "physdev", -1, physdev_opts, physdev_parse,
	    physdev_final, physdev_print),
	EXT(IPT_MOD_TIME, "time", -1, time_opts, time_parse, time_final,
	    time_print),
	EXT(IPT_MOD_RT, "rt", BF_FAMILY_INET6, ipt_rt_opts, ipt_rt_parse,
	    ipt_rt_final, ipt_rt_print),
	EXT(IPT_MOD_BPF, "bpf", -1, ipt_bpf_opts, ipt_bpf_parse, ipt_bpf_final,
	    ipt_bpf_print),
	EXT(IPT_MOD_NFTLIMIT, "nftlimit", -1, ipt_nftlimit_opts,
	    ipt_nftlimit_parse, ipt_nftlimit_final, ipt_nftlimit_print),
	EXT(IPT_MOD_TH, "th", -1, ipt_th_opts, ipt_th_parse, ipt_th_final,
	    ipt_th_print),
	EXT(IPT_MOD_NFTIF, "nftif", -1, ipt_nftif_opts, ipt_nftif_parse,
	    ipt_nftif_final, ipt_nftif_print),
	EXT(IPT_MOD_NFTETHER, "nftether", -1, ipt_nftether_opts,
	    ipt_nftether_parse, ipt_nftether_final, ipt_nftether_print),
	EXT(IPT_MOD_DSCP, "dscp", -1, ipt_dscp_opts, ipt_dscp_parse,
	    ipt_dscp_final, ipt_dscp_print),
	EXT(IPT_MOD_TOS, "tos", -1, ipt_tos_opts, ipt_tos_parse, ipt_tos_final,
	    ipt_tos_print),
	EXT(IPT_MOD_ECN, "ecn", -1, ipt_ecn_opts, ipt_ecn_parse, ipt_ecn_final,
	    ipt_ecn_print),
	EXT(IPT_MOD_ESP, "esp", -1, ipt_esp_opts, ipt_esp_parse, ipt_esp_final,
	    ipt_esp_print),
	EXT(IPT_MOD_FRAG, "frag", BF_FAMILY_INET6, ipt_frag_opts,
	    ipt_exthdr_parse, ipt_exthdr_final, ipt_exthdr_print),
	EXT(IPT_MOD_HBH, "hbh", BF_FAMILY_INET6, ipt_hbh_opts, ipt_exthdr_parse,
	    ipt_exthdr_final, ipt_exthdr_print),
	EXT(IPT_MOD_DST, "dst", BF_FAMILY_INET6, ipt_dst_opts, ipt_exthdr_parse,
	    ipt_exthdr_final, ipt_exthdr_print),
	EXT(IPT_MOD_AH, "ah", -1, ipt_ah_opts, ipt_exthdr_parse,
	    ipt_exthdr_final, ipt_exthdr_print),
	EXT(IPT_MOD_MH, "mh", BF_FAMILY_INET6, ipt_mh_opts, ipt_exthdr_parse,
	    ipt_exthdr_final, ipt_exthdr_print),
	EXT(IPT_MOD_NFTPAYLOAD, "nftpayload", -1, ipt_nftpayload_opts,
	    ipt_nftpayload_parse, ipt_nftpayload_final, ipt_nftpayload_print),
	EXT(IPT_MOD_U32, "u32", -1, ipt_u32_opts, ipt_u32_parse, ipt_u32_final,
	    ipt_u32_print),
	EXT(IPT_MOD_QUOTA, "quota", -1, ipt_quota_opts, ipt_quota_parse,
	    ipt_quota_final, ipt_quota_print),
	EXT(IPT_MOD_POLICY, "policy", -1, ipt_policy_opts, ipt_policy_parse,
	    ipt_policy_final, ipt_policy_print),
	EXT(IPT_MOD_HELPER, "helper", -1, ipt_helper_opts, ipt_helper_parse,
	    ipt_helper_final, ipt_helper_print),
	EXT(IPT_MOD_CONNBYTES, "connbytes", -1, ipt_connbytes_opts,
	    ipt_connbytes_parse, ipt_connbytes_final, ipt_connbytes_print),
	/* several IR matches per instance: its own emit */
	[IPT_MOD_NFT - IPT_MOD_EXT_FIRST] = {
		.id = IPT_MOD_NFT,
		.name = "nft",
		.family = -1,
		.opts = ipt_nftb_opts,
		.parse = ipt_nftb_parse,
		.final = ipt_nftb_final,
		.emit = ipt_nftb_emit,
		.print = ipt_nftb_print,
	},
};

static const enum bf_match_type ext_types[IPT_MOD_COUNT - IPT_MOD_EXT_FIRST] = {
	[IPT_MOD_LIMIT - IPT_MOD_EXT_FIRST] = BF_MATCH_LIMIT,
	[IPT_MOD_HASHLIMIT - IPT_MOD_EXT_FIRST] = BF_MATCH_HASHLIMIT,
	[IPT_MOD_RECENT - IPT_MOD_EXT_FIRST] = BF_MATCH_RECENT,
	[IPT_MOD_CONNLIMIT - IPT_MOD_EXT_FIRST] = BF_MATCH_CONNLIMIT,
	[IPT_MOD_ADDRTYPE - IPT_MOD_EXT_FIRST] = BF_MATCH_ADDRTYPE,
	[IPT_MOD_MAC - IPT_MOD_EXT_FIRST] = BF_MATCH_MAC,
	[IPT_MOD_MARK - IPT_MOD_EXT_FIRST] = BF_MATCH_MARK,
	[IPT_MOD_CONNMARK - IPT_MOD_EXT_FIRST] = BF_MATCH_CONNMARK,
	[IPT_MOD_OWNER - IPT_MOD_EXT_FIRST] = BF_MATCH_OWNER,
	[IPT_MOD_PKTTYPE - IPT_MOD_EXT_FIRST] = BF_MATCH_PKTTYPE,
	[IPT_MOD_LENGTH - IPT_MOD_EXT_FIRST] = BF_MATCH_LENGTH,
	[IPT_MOD_TTL - IPT_MOD_EXT_FIRST] = BF_MATCH_TTL,
	[IPT_MOD_HL - IPT_MOD_EXT_FIRST] = BF_MATCH_TTL,
	[IPT_MOD_SET - IPT_MOD_EXT_FIRST] = BF_MATCH_SET,
	[IPT_MOD_STATISTIC - IPT_MOD_EXT_FIRST] = BF_MATCH_STATISTIC,
	[IPT_MOD_TCPMSS - IPT_MOD_EXT_FIRST] = BF_MATCH_TCPMSS,
	[IPT_MOD_PHYSDEV - IPT_MOD_EXT_FIRST] = BF_MATCH_PHYSDEV,
	[IPT_MOD_TIME - IPT_MOD_EXT_FIRST] = BF_MATCH_TIME,
	[IPT_MOD_RT - IPT_MOD_EXT_FIRST] = BF_MATCH_RT,
	[IPT_MOD_BPF - IPT_MOD_EXT_FIRST] = BF_MATCH_BPF,
	[IPT_MOD_NFTLIMIT - IPT_MOD_EXT_FIRST] = BF_MATCH_NFT_LIMIT,
	[IPT_MOD_TH - IPT_MOD_EXT_FIRST] = BF_MATCH_TH_SPORT, /* or DPORT */
	[IPT_MOD_NFTIF - IPT_MOD_EXT_FIRST] = BF_MATCH_IIF, /* or OIF */
	[IPT_MOD_NFTETHER - IPT_MOD_EXT_FIRST] =
		BF_MATCH_ETH_DADDR, /* or TYPE */
	/* matches of several types, told by bf_match.nft (print.c) */
	[IPT_MOD_NFT - IPT_MOD_EXT_FIRST] = BF_MATCH_COUNT,
	[IPT_MOD_DSCP - IPT_MOD_EXT_FIRST] = BF_MATCH_DSFIELD,
	[IPT_MOD_TOS - IPT_MOD_EXT_FIRST] = BF_MATCH_DSFIELD,
	[IPT_MOD_ECN - IPT_MOD_EXT_FIRST] = BF_MATCH_ECN,
	[IPT_MOD_ESP - IPT_MOD_EXT_FIRST] = BF_MATCH_ESP,
	[IPT_MOD_NFTPAYLOAD - IPT_MOD_EXT_FIRST] = BF_MATCH_PAYLOAD,
	[IPT_MOD_U32 - IPT_MOD_EXT_FIRST] = BF_MATCH_U32,
	[IPT_MOD_QUOTA - IPT_MOD_EXT_FIRST] = BF_MATCH_QUOTA,
	[IPT_MOD_POLICY - IPT_MOD_EXT_FIRST] = BF_MATCH_POLICY,
	[IPT_MOD_HELPER - IPT_MOD_EXT_FIRST] = BF_MATCH_HELPER,
	[IPT_MOD_CONNBYTES - IPT_MOD_EXT_FIRST] = BF_MATCH_CONNBYTES,
	[IPT_MOD_FRAG - IPT_MOD_EXT_FIRST] = BF_MATCH_FRAG6,
	[IPT_MOD_HBH - IPT_MOD_EXT_FIRST] = BF_MATCH_OPTS6,
	[IPT_MOD_DST - IPT_MOD_EXT_FIRST] = BF_MATCH_OPTS6,
	[IPT_MOD_AH - IPT_MOD_EXT_FIRST] = BF_MATCH_AH,
	[IPT_MOD_MH - IPT_MOD_EXT_FIRST] = BF_MATCH_MH,
};

enum bf_match_type ipt_ext_match_type(enum ipt_mod_id id)
{
	if (id < IPT_MOD_EXT_FIRST || id >= IPT_MOD_COUNT)
		return BF_MATCH_COUNT;
	return ext_types[id - IPT_MOD_EXT_FIRST];
}

void ipt_ext_init(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst)
{
	struct bf_match *m = ext_m(inst);
	int bytes = addr_bytes(ctx->family);

	m->type = ipt_ext_match_type(inst->mod->id);
	switch (m->type) {
	case BF_MATCH_LIMIT:
		m->u.limit.avg = BF_LIMIT_SCALE * 60 * 60 / 3; /* 3/hour */
		m->u.limit.burst = LIMIT_BURST_DEFAULT;
		break;
	case BF_MATCH_HASHLIMIT:
		inst->u.ext.burst = LIMIT_BURST_DEFAULT;
		m->u.hashlimit.gc_interval = HL_GCINTERVAL;
		m->u.hashlimit.srcmask = m->u.hashlimit.dstmask =
			(uint8_t)(bytes * 8);
		break;
	case BF_MATCH_RT:
		ipt_rt_init(m);
		break;
	case BF_MATCH_FRAG6:
	case BF_MATCH_OPTS6:
	case BF_MATCH_AH:
	case BF_MATCH_MH:
		ipt_exthdr_init(inst);
		break;
	case BF_MATCH_RECENT:
		strcpy(m->u.recent.name, "DEFAULT");
		memset(m->u.recent.mask, 0xff, (size_t)bytes);
		break;
	case BF_MATCH_CONNLIMIT:
		memset(m->u.connlimit.mask, 0xff, (size_t)bytes);
		break;
	case BF_MATCH_TIME:
		/* time_init(): every day, all day, no date bounds */
		m->u.time.monthdays_match = BF_TIME_ALL_MONTHDAYS;
		m->u.time.weekdays_match = BF_TIME_ALL_WEEKDAYS;
		m->u.time.daytime_stop = BF_TIME_MAX_DAYTIME;
		m->u.time.date_stop = INT32_MAX;
		break;
	default:
		break;
	}
}

/* ---- targets ---- */

/* REJECT: ipt_REJECT / ip6t_REJECT. */
static const struct {
	const char *name, *alias;
	enum bf_reject_with with;
} reject4[] = {
	{ "icmp-net-unreachable", "net-unreach",
	  BF_REJECT_ICMP_NET_UNREACHABLE },
	{ "icmp-host-unreachable", "host-unreach",
	  BF_REJECT_ICMP_HOST_UNREACHABLE },
	{ "icmp-proto-unreachable", "proto-unreach",
	  BF_REJECT_ICMP_PROTO_UNREACHABLE },
	{ "icmp-port-unreachable", "port-unreach",
	  BF_REJECT_ICMP_PORT_UNREACHABLE },
	{ "icmp-net-prohibited", "net-prohib", BF_REJECT_ICMP_NET_PROHIBITED },
	{ "icmp-host-prohibited", "host-prohib",
	  BF_REJECT_ICMP_HOST_PROHIBITED },
	{ "tcp-reset", "tcp-rst", BF_REJECT_TCP_RESET },
	{ "icmp-admin-prohibited", "admin-prohib",
	  BF_REJECT_ICMP_ADMIN_PROHIBITED },
}, reject6[] = {
	{ "icmp6-no-route", "no-route", BF_REJECT_ICMP6_NO_ROUTE },
	{ "icmp6-adm-prohibited", "adm-prohibited",
	  BF_REJECT_ICMP6_ADM_PROHIBITED },
	{ "icmp6-addr-unreachable", "addr-unreach",
	  BF_REJECT_ICMP6_ADDR_UNREACHABLE },
	{ "icmp6-port-unreachable", "port-unreach",
	  BF_REJECT_ICMP6_PORT_UNREACHABLE },
	{ "tcp-reset", "tcp-rst", BF_REJECT_TCP_RESET },
	{ "icmp6-policy-fail", "policy-fail", BF_REJECT_ICMP6_POLICY_FAIL },
	{ "icmp6-reject-route", "reject-route",
	  BF_REJECT_ICMP6_REJECT_ROUTE },
};

static const struct ipt_modopt reject_opts[] = {
	{ "reject-with", 1, 0, true, true },
	{ NULL },
};

static int reject_parse(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
			const struct ipt_modopt *opt, const char *arg, bool inv)
{
	bool v4 = ctx->family == BF_FAMILY_INET4;
	size_t n = v4 ? ARRAY_SIZE(reject4) : ARRAY_SIZE(reject6);
	size_t len = strlen(arg);

	if (!once(ctx, "REJECT", &inst->seen, opt))
		return -EINVAL;
	/* The first entry the argument abbreviates, name or alias. */
	for (size_t i = 0; i < n; i++) {
		const char *name = v4 ? reject4[i].name : reject6[i].name;
		const char *alias = v4 ? reject4[i].alias : reject6[i].alias;

		if (!strncasecmp(name, arg, len) ||
		    !strncasecmp(alias, arg, len)) {
			inst->v.u.reject.with = v4 ? reject4[i].with :
						     reject6[i].with;
			return 0;
		}
	}
	ipt_err(ctx, "unknown reject type \"%s\"", arg);
	return -EINVAL;
}

static int reject_final(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst)
{
	/* reject_tg_check() / reject_tg6_check() */
	if (inst->v.u.reject.with == BF_REJECT_TCP_RESET && !ctx->nft_tcp &&
	    (!ctx->has_proto || ctx->proto != IPPROTO_TCP_ || ctx->inv_p)) {
		ipt_err(ctx, "REJECT --reject-with tcp-reset needs `-p tcp' "
			     "(without `!')");
		return -EINVAL;
	}
	return 0;
}

const char *ipt_reject_name(enum bf_reject_with w)
{
	for (size_t i = 0; i < ARRAY_SIZE(reject4); i++) {
		if (reject4[i].with == w)
			return reject4[i].name;
	}
	for (size_t i = 0; i < ARRAY_SIZE(reject6); i++) {
		if (reject6[i].with == w)
			return reject6[i].name;
	}
	return NULL;
}

static void reject_print(FILE *out, const struct bf_rule *rule)
{
	const char *name = ipt_reject_name(rule->verdict.u.reject.with);

	if (name)
		fprintf(out, " --reject-with %s", name);
}

/* LOG: libxt_LOG.c */
enum {
	LG_LEVEL,
	LG_PREFIX,
	LG_TCPSEQ,
	LG_TCPOPT,
	LG_IPOPT,
	LG_UID,
	LG_MAC,
};

static const struct ipt_modopt log_opts[] = {
	{ "log-level", 1, LG_LEVEL, true, true },
	{ "log-prefix", 1, LG_PREFIX, true, true },
	{ "log-tcp-sequence", 0, LG_TCPSEQ, true, true },
	{ "log-tcp-options", 0, LG_TCPOPT, true, true },
	{ "log-ip-options", 0, LG_IPOPT, true, true },
	{ "log-uid", 0, LG_UID, true, true },
	{ "log-macdecode", 0, LG_MAC, true, true },
	{ NULL },
};

/* XTTYPE_SYSLOGLEVEL names */
static const struct {
	const char *name;
	uint8_t level;
} syslog_levels[] = {
	{ "alert", 1 },	 { "crit", 2 },	 { "debug", 7 },
	{ "emerg", 0 },	 { "error", 3 }, { "info", 6 },
	{ "notice", 5 }, { "panic", 0 }, { "warning", 4 },
};

static int log_parse(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv)
{
	typeof(inst->v.u.log) *lg = &inst->v.u.log;
	static const uint8_t flag[] = {
		[LG_TCPSEQ] = BF_LOGF_TCPSEQ, [LG_TCPOPT] = BF_LOGF_TCPOPT,
		[LG_IPOPT] = BF_LOGF_IPOPT,   [LG_UID] = BF_LOGF_UID,
		[LG_MAC] = BF_LOGF_MACDECODE,
	};
	unsigned long long v;

	if (!once(ctx, "LOG", &inst->seen, opt))
		return -EINVAL;
	switch (opt->id) {
	case LG_LEVEL:
		if (ipt_strtoui(arg, 0, 7, 0, &v)) {
			lg->level = (uint8_t)v;
			return 0;
		}
		for (size_t i = 0; i < ARRAY_SIZE(syslog_levels); i++) {
			if (!strcmp(arg, syslog_levels[i].name)) {
				lg->level = syslog_levels[i].level;
				return 0;
			}
		}
		ipt_err(ctx, "log level \"%s\" unknown", arg);
		return -EINVAL;
	case LG_PREFIX:
		if (!*arg) {
			ipt_err(ctx, "Argument must have a minimum length of "
				     "1 characters");
			return -EINVAL;
		}
		if (strchr(arg, '\n')) {
			ipt_err(ctx, "Newlines not allowed in --log-prefix");
			return -EINVAL;
		}
		/* Truncated to the kernel's field, as iptables does. */
		snprintf(lg->prefix, sizeof(lg->prefix), "%s", arg);
		return 0;
	default:
		lg->flags |= flag[opt->id];
		return 0;
	}
}

static int log_final(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst)
{
	return 0;
}

static void log_print(FILE *out, const struct bf_rule *rule)
{
	const typeof(rule->verdict.u.log) *lg = &rule->verdict.u.log;
	char prefix[BF_LOG_PREFIX_MAX];

	if (lg->prefix[0]) {
		snprintf(prefix, sizeof(prefix), "%s", lg->prefix);
		fputs(" --log-prefix", out);
		ipt_print_save_string(out, prefix);
	}
	if (lg->level != 4)
		fprintf(out, " --log-level %u", lg->level);
	if (lg->flags & BF_LOGF_TCPSEQ)
		fputs(" --log-tcp-sequence", out);
	if (lg->flags & BF_LOGF_TCPOPT)
		fputs(" --log-tcp-options", out);
	if (lg->flags & BF_LOGF_IPOPT)
		fputs(" --log-ip-options", out);
	if (lg->flags & BF_LOGF_UID)
		fputs(" --log-uid", out);
	if (lg->flags & BF_LOGF_MACDECODE)
		fputs(" --log-macdecode", out);
}

/* NFLOG: libxt_NFLOG.c */
enum {
	NL_GROUP,
	NL_PREFIX,
	NL_RANGE,
	NL_SIZE,
	NL_THRESHOLD,
};

static const struct ipt_modopt nflog_opts[] = {
	{ "nflog-group", 1, NL_GROUP, true, true },
	{ "nflog-prefix", 1, NL_PREFIX, true, true },
	{ "nflog-range", 1, NL_RANGE, true, true },
	{ "nflog-size", 1, NL_SIZE, true, true },
	{ "nflog-threshold", 1, NL_THRESHOLD, true, true },
	{ NULL },
};

static int nflog_parse(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv)
{
	typeof(inst->v.u.nflog) *nl = &inst->v.u.nflog;
	unsigned long long v;

	if (!once(ctx, "NFLOG", &inst->seen, opt))
		return -EINVAL;
	if (!excl(ctx, "NFLOG", inst->seen, nflog_opts, opt,
		  opt->id == NL_RANGE ? 1u << NL_SIZE :
		  opt->id == NL_SIZE  ? 1u << NL_RANGE :
					0))
		return -EINVAL;
	switch (opt->id) {
	case NL_GROUP:
	case NL_THRESHOLD:
		if (!ipt_strtoui(arg, 0, UINT16_MAX, 0, &v))
			return bad_value(ctx, "NFLOG", opt, arg);
		if (opt->id == NL_GROUP)
			nl->group = (uint16_t)v;
		else
			nl->threshold = (uint16_t)v;
		return 0;
	case NL_RANGE:
	case NL_SIZE:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad_value(ctx, "NFLOG", opt, arg);
		nl->len = (uint32_t)v;
		nl->copy_len = opt->id == NL_SIZE;
		return 0;
	case NL_PREFIX:
		if (!*arg) {
			ipt_err(ctx, "Argument must have a minimum length of "
				     "1 characters");
			return -EINVAL;
		}
		if (strchr(arg, '\n')) {
			ipt_err(ctx, "Newlines not allowed in --nflog-prefix");
			return -EINVAL;
		}
		/* xt_nflog_info.prefix holds 63 characters. */
		snprintf(nl->prefix, sizeof(nl->prefix), "%s", arg);
		return 0;
	}
	return -EINVAL;
}

static int nflog_final(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst)
{
	return 0;
}

static void nflog_print(FILE *out, const struct bf_rule *rule)
{
	const typeof(rule->verdict.u.nflog) *nl = &rule->verdict.u.nflog;
	char prefix[BF_NFLOG_PREFIX_MAX];

	if (nl->prefix[0]) {
		snprintf(prefix, sizeof(prefix), "%s", nl->prefix);
		fputs(" --nflog-prefix", out);
		ipt_print_save_string(out, prefix);
	}
	if (nl->group)
		fprintf(out, " --nflog-group %u", nl->group);
	if (nl->copy_len)
		fprintf(out, " --nflog-size %u", nl->len);
	else if (nl->len)
		fprintf(out, " --nflog-range %u", nl->len);
	if (nl->threshold)
		fprintf(out, " --nflog-threshold %u", nl->threshold);
}

/* MARK (revision 2) and CONNMARK (revision 2) */
enum {
	MK_SET_XMARK,
	MK_SET_MARK,
	MK_AND,
	MK_OR,
	MK_XOR,
	MK_SAVE,
	MK_RESTORE,
	MK_MASK,
	MK_NFMASK,
	MK_CTMASK,
	MK_LSHIFT,
	MK_RSHIFT,
};

#define MK_OPS                                                                 \
	((1u << MK_SET_XMARK) | (1u << MK_SET_MARK) | (1u << MK_AND) |         \
	 (1u << MK_OR) | (1u << MK_XOR) | (1u << MK_SAVE) |                    \
	 (1u << MK_RESTORE))

static const struct ipt_modopt mark_tg_opts[] = {
	{ "set-xmark", 1, MK_SET_XMARK, true, true },
	{ "set-mark", 1, MK_SET_MARK, true, true },
	{ "and-mark", 1, MK_AND, true, true },
	{ "or-mark", 1, MK_OR, true, true },
	{ "xor-mark", 1, MK_XOR, true, true },
	{ NULL },
};

static const struct ipt_modopt connmark_tg_opts[] = {
	{ "set-xmark", 1, MK_SET_XMARK, true, true },
	{ "set-mark", 1, MK_SET_MARK, true, true },
	{ "and-mark", 1, MK_AND, true, true },
	{ "or-mark", 1, MK_OR, true, true },
	{ "xor-mark", 1, MK_XOR, true, true },
	{ "save-mark", 0, MK_SAVE, true, true },
	{ "restore-mark", 0, MK_RESTORE, true, true },
	{ "mask", 1, MK_MASK, true, true },
	{ "nfmask", 1, MK_NFMASK, true, true },
	{ "ctmask", 1, MK_CTMASK, true, true },
	{ "left-shift-mark", 1, MK_LSHIFT, true, true },
	{ "right-shift-mark", 1, MK_RSHIFT, true, true },
	{ NULL },
};

/* The --set/and/or/xor-mark family as (value, mask) of
 * mark = (mark & ~mask) ^ value. */
static int parse_mark_op(struct ipt_rule_ctx *ctx, const char *ext,
			 const struct ipt_modopt *opt, const char *arg,
			 uint32_t *value, uint32_t *mask)
{
	unsigned long long v;
	uint32_t m;

	switch (opt->id) {
	case MK_SET_XMARK:
	case MK_SET_MARK:
		if (!parse_markmask(arg, value, &m))
			return bad_value(ctx, ext, opt, arg);
		*mask = opt->id == MK_SET_MARK ? *value | m : m;
		return 0;
	default:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad_value(ctx, ext, opt, arg);
		*value = opt->id == MK_AND ? 0 : (uint32_t)v;
		*mask = opt->id == MK_AND ? ~(uint32_t)v :
			opt->id == MK_OR  ? (uint32_t)v :
					    0;
		return 0;
	}
}

static int mark_tg_parse(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
			 const struct ipt_modopt *opt, const char *arg,
			 bool inv)
{
	if (!once(ctx, "MARK", &inst->seen, opt) ||
	    !excl(ctx, "MARK", inst->seen, mark_tg_opts, opt, MK_OPS))
		return -EINVAL;
	return parse_mark_op(ctx, "MARK", opt, arg, &inst->v.u.mark.value,
			     &inst->v.u.mark.mask);
}

static int mark_tg_final(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst)
{
	if (inst->seen & MK_OPS)
		return 0;
	ipt_err(ctx, "MARK target: Parameter --set/and/or/xor-mark is "
		     "required");
	return -EINVAL;
}

static void mark_tg_print(FILE *out, const struct bf_rule *rule)
{
	fprintf(out, " --set-xmark 0x%x/0x%x", rule->verdict.u.mark.value,
		rule->verdict.u.mark.mask);
}

static int connmark_tg_parse(struct ipt_rule_ctx *ctx,
			     struct ipt_tgt_inst *inst,
			     const struct ipt_modopt *opt, const char *arg,
			     bool inv)
{
	typeof(inst->v.u.connmark) *cm = &inst->v.u.connmark;
	unsigned long long v;
	unsigned int ex = 0;

	if ((1u << opt->id) & MK_OPS)
		ex = MK_OPS;
	else if (opt->id == MK_MASK)
		ex = (1u << MK_NFMASK) | (1u << MK_CTMASK);
	else if (opt->id == MK_NFMASK || opt->id == MK_CTMASK)
		ex = 1u << MK_MASK;
	else
		ex = (1u << MK_LSHIFT) | (1u << MK_RSHIFT);
	if (!once(ctx, "CONNMARK", &inst->seen, opt) ||
	    !excl(ctx, "CONNMARK", inst->seen, connmark_tg_opts, opt, ex))
		return -EINVAL;
	switch (opt->id) {
	case MK_SAVE:
		cm->mode = BF_CONNMARK_SAVE;
		return 0;
	case MK_RESTORE:
		cm->mode = BF_CONNMARK_RESTORE;
		return 0;
	case MK_MASK:
	case MK_NFMASK:
	case MK_CTMASK:
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return bad_value(ctx, "CONNMARK", opt, arg);
		if (opt->id != MK_CTMASK)
			cm->nfmask = (uint32_t)v;
		if (opt->id != MK_NFMASK)
			cm->ctmask = (uint32_t)v;
		return 0;
	case MK_LSHIFT:
	case MK_RSHIFT:
		if (!ipt_strtoui(arg, 0, 32, 0, &v))
			return bad_value(ctx, "CONNMARK", opt, arg);
		cm->shift_dir = opt->id == MK_RSHIFT;
		cm->shift_bits = (uint8_t)v;
		return 0;
	default:
		cm->mode = BF_CONNMARK_SET;
		return parse_mark_op(ctx, "CONNMARK", opt, arg, &cm->ctmark,
				     &cm->ctmask);
	}
}

static int connmark_tg_final(struct ipt_rule_ctx *ctx,
			     struct ipt_tgt_inst *inst)
{
	if (inst->seen & MK_OPS)
		return 0;
	ipt_err(ctx, "CONNMARK target: No operation specified");
	return -EINVAL;
}

static void connmark_tg_print(FILE *out, const struct bf_rule *rule)
{
	const typeof(rule->verdict.u.connmark) *cm = &rule->verdict.u.connmark;

	switch (cm->mode) {
	case BF_CONNMARK_SET:
		fprintf(out, " --set-xmark 0x%x/0x%x", cm->ctmark, cm->ctmask);
		break;
	case BF_CONNMARK_SAVE:
	case BF_CONNMARK_RESTORE:
		fprintf(out, " --%s-mark --nfmask 0x%x --ctmask 0x%x",
			cm->mode == BF_CONNMARK_SAVE ? "save" : "restore",
			cm->nfmask, cm->ctmask);
		break;
	}
	if (cm->shift_bits)
		fprintf(out, " --%s-shift-mark %u",
			cm->shift_dir ? "right" : "left", cm->shift_bits);
}

/* TCPMSS: libxt_TCPMSS.c */
enum {
	MSS_SET,
	MSS_CLAMP,
};

static const struct ipt_modopt tcpmss_tg_opts[] = {
	{ "set-mss", 1, MSS_SET, true, true },
	{ "clamp-mss-to-pmtu", 0, MSS_CLAMP, true, true },
	{ NULL },
};

/* Largest MSS iptables takes: 65535 minus the IP header (20 bytes for
 * IPv4, 40 for IPv6). */
#define TCPMSS_MAX4 65515
#define TCPMSS_MAX6 65495

static int tcpmss_tg_parse(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
			   const struct ipt_modopt *opt, const char *arg,
			   bool inv)
{
	unsigned int max = ctx->family == BF_FAMILY_INET4 ? TCPMSS_MAX4 :
							    TCPMSS_MAX6;
	unsigned long long v;

	/* --set-mss and --clamp-mss-to-pmtu: the last one wins. */
	if (!once(ctx, "TCPMSS", &inst->seen, opt))
		return -EINVAL;
	if (opt->id == MSS_CLAMP) {
		inst->v.u.tcpmss.mss = BF_TCPMSS_CLAMP_PMTU;
		return 0;
	}
	if (!ipt_strtoui(arg, 0, max, 0, &v)) {
		ipt_err(ctx,
			"TCPMSS: bad value for option \"--set-mss\", or "
			"out of range (0-%u).",
			max);
		return -EINVAL;
	}
	inst->v.u.tcpmss.mss = (uint16_t)v;
	return 0;
}

static int tcpmss_tg_final(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst)
{
	if (!inst->seen) {
		ipt_err(ctx, "TCPMSS target: At least one parameter is "
			     "required");
		return -EINVAL;
	}
	/* xt_TCPMSS is registered for IPPROTO_TCP (xt_check_target()). */
	if (!ctx->has_proto || ctx->proto != IPPROTO_TCP_ || ctx->inv_p) {
		ipt_err(ctx, "target 'TCPMSS' needs `-p tcp' (without `!')");
		return -EINVAL;
	}
	/* tcpmss_tg4_check(): path MTU clamping needs a route. */
	if (inst->v.u.tcpmss.mss == BF_TCPMSS_CLAMP_PMTU &&
	    !hook_ok(ctx, "TCPMSS --clamp-mss-to-pmtu",
		     HOOK(BF_HOOK_FORWARD) | HOOK(BF_HOOK_OUTPUT),
		     "FORWARD and OUTPUT"))
		return -EINVAL;
	return 0;
}

static void tcpmss_tg_print(FILE *out, const struct bf_rule *rule)
{
	if (rule->verdict.u.tcpmss.mss == BF_TCPMSS_CLAMP_PMTU)
		fputs(" --clamp-mss-to-pmtu", out);
	else
		fprintf(out, " --set-mss %u", rule->verdict.u.tcpmss.mss);
}

static const struct ipt_target targets[] = {
	{ "REJECT", BF_VERDICT_REJECT, -1, reject_opts, reject_parse,
	  reject_final, reject_print },
	{ "LOG", BF_VERDICT_LOG, -1, log_opts, log_parse, log_final,
	  log_print },
	{ "NFLOG", BF_VERDICT_NFLOG, -1, nflog_opts, nflog_parse, nflog_final,
	  nflog_print },
	{ "MARK", BF_VERDICT_MARK, -1, mark_tg_opts, mark_tg_parse,
	  mark_tg_final, mark_tg_print },
	{ "CONNMARK", BF_VERDICT_CONNMARK, -1, connmark_tg_opts,
	  connmark_tg_parse, connmark_tg_final, connmark_tg_print },
	{ "TCPMSS", BF_VERDICT_TCPMSS, -1, tcpmss_tg_opts, tcpmss_tg_parse,
	  tcpmss_tg_final, tcpmss_tg_print },
	{ "BPF", BF_VERDICT_BPF, -1, ipt_bpf_tg_opts, ipt_bpf_tg_parse,
	  ipt_bpf_tg_final, ipt_bpf_tg_print },
};

const struct ipt_target *ipt_target_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		if (!strcmp(targets[i].name, name))
			return &targets[i];
	}
	return NULL;
}

const struct ipt_target *ipt_target_by_kind(enum bf_verdict_kind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		if (targets[i].kind == kind)
			return &targets[i];
	}
	return NULL;
}

void ipt_target_init(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst)
{
	memset(&inst->v, 0, sizeof(inst->v));
	inst->seen = 0;
	inst->v.kind = inst->tgt->kind;
	switch (inst->tgt->kind) {
	case BF_VERDICT_REJECT:
		inst->v.u.reject.with =
			ctx->family == BF_FAMILY_INET4 ?
				BF_REJECT_ICMP_PORT_UNREACHABLE :
				BF_REJECT_ICMP6_PORT_UNREACHABLE;
		break;
	case BF_VERDICT_LOG:
		inst->v.u.log.level = 4; /* LOG_WARNING */
		break;
	case BF_VERDICT_CONNMARK:
		inst->v.u.connmark.nfmask = UINT32_MAX;
		inst->v.u.connmark.ctmask = UINT32_MAX;
		break;
	default:
		break;
	}
}
