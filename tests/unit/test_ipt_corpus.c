// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iptables project's own parser test vectors (the extensions .t files in the
 * shared corpus) run through our front end: every OK line of the modules
 * in scope must load and print back exactly as iptables-save prints it,
 * every FAIL line must be refused. Lines that use an option outside our
 * scope must be refused with a "not supported" error: they are counted
 * apart and never count as passing (none are left in the files below).
 *
 * Lines of a `*mangle` section run in the filter chains their chain list
 * names (INPUT, FORWARD, OUTPUT; PREROUTING and POSTROUTING are skipped):
 * matches and targets parse the same in both tables. Where a line has a
 * LEGACY / NFT variant, the nft backend's expectation is used (the
 * installed iptables is iptables-nft), except that `OK;LEGACY;=` keeps
 * the legacy output (xt_NFLOG's 63-character prefix).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bftest.h"
#include "bpfilter/front_ipt.h"
#include "bpfilter/helper.h"
#include "bpfilter/log.h"

static const char *const in_scope[] = {
	"iptables.t",
	"libipt_standard.t",
	"libip6t_standard.t",
	"libxt_standard.t",
	"libxt_tcp.t",
	"libxt_udp.t",
	"libipt_icmp.t",
	"libip6t_icmp6.t",
	"libxt_multiport.t",
	"libxt_iprange.t",
	"libipt_iprange.t",
	"libip6t_iprange.t",
	"libxt_comment.t",
	"libxt_state.t",
	"libxt_conntrack.t",
	"libipt_conntrack.t",
	"libip6t_conntrack.t",
	/* real-world ruleset modules and targets */
	"libxt_limit.t",
	"libxt_hashlimit.t",
	"libxt_recent.t",
	"libxt_addrtype.t",
	"libxt_mac.t",
	"libxt_mark.t",
	"libxt_connmark.t",
	"libxt_owner.t",
	"libxt_pkttype.t",
	"libxt_length.t",
	"libxt_set.t",
	"libxt_statistic.t",
	"libxt_tcpmss.t",
	"libxt_physdev.t",
	"libipt_REJECT.t",
	"libip6t_REJECT.t",
	"libipt_LOG.t",
	"libip6t_LOG.t",
	"libxt_NFLOG.t",
	"libxt_MARK.t",
	"libxt_CONNMARK.t",
	"libxt_TCPMSS.t",
};

struct logbuf {
	char text[8192];
	size_t len;
};

static void capture(enum bf_log_level level, const char *msg, void *data)
{
	struct logbuf *b = data;
	int n;

	if (level > BF_LOG_WARN || b->len >= sizeof(b->text) - 1)
		return;
	n = snprintf(b->text + b->len, sizeof(b->text) - b->len, "%s\n", msg);
	if (n > 0)
		b->len += (size_t)n;
	if (b->len >= sizeof(b->text))
		b->len = sizeof(b->text) - 1;
}

struct stats {
	int ok_pass, ok_fail, ok_refused, fail_pass, fail_accepted, skipped;
	int mangle; /* executions of *mangle lines run in the filter table */
};

/* The filter table's chains among a .t chain list. */
static bool is_filter_chain(const char *c)
{
	return !strcmp(c, "INPUT") || !strcmp(c, "FORWARD") ||
	       !strcmp(c, "OUTPUT");
}

static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Parse "-A CHAIN rule" for one family; on success *printed receives the
 * canonical form of the chain's rules, joined by '\n'. */
static int load_rule(const char *fname, int lineno, const char *chain,
		     const char *rule, enum bf_family fam, char **printed,
		     struct logbuf *log)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *where = NULL;
	struct bf_ruleset *rs = bf_ruleset_new();
	const struct bf_chain *c;
	size_t len = 0;
	FILE *out;
	int r;

	assert_non_null(rs);
	assert_true(asprintf(&text, "*filter\n-A %s %s\nCOMMIT\n", chain,
			     rule) > 0);
	assert_true(asprintf(&where, "%s:%d", fname, lineno) > 0);
	log->len = 0;
	log->text[0] = '\0';
	bf_log_set(capture, log);
	r = bf_ipt_parse_restore_str(rs, text, where, fam);
	bf_log_set(NULL, NULL);
	*printed = NULL;
	if (r == 0) {
		c = bf_ruleset_chain(rs, fam, chain);
		assert_non_null(c);
		out = open_memstream(printed, &len);
		assert_non_null(out);
		for (size_t i = 0; i < c->n_rules; i++) {
			if (i)
				fputc('\n', out);
			assert_int_equal(bf_ipt_print_rule(out, &c->rules[i]),
					 0);
		}
		fclose(out);
	}
	bf_ruleset_free(&rs);
	return r;
}

