// SPDX-License-Identifier: GPL-2.0-only
/*
 * `iptables -L` text of -m u32, quota, policy, helper, connbytes, dscp
 * and tos: the print functions (not the save ones) of libxt_u32,
 * libxt_quota, libxt_policy, libxt_helper, libxt_connbytes, libxt_dscp
 * and libxt_tos of iptables 1.8.9, checked byte for byte against
 * iptables-legacy by tests/e2e/e2e_iptcmd.c's list script.
 */
#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfilter/helper.h"
#include "front/ipt/ipt.h"
#include "front/ipt/list_ext.h"

/* u32_print(): the same expression as u32_save(), after "u32" and an
 * optional "!": take iptables-save's text from its first quote. */
static void list_u32(FILE *out, const struct bf_rule *r,
		     const struct bf_match *m)
{
	_cleanup_free_ char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	const char *q;

	if (!f)
		return;
	ipt_u32_print(f, r, m);
	if (fclose(f) != 0 || !s)
		return;
	q = strchr(s, '"');
	fprintf(out, "u32 %s%s ", m->u.u32.invert ? "! " : "", q ? q : "");
}

/* xtables_ipmask_to_numeric() / xtables_ip6mask_to_numeric(): nothing
 * for a host mask, "/N" for a prefix, "/MASK" otherwise. */
static void list_addr_mask(FILE *out, int family, const uint8_t *addr,
			   const uint8_t *mask)
{
	int af = family == BF_FAMILY_INET4 ? AF_INET : AF_INET6;
	int len = family == BF_FAMILY_INET4 ? 32 : 128, bits = 0;
	char buf[INET6_ADDRSTRLEN];
	bool prefix = true;

	for (int i = 0; i < len; i++) {
		bool one = mask[i / 8] & (0x80 >> (i % 8));

		if (one && bits != i)
			prefix = false;
		bits += one;
	}
	fputs(inet_ntop(af, addr, buf, sizeof(buf)) ? buf : "?", out);
	if (!prefix)
		fprintf(out, "/%s",
			inet_ntop(af, mask, buf, sizeof(buf)) ? buf : "?");
	else if (bits != len)
		fprintf(out, "/%d", bits);
}

/* policy4_print() / policy6_print(): "policy match dir in pol ipsec
 * strict", then each element ("[i]" before it when there are several):
 * reqid, spi, proto (a name unless -n), mode, tunnel-dst, tunnel-src,
 * each after " !" when inverted. */
static void list_policy(FILE *out, const struct bf_rule *r,
			const struct bf_match *m, bool numeric)
{
	const typeof(m->u.policy) *p = &m->u.policy;

	fprintf(out, "policy match dir %s pol %s",
		p->flags & BF_POLICY_IN ? "in" : "out",
		p->flags & BF_POLICY_NONE ? "none" : "ipsec");
	if (p->flags & BF_POLICY_STRICT)
		fputs(" strict", out);
	for (unsigned int i = 0; i < p->len && i < BF_POLICY_MAX_ELEM; i++) {
		const typeof(p->pol[0]) *e = &p->pol[i];

		if (p->len > 1)
			fprintf(out, " [%u]", i);
		if (e->match & BF_POLICY_E_REQID)
			fprintf(out, "%s reqid %u",
				e->invert & BF_POLICY_E_REQID ? " !" : "",
				e->reqid);
		if (e->match & BF_POLICY_E_SPI)
			fprintf(out, "%s spi 0x%x",
				e->invert & BF_POLICY_E_SPI ? " !" : "",
				e->spi);
		if (e->match & BF_POLICY_E_PROTO) {
			/* getprotobynumber() unless -n (/etc/protocols) */
			const char *n = e->proto == 50	? "esp" :
					e->proto == 51	? "ah" :
					e->proto == 108 ? "ipcomp" :
							  NULL;

			fprintf(out, "%s proto ",
				e->invert & BF_POLICY_E_PROTO ? " !" : "");
			if (!numeric && n)
				fputs(n, out);
			else
				fprintf(out, "%u", e->proto);
		}
		if (e->match & BF_POLICY_E_MODE)
			fprintf(out, "%s mode %s",
				e->invert & BF_POLICY_E_MODE ? " !" : "",
				e->mode == 0 ? "transport" :
				e->mode == 1 ? "tunnel" :
					       "???");
		if (e->match & BF_POLICY_E_DADDR) {
			fprintf(out, "%s tunnel-dst ",
				e->invert & BF_POLICY_E_DADDR ? " !" : "");
			list_addr_mask(out, r->family, e->daddr, e->dmask);
		}
		if (e->match & BF_POLICY_E_SADDR) {
			fprintf(out, "%s tunnel-src ",
				e->invert & BF_POLICY_E_SADDR ? " !" : "");
			list_addr_mask(out, r->family, e->saddr, e->smask);
		}
	}
	fputc(' ', out);
}

