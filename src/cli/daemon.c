// SPDX-License-Identifier: GPL-2.0-only
/*
 * `bpfilter daemon`: a resident process per network namespace that runs
 * the commands which read or change the ruleset through bf_edit() (rule,
 * iptables, ip6tables, their -save forms, batch) for the bpfilter
 * processes of that namespace, keeping the ruleset in memory between
 * changes (load/resident.h). doc/live.md, "Resident daemon".
 *
 * Protocol, on the abstract AF_UNIX SOCK_SEQPACKET socket "@bpfilter/ctl"
 * (abstract names belong to the network namespace): the client sends one
 * message, struct req_hdr then argc NUL-terminated arguments and envc
 * NUL-terminated BPFILTER_*=VALUE strings, with its fds 0, 1, 2 and its
 * working directory (O_PATH) in SCM_RIGHTS; the daemon runs cli_main()
 * on those arguments with its own fds 0-2 and working directory replaced
 * by the client's, and answers with struct rep_hdr (the exit status),
 * then an optional message for the client's stderr. One request at a
 * time: the others wait in the listen queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/helper.h"
#include "cli.h"
#include "load/resident.h"

#define SOCK_NAME "bpfilter/ctl"
#define REQ_MAGIC 0x31444642u /* "BFD1" */
#define REQ_MAX (64u * 1024)
#define REQ_FDS 4 /* stdin, stdout, stderr, working directory */

extern char **environ;

struct req_hdr {
	uint32_t magic;
	uint32_t argc, envc;
	uint32_t len; /* bytes of strings after the header */
};

struct rep_hdr {
	uint32_t magic;
	int32_t status;
};

static socklen_t sock_addr(struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* abstract: a leading NUL, no trailing one */
	memcpy(sa->sun_path + 1, SOCK_NAME, strlen(SOCK_NAME));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   strlen(SOCK_NAME));
}

/* ---- client ---- */

/* Is argv a command the daemon runs (one that goes through bf_edit())? */
static bool forwardable(int argc, char **argv)
{
	static const char *const cmds[] = {
		"rule",		 "iptables",	   "ip6tables",
		"iptables-save", "ip6tables-save", "batch",
	};
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	int i = 1;

	base = base ? base + 1 : argc > 0 ? argv[0] : "";
	for (size_t k = 1; k <= 4; k++) {
		if (!strcmp(base, cmds[k]))
			return true; /* invoked as iptables etc. */
	}
	while (i < argc &&
	       (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose") ||
		!strcmp(argv[i], "-vv")))
		i++;
	if (i >= argc)
		return false;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (!strcmp(argv[i], cmds[k]))
			return true;
	}
	return false;
}

static int put_str(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*len + n > REQ_MAX - sizeof(struct req_hdr))
		return -E2BIG;
	memcpy(buf + *len, s, n);
	*len += n;
	return 0;
}

/* The message of one request into buf (REQ_MAX bytes). */
static int build_req(char *buf, size_t *total, int argc, char **argv)
{
	struct req_hdr h = { .magic = REQ_MAGIC, .argc = (uint32_t)argc };
	char *s = buf + sizeof(h);
	size_t len = 0;

	for (int i = 0; i < argc; i++) {
		if (put_str(s, &len, argv[i]))
			return -E2BIG;
	}
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "BPFILTER_", 9) ||
		    !strncmp(*e, "BPFILTER_NO_DAEMON=", 19))
			continue;
		if (put_str(s, &len, *e))
			return -E2BIG;
		h.envc++;
	}
	h.len = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
	*total = sizeof(h) + len;
	return 0;
}

