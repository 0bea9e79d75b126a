//! `kzstance report`, `suggest` and `inspect --svg`: files a person opens.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{read, repo_file, suggest_header, Scratch};

fn articles() -> Vec<String> {
    [
        "balancing-analysis",
        "independence-report",
        "kremlin-commentary",
        "mixed-feature",
    ]
    .iter()
    .map(|name| {
        repo_file(&format!("data/articles/{name}.txt"))
            .display()
            .to_string()
    })
    .collect()
}

fn write_report(scratch: &Scratch, options: &[&str]) -> PathBuf {
    let mut args = vec!["report".to_string(), "--out".into(), "report.html".into()];
    args.extend(options.iter().map(|option| option.to_string()));
    args.extend(articles());
    let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
    scratch.run(&borrowed).success();
    scratch.path("report.html")
}

#[test]
fn report_is_one_self_contained_html_file_with_every_part() {
    let scratch = Scratch::new();
    let html = String::from_utf8(read(&write_report(&scratch, &[]))).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for forbidden in ["<script", "src=\"http", "href=\"http", "<link", "@import"] {
        assert!(!html.contains(forbidden), "report contains {forbidden}");
    }
    assert_eq!(html.matches("<section class=\"article\"").count(), 4);
    assert!(html.contains("id=\"by-source\"") && html.contains("id=\"by-stance\""));
    assert!(html.contains("Stance index</b>"));
    assert_eq!(
        html.matches("class=\"stance\"").count(),
        8,
        "one chart per article in each ordering"
    );
    assert!(html.contains("<u>"), "strongest terms are underlined");
    assert!(
        !html.contains("id=\"groups\""),
        "four files, not groups: {html}"
    );
    assert!(
        html.contains("title=\"neutral_balancing 0."),
        "probabilities on hover"
    );
    // Sentences read in context: hovering names those whose neighbours tipped them, the
    // same sentences as `explain` names.
    let tipped: usize = articles()
        .iter()
        .map(|path| {
            let text = read(std::path::Path::new(path));
            let explained = scratch
                .run_with_stdin(&["explain", "--format", "json", "-"], Some(&text))
                .success()
                .json();
            explained
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["alone"]["label"] != e["label"])
                .count()
        })
        .sum();
    assert!(tipped > 0);
    assert_eq!(
        html.matches("tipped by the sentences around it").count(),
        tipped
    );
    assert!(html.contains("read in the context of the sentences around it"));
    let html = String::from_utf8(read(&write_report(&scratch, &["--no-context"]))).unwrap();
    assert!(!html.contains("tipped by") && !html.contains("in the context of"));
}

/// Several directories are compared in a table of groups, each with the mean of its
/// articles' indices and an interval whisker, then all of them together.
#[test]
fn a_report_of_several_directories_compares_them() {
    let scratch = Scratch::new();
    let files = articles();
    for (i, file) in files.iter().enumerate() {
        let dir = if i % 2 == 0 { "even" } else { "odd" };
        scratch.write(&format!("{dir}/{i}.txt"), read(std::path::Path::new(file)));
    }
    scratch
        .run(&["report", "--out", "groups.html", "even", "odd"])
        .success();
    let html = String::from_utf8(read(&scratch.path("groups.html"))).unwrap();
    let table = &html[html.find("id=\"groups\"").expect("a table of groups")..];
    let table = &table[..table.find("</table>").unwrap()];
    let rows: Vec<&str> = table.split("<tr><td>").skip(1).collect();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| &r[..r.find("</td>").unwrap()])
        .collect();
    assert_eq!(names, ["even", "odd", "(all articles)"]);
    assert_eq!(table.matches("class=\"interval\"").count(), 3, "{table}");
    // Each group's figure is the mean of its articles' figures in the overview.
    let overview = overview_figures(&html[html.find("id=\"by-source\"").unwrap()..]);
    let value = |figure: &str| figure.parse::<f64>().unwrap();
    let (even, odd) = (
        (value(overview[0]) + value(overview[1])) / 2.0,
        (value(overview[2]) + value(overview[3])) / 2.0,
    );
    let groups = overview_figures(table);
    assert!(
        (value(groups[0]) - even).abs() <= 0.011,
        "{groups:?} {overview:?}"
    );
    assert!(
        (value(groups[1]) - odd).abs() <= 0.011,
        "{groups:?} {overview:?}"
    );
}

