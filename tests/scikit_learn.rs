//! Our TF-IDF and metrics against scikit-learn's figures for the same small inputs
//! (`tests/fixtures/sklearn-figures.json`, written by `scripts/sklearn_figures.py`).

use kzstance::classifier::{ClassifierParams, Solver};
use kzstance::evaluate::evaluate;
use kzstance::tfidf::TfidfParams;
use serde_json::Value;

use crate::util::repo_file;

fn figures() -> Value {
    let text = std::fs::read_to_string(repo_file("tests/fixtures/sklearn-figures.json"))
        .expect("the fixture is in the repository");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

fn documents(value: &Value) -> Vec<Vec<String>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|doc| {
            doc.as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn assert_close(ours: f64, theirs: f64, what: &str) {
    assert!(
        (ours - theirs).abs() < 1e-12,
        "{what}: kzstance {ours}, scikit-learn {theirs}"
    );
}

#[test]
fn tfidf_matches_scikit_learn() {
    let figures = figures();
    let train = documents(&figures["train"]);
    let transform = documents(&figures["transform"]);
    let cases = figures["tfidf"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let settings = &case["settings"];
        let params = TfidfParams {
            min_df: settings["min_df"].as_u64().unwrap() as usize,
            max_df: settings["max_df"].as_f64().unwrap(),
            max_features: None,
            sublinear_tf: settings["sublinear_tf"].as_bool().unwrap(),
        };
        let tfidf = params.fit(&train).unwrap();
        let vocabulary: Vec<&str> = case["vocabulary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(tfidf.vocabulary(), vocabulary.as_slice(), "{settings}");
        for (i, (ours, theirs)) in tfidf.idf().iter().zip(floats(&case["idf"])).enumerate() {
            assert_close(
                *ours,
                theirs,
                &format!("{settings}: idf of {}", vocabulary[i]),
            );
        }
        for (doc, expected) in transform.iter().zip(case["rows"].as_array().unwrap()) {
            let row = tfidf.transform(doc);
            let expected: Vec<(u32, f64)> = expected
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| (pair[0].as_u64().unwrap() as u32, pair[1].as_f64().unwrap()))
                .collect();
            assert_eq!(row.len(), expected.len(), "{settings}: {doc:?}");
            for ((index, value), (their_index, their_value)) in row.iter().zip(&expected) {
                assert_eq!(index, their_index, "{settings}: {doc:?}");
                assert_close(*value, *their_value, &format!("{settings}: {doc:?}"));
            }
        }
    }
}

/// Both solvers minimise the same objective as scikit-learn's multinomial
/// `LogisticRegression` with `C = 1 / alpha` (the intercepts unpenalised); fitted to
/// convergence, the probabilities agree to within what f32 training (linfa) allows.
#[test]
fn sparse_solver_matches_scikit_learn() {
    logistic_regression_matches_scikit_learn(Solver::Sparse, 1e-6);
}

#[test]
fn linfa_solver_matches_scikit_learn() {
    logistic_regression_matches_scikit_learn(Solver::Linfa, 1e-4);
}

/// `within`: largest allowed difference of a probability (linfa-logistic fits in f32).
fn logistic_regression_matches_scikit_learn(solver: Solver, within: f64) {
    let figures = figures();
    let train = documents(&figures["train"]);
    let transform = documents(&figures["transform"]);
    let reference = &figures["logistic_regression"];
    let tfidf = TfidfParams::default().fit(&train).unwrap();
    let rows: Vec<_> = train.iter().map(|doc| tfidf.transform(doc)).collect();
    let targets: Vec<usize> = reference["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as usize)
        .collect();
    let classifier = ClassifierParams {
        alpha: reference["alpha"].as_f64().unwrap(),
        max_iterations: 1_000,
        // Far tighter than the default: this compares against the exact minimum.
        tolerance: 1e-7,
        balance_classes: false,
        seed: 0,
        solver,
    }
    .fit(&rows, &targets, 3, tfidf.len())
    .unwrap();
    let expected = reference["probabilities"].as_array().unwrap();
    assert_eq!(expected.len(), transform.len());
    for (doc, theirs) in transform.iter().zip(expected) {
        let ours = classifier.probabilities(&tfidf.transform(doc));
        for (p, q) in ours.iter().zip(floats(theirs)) {
            assert!(
                (p - q).abs() < within,
                "{doc:?}: kzstance ({solver:?}) {ours:?}, scikit-learn {theirs}"
            );
        }
    }
}

#[test]
fn metrics_match_scikit_learn() {
    let figures = figures();
    check_metrics(&figures["metrics"]);
    // A label neither present nor predicted is left out of macro-F1, as scikit-learn does.
    let absent = &figures["metrics_one_label_absent"];
    assert!(absent["macro_f1"].as_f64().unwrap() > 0.7, "{absent}");
    check_metrics(absent);
}

fn check_metrics(metrics: &Value) {
    let labels: Vec<String> = metrics["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    let indices = |key: &str| -> Vec<usize> {
        metrics[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect()
    };
    let ours = evaluate(&labels, &indices("truth"), &indices("predicted"));
    assert_close(
        ours.accuracy,
        metrics["accuracy"].as_f64().unwrap(),
        "accuracy",
    );
    assert_close(
        ours.macro_f1,
        metrics["macro_f1"].as_f64().unwrap(),
        "macro-F1",
    );
    for (c, label) in labels.iter().enumerate() {
        let class = &ours.per_class[c];
        assert_close(class.precision, floats(&metrics["precision"])[c], label);
        assert_close(class.recall, floats(&metrics["recall"])[c], label);
        assert_close(class.f1, floats(&metrics["f1"])[c], label);
    }
    let confusion: Vec<Vec<usize>> = metrics["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect()
        })
        .collect();
    assert_eq!(ours.confusion, confusion);
}
