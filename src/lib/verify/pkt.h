/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Verify engine: probe packets.
 *
 * A probe is described by a struct dpkt_spec (family, addresses, protocol,
 * ports, flags, ICMP type/code, fragment kind, IPv6 extension headers) and
 * built into raw IP datagrams by dpkt_build(). Every datagram carries an
 * 8-byte marker ("BFDM" + 32-bit probe id) right after its own transport
 * header (or at the start of the data of a non-first fragment); the
 * observer recognises a probe only when the marker sits at the offset
 * recorded for that probe, so quoted copies inside ICMP errors and the
 * echo replies of the receiver are not mistaken for the probe itself.
 *
 * Static functions, included by src/lib/verify/verify.c and through the
 * tests/diff/diff_*.h wrappers by differential tests.
 */
#ifndef BF_VERIFY_PKT_H
#define BF_VERIFY_PKT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpfilter/ir.h"

#define DPKT_MAGIC 0x4246444du /* "BFDM" */
#define DPKT_MAX 320
#define DPKT_MAX_EXT 24
#define DPKT_PAD 8 /* bytes of padding after the marker */
/* TTL / hop limit that the harness's nftables table exempts from
 * conntrack (net.h): the probe is UNTRACKED. */
#define DPKT_TTL_NOTRACK 33

enum dpkt_frag {
	DFRAG_NONE = 0,
	DFRAG_FIRST, /* offset 0, more-fragments set, carries the L4 header */
	DFRAG_LATER, /* non-first fragment (offset >= 2 units), no L4 header */
	DFRAG_OFF1, /* fragment at offset 1 (8 bytes), no L4 header */
	DFRAG_ATOMIC, /* IPv6 atomic fragment: offset 0, M = 0 */
	/* INPUT only: a whole datagram in two fragments (first + rest), so
	 * that it is reassembled and can be seen by a raw socket; variant
	 * "_SPLIT8" cuts the first fragment 8 bytes after the L4 offset so
	 * that the second one is at offset 1. */
	DFRAG_PAIR,
	DFRAG_PAIR_SPLIT8,
};

struct dpkt_spec {
	enum bf_family family;
	uint8_t saddr[16], daddr[16];
	uint8_t proto; /* transport protocol (last next-header) */
	uint16_t sport, dport;
	uint8_t tcpflags;
	uint32_t seq, ack;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	uint8_t tos;
	uint8_t ttl;
	enum dpkt_frag frag;
	/* IPv6 extension headers before the transport header, in order
	 * (0 hop-by-hop, 60 destination options, 43 routing, 44 fragment,
	 * 51 AH). A fragment header is added for frag != DFRAG_NONE. */
	uint8_t ext[DPKT_MAX_EXT];
	int n_ext;
	bool bad_ext; /* the last extension header's length overruns */
	/* Cut the datagram this many bytes into the transport header (a
	 * truncated header: xt matches hotdrop it). 0 = full header. */
	uint8_t short_l4;
	/* IPv4 options: this many bytes (a multiple of 4) of NOPs ending in
	 * EOL after the 20-byte header, moving the transport header. */
	uint8_t ip_opts;
	/* TCP data offset in 32-bit words: 0 = 5; 6..15 add NOP options;
	 * below 5 is malformed (tcp_mt() hotdrops it). */
	uint8_t tcp_doff;
	/* A TCP MSS option (kind 2, length 4) in the last 4 bytes of the
	 * options, after NOPs (tcp_doff >= 6). */
	bool tcp_mss_on;
	uint16_t tcp_mss;
	/* The routing header's type, segments left and reserved word
	 * (IPv6 extension header 43; default type 0, 0, 0). */
	uint8_t rt_type, rt_segsleft;
	uint32_t rt_res;
	/* ICMP errors: the quoted datagram (IP header + 8 bytes), placed
	 * after the 8-byte ICMP header; the marker follows it. */
	uint8_t quote_len;
	uint8_t quote[48];
	/* ESP: the SPI (else 0x100 + the probe's id) */
	bool esp_spi_on;
	uint32_t esp_spi;
	/* The fragment header (-m frag): its identification (else
	 * 0xbf000000 | the probe's id), reserved byte and reserved bits
	 * (bits 1-2 of the offset field). */
	bool frag_id_on;
	uint32_t frag_id;
	uint8_t frag_resv, frag_rbits;
	/* AH (IPv6 extension header 51, or IPv4 protocol 51): the SPI
	 * (else 0x1234), the length field (0: 2, 16 bytes; IPv4: 1, 12
	 * bytes), the reserved field. */
	bool ah_spi_on;
	uint32_t ah_spi;
	uint8_t ah_hl;
	uint16_t ah_res;
	/* Hop-by-hop (0) and destination options (1) headers: when
	 * xopt_on[k], length field xopt_hl[k] (8 * (1 + hl) bytes, hl <= 2)
	 * and the option bytes after the 2-byte header, zero-padded (Pad1
	 * options) */
	bool xopt_on[2];
	uint8_t xopt_hl[2];
	uint8_t xopt[2][22];
	/* The mobility header (protocol 135): its type, and a payload
	 * proto other than NONE (mh_mt6() hotdrops it) */
	uint8_t mh_type;
	bool mh_bad_proto;
	/* Bytes payload matches asked for (BF_MATCH_PAYLOAD): the bits of
	 * mask in the len bytes (big-endian) at off from the network (base
	 * 0) or transport (base 1) header set to val's; transport pokes
	 * only within the header (before the marker), the checksums made
	 * over them unless a poke writes the checksum itself. */
	uint8_t n_pokes;
	struct dpkt_poke {
		uint8_t base, len;
		uint16_t off;
		uint32_t mask, val;
	} pokes[4];
};

