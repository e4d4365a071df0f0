// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cgen/m_set.h"
#include "check/check.h"

static const char *const attach_names[BF_ATTACH_COUNT] = {
	[BF_ATTACH_NF] = "nf",
	[BF_ATTACH_TC] = "tc",
	[BF_ATTACH_XDP] = "xdp",
};
_Static_assert(ARRAY_SIZE(attach_names) == BF_ATTACH_COUNT, "attach names");

const char *bf_attach_name(enum bf_attach_kind attach)
{
	return (unsigned)attach < BF_ATTACH_COUNT ? attach_names[attach] : "?";
}

#define AT(k) (1u << (k))
#define AT_ALL (AT(BF_ATTACH_NF) | AT(BF_ATTACH_TC) | AT(BF_ATTACH_XDP))

/* Attachment kinds at which each match can be compiled. Conntrack state
 * exists only from the netfilter hooks on (nf_conntrack_in() runs at
 * PRE_ROUTING / LOCAL_OUT): xdp and tc ingress run before it, so a ctstate
 * match there would have nothing to read. */
static const unsigned int match_attach[BF_MATCH_COUNT] = {
	[BF_MATCH_L4PROTO] = AT_ALL,
	[BF_MATCH_SADDR] = AT_ALL,
	[BF_MATCH_DADDR] = AT_ALL,
	[BF_MATCH_IIFNAME] = AT_ALL,
	[BF_MATCH_OIFNAME] = AT_ALL,
	[BF_MATCH_FRAG] = AT_ALL,
	[BF_MATCH_L4HDR] = AT_ALL,
	[BF_MATCH_SPORT] = AT_ALL,
	[BF_MATCH_DPORT] = AT_ALL,
	[BF_MATCH_TCPFLAGS] = AT_ALL,
	[BF_MATCH_ICMP] = AT_ALL,
	[BF_MATCH_MULTIPORT] = AT_ALL,
	[BF_MATCH_SRANGE] = AT_ALL,
	[BF_MATCH_DRANGE] = AT_ALL,
	/* The code generator can look conntrack entries up at tc and xdp
	 * (bpf_skb_ct_lookup / bpf_xdp_ct_lookup), but only for TCP and UDP
	 * and it never sees INVALID: a rule dropping INVALID would pass what
	 * iptables drops. Until that is exact, ctstate is nf only. */
	[BF_MATCH_CTSTATE] = AT(BF_ATTACH_NF),
	[BF_MATCH_COMMENT] = AT_ALL,
	[BF_MATCH_LENGTH] = AT_ALL,
	[BF_MATCH_TTL] = AT_ALL,
	[BF_MATCH_LIMIT] = AT_ALL,
	[BF_MATCH_STATISTIC] = AT_ALL,
	/* xt_recent tables are per namespace, shared by every program
	 * (cgen/m_recent.h, doc/stateful.md) */
	[BF_MATCH_RECENT] = AT_ALL,
	[BF_MATCH_HASHLIMIT] = AT_ALL, /* per name and family, likewise */
	[BF_MATCH_MAC] = AT_ALL,
	/* skb->mark and skb->pkt_type exist from the stack on (tc, nf);
	 * XDP runs before an skb is built. */
	[BF_MATCH_MARK] = AT(BF_ATTACH_NF) | AT(BF_ATTACH_TC),
	[BF_MATCH_PKTTYPE] = AT(BF_ATTACH_NF) | AT(BF_ATTACH_TC),
	/* ct->mark is read from the packet's own conntrack entry. */
	[BF_MATCH_CONNMARK] = AT(BF_ATTACH_NF),
	/* cgen/mext.h; bf_mx_scan() refuses the combinations that need
	 * what a hook cannot read (doc/hooks.md) */
	[BF_MATCH_ADDRTYPE] = AT_ALL,
	[BF_MATCH_TIME] = AT_ALL,
	[BF_MATCH_TCPMSS] = AT_ALL,
	[BF_MATCH_RT] = AT_ALL,
	[BF_MATCH_OWNER] = AT(BF_ATTACH_NF),
	[BF_MATCH_CONNTRACK] = AT(BF_ATTACH_NF),
	/* user BPF code sees the packet from its L3 header everywhere */
	[BF_MATCH_BPF] = AT_ALL,
	/* set lookups in BPF maps (cgen/m_set.h); bf_set_check() says
	 * what a set needs */
	[BF_MATCH_SET] = AT_ALL,
	/* nft's limit and th ports (cgen/m_nft.c) */
	[BF_MATCH_NFT_LIMIT] = AT_ALL,
	[BF_MATCH_TH_SPORT] = AT_ALL,
	[BF_MATCH_TH_DPORT] = AT_ALL,
	/* state->in / state->out of the netfilter hook */
	[BF_MATCH_IIF] = AT(BF_ATTACH_NF),
	[BF_MATCH_OIF] = AT(BF_ATTACH_NF),
	/* the link-layer header (cgen/m_ether.c) */
	[BF_MATCH_ETH_DADDR] = AT_ALL,
	[BF_MATCH_ETH_TYPE] = AT_ALL,
	/* XDP: a tagged frame is not IPv4/IPv6 to the prologue, no rule
	 * sees it (nft's netdev ingress sees it untagged) */
	[BF_MATCH_VLAN] = AT(BF_ATTACH_NF) | AT(BF_ATTACH_TC),
	[BF_MATCH_DSFIELD] = AT_ALL, /* the IP header */
	[BF_MATCH_ECN] = AT_ALL, /* IP and TCP headers (cgen/m_ecn.c) */
	[BF_MATCH_ESP] = AT_ALL, /* the ESP header */
	/* nft's payload loads (cgen/m_payload.c) */
	[BF_MATCH_PAYLOAD] = AT_ALL,
	[BF_MATCH_U32] = AT_ALL, /* from the network header */
	[BF_MATCH_QUOTA] = AT_ALL, /* a counter in the program's state */
	/* the skb's sec_path and route (cgen/m_policy.c) */
	[BF_MATCH_POLICY] = AT(BF_ATTACH_NF),
	/* the conntrack entry's master (cgen/m_ctext.c) */
	[BF_MATCH_HELPER] = AT(BF_ATTACH_NF),
	[BF_MATCH_CONNBYTES] = AT(BF_ATTACH_NF),
	/* IPv6 extension headers, AH (cgen/m_exthdr.c) */
	[BF_MATCH_FRAG6] = AT_ALL,
	[BF_MATCH_OPTS6] = AT_ALL,
	[BF_MATCH_AH] = AT_ALL,
	[BF_MATCH_MH] = AT_ALL, /* the transport header */
};

