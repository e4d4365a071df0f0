// SPDX-License-Identifier: GPL-2.0-only
/*
 * nft input for `bpfilter apply --format nft` and `bpfilter import nft`:
 * the ruleset is parsed and lowered to the IR by the nft front end, and
 * the IR is handed to bf_apply() as the iptables-save text of each family
 * (bf_ipt_print() prints the IR exactly; the iptables front end reads it
 * back into the same IR), so that everything after the front end is the
 * one apply path.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfilter/bpfilter.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/front_nft.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "cli/cli.h"
#include "cli/nft.h"
#include "cli/nftkern.h"
#include "load/load.h"
#include "load/multi.h"
#include "set/ipset.h"

bool cli_nft_detect(const char *path)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[512];

	if (!path || !strcmp(path, "-"))
		return false;
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, word[16];
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		if (!strncmp(p, "#!", 2))
			return strstr(p, "nft") != NULL;
		if (*p == '#')
			continue; /* both syntaxes have # comments */
		if (sscanf(p, "%15s", word) != 1)
			return false;
		return !strcmp(word, "table") || !strcmp(word, "flush") ||
		       !strcmp(word, "define") || !strcmp(word, "include") ||
		       !strcmp(word, "add") || !strcmp(word, "nft");
	}
	return false;
}

bool cli_nft_inline_sets;

static int apply_targets(struct bf_nft *nft, const char *path,
			 struct bf_apply_opts *o, int kind, bool *handled);

/* tg: one target of the ruleset (cli_nft_apply_targets()), or NULL for
 * the whole ruleset in one slot */
static int lower_text(struct bf_nft *nft, struct bf_apply_opts *o,
		      struct cli_nft_bufs *b, const struct bf_nft_target *tg)
{
	struct bf_ruleset *rs = bf_ruleset_new();
	int r;

	if (!rs)
		return -ENOMEM;
	/* Named address sets become BPF maps (`bpfilter set add|delete`
	 * change them in place), handed to apply as `ipset save` text;
	 * with --ipset or --confirm, every set is inlined as before. */
	if (tg)
		r = bf_nft_lower_target(tg, rs,
					!(o->ipset.path || o->ipset.in ||
					  cli_nft_inline_sets));
	else
		r = o->ipset.path || o->ipset.in || cli_nft_inline_sets ?
			    bf_nft_lower(nft, rs) :
			    bf_nft_lower_sets(nft, rs);
	if (!r && rs->n_sets) {
		size_t slen = 0;
		FILE *m = open_memstream(&b->sets_text, &slen);
		if (!m) {
			bf_ruleset_free(&rs);
			return -ENOMEM;
		}
		bf_ipset_print(m, rs);
		if (fclose(m)) {
			bf_ruleset_free(&rs);
			return -ENOMEM;
		}
		b->sets_in = fmemopen(b->sets_text, strlen(b->sets_text), "r");
		if (!b->sets_in) {
			bf_ruleset_free(&rs);
			return -errno;
		}
		o->ipset.in = b->sets_in;
		o->ipset.path = "nft (sets)";
	}
	/* refusals of the code generator with the nft positions, before
	 * apply sees the iptables-save text (which has its own lines) */
	if (!r)
		r = bf_nft_check(
			rs, o->kind,
			tg && tg->kind == BF_NFT_TARGET_NF ? NULL : o->ifname);
	if (r) {
		bf_ruleset_free(&rs);
		return r;
	}
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		size_t len = 0;
		FILE *m = open_memstream(&b->text[f], &len);
		if (!m) {
			bf_ruleset_free(&rs);
			return -ENOMEM;
		}
		/* A family the nft ruleset has no table for gets an empty
		 * table: `nft -f` with `flush ruleset` leaves nothing else. */
		r = bf_ipt_print(m, rs, f, 0);
		if (fclose(m) || r) {
			bf_ruleset_free(&rs);
			return r ? r : -ENOMEM;
		}
		b->in[f] = fmemopen(b->text[f], strlen(b->text[f]), "r");
		if (!b->in[f]) {
			bf_ruleset_free(&rs);
			return -errno;
		}
		o->input[f].in = b->in[f];
		if (!o->input[f].path)
			o->input[f].path = f ? "nft (ip6)" : "nft (ip)";
	}
	bf_ruleset_free(&rs);
	return 0;
}

