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
    pub(super) format: OutputFormat,
    /// How INPUT is laid out
    #[arg(long, value_enum, default_value_t = InputFormat::Text)]
    pub(super) input_format: InputFormat,
    /// Worker threads (defaults to all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Replace invalid UTF-8 with U+FFFD instead of stopping with an error
    #[arg(long)]
    pub(super) lossy: bool,
    /// Instead of every sentence, one summary per INPUT (a directory of one outlet's
    /// articles, say): articles, sentences, the mean stance index over its articles with a
    /// 95% interval and the mean label shares; then all articles together
    #[arg(long)]
    summary: bool,
    /// With --summary and --input-format jsonl: one summary per value of this field of the
    /// JSON objects (an "outlet" field, say) instead of one per INPUT
    #[arg(long, value_name = "FIELD", requires = "summary")]
    pub(super) group_field: Option<String>,
    /// Files, directories (their *.txt files, sorted) or - for standard input (the default)
    #[arg(value_name = "INPUT")]
    pub(super) inputs: Vec<PathBuf>,
}

/// One article to classify.
pub(super) struct Article {
    pub(super) source: String,
    pub(super) text: String,
    /// The value of `--group-field`, when asked for.
    pub(super) group: Option<String>,
}

/// An article as cheaply read from the input, turned into an [`Article`] (file read, JSON
/// parsed, UTF-8 checked) by a worker thread, so the main thread only moves bytes.
pub(super) enum Pending {
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
    pub(super) fn resolve(self, lossy: bool, group_field: Option<&str>) -> Result<Option<Article>> {
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
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        anyhow::ensure!(threads >= 1, "--threads must be at least 1");
        pool = pool.num_threads(threads);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    if args.summary {
        // It expands each INPUT on its own, to keep them apart.
        return super::summarize::run(&model, &args, &pool);
    }
    let inputs = expand_inputs(&args.inputs)?;

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

pub(super) fn progress_bar(inputs: &[Input], format: InputFormat) -> Option<ProgressBar> {
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
pub(super) fn pending_stream(
    inputs: Vec<Input>,
    format: InputFormat,
) -> Box<dyn Iterator<Item = Pending>> {
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
pub(super) fn next_batch(pending: &mut dyn Iterator<Item = Pending>) -> Vec<Pending> {
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
