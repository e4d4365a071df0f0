// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ruleset a resident process keeps between changes: see
 * load/resident.h and doc/live.md, "Resident daemon".
 *
 * What bf_edit() reads is the IR snapshot of the state in force
 * (bf_irsnap_load()): the ruleset exactly as parsing the state's text
 * gives it. The ruleset a change put in force is that same IR but for
 * what the snapshot does not hold or holds differently: the lines of the
 * rules and chains (those of the new text), their file name (the
 * state's), the chain order (user chains in the order of the text's
 * ":NAME" lines), no rule counters, the sets read from their text, and
 * the numbering (redone by bf_edit()). take() puts those back, from the
 * text of the state just read, which is the one that ruleset was
 * written as.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "load/irsnap.h"
#include "load/load.h"
#include "load/pin.h"
#include "load/resident.h"
#include "set/slot.h"

static struct {
	bool on;
	/* the ruleset kept and the state it is the IR of */
	struct bf_ruleset *rs;
	char dir[PATH_MAX];
	uint32_t state_id;
	uint64_t generation;
	/* rs is already in the form take() gives (normalized against that
	 * state's text), and the text is kept with it (text.hdr.magic[0]
	 * set): see bf_resident_written() */
	bool normalized;
	struct bf_state text;
	/* bf_resident_written()'s ruleset, state map id and state, until
	 * bf_edit() ends */
	const struct bf_ruleset *written;
	uint32_t written_id;
	struct bf_state wtext;
	/* the state the last take() saw */
	bool seen;
	char seen_dir[PATH_MAX];
	uint32_t seen_id;
	uint64_t seen_gen;
} res;

static void (*in_force_cb)(void *data);
static void *in_force_data;

void bf_resident_on_in_force(void (*cb)(void *data), void *data)
{
	in_force_cb = cb;
	in_force_data = data;
}

void bf_resident_in_force(void)
{
	if (res.on && in_force_cb)
		in_force_cb(in_force_data);
}

static void written_release(void)
{
	res.written = NULL;
	bf_state_release(&res.wtext);
	memset(&res.wtext, 0, sizeof(res.wtext));
}

void bf_resident_enable(bool on)
{
	res.on = on;
	if (!on) {
		bf_resident_drop();
		written_release();
	}
}

bool bf_resident_enabled(void)
{
	return res.on;
}

void bf_resident_drop(void)
{
	bf_ruleset_free(&res.rs);
	res.dir[0] = '\0';
	res.normalized = false;
	bf_state_release(&res.text);
	memset(&res.text, 0, sizeof(res.text));
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static uint32_t state_id_of(const char *slotdir)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;

	bf_path(path, sizeof(path), "%s/state", slotdir);
	fd = bpf_obj_get(path);
	return fd < 0 ? 0 : map_id(fd);
}

/* rs as bf_irsnap_load() of st gives it (see the top of the file): 0, 1
 * when rs and st's text disagree, or -errno. */
