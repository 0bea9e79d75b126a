"""Shared by copy_pairs.py, article_index.py and article_cv.py: a labeled file of whole
articles, each article's index by its labels, and `kzstance classify` run on each article
whole."""
import csv
import json
import os
import subprocess
from collections import OrderedDict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, "target", "release", "kzstance")


def read_articles(path):
    """Rows grouped by article, in file order: ids are ARTICLE-NUMBER."""
    with open(path, newline="", encoding="utf-8") as f:
        return group_by_article(csv.DictReader(f))


def group_by_article(rows):
    """Rows grouped by article, in the order given: ids are ARTICLE-NUMBER."""
    articles = OrderedDict()
    for row in rows:
        articles.setdefault(row["id"].rsplit("-", 1)[0], []).append(row)
    return articles


def labeled_index(rows):
    """An article's stance index by its labels: the share of pro_independence sentences
    minus the share of pro_kremlin ones."""
    labels = [r["label"] for r in rows]
    return (labels.count("pro_independence") - labels.count("pro_kremlin")) / len(labels)


def classify_articles(articles, model=None):
    """Each article's aggregate from `kzstance classify`, by article id; the sentences of an
    article are given one to a line."""
    lines = "\n".join(json.dumps({"id": a, "text": "\n".join(r["text"] for r in rows)})
                      for a, rows in articles.items())
    command = [BINARY, "classify", "--input-format", "jsonl", "--format", "jsonl"]
    if model:
        command += ["--model", model]
    out = subprocess.run(command, input=lines, capture_output=True, text=True, check=True).stdout
    return {record["source"]: record["aggregate"]
            for record in map(json.loads, out.splitlines())}
