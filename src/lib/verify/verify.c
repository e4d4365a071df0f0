// SPDX-License-Identifier: GPL-2.0-only
/*
 * The verify engine (include/bpfilter/verify.h): one ruleset through the
 * kernel's iptables and bpfilter in scratch namespaces, the same probes
 * through both, every verdict compared. The topology and observation are
 * in net.h, the probes in probe.h and pkt.h; this file runs one ruleset:
 * topology from the IR, sides, probes, comparison, and for mismatches the
 * rule that decided on each side.
 *
 * The report goes to the stream the caller gives (opts->out): it is the
 * product of this engine, as the listing is the product of bf_list().
 */
#include <ctype.h>
#include <limits.h>
#include <sys/uio.h>

#include "bpfilter/eval.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/verify.h"
#include "check/check.h"
#include "verify/net.h"
#include "verify/pkt.h"
#include "verify/probe.h"
#include "verify/nftref.h"
#include "verify/vutil.h"

_Static_assert(BF_VERIFY_MAX_SIDES == DPROBE_MAX_SIDES,
	       "one side count for the engine and its probes");

#define DEF_MAX_PROBES 24000
#define DEF_TIME_MS 60000
#define DEF_RANDOM 200
#define DEF_PRINT 40
#define DEF_EXPLAIN 5
#define DRAIN_MS 300
/* Interfaces R can route to by TOS: ip rules take the four TOS bits
 * (0x04..0x1c in steps of 4), so at most 7, "other" included. */
#define TOPO_MAX_ROUTED 7

/* One bf_verify_run(). */
struct run {
	const struct bf_verify_opts *o;
	struct bf_verify_result *res;
	FILE *out;
	const char *name;
	enum bf_family fam;
	enum bf_slot_kind kind;
	const struct bf_ruleset *rs; /* NULL if the text does not parse */
	struct bf_ruleset *own; /* rs when parsed here */
	struct dtopo topo;
	struct dgen g;
	const char *sv[BF_VERIFY_MAX_SIDES];
	int nsd;
	struct dside sd[BF_VERIFY_MAX_SIDES];
	char tmpdir[64];
	char file[BF_VERIFY_MAX_SIDES][PATH_MAX];
};

static bool verbose(const struct run *r)
{
	return r->o->verbose || getenv("BF_DIFF_VERBOSE");
}

/* ---- topology from the IR ---------------------------------------------- */

static bool valid_ifname(const char *n)
{
	size_t i, l = strlen(n);

	if (!l || l >= IFNAMSIZ || !strcmp(n, "lo") || !strcmp(n, ".") ||
	    !strcmp(n, ".."))
		return false;
	for (i = 0; i < l; i++)
		if (n[i] == '/' || n[i] == ':' || n[i] <= ' ' || n[i] > '~')
			return false;
	return true;
}

struct names {
	int n;
	char v[64][IFNAMSIZ];
};

static void names_add(struct names *l, const char *n)
{
	int k;

	if (!valid_ifname(n) || l->n >= 64)
		return;
	for (k = 0; k < l->n; k++)
		if (!strcmp(l->v[k], n))
			return;
	snprintf(l->v[l->n++], IFNAMSIZ, "%s", n);
}

static bool topo_has(const struct dtopo *t, const char *n)
{
	int k;

	for (k = 0; k < t->n_if; k++)
		if (!strcmp(t->name[k], n))
			return true;
	return false;
}

/* Does any interface match of the ruleset (non-"+") accept this name? */
static bool name_matched(const struct bf_ruleset *rs, enum bf_family fam,
			 const char *n)
{
	size_t c, r, m;

	for (c = 0; rs && c < rs->n_chains; c++) {
		if (rs->chains[c].family != fam)
			continue;
		for (r = 0; r < rs->chains[c].n_rules; r++)
			for (m = 0; m < rs->chains[c].rules[r].n_matches; m++) {
				const struct bf_match *x =
					&rs->chains[c].rules[r].matches[m];

				if ((x->type == BF_MATCH_IIFNAME ||
				     x->type == BF_MATCH_OIFNAME) &&
				    x->u.iface.cmp_len && if_matches(x, n))
					return true;
			}
	}
	return false;
}

/*
 * One interface per name of -i/-o (a concrete name for "foo+": "foo0",
 * and "foo" itself if there is room), one that matches no name, and R's
 * lo last if a rule names it. Returns the index of the unmatched one.
 */
static int topo_build(struct run *run)
{
	static const char *const others[] = { "bfdx0", "zz9", "q" };
	const struct bf_ruleset *rs = run->rs;
	struct dtopo *t = &run->topo;
	struct names first = { 0 }, bare = { 0 };
	bool lo = false;
	size_t c, r, m, oi;
	int k, other;

	memset(t, 0, sizeof(*t));
	for (c = 0; rs && c < rs->n_chains; c++) {
		if (rs->chains[c].family != run->fam)
			continue;
		for (r = 0; r < rs->chains[c].n_rules; r++) {
			const struct bf_rule *ru = &rs->chains[c].rules[r];

			for (m = 0; m < ru->n_matches; m++) {
				const struct bf_match *x = &ru->matches[m];
				char n[IFNAMSIZ + 1];
				size_t l;

				if (x->type != BF_MATCH_IIFNAME &&
				    x->type != BF_MATCH_OIFNAME)
					continue;
				snprintf(n, sizeof(n), "%s", x->u.iface.name);
				l = strlen(n);
				if (!strcmp(n, "lo")) {
					lo = true;
					continue;
				}
				if (l && n[l - 1] == '+') {
					if (l == 1)
						continue;
					n[l - 1] = '0';
					names_add(&first, n);
					n[l - 1] = '\0';
					names_add(&bare, n);
					continue;
				}
				names_add(&first, n);
			}
		}
	}
	for (k = 0; k < first.n && t->n_if < TOPO_MAX_ROUTED - 1; k++)
		snprintf(t->name[t->n_if++], IFNAMSIZ, "%s", first.v[k]);
	if (k < first.n && run->out)
		fprintf(run->out,
			"note: more interface names than %d: %d of them get no "
			"interface\n",
			TOPO_MAX_ROUTED - 1, first.n - k);
	for (oi = 0; oi < ARRAY_SIZE(others); oi++)
		if (!name_matched(rs, run->fam, others[oi]))
			break;
	other = t->n_if;
	snprintf(t->name[t->n_if++], IFNAMSIZ, "%s",
		 others[oi < ARRAY_SIZE(others) ? oi : 0]);
	for (k = 0; k < bare.n && t->n_if < TOPO_MAX_ROUTED; k++)
		if (!topo_has(t, bare.v[k]))
			snprintf(t->name[t->n_if++], IFNAMSIZ, "%s", bare.v[k]);
	if (lo) {
		t->is_lo[t->n_if] = true;
		snprintf(t->name[t->n_if++], IFNAMSIZ, "lo");
	}
	return other;
}

