/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differential tests: namespaces, topology, sending and observing probes.
 * The code moved to the library's verify engine (src/lib/verify/net.h,
 * shared with `bpfilter verify`); this wrapper keeps the include path of
 * the differential tests, with the bpfilter binary the tests use
 * (bft_bpfilter_bin(): $BF_BIN or build/bpfilter) for the bpfilter side
 * and for the flush before a namespace is deleted.
 */
#ifndef BF_TESTS_DIFF_NET_H
#define BF_TESTS_DIFF_NET_H

#include "bftest.h"
#include "verify/net.h"

__attribute__((constructor)) static void diff_net_use_test_bin(void)
{
	bf_verify_set_bin(bft_bpfilter_bin());
}

#endif /* BF_TESTS_DIFF_NET_H */
