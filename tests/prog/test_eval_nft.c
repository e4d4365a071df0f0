// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IR interpreter (bf_eval_at()) against the compiled program
 * (BPF_PROG_TEST_RUN) for the matches the nft front end makes, beyond
 * test_eval_vs_bpf.c's core set: nft evaluation of the transport and IPv6
 * protocol matches (bf_match.nft: no hotdrop, NFT_BREAK on short headers,
 * nft's view of fragments and of AH), `th sport|dport`, `meta iif|oif`,
 * `ether daddr|saddr|type`, `vlan id|pcp|dei`, `meta pkttype`,
 * `ct mark|status|direction|state`, addrtype (nft's `fib daddr type`),
 * ip6t_rt and nft's `rt type`, statistic --mode nth, tcpmss (random TCP
 * options), xt_time (at netfilter: its real time); NFTNEXT verdicts
 * and `limit rate` (a token bucket,
 * evaluated by the interpreter at the monotonic time read just before
 * each run; the rates are chosen so that the microseconds between that
 * reading and the program's own cannot change an outcome).
 *
 * Random rulesets of those matches (random negations, jumps, returns,
 * policies) at netfilter, tc and XDP; random packets: fragments,
 * truncated and short transport headers, IPv6 extension header chains
 * with AH and fragment headers, walk errors; at tc and XDP random
 * Ethernet addresses, and 802.1Q-tagged frames (the tag in the frame, as
 * BPF_PROG_TEST_RUN gives it: not IP to the prologue, so the program
 * must leave them alone, uncounted). Verdicts and every counter must
 * agree.
 *
 * The facts each side sees under BPF_PROG_TEST_RUN: netfilter runs have
 * no input device and the loopback device as output (ifindex 1), no
 * conntrack entry, no Ethernet device (so no link-layer header for nft or
 * mac_mt()); tc and XDP runs see the frame's header, and at tc the
 * packet type eth_type_trans() gives on the loopback device.
 *
 * BF_EVAL_SEED=N repeats a run; BF_EVAL_RULESETS / BF_EVAL_PACKETS change
 * the bounds (default 60 x 150).
 */
#include <inttypes.h>
#include <sys/time.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "eval_util.h"
#include "prog_util.h"

static const uint16_t ports[] = { 0, 22, 53, 80, 1024, 0x4500, 65535 };
static const uint8_t macs[][6] = {
	{ 0x02, 0, 0, 0, 0, 0 },
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	{ 0x01, 0x00, 0x5e, 0, 0, 1 },
	{ 0, 0, 0, 0, 0, 0 },
	{ 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
};

struct where {
	enum bf_attach_kind attach;
	enum bf_hook hook;
	enum bf_family fam;
};

static void add(struct bf_rule *r, const struct bf_match *m)
{
	assert_int_equal(bf_rule_add_match(r, m), 0);
}

static uint16_t pick_port(void)
{
	return ports[below(ARRAY_SIZE(ports))];
}

/* A port range from the pool, maybe a single port */
static void port_range(struct bf_match *m)
{
	uint16_t a = pick_port(), b = chance(50) ? a : pick_port();

	m->u.ports.lo = a < b ? a : b;
	m->u.ports.hi = a < b ? b : a;
}

/* The transport part of an nft rule, as lower.c makes it: `meta
 * l4proto` (or `ip6 nexthdr`) with nft evaluation, the gate asking for
 * the farthest field's end, the fields. */
static void nft_transport(struct bf_rule *r, bool v6)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 51, 47 };
	uint8_t proto = protos[below(ARRAY_SIZE(protos))];
	struct bf_match m;
	bool tcp = proto == 6, icmp = proto == 1 || proto == 58;

	if (!v6 && proto == 58)
		proto = 1;
	if (v6 && proto == 1)
		proto = 58;
	m = pu_proto(proto, chance(10));
	m.nft = v6 && chance(25) ? BF_NFT_RAW : BF_NFT_BREAK;
	add(r, &m);
	if (m.neg || (!tcp && proto != 17 && !icmp))
		return;
	m = pu_l4hdr(proto, 0, false);
	m.nft = BF_NFT_BREAK;
	m.u.l4hdr.min_len = icmp	      ? (uint8_t)(chance(50) ? 1 : 2) :
			    tcp && chance(40) ? 14 :
			    chance(50)	      ? 2 :
						4;
	add(r, &m);
	if (icmp) {
		m = pu_m(BF_MATCH_ICMP, chance(30));
		m.nft = BF_NFT_BREAK;
		m.u.icmp.type = (uint8_t)(v6 ? 128 + below(2) : below(2) * 8);
		m.u.icmp.code_lo = 0;
		m.u.icmp.code_hi = chance(50) ? 0 : 0xff;
		add(r, &m);
		return;
	}
	if (m.u.l4hdr.min_len >= 2 && chance(70)) {
		m = pu_m(BF_MATCH_SPORT, chance(30));
		m.nft = BF_NFT_BREAK;
		port_range(&m);
		add(r, &m);
	}
	if (m.u.l4hdr.min_len >= 4 && chance(70)) {
		m = pu_m(BF_MATCH_DPORT, chance(30));
		m.nft = BF_NFT_BREAK;
		port_range(&m);
		add(r, &m);
	}
	if (tcp && r->matches[r->n_matches - 1].type == BF_MATCH_L4HDR &&
	    r->matches[r->n_matches - 1].u.l4hdr.min_len >= 14) {
		m = pu_m(BF_MATCH_TCPFLAGS, chance(30));
		m.nft = BF_NFT_BREAK;
		m.u.tcpflags.mask = chance(50) ? 0x17 : 0xff;
		m.u.tcpflags.cmp = chance(50) ? 0x02 : 0x10;
		add(r, &m);
	}
}

/* nft's limit: slow rates (per hour or day, a few packets of burst) and
 * rates so high that every packet is within them. Not a rate whose
 * tokens the nanoseconds between two evaluations refill: the program
 * reads the clock at each evaluation of a limit, the interpreter takes
 * one time per packet, and a packet may pass the same limit several
 * times (jumps to one chain from several rules). */
static void nft_limit(struct bf_rule *r)
{
	struct bf_match m = pu_m(BF_MATCH_NFT_LIMIT, false);
	struct bf_nft_limit *l = &m.u.nft_limit;
	bool fast = chance(20);

	l->over = chance(30);
	l->bytes = chance(30);
	if (fast) {
		/* 1 ns a packet, a bucket of 1000: never over */
		l->rate = l->bytes ? 4000000000ull : 1000000000ull;
		l->unit = 1;
	} else if (l->bytes) {
		/* a day: the tokens the test's seconds add stay far
		 * below a packet's cost (tens of seconds at least) */
		l->rate = chance(50) ? 1000 : 100000;
		l->unit = 86400;
		l->burst = (uint32_t)(below(3) * 1500);
	} else {
		l->rate = 1 + below(3);
		l->unit = chance(50) ? 3600 : 86400;
	}
	if (!l->bytes)
		l->burst = fast ? 1000 : below(4) ?: 5;
	add(r, &m);
}

static int32_t tz_west; /* gettimeofday()'s, as the code generator's */

/* xt_time around the current time: windows and dates an hour or a day
 * from it (so that the second between the interpreter's clock reading and
 * the program's cannot change an outcome), weekdays and days of the
 * month with or without today */
static bool time_match(struct bf_match *m)
{
	int64_t now = (int64_t)time(NULL), stamp;
	uint32_t sod, dse, wd;

	*m = pu_m(BF_MATCH_TIME, false);
	m->u.time.flags = chance(30) ? BF_TIME_LOCAL_TZ : 0;
	stamp = now - (m->u.time.flags ? 60 * (int64_t)tz_west : 0);
	sod = (uint32_t)(stamp % 86400);
	if (sod < 7200 || sod > 86400 - 7200)
		return false; /* near midnight: no time rule */
	dse = (uint32_t)(stamp / 86400);
	wd = (dse + 3) % 7 + 1;
	m->u.time.date_start = 0;
	m->u.time.date_stop = INT32_MAX;
	if (chance(20))
		m->u.time.date_stop = (uint32_t)(now - 86400);
	else if (chance(20))
		m->u.time.date_start = (uint32_t)(now - 86400);
	m->u.time.daytime_start = 0;
	m->u.time.daytime_stop = BF_TIME_MAX_DAYTIME;
	switch (below(5)) {
	case 0:
		m->u.time.daytime_start = sod - 3600;
		m->u.time.daytime_stop = sod + 3600;
		break;
	case 1:
		m->u.time.daytime_start = sod + 3600;
		m->u.time.daytime_stop = sod - 3600; /* wraps: not now */
		break;
	case 2:
		m->u.time.daytime_start = sod - 3600; /* wraps: now */
		m->u.time.daytime_stop = sod - 7000;
		if (chance(50))
			m->u.time.flags |= BF_TIME_CONTIGUOUS;
		break;
	case 3:
		/* wraps, now in its part "after midnight": with
		 * --contiguous, days counted from the day before */
		m->u.time.daytime_start = sod + 3600;
		m->u.time.daytime_stop = sod + 1800;
		if (chance(70))
			m->u.time.flags |= BF_TIME_CONTIGUOUS;
		break;
	default:
		break;
	}
	m->u.time.weekdays_match = BF_TIME_ALL_WEEKDAYS;
	if (chance(40))
		m->u.time.weekdays_match =
			(uint8_t)(chance(50) ?
					  1u << wd :
					  BF_TIME_ALL_WEEKDAYS & ~(1u << wd));
	m->u.time.monthdays_match = BF_TIME_ALL_MONTHDAYS;
	if (chance(40))
		m->u.time.monthdays_match = rnd() & BF_TIME_ALL_MONTHDAYS;
	return true;
}

static void random_rule(struct bf_rule *r, const struct where *w,
			char (*users)[8], size_t first, size_t n_users,
			bool builtin)
{
	bool v6 = w->fam == BF_FAMILY_INET6, nf = w->attach == BF_ATTACH_NF;
	struct bf_match m;

	memset(r, 0, sizeof(*r));
	r->family = w->fam;
	if (chance(20)) {
		const char *a = pick_addr(v6);

		m = pu_addr(chance(50) ? BF_MATCH_SADDR : BF_MATCH_DADDR, a,
			    v6 ? 64 : 24, chance(25));
		add(r, &m);
	}
	if (chance(55))
		nft_transport(r, v6);
	else if (chance(50)) {
		m = pu_m(chance(50) ? BF_MATCH_TH_SPORT : BF_MATCH_TH_DPORT,
			 chance(30));
		port_range(&m);
		add(r, &m);
	}
	if (nf && chance(15)) {
		static const uint32_t idx[] = { 1, 2, 7 };

		m = pu_m(w->hook == BF_HOOK_INPUT  ? BF_MATCH_IIF :
			 w->hook == BF_HOOK_OUTPUT ? BF_MATCH_OIF :
			 chance(50)		   ? BF_MATCH_IIF :
						     BF_MATCH_OIF,
			 chance(30));
		m.u.ifindex.index = idx[below(ARRAY_SIZE(idx))];
		add(r, &m);
	}
	if (chance(15)) {
		m = pu_m(chance(50) ? BF_MATCH_ETH_DADDR : BF_MATCH_ETH_TYPE,
			 chance(30));
		if (m.type == BF_MATCH_ETH_TYPE)
			m.u.ethtype.type = chance(70) ? (v6 ? 0x86dd : 0x0800) :
							0x8100;
		else
			memcpy(m.u.mac.addr, macs[below(ARRAY_SIZE(macs))], 6);
		add(r, &m);
	}
	if (w->hook == BF_HOOK_INPUT && chance(10)) {
		m = pu_m(BF_MATCH_MAC, chance(30));
		memcpy(m.u.mac.addr, macs[below(ARRAY_SIZE(macs))], 6);
		add(r, &m);
	}
	if (w->attach != BF_ATTACH_XDP && chance(8)) {
		m = pu_m(BF_MATCH_VLAN, chance(30));
		m.u.vlan.field = (uint8_t)below(3);
		m.u.vlan.lo = 0;
		m.u.vlan.hi = (uint16_t)below(5);
		add(r, &m);
	}
	if (w->attach != BF_ATTACH_XDP && chance(10)) {
		m = pu_m(BF_MATCH_PKTTYPE, chance(30));
		m.u.pkttype.pkttype = (uint8_t)below(4);
		add(r, &m);
	}
	if (nf && chance(8)) {
		m = pu_m(BF_MATCH_CONNMARK, chance(30));
		m.u.mark.mask = 0xffffffff;
		m.u.mark.value = below(2);
		add(r, &m);
	}
	if (nf && chance(10)) {
		/* ct status / ct direction / a state list with SNAT */
		m = pu_m(BF_MATCH_CONNTRACK, false);
		switch (below(3)) {
		case 0:
			m.u.conntrack.match_flags = BF_CT_STATUS;
			m.u.conntrack.status_mask = BF_CT_STATUS_ASSURED;
			if (chance(50))
				m.u.conntrack.invert_flags = BF_CT_STATUS;
			break;
		case 1:
			m.u.conntrack.match_flags = BF_CT_DIRECTION;
			if (chance(50))
				m.u.conntrack.invert_flags = BF_CT_DIRECTION;
			break;
		default:
			m.u.conntrack.match_flags = BF_CT_STATE;
			m.u.conntrack.state_mask =
				(uint16_t)(chance(50) ?
						   BF_CT_STATE_INVALID :
						   BF_CT_STATE_SNAT |
							   BF_CT_STATE_NEW);
			if (chance(30))
				m.u.conntrack.invert_flags = BF_CT_STATE;
			break;
		}
		add(r, &m);
	}
	if (chance(12)) {
		/* addrtype (nft's fib daddr type lowers to it): address
		 * types anywhere, the route's at nf INPUT */
		bool route = nf && w->hook == BF_HOOK_INPUT && chance(70);

		m = pu_m(BF_MATCH_ADDRTYPE, false);
		if (v6) {
			static const uint16_t t6[] = { 1 << 0, 1 << 1, 1 << 5 };

			m.u.addrtype.source = chance(50) ? t6[below(3)] : 0;
			m.u.addrtype.dest = route ? (uint16_t)(chance(50) ?
								       1 << 2 :
								       1 << 7) :
						    t6[below(3)];
		} else {
			m.u.addrtype.source = chance(40) ? 1 << 5 : 0;
			m.u.addrtype.dest =
				route ? (uint16_t)(1 << 2 | 1 << 1) : 1 << 5;
		}
		if (chance(40))
			m.u.addrtype.flags |= BF_ADDRTYPE_INVERT_SOURCE;
		if (chance(40))
			m.u.addrtype.flags |= BF_ADDRTYPE_INVERT_DEST;
		add(r, &m);
	}
	if (v6 && chance(10)) {
		/* ip6t_rt (and nft's rt type, BF_RT_NFT) */
		m = pu_m(BF_MATCH_RT, false);
		if (chance(30)) {
			m.u.rt.flags = BF_RT_TYP | BF_RT_NFT;
		} else {
			m.u.rt.segsleft[0] = below(3);
			m.u.rt.segsleft[1] = chance(50) ? 255 : below(4);
			if (chance(30)) {
				m.u.rt.flags |= BF_RT_LEN;
				m.u.rt.hdrlen = 8 * (1 + below(3));
			}
			if (chance(50))
				m.u.rt.flags |= BF_RT_TYP;
			if (chance(20))
				m.u.rt.flags |= BF_RT_RES;
			if (chance(30))
				m.u.rt.invflags |= BF_RT_INV_SGS;
			if (chance(30))
				m.u.rt.invflags |= BF_RT_INV_LEN;
		}
		m.u.rt.rt_type = below(3);
		if (chance(30))
			m.u.rt.invflags |= BF_RT_INV_TYP;
		add(r, &m);
	}
	if (nf && chance(6) && time_match(&m))
		add(r, &m);
	if (chance(8)) {
		/* tcpmss (-p tcp -m tcpmss) */
		m = pu_m(BF_MATCH_TCPMSS, chance(30));
		m.u.length.min = chance(50) ? 536 : 0;
		m.u.length.max = chance(50) ? 1460 : 1000;
		add(r, &m);
	}
	if (chance(6)) {
		/* statistic --mode nth (a count kept per program) */
		m = pu_m(BF_MATCH_STATISTIC, chance(20));
		m.u.statistic.mode = BF_STATISTIC_NTH;
		m.u.statistic.every = below(3);
		m.u.statistic.packet = below(m.u.statistic.every + 1);
		m.u.statistic.invert = chance(30);
		add(r, &m);
	}
	if (chance(15))
		nft_limit(r);
	switch (below(9)) {
	case 0:
	case 1:
		r->verdict.kind = BF_VERDICT_ACCEPT;
		break;
	case 2:
	case 3:
		r->verdict.kind = BF_VERDICT_DROP;
		break;
	case 4:
		r->verdict.kind = BF_VERDICT_CONTINUE;
		break;
	case 5:
		r->verdict.kind = builtin ? BF_VERDICT_DROP : BF_VERDICT_RETURN;
		/* nft's accept of a base chain another follows */
		if (chance(30))
			r->verdict.kind = BF_VERDICT_NFT_NEXT;
		break;
	default:
		if (first < n_users) {
			r->verdict.kind = chance(70) ? BF_VERDICT_JUMP :
						       BF_VERDICT_GOTO;
			snprintf(r->verdict.chain, sizeof(r->verdict.chain),
				 "%s",
				 users[first +
				       below((uint32_t)(n_users - first))]);
		} else {
			r->verdict.kind = BF_VERDICT_ACCEPT;
		}
		break;
	}
}

static struct bf_ruleset *random_ruleset(const struct where *w)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	char users[3][8];
	size_t n_users = below(4);
	struct bf_chain *b;

	assert_non_null(rs);
	rs->families = 1u << w->fam;
	for (size_t i = 0; i < n_users; i++) {
		snprintf(users[i], sizeof(users[i]), "U%hhu", (unsigned char)i);
		assert_int_equal(
			bf_ruleset_add_chain(rs, w->fam, users[i], 0, NULL), 0);
	}
	for (size_t i = 0; i < n_users; i++) {
		size_t n = below(6);

		for (size_t k = 0; k < n; k++) {
			struct bf_rule r;

			random_rule(&r, w, users, i + 1, n_users, false);
			assert_int_equal(
				bf_chain_add_rule(bf_ruleset_chain(rs, w->fam,
								   users[i]),
						  &r),
				0);
		}
	}
	b = bf_ruleset_builtin(rs, w->fam, w->hook);
	b->policy = chance(50) ? BF_VERDICT_ACCEPT : BF_VERDICT_DROP;
	for (size_t k = 1 + below(10); k > 0; k--) {
		struct bf_rule r;

		random_rule(&r, w, users, 0, n_users, true);
		assert_int_equal(bf_chain_add_rule(b, &r), 0);
	}
	return rs;
}

