// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test of the iptables front end against the iptables
 * installed on this machine: each rule below is given to `iptables -A`
 * (and ip6tables) inside a private network namespace (unshare -n, gone
 * when the shell exits) and to our parser. Both must refuse it, or both
 * must accept it and print the same `-A` lines.
 *
 * Rules left out on purpose, because the two disagree for a known reason:
 *  - features outside our scope (-m limit, -j LOG, sctp, --tcp-option,
 *    ctstate SNAT/DNAT): iptables accepts, we refuse with "not supported";
 *  - a module given twice ("-p tcp -m tcp --dport 80 -m tcp --sport 5",
 *    "--syn -m tcp --syn"): iptables-nft merges (or drops) the repeated
 *    instance; we keep both, as the legacy kernel evaluates both;
 *  - "! -p tcp -m tcp --dport 5": iptables-nft accepts it, the kernel's
 *    xt_check_match() (legacy) refuses it, and so do we (the .t vectors
 *    expect a refusal of -m tcp without -p tcp);
 *  - "-ptcp": refused by iptables 1.8.9 (a bug fixed later; the upstream
 *    .t vectors expect it to work, and it does here);
 *  - ICMP code ranges "3/0:5": iptables-save drops the upper code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"

static const char *const rules4[] = {
	"-s 1.2.3.4/255.255.255.0",
	"-s 1.2.3.4/0.255.0.0",
	"-s 010.1.1.1",
	"-s 0x10.1.1.1",
	"-s 1.2.3",
	"-s 1.2.3.4/",
	"-s /8",
	"-s 1.2.3.4,",
	"-s ,1.2.3.4",
	"-s 1.2.3.4,,5.6.7.8",
	"-s 1.2.3.4/24,5.6.7.8/16 -j ACCEPT",
	"-d 1.1.1.1,1.1.1.1",
	"-i eth0 -o eth1",
	"-i eth0+",
	"-i +eth",
	"! -i eth0 ! -o eth+",
	"-i \"\"",
	"-p tcp ! --dport 22:80",
	"-p tcp --dport 22: --sport :1023",
	"-p tcp --sport 0x50",
	"-p tcp --sport 1:",
	"-p tcp --dport ssh:http",
	"-p udp --dport domain",
	"-p tcp --tcp-flags ALL SYN,ACK",
	"-p tcp --tcp-flags FOO SYN",
	"-p tcp --syn --tcp-flags SYN SYN",
	"-p tcp --syn --dport 80",
	"-p tcp ! --syn",
	"-p tcp --dport 80 --dport 81",
	"-p tcp -m udp --dport 5",
	"-p udp -m tcp --dport 5",
	"-p tcp -m multiport ! --dports 1,2,3",
	"-p tcp -m multiport --ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15",
	"-p tcp -m multiport --ports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15:16",
	"-p tcp -m multiport --dports 1 --dports 2",
	"-p tcp -m multiport --sports 1 -m multiport --dports 2",
	"-p tcp -m multiport --dports ssh,http",
	"-p icmp --icmp-type 3/3",
	"-p icmp --icmp-type port-unreachable",
	"-p icmp --icmp-type 256",
	"-p icmp --icmp-type 3/256",
	"-p icmp --icmp-type 3/x",
	"-p icmp --icmp-type ping",
	"-p icmp --icmp-type PING",
	"-p icmp --icmp-type any",
	"-p icmp ! --icmp-type any",
	"-p icmp --icmp-type 8 -m icmp --icmp-type 0",
	"-p 1 --icmp-type 8",
	"-p icmp -m icmp6 --icmpv6-type 1",
	"-m state --state NEW,NEW",
	"-m state --state new,Invalid",
	"-m state --state ,NEW",
	"-m state --state NEW,",
	"-m conntrack ! --ctstate NEW,RELATED",
	"-m conntrack --ctstate NEW --ctstate INVALID",
	"-m comment --comment \"a'b\"",
	"-m comment ! --comment x",
	"-m comment --comment a -m comment --comment b",
	"-m iprange --src-range 1.1.1.1-2.2.2.2 --dst-range 3.3.3.3-4.4.4.4",
	"-m iprange ! --src-range 1.1.1.1-2.2.2.2 --dst-range 3.3.3.3-4.4.4.4",
	"-m iprange --dst-range 3.3.3.3-4.4.4.4 --src-range 1.1.1.1-2.2.2.2",
	"-m iprange --src-range 1.1.1.1-",
	"-m iprange --src-range 1.1.1-2.2.2.2",
	"-f",
	"! -f",
	"-f -p tcp -m tcp --dport 1",
	"-j X",
	"-g X",
	"-j x",
	"-j ACCEPT -j DROP",
	"! -j ACCEPT",
	"-m tcp -p tcp",
	"-p tcp --dport=22",
	"-p tcp --dport",
	"--dport 22 -p tcp",
	"-p tcp --so 5",
	"-p tcp --sp 5",
	"-p tcp --dst 1.2.3.4",
	"-p tcp --d 5",
	"--s 1.2.3.4",
	"-p udplite --dport 5",
	"-p icmpv6",
	"-p ipv6-icmp",
	"-p 255",
	"-p 256",
	"-p foo",
	"-p ALL",
	"-p tcp -m comment --comment x --dport 5",
	"-p tcp -m multiport --dports 5 --sport 6",
	"-c 1 2 -j ACCEPT",
	"-s 1.2.3.4 -s 5.6.7.8",
	"-s 1.2.3.4 ! -d 5.6.7.8/8",
	"-p tcp -fv",
	"-vp tcp",
	"-4 -p tcp",
	"-p tcp --dport ! 22",
	"-m state --state ! NEW",
	"-p icmp --icmp-type ! 8",
	"-s ! 1.2.3.4",
	"-p ! tcp",
	"-i ! eth0",
	"-p tcp --dport 22 !",
	"-p tcp ! -m tcp --dport 22",
	"-p tcp --match tcp --dport 22",
	"-p tcp --match=tcp --dport=22",
	"-p tcp -m tcp --destination-port 22 --source-port 1:2",
	"-m iprange --src-range 1.1.1.1-1.1.1.2 -m iprange --src-range 1.1.1.3-1.1.1.4",
	"-m comment --comment \"\"",
	"-m comment --comment \" \"",
	"-m comment --comment x -j ACCEPT -m comment --comment y",
	"-j ACCEPT -p tcp --dport 1",
	"-p tcp -j ACCEPT --dport 1",
	"-o lo -i lo",
	"-i lo0123456789ab",
	"-i lo0123456789abc",
	"-s 1.2.3.4/255.255.255.255",
	"-s 1.2.3.4/32 -d 0.0.0.0/0",
	"-d 0/0",
	"! -d 1.0.0.0/1",
	"-p tcp --sport 65535:0",
	"-p tcp --tcp-flags \"\" \"\"",
	"-p tcp --tcp-flags SYN",
	"-p tcp -m multiport --sports 1,2 ! --dports 3",
	"-p udp -m multiport --dports 0:65535",
	"-p udp -m multiport --dports 1:65535,80",
	"-m conntrack --ctstate INVALID,UNTRACKED,NEW,RELATED,ESTABLISHED",
	"-m state --state INVALID,UNTRACKED,NEW,RELATED,ESTABLISHED",
	"-m conntrack --ctstate N,E",
	"-c 0 0",
	"-c 18446744073709551615 1 -j DROP",
	"-p 6 --dport 5",
	"-p 17 --sport 5",
	"-p 1 --icmp-type 0/0",
};

