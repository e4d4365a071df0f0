// SPDX-License-Identifier: GPL-2.0-only
/*
 * A one-segment change loads its segment program in a thread while the
 * state is written (load/segasync.h, doc/live.md "The segment's load
 * beside the state's write"). When the kernel refuses that program, the
 * change must go down the full rebuild with nothing of the half-made one
 * left: BPFILTER_TEST_SEG_REFUSE=1 makes the load fail. Changes made by
 * processes of their own and through a daemon (with
 * BPFILTER_RESIDENT_CHECK=1 and BPFILTER_IRSNAP_CHECK=1: the kept ruleset
 * and the IR snapshot are compared with the state at every use), refused
 * and not in turn: after each one, iptables-save gives the expected
 * INPUT rules and the generation went up by one.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

/* the helpers of e2e.h this test does not use */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "e2e.h"

#define N_RULES 40
#define N_CHANGES 16
#define MAX_RULES (N_RULES + N_CHANGES)

static char rules[MAX_RULES][96];
static size_t n_rules;
/* what the teardown removes, also after a failure */
static char cur_ns[32], cur_file[64], cur_log[64];
static pid_t cur_daemon = -1;

static void rule_text(char *buf, size_t size, unsigned int i)
{
	snprintf(buf, size,
		 "-s 198.51.100.%u/32 -p tcp -m tcp --dport %u -j DROP",
		 i % 250, 1000 + i);
}

static void insert_at(size_t pos, const char *text)
{
	memmove(rules[pos + 1], rules[pos], (n_rules - pos) * sizeof(rules[0]));
	snprintf(rules[pos], sizeof(rules[pos]), "%s", text);
	n_rules++;
}

static void delete_at(size_t pos)
{
	memmove(rules[pos], rules[pos + 1],
		(n_rules - pos - 1) * sizeof(rules[0]));
	n_rules--;
}

/* iptables-save's INPUT rules equal rules[]? */
static void check_save(const char *ns)
{
	char *out = NULL, *save = NULL;
	size_t k = 0;

	assert_int_equal(e2e_cli(&out, ns, "iptables-save"), 0);
	for (char *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "-A INPUT ", 9))
			continue;
		if (k >= n_rules || strcmp(l + 9, rules[k]))
			fail_msg("INPUT rule %zu: '%s', expected '%s'", k + 1,
				 l + 9, k < n_rules ? rules[k] : "(none)");
		k++;
	}
	assert_int_equal(k, n_rules);
	free(out);
}

static long long generation(const char *ns)
{
	json_t *doc = e2e_list(ns);
	long long g;

	assert_non_null(doc);
	g = e2e_generation(doc, "nf");
	json_decref(doc);
	return g;
}