/// The stance index of every row of the overview, in order, as the charts label them.
fn overview_figures(html: &str) -> Vec<&str> {
    html.split("aria-label=\"stance index ")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

/// `--overview-only`, for a corpus: the same overview rows and figures, no sentences.
#[test]
fn an_overview_only_report_leaves_out_the_sentences() {
    let scratch = Scratch::new();
    let full = String::from_utf8(read(&write_report(&scratch, &[]))).unwrap();
    let overview = String::from_utf8(read(&write_report(&scratch, &["--overview-only"]))).unwrap();
    assert_eq!(overview.matches("<section").count(), 0);
    for absent in ["href=\"#article-", "<u>", "class=\"s\"", "Underlined words"] {
        assert!(!overview.contains(absent), "{absent} in {overview}");
    }
    assert!(overview.contains("Overview only"));
    assert_eq!(overview_figures(&overview).len(), 8);
    assert_eq!(overview_figures(&overview), overview_figures(&full));
    assert!(overview.len() * 3 < full.len());
}

/// A model of other labels (no pro_independence, no pro_kremlin) has no stance index: the
/// report and the classify table leave it out instead of printing "n/a" everywhere.
#[test]
fn a_model_without_the_stance_labels_shows_no_stance_index() {
    let scratch = Scratch::new();
    let rows: String = [
        ("The harvest was excellent and farmers are pleased", "good"),
        ("Markets rallied after the welcome news", "good"),
        ("The new bridge delighted residents", "good"),
        ("The flood destroyed homes and crops", "bad"),
        ("Markets slumped after the grim news", "bad"),
        ("Residents complained about broken roads", "bad"),
    ]
    .iter()
    .map(|(text, label)| format!("{text},{label}\n"))
    .collect();
    scratch.write("mood.csv", format!("text,label\n{rows}"));
    scratch
        .run(&[
            "train",
            "--data",
            "mood.csv",
            "--out",
            "mood.json",
            "--folds",
            "0",
            "--min-df",
            "1",
        ])
        .success();
    scratch.write("day.txt", "Markets rallied. The flood destroyed roads.");
    scratch
        .run(&[
            "report",
            "--model",
            "mood.json",
            "--out",
            "mood.html",
            "day.txt",
        ])
        .success();
    let html = String::from_utf8(read(&scratch.path("mood.html"))).unwrap();
    assert_eq!(html.matches("<section class=\"article\"").count(), 1);
    for absent in [
        "Stance index",
        "stance index",
        "id=\"by-stance\"",
        "class=\"stance\"",
    ] {
        assert!(!html.contains(absent), "{absent} in the report");
    }
    assert!(html.contains("id=\"by-source\""));
    let table = scratch
        .run(&["classify", "--model", "mood.json", "day.txt"])
        .success()
        .stdout();
    assert!(table.contains("2 sentences; bad "), "{table}");
    assert!(!table.contains("stance index"), "{table}");
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|candidate| candidate.is_file())
            })
        })
}

/// Renders the report in headless Chromium (installed by `.ci/run`).
#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (see .ci/run)"
        );
        eprintln!("skipping: no chromium on PATH (apt-get install chromium)");
        return;
    };
    let scratch = Scratch::new();
    let report = write_report(&scratch, &[]);
    let url = format!("file://{}", report.display());
    let base = |profile: &str| {
        let mut command = Command::new(&browser);
        command.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", scratch.path(profile).display()),
        ]);
        command
    };
    let dom = base("profile-dom")
        .args(["--dump-dom", &url])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("kzstance report: 4 articles"),
        "DOM: {}",
        &dom[..dom.len().min(500)]
    );
    assert_eq!(dom.matches("class=\"article\"").count(), 4);
    assert!(dom.contains("<svg class=\"stance\""));
    let png = scratch.path("report.png");
    base("profile-shot")
        .args([
            &format!("--screenshot={}", png.display()),
            "--window-size=1200,1600",
            &url,
        ])
        .output()
        .unwrap();
    let bytes = read(&png);
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "screenshot of {} bytes",
        bytes.len()
    );
}

#[test]
fn suggest_writes_a_csv_ready_to_label() {
    let scratch = Scratch::new();
    let mut args = vec![
        "suggest".to_string(),
        "--count".into(),
        "12".into(),
        "--out".into(),
        "next.csv".into(),
    ];
    args.extend(articles());
    let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
    scratch.run(&borrowed).success();
    let mut reader = csv::Reader::from_path(scratch.path("next.csv")).unwrap();
    assert_eq!(reader.headers().unwrap(), suggest_header("text", "label"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12);
    let confidences: Vec<f64> = rows.iter().map(|r| r[4].parse().unwrap()).collect();
    for row in &rows {
        assert!(row[2].is_empty(), "label column is left to fill in");
        assert!(["neutral_balancing", "pro_independence", "pro_kremlin"].contains(&&row[3]));
    }
    assert!(confidences.iter().all(|c| (0.0..=1.0).contains(c)));
    // The least certain sentences of the whole set come first: their confidence is low.
    let mean = confidences.iter().sum::<f64>() / confidences.len() as f64;
    assert!(mean < 0.75, "mean confidence {mean}");
    // Each is unsure as `classify` reads it, in the context of its article.
    for row in &rows {
        let (source, index) = row[0].rsplit_once('#').unwrap();
        let classified = scratch
            .run(&["classify", "--format", "json", source])
            .success()
            .json();
        let sentence = &classified[0]["sentences"][index.parse::<usize>().unwrap()];
        assert_eq!(sentence["text"], &row[1]);
        assert_eq!(sentence["label"], &row[3]);
        let top = sentence["probabilities"][&row[3]].as_f64().unwrap();
        assert_eq!(format!("{top:.4}"), row[4], "{row:?}");
    }
}

#[test]
fn inspect_draws_an_svg_bar_chart() {
    let scratch = Scratch::new();
    scratch
        .run(&["inspect", "--top", "6", "--svg", "weights.svg"])
        .success();
    let svg = String::from_utf8(read(&scratch.path("weights.svg"))).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(svg.matches("<rect").count(), 18);
    assert!(svg.contains(">pro_kremlin</text>"));
}
