// SPDX-License-Identifier: GPL-2.0-only
/*
 * The AST printed in nft's listing form (`nft list ruleset`): what nft -f
 * reads back, and what the corpus test compares with the nftables tests'
 * expected listings.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bpfilter/helper.h"
#include "front/nft/nft.h"

static const char *const binop_str[] = {
	[BF_NFT_BINOP_AND] = "&",     [BF_NFT_BINOP_OR] = "|",
	[BF_NFT_BINOP_XOR] = "^",     [BF_NFT_BINOP_LSHIFT] = "<<",
	[BF_NFT_BINOP_RSHIFT] = ">>",
};

static const char *const verdict_str[] = {
	[BF_NFT_V_ACCEPT] = "accept",	  [BF_NFT_V_DROP] = "drop",
	[BF_NFT_V_CONTINUE] = "continue", [BF_NFT_V_RETURN] = "return",
	[BF_NFT_V_JUMP] = "jump",	  [BF_NFT_V_GOTO] = "goto",
};

/* Bit flags: "syn,ack" (sep ",") or "syn | ack" (sep " | "). */
static void print_flags(FILE *out, const struct bf_nft_expr *e, const char *sep)
{
	const struct nft_dtype_desc *d = nft_dtype(e->dtype);
	uint64_t left = e->num;
	bool first = true;

	if (!e->num) {
		fputs("0x0", out);
		return;
	}
	if (e->len_bits && e->len_bits <= 8 &&
	    e->num == (1u << e->len_bits) - 1 && !strcmp(sep, " | ")) {
		/* every flag of the field, as nft lists it */
		fprintf(out, "0x%02" PRIx64, e->num);
		return;
	}
	for (const struct nft_sym *s = d->syms; s && s->name; s++) {
		if (s->value && (left & s->value) == s->value) {
			fprintf(out, "%s%s", first ? "" : sep, s->name);
			left &= ~s->value;
			first = false;
		}
	}
	if (left)
		fprintf(out, "%s0x%" PRIx64, first ? "" : sep, left);
}

static void print_value(FILE *out, const struct bf_nft_expr *e, bool in_op)
{
	if (nft_dtype(e->dtype)->bitmask)
		print_flags(out, e, in_op ? " | " : ",");
	else
		nft_value_print(out, e);
}

static void print_expr(FILE *out, const struct bf_nft_expr *e, bool in_op);

static void print_set(FILE *out, const struct bf_nft_expr *e)
{
	fputs("{ ", out);
	for (size_t i = 0; i < e->n_sub; i++) {
		if (i)
			fputs(", ", out);
		print_expr(out, e->sub[i], true);
	}
	fputs(" }", out);
}

static void print_expr(FILE *out, const struct bf_nft_expr *e, bool in_op)
{
	switch (e->kind) {
	case BF_NFT_E_RAW:
		if (e->quoted)
			fprintf(out, "\"%s\"", e->text);
		else
			fputs(e->text, out);
		return;
	case BF_NFT_E_VALUE:
		print_value(out, e, in_op);
		return;
	case BF_NFT_E_RANGE:
		print_expr(out, e->sub[0], in_op);
		fputc('-', out);
		print_expr(out, e->sub[1], in_op);
		return;
	case BF_NFT_E_PREFIX:
		print_expr(out, e->sub[0], in_op);
		if (e->n_sub > 1) {
			fputs(" / ", out);
			print_expr(out, e->sub[1], in_op);
		} else {
			fprintf(out, "/%u", e->plen);
		}
		return;
	case BF_NFT_E_SET:
		print_set(out, e);
		return;
	case BF_NFT_E_SETREF:
		fprintf(out, "@%s", e->text);
		return;
	case BF_NFT_E_CONCAT:
		for (size_t i = 0; i < e->n_sub; i++) {
			if (i)
				fputs(" . ", out);
			print_expr(out, e->sub[i], in_op);
		}
		return;
	case BF_NFT_E_MAPPING:
		print_expr(out, e->sub[0], in_op);
		fputs(" : ", out);
		print_expr(out, e->sub[1], in_op);
		return;
	case BF_NFT_E_BINOP: {
		const struct bf_nft_expr *r = e->sub[1];
		print_expr(out, e->sub[0], true);
		fprintf(out, " %s ", binop_str[e->op]);
		/* "& (fin | syn)" needs parentheses around a flag OR */
		bool paren = r->kind == BF_NFT_E_VALUE &&
			     nft_dtype(r->dtype)->bitmask &&
			     (r->num & (r->num - 1));
		if (paren)
			fputc('(', out);
		print_expr(out, r, true);
		if (paren)
			fputc(')', out);
		return;
	}
	case BF_NFT_E_LIST:
		for (size_t i = 0; i < e->n_sub; i++) {
			if (i)
				fputs(e->op == '|' ? " | " : ",", out);
			print_expr(out, e->sub[i], in_op);
		}
		return;
	case BF_NFT_E_FIELD:
		if (!strcmp(e->field->proto, "meta") &&
		    nft_meta_printed_unqualified(e->field->id))
			fputs(e->field->name, out);
		else
			fprintf(out, "%s %s", e->field->proto, e->field->name);
		return;
	case BF_NFT_E_VERDICT:
		fputs(verdict_str[e->op], out);
		if (e->text)
			fprintf(out, " %s", e->text);
		return;
	case BF_NFT_E_WILDCARD:
		fputc('*', out);
		return;
	default:
		fputs("?", out);
		return;
	}
}

