#!/usr/bin/env python3
"""Cross-validation that holds out whole writing batches instead of random rows.

Usage: python3 scripts/grouped_cv.py [--data data/stance.csv] [--folds 5] [-- TRAIN-OPTIONS...]

Random 5-fold cross-validation scores a model on rows written by the same writers, in the
same voices, as rows it trained on. Real articles come from writers the model has never
seen. This script assigns each batch of docs/DATA.md (rows in id order, batch sizes below)
to one fold, trains `kzstance train --folds 0 TRAIN-OPTIONS` on the other folds, scores the
held-out batches with `kzstance evaluate`, and prints the pooled macro-F1: an estimate of how
well settings carry over to unseen voices. Use it to compare settings; it never reads the
held-out file or anything outside the training CSV.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

# Rows per batch in id order (docs/DATA.md): A-F, G-L, M-O, P-T, U, V-W, X-AV, AW-BA.
# Merging dropped 13 rows from the first batches, so boundaries there are within 13 rows.
BATCH_SIZES = [380] * 6 + [340] * 6 + [330] * 3 + [300] * 5 + [180] + [300] * 2 + [300] * 25 + [300] * 5 + [300] * 4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/stance.csv")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("train_options", nargs="*")
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.join(repo, "target", "release", "kzstance")
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    batch_of = []
    for batch, size in enumerate(BATCH_SIZES):
        batch_of += [batch] * size
    batch_of += [len(BATCH_SIZES)] * max(0, len(rows) - len(batch_of))
    batches = list(range(max(batch_of[: len(rows)]) + 1))
    random.Random(args.seed).shuffle(batches)
    fold_of_batch = {b: i % args.folds for i, b in enumerate(batches)}
    labels = sorted({r["label"] for r in rows})
    confusion = [[0] * len(labels) for _ in labels]
    with tempfile.TemporaryDirectory() as tmp:
        for fold in range(args.folds):
            train = [r for i, r in enumerate(rows) if fold_of_batch[batch_of[i]] != fold]
            test = [r for i, r in enumerate(rows) if fold_of_batch[batch_of[i]] == fold]
            for name, part in (("train.csv", train), ("test.csv", test)):
                with open(os.path.join(tmp, name), "w", newline="", encoding="utf-8") as f:
                    w = csv.DictWriter(f, fieldnames=["id", "text", "label"])
                    w.writeheader()
                    w.writerows({k: r[k] for k in ("id", "text", "label")} for r in part)
            model = os.path.join(tmp, "model.json")
            subprocess.run([binary, "train", "--data", os.path.join(tmp, "train.csv"), "--out", model,
                            "--folds", "0", *args.train_options], check=True, capture_output=True)
            out = subprocess.run([binary, "evaluate", "--model", model, "--data",
                                  os.path.join(tmp, "test.csv"), "--format", "json"],
                                 check=True, capture_output=True, text=True).stdout
            report = json.loads(out)
            assert report["confusion"]["labels"] == labels, report["confusion"]["labels"]
            for i, row in enumerate(report["confusion"]["matrix"]):
                for j, n in enumerate(row):
                    confusion[i][j] += n
    f1s = []
    for c in range(len(labels)):
        tp = confusion[c][c]
        predicted = sum(confusion[r][c] for r in range(len(labels)))
        actual = sum(confusion[c])
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    total = sum(map(sum, confusion))
    accuracy = sum(confusion[c][c] for c in range(len(labels))) / total
    print(f"grouped {args.folds}-fold macro-F1 {sum(f1s) / len(f1s):.4f} accuracy {accuracy:.4f} "
          f"per label {' '.join(f'{l} {f:.3f}' for l, f in zip(labels, f1s))} "
          f"options: {' '.join(args.train_options) or '(defaults)'}")


if __name__ == "__main__":
    sys.exit(main())
