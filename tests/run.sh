#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Test runner behind `make check`. Runs every test binary built under
#   $BUILD/tests/{unit,prog,e2e,diff}/      (the normal build)
#   $ASAN_BUILD/tests/{unit,prog}/          (ASan + UBSan build, `make asan`)
# the libFuzzer target $FUZZ_BUILD/fuzz_ipt for a short time, a smoke run of
# the benchmark driver and the demo (scripts/demo.sh), each under a timeout,
# and adds up the cmocka results of all of them (a binary without cmocka
# output counts as one test, passed if it exits 0).
#
# The last line printed is "N passed, N failed, N skipped". The exit status
# is non-zero when anything failed, or when BF_REQUIRE_KERNEL_TESTS=1 and
# anything was skipped.
#
# Environment (all optional):
#   BUILD, ASAN_BUILD, FUZZ_BUILD   build directories (as in the Makefile)
#   BF_TEST_FILTER                  only run binaries whose path contains it
#   BF_TEST_TIMEOUT                 seconds per binary (default per kind)
#   BF_FUZZ_TIME                    seconds of fuzzing (default 20, 0 = skip)
#   BF_TEST_VERBOSE=1               print whole logs, however long
#   BF_SKIP_DEMO=1                  do not run scripts/demo.sh
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

BUILD=${BUILD:-build}
if [[ "$BUILD" == build ]]; then
	ASAN_BUILD=${ASAN_BUILD:-build/asan}
	FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
else
	ASAN_BUILD=${ASAN_BUILD:-$BUILD-asan}
	FUZZ_BUILD=${FUZZ_BUILD:-$BUILD-fuzz}
fi
FILTER=${BF_TEST_FILTER:-}
FUZZ_TIME=${BF_FUZZ_TIME:-20}
LOGDIR="$BUILD/test-logs"
MAX_LINES=150 # print logs up to this long whole, else the path and a tail

export BF_ROOT="$ROOT"
# The CLI that e2e/diff tests drive (bftest.h: bft_bpfilter_bin()).
export BF_BIN="${BF_BIN:-$ROOT/$BUILD/bpfilter}"
# Abort on the first UBSan report, with a stack; leaks are errors.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
ASAN_OPTS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"

total_pass=0
total_fail=0
total_skip=0
declare -a failed_bins=()
declare -a groups=()
declare -A g_pass=() g_fail=() g_skip=() g_bins=() g_secs=()
declare -a skipped_bins=()

have() { command -v "$1" >/dev/null 2>&1; }

# default timeout (seconds) for one binary of a kind
timeout_for() {
	if [[ -n "${BF_TEST_TIMEOUT:-}" ]]; then
		echo "$BF_TEST_TIMEOUT"
		return
	fi
	case "$1" in
	unit) echo 300 ;;
	prog) echo 600 ;;
	e2e) echo 900 ;;
	diff) echo 1800 ;;
	*) echo 600 ;;
	esac
}

show_log() {
	local log=$1 n
	n=$(wc -l <"$log")
	if [[ "${BF_TEST_VERBOSE:-0}" == 1 ]] || ((n <= MAX_LINES)); then
		cat "$log"
	else
		echo "... ($n lines, full log: $log; failures and last 60 lines below)"
		grep -E '^\[  (FAILED|ERROR)  \]|^\[   LINE   \]|Sanitizer|runtime error:' "$log" | head -n 40
		echo "..."
		tail -n 60 "$log"
	fi
}

# sum the N of every line "[  TAG  ] [group: ]N test(s)" in a log
sum_tag() {
	local tag=$1 log=$2
	sed -nE "s/^\[  ${tag} *\] ([^ ].*: )?([0-9]+) test\(s\).*/\2/p" "$log" |
		awk '{ s += $1 } END { print s + 0 }'
}

