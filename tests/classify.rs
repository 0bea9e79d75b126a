//! `kzstance classify`: every format, every input kind, agreement between formats,
//! threads, pipes, and robustness to synonym-spun rewrites.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{read, repo_file, Scratch};

const ARTICLES: [&str; 4] = [
    "data/articles/balancing-analysis.txt",
    "data/articles/independence-report.txt",
    "data/articles/kremlin-commentary.txt",
    "data/articles/mixed-feature.txt",
];

fn article(i: usize) -> String {
    repo_file(ARTICLES[i]).display().to_string()
}

#[test]
fn json_output_has_the_documented_shape_and_consistent_numbers() {
    let scratch = Scratch::new();
    let path = article(3);
    let text = String::from_utf8(read(std::path::Path::new(&path))).unwrap();
    let out = scratch
        .run(&["classify", "--format", "json", &path])
        .success()
        .json();
    let articles = out.as_array().unwrap();
    assert_eq!(articles.len(), 1);
    let a = &articles[0];
    assert_eq!(a["source"], path.as_str());
    let sentences = a["sentences"].as_array().unwrap();
    assert!(sentences.len() >= 15, "{} sentences", sentences.len());
    let mut means = [0.0f64; 3];
    let labels = ["neutral_balancing", "pro_independence", "pro_kremlin"];
    for (i, s) in sentences.iter().enumerate() {
        assert_eq!(s["index"], i);
        let (start, end) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(s["text"], &text[start..end]);
        let probabilities = s["probabilities"].as_object().unwrap();
        let sum: f64 = probabilities.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9, "probabilities sum to {sum}");
        let best = probabilities
            .iter()
            .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
            .unwrap()
            .0;
        assert_eq!(s["label"], best.as_str());
        for (m, label) in means.iter_mut().zip(labels) {
            *m += probabilities[label].as_f64().unwrap() / sentences.len() as f64;
        }
    }
    let aggregate = &a["aggregate"];
    assert_eq!(aggregate["sentences"], sentences.len());
    let stance = aggregate["stance_index"].as_f64().unwrap();
    assert!((stance - (means[1] - means[2])).abs() < 1e-9);
    for (m, label) in means.iter().zip(labels) {
        assert!((aggregate["mean_probabilities"][label].as_f64().unwrap() - m).abs() < 1e-9);
    }
    let share_sum: f64 = labels
        .iter()
        .map(|l| aggregate["shares"][l].as_f64().unwrap())
        .sum();
    assert!((share_sum - 1.0).abs() < 1e-9);
}

#[test]
fn shipped_model_reads_the_example_articles_by_orientation() {
    let scratch = Scratch::new();
    let out = scratch
        .run(&[
            "classify",
            "--format",
            "jsonl",
            &article(2),
            &article(0),
            &article(1),
        ])
        .success();
    let stances: Vec<f64> = out
        .stdout()
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["aggregate"]["stance_index"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let (kremlin, balancing, independence) = (stances[0], stances[1], stances[2]);
    assert!(
        kremlin < balancing && balancing < independence,
        "stance indices {stances:?}"
    );
    assert!(
        kremlin < 0.0 && independence > 0.0,
        "stance indices {stances:?}"
    );
}

#[test]
fn all_formats_agree_on_every_label() {
    let scratch = Scratch::new();
    let inputs = [article(0), article(3)];
    let args = |format: &'static str| -> Vec<String> {
        let mut a = vec!["classify".to_string(), "--format".into(), format.into()];
        a.extend(inputs.iter().cloned());
        a
    };
    let run = |format| {
        let owned = args(format);
        let borrowed: Vec<&str> = owned.iter().map(String::as_str).collect();
        scratch.run(&borrowed).success()
    };
    // One field of every sentence of some articles, in order.
    let sentence_field = |articles: &[serde_json::Value], field: &str| -> Vec<String> {
        articles
            .iter()
            .flat_map(|a| a["sentences"].as_array().unwrap())
            .map(|s| s[field].as_str().unwrap().to_string())
            .collect()
    };
    let json = run("json").json();
    let from_json = sentence_field(json.as_array().unwrap(), "label");
    let jsonl: Vec<serde_json::Value> = run("jsonl")
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let from_jsonl = sentence_field(&jsonl, "label");
    let csv_out = run("csv").stdout();
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "source");
    let label_column = headers.iter().position(|h| h == "label").unwrap();
    let text_column = headers.iter().position(|h| h == "text").unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let from_csv: Vec<String> = records
        .iter()
        .map(|r| r[label_column].to_string())
        .collect();
    let table = run("table").stdout();
    let from_table: Vec<String> = table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('┆').map(str::trim).collect();
            (cells.len() >= 4
                && cells[0]
                    .trim_start_matches('│')
                    .trim()
                    .parse::<usize>()
                    .is_ok())
            .then(|| cells[1].to_string())
        })
        .collect();
    assert!(!from_json.is_empty());
    assert_eq!(from_json, from_jsonl);
    assert_eq!(from_json, from_csv);
    assert_eq!(from_json, from_table);
    // CSV text round-trips exactly, quotes and all.
    let json_texts = sentence_field(json.as_array().unwrap(), "text");
    let csv_texts: Vec<&str> = records.iter().map(|r| &r[text_column]).collect();
    assert_eq!(json_texts, csv_texts);
}

