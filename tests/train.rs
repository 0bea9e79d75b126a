//! `kzstance train`: the report, the model file, determinism and the shipped model.

use sha2::{Digest, Sha256};

use crate::util::{
    read, repo, run_in, small_training_csv, suggest_header, train_on_renamed_columns, Scratch,
    RENAMED_COLUMNS,
};

/// A quick training run's arguments: `train.csv` (written by the test) in 3 folds with
/// every term kept, the model to `out`, then `extra`.
fn quick_train_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "train",
        "--data",
        "train.csv",
        "--out",
        out,
        "--folds",
        "3",
        "--min-df",
        "1",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn training_says_how_the_solver_ran_and_warns_when_it_was_cut_short() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    let converged = scratch.run(&quick_train_args("model.json", &[])).success();
    let stderr = converged.stderr();
    assert!(
        stderr.contains("L-BFGS iterations for the final fit")
            && stderr.contains("for each of the 3 folds"),
        "{stderr}"
    );
    assert!(!stderr.contains("--max-iterations"), "{stderr}");

    let cut = scratch
        .run(&quick_train_args("cut.json", &["--max-iterations", "2"]))
        .success();
    let stderr = cut.stderr();
    assert!(
        stderr.contains("2 L-BFGS iterations for the final fit, 2 for each of the 3 folds"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: the final fit, fold 1, fold 2, fold 3 stopped at --max-iterations 2"
        ),
        "{stderr}"
    );
    // The model is still written: a short run is the user's choice, not an error.
    assert!(scratch.path("cut.json").exists());
}

#[test]
fn trains_reports_cross_validation_and_writes_a_usable_model() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    let run = scratch.run(&quick_train_args("model.json", &[])).success();
    let stdout = run.stdout();
    for needle in [
        "3-fold cross-validation on 18 rows",
        "macro-F1",
        "confusion matrix",
        "pro_kremlin",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    let model: serde_json::Value =
        serde_json::from_slice(&read(&scratch.path("model.json"))).unwrap();
    assert_eq!(model["format"], "kzstance-model");
    assert_eq!(model["version"], 4);
    // Sentences written one by one, with no article ids: nothing to read in context.
    assert!(model.get("context").is_none());
    assert_eq!(model["card"]["training_data"], "train.csv");
    assert_eq!(model["card"]["cross_validation"]["folds"], 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(scratch.path("model.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "the model file is readable by all");
    }
    let classified = scratch
        .run_with_stdin(
            &["classify", "--model", "model.json", "--format", "json"],
            Some(b"Thousands rallied in support of Ukraine. The ministry urged both sides to negotiate."),
        )
        .success()
        .json();
    let sentences = classified[0]["sentences"].as_array().unwrap();
    assert_eq!(sentences[0]["label"], "pro_independence");
    assert_eq!(sentences[1]["label"], "neutral_balancing");
}

#[test]
fn cross_validation_json_has_the_evaluation_shape() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    let report = scratch
        .run(&quick_train_args("m.json", &["--format", "json"]))
        .success()
        .json();
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy));
    assert_eq!(report["confusion"]["labels"].as_array().unwrap().len(), 3);
    let total: u64 = report["confusion"]["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(total, 18);
}

