// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `ipset save` parser and printer (src/lib/set/ipset.c): round trips,
 * element keys in the model's layout, every refusal with its file:line,
 * and the iptables front end's `-m set` checks against the sets given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/log.h"
#include "bpfilter/set.h"
#include "set/ipset.h"

static char msgs[8192];

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	(void)data;
	if (level > BF_LOG_WARN)
		return;
	strncat(msgs, msg, sizeof(msgs) - strlen(msgs) - 2);
	strcat(msgs, "\n");
}

static int parse(struct bf_ruleset *rs, const char *text)
{
	msgs[0] = '\0';
	bf_log_set(capture, NULL);
	return bf_ipset_parse_str(rs, text, "f");
}

static char *print(const struct bf_ruleset *rs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	bf_ipset_print(m, rs);
	fclose(m);
	return buf;
}

/* As `ipset save` prints them (ipset 7.17, checked by hand against the
 * binary; tests/e2e/e2e_set.c compares live). */
static const char canonical[] =
	"create a hash:ip family inet hashsize 1024 maxelem 65536 timeout 300 "
	"counters bucketsize 12 initval 0x11223344\n"
	"add a 192.0.2.1 timeout 10 packets 3 bytes 120\n"
	"add a 192.0.2.0 timeout 0 packets 0 bytes 0\n"
	"create n hash:net family inet6 hashsize 1024 maxelem 65536\n"
	"add n 2001:db8::/32\n"
	"add n 2001:db8:1::/48 nomatch\n"
	"add n 2001:db8::5\n"
	"create s hash:ip,port family inet hashsize 1024 maxelem 65536\n"
	"add s 192.0.2.1,tcp:80\n"
	"add s 192.0.2.1,udp:53\n"
	"add s 192.0.2.1,sctp:5\n"
	"add s 192.0.2.1,udplite:5\n"
	"add s 192.0.2.1,gre:0\n"
	"add s 192.0.2.1,icmp:echo-request\n"
	"add s 192.0.2.1,icmp:3/20\n"
	"create s6 hash:ip,port family inet6 hashsize 1024 maxelem 65536\n"
	"add s6 2001:db8::1,ipv6-icmp:neighbour-solicitation\n"
	"add s6 2001:db8::1,ipv6-icmp:200/1\n"
	"create t hash:ip,port,net family inet hashsize 1024 maxelem 65536\n"
	"add t 192.0.2.1,udp:53,198.51.100.0/24 nomatch\n"
	"create u hash:ip,port,ip family inet hashsize 1024 maxelem 65536\n"
	"add u 192.0.2.1,tcp:80,198.51.100.1\n"
	"create i hash:net,iface family inet hashsize 1024 maxelem 65536\n"
	"add i 192.0.2.0/28,eth0\n"
	"add i 192.0.2.7,lo nomatch\n"
	"create p bitmap:port range 1-1024\n"
	"add p 22\n"
	"create b bitmap:ip range 192.0.2.0-192.0.2.255\n"
	"add b 192.0.2.5\n"
	"create m hash:ip family inet6 hashsize 1024 maxelem 65536 netmask 64\n"
	"add m 2001:db8::\n"
	"create l list:set size 8\n"
	"add l a\n"
	"add l s\n";

static void test_round_trip(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	char *out;
	(void)state;

	assert_int_equal(parse(rs, canonical), 0);
	assert_string_equal(msgs, "");
	out = print(rs);
	assert_string_equal(out, canonical);
	free(out);
	bf_ruleset_free(&rs);
}