#[test]
fn csv_output_escapes_quotes_and_newlines() {
    let scratch = Scratch::new();
    let text = "He said \"never, ever\" to Moscow\nand left.\n";
    let out = scratch
        .run_with_stdin(&["classify", "--format", "csv"], Some(text.as_bytes()))
        .success();
    let stdout = out.stdout();
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "-");
    assert_eq!(&rows[0][4], "He said \"never, ever\" to Moscow\nand left.");
}

#[test]
fn directories_expand_to_sorted_txt_files_and_stdin_is_read() {
    let scratch = Scratch::new();
    scratch.write("dir/b.txt", "Second article.");
    scratch.write("dir/a.txt", "First article.");
    scratch.write("dir/skip.md", "Not an article.");
    let out = scratch
        .run(&["classify", "--format", "jsonl", "dir"])
        .success()
        .stdout();
    let sources: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(sources, vec!["dir/a.txt", "dir/b.txt"]);
    let stdin = scratch
        .run_with_stdin(
            &["classify", "--format", "json", "-"],
            Some(b"From standard input."),
        )
        .success()
        .json();
    assert_eq!(stdin[0]["source"], "-");
    assert_eq!(stdin[0]["sentences"][0]["text"], "From standard input.");
}

#[test]
fn jsonl_input_reads_one_article_per_line() {
    let scratch = Scratch::new();
    let input = b"{\"id\": \"a1\", \"text\": \"Astana abstained. Moscow sent troops.\"}\n\n{\"id\": 7, \"text\": \"Kyiv got aid.\"}\n";
    let out = scratch
        .run_with_stdin(
            &["classify", "--input-format", "jsonl", "--format", "jsonl"],
            Some(input),
        )
        .success()
        .stdout();
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["source"], "a1");
    assert_eq!(records[0]["aggregate"]["sentences"], 2);
    assert_eq!(records[1]["source"], "7");
}