/* ---- one side: apply the ruleset --------------------------------------- */

/* Replace the temporary file's path by the ruleset's name in a message. */
static void name_file(const struct run *run, const char *file, char *msg,
		      size_t size)
{
	char *p = strstr(msg, file), tail[512];

	if (!p)
		return;
	snprintf(tail, sizeof(tail), "%s", p + strlen(file));
	/* With the caller's parse (a command file), the sides loaded its
	 * iptables-save form: the lines are that text's. */
	snprintf(p, size - (size_t)(p - msg), "%s%s%s", run->name,
		 run->o->rs ? " (as iptables-save)" : "", tail);
}

/* The line of a tool's output that says what is wrong: the first one
 * that is not a warning (bpfilter warns, e.g. about REJECT at nf, before
 * the error that refuses the ruleset). */
static void first_error(const char *out, char *err, size_t errsize)
{
	const char *l = out && *out ? out : "(no message)";
	const char *p = l;

	while (*p) {
		size_t n = strcspn(p, "\n");

		if (n && !memmem(p, n, "warning:", 8)) {
			snprintf(err, errsize, "%.*s", (int)n, p);
			return;
		}
		p += n + (p[n] == '\n');
	}
	snprintf(err, errsize, "%.*s", (int)strcspn(l, "\n"), l);
}

/* bpfilter accepted the ruleset but warned (REJECT at nf drops without
 * an ICMP error, ...): what the verdicts compared here cannot show. */
static void show_warnings(const struct run *run, const char *out,
			  const char *file)
{
	const char *p = out;
	int n = 0;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		char line[768];

		if (len && memmem(p, len, "warning:", 8)) {
			run->res->warnings++;
			if (!run->out || n > 10) {
				p += len + (p[len] == '\n');
				continue;
			}
			if (n++ == 10) {
				fprintf(run->out, "  (more warnings)\n");
				return;
			}
			snprintf(line, sizeof(line), "%.*s", (int)len, p);
			name_file(run, file, line, sizeof(line));
			fprintf(run->out, "  %s\n", line);
		}
		p += len + (p[len] == '\n');
	}
}

static const char *fam_flag(enum bf_family fam)
{
	return fam == BF_FAMILY_INET6 ? "6" : "4";
}

static int side_apply(struct run *run, int s, char *err, size_t errsize)
{
	struct dside *sd = &run->sd[s];
	const char *file = run->file[s];
	const char *v = run->fam == BF_FAMILY_INET6 ? "6" : "";
	int r = 0, k, warned = 0;

	err[0] = '\0';
	if (!strcmp(sd->kind, "nftables")) {
		/* the kernel's nftables with an nft -f ruleset (H18: the
		 * reference of tests/diff/diff_nft.c) */
		_cleanup_free_ char *out = NULL;

		r = bf_vsh_out(&out, "ip netns exec %s nft -f %s 2>&1",
			       sd->ns_r, file);
		if (r)
			first_error(out, err, errsize);
	} else if (strcmp(sd->kind, "bpfilter")) {
		_cleanup_free_ char *out = NULL;

		r = bf_vsh_out(&out,
			       "ip netns exec %s ip%stables-%s-restore "
			       "< %s 2>&1",
			       sd->ns_r, v, sd->kind, file);
		if (r)
			first_error(out, err, errsize);
	} else if (run->kind == BF_SLOT_NF && run->o->bpfilter_script) {
		_cleanup_free_ char *out = NULL;

		r = bf_vsh_out(&out, "ip netns exec %s sh -e %s 2>&1", sd->ns_r,
			       run->o->bpfilter_script);
		if (r)
			first_error(out, err, errsize);
	} else if (run->kind == BF_SLOT_NF) {
		_cleanup_free_ char *out = NULL;

		r = bf_vsh_out(&out, "ip netns exec %s %s apply -%s %s 2>&1",
			       sd->ns_r, bf_verify_bin(), fam_flag(run->fam),
			       file);
		if (r)
			first_error(out, err, errsize);
		else
			show_warnings(run, out, file);
	} else {
		/* tc / xdp: one program per interface, -i/-o decided
		 * against it at compile time */
		for (k = 0; k < run->topo.n_if && !r; k++) {
			_cleanup_free_ char *out = NULL;

			if (run->topo.is_lo[k])
				continue;
			r = bf_vsh_out(&out,
				       "ip netns exec %s %s apply --hook %s "
				       "--iface %s -%s %s 2>&1",
				       sd->ns_r, bf_verify_bin(),
				       bf_slot_kind_name(run->kind),
				       run->topo.name[k], fam_flag(run->fam),
				       file);
			if (r)
				first_error(out, err, errsize);
			else if (!warned++)
				show_warnings(run, out, file);
		}
	}
	if (!r)
		return 0;
	name_file(run, file, err, errsize);
	return -EINVAL;
}

/* ---- sending and observing --------------------------------------------- */

struct obs_ctx {
	const struct dprobe *v;
	size_t n;
	bool input; /* observed by a raw socket in R (else AF_PACKET in S) */
	bool l4base; /* offsets relative to the transport header */
};

static long obs_check(uint32_t id, size_t off, void *data)
{
	const struct obs_ctx *o = data;
	const struct dprobe *p;
	size_t want;

	if (id >= o->n)
		return -1;
	p = &o->v[id];
	if ((p->hook == BF_HOOK_INPUT) != o->input)
		return -1;
	want = p->pkt.marker_off - (o->l4base ? p->pkt.l4_off : 0);
	return off == want ? (long)id : -1;
}

