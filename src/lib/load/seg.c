// SPDX-License-Identifier: GPL-2.0-only
/*
 * Segmented netfilter programs and incremental changes: see load/seg.h
 * and doc/live.md ("Incremental changes").
 */
#include <assert.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/pktlog.h"
#include "load/pin.h"
#include "load/seg.h"
#include "load/segfast.h"
#include "cgen/c_segshare.h"
#include "cgen/mext.h"
#include "opt/lbvs.h"
#include "opt/opt.h"
#include "set/slot.h"

#define CHUNK 4096

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The seginfo map's value layout: this header, then n_slots u32. */
struct disk {
	char magic[8];
	uint64_t generation;
	uint32_t capacity, n_slots, n_pts, pad;
	struct bf_seg_point pts[BF_MAX_POINTS];
};
_Static_assert(sizeof(struct disk) <= CHUNK, "seginfo header in one chunk");

static unsigned long env_ul(const char *name, unsigned long def,
			    unsigned long min)
{
	const char *v = getenv(name);
	char *end;
	unsigned long x;

	if (!v || !*v)
		return def;
	x = strtoul(v, &end, 10);
	return *end || x < min ? def : x;
}

/* Rules per segment (BPFILTER_SEG_RULES) and the chain length from which
 * a chain is segmented (BPFILTER_SEG_MIN); tests set small values. */
static size_t seg_rules(void)
{
	return env_ul("BPFILTER_SEG_RULES", 64, 1);
}

static size_t seg_min(void)
{
	return env_ul("BPFILTER_SEG_MIN", 256, 1);
}

uint32_t bf_seg_capacity(uint32_t n)
{
	uint64_t c = (uint64_t)n + n / 4 + 64;

	return c > UINT32_MAX / 16 ? n : (uint32_t)c;
}

void bf_seginfo_release(struct bf_seginfo *si)
{
	free(si->slots);
	si->slots = NULL;
}

static int seginfo_write(const struct bf_seginfo *si)
{
	size_t len = sizeof(struct disk) + (size_t)si->n_slots * 4;
	uint32_t n = (uint32_t)((len + CHUNK - 1) / CHUNK);
	_cleanup_free_ uint8_t *buf = calloc(n, CHUNK);
	struct disk d = { .generation = si->generation,
			  .capacity = si->capacity,
			  .n_slots = si->n_slots,
			  .n_pts = si->n_pts };
	int fd;

	if (!buf)
		return -ENOMEM;
	memcpy(d.magic, BF_SEGINFO_MAGIC, sizeof(d.magic));
	memcpy(d.pts, si->pts, sizeof(d.pts));
	memcpy(buf, &d, sizeof(d));
	if (si->n_slots)
		memcpy(buf + sizeof(d), si->slots, (size_t)si->n_slots * 4);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_seginfo", 4, CHUNK, n,
			    NULL);
	if (fd < 0)
		return -errno;
	{
		/* every chunk in one system call */
		_cleanup_free_ uint32_t *keys = malloc(n * sizeof(*keys));
		uint32_t cnt = n;

		for (uint32_t i = 0; keys && i < n; i++)
			keys[i] = i;
		if (!keys || bpf_map_update_batch(fd, keys, buf, &cnt, NULL))
			cnt = 0;
		for (uint32_t i = cnt; i < n; i++) {
			if (bpf_map_update_elem(fd, &i, buf + (size_t)i * CHUNK,
						0)) {
				int r = -errno;

				close(fd);
				return r;
			}
		}
	}
	return fd;
}

static int seginfo_read(const char *slotdir, struct bf_seginfo *si)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	struct disk d;
	size_t len;
	uint32_t n;

	memset(si, 0, sizeof(*si));
	bf_path(path, sizeof(path), "%s/seginfo", slotdir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	{
		uint8_t chunk[CHUNK];
		uint32_t k = 0;

		if (bpf_map_lookup_elem(fd, &k, chunk))
			return -errno;
		memcpy(&d, chunk, sizeof(d));
	}
	if (memcmp(d.magic, BF_SEGINFO_MAGIC, sizeof(d.magic)) ||
	    d.n_pts > BF_MAX_POINTS)
		return -EINVAL;
	len = sizeof(d) + (size_t)d.n_slots * 4;
	n = (uint32_t)((len + CHUNK - 1) / CHUNK);
	buf = malloc((size_t)n * CHUNK);
	if (!buf)
		return -ENOMEM;
	/* every chunk in one system call (10 for 10,000 rules) */
	{
		_cleanup_free_ uint32_t *keys = malloc(n * sizeof(*keys));
		uint32_t out = 0, cnt = n;

		if (!keys)
			return -ENOMEM;
		if (bpf_map_lookup_batch(fd, NULL, &out, keys, buf, &cnt,
					 NULL) &&
		    errno != ENOENT)
			cnt = 0;
		for (uint32_t i = cnt; i < n; i++) {
			if (bpf_map_lookup_elem(fd, &i,
						buf + (size_t)i * CHUNK))
				return -errno;
		}
	}
	si->slots = malloc(((size_t)d.n_slots ? d.n_slots : 1) * 4);
	if (!si->slots)
		return -ENOMEM;
	memcpy(si->magic, d.magic, sizeof(si->magic));
	si->generation = d.generation;
	si->capacity = d.capacity;
	si->n_slots = d.n_slots;
	si->n_pts = d.n_pts;
	memcpy(si->pts, d.pts, sizeof(si->pts));
	memcpy(si->slots, buf + sizeof(d), (size_t)d.n_slots * 4);
	return 0;
}

int bf_seg_slots_read(const char *slotdir, uint64_t generation,
		      uint32_t n_counters, struct bf_seginfo *si)
{
	int r = seginfo_read(slotdir, si);

	if (r == -ENOENT)
		return 0;
	if (r) {
		bf_seginfo_release(si);
		return r;
	}
	if (si->generation != generation || si->n_slots != n_counters) {
		bf_warn("%s: segment info of generation %llu does not match "
			"the state (generation %llu): counters read in rule "
			"order",
			slotdir, (unsigned long long)si->generation,
			(unsigned long long)generation);
		bf_seginfo_release(si);
	}
	return 0;
}

int bf_seg_apply_slots(struct bf_ruleset *rs, const char *slotdir,
		       uint64_t generation)
{
	struct bf_seginfo si;
	int r = bf_seg_slots_read(slotdir, generation, rs->n_counters, &si);
	_cleanup_free_ uint32_t *slots = si.slots;

	if (r || !slots)
		return r;
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		if (c->builtin && c->policy_counter_idx < rs->n_counters)
			c->policy_counter_idx = slots[c->policy_counter_idx];
		for (size_t j = 0; j < c->n_rules; j++) {
			if (c->rules[j].counter_idx < rs->n_counters)
				c->rules[j].counter_idx =
					slots[c->rules[j].counter_idx];
		}
	}
	return 0;
}

/* The slots of rs's counters, in bf_ruleset_number() order. */
static int slots_of(const struct bf_ruleset *rs, uint32_t **out, uint32_t *n)
{
	size_t k = 0, total = 0;
	uint32_t *s;

	for (size_t i = 0; i < rs->n_chains; i++)
		total +=
			(rs->chains[i].builtin ? 1 : 0) + rs->chains[i].n_rules;
	s = malloc((total ? total : 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].builtin)
			s[k++] = rs->chains[i].policy_counter_idx;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		for (size_t j = 0; j < rs->chains[i].n_rules; j++)
			s[k++] = rs->chains[i].rules[j].counter_idx;
	}
	*out = s;
	*n = (uint32_t)total;
	return 0;
}

/* ---- compiling segments ---- */

/* rs with the built-in chain b cut down to rules [first, first + n): a
 * shallow copy (free sub->chains only). */
static int sub_ruleset(struct bf_ruleset *sub, const struct bf_ruleset *rs,
		       const struct bf_chain *b, size_t first, size_t n)
{
	struct bf_chain *chains = malloc(rs->n_chains * sizeof(*chains));
	size_t bi = (size_t)(b - rs->chains);

	if (!chains)
		return -ENOMEM;
	memcpy(chains, rs->chains, rs->n_chains * sizeof(*chains));
	chains[bi].rules = b->rules + first;
	chains[bi].n_rules = n;
	*sub = *rs;
	sub->chains = chains;
	return 0;
}

/* Can the program run as a segment? Its maps must be ones a segment
 * can have (load/seg.h): its own fold maps and rate-limit state, the
 * point's LOG maps, the pinned recent / hashlimit tables and sets. Not:
 * nft limit buckets (one map for all the slot's programs, created after
 * the segments are loaded), user BPF code, a REJECT reply buffer (no
 * netfilter program has one). */
static bool seg_relocs_ok(const struct bf_program *p)
{
	for (size_t i = 0; i < p->n_relocs; i++) {
		switch (p->relocs[i].kind) {
		case BF_RELOC_COUNTERS:
		case BF_RELOC_MAP:
		case BF_RELOC_STATE:
		case BF_RELOC_LOGBUF:
		case BF_RELOC_LOGRING:
		case BF_RELOC_RECENT_IDX:
		case BF_RELOC_RECENT_TAB:
		case BF_RELOC_HASHLIMIT:
		case BF_RELOC_SET:
			break;
		default:
			bf_dbg("%s: a segment program cannot use a map of "
			       "relocation kind %d (%s)",
			       p->name, (int)p->relocs[i].kind,
			       p->relocs[i].kind == BF_RELOC_NFTBUCKET ?
				       "nft limit buckets" :
				       "user BPF or REJECT buffer");
			return false;
		}
	}
	return true;
}

/* Give a program the maps of its point that are not its own: the named
 * sets and the namespace's recent / hashlimit tables as the full
 * program of the point had them (`like`), and the point's LOG maps. */
static void seg_share_maps(struct bf_program *p, const struct bf_program *like,
			   const int *logbuf_fd, const int *logring_fd)
{
	p->set_fds = like->set_fds;
	p->n_set_fds = like->n_set_fds;
	p->recent_dir = like->recent_dir;
	p->logbuf_fd = logbuf_fd;
	p->logring_fd = logring_fd;
}