/// `--group-column` splits the cross-validation figures by a column's values; the groups'
/// rows and correct predictions add up to the whole.
#[test]
fn cross_validation_figures_per_group_add_up() {
    let scratch = Scratch::new();
    // Odd rows "written", even rows "article-A" or "article-B", cut at "-" into "article".
    let mut csv = String::from("id,text,label,source\n");
    for (i, line) in small_training_csv().lines().skip(1).enumerate() {
        let source = match i % 4 {
            0 => "article-A",
            2 => "article-B",
            _ => "written",
        };
        csv.push_str(&format!("{line},{source}\n"));
    }
    scratch.write("train.csv", csv);
    let train = |extra: &[&str]| {
        let mut args = quick_train_args("m.json", &["--format", "json"]);
        args.extend_from_slice(extra);
        scratch.run(&args).success().json()
    };
    let whole = train(&[]);
    assert!(whole.get("groups").is_none(), "no groups unless asked");
    let run = train(&["--group-column", "source", "--group-strip-suffix", "-"]);
    assert_eq!(
        run["accuracy"], whole["accuracy"],
        "grouping changes no prediction"
    );
    let groups = run["groups"].as_object().unwrap();
    let rows: Vec<(&str, u64)> = groups
        .iter()
        .map(|(name, g)| (name.as_str(), g["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(rows, vec![("article", 9), ("written", 9)]);
    let correct: f64 = groups
        .values()
        .map(|g| g["accuracy"].as_f64().unwrap() * g["rows"].as_f64().unwrap())
        .sum();
    let overall = whole["accuracy"].as_f64().unwrap() * 18.0;
    assert!((correct - overall).abs() < 1e-9, "{correct} vs {overall}");

    // The table names the column; without the suffix rule each value is its own group.
    let table = scratch
        .run(&quick_train_args("m.json", &["--group-column", "source"]))
        .success()
        .stdout();
    assert!(table.contains("by source"), "{table}");
    for group in ["article-A", "article-B", "written"] {
        assert!(table.contains(group), "{group} missing in:\n{table}");
    }
}

#[test]
fn any_label_column_trains_a_model() {
    let scratch = Scratch::new();
    let mut csv = String::from("text,sentiment\n");
    for i in 0..6 {
        csv.push_str(&format!("a wonderful hopeful day number {i},positive\n"));
        csv.push_str(&format!("a terrible gloomy night number {i},negative\n"));
    }
    scratch.write("sentiment.csv", csv);
    scratch
        .run(&[
            "train",
            "--data",
            "sentiment.csv",
            "--label-column",
            "sentiment",
            "--out",
            "s.json",
            "--folds",
            "2",
        ])
        .success();
    let out = scratch
        .run_with_stdin(
            &["classify", "--model", "s.json", "--format", "json"],
            Some(b"What a hopeful day."),
        )
        .success()
        .json();
    assert_eq!(out[0]["sentences"][0]["label"], "positive");
    assert!(
        out[0]["aggregate"]["stance_index"].is_null(),
        "no stance labels, no stance index"
    );
}

#[test]
fn same_data_settings_and_seed_give_a_byte_identical_model() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    let env = [("SOURCE_DATE_EPOCH", "1767225600")];
    for out in ["a.json", "b.json"] {
        let args = quick_train_args(out, &[]);
        run_in(&scratch.path(""), &args, None, &env).success();
    }
    assert!(
        read(&scratch.path("a.json")) == read(&scratch.path("b.json")),
        "two runs differ"
    );
    let other_seed = quick_train_args("c.json", &["--seed", "7"]);
    run_in(&scratch.path(""), &other_seed, None, &env).success();
    let a: serde_json::Value = serde_json::from_slice(&read(&scratch.path("a.json"))).unwrap();
    let c: serde_json::Value = serde_json::from_slice(&read(&scratch.path("c.json"))).unwrap();
    assert_eq!(c["card"]["seed"], 7);
    assert_ne!(a["card"]["seed"], c["card"]["seed"]);
}

/// The shipped model is exactly what the documented command produces (the training date
/// aside, which records when it was run).
#[test]
fn shipped_model_is_reproduced_by_the_documented_command() {
    let scratch = Scratch::new();
    let out = scratch.path("stance.json");
    let out = out.to_str().unwrap();
    run_in(
        &repo(),
        &[
            "train",
            "--data",
            "data/stance.csv",
            "--fit-only",
            "data/stance-articles.csv",
            "--synonyms",
            "data/synonyms.txt",
            "--alpha",
            "0.5",
            "--out",
            out,
        ],
        None,
        &[],
    )
    .success();
    let mut rebuilt: serde_json::Value =
        serde_json::from_slice(&read(&scratch.path("stance.json"))).unwrap();
    let mut shipped: serde_json::Value =
        serde_json::from_slice(&read(&repo().join("models/stance.json"))).unwrap();
    for model in [&mut rebuilt, &mut shipped] {
        model["card"]["trained_on"] = serde_json::Value::Null;
    }
    assert!(
        rebuilt == shipped,
        "models/stance.json differs from a fresh training run; retrain with the README command"
    );
}

/// The library reports featurizing once and every fit once: a fit per fold, then the final.
#[test]
fn training_reports_progress_once_per_fit() {
    use std::sync::Mutex;

    use kzstance::data::load_labeled_csv;
    use kzstance::tfidf::TfidfParams;
    use kzstance::train::{fits_to_make, train_with_progress, Progress, Provenance, TrainParams};

    let scratch = Scratch::new();
    let path = scratch.write("train.csv", small_training_csv());
    let data = load_labeled_csv(&path, "text", "label").unwrap();
    for folds in [3, 0] {
        let params = TrainParams {
            folds,
            tfidf: TfidfParams {
                min_df: 1,
                ..TrainParams::default().tfidf
            },
            ..TrainParams::default()
        };
        let steps = Mutex::new(Vec::new());
        let provenance = Provenance {
            data_name: "train.csv".into(),
            text_column: "text".into(),
            label_column: "label".into(),
            trained_on: "2026-01-01".into(),
        };
        let trained = train_with_progress(&data, None, &params, provenance, &|step| {
            steps.lock().unwrap().push(step)
        })
        .unwrap();
        assert_eq!(trained.cross_validation.is_some(), folds >= 2);
        let steps = steps.into_inner().unwrap();
        assert_eq!(steps.first(), Some(&Progress::Featurized), "folds {folds}");
        let fits = steps.iter().filter(|s| **s == Progress::FitDone).count();
        assert_eq!(fits, fits_to_make(&params), "folds {folds}");
        assert_eq!(fits, if folds >= 2 { folds + 1 } else { 1 });
    }
}

/// The small training file split in two: its header and first `split` rows, then the rest
/// with the columns in another order (`label,text`), which only the names must match.
fn split_training_csv(scratch: &Scratch, split: usize) -> String {
    let csv = small_training_csv();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    scratch.write(
        "first.csv",
        format!("{header}\n{}\n", rows[..split].join("\n")),
    );
    let swapped: Vec<String> = rows[split..]
        .iter()
        .map(|row| {
            let fields: Vec<&str> = row.split(',').collect();
            format!("{},{}", fields[2], fields[1])
        })
        .collect();
    let second = format!("label,text\n{}\n", swapped.join("\n"));
    scratch.write("second.csv", &second);
    second
}

#[test]
fn several_training_files_train_the_model_their_joined_rows_train() {
    let scratch = Scratch::new();
    split_training_csv(&scratch, 10);
    scratch.write("joined.csv", small_training_csv());
    let settings = ["--folds", "3", "--min-df", "1"];
    let mut two_files = vec!["train", "--data", "first.csv", "--data", "second.csv"];
    two_files.extend(["--out", "two.json"]);
    two_files.extend(settings);
    let run = scratch.run(&two_files).success();
    assert!(
        run.stdout().contains("3-fold cross-validation on 18 rows"),
        "{}",
        run.stdout()
    );
    let mut one_file = vec!["train", "--data", "joined.csv", "--out", "one.json"];
    one_file.extend(settings);
    scratch.run(&one_file).success();

    let load = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&read(&scratch.path(name))).unwrap()
    };
    let (two, one) = (load("two.json"), load("one.json"));
    for part in ["labels", "tokenizer", "vectorizer", "classifier"] {
        assert!(two[part] == one[part], "the models' {part} differ");
    }
    assert_eq!(
        two["card"]["cross_validation"], one["card"]["cross_validation"],
        "the same rows in the same order fall into the same folds"
    );
    let card = &two["card"];
    assert_eq!(card["training_data"], "first.csv");
    assert_eq!(card["more_training_data"][0]["path"], "second.csv");
    let second_sha256 = format!("{:x}", Sha256::digest(read(&scratch.path("second.csv"))));
    assert_eq!(
        card["more_training_data"][0]["sha256"],
        second_sha256.as_str()
    );
    assert_ne!(
        card["training_sha256"],
        card["more_training_data"][0]["sha256"]
    );
    assert!(
        one["card"].get("more_training_data").is_none(),
        "a model of one file keeps the card it always had"
    );

    let inspect = scratch
        .run(&["inspect", "--model", "two.json", "--top", "1"])
        .success()
        .stdout();
    assert!(
        inspect.contains(&format!(" + second.csv (sha256 {second_sha256})")),
        "{inspect}"
    );
}

