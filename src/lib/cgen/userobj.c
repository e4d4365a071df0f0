// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linking functions of user BPF object files into a generated program
 * (cgen/m_bpf.h, doc/user-matches.md).
 *
 * libbpf does the object work: it parses the ELF file and its BTF,
 * creates the object's maps (global data included, .rodata frozen),
 * applies CO-RE and map relocations and appends the subprograms the
 * functions call. Each object file is opened once per generated
 * program, and libbpf is asked to load the programs (functions) rules
 * use, with a section handler ("bpfilter+") whose prepare callback runs
 * right before the kernel would see each: there we copy the fully
 * relocated instructions and let libbpf load a two-instruction stand-in
 * instead. So every function of one object used by a program shares the
 * object's maps. The object (and so its maps) stays open until our
 * program is loaded; the kernel then holds the maps through our program.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/usermatch.h"
#include "cgen/emit.h"
#include "cgen/m_bpf.h"

#define UM_STRUCT "bf_usermatch_v1"
#define UM_STRUCT_PREFIX "bf_usermatch_v"

/* One function of an object, as used by the program. */
struct uobj {
	uint32_t ref;
	size_t file; /* in bf_uobjs.files */
	struct bpf_program *bprog; /* libbpf's program of the function */
	struct bpf_insn *insns;
	size_t n_insns;
	size_t off; /* where it starts in the program */
	char name[64];
};

/* One object file, opened once. */
struct ufile {
	const char *path; /* of the first reference */
	struct bpf_object *obj;
};

struct bf_uobjs {
	struct uobj *v;
	size_t n;
	struct ufile *files;
	size_t n_files;
	int umbuf_fd;
	/* to restore the program as compiled (a later load links again) */
	struct bf_program *prog;
	size_t n_insns, n_funcs;
};

/* libbpf messages of the object being opened, for error reports */
static char lb_msg[2048];

static int lb_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t len = strlen(lb_msg), add;

	vsnprintf(line, sizeof(line), fmt, ap);
	add = strlen(line);
	if (len + add + 1 > sizeof(lb_msg)) {
		/* keep the latest messages: they say why */
		lb_msg[0] = '\0';
		len = 0;
	}
	memcpy(lb_msg + len, line, add + 1);
	return 0;
}

/* The last line libbpf printed: usually the reason. */
static const char *lb_last(void)
{
	static char line[512];
	size_t len = strlen(lb_msg);
	const char *p;

	while (len && lb_msg[len - 1] == '\n')
		len--;
	p = lb_msg + len;
	while (p > lb_msg && p[-1] != '\n')
		p--;
	snprintf(line, sizeof(line), "%.*s", (int)(lb_msg + len - p), p);
	return line;
}

static struct bf_uobjs *loading; /* the prepare callback's target */

static int prepare_load(struct bpf_program *prog,
			struct bpf_prog_load_opts *opts, long cookie)
{
	static const struct bpf_insn stand_in[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const struct bpf_insn *insns = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog);

	if (!loading || !insns || !n)
		return -EINVAL;
	for (size_t i = 0; i < loading->n; i++) {
		struct uobj *o = &loading->v[i];

		if (o->bprog != prog || o->insns)
			continue;
		o->insns = malloc(n * sizeof(*insns));
		if (!o->insns)
			return -ENOMEM;
		memcpy(o->insns, insns, n * sizeof(*insns));
		o->n_insns = n;
	}
	opts->func_info = NULL;
	opts->func_info_cnt = 0;
	opts->func_info_rec_size = 0;
	opts->line_info = NULL;
	opts->line_info_cnt = 0;
	opts->line_info_rec_size = 0;
	return bpf_program__set_insns(prog, (struct bpf_insn *)stand_in, 2);
}

