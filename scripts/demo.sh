#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bpfilter demo (run by `make demo`, as root).
#
# Two network namespaces joined by a veth pair: a client (192.0.2.1,
# 2001:db8::1) and a server (192.0.2.2, 2001:db8::2) running a few TCP and
# UDP services. bpfilter applies a server firewall (scripts/demo/*.rules)
# inside the server namespace, and the demo sends real traffic to show what
# passes and what is dropped, the live counters, an atomic re-apply of a new
# version of the ruleset, and a flush. Nothing is attached in the root
# namespace; the namespaces are deleted on every exit path.
#
# Environment: BPFILTER (path of the CLI, default build/bpfilter),
# DEMO_BACKEND=iptables runs the same story with the kernel's own
# iptables-restore instead (to compare verdicts).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$ROOT/scripts/demo
BPFILTER=${BPFILTER:-$ROOT/build/bpfilter}
BACKEND=${DEMO_BACKEND:-bpfilter}
NETCHECK=(python3 "$DEMO/netcheck.py")
PROBE_TIMEOUT=1

if [[ -t 1 ]]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' N=$'\e[0m'
else
	B="" G="" R="" Y="" N=""
fi

die() {
	echo "demo: $*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, BPF)"
for tool in ip python3 ping timeout; do
	command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done
if [[ "$BACKEND" == bpfilter ]]; then
	[[ -x "$BPFILTER" ]] || die "$BPFILTER not built (run make)"
fi

# Names carry the pid: two demos (or a test run) never share namespaces.
CLI=bfdc$$
SRV=bfds$$
VC=vc$$
VS=vs$$
PIDS=()
CREATED=()
FAILS=0

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [[ " ${CREATED[*]} " == *" $SRV "* && "$BACKEND" == bpfilter ]]; then
		# pins outlive the namespace: remove ours before deleting it
		timeout 20 ip netns exec "$SRV" "$BPFILTER" flush >/dev/null 2>&1
	fi
	for ns in "${CREATED[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_cli() { ip netns exec "$CLI" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }

step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() { # show a command, then run it
	printf '%s$ %s%s\n' "$Y" "$*" "$N"
	"$@"
}
# show a command run inside the server namespace as the user would type it
run_srv() {
	show_srv "$@"
	timeout 60 ip netns exec "$SRV" "$@"
}
show_srv() { printf '%s[server]# %s%s\n' "$Y" "${*/#"$ROOT"\//}" "$N"; }

setup() {
	ip netns add "$CLI"
	CREATED+=("$CLI")
	ip netns add "$SRV"
	CREATED+=("$SRV")
	ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV"
	in_cli ip link set lo up
	in_srv ip link set lo up
	in_cli ip addr add 192.0.2.1/24 dev "$VC"
	in_cli ip addr add 192.0.2.200/24 dev "$VC"
	in_cli ip addr add 198.51.100.10/24 dev "$VC"
	in_cli ip -6 addr add 2001:db8::1/64 dev "$VC" nodad
	in_srv ip addr add 192.0.2.2/24 dev "$VS"
	in_srv ip -6 addr add 2001:db8::2/64 dev "$VS" nodad
	in_cli ip link set "$VC" up
	in_srv ip link set "$VS" up
	# the server answers the client's second network over the same link
	in_srv ip route add 198.51.100.0/24 dev "$VS"

	# `ip netns exec` execs its command: $! is the listener itself
	ip netns exec "$SRV" "${NETCHECK[@]}" listen --tcp 22,80,443,3306,8080 \
		--udp 53,5353 --seconds 600 &
	PIDS+=($!)
	ip netns exec "$CLI" "${NETCHECK[@]}" listen --tcp 9000 --seconds 600 &
	PIDS+=($!)
	# wait (bounded) until the listeners answer
	local i
	for ((i = 0; i < 50; i++)); do
		if in_cli "${NETCHECK[@]}" tcp 192.0.2.2 22 --timeout 0.5 2>/dev/null &&
			in_srv "${NETCHECK[@]}" tcp 192.0.2.1 9000 --timeout 0.5 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "test services did not start"
}

# The probes: label, expected verdict per phase, and the command.
# Phases: 0 open (no firewall), 1 v1 (server.rules), 2 v2 (server-v2.rules),
# 3 XDP blocklist only (xdp-blocklist.rules).
PROBES=(
	"ping 192.0.2.2|pass pass pass pass|cli ping -c 1 192.0.2.2"
	"ping 2001:db8::2|pass pass pass pass|cli ping -6 -c 1 2001:db8::2"
	"tcp 192.0.2.2:22 (ssh) from 192.0.2.1|pass pass pass pass|cli tcp 192.0.2.2 22 --src 192.0.2.1"
	"tcp 192.0.2.2:22 (ssh) from 192.0.2.200|pass pass drop pass|cli tcp 192.0.2.2 22 --src 192.0.2.200"
	"tcp 192.0.2.2:22 (ssh) from 198.51.100.10|pass pass drop drop|cli tcp 192.0.2.2 22 --src 198.51.100.10"
	"tcp 192.0.2.2:80 (http)|pass pass drop pass|cli tcp 192.0.2.2 80"
	"tcp 192.0.2.2:443 (https)|pass pass pass pass|cli tcp 192.0.2.2 443"
	"tcp 192.0.2.2:8080 (http-alt)|pass drop pass pass|cli tcp 192.0.2.2 8080"
	"tcp 192.0.2.2:3306 (mysql)|pass drop drop pass|cli tcp 192.0.2.2 3306"
	"udp 192.0.2.2:53 (dns) from 192.0.2.1|pass pass pass pass|cli udp 192.0.2.2 53 --src 192.0.2.1"
	"udp 192.0.2.2:53 (dns) from 198.51.100.10|pass drop drop drop|cli udp 192.0.2.2 53 --src 198.51.100.10"
	"udp 192.0.2.2:5353 (mdns)|pass drop drop pass|cli udp 192.0.2.2 5353"
	"tcp [2001:db8::2]:22 (ssh)|pass pass pass pass|cli tcp 2001:db8::2 22"
	"tcp [2001:db8::2]:3306 (mysql)|pass drop drop pass|cli tcp 2001:db8::2 3306"
	"server -> 192.0.2.1:9000 (reply via ct state)|pass pass pass pass|srv tcp 192.0.2.1 9000"
)

# try_probe TIMEOUT WHERE CMD...: succeeds if the probe got its answer
try_probe() {
	local tmo=$1 where=$2
	shift 2
	local -a cmd
	if [[ "$1" == ping ]]; then
		cmd=(timeout $((tmo + 2)) ping -W "$tmo" "${@:2}")
	else
		cmd=(timeout $((tmo + 3)) "${NETCHECK[@]}" "$@" --timeout "$tmo")
	fi
	if [[ "$where" == cli ]]; then
		in_cli "${cmd[@]}" >/dev/null 2>&1
	else
		in_srv "${cmd[@]}" >/dev/null 2>&1
	fi
}

probe() { # phase index
	local phase=$1 entry label expect cmd got
	local -a words
	for entry in "${PROBES[@]}"; do
		IFS='|' read -r label expect cmd <<<"$entry"
		read -ra words <<<"$expect"
		expect=${words[$phase]}
		read -ra words <<<"$cmd"
		got=drop
		if try_probe "$PROBE_TIMEOUT" "${words[@]}"; then
			got=pass
		elif [[ "$expect" == pass ]] && try_probe $((PROBE_TIMEOUT * 3)) "${words[@]}"; then
			# a busy machine can be slow: one more, longer try before
			# calling an expected answer missing
			got=pass
		fi
		if [[ "$got" == pass ]]; then
			printf '  %s✓ passed %s ' "$G" "$N"
		else
			printf '  %s✗ dropped%s ' "$R" "$N"
		fi
		printf '%-46s' "$label"
		if [[ "$got" == "$expect" ]]; then
			printf ' (expected)\n'
		else
			printf ' %s<-- UNEXPECTED (expected: %s)%s\n' "$R" "$expect" "$N"
			FAILS=$((FAILS + 1))
		fi
	done
}

fw_apply() { # v4 file [v6 file]
	if [[ "$BACKEND" == iptables ]]; then
		run_srv iptables-restore "$1"
		[[ -z "${2:-}" ]] || run_srv ip6tables-restore "$2"
	else
		run_srv "$BPFILTER" apply -4 "$1" ${2:+-6 "$2"}
	fi
}
fw_list() {
	if [[ "$BACKEND" == iptables ]]; then
		run_srv iptables -L INPUT -v -n
	else
		run_srv "$BPFILTER" list -v
	fi
}
fw_flush() {
	if [[ "$BACKEND" == iptables ]]; then
		run_srv iptables -F
		run_srv iptables -P INPUT ACCEPT
		run_srv ip6tables -F
		run_srv ip6tables -P INPUT ACCEPT
	else
		run_srv "$BPFILTER" flush
	fi
}

printf '%sbpfilter demo%s: iptables rulesets compiled to eBPF, attached at the\n' "$B" "$N"
printf 'netfilter hooks of a network namespace (backend: %s)\n' "$BACKEND"

step "1. Two hosts in network namespaces: client $CLI and server $SRV"
setup
echo "client: 192.0.2.1 (+ 192.0.2.200, 198.51.100.10), 2001:db8::1"
echo "server: 192.0.2.2, 2001:db8::2; tcp 22 80 443 3306 8080, udp 53 5353"

step "2. No firewall yet: everything gets through"
probe 0

step "3. Apply a server firewall (ssh, web, LAN-only dns, ping; the rest dropped)"
echo "(rulesets: scripts/demo/server.rules, scripts/demo/server6.rules)"
fw_apply "$DEMO/server.rules" "$DEMO/server6.rules"
probe 1

step "4. Rules with their live counters"
fw_list

step "5. Re-apply a new version (web moves to 8080, ssh only from 192.0.2.0/25)"
echo "(IPv4 only: the IPv6 table stays as it is)"
fw_apply "$DEMO/server-v2.rules"
probe 2
if [[ "$BACKEND" == bpfilter ]]; then
	echo "The IPv4 table now in force, with its counters (iptables-save form):"
	run_srv "$BPFILTER" save -4 -c
else
	run_srv iptables-save -c
fi

step "6. Flush: the server is open again"
fw_flush
probe 0

step "7. XDP: block a whole network in the driver, before the IP stack"
echo "(ruleset: scripts/demo/xdp-blocklist.rules, on the server's $VS)"
if [[ "$BACKEND" == bpfilter ]]; then
	run_srv "$BPFILTER" apply --hook xdp --iface "$VS" "$DEMO/xdp-blocklist.rules"
else
	run_srv iptables -A INPUT -s 198.51.100.0/24 -j DROP
fi
probe 3
fw_list
fw_flush
if [[ "$BACKEND" == bpfilter ]]; then
	show_srv "$BPFILTER" list
	out=$(timeout 60 ip netns exec "$SRV" "$BPFILTER" list)
	printf '%s\n' "${out:-(nothing in force: the namespace is unfiltered)}"
fi

echo
if ((FAILS)); then
	printf '%sdemo: %d probe(s) did not behave as expected%s\n' "$R" "$FAILS" "$N"
	exit 1
fi
printf '%sdemo: every probe behaved as expected%s\n' "$G" "$N"
