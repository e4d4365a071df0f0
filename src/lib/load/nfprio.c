// SPDX-License-Identifier: GPL-2.0-only
/* Names of nf slots at other netfilter priorities (bpfilter/bpfilter.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpfilter/bpfilter.h"

void bf_nf_prio_token(int priority, char *buf, size_t size)
{
	if (!priority)
		snprintf(buf, size, "%s", "");
	else if (priority > 0)
		snprintf(buf, size, "p%d", priority);
	else /* INT_MIN has no positive int: print it through long long */
		snprintf(buf, size, "m%lld", -(long long)priority);
}

bool bf_nf_prio_parse(const char *s, int *priority)
{
	long long v;
	char *end;

	if (!s || (s[0] != 'p' && s[0] != 'm') || s[1] < '0' || s[1] > '9')
		return false;
	errno = 0;
	v = strtoll(s + 1, &end, 10);
	if (errno || *end || (s[1] == '0' && s[2]))
		return false; /* one spelling per priority: no leading 0 */
	if (s[0] == 'm')
		v = -v;
	if (v < INT_MIN || v > INT_MAX)
		return false;
	*priority = (int)v;
	return true;
}
