// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `iptables -L` prints after the destination column for the modules
 * and targets whose text only the front end knows (which module a
 * conntrack state came from, xt_limit's rate units, the REJECT names):
 * the print functions of libxt_state, libxt_conntrack, libxt_limit,
 * libxt_mark, libxt_iprange, libipt_REJECT / libip6t_REJECT and
 * libxt_LOG, as iptables 1.8.9 shows them. The rest of the line is
 * src/lib/load/show.c's.
 */
#include <arpa/inet.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "front/ipt/ipt.h"

/* libxt_conntrack's / libxt_state's order of the state names. */
static const struct {
	uint32_t bit;
	const char *name;
} states[] = {
	{ BF_CTSTATE_INVALID, "INVALID" },
	{ BF_CTSTATE_NEW, "NEW" },
	{ BF_CTSTATE_RELATED, "RELATED" },
	{ BF_CTSTATE_ESTABLISHED, "ESTABLISHED" },
	{ BF_CTSTATE_UNTRACKED, "UNTRACKED" },
};

bool bf_ipt_list_match(FILE *out, const struct bf_rule *r,
		       const struct bf_match *m, bool numeric)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int af = r->family == BF_FAMILY_INET4 ? AF_INET : AF_INET6;
	bool first = true;

	(void)numeric;
	switch (m->type) {
	case BF_MATCH_L4HDR:
		/* every -m tcp / -m udp has one, first: tcp_print() says
		 * "tcp" even when no option follows (--sport 0:65535) */
		if (m->origin.module == IPT_MOD_TCP ||
		    m->origin.module == IPT_MOD_UDP) {
			fputs(m->origin.module == IPT_MOD_TCP ? "tcp " : "udp ",
			      out);
			return true;
		}
		return false;
	case BF_MATCH_CTSTATE:
		/* state_print() / conntrack's print of --ctstate */
		fprintf(out, "%s%s ", m->neg ? "! " : "",
			m->origin.module == IPT_MOD_STATE ? "state" :
							    "ctstate");
		for (size_t b = 0; b < ARRAY_SIZE(states); b++) {
			if (!(m->u.ctstate.mask & states[b].bit))
				continue;
			fprintf(out, "%s%s", first ? "" : ",", states[b].name);
			first = false;
		}
		fputc(' ', out);
		return true;
	case BF_MATCH_LIMIT:
		/* limit_print() */
		fputs("limit: avg", out);
		ipt_print_limit_rate(out, m->u.limit.avg, BF_LIMIT_SCALE);
		fprintf(out, " burst %u ", m->u.limit.burst);
		return true;
	case BF_MATCH_MARK:
		/* mark_mt_print(): the mask only when it is not all ones */
		fprintf(out, "mark match %s", m->neg ? "! " : "");
		if (m->u.mark.mask != 0xffffffffU)
			fprintf(out, "0x%x/0x%x ", m->u.mark.value,
				m->u.mark.mask);
		else
			fprintf(out, "0x%x ", m->u.mark.value);
		return true;
	case BF_MATCH_SRANGE:
	case BF_MATCH_DRANGE:
		/* iprange_mt4_print(): "source IP range ! A-B" */
		inet_ntop(af, m->u.range.lo, lo, sizeof(lo));
		inet_ntop(af, m->u.range.hi, hi, sizeof(hi));
		fprintf(out, "%s IP range %s%s-%s ",
			m->type == BF_MATCH_SRANGE ? "source" : "destination",
			m->neg ? "! " : "", lo, hi);
		return true;
	case BF_MATCH_ESP:
		/* esp_print(): "esp spi:!5" / "esp spis:1:9" */
		fputs("esp", out);
		if (m->u.spi.lo != 0 || m->u.spi.hi != UINT32_MAX || m->neg) {
			if (m->u.spi.lo == m->u.spi.hi)
				fprintf(out, " spi:%s%u", m->neg ? "!" : "",
					m->u.spi.lo);
			else
				fprintf(out, " spis:%s%u:%u", m->neg ? "!" : "",
					m->u.spi.lo, m->u.spi.hi);
		}
		fputc(' ', out);
		return true;
	case BF_MATCH_ECN:
		/* ecn_print(): "ECN match ECE !CWR ECT=1" */
		fputs("ECN match", out);
		if (m->u.ecn.operation & BF_ECN_ECE)
			fprintf(out, " %sECE",
				m->u.ecn.invert & BF_ECN_ECE ? "!" : "");
		if (m->u.ecn.operation & BF_ECN_CWR)
			fprintf(out, " %sCWR",
				m->u.ecn.invert & BF_ECN_CWR ? "!" : "");
		if (m->u.ecn.operation & BF_ECN_IP)
			fprintf(out, " %sECT=%u",
				m->u.ecn.invert & BF_ECN_IP ? "!" : "",
				m->u.ecn.ip_ect);
		fputc(' ', out);
		return true;
	default:
		return false;
	}
}

/* libxt_LOG's level names (LOG_* of syslog.h, as log_print() shows them
 * in 1.8.9). */
static const char *const log_levels[8] = {
	"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
};

void bf_ipt_list_target(FILE *out, const struct bf_rule *r, bool numeric)
{
	const struct bf_verdict *v = &r->verdict;

	switch (v->kind) {
	case BF_VERDICT_REJECT: {
		const char *name = ipt_reject_name(v->u.reject.with);

		if (name)
			fprintf(out, "reject-with %s ", name);
		break;
	}
	case BF_VERDICT_LOG: {
		char prefix[BF_LOG_PREFIX_MAX];

		fputs("LOG ", out);
		if (numeric) {
			fprintf(out, "flags %u level %u ", v->u.log.flags,
				v->u.log.level);
		} else {
			if (v->u.log.level < ARRAY_SIZE(log_levels))
				fprintf(out, "level %s ",
					log_levels[v->u.log.level]);
			else
				fprintf(out, "UNKNOWN level %u ",
					v->u.log.level);
			if (v->u.log.flags & BF_LOGF_TCPSEQ)
				fputs("tcp-sequence ", out);
			if (v->u.log.flags & BF_LOGF_TCPOPT)
				fputs("tcp-options ", out);
			if (v->u.log.flags & BF_LOGF_IPOPT)
				fputs("ip-options ", out);
			if (v->u.log.flags & BF_LOGF_UID)
				fputs("uid ", out);
			if (v->u.log.flags & BF_LOGF_MACDECODE)
				fputs("macdecode ", out);
		}
		snprintf(prefix, sizeof(prefix), "%s", v->u.log.prefix);
		if (prefix[0])
			fprintf(out, "prefix \"%s\" ", prefix);
		break;
	}
	default:
		break;
	}
}
