// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: changes to the ruleset in force. `bpfilter iptables` against
 * the kernel's own iptables (same commands, same output, messages and exit
 * codes), the corpus's command-form rulesets replayed, floods that must be
 * dropped / must pass while 1,000 changes are applied, concurrent writers,
 * --if-generation and all-or-nothing batches.
 */
#include "e2e.h"

#define FLOOD_DROP_PORT 5103 /* dropped by the ruleset under change */
#define FLOOD_PASS_PORT 5102 /* accepted */
#define N_CHANGES 1000 /* issue 6: a flood during 1,000 changes */
#define N_WRITERS 4
#define N_PER_WRITER 500 /* issue 6: each adds 500 rules */
#define N_BARE 8 /* namespaces of bare_ns() alive at once */

static void bare_ns_del(const char *ns);
static char bare_names[N_BARE][16];

static int teardown(void **state)
{
	for (size_t i = 0; i < N_BARE; i++) {
		if (bare_names[i][0])
			bare_ns_del(bare_names[i]);
	}
	e2e_teardown(*state);
	return 0;
}

/* Namespaces made by bare_ns() and not yet deleted: a failed assertion
 * leaves its test early; teardown() deletes what is left. */
static char bare_names[N_BARE][16];

/* A fresh namespace with nothing in it; name in buf. */
static int bare_ns(char *buf, size_t size, const char *prefix)
{
	bft_unique_name(buf, size, prefix);
	for (size_t i = 0; i < N_BARE; i++) {
		if (!bare_names[i][0]) {
			snprintf(bare_names[i], sizeof(bare_names[i]), "%s",
				 buf);
			break;
		}
	}
	return bft_sh("ip netns add %s", buf);
}

static void bare_ns_del(const char *ns)
{
	bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; ip netns del %s "
	       "2>/dev/null",
	       ns, bft_bpfilter_bin(), ns);
	for (size_t i = 0; i < N_BARE; i++) {
		if (!strcmp(bare_names[i], ns))
			bare_names[i][0] = '\0';
	}
}

/* The same script, with $I the iptables to use, run by iptables-legacy in
 * one namespace and by `bpfilter iptables` in another: the same output,
 * messages and exit codes, line for line. */
static const char script[] =
	"$I -N web\n"
	"$I -A INPUT -p tcp --dport 22 -j ACCEPT\n"
	"$I -A INPUT -s 192.0.2.0/24 -j web\n"
	"$I -A INPUT -s 192.0.2.7 -d 198.51.100.0/25 -i eth0 -p udp "
	"--sport 53 -j DROP\n"
	"$I -I INPUT 2 -p icmp -j ACCEPT\n"
	"$I -A web -p udp -m multiport --dports 53,54 -j DROP\n"
	"$I -A web -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
	"$I -A web -m comment --comment 'hello world' -j RETURN\n"
	"$I -A OUTPUT ! -o lo -p tcp --tcp-flags SYN,ACK SYN -j DROP\n"
	"$I -P FORWARD DROP\n"
	"$I -R INPUT 1 -p tcp --dport 2222 -j ACCEPT\n"
	"$I -D INPUT -p icmp -j ACCEPT\n"
	"$I -C INPUT -p tcp --dport 2222 -j ACCEPT; echo rc=$?\n"
	"$I -C INPUT -p tcp --dport 23 -j ACCEPT; echo rc=$?\n"
	"$I -D INPUT -p tcp --dport 23 -j ACCEPT; echo rc=$?\n"
	"$I -D INPUT 9; echo rc=$?\n"
	"$I -D INPUT 0; echo rc=$?\n"
	"$I -R INPUT 9 -j ACCEPT; echo rc=$?\n"
	"$I -R INPUT -j ACCEPT; echo rc=$?\n"
	"$I -I INPUT 9 -j ACCEPT; echo rc=$?\n"
	"$I -A nochain -j ACCEPT; echo rc=$?\n"
	"$I -N web; echo rc=$?\n"
	"$I -N 'a b'; echo rc=$?\n"
	"$I -X web; echo rc=$?\n"
	"$I -X INPUT; echo rc=$?\n"
	"$I -E web INPUT; echo rc=$?\n"
	"$I -E nochain foo; echo rc=$?\n"
	"$I -L nochain; echo rc=$?\n"
	"$I -F nochain; echo rc=$?\n"
	"$I -P web DROP; echo rc=$?\n"
	"$I -P INPUT FOO; echo rc=$?\n"
	"$I -N tmp; $I -A INPUT -j tmp; $I -E tmp tmp2; $I -S INPUT 3;"
	" $I -D INPUT -j tmp2; $I -X tmp2; echo rc=$?\n"
	"$I -A OUTPUT -m comment --comment -L -j ACCEPT; echo rc=$?\n"
	"$I -C OUTPUT -m comment --comment -L -j ACCEPT; echo rc=$?\n"
	"$I -A OUTPUT -p tcp --tcp-flags SYN,ACK SYN -m comment --comment "
	"'-D x' -j DROP; echo rc=$?\n"
	"echo --- L; $I -L -n\n"
	"echo --- Lv; $I -L -v -n -x --line-numbers\n"
	"echo --- Lvn; $I -nvL INPUT\n"
	"echo --- L1; $I -L INPUT 2 -n --line-numbers\n"
	"echo --- S; $I -S; $I -S -v; $I -S web; $I -S INPUT 2\n"
	"echo --- Lany; $I -L web\n"
	"$I -S INPUT 9; echo rc=$?; $I -L INPUT 9; echo rc=$?\n"
	"$I -Z INPUT 9; echo rc=$?; $I -Z INPUT 1; echo rc=$?\n"
	"$I -L -Z INPUT -n; echo rc=$?; $I -Z -L INPUT -n; $I -S -Z\n"
	"$I -w -t filter -D INPUT 1; $I -F web; $I -Z; $I -X; echo rc=$?\n"
	"$I -F; $I -X; echo rc=$?\n"
	"$I -A OUTPUT -p icmp --icmp-type echo-request -j ACCEPT\n"
	"$I -A OUTPUT -p icmp --icmp-type 3/4 -j ACCEPT\n"
	"$I -A OUTPUT -p icmp --icmp-type 3/8 -j ACCEPT\n"
	"echo --- names; $I -L OUTPUT; $I -L OUTPUT -n\n"
	"echo --- ip6; $I6 -N web6\n"
	"$I6 -A INPUT -s 2001:db8::7 -d 2001:db8:1::/64 -i eth0 -p udp "
	"--sport 53 -j DROP\n"
	"$I6 -A web6 -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT\n"
	"$I6 -A INPUT -j web6\n"
	"$I6 -L; $I6 -L -n -v; $I6 -S -v\n"
	"echo --- end; $I -S\n";

