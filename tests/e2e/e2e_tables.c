// SPDX-License-Identifier: GPL-2.0-only
/*
 * `apply --other-tables=kernel`: a Docker ruleset with raw and nat tables
 * besides filter. bpfilter takes the filter table, the kernel's
 * iptables-restore the others; without the option the other tables are an
 * error naming them; a nat section the kernel refuses fails the whole
 * apply and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bftest.h"

#define RULESET "rulesets/docker_iptables_usernet-portmap-lo.iptables-save"

struct ctx {
	char ns[16];
	char path[512]; /* the corpus ruleset */
	char tmp[64]; /* a temporary file ("" if none) */
	char *text; /* its contents */
};

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &size);
	if (!m) {
		fclose(f);
		return NULL;
	}
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const char *dir = bft_corpus_dir(), *reason;

	if (!c)
		return -1;
	*state = c;
	if (!dir)
		return 0; /* the test skips */
	snprintf(c->path, sizeof(c->path), "%s/" RULESET, dir);
	c->text = read_all(c->path);
	if (!bft_kernel_available(&reason))
		return 0;
	bft_unique_name(c->ns, sizeof(c->ns), "tbl");
	return bft_sh("ip netns add %s", c->ns) ? -1 : 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c->ns[0])
		bft_sh("ip netns exec %s %s flush >/dev/null 2>&1; "
		       "ip netns del %s 2>/dev/null",
		       c->ns, bft_bpfilter_bin(), c->ns);
	if (c->tmp[0])
		unlink(c->tmp);
	free(c->text);
	free(c);
	return 0;
}

static void need(struct ctx *c)
{
	BFT_REQUIRE_KERNEL();
	if (!c->text)
		fail_msg("corpus ruleset %s not readable", c->path);
	assert_true(c->ns[0]);
}

/* The "-A" lines of one table's section of text (malloc'd, one a line). */
static char *section_rules(const char *text, const char *table)
{
	char *buf = NULL, *copy = strdup(text), *save = NULL;
	size_t size = 0;
	bool in = false;
	FILE *m = open_memstream(&buf, &size);

	assert_non_null(copy);
	assert_non_null(m);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (*l == '*')
			in = strcmp(l + 1, table) == 0;
		else if (in && !strncmp(l, "-A ", 3))
			fprintf(m, "%s\n", l);
	}
	fclose(m);
	free(copy);
	return buf;
}

/* Every line of `lines` is a whole line of `out`. */
static void assert_all_lines_in(const char *lines, const char *out)
{
	char *copy = strdup(lines), *save = NULL;
	size_t n = 0;

	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		const char *p = out;
		size_t len = strlen(l);
		bool found = false;

		while ((p = strstr(p, l))) {
			if ((p == out || p[-1] == '\n') &&
			    (p[len] == '\n' || !p[len])) {
				found = true;
				break;
			}
			p += len;
		}
		if (!found)
			fail_msg("missing line: %s\nin:\n%s", l, out);
		n++;
	}
	assert_true(n > 0);
	free(copy);
}

/* 1-based line of the first line of text equal to `line`; 0 if none. */
static int line_of(const char *text, const char *line)
{
	size_t len = strlen(line);
	int n = 1;

	for (const char *p = text; *p; n++) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == len && !strncmp(p, line, len))
			return n;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* `iptables-save -t TABLE` in the namespace, without its comment lines
 * (they hold the time). */
static char *kernel_table(struct ctx *c, const char *table)
{
	char *out = NULL;

	assert_int_equal(bft_sh_out(&out,
				    "ip netns exec %s iptables-save -t %s | "
				    "grep -v '^#'",
				    c->ns, table),
			 0);
	return out;
}

static char *bpfilter_save(struct ctx *c)
{
	char *out = NULL;

	assert_int_equal(bft_sh_out(&out, "ip netns exec %s %s save", c->ns,
				    bft_bpfilter_bin()),
			 0);
	return out;
}

static void test_other_tables_kernel(void **state)
{
	struct ctx *c = *state;
	char *filter, *nat, *raw, *out;

	need(c);
	assert_int_equal(bft_sh("ip netns exec %s %s apply "
				"--other-tables=kernel %s",
				c->ns, bft_bpfilter_bin(), c->path),
			 0);
	filter = section_rules(c->text, "filter");
	nat = section_rules(c->text, "nat");
	raw = section_rules(c->text, "raw");

	out = bpfilter_save(c);
	assert_all_lines_in(filter, out);
	free(out);
	out = kernel_table(c, "nat");
	assert_all_lines_in(nat, out);
	free(out);
	out = kernel_table(c, "raw");
	assert_all_lines_in(raw, out);
	free(out);
	/* The filter table is bpfilter's, not the kernel's. */
	out = kernel_table(c, "filter");
	assert_null(strstr(out, "DOCKER"));
	free(out);

	free(filter);
	free(nat);
	free(raw);
}

static void test_refused_without_option(void **state)
{
	struct ctx *c = *state;
	char *out = NULL, want[700];
	int line;

	need(c);
	assert_int_not_equal(bft_sh_out(&out,
					"ip netns exec %s %s apply %s "
					"2>&1",
					c->ns, bft_bpfilter_bin(), c->path),
			     0);
	line = line_of(c->text, "*nat");
	assert_true(line > 0);
	snprintf(want, sizeof(want), "%s:%d: table 'nat'", c->path, line);
	if (!strstr(out, want))
		fail_msg("expected \"%s\" in:\n%s", want, out);
	free(out);

	/* Nothing was put in force, by bpfilter or in the kernel. */
	out = bpfilter_save(c);
	assert_null(strstr(out, "DOCKER"));
	free(out);
	out = kernel_table(c, "nat");
	assert_null(strstr(out, "DOCKER"));
	free(out);
}

static void test_kernel_refuses_nat(void **state)
{
	struct ctx *c = *state;
	char *before_bf, *before_nat, *after, *broken, *p, *out = NULL;
	FILE *f;
	int fd;

	need(c);
	assert_int_equal(bft_sh("ip netns exec %s %s apply "
				"--other-tables=kernel %s",
				c->ns, bft_bpfilter_bin(), c->path),
			 0);
	before_bf = bpfilter_save(c);
	before_nat = kernel_table(c, "nat");

	/* A changed filter table (the first rule of FORWARD dropped) and a
	 * nat section whose MASQUERADE rules jump to a missing chain. */
	broken = strdup(c->text);
	assert_non_null(broken);
	p = strstr(broken, "-A FORWARD -j ");
	assert_non_null(p);
	memcpy(p, "#", 1);
	p = strstr(broken, "-j MASQUERADE");
	assert_non_null(p);
	memcpy(p, "-j MASQUERAD_", 13);
	strcpy(c->tmp, "/tmp/bf-tables-XXXXXX");
	fd = mkstemp(c->tmp);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(broken, f);
	assert_int_equal(fclose(f), 0);

	assert_int_not_equal(bft_sh_out(&out,
					"ip netns exec %s %s apply "
					"--other-tables=kernel %s 2>&1",
					c->ns, bft_bpfilter_bin(), c->tmp),
			     0);
	if (!strstr(out, c->tmp) || !strstr(out, "refused"))
		fail_msg("expected the kernel's refusal of %s in:\n%s", c->tmp,
			 out);
	free(out);

	after = bpfilter_save(c);
	assert_string_equal(after, before_bf);
	free(after);
	after = kernel_table(c, "nat");
	assert_string_equal(after, before_nat);
	free(after);

	free(broken);
	free(before_bf);
	free(before_nat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_other_tables_kernel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_without_option,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_refuses_nat, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
