// SPDX-License-Identifier: GPL-2.0-only
/*
 * REJECT, MARK and NFLOG compiled: the reply bytes a REJECT rule turns a
 * packet into at tc and XDP (BPF_PROG_TEST_RUN returns the rewritten
 * frame), checked field by field against what the kernel's REJECT sends
 * (net/ipv4/netfilter/nf_reject_ipv4.c, icmp_send(), ...), the cases where
 * nothing may be sent, the DROP at netfilter hooks, and MARK at tc.
 */
#include "prog_util.h"

#include "cgen/targets.h"
#include "check/check.h"

#define TC_ACT_REDIRECT_ 7
#define XDP_TX_ 3

struct out {
	int ret;
	uint8_t b[2048];
	size_t len;
	uint32_t mark;
};

static struct bf_ruleset *rs_with(enum bf_family fam, enum bf_hook hook,
				  enum bf_verdict_kind kind,
				  enum bf_reject_with with)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_rule r;

	assert_non_null(rs);
	memset(&r, 0, sizeof(r));
	r.family = fam;
	r.verdict.kind = kind;
	r.verdict.u.reject.with = with;
	assert_int_equal(
		bf_chain_add_rule(bf_ruleset_builtin(rs, fam, hook), &r), 0);
	rs->families = 1u << fam;
	return rs;
}

/* Run an L3 packet behind an Ethernet header (dst 00:..:00, the address
 * of the loopback device BPF_PROG_TEST_RUN uses, so that the skb is
 * PACKET_HOST; src 02:..:02); the frame that comes out in o. With
 * `bcast`, the destination is ff:ff:ff:ff:ff:ff. */
static void run_l2(const struct pu_prog *p, const struct pu_pkt *pkt,
		   int family, struct out *o, bool bcast)
{
	uint8_t in[2048 + 14];
	struct __sk_buff ctx;
	LIBBPF_OPTS(bpf_test_run_opts, t);
	uint16_t et = htons(family == BF_FAMILY_INET6 ? 0x86dd : 0x0800);

	memset(in, 0, 14);
	if (bcast)
		memset(in, 0xff, 6);
	in[6] = 0x02, in[11] = 0x02;
	memcpy(in + 12, &et, 2);
	memcpy(in + 14, pkt->b, pkt->len);
	memset(o, 0, sizeof(*o));
	memset(&ctx, 0, sizeof(ctx));
	t.data_in = in;
	t.data_size_in = (uint32_t)(pkt->len + 14);
	t.data_out = o->b;
	t.data_size_out = sizeof(o->b);
	if (p->attach == BF_ATTACH_TC) {
		ctx.mark = 0x11;
		t.ctx_in = &ctx;
		t.ctx_size_in = sizeof(ctx);
		t.ctx_out = &ctx;
		t.ctx_size_out = sizeof(ctx);
	}
	assert_int_equal(bpf_prog_test_run_opts(p->prog_fd, &t), 0);
	o->ret = (int)t.retval;
	o->len = t.data_size_out;
	o->mark = ctx.mark;
}

