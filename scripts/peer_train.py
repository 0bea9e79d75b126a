#!/usr/bin/env python3
"""Training time of the scikit-learn peer, for comparison with `kzstance train`.

Usage: peer_train.py [--data data/stance.csv] [--fit-only FILE] [--alpha A] [--runs N]
                     [--jobs J]

Does what `kzstance train` does, the scikit-learn way: 5-fold stratified cross-validation
of the --data rows (vectorizer refit inside each fold, folds on J processes, the --fit-only
rows added to every fold's training side as `train --fit-only` does) and then a fit on all
rows. TfidfVectorizer(1-2 grams, sublinear tf, min_df 2, 64,000 features, PyStemmer
English stems) + LogisticRegression(C = 1 / alpha, 10 by default, lbfgs, balanced class
weights, max_iter 1000). Prints one line per run and the median wall time, and the pooled
cross-validation macro-F1. Exits with status 3 if scikit-learn or PyStemmer is missing.
"""
import argparse
import csv
import re
import statistics
import sys
import time

from joblib import Parallel, delayed

try:
    import Stemmer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
except ImportError as e:
    print(f"peer_train.py: {e}; pip install scikit-learn PyStemmer", file=sys.stderr)
    sys.exit(3)

WORD = re.compile(r"\w+")
class Tokenizer:
    """Lower-cased, stemmed words. The stemmer is made on first use in each process and
    left out when pickled for the cross-validation workers (stemmers cannot be pickled)."""

    def __init__(self):
        self.stemmer = None

    def __call__(self, text):
        if self.stemmer is None:
            self.stemmer = Stemmer.Stemmer("english")
        return self.stemmer.stemWords(WORD.findall(text.lower()))

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.stemmer = None


def pipeline(alpha):
    return make_pipeline(
        TfidfVectorizer(
            tokenizer=Tokenizer(),
            token_pattern=None,
            lowercase=False,
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=2,
            max_features=64000,
        ),
        LogisticRegression(C=1.0 / alpha, class_weight="balanced", max_iter=1000),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/stance.csv")
    parser.add_argument("--fit-only")
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    labels = [r["label"] for r in rows]
    extra_texts, extra_labels = [], []
    if args.fit_only:
        with open(args.fit_only, newline="", encoding="utf-8") as f:
            extra = list(csv.DictReader(f))
        extra_texts = [r["text"] for r in extra]
        extra_labels = [r["label"] for r in extra]

    def fold(train, test):
        model = pipeline(args.alpha).fit([texts[i] for i in train] + extra_texts,
                                         [labels[i] for i in train] + extra_labels)
        return test, model.predict([texts[i] for i in test])
    times = []
    for run in range(args.runs):
        start = time.perf_counter()
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
        if extra_texts:
            predicted = [None] * len(texts)
            for test, fold_predicted in Parallel(n_jobs=args.jobs)(
                    delayed(fold)(train, test) for train, test in folds.split(texts, labels)):
                for i, p in zip(test, fold_predicted):
                    predicted[i] = p
        else:
            predicted = cross_val_predict(pipeline(args.alpha), texts, labels, cv=folds,
                                          n_jobs=args.jobs)
        pipeline(args.alpha).fit(texts + extra_texts, labels + extra_labels)
        times.append(time.perf_counter() - start)
        print(f"run {run + 1}: {times[-1]:.2f} s", flush=True)
    f1 = f1_score(labels, predicted, average="macro")
    print(f"scikit-learn train: median {statistics.median(times):.2f} s over {args.runs} runs, "
          f"{args.jobs} jobs, 5-fold macro-F1 {f1:.4f}")


if __name__ == "__main__":
    main()