/* A truncated probe (no marker) observed: check it is that probe. */
static void seen_short(struct dprobe *v, size_t n, uint32_t id, bool input,
		       enum bf_family fam, const uint8_t *saddr, int proto,
		       int si)
{
	/* proto (the IPv4 header's protocol; -1: not known here): a
	 * packet R sends itself from the probe's address (an ICMP error,
	 * a reset) can carry the probe's IPv4 ID, not its protocol */
	if (id >= n || !v[id].pkt.truncated ||
	    (v[id].hook == BF_HOOK_INPUT) != input ||
	    v[id].spec.family != fam ||
	    (proto >= 0 && proto != v[id].spec.proto) ||
	    memcmp(saddr, v[id].spec.saddr, fam == BF_FAMILY_INET4 ? 4 : 16))
		return;
	v[id].seen[si] = true;
}

/* Read what one raw socket of R has queued (local delivery). */
static int drain_raw(struct dside *sd, int i, struct dprobe *v, size_t n,
		     int si)
{
	bool v4 = sd->raw_family[i] == BF_FAMILY_INET4;
	struct obs_ctx o = { .v = v, .n = n, .input = true, .l4base = !v4 };
	uint8_t buf[2048];
	union {
		struct cmsghdr h;
		uint8_t b[256];
	} cbuf;
	int got = 0;

	for (;;) {
		struct sockaddr_in6 from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = &cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t len = recvmsg(sd->raw_in[i], &mh, 0);
		const uint8_t *src;
		struct cmsghdr *cm;
		uint32_t flow = 0xffffffff;
		long id;

		if (len <= 0)
			break;
		got++;
		if (v4 && len < 20)
			continue;
		src = v4 ? buf + 12 : (const uint8_t *)&from.sin6_addr;
		id = dpkt_find_marker(buf, (size_t)len, obs_check, &o);
		if (id >= 0) {
			/* the source must be the probe's (not a reply
			 * quoting it) */
			if (!memcmp(src, v[id].spec.saddr, v4 ? 4 : 16))
				v[id].seen[si] = true;
			continue;
		}
		if (v4) {
			seen_short(v, n, dpkt_ip4_id(buf), true,
				   BF_FAMILY_INET4, src, buf[9], si);
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_FLOWINFO) {
				uint32_t fi;

				memcpy(&fi, CMSG_DATA(cm), sizeof(fi));
				flow = ntohl(fi) & 0xfffff;
			}
		if (flow != 0xffffffff)
			seen_short(v, n, flow, true, BF_FAMILY_INET6, src,
				   sd->raw_proto[i], si);
	}
	return got;
}

/* Read everything queued on the side's observers; returns packets read. */
static int drain(struct dside *sd, struct dprobe *v, size_t n, int si)
{
	struct obs_ctx o = { .v = v, .n = n };
	uint8_t buf[2048];
	int i, got = 0;

	for (i = 0; i < sd->n_raw; i++)
		got += drain_raw(sd, i, v, n, si);
	for (int lo = 0; lo < 2; lo++)
		for (;;) {
			struct sockaddr_ll sll = { 0 };
			socklen_t sl = sizeof(sll);
			ssize_t len = recvfrom(lo ? sd->lo_rx : sd->pkt_rx, buf,
					       sizeof(buf), 0,
					       (struct sockaddr *)&sll, &sl);
			const uint8_t *ip = buf + 14;
			long id;

			if (len <= 0)
				break;
			got++;
			/* in S: what arrives from R; on R's lo: what R sends */
			if ((sll.sll_pkttype == PACKET_OUTGOING) != !!lo ||
			    len < 14 + 20)
				continue;
			o.input = false;
			o.l4base = false;
			id = dpkt_find_marker(ip, (size_t)len - 14, obs_check,
					      &o);
			if (id >= 0) {
				v[id].seen[si] = true;
				continue;
			}
			if (buf[12] == 0x08 && buf[13] == 0x00)
				seen_short(v, n, dpkt_ip4_id(ip), false,
					   BF_FAMILY_INET4, ip + 12, ip[9], si);
			else if (buf[12] == 0x86 && buf[13] == 0xdd)
				seen_short(v, n,
					   (uint32_t)((ip[1] & 0x0f) << 16 |
						      ip[2] << 8 | ip[3]),
					   false, BF_FAMILY_INET6, ip + 8, -1,
					   si);
		}
	return got;
}

/* Send into R on interface k: from S, or from R itself for lo. */
static int send_in(struct dside *sd, const struct dtopo *t, int k,
		   enum bf_family fam, const uint8_t *ip, size_t len)
{
	if (t->is_lo[k])
		return dnet_send_out(sd, k, fam, ip, len);
	return dnet_send_in(sd, k, fam, ip, len);
}

static int send_pkt(const struct run *run, struct dside *sd,
		    const struct dprobe *p, const struct dpkt *k, bool setup)
{
	const struct dtopo *t = &run->topo;
	enum bf_hook h = p->hook;
	enum bf_family fam = p->spec.family;
	int i, r = 0;

	for (i = 0; i < k->n && !r; i++) {
		if (!setup) {
			if (h == BF_HOOK_OUTPUT)
				r = dnet_send_out(sd, p->out_if, fam,
						  k->data[i], k->len[i]);
			else
				r = send_in(sd, t, p->in_if, fam, k->data[i],
					    k->len[i]);
		} else {
			/* the reverse direction of the probe */
			if (h == BF_HOOK_INPUT)
				r = dnet_send_out(sd, p->in_if, fam, k->data[i],
						  k->len[i]);
			else
				r = send_in(sd, t, p->out_if, fam, k->data[i],
					    k->len[i]);
		}
	}
	return r;
}

static bool fatal_send(int r)
{
	return r == -EBADF || r == -ENOTSOCK || r == -EFAULT;
}

/* Send the reverse packets that put ESTABLISHED/RELATED probes' flows
 * into conntrack. */
static int send_setups(const struct run *run, struct dside *sd)
{
	size_t i;
	int r;

	for (i = 0; i < run->g.n; i++) {
		const struct dprobe *p = &run->g.v[i];

		if (p->ct != DCT_ESTABLISHED && p->ct != DCT_RELATED)
			continue;
		r = send_pkt(run, sd, p, &p->setup, true);
		if (fatal_send(r))
			return r;
	}
	return 0;
}

