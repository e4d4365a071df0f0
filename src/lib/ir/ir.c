// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/set.h"

static const char *const hook_names[BF_HOOK_COUNT] = {
	[BF_HOOK_INPUT] = "INPUT",
	[BF_HOOK_FORWARD] = "FORWARD",
	[BF_HOOK_OUTPUT] = "OUTPUT",
};
_Static_assert(ARRAY_SIZE(hook_names) == BF_HOOK_COUNT, "hook names");

static const char *const family_names[BF_FAMILY_COUNT] = {
	[BF_FAMILY_INET4] = "ipv4",
	[BF_FAMILY_INET6] = "ipv6",
};
_Static_assert(ARRAY_SIZE(family_names) == BF_FAMILY_COUNT, "family names");

static const char *const verdict_names[BF_VERDICT_COUNT] = {
	[BF_VERDICT_CONTINUE] = "",	    [BF_VERDICT_ACCEPT] = "ACCEPT",
	[BF_VERDICT_DROP] = "DROP",	    [BF_VERDICT_RETURN] = "RETURN",
	[BF_VERDICT_JUMP] = "JUMP",	    [BF_VERDICT_GOTO] = "GOTO",
	[BF_VERDICT_REJECT] = "REJECT",	    [BF_VERDICT_LOG] = "LOG",
	[BF_VERDICT_NFLOG] = "NFLOG",	    [BF_VERDICT_MARK] = "MARK",
	[BF_VERDICT_CONNMARK] = "CONNMARK", [BF_VERDICT_TCPMSS] = "TCPMSS",
	[BF_VERDICT_BPF] = "BPF",	    [BF_VERDICT_NFT_NEXT] = "NFTNEXT",
};
_Static_assert(ARRAY_SIZE(verdict_names) == BF_VERDICT_COUNT, "verdicts");

const char *bf_hook_name(enum bf_hook hook)
{
	return (unsigned)hook < BF_HOOK_COUNT ? hook_names[hook] : "?";
}

const char *bf_family_name(enum bf_family family)
{
	return (unsigned)family < BF_FAMILY_COUNT ? family_names[family] : "?";
}

const char *bf_verdict_name(enum bf_verdict_kind kind)
{
	return (unsigned)kind < BF_VERDICT_COUNT ? verdict_names[kind] : "?";
}

static const char *const match_names[BF_MATCH_COUNT] = {
	[BF_MATCH_L4PROTO] = "protocol",
	[BF_MATCH_SADDR] = "saddr",
	[BF_MATCH_DADDR] = "daddr",
	[BF_MATCH_IIFNAME] = "iifname",
	[BF_MATCH_OIFNAME] = "oifname",
	[BF_MATCH_FRAG] = "fragment",
	[BF_MATCH_L4HDR] = "l4hdr",
	[BF_MATCH_SPORT] = "sport",
	[BF_MATCH_DPORT] = "dport",
	[BF_MATCH_TCPFLAGS] = "tcpflags",
	[BF_MATCH_ICMP] = "icmp",
	[BF_MATCH_MULTIPORT] = "multiport",
	[BF_MATCH_SRANGE] = "srange",
	[BF_MATCH_DRANGE] = "drange",
	[BF_MATCH_CTSTATE] = "ctstate",
	[BF_MATCH_COMMENT] = "comment",
	[BF_MATCH_LIMIT] = "limit",
	[BF_MATCH_HASHLIMIT] = "hashlimit",
	[BF_MATCH_RECENT] = "recent",
	[BF_MATCH_CONNLIMIT] = "connlimit",
	[BF_MATCH_ADDRTYPE] = "addrtype",
	[BF_MATCH_MAC] = "mac",
	[BF_MATCH_MARK] = "mark",
	[BF_MATCH_CONNMARK] = "connmark",
	[BF_MATCH_OWNER] = "owner",
	[BF_MATCH_PKTTYPE] = "pkttype",
	[BF_MATCH_LENGTH] = "length",
	[BF_MATCH_TTL] = "ttl",
	[BF_MATCH_SET] = "set",
	[BF_MATCH_STATISTIC] = "statistic",
	[BF_MATCH_TCPMSS] = "tcpmss",
	[BF_MATCH_PHYSDEV] = "physdev",
	[BF_MATCH_CONNTRACK] = "conntrack",
	[BF_MATCH_TIME] = "time",
	[BF_MATCH_NFT_LIMIT] = "nft limit",
	[BF_MATCH_TH_SPORT] = "th sport",
	[BF_MATCH_TH_DPORT] = "th dport",
	[BF_MATCH_IIF] = "iif",
	[BF_MATCH_OIF] = "oif",
	[BF_MATCH_ETH_DADDR] = "ether daddr",
	[BF_MATCH_ETH_TYPE] = "ether type",
	[BF_MATCH_VLAN] = "vlan",
	[BF_MATCH_RT] = "rt",
	[BF_MATCH_BPF] = "bpf",
	[BF_MATCH_DSFIELD] = "dsfield",
	[BF_MATCH_ECN] = "ecn",
	[BF_MATCH_ESP] = "esp",
	[BF_MATCH_PAYLOAD] = "payload",
	[BF_MATCH_U32] = "u32",
	[BF_MATCH_QUOTA] = "quota",
	[BF_MATCH_POLICY] = "policy",
	[BF_MATCH_HELPER] = "helper",
	[BF_MATCH_CONNBYTES] = "connbytes",
	[BF_MATCH_FRAG6] = "frag",
	[BF_MATCH_OPTS6] = "hbh",
	[BF_MATCH_AH] = "ah",
	[BF_MATCH_MH] = "mh",
};
_Static_assert(ARRAY_SIZE(match_names) == BF_MATCH_COUNT, "match names");