/* A built probe: one or two datagrams (two for DFRAG_PAIR*). */
struct dpkt {
	uint8_t data[2][DPKT_MAX];
	uint16_t len[2];
	int n;
	/* Offset of the transport header and of the marker, in the packet
	 * as observed (the reassembled datagram for pairs). */
	uint16_t l4_off, marker_off;
	bool truncated; /* no marker: identified by IPv4 ID / flow label */
};

static __attribute__((unused)) uint16_t l4_hdrlen(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	case IPPROTO_ESP:
		return 8; /* SPI + sequence number */
	case IPPROTO_AH:
		return 12; /* struct ip_auth_hdr (IPv4 -p ah) */
	case IPPROTO_MH:
		return 8; /* struct ip6_mh, length field 0 */
	default:
		return 0;
	}
}

/* Bytes before the marker: the transport header, and for ICMP errors
 * the datagram they quote. */
static __attribute__((unused)) uint16_t
dpkt_l4_hdrlen(const struct dpkt_spec *s)
{
	uint16_t hl = l4_hdrlen(s->proto);

	if (s->proto == IPPROTO_TCP && s->tcp_doff > 5)
		hl = (uint16_t)(s->tcp_doff * 4);

	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6)
		hl = (uint16_t)(hl + s->quote_len);
	return hl;
}

