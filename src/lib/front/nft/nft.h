/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the nftables front end, shared by its files:
 *   lex.c    tokens, `define` and `include`
 *   parse.c  tokens -> AST (raw right-hand sides)
 *   eval.c   typing of constants, sets, checks (the nft "evaluate" step)
 *   types.c  data types and the field table (one place for the domain)
 *   ast.c    allocation and freeing
 *   print.c  canonical listing
 *   lower.c  AST -> bpfilter IR
 *   bpf.c    the `bpf` statement (user BPF code, bpfilter's extension)
 */
#ifndef BPFILTER_FRONT_NFT_NFT_H
#define BPFILTER_FRONT_NFT_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/front_nft.h"

/* ---- lex.c ---- */

enum nft_tok {
	NFT_T_EOF = 0,
	NFT_T_WORD, /* identifiers, numbers, addresses, ranges ... */
	NFT_T_STRING, /* "quoted" (text without quotes) */
	NFT_T_NL, /* newline */
	NFT_T_SEMI,
	NFT_T_LBRACE,
	NFT_T_RBRACE,
	NFT_T_LPAREN,
	NFT_T_RPAREN,
	NFT_T_COMMA,
	NFT_T_DOT,
	NFT_T_COLON,
	NFT_T_SLASH,
	NFT_T_MINUS,
	NFT_T_PLUS,
	NFT_T_AT,
	NFT_T_EQ, /* = */
	NFT_T_EQEQ,
	NFT_T_NE,
	NFT_T_LT,
	NFT_T_GT,
	NFT_T_LE,
	NFT_T_GE,
	NFT_T_NOT, /* ! */
	NFT_T_AND, /* & */
	NFT_T_OR, /* | */
	NFT_T_XOR, /* ^ */
	NFT_T_LSHIFT,
	NFT_T_RSHIFT,
	NFT_T_VAR, /* $name (text: name) */
	NFT_T_COUNT,
};

struct nft_token {
	enum nft_tok type;
	char *text; /* WORD, STRING, VAR */
	struct bf_nft_loc loc;
	bool space_before; /* whitespace precedes it */
};

struct nft_tokens {
	struct nft_token *v;
	size_t n, cap;
};

/* Tokenize `text` of file `file` (interned in nft) into toks, resolving
 * `include` (relative to dir of `file`) and `define`/`$var` on the way.
 * Errors are logged; returns -EINVAL after the whole input was seen. */
int nft_lex(struct bf_nft *nft, const char *text, const char *file,
	    struct nft_tokens *toks, int depth);
void nft_tokens_free(struct nft_tokens *t);
const char *nft_intern_file(struct bf_nft *nft, const char *file);

/* ---- types.c ---- */

struct nft_sym {
	const char *name;
	uint64_t value;
};

struct nft_dtype_desc {
	const char *name; /* nft's type name (`type ipv4_addr`) */
	unsigned int len_bits; /* natural width (0: string) */
	const struct nft_sym *syms; /* symbolic names, NULL-terminated */
	bool bitmask; /* values combine with `,` / `|`, implicit op = any */
	bool print_sym; /* print names when a value has one */
};

const struct nft_dtype_desc *nft_dtype(enum bf_nft_dtype dt);
/* Find by nft type name ("ipv4_addr", "inet_service", "mark"...). */
enum bf_nft_dtype nft_dtype_by_name(const char *name);

/* Find a field: proto "meta" with an unqualified key also finds the meta
 * keys nft accepts without `meta` (iif, mark...). NULL if unknown. */
const struct bf_nft_field *nft_field_find(const char *proto, const char *name);
/* Does `proto` name a payload protocol / ct / meta expression? 1: yes and
 * supported, -1: known but unsupported (vlan, sctp, tcp option...), 0: no */
int nft_proto_known(const char *proto);
/* Meta keys that may be written without `meta` (nft prints iif, oif,
 * iifname, oifname that way). */
bool nft_meta_unqualified(const char *key);
bool nft_meta_printed_unqualified(int id);
/* Meta / ct keys nft knows but we do not support (for a clear error). */
bool nft_meta_key_unsupported(const char *key);
bool nft_ct_key_unsupported(const char *key);

/* Parse one word (no range/prefix syntax) of type dt into e (which becomes
 * an E_VALUE). Returns 0 or -EINVAL with *why set to a message. */
int nft_value_parse(enum bf_nft_dtype dt, unsigned int len_bits,
		    const char *text, bool quoted, struct bf_nft_expr *e,
		    const char **why);
void nft_value_print(FILE *out, const struct bf_nft_expr *e);

const char *nft_sym_name(const struct nft_sym *syms, uint64_t v);
bool nft_sym_value(const struct nft_sym *syms, const char *name, uint64_t *v);

extern const struct nft_sym nft_icmp_code_syms[];
extern const struct nft_sym nft_icmp6_code_syms[];
extern const struct nft_sym nft_icmpx_code_syms[];
extern const struct nft_sym nft_log_level_syms[];

/* The named chain priorities of the ip, ip6 and inet families ("filter"
 * is 0...), for the parser and the printer. */
struct nft_prio {
	const char *name;
	int value;
};
extern const struct nft_prio nft_prios[];
extern const size_t nft_n_prios;

/* ---- ast.c ---- */

struct bf_nft_expr *nft_expr_new(enum bf_nft_expr_kind kind,
				 const struct bf_nft_loc *loc);
void nft_expr_free(struct bf_nft_expr **e);
int nft_expr_add(struct bf_nft_expr *parent, struct bf_nft_expr *child);
void nft_stmt_release(struct bf_nft_stmt *s);
void nft_rule_release(struct bf_nft_rule *r);
void nft_chain_release(struct bf_nft_chain *c);
void nft_set_release(struct bf_nft_set *s);
void nft_table_release(struct bf_nft_table *t);
/* The elements of a verdict map statement (`... vmap { ... }` or
 * `vmap @name`); NULL if s is no vmap or names an unknown set. */
const struct bf_nft_expr *nft_vmap_elems(const struct bf_nft_table *t,
					 const struct bf_nft_stmt *s);

/* ---- bpf.c (bpfilter's `bpf` statement, BF_NFT_S_BPF) ---- */

/* Intern the user BPF code of a `bpf` statement: kind OBJECT (arg: the
 * file, section: NULL or the section), PINNED (arg: the path) or BYTECODE
 * (arg: "N,c t f k,..."). 0, or -errno with *why set. */
int nft_bpf_intern(int kind, const char *arg, const char *section,
		   uint32_t *ref, const char **why);
/* Print `bpf [verdict] [!] object "F" [section "S"]` / `bpf bytecode
 * "..."` / `bpf pinned "P"` for ref (no leading or trailing space). */
void nft_bpf_print(FILE *out, uint32_t ref, bool neg, bool verdict);
/* The code generator's refusals of the user code of rs's rules (objects
 * opened and checked, pinned programs refused), at the nft positions the
 * IR rules carry. 0 or -errno. */
int nft_bpf_check(const struct bf_ruleset *rs);

/* ---- setmap.c ---- */

struct bf_set;
/* The ruleset set (ipset hash:ip / hash:net, origin IPSET) for nft set
 * ns used by a rule of family fam: 0 and *out filled (elements owned by
 * out), 1 when the set does not map exactly (inline it), or -errno. */
int nft_set_to_bf(const struct bf_nft_set *ns, enum bf_family fam,
		  struct bf_set *out);
/* `set NAME { type ...; [flags interval;] elements = {...} }` (one tab
 * in) for a one-address set (hash:ip / hash:net without nomatch,
 * timeouts, counters): the union of its elements. -EOPNOTSUPP (with a
 * comment printed) for other sets. */
int nft_set_print_decl(FILE *out, const struct bf_set *set);

/* ---- eval.c ---- */

/* Type-check every rule and set of nft, turning RAW words into values.
 * Errors are logged; returns 0, -EINVAL, or -EOPNOTSUPP. */
int nft_eval(struct bf_nft *nft);

/* ---- print.c ---- */

void nft_expr_print(FILE *out, const struct bf_nft_expr *e);
/* One statement as the listing prints it (counters without values). */
void nft_stmt_print(FILE *out, const struct bf_nft_stmt *s);

/* Report an error at a location; unsupported ones count separately. */
struct nft_errs {
	int n_errors;
	int n_unsupported;
	/* parse.c, while a rule is parsed: unsupported reports are kept
	 * here ("LINE:COL:MESSAGE\n"...) instead of logged, so that the rule
	 * can become a BF_NFT_S_KERNEL statement (kernpart.c) */
	char **held;
};
void nft_error(struct nft_errs *errs, const struct bf_nft_loc *loc,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void nft_unsupported(struct nft_errs *errs, const struct bf_nft_loc *loc,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int nft_errs_ret(const struct nft_errs *errs);

/* ---- targets.c ---- */

/* Refusals of netdev chains (ct, meta nfproto, meta length; frames that
 * are neither IPv4 nor IPv6 that a chain may drop), into errs. */
int nft_netdev_check(const struct bf_nft *view, struct nft_errs *errs);

/* ---- kernpart.c ---- */

/* Which chains of t go to the kernel's nftables (kern[i]: a base chain
 * of a type other than filter or at prerouting / postrouting, or a
 * regular chain one of them reaches)
 * and which are lowered (filt[i]: every other chain, and the chains a
 * filter base chain reaches); both arrays have t->n_chains entries.
 * Tables of other families than ip, ip6, inet: no kern. 0 or -ENOMEM. */
int nft_kernel_chains(const struct bf_nft_table *t, bool *kern, bool *filt);
/* Whether base chain c of t is the kernel's: a type other than filter,
 * or type filter at prerouting / postrouting, or a mangle chain
 * (nft_chain_mangles()) (ip, ip6, inet tables). */
bool nft_kernel_base(const struct bf_nft_table *t,
		     const struct bf_nft_chain *c);
/* After parsing: report the reasons of every BF_NFT_S_KERNEL rule of a
 * chain that is lowered (filt), into errs. 0 or -ENOMEM. */
int nft_kernel_check(const struct bf_nft *nft, struct nft_errs *errs);

/* ---- objects.c ---- */

/* Whether `ct WHAT NAME { ... }` in table t is a conntrack object kept
 * for the kernel's nftables (helper, timeout, expectation; ip, ip6 and
 * inet tables). */
bool nft_kobj_kept(const struct bf_nft_table *t, const char *what);
/* Append an object's text (ownership taken, freed on error) to t. 0 or
 * -ENOMEM. */
int nft_table_add_kobj(struct bf_nft_table *t, char *text,
		       const struct bf_nft_loc *loc);
/* text (bf_nft_print() of view) with each view table's objects put at the
 * start of its block, before the chains whose rules name them; malloc'd,
 * NULL on no memory. */
char *nft_insert_kobjs(const char *text, const struct bf_nft *view);

/* ---- mangle.c ---- */

/* Whether chain c of t, or a regular chain it reaches (jump, goto,
 * verdict maps), holds a rule kept for the kernel that rewrites the
 * packet (`tcp option NAME [FIELD] set ...`, MSS clamping): such a type
 * filter base chain goes to the kernel's nftables (nft_kernel_base()). */
bool nft_chain_mangles(const struct bf_nft_table *t,
		       const struct bf_nft_chain *c);

/* ---- chainref.c ---- */

/* Every chain a verdict map of t names (in a rule's `vmap { }` and in
 * the elements of a named verdict map) exists and is not a base chain,
 * as nft_verdict_init() requires; errors at the element, into errs. */
void nft_check_chain_refs(const struct bf_nft_table *t, struct nft_errs *errs);

/* ---- payload.c ---- */

/* The BF_MATCH_PAYLOAD of `f OP el` (el a value or a range; and_mask:
 * `f & M == V`, M in the field's units) into m, or -EOPNOTSUPP with
 * *why. */
int nft_payload_match(const struct bf_nft_field *f,
		      const struct bf_nft_expr *el, const uint64_t *and_mask,
		      bool neg, struct bf_match *m, const char **why);

/* ---- fib.c ---- */

/* `fib daddr type` compared (== or, neg, !=) with element el, for a rule
 * of family: m filled (BF_MATCH_ADDRTYPE), or -EOPNOTSUPP with *why. */
int nft_fib_match(const struct bf_nft_expr *el, enum bf_family family, bool neg,
		  struct bf_match *m, const char **why);

/* ---- place.c ---- */

/* The BF_NF_POINT() bits of the (family, hook) pairs where the view has
 * a base chain at priority prio. */
uint32_t nft_target_points(const struct bf_nft *view, int prio);

#endif /* BPFILTER_FRONT_NFT_NFT_H */
