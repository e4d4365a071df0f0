/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * End-to-end comparison against the kernel's nftables, for the nft set
 * tests: the same nft ruleset is loaded with `nft -f` in one pair of
 * namespaces and with `bpfilter apply --format nft` in another (the verify
 * engine's topology, src/lib/verify/net.h); the same IPv4/UDP probes (every
 * source x destination x destination port, source port 40000) are sent
 * into both and the INPUT verdicts (delivery seen by raw sockets in R)
 * compared. nftcmp_both() changes elements on both sides and
 * nftcmp_in_force() reads the bpfilter program and generation in force.
 *
 * Every helper here is static: each test file is its own binary.
 */
#ifndef BPFILTER_E2E_NFTCMP_H
#define BPFILTER_E2E_NFTCMP_H

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <limits.h>

#include "bftest.h"
#include "bpfilter/helper.h"
#include "load/pin.h"
#include "verify/net.h"

#define NFTCMP_MAX_PROBES 256

struct nftcmp {
	/* the probes: index i is (source, destination, port) in that order
	 * of significance */
	const char *const *srcs;
	size_t n_srcs;
	const char *const *dsts;
	size_t n_dsts;
	const uint16_t *ports;
	size_t n_ports;
	const char *marker; /* 3 bytes after the UDP header, then the id */
	const char *name; /* in the temporary ruleset's file name */
	struct dtopo topo;
	struct dside kside, bside;
	char path[96];
};

/* Initialiser of a struct nftcmp from three arrays. */
#define NFTCMP_INIT(s, d, p, mark, nm)                                         \
	{                                                                      \
		.srcs = (s), .n_srcs = ARRAY_SIZE(s), .dsts = (d),             \
		.n_dsts = ARRAY_SIZE(d), .ports = (p),                         \
		.n_ports = ARRAY_SIZE(p), .marker = (mark), .name = (nm),      \
		.topo = { .n_if = 1, .name = { "eth0" } },                     \
	}

static __attribute__((unused)) int nftcmp_n(const struct nftcmp *c)
{
	return (int)(c->n_srcs * c->n_dsts * c->n_ports);
}

/* IPv4 header without options at b for a packet of len bytes: id,
 * TTL 64, proto, addresses, header checksum. */