static __attribute__((unused)) uint32_t csum_add(uint32_t sum, const void *data,
						 size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static __attribute__((unused)) uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static __attribute__((unused)) void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static __attribute__((unused)) void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static __attribute__((unused)) uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Apply the pokes of `base` to the header at h of hlen bytes. */
static __attribute__((unused)) void
dpkt_pokes(const struct dpkt_spec *s, uint8_t base, uint8_t *h, size_t hlen)
{
	for (int i = 0; i < s->n_pokes && i < 4; i++) {
		const struct dpkt_poke *k = &s->pokes[i];

		if (k->base != base || k->len < 1 || k->len > 4 ||
		    (size_t)k->off + k->len > hlen)
			continue;
		for (int b = 0; b < k->len; b++) {
			int sh = 8 * (k->len - 1 - b);
			uint8_t m = (uint8_t)(k->mask >> sh);

			h[k->off + b] = (uint8_t)((h[k->off + b] & ~m) |
						  ((k->val >> sh) & m));
		}
	}
}

/* Build the transport segment (header, marker, padding) into seg; returns
 * its length. The checksum covers the whole segment (pseudo header of the
 * family included). */
static __attribute__((unused)) size_t build_l4(const struct dpkt_spec *s,
					       uint32_t id, uint8_t *seg)
{
	uint16_t hl = dpkt_l4_hdrlen(s);
	size_t len = hl + 8 + DPKT_PAD, i;
	uint32_t sum = 0;
	uint8_t ph[40];
	int csum_off = -1;

	memset(seg, 0, len);
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(seg, s->sport);
		put16(seg + 2, s->dport);
		put32(seg + 4, s->seq);
		put32(seg + 8, s->ack);
		seg[12] = (uint8_t)((s->tcp_doff ? s->tcp_doff : 5) << 4);
		for (i = 20; i < hl; i++)
			seg[i] = 1; /* NOP */
		if (s->tcp_mss_on && hl >= 24) {
			seg[hl - 4] = 2;
			seg[hl - 3] = 4;
			put16(seg + hl - 2, s->tcp_mss);
		}
		seg[13] = s->tcpflags;
		put16(seg + 14, 65535);
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		put16(seg, s->sport);
		put16(seg + 2, s->dport);
		put16(seg + 4, (uint16_t)len);
		csum_off = 6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		seg[0] = s->icmp_type;
		seg[1] = s->icmp_code;
		put16(seg + 4, s->icmp_id);
		put16(seg + 6, (uint16_t)id);
		if (s->quote_len) {
			memset(seg + 4, 0, 4); /* unused field of errors */
			memcpy(seg + 8, s->quote, s->quote_len);
		}
		csum_off = 2;
		break;
	case IPPROTO_ESP:
		put32(seg, s->esp_spi_on ? s->esp_spi : 0x100 + id);
		put32(seg + 4, 1);
		break;
	case IPPROTO_AH:
		seg[0] = IPPROTO_NONE;
		seg[1] = s->ah_hl ? s->ah_hl : 1;
		put16(seg + 2, s->ah_res);
		put32(seg + 4, s->ah_spi_on ? s->ah_spi : 0x1234);
		put32(seg + 8, 1);
		break;
	case IPPROTO_MH:
		seg[0] = s->mh_bad_proto ? IPPROTO_UDP : IPPROTO_NONE;
		seg[2] = s->mh_type;
		break;
	default:
		break;
	}
	dpkt_pokes(s, 1, seg, hl);
	put32(seg + hl, DPKT_MAGIC);
	put32(seg + hl + 4, id);
	for (i = 0; i < DPKT_PAD; i++)
		seg[hl + 8 + i] = (uint8_t)(0xa0 + i);
	if (csum_off < 0)
		return len;
	/* Pseudo header (not for ICMPv4). */
	if (s->proto != IPPROTO_ICMP) {
		if (s->family == BF_FAMILY_INET4) {
			memcpy(ph, s->saddr, 4);
			memcpy(ph + 4, s->daddr, 4);
			ph[8] = 0;
			ph[9] = s->proto;
			put16(ph + 10, (uint16_t)len);
			sum = csum_add(0, ph, 12);
		} else {
			memcpy(ph, s->saddr, 16);
			memcpy(ph + 16, s->daddr, 16);
			put32(ph + 32, (uint32_t)len);
			memset(ph + 36, 0, 3);
			ph[39] = s->proto;
			sum = csum_add(0, ph, 40);
		}
	}
	sum = csum_add(sum, seg, len);
	put16(seg + csum_off, csum_fold(sum));
	if (s->proto == IPPROTO_UDP && seg[6] == 0 && seg[7] == 0)
		put16(seg + 6, 0xffff);
	dpkt_pokes(s, 1, seg, hl); /* (a poke of the checksum itself) */
	return len;
}

static __attribute__((unused)) void ip4_header(uint8_t *p,
					       const struct dpkt_spec *s,
					       uint32_t id, uint16_t total,
					       uint16_t frag_field)
{
	size_t ihl = 20 + s->ip_opts;

	p[0] = (uint8_t)(0x40 | ihl / 4);
	memset(p + 20, 1, s->ip_opts); /* NOPs */
	if (s->ip_opts)
		p[ihl - 1] = 0; /* EOL */
	p[1] = s->tos;
	put16(p + 2, total);
	put16(p + 4, (uint16_t)(id * 7 + 1));
	put16(p + 6, frag_field);
	p[8] = s->ttl ? s->ttl : 64;
	p[9] = s->proto;
	memcpy(p + 12, s->saddr, 4);
	memcpy(p + 16, s->daddr, 4);
	put16(p + 10, csum_fold(csum_add(0, p, ihl)));
}