#[test]
fn suggest_skips_the_sentences_of_every_training_file() {
    let scratch = Scratch::new();
    split_training_csv(&scratch, 10);
    scratch
        .run(&[
            "train",
            "--data",
            "first.csv",
            "--data",
            "second.csv",
            "--out",
            "two.json",
            "--folds",
            "0",
            "--min-df",
            "1",
        ])
        .success();
    // One sentence from each file, and one from neither.
    scratch.write(
        "article.txt",
        "The ministry urged both sides to negotiate. \
         Thousands rallied in support of Ukraine in Almaty. \
         Farmers in the south expect a late harvest this year.",
    );
    let run = scratch
        .run(&[
            "suggest",
            "--model",
            "two.json",
            "--count",
            "5",
            "--out",
            "next.csv",
            "article.txt",
        ])
        .success();
    assert!(
        run.stderr().contains("of first.csv + second.csv"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        suggested_texts(&scratch),
        vec!["Farmers in the south expect a late harvest this year."]
    );
}

/// A model trained on other column names gets a `suggest` file with those names, each
/// sentence beside its neighbours, and the file, once labeled, trains with the same options.
#[test]
fn suggest_writes_the_models_own_columns_and_the_labeled_file_trains_again() {
    let scratch = Scratch::new();
    train_on_renamed_columns(&scratch);
    scratch.write(
        "article.txt",
        "Farmers in the south expect a late harvest. \
         Rail freight to China grew again. \
         Teachers asked for new textbooks.",
    );
    scratch
        .run(&[
            "suggest",
            "--model",
            "model.json",
            "--out",
            "next.csv",
            "article.txt",
        ])
        .success();
    let mut reader = csv::Reader::from_path(scratch.path("next.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        suggest_header("sentence", "stance")
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let middle = rows
        .iter()
        .find(|r| &r[1] == "Rail freight to China grew again.")
        .expect("the middle sentence is suggested");
    assert_eq!(&middle[6], "Farmers in the south expect a late harvest.");
    assert_eq!(&middle[7], "Teachers asked for new textbooks.");

    // Label every suggestion (here: as its predicted label) and train on both files.
    let mut writer = csv::Writer::from_path(scratch.path("labeled.csv")).unwrap();
    writer.write_record(["sentence", "stance"]).unwrap();
    for row in &rows {
        writer.write_record([&row[1], &row[3]]).unwrap();
    }
    writer.flush().unwrap();
    let mut args = quick_train_args("next.json", &RENAMED_COLUMNS);
    args.extend(["--data", "labeled.csv"]);
    scratch.run(&args).success();
    assert!(scratch.path("next.json").exists());
}

/// The sentences of the `next.csv` that `suggest` wrote.
fn suggested_texts(scratch: &Scratch) -> Vec<String> {
    let mut reader = csv::Reader::from_path(scratch.path("next.csv")).unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect()
}

#[test]
fn a_misspelt_label_in_a_second_file_is_named_by_file_and_line() {
    let scratch = Scratch::new();
    let second = split_training_csv(&scratch, 10);
    // Line 3 of the second file gets a label that exists nowhere else.
    let mut lines: Vec<String> = second.lines().map(String::from).collect();
    lines[2] = lines[2].replacen("neutral_balancing", "nuetral_balancing", 1);
    assert!(lines[2].starts_with("nuetral_balancing,"), "{}", lines[2]);
    scratch.write("second.csv", lines.join("\n") + "\n");
    let mut args = vec!["train", "--data", "first.csv", "--data", "second.csv"];
    args.extend(["--out", "model.json", "--min-df", "1"]);
    scratch.run(&args).fails_with(
        1,
        &["label 'nuetral_balancing' has 1 row(s) (second.csv:3), fewer than the 5 cross-validation folds"],
    );
    assert!(!scratch.path("model.json").exists(), "no model is written");

    args.extend(["--folds", "0"]);
    let run = scratch.run(&args).success();
    assert!(
        run.stderr()
            .contains("warning: label 'nuetral_balancing' has only 1 row(s) (second.csv:3) beside"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_missing_second_training_file_is_named_and_nothing_is_written() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    scratch
        .run(&[
            "train",
            "--data",
            "train.csv",
            "--data",
            "mine.csv",
            "--out",
            "model.json",
        ])
        .fails_with(1, &["mine.csv"]);
    assert!(!scratch.path("model.json").exists());
}

/// `--fit-only` rows train the model in every fold and in the final fit, but the
/// cross-validation figures count only the `--data` rows, and the card names the file.
#[test]
fn fit_only_rows_train_the_model_but_are_never_scored() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    let extra = "text,label\n\
        Moscow is Kazakhstan's oldest and closest ally,pro_kremlin\n\
        Astana will never again take orders from the Kremlin,pro_independence\n\
        The ministry listed trade with Russia and with Europe,neutral_balancing\n\
        Kazakhstan should follow the Kremlin's lead,pro_kremlin\n";
    scratch.write("extra.csv", extra);
    let settings = ["--folds", "3", "--min-df", "1", "--format", "json"];
    let mut with_extra = vec!["train", "--data", "train.csv", "--fit-only", "extra.csv"];
    with_extra.extend(["--out", "with.json"]);
    with_extra.extend(settings);
    let report = scratch.run(&with_extra).success().json();
    let scored: u64 = report["per_class"]
        .as_object()
        .unwrap()
        .values()
        .map(|class| class["support"].as_u64().unwrap())
        .sum();
    assert_eq!(scored, 18, "only the --data rows are scored: {report}");
    let mut without = vec!["train", "--data", "train.csv", "--out", "without.json"];
    without.extend(settings);
    scratch.run(&without).success();

    let load = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&read(&scratch.path(name))).unwrap()
    };
    let (with, without) = (load("with.json"), load("without.json"));
    assert!(
        with["classifier"] != without["classifier"],
        "the fit-only rows change the fitted weights"
    );
    let card = &with["card"];
    assert_eq!(card["fit_only_data"][0]["path"], "extra.csv");
    let extra_sha256 = format!("{:x}", Sha256::digest(extra.as_bytes()));
    assert_eq!(card["fit_only_data"][0]["sha256"], extra_sha256.as_str());
    let fitted_rows: u64 = card["rows_per_label"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[1].as_u64().unwrap())
        .sum();
    assert_eq!(fitted_rows, 22, "the card counts every row fitted on");
    assert!(without["card"].get("fit_only_data").is_none());

    let inspect = scratch
        .run(&["inspect", "--model", "with.json", "--top", "1"])
        .success()
        .stdout();
    assert!(
        inspect.contains(&format!(
            "fit only        extra.csv (sha256 {extra_sha256})"
        )),
        "{inspect}"
    );
    assert!(
        inspect.contains("fit-only rows in every fold, never scored"),
        "{inspect}"
    );

    // The model was fitted on the fit-only sentences, so `suggest` does not offer them.
    scratch.write(
        "article.txt",
        "Kazakhstan should follow the Kremlin's lead. \
         Farmers in the south expect a late harvest this year.",
    );
    let run = scratch
        .run(&[
            "suggest",
            "--model",
            "with.json",
            "--out",
            "next.csv",
            "article.txt",
        ])
        .success();
    assert_eq!(
        suggested_texts(&scratch),
        vec!["Farmers in the south expect a late harvest this year."],
        "{}",
        run.stderr()
    );
}

/// A fit-only row that repeats a scored sentence would leak it into the folds that score
/// it; training goes on but says so. A broken fit-only file is refused by name and line.
#[test]
fn fit_only_rows_repeating_scored_sentences_are_counted_and_bad_files_named() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    scratch.write(
        "extra.csv",
        "text,label\nMoscow sent troops at the request of Astana,pro_kremlin\n",
    );
    let args = |extra: &'static str| {
        [
            "train",
            "--data",
            "train.csv",
            "--fit-only",
            extra,
            "--out",
            "m.json",
            "--folds",
            "3",
            "--min-df",
            "1",
        ]
    };
    let run = scratch.run(&args("extra.csv")).success();
    assert!(
        run.stderr()
            .contains("extra.csv: 1 fit-only rows repeat the text of a scored row"),
        "{}",
        run.stderr()
    );
    let model = read(&scratch.path("m.json"));
    scratch.write("broken.csv", "text,label\nAstana abstained.,\n");
    scratch
        .run(&args("broken.csv"))
        .fails_with(1, &["broken.csv", "line 2"]);
    assert_eq!(
        read(&scratch.path("m.json")),
        model,
        "a failed run leaves the model it would have replaced"
    );
}

