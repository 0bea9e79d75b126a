//! `kzstance classify`: articles in, a label and probabilities per sentence and an
//! aggregate per article out. Articles are read in batches, classified in parallel and
//! written in input order, so memory stays flat however large the corpus.

use std::collections::HashMap;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};
use kzstance::model::Aggregate;
use kzstance::output::{
    csv_header, summary_csv_header, summary_csv_row, write_csv_rows, write_jsonl_line,
    ArticleRecord, SummaryRecord,
};
use kzstance::summary::{stance_difference, GroupSummary};
use kzstance::{Error, Model};
use rayon::prelude::*;
use serde::Deserialize;

use super::{decode, expand_inputs, fixed, read_text, stderr_is_terminal, Input, ModelArg};

/// Articles classified together before their output is written.
const BATCH_ARTICLES: usize = 256;
/// ... or fewer, once their text reaches this many bytes.
const BATCH_BYTES: usize = 8 << 20;
/// Output bytes reserved per sentence beyond its text.
const OUTPUT_BYTES_PER_SENTENCE: usize = 256;

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
    #[command(flatten)]
    model: ModelArg,
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
    /// Instead of every sentence, one summary per INPUT (a directory of one outlet's
    /// articles, say): articles, sentences, the mean stance index over its articles with a
    /// 95% interval and the mean label shares; then all articles together
    #[arg(long)]
    summary: bool,
    /// With --summary and --input-format jsonl: one summary per value of this field of the
    /// JSON objects (an "outlet" field, say) instead of one per INPUT
    #[arg(long, value_name = "FIELD", requires = "summary")]
    group_field: Option<String>,
    /// Files, directories (their *.txt files, sorted) or - for standard input (the default)
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// One article to classify.
struct Article {
    source: String,
    text: String,
    /// The value of `--group-field`, when asked for.
    group: Option<String>,
}

/// An article as cheaply read from the input, turned into an [`Article`] (file read, JSON
/// parsed, UTF-8 checked) by a worker thread, so the main thread only moves bytes.
enum Pending {
    File(Input),
    JsonLine {
        name: String,
        line: u64,
        bytes: Vec<u8>,
    },
    Failed(anyhow::Error),
}

impl Pending {
    /// Bytes already read (file contents are not known yet).
    fn size(&self) -> usize {
        match self {
            Pending::JsonLine { bytes, .. } => bytes.len(),
            _ => 0,
        }
    }