/* The flow label carries the probe id (20 bits), for the probes whose
 * marker cannot follow the transport header (truncated headers). */
static __attribute__((unused)) void ip6_header(uint8_t *p,
					       const struct dpkt_spec *s,
					       uint16_t plen, uint8_t nexthdr,
					       uint32_t id)
{
	put32(p, 6u << 28 | (uint32_t)s->tos << 20 | (id & 0xfffff));
	put16(p + 4, plen);
	p[6] = nexthdr;
	p[7] = s->ttl ? s->ttl : 64;
	memcpy(p + 8, s->saddr, 16);
	memcpy(p + 24, s->daddr, 16);
}

/* Length of one IPv6 extension header as we build it. */
static __attribute__((unused)) size_t ext_len(const struct dpkt_spec *s,
					      uint8_t type)
{
	int k = type == IPPROTO_DSTOPTS;

	if (type == IPPROTO_AH)
		return ((size_t)(s->ah_hl ? s->ah_hl : 2) + 2) * 4;
	if ((type == IPPROTO_HOPOPTS || type == IPPROTO_DSTOPTS) &&
	    s->xopt_on[k])
		return 8 *
		       ((size_t)(s->xopt_hl[k] > 2 ? 2 : s->xopt_hl[k]) + 1);
	return 8;
}

/* Write one extension header; nh = the following header. */
static __attribute__((unused)) void
ext_write(const struct dpkt_spec *s, uint8_t *p, uint8_t type, uint8_t nh)
{
	size_t len = ext_len(s, type);
	int k = type == IPPROTO_DSTOPTS;

	memset(p, 0, len);
	p[0] = nh;
	switch (type) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_DSTOPTS:
		if (s->xopt_on[k]) {
			p[1] = (uint8_t)(len / 8 - 1);
			memcpy(p + 2, s->xopt[k], len - 2);
			break;
		}
		p[2] = 1; /* PadN, 4 bytes of padding */
		p[3] = 4;
		break;
	case IPPROTO_ROUTING:
		p[2] = 0; /* type 0, segments left 0: skipped when received */
		break;
	case IPPROTO_AH:
		p[1] = (uint8_t)(len / 4 - 2); /* (hl + 2) * 4 bytes */
		put16(p + 2, s->ah_res);
		put32(p + 4, s->ah_spi_on ? s->ah_spi : 0x1234);
		put32(p + 8, 1);
		break;
	default:
		break;
	}
}

/* The fragment header's identification and reserved fields */
static __attribute__((unused)) void frag_fields(const struct dpkt_spec *s,
						uint8_t *q, uint32_t id)
{
	q[1] = s->frag_resv;
	q[3] = (uint8_t)(q[3] | (s->frag_rbits & 6));
	put32(q + 4, s->frag_id_on ? s->frag_id : 0xbf000000u | id);
}

static int dpkt_build_raw(const struct dpkt_spec *s, uint32_t id,
			  struct dpkt *out);

/* dpkt_build_raw() and the network header pokes of each datagram (IPv4:
 * the header checksum made over them, unless a poke writes it). */
static __attribute__((unused)) int dpkt_build(const struct dpkt_spec *s,
					      uint32_t id, struct dpkt *out)
{
	int r = dpkt_build_raw(s, id, out);

	for (int k = 0; !r && s->n_pokes && k < out->n; k++) {
		uint8_t *p = out->data[k];
		size_t ihl = s->family == BF_FAMILY_INET4 ?
				     (size_t)(p[0] & 0xf) * 4 :
				     40;

		dpkt_pokes(s, 0, p, out->len[k]);
		if (s->family == BF_FAMILY_INET4 && ihl >= 20 &&
		    ihl <= out->len[k]) {
			put16(p + 10, 0);
			put16(p + 10, csum_fold(csum_add(0, p, ihl)));
			dpkt_pokes(s, 0, p, out->len[k]);
		}
	}
	return r;
}

/*
 * Build the probe with marker id. IPv4 fragments: the L4 segment is cut at
 * a multiple of 8 bytes; a non-first fragment carries the marker at the
 * start of its data. Returns 0, or -1 if the spec does not fit.
 */
