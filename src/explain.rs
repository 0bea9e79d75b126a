//! Explanations: why a sentence got its label. Each feature's contribution to each class
//! score is its TF-IDF value times the class weight; the contributions plus the class bias
//! are exactly the class score the probabilities come from. Not rendering.

use crate::model::{argmax, Model};
use crate::sentence::split_sentences;

/// One feature present in a sentence and what it adds to each class score.
#[derive(Debug, Clone, PartialEq)]
pub struct TermContribution {
    /// The feature as stored in the vocabulary ("sanction", "not help").
    pub feature: String,
    /// Byte spans of its occurrences, relative to the article text.
    pub spans: Vec<(usize, usize)>,
    /// Its TF-IDF value in this sentence.
    pub value: f64,
    /// `value * weight` for every label, in label order.
    pub contributions: Vec<f64>,
}

/// A sentence, its prediction and the features behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceExplanation {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub label: usize,
    pub probabilities: Vec<f64>,
    /// Class scores (bias plus every contribution), in label order.
    pub scores: Vec<f64>,
    pub bias: Vec<f64>,
    /// Every feature of the sentence, strongest pull toward the predicted label first.
    pub terms: Vec<TermContribution>,
}

impl Model {
    /// Explains every sentence of `text`.
    pub fn explain(&self, text: &str) -> Vec<SentenceExplanation> {
        split_sentences(text)
            .into_iter()
            .enumerate()
            .map(|(index, span)| {
                let mut explanation = self.explain_sentence(span.text(text));
                explanation.index = index;
                explanation.start = span.start;
                explanation.end = span.end;
                for term in &mut explanation.terms {
                    for occurrence in &mut term.spans {
                        occurrence.0 += span.start;
                        occurrence.1 += span.start;
                    }
                }
                explanation
            })
            .collect()
    }

    /// Explains one sentence; spans are relative to `sentence`.
    pub fn explain_sentence(&self, sentence: &str) -> SentenceExplanation {
        let tokens = self.tokenizer().tokens(sentence);
        let n_max = self
            .tokenizer()
            .params()
            .ngram_max
            .clamp(1, crate::tokenize::MAX_NGRAM);
        // Each feature occurrence with the span from its first word to its last.
        let mut occurrences: Vec<(u32, (usize, usize))> = Vec::new();
        for n in 1..=n_max {
            for window in tokens.windows(n) {
                let feature = window
                    .iter()
                    .map(|t| t.term.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                if let Some(id) = self.tfidf().feature_index(&feature) {
                    occurrences.push((id, (window[0].start, window[n - 1].end)));
                }
            }
        }
        let row = self
            .tfidf()
            .transform_ids(occurrences.iter().map(|(id, _)| *id).collect());
        let classifier = self.classifier();
        let bias = classifier.intercepts().to_vec();
        let scores = classifier.scores(&row);
        let probabilities = crate::classifier::softmax(scores.clone());
        let label = argmax(&probabilities);
        let mut terms: Vec<TermContribution> = row
            .iter()
            .map(|&(id, value)| TermContribution {
                feature: self.tfidf().vocabulary()[id as usize].clone(),
                spans: occurrences
                    .iter()
                    .filter(|(o, _)| *o == id)
                    .map(|(_, span)| *span)
                    .collect(),
                value,
                contributions: classifier
                    .feature_weights(id as usize)
                    .iter()
                    .map(|w| w * value)
                    .collect(),
            })
            .collect();
        terms.sort_by(|a, b| {
            b.contributions[label]
                .total_cmp(&a.contributions[label])
                .then_with(|| a.feature.cmp(&b.feature))
        });
        SentenceExplanation {
            index: 0,
            start: 0,
            end: sentence.len(),
            label,
            probabilities,
            scores,
            bias,
            terms,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::persist::load_default;

    #[test]
    fn contributions_plus_bias_equal_the_class_scores() {
        let model = load_default().unwrap();
        let text = "Kazakhstan will not help Russia evade sanctions. Moscow sent troops at Tokayev's request.";
        let explanations = model.explain(text);
        assert_eq!(explanations.len(), 2);
        for e in &explanations {
            for class in 0..model.labels().len() {
                let total: f64 =
                    e.bias[class] + e.terms.iter().map(|t| t.contributions[class]).sum::<f64>();
                assert!(
                    (total - e.scores[class]).abs() < 1e-9,
                    "{total} vs {}",
                    e.scores[class]
                );
            }
            let sentence = &text[e.start..e.end];
            assert_eq!(e.probabilities, model.predict_probabilities(sentence));
            for term in &e.terms {
                for &(start, end) in &term.spans {
                    assert!(e.start <= start && end <= e.end);
                }
            }
        }
        assert!(explanations[0]
            .terms
            .iter()
            .any(|t| t.feature == "sanction"));
    }
}
