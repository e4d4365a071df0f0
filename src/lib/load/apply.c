// SPDX-License-Identifier: GPL-2.0-only
/*
 * bf_apply() and bf_flush(): the transaction that replaces what is in
 * force in one slot. Order matters (see doc/hooks.md, "Atomic replace"):
 *   1. parse every input, merge the families kept from the stored state,
 *      check, compile, load every program and build every map;
 *   2. attach dispatchers for attach points that have none yet (their
 *      prog array already holds the new program);
 *   3. pin the new links and maps;
 *   4. switch the existing attach points: one prog array update each;
 *   5. replace the counters and state pins (rename over the old ones).
 * An error in 1 changes nothing; in 2 or 3 the new links are closed
 * (detached) again and the old ruleset stays in force everywhere.
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cgen/m_hashlimit.h"
#include "cgen/m_nftlimit.h"
#include "cgen/m_recent.h"
#include "check/check.h"
#include "load/ct.h"
#include "load/irsnap.h"
#include "load/kernel.h"
#include "load/link.h"
#include "load/offload.h"
#include "load/load.h"
#include "load/pin.h"
#include "load/resident.h"
#include "load/seg.h"
#include "load/segasync.h"
#include "load/segfast.h"
#include "load/slot.h"
#include "load/state.h"
#include "set/slot.h"

_Static_assert((int)BF_SLOT_NF == (int)BF_ATTACH_NF &&
		       (int)BF_SLOT_TC == (int)BF_ATTACH_TC &&
		       (int)BF_SLOT_XDP == (int)BF_ATTACH_XDP &&
		       (int)BF_SLOT_COUNT == (int)BF_ATTACH_COUNT,
	       "slot kinds mirror attach kinds");

#define VERIFIER_LOG_SIZE (1u << 20)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int bf_slot_kind_from_name(const char *name)
{
	for (int k = 0; k < BF_ATTACH_COUNT; k++) {
		if (strcmp(name, bf_attach_name(k)) == 0)
			return k;
	}
	return -1;
}

const char *bf_slot_kind_name(enum bf_slot_kind kind)
{
	return bf_attach_name((enum bf_attach_kind)kind);
}

int bf_slot_init(struct bf_slot *slot, const char *nsdir,
		 enum bf_attach_kind kind, const char *ifname)
{
	memset(slot, 0, sizeof(*slot));
	slot->kind = kind;
	if (kind == BF_ATTACH_NF) {
		/* "p10" / "m10": the nf slot at priority 10 / -10
		 * (bf_nf_prio_token()); anything else is the one at 0 */
		if (bf_nf_prio_parse(ifname, &slot->priority) &&
		    slot->priority) {
			snprintf(slot->ifname, sizeof(slot->ifname), "%s",
				 ifname);
			snprintf(slot->name, sizeof(slot->name), "nf-%s",
				 ifname);
		} else {
			slot->priority = 0;
			snprintf(slot->name, sizeof(slot->name), "nf");
		}
	} else {
		if (!ifname || !*ifname || strlen(ifname) >= BF_IFNAMSIZ ||
		    strchr(ifname, '/'))
			return -EINVAL;
		snprintf(slot->ifname, sizeof(slot->ifname), "%s", ifname);
		snprintf(slot->name, sizeof(slot->name), "%s-%s",
			 bf_attach_name(kind), ifname);
	}
	if (nsdir)
		bf_path(slot->dir, sizeof(slot->dir), "%s/%s", nsdir,
			slot->name);
	return 0;
}

int bf_slot_from_name(struct bf_slot *slot, const char *nsdir, const char *name)
{
	const char *dash = strchr(name, '-');
	char kind[8];
	int k;

	if (strcmp(name, "nf") == 0)
		return bf_slot_init(slot, nsdir, BF_ATTACH_NF, NULL);
	if (strncmp(name, "nf-", 3) == 0) {
		int prio;
		if (!bf_nf_prio_parse(name + 3, &prio) || !prio)
			return -EINVAL;
		return bf_slot_init(slot, nsdir, BF_ATTACH_NF, name + 3);
	}
	if (!dash || (size_t)(dash - name) >= sizeof(kind))
		return -EINVAL;
	memcpy(kind, name, (size_t)(dash - name));
	kind[dash - name] = '\0';
	k = bf_slot_kind_from_name(kind);
	if (k <= BF_ATTACH_NF)
		return -EINVAL;
	return bf_slot_init(slot, nsdir, (enum bf_attach_kind)k, dash + 1);
}

bool bf_slot_selected(const struct bf_slot *slot, const struct bf_slot_sel *sel)
{
	if (!sel || sel->kind < 0)
		return true;
	if ((int)slot->kind != sel->kind)
		return false;
	if (slot->kind == BF_ATTACH_NF) {
		/* a priority token ("m10", "p0" for "nf") selects one nf
		 * slot; anything else every nf slot */
		int prio;
		return !bf_nf_prio_parse(sel->ifname, &prio) ||
		       prio == slot->priority;
	}
	return !sel->ifname || !*sel->ifname ||
	       strcmp(sel->ifname, slot->ifname) == 0;
}

void bf_points_release(struct bf_point *pts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bf_point *p = &pts[i];

		bf_program_free(&p->prog);
		if (p->prog_fd >= 0)
			close(p->prog_fd);
		if (p->jmp_fd >= 0)
			close(p->jmp_fd);
		if (p->disp_fd >= 0)
			close(p->disp_fd);
		if (p->link_fd >= 0)
			close(p->link_fd);
		p->prog_fd = p->jmp_fd = p->disp_fd = p->link_fd = -1;
	}
}

static const char *const hook_keys[BF_HOOK_COUNT] = {
	[BF_HOOK_INPUT] = "in",
	[BF_HOOK_FORWARD] = "fwd",
	[BF_HOOK_OUTPUT] = "out",
};

size_t bf_slot_points(enum bf_attach_kind kind, unsigned int families,
		      struct bf_point pts[BF_MAX_POINTS])
{
	return bf_slot_points_in(kind, families, 0, pts);
}

size_t bf_slot_points_in(enum bf_attach_kind kind, unsigned int families,
			 uint32_t points, struct bf_point pts[BF_MAX_POINTS])
{
	size_t n = 0;

	memset(pts, 0, sizeof(*pts) * BF_MAX_POINTS);
	for (size_t i = 0; i < BF_MAX_POINTS; i++)
		pts[i].prog_fd = pts[i].jmp_fd = pts[i].disp_fd =
			pts[i].link_fd = -1;
	switch (kind) {
	case BF_ATTACH_NF:
		for (int f = 0; f < BF_FAMILY_COUNT; f++) {
			if (!(families & (1u << f)))
				continue;
			for (int h = 0; h < BF_HOOK_COUNT; h++) {
				if (points && !(points & BF_NF_POINT(f, h)))
					continue;
				pts[n].family = f;
				pts[n].hook = h;
				snprintf(pts[n].key, sizeof(pts[n].key), "%s%c",
					 hook_keys[h],
					 f == BF_FAMILY_INET4 ? '4' : '6');
				n++;
			}
		}
		break;
	case BF_ATTACH_TC:
		pts[n].hook = BF_HOOK_INPUT;
		snprintf(pts[n++].key, sizeof(pts[0].key), "ingress");
		pts[n].hook = BF_HOOK_OUTPUT;
		snprintf(pts[n++].key, sizeof(pts[0].key), "egress");
		break;
	default:
		pts[n].hook = BF_HOOK_INPUT;
		snprintf(pts[n++].key, sizeof(pts[0].key), "xdp");
		break;
	}
	return n;
}