/* Hooks (bit per enum bf_hook) from which the kernel lets a match be used
 * (the .hooks of its struct xt_match); 0 = every hook. The kernel refuses
 * a table where a chain using the match is reachable from another hook
 * (xt_check_match()), and so do we. */
static const unsigned int match_hooks[BF_MATCH_COUNT] = {
	/* xt_mac: PRE_ROUTING, LOCAL_IN, FORWARD */
	[BF_MATCH_MAC] = (1u << BF_HOOK_INPUT) | (1u << BF_HOOK_FORWARD),
	/* xt_owner: LOCAL_OUT, POST_ROUTING */
	[BF_MATCH_OWNER] = 1u << BF_HOOK_OUTPUT,
};
_Static_assert(ARRAY_SIZE(match_attach) == BF_MATCH_COUNT, "match table");

/* match_hooks[], or what the match's options allow: policy_mt_check()
 * refuses --dir out in PREROUTING / INPUT and --dir in in POSTROUTING /
 * OUTPUT */
static unsigned int match_hooks_of(const struct bf_match *m)
{
	if (m->type == BF_MATCH_POLICY)
		return m->u.policy.flags & BF_POLICY_IN ?
			       (1u << BF_HOOK_INPUT) | (1u << BF_HOOK_FORWARD) :
			       (1u << BF_HOOK_FORWARD) | (1u << BF_HOOK_OUTPUT);
	return match_hooks[m->type];
}

