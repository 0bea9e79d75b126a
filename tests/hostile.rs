//! Hostile input: every bad input gets a clear error naming the file, line or byte and
//! the problem, exit code 1 (2 for bad usage), no panic, and nothing lost.

use crate::util::{read, small_training_csv, Scratch};

fn train(scratch: &Scratch, data: &str) -> crate::util::Run {
    scratch.run(&[
        "train",
        "--data",
        data,
        "--out",
        "model.json",
        "--folds",
        "2",
        "--min-df",
        "1",
    ])
}

#[test]
fn training_csv_problems_name_file_line_and_problem() {
    let s = Scratch::new();
    train(&s, "missing.csv").fails_with(1, &["missing.csv", "No such file"]);
    s.write("empty.csv", "");
    train(&s, "empty.csv").fails_with(1, &["empty.csv: the file is empty"]);
    s.write("cols.csv", "id,sentence,stance\n1,a,b\n");
    train(&s, "cols.csv").fails_with(
        1,
        &["cols.csv: no column named 'text' (columns found: 'id', 'sentence', 'stance')"],
    );
    let run = train(&s, "cols.csv");
    assert!(!run.stderr().contains("separated by"), "{}", run.stderr());
    s.write("semicolons.csv", "text;label\nfine;a\nalso fine;b\n");
    train(&s, "semicolons.csv").fails_with(
        1,
        &["semicolons.csv: no column named 'text' (columns found: 'text;label'); the header looks separated by semicolons: save the file with commas"],
    );
    s.write("tabs.csv", "text\tlabel\nfine\ta\n");
    train(&s, "tabs.csv").fails_with(1, &["the header looks separated by tabs"]);
    s.write("notext.csv", "text,label\nfine,a\n  ,b\n");
    train(&s, "notext.csv").fails_with(1, &["notext.csv: line 3: the text column is empty"]);
    s.write("nolabel.csv", "text,label\nfine,a\nalso fine,\n");
    train(&s, "nolabel.csv").fails_with(1, &["nolabel.csv: line 3: the label column is empty"]);
    s.write("ragged.csv", "text,label\nfine,a\nextra,b,c\n");
    train(&s, "ragged.csv").fails_with(
        1,
        &["ragged.csv: line 3: the row has 3 fields but the header has 2"],
    );
    s.write(
        "bad-utf8.csv",
        b"text,label\nfine,a\nbad \xC3\x28 bytes,b\n".as_slice(),
    );
    train(&s, "bad-utf8.csv").fails_with(
        1,
        &["bad-utf8.csv: line 3: the text column is not valid UTF-8"],
    );
    s.write("header-only.csv", "text,label\n");
    train(&s, "header-only.csv").fails_with(1, &["header-only.csv: no data rows"]);
}

#[test]
fn label_problems_are_explained() {
    let s = Scratch::new();
    s.write("fine.csv", small_training_csv());
    s.run(&[
        "train", "--data", "fine.csv", "--out", "m.json", "--ngrams", "9",
    ])
    .fails_with(
        1,
        &["invalid setting ngrams = 9: a whole number from 1 to 8"],
    );
    for (flag, value, message) in [
        (
            "--alpha",
            "0",
            "invalid setting alpha = 0: a finite number greater than 0",
        ),
        (
            "--tolerance",
            "0",
            "invalid setting tolerance = 0: a finite number greater than 0",
        ),
        (
            "--max-iterations",
            "0",
            "invalid setting max_iterations = 0: at least 1",
        ),
    ] {
        s.run(&[
            "train", "--data", "fine.csv", "--out", "m.json", flag, value,
        ])
        .fails_with(1, &[message]);
    }
    s.write("one.csv", "text,label\na,x\nb,x\nc,x\n");
    train(&s, "one.csv").fails_with(1, &["cannot train on a single label ('x')"]);
    s.write("few.csv", "text,label\na,x\nb,x\nc,x\nd,y\n");
    s.run(&[
        "train", "--data", "few.csv", "--out", "m.json", "--folds", "3", "--min-df", "1",
    ])
    .fails_with(
        1,
        &["label 'y' has 1 row(s) (few.csv:5), fewer than the 3 cross-validation folds"],
    );
    assert!(!s.path("m.json").exists());
}

