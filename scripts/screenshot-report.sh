#!/usr/bin/env bash
# Writes docs/report.png: the HTML report of the example articles as headless Chromium
# draws it, so a person can look at it. Needs Debian's chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
target/release/kzstance report --out "$out/report.html" data/articles/*.txt
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$out/profile" --window-size=1200,1500 \
  --screenshot="$PWD/docs/report.png" "file://$out/report.html"
echo "wrote docs/report.png"