/* connbytes_print(): "[! ]connbytes FROM[:TO] connbytes mode M connbytes
 * direction D" (an inverted range is kept swapped, TO all ones is not
 * printed) */
static void list_connbytes(FILE *out, const struct bf_match *m)
{
	static const char *const what[] = { "packets", "bytes", "avgpkt" };
	static const char *const dir[] = { "original", "reply", "both" };
	const typeof(m->u.connbytes) *cb = &m->u.connbytes;
	bool inv = cb->from > cb->to;
	uint64_t lo = inv ? cb->to : cb->from, hi = inv ? cb->from : cb->to;

	fprintf(out, "%sconnbytes %" PRIu64, inv ? "! " : "", lo);
	if (hi != UINT64_MAX)
		fprintf(out, ":%" PRIu64, hi);
	fprintf(out, " connbytes mode %s connbytes direction %s ",
		cb->what < ARRAY_SIZE(what) ? what[cb->what] : "unknown",
		cb->dir < ARRAY_SIZE(dir) ? dir[cb->dir] : "unknown");
}

/* tos_mt_print(): "tos match", "!" when inverted (no space), then the
 * name of the value for mask 0x3f without -n (tos_try_print_symbolic():
 * " NAME"), else "0x%02x/0x%02x". */
static void list_tos(FILE *out, const struct bf_match *m, bool numeric)
{
	static const struct {
		const char *name;
		uint8_t tos;
	} names[] = {
		{ "Minimize-Cost", 0x02 },
		{ "Maximize-Reliability", 0x04 },
		{ "Maximize-Throughput", 0x08 },
		{ "Minimize-Delay", 0x10 },
		{ "Normal-Service", 0x00 },
	};
	uint8_t v = m->u.dsfield.value, mask = m->u.dsfield.mask;

	fprintf(out, "tos match%s", m->neg ? "!" : "");
	if (!numeric && mask == 0x3f) {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			if (names[i].tos == v) {
				fprintf(out, " %s ", names[i].name);
				return;
			}
		}
	}
	fprintf(out, "0x%02x/0x%02x ", v, mask);
}

/* owner_mt_print(): socket, UID, GID, supplementary groups in this
 * order, each "[! ]LABEL[ VALUE] "; a single id is a name unless -n
 * (getpwuid() / getgrgid()), a range "MIN-MAX". */
static void list_owner_id(FILE *out, bool uid, uint32_t lo, uint32_t hi,
			  bool numeric)
{
	if (lo != hi) {
		fprintf(out, " %u-%u ", lo, hi);
		return;
	}
	if (!numeric && uid) {
		struct passwd *pw = getpwuid(lo);

		if (pw && pw->pw_name) {
			fprintf(out, " %s ", pw->pw_name);
			return;
		}
	} else if (!numeric) {
		struct group *gr = getgrgid(lo);

		if (gr && gr->gr_name) {
			fprintf(out, " %s ", gr->gr_name);
			return;
		}
	}
	fprintf(out, " %u ", lo);
}

