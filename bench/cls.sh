#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Classification benchmark (run by bench/run.sh, or alone as root): program
# cost per packet with BPF_PROG_TEST_RUN for K rules of two shapes, with
# the fold pass (src/lib/opt/fold.c) and without it (linear code), at the
# netfilter hook and at XDP. See bench/cls_cost.c for the shapes and probes
# and doc/classification.md for the scheme.
#
# Writes bench/results/cls_cost.csv and cls_cost.png, prints a table.
#
# Also writes prog_base.csv: per attachment, the cost of an empty program
# (prog_cost -E) and of bpfilter's program for no rule (prog_cost K = 0).
#
# Environment: BUILD (default build), BENCH_OUT (default bench/results),
# BENCH_CLS_RULES (default "1 10 100 1000 10000 100000"),
# BENCH_CLS_SHAPES (default "a b c"; shapes cls_cost lacks are skipped),
# BENCH_CLS_LINEAR (default 1; 0: no linear series),
# BENCH_CLS_LINEAR_MAX (largest K tried as
# linear code, default 20000: beyond, the verifier's budget is exceeded),
# BENCH_REPEAT (default 100000), BENCH_RUNS (median of, default 5),
# BENCH_CLS_ATTACH (default "nf tc xdp").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
CLS=$BUILD/bench/cls_cost
PROG_COST=$BUILD/bench/prog_cost
RULES=${BENCH_CLS_RULES:-1 10 100 1000 10000 100000}
LINEAR_MAX=${BENCH_CLS_LINEAR_MAX:-20000}
REPEAT=${BENCH_REPEAT:-100000}
RUNS=${BENCH_RUNS:-5}
ATTACH=${BENCH_CLS_ATTACH:-nf tc xdp}
LINEAR=${BENCH_CLS_LINEAR:-1}
OUT=${BENCH_OUT:-$ROOT/bench/results}
mkdir -p "$OUT"

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/cls.sh: needs root (BPF programs)" >&2
	exit 1
fi
[[ -x "$CLS" ]] || { echo "bench/cls.sh: $CLS not built (make BUILD=$BUILD bench-bins)" >&2; exit 1; }

# shapes: a, b, and c (general rules only) when cls_cost has it
SHAPES=${BENCH_CLS_SHAPES:-a b c}
shapes=""
for shape in $SHAPES; do
	if "$CLS" -s "$shape" -r 1 -n 1 1 >/dev/null 2>&1; then
		shapes+=" $shape"
	else
		echo "bench/cls.sh: cls_cost has no shape $shape: skipped" >&2
	fi
done
csv=$OUT/cls_cost.csv
echo "shape,attach,mode,rules,case,ns_per_pkt,insns,compile_ms,load_ms,memlock_kb,folded" >"$csv"
for shape in $shapes; do
	for attach in $ATTACH; do
		# more than 1,000 rules may cost microseconds per run: a tenth
		# of the repeats there (a mean over 10,000 runs is precise enough)
		small="" large="" lin="" big=""
		for k in $RULES; do
			((k <= 1000)) && small+=" $k"
			((k > 1000)) && large+=" $k"
		done
		# shellcheck disable=SC2086
		[[ -n "$small" ]] && { timeout 1800 "$CLS" -s "$shape" -a "$attach" -r "$REPEAT" -n "$RUNS" $small >>"$csv" ||
			echo "bench/cls.sh: cls_cost -s $shape -a $attach failed" >&2; }
		# shellcheck disable=SC2086
		[[ -n "$large" ]] && { timeout 1800 "$CLS" -s "$shape" -a "$attach" -r $((REPEAT / 10 + 1)) -n "$RUNS" $large >>"$csv" ||
			echo "bench/cls.sh: cls_cost -s $shape -a $attach failed" >&2; }
		# the fold pass alone (no bit-vector classifier), when cls_cost
		# has -B: shapes b and c, where the classifier works
		if [[ $shape != a ]] && "$CLS" -B -s "$shape" -r 1 -n 1 1 >/dev/null 2>&1; then
			# shellcheck disable=SC2086
			[[ -n "$small" ]] && { timeout 1800 "$CLS" -B -s "$shape" -a "$attach" -r "$REPEAT" -n "$RUNS" $small >>"$csv" ||
				echo "bench/cls.sh: cls_cost -B -s $shape -a $attach failed" >&2; }
			# shellcheck disable=SC2086
			[[ -n "$large" ]] && { timeout 1800 "$CLS" -B -s "$shape" -a "$attach" -r $((REPEAT / 10 + 1)) -n "$RUNS" $large >>"$csv" ||
				echo "bench/cls.sh: cls_cost -B -s $shape -a $attach failed" >&2; }
		fi
		((LINEAR)) || continue
		for k in $RULES; do
			((k <= 1000)) && lin+=" $k"
			((k > 1000 && k <= LINEAR_MAX)) && big+=" $k"
		done
		# shellcheck disable=SC2086
		[[ -n "$lin" ]] && { timeout 1800 "$CLS" -s "$shape" -a "$attach" -L -r "$REPEAT" -n "$RUNS" $lin >>"$csv" ||
			echo "bench/cls.sh: cls_cost -s $shape -a $attach -L failed" >&2; }
		# shellcheck disable=SC2086
		[[ -n "$big" ]] && { timeout 1800 "$CLS" -s "$shape" -a "$attach" -L -r $((REPEAT / 10 + 1)) -n "$RUNS" $big >>"$csv" ||
			echo "bench/cls.sh: cls_cost -s $shape -a $attach -L failed" >&2; }
	done
