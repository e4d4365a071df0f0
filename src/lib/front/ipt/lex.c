// SPDX-License-Identifier: GPL-2.0-only
/* Tokenizers and small value parsers of the iptables front end. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "front/ipt/ipt.h"

#define IPT_PARAM_MAX 1024 /* iptables' xt_param_buf */

void ipt_argv_free(struct ipt_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
	a->argv[0] = NULL;
}

static int argv_add(struct ipt_argv *a, const char *s, size_t len,
		    const char **err)
{
	char *p;

	if (a->argc >= IPT_MAX_ARGS) {
		*err = "too many arguments";
		return -E2BIG;
	}
	p = strndup(s, len);
	if (!p) {
		*err = "out of memory";
		return -ENOMEM;
	}
	a->argv[a->argc++] = p;
	a->argv[a->argc] = NULL;
	return 0;
}

/* Same token boundaries as add_param_to_argv() in iptables/xshared.c: a
 * closing quote ends the token (so `""` is an empty argument), and an
 * opening quote in the middle of a word continues it. */
int ipt_split_restore(const char *line, struct ipt_argv *a, const char **err)
{
	char buf[IPT_PARAM_MAX];
	bool quote_open = false, escaped = false, quoted = false;
	size_t len = 0;
	int r;

	a->argc = 0;
	a->argv[0] = NULL;
	for (const char *c = line; *c; c++) {
		if (quote_open) {
			if (escaped) {
				escaped = false;
			} else if (*c == '\\') {
				escaped = true;
				continue;
			} else if (*c == '"') {
				quote_open = false;
				goto end_token;
			}
			goto add_char;
		}
		if (*c == '"') {
			quote_open = true;
			quoted = true;
			continue;
		}
		if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') {
			if (!len && !quoted)
				continue;
			goto end_token;
		}
add_char:
		if (len + 1 >= sizeof(buf)) {
			*err = "parameter too long";
			return -E2BIG;
		}
		buf[len++] = *c;
		continue;
end_token:
		r = argv_add(a, buf, len, err);
		if (r)
			return r;
		len = 0;
		quoted = false;
	}
	if (quote_open) {
		*err = "unterminated quote";
		return -EINVAL;
	}
	if (len)
		return argv_add(a, buf, len, err);
	return 0;
}

int ipt_split_shell(const char *line, struct ipt_argv *a, const char **err)
{
	char buf[IPT_PARAM_MAX];
	size_t len = 0;
	bool in_word = false;
	int r;

	a->argc = 0;
	a->argv[0] = NULL;
	for (const char *c = line;; c++) {
		if (*c == '\0' || *c == ' ' || *c == '\t' || *c == '\n' ||
		    *c == '\r' || (*c == '#' && !in_word)) {
			if (in_word) {
				r = argv_add(a, buf, len, err);
				if (r)
					return r;
			}
			len = 0;
			in_word = false;
			if (*c == '\0' || *c == '#')
				return 0;
			continue;
		}
		in_word = true;
		if (*c == '\'') {
			const char *e = strchr(c + 1, '\'');

			if (!e) {
				*err = "unterminated quote";
				return -EINVAL;
			}
			if (len + (size_t)(e - c) >= sizeof(buf)) {
				*err = "parameter too long";
				return -E2BIG;
			}
			memcpy(buf + len, c + 1, (size_t)(e - c - 1));
			len += (size_t)(e - c - 1);
			c = e;
			continue;
		}
		if (*c == '"') {
			for (c++; *c != '"'; c++) {
				if (*c == '\0') {
					*err = "unterminated quote";
					return -EINVAL;
				}
				if (*c == '\\' && strchr("\"\\$`", c[1]))
					c++;
				if (len + 1 >= sizeof(buf)) {
					*err = "parameter too long";
					return -E2BIG;
				}
				buf[len++] = *c;
			}
			continue;
		}
		if (*c == '\\' && c[1])
			c++;
		if (len + 1 >= sizeof(buf)) {
			*err = "parameter too long";
			return -E2BIG;
		}
		buf[len++] = *c;
	}
}