static void list_owner(FILE *out, const struct bf_match *m, bool numeric)
{
	const typeof(m->u.owner) *ow = &m->u.owner;

	if (ow->match & BF_OWNER_SOCKET)
		fprintf(out, "%sowner socket exists ",
			ow->invert & BF_OWNER_SOCKET ? "! " : "");
	if (ow->match & BF_OWNER_UID) {
		fprintf(out, "%sowner UID match",
			ow->invert & BF_OWNER_UID ? "! " : "");
		list_owner_id(out, true, ow->uid_min, ow->uid_max, numeric);
	}
	if (ow->match & BF_OWNER_GID) {
		fprintf(out, "%sowner GID match",
			ow->invert & BF_OWNER_GID ? "! " : "");
		list_owner_id(out, false, ow->gid_min, ow->gid_max, numeric);
	}
	if (ow->match & BF_OWNER_SUPPL_GROUPS)
		fprintf(out, "%sincl. suppl. groups ",
			ow->invert & BF_OWNER_SUPPL_GROUPS ? "! " : "");
}

/* statistic_print(): "statistic mode random[ !] probability %.11f" or
 * "statistic mode nth[ !] every N[ packet P]" (no packet when 0: -L only;
 * iptables-save always has it) */
static void list_statistic(FILE *out, const struct bf_match *m)
{
	const typeof(m->u.statistic) *st = &m->u.statistic;

	if (st->mode == BF_STATISTIC_RANDOM) {
		fprintf(out, "statistic mode random%s probability %.11f ",
			st->invert ? " !" : "",
			1.0 * st->probability / 0x80000000);
		return;
	}
	fprintf(out, "statistic mode nth%s every %u ", st->invert ? " !" : "",
		st->every + 1);
	if (st->packet)
		fprintf(out, "packet %u ", st->packet);
}

/* rt_print() (libip6t_rt): "rt type:!2 segslefts:2:5 length:8 reserved
 * 0-addrs A,B 0-not-strict" */
static void list_rt(FILE *out, const struct bf_match *m)
{
	const typeof(m->u.rt) *rt = &m->u.rt;
	const char *sinv = rt->invflags & BF_RT_INV_SGS ? "!" : "";

	fputs("rt", out);
	if (rt->flags & BF_RT_TYP)
		fprintf(out, " type:%s%u",
			rt->invflags & BF_RT_INV_TYP ? "!" : "", rt->rt_type);
	if (rt->segsleft[0] != 0 || rt->segsleft[1] != UINT32_MAX || *sinv) {
		if (rt->segsleft[0] == rt->segsleft[1])
			fprintf(out, " segsleft:%s%u", sinv, rt->segsleft[0]);
		else
			fprintf(out, " segslefts:%s%u:%u", sinv,
				rt->segsleft[0], rt->segsleft[1]);
	}
	if (rt->flags & BF_RT_LEN)
		fprintf(out, " length:%s%u",
			rt->invflags & BF_RT_INV_LEN ? "!" : "", rt->hdrlen);
	if (rt->flags & BF_RT_RES)
		fputs(" reserved", out);
	if (rt->flags & BF_RT_FST)
		fputs(" 0-addrs", out);
	for (unsigned int i = 0; i < rt->addrnr && i < BF_RT_HOPS; i++) {
		char buf[INET6_ADDRSTRLEN];

		fprintf(out, "%c%s", i ? ',' : ' ',
			inet_ntop(AF_INET6, rt->addrs[i], buf, sizeof(buf)) ?
				buf :
				"?");
	}
	if (rt->flags & BF_RT_FST_NSTRICT)
		fputs(" 0-not-strict", out);
	fputc(' ', out);
}

/* frag_print(), hbh_print() / dst_print(), ah_print() (libip6t_frag,
 * libip6t_hbh, libip6t_dst, libip6t_ah, libipt_ah), spacing included:
 * "frag ids:!1:2 length:8 reserved first more", "hbh length:!8 opts
 * 1:4,5", "ah spis:1:9length:16 reserved" */
static void list_range(FILE *out, const char *name, const uint32_t r[2],
		       bool inv, bool skip_full)
{
	if (skip_full && r[0] == 0 && r[1] == UINT32_MAX && !inv)
		return;
	if (r[0] == r[1])
		fprintf(out, "%s:%s%u", name, inv ? "!" : "", r[0]);
	else
		fprintf(out, "%ss:%s%u:%u", name, inv ? "!" : "", r[0], r[1]);
}

