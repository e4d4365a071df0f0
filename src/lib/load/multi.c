// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transactions over several slots (load/multi.h). The snapshot of a slot
 * is a reference (fd) to every object pinned in its directory and, for
 * each prog array among them, the program of each index: bf_apply()
 * replaces pins by renaming new objects over them and switches attach
 * points by updating the prog arrays in place (apply.c, commit()), so
 * putting back the pins and the prog array entries puts back exactly
 * what was in force. The snapshot also keeps the old links attached
 * until the transaction ends (or, with --confirm, until the helper
 * exits): a slot the transaction removes has its prog arrays emptied so
 * that its dispatchers accept without judging (link.c: a tail call to
 * an empty index falls through to NF_ACCEPT / TCX_NEXT / XDP_PASS).
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cgen/m_recent.h"
#include "load/confirm.h"
#include "load/ct.h"
#include "load/multi.h"
#include "load/pin.h"
#include "load/slot.h"
#include "load/state.h"

#define MAX_PROG_ARRAY 65536u

struct pin {
	char name[NAME_MAX + 1];
	int fd;
	bool prog_array;
	uint32_t max_entries;
	int *progs; /* per index: the program's fd, or -1 (empty) */
};

struct snap {
	struct bf_slot slot;
	enum bf_slot_kind kind;
	char sel[BF_IFNAMSIZ]; /* bf_flush() selector: device or nf token */
	bool existed;
	struct pin *pins;
	size_t n_pins;
};

struct bf_multi {
	char nsdir[PATH_MAX];
	int lock_fd;
	struct snap *s;
	size_t n;
};

static void pin_release(struct pin *p)
{
	if (p->progs) {
		for (uint32_t k = 0; k < p->max_entries; k++)
			if (p->progs[k] >= 0)
				close(p->progs[k]);
		free(p->progs);
		p->progs = NULL;
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void snap_release(struct snap *s)
{
	for (size_t i = 0; i < s->n_pins; i++)
		pin_release(&s->pins[i]);
	free(s->pins);
	s->pins = NULL;
	s->n_pins = 0;
}

int bf_multi_begin(struct bf_multi **out)
{
	struct bf_multi *m = calloc(1, sizeof(*m));
	int r;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->lock_fd = -1;
	r = bf_netns_dir(m->nsdir, sizeof(m->nsdir), true);
	if (r) {
		if (r != -EINVAL && r != -EPERM && r != -ENOENT)
			bf_err("cannot prepare the pin directory: %s",
			       strerror(-r));
		free(m);
		return r;
	}
	m->lock_fd = bf_netns_lock(m->nsdir, true);
	if (m->lock_fd >= 0 && access(m->nsdir, F_OK)) {
		/* a concurrent flush removed it while we waited */
		close(m->lock_fd);
		r = bf_netns_dir(m->nsdir, sizeof(m->nsdir), true);
		m->lock_fd = r ? r : bf_netns_lock(m->nsdir, true);
	}
	if (m->lock_fd < 0) {
		r = m->lock_fd;
		free(m);
		return r;
	}
	bf_netns_lock_held(m->nsdir, m->lock_fd);
	*out = m;
	return 0;
}

/* The kind of BPF object behind fd: 'm' map, 'p' program, 'l' link. */
static char obj_kind(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	if (strstr(target, "bpf-map"))
		return 'm';
	if (strstr(target, "bpf-prog"))
		return 'p';
	if (strstr(target, "bpf_link") || strstr(target, "bpf-link"))
		return 'l';
	return 0;
}

static int save_prog_array(struct pin *p)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (obj_kind(p->fd) != 'm')
		return 0;
	if (bpf_obj_get_info_by_fd(p->fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_PROG_ARRAY)
		return 0;
	if (info.max_entries > MAX_PROG_ARRAY)
		return -E2BIG;
	p->prog_array = true;
	p->max_entries = info.max_entries;
	p->progs =
		malloc((info.max_entries ? info.max_entries : 1) * sizeof(int));
	if (!p->progs)
		return -ENOMEM;
	for (uint32_t k = 0; k < info.max_entries; k++) {
		uint32_t id = 0;

		p->progs[k] = -1;
		/* from user space, a prog array's value is the program id */
		if (bpf_map_lookup_elem(p->fd, &k, &id))
			continue;
		p->progs[k] = bpf_prog_get_fd_by_id(id);
		if (p->progs[k] < 0) {
			p->progs[k] = -1;
			return -errno;
		}
	}
	return 0;
}

static struct snap *find(struct bf_multi *m, const struct bf_slot *slot)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->s[i].slot.dir, slot->dir))
			return &m->s[i];
	return NULL;
}

