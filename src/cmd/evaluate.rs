//! `kzstance evaluate`: score a model on a labeled CSV; also draws the metrics table that
//! `train` prints for cross-validation.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use kzstance::data::{load_grouped_csv, LabeledData};
use kzstance::evaluate::{
    evaluate, evaluate_groups, group_key, ClassMetrics, Evaluation, GroupEvaluation,
};
use kzstance::model::argmax;
use kzstance::persist;
use rayon::prelude::*;
use serde::Serialize;

use super::{fixed, ModelArg, ReportFormat};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// Labeled CSV with a header row
    #[arg(long)]
    data: PathBuf,
    /// Column holding the sentence [default: the one the model was trained on, `text` for
    /// the shipped model]
    #[arg(long)]
    text_column: Option<String>,
    /// Column holding the label [default: the one the model was trained on, `label` for the
    /// shipped model]
    #[arg(long)]
    label_column: Option<String>,
    /// Also score each group of rows sharing a value of this column (an outlet, an article)
    #[arg(long, value_name = "COLUMN")]
    group_column: Option<String>,
    /// Group by the group column's value up to its last SEP: with `--group-column id
    /// --group-strip-suffix -`, rows `art1-01` and `art1-02` form the group `art1`
    #[arg(long, value_name = "SEP", requires = "group_column")]
    group_strip_suffix: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Also write each row's prediction and class probabilities to this CSV, for reading
    /// the errors (written whole or not at all)
    #[arg(long, value_name = "PATH")]
    predictions: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    if let Some(path) = &args.predictions {
        let inputs: Vec<&Path> = std::iter::once(args.data.as_path())
            .chain(args.model.path())
            .collect();
        persist::refuse_to_overwrite_input(path, &inputs, "predictions")?;
    }
    let model = args.model.load()?;
    let card = model.card();
    let data = load_grouped_csv(
        &args.data,
        args.text_column.as_deref().unwrap_or(&card.text_column),
        args.label_column.as_deref().unwrap_or(&card.label_column),
        args.group_column.as_deref(),
    )?;
    if let Some(fitted) = card
        .files_fitted_on()
        .into_iter()
        .find(|file| file.sha256 == data.files[0].sha256)
    {
        eprintln!(
            "kzstance: warning: {} has the SHA-256 of {}, a file the model was fitted on: these are training figures, not a test",
            args.data.display(),
            fitted.path
        );
    }
    let truth = data.targets(model.labels())?;
    // Consecutive rows of one article (ids `ARTICLE-NUMBER` of the same `ARTICLE`, the NUMBER
    // rising) are read in one another's context, as `classify` reads an article's sentences.
    let articles = data.article_runs();
    let probabilities: Vec<Vec<f64>> = articles
        .par_iter()
        .flat_map_iter(|run| model.predict_in_context(&data.texts[run.clone()]))
        .collect();
    let in_context = model.context().map(|_| {
        let read_together = articles.iter().filter(|run| run.len() > 1);
        (
            read_together.clone().count(),
            read_together.map(|run| run.len()).sum::<usize>(),
        )
    });
    let predicted: Vec<usize> = probabilities.iter().map(|p| argmax(p)).collect();
    if let Some(path) = &args.predictions {
        let csv = predictions_csv(&data, model.labels(), &predicted, &probabilities)?;
        persist::write_atomically(path, &csv)?;
        eprintln!(
            "kzstance: wrote {} predictions to {}",
            data.len(),
            path.display()
        );
    }
    let evaluation = evaluate(model.labels(), &truth, &predicted);
    let groups = data.groups.as_ref().map(|groups| {
        let separator = args.group_strip_suffix.as_deref();
        score_groups(model.labels(), groups, separator, &truth, &predicted)
    });
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Table => {
            let context = match in_context {
                Some((0, _)) | None => String::new(),
                Some((articles, rows)) => format!(
                    ", {rows} of them read in the context of their article ({articles} {}: consecutive rows with ids ARTICLE-NUMBER of the same ARTICLE, NUMBER rising)",
                    if articles == 1 { "article" } else { "articles" }
                ),
            };
            writeln!(
                out,
                "{} rows of {}{context}:\n",
                data.len(),
                args.data.display()
            )?;
            write!(out, "{}", render_evaluation(&evaluation))?;
            if let (Some(groups), Some(column)) = (&groups, &args.group_column) {
                write!(out, "\nby {column}\n{}\n", render_groups(groups))?;
            }
        }
        ReportFormat::Json => {
            let json = EvaluationJson::from(&evaluation).with_groups(groups.as_deref());
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// One CSV row per labeled row: where it is in the file, its text and label, the model's
/// label, whether they agree, and each class's probability (and the group, when asked).
fn predictions_csv(
    data: &LabeledData,
    labels: &[String],
    predicted: &[usize],
    probabilities: &[Vec<f64>],
) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["line".to_string()];
    if data.groups.is_some() {
        header.push("group".to_string());
    }
    header.extend(["text", "label", "predicted", "correct"].map(String::from));
    header.extend(labels.iter().map(|label| format!("p_{label}")));
    writer.write_record(&header)?;
    for row in 0..data.len() {
        let mut record = vec![data.lines[row].to_string()];
        if let Some(groups) = &data.groups {
            record.push(groups[row].clone());
        }
        let label = labels[predicted[row]].clone();
        let correct = label == data.labels[row];
        record.extend([
            data.texts[row].clone(),
            data.labels[row].clone(),
            label,
            correct.to_string(),
        ]);
        record.extend(probabilities[row].iter().map(|p| format!("{p:.6}")));
        writer.write_record(&record)?;
    }
    Ok(writer.into_inner().map_err(|e| e.into_error())?)
}

