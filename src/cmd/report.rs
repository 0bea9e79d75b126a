//! `kzstance report`: one self-contained HTML file showing how every article reads.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kzstance::report::{assemble_report, RenderedArticle, ReportArticle};
use rayon::prelude::*;

use super::{ArticleArgs, ModelArg};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// Where to write the HTML report
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    articles: ArticleArgs,
}

pub fn run(args: Args) -> Result<()> {
    let files = args.articles.files();
    let inputs: Vec<&Path> = files
        .iter()
        .map(PathBuf::as_path)
        .chain(args.model.path())
        .collect();
    kzstance::persist::refuse_to_overwrite_input(&args.out, &inputs, "report")?;
    let model = args.model.load()?;
    let texts = args.articles.read()?;
    // Each article is explained and drawn at once, and only its drawing kept.
    let articles: Vec<RenderedArticle> = texts
        .par_iter()
        .enumerate()
        .map(|(number, (source, text))| {
            ReportArticle::new(&model, source, text).render(&model, number)
        })
        .collect();
    let html = assemble_report(&model, &articles);
    kzstance::persist::write_atomically(&args.out, html.as_bytes())
        .with_context(|| format!("cannot write the report to {}", args.out.display()))?;
    eprintln!(
        "kzstance: wrote {} ({} article{})",
        args.out.display(),
        articles.len(),
        if articles.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