static void list_exthdr(FILE *out, const struct bf_rule *r,
			const struct bf_match *m, bool numeric)
{
	switch (m->type) {
	case BF_MATCH_FRAG6: {
		const typeof(m->u.frag6) *f = &m->u.frag6;

		fputs("frag ", out);
		list_range(out, "id", f->ids, f->invflags & BF_FRAG6_INV_IDS,
			   true);
		if (f->flags & BF_FRAG6_LEN)
			fprintf(out, " length:%s%u",
				f->invflags & BF_FRAG6_INV_LEN ? "!" : "",
				f->hdrlen);
		if (f->flags & BF_FRAG6_RES)
			fputs(" reserved", out);
		if (f->flags & BF_FRAG6_FST)
			fputs(" first", out);
		if (f->flags & BF_FRAG6_MF)
			fputs(" more", out);
		if (f->flags & BF_FRAG6_NMF)
			fputs(" last", out);
		break;
	}
	case BF_MATCH_OPTS6: {
		const typeof(m->u.opts6) *o = &m->u.opts6;

		fputs(o->dst ? "dst" : "hbh", out);
		if (o->flags & BF_OPTS6_LEN)
			fprintf(out, " length:%s%u",
				o->invflags & BF_OPTS6_INV_LEN ? "!" : "",
				o->hdrlen);
		if (o->flags & BF_OPTS6_OPTS)
			fputs(" opts", out);
		for (unsigned int i = 0; i < o->optsnr && i < BF_OPTS6_MAX;
		     i++) {
			fprintf(out, "%c%d", i ? ',' : ' ', o->opts[i] >> 8);
			if ((o->opts[i] & 0xff) != 0xff)
				fprintf(out, ":%d", o->opts[i] & 0xff);
		}
		break;
	}
	case BF_MATCH_MH: {
		/* mh_print(): numbers with -n, else the names */
		static const char *const names[] = {
			"binding-refresh-request",
			"home-test-init",
			"careof-test-init",
			"home-test",
			"careof-test",
			"binding-update",
			"binding-acknowledgement",
			"binding-error",
		};
		const uint8_t *t = m->u.mh.types;

		fputs("mh", out);
		if (t[0] == 0 && t[1] == 0xff && !m->u.mh.invert)
			break;
		fprintf(out, " %s", m->u.mh.invert ? "!" : "");
		for (int i = 0; i < (t[0] != t[1] ? 2 : 1); i++) {
			if (i)
				fputc(':', out);
			if (!numeric && t[i] < 8)
				fputs(names[t[i]], out);
			else
				fprintf(out, "%u", t[i]);
		}
		break;
	}
	default: {
		const typeof(m->u.ah) *a = &m->u.ah;
		bool inv = a->invflags & BF_AH_INV_SPI;

		fputs("ah ", out);
		if (a->spis[0] != 0 || a->spis[1] != UINT32_MAX || inv)
			list_range(out, "spi", a->spis, inv, false);
		if (r->family == BF_FAMILY_INET6 &&
		    (a->hdrlen || (a->invflags & BF_AH_INV_LEN)))
			fprintf(out, "length:%s%u",
				a->invflags & BF_AH_INV_LEN ? "!" : "",
				a->hdrlen);
		if (a->hdrres)
			fputs(" reserved", out);
		break;
	}
	}
	fputc(' ', out);
}

/* conntrack_mt_print(): conntrack_dump() with the prefix "" where
 * conntrack_mt_save() has "--", the same options in the same order:
 * iptables-save's text without the dashes. Addresses stay numeric (the
 * print function names them unless -n, as reverse lookups). */
static void list_conntrack(FILE *out, const struct bf_rule *r,
			   const struct bf_match *m)
{
	_cleanup_free_ char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return;
	ipt_ct_print(f, r, m);
	if (fclose(f) != 0 || !s)
		return;
	for (const char *p = s[0] == ' ' ? s + 1 : s; *p; p++) {
		if (p[0] == '-' && p[1] == '-' && (p == s + 1 || p[-1] == ' '))
			p++;
		else
			fputc(*p, out);
	}
	fputc(' ', out);
}