const char *bf_match_name(enum bf_match_type type)
{
	return (unsigned)type < BF_MATCH_COUNT && match_names[type] ?
		       match_names[type] :
		       "?";
}

/* user2credits() of net/netfilter/xt_limit.c, for a given HZ: credits
 * are counted per jiffy in units of CREDITS_PER_JIFFY, the largest power
 * of two not above 0xFFFFFFFF / (HZ * 60 * 60 * 24) (MAX_CPJ). */
static uint32_t user2credits(uint32_t user, uint32_t hz, uint32_t cpj)
{
	if (user > UINT32_MAX / (hz * cpj))
		return (user / BF_LIMIT_SCALE) * hz * cpj;
	return (uint32_t)((uint64_t)user * hz * cpj / BF_LIMIT_SCALE);
}

int bf_limit_credits(struct bf_limit *l)
{
	uint32_t max_cpj, cpj = 1;

	if (!l || l->hz == 0 || l->hz > UINT32_MAX / (60 * 60 * 24))
		return -EINVAL;
	max_cpj = UINT32_MAX / (l->hz * 60 * 60 * 24);
	if (!max_cpj)
		return -EINVAL;
	while (cpj <= max_cpj / 2)
		cpj <<= 1;
	/* limit_mt_check(): avg * burst is a 32-bit product there. */
	if (l->burst == 0 || user2credits(l->avg * l->burst, l->hz, cpj) <
				     user2credits(l->avg, l->hz, cpj))
		return -ERANGE;
	l->credits_per_jiffy = cpj;
	l->credit_cap = user2credits(l->avg * l->burst, l->hz, cpj);
	l->cost = user2credits(l->avg, l->hz, cpj);
	return 0;
}

static int chain_init(struct bf_chain *c, enum bf_family family,
		      const char *name, int line)
{
	size_t len = strlen(name);

	if (len == 0 || len > BF_CHAIN_NAME_MAX)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	memcpy(c->name, name, len + 1);
	c->family = family;
	c->line = line;
	c->policy = BF_VERDICT_ACCEPT;
	return 0;
}

static int grow_chains(struct bf_ruleset *rs)
{
	struct bf_chain *n;
	size_t cap;

	if (rs->n_chains < rs->cap_chains)
		return 0;
	cap = rs->cap_chains ? rs->cap_chains * 2 : 16;
	n = realloc(rs->chains, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	rs->chains = n;
	rs->cap_chains = cap;
	return 0;
}

struct bf_ruleset *bf_ruleset_new(void)
{
	struct bf_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		for (int h = 0; h < BF_HOOK_COUNT; h++) {
			struct bf_chain *c;

			if (grow_chains(rs)) {
				bf_ruleset_free(&rs);
				errno = ENOMEM;
				return NULL;
			}
			c = &rs->chains[rs->n_chains++];
			chain_init(c, f, hook_names[h], 0);
			c->builtin = true;
			c->hook = h;
		}
	}
	return rs;
}

void bf_rule_release(struct bf_rule *rule)
{
	if (!rule)
		return;
	free(rule->matches);
	rule->matches = NULL;
	rule->n_matches = 0;
}