void nft_expr_print(FILE *out, const struct bf_nft_expr *e)
{
	print_expr(out, e, false);
}

static const char *const relop_str[] = {
	[BF_NFT_OP_IMPLICIT] = "", [BF_NFT_OP_EQ] = "==",
	[BF_NFT_OP_NE] = "!=",	   [BF_NFT_OP_LT] = "<",
	[BF_NFT_OP_GT] = ">",	   [BF_NFT_OP_LE] = "<=",
	[BF_NFT_OP_GE] = ">=",	   [BF_NFT_OP_NEG] = "!",
	[BF_NFT_OP_VMAP] = "vmap",
};

static void print_bytes_unit(FILE *out, uint64_t v)
{
	if (v && v % (1024 * 1024) == 0)
		fprintf(out, "%" PRIu64 " mbytes", v / (1024 * 1024));
	else if (v && v % 1024 == 0)
		fprintf(out, "%" PRIu64 " kbytes", v / 1024);
	else
		fprintf(out, "%" PRIu64 " bytes", v);
}

static const char *time_unit(uint64_t secs)
{
	switch (secs) {
	case 1:
		return "second";
	case 60:
		return "minute";
	case 3600:
		return "hour";
	case 86400:
		return "day";
	default:
		return "week";
	}
}

static int print_rule(FILE *out, const struct bf_nft_rule *r, bool stateful,
		      const struct bf_nft_table *tb, int depth);

static void print_tabs(FILE *out, int n)
{
	for (int i = 0; i < n; i++)
		fputc('\t', out);
}

/* Print the anonymous chain c inline, as `nft list ruleset` does: its rules
 * one tab deeper than depth (the rule's indentation), `}` at depth. */
static void print_anon(FILE *out, const struct bf_nft_chain *c,
		       const struct bf_nft_table *tb, int depth)
{
	fputs(" {\n", out);
	for (size_t j = 0; j < c->n_rules; j++) {
		print_tabs(out, depth + 1);
		print_rule(out, &c->rules[j], true, tb, depth + 1);
		fputc('\n', out);
	}
	print_tabs(out, depth);
	fputc('}', out);
}

