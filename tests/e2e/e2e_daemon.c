// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end: `bpfilter daemon` (doc/live.md, "Resident daemon"). A
 * daemon runs in namespace D with BPFILTER_RESIDENT_CHECK=1 (its kept
 * ruleset is compared with a decode of the state at every change); the
 * same commands run by processes of their own in namespace R give the
 * reference.
 *  - random changes (rule add|insert|delete|replace, iptables -A -I -D -R
 *    -C -N -X, ip6tables), each through the daemon or, at random, run
 *    locally in D (BPFILTER_NO_DAEMON=1): the same exit codes and
 *    iptables-save output as R after every step, and the daemon's kept
 *    ruleset used for most of its changes;
 *  - failing commands: the same stdout, stderr and exit code through the
 *    daemon as run locally, and the state untouched;
 *  - four concurrent writers, two through the daemon: every rule once;
 *  - a second daemon refused, a non-root caller refused, a daemon killed
 *    while a caller waits (clear error), then callers run locally.
 */
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bftest.h"

#define N_STEPS 60

struct dtest {
	char d[16], r[16]; /* namespaces */
	pid_t daemon;
	char log[96], tmp[64];
};

static struct dtest T;

static int daemon_stop(int sig);

/* Start `bpfilter daemon` in namespace ns (its stderr in T.log); wait,
 * at most 5 s, for it to listen. 0 or -1. */
static int daemon_start(const char *ns)
{
	pid_t pid;

	/* one left by a test that failed half-way */
	daemon_stop(SIGKILL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(T.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0600);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* nothing of the test's own: its stdout may be a pipe
		 * someone waits on */
		if (fd < 0 || nul < 0 || bft_enter_netns(ns) ||
		    dup2(fd, 2) < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0)
			_exit(126);
		setenv("BPFILTER_RESIDENT_CHECK", "1", 1);
		setenv("BPFILTER_IRSNAP_CHECK", "1", 1);
		/* the daemon lives at most as long as the test */
		alarm(900);
		execl(bft_bpfilter_bin(), "bpfilter", "daemon", (char *)NULL);
		_exit(127);
	}
	T.daemon = pid;
	for (int i = 0; i < 100; i++) {
		char *out = NULL;
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			T.daemon = 0;
			return -1;
		}
		bft_sh_out(&out, "grep -c 'daemon %d listening' %s", (int)pid,
			   T.log);
		if (out && atoi(out) > 0) {
			free(out);
			return 0;
		}
		free(out);
		usleep(50000);
	}
	return -1;
}

/* Stop the daemon: SIGTERM (sig 0) or sig; wait at most 10 s. Its wait
 * status, or -1. */
static int daemon_stop(int sig)
{
	int st = -1;

	if (T.daemon <= 0)
		return -1;
	kill(T.daemon, sig ? sig : SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(T.daemon, &st, WNOHANG) == T.daemon) {
			T.daemon = 0;
			return st;
		}
		usleep(50000);
	}
	kill(T.daemon, SIGKILL);
	waitpid(T.daemon, &st, 0);
	T.daemon = 0;
	return -1;
}

static int n_fds(pid_t pid)
{
	char *out = NULL;
	int n;

	bft_sh_out(&out, "ls /proc/%d/fd | wc -l", (int)pid);
	n = out ? atoi(out) : -1;
	free(out);
	return n;
}

