/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Verify engine: namespaces, topology, sending and observing probes.
 *
 * One "side" (the kernel's iptables-legacy, iptables-nft or bpfilter) is two
 * network namespaces:
 *
 *     S (sender and sink)                    R (filter host)
 *     p0 ------------------ veth ------------ IF0   (a name of the ruleset)
 *     p1 ------------------ veth ------------ IF1
 *     ...                                     ...
 *
 * R holds the ruleset. Every interface of R is a veth whose peer is in S.
 *  - INPUT: S sends a frame on p<i> (AF_PACKET) to R's MAC; R routes every
 *    destination locally ("AnyIP" local routes) and raw sockets in R see
 *    the probe once LOCAL_IN accepted it.
 *  - FORWARD: the probe's TOS byte (IPv4) / traffic class (IPv6) selects,
 *    through `ip rule ... tos T lookup <table of IF k>`, the interface it
 *    leaves by; R's interfaces are NOARP, so the frame leaves without
 *    neighbour resolution and an AF_PACKET socket in S sees it on p<k>.
 *  - OUTPUT: R sends the probe itself from a raw IPPROTO_RAW socket whose
 *    SO_MARK selects the table of the output interface; S sees it on p<k>.
 * Routing rules: tos (pref 100) and fwmark (pref 110) rules come before the
 * local table (moved from pref 0 to 200), which holds the AnyIP routes.
 *
 * Names contain the pid (bf_vunique_name()); every namespace created is
 * recorded and deleted by dnet_cleanup(), which runs at exit and on signals.
 */
#ifndef BF_VERIFY_NET_H
#define BF_VERIFY_NET_H

#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "verify/pkt.h"
#include "verify/vutil.h"

#define DNET_MAX_IF 16
#define DNET_MAX_NS 64
#define DNET_MAX_RAW 16

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif

/* Interfaces of R (the same names in every side). */
struct dtopo {
	int n_if;
	char name[DNET_MAX_IF][IFNAMSIZ];
	/* R's loopback (rules naming "lo"): no veth; R sends the probe
	 * itself through a local route via lo, which the packet leaves
	 * (OUTPUT, seen by an AF_PACKET socket on lo in R) and re-enters
	 * (INPUT with in=lo, seen by the raw sockets). Never FORWARD. */
	bool is_lo[DNET_MAX_IF];
};

struct dside {
	const char *kind; /* "legacy", "nft", "bpfilter" */
	char ns_s[IFNAMSIZ], ns_r[IFNAMSIZ];
	int nsfd_s, nsfd_r;
	int pkt_tx; /* AF_PACKET in S, sends INPUT and FORWARD probes */
	int pkt_rx; /* AF_PACKET in S, sees what R sent out */
	int lo_rx; /* AF_PACKET on R's lo, sees what R sent via lo */
	int raw_out[2][DNET_MAX_IF]; /* R: IPPROTO_RAW per family/out if */
	int ifindex_s[DNET_MAX_IF];
	/* R: raw sockets observing local delivery, per family and proto */
	int n_raw;
	int raw_in[DNET_MAX_RAW];
	uint8_t raw_proto[DNET_MAX_RAW];
	enum bf_family raw_family[DNET_MAX_RAW];
};

static char dnet_ns[DNET_MAX_NS][IFNAMSIZ];
static bool dnet_ns_bpf[DNET_MAX_NS]; /* flush bpfilter before deleting */
static int dnet_n_ns;
static int dnet_home_fd = -1;
static volatile sig_atomic_t dnet_cleaning;
/* Called by dnet_cleanup() too (the test's temporary files). */
static void (*dnet_cleanup_hook)(void);

static __attribute__((unused)) bool dnet_quiet(void)
{
	return !getenv("BF_DIFF_VERBOSE");
}

/* Run a command quietly (output discarded unless BF_DIFF_VERBOSE). */
__attribute__((format(printf, 1, 2), unused)) static int
dnet_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	if (!dnet_quiet())
		fprintf(stderr, "+ %s\n", cmd);
	r = bf_vsh("%s%s", cmd, dnet_quiet() ? " >/dev/null 2>&1" : "");
	free(cmd);
	return r;
}