static int normalize(struct bf_ruleset *rs, const struct bf_state *st,
		     const char *slot_name)
{
	_cleanup_free_ size_t *next = calloc(rs->n_chains + 1, sizeof(*next));
	_cleanup_free_ size_t *order = calloc(rs->n_chains + 1, sizeof(*order));
	const char *files[BF_FAMILY_COUNT];
	size_t n_order = 0;
	int r;

	if (!next || !order)
		return -ENOMEM;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		char name[64];

		snprintf(name, sizeof(name), "<%s %s state>", slot_name,
			 bf_family_name(f));
		files[f] = bf_ruleset_intern_file(rs, name);
		if (!files[f])
			return -ENOMEM;
	}
	for (size_t i = 0; i < rs->n_chains; i++)
		rs->chains[i].line = 0;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		long hint = -1;
		int line = 1;

		if (!(st->hdr.families & (1u << f)) || !st->text[f])
			continue;
		for (const char *l = st->text[f]; *l;
		     l = bf_irsnap_next_line(l), line++) {
			struct bf_rule *rule;
			long ci;

			if (l[0] == ':') {
				ci = bf_irsnap_chain_at(rs, f, l + 1, -1);
				if (ci < 0)
					return 1;
				rs->chains[ci].line = line;
				continue;
			}
			if (strncmp(l, "-A ", 3))
				continue;
			ci = bf_irsnap_chain_at(rs, f, l + 3, hint);
			if (ci < 0 || next[ci] >= rs->chains[ci].n_rules)
				return 1;
			hint = ci;
			rule = &rs->chains[ci].rules[next[ci]++];
			memset(&rule->counter, 0, sizeof(rule->counter));
			if (rule->line == line && rule->file == files[f])
				continue;
			rule->line = line;
			rule->file = files[f];
			for (size_t k = 0; k < rule->n_matches; k++)
				rule->matches[k].line = line;
		}
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];
		bool parsed = st->hdr.families & (1u << c->family) &&
			      st->text[c->family];

		if (parsed ?
			    next[i] != c->n_rules || (!c->builtin && !c->line) :
			    c->n_rules || !c->builtin)
			return 1;
		if (!c->builtin)
			memset(&c->policy_counter, 0,
			       sizeof(c->policy_counter));
	}

	/* chain order: the built-in ones, then each family's user chains
	 * in the order of their ":NAME" lines (as irsnap.c stores them) */
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].builtin)
			order[n_order++] = i;
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		size_t from = n_order;

		for (size_t i = 0; i < rs->n_chains; i++) {
			size_t k;

			if (rs->chains[i].builtin ||
			    (int)rs->chains[i].family != f)
				continue;
			for (k = n_order++;
			     k > from &&
			     rs->chains[order[k - 1]].line > rs->chains[i].line;
			     k--)
				order[k] = order[k - 1];
			order[k] = i;
		}
	}
	for (size_t i = 0; i < n_order; i++) {
		if (order[i] != i) {
			_cleanup_free_ struct bf_chain *c =
				malloc(rs->n_chains * sizeof(*c));

			if (!c)
				return -ENOMEM;
			for (size_t k = 0; k < n_order; k++)
				c[k] = rs->chains[order[k]];
			memcpy(rs->chains, c, rs->n_chains * sizeof(*c));
			break;
		}
	}

	/* named sets: from their text, as bf_irsnap_load() reads them */
	for (size_t i = 0; i < rs->n_sets; i++)
		bf_set_release(&rs->sets[i]);
	rs->n_sets = 0;
	r = bf_sets_from_state(rs, st->sets, slot_name);
	if (r)
		return r;
	rs->families = st->hdr.families;
	memset(rs->src_text, 0, sizeof(rs->src_text));
	memset(rs->src_file, 0, sizeof(rs->src_file));
	return 0;
}

/* rs == ref as bf_edit() goes on with them (BPFILTER_RESIDENT_CHECK):
 * every field but pointers, capacities, numbering and the built-in
 * chains' policy counters (bf_edit() sets them from the counters map). */
