/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tables other than filter handed to the kernel's own iptables
 * (bf_apply_opts.other_tables_kernel).
 */
#ifndef BPFILTER_LOAD_KERNEL_H
#define BPFILTER_LOAD_KERNEL_H

#include <stdbool.h>

#include "bpfilter/ir.h"

/* Run `tool [--test]` (NULL: "iptables-restore" / "ip6tables-restore"
 * from PATH, by family) in the current network namespace with `text` (the
 * sections of bf_ipt_parse_restore_other()) on its standard input. That
 * tool replaces only the tables present in its input. Its output is
 * reported through bf_log, prefixed with `file` (the input the text came
 * from, whose line numbers it keeps). 0 if the tool exited with 0,
 * -ENOENT if it cannot be found, -ELOOP if it is this program itself (a
 * bpfilter installed as iptables-restore), -EINVAL if it refused the
 * input, another -errno if it could not be run. */
int bf_kernel_tables_restore(const char *tool, enum bf_family family,
			     const char *text, const char *file, bool test);

#endif /* BPFILTER_LOAD_KERNEL_H */
