//! `kzstance report`: one self-contained HTML file showing how every article reads.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kzstance::report::{assemble_report, RenderedArticle, ReportArticle};
use kzstance::summary::Groups;
use rayon::prelude::*;

use super::{ArticleArgs, ModelArg};

/// A full report from this size up gets a hint about `--overview-only`.
const LARGE_REPORT_MB: f64 = 20.0;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// Where to write the HTML report
    #[arg(long)]
    out: PathBuf,
    /// Show only the overview (each article's stance index and label shares), without the
    /// articles' sentences: for a corpus, whose full report runs to megabytes per hundred
    /// articles
    #[arg(long)]
    overview_only: bool,
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
    let by_input = args.articles.read_by_input()?;
    let texts: Vec<&(String, String)> = by_input.iter().flat_map(|(_, texts)| texts).collect();
    // Each article is explained and drawn at once, and only its drawing kept.
    let articles: Vec<RenderedArticle> = texts
        .par_iter()
        .enumerate()
        .map(|(number, (source, text))| {
            if args.overview_only {
                RenderedArticle::overview_only(source, model.classify_article(text).aggregate)
            } else {
                ReportArticle::new(&model, source, text).render(&model, number)
            }
        })
        .collect();
    // Several INPUTs of which one at least holds several articles (one directory per
    // outlet, say) are compared side by side; a list of single files is not.
    let mut groups = Groups::default();
    if by_input.len() > 1 && by_input.iter().any(|(_, texts)| texts.len() > 1) {
        let mut rendered = articles.iter();
        for (input, texts) in &by_input {
            groups.open(input);
            for article in rendered.by_ref().take(texts.len()) {
                groups.add(input, article.aggregate.clone());
            }
        }
    }
    let html = assemble_report(&model, &articles, &groups.summaries(model.labels().len()));
    kzstance::persist::write_atomically(&args.out, html.as_bytes())
        .with_context(|| format!("cannot write the report to {}", args.out.display()))?;
    let megabytes = html.len() as f64 / 1e6;
    let size = if megabytes < 1.0 {
        format!("{:.0} kB", megabytes * 1e3)
    } else {
        format!("{megabytes:.1} MB")
    };
    eprintln!(
        "kzstance: wrote {} ({} article{}, {size})",
        args.out.display(),
        articles.len(),
        if articles.len() == 1 { "" } else { "s" }
    );
    if megabytes >= LARGE_REPORT_MB && !args.overview_only {
        eprintln!(
            "kzstance: a browser may be slow to open a report this large; --overview-only leaves out the sentences"
        );
    }
    Ok(())
}