static void print_stmt(FILE *out, const struct bf_nft_stmt *s, bool stateful,
		       const struct bf_nft_table *tb, int depth)
{
	switch (s->kind) {
	case BF_NFT_S_MATCH: {
		const struct bf_nft_expr *rhs = s->u.match.rhs;
		bool in_op = s->u.match.lhs->kind == BF_NFT_E_BINOP ||
			     s->u.match.op == BF_NFT_OP_EQ ||
			     s->u.match.op == BF_NFT_OP_NE;
		if (s->u.match.merged_neq) {
			const struct bf_nft_expr *l = s->u.match.lhs;
			const struct bf_nft_expr *v = rhs->sub[0];

			for (size_t k = 0; k < l->n_sub; k++) {
				fputs(k ? " " : "", out);
				print_expr(out, l->sub[k], true);
				fputs(" != ", out);
				print_expr(out, v->sub[k], true);
			}
			return;
		}
		print_expr(out, s->u.match.lhs, true);
		if (s->u.match.op != BF_NFT_OP_IMPLICIT)
			fprintf(out, " %s", relop_str[s->u.match.op]);
		fputc(' ', out);
		print_expr(out, rhs, in_op && rhs->kind == BF_NFT_E_VALUE);
		return;
	}
	case BF_NFT_S_COUNTER:
		fputs("counter", out);
		if (stateful)
			fprintf(out, " packets %" PRIu64 " bytes %" PRIu64,
				s->u.counter.packets, s->u.counter.bytes);
		return;
	case BF_NFT_S_LIMIT:
		fputs("limit rate ", out);
		if (s->u.limit.over)
			fputs("over ", out);
		if (s->u.limit.bytes)
			print_bytes_unit(out, s->u.limit.rate);
		else
			fprintf(out, "%" PRIu64, s->u.limit.rate);
		fprintf(out, "/%s", time_unit(s->u.limit.unit));
		if (!s->u.limit.bytes) {
			fprintf(out, " burst %" PRIu64 " packets",
				s->u.limit.burst ? s->u.limit.burst : 5);
		} else if (s->u.limit.burst) {
			fputs(" burst ", out);
			print_bytes_unit(out, s->u.limit.burst);
		}
		return;
	case BF_NFT_S_LOG:
		fputs("log", out);
		if (s->u.log.prefix)
			fprintf(out, " prefix \"%s\"", s->u.log.prefix);
		if (s->u.log.level >= 0 && s->u.log.level != 4)
			fprintf(out, " level %s",
				nft_sym_name(nft_log_level_syms,
					     (uint64_t)s->u.log.level));
		if (s->u.log.group >= 0)
			fprintf(out, " group %d", s->u.log.group);
		if (s->u.log.snaplen)
			fprintf(out, " snaplen %u", s->u.log.snaplen);
		if (s->u.log.qthreshold)
			fprintf(out, " queue-threshold %u",
				s->u.log.qthreshold);
		if (s->u.log.flags == BF_NFT_LOG_ALL) {
			fputs(" flags all", out);
		} else if (s->u.log.flags) {
			uint32_t f = s->u.log.flags;
			if (f & (BF_NFT_LOG_TCPSEQ | BF_NFT_LOG_TCPOPT)) {
				fputs(" flags tcp", out);
				if (f & BF_NFT_LOG_TCPSEQ)
					fputs(" sequence", out);
				if ((f & BF_NFT_LOG_TCPSEQ) &&
				    (f & BF_NFT_LOG_TCPOPT))
					fputc(',', out);
				if (f & BF_NFT_LOG_TCPOPT)
					fputs(f & BF_NFT_LOG_TCPSEQ ?
						      "options" :
						      " options",
					      out);
			}
			if (f & BF_NFT_LOG_IPOPT)
				fputs(" flags ip options", out);
			if (f & BF_NFT_LOG_UID)
				fputs(" flags skuid", out);
			if (f & BF_NFT_LOG_MACDECODE)
				fputs(" flags ether", out);
		}
		return;
	case BF_NFT_S_REJECT:
		fputs("reject", out);
		switch (s->u.reject.type) {
		case BF_NFT_REJECT_DEFAULT:
			break;
		case BF_NFT_REJECT_TCP_RESET:
			fputs(" with tcp reset", out);
			break;
		case BF_NFT_REJECT_ICMP:
			fprintf(out, " with icmp %s",
				nft_sym_name(nft_icmp_code_syms, s->u.reject.code) ?:
					"?");
			break;
		case BF_NFT_REJECT_ICMP6:
			fprintf(out, " with icmpv6 %s",
				nft_sym_name(nft_icmp6_code_syms, s->u.reject.code) ?:
					"?");
			break;
		case BF_NFT_REJECT_ICMPX:
			fprintf(out, " with icmpx %s",
				nft_sym_name(nft_icmpx_code_syms, s->u.reject.code) ?:
					"?");
			break;
		}
		return;
	case BF_NFT_S_VERDICT:
		fputs(verdict_str[s->u.verdict.verdict], out);
		if (s->u.verdict.chain) {
			const struct bf_nft_chain *c =
				tb ? bf_nft_chain_find(tb, s->u.verdict.chain) :
				     NULL;
			if (c && c->anon)
				print_anon(out, c, tb, depth);
			else
				fprintf(out, " %s", s->u.verdict.chain);
		}
		return;
	case BF_NFT_S_SET:
		print_expr(out, s->u.set.lhs, true);
		fputs(" set ", out);
		print_expr(out, s->u.set.value, true);
		return;
	case BF_NFT_S_BPF:
		nft_bpf_print(out, s->u.bpf.ref, s->u.bpf.neg,
			      s->u.bpf.verdict);
		return;
	case BF_NFT_S_KERNEL: /* the rule as written (kernpart.c) */
		fputs(s->u.kernel.text, out);
		return;
	default:
		return;
	}
}

void nft_stmt_print(FILE *out, const struct bf_nft_stmt *s)
{
	print_stmt(out, s, false, NULL, 0);
}

static int print_rule(FILE *out, const struct bf_nft_rule *r, bool stateful,
		      const struct bf_nft_table *tb, int depth)
{
	for (size_t i = 0; i < r->n_stmts; i++) {
		if (i)
			fputc(' ', out);
		print_stmt(out, &r->stmts[i], stateful, tb, depth);
	}
	if (r->comment)
		fprintf(out, "%scomment \"%s\"", r->n_stmts ? " " : "",
			r->comment);
	return ferror(out) ? -EIO : 0;
}

int bf_nft_print_rule(FILE *out, const struct bf_nft_rule *rule)
{
	return print_rule(out, rule, false, NULL, 0);
}

