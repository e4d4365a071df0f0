// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter's `bpf` statement in nft syntax: user BPF code as a match or a
 * verdict (BF_MATCH_BPF / BF_VERDICT_BPF, include/bpfilter/userbpf.h).
 * nftables has no such expression; this is our extension, the nft
 * spelling of iptables' `-m bpf` and `-j BPF` (doc/front-nft.md):
 *
 *   bpf object "/path/f.o" [section "bpfilter/x"]    matches on non-zero
 *   bpf ! object "/path/f.o" [section "..."]         matches on zero
 *   bpf bytecode "4,48 0 0 9,21 0 1 17,6 0 0 1,6 0 0 0"
 *   bpf pinned "/sys/fs/bpf/p"
 *   bpf verdict object "/path/f.o" [section "..."]   return value = verdict
 *
 * The parser (parse.c) reads the words; the description is interned here
 * while parsing, so the statement holds only the reference and errors
 * come out with the statement's position.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/userbpf.h"
#include "cgen/m_bpf.h"
#include "front/nft/nft.h"

/* A string we can print back between double quotes (the nft lexer has
 * no escapes). */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\n' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int nft_bpf_intern(int kind, const char *arg, const char *section,
		   uint32_t *ref, const char **why)
{
	static struct bf_userbpf u; /* about 1 KiB: not on the stack */
	int r;

	memset(&u, 0, sizeof(u));
	u.kind = (enum bf_userbpf_kind)kind;
	switch (kind) {
	case BF_USERBPF_BYTECODE:
		r = bf_cbpf_parse(arg, &u, why);
		if (r)
			return r;
		break;
	case BF_USERBPF_OBJECT:
	case BF_USERBPF_PINNED:
		if (!*arg || strlen(arg) >= sizeof(u.path) || !printable(arg)) {
			*why = "bad path (empty, too long, or with a quote or control character)";
			return -EINVAL;
		}
		snprintf(u.path, sizeof(u.path), "%s", arg);
		if (section) {
			if (!*section || strlen(section) >= sizeof(u.section) ||
			    !printable(section)) {
				*why = "bad section name (empty, too long, or with a quote or control character)";
				return -EINVAL;
			}
			snprintf(u.section, sizeof(u.section), "%s", section);
		}
		break;
	default:
		*why = "unknown kind";
		return -EINVAL;
	}
	r = bf_userbpf_intern(&u, ref);
	if (r == -ENOSPC)
		*why = "too many distinct user BPF programs";
	else if (r)
		*why = strerror(-r);
	return r;
}

void nft_bpf_print(FILE *out, uint32_t ref, bool neg, bool verdict)
{
	const struct bf_userbpf *u = bf_userbpf_get(ref);

	fputs(verdict ? "bpf verdict " : "bpf ", out);
	if (!u) {
		fputs("object \"?\"", out);
		return;
	}
	switch (u->kind) {
	case BF_USERBPF_BYTECODE:
		fprintf(out, "bytecode \"%u", u->n_insns);
		for (size_t i = 0; i < u->n_insns; i++)
			fprintf(out, ",%u %u %u %u", u->insns[i].code,
				u->insns[i].jt, u->insns[i].jf, u->insns[i].k);
		fputc('"', out);
		break;
	case BF_USERBPF_PINNED:
		fprintf(out, "pinned \"%s\"", u->path);
		break;
	default:
		fprintf(out, "%sobject \"%s\"", neg ? "! " : "", u->path);
		if (u->section[0])
			fprintf(out, " section \"%s\"", u->section);
		break;
	}
}

/* What the code generator would refuse about the user code of the IR
 * rules (an object that does not open, a missing section, a wrong
 * signature or ABI version; pinned programs), reported at the rule's nft
 * position: the iptables-save text apply then reads has other lines.
 * Each object is checked once. 0 or -errno (the last error). */
int nft_bpf_check(const struct bf_ruleset *rs)
{
	uint32_t done[64];
	size_t n_done = 0;
	int ret = 0;

	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *ch = &rs->chains[i];
		for (size_t j = 0; j < ch->n_rules; j++) {
			const struct bf_rule *r = &ch->rules[j];
			for (size_t k = 0; k <= r->n_matches; k++) {
				const struct bf_userbpf *u;
				uint32_t ref;
				int line = r->line;
				bool seen = false;
				if (k < r->n_matches) {
					if (r->matches[k].type != BF_MATCH_BPF)
						continue;
					ref = r->matches[k].u.bpf.ref;
					if (r->matches[k].line)
						line = r->matches[k].line;
				} else if (r->verdict.kind == BF_VERDICT_BPF) {
					ref = r->verdict.u.bpf.ref;
				} else {
					continue;
				}
				for (size_t d = 0; d < n_done; d++)
					seen |= done[d] == ref;
				if (seen)
					continue;
				if (n_done < ARRAY_SIZE(done))
					done[n_done++] = ref;
				u = bf_userbpf_get(ref);
				if (!u)
					continue;
				if (u->kind == BF_USERBPF_PINNED) {
					bf_log_at(
						BF_LOG_ERROR, r->file, line, 0,
						"unsupported: bpf pinned \"%s\": a generated program cannot call a loaded program and come back; use bpf object \"FILE.o\" (doc/user-matches.md)",
						u->path);
					ret = -EOPNOTSUPP;
				} else if (u->kind == BF_USERBPF_OBJECT &&
					   bf_userbpf_check(u)) {
					bf_log_at(
						BF_LOG_ERROR, r->file, line, 0,
						"bpf: cannot use %s (see above)",
						u->path);
					ret = -EINVAL;
				}
			}
		}
	}
	return ret;
}
