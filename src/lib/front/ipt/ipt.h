/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the iptables front end, shared by its files:
 *   lex.c      tokenizers (iptables-restore quoting, shell-like command
 *              lines) and number/name helpers
 *   rule.c     one rule's argument vector -> IR rules (getopt emulation)
 *   modules.c  the `-m` modules in scope: options, checks, IR, printing
 *   restore.c  iptables-restore files and iptables command files
 *   print.c    canonical iptables-save printer
 */
#ifndef BPFILTER_FRONT_IPT_IPT_H
#define BPFILTER_FRONT_IPT_IPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfilter/ir.h"

/* Module ids stored in bf_origin.module. 0 is a built-in rule field. */
enum ipt_mod_id {
	IPT_MOD_CORE = 0,
	IPT_MOD_TCP,
	IPT_MOD_UDP,
	IPT_MOD_ICMP,
	IPT_MOD_ICMP6,
	IPT_MOD_MULTIPORT,
	IPT_MOD_IPRANGE,
	IPT_MOD_COMMENT,
	IPT_MOD_STATE,
	IPT_MOD_CONNTRACK,
	/* modules_ext.c */
	IPT_MOD_EXT_FIRST,
	IPT_MOD_LIMIT = IPT_MOD_EXT_FIRST,
	IPT_MOD_HASHLIMIT,
	IPT_MOD_RECENT,
	IPT_MOD_CONNLIMIT,
	IPT_MOD_ADDRTYPE,
	IPT_MOD_MAC,
	IPT_MOD_MARK,
	IPT_MOD_CONNMARK,
	IPT_MOD_OWNER,
	IPT_MOD_PKTTYPE,
	IPT_MOD_LENGTH,
	IPT_MOD_TTL,
	IPT_MOD_HL,
	IPT_MOD_SET,
	IPT_MOD_STATISTIC,
	IPT_MOD_TCPMSS,
	IPT_MOD_PHYSDEV,
	IPT_MOD_TIME,
	IPT_MOD_RT, /* mod_rt.c (ip6tables) */
	IPT_MOD_BPF, /* m_bpf.c */
	IPT_MOD_NFTLIMIT, /* mod_nft.c (bpfilter's, for nft) */
	IPT_MOD_TH, /* mod_nft.c (bpfilter's, for nft) */
	IPT_MOD_NFTIF, /* mod_nft.c (bpfilter's, for nft) */
	IPT_MOD_NFTETHER, /* mod_nft.c (bpfilter's, for nft) */
	IPT_MOD_NFT, /* mod_nftbreak.c (bpfilter's: nft evaluation) */
	IPT_MOD_DSCP, /* mod_dscp.c */
	IPT_MOD_TOS, /* mod_dscp.c */
	IPT_MOD_ECN, /* mod_ecn.c */
	IPT_MOD_NFTPAYLOAD, /* mod_payload.c (bpfilter's, for nft) */
	IPT_MOD_U32, /* mod_u32.c */
	IPT_MOD_QUOTA, /* mod_quota.c */
	IPT_MOD_POLICY, /* mod_policy.c */
	IPT_MOD_HELPER, /* mod_helper.c */
	IPT_MOD_CONNBYTES, /* mod_connbytes.c */
	IPT_MOD_ESP, /* mod_ecn.c */
	IPT_MOD_FRAG, /* mod_exthdr.c (ip6tables) */
	IPT_MOD_HBH, /* mod_exthdr.c (ip6tables) */
	IPT_MOD_DST, /* mod_exthdr.c (ip6tables) */
	IPT_MOD_AH, /* mod_exthdr.c */
	IPT_MOD_MH, /* mod_exthdr.c (ip6tables) */
	IPT_MOD_COUNT,
};

/* iptables refuses names of XT_EXTENSION_MAXNAMELEN (29) characters or
 * more (assert_valid_chain_name(), xt_parse_target()). */
#define IPT_CHAIN_NAME_MAX 28
#define IPT_MAX_ARGS 256
#define IPT_MAX_MODS 32
#define IPT_MAX_ADDRS 256

/* ---- lex.c ---- */

struct ipt_argv {
	int argc;
	char *argv[IPT_MAX_ARGS + 1];
};

