// SPDX-License-Identifier: GPL-2.0-only
/*
 * The LOG target's records: finding a program's ring buffer.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/pktlog.h"

int bf_pktlog_ring_fd(int prog_fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info), n;
	_cleanup_free_ uint32_t *ids = NULL;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	n = info.nr_map_ids;
	if (!n)
		return -ENOENT;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	if (info.nr_map_ids < n)
		n = info.nr_map_ids;
	for (uint32_t i = 0; i < n; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) &&
		    mi.type == BPF_MAP_TYPE_RINGBUF &&
		    !strcmp(mi.name, "bf_log"))
			return fd;
		close(fd);
	}
	return -ENOENT;
}