/* Read a whole counters map value (16 bytes per counter). */
int bf_counters_read(int fd, struct bf_counter **out, uint32_t *n)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), key = 0;
	struct bf_counter *c;

	*out = NULL;
	*n = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.value_size % sizeof(struct bf_counter))
		return -EPROTO;
	c = calloc(1, info.value_size);
	if (!c)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, c)) {
		int r = -errno;

		free(c);
		return r;
	}
	*out = c;
	*n = info.value_size / sizeof(struct bf_counter);
	return 0;
}

/* Parse the stored text of the families in mask into rs. */
int bf_state_parse(struct bf_ruleset *rs, const struct bf_state *st,
		   const char *slot_name, unsigned int mask)
{
	int sr = bf_sets_from_state(rs, st->sets, slot_name);

	if (sr)
		return sr;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		char name[64];
		int r;

		if (!(mask & st->hdr.families & (1u << f)) || !st->text[f])
			continue;
		snprintf(name, sizeof(name), "<%s %s state>", slot_name,
			 bf_family_name(f));
		r = bf_ipt_parse_restore_str(rs, st->text[f], name, f);
		if (r) {
			bf_err("the stored %s ruleset of slot %s does not "
			       "parse any more",
			       bf_family_name(f), slot_name);
			return r;
		}
	}
	return 0;
}

/* Tell the callback of bf_edit() where the rules of rs were read from:
 * st's text of each family, whose lines the rules name (bf_state_parse()
 * and the IR snapshot give them the same file and lines), for -D/-C by
 * specification (front/ipt/command.c). No memory: nothing is set. */
static void set_src_text(struct bf_ruleset *rs, const struct bf_state *st,
			 const char *slot_name)
{
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		char name[64];

		if (!(st->hdr.families & (1u << f)) || !st->text[f])
			continue;
		snprintf(name, sizeof(name), "<%s %s state>", slot_name,
			 bf_family_name(f));
		rs->src_file[f] = bf_ruleset_intern_file(rs, name);
		if (rs->src_file[f])
			rs->src_text[f] = st->text[f];
	}
}

/* Set rule and policy counters of rs from the live values vals (indexed
 * by the numbering of rs). */
void bf_counters_apply(struct bf_ruleset *rs, const struct bf_counter *vals,
		       uint32_t n)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		if (c->builtin && c->policy_counter_idx < n)
			c->policy_counter = vals[c->policy_counter_idx];
		for (size_t j = 0; j < c->n_rules; j++) {
			if (c->rules[j].counter_idx < n)
				c->rules[j].counter =
					vals[c->rules[j].counter_idx];
		}
	}
}

/* Copy counters of the families in mask from old (already holding live
 * values) into rs: same text, so same chains and rules. */
static void carry_counters(struct bf_ruleset *rs, const struct bf_ruleset *old,
			   unsigned int mask)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];
		const struct bf_chain *o;

		if (!(mask & (1u << c->family)))
			continue;
		o = bf_ruleset_chain(old, c->family, c->name);
		if (!o)
			continue;
		c->policy_counter = o->policy_counter;
		for (size_t j = 0; j < c->n_rules && j < o->n_rules; j++)
			c->rules[j].counter = o->rules[j].counter;
	}
}

static void zero_counters(struct bf_ruleset *rs, unsigned int mask)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		if (!(mask & (1u << c->family)))
			continue;
		memset(&c->policy_counter, 0, sizeof(c->policy_counter));
		for (size_t j = 0; j < c->n_rules; j++)
			memset(&c->rules[j].counter, 0,
			       sizeof(c->rules[j].counter));
	}
}

/* Parse the user's inputs. Every family is parsed even after an error, so
 * that all errors are reported. */
static int parse_inputs(struct bf_ruleset *rs, const struct bf_apply_opts *o,
			unsigned int *given, char **other, const char **names)
{
	int err = 0;

	*given = 0;
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		const char *path = o->input[f].path;
		FILE *in = o->input[f].in;
		_cleanup_fclose_ FILE *opened = NULL;
		int r;

		if (!path && !in)
			continue;
		if (!in) {
			if (strcmp(path, "-") == 0) {
				in = stdin;
				path = "<stdin>";
			} else {
				opened = fopen(path, "re");
				if (!opened) {
					bf_err("cannot open %s: %s", path,
					       strerror(errno));
					err = err ? err : -errno;
					continue;
				}
				in = opened;
			}
		}
		names[f] = path ? path : "<input>";
		if (o->other_tables_kernel)
			r = bf_ipt_parse_restore_other(rs, in, names[f], f,
						       &other[f]);
		else
			r = bf_ipt_parse_restore(rs, in, names[f], f);
		if (r)
			err = err ? err : r;
		*given |= 1u << f;
	}
	return err;
}

static int text_of(const struct bf_ruleset *rs, enum bf_family f, char **text,
		   uint32_t *len)
{
	size_t sz = 0;
	FILE *m = open_memstream(text, &sz);
	int r;

	if (!m)
		return -errno;
	r = bf_ipt_print(m, rs, f, 0);
	if (fclose(m) && !r)
		r = -EIO;
	if (r) {
		free(*text);
		*text = NULL;
		return r;
	}
	if (sz > UINT32_MAX)
		return -E2BIG;
	*len = (uint32_t)sz;
	return 0;
}

/* The conntrack families (BF_STATE_USES_CT*) that slots of the namespace
 * other than skip need. */
static unsigned int other_slots_ct(const char *nsdir, const char *skip)
{
	DIR *d = opendir(nsdir);
	struct dirent *e;
	unsigned int used = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct bf_state st;

		if (e->d_name[0] == '.' || (skip && !strcmp(e->d_name, skip)))
			continue;
		bf_path(path, sizeof(path), "%s/%s/state", nsdir, e->d_name);
		if (bf_state_read(path, &st))
			continue;
		used |= st.hdr.flags & BF_STATE_CT_MASK;
		bf_state_release(&st);
	}
	closedir(d);
	return used;
}

