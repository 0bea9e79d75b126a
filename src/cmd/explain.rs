//! `kzstance explain`: each sentence's label and the terms that pushed it there.

use std::io::{Read, Write};

use anyhow::Result;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use kzstance::explain::SentenceExplanation;
use kzstance::model::argmax;
use kzstance::output::LabelMap;
use kzstance::Model;
use serde::Serialize;

use super::{decode, fixed, ModelArg, ReportFormat};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// How many terms to show per sentence
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// The text to explain, or - to read it from standard input
    text: String,
}

#[derive(Serialize)]
struct SentenceJson<'a> {
    index: usize,
    start: usize,
    end: usize,
    text: &'a str,
    label: &'a str,
    probabilities: LabelMap<'a>,
    /// The sentence read alone, when it was read in its article's context too.
    #[serde(skip_serializing_if = "Option::is_none")]
    alone: Option<AloneJson<'a>>,
    scores: LabelMap<'a>,
    bias: LabelMap<'a>,
    terms: Vec<TermJson<'a>>,
}

#[derive(Serialize)]
struct AloneJson<'a> {
    label: &'a str,
    probabilities: LabelMap<'a>,
}

#[derive(Serialize)]
struct TermJson<'a> {
    feature: &'a str,
    spans: &'a [(usize, usize)],
    words: Vec<&'a str>,
    tfidf: f64,
    contributions: LabelMap<'a>,
}

pub fn run(args: Args) -> Result<()> {
    let model = args.model.load()?;
    let text = if args.text == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        decode(bytes, "-", false)?
    } else {
        if std::path::Path::new(&args.text).is_file() {
            eprintln!(
                "kzstance: warning: explaining the words '{}' themselves; to explain that file's text, run `kzstance explain - < {}`",
                args.text, args.text
            );
        }
        args.text.clone()
    };
    if text.trim().is_empty() {
        eprintln!("kzstance: warning: no text to explain");
    }
    let explanations = model.explain(&text);
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Json => {
            let json: Vec<SentenceJson> = explanations
                .iter()
                .map(|e| to_json(&model, &text, e, args.top))
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        ReportFormat::Table => {
            for e in &explanations {
                write!(out, "{}", render(&model, &text, e, args.top))?;
            }
        }
    }
    Ok(())
}

fn to_json<'a>(
    model: &'a Model,
    text: &'a str,
    e: &'a SentenceExplanation,
    top: usize,
) -> SentenceJson<'a> {
    let labels = model.labels();
    SentenceJson {
        index: e.index,
        start: e.start,
        end: e.end,
        text: &text[e.start..e.end],
        label: &labels[e.label],
        probabilities: LabelMap::new(labels, &e.probabilities),
        alone: e.alone.as_ref().map(|alone| AloneJson {
            label: &labels[argmax(alone)],
            probabilities: LabelMap::new(labels, alone),
        }),
        scores: LabelMap::new(labels, &e.scores),
        bias: LabelMap::new(labels, &e.bias),
        terms: e
            .terms
            .iter()
            .take(top)
            .map(|t| TermJson {
                feature: &t.feature,
                spans: &t.spans,
                words: t.spans.iter().map(|&(s, end)| &text[s..end]).collect(),
                tfidf: t.value,
                contributions: LabelMap::new(labels, &t.contributions),
            })
            .collect(),
    }
}

fn render(model: &Model, text: &str, e: &SentenceExplanation, top: usize) -> String {
    let labels = model.labels();
    let listed = |probabilities: &[f64]| {
        labels
            .iter()
            .zip(probabilities)
            .map(|(l, p)| format!("{l} {}", fixed(*p, 2)))
            .collect::<Vec<String>>()
            .join(", ")
    };
    // The terms explain the sentence read alone; say so when its neighbours changed that.
    let context = match &e.alone {
        Some(alone) if argmax(alone) != e.label => format!(
            "  read alone: {} ({}); the sentences around it tipped it\n",
            labels[argmax(alone)],
            listed(alone)
        ),
        _ => String::new(),
    };
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec![
        "term".to_string(),
        "words".to_string(),
        "tf-idf".to_string(),
    ];
    header.extend(labels.iter().cloned());
    table.set_header(header);
    let mut bias = vec!["(bias)".to_string(), String::new(), String::new()];
    bias.extend(e.bias.iter().map(|b| format!("{b:+.3}")));
    table.add_row(bias);
    for t in e.terms.iter().take(top) {
        let words: Vec<&str> = t.spans.iter().map(|&(s, end)| &text[s..end]).collect();
        let mut row = vec![t.feature.clone(), words.join(" | "), fixed(t.value, 3)];
        row.extend(t.contributions.iter().map(|c| format!("{c:+.3}")));
        table.add_row(row);
    }
    let mut scores = vec!["= score".to_string(), String::new(), String::new()];
    scores.extend(e.scores.iter().map(|s| format!("{s:+.3}")));
    table.add_row(scores);
    format!(
        "[{}] {}\n→ {} ({})\n{context}{table}\n\n",
        e.index,
        &text[e.start..e.end],
        labels[e.label],
        listed(&e.probabilities),
    )
}
