#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Single-change latency (issue #6 item 2): wall time of one
# `bpfilter rule add|insert|delete|replace` on a ruleset of K rules in
# force, run as a user would run it (a new process each time), inside a
# network namespace. Run by bench/run.sh (make bench), or alone:
#   BUILD=build bench/edit.sh
#
# For each shape (mixed: prefixes, port ranges, TCP flags and interfaces
# that bpfilter cannot fold, tested rule by rule; fold: distinct /32
# sources that it folds into one hash lookup; half: K/2 fold rules then
# K/2 mixed ones, changed with mixed rules; uchain: the mixed rules in a
# user chain USR that INPUT jumps to, changed there, as ufw, firewalld,
# fail2ban or Docker lay rules out; logrej: the mixed rules followed by
# a rate-limited LOG and a REJECT, as most real firewalls end) and each K, a fresh
# namespace gets K rules with `bpfilter apply`, then N changes of each
# kind are timed one by one:
#   add      -A INPUT <new rule>             (at the end)
#   insert   -I INPUT K/2 <new rule>          (in the middle)
#   delete   -D INPUT <a rule added above>   (by its specification)
#   replace  -R INPUT <random position> <new rule>
# The ruleset size stays within K..K+N. The clock is read inside the
# namespace ($EPOCHREALTIME, no fork), around the bpfilter process only:
# `ip netns exec` itself (~7 ms here) is not counted. With -v -v each
# change reports where its time went (bf_edit(): state read, parse,
# check+compile, program loads, state write); the medians of those parts
# are printed next to the totals: parse = lock + state read + parse (or
# IR snapshot decode, doc/live.md "State without a parse"), compile =
# the change, check and compile (incr: root and segment compile), progs =
# BPF_PROG_LOAD (incr: the one segment), state = canonical text, state
# map and IR snapshot (incr since session 7: what follows the segment's
# load only, the state being written while it loads; doc/live.md, "The
# segment's load beside the state's write").
#
# Each series runs twice: path "full" (BPFILTER_SEG_MIN set beyond K: one
# program per hook, rebuilt, verified and swapped whole on every change)
# and path "incr" (the default: chains of BPFILTER_SEG_MIN = 256 rules or
# more are segment programs, and a change inside one segment replaces that
# segment only; doc/live.md, "Incremental changes"). The "inc" column
# counts the changes that did replace one segment. Path "daemon" is "incr"
# with a `bpfilter daemon` running in the namespace (doc/live.md,
# "Resident daemon"): the same client commands, run by the daemon, which
# keeps the ruleset in memory between changes (its first change reads the
# state), without -v: the daemon answers as soon as the change is in
# force (its bookkeeping after that overlaps the next command's start),
# and no parts are reported (nor "inc": 0 there means unknown). Path "daemonv" (not in the default) is the
# same with -v -v: the parts, but the answer comes after the messages
# (at the end of the change).
#
# Output: a table on stdout, $BENCH_OUT/edit.csv (one line per shape,
# K, kind, path: median and p90 in ms, and the median parts; kind "all":
# every change of the shape, K and path) and $BENCH_OUT/edit-raw.csv
# (every change); BENCH_OUT defaults to bench/results.
#
# Environment: BUILD, BPFILTER, BENCH_OUT, BENCH_EDIT_RULES (default
# "1000 10000"), BENCH_EDIT_CHANGES (per kind, default 50),
# BENCH_EDIT_SHAPES (default "mixed fold uchain logrej"), BENCH_EDIT_PATHS (default
# "full incr daemon"). `make bench` runs a shorter variant by default
# (bench/run.sh: 10,000 rules, paths incr and daemon, 20 changes per kind).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
BPFILTER=${BPFILTER:-$ROOT/$BUILD/bpfilter}
RULES=${BENCH_EDIT_RULES:-1000 10000}
CHANGES=${BENCH_EDIT_CHANGES:-50}
SHAPES=${BENCH_EDIT_SHAPES:-mixed fold uchain logrej}
PATHS=${BENCH_EDIT_PATHS:-full incr daemon}
OUT=${BENCH_OUT:-$ROOT/bench/results}
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/edit.sh: needs root (BPF programs, network namespaces)" >&2
	exit 1
fi
[[ -x $BPFILTER ]] || { echo "bench/edit.sh: $BPFILTER not built" >&2; exit 1; }
((CHANGES >= 1 && CHANGES <= 10000)) || { echo "bench/edit.sh: BENCH_EDIT_CHANGES out of range" >&2; exit 2; }