/* Hooks that exist at each attachment kind. */
static const unsigned int attach_hooks[BF_ATTACH_COUNT] = {
	[BF_ATTACH_NF] = (1u << BF_HOOK_INPUT) | (1u << BF_HOOK_FORWARD) |
			 (1u << BF_HOOK_OUTPUT),
	[BF_ATTACH_TC] = (1u << BF_HOOK_INPUT) | (1u << BF_HOOK_OUTPUT),
	[BF_ATTACH_XDP] = (1u << BF_HOOK_INPUT),
};

struct ctx {
	const struct bf_ruleset *rs;
	enum bf_attach_kind attach;
	/* per chain: 0 unvisited, 1 on the DFS stack, 2 done */
	unsigned char *state;
	/* per chain: frames needed to run it (itself included), 0 = unknown */
	int *frames;
	/* per chain: the rule whose jump needs the most frames, or -1 */
	long *deepest;
	/* per chain per rule: index of the jump target or -1 */
	long **target;
	int errors;
	bool looped; /* a loop was reported: DFS marks are unreliable */
};

static const char *chain_file(const struct bf_ruleset *rs,
			      const struct bf_chain *c)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		if (c->rules[i].file)
			return c->rules[i].file;
	}
	return rs->n_files ? rs->files[rs->n_files - 1] : NULL;
}

static long chain_index(const struct bf_ruleset *rs, enum bf_family family,
			const char *name)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].family == family &&
		    strcmp(rs->chains[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

static bool is_jump(const struct bf_rule *r)
{
	return r->verdict.kind == BF_VERDICT_JUMP ||
	       r->verdict.kind == BF_VERDICT_GOTO;
}

/* Resolve jump targets; report missing or built-in targets. */
static int resolve_targets(struct ctx *x)
{
	const struct bf_ruleset *rs = x->rs;

	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		x->target[i] =
			calloc(c->n_rules ? c->n_rules : 1, sizeof(long));
		if (!x->target[i])
			return -ENOMEM;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct bf_rule *r = &c->rules[j];
			long t;

			x->target[i][j] = -1;
			if (!is_jump(r))
				continue;
			t = chain_index(rs, r->family, r->verdict.chain);
			if (t < 0) {
				bf_log_at(BF_LOG_ERROR, r->file, r->line, 0,
					  "%s chain '%s' does not exist in the "
					  "%s table (jump from chain '%s')",
					  r->verdict.kind == BF_VERDICT_GOTO ?
						  "goto target" :
						  "jump target",
					  r->verdict.chain,
					  bf_family_name(r->family), c->name);
				x->errors++;
				continue;
			}
			if (rs->chains[t].builtin) {
				bf_log_at(BF_LOG_ERROR, r->file, r->line, 0,
					  "cannot jump to built-in chain '%s'",
					  r->verdict.chain);
				x->errors++;
				continue;
			}
			x->target[i][j] = t;
		}
	}
	return 0;
}

/* Depth-first walk from chain i: find loops and the frames each chain
 * needs. A -g target runs in a frame of its own too: the code generator
 * calls it and returns its verdict, so it costs the same as -j.
 * Returns false when a loop was reported (the walk stops there). */
static bool walk(struct ctx *x, long i)
{
	const struct bf_chain *c = &x->rs->chains[i];
	int best = 0;

	if (x->state[i] == 2)
		return true;
	x->state[i] = 1;
	x->deepest[i] = -1;
	for (size_t j = 0; j < c->n_rules; j++) {
		long t = x->target[i][j];
		const struct bf_rule *r = &c->rules[j];

		if (t < 0)
			continue;
		if (x->state[t] == 1) {
			bf_log_at(BF_LOG_ERROR, r->file, r->line, 0,
				  "%s from chain '%s' to '%s' makes a loop "
				  "(iptables refuses chain loops)",
				  r->verdict.kind == BF_VERDICT_GOTO ? "goto" :
								       "jump",
				  c->name, r->verdict.chain);
			x->errors++;
			return false;
		}
		if (!walk(x, t))
			return false;
		if (x->frames[t] > best) {
			best = x->frames[t];
			x->deepest[i] = (long)j;
		}
	}
	x->frames[i] = best + 1;
	x->state[i] = 2;
	return true;
}

