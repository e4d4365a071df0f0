// SPDX-License-Identifier: GPL-2.0-only
/*
 * `fib daddr type` (nft_fib4_eval_type() in net/ipv4/netfilter/
 * nft_fib_ipv4.c): inet_dev_addr_type() of the destination with no
 * device, the lookup xt_addrtype's addrtype_mt_v1() makes for
 * `--dst-type` without --limit-iface-*. So the IPv4 form lowers to
 * BF_MATCH_ADDRTYPE, with that match's exactness (doc/hooks.md, "addrtype,
 * IPv4"): compiled at nf INPUT (the type of the packet's own local route),
 * refused at FORWARD and OUTPUT, except a type list of MULTICAST alone,
 * which inet_dev_addr_type() answers from the address. A missing IPv4
 * header (NFT_BREAK there) cannot reach a program that tests the family.
 *
 * IPv6 (nft_fib6_eval_type()) makes a route lookup of its own with the
 * packet's flow label and source, and answers ANYCAST for subnet-router
 * anycast destinations (ipv6_anycast_destination()) and BLACKHOLE,
 * PROHIBIT, THROW, UNREACHABLE from the lookup's error: not what the
 * packet's route flags give, so it is refused. The other fib forms (saddr,
 * iif, oif, mark; results oif and oifname) need bpf_fib_lookup(), which
 * BPF_PROG_TYPE_NETFILTER programs cannot call: the parser reports them
 * unsupported.
 */
#include <errno.h>
#include <string.h>

#include "front/nft/nft.h"

int nft_fib_match(const struct bf_nft_expr *el, enum bf_family family, bool neg,
		  struct bf_match *m, const char **why)
{
	if (family != BF_FAMILY_INET4) {
		*why = "fib daddr type of IPv6: nft_fib6_eval_type() makes a route lookup of its own (anycast destinations, reject routes) that a BPF netfilter program cannot make; `meta nfproto ipv4` keeps the rule to IPv4";
		return -EOPNOTSUPP;
	}
	if (el->kind != BF_NFT_E_VALUE || el->num > 15) {
		*why = "fib daddr type: compare with a type or a set of types";
		return -EOPNOTSUPP;
	}
	m->type = BF_MATCH_ADDRTYPE;
	m->neg = false;
	m->u.addrtype.dest = (uint16_t)(1u << el->num);
	if (neg)
		m->u.addrtype.flags |= BF_ADDRTYPE_INVERT_DEST;
	return 0;
}