void ipt_argv_free(struct ipt_argv *a);
/* Split like iptables-restore's add_param_to_argv(): whitespace separates,
 * double quotes group (a backslash inside quotes escapes the next char).
 * Returns 0, or -E2BIG / -ENOMEM; *err receives a message on error. */
int ipt_split_restore(const char *line, struct ipt_argv *a, const char **err);
/* Split a shell command line: single quotes, double quotes with backslash
 * escapes, backslash outside quotes. Stops at an unquoted '#'. */
int ipt_split_shell(const char *line, struct ipt_argv *a, const char **err);

/* xtables_strtoui(): strtoull in `base` (0 = C rules), whole string, and
 * min <= v <= max. */
bool ipt_strtoui(const char *s, unsigned long long min, unsigned long long max,
		 int base, unsigned long long *out);
/* XTTYPE_UINT32RC as libxtables parses it (esp, ah, frag, rt): "n", "a:b",
 * "a:" (to UINT32_MAX), ":b" (from 0); no order check between a and b. */
bool ipt_u32_range(const char *arg, uint32_t *lo, uint32_t *hi);
/* Port number or service name (/etc/services for proto, any protocol
 * if NULL), as xtables_parse_port(). -1 on error. */
int ipt_parse_port(const char *s, const char *proto);
/* -p argument (already lower case): number, "all", /etc/protocols name or
 * xtables_chain_protos name. -1 if unknown. */
int ipt_parse_proto(const char *s);
/* Name printed by iptables-save for a protocol, NULL for a number. */
const char *ipt_proto_name(uint8_t proto);

/* IPv4 "a.b.c.d" with iptables' autocompletion of short forms. */
bool ipt_parse_ip4(const char *s, uint8_t out[4]);
bool ipt_parse_ip6(const char *s, uint8_t out[16]);
/* XTTYPE_HOSTMASK: ADDR[/PLEN|/MASK] as libxtables 1.8.9 takes it
 * (modules_ext.c) */
bool ipt_parse_hostmask(enum bf_family f, const char *arg, uint8_t addr[16],
			uint8_t mask[16]);

/* ---- modules.c ---- */

struct ipt_rule_ctx;
struct ipt_mod_inst;

struct ipt_modopt {
	const char *name; /* long option without "--" */
	int has_arg; /* 0 or 1 */
	int id;
	bool supported; /* false: known option, out of our scope */
	/* true: `!` before it is refused by the generic parser ("cannot be
	 * inverted"); false: the module's parse function decides. */
	bool no_invert;
};

struct ipt_module {
	enum ipt_mod_id id;
	const char *name; /* as printed after -m */
	/* Family restriction: -1 any, else enum bf_family. */
	int family;
	const struct ipt_modopt *opts;
	/* Handle one option; *idx may be advanced for extra arguments. */
	int (*parse)(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx);
	/* After all arguments: mandatory options, protocol checks. */
	int (*final)(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
	/* Append this instance's IR matches to the rule. */
	int (*emit)(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		    struct bf_rule *rule, uint16_t instance);
	/* Print one IR match of this module in iptables-save form (leading
	 * space included); NULL: print.c knows the module. */
	void (*print)(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m);
};

/* An extension target (-j REJECT, LOG, ...): its options become valid
 * after -j, as iptables merges them into its option table. */
struct ipt_tgt_inst;
struct ipt_target {
	const char *name;
	enum bf_verdict_kind kind;
	int family; /* -1 any, else enum bf_family */
	const struct ipt_modopt *opts;
	int (*parse)(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv);
	/* After all arguments: defaults, mandatory options, checks. */
	int (*final)(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst);
	/* Print the parameters (leading space included). */
	void (*print)(FILE *out, const struct bf_rule *rule);
};

struct ipt_tgt_inst {
	const struct ipt_target *tgt;
	unsigned int seen; /* bit per option id given */
	struct bf_verdict v;
};

struct ipt_mod_inst {
	const struct ipt_module *mod;
	bool completed; /* a later instance of the same module took over */
	unsigned int seen; /* bit per option id given */
	union {
		struct {
			uint16_t spts[2], dpts[2];
			bool sinv, dinv, finv;
			uint8_t fmask, fcmp;
		} tcpudp;
		struct {
			uint8_t type, code[2];
			bool inv;
		} icmp;
		struct {
			enum bf_multiport_dir dir;
			uint8_t count;
			uint16_t ports[BF_MULTIPORT_MAX];
			bool pflags[BF_MULTIPORT_MAX];
			bool inv;
			uint8_t proto;
		} mp;
		struct {
			uint8_t smin[16], smax[16], dmin[16], dmax[16];
			bool sinv, dinv;
		} iprange;
		char comment[BF_COMMENT_MAX];
		struct {
			uint32_t mask;
			bool inv;
		} state;
		/* Modules of modules_ext.c build their IR match while parsing
		 * and keep a few parse-time values beside it. */
		struct {
			struct bf_match m;
			uint64_t burst; /* hashlimit: --hashlimit-burst as given */
			uint32_t mult; /* hashlimit: seconds of the rate unit */
		} ext;
	} u;
};

/* Everything one rule's arguments set (iptables' command state). */
struct ipt_rule_ctx {
	const char *file;
	int line;
	enum bf_family family;
	bool restore; /* iptables-restore line (vs. command line) */

