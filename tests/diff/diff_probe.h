/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differential tests: probe generation from the parsed IR. The code moved to the library's
 * verify engine (src/lib/verify/probe.h, shared with `bpfilter verify`); this
 * wrapper keeps the include path of the differential tests.
 */
#ifndef BF_TESTS_DIFF_PROBE_H
#define BF_TESTS_DIFF_PROBE_H

#include "diff_net.h"
#include "verify/probe.h"

#endif /* BF_TESTS_DIFF_PROBE_H */
