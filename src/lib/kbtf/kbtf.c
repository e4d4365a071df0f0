// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpfilter/log.h"
#include "kbtf/kbtf.h"

static struct btf *vmlinux;

/*
 * Loading /sys/kernel/btf/vmlinux (5.5 MB, 126,000 types here) takes 8 to
 * 70 ms, more than the rest of a small change. The few answers a process
 * needs are kept in a cache file (BPFILTER_KBTF_CACHE, default
 * /run/bpfilter.kbtf; "" disables it): one "key value" line per answer,
 * after a "boot <boot_id>" line; a file of another boot is ignored and
 * replaced. Lines are appended with one write() each (O_APPEND), so
 * concurrent processes do not tear them. Only root can write /run.
 */
struct kc_entry {
	char *key;
	char *val;
};
static struct kc_entry *kc;
static size_t n_kc;
static bool kc_loaded;
static char kc_boot[64];

static const char *kc_path(void)
{
	const char *p = getenv("BPFILTER_KBTF_CACHE");

	return p ? p : "/run/bpfilter.kbtf";
}

static void kc_add(const char *key, const char *val)
{
	struct kc_entry *n = realloc(kc, (n_kc + 1) * sizeof(*kc));

	if (!n)
		return;
	kc = n;
	kc[n_kc].key = strdup(key);
	kc[n_kc].val = strdup(val);
	if (!kc[n_kc].key || !kc[n_kc].val) {
		free(kc[n_kc].key);
		free(kc[n_kc].val);
		return;
	}
	n_kc++;
}

static void kc_load(void)
{
	char line[512];
	FILE *f;
	bool ok = true;

	kc_loaded = true;
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f)
		return;
	if (!fgets(kc_boot, sizeof(kc_boot), f))
		kc_boot[0] = '\0';
	fclose(f);
	kc_boot[strcspn(kc_boot, "\n")] = '\0';
	if (!*kc_path() || !kc_boot[0])
		return;
	f = fopen(kc_path(), "re");
	if (!f)
		return;
	while (ok && fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		line[strcspn(line, "\n")] = '\0';
		if (!sp)
			continue;
		*sp = '\0';
		if (!strcmp(line, "boot"))
			ok = !strcmp(sp + 1, kc_boot);
		else
			kc_add(line, sp + 1);
	}
	fclose(f);
	if (!ok) {
		/* another boot's answers: forget them */
		for (size_t i = 0; i < n_kc; i++) {
			free(kc[i].key);
			free(kc[i].val);
		}
		n_kc = 0;
		unlink(kc_path());
	}
}

static const char *kc_get(const char *key)
{
	if (!kc_loaded)
		kc_load();
	for (size_t i = 0; i < n_kc; i++) {
		if (!strcmp(kc[i].key, key))
			return kc[i].val;
	}
	return NULL;
}

static void kc_put(const char *key, const char *val)
{
	char buf[600];
	struct stat st;
	int fd, len = 0;

	kc_add(key, val);
	if (!*kc_path() || !kc_boot[0])
		return;
	fd = open(kc_path(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size == 0)
		len = snprintf(buf, sizeof(buf), "boot %s\n", kc_boot);
	len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s %s\n", key,
			val);
	if (len > 0 && (size_t)len < sizeof(buf) &&
	    write(fd, buf, (size_t)len) != len)
		bf_dbg("cannot write %s", kc_path());
	close(fd);
}

static bool kc_int(const char *key, long *out)
{
	const char *v = kc_get(key);
	char *end;

	if (!v)
		return false;
	*out = strtol(v, &end, 10);
	return !*end;
}

static void kc_put_int(const char *key, long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%ld", v);
	kc_put(key, val);
}

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
	struct btf *btf;
	char key[256];
	long v;
	int id;

	snprintf(key, sizeof(key), "func:%s", name);
	if (kc_int(key, &v) && v > 0 && v <= INT32_MAX)
		return (int)v;
	btf = kbtf();
	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0) {
		bf_err("kernel function %s not found in the kernel BTF", name);
		return -ENOENT;
	}
	kc_put_int(key, id);
	return id;
}