static bool same(const struct bf_ruleset *rs, const struct bf_ruleset *ref)
{
	if (rs->n_chains != ref->n_chains || rs->families != ref->families ||
	    rs->n_sets != ref->n_sets) {
		bf_err("resident ruleset: %zu/%zu chains, families %u/%u, "
		       "%zu/%zu sets",
		       rs->n_chains, ref->n_chains, rs->families, ref->families,
		       rs->n_sets, ref->n_sets);
		return false;
	}
	for (size_t i = 0; i < rs->n_sets; i++) {
		if (strcmp(rs->sets[i].name, ref->sets[i].name)) {
			bf_err("resident ruleset: set %zu differs", i);
			return false;
		}
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *a = &rs->chains[i], *b = &ref->chains[i];
		struct bf_chain na = *a, nb = *b;

		na.rules = nb.rules = NULL;
		na.cap_rules = nb.cap_rules = 0;
		na.policy_counter_idx = nb.policy_counter_idx = 0;
		if (a->builtin) {
			memset(&na.policy_counter, 0,
			       sizeof(na.policy_counter));
			memset(&nb.policy_counter, 0,
			       sizeof(nb.policy_counter));
		}
		if (memcmp(&na, &nb, sizeof(na))) {
			bf_err("resident ruleset: chain %zu (%s/%s) differs: "
			       "line %d/%d, rules %zu/%zu",
			       i, a->name, b->name, a->line, b->line,
			       a->n_rules, b->n_rules);
			return false;
		}
		for (size_t j = 0; j < a->n_rules; j++) {
			const struct bf_rule *x = &a->rules[j],
					     *y = &b->rules[j];
			struct bf_rule nx = *x, ny = *y;

			nx.matches = ny.matches = NULL;
			nx.file = ny.file = NULL;
			nx.counter_idx = ny.counter_idx = 0;
			if (memcmp(&nx, &ny, sizeof(nx)) ||
			    !x->file != !y->file ||
			    (x->file && strcmp(x->file, y->file)) ||
			    (x->n_matches &&
			     memcmp(x->matches, y->matches,
				    x->n_matches * sizeof(*x->matches)))) {
				bf_err("resident ruleset: rule %zu of %s "
				       "differs (line %d/%d)",
				       j, a->name, x->line, y->line);
				return false;
			}
		}
	}
	return true;
}

/* BPFILTER_RESIDENT_CHECK=1: rs against a decode (or parse) of st. */
static int check(const struct bf_ruleset *rs, const struct bf_state *st,
		 const char *slotdir, const char *slot_name)
{
	struct bf_ruleset *ref = bf_ruleset_new();
	int r;

	if (!ref)
		return -ENOMEM;
	r = bf_irsnap_load(ref, st, slotdir, slot_name);
	if (r > 0)
		r = bf_state_parse(ref, st, slot_name, st->hdr.families);
	if (!r) {
		ref->families = st->hdr.families;
		if (!same(rs, ref)) {
			bf_err("the resident ruleset of %s differs from its "
			       "state",
			       slotdir);
			r = -EPROTO;
		}
	}
	bf_ruleset_free(&ref);
	return r;
}

static bool env_is(const char *name, const char *v)
{
	const char *e = getenv(name);

	return e && !strcmp(e, v);
}

int bf_resident_take(struct bf_ruleset **rs, const struct bf_state *st,
		     const char *slotdir, const char *slot_name)
{
	struct bf_ruleset *kept;
	uint32_t id;
	int r;

	res.seen = false;
	if (!res.on)
		return 1;
	id = state_id_of(slotdir);
	if (!id) {
		bf_resident_drop();
		return 1;
	}
	res.seen = true;
	snprintf(res.seen_dir, sizeof(res.seen_dir), "%s", slotdir);
	res.seen_id = id;
	res.seen_gen = st->hdr.generation;
	if (!res.rs || strcmp(res.dir, slotdir) || res.state_id != id ||
	    res.generation != st->hdr.generation) {
		if (res.rs)
			bf_dbg("resident ruleset: the state changed "
			       "(generation %llu, map %u; kept %llu, %u): "
			       "reading it",
			       (unsigned long long)st->hdr.generation, id,
			       (unsigned long long)res.generation,
			       res.state_id);
		bf_resident_drop();
		return 1;
	}
	/* no snapshot of it (user BPF code, BPFILTER_IRSNAP=0): what the
	 * process reads otherwise is the parse of the text */
	if (!bf_irsnap_of(st, id, slotdir)) {
		bf_resident_drop();
		return 1;
	}
	kept = res.rs;
	res.rs = NULL;
	/* normalized after the change that wrote st, while its caller went
	 * on (bf_resident_written()): st is the text it was normalized
	 * against (same map id and generation) */
	r = res.normalized ? 0 : normalize(kept, st, slot_name);
	res.normalized = false;
	if (r == 1)
		bf_dbg("resident ruleset: does not fit the state's text");
	if (!r && env_is("BPFILTER_RESIDENT_CHECK", "1"))
		r = check(kept, st, slotdir, slot_name);
	if (r) {
		bf_ruleset_free(&kept);
		return r;
	}
	bf_ruleset_free(rs);
	*rs = kept;
	bf_dbg("resident ruleset of generation %llu: no decode",
	       (unsigned long long)st->hdr.generation);
	return 0;
}

