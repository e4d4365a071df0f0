// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where an nft ruleset is installed (doc/front-nft.md, "Mapping to hooks").
 *
 * An nft ruleset may hook base chains at several places at once: ip / ip6 /
 * inet base chains at input, forward and output, each with its priority,
 * and netdev base chains at ingress or egress of named devices. bpfilter
 * installs rulesets per slot (doc/hooks.md), so the ruleset is cut into
 * targets, each lowered and applied on its own:
 *
 *  - one nf slot per distinct priority of the ip / ip6 / inet base chains
 *    ("nf" for priority 0, "nf-p10" / "nf-m10" for 10 / -10), each slot's
 *    programs attached by netfilter links at that priority. The kernel runs
 *    the hooks of one (family, hook) in priority order and an NF_ACCEPT
 *    goes on to the next one, an NF_DROP ends (nf_hook_slow()): exactly
 *    nft's semantics for several base chains on one hook, which one IR
 *    ruleset (whose ACCEPT is final) cannot give.
 *  - one tc slot per netdev device ("tc-eth0"; ingress chains in its
 *    INPUT, egress chains in its OUTPUT, both families), or an xdp slot
 *    for ingress chains when asked (`--hook xdp`).
 *
 * A target's view of the ruleset is shallow: its tables are copies of the
 * input's tables whose chain arrays hold copies of the chain structs that
 * belong to the target (its base chains, and the regular chains they may
 * reach); everything else is borrowed from the input, which must outlive
 * the targets.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "front/nft/nft.h"

static bool is_ipt_family(enum bf_nft_family f)
{
	return f == BF_NFT_FAMILY_IP || f == BF_NFT_FAMILY_IP6 ||
	       f == BF_NFT_FAMILY_INET;
}

/* Mark the regular chains reachable from chain ch (jump, goto, vmap). */
static void mark_reach(const struct bf_nft_table *t,
		       const struct bf_nft_chain *ch, bool *mark, int depth)
{
	if (depth > 64)
		return;
	for (size_t i = 0; i < ch->n_rules; i++) {
		const struct bf_nft_rule *r = &ch->rules[i];
		for (size_t j = 0; j < r->n_stmts; j++) {
			const struct bf_nft_stmt *s = &r->stmts[j];
			const struct bf_nft_expr *m = nft_vmap_elems(t, s);
			const char *names[64];
			size_t n = 0;
			if (s->kind == BF_NFT_S_VERDICT && s->u.verdict.chain)
				names[n++] = s->u.verdict.chain;
			for (size_t k = 0; m && k < m->n_sub; k++) {
				const struct bf_nft_expr *e = m->sub[k];
				if (e->n_sub > 1 && e->sub[1]->text &&
				    n < ARRAY_SIZE(names))
					names[n++] = e->sub[1]->text;
			}
			for (size_t k = 0; k < n; k++) {
				const struct bf_nft_chain *nx =
					bf_nft_chain_find(t, names[k]);
				size_t idx;
				if (!nx)
					continue;
				idx = (size_t)(nx - t->chains);
				if (mark[idx])
					continue;
				mark[idx] = true;
				mark_reach(t, nx, mark, depth + 1);
			}
		}
	}
}

/* Does the table's chain belong to target tg? */
typedef bool (*chain_pick)(const struct bf_nft_table *t,
			   const struct bf_nft_chain *c,
			   const struct bf_nft_target *tg);

static bool pick_nf(const struct bf_nft_table *t, const struct bf_nft_chain *c,
		    const struct bf_nft_target *tg)
{
	return is_ipt_family(t->family) && c->hook != BF_NFT_HOOK_NONE &&
	       c->priority == tg->priority && !nft_kernel_base(t, c);
}

/* The devices of a netdev chain: `devices = { ... }`, or `device D` */
static size_t n_devs(const struct bf_nft_chain *c)
{
	return c->n_devices ? c->n_devices : c->device ? 1 : 0;
}

static const char *dev_at(const struct bf_nft_chain *c, size_t i)
{
	return c->n_devices ? c->devices[i] : c->device;
}

