// SPDX-License-Identifier: GPL-2.0-only
/* The LOG line formatter (bf_pktlog_format()) on crafted packets, against
 * the field formats of net/netfilter/nf_log_syslog.c. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bpfilter/ir.h"
#include "bpfilter/pktlog.h"

static void rec_init(struct bf_pktlog_rec *r, int family, const char *in,
		     const char *out)
{
	memset(r, 0, sizeof(*r));
	r->family = (uint8_t)family;
	strncpy(r->iif, in, sizeof(r->iif) - 1);
	strncpy(r->oif, out, sizeof(r->oif) - 1);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

/* IPv4 header at b: ihl 5 plus optlen bytes of options */
static size_t v4(uint8_t *b, const char *src, const char *dst, uint8_t proto,
		 uint16_t totlen, uint8_t tos, uint8_t ttl, uint16_t id,
		 uint16_t frag, const uint8_t *opt, size_t optlen)
{
	b[0] = (uint8_t)(0x40 | (5 + optlen / 4));
	b[1] = tos;
	put16(b + 2, totlen);
	put16(b + 4, id);
	put16(b + 6, frag);
	b[8] = ttl;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	if (optlen)
		memcpy(b + 20, opt, optlen);
	return 20 + optlen;
}

static size_t tcp(uint8_t *b, uint16_t sp, uint16_t dp, uint32_t seq,
		  uint32_t ack, uint8_t flags, uint16_t win, uint16_t urgp,
		  const uint8_t *opt, size_t optlen)
{
	put16(b, sp);
	put16(b + 2, dp);
	put32(b + 4, seq);
	put32(b + 8, ack);
	b[12] = (uint8_t)((5 + optlen / 4) << 4);
	b[13] = flags;
	put16(b + 14, win);
	put16(b + 18, urgp);
	if (optlen)
		memcpy(b + 20, opt, optlen);
	return 20 + optlen;
}

static void expect(const struct bf_pktlog_rec *r, const char *prefix,
		   uint8_t flags, const char *want)
{
	char buf[1024];
	int n = bf_pktlog_format(r, prefix, flags, buf, sizeof(buf));

	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

/* A TCP SYN with an MSS option, IPv4 DF, received on veth0, marked. */
static void test_tcp_syn(void **state)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	struct bf_pktlog_rec r;
	size_t ih, th;

	(void)state;
	rec_init(&r, BF_FAMILY_INET4, "veth0", "");
	ih = v4(r.data, "192.0.2.1", "192.0.2.2", 6, 44, 0x10, 64, 4660, 0x4000,
		NULL, 0);
	th = tcp(r.data + ih, 40000, 22, 1000, 0, 0x02, 64240, 0, mss, 4);
	r.len = r.caplen = (uint32_t)(ih + th);
	expect(&r, "P: ", 0,
	       "P: IN=veth0 OUT= MAC= SRC=192.0.2.1 DST=192.0.2.2 LEN=44 "
	       "TOS=0x10 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=40000 "
	       "DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 ");
	r.mark = 0x2a;
	/* the link-layer header: 14 bytes as %02x joined by ':' */
	for (int i = 0; i < 14; i++)
		r.mac[i] = (uint8_t)(0xa0 + i);
	r.mac[12] = 0x08;
	r.mac[13] = 0x00;
	r.maclen = 14;
	expect(&r, "", BF_LOGF_TCPSEQ | BF_LOGF_TCPOPT,
	       "IN=veth0 OUT= MAC=a0:a1:a2:a3:a4:a5:a6:a7:a8:a9:aa:ab:08:00 "
	       "SRC=192.0.2.1 DST=192.0.2.2 LEN=44 "
	       "TOS=0x10 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=40000 "
	       "DPT=22 SEQ=1000 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 "
	       "OPT (020405B4) MARK=0x2a ");
	/* ACK PSH FIN, precedence bits, MF and a fragment offset of 0 */
	r.mark = 0;
	r.maclen = 0;
	r.data[1] = 0xb8;
	r.data[ih + 13] = 0x19;
	put16(r.data + 6, 0x2000);
	expect(&r, "", 0,
	       "IN=veth0 OUT= MAC= SRC=192.0.2.1 DST=192.0.2.2 LEN=44 "
	       "TOS=0x18 PREC=0xA0 TTL=64 ID=4660 MF PROTO=TCP SPT=40000 "
	       "DPT=22 WINDOW=64240 RES=0x00 ACK PSH FIN URGP=0 ");
	/* a non-first fragment: no TCP header fields */
	put16(r.data + 6, 0x0010);
	expect(&r, "", 0,
	       "IN=veth0 OUT= MAC= SRC=192.0.2.1 DST=192.0.2.2 LEN=44 "
	       "TOS=0x18 PREC=0xA0 TTL=64 ID=4660 FRAG:16 PROTO=TCP ");
}

