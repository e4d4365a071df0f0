// SPDX-License-Identifier: GPL-2.0-only
/*
 * Persistence and safe apply: bf_restore() puts a `bpfilter save` file back
 * in force; bf_apply_confirm() applies with an automatic rollback unless
 * bf_confirm() arrives in time (a detached helper process holds the
 * previous ruleset and waits).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "load/confirm.h"
#include "load/load.h"
#include "load/pin.h"

/* ---- restore ---- */

struct section {
	char slot[40];
	int family; /* BF_FAMILY_COUNT: the slot's sets (`ipset save`) */
	uint32_t points; /* ", hooks in4,..." of an nf slot (load/points.c) */
	char *text;
	size_t len;
	FILE *m;
};

#define MAX_SECTIONS 64

static int apply_slot(const char *slot, struct section *secs, size_t n,
		      const char *name, bool counters)
{
	struct bf_apply_opts o = { .counters = counters };
	char kind[8] = "nf";
	const char *dash = strchr(slot, '-');
	int k, r;
	FILE *in[BF_FAMILY_COUNT + 1] = { NULL };

	if (dash) {
		snprintf(kind, sizeof(kind), "%.*s", (int)(dash - slot), slot);
		o.ifname = dash + 1;
	}
	k = bf_slot_kind_from_name(kind);
	if (k < 0) {
		bf_err("%s: unknown slot '%s'", name, slot);
		return -EINVAL;
	}
	o.kind = (enum bf_slot_kind)k;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(secs[i].slot, slot))
			continue;
		o.nf_points |= secs[i].points;
		in[secs[i].family] = fmemopen(
			secs[i].text, secs[i].len ? secs[i].len : 1, "r");
		if (!in[secs[i].family])
			return -errno;
		if (secs[i].family == BF_FAMILY_COUNT) {
			o.ipset.in = in[secs[i].family];
			o.ipset.path = name;
			continue;
		}
		o.input[secs[i].family].in = in[secs[i].family];
		o.input[secs[i].family].path = name;
	}
	r = bf_apply(&o);
	for (int f = 0; f <= BF_FAMILY_COUNT; f++) {
		if (in[f])
			fclose(in[f]);
	}
	return r;
}