/* Report a built-in chain needing too many frames, with the chain path. */
static void report_depth(struct ctx *x, long b)
{
	const struct bf_ruleset *rs = x->rs;
	char path[1024];
	size_t len = 0;
	const struct bf_rule *culprit = NULL;
	int depth = 0;

	path[0] = '\0';
	for (long i = b; i >= 0 && len < sizeof(path) - 40;) {
		const struct bf_chain *c = &rs->chains[i];
		long j = x->deepest[i];

		len += (size_t)snprintf(path + len, sizeof(path) - len, "%s%s",
					len ? " -> " : "", c->name);
		depth++;
		if (j < 0)
			break;
		/* +1: the program's entry frame comes first */
		if (depth + 1 == BF_CHECK_MAX_FRAMES)
			culprit = &c->rules[j];
		i = x->target[i][j];
	}
	if (!culprit)
		return;
	bf_log_at(BF_LOG_ERROR, culprit->file, culprit->line, 0,
		  "chain nesting too deep for BPF: %s needs %d call frames, at "
		  "most %d are supported (path: %s)",
		  rs->chains[b].name, x->frames[b] + 1, BF_CHECK_MAX_FRAMES,
		  path);
	x->errors++;
}

static void check_hook_use(struct ctx *x, const struct bf_chain *c)
{
	const char *why;

	if (attach_hooks[x->attach] & (1u << c->hook))
		return;
	why = c->hook == BF_HOOK_FORWARD ?
		      "tc and xdp see packets per interface, not the "
		      "forwarding path; use --hook nf" :
		      "xdp sees only received packets; use --hook tc or nf";
	if (c->n_rules) {
		const struct bf_rule *r = &c->rules[0];

		bf_log_at(BF_LOG_ERROR, r->file, r->line, 0,
			  "%s %s rules cannot be attached at %s: %s",
			  bf_family_name(c->family), c->name,
			  bf_attach_name(x->attach), why);
		x->errors++;
	}
	if (c->policy != BF_VERDICT_ACCEPT) {
		bf_log_at(BF_LOG_ERROR, chain_file(x->rs, c), c->line, 0,
			  "%s %s policy %s cannot be enforced at %s: %s",
			  bf_family_name(c->family), c->name,
			  bf_verdict_name(c->policy), bf_attach_name(x->attach),
			  why);
		x->errors++;
	}
}

/* Verdicts the code generator compiles (emit_verdict() in cgen.c). The
 * other extension targets (REJECT, NFLOG, ...) are parsed but not
 * compiled yet. */
static bool verdict_supported(enum bf_verdict_kind kind)
{
	return kind <= BF_VERDICT_GOTO || kind == BF_VERDICT_LOG ||
	       kind == BF_VERDICT_REJECT || kind == BF_VERDICT_NFLOG ||
	       kind == BF_VERDICT_MARK || kind == BF_VERDICT_CONNMARK ||
	       kind == BF_VERDICT_BPF || kind == BF_VERDICT_NFT_NEXT;
}

/* Why an extension target cannot be compiled at an attachment kind (NULL:
 * it can). What each hook can do to a packet is in doc/hooks.md. */
