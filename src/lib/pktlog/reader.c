// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading the LOG ring buffers of the programs in force in this network
 * namespace (bpfilter log). Each slot's programs sit in the pinned
 * jmp_* prog arrays (key 0); each program with a LOG rule owns a
 * "bf_log" ring buffer. The rule's prefix, level and flags come from the
 * slot's ruleset in force, by counter index.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/helper.h"
#include "bpfilter/pktlog.h"
#include "load/pin.h"
#include "load/slot.h"

#define MAX_SLOTS 256
#define MAX_RINGS 1024

struct rule_info {
	bool log;
	uint8_t level, flags;
	/* LOG prefix, or NFLOG prefix (the longer of the two) */
	char prefix[BF_NFLOG_PREFIX_MAX];
};

struct slot_info {
	struct bf_pktlog_reader *rd;
	char name[8 + BF_IFNAMSIZ];
	char ifname[BF_IFNAMSIZ]; /* tc and xdp slots */
	struct rule_info *rules;
	uint32_t n_rules;
};

struct bf_pktlog_reader {
	struct ring_buffer *rb;
	struct slot_info *slots;
	size_t n_slots;
	int fds[MAX_RINGS];
	size_t n_fds;
	bf_pktlog_cb cb;
	void *data;
};

static int collect_rules(struct bf_ruleset *rs, unsigned long long gen,
			 void *data)
{
	struct slot_info *s = data;

	(void)gen;
	/* bf_edit() gives each rule its counter index in force + 1: the
	 * record's counter_idx (a slot of the counters map where the chain
	 * is segmented, load/seg.h) */
	s->n_rules = 0;
	for (size_t c = 0; c < rs->n_chains; c++) {
		for (size_t i = 0; i < rs->chains[c].n_rules; i++) {
			if (rs->chains[c].rules[i].counter_idx > s->n_rules)
				s->n_rules = rs->chains[c].rules[i].counter_idx;
		}
	}
	s->rules = calloc(s->n_rules ? s->n_rules : 1, sizeof(*s->rules));
	if (!s->rules)
		return -ENOMEM;
	for (size_t c = 0; c < rs->n_chains; c++) {
		const struct bf_chain *ch = &rs->chains[c];

		for (size_t i = 0; i < ch->n_rules; i++) {
			const struct bf_rule *r = &ch->rules[i];
			struct rule_info *ri;

			if ((r->verdict.kind != BF_VERDICT_LOG &&
			     r->verdict.kind != BF_VERDICT_NFLOG) ||
			    !r->counter_idx || r->counter_idx > s->n_rules)
				continue;
			ri = &s->rules[r->counter_idx - 1];
			ri->log = true;
			if (r->verdict.kind == BF_VERDICT_NFLOG) {
				/* NFLOG records: no level, no LOG flags */
				ri->level = 4;
				ri->flags = 0;
				snprintf(ri->prefix, sizeof(ri->prefix), "%s",
					 r->verdict.u.nflog.prefix);
				continue;
			}
			ri->level = r->verdict.u.log.level;
			ri->flags = r->verdict.u.log.flags;
			memcpy(ri->prefix, r->verdict.u.log.prefix,
			       sizeof(r->verdict.u.log.prefix));
			ri->prefix[sizeof(r->verdict.u.log.prefix) - 1] = '\0';
		}
	}
	return 1; /* change nothing */
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct slot_info *s = ctx;
	const struct bf_pktlog_rec *r = data;
	const struct rule_info *ri;
	struct bf_pktlog_rec copy;

	if (size < sizeof(*r))
		return 0;
	if (s->ifname[0] && !r->iif[0] && !r->oif[0]) {
		/* tc/XDP: the interface is the slot's (ingress: IN,
		 * egress: OUT) */
		copy = *r;
		snprintf(r->hook == BF_HOOK_OUTPUT ? copy.oif : copy.iif,
			 sizeof(copy.iif), "%s", s->ifname);
		r = &copy;
	}
	ri = r->counter_idx < s->n_rules && s->rules[r->counter_idx].log ?
		     &s->rules[r->counter_idx] :
		     NULL;
	s->rd->cb(r, s->name, ri ? ri->prefix : NULL, ri ? ri->level : 4,
		  ri ? ri->flags : 0, s->rd->data);
	return 0;
}