static bool pick_dev(const struct bf_nft_table *t, const struct bf_nft_chain *c,
		     const struct bf_nft_target *tg)
{
	bool on = false;

	for (size_t i = 0; i < n_devs(c); i++)
		on |= !strcmp(dev_at(c, i), tg->ifname);
	return t->family == BF_NFT_FAMILY_NETDEV &&
	       c->hook != BF_NFT_HOOK_NONE && on &&
	       (tg->kind != BF_NFT_TARGET_XDP ||
		c->hook == BF_NFT_HOOK_INGRESS);
}

/* Build tg->view from nft: tables of the families `want` accepts, with the
 * base chains pick() selects and the regular chains (all of them when
 * all_regular, else those the selected base chains reach). */
static int build_view(const struct bf_nft *nft, struct bf_nft_target *tg,
		      bool (*want)(enum bf_nft_family), chain_pick pick,
		      bool all_regular)
{
	struct bf_nft *v = &tg->view;

	v->files = nft->files;
	v->n_files = nft->n_files;
	v->flush = nft->flush;
	v->tables =
		calloc(nft->n_tables ? nft->n_tables : 1, sizeof(*v->tables));
	if (!v->tables)
		return -ENOMEM;
	for (size_t ti = 0; ti < nft->n_tables; ti++) {
		const struct bf_nft_table *t = &nft->tables[ti];
		struct bf_nft_table *vt;
		_cleanup_free_ bool *mark = NULL;

		if (!want(t->family))
			continue;
		mark = calloc(t->n_chains + 1, sizeof(*mark));
		if (!mark)
			return -ENOMEM;
		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *c = &t->chains[i];
			if (c->hook == BF_NFT_HOOK_NONE) {
				if (all_regular)
					mark[i] = true;
			} else if (pick(t, c, tg)) {
				mark[i] = true;
				mark_reach(t, c, mark, 0);
			}
		}
		vt = &v->tables[v->n_tables++];
		*vt = *t;
		vt->n_chains = 0;
		vt->chains = calloc(t->n_chains + 1, sizeof(*vt->chains));
		if (!vt->chains)
			return -ENOMEM;
		/* the kernel's chains (kernpart.c) are not lowered */
		_cleanup_free_ bool *kern = calloc(t->n_chains + 1, 1);
		_cleanup_free_ bool *filt = calloc(t->n_chains + 1, 1);
		if (!kern || !filt)
			return -ENOMEM;
		nft_kernel_chains(t, kern, filt);
		for (size_t i = 0; i < t->n_chains; i++)
			if (mark[i] && filt[i])
				vt->chains[vt->n_chains++] = t->chains[i];
	}
	return 0;
}

static bool want_ipt(enum bf_nft_family f)
{
	/* arp and bridge tables too: lowering refuses them with their
	 * location (in the first nf target only) */
	return f != BF_NFT_FAMILY_NETDEV;
}

static bool want_netdev(enum bf_nft_family f)
{
	return f == BF_NFT_FAMILY_NETDEV;
}