int bf_restore(FILE *in, const char *name, bool counters)
{
	struct section secs[MAX_SECTIONS];
	size_t n = 0, cap = 0;
	_cleanup_free_ char *line = NULL;
	struct section *cur = NULL;
	int lineno = 0, r = 0;

	memset(secs, 0, sizeof(secs));
	while (getline(&line, &cap, in) >= 0) {
		char slot[40], fam[8];
		int v;

		lineno++;
		if (sscanf(line, "# bpfilter save format %d", &v) == 1) {
			if (v != BF_SAVE_FORMAT) {
				bf_log_at(BF_LOG_ERROR, name, lineno, 0,
					  "save format %d is not one this "
					  "bpfilter reads (format %d); use "
					  "the bpfilter that saved it",
					  v, BF_SAVE_FORMAT);
				r = -EPROTO;
				goto out;
			}
			continue;
		}
		if (sscanf(line, "# bpfilter slot %39[^,], %7[^,],", slot,
			   fam) == 2) {
			if (n == MAX_SECTIONS) {
				bf_log_at(BF_LOG_ERROR, name, lineno, 0,
					  "too many tables");
				r = -E2BIG;
				goto out;
			}
			cur = &secs[n++];
			snprintf(cur->slot, sizeof(cur->slot), "%s", slot);
			if (strstr(line, ", hooks "))
				cur->points = bf_nf_points_parse(
					strstr(line, ", hooks ") + 8);
			if (!strcmp(fam, "ipv4")) {
				cur->family = BF_FAMILY_INET4;
			} else if (!strcmp(fam, "ipv6")) {
				cur->family = BF_FAMILY_INET6;
			} else if (!strcmp(fam, "ipset")) {
				cur->family = BF_FAMILY_COUNT;
			} else {
				bf_log_at(BF_LOG_ERROR, name, lineno, 0,
					  "unknown family '%s'", fam);
				r = -EINVAL;
				goto out;
			}
			for (size_t i = 0; i + 1 < n; i++) {
				if (!strcmp(secs[i].slot, cur->slot) &&
				    secs[i].family == cur->family) {
					bf_log_at(BF_LOG_ERROR, name, lineno, 0,
						  "%s %s given twice", slot,
						  fam);
					r = -EINVAL;
					goto out;
				}
			}
			cur->m = open_memstream(&cur->text, &cur->len);
			if (!cur->m) {
				r = -errno;
				goto out;
			}
			/* keep line numbers of the file in messages */
			for (int i = 1; i < lineno; i++)
				fputs("#\n", cur->m);
			fputs("#\n", cur->m);
			continue;
		}
		if (!cur) {
			/* Plain iptables-save text: the nf slot, IPv4. */
			cur = &secs[n++];
			snprintf(cur->slot, sizeof(cur->slot), "nf");
			cur->family = BF_FAMILY_INET4;
			cur->m = open_memstream(&cur->text, &cur->len);
			if (!cur->m) {
				r = -errno;
				goto out;
			}
			for (int i = 1; i < lineno; i++)
				fputs("#\n", cur->m);
		}
		fputs(line, cur->m);
	}
	if (!feof(in)) {
		/* a read or allocation error, not the end of the file: do
		 * not restore part of it */
		r = errno ? -errno : -EIO;
		bf_err("%s: cannot read: %s", name, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (fclose(secs[i].m) && !r)
			r = -ENOMEM; /* the text did not fit in memory */
		secs[i].m = NULL;
	}
	if (r)
		goto out;
	if (!n) {
		bf_err("%s: no table to restore", name);
		r = -EINVAL;
		goto out;
	}
	/* One transaction per slot, in the order of the file. */
	for (size_t i = 0; i < n && !r; i++) {
		bool first = true;

		for (size_t j = 0; j < i; j++)
			first &= strcmp(secs[j].slot, secs[i].slot) != 0;
		if (first)
			r = apply_slot(secs[i].slot, secs, n, name, counters);
	}
out:
	for (size_t i = 0; i < n; i++) {
		if (secs[i].m)
			fclose(secs[i].m);
		free(secs[i].text);
	}
	return r;
}

/* ---- apply --confirm ---- */

struct snapshot {
	unsigned int families;
	char *text[BF_FAMILY_COUNT];
};

static int take_snapshot(struct bf_ruleset *rs, unsigned long long gen,
			 void *data)
{
	struct snapshot *s = data;

	(void)gen;
	s->families = rs->families;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		size_t len = 0;
		FILE *m;

		if (!(rs->families & (1u << f)))
			continue;
		m = open_memstream(&s->text[f], &len);
		if (!m)
			return -errno;
		bf_ipt_print(m, rs, f, 0);
		if (fclose(m))
			return -EIO;
	}
	return 1;
}

struct rollback {
	struct snapshot *snap;
	const char *path;
	pid_t me;
};

/* Under the namespace's lock: roll back only if nobody confirmed. */
static int do_rollback(struct bf_ruleset *rs, unsigned long long gen,
		       void *data)
{
	struct rollback *rb = data;
	int r;

	(void)gen;
	/* removed: confirmed; another pid: another apply --confirm took
	 * over */
	if (!bf_confirm_holds(rb->path, rb->me))
		return 1;
	unlink(rb->path);
	if (!rb->snap->families)
		return 2; /* nothing was in force: the helper flushes */
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		while (c->n_rules)
			bf_rule_release(&c->rules[--c->n_rules]);
	}
	/* user chains go; built-in ones get ACCEPT back */
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		for (size_t i = rs->n_chains; i-- > 0;) {
			if (rs->chains[i].family == (enum bf_family)f &&
			    !rs->chains[i].builtin)
				bf_ruleset_del_chain(rs, f, rs->chains[i].name);
		}
		for (size_t i = 0; i < rs->n_chains; i++)
			rs->chains[i].policy = BF_VERDICT_ACCEPT;
	}
	rs->families = 0;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (!(rb->snap->families & (1u << f)))
			continue;
		r = bf_ipt_parse_restore_str(rs, rb->snap->text[f],
					     "<ruleset before apply --confirm>",
					     f);
		if (r)
			return r;
	}
	rs->families = rb->snap->families;
	return 0;
}

