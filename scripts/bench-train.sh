#!/usr/bin/env bash
# Training time: the shipped model's `kzstance train` command (5-fold cross-validation of
# data/stance.csv with the article file as --fit-only rows, alpha 0.5, then the final fit),
# RUNS times; median wall clock and peak RSS. Where scikit-learn and PyStemmer are
# installed, times the same job in scikit-learn in the same run (scripts/peer_train.py).
# FIT_ONLY= (empty) and ALPHA=0.1 time the written file alone with train's defaults;
# SYNONYMS= (empty) times it without the synonym lexicon (the scikit-learn peer has none:
# folding synonyms is work kzstance does on top).
# LINFA=1 also times one run of the dense reference solver (`--solver linfa
# --max-iterations 50`, minutes and about 2 GB).
# Usage: RUNS=5 [FIT_ONLY=FILE] [ALPHA=A] scripts/bench-train.sh [data/stance.csv]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-data/stance.csv}
runs=${RUNS:-5}
fit_only=${FIT_ONLY-data/stance-articles.csv}
alpha=${ALPHA:-0.5}
synonyms=${SYNONYMS-data/synonyms.txt}
# The same options mean the same thing to kzstance train and to scripts/peer_train.py.
recipe=(--alpha "$alpha")
if [ -n "$fit_only" ]; then
  recipe+=(--fit-only "$fit_only")
fi
own=()
if [ -n "$synonyms" ]; then
  own+=(--synonyms "$synonyms")
fi
cargo build --release --quiet
bin=target/release/kzstance
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
times=()
for run in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" train --data "$data" "${recipe[@]}" \
    "${own[@]}" --out "$work/model.json" --format json >"$work/cv.json" 2>/dev/null
  read -r wall rss <"$work/time"
  times+=("$wall")
  echo "kzstance run $run: $wall s, peak RSS $((rss / 1024)) MB"
done
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
f1=$(grep -m1 '"macro_f1"' "$work/cv.json" | sed 's/.*: *//; s/,//')
echo "kzstance train: median $median s over $runs runs, 5-fold macro-F1 $f1"
if [ "${LINFA:-0}" = 1 ]; then
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" train --data "$data" --out "$work/linfa.json" \
    --solver linfa --max-iterations 50 --format json >"$work/linfa-cv.json" 2>/dev/null
  read -r wall rss <"$work/time"
  f1=$(grep -m1 '"macro_f1"' "$work/linfa-cv.json" | sed 's/.*: *//; s/,//')
  echo "kzstance train --solver linfa --max-iterations 50: $wall s, peak RSS $((rss / 1024)) MB, 5-fold macro-F1 $f1"
fi
if python3 scripts/peer_train.py --data "$data" "${recipe[@]}" --runs "$runs" --jobs "$(nproc)" >"$work/peer" 2>"$work/peer-err"; then
  cat "$work/peer"
  peer=$(tail -1 "$work/peer" | sed 's/.*median \([0-9.]*\) s.*/\1/')
  awk -v p="$peer" -v k="$median" 'BEGIN {printf "kzstance trains %.1fx faster than scikit-learn\n", p / k}'
else
  echo "scikit-learn peer not run: $(tail -1 "$work/peer-err")"
fi
