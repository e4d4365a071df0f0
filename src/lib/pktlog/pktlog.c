// SPDX-License-Identifier: GPL-2.0-only
/*
 * The LOG target's records: finding a program's ring buffer.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/ir.h"
#include "bpfilter/pktlog.h"
#include "load/pin.h"

int bf_pktlog_ring_fd(int prog_fd)
{
	return bf_prog_find_map(prog_fd, BPF_MAP_TYPE_RINGBUF, "bf_log", 0, 0);
}

/* ---- formatting (net/netfilter/nf_log_syslog.c) ---- */

struct out {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void add(struct out *o,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* The packet as the formatter sees it: len bytes long, cap of them
 * captured. */
struct pkt {
	const uint8_t *d;
	uint32_t len, cap;
};

/* Can n bytes at off be read? If the packet is long enough but they were
 * not captured, say so. Returns 1 if readable, 0 if the packet is
 * shorter (the kernel's skb_header_pointer() failing), -1 if not
 * captured. */
static int avail(struct out *o, const struct pkt *p, uint32_t off, uint32_t n)
{
	if ((uint64_t)off + n <= p->cap)
		return 1;
	if ((uint64_t)off + n <= p->len) {
		add(o, "[not captured] ");
		return -1;
	}
	return 0;
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

static void hexbytes(struct out *o, const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		add(o, "%02X", b[i]);
}

/* nf_log_dump_tcp_header(): returns nonzero when the line ends. */
static int fmt_tcp(struct out *o, const struct pkt *p, int fragment,
		   uint32_t off, uint8_t flags)
{
	const uint8_t *th;
	uint32_t doff;
	int a;

	add(o, "PROTO=TCP ");
	if (fragment)
		return 0;
	a = avail(o, p, off, 20);
	if (a < 0)
		return 1;
	if (!a) {
		add(o, "INCOMPLETE [%u bytes] ", p->len - off);
		return 1;
	}
	th = p->d + off;
	add(o, "SPT=%u DPT=%u ", be16(th), be16(th + 2));
	if (flags & BF_LOGF_TCPSEQ)
		add(o, "SEQ=%u ACK=%u ", be32(th + 4), be32(th + 8));
	add(o, "WINDOW=%u ", be16(th + 14));
	/* TCP_RESERVED_BITS of the flag word, shifted by 22 */
	add(o, "RES=0x%02x ", (unsigned)((be32(th + 12) & 0x0E000000u) >> 22));
	if (th[12] & 0x01)
		add(o, "AE ");
	{
		static const char *const names[8] = { "CWR", "ECE", "URG",
						      "ACK", "PSH", "RST",
						      "SYN", "FIN" };

		for (int i = 0; i < 8; i++)
			if (th[13] & (0x80 >> i))
				add(o, "%s ", names[i]);
	}
	add(o, "URGP=%u ", be16(th + 18));
	doff = (uint32_t)(th[12] >> 4) * 4;
	if ((flags & BF_LOGF_TCPOPT) && doff > 20) {
		a = avail(o, p, off + 20, doff - 20);
		if (a <= 0) {
			if (!a)
				add(o, "OPT (TRUNCATED)");
			return 1;
		}
		add(o, "OPT (");
		hexbytes(o, p->d + off + 20, doff - 20);
		add(o, ") ");
	}
	return 0;
}

/* nf_log_dump_udp_header() */
static int fmt_udp(struct out *o, const struct pkt *p, uint8_t proto,
		   int fragment, uint32_t off)
{
	int a;

	add(o, proto == 17 ? "PROTO=UDP " : "PROTO=UDPLITE ");
	if (fragment)
		return 0;
	a = avail(o, p, off, 8);
	if (a < 0)
		return 1;
	if (!a) {
		add(o, "INCOMPLETE [%u bytes] ", p->len - off);
		return 1;
	}
	add(o, "SPT=%u DPT=%u LEN=%u ", be16(p->d + off), be16(p->d + off + 2),
	    be16(p->d + off + 4));
	return 0;
}

static void addr4(struct out *o, const char *name, const uint8_t *a)
{
	add(o, "%s=%u.%u.%u.%u ", name, a[0], a[1], a[2], a[3]);
}

/* dump_ipv4_packet(): iphoff 0 is the packet, else the packet quoted by
 * an ICMP error (one level). */
static void fmt_v4(struct out *o, const struct pkt *p, uint32_t iphoff,
		   uint8_t flags, uint32_t mark)
{
	const uint8_t *ih;
	uint32_t ihl, l4;
	uint16_t frag;
	int a = avail(o, p, iphoff, 20);

	if (a <= 0) {
		if (!a)
			add(o, "TRUNCATED");
		return;
	}
	ih = p->d + iphoff;
	addr4(o, "SRC", ih + 12);
	addr4(o, "DST", ih + 16);
	/* iph_totlen(): tot_len (0 only for BIG TCP GSO packets) */
	add(o, "LEN=%u TOS=0x%02X PREC=0x%02X TTL=%u ID=%u ",
	    be16(ih + 2) ? be16(ih + 2) : p->len - iphoff,
	    ih[1] & 0x1e /* IPTOS_TOS_MASK */, ih[1] & 0xe0 /* PREC */, ih[8],
	    be16(ih + 4));
	frag = be16(ih + 6);
	if (frag & 0x8000)
		add(o, "CE ");
	if (frag & 0x4000)
		add(o, "DF ");
	if (frag & 0x2000)
		add(o, "MF ");
	if (frag & 0x1fff)
		add(o, "FRAG:%u ", frag & 0x1fff);
	ihl = (uint32_t)(ih[0] & 0xf) * 4;
	if ((flags & BF_LOGF_IPOPT) && ihl > 20) {
		a = avail(o, p, iphoff + 20, ihl - 20);
		if (a <= 0) {
			if (!a)
				add(o, "TRUNCATED");
			return;
		}
		add(o, "OPT (");
		hexbytes(o, ih + 20, ihl - 20);
		add(o, ") ");
	}
	l4 = iphoff + ihl;
	switch (ih[9]) {
	case 6:
		if (fmt_tcp(o, p, frag & 0x1fff, l4, flags))
			return;
		break;
	case 17:
	case 136:
		if (fmt_udp(o, p, ih[9], frag & 0x1fff, l4))
			return;
		break;
	case 1: {
		/* bytes each ICMP type needs (required_len[]) */
		static const uint8_t need[19] = {
			[0] = 4,   [3] = 28,  [4] = 28,	 [5] = 28,
			[8] = 4,   [11] = 28, [12] = 28, [13] = 20,
			[14] = 20, [17] = 12, [18] = 12,
		};
		const uint8_t *ic;
		uint32_t rest = p->len > l4 ? p->len - l4 : 0;

		add(o, "PROTO=ICMP ");
		if (frag & 0x1fff)
			break;
		a = avail(o, p, l4, 8);
		if (a < 0)
			return;
		if (!a) {
			add(o, "INCOMPLETE [%u bytes] ", rest);
			break;
		}
		ic = p->d + l4;
		add(o, "TYPE=%u CODE=%u ", ic[0], ic[1]);
		if (ic[0] <= 18 && need[ic[0]] && rest < need[ic[0]]) {
			add(o, "INCOMPLETE [%u bytes] ", rest);
			break;
		}
		switch (ic[0]) {
		case 0:
		case 8:
			add(o, "ID=%u SEQ=%u ", be16(ic + 4), be16(ic + 6));
			break;
		case 12:
			add(o, "PARAMETER=%u ", ic[4]);
			break;
		case 5:
			addr4(o, "GATEWAY", ic + 4);
			/* fall through */
		case 3:
		case 4:
		case 11:
			if (!iphoff) {
				add(o, "[");
				fmt_v4(o, p, l4 + 8, flags, 0);
				add(o, "] ");
			}
			if (ic[0] == 3 && ic[1] == 4)
				add(o, "MTU=%u ", be16(ic + 6));
			break;
		default:
			break;
		}
		break;
	}
	case 51: /* AH */
		if (frag & 0x1fff)
			break;
		add(o, "PROTO=AH ");
		a = avail(o, p, l4, 12);
		if (a < 0)
			return;
		if (!a) {
			add(o, "INCOMPLETE [%u bytes] ",
			    p->len > l4 ? p->len - l4 : 0);
			break;
		}
		add(o, "SPI=0x%x ", be32(p->d + l4 + 4));
		break;
	case 50: /* ESP */
		add(o, "PROTO=ESP ");
		if (frag & 0x1fff)
			break;
		a = avail(o, p, l4, 8);
		if (a < 0)
			return;
		if (!a) {
			add(o, "INCOMPLETE [%u bytes] ",
			    p->len > l4 ? p->len - l4 : 0);
			break;
		}
		add(o, "SPI=0x%x ", be32(p->d + l4));
		break;
	default:
		add(o, "PROTO=%u ", ih[9]);
		break;
	}
	/* UID=/GID=: not available (see pktlog.h) */
	if (!iphoff && mark)
		add(o, "MARK=0x%x ", mark);
}

/* %pI6: eight groups of 4 hex digits, colon-separated */
static void addr6(struct out *o, const char *name, const uint8_t *a)
{
	add(o, "%s=", name);
	for (int i = 0; i < 16; i += 2)
		add(o, "%s%02x%02x", i ? ":" : "", a[i], a[i + 1]);
	add(o, " ");
}

/* nf_ip6_ext_hdr() */
static bool ext_hdr(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 50 || nh == 51 ||
	       nh == 59 || nh == 60;
}

/* dump_ipv6_packet() */
static void fmt_v6(struct out *o, const struct pkt *p, uint32_t off,
		   uint8_t flags, uint32_t mark, int recurse)
{
	const uint8_t *ih;
	uint32_t w, ptr, hdrlen = 0;
	uint8_t cur;
	int fragment = 0, a = avail(o, p, off, 40);

	if (a <= 0) {
		if (!a)
			add(o, "TRUNCATED");
		return;
	}
	ih = p->d + off;
	addr6(o, "SRC", ih + 8);
	addr6(o, "DST", ih + 24);
	w = be32(ih);
	add(o, "LEN=%u TC=%u HOPLIMIT=%u FLOWLBL=%u ", be16(ih + 4) + 40u,
	    (w & 0x0ff00000u) >> 20, ih[7], w & 0x000fffffu);
	ptr = off + 40;
	cur = ih[6];
	while (cur != 59 && ext_hdr(cur)) {
		const uint8_t *hp;

		a = avail(o, p, ptr, 2);
		if (a <= 0) {
			if (!a)
				add(o, "TRUNCATED");
			return;
		}
		hp = p->d + ptr;
		if (flags & BF_LOGF_IPOPT)
			add(o, "OPT ( ");
		switch (cur) {
		case 44:
			add(o, "FRAG:");
			a = avail(o, p, ptr, 8);
			if (a <= 0) {
				if (!a)
					add(o, "TRUNCATED ");
				return;
			}
			add(o, "%u ", be16(hp + 2) & 0xfff8);
			if (hp[3] & 1)
				add(o, "INCOMPLETE ");
			add(o, "ID:%08x ", be32(hp + 4));
			if (be16(hp + 2) & 0xfff8)
				fragment = 1;
			hdrlen = 8;
			break;
		case 60:
		case 43:
		case 0:
			if (fragment) {
				if (flags & BF_LOGF_IPOPT)
					add(o, ")");
				return;
			}
			hdrlen = ((uint32_t)hp[1] + 1) * 8; /* ipv6_optlen() */
			break;
		case 51:
			if (flags & BF_LOGF_IPOPT) {
				add(o, "AH ");
				if (fragment) {
					add(o, ")");
					return;
				}
				a = avail(o, p, ptr, 12);
				if (a <= 0) {
					if (!a)
						add(o,
						    "INCOMPLETE [%u bytes] )",
						    p->len - ptr);
					return;
				}
				add(o, "SPI=0x%x ", be32(hp + 4));
			}
			hdrlen = ((uint32_t)hp[1] + 2) * 4; /* ipv6_authlen() */
			break;
		case 50:
			if (flags & BF_LOGF_IPOPT) {
				add(o, "ESP ");
				if (fragment) {
					add(o, ")");
					return;
				}
				a = avail(o, p, ptr, 8);
				if (a <= 0) {
					if (!a)
						add(o,
						    "INCOMPLETE [%u bytes] )",
						    p->len - ptr);
					return;
				}
				add(o, "SPI=0x%x )", be32(hp));
			}
			return;
		default:
			add(o, "Unknown Ext Hdr %u", cur);
			return;
		}
		if (flags & BF_LOGF_IPOPT)
			add(o, ") ");
		cur = hp[0];
		ptr += hdrlen;
	}
	switch (cur) {
	case 6:
		if (fmt_tcp(o, p, fragment, ptr, flags))
			return;
		break;
	case 17:
	case 136:
		if (fmt_udp(o, p, cur, fragment, ptr))
			return;
		break;
	case 58: {
		const uint8_t *ic;

		add(o, "PROTO=ICMPv6 ");
		if (fragment)
			break;
		a = avail(o, p, ptr, 8);
		if (a <= 0) {
			if (!a)
				add(o, "INCOMPLETE [%u bytes] ",
				    p->len > ptr ? p->len - ptr : 0);
			return;
		}
		ic = p->d + ptr;
		add(o, "TYPE=%u CODE=%u ", ic[0], ic[1]);
		switch (ic[0]) {
		case 128:
		case 129:
			add(o, "ID=%u SEQ=%u ", be16(ic + 4), be16(ic + 6));
			break;
		case 4:
			add(o, "POINTER=%08x ", be32(ic + 4));
			/* fall through */
		case 1:
		case 2:
		case 3:
			if (recurse) {
				add(o, "[");
				fmt_v6(o, p, ptr + 8, flags, 0, 0);
				add(o, "] ");
			}
			if (ic[0] == 2)
				add(o, "MTU=%u ", be32(ic + 4));
			break;
		default:
			break;
		}
		break;
	}
	default:
		add(o, "PROTO=%u ", cur);
		break;
	}
	if (recurse && mark)
		add(o, "MARK=0x%x ", mark);
}

int bf_pktlog_format(const struct bf_pktlog_rec *r, const char *prefix,
		     uint8_t flags, char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	struct pkt p = {
		.d = r->data,
		.len = r->len,
		.cap = r->caplen < BF_PKTLOG_CAP ? r->caplen : BF_PKTLOG_CAP,
	};

	if (size)
		buf[0] = '\0';
	/* nf_log_dump_packet_common() (the level goes to syslog) */
	add(&o, "%sIN=%.16s OUT=%.16s ", prefix ? prefix : "", r->iif, r->oif);
	/* dump_mac_header(), fallback (no --log-macdecode): the 14 bytes
	 * of an Ethernet-sized link-layer header */
	if (r->iif[0]) {
		add(&o, "MAC=");
		for (int i = 0; r->maclen == sizeof(r->mac) && i < 14; i++)
			add(&o, "%s%02x", i ? ":" : "", r->mac[i]);
		add(&o, " ");
	}
	if (r->family == BF_FAMILY_INET6)
		fmt_v6(&o, &p, 0, flags, r->mark, 1);
	else
		fmt_v4(&o, &p, 0, flags, r->mark);
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
