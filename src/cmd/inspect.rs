//! `kzstance inspect`: the model card, the heaviest terms per label, and what the model
//! knows about chosen words.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use kzstance::model::{ModelCard, TrainingFile};
use kzstance::tokenize::{TokenizerParams, NEGATED_PREFIX};
use kzstance::Model;
use serde::Serialize;

use super::{fixed, ModelArg, ReportFormat};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArg,
    /// How many features to list per label
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Show this word's stem, the IDF of its features and their weights per label; for
    /// several words ("Russian world"), the features made of consecutive ones
    #[arg(long = "term", value_name = "WORD")]
    terms: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Also draw the top features per label as an SVG bar chart in this file
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

#[derive(Serialize)]
struct Inspection<'a> {
    labels: &'a [String],
    features: usize,
    tokenizer: &'a TokenizerParams,
    card: &'a ModelCard,
    top_features: Vec<LabelFeatures<'a>>,
    terms: Vec<TermReport<'a>>,
    /// How labels follow one another in the training articles, when the model learned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<ContextReport<'a>>,
}

#[derive(Serialize)]
struct ContextReport<'a> {
    /// `transitions[i][j]`: sentences labeled `labels[j]` right after one labeled `labels[i]`.
    transitions: &'a [Vec<u64>],
    /// Their sum, for the table.
    #[serde(skip)]
    total: u64,
    /// The chance of the next label after each over its average chance after any label
    /// (above 1: the pair goes together).
    lift: &'a [Vec<f64>],
}

#[derive(Serialize)]
struct LabelFeatures<'a> {
    label: &'a str,
    bias: f64,
    features: Vec<WeightedFeature<'a>>,
}

#[derive(Serialize)]
struct WeightedFeature<'a> {
    feature: &'a str,
    weight: f64,
}

#[derive(Serialize)]
struct TermReport<'a> {
    word: String,
    stem: String,
    /// The word's own stem when the synonym lexicon folds it into `stem`'s group.
    #[serde(skip_serializing_if = "Option::is_none")]
    synonym_stem: Option<String>,
    features: Vec<FeatureWeights<'a>>,
}

#[derive(Serialize)]
struct FeatureWeights<'a> {
    feature: &'a str,
    idf: f64,
    weights: kzstance::output::LabelMap<'a>,
}

pub fn run(args: Args) -> Result<()> {
    let model = args.model.load()?;
    let inspection = Inspection {
        labels: model.labels(),
        features: model.tfidf().len(),
        tokenizer: model.tokenizer().params(),
        card: model.card(),
        top_features: top_features(&model, args.top),
        terms: args.terms.iter().map(|w| term_report(&model, w)).collect(),
        context: model.context().map(|context| ContextReport {
            transitions: context.transitions(),
            total: context.total_transitions(),
            lift: context.lift(),
        }),
    };
    if let Some(path) = &args.svg {
        let inputs: Vec<&std::path::Path> = args.model.path().into_iter().collect();
        kzstance::persist::refuse_to_overwrite_input(path, &inputs, "chart")?;
        kzstance::persist::write_atomically(
            path,
            kzstance::report::weights_svg(&model, args.top).as_bytes(),
        )?;
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &inspection)?;
            writeln!(out)?;
        }
        ReportFormat::Table => write!(out, "{}", render(&inspection))?,
    }
    Ok(())
}

/// The `top` features with the largest weight for each label.
fn top_features(model: &Model, top: usize) -> Vec<LabelFeatures<'_>> {
    let vocabulary = model.tfidf().vocabulary();
    let classifier = model.classifier();
    model
        .labels()
        .iter()
        .enumerate()
        .map(|(class, label)| LabelFeatures {
            label,
            bias: classifier.intercepts()[class],
            features: classifier
                .top_features(class, top)
                .into_iter()
                .map(|f| WeightedFeature {
                    feature: &vocabulary[f],
                    weight: classifier.weight(f, class),
                })
                .collect(),
        })
        .collect()
}

/// Every feature built on the word's normalised term: the term itself, its negated form and
/// the n-grams that contain either.
fn term_report<'a>(model: &'a Model, word: &str) -> TermReport<'a> {
    let stems: Vec<String> = word
        .split_whitespace()
        .map(|w| model.tokenizer().normalize(w))
        .collect();
    let stem = stems.join(" ");
    let unfolded = word
        .split_whitespace()
        .map(|w| model.tokenizer().unfolded_term(w))
        .collect::<Vec<_>>()
        .join(" ");
    let synonym_stem = (unfolded != stem).then_some(unfolded);
    let features = model
        .tfidf()
        .vocabulary()
        .iter()
        .enumerate()
        .filter(|(_, feature)| {
            // Negated or not, a feature matches a word it holds, or for several words a
            // run of two or more of them in order.
            let parts: Vec<&str> = feature
                .split(' ')
                .map(|part| part.trim_start_matches(NEGATED_PREFIX))
                .collect();
            match stems.as_slice() {
                [one] => parts.contains(&one.as_str()),
                _ => parts.len() >= 2 && stems.windows(parts.len()).any(|run| run == parts),
            }
        })
        .map(|(f, feature)| FeatureWeights {
            feature,
            idf: model.tfidf().idf()[f],
            weights: kzstance::output::LabelMap::new(
                model.labels(),
                model.classifier().feature_weights(f),
            ),
        })
        .collect();
    TermReport {
        word: word.to_string(),
        stem,
        synonym_stem,
        features,
    }
}

