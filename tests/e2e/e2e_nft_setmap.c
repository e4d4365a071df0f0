// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft named sets of ports and of address . port concatenations as BPF
 * maps, end to end against the kernel's nftables: `type inet_service`
 * sets (plain, `flags interval`, used with `==` and `!=`) and `type
 * ipv4_addr . inet_service` sets (plain and `flags interval` with
 * prefixes, address and port ranges) are loaded with `nft -f` in one pair
 * of namespaces and with `bpfilter apply --format nft` in another; the
 * same UDP probes go into both and the INPUT verdicts are compared. Then
 * elements change on both sides, bpfilter's in nft element syntax
 * (`nft add element ... { 198.51.100.200 . 7000 }` / `bpfilter set add sp
 * '198.51.100.200 . 7000'`): the verdicts are compared again, and the
 * program in force is the same (program id and generation: no reload).
 * A verdict map (`ip saddr vmap @vm`, accept and drop) is one map too:
 * `bpfilter set add vm '203.0.113.70 : drop'` turns an accept element
 * into a drop one with one map update.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <limits.h>

#include "bftest.h"
#include "bpfilter/helper.h"
#include "load/pin.h"
#include "verify/net.h"

static const char ruleset[] =
	"flush ruleset\n"
	"table inet t {\n"
	"\tset ports {\n"
	"\t\ttype inet_service\n"
	"\t\telements = { 7001, 7003 }\n"
	"\t}\n"
	"\tset prange {\n"
	"\t\ttype inet_service\n"
	"\t\tflags interval\n"
	"\t\telements = { 7010-7013 }\n"
	"\t}\n"
	"\tset sports {\n"
	"\t\ttype inet_service\n"
	"\t\telements = { 40000 }\n"
	"\t}\n"
	"\tset sp {\n"
	"\t\ttype ipv4_addr . inet_service\n"
	"\t\telements = { 198.51.100.9 . 7000, 203.0.113.5 . 53 }\n"
	"\t}\n"
	"\tset np {\n"
	"\t\ttype ipv4_addr . inet_service\n"
	"\t\tflags interval\n"
	"\t\telements = { 203.0.113.64/27 . 7000,\n"
	"\t\t\t     203.0.113.100-203.0.113.110 . 53-54 }\n"
	"\t}\n"
	"\tmap vm {\n"
	"\t\ttype ipv4_addr : verdict\n"
	"\t\telements = { 198.51.100.200 : drop, 203.0.113.70 : accept }\n"
	"\t}\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority 0; policy accept;\n"
	"\t\tip saddr vmap @vm\n"
	"\t\tudp dport @ports drop\n"
	"\t\tudp dport @prange drop\n"
	"\t\tip daddr 192.0.2.51 udp sport != @sports drop\n"
	"\t\tip saddr . udp dport @sp drop\n"
	"\t\tip saddr . udp dport @np drop\n"
	"\t}\n"
	"}\n";

static const char *const srcs[] = {
	"203.0.113.5",	 "203.0.113.70", "203.0.113.100",
	"203.0.113.105", "198.51.100.9", "198.51.100.200",
};
static const char *const dsts[] = { "192.0.2.50", "192.0.2.51" };
static const uint16_t ports[] = { 7000, 7001, 7003, 7011, 53, 54 };

#define N_PROBES                                                               \
	((int)(ARRAY_SIZE(srcs) * ARRAY_SIZE(dsts) * ARRAY_SIZE(ports)))

static struct dtopo topo = { .n_if = 1, .name = { "eth0" } };
static struct dside kside, bside;
static char path[96];