int cli_nft_inputs(const char *path, struct bf_apply_opts *o,
		   struct cli_nft_bufs *b)
{
	struct bf_nft *nft = NULL;
	int r;

	memset(b, 0, sizeof(*b));
	if (!strcmp(path, "-")) {
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		char chunk[65536];
		size_t n;
		if (!m)
			return -ENOMEM;
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			fwrite(chunk, 1, n, m);
		if (fclose(m) || ferror(stdin))
			return -EIO;
		r = bf_nft_parse_str(buf, "<stdin>", &nft);
	} else {
		r = bf_nft_parse_file(path, &nft);
	}
	if (r)
		return r;
	o->input[BF_FAMILY_INET4].path = NULL;
	o->input[BF_FAMILY_INET6].path = NULL;
	r = lower_text(nft, o, b, NULL);
	bf_nft_free(&nft);
	return r;
}

void cli_nft_bufs_free(struct cli_nft_bufs *b)
{
	for (int f = 0; f < BF_FAMILY_COUNT; f++) {
		if (b->in[f])
			fclose(b->in[f]);
		free(b->text[f]);
		b->in[f] = NULL;
		b->text[f] = NULL;
	}
	if (b->sets_in)
		fclose(b->sets_in);
	free(b->sets_text);
	b->sets_in = NULL;
	b->sets_text = NULL;
}

int cli_nft_print_lowered(const char *path, FILE *out)
{
	struct bf_nft *nft = NULL;
	struct bf_ruleset *rs;
	int r = bf_nft_parse_file(path, &nft);

	if (r)
		return r;
	rs = bf_ruleset_new();
	if (!rs) {
		bf_nft_free(&nft);
		return -ENOMEM;
	}
	r = bf_nft_lower(nft, rs);
	for (int f = 0; !r && f < BF_FAMILY_COUNT; f++)
		r = bf_ipt_print(out, rs, f, 0);
	bf_ruleset_free(&rs);
	bf_nft_free(&nft);
	return r;
}

/* The output of `nft ARGS` run in this namespace (malloc'd); NULL on
 * error, reported. */
static char *run_nft(const char *args)
{
	static const char *const paths[] = { "/usr/sbin/nft", "/sbin/nft",
					     "/usr/bin/nft" };
	const char *nft = NULL;
	char *buf = NULL;
	size_t len = 0;
	char chunk[65536];
	size_t n;
	FILE *p, *m;
	int st;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0) {
			nft = paths[i];
			break;
		}
	if (!nft) {
		bf_log(BF_LOG_ERROR, "import nft: the nft command is not "
				     "installed (package nftables)");
		return NULL;
	}
	snprintf(chunk, sizeof(chunk), "%s %s", nft, args);
	p = popen(chunk, "re");
	if (!p)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m) {
		pclose(p);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	st = pclose(p);
	if (st) {
		bf_log(BF_LOG_ERROR, "import nft: `nft %s` failed (status %d)",
		       args, st);
		free(buf);
		return NULL;
	}
	return buf;
}

#define LIVE_JSON "nft -j list ruleset"
#define LIVE_TEXT "nft -s list ruleset"
#define LIVE_TRIES 3

/* The ruleset in force in this namespace. `nft -j list ruleset` is read
 * (doc/front-nft.md, "The CLI"); nft 1.0.6 leaves the devices of netdev
 * base chains out of it, so when one lacks them they come from the text
 * listing, which has them. The text listing (stateless: no counters) is
 * read before and after the JSON: equal, the JSON was listed from the
 * same ruleset; otherwise the ruleset changed meanwhile and it is read
 * again (LIVE_TRIES times at most). */