bool ipt_strtoui(const char *s, unsigned long long min, unsigned long long max,
		 int base, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (end == s || *end != '\0' || errno == ERANGE)
		return false;
	/* strtoull() accepts "-1" and wraps it: xtables_strtoui() then
	 * fails its range check, and so do we. */
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool ipt_u32_range(const char *arg, uint32_t *lo, uint32_t *hi)
{
	const char *colon = strchr(arg, ':');
	unsigned long long v;
	char buf[32];

	if (!colon) {
		if (!ipt_strtoui(arg, 0, UINT32_MAX, 0, &v))
			return false;
		*lo = *hi = (uint32_t)v;
		return true;
	}
	if (strchr(colon + 1, ':') || (size_t)(colon - arg) >= sizeof(buf))
		return false;
	memcpy(buf, arg, (size_t)(colon - arg));
	buf[colon - arg] = '\0';
	*lo = 0;
	*hi = UINT32_MAX;
	if (buf[0]) {
		if (!ipt_strtoui(buf, 0, UINT32_MAX, 0, &v))
			return false;
		*lo = (uint32_t)v;
	}
	if (colon[1]) {
		if (!ipt_strtoui(colon + 1, 0, UINT32_MAX, 0, &v))
			return false;
		*hi = (uint32_t)v;
	}
	return true;
}

int ipt_parse_port(const char *s, const char *proto)
{
	unsigned long long v;
	struct servent *se;

	/* xtables_parse_port() asks for a service name first, then takes a
	 * number. Service names are never plain decimal numbers, so a
	 * decimal string goes straight to the number: this skips one scan
	 * of /etc/services per port in large rulesets. proto NULL accepts a
	 * service of any protocol. */
	if (*s >= '1' && *s <= '9' && strspn(s, "0123456789") == strlen(s))
		return ipt_strtoui(s, 0, UINT16_MAX, 10, &v) ? (int)v : -1;
	se = getservbyname(s, proto);
	if (se)
		return ntohs((uint16_t)se->s_port);
	if (ipt_strtoui(s, 0, UINT16_MAX, 0, &v))
		return (int)v;
	return -1;
}

/* xtables_chain_protos[], in the order proto_to_name() searches it. */
static const struct {
	const char *name;
	uint8_t num;
} chain_protos[] = {
	{ "tcp", 6 },	    { "sctp", 132 }, { "udp", 17 },
	{ "udplite", 136 }, { "icmp", 1 },   { "ipv6-icmp", 58 },
	{ "icmpv6", 58 },   { "esp", 50 },   { "ah", 51 },
	{ "mh", 135 },	    { "all", 0 },
};

int ipt_parse_proto(const char *s)
{
	unsigned long long v;
	struct protoent *pe;

	if (ipt_strtoui(s, 0, UINT8_MAX, 0, &v))
		return (int)v;
	/* "all" before the protocol database, as xtables_parse_protocol(). */
	if (strcmp(s, "all") == 0)
		return 0;
	/* iptables asks /etc/protocols before its own table; the names of
	 * the table have the same numbers there (IANA), so looking at the
	 * table first gives the same answer without a file scan per rule. */
	for (size_t i = 0; i < ARRAY_SIZE(chain_protos); i++) {
		if (strcmp(s, chain_protos[i].name) == 0)
			return chain_protos[i].num;
	}
	pe = getprotobyname(s);
	if (pe && pe->p_proto >= 0 && pe->p_proto <= UINT8_MAX)
		return pe->p_proto;
	return -1;
}

const char *ipt_proto_name(uint8_t proto)
{
	struct protoent *pe;

	/* 135: iptables-legacy 1.8.9 prints the /etc/protocols name
	 * (mobility-header), seen with -p mh, not "mh" */
	for (size_t i = 0; i < ARRAY_SIZE(chain_protos) && proto != 135; i++) {
		if (chain_protos[i].num == proto)
			return chain_protos[i].name;
	}
	/* iptables 1.8.9 -S/-save prints /etc/protocols names (-p gre). */
	pe = getprotobynumber(proto);
	return pe ? pe->p_name : NULL;
}

/* __numeric_to_ipaddr(): up to four dot-separated numbers (C bases), a
 * short form is completed with zero bytes ("10" is 10.0.0.0). */
bool ipt_parse_ip4(const char *s, uint8_t out[4])
{
	char buf[20];
	char *p = buf;
	unsigned long long v;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	memset(out, 0, 4);
	for (int i = 0; i < 4; i++) {
		char *dot = i < 3 ? strchr(p, '.') : NULL;

		if (dot)
			*dot = '\0';
		if (!ipt_strtoui(p, 0, 255, 0, &v))
			return false;
		out[i] = (uint8_t)v;
		if (!dot)
			return true;
		p = dot + 1;
	}
	return true;
}

bool ipt_parse_ip6(const char *s, uint8_t out[16])
{
	return inet_pton(AF_INET6, s, out) == 1;
}
