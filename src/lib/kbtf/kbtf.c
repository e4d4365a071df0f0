// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/btf.h>
#include <errno.h>
#include <string.h>

#include "bpfilter/log.h"
#include "kbtf/kbtf.h"

static struct btf *vmlinux;

static struct btf *kbtf(void)
{
	if (!vmlinux) {
		vmlinux = btf__load_vmlinux_btf();
		if (!vmlinux) {
			bf_err("cannot load the kernel BTF "
			       "(/sys/kernel/btf/vmlinux): %s",
			       strerror(errno));
			vmlinux = NULL;
		}
	}
	return vmlinux;
}

int bf_kbtf_func_id(const char *name)
{
	struct btf *btf = kbtf();
	int id;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0) {
		bf_err("kernel function %s not found in the kernel BTF", name);
		return -ENOENT;
	}
	return id;
}

/* Search struct/union type `id` for `member`, descending into anonymous
 * members; returns the bit offset or -1 (and the bitfield size in
 * *bsize, if non-NULL). */
static long member_bits(const struct btf *btf, int id, const char *member,
			int depth, uint32_t *bsize)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	int vlen;

	if (!t || depth > 8)
		return -1;
	t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	if (!t || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	m = btf_members(t);
	vlen = btf_vlen(t);
	for (int i = 0; i < vlen; i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		long off = btf_member_bit_offset(t, (uint32_t)i);

		if (n && *n) {
			if (strcmp(n, member) == 0) {
				if (bsize)
					*bsize = btf_member_bitfield_size(
						t, (uint32_t)i);
				return off;
			}
			continue;
		}
		long sub = member_bits(btf, (int)m->type, member, depth + 1,
				       bsize);

		if (sub >= 0)
			return off + sub;
	}
	return -1;
}

int bf_kbtf_member_off(const char *sname, const char *member)
{
	struct btf *btf = kbtf();
	long bits;
	int id;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	if (id < 0) {
		bf_err("struct %s not found in the kernel BTF", sname);
		return -ENOENT;
	}
	bits = member_bits(btf, id, member, 0, NULL);
	if (bits < 0 || bits % 8) {
		bf_err("member %s of struct %s not found in the kernel BTF",
		       member, sname);
		return -ENOENT;
	}
	return (int)(bits / 8);
}

const char *bf_kbtf_name(int id)
{
	struct btf *btf = kbtf();
	const struct btf_type *t;

	if (!btf || id <= 0)
		return NULL;
	t = btf__type_by_id(btf, (uint32_t)id);
	if (!t)
		return NULL;
	return btf__name_by_offset(btf, t->name_off);
}

int bf_kbtf_member_bits(const char *sname, const char *member,
			uint32_t *bit_off, uint32_t *bit_size)
{
	struct btf *btf = kbtf();
	uint32_t size = 0;
	long bits;
	int id;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	if (id < 0)
		return -ENOENT;
	bits = member_bits(btf, id, member, 0, &size);
	if (bits < 0) {
		bf_err("member %s of struct %s not found in the kernel BTF",
		       member, sname);
		return -ENOENT;
	}
	*bit_off = (uint32_t)bits;
	*bit_size = size;
	return 0;
}
