//! The model: tokenizer, vectorizer and classifier joined, with the label names and the
//! model card. Gives each sentence a label and probabilities, and each article an
//! aggregate. Not file I/O (that is `persist`) and not training (that is `train`).

use serde::{Deserialize, Serialize};

use crate::classifier::{softmax, Classifier};
use crate::context::LabelContext;
use crate::features::FeatureIndex;
use crate::scoring::sentence_scores;
use crate::sentence::split_sentences;
use crate::tfidf::{SparseVector, Tfidf};
use crate::tokenize::Tokenizer;

/// Labels whose mean probabilities define the stance index.
pub const PRO_INDEPENDENCE: &str = "pro_independence";
pub const PRO_KREMLIN: &str = "pro_kremlin";

/// A fitted stance model.
#[derive(Debug, Clone)]
pub struct Model {
    labels: Vec<String>,
    tokenizer: Tokenizer,
    tfidf: Tfidf,
    classifier: Classifier,
    card: ModelCard,
    features: FeatureIndex,
    /// How labels follow one another in articles; `None` reads every sentence alone.
    context: Option<LabelContext>,
}

/// One classified sentence: its place in the article, the winning label (an index into
/// the model's labels) and a probability per label.
#[derive(Debug, Clone, PartialEq)]
pub struct SentencePrediction {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub label: usize,
    pub probabilities: Vec<f64>,
}

/// Per-article figures; all per-label vectors are in the model's label order.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub sentences: usize,
    /// Share of sentences given each label (all zero for an article with no sentences).
    pub shares: Vec<f64>,
    /// Mean probability of each label over the sentences (zero with no sentences).
    pub mean_probabilities: Vec<f64>,
    /// Mean P(pro_independence) minus mean P(pro_kremlin), in [-1, 1]; `None` when the
    /// model lacks either label or the article has no sentences.
    pub stance_index: Option<f64>,
    /// The label with the largest share (ties go to the higher mean probability);
    /// `None` with no sentences.
    pub label: Option<usize>,
}

/// A classified article.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticlePrediction {
    pub sentences: Vec<SentencePrediction>,
    pub aggregate: Aggregate,
}

/// What the model was trained on and how well it did; saved in the model file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelCard {
    /// The training CSV as it was named on the command line (the first, when there were
    /// several).
    pub training_data: String,
    pub training_sha256: String,
    /// The training CSVs after the first, in order; empty for a model trained on one file
    /// and in model files written before several could be given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_training_data: Vec<TrainingFile>,
    /// Training CSVs whose rows the model was fitted on but cross-validation never scored
    /// (`train --fit-only`); empty for most models and in files written before the option.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fit_only_data: Vec<TrainingFile>,
    /// Rows per label of everything fitted on, fit-only rows included.
    pub rows_per_label: Vec<(String, usize)>,
    pub text_column: String,
    pub label_column: String,
    pub seed: u64,
    pub alpha: f64,
    pub max_iterations: u64,
    /// The solver that fitted the weights (`sparse` or `linfa`); model files written
    /// before the choice existed were all fitted by linfa-logistic.
    #[serde(default = "solver_of_older_models")]
    pub solver: String,
    /// The solver's stopping tolerance (gradient norm per training row); `None` in model
    /// files written before it was a setting.
    #[serde(default)]
    pub tolerance: Option<f64>,
    pub min_df: usize,
    pub max_df: f64,
    pub max_features: Option<usize>,
    pub balance_classes: bool,
    pub cross_validation: Option<CrossValidationSummary>,
    pub crate_version: String,
    /// UTC date of training, `YYYY-MM-DD` (from `SOURCE_DATE_EPOCH` when set, for
    /// reproducible files).
    pub trained_on: String,
}

/// A training CSV as it was named on the command line, with the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingFile {
    pub path: String,
    pub sha256: String,
}

impl ModelCard {
    /// Every training CSV, the first included.
    pub fn training_files(&self) -> Vec<TrainingFile> {
        let first = TrainingFile {
            path: self.training_data.clone(),
            sha256: self.training_sha256.clone(),
        };
        std::iter::once(first)
            .chain(self.more_training_data.iter().cloned())
            .collect()
    }

    /// Every CSV the model was fitted on: the training files, then the fit-only ones.
    pub fn files_fitted_on(&self) -> Vec<TrainingFile> {
        let mut files = self.training_files();
        files.extend(self.fit_only_data.iter().cloned());
        files
    }
}

fn solver_of_older_models() -> String {
    crate::classifier::Solver::Linfa.name().to_string()
}

/// Cross-validation figures kept on the model card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidationSummary {
    pub folds: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub f1_per_label: Vec<(String, f64)>,
}