/* Segment of rules [first, first + n) of chain b (the built-in chain of
 * sp's point, or a segmented user chain). */
static int compile_seg(const struct bf_ruleset *rs,
		       const struct bf_seg_point *sp, const struct bf_chain *b,
		       size_t first, size_t n, const struct bf_seg_opts *o,
		       struct bf_program **out)
{
	struct bf_seg_opts so = *o;
	struct bf_ruleset sub;
	int r = sub_ruleset(&sub, rs, b, first, n);

	if (r)
		return r;
	so.whole = rs;
	r = bf_cgen_compile_seg(&sub, (enum bf_hook)(sp->hook),
				(enum bf_family)sp->family, &so, out);
	free(sub.chains);
	if (!r && !seg_relocs_ok(*out)) {
		bf_program_free(out);
		r = -ENOTSUP;
	}
	return r;
}

static int load_seg(struct bf_program *p, int counters_fd, int segs_fd,
		    uint32_t k, bool verbose)
{
	static char log[1 << 16];
	int fd, r = 0;

	log[0] = '\0';
	fd = bf_program_load(p, counters_fd, log, sizeof(log));
	if (fd < 0) {
		bf_dbg("the kernel refused segment program %s: %s%s", p->name,
		       strerror(-fd),
		       verbose ? "" : " (-v shows the verifier log)");
		if (verbose && log[0])
			bf_dbg("verifier log:\n%s", log);
		return fd;
	}
	if (bpf_map_update_elem(segs_fd, &k, &fd, BPF_ANY))
		r = -errno;
	close(fd);
	if (r)
		bf_err("cannot install segment program %s: %s", p->name,
		       strerror(-r));
	return r;
}

/* FNV-1a of the code, map fds left out. */
static uint64_t code_hash(const struct bf_program *p)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < p->n_insns; i++) {
		struct bpf_insn in = p->insns[i];
		const uint8_t *b = (const uint8_t *)&in;

		if (in.code == (BPF_LD | BPF_DW | BPF_IMM) &&
		    (in.src_reg == BPF_PSEUDO_MAP_FD ||
		     in.src_reg == BPF_PSEUDO_MAP_VALUE))
			in.imm = 0;
		for (size_t k = 0; k < sizeof(in); k++) {
			h ^= b[k];
			h *= 0x100000001b3ull;
		}
	}
	return h;
}

/* The code hash of the root program at b's point of a ruleset with rs's
 * families and built-in policies and no rules (load/segfast.h). */
static int root_min_hash(const struct bf_ruleset *rs, const struct bf_chain *b,
			 uint64_t *hash)
{
	struct bf_seg_opts o = { .root = true, .pcpu_fd = -1, .segs_fd = -1 };
	struct bf_ruleset *z = bf_ruleset_new();
	struct bf_program *root = NULL;
	int r;

	if (!z)
		return -ENOMEM;
	z->families = rs->families;
	for (size_t i = 0; i < z->n_chains; i++) {
		struct bf_chain *c = &z->chains[i];
		const struct bf_chain *in =
			bf_ruleset_builtin(rs, c->family, c->hook);

		if (!in)
			continue;
		c->policy = in->policy;
		c->policy_counter_idx = in->policy_counter_idx;
	}
	r = bf_cgen_compile_seg(z, (enum bf_hook)b->hook,
				(enum bf_family)b->family, &o, &root);
	if (!r)
		*hash = code_hash(root);
	bf_program_free(&root);
	bf_ruleset_free(&z);
	return r;
}

/* Cost units of a rule for cutting a chain: an unfolded rule is tested
 * alone (UNIT); the rules of a folded group are one hash lookup, which
 * the verifier walks once whatever the group's size: the group costs
 * UNIT plus FOLD_UNIT a rule. (Measured here: a segment of 334 folded /32
 * rules loads in ~1-1.5 ms, one of 334 mixed rules in ~20 ms.) */
#define UNIT 64u
#define FOLD_UNIT 2u
/* A member of the bit-vector search (opt/lbvs.h) is a range test in its
 * block: measured here, a segment of 333 such rules loads in 3-5 ms CPU,
 * one of 333 mixed rules in 8-9 ms (doc/live.md). Fewer, larger segments
 * also mean fewer searches per packet: each segment runs its own. */
#define LBVS_UNIT 4u
/* The most one rule can cost (the first rule of a folded group): a
 * change's segment of n rules costs at most n times this. */
#define RULE_COST_MAX (UNIT + FOLD_UNIT)
static_assert(LBVS_UNIT <= RULE_COST_MAX && UNIT <= RULE_COST_MAX,
	      "RULE_COST_MAX bounds every rule's cost");

static bool fold_aware(void)
{
	return env_ul("BPFILTER_SEG_FOLD", 1, 0) != 0;
}

/* Folded rules one segment may hold (BPFILTER_SEG_FOLD_MAX): the
 * verifier walks a group once, but a change to a segment refills its
 * group's hash map, one key a rule (35-57 ms for the 9,957 keys of one
 * 10,000-rule group at load 6-8, on top of 12-28 ms of compile): a
 * segment is cut inside a group rather than hold more. Each segment
 * costs a packet a tail call and its own lookups: 1,024 made shape b of
 * bench/e2e.sh at 10,000 rules 11 segments instead of 6 and measurably
 * slower per packet; 2,048 keeps it at 6 (doc/live.md). */
static size_t seg_fold_max(void)
{
	return env_ul("BPFILTER_SEG_FOLD_MAX", 2048, 1);
}

/* A cut inside a folded group leaves at least this many of its rules on
 * each side (each part stays a group of its own segment). */
#define FOLD_PART 64u

/* Where rule i of a rule_costs() call stands in its folded group: pos 0
 * if it is in none, else its 1-based position; left = the group's rules
 * from i on (i included). */
struct seg_grp {
	uint32_t pos, left;
};

/* costs[i] of the rules [first, first + n) of chain b (folded as they
 * would be in a segment of just these rules), their sum in *total, and
 * (if grp) grp[i] as above. 0 or -errno. */
static int rule_costs(const struct bf_chain *b, size_t first, size_t n,
		      uint32_t *costs, struct seg_grp *grp, uint64_t *total)
{
	struct bf_chain sub = *b;
	struct bf_fold_group *groups = NULL;
	struct bf_lbvs *lbvs = NULL;
	size_t n_groups = 0, g = 0;
	int r = 0;

	sub.rules = b->rules + first;
	sub.n_rules = n;
	if (fold_aware())
		r = bf_fold_chain(&sub, &groups, &n_groups);
	if (r)
		return r;
	if (fold_aware() && n)
		r = bf_lbvs_select_nf(&sub, groups, n_groups, true, &lbvs);
	if (r) {
		free(groups);
		return r;
	}
	*total = 0;
	for (size_t i = 0; i < n; i++) {
		costs[i] = lbvs && lbvs->rule_member[i] != SIZE_MAX ?
				   LBVS_UNIT :
				   UNIT;
		if (grp)
			grp[i].pos = grp[i].left = 0;
		if (g < n_groups && i >= groups[g].first + groups[g].n)
			g++;
		if (g < n_groups && i >= groups[g].first) {
			costs[i] =
				FOLD_UNIT + (i == groups[g].first ? UNIT : 0);
			if (grp) {
				grp[i].pos =
					(uint32_t)(i - groups[g].first + 1);
				grp[i].left = (uint32_t)(groups[g].first +
							 groups[g].n - i);
			}
		}
		*total += costs[i];
	}
	free(groups);
	bf_lbvs_free(&lbvs);
	return 0;
}

/* Cut the rules of b into at most BF_SEG_MAX segments of about
 * BPFILTER_SEG_RULES unfolded rules' cost each (fold-aware: a folded run
 * is cheap to verify, so the segments of unfolded rules get smaller), and
 * of at most seg_fold_max() folded rules (a change refills the segment's
 * fold maps): each segment ends where its cost reaches an equal share of
 * what is left for the segments left, or where it holds seg_fold_max()
 * folded rules. A cut inside a folded group leaves FOLD_PART rules or
 * more on each side (each side is folded in its own segment). */
static int seg_sizes(const struct bf_chain *b, uint32_t *n_seg, uint32_t *sizes,
		     uint32_t max)
{
	size_t n_rules = b->n_rules, n_fold = 0, fold_max = seg_fold_max();
	_cleanup_free_ uint32_t *costs = malloc((n_rules + 1) * sizeof(*costs));
	_cleanup_free_ struct seg_grp *grp =
		malloc((n_rules + 1) * sizeof(*grp));
	uint64_t total = 0, cum = 0, start = 0, fold_cost = 0,
		 per = (uint64_t)seg_rules() * UNIT;
	uint32_t n = 0, size = 0, want, nf = 0, want_fold;
	int r;

	if (!costs || !grp)
		return -ENOMEM;
	r = rule_costs(b, 0, n_rules, costs, grp, &total);
	if (r)
		return r;
	for (size_t i = 0; i < n_rules; i++) {
		n_fold += grp[i].pos != 0;
		fold_cost += grp[i].pos ? costs[i] : 0;
	}
	want = (uint32_t)((total + per - 1) / per);
	/* The cap on folded rules takes segments of their own: the other
	 * rules' cost in segments of the usual budget, plus the folded
	 * rules by seg_fold_max(). When that is more than BF_SEG_MAX, the
	 * cap is off (cut by cost alone, where a folded rule is priced with
	 * its map fill): more cuts in the folded runs would make the other
	 * segments dearer. */
	want_fold = (uint32_t)((total - fold_cost + per - 1) / per +
			       (n_fold + fold_max - 1) / fold_max);
	if (!fold_aware() || want_fold > BF_SEG_MAX)
		fold_max = SIZE_MAX;
	else if (want < want_fold)
		want = want_fold;
	if (want > max)
		want = max;
	if (!want)
		want = 1;
	for (size_t i = 0; i < n_rules; i++) {
		bool can = grp[i].pos <= 1 ||
			   (fold_aware() && grp[i].pos > FOLD_PART &&
			    grp[i].left >= FOLD_PART);
		bool due = cum - start >= (total - start) / (want - n) ||
			   (grp[i].pos && nf >= fold_max);

		if (size && can && due && n + 1 < want) {
			if (grp[i].pos > 1)
				bf_dbg("segment %u: cut inside a folded group "
				       "(%u rules before, %u after)",
				       n, grp[i].pos - 1, grp[i].left);
			sizes[n++] = size;
			size = 0;
			nf = 0;
			start = cum;
		}
		size++;
		nf += grp[i].pos != 0;
		cum += costs[i];
	}
	sizes[n++] = size;
	*n_seg = n;
	return 0;
}