static struct bf_nft_target *grow(struct bf_nft_target **tgs, size_t *n)
{
	struct bf_nft_target *v = realloc(*tgs, (*n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	*tgs = v;
	memset(&v[*n], 0, sizeof(v[*n]));
	return &v[(*n)++];
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

void bf_nft_targets_free(struct bf_nft_target **tgs, size_t n)
{
	if (!tgs || !*tgs)
		return;
	for (size_t i = 0; i < n; i++) {
		struct bf_nft *v = &(*tgs)[i].view;
		for (size_t t = 0; v->tables && t < v->n_tables; t++)
			free(v->tables[t].chains);
		free(v->tables);
	}
	free(*tgs);
	*tgs = NULL;
}

/* nft keeps one bucket per limit statement; bpfilter shares one between
 * the programs of a slot only (cgen/m_nftlimit.h). A chain reaches the
 * slots of the base chains that reach it (itself included): one per
 * priority (nf), one per device (netdev: tc or xdp). A limit in a chain
 * of several slots is refused, naming two of them. */
struct slot_key {
	bool set;
	int prio;
	const char *dev; /* netdev, else NULL */
};

static bool same_slot(const struct slot_key *a, const struct slot_key *b)
{
	return a->dev ? b->dev && !strcmp(a->dev, b->dev) :
			!b->dev && a->prio == b->prio;
}

static void slot_name(const struct slot_key *k, char *buf, size_t size)
{
	if (k->dev)
		snprintf(buf, size, "device %s", k->dev);
	else
		snprintf(buf, size, "priority %d", k->prio);
}

static void refuse_limits(const struct bf_nft_chain *c,
			  const struct slot_key *a, const struct slot_key *b,
			  struct nft_errs *errs)
{
	char na[BF_IFNAMSIZ + 16], nb[BF_IFNAMSIZ + 16];

	slot_name(a, na, sizeof(na));
	slot_name(b, nb, sizeof(nb));
	for (size_t k = 0; k < c->n_rules; k++)
		for (size_t j = 0; j < c->rules[k].n_stmts; j++)
			if (c->rules[k].stmts[j].kind == BF_NFT_S_LIMIT)
				nft_unsupported(
					errs, &c->rules[k].stmts[j].loc,
					"limit in chain %s, which base chains of two slots reach (%s, %s): one bucket per slot, nft has one",
					c->name, na, nb);
}

static int limit_across_slots(const struct bf_nft_table *t,
			      struct nft_errs *errs)
{
	_cleanup_free_ struct slot_key *key = NULL;
	_cleanup_free_ bool *done = NULL;
	bool netdev = t->family == BF_NFT_FAMILY_NETDEV;

	if (!netdev && !is_ipt_family(t->family))
		return 0;
	key = calloc(t->n_chains + 1, sizeof(*key));
	done = calloc(t->n_chains + 1, sizeof(*done));
	if (!key || !done)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct bf_nft_chain *b = &t->chains[i];
		_cleanup_free_ bool *mark = NULL;
		size_t n_keys = netdev ? n_devs(b) : 1;

		if (b->hook == BF_NFT_HOOK_NONE ||
		    (!netdev && nft_kernel_base(t, b)))
			continue;
		mark = calloc(t->n_chains + 1, sizeof(*mark));
		if (!mark)
			return -ENOMEM;
		mark[i] = true;
		mark_reach(t, b, mark, 0);
		for (size_t d = 0; d < n_keys; d++) {
			struct slot_key k = { .set = true,
					      .prio = b->priority,
					      .dev = netdev ? dev_at(b, d) :
							      NULL };

			for (size_t x = 0; x < t->n_chains; x++) {
				if (!mark[x] || done[x])
					continue;
				if (!key[x].set) {
					key[x] = k;
					continue;
				}
				if (same_slot(&key[x], &k))
					continue;
				refuse_limits(&t->chains[x], &key[x], &k, errs);
				done[x] = true; /* reported once */
			}
		}
	}
	return 0;
}

int bf_nft_targets(const struct bf_nft *nft, bool xdp,
		   struct bf_nft_target **out, size_t *n_out)
{
	struct bf_nft_target *tgs = NULL;
	size_t n = 0;
	_cleanup_free_ int *prios = NULL;
	size_t n_prios = 0, cap = 0;
	bool has_ipt = false, has_netdev = false;
	struct nft_errs errs = { 0 };
	int r = 0;

	*out = NULL;
	*n_out = 0;
	for (size_t ti = 0; ti < nft->n_tables; ti++) {
		const struct bf_nft_table *t = &nft->tables[ti];
		if (t->family == BF_NFT_FAMILY_NETDEV) {
			has_netdev = true;
			continue;
		}
		has_ipt = true;
		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *c = &t->chains[i];
			bool dup = false;
			if (c->hook == BF_NFT_HOOK_NONE ||
			    nft_kernel_base(t, c))
				continue; /* none, or the kernel's (kernpart.c) */
			if (c->priority == INT_MIN || c->priority == INT_MAX) {
				/* BPF_LINK_CREATE answers -ERANGE */
				nft_unsupported(
					&errs, &c->loc,
					"chain %s: priority %d: the kernel refuses NF_IP_PRI_FIRST and NF_IP_PRI_LAST to BPF netfilter links",
					c->name, c->priority);
				continue;
			}
			for (size_t k = 0; k < n_prios; k++)
				dup |= prios[k] == c->priority;
			if (dup)
				continue;
			if (n_prios == cap) {
				int *v = realloc(prios,
						 (cap * 2 + 4) * sizeof(*v));
				if (!v)
					return -ENOMEM;
				prios = v;
				cap = cap * 2 + 4;
			}
			prios[n_prios++] = c->priority;
		}
	}
	if (n_prios)
		qsort(prios, n_prios, sizeof(*prios), cmp_int);
	/* Without netdev tables a ruleset always has its nf target, even
	 * empty (as `flush ruleset` leaves nothing): the slot "nf" at
	 * priority 0 when no base chain says otherwise. */
	if (!n_prios && (has_ipt || !has_netdev)) {
		prios = calloc(1, sizeof(*prios));
		if (!prios)
			return -ENOMEM;
		n_prios = 1;
	}
	for (size_t k = 0; k < n_prios && !r; k++) {
		struct bf_nft_target *tg = grow(&tgs, &n);
		if (!tg) {
			r = -ENOMEM;
			break;
		}
		tg->kind = BF_NFT_TARGET_NF;
		tg->priority = prios[k];
		r = build_view(nft, tg, want_ipt, pick_nf, k == 0);
		if (!r && tg->priority) /* place.c */
			tg->points = nft_target_points(&tg->view, tg->priority);
	}
	for (size_t ti = 0; ti < nft->n_tables && !r; ti++)
		r = limit_across_slots(&nft->tables[ti], &errs);
	for (size_t ti = 0; ti < nft->n_tables && !r; ti++) {
		const struct bf_nft_table *t = &nft->tables[ti];
		if (t->family != BF_NFT_FAMILY_NETDEV)
			continue;
		for (size_t i = 0; i < t->n_chains && !r; i++) {
			const struct bf_nft_chain *c = &t->chains[i];
			enum bf_nft_target_kind kind = BF_NFT_TARGET_TC;
			bool dup = false;
			if (c->hook == BF_NFT_HOOK_NONE)
				continue;
			if (!n_devs(c) || !*dev_at(c, 0)) {
				nft_error(
					&errs, &c->loc,
					"netdev chain %s: no device (type filter hook %s device NAME priority P)",
					c->name, bf_nft_hook_name(c->hook));
				continue;
			}
			bool bad = false;
			for (size_t d = 0; d < n_devs(c); d++) {
				const char *dn = dev_at(c, d);
				if (*dn && strlen(dn) < BF_IFNAMSIZ &&
				    !strchr(dn, '/'))
					continue;
				nft_error(
					&errs, &c->loc,
					"netdev chain %s: '%s' is not an interface name",
					c->name, dn);
				bad = true;
			}
			if (bad)
				continue;
			if (xdp && c->hook == BF_NFT_HOOK_EGRESS) {
				nft_unsupported(
					&errs, &c->loc,
					"netdev chain %s: hook egress with --hook xdp (XDP sees received frames only; without --hook xdp egress goes to tc)",
					c->name);
				continue;
			}
			if (xdp)
				kind = BF_NFT_TARGET_XDP;
			for (size_t d = 0; d < n_devs(c) && !r; d++) {
				const char *dn = dev_at(c, d);
				struct bf_nft_target *tg;
				dup = false;
				for (size_t k = 0; k < n; k++)
					dup |= tgs[k].kind == kind &&
					       !strcmp(tgs[k].ifname, dn);
				if (dup)
					continue;
				tg = grow(&tgs, &n);
				if (!tg) {
					r = -ENOMEM;
					break;
				}
				tg->kind = kind;
				snprintf(tg->ifname, sizeof(tg->ifname), "%s",
					 dn);
				tg->dev_loc = c->dev_loc.file ? c->dev_loc :
								c->loc;
				r = build_view(nft, tg, want_netdev, pick_dev,
					       true);
			}
		}
	}
	if (!r)
		r = nft_errs_ret(&errs);
	if (r) {
		bf_nft_targets_free(&tgs, n);
		return r;
	}
	*out = tgs;
	*n_out = n;
	return 0;
}

/* ---- netdev chains: what differs from ip / ip6 / inet ---- */

enum {
	NONIP_FALSE = 0, /* cannot match a frame that is not IPv4/IPv6 */
	NONIP_TRUE, /* matches every such frame */
	NONIP_MAYBE,
};

static bool ethertype_ip(uint64_t v)
{
	return v == 0x0800 || v == 0x86dd;
}

/* A frame that is neither IPv4 nor IPv6 (ARP, ...) against one match
 * statement of a netdev chain. nft gives payload expressions of the
 * network and transport headers a dependency on the frame's protocol
 * (`meta protocol ip`, or `meta l4proto`, which only IPv4/IPv6 frames
 * have: nft_do_chain_netdev() sets the transport protocol for those
 * only), so they fail on such frames. */
static int nonip_match(const struct bf_nft_stmt *s)
{
	const struct bf_nft_expr *l = s->u.match.lhs;
	const struct bf_nft_expr *rhs = s->u.match.rhs;
	const struct bf_nft_field *f;

	while (l->kind == BF_NFT_E_BINOP)
		l = l->sub[0];
	if (l->kind == BF_NFT_E_CONCAT) {
		for (size_t k = 0; k < l->n_sub; k++) {
			const struct bf_nft_field *cf =
				l->sub[k]->kind == BF_NFT_E_FIELD ?
					l->sub[k]->field :
					NULL;
			if (cf &&
			    (cf->nfamily >= 0 || cf->base == BF_NFT_BASE_NH ||
			     cf->base == BF_NFT_BASE_TH))
				return NONIP_FALSE;
		}
		return NONIP_MAYBE;
	}
	f = l->kind == BF_NFT_E_FIELD ? l->field : NULL;
	if (!f)
		return NONIP_MAYBE;
	if (f->nfamily >= 0 || f->base == BF_NFT_BASE_NH ||
	    f->base == BF_NFT_BASE_TH)
		return NONIP_FALSE;
	if (!strcmp(f->proto, "meta") && f->id == BF_NFT_META_L4PROTO)
		return NONIP_FALSE;
	if (!strcmp(f->proto, "meta") && f->id == BF_NFT_META_PROTOCOL &&
	    l == s->u.match.lhs) {
		bool all_ip = true;
		bool eq = s->u.match.op == BF_NFT_OP_EQ ||
			  s->u.match.op == BF_NFT_OP_IMPLICIT;
		if (rhs->kind == BF_NFT_E_VALUE)
			all_ip = ethertype_ip(rhs->num);
		else if (rhs->kind == BF_NFT_E_SET)
			for (size_t k = 0; k < rhs->n_sub; k++)
				all_ip &= rhs->sub[k]->kind == BF_NFT_E_VALUE &&
					  ethertype_ip(rhs->sub[k]->num);
		else
			all_ip = false;
		if (all_ip && eq)
			return NONIP_FALSE;
		if (all_ip && s->u.match.op == BF_NFT_OP_NE)
			return NONIP_TRUE;
	}
	return NONIP_MAYBE;
}

/* Outcomes of a chain for such a frame */
enum {
	OUT_ACCEPT = 1 << 0,
	OUT_DROP = 1 << 1,
	OUT_RETURN = 1 << 2, /* return, or the end of the chain */
	OUT_NEXT = 1 << 3, /* the next rule (a rule's own outcome only) */
};

static unsigned int nonip_chain(const struct bf_nft_table *t,
				const struct bf_nft_chain *ch, int depth);

static unsigned int nonip_rule(const struct bf_nft_table *t,
			       const struct bf_nft_rule *r, int depth,
			       int *match)
{
	unsigned int outs = OUT_NEXT;

	*match = NONIP_TRUE;
	for (size_t j = 0; j < r->n_stmts; j++) {
		const struct bf_nft_stmt *s = &r->stmts[j];
		switch (s->kind) {
		case BF_NFT_S_MATCH:
			if (s->u.match.op == BF_NFT_OP_VMAP) {
				int m = nonip_match(s);
				if (m == NONIP_FALSE)
					*match = NONIP_FALSE;
				else
					outs = OUT_ACCEPT | OUT_DROP |
					       OUT_RETURN | OUT_NEXT;
				break;
			}
			switch (nonip_match(s)) {
			case NONIP_FALSE:
				*match = NONIP_FALSE;
				break;
			case NONIP_MAYBE:
				if (*match == NONIP_TRUE)
					*match = NONIP_MAYBE;
				break;
			default:
				break;
			}
			break;
		case BF_NFT_S_BPF:
			if (s->u.bpf.verdict)
				outs = OUT_ACCEPT | OUT_DROP | OUT_NEXT;
			else if (*match == NONIP_TRUE)
				*match = NONIP_MAYBE;
			break;
		case BF_NFT_S_LIMIT:
			if (*match == NONIP_TRUE)
				*match = NONIP_MAYBE;
			break;
		case BF_NFT_S_REJECT:
			/* nft_reject_netdev_eval(): other protocols are
			 * dropped without a reply */
			outs = OUT_DROP;
			break;
		case BF_NFT_S_VERDICT: {
			const struct bf_nft_chain *nx;
			unsigned int w;
			switch (s->u.verdict.verdict) {
			case BF_NFT_V_ACCEPT:
				outs = OUT_ACCEPT;
				break;
			case BF_NFT_V_DROP:
				outs = OUT_DROP;
				break;
			case BF_NFT_V_RETURN:
				outs = OUT_RETURN;
				break;
			case BF_NFT_V_JUMP:
			case BF_NFT_V_GOTO:
				nx = bf_nft_chain_find(t, s->u.verdict.chain);
				w = nx ? nonip_chain(t, nx, depth + 1) :
					 OUT_ACCEPT | OUT_DROP | OUT_RETURN;
				outs = w & (OUT_ACCEPT | OUT_DROP);
				if (w & OUT_RETURN)
					outs |= s->u.verdict.verdict ==
								BF_NFT_V_JUMP ?
							OUT_NEXT :
							OUT_RETURN;
				break;
			default:
				break;
			}
			break;
		}
		default:
			break;
		}
	}
	return outs;
}

static unsigned int nonip_chain(const struct bf_nft_table *t,
				const struct bf_nft_chain *ch, int depth)
{
	unsigned int res = 0;

	if (depth > 16)
		return OUT_ACCEPT | OUT_DROP | OUT_RETURN;
	for (size_t i = 0; i < ch->n_rules; i++) {
		int m;
		unsigned int outs = nonip_rule(t, &ch->rules[i], depth, &m);
		if (m == NONIP_FALSE)
			continue;
		res |= outs & ~(unsigned int)OUT_NEXT;
		if (m == NONIP_TRUE && !(outs & OUT_NEXT))
			return res;
	}
	return res | OUT_RETURN;
}

static bool is_field(const struct bf_nft_expr *e, const char *proto, int id)
{
	while (e && e->kind == BF_NFT_E_BINOP)
		e = e->sub[0];
	return e && e->kind == BF_NFT_E_FIELD &&
	       !strcmp(e->field->proto, proto) &&
	       (id < 0 || e->field->id == id);
}

/* What a netdev chain may not use: refused with the statement's place. */
static void netdev_stmts(const struct bf_nft_chain *ch, bool ingress,
			 struct nft_errs *errs)
{
	for (size_t i = 0; i < ch->n_rules; i++) {
		const struct bf_nft_rule *r = &ch->rules[i];
		for (size_t j = 0; j < r->n_stmts; j++) {
			const struct bf_nft_stmt *s = &r->stmts[j];
			const struct bf_nft_expr *l =
				s->kind == BF_NFT_S_MATCH ? s->u.match.lhs :
				s->kind == BF_NFT_S_SET	  ? s->u.set.lhs :
							    NULL;
			if (!l)
				continue;
			if (is_field(l, "ct", -1))
				nft_unsupported(
					errs, &s->loc,
					"ct in netdev chain %s: %s", ch->name,
					ingress ?
						"at ingress conntrack has not seen the packet yet (nf_conntrack_in() runs at prerouting)" :
						"bpfilter's tc programs do not read conntrack (doc/hooks.md)");
			else if (is_field(l, "meta", BF_NFT_META_NFPROTO))
				nft_unsupported(
					errs, &s->loc,
					"meta nfproto in netdev chain %s: it is netdev there for every packet (use meta protocol)",
					ch->name);
			else if (is_field(l, "meta", BF_NFT_META_LENGTH))
				nft_unsupported(
					errs, &s->loc,
					"meta length in netdev chain %s: the skb length at %s is not the IP length the IR compares (use ip length / ip6 length)",
					ch->name,
					ingress ? "ingress" : "egress");
		}
	}
}

/* The checks of a netdev target before lowering: statements netdev
 * cannot give, and frames that are neither IPv4 nor IPv6. bpfilter's tc
 * and xdp programs accept those untouched (doc/hooks.md), while a netdev
 * chain judges every frame: accepted only when the chain accepts every
 * such frame (each base chain's policy, and every rule that may match
 * one), refused otherwise. */
int nft_netdev_check(const struct bf_nft *view, struct nft_errs *errs)
{
	for (size_t ti = 0; ti < view->n_tables; ti++) {
		const struct bf_nft_table *t = &view->tables[ti];
		bool any_ingress = false;
		if (t->family != BF_NFT_FAMILY_NETDEV)
			continue;
		for (size_t i = 0; i < t->n_chains; i++)
			any_ingress |= t->chains[i].hook == BF_NFT_HOOK_INGRESS;
		for (size_t i = 0; i < t->n_chains; i++)
			if (t->chains[i].hook == BF_NFT_HOOK_NONE)
				netdev_stmts(&t->chains[i], any_ingress, errs);
		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *ch = &t->chains[i];
			unsigned int w;
			bool ingress = true;
			if (ch->hook == BF_NFT_HOOK_NONE)
				continue;
			ingress = ch->hook == BF_NFT_HOOK_INGRESS;
			netdev_stmts(ch, ingress, errs);
			w = nonip_chain(t, ch, 0);
			if ((w & OUT_DROP) ||
			    ((w & OUT_RETURN) && ch->policy == BF_NFT_V_DROP))
				nft_unsupported(
					errs, &ch->loc,
					"netdev chain %s may drop frames that are neither IPv4 nor IPv6 (%s): bpfilter's tc/xdp programs let those through; accept them first (meta protocol != { ip, ip6 } accept)",
					ch->name,
					(w & OUT_DROP) ?
						"a rule that can match them drops" :
						"policy drop");
		}
	}
	return 0;
}