static void dump_all(FILE *out, const struct bf_ruleset *rs,
		     struct bf_point *pts, size_t n)
{
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (!(rs->families & (1u << f)))
			continue;
		fprintf(out, "# IR (%s), canonical form\n", bf_family_name(f));
		bf_ipt_print(out, rs, f, 0);
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "\n# program %s (%s, %zu instructions)\n",
			pts[i].prog->name, pts[i].key, pts[i].prog->n_insns);
		bf_program_dump(pts[i].prog, out);
	}
}

static int load_programs(struct bf_point *pts, size_t n, int counters_fd,
			 bool verbose)
{
	_cleanup_free_ char *log = malloc(VERIFIER_LOG_SIZE);
	_cleanup_close_ int buckets_fd = -1;
	uint32_t buckets = 0;

	if (!log)
		return -ENOMEM;
	/* nft limit buckets shared by the slot's programs (one per nft
	 * statement, cgen/m_nftlimit.h); the programs hold the map */
	for (size_t i = 0; i < n; i++)
		if (bf_nftm_buckets_size(pts[i].prog) > buckets)
			buckets = bf_nftm_buckets_size(pts[i].prog);
	if (buckets) {
		buckets_fd = bf_nftm_buckets_create(buckets);
		if (buckets_fd < 0)
			return buckets_fd;
	}
	for (size_t i = 0; i < n; i++) {
		int fd;

		if (buckets)
			pts[i].prog->nftbucket_fd = &buckets_fd;

		log[0] = '\0';
		fd = bf_program_load(pts[i].prog, counters_fd, log,
				     VERIFIER_LOG_SIZE);
		pts[i].prog->nftbucket_fd = NULL;
		if (fd < 0) {
			bf_err("the kernel refused program %s (%s): %s%s",
			       pts[i].prog->name, pts[i].key, strerror(-fd),
			       verbose ? "" : " (-v shows the verifier log)");
			if (verbose && log[0])
				bf_err("verifier log:\n%s", log);
			return fd;
		}
		pts[i].prog_fd = fd;
	}
	return 0;
}

struct txn {
	struct bf_slot slot;
	unsigned int ifindex;
	struct bf_point pts[BF_MAX_POINTS];
	size_t n_pts;
	int counters_fd, state_fd, lock_fd;
	char nsdir[PATH_MAX];
	struct bf_set_maps sets; /* maps of rs->sets (set/slot.h) */
	struct bf_seg_txn seg; /* segment programs (load/seg.h) */
};

static void txn_release(struct txn *t)
{
	bf_points_release(t->pts, t->n_pts);
	if (t->counters_fd >= 0)
		close(t->counters_fd);
	if (t->state_fd >= 0)
		close(t->state_fd);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	bf_set_maps_release(&t->sets);
	bf_seg_txn_release(&t->seg);
}

/* Steps 2-5 of the transaction (see top of file). */
static int commit(struct txn *t)
{
	char path[PATH_MAX];
	size_t i;
	int r;

	if (mkdir(t->slot.dir, 0700) && errno != EEXIST)
		return -errno;

	for (i = 0; i < t->n_pts; i++) {
		struct bf_point *p = &t->pts[i];

		bf_path(path, sizeof(path), "%s/link_%s", t->slot.dir, p->key);
		if (bf_link_pin_alive(path, t->slot.kind, t->ifindex)) {
			bf_path(path, sizeof(path), "%s/jmp_%s", t->slot.dir,
				p->key);
			p->jmp_fd = bpf_obj_get(path);
			if (p->jmp_fd >= 0)
				continue;
		}
		/* New (or defunct) attach point: a dispatcher whose slot
		 * already holds the new program, so its first packet is
		 * judged by the new ruleset. */
		p->fresh = true;
		p->jmp_fd = bf_jmp_map_create();
		if (p->jmp_fd < 0)
			return p->jmp_fd;
		r = bf_jmp_map_set(p->jmp_fd, p->prog_fd);
		if (r) {
			bf_err("cannot install program %s: %s", p->prog->name,
			       strerror(-r));
			return r;
		}
		p->disp_fd = bf_dispatcher_load(t->slot.kind, p->jmp_fd);
		if (p->disp_fd < 0)
			return p->disp_fd;
	}

	/* 2. attach; on error the fds closed by txn_release() detach the
	 * links made so far. */
	for (i = 0; i < t->n_pts; i++) {
		struct bf_point *p = &t->pts[i];

		if (!p->fresh)
			continue;
		p->link_fd =
			t->slot.kind == BF_ATTACH_NF ?
				bf_link_attach_nf(p->disp_fd, p->family,
						  p->hook, t->slot.priority) :
				bf_link_attach(t->slot.kind, p->disp_fd,
					       p->family, p->hook, t->ifindex);
		if (p->link_fd < 0)
			return p->link_fd;
	}

	/* 3. pin them (replacing pins of defunct links). */
	for (i = 0; i < t->n_pts; i++) {
		struct bf_point *p = &t->pts[i];
		char name[32];

		if (!p->fresh)
			continue;
		snprintf(name, sizeof(name), "jmp_%s", p->key);
		r = bf_pin_replace(p->jmp_fd, t->slot.dir, name);
		if (!r) {
			snprintf(name, sizeof(name), "link_%s", p->key);
			r = bf_pin_replace(p->link_fd, t->slot.dir, name);
		}
		if (r) {
			bf_err("cannot pin in %s: %s", t->slot.dir,
			       strerror(-r));
			for (size_t k = 0; k <= i; k++) {
				if (!t->pts[k].fresh)
					continue;
				/* now: the pin keeps the link for a while */
				bpf_link_detach(t->pts[k].link_fd);
				bf_path(path, sizeof(path), "%s/link_%s",
					t->slot.dir, t->pts[k].key);
				unlink(path);
			}
			return r;
		}
	}

	/* 4. switch: from here on the new ruleset is in force. */
	for (i = 0; i < t->n_pts; i++) {
		struct bf_point *p = &t->pts[i];

		if (p->fresh)
			continue;
		r = bf_jmp_map_set(p->jmp_fd, p->prog_fd);
		if (r) {
			bf_err("cannot switch %s to the new program: %s",
			       p->key, strerror(-r));
			return r;
		}
	}

	/* 5. state and counters of the new ruleset. */
	r = bf_pin_replace(t->counters_fd, t->slot.dir, "counters");
	if (!r)
		r = bf_pin_replace(t->state_fd, t->slot.dir, "state");
	if (r)
		bf_err("cannot pin the state of %s: %s", t->slot.name,
		       strerror(-r));
	return r;
}

/* The counters map of bf_counters_map_create() (one array value of
 * n_counters 16-byte counters), mmapable so that bf_edit() can add to it
 * atomically while the programs run; the plain one if that fails. */
static int counters_map_create(uint32_t n)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	int fd;

	if (!n)
		n = 1;
	if (n > UINT32_MAX / sizeof(struct bf_counter))
		return -E2BIG;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_counters", sizeof(uint32_t),
			    n * (uint32_t)sizeof(struct bf_counter), 1, &mo);
	if (fd >= 0)
		return fd;
	return bf_counters_map_create(n);
}