/* Send every probe through a side and record what it saw. */
static int run_side(struct run *run, int si, uint64_t deadline)
{
	struct dside *sd = &run->sd[si];
	struct dprobe *v = run->g.v;
	size_t i, n = run->g.n, unsent = 0;
	uint64_t t0, last;
	int r;

	for (i = 0; i < n; i++) {
		v[i].seen[si] = false;
		if (v[i].hook == BF_HOOK_INPUT) {
			r = dnet_raw_in(sd, v[i].spec.family, v[i].spec.proto);
			if (r)
				return r;
		}
	}
	drain(sd, v, 0, si); /* discard anything from the setup */
	for (i = 0; i < n; i++) {
		r = send_pkt(run, sd, &v[i], &v[i].pkt, false);
		if (fatal_send(r))
			return r;
		/* Some probes cannot leave R at all (a ::1 source out of a
		 * veth: EADDRNOTAVAIL...): never seen, on every side. */
		if (r)
			unsent++;
		if (i % 64 == 63)
			drain(sd, v, n, si);
		if (dnet_now_ms() > deadline)
			return -ETIMEDOUT;
	}
	/* Delivery is synchronous on veth; wait a little for stragglers. */
	t0 = last = dnet_now_ms();
	while (dnet_now_ms() - t0 < DRAIN_MS) {
		struct pollfd pf[DNET_MAX_RAW + 2];
		int np = 0, k;

		for (k = 0; k < sd->n_raw; k++)
			pf[np++] = (struct pollfd){ .fd = sd->raw_in[k],
						    .events = POLLIN };
		pf[np++] =
			(struct pollfd){ .fd = sd->pkt_rx, .events = POLLIN };
		pf[np++] = (struct pollfd){ .fd = sd->lo_rx, .events = POLLIN };
		if (poll(pf, (nfds_t)np, 50) > 0) {
			drain(sd, v, n, si);
			last = dnet_now_ms();
		} else if (dnet_now_ms() - last >= 100) {
			break;
		}
	}
	if (unsent && verbose(run) && run->out)
		fprintf(run->out, "  %s: %zu probes could not be sent\n",
			sd->kind, unsent);
	return 0;
}

/* ---- the rule that decided --------------------------------------------- */

static const char *ct_name(enum dct c)
{
	return c == DCT_ESTABLISHED ? "ESTABLISHED" :
	       c == DCT_INVALID	    ? "INVALID" :
	       c == DCT_RELATED	    ? "RELATED" :
	       c == DCT_UNTRACKED   ? "UNTRACKED" :
				      "NEW";
}

static void probe_words(const struct dtopo *t, const struct dprobe *p,
			char *buf, size_t size)
{
	char pk[256];

	dpkt_describe(&p->spec, pk, sizeof(pk));
	snprintf(buf, size, "%s in=%s out=%s ct=%s: %s", bf_hook_name(p->hook),
		 p->in_if >= 0 ? t->name[p->in_if] : "-",
		 p->out_if >= 0 ? t->name[p->out_if] : "-", ct_name(p->ct), pk);
}

/* The interface whose tc/xdp slot a probe goes through. */
static int probe_iface(const struct dprobe *p)
{
	return p->hook == BF_HOOK_OUTPUT ? p->out_if : p->in_if;
}

/* The side's filter table with counters (":CHAIN POLICY [p:b]" and
 * "[p:b] -A ..." lines); for bpfilter at tc/xdp, of interface k. */
static char *save_counters(const struct run *run, struct dside *sd, int k)
{
	const char *v = run->fam == BF_FAMILY_INET6 ? "6" : "";
	char *out = NULL;

	if (!strcmp(sd->kind, "nftables"))
		return NULL; /* no iptables-save counters there */
	if (strcmp(sd->kind, "bpfilter"))
		bf_vsh_out(&out,
			   "ip netns exec %s ip%stables-%s-save -c -t filter",
			   sd->ns_r, v, sd->kind);
	else if (run->kind == BF_SLOT_NF || k < 0)
		bf_vsh_out(&out, "ip netns exec %s %s save -%s -c", sd->ns_r,
			   bf_verify_bin(), fam_flag(run->fam));
	else
		bf_vsh_out(&out,
			   "ip netns exec %s %s save --hook %s --iface %s -%s "
			   "-c",
			   sd->ns_r, bf_verify_bin(),
			   bf_slot_kind_name(run->kind), run->topo.name[k],
			   fam_flag(run->fam));
	return out;
}

/* One counter of a save -c listing: a rule (idx >= 0) or a policy. */
struct cnt {
	char chain[64];
	long idx; /* rule index in its chain, -1 for the policy */
	unsigned long long pkts;
	char text[256]; /* "-A CHAIN ..." or ":CHAIN POLICY" */
};

static size_t parse_counters(char *text, struct cnt *v, size_t max)
{
	char *save = NULL, *l;
	size_t n = 0;

	for (l = strtok_r(text, "\n", &save); l && n < max;
	     l = strtok_r(NULL, "\n", &save)) {
		struct cnt *c = &v[n];
		char chain[64];
		const char *a;

		memset(c, 0, sizeof(*c));
		if (l[0] == ':' &&
		    sscanf(l + 1, "%63s %*s [%llu:", chain, &c->pkts) == 2) {
			snprintf(c->chain, sizeof(c->chain), "%s", chain);
			c->idx = -1;
			snprintf(c->text, sizeof(c->text), "%.*s",
				 (int)strcspn(l, "["), l);
			while (strlen(c->text) &&
			       c->text[strlen(c->text) - 1] == ' ')
				c->text[strlen(c->text) - 1] = '\0';
			n++;
		} else if (l[0] == '[' && (a = strstr(l, "] -A ")) &&
			   sscanf(l + 1, "%llu:", &c->pkts) == 1 &&
			   sscanf(a + 5, "%63s", chain) == 1) {
			long idx = 0;
			size_t i;

			snprintf(c->chain, sizeof(c->chain), "%s", chain);
			for (i = 0; i < n; i++)
				if (v[i].idx >= 0 &&
				    !strcmp(v[i].chain, c->chain))
					idx++;
			c->idx = idx;
			snprintf(c->text, sizeof(c->text), "%s", a + 2);
			n++;
		}
	}
	return n;
}

static const struct bf_chain *find_chain(const struct run *run,
					 const char *name)
{
	size_t i;

	for (i = 0; run->rs && i < run->rs->n_chains; i++)
		if (run->rs->chains[i].family == run->fam &&
		    !strcmp(run->rs->chains[i].name, name))
			return &run->rs->chains[i];
	return NULL;
}