#[test]
fn awkward_but_valid_csvs_train() {
    let s = Scratch::new();
    // BOM, CRLF, quoted fields with newlines and commas, a duplicate row, a 10 MB field.
    let mut csv = String::from("\u{feff}text,label\r\n");
    csv.push_str("\"Astana, not Moscow,\nsets policy\",b\r\n");
    csv.push_str("\"Astana, not Moscow,\nsets policy\",b\r\n");
    csv.push_str("Moscow sets policy,a\r\nMoscow again,a\r\nKyiv aid,b\r\n");
    csv.push_str(&format!("\"{}\",a\r\n", "word ".repeat(2_000_000)));
    s.write("awkward.csv", csv);
    let run = train(&s, "awkward.csv").success();
    assert!(
        run.stderr().contains("awkward.csv: 1 duplicate rows"),
        "{}",
        run.stderr()
    );
    assert!(s.path("model.json").exists());
}

#[test]
fn a_failed_training_run_leaves_the_old_model_byte_identical() {
    let s = Scratch::new();
    s.write("good.csv", small_training_csv());
    train(&s, "good.csv").success();
    let before = read(&s.path("model.json"));
    s.write("bad.csv", "text,label\na,x\nb,x\n");
    train(&s, "bad.csv").fails_with(1, &["single label"]);
    assert!(
        read(&s.path("model.json")) == before,
        "the old model changed"
    );
    // Output into a directory that does not exist: a clear error, nothing written.
    s.run(&[
        "train",
        "--data",
        "good.csv",
        "--out",
        "nowhere/model.json",
        "--folds",
        "0",
        "--min-df",
        "1",
    ])
    .fails_with(
        1,
        &["the model was not written to nowhere/model.json", "nowhere"],
    );
}

#[test]
fn killing_training_midway_leaves_the_old_model_byte_identical() {
    let s = Scratch::new();
    s.write("good.csv", small_training_csv());
    train(&s, "good.csv").success();
    let before = read(&s.path("model.json"));
    // A larger file keeps training busy for seconds, long enough to be killed midway.
    let mut big = String::from("text,label\n");
    for i in 0..40_000u64 {
        let words: Vec<String> = (0..12)
            .map(|k| letters((i * 31 + k * 7919) % 4_000))
            .collect();
        big.push_str(&format!(
            "{},{}\n",
            words.join(" "),
            ["a", "b", "c"][(i % 3) as usize]
        ));
    }
    s.write("big.csv", big);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kzstance"))
        .args([
            "train",
            "--data",
            "big.csv",
            "--out",
            "model.json",
            "--folds",
            "5",
            "--min-df",
            "1",
            "--max-features",
            "3000",
        ])
        .current_dir(s.path(""))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "training finished before it could be killed; the test data must be larger"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        read(&s.path("model.json")) == before,
        "the old model changed"
    );
}

/// A made-up word for a number ("ba", "ca", ...): digits would all fold into `<num>`.
fn letters(mut n: u64) -> String {
    let mut word = String::from("x");
    loop {
        word.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return word;
        }
    }
}

#[test]
fn article_problems_name_the_file() {
    let s = Scratch::new();
    s.run(&["classify", "nope.txt"])
        .fails_with(1, &["nope.txt", "No such file"]);
    std::fs::create_dir_all(s.path("emptydir")).unwrap();
    s.write("emptydir/readme.md", "x");
    s.run(&["classify", "emptydir"])
        .fails_with(1, &["emptydir: no *.txt files in this directory"]);
    s.write("bad.txt", b"Astana abstained. \xFF\xFE broken".as_slice());
    s.run(&["classify", "bad.txt"]).fails_with(
        1,
        &["bad.txt: byte 18: the text is not valid UTF-8", "--lossy"],
    );
    let lossy = s
        .run(&["classify", "--lossy", "--format", "json", "bad.txt"])
        .success()
        .json();
    let text = lossy[0]["sentences"][0]["text"].as_str().unwrap();
    assert!(text.contains('\u{FFFD}'), "{text}");
    s.run_with_stdin(
        &["classify", "--input-format", "jsonl"],
        Some(b"{\"id\": 1, \"text\": \"ok\"}\nnot json\n"),
    )
    .fails_with(1, &["-: line 2: expected {\"id\": ..., \"text\": \"...\"}"]);
}