static const char *const rules6[] = {
	"-s 2001:db8::1/64 -d ::1",
	"-s 2001:db8::/ffff:ffff::",
	"-s 2001:db8::/ffff:0:ffff::",
	"-s 2001:DB8::1,2001:db8::2 -d ::/0",
	"! -s ::/0",
	"-s ::ffff:1.2.3.4",
	"-s 1.2.3.4",
	"-p all",
	"-p 0",
	"-p ipv6-icmp --icmpv6-type echo-request",
	"-p icmpv6 --icmpv6-type 1/3",
	"-p icmpv6 --icmpv6-type neighbour-solicitation",
	"-p icmpv6 --icmpv6-type neighbor-adv",
	"-p icmpv6 --icmpv6-type 255",
	"-p icmpv6 ! --icmpv6-type 128",
	"-p 58 --icmpv6-type 128",
	"-p icmp --icmp-type 8",
	"-m icmp6 --icmpv6-type 1",
	"-p tcp --dport 22 -f",
	"-p udp -m multiport --ports 1,2",
	"-m iprange --src-range ::1-::ff",
	"-m iprange --dst-range 2001:db8::-2001:db8::ffff",
	"-m iprange --dst-range 1.1.1.1-2.2.2.2",
	"-p 43",
	"-p hopopt",
	"-m state --state UNTRACKED",
};

