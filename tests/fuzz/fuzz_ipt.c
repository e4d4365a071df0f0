// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the iptables front end.
 *
 * bf_ipt_fuzz_one() (include/bpfilter/front_ipt.h) runs the front end on
 * arbitrary bytes: it must never crash, leak or trip UBSan, whatever the
 * input. Built by `make fuzz` into build/fuzz/fuzz_ipt with
 * -fsanitize=fuzzer,address,undefined; tests/run.sh runs it for a short
 * time with the shared corpus (../shared/corpus/rulesets, iptables-t) as
 * seeds. To fuzz longer:
 *
 *   mkdir -p /tmp/fz && build/fuzz/fuzz_ipt -max_total_time=600 /tmp/fz \
 *	../shared/corpus/rulesets ../shared/corpus/iptables-t
 *
 * A crash leaves its input in build/fuzz/artifacts/; replay it with
 * `build/fuzz/fuzz_ipt FILE`.
 */
#include <stddef.h>
#include <stdint.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/log.h"

/* Parse errors are the expected outcome for most inputs: keep them off
 * the terminal so libFuzzer's own output stays readable. */
static void quiet_log(enum bf_log_level level, const char *msg, void *data)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	bf_log_set(quiet_log, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The return value (parsed or rejected) does not matter here: only
	 * crashes, leaks and undefined behaviour do. */
	(void)bf_ipt_fuzz_one(data, size);
	return 0;
}
