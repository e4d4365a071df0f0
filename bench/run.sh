#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bpfilter benchmarks: `make bench` (as root) runs this in full mode; the
# test runner (tests/run.sh, `make check`) runs it in smoke mode. Prints
# tables, writes CSV files and gnuplot PNGs into $BENCH_OUT (default
# bench/results/), and ends with the issue-4 targets table (summary.csv).
# See bench/README.md for the method and doc/benchmarks.md for results.
#
#  1. Program cost (bench/cls.sh): ns/packet of the compiled program with
#     BPF_PROG_TEST_RUN for K = 1 .. 100,000 rules of shapes a (/32
#     sources), b (enterprise servers + 1 % general rules) and c (general
#     rules only, when bench/cls_cost has it), folded and linear, at the
#     netfilter hook, tc and XDP; baselines: an empty program, bpfilter's
#     program for no rule.
#  2. Side by side with real traffic (bench/e2e.sh): bpfilter at INPUT, tc
#     and XDP against iptables-legacy, iptables-nft, nftables linear and
#     with sets, shapes b and g, policies DROP and ACCEPT, interleaved
#     rounds, medians, filter cost above each tool's empty ruleset.
#  3. Apply time and kernel memory (bench/apply.sh), K up to 100,000, at
#     each hook.
#  4. Single-change latency (bench/edit.sh): one `bpfilter rule` change of
#     10,000 rules in force, shapes mixed and fold, through a bpfilter
#     daemon and by a process of its own, 20 changes per kind (about a
#     minute); BENCH_EDIT=full: edit.sh's own defaults (1,000 and 10,000
#     rules, paths full, incr and daemon, 50 changes per kind: 15 minutes
#     and more), BENCH_EDIT=0: skipped.
#  5. The targets: bench/summary.sh.
#
# Modes (BENCH_MODE): full (default; about 20 minutes on the 2-core
# development VM) or smoke (about a minute: small K, one round, few
# repeats, 2 changes per kind of 300 rules; fails when a bpfilter
# measurement fails). Every knob of the
# parts can still be set from the environment (see each script).
# Environment: BUILD (build dir, default build), BPFILTER (CLI path),
# BENCH_OUT, BENCH_MODE, BENCH_COMMIT (printed when the tree is not a git
# checkout), BENCH_CLS=0 / BENCH_E2E=0 / BENCH_APPLY=0 / BENCH_EDIT=0
# skip a part, BENCH_EDIT=full runs part 4 in full.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
export BUILD
export BPFILTER=${BPFILTER:-$BUILD/bpfilter}
export BENCH_OUT=${BENCH_OUT:-$ROOT/bench/results}
MODE=${BENCH_MODE:-full}
mkdir -p "$BENCH_OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/run.sh: needs root (BPF programs, network namespaces)" >&2
	exit 1
fi
for f in "$BPFILTER" "$BUILD/bench/cls_cost" "$BUILD/bench/prog_cost" "$BUILD/bench/pkt_cost"; do
	[[ -x "$f" ]] || { echo "bench/run.sh: $f not built (make BUILD=... bench-bins)" >&2; exit 1; }
done

case $MODE in
full) ;;
smoke)
	: "${BENCH_CLS_RULES:=1 100}" "${BENCH_CLS_LINEAR:=0}" "${BENCH_REPEAT:=1000}" "${BENCH_RUNS:=1}"
	: "${BENCH_E2E_SHAPES:=b}" "${BENCH_E2E_POLICIES:=drop}" "${BENCH_E2E_RULES:=0 100}"
	: "${BENCH_E2E_ROUNDS:=1}" "${BENCH_E2E_PACKETS:=2000}" "${BENCH_E2E_RUNS:=1}"
	: "${BENCH_APPLY_SHAPES:=b}" "${BENCH_APPLY_RULES:=100}" "${BENCH_APPLY_RUNS:=1}"
	: "${BENCH_APPLY_TOOLS:=bpfilter-nf bpfilter-tc bpfilter-xdp}"
	# segments start at 256 rules: 300 has them, and the daemon path
	: "${BENCH_EDIT_RULES:=300}" "${BENCH_EDIT_CHANGES:=2}"
	export BENCH_CLS_RULES BENCH_CLS_LINEAR BENCH_REPEAT BENCH_RUNS BENCH_E2E_SHAPES \
		BENCH_E2E_POLICIES BENCH_E2E_RULES BENCH_E2E_ROUNDS BENCH_E2E_PACKETS \
		BENCH_E2E_RUNS BENCH_APPLY_SHAPES BENCH_APPLY_RULES BENCH_APPLY_RUNS BENCH_APPLY_TOOLS \
		BENCH_EDIT_RULES BENCH_EDIT_CHANGES
	;;
*) echo "bench/run.sh: BENCH_MODE is full or smoke" >&2; exit 2 ;;
esac

echo "== bpfilter benchmarks ($MODE) on $(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
if commit=$(git -C "$ROOT" log -1 --format=%h 2>/dev/null); then
	dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l) || dirty="?"
	commit+=" ($dirty files changed in the tree)"
else
	commit=${BENCH_COMMIT:-"? (not a git tree)"}
fi
echo "   commit $commit; results in $BENCH_OUT"
echo

fail=0
part() { # NAME SCRIPT: run one part, note a failure, go on
	local t0=$SECONDS
	"$ROOT/bench/$2" || { echo "bench/run.sh: bench/$2 failed" >&2; fail=1; }
	echo "   ($1: $((SECONDS - t0)) s)"
	echo
}
[[ ${BENCH_CLS:-1} != 0 ]] && part "program cost" cls.sh
[[ ${BENCH_E2E:-1} != 0 ]] && part "side by side" e2e.sh
[[ ${BENCH_APPLY:-1} != 0 ]] && part "apply time" apply.sh
# part 4: the short variant unless BENCH_EDIT=full (edit.sh's defaults);
# edit.sh takes BUILD relative to the tree
case ${BENCH_EDIT:-1} in
0) ;;
full) BUILD=${BUILD#"$ROOT"/} part "edit latency" edit.sh ;;
*)
	BENCH_EDIT_RULES=${BENCH_EDIT_RULES:-10000} BENCH_EDIT_CHANGES=${BENCH_EDIT_CHANGES:-20} \
		BENCH_EDIT_PATHS=${BENCH_EDIT_PATHS:-incr daemon} \
		BUILD=${BUILD#"$ROOT"/} part "edit latency" edit.sh
	;;
esac

echo "== targets (issue 4), this run"
"$ROOT/bench/summary.sh" || fail=1

if [[ $MODE == smoke ]]; then
	# every bpfilter measurement must have produced a number
	bad=$(awk -F, 'FNR > 1 && $0 ~ /bpfilter/ && $0 ~ /(^|,)nan(,|$)/' \
		"$BENCH_OUT/e2e.csv" "$BENCH_OUT/apply.csv" 2>/dev/null | head -5)
	bad+=$(awk -F, 'FNR > 1 && $3 == "fold" && $6 == "nan"' "$BENCH_OUT/cls_cost.csv" 2>/dev/null | head -5)
	if [[ -n $bad ]]; then
		echo "bench/run.sh: smoke: bpfilter measurements failed:" >&2
		echo "$bad" >&2
		fail=1
	fi
fi
exit $fail
