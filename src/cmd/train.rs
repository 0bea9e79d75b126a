//! `kzstance train`: cross-validate on a labeled CSV, fit on all rows, write the model.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use kzstance::classifier::{ClassifierParams, Solver};
use kzstance::context::MIN_TRANSITIONS;
use kzstance::data::{load_grouped_csvs, LabeledData};
use kzstance::lbfgs::{Run, Stop};
use kzstance::persist;
use kzstance::synonyms;
use kzstance::tfidf::TfidfParams;
use kzstance::tokenize::TokenizerParams;
use kzstance::train::{fits_to_make, train_with_progress, Progress, Provenance, TrainParams};

use super::evaluate::{render_evaluation, render_groups, score_groups, EvaluationJson};
use super::{joined_paths, stderr_is_terminal, ReportFormat};

#[derive(clap::Args)]
pub struct Args {
    /// Labeled CSV with a header row; repeat it to train on the rows of several files
    /// with the same columns (your own sentences beside the shipped ones, say)
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// Labeled CSV whose rows the model also learns from, in every cross-validation fold
    /// and the final fit, but which cross-validation never scores (whole articles beside
    /// sentences written as examples, say); repeatable, with the same text and label columns
    #[arg(long, value_name = "CSV")]
    fit_only: Vec<PathBuf>,
    /// Where to write the model (JSON); an existing file is replaced only once the new
    /// model is completely written
    #[arg(long)]
    out: PathBuf,
    /// Column holding the sentence
    #[arg(long, default_value = "text")]
    text_column: String,
    /// Column holding the label; any column of two or more distinct values works
    #[arg(long, default_value = "label")]
    label_column: String,
    /// Cross-validation folds (stratified); 0 skips cross-validation
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Also report the cross-validation figures of each group of rows sharing a value of
    /// this column (a source, an outlet, a writing batch)
    #[arg(long, value_name = "COLUMN")]
    group_column: Option<String>,
    /// Group by the group column's value up to its last SEP (as in `evaluate`)
    #[arg(long, value_name = "SEP", requires = "group_column")]
    group_strip_suffix: Option<String>,
    /// Seed for fold assignment and class balancing
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// L2 penalty of the logistic regression
    #[arg(long, default_value_t = ClassifierParams::default().alpha)]
    alpha: f64,
    /// Most L-BFGS iterations of the logistic regression solver (it stops earlier once
    /// converged)
    #[arg(long, default_value_t = ClassifierParams::default().max_iterations)]
    max_iterations: u64,
    /// Stop the solver once the gradient's norm per training row is below this
    #[arg(long, default_value_t = ClassifierParams::default().tolerance)]
    tolerance: f64,
    /// Logistic regression solver: sparse (fast) or linfa (linfa-logistic over a dense
    /// matrix: the reference, memory and time grow with rows × features)
    #[arg(long, value_enum, default_value_t = SolverArg::Sparse)]
    solver: SolverArg,
    /// Keep n-grams seen in at least this many training sentences
    #[arg(long, default_value_t = TrainParams::default().tfidf.min_df)]
    min_df: usize,
    /// Drop n-grams seen in more than this share of training sentences
    #[arg(long, default_value_t = TrainParams::default().tfidf.max_df)]
    max_df: f64,
    /// Keep at most this many n-grams, the most frequent
    #[arg(long, default_value_t = TrainParams::default().tfidf.max_features.unwrap_or(usize::MAX))]
    max_features: usize,
    /// Longest word n-gram (1 = single words)
    #[arg(long, default_value_t = 2)]
    ngrams: usize,
    /// Do not stem words (lower-case only)
    #[arg(long)]
    no_stem: bool,
    /// Mark this many words after a negation (not, no, never, without, …n't), up to the
    /// next punctuation, as negated terms ("¬help"); 0 turns negation marking off
    #[arg(long, default_value_t = TokenizerParams::default().negation_words)]
    negation_words: usize,
    /// Synonym lexicon: one group of words per line, separated by commas; every word of a
    /// group reads as the group's first word, so a synonym-spun rewrite ("tribunal" for
    /// "court") keeps the features of its original. The groups are saved in the model
    #[arg(long, value_name = "FILE")]
    synonyms: Option<PathBuf>,
    /// Fold a lexicon word into its group's most frequent word only when the training rows
    /// hold it at least this many times less often (0 folds every listed word); the groups
    /// as fitted are what the model saves
    #[arg(
        long,
        default_value_t = 3.0,
        value_name = "RATIO",
        requires = "synonyms"
    )]
    synonym_ratio: f64,
    /// Use raw term counts instead of 1 + ln(count)
    #[arg(long)]
    raw_tf: bool,
    /// Do not oversample smaller labels up to the largest
    #[arg(long)]
    no_balance: bool,
    /// Do not learn how labels follow one another in articles (consecutive rows with ids
    /// `ARTICLE-NUMBER` of the same `ARTICLE`, the NUMBER rising), so the model reads every
    /// sentence alone
    #[arg(long)]
    no_context: bool,
    /// Report format for the cross-validation figures
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SolverArg {
    Sparse,
    Linfa,
}