static char logtext[4096];

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	snprintf(logtext, sizeof(logtext), "%s", msg);
}

/* Our answer: "ERR" or the -A lines. */
static char *ours(enum bf_family fam, const char *rule)
{
	_cleanup_free_ char *text = NULL;
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_chain *c;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	assert_true(asprintf(&text,
			     "*filter\n:X - [0:0]\n-A FORWARD %s\n"
			     "COMMIT\n",
			     rule) > 0);
	bf_log_set(capture, NULL);
	if (bf_ipt_parse_restore_str(rs, text, "oracle", fam)) {
		bf_log_set(NULL, NULL);
		bf_ruleset_free(&rs);
		return strdup("ERR\n");
	}
	bf_log_set(NULL, NULL);
	c = bf_ruleset_builtin(rs, fam, BF_HOOK_FORWARD);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	for (size_t i = 0; i < c->n_rules; i++) {
		char *r = NULL;
		size_t rl = 0;
		FILE *o = open_memstream(&r, &rl);

		bf_ipt_print_rule(o, &c->rules[i]);
		fclose(o);
		fprintf(out, "-A FORWARD%s%s\n", *r ? " " : "", r);
		free(r);
	}
	fclose(out);
	bf_ruleset_free(&rs);
	return buf;
}

static void run(const char *bin, enum bf_family fam, const char *const *rules,
		size_t n)
{
	char path[] = "/tmp/bf-ipt-oracle-XXXXXX";
	_cleanup_free_ char *theirs = NULL;
	char *save = NULL, *answer;
	int fd, mismatches = 0;
	FILE *f;

	if (geteuid() != 0 || bft_sh("command -v %s >/dev/null && unshare -n "
				     "true 2>/dev/null",
				     bin) != 0) {
		if (bft_require_kernel())
			fail_msg("%s in a private network namespace is "
				 "needed (BF_REQUIRE_KERNEL_TESTS=1)",
				 bin);
		print_message("SKIP: needs root, unshare and %s\n", bin);
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", rules[i]);
	fclose(f);
	/* One namespace for all rules: flush between them. The shell's
	 * eval does the quoting iptables-restore would. */
	assert_int_equal(
		bft_sh_out(&theirs,
			   "unshare -n sh -c '%s -N X; while IFS= read -r r; "
			   "do %s -F FORWARD; if eval \"%s -A FORWARD $r\" "
			   ">/dev/null 2>&1; then %s -S FORWARD | tail -n +2; "
			   "else echo ERR; fi; echo =====; done' < %s",
			   bin, bin, bin, bin, path),
		0);
	unlink(path);
	answer = theirs;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *mine = ours(fam, rules[i]);

		assert_non_null(answer);
		save = strstr(answer, "=====\n");
		assert_non_null(save);
		*save = '\0';
		if (strcmp(mine, answer) != 0) {
			mismatches++;
			print_message("MISMATCH %s: %s\n  %s: %s  ours: %s%s\n",
				      bin, rules[i], bin, answer, mine,
				      strcmp(mine, "ERR\n") ? "" : logtext);
		}
		answer = save + 6;
	}
	print_message("%s: %zu rules compared, %d mismatches\n", bin, n,
		      mismatches);
	assert_int_equal(mismatches, 0);
}

static void test_oracle_ipv4(void **state)
{
	run("iptables", BF_FAMILY_INET4, rules4, ARRAY_SIZE(rules4));
}

static void test_oracle_ipv6(void **state)
{
	run("ip6tables", BF_FAMILY_INET6, rules6, ARRAY_SIZE(rules6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_ipv4),
		cmocka_unit_test(test_oracle_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
