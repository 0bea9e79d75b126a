//! Explanations: why a sentence got its label. Each feature's contribution to each class
//! score is its TF-IDF value times the class weight; the contributions plus the class bias
//! are exactly the class score the probabilities come from. Not rendering.

use crate::model::{argmax, Model};
use crate::scoring::sentence_scores;
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

impl TermContribution {
    /// How much the term moves `label`'s score above the other labels' scores: its
    /// contribution to `label` minus the mean of its contributions to the others. Only
    /// differences between scores change the probabilities, so a word that adds the same
    /// to every label (as common function words nearly do) pulls toward none of them.
    pub fn pull_toward(&self, label: usize) -> f64 {
        let others = self.contributions.len().saturating_sub(1);
        if others == 0 {
            return self.contributions[label];
        }
        let rest: f64 = self.contributions.iter().sum::<f64>() - self.contributions[label];
        self.contributions[label] - rest / others as f64
    }
}

/// A sentence, its prediction and the features behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceExplanation {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    /// The label and probabilities `classify` gives: in the context of the article's other
    /// sentences when the model has a context.
    pub label: usize,
    pub probabilities: Vec<f64>,
    /// The sentence's own probabilities, read alone, when its article's context was read
    /// too (they are what `scores` and the terms give).
    pub alone: Option<Vec<f64>>,
    /// Class scores (bias plus every contribution), in label order.
    pub scores: Vec<f64>,
    pub bias: Vec<f64>,
    /// Every feature of the sentence, strongest pull toward the predicted label first
    /// ([`TermContribution::pull_toward`]).
    pub terms: Vec<TermContribution>,
}

impl Model {
    /// Explains every sentence of `text`, each read in the context of the others when the
    /// model has a context (as `classify` reads them).
    pub fn explain(&self, text: &str) -> Vec<SentenceExplanation> {
        let mut explanations: Vec<SentenceExplanation> = split_sentences(text)
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
            .collect();
        if let (Some(context), true) = (self.context(), explanations.len() > 1) {
            let mut probabilities: Vec<Vec<f64>> = explanations
                .iter()
                .map(|e| e.probabilities.clone())
                .collect();
            context.smooth(&mut probabilities);
            for (explanation, in_context) in explanations.iter_mut().zip(probabilities) {
                let label = argmax(&in_context);
                explanation.alone = Some(std::mem::replace(
                    &mut explanation.probabilities,
                    in_context,
                ));
                if label != explanation.label {
                    explanation.label = label;
                    sort_by_pull(&mut explanation.terms, label);
                }
            }
        }
        explanations
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
        let ids: Vec<u32> = occurrences.iter().map(|(id, _)| *id).collect();
        // Scored the way classification scores, so the probabilities are the same to the bit.
        let scores = sentence_scores(self.tfidf(), self.classifier(), &ids);
        let row = self.tfidf().transform_ids(ids);
        let classifier = self.classifier();
        let bias = classifier.intercepts().to_vec();
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
        sort_by_pull(&mut terms, label);
        SentenceExplanation {
            index: 0,
            start: 0,
            end: sentence.len(),
            label,
            probabilities,
            alone: None,
            scores,
            bias,
            terms,
        }
    }
}

/// Strongest pull toward `label` first; ties by feature, so the order is stable.
fn sort_by_pull(terms: &mut [TermContribution], label: usize) {
    terms.sort_by(|a, b| {
        b.pull_toward(label)
            .total_cmp(&a.pull_toward(label))
            .then_with(|| a.feature.cmp(&b.feature))
    });
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
            let alone = e.alone.as_ref().unwrap_or(&e.probabilities);
            assert_eq!(alone, &model.predict_probabilities(sentence));
            for term in &e.terms {
                for &(start, end) in &term.spans {
                    assert!(e.start <= start && end <= e.end);
                }
            }
        }
        // "sanctions" lies in the scope of "not": its feature is the negated term, and its
        // span is the word as written.
        let negated = explanations[0]
            .terms
            .iter()
            .find(|t| t.feature == "¬sanction")
            .expect("a negated term");
        let spans: Vec<&str> = negated.spans.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(spans, vec!["sanctions"]);
    }

    #[test]
    fn a_term_adding_the_same_to_every_label_pulls_toward_none() {
        let term = |contributions: Vec<f64>| super::TermContribution {
            feature: "x".into(),
            spans: Vec::new(),
            value: 1.0,
            contributions,
        };
        assert!(term(vec![0.7, 0.7, 0.7]).pull_toward(1).abs() < 1e-12);
        // 0.9 against the mean of 0.5 and -0.1.
        assert!((term(vec![0.5, 0.9, -0.1]).pull_toward(1) - 0.7).abs() < 1e-12);
        // A large raw contribution that every label shares ranks below a small one that
        // separates the label from the rest.
        assert!(
            term(vec![1.0, 1.2, 1.0]).pull_toward(1) < term(vec![-0.2, 0.3, -0.2]).pull_toward(1)
        );
    }

    #[test]
    fn terms_are_ordered_by_pull_toward_the_label() {
        let model = load_default().unwrap();
        let e = &model
            .explain("The Kazakh foreign ministry said it will not recognise the annexation.")[0];
        let pulls: Vec<f64> = e.terms.iter().map(|t| t.pull_toward(e.label)).collect();
        assert!(pulls.windows(2).all(|w| w[0] >= w[1]), "{pulls:?}");
    }
}