static const char base_rules[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":USR - [0:0]\n"
	"-A INPUT -s 192.0.2.1/32 -j DROP\n"
	"-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
	"-A INPUT -j USR\n"
	"-A INPUT -d 198.51.100.0/24 -p udp -m udp --sport 53 -j DROP\n"
	"-A USR -s 203.0.113.0/24 -j RETURN\n"
	"-A USR -p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP\n"
	"COMMIT\n";

static int setup(void **state)
{
	const char *why;
	char path[128];
	FILE *f;

	(void)state;
	memset(&T, 0, sizeof(T));
	if (!bft_kernel_available(&why))
		return 0; /* BFT_REQUIRE_KERNEL() in each test skips */
	snprintf(T.tmp, sizeof(T.tmp), "/tmp/bfdaemon.XXXXXX");
	if (!mkdtemp(T.tmp))
		return -1;
	snprintf(T.log, sizeof(T.log), "%s/daemon.log", T.tmp);
	snprintf(path, sizeof(path), "%s/base.rules", T.tmp);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(base_rules, f);
	fclose(f);
	bft_unique_name(T.d, sizeof(T.d), "bfdd");
	bft_unique_name(T.r, sizeof(T.r), "bfdr");
	/* segments of 4 rules: changes take the incremental path too */
	setenv("BPFILTER_SEG_MIN", "1", 1);
	setenv("BPFILTER_SEG_RULES", "4", 1);
	setenv("BPFILTER_SEG_CHECK", "1", 1);
	setenv("BPFILTER_IRSNAP_CHECK", "1", 1);
	if (bft_sh("ip netns add %s && ip netns add %s", T.d, T.r))
		return -1;
	if (bft_sh("ip netns exec %s %s apply %s/base.rules && "
		   "ip netns exec %s %s apply %s/base.rules",
		   T.d, bft_bpfilter_bin(), T.tmp, T.r, bft_bpfilter_bin(),
		   T.tmp))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_stop(SIGKILL);
	if (!T.d[0])
		return 0;
	bft_sh("for n in %s %s; do ip netns exec $n %s flush >/dev/null 2>&1;"
	       " ip netns del $n 2>/dev/null; done; rm -rf %s",
	       T.d, T.r, bft_bpfilter_bin(), T.tmp);
	return 0;
}

/* iptables-save and ip6tables-save of ns (through the daemon if any). */
static char *saved(const char *ns, bool local)
{
	char *out = NULL;

	bft_sh_out(&out,
		   "ip netns exec %s env %s %s iptables-save; "
		   "ip netns exec %s env %s %s ip6tables-save",
		   ns, local ? "BPFILTER_NO_DAEMON=1" : "", bft_bpfilter_bin(),
		   ns, local ? "BPFILTER_NO_DAEMON=1" : "", bft_bpfilter_bin());
	return out;
}

static const char *const specs[] = {
	"-s 192.0.2.%d -j DROP",
	"-p tcp --dport %d -j ACCEPT",
	"-d 198.51.100.%d/32 -p udp --sport 53 -j DROP",
	"-s 203.0.113.%d -p tcp -m tcp --tcp-flags SYN,ACK SYN -j ACCEPT",
};

/* One random command (shell words after the binary) into buf. */
static void random_cmd(char *buf, size_t size, unsigned int *seed)
{
	char spec[128];
	const char *chain = rand_r(seed) % 3 ? "INPUT" : "USR";
	int k = rand_r(seed) % 9, n = 1 + rand_r(seed) % 6;
	bool v6 = rand_r(seed) % 8 == 0;

	snprintf(spec, sizeof(spec), specs[rand_r(seed) % 4],
		 1 + rand_r(seed) % 4);
	if (v6) {
		/* the IPv6 table: rules without addresses */
		snprintf(buf, size, "%s -p udp --dport %d -j DROP",
			 k % 2 ? "ip6tables -A INPUT" : "rule delete -6 INPUT",
			 50 + rand_r(seed) % 3);
		return;
	}
	switch (k) {
	case 0:
		snprintf(buf, size, "rule add %s %s", chain, spec);
		break;
	case 1:
		snprintf(buf, size, "rule insert %s %d %s", chain, n, spec);
		break;
	case 2:
		snprintf(buf, size, "rule delete %s %s", chain, spec);
		break;
	case 3:
		snprintf(buf, size, "rule replace %s %d %s", chain, n, spec);
		break;
	case 4:
		snprintf(buf, size, "iptables -A %s %s", chain, spec);
		break;
	case 5:
		snprintf(buf, size, "iptables -I %s %d %s", chain, n, spec);
		break;
	case 6:
		snprintf(buf, size, "iptables -D %s %s", chain, spec);
		break;
	case 7:
		snprintf(buf, size, "iptables -C %s %s", chain, spec);
		break;
	default:
		snprintf(buf, size,
			 rand_r(seed) % 2 ? "iptables -N EXTRA%d" :
					    "iptables -X EXTRA%d",
			 n % 3);
		break;
	}
}

/* (1) random changes through the daemon and locally, against R. */
static void test_random(void **state)
{
	unsigned int seed = getenv("BF_TEST_SEED") ?
				    (unsigned)atoi(getenv("BF_TEST_SEED")) :
				    4242;
	int hits = 0, via_daemon = 0, expected = 0, fds0;
	/* does the daemon keep the ruleset of the state in force? (none
	 * yet) */
	bool kept = false;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_int_equal(daemon_start(T.d), 0);
	fds0 = n_fds(T.daemon);
	for (int i = 0; i < N_STEPS; i++) {
		char cmd[256], *a = NULL, *b = NULL, *sa, *sb;
		bool local = rand_r(&seed) % 3 == 0;
		/* -v -v on every other step: whether the daemon used the
		 * ruleset it kept; without, it answers as soon as the
		 * change is in force */
		bool verbose = !local && i % 2 == 0;
		int ra, rb;

		random_cmd(cmd, sizeof(cmd), &seed);
		/* through the daemon: -v -v tells whether it used the
		 * ruleset it kept (stderr kept apart) */
		ra = bft_sh_out(&a,
				"ip netns exec %s env %s %s %s %s "
				"2>%s/err",
				T.d, local ? "BPFILTER_NO_DAEMON=1" : "",
				bft_bpfilter_bin(), verbose ? "-v -v" : "", cmd,
				T.tmp);
		rb = bft_sh_out(&b,
				"ip netns exec %s env BPFILTER_NO_DAEMON=1 "
				"%s %s 2>/dev/null",
				T.r, bft_bpfilter_bin(), cmd);
		if (verbose) {
			char *h = NULL;

			via_daemon++;
			expected += kept;
			bft_sh_out(&h,
				   "grep -c 'resident ruleset of generation' "
				   "%s/err",
				   T.tmp);
			hits += h && atoi(h) > 0;
			free(h);
		}
		if (!local && bft_sh("grep -q 'differs' %s/err", T.tmp) == 0)
			fail_msg("step %d (%s): the daemon's ruleset differs "
				 "from its state",
				 i, cmd);
		if (ra != rb || strcmp(a ? a : "", b ? b : ""))
			fail_msg("step %d (%s%s): exit %d, expected %d", i, cmd,
				 local ? ", local" : "", ra, rb);
		free(a);
		free(b);
		/* what it keeps now: the ruleset a change through it put in
		 * force, or the one a read-only command read; nothing after
		 * a failed change; a stale one after a local change */
		if (local) {
			if (strncmp(cmd, "iptables -C", 11) && ra == 0)
				kept = false;
		} else {
			kept = !strncmp(cmd, "iptables -C", 11) || ra == 0;
		}
		/* alternate: what the daemon reads, what a process reads
		 * (through the daemon: it keeps what it read) */
		if (i % 2 == 0)
			kept = true;
		sa = saved(T.d, i % 2);
		sb = saved(T.r, true);
		if (!sa || !sb || strcmp(sa, sb))
			fail_msg("step %d (%s%s): iptables-save differs:\n%s\n"
				 "expected:\n%s",
				 i, cmd, local ? ", local" : "", sa ? sa : "",
				 sb ? sb : "");
		free(sa);
		free(sb);
	}
	print_message("%d of %d commands through the daemon (with -v) used "
		      "the ruleset it kept, %d expected\n",
		      hits, via_daemon, expected);
	/* after a local change or a failed one it reads the state again,
	 * and only then */
	assert_true(via_daemon > 0 && expected > 0);
	assert_int_equal(hits, expected);
	assert_int_equal(n_fds(T.daemon), fds0);
	assert_int_equal(daemon_stop(0), 0);
}

/* (2) failing commands: same output and status either way, nothing
 * changed. */
static void test_errors(void **state)
{
	static const char *const cmds[] = {
		"iptables -D INPUT -s 192.0.2.200 -j DROP",
		"iptables -C INPUT -p tcp --dport 23 -j ACCEPT",
		"iptables -C INPUT -p tcp --dport 22 -j ACCEPT",
		"iptables -A INPUT -m nosuchmatch -j DROP",
		"iptables -A NOCHAIN -j DROP",
		"iptables -D INPUT 99",
		"iptables -R INPUT 99 -j DROP",
		"iptables -X USR",
		"iptables --bogus",
		"iptables",
		"rule delete INPUT -p udp --dport 9 -j DROP",
		"rule replace INPUT 77 -j ACCEPT",
		"rule frob INPUT",
		"rule add",
		"ip6tables -A INPUT -s 192.0.2.1 -j DROP",
		"batch bad.batch",
		"batch nosuchfile",
		"iptables -L INPUT -n",
		"iptables -S",
	};
	char path[128], *before;
	FILE *f;

	(void)state;
	BFT_REQUIRE_KERNEL();
	/* a relative FILE: the caller's working directory */
	snprintf(path, sizeof(path), "%s/bad.batch", T.tmp);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("iptables -A INPUT -s 192.0.2.77 -j DROP\n"
	      "iptables -D INPUT -s 192.0.2.78 -j DROP\n",
	      f);
	fclose(f);
	assert_int_equal(daemon_start(T.d), 0);
	before = saved(T.d, true);
	assert_non_null(before);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *a = NULL, *b = NULL, *now;
		int ra, rb;

		ra = bft_sh_out(&a, "cd %s && ip netns exec %s %s %s 2>&1",
				T.tmp, T.d, bft_bpfilter_bin(), cmds[i]);
		rb = bft_sh_out(&b,
				"cd %s && ip netns exec %s env "
				"BPFILTER_NO_DAEMON=1 %s %s 2>&1",
				T.tmp, T.d, bft_bpfilter_bin(), cmds[i]);
		if (ra != rb || !a || !b || strcmp(a, b))
			fail_msg("%s: exit %d and\n%s\nthrough the daemon, "
				 "%d and\n%s\nlocally",
				 cmds[i], ra, a ? a : "", rb, b ? b : "");
		free(a);
		free(b);
		now = saved(T.d, i % 2);
		if (!now || strcmp(now, before))
			fail_msg("%s changed the ruleset", cmds[i]);
		free(now);
	}
	/* batch from the caller's stdin, twice (nothing left buffered
	 * from the first) */
	for (int i = 0; i < 2; i++) {
		char *a = NULL, *b = NULL;
		int ra, rb;

		ra = bft_sh_out(&a,
				"printf 'iptables -D INPUT -s 192.0.2.%d -j "
				"DROP\\n' | ip netns exec %s %s batch - 2>&1",
				200 + i, T.d, bft_bpfilter_bin());
		rb = bft_sh_out(&b,
				"printf 'iptables -D INPUT -s 192.0.2.%d -j "
				"DROP\\n' | ip netns exec %s env "
				"BPFILTER_NO_DAEMON=1 %s batch - 2>&1",
				200 + i, T.d, bft_bpfilter_bin());
		if (ra != rb || ra == 0 || !a || !b || strcmp(a, b))
			fail_msg(
				"batch -: exit %d and\n%s\nthrough the daemon, "
				"%d and\n%s\nlocally",
				ra, a ? a : "", rb, b ? b : "");
		free(a);
		free(b);
	}
	free(before);
	assert_int_equal(daemon_stop(0), 0);
}

