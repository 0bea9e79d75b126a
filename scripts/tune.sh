#!/usr/bin/env bash
# Grid search over pipeline settings by 5-fold cross-validation on the training file only.
# Usage: scripts/tune.sh [data/stance.csv]   (prints one line per setting: macro-F1, accuracy)
set -euo pipefail
data=${1:-data/stance.csv}
bin=target/release/kzstance
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {
  local f1 acc
  json=$("$bin" train --data "$data" --out "$out/m.json" --format json "$@" 2>/dev/null)
  f1=$(grep -m1 '"macro_f1"' <<<"$json" | sed 's/.*: *//; s/,//')
  acc=$(grep -m1 '"accuracy"' <<<"$json" | sed 's/.*: *//; s/,//')
  printf 'macro-F1 %.4f  accuracy %.4f  %s\n' "$f1" "$acc" "$*"
}
for alpha in ${ALPHAS:-0.03 0.1 0.3 1 3}; do
  for min_df in ${MIN_DFS:-1 2 3}; do
    for ngrams in ${NGRAMS:-1 2}; do
      run --alpha "$alpha" --min-df "$min_df" --ngrams "$ngrams" ${EXTRA:-}
    done
  done
done