static const char *verdict_refusal(enum bf_verdict_kind kind,
				   enum bf_attach_kind attach)
{
	switch (kind) {
	case BF_VERDICT_MARK:
		if (attach == BF_ATTACH_NF)
			return "BPF netfilter programs cannot write the "
			       "packet (skb->mark is read-only to them); "
			       "use --hook tc";
		if (attach == BF_ATTACH_XDP)
			return "XDP frames have no mark (there is no skb "
			       "yet); use --hook tc";
		return NULL;
	case BF_VERDICT_CONNMARK:
		if (attach == BF_ATTACH_NF)
			return "BPF netfilter programs can neither write "
			       "the packet's mark nor its conntrack entry";
		return "conntrack has not seen the packet yet at tc and xdp "
		       "(nf_conntrack_in() runs at PRE_ROUTING / "
		       "LOCAL_OUT), so its entry cannot be marked there";
	case BF_VERDICT_TCPMSS:
		/* doc/front-ipt.md: moving it to the kernel's mangle table
		 * is the user's call (earlier filter rules' ACCEPTs) */
		if (attach == BF_ATTACH_NF)
			return "it rewrites the MSS option and the TCP "
			       "checksum, and BPF netfilter programs cannot "
			       "write the packet; MSS clamping belongs in the "
			       "mangle table (-t mangle -A FORWARD ... -j "
			       "TCPMSS), which --other-tables=kernel hands to "
			       "the kernel's iptables-restore";
		return "bpfilter does not rewrite TCP options; MSS clamping "
		       "belongs in the mangle table (-t mangle), which "
		       "--other-tables=kernel hands to the kernel's "
		       "iptables-restore";
	default:
		return NULL;
	}
}

/* Was r read back from a slot's state in force ("<SLOT FAMILY state>",
 * the name bf_edit() and the resident daemon give that text)? */
static bool from_state(const struct bf_rule *r)
{
	size_t n = r->file ? strlen(r->file) : 0;

	return n > 7 && r->file[0] == '<' &&
	       !strcmp(r->file + n - 7, " state>");
}

/* REJECT at the netfilter hooks: the packet is dropped, nothing is
 * sent. Said once per rule, as a warning, when the rule comes in: not
 * again for the rules already in force at each later change (`iptables
 * -A` after an `iptables -I ... -j REJECT`). */
static void warn_reject_nf(const struct bf_rule *r)
{
	if (from_state(r))
		return;
	bf_log_at(BF_LOG_WARN, r->file, r->line, 0,
		  "target 'REJECT' at nf: BPF netfilter programs can only "
		  "accept or drop, so the packet is dropped and no %s is "
		  "sent (use --hook tc or xdp for replies; doc/hooks.md)",
		  r->verdict.u.reject.with == BF_REJECT_TCP_RESET ?
			  "TCP reset" :
		  r->family == BF_FAMILY_INET6 ? "ICMPv6 error" :
						 "ICMP error");
}

bool bf_check_match_supported(enum bf_match_type type,
			      enum bf_attach_kind attach)
{
	return (unsigned)type < BF_MATCH_COUNT &&
	       (unsigned)attach < BF_ATTACH_COUNT &&
	       (match_attach[type] & AT(attach));
}

bool bf_check_verdict_supported(enum bf_verdict_kind kind)
{
	return verdict_supported(kind) && !verdict_refusal(kind, BF_ATTACH_NF);
}

bool bf_check_verdict_supported_at(enum bf_verdict_kind kind,
				   enum bf_attach_kind attach)
{
	return verdict_supported(kind) && !verdict_refusal(kind, attach);
}