/* (3) four writers at once, two through the daemon: every rule once. */
static void test_concurrent(void **state)
{
	char *out = NULL;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_int_equal(daemon_start(T.d), 0);
	assert_int_equal(
		bft_sh("for w in 0 1 2 3; do "
		       "  ( if [ $w -ge 2 ]; then export BPFILTER_NO_DAEMON=1; "
		       "fi; "
		       "    for i in $(seq 0 49); do "
		       "      timeout 60 ip netns exec %s %s rule add INPUT "
		       "-s 203.0.113.$((w * 50 + i)) -p tcp --dport 7777 "
		       "-j DROP || echo FAIL; "
		       "    done ) > %s/w$w 2>&1 & "
		       "done; wait; ! grep -q FAIL %s/w0 %s/w1 %s/w2 %s/w3",
		       T.d, bft_bpfilter_bin(), T.tmp, T.tmp, T.tmp, T.tmp,
		       T.tmp),
		0);
	out = saved(T.d, true);
	assert_non_null(out);
	for (int k = 0; k < 200; k++) {
		char line[128];
		const char *p = out;
		int n = 0;

		snprintf(line, sizeof(line),
			 "-A INPUT -s 203.0.113.%d/32 -p tcp -m tcp --dport "
			 "7777 -j DROP\n",
			 k);
		while ((p = strstr(p, line))) {
			n++;
			p += strlen(line);
		}
		if (n != 1)
			fail_msg("rule of 203.0.113.%d in force %d times", k,
				 n);
	}
	free(out);
	assert_int_equal(daemon_stop(0), 0);
}

