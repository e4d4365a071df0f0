// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interpreter of the matches of eval_x.h, written from the kernel's
 * sources independently of the code generator (cgen/m_policy.c).
 */
#include <string.h>

#include "ir/eval_x.h"

/* xt_addr_cmp(): equal under the mask, over the family's bytes */
static bool addr_eq(const uint8_t *a, const uint8_t *mask, const uint8_t *b,
		    int n)
{
	for (int i = 0; i < n; i++) {
		if ((a[i] ^ b[i]) & mask[i])
			return false;
	}
	return true;
}

/* match_xfrm_state(): every option given holds, each xor its invert */
static bool state_ok(const struct bf_eval_xfrm *x, const struct bf_match *m,
		     int k, int n)
{
	const typeof(m->u.policy.pol[0]) *el = &m->u.policy.pol[k];
	uint8_t mt = el->match, inv = el->invert;

#define TEST(bit, cond)                                                        \
	if ((mt & (bit)) && (bool)(cond) == !!(inv & (bit)))                   \
		return false;
	TEST(BF_POLICY_E_SADDR, addr_eq(el->saddr, el->smask, x->saddr, n));
	TEST(BF_POLICY_E_DADDR, addr_eq(el->daddr, el->dmask, x->daddr, n));
	TEST(BF_POLICY_E_PROTO, el->proto == x->proto);
	TEST(BF_POLICY_E_MODE, el->mode == x->mode);
	TEST(BF_POLICY_E_SPI, el->spi == x->spi);
	TEST(BF_POLICY_E_REQID, el->reqid == x->reqid);
#undef TEST
	return true;
}

int bf_eval_policy(const struct bf_eval_pkt *p, const struct bf_match *m)
{
	const typeof(m->u.policy) *pi = &m->u.policy;
	bool strict = pi->flags & BF_POLICY_STRICT;
	int n = p->family == BF_FAMILY_INET6 ? 16 : 4;
	int len = pi->len, ret = -1;

	if (pi->flags & BF_POLICY_IN) {
		/* match_policy_in(): from the last state to the first;
		 * strict: element pos = sp->len - i - 1 */
		if (p->sp_len >= 0) {
			ret = 0;
			if (!strict || len == p->sp_len) {
				ret = strict;
				for (int i = p->sp_len - 1; i >= 0 && i < 6;
				     i--) {
					int pos = strict ? p->sp_len - i - 1 :
							   0;

					if (pos >= len) {
						ret = 0;
						break;
					}
					if (state_ok(&p->sp[i], m, pos, n)) {
						if (!strict) {
							ret = 1;
							break;
						}
					} else if (strict) {
						ret = 0;
						break;
					}
				}
			}
		}
	} else if (p->xdst_len) {
		/* match_policy_out(): the bundle from the first state */
		int i;

		ret = -2;
		for (i = 0; i < p->xdst_len && i < 6; i++) {
			int pos = strict ? i : 0;

			if (pos >= len) {
				ret = 0;
				break;
			}
			if (state_ok(&p->xdst[i], m, pos, n)) {
				if (!strict) {
					ret = 1;
					break;
				}
			} else if (strict) {
				ret = 0;
				break;
			}
		}
		if (ret == -2)
			ret = strict ? i == len : 0;
	}
	/* policy_mt() */
	if (ret < 0)
		return !!(pi->flags & BF_POLICY_NONE);
	return (pi->flags & BF_POLICY_NONE) ? 0 : ret;
}

int bf_eval_helper(const struct bf_eval_pkt *p, const struct bf_match *m)
{
	bool ret = m->neg;
	size_t n = strnlen(p->ct_helper, sizeof(p->ct_helper));

	if (m->u.helper.nft) {
		/* nft_ct_get_eval(): NFT_BREAK without a helper, else the
		 * padded names compared whole */
		if (!n)
			return 0;
		return m->neg ^ !strncmp(p->ct_helper, m->u.helper.name,
					 sizeof(p->ct_helper));
	}
	if (!n)
		return ret;
	if (!m->u.helper.name[0])
		return !ret;
	/* strncmp(helper->name, info->name, strlen(helper->name)) */
	return ret ^ !strncmp(p->ct_helper, m->u.helper.name, n);
}

int bf_eval_connbytes(const struct bf_eval_pkt *p, const struct bf_match *m)
{
	const typeof(m->u.connbytes) *cb = &m->u.connbytes;
	uint64_t what = 0, pk, by;

	if (!p->ct_acct)
		return 0;
	if (cb->dir == BF_CONNBYTES_DIR_BOTH) {
		pk = p->acct_packets[0] + p->acct_packets[1];
		by = p->acct_bytes[0] + p->acct_bytes[1];
	} else {
		pk = p->acct_packets[cb->dir & 1];
		by = p->acct_bytes[cb->dir & 1];
	}
	if (cb->what == BF_CONNBYTES_PKTS)
		what = pk;
	else if (cb->what == BF_CONNBYTES_BYTES)
		what = by;
	else if (pk)
		what = by / pk;
	if (cb->to >= cb->from)
		return what <= cb->to && what >= cb->from;
	return what < cb->to || what > cb->from;
}
