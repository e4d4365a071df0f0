// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sets of a slot: their definitions in the slot's state, their maps
 * pinned next to the slot's links (<slot dir>/set_<name>), and the
 * `bpfilter set` commands that change elements in force with map updates
 * only (doc/sets.md).
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/set.h"
#include "load/pin.h"
#include "load/slot.h"
#include "load/state.h"
#include "set/ipset.h"
#include "set/map.h"
#include "set/nftelem.h"
#include "set/slot.h"

int bf_sets_from_state(struct bf_ruleset *rs, const char *text,
		       const char *slot_name)
{
	char name[64];
	int r;

	if (!text || !*text || rs->n_sets)
		return 0;
	snprintf(name, sizeof(name), "<%s sets state>", slot_name);
	r = bf_ipset_parse_str(rs, text, name);
	if (r) {
		bf_err("the stored sets of slot %s do not parse any more",
		       slot_name);
		return r;
	}
	/* definitions only: the elements are the ones in the maps in
	 * force (list:set members are part of the definition) */
	for (size_t i = 0; i < rs->n_sets; i++)
		rs->sets[i].has_elems = rs->sets[i].is_list;
	return 0;
}

int bf_sets_state_text(const struct bf_ruleset *rs, char **text, uint32_t *len)
{
	size_t sz = 0;
	FILE *m;

	*text = NULL;
	*len = 0;
	if (!rs->n_sets)
		return 0;
	m = open_memstream(text, &sz);
	if (!m)
		return -errno;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rs->n_sets; i++) {
			const struct bf_set *s = &rs->sets[i];

			if (s->origin != BF_SET_ORIGIN_IPSET ||
			    s->is_list != (pass == 1))
				continue;
			bf_ipset_print_create(m, s);
			for (size_t j = 0; s->is_list && j < s->n_elems; j++) {
				fprintf(m, "add %s ", s->name);
				bf_ipset_print_elem(m, s, &s->elems[j], false);
				fputc('\n', m);
			}
		}
	}
	if (fclose(m)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	if (sz > UINT32_MAX)
		return -E2BIG;
	*len = (uint32_t)sz;
	return 0;
}

static int set_pin_path(char *buf, size_t size, const char *dir,
			const char *name)
{
	char pin[3 * BF_SET_NAME_LEN + 8];
	int r = bf_set_pin_name(name, pin, sizeof(pin));

	if (r)
		return r;
	return bf_path(buf, size, "%s/%s", dir, pin);
}

void bf_set_maps_release(struct bf_set_maps *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	}
	free(m->fds);
	m->fds = NULL;
	m->n = 0;
}

/* Is the pinned map fd one the set's definition can use? */
static bool map_fits(int fd, const struct bf_set *set)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.key_size == bf_set_map_key_size(set) &&
	       info.value_size == sizeof(struct bf_set_val) &&
	       info.type == (bf_set_is_lpm(set) ? BPF_MAP_TYPE_LPM_TRIE :
						  BPF_MAP_TYPE_HASH);
}

int bf_set_maps_prepare(const struct bf_ruleset *rs, const char *slot_dir,
			struct bf_set_maps *m)
{
	m->n = rs->n_sets;
	m->fds = malloc((rs->n_sets ? rs->n_sets : 1) * sizeof(int));
	if (!m->fds)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_sets; i++)
		m->fds[i] = -1;
	for (size_t i = 0; i < rs->n_sets; i++) {
		const struct bf_set *set = &rs->sets[i];
		char path[PATH_MAX];
		int r;

		if (set->is_list)
			continue;
		if (!set->has_elems) {
			/* keep the elements in force: the pinned map */
			r = slot_dir ? set_pin_path(path, sizeof(path),
						    slot_dir, set->name) :
				       -ENOENT;
			m->fds[i] = r ? r : bpf_obj_get(path);
			if (m->fds[i] >= 0 && map_fits(m->fds[i], set))
				continue;
			if (m->fds[i] >= 0)
				close(m->fds[i]);
			m->fds[i] = -1;
			bf_log_at(BF_LOG_ERROR, set->file, set->line, 0,
				  "set %s: no map in force fits its "
				  "definition; give the set with its "
				  "elements (apply --ipset)",
				  set->name);
			return -ENOENT;
		}
		m->fds[i] = bf_set_map_create(set);
		if (m->fds[i] < 0)
			return m->fds[i];
		r = bf_set_map_fill(m->fds[i], set);
		if (r)
			return r;
	}
	return 0;
}

