#!/usr/bin/env python3
"""Agreement between a second, blind labeling pass and the labels of a data file.

Usage: python3 scripts/agreement.py SECOND.csv DATA.csv
SECOND.csv has the columns id,label (and optionally confidence); DATA.csv is a labeled file
of the project (id,text,label) or another label file (id,label), e.g. the first of two
independent labelers. Prints the rows compared, the observed agreement, Cohen's
kappa, the confusion matrix (rows: DATA.csv, columns: SECOND.csv) and every disagreement.
"""
import csv
import sys
from collections import Counter


def main(second_path, data_path):
    with open(data_path, newline="", encoding="utf-8") as f:
        data = {row["id"]: row for row in csv.DictReader(f)}
    with open(second_path, newline="", encoding="utf-8") as f:
        second = list(csv.DictReader(f))
    missing = [row["id"] for row in second if row["id"] not in data]
    if missing:
        sys.exit(f"{second_path}: ids not in {data_path}: {', '.join(missing[:5])}")
    labels = sorted({row["label"] for row in data.values()})
    pairs = [(data[row["id"]]["label"], row["label"]) for row in second]
    n = len(pairs)
    observed = sum(first == other for first, other in pairs) / n
    first_counts = Counter(first for first, _ in pairs)
    second_counts = Counter(other for _, other in pairs)
    expected = sum(first_counts[l] * second_counts[l] for l in labels) / (n * n)
    kappa = (observed - expected) / (1 - expected)
    print(f"{n} rows; agreement {observed:.3f} ({round(observed * n)} of {n}); Cohen's kappa {kappa:.3f}")
    matrix = Counter(pairs)
    print("rows: " + data_path + ", columns: " + second_path)
    print("\t" + "\t".join(labels))
    for first in labels:
        print(first + "\t" + "\t".join(str(matrix[(first, other)]) for other in labels))
    for row in second:
        first = data[row["id"]]["label"]
        if first != row["label"]:
            note = f" ({row['confidence']})" if row.get("confidence") else ""
            text = data[row["id"]].get("text", "")
            print(f"{row['id']}: {first} / {row['label']}{note}: {text}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