#[test]
fn an_empty_article_has_zero_counts_and_no_nan_in_any_format() {
    let s = Scratch::new();
    s.write("empty.txt", "");
    s.write("blank.txt", " \n\n\t ");
    for format in ["json", "jsonl", "csv", "table"] {
        let out = s
            .run(&["classify", "--format", format, "empty.txt", "blank.txt"])
            .success()
            .stdout();
        let lower = out.to_lowercase();
        assert!(
            !lower.contains("nan") && !lower.contains("inf"),
            "{format}: {out}"
        );
    }
    let json = s
        .run(&["classify", "--format", "json", "empty.txt"])
        .success()
        .json();
    let aggregate = &json[0]["aggregate"];
    assert_eq!(aggregate["sentences"], 0);
    assert_eq!(aggregate["shares"]["pro_kremlin"], 0.0);
    assert!(aggregate["stance_index"].is_null());
    assert!(aggregate["label"].is_null());
}

#[test]
fn junk_and_huge_lines_do_not_break_classify() {
    let s = Scratch::new();
    let junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    s.write("junk.bin", &junk);
    s.run(&["classify", "junk.bin"])
        .fails_with(1, &["junk.bin: byte", "not valid UTF-8"]);
    s.run(&["classify", "--lossy", "--format", "jsonl", "junk.bin"])
        .success();
    let huge = "moscow astana sanctions ".repeat(850_000); // about 20 MB, no punctuation
    s.write("huge.txt", &huge);
    let out = s
        .run(&["classify", "--format", "jsonl", "huge.txt"])
        .success()
        .stdout();
    let record: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(record["aggregate"]["sentences"], 1);
}

/// Fails if `run` has not finished after a minute: a guard against inputs that make a step
/// quadratic, not a speed target (the case below takes a tenth of a second; before the
/// fix it needed hours).
fn finishes_within_a_minute<T: Send + 'static>(run: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(run()));
    result
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("finished within a minute")
}

#[test]
fn a_line_of_bare_terminators_is_split_in_linear_time() {
    let s = Scratch::new();
    // Each terminator's window once reached to the end of the line, looking for a letter.
    s.write("dots.txt", ". ".repeat(1_000_000));
    let dir = s.path("");
    let out = finishes_within_a_minute(move || {
        crate::util::run_in(
            &dir,
            &["classify", "--format", "jsonl", "dots.txt"],
            None,
            &[],
        )
        .success()
        .stdout()
    });
    let record: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    // UAX #29 does not break before a terminator (rule SB8a): one sentence.
    assert_eq!(record["aggregate"]["sentences"], 1);
}