pub fn run(args: Args) -> Result<()> {
    let inputs: Vec<&Path> = args
        .data
        .iter()
        .chain(&args.fit_only)
        .chain(&args.synonyms)
        .map(PathBuf::as_path)
        .collect();
    persist::refuse_to_overwrite_input(&args.out, &inputs, "model")?;
    let data = load_grouped_csvs(
        &args.data,
        &args.text_column,
        &args.label_column,
        args.group_column.as_deref(),
    )?;
    warn_of_duplicates(&data, &args.data);
    warn_of_rare_labels(&data, args.folds);
    let fit_only = if args.fit_only.is_empty() {
        None
    } else {
        let fit_only =
            load_grouped_csvs(&args.fit_only, &args.text_column, &args.label_column, None)?;
        warn_of_shared_rows(&data, &fit_only, &args.fit_only);
        Some(fit_only)
    };
    let mut tokenizer = TokenizerParams {
        stem: !args.no_stem,
        ngram_max: args.ngrams,
        negation_words: args.negation_words,
        ..TokenizerParams::default()
    };
    if let Some(path) = &args.synonyms {
        let lexicon = synonyms::load(path, &tokenizer)?;
        let texts = fit_only.iter().flat_map(|rows| &rows.texts);
        let texts: Vec<&String> = data.texts.iter().chain(texts).collect();
        tokenizer.synonyms =
            synonyms::keep_rarer(&lexicon, &texts, &tokenizer, args.synonym_ratio)?;
        let words = |groups: &[Vec<String>]| groups.iter().map(Vec::len).sum::<usize>();
        eprintln!(
            "kzstance: {}: {} of {} synonym groups ({} of {} words) kept after fitting to the training rows (--synonym-ratio {})",
            path.display(),
            tokenizer.synonyms.len(),
            lexicon.len(),
            words(&tokenizer.synonyms),
            words(&lexicon),
            args.synonym_ratio
        );
    }
    let params = TrainParams {
        tokenizer,
        tfidf: TfidfParams {
            min_df: args.min_df,
            max_df: args.max_df,
            max_features: Some(args.max_features),
            sublinear_tf: !args.raw_tf,
        },
        classifier: ClassifierParams {
            alpha: args.alpha,
            max_iterations: args.max_iterations,
            tolerance: args.tolerance,
            balance_classes: !args.no_balance,
            solver: match args.solver {
                SolverArg::Sparse => Solver::Sparse,
                SolverArg::Linfa => Solver::Linfa,
            },
            ..ClassifierParams::default()
        },
        folds: args.folds,
        seed: args.seed,
        context: !args.no_context,
    };
    let provenance = Provenance {
        data_name: args.data[0].display().to_string(),
        text_column: args.text_column.clone(),
        label_column: args.label_column.clone(),
        trained_on: training_date(),
    };
    let progress = stderr_is_terminal().then(|| {
        let bar = ProgressBar::new(fits_to_make(&params) as u64).with_style(
            ProgressStyle::with_template("{spinner} {msg} {bar:30} {pos}/{len} fits, {elapsed}")
                .expect("a valid template"),
        );
        bar.set_message("reading features");
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let trained = train_with_progress(&data, fit_only.as_ref(), &params, provenance, &|step| {
        if let Some(bar) = &progress {
            match step {
                Progress::Featurized => bar.set_message("fitting"),
                Progress::FitDone => bar.inc(1),
            }
        }
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let trained = trained?;

    let groups = match (&data.groups, &trained.cross_validation_predictions) {
        (Some(groups), Some(predicted)) => {
            let labels = trained.model.labels();
            let truth = data.targets(labels)?;
            let separator = args.group_strip_suffix.as_deref();
            Some(score_groups(labels, groups, separator, &truth, predicted))
        }
        _ => None,
    };
    let mut out = std::io::stdout().lock();
    if let Some(evaluation) = &trained.cross_validation {
        match args.format {
            ReportFormat::Table => {
                let fit_only_note = fit_only.as_ref().map_or(String::new(), |fit_only| {
                    format!(
                        ", with the {} rows of {} in every fold's training side",
                        fit_only.len(),
                        joined_paths(&args.fit_only)
                    )
                });
                writeln!(
                    out,
                    "{}-fold cross-validation on {} rows ({} labels){fit_only_note}:\n",
                    args.folds,
                    data.len(),
                    evaluation.labels.len()
                )?;
                write!(out, "{}", render_evaluation(evaluation))?;
                if let (Some(groups), Some(column)) = (&groups, &args.group_column) {
                    write!(out, "\nby {column}\n{}\n", render_groups(groups))?;
                }
            }
            ReportFormat::Json => {
                let json = EvaluationJson::from(evaluation).with_groups(groups.as_deref());
                serde_json::to_writer_pretty(&mut out, &json)?;
                writeln!(out)?;
            }
        }
    }
    persist::save(&trained.model, &args.out)
        .with_context(|| format!("the model was not written to {}", args.out.display()))?;
    let context = match trained.model.context() {
        Some(context) => format!(
            "; reads sentences in context, from {} label transitions in training articles",
            context.total_transitions()
        ),
        None if args.no_context => "; reads every sentence alone (--no-context)".to_string(),
        None => format!(
            "; reads every sentence alone: fewer than {MIN_TRANSITIONS} neighbouring rows of one article (ids `ARTICLE-NUMBER`)"
        ),
    };
    eprintln!(
        "kzstance: wrote {} ({} features, labels: {}{context})",
        args.out.display(),
        trained.model.tfidf().len(),
        trained.model.labels().join(", ")
    );
    report_solver_runs(&trained.solver_runs, args.max_iterations, args.tolerance);
    Ok(())
}

/// How many L-BFGS iterations the fits took, and a warning naming every fit that stopped
/// at `--max-iterations` before its gradient met `--tolerance` (a model from such a fit
/// is not the minimum the settings ask for). `runs` are the final fit's, then the folds'.
fn report_solver_runs(runs: &[Run], max_iterations: u64, tolerance: f64) {
    let Some((final_fit, folds)) = runs.split_first() else {
        return;
    };
    let mut line = format!(
        "kzstance: solver: {} L-BFGS iterations for the final fit",
        final_fit.iterations
    );
    if let (Some(fewest), Some(most)) = (
        folds.iter().map(|r| r.iterations).min(),
        folds.iter().map(|r| r.iterations).max(),
    ) {
        let range = if fewest == most {
            fewest.to_string()
        } else {
            format!("{fewest}–{most}")
        };
        line += &format!(", {range} for each of the {} folds", folds.len());
    }
    eprintln!("{line}");
    let capped: Vec<String> = runs
        .iter()
        .enumerate()
        .filter(|(_, run)| run.stop == Stop::IterationLimit)
        .map(|(i, _)| match i {
            0 => "the final fit".to_string(),
            fold => format!("fold {fold}"),
        })
        .collect();
    if !capped.is_empty() {
        eprintln!(
            "kzstance: warning: {} stopped at --max-iterations {max_iterations} before the gradient met --tolerance {tolerance}; the model is not fully fitted (raise --max-iterations)",
            capped.join(", ")
        );
    }
}

/// Fit-only rows that repeat a scored row's text, or each other's, make cross-validation
/// figures look better than they are; they are counted, not refused.
fn warn_of_shared_rows(data: &LabeledData, fit_only: &LabeledData, paths: &[PathBuf]) {
    let scored: std::collections::HashSet<&str> = data.texts.iter().map(String::as_str).collect();
    let shared = fit_only
        .texts
        .iter()
        .filter(|text| scored.contains(text.as_str()))
        .count();
    if shared > 0 {
        eprintln!(
            "kzstance: warning: {}: {shared} fit-only rows repeat the text of a scored row; cross-validation figures will be optimistic",
            joined_paths(paths)
        );
    }
    warn_of_duplicates(fit_only, paths);
}

/// Rows repeating an earlier row's text and label are kept, and counted.
fn warn_of_duplicates(data: &LabeledData, paths: &[PathBuf]) {
    if data.duplicates > 0 {
        eprintln!(
            "kzstance: warning: {}: {} duplicate rows (same text and label); they are kept",
            joined_paths(paths),
            data.duplicates
        );
    }
}

/// A label with a handful of rows beside large ones is most often misspelt. Training
/// refuses one with fewer rows than the cross-validation folds; a smaller one than
/// `RARE_LABEL_ROWS` that it accepts would quietly become a class, so it is named.
fn warn_of_rare_labels(data: &LabeledData, folds: usize) {
    let counts = data.counts();
    let largest = counts.iter().map(|(_, count)| *count).max().unwrap_or(0);
    for (label, count) in counts {
        let refused = folds >= 2 && count < folds;
        let rare = count < RARE_LABEL_ROWS && count * 4 <= largest;
        if rare && !refused {
            eprintln!(
                "kzstance: warning: label '{label}' has only {count} row(s) ({}) beside {largest} of another; is it misspelt?",
                data.locations_of(&label, RARE_LABEL_ROWS)
            );
        }
    }
}

/// Fewer rows than this for a label, and at most a quarter of the largest label's, draws
/// a warning.
const RARE_LABEL_ROWS: usize = 5;

/// Today's UTC date, or the date of `SOURCE_DATE_EPOCH` when set (reproducible builds).
fn training_date() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    civil_date(seconds.div_euclid(86_400))
}

/// `YYYY-MM-DD` of a count of days since 1970-01-01 (proleptic Gregorian calendar).
fn civil_date(days: i64) -> String {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::civil_date;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_514), "2026-03-02");
    }
}
