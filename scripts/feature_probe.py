#!/usr/bin/env python3
"""Would character n-grams or a sentence's neighbours help? A probe in scikit-learn.

Usage: python3 scripts/feature_probe.py [--data data/stance.csv]
           [--articles data/stance-articles.csv] [--alpha 0.2]
           [--variant NAME ...] [--eval FILE ...]

kzstance reads each sentence alone, as a bag of stemmed words and word pairs. Two common
remedies for its gap on realistic text are cheap to try in scikit-learn before anything is
built in Rust. This script compares, on the folds of scripts/article_cv.py (each batch of
original articles held out in turn; the training side is the written file plus every other
batch's articles and copies, as the shipped recipe trains):

  words       TF-IDF of stemmed word 1-2-grams (sublinear tf, min_df 2, 48,000 features),
              the peer of the shipped features (no negation marking)
  chars       the same, plus TF-IDF of character 2-5-grams within words (min_df 3,
              150,000 features), which see inside spun and misspelt words
  neighbours  the same word features, plus a second copy of them holding the mean of the
              previous and next sentence of the same article (zero for a written row)
  article     the same, with the mean of every other sentence of the article instead
  digits      word features with every run of digits read as one digit, so years and
              figures stop carrying stance of their own
  weighted    word features, each article row (original or copy) counting twice against
              a written row
  bayes       word features, the logistic regression's log-probabilities plus 0.3 times
              those of a multinomial naive Bayes (alpha 0.1, class priors removed)
  pairs       word features, plus pairs of content words (stop words of scikit-learn's
              English list dropped) up to four content words apart, with 150,000 features:
              "suspend ... membership" as one feature however many words sit between

Each uses LogisticRegression(C = 1 / alpha, lbfgs, balanced class weights). It prints the
pooled macro-F1 over the held-out batches per variant and, for every --eval FILE, the
macro-F1 of a model fitted on the written file and all the articles. An --eval file's
articles are its ids up to the last '-' (ARTICLE-NUMBER, in article order).
Needs scikit-learn, SciPy, NumPy and PyStemmer; exits with status 3 without them.
"""

import argparse
import csv
import re
import sys
import time

try:
    import Stemmer
    import numpy as np
    from scipy.sparse import hstack, lil_matrix
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.naive_bayes import MultinomialNB
except ImportError as missing:
    print(f"feature_probe.py needs scikit-learn, SciPy, NumPy and PyStemmer: {missing}",
          file=sys.stderr)
    sys.exit(3)

VARIANTS = ("words", "chars", "neighbours", "article", "digits", "weighted", "bayes", "pairs")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
DIGITS = re.compile(r"[0-9]+")
STEMMER = Stemmer.Stemmer("english")
STOP_STEMS = set(STEMMER.stemWords(sorted(ENGLISH_STOP_WORDS))) | set(ENGLISH_STOP_WORDS)
PAIR_WINDOW = 4


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def word_features(text):
    words = STEMMER.stemWords(WORD.findall(text.lower().replace("\u2019", "'")))
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def pair_features(text):
    """Word features plus every pair of content words up to PAIR_WINDOW content words apart."""
    features = word_features(text)
    content = [w for w in features if " " not in w and w not in STOP_STEMS]
    for i, first in enumerate(content):
        for second in content[i + 1:i + 1 + PAIR_WINDOW]:
            features.append(f"{first} ~ {second}")
    return features


def article_of(row):
    """The article a row belongs to, or None for a written row."""
    if "batch" in row or row.get("from_eval"):
        return row["id"].rsplit("-", 1)[0]
    return None


def context(rows, matrix, whole_article):
    """Each row's mean of its neighbours' (or its article's other) feature rows."""
    members = {}
    for i, row in enumerate(rows):
        article = article_of(row)
        if article is not None:
            members.setdefault(article, []).append(i)
    mixing = lil_matrix((len(rows), len(rows)))
    for ids in members.values():
        for k, i in enumerate(ids):
            if whole_article:
                others = [j for j in ids if j != i]
            else:
                others = [ids[j] for j in (k - 1, k + 1) if 0 <= j < len(ids)]
            for j in others:
                mixing[i, j] = 1.0 / len(others)
    return mixing.tocsr() @ matrix


def fit_predict(variant, alpha, train, tests):
    analyzer = word_features
    if variant == "digits":
        def analyzer(text):
            return word_features(DIGITS.sub("0", text))
    if variant == "pairs":
        analyzer = pair_features
    words = TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True,
                            max_features=150_000 if variant == "pairs" else 48_000)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3,
                            sublinear_tf=True, max_features=150_000)

    def features(rows, fit):
        texts = [r["text"] for r in rows]
        x = words.fit_transform(texts) if fit else words.transform(texts)
        if variant == "chars":
            extra = chars.fit_transform(texts) if fit else chars.transform(texts)
        elif variant in ("neighbours", "article"):
            extra = context(rows, x, variant == "article")
        else:
            return x
        return hstack([x, extra]).tocsr()

    model = LogisticRegression(C=1.0 / alpha, class_weight="balanced", max_iter=2000)
    x, y = features(train, True), [r["label"] for r in train]
    weights = [2.0 if "batch" in r else 1.0 for r in train] if variant == "weighted" else None
    model.fit(x, y, sample_weight=weights)
    if variant != "bayes":
        return [model.predict(features(test, False)) for test in tests]
    bayes = MultinomialNB(alpha=0.1).fit(x, y)
    priors = np.log(bayes.class_count_ / bayes.class_count_.sum())
    predictions = []
    for test in tests:
        t = features(test, False)
        scores = model.predict_log_proba(t) + 0.3 * (bayes.predict_log_proba(t) - priors)
        predictions.append(model.classes_[scores.argmax(axis=1)])
    return predictions


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="data/stance.csv")
    parser.add_argument("--articles", default="data/stance-articles.csv")
    parser.add_argument("--alpha", type=float, default=0.2)
    parser.add_argument("--variant", action="append", choices=VARIANTS)
    parser.add_argument("--eval", action="append", default=[])
    args = parser.parse_args()
    written, articles = read(args.data), read(args.articles)
    evals = [(path, [dict(r, from_eval=True) for r in read(path)]) for path in args.eval]
    originals = [r for r in articles if r["kind"] == "original"]
    batches = sorted({r["batch"] for r in originals})
    for variant in args.variant or VARIANTS:
        start = time.time()
        truth, predicted = [], []
        for batch in batches:
            train = written + [r for r in articles if r["batch"] != batch
                               and not r["copy_of"].startswith(batch + "-")]
            held = [r for r in originals if r["batch"] == batch]
            (prediction,) = fit_predict(variant, args.alpha, train, [held])
            truth += [r["label"] for r in held]
            predicted += list(prediction)
        line = (f"{variant}: {len(batches)} held-out batches, pooled macro-F1 "
                f"{f1_score(truth, predicted, average='macro'):.4f}")
        if evals:
            predictions = fit_predict(variant, args.alpha, written + articles,
                                      [rows for _, rows in evals])
            for (path, rows), prediction in zip(evals, predictions):
                score = f1_score([r["label"] for r in rows], prediction, average="macro")
                line += f"; {path} {score:.4f}"
        print(f"{line} ({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