static bool terminal(enum bf_verdict_kind k)
{
	return k == BF_VERDICT_ACCEPT || k == BF_VERDICT_DROP ||
	       k == BF_VERDICT_REJECT;
}

/* "name:line" of a counter's rule or policy (from the IR; the same text
 * on each side, so the same rule at the same index of its chain). */
static void cnt_where(const struct run *run, const struct cnt *c,
		      const struct bf_rule **rule, char *buf, size_t size)
{
	const struct bf_chain *ch = find_chain(run, c->chain);

	*rule = NULL;
	buf[0] = '\0';
	if (!ch)
		return;
	if (c->idx < 0) {
		snprintf(buf, size, "%s:%d", run->name, ch->line);
	} else if ((size_t)c->idx < ch->n_rules) {
		*rule = &ch->rules[c->idx];
		snprintf(buf, size, "%s:%d",
			 (*rule)->file ? (*rule)->file : run->name,
			 (*rule)->line);
	}
}

#define MAX_CNT 4096

/* Is the chain on the probe's path (reachable from its hook's built-in
 * chain; lo probes go through OUTPUT and INPUT)? Counters of other chains
 * move for the host's own replies (a TCP reset, an ICMP error). */
static bool on_path(const struct run *run, const struct dprobe *p,
		    const char *chain)
{
	const struct bf_chain *c = find_chain(run, chain);
	bool lo = (p->in_if >= 0 && run->topo.is_lo[p->in_if]) ||
		  (p->out_if >= 0 && run->topo.is_lo[p->out_if]);
	_cleanup_free_ bool *seen = NULL;
	int h;

	if (!c || !run->rs)
		return true;
	seen = calloc(run->rs->n_chains + 1, sizeof(*seen));
	if (!seen)
		return true;
	for (h = 0; h < BF_HOOK_COUNT; h++) {
		if (h != (int)p->hook &&
		    !(lo && (h == BF_HOOK_INPUT || h == BF_HOOK_OUTPUT)))
			continue;
		reach(run->rs, run->fam, (enum bf_hook)h, seen);
		if (seen[c - run->rs->chains])
			return true;
	}
	return false;
}

/*
 * Re-send one probe alone through a side and name the rule that decided
 * from the counters that moved (read in traversal order: a rule with a
 * terminal target, else the policy of the built-in chain). The conntrack
 * state the whole run left may make the decision differ from the first
 * time; ESTABLISHED/RELATED probes get their setup packet first, through
 * the filter now, its counters read before the probe's.
 */
static void explain(struct run *run, int s, struct dprobe *p,
		    const struct bf_rule *hint)
{
	struct dside *sd = &run->sd[s];
	int k = run->kind == BF_SLOT_NF ? -1 : probe_iface(p);
	_cleanup_free_ char *before = NULL, *after = NULL;
	_cleanup_free_ struct cnt *b = NULL, *a = NULL;
	size_t nb, na, i;
	const struct cnt *decider = NULL;
	char where[PATH_MAX + 16];
	const struct bf_rule *rule;
	bool mapped = !run->o->side_text[s];

	if (p->ct == DCT_ESTABLISHED || p->ct == DCT_RELATED) {
		send_pkt(run, sd, p, &p->setup, true);
		usleep(20000);
	}
	before = save_counters(run, sd, k);
	b = calloc(MAX_CNT, sizeof(*b));
	a = calloc(MAX_CNT, sizeof(*a));
	if (!before || !b || !a)
		return;
	send_pkt(run, sd, p, &p->pkt, false);
	usleep(20000);
	after = save_counters(run, sd, k);
	if (!after)
		return;
	nb = parse_counters(before, b, MAX_CNT);
	na = parse_counters(after, a, MAX_CNT);
	fprintf(run->out, "    %s (re-sent alone%s, counters):", sd->kind,
		p->pkt.n > 1 ? " as 2 fragments" : "");
	if (na != nb) {
		fprintf(run->out, " the listing changed shape\n");
		return;
	}
	for (i = 0; i < na; i++) {
		if (a[i].pkts == b[i].pkts || !on_path(run, p, a[i].chain))
			continue;
		cnt_where(run, &a[i], &rule, where, sizeof(where));
		if (!mapped)
			where[0] = '\0';
		if (a[i].idx >= 0 &&
		    (rule ? terminal(rule->verdict.kind) :
			    strstr(a[i].text, " -j ACCEPT") ||
				     strstr(a[i].text, " -j DROP") ||
				     strstr(a[i].text, " -j REJECT"))) {
			/* the first in traversal order, unless the IR
			 * interpreter names another that moved (the
			 * host's own replies move counters too) */
			if (!decider || decider->idx < 0 ||
			    (mapped && hint && rule == hint))
				decider = &a[i];
		} else if (a[i].idx < 0 && !decider) {
			decider = &a[i];
		}
		fprintf(run->out, "\n      %s%s%s", where, where[0] ? ": " : "",
			a[i].text);
	}
	if (!decider) {
		fprintf(run->out, " none moved\n");
		return;
	}
	cnt_where(run, decider, &rule, where, sizeof(where));
	fprintf(run->out, "\n      => decided by %s%s%s%s\n",
		decider->idx < 0 ? "the policy " : "", mapped ? where : "",
		mapped && where[0] ? ": " : "", decider->text);
}

/* The IR interpreter's verdict for a probe (its first datagram): 0, or
 * -errno of bf_eval(), -ENODATA when it cannot be asked. */
static int eval_probe(const struct run *run, const struct dprobe *p,
		      struct bf_eval_result *res)
{
	static const uint32_t ctbits[] = {
		[DCT_NEW] = BF_CTSTATE_NEW,
		[DCT_ESTABLISHED] = BF_CTSTATE_ESTABLISHED,
		[DCT_INVALID] = BF_CTSTATE_INVALID,
		[DCT_RELATED] = BF_CTSTATE_RELATED,
		[DCT_UNTRACKED] = BF_CTSTATE_UNTRACKED,
	};
	struct bf_eval_pkt pkt;