bool cli_daemon_forward(int argc, char **argv, int *status)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * REQ_FDS)];
		struct cmsghdr align;
	} cm;
	struct sockaddr_un sa;
	socklen_t salen = sock_addr(&sa);
	struct msghdr mh = { 0 };
	struct iovec iov;
	struct rep_hdr rep;
	char reply[4096];
	int fds[REQ_FDS] = { 0, 1, 2, -1 };
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int s = -1, cwd = -1;
	size_t total;
	ssize_t n;

	if (getenv("BPFILTER_NO_DAEMON") || !forwardable(argc, argv))
		return false;
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, salen))
		return false; /* no daemon here: run it ourselves */
	buf = malloc(REQ_MAX);
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!buf || cwd < 0 || build_req(buf, &total, argc, argv))
		return false;
	fds[3] = cwd;
	iov = (struct iovec){ .iov_base = buf, .iov_len = total };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	{
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
	}
	do {
		n = sendmsg(s, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)total)
		return false; /* nothing reached the daemon */
	/* From here on the daemon may be changing the ruleset: never run
	 * the command again ourselves. */
	do {
		n = recv(s, reply, sizeof(reply) - 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < (ssize_t)sizeof(rep)) {
		fprintf(stderr,
			"bpfilter: the daemon (@%s) ended before answering: "
			"the command may or may not have taken effect (see "
			"iptables-save)\n",
			SOCK_NAME);
		*status = 1;
		return true;
	}
	memcpy(&rep, reply, sizeof(rep));
	reply[n] = '\0';
	if (n > (ssize_t)sizeof(rep))
		fputs(reply + sizeof(rep), stderr);
	*status = rep.magic == REQ_MAGIC ? rep.status : 1;
	return true;
}

/* ---- server ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void answer(int c, int status, const char *msg)
{
	char buf[sizeof(struct rep_hdr) + 512];
	struct rep_hdr h = { .magic = REQ_MAGIC, .status = status };
	size_t len = sizeof(h);

	memcpy(buf, &h, sizeof(h));
	if (msg) {
		size_t m = strlen(msg);

		if (m > sizeof(buf) - len)
			m = sizeof(buf) - len;
		memcpy(buf + len, msg, m);
		len += m;
	}
	(void)!send(c, buf, len, MSG_NOSIGNAL);
}

/* The daemon's own environment (BPFILTER_* only), put back after each
 * request; the request's on top of it while it runs. */
static char **base_env;
static size_t n_base_env;

static void env_set(const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[128];

	if (!eq || (size_t)(eq - kv) >= sizeof(name))
		return;
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = '\0';
	setenv(name, eq + 1, 1);
}

static void env_reset(void)
{
	for (;;) {
		char name[128];
		char **e;

		for (e = environ; *e && strncmp(*e, "BPFILTER_", 9); e++)
			;
		if (!*e)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
		if (unsetenv(name))
			break;
	}
	for (size_t i = 0; i < n_base_env; i++)
		env_set(base_env[i]);
}