/* time_print(): "TIME from HH:MM:SS to HH:MM:SS on Mon,Tue on 1st,2nd
 * starting from DATE until date DATE UTC contiguous"; dates in UTC
 * (time_print_date() with gmtime()), the default stop (INT_MAX) not
 * printed, ordinals by the last digit as libxt_time does ("11st"). */
static void list_date(FILE *out, const char *what, uint32_t date)
{
	time_t t = date;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return;
	fprintf(out, " %s %04d-%02d-%02d %02d:%02d:%02d", what,
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec);
}

static void list_time(FILE *out, const struct bf_match *m)
{
	static const char *const wd[] = { "",	 "Mon", "Tue", "Wed",
					  "Thu", "Fri", "Sat", "Sun" };
	static const char *const suffix[] = { "th", "st", "nd", "rd", "th",
					      "th", "th", "th", "th", "th" };
	const typeof(m->u.time) *tm = &m->u.time;
	const char *sep = " on ";

	fputs("TIME", out);
	if (tm->daytime_start != 0 || tm->daytime_stop != BF_TIME_MAX_DAYTIME)
		fprintf(out, " from %02u:%02u:%02u to %02u:%02u:%02u",
			tm->daytime_start / 3600, tm->daytime_start / 60 % 60,
			tm->daytime_start % 60, tm->daytime_stop / 3600,
			tm->daytime_stop / 60 % 60, tm->daytime_stop % 60);
	if (tm->weekdays_match != BF_TIME_ALL_WEEKDAYS) {
		for (unsigned int d = 1; d <= 7; d++) {
			if (tm->weekdays_match & (1u << d)) {
				fprintf(out, "%s%s", sep, wd[d]);
				sep = ",";
			}
		}
		if (*sep == ' ')
			fputs(" on ", out); /* no day: " on" and its " " */
	}
	sep = " on ";
	if (tm->monthdays_match != BF_TIME_ALL_MONTHDAYS) {
		for (unsigned int d = 1; d <= 31; d++) {
			if (tm->monthdays_match & (1u << d)) {
				fprintf(out, "%s%u%s", sep, d, suffix[d % 10]);
				sep = ",";
			}
		}
		if (*sep == ' ')
			fputs(" on ", out); /* no day: " on" and its " " */
	}
	if (tm->date_start != 0)
		list_date(out, "starting from", tm->date_start);
	if (tm->date_stop != INT32_MAX)
		list_date(out, "until date", tm->date_stop);
	if (!(tm->flags & BF_TIME_LOCAL_TZ))
		fputs(" UTC", out);
	if (tm->flags & BF_TIME_CONTIGUOUS)
		fputs(" contiguous", out);
	fputc(' ', out);
}

