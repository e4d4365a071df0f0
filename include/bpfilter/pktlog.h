/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The LOG target: the record a program writes into its ring buffer when
 * a LOG rule matches (src/lib/cgen/cgen.c, emit_log()), and its reader.
 *
 * Each program that contains a LOG rule owns one BPF_MAP_TYPE_RINGBUF map
 * named "bf_log" (created by bf_program_load(), held only by the
 * program): a reader finds it through the program's map ids.
 */
#ifndef BPFILTER_PKTLOG_H
#define BPFILTER_PKTLOG_H

#include <stdint.h>

/* Bytes of the packet copied from its L3 header: IPv4/IPv6 header with
 * options and a TCP header with options fit. */
#define BF_PKTLOG_CAP 128
#define BF_PKTLOG_RINGBUF_SIZE (256u * 1024)

enum bf_pktlog_target {
	BF_PKTLOG_LOG = 0,
	BF_PKTLOG_NFLOG = 1,
};

struct bf_pktlog_rec {
	uint32_t counter_idx; /* bf_rule.counter_idx of the LOG rule */
	uint8_t hook; /* enum bf_hook */
	uint8_t family; /* enum bf_family */
	uint8_t attach; /* enum bf_attach_kind */
	uint8_t pad0;
	uint32_t mark; /* skb mark (0 at XDP) */
	uint32_t len; /* L3 length */
	uint32_t caplen; /* bytes of data[] that are valid */
	/* NFLOG records (the NFLOG target goes through the same ring:
	 * BPF cannot reach nfnetlink_log): target BF_PKTLOG_NFLOG and the
	 * rule's --nflog-group; LOG records: both 0. */
	uint16_t nflog_group;
	uint8_t target; /* enum bf_pktlog_target */
	uint8_t pad1;
	char iif[16]; /* input interface name (netfilter), zeros if none */
	char oif[16];
	/* The link-layer header of a received packet (netfilter with a
	 * MAC header of at least 14 bytes before the IP header, tc/XDP
	 * ingress): maclen 14, else 0. */
	uint8_t mac[14];
	uint8_t maclen;
	uint8_t pad2;
	uint8_t data[BF_PKTLOG_CAP]; /* from the L3 header */
};

_Static_assert(sizeof(struct bf_pktlog_rec) == 200, "pktlog record");

/* The LOG ring buffer of the loaded program prog_fd: a new fd, or -ENOENT
 * if the program has none (no LOG rule), or -errno. */
int bf_pktlog_ring_fd(int prog_fd);

/* Format record r as the kernel's LOG target does (nf_log_ip_packet() /
 * nf_log_ip6_packet() in net/netfilter/nf_log_syslog.c): "PREFIX IN=...
 * OUT=... MAC=... SRC=... DST=... LEN=... ..." with the kernel's trailing
 * space, no newline. flags are the rule's enum bf_log_flags. What the
 * record cannot provide: the MAC header of non-Ethernet-sized link
 * layers (printed as an empty "MAC="), UID/GID (--log-uid prints nothing: the
 * program does not read the socket), and header bytes beyond the
 * BF_PKTLOG_CAP captured ones (printed as "[not captured] "). Writes at
 * most size bytes (NUL included); returns the length of the full line
 * (as snprintf()). */
int bf_pktlog_format(const struct bf_pktlog_rec *r, const char *prefix,
		     uint8_t flags, char *buf, size_t size);

/* Reading the LOG records of the programs in force in this network
 * namespace (every slot). For each record, cb gets the slot name ("nf",
 * "tc-IF", "xdp-IF") and the LOG rule's prefix, level and flags from the
 * slot's ruleset in force (prefix NULL if the counter index is no LOG
 * rule of it: the ruleset changed since). The ring buffers are those of
 * the programs in force when the reader was opened. */
struct bf_pktlog_reader;
typedef void (*bf_pktlog_cb)(const struct bf_pktlog_rec *r, const char *slot,
			     const char *prefix, int level, uint8_t flags,
			     void *data);

/* -ENOENT: no program with a LOG rule in force. */
int bf_pktlog_reader_open(bf_pktlog_cb cb, void *data,
			  struct bf_pktlog_reader **out);
/* Hand every waiting record to cb; with timeout_ms > 0 (or -1: forever),
 * first wait for one. Returns the count handled or -errno. */
int bf_pktlog_reader_poll(struct bf_pktlog_reader *rd, int timeout_ms);
void bf_pktlog_reader_free(struct bf_pktlog_reader **rd);

#endif /* BPFILTER_PKTLOG_H */
