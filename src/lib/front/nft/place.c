// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the targets of an nft ruleset attach (doc/front-nft.md, "Mapping
 * to hooks"): the (family, hook) pairs of an nf target at a priority other
 * than 0, the devices of netdev targets, and the devices `nft -j list
 * ruleset` leaves out.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/log.h"
#include "front/nft/nft.h"

/* The IR hook of an nft hook, -1 for those an nf slot has none of. */
static int ir_hook(enum bf_nft_hook h)
{
	switch (h) {
	case BF_NFT_HOOK_INPUT:
		return BF_HOOK_INPUT;
	case BF_NFT_HOOK_FORWARD:
		return BF_HOOK_FORWARD;
	case BF_NFT_HOOK_OUTPUT:
		return BF_HOOK_OUTPUT;
	default:
		return -1;
	}
}

/* A BPF netfilter link takes its priority on one (family, hook) only, and
 * the kernel refuses it where another hook function has that priority
 * (nf_hook_entries_grow() answers -EBUSY): conntrack at -200 on
 * prerouting and output, for one. So a slot at priority P attaches where
 * the ruleset has a base chain at P, and nowhere else: the hooks without
 * one would only get programs that accept. */
uint32_t nft_target_points(const struct bf_nft *view, int prio)
{
	uint32_t points = 0;

	for (size_t ti = 0; ti < view->n_tables; ti++) {
		const struct bf_nft_table *t = &view->tables[ti];
		bool v4 = t->family == BF_NFT_FAMILY_IP ||
			  t->family == BF_NFT_FAMILY_INET;
		bool v6 = t->family == BF_NFT_FAMILY_IP6 ||
			  t->family == BF_NFT_FAMILY_INET;

		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *c = &t->chains[i];
			int h = ir_hook(c->hook);

			if (h < 0 || c->priority != prio)
				continue;
			if (v4)
				points |= BF_NF_POINT(BF_FAMILY_INET4, h);
			if (v6)
				points |= BF_NF_POINT(BF_FAMILY_INET6, h);
		}
	}
	/* No base chain at a hook an nf slot has (prerouting...: the
	 * lowering refuses those): every point, as before. */
	return points;
}

int bf_nft_targets_devices(const struct bf_nft_target *tgs, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		const struct bf_nft_target *tg = &tgs[i];

		if (tg->kind == BF_NFT_TARGET_NF || if_nametoindex(tg->ifname))
			continue;
		bf_log_at(BF_LOG_ERROR, tg->dev_loc.file, tg->dev_loc.line,
			  tg->dev_loc.col,
			  "no device '%s' in this network namespace (netdev "
			  "table, hook %s)",
			  tg->ifname,
			  tg->kind == BF_NFT_TARGET_XDP ? "xdp" : "tc");
		r = -ENODEV;
	}
	return r;
}

static bool lacks_device(const struct bf_nft_table *t,
			 const struct bf_nft_chain *c)
{
	return t->family == BF_NFT_FAMILY_NETDEV &&
	       c->hook != BF_NFT_HOOK_NONE && !c->n_devices &&
	       (!c->device || !*c->device);
}

bool bf_nft_lacks_devices(const struct bf_nft *nft)
{
	for (size_t ti = 0; ti < nft->n_tables; ti++)
		for (size_t i = 0; i < nft->tables[ti].n_chains; i++)
			if (lacks_device(&nft->tables[ti],
					 &nft->tables[ti].chains[i]))
				return true;
	return false;
}

/* c's devices := those of src (deep copies). */
static int copy_devices(struct bf_nft_chain *c, const struct bf_nft_chain *src)
{
	size_t n = src->n_devices;

	free(c->device);
	c->device = strdup(src->device ? src->device : src->devices[0]);
	if (!c->device)
		return -ENOMEM;
	if (!n)
		return 0;
	c->devices = calloc(n, sizeof(*c->devices));
	if (!c->devices)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		c->devices[k] = strdup(src->devices[k]);
		if (!c->devices[k])
			return -ENOMEM;
		c->n_devices++;
	}
	return 0;
}

int bf_nft_fill_devices(struct bf_nft *nft, const struct bf_nft *from)
{
	int missing = 0;

	for (size_t ti = 0; ti < nft->n_tables; ti++) {
		struct bf_nft_table *t = &nft->tables[ti];
		const struct bf_nft_table *ft =
			bf_nft_table_find(from, t->family, t->name);

		for (size_t i = 0; i < t->n_chains; i++) {
			struct bf_nft_chain *c = &t->chains[i];
			const struct bf_nft_chain *fc;

			if (!lacks_device(t, c))
				continue;
			fc = ft ? bf_nft_chain_find(ft, c->name) : NULL;
			if (!fc || fc->hook != c->hook ||
			    fc->priority != c->priority ||
			    lacks_device(ft, fc)) {
				missing++;
				continue;
			}
			if (copy_devices(c, fc))
				return -ENOMEM;
			/* the clause is in the other text: point at the
			 * chain's own command */
			c->dev_loc = c->loc;
		}
	}
	return missing;
}

void bf_nft_drop_own_tables(struct bf_nft *nft)
{
	size_t n = 0;

	for (size_t ti = 0; ti < nft->n_tables; ti++) {
		struct bf_nft_table *t = &nft->tables[ti];

		if (t->name && !strcmp(t->name, "bpfilter_ct") &&
		    (t->family == BF_NFT_FAMILY_IP ||
		     t->family == BF_NFT_FAMILY_IP6 ||
		     t->family == BF_NFT_FAMILY_INET)) {
			nft_table_release(t);
			continue;
		}
		nft->tables[n++] = *t;
	}
	nft->n_tables = n;
}