static void run(const struct pu_prog *p, const struct pu_pkt *pkt, int family,
		struct out *o)
{
	run_l2(p, pkt, family, o, false);
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* One's complement sum of the pseudo-header and data: 0xffff when the
 * checksum inside is right. */
static uint16_t sum_ok(const uint8_t *src, const uint8_t *dst, int alen,
		       uint8_t proto, const uint8_t *data, size_t len)
{
	uint32_t s = proto + (uint32_t)len;

	for (int i = 0; i < alen; i += 2)
		s += be16(src + i) + be16(dst + i);
	for (size_t i = 0; i + 1 < len; i += 2)
		s += be16(data + i);
	if (len & 1)
		s += (uint32_t)data[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t sum_plain(const uint8_t *data, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += be16(data + i);
	if (len & 1)
		s += (uint32_t)data[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Fill in the transport checksum of an IPv4 (20-byte header) or IPv6
 * (no extension header) packet: TCP, UDP (pseudo-header), ICMP, ICMPv6
 * (pseudo-header); `bad` spoils it. */
static void fix_csum(struct pu_pkt *p, bool v6, bool bad)
{
	size_t l3 = v6 ? 40 : 20, len = p->len - l3;
	uint8_t proto = v6 ? p->b[6] : p->b[9];
	uint8_t *l4 = p->b + l3;
	int off = proto == 6 ? 16 : proto == 17 ? 6 : 2;
	uint32_t s = 0;

	if (!v6) {
		uint16_t h;

		memset(p->b + 10, 0, 2);
		h = pu_csum(p->b, 20);
		memcpy(p->b + 10, &h, 2);
	}
	memset(l4 + off, 0, 2);
	if (v6 || proto == 6 || proto == 17) {
		const uint8_t *a = p->b + (v6 ? 8 : 12);

		for (size_t i = 0; i < (v6 ? 32u : 8u); i += 2)
			s += be16(a + i);
		s += proto + (uint32_t)len;
	}
	for (size_t i = 0; i + 1 < len; i += 2)
		s += be16(l4 + i);
	if (len & 1)
		s += (uint32_t)l4[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	if (proto == 17 && s == 0)
		s = 0xffff;
	if (bad)
		s ^= 0x0100;
	l4[off] = (uint8_t)(s >> 8);
	l4[off + 1] = (uint8_t)s;
}

static int sysctl_int(const char *path, int def)
{
	FILE *f = fopen(path, "re");
	int v = def;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = def;
		fclose(f);
	}
	return v;
}

/* The Ethernet header of a reply: the packet's addresses swapped; at
 * egress (`lo`: delivered through the loopback device) zeros. */
static void check_eth_to(const struct out *o, uint16_t et, bool lo)
{
	static const uint8_t a[6] = { 2, 0, 0, 0, 0, 2 },
			     b[6] = { 0, 0, 0, 0, 0, 0 };

	assert_memory_equal(o->b, lo ? b : a, 6);
	assert_memory_equal(o->b + 6, b, 6);
	assert_int_equal(be16(o->b + 12), et);
}

static void check_eth(const struct out *o, uint16_t et)
{
	check_eth_to(o, et, false);
}

/* An IPv4 ICMP destination-unreachable reply to pkt with code `code`,
 * quoting min(len, 548) bytes; `local` is the egress flavour (source =
 * the packet's own source). */
static void check_icmp4(const struct out *o, const struct pu_pkt *pkt,
			uint8_t code, bool local)
{
	const uint8_t *ip = o->b + 14, *ic = ip + 20;
	size_t q = pkt->len < 548 ? pkt->len : 548;

	check_eth_to(o, 0x0800, local);
	assert_int_equal(o->len, 14 + 28 + q);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], (pkt->b[1] & 0x1e) | 0xc0);
	assert_int_equal(be16(ip + 2), 28 + q);
	assert_int_equal(be16(ip + 6), 0); /* no DF, offset 0 */
	assert_int_equal(ip[8],
			 sysctl_int("/proc/sys/net/ipv4/ip_default_ttl", 64));
	assert_int_equal(ip[9], 1);
	assert_int_equal(sum_plain(ip, 20), 0xffff);
	/* IPv4: from the destination at egress too (t_reject.c) */
	assert_memory_equal(ip + 12, pkt->b + 16, 4);
	assert_memory_equal(ip + 16, pkt->b + 12, 4);
	assert_int_equal(ic[0], 3);
	assert_int_equal(ic[1], code);
	assert_int_equal(be32(ic + 4), 0);
	assert_int_equal(sum_plain(ic, 8 + q), 0xffff);
	assert_memory_equal(ic + 8, pkt->b, q);
}

static void check_icmp6(const struct out *o, const struct pu_pkt *pkt,
			uint8_t code)
{
	const uint8_t *ip = o->b + 14, *ic = ip + 40;
	size_t q = pkt->len < 1232 ? pkt->len : 1232;

	check_eth(o, 0x86dd);
	assert_int_equal(o->len, 14 + 48 + q);
	assert_int_equal(be32(ip), 0x60000000u);
	assert_int_equal(be16(ip + 4), 8 + q);
	assert_int_equal(ip[6], 58);
	assert_memory_equal(ip + 8, pkt->b + 24, 16);
	assert_memory_equal(ip + 24, pkt->b + 8, 16);
	assert_int_equal(ic[0], 1);
	assert_int_equal(ic[1], code);
	assert_int_equal(be32(ic + 4), 0);
	assert_int_equal(sum_ok(ip + 8, ip + 24, 16, 58, ic, 8 + q), 0xffff);
	assert_memory_equal(ic + 8, pkt->b, q);
}

/* TCP reset: ports swapped; seq/ack per nf_reject_ip_tcphdr_put(). */
static void check_rst(const struct out *o, const struct pu_pkt *pkt, bool v6)
{
	const uint8_t *ip = o->b + 14, *th = ip + (v6 ? 40 : 20);
	const uint8_t *oth = pkt->b + (v6 ? 40 : 20);
	size_t l3 = v6 ? 40 : 20;
	uint32_t payload = (uint32_t)(pkt->len - l3 - (oth[12] >> 4) * 4u);

	check_eth(o, v6 ? 0x86dd : 0x0800);
	assert_int_equal(o->len, 14 + l3 + 20);
	if (v6) {
		assert_int_equal(be32(ip), 0x60000000u);
		assert_int_equal(be16(ip + 4), 20);
		assert_int_equal(ip[6], 6);
		assert_memory_equal(ip + 8, pkt->b + 24, 16);
		assert_memory_equal(ip + 24, pkt->b + 8, 16);
		assert_int_equal(sum_ok(ip + 8, ip + 24, 16, 6, th, 20),
				 0xffff);
	} else {
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[1], 0);
		assert_int_equal(be16(ip + 2), 40);
		assert_int_equal(be16(ip + 4), 0);
		assert_int_equal(be16(ip + 6), 0x4000);
		assert_int_equal(ip[9], 6);
		assert_int_equal(sum_plain(ip, 20), 0xffff);
		assert_memory_equal(ip + 12, pkt->b + 16, 4);
		assert_memory_equal(ip + 16, pkt->b + 12, 4);
		assert_int_equal(sum_ok(ip + 12, ip + 16, 4, 6, th, 20),
				 0xffff);
	}
	assert_memory_equal(th, oth + 2, 2);
	assert_memory_equal(th + 2, oth, 2);
	assert_int_equal(th[12], 0x50);
	if (oth[13] & 0x10) {
		assert_memory_equal(th + 4, oth + 8, 4);
		assert_int_equal(be32(th + 8), 0);
		assert_int_equal(th[13], 0x04);
	} else {
		assert_int_equal(be32(th + 4), 0);
		assert_int_equal(be32(th + 8), be32(oth + 4) + !!(oth[13] & 2) +
						       (oth[13] & 1) + payload);
		assert_int_equal(th[13], 0x14);
	}
	assert_int_equal(be16(th + 14), 0);
	assert_int_equal(be16(th + 18), 0);
}

static struct pu_pkt udp4_len(size_t payload, uint8_t tos)
{
	struct pu_pkt p;

	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < payload; i++)
		p.b[28 + i] = (uint8_t)(i * 7 + 1);
	pu_v4(&p, "192.0.2.1", "198.51.100.7", 17,
	      pu_udp(p.b + 20, 4000, 53, payload) + payload, 0);
	p.b[1] = tos;
	p.b[10] = p.b[11] = 0;
	{
		uint16_t v = pu_csum(p.b, 20);

		memcpy(p.b + 10, &v, 2);
	}
	return p;
}

static struct pu_pkt udp6_len(size_t payload)
{
	struct pu_pkt p;

	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < payload; i++)
		p.b[48 + i] = (uint8_t)(i * 5 + 3);
	pu_v6(&p, "2001:db8::1", "2001:db8:1::7", 17,
	      pu_udp(p.b + 40, 4000, 53, payload) + payload);
	return p;
}