static void check_rule(struct ctx *x, const struct bf_rule *r)
{
	{
		const char *why = verdict_refusal(r->verdict.kind, x->attach);

		if (why) {
			bf_log_at(BF_LOG_ERROR, r->file, r->line, 0,
				  "target '%s' cannot be used at %s: %s",
				  bf_verdict_name(r->verdict.kind),
				  bf_attach_name(x->attach), why);
			x->errors++;
		} else if (!verdict_supported(r->verdict.kind)) {
			bf_log_at(BF_LOG_ERROR, r->file, r->line, 0,
				  "target '%s' is not supported by the code "
				  "generator yet",
				  bf_verdict_name(r->verdict.kind));
			x->errors++;
		} else if (r->verdict.kind == BF_VERDICT_REJECT &&
			   x->attach == BF_ATTACH_NF) {
			warn_reject_nf(r);
		}

		for (size_t k = 0; k < r->n_matches; k++) {
			const struct bf_match *m = &r->matches[k];

			if ((unsigned)m->type >= BF_MATCH_COUNT) {
				bf_log_at(BF_LOG_ERROR, r->file, r->line, 0,
					  "unknown match type %d",
					  (int)m->type);
				x->errors++;
				continue;
			}
			/* Match types the front ends parse but the code
			 * generator cannot compile yet have no attachment
			 * at all: say so instead of blaming the hook. */
			if (m->type == BF_MATCH_CONNLIMIT) {
				/* doc/stateful.md, "connlimit" */
				bf_log_at(
					BF_LOG_ERROR, r->file,
					m->line ? m->line : r->line, 0,
					"match 'connlimit' cannot be compiled "
					"exactly: nf_conncount counts the "
					"conntrack entries of each address "
					"and forgets a connection when its "
					"entry dies or closes, which a BPF "
					"program can neither enumerate nor "
					"observe");
				x->errors++;
				continue;
			}
			if (!match_attach[m->type]) {
				bf_log_at(BF_LOG_ERROR, r->file,
					  m->line ? m->line : r->line, 0,
					  "match '%s' is not supported by the "
					  "code generator yet%s",
					  bf_match_name(m->type),
					  m->type == BF_MATCH_PHYSDEV ?
						  ": physdev reads the bridge "
						  "ports of a bridged packet "
						  "(br_netfilter's "
						  "nf_bridge_info), which BPF "
						  "programs cannot read; at "
						  "--hook tc, attach to the "
						  "bridge port and use -i/-o "
						  "(doc/hooks.md)" :
						  "");
				x->errors++;
				continue;
			}
			if (m->type == BF_MATCH_SET) {
				const char *why =
					bf_set_check(x->rs, x->attach, m);

				if (why) {
					bf_log_at(BF_LOG_ERROR, r->file,
						  m->line ? m->line : r->line,
						  0, "set %s: %s",
						  m->u.set.name, why);
					x->errors++;
				}
			}
			if (!(match_attach[m->type] & AT(x->attach))) {
				bf_log_at(BF_LOG_ERROR, r->file,
					  m->line ? m->line : r->line, 0,
					  "%s is not supported at %s%s",
					  m->type == BF_MATCH_CTSTATE ?
						  "conntrack state" :
						  "this match",
					  bf_attach_name(x->attach),
					  m->type == BF_MATCH_CTSTATE ?
						  ": packets carry it only at "
						  "netfilter hooks; use --hook "
						  "nf" :
						  "");
				x->errors++;
			}
		}
	}
}

static void check_matches(struct ctx *x, const struct bf_chain *c)
{
	for (size_t j = 0; j < c->n_rules; j++)
		check_rule(x, &c->rules[j]);
}

/* The matches of rule r of chain c, which the hooks `reach` reach. */
static void check_rule_hooks(struct ctx *x, const struct bf_chain *c,
			     const struct bf_rule *r, unsigned int reach)
{
	for (size_t k = 0; k < r->n_matches; k++) {
		const struct bf_match *m = &r->matches[k];
		unsigned int ok = match_hooks_of(m);
		unsigned int bad = reach & ~ok;

		if (!ok || !bad)
			continue;
		for (int h = 0; h < BF_HOOK_COUNT; h++) {
			if (!(bad & (1u << h)))
				continue;
			bf_log_at(BF_LOG_ERROR, r->file,
				  m->line ? m->line : r->line, 0,
				  "match '%s' cannot be used from %s (chain %s "
				  "is reached from it)",
				  bf_match_name(m->type), bf_hook_name(h),
				  c->name);
			x->errors++;
			break;
		}
	}
}

