// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR that makes the probes of an nft ruleset `bpfilter apply` spreads
 * over several slots (include/bpfilter/verify.h, bf_verify_nft_probe_ir()),
 * for `bpfilter verify FILE.nft` and tests/diff/diff_nft.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/front_nft.h"
#include "bpfilter/verify.h"

/* "tK.NAME" (K < 100); a NAME longer than 20 bytes becomes its first 13
 * and a hash of all of it, so that names alike in their first 20 bytes
 * stay apart. */
static void tname(char *buf, size_t k, const char *name)
{
	char t[64];
	uint32_t h = 2166136261u; /* FNV-1a */
	int n;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	if (strlen(name) <= 20)
		n = snprintf(t, sizeof(t), "t%u.%s", (unsigned int)(k % 100),
			     name);
	else
		n = snprintf(t, sizeof(t), "t%u.%.13s.%06x",
			     (unsigned int)(k % 100), name,
			     (unsigned int)(h & 0xffffff));
	memcpy(buf, t, (size_t)n + 1);
}

/* Copy the chains of one target's IR into m, user chains renamed. */
static int merge(struct bf_ruleset *m, const struct bf_ruleset *rs, size_t k)
{
	char name[BF_CHAIN_NAME_MAX + 1];
	int r;

	for (size_t c = 0; c < rs->n_chains; c++) {
		const struct bf_chain *ch = &rs->chains[c];

		if (ch->builtin)
			continue;
		tname(name, k, ch->name);
		r = bf_ruleset_add_chain(m, ch->family, name, ch->line, NULL);
		if (r)
			return r;
	}
	for (size_t c = 0; c < rs->n_chains; c++) {
		const struct bf_chain *ch = &rs->chains[c];
		struct bf_chain *mc;

		tname(name, k, ch->name);
		mc = ch->builtin ? bf_ruleset_builtin(m, ch->family, ch->hook) :
				   bf_ruleset_chain(m, ch->family, name);
		if (!mc)
			return -ENOENT;
		if (ch->builtin && ch->policy == BF_VERDICT_DROP)
			mc->policy = BF_VERDICT_DROP;
		for (size_t i = 0; i < ch->n_rules; i++) {
			struct bf_rule ru = ch->rules[i];

			ru.matches = NULL;
			ru.n_matches = 0;
			if (ru.file) /* rs and its file table go */
				ru.file = bf_ruleset_intern_file(m, ru.file);
			for (size_t j = 0; j < ch->rules[i].n_matches; j++) {
				r = bf_rule_add_match(&ru,
						      &ch->rules[i].matches[j]);
				if (r) {
					bf_rule_release(&ru);
					return r;
				}
			}
			if (ru.verdict.kind == BF_VERDICT_JUMP ||
			    ru.verdict.kind == BF_VERDICT_GOTO) {
				char t[BF_CHAIN_NAME_MAX + 1];

				tname(t, k, ru.verdict.chain);
				memcpy(ru.verdict.chain, t,
				       sizeof(ru.verdict.chain));
			}
			r = bf_chain_add_rule(mc, &ru);
			if (r) {
				bf_rule_release(&ru);
				return r;
			}
		}
	}
	return 0;
}

/* A rule `-i DEV` (no verdict) in INPUT of both families, so that the
 * scratch host has the netdev device. */
static int name_device(struct bf_ruleset *m, const char *ifname)
{
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		struct bf_rule ru = { .family = (enum bf_family)f };
		struct bf_match x = { .type = BF_MATCH_IIFNAME };
		int r;

		snprintf(x.u.iface.name, sizeof(x.u.iface.name), "%s", ifname);
		x.u.iface.cmp_len = (uint8_t)(strlen(ifname) + 1);
		r = bf_rule_add_match(&ru, &x);
		if (!r)
			r = bf_chain_add_rule(
				bf_ruleset_builtin(m, (enum bf_family)f,
						   BF_HOOK_INPUT),
				&ru);
		if (r) {
			bf_rule_release(&ru);
			return r;
		}
	}
	return 0;
}

int bf_verify_nft_probe_ir(const struct bf_nft *nft, struct bf_ruleset **out)
{
	struct bf_nft_target *tgs = NULL;
	struct bf_ruleset *m = NULL;
	size_t n = 0;
	int r;

	*out = NULL;
	r = bf_nft_targets(nft, false, &tgs, &n);
	if (r)
		return r;
	if (n == 1 && tgs[0].kind == BF_NFT_TARGET_NF &&
	    !bf_nft_has_kernel_part(nft)) {
		bf_nft_targets_free(&tgs, n);
		return -EOPNOTSUPP; /* one IR: bf_nft_lower()'s refusal */
	}
	m = bf_ruleset_new();
	if (!m)
		r = -ENOMEM;
	for (size_t k = 0; k < n && !r; k++) {
		struct bf_ruleset *rs = bf_ruleset_new();

		if (!rs) {
			r = -ENOMEM;
			break;
		}
		r = bf_nft_lower_target(&tgs[k], rs, false);
		if (!r)
			r = merge(m, rs, k);
		if (!r)
			m->families |= rs->families;
		if (!r && tgs[k].kind != BF_NFT_TARGET_NF)
			r = name_device(m, tgs[k].ifname);
		bf_ruleset_free(&rs);
	}
	bf_nft_targets_free(&tgs, n);
	if (r) {
		bf_ruleset_free(&m);
		return r;
	}
	*out = m;
	return 0;
}
