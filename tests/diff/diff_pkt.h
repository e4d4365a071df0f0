/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differential tests: probe packets. The code moved to the library's
 * verify engine (src/lib/verify/pkt.h, shared with `bpfilter verify`); this
 * wrapper keeps the include path of the differential tests.
 */
#ifndef BF_TESTS_DIFF_PKT_H
#define BF_TESTS_DIFF_PKT_H

#include "verify/pkt.h"

#endif /* BF_TESTS_DIFF_PKT_H */