/// Rows of articles (consecutive rows with ids `ARTICLE-NUMBER` of one `ARTICLE`) teach the
/// model how labels follow one another: the file stores every neighbouring pair of labels
/// within an article, none across two, and `--no-context` stores none.
#[test]
fn articles_in_the_data_teach_how_labels_follow_one_another() {
    let scratch = Scratch::new();
    let rows: Vec<(String, String)> = csv::Reader::from_reader(small_training_csv().as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_string(), r[2].to_string())
        })
        .collect();
    let labels = ["neutral_balancing", "pro_independence", "pro_kremlin"];
    let mut expected = [[0u64; 3]; 3];
    let mut csv = String::from("id,text,label\n");
    for article in 0..8 {
        // Each article takes the rows in another order, so that every pair occurs.
        let order: Vec<usize> = (0..rows.len())
            .map(|i| (i * (2 * article + 1) + article) % rows.len())
            .collect();
        for (n, &i) in order.iter().enumerate() {
            csv.push_str(&format!(
                "a{article}-{n:02},\"{}\",{}\n",
                rows[i].0, rows[i].1
            ));
        }
        for pair in order.windows(2) {
            let index = |i: usize| labels.iter().position(|l| *l == rows[i].1).unwrap();
            expected[index(pair[0])][index(pair[1])] += 1;
        }
    }
    scratch.write("articles.csv", csv);
    let train = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "train",
            "--data",
            "articles.csv",
            "--out",
            out,
            "--folds",
            "0",
            "--min-df",
            "1",
        ];
        args.extend(extra);
        let run = scratch.run(&args).success();
        let model: serde_json::Value = serde_json::from_slice(&read(&scratch.path(out))).unwrap();
        (run.stderr(), model)
    };
    let (stderr, model) = train("context.json", &[]);
    let transitions: Vec<Vec<u64>> =
        serde_json::from_value(model["context"]["transitions"].clone()).unwrap();
    assert_eq!(transitions, expected.map(|row| row.to_vec()).to_vec());
    let total: u64 = expected.iter().flatten().sum();
    assert_eq!(total, 8 * (rows.len() as u64 - 1));
    assert!(
        stderr.contains(&format!(
            "reads sentences in context, from {total} label transitions"
        )),
        "{stderr}"
    );
    let (stderr, model) = train("alone.json", &["--no-context"]);
    assert!(model.get("context").is_none());
    assert!(
        stderr.contains("reads every sentence alone (--no-context)"),
        "{stderr}"
    );
}