int bf_set_maps_commit(const struct bf_ruleset *rs, const struct bf_set_maps *m,
		       const char *slot_dir)
{
	struct dirent *de;
	DIR *d;
	int err = 0;

	for (size_t i = 0; i < rs->n_sets && i < m->n; i++) {
		char path[PATH_MAX], tmp[PATH_MAX];

		if (m->fds[i] < 0)
			continue;
		if (set_pin_path(path, sizeof(path), slot_dir,
				 rs->sets[i].name) ||
		    bf_path(tmp, sizeof(tmp), "%s/new_set", slot_dir))
			return -ENAMETOOLONG;
		unlink(tmp);
		/* bpffs renames replace the target atomically */
		if (bpf_obj_pin(m->fds[i], tmp) || rename(tmp, path)) {
			err = -errno;
			unlink(tmp);
			bf_err("cannot pin the map of set %s: %s",
			       rs->sets[i].name, strerror(-err));
			return err;
		}
	}
	/* pins of sets the ruleset no longer has */
	d = opendir(slot_dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		bool used = false;

		if (strncmp(de->d_name, "set_", 4))
			continue;
		for (size_t i = 0; i < rs->n_sets && !used; i++) {
			char pin[3 * BF_SET_NAME_LEN + 8];

			used = !rs->sets[i].is_list &&
			       !bf_set_pin_name(rs->sets[i].name, pin,
						sizeof(pin)) &&
			       !strcmp(pin, de->d_name);
		}
		if (!used) {
			char path[PATH_MAX];

			if (!bf_path(path, sizeof(path), "%s/%s", slot_dir,
				     de->d_name))
				unlink(path);
		}
	}
	closedir(d);
	return 0;
}

int bf_sets_load_input(struct bf_ruleset *rs, const char *path, FILE *in)
{
	_cleanup_fclose_ FILE *opened = NULL;

	if (!in && !strcmp(path, "kernel"))
		return bf_ipset_from_kernel(rs);
	if (!in) {
		if (!strcmp(path, "-")) {
			in = stdin;
			path = "<stdin>";
		} else {
			opened = fopen(path, "re");
			if (!opened) {
				int r = -errno;

				bf_err("cannot open %s: %s", path,
				       strerror(-r));
				return r;
			}
			in = opened;
		}
	}
	return bf_ipset_parse(rs, in, path ? path : "<ipset input>");
}

int bf_sets_load(struct bf_ruleset *rs, const char *path)
{
	return bf_sets_load_input(rs, path, NULL);
}

int bf_sets_load_slot(struct bf_ruleset *rs, enum bf_slot_kind kind,
		      const char *ifname)
{
	char nsdir[PATH_MAX], path[PATH_MAX];
	struct bf_slot slot;
	struct bf_state st;
	int r;

	r = bf_netns_dir(nsdir, sizeof(nsdir), false);
	if (r)
		return 0; /* nothing in force here */
	if (bf_slot_init(&slot, nsdir, (enum bf_attach_kind)kind, ifname))
		return 0;
	if (bf_path(path, sizeof(path), "%s/state", slot.dir))
		return -ENAMETOOLONG;
	if (bf_state_read(path, &st))
		return 0;
	r = bf_sets_from_state(rs, st.sets, slot.name);
	bf_state_release(&st);
	return r;
}

/* ---- bpfilter set ---- */

static bf_set_elem_parse_fn elem_parsers[2];
static bf_set_elem_print_fn elem_printers[2];

void bf_set_register_syntax(enum bf_set_origin origin,
			    bf_set_elem_parse_fn parse,
			    bf_set_elem_print_fn print)
{
	if ((unsigned)origin < ARRAY_SIZE(elem_parsers)) {
		elem_parsers[origin] = parse;
		elem_printers[origin] = print;
	}
}

static int parse_elem(const struct bf_set *set, int argc, char **argv,
		      struct bf_set_elem *e)
{
	if (set->origin == BF_SET_ORIGIN_IPSET) {
		/* nft element syntax too (`A . P`, nftelem.h) */
		char elem[300], *av0 = argv[0];
		bool nomatch;
		char jv[128];
		int r = bf_set_nft_elem_in(set, argv[0], elem, sizeof(elem),
					   false, &nomatch, jv, sizeof(jv));

		if (r)
			return r;
		argv[0] = elem;
		r = bf_ipset_parse_elem(set, argc, argv, "<command line>", 0,
					e);
		argv[0] = av0;
		return r;
	}
	if ((unsigned)set->origin < ARRAY_SIZE(elem_parsers) &&
	    elem_parsers[set->origin])
		return elem_parsers[set->origin](set, argc, argv, e);
	bf_err("set %s: no element syntax for this kind of set", set->name);
	return -EOPNOTSUPP;
}