	char command; /* 'A', 'I', 'N', 'P', 'F', 'X', 'Z' or 0 */
	const char *chain; /* NULL: all chains (-F, -X, -Z) */
	unsigned long long rulenum; /* -I position, 1-based */
	const char *policy;

	unsigned int options; /* OPT_* bits seen (duplicates) */
	bool inv_s, inv_d, inv_p, inv_i, inv_o, inv_f;
	const char *saddr, *daddr;
	char iniface[BF_IFNAMSIZ], outiface[BF_IFNAMSIZ];
	bool has_proto;
	uint8_t proto;
	char protocol[64]; /* lower-cased -p argument */
	bool proto_used; /* implicit protocol module already tried */
	bool nft_tcp; /* -m nft --l4proto 6 (IPv6 nft input: its `-p tcp') */
	bool frag;

	enum bf_verdict_kind verdict;
	const char *target; /* -j / -g argument */
	struct ipt_tgt_inst tgt; /* extension target, if tgt.tgt */
	bool is_goto;

	bool has_counters;
	struct bf_counter counters;

	struct ipt_mod_inst mods[IPT_MAX_MODS];
	size_t n_mods;
	bool skip; /* -4 in an IPv6 restore file (or -6 in IPv4): ignore */
	/* The ruleset whose named sets `-m set` may use (NULL: none),
	 * as iptables asks the kernel for the set while parsing. */
	const struct bf_ruleset *sets;
};

const struct ipt_module *ipt_module_find(const char *name);
const struct ipt_module *ipt_module_by_id(enum ipt_mod_id id);
/* Known iptables match names we do not support (for messages). */
bool ipt_is_known_target(const char *name);
/* unsupported.c: why a match module (target: false) or a target that the
 * front end does not take is refused, and what to do instead; NULL when
 * there is nothing to add to "is not supported". */
const char *ipt_unsupported_why(const char *name, bool target);

/* ---- modules_ext.c ---- */

/* The modules of real-world rulesets, indexed by id - IPT_MOD_EXT_FIRST. */
extern const struct ipt_module
	ipt_ext_modules[IPT_MOD_COUNT - IPT_MOD_EXT_FIRST];
/* Extension target by -j name, NULL if not supported. */
const struct ipt_target *ipt_target_find(const char *name);
const struct ipt_target *ipt_target_by_kind(enum bf_verdict_kind kind);
/* The IR match type a module of modules_ext.c emits. */
enum bf_match_type ipt_ext_match_type(enum ipt_mod_id id);
/* Prepare an instance of a module of modules_ext.c (defaults). */
void ipt_ext_init(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
/* ---- mod_rt.c: -m rt (libip6t_rt.c, ip6t_rt.c) ---- */
extern const struct ipt_modopt ipt_rt_opts[];
void ipt_rt_init(struct bf_match *m);
int ipt_rt_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		 const struct ipt_modopt *opt, const char *arg, bool inv,
		 int argc, char **argv, int *idx);
int ipt_rt_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_rt_print(FILE *out, const struct bf_rule *rule,
		  const struct bf_match *m);

/* ---- mod_dscp.c: -m dscp, -m tos (libxt_dscp.c, libxt_tos.c) ---- */
extern const struct ipt_modopt ipt_dscp_opts[], ipt_tos_opts[];
int ipt_dscp_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		   const struct ipt_modopt *opt, const char *arg, bool inv,
		   int argc, char **argv, int *idx);
