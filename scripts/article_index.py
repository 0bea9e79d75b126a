#!/usr/bin/env python3
"""How well does an article's stance index follow the labels of its sentences?

Usage: python3 scripts/article_index.py [--articles data/stance-articles.csv] [--model MODEL.json]
                                        [--kind original]

Analysts read kzstance's per-article aggregates more than single sentences. This script
measures them. It reads a labeled file of whole articles: rows with ids
ARTICLE-NUMBER, in article order, such as data/stance-articles.csv. It classifies each article
whole with `kzstance classify` (the built-in model unless --model). Then it compares the
model's stance index (mean P(pro_independence) - mean P(pro_kremlin)) with the labeled index:
the share of pro_independence sentences minus the share of pro_kremlin sentences, by the
labels.

It prints:

- Pearson's r and Spearman's rho between the two indices over all articles;
- the mean absolute difference;
- how many articles the model puts on the same side of zero as the labels, out of those
  whose labeled index is at least 0.1 from zero;
- the same figures for the model's own label shares (share predicted pro_independence minus
  share predicted pro_kremlin), which can be compared with the labeled index directly.

With a `kind` column (data/stance-articles.csv), --kind keeps only the articles of that kind.

The shipped model is fitted on data/stance-articles.csv (`train --fit-only`), so on that file
these figures describe the training articles, not unseen ones; scripts/article_cv.py gives
the same figure for articles held out of training. Use this script on a model trained
without them, or on your own labeled articles.
"""
import argparse
import sys

from whole_articles import classify_articles, labeled_index, read_articles


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    rank = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            rank[order[k]] = (i + j) / 2
        i = j + 1
    return rank


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / (sxx * syy) ** 0.5


def describe(name, labeled, predicted):
    sided = [(a, b) for a, b in zip(labeled, predicted) if abs(a) >= 0.1]
    same_side = sum(1 for a, b in sided if (a > 0) == (b > 0))
    mad = sum(abs(a - b) for a, b in zip(labeled, predicted)) / len(labeled)
    print(f"{name:<28} r {pearson(labeled, predicted):.3f}  rho "
          f"{pearson(ranks(labeled), ranks(predicted)):.3f}  mean |difference| {mad:.3f}  "
          f"same side {same_side} of {len(sided)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", default="data/stance-articles.csv")
    parser.add_argument("--model")
    parser.add_argument("--kind", help="keep only the articles of this kind")
    args = parser.parse_args()
    articles = read_articles(args.articles)
    if args.kind:
        articles = {a: rows for a, rows in articles.items() if rows[0].get("kind") == args.kind}
    if len(articles) < 3:
        sys.exit(f"{args.articles}: {len(articles)} articles; need at least 3 to correlate")
    aggregates = classify_articles(articles, args.model)

    labeled, by_probability, by_share = [], [], []
    for article, aggregate in aggregates.items():
        labeled.append(labeled_index(articles[article]))
        by_probability.append(aggregate["stance_index"])
        shares = aggregate["shares"]
        by_share.append(shares.get("pro_independence", 0.0) - shares.get("pro_kremlin", 0.0))

    mean = sum(labeled) / len(labeled)
    spread = (sum((v - mean) ** 2 for v in labeled) / len(labeled)) ** 0.5
    print(f"{len(labeled)} articles of {args.articles}"
          + (f" (kind {args.kind})" if args.kind else "")
          + f"; labeled index from {min(labeled):.2f} to {max(labeled):.2f}, "
          f"standard deviation {spread:.2f}")
    describe("stance index", labeled, by_probability)
    describe("predicted label shares", labeled, by_share)


if __name__ == "__main__":
    main()
