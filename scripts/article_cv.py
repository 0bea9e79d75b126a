#!/usr/bin/env python3
"""Would training on sentences of whole articles help on articles from unseen outlets?

Usage: python3 scripts/article_cv.py [--data data/stance.csv]
                                     [--articles data/stance-articles.csv] [--with-copies]
                                     [--article-fraction F [--seed N]]
                                     [--compare "OTHER-TRAIN-OPTIONS"]
                                     [--hold-out BATCH,...] [--compare-without BATCH,...]
                                     [-- TRAIN-OPTIONS...]

data/stance-articles.csv holds whole articles, one batch of ten per kind of outlet, labeled
sentence by sentence (docs/DATA.md), plus spun and machine-translated copies of some of them.
The shipped model is fitted on it (`train --fit-only`), so scoring the shipped model on it
says nothing about unseen articles. This script holds out each batch of original articles in
turn and scores it with two models:

  written only   `kzstance train --folds 0` on the training file (the same model for all folds)
  plus articles  the same, with the original articles of every other batch added, and with
                 --with-copies their spun and machine-translated copies too (the shipped
                 recipe), never a copy of an article of the held-out batch

and prints both pooled macro-F1 figures, per label and per batch. The plus-articles model
of each fold also classifies the held-out batch's articles whole, and every copy of one of
them beside its original, neither of which it trained on: the script prints how well those
articles' stance indices follow their labels (as scripts/article_index.py does) and how far a
copy moves its original's index (as scripts/copy_pairs.py does), figures that the shipped
model, fitted on every article, can no longer give about itself. It also pools the
held-out articles by the share of their sentences labeled neutral_balancing, to show whether
the model follows an article's mix of labels or pulls every article toward the file's, and
gives 95% intervals for both pooled figures and their difference by resampling the held-out
articles, so that a change can be told from noise. Copies are never scored,
since a copy of a training article is not an unseen article. The held-out file and the
real-text development set are never read. TRAIN-OPTIONS go to both models: with
`-- --alpha 0.5` they are fitted with the shipped model's penalty (0.2 until session 21).

--article-fraction F (0 to 1) keeps only that share of the original articles, chosen once
by a seeded shuffle, for the plus-articles models (with their copies): run at several
fractions it draws a learning curve, how much held-out articles gain per article written.

--compare "OTHER-TRAIN-OPTIONS" fits a second plus-articles model in every fold, on the same
rows, with these options in place of TRAIN-OPTIONS, and gives its pooled figure and a 95%
interval for the difference between the two on the same resampled articles: whether a
change of settings moves held-out articles by more than noise. (`--compare ""` is the
default settings.)

--hold-out BATCH,... holds out only these batches in turn (all of them by default); the
other batches' articles are always on the training side. --compare-without BATCH,... fits the
compared model without these batches' articles and copies (and with TRAIN-OPTIONS, unless
--compare gives others). Together they measure what new batches add, paired on the same
held-out articles: `--hold-out` the old batches, `--compare-without` the new ones.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import OrderedDict
from statistics import mean, median

from article_index import describe
from whole_articles import classify_articles, group_by_article, labeled_index


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text", "label"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def macro_f1(confusion):
    f1s = []
    for c in range(len(confusion)):
        tp = confusion[c][c]
        predicted = sum(row[c] for row in confusion)
        actual = sum(confusion[c])
        p = tp / predicted if predicted else 0.0
        r = tp / actual if actual else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(f1s) / len(f1s), f1s


def print_by_neutral_share(by_article, labels, bands=(0.45, 0.6, 0.75)):
    """The plus-articles predictions of held-out articles, pooled by the share of the
    article's sentences labeled neutral_balancing: does the model follow an article's mix?"""
    neutral = "neutral_balancing"
    edges = [0.0, *bands, 1.01]
    print("plus articles, by the held-out article's labeled neutral_balancing share:")
    for low, high in zip(edges, edges[1:]):
        articles = [rows for rows in by_article.values()
                    if low <= sum(row[0] == neutral for row in rows) / len(rows) < high]
        rows = [row for article in articles for row in article]
        if not rows:
            continue
        print(f"  {low:.2f}-{min(high, 1.0):.2f}: {len(articles)} articles, {len(rows)} rows, "
              f"macro-F1 {pooled_f1(articles, labels, 1):.3f}, labeled neutral "
              f"{sum(row[0] == neutral for row in rows) / len(rows):.2f}, predicted neutral "
              f"{sum(row[1] == neutral for row in rows) / len(rows):.2f}")


def pooled_f1(articles, labels, column):
    """Pooled macro-F1 of the predictions in `column` (1 plus articles, 2 written only) of
    the rows of `articles`."""
    confusion = [[0] * len(labels) for _ in labels]
    for rows in articles:
        for row in rows:
            confusion[labels.index(row[0])][labels.index(row[column])] += 1
    return macro_f1(confusion)[0]


def print_bootstrap(by_article, labels, compared, resamples=1000, seed=1):
    """95% intervals of the pooled figures and of their differences from the plus-articles
    model's, from resampling the held-out articles with replacement (paired: every model is
    scored on the same resample)."""
    articles = list(by_article.values())
    names = {1: "plus articles", 2: "written only", 3: "plus articles, compared options"}
    columns = [1, 2, 3] if compared else [1, 2]
    rng = random.Random(seed)
    draws = {name: [] for name in names.values()}
    for _ in range(resamples):
        sample = [articles[rng.randrange(len(articles))] for _ in articles]
        figures = {column: pooled_f1(sample, labels, column) for column in columns}
        for column in columns:
            draws[names[column]].append(figures[column])
            if column != 1:
                draws.setdefault(f"plus articles minus {names[column]}", []).append(
                    figures[1] - figures[column])
    for name, values in draws.items():
        if values:
            values.sort()
            low, high = values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]
            print(f"  {name}: {low:.3f} to {high:.3f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/stance.csv")
    parser.add_argument("--articles", default="data/stance-articles.csv")
    parser.add_argument("--with-copies", action="store_true",
                        help="add the copies of the other batches' articles to the training rows")
    parser.add_argument("--article-fraction", type=float, default=1.0,
                        help="share of the original articles the plus-articles models may train on")
    parser.add_argument("--seed", type=int, default=42, help="seed of the --article-fraction choice")
    parser.add_argument("--compare", metavar="OTHER-TRAIN-OPTIONS",
                        help="also fit every fold's plus-articles model with these options")
    parser.add_argument("--hold-out", metavar="BATCH,...",
                        help="hold out only these batches in turn (default: every batch)")
    parser.add_argument("--compare-without", metavar="BATCH,...",
                        help="fit the compared model without these batches' articles")
    parser.add_argument("train_options", nargs="*")
    args = parser.parse_args()
    if not 0.0 <= args.article_fraction <= 1.0:
        parser.error("--article-fraction must be between 0 and 1")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.join(repo, "target", "release", "kzstance")
    with open(args.data, newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    with open(args.articles, newline="", encoding="utf-8") as f:
        all_rows = list(csv.DictReader(f))
    originals = [r for r in all_rows if not r["copy_of"]]
    copies = [r for r in all_rows if r["copy_of"]] if args.with_copies else []
    batches = sorted({r["batch"] for r in originals})
    if args.hold_out:
        held_out = set(args.hold_out.split(","))
        unknown = sorted(held_out - set(batches))
        if unknown:
            parser.error(f"--hold-out: no original articles in batch {', '.join(unknown)}")
        batches = [b for b in batches if b in held_out]
    left_out = set(args.compare_without.split(",")) if args.compare_without else set()
    # An article id is its batch and number (`BF-02`); a copy names its original's.
    article_ids = sorted({r["id"].rsplit("-", 1)[0] for r in originals})
    random.Random(args.seed).shuffle(article_ids)
    trainable = set(article_ids[:round(len(article_ids) * args.article_fraction)])
    labels = sorted({r["label"] for r in written})
    kinds = ("written", "plus", "compared")
    pooled = {kind: [[0] * len(labels) for _ in labels] for kind in kinds}
    compare_options = None if args.compare is None else args.compare.split()
    if compare_options is None and left_out:
        compare_options = args.train_options
    per_batch = []
    indices = []  # (labeled, predicted) stance index of each held-out original article
    copy_moves = {}  # kind of copy -> |difference| from its original, both unseen
    # held-out original article -> [(label, plus-articles prediction, written-only
    # prediction, compared prediction or None)]
    by_article = {}

    def train(tmp, name, rows, options=args.train_options):
        write(os.path.join(tmp, name + ".csv"), rows)
        model = os.path.join(tmp, name + ".json")
        subprocess.run([binary, "train", "--data", os.path.join(tmp, name + ".csv"), "--out", model,
                        "--folds", "0", *options], check=True, capture_output=True)
        return model

    def score(model, test_path, kind):
        predictions = os.path.join(os.path.dirname(test_path), "predictions.csv")
        out = subprocess.run([binary, "evaluate", "--model", model, "--data", test_path,
                              "--format", "json", "--predictions", predictions],
                             check=True, capture_output=True, text=True).stdout
        report = json.loads(out)
        assert report["confusion"]["labels"] == labels, report["confusion"]["labels"]
        for i, row in enumerate(report["confusion"]["matrix"]):
            for j, n in enumerate(row):
                pooled[kind][i][j] += n
        with open(predictions, newline="", encoding="utf-8") as f:
            predicted = [r["predicted"] for r in csv.DictReader(f)]
        return report["macro_f1"], predicted

    with tempfile.TemporaryDirectory() as tmp:
        written_model = train(tmp, "written", written)
        for batch in batches:
            test_path = os.path.join(tmp, "test.csv")
            write(test_path, [r for r in originals if r["batch"] == batch])
            extra = [r for r in originals
                     if r["batch"] != batch and r["id"].rsplit("-", 1)[0] in trainable]
            extra += [r for r in copies
                      if not r["copy_of"].startswith(batch + "-") and r["copy_of"] in trainable]
            plus_model = train(tmp, "plus", written + extra)
            held_rows = [r for r in originals if r["batch"] == batch]
            written_f1, written_predicted = score(written_model, test_path, "written")
            plus_f1, plus_predicted = score(plus_model, test_path, "plus")
            per_batch.append((batch, written_f1, plus_f1))
            compared_predicted = [None] * len(held_rows)
            if compare_options is not None:
                compared_extra = [r for r in extra
                                  if r["id"].split("-", 1)[0] not in left_out
                                  and r["copy_of"].split("-", 1)[0] not in left_out]
                compared_model = train(tmp, "compared", written + compared_extra,
                                       compare_options)
                compared_predicted = score(compared_model, test_path, "compared")[1]
            for row, *predicted in zip(held_rows, plus_predicted, written_predicted,
                                       compared_predicted, strict=True):
                by_article.setdefault(row["id"].rsplit("-", 1)[0], []).append(
                    (row["label"], *predicted))
            held = group_by_article(held_rows)
            held_copies = group_by_article(r for r in all_rows
                                     if r["copy_of"].startswith(batch + "-"))
            aggregate = classify_articles(OrderedDict(**held, **held_copies), plus_model)
            for article, article_rows in held.items():
                indices.append((labeled_index(article_rows),
                                aggregate[article]["stance_index"]))
            for copy, copy_rows in held_copies.items():
                move = abs(aggregate[copy]["stance_index"]
                           - aggregate[copy_rows[0]["copy_of"]]["stance_index"])
                copy_moves.setdefault(copy_rows[0]["kind"], []).append(move)
    for batch, w, p in per_batch:
        print(f"{batch}: written only {w:.3f}, plus articles {p:.3f}")
    names = [("written", "written only"), ("plus", "plus articles")]
    if compare_options is not None:
        without = f", without {args.compare_without}" if left_out else ""
        names.append(("compared", f"plus articles, compared options "
                                  f"({' '.join(compare_options)}{without})"))
    for kind, name in names:
        f1, f1s = macro_f1(pooled[kind])
        print(f"{name}: {len(batches)} held-out batches, pooled macro-F1 {f1:.4f} "
              f"({' '.join(f'{l} {x:.3f}' for l, x in zip(labels, f1s))})")
    print_by_neutral_share(by_article, labels)
    print(f"95% intervals from resampling the {len(by_article)} held-out articles "
          f"(1,000 paired resamples):")
    print_bootstrap(by_article, labels, compare_options is not None)
    labeled, predicted = zip(*indices)
    print(f"plus articles, stance index of the {len(indices)} held-out articles against "
          f"their labeled index:")
    describe("stance index", labeled, predicted)
    for kind, moves in sorted(copy_moves.items()):
        print(f"plus articles, held-out {kind} copies: {len(moves)} pairs, |difference| mean "
              f"{mean(moves):.3f}, median {median(moves):.3f}, largest {max(moves):.3f}; "
              f"{sum(m <= 0.05 for m in moves)} of {len(moves)} within 0.05")
    print(f"options: {' '.join(args.train_options) or '(defaults)'}"
          f"{', copies of the other batches included' if args.with_copies else ''}"
          f"; plus-articles models may train on {len(trainable)} of {len(article_ids)} articles"
          f" (--article-fraction {args.article_fraction}, --seed {args.seed})")


if __name__ == "__main__":
    sys.exit(main())
