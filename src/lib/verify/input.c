// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inputs of the verify engine: the filter table of an iptables-save file
 * (line numbers kept), and the filter table ufw builds from its
 * before/user/after.rules files.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "bpfilter/log.h"
#include "bpfilter/verify.h"

char *bf_verify_read_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (ferror(f) || fclose(m)) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	return buf;
}

char *bf_verify_filter_text(const char *text)
{
	const char *p = text;
	char *out = NULL;
	size_t len = 0;
	bool in = false, found = false;
	FILE *o = open_memstream(&out, &len);

	if (!o)
		return NULL;
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		size_t l = (size_t)(eol - p);

		if (!in && !found && l >= 7 && !strncmp(p, "*filter", 7) &&
		    (l == 7 || p[7] == ' ' || p[7] == '\r' || p[7] == '\t'))
			in = found = true;
		if (in)
			fprintf(o, "%.*s\n", (int)l, p);
		else
			fputc('\n', o);
		if (in && l >= 6 && !strncmp(p, "COMMIT", 6))
			in = false;
		p = *eol ? eol + 1 : eol;
	}
	if (fclose(o) || !found) {
		free(out);
		errno = found ? ENOMEM : ENOENT;
		return NULL;
	}
	return out;
}

/* Lines of a ufw file's filter section without *filter and COMMIT. */
static bool ufw_body(FILE *chains, FILE *rules, const char *path)
{
	_cleanup_free_ char *t = bf_verify_read_file(path);
	_cleanup_free_ char *f = t ? bf_verify_filter_text(t) : NULL;
	char *save = NULL, *l;

	if (!f)
		return false;
	for (l = strtok_r(f, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == ':')
			fprintf(chains, "%s\n", l);
		else if (l[0] == '-')
			fprintf(rules, "%s\n", l);
	}
	return true;
}

/* DIR/before6.rules (as in /etc/ufw) or DIR/ufw_conf_before6.rules. */
static bool ufw_path(char *buf, size_t size, const char *dir, const char *part,
		     const char *sfx)
{
	static const char *const forms[] = { "%s/%s%s.rules",
					     "%s/ufw_conf_%s%s.rules" };

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		FILE *f;

		if (snprintf(buf, size, forms[i], dir, part, sfx) >= (int)size)
			continue;
		f = fopen(buf, "re");
		if (f) {
			fclose(f);
			return true;
		}
	}
	return false;
}

bool bf_verify_is_ufw_dir(const char *dir, enum bf_family family)
{
	char path[PATH_MAX];

	return ufw_path(path, sizeof(path), dir, "before",
			family == BF_FAMILY_INET6 ? "6" : "");
}

/*
 * ufw loads before.rules, user.rules and after.rules (each an
 * iptables-restore -n input) after creating its own chains and the jumps
 * from the built-in chains. Recreate that as one filter table: all chain
 * declarations, the jumps ufw adds (INPUT -> ufw-before-input,
 * ufw-user-input, ufw-after-input, and the same for OUTPUT/FORWARD), then
 * the rules in load order. Chains referenced but defined by ufw's code
 * rather than these files (ufw-logging-deny, ufw-skip-to-policy-input...)
 * are declared empty (logged at info level).
 */
char *bf_verify_ufw_text(const char *dir, enum bf_family family)
{
	const char *sfx = family == BF_FAMILY_INET6 ? "6" : "";
	const char *pre = family == BF_FAMILY_INET6 ? "ufw6" : "ufw";
	static const char *const parts[] = { "before", "user", "after" };
	static const char *const hooks[] = { "input", "output", "forward" };
	static const char *const builtin[] = { "INPUT", "OUTPUT", "FORWARD" };
	_cleanup_free_ char *cb = NULL, *rb = NULL, *copy = NULL;
	char *out = NULL, path[PATH_MAX], *save = NULL, *l;
	size_t cl = 0, rl = 0, ol = 0;
	FILE *c, *r, *o;
	int i, j, n = 0;

	c = open_memstream(&cb, &cl);
	r = open_memstream(&rb, &rl);
	if (!c || !r) {
		if (c)
			fclose(c);
		if (r)
			fclose(r);
		return NULL;
	}
	for (i = 0; i < 3; i++)
		if (ufw_path(path, sizeof(path), dir, parts[i], sfx))
			n += ufw_body(c, r, path);
	fclose(c);
	fclose(r);
	if (!n) {
		errno = ENOENT;
		return NULL;
	}
	copy = strdup(rb);
	o = open_memstream(&out, &ol);
	if (!copy || !o) {
		if (o)
			fclose(o);
		free(out);
		return NULL;
	}
	fprintf(o,
		"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		":OUTPUT ACCEPT [0:0]\n%s",
		cb);
	/* declare every ufw chain a rule jumps to that no file declares */
	for (l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *jt = strstr(l, " -j ");
		char name[64], decl[80];

		if (!jt || sscanf(jt + 4, "%63s", name) != 1 ||
		    strncmp(name, "ufw", 3) != 0)
			continue;
		snprintf(decl, sizeof(decl), ":%s ", name);
		fflush(o);
		if (strstr(cb, decl) || (out && strstr(out, decl)))
			continue;
		fprintf(o, ":%s - [0:0]\n", name);
		bf_log(BF_LOG_INFO,
		       "ufw%s: chain %s is created by ufw itself, declared "
		       "empty here",
		       sfx, name);
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			char decl[80];

			snprintf(decl, sizeof(decl), ":%s-%s-%s ", pre,
				 parts[j], hooks[i]);
			if (strstr(cb, decl))
				fprintf(o, "-A %s -j %s-%s-%s\n", builtin[i],
					pre, parts[j], hooks[i]);
		}
	fprintf(o, "%sCOMMIT\n", rb);
	if (fclose(o)) {
		free(out);
		return NULL;
	}
	return out;
}