/* An echo request leaving through veth1 (no IN: no MAC=), with IP
 * options logged. */
static void test_icmp_echo_ipopt(void **state)
{
	static const uint8_t opt[4] = { 0x94, 0x04, 0x00, 0x00 };
	struct bf_pktlog_rec r;
	size_t ih;
	uint8_t *ic;

	(void)state;
	rec_init(&r, BF_FAMILY_INET4, "", "veth1");
	ih = v4(r.data, "198.51.100.7", "203.0.113.9", 1, 88, 0, 63, 7, 0, opt,
		4);
	ic = r.data + ih;
	ic[0] = 8;
	put16(ic + 4, 77);
	put16(ic + 6, 3);
	r.len = 88;
	r.caplen = 88;
	expect(&r, "ping ", BF_LOGF_IPOPT,
	       "ping IN= OUT=veth1 SRC=198.51.100.7 DST=203.0.113.9 LEN=88 "
	       "TOS=0x00 PREC=0x00 TTL=63 ID=7 OPT (94040000) PROTO=ICMP "
	       "TYPE=8 CODE=0 ID=77 SEQ=3 ");
	/* an ICMP error quoting a UDP packet: one level of recursion */
	rec_init(&r, BF_FAMILY_INET4, "eth0", "");
	ih = v4(r.data, "192.0.2.9", "192.0.2.1", 1, 56, 0xc0, 64, 1, 0, NULL,
		0);
	ic = r.data + ih;
	ic[0] = 3;
	ic[1] = 3;
	v4(ic + 8, "192.0.2.1", "192.0.2.9", 17, 40, 0, 64, 2, 0x4000, NULL, 0);
	put16(ic + 28, 5353);
	put16(ic + 30, 53);
	put16(ic + 32, 20);
	r.len = r.caplen = 56;
	expect(&r, "", 0,
	       "IN=eth0 OUT= MAC= SRC=192.0.2.9 DST=192.0.2.1 LEN=56 "
	       "TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP TYPE=3 CODE=3 "
	       "[SRC=192.0.2.1 DST=192.0.2.9 LEN=40 TOS=0x00 PREC=0x00 "
	       "TTL=64 ID=2 DF PROTO=UDP SPT=5353 DPT=53 LEN=20 ] ");
	/* too short for an echo header: INCOMPLETE */
	r.data[ih] = 8;
	r.len = r.caplen = (uint32_t)ih + 6;
	expect(&r, "", 0,
	       "IN=eth0 OUT= MAC= SRC=192.0.2.9 DST=192.0.2.1 LEN=56 "
	       "TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP INCOMPLETE "
	       "[6 bytes] ");
}