static int slot_of(struct bf_multi *m, enum bf_slot_kind kind,
		   const char *ifname, struct bf_slot *slot)
{
	int r = bf_slot_init(slot, m->nsdir, (enum bf_attach_kind)kind, ifname);

	if (r)
		bf_err("%s needs a valid interface name",
		       bf_slot_kind_name(kind));
	return r;
}

int bf_multi_save(struct bf_multi *m, enum bf_slot_kind kind,
		  const char *ifname)
{
	struct bf_slot slot;
	struct snap *s, *v;
	struct dirent *e;
	DIR *d;
	int r = slot_of(m, kind, ifname, &slot);

	if (r)
		return r;
	if (find(m, &slot))
		return 0;
	v = realloc(m->s, (m->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->s = v;
	s = &m->s[m->n++];
	memset(s, 0, sizeof(*s));
	s->slot = slot;
	s->kind = kind;
	if (kind == BF_SLOT_NF) {
		if (slot.priority)
			bf_nf_prio_token(slot.priority, s->sel, sizeof(s->sel));
		else
			snprintf(s->sel, sizeof(s->sel), "p0");
	} else {
		snprintf(s->sel, sizeof(s->sel), "%s", slot.ifname);
	}
	d = opendir(slot.dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	s->existed = true;
	r = 0;
	while (!r && (e = readdir(d))) {
		char path[PATH_MAX];
		struct pin *p, *pv;

		if (e->d_name[0] == '.')
			continue;
		r = bf_path(path, sizeof(path), "%s/%s", slot.dir, e->d_name);
		if (r)
			break;
		pv = realloc(s->pins, (s->n_pins + 1) * sizeof(*pv));
		if (!pv) {
			r = -ENOMEM;
			break;
		}
		s->pins = pv;
		p = &s->pins[s->n_pins];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", e->d_name);
		p->fd = bpf_obj_get(path);
		if (p->fd < 0) {
			r = -errno;
			bf_err("cannot keep %s for a rollback: %s", path,
			       strerror(-r));
			break;
		}
		s->n_pins++;
		r = save_prog_array(p);
		if (r)
			bf_err("cannot read the programs of %s: %s", path,
			       strerror(-r));
	}
	closedir(d);
	return r;
}

/* Put the programs of the prog arrays of s back (all: true), or empty
 * them (all: false). */
static int set_prog_arrays(struct snap *s, bool all)
{
	int err = 0;

	for (size_t i = 0; i < s->n_pins; i++) {
		struct pin *p = &s->pins[i];

		if (!p->prog_array)
			continue;
		for (uint32_t k = 0; k < p->max_entries; k++) {
			int fd = all ? p->progs[k] : -1;

			if (fd >= 0 ? bpf_map_update_elem(p->fd, &k, &fd,
							  BPF_ANY) :
				      bpf_map_delete_elem(p->fd, &k) &&
					      errno != ENOENT) {
				if (!err)
					err = -errno;
			}
		}
	}
	return err;
}

int bf_multi_remove(struct bf_multi *m, enum bf_slot_kind kind,
		    const char *ifname)
{
	struct bf_slot slot;
	struct bf_slot_sel sel;
	struct snap *s;
	int r = bf_multi_save(m, kind, ifname);

	if (r)
		return r;
	r = slot_of(m, kind, ifname, &slot);
	if (r)
		return r;
	s = find(m, &slot);
	sel.kind = kind;
	sel.ifname = s->sel;
	r = bf_flush(&sel);
	if (!r)
		r = set_prog_arrays(s, false);
	return r;
}

static int restore(struct bf_multi *m, struct snap *s)
{
	struct bf_slot_sel sel = { .kind = s->kind, .ifname = s->sel };
	char path[PATH_MAX];
	struct bf_state st;
	struct dirent *e;
	DIR *d;
	int r, err;

	if (!s->existed)
		return bf_flush(&sel);
	/* the old programs first: the links in force run them again */
	err = set_prog_arrays(s, true);
	d = opendir(s->slot.dir);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (!bf_path(path, sizeof(path), "%s/%s", s->slot.dir,
				     e->d_name))
				unlink(path);
		}
		closedir(d);
	}
	if (mkdir(s->slot.dir, 0700) && errno != EEXIST && !err)
		err = -errno;
	for (size_t i = 0; i < s->n_pins; i++) {
		r = bf_path(path, sizeof(path), "%s/%s", s->slot.dir,
			    s->pins[i].name);
		if (!r && bpf_obj_pin(s->pins[i].fd, path))
			r = -errno;
		if (r) {
			bf_err("cannot put %s back: %s", path, strerror(-r));
			err = err ? err : r;
		}
	}
	/* conntrack as the slot in force needs it (a flush of another
	 * slot of the transaction may have turned it off) */
	if (!bf_path(path, sizeof(path), "%s/state", s->slot.dir) &&
	    !bf_state_read(path, &st)) {
		if (st.hdr.flags & BF_STATE_CT_MASK)
			bf_ct_enable(st.hdr.flags & BF_STATE_CT_MASK);
		bf_state_release(&st);
	}
	(void)m;
	return err;
}

int bf_multi_rollback(struct bf_multi *m)
{
	int err = 0;

	/* slots that did not exist first (their flush may turn conntrack
	 * off), then the ones put back */
	for (size_t i = m->n; i-- > 0;) {
		if (m->s[i].existed)
			continue;
		int r = restore(m, &m->s[i]);
		err = err ? err : r;
	}
	for (size_t i = m->n; i-- > 0;) {
		if (!m->s[i].existed)
			continue;
		int r = restore(m, &m->s[i]);
		err = err ? err : r;
	}
	/* recent/hashlimit tables only the new rulesets used */
	bf_stateful_gc(m->nsdir);
	return err;
}

/* ---- --confirm over several slots ---- */

struct helper_args {
	struct bf_multi *m;
	char (*files)[PATH_MAX];
	size_t n;
	unsigned int seconds;
};

/* In the helper, before it writes its files: it keeps the snapshot's
 * fds, not the lock. */
static void confirm_child_init(void *data)
{
	struct bf_multi *m = ((struct helper_args *)data)->m;

	close(m->lock_fd);
	m->lock_fd = -1;
	bf_netns_lock_held(NULL, -1);
}

static void confirm_helper(void *data)
{
	const struct helper_args *a = data;
	struct bf_multi *m = a->m;
	char(*files)[PATH_MAX] = a->files;
	size_t n = a->n;
	pid_t me = getpid();
	struct timespec end;
	bool confirmed = false;
	int lock;

	bf_confirm_deadline(&end, a->seconds);
	while (!bf_confirm_expired(&end)) {
		for (size_t i = 0; i < n; i++)
			confirmed |= !bf_confirm_holds(files[i], me);
		if (confirmed)
			break;
		usleep(100000);
	}
	lock = bf_netns_lock(m->nsdir, true);
	if (lock < 0)
		_exit(1);
	bf_netns_lock_held(m->nsdir, lock);
	/* under the lock, as bf_confirm() removes its file under it: one
	 * slot confirmed (or taken over by a newer apply --confirm) keeps
	 * the whole transaction */
	for (size_t i = 0; i < n; i++)
		confirmed |= !bf_confirm_holds(files[i], me);
	for (size_t i = 0; i < n; i++)
		if (bf_confirm_holds(files[i], me))
			unlink(files[i]);
	if (!confirmed)
		bf_multi_rollback(m);
	close(lock);
	_exit(0);
}

int bf_multi_confirm(struct bf_multi *m, unsigned int seconds)
{
	char(*files)[PATH_MAX] = calloc(m->n ? m->n : 1, sizeof(*files));
	struct helper_args args;
	size_t n = 0;
	int r = 0;

	if (!files)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		bool dup = false;

		r = bf_confirm_path(files[n], sizeof(files[n]), m->s[i].kind,
				    m->s[i].slot.ifname);
		if (r)
			goto out;
		for (size_t k = 0; k < n; k++)
			dup |= !strcmp(files[k], files[n]);
		if (!dup)
			n++;
	}
	/* the helper is nobody's child and outlives us */
	args = (struct helper_args){
		.m = m, .files = files, .n = n, .seconds = seconds
	};
	r = bf_confirm_spawn(files, n, confirm_child_init, confirm_helper,
			     &args);
	if (r == -ECHILD)
		bf_err("the rollback helper did not start");
out:
	free(files);
	return r;
}

void bf_multi_end(struct bf_multi **mp)
{
	struct bf_multi *m = *mp;

	if (!m)
		return;
	bf_netns_lock_held(NULL, -1);
	if (m->lock_fd >= 0)
		close(m->lock_fd);
	for (size_t i = 0; i < m->n; i++)
		snap_release(&m->s[i]);
	free(m->s);
	free(m);
	*mp = NULL;
}
