// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading generated programs: counters map, relocations, the BTF that
 * describes the chain functions as global subprograms, and the verifier
 * log on failure.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/pktlog.h"
#include "cgen/cgen.h"
#include "cgen/c_lbvs.h"
#include "cgen/m_recent.h"
#include "cgen/m_hashlimit.h"
#include "cgen/m_nftlimit.h"
#include "cgen/m_bpf.h"
#include "cgen/pctx.h"
#include "cgen/targets.h"
#include "compat.h"

int bf_counters_map_create(uint32_t n_counters)
{
	int fd;

	if (n_counters == 0)
		n_counters = 1;
	if (n_counters > UINT32_MAX / 16)
		return -E2BIG;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_counters", sizeof(uint32_t),
			    16 * n_counters, 1, NULL);
	if (fd < 0) {
		fd = -errno;
		bf_err("cannot create the counters map (%u counters): %s",
		       n_counters, strerror(-fd));
	}
	return fd;
}

static void btf_freep(struct btf **b)
{
	btf__free(*b);
}

/* Build the program BTF: int main(void *ctx) (static) and
 * int chain(struct bf_pctx *p) (global) for each chain function. The
 * kernel verifies a global function once, assuming nothing about the
 * memory behind its argument. */
static int build_btf(const struct bf_program *prog, struct btf **out,
		     struct bpf_func_info **finfo)
{
	struct btf *btf = btf__new_empty();
	struct bpf_func_info *fi;
	int t_int, t_u8, t_arr, t_st, t_pst, t_void_p, p_main, p_chain;

	if (!btf)
		return -ENOMEM;
	fi = calloc(prog->n_funcs, sizeof(*fi));
	if (!fi) {
		btf__free(btf);
		return -ENOMEM;
	}
	t_int = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	t_u8 = btf__add_int(btf, "unsigned char", 1, 0);
	uint32_t psize = prog->pctx_size ? prog->pctx_size :
					   (uint32_t)sizeof(struct bf_pctx);

	t_arr = btf__add_array(btf, t_int, t_u8, psize);
	t_st = btf__add_struct(btf, "bf_pctx", psize);
	btf__add_field(btf, "raw", t_arr, 0, 0);
	t_pst = btf__add_ptr(btf, t_st);
	t_void_p = btf__add_ptr(btf, 0);
	p_main = btf__add_func_proto(btf, t_int);
	btf__add_func_param(btf, "ctx", t_void_p);
	p_chain = btf__add_func_proto(btf, t_int);
	btf__add_func_param(btf, "p", t_pst);
	for (size_t i = 0; i < prog->n_funcs; i++) {
		const struct bf_func *f = &prog->funcs[i];
		int id = btf__add_func(btf, f->name,
				       f->global ? BTF_FUNC_GLOBAL :
						   BTF_FUNC_STATIC,
				       f->global ? p_chain : p_main);

		if (id < 0) {
			free(fi);
			btf__free(btf);
			return id;
		}
		fi[i].insn_off = (uint32_t)f->insn_off;
		fi[i].type_id = (uint32_t)id;
	}
	if (t_int < 0 || t_u8 < 0 || t_arr < 0 || t_st < 0 || t_pst < 0 ||
	    t_void_p < 0 || p_main < 0 || p_chain < 0) {
		free(fi);
		btf__free(btf);
		return -EINVAL;
	}
	*out = btf;
	*finfo = fi;
	return 0;
}

/* Create and fill the hash map of folded rule groups `m`; returns its fd
 * or -errno. Only the program will hold it. */