void bf_ruleset_free(struct bf_ruleset **rs)
{
	if (!rs || !*rs)
		return;
	for (size_t i = 0; i < (*rs)->n_chains; i++) {
		struct bf_chain *c = &(*rs)->chains[i];

		for (size_t j = 0; j < c->n_rules; j++)
			bf_rule_release(&c->rules[j]);
		free(c->rules);
	}
	free((*rs)->chains);
	for (size_t i = 0; i < (*rs)->n_files; i++)
		free((*rs)->files[i]);
	free((*rs)->files);
	for (size_t i = 0; i < (*rs)->n_sets; i++)
		bf_set_release(&(*rs)->sets[i]);
	free((*rs)->sets);
	free(*rs);
	*rs = NULL;
}

struct bf_chain *bf_ruleset_chain(const struct bf_ruleset *rs,
				  enum bf_family family, const char *name)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].family == family &&
		    strcmp(rs->chains[i].name, name) == 0)
			return &rs->chains[i];
	}
	return NULL;
}

struct bf_chain *bf_ruleset_builtin(const struct bf_ruleset *rs,
				    enum bf_family family, enum bf_hook hook)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->builtin && c->family == family && c->hook == hook)
			return &rs->chains[i];
	}
	return NULL;
}

int bf_ruleset_add_chain(struct bf_ruleset *rs, enum bf_family family,
			 const char *name, int line, struct bf_chain **out)
{
	struct bf_chain c;
	int r;

	if (bf_ruleset_chain(rs, family, name))
		return -EEXIST;
	r = chain_init(&c, family, name, line);
	if (r)
		return r;
	r = grow_chains(rs);
	if (r)
		return r;
	rs->chains[rs->n_chains] = c;
	if (out)
		*out = &rs->chains[rs->n_chains];
	rs->n_chains++;
	return 0;
}

int bf_ruleset_del_chain(struct bf_ruleset *rs, enum bf_family family,
			 const char *name)
{
	struct bf_chain *c = bf_ruleset_chain(rs, family, name);
	size_t idx;

	if (!c)
		return -ENOENT;
	if (c->builtin || c->n_rules)
		return -EBUSY;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *o = &rs->chains[i];

		if (o->family != family)
			continue;
		for (size_t j = 0; j < o->n_rules; j++) {
			const struct bf_verdict *v = &o->rules[j].verdict;

			if ((v->kind == BF_VERDICT_JUMP ||
			     v->kind == BF_VERDICT_GOTO) &&
			    strcmp(v->chain, name) == 0)
				return -EBUSY;
		}
	}
	idx = (size_t)(c - rs->chains);
	free(c->rules);
	memmove(&rs->chains[idx], &rs->chains[idx + 1],
		(rs->n_chains - idx - 1) * sizeof(*c));
	rs->n_chains--;
	return 0;
}

const char *bf_ruleset_intern_file(struct bf_ruleset *rs, const char *file)
{
	char **n;

	if (!file)
		return NULL;
	for (size_t i = 0; i < rs->n_files; i++) {
		if (strcmp(rs->files[i], file) == 0)
			return rs->files[i];
	}
	n = realloc(rs->files, (rs->n_files + 1) * sizeof(*n));
	if (!n)
		return NULL;
	rs->files = n;
	rs->files[rs->n_files] = strdup(file);
	if (!rs->files[rs->n_files])
		return NULL;
	return rs->files[rs->n_files++];
}

int bf_chain_insert_rule(struct bf_chain *chain, size_t pos,
			 struct bf_rule *rule)
{
	if (pos > chain->n_rules)
		return -EINVAL;
	if (chain->n_rules == chain->cap_rules) {
		size_t cap = chain->cap_rules ? chain->cap_rules * 2 : 8;
		struct bf_rule *n = realloc(chain->rules, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		chain->rules = n;
		chain->cap_rules = cap;
	}
	memmove(&chain->rules[pos + 1], &chain->rules[pos],
		(chain->n_rules - pos) * sizeof(*rule));
	chain->rules[pos] = *rule;
	rule->family = chain->family;
	chain->rules[pos].family = chain->family;
	chain->n_rules++;
	rule->matches = NULL;
	rule->n_matches = 0;
	return 0;
}

int bf_chain_add_rule(struct bf_chain *chain, struct bf_rule *rule)
{
	return bf_chain_insert_rule(chain, chain->n_rules, rule);
}

int bf_rule_add_match(struct bf_rule *rule, const struct bf_match *m)
{
	struct bf_match *n;

	n = realloc(rule->matches, (rule->n_matches + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	rule->matches = n;
	rule->matches[rule->n_matches++] = *m;
	return 0;
}

void bf_ruleset_number(struct bf_ruleset *rs)
{
	uint32_t idx = 0;

	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].builtin)
			rs->chains[i].policy_counter_idx = idx++;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		for (size_t j = 0; j < c->n_rules; j++)
			c->rules[j].counter_idx = idx++;
	}
	rs->n_counters = idx;
}
