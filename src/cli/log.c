// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpfilter log: print the packets logged by LOG rules in force in this
 * network namespace, in the kernel's LOG format (bf_pktlog_format()),
 * optionally as JSON and/or to syslog(3).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "bpfilter/ir.h"
#include "bpfilter/pktlog.h"
#include "cli/cli.h"

struct logctx {
	bool json, to_syslog;
	unsigned long n;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_rec(const struct bf_pktlog_rec *r, const char *slot,
		      const char *prefix, int level, uint8_t flags, void *data)
{
	struct logctx *x = data;
	char line[2048];

	if (r->target == BF_PKTLOG_NFLOG) {
		/* NFLOG: the group in front (nfnetlink_log cannot be
		 * reached from BPF; doc/hooks.md), the prefix followed by a
		 * space as ulogd prints it */
		char pfx[BF_NFLOG_PREFIX_MAX + 1];
		int n = snprintf(line, sizeof(line),
				 "NFLOG group %u: ", r->nflog_group);

		snprintf(pfx, sizeof(pfx), "%s%s", prefix ? prefix : "",
			 prefix && *prefix ? " " : "");
		bf_pktlog_format(r, pfx, flags, line + n,
				 sizeof(line) - (size_t)n);
	} else {
		bf_pktlog_format(r, prefix, flags, line, sizeof(line));
	}
	x->n++;
	if (x->to_syslog)
		syslog(LOG_KERN | (level & 7), "%s", line);
	if (x->json) {
		json_t *o = json_pack(
			"{s:s, s:s?, s:i, s:I, s:s, s:s, s:I, "
			"s:s, s:s}",
			"slot", slot, "prefix", prefix, "level", level,
			"counter", (json_int_t)r->counter_idx, "family",
			bf_family_name(r->family), "hook",
			bf_hook_name(r->hook), "len", (json_int_t)r->len,
			"line", line, "target",
			r->target == BF_PKTLOG_NFLOG ? "NFLOG" : "LOG");

		if (o && r->target == BF_PKTLOG_NFLOG)
			json_object_set_new(o, "group",
					    json_integer(r->nflog_group));

		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(o);
		}
	} else {
		printf("%s\n", line);
	}
	fflush(stdout);
}

int cli_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "syslog", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct logctx x = { 0 };
	struct bf_pktlog_reader *rd = NULL;
	bool follow = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "fjsh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 'j':
			x.json = true;
			break;
		case 's':
			x.to_syslog = true;
			break;
		case 'h':
			return cli_help_cmd("log");
		default:
			return 2;
		}
	}
	if (optind < argc)
		return cli_error("log: unexpected argument '%s'", argv[optind]);
	r = bf_pktlog_reader_open(print_rec, &x, &rd);
	if (r == -ENOENT) {
		/* nothing logs here: nothing to print */
		return 0;
	}
	if (r)
		return cli_error("log: cannot open the LOG ring buffers: %s",
				 strerror(-r));
	if (x.to_syslog)
		openlog("bpfilter", LOG_NDELAY, LOG_KERN);
	if (follow) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	do {
		r = bf_pktlog_reader_poll(rd, follow ? 500 : 0);
	} while (follow && !stop && r >= 0);
	bf_pktlog_reader_free(&rd);
	if (x.to_syslog)
		closelog();
	if (r < 0)
		return cli_error("log: %s", strerror(-r));
	return 0;
}