static int seg_maps(int *pcpu_fd, int *segs_fd)
{
	*pcpu_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bf_segpctx", 4,
				  sizeof(struct bf_seg_pcpu), 1, NULL);
	if (*pcpu_fd < 0)
		return -errno;
	*segs_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "bf_segs", 4, 4,
				  BF_SEG_MAX, NULL);
	if (*segs_fd < 0) {
		int r = -errno;

		close(*pcpu_fd);
		*pcpu_fd = -1;
		return r;
	}
	return 0;
}

/* The LOG maps of a point (as bf_program_load() makes a program's own):
 * the per-CPU record the root's prologue fills and the segments' LOG
 * rules complete, and the ring they write it to. */
static int log_maps_create(int *buf_fd, int *ring_fd)
{
	*buf_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bf_logbuf", 4,
				 sizeof(struct bf_pktlog_rec), 1, NULL);
	if (*buf_fd < 0)
		return -errno;
	*ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bf_log", 0, 0,
				  BF_PKTLOG_RINGBUF_SIZE, NULL);
	if (*ring_fd < 0) {
		int r = -errno;

		close(*buf_fd);
		*buf_fd = -1;
		return r;
	}
	return 0;
}

/* (fds of a bf_seg_txn: 0 or -1 is none, as install() zeroes it) */
static void close_fd(int *fd)
{
	if (*fd > 0)
		close(*fd);
	*fd = -1;
}

/* ---- segmented user chains (doc/live.md, "Segmented user chains") ---- */

uint32_t bf_seg_chain_hash(const char *name)
{
	uint32_t h = 0x811c9dc5u;

	for (; *name; name++) {
		h ^= (uint8_t)*name;
		h *= 0x01000193u;
	}
	return h;
}

/* BPFILTER_SEG_USER=0: user chains are never cut (as before). */
static bool seg_user_on(void)
{
	return env_ul("BPFILTER_SEG_USER", 1, 0) != 0;
}

/* The user chain a rule jumps to (-j or -g), or NULL. */
static const struct bf_chain *jump_target(const struct bf_ruleset *rs,
					  const struct bf_chain *c,
					  const struct bf_rule *r)
{
	const struct bf_chain *t;

	if (r->verdict.kind != BF_VERDICT_JUMP &&
	    r->verdict.kind != BF_VERDICT_GOTO)
		return NULL;
	t = bf_ruleset_chain(rs, c->family, r->verdict.chain);
	return t && !t->builtin ? t : NULL;
}

/* User-chain analysis of one point: st[i] bit 0: chain i reached from the
 * built-in chain, bit 1: visited, bit 2: it reaches a long user chain (or
 * is one); bit 3: it holds an nft "next" verdict. */
#define UC_REACH 1u
#define UC_SEEN 2u
#define UC_LONG 4u
#define UC_NEXT 8u

static unsigned int uc_walk(const struct bf_ruleset *rs, size_t i, uint8_t *st,
			    unsigned int depth)
{
	const struct bf_chain *c = &rs->chains[i];
	unsigned int f = 0;

	if (st[i] & UC_SEEN)
		return st[i] & (UC_LONG | UC_NEXT);
	st[i] |= UC_SEEN | UC_REACH;
	if (!c->builtin && c->n_rules >= seg_min())
		f |= UC_LONG;
	for (size_t j = 0; j < c->n_rules; j++) {
		const struct bf_chain *t = jump_target(rs, c, &c->rules[j]);

		if (c->rules[j].verdict.kind == BF_VERDICT_NFT_NEXT)
			f |= UC_NEXT;
		if (t && depth < 64)
			f |= uc_walk(rs, (size_t)(t - rs->chains), st,
				     depth + 1);
		else if (t)
			f |= UC_NEXT; /* too deep: give up */
	}
	st[i] |= (uint8_t)f;
	return f;
}

/* mult[t] += m along every -j/-g site from chain i to a segmented chain
 * (segd), recursively: how often a chain's segments may be crossed by
 * one packet (each site on a path counts). Stops above BF_SEG_MAX. */
static void uc_mult(const struct bf_ruleset *rs, size_t i, const uint8_t *segd,
		    uint32_t *mult, uint32_t m)
{
	const struct bf_chain *c = &rs->chains[i];

	mult[i] += m;
	if (mult[i] > BF_SEG_MAX)
		return;
	for (size_t j = 0; j < c->n_rules; j++) {
		const struct bf_chain *t = jump_target(rs, c, &c->rules[j]);

		if (t && segd[t - rs->chains])
			uc_mult(rs, (size_t)(t - rs->chains), segd, mult, m);
	}
}

/* Segmented chains entered, nested, on the deepest path from chain i
 * (memo[i]: that + 1 once known, 0 before). */
static unsigned int uc_depth(const struct bf_ruleset *rs, size_t i,
			     const uint8_t *segd, uint8_t *memo)
{
	const struct bf_chain *c = &rs->chains[i];
	unsigned int best = 0;

	if (memo[i])
		return memo[i] - 1u;
	for (size_t j = 0; j < c->n_rules; j++) {
		const struct bf_chain *t = jump_target(rs, c, &c->rules[j]);
		unsigned int d;

		if (!t || !segd[t - rs->chains])
			continue;
		d = 1 + uc_depth(rs, (size_t)(t - rs->chains), segd, memo);
		if (d > best)
			best = d;
	}
	memo[i] = (uint8_t)(best < 254 ? best + 1 : 255);
	return best;
}

/* A piece of a chain between forced cuts (after each -j/-g to a
 * segmented chain that is not the chain's last rule). */
struct uc_piece {
	size_t chain, first, n;
	uint32_t want, alloc;
};

/* The segment layout of sp's point when user chains are cut (segd[i] set
 * for each segmented user chain): sp->n_seg, sizes, chash and jmask.
 * Returns 0, 1 when user chains are not cut here (segd all zero; the
 * built-in chain alone may be, as before), or -errno. */
static int user_layout(const struct bf_ruleset *rs, const struct bf_chain *b,
		       struct bf_seg_point *sp, uint8_t *segd)
{
	size_t bi = (size_t)(b - rs->chains), n_pieces = 0, n_segd = 0;
	_cleanup_free_ uint8_t *st = calloc(rs->n_chains + 1, 1);
	_cleanup_free_ uint8_t *memo = calloc(rs->n_chains + 1, 1);
	_cleanup_free_ uint32_t *mult = calloc(rs->n_chains + 1, sizeof(*mult));
	_cleanup_free_ struct uc_piece *pc = NULL;
	uint32_t w = 0, left, n = 0;
	int r = 0;

	memset(segd, 0, rs->n_chains);
	if (!st || !mult || !memo)
		return -ENOMEM;
	if (!seg_user_on() || (uc_walk(rs, bi, st, 0) & UC_NEXT) ||
	    !(st[bi] & UC_LONG))
		return 1;
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (i != bi && (st[i] & UC_REACH) && (st[i] & UC_LONG)) {
			segd[i] = 1;
			n_segd++;
		}
	}
	/* the point's chains are told apart by name hash */
	for (size_t i = 0; i < rs->n_chains; i++) {
		for (size_t j = i + 1; j < rs->n_chains && (segd[i] || i == bi);
		     j++) {
			if ((segd[j] || j == bi) &&
			    bf_seg_chain_hash(rs->chains[i].name) ==
				    bf_seg_chain_hash(rs->chains[j].name))
				goto none;
		}
	}
	if (uc_depth(rs, bi, segd, memo) > BF_SEG_RSTK_DEPTH) {
		bf_dbg("%s: segmented user chains nest too deep: not cut",
		       b->name);
		goto none;
	}
	uc_mult(rs, bi, segd, mult, 1);
	/* the pieces, in segment order: the built-in chain's, then each
	 * segmented chain's */
	pc = calloc(rs->n_chains + 1, sizeof(*pc));
	for (size_t o = 0; pc && o <= rs->n_chains; o++) {
		size_t i = o == 0 ? bi : o - 1;
		const struct bf_chain *c = &rs->chains[i];
		size_t first = 0;

		if (o && (i == bi || !segd[i]))
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct bf_chain *t =
				jump_target(rs, c, &c->rules[j]);
			bool cut = (t && segd[t - rs->chains]) ||
				   j + 1 == c->n_rules;
			struct uc_piece *q;

			if (!cut)
				continue;
			q = realloc(pc, (n_pieces + 1) * sizeof(*pc));
			if (!q)
				return -ENOMEM;
			pc = q;
			pc[n_pieces++] = (struct uc_piece){
				.chain = i, .first = first, .n = j + 1 - first
			};
			first = j + 1;
		}
		if (!c->n_rules) {
			struct uc_piece *q =
				realloc(pc, (n_pieces + 1) * sizeof(*pc));

			if (!q)
				return -ENOMEM;
			pc = q;
			pc[n_pieces++] = (struct uc_piece){ .chain = i };
		}
	}
	if (!pc)
		return -ENOMEM;
	for (size_t k = 0; k < n_pieces; k++) {
		w += mult[pc[k].chain];
		pc[k].alloc = 1;
	}
	if (w > BF_SEG_MAX) {
		bf_dbg("%s: the segmented user chains would need %u tail "
		       "calls a packet: not cut",
		       b->name, w);
		goto none;
	}
	/* what each piece would like, by cost */
	for (size_t k = 0; k < n_pieces; k++) {
		struct bf_chain sub = rs->chains[pc[k].chain];
		uint32_t sizes[BF_SEG_MAX];

		sub.rules += pc[k].first;
		sub.n_rules = pc[k].n;
		pc[k].want = 1;
		if (pc[k].n) {
			r = seg_sizes(&sub, &pc[k].want, sizes, BF_SEG_MAX);
			if (r)
				return r;
		}
	}
	/* share the tail calls left: one more segment at a time to the
	 * piece with the most rules' cost a segment it may still take */
	for (left = BF_SEG_MAX - w;;) {
		size_t best = SIZE_MAX;
		uint64_t bv = 0;

		for (size_t k = 0; k < n_pieces; k++) {
			uint64_t v = (uint64_t)pc[k].want * 1000 / pc[k].alloc;

			if (pc[k].alloc < pc[k].want &&
			    mult[pc[k].chain] <= left && v > bv) {
				bv = v;
				best = k;
			}
		}
		if (best == SIZE_MAX)
			break;
		pc[best].alloc++;
		left -= mult[pc[best].chain];
	}
	sp->n_seg = 0;
	sp->jmask = 0;
	for (size_t k = 0; k < n_pieces; k++) {
		const struct bf_chain *c = &rs->chains[pc[k].chain];
		struct bf_chain sub = *c;
		uint32_t sizes[BF_SEG_MAX], m = 1;
		const struct bf_chain *t = NULL;

		sub.rules += pc[k].first;
		sub.n_rules = pc[k].n;
		sizes[0] = 0;
		if (pc[k].n) {
			r = seg_sizes(&sub, &m, sizes, pc[k].alloc);
			if (r)
				return r;
			t = jump_target(rs, c,
					&c->rules[pc[k].first + pc[k].n - 1]);
		}
		if (n + m > BF_SEG_MAX)
			goto none; /* cannot be */
		for (uint32_t j = 0; j < m; j++) {
			sp->sizes[n] = sizes[j];
			sp->chash[n] = bf_seg_chain_hash(c->name);
			n++;
		}
		if (t && segd[t - rs->chains])
			sp->jmask |= 1u << (n - 1);
	}
	sp->n_seg = (uint8_t)n;
	bf_dbg("%s: %zu user chains cut too: %u segments, at most %u entered "
	       "by a packet (one tail call each)",
	       b->name, n_segd, n, BF_SEG_MAX - left);
	return 0;