struct helper_args {
	struct snapshot *snap;
	const char *path;
	const struct bf_apply_opts *o;
	unsigned int seconds;
};

static void helper_main(void *data)
{
	const struct helper_args *a = data;
	struct snapshot *snap = a->snap;
	const char *path = a->path;
	const struct bf_apply_opts *o = a->o;
	unsigned int seconds = a->seconds;
	struct bf_edit_opts eo = { .kind = o->kind,
				   .ifname = o->ifname,
				   .if_generation = -1 };
	struct rollback rb = { .snap = snap, .path = path, .me = getpid() };
	struct timespec end;

	bf_confirm_deadline(&end, seconds);
	/* Sleep until the deadline, or until confirm removes the file. */
	while (!bf_confirm_expired(&end)) {
		if (access(path, F_OK))
			_exit(0);
		usleep(100000);
	}
	if (bf_edit(&eo, do_rollback, &rb) == 2)
		bf_flush(&(struct bf_slot_sel){ .kind = o->kind,
						.ifname = o->ifname });
	_exit(0);
}

int bf_apply_confirm(const struct bf_apply_opts *o, unsigned int seconds)
{
	struct bf_edit_opts ro = { .kind = o->kind,
				   .ifname = o->ifname,
				   .if_generation = -1,
				   .read_only = true };
	struct snapshot snap = { 0 };
	char path[PATH_MAX];
	int r;

	if (o->ipset.path || o->ipset.in) {
		/* the rollback puts rules back, not the sets they replaced */
		bf_err("--confirm cannot roll back a replacement of the sets: "
		       "not with --ipset");
		return -EINVAL;
	}
	r = bf_confirm_path(path, sizeof(path), o->kind, o->ifname);
	if (r)
		return r;
	r = bf_edit(&ro, take_snapshot, &snap);
	if (r < 0)
		goto out;
	r = bf_apply(o);
	if (r || o->test_only || o->dump)
		goto out;
	/* the helper is nobody's child and outlives us */
	r = bf_confirm_spawn(&path, 1, NULL, helper_main,
			     &(struct helper_args){ .snap = &snap,
						    .path = path,
						    .o = o,
						    .seconds = seconds });
	if (r == -ECHILD)
		bf_err("the rollback helper did not start: the new ruleset is "
		       "in force without a rollback");
	else if (!r)
		bf_info("rolling back in %u s unless `bpfilter confirm`",
			seconds);
out:
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		free(snap.text[f]);
	return r;
}

static int do_confirm(struct bf_ruleset *rs, unsigned long long gen, void *data)
{
	const char *path = data;

	(void)rs;
	(void)gen;
	if (unlink(path)) {
		if (errno == ENOENT) {
			bf_err("nothing to confirm (no apply --confirm "
			       "pending, or it already rolled back)");
			return -ENOENT;
		}
		return -errno;
	}
	return 1;
}

int bf_confirm(enum bf_slot_kind kind, const char *ifname)
{
	struct bf_edit_opts ro = { .kind = kind,
				   .ifname = ifname,
				   .if_generation = -1,
				   .read_only = true };
	char path[PATH_MAX];
	int r = bf_confirm_path(path, sizeof(path), kind, ifname);

	if (r)
		return r;
	/* The shared lock orders us against the helper's rollback, which
	 * checks for the file under the exclusive lock. */
	r = bf_edit(&ro, do_confirm, path);
	return r == 1 ? 0 : r;
}
