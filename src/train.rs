//! Training: labeled sentences in, a fitted [`Model`] and its cross-validation report out.
//! Cross-validation refits the vectorizer inside every fold, so no fold sees IDF figures
//! from the rows it is scored on, and scores each row alone (folds split articles, so a
//! row's neighbours are rarely beside it). Folds run in parallel. Not file I/O.

use rayon::prelude::*;

use crate::classifier::ClassifierParams;
use crate::context::LabelContext;
use crate::data::{DataFile, LabeledData};
use crate::error::{Error, Result};
use crate::evaluate::{evaluate, stratified_folds, Evaluation};
use crate::lbfgs::Run;
use crate::model::{argmax, CrossValidationSummary, Model, ModelCard, TrainingFile};
use crate::tfidf::TfidfParams;
use crate::tokenize::{Tokenizer, TokenizerParams, MAX_NGRAM};

/// Everything that decides a trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    pub tokenizer: TokenizerParams,
    pub tfidf: TfidfParams,
    pub classifier: ClassifierParams,
    /// Cross-validation folds; 0 or 1 skips cross-validation; defaults to `5`.
    pub folds: usize,
    /// Seed for fold assignment and oversampling; defaults to `42`.
    pub seed: u64,
    /// Learn how labels follow one another in the training articles (rows sharing an
    /// article id, one after another), so that classifying reads each sentence in the
    /// context of its article; defaults to `true`. Without articles in the data the model
    /// reads every sentence alone either way.
    pub context: bool,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            tokenizer: TokenizerParams::default(),
            tfidf: TfidfParams {
                min_df: 2,
                max_df: 1.0,
                max_features: Some(64_000),
                sublinear_tf: true,
            },
            classifier: ClassifierParams::default(),
            folds: 5,
            seed: 42,
            context: true,
        }
    }
}

/// A trained model and, when folds were asked for, its cross-validation figures.
pub struct Trained {
    pub model: Model,
    pub cross_validation: Option<Evaluation>,
    /// With cross-validation, each row's label index as predicted by the fold that held it
    /// out, in row order: for figures per group of rows.
    pub cross_validation_predictions: Option<Vec<usize>>,
    /// How the solver's run went for the final fit, then for each fold in order (empty
    /// for a solver that does not say).
    pub solver_runs: Vec<Run>,
}

/// Where the training data came from, for the model card.
pub struct Provenance {
    /// The first training file as named on the command line (later ones are named by
    /// their paths in the data).
    pub data_name: String,
    pub text_column: String,
    pub label_column: String,
    /// `YYYY-MM-DD`.
    pub trained_on: String,
}

/// Cross-validates (when `params.folds >= 2`) and then fits on all rows.
pub fn train(data: &LabeledData, params: &TrainParams, provenance: Provenance) -> Result<Trained> {
    train_with_progress(data, None, params, provenance, &|_| {})
}

/// How many classifier fits `train` makes: one per fold, then the final one.
pub fn fits_to_make(params: &TrainParams) -> usize {
    if params.folds >= 2 {
        params.folds + 1
    } else {
        1
    }
}

/// What `train_with_progress` reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The features of every row are computed; the fits start.
    Featurized,
    /// One more of the [`fits_to_make`] classifier fits is done.
    FitDone,
}

/// [`train`], with optional `fit_only` rows, calling `progress` from whichever thread
/// reaches each step (fits run in parallel), so a caller can show how far a run of minutes
/// has got.
///
/// `fit_only` rows join the training side of every cross-validation fold and the final
/// fit, but no fold scores them: the figures are those of `data`'s rows alone, measured
/// with everything the model learns from. Rows of another kind (whole articles beside
/// sentences written as examples, say) teach the model without blurring what the figures
/// measure.
pub fn train_with_progress(
    data: &LabeledData,
    fit_only: Option<&LabeledData>,
    params: &TrainParams,
    provenance: Provenance,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Trained> {
    let mut labels = data.label_set();
    if let Some(fit_only) = fit_only {
        labels.extend(fit_only.label_set());
        labels.sort();
        labels.dedup();
    }
    check(data, &labels, params)?;
    let scored_rows = data.len();
    let mut targets = data.targets(&labels)?;
    let mut texts: Vec<&String> = data.texts.iter().collect();
    if let Some(fit_only) = fit_only {
        targets.extend(fit_only.targets(&labels)?);
        texts.extend(&fit_only.texts);
    }
    let tokenizer = Tokenizer::new(params.tokenizer.clone());
    let features: Vec<Vec<String>> = texts.par_iter().map(|t| tokenizer.features(t)).collect();
    progress(Progress::Featurized);
    let classifier_params = ClassifierParams {
        seed: params.seed,
        ..params.classifier.clone()
    };

    // The final fit runs beside the folds so no core idles while the last fold finishes.
    let (cross_validation, fitted) = rayon::join(
        || {
            (params.folds >= 2)
                .then(|| {
                    cross_validate(
                        &features,
                        &targets,
                        scored_rows,
                        &labels,
                        params,
                        &classifier_params,
                        progress,
                    )
                })
                .transpose()
        },
        || {
            let fitted = fit_parts(
                &features,
                &targets,
                labels.len(),
                params,
                &classifier_params,
            );
            progress(Progress::FitDone);
            fitted
        },
    );
    let (cross_validation, cross_validation_predictions, fold_runs) = match cross_validation? {
        Some((evaluation, predicted, runs)) => (Some(evaluation), Some(predicted), runs),
        None => (None, None, Vec::new()),
    };
    let (tfidf, classifier, final_run) = fitted?;
    let solver_runs = final_run
        .into_iter()
        .chain(fold_runs.into_iter().flatten())
        .collect();
    let card = ModelCard {
        training_data: provenance.data_name,
        training_sha256: data.files[0].sha256.clone(),
        more_training_data: card_entries(&data.files[1..]),
        fit_only_data: fit_only.map_or_else(Vec::new, |fit_only| card_entries(&fit_only.files)),
        rows_per_label: rows_per_label(&labels, &targets),
        text_column: provenance.text_column,
        label_column: provenance.label_column,
        seed: params.seed,
        alpha: params.classifier.alpha,
        max_iterations: params.classifier.max_iterations,
        solver: params.classifier.solver.name().to_string(),
        tolerance: Some(params.classifier.tolerance),
        min_df: params.tfidf.min_df,
        max_df: params.tfidf.max_df,
        max_features: params.tfidf.max_features,
        balance_classes: params.classifier.balance_classes,
        cross_validation: cross_validation.as_ref().map(|e| CrossValidationSummary {
            folds: params.folds,
            accuracy: e.accuracy,
            macro_f1: e.macro_f1,
            f1_per_label: labels
                .iter()
                .cloned()
                .zip(e.per_class.iter().map(|m| m.f1))
                .collect(),
        }),
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        trained_on: provenance.trained_on,
    };
    let context = if params.context {
        let mut articles = data.article_runs();
        if let Some(fit_only) = fit_only {
            let offset = data.len();
            articles.extend(
                fit_only
                    .article_runs()
                    .into_iter()
                    .map(|run| run.start + offset..run.end + offset),
            );
        }
        LabelContext::learn(&targets, &articles, labels.len())
    } else {
        None
    };
    Ok(Trained {
        model: Model::new(labels, tokenizer, tfidf, classifier, card).with_context(context),
        cross_validation,
        cross_validation_predictions,
        solver_runs,
    })
}

/// Data files as the model card records them: path and SHA-256.
fn card_entries(files: &[DataFile]) -> Vec<TrainingFile> {
    files
        .iter()
        .map(|file| TrainingFile {
            path: file.path.display().to_string(),
            sha256: file.sha256.clone(),
        })
        .collect()
}

/// How many rows carry each label, in `labels` order.
fn rows_per_label(labels: &[String], targets: &[usize]) -> Vec<(String, usize)> {
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| (label.clone(), targets.iter().filter(|&&t| t == i).count()))
        .collect()
}