static void test_keys(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_set *s;
	const struct bf_set_elem *e;
	uint8_t a[16];
	(void)state;

	assert_int_equal(parse(rs, canonical), 0);
	/* hash:ip,port,net: ip, {proto, 0, port}, net (interval, last) */
	s = bf_ruleset_set(rs, "t");
	assert_non_null(s);
	assert_int_equal(s->n_dims, 3);
	assert_int_equal(s->interval_dim, 2);
	assert_int_equal(s->key_size, 12);
	assert_true(s->flags & BF_SET_F_NOMATCH_TYPE);
	e = &s->elems[0];
	inet_pton(AF_INET, "192.0.2.1", a);
	assert_memory_equal(e->key, a, 4);
	assert_int_equal(e->key[4], 17);
	assert_int_equal(e->key[6] << 8 | e->key[7], 53);
	inet_pton(AF_INET, "198.51.100.0", a);
	assert_memory_equal(e->key + 8, a, 4);
	inet_pton(AF_INET, "198.51.100.255", a);
	assert_memory_equal(e->hi, a, 4);
	assert_true(e->nomatch);
	/* ICMP type/code as the port */
	s = bf_ruleset_set(rs, "s");
	e = &s->elems[5];
	assert_int_equal(e->key[4], 1);
	assert_int_equal(e->key[6], 8);
	assert_int_equal(e->key[7], 0);
	/* hash:ip netmask 64: a /64 block */
	s = bf_ruleset_set(rs, "m");
	assert_int_equal(s->interval_dim, 0);
	inet_pton(AF_INET6, "2001:db8::ffff:ffff:ffff:ffff", a);
	assert_memory_equal(s->elems[0].hi, a, 16);
	/* the default timeout of the set, and the one given */
	s = bf_ruleset_set(rs, "a");
	assert_int_equal(s->timeout, 300);
	assert_int_equal(s->elems[0].timeout, 10);
	assert_int_equal(s->elems[1].timeout, 0);
	bf_ruleset_free(&rs);

	rs = bf_ruleset_new();
	assert_int_equal(
		parse(rs, "create d hash:ip timeout 7\nadd d 10.0.0.1\n"), 0);
	assert_int_equal(bf_ruleset_set(rs, "d")->elems[0].timeout, 7);
	bf_ruleset_free(&rs);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "create x hash:foo\n",
		  "f:1: set x: unknown set type 'hash:foo'" },
		{ "create x hash:net,net\n", "f:1: set x: type hash:net,net is "
					     "not supported: two prefix" },
		{ "create x hash:mac\n", "f:1: set x: type hash:mac is not "
					 "supported" },
		{ "create x hash:ip\nadd x 10.0.0.1 nomatch\n",
		  "f:2: nomatch is not allowed in a hash:ip set" },
		{ "create x hash:net timeout 5\n", "f:1: set x: timeout is not "
						   "supported for hash:net" },
		{ "create x hash:net\nadd x 10.0.0.0/0\n",
		  "f:2: invalid CIDR" },
		{ "create x hash:ip\nadd x 0.0.0.0\n", "f:2: zero valued IP "
						       "address '0.0.0.0'" },
		{ "create x hash:ip\nadd x 10.0.0.0/8\n",
		  "f:2: '10.0.0.0/8' stands for more than 65536 elements" },
		{ "create x hash:ip\nadd x 10.0.0.5-10.0.0.1\n",
		  "f:2: '10.0.0.5-10.0.0.1' is not a valid IPv4 address, range "
		  "or CIDR" },
		{ "create x hash:net,iface\nadd x 10.0.0.0/8,physdev:eth0\n",
		  "f:2: physdev: interfaces" },
		{ "add y 10.0.0.1\n", "f:1: the set with the given name 'y' "
				      "does not exist" },
		{ "create x hash:ip\ncreate x hash:ip\n", "f:2: set x already "
							  "exists" },
		{ "create x hash:ip,port family inet6\nadd x ::1,icmp:8/0\n",
		  "f:2: protocol ICMP cannot be used with family inet6" },
		{ "create x bitmap:port range 10-20\nadd x 21\n",
		  "f:2: port 21 is outside of the range of set x" },
		{ "create x bitmap:ip range 10.0.0.0/30\nadd x 10.0.0.4\n",
		  "f:2: '10.0.0.4' is outside of the range of set x" },
		{ "create x bitmap:ip\n", "f:1: set x: a bitmap:ip set needs a "
					  "range" },
		{ "create l list:set\nadd l nosuch\n", "f:2: set nosuch "
						       "(member of l) does not "
						       "exist" },
		{ "create l list:set\ncreate m list:set\nadd l m\n",
		  "f:3: set m is a list:set: it cannot be a member" },
		{ "create x hash:ip skbinfo\n", "f:1: set x: option 'skbinfo' "
						"needs a value" },
		{ "create x hash:ip markmask 1\n", "f:1: set x: unknown or "
						   "unsupported option "
						   "'markmask'" },
		{ "create x hash:ip maxelem 1\nadd x 10.0.0.1\nadd x 10.0.0.2\n",
		  "f:3: set x is full (maxelem 1)" },
		{ "flush x\n", "f:1: unsupported ipset command 'flush'" },
		{ "create l list:set timeout 5\n", "f:1: set l: timeout and "
						   "counters are not "
						   "supported for list:set" },
		{ "create x hash:ip\nadd x 10.0.0.1 skbmark 1\n",
		  "f:2: unknown or unsupported element option 'skbmark'" },
		{ "create x hash:ip,port\nadd x 10.0.0.1\n",
		  "f:2: '10.0.0.1' is not an element of a hash:ip,port set" },
		{ "create averyveryveryveryveryverylongname hash:ip\n",
		  "f:1: set name 'averyveryveryveryveryverylongname' is too long" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bf_ruleset *rs = bf_ruleset_new();

		int r = parse(rs, cases[i].text);

		if (r >= 0)
			fail_msg("accepted: %s", cases[i].text);
		if (!strstr(msgs, cases[i].msg))
			fail_msg("case %zu: expected '%s' in:\n%s", i,
				 cases[i].msg, msgs);
		bf_ruleset_free(&rs);
	}
}

