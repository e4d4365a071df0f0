// SPDX-License-Identifier: GPL-2.0-only
/* Helpers of the `bpfilter verify` end-to-end tests: verifytest.h. */
#include "verifytest.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "bftest.h"
#include "verify/vutil.h"

void bft_require_bin(void)
{
	BFT_REQUIRE_KERNEL();
	if (access(bft_bpfilter_bin(), X_OK) != 0) {
		if (bft_require_kernel())
			fail_msg("%s is not built (BF_BIN)",
				 bft_bpfilter_bin());
		print_message("SKIP: %s is not built\n", bft_bpfilter_bin());
		skip();
	}
}

void bft_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

int bft_sh_shown(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bf_vsh_outv(out, fmt, ap);
	va_end(ap);
	printf("%s", *out ? *out : "");
	return r;
}