impl Model {
    /// Joins fitted parts; `persist` checks dimensions before calling this.
    pub fn new(
        labels: Vec<String>,
        tokenizer: Tokenizer,
        tfidf: Tfidf,
        classifier: Classifier,
        card: ModelCard,
    ) -> Model {
        let features = FeatureIndex::new(&tfidf, tokenizer.params().ngram_max);
        Model {
            labels,
            tokenizer,
            tfidf,
            classifier,
            card,
            features,
            context: None,
        }
    }

    /// The model reading each article's sentences in the context of one another
    /// (`persist` checks that `context` has a row and column per label).
    pub fn with_context(mut self, context: Option<LabelContext>) -> Model {
        self.context = context;
        self
    }

    /// How labels follow one another in the training articles, when the model learned it.
    pub fn context(&self) -> Option<&LabelContext> {
        self.context.as_ref()
    }

    /// Stops reading sentences in context: every sentence is classified alone.
    pub fn drop_context(&mut self) {
        self.context = None;
    }

    /// Probabilities per label for consecutive sentences of one article, each read in the
    /// context of the others when the model has a context, otherwise alone.
    pub fn predict_in_context<S: AsRef<str>>(&self, sentences: &[S]) -> Vec<Vec<f64>> {
        let mut probabilities: Vec<Vec<f64>> = sentences
            .iter()
            .map(|s| self.predict_probabilities(s.as_ref()))
            .collect();
        if let Some(context) = &self.context {
            context.smooth(&mut probabilities);
        }
        probabilities
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn label_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    /// The indices of pro_independence and pro_kremlin, whose mean probabilities give the
    /// stance index; `None` for a model without both (a sentiment model, say).
    pub fn stance_labels(&self) -> Option<(usize, usize)> {
        Some((
            self.label_index(PRO_INDEPENDENCE)?,
            self.label_index(PRO_KREMLIN)?,
        ))
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    pub fn tfidf(&self) -> &Tfidf {
        &self.tfidf
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The TF-IDF row of one sentence.
    pub fn vectorize(&self, sentence: &str) -> SparseVector {
        self.tfidf
            .transform_ids(self.features.feature_ids(&self.tokenizer, sentence))
    }

    /// Probabilities per label for one sentence.
    pub fn predict_probabilities(&self, sentence: &str) -> Vec<f64> {
        let ids = self.features.feature_ids(&self.tokenizer, sentence);
        softmax(sentence_scores(&self.tfidf, &self.classifier, &ids))
    }

    /// The most probable label's index for one sentence.
    pub fn predict(&self, sentence: &str) -> usize {
        argmax(&self.predict_probabilities(sentence))
    }

    /// Splits an article into sentences and classifies each (in the context of the others
    /// when the model has a context), then aggregates.
    pub fn classify_article(&self, text: &str) -> ArticlePrediction {
        let spans = split_sentences(text);
        let texts: Vec<&str> = spans.iter().map(|span| span.text(text)).collect();
        let sentences: Vec<SentencePrediction> = spans
            .iter()
            .zip(self.predict_in_context(&texts))
            .enumerate()
            .map(|(index, (span, probabilities))| SentencePrediction {
                index,
                start: span.start,
                end: span.end,
                label: argmax(&probabilities),
                probabilities,
            })
            .collect();
        let aggregate = self.aggregate(&sentences);
        ArticlePrediction {
            sentences,
            aggregate,
        }
    }

    /// Per-article figures from classified sentences.
    pub fn aggregate(&self, sentences: &[SentencePrediction]) -> Aggregate {
        let n_labels = self.labels.len();
        let mut shares = vec![0.0; n_labels];
        let mut mean_probabilities = vec![0.0; n_labels];
        for sentence in sentences {
            shares[sentence.label] += 1.0;
            for (sum, p) in mean_probabilities.iter_mut().zip(&sentence.probabilities) {
                *sum += p;
            }
        }
        if sentences.is_empty() {
            return Aggregate {
                sentences: 0,
                shares,
                mean_probabilities,
                stance_index: None,
                label: None,
            };
        }
        let n = sentences.len() as f64;
        shares.iter_mut().for_each(|s| *s /= n);
        mean_probabilities.iter_mut().for_each(|p| *p /= n);
        let stance_index = self.stance_labels().map(|(independence, kremlin)| {
            (mean_probabilities[independence] - mean_probabilities[kremlin]).clamp(-1.0, 1.0)
        });
        let label = (0..n_labels).max_by(|&a, &b| {
            shares[a]
                .total_cmp(&shares[b])
                .then(mean_probabilities[a].total_cmp(&mean_probabilities[b]))
                .then(b.cmp(&a))
        });
        Aggregate {
            sentences: sentences.len(),
            shares,
            mean_probabilities,
            stance_index,
            label,
        }
    }
}

/// Index of the largest value; the first on ties.
pub fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfidf::TfidfParams;
    use crate::tokenize::TokenizerParams;

    /// A two-feature model: "moscow" pushes pro_kremlin, "sovereign" pro_independence.
    fn toy_model() -> Model {
        let tokenizer = Tokenizer::new(TokenizerParams {
            ngram_max: 1,
            ..TokenizerParams::default()
        });
        let docs = vec![vec!["moscow".to_string()], vec!["sovereign".to_string()]];
        let tfidf = TfidfParams::default().fit(&docs).unwrap();
        let labels = vec![
            "neutral_balancing".to_string(),
            PRO_INDEPENDENCE.to_string(),
            PRO_KREMLIN.to_string(),
        ];
        // vocabulary is sorted: ["moscow", "sovereign"]
        let weights = vec![0.0, -2.0, 4.0, 0.0, 4.0, -2.0];
        let classifier = Classifier::new(weights, vec![0.5, 0.0, 0.0], 3);
        Model::new(labels, tokenizer, tfidf, classifier, ModelCard::default())
    }

    #[test]
    fn classifies_each_sentence() {
        let model = toy_model();
        let text = "Moscow again. Sovereign choice. Nothing here.";
        let article = model.classify_article(text);
        let labels: Vec<&str> = article
            .sentences
            .iter()
            .map(|s| model.labels()[s.label].as_str())
            .collect();
        assert_eq!(
            labels,
            vec![PRO_KREMLIN, PRO_INDEPENDENCE, "neutral_balancing"]
        );
        for s in &article.sentences {
            assert!((s.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        assert_eq!(
            &text[article.sentences[1].start..article.sentences[1].end],
            "Sovereign choice."
        );
    }

    #[test]
    fn aggregate_shares_means_and_stance_index() {
        let model = toy_model();
        let article = model.classify_article("Moscow. Moscow. Sovereign.");
        let aggregate = &article.aggregate;
        assert_eq!(aggregate.sentences, 3);
        let kremlin = model.label_index(PRO_KREMLIN).unwrap();
        let independence = model.label_index(PRO_INDEPENDENCE).unwrap();
        assert!((aggregate.shares[kremlin] - 2.0 / 3.0).abs() < 1e-12);
        assert!((aggregate.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let mean = |label: usize| {
            article
                .sentences
                .iter()
                .map(|s| s.probabilities[label])
                .sum::<f64>()
                / 3.0
        };
        let expected = mean(independence) - mean(kremlin);
        assert!((aggregate.stance_index.unwrap() - expected).abs() < 1e-12);
        assert!(expected < 0.0);
        assert_eq!(aggregate.label, Some(kremlin));
    }

    #[test]
    fn fast_feature_lookup_matches_the_string_path() {
        let model = crate::persist::load_default().unwrap();
        for text in [
            "Kazakhstan will not help Russia evade sanctions, Tokayev’s office said on Jan. 5.",
            // Words of 8, 9 to 16 and over 16 bytes, near the end of the text and not.
            "Sanctions, counter-sanctions and internationalisation: Kazakhstan",
            "Moscow insists",
            // A character the fast word scan does not know sends the sentence to UAX #29.
            "Kazakhstan ✈ will not help Russia evade sanctions 🇰🇿 says Astana",
        ] {
            let slow = model.tfidf().transform(&model.tokenizer().features(text));
            assert!(!slow.is_empty(), "{text}");
            assert_eq!(model.vectorize(text), slow, "{text}");
            assert_eq!(
                model.vectorize(text),
                slow,
                "{text}, again from the warm cache"
            );
            let reference = crate::classifier::softmax(model.classifier().scores(&slow));
            let fast = model.predict_probabilities(text);
            for (f, r) in fast.iter().zip(&reference) {
                assert!((f - r).abs() < 1e-12, "{text}: {fast:?} vs {reference:?}");
            }
        }
    }

    #[test]
    fn empty_article_has_zero_counts_and_no_nan() {
        let model = toy_model();
        let article = model.classify_article("  \n ");
        let aggregate = &article.aggregate;
        assert_eq!(aggregate.sentences, 0);
        assert!(aggregate.shares.iter().all(|v| *v == 0.0));
        assert!(aggregate.mean_probabilities.iter().all(|v| *v == 0.0));
        assert_eq!(aggregate.stance_index, None);
        assert_eq!(aggregate.label, None);
    }
}