/* Every error of a file is reported, not only the first. */
/* Ranges and CIDRs stand for every element in them (as ipset expands
 * them: checked against ipset 7.17). */
static void test_expansion(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	char *out;
	(void)state;

	assert_int_equal(parse(rs, "create a hash:ip family inet\n"
				   "add a 192.0.2.0/30\n"
				   "add a 192.0.2.10-192.0.2.12\n"
				   "create b hash:ip,port family inet\n"
				   "add b 192.0.2.1-192.0.2.2,tcp:1-2\n"
				   "create c bitmap:port range 1-100\n"
				   "add c 10-12\n"
				   "create d hash:net,iface family inet\n"
				   "add d 10.0.0.0/8,br-lan\n"),
			 0);
	out = print(rs);
	assert_string_equal(out, "create a hash:ip family inet\n"
				 "add a 192.0.2.0\n"
				 "add a 192.0.2.1\n"
				 "add a 192.0.2.2\n"
				 "add a 192.0.2.3\n"
				 "add a 192.0.2.10\n"
				 "add a 192.0.2.11\n"
				 "add a 192.0.2.12\n"
				 "create b hash:ip,port family inet\n"
				 "add b 192.0.2.1,tcp:1\n"
				 "add b 192.0.2.1,tcp:2\n"
				 "add b 192.0.2.2,tcp:1\n"
				 "add b 192.0.2.2,tcp:2\n"
				 "create c bitmap:port range 1-100\n"
				 "add c 10\n"
				 "add c 11\n"
				 "add c 12\n"
				 "create d hash:net,iface family inet\n"
				 "add d 10.0.0.0/8,br-lan\n");
	free(out);
	bf_ruleset_free(&rs);
}

static void test_all_errors(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	(void)state;

	assert_int_equal(parse(rs, "create x hash:ip\nadd x 1.2.3\nadd x "
				   "10.0.0.1 nomatch\nadd x 10.0.0.2\n"),
			 -EINVAL);
	assert_non_null(strstr(msgs, "f:2:"));
	assert_non_null(strstr(msgs, "f:3:"));
	assert_null(strstr(msgs, "f:4:"));
	bf_ruleset_free(&rs);
}

static void test_front_end(void **state)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	static const char rules[] =
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n"
		"-A INPUT -m set --match-set %s src -j DROP\nCOMMIT\n";
	char text[512];
	(void)state;

	assert_int_equal(parse(rs, canonical), 0);
	snprintf(text, sizeof(text), rules, "a");
	assert_int_equal(
		bf_ipt_parse_restore_str(rs, text, "r", BF_FAMILY_INET4), 0);
	/* list:set: any family */
	snprintf(text, sizeof(text), rules, "l");
	assert_int_equal(
		bf_ipt_parse_restore_str(rs, text, "r", BF_FAMILY_INET6), 0);
	msgs[0] = '\0';
	snprintf(text, sizeof(text), rules, "nosuch");
	assert_int_not_equal(
		bf_ipt_parse_restore_str(rs, text, "r", BF_FAMILY_INET4), 0);
	assert_non_null(strstr(msgs, "Set nosuch doesn't exist."));
	msgs[0] = '\0';
	snprintf(text, sizeof(text), rules, "a");
	assert_int_not_equal(
		bf_ipt_parse_restore_str(rs, text, "r", BF_FAMILY_INET6), 0);
	assert_non_null(strstr(msgs, "The protocol family of set a is inet, "
				     "which is not applicable."));
	bf_ruleset_free(&rs);
}

static void test_range_prefix(void **state)
{
	uint8_t lo[2] = { 0, 16 }, hi[2] = { 0, 31 };
	int plen = -1;
	(void)state;

	assert_true(bf_set_range_prefix(lo, hi, 2, &plen));
	assert_int_equal(plen, 12);
	hi[1] = 30;
	assert_false(bf_set_range_prefix(lo, hi, 2, &plen));
	lo[1] = hi[1] = 7;
	assert_true(bf_set_range_prefix(lo, hi, 2, &plen));
	assert_int_equal(plen, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_expansion),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_front_end),
		cmocka_unit_test(test_range_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