static __attribute__((unused)) void dnet_cleanup(void)
{
	int i;

	if (dnet_cleaning)
		return;
	dnet_cleaning = 1;
	for (i = dnet_n_ns - 1; i >= 0; i--) {
		if (!dnet_ns[i][0])
			continue;
		if (dnet_ns_bpf[i])
			bf_vsh("ip netns exec %s %s flush >/dev/null 2>&1",
			       dnet_ns[i], bf_verify_bin());
		bf_vsh("ip netns del %s >/dev/null 2>&1", dnet_ns[i]);
		dnet_ns[i][0] = '\0';
	}
	dnet_n_ns = 0;
	if (dnet_cleanup_hook)
		dnet_cleanup_hook();
	dnet_cleaning = 0;
}

static __attribute__((unused)) void dnet_signal(int sig)
{
	dnet_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static __attribute__((unused)) void dnet_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	dnet_home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	atexit(dnet_cleanup);
	signal(SIGINT, dnet_signal);
	signal(SIGTERM, dnet_signal);
	signal(SIGHUP, dnet_signal);
	signal(SIGALRM, dnet_signal);
	signal(SIGSEGV, dnet_signal);
	signal(SIGABRT, dnet_signal);
	signal(SIGPIPE, dnet_signal);
}

static __attribute__((unused)) int dnet_ns_add(char *name, size_t size,
					       const char *prefix)
{
	int i;

	for (i = 0; i < dnet_n_ns && dnet_ns[i][0]; i++)
		;
	if (i >= DNET_MAX_NS)
		return -ENOSPC;
	bf_vunique_name(name, size, prefix);
	/* recorded before it exists: a signal in between still cleans up */
	snprintf(dnet_ns[i], IFNAMSIZ, "%s", name);
	dnet_ns_bpf[i] = false;
	if (i == dnet_n_ns)
		dnet_n_ns++;
	return dnet_sh("ip netns add %s", name) == 0 ? 0 : -EIO;
}

static __attribute__((unused)) void dnet_ns_del(const char *name)
{
	int i;

	for (i = 0; i < dnet_n_ns; i++) {
		if (strcmp(dnet_ns[i], name) == 0) {
			if (dnet_ns_bpf[i])
				dnet_sh("ip netns exec %s %s flush", name,
					bf_verify_bin());
			dnet_sh("ip netns del %s", name);
			dnet_ns[i][0] = '\0';
			dnet_ns_bpf[i] = false;
		}
	}
}

/* bpfilter state will be created in this namespace: flush it first when
 * the namespace is deleted (its pins outlive the namespace). */
static __attribute__((unused)) void dnet_ns_mark_bpf(const char *name)
{
	int i;

	for (i = 0; i < dnet_n_ns; i++)
		if (strcmp(dnet_ns[i], name) == 0)
			dnet_ns_bpf[i] = true;
}

