// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test: bpfilter against the kernel's own iptables.
 *
 * Each ruleset (an iptables-save filter table of one family) is loaded into
 * iptables-legacy (ipt_do_table, the reference) in one pair of network
 * namespaces and into bpfilter in another (or iptables-nft: see
 * BF_DIFF_SIDES); the same probe packets, generated from the parsed IR, go
 * through INPUT, FORWARD and OUTPUT of both, and every probe must get the
 * same verdict. See doc/testing.md for the method; diff_net.h for the
 * topology, diff_probe.h for the probes.
 *
 * Environment:
 *   BF_DIFF_SIDES   comma list, reference first (default
 *                   "legacy,bpfilter"; "legacy,nft" tests the harness)
 *   BF_DIFF_SEED    seed of the random probes (default: time)
 *   BF_DIFF_RANDOM  random probes per ruleset (default 200)
 *   BF_DIFF_RANDOM_RULESETS  random rulesets (default 16, half IPv6)
 *   BF_DIFF_FILTER  only rulesets whose name contains this
 *   BF_DIFF_RULESETS directory of hand-written rulesets (default
 *                   tests/diff/rulesets)
 *   BF_DIFF_VERBOSE print every command
 *   BF_DIFF_DUMP    print every probe with its verdicts
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <sys/uio.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "bftest.h"
#include "diff_net.h"
#include "diff_pkt.h"
#include "diff_gen.h"
#include "diff_probe.h"

#define MAX_CASES 128
#define MAX_PROBES 24000
#define CASE_TIME_MS 60000
#define DRAIN_MS 300
#define MAX_EXPLAIN 5
#define MAX_PRINT 40

enum case_kind {
	CASE_SAVE = 0, /* iptables-save text (maybe several tables) */
	CASE_CMDS, /* iptables / ip6tables command lines */
	CASE_UFW, /* ufw before/user/after files of one family */
	CASE_RANDOM, /* a seeded random ruleset (diff_gen.h) */
};

struct dcase {
	char name[160];
	char path[PATH_MAX];
	enum case_kind kind;
	enum bf_family family;
	/* results */
	bool refused;
	char refusal[512];
	size_t probes, mismatches;
	bool failed;
	uint64_t rseed; /* CASE_RANDOM */
	/* harness self-tests: the same ruleset on two iptables-legacy sides
	 * must give no mismatch; a changed one must give some */
	enum {
		SELFTEST_NONE = 0,
		SELFTEST_SAME,
		SELFTEST_MUTATED
	} selftest;
};

static struct dcase cases[MAX_CASES];
static int n_cases;
static const char *sides[DPROBE_MAX_SIDES];
static int n_sides;
static uint64_t seed;
static const struct dtopo *cur_topo; /* of the case running */
static char tmpdir[] = "/tmp/bfdiff-XXXXXX";
static int n_random = 200;

/* Totals over all rulesets. */
static struct {
	int run, refused, failed, skipped;
	int rules, rules_hit;
	size_t probes, mismatches;
} tot;

/* ---- ruleset text ------------------------------------------------------ */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The `*filter` ... `COMMIT` section of an iptables-save text. */
static char *extract_filter(const char *text)
{
	const char *p = text, *start = NULL, *end = NULL;

	while (*p) {
		const char *eol = strchrnul(p, '\n');

		if (!start && eol - p >= 7 && strncmp(p, "*filter", 7) == 0)
			start = p;
		else if (start && eol - p >= 6 &&
			 strncmp(p, "COMMIT", 6) == 0) {
			end = *eol ? eol + 1 : eol;
			break;
		}
		p = *eol ? eol + 1 : eol;
	}
	if (!start || !end)
		return NULL;
	return strndup(start, (size_t)(end - start));
}

/* Lines of a ufw file's filter section without *filter and COMMIT. */
static void ufw_body(FILE *chains, FILE *rules, const char *path)
{
	_cleanup_free_ char *t = read_file(path);
	_cleanup_free_ char *f = t ? extract_filter(t) : NULL;
	char *save = NULL, *l;

	if (!f)
		return;
	for (l = strtok_r(f, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == ':')
			fprintf(chains, "%s\n", l);
		else if (l[0] == '-')
			fprintf(rules, "%s\n", l);
	}
}

/*
 * ufw loads before.rules, user.rules and after.rules (each an
 * iptables-restore -n input) after creating its own chains and the jumps
 * from the built-in chains. Recreate that as one filter table: all chain
 * declarations, the jumps ufw adds (INPUT -> ufw-before-input,
 * ufw-user-input, ufw-after-input, and the same for OUTPUT/FORWARD), then
 * the rules in load order. Chains referenced but defined by ufw's code
 * rather than these files (ufw-logging-deny, ufw-skip-to-policy-input...)
 * are declared empty; that is printed.
 */