/// The tokenizer settings in words: "word 1-2-grams, stemmed, negation scope 8 words".
fn tokenizer_summary(params: &TokenizerParams) -> String {
    let grams = if params.ngram_max == 1 {
        "words".to_string()
    } else {
        format!("word 1-{}-grams", params.ngram_max)
    };
    let stemming = if params.stem {
        "stemmed"
    } else {
        "not stemmed"
    };
    let negation = match params.negation_words {
        0 => "no negation scope".to_string(),
        1 => "negation scope 1 word".to_string(),
        n => format!("negation scope {n} words"),
    };
    let synonyms = match params.synonyms.len() {
        0 => String::new(),
        1 => ", 1 synonym group".to_string(),
        n => format!(", {n} synonym groups"),
    };
    format!("{grams}, {stemming}, {negation}{synonyms}")
}

/// Files with their SHA-256, joined by " + ".
fn file_list(files: &[TrainingFile]) -> String {
    files
        .iter()
        .map(|file| format!("{} (sha256 {})", file.path, file.sha256))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The card's fit-only files as a line of their own, or nothing.
fn fit_only_line(card: &ModelCard) -> String {
    if card.fit_only_data.is_empty() {
        return String::new();
    }
    format!("\n  fit only        {}", file_list(&card.fit_only_data))
}

fn render(inspection: &Inspection) -> String {
    let card = inspection.card;
    let mut text = String::new();
    text.push_str(&format!(
        "model card\n  labels          {}\n  features        {}\n  training data   {}{}\n  columns         text '{}', label '{}'\n  rows per label  {}\n  tokenizer       {}\n  settings        alpha {}, max_iterations {}, tolerance {}, solver {}, min_df {}, max_df {}, max_features {}, balanced classes {}, seed {}\n",
        inspection.labels.join(", "),
        inspection.features,
        file_list(&card.training_files()),
        fit_only_line(card),
        card.text_column,
        card.label_column,
        card.rows_per_label
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        tokenizer_summary(inspection.tokenizer),
        card.alpha,
        card.max_iterations,
        card.tolerance
            .map_or_else(|| "not recorded".to_string(), |t| t.to_string()),
        card.solver,
        card.min_df,
        card.max_df,
        card.max_features.map_or("none".into(), |m| m.to_string()),
        card.balance_classes,
        card.seed,
    ));
    if let Some(cv) = &card.cross_validation {
        let scored = if card.fit_only_data.is_empty() {
            ""
        } else {
            " of the training data (fit-only rows in every fold, never scored)"
        };
        text.push_str(&format!(
            "  cross-validated {} folds{scored}: accuracy {}, macro-F1 {} ({})\n",
            cv.folds,
            fixed(cv.accuracy, 3),
            fixed(cv.macro_f1, 3),
            cv.f1_per_label
                .iter()
                .map(|(l, f)| format!("{l} F1 {}", fixed(*f, 3)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    text.push_str(&format!(
        "  trained         {} with kzstance {}\n",
        card.trained_on, card.crate_version
    ));
    match &inspection.context {
        Some(context) => {
            let total = context.total;
            text.push_str(&format!(
                "  context         from {total} label transitions in training articles, the lift of the next label (its chance after this one / its average chance after any):\n"
            ));
            for (label, row) in inspection.labels.iter().zip(context.lift) {
                let cells: Vec<String> = inspection
                    .labels
                    .iter()
                    .zip(row)
                    .map(|(next, lift)| format!("{next} {}", fixed(*lift, 2)))
                    .collect();
                text.push_str(&format!("    after {label}: {}\n", cells.join(", ")));
            }
        }
        None => text.push_str("  context         none: reads every sentence alone\n"),
    }
    text.push('\n');
    // `--top 0` asks for the card (and any terms) without the per-label tables.
    for label in inspection
        .top_features
        .iter()
        .filter(|l| !l.features.is_empty())
    {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        table.set_header(vec!["feature", "weight"]);
        for f in &label.features {
            table.add_row(vec![f.feature.to_string(), fixed(f.weight, 3)]);
        }
        text.push_str(&format!(
            "{} (bias {})\n{table}\n\n",
            label.label,
            fixed(label.bias, 3)
        ));
    }
    for term in &inspection.terms {
        match &term.synonym_stem {
            Some(own) => text.push_str(&format!(
                "term '{}' (stem '{own}', read as its synonym '{}')\n",
                term.word, term.stem
            )),
            None => text.push_str(&format!("term '{}' (stem '{}')\n", term.word, term.stem)),
        }
        if term.features.is_empty() {
            text.push_str("  not in the vocabulary\n\n");
            continue;
        }
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        let mut header = vec!["feature".to_string(), "idf".to_string()];
        header.extend(inspection.labels.iter().cloned());
        table.set_header(header);
        for f in &term.features {
            let mut row = vec![f.feature.to_string(), fixed(f.idf, 3)];
            row.extend(f.weights.values().iter().map(|w| fixed(*w, 3)));
            table.add_row(row);
        }
        text.push_str(&format!("{table}\n\n"));
    }
    text
}