static __attribute__((unused)) void nftcmp_ip4(uint8_t *b, size_t len,
					       uint16_t id, uint8_t proto,
					       const char *src, const char *dst)
{
	uint32_t s = 0;

	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[8] = 64;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	for (int k = 0; k < 20; k += 2)
		s += (uint32_t)(b[k] << 8 | b[k + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	b[10] = (uint8_t)(s >> 8);
	b[11] = (uint8_t)s;
}

/* probe i: IPv4/UDP with the marker + id after the UDP header */
static __attribute__((unused)) size_t nftcmp_build(const struct nftcmp *c,
						   uint8_t *b, int ii)
{
	size_t i = (size_t)ii;
	size_t pi = i % c->n_ports;
	size_t di = (i / c->n_ports) % c->n_dsts;
	size_t si = i / c->n_ports / c->n_dsts;
	size_t len = 20 + 8 + 8;

	memset(b, 0, len);
	nftcmp_ip4(b, len, (uint16_t)i, 17, c->srcs[si], c->dsts[di]);
	b[20] = 0x9c; /* source port 40000 */
	b[21] = 0x40;
	b[22] = (uint8_t)(c->ports[pi] >> 8);
	b[23] = (uint8_t)c->ports[pi];
	b[25] = 16; /* UDP length; checksum 0: none */
	memcpy(b + 28, c->marker, 3);
	b[31] = (uint8_t)(i >> 8);
	b[32] = (uint8_t)i;
	return len;
}

/* Read R's raw sockets for 600 ms: seen[id] for each packet with the
 * marker and id right after its own L4 header (20 bytes for TCP, 8
 * otherwise: not a quoted copy in an ICMP error), id < n. */
static __attribute__((unused)) void
nftcmp_collect(struct dside *sd, const char *marker, int n_probes, bool *seen)
{
	uint8_t rx[2048];
	uint64_t end = dnet_now_ms() + 600;

	while (dnet_now_ms() < end) {
		for (int k = 0; k < sd->n_raw; k++) {
			ssize_t n;

			while ((n = recv(sd->raw_in[k], rx, sizeof(rx), 0)) >
			       0) {
				size_t ihl = (size_t)(rx[0] & 15) * 4;
				size_t off = ihl + (rx[9] == 6 ? 20 : 8);
				size_t id;

				if ((size_t)n < off + 5 ||
				    memcmp(rx + off, marker, 3))
					continue;
				id = (size_t)(rx[off + 3] << 8 | rx[off + 4]);
				if (id < (size_t)n_probes)
					seen[id] = true;
			}
		}
		usleep(20000);
	}
}

/* Send every probe into R; seen[i]: delivered to R's raw socket (UDP
 * only: the sides listen for nothing else). */
static __attribute__((unused)) void nftcmp_probe(const struct nftcmp *c,
						 struct dside *sd, bool *seen)
{
	uint8_t b[64];
	int n_probes = nftcmp_n(c);

	memset(seen, 0, (size_t)n_probes * sizeof(*seen));
	for (int i = 0; i < n_probes; i++) {
		size_t len = nftcmp_build(c, b, i);
		assert_int_equal(dnet_send_in(sd, 0, BF_FAMILY_INET4, b, len),
				 0);
	}
	nftcmp_collect(sd, c->marker, n_probes, seen);
}

static __attribute__((unused)) int
nftcmp_side_up(struct nftcmp *c, struct dside *sd, const char *kind)
{
	int r = dnet_side_create(sd, kind, &c->topo, false);

	if (r)
		return r;
	r = dnet_raw_in(sd, BF_FAMILY_INET4, 17);
	if (r)
		return r;
	return dnet_side_wait(sd, &c->topo);
}

/* Probe i of c in words, for a mismatch. */
static __attribute__((unused)) void
nftcmp_describe(int ii, char *buf, size_t size, const void *ctx)
{
	const struct nftcmp *c = ctx;
	size_t i = (size_t)ii;

	snprintf(buf, size, "src %s dst %s udp dport %u",
		 c->srcs[i / c->n_ports / c->n_dsts],
		 c->dsts[(i / c->n_ports) % c->n_dsts],
		 c->ports[i % c->n_ports]);
}

/* Tally n verdicts of nftables (sk) and bpfilter (sb): print every
 * mismatch (desc(i) says what probe i is) and a summary ("passed" says how
 * a delivered probe is counted, yes how it is called), assert that the
 * probes tell verdicts apart and that the sides agree; returns how many
 * got through nftables. */
static __attribute__((unused)) int
nftcmp_tally(const char *when, const bool *sk, const bool *sb, int n,
	     void (*desc)(int i, char *buf, size_t size, const void *ctx),
	     const void *ctx, const char *passed, const char *yes)
{
	int diff = 0, through = 0;

	for (int i = 0; i < n; i++) {
		char d[128];

		through += sk[i];
		if (sk[i] == sb[i])
			continue;
		diff++;
		desc(i, d, sizeof(d), ctx);
		print_message("%s: mismatch on probe %d (%s): nftables %s, "
			      "bpfilter %s\n",
			      when, i, d, sk[i] ? yes : "drop",
			      sb[i] ? yes : "drop");
	}
	print_message("%s: %d probes, %d %s nftables, %d mismatches\n", when, n,
		      through, passed, diff);
	assert_true(through > 0 && through < n);
	assert_int_equal(diff, 0);
	return through;
}

/* Compare the verdicts; returns the number of probes delivered. */
static __attribute__((unused)) int nftcmp_compare(struct nftcmp *c,
						  const char *when)
{
	bool sk[NFTCMP_MAX_PROBES], sb[NFTCMP_MAX_PROBES];
	int n_probes = nftcmp_n(c);

	assert_true(n_probes <= NFTCMP_MAX_PROBES);
	nftcmp_probe(c, &c->kside, sk);
	nftcmp_probe(c, &c->bside, sb);
	return nftcmp_tally(when, sk, sb, n_probes, nftcmp_describe, c,
			    "accepted by", "accept");
}

/* Program id in the INPUT dispatcher slot and the generation in force in
 * the bpfilter side's R. */
static __attribute__((unused)) void nftcmp_in_force_sd(const struct dside *sd,
						       uint32_t *prog_id,
						       unsigned long long *gen)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	char *out = NULL;
	uint32_t key = 0;
	int fd;

	assert_int_equal(dnet_enter(sd->nsfd_r), 0);
	assert_int_equal(bf_netns_dir(dir, sizeof(dir), false), 0);
	dnet_enter(-1);
	snprintf(p, sizeof(p), "%s/nf/jmp_in4", dir);
	fd = bpf_obj_get(p);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, prog_id), 0);
	close(fd);
	assert_int_equal(bft_sh_out(&out,
				    "ip netns exec %s %s list --json | "
				    "grep -o '\"generation\": *[0-9]*' | "
				    "head -1 | tr -dc 0-9",
				    sd->ns_r, bft_bpfilter_bin()),
			 0);
	*gen = strtoull(out, NULL, 10);
	free(out);
}

