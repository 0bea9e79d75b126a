#!/usr/bin/env bash
# Reproducible throughput benchmark of `kzstance classify`, with Python peers if installed.
# Usage: [ARTICLES=5000] [RUNS=5] [SEED=42] scripts/bench.sh
# Builds a seeded corpus (scripts/make_corpus.py), times the release binary on it with
# 1 thread and with all cores (median of RUNS; MB = 10^6 bytes of JSONL input), checks
# that both give identical output, times the peers (scripts/peers.py), records the
# shipped model's macro-F1 on data/stance-test.csv and prints a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${ARTICLES:-5000} RUNS=${RUNS:-5} SEED=${SEED:-42}
bin=target/release/kzstance
cores=$(nproc)

cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load average $(cut -d" " -f1-3 /proc/loadavg)"
echo "settings: ARTICLES=$ARTICLES RUNS=$RUNS SEED=$SEED"
python3 scripts/make_corpus.py "$work" --articles "$ARTICLES" --seed "$SEED"
corpus=$work/corpus.jsonl
mb=$(awk -v b="$(stat -c %s "$corpus")" 'BEGIN { printf "%.6f", b / 1e6 }')

# Same output whatever the thread count; the sentence count comes from the aggregates.
"$bin" classify --format jsonl --input-format jsonl --threads 1 <"$corpus" >"$work/out1.jsonl"
"$bin" classify --format jsonl --input-format jsonl --threads "$cores" <"$corpus" >"$work/outN.jsonl"
if cmp -s "$work/out1.jsonl" "$work/outN.jsonl"; then
  echo "output check: --threads 1 and --threads $cores give identical output"
else
  echo "output check: FAILED, --threads 1 and --threads $cores differ" >&2
  exit 1
fi
sentences=$(python3 -c 'import json, sys; print(sum(json.loads(l)["aggregate"]["sentences"] for l in sys.stdin))' <"$work/out1.jsonl")
rm -f "$work"/out*.jsonl
echo "sentences: $sentences"

# run_once THREADS: prints "seconds peak_rss_kb" for one classify run.
run_once() {
  local cmd=("$bin" classify --format jsonl --input-format jsonl --threads "$1")
  if [[ -x /usr/bin/time ]]; then
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" <"$corpus" >/dev/null
    t1=$(date +%s%N)
    echo "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }') $(tail -n1 "$work/rss")"
  else # no GNU time: the kernel's ru_maxrss of the child is the same figure
    python3 -c 'import resource, subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(f"{time.perf_counter() - t:.4f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")' \
      "${cmd[@]}" <"$corpus"
  fi
}

# Alternate 1-thread and all-core runs so background load hits both alike.
for ((i = 0; i < RUNS; i++)); do
  run_once 1 >>"$work/t1"
  run_once "$cores" >>"$work/tN"
done
# median FILE: prints "median_seconds peak_rss_kb" of the "seconds rss_kb" lines in FILE.
median() {
  sort -g "$1" | awk '{ s[NR] = $1; if ($2 > rss) rss = $2 }
    END { m = NR % 2 ? s[(NR + 1) / 2] : (s[NR / 2] + s[NR / 2 + 1]) / 2; print m, rss }'
}
read -r k1_s k1_rss < <(median "$work/t1")
read -r kn_s kn_rss < <(median "$work/tN")
echo "kzstance --threads 1: median $k1_s s, peak RSS $((k1_rss / 1024)) MB; runs (s):" $(cut -d' ' -f1 "$work/t1")
echo "kzstance --threads $cores: median $kn_s s, peak RSS $((kn_rss / 1024)) MB; runs (s):" $(cut -d' ' -f1 "$work/tN")

peers_tsv=$work/peers.tsv
if python3 -c 'import sklearn, fasttext, Stemmer' 2>/dev/null; then
  python3 scripts/peers.py "$corpus" --runs "$RUNS" --tsv "$peers_tsv"
else
  echo "peers skipped: python3 cannot import sklearn, fasttext and Stemmer;" \
    "to include them: pip install scikit-learn fasttext-numpy2 PyStemmer"
fi

# The shipped model must score exactly as recorded when it was trained: speed work may
# not change a single prediction.
"$bin" evaluate --data data/stance-test.csv --format json >"$work/figures.json"
if python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
  "$work/figures.json" models/stance-test-figures.json; then
  figures_check="identical to models/stance-test-figures.json"
else
  echo "figures check: FAILED, data/stance-test.csv figures differ from models/stance-test-figures.json" >&2
  exit 1
fi
macro_f1=$(python3 -c 'import json, sys; print("%.4f" % json.load(open(sys.argv[1]))["macro_f1"])' "$work/figures.json")

echo
printf "corpus: %s articles, %s sentences, %.2f MB; medians of %s runs\n" "$ARTICLES" "$sentences" "$mb" "$RUNS"
awk -F'\t' -v mb="$mb" -v n="$sentences" -v k1="$k1_s" -v kn="$kn_s" -v cores="$cores" \
  -v r1="$k1_rss" -v rn="$kn_rss" '
  function row(tool, threads, s, sps, rss) {
    printf "%-22s %7s %9.2f %8.2f %12.0f %9s %10.2fx %10.2fx\n", tool, threads, s, mb / s, sps, rss, s / k1, s / kn
  }
  BEGIN {
    printf "%-22s %7s %9s %8s %12s %9s %11s %11s\n", "tool", "threads", "median s", "MB/s", "sentences/s", "RSS MB", "kz1t/tool", "kzNt/tool"
    row("kzstance", 1, k1, n / k1, int(r1 / 1024))
    row("kzstance", cores, kn, n / kn, int(rn / 1024))
  }
  { row($1, 1, $2, $4, "-") }
  END { printf "speedup kzstance %d threads / 1 thread: %.2fx\n", cores, k1 / kn }
' "$([[ -f $peers_tsv ]] && echo "$peers_tsv" || echo /dev/null)"
echo "shipped model on data/stance-test.csv: macro_f1 $macro_f1, $figures_check"
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine skews the all-core figure)"