static void test_iptables_like_kernel(void **state)
{
	char ns_k[16], ns_b[16], path[128];
	char *out_k = NULL, *out_b = NULL;
	FILE *f;

	(void)state;
	BFT_REQUIRE_KERNEL();
	snprintf(path, sizeof(path), "/tmp/bft-live-%d.sh", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	assert_int_equal(bare_ns(ns_k, sizeof(ns_k), "lvk"), 0);
	assert_int_equal(bare_ns(ns_b, sizeof(ns_b), "lvb"), 0);
	bft_sh_out(&out_k,
		   "ip netns exec %s env I=iptables-legacy "
		   "I6=ip6tables-legacy sh %s 2>&1 | "
		   "sed 's/v1.8.9 (legacy)/v1.8.9 (bpfilter)/'",
		   ns_k, path);
	bft_sh_out(&out_b,
		   "ip netns exec %1$s env I='%2$s iptables' "
		   "I6='%2$s ip6tables' sh %3$s 2>&1",
		   ns_b, bft_bpfilter_bin(), path);
	bare_ns_del(ns_k);
	bare_ns_del(ns_b);
	unlink(path);
	assert_non_null(out_k);
	assert_non_null(out_b);
	/* The script reached its end on both sides. */
	e2e_assert_contains(out_k, "--- end");
	if (strcmp(out_k, out_b)) {
		char cmd[512];

		f = fopen("/tmp/bft-live-k.out", "w");
		fputs(out_k, f);
		fclose(f);
		f = fopen("/tmp/bft-live-b.out", "w");
		fputs(out_b, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "diff /tmp/bft-live-k.out /tmp/bft-live-b.out");
		bft_sh("%s", cmd);
		fail_msg("bpfilter iptables differs from iptables-legacy "
			 "(diff above: < iptables, > bpfilter)");
	}
	free(out_k);
	free(out_b);
}

/* Replay each command-form ruleset of the corpus: through iptables-legacy
 * in one namespace, through bpfilter in another (one `bpfilter iptables`
 * per line for short files, `bpfilter batch` for long ones), then compare
 * iptables-save output. */
static void test_corpus_replay(void **state)
{
	char *list = NULL, *save;
	int files = 0;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_int_equal(bft_sh_out(&list, "ls %s/rulesets/*.iptables-cmds",
				    bft_corpus_dir()),
			 0);
	for (char *p = strtok_r(list, "\n", &save); p;
	     p = strtok_r(NULL, "\n", &save)) {
		char ns_k[16], ns_b[16];
		char *out_k = NULL, *out_b = NULL, *lines = NULL;
		int n;

		assert_int_equal(bft_sh_out(&lines, "grep -c '^ip' %s", p), 0);
		n = atoi(lines);
		free(lines);
		assert_int_equal(bare_ns(ns_k, sizeof(ns_k), "lck"), 0);
		assert_int_equal(bare_ns(ns_b, sizeof(ns_b), "lcb"), 0);
		assert_int_equal(
			bft_sh("sed -n 's/^\\(ip6\\?tables\\) /\\1-legacy /p' "
			       "%s | ip netns exec %s sh -e",
			       p, ns_k),
			0);
		bft_sh_out(&out_k,
			   "ip netns exec %s sh -c 'iptables-legacy-save; "
			   "ip6tables-legacy-save' | grep -v '^#'",
			   ns_k);
		if (n <= 50)
			assert_int_equal(
				bft_sh("grep '^ip' %s | sed 's|^|%s |' | "
				       "ip netns exec %s sh -e",
				       p, bft_bpfilter_bin(), ns_b),
				0);
		else
			assert_int_equal(e2e_cli(NULL, ns_b, "batch %s", p), 0);
		bft_sh_out(&out_b,
			   "ip netns exec %1$s sh -c '%2$s iptables-save; "
			   "%2$s ip6tables-save' | grep -v '^#'",
			   ns_b, bft_bpfilter_bin());
		bare_ns_del(ns_k);
		bare_ns_del(ns_b);
		assert_non_null(out_k);
		assert_non_null(out_b);
		e2e_assert_contains(out_k, "COMMIT");
		if (strcmp(out_k, out_b))
			fail_msg("%s: iptables-save differs:\n--- kernel\n%s\n"
				 "--- bpfilter\n%s",
				 p, out_k, out_b);
		printf("%s: %d commands, same iptables-save\n", p, n);
		free(out_k);
		free(out_b);
		files++;
	}
	free(list);
	assert_true(files > 0);
}

/* ---- floods during changes ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Receiver in ns: counts datagrams per port until the stop file exists
 * and nothing came for 1 s (at most 120 s), then writes the two counts to
 * fd. */
static pid_t receiver_start(const char *ns, const char *stopfile, int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint16_t ports[2] = { FLOOD_PASS_PORT, FLOOD_DROP_PORT };
		long long got[2] = { 0, 0 };
		struct pollfd pf[2];
		double end = now_s() + 400, last = now_s();
		int rcv = 8 << 20;

		alarm(405);
		if (e2e_enter(ns))
			_exit(1);
		for (int i = 0; i < 2; i++) {
			struct sockaddr_in sa = { .sin_family = AF_INET,
						  .sin_port = htons(ports[i]) };

			pf[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
			setsockopt(pf[i].fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
				   sizeof(rcv));
			if (bind(pf[i].fd, (void *)&sa, sizeof(sa)))
				_exit(2);
			pf[i].events = POLLIN;
		}
		while (now_s() < end) {
			if (poll(pf, 2, 100) > 0) {
				last = now_s();
				for (int i = 0; i < 2; i++) {
					char buf[64];

					while (recv(pf[i].fd, buf, sizeof(buf),
						    MSG_DONTWAIT) >= 0)
						got[i]++;
				}
				continue;
			}
			if (!access(stopfile, F_OK) && now_s() - last > 1.0)
				break;
		}
		if (write(fd, got, sizeof(got)) != sizeof(got))
			_exit(3);
		_exit(0);
	}
	return pid;
}

/* Sender in ns: one datagram to each port, paced, until the stop file
 * exists (at most 60 s and 2e6 pairs); writes the pair count to fd. */
static pid_t sender_start(const char *ns, const char *stopfile, int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_in to[2] = {
			{ .sin_family = AF_INET,
			  .sin_port = htons(FLOOD_PASS_PORT) },
			{ .sin_family = AF_INET,
			  .sin_port = htons(FLOOD_DROP_PORT) },
		};
		long long sent = 0;
		double end = now_s() + 360;
		int s;

		alarm(365);
		if (e2e_enter(ns))
			_exit(1);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		for (int i = 0; i < 2; i++)
			inet_pton(AF_INET, "192.0.2.2", &to[i].sin_addr);
		while (sent < 2000000 && now_s() < end &&
		       access(stopfile, F_OK)) {
			if (sendto(s, "flood", 5, 0, (void *)&to[0],
				   sizeof(to[0])) != 5 ||
			    sendto(s, "flood", 5, 0, (void *)&to[1],
				   sizeof(to[1])) != 5)
				_exit(2);
			sent++;
			usleep(300);
		}
		if (write(fd, &sent, sizeof(sent)) != sizeof(sent))
			_exit(3);
		_exit(0);
	}
	return pid;
}

