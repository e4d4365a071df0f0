// SPDX-License-Identifier: GPL-2.0-only
/*
 * The checks apply runs (bf_check()), on the IR as the nft front end made
 * it: its rules still carry the nft file:line (the iptables-save text apply
 * then reads does not), so a refusal points into the nft source.
 */
#include "bpfilter/bpfilter.h"
#include "check/check.h"
#include "front/nft/nft.h"

_Static_assert((int)BF_SLOT_NF == (int)BF_ATTACH_NF &&
		       (int)BF_SLOT_TC == (int)BF_ATTACH_TC &&
		       (int)BF_SLOT_XDP == (int)BF_ATTACH_XDP,
	       "slot kinds are attach kinds");

int bf_nft_check(const struct bf_ruleset *rs, int slot_kind, const char *ifname)
{
	int r = bf_check(rs, (enum bf_attach_kind)slot_kind, ifname);

	return r ? r : nft_bpf_check(rs);
}
