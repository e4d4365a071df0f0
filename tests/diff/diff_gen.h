/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differential tests: seeded random rulesets. The code moved to the library's
 * verify engine (src/lib/verify/gen.h, shared with `bpfilter verify`); this
 * wrapper keeps the include path of the differential tests.
 */
#ifndef BF_TESTS_DIFF_GEN_H
#define BF_TESTS_DIFF_GEN_H

#include "verify/gen.h"

#endif /* BF_TESTS_DIFF_GEN_H */