static int env_save(void)
{
	for (char **e = environ; *e; e++) {
		char **n;

		if (strncmp(*e, "BPFILTER_", 9))
			continue;
		n = realloc(base_env, (n_base_env + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		base_env = n;
		base_env[n_base_env] = strdup(*e);
		if (!base_env[n_base_env])
			return -ENOMEM;
		n_base_env++;
	}
	return 0;
}

static void env_free(void)
{
	for (size_t i = 0; i < n_base_env; i++)
		free(base_env[i]);
	free(base_env);
	base_env = NULL;
	n_base_env = 0;
}

struct daemon {
	int saved[3]; /* the daemon's own fds 0, 1, 2 */
	int root; /* its working directory */
	char *buf; /* REQ_MAX */
	/* the request being run: its socket and fds, answered yet? */
	int conn;
	int *fds;
	bool answered;
	/* BPFILTER_DAEMON_TIMES: when the request came and was answered */
	bool times;
	double t_accept, t_answer, cpu_accept, cpu_answer;
};

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void stamp_answer(struct daemon *d)
{
	d->t_answer = clock_ms(CLOCK_MONOTONIC);
	d->cpu_answer = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static void stdio_reset(void)
{
	__fpurge(stdin);
	clearerr(stdin);
	clearerr(stdout);
	clearerr(stderr);
}

/* Give the daemon its own fds 0-2 back and close the caller's. */
static void release_client(struct daemon *d)
{
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 3; i++)
		dup2(d->saved[i], i);
	stdio_reset();
	for (int i = 0; i < REQ_FDS; i++) {
		if (d->fds[i] >= 0)
			close(d->fds[i]);
		d->fds[i] = -1;
	}
}

/* bf_resident_in_force(): the change is in force and the command's
 * status is 0 (bf_edit() returns 0 from here on, and the commands run
 * here print nothing after it): answer now, and do the bookkeeping that
 * follows (IR snapshot, late counts) while the caller goes on. Not
 * when the caller asked for messages (-v): they come after this. */
static void answer_early(void *data)
{
	struct daemon *d = data;

	if (d->answered || cli_verbosity() > 0)
		return;
	release_client(d);
	answer(d->conn, 0, NULL);
	d->answered = true;
	stamp_answer(d);
}

/* Run the request of c with the client's fds (fds) as 0, 1, 2 and its
 * working directory. The exit status. */
static int run_req(struct daemon *d, char *strs, const struct req_hdr *h,
		   int *fds)
{
	char **argv = calloc(h->argc + 1, sizeof(*argv));
	char *p = strs, *end = strs + h->len;
	int status;

	if (!argv)
		return 1;
	for (uint32_t i = 0; i < h->argc; i++) {
		argv[i] = p;
		p += strlen(p) + 1;
	}
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 3; i++)
		dup2(fds[i], i);
	stdio_reset();
	if (fchdir(fds[3]))
		(void)!chdir("/");
	for (uint32_t i = 0; i < h->envc && p < end; i++) {
		if (!strncmp(p, "BPFILTER_", 9))
			env_set(p);
		p += strlen(p) + 1;
	}
	/* a fresh command: getopt, log level and callback as at start */
	optind = 0;
	opterr = 1;
	cli_set_verbosity(0);
	d->fds = fds;
	d->answered = false;
	bf_resident_on_in_force(answer_early, d);
	status = cli_main((int)h->argc, argv);
	bf_resident_on_in_force(NULL, NULL);
	if (!d->answered)
		release_client(d);
	else if (status)
		fprintf(stderr,
			"bpfilter: daemon: answered 0 when the change was in "
			"force, but the command ended with %d\n",
			status);
	(void)!fchdir(d->root);
	env_reset();
	free(argv);
	return status;
}

/* Is the request well formed: its strings all there and terminated? */
static bool req_ok(const char *strs, const struct req_hdr *h, size_t got)
{
	const char *p = strs, *end = strs + h->len;

	if (h->magic != REQ_MAGIC || h->len != got || !h->argc ||
	    h->argc > 4096 || h->envc > 4096)
		return false;
	for (uint32_t i = 0; i < h->argc + h->envc; i++) {
		const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) :
					  NULL;

		if (!z)
			return false;
		p = z + 1;
	}
	return true;
}

static void serve(struct daemon *d, int c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * REQ_FDS)];
		struct cmsghdr align;
	} cm;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct msghdr mh = { 0 };
	struct iovec iov = { .iov_base = d->buf, .iov_len = REQ_MAX };
	struct timeval tv = { .tv_sec = 5 };
	int fds[REQ_FDS] = { -1, -1, -1, -1 }, n_fds = 0, status;
	struct req_hdr h;
	ssize_t n;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crlen))
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do {
		n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	for (struct cmsghdr *cmsg = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cmsg;
	     cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		size_t k;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(fd));
			if (n_fds < REQ_FDS)
				fds[n_fds++] = fd;
			else
				close(fd);
		}
	}
	/* (read first: closing a socket with unread data resets it, and
	 * the caller would not see the answer) */
	if (cr.uid != 0 && cr.uid != geteuid()) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "bpfilter: the daemon of this network namespace "
			 "serves uid 0 and %u only, not %u\n",
			 (unsigned)geteuid(), (unsigned)cr.uid);
		answer(c, 1, msg);
		goto out;
	}
	if (n < (ssize_t)sizeof(h) || n_fds != REQ_FDS ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		answer(c, 1, "bpfilter: the daemon got a malformed request\n");
		goto out;
	}
	memcpy(&h, d->buf, sizeof(h));
	if (!req_ok(d->buf + sizeof(h), &h, (size_t)n - sizeof(h))) {
		answer(c, 1, "bpfilter: the daemon got a malformed request\n");
		goto out;
	}
	d->conn = c;
	status = run_req(d, d->buf + sizeof(h), &h, fds);
	/* (the client's fds are closed: its output ends with its status) */
	if (!d->answered) {
		answer(c, status, NULL);
		stamp_answer(d);
	}