/* ---- netdev tables lowered as inet ones ---- */

/* What the lowering of a netdev target owns besides the view: the chain,
 * rule and statement arrays of the inet form (their contents borrowed). */
struct inet_form {
	struct bf_nft nft;
	void **owned;
	size_t n_owned;
	bool oom;
};

static void *own(struct inet_form *f, size_t size)
{
	void *p = calloc(1, size ? size : 1);
	void **v;

	if (!p) {
		f->oom = true;
		return NULL;
	}
	v = realloc(f->owned, (f->n_owned + 1) * sizeof(*v));
	if (!v) {
		free(p);
		f->oom = true;
		return NULL;
	}
	f->owned = v;
	v[f->n_owned++] = p;
	return p;
}

static void inet_form_free(struct inet_form *f)
{
	for (size_t i = 0; i < f->n_owned; i++)
		free(f->owned[i]);
	free(f->owned);
	f->owned = NULL;
	f->n_owned = 0;
}

/* `meta protocol [!=] { ... }`: the IP families it lets through (bit 0
 * IPv4, bit 1 IPv6), and the set's element for each family; -1 when it
 * is no such statement (or a set with other than plain values). */
static int proto_set_fams(const struct bf_nft_stmt *s,
			  const struct bf_nft_expr *el[2])
{
	const struct bf_nft_expr *rhs = s->u.match.rhs;
	int f = 0;

	if (s->kind != BF_NFT_S_MATCH ||
	    !is_field(s->u.match.lhs, "meta", BF_NFT_META_PROTOCOL) ||
	    s->u.match.lhs->kind != BF_NFT_E_FIELD ||
	    rhs->kind != BF_NFT_E_SET ||
	    (s->u.match.op != BF_NFT_OP_EQ &&
	     s->u.match.op != BF_NFT_OP_IMPLICIT &&
	     s->u.match.op != BF_NFT_OP_NE))
		return -1;
	el[0] = el[1] = NULL;
	for (size_t k = 0; k < rhs->n_sub; k++) {
		const struct bf_nft_expr *e = rhs->sub[k];
		if (e->kind != BF_NFT_E_VALUE)
			return -1;
		if (e->num == 0x0800) {
			f |= 1;
			el[0] = e;
		} else if (e->num == 0x86dd) {
			f |= 2;
			el[1] = e;
		}
	}
	return s->u.match.op == BF_NFT_OP_NE ? 3 & ~f : f;
}