static void load(struct bf_ruleset *rs, enum bf_attach_kind a, enum bf_hook h,
		 enum bf_family f, struct pu_prog *p)
{
	assert_int_equal(
		pu_load(rs, a, h, f, a == BF_ATTACH_NF ? NULL : "lo", p), 0);
}

/* Every IPv4 --reject-with at tc ingress and XDP: the ICMP code, the
 * header fields, the quote (whole, and cut at 548 bytes), checksums. */
static void test_icmp4(void **state)
{
	static const struct {
		enum bf_reject_with with;
		uint8_t code;
	} w[] = {
		{ BF_REJECT_ICMP_NET_UNREACHABLE, 0 },
		{ BF_REJECT_ICMP_HOST_UNREACHABLE, 1 },
		{ BF_REJECT_ICMP_PROTO_UNREACHABLE, 2 },
		{ BF_REJECT_ICMP_PORT_UNREACHABLE, 3 },
		{ BF_REJECT_ICMP_NET_PROHIBITED, 9 },
		{ BF_REJECT_ICMP_HOST_PROHIBITED, 10 },
		{ BF_REJECT_ICMP_ADMIN_PROHIBITED, 13 },
	};
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (int a = BF_ATTACH_TC; a <= BF_ATTACH_XDP; a++) {
		for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
			struct bf_ruleset *rs =
				rs_with(BF_FAMILY_INET4, BF_HOOK_INPUT,
					BF_VERDICT_REJECT, w[i].with);
			struct pu_prog p;
			size_t sizes[] = { 0, 13, 520, 521, 1200 };

			load(rs, a, BF_HOOK_INPUT, BF_FAMILY_INET4, &p);
			for (size_t s = 0; s < 5; s++) {
				struct pu_pkt pkt =
					udp4_len(sizes[s], s ? 0x3f : 0);
				struct out o;

				run(&p, &pkt, BF_FAMILY_INET4, &o);
				assert_int_equal(o.ret,
						 a == BF_ATTACH_TC ?
							 TC_ACT_REDIRECT_ :
							 XDP_TX_);
				check_icmp4(&o, &pkt, w[i].code, false);
				if (a == BF_ATTACH_TC)
					assert_int_equal(o.mark, 0);
			}
			pu_close(&p);
			bf_ruleset_free(&rs);
		}
	}
}