out:
	for (int i = 0; i < REQ_FDS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
}

int cli_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct daemon d = { .saved = { -1, -1, -1 }, .root = -1 };
	struct sockaddr_un sa;
	socklen_t salen = sock_addr(&sa);
	struct sigaction act = { .sa_handler = on_signal };
	sigset_t block, waitmask;
	int c, s = -1, r = 1;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_help_cmd("daemon");
		default:
			return cli_error("see bpfilter help daemon");
		}
	}
	if (optind < argc)
		return cli_error("daemon: unexpected argument '%s'",
				 argv[optind]);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return cli_status(
			cli_error("daemon: socket: %s", strerror(errno)));
	if (bind(s, (struct sockaddr *)&sa, salen)) {
		if (errno == EADDRINUSE)
			cli_error("daemon: another bpfilter daemon already "
				  "listens in this network namespace (@%s)",
				  SOCK_NAME);
		else
			cli_error("daemon: cannot listen on @%s: %s", SOCK_NAME,
				  strerror(errno));
		close(s);
		return 1;
	}
	if (listen(s, 128)) {
		cli_error("daemon: listen: %s", strerror(errno));
		close(s);
		return 1;
	}

	/* SIGTERM/SIGINT end the daemon between two requests only: blocked
	 * but while waiting for the next one (ppoll()) */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGHUP, &act, NULL);
	/* a client that closed its stdout must not end us */
	signal(SIGPIPE, SIG_IGN);

	d.buf = malloc(REQ_MAX);
	d.root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 3; i++)
		d.saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
	if (!d.buf || d.root < 0 || d.saved[0] < 0 || d.saved[1] < 0 ||
	    d.saved[2] < 0 || env_save() || chdir("/")) {
		cli_error("daemon: cannot set up: %s", strerror(errno));
		goto out;
	}
	bf_resident_enable(true);
	d.times = getenv("BPFILTER_DAEMON_TIMES") != NULL;
	/* Keep freed memory for the next request instead of giving it back
	 * to the kernel (large blocks are mmap()ed and unmapped by default,
	 * the heap's top trimmed): what a request allocates again (state
	 * text, buffers of the change) then costs no page faults. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	fprintf(stderr, "bpfilter: daemon %d listening on @%s\n", (int)getpid(),
		SOCK_NAME);
	while (!stop) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		int cfd;

		if (ppoll(&pf, 1, NULL, &waitmask) <= 0)
			continue;
		cfd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		d.t_accept = d.t_answer = clock_ms(CLOCK_MONOTONIC);
		d.cpu_accept = d.cpu_answer =
			clock_ms(CLOCK_PROCESS_CPUTIME_ID);
		serve(&d, cfd);
		close(cfd);
		/* where a request's time goes: until the answer, and after
		 * it (the next request waits for that part) */
		if (d.times)
			fprintf(stderr,
				"bpfilter: daemon: request answered in %.2f ms "
				"(cpu %.2f ms), done %.2f ms later (cpu %.2f "
				"ms)\n",
				d.t_answer - d.t_accept,
				d.cpu_answer - d.cpu_accept,
				clock_ms(CLOCK_MONOTONIC) - d.t_answer,
				clock_ms(CLOCK_PROCESS_CPUTIME_ID) -
					d.cpu_answer);
	}
	fprintf(stderr, "bpfilter: daemon %d ending\n", (int)getpid());
	r = 0;
out:
	bf_resident_enable(false);
	close(s);
	for (int i = 0; i < 3; i++) {
		if (d.saved[i] >= 0)
			close(d.saved[i]);
	}
	if (d.root >= 0)
		close(d.root);
	free(d.buf);
	env_free();
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	return r;
}