/* (4) a second daemon, a caller of another uid, a daemon that dies. */
static void test_lifecycle(void **state)
{
	struct passwd *nobody = getpwnam("nobody");
	char *out = NULL;
	int st;
	pid_t pid;

	(void)state;
	BFT_REQUIRE_KERNEL();
	assert_int_equal(daemon_start(T.d), 0);
	assert_int_equal(
		bft_sh_out(
			&out,
			"timeout 10 ip netns exec %s %s daemon 2>&1 </dev/null",
			T.d, bft_bpfilter_bin()),
		1);
	assert_non_null(strstr(out, "another bpfilter daemon already listens"));
	free(out);

	/* uid nobody: refused with a message (not run locally either) */
	if (nobody) {
		int pfd[2];
		char buf[512] = { 0 };
		ssize_t n = 0;

		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			dup2(pfd[1], 2);
			if (bft_enter_netns(T.d) || setgid(nobody->pw_gid) ||
			    setuid(nobody->pw_uid))
				_exit(126);
			alarm(30);
			execl(bft_bpfilter_bin(), "bpfilter", "iptables-save",
			      (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		for (int i = 0; i < 100 && n < (ssize_t)sizeof(buf) - 1; i++) {
			ssize_t k = read(pfd[0], buf + n,
					 sizeof(buf) - 1 - (size_t)n);
			if (k <= 0)
				break;
			n += k;
		}
		close(pfd[0]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 1);
		if (!strstr(buf, "serves uid 0"))
			fail_msg("non-root caller: %s", buf);
	}

	/* a daemon that dies while a caller waits: the caller says so */
	kill(T.daemon, SIGSTOP);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		char path[128];

		snprintf(path, sizeof(path), "%s/dead", T.tmp);
		int e = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || e < 0 || bft_enter_netns(T.d))
			_exit(126);
		dup2(fd, 1);
		dup2(e, 2);
		alarm(30);
		execl(bft_bpfilter_bin(), "bpfilter", "rule", "add", "INPUT",
		      "-s", "192.0.2.99", "-j", "DROP", (char *)NULL);
		_exit(127);
	}
	usleep(300000); /* the caller is waiting for the answer */
	assert_int_not_equal(daemon_stop(SIGKILL), -1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1 ||
	    bft_sh("grep -q 'ended before answering' %s/dead", T.tmp)) {
		bft_sh("cat %s/dead >&2", T.tmp);
		fail_msg("a caller whose daemon died: status %#x", st);
	}
	/* no daemon: commands run by themselves */
	assert_int_equal(bft_sh("ip netns exec %s %s rule add INPUT -s "
				"192.0.2.98 -j DROP",
				T.d, bft_bpfilter_bin()),
			 0);
	out = saved(T.d, false);
	assert_non_null(out);
	assert_non_null(strstr(out, "-A INPUT -s 192.0.2.98/32 -j DROP\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_lifecycle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