static char *ufw_text(const char *dir, enum bf_family fam)
{
	const char *sfx = fam == BF_FAMILY_INET6 ? "6" : "";
	const char *pre = fam == BF_FAMILY_INET6 ? "ufw6" : "ufw";
	static const char *const parts[] = { "before", "user", "after" };
	static const char *const hooks[] = { "input", "output", "forward" };
	static const char *const builtin[] = { "INPUT", "OUTPUT", "FORWARD" };
	char *cb = NULL, *rb = NULL, *out = NULL, path[PATH_MAX];
	size_t cl = 0, rl = 0, ol = 0;
	FILE *c = open_memstream(&cb, &cl), *r = open_memstream(&rb, &rl);
	FILE *o;
	int i, j;

	if (!c || !r)
		return NULL;
	for (i = 0; i < 3; i++) {
		if (snprintf(path, sizeof(path), "%s/ufw_conf_%s%s.rules", dir,
			     parts[i], sfx) < (int)sizeof(path))
			ufw_body(c, r, path);
	}
	fclose(c);
	fclose(r);
	o = open_memstream(&out, &ol);
	fprintf(o,
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n%s",
		cb);
	/* declare every chain a rule jumps to that no file declares */
	{
		char *save = NULL, *copy = strdup(rb), *l;

		for (l = strtok_r(copy, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			char *j2 = strstr(l, " -j ");
			char name[64], decl[80];

			if (!j2 || sscanf(j2 + 4, "%63s", name) != 1)
				continue;
			if (!strncmp(name, "ufw", 3) == 0)
				continue;
			snprintf(decl, sizeof(decl), ":%s ", name);
			if (strstr(cb, decl) || strstr(out ? out : "", decl))
				continue;
			fflush(o);
			if (out && strstr(out, decl))
				continue;
			fprintf(o, ":%s - [0:0]\n", name);
			printf("note: ufw%s: chain %s is created by ufw itself, "
			       "declared empty here\n",
			       sfx, name);
		}
		free(copy);
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			char decl[80];

			snprintf(decl, sizeof(decl), ":%s-%s-%s ", pre,
				 parts[j], hooks[i]);
			if (strstr(cb, decl))
				fprintf(o, "-A %s -j %s-%s-%s\n", builtin[i],
					pre, parts[j], hooks[i]);
		}
	fprintf(o, "%sCOMMIT\n", rb);
	fclose(o);
	free(cb);
	free(rb);
	return out;
}

/* Run an .iptables-cmds file in a scratch namespace with the kernel's
 * iptables-legacy and return that namespace's iptables-save filter table
 * for the family (NULL if the file has no command of that family). */
static char *cmds_text(const char *path, enum bf_family fam)
{
	_cleanup_free_ char *t = read_file(path);
	char ns[IFNAMSIZ], script[] = "/tmp/bfdiff-cmdXXXXXX";
	const char *cmd = fam == BF_FAMILY_INET6 ? "ip6tables" : "iptables";
	char *out = NULL, *save = NULL, *l;
	FILE *f;
	int fd, r, n = 0;

	if (!t)
		return NULL;
	fd = mkstemp(script);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	fprintf(f, "set -e\n");
	for (l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t cl = strlen(cmd);

		if (strncmp(l, cmd, cl) != 0 || l[cl] != ' ')
			continue;
		fprintf(f, "%s-legacy%s\n", cmd, l + cl);
		n++;
	}
	fclose(f);
	if (!n) {
		unlink(script);
		return NULL;
	}
	if (dnet_ns_add(ns, sizeof(ns), "bfdc") == 0) {
		r = dnet_sh("ip netns exec %s sh %s", ns, script);
		if (r == 0)
			bft_sh_out(&out,
				   "ip netns exec %s %s-legacy-save -t filter",
				   ns, cmd);
		else
			printf("cannot run the commands of %s (exit %d)\n",
			       path, r);
		dnet_ns_del(ns);
	}
	unlink(script);
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}

static char *case_text(const struct dcase *c)
{
	_cleanup_free_ char *t = NULL;
	char dir[PATH_MAX];

	switch (c->kind) {
	case CASE_SAVE:
		t = read_file(c->path);
		return t ? extract_filter(t) : NULL;
	case CASE_CMDS:
		return cmds_text(c->path, c->family);
	case CASE_UFW:
		snprintf(dir, sizeof(dir), "%s", c->path);
		return ufw_text(dir, c->family);
	case CASE_RANDOM: {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);

		if (!f)
			return NULL;
		rg_ruleset(c->rseed, c->family, f);
		fclose(f);
		return out;
	}
	}
	return NULL;
}

/* ---- supported features (H1's scope) ----------------------------------- */

/*
 * true if every rule uses only what bpfilter promises to support: the
 * built-in fields, -m tcp/udp/icmp/icmp6/multiport/iprange/comment/state,
 * -m conntrack --ctstate, and the targets ACCEPT/DROP/RETURN or a chain.
 * *why receives the first thing outside that scope.
 */