none:
	memset(segd, 0, rs->n_chains);
	return 1;
}

/* segd of sp's point, from its chain hashes; true when user chains are
 * cut there. */
static bool point_segd(const struct bf_ruleset *rs,
		       const struct bf_seg_point *sp, uint8_t *segd)
{
	bool any = false;

	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];
		uint32_t h = bf_seg_chain_hash(c->name);

		segd[i] = 0;
		if (c->builtin || c->family != sp->family)
			continue;
		for (uint32_t k = 0; k < sp->n_seg; k++) {
			if (sp->chash[k] == h) {
				segd[i] = 1;
				any = true;
				break;
			}
		}
	}
	return any;
}

/* The chain of segment k of sp, the index of its first rule there, and
 * the options of its program (segd from point_segd(), NULL when no user
 * chain is cut: next, jump_to and user stay 0/-1 as before). */
static const struct bf_chain *seg_of(const struct bf_ruleset *rs,
				     const struct bf_seg_point *sp,
				     const uint8_t *segd, uint32_t k,
				     size_t *first, struct bf_seg_opts *so)
{
	const struct bf_chain *c = NULL, *t;

	*first = 0;
	for (uint32_t j = 0; j < k; j++)
		*first += sp->chash[j] == sp->chash[k] ? sp->sizes[j] : 0;
	for (size_t i = 0; i < rs->n_chains && !c; i++) {
		const struct bf_chain *x = &rs->chains[i];

		if (x->family == sp->family &&
		    (x->builtin ? x->hook == sp->hook : segd && segd[i]) &&
		    bf_seg_chain_hash(x->name) == sp->chash[k])
			c = x;
	}
	so->index = k;
	so->segd = segd;
	so->user = c && !c->builtin ? (uint32_t)(c - rs->chains) + 1 : 0;
	so->next = k + 1 < sp->n_seg && sp->chash[k + 1] == sp->chash[k] ?
			   (int32_t)k + 1 :
			   -1;
	so->jump_to = -1;
	if (!segd)
		so->user = 0;
	if (c && segd && (sp->jmask & (1u << k)) && sp->sizes[k] &&
	    *first + sp->sizes[k] <= c->n_rules) {
		t = jump_target(rs, c, &c->rules[*first + sp->sizes[k] - 1]);
		if (t) {
			uint32_t h = bf_seg_chain_hash(t->name);

			for (uint32_t j = 0; j < sp->n_seg; j++) {
				if (sp->chash[j] == h) {
					so->jump_to = (int32_t)j;
					break;
				}
			}
		}
	}
	return c;
}

/* ---- full builds ---- */

void bf_seg_txn_init(struct bf_seg_txn *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < BF_MAX_POINTS; i++)
		st->segs_fd[i] = st->pcpu_fd[i] = st->logbuf_fd[i] =
			st->logring_fd[i] = -1;
}

void bf_seg_txn_release(struct bf_seg_txn *st)
{
	for (size_t i = 0; i < BF_MAX_POINTS; i++) {
		if (st->segs_fd[i] > 0)
			close(st->segs_fd[i]);
		if (st->pcpu_fd[i] > 0)
			close(st->pcpu_fd[i]);
		st->segs_fd[i] = st->pcpu_fd[i] = -1;
		close_fd(&st->logbuf_fd[i]);
		close_fd(&st->logring_fd[i]);
	}
	bf_seginfo_release(&st->si);
}

/* The point's shared LOG record (buf) or ring, or NULL. */
static const int *log_fds(const struct bf_seg_txn *st, size_t i, bool buf)
{
	const int *fd = buf ? &st->logbuf_fd[i] : &st->logring_fd[i];

	return *fd > 0 ? fd : NULL;
}

int bf_seg_build(struct bf_seg_txn *st, struct bf_point *pts, size_t n,
		 const struct bf_ruleset *rs, int counters_fd,
		 uint32_t capacity, bool verbose)
{
	int r;

	st->si.capacity = capacity;
	for (size_t i = 0; i < n; i++) {
		const struct bf_chain *b =
			bf_ruleset_builtin(rs, pts[i].family, pts[i].hook);
		struct bf_seg_point sp = { .family = (uint8_t)pts[i].family,
					   .hook = (uint8_t)pts[i].hook };
		struct bf_mx mx = { 0 };
		struct bf_seg_opts o = { .root = true, .mx_out = &mx };
		struct bf_program *root = NULL;
		uint32_t n_seg = 0;
		size_t first = 0;
		struct bf_seg_share *share = NULL;
		uint64_t hash = 0;
		_cleanup_free_ uint8_t *segd = NULL;
		bool user = false;

		if (!b || pts[i].prog->attach != BF_ATTACH_NF)
			continue;
		segd = calloc(rs->n_chains + 1, 1);
		if (!segd)
			return -ENOMEM;
		r = user_layout(rs, b, &sp, segd);
		if (r < 0)
			return r;
		user = r == 0;
		if (!user && b->n_rules < seg_min())
			continue;
		r = seg_maps(&st->pcpu_fd[i], &st->segs_fd[i]);
		if (r)
			return r;
		/* one lookup per shape in the root (cgen/c_segshare.h);
		 * BPFILTER_SEG_SHARE=0: each segment its own (also when
		 * out of memory here) */
		if (env_ul("BPFILTER_SEG_SHARE", 1, 0))
			share = bf_seg_share_new();
		o.pcpu_fd = st->pcpu_fd[i];
		o.segs_fd = st->segs_fd[i];
		r = bf_cgen_compile_seg(rs, pts[i].hook, pts[i].family, &o,
					&root);
		if (!r && user) {
			n_seg = sp.n_seg;
		} else if (!r) {
			r = seg_sizes(b, &n_seg, sp.sizes, BF_SEG_MAX);
			for (uint32_t k = 0; k < n_seg; k++)
				sp.chash[k] = bf_seg_chain_hash(b->name);
			sp.n_seg = (uint8_t)n_seg;
		}
		/* LOG rules: the point's record and ring */
		if (!r && root->log)
			r = log_maps_create(&st->logbuf_fd[i],
					    &st->logring_fd[i]);
		for (uint32_t k = 0; !r && k < n_seg; k++) {
			struct bf_seg_opts so = o;
			struct bf_program *p = NULL;
			const struct bf_chain *sc;

			so.root = false;
			so.share = share;
			so.mx_out = NULL;
			so.mx_seed = &mx;
			sc = seg_of(rs, &sp, user ? segd : NULL, k, &first,
				    &so);
			r = sc ? compile_seg(rs, &sp, sc, first, sp.sizes[k],
					     &so, &p) :
				 -EINVAL;
			if (!r) {
				seg_share_maps(p, pts[i].prog,
					       log_fds(st, i, true),
					       log_fds(st, i, false));
				r = load_seg(p, counters_fd, o.segs_fd, k,
					     verbose);
			}
			bf_program_free(&p);
		}
		/* the root in force looks the shapes up; a change compares
		 * the root it compiles (no shapes) with the plain one */
		if (!r)
			hash = code_hash(root);
		if (!r && share && share->n_shapes) {
			struct bf_program *sroot = NULL;

			share->n_seg = n_seg;
			o.share = share;
			r = bf_cgen_compile_seg(rs, pts[i].hook, pts[i].family,
						&o, &sroot);
			if (!r) {
				bf_program_free(&root);
				root = sroot;
			}
			bf_dbg("%s: %zu fold shapes looked up once in the "
			       "root",
			       pts[i].key, share->n_shapes);
		}
		bf_seg_share_free(&share);
		if (r) {
			/* Rules segment programs cannot run (-ENOTSUP), or
			 * the kernel refused a segment program (seen: the
			 * x86 JIT failing to converge, "bpf_jit: fatal
			 * error"): one program, as without segments. */
			bf_dbg("%s: not segmented (%s)", pts[i].key,
			       strerror(-r));
			bf_program_free(&root);
			close(st->pcpu_fd[i]);
			close(st->segs_fd[i]);
			st->pcpu_fd[i] = st->segs_fd[i] = -1;
			close_fd(&st->logbuf_fd[i]);
			close_fd(&st->logring_fd[i]);
			r = 0;
			continue;
		}
		sp.n_seg = (uint8_t)n_seg;
		sp.root_hash = hash;
		seg_share_maps(root, pts[i].prog, log_fds(st, i, true),
			       log_fds(st, i, false));
		bf_program_free(&pts[i].prog);
		pts[i].prog = root;
		st->on[i] = true;
		snprintf(st->key[i], sizeof(st->key[i]), "%s", pts[i].key);
		st->si.pts[st->si.n_pts++] = sp;
		{
			size_t tot = 0;

			for (uint32_t k = 0; k < n_seg; k++)
				tot += sp.sizes[k];
			bf_dbg("%s: %u segment programs of about %zu rules",
			       pts[i].key, n_seg, tot / n_seg);
		}
	}
	if (st->si.n_pts)
		return slots_of(rs, &st->si.slots, &st->si.n_slots);
	return 0;
}

