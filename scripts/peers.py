#!/usr/bin/env python3
"""Throughput of two Python peer classifiers on the benchmark corpus.

Usage: peers.py CORPUS.jsonl [--runs N] [--data data/stance.csv]
                [--test data/stance-test.csv] [--tsv FILE]

Trains (untimed) scikit-learn TF-IDF(1-2 grams, sublinear tf, PyStemmer English
stems) + LogisticRegression, and fastText supervised (wordNgrams=2, 25 epochs) on the
training CSV. Then, for each peer, times end to end in this single process: read the
JSONL corpus, split articles into sentences by regex, predict per-sentence
probabilities, average them per article and write one JSON line per article to
/dev/null. Prints the median over --runs; --tsv also writes one row per peer:
name, median seconds, MB/s, sentences/s, test macro-F1.
Exits with status 3 if scikit-learn, fasttext or PyStemmer cannot be imported.
"""
import os

# One thread for numpy / BLAS too, so "single process" means one core.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse
import csv
import json
import re
import statistics
import sys
import tempfile
import time

try:
    import fasttext
    import Stemmer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
except ImportError as e:
    print(f"peers.py: {e}; pip install scikit-learn fasttext-numpy2 PyStemmer", file=sys.stderr)
    sys.exit(3)

SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
WORD = re.compile(r"\w+")
BATCH_ARTICLES = 256  # articles predicted together, as kzstance batches them


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


class SklearnPeer:
    name = "sklearn tfidf+logreg"

    def __init__(self, texts, labels):
        stemmer = Stemmer.Stemmer("english")
        self.vectorizer = TfidfVectorizer(
            tokenizer=lambda text: stemmer.stemWords(WORD.findall(text.lower())),
            token_pattern=None,
            lowercase=False,
            ngram_range=(1, 2),
            sublinear_tf=True,
        )
        self.model = LogisticRegression(max_iter=1000)
        self.model.fit(self.vectorizer.fit_transform(texts), labels)
        self.labels = list(self.model.classes_)

    def probabilities(self, sentences):
        """One row of probabilities (in self.labels order) per sentence."""
        return self.model.predict_proba(self.vectorizer.transform(sentences)).tolist()


class FasttextPeer:
    name = "fastText supervised"

    def __init__(self, texts, labels):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as f:
            for text, label in zip(texts, labels):
                f.write(f"__label__{label} {self.clean(text)}\n")
            f.flush()
            self.model = fasttext.train_supervised(f.name, wordNgrams=2, epoch=25, verbose=0)
        self.labels = sorted(label.removeprefix("__label__") for label in self.model.labels)

    @staticmethod
    def clean(text):
        return " ".join(WORD.findall(text.lower()))

    def probabilities(self, sentences):
        labels, probs = self.model.predict([self.clean(s) for s in sentences], k=-1)
        rows = []
        for names, values in zip(labels, probs):
            by_label = {n.removeprefix("__label__"): float(v) for n, v in zip(names, values)}
            rows.append([by_label.get(label, 0.0) for label in self.labels])
        return rows


def classify_corpus(peer, corpus_path):
    """Classify every article end to end; returns the number of sentences."""
    total = 0
    with open(corpus_path, encoding="utf-8") as src, open(os.devnull, "w") as out:

        def flush(batch):
            sentences = [s for _, parts in batch for s in parts]
            rows = peer.probabilities(sentences) if sentences else []
            at = 0
            for article_id, parts in batch:
                mine = rows[at : at + len(parts)]
                at += len(parts)
                mean = [sum(col) / len(mine) for col in zip(*mine)] if mine else []
                record = {"id": article_id, "sentences": len(parts),
                          "mean_probabilities": dict(zip(peer.labels, mean))}
                out.write(json.dumps(record) + "\n")
            return len(sentences)

        batch = []
        for line in src:
            if not line.strip():
                continue
            article = json.loads(line)
            parts = [s for s in SENTENCE_SPLIT.split(article["text"]) if s.strip()]
            batch.append((article.get("id"), parts))
            if len(batch) == BATCH_ARTICLES:
                total += flush(batch)
                batch = []
        total += flush(batch)
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", default="data/stance.csv")
    parser.add_argument("--test", default="data/stance-test.csv")
    parser.add_argument("--tsv")
    args = parser.parse_args()

    texts, labels = read_csv(args.data)
    test_texts, test_labels = read_csv(args.test)
    mb = os.path.getsize(args.corpus) / 1e6
    rows = []
    for peer_class in (SklearnPeer, FasttextPeer):
        peer = peer_class(texts, labels)  # training is not timed
        predicted = [peer.labels[max(range(len(p)), key=p.__getitem__)]
                     for p in peer.probabilities(test_texts)]
        f1 = f1_score(test_labels, predicted, average="macro")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            sentences = classify_corpus(peer, args.corpus)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"{peer.name}: median {median:.2f} s over {args.runs} runs, {mb / median:.2f} MB/s, "
              f"{sentences / median:,.0f} sentences/s, test macro-F1 {f1:.4f}; "
              f"runs (s): {' '.join(f'{t:.2f}' for t in times)}")
        rows.append(f"{peer.name}\t{median:.4f}\t{mb / median:.4f}\t{sentences / median:.1f}\t{f1:.4f}")
    if args.tsv:
        with open(args.tsv, "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