/// Figures per group, the groups being the `values` of a group column, each cut at
/// `separator` when given.
pub fn score_groups(
    labels: &[String],
    values: &[String],
    separator: Option<&str>,
    truth: &[usize],
    predicted: &[usize],
) -> Vec<GroupEvaluation> {
    let keys: Vec<&str> = values.iter().map(|v| group_key(v, separator)).collect();
    evaluate_groups(labels, &keys, truth, predicted)
}

/// One row per group: rows, accuracy, macro-F1.
pub fn render_groups(groups: &[GroupEvaluation]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec!["group", "rows", "accuracy", "macro-F1"]);
    for group in groups {
        table.add_row(vec![
            group.name.clone(),
            group.rows.to_string(),
            fixed(group.evaluation.accuracy, 3),
            fixed(group.evaluation.macro_f1, 3),
        ]);
    }
    table
}

/// A group's figures in JSON.
#[derive(Serialize)]
struct GroupJson {
    rows: usize,
    accuracy: f64,
    macro_f1: f64,
}

/// The JSON shape of an evaluation.
#[derive(Serialize)]
pub struct EvaluationJson<'a> {
    accuracy: f64,
    macro_f1: f64,
    per_class: BTreeMap<&'a str, &'a ClassMetrics>,
    confusion: ConfusionJson<'a>,
    /// Per group, with `--group-column`.
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<BTreeMap<&'a str, GroupJson>>,
}

#[derive(Serialize)]
struct ConfusionJson<'a> {
    labels: &'a [String],
    matrix: &'a [Vec<usize>],
}

impl<'a> EvaluationJson<'a> {
    /// Adds the figures of each group, when there are groups.
    pub fn with_groups(mut self, groups: Option<&'a [GroupEvaluation]>) -> Self {
        self.groups = groups.map(|groups| {
            groups
                .iter()
                .map(|group| {
                    let figures = GroupJson {
                        rows: group.rows,
                        accuracy: group.evaluation.accuracy,
                        macro_f1: group.evaluation.macro_f1,
                    };
                    (group.name.as_str(), figures)
                })
                .collect()
        });
        self
    }
}

impl<'a> From<&'a Evaluation> for EvaluationJson<'a> {
    fn from(e: &'a Evaluation) -> Self {
        EvaluationJson {
            accuracy: e.accuracy,
            macro_f1: e.macro_f1,
            per_class: e
                .labels
                .iter()
                .map(String::as_str)
                .zip(&e.per_class)
                .collect(),
            confusion: ConfusionJson {
                labels: &e.labels,
                matrix: &e.confusion,
            },
            groups: None,
        }
    }
}

/// Accuracy, macro-F1, the per-label table and the confusion matrix, for people.
pub fn render_evaluation(e: &Evaluation) -> String {
    let mut per_class = Table::new();
    per_class.load_preset(UTF8_FULL_CONDENSED);
    per_class.set_header(vec!["label", "precision", "recall", "f1", "support"]);
    for (c, (label, m)) in e.labels.iter().zip(&e.per_class).enumerate() {
        // A label neither present nor predicted has no figures, and macro-F1 leaves it out.
        let figure = |value: f64| {
            if e.occurs(c) {
                fixed(value, 3)
            } else {
                "–".to_string()
            }
        };
        per_class.add_row(vec![
            label.clone(),
            figure(m.precision),
            figure(m.recall),
            figure(m.f1),
            m.support.to_string(),
        ]);
    }
    let mut confusion = Table::new();
    confusion.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["true \\ predicted".to_string()];
    header.extend(e.labels.iter().cloned());
    confusion.set_header(header);
    for (label, row) in e.labels.iter().zip(&e.confusion) {
        let mut cells = vec![label.clone()];
        cells.extend(row.iter().map(usize::to_string));
        confusion.add_row(cells);
    }
    format!(
        "accuracy  {}\nmacro-F1  {}\n\n{per_class}\n\nconfusion matrix (rows: true label, columns: predicted)\n{confusion}\n",
        fixed(e.accuracy, 3),
        fixed(e.macro_f1, 3),
    )
}