    /// The article, or `None` for a blank JSONL line.
    fn resolve(self, lossy: bool, group_field: Option<&str>) -> Result<Option<Article>> {
        match self {
            Pending::File(input) => Ok(Some(Article {
                source: input.name(),
                text: read_text(&input, lossy)?,
                group: None,
            })),
            Pending::JsonLine { name, line, bytes } => {
                parse_json_line(&name, line, bytes, lossy, group_field)
            }
            Pending::Failed(error) => Err(error),
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let model = args.model.load()?;
    let inputs = expand_inputs(&args.inputs)?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        anyhow::ensure!(threads >= 1, "--threads must be at least 1");
        pool = pool.num_threads(threads);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    if args.summary {
        return summarize(&model, &args, &pool);
    }

    let progress = progress_bar(&inputs, args.input_format);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut writer = Writer::start(&mut out, args.format, &model)?;
    let mut pending = pending_stream(inputs, args.input_format);
    let classify_batch = |batch: Vec<Pending>| -> Vec<Rendered> {
        batch
            .into_par_iter()
            .map(|item| {
                item.resolve(args.lossy, None)?
                    .map(|article| render(&model, &article, args.format))
                    .transpose()
            })
            .collect()
    };
    // Write in input order up to the first failure, which then stops the run.
    let mut write_batch = |rendered: Vec<Rendered>| -> Result<()> {
        let count = rendered.len() as u64;
        for chunk in rendered {
            if let Some(chunk) = chunk? {
                writer.article(&mut out, &chunk)?;
            }
        }
        if let Some(progress) = &progress {
            progress.inc(count);
        }
        Ok(())
    };
    // With one worker everything runs in turn on it, so `--threads 1` is truly one thread.
    // With more, this thread writes the previous batch and reads the next while the workers
    // classify the current one, so the workers never wait for input or output.
    let pipelined = pool.current_num_threads() > 1;
    let mut batch = next_batch(&mut *pending);
    let mut classified: Vec<Rendered> = Vec::new();
    while !batch.is_empty() {
        if pipelined {
            let mut rendered = Vec::new();
            let mut step = Ok(Vec::new());
            let rendered_slot = &mut rendered;
            let classify_batch = &classify_batch;
            pool.in_place_scope(|scope| {
                scope.spawn(move |_| *rendered_slot = classify_batch(batch));
                step = write_batch(std::mem::take(&mut classified))
                    .map(|()| next_batch(&mut *pending));
            });
            batch = step?;
            classified = rendered;
        } else {
            write_batch(pool.install(|| classify_batch(batch)))?;
            batch = next_batch(&mut *pending);
        }
    }
    write_batch(classified)?;
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

/// Pending articles from the inputs, in order.
fn pending_stream(inputs: Vec<Input>, format: InputFormat) -> Box<dyn Iterator<Item = Pending>> {
    match format {
        InputFormat::Text => Box::new(inputs.into_iter().map(Pending::File)),
        InputFormat::Jsonl => Box::new(inputs.into_iter().flat_map(jsonl_lines)),
    }
}

/// The raw lines of one JSONL input.
fn jsonl_lines(input: Input) -> Box<dyn Iterator<Item = Pending>> {
    let name = input.name();
    let reader: Box<dyn BufRead> = match &input {
        Input::Stdin => Box::new(io::BufReader::with_capacity(1 << 16, io::stdin())),
        Input::File(path) => match std::fs::File::open(path) {
            Ok(file) => Box::new(io::BufReader::with_capacity(1 << 16, file)),
            Err(e) => return Box::new(std::iter::once(Pending::Failed(Error::io(path, e).into()))),
        },
    };
    let mut line = 0u64;
    Box::new(reader.split(b'\n').map(move |bytes| {
        line += 1;
        match bytes {
            Ok(bytes) => Pending::JsonLine {
                name: name.clone(),
                line,
                bytes,
            },
            Err(e) => Pending::Failed(Error::io(&name, e).into()),
        }
    }))
}

#[derive(Deserialize)]
struct JsonlArticle {
    id: Option<serde_json::Value>,
    text: String,
}

/// One `{"id", "text"}` line; `None` when the line is blank. With `group_field`, the
/// article's group is that field's value ("(no FIELD)" when it is missing or null).
fn parse_json_line(
    name: &str,
    line: u64,
    bytes: Vec<u8>,
    lossy: bool,
    group_field: Option<&str>,
) -> Result<Option<Article>> {
    let text = decode(bytes, &format!("{name}: line {line}"), lossy)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let article: JsonlArticle = serde_json::from_str(&text).map_err(|e| Error::BadJsonLine {
        path: PathBuf::from(name),
        line,
        problem: format!("expected {{\"id\": ..., \"text\": \"...\"}}: {e}"),
    })?;
    // Only a grouped summary reads the line a second time, for its field.
    let group = group_field.map(|field| {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).unwrap_or_default();
        match object.get(field) {
            Some(serde_json::Value::String(value)) => value.clone(),
            None | Some(serde_json::Value::Null) => format!("(no {field})"),
            Some(value) => value.to_string(),
        }
    });
    Ok(Some(Article {
        source: match article.id {
            Some(serde_json::Value::String(id)) => id,
            Some(id) => id.to_string(),
            None => format!("{name}:{line}"),
        },
        text: article.text,
        group,
    }))
}

/// One article's rendered output (`None` for a blank JSONL line), or why it failed.
type Rendered = Result<Option<Vec<u8>>>;

/// The next batch: up to `BATCH_ARTICLES` items or `BATCH_BYTES` of read input.
fn next_batch(pending: &mut dyn Iterator<Item = Pending>) -> Vec<Pending> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    while batch.len() < BATCH_ARTICLES && bytes < BATCH_BYTES {
        match pending.next() {
            None => break,
            Some(item) => {
                bytes += item.size();
                batch.push(item);
            }
        }
    }
    batch
}

/// Classifies one article and renders it in the output format.
fn render(model: &Model, article: &Article, format: OutputFormat) -> Result<Vec<u8>> {
    let prediction = model.classify_article(&article.text);
    let record = ArticleRecord::new(model, &article.source, &article.text, &prediction);
    // Room for the text plus each sentence's index, label and probabilities (about 230
    // bytes in JSONL) and the aggregate, so the buffer is not regrown and copied.
    let mut buffer = Vec::with_capacity(
        article.text.len() + OUTPUT_BYTES_PER_SENTENCE * record.sentences.len() + 1024,
    );
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
    // A model without the stance labels has no stance index to speak of.
    let stance = match (model.stance_labels(), aggregate.stance_index) {
        (None, _) => String::new(),
        (Some(_), index) => format!(
            "; stance index {}",
            index.map_or("n/a".to_string(), |v| format!("{v:+.3}"))
        ),
    };
    format!(
        "{}\n{table}\n{} sentences; {}{stance}; overall {}\n\n",
        record.source,
        aggregate.sentences,
        shares.join(", "),
        aggregate.label.unwrap_or("n/a"),
    )
}

/// An article's group (`None`: its INPUT's) and aggregate.
type Grouped = (Option<String>, Aggregate);

/// `--summary`: classifies each INPUT's articles, keeping only their aggregates, and
/// writes one summary per INPUT (and one of all of them when there are several).
fn summarize(model: &Model, args: &Args, pool: &rayon::ThreadPool) -> Result<()> {
    let arguments = if args.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.inputs.clone()
    };
    // Every INPUT is checked before any is classified, as without --summary.
    let expanded = arguments
        .iter()
        .map(|argument| expand_inputs(std::slice::from_ref(argument)))
        .collect::<Result<Vec<_>>>()?;
    if args.group_field.is_some() && args.input_format != InputFormat::Jsonl {
        anyhow::bail!("--group-field names a field of JSON objects: add --input-format jsonl");
    }
    let group_field = args.group_field.as_deref();
    // Groups in order of first appearance, each with its articles' aggregates.
    let mut groups: Vec<(String, Vec<Aggregate>)> = Vec::new();
    let mut positions: HashMap<String, usize> = HashMap::new();
    let mut position_of = |name: String, groups: &mut Vec<(String, Vec<Aggregate>)>| {
        *positions.entry(name.clone()).or_insert_with(|| {
            groups.push((name, Vec::new()));
            groups.len() - 1
        })
    };
    for (argument, inputs) in arguments.iter().zip(expanded) {
        let input_name = argument.display().to_string();
        if group_field.is_none() {
            // An INPUT without articles still gets its row.
            position_of(input_name.clone(), &mut groups);
        }
        let mut pending = pending_stream(inputs, args.input_format);
        loop {
            let batch = next_batch(&mut *pending);
            if batch.is_empty() {
                break;
            }
            let classified: Vec<Result<Option<Grouped>>> = pool.install(|| {
                batch
                    .into_par_iter()
                    .map(|item| {
                        Ok(item.resolve(args.lossy, group_field)?.map(|article| {
                            let aggregate = model.classify_article(&article.text).aggregate;
                            (article.group, aggregate)
                        }))
                    })
                    .collect()
            });
            for item in classified {
                if let Some((group, aggregate)) = item? {
                    let position =
                        position_of(group.unwrap_or_else(|| input_name.clone()), &mut groups);
                    groups[position].1.push(aggregate);
                }
            }
        }
    }
    let n_labels = model.labels().len();
    let mut summaries: Vec<GroupSummary> = groups
        .iter()
        .map(|(name, aggregates)| GroupSummary::new(name.clone(), aggregates, n_labels))
        .collect();
    if groups.len() > 1 {
        let all: Vec<Aggregate> = groups
            .into_iter()
            .flat_map(|(_, aggregates)| aggregates)
            .collect();
        summaries.push(GroupSummary::new("(all articles)", &all, n_labels));
    }
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        OutputFormat::Table => {
            let heading = group_field.unwrap_or("input");
            write!(out, "{}", summary_table(model, heading, &summaries))?
        }
        OutputFormat::Json => {
            let records: Vec<SummaryRecord> = summaries
                .iter()
                .map(|summary| SummaryRecord::new(model, summary))
                .collect();
            serde_json::to_writer_pretty(&mut out, &records)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            for summary in &summaries {
                serde_json::to_writer(&mut out, &SummaryRecord::new(model, summary))?;
                writeln!(out)?;
            }
        }
        OutputFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut out);
            writer.write_record(summary_csv_header(model))?;
            for summary in &summaries {
                writer.write_record(summary_csv_row(summary))?;
            }
            writer.flush()?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The summaries as a table whose first column is headed `heading`.