static int register_handler(void)
{
	static int id = -1;
	LIBBPF_OPTS(libbpf_prog_handler_opts, o,
		    .prog_prepare_load_fn = prepare_load);

	if (id >= 0)
		return 0;
	id = libbpf_register_prog_handler("bpfilter+",
					  BPF_PROG_TYPE_SOCKET_FILTER, 0, &o);
	return id < 0 ? id : 0;
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* int name(struct bf_usermatch_v1 *): 0, or -EINVAL with the reason. */
static int check_signature(const struct bf_userbpf *u, struct bpf_object *obj,
			   const char *name)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *fn, *proto, *t;
	const struct btf_param *p;
	const char *sname;
	__u32 id;
	int fid;

	if (!btf) {
		bf_err("BPF object %s has no BTF: build it with clang -g "
		       "(bpfilter checks the function's signature with it)",
		       u->path);
		return -EINVAL;
	}
	fid = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	fn = fid > 0 ? btf__type_by_id(btf, (__u32)fid) : NULL;
	proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto))
		goto bad;
	id = proto->type;
	t = skip_mods(btf, &id);
	if (!t || !btf_is_int(t) || btf_vlen(proto) != 1)
		goto bad;
	p = btf_params(proto);
	id = p->type;
	t = skip_mods(btf, &id);
	if (!t || !btf_is_ptr(t))
		goto bad;
	id = t->type;
	t = skip_mods(btf, &id);
	if (!t || !btf_is_struct(t))
		goto bad;
	sname = btf__name_by_offset(btf, t->name_off);
	if (sname && !strcmp(sname, UM_STRUCT))
		return 0;
	if (sname &&
	    !strncmp(sname, UM_STRUCT_PREFIX, strlen(UM_STRUCT_PREFIX))) {
		bf_err("BPF object %s: function %s was built against "
		       "usermatch ABI version %s; this bpfilter has version "
		       "%d (include/bpfilter/usermatch.h): rebuild it",
		       u->path, name, sname + strlen(UM_STRUCT_PREFIX),
		       BF_USERMATCH_ABI_VERSION);
		return -EINVAL;
	}
bad:
	bf_err("BPF object %s: function %s has the wrong signature: expected "
	       "`int %s(struct bf_usermatch *ctx)` (include/bpfilter/"
	       "usermatch.h)",
	       u->path, name, name);
	return -EINVAL;
}

/* Pick the function: --section names a section (or a function); without
 * it, the object's only "bpfilter" section. */
static struct bpf_program *pick(const struct bf_userbpf *u,
				struct bpf_object *obj)
{
	struct bpf_program *p, *found = NULL;
	char list[512] = "";
	size_t n = 0;

	bpf_object__for_each_program(p, obj)
	{
		const char *sec = bpf_program__section_name(p);
		bool ours = !strncmp(sec, "bpfilter", 8) &&
			    (sec[8] == '\0' || sec[8] == '/');

		if (strlen(list) + strlen(sec) + 3 < sizeof(list))
			snprintf(list + strlen(list),
				 sizeof(list) - strlen(list), "%s%s",
				 *list ? ", " : "", sec);
		if (u->section[0] ? (strcmp(sec, u->section) &&
				     strcmp(bpf_program__name(p), u->section)) :
				    !ours)
			continue;
		if (!ours) {
			bf_err("BPF object %s: section %s is not a bpfilter "
			       "section: put the function in "
			       "SEC(\"bpfilter\") or SEC(\"bpfilter/NAME\")",
			       u->path, sec);
			return NULL;
		}
		n++;
		found = p;
	}
	if (n == 1)
		return found;
	if (!n)
		bf_err("BPF object %s: no %s%s%s (sections: %s)", u->path,
		       u->section[0] ? "section or function " :
				       "\"bpfilter\" section",
		       u->section[0] ? u->section : "", "",
		       *list ? list : "none");
	else
		bf_err("BPF object %s has %zu bpfilter functions: choose one "
		       "with --section (sections: %s)",
		       u->path, n, list);
	return NULL;
}

int bf_userbpf_check(const struct bf_userbpf *u)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	libbpf_print_fn_t old;
	int r;

	if (!u || u->kind != BF_USERBPF_OBJECT)
		return -EINVAL;
	r = register_handler();
	if (r)
		return r;
	lb_msg[0] = '\0';
	old = libbpf_set_print(lb_print);
	obj = bpf_object__open_file(u->path, NULL);
	if (!obj) {
		r = -errno;
		libbpf_set_print(old);
		bf_err("cannot open BPF object %s: %s%s%s", u->path,
		       strerror(-r), *lb_msg ? ": " : "", lb_last());
		return r;
	}
	prog = pick(u, obj);
	r = prog ? check_signature(u, obj, bpf_program__name(prog)) : -ENOENT;
	libbpf_set_print(old);
	bpf_object__close(obj);
	return r;
}

/* Open object file f once, pick and check the function of each of its
 * references, and load them (the prepare callback copies them). */