static void print_prio(FILE *out, enum bf_nft_family fam, int prio)
{
	if (fam != BF_NFT_FAMILY_NETDEV && fam != BF_NFT_FAMILY_ARP &&
	    fam != BF_NFT_FAMILY_BRIDGE) {
		for (size_t i = 0; i < nft_n_prios; i++) {
			int d = prio - nft_prios[i].value;
			if (d == 0) {
				fputs(nft_prios[i].name, out);
				return;
			}
			if (d > 0 && d <= 10) {
				fprintf(out, "%s + %d", nft_prios[i].name, d);
				return;
			}
			if (d < 0 && d >= -10) {
				fprintf(out, "%s - %d", nft_prios[i].name, -d);
				return;
			}
		}
	} else if (prio == 0) {
		fputs("filter", out);
		return;
	}
	fprintf(out, "%d", prio);
}

static void print_typename(FILE *out, enum bf_nft_dtype dt)
{
	fputs(nft_dtype(dt)->name, out);
}

static void print_set_decl(FILE *out, const struct bf_nft_set *s)
{
	fprintf(out, "\t%s %s {\n", s->is_map ? "map" : "set", s->name);
	if (s->key_typeof) {
		fputs("\t\ttypeof ", out);
		print_expr(out, s->key_typeof, true);
	} else {
		fputs("\t\ttype ", out);
		for (size_t i = 0; i < s->n_key; i++) {
			if (i)
				fputs(" . ", out);
			print_typename(out, s->key[i]);
		}
	}
	if (s->is_map) {
		fputs(" : ", out);
		print_typename(out, s->data);
	}
	fputc('\n', out);
	if (s->size)
		fprintf(out, "\t\tsize %u\n", s->size);
	if (s->flags) {
		const char *sep = "";
		fputs("\t\tflags ", out);
		if (s->flags & BF_NFT_SET_CONSTANT) {
			fprintf(out, "%sconstant", sep);
			sep = ",";
		}
		if (s->flags & BF_NFT_SET_DYNAMIC) {
			fprintf(out, "%sdynamic", sep);
			sep = ",";
		}
		if (s->flags & BF_NFT_SET_INTERVAL) {
			fprintf(out, "%sinterval", sep);
			sep = ",";
		}
		if (s->flags & BF_NFT_SET_TIMEOUT)
			fprintf(out, "%stimeout", sep);
		fputc('\n', out);
	}
	if (s->auto_merge)
		fputs("\t\tauto-merge\n", out);
	if (s->comment)
		fprintf(out, "\t\tcomment \"%s\"\n", s->comment);
	if (s->elems && s->elems->n_sub) {
		fputs("\t\telements = ", out);
		print_set(out, s->elems);
		fputc('\n', out);
	}
	fputs("\t}\n", out);
}

int bf_nft_print(FILE *out, const struct bf_nft *nft)
{
	for (size_t t = 0; t < nft->n_tables; t++) {
		const struct bf_nft_table *tb = &nft->tables[t];
		bool first = true;

		fprintf(out, "table %s %s {\n", bf_nft_family_name(tb->family),
			tb->name);
		if (tb->comment) {
			fprintf(out, "\tcomment \"%s\"\n", tb->comment);
		}
		for (size_t i = 0; i < tb->n_sets; i++) {
			if (!first)
				fputc('\n', out);
			first = false;
			print_set_decl(out, &tb->sets[i]);
		}
		for (size_t i = 0; i < tb->n_chains; i++) {
			const struct bf_nft_chain *c = &tb->chains[i];
			if (c->anon)
				continue; /* printed at its verdict */
			if (!first)
				fputc('\n', out);
			first = false;
			fprintf(out, "\tchain %s {\n", c->name);
			if (c->comment)
				fprintf(out, "\t\tcomment \"%s\"\n",
					c->comment);
			if (c->hook != BF_NFT_HOOK_NONE) {
				fprintf(out, "\t\ttype %s hook %s",
					c->type ? c->type : "filter",
					bf_nft_hook_name(c->hook));
				if (c->n_devices > 1) {
					fputs(" devices = { ", out);
					for (size_t d = 0; d < c->n_devices;
					     d++)
						fprintf(out, "%s%s",
							d ? ", " : "",
							c->devices[d]);
					fputs(" }", out);
				} else if (c->device)
					fprintf(out, " device \"%s\"",
						c->device);
				fputs(" priority ", out);
				print_prio(out, tb->family, c->priority);
				fprintf(out, "; policy %s;\n",
					verdict_str[c->policy]);
			}
			for (size_t j = 0; j < c->n_rules; j++) {
				fputs("\t\t", out);
				print_rule(out, &c->rules[j], true, tb, 2);
				fputc('\n', out);
			}
			fputs("\t}\n", out);
		}
		fputs("}\n", out);
	}
	return ferror(out) ? -EIO : 0;
}
