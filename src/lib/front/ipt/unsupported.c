// SPDX-License-Identifier: GPL-2.0-only
/*
 * Why an iptables match module or target that the front end does not
 * parse is refused, and what to do instead: one line per name, appended
 * to "match 'NAME' is not supported" / "target 'NAME' is not supported".
 * Two kinds of reasons:
 *
 * - the module needs something a BPF_PROG_TYPE_NETFILTER program cannot
 *   do on this kernel (its helpers are bpf_base_func_proto()'s only, see
 *   bpf_nf_func_proto() in net/netfilter/nf_bpf_link.c; its packet is
 *   read-only; its verdict is NF_ACCEPT or NF_DROP): a FIB or socket
 *   lookup, queueing, writing the packet or the skb;
 * - the module could be compiled but is not yet: then the message says
 *   so, and names the way around (bpfilter's -m bpf, doc/user-matches.md,
 *   or the kernel's iptables for another table, --other-tables=kernel).
 *
 * Names absent from these tables keep the bare message.
 */
#include <string.h>

#include "bpfilter/helper.h"
#include "front/ipt/ipt.h"

struct why {
	const char *name;
	const char *why;
};

/* Not compiled yet; -m bpf runs user code in the rule's place. */
#define NOT_YET                                                                \
	"not compiled yet; -m bpf runs a matcher of your own in its place "    \
	"(doc/user-matches.md)"

static const struct why matches[] = {
	{ "rpfilter",
	  "it looks the source address up in the FIB (rpfilter_mt()), which "
	  "BPF netfilter programs cannot do (no bpf_fib_lookup() for them); "
	  "rulesets put it in -t raw or -t mangle PREROUTING, which "
	  "--other-tables=kernel hands to the kernel's iptables" },
	{ "socket",
	  "it looks up the socket a packet belongs to "
	  "(nf_sk_lookup_slow_v4()), which BPF netfilter programs cannot do "
	  "(no bpf_sk_lookup_*() for them)" },
	{ "cgroup",
	  "it reads the cgroup of the packet's socket (sock_cgroup_ptr()), "
	  "which BPF netfilter programs cannot reach; a cgroup/skb program "
	  "(bpftool cgroup attach) filters per cgroup" },
	{ "connlabel",
	  "it reads or sets conntrack labels (nf_conn_labels): " NOT_YET },
	{ "string", "it searches the payload with the kernel's textsearch "
		    "(skb_find_text(), bm or kmp): " NOT_YET },
	{ "devgroup", "it reads the devices' group (dev->group): " NOT_YET },
	{ "realm", "it reads the route's classid (dst->tclassid): " NOT_YET },
	{ "nfacct",
	  "it counts into the kernel's nfnetlink_acct objects, which BPF "
	  "programs cannot update" },
	{ "cpu", "it reads the CPU handling the packet: " NOT_YET },
	{ "ipvs",
	  "it reads IPVS's connection state (ip_vs_conn), which BPF programs "
	  "cannot reach" },
	{ "osf", "it compares the SYN with the kernel's fingerprint list "
		 "(nfnetlink_osf), which BPF programs cannot read" },
	{ "cluster",
	  "its hash of the conntrack entry (nf_ct_hash) is " NOT_YET },
	{ "condition", "its /proc switches are the kernel's" },
	{ "ipcomp", "IPComp CPI matching is " NOT_YET },
	{ "rateest",
	  "it reads the estimators of -j RATEEST, which are the kernel's" },
	{ "sctp", "SCTP ports and chunk types are " NOT_YET },
	{ "dccp", "DCCP ports and types are " NOT_YET },
	{ "ipv6header", "the IPv6 extension header list match is " NOT_YET },
};

/* Targets: the filter table's extension targets that a BPF netfilter
 * program cannot carry out, and the other tables' ones. */
#define OTHER_TABLE(t)                                                         \
	"it belongs to the " t " table; bpfilter compiles the filter table "   \
	"and --other-tables=kernel hands the " t " table to the kernel's "     \
	"iptables"
#define WRITES                                                                 \
	"it changes the packet or the skb, and a BPF netfilter program's "     \
	"packet is read-only; mangling belongs in the mangle table, which "    \
	"--other-tables=kernel hands to the kernel's iptables"

static const struct why targets[] = {
	{ "NFQUEUE",
	  "it hands the packet to a user-space program (nfnetlink_queue) and "
	  "waits for its verdict; a BPF netfilter program can only accept or "
	  "drop (NF_ACCEPT, NF_DROP): keep such chains in the kernel's "
	  "iptables" },
	{ "QUEUE", "it is NFQUEUE --queue-num 0 (see NFQUEUE)" },
	{ "AUDIT",
	  "it writes audit records (audit_log_start()), which BPF programs "
	  "cannot write; -j NFLOG or -j LOG log through `bpfilter log`" },
	{ "SET",
	  "it adds to or deletes from an ipset from the packet path: not "
	  "compiled yet (-m set matches: --ipset, doc/sets.md)" },
	{ "TEE",
	  "it sends a copy of the packet to another gateway (nf_dup_ipv4()), "
	  "which BPF netfilter programs cannot do" },
	{ "SYNPROXY",
	  "it answers SYNs itself with cookies and needs conntrack's synproxy "
	  "extension; BPF netfilter programs cannot send packets" },
	{ "IDLETIMER", "its timers are the kernel's (sysfs files)" },
	{ "LED", "its LED triggers are the kernel's" },
	{ "RATEEST", "its rate estimators are the kernel's" },
	{ "CLASSIFY", WRITES },
	{ "CHECKSUM", WRITES },
	{ "DSCP", WRITES },
	{ "TOS", WRITES },
	{ "ECN", WRITES },
	{ "TTL", WRITES },
	{ "HL", WRITES },
	{ "HMARK", WRITES },
	{ "TCPOPTSTRIP", WRITES },
	{ "SECMARK", WRITES },
	{ "CONNSECMARK", WRITES },
	{ "TPROXY", OTHER_TABLE("mangle") },
	{ "CT", OTHER_TABLE("raw") },
	{ "NOTRACK", OTHER_TABLE("raw") },
	{ "TRACE", OTHER_TABLE("raw") },
	{ "DNAT", OTHER_TABLE("nat") },
	{ "SNAT", OTHER_TABLE("nat") },
	{ "MASQUERADE", OTHER_TABLE("nat") },
	{ "REDIRECT", OTHER_TABLE("nat") },
	{ "NETMAP", OTHER_TABLE("nat") },
	{ "DNPT", OTHER_TABLE("mangle") },
	{ "SNPT", OTHER_TABLE("mangle") },
	{ "CLUSTERIP", "it was removed from the kernel (6.4)" },
	{ "ULOG", "it was removed from the kernel (3.17); use -j NFLOG" },
	{ "MIRROR", "it was removed from the kernel; nothing replaces it" },
	{ "SAME", "it was removed from the kernel; use -j SNAT" },
};

static const char *find(const struct why *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].name, name))
			return v[i].why;
	}
	return NULL;
}

const char *ipt_unsupported_why(const char *name, bool target)
{
	if (!name)
		return NULL;
	return target ? find(targets, ARRAY_SIZE(targets), name) :
			find(matches, ARRAY_SIZE(matches), name);
}
