/* SPDX-License-Identifier: GPL-2.0-only */
/* Ownership helpers: cleanup attributes and hand-over macros. */
#ifndef BPFILTER_HELPER_H
#define BPFILTER_HELPER_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void bf_freep(void *p)
{
	free(*(void **)p);
}

static inline void bf_closep(const int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void bf_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(bf_freep)))
#define _cleanup_close_ __attribute__((cleanup(bf_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(bf_fclosep)))

/* Take ownership: return the value and reset the variable. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) take_ptr_tmp = (p);                              \
		(p) = NULL;                                                    \
		take_ptr_tmp;                                                  \
	})
#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int take_fd_tmp = (fd);                                        \
		(fd) = -1;                                                     \
		take_fd_tmp;                                                   \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* BPFILTER_HELPER_H */
