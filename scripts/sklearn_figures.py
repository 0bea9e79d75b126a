#!/usr/bin/env python3
"""Writes tests/fixtures/sklearn-figures.json: scikit-learn's figures for small inputs that
tests/scikit_learn.rs feeds to kzstance's own TF-IDF and metrics, so the test suite checks
our implementation against the reference one without needing Python at test time.

Usage: python3 scripts/sklearn_figures.py   (pip install scikit-learn)
"""
import json
import pathlib

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

# Documents as lists of features (already tokenized and stemmed), so only the weighting is
# compared: the tokenizers of the two libraries differ on purpose.
TRAIN = [
    ["kazakhstan", "abstain", "kazakhstan abstain", "vote"],
    ["moscow", "pressur", "astana", "moscow pressur"],
    ["astana", "refus", "recognis", "donetsk", "astana refus"],
    ["moscow", "moscow", "alli", "csto", "csto alli"],
    ["kazakhstan", "vote", "abstain", "un", "un vote"],
    ["sanction", "evad", "refus", "astana", "sanction evad"],
]
TRANSFORM = [
    ["moscow", "moscow", "moscow", "astana", "unknown"],
    ["kazakhstan", "abstain", "kazakhstan abstain", "kazakhstan", "vote", "vote"],
    ["nothing", "known"],
]
SETTINGS = [
    {"min_df": 1, "max_df": 1.0, "sublinear_tf": True},
    {"min_df": 2, "max_df": 1.0, "sublinear_tf": False},
    {"min_df": 1, "max_df": 0.4, "sublinear_tf": True},
]

# Label index of each TRAIN document, and the L2 penalty (linfa's alpha = 1 / C).
TRAIN_TARGETS = [0, 2, 1, 2, 0, 1]
ALPHA = 0.5

LABELS = ["neutral_balancing", "pro_independence", "pro_kremlin"]
TRUTH = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 1, 2, 2, 1, 0, 0]
PREDICTED = [0, 2, 0, 1, 0, 1, 2, 2, 2, 1, 0, 1, 2, 0, 1, 1, 0]
# A file in which pro_kremlin (2) is neither present nor predicted: macro-F1 averages the
# other two labels only.
TRUTH_TWO = [0, 0, 1, 1, 1, 0, 1]
PREDICTED_TWO = [0, 1, 1, 1, 0, 0, 1]


def tfidf_case(settings):
    vectorizer = TfidfVectorizer(
        analyzer=lambda features: features,
        min_df=settings["min_df"],
        max_df=settings["max_df"],
        sublinear_tf=settings["sublinear_tf"],
        smooth_idf=True,
        norm="l2",
    )
    vectorizer.fit(TRAIN)
    matrix = vectorizer.transform(TRANSFORM).tocsr()
    rows = []
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        rows.append(sorted((int(j), float(v)) for j, v in zip(row.indices, row.data)))
    return {
        "settings": settings,
        "vocabulary": list(vectorizer.get_feature_names_out()),
        "idf": [float(v) for v in vectorizer.idf_],
        "rows": rows,
    }


def logistic_regression():
    """Multinomial logistic regression on the TF-IDF rows of the first setting, fitted to
    convergence; its probabilities for the TRANSFORM documents."""
    vectorizer = TfidfVectorizer(analyzer=lambda features: features, sublinear_tf=True)
    x_train = vectorizer.fit_transform(TRAIN)
    model = LogisticRegression(C=1 / ALPHA, tol=1e-10, max_iter=100_000)
    model.fit(x_train, TRAIN_TARGETS)
    return {
        "alpha": ALPHA,
        "targets": TRAIN_TARGETS,
        "probabilities": model.predict_proba(vectorizer.transform(TRANSFORM)).tolist(),
    }


def metrics(truth, predicted):
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, labels=[0, 1, 2], zero_division=0
    )
    return {
        "labels": LABELS,
        "truth": truth,
        "predicted": predicted,
        "accuracy": accuracy_score(truth, predicted),
        "macro_f1": f1_score(truth, predicted, average="macro", zero_division=0),
        "precision": [float(v) for v in precision],
        "recall": [float(v) for v in recall],
        "f1": [float(v) for v in f1],
        "confusion": confusion_matrix(truth, predicted, labels=[0, 1, 2]).tolist(),
    }


def main():
    import sklearn

    figures = {
        "generated_by": f"scripts/sklearn_figures.py with scikit-learn {sklearn.__version__}",
        "train": TRAIN,
        "transform": TRANSFORM,
        "tfidf": [tfidf_case(s) for s in SETTINGS],
        "logistic_regression": logistic_regression(),
        "metrics": metrics(TRUTH, PREDICTED),
        "metrics_one_label_absent": metrics(TRUTH_TWO, PREDICTED_TWO),
    }
    out = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/sklearn-figures.json"
    out.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
