//! `kzstance explain`: contributions that add up, spans that point at the words.

use crate::util::Scratch;

#[test]
fn json_contributions_plus_bias_equal_scores_and_spans_point_at_words() {
    let text = "Kazakhstan will not help Russia evade sanctions, the official said. Thousands marched in Almaty for Ukraine.";
    let out = Scratch::new()
        .run(&["explain", "--format", "json", "--top", "1000", text])
        .success()
        .json();
    let sentences = out.as_array().unwrap();
    assert_eq!(sentences.len(), 2);
    for s in sentences {
        let labels: Vec<String> = s["scores"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(labels.len(), 3);
        for label in &labels {
            let sum: f64 = s["terms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["contributions"][label].as_f64().unwrap())
                .sum();
            let total = sum + s["bias"][label].as_f64().unwrap();
            assert!(
                (total - s["scores"][label].as_f64().unwrap()).abs() < 1e-9,
                "{label}: {total}"
            );
        }
        for term in s["terms"].as_array().unwrap() {
            for (span, word) in term["spans"]
                .as_array()
                .unwrap()
                .iter()
                .zip(term["words"].as_array().unwrap())
            {
                let (a, b) = (
                    span[0].as_u64().unwrap() as usize,
                    span[1].as_u64().unwrap() as usize,
                );
                assert_eq!(&text[a..b], word.as_str().unwrap());
            }
        }
    }
    let first = &sentences[0];
    let label = first["label"].as_str().unwrap();
    let contributions: Vec<f64> = first["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["contributions"][label].as_f64().unwrap())
        .collect();
    assert!(
        contributions.windows(2).all(|w| w[0] >= w[1]),
        "terms are not sorted by pull toward {label}"
    );
}

#[test]
fn table_shows_bias_terms_and_score() {
    let out = Scratch::new()
        .run_with_stdin(
            &["explain", "--top", "3", "-"],
            Some(b"Moscow sent troops at Tokayev's request."),
        )
        .success()
        .stdout();
    for needle in [
        "[0] Moscow sent troops at Tokayev's request.",
        "(bias)",
        "= score",
        "tf-idf",
        "pro_kremlin",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

/// A file name as TEXT is explained as words, but the user is told how to explain the
/// file; blank text says there is nothing to explain.
#[test]
fn a_file_name_or_blank_text_draws_a_hint() {
    let scratch = Scratch::new();
    scratch.write("article.txt", "Astana abstained.");
    let run = scratch.run(&["explain", "article.txt"]).success();
    assert!(
        run.stderr()
            .contains("to explain that file's text, run `kzstance explain - < article.txt`"),
        "{}",
        run.stderr()
    );
    assert!(run.stdout().contains("[0] article.txt"), "{}", run.stdout());
    let run = scratch.run(&["explain", "Astana abstained."]).success();
    assert_eq!(run.stderr(), "");
    let run = scratch.run(&["explain", "  "]).success();
    assert!(
        run.stderr().contains("no text to explain"),
        "{}",
        run.stderr()
    );
}