int bf_kbtf_struct_id(const char *name)
{
	struct btf *btf;
	char key[256];
	long v;
	int id;

	snprintf(key, sizeof(key), "struct:%s", name);
	if (kc_int(key, &v) && v > 0 && v <= INT32_MAX)
		return (int)v;
	btf = kbtf();
	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id <= 0)
		return -ENOENT;
	kc_put_int(key, id);
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
	struct btf *btf;
	char key[256];
	long bits;
	int id;

	snprintf(key, sizeof(key), "off:%s.%s", sname, member);
	if (kc_int(key, &bits) && bits >= 0 && bits <= INT32_MAX)
		return (int)bits;
	btf = kbtf();
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
	kc_put_int(key, bits / 8);
	return (int)(bits / 8);
}

const char *bf_kbtf_name(int id)
{
	struct btf *btf;
	const struct btf_type *t;
	const char *name;
	char key[32];

	if (id <= 0)
		return NULL;
	snprintf(key, sizeof(key), "name:%d", id);
	name = kc_get(key);
	if (name)
		return name;
	btf = kbtf();
	if (!btf)
		return NULL;
	t = btf__type_by_id(btf, (uint32_t)id);
	if (!t)
		return NULL;
	name = btf__name_by_offset(btf, t->name_off);
	if (name && *name && !strchr(name, ' '))
		kc_put(key, name);
	return name;
}

int bf_kbtf_member_bits(const char *sname, const char *member,
			uint32_t *bit_off, uint32_t *bit_size)
{
	struct btf *btf;
	uint32_t size = 0;
	char key[256];
	const char *v;
	long bits;
	int id;

	snprintf(key, sizeof(key), "bits:%s.%s", sname, member);
	v = kc_get(key);
	if (v && sscanf(v, "%u/%u", bit_off, bit_size) == 2)
		return 0;
	btf = kbtf();
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
	{
		char val[32];

		snprintf(val, sizeof(val), "%u/%u", *bit_off, size);
		kc_put(key, val);
	}
	return 0;
}

/* The struct or union type id a member `name` of type `id` has, with its
 * bit offset added to *bits; -1 if absent. */
static int member_type(const struct btf *btf, int id, const char *name,
		       long *bits, int depth)
{
	const struct btf_type *t;
	const struct btf_member *m;
	int vlen;

	if (depth > 8)
		return -1;
	id = btf__resolve_type(btf, (uint32_t)id);
	t = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;
	if (!t || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	m = btf_members(t);
	vlen = btf_vlen(t);
	for (int i = 0; i < vlen; i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		long off = btf_member_bit_offset(t, (uint32_t)i);

		if (n && *n) {
			if (strcmp(n, name))
				continue;
			*bits += off;
			return (int)m->type;
		}
		long sub = 0;
		int r = member_type(btf, (int)m->type, name, &sub, depth + 1);

		if (r > 0) {
			*bits += off + sub;
			return r;
		}
	}
	return -1;
}

int bf_kbtf_path_off(const char *sname, const char *path)
{
	char key[256], buf[128];
	struct btf *btf;
	long bits = 0, v;
	char *save = NULL, *tok;
	int id;

	snprintf(key, sizeof(key), "path:%s.%s", sname, path);
	if (kc_int(key, &v) && v >= 0 && v <= INT32_MAX)
		return (int)v;
	if (strlen(path) >= sizeof(buf))
		return -EINVAL;
	btf = kbtf();
	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	strcpy(buf, path);
	for (tok = strtok_r(buf, ".", &save); tok && id > 0;
	     tok = strtok_r(NULL, ".", &save))
		id = member_type(btf, id, tok, &bits, 0);
	if (id <= 0 || bits % 8) {
		bf_err("member %s of struct %s not found in the kernel BTF",
		       path, sname);
		return -ENOENT;
	}
	kc_put_int(key, bits / 8);
	return (int)(bits / 8);
}

int bf_kbtf_enum_val(const char *name, long *val)
{
	char key[256];
	struct btf *btf;
	uint32_t n;

	snprintf(key, sizeof(key), "enum:%s", name);
	if (kc_int(key, val))
		return 0;
	btf = kbtf();
	if (!btf)
		return -ENOENT;
	n = btf__type_cnt(btf);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *en;

		if (!t || !btf_is_enum(t))
			continue;
		en = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, en++) {
			const char *s = btf__name_by_offset(btf, en->name_off);

			if (s && !strcmp(s, name)) {
				*val = en->val;
				kc_put_int(key, *val);
				return 0;
			}
		}
	}
	return -ENOENT;
}