struct install_args {
	enum bf_attach_kind kind;
	const char *ifname;
	bool verbose, test_only;
	bool load_only; /* stop after loading (bf_apply_opts.load_only) */
	FILE *dump;
	const struct bf_state *old; /* the state in force, NULL if none */
	double t0, t_parse; /* for the timings reported at -v */
	uint64_t generation; /* out: the generation put in force */
	/* Tables other than filter for the kernel, per family (NULL:
	 * none), the inputs they came from and the tools. */
	char *const *other;
	const char *const *other_name;
	const char *const *kernel_restore;
	/* an incremental change: one segment program (load/seg.h), being
	 * loaded by async's thread (load/segasync.h) */
	struct bf_seg_plan *plan;
	struct bf_seg_async *async;
	/* the ruleset came from old's IR snapshot (load/irsnap.h) */
	bool from_irsnap;
	/* nf: the points given (bf_apply_opts.nf_points, or the state's
	 * for an edit); 0: every point */
	uint32_t points;
};

/* Hand the other tables to the kernel (see bf_apply()): --test for every
 * family first, then (unless test) for real. */
static int kernel_tables(const struct install_args *a, bool test)
{
	int r;

	if (!a->other)
		return 0;
	for (int pass = 0; pass < (test ? 1 : 2); pass++) {
		for (int f = 0; f < BF_FAMILY_COUNT; f++) {
			if (!a->other[f])
				continue;
			r = bf_kernel_tables_restore(a->kernel_restore[f], f,
						     a->other[f],
						     a->other_name[f],
						     pass == 0);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Check, compile, load and commit rs (numbered) into the slot of t, whose
 * namespace directory is locked (unless only dumping or testing). */
static int install(struct txn *t, struct bf_ruleset *rs, struct install_args *a)
{
	struct bf_state st = { 0 };
	double t_compile = 0, t_load = 0, t_progs = 0;
	/* one segment, -v -v */
	double t_text = 0, t_map = 0, t_switch = 0, t_snap = 0;
	bool snap_done = false, acct = false;
	/* counters map slots: spare ones for incremental changes */
	uint32_t cap = bf_seg_capacity(rs->n_counters);
	/* an nf slot at a priority other than 0 attaches where its base
	 * chains are (load/points.c) */
	uint32_t points = a->kind == BF_ATTACH_NF && t->slot.priority ?
				  bf_nf_points_of(rs, a->points) :
				  0;
	int r;

	/* an nf slot's priority token ("m10") is no interface; one
	 * segment: the changed rules only (load/segfast.h) */
	r = a->plan ? bf_seg_plan_check(a->plan, rs, a->kind, NULL) :
		      bf_check(rs, a->kind,
			       a->kind == BF_ATTACH_NF && t->slot.priority ?
				       NULL :
				       a->ifname);
	if (r)
		goto out;
	if (a->plan) {
		/* one segment program replaces one (load/seg.h): its load
		 * runs beside the state's write below */
		t_compile = t_progs = now_ms();
		goto state;
	}

	t->n_pts = bf_slot_points_in(a->kind, rs->families, points, t->pts);
	for (size_t i = 0; i < t->n_pts; i++) {
		r = bf_cgen_compile(rs, a->kind, t->pts[i].hook,
				    t->pts[i].family,
				    a->kind == BF_ATTACH_NF ? NULL : a->ifname,
				    &t->pts[i].prog);
		if (r)
			goto out;
	}
	t_compile = now_ms();
	if (a->dump) {
		dump_all(a->dump, rs, t->pts, t->n_pts);
		goto out;
	}
	if (a->test_only) {
		r = kernel_tables(a, true);
		goto out;
	}

	/* 1. load everything */
	t->counters_fd = counters_map_create(cap);
	if (t->counters_fd < 0) {
		r = t->counters_fd;
		bf_err("cannot create the counters map: %s", strerror(-r));
		goto out;
	}
	{
		_cleanup_free_ struct bf_counter *init =
			calloc(cap ? cap : 1, sizeof(*init));
		uint32_t key = 0;

		if (!init) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < rs->n_chains; i++) {
			const struct bf_chain *c = &rs->chains[i];

			if (c->builtin &&
			    c->policy_counter_idx < rs->n_counters)
				init[c->policy_counter_idx] = c->policy_counter;
			for (size_t j = 0; j < c->n_rules; j++) {
				if (c->rules[j].counter_idx < rs->n_counters)
					init[c->rules[j].counter_idx] =
						c->rules[j].counter;
			}
		}
		if (bpf_map_update_elem(t->counters_fd, &key, init, BPF_ANY)) {
			r = -errno;
			bf_err("cannot set the initial counters: %s",
			       strerror(-r));
			goto out;
		}
	}
	/* named sets: new maps, or the ones in force (set/slot.h) */
	r = bf_set_maps_prepare(rs, t->slot.dir, &t->sets);
	if (r)
		goto out;
	for (size_t i = 0; i < t->n_pts; i++) {
		t->pts[i].prog->set_fds = t->sets.fds;
		t->pts[i].prog->n_set_fds = t->sets.n;
	}
	/* recent tables are pinned per namespace (cgen/m_recent.h) */
	for (size_t i = 0; i < t->n_pts; i++)
		t->pts[i].prog->recent_dir = t->nsdir;
	/* long chains at netfilter hooks: segment programs */
	r = bf_seg_build(&t->seg, t->pts, t->n_pts, rs, t->counters_fd, cap,
			 a->verbose);
	if (r)
		goto out;
	r = load_programs(t->pts, t->n_pts, t->counters_fd, a->verbose);
	if (r || a->load_only)
		goto out;
	t_progs = now_ms();

state:
	memcpy(st.hdr.magic, BF_STATE_MAGIC, sizeof(BF_STATE_MAGIC));
	st.hdr.version = points ? BF_STATE_VERSION_POINTS : BF_STATE_VERSION;
	st.hdr.points = points;
	st.hdr.generation = a->old ? a->old->hdr.generation + 1 : 1;
	st.hdr.families = rs->families;
	st.hdr.attach = (uint32_t)a->kind;
	snprintf(st.hdr.ifname, sizeof(st.hdr.ifname), "%s", t->slot.ifname);
	{
		struct stat ns;

		if (stat("/proc/self/ns/net", &ns) == 0)
			st.hdr.netns_ino = (uint64_t)ns.st_ino;
	}
	{
		unsigned int fams =
			a->plan ? bf_seg_plan_ct_families(a->plan, rs, a->old) :
				  bf_ruleset_ct_families(rs);

		if (fams & (1u << BF_FAMILY_INET4))
			st.hdr.flags |= BF_STATE_USES_CT;
		if (fams & (1u << BF_FAMILY_INET6))
			st.hdr.flags |= BF_STATE_USES_CT6;
		/* connbytes is a conntrack user (bf_rule_uses_ct()): no
		 * conntrack, no walk of every match. Here, while a segment
		 * loads, not after the wait where it lengthens the change. */
		acct = fams && bf_ruleset_uses_acct(rs);
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (!(rs->families & (1u << f)))
			continue;
		/* an incremental change edits the text in force instead of
		 * printing the whole ruleset (load/seg.h) */
		r = a->plan ? bf_seg_plan_text(a->plan, rs, a->old->text[f], f,
					       &st.text[f], &st.hdr.len[f]) :
			      1;
		if (r < 0)
			goto out;
		if (!r && getenv("BPFILTER_SEG_CHECK")) {
			_cleanup_free_ char *full = NULL;
			uint32_t n = 0;

			r = text_of(rs, f, &full, &n);
			if (r)
				goto out;
			if (n != st.hdr.len[f] || memcmp(full, st.text[f], n))
				bf_err("incremental state text differs from "
				       "the printed one");
		}
		if (!r)
			continue;
		r = text_of(rs, f, &st.text[f], &st.hdr.len[f]);
		if (r)
			goto out;
	}
	r = bf_sets_state_text(rs, &st.sets, &st.hdr.sets_len);
	if (r)
		goto out;
	t_text = now_ms();
	t->state_fd = bf_state_map_create(&st);
	t_map = now_ms();
	if (t->state_fd < 0) {
		r = t->state_fd;
		bf_err("cannot store the ruleset state: %s", strerror(-r));
		goto out;
	}
	if (a->plan && a->from_irsnap) {
		/* The next IR snapshot, spliced from the one in force while
		 * the segment loads. Pinned before the state: until the
		 * state is, it is a snapshot of no state in force
		 * (bf_irsnap_of() compares it with the state's map id), and
		 * a reader of the state parses its text instead, as after
		 * a crash here or a failure below. */
		struct bf_irsnap_change chg = { .old = a->old };

		t_snap = now_ms();
		bf_seg_plan_window(a->plan, &chg.ci, &chg.p, &chg.oe, &chg.ne,
				   &chg.old_n);
		bf_irsnap_store_change(rs, &st, t->state_fd, t->slot.dir,
				       t->slot.name, &chg);
		t_snap = now_ms() - t_snap;
		snap_done = true;
	}
	if (a->plan) {
		/* (the segment still loading: a failure here is the
		 * commit's, below) */
		(void)bf_seg_plan_seginfo(a->plan, st.hdr.generation);
	}
	if (a->plan && bf_seg_async_wait(a->async)) {
		/* the kernel refused the segment program: nothing is in
		 * force, the caller rebuilds everything */
		close(t->state_fd);
		t->state_fd = -1;
		r = 1;
		goto out;
	}
	if (a->plan)
		t_progs = now_ms();
	/* Everything of ours is loaded and nothing is switched yet: the
	 * kernel's tables now, so that its refusal leaves ours as they are. */
	r = kernel_tables(a, false);
	if (r)
		goto out;
	if (st.hdr.flags & BF_STATE_CT_MASK) {
		r = bf_ct_enable(st.hdr.flags & BF_STATE_CT_MASK);
		if (r)
			goto out;
	}
	if (acct) {
		r = bf_ct_acct_enable();
		if (r)
			goto out;
	}

	t_load = now_ms();
	if (a->plan) {
		r = bf_seg_plan_commit(a->plan, t->slot.dir, st.hdr.generation);
		if (!r)
			r = bf_pin_replace(t->state_fd, t->slot.dir, "state");
		if (r)
			goto out;
		t_switch = now_ms();
		goto done;
	}
	r = commit(t);
	if (!r)
		bf_seg_commit(&t->seg, t->slot.dir, st.hdr.generation);
	if (!r) /* points the slot no longer has */
		bf_nf_points_unpin(t->slot.dir, points);
	if (r) {
		/* Nothing changed: drop the conntrack table if we made it. */
		unsigned int made = st.hdr.flags & BF_STATE_CT_MASK;

		if (a->old)
			made &= ~a->old->hdr.flags;
		if (made)
			made &= ~other_slots_ct(t->nsdir, t->slot.name);
		if (made)
			bf_ct_disable(made);
		goto out;
	}
	if (a->old) {
		unsigned int gone = a->old->hdr.flags & BF_STATE_CT_MASK &
				    ~st.hdr.flags;

		if (gone)
			gone &= ~other_slots_ct(t->nsdir, t->slot.name);
		if (gone)
			bf_ct_disable(gone);
	}
	/* the set maps in force, for `bpfilter set` */
	r = bf_set_maps_commit(rs, &t->sets, t->slot.dir);
	if (r)
		goto out;
	/* recent/hashlimit tables: this slot's references, unused ones
	 * freed (cgen/m_recent.h); a failure keeps every table */
	{
		const struct bf_program *progs[BF_MAX_POINTS];

		for (size_t i = 0; i < t->n_pts; i++)
			progs[i] = t->pts[i].prog;
		bf_stateful_refs(t->nsdir, t->slot.dir, progs, t->n_pts);
	}
done:
	/* in force, and nothing below can fail: a daemon may answer its
	 * caller now (load/resident.h) */
	bf_resident_in_force();
	/* the parsed IR of this state, for the next change (load/irsnap.h) */
	t_load = now_ms() - t_load;
	if (!snap_done) {
		t_snap = now_ms();
		bf_irsnap_store(rs, &st, t->state_fd, t->slot.dir,
				t->slot.name);
		t_snap = now_ms() - t_snap;
	}
	/* a daemon's kept ruleset made ready for the next change now */
	bf_resident_written(rs, &st, t->state_fd, t->slot.name);
	t_load = now_ms() - t_load;
	bf_info("%s: generation %llu in force (parse %.0f ms, check+compile "
		"%.0f ms, load %.0f ms, attach+switch %.0f ms, %u counters)",
		t->slot.name, (unsigned long long)st.hdr.generation,
		a->t_parse - a->t0, t_compile - a->t_parse, t_load - t_compile,
		now_ms() - t_load, rs->n_counters);
	bf_dbg("%s: load = counters and programs %.1f ms + state %.1f ms",
	       t->slot.name, t_progs - t_compile, t_load - t_progs);
	if (a->plan)
		bf_dbg("%s: one segment: check %.1f ms, state text %.1f ms, "
		       "state map %.1f ms, IR snapshot %.1f ms, then the "
		       "segment's load %.1f ms more, switch and pins %.1f ms",
		       t->slot.name, t_compile - a->t_parse, t_text - t_compile,
		       t_map - t_text, t_snap,
		       t_progs - t_map - (snap_done ? t_snap : 0),
		       t_switch - t_progs);
out:
	if (!r)
		a->generation = st.hdr.generation;
	bf_state_release(&st);
	return r;
}

int bf_apply(const struct bf_apply_opts *o)
{
	struct bf_ruleset *rs = NULL, *old = NULL;
	struct bf_state ost = { 0 };
	struct txn t = { .counters_fd = -1, .state_fd = -1, .lock_fd = -1 };
	unsigned int given = 0;
	bool have_old = false;
	char *other[BF_FAMILY_COUNT] = { 0 };
	const char *other_name[BF_FAMILY_COUNT] = { 0 };
	int r;

	if ((unsigned)o->kind >= BF_SLOT_COUNT)
		return -EINVAL;
	r = bf_slot_init(&t.slot, NULL, (enum bf_attach_kind)o->kind,
			 o->ifname);
	if (r) {
		bf_err("%s needs a valid interface name (--iface)",
		       bf_attach_name((enum bf_attach_kind)o->kind));
		return r;
	}
	if (o->kind != BF_SLOT_NF) {
		t.ifindex = if_nametoindex(o->ifname);
		if (!t.ifindex && !o->dump && !o->test_only) {
			bf_err("no interface '%s' in this network namespace",
			       o->ifname);
			return -ENODEV;
		}
	}
	if (o->xdp_offload) {
		/* load/offload.h: hardware mode or nothing */
		if (o->kind != BF_SLOT_XDP) {
			bf_err("--offload needs --hook xdp");
			return -EINVAL;
		}
		r = bf_xdp_offload_check(o->ifname);
		if (r)
			return r;
	}

	/* phase timings, reported at info level (-v) */
	double t0 = now_ms(), t_parse = 0;

	rs = bf_ruleset_new();
	if (!rs)
		return -ENOMEM;
	/* Named sets first: rules are checked against them as they are
	 * parsed (as iptables asks the kernel for a set). Without --ipset,
	 * the sets in force in the slot. */
	r = o->ipset.path || o->ipset.in ?
		    bf_sets_load_input(rs, o->ipset.path, o->ipset.in) :
		    bf_sets_load_slot(rs, o->kind, o->ifname);
	if (r)
		goto out;
	r = parse_inputs(rs, o, &given, other, other_name);
	if (r)
		goto out;
	if (!given) {
		bf_err("no ruleset given (FILE, -4 FILE or -6 FILE)");
		r = -EINVAL;
		goto out;
	}
	if (!o->counters)
		zero_counters(rs, given);

	if (!o->dump && !o->test_only) {
		char path[PATH_MAX];

		r = bf_netns_dir(t.nsdir, sizeof(t.nsdir), true);
		if (r) {
			if (r != -EINVAL && r != -EPERM && r != -ENOENT)
				bf_err("cannot prepare the pin directory: %s",
				       strerror(-r));
			goto out;
		}
		t.lock_fd = bf_netns_lock(t.nsdir, true);
		if (t.lock_fd >= 0 && access(t.nsdir, F_OK)) {
			/* A concurrent flush removed the directory while we
			 * waited: make it again (once). */
			close(t.lock_fd);
			r = bf_netns_dir(t.nsdir, sizeof(t.nsdir), true);
			t.lock_fd = r ? r : bf_netns_lock(t.nsdir, true);
		}
		if (t.lock_fd < 0) {
			r = t.lock_fd;
			goto out;
		}
		bf_slot_init(&t.slot, t.nsdir, (enum bf_attach_kind)o->kind,
			     o->ifname);
		bf_path(path, sizeof(path), "%s/state", t.slot.dir);
		r = bf_state_read(path, &ost);
		if (r && r != -ENOENT)
			goto out;
		have_old = r == 0;
		r = 0;
		if (o->check_generation &&
		    o->generation != (have_old ? ost.hdr.generation : 0)) {
			bf_err("%s changed: it is at generation %llu, not %llu; "
			       "read it again and retry",
			       t.slot.name,
			       (unsigned long long)(have_old ?
							    ost.hdr.generation :
							    0),
			       o->generation);
			r = -ESTALE;
			goto out;
		}
	}

	/* Families not given keep the table in force, with its counters. */
	if (have_old && (ost.hdr.families & ~given)) {
		char path[PATH_MAX];
		_cleanup_close_ int cfd = -1;
		_cleanup_free_ struct bf_counter *vals = NULL;
		uint32_t n = 0;

		r = bf_state_parse(rs, &ost, t.slot.name,
				   ost.hdr.families & ~given);
		if (r)
			goto out;
		old = bf_ruleset_new();
		if (!old) {
			r = -ENOMEM;
			goto out;
		}
		r = bf_state_parse(old, &ost, t.slot.name, ost.hdr.families);
		if (r)
			goto out;
		bf_ruleset_number(old);
		r = bf_seg_apply_slots(old, t.slot.dir, ost.hdr.generation);
		if (r)
			goto out;
		bf_path(path, sizeof(path), "%s/counters", t.slot.dir);
		cfd = bpf_obj_get(path);
		if (cfd >= 0 && bf_counters_read(cfd, &vals, &n) == 0)
			bf_counters_apply(old, vals, n);
		carry_counters(rs, old, ost.hdr.families & ~given);
	}

	bf_ruleset_number(rs);
	t_parse = now_ms();
	{
		struct install_args a = {
			.kind = (enum bf_attach_kind)o->kind,
			.ifname = o->ifname,
			.verbose = o->verbose,
			.dump = o->dump,
			.test_only = o->test_only,
			.old = have_old ? &ost : NULL,
			.t0 = t0,
			.t_parse = t_parse,
			.other = o->other_tables_kernel ? other : NULL,
			.other_name = other_name,
			.kernel_restore = o->kernel_restore,
			.load_only = o->load_only,
			.points = o->nf_points,
		};

		r = install(&t, rs, &a);
	}
out:
	for (int f = 0; f < BF_FAMILY_COUNT; f++)
		free(other[f]);
	txn_release(&t);
	bf_state_release(&ost);
	bf_ruleset_free(&old);
	bf_ruleset_free(&rs);
	return r;
}

int bf_flush(const struct bf_slot_sel *sel)
{
	char nsdir[PATH_MAX];
	_cleanup_close_ int lock = -1;
	unsigned int ct_used = 0, ct_flushed = 0;
	DIR *d;
	struct dirent *e;
	int r;

	r = bf_netns_dir(nsdir, sizeof(nsdir), false);
	if (r == -ENOENT)
		return 0; /* nothing was ever applied here */
	if (r)
		return r;
	lock = bf_netns_lock(nsdir, true);
	if (lock < 0)
		return lock;
	d = opendir(nsdir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct bf_slot slot;
		char path[PATH_MAX];
		struct bf_state st;

		if (e->d_name[0] == '.' ||
		    bf_slot_from_name(&slot, nsdir, e->d_name))
			continue;
		if (!bf_slot_selected(&slot, sel)) {
			bf_path(path, sizeof(path), "%s/state", slot.dir);
			if (bf_state_read(path, &st) == 0) {
				ct_used |= st.hdr.flags & BF_STATE_CT_MASK;
				bf_state_release(&st);
			}
			continue;
		}
		bf_path(path, sizeof(path), "%s/state", slot.dir);
		if (bf_state_read(path, &st) == 0) {
			ct_flushed |= st.hdr.flags & BF_STATE_CT_MASK;
			bf_state_release(&st);
		}
		/* Removing the link pins detaches (nothing else holds the
		 * links); the maps and programs go with their last pin. */
		r = bf_pin_rmdir(slot.dir);
		if (r) {
			bf_err("cannot remove %s: %s", slot.dir, strerror(-r));
			break;
		}
	}
	closedir(d);
	if (ct_flushed & ~ct_used)
		bf_ct_disable(ct_flushed & ~ct_used);
	if (!sel || sel->kind < 0) {
		/* No rule is left to use a recent table (xt_recent frees a
		 * table with its last rule). */
		bf_recent_unpin_all(nsdir);
		bf_hashlimit_unpin_all(nsdir);
		/* Leave no empty directory behind for this namespace. */
		rmdir(nsdir);
	} else {
		/* tables only the flushed slots used */
		bf_stateful_gc(nsdir);
	}
	return r;
}

const char *bf_version(void)
{
#ifdef BPFILTER_VERSION
	return BPFILTER_VERSION;
#else
	return "0.1.0";
#endif
}

/* ---- bf_edit(): read, change, install, under one lock ---- */

/* Counters bf_ruleset_number() gives rs. */
static uint32_t count_counters(const struct bf_ruleset *rs)
{
	uint32_t n = 0;

	for (size_t i = 0; i < rs->n_chains; i++)
		n += (rs->chains[i].builtin ? 1 : 0) +
		     (uint32_t)rs->chains[i].n_rules;
	return n;
}

static int number_keeping_map(struct bf_ruleset *rs, uint32_t **map)
{
	size_t n = 0, k = 0;
	uint32_t *olds;

	for (size_t i = 0; i < rs->n_chains; i++)
		n += 1 + rs->chains[i].n_rules;
	olds = calloc(n ? n : 1, sizeof(*olds));
	if (!olds)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		olds[k++] = c->builtin ? c->policy_counter_idx : 0;
		for (size_t j = 0; j < c->n_rules; j++)
			olds[k++] = c->rules[j].counter_idx;
	}
	bf_ruleset_number(rs);
	*map = calloc(rs->n_counters ? rs->n_counters : 1, sizeof(**map));
	if (!*map) {
		free(olds);
		return -ENOMEM;
	}
	k = 0;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];

		if (c->builtin)
			(*map)[c->policy_counter_idx] = olds[k];
		k++;
		for (size_t j = 0; j < c->n_rules; j++)
			(*map)[c->rules[j].counter_idx] = olds[k++];
	}
	free(olds);
	return 0;
}