static int import_live(struct bf_nft **out)
{
	*out = NULL;
	for (int attempt = 0; attempt < LIVE_TRIES; attempt++) {
		_cleanup_free_ char *before = NULL, *json = NULL, *after = NULL;
		struct bf_nft *nft = NULL, *text = NULL;
		int r;

		json = run_nft("-j list ruleset");
		if (!json)
			return -EIO;
		r = bf_nft_parse_json(json, LIVE_JSON, &nft);
		if (r)
			return r;
		if (!bf_nft_lacks_devices(nft)) {
			*out = nft;
			return 0;
		}
		before = run_nft("-s list ruleset");
		free(json);
		json = before ? run_nft("-j list ruleset") : NULL;
		after = json ? run_nft("-s list ruleset") : NULL;
		if (!after) {
			bf_nft_free(&nft);
			return -EIO;
		}
		if (strcmp(before, after)) {
			bf_nft_free(&nft);
			continue; /* changed while it was read */
		}
		bf_nft_free(&nft);
		r = bf_nft_parse_json(json, LIVE_JSON, &nft);
		if (!r)
			r = bf_nft_parse_str(after, LIVE_TEXT, &text);
		if (r) {
			if (nft)
				bf_err("import nft: the devices of netdev "
				       "chains come from `" LIVE_TEXT "`, "
				       "which was refused");
			bf_nft_free(&nft);
			return r;
		}
		r = bf_nft_fill_devices(nft, text);
		bf_nft_free(&text);
		if (r < 0) {
			bf_nft_free(&nft);
			return r;
		}
		/* still without one: bf_nft_targets() says which */
		*out = nft;
		return 0;
	}
	bf_err("import nft: the ruleset changed while it was read, %d times",
	       LIVE_TRIES);
	return -EAGAIN;
}

/* `--from FILE`: what `nft -j list ruleset` printed (it starts with '{'),
 * or what `nft list ruleset` printed (the text listing, which keeps the
 * devices of netdev chains). */
static int import_file(const char *from, struct bf_nft **out)
{
	FILE *f = strcmp(from, "-") ? fopen(from, "re") : stdin;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, n;
	char chunk[65536];
	const char *p;
	FILE *m;
	int r;

	*out = NULL;
	if (!f) {
		bf_err("cannot open %s: %s", from, strerror(errno));
		return -errno;
	}
	m = open_memstream(&buf, &len);
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (m)
		fclose(m);
	if (f != stdin)
		fclose(f);
	if (!m || !buf)
		return -ENOMEM;
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	if (*p != '{') {
		r = bf_nft_parse_str(buf, from, out);
		if (!r)
			bf_nft_drop_own_tables(*out);
		return r;
	}
	r = bf_nft_parse_json(buf, from, out);
	if (!r && bf_nft_lacks_devices(*out))
		bf_err("%s: this JSON lists netdev base chains without their "
		       "devices (nft 1.0.6 does): import the text listing "
		       "instead (nft list ruleset > FILE)",
		       from);
	return r;
}