int ipt_dscp_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_dscp_print(FILE *out, const struct bf_rule *rule,
		    const struct bf_match *m);
int ipt_tos_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx);
int ipt_tos_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_tos_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m);

/* ---- mod_ecn.c: -m ecn (libxt_ecn.c) ---- */
extern const struct ipt_modopt ipt_ecn_opts[];
int ipt_ecn_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx);
int ipt_ecn_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_ecn_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m);
/* -m esp (libxt_esp.c), in mod_ecn.c too */
extern const struct ipt_modopt ipt_esp_opts[];
int ipt_esp_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx);
int ipt_esp_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_esp_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m);

/* ---- mod_exthdr.c: -m frag, hbh, dst (ip6tables), ah ---- */
extern const struct ipt_modopt ipt_frag_opts[];
extern const struct ipt_modopt ipt_hbh_opts[];
extern const struct ipt_modopt ipt_dst_opts[];
extern const struct ipt_modopt ipt_ah_opts[];
extern const struct ipt_modopt ipt_mh_opts[];
void ipt_exthdr_init(struct ipt_mod_inst *inst);
int ipt_exthdr_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx);
int ipt_exthdr_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_exthdr_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m);

/* ---- mod_payload.c: -m nftpayload (bpfilter's, for nft input) ---- */
extern const struct ipt_modopt ipt_nftpayload_opts[];
int ipt_nftpayload_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			 const struct ipt_modopt *opt, const char *arg,
			 bool inv, int argc, char **argv, int *idx);
int ipt_nftpayload_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_nftpayload_print(FILE *out, const struct bf_rule *rule,
			  const struct bf_match *m);

/* ---- mod_u32.c: -m u32 (libxt_u32.c) ---- */
extern const struct ipt_modopt ipt_u32_opts[];
int ipt_u32_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx);
int ipt_u32_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_u32_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m);

/* ---- mod_quota.c: -m quota (libxt_quota.c) ---- */
extern const struct ipt_modopt ipt_quota_opts[];
int ipt_quota_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		    const struct ipt_modopt *opt, const char *arg, bool inv,
		    int argc, char **argv, int *idx);
int ipt_quota_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_quota_print(FILE *out, const struct bf_rule *rule,
		     const struct bf_match *m);

/* ---- mod_policy.c: -m policy (libxt_policy.c) ---- */
extern const struct ipt_modopt ipt_policy_opts[];
int ipt_policy_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx);
int ipt_policy_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_policy_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m);

/* ---- mod_helper.c: -m helper (libxt_helper.c) ---- */
extern const struct ipt_modopt ipt_helper_opts[];
int ipt_helper_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv,
		     int argc, char **argv, int *idx);
int ipt_helper_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_helper_print(FILE *out, const struct bf_rule *rule,
		      const struct bf_match *m);

/* ---- mod_connbytes.c: -m connbytes (libxt_connbytes.c) ---- */
extern const struct ipt_modopt ipt_connbytes_opts[];
int ipt_connbytes_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
			const struct ipt_modopt *opt, const char *arg, bool inv,
			int argc, char **argv, int *idx);
int ipt_connbytes_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_connbytes_print(FILE *out, const struct bf_rule *rule,
			 const struct bf_match *m);

/* ---- mod_nftbreak.c: -m nft, matches with nft evaluation (bpfilter's,
 * bf_match.nft) ---- */
extern const struct ipt_modopt ipt_nftb_opts[];
int ipt_nftb_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		   const struct ipt_modopt *opt, const char *arg, bool inv,
		   int argc, char **argv, int *idx);
int ipt_nftb_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
int ipt_nftb_emit(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		  struct bf_rule *rule, uint16_t instance);
void ipt_nftb_print(FILE *out, const struct bf_rule *rule,
		    const struct bf_match *m);