/* Packets counted by the old programs between our snapshot of their
 * counters and the switch: add them to the new counters of the same
 * rules, with atomic adds through an mmap of the new map (created
 * BPF_F_MMAPABLE by counters_map_create()), so that nothing the new
 * programs count meanwhile is lost. */
static void carry_late_counts(int old_fd, const struct bf_counter *snap,
			      uint32_t n_snap, int new_fd, const uint32_t *map,
			      uint32_t n_new)
{
	_cleanup_free_ struct bf_counter *fin = NULL;
	uint32_t n_fin = 0;
	size_t len = (size_t)(n_new ? n_new : 1) * sizeof(struct bf_counter);
	long page = sysconf(_SC_PAGESIZE);
	struct bf_counter *cur;

	if (old_fd < 0 || new_fd < 0 || !snap)
		return;
	/* Programs still running the old code when the prog array changed
	 * finish within an RCU read section: let them. */
	usleep(2000);
	if (bf_counters_read(old_fd, &fin, &n_fin))
		return;
	len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	cur = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, new_fd, 0);
	if (cur == MAP_FAILED) {
		bf_dbg("counters map not mmapable: late counts not carried");
		return;
	}
	for (uint32_t i = 0; i < n_new; i++) {
		uint32_t o = map[i];

		if (!o || o - 1 >= n_snap || o - 1 >= n_fin)
			continue;
		o--;
		/* Atomic adds, as the programs' own (BPF_ATOMIC add). */
		if (fin[o].packets != snap[o].packets)
			__atomic_fetch_add(&cur[i].packets,
					   fin[o].packets - snap[o].packets,
					   __ATOMIC_RELAXED);
		if (fin[o].bytes != snap[o].bytes)
			__atomic_fetch_add(&cur[i].bytes,
					   fin[o].bytes - snap[o].bytes,
					   __ATOMIC_RELAXED);
	}
	munmap(cur, len);
}

