//! `kzstance evaluate`: table and JSON figures on labeled data.

use crate::util::{repo_file, train_on_renamed_columns, Scratch};

/// `kzstance evaluate --format json` of the shipped model on the held-out file.
fn held_out_figures() -> serde_json::Value {
    let data = repo_file("data/stance-test.csv");
    Scratch::new()
        .run(&[
            "evaluate",
            "--data",
            data.to_str().unwrap(),
            "--format",
            "json",
        ])
        .success()
        .json()
}

#[test]
fn json_figures_are_consistent() {
    let out = held_out_figures();
    let labels: Vec<&str> = out["confusion"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        vec!["neutral_balancing", "pro_independence", "pro_kremlin"]
    );
    let matrix = out["confusion"]["matrix"].as_array().unwrap();
    let total: u64 = matrix
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    let diagonal: u64 = (0..3).map(|i| matrix[i][i].as_u64().unwrap()).sum();
    let accuracy = out["accuracy"].as_f64().unwrap();
    assert!((accuracy - diagonal as f64 / total as f64).abs() < 1e-12);
    let mut f1_sum = 0.0;
    for (i, label) in labels.iter().enumerate() {
        let class = &out["per_class"][label];
        let support: u64 = matrix[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(class["support"].as_u64().unwrap(), support);
        f1_sum += class["f1"].as_f64().unwrap();
    }
    assert!((out["macro_f1"].as_f64().unwrap() - f1_sum / 3.0).abs() < 1e-12);
}

/// The bar for the shipped model on the held-out file.
#[test]
fn shipped_model_meets_the_held_out_targets() {
    let out = held_out_figures();
    let macro_f1 = out["macro_f1"].as_f64().unwrap();
    assert!(
        macro_f1 >= 0.80,
        "held-out macro-F1 {macro_f1} is below 0.80"
    );
    for (label, figures) in out["per_class"].as_object().unwrap() {
        let f1 = figures["f1"].as_f64().unwrap();
        assert!(f1 >= 0.75, "held-out F1 of {label} is {f1}, below 0.75");
    }
}

/// The shipped model's held-out figures as recorded when it was trained
/// (`models/stance-test-figures.json`): any change to tokenizing, vectorizing or scoring
/// that alters a single prediction shows up here, so speed work cannot change results
/// unnoticed. Retraining the shipped model means regenerating that file.
#[test]
fn shipped_model_reproduces_its_recorded_held_out_figures() {
    let out = held_out_figures();
    let recorded: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_file("models/stance-test-figures.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        out, recorded,
        "held-out figures differ from the recorded ones"
    );
}

#[test]
fn table_output_lists_every_label() {
    let scratch = Scratch::new();
    scratch.write("d.csv", "text,label\nAstana abstained at the UN.,neutral_balancing\nMoscow sent troops to Almaty.,pro_kremlin\n");
    let out = scratch
        .run(&["evaluate", "--data", "d.csv"])
        .success()
        .stdout();
    for needle in [
        "2 rows of d.csv",
        "accuracy",
        "macro-F1",
        "neutral_balancing",
        "pro_kremlin",
        "confusion matrix",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn labels_the_model_lacks_are_refused() {
    let scratch = Scratch::new();
    scratch.write("d.csv", "text,label\nA fine day.,positive\n");
    scratch.run(&["evaluate", "--data", "d.csv"]).fails_with(
        1,
        &["d.csv:2: label 'positive' is not one of the model's labels (neutral_balancing, pro_independence, pro_kremlin)"],
    );
    // A label spelt another way is named with the model's spelling; later rows are counted.
    scratch.write(
        "e.csv",
        "text,label\nAstana abstained.,neutral_balancing\nAstana refused.,Pro-Independence\nA fine day.,positive\n",
    );
    scratch.run(&["evaluate", "--data", "e.csv"]).fails_with(
        1,
        &[
            "e.csv:3: label 'Pro-Independence' is not one of the model's labels",
            "did you mean 'pro_independence'?",
            "(1 more row(s) have labels the model lacks)",
        ],
    );
}

/// Six held-out-style rows in three articles; `id`s are `ARTICLE-NN`.
const GROUPED: &str = "id,text,label,outlet
a1-01,Astana abstained at the UN vote and called for talks.,neutral_balancing,wire
a1-02,Moscow sent troops to Almaty at Tokayev's request.,pro_kremlin,wire
a2-01,Kazakhstan will not help Russia evade sanctions.,pro_independence,daily
a2-02,Thousands rallied in Almaty in support of Ukraine.,pro_independence,daily
a2-03,The Kremlin called Kazakhstan part of the Russian world.,pro_kremlin,daily
a3-01,Astana keeps a multi-vector foreign policy.,neutral_balancing,wire
";

#[test]
fn groups_split_the_rows_and_their_figures_add_up() {
    let scratch = Scratch::new();
    scratch.write("d.csv", GROUPED);
    let whole = scratch
        .run(&["evaluate", "--data", "d.csv", "--format", "json"])
        .success()
        .json();
    assert!(whole.get("groups").is_none(), "no groups unless asked");
    let run = scratch
        .run(&[
            "evaluate",
            "--data",
            "d.csv",
            "--format",
            "json",
            "--group-column",
            "id",
            "--group-strip-suffix",
            "-",
        ])
        .success()
        .json();
    let groups = run["groups"].as_object().unwrap();
    let rows: Vec<(&str, u64)> = groups
        .iter()
        .map(|(name, g)| (name.as_str(), g["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(rows, vec![("a1", 2), ("a2", 3), ("a3", 1)]);
    // Correct rows per group add up to the correct rows overall.
    let correct: f64 = groups
        .values()
        .map(|g| g["accuracy"].as_f64().unwrap() * g["rows"].as_f64().unwrap())
        .sum();
    let overall = whole["accuracy"].as_f64().unwrap() * 6.0;
    assert!((correct - overall).abs() < 1e-9, "{correct} vs {overall}");
    assert_eq!(run["accuracy"], whole["accuracy"]);

    // Without the suffix rule, a plain column groups by its whole value.
    let table = scratch
        .run(&["evaluate", "--data", "d.csv", "--group-column", "outlet"])
        .success()
        .stdout();
    assert!(table.contains("by outlet"), "{table}");
    let wire = table.lines().find(|l| l.contains("wire")).unwrap();
    let daily = table.lines().find(|l| l.contains("daily")).unwrap();
    assert!(wire.contains(" 3 "), "{wire}");
    assert!(daily.contains(" 3 "), "{daily}");
}

#[test]
fn predictions_file_holds_every_row_and_agrees_with_the_figures() {
    let scratch = Scratch::new();
    scratch.write("d.csv", GROUPED);
    let figures = scratch
        .run(&[
            "evaluate",
            "--data",
            "d.csv",
            "--format",
            "json",
            "--group-column",
            "outlet",
            "--predictions",
            "predictions.csv",
        ])
        .success()
        .json();
    let mut reader = csv::Reader::from_path(scratch.path("predictions.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "line",
            "group",
            "text",
            "label",
            "predicted",
            "correct",
            "p_neutral_balancing",
            "p_pro_independence",
            "p_pro_kremlin"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    let mut correct = 0;
    for (row, record) in rows.iter().enumerate() {
        // Rows start on line 2, after the header, and keep their text and group.
        assert_eq!(record[0], (row + 2).to_string());
        let source = GROUPED.lines().nth(row + 1).unwrap();
        assert!(source.contains(&record[2]), "{source} vs {:?}", &record[2]);
        assert!(source.ends_with(&record[1]), "{source} vs {:?}", &record[1]);
        let probabilities: Vec<f64> = (6..9).map(|i| record[i].parse().unwrap()).collect();
        assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-5);
        // The predicted label is the most probable one; `correct` compares it with the label.
        let best = (0..3)
            .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
            .unwrap();
        assert_eq!(&header[6 + best][2..], &record[4]);
        assert_eq!(record[5] == *"true", record[3] == record[4]);
        correct += usize::from(record[5] == *"true");
    }
    let accuracy = figures["accuracy"].as_f64().unwrap();
    assert!((correct as f64 / 6.0 - accuracy).abs() < 1e-9);
}

#[test]
fn a_failed_predictions_write_leaves_the_old_file_alone() {
    let scratch = Scratch::new();
    scratch.write("d.csv", GROUPED);
    scratch.write("predictions.csv", "keep me\n");
    // A label the model lacks stops the run before anything is written.
    scratch.write("bad.csv", "text,label\nSome sentence.,sentiment_positive\n");
    scratch
        .run(&[
            "evaluate",
            "--data",
            "bad.csv",
            "--predictions",
            "predictions.csv",
        ])
        .fails_with(1, &["sentiment_positive"]);
    assert_eq!(
        std::fs::read_to_string(scratch.path("predictions.csv")).unwrap(),
        "keep me\n"
    );
    scratch
        .run(&[
            "evaluate",
            "--data",
            "d.csv",
            "--predictions",
            "missing/p.csv",
        ])
        .fails_with(1, &["missing", "does not exist"]);
}

/// Scoring a model on a file it was fitted on gives training figures; `evaluate` knows the
/// file by its SHA-256 on the model card and says so, and says nothing for a held-out file.
#[test]
fn a_file_the_model_was_fitted_on_draws_a_warning() {
    let scratch = Scratch::new();
    let articles = repo_file("data/stance-articles.csv");
    let run = scratch
        .run(&["evaluate", "--data", articles.to_str().unwrap()])
        .success();
    assert!(
        run.stderr().contains(
            "has the SHA-256 of data/stance-articles.csv, a file the model was fitted on: these are training figures, not a test"
        ),
        "{}",
        run.stderr()
    );
    let held_out = repo_file("data/stance-test.csv");
    let run = scratch
        .run(&["evaluate", "--data", held_out.to_str().unwrap()])
        .success();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
}

/// A model trained on other column names is evaluated on them without repeating the
/// options; given options still win.
#[test]
fn the_models_own_column_names_are_the_default() {
    let scratch = Scratch::new();
    train_on_renamed_columns(&scratch);
    scratch.write(
        "test.csv",
        "sentence,stance,note\nAstana refused to recognise the republics,pro_independence,x\n",
    );
    let figures = scratch
        .run(&[
            "evaluate",
            "--model",
            "model.json",
            "--data",
            "test.csv",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(
        figures["per_class"]["pro_independence"]["support"], 1,
        "{figures}"
    );
    let card = scratch
        .run(&["inspect", "--model", "model.json"])
        .success()
        .stdout();
    assert!(
        card.contains("columns         text 'sentence', label 'stance'"),
        "{card}"
    );
    // A given column wins over the model's: `label` is not a column of this file.
    scratch
        .run(&[
            "evaluate",
            "--model",
            "model.json",
            "--data",
            "test.csv",
            "--label-column",
            "label",
        ])
        .fails_with(1, &["test.csv: no column named 'label'"]);
}

/// A file without one of the model's labels is scored on the labels it has: macro-F1 leaves
/// the absent label out, and the table shows it without figures.
#[test]
fn a_label_absent_from_the_file_and_the_predictions_is_left_out() {
    let scratch = Scratch::new();
    scratch.write(
        "two.csv",
        "text,label\nThousands rallied in Almaty in support of Ukraine.,pro_independence\n\
         Russian troops arrived in Kazakhstan at Tokayev's request to restore order.,pro_kremlin\n",
    );
    let figures = scratch
        .run(&["evaluate", "--data", "two.csv", "--format", "json"])
        .success()
        .json();
    assert_eq!(figures["accuracy"], 1.0, "{figures}");
    assert_eq!(figures["macro_f1"], 1.0, "{figures}");
    let table = scratch
        .run(&["evaluate", "--data", "two.csv"])
        .success()
        .stdout();
    let neutral = table
        .lines()
        .find(|l| l.contains("neutral_balancing"))
        .unwrap();
    assert!(neutral.contains("–") && neutral.contains(" 0 "), "{table}");
}

/// Rows of one article (consecutive, ids `ARTICLE-NUMBER` of the same `ARTICLE`, the NUMBER
/// rising) are read in one another's context: each row's probabilities are those of every label sequence over the
/// article, weighted by the rows' own probabilities (`--no-context`) and the lift of each
/// neighbouring pair of labels that the model file stores, and summed per row. Rows without
/// such ids are read alone.
#[test]
fn rows_of_one_article_are_read_in_context() {
    let scratch = Scratch::new();
    let sentences = [
        "Moscow sent troops at Tokayev's request.",
        "The talks lasted three hours.",
        "Kazakhstan will not recognise the separatist republics.",
        "Officials declined to comment.",
        "Activists rallied in Almaty in support of Ukraine.",
    ];
    let mut csv = String::from("id,text,label\n");
    for (i, sentence) in sentences.iter().enumerate() {
        csv.push_str(&format!("art-{i},\"{sentence}\",neutral_balancing\n"));
    }
    // The same sentences again, with ids that name no article.
    for (i, sentence) in sentences.iter().enumerate() {
        csv.push_str(&format!("loose{i},\"{sentence}\",neutral_balancing\n"));
    }
    // And again under the first article's ids: numbering starts over, so another article.
    for (i, sentence) in sentences.iter().enumerate() {
        csv.push_str(&format!("art-{i},\"{sentence}\",neutral_balancing\n"));
    }
    scratch.write("rows.csv", csv);
    let probabilities = |extra: &[&str], out: &str| -> Vec<Vec<f64>> {
        let mut args = vec!["evaluate", "--data", "rows.csv", "--predictions", out];
        args.extend(extra);
        let run = scratch.run(&args).success();
        if extra.is_empty() {
            assert!(
                run.stdout().contains(
                    "15 rows of rows.csv, 10 of them read in the context of their article (2 articles:"
                ),
                "{}",
                run.stdout()
            );
        }
        let mut reader = csv::Reader::from_path(scratch.path(out)).unwrap();
        let header = reader.headers().unwrap().clone();
        let columns: Vec<usize> = ["p_neutral_balancing", "p_pro_independence", "p_pro_kremlin"]
            .iter()
            .map(|name| header.iter().position(|h| h == *name).unwrap())
            .collect();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                columns.iter().map(|&c| r[c].parse().unwrap()).collect()
            })
            .collect()
    };
    let in_context = probabilities(&[], "context.csv");
    let alone = probabilities(&["--no-context"], "alone.csv");
    // Lift from the model file's transition counts, each plus one.
    let model: serde_json::Value =
        serde_json::from_slice(&crate::util::read(&repo_file("models/stance.json"))).unwrap();
    let counts: Vec<Vec<f64>> = model["context"]["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let row: Vec<f64> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_f64().unwrap() + 1.0)
                .collect();
            let total: f64 = row.iter().sum();
            row.iter().map(|c| c / total).collect()
        })
        .collect();
    let overall: Vec<f64> = (0..3)
        .map(|j| counts.iter().map(|row| row[j]).sum::<f64>() / 3.0)
        .collect();
    let lift = |i: usize, j: usize| counts[i][j] / overall[j];
    let mut exact = vec![vec![0.0; 3]; 5];
    for sequence in 0..3usize.pow(5) {
        let labels: Vec<usize> = (0..5).map(|t| sequence / 3usize.pow(t) % 3).collect();
        let mut weight: f64 = (0..5).map(|t| alone[t][labels[t]]).product();
        for t in 1..5 {
            weight *= lift(labels[t - 1], labels[t]);
        }
        for t in 0..5 {
            exact[t][labels[t]] += weight;
        }
    }
    for t in 0..5 {
        let total: f64 = exact[t].iter().sum();
        for j in 0..3 {
            let expected = exact[t][j] / total;
            assert!(
                (in_context[t][j] - expected).abs() < 1e-4,
                "row {t}: {:?} against {expected}",
                in_context[t]
            );
        }
    }
    assert_ne!(in_context[..5], alone[..5], "the context changed nothing");
    // Rows of no article read alone either way, and as the same sentences alone.
    assert_eq!(in_context[5..10], alone[5..10]);
    assert_eq!(alone[5..10], alone[..5]);
    // The second article is read like the first, not as a continuation of anything.
    assert_eq!(in_context[10..], in_context[..5]);
}