fn check(data: &LabeledData, labels: &[String], params: &TrainParams) -> Result<()> {
    if labels.len() < 2 {
        return Err(Error::SingleClass {
            label: labels.first().cloned().unwrap_or_default(),
        });
    }
    if !(1..=MAX_NGRAM).contains(&params.tokenizer.ngram_max) {
        return Err(Error::InvalidParam {
            name: "ngrams",
            value: params.tokenizer.ngram_max.to_string(),
            expected: "a whole number from 1 to 8",
        });
    }
    if params.folds >= 2 {
        for (label, count) in data.counts() {
            if count < params.folds {
                let rows = data.locations_of(&label, params.folds);
                return Err(Error::TooFewForFolds {
                    label,
                    count,
                    rows,
                    folds: params.folds,
                });
            }
        }
    }
    Ok(())
}

fn fit_parts(
    features: &[Vec<String>],
    targets: &[usize],
    n_classes: usize,
    params: &TrainParams,
    classifier_params: &ClassifierParams,
) -> Result<(
    crate::tfidf::Tfidf,
    crate::classifier::Classifier,
    Option<Run>,
)> {
    let tfidf = params.tfidf.fit(features)?;
    let rows: Vec<_> = features.iter().map(|f| tfidf.transform(f)).collect();
    let (classifier, run) =
        classifier_params.fit_with_run(&rows, targets, n_classes, tfidf.len())?;
    Ok((tfidf, classifier, run))
}

/// One fold's predictions, as (row, predicted label index), and its solver run.
type FoldResult = (Vec<(usize, usize)>, Option<Run>);

/// Stratified k-fold cross-validation of the first `scored_rows` rows (the rest are in
/// every fold's training side); predictions of all folds pooled into one report, returned
/// with the pooled predictions of the scored rows and each fold's solver run.
fn cross_validate(
    features: &[Vec<String>],
    targets: &[usize],
    scored_rows: usize,
    labels: &[String],
    params: &TrainParams,
    classifier_params: &ClassifierParams,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(Evaluation, Vec<usize>, Vec<Option<Run>>)> {
    let folds = stratified_folds(&targets[..scored_rows], params.folds, params.seed);
    let fold_results: Vec<FoldResult> = (0..params.folds)
        .into_par_iter()
        .map(|fold| {
            let (train_rows, test_rows): (Vec<usize>, Vec<usize>) =
                (0..targets.len()).partition(|&i| i >= scored_rows || folds[i] != fold);
            let train_features: Vec<Vec<String>> =
                train_rows.iter().map(|&i| features[i].clone()).collect();
            let train_targets: Vec<usize> = train_rows.iter().map(|&i| targets[i]).collect();
            let (tfidf, classifier, run) = fit_parts(
                &train_features,
                &train_targets,
                labels.len(),
                params,
                classifier_params,
            )?;
            progress(Progress::FitDone);
            let predictions = test_rows
                .iter()
                .map(|&i| {
                    let p = classifier.probabilities(&tfidf.transform(&features[i]));
                    (i, argmax(&p))
                })
                .collect();
            Ok((predictions, run))
        })
        .collect::<Result<_>>()?;
    let mut predicted = vec![0; scored_rows];
    let mut runs = Vec::with_capacity(fold_results.len());
    for (predictions, run) in fold_results {
        for (i, p) in predictions {
            predicted[i] = p;
        }
        runs.push(run);
    }
    Ok((
        evaluate(labels, &targets[..scored_rows], &predicted),
        predicted,
        runs,
    ))
}
