#!/usr/bin/env bash
# Times several kzstance binaries on the same input, alternating them run by run so drift
# in the machine's speed hits all alike; prints each one's median wall and user seconds.
# Usage: [RUNS=9] [INPUT=corpus.jsonl] [THREADS=1] scripts/compare-builds.sh BIN...
# INPUT is JSONL ({"id", "text"} lines, e.g. from scripts/make_corpus.py); INPUT=/dev/null
# times start-up alone (loading the built-in model). Check that the binaries give identical
# output separately (`cmp`); this script only times them.
set -euo pipefail
RUNS=${RUNS:-9} INPUT=${INPUT:?set INPUT to a JSONL corpus or /dev/null} THREADS=${THREADS:-1}
[[ $# -ge 1 ]] || { echo "usage: [RUNS=9] INPUT=FILE [THREADS=1] $0 BIN..." >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((r = 0; r < RUNS; r++)); do
  for i in $(seq 0 $(($# - 1))); do
    bin=${@:$((i + 1)):1}
    t0=$(date +%s%N)
    /usr/bin/time -f %U -o "$work/user" "$bin" classify --format jsonl --input-format jsonl \
      --threads "$THREADS" <"$INPUT" >/dev/null
    t1=$(date +%s%N)
    echo "$(((t1 - t0) / 1000)) $(cat "$work/user")" >>"$work/$i"
  done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for i in $(seq 0 $(($# - 1))); do
  wall=$(cut -d' ' -f1 "$work/$i" | median)
  user=$(cut -d' ' -f2 "$work/$i" | median)
  printf "%s: median wall %.4f s, user %.2f s over %d runs\n" "${@:$((i + 1)):1}" \
    "$(awk -v w="$wall" 'BEGIN { print w / 1e6 }')" "$user" "$RUNS"
done
