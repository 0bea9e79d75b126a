#!/usr/bin/env python3
"""Build a synthetic benchmark corpus from the shipped training sentences.

Usage: make_corpus.py OUTDIR [--articles N] [--seed S] [--data data/stance.csv]

Sentences (column `text`) are drawn from repeated seeded shuffles of the pool and
laid out as 40-sentence articles in paragraphs of four sentences separated by a
blank line. Writes OUTDIR/corpus.jsonl (one {"id", "text"} object per line) and
OUTDIR/txt/NNNNN.txt (one file per article), then prints the corpus size in MB.
Pure standard library; the same arguments always give the same bytes.
"""
import argparse
import csv
import json
import os
import random

SENTENCES_PER_ARTICLE = 40
SENTENCES_PER_PARAGRAPH = 4


def sentence_stream(pool, rng):
    """Endless sentences: one fresh shuffle of the whole pool after another."""
    while True:
        order = pool[:]
        rng.shuffle(order)
        yield from order


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default="data/stance.csv")
    args = parser.parse_args()

    with open(args.data, newline="", encoding="utf-8") as f:
        pool = [" ".join(row["text"].split()) for row in csv.DictReader(f)]
    pool = [s for s in pool if s]
    stream = sentence_stream(pool, random.Random(args.seed))

    txt_dir = os.path.join(args.outdir, "txt")
    os.makedirs(txt_dir, exist_ok=True)
    jsonl_path = os.path.join(args.outdir, "corpus.jsonl")
    with open(jsonl_path, "w", encoding="utf-8", newline="\n") as jsonl:
        for n in range(args.articles):
            sentences = [next(stream) for _ in range(SENTENCES_PER_ARTICLE)]
            paragraphs = [
                " ".join(sentences[i : i + SENTENCES_PER_PARAGRAPH])
                for i in range(0, SENTENCES_PER_ARTICLE, SENTENCES_PER_PARAGRAPH)
            ]
            text = "\n\n".join(paragraphs) + "\n"
            article_id = f"{n:05d}"
            jsonl.write(json.dumps({"id": article_id, "text": text}, ensure_ascii=False) + "\n")
            with open(os.path.join(txt_dir, article_id + ".txt"), "w", encoding="utf-8", newline="\n") as f:
                f.write(text)

    size = os.path.getsize(jsonl_path)
    print(f"corpus: {args.articles} articles, {size / 1e6:.2f} MB JSONL ({jsonl_path}), .txt files in {txt_dir}")


if __name__ == "__main__":
    main()