/* A rule of a netdev chain in the form the inet lowering reads: a `meta
 * protocol` set test becomes what it means for IP packets (a rule for no
 * IP family is left out: *keep false; for both, the test goes; for one,
 * `meta protocol ip` or `!= ip6`, which the lowering turns into the
 * rule's family). The lowering reads sets of `meta protocol` as one rule
 * per element and single values as a family, hence this. */
static int netdev_rule(struct inet_form *f, const struct bf_nft_rule *in,
		       struct bf_nft_rule *out, bool *keep)
{
	struct bf_nft_stmt *stmts = NULL;
	size_t n = 0;

	*out = *in;
	*keep = true;
	for (size_t j = 0; j < in->n_stmts; j++) {
		const struct bf_nft_expr *el[2];
		if (proto_set_fams(&in->stmts[j], el) < 0)
			continue;
		stmts = own(f, in->n_stmts * sizeof(*stmts));
		if (!stmts)
			return -ENOMEM;
		break;
	}
	if (!stmts)
		return 0;
	for (size_t j = 0; j < in->n_stmts; j++) {
		const struct bf_nft_stmt *s = &in->stmts[j];
		const struct bf_nft_expr *el[2];
		int fams = proto_set_fams(s, el);
		if (fams < 0) {
			stmts[n++] = *s;
			continue;
		}
		if (!fams) {
			*keep = false;
			return 0;
		}
		if (fams == 3)
			continue;
		stmts[n] = *s;
		/* borrowed, read only by the lowering */
		if (el[fams - 1]) { /* == the family's element */
			stmts[n].u.match.op = BF_NFT_OP_EQ;
			stmts[n].u.match.rhs =
				(struct bf_nft_expr *)el[fams - 1];
		} else { /* != the other family's element */
			stmts[n].u.match.op = BF_NFT_OP_NE;
			stmts[n].u.match.rhs =
				(struct bf_nft_expr *)el[2 - fams];
		}
		n++;
	}
	out->stmts = stmts;
	out->n_stmts = n;
	return 0;
}