void bf_resident_written(struct bf_ruleset *rs, struct bf_state *st,
			 int state_fd, const char *slot_name)
{
	written_release();
	if (!res.on || normalize(rs, st, slot_name))
		return; /* take() normalizes it (or finds it does not fit) */
	res.written = rs;
	res.written_id = map_id(state_fd);
	res.wtext = *st;
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		st->text[f] = NULL;
	st->sets = NULL;
}

static void keep(struct bf_ruleset **rs, const char *slotdir, uint32_t id,
		 uint64_t gen)
{
	bool norm = *rs && res.written == *rs && res.written_id == id &&
		    res.wtext.hdr.generation == gen;

	bf_resident_drop();
	if (!*rs || !id)
		return;
	res.rs = *rs;
	*rs = NULL;
	snprintf(res.dir, sizeof(res.dir), "%s", slotdir);
	res.state_id = id;
	res.generation = gen;
	if (norm) {
		res.normalized = true;
		res.text = res.wtext;
		memset(&res.wtext, 0, sizeof(res.wtext));
	}
}

int bf_resident_read(const char *slotdir, const char *path, struct bf_state *st)
{
	char chunk[BF_STATE_CHUNK];
	_cleanup_close_ int fd = -1;
	uint32_t key = 0;

	written_release(); /* an earlier bf_apply()'s, if any */
	if (!res.on || !res.rs || !res.normalized || !res.text.hdr.magic[0] ||
	    strcmp(res.dir, slotdir))
		return 1;
	fd = bpf_obj_get(path);
	if (fd < 0 || map_id(fd) != res.state_id ||
	    bpf_map_lookup_elem(fd, &key, chunk) ||
	    memcmp(chunk, &res.text.hdr, sizeof(res.text.hdr)))
		return 1;
	if (env_is("BPFILTER_RESIDENT_CHECK", "1")) {
		struct bf_state full = { 0 };
		bool same_text = !bf_state_read_fd(fd, &full);

		for (int f = 0; same_text && f < BF_FAMILY_COUNT; f++)
			same_text = !full.text[f] == !res.text.text[f] &&
				    (!full.text[f] ||
				     !strcmp(full.text[f], res.text.text[f]));
		same_text = same_text && !full.sets == !res.text.sets &&
			    (!full.sets || !strcmp(full.sets, res.text.sets));
		bf_state_release(&full);
		if (!same_text) {
			bf_err("the text kept for the state of %s differs "
			       "from the state",
			       slotdir);
			return -EPROTO;
		}
	}
	*st = res.text;
	memset(&res.text, 0, sizeof(res.text));
	return 0;
}

void bf_resident_end(struct bf_ruleset **rs, int r, bool ran, bool read_only,
		     const char *slotdir, int state_fd, uint64_t old_gen)
{
	bool seen = res.seen;

	res.seen = false;
	if (!res.on)
		return;
	if (ran && !r && state_fd >= 0)
		keep(rs, slotdir, map_id(state_fd), old_gen + 1);
	else if (ran && read_only && r && r != -EROFS && seen &&
		 !strcmp(res.seen_dir, slotdir) && res.seen_gen == old_gen)
		keep(rs, slotdir, res.seen_id, old_gen);
	else
		bf_resident_drop();
	written_release();
}