fn summary_table(model: &Model, heading: &str, summaries: &[GroupSummary]) -> String {
    let stance = model.stance_labels().is_some();
    let mut header = vec![heading.to_string(), "articles".into(), "sentences".into()];
    if stance {
        header.extend(["stance index".into(), "95% interval".into()]);
    }
    header.extend(model.labels().iter().cloned());
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        // Few, short columns: label names are not broken across lines.
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    for summary in summaries {
        let mut row = vec![
            summary.group.clone(),
            summary.articles.to_string(),
            summary.sentences.to_string(),
        ];
        if stance {
            row.push(
                summary
                    .stance_index
                    .map_or("n/a".into(), |v| format!("{v:+.3}")),
            );
            row.push(
                summary
                    .stance_interval
                    .map_or("n/a".into(), |(low, high)| format!("{low:+.2}…{high:+.2}")),
            );
        }
        row.extend(
            summary
                .mean_shares
                .iter()
                .map(|share| format!("{:.0}%", share * 100.0)),
        );
        table.add_row(row);
    }
    let note = if stance {
        "Each article counts once: the stance index is the mean of the articles' indices, with\n\
         the 95% confidence interval of that mean; under each label, the mean of the articles'\n\
         shares of sentences.\n"
    } else {
        "Each article counts once: under each label, the mean of the articles' shares of\n\
         sentences.\n"
    };
    // Two groups: is the model's reading of them different?
    let difference = match summaries {
        [first, second, _all] if stance => stance_difference(first, second).map_or_else(
            || "Too few articles in a group for the interval of their difference.\n".to_string(),
            |(difference, (low, high))| {
                format!(
                    "{} minus {}: {difference:+.3} (95% interval {low:+.2}…{high:+.2}, Welch's t); an\n\
                     interval that leaves out 0 means the model reads the two groups differently.\n",
                    second.group, first.group
                )
            },
        ),
        _ => String::new(),
    };
    format!("{table}\n{note}{difference}")
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