# run_one LABEL TIMEOUT LOG CMD...: run, print, account
run_one() {
	local label=$1 tmo=$2 log=$3
	shift 3
	local rc start end pass fail skip summaries note=""

	mkdir -p "$(dirname "$log")"
	echo "=== $label"
	start=$EPOCHREALTIME
	timeout --kill-after=10 "$tmo" "$@" </dev/null >"$log" 2>&1
	rc=$?
	end=$EPOCHREALTIME

	pass=$(sum_tag PASSED "$log")
	fail=$(sum_tag FAILED "$log")
	skip=$(sum_tag SKIPPED "$log")
	summaries=$(grep -cE '^\[  (PASSED|FAILED|SKIPPED) *\] ([^ ].*: )?[0-9]+ test\(s\)' "$log")

	if ((rc == 124 || rc == 137)); then
		note="timed out after ${tmo}s"
	elif grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
		note="sanitizer report"
	elif grep -q 'LeakSanitizer has encountered a fatal error' "$log"; then
		note="LeakSanitizer could not run (ptrace denied?)"
	elif ((rc != 0 && fail == 0)); then
		note="exit status $rc without a failed test (crash?)"
	elif ((summaries == 0)); then
		# Not a cmocka binary, or it died before its summary.
		if ((rc == 0)); then
			pass=1
		else
			note="exit status $rc"
		fi
	fi
	if [[ -n "$note" ]]; then
		fail=$((fail + 1))
	fi

	show_log "$log"
	printf -- '--- %s: %d passed, %d failed, %d skipped (exit %d, %.1fs)%s\n\n' \
		"$label" "$pass" "$fail" "$skip" "$rc" \
		"$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
		"${note:+ [$note]}"

	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	# per-group totals for the summary table ("build/e2e", "asan/unit", ...)
	local group=${label%% *}
	[[ "$group" == */*/* ]] && group=${group%/*}
	if [[ -z "${g_pass[$group]+x}" ]]; then
		groups+=("$group")
		g_pass[$group]=0 g_fail[$group]=0 g_skip[$group]=0 g_bins[$group]=0 g_secs[$group]=0
	fi
	g_pass[$group]=$((g_pass[$group] + pass))
	g_fail[$group]=$((g_fail[$group] + fail))
	g_skip[$group]=$((g_skip[$group] + skip))
	g_bins[$group]=$((g_bins[$group] + 1))
	g_secs[$group]=$(awk -v a="${g_secs[$group]}" -v s="$start" -v e="$end" 'BEGIN { print a + e - s }')
	((fail > 0)) && failed_bins+=("$label${note:+ ($note)}")
	((skip > 0)) && skipped_bins+=("$label")
	return 0
}

run_dir() {
	local build=$1 kind=$2 prefix=$3 bin name tmo
	local -a cmd
	[[ -d "$build/tests/$kind" ]] || return 0
	while IFS= read -r bin; do
		[[ -z "$FILTER" || "$bin" == *"$FILTER"* ]] || continue
		name=${bin#"$build"/tests/}
		tmo=$(timeout_for "$kind")
		cmd=("$bin")
		if [[ "$prefix" == asan ]]; then
			tmo=$((tmo * 2))
			cmd=(env "ASAN_OPTIONS=$ASAN_OPTS${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
				"BF_BIN=$ROOT/$build/bpfilter" "$bin")
		elif have stdbuf; then
			# line-buffer stdout so the log interleaves as it ran
			cmd=(stdbuf -oL -eL "$bin")
		fi
		run_one "$prefix/$name" "$tmo" "$LOGDIR/$prefix/$name.log" "${cmd[@]}"
	done < <(find "$build/tests/$kind" -maxdepth 1 -type f -perm -u+x | sort)
}

echo "bpfilter tests: build=$BUILD asan=$ASAN_BUILD fuzz=$FUZZ_BUILD" \
	"BF_REQUIRE_KERNEL_TESTS=${BF_REQUIRE_KERNEL_TESTS:-0} (uid $(id -u), kernel $(uname -r))"
echo

for kind in unit prog e2e diff; do
	run_dir "$BUILD" "$kind" build
done
for kind in unit prog; do
	run_dir "$ASAN_BUILD" "$kind" asan
done

# libFuzzer: the first corpus directory is a scratch one that libFuzzer may
# write to; the shared corpus is read in place as seeds (read-only there).
fuzz_bin="$FUZZ_BUILD/fuzz_ipt"
if [[ -n "$FILTER" && "fuzz/fuzz_ipt" != *"$FILTER"* ]]; then
	:
elif [[ -x "$fuzz_bin" && "$FUZZ_TIME" != 0 ]]; then
	scratch="$FUZZ_BUILD/corpus"
	artifacts="$FUZZ_BUILD/artifacts"
	mkdir -p "$scratch" "$artifacts"
	seeds=()
	corpus=${BF_CORPUS:-$ROOT/../shared/corpus}
	for d in "$corpus/rulesets" "$corpus/iptables-t" tests/fuzz/seeds; do
		[[ -d "$d" ]] && seeds+=("$d")
	done
	((${#seeds[@]})) || echo "note: no seed corpus found (looked in $corpus)"
	dict=""
	[[ -f tests/fuzz/ipt.dict ]] && dict=tests/fuzz/ipt.dict
	run_one "fuzz/fuzz_ipt (${FUZZ_TIME}s)" $((FUZZ_TIME + 120)) \
		"$LOGDIR/fuzz/fuzz_ipt.log" \
		env "ASAN_OPTIONS=$ASAN_OPTS${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		"$fuzz_bin" -max_total_time="$FUZZ_TIME" -timeout=10 \
		-rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
		${dict:+-dict="$dict"} \
		-artifact_prefix="$artifacts/" "$scratch" "${seeds[@]}"
elif [[ "$FUZZ_TIME" == 0 ]]; then
	echo "note: fuzzing disabled (BF_FUZZ_TIME=0)"
elif grep -qs 'bf_ipt_fuzz_one' include/bpfilter/front_ipt.h; then
	echo "=== fuzz/fuzz_ipt"
	echo "--- fuzz/fuzz_ipt: not built although bf_ipt_fuzz_one() exists (run: make fuzz)"
	total_fail=$((total_fail + 1))
	failed_bins+=("fuzz/fuzz_ipt (not built)")
else
	echo "note: fuzz/fuzz_ipt not built: bf_ipt_fuzz_one() is not in the library yet"
fi

# Smoke runs of the benchmark driver (verdicts are checked, few repeats)
# and of the demo (every probe must behave as expected): both need root.
# skip_one LABEL REASON: count one skipped test
skip_one() {
	echo "=== $1"
	echo "--- $1: skipped: $2"
	echo
	total_skip=$((total_skip + 1))
	skipped_bins+=("$1")
}
want() { [[ -z "$FILTER" || "$1" == *"$FILTER"* ]]; }
if want bench/prog_cost; then
	if [[ ! -x "$BUILD/bench/prog_cost" ]]; then
		echo "note: $BUILD/bench/prog_cost not built (make bench-bins): not run"
	elif [[ $(id -u) -ne 0 ]]; then
		skip_one "bench/prog_cost (smoke)" "needs root"
	else
		for a in nf tc xdp; do
			run_one "bench/prog_cost -a $a (smoke)" 300 "$LOGDIR/bench/prog_cost-$a.log" \
				"$BUILD/bench/prog_cost" -a "$a" -r 1000 -n 1 -H 1 100
		done
		# the whole driver, reduced (about half a minute): every part
		# runs, results go to the log directory, not bench/results
		run_one "bench/run.sh (smoke)" 300 "$LOGDIR/bench/run-smoke.log" \
			env BENCH_MODE=smoke BENCH_OUT="$ROOT/$LOGDIR/bench/results" \
			BUILD="$BUILD" BPFILTER="$ROOT/$BUILD/bpfilter" bench/run.sh
	fi
fi
if want demo && [[ "${BF_SKIP_DEMO:-0}" == 0 ]]; then
	if [[ $(id -u) -ne 0 ]]; then
		skip_one "scripts/demo.sh" "needs root"
	elif [[ ! -x "$BUILD/bpfilter" ]]; then
		echo "note: $BUILD/bpfilter not built: demo not run"
	else
		run_one "scripts/demo.sh" 600 "$LOGDIR/demo.log" \
			env BPFILTER="$ROOT/$BUILD/bpfilter" scripts/demo.sh
	fi
fi

echo
echo "=== summary"
printf '%-22s %5s %7s %7s %8s %8s\n' group binaries passed failed skipped seconds
for g in "${groups[@]}"; do
	printf '%-22s %5d %7d %7d %8d %8.1f\n' "$g" "${g_bins[$g]}" "${g_pass[$g]}" \
		"${g_fail[$g]}" "${g_skip[$g]}" "${g_secs[$g]}"
done
if ((${#failed_bins[@]})); then
	printf 'FAILED: %s\n' "${failed_bins[@]}"
fi
if ((${#skipped_bins[@]})); then
	printf 'with skipped tests: %s\n' "${skipped_bins[@]}"
fi
status=0
if ((total_fail > 0)); then
	status=1
fi
if ((total_skip > 0)) && [[ "${BF_REQUIRE_KERNEL_TESTS:-0}" != 0 && -n "${BF_REQUIRE_KERNEL_TESTS:-}" ]]; then
	echo "error: $total_skip test(s) skipped under BF_REQUIRE_KERNEL_TESTS=1"
	status=1
fi
if ((total_pass + total_fail + total_skip == 0)); then
	echo "error: no test ran (nothing built under $BUILD/tests?)"
	status=1
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $status