static int fold_map_create(const struct bf_prog_map *m)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	uint32_t done = 0;
	int fd, r;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bf_fold", m->key_size,
			    sizeof(uint32_t), m->n ? m->n : 1, NULL);
	if (fd < 0) {
		r = -errno;
		bf_err("cannot create a map of %u folded rules: %s", m->n,
		       strerror(-r));
		return r;
	}
	while (done < m->n) {
		uint32_t count = m->n - done;

		r = bpf_map_update_batch(fd,
					 m->keys + (size_t)done * m->key_size,
					 m->values + done, &count, &bopts);
		if (r && errno != EINTR && errno != EAGAIN)
			break;
		done += count;
		r = 0;
	}
	/* kernels without batch updates of hash maps: one by one */
	for (; done < m->n; done++) {
		r = bpf_map_update_elem(fd,
					m->keys + (size_t)done * m->key_size,
					&m->values[done], BPF_NOEXIST);
		if (r) {
			r = -errno;
			bf_err("cannot fill a map of folded rules: %s",
			       strerror(-r));
			close(fd);
			return r;
		}
	}
	return fd;
}

static void close_fds(int **fds)
{
	if (!*fds)
		return;
	for (int *p = *fds; *p != -2; p++) {
		if (*p >= 0)
			close(*p);
	}
	free(*fds);
}

static enum bpf_prog_type prog_type(enum bf_attach_kind a)
{
	switch (a) {
	case BF_ATTACH_NF:
		return (enum bpf_prog_type)BPF_PROG_TYPE_NETFILTER;
	case BF_ATTACH_TC:
		return BPF_PROG_TYPE_SCHED_CLS;
	default:
		return BPF_PROG_TYPE_XDP;
	}
}