static void test_icmp6(void **state)
{
	static const struct {
		enum bf_reject_with with;
		uint8_t code;
	} w[] = {
		{ BF_REJECT_ICMP6_NO_ROUTE, 0 },
		{ BF_REJECT_ICMP6_ADM_PROHIBITED, 1 },
		{ BF_REJECT_ICMP6_ADDR_UNREACHABLE, 3 },
		{ BF_REJECT_ICMP6_PORT_UNREACHABLE, 4 },
		{ BF_REJECT_ICMP6_POLICY_FAIL, 5 },
		{ BF_REJECT_ICMP6_REJECT_ROUTE, 6 },
	};
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (int a = BF_ATTACH_TC; a <= BF_ATTACH_XDP; a++) {
		for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
			struct bf_ruleset *rs =
				rs_with(BF_FAMILY_INET6, BF_HOOK_INPUT,
					BF_VERDICT_REJECT, w[i].with);
			struct pu_prog p;
			size_t sizes[] = { 0, 13, 511, 1184, 1185, 1500 };

			load(rs, a, BF_HOOK_INPUT, BF_FAMILY_INET6, &p);
			for (size_t s = 0; s < 6; s++) {
				struct pu_pkt pkt = udp6_len(sizes[s]);
				struct out o;

				run(&p, &pkt, BF_FAMILY_INET6, &o);
				assert_int_equal(o.ret,
						 a == BF_ATTACH_TC ?
							 TC_ACT_REDIRECT_ :
							 XDP_TX_);
				check_icmp6(&o, &pkt, w[i].code);
			}
			pu_close(&p);
			bf_ruleset_free(&rs);
		}
	}
}

/* tcp-reset in both families: SYN (ACK of seq + 1), SYN with data,
 * FIN+ACK (seq from the ack), and a reset gets nothing. */