static void run_file(const char *dir, const char *name, struct stats *st)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char chains[256] = "INPUT,FORWARD,OUTPUT";
	bool fams[BF_FAMILY_COUNT] = { false };
	bool other_table = false, mangle = false;
	size_t cap = 0;
	int lineno = 0;
	struct logbuf *log = calloc(1, sizeof(*log));

	assert_non_null(log);
	if (strncmp(name, "libip6t_", 8) == 0)
		fams[BF_FAMILY_INET6] = true;
	else if (strncmp(name, "libxt_", 6) == 0)
		fams[BF_FAMILY_INET4] = fams[BF_FAMILY_INET6] = true;
	else
		fams[BF_FAMILY_INET4] = true;

	assert_true(asprintf(&path, "%s/iptables-t/%s", dir, name) > 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) >= 0) {
		char *l = trim(line), *field[5] = { 0 }, *save = NULL;
		const char *expect, *result;
		int nf = 0;

		lineno++;
		if (!*l || *l == '#')
			continue;
		if (*l == ':') {
			snprintf(chains, sizeof(chains), "%s", l + 1);
			continue;
		}
		if (*l == '*') {
			/* Matches and targets parse the same way in the
			 * mangle table: its lines run in the filter chains
			 * they name (PREROUTING / POSTROUTING are left out).
			 * Other tables are skipped. */
			mangle = strcmp(l + 1, "mangle") == 0;
			other_table = strcmp(l + 1, "filter") != 0 && !mangle;
			continue;
		}
		if (*l == '@' || *l == '%' || other_table) {
			st->skipped++;
			continue;
		}
		/* RULE;EXPECTED;RESULT[;VARIANT[;ALT]] (empty fields kept) */
		for (char *p = l; nf < 5; nf++) {
			field[nf] = p;
			p = strchr(p, ';');
			if (!p)
				break;
			*p++ = '\0';
		}
		nf++;
		assert_true(nf >= 3);
		result = field[2];
		if (nf >= 4 && strcmp(field[3], "LEGACY") == 0) {
			/* Only the legacy backend expects RESULT: the nft one
			 * expects ALT, or the inverse. */
			if (nf >= 5 && *field[4])
				result = field[4];
			else
				result = strcmp(result, "OK") == 0 ? "FAIL" :
								     "OK";
		}
		expect = strcmp(field[1], "=") == 0 ? field[0] : field[1];

		char chainbuf[256];

		snprintf(chainbuf, sizeof(chainbuf), "%s", chains);
		for (char *ch = strtok_r(chainbuf, ",", &save); ch;
		     ch = strtok_r(NULL, ",", &save)) {
			if (!is_filter_chain(ch)) {
				st->skipped++;
				continue;
			}
			for (int fam = 0; fam < BF_FAMILY_COUNT; fam++) {
				_cleanup_free_ char *printed = NULL;
				bool refused;
				int r;

				if (!fams[fam])
					continue;
				st->mangle += mangle;
				r = load_rule(name, lineno, ch, field[0], fam,
					      &printed, log);
				refused = r &&
					  strstr(log->text, "not supported");
				if (strcmp(result, "FAIL") == 0) {
					if (r) {
						st->fail_pass++;
					} else {
						st->fail_accepted++;
						print_message(
							"FAIL line accepted: %s:%d "
							"[%s %s] %s -> %s\n",
							name, lineno, ch,
							bf_family_name(fam),
							field[0], printed);
					}
					continue;
				}
				if (!r && (strcmp(result, "NOMATCH") == 0 ||
					   strcmp(printed, expect) == 0)) {
					st->ok_pass++;
				} else if (refused) {
					st->ok_refused++;
					print_message("out of scope: %s:%d [%s "
						      "%s] %s: %s",
						      name, lineno, ch,
						      bf_family_name(fam),
						      field[0], log->text);
				} else {
					st->ok_fail++;
					print_message(
						"OK line failed: %s:%d [%s %s] "
						"%s\n  expected: %s\n  got: "
						"%s\n  log: %s",
						name, lineno, ch,
						bf_family_name(fam), field[0],
						expect, r ? "(error)" : printed,
						log->text);
				}
			}
		}
	}
	free(log);
}

static void test_iptables_t(void **state)
{
	const char *dir = bft_corpus_dir();
	struct stats st = { 0 };
	_cleanup_free_ char *tdir = NULL;
	DIR *d;

	if (!dir) {
		print_message("SKIP: shared corpus not found\n");
		skip();
	}
	assert_true(asprintf(&tdir, "%s/iptables-t", dir) > 0);
	d = opendir(tdir);
	if (!d) {
		print_message("SKIP: %s: %s\n", tdir, strerror(errno));
		skip();
	}
	closedir(d);
	for (size_t i = 0; i < ARRAY_SIZE(in_scope); i++)
		run_file(dir, in_scope[i], &st);
	print_message("iptables .t corpus: %d OK executions passed, %d OK "
		      "executions failed, %d OK executions refused as out of "
		      "scope (not counted as passing), %d FAIL executions "
		      "rejected, %d FAIL executions wrongly accepted, %d "
		      "lines or chains skipped (setup commands / other "
		      "tables / chains the filter table lacks); %d "
		      "executions were *mangle lines run in filter chains\n",
		      st.ok_pass, st.ok_fail, st.ok_refused, st.fail_pass,
		      st.fail_accepted, st.skipped, st.mangle);
	assert_int_equal(st.ok_fail, 0);
	assert_int_equal(st.fail_accepted, 0);
	/* Guard against a silently empty run. */
	assert_true(st.ok_pass > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iptables_t),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