int cli_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hook", required_argument, NULL, 'H' },
		{ "iface", required_argument, NULL, 'i' },
		{ "test", no_argument, NULL, 't' },
		{ "dump", no_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "print", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bf_apply_opts o = { .kind = BF_SLOT_NF };
	struct cli_nft_bufs b = { 0 };
	const char *from = NULL;
	struct bf_nft *nft = NULL;
	bool print = false;
	int c, kind = BF_SLOT_NF, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+th", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (cli_parse_hook(optarg, &kind))
				return 2;
			break;
		case 'i':
			o.ifname = optarg;
			break;
		case 't':
			o.test_only = true;
			break;
		case 'D':
			o.dump = stdout;
			break;
		case 'f':
			from = optarg;
			break;
		case 'p':
			print = true;
			break;
		case 'h':
			return cli_help_cmd("import");
		default:
			return cli_error("see bpfilter help import");
		}
	}
	if (optind >= argc || strcmp(argv[optind], "nft"))
		return cli_error(
			"import takes the source: bpfilter import nft");
	if (optind + 1 < argc)
		return cli_error("unexpected argument '%s'", argv[optind + 1]);
	o.kind = (enum bf_slot_kind)kind;
	r = from ? import_file(from, &nft) : import_live(&nft);
	if (r)
		return cli_status(r);
	if (print) {
		r = bf_nft_print(stdout, nft);
		bf_nft_free(&nft);
		return cli_status(r);
	}
	{
		/* netdev tables, several priorities: several slots */
		bool handled = false;
		o.verbose = cli_verbosity() > 0;
		r = apply_targets(nft, from ? from : LIVE_JSON, &o, kind,
				  &handled);
		if (r || handled) {
			bf_nft_free(&nft);
			return cli_status(r);
		}
	}
	r = lower_text(nft, &o, &b, NULL);
	bf_nft_free(&nft);
	if (!r)
		r = bf_apply(&o);
	cli_nft_bufs_free(&b);
	return cli_status(r);
}

/* A slot section header of bf_save(): "# bpfilter slot NAME, FAMILY, ..." */
static bool slot_header(const char *line, char *slot, size_t size, char *fam,
			size_t fsize)
{
	const char *p = line + strlen("# bpfilter slot ");
	const char *comma = strchr(p, ',');
	const char *comma2;

	if (strncmp(line, "# bpfilter slot ", 16) || !comma)
		return false;
	snprintf(slot, size, "%.*s", (int)(comma - p), p);
	p = comma + 2;
	comma2 = strchr(p, ',');
	snprintf(fam, fsize, "%.*s",
		 comma2 ? (int)(comma2 - p) : (int)strlen(p), p);
	return true;
}

/* The ipset section of the slot being printed (it comes first): its
 * one-address sets are printed as nft sets (ruleset sets of
 * `apply --format nft`, doc/front-nft.md). */
static char sets_slot[64];
static char *sets_text;

static int print_section(FILE *out, const char *slot, const char *fam,
			 const char *text, bool counters, uint32_t points)
{
	enum bf_family f = !strcmp(fam, "ipv6") ? BF_FAMILY_INET6 :
						  BF_FAMILY_INET4;
	struct bf_ruleset *rs;
	char table[64] = "bpfilter_";
	size_t n = strlen(table);
	int r;

	if (!strcmp(fam, "ipset")) {
		free(sets_text);
		sets_text = strdup(text ? text : "");
		snprintf(sets_slot, sizeof(sets_slot), "%s", slot);
		return sets_text ? 0 : -ENOMEM;
	}
	if (strcmp(fam, "ipv4") && strcmp(fam, "ipv6")) {
		fprintf(out,
			"# bpfilter slot %s: the %s section has no nft form "
			"here (see bpfilter save)\n",
			slot, fam);
		return 0;
	}
	for (const char *p = slot; *p && n < sizeof(table) - 1; p++)
		table[n++] = isalnum((unsigned char)*p) ? *p : '_';
	table[n] = '\0';
	rs = bf_ruleset_new();
	if (!rs)
		return -ENOMEM;
	r = sets_text && !strcmp(sets_slot, slot) ?
		    bf_ipset_parse_str(rs, sets_text, slot) :
		    0;
	if (!r)
		r = bf_ipt_parse_restore_str(rs, text, slot, f);
	if (!r) {
		/* tc-DEV / xdp-DEV: netdev tables, one per family; nf-m10:
		 * base chains at priority -10 */
		struct bf_nft_place pl = { 0 };
		const char *dash = strchr(slot, '-');
		if (dash && strncmp(slot, "nf-", 3)) {
			pl.device = dash + 1;
			snprintf(table + strlen(table),
				 sizeof(table) - strlen(table), "_%s",
				 f == BF_FAMILY_INET6 ? "ip6" : "ip");
		} else if (dash) {
			bf_nf_prio_parse(dash + 1, &pl.priority);
			pl.points = points;
		}
		fprintf(out, "# bpfilter slot %s, %s\n", slot, fam);
		r = bf_nft_print_ir_at(out, rs, f, table, counters, &pl);
	}
	bf_ruleset_free(&rs);
	return r;
}

