//! The shipped labeled data: size, balance, near-duplicates within the training file, and
//! no leakage between the training and held-out files.

use std::collections::BTreeMap;

use kzstance::suggest::{jaccard, word_set as token_set, NEAR_DUPLICATE_JACCARD};

use crate::util::repo_file;

const LABELS: [&str; 3] = ["neutral_balancing", "pro_independence", "pro_kremlin"];

struct Row {
    id: String,
    text: String,
    label: String,
    /// `written` or `article-BATCH` in the training file; empty in the held-out file.
    source: String,
}

fn load(path: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(repo_file(path)).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert!(
        headers == vec!["id", "text", "label"] || headers == vec!["id", "text", "label", "source"],
        "{path}: unexpected columns {headers:?}"
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Row {
                id: r[0].to_string(),
                text: r[1].to_string(),
                label: r[2].to_string(),
                source: r.get(3).unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// Every training row says where it came from: written one by one to the codebook, or a
/// sentence of a whole article labeled afterwards (docs/DATA.md); article rows come last.
#[test]
fn training_rows_name_their_source() {
    let rows = load("data/stance.csv");
    let mut seen_article = false;
    for row in &rows {
        match row.source.as_str() {
            "written" => assert!(!seen_article, "{}: written row after article rows", row.id),
            source => {
                let batch = source.strip_prefix("article-");
                assert!(
                    batch
                        .is_some_and(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_uppercase())),
                    "{}: source {source:?} is neither written nor article-XX",
                    row.id
                );
                seen_article = true;
            }
        }
    }
    assert!(seen_article, "no whole-article rows");
}

#[test]
fn training_file_is_large_balanced_and_free_of_near_duplicates() {
    let rows = load("data/stance.csv");
    assert!(rows.len() >= 2000, "{} rows", rows.len());
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        assert!(
            LABELS.contains(&row.label.as_str()),
            "{}: unknown label {}",
            row.id,
            row.label
        );
        *counts.entry(&row.label).or_default() += 1;
    }
    for label in LABELS {
        assert!(
            counts.get(label).copied().unwrap_or(0) >= 550,
            "label counts {counts:?}"
        );
    }
    let sets: Vec<Vec<u64>> = rows.iter().map(|r| token_set(&r.text)).collect();
    let mut with_twin = vec![false; rows.len()];
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            if jaccard(&sets[i], &sets[j]) >= NEAR_DUPLICATE_JACCARD {
                with_twin[i] = true;
                with_twin[j] = true;
            }
        }
    }
    let twins: Vec<&str> = rows
        .iter()
        .zip(&with_twin)
        .filter(|(_, t)| **t)
        .map(|(r, _)| r.id.as_str())
        .collect();
    assert!(
        twins.len() * 100 <= rows.len(),
        "{} rows have a near-duplicate: {twins:?}",
        twins.len()
    );
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), rows.len(), "ids repeat");
}

#[test]
fn held_out_file_is_large_enough_and_shares_no_near_duplicate_with_training() {
    let train = load("data/stance.csv");
    let test = load("data/stance-test.csv");
    assert!(test.len() >= 400, "{} held-out rows", test.len());
    for label in LABELS {
        assert!(
            test.iter().any(|r| r.label == label),
            "no {label} in the held-out file"
        );
    }
    let train_sets: Vec<Vec<u64>> = train.iter().map(|r| token_set(&r.text)).collect();
    for row in &test {
        let set = token_set(&row.text);
        if let Some(k) = train_sets
            .iter()
            .position(|t| jaccard(t, &set) >= NEAR_DUPLICATE_JACCARD)
        {
            panic!(
                "held-out {} is a near-duplicate of training {}:\n  {}\n  {}",
                row.id, train[k].id, row.text, train[k].text
            );
        }
    }
}