static long long read_ll(int fd, size_t n, long long *v)
{
	ssize_t r = read(fd, v, n * sizeof(*v));

	return r == (ssize_t)(n * sizeof(*v)) ? 0 : -1;
}

/* test_flood_during_segment_changes_log: a rate-limited LOG rule that
 * every datagram crosses before the two rules, and a REJECT after them
 * (load/seg.h: segments that hold LOG and limit state) */
static bool flood_log;

/* The chain the flood test's rules and changes are in: INPUT, or USR that
 * INPUT jumps to (test_flood_during_user_segment_changes). */
static const char *flood_chain = "INPUT";

static void test_flood_during_changes(void **state)
{
	struct e2e *e = *state;
	const char *fc = flood_chain;
	int extra = 0, one_seg = 0;
	char stopfile[128], *out = NULL;
	int pr[2], ps[2];
	long long got[2], sent = 0, dropped;
	pid_t rp, sp;
	double t0, dt;
	int st;
	json_t *doc;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	if (strcmp(fc, "INPUT")) {
		assert_int_equal(e2e_cli(NULL, e->b, "iptables -N %s", fc), 0);
		assert_int_equal(
			e2e_cli(NULL, e->b, "iptables -A INPUT -j %s", fc), 0);
		extra = 2;
	}
	assert_int_equal(e2e_cli(NULL, e->b,
				 "iptables -A %s -p udp --dport %d -j DROP", fc,
				 FLOOD_DROP_PORT),
			 0);
	assert_int_equal(e2e_cli(NULL, e->b,
				 "iptables -A %s -p udp --dport %d -j "
				 "ACCEPT",
				 fc, FLOOD_PASS_PORT),
			 0);
	if (flood_log) {
		assert_int_equal(e2e_cli(NULL, e->b,
					 "iptables -I INPUT 1 -p udp -m limit "
					 "--limit 5/min -j LOG --log-prefix "
					 "\"flood: \""),
				 0);
		assert_int_equal(e2e_cli(NULL, e->b,
					 "iptables -A INPUT -p tcp -j REJECT "
					 "--reject-with tcp-reset"),
				 0);
	}
	snprintf(stopfile, sizeof(stopfile), "%s/stop", e->tmp);
	unlink(stopfile);
	assert_int_equal(pipe(pr), 0);
	assert_int_equal(pipe(ps), 0);
	rp = receiver_start(e->b, stopfile, pr[1]);
	usleep(200000);
	sp = sender_start(e->a, stopfile, ps[1]);
	usleep(200000);

	/* N_CHANGES changes: insert and delete rules before, between and after
	 * the two rules that judge the floods, and rename chains. */
	t0 = now_s();
	for (int i = 0; i < N_CHANGES; i++) {
		/* USR: -v -v tells whether the change was one segment */
		const char *vv = extra ? "-v -v " : "";
		char *o = NULL;
		int r;

		switch (i % 4) {
		case 0:
			r = e2e_cli(&o, e->b,
				    "%siptables -I %s 1 -p tcp --dport %d -j "
				    "DROP",
				    vv, fc, 1000 + i);
			break;
		case 1:
			r = e2e_cli(&o, e->b,
				    "%siptables -A %s -s 203.0.113.%d -j DROP",
				    vv, fc, i % 250);
			break;
		case 2:
			r = e2e_cli(&o, e->b, "%siptables -D %s 1", vv, fc);
			break;
		default:
			r = e2e_cli(&o, e->b,
				    "%siptables -D %s -s 203.0.113.%d -j DROP",
				    vv, fc, (i - 2) % 250);
			break;
		}
		assert_int_equal(r, 0);
		one_seg += o && strstr(o, "(one segment)") != NULL;
		free(o);
	}
	dt = now_s() - t0;
	fclose(fopen(stopfile, "w"));
	assert_int_equal(read_ll(ps[0], 1, &sent), 0);
	waitpid(sp, &st, 0);
	assert_int_equal(read_ll(pr[0], 2, got), 0);
	waitpid(rp, &st, 0);
	printf("%d changes in %.1f s (%.1f ms each); %lld datagrams to each "
	       "port: %lld passed of the ACCEPTed flood, %lld of the DROPped\n",
	       N_CHANGES, dt, dt * 1e3 / N_CHANGES, sent, got[0], got[1]);
	assert_true(sent > 1000);
	assert_int_equal(got[1], 0);
	assert_int_equal(got[0], sent);

	/* Counters followed their rules through N_CHANGES recompilations: the
	 * DROP rule counted every datagram of its flood, the ACCEPT rule
	 * every one of the other. */
	doc = e2e_list(e->b);
	assert_non_null(doc);
	dropped = e2e_counter(doc, "nf", "ipv4", fc, 1 + flood_log, "packets");
	printf("DROP rule counter %lld, ACCEPT rule counter %lld\n", dropped,
	       e2e_counter(doc, "nf", "ipv4", fc, 2 + flood_log, "packets"));
	assert_int_equal(dropped, sent);
	assert_int_equal(e2e_counter(doc, "nf", "ipv4", fc, 2 + flood_log,
				     "packets"),
			 sent);
	assert_int_equal(e2e_generation(doc, "nf"),
			 2 + extra + N_CHANGES + (flood_log ? 2 : 0));
	if (extra) {
		/* every change in USR replaced one segment program */
		printf("%d of %d changes replaced one segment program\n",
		       one_seg, N_CHANGES);
		assert_int_equal(one_seg, N_CHANGES);
	}
	json_decref(doc);
	if (flood_log) {
		/* the LOG rule's burst (5) passed, then 5 a minute at most;
		 * and the chain was cut: a change replaces one segment */
		long long logged;

		doc = e2e_list(e->b);
		assert_non_null(doc);
		logged = e2e_counter(doc, "nf", "ipv4", "INPUT", 1, "packets");
		json_decref(doc);
		printf("LOG rule counter %lld\n", logged);
		assert_true(logged >= 5 &&
			    logged <= 5 + 1 + (long long)dt / 12);
		assert_int_equal(e2e_cli(&out, e->b,
					 "-v -v iptables -A INPUT -s "
					 "203.0.113.7 -j DROP"),
				 0);
		e2e_assert_contains(out, "(one segment)");
	}
	free(out);
	close(pr[0]);
	close(pr[1]);
	close(ps[0]);
	close(ps[1]);
}