	memset(res, 0, sizeof(*res));
	if (!run->rs || run->o->no_eval ||
	    bf_eval_pkt_parse(&pkt, run->fam, p->pkt.data[0], p->pkt.len[0]))
		return -ENODATA;
	if (p->hook != BF_HOOK_OUTPUT && p->in_if >= 0)
		snprintf(pkt.iif, sizeof(pkt.iif), "%s",
			 run->topo.name[p->in_if]);
	if (p->hook != BF_HOOK_INPUT && p->out_if >= 0)
		snprintf(pkt.oif, sizeof(pkt.oif), "%s",
			 run->topo.name[p->out_if]);
	pkt.ctstate = ctbits[p->ct];
	/* without a conntrack entry there is nothing else to know of it
	 * (ct mark, status, direction: no match); with one, its status
	 * and mark are the scratch host's, not known here */
	if (p->ct == DCT_INVALID || p->ct == DCT_UNTRACKED)
		pkt.known |= BF_EVAL_KNOW_CT;
	if (p->hook != BF_HOOK_OUTPUT && p->in_if >= 0 &&
	    !run->topo.is_lo[p->in_if]) {
		/* the frame S sent into R (dnet_send_in()): R's address as
		 * destination (PACKET_HOST), S's as source, no tag */
		pkt.known |= BF_EVAL_KNOW_L2 | BF_EVAL_KNOW_PKTTYPE;
		pkt.eth_ok = pkt.smac_ok = true;
		dnet_mac(pkt.dmac, 1, p->in_if);
		dnet_mac(pkt.smac, 2, p->in_if);
		pkt.ethtype = run->fam == BF_FAMILY_INET6 ? 0x86dd : 0x0800;
	} else if (p->hook == BF_HOOK_OUTPUT && run->kind == BF_SLOT_NF) {
		/* no link-layer header yet (cgen/m_ether.c) */
		pkt.known |= BF_EVAL_KNOW_L2;
	}
	return bf_eval(run->rs, p->hook, &pkt, NULL, NULL, res);
}

static void print_eval(const struct run *run, const struct dprobe *p, int r,
		       const struct bf_eval_result *res)
{
	if (r == -ENODATA)
		return;
	fprintf(run->out, "    IR interpreter (bpfilter trace)%s: ",
		p->pkt.n > 1 ? " on the first fragment" : "");
	if (r == -EOPNOTSUPP && res->stateful) {
		/* a limit: its outcome depends on the packets before */
		fprintf(run->out, "%s of %s:%d depends on state\n",
			bf_match_name(res->match->type),
			res->rule && res->rule->file ? res->rule->file :
						       run->name,
			res->rule ? res->rule->line : 0);
	} else if (r == -EOPNOTSUPP) {
		fprintf(run->out, "does not model %s of %s:%d\n",
			res->match ? bf_match_name(res->match->type) :
				     "the target",
			res->rule && res->rule->file ? res->rule->file :
						       run->name,
			res->rule ? res->rule->line : 0);
	} else if (r) {
		fprintf(run->out, "error %s\n", strerror(-r));
	} else if (res->policy) {
		fprintf(run->out, "%s by the policy of %s (%s:%d)\n",
			bf_verdict_name(res->verdict),
			res->chain ? res->chain->name : "?", run->name,
			res->chain ? res->chain->line : 0);
	} else if (res->rule) {
		fprintf(run->out, "%s by %s:%d (rule %zu of %s)%s\n",
			bf_verdict_name(res->verdict),
			res->rule->file ? res->rule->file : run->name,
			res->rule->line, res->rule_num,
			res->chain ? res->chain->name : "?",
			res->hotdrop ? ", hotdrop" : "");
	} else {
		fprintf(run->out, "%s\n", bf_verdict_name(res->verdict));
	}
}

/* How many rules of the reference side matched at least one packet:
 * rules no probe reached are listed (the first few). */
static void report_coverage(struct run *run)
{
	_cleanup_free_ char *out = save_counters(run, &run->sd[0], -1);
	char *save = NULL, *l, missed[4][160];
	int rules = 0, hit = 0, nm = 0, i;

	if (!out)
		return;
	for (l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *a = strstr(l, "] -A ");

		if (l[0] != '[' || !a)
			continue;
		rules++;
		if (strncmp(l, "[0:", 3))
			hit++;
		else if (nm < 4)
			snprintf(missed[nm++], sizeof(missed[0]), "%s", a + 2);
	}
	run->res->rules = rules;
	run->res->rules_hit = hit;
	if (!run->out || run->o->quiet_coverage)
		return;
	fprintf(run->out, "  %s: %d of %d rules matched a packet\n", run->name,
		hit, rules);
	for (i = 0; i < nm; i++)
		fprintf(run->out, "    never matched: %s\n", missed[i]);
}

/* ---- one ruleset -------------------------------------------------------- */

static void log_to_buf(enum bf_log_level level, const char *msg, void *data)
{
	struct bf_verify_result *res = data;
	size_t l = strlen(res->parse_error);

	if (level <= BF_LOG_WARN && l < sizeof(res->parse_error) - 24)
		snprintf(res->parse_error + l, sizeof(res->parse_error) - l,
			 "%s%s", l ? "; " : "", msg);
}

/* Only the probes a tc / xdp slot sees: INPUT (ingress) of a veth, and
 * at tc OUTPUT (egress) of a veth. */
static void keep_slot_probes(struct run *run)
{
	size_t i, n = 0;

	if (run->kind == BF_SLOT_NF)
		return;
	for (i = 0; i < run->g.n; i++) {
		const struct dprobe *p = &run->g.v[i];
		bool keep = false;

		if (p->hook == BF_HOOK_INPUT)
			keep = p->in_if >= 0 && !run->topo.is_lo[p->in_if];
		else if (p->hook == BF_HOOK_OUTPUT && run->kind == BF_SLOT_TC)
			keep = p->out_if >= 0 && !run->topo.is_lo[p->out_if];
		if (keep)
			run->g.v[n++] = *p;
	}
	run->g.n = n;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, text, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -EIO;
}