static void print_elem(FILE *out, const struct bf_set *set,
		       const struct bf_set_elem *e)
{
	if (set->origin == BF_SET_ORIGIN_IPSET)
		bf_set_nft_elem_print(out, set, e);
	else if ((unsigned)set->origin < ARRAY_SIZE(elem_printers) &&
		 elem_printers[set->origin])
		elem_printers[set->origin](out, set, e);
}

/* Element words: each element, then its options (an option word and,
 * for those that take one, its value). */
static bool opt_takes_value(const char *w)
{
	return !strcmp(w, "timeout") || !strcmp(w, "nft-verdict") ||
	       !strcmp(w, "packets") || !strcmp(w, "bytes") ||
	       !strcmp(w, "comment");
}

static bool is_opt(const char *w)
{
	return opt_takes_value(w) || !strcmp(w, "nomatch");
}

struct change {
	enum bf_set_op op;
	int fd;
	const struct bf_set *set;
	const char *what;
};

/* Add or delete one element in the map: one update. */
static int change_one(const struct bf_set_elem *e, void *data)
{
	const struct change *c = data;
	int r;

	if (c->op == BF_SET_OP_ADD) {
		r = bf_set_map_add(c->fd, c->set, e);
		if (r == -E2BIG)
			bf_err("set %s is full (maxelem %u)", c->set->name,
			       c->set->maxelem);
	} else {
		r = bf_set_map_del(c->fd, c->set, e);
		if (r == -ENOENT)
			bf_err("element %s is not in set %s", c->what,
			       c->set->name);
	}
	if (r && r != -E2BIG && r != -ENOENT)
		bf_err("set %s: cannot %s %s: %s", c->set->name,
		       c->op == BF_SET_OP_ADD ? "add" : "delete", c->what,
		       strerror(-r));
	return r;
}

static int one_slot(const struct bf_slot *slot, enum bf_set_op op,
		    const char *name, int argc, char **argv, FILE *out,
		    int *found)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	char path[PATH_MAX];
	struct bf_state st;
	struct bf_set *set;
	_cleanup_close_ int fd = -1;
	int r;

	if (!rs)
		return -ENOMEM;
	if (bf_path(path, sizeof(path), "%s/state", slot->dir) ||
	    bf_state_read(path, &st)) {
		bf_ruleset_free(&rs);
		return 0;
	}
	r = bf_sets_from_state(rs, st.sets, slot->name);
	bf_state_release(&st);
	if (r)
		goto out;
	set = bf_ruleset_set(rs, name);
	if (!set)
		goto out;
	(*found)++;
	if (set->is_list) {
		if (op == BF_SET_OP_LIST) {
			for (size_t i = 0; i < set->n_elems; i++) {
				bf_ipset_print_elem(out, set, &set->elems[i],
						    false);
				fputc('\n', out);
			}
			goto out;
		}
		bf_err("the members of list:set %s are compiled into the "
		       "programs: change them with apply --ipset",
		       name);
		r = -EOPNOTSUPP;
		goto out;
	}
	r = set_pin_path(path, sizeof(path), slot->dir, name);
	if (!r) {
		fd = bpf_obj_get(path);
		r = fd < 0 ? -errno : 0;
	}
	if (r || !map_fits(fd, set)) {
		bf_err("slot %s: the map of set %s is missing or does not fit "
		       "its definition",
		       slot->name, name);
		r = r ? r : -EPROTO;
		goto out;
	}
	if (op == BF_SET_OP_LIST) {
		r = bf_set_map_read(fd, set);
		for (size_t i = 0; !r && i < set->n_elems; i++) {
			print_elem(out, set, &set->elems[i]);
			fputc('\n', out);
		}
		goto out;
	}
	if (op == BF_SET_OP_FLUSH) {
		r = bf_set_map_flush(fd);
		goto out;
	}
	if (op == BF_SET_OP_TEST) {
		struct bf_set_elem e;

		r = parse_elem(set, argc, argv, &e);
		if (!r)
			r = bf_set_map_test(fd, set, &e);
		if (r >= 0) {
			fprintf(out, "%s is %sin set %s.\n", argv[0],
				r ? "" : "NOT ", name);
			r = !r;
		}
		goto out;
	}
	for (int i = 0; i < argc && !r;) {
		struct change c = {
			.op = op, .fd = fd, .set = set, .what = argv[i]
		};
		int n = 1;

		while (i + n < argc && is_opt(argv[i + n]))
			n += opt_takes_value(argv[i + n]) ? 2 : 1;
		if (i + n > argc)
			n = argc - i;
		if (set->origin == BF_SET_ORIGIN_IPSET) {
			char elem[300],
				**av = calloc((size_t)n + 1, sizeof(*av));
			bool nomatch = false;

			if (!av) {
				r = -ENOMEM;
				break;
			}
			/* nft element syntax too (`A . P`, `A : drop` in a
			 * verdict map: nomatch, nftelem.h) */
			char jv[128];
			int extra = 0;

			r = bf_set_nft_elem_in(set, argv[i], elem, sizeof(elem),
					       op == BF_SET_OP_ADD, &nomatch,
					       jv, sizeof(jv));
			av[0] = elem;
			for (int k = 1; k < n; k++)
				av[k] = argv[i + k];
			if (nomatch)
				av[n + extra++] = "nomatch";
			if (!r && jv[0] && op == BF_SET_OP_ADD) {
				/* `KEY : jump C` of a verdict map with
				 * chains (nftelem.h) */
				char **nav = realloc(av, ((size_t)n + 3) *
								 sizeof(*av));

				if (!nav) {
					free(av);
					r = -ENOMEM;
					break;
				}
				av = nav;
				av[n + extra++] = "nft-verdict";
				av[n + extra++] = jv;
			}
			/* ranges and CIDRs stand for several elements */
			if (!r)
				r = bf_ipset_parse_elems(set, n + extra, av,
							 "<command line>", 0,
							 change_one, &c);
			free(av);
		} else {
			struct bf_set_elem e;

			r = parse_elem(set, n, argv + i, &e);
			if (!r)
				r = change_one(&e, &c);
		}
		i += n;
	}