static int open_file(struct bf_uobjs *objs, size_t f)
{
	struct ufile *uf = &objs->files[f];
	libbpf_print_fn_t old;
	struct bpf_program *p;
	int r;

	r = register_handler();
	if (r) {
		bf_err("cannot register the bpfilter section handler with "
		       "libbpf: %s",
		       strerror(-r));
		return r;
	}
	lb_msg[0] = '\0';
	old = libbpf_set_print(lb_print);
	uf->obj = bpf_object__open_file(uf->path, NULL);
	if (!uf->obj) {
		r = -errno;
		libbpf_set_print(old);
		bf_err("cannot open BPF object %s: %s%s%s", uf->path,
		       strerror(-r), *lb_msg ? ": " : "", lb_last());
		return r;
	}
	for (size_t i = 0; i < objs->n; i++) {
		struct uobj *o = &objs->v[i];
		const struct bf_userbpf *u = bf_userbpf_get(o->ref);

		if (o->file != f)
			continue;
		o->bprog = pick(u, uf->obj);
		if (!o->bprog) {
			libbpf_set_print(old);
			return -ENOENT;
		}
		snprintf(o->name, sizeof(o->name), "%s",
			 bpf_program__name(o->bprog));
		r = check_signature(u, uf->obj, o->name);
		if (r) {
			libbpf_set_print(old);
			return r;
		}
	}
	bpf_object__for_each_program(p, uf->obj)
	{
		bool used = false;

		for (size_t i = 0; i < objs->n; i++)
			used |= objs->v[i].file == f && objs->v[i].bprog == p;
		bpf_program__set_autoload(p, used);
	}
	loading = objs;
	r = bpf_object__load(uf->obj);
	loading = NULL;
	libbpf_set_print(old);
	for (size_t i = 0; !r && i < objs->n; i++) {
		if (objs->v[i].file == f && !objs->v[i].insns)
			r = -EINVAL;
	}
	if (r) {
		bf_err("BPF object %s: cannot prepare its functions: %s%s%s",
		       uf->path, strerror(-r), *lb_msg ? ": " : "", lb_last());
		return r;
	}
	return 0;
}

void bf_userbpf_unlink(struct bf_uobjs **objs)
{
	struct bf_program *prog;

	if (!objs || !*objs)
		return;
	prog = (*objs)->prog;
	prog->n_insns = (*objs)->n_insns;
	prog->n_funcs = (*objs)->n_funcs;
	for (size_t i = 0; i < prog->n_relocs; i++) {
		if (prog->relocs[i].kind == BF_RELOC_UFUNC)
			prog->insns[prog->relocs[i].idx].imm = -1;
	}
	for (size_t i = 0; i < (*objs)->n; i++)
		free((*objs)->v[i].insns);
	for (size_t i = 0; i < (*objs)->n_files; i++)
		bpf_object__close((*objs)->files[i].obj);
	free((*objs)->files);
	if ((*objs)->umbuf_fd >= 0)
		close((*objs)->umbuf_fd);
	free((*objs)->v);
	free(*objs);
	*objs = NULL;
}