int cli_save_nft(FILE *out, const struct bf_slot_sel *sel,
		 unsigned int families, bool counters)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	char slot[64] = "", fam[16] = "";
	char *line, *save = NULL;
	char *section = NULL;
	uint32_t points = 0; /* ", hooks in4,..." (load/points.c) */
	size_t slen = 0;
	FILE *sm = NULL;
	int r, err = 0;

	if (!m)
		return -ENOMEM;
	r = bf_save(m, sel, families, counters);
	fclose(m);
	if (r)
		return r;
	fputs("# bpfilter save --format nft\n", out);
	for (line = strtok_r(text, "\n", &save);;
	     line = strtok_r(NULL, "\n", &save)) {
		char nslot[64], nfam[16];
		bool header = line && slot_header(line, nslot, sizeof(nslot),
						  nfam, sizeof(nfam));
		if (!line || header) {
			if (sm) {
				fclose(sm);
				sm = NULL;
				r = print_section(out, slot, fam, section,
						  counters, points);
				if (r && !err)
					err = r;
				free(section);
				section = NULL;
			}
			if (!line)
				break;
			snprintf(slot, sizeof(slot), "%s", nslot);
			snprintf(fam, sizeof(fam), "%s", nfam);
			points = strstr(line, ", hooks ") ?
					 bf_nf_points_parse(
						 strstr(line, ", hooks ") + 8) :
					 0;
			sm = open_memstream(&section, &slen);
			if (!sm)
				return -ENOMEM;
			continue;
		}
		if (sm)
			fprintf(sm, "%s\n", line);
	}
	free(sets_text);
	sets_text = NULL;
	return err;
}

/* A slot in force: kind and its selector (interface, or nf priority). */
struct live_slot {
	int kind;
	int priority;
	char ifname[64];
};

/* The slots in force, from the section headers of bf_save(). */
static int slots_in_force(struct live_slot **out, size_t *n)
{
	struct bf_slot_sel sel = { .kind = -1 };
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	char *line, *save = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if (!m)
		return -ENOMEM;
	r = bf_save(m, &sel, (1u << BF_FAMILY_COUNT) - 1, false);
	fclose(m);
	if (r)
		return r;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char slot[64], fam[16];
		struct live_slot ls = { 0 }, *v;
		const char *dash;
		bool dup = false;
		if (!slot_header(line, slot, sizeof(slot), fam, sizeof(fam)))
			continue;
		dash = strchr(slot, '-');
		if (!strcmp(slot, "nf")) {
			ls.kind = BF_SLOT_NF;
		} else if (!dash) {
			continue;
		} else if (!strncmp(slot, "nf-", 3)) {
			if (!bf_nf_prio_parse(dash + 1, &ls.priority))
				continue;
			ls.kind = BF_SLOT_NF;
		} else {
			char kind[16];
			snprintf(kind, sizeof(kind), "%.*s", (int)(dash - slot),
				 slot);
			ls.kind = bf_slot_kind_from_name(kind);
			if (ls.kind < 0)
				continue;
			snprintf(ls.ifname, sizeof(ls.ifname), "%s", dash + 1);
		}
		for (size_t i = 0; i < *n; i++)
			dup |= (*out)[i].kind == ls.kind &&
			       (*out)[i].priority == ls.priority &&
			       !strcmp((*out)[i].ifname, ls.ifname);
		if (dup)
			continue;
		v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*out = v;
		v[(*n)++] = ls;
	}
	return 0;
}

int cli_nft_apply_targets(const char *path, struct bf_apply_opts *o, int kind,
			  bool *handled)
{
	struct bf_nft *nft = NULL;
	int r;

	*handled = false;
	if (!strcmp(path, "-"))
		return 0; /* stdin: read once, by cli_nft_inputs() */
	r = bf_nft_parse_file(path, &nft);
	if (r)
		return r;
	r = apply_targets(nft, path, o, kind, handled);
	bf_nft_free(&nft);
	return r;
}

