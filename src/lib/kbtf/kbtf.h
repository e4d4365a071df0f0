/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel BTF lookups (/sys/kernel/btf/vmlinux): kfunc ids for calls with
 * BPF_PSEUDO_KFUNC_CALL and member offsets of kernel structures read with
 * BTF-typed loads. Offsets are never hard-coded: they change between
 * kernel builds.
 *
 * The vmlinux BTF is loaded once and kept for the process lifetime.
 */
#ifndef BPFILTER_KBTF_H
#define BPFILTER_KBTF_H

#include <stdint.h>

/* BTF id of the kernel function `name`, or -errno (-ENOENT if absent). */
int bf_kbtf_func_id(const char *name);

/* BTF id of `struct name` in the kernel BTF, or -ENOENT (not logged). */
int bf_kbtf_struct_id(const char *name);

/* Byte offset of `member` in `struct sname` (members of anonymous structs
 * and unions are searched too), or -errno. */
int bf_kbtf_member_off(const char *sname, const char *member);

/* Bit offset and bit size (0 if not a bitfield) of `member` in
 * `struct sname`; 0 or -errno. */
int bf_kbtf_member_bits(const char *sname, const char *member,
			uint32_t *bit_off, uint32_t *bit_size);

/* Name of the kernel BTF type `id` (a kfunc's name for a kfunc id), or
 * NULL. */
const char *bf_kbtf_name(int id);

/* Byte offset of a member path "a.b.c" in `struct sname`: each name a
 * member of the previous one's struct or union type (anonymous members
 * searched too), e.g. ("xfrm_state", "props.saddr"); -errno. */
int bf_kbtf_path_off(const char *sname, const char *path);

/* Value of the enumerator `name` (any enum of the kernel BTF), or
 * -ENOENT. */
int bf_kbtf_enum_val(const char *name, long *val);

#endif /* BPFILTER_KBTF_H */