static __attribute__((unused)) void
nftcmp_in_force(struct nftcmp *c, uint32_t *prog_id, unsigned long long *gen)
{
	nftcmp_in_force_sd(&c->bside, prog_id, gen);
}

/* The same element change with nft and with `bpfilter set`. */
static __attribute__((unused)) void
nftcmp_both(struct nftcmp *c, const char *nft_cmd, const char *bf_cmd)
{
	assert_int_equal(
		bft_sh("ip netns exec %s nft '%s'", c->kside.ns_r, nft_cmd), 0);
	assert_int_equal(bft_sh("ip netns exec %s %s set %s", c->bside.ns_r,
				bft_bpfilter_bin(), bf_cmd),
			 0);
}

/* Both sides up with the ruleset loaded; skips (or fails when kernel
 * tests are required) without a kernel or without nft. */
static __attribute__((unused)) void nftcmp_load(struct nftcmp *c,
						const char *ruleset)
{
	FILE *f;

	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v nft >/dev/null")) {
		if (bft_require_kernel())
			fail_msg("nft missing");
		skip();
	}
	bf_verify_set_bin(bft_bpfilter_bin());
	dnet_init();
	snprintf(c->path, sizeof(c->path), "/tmp/bf-e2e-%s-%d.nft", c->name,
		 getpid());
	f = fopen(c->path, "w");
	assert_non_null(f);
	fputs(ruleset, f);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(nftcmp_side_up(c, &c->kside, "nftables"), 0);
	assert_int_equal(nftcmp_side_up(c, &c->bside, "bpfilter"), 0);
	assert_int_equal(bft_sh("ip netns exec %s nft -f %s", c->kside.ns_r,
				c->path),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s %s apply --format nft %s",
				c->bside.ns_r, bft_bpfilter_bin(), c->path),
			 0);
}

/* `bpfilter save` of the bpfilter side has a line grep's pattern matches
 * (pattern quoted for the shell). */
static __attribute__((unused)) void nftcmp_saved_has(struct nftcmp *c,
						     const char *pattern)
{
	assert_int_equal(bft_sh("ip netns exec %s %s save | grep -q %s",
				c->bside.ns_r, bft_bpfilter_bin(), pattern),
			 0);
}

/* `bpfilter save --format nft` of the bpfilter side, in *out (to free). */
static __attribute__((unused)) void nftcmp_saved_nft(struct nftcmp *c,
						     char **out)
{
	assert_int_equal(bft_sh_out(out,
				    "ip netns exec %s %s save --format nft",
				    c->bside.ns_r, bft_bpfilter_bin()),
			 0);
}

/* The program and generation in force are still id0 and g0: no reload. */
static __attribute__((unused)) void
nftcmp_same_program(struct nftcmp *c, uint32_t id0, unsigned long long g0)
{
	uint32_t id1;
	unsigned long long g1;

	nftcmp_in_force(c, &id1, &g1);
	assert_int_equal(id0, id1);
	assert_int_equal(g0, g1);
	print_message("program id %u and generation %llu unchanged\n", id1, g1);
}

static __attribute__((unused)) void nftcmp_teardown(struct nftcmp *c)
{
	if (c->path[0])
		unlink(c->path);
	dnet_side_destroy(&c->bside);
	dnet_side_destroy(&c->kside);
}

/* cmocka teardown; the state is the struct nftcmp. */
static __attribute__((unused)) int nftcmp_teardown_state(void **state)
{
	nftcmp_teardown(*state);
	return 0;
}

#endif /* BPFILTER_E2E_NFTCMP_H */