long cli_nft_confirm;

/* Everything that can fail before a slot changes: every device exists,
 * and every slot's ruleset checks, compiles and loads (bf_apply() with
 * load_only: the kernel's verifier accepts every program; they are
 * loaded again by the apply itself). Only the steps that change what is
 * in force (attach, switch, pins) are left to the transaction, which
 * rolls back when they fail. Runs under the transaction's lock. */
static int apply_prepare(const char *path, const struct bf_nft_target *tgs,
			 struct bf_apply_opts *opts, struct cli_nft_bufs *bufs,
			 size_t n)
{
	int r = 0;

	/* with the position of each missing device's clause */
	if (bf_nft_targets_devices(tgs, n)) {
		bf_err("%s: nothing changed", path);
		return -ENODEV;
	}
	for (size_t i = 0; i < n && !r; i++) {
		struct bf_apply_opts t = opts[i];
		t.load_only = true;
		r = bf_apply(&t);
		for (int f = 0; f < BF_FAMILY_COUNT; f++)
			if (bufs[i].in[f])
				rewind(bufs[i].in[f]);
		if (bufs[i].sets_in)
			rewind(bufs[i].sets_in);
	}
	if (r)
		bf_err("%s: nothing changed", path);
	return r;
}

/* The targets of nft applied in one transaction (cli_nft_apply_targets()). */
static int apply_targets(struct bf_nft *nft, const char *path,
			 struct bf_apply_opts *o, int kind, bool *handled)
{
	struct bf_nft_target *tgs = NULL;
	struct cli_nft_bufs *bufs = NULL;
	struct bf_apply_opts *opts = NULL;
	char(*tokens)[16] = NULL;
	_cleanup_free_ struct live_slot *live = NULL;
	size_t n = 0, n_live = 0, done = 0;
	struct bf_multi *multi = NULL;
	struct cli_nftkern kern = { 0 };
	bool changed = false; /* a slot's apply or flush began */
	int r;

