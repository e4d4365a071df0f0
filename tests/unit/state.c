// SPDX-License-Identifier: GPL-2.0-only
/* The pinned ruleset state: texts of any size survive the map round trip,
 * a foreign map is refused. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"
#include "bpfilter/log.h"
#include "load/state.h"

static void quiet(enum bf_log_level level, const char *msg, void *data)
{
	(void)level;
	(void)msg;
	(void)data;
}

static void roundtrip(size_t len4, size_t len6)
{
	struct bf_state st = { 0 }, got;
	char *t4 = malloc(len4 + 1), *t6 = malloc(len6 + 1);
	int fd;

	assert_non_null(t4);
	assert_non_null(t6);
	for (size_t i = 0; i < len4; i++)
		t4[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < len6; i++)
		t6[i] = (char)('A' + i % 26);
	t4[len4] = t6[len6] = '\0';
	memcpy(st.hdr.magic, BF_STATE_MAGIC, sizeof(BF_STATE_MAGIC));
	st.hdr.version = BF_STATE_VERSION;
	st.hdr.generation = 42;
	st.hdr.flags = BF_STATE_USES_CT;
	st.hdr.families = 3;
	st.hdr.len[0] = (uint32_t)len4;
	st.hdr.len[1] = (uint32_t)len6;
	st.hdr.netns_ino = 4026531840ULL;
	st.text[0] = t4;
	st.text[1] = t6;
	fd = bf_state_map_create(&st);
	assert_true(fd >= 0);
	assert_int_equal(bf_state_read_fd(fd, &got), 0);
	assert_int_equal(got.hdr.generation, 42);
	assert_int_equal(got.hdr.flags, BF_STATE_USES_CT);
	assert_int_equal(got.hdr.netns_ino, 4026531840ULL);
	assert_string_equal(got.text[0], t4);
	assert_string_equal(got.text[1], t6);
	/* frozen: nothing can change it any more */
	{
		uint32_t k = 0;
		char buf[BF_STATE_CHUNK] = { 0 };

		assert_int_not_equal(bpf_map_update_elem(fd, &k, buf, 0), 0);
	}
	bf_state_release(&got);
	close(fd);
	free(t4);
	free(t6);
}

static void test_roundtrip(void **state)
{
	(void)state;
	BFT_REQUIRE_KERNEL();
	roundtrip(0, 0);
	roundtrip(1, 4095);
	roundtrip(4096, 4096);
	roundtrip(100000, 3);
}

static void test_foreign_map(void **state)
{
	struct bf_state got;
	uint32_t k = 0;
	char buf[BF_STATE_CHUNK] = "not a bpfilter state";
	int fd;

	(void)state;
	BFT_REQUIRE_KERNEL();
	bf_log_set(quiet, NULL);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "x", 4, BF_STATE_CHUNK, 1,
			    NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &k, buf, 0), 0);
	assert_int_equal(bf_state_read_fd(fd, &got), -EPROTO);
	close(fd);
	bf_log_set(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_foreign_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
