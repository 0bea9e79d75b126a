//! `kzstance suggest`: write the sentences most worth labeling next as a CSV to fill in.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use kzstance::data::load_labeled_csv;
use kzstance::suggest::suggest;

use super::{ArticleArgs, ModelArg};

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
    /// defaults to the model's training file when it exists
    #[arg(long)]
    labeled: Option<PathBuf>,
    #[command(flatten)]
    articles: ArticleArgs,
}

pub fn run(args: Args) -> Result<()> {
    let model = args.model.load()?;
    let labeled_path = args.labeled.clone().or_else(|| {
        let path = PathBuf::from(&model.card().training_data);
        path.is_file().then_some(path)
    });
    let labeled = match &labeled_path {
        Some(path) => {
            let card = model.card();
            load_labeled_csv(path, &card.text_column, &card.label_column)?.texts
        }
        None => Vec::new(),
    };
    let articles = args.articles.read()?;
    let suggestions = suggest(&model, &articles, &labeled, args.count);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["id", "text", "label", "predicted", "confidence", "source"])?;
    for s in &suggestions {
        writer.write_record([
            format!("{}#{}", s.source, s.index),
            s.text.clone(),
            String::new(),
            model.labels()[s.predicted].clone(),
            format!("{:.4}", s.confidence),
            s.source.clone(),
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
                describe_exclusions(labeled_path.as_deref(), labeled.len())
            );
        }
        None => std::io::stdout().lock().write_all(&csv)?,
    }
    Ok(())
}

fn describe_exclusions(path: Option<&Path>, rows: usize) -> String {
    match path {
        Some(path) => format!(
            " (skipping near-duplicates of {rows} rows of {})",
            path.display()
        ),
        None => String::new(),
    }
}