static int setup_files(struct run *run, const char *text)
{
	char base[96];
	size_t i, bl = 0;
	const char *nb = strrchr(run->name, '/');
	int s, r;

	snprintf(run->tmpdir, sizeof(run->tmpdir), "/tmp/bfverify-XXXXXX");
	if (!mkdtemp(run->tmpdir)) {
		run->tmpdir[0] = '\0';
		return -errno;
	}
	/* a file named after the ruleset, so that error lines say which */
	nb = nb ? nb + 1 : run->name;
	for (i = 0; nb[i] && bl + 1 < sizeof(base); i++) {
		char ch = nb[i];

		base[bl++] = isalnum((unsigned char)ch) || ch == '.' ||
					     ch == '-' || ch == '_' ?
				     ch :
				     '_';
	}
	base[bl] = '\0';
	for (s = 0; s < run->nsd; s++) {
		const char *t = run->o->side_text[s] ? run->o->side_text[s] :
						       text;

		snprintf(run->file[s], sizeof(run->file[s]), "%s/%s%s%d",
			 run->tmpdir, base, s ? ".side" : "", s ? s : 0);
		if (!s)
			snprintf(run->file[s], sizeof(run->file[s]), "%s/%s",
				 run->tmpdir, base);
		r = write_text(run->file[s], t);
		if (!r && !strcmp(run->sd[s].kind, "nftables"))
			r = bf_verify_nft_ref_file(run->file[s]);
		if (r)
			return r;
	}
	return 0;
}

static void fail(struct run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run->res->error, sizeof(run->res->error), fmt, ap);
	va_end(ap);
	run->res->failed = true;
	if (run->out)
		fprintf(run->out, "FAILED %s: %s\n", run->name,
			run->res->error);
}

/* Compare the verdicts of every probe; print mismatches (and probes with
 * BF_DIFF_DUMP / opts->dump). */
static void compare(struct run *run)
{
	const struct bf_verify_opts *o = run->o;
	int max_print = o->max_print < 0 ? DEF_PRINT : o->max_print;
	int max_explain = o->max_explain < 0 ? DEF_EXPLAIN : o->max_explain;
	bool dump = o->dump || getenv("BF_DIFF_DUMP");
	int printed = 0, explained = 0, s;
	size_t i;

	for (i = 0; i < run->g.n; i++) {
		struct dprobe *p = &run->g.v[i];
		bool mism = false;
		char w[512];

		run->res->accepted += p->seen[0];
		run->res->per_hook[p->hook]++;
		for (s = 1; s < run->nsd; s++)
			if (p->seen[s] != p->seen[0])
				mism = true;
		if (dump && run->out) {
			probe_words(&run->topo, p, w, sizeof(w));
			fprintf(run->out, "probe #%zu [%s] %s:", i, p->why, w);
			for (s = 0; s < run->nsd; s++)
				fprintf(run->out, " %s=%s", run->sv[s],
					p->seen[s] ? "ACCEPT" : "DROP");
			fprintf(run->out, "\n");
		}
		if (!mism)
			continue;
		run->res->mismatches++;
		if (o->on_mismatch)
			o->on_mismatch(p->why, o->data);
		if (!run->out || printed++ >= max_print)
			continue;
		probe_words(&run->topo, p, w, sizeof(w));
		fprintf(run->out, "MISMATCH %s #%zu [%s] %s:", run->name, i,
			p->why, w);
		for (s = 0; s < run->nsd; s++)
			fprintf(run->out, " %s=%s", run->sv[s],
				p->seen[s] ? "ACCEPT" : "DROP");
		fprintf(run->out, "\n");
		{
			/* the interpreter for every mismatch printed, the
			 * counters (a re-send each) for the first ones */
			struct bf_eval_result er;
			int r = eval_probe(run, p, &er);
			const struct bf_rule *hint =
				!r && !er.policy ? er.rule : NULL;

			if (explained++ < max_explain)
				for (s = 0; s < run->nsd; s++)
					explain(run, s, p, hint);
			print_eval(run, p, r, &er);
		}
	}
}

static void run_probes(struct run *run, uint64_t t0, uint64_t deadline)
{
	struct bf_verify_result *res = run->res;
	int s, r;

	res->probes = run->g.n;
	for (s = 0; s < run->nsd; s++) {
		uint64_t ts = dnet_now_ms();

		sched_yield();
		r = run_side(run, s, deadline);
		if (r) {
			fail(run, "probing the %s side: %s", run->sv[s],
			     strerror(-r));
			return;
		}
		if (verbose(run) && run->out)
			fprintf(run->out, "  %s: %zu probes in %llu ms\n",
				run->sv[s], run->g.n,
				(unsigned long long)(dnet_now_ms() - ts));
	}
	compare(run);
	res->ms = dnet_now_ms() - t0;
	if (run->out) {
		fprintf(run->out,
			"%s: %zu probes (INPUT %zu, FORWARD %zu, OUTPUT %zu), "
			"%zu accepted by %s, %zu mismatches, %llu ms\n",
			run->name, res->probes, res->per_hook[BF_HOOK_INPUT],
			res->per_hook[BF_HOOK_FORWARD],
			res->per_hook[BF_HOOK_OUTPUT], res->accepted,
			run->sv[0], res->mismatches, res->ms);
		/* A probe set that no side accepts, or that every side
		 * accepts entirely, would prove little: say so. */
		if (res->accepted == 0 || res->accepted == res->probes)
			fprintf(run->out,
				"note: %s: every probe got the same verdict "
				"on %s\n",
				run->name, run->sv[0]);
	}
	report_coverage(run);
}

/* Sides, probes: everything after the parse. Returns what
 * bf_verify_run() returns. */