NS=""
DAEMON=""
TMP=$(mktemp -d /tmp/bf-edit.XXXXXX)
stop_daemon() {
	if [[ -n $DAEMON ]]; then
		kill -TERM "$DAEMON" 2>/dev/null || true
		wait "$DAEMON" 2>/dev/null || true
		DAEMON=""
	fi
}
cleanup() {
	stop_daemon
	if [[ -n $NS ]]; then
		# a pinned netfilter link keeps its namespace alive: unpin first
		timeout 30 ip netns exec "$NS" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$NS" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

gen_rules() { # SHAPE K: iptables-restore input on stdout
	awk -v k="$2" -v shape="$1" 'BEGIN {
		print "*filter"; print ":INPUT ACCEPT [0:0]"; print ":FORWARD ACCEPT [0:0]"
		print ":OUTPUT ACCEPT [0:0]"
		ch = "INPUT"
		if (shape == "uchain") { print ":USR - [0:0]"; ch = "USR" }
		for (i = 0; i < k; i++) {
			if (shape == "fold" || (shape == "half" && i < k / 2)) {
				printf "-A INPUT -s 198.%d.%d.%d/32 -j DROP\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256
				continue
			}
			a = 16 * (1 + i)
			ip = sprintf("198.%d.%d.%d", 18 + int(a / 65536), int(a / 256) % 256, a % 256)
			m = i % 4
			if (m == 0) printf "-A %s -s %s/31 -p tcp -m tcp --dport %d:%d -j DROP\n", ch, ip, 1000 + i % 5000, 1010 + i % 5000
			else if (m == 1) printf "-A %s -s %s/30 -p udp -m udp --sport %d -j ACCEPT\n", ch, ip, 2000 + i % 3000
			else if (m == 2) printf "-A %s -d %s/29 -p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP\n", ch, ip
			else printf "-A %s -s %s/28 -i eth%d -j DROP\n", ch, ip, i % 7
		}
		if (shape == "uchain") print "-A INPUT -j USR"
		if (shape == "logrej") {
			print "-A INPUT -p tcp -m limit --limit 5/min -j LOG --log-prefix \"bench drop: \""
			print "-A INPUT -p tcp -j REJECT --reject-with tcp-reset"
		}
		print "COMMIT" }'
}

# The script that runs inside the namespace: SHAPE K N, prints one line
# per change: kind ms parse compile programs state inc (parts in ms, "nan"
# when not reported; inc 1 when one segment was replaced).
cat >"$TMP/inner.sh" <<'EOF'
set -u
B=$1 SHAPE=$2 K=$3 N=$4 V=${5-"-v -v"}
RANDOM=$K
CH=INPUT
[[ $SHAPE == uchain ]] && CH=USR
new_rule() { # I: a rule of the shape that is not in the ruleset
	if [[ $SHAPE == fold ]]; then
		echo "-s 203.0.$((113 + $1 / 256)).$(($1 % 256))/32 -j DROP"
	else
		echo "-s 203.0.$((113 + $1 / 256)).$(($1 % 256))/31 -p tcp -m tcp --dport $((3000 + $1)):$((3010 + $1)) -j ACCEPT"
	fi
}
one() { # KIND ARGS...: time one change
	local kind=$1 t0 t1 err
	shift
	t0=$EPOCHREALTIME
	err=$("$B" $V rule "$@" 2>&1 >/dev/null) || { echo "FAIL $kind: $err" >&2; exit 1; }
	t1=$EPOCHREALTIME
	awk -v k="$kind" -v a="$t0" -v b="$t1" -v e="$err" '
	function num(l, key,   w) { # the number after key in line l
		if (!match(l, key " [0-9.]+ ms")) return "nan"
		return w[split(substr(l, RSTART, RLENGTH), w, " ") - 1] }
	BEGIN {
		p = c = g = s = "nan"; inc = 0; segload = "nan"; cc = "nan"; beside = 0
		n = split(e, L, "\n")
		for (i = 1; i <= n; i++) {
			if (index(L[i], "edit timings")) {
				p = num(L[i], "lock\\+read state") + num(L[i], "parse")
				plan = num(L[i], "change\\+plan")
				# since session 7 the segment loads beside the
				# state write, not in change+plan
				beside = index(L[i], "load beside") > 0
			}
			if (index(L[i], "segment program loaded in")) segload = num(L[i], "loaded in")
			if (index(L[i], "in force (parse")) cc = num(L[i], "check\\+compile")
			if (match(L[i], /counters and programs [0-9.]+ ms \+ state [0-9.]+ ms/)) {
				split(substr(L[i], RSTART), w, " "); g = w[4]; s = w[8] }
			if (index(L[i], "(one segment)")) inc = 1
		}
		if (inc && segload != "nan") {
			# one segment: compile = change + root/segment compile,
			# progs = the segment program load (the verifier)
			g = segload; c = beside ? plan : plan - segload
		} else c = cc
		printf "%s %.2f %s %s %s %s %d\n", k, (b - a) * 1000, p, c, g, s, inc }'
}
for ((i = 0; i < N; i++)); do one add add $CH $(new_rule $i); done
for ((i = 0; i < N; i++)); do one insert insert $CH $((K / 2)) $(new_rule $((N + i))); done
for ((i = 0; i < N; i++)); do one delete delete $CH $(new_rule $i); done
for ((i = 0; i < N; i++)); do one replace replace $CH $((1 + RANDOM % K)) $(new_rule $((2 * N + i))); done
EOF

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$OUT/edit-raw.csv
CSV=$OUT/edit.csv
echo "shape,rules,kind,path,ms,parse_ms,compile_ms,programs_ms,state_ms,inc" >"$RAW"
for shape in $SHAPES; do
	for k in $RULES; do
	for path in $PATHS; do
		if [[ $path == full ]]; then
			export BPFILTER_SEG_MIN=1000000000
		else
			unset BPFILTER_SEG_MIN
		fi
		gen_rules "$shape" "$k" >"$TMP/rules"
		NS=bfe-$$
		ip netns add "$NS"
		if ! timeout 600 ip netns exec "$NS" "$BPFILTER" apply "$TMP/rules"; then
			echo "bench/edit.sh: apply of $k $shape rules failed" >&2
			exit 1
		fi
		verbose="-v -v"
		[[ $path == daemon ]] && verbose=""
		if [[ $path == daemon || $path == daemonv ]]; then
			# the daemon of this namespace; wait (5 s at most) until
			# it listens
			timeout $((600 + 4 * CHANGES * 10)) ip netns exec "$NS" "$BPFILTER" daemon 2>"$TMP/daemon.log" &
			DAEMON=$!
			for ((w = 0; w < 100; w++)); do
				grep -q listening "$TMP/daemon.log" && break
				sleep 0.05
			done
			grep -q listening "$TMP/daemon.log" || { echo "bench/edit.sh: bpfilter daemon did not start" >&2; exit 1; }
		fi
		# bound: ~4 N changes of at most a few seconds each
		if ! timeout $((60 + 4 * CHANGES * 10)) ip netns exec "$NS" \
			bash "$TMP/inner.sh" "$BPFILTER" "$shape" "$k" "$CHANGES" "$verbose" >"$TMP/out"; then
			echo "bench/edit.sh: changes on $k $shape rules failed" >&2
			exit 1
		fi
		awk -v s="$shape" -v k="$k" -v p="$path" '{ printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", s, k, $1, p, $2, $3, $4, $5, $6, $7 }' \
			"$TMP/out" >>"$RAW"
		stop_daemon
		timeout 30 ip netns exec "$NS" "$BPFILTER" flush >/dev/null 2>&1 || true
		ip netns del "$NS"
		NS=""
	done
	done