/* probe i: IPv4/UDP with marker "H26" + id after the UDP header */
static size_t build(uint8_t *b, int ii)
{
	size_t i = (size_t)ii;
	size_t pi = i % ARRAY_SIZE(ports);
	size_t di = (i / ARRAY_SIZE(ports)) % ARRAY_SIZE(dsts);
	size_t si = i / ARRAY_SIZE(ports) / ARRAY_SIZE(dsts);
	size_t len = 20 + 8 + 8;
	uint32_t s = 0;

	memset(b, 0, len);
	b[0] = 0x45;
	b[3] = (uint8_t)len;
	b[4] = (uint8_t)(i >> 8);
	b[5] = (uint8_t)i;
	b[8] = 64;
	b[9] = 17;
	inet_pton(AF_INET, srcs[si], b + 12);
	inet_pton(AF_INET, dsts[di], b + 16);
	for (int k = 0; k < 20; k += 2)
		s += (uint32_t)(b[k] << 8 | b[k + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	b[10] = (uint8_t)(s >> 8);
	b[11] = (uint8_t)s;
	b[20] = 0x9c; /* source port 40000 */
	b[21] = 0x40;
	b[22] = (uint8_t)(ports[pi] >> 8);
	b[23] = (uint8_t)ports[pi];
	b[25] = 16; /* UDP length; checksum 0: none */
	memcpy(b + 28, "H26", 3);
	b[31] = (uint8_t)(i >> 8);
	b[32] = (uint8_t)i;
	return len;
}

/* Send every probe into R; seen[i]: delivered to R's raw socket. */
static void probe(struct dside *sd, bool *seen)
{
	uint8_t b[64], rx[2048];
	uint64_t end;

	memset(seen, 0, N_PROBES * sizeof(*seen));
	for (int i = 0; i < N_PROBES; i++) {
		size_t len = build(b, i);
		assert_int_equal(dnet_send_in(sd, 0, BF_FAMILY_INET4, b, len),
				 0);
	}
	end = dnet_now_ms() + 600;
	while (dnet_now_ms() < end) {
		for (int k = 0; k < sd->n_raw; k++) {
			ssize_t n;
			while ((n = recv(sd->raw_in[k], rx, sizeof(rx), 0)) >
			       0) {
				size_t off = (size_t)(rx[0] & 15) * 4 + 8;
				size_t id;
				if ((size_t)n < off + 5 || rx[9] != 17 ||
				    memcmp(rx + off, "H26", 3))
					continue;
				id = (size_t)(rx[off + 3] << 8 | rx[off + 4]);
				if (id < (size_t)N_PROBES)
					seen[id] = true;
			}
		}
		usleep(20000);
	}
}

static int side_up(struct dside *sd, const char *kind)
{
	int r = dnet_side_create(sd, kind, &topo, false);

	if (r)
		return r;
	r = dnet_raw_in(sd, BF_FAMILY_INET4, 17);
	if (r)
		return r;
	return dnet_side_wait(sd, &topo);
}

/* Compare the verdicts; returns the number of probes delivered. */
static int compare(const char *when)
{
	bool sk[N_PROBES], sb[N_PROBES];
	int diff = 0, delivered = 0;

	probe(&kside, sk);
	probe(&bside, sb);
	for (size_t i = 0; i < (size_t)N_PROBES; i++) {
		delivered += sk[i];
		if (sk[i] == sb[i])
			continue;
		diff++;
		print_message("%s: mismatch on probe %zu (src %s dst %s udp "
			      "dport %u): nftables %s, bpfilter %s\n",
			      when, i,
			      srcs[i / ARRAY_SIZE(ports) / ARRAY_SIZE(dsts)],
			      dsts[(i / ARRAY_SIZE(ports)) % ARRAY_SIZE(dsts)],
			      ports[i % ARRAY_SIZE(ports)],
			      sk[i] ? "accept" : "drop",
			      sb[i] ? "accept" : "drop");
	}
	print_message("%s: %d probes, %d accepted by nftables, %d mismatches\n",
		      when, N_PROBES, delivered, diff);
	assert_true(delivered > 0 && delivered < N_PROBES);
	assert_int_equal(diff, 0);
	return delivered;
}

/* Program id in the INPUT dispatcher slot and the generation in force. */
static void in_force(uint32_t *prog_id, unsigned long long *gen)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	char *out = NULL;
	uint32_t key = 0;
	int fd;

	assert_int_equal(dnet_enter(bside.nsfd_r), 0);
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
				    bside.ns_r, bft_bpfilter_bin()),
			 0);
	*gen = strtoull(out, NULL, 10);
	free(out);
}

static void both(const char *nft_cmd, const char *bf_cmd)
{
	assert_int_equal(
		bft_sh("ip netns exec %s nft '%s'", kside.ns_r, nft_cmd), 0);
	assert_int_equal(bft_sh("ip netns exec %s %s set %s", bside.ns_r,
				bft_bpfilter_bin(), bf_cmd),
			 0);
}

