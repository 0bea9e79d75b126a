//! `kzstance classify`: articles in, a label and probabilities per sentence and an
//! aggregate per article out. Articles are read in batches, classified in parallel and
//! written in input order, so memory stays flat however large the corpus.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};
use kzstance::output::{csv_header, write_csv_rows, write_jsonl_line, ArticleRecord};
use kzstance::{Error, Model};
use rayon::prelude::*;
use serde::Deserialize;

use super::{decode, expand_inputs, fixed, load_model, read_text, stderr_is_terminal, Input};

/// Articles classified together before their output is written.
const BATCH_ARTICLES: usize = 256;
/// ... or fewer, once their text reaches this many bytes.
const BATCH_BYTES: usize = 8 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Per-sentence table and aggregate, for people
    Table,
    /// One JSON array of article objects
    Json,
    /// One article object per line
    Jsonl,
    /// One row per sentence, with the source
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Each INPUT is one article of plain text
    Text,
    /// Each line of each INPUT is a JSON object {"id": ..., "text": ...}
    Jsonl,
}

#[derive(clap::Args)]
pub struct Args {
    /// Model file (defaults to the built-in model)
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// How INPUT is laid out
    #[arg(long, value_enum, default_value_t = InputFormat::Text)]
    input_format: InputFormat,
    /// Worker threads (defaults to all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Replace invalid UTF-8 with U+FFFD instead of stopping with an error
    #[arg(long)]
    lossy: bool,
    /// Files, directories (their *.txt files, sorted) or - for standard input (the default)
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// One article read from the input.
struct Article {
    source: String,
    text: String,
}

pub fn run(args: Args) -> Result<()> {
    let model = load_model(args.model.as_deref())?;
    let inputs = expand_inputs(&args.inputs)?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        anyhow::ensure!(threads >= 1, "--threads must be at least 1");
        pool = pool.num_threads(threads);
    }
    let pool = pool.build().context("cannot start worker threads")?;

    let progress = progress_bar(&inputs, args.input_format);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut writer = Writer::start(&mut out, args.format, &model)?;
    let mut articles = article_stream(inputs, args.input_format, args.lossy);
    loop {
        let batch = next_batch(&mut articles)?;
        if batch.is_empty() {
            break;
        }
        let rendered: Vec<Vec<u8>> = pool.install(|| {
            batch
                .par_iter()
                .map(|article| render(&model, article, args.format))
                .collect::<Result<_>>()
        })?;
        for chunk in rendered {
            writer.article(&mut out, &chunk)?;
        }
        if let Some(progress) = &progress {
            progress.inc(batch.len() as u64);
        }
    }
    writer.finish(&mut out)?;
    out.flush()?;
    if let Some(progress) = progress {
        progress.finish_and_clear();
    }
    Ok(())
}

fn progress_bar(inputs: &[Input], format: InputFormat) -> Option<ProgressBar> {
    if !stderr_is_terminal() {
        return None;
    }
    let bar = match format {
        InputFormat::Text if inputs.len() > 1 => ProgressBar::new(inputs.len() as u64).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} articles, {per_sec}, eta {eta}")
                .expect("a valid template"),
        ),
        InputFormat::Text => return None,
        InputFormat::Jsonl => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {pos} articles, {per_sec}")
                .expect("a valid template"),
        ),
    };
    Some(bar)
}

/// Articles from the inputs, one at a time.
fn article_stream(
    inputs: Vec<Input>,
    format: InputFormat,
    lossy: bool,
) -> Box<dyn Iterator<Item = Result<Article>>> {
    match format {
        InputFormat::Text => Box::new(inputs.into_iter().map(move |input| {
            Ok(Article {
                source: input.name(),
                text: read_text(&input, lossy)?,
            })
        })),
        InputFormat::Jsonl => Box::new(
            inputs
                .into_iter()
                .flat_map(move |input| jsonl_articles(input, lossy)),
        ),
    }
}

#[derive(Deserialize)]
struct JsonlArticle {
    id: Option<serde_json::Value>,
    text: String,
}