static int add_func(struct bf_program *prog, size_t off, const char *name,
		    size_t k)
{
	struct bf_func *n =
		realloc(prog->funcs, (prog->n_funcs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	prog->funcs = n;
	n = &prog->funcs[prog->n_funcs++];
	memset(n, 0, sizeof(*n));
	n->insn_off = off;
	n->global = false;
	/* a BTF name: at most 31 characters here */
	snprintf(n->name, sizeof(n->name), "bf_u%zu_%.20s", k % 1000, name);
	return 0;
}

/* Append o's instructions at prog->n_insns and describe its functions:
 * the entry and every target of a BPF-to-BPF call or function pointer
 * inside it. */
static int append(struct bf_program *prog, struct uobj *o, size_t k)
{
	struct bpf_insn *n =
		realloc(prog->insns, (prog->n_insns + o->n_insns) * sizeof(*n));
	_cleanup_free_ size_t *starts = NULL;
	size_t n_starts = 0;
	int r;

	if (!n)
		return -ENOMEM;
	prog->insns = n;
	o->off = prog->n_insns;
	memcpy(prog->insns + o->off, o->insns, o->n_insns * sizeof(*n));
	prog->n_insns += o->n_insns;

	r = bf_insns_func_starts(o->insns, o->n_insns, &starts, &n_starts);
	if (r)
		return r;
	for (size_t i = 0; i < n_starts; i++) {
		if (i && starts[i] == starts[i - 1])
			continue;
		r = add_func(prog, o->off + starts[i], i ? "sub" : o->name, k);
		if (r)
			return r;
	}
	return 0;
}

int bf_userbpf_link(struct bf_program *prog, struct bf_uobjs **out)
{
	struct bf_uobjs *objs;
	bool need_buf = false;
	int r = 0;

	*out = NULL;
	for (size_t i = 0; i < prog->n_relocs; i++) {
		if (prog->relocs[i].kind == BF_RELOC_UMBUF ||
		    prog->relocs[i].kind == BF_RELOC_UFUNC)
			need_buf = true;
	}
	if (!need_buf)
		return 0;
	objs = calloc(1, sizeof(*objs));
	if (!objs)
		return -ENOMEM;
	objs->umbuf_fd = -1;
	objs->prog = prog;
	objs->n_insns = prog->n_insns;
	objs->n_funcs = prog->n_funcs;
	*out = objs;

	objs->umbuf_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY,
					"bf_usermatch", sizeof(uint32_t),
					sizeof(struct bf_usermatch), 1, NULL);
	if (objs->umbuf_fd < 0) {
		r = -errno;
		bf_err("cannot create the user match buffer map: %s",
		       strerror(-r));
		return r;
	}
	/* the functions used, and their files */
	for (size_t i = 0; i < prog->n_relocs; i++) {
		struct bf_reloc *rl = &prog->relocs[i];
		const struct bf_userbpf *u;
		bool known = false;
		struct uobj *v;
		size_t f;

		if (rl->kind == BF_RELOC_UMBUF)
			prog->insns[rl->idx].imm = objs->umbuf_fd;
		if (rl->kind != BF_RELOC_UFUNC)
			continue;
		for (size_t j = 0; j < objs->n; j++)
			known |= objs->v[j].ref == rl->map;
		u = bf_userbpf_get(rl->map);
		if (known)
			continue;
		if (!u || u->kind != BF_USERBPF_OBJECT)
			return -EINVAL;
		for (f = 0; f < objs->n_files; f++) {
			if (!strcmp(objs->files[f].path, u->path))
				break;
		}
		if (f == objs->n_files) {
			struct ufile *nf =
				realloc(objs->files, (f + 1) * sizeof(*nf));

			if (!nf)
				return -ENOMEM;
			objs->files = nf;
			nf[f] = (struct ufile){ .path = u->path };
			objs->n_files++;
		}
		v = realloc(objs->v, (objs->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		objs->v = v;
		v = &objs->v[objs->n++];
		memset(v, 0, sizeof(*v));
		v->ref = rl->map;
		v->file = f;
	}
	for (size_t f = 0; f < objs->n_files; f++) {
		r = open_file(objs, f);
		if (r)
			return r;
	}
	for (size_t j = 0; j < objs->n; j++) {
		r = append(prog, &objs->v[j], j);
		if (r)
			return r;
	}
	for (size_t i = 0; i < prog->n_relocs; i++) {
		struct bf_reloc *rl = &prog->relocs[i];

		if (rl->kind != BF_RELOC_UFUNC)
			continue;
		for (size_t j = 0; j < objs->n; j++) {
			if (objs->v[j].ref == rl->map)
				prog->insns[rl->idx].imm =
					(int32_t)((long)objs->v[j].off -
						  (long)rl->idx - 1);
		}
	}
	return 0;
}

void bf_userbpf_report(const struct bf_uobjs *objs, const char *log)
{
	char names[768] = "";
	const char *end, *p;
	int lines = 0;

	for (size_t i = 0; objs && i < objs->n; i++) {
		const struct bf_userbpf *u = bf_userbpf_get(objs->v[i].ref);
		size_t len = strlen(names);

		snprintf(names + len, sizeof(names) - len, "%s%s (function %s)",
			 len ? ", " : "", u ? u->path : "?", objs->v[i].name);
	}
	if (!log)
		log = "";
	/* the verifier's reason: its last lines */
	end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		end--;
	p = end;
	while (p > log && lines < 6) {
		p--;
		while (p > log && p[-1] != '\n')
			p--;
		lines++;
	}
	bf_err("the kernel verifier refused program %s, which calls user "
	       "BPF code%s%s; verifier log (end):\n%.*s",
	       objs && objs->prog ? objs->prog->name : "?",
	       *names ? " from " : "", names, (int)(end - p), p);
}