/* The same with every rule of INPUT in a segment program of its own
 * (load/seg.h): each change replaces one segment program. */
static void test_flood_during_segment_changes(void **state)
{
	setenv("BPFILTER_SEG_MIN", "1", 1);
	setenv("BPFILTER_SEG_RULES", "1", 1);
	test_flood_during_changes(state);
	unsetenv("BPFILTER_SEG_MIN");
	unsetenv("BPFILTER_SEG_RULES");
}

static void test_flood_during_segment_changes_log(void **state)
{
	flood_log = true;
	test_flood_during_segment_changes(state);
	flood_log = false;
}

/* The same with the rules and the changes in a user chain USR that INPUT
 * jumps to, USR cut into segment programs of its own (doc/live.md,
 * "Segmented user chains"). */
static void test_flood_during_user_segment_changes(void **state)
{
	flood_chain = "USR";
	test_flood_during_segment_changes(state);
	flood_chain = "INPUT";
}

/* Several processes adding rules at once: every rule exactly once. */
static void test_concurrent_writers(void **state)
{
	struct e2e *e = *state;
	pid_t pids[N_WRITERS];
	char *out = NULL;
	double t0 = now_s();

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	for (int w = 0; w < N_WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			alarm(900);
			for (int i = 0; i < N_PER_WRITER; i++) {
				if (e2e_cli(NULL, e->b,
					    "iptables -A INPUT -s 203.0.113.%d "
					    "-p tcp --dport %d -j ACCEPT",
					    w + 1, 2000 + i))
					_exit(1);
			}
			_exit(0);
		}
		assert_true(pids[w] > 0);
	}
	for (int w = 0; w < N_WRITERS; w++) {
		int st;

		assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	printf("%d writers x %d rules: %.1f s\n", N_WRITERS, N_PER_WRITER,
	       now_s() - t0);
	assert_int_equal(e2e_cli(&out, e->b, "iptables -S INPUT"), 0);
	for (int w = 0; w < N_WRITERS; w++) {
		for (int i = 0; i < N_PER_WRITER; i++) {
			char want[128];
			const char *p;
			int n = 0;

			snprintf(want, sizeof(want),
				 "-A INPUT -s 203.0.113.%d/32 -p tcp -m tcp "
				 "--dport %d -j ACCEPT\n",
				 w + 1, 2000 + i);
			for (p = out; (p = strstr(p, want)); p++)
				n++;
			if (n != 1)
				fail_msg("rule '%s' present %d times in:\n%s",
					 want, n, out);
		}
	}
	free(out);
	out = NULL;
	/* and nothing else: -P line + the rules */
	assert_int_equal(bft_sh_out(&out,
				    "ip netns exec %s %s iptables -S INPUT | "
				    "grep -c '^-A'",
				    e->b, bft_bpfilter_bin()),
			 0);
	assert_int_equal(atoi(out), N_WRITERS * N_PER_WRITER);
	free(out);
}

