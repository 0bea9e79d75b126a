"""Shared by copy_pairs.py and article_index.py: a labeled file of whole articles, and
`kzstance classify` run on each article whole."""
import csv
import json
import os
import subprocess
from collections import OrderedDict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, "target", "release", "kzstance")


def read_articles(path):
    """Rows grouped by article, in file order: ids are ARTICLE-NUMBER."""
    articles = OrderedDict()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            articles.setdefault(row["id"].rsplit("-", 1)[0], []).append(row)
    return articles


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