/* TCP options after a plain TCP header (tcpmss): NOPs, EOL, another
 * option, an MSS option, maybe cut by the data offset or the packet */
static void tcp_options(struct pu_pkt *p, bool v6)
{
	uint32_t thoff = v6 ? 40 : 20, n = 4 * below(6), i = 0;
	uint8_t *op = p->b + thoff + 20;
	uint16_t v;

	while (i < n) {
		uint32_t k = below(5);

		if (k == 0 && n - i >= 4) {
			op[i++] = 2; /* MSS */
			op[i++] = chance(90) ? 4 : 3;
			v = htons((uint16_t)(chance(50) ? 1460 : 536));
			memcpy(op + i, &v, 2);
			i += 2;
		} else if (k == 1 && n - i >= 3) {
			op[i++] = 8; /* another kind, with its length */
			op[i++] = (uint8_t)(chance(80) ? 3 : below(3));
			op[i++] = 0;
		} else {
			op[i++] = (uint8_t)(chance(80) ? 1 : 0);
		}
	}
	/* the data offset: the options, or (rarely) off */
	p->b[thoff + 12] = (uint8_t)((chance(90) ? 5 + n / 4 : below(16)) << 4);
	p->len += n;
	if (chance(10))
		p->len -= below(n + 1); /* options cut by the packet */
	if (v6) {
		v = htons((uint16_t)(p->len - 40));
		memcpy(p->b + 4, &v, 2);
	} else {
		v = htons((uint16_t)p->len);
		memcpy(p->b + 2, &v, 2);
		memset(p->b + 10, 0, 2);
		v = pu_csum(p->b, 20);
		memcpy(p->b + 10, &v, 2);
	}
}