static void test_if_generation_and_batch(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;
	json_t *doc;
	long long gen;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(e2e_cli(NULL, e->b,
				 "iptables --if-generation 0 -A INPUT -p tcp "
				 "--dport %d -j DROP",
				 E2E_TCP_FILTER),
			 0);
	doc = e2e_list(e->b);
	gen = e2e_generation(doc, "nf");
	json_decref(doc);
	assert_int_equal(gen, 1);
	/* A stale view is refused, nothing changes. */
	assert_int_equal(
		e2e_cli(&out, e->b, "iptables --if-generation 0 -F INPUT"), 1);
	e2e_assert_contains(out, "generation 1, not 0");
	free(out);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(NULL, e->b,
				 "rule add --if-generation 1 INPUT -p tcp "
				 "--dport 7 -j DROP"),
			 0);

	/* A batch with an error at line 3 changes nothing. */
	f = e2e_file(e, "bad.batch",
		     "# comment\n"
		     "iptables -D INPUT -p tcp --dport 7 -j DROP\n"
		     "iptables -D INPUT -p tcp --dport 9 -j DROP\n"
		     "iptables -F INPUT\n");
	assert_int_equal(e2e_cli(&out, e->b, "batch %s", f), 1);
	e2e_assert_contains(out, "bad.batch:3: iptables: Bad rule (does a "
				 "matching rule exist in that chain?).");
	free(out);
	/* bpfilter rule says it once, with one prefix */
	assert_int_equal(e2e_cli(&out, e->b,
				 "rule delete INPUT -p tcp --dport 9 -j DROP"),
			 1);
	assert_string_equal(out, "bpfilter: Bad rule (does a matching rule "
				 "exist in that chain?).\n");
	free(out);
	doc = e2e_list(e->b);
	assert_int_equal(e2e_generation(doc, "nf"), 2);
	json_decref(doc);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));

	/* A good batch: all of it, in one generation. */
	f = e2e_file(e, "good.batch",
		     "iptables -D INPUT -p tcp --dport 7 -j DROP\n"
		     "iptables -N svc\n"
		     "iptables -A svc -p tcp --dport 5001 -j ACCEPT\n"
		     "iptables -I INPUT -j svc\n"
		     "ip6tables -A INPUT -p tcp --dport 5001 -j DROP\n");
	assert_int_equal(e2e_cli(NULL, e->b, "batch %s", f), 0);
	doc = e2e_list(e->b);
	assert_int_equal(e2e_generation(doc, "nf"), 3);
	json_decref(doc);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_false(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(&out, e->b, "rule check INPUT -j svc"), 0);
	free(out);
	assert_int_equal(e2e_cli(&out, e->b, "rule check INPUT -j DROP"), 1);
	free(out);

	/* apply --if-generation: refused on a stale generation. */
	f = e2e_file(e, "open.rules",
		     "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\nCOMMIT\n");
	assert_int_equal(e2e_cli(&out, e->b, "apply --if-generation 2 %s", f),
			 1);
	e2e_assert_contains(out, "generation 3, not 2");
	free(out);
	assert_int_equal(e2e_cli(NULL, e->b, "apply --if-generation 3 %s", f),
			 0);
	doc = e2e_list(e->b);
	assert_int_equal(e2e_generation(doc, "nf"), 4);
	json_decref(doc);
}