/* A daemon in ns (stderr to log); its pid, or -1. */
static pid_t daemon_start(const char *ns, const char *log)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd < 0 || nul < 0 || dup2(fd, 2) < 0 || dup2(nul, 0) < 0 ||
		    dup2(nul, 1) < 0)
			_exit(126);
		alarm(600); /* at most as long as the test */
		/* (ip netns exec runs the command itself: pid is the
		 * daemon's) */
		execlp("ip", "ip", "netns", "exec", ns, bft_bpfilter_bin(),
		       "daemon", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		char *out = NULL;
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		bft_sh_out(&out, "grep -c 'listening' %s", log);
		if (out && atoi(out) > 0) {
			free(out);
			return pid;
		}
		free(out);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void run(bool with_daemon)
{
	char *ns = cur_ns, *file = cur_file, *log = cur_log;
	char text[96], *out = NULL;
	long long gen;
	FILE *f;

	bft_unique_name(cur_ns, sizeof(cur_ns), "sas");
	snprintf(cur_file, sizeof(cur_file), "/tmp/%s.rules", ns);
	snprintf(cur_log, sizeof(cur_log), "/tmp/%s.log", ns);
	assert_int_equal(bft_sh("ip netns add %s", ns), 0);
	/* segments of 8 rules, the checks of the incremental path on */
	setenv("BPFILTER_SEG_MIN", "8", 1);
	setenv("BPFILTER_SEG_RULES", "8", 1);
	setenv("BPFILTER_SEG_CHECK", "1", 1);
	setenv("BPFILTER_IRSNAP_CHECK", "1", 1);
	setenv("BPFILTER_RESIDENT_CHECK", "1", 1);

	f = fopen(file, "we");
	assert_non_null(f);
	fprintf(f, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		   ":OUTPUT ACCEPT [0:0]\n");
	n_rules = 0;
	for (unsigned int i = 0; i < N_RULES; i++) {
		rule_text(rules[n_rules], sizeof(rules[0]), i);
		fprintf(f, "-A INPUT %s\n", rules[n_rules++]);
	}
	fprintf(f, "COMMIT\n");
	fclose(f);
	assert_int_equal(e2e_cli(NULL, ns, "apply %s", file), 0);
	if (with_daemon) {
		cur_daemon = daemon_start(ns, log);
		assert_true(cur_daemon > 0);
	}
	gen = generation(ns);
	for (unsigned int i = 0; i < N_CHANGES; i++) {
		bool refuse = i % 2;
		size_t pos = (i * 7) % n_rules;
		unsigned int kind = (i / 2) % 4;
		int r;

		rule_text(text, sizeof(text), 500 + i);
		setenv("BPFILTER_TEST_SEG_REFUSE", refuse ? "1" : "0", 1);
		if (kind == 0) {
			r = e2e_cli(&out, ns, "-v -v iptables -A INPUT %s",
				    text);
			insert_at(n_rules, text);
		} else if (kind == 1) {
			r = e2e_cli(&out, ns, "-v -v iptables -I INPUT %zu %s",
				    pos + 1, text);
			insert_at(pos, text);
		} else if (kind == 2) {
			r = e2e_cli(&out, ns, "-v -v iptables -D INPUT %zu",
				    pos + 1);
			delete_at(pos);
		} else {
			r = e2e_cli(&out, ns, "-v -v iptables -R INPUT %zu %s",
				    pos + 1, text);
			snprintf(rules[pos], sizeof(rules[pos]), "%s", text);
		}
		setenv("BPFILTER_TEST_SEG_REFUSE", "0", 1);
		if (r)
			fail_msg("change %u (kind %u) -> %d:\n%s", i, kind, r,
				 out);
		/* refused: the full rebuild; else one segment */
		if (refuse) {
			e2e_assert_contains(out, "refused for the test");
			e2e_assert_contains(out, "edit timings: ");
		} else {
			e2e_assert_contains(out, "(one segment)");
		}
		assert_null(strstr(out, "differs"));
		free(out);
		out = NULL;
		check_save(ns);
		assert_int_equal(generation(ns), gen + 1);
		gen++;
	}
	if (with_daemon) {
		int st;

		kill(cur_daemon, SIGTERM);
		waitpid(cur_daemon, &st, 0);
		cur_daemon = -1;
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		assert_int_equal(bft_sh("! grep -q differs %s", log), 0);
	}
	/* the state read back by a process of its own */
	setenv("BPFILTER_NO_DAEMON", "1", 1);
	check_save(ns);
	unsetenv("BPFILTER_NO_DAEMON");
}

static int teardown(void **state)
{
	(void)state;
	if (cur_daemon > 0) {
		kill(cur_daemon, SIGKILL);
		waitpid(cur_daemon, NULL, 0);
		cur_daemon = -1;
	}
	unsetenv("BPFILTER_TEST_SEG_REFUSE");
	unsetenv("BPFILTER_NO_DAEMON");
	if (cur_ns[0]) {
		bft_sh("ip netns exec %s %s flush >/dev/null 2>&1", cur_ns,
		       bft_bpfilter_bin());
		bft_sh("ip netns del %s; rm -f %s %s", cur_ns, cur_file,
		       cur_log);
		cur_ns[0] = '\0';
	}
	return 0;
}

static void test_refused_by_processes(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	run(false);
}

static void test_refused_through_daemon(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	run(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_refused_by_processes, teardown),
		cmocka_unit_test_teardown(test_refused_through_daemon,
					  teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