/* Refuse matches used from hooks their kernel module does not allow:
 * propagate, from each built-in chain, the set of hooks that reach every
 * chain (through -j and -g), then test each match against match_hooks[].
 * Propagation is bounded by the number of chains (a path is at most that
 * long once loops are excluded; a loop is reported elsewhere). */
static void check_match_hooks(struct ctx *x)
{
	const struct bf_ruleset *rs = x->rs;
	unsigned int *reach = calloc(rs->n_chains + 1, sizeof(*reach));
	bool changed = true;

	if (!reach) {
		x->errors++;
		return;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].builtin)
			reach[i] = 1u << rs->chains[i].hook;
	}
	for (size_t round = 0; changed && round <= rs->n_chains; round++) {
		changed = false;
		for (size_t i = 0; i < rs->n_chains; i++) {
			const struct bf_chain *c = &rs->chains[i];

			if (!reach[i] || !x->target[i])
				continue;
			for (size_t j = 0; j < c->n_rules; j++) {
				long t = x->target[i][j];

				if (t < 0 || (reach[t] | reach[i]) == reach[t])
					continue;
				reach[t] |= reach[i];
				changed = true;
			}
		}
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (!(rs->families & (1u << c->family)))
			continue;
		for (size_t j = 0; j < c->n_rules; j++)
			check_rule_hooks(x, c, &c->rules[j], reach[i]);
	}
	free(reach);
}

static int check_args(enum bf_attach_kind attach, const char *ifname)
{
	if ((unsigned)attach >= BF_ATTACH_COUNT)
		return -EINVAL;
	if (attach != BF_ATTACH_NF && (!ifname || !*ifname)) {
		bf_err("an interface is required to attach at %s (--iface)",
		       bf_attach_name(attach));
		return -EINVAL;
	}
	if (attach == BF_ATTACH_NF && ifname && *ifname) {
		bf_err("--iface applies to tc and xdp only: netfilter hooks "
		       "see every interface of the namespace");
		return -EINVAL;
	}
	if (ifname && strlen(ifname) >= BF_IFNAMSIZ) {
		bf_err("interface name '%s' is too long", ifname);
		return -EINVAL;
	}
	return 0;
}

int bf_check(const struct bf_ruleset *rs, enum bf_attach_kind attach,
	     const char *ifname)
{
	struct ctx x = { .rs = rs, .attach = attach };
	int r = check_args(attach, ifname);

	if (r)
		return r;

	x.state = calloc(rs->n_chains + 1, 1);
	x.frames = calloc(rs->n_chains + 1, sizeof(*x.frames));
	x.deepest = calloc(rs->n_chains + 1, sizeof(*x.deepest));
	x.target = calloc(rs->n_chains + 1, sizeof(*x.target));
	if (!x.state || !x.frames || !x.deepest || !x.target) {
		r = -ENOMEM;
		goto out;
	}
	r = resolve_targets(&x);
	if (r)
		goto out;

	if (!x.errors)
		check_match_hooks(&x);
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (!(rs->families & (1u << c->family)))
			continue;
		check_matches(&x, c);
		if (!c->builtin)
			continue;
		check_hook_use(&x, c);
		/* Loops are refused at every hook, as the kernel walks all
		 * hook entry points in mark_source_chains(). */
		if (x.looped)
			continue;
		if (!walk(&x, (long)i)) {
			x.looped = true;
			continue;
		}
		if ((attach_hooks[attach] & (1u << c->hook)) &&
		    x.frames[i] + 1 > BF_CHECK_MAX_FRAMES)
			report_depth(&x, (long)i);
	}
	/* Loops among chains no built-in chain reaches: the kernel accepts
	 * them (it never walks there) and so do we; they are not compiled. */
	r = x.errors ? -EINVAL : 0;
out:
	if (x.target) {
		for (size_t i = 0; i < rs->n_chains; i++)
			free(x.target[i]);
	}
	free(x.target);
	free(x.deepest);
	free(x.frames);
	free(x.state);
	return r;
}