/* save > FILE, flush, restore FILE: both families back; an unknown save
 * format is refused and changes nothing. */
static void test_save_restore(void **state)
{
	struct e2e *e = *state;
	char *before = NULL, *after = NULL, *out = NULL;
	char path[160], path9[160];

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(e2e_cli(NULL, e->b,
				 "iptables -A INPUT -p tcp --dport %d -j DROP",
				 E2E_TCP_FILTER),
			 0);
	assert_int_equal(e2e_cli(NULL, e->b,
				 "ip6tables -A INPUT -p tcp --dport %d -j DROP",
				 E2E_TCP_FILTER),
			 0);
	snprintf(path, sizeof(path), "%s/saved", e->tmp);
	snprintf(path9, sizeof(path9), "%s/saved9", e->tmp);
	assert_int_equal(e2e_cli(&before, e->b, "save"), 0);
	assert_int_equal(bft_sh("ip netns exec %s %s save > %s", e->b,
				bft_bpfilter_bin(), path),
			 0);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(NULL, e->b, "restore %s", path), 0);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_false(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_FILTER));
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_int_equal(e2e_cli(&after, e->b, "save"), 0);
	/* the same tables (generations differ: 1 now) */
	assert_non_null(strstr(after, "-A INPUT -p tcp -m tcp --dport 5001 "
				      "-j DROP"));
	assert_int_equal(bft_sh("sed 's/save format 1/save format 99/' %s > "
				"%s",
				path, path9),
			 0);
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(e2e_cli(&out, e->b, "restore %s", path9), 1);
	e2e_assert_contains(out,
			    "save format 99 is not one this bpfilter reads");
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	free(out);
	free(before);
	free(after);
}