int bf_pin_replace(int fd, const char *dir, const char *name)
{
	char tmp[PATH_MAX], path[PATH_MAX];

	/* bpffs refuses names with a dot (bpf_lookup()). */
	bf_path(tmp, sizeof(tmp), "%s/new_%s", dir, name);
	bf_path(path, sizeof(path), "%s/%s", dir, name);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	/* bpffs renames replace the target atomically (simple_rename). */
	if (rename(tmp, path)) {
		int r = -errno;

		unlink(tmp);
		return r;
	}
	return 0;
}

static const char *const point_keys[] = { "in4", "fwd4", "out4",
					  "in6", "fwd6", "out6" };

int bf_seg_commit(struct bf_seg_txn *st, const char *slotdir,
		  uint64_t generation)
{
	char path[PATH_MAX];
	int r = 0, fd;

	/* pins of points no longer segmented (LOG maps: or whose rules no
	 * longer LOG) */
	for (size_t k = 0; k < sizeof(point_keys) / sizeof(*point_keys); k++) {
		bool on = false, log = false;

		for (size_t i = 0; i < BF_MAX_POINTS; i++) {
			if (!st->on[i] || strcmp(st->key[i], point_keys[k]))
				continue;
			on = true;
			log = st->logring_fd[i] > 0;
		}
		if (!log) {
			bf_path(path, sizeof(path), "%s/seglog_%s", slotdir,
				point_keys[k]);
			unlink(path);
			bf_path(path, sizeof(path), "%s/seglogb_%s", slotdir,
				point_keys[k]);
			unlink(path);
		}
		if (on)
			continue;
		bf_path(path, sizeof(path), "%s/segs_%s", slotdir,
			point_keys[k]);
		unlink(path);
		bf_path(path, sizeof(path), "%s/pctx_%s", slotdir,
			point_keys[k]);
		unlink(path);
	}
	bf_path(path, sizeof(path), "%s/seginfo", slotdir);
	if (!st->si.n_pts) {
		unlink(path);
		return 0;
	}
	for (size_t i = 0; i < BF_MAX_POINTS && !r; i++) {
		char name[32];

		if (!st->on[i])
			continue;
		snprintf(name, sizeof(name), "segs_%s", st->key[i]);
		r = bf_pin_replace(st->segs_fd[i], slotdir, name);
		snprintf(name, sizeof(name), "pctx_%s", st->key[i]);
		if (!r)
			r = bf_pin_replace(st->pcpu_fd[i], slotdir, name);
		if (r || st->logring_fd[i] <= 0)
			continue;
		/* where `bpfilter log` finds the ring (pktlog/reader.c) and
		 * a one-segment change the maps */
		snprintf(name, sizeof(name), "seglogb_%s", st->key[i]);
		r = bf_pin_replace(st->logbuf_fd[i], slotdir, name);
		snprintf(name, sizeof(name), "seglog_%s", st->key[i]);
		if (!r)
			r = bf_pin_replace(st->logring_fd[i], slotdir, name);
	}
	st->si.generation = generation;
	fd = r ? r : seginfo_write(&st->si);
	if (fd < 0) {
		unlink(path);
		bf_warn("%s: cannot store the segment info (%s): the next "
			"change will rebuild everything",
			slotdir, strerror(-fd));
		return fd;
	}
	r = bf_pin_replace(fd, slotdir, "seginfo");
	close(fd);
	if (r)
		unlink(path);
	return r;
}

/* ---- incremental changes ---- */

struct snap_chain {
	char name[BF_CHAIN_NAME_MAX + 1];
	int family;
	bool builtin;
	int policy;
	uint32_t policy_idx;
	struct bf_counter policy_counter;
	size_t n_rules;
	uint32_t *ids; /* counter_idx (slot + 1) of each rule */
	struct bf_counter *counters;
	uint8_t *stateful; /* SNAP_STATEFUL, SNAP_TAB of each rule */
};

struct bf_seg_snap {
	unsigned int families;
	size_t n_chains;
	struct snap_chain *chains;
	/* the seginfo read (bf_seg_read_in()), slots left out; valid when
	 * has_si */
	struct bf_seginfo si;
	bool has_si;
};

void bf_seg_snap_free(struct bf_seg_snap **s)
{
	if (!*s)
		return;
	for (size_t i = 0; i < (*s)->n_chains; i++) {
		free((*s)->chains[i].ids);
		free((*s)->chains[i].counters);
		free((*s)->chains[i].stateful);
	}
	free((*s)->chains);
	free(*s);
	*s = NULL;
}

/* Matches of rule r that use a table shared by several rules (recent,
 * hashlimit): their first rule or all of them set the table's geometry. */
static size_t tab_matches(const struct bf_rule *r)
{
	size_t n = 0;

	for (size_t k = 0; k < r->n_matches; k++)
		n += r->matches[k].type == BF_MATCH_RECENT ||
		     r->matches[k].type == BF_MATCH_HASHLIMIT;
	return n;
}

/* Does rule r take slots of its program's state map (limit, statistic,
 * quota, nft limit without a shared bucket), or may it make the program
 * emit other chains (-j, -g: their rules take slots too)? A segment
 * program numbers the slots in the order of its rules: the new program
 * of a change whose old and new rules are none of these numbers the
 * slots as the old one did, and may keep its state map. */
static bool rule_stateful(const struct bf_rule *r);

/* What the snapshot keeps of each rule (snap_chain.stateful). */
#define SNAP_STATEFUL 1u /* rule_stateful() */
#define SNAP_TAB 2u /* tab_matches() not 0 */

static uint8_t snap_flags(const struct bf_rule *r)
{
	return (uint8_t)((rule_stateful(r) ? SNAP_STATEFUL : 0) |
			 (tab_matches(r) ? SNAP_TAB : 0));
}

static bool rule_stateful(const struct bf_rule *r)
{
	if (r->verdict.kind == BF_VERDICT_JUMP ||
	    r->verdict.kind == BF_VERDICT_GOTO)
		return true;
	for (size_t k = 0; k < r->n_matches; k++) {
		switch (r->matches[k].type) {
		case BF_MATCH_LIMIT:
		case BF_MATCH_STATISTIC:
		case BF_MATCH_QUOTA:
		case BF_MATCH_NFT_LIMIT:
			return true;
		default:
			break;
		}
	}
	return false;
}

/* A snapshot of rs's chains, their rules' arrays allocated, not filled
 * (NULL: no memory). */
static struct bf_seg_snap *snap_alloc(const struct bf_ruleset *rs)
{
	struct bf_seg_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->families = rs->families;
	s->chains = calloc(rs->n_chains ? rs->n_chains : 1, sizeof(*s->chains));
	if (!s->chains) {
		free(s);
		return NULL;
	}
	s->n_chains = rs->n_chains;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];
		struct snap_chain *sc = &s->chains[i];

		snprintf(sc->name, sizeof(sc->name), "%s", c->name);
		sc->family = c->family;
		sc->builtin = c->builtin;
		sc->policy = c->policy;
		sc->n_rules = c->n_rules;
		sc->ids = malloc((c->n_rules ? c->n_rules : 1) * 4);
		sc->counters = malloc((c->n_rules ? c->n_rules : 1) *
				      sizeof(*sc->counters));
		sc->stateful = malloc(c->n_rules ? c->n_rules : 1);
		if (!sc->ids || !sc->counters || !sc->stateful) {
			bf_seg_snap_free(&s);
			return NULL;
		}
	}
	return s;
}

int bf_seg_read_in(struct bf_ruleset *rs, const struct bf_seginfo *si,
		   const struct bf_counter *vals, uint32_t n_vals,
		   struct bf_seg_snap **snap)
{
	/* (10,000 rules of 168 bytes do not fit in a core's L2 cache
	 * here: each walk reads them all again, ~0.08 ms) */
	struct bf_seg_snap *s = snap ? snap_alloc(rs) : NULL;
	const uint32_t *slots = si ? si->slots : NULL;
	uint32_t idx = 0;

	if (s && slots) {
		/* the plan's seginfo, not read again (load/seg.h) */
		s->si = *si;
		s->si.slots = NULL;
		s->has_si = true;
	}

	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];
		uint32_t k;

		if (c->builtin) {
			k = slots ? slots[idx] : idx;
			idx++;
			if (k < n_vals)
				c->policy_counter = vals[k];
			c->policy_counter_idx = k + 1;
		} else {
			c->policy_counter_idx = 0;
		}
		if (s) {
			s->chains[i].policy_idx = c->policy_counter_idx;
			s->chains[i].policy_counter = c->policy_counter;
		}
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];
		struct snap_chain *sc = s ? &s->chains[i] : NULL;

		for (size_t j = 0; j < c->n_rules; j++) {
			struct bf_rule *r = &c->rules[j];
			uint32_t k = slots ? slots[idx] : idx;

			idx++;
			if (k < n_vals)
				r->counter = vals[k];
			r->counter_idx = k + 1;
			if (sc) {
				sc->ids[j] = k + 1;
				sc->counters[j] = r->counter;
				sc->stateful[j] = snap_flags(r);
			}
		}
	}
	rs->n_counters = idx;
	if (!snap)
		return 0;
	*snap = s;
	return s ? 0 : -ENOMEM;
}