#[test]
fn model_file_problems_say_what_is_wrong() {
    let s = Scratch::new();
    let classify = |model: &str| s.run_with_stdin(&["classify", "--model", model], Some(b"Text."));
    classify("absent.json").fails_with(1, &["absent.json", "No such file"]);
    s.write("good.csv", small_training_csv());
    train(&s, "good.csv").success();
    let good = String::from_utf8(read(&s.path("model.json"))).unwrap();
    // Cut just after a comma near the middle, as an interrupted write would leave it: the
    // JSON ends early rather than in a broken number.
    let cut = good.as_bytes()[..good.len() / 2]
        .iter()
        .rposition(|&b| b == b',')
        .unwrap()
        + 1;
    s.write("truncated.json", &good[..cut]);
    classify("truncated.json").fails_with(1, &["truncated.json: not a kzstance model", "EOF"]);
    s.write("other.json", "{\"hello\": [1, 2, 3]}");
    classify("other.json").fails_with(
        1,
        &["other.json: not a kzstance model: no \"format\" field"],
    );
    s.write(
        "format.json",
        good.replacen("\"kzstance-model\"", "\"something-else\"", 1),
    );
    classify("format.json").fails_with(
        1,
        &["format.json: model format 'something-else' is not 'kzstance-model'"],
    );
    s.write(
        "version.json",
        good.replacen("\"version\":4", "\"version\":99", 1),
    );
    classify("version.json").fails_with(
        1,
        &["version.json: model version 99 is not supported (this build reads versions 1 to 4)"],
    );
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["classifier"]["weights"][0]
        .as_array_mut()
        .unwrap()
        .pop();
    s.write("dims.json", value.to_string());
    classify("dims.json").fails_with(
        1,
        &[
            "dims.json: inconsistent model",
            "weights for",
            "vocabulary entries",
        ],
    );
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["vectorizer"]["idf"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(1.0));
    s.write("idf.json", value.to_string());
    classify("idf.json").fails_with(1, &["idf.json: inconsistent model", "IDF values for"]);
    // Found by fuzzing: a huge n-gram length made classification allocate without bound.
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["tokenizer"]["ngram_max"] = serde_json::json!(4_074_295_044u64);
    s.write("ngrams.json", value.to_string());
    classify("ngrams.json").fails_with(
        1,
        &["ngrams.json: inconsistent model: tokenizer.ngram_max is 4074295044; it must be from 1 to 8"],
    );
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["classifier"]["intercepts"][0] = serde_json::json!(1e300);
    s.write("huge.json", value.to_string());
    classify("huge.json").fails_with(
        1,
        &["huge.json: inconsistent model: classifier.intercepts holds 1e300"],
    );
    s.write(
        "nan.json",
        good.replacen("\"intercepts\":[", "\"intercepts\":[NaN,", 1),
    );
    classify("nan.json").fails_with(1, &["nan.json: not a kzstance model"]);
    s.write(
        "inf.json",
        good.replacen("\"intercepts\":[", "\"intercepts\":[1e999,", 1),
    );
    classify("inf.json").fails_with(1, &["inf.json: not a kzstance model"]);
}