/* apply --confirm: rolled back when not confirmed, kept when confirmed. */
static void test_apply_confirm(void **state)
{
	struct e2e *e = *state;
	char *out = NULL;
	const char *f;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(e2e_cli(NULL, e->b,
				 "iptables -A INPUT -p tcp --dport %d -j DROP",
				 E2E_TCP_FILTER),
			 0);
	f = e2e_file(e, "lockout.rules",
		     "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n"
		     ":OUTPUT ACCEPT [0:0]\nCOMMIT\n");
	/* Not confirmed: back to the previous ruleset after 2 s. */
	assert_int_equal(e2e_cli(NULL, e->b, "apply --confirm 3 %s", f), 0);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	for (int i = 0; i < 40 && !e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN);
	     i++)
		usleep(100000);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_int_equal(e2e_cli(&out, e->b, "iptables -S INPUT"), 0);
	assert_string_equal(out, "-P INPUT ACCEPT\n-A INPUT -p tcp -m tcp "
				 "--dport 5001 -j DROP\n");
	free(out);
	/* Confirmed: stays. */
	assert_int_equal(e2e_cli(NULL, e->b, "apply --confirm 2 %s", f), 0);
	assert_int_equal(e2e_cli(NULL, e->b, "confirm"), 0);
	sleep(3);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_int_equal(e2e_cli(&out, e->b, "confirm"), 1);
	e2e_assert_contains(out, "nothing to confirm");
	free(out);
	/* Nothing in force before: the rollback flushes. */
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	assert_int_equal(e2e_cli(NULL, e->b, "apply --confirm 3 %s", f), 0);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	for (int i = 0; i < 40 && !e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN);
	     i++)
		usleep(100000);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	assert_int_equal(e2e_cli(&out, e->b, "list"), 0);
	assert_string_equal(out, "");
	free(out);
}

/* Invoked through links named iptables, iptables-save, iptables-restore,
 * as fail2ban and Docker call them: -C to test, -I/-D to change. */