struct bf_seg_plan {
	struct bf_seginfo si; /* as it will be */
	size_t pt; /* index in si.pts */
	uint32_t k; /* the segment replaced */
	struct bf_program *prog;
	int counters_fd, segs_fd, pcpu_fd, prog_fd;
	int si_fd; /* the seginfo map to pin, -1 until made */
	uint32_t *fresh; /* slots of new rules, to zero before the switch */
	size_t n_fresh;
	/* counter indexes of the window's rules before the plan (undo);
	 * the others' were one more than their slots (shifted) */
	uint32_t *saved;
	bool shifted;
	/* the change: chain ci, old rules [p, oe) of old_n became new
	 * rules [p, ne) */
	size_t ci, p, oe, ne, old_n;
	/* the maps of the point the segment shares (load/seg.h) */
	int logbuf_fd, logring_fd, state_fd;
	struct bf_set_maps sets;
	char nsdir[PATH_MAX];
};

void bf_seg_plan_free(struct bf_seg_plan **p)
{
	if (!*p)
		return;
	bf_program_free(&(*p)->prog);
	if ((*p)->counters_fd >= 0)
		close((*p)->counters_fd);
	if ((*p)->segs_fd >= 0)
		close((*p)->segs_fd);
	if ((*p)->pcpu_fd >= 0)
		close((*p)->pcpu_fd);
	if ((*p)->prog_fd >= 0)
		close((*p)->prog_fd);
	close_fd(&(*p)->logbuf_fd);
	close_fd(&(*p)->logring_fd);
	close_fd(&(*p)->state_fd);
	bf_set_maps_release(&(*p)->sets);
	if ((*p)->si_fd >= 0)
		close((*p)->si_fd);
	free((*p)->fresh);
	free((*p)->saved);
	bf_seginfo_release(&(*p)->si);
	free(*p);
	*p = NULL;
}

void bf_seg_plan_window(const struct bf_seg_plan *pl, size_t *ci, size_t *p,
			size_t *oe, size_t *ne, size_t *old_n)
{
	*ci = pl->ci;
	*p = pl->p;
	*oe = pl->oe;
	*ne = pl->ne;
	*old_n = pl->old_n;
}

static bool same_counter(const struct bf_counter *a, const struct bf_counter *b)
{
	return a->packets == b->packets && a->bytes == b->bytes;
}

/* The one chain whose rules changed, and the window [p, oe) of its old
 * rules replaced by [p, ne) of the new ones; 1 if the change is not of
 * that kind. */
static int find_change(const struct bf_ruleset *rs, const struct bf_seg_snap *s,
		       size_t *ci, size_t *p, size_t *oe, size_t *ne)
{
	bool found = false;

	if (rs->families != s->families || rs->n_chains != s->n_chains)
		return 1;
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct bf_chain *c = &rs->chains[i];
		const struct snap_chain *sc = &s->chains[i];
		size_t a = 0, eo = sc->n_rules, en = c->n_rules;

		if (strcmp(c->name, sc->name) || (int)c->family != sc->family ||
		    c->builtin != sc->builtin || (int)c->policy != sc->policy ||
		    c->policy_counter_idx != sc->policy_idx ||
		    !same_counter(&c->policy_counter, &sc->policy_counter))
			return 1;
		/* Counters of the kept rules unchanged (no -Z): they are in
		 * the same places, but for the window of the changed chain
		 * (compared in the same walk: each is one of the rules
		 * these two loops pass). */
		while (a < eo && a < en && c->rules[a].counter_idx &&
		       c->rules[a].counter_idx == sc->ids[a]) {
			if (!same_counter(&sc->counters[a],
					  &c->rules[a].counter))
				return 1;
			a++;
		}
		while (eo > a && en > a && c->rules[en - 1].counter_idx &&
		       c->rules[en - 1].counter_idx == sc->ids[eo - 1]) {
			if (!same_counter(&sc->counters[eo - 1],
					  &c->rules[en - 1].counter))
				return 1;
			eo--;
			en--;
		}
		if (a == eo && a == en)
			continue; /* unchanged */
		if (found)
			return 1;
		found = true;
		*ci = i;
		*p = a;
		*oe = eo;
		*ne = en;
	}
	return found ? 0 : 1;
}

/* Counter indexes (slot + 1, or 0) to slots: every rule's and built-in
 * policy's index minus one, and the slots in bf_ruleset_number() order
 * (slots_of()) in *out, in one walk. */
static int shift_slots(struct bf_ruleset *rs, uint32_t **out, uint32_t *n)
{
	size_t k = 0, total = 0;
	uint32_t *s;

	for (size_t i = 0; i < rs->n_chains; i++)
		total +=
			(rs->chains[i].builtin ? 1 : 0) + rs->chains[i].n_rules;
	s = malloc((total ? total : 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_chains; i++) {
		if (rs->chains[i].builtin)
			s[k++] = --rs->chains[i].policy_counter_idx;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct bf_chain *c = &rs->chains[i];

		for (size_t j = 0; j < c->n_rules; j++)
			s[k++] = --c->rules[j].counter_idx;
	}
	*out = s;
	*n = (uint32_t)total;
	return 0;
}

/* Zero counter slots through an mmap of the counters map (created
 * BF_F_MMAPABLE), with atomic stores: the programs update other slots of
 * the same value meanwhile. */
static int zero_slots(int fd, uint32_t capacity, const uint32_t *slots,
		      size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len =
		(size_t)(capacity ? capacity : 1) * sizeof(struct bf_counter);
	struct bf_counter *m;

	if (!n)
		return 0;
	len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		__atomic_store_n(&m[slots[i]].packets, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&m[slots[i]].bytes, 0, __ATOMIC_RELAXED);
	}
	munmap(m, len);
	return 0;
}

/* The state map ("bf_state", value_size bytes) of the program in force
 * as segment k of segs_fd, or -1. */
static int seg_state_map(int segs_fd, uint32_t k, uint32_t value_size)
{
	uint32_t id = 0;
	_cleanup_close_ int pfd = -1;
	int fd;

	if (bpf_map_lookup_elem(segs_fd, &k, &id))
		return -1;
	pfd = bpf_prog_get_fd_by_id(id);
	if (pfd < 0)
		return -1;
	fd = bf_prog_find_map(pfd, BPF_MAP_TYPE_ARRAY, "bf_state", value_size,
			      1);
	return fd < 0 ? -1 : fd;
}

/* Give the new segment program the maps of its point (see
 * seg_share_maps()): the pinned LOG maps of the point, the sets in force
 * and the namespace's tables. 0, 1 when they are not there (rebuild
 * everything), or -errno. */
static int plan_share_maps(struct bf_seg_plan *pl, const struct bf_ruleset *rs,
			   const char *slotdir, const struct bf_chain *b,
			   const struct snap_chain *sc, size_t p0, size_t oe,
			   size_t ne)
{
	/* the point's (b may be a user chain) */
	const struct bf_seg_point *spt = &pl->si.pts[pl->pt];
	const char *key = point_keys[(spt->family == BF_FAMILY_INET6 ? 3 : 0) +
				     (spt->hook == BF_HOOK_INPUT   ? 0 :
				      spt->hook == BF_HOOK_FORWARD ? 1 :
								     2)];
	struct bf_program *p = pl->prog;
	char path[PATH_MAX];
	const char *slash = strrchr(slotdir, '/');
	bool sets = false;
	int r;

	for (size_t i = 0; i < p->n_relocs; i++)
		sets |= p->relocs[i].kind == BF_RELOC_SET;
	if (p->n_recent || p->n_hashlimit) {
		/* the slot's directory is <namespace dir>/<slot> */
		if (!slash || (size_t)(slash - slotdir) >= sizeof(pl->nsdir))
			return 1;
		memcpy(pl->nsdir, slotdir, (size_t)(slash - slotdir));
		pl->nsdir[slash - slotdir] = '\0';
		p->recent_dir = pl->nsdir;
	}
	if (sets) {
		/* the maps in force: a change that gives elements makes
		 * new maps (a full rebuild) */
		for (size_t i = 0; i < rs->n_sets; i++) {
			if (rs->sets[i].has_elems)
				return 1;
		}
		r = bf_set_maps_prepare(rs, slotdir, &pl->sets);
		if (r == -ENOENT)
			return 1;
		if (r)
			return r;
		p->set_fds = pl->sets.fds;
		p->n_set_fds = pl->sets.n;
	}
	if (p->log) {
		/* the root in force captures into them (same root code) */
		bf_path(path, sizeof(path), "%s/seglogb_%s", slotdir, key);
		pl->logbuf_fd = bpf_obj_get(path);
		bf_path(path, sizeof(path), "%s/seglog_%s", slotdir, key);
		pl->logring_fd = bpf_obj_get(path);
		if (pl->logbuf_fd < 0 || pl->logring_fd < 0) {
			bf_dbg("incremental change: no LOG maps pinned for "
			       "%s",
			       key);
			return 1;
		}
		p->logbuf_fd = &pl->logbuf_fd;
		p->logring_fd = &pl->logring_fd;
	}
	if (p->n_state) {
		/* the replaced segment's rate limits, nth counters and
		 * quotas go on when the change touches none of them (the
		 * slots are numbered the same way); else they start afresh
		 * (a map of its own) */
		bool keep = true;

		for (size_t j = p0; j < oe && keep; j++)
			keep = !(sc->stateful[j] & SNAP_STATEFUL);
		for (size_t j = p0; j < ne && keep; j++)
			keep = !rule_stateful(&b->rules[j]);
		if (keep)
			pl->state_fd = seg_state_map(pl->segs_fd, pl->k,
						     16 * p->n_state);
		if (pl->state_fd > 0)
			p->state_fd = &pl->state_fd;
		bf_dbg("incremental change: segment %u %s", pl->k,
		       pl->state_fd > 0 ? "keeps its state" :
					  "starts its state afresh");
	}
	return 0;
}