static int dpkt_build_raw(const struct dpkt_spec *s, uint32_t id,
			  struct dpkt *out)
{
	uint8_t seg[96];
	size_t seglen = build_l4(s, id, seg);
	uint16_t hl = dpkt_l4_hdrlen(s);
	uint8_t tail[8 + DPKT_PAD];
	bool v4 = s->family == BF_FAMILY_INET4;
	size_t iphl = v4 ? 20u + s->ip_opts : 40;
	size_t ext = 0, i, cut;
	uint8_t *p;

	memset(out, 0, sizeof(*out));
	out->n = 1;
	out->truncated = false;
	put32(tail, DPKT_MAGIC);
	put32(tail + 4, id);
	for (i = 0; i < DPKT_PAD; i++)
		tail[8 + i] = (uint8_t)(0xa0 + i);

	if (s->short_l4 && s->short_l4 < hl && s->frag == DFRAG_NONE) {
		/* Truncated transport header, nothing after it: the probe
		 * is recognised by its IPv4 ID / IPv6 flow label instead of
		 * a marker (dpkt_short_id()). */
		seglen = s->short_l4;
		hl = s->short_l4;
		out->truncated = true;
	}

	if (!v4) {
		uint8_t types[DPKT_MAX_EXT + 1];
		int n = 0;
		bool has_frag = s->frag != DFRAG_NONE;
		uint8_t *first;

		for (i = 0; i < (size_t)s->n_ext; i++)
			types[n++] = s->ext[i];
		if (has_frag && s->frag != DFRAG_PAIR &&
		    s->frag != DFRAG_PAIR_SPLIT8)
			types[n++] = IPPROTO_FRAGMENT;
		for (i = 0; i < (size_t)n; i++)
			ext += ext_len(s, types[i]);

		if (s->frag == DFRAG_PAIR || s->frag == DFRAG_PAIR_SPLIT8) {
			/* Two datagrams: unfragmentable part = the ext
			 * headers, then a fragment header each. */
			size_t fl = iphl + ext + 8;
			size_t part1 = s->frag == DFRAG_PAIR_SPLIT8 ?
					       8 :
					       ((hl + 8 + 7) / 8) * 8;
			int k;

			if (part1 > seglen)
				return -1;
			for (k = 0; k < 2; k++) {
				size_t off = k ? part1 : 0;
				size_t dl = k ? seglen - part1 : part1;
				uint8_t *q;

				p = out->data[k];
				if (fl + dl > DPKT_MAX)
					return -1;
				ip6_header(p, s, (uint16_t)(ext + 8 + dl),
					   n ? types[0] : IPPROTO_FRAGMENT, id);
				q = p + iphl;
				for (i = 0; i < (size_t)n; i++) {
					ext_write(s, q, types[i],
						  i + 1 < (size_t)n ?
							  types[i + 1] :
							  IPPROTO_FRAGMENT);
					q += ext_len(s, types[i]);
				}
				memset(q, 0, 8);
				q[0] = s->proto;
				put16(q + 2, (uint16_t)(off | (k ? 0 : 1)));
				frag_fields(s, q, id);
				memcpy(q + 8, seg + off, dl);
				out->len[k] = (uint16_t)(fl + dl);
			}
			out->n = 2;
			out->l4_off = (uint16_t)(iphl + ext);
			out->marker_off = (uint16_t)(out->l4_off + hl);
			return 0;
		}

		if (iphl + ext + seglen > DPKT_MAX)
			return -1;
		p = out->data[0];
		first = p + iphl;
		for (i = 0; i < (size_t)n; i++) {
			ext_write(s, first, types[i],
				  i + 1 < (size_t)n ? types[i + 1] : s->proto);
			if (types[i] == IPPROTO_ROUTING) {
				first[2] = s->rt_type;
				first[3] = s->rt_segsleft;
				put32(first + 4, s->rt_res);
			}
			if (types[i] == IPPROTO_FRAGMENT) {
				uint16_t fo = 0;

				if (s->frag == DFRAG_FIRST)
					fo = 1; /* M */
				else if (s->frag == DFRAG_LATER)
					fo = 8 * 8;
				else if (s->frag == DFRAG_OFF1)
					fo = 8;
				put16(first + 2, fo);
				frag_fields(s, first, id);
			}
			/* a length running past the end of the packet:
			 * ipv6_find_hdr() fails on it */
			if (s->bad_ext && i + 1 == (size_t)n &&
			    types[i] != IPPROTO_FRAGMENT &&
			    types[i] != IPPROTO_AH)
				first[1] = 0xff;
			first += ext_len(s, types[i]);
		}
		out->l4_off = (uint16_t)(iphl + ext);
		if (s->frag == DFRAG_LATER || s->frag == DFRAG_OFF1) {
			memcpy(first, tail, sizeof(tail));
			seglen = sizeof(tail);
			out->marker_off = out->l4_off;
		} else {
			memcpy(first, seg, seglen);
			out->marker_off = (uint16_t)(out->l4_off + hl);
		}
		ip6_header(p, s, (uint16_t)(ext + seglen),
			   n ? types[0] : s->proto, id);
		out->len[0] = (uint16_t)(iphl + ext + seglen);
		return 0;
	}

