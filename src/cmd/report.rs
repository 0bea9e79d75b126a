//! `kzstance report`: one self-contained HTML file showing how every article reads.

use std::path::PathBuf;

use anyhow::{Context, Result};
use kzstance::report::{html_report, ReportArticle};
use rayon::prelude::*;

use super::{load_model, read_all};

#[derive(clap::Args)]
pub struct Args {
    /// Model file (defaults to the built-in model)
    #[arg(long)]
    model: Option<PathBuf>,
    /// Where to write the HTML report
    #[arg(long)]
    out: PathBuf,
    /// Replace invalid UTF-8 with U+FFFD instead of stopping with an error
    #[arg(long)]
    lossy: bool,
    /// Articles: files, directories (their *.txt files) or - for standard input
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let model = load_model(args.model.as_deref())?;
    let texts = read_all(&args.inputs, args.lossy)?;
    let articles: Vec<ReportArticle> = texts
        .par_iter()
        .map(|(source, text)| ReportArticle::new(&model, source, text))
        .collect();
    let html = html_report(&model, &articles);
    std::fs::write(&args.out, html)
        .with_context(|| format!("cannot write the report to {}", args.out.display()))?;
    eprintln!(
        "kzstance: wrote {} ({} articles)",
        args.out.display(),
        articles.len()
    );
    Ok(())
}