/// The probabilities `model.json` gives `sentence`, read alone.
fn probabilities_of(scratch: &Scratch, sentence: &str) -> serde_json::Value {
    let out = scratch
        .run_with_stdin(
            &[
                "classify",
                "--model",
                "model.json",
                "--no-context",
                "--format",
                "json",
            ],
            Some(sentence.as_bytes()),
        )
        .success()
        .json();
    out[0]["sentences"][0]["probabilities"].clone()
}

/// A lexicon folds a synonym into its group's first word: the spun sentence reads exactly as
/// its original, the groups travel in the model file, and `inspect` names them.
#[test]
fn a_synonym_lexicon_makes_a_spun_sentence_read_as_its_original() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    scratch.write(
        "synonyms.txt",
        "# spinners' swaps\nrefuse, decline, rebuff\nrecognise, acknowledge\n",
    );
    scratch
        .run(&quick_train_args(
            "model.json",
            &["--synonyms", "synonyms.txt"],
        ))
        .success();
    let original = probabilities_of(&scratch, "Astana refused to recognise the republics");
    let spun = probabilities_of(&scratch, "Astana rebuffed to acknowledge the republics");
    assert_eq!(original, spun);

    let model: serde_json::Value =
        serde_json::from_slice(&read(&scratch.path("model.json"))).unwrap();
    assert_eq!(
        model["tokenizer"]["synonyms"],
        serde_json::json!([
            ["refuse", "decline", "rebuff"],
            ["recognise", "acknowledge"]
        ])
    );
    let inspected = scratch
        .run(&["inspect", "--model", "model.json", "--top", "1"])
        .success()
        .stdout();
    assert!(inspected.contains("2 synonym groups"), "{inspected}");
    let term = scratch
        .run(&[
            "inspect",
            "--model",
            "model.json",
            "--top",
            "1",
            "--term",
            "rebuffed",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(term["terms"][0]["stem"], "refus");
    assert_eq!(term["terms"][0]["synonym_stem"], "rebuf");

    // Without the lexicon the spun words are strangers and the two sentences differ.
    scratch.run(&quick_train_args("plain.json", &[])).success();
    std::fs::rename(scratch.path("plain.json"), scratch.path("model.json")).unwrap();
    assert_ne!(
        probabilities_of(&scratch, "Astana refused to recognise the republics"),
        probabilities_of(&scratch, "Astana rebuffed to acknowledge the republics")
    );
}

/// A lexicon with a word in two groups is refused by file and line, and the model it would
/// have replaced is left as it was.
#[test]
fn a_bad_synonym_lexicon_is_named_by_file_and_line_and_nothing_is_overwritten() {
    let scratch = Scratch::new();
    scratch.write("train.csv", small_training_csv());
    scratch.run(&quick_train_args("model.json", &[])).success();
    let before = read(&scratch.path("model.json"));
    scratch.write("synonyms.txt", "help, aid\n\nassist, aids\n");
    scratch
        .run(&quick_train_args(
            "model.json",
            &["--synonyms", "synonyms.txt"],
        ))
        .fails_with(
            1,
            &[
                "synonyms.txt: line 3",
                "'aids' (term 'aid') is already in the group on line 1",
            ],
        );
    assert_eq!(read(&scratch.path("model.json")), before);
}