done

# Baselines of the program cost, per attachment: an empty program (two
# instructions returning pass: what BPF_PROG_TEST_RUN costs by itself) and
# bpfilter's program for an empty ruleset (policy only: the prologue).
bcsv=$OUT/prog_base.csv
echo "attach,rules,case,ns_per_pkt,insns,compile_ms,load_ms" >"$bcsv"
for attach in $ATTACH; do
	"$PROG_COST" -E -a "$attach" -r "$REPEAT" -n "$RUNS" 0 >>"$bcsv" || echo "bench/cls.sh: prog_cost -E -a $attach failed" >&2
	"$PROG_COST" -a "$attach" -r "$REPEAT" -n "$RUNS" 0 >>"$bcsv" || echo "bench/cls.sh: prog_cost -a $attach 0 failed" >&2
done

echo "== classification: program cost (BPF_PROG_TEST_RUN, repeat $REPEAT, median of $RUNS)"
echo "   a: K distinct /32 sources; b: enterprise-servers shape with 1 % general rules (bench/cls_cost.c)"
echo "   last: packet matching only the last rule; none: matching no rule; (x) = ratio to K = 1"
echo "   fold = as compiled by default (fold pass, bit-vector classifier); nolbvs = fold pass only; linear = neither"
echo "   '-' = not run or not loadable"
awk -F, 'NR == 1 { next }
	{ key = $1 "," $2 "," $3; v[key, $4, $5] = $6; ins[key, $4] = $7; mem[key, $4] = $10
	  ld[key, $4] = $9; fo[key, $4] = $11
	  if (!(key in seenk)) { seenk[key] = 1; keys[nk++] = key }
	  if (!($4 in seenr)) { seenr[$4] = 1; rules[nr++] = $4 } }
	END {
		for (i = 0; i < nk; i++) { k = keys[i]; split(k, p, ",")
			printf "\n   shape %s, %s, %s\n", p[1], p[2], p[3]
			printf "%8s | %15s %15s | %8s %8s %9s %8s\n", "rules", "last ns (x)", "none ns (x)",
				"insns", "folded", "load ms", "mem KB"
			b1 = v[k, rules[0], "last"]; b2 = v[k, rules[0], "none"]
			for (j = 0; j < nr; j++) { r = rules[j]
				if (!((k, r, "last") in v)) continue
				a1 = v[k, r, "last"]; a2 = v[k, r, "none"]
				s1 = (a1 != "nan" && b1 + 0 > 0) ? sprintf("%7s (%5.1fx)", a1, a1 / b1) : sprintf("%15s", "-")
				s2 = (a2 != "nan" && b2 + 0 > 0) ? sprintf("%7s (%5.1fx)", a2, a2 / b2) : sprintf("%15s", "-")
				printf "%8s | %15s %15s | %8s %8s %9s %8s\n", r, s1, s2, ins[k, r], fo[k, r], ld[k, r], mem[k, r]
			}
		}
	}' "$csv"
echo "   (CSV: ${csv#"$ROOT"/})"
echo "== baselines (BPF_PROG_TEST_RUN, ns/packet): empty program; bpfilter with no rule (prologue + policy)"
awk -F, 'NR > 1 && $3 == "none" { printf "   %-10s %6s ns\n", $1, $4 }' "$bcsv"

if command -v gnuplot >/dev/null; then
	TMP=$(mktemp -d /tmp/bf-cls.XXXXXX)
	trap 'rm -rf "$TMP"' EXIT
	plots=""
	for shape in $shapes; do
		for attach in $ATTACH; do
			for mode in fold nolbvs linear; do
				awk -F, -v s=$shape -v a=$attach -v m=$mode \
					'$1 == s && $2 == a && $3 == m && $5 == "last" && $6 != "nan" { print $4, $6 }' \
					"$csv" >"$TMP/$shape-$attach-$mode.dat"
				[[ -s "$TMP/$shape-$attach-$mode.dat" ]] &&
					plots+="${plots:+, }'$TMP/$shape-$attach-$mode.dat' using 1:2 with linespoints title '$shape $attach $mode'"
			done
		done
	done
	gnuplot <<-GP
		set terminal pngcairo size 900,560 noenhanced
		set output '$OUT/cls_cost.png'
		set title 'program cost per packet, packet matching the last rule (BPF_PROG_TEST_RUN)'
		set xlabel 'rules'
		set ylabel 'ns per packet'
		set logscale xy
		set grid
		set key top left
		plot $plots
	GP
	echo "== plot: ${OUT#"$ROOT"/}/cls_cost.png"
fi
