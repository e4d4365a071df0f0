/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between the CLI's files. */
#ifndef BPFILTER_CLI_H
#define BPFILTER_CLI_H

#include <stdarg.h>
#include <stdbool.h>

#include "bpfilter/ir.h"

/* Print "bpfilter: <message>" on stderr; returns 2 (usage error). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_help_cmd(const char *name);
int cli_parse_hook(const char *arg, int *kind);
/* --other-tables=ARG: "kernel" sets *kernel; else an error (returns 2). */
int cli_other_tables(const char *arg, bool *kernel);
int cli_status(int r);
void cli_set_verbosity(int v);
int cli_verbosity(void);

/* iptables-restore / ip6tables-restore compatible entry point. */
int cli_restore(int argc, char **argv, enum bf_family family);

/* iptables.c: the iptables command line on the ruleset in force. linked:
 * invoked as iptables/ip6tables (no bpfilter options). argv[0] is the
 * command name. */
int cli_iptables(int argc, char **argv, enum bf_family family, bool linked);
int cli_save(int argc, char **argv, enum bf_family family, bool linked);
int cli_rule(int argc, char **argv);
int cli_batch(int argc, char **argv);
/* trace.c: bpfilter trace */
int cli_trace(int argc, char **argv);
/* log.c: bpfilter log */
int cli_log(int argc, char **argv);
/* verify.c: bpfilter verify */
int cli_verify(int argc, char **argv);
/* set.c: bpfilter set */
int cli_set(int argc, char **argv);

/* main.c: the whole command line (what main() runs when no daemon
 * does). */
int cli_main(int argc, char **argv);
/* daemon.c: bpfilter daemon, and the client side: when a daemon listens
 * in this network namespace and argv is a command it runs (and
 * BPFILTER_NO_DAEMON is not set), run argv there and give its exit
 * status (true); false: run it here. */
int cli_daemon(int argc, char **argv);
bool cli_daemon_forward(int argc, char **argv, int *status);

#endif /* BPFILTER_CLI_H */