static struct pu_pkt random_packet(enum bf_family fam)
{
	static const struct eval_spec_odds odds = {
		.ports = ports,
		.n_ports = ARRAY_SIZE(ports),
		.flags_below = 256,
		.short_l4_pct = 15,
		.no_l4_pct = 20,
		.v6_ext_pct = 40,
	};
	bool v6 = fam == BF_FAMILY_INET6;
	struct pu_spec s;
	struct pu_pkt p;

	eval_random_spec(&s, fam, &odds);
	p = pu_build(&s);
	if (chance(6) && p.len > (v6 ? 41u : 21u)) {
		s.trunc = (int)((v6 ? 40 : 20) +
				below((uint32_t)p.len - (v6 ? 40 : 20)));
		p = pu_build(&s);
	}
	if (s.proto == 6 && !s.trunc && !s.frag && !s.n_ext && !s.l4len &&
	    chance(40))
		tcp_options(&p, v6);
	return p;
}

/* A frame for tc / XDP: Ethernet addresses from the pool, maybe an
 * 802.1Q tag in it. Returns its length. */
static size_t make_frame(uint8_t *f, const struct pu_pkt *p, enum bf_family fam,
			 bool tag, uint16_t tci)
{
	uint16_t et = htons(fam == BF_FAMILY_INET6 ? 0x86dd : 0x0800);
	size_t off = 12;

	memcpy(f, macs[below(ARRAY_SIZE(macs))], 6);
	memcpy(f + 6, macs[below(ARRAY_SIZE(macs))], 6);
	if (tag) {
		uint16_t tpid = htons(0x8100), t = htons(tci);

		memcpy(f + off, &tpid, 2);
		memcpy(f + off + 2, &t, 2);
		off += 4;
	}
	memcpy(f + off, &et, 2);
	memcpy(f + off + 2, p->b, p->len);
	return off + 2 + p->len;
}

