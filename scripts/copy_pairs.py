#!/usr/bin/env python3
"""How far a spun or machine-translated copy of an article moves its stance index.

Usage: python3 scripts/copy_pairs.py [--articles data/stance-articles.csv] [--model MODEL.json]

data/stance-articles.csv holds whole articles and, for some of them, a copy rewritten by hand
as a synonym spinner or a round trip through machine translation would leave it (same
meaning, sentence for sentence; docs/DATA.md). For every copy this classifies the copy and
its original as whole articles with `kzstance classify` (the built-in model unless --model)
and prints the difference of their stance indices, then the mean, median and largest
difference and how many pairs stay within 0.05, per kind of copy. No labels are used.

The shipped model is fitted on these articles and their copies (`train --fit-only`), so with
it these figures describe training text; scripts/article_cv.py gives them for copies whose
original and copy were both held out of training. Use this script on a model trained
without them, or on your own pairs.
"""
import argparse
import sys

from whole_articles import classify_articles, read_articles


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", default="data/stance-articles.csv")
    parser.add_argument("--model")
    args = parser.parse_args()
    articles = read_articles(args.articles)
    copies = {a: (rows[0]["copy_of"], rows[0]["kind"])
              for a, rows in articles.items() if rows[0]["copy_of"]}
    index = {a: aggregate["stance_index"]
             for a, aggregate in classify_articles(articles, args.model).items()}
    by_kind = {}
    for copy, (original, kind) in copies.items():
        diff = index[copy] - index[original]
        print(f"{copy} ({kind} copy of {original}): {index[original]:+.3f} -> {index[copy]:+.3f} ({diff:+.3f})")
        by_kind.setdefault(kind, []).append(abs(diff))
    for kind, diffs in sorted(by_kind.items()):
        diffs.sort()
        within = sum(d <= 0.05 for d in diffs)
        print(f"{kind}: {len(diffs)} pairs, |difference| mean {sum(diffs) / len(diffs):.3f}, "
              f"median {diffs[len(diffs) // 2]:.3f}, largest {diffs[-1]:.3f}; "
              f"{within} of {len(diffs)} within 0.05")


if __name__ == "__main__":
    sys.exit(main())
