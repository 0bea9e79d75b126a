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

/// In an article, each sentence's label and probabilities are read in the context of the
/// others, as `classify` reads them; the terms still explain the sentence alone, whose own
/// reading `alone` keeps, and the table says when the neighbours changed the label.
#[test]
fn sentences_of_an_article_are_explained_in_context_and_alone() {
    let scratch = Scratch::new();
    let article = crate::util::read(&crate::util::repo_file(
        "data/articles/independence-report.txt",
    ));
    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "--format", "json"];
        args.extend(extra);
        args.push("-");
        scratch
            .run_with_stdin(&args, Some(&article))
            .success()
            .json()
    };
    let classified = scratch
        .run_with_stdin(&["classify", "--format", "json", "-"], Some(&article))
        .success()
        .json();
    let in_context = explain(&[]);
    let sentences = in_context.as_array().unwrap();
    let mut tipped = Vec::new();
    for (e, c) in sentences
        .iter()
        .zip(classified[0]["sentences"].as_array().unwrap())
    {
        assert_eq!(e["label"], c["label"]);
        assert_eq!(e["probabilities"], c["probabilities"]);
        let alone = &e["alone"];
        assert!(alone.is_object(), "{e}");
        if alone["label"] != e["label"] {
            tipped.push((
                e["index"].as_u64().unwrap(),
                alone["label"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert!(
        !tipped.is_empty(),
        "no sentence's neighbours changed its label"
    );
    let table = scratch
        .run_with_stdin(&["explain", "-"], Some(&article))
        .success()
        .stdout();
    for (index, label) in &tipped {
        let section = table
            .split(&format!("[{index}] "))
            .nth(1)
            .unwrap()
            .split("┌")
            .next()
            .unwrap();
        assert!(
            section.contains(&format!("read alone: {label} (")),
            "{section}"
        );
    }
    // Read alone, the same sentences carry no `alone`, and their probabilities are it.
    let read_alone = explain(&["--no-context"]);
    for (a, e) in read_alone.as_array().unwrap().iter().zip(sentences) {
        assert!(a.get("alone").is_none(), "{a}");
        assert_eq!(a["probabilities"], e["alone"]["probabilities"]);
    }
    let table = scratch
        .run_with_stdin(&["explain", "--no-context", "-"], Some(&article))
        .success()
        .stdout();
    assert!(!table.contains("read alone"), "{table}");
}