#[test]
fn bad_usage_exits_with_two() {
    let s = Scratch::new();
    let run = s.run(&["classify", "--format", "yaml"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("invalid value 'yaml'"));
    assert_eq!(s.run(&["train"]).code(), 2);
    let run = s.run(&[
        "train", "--data", "x.csv", "--out", "m.json", "--solver", "dense",
    ]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("[possible values: sparse, linfa]"));
    assert_eq!(s.run(&["frobnicate"]).code(), 2);
}

#[test]
fn stdin_closed_early_is_an_empty_article_or_a_named_error() {
    let s = Scratch::new();
    // Standard input closed before anything was written.
    let out = s.run(&["classify", "--format", "json"]).success().json();
    assert_eq!(out[0]["source"], "-");
    assert_eq!(out[0]["aggregate"]["sentences"], 0);
    // A JSONL stream cut off in the middle of its last object.
    s.run_with_stdin(
        &["classify", "--input-format", "jsonl", "--format", "jsonl"],
        Some(b"{\"id\": 1, \"text\": \"Astana abstained.\"}\n{\"id\": 2, \"text\": \"Moscow se"),
    )
    .fails_with(
        1,
        &[
            "-: line 2: expected {\"id\": ..., \"text\": \"...\"}",
            "EOF",
        ],
    );
}

#[test]
fn a_missing_or_empty_group_column_is_refused_with_file_and_line() {
    let scratch = Scratch::new();
    scratch.write(
        "d.csv",
        "id,text,label,outlet\na1-01,Astana abstained.,neutral_balancing,wire\n",
    );
    scratch
        .run(&["evaluate", "--data", "d.csv", "--group-column", "source"])
        .fails_with(1, &["d.csv", "source", "outlet"]);
    scratch.write(
        "e.csv",
        "id,text,label\na1,Astana abstained.,neutral_balancing\n,Moscow sent troops.,pro_kremlin\n",
    );
    scratch
        .run(&["evaluate", "--data", "e.csv", "--group-column", "id"])
        .fails_with(1, &["e.csv", "line 3", "id"]);
    scratch
        .run(&["evaluate", "--data", "d.csv", "--group-strip-suffix", "-"])
        .fails_with(2, &["--group-column"]);
    // `train` checks the group column before it fits anything or writes a model.
    let args = [
        "train",
        "--data",
        "d.csv",
        "--out",
        "m.json",
        "--group-column",
        "source",
    ];
    scratch
        .run(&args)
        .fails_with(1, &["d.csv", "source", "outlet"]);
    assert!(!scratch.path("m.json").exists(), "no model written");
    scratch
        .run(&[
            "train",
            "--data",
            "e.csv",
            "--out",
            "m.json",
            "--group-column",
            "id",
        ])
        .fails_with(1, &["e.csv", "line 3", "id"]);
    assert!(!scratch.path("m.json").exists(), "no model written");
}

/// An output path that names an input (a slip such as `--out data/stance.csv`) is refused
/// before any work, and the input is left byte for byte as it was.
#[test]
fn an_output_that_would_replace_an_input_is_refused() {
    let s = Scratch::new();
    s.write("train.csv", small_training_csv());
    train(&s, "train.csv").success();
    s.write("article.txt", "Moscow sent troops. Astana abstained.");
    std::fs::create_dir(s.path("articles")).unwrap();
    s.write("articles/one.txt", "Kyiv got aid from Almaty.");
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["train", "--data", "train.csv", "--out", "./train.csv"],
            "train.csv",
            "the model would replace it",
        ),
        (
            &[
                "evaluate",
                "--data",
                "train.csv",
                "--predictions",
                "train.csv",
            ],
            "train.csv",
            "the predictions would replace it",
        ),
        (
            &["report", "--out", "article.txt", "article.txt"],
            "article.txt",
            "the report would replace it",
        ),
        (
            &["suggest", "--out", "articles/one.txt", "articles"],
            "articles/one.txt",
            "the suggestions would replace it",
        ),
        (
            &[
                "suggest",
                "--model",
                "model.json",
                "--out",
                "train.csv",
                "article.txt",
            ],
            "train.csv",
            "the suggestions would replace it",
        ),
        (
            &["inspect", "--model", "model.json", "--svg", "model.json"],
            "model.json",
            "the chart would replace it",
        ),
    ];
    for (args, input, message) in cases {
        let before = read(&s.path(input));
        s.run(args)
            .fails_with(1, &["this is also an input", message]);
        assert_eq!(read(&s.path(input)), before, "{input} changed: {args:?}");
    }
}

/// `suggest --out` over a file whose labels someone has begun to fill in is refused, and
/// the file keeps them; over a file with no labels yet it writes as before.
#[test]
fn suggestions_never_overwrite_labels_being_filled_in() {
    let s = Scratch::new();
    s.write(
        "article.txt",
        "Moscow sent troops. Astana abstained. Kyiv got aid.",
    );
    let suggest = ["suggest", "--out", "next.csv", "article.txt"];
    s.run(&suggest).success();
    let fresh = String::from_utf8(read(&s.path("next.csv"))).unwrap();
    s.run(&suggest).success(); // nothing labeled yet: written again
    let labeled = fresh.replacen(",,", ",pro_kremlin,", 1);
    assert_ne!(labeled, fresh);
    s.write("next.csv", &labeled);
    s.run(&suggest).fails_with(
        1,
        &["next.csv: already holds 1 labeled row(s); write the suggestions elsewhere"],
    );
    assert_eq!(read(&s.path("next.csv")), labeled.as_bytes());
}