int bf_seg_plan(struct bf_seg_plan **out, struct bf_ruleset *rs,
		const struct bf_seg_snap *snap, const char *slotdir,
		uint64_t generation)
{
	struct bf_seg_plan *pl = NULL;
	_cleanup_free_ uint32_t *slots = NULL;
	_cleanup_free_ uint8_t *used = NULL;
	char path[PATH_MAX];
	size_t ci = 0, p = 0, oe = 0, ne = 0, first = 0, k;
	uint32_t n_slots = 0;
	const struct bf_chain *b, *bp = NULL;
	struct bf_seg_point *sp = NULL;
	struct bf_program *root = NULL;
	_cleanup_free_ uint8_t *segd = NULL;
	bool user = false;
	uint32_t h, nk = 0, ks[BF_SEG_MAX];
	/* the root's per-packet bits (none when the root of no rules
	 * stays, see below) */
	struct bf_mx mx = { 0 };
	struct bf_seg_opts o = {
		.root = true, .pcpu_fd = -1, .segs_fd = -1, .mx_out = &mx
	};
	double t_root = 0, t_seg;
	int r;

	*out = NULL;
	if (find_change(rs, snap, &ci, &p, &oe, &ne))
		return 1;
	b = &rs->chains[ci];
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pl->counters_fd = pl->segs_fd = pl->pcpu_fd = pl->prog_fd = -1;
	pl->logbuf_fd = pl->logring_fd = pl->state_fd = -1;
	/* A recent or hashlimit table takes its geometry from all its
	 * rules (the stamps) or its first one: every program of the
	 * namespace opens the same pinned table only while the rules that
	 * use tables stay as they are: none in the old window (the
	 * snapshot's flags; the other rules are kept) nor the new one. */
	for (size_t j = p; j < oe; j++) {
		if (snap->chains[ci].stateful[j] & SNAP_TAB)
			goto no;
	}
	for (size_t j = p; j < ne; j++) {
		if (tab_matches(&rs->chains[ci].rules[j])) {
			bf_dbg("incremental change: the new rules use recent "
			       "or hashlimit tables");
			goto no;
		}
	}
	pl->si_fd = -1;
	if (snap->has_si) {
		pl->si = snap->si;
		r = 0;
	} else {
		r = seginfo_read(slotdir, &pl->si);
	}
	if (r || pl->si.generation != generation)
		goto no;
	/* the point whose segments hold the chain: the built-in chain's,
	 * or the one point where a user chain is cut (a user chain cut at
	 * several points rebuilds everything) */
	h = bf_seg_chain_hash(b->name);
	segd = calloc(rs->n_chains + 1, 1);
	if (!segd)
		goto nomem;
	for (size_t i = 0; i < pl->si.n_pts; i++) {
		struct bf_seg_point *x = &pl->si.pts[i];
		bool has = false;

		if (x->family != (uint8_t)b->family ||
		    (b->builtin && x->hook != (uint8_t)b->hook))
			continue;
		for (uint32_t j = 0; j < x->n_seg; j++)
			has |= x->chash[j] == h;
		if (!has)
			continue;
		if (sp)
			goto no;
		sp = x;
		pl->pt = i;
	}
	if (!sp)
		goto no;
	user = point_segd(rs, sp, segd);
	bp = bf_ruleset_builtin(rs, sp->family, sp->hook);
	if (!bp || (!b->builtin && !segd[ci]))
		goto no;
	/* a user chain that another hook's chains reach is compiled into
	 * that hook's programs too: everything is rebuilt */
	for (size_t i = 0; !b->builtin && i < rs->n_chains; i++) {
		const struct bf_chain *o2 = &rs->chains[i];
		_cleanup_free_ uint8_t *st = NULL;

		if (!o2->builtin || o2->family != b->family || o2 == bp)
			continue;
		st = calloc(rs->n_chains + 1, 1);
		if (!st)
			goto nomem;
		uc_walk(rs, i, st, 0);
		if (st[ci] & UC_REACH)
			goto no;
	}
	/* no new -j/-g to a segmented chain (the layout would change) */
	for (size_t j = p; user && j < ne; j++) {
		const struct bf_chain *t = jump_target(rs, b, &b->rules[j]);

		if (t && segd[t - rs->chains])
			goto no;
	}
	for (uint32_t j = 0; j < sp->n_seg; j++) {
		if (sp->chash[j] == h)
			ks[nk++] = j;
	}
	/* the segment that holds the old window (an insertion at a
	 * boundary goes to the end of the segment before it, unless that
	 * one ends with a jump to a segmented chain) */
	for (k = 0; k < nk; k++) {
		size_t end = first + sp->sizes[ks[k]];
		bool jend = sp->jmask & (1u << ks[k]);

		if (p < end || (p == end && oe == p && !jend &&
				(k + 1 == nk || p > first)))
			break;
		first = end;
	}
	if (k == nk || oe > first + sp->sizes[ks[k]])
		goto no;
	k = ks[k];
	/* the jump that ends the segment stays as it is */
	if ((sp->jmask & (1u << k)) && oe == first + sp->sizes[k] && oe > p)
		goto no;
	{
		size_t size = sp->sizes[k] - (oe - p) + (ne - p);
		/* what a segment may cost before the chain is cut again
		 * (full rebuild): 4 times the budget of seg_sizes() for a
		 * chain of unfolded rules (the most it can be), plus 64
		 * rules */
		uint64_t budget = (uint64_t)seg_rules() * UNIT, cost = 0;
		_cleanup_free_ uint32_t *costs =
			malloc((size + 1) * sizeof(*costs));

		if (budget < (uint64_t)b->n_rules * UNIT / BF_SEG_MAX)
			budget = (uint64_t)b->n_rules * UNIT / BF_SEG_MAX;
		if (!costs)
			goto nomem;
		/* (rule_costs() folds and selects the segment's bit-vector
		 * members again, ~0.25 ms for 334 mixed rules: only when
		 * the segment's size does not bound its cost enough) */
		if ((uint64_t)size * RULE_COST_MAX > 4 * budget + 64 * UNIT) {
			r = rule_costs(b, first, size, costs, NULL, &cost);
			if (r)
				goto err;
			if (cost > 4 * budget + 64 * UNIT)
				goto no; /* time to cut again: full rebuild */
		}
		sp->sizes[k] = (uint32_t)size;
	}

	/* The root must be the one in force: the same prologue (what the
	 * packet context holds depends on the rules). It is when the root
	 * in force is the one of no rules and the new rules need nothing
	 * (load/segfast.h): no compile then. */
	t_root = now_ms();
	{
		uint64_t hmin = 0;
		bool kept = bf_seg_rules_root_neutral(b, p, ne) &&
			    !root_min_hash(rs, bp, &hmin) &&
			    hmin == sp->root_hash;

		if (kept)
			bf_dbg("incremental change: the root in force stays "
			       "(neutral rules)");
		if (!kept || bf_seg_root_check()) {
			r = bf_cgen_compile_seg(rs, (enum bf_hook)bp->hook,
						(enum bf_family)bp->family, &o,
						&root);
			if (r == -ENOTSUP && !kept)
				goto no;
			if (r && !kept)
				goto err;
			if (r || code_hash(root) != sp->root_hash) {
				if (kept) {
					bf_err("incremental change: the root "
					       "kept differs from the "
					       "compiled one");
					r = -EINVAL;
					goto err;
				}
				bf_dbg("incremental change: the new rules "
				       "change the prologue");
				goto no;
			}
		}
	}

	/* counter slots: kept rules keep theirs, new ones take free ones */
	bf_path(path, sizeof(path), "%s/counters", slotdir);
	pl->counters_fd = bpf_obj_get(path);
	bf_path(path, sizeof(path), "%s/segs_%s", slotdir,
		point_keys[(bp->family == BF_FAMILY_INET6 ? 3 : 0) +
			   (bp->hook == BF_HOOK_INPUT	? 0 :
			    bp->hook == BF_HOOK_FORWARD ? 1 :
							  2)]);
	pl->segs_fd = bpf_obj_get(path);
	bf_path(path, sizeof(path), "%s/pctx_%s", slotdir,
		point_keys[(bp->family == BF_FAMILY_INET6 ? 3 : 0) +
			   (bp->hook == BF_HOOK_INPUT	? 0 :
			    bp->hook == BF_HOOK_FORWARD ? 1 :
							  2)]);
	pl->pcpu_fd = bpf_obj_get(path);
	if (pl->counters_fd < 0 || pl->segs_fd < 0 || pl->pcpu_fd < 0)
		goto no;
	used = calloc(pl->si.capacity ? pl->si.capacity : 1, 1);
	if (!used)
		goto nomem;
	for (size_t i = 0; i < snap->n_chains; i++) {
		const struct snap_chain *sc = &snap->chains[i];

		if (sc->builtin && sc->policy_idx &&
		    sc->policy_idx - 1 < pl->si.capacity)
			used[sc->policy_idx - 1] = 1;
		for (size_t j = 0; j < sc->n_rules; j++) {
			if (sc->ids[j] && sc->ids[j] - 1 < pl->si.capacity)
				used[sc->ids[j] - 1] = 1;
		}
	}
	pl->saved = malloc((ne - p + 1) * sizeof(*pl->saved));
	pl->fresh = malloc((ne - p + 1) * sizeof(*pl->fresh));
	if (!pl->saved || !pl->fresh)
		goto nomem;
	pl->ci = ci;
	pl->p = p;
	pl->oe = oe;
	pl->ne = ne;
	pl->old_n = snap->chains[ci].n_rules;
	for (size_t j = p; j < ne; j++)
		pl->saved[j - p] = rs->chains[ci].rules[j].counter_idx;
	{
		uint32_t next = 0;

		for (size_t j = p; j < ne; j++) {
			struct bf_rule *rule = &rs->chains[ci].rules[j];

			if (rule->counter_idx)
				continue; /* moved within the window */
			while (next < pl->si.capacity && used[next])
				next++;
			if (next == pl->si.capacity)
				goto restore; /* full: a bigger map */
			used[next] = 1;
			pl->fresh[pl->n_fresh++] = next;
			rule->counter_idx = next + 1;
			rule->counter = (struct bf_counter){ 0, 0 };
		}
	}
	r = shift_slots(rs, &slots, &n_slots);
	if (r)
		goto err_restore;
	pl->shifted = true;

	{
		struct bf_seg_opts so = { .index = (uint32_t)k,
					  .pcpu_fd = pl->pcpu_fd,
					  .segs_fd = pl->segs_fd,
					  .mx_seed = &mx };

		t_seg = now_ms();
		size_t f0 = 0;

		if (seg_of(rs, sp, user ? segd : NULL, (uint32_t)k, &f0, &so) !=
			    b ||
		    f0 != first) {
			bf_err("incremental change: the segment layout does "
			       "not match the ruleset");
			r = -EINVAL;
			goto err_restore;
		}
		r = compile_seg(rs, sp, b, first, sp->sizes[k], &so, &pl->prog);
		bf_dbg("incremental change: root compiled in %.1f ms, segment "
		       "%zu (%u rules, %zu insns) in %.1f ms",
		       t_seg - t_root, k, sp->sizes[k],
		       r ? (size_t)0 : pl->prog->n_insns, now_ms() - t_seg);
		if (r == -ENOTSUP)
			goto restore;
		if (r)
			goto err_restore;
		pl->k = (uint32_t)k;
		r = plan_share_maps(pl, rs, slotdir, b, &snap->chains[ci], p,
				    oe, ne);
		if (r > 0)
			goto restore;
		if (r)
			goto err_restore;
	}
	bf_seginfo_release(&pl->si);
	pl->si.slots = TAKE_PTR(slots);
	pl->si.n_slots = n_slots;
	rs->n_counters = pl->si.n_slots;
	bf_program_free(&root);
	*out = pl;
	return 0;

restore:
	r = 1;
err_restore:
	bf_seg_plan_undo(pl, rs);
	bf_program_free(&root);
	bf_seg_plan_free(&pl);
	return r;
nomem:
	r = -ENOMEM;
err:
	bf_program_free(&root);
	bf_seg_plan_free(&pl);
	return r;
no:
	bf_program_free(&root);
	bf_seg_plan_free(&pl);
	return 1;
}