/* ---- mod_nft.c: -m nftlimit, -m th (bpfilter's, for nft input) ---- */
extern const struct ipt_modopt ipt_nftlimit_opts[];
int ipt_nftlimit_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx);
int ipt_nftlimit_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_nftlimit_print(FILE *out, const struct bf_rule *rule,
			const struct bf_match *m);
extern const struct ipt_modopt ipt_th_opts[];
int ipt_th_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		 const struct ipt_modopt *opt, const char *arg, bool inv,
		 int argc, char **argv, int *idx);
int ipt_th_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
extern const struct ipt_modopt ipt_nftif_opts[];
int ipt_nftif_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		    const struct ipt_modopt *opt, const char *arg, bool inv,
		    int argc, char **argv, int *idx);
int ipt_nftif_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_nftif_print(FILE *out, const struct bf_rule *rule,
		     const struct bf_match *m);
extern const struct ipt_modopt ipt_nftether_opts[];
int ipt_nftether_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		       const struct ipt_modopt *opt, const char *arg, bool inv,
		       int argc, char **argv, int *idx);
int ipt_nftether_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_nftether_print(FILE *out, const struct bf_rule *rule,
			const struct bf_match *m);
void ipt_th_print(FILE *out, const struct bf_rule *rule,
		  const struct bf_match *m);

/* The conntrack module (all of xt_conntrack revision 3). */
extern const struct ipt_modopt ipt_ct_opts[];
int ipt_ct_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		 const struct ipt_modopt *opt, const char *arg, bool inv,
		 int argc, char **argv, int *idx);
int ipt_ct_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
int ipt_ct_emit(struct ipt_rule_ctx *ctx, const struct ipt_mod_inst *inst,
		struct bf_rule *rule, uint16_t instance);
void ipt_ct_print(FILE *out, const struct bf_rule *rule,
		  const struct bf_match *m);
/* Defaults of an extension target. */
void ipt_target_init(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst);

/* ---- m_bpf.c: -m bpf and -j BPF ---- */
extern const struct ipt_modopt ipt_bpf_opts[];
extern const struct ipt_modopt ipt_bpf_tg_opts[];
int ipt_bpf_parse(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst,
		  const struct ipt_modopt *opt, const char *arg, bool inv,
		  int argc, char **argv, int *idx);
int ipt_bpf_final(struct ipt_rule_ctx *ctx, struct ipt_mod_inst *inst);
void ipt_bpf_print(FILE *out, const struct bf_rule *rule,
		   const struct bf_match *m);
int ipt_bpf_tg_parse(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst,
		     const struct ipt_modopt *opt, const char *arg, bool inv);
int ipt_bpf_tg_final(struct ipt_rule_ctx *ctx, struct ipt_tgt_inst *inst);
void ipt_bpf_tg_print(FILE *out, const struct bf_rule *rule);

/* ---- rule.c ---- */

/* Parse one argument vector (argv[0] is the first option). Errors are
 * logged with ctx->file:ctx->line. */
int ipt_parse_args(struct ipt_rule_ctx *ctx, int argc, char **argv);
/* Build the IR rules (several with comma lists), in insertion order. */
int ipt_build_rules(struct ipt_rule_ctx *ctx, struct bf_rule **rules,
		    size_t *n_rules);
int ipt_check_chain_name(const char *file, int line, const char *name);

/* ---- print.c ---- */
void ipt_print_save_string(FILE *out, const char *s);
/* libxt_limit's print_rate(): " N/unit" for a period in 1/scale s. */
void ipt_print_limit_rate(FILE *out, uint64_t period, uint64_t scale);
/* The --reject-with name of w (ipt_REJECT / ip6t_REJECT), or NULL. */
const char *ipt_reject_name(enum bf_reject_with w);
/* " [!] --opt lo[:hi]" of a port range match */
void ipt_print_ports(FILE *out, const struct bf_match *m, const char *opt);
/* "/lo[:hi]" of an icmp match's code range, nothing for every code */
void ipt_print_icmp_code(FILE *out, const struct bf_match *m);

#define ipt_err(ctx, ...)                                                      \
	bf_log_at(BF_LOG_ERROR, (ctx)->file, (ctx)->line, 0, __VA_ARGS__)

#endif /* BPFILTER_FRONT_IPT_IPT_H */
