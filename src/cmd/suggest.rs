//! `kzstance suggest`: write the sentences most worth labeling next as a CSV to fill in.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use kzstance::data::{count_filled_labels, load_labeled_csv};
use kzstance::suggest::suggest;

use super::{joined_paths, ArticleArgs, ModelArg};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// How many sentences to suggest
    #[arg(long, default_value_t = 50)]
    count: usize,
    /// Write the CSV here instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
    /// Labeled CSV whose sentences (and their near-duplicates) are not suggested again;
    /// repeat it for several; defaults to the files the model was fitted on that exist
    #[arg(long)]
    labeled: Vec<PathBuf>,
    #[command(flatten)]
    articles: ArticleArgs,
}

pub fn run(args: Args) -> Result<()> {
    let model = args.model.load()?;
    let card = model.card();
    let labeled_paths: Vec<PathBuf> = if args.labeled.is_empty() {
        card.files_fitted_on()
            .into_iter()
            .map(|file| PathBuf::from(file.path))
            .filter(|path| path.is_file())
            .collect()
    } else {
        args.labeled.clone()
    };
    if let Some(out) = &args.out {
        let files = args.articles.files();
        let inputs: Vec<&Path> = files
            .iter()
            .chain(&labeled_paths)
            .map(PathBuf::as_path)
            .chain(args.model.path())
            .collect();
        kzstance::persist::refuse_to_overwrite_input(out, &inputs, "suggestions")?;
        let rows = count_filled_labels(out, &card.label_column);
        if rows > 0 {
            return Err(kzstance::Error::WouldLoseLabels {
                path: out.clone(),
                rows,
            }
            .into());
        }
    }
    let mut labeled = Vec::new();
    for path in &labeled_paths {
        labeled.extend(load_labeled_csv(path, &card.text_column, &card.label_column)?.texts);
    }
    let articles = args.articles.read()?;
    let suggestions = suggest(&model, &articles, &labeled, args.count);
    let mut writer = csv::Writer::from_writer(Vec::new());
    // The model's own column names, so the filled-in file trains with the same options.
    writer.write_record([
        "id",
        &card.text_column,
        &card.label_column,
        "predicted",
        "confidence",
        "source",
        "previous_sentence",
        "next_sentence",
    ])?;
    for s in &suggestions {
        writer.write_record([
            &format!("{}#{}", s.source, s.index),
            &s.text,
            "",
            &model.labels()[s.predicted],
            &format!("{:.4}", s.confidence),
            &s.source,
            &s.previous,
            &s.next,
        ])?;
    }
    let csv = writer.into_inner().map_err(|e| e.into_error())?;
    match &args.out {
        // Written whole or not at all, so a failed run never leaves half a file to label.
        Some(path) => {
            kzstance::persist::write_atomically(path, &csv)?;
            eprintln!(
                "kzstance: wrote {} suggestions to {}{}",
                suggestions.len(),
                path.display(),
                describe_exclusions(&labeled_paths, labeled.len())
            );
        }
        None => std::io::stdout().lock().write_all(&csv)?,
    }
    Ok(())
}

fn describe_exclusions(paths: &[PathBuf], rows: usize) -> String {
    if paths.is_empty() {
        return String::new();
    }
    format!(
        " (skipping near-duplicates of {rows} rows of {})",
        joined_paths(paths)
    )
}