	*handled = false;
	r = bf_nft_targets(nft, kind == BF_SLOT_XDP, &tgs, &n);
	if (r)
		goto out;
	/* chains of type nat, route, and type filter ones at prerouting,
	 * postrouting, for the kernel's nftables (nftkern.c),
	 * checked with nft -c; or such tables of a previous apply to go */
	r = cli_nftkern_prepare(nft, path, &kern);
	if (r)
		goto out;
	/* One nf slot at priority 0: the ruleset goes where --hook and
	 * --iface say, as it always did. */
	if (n == 1 && tgs[0].kind == BF_NFT_TARGET_NF && !tgs[0].priority &&
	    !kern.any)
		goto out;
	*handled = true;
	if (kern.any && cli_nft_confirm > 0) {
		bf_err("%s: --confirm cannot roll back the kernel's nftables "
		       "tables (chains of type nat, route; prerouting, "
		       "postrouting): not with such "
		       "chains",
		       path);
		r = -EINVAL;
		goto out;
	}
	if (o->ifname) {
		bf_err("%s: the ruleset names its own places (netdev devices, "
		       "chain priorities): no --iface",
		       path);
		r = -EINVAL;
		goto out;
	}
	bufs = calloc(n, sizeof(*bufs));
	opts = calloc(n, sizeof(*opts));
	tokens = calloc(n, sizeof(*tokens));
	if (!bufs || !opts || !tokens) {
		r = -ENOMEM;
		goto out;
	}
	/* Every target is lowered and checked before any is applied. */
	for (size_t i = 0; i < n && !r; i++) {
		opts[i] = *o;
		opts[i].kind = (enum bf_slot_kind)tgs[i].kind;
		if (tgs[i].kind == BF_NFT_TARGET_NF) {
			bf_nf_prio_token(tgs[i].priority, tokens[i],
					 sizeof(tokens[i]));
			opts[i].ifname = tgs[i].priority ? tokens[i] : NULL;
			/* where its base chains are (load: only there) */
			opts[i].nf_points = tgs[i].points;
		} else {
			opts[i].ifname = tgs[i].ifname;
		}
		opts[i].input[BF_FAMILY_INET4].path = NULL;
		opts[i].input[BF_FAMILY_INET6].path = NULL;
		r = lower_text(nft, &opts[i], &bufs[i], &tgs[i]);
	}
	if (r)
		goto out;
	if (o->dump || o->test_only) {
		for (done = 0; done < n && !r; done++)
			r = bf_apply(&opts[done]);
		if (!r && o->dump && kern.script)
			printf("# for the kernel's nftables (nft -f):\n%s",
			       kern.script);
		goto out;
	}
	/* All or nothing (doc/front-nft.md, "Applying several slots"):
	 * one lock, every slot snapshotted before any changes, and rolled
	 * back if one step fails. */
	r = bf_multi_begin(&multi);
	if (!r)
		r = apply_prepare(path, tgs, opts, bufs, n);
	if (!r)
		r = slots_in_force(&live, &n_live);
	for (size_t i = 0; i < n && !r; i++)
		r = bf_multi_save(multi, opts[i].kind, opts[i].ifname);
	for (size_t k = 0; k < n_live && !r; k++) {
		char tok[16];
		if (live[k].kind != BF_SLOT_NF && !nft->flush)
			continue; /* stays as it is (below) */
		bf_nf_prio_token(live[k].priority, tok, sizeof(tok));
		r = bf_multi_save(multi, live[k].kind,
				  live[k].kind == BF_SLOT_NF ?
					  (live[k].priority ? tok : NULL) :
					  live[k].ifname);
	}
	changed = !r;
	for (done = 0; done < n && !r; done++)
		r = bf_apply(&opts[done]);
	/* nf slots at priorities the ruleset no longer has; after `flush
	 * ruleset`, every slot it does not name */
	for (size_t k = 0; !r && k < n_live; k++) {
		bool keep = false;
		char tok[16];
		struct bf_slot_sel sel = { .kind = live[k].kind };
		if (live[k].kind != BF_SLOT_NF && !nft->flush)
			continue;
		for (size_t i = 0; i < n; i++)
			keep |= (int)tgs[i].kind == live[k].kind &&
				(live[k].kind == BF_SLOT_NF ?
					 tgs[i].priority == live[k].priority :
					 !strcmp(tgs[i].ifname,
						 live[k].ifname));
		if (keep)
			continue;
		bf_nf_prio_token(live[k].priority, tok, sizeof(tok));
		sel.ifname = live[k].kind != BF_SLOT_NF ? live[k].ifname :
			     live[k].priority		? tok :
							  NULL;
		r = bf_multi_remove(multi, sel.kind, sel.ifname);
	}
	/* last: one nft transaction; its refusal rolls the slots back */
	if (!r)
		r = cli_nftkern_commit(&kern, path);
	if (r && multi && changed) {
		int rr = bf_multi_rollback(multi);
		if (rr)
			bf_err("%s: the rollback failed too (%s): some slots "
			       "may not be as before",
			       path, strerror(-rr));
		else
			bf_err("%s: every slot is as before", path);
	}
	if (!r && multi && cli_nft_confirm > 0) {
		r = bf_multi_confirm(multi, (unsigned int)cli_nft_confirm);
		if (r) {
			bf_multi_rollback(multi);
			bf_err("%s: no rollback helper: every slot is as "
			       "before",
			       path);
		}
	}
	bf_multi_end(&multi);
out:
	for (size_t i = 0; bufs && i < n; i++)
		cli_nft_bufs_free(&bufs[i]);
	free(bufs);
	free(opts);
	free(tokens);
	bf_nft_targets_free(&tgs, n);
	cli_nftkern_free(&kern);
	return r;
}
