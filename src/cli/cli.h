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

#endif /* BPFILTER_CLI_H */
