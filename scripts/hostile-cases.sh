#!/usr/bin/env bash
# Prints, as a Markdown table, every hostile input case of docs/TESTING.md with the exit
# code and the message a user sees. Usage: scripts/hostile-cases.sh > /tmp/cases.md
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/kzstance
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
good() { printf 'text,label\nMoscow sent troops,a\nAstana abstained,b\nKyiv got aid,c\nMoscow again,a\nAstana again,b\nKyiv again,c\n'; }
case_row() { # description, then the command
  local what=$1; shift
  local err code
  err=$("$@" 2>&1 >/dev/null)
  code=$?
  # The error line when there is one (a warning may come first), else the first line.
  err=$(grep -m1 'error' <<<"$err" || head -n1 <<<"$err")
  printf '| %s | %s | `%s` |\n' "$what" "$code" "${err//|/\\|}"
}
train() { local data=$1; shift; "$bin" train --data "$data" --out model.json --folds 2 --min-df 1 "$@"; }
echo '| case | exit | message |'
echo '| --- | --- | --- |'
case_row "training CSV missing" train missing.csv
: >empty.csv; case_row "training CSV empty (no header)" train empty.csv
printf 'id,sentence,stance\n1,a,b\n' >cols.csv; case_row "no text/label column" train cols.csv
printf 'text;label\nfine;a\n' >semi.csv; case_row "semicolon-separated CSV" train semi.csv
printf 'text,label\nfine,a\n  ,b\n' >notext.csv; case_row "empty text" train notext.csv
printf 'text,label\nfine,a\nalso,\n' >nolabel.csv; case_row "empty label" train nolabel.csv
printf 'text,label\na,x\nb,x\n' >one.csv; case_row "a single class" train one.csv
printf 'text,label\na,x\nb,x\nc,x\nd,y\n' >few.csv; case_row "fewer rows of a class than folds" "$bin" train --data few.csv --out m.json --folds 3
good >good.csv; case_row "a solver setting out of range" train good.csv --tolerance 0
printf 'text,label\nfine,a\nextra,b,c\n' >ragged.csv; case_row "ragged row" train ragged.csv
printf 'text,label\nfine,a\nbad \xc3\x28 bytes,b\n' >bad.csv; case_row "invalid UTF-8 in the CSV" train bad.csv
printf 'text,label\n' >header.csv; case_row "header but no rows" train header.csv
{ good; good | tail -n +2; } >dup.csv; case_row "duplicate rows (warning, trains)" train dup.csv
good >g.csv; case_row "output directory missing" "$bin" train --data g.csv --out nowhere/m.json --folds 2 --min-df 1
case_row "output path names an input" "$bin" train --data g.csv --out g.csv
printf 'Astana abstained.' >a.txt; printf 'id,text,label\n1,Astana abstained.,neutral_balancing\n' >next.csv; case_row "suggest over labels being filled in" "$bin" suggest --out next.csv a.txt
case_row "article file missing" "$bin" classify nope.txt
mkdir -p emptydir; case_row "directory without *.txt" "$bin" classify emptydir
printf 'Astana abstained. \xff\xfe broken' >bad.txt; case_row "invalid UTF-8 in an article" "$bin" classify bad.txt
printf '{"id": 1, "text": "ok"}\nnot json\n' >bad.jsonl; case_row "bad JSONL input line" "$bin" classify --input-format jsonl bad.jsonl
case_row "model file missing" "$bin" classify --model absent.json empty.csv
good >g.csv; train g.csv >/dev/null 2>&1
head -c 500 model.json >truncated.json; case_row "model: truncated JSON" "$bin" classify --model truncated.json g.csv
echo '{"hello": [1, 2, 3]}' >other.json; case_row "model: JSON of another shape" "$bin" classify --model other.json g.csv
sed 's/"kzstance-model"/"something-else"/' model.json >format.json; case_row "model: unknown format" "$bin" classify --model format.json g.csv
sed -E 's/"version":[0-9]+/"version":99/' model.json >version.json; case_row "model: unknown version" "$bin" classify --model version.json g.csv
python3 -c "import json; m=json.load(open('model.json')); m['classifier']['weights'][0].pop(); json.dump(m, open('dims.json','w'))"
case_row "model: weights disagree with vocabulary" "$bin" classify --model dims.json g.csv
sed 's/"intercepts":\[/"intercepts":[NaN,/' model.json >nan.json; case_row "model: NaN" "$bin" classify --model nan.json g.csv
sed 's/"intercepts":\[/"intercepts":[1e999,/' model.json >inf.json; case_row "model: infinite number" "$bin" classify --model inf.json g.csv
case_row "evaluate: group column missing" "$bin" evaluate --data g.csv --group-column outlet
printf 'text,label\nAstana abstained,neutral_balancing\nAstana refused,Pro-Independence\n' >spelt.csv; case_row "evaluate: a label the model lacks" "$bin" evaluate --data spelt.csv
case_row "evaluate: predictions directory missing" "$bin" evaluate --model model.json --data g.csv --predictions nowhere/p.csv
case_row "train: group column missing" "$bin" train --data g.csv --out gm.json --group-column outlet
case_row "train: second --data file missing" "$bin" train --data g.csv --data mine.csv --out two.json
printf 'help, aid\n\nassist, aids\n' >syn.txt; case_row "train: a synonym lexicon with a word in two groups" "$bin" train --data g.csv --out syn.json --synonyms syn.txt
printf 'text,label\nMoscow sent more troops,a\nMoscow wins,a\nMoscow leads,a\nMoscow rules,a\nAstana waits,b\nAstana hedges,b\nAstana balances,b\nAstana abstains,b\nKyiv thanks Astana,c\nKyiv gets tents,c\nKyiv gets food,c\nKyiv gets fuel,c\nKyiv once more,cc\n' >typo.csv; case_row "a misspelt label (refused: too few to fold)" "$bin" train --data g.csv --data typo.csv --out two.json
case_row "a misspelt label (warning, trains without folds)" "$bin" train --data g.csv --data typo.csv --out two.json --folds 0 --min-df 1
case_row "bad usage (unknown format)" "$bin" classify --format yaml
