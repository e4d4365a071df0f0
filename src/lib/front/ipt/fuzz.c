// SPDX-License-Identifier: GPL-2.0-only
/* Entry point for fuzzers: the whole front end on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "bpfilter/front_ipt.h"

int bf_ipt_fuzz_one(const uint8_t *data, size_t size)
{
	struct bf_ruleset *rs;
	char *text;
	FILE *devnull;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	devnull = fopen("/dev/null", "w");
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		rs = bf_ruleset_new();
		if (!rs)
			break;
		if (bf_ipt_parse_restore_str(rs, text, "fuzz", f) == 0 &&
		    devnull)
			bf_ipt_print(devnull, rs, f, BF_IPT_PRINT_COUNTERS);
		bf_ruleset_free(&rs);
	}
	if (devnull)
		fclose(devnull);
	free(text);
	return 0;
}