done
unset BPFILTER_SEG_MIN

# median and p90 (nearest rank) per shape, K, kind
echo "shape,rules,kind,path,n,median_ms,p90_ms,parse_ms,compile_ms,programs_ms,state_ms,inc" >"$CSV"
for shape in $SHAPES; do
	for k in $RULES; do
		for kind in add insert delete replace all; do
		for path in $PATHS; do
			awk -F, -v s="$shape" -v k="$k" -v t="$kind" -v p="$path" '$1 == s && $2 == k && (t == "all" || $3 == t) && $4 == p' "$RAW" >"$TMP/sel"
			[[ -s $TMP/sel ]] || continue
			q() { # COLUMN FRACTION: nearest-rank quantile
				cut -d, -f"$1" "$TMP/sel" | grep -v nan | sort -g |
					awk -v f="$2" '{ a[NR] = $1 } END { if (!NR) { print "nan"; exit }
						r = int(f * NR + 0.999999); if (r < 1) r = 1; print a[r] }'
			}
			echo "$shape,$k,$kind,$path,$(wc -l <"$TMP/sel"),$(q 5 0.5),$(q 5 0.9),$(q 6 0.5),$(q 7 0.5),$(q 8 0.5),$(q 9 0.5),$(awk -F, '{ n += $10 } END { print n + 0 }' "$TMP/sel")" >>"$CSV"
		done
		done
	done
done

echo "== single-change latency (ms, one bpfilter command per change, $CHANGES changes per kind;"
echo "   load average at the start $LOAD0, at the end $(cut -d' ' -f1-3 /proc/loadavg);"
echo "   full/incr: the command's own process makes the change, daemon: bpfilter daemon does)"
echo "   median / p90 of the whole change; median parts: parse = state read + parse of the"
echo "   ruleset in force, compile = check + compile, progs = counters map + BPF_PROG_LOADs"
echo "   (the verifier), state = canonical text + state map; kind all = every change"
printf "%6s %6s %-8s %-6s %4s | %8s %8s | %6s %7s %7s %6s\n" shape rules kind path inc median p90 parse compile progs state
awk -F, 'NR > 1 { printf "%6s %6s %-8s %-6s %4s | %8.1f %8.1f | %6.1f %7.1f %7.1f %6.1f\n",
	$1, $2, $3, $4, $12, $6, $7, $8, $9, $10, $11 }' "$CSV"
echo "(CSV: $CSV, every change: $RAW)"