static __attribute__((unused)) int dnet_ns_open(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Enter a namespace (fd) or go back home (fd < 0). */
static __attribute__((unused)) int dnet_enter(int fd)
{
	return setns(fd >= 0 ? fd : dnet_home_fd, CLONE_NEWNET);
}

/* Write a sysctl of the current namespace ("net/ipv4/ip_forward"). */
static __attribute__((unused)) int dnet_sysctl(const char *key, const char *val)
{
	char path[256];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static __attribute__((unused)) void dnet_mac(uint8_t *mac, int side_r, int k)
{
	mac[0] = 0x02;
	mac[1] = 0xbf;
	mac[2] = 0xd1;
	mac[3] = 0;
	mac[4] = (uint8_t)side_r;
	mac[5] = (uint8_t)(k + 1);
}

static __attribute__((unused)) uint8_t dnet_tos(int k)
{
	return (uint8_t)(4 * (k + 1));
}

/* Write lines to a temporary file and run `ip -n NS [-6] -batch FILE`. */
static __attribute__((unused)) int dnet_ip_batch(const char *ns, bool v6,
						 const char *text)
{
	char path[] = "/tmp/bfdiff-ipXXXXXX";
	int fd = mkstemp(path), r;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	{
		char *out = NULL;

		r = bf_vsh_out(&out, "ip -n %s %s -batch %s 2>&1", ns,
			       v6 ? "-6" : "", path);
		if (r != 0)
			fprintf(stderr, "ip -n %s %s -batch failed: %s\n", ns,
				v6 ? "-6" : "", out ? out : "");
		free(out);
	}
	unlink(path);
	return r == 0 ? 0 : -EIO;
}

/* Wait until every veth of a namespace is operationally up: until the
 * kernel's link watch has seen the carrier, a veth keeps the noop qdisc
 * and silently drops what R sends (forwarded and OUTPUT probes). */
static __attribute__((unused)) int dnet_wait_up(const char *ns, int n_veth)
{
	int i;

	for (i = 0; i < 250; i++) {
		char *out = NULL, *l, *save = NULL;
		int up = 0;

		if (bf_vsh_out(&out, "ip -n %s -o link show", ns) == 0 && out) {
			for (l = strtok_r(out, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save))
				if (strstr(l, "link/ether") &&
				    strstr(l, " state UP ") &&
				    !strstr(l, "NO-CARRIER"))
					up++;
		}
		free(out);
		if (up >= n_veth)
			return 0;
		usleep(20000);
	}
	fprintf(stderr, "interfaces of %s not up after 5 s\n", ns);
	return -ETIMEDOUT;
}

static __attribute__((unused)) int set_bufs(int fd)
{
	int sz = 32 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return 0;
}

/* Open the raw socket observing local delivery of (family, proto). */
static __attribute__((unused)) int
dnet_raw_in(struct dside *sd, enum bf_family fam, uint8_t proto)
{
	int i, fd;

	for (i = 0; i < sd->n_raw; i++)
		if (sd->raw_proto[i] == proto && sd->raw_family[i] == fam)
			return 0;
	if (sd->n_raw >= DNET_MAX_RAW)
		return -ENOSPC;
	if (dnet_enter(sd->nsfd_r) < 0)
		return -errno;
	fd = socket(fam == BF_FAMILY_INET4 ? AF_INET : AF_INET6,
		    SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	dnet_enter(-1);
	if (fd < 0)
		return -errno;
	set_bufs(fd);
	if (fam == BF_FAMILY_INET6) {
		int one = 1;

		/* the flow label identifies truncated probes */
		setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO, &one, sizeof(one));
	}
	sd->raw_in[sd->n_raw] = fd;
	sd->raw_proto[sd->n_raw] = proto;
	sd->raw_family[sd->n_raw] = fam;
	sd->n_raw++;
	return 0;
}

static __attribute__((unused)) void dnet_side_init(struct dside *sd,
						   const char *kind)
{
	memset(sd, 0, sizeof(*sd));
	sd->kind = kind ? kind : "";
	sd->pkt_tx = sd->pkt_rx = sd->nsfd_s = sd->nsfd_r = -1;
	sd->lo_rx = -1;
	memset(sd->raw_out, 0xff, sizeof(sd->raw_out));
}

static __attribute__((unused)) void dnet_side_close(struct dside *sd)
{
	int i, f;

	if (sd->pkt_tx >= 0)
		close(sd->pkt_tx);
	if (sd->pkt_rx >= 0)
		close(sd->pkt_rx);
	if (sd->lo_rx >= 0)
		close(sd->lo_rx);
	for (f = 0; f < 2; f++)
		for (i = 0; i < DNET_MAX_IF; i++)
			if (sd->raw_out[f][i] >= 0)
				close(sd->raw_out[f][i]);
	for (i = 0; i < sd->n_raw; i++)
		close(sd->raw_in[i]);
	sd->n_raw = 0;
	if (sd->nsfd_s >= 0)
		close(sd->nsfd_s);
	if (sd->nsfd_r >= 0)
		close(sd->nsfd_r);
	sd->pkt_tx = sd->pkt_rx = sd->nsfd_s = sd->nsfd_r = -1;
	sd->lo_rx = -1;
	memset(sd->raw_out, 0xff, sizeof(sd->raw_out));
}

/* Delete a side's namespaces (after letting bpfilter remove its state). */
static __attribute__((unused)) void dnet_side_destroy(struct dside *sd)
{
	dnet_side_close(sd);
	if (sd->ns_s[0])
		dnet_ns_del(sd->ns_s);
	if (sd->ns_r[0])
		dnet_ns_del(sd->ns_r);
	sd->ns_s[0] = sd->ns_r[0] = '\0';
}

/*
 * Create a side: namespaces, veths, routes, sysctls and sockets. `ct`
 * enables conntrack in R (through an nftables table of its own, so that
 * both sides see the same conntrack, defragmentation included, whatever
 * filter they run). Returns 0 or -errno (the side is left for
 * dnet_side_destroy()).
 */
static __attribute__((unused)) int dnet_side_create(struct dside *sd,
						    const char *kind,
						    const struct dtopo *t,
						    bool ct)
{
	char *b4 = NULL, *b6 = NULL;
	size_t l4 = 0, l6 = 0;
	FILE *f4, *f6;
	int k, r, fam;
	uint8_t mr[6], ms[6];
	char key[160];

	dnet_side_init(sd, kind);
	if (dnet_ns_add(sd->ns_s, sizeof(sd->ns_s), "bfds") ||
	    dnet_ns_add(sd->ns_r, sizeof(sd->ns_r), "bfdr"))
		return -EIO;
	if (!strcmp(kind, "bpfilter"))
		dnet_ns_mark_bpf(sd->ns_r);
	sd->nsfd_s = dnet_ns_open(sd->ns_s);
	sd->nsfd_r = dnet_ns_open(sd->ns_r);
	if (sd->nsfd_s < 0 || sd->nsfd_r < 0)
		return -errno;

	/* S: no IPv6 of its own (no router solicitations or MLD reports
	 * reaching R at random times). R: no IPv6 addresses (none needed:
	 * AnyIP routes), hence no DAD/MLD traffic either. */
	if (dnet_enter(sd->nsfd_s) < 0)
		return -errno;
	dnet_sysctl("net/ipv6/conf/all/disable_ipv6", "1");
	dnet_sysctl("net/ipv6/conf/default/disable_ipv6", "1");
	dnet_enter(sd->nsfd_r);
	dnet_sysctl("net/ipv6/conf/default/addr_gen_mode", "1");
	dnet_sysctl("net/ipv6/conf/all/addr_gen_mode", "1");
	dnet_sysctl("net/ipv6/conf/default/accept_dad", "0");
	dnet_sysctl("net/ipv6/conf/default/router_solicitations", "0");
	dnet_sysctl("net/ipv4/conf/default/rp_filter", "0");
	dnet_sysctl("net/ipv4/conf/default/accept_local", "1");
	dnet_sysctl("net/ipv4/conf/default/send_redirects", "0");
	dnet_enter(-1);

	for (k = 0; k < t->n_if; k++) {
		if (t->is_lo[k])
			continue;
		dnet_mac(mr, 1, k);
		dnet_mac(ms, 2, k);
		r = dnet_sh("ip link add %s netns %s address "
			    "%02x:%02x:%02x:%02x:%02x:%02x type veth peer "
			    "name p%d netns %s address "
			    "%02x:%02x:%02x:%02x:%02x:%02x",
			    t->name[k], sd->ns_r, mr[0], mr[1], mr[2], mr[3],
			    mr[4], mr[5], k, sd->ns_s, ms[0], ms[1], ms[2],
			    ms[3], ms[4], ms[5]);
		if (r) {
			fprintf(stderr, "cannot create veth %s\n", t->name[k]);
			return -EIO;
		}
	}

	f4 = open_memstream(&b4, &l4);
	f6 = open_memstream(&b6, &l6);
	if (!f4 || !f6)
		return -ENOMEM;
	fprintf(f4, "link set lo up\n");
	fprintf(f4, "route add local 0.0.0.0/0 dev lo\n");
	fprintf(f6, "route add local ::/0 dev lo\n");
	for (k = 0; k < t->n_if; k++) {
		if (t->is_lo[k]) {
			/* a local route: looped back and delivered */
			fprintf(f4, "route add local default dev lo table %d\n",
				100 + k);
			fprintf(f6, "route add local ::/0 dev lo table %d\n",
				100 + k);
		} else {
			fprintf(f4, "link set dev %s arp off up\n", t->name[k]);
			fprintf(f4, "route add default dev %s table %d\n",
				t->name[k], 100 + k);
			fprintf(f6, "route add default dev %s table %d\n",
				t->name[k], 100 + k);
		}
		if (!t->is_lo[k]) {
			/* lo is never an output of FORWARD */
			fprintf(f4, "rule add pref 100 tos 0x%02x table %d\n",
				dnet_tos(k), 100 + k);
			fprintf(f6, "rule add pref 100 tos 0x%02x table %d\n",
				dnet_tos(k), 100 + k);
		}
		fprintf(f4, "rule add pref 110 fwmark %d table %d\n", k + 1,
			100 + k);
		fprintf(f6, "rule add pref 110 fwmark %d table %d\n", k + 1,
			100 + k);
	}
	fprintf(f4, "rule add pref 200 table local\nrule del pref 0\n");
	fprintf(f6, "rule add pref 200 table local\nrule del pref 0\n");
	fclose(f4);
	fclose(f6);
	r = dnet_ip_batch(sd->ns_r, false, b4);
	if (!r)
		r = dnet_ip_batch(sd->ns_r, true, b6);
	free(b4);
	free(b6);
	if (r)
		return r;

	b4 = NULL;
	f4 = open_memstream(&b4, &l4);
	if (!f4)
		return -ENOMEM;
	fprintf(f4, "link set lo up\n");
	for (k = 0; k < t->n_if; k++)
		if (!t->is_lo[k])
			fprintf(f4, "link set dev p%d up\n", k);
	fclose(f4);
	r = dnet_ip_batch(sd->ns_s, false, b4);
	free(b4);
	if (r)
		return r;

	if (ct) {
		/* Conntrack (and its defragmentation) for both families in
		 * R, independent of the filter under test. */
		char path[] = "/tmp/bfdiff-ctXXXXXX";
		/* Packets with TTL / hop limit 33 are not tracked (before
		 * conntrack's -200): UNTRACKED probes. The priorities are
		 * odd ones (-297, -147), not raw/mangle, so that a ruleset's
		 * own chain at a named priority gets a BPF link of its own
		 * on the bpfilter side (a link needs a free priority:
		 * nf_hook_entries_grow()). */
		static const char nft[] =
			"table inet bfdiff_ct {\n"
			" chain raw_pre { type filter hook prerouting priority "
			"-297; ip ttl 33 notrack; ip6 hoplimit 33 notrack; }\n"
			" chain raw_out { type filter hook output priority "
			"-297; ip ttl 33 notrack; ip6 hoplimit 33 notrack; }\n"
			" chain pre { type filter hook prerouting priority "
			"-147; ct state new,established,related,invalid,"
			"untracked; }\n"
			" chain out { type filter hook output priority -147; "
			"ct state new,established,related,invalid,untracked; "
			"}\n}\n";
		int fd = mkstemp(path);

		if (fd < 0)
			return -errno;
		r = write(fd, nft, strlen(nft)) == (ssize_t)strlen(nft) ? 0 :
									  -1;
		close(fd);
		if (!r)
			r = dnet_sh("ip netns exec %s nft -f %s", sd->ns_r,
				    path);
		unlink(path);
		if (r)
			return -EIO;
	}

	if (dnet_enter(sd->nsfd_r) < 0)
		return -errno;
	dnet_sysctl("net/ipv4/ip_forward", "1");
	dnet_sysctl("net/ipv6/conf/all/forwarding", "1");
	dnet_sysctl("net/ipv4/conf/all/rp_filter", "0");
	dnet_sysctl("net/ipv4/conf/all/accept_local", "1");
	dnet_sysctl("net/ipv4/conf/all/send_redirects", "0");
	/* ICMP errors of R (port unreachable and the like) always sent, so
	 * that what they do to conntrack does not depend on timing. */
	dnet_sysctl("net/ipv4/icmp_ratemask", "0");
	dnet_sysctl("net/ipv4/icmp_ratelimit", "0");
	dnet_sysctl("net/ipv4/icmp_msgs_per_sec", "100000000");
	dnet_sysctl("net/ipv4/icmp_msgs_burst", "100000000");
	dnet_sysctl("net/ipv4/icmp_echo_ignore_all", "1");
	dnet_sysctl("net/ipv6/icmp/ratelimit", "0");
	dnet_sysctl("net/ipv6/icmp/ratemask", "");
	dnet_sysctl("net/ipv6/icmp/echo_ignore_all", "1");
	dnet_sysctl("net/netfilter/nf_conntrack_tcp_loose", "0");
	for (k = 0; k < t->n_if; k++) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter",
			 t->name[k]);
		dnet_sysctl(key, "0");
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/accept_local",
			 t->name[k]);
		dnet_sysctl(key, "1");
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/forwarding",
			 t->name[k]);
		dnet_sysctl(key, "1");
	}
	for (fam = 0; fam < 2; fam++) {
		for (k = 0; k < t->n_if; k++) {
			int fd = socket(fam ? AF_INET6 : AF_INET,
					SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
			int mark = k + 1, one = 1;

			if (fd < 0)
				break;
			setsockopt(fd, SOL_SOCKET, SO_MARK, &mark,
				   sizeof(mark));
			if (fam)
				setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one,
					   sizeof(one));
			sd->raw_out[fam][k] = fd;
		}
	}

	sd->lo_rx = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   htons(ETH_P_ALL));
	if (sd->lo_rx >= 0) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_protocol = htons(ETH_P_ALL),
					   .sll_ifindex =
						   (int)if_nametoindex("lo") };

		if (bind(sd->lo_rx, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			close(sd->lo_rx);
			sd->lo_rx = -1;
		} else {
			set_bufs(sd->lo_rx);
		}
	}

	dnet_enter(sd->nsfd_s);
	sd->pkt_tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	sd->pkt_rx = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    htons(ETH_P_ALL));
	for (k = 0; k < t->n_if; k++) {
		char pn[IFNAMSIZ];

		snprintf(pn, sizeof(pn), "p%d", k);
		sd->ifindex_s[k] = (int)if_nametoindex(pn);
	}
	dnet_enter(-1);
	if (sd->pkt_tx < 0 || sd->pkt_rx < 0 || sd->lo_rx < 0)
		return -EIO;
	{
		int one = 1;

		setsockopt(sd->pkt_tx, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
			   sizeof(one));
	}
	set_bufs(sd->pkt_rx);
	return 0;
}