/// The `{"id", "text"}` objects of one JSONL input, read line by line.
fn jsonl_articles(input: Input, lossy: bool) -> Box<dyn Iterator<Item = Result<Article>>> {
    let name = input.name();
    let reader: Box<dyn BufRead> = match &input {
        Input::Stdin => Box::new(io::BufReader::new(io::stdin())),
        Input::File(path) => match std::fs::File::open(path) {
            Ok(file) => Box::new(io::BufReader::new(file)),
            Err(e) => return Box::new(std::iter::once(Err(Error::io(path, e).into()))),
        },
    };
    let mut line_number = 0u64;
    Box::new(reader.split(b'\n').filter_map(move |line| {
        line_number += 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => return Some(Err(Error::io(&name, e).into())),
        };
        let line = match decode(line, &format!("{name}: line {line_number}"), lossy) {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        if line.trim().is_empty() {
            return None;
        }
        let bad_line = |problem: String| Error::BadJsonLine {
            path: PathBuf::from(&name),
            line: line_number,
            problem,
        };
        Some(
            serde_json::from_str::<JsonlArticle>(&line)
                .map_err(|e| {
                    bad_line(format!("expected {{\"id\": ..., \"text\": \"...\"}}: {e}")).into()
                })
                .map(|article| Article {
                    source: match article.id {
                        Some(serde_json::Value::String(id)) => id,
                        Some(id) => id.to_string(),
                        None => format!("{name}:{line_number}"),
                    },
                    text: article.text,
                }),
        )
    }))
}

fn next_batch(articles: &mut dyn Iterator<Item = Result<Article>>) -> Result<Vec<Article>> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    while batch.len() < BATCH_ARTICLES && bytes < BATCH_BYTES {
        match articles.next() {
            None => break,
            Some(article) => {
                let article = article?;
                bytes += article.text.len();
                batch.push(article);
            }
        }
    }
    Ok(batch)
}

/// Classifies one article and renders it in the output format.
fn render(model: &Model, article: &Article, format: OutputFormat) -> Result<Vec<u8>> {
    let prediction = model.classify_article(&article.text);
    let record = ArticleRecord::new(model, &article.source, &article.text, &prediction);
    let mut buffer = Vec::with_capacity(article.text.len() * 2);
    match format {
        OutputFormat::Json => serde_json::to_writer(&mut buffer, &record)?,
        OutputFormat::Jsonl => write_jsonl_line(&mut buffer, &record)?,
        OutputFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut buffer);
            write_csv_rows(&mut writer, &record)?;
            writer.flush()?;
        }
        OutputFormat::Table => buffer.extend_from_slice(render_table(model, &record).as_bytes()),
    }
    Ok(buffer)
}

fn render_table(model: &Model, record: &ArticleRecord) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120)
        .set_header(vec!["#", "label", "p", "sentence"]);
    for sentence in &record.sentences {
        let best = model.label_index(sentence.label).unwrap_or(0);
        table.add_row(vec![
            sentence.index.to_string(),
            sentence.label.to_string(),
            fixed(sentence.probabilities.values()[best], 2),
            sentence.text.replace(['\n', '\r'], " "),
        ]);
    }
    let aggregate = &record.aggregate;
    let shares: Vec<String> = model
        .labels()
        .iter()
        .zip(aggregate.shares.values())
        .map(|(label, share)| format!("{label} {:.0}%", share * 100.0))
        .collect();
    format!(
        "{}\n{table}\n{} sentences; {}; stance index {}; overall {}\n\n",
        record.source,
        aggregate.sentences,
        shares.join(", "),
        aggregate
            .stance_index
            .map_or("n/a".to_string(), |v| format!("{v:+.3}")),
        aggregate.label.unwrap_or("n/a"),
    )
}

/// Writes the framing of the chosen format around the articles.
struct Writer {
    format: OutputFormat,
    written: usize,
}

impl Writer {
    fn start(out: &mut impl Write, format: OutputFormat, model: &Model) -> Result<Writer> {
        match format {
            OutputFormat::Json => out.write_all(b"[")?,
            OutputFormat::Csv => {
                let mut writer = csv::Writer::from_writer(&mut *out);
                writer.write_record(csv_header(model))?;
                writer.flush()?;
            }
            OutputFormat::Jsonl | OutputFormat::Table => {}
        }
        Ok(Writer { format, written: 0 })
    }

    fn article(&mut self, out: &mut impl Write, chunk: &[u8]) -> io::Result<()> {
        if self.format == OutputFormat::Json {
            out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
        }
        self.written += 1;
        out.write_all(chunk)
    }

    fn finish(self, out: &mut impl Write) -> io::Result<()> {
        if self.format == OutputFormat::Json {
            out.write_all(b"\n]\n")?;
        }
        Ok(())
    }
}