out:
	bf_ruleset_free(&rs);
	return r;
}

int bf_set_command(enum bf_set_op op, const struct bf_slot_sel *sel,
		   const char *name, int argc, char **argv, FILE *out)
{
	char nsdir[PATH_MAX];
	_cleanup_close_ int lock = -1;
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	int found = 0, r;
	DIR *d;

	if (op != BF_SET_OP_LIST && op != BF_SET_OP_FLUSH && argc < 1) {
		bf_err("no element given");
		return -EINVAL;
	}
	r = bf_netns_dir(nsdir, sizeof(nsdir), false);
	if (r == -ENOENT) {
		bf_err("no set %s in force (nothing is applied here)", name);
		return -ENOENT;
	}
	if (r)
		return r;
	/* exclusive: an apply or edit replaces set maps under this lock */
	lock = bf_netns_lock(nsdir,
			     op != BF_SET_OP_LIST && op != BF_SET_OP_TEST);
	if (lock < 0)
		return lock;
	d = opendir(nsdir);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < ARRAY_SIZE(names)) {
		if (de->d_name[0] == '.')
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	r = 0;
	for (size_t i = 0; i < n; i++) {
		struct bf_slot slot;

		if (!r && !bf_slot_from_name(&slot, nsdir, names[i]) &&
		    bf_slot_selected(&slot, sel))
			r = one_slot(&slot, op, name, argc, argv, out, &found);
		free(names[i]);
	}
	if (!r && !found) {
		bf_err("no set %s in force (an nft set that `apply` inlined "
		       "into the rules, one with no BPF map form, is changed "
		       "by applying the ruleset again: doc/front-nft.md, "
		       "\"Named sets as BPF maps\")",
		       name);
		return -ENOENT;
	}
	return r;
}

int bf_sets_save(FILE *out, const struct bf_ruleset *rs, const char *slot_dir)
{
	struct bf_ruleset *copy;
	int r = 0;

	if (!rs->n_sets)
		return 0;
	copy = bf_ruleset_new();
	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_sets && !r; i++) {
		struct bf_set s = rs->sets[i];
		char path[PATH_MAX];
		int fd;

		s.elems = NULL;
		s.n_elems = s.cap_elems = 0;
		if (s.is_list) {
			for (size_t j = 0; j < rs->sets[i].n_elems && !r; j++)
				r = bf_set_add_elem(&s, &rs->sets[i].elems[j]);
		} else if (!set_pin_path(path, sizeof(path), slot_dir,
					 s.name) &&
			   (fd = bpf_obj_get(path)) >= 0) {
			r = bf_set_map_read(fd, &s);
			close(fd);
		}
		if (!r)
			r = bf_ruleset_add_set(copy, &s);
		bf_set_release(&s);
	}
	if (!r)
		bf_ipset_print(out, copy);
	bf_ruleset_free(&copy);
	return r;
}