static bool only_supported(const char *text, char *why, size_t size)
{
	static const char *const mods[] = {
		"tcp",	   "udp",	"icmp",	     "icmp6",
		"icmpv6",  "ipv6-icmp", "multiport", "iprange",
		"comment", "state",	"conntrack"
	};
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL, *l;

	for (l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *tok, *s2 = NULL, *prev = NULL;
		bool in_ct = false;

		if (l[0] == '[')
			l = strchr(l, ']') ? strchr(l, ']') + 1 : l;
		while (*l == ' ')
			l++;
		if (strncmp(l, "-A", 2) && strncmp(l, "-I", 2))
			continue;
		for (tok = strtok_r(l, " \t", &s2); tok;
		     tok = strtok_r(NULL, " \t", &s2)) {
			if (prev && !strcmp(prev, "-m")) {
				size_t i;
				bool ok = false;

				for (i = 0; i < ARRAY_SIZE(mods); i++)
					if (!strcmp(tok, mods[i]))
						ok = true;
				in_ct = !strcmp(tok, "conntrack");
				if (!ok) {
					snprintf(why, size, "-m %s", tok);
					return false;
				}
			} else if (prev && (!strcmp(prev, "-j") ||
					    !strcmp(prev, "-g"))) {
				char decl[64];

				snprintf(decl, sizeof(decl), "\n:%s ", tok);
				if (strcmp(tok, "ACCEPT") &&
				    strcmp(tok, "DROP") &&
				    strcmp(tok, "RETURN") &&
				    !strstr(text, decl)) {
					snprintf(why, size, "-j %s", tok);
					return false;
				}
			} else if (in_ct && !strncmp(tok, "--ct", 4) &&
				   strcmp(tok, "--ctstate")) {
				snprintf(why, size, "conntrack %s", tok);
				return false;
			}
			prev = tok;
		}
	}
	return true;
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

/* Interfaces R can route to by TOS: ip rules take the four TOS bits
 * (0x04..0x1c in steps of 4), so at most 7, "other" included. */
#define TOPO_MAX_ROUTED 7

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
static int topo_build(struct dtopo *t, const struct bf_ruleset *rs,
		      enum bf_family fam)
{
	static const char *const others[] = { "bfdx0", "zz9", "q" };
	struct names first = { 0 }, bare = { 0 };
	bool lo = false;
	size_t c, r, m, oi;
	int k, other;

	memset(t, 0, sizeof(*t));
	for (c = 0; rs && c < rs->n_chains; c++) {
		if (rs->chains[c].family != fam)
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
	if (k < first.n)
		printf("note: more interface names than %d: %d of them get no "
		       "interface\n",
		       TOPO_MAX_ROUTED - 1, first.n - k);
	for (oi = 0; oi < ARRAY_SIZE(others); oi++)
		if (!name_matched(rs, fam, others[oi]))
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

static int side_apply(struct dside *sd, const char *file, enum bf_family fam,
		      char *err, size_t errsize)
{
	_cleanup_free_ char *out = NULL;
	const char *v = fam == BF_FAMILY_INET6 ? "6" : "";
	int r;

	err[0] = '\0';
	if (!strcmp(sd->kind, "legacy"))
		r = bft_sh_out(&out,
			       "ip netns exec %s ip%stables-legacy-restore "
			       "< %s 2>&1",
			       sd->ns_r, v, file);
	else if (!strcmp(sd->kind, "nft"))
		r = bft_sh_out(&out,
			       "ip netns exec %s ip%stables-nft-restore "
			       "< %s 2>&1",
			       sd->ns_r, v, file);
	else
		r = bft_sh_out(&out, "ip netns exec %s %s apply -%s %s 2>&1",
			       sd->ns_r, bft_bpfilter_bin(),
			       fam == BF_FAMILY_INET6 ? "6" : "4", file);
	if (r != 0) {
		/* the first line that says what is wrong */
		const char *l = out && *out ? out : "(no message)";
		const char *e = strstr(l, "error");

		snprintf(err, errsize, "%.*s", (int)strcspn(e ? e : l, "\n"),
			 e ? e : l);
		if (e && e != l) {
			/* keep the whole line the error is on */
			const char *b = e;

			while (b > l && b[-1] != '\n')
				b--;
			snprintf(err, errsize, "%.*s", (int)strcspn(b, "\n"),
				 b);
		}
		return -EINVAL;
	}
	return 0;
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
		       enum bf_family fam, const uint8_t *saddr, int si)
{
	if (id >= n || !v[id].pkt.truncated ||
	    (v[id].hook == BF_HOOK_INPUT) != input ||
	    v[id].spec.family != fam ||
	    memcmp(saddr, v[id].spec.saddr, fam == BF_FAMILY_INET4 ? 4 : 16))
		return;
	v[id].seen[si] = true;
}

/* Read everything queued on the side's observers; returns packets read. */
static int drain(struct dside *sd, struct dprobe *v, size_t n, int si)
{
	uint8_t buf[2048];
	union {
		struct cmsghdr h;
		uint8_t b[256];
	} cbuf;
	struct obs_ctx o = { .v = v, .n = n };
	int i, got = 0;

	for (i = 0; i < sd->n_raw; i++) {
		bool v4 = sd->raw_family[i] == BF_FAMILY_INET4;

		for (;;) {
			struct sockaddr_in6 from;
			struct iovec iov = { .iov_base = buf,
					     .iov_len = sizeof(buf) };
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
			o.input = true;
			o.l4base = !v4;
			id = dpkt_find_marker(buf, (size_t)len, obs_check, &o);
			if (id >= 0) {
				/* the source must be the probe's (not a
				 * reply quoting it) */
				if (!memcmp(src, v[id].spec.saddr, v4 ? 4 : 16))
					v[id].seen[si] = true;
				continue;
			}
			if (v4) {
				seen_short(v, n, dpkt_ip4_id(buf), true,
					   BF_FAMILY_INET4, src, si);
				continue;
			}
			for (cm = CMSG_FIRSTHDR(&mh); cm;
			     cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == IPPROTO_IPV6 &&
				    cm->cmsg_type == IPV6_FLOWINFO) {
					uint32_t fi;

					memcpy(&fi, CMSG_DATA(cm), sizeof(fi));
					flow = ntohl(fi) & 0xfffff;
				}
			if (flow != 0xffffffff)
				seen_short(v, n, flow, true, BF_FAMILY_INET6,
					   src, si);
		}
	}
	for (int lo = 0; lo < 2; lo++)
		for (;;) {
			struct sockaddr_ll sll;
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
					   BF_FAMILY_INET4, ip + 12, si);
			else if (buf[12] == 0x86 && buf[13] == 0xdd)
				seen_short(v, n,
					   (uint32_t)((ip[1] & 0x0f) << 16 |
						      ip[2] << 8 | ip[3]),
					   false, BF_FAMILY_INET6, ip + 8, si);
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

static int send_pkt(struct dside *sd, const struct dprobe *p,
		    const struct dpkt *k, bool setup)
{
	const struct dtopo *t = cur_topo;
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

/* Send the reverse packets that put ESTABLISHED/RELATED probes' flows
 * into conntrack. */
static int send_setups(struct dside *sd, struct dprobe *v, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if (v[i].ct != DCT_ESTABLISHED && v[i].ct != DCT_RELATED)
			continue;
		r = send_pkt(sd, &v[i], &v[i].setup, true);
		if (r == -EBADF || r == -ENOTSOCK || r == -EFAULT)
			return r;
	}
	return 0;
}

/* Send every probe through a side and record what it saw. */
static int run_side(struct dside *sd, struct dprobe *v, size_t n, int si,
		    uint64_t deadline)
{
	size_t i, unsent = 0;
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
		r = send_pkt(sd, &v[i], &v[i].pkt, false);
		if (r == -EBADF || r == -ENOTSOCK || r == -EFAULT) {
			fprintf(stderr, "send failed for probe %zu: %s\n", i,
				strerror(-r));
			return r;
		}
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
	if (unsent && getenv("BF_DIFF_VERBOSE"))
		printf("  %s: %zu probes could not be sent\n", sd->kind,
		       unsent);
	return 0;
}

/* ---- reporting --------------------------------------------------------- */

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

/* The side's filter table with counters ("[p:b] -A ..." lines). */
static char *save_counters(struct dside *sd, enum bf_family fam)
{
	const char *v = fam == BF_FAMILY_INET6 ? "6" : "";
	char *out = NULL;

	if (!strcmp(sd->kind, "bpfilter"))
		bft_sh_out(&out, "ip netns exec %s %s save -%s -c", sd->ns_r,
			   bft_bpfilter_bin(),
			   fam == BF_FAMILY_INET6 ? "6" : "4");
	else
		bft_sh_out(&out,
			   "ip netns exec %s ip%stables-%s-save -c -t filter",
			   sd->ns_r, v, sd->kind);
	return out;
}

/*
 * Re-send one probe alone through a side and print the rules (and
 * policies) whose counters moved: which rule decided. The conntrack state
 * left by the whole run may make the decision differ from the first time.
 */
static void explain(struct dside *sd, struct dprobe *p, enum bf_family fam)
{
	_cleanup_free_ char *before = save_counters(sd, fam);
	_cleanup_free_ char *after = NULL;
	char *save = NULL, *l;
	int moved = 0;

	if (!before)
		return;
	if (p->ct == DCT_ESTABLISHED || p->ct == DCT_RELATED)
		send_pkt(sd, p, &p->setup, true); /* through the filter now */
	send_pkt(sd, p, &p->pkt, false);
	usleep(20000);
	after = save_counters(sd, fam);
	if (!after)
		return;
	printf("    %s, re-sent alone, counters moved on:", sd->kind);
	for (l = strtok_r(after, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#' || l[0] == '*' || !strncmp(l, "COMMIT", 6) ||
		    strstr(before, l))
			continue;
		printf("\n      %s", l);
		moved++;
	}
	printf("%s\n", moved ? "" : " none");
}

/* How many rules of the reference side matched at least one packet:
 * rules no probe reached are listed (the first few). */
static void report_coverage(struct dside *ref, const struct dcase *c)
{
	_cleanup_free_ char *out = save_counters(ref, c->family);
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
		if (strncmp(l, "[0:", 3)) {
			hit++;
		} else if (nm < 4) {
			snprintf(missed[nm++], sizeof(missed[0]), "%s", a + 2);
		}
	}
	tot.rules += rules;
	tot.rules_hit += hit;
	printf("  %s: %d of %d rules matched a packet\n", c->name, hit, rules);
	for (i = 0; i < nm; i++)
		printf("    never matched: %s\n", missed[i]);
}

/* Mismatches by kind of probe (the variant in its "why", without the
 * rule it came from), to see at a glance what differs. */
static struct {
	char name[40];
	size_t n;
} kinds[32];
static int n_kinds;

static void count_kind(const char *why)
{
	const char *k = strchr(why, ' ');
	int i;

	k = k ? k + 1 : why;
	for (i = 0; i < n_kinds; i++)
		if (!strncmp(kinds[i].name, k, sizeof(kinds[i].name) - 1))
			break;
	if (i == n_kinds) {
		if (n_kinds == (int)ARRAY_SIZE(kinds))
			return;
		snprintf(kinds[n_kinds++].name, sizeof(kinds[0].name), "%.39s",
			 k);
	}
	kinds[i].n++;
}

/* ---- one ruleset -------------------------------------------------------- */

static void log_to_buf(enum bf_log_level level, const char *msg, void *data)
{
	char *buf = data;
	size_t l = strlen(buf);

	if (level <= BF_LOG_WARN && l < 1000)
		snprintf(buf + l, 1024 - l, "%s%s", l ? "; " : "", msg);
}

static void run_case(void **state)
{
	struct dcase *c = *state;
	static const char *const self_sides[] = { "legacy", "legacy" };
	const char *const *sv = c->selftest ? self_sides : sides;
	int nsd = c->selftest ? 2 : n_sides;
	char *text = NULL, file2[PATH_MAX + 8] = "";
	char file[PATH_MAX];
	char why[128] = "", err[512], parse_err[1024] = "";
	struct bf_ruleset *rs = NULL;
	struct dside sd[DPROBE_MAX_SIDES];
	struct dtopo topo;
	struct dgen g;
	bool supported, ct, parsed, setup_ok = true;
	uint64_t t0 = dnet_now_ms(), deadline = t0 + CASE_TIME_MS;
	size_t i, printed = 0, explained = 0;
	int s, fd, r, order[DPROBE_MAX_SIDES], no = 0;
	bool has_bpf = false;

	BFT_REQUIRE_KERNEL();
	for (s = 0; s < nsd; s++)
		if (!strcmp(sv[s], "bpfilter")) {
			order[no++] = s;
			has_bpf = true;
		}
	for (s = 0; s < nsd; s++)
		if (strcmp(sv[s], "bpfilter"))
			order[no++] = s;
	if (has_bpf && access(bft_bpfilter_bin(), X_OK) != 0) {
		if (bft_require_kernel())
			fail_msg("%s is not built (BF_BIN)",
				 bft_bpfilter_bin());
		print_message("SKIP: %s is not built\n", bft_bpfilter_bin());
		skip();
	}
	memset(&g, 0, sizeof(g));
	for (s = 0; s < DPROBE_MAX_SIDES; s++)
		dnet_side_init(&sd[s], s < nsd ? sv[s] : NULL);

	text = case_text(c);
	if (!text) {
		print_message("SKIP %s: no %s filter table in it\n", c->name,
			      bf_family_name(c->family));
		tot.skipped++;
		skip();
		return;
	}
	/* a file named after the case, so that error lines say which */
	snprintf(file, sizeof(file), "%s/", tmpdir);
	for (i = 0; c->name[i] && strlen(file) + 2 < sizeof(file); i++) {
		char ch = c->name[i];
		size_t l = strlen(file);

		file[l] = (char)(isalnum((unsigned char)ch) || ch == '.' ||
						 ch == '-' || ch == '_' ?
					 ch :
					 '_');
		file[l + 1] = '\0';
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	if (c->selftest == SELFTEST_MUTATED) {
		/* the second side gets one more rule at the end of OUTPUT */
		char *commit = strstr(text, "\nCOMMIT");
		FILE *f;

		assert_non_null(commit);
		snprintf(file2, sizeof(file2), "%s.mut", file);
		f = fopen(file2, "we");
		assert_non_null(f);
		fprintf(f, "%.*s\n-A OUTPUT -p udp -j DROP%s",
			(int)(commit - text), text, commit);
		fclose(f);
	}

	supported = only_supported(text, why, sizeof(why));
	ct = strstr(text, "-m state") || strstr(text, "-m conntrack");

	rs = bf_ruleset_new();
	assert_non_null(rs);
	bf_log_set(log_to_buf, parse_err);
	parsed = bf_ipt_parse_restore_str(rs, text, c->name, c->family) == 0;
	bf_log_set(NULL, NULL);

	g.family = c->family;
	g.other_if = topo_build(&topo, parsed ? rs : NULL, c->family);
	g.topo = &topo;
	cur_topo = &topo;

	if (parsed) {
		g.ct = ct;
		g.frags = true;
		g.rng = seed ^
			fnv(c->name, strlen(c->name), 1469598103934665603ull);
		if (!g.rng)
			g.rng = 1;
		if (dgen_prepare(&g, MAX_PROBES) ||
		    dgen_ruleset(&g, rs, n_random) || dgen_finish(&g)) {
			printf("FAILED %s: cannot generate probes\n", c->name);
			setup_ok = false;
		}
	}

	/* bpfilter first: a refusal ends the case before anything else is
	 * set up. Without a bpfilter side, the IR parser's refusal stands
	 * for it (bpfilter parses with it). */
	if (!parsed && !has_bpf) {
		c->refused = true;
		snprintf(c->refusal, sizeof(c->refusal), "(IR parser) %.*s",
			 (int)strcspn(parse_err, ";"), parse_err);
		setup_ok = false;
	}
	/* Create every side first: their links come up together (see
	 * dnet_side_wait()). */
	for (i = 0; i < (size_t)nsd && setup_ok; i++) {
		s = order[i];
		r = dnet_side_create(&sd[s], sv[s], &topo, ct);
		if (r) {
			printf("FAILED %s: cannot set up the %s side: %s\n",
			       c->name, sv[s], strerror(-r));
			setup_ok = false;
		}
	}
	for (i = 0; i < (size_t)nsd && setup_ok; i++) {
		s = order[i];
		r = dnet_side_wait(&sd[s], &topo);
		if (r) {
			printf("FAILED %s: the %s side's links: %s\n", c->name,
			       sv[s], strerror(-r));
			setup_ok = false;
			break;
		}
		/* The reverse packets of ESTABLISHED/RELATED probes go
		 * before any filter exists, so that the conntrack entries
		 * exist whatever the ruleset does to them. */
		r = send_setups(&sd[s], g.v, g.n);
		if (r) {
			printf("FAILED %s: sending setup packets (%s side): "
			       "%s\n",
			       c->name, sv[s], strerror(-r));
			setup_ok = false;
			break;
		}
		r = side_apply(&sd[s], s == 1 && file2[0] ? file2 : file,
			       c->family, err, sizeof(err));
		if (r && !strcmp(sv[s], "bpfilter")) {
			c->refused = true;
			snprintf(c->refusal, sizeof(c->refusal), "%s", err);
			break;
		}
		if (r) {
			printf("FAILED %s: %s could not load it: %s\n", c->name,
			       sv[s], err);
			setup_ok = false;
		}
	}

	if (c->refused) {
		printf("REFUSED %s: %s\n", c->name, c->refusal);
		if (supported) {
			printf("FAILED %s: refused although it only uses "
			       "supported features\n",
			       c->name);
			c->failed = true;
		} else {
			printf("  (uses %s, outside the supported set)\n", why);
		}
		goto out;
	}
	if (!setup_ok) {
		c->failed = true;
		goto out;
	}
	if (!parsed) {
		printf("FAILED %s: accepted by every side but the IR parser "
		       "refuses it: %s\n",
		       c->name, parse_err);
		c->failed = true;
		goto out;
	}

	c->probes = g.n;
	for (s = 0; s < nsd; s++) {
		uint64_t ts = dnet_now_ms();

		sched_yield();
		r = run_side(&sd[s], g.v, g.n, s, deadline);
		if (r) {
			printf("FAILED %s: probing the %s side: %s\n", c->name,
			       sv[s], strerror(-r));
			c->failed = true;
			goto out;
		}
		if (getenv("BF_DIFF_VERBOSE"))
			printf("  %s: %zu probes in %llu ms\n", sv[s], g.n,
			       (unsigned long long)(dnet_now_ms() - ts));
	}

	{
		size_t seen0 = 0, per_hook[BF_HOOK_COUNT] = { 0 };

		for (i = 0; i < g.n; i++) {
			bool mism = false;

			seen0 += g.v[i].seen[0];
			per_hook[g.v[i].hook]++;
			if (getenv("BF_DIFF_DUMP")) {
				char w[512];

				probe_words(&topo, &g.v[i], w, sizeof(w));
				printf("probe #%zu [%s] %s:", i, g.v[i].why, w);
				for (s = 0; s < nsd; s++)
					printf(" %s=%s", sv[s],
					       g.v[i].seen[s] ? "ACCEPT" :
								"DROP");
				printf("\n");
			}
			for (s = 1; s < nsd; s++)
				if (g.v[i].seen[s] != g.v[i].seen[0])
					mism = true;
			if (!mism)
				continue;
			c->mismatches++;
			if (c->selftest != SELFTEST_MUTATED)
				count_kind(g.v[i].why);
			if (c->selftest != SELFTEST_MUTATED &&
			    printed++ < MAX_PRINT) {
				char w[512];

				probe_words(&topo, &g.v[i], w, sizeof(w));
				printf("MISMATCH %s #%zu [%s] %s:", c->name, i,
				       g.v[i].why, w);
				for (s = 0; s < nsd; s++)
					printf(" %s=%s", sv[s],
					       g.v[i].seen[s] ? "ACCEPT" :
								"DROP");
				printf("\n");
				if (explained++ < MAX_EXPLAIN)
					for (s = 0; s < nsd; s++)
						explain(&sd[s], &g.v[i],
							c->family);
			}
		}
		printf("%s %s: %zu probes (INPUT %zu, FORWARD %zu, OUTPUT %zu), "
		       "%zu accepted by %s, %zu mismatches, %llu ms\n",
		       (c->mismatches != 0) ==
				       (c->selftest != SELFTEST_MUTATED) ?
			       "FAIL" :
			       "ok",
		       c->name, g.n, per_hook[BF_HOOK_INPUT],
		       per_hook[BF_HOOK_FORWARD], per_hook[BF_HOOK_OUTPUT],
		       seen0, sv[0], c->mismatches,
		       (unsigned long long)(dnet_now_ms() - t0));
		/* A probe set that no side accepts, or that every side
		 * accepts entirely, would prove little: say so. */
		if (seen0 == 0 || seen0 == g.n)
			printf("note: %s: every probe got the same verdict on "
			       "%s\n",
			       c->name, sv[0]);
		report_coverage(&sd[0], c);
	}
	if (c->selftest == SELFTEST_MUTATED) {
		/* the harness must see the difference */
		printf("selftest %s: %zu mismatches expected, %s\n", c->name,
		       c->mismatches, c->mismatches ? "seen" : "NONE SEEN");
		c->failed = c->mismatches == 0;
		c->mismatches = 0;
	} else if (c->mismatches) {
		c->failed = true;
	}

out:
	for (s = nsd - 1; s >= 0; s--)
		dnet_side_destroy(&sd[s]);
	dgen_free(&g);
	bf_ruleset_free(&rs);
	free(text);
	unlink(file);
	if (file2[0])
		unlink(file2);
	tot.probes += c->probes;
	tot.mismatches += c->mismatches;
	if (c->refused)
		tot.refused++;
	else
		tot.run++;
	if (c->failed) {
		tot.failed++;
		fail_msg("%s: %zu mismatches%s", c->name, c->mismatches,
			 c->refused ? " (refused although supported)" :
			 c->selftest == SELFTEST_MUTATED ?
				      " (a changed ruleset went unnoticed)" :
				      "");
	}
}

/* ---- discovery ---------------------------------------------------------- */

static void add_case(const char *path, const char *name, enum case_kind k,
		     enum bf_family fam)
{
	struct dcase *c;
	const char *filter = getenv("BF_DIFF_FILTER");

	if (n_cases >= MAX_CASES)
		return;
	c = &cases[n_cases];
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->name, sizeof(c->name), "%s [%s]", name,
		 bf_family_name(fam));
	if (filter && !strstr(c->name, filter))
		return;
	c->kind = k;
	c->family = fam;
	n_cases++;
}

static void add_selftest(const char *path, const char *name, int kind)
{
	struct dcase *c;

	if (n_cases >= MAX_CASES || access(path, R_OK) != 0)
		return;
	c = &cases[n_cases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->kind = CASE_SAVE;
	c->family = BF_FAMILY_INET4;
	c->selftest = kind;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && !strcmp(s + a - b, sfx);
}

/* Files of a directory, sorted. */
static int list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	*out = NULL;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		v = realloc(v, sizeof(*v) * (size_t)(n + 1));
		v[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static void discover(void)
{
	const char *corpus = bft_corpus_dir();
	char dir[PATH_MAX], path[PATH_MAX];
	char **names = NULL;
	int n, i;

	if (corpus) {
		snprintf(dir, sizeof(dir), "%s/rulesets", corpus);
		n = list_dir(dir, &names);
		for (i = 0; i < n; i++) {
			const char *f = names[i];

			if (snprintf(path, sizeof(path), "%s/%s", dir, f) >=
			    (int)sizeof(path))
				continue;
			if (ends_with(f, ".iptables-save") ||
			    ends_with(f, "-save") || strstr(f, "ipt-save"))
				add_case(path, f, CASE_SAVE,
					 strstr(f, "ip6tables") ?
						 BF_FAMILY_INET6 :
						 BF_FAMILY_INET4);
			else if (ends_with(f, ".iptables-cmds")) {
				/* a case per family the file has commands of */
				char *t = read_file(path);

				if (t && (!strncmp(t, "iptables ", 9) ||
					  strstr(t, "\niptables ")))
					add_case(path, f, CASE_CMDS,
						 BF_FAMILY_INET4);
				if (t && (!strncmp(t, "ip6tables ", 10) ||
					  strstr(t, "\nip6tables ")))
					add_case(path, f, CASE_CMDS,
						 BF_FAMILY_INET6);
				free(t);
			} else if (!strcmp(f, "ufw_conf_before.rules")) {
				add_case(dir, "ufw (before+user+after.rules)",
					 CASE_UFW, BF_FAMILY_INET4);
			} else if (!strcmp(f, "ufw_conf_before6.rules")) {
				add_case(dir,
					 "ufw (before6+user6+after6.rules)",
					 CASE_UFW, BF_FAMILY_INET6);
			}
			free(names[i]);
		}
		free(names);
	} else {
		printf("note: no shared corpus found: only the hand-written "
		       "rulesets run\n");
	}

	if (getenv("BF_DIFF_RULESETS"))
		snprintf(dir, sizeof(dir), "%s", getenv("BF_DIFF_RULESETS"));
	else
		snprintf(dir, sizeof(dir), "%s/tests/diff/rulesets",
			 bft_root());
	if (!getenv("BF_DIFF_FILTER") ||
	    strstr("selftest", getenv("BF_DIFF_FILTER"))) {
		char p1[PATH_MAX + 32];

		if (snprintf(p1, sizeof(p1),
			     "%s/tests/diff/rulesets/conntrack.rules",
			     bft_root()) < (int)sizeof(p1))
			add_selftest(
				p1, "selftest: conntrack.rules twice on legacy",
				SELFTEST_SAME);
		if (snprintf(p1, sizeof(p1),
			     "%s/tests/diff/rulesets/basic.rules",
			     bft_root()) < (int)sizeof(p1))
			add_selftest(p1,
				     "selftest: basic.rules vs basic.rules "
				     "+ one rule, on legacy",
				     SELFTEST_MUTATED);
	}
	n = list_dir(dir, &names);
	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
			    (int)sizeof(path) &&
		    ends_with(names[i], ".rules"))
			add_case(path, names[i], CASE_SAVE,
				 ends_with(names[i], "6.rules") ?
					 BF_FAMILY_INET6 :
					 BF_FAMILY_INET4);
		free(names[i]);
	}
	free(names);

	/* seeded random rulesets, alternating families */
	{
		const char *e = getenv("BF_DIFF_RANDOM_RULESETS");
		int nr = e ? atoi(e) : 16;

		for (i = 0; i < nr; i++) {
			char name[64];
			enum bf_family fam = i % 2 ? BF_FAMILY_INET6 :
						     BF_FAMILY_INET4;
			int before = n_cases;

			snprintf(name, sizeof(name), "random-%llu",
				 (unsigned long long)(seed + (uint64_t)i / 2));
			add_case("", name, CASE_RANDOM, fam);
			if (n_cases > before)
				cases[n_cases - 1].rseed =
					seed + (uint64_t)i / 2;
		}
	}
}

/* The ruleset files of cases a crash or a signal interrupted too. */
static void remove_tmpdir(void)
{
	if (strncmp(tmpdir, "/tmp/bfdiff-", 12) == 0 && !strchr(tmpdir, 'X'))
		bft_sh("rm -rf '%s'", tmpdir);
}

int main(void)
{
	struct CMUnitTest *tests;
	const char *env;
	char *sv, *tok, *save = NULL;
	cpu_set_t cpus;
	int i, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dnet_init();
	/* One CPU: the packets of a batch are processed in sending order. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	env = getenv("BF_DIFF_SIDES");
	sv = strdup(env && *env ? env : "legacy,bpfilter");
	for (tok = strtok_r(sv, ",", &save); tok && n_sides < DPROBE_MAX_SIDES;
	     tok = strtok_r(NULL, ",", &save))
		sides[n_sides++] = tok;
	env = getenv("BF_DIFF_SEED");
	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	env = getenv("BF_DIFF_RANDOM");
	if (env)
		n_random = atoi(env);
	printf("diff_iptables: sides %s", sides[0]);
	for (i = 1; i < n_sides; i++)
		printf(" vs %s", sides[i]);
	printf(", seed %llu (BF_DIFF_SEED=%llu reproduces), %d random probes "
	       "per ruleset\n",
	       (unsigned long long)seed, (unsigned long long)seed, n_random);

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	dnet_cleanup_hook = remove_tmpdir;
	discover();
	tests = calloc((size_t)n_cases + 1, sizeof(*tests));
	for (i = 0; i < n_cases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	r = _cmocka_run_group_tests("diff_iptables", tests, (size_t)n_cases,
				    NULL, NULL);

	printf("\n== diff_iptables totals: %d rulesets run, %d refused, %d "
	       "failed, %zu probes, %zu mismatches; %d of %d rules matched "
	       "a probe\n",
	       tot.run, tot.refused, tot.failed, tot.probes, tot.mismatches,
	       tot.rules_hit, tot.rules);
	for (i = 0; i < n_cases; i++)
		if (cases[i].refused)
			printf("   refused: %s: %s\n", cases[i].name,
			       cases[i].refusal);
	for (i = 0; i < n_kinds; i++)
		printf("   mismatches of %s probes: %zu\n", kinds[i].name,
		       kinds[i].n);
	dnet_cleanup();
	free(tests);
	free(sv);
	return r;
}