static int run_frame(const struct pu_prog *prog, const uint8_t *f, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	o.data_in = f;
	o.data_size_in = (uint32_t)len;
	if (bpf_prog_test_run_opts(prog->prog_fd, &o) != 0) {
		fprintf(stderr, "test_run: %s\n", strerror(errno));
		return -1000 - errno;
	}
	return (int)o.retval;
}

/* eth_type_trans() on the loopback device (address and broadcast
 * address 0): the packet type BPF_PROG_TEST_RUN gives a frame at tc */
static uint8_t lo_pkttype(const uint8_t *dmac)
{
	static const uint8_t zero[6] = { 0 };

	if (dmac[0] & 1)
		return 2; /* PACKET_MULTICAST, ff:ff:... included */
	return memcmp(dmac, zero, 6) ? 3 /* PACKET_OTHERHOST */ :
				       0 /* PACKET_HOST */;
}

struct tally {
	uint64_t *pk;
	size_t n;
	unsigned int limit_steps;
};

static void on_step(const struct bf_eval_step *st, void *data)
{
	struct tally *x = data;

	if (getenv("BF_EVAL_STEPS"))
		fprintf(stderr, "  step %s chain %s rule %zu matched %d %s\n",
			bf_eval_event_name(st->event), st->chain->name,
			st->rule_num, st->matched,
			st->match ? bf_match_name(st->match->type) : "-");
	if (st->event == BF_EVAL_RULE && st->matched &&
	    st->rule->counter_idx < x->n)
		x->pk[st->rule->counter_idx]++;
	if (st->event == BF_EVAL_POLICY && st->chain->policy_counter_idx < x->n)
		x->pk[st->chain->policy_counter_idx]++;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void dump_case(const struct bf_ruleset *rs, const struct where *w,
		      const uint8_t *b, size_t len)
{
	fprintf(stderr, "ruleset (%s, attach %d, hook %s):\n",
		bf_family_name(w->fam), w->attach, bf_hook_name(w->hook));
	bf_ipt_print(stderr, rs, w->fam, 0);
	fprintf(stderr, "packet/frame (%zu bytes):", len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 4 ? "" : " ", b[i]);
	fprintf(stderr, "\n");
}

struct stats {
	unsigned int runs, failures, tagged, limits, within;
	unsigned int per_type[BF_MATCH_COUNT];
};

/* One packet through both; returns true when they agree. */
static bool compare(const struct bf_ruleset *rs, const struct where *w,
		    const struct pu_prog *prog, struct bf_eval_state *st,
		    struct stats *sx)
{
	struct pu_pkt p = random_packet(w->fam);
	uint8_t frame[2048 + 32];
	size_t flen = 0;
	bool tagged = false, bad = false;
	struct bf_eval_pkt ep;
	struct bf_eval_result res;
	uint64_t want[512] = { 0 };
	struct tally x = { want, prog->n_counters, 0 };
	int got, er;

	assert_true(prog->n_counters <= ARRAY_SIZE(want));
	assert_int_equal(bf_eval_pkt_parse(&ep, w->fam, p.b, p.len), 0);
	if (ep.rt6_off && chance(80)) {
		/* a routing header's type, segments left and reserved
		 * bytes: random, as far as the packet goes */
		for (uint32_t i = 2; i < 8 && ep.rt6_off + i < p.len; i++)
			p.b[ep.rt6_off + i] = (uint8_t)(i == 2 ? below(3) :
							i == 3 ? below(4) :
							chance(80) ?
								 0 :
								 below(256));
		assert_int_equal(bf_eval_pkt_parse(&ep, w->fam, p.b, p.len), 0);
	}
	ep.known = BF_EVAL_KNOW_IFINDEX | BF_EVAL_KNOW_L2 |
		   BF_EVAL_KNOW_PKTTYPE | BF_EVAL_KNOW_CT | BF_EVAL_KNOW_ROUTE |
		   BF_EVAL_KNOW_TIME;
	ep.now_real = (uint32_t)time(NULL);
	ep.tz_minuteswest = tz_west;
	/* no route (skb_dst) under BPF_PROG_TEST_RUN: IPv4 0xff, IPv6
	 * UNREACHABLE (cgen/mext.c) */
	ep.rt_type = w->fam == BF_FAMILY_INET6 ? 1 << 7 : 0xff;
	if (w->attach == BF_ATTACH_NF) {
		/* see the head comment; pkt_type as eth_type_trans() on
		 * the loopback device gives it to pu_run()'s frame
		 * (destination 02:00:...) before INPUT / FORWARD */
		snprintf(ep.oif, sizeof(ep.oif), "lo");
		ep.ifindex_out = 1;
		ep.ctstate = BF_CTSTATE_INVALID;
		ep.pkttype = w->hook == BF_HOOK_OUTPUT ? 0 : 3;
	} else {
		tagged = w->attach == BF_ATTACH_TC ? chance(10) : chance(5);
		flen = make_frame(frame, &p, w->fam, tagged,
				  (uint16_t)below(0x10000));
		snprintf(w->hook == BF_HOOK_INPUT ? ep.iif : ep.oif,
			 BF_IFNAMSIZ, "veth0");
		ep.ctstate = BF_CTSTATE_NEW;
		ep.eth_ok = true;
		memcpy(ep.dmac, frame, 6);
		ep.ethtype = w->fam == BF_FAMILY_INET6 ? 0x86dd : 0x0800;
		ep.smac_ok = w->hook == BF_HOOK_INPUT;
		memcpy(ep.smac, frame + 6, 6);
		ep.pkttype = lo_pkttype(frame);
	}
	if (tagged) {
		/* not IP to the prologue: left alone, nothing counted */
		res.verdict = BF_VERDICT_ACCEPT;
		sx->tagged++;
	} else if (w->attach != BF_ATTACH_NF && w->fam == BF_FAMILY_INET6 &&
		   p.b[4] == 0 && p.b[5] == 0 && p.b[6] == 0) {
		/* a jumbogram at tc/XDP: left alone (doc/codegen.md) */
		res.verdict = BF_VERDICT_ACCEPT;
	} else {
		er = bf_eval_at(rs, w->hook, &ep, st, mono_ns(), on_step, &x,
				&res);
		if (er) {
			dump_case(rs, w, p.b, p.len);
			fail_msg("bf_eval_at: %d (%s at rule %zu)", er,
				 res.match ? bf_match_name(res.match->type) :
					     "-",
				 res.rule_num);
		}
	}
	pu_reset_counters(prog);
	got = w->attach == BF_ATTACH_NF ? pu_run(prog, p.b, p.len, w->fam) :
					  run_frame(prog, frame, flen);
	sx->runs++;
	if (got != (res.verdict == BF_VERDICT_ACCEPT ? pu_accept(prog) :
						       pu_drop(prog))) {
		fprintf(stderr,
			"VERDICT MISMATCH: interpreter %s (%s%schain %s rule "
			"%zu), program %d\n",
			bf_verdict_name(res.verdict),
			res.hotdrop ? "hotdrop, " : "",
			res.policy ? "policy, " : "",
			res.chain ? res.chain->name : "-", res.rule_num, got);
		bad = true;
	}
	for (uint32_t c = 0; c < prog->n_counters; c++) {
		struct bf_counter cc = pu_counter(prog, c);

		if (cc.packets != want[c] || cc.bytes != want[c] * p.len) {
			fprintf(stderr,
				"COUNTER MISMATCH: counter %u: program %" PRIu64
				" packets, interpreter %" PRIu64 "\n",
				c, cc.packets, want[c]);
			bad = true;
		}
	}
	if (bad) {
		if (w->attach == BF_ATTACH_NF)
			dump_case(rs, w, p.b, p.len);
		else
			dump_case(rs, w, frame, flen);
	}
	return !bad;
}

static void count_types(const struct bf_ruleset *rs, struct stats *sx)
{
	for (size_t c = 0; c < rs->n_chains; c++)
		for (size_t r = 0; r < rs->chains[c].n_rules; r++)
			for (size_t k = 0; k < rs->chains[c].rules[r].n_matches;
			     k++)
				sx->per_type[rs->chains[c]
						     .rules[r]
						     .matches[k]
						     .type]++;
}

static void test_random(void **state)
{
	const char *env = getenv("BF_EVAL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) :
			      (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	unsigned int n_rs = getenv("BF_EVAL_RULESETS") ?
				    (unsigned)atoi(getenv("BF_EVAL_RULESETS")) :
				    60;
	unsigned int n_pk = getenv("BF_EVAL_PACKETS") ?
				    (unsigned)atoi(getenv("BF_EVAL_PACKETS")) :
				    150;
	struct stats sx;

	(void)state;
	BFT_REQUIRE_KERNEL();
	{
		struct timezone tz;
		struct timeval tv;

		if (!gettimeofday(&tv, &tz))
			tz_west = tz.tz_minuteswest;
	}
	memset(&sx, 0, sizeof(sx));
	print_message("seed %" PRIu64 " (BF_EVAL_SEED=%" PRIu64 " to repeat)\n",
		      seed, seed);
	rng = seed ? seed : 1;
	for (unsigned int i = 0; i < n_rs && sx.failures < 5; i++) {
		uint32_t pick = below(10);
		struct where w = {
			.fam = (enum bf_family)(i % 2),
			.attach = pick < 5 ? BF_ATTACH_NF :
				  pick < 8 ? BF_ATTACH_TC :
					     BF_ATTACH_XDP,
		};
		struct bf_eval_state *st = bf_eval_state_new();
		struct bf_ruleset *rs;
		struct pu_prog prog;
		int r;

		assert_non_null(st);
		w.hook = w.attach == BF_ATTACH_NF ?
				 (enum bf_hook)below(BF_HOOK_COUNT) :
			 w.attach == BF_ATTACH_TC ?
				 (chance(50) ? BF_HOOK_INPUT : BF_HOOK_OUTPUT) :
				 BF_HOOK_INPUT;
		rs = random_ruleset(&w);
		count_types(rs, &sx);
		r = pu_load(rs, w.attach, w.hook, w.fam, "veth0", &prog);
		if (r) {
			dump_case(rs, &w, NULL, 0);
			fail_msg("ruleset %u does not compile/load: %d", i, r);
		}
		for (unsigned int k = 0; k < n_pk && sx.failures < 5; k++) {
			if (!compare(rs, &w, &prog, st, &sx)) {
				fprintf(stderr,
					"seed %" PRIu64
					", ruleset %u, packet %u\n",
					seed, i, k);
				sx.failures++;
			}
		}
		pu_close(&prog);
		bf_eval_state_free(&st);
		bf_ruleset_free(&rs);
	}
	print_message(
		"%u packets compared (%u tagged frames), %u "
		"mismatching; matches: th %u, iif/oif %u, ether %u, "
		"mac %u, vlan %u, pkttype %u, connmark %u, conntrack "
		"%u, nft limit %u, addrtype %u, rt %u, statistic %u, "
		"tcpmss %u, time %u\n",
		sx.runs, sx.tagged, sx.failures,
		sx.per_type[BF_MATCH_TH_SPORT] + sx.per_type[BF_MATCH_TH_DPORT],
		sx.per_type[BF_MATCH_IIF] + sx.per_type[BF_MATCH_OIF],
		sx.per_type[BF_MATCH_ETH_DADDR] +
			sx.per_type[BF_MATCH_ETH_TYPE],
		sx.per_type[BF_MATCH_MAC], sx.per_type[BF_MATCH_VLAN],
		sx.per_type[BF_MATCH_PKTTYPE], sx.per_type[BF_MATCH_CONNMARK],
		sx.per_type[BF_MATCH_CONNTRACK],
		sx.per_type[BF_MATCH_NFT_LIMIT], sx.per_type[BF_MATCH_ADDRTYPE],
		sx.per_type[BF_MATCH_RT], sx.per_type[BF_MATCH_STATISTIC],
		sx.per_type[BF_MATCH_TCPMSS], sx.per_type[BF_MATCH_TIME]);
	assert_int_equal(sx.failures, 0);
	assert_true(sx.runs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