int bf_edit(const struct bf_edit_opts *o, bf_edit_fn fn, void *data)
{
	struct bf_ruleset *rs = NULL;
	struct bf_state ost = { 0 };
	struct txn t = { .counters_fd = -1, .state_fd = -1, .lock_fd = -1 };
	_cleanup_free_ struct bf_counter *snap = NULL;
	_cleanup_free_ uint32_t *map = NULL;
	struct bf_seginfo si = { 0 };
	_cleanup_close_ int old_cfd = -1;
	uint32_t n_snap = 0;
	unsigned int families_before;
	bool have_old = false, from_irsnap = false, ran = false;
	char path[PATH_MAX];
	double t0 = now_ms(), t_read = t0, t_text = t0, t_cnt = t0, t_inst;
	struct bf_seg_snap *sn = NULL;
	struct bf_seg_plan *plan = NULL;
	struct bf_seg_async async = { 0 };
	int r;

	if ((unsigned)o->kind >= BF_SLOT_COUNT)
		return -EINVAL;
	r = bf_slot_init(&t.slot, NULL, (enum bf_attach_kind)o->kind,
			 o->ifname);
	if (r) {
		bf_err("%s needs a valid interface name (--iface)",
		       bf_attach_name((enum bf_attach_kind)o->kind));
		return r;
	}
	if (o->kind != BF_SLOT_NF) {
		t.ifindex = if_nametoindex(o->ifname);
		if (!t.ifindex && !o->read_only) {
			bf_err("no interface '%s' in this network namespace",
			       o->ifname);
			return -ENODEV;
		}
	}
	rs = bf_ruleset_new();
	if (!rs)
		return -ENOMEM;
	rs->families = 0;

	r = bf_netns_dir(t.nsdir, sizeof(t.nsdir), !o->read_only);
	if (r == -ENOENT && o->read_only) {
		r = 0; /* nothing in force: an empty ruleset */
	} else if (r) {
		if (r != -EINVAL && r != -EPERM && r != -ENOENT)
			bf_err("cannot prepare the pin directory: %s",
			       strerror(-r));
		goto out;
	} else {
		t.lock_fd = bf_netns_lock(t.nsdir, !o->read_only);
		if (t.lock_fd >= 0 && access(t.nsdir, F_OK) && !o->read_only) {
			/* A concurrent flush removed the directory while we
			 * waited: make it again (once). */
			close(t.lock_fd);
			r = bf_netns_dir(t.nsdir, sizeof(t.nsdir), true);
			t.lock_fd = r ? r : bf_netns_lock(t.nsdir, true);
		}
		if (t.lock_fd < 0) {
			r = t.lock_fd;
			goto out;
		}
		bf_slot_init(&t.slot, t.nsdir, (enum bf_attach_kind)o->kind,
			     o->ifname);
		bf_path(path, sizeof(path), "%s/state", t.slot.dir);
		/* a daemon's text of the state it wrote, if that is the
		 * state in force (load/resident.h) */
		r = bf_resident_read(t.slot.dir, path, &ost);
		if (r > 0)
			r = bf_state_read(path, &ost);
		if (r && r != -ENOENT)
			goto out;
		have_old = r == 0;
		r = 0;
	}

	if (o->if_generation >= 0 &&
	    (uint64_t)o->if_generation != (have_old ? ost.hdr.generation : 0)) {
		bf_err("%s changed: it is at generation %llu, not %lld; "
		       "read it again and retry",
		       t.slot.name,
		       (unsigned long long)(have_old ? ost.hdr.generation : 0),
		       o->if_generation);
		r = -ESTALE;
		goto out;
	}

	t_read = now_ms();
	if (have_old) {
		/* a resident process's ruleset of this very state
		 * (load/resident.h), else the IR snapshot of this state if
		 * any (load/irsnap.h) */
		r = bf_resident_take(&rs, &ost, t.slot.dir, t.slot.name);
		if (r > 0)
			r = bf_irsnap_load(rs, &ost, t.slot.dir, t.slot.name);
		from_irsnap = r == 0;
		if (r > 0)
			r = bf_state_parse(rs, &ost, t.slot.name,
					   ost.hdr.families);
		if (r)
			goto out;
		rs->families = ost.hdr.families;
		t_text = now_ms();
		/* counter slots of segment programs (load/seg.h) */
		r = bf_seg_slots_read(t.slot.dir, ost.hdr.generation,
				      count_counters(rs), &si);
		if (r)
			goto out;
		bf_path(path, sizeof(path), "%s/counters", t.slot.dir);
		old_cfd = bpf_obj_get(path);
		if (old_cfd >= 0 && bf_counters_read(old_cfd, &snap, &n_snap))
			n_snap = 0;
		/* counter identity across the edit, and what the ruleset
		 * was before it (for a one-segment change) */
		bf_path(path, sizeof(path), "%s/seginfo", t.slot.dir);
		r = bf_seg_read_in(rs, &si, snap, n_snap,
				   !o->test_only && !o->read_only &&
						   !access(path, F_OK) ?
					   &sn :
					   NULL);
		if (r)
			goto out;
	}
	families_before = rs->families;
	t_cnt = now_ms();

	if (have_old)
		set_src_text(rs, &ost, t.slot.name);
	r = fn(rs, have_old ? (unsigned long long)ost.hdr.generation : 0, data);
	ran = true;
	/* ost's text is not the ruleset's any more */
	memset(rs->src_text, 0, sizeof(rs->src_text));
	memset(rs->src_file, 0, sizeof(rs->src_file));
	if (r) /* an error, or nothing to change */
		goto out;
	if (o->read_only) {
		bf_dbg("bf_edit: a read-only edit changed the ruleset");
		r = -EROFS;
		goto out;
	}
	if (!rs->families && !families_before)
		goto out; /* nothing was and nothing is */

	/* One segment program changed, or everything is rebuilt. */
	/* (a rule in a built-in chain of a point the slot is not attached
	 * at: everything, which attaches it, load/points.c) */
	r = sn && bf_nf_points_of(rs, ost.hdr.points) == ost.hdr.points ?
		    bf_seg_plan(&plan, rs, sn, t.slot.dir, ost.hdr.generation) :
		    1;
	if (r < 0)
		goto out;
	if (r == 0) {
		struct install_args a = {
			.kind = (enum bf_attach_kind)o->kind,
			.verbose = o->verbose,
			.old = &ost,
			.t0 = t0,
			.t_parse = now_ms(),
			.plan = plan,
			.async = &async,
			.from_irsnap = from_irsnap,
			.points = ost.hdr.points,
		};

		/* the segment program loads (the verifier) while install()
		 * checks the change and writes the new state */
		bf_seg_async_start(&async, plan, o->verbose);
		r = install(&t, rs, &a);
		/* (the segment's load is in install, beside the state) */
		bf_dbg("edit timings (one segment), load beside the state: "
		       "lock+read state %.1f ms, parse %.1f ms, counters %.1f "
		       "ms, change+plan %.1f ms, install %.1f ms",
		       t_read - t0, t_text - t_read, t_cnt - t_text,
		       a.t_parse - t_cnt, now_ms() - a.t_parse);
		if (r != 1)
			goto out;
		/* the kernel refused the new segment: rebuild everything */
		bf_seg_plan_undo(plan, rs);
		bf_seg_plan_free(&plan);
	}

	r = number_keeping_map(rs, &map);
	if (r)
		goto out;
	{
		struct install_args a = {
			.kind = (enum bf_attach_kind)o->kind,
			.ifname = o->ifname,
			.verbose = o->verbose,
			.test_only = o->test_only,
			.old = have_old ? &ost : NULL,
			.t0 = t0,
			.t_parse = now_ms(),
			.points = have_old ? ost.hdr.points : 0,
		};

		r = install(&t, rs, &a);
		t_inst = now_ms();
		if (!r && !o->test_only)
			carry_late_counts(old_cfd, snap, n_snap, t.counters_fd,
					  map, rs->n_counters);
		/* Where an edit's time goes (bench/edit.sh reads it). */
		bf_dbg("edit timings: lock+read state %.1f ms, parse %.1f ms, "
		       "counters %.1f ms, change+number %.1f ms, install %.1f "
		       "ms, late counts %.1f ms",
		       (have_old ? t_read : t_cnt) - t0,
		       have_old ? t_text - t_read : 0.0,
		       have_old ? t_cnt - t_text : 0.0, a.t_parse - t_cnt,
		       t_inst - a.t_parse, now_ms() - t_inst);
	}
out:
	/* (install() may have failed before waiting for the load) */
	bf_seg_async_wait(&async);
	/* a resident process keeps rs for the next change */
	bf_resident_end(&rs, r, ran, o->read_only, t.slot.dir, t.state_fd,
			have_old ? ost.hdr.generation : 0);
	bf_seg_plan_free(&plan);
	bf_seg_snap_free(&sn);
	bf_seginfo_release(&si);
	txn_release(&t);
	bf_state_release(&ost);
	bf_ruleset_free_later(&rs); /* load/segfast.h */
	return r;
}
