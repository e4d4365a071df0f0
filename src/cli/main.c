// SPDX-License-Identifier: GPL-2.0-only
/* Placeholder entry point; the CLI is being written. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "bpfilter: not implemented yet\n");
	return 1;
}
