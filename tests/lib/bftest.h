/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared test support.
 *
 * Kernel tests (BPF loading, namespaces, differential tests) need root and a
 * BPF-capable kernel. Where those are missing they skip with a clear reason;
 * when the environment sets BF_REQUIRE_KERNEL_TESTS=1 (CI does), a skip is a
 * failure instead.
 */
#ifndef BPFILTER_TEST_H
#define BPFILTER_TEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bpfilter/log.h"

/* true if this process can load BPF programs and create namespaces; else
 * *reason says why. */
bool bft_kernel_available(const char **reason);

/* In a cmocka test: skip (or fail under BF_REQUIRE_KERNEL_TESTS=1) unless
 * kernel tests can run. */
#define BFT_REQUIRE_KERNEL()                                                   \
	do {                                                                   \
		const char *bft_reason_;                                       \
		if (!bft_kernel_available(&bft_reason_)) {                     \
			if (bft_require_kernel()) {                            \
				fail_msg("kernel test cannot run: %s "         \
					 "(BF_REQUIRE_KERNEL_TESTS=1)",        \
					 bft_reason_);                         \
			}                                                      \
			print_message("SKIP: %s\n", bft_reason_);              \
			skip();                                                \
		}                                                              \
	} while (0)

bool bft_require_kernel(void);

/* Directory of the shared test corpus ($BF_CORPUS, else ../shared/corpus
 * relative to the project root), or NULL if absent. */
const char *bft_corpus_dir(void);
/* Project root ($BF_ROOT, else found from the executable's path). */
const char *bft_root(void);
/* Path of the built CLI ($BF_BIN, else <root>/build/bpfilter). */
const char *bft_bpfilter_bin(void);

/* Run a shell command built with printf formatting; returns its exit status
 * (or -1). Output goes to the test's stdout unless BFT_QUIET is set. */
int bft_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, capturing stdout into a malloc'd string (*out, NUL-terminated). */
int bft_sh_out(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Move the calling thread into the network namespace `name` (a name of
 * `ip netns add`, /var/run/netns/NAME); 0 or -1 (errno). */
int bft_enter_netns(const char *name);

/* A unique name "<prefix>-<pid>-<n>" for namespaces and interfaces (at most
 * 15 characters, so it also fits an interface name). */
void bft_unique_name(char *buf, size_t size, const char *prefix);

/* A bf_log callback (bf_log_set(bft_log_capture, &cap)) appending each
 * message and a newline to cap->text while it fits. */
struct bft_logcap {
	char text[4096];
	size_t len;
};
void bft_log_capture(enum bf_log_level level, const char *msg, void *data);

#endif /* BPFILTER_TEST_H */