static void test_links(void **state)
{
	struct e2e *e = *state;
	char dir[160], *out = NULL;

	BFT_REQUIRE_KERNEL();
	assert_int_equal(e2e_cli(NULL, e->b, "flush"), 0);
	snprintf(dir, sizeof(dir), "%s/links", e->tmp);
	assert_int_equal(bft_sh("mkdir -p %1$s && for n in iptables ip6tables "
				"iptables-save ip6tables-save iptables-restore "
				"ip6tables-restore; do ln -sf %2$s %1$s/$n; "
				"done",
				dir, bft_bpfilter_bin()),
			 0);
	assert_int_equal(
		bft_sh_out(&out,
			   "ip netns exec %s env PATH=%s:/usr/sbin:/usr/bin "
			   "sh -c 'set -e; iptables -w -N f2b-sshd; "
			   "iptables -w -A f2b-sshd -j RETURN; "
			   "iptables -w -C INPUT -p tcp -m multiport --dports "
			   "5001 -j f2b-sshd 2>/dev/null || iptables -w -I "
			   "INPUT -p tcp -m multiport --dports 5001 -j "
			   "f2b-sshd; "
			   "iptables -w -I f2b-sshd 1 -s 192.0.2.1 -j DROP; "
			   "ip6tables -A INPUT -p tcp --dport 5001 -j DROP; "
			   "iptables-save; ip6tables-save' 2>&1",
			   e->b, dir),
		0);
	e2e_assert_contains(out,
			    "-A INPUT -p tcp -m multiport --dports 5001 -j "
			    "f2b-sshd\n");
	e2e_assert_contains(out, "-A f2b-sshd -s 192.0.2.1/32 -j DROP\n"
				 "-A f2b-sshd -j RETURN\n");
	free(out);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	assert_false(e2e_tcp(e->a, "2001:db8::2", E2E_TCP_FILTER));
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_OPEN));
	/* unban: -C finds it, -D removes it, -C then fails with 1 */
	assert_int_equal(bft_sh("ip netns exec %1$s %2$s/iptables -C f2b-sshd "
				"-s 192.0.2.1 -j DROP && ip netns exec %1$s "
				"%2$s/iptables -D f2b-sshd -s 192.0.2.1 -j "
				"DROP",
				e->b, dir),
			 0);
	assert_int_equal(bft_sh_out(&out,
				    "ip netns exec %s %s/iptables -C f2b-sshd "
				    "-s 192.0.2.1 -j DROP 2>&1",
				    e->b, dir),
			 1);
	assert_string_equal(out, "iptables: Bad rule (does a matching rule "
				 "exist in that chain?).\n");
	free(out);
	assert_true(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
	/* iptables-save | iptables-restore through the links */
	assert_int_equal(bft_sh("ip netns exec %1$s sh -c '%2$s/iptables-save "
				"| sed s/RETURN/DROP/ | %2$s/iptables-restore'",
				e->b, dir),
			 0);
	assert_false(e2e_tcp(e->a, "192.0.2.2", E2E_TCP_FILTER));
}

/* iptables-restore --noflush on top of the table in force, against
 * iptables-legacy-restore: same tables after, same exit codes; a failing
 * line changes nothing. */
static const char noflush_script[] =
	"$I -N web; $I -A web -j RETURN; $I -A INPUT -p tcp --dport 22 -j "
	"ACCEPT; $I -A INPUT -j web\n"
	"printf '*filter\\n:FORWARD DROP [0:0]\\n:web - [0:0]\\n:new - "
	"[0:0]\\n-A web -p udp -j DROP\\n-I INPUT 1 -s 192.0.2.1 -j "
	"ACCEPT\\n-A new -j RETURN\\n-D INPUT -p tcp --dport 22 -j "
	"ACCEPT\\nCOMMIT\\n' | $R --noflush; echo rc=$?\n"
	"$I -S\n"
	"printf '*filter\\n-A INPUT -j DROP\\n-D INPUT -p tcp --dport 9 -j "
	"ACCEPT\\nCOMMIT\\n' | $R -n 2>/dev/null; echo rc=$?\n"
	"$I -S\n";

static void test_restore_noflush(void **state)
{
	char ns_k[16], ns_b[16], path[128];
	char *out_k = NULL, *out_b = NULL;
	FILE *f;

	(void)state;
	BFT_REQUIRE_KERNEL();
	snprintf(path, sizeof(path), "/tmp/bft-live-nf-%d.sh", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(noflush_script, f);
	fclose(f);
	assert_int_equal(bare_ns(ns_k, sizeof(ns_k), "lnk"), 0);
	assert_int_equal(bare_ns(ns_b, sizeof(ns_b), "lnb"), 0);
	bft_sh_out(&out_k,
		   "ip netns exec %s env I=iptables-legacy "
		   "R=iptables-legacy-restore sh %s",
		   ns_k, path);
	bft_sh_out(&out_b,
		   "ip netns exec %1$s env I='%2$s iptables' "
		   "R='%2$s iptables-restore' sh %3$s",
		   ns_b, bft_bpfilter_bin(), path);
	bare_ns_del(ns_k);
	bare_ns_del(ns_b);
	unlink(path);
	assert_non_null(out_k);
	assert_non_null(out_b);
	e2e_assert_contains(out_k, "-A new -j RETURN");
	e2e_assert_contains(out_k, "rc=1");
	assert_string_equal(out_b, out_k);
	free(out_k);
	free(out_b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iptables_like_kernel),
		cmocka_unit_test(test_corpus_replay),
		cmocka_unit_test(test_flood_during_changes),
		cmocka_unit_test(test_flood_during_segment_changes),
		cmocka_unit_test(test_flood_during_segment_changes_log),
		cmocka_unit_test(test_flood_during_user_segment_changes),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_if_generation_and_batch),
		cmocka_unit_test(test_save_restore),
		cmocka_unit_test(test_apply_confirm),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_restore_noflush),
	};

	return cmocka_run_group_tests(tests, e2e_setup_pair, teardown);
}