static void test_rst(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		bool v6 = f == BF_FAMILY_INET6;

		for (int a = BF_ATTACH_TC; a <= BF_ATTACH_XDP; a++) {
			struct bf_ruleset *rs = rs_with(f, BF_HOOK_INPUT,
							BF_VERDICT_REJECT,
							BF_REJECT_TCP_RESET);
			struct pu_prog p;
			uint8_t flags[] = { 0x02, 0x02, 0x11, 0x18, 0x04, 0x14 };

			load(rs, a, BF_HOOK_INPUT, f, &p);
			for (size_t i = 0; i < sizeof(flags); i++) {
				struct pu_pkt pkt =
					v6 ? pu_tcp6("2001:db8::1",
						     "2001:db8::2", 1234, 22,
						     flags[i]) :
					     pu_tcp4("192.0.2.1", "192.0.2.2",
						     1234, 22, flags[i]);
				uint8_t *th = pkt.b + (v6 ? 40 : 20);
				struct out o;
				uint32_t seq = htonl(0x89abcdefu + (uint32_t)i);
				uint32_t ack = htonl(0x01020304u);

				memcpy(th + 4, &seq, 4);
				memcpy(th + 8, &ack, 4);
				if (i == 1 || i == 3) {
					/* 100 bytes of data */
					pkt.len += 100;
					if (v6) {
						uint16_t v = htons(
							(uint16_t)(pkt.len -
								   40));
						memcpy(pkt.b + 4, &v, 2);
					} else {
						uint16_t v = htons(
							(uint16_t)pkt.len);
						memcpy(pkt.b + 2, &v, 2);
					}
				}
				fix_csum(&pkt, v6, false);
				run(&p, &pkt, f, &o);
				if (flags[i] & 0x04) {
					assert_int_equal(o.ret, pu_drop(&p));
					continue;
				}
				assert_int_equal(o.ret,
						 a == BF_ATTACH_TC ?
							 TC_ACT_REDIRECT_ :
							 XDP_TX_);
				check_rst(&o, &pkt, v6);
				/* a bad checksum gets no reset
				 * (nf_reject_ip_tcphdr_get()) */
				fix_csum(&pkt, v6, true);
				run(&p, &pkt, f, &o);
				assert_int_equal(o.ret, pu_drop(&p));
			}
			pu_close(&p);
			bf_ruleset_free(&rs);
		}
	}
}