	/* IPv4 */
	switch (s->frag) {
	case DFRAG_NONE:
	case DFRAG_ATOMIC:
		p = out->data[0];
		memcpy(p + iphl, seg, seglen);
		ip4_header(p, s, id, (uint16_t)(iphl + seglen), 0);
		out->len[0] = (uint16_t)(iphl + seglen);
		out->l4_off = (uint16_t)iphl;
		out->marker_off = (uint16_t)(iphl + hl);
		return 0;
	case DFRAG_FIRST:
		cut = ((hl + 8 + 7) / 8) * 8;
		if (cut > seglen)
			cut = seglen & ~(size_t)7;
		p = out->data[0];
		memcpy(p + iphl, seg, cut);
		ip4_header(p, s, id, (uint16_t)(iphl + cut), 0x2000);
		out->len[0] = (uint16_t)(iphl + cut);
		out->l4_off = (uint16_t)iphl;
		out->marker_off = (uint16_t)(iphl + hl);
		return 0;
	case DFRAG_LATER:
	case DFRAG_OFF1:
		p = out->data[0];
		memcpy(p + iphl, tail, sizeof(tail));
		ip4_header(p, s, id, (uint16_t)(iphl + sizeof(tail)),
			   s->frag == DFRAG_OFF1 ? 1 : 8);
		out->len[0] = (uint16_t)(iphl + sizeof(tail));
		out->l4_off = (uint16_t)iphl;
		out->marker_off = (uint16_t)iphl;
		return 0;
	case DFRAG_PAIR:
	case DFRAG_PAIR_SPLIT8:
		cut = s->frag == DFRAG_PAIR_SPLIT8 ? 8 : ((hl + 8 + 7) / 8) * 8;
		if (cut >= seglen)
			return -1;
		p = out->data[0];
		memcpy(p + iphl, seg, cut);
		ip4_header(p, s, id, (uint16_t)(iphl + cut), 0x2000);
		out->len[0] = (uint16_t)(iphl + cut);
		p = out->data[1];
		memcpy(p + iphl, seg + cut, seglen - cut);
		ip4_header(p, s, id, (uint16_t)(iphl + seglen - cut),
			   (uint16_t)(cut / 8));
		out->len[1] = (uint16_t)(iphl + seglen - cut);
		out->n = 2;
		out->l4_off = (uint16_t)iphl;
		out->marker_off = (uint16_t)(iphl + hl);
		return 0;
	}
	return -1;
}

static __attribute__((unused)) const char *proto_name(uint8_t p)
{
	static char buf[8];

	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_GRE:
		return "gre";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		snprintf(buf, sizeof(buf), "%u", p);
		return buf;
	}
}

static __attribute__((unused)) const char *ext_name(uint8_t t)
{
	switch (t) {
	case IPPROTO_HOPOPTS:
		return "hbh";
	case IPPROTO_DSTOPTS:
		return "dst";
	case IPPROTO_ROUTING:
		return "rt0";
	case IPPROTO_FRAGMENT:
		return "frag";
	case IPPROTO_AH:
		return "ah";
	default:
		return "?";
	}
}

