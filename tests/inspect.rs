//! `kzstance inspect`: the model card, top features and term lookups.

use crate::util::Scratch;

#[test]
fn table_shows_the_card_and_top_features() {
    let out = Scratch::new()
        .run(&["inspect", "--top", "5"])
        .success()
        .stdout();
    for needle in [
        "model card",
        "training data   data/stance.csv",
        "sha256",
        "cross-validated 5 folds",
        "pro_kremlin (bias",
        "pro_independence (bias",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn json_lists_top_features_sorted_by_weight_and_term_details() {
    let out = Scratch::new()
        .run(&[
            "inspect",
            "--top",
            "7",
            "--term",
            "Sanctions",
            "--format",
            "json",
        ])
        .success()
        .json();
    let top = out["top_features"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    for label in top {
        let weights: Vec<f64> = label["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["weight"].as_f64().unwrap())
            .collect();
        assert_eq!(weights.len(), 7);
        assert!(weights.windows(2).all(|w| w[0] >= w[1]), "{weights:?}");
    }
    let term = &out["terms"][0];
    assert_eq!(term["word"], "Sanctions");
    assert_eq!(term["stem"], "sanction");
    let features = term["features"].as_array().unwrap();
    assert!(features.iter().any(|f| f["feature"] == "sanction"));
    // Its negated form ("not ¬sanction") is listed with it.
    assert!(features.iter().any(|f| f["feature"] == "¬sanction"));
    assert!(features.iter().all(|f| f["feature"]
        .as_str()
        .unwrap()
        .split(' ')
        .any(|p| p == "sanction" || p == "¬sanction")));
    assert_eq!(out["tokenizer"]["negation_words"], 8);
    assert!(features[0]["idf"].as_f64().unwrap() >= 1.0);
    assert_eq!(features[0]["weights"].as_object().unwrap().len(), 3);
    assert_eq!(out["card"]["training_data"], "data/stance.csv");
    assert_eq!(out["card"]["training_sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn unknown_terms_are_reported_as_such() {
    let out = Scratch::new()
        .run(&["inspect", "--top", "1", "--term", "zzyzxqq"])
        .success()
        .stdout();
    assert!(
        out.contains("term 'zzyzxqq'") && out.contains("not in the vocabulary"),
        "{out}"
    );
}

/// Several words are stemmed one by one and find the word pairs made of them, in order;
/// `--top 0` leaves out the per-label tables.
#[test]
fn a_phrase_finds_its_word_pairs_and_top_zero_shows_no_tables() {
    let out = Scratch::new()
        .run(&[
            "inspect",
            "--top",
            "0",
            "--term",
            "special military operation",
            "--format",
            "json",
        ])
        .success()
        .json();
    let term = &out["terms"][0];
    assert_eq!(term["stem"], "special militari oper");
    let features: Vec<&str> = term["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert!(features.contains(&"special militari"), "{features:?}");
    assert!(features.contains(&"militari oper"), "{features:?}");
    assert!(
        features.iter().all(|f| f.contains(' ')),
        "only word pairs, not single words: {features:?}"
    );
    let table = Scratch::new()
        .run(&["inspect", "--top", "0"])
        .success()
        .stdout();
    assert!(
        table.contains("model card") && !table.contains("(bias"),
        "{table}"
    );
}

/// The built-in model reads in context: `inspect` shows how labels follow one another in
/// its training articles, each label most likely after itself, and shows no context when
/// asked to read alone.
#[test]
fn inspect_shows_how_labels_follow_one_another() {
    let scratch = crate::util::Scratch::new();
    let json = scratch
        .run(&["inspect", "--top", "0", "--format", "json"])
        .success()
        .json();
    let lift = json["context"]["lift"].as_array().unwrap();
    assert_eq!(lift.len(), 3);
    for (i, row) in lift.iter().enumerate() {
        for (j, value) in row.as_array().unwrap().iter().enumerate() {
            assert_eq!(value.as_f64().unwrap() > 1.0, i == j, "{lift:?}");
        }
    }
    let table = scratch.run(&["inspect", "--top", "0"]).success().stdout();
    assert!(
        table.contains("after pro_kremlin: neutral_balancing 0."),
        "{table}"
    );
    let alone = scratch
        .run(&["inspect", "--top", "0", "--format", "json", "--no-context"])
        .success()
        .json();
    assert!(alone.get("context").is_none());
}