int bf_seg_plan_load(struct bf_seg_plan *p, bool verbose)
{
	static char log[1 << 16];

	double t0 = now_ms();
	int r;

	if (p->prog_fd >= 0)
		return 0;
	/* New rules' slots start from zero: no program uses them until the
	 * switch. (Here, in the load's thread, load/segasync.h: the mmap
	 * and munmap of the counters map are off the change's path.) */
	r = zero_slots(p->counters_fd, p->si.capacity, p->fresh, p->n_fresh);
	if (r) {
		bf_dbg("cannot zero the new rules' counter slots: %s",
		       strerror(-r));
		return r;
	}
	log[0] = '\0';
	p->prog_fd = bf_program_load(p->prog, p->counters_fd, log, sizeof(log));
	bf_dbg("incremental change: segment program loaded in %.1f ms",
	       now_ms() - t0);
	if (p->prog_fd < 0) {
		r = p->prog_fd;

		/* The caller rebuilds everything instead: the new cut of
		 * the chain gives other programs. (Seen here: the x86 JIT
		 * failing to converge, "bpf_jit: fatal error", -ENOTSUPP
		 * after a successful verification.) */
		bf_dbg("segment program %s not loaded: %s", p->prog->name,
		       strerror(-r));
		if (verbose && log[0])
			bf_dbg("verifier log:\n%s", log);
		return r;
	}
	return 0;
}

void bf_seg_plan_undo(struct bf_seg_plan *p, struct bf_ruleset *rs)
{
	struct bf_chain *c;

	if (p->shifted) {
		/* shift_slots() undone */
		for (size_t i = 0; i < rs->n_chains; i++) {
			c = &rs->chains[i];
			if (c->builtin)
				c->policy_counter_idx++;
			for (size_t j = 0; j < c->n_rules; j++)
				c->rules[j].counter_idx++;
		}
		p->shifted = false;
	}
	if (!p->saved || p->ci >= rs->n_chains)
		return;
	c = &rs->chains[p->ci];
	for (size_t j = p->p; j < p->ne && j < c->n_rules; j++)
		c->rules[j].counter_idx = p->saved[j - p->p];
}

int bf_seg_plan_seginfo(struct bf_seg_plan *p, uint64_t generation)
{
	if (p->si_fd >= 0)
		close(p->si_fd);
	p->si.generation = generation;
	p->si_fd = seginfo_write(&p->si);
	return p->si_fd < 0 ? p->si_fd : 0;
}

int bf_seg_plan_commit(struct bf_seg_plan *p, const char *slotdir,
		       uint64_t generation)
{
	int r;

	if (p->si_fd < 0 || p->si.generation != generation) {
		r = bf_seg_plan_seginfo(p, generation);
		if (r)
			return r;
	}
	/* the switch: from here on the new segment is in force */
	if (bpf_map_update_elem(p->segs_fd, &p->k, &p->prog_fd, BPF_ANY)) {
		r = -errno;
		bf_err("cannot switch segment %u to the new program: %s", p->k,
		       strerror(-r));
		return r;
	}
	return bf_pin_replace(p->si_fd, slotdir, "seginfo");
}

/* "-A CHAIN RULE" lines of rules [a, b) of c, as bf_ipt_print() writes
 * them. */
static int write_rules(FILE *m, const struct bf_chain *c, size_t a, size_t b)
{
	for (size_t j = a; j < b; j++) {
		char *one = NULL;
		size_t n = 0;
		FILE *t = open_memstream(&one, &n);
		int r;

		if (!t)
			return -errno;
		r = bf_ipt_print_rule(t, &c->rules[j]);
		if (fclose(t) && !r)
			r = -EIO;
		if (!r)
			fprintf(m, "-A %s%s%s\n", c->name, n ? " " : "", one);
		free(one);
		if (r)
			return r;
	}
	return 0;
}

static const char *next_line(const char *s)
{
	const char *e = strchr(s, '\n');

	return e ? e + 1 : s + strlen(s);
}

/* The name of the chain a ":NAME ..." or "-A NAME ..." line is about
 * (skip = 1 or 3 characters before it), into name. */
static void line_chain(const char *l, size_t skip, char *name, size_t size)
{
	size_t n = strcspn(l + skip, " \n");

	if (n >= size)
		n = size - 1;
	memcpy(name, l + skip, n);
	name[n] = '\0';
}

/* The new text, in one buffer sized for it at once (a memstream grew
 * by copies: a few ms at 10,000 rules). */
struct obuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void ob_put(struct obuf *o, const char *s, size_t n)
{
	if (o->oom || !n)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *q;

		while (cap < o->len + n + 1)
			cap *= 2;
		q = realloc(o->p, cap);
		if (!q) {
			o->oom = true;
			return;
		}
		o->p = q;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

int bf_seg_plan_text(const struct bf_seg_plan *p, const struct bf_ruleset *rs,
		     const char *old, enum bf_family f, char **text,
		     uint32_t *len)
{
	const struct bf_chain *c = &rs->chains[p->ci];
	bool here = c->family == f;
	size_t nlen = strlen(c->name);
	const char *run = old, *l = old, *e;
	_cleanup_free_ char *win = NULL;
	size_t wsz = 0, k = 0;
	struct obuf o = { 0 };
	int r = 0;

	if (!old || (here && !p->old_n))
		return 1;
	/* the window's new rules, printed once */
	if (here) {
		FILE *w = open_memstream(&win, &wsz);

		if (!w)
			return -errno;
		r = write_rules(w, c, p->p, p->ne);
		if (fclose(w) && !r)
			r = -EIO;
		if (r)
			return r;
	}
	o.cap = strlen(old) + wsz + 4096;
	o.p = malloc(o.cap);
	if (!o.p)
		return -ENOMEM;
	o.p[0] = '\0';
	/* Unchanged lines are copied in runs (one fwrite per run): run is
	 * the start of the lines not written yet. */
	for (l = old; *l && !r; l = e) {
		char name[BF_CHAIN_NAME_MAX + 2];

		e = next_line(l);
		if (l[0] == ':') {
			/* policy lines carry the policy counters of now, as
			 * bf_ipt_print() writes them */
			const struct bf_chain *b;

			line_chain(l, 1, name, sizeof(name));
			b = bf_ruleset_chain(rs, f, name);
			if (b && b->builtin) {
				char pl[BF_CHAIN_NAME_MAX + 96];
				int n;

				ob_put(&o, run, (size_t)(l - run));
				n = snprintf(pl, sizeof(pl),
					     ":%s %s [%llu:%llu]\n", b->name,
					     bf_verdict_name(b->policy),
					     (unsigned long long)
						     b->policy_counter.packets,
					     (unsigned long long)
						     b->policy_counter.bytes);
				if (n < 0 || (size_t)n >= sizeof(pl))
					r = -EOVERFLOW;
				else
					ob_put(&o, pl, (size_t)n);
				run = e;
			}
		} else if (here && !strncmp(l, "-A ", 3) &&
			   !strncmp(l + 3, c->name, nlen) &&
			   (l[3 + nlen] == ' ' || l[3 + nlen] == '\n' ||
			    !l[3 + nlen])) {
			size_t idx = k++;

			if (idx == p->p) {
				ob_put(&o, run, (size_t)(l - run));
				run = l;
				ob_put(&o, win, wsz);
			}
			if (idx >= p->p && idx < p->oe) {
				/* replaced */
				ob_put(&o, run, (size_t)(l - run));
				run = e;
			} else if (idx + 1 == p->old_n && p->p == p->old_n) {
				ob_put(&o, run, (size_t)(e - run));
				run = e;
				ob_put(&o, win, wsz);
			}
		}
	}
	ob_put(&o, run, (size_t)(l - run));
	if (!r && o.oom)
		r = -ENOMEM;
	if (!r && here && k != p->old_n)
		r = 1; /* not the text we thought: print it all */
	if (!r && o.len > UINT32_MAX)
		r = -E2BIG;
	if (r) {
		free(o.p);
		return r;
	}
	*text = o.p;
	*len = (uint32_t)o.len;
	return 0;
}