/* reach[i] |= bit for chain i and every chain it calls, recursively (as
 * check_match_hooks() propagates it). */
static void reach_from(const struct bf_ruleset *rs, long i, unsigned int bit,
		       unsigned int *reach, unsigned int depth)
{
	const struct bf_chain *c = &rs->chains[i];

	if ((reach[i] & bit) || depth > rs->n_chains)
		return;
	reach[i] |= bit;
	for (size_t j = 0; j < c->n_rules; j++) {
		long t;

		if (!is_jump(&c->rules[j]))
			continue;
		t = chain_index(rs, c->rules[j].family,
				c->rules[j].verdict.chain);
		if (t >= 0)
			reach_from(rs, t, bit, reach, depth + 1);
	}
}

/* Only rules [first, end) of chain ci are new: with no chain call among
 * them, nothing else can have a new error (no new jump, loop, depth or
 * hook reaching a user chain), so their own checks are the whole's (for a
 * user chain, with the hooks that reach it). A chain call among them: the
 * whole check. Rules not checked again are not warned about again (REJECT
 * at nf). */
int bf_check_change(const struct bf_ruleset *rs, enum bf_attach_kind attach,
		    const char *ifname, size_t ci, size_t first, size_t end)
{
	struct ctx x = { .rs = rs, .attach = attach };
	const struct bf_chain *c;
	unsigned int mask;
	int r = check_args(attach, ifname);

	if (r)
		return r;
	if (ci >= rs->n_chains || end > rs->chains[ci].n_rules)
		return bf_check(rs, attach, ifname);
	c = &rs->chains[ci];
	for (size_t j = first; j < end; j++) {
		if (is_jump(&c->rules[j]))
			return bf_check(rs, attach, ifname);
	}
	if (!(rs->families & (1u << c->family)))
		return 0;
	if (c->builtin) {
		mask = 1u << c->hook;
	} else {
		unsigned int *reach = calloc(rs->n_chains + 1, sizeof(*reach));

		if (!reach)
			return -ENOMEM;
		for (size_t i = 0; i < rs->n_chains; i++) {
			if (rs->chains[i].builtin)
				reach_from(rs, (long)i,
					   1u << rs->chains[i].hook, reach, 0);
		}
		mask = reach[ci];
		free(reach);
	}
	for (size_t j = first; j < end; j++)
		check_rule_hooks(&x, c, &c->rules[j], mask);
	for (size_t j = first; j < end; j++)
		check_rule(&x, &c->rules[j]);
	if (c->builtin)
		check_hook_use(&x, c);
	return x.errors ? -EINVAL : 0;
}

bool bf_rule_uses_ct(const struct bf_rule *r)
{
	/* Everything that reads or writes a conntrack entry needs
	 * conntrack to run. */
	if (r->verdict.kind == BF_VERDICT_CONNMARK)
		return true;
	for (size_t k = 0; k < r->n_matches; k++) {
		switch (r->matches[k].type) {
		case BF_MATCH_CTSTATE:
		case BF_MATCH_CONNTRACK:
		case BF_MATCH_CONNMARK:
		case BF_MATCH_CONNLIMIT:
		case BF_MATCH_HELPER:
		case BF_MATCH_CONNBYTES:
			return true;
		default:
			break;
		}
	}
	return false;
}

bool bf_ruleset_uses_acct(const struct bf_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (!(rs->families & (1u << c->family)))
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			for (size_t k = 0; k < c->rules[j].n_matches; k++) {
				if (c->rules[j].matches[k].type ==
				    BF_MATCH_CONNBYTES)
					return true;
			}
		}
	}
	return false;
}

unsigned int bf_ruleset_ct_families(const struct bf_ruleset *rs)
{
	unsigned int fams = 0;

	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (!(rs->families & (1u << c->family)))
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			if (bf_rule_uses_ct(&c->rules[j])) {
				fams |= 1u << c->family;
				break;
			}
		}
	}
	return fams;
}