static void test_nft_port_sets(void **state)
{
	uint32_t id0, id1;
	unsigned long long g0, g1;
	char *saved = NULL, *listed = NULL;
	int d0, d1, d2;
	FILE *f;
	(void)state;

	BFT_REQUIRE_KERNEL();
	if (bft_sh("command -v nft >/dev/null")) {
		if (bft_require_kernel())
			fail_msg("nft missing");
		skip();
	}
	bf_verify_set_bin(bft_bpfilter_bin());
	dnet_init();
	snprintf(path, sizeof(path), "/tmp/bf-e2e-nft-setmap-%d.nft", getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(ruleset, f);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(side_up(&kside, "nftables"), 0);
	assert_int_equal(side_up(&bside, "bpfilter"), 0);
	assert_int_equal(bft_sh("ip netns exec %s nft -f %s", kside.ns_r, path),
			 0);
	assert_int_equal(bft_sh("ip netns exec %s %s apply --format nft %s",
				bside.ns_r, bft_bpfilter_bin(), path),
			 0);
	/* the sets are maps, not inlined rules */
	assert_int_equal(
		bft_sh("ip netns exec %s %s save | grep -q "
		       "'^-A input -p udp .*-m set --match-set sp src,dst "
		       "-j DROP$'",
		       bside.ns_r, bft_bpfilter_bin()),
		0);
	assert_int_equal(
		bft_sh("ip netns exec %s %s save | grep -q "
		       "'^-A input -p udp .*-m set --match-set ports dst "
		       "-j DROP$'",
		       bside.ns_r, bft_bpfilter_bin()),
		0);
	d0 = compare("as loaded");

	in_force(&id0, &g0);
	both("add element inet t ports { 53 }", "add ports 53");
	both("add element inet t sp { 198.51.100.200 . 7000 }",
	     "add sp '198.51.100.200 . 7000'");
	d1 = compare("after adding to ports and sp");
	assert_true(d1 < d0);
	both("delete element inet t np { 203.0.113.64/27 . 7000 }",
	     "delete np '203.0.113.64/27 . 7000'");
	both("add element inet t np { 198.51.100.0/24 . 7011 }",
	     "add np '198.51.100.0/24 . 7011'");
	both("delete element inet t sports { 40000 }", "delete sports 40000");
	/* a verdict changes: nft deletes and adds, bpfilter replaces */
	assert_int_equal(bft_sh("ip netns exec %s nft 'delete element inet t "
				"vm { 203.0.113.70 }'",
				kside.ns_r),
			 0);
	both("add element inet t vm { 203.0.113.70 : drop }",
	     "add vm '203.0.113.70 : drop'");
	both("add element inet t vm { 203.0.113.5 : accept }",
	     "add vm '203.0.113.5 : accept'");
	both("delete element inet t prange { 7010-7013 }",
	     "delete prange 7010-7013");
	d2 = compare("after changing np, sports and prange");
	assert_true(d2 != d1);
	in_force(&id1, &g1);
	assert_int_equal(id0, id1); /* the same program: no reload */
	assert_int_equal(g0, g1);
	print_message("program id %u and generation %llu unchanged\n", id1, g1);

	/* set list prints nft element syntax */
	assert_int_equal(bft_sh_out(&listed, "ip netns exec %s %s set list sp",
				    bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(listed, "198.51.100.200 . 7000"));
	assert_non_null(strstr(listed, "203.0.113.5 . 53"));
	free(listed);
	assert_int_equal(bft_sh_out(&listed, "ip netns exec %s %s set list vm",
				    bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(listed, "203.0.113.70 : drop"));
	assert_non_null(strstr(listed, "203.0.113.5 : accept"));
	free(listed);
	/* save --format nft prints the sets and the vmap with the elements
	 * in force; nftables loads it */
	assert_int_equal(bft_sh_out(&listed,
				    "ip netns exec %s %s save --format nft",
				    bside.ns_r, bft_bpfilter_bin()),
			 0);
	assert_non_null(strstr(listed, "ip saddr vmap @vm"));
	assert_non_null(strstr(listed, "203.0.113.70 : drop"));
	assert_non_null(strstr(listed, "198.51.100.200 . 7000"));
	free(listed);
	assert_int_equal(bft_sh("ip netns exec %s %s save --format nft "
				"| ip netns exec %s nft -c -f -",
				bside.ns_r, bft_bpfilter_bin(), kside.ns_r),
			 0);
	/* the vmap is a map: two lookups of one set, no inlined rules */
	assert_int_equal(
		bft_sh("ip netns exec %s %s save | grep -c "
		       "'^-A input -m set --match-set vm src' | grep -qx 2",
		       bside.ns_r, bft_bpfilter_bin()),
		0);
	(void)saved;
}

static int teardown(void **state)
{
	(void)state;
	if (path[0])
		unlink(path);
	dnet_side_destroy(&bside);
	dnet_side_destroy(&kside);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_nft_port_sets, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