static const char *const frag_names[] = {
	[DFRAG_NONE] = "",
	[DFRAG_FIRST] = " frag=first",
	[DFRAG_LATER] = " frag=later",
	[DFRAG_OFF1] = " frag=offset1",
	[DFRAG_ATOMIC] = " frag=atomic",
	[DFRAG_PAIR] = " frag=pair",
	[DFRAG_PAIR_SPLIT8] = " frag=pair(2nd@offset1)",
};

/* The packet in words: "tcp 198.51.100.1:1024 -> 203.0.113.1:80 [S]". */
static __attribute__((unused)) void dpkt_describe(const struct dpkt_spec *s,
						  char *buf, size_t size)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], l4[64] = "",
							 ex[64] = "";
	int af = s->family == BF_FAMILY_INET4 ? AF_INET : AF_INET6;
	size_t i, o = 0;

	inet_ntop(af, s->saddr, sa, sizeof(sa));
	inet_ntop(af, s->daddr, da, sizeof(da));
	if (s->proto == IPPROTO_TCP) {
		static const char fl[] = "FSRPAUEC";
		char f[9];
		int n = 0;

		for (i = 0; i < 8; i++)
			if (s->tcpflags & (1u << i))
				f[n++] = fl[i];
		f[n] = '\0';
		snprintf(l4, sizeof(l4), " sport %u dport %u flags [%s]",
			 s->sport, s->dport, f);
	} else if (s->proto == IPPROTO_UDP) {
		snprintf(l4, sizeof(l4), " sport %u dport %u", s->sport,
			 s->dport);
	} else if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		snprintf(l4, sizeof(l4), " type %u code %u", s->icmp_type,
			 s->icmp_code);
	}
	if (s->n_ext > 4)
		snprintf(ex, sizeof(ex), " ext=%s+%d*%s", ext_name(s->ext[0]),
			 s->n_ext - 1, ext_name(s->ext[1]));
	for (i = 0; s->n_ext <= 4 && i < (size_t)s->n_ext && o + 8 < sizeof(ex);
	     i++)
		o += (size_t)snprintf(ex + o, sizeof(ex) - o, "%s%s",
				      i ? "," : " ext=", ext_name(s->ext[i]));
	/* (the result is checked only to tell the compiler that a cut
	 * description is acceptable) */
	if (snprintf(buf, size, "%s %s %s -> %s%s%s%s%s%s%s",
		     s->family == BF_FAMILY_INET4 ? "ipv4" : "ipv6",
		     proto_name(s->proto), sa, da, l4, frag_names[s->frag], ex,
		     s->short_l4 ? " (truncated L4 header)" :
		     s->bad_ext	 ? " (extension header overruns the packet)" :
				   "",
		     s->ip_opts ? " (IP options)" : "",
		     s->proto == IPPROTO_TCP && s->tcp_doff ?
			     (s->tcp_doff < 5 ? " (TCP data offset < 5)" :
						" (TCP options)") :
			     "") >= (int)size &&
	    size > 4)
		memcpy(buf + size - 4, "...", 4);
}

/* The probe id an IPv4 ID field stands for (ip4_header() writes
 * id * 7 + 1; 28087 is the inverse of 7 modulo 2^16). */
static __attribute__((unused)) uint32_t dpkt_ip4_id(const uint8_t *ip)
{
	uint32_t v = (uint32_t)(ip[4] << 8 | ip[5]);

	return ((v - 1) * 28087u) & 0xffff;
}

/*
 * Find the probe id of an observed datagram (starting at its IP header, or
 * at its transport header when `l4_base` is set, as IPv6 raw sockets
 * deliver it). `expect_off` gives, for an id, the marker offset the probe
 * must have (relative to the same base); returns the id or -1.
 */
static __attribute__((unused)) long
dpkt_find_marker(const uint8_t *p, size_t len,
		 long (*check)(uint32_t id, size_t off, void *data), void *data)
{
	size_t off;

	/* check() accepts only the offset the probe was built with. */
	for (off = 0; off + 8 <= len && off < DPKT_MAX; off++) {
		if (get32(p + off) != DPKT_MAGIC)
			continue;
		long r = check(get32(p + off + 4), off, data);

		if (r >= 0)
			return r;
	}
	return -1;
}

#endif /* BF_VERIFY_PKT_H */
