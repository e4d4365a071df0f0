/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Support for program tests: build IR by hand, compile and load it, craft
 * packets, run them with BPF_PROG_TEST_RUN and read the counters.
 */
#ifndef BPFILTER_TESTS_PROG_UTIL_H
#define BPFILTER_TESTS_PROG_UTIL_H

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/log.h"
#include "cgen/cgen.h"
#include "compat.h"

/* ---- a private bpffs for pinned tables ---- */

/* Mount a bpffs at /tmp/bf-<what>-<pid> (written into dir) in a mount
 * namespace of our own, for the pins of tables shared between programs.
 * Returns 0, or -1 with a message on stderr. */
static inline int pu_private_bpffs(char *dir, size_t size, const char *what)
{
	snprintf(dir, size, "/tmp/bf-%s-%d", what, (int)getpid());
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    (mkdir(dir, 0700) && errno != EEXIST) ||
	    mount("bpffs", dir, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "cannot mount a bpffs at %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Undo pu_private_bpffs() once the pins under dir are removed. */
static inline void pu_private_bpffs_del(const char *dir)
{
	umount(dir);
	rmdir(dir);
}

/* ---- IR building ---- */

static inline struct bf_match pu_m(enum bf_match_type t, bool neg)
{
	struct bf_match m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	m.neg = neg;
	return m;
}

static inline struct bf_match pu_proto(uint8_t p, bool neg)
{
	struct bf_match m = pu_m(BF_MATCH_L4PROTO, neg);

	m.u.proto = p;
	return m;
}

static inline struct bf_match pu_l4hdr(uint8_t proto, uint8_t min_len,
				       bool frag1)
{
	struct bf_match m = pu_m(BF_MATCH_L4HDR, false);

	m.u.l4hdr.proto = proto;
	m.u.l4hdr.min_len = min_len;
	m.u.l4hdr.hotdrop_frag1 = frag1;
	return m;
}

static inline struct bf_match pu_ports(enum bf_match_type t, uint16_t lo,
				       uint16_t hi, bool neg)
{
	struct bf_match m = pu_m(t, neg);

	m.u.ports.lo = lo;
	m.u.ports.hi = hi;
	return m;
}

/* Address "a.b.c.d" or IPv6 text with prefix length. */
static inline struct bf_match pu_addr(enum bf_match_type t, const char *addr,
				      int plen, bool neg)
{
	struct bf_match m = pu_m(t, neg);
	int af = strchr(addr, ':') ? AF_INET6 : AF_INET;

	inet_pton(af, addr, m.u.addr.addr);
	for (int i = 0; i < 16; i++) {
		int bits = plen - 8 * i;

		m.u.addr.mask[i] = bits >= 8 ? 0xff :
				   bits <= 0 ? 0 :
					       (uint8_t)(0xff << (8 - bits));
		m.u.addr.addr[i] &= m.u.addr.mask[i];
	}
	return m;
}

static inline struct bf_match pu_range(enum bf_match_type t, const char *lo,
				       const char *hi, bool neg)
{
	struct bf_match m = pu_m(t, neg);
	int af = strchr(lo, ':') ? AF_INET6 : AF_INET;

	inet_pton(af, lo, m.u.range.lo);
	inet_pton(af, hi, m.u.range.hi);
	return m;
}

static inline struct bf_match pu_iface(enum bf_match_type t, const char *name,
				       bool neg)
{
	struct bf_match m = pu_m(t, neg);
	size_t len = strlen(name);

	snprintf(m.u.iface.name, sizeof(m.u.iface.name), "%s", name);
	if (len && name[len - 1] == '+')
		m.u.iface.cmp_len = (uint8_t)(len - 1);
	else
		m.u.iface.cmp_len = (uint8_t)(len + 1);
	return m;
}

/* Append a rule with n matches and a verdict (chain target for jumps). */
static inline void pu_rule(struct bf_chain *c, enum bf_verdict_kind v,
			   const char *target, const struct bf_match *m,
			   size_t n)
{
	struct bf_rule r;

	memset(&r, 0, sizeof(r));
	r.verdict.kind = v;
	if (target)
		snprintf(r.verdict.chain, sizeof(r.verdict.chain), "%s",
			 target);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bf_rule_add_match(&r, &m[i]), 0);
	assert_int_equal(bf_chain_add_rule(c, &r), 0);
}

#define PU_RULE(c, v, target, ...)                                             \
	do {                                                                   \
		const struct bf_match pu_ms_[] = { __VA_ARGS__ };              \
		pu_rule(c, v, target, pu_ms_,                                  \
			sizeof(pu_ms_) / sizeof(pu_ms_[0]));                   \
	} while (0)

/* ---- program ---- */

struct pu_prog {
	int prog_fd;
	int map_fd;
	uint32_t n_counters;
	enum bf_attach_kind attach;
	enum bf_hook hook;
	enum bf_family family;
	size_t n_insns;
	double load_ms;
};

static char pu_log[1 << 20];

static void pu_log_fn(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if (level <= BF_LOG_WARN || getenv("BF_TEST_VERBOSE"))
		fprintf(stderr, "  log: %s\n", msg);
}

static inline double pu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Compile and load; returns 0 or -errno (compile/load error). */
static inline int pu_load(struct bf_ruleset *rs, enum bf_attach_kind attach,
			  enum bf_hook hook, enum bf_family family,
			  const char *ifname, struct pu_prog *p)
{
	struct bf_program *prog = NULL;
	double t0;
	int r;

	bf_log_set(pu_log_fn, NULL);
	memset(p, 0, sizeof(*p));
	p->prog_fd = p->map_fd = -1;
	if (!rs->families)
		rs->families = 3;
	bf_ruleset_number(rs);
	r = bf_cgen_compile(rs, attach, hook, family, ifname, &prog);
	if (r)
		return r;
	if (getenv("BF_TEST_DUMP"))
		bf_program_dump(prog, stderr);
	p->n_counters = rs->n_counters;
	p->map_fd = bf_counters_map_create(rs->n_counters);
	if (p->map_fd < 0) {
		bf_program_free(&prog);
		return p->map_fd;
	}
	p->n_insns = prog->n_insns;
	t0 = pu_now_ms();
	p->prog_fd = bf_program_load(prog, p->map_fd, pu_log, sizeof(pu_log));
	p->load_ms = pu_now_ms() - t0;
	bf_program_free(&prog);
	if (p->prog_fd < 0) {
		size_t len = strlen(pu_log);

		fprintf(stderr, "verifier log tail:\n%s\n",
			len > 4000 ? pu_log + len - 4000 : pu_log);
		return p->prog_fd;
	}
	p->attach = attach;
	p->hook = hook;
	p->family = family;
	return 0;
}

static inline void pu_close(struct pu_prog *p)
{
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	if (p->map_fd >= 0)
		close(p->map_fd);
	p->prog_fd = p->map_fd = -1;
}

/* Counter idx: packets and bytes. */
static inline struct bf_counter pu_counter(const struct pu_prog *p,
					   uint32_t idx)
{
	struct bf_counter *all =
		calloc(p->n_counters ? p->n_counters : 1, sizeof(*all));
	struct bf_counter c = { 0, 0 };
	uint32_t key = 0;

	assert_non_null(all);
	assert_int_equal(bpf_map_lookup_elem(p->map_fd, &key, all), 0);
	if (idx < p->n_counters)
		c = all[idx];
	free(all);
	return c;
}

static inline void pu_reset_counters(const struct pu_prog *p)
{
	void *zero = calloc(p->n_counters ? p->n_counters : 1, 16);
	uint32_t key = 0;

	assert_non_null(zero);
	assert_int_equal(bpf_map_update_elem(p->map_fd, &key, zero, 0), 0);
	free(zero);
}

/* ---- packets ---- */

struct pu_pkt {
	uint8_t b[2048];
	size_t len; /* L3 packet length */
};

/* Run an L3 packet; at tc/xdp (and nf hooks other than LOCAL_OUT) an
 * Ethernet header is put in front. Returns the program's return value. */
static inline int pu_run(const struct pu_prog *p, const void *l3, size_t len,
			 int family)
{
	uint8_t buf[2048 + 14];
	uint8_t ctx[16] = { 0 };
	bool eth = p->attach != BF_ATTACH_NF || p->hook != BF_HOOK_OUTPUT;
	LIBBPF_OPTS(bpf_test_run_opts, o);
	size_t off = eth ? 14 : 0;
	uint16_t et = htons(family == BF_FAMILY_INET6 ? 0x86dd : 0x0800);

	memset(buf, 0, 14);
	buf[0] = 0x02; /* unicast locally administered dst */
	buf[6] = 0x02;
	memcpy(buf + 12, &et, 2);
	memcpy(buf + off, l3, len);
	o.data_in = buf;
	o.data_size_in = (uint32_t)(len + off);
	if (p->attach == BF_ATTACH_NF) {
		ctx[0] = p->hook == BF_HOOK_INPUT  ? NF_INET_LOCAL_IN :
			 p->hook == BF_HOOK_OUTPUT ? NF_INET_LOCAL_OUT :
						     NF_INET_FORWARD;
		ctx[1] = family == BF_FAMILY_INET6 ? NFPROTO_IPV6 :
						     NFPROTO_IPV4;
		o.ctx_in = ctx;
		o.ctx_size_in = 2;
	}
	if (bpf_prog_test_run_opts(p->prog_fd, &o) != 0) {
		fprintf(stderr, "test_run: %s\n", strerror(errno));
		return -1000 - errno;
	}
	return (int)o.retval;
}

/* Average run time in ns of a packet over `repeat` runs, or 0. */
static inline uint32_t pu_time(const struct pu_prog *p, const void *l3,
			       size_t len, int family, uint32_t repeat)
{
	uint8_t buf[2048 + 14];
	uint8_t ctx[16] = { 0 };
	bool eth = p->attach != BF_ATTACH_NF || p->hook != BF_HOOK_OUTPUT;
	LIBBPF_OPTS(bpf_test_run_opts, o);
	size_t off = eth ? 14 : 0;
	uint16_t et = htons(family == BF_FAMILY_INET6 ? 0x86dd : 0x0800);

	memset(buf, 0, 14);
	buf[0] = buf[6] = 0x02;
	memcpy(buf + 12, &et, 2);
	memcpy(buf + off, l3, len);
	o.data_in = buf;
	o.data_size_in = (uint32_t)(len + off);
	o.repeat = repeat;
	if (p->attach == BF_ATTACH_NF) {
		ctx[0] = p->hook == BF_HOOK_OUTPUT ? NF_INET_LOCAL_OUT :
						     NF_INET_LOCAL_IN;
		ctx[1] = family == BF_FAMILY_INET6 ? NFPROTO_IPV6 :
						     NFPROTO_IPV4;
		o.ctx_in = ctx;
		o.ctx_size_in = 2;
	}
	if (bpf_prog_test_run_opts(p->prog_fd, &o) != 0)
		return 0;
	return o.duration;
}

/* Verdict codes of each attach kind. */
static inline int pu_accept(const struct pu_prog *p)
{
	return p->attach == BF_ATTACH_NF ? NF_ACCEPT :
	       p->attach == BF_ATTACH_TC ? TCX_NEXT :
					   2 /* XDP_PASS */;
}

static inline int pu_drop(const struct pu_prog *p)
{
	return p->attach == BF_ATTACH_NF ? NF_DROP :
	       p->attach == BF_ATTACH_TC ? TCX_DROP :
					   1 /* XDP_DROP */;
}

static inline uint16_t pu_csum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* IPv4 header (20 bytes) + payload already in p->b[20..]; plen = payload
 * bytes. frag = frag_off field in host order (flags | offset). */
static inline void pu_v4(struct pu_pkt *p, const char *src, const char *dst,
			 uint8_t proto, size_t plen, uint16_t frag)
{
	uint16_t v;

	p->b[0] = 0x45;
	p->b[1] = 0;
	v = htons((uint16_t)(20 + plen));
	memcpy(p->b + 2, &v, 2);
	v = htons(0x1234);
	memcpy(p->b + 4, &v, 2);
	v = htons(frag);
	memcpy(p->b + 6, &v, 2);
	p->b[8] = 64;
	p->b[9] = proto;
	memset(p->b + 10, 0, 2);
	inet_pton(AF_INET, src, p->b + 12);
	inet_pton(AF_INET, dst, p->b + 16);
	v = pu_csum(p->b, 20);
	memcpy(p->b + 10, &v, 2);
	p->len = 20 + plen;
}

/* IPv6 header; payload (plen bytes) in p->b[40..]. */
static inline void pu_v6(struct pu_pkt *p, const char *src, const char *dst,
			 uint8_t nexthdr, size_t plen)
{
	uint16_t v = htons((uint16_t)plen);

	p->b[0] = 0x60;
	p->b[1] = p->b[2] = p->b[3] = 0;
	memcpy(p->b + 4, &v, 2);
	p->b[6] = nexthdr;
	p->b[7] = 64;
	inet_pton(AF_INET6, src, p->b + 8);
	inet_pton(AF_INET6, dst, p->b + 24);
	p->len = 40 + plen;
}

/* Transport headers written at `at`; return their length. */
static inline size_t pu_tcp(uint8_t *at, uint16_t sport, uint16_t dport,
			    uint8_t flags)
{
	uint16_t v;

	memset(at, 0, 20);
	v = htons(sport);
	memcpy(at, &v, 2);
	v = htons(dport);
	memcpy(at + 2, &v, 2);
	at[12] = 5 << 4;
	at[13] = flags;
	return 20;
}

static inline size_t pu_udp(uint8_t *at, uint16_t sport, uint16_t dport,
			    size_t payload)
{
	uint16_t v;

	memset(at, 0, 8);
	v = htons(sport);
	memcpy(at, &v, 2);
	v = htons(dport);
	memcpy(at + 2, &v, 2);
	v = htons((uint16_t)(8 + payload));
	memcpy(at + 4, &v, 2);
	return 8;
}

static inline size_t pu_icmp(uint8_t *at, uint8_t type, uint8_t code)
{
	memset(at, 0, 8);
	at[0] = type;
	at[1] = code;
	return 8;
}

/* Convenience: whole packets. */
static inline struct pu_pkt pu_tcp4(const char *src, const char *dst,
				    uint16_t sport, uint16_t dport,
				    uint8_t flags)
{
	struct pu_pkt p;

	memset(&p, 0, sizeof(p));
	pu_v4(&p, src, dst, 6, pu_tcp(p.b + 20, sport, dport, flags), 0);
	return p;
}

static inline struct pu_pkt pu_udp4(const char *src, const char *dst,
				    uint16_t sport, uint16_t dport)
{
	struct pu_pkt p;

	memset(&p, 0, sizeof(p));
	pu_v4(&p, src, dst, 17, pu_udp(p.b + 20, sport, dport, 0), 0);
	return p;
}

static inline struct pu_pkt pu_tcp6(const char *src, const char *dst,
				    uint16_t sport, uint16_t dport,
				    uint8_t flags)
{
	struct pu_pkt p;

	memset(&p, 0, sizeof(p));
	pu_v6(&p, src, dst, 6, pu_tcp(p.b + 40, sport, dport, flags));
	return p;
}

static inline struct pu_pkt pu_udp6(const char *src, const char *dst,
				    uint16_t sport, uint16_t dport)
{
	struct pu_pkt p;

	memset(&p, 0, sizeof(p));
	pu_v6(&p, src, dst, 17, pu_udp(p.b + 40, sport, dport, 0));
	return p;
}

/* A packet described by its fields (zero = default). */
struct pu_spec {
	int fam; /* BF_FAMILY_* */
	const char *src, *dst;
	int proto; /* 0 = TCP */
	uint16_t sport, dport;
	uint8_t flags; /* TCP flags */
	uint8_t itype, icode;
	uint16_t frag; /* IPv4 frag_off field (host order) */
	int l4len; /* 0 = whole L4 header; > 0 bytes kept; -1 none */
	int n_ext; /* IPv6 extension headers before the L4 header */
	uint8_t ext[20]; /* their types (0 hop, 43 rt, 44 frag, 51 ah, 60 dst) */
	uint16_t ext_frag; /* fragment header offset field (bytes & ~7) */
	uint8_t ext_len[20]; /* hdrlen byte of each ext header (0 default) */
	/* IPv6: this many 8-byte destination options headers before ext[]
	 * (long chains; the packet must fit pu_pkt) */
	int n_fill;
	int trunc; /* > 0: cut the packet to this many L3 bytes */
};

/* Type of IPv6 extension header i of the spec (n_fill + n_ext in all). */
static inline uint8_t pu_ext_at(const struct pu_spec *s, int i)
{
	return i < s->n_fill ? 60 : s->ext[i - s->n_fill];
}

static inline struct pu_pkt pu_build(const struct pu_spec *s)
{
	struct pu_pkt p;
	bool v6 = s->fam == BF_FAMILY_INET6;
	size_t l3 = v6 ? 40 : 20, off = l3, l4;
	int proto = s->proto ? s->proto : 6;
	uint8_t *at;

	memset(&p, 0, sizeof(p));
	if (v6) {
		for (int i = 0; i < s->n_fill + s->n_ext; i++) {
			uint8_t *h = p.b + off;
			uint8_t type = pu_ext_at(s, i);
			uint8_t next = i + 1 < s->n_fill + s->n_ext ?
					       pu_ext_at(s, i + 1) :
					       (uint8_t)proto;
			size_t len;

			h[0] = next;
			h[1] = i < s->n_fill ? 0 : s->ext_len[i - s->n_fill];
			if (type == 44) {
				uint16_t v = htons(s->ext_frag);

				h[1] = 0;
				memcpy(h + 2, &v, 2);
				len = 8;
			} else if (type == 51) {
				len = ((size_t)h[1] + 2) * 4;
			} else {
				len = ((size_t)h[1] + 1) * 8;
			}
			off += len;
		}
	}
	at = p.b + off;
	switch (proto) {
	case 6:
		l4 = pu_tcp(at, s->sport, s->dport, s->flags);
		break;
	case 17:
		l4 = pu_udp(at, s->sport, s->dport, 0);
		break;
	case 1:
	case 58:
		l4 = pu_icmp(at, s->itype, s->icode);
		break;
	default:
		l4 = 8;
		memset(at, 0xab, 8);
		break;
	}
	if (s->l4len > 0)
		l4 = (size_t)s->l4len;
	else if (s->l4len < 0)
		l4 = 0;
	if (v6)
		pu_v6(&p, s->src ? s->src : "2001:db8::1",
		      s->dst ? s->dst : "2001:db8::2",
		      s->n_fill + s->n_ext ? pu_ext_at(s, 0) : (uint8_t)proto,
		      off - 40 + l4);
	else
		pu_v4(&p, s->src ? s->src : "192.0.2.1",
		      s->dst ? s->dst : "192.0.2.2", (uint8_t)proto, l4,
		      s->frag);
	if (s->trunc > 0) {
		p.len = (size_t)s->trunc;
		if (v6) {
			uint16_t v = htons((uint16_t)(p.len - 40));

			memcpy(p.b + 4, &v, 2);
		} else {
			uint16_t v = htons((uint16_t)p.len);

			memcpy(p.b + 2, &v, 2);
			memset(p.b + 10, 0, 2);
			v = pu_csum(p.b, 20);
			memcpy(p.b + 10, &v, 2);
		}
	}
	return p;
}

/* ---- an optimized program against the linear one ---- */

/* The same ruleset compiled with an optimization (o) and without (l). */
struct pu_pair {
	struct pu_prog o, l;
	const char *what; /* the optimization, for messages */
};

/* Load both: opts(true) for o, opts(false) for l, then opts(true). */
static inline void pu_pair_load(struct bf_ruleset *rs,
				enum bf_attach_kind attach, enum bf_hook hook,
				enum bf_family fam, void (*opts)(bool on),
				const char *what, struct pu_pair *p)
{
	p->what = what;
	opts(true);
	assert_int_equal(pu_load(rs, attach, hook, fam, "veth0", &p->o), 0);
	opts(false);
	assert_int_equal(pu_load(rs, attach, hook, fam, "veth0", &p->l), 0);
	opts(true);
}

static inline void pu_pair_close(struct pu_pair *p)
{
	pu_close(&p->o);
	pu_close(&p->l);
}

/* Run a packet through both; they must agree. Returns the verdict of the
 * optimized program (1 accept, 0 drop). */
static inline int pu_pair_run(const struct pu_pair *p, const struct pu_pkt *pkt,
			      enum bf_family fam)
{
	int a = pu_run(&p->o, pkt->b, pkt->len, fam);
	int b = pu_run(&p->l, pkt->b, pkt->len, fam);

	assert_int_equal(a, b);
	if (a == pu_accept(&p->o))
		return 1;
	assert_int_equal(a, pu_drop(&p->o));
	return 0;
}

/* Every counter (packets and bytes) of both programs must be equal. */
static inline void pu_pair_same_counters(const struct pu_pair *p)
{
	assert_int_equal(p->o.n_counters, p->l.n_counters);
	for (uint32_t i = 0; i < p->o.n_counters; i++) {
		struct bf_counter a = pu_counter(&p->o, i);
		struct bf_counter b = pu_counter(&p->l, i);

		if (a.packets != b.packets || a.bytes != b.bytes)
			fail_msg("counter %u: %s %llu/%llu, linear %llu/%llu",
				 i, p->what, (unsigned long long)a.packets,
				 (unsigned long long)a.bytes,
				 (unsigned long long)b.packets,
				 (unsigned long long)b.bytes);
	}
}

static inline uint64_t pu_packets(const struct pu_prog *p, uint32_t idx)
{
	return pu_counter(p, idx).packets;
}

#endif /* BPFILTER_TESTS_PROG_UTIL_H */