/* Before the first packet: every veth of the side must be up. */
static __attribute__((unused)) int dnet_side_wait(struct dside *sd,
						  const struct dtopo *t)
{
	int k, n = 0;

	for (k = 0; k < t->n_if; k++)
		n += !t->is_lo[k];
	if (dnet_wait_up(sd->ns_r, n) || dnet_wait_up(sd->ns_s, n))
		return -ETIMEDOUT;
	return 0;
}

/* Send one IP datagram from S into R on interface k (AF_PACKET). */
static __attribute__((unused)) int dnet_send_in(struct dside *sd, int k,
						enum bf_family fam,
						const uint8_t *ip, size_t len)
{
	uint8_t frame[14 + DPKT_MAX];
	struct sockaddr_ll sll;

	dnet_mac(frame, 1, k);
	dnet_mac(frame + 6, 2, k);
	put16(frame + 12, fam == BF_FAMILY_INET4 ? ETH_P_IP : ETH_P_IPV6);
	memcpy(frame + 14, ip, len);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = sd->ifindex_s[k];
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, frame, 6);
	if (sendto(sd->pkt_tx, frame, 14 + len, 0, (struct sockaddr *)&sll,
		   sizeof(sll)) < 0)
		return -errno;
	return 0;
}

/* Send one IP datagram from R itself (OUTPUT), leaving by interface k. */
static __attribute__((unused)) int dnet_send_out(struct dside *sd, int k,
						 enum bf_family fam,
						 const uint8_t *ip, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = sd->raw_out[fam == BF_FAMILY_INET6][k];

	memset(&ss, 0, sizeof(ss));
	if (fam == BF_FAMILY_INET4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip + 16, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip + 24, 16);
		sl = sizeof(*sin6);
	}
	/* EPERM is the filter dropping it on the way out: a verdict, not an
	 * error; anything else is reported. */
	if (sendto(fd, ip, len, 0, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EPERM)
		return -errno;
	return 0;
}

static __attribute__((unused)) uint64_t dnet_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif /* BF_VERIFY_NET_H */