bool bf_ipt_list_ext(FILE *out, const struct bf_rule *r,
		     const struct bf_match *m, bool numeric)
{
	switch (m->type) {
	case BF_MATCH_U32:
		if (m->origin.module != IPT_MOD_U32)
			return false;
		list_u32(out, r, m);
		return true;
	case BF_MATCH_QUOTA:
		if (m->origin.module != IPT_MOD_QUOTA)
			return false;
		/* quota_print(): no "!" whatever --quota's */
		fprintf(out, "quota: %" PRIu64 " bytes ", m->u.quota.bytes);
		return true;
	case BF_MATCH_POLICY:
		if (m->origin.module != IPT_MOD_POLICY)
			return false;
		list_policy(out, r, m, numeric);
		return true;
	case BF_MATCH_HELPER:
		if (m->origin.module != IPT_MOD_HELPER)
			return false;
		/* helper_mt_print(): the name always in quotes */
		fprintf(out, "helper match %s\"%.*s\" ", m->neg ? "! " : "",
			(int)strnlen(m->u.helper.name,
				     sizeof(m->u.helper.name)),
			m->u.helper.name);
		return true;
	case BF_MATCH_CONNBYTES:
		if (m->origin.module != IPT_MOD_CONNBYTES)
			return false;
		list_connbytes(out, m);
		return true;
	case BF_MATCH_DSFIELD:
		if (m->origin.module == IPT_MOD_DSCP) {
			/* dscp_print(): "DSCP match !0x2e" */
			fprintf(out, "DSCP match %s0x%02x ", m->neg ? "!" : "",
				m->u.dsfield.value >> 2);
			return true;
		}
		if (m->origin.module == IPT_MOD_TOS) {
			list_tos(out, m, numeric);
			return true;
		}
		return false;
	case BF_MATCH_MAC:
		if (m->origin.module != IPT_MOD_MAC)
			return false;
		/* mac_print() */
		fprintf(out, "MAC %s%02x:%02x:%02x:%02x:%02x:%02x ",
			m->neg ? "! " : "", m->u.mac.addr[0], m->u.mac.addr[1],
			m->u.mac.addr[2], m->u.mac.addr[3], m->u.mac.addr[4],
			m->u.mac.addr[5]);
		return true;
	case BF_MATCH_CONNMARK:
		if (m->origin.module != IPT_MOD_CONNMARK)
			return false;
		/* connmark_mt_print(): "connmark match ! 0x7", two spaces
		 * when not inverted, the mask unless all ones */
		fprintf(out, "connmark match %s 0x%x", m->neg ? "!" : "",
			m->u.mark.value);
		if (m->u.mark.mask != 0xffffffffU)
			fprintf(out, "/0x%x", m->u.mark.mask);
		fputc(' ', out);
		return true;
	case BF_MATCH_PKTTYPE: {
		/* pkttype_print(): the first name of the type in
		 * libxt_pkttype's table */
		static const char *const names[] = { "unicast", "broadcast",
						     "multicast", "otherhost" };
		uint8_t t = m->u.pkttype.pkttype;

		if (m->origin.module != IPT_MOD_PKTTYPE)
			return false;
		fprintf(out, "PKTTYPE %s= ", m->neg ? "!" : "");
		if (t < ARRAY_SIZE(names))
			fprintf(out, "%s ", names[t]);
		else
			fprintf(out, "%u ", t);
		return true;
	}
	case BF_MATCH_LENGTH:
	case BF_MATCH_TCPMSS:
		/* length_print() "length !64", tcpmss_print() "tcpmss match
		 * 500:1000" */
		if (m->origin.module == IPT_MOD_LENGTH)
			fputs("length ", out);
		else if (m->origin.module == IPT_MOD_TCPMSS)
			fputs("tcpmss match ", out);
		else
			return false;
		fprintf(out, "%s%u", m->neg ? "!" : "", m->u.length.min);
		if (m->u.length.min != m->u.length.max)
			fprintf(out, ":%u", m->u.length.max);
		fputc(' ', out);
		return true;
	case BF_MATCH_TTL: {
		/* ttl_print() / hl_print(): "TTL match TTL != 1" */
		static const char *const ops[] = {
			[BF_TTL_EQ] = "==",
			[BF_TTL_NE] = "!=",
			[BF_TTL_LT] = "<",
			[BF_TTL_GT] = ">",
		};
		const char *w = m->origin.module == IPT_MOD_TTL ? "TTL" : "HL";

		if (m->origin.module != IPT_MOD_TTL &&
		    m->origin.module != IPT_MOD_HL)
			return false;
		fprintf(out, "%s match %s %s %u ", w, w, ops[m->u.ttl.op & 3],
			m->u.ttl.value);
		return true;
	}
	case BF_MATCH_OWNER:
		if (m->origin.module != IPT_MOD_OWNER)
			return false;
		list_owner(out, m, numeric);
		return true;
	case BF_MATCH_STATISTIC:
		if (m->origin.module != IPT_MOD_STATISTIC)
			return false;
		list_statistic(out, m);
		return true;
	case BF_MATCH_RT:
		if (m->origin.module != IPT_MOD_RT)
			return false;
		list_rt(out, m);
		return true;
	case BF_MATCH_FRAG6:
	case BF_MATCH_OPTS6:
	case BF_MATCH_AH:
	case BF_MATCH_MH:
		list_exthdr(out, r, m, numeric);
		return true;
	case BF_MATCH_CONNTRACK:
		if (m->origin.module != IPT_MOD_CONNTRACK)
			return false;
		list_conntrack(out, r, m);
		return true;
	case BF_MATCH_TIME:
		if (m->origin.module != IPT_MOD_TIME)
			return false;
		list_time(out, m);
		return true;
	default:
		return false;
	}
}
