//! `kzstance classify --summary`: one row per group of articles (an INPUT, or a JSONL
//! field's value) instead of every sentence, for comparing outlets or months.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Result;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use kzstance::model::Aggregate;
use kzstance::output::{summary_csv_header, summary_csv_row, SummaryRecord};
use kzstance::summary::{stance_difference, GroupSummary, Groups};
use kzstance::Model;
use rayon::prelude::*;

use super::classify::{next_batch, pending_stream, progress_bar, Args, InputFormat, OutputFormat};
use super::expand_inputs;

/// An article's group (`None`: its INPUT's) and aggregate.
type Grouped = (Option<String>, Aggregate);

/// `--summary`: classifies each INPUT's articles, keeping only their aggregates, and
/// writes one summary per INPUT (and one of all of them when there are several).
pub fn run(model: &Model, args: &Args, pool: &rayon::ThreadPool) -> Result<()> {
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
    let every_input: Vec<_> = expanded.iter().flatten().cloned().collect();
    let progress = progress_bar(&every_input, args.input_format);
    let mut groups = Groups::default();
    for (argument, inputs) in arguments.iter().zip(expanded) {
        let input_name = argument.display().to_string();
        if group_field.is_none() {
            // An INPUT without articles still gets its row.
            groups.open(&input_name);
        }
        let mut pending = pending_stream(inputs, args.input_format);
        loop {
            let batch = next_batch(&mut *pending);
            if batch.is_empty() {
                break;
            }
            let count = batch.len() as u64;
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
                    groups.add(group.as_deref().unwrap_or(&input_name), aggregate);
                }
            }
            if let Some(progress) = &progress {
                progress.inc(count);
            }
        }
    }
    if let Some(progress) = progress {
        progress.finish_and_clear();
    }
    let summaries = groups.summaries(model.labels().len());
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

/// Groups with fewer articles than this get a note on the width of their interval.
const FEW_ARTICLES: usize = 5;

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
    // Student's t at one to three degrees of freedom is 12.7 to 3.2: say why such an
    // interval spans most of the range rather than let it look like nothing was computed.
    let few = summaries
        .iter()
        .filter(|s| s.stance_interval.is_some() && s.articles < FEW_ARTICLES)
        .map(|s| s.group.as_str())
        .collect::<Vec<_>>();
    let few_note = if stance && !few.is_empty() {
        format!(
            "Fewer than {FEW_ARTICLES} articles in {}: the mean of so few is known only\n\
             roughly, so the interval is wide. Compare groups of dozens of articles.\n",
            few.join(", ")
        )
    } else {
        String::new()
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
    format!("{table}\n{note}{few_note}{difference}")
}