/* IPv6 UDP behind a fragment header; an echo request. */
static void test_v6(void **state)
{
	struct bf_pktlog_rec r;
	uint8_t *b;

	(void)state;
	rec_init(&r, BF_FAMILY_INET6, "veth0", "");
	b = r.data;
	put32(b, 0x60312345); /* TC 0x03, flow label 0x12345 */
	put16(b + 4, 16);
	b[6] = 44;
	b[7] = 255;
	inet_pton(AF_INET6, "2001:db8::1", b + 8);
	inet_pton(AF_INET6, "2001:db8:0:1::2", b + 24);
	b[40] = 17;
	put16(b + 42, 0x0001); /* offset 0, more fragments */
	put32(b + 44, 0xabcd);
	put16(b + 48, 1000);
	put16(b + 50, 2000);
	put16(b + 52, 8);
	r.len = r.caplen = 56;
	expect(&r, "", BF_LOGF_IPOPT,
	       "IN=veth0 OUT= MAC= "
	       "SRC=2001:0db8:0000:0000:0000:0000:0000:0001 "
	       "DST=2001:0db8:0000:0001:0000:0000:0000:0002 LEN=56 TC=3 "
	       "HOPLIMIT=255 FLOWLBL=74565 OPT ( FRAG:0 INCOMPLETE "
	       "ID:0000abcd ) PROTO=UDP SPT=1000 DPT=2000 LEN=8 ");
	b[6] = 58;
	b[40] = 128;
	b[41] = 0;
	put16(b + 44, 9);
	put16(b + 46, 1);
	put16(b + 4, 8);
	r.len = r.caplen = 48;
	expect(&r, "", 0,
	       "IN=veth0 OUT= MAC= "
	       "SRC=2001:0db8:0000:0000:0000:0000:0000:0001 "
	       "DST=2001:0db8:0000:0001:0000:0000:0000:0002 LEN=48 TC=3 "
	       "HOPLIMIT=255 FLOWLBL=74565 PROTO=ICMPv6 TYPE=128 CODE=0 "
	       "ID=9 SEQ=1 ");
}

/* Header bytes past the captured ones are not invented; the length is
 * reported as snprintf() does when the buffer is short. */
static void test_not_captured(void **state)
{
	uint8_t opt[40];
	struct bf_pktlog_rec r;
	char small[8];
	size_t ih;
	uint8_t big[BF_PKTLOG_CAP] = { 0 };

	(void)state;
	memset(opt, 1, sizeof(opt)); /* NOPs */
	rec_init(&r, BF_FAMILY_INET4, "", "");
	ih = v4(big, "192.0.2.1", "192.0.2.2", 6, 120, 0, 1, 1, 0, opt, 40);
	tcp(big + ih, 1, 2, 3, 4, 0x10, 5, 0, opt, 40);
	memcpy(r.data, big, BF_PKTLOG_CAP);
	r.len = 120;
	r.caplen = 120;
	expect(&r, "", BF_LOGF_TCPOPT,
	       "IN= OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=120 TOS=0x00 "
	       "PREC=0x00 TTL=1 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=5 "
	       "RES=0x00 ACK URGP=0 OPT ("
	       "0101010101010101010101010101010101010101"
	       "0101010101010101010101010101010101010101) ");
	r.caplen = 90; /* the TCP options are cut */
	expect(&r, "", BF_LOGF_TCPOPT,
	       "IN= OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=120 TOS=0x00 "
	       "PREC=0x00 TTL=1 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=5 "
	       "RES=0x00 ACK URGP=0 [not captured] ");
	assert_int_equal(bf_pktlog_format(&r, "", 0, small, sizeof(small)),
			 (int)strlen("IN= OUT= SRC=192.0.2.1 DST=192.0.2.2 "
				     "LEN=120 TOS=0x00 PREC=0x00 TTL=1 ID=1 "
				     "PROTO=TCP SPT=1 DPT=2 WINDOW=5 RES=0x00 "
				     "ACK URGP=0 "));
	assert_string_equal(small, "IN= OUT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_syn),
		cmocka_unit_test(test_icmp_echo_ipopt),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_not_captured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