static int run_sides(struct run *run, const char *text, uint64_t t0)
{
	const struct bf_verify_opts *o = run->o;
	struct bf_verify_result *res = run->res;
	uint64_t deadline = t0 + (o->time_ms ? o->time_ms : DEF_TIME_MS);
	int order[BF_VERIFY_MAX_SIDES], no = 0, s, r;
	bool has_bpf = false, ct;
	char err[512];
	size_t i;

	for (s = 0; s < run->nsd; s++)
		if (!strcmp(run->sv[s], "bpfilter")) {
			order[no++] = s;
			has_bpf = true;
		}
	for (s = 0; s < run->nsd; s++)
		if (strcmp(run->sv[s], "bpfilter"))
			order[no++] = s;

	ct = strstr(text, "-m state") || strstr(text, "-m conntrack");
	run->g.family = run->fam;
	run->g.other_if = topo_build(run);
	run->g.topo = &run->topo;
	if (res->parsed) {
		run->g.ct = ct;
		run->g.frags = true;
		run->g.rng = o->seed ^ fnv(run->name, strlen(run->name),
					   1469598103934665603ull);
		if (!run->g.rng)
			run->g.rng = 1;
		if (dgen_prepare(&run->g, o->max_probes ? o->max_probes :
							  DEF_MAX_PROBES) ||
		    dgen_ruleset(&run->g, run->rs,
				 o->n_random < 0 ? DEF_RANDOM : o->n_random)) {
			fail(run, "cannot generate probes");
			return -ENOMEM;
		}
		keep_slot_probes(run);
		if (dgen_finish(&run->g)) {
			fail(run, "cannot generate probes");
			return -EINVAL;
		}
	} else if (!has_bpf) {
		/* Without a bpfilter side, the IR parser's refusal stands
		 * for it (bpfilter parses with it). */
		res->refused = true;
		res->refused_by = "IR parser";
		snprintf(res->refusal, sizeof(res->refusal), "%.*s",
			 (int)strcspn(res->parse_error, ";"), res->parse_error);
		return -EINVAL;
	}

	/* Create every side first: their links come up together (see
	 * dnet_side_wait()). bpfilter first: a refusal ends the run before
	 * anything else is set up. */
	for (i = 0; i < (size_t)run->nsd; i++) {
		s = order[i];
		r = dnet_side_create(&run->sd[s], run->sv[s], &run->topo, ct);
		if (r) {
			fail(run, "cannot set up the %s side: %s", run->sv[s],
			     strerror(-r));
			return r;
		}
	}
	for (i = 0; i < (size_t)run->nsd; i++) {
		s = order[i];
		r = dnet_side_wait(&run->sd[s], &run->topo);
		if (r) {
			fail(run, "the %s side's links: %s", run->sv[s],
			     strerror(-r));
			return r;
		}
		/* The reverse packets of ESTABLISHED/RELATED probes go
		 * before any filter exists, so that the conntrack entries
		 * exist whatever the ruleset does to them. */
		r = send_setups(run, &run->sd[s]);
		if (r) {
			fail(run, "sending setup packets (%s side): %s",
			     run->sv[s], strerror(-r));
			return r;
		}
		r = side_apply(run, s, err, sizeof(err));
		if (r && s != 0) {
			res->refused = true;
			res->refused_by = run->sv[s];
			snprintf(res->refusal, sizeof(res->refusal), "%s", err);
			return -EINVAL;
		}
		if (r) {
			fail(run, "%s could not load it: %s", run->sv[s], err);
			return r;
		}
	}
	if (!res->parsed) {
		fail(run,
		     "accepted by every side but the IR parser refuses "
		     "it: %s",
		     res->parse_error);
		return -EINVAL;
	}
	run_probes(run, t0, deadline);
	return res->failed ? -EIO : 0;
}

int bf_verify_run(const char *text, const char *name, enum bf_family family,
		  const struct bf_verify_opts *opts,
		  struct bf_verify_result *res)
{
	static const char *const def_sides[] = { "legacy", "bpfilter" };
	struct run run = { .o = opts,
			   .res = res,
			   .out = opts->out,
			   .name = name,
			   .fam = family,
			   .kind = opts->kind };
	uint64_t t0;
	bf_log_fn old_fn;
	void *old_data;
	int r, s;

	memset(res, 0, sizeof(*res));
	if (geteuid() != 0) {
		snprintf(res->error, sizeof(res->error),
			 "needs root (network namespaces, raw sockets)");
		res->failed = true;
		return -EPERM;
	}
	dnet_init();
	if (opts->bin)
		bf_verify_set_bin(opts->bin);
	t0 = dnet_now_ms();
	run.nsd = opts->n_sides ? opts->n_sides : 2;
	if (run.nsd > BF_VERIFY_MAX_SIDES)
		return -EINVAL;
	for (s = 0; s < run.nsd; s++) {
		run.sv[s] = opts->n_sides ? opts->sides[s] : def_sides[s];
		dnet_side_init(&run.sd[s], run.sv[s]);
	}

	if (opts->rs) {
		/* the caller's parse (its rules carry its file's lines) */
		run.rs = opts->rs;
		res->parsed = true;
	} else {
		run.own = bf_ruleset_new();
		if (!run.own)
			return -ENOMEM;
		bf_log_get(&old_fn, &old_data);
		bf_log_set(log_to_buf, res);
		res->parsed = bf_ipt_parse_restore_str(run.own, text, name,
						       family) == 0;
		bf_log_set(old_fn, old_data);
		if (!res->parsed)
			bf_ruleset_free(&run.own);
		run.rs = run.own;
	}

	r = setup_files(&run, text);
	if (r)
		fail(&run, "temporary files: %s", strerror(-r));
	else
		r = run_sides(&run, text, t0);

	for (s = run.nsd - 1; s >= 0; s--)
		dnet_side_destroy(&run.sd[s]);
	dgen_free(&run.g);
	bf_ruleset_free(&run.own);
	if (run.tmpdir[0])
		bf_vsh("rm -rf '%s'", run.tmpdir);
	res->ms = dnet_now_ms() - t0;
	return r;
}

size_t bf_verify_unsupported(const struct bf_ruleset *rs, enum bf_family family,
			     enum bf_slot_kind kind,
			     void (*fn)(const struct bf_rule *rule,
					const char *what, void *data),
			     void *data)
{
	enum bf_attach_kind at = kind == BF_SLOT_TC  ? BF_ATTACH_TC :
				 kind == BF_SLOT_XDP ? BF_ATTACH_XDP :
						       BF_ATTACH_NF;
	size_t c, r, m, n = 0;

	for (c = 0; rs && c < rs->n_chains; c++) {
		const struct bf_chain *ch = &rs->chains[c];

		if (ch->family != family)
			continue;
		for (r = 0; r < ch->n_rules; r++) {
			const struct bf_rule *ru = &ch->rules[r];
			char what[64] = "";

			for (m = 0; m < ru->n_matches && !what[0]; m++)
				if (!bf_check_match_supported(
					    ru->matches[m].type, at))
					snprintf(what, sizeof(what), "%s",
						 bf_match_name(
							 ru->matches[m].type));
			if (!what[0] &&
			    !bf_check_verdict_supported(ru->verdict.kind))
				snprintf(what, sizeof(what), "-j %s",
					 bf_verdict_name(ru->verdict.kind));
			if (!what[0])
				continue;
			n++;
			if (fn)
				fn(ru, what, data);
		}
	}
	return n;
}

void bf_verify_cleanup(void)
{
	dnet_cleanup();
}