/* The rings of the programs of one slot. */
static int add_slot_rings(struct bf_pktlog_reader *rd, struct slot_info *s,
			  const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && rd->n_fds < MAX_RINGS) {
		char path[PATH_MAX];
		uint32_t key = 0, id = 0;
		int map_fd, prog_fd, ring_fd;

		if (!strncmp(e->d_name, "seglog_", 7)) {
			/* the ring of a segmented point (load/seg.h): its
			 * root and segments write there */
			if (bf_path(path, sizeof(path), "%s/%s", dir,
				    e->d_name))
				continue;
			ring_fd = bpf_obj_get(path);
			if (ring_fd < 0)
				continue;
			goto add;
		}
		if (strncmp(e->d_name, "jmp_", 4) ||
		    bf_path(path, sizeof(path), "%s/%s", dir, e->d_name))
			continue;
		map_fd = bpf_obj_get(path);
		if (map_fd < 0)
			continue;
		r = bpf_map_lookup_elem(map_fd, &key, &id);
		close(map_fd);
		if (r) {
			r = 0;
			continue;
		}
		prog_fd = bpf_prog_get_fd_by_id(id);
		if (prog_fd < 0)
			continue;
		ring_fd = bf_pktlog_ring_fd(prog_fd);
		close(prog_fd);
		if (ring_fd < 0)
			continue;
add:
		if (!rd->rb) {
			rd->rb = ring_buffer__new(ring_fd, on_record, s, NULL);
			r = rd->rb ? 0 : -errno;
		} else {
			r = ring_buffer__add(rd->rb, ring_fd, on_record, s);
		}
		if (r) {
			close(ring_fd);
			break;
		}
		rd->fds[rd->n_fds++] = ring_fd;
	}
	closedir(d);
	return r;
}

int bf_pktlog_reader_open(bf_pktlog_cb cb, void *data,
			  struct bf_pktlog_reader **out)
{
	struct bf_pktlog_reader *rd;
	char nsdir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int r;

	*out = NULL;
	r = bf_netns_dir(nsdir, sizeof(nsdir), false);
	if (r)
		return r;
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->cb = cb;
	rd->data = data;
	rd->slots = calloc(MAX_SLOTS, sizeof(*rd->slots));
	if (!rd->slots) {
		free(rd);
		return -ENOMEM;
	}
	d = opendir(nsdir);
	if (!d) {
		r = -errno;
		bf_pktlog_reader_free(&rd);
		return r;
	}
	r = 0;
	while (!r && (e = readdir(d)) && rd->n_slots < MAX_SLOTS) {
		struct bf_slot slot;
		struct slot_info *s = &rd->slots[rd->n_slots];
		struct bf_edit_opts eo = { .if_generation = -1,
					   .read_only = true };

		if (e->d_name[0] == '.' ||
		    bf_slot_from_name(&slot, nsdir, e->d_name))
			continue;
		s->rd = rd;
		snprintf(s->name, sizeof(s->name), "%s", slot.name);
		snprintf(s->ifname, sizeof(s->ifname), "%s", slot.ifname);
		eo.kind = (enum bf_slot_kind)slot.kind;
		eo.ifname = slot.ifname[0] ? slot.ifname : NULL;
		r = bf_edit(&eo, collect_rules, s);
		if (r == 1)
			r = 0;
		else if (r == -ENOENT || r == 0)
			r = 0;
		if (!r)
			r = add_slot_rings(rd, s, slot.dir);
		rd->n_slots++;
	}
	closedir(d);
	if (!r && !rd->rb)
		r = -ENOENT;
	if (r) {
		bf_pktlog_reader_free(&rd);
		return r;
	}
	*out = rd;
	return 0;
}

int bf_pktlog_reader_poll(struct bf_pktlog_reader *rd, int timeout_ms)
{
	int r = timeout_ms ? ring_buffer__poll(rd->rb, timeout_ms) :
			     ring_buffer__consume(rd->rb);

	return r == -EINTR ? 0 : r;
}

void bf_pktlog_reader_free(struct bf_pktlog_reader **rdp)
{
	struct bf_pktlog_reader *rd = *rdp;

	if (!rd)
		return;
	ring_buffer__free(rd->rb);
	for (size_t i = 0; i < rd->n_fds; i++)
		close(rd->fds[i]);
	for (size_t i = 0; i < rd->n_slots; i++)
		free(rd->slots[i].rules);
	free(rd->slots);
	free(rd);
	*rdp = NULL;
}