/* Packets the kernel's REJECT drops without a reply. */
static void test_silent(void **state)
{
	struct bf_ruleset *rs4 = rs_with(BF_FAMILY_INET4, BF_HOOK_INPUT,
					 BF_VERDICT_REJECT,
					 BF_REJECT_ICMP_PORT_UNREACHABLE);
	struct bf_ruleset *rs6 = rs_with(BF_FAMILY_INET6, BF_HOOK_INPUT,
					 BF_VERDICT_REJECT,
					 BF_REJECT_ICMP6_PORT_UNREACHABLE);
	struct pu_prog p4, p6;
	struct pu_pkt pkt;
	struct out o;

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(rs4, BF_ATTACH_TC, BF_HOOK_INPUT, BF_FAMILY_INET4, &p4);
	load(rs6, BF_ATTACH_TC, BF_HOOK_INPUT, BF_FAMILY_INET6, &p6);

	/* ICMP errors (and unknown types) get nothing; echo requests do */
	for (int t = 0; t < 256; t++) {
		bool err = t == 3 || t == 4 || t == 5 || t == 11 || t == 12 ||
			   t > 18;

		memset(&pkt, 0, sizeof(pkt));
		pu_v4(&pkt, "192.0.2.1", "192.0.2.2", 1,
		      pu_icmp(pkt.b + 20, (uint8_t)t, 0), 0);
		fix_csum(&pkt, false, false);
		run(&p4, &pkt, BF_FAMILY_INET4, &o);
		assert_int_equal(o.ret, err ? TCX_DROP : TC_ACT_REDIRECT_);
		if (!err)
			check_icmp4(&o, &pkt, 3, false);
		memset(&pkt, 0, sizeof(pkt));
		pu_v6(&pkt, "2001:db8::1", "2001:db8::2", 58,
		      pu_icmp(pkt.b + 40, (uint8_t)t, 0));
		fix_csum(&pkt, true, false);
		run(&p6, &pkt, BF_FAMILY_INET6, &o);
		assert_int_equal(o.ret, t < 128 ? TCX_DROP : TC_ACT_REDIRECT_);
	}
	/* checksums: UDP without one is answered, a wrong one is not (in
	 * either family), nor a wrong IPv4 header checksum */
	pkt = udp4_len(100, 0);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TC_ACT_REDIRECT_);
	fix_csum(&pkt, false, false);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TC_ACT_REDIRECT_);
	check_icmp4(&o, &pkt, 3, false);
	fix_csum(&pkt, false, true);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	fix_csum(&pkt, false, false);
	pkt.b[10] ^= 1;
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pkt = udp6_len(1300);
	fix_csum(&pkt, true, false);
	run(&p6, &pkt, BF_FAMILY_INET6, &o);
	assert_int_equal(o.ret, TC_ACT_REDIRECT_);
	check_icmp6(&o, &pkt, 4);
	fix_csum(&pkt, true, true);
	run(&p6, &pkt, BF_FAMILY_INET6, &o);
	assert_int_equal(o.ret, TCX_DROP);
	/* an unknown protocol: its plain sum (IPv4) must be zero */
	memset(&pkt, 0, sizeof(pkt));
	pu_v4(&pkt, "192.0.2.1", "192.0.2.2", 253, 9, 0);
	pkt.b[20] = 0x5a;
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pkt.b[20] = 0xff, pkt.b[21] = 0xff; /* 0x5a00 + ... -> sum 0xffff */
	memset(pkt.b + 20, 0, 9);
	pkt.b[20] = 0xff, pkt.b[21] = 0xff;
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TC_ACT_REDIRECT_);
	/* a non-first fragment */
	memset(&pkt, 0, sizeof(pkt));
	pu_v4(&pkt, "192.0.2.1", "192.0.2.2", 17, 16, 0x0002);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	/* the first fragment is answered */
	pu_v4(&pkt, "192.0.2.1", "192.0.2.2", 17, 16, 0x2000);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TC_ACT_REDIRECT_);
	/* broadcast, multicast destinations; unspecified source */
	pkt = pu_udp4("192.0.2.1", "255.255.255.255", 1, 2);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pkt = pu_udp4("192.0.2.1", "224.0.0.9", 1, 2);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pkt = pu_udp4("0.0.0.0", "192.0.2.2", 1, 2);
	run(&p4, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pkt = pu_udp6("2001:db8::1", "ff02::1", 1, 2);
	run(&p6, &pkt, BF_FAMILY_INET6, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pkt = pu_udp6("::", "2001:db8::2", 1, 2);
	run(&p6, &pkt, BF_FAMILY_INET6, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pkt = pu_udp6("2001:db8::1", "2001:db8::2", 1, 2);
	run(&p6, &pkt, BF_FAMILY_INET6, &o);
	assert_int_equal(o.ret, TC_ACT_REDIRECT_);
	/* sent to a link-layer broadcast: no ICMP error (icmp_send()'s
	 * PACKET_HOST test), at tc and at XDP */
	run_l2(&p6, &pkt, BF_FAMILY_INET6, &o, true);
	assert_int_equal(o.ret, TCX_DROP);
	pkt = pu_udp4("192.0.2.1", "192.0.2.2", 1, 2);
	run_l2(&p4, &pkt, BF_FAMILY_INET4, &o, true);
	assert_int_equal(o.ret, TCX_DROP);
	pu_close(&p4);
	load(rs4, BF_ATTACH_XDP, BF_HOOK_INPUT, BF_FAMILY_INET4, &p4);
	run_l2(&p4, &pkt, BF_FAMILY_INET4, &o, true);
	assert_int_equal(o.ret, 1 /* XDP_DROP */);
	run_l2(&p4, &pkt, BF_FAMILY_INET4, &o, false);
	assert_int_equal(o.ret, XDP_TX_);

	pu_close(&p4);
	pu_close(&p6);
	bf_ruleset_free(&rs4);
	bf_ruleset_free(&rs6);
}

/* A TCP/UDP checksum field holding the folded pseudo-header sum is what
 * a local socket leaves for offload (CHECKSUM_PARTIAL): XDP, which cannot
 * see the skb's state, takes it for such a packet and answers; tc sees
 * CHECKSUM_NONE here (BPF_PROG_TEST_RUN) and takes it for a bad sum. */
static void test_partial(void **state)
{
	struct bf_ruleset *rs = rs_with(BF_FAMILY_INET4, BF_HOOK_INPUT,
					BF_VERDICT_REJECT,
					BF_REJECT_ICMP_PORT_UNREACHABLE);
	struct pu_pkt pkt = udp4_len(30, 0);
	struct pu_prog p;
	struct out o;
	uint32_t sum = 17 + 38;

	(void)state;
	BFT_REQUIRE_KERNEL();
	for (int i = 12; i < 20; i += 2)
		sum += be16(pkt.b + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pkt.b[26] = (uint8_t)(sum >> 8);
	pkt.b[27] = (uint8_t)sum;
	load(rs, BF_ATTACH_XDP, BF_HOOK_INPUT, BF_FAMILY_INET4, &p);
	run(&p, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, XDP_TX_);
	check_icmp4(&o, &pkt, 3, false);
	pkt.b[27] ^= 1; /* neither the partial nor the full sum */
	run(&p, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, 1 /* XDP_DROP */);
	pkt.b[27] ^= 1;
	pu_close(&p);
	load(rs, BF_ATTACH_TC, BF_HOOK_INPUT, BF_FAMILY_INET4, &p);
	run(&p, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	pu_close(&p);
	bf_ruleset_free(&rs);
}

/* tc egress: the error comes from the sender's own address (the kernel
 * routes it back to this host); netfilter: dropped, nothing sent. */
static void test_egress_and_nf(void **state)
{
	struct bf_ruleset *rs = rs_with(BF_FAMILY_INET4, BF_HOOK_OUTPUT,
					BF_VERDICT_REJECT,
					BF_REJECT_ICMP_HOST_PROHIBITED);
	struct pu_prog p;
	struct pu_pkt pkt = udp4_len(40, 0);
	struct out o;

	(void)state;
	BFT_REQUIRE_KERNEL();
	load(rs, BF_ATTACH_TC, BF_HOOK_OUTPUT, BF_FAMILY_INET4, &p);
	run(&p, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TC_ACT_REDIRECT_);
	check_icmp4(&o, &pkt, 10, true);
	pu_close(&p);
	bf_ruleset_free(&rs);

	rs = rs_with(BF_FAMILY_INET4, BF_HOOK_INPUT, BF_VERDICT_REJECT,
		     BF_REJECT_TCP_RESET);
	load(rs, BF_ATTACH_NF, BF_HOOK_INPUT, BF_FAMILY_INET4, &p);
	pkt = pu_tcp4("192.0.2.1", "192.0.2.2", 1, 2, 0x02);
	assert_int_equal(pu_run(&p, pkt.b, pkt.len, BF_FAMILY_INET4), NF_DROP);
	pu_close(&p);
	bf_ruleset_free(&rs);
}

/* MARK at tc: the new mark reaches skb->mark and the rules after it. */
static void test_mark(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	struct bf_chain *in;
	struct bf_rule r;
	struct bf_match m = pu_m(BF_MATCH_MARK, false);
	struct pu_prog p;
	struct pu_pkt pkt = pu_udp4("192.0.2.1", "192.0.2.2", 1, 2);
	struct out o;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_non_null(rs);
	in = bf_ruleset_builtin(rs, BF_FAMILY_INET4, BF_HOOK_INPUT);
	memset(&r, 0, sizeof(r));
	r.verdict.kind = BF_VERDICT_MARK;
	r.verdict.u.mark.value = 0x500;
	r.verdict.u.mark.mask = 0xff00;
	assert_int_equal(bf_chain_add_rule(in, &r), 0);
	/* (0x11 & ~0xff00) ^ 0x500 = 0x511 */
	m.u.mark.value = 0x511;
	m.u.mark.mask = 0xffffffff;
	PU_RULE(in, BF_VERDICT_DROP, NULL, m);
	rs->families = 1;
	assert_int_equal(bf_check(rs, BF_ATTACH_TC, "lo"), 0);
	load(rs, BF_ATTACH_TC, BF_HOOK_INPUT, BF_FAMILY_INET4, &p);
	run(&p, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_DROP);
	assert_int_equal(o.mark, 0x511);
	assert_int_equal(pu_counter(&p, in->rules[1].counter_idx).packets, 1);
	pu_close(&p);

	/* a mark that the second rule does not match: accepted, mark set */
	in->rules[0].verdict.u.mark.value = 0x600;
	load(rs, BF_ATTACH_TC, BF_HOOK_INPUT, BF_FAMILY_INET4, &p);
	run(&p, &pkt, BF_FAMILY_INET4, &o);
	assert_int_equal(o.ret, TCX_NEXT);
	assert_int_equal(o.mark, 0x611);
	pu_close(&p);

	/* refused where the mark cannot be written */
	assert_int_equal(bf_check(rs, BF_ATTACH_NF, NULL), -EINVAL);
	assert_int_equal(bf_check(rs, BF_ATTACH_XDP, "lo"), -EINVAL);
	bf_ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icmp4),
		cmocka_unit_test(test_icmp6),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_silent),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_egress_and_nf),
		cmocka_unit_test(test_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