int bf_program_load(struct bf_program *prog, int counters_fd, char *log,
		    size_t log_size)
{
	__attribute__((cleanup(btf_freep))) struct btf *btf = NULL;
	_cleanup_free_ struct bpf_func_info *finfo = NULL;
	_cleanup_free_ char *own_log = NULL;
	/* user BPF code linked in (cgen/m_bpf.h), until loaded */
	__attribute__((cleanup(bf_userbpf_unlink))) struct bf_uobjs *uobjs =
		NULL;
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	int fd, r;

	_cleanup_close_ int state_fd = -1;
	_cleanup_close_ int own_buckets_fd = -1;
	int buckets_fd = -1;
	_cleanup_close_ int logbuf_fd = -1;
	_cleanup_close_ int logring_fd = -1;
	int lbuf = -1, lring = -1, st_fd = -1;
	_cleanup_close_ int rejbuf_fd = -1;
	/* fds of prog->maps, ended by -2 */
	__attribute__((cleanup(close_fds))) int *map_fds = NULL;

	/* recent tables: idx, tab per table, ended by -2 */
	__attribute__((cleanup(close_fds))) int *recent_fds = NULL;

	recent_fds = malloc((2 * prog->n_recent + 1) * sizeof(*recent_fds));
	if (!recent_fds)
		return -ENOMEM;
	for (size_t i = 0; i <= 2 * prog->n_recent; i++)
		recent_fds[i] = i < 2 * prog->n_recent ? -1 : -2;
	r = bf_recent_maps_open(prog, recent_fds);
	if (r)
		return r;
	/* hashlimit tables, ended by -2 */
	__attribute__((cleanup(close_fds))) int *hl_fds = NULL;

	hl_fds = malloc((prog->n_hashlimit + 1) * sizeof(*hl_fds));
	if (!hl_fds)
		return -ENOMEM;
	for (size_t i = 0; i <= prog->n_hashlimit; i++)
		hl_fds[i] = i < prog->n_hashlimit ? -1 : -2;
	r = bf_hashlimit_maps_open(prog, hl_fds);
	if (r)
		return r;
	map_fds = malloc((prog->n_maps + 1) * sizeof(*map_fds));
	if (!map_fds)
		return -ENOMEM;
	for (size_t i = 0; i <= prog->n_maps; i++)
		map_fds[i] = i < prog->n_maps ? -1 : -2;
	for (size_t i = 0; i < prog->n_maps; i++) {
		map_fds[i] = prog->maps[i].type ?
				     bf_lbvs_map_create(&prog->maps[i]) :
				     fold_map_create(&prog->maps[i]);
		if (map_fds[i] < 0)
			return map_fds[i];
	}

	if (prog->n_state && prog->state_fd) {
		st_fd = *prog->state_fd;
	} else if (prog->n_state) {
		state_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bf_state",
					  sizeof(uint32_t), 16 * prog->n_state,
					  1, NULL);
		if (state_fd < 0) {
			r = -errno;
			bf_err("cannot create the state map: %s", strerror(-r));
			return r;
		}
		st_fd = state_fd;
	}
	if (bf_nftm_buckets_size(prog)) {
		/* shared nft limit buckets: the slot's, else its own */
		if (prog->nftbucket_fd) {
			buckets_fd = *prog->nftbucket_fd;
		} else {
			own_buckets_fd = bf_nftm_buckets_create(
				bf_nftm_buckets_size(prog));
			if (own_buckets_fd < 0)
				return own_buckets_fd;
			buckets_fd = own_buckets_fd;
		}
	}
	if (prog->log && prog->logbuf_fd && prog->logring_fd) {
		/* the point's shared LOG maps (segment programs) */
		lbuf = *prog->logbuf_fd;
		lring = *prog->logring_fd;
	} else if (prog->log) {
		logbuf_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY,
					   "bf_logbuf", sizeof(uint32_t),
					   sizeof(struct bf_pktlog_rec), 1,
					   NULL);
		if (logbuf_fd >= 0)
			logring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF,
						    "bf_log", 0, 0,
						    BF_PKTLOG_RINGBUF_SIZE,
						    NULL);
		if (logbuf_fd < 0 || logring_fd < 0) {
			r = -errno;
			bf_err("cannot create the LOG maps: %s", strerror(-r));
			return r;
		}
		lbuf = logbuf_fd;
		lring = logring_fd;
	}
	if (prog->reject) {
		rejbuf_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY,
					   "bf_rejbuf", sizeof(uint32_t),
					   BF_REJECT_BUF, 1, NULL);
		if (rejbuf_fd < 0) {
			r = -errno;
			bf_err("cannot create the REJECT buffer: %s",
			       strerror(-r));
			return r;
		}
	}
	for (size_t i = 0; i < prog->n_relocs; i++) {
		if (prog->relocs[i].kind == BF_RELOC_REJBUF)
			prog->insns[prog->relocs[i].idx].imm = rejbuf_fd;
		else if (prog->relocs[i].kind == BF_RELOC_LOGBUF)
			prog->insns[prog->relocs[i].idx].imm = lbuf;
		else if (prog->relocs[i].kind == BF_RELOC_LOGRING)
			prog->insns[prog->relocs[i].idx].imm = lring;
		else if (prog->relocs[i].kind == BF_RELOC_COUNTERS)
			prog->insns[prog->relocs[i].idx].imm = counters_fd;
		else if (prog->relocs[i].kind == BF_RELOC_STATE)
			prog->insns[prog->relocs[i].idx].imm = st_fd;
		else if (prog->relocs[i].kind == BF_RELOC_NFTBUCKET)
			prog->insns[prog->relocs[i].idx].imm = buckets_fd;
		else if ((prog->relocs[i].kind == BF_RELOC_RECENT_IDX ||
			  prog->relocs[i].kind == BF_RELOC_RECENT_TAB) &&
			 prog->relocs[i].map < prog->n_recent)
			prog->insns[prog->relocs[i].idx].imm =
				recent_fds[2 * prog->relocs[i].map +
					   (prog->relocs[i].kind ==
					    BF_RELOC_RECENT_TAB)];
		else if (prog->relocs[i].kind == BF_RELOC_HASHLIMIT &&
			 prog->relocs[i].map < prog->n_hashlimit)
			prog->insns[prog->relocs[i].idx].imm =
				hl_fds[prog->relocs[i].map];
		else if (prog->relocs[i].kind == BF_RELOC_SET) {
			if (prog->relocs[i].map >= prog->n_set_fds ||
			    prog->set_fds[prog->relocs[i].map] < 0) {
				bf_err("program %s: no map for a set it uses",
				       prog->name);
				return -ENOENT;
			}
			prog->insns[prog->relocs[i].idx].imm =
				prog->set_fds[prog->relocs[i].map];
		} else if (prog->relocs[i].kind == BF_RELOC_MAP &&
			   prog->relocs[i].map < prog->n_maps)
			prog->insns[prog->relocs[i].idx].imm =
				map_fds[prog->relocs[i].map];
	}
	r = bf_userbpf_link(prog, &uobjs);
	if (r)
		return r;
	r = build_btf(prog, &btf, &finfo);
	if (r)
		return r;
	r = btf__load_into_kernel(btf);
	if (r) {
		r = -errno;
		bf_err("cannot load the program BTF: %s", strerror(-r));
		return r;
	}
	opts.prog_btf_fd = (uint32_t)btf__fd(btf);
	opts.func_info = finfo;
	opts.func_info_cnt = (uint32_t)prog->n_funcs;
	opts.func_info_rec_size = sizeof(*finfo);
	if (prog->attach == BF_ATTACH_NF)
		opts.expected_attach_type = (enum bpf_attach_type)BPF_NETFILTER;

	if (getenv("BF_VERIFIER_LOG2")) {
		/* tests: the verifier's level-2 log (every instruction with
		 * the register types) into the file BF_VERIFIER_LOG2 */
		size_t size = 64u << 20;
		char *vlog = calloc(1, size);
		FILE *f;

		opts.log_level = vlog ? 2 : 0;
		opts.log_buf = vlog;
		opts.log_size = vlog ? (uint32_t)size : 0;
		fd = bpf_prog_load(prog_type(prog->attach), prog->name, "GPL",
				   prog->insns, prog->n_insns, &opts);
		f = vlog ? fopen(getenv("BF_VERIFIER_LOG2"), "we") : NULL;
		if (f) {
			fputs(vlog, f);
			fclose(f);
		}
		free(vlog);
		opts.log_level = 0;
		opts.log_buf = NULL;
		opts.log_size = 0;
	} else if (getenv("BF_VERIFIER_STATS")) {
		/* log_level 4: the verifier's statistics only */
		static char stats[4096];

		stats[0] = '\0';
		opts.log_level = 4;
		opts.log_buf = stats;
		opts.log_size = sizeof(stats);
		fd = bpf_prog_load(prog_type(prog->attach), prog->name, "GPL",
				   prog->insns, prog->n_insns, &opts);
		bf_info("verifier stats for %s (%zu insns): %s", prog->name,
			prog->n_insns, stats);
		opts.log_level = 0;
		opts.log_buf = NULL;
		opts.log_size = 0;
	} else {
		fd = bpf_prog_load(prog_type(prog->attach), prog->name, "GPL",
				   prog->insns, prog->n_insns, &opts);
	}
	if (fd >= 0)
		return fd;
	r = -errno;

	/* Load again with the verifier log: it is what shows a bug. */
	if (!log || log_size < 4096) {
		log_size = 16u << 20;
		own_log = malloc(log_size);
		if (!own_log)
			return r;
		log = own_log;
	}
	log[0] = '\0';
	opts.log_level = 1;
	opts.log_buf = log;
	opts.log_size =
		(uint32_t)(log_size > UINT32_MAX ? UINT32_MAX : log_size);
	fd = bpf_prog_load(prog_type(prog->attach), prog->name, "GPL",
			   prog->insns, prog->n_insns, &opts);
	if (fd >= 0)
		return fd;
	{
		/* keep the end of the log: it says why */
		size_t len = strlen(log);
		const char *tail = len > 3000 ? log + len - 3000 : log;

		bf_dbg("the kernel refused program %s (%zu instructions): %s",
		       prog->name, prog->n_insns, strerror(-r));
		bf_dbg("verifier log (end):\n%s", tail);
		if (uobjs)
			bf_userbpf_report(uobjs, log);
	}
	return r;
}