#[test]
fn one_thread_and_many_threads_give_identical_output() {
    let scratch = Scratch::new();
    let mut corpus = String::new();
    for i in 0..300 {
        let text = String::from_utf8(read(&repo_file(ARTICLES[i % 4]))).unwrap();
        corpus.push_str(&serde_json::json!({"id": i, "text": text}).to_string());
        corpus.push('\n');
    }
    let run = |threads: &str| {
        scratch
            .run_with_stdin(
                &[
                    "classify",
                    "--input-format",
                    "jsonl",
                    "--format",
                    "jsonl",
                    "--threads",
                    threads,
                ],
                Some(corpus.as_bytes()),
            )
            .success()
            .output
            .stdout
    };
    let one = run("1");
    assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), 300);
    assert!(one == run("2"), "1-thread and 2-thread output differ");
    assert!(one == run("4"), "1-thread and 4-thread output differ");
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    let mut corpus = String::new();
    for i in 0..2000 {
        corpus.push_str(&format!(
            "{{\"id\": {i}, \"text\": \"Sentence one. Sentence two.\"}}\n"
        ));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_kzstance"))
        .args(["classify", "--input-format", "jsonl", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(corpus.as_bytes());
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'));
    // stdout is dropped here, closing the pipe like `| head -1`.
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Each article's stance index from `classify --format jsonl` output, in order.
fn stance_indices(jsonl: &str) -> Vec<f64> {
    jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["aggregate"]["stance_index"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

#[test]
fn a_synonym_spun_rewrite_keeps_its_stance_index() {
    let scratch = Scratch::new();
    let original = repo_file("tests/fixtures/spun-original.txt");
    let rewrite = repo_file("tests/fixtures/spun-rewrite.txt");
    let out = scratch
        .run(&[
            "classify",
            "--format",
            "jsonl",
            original.to_str().unwrap(),
            rewrite.to_str().unwrap(),
        ])
        .success()
        .stdout();
    let stances = stance_indices(&out);
    assert!(
        (stances[0] - stances[1]).abs() <= 0.05,
        "stance indices {stances:?}"
    );
}

/// Team-written minimal pairs (a statement and its negation) with the stance the negation
/// points to. The negated sentence's stance index must move that way in at least three
/// pairs of four: the shipped model gets 33 of 40 (also in session 21; 32 with session 16's article batches, 33
/// before them; the session-10 model, trained on the written file alone, 32), the model
/// before negation marking 28.
#[test]
fn negating_a_sentence_moves_its_stance_index_the_way_the_negation_points() {
    let mut pairs = csv::Reader::from_path(repo_file("tests/fixtures/negation-pairs.csv")).unwrap();
    let pairs: Vec<csv::StringRecord> = pairs.records().map(Result::unwrap).collect();
    assert_eq!(pairs.len(), 40);
    let jsonl: String = pairs
        .iter()
        .enumerate()
        .flat_map(|(i, pair)| {
            [(format!("{i}-a"), &pair[0]), (format!("{i}-n"), &pair[1])]
                .map(|(id, text)| serde_json::json!({ "id": id, "text": text }).to_string() + "\n")
        })
        .collect();
    let out = Scratch::new()
        .run_with_stdin(
            &["classify", "--input-format", "jsonl", "--format", "jsonl"],
            Some(jsonl.as_bytes()),
        )
        .success()
        .stdout();
    let stances = stance_indices(&out);
    assert_eq!(stances.len(), 2 * pairs.len());
    let right = pairs
        .iter()
        .zip(stances.chunks(2))
        .filter(|(pair, s)| {
            let toward_independence = &pair[2] == "pro_independence";
            assert!(toward_independence || &pair[2] == "pro_kremlin");
            (s[1] > s[0]) == toward_independence
        })
        .count();
    assert!(
        right * 4 >= pairs.len() * 3,
        "{right} of {} pairs",
        pairs.len()
    );
}

/// `--summary` gives one row per INPUT and one for all of them, each the mean of its
/// articles' own figures from an ordinary run, in every machine-readable format.
#[test]
fn summary_gives_each_input_the_mean_of_its_articles_with_an_interval() {
    let scratch = Scratch::new();
    for (dir, articles) in [("east", [0, 2]), ("west", [1, 3])] {
        for i in articles {
            let text = read(std::path::Path::new(&article(i)));
            scratch.write(&format!("{dir}/{i}.txt"), text);
        }
    }
    let indices = |dir: &str| {
        stance_indices(
            &scratch
                .run(&["classify", "--format", "jsonl", dir])
                .success()
                .stdout(),
        )
    };
    let (east, west) = (indices("east"), indices("west"));
    let summary = scratch
        .run(&["classify", "--summary", "--format", "json", "east", "west"])
        .success()
        .json();
    let rows = summary.as_array().unwrap();
    let groups: Vec<&str> = rows.iter().map(|r| r["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["east", "west", "(all articles)"]);
    let all: Vec<f64> = east.iter().chain(&west).copied().collect();
    for (row, own) in rows.iter().zip([&east, &west, &all]) {
        assert_eq!(row["articles"].as_u64().unwrap() as usize, own.len());
        let mean = own.iter().sum::<f64>() / own.len() as f64;
        let index = row["stance_index"].as_f64().unwrap();
        assert!((index - mean).abs() < 1e-9, "{index} against {mean}");
        let interval = row["stance_interval"].as_array().unwrap();
        let (low, high) = (interval[0].as_f64().unwrap(), interval[1].as_f64().unwrap());
        assert!(
            -1.0 <= low && low < index && index < high && high <= 1.0,
            "{row}"
        );
        let shares: f64 = row["mean_shares"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((shares - 1.0).abs() < 1e-9, "{row}");
    }
    // Four articles give a narrower interval than either pair.
    let width = |row: &serde_json::Value| {
        row["stance_interval"][1].as_f64().unwrap() - row["stance_interval"][0].as_f64().unwrap()
    };
    assert!(width(&rows[2]) < width(&rows[0]).min(width(&rows[1])));
    let csv = scratch
        .run(&["classify", "--summary", "--format", "csv", "east", "west"])
        .success()
        .stdout();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with(
        "group,articles,sentences,stance_index,stance_low,stance_high,stance_sd,share_"
    ));
    assert!(lines[3].starts_with("(all articles),4,"), "{csv}");
    // The table of two groups gives their difference, with Welch's interval around it.
    let table = scratch
        .run(&["classify", "--summary", "east", "west"])
        .success()
        .stdout();
    let difference = west.iter().sum::<f64>() / 2.0 - east.iter().sum::<f64>() / 2.0;
    assert!(
        table.contains(&format!("west minus east: {difference:+.3} (95% interval")),
        "{table}"
    );
    // Two-article groups get a note on why their intervals are wide; four articles do not.
    assert!(
        table.contains("Fewer than 5 articles in east, west, (all articles):"),
        "{table}"
    );
    for row in &rows[..2] {
        let sd = row["stance_sd"].as_f64().unwrap();
        assert!(sd > 0.0, "{row}");
    }
    let table = scratch
        .run(&["classify", "--summary", "east"])
        .success()
        .stdout();
    assert!(
        !table.contains(" minus "),
        "one group has no difference: {table}"
    );
    assert!(table.contains("Fewer than 5 articles in east:"), "{table}");
    assert!(
        table.contains("95% interval") && table.contains("east"),
        "{table}"
    );
    assert!(
        !table.contains("(all articles)"),
        "one input needs no total: {table}"
    );
}

/// `--group-field` groups one JSONL feed by a field of its objects, in order of first
/// appearance, the same as giving each group as its own INPUT; a line without the field
/// is its own group, and the option asks for JSONL input.
#[test]
fn summary_groups_a_jsonl_feed_by_a_field() {
    let scratch = Scratch::new();
    let line = |i: usize, outlet: Option<&str>| {
        let text = String::from_utf8(read(std::path::Path::new(&article(i)))).unwrap();
        let mut object = serde_json::json!({"id": i, "text": text});
        if let Some(outlet) = outlet {
            object["outlet"] = outlet.into();
        }
        format!("{object}\n")
    };
    let feed = [
        line(2, Some("north")),
        line(1, Some("south")),
        line(0, Some("north")),
        line(3, None),
    ]
    .concat();
    scratch.write("feed.jsonl", &feed);
    scratch.write("north.jsonl", [line(2, None), line(0, None)].concat());
    let grouped = scratch
        .run(&[
            "classify",
            "--summary",
            "--group-field",
            "outlet",
            "--input-format",
            "jsonl",
            "--format",
            "json",
            "feed.jsonl",
        ])
        .success()
        .json();
    let groups: Vec<&str> = grouped
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["north", "south", "(no outlet)", "(all articles)"]);
    let separate = scratch
        .run(&[
            "classify",
            "--summary",
            "--input-format",
            "jsonl",
            "--format",
            "json",
            "north.jsonl",
        ])
        .success()
        .json();
    for key in [
        "articles",
        "sentences",
        "mean_shares",
        "stance_index",
        "stance_interval",
    ] {
        assert_eq!(grouped[0][key], separate[0][key], "{key}");
    }
    assert_eq!(grouped[3]["articles"], 4);
    scratch
        .run(&[
            "classify",
            "--summary",
            "--group-field",
            "outlet",
            "feed.jsonl",
        ])
        .fails_with(1, &["--group-field", "--input-format jsonl"]);
}