/* The view of a tc / xdp target as inet tables: every netdev table an
 * inet one (its rules then go to both families, or the one an ip or ip6
 * field names: the same as netdev's payload dependencies), ingress chains
 * at input and egress chains at output (a tc slot's INPUT and OUTPUT,
 * doc/hooks.md). */
static int inet_form(const struct bf_nft *view, struct inet_form *f)
{
	f->nft = *view;
	f->nft.tables = own(f, view->n_tables * sizeof(*f->nft.tables));
	if (!f->nft.tables)
		return -ENOMEM;
	for (size_t ti = 0; ti < view->n_tables; ti++) {
		const struct bf_nft_table *t = &view->tables[ti];
		struct bf_nft_table *vt = &f->nft.tables[ti];
		*vt = *t;
		if (t->family != BF_NFT_FAMILY_NETDEV)
			continue;
		vt->family = BF_NFT_FAMILY_INET;
		vt->chains = own(f, t->n_chains * sizeof(*vt->chains));
		if (!vt->chains)
			return -ENOMEM;
		for (size_t i = 0; i < t->n_chains; i++) {
			const struct bf_nft_chain *c = &t->chains[i];
			struct bf_nft_chain *vc = &vt->chains[i];
			*vc = *c;
			if (c->hook == BF_NFT_HOOK_INGRESS)
				vc->hook = BF_NFT_HOOK_INPUT;
			else if (c->hook == BF_NFT_HOOK_EGRESS)
				vc->hook = BF_NFT_HOOK_OUTPUT;
			vc->rules = own(f, c->n_rules * sizeof(*vc->rules));
			if (!vc->rules)
				return -ENOMEM;
			vc->n_rules = 0;
			for (size_t j = 0; j < c->n_rules; j++) {
				bool keep;
				int r = netdev_rule(f, &c->rules[j],
						    &vc->rules[vc->n_rules],
						    &keep);
				if (r)
					return r;
				vc->n_rules += keep;
			}
		}
	}
	return 0;
}

int bf_nft_lower_target(const struct bf_nft_target *tg, struct bf_ruleset *rs,
			bool map_sets)
{
	struct nft_errs errs = { 0 };
	struct inet_form f = { 0 };
	int r;

	if (tg->kind == BF_NFT_TARGET_NF)
		return map_sets ? bf_nft_lower_sets(&tg->view, rs) :
				  bf_nft_lower(&tg->view, rs);
	nft_netdev_check(&tg->view, &errs);
	r = nft_errs_ret(&errs);
	if (!r)
		r = inet_form(&tg->view, &f);
	if (!r)
		r = map_sets ? bf_nft_lower_sets(&f.nft, rs) :
			       bf_nft_lower(&f.nft, rs);
	inet_form_free(&f);
	return r;
}
