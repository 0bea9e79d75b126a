//! Active learning: from unlabeled articles, the sentences the model is least sure of
//! (smallest margin between its two most probable labels, each sentence read in the
//! context of its article), skipping near-duplicates of
//! each other and of already-labeled text. Not file handling.

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;
use unicode_segmentation::UnicodeSegmentation;

use crate::model::Model;
use crate::near_duplicate;
use crate::sentence::split_sentences;

/// Two texts whose lower-cased word sets have at least this Jaccard similarity are
/// near-duplicates.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.8;

/// A sentence worth labeling next.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub source: String,
    pub index: usize,
    pub text: String,
    /// The sentences just before and after it in its article (empty at either end), so it
    /// can be labeled in context, as the codebook asks.
    pub previous: String,
    pub next: String,
    pub predicted: usize,
    /// Probability of the predicted label.
    pub confidence: f64,
    /// Top probability minus the runner-up's: small means unsure.
    pub margin: f64,
}

/// The lower-cased word set of `text`, as sorted unique hashes.
pub fn word_set(text: &str) -> Vec<u64> {
    let mut set: Vec<u64> = text
        .unicode_words()
        .map(|w| {
            let mut hasher = FxHasher::default();
            w.to_lowercase().hash(&mut hasher);
            hasher.finish()
        })
        .collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// Jaccard similarity of two sorted unique sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        1.0
    } else {
        common as f64 / union as f64
    }
}

/// Up to `count` sentences from `articles` (`(source, text)` pairs), least certain first.
pub fn suggest(
    model: &Model,
    articles: &[(String, String)],
    labeled: &[String],
    count: usize,
) -> Vec<Suggestion> {
    let mut candidates: Vec<Suggestion> = Vec::new();
    for (source, text) in articles {
        let sentences: Vec<&str> = split_sentences(text)
            .into_iter()
            .map(|span| span.text(text))
            .collect();
        // Unsure as `classify` reads it: in the context of the article's other sentences.
        let probabilities = model.predict_in_context(&sentences);
        for (index, (&sentence, p)) in sentences.iter().zip(probabilities).enumerate() {
            let neighbour = |i: Option<usize>| {
                i.and_then(|i| sentences.get(i))
                    .map_or_else(String::new, |s| s.to_string())
            };
            let mut order: Vec<usize> = (0..p.len()).collect();
            order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
            candidates.push(Suggestion {
                source: source.clone(),
                index,
                text: sentence.to_string(),
                previous: neighbour(index.checked_sub(1)),
                next: neighbour(Some(index + 1)),
                predicted: order[0],
                confidence: p[order[0]],
                margin: p[order[0]] - p[order[1]],
            });
        }
    }
    candidates.sort_by(|a, b| {
        a.margin
            .total_cmp(&b.margin)
            .then_with(|| a.source.cmp(&b.source))
            .then(a.index.cmp(&b.index))
    });
    let labeled_sets: Vec<Vec<u64>> = labeled.iter().map(|t| word_set(t)).collect();
    let candidate_sets: Vec<Vec<u64>> = candidates.iter().map(|c| word_set(&c.text)).collect();
    let already_labeled = near_duplicate::across(&candidate_sets, &labeled_sets);
    let mut chosen_sets: Vec<Vec<u64>> = Vec::new();
    let mut chosen = Vec::new();
    for ((candidate, set), labeled_twin) in candidates
        .into_iter()
        .zip(candidate_sets)
        .zip(already_labeled)
    {
        if chosen.len() == count {
            break;
        }
        let near = |other: &Vec<u64>| jaccard(&set, other) >= NEAR_DUPLICATE_JACCARD;
        if labeled_twin.is_some() || chosen_sets.iter().any(near) {
            continue;
        }
        chosen_sets.push(set);
        chosen.push(candidate);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::load_default;

    #[test]
    fn jaccard_of_hand_checked_sets() {
        let a = word_set("Astana will not help Moscow");
        assert_eq!(jaccard(&a, &word_set("astana WILL not help moscow")), 1.0);
        assert!((jaccard(&a, &word_set("Astana will help Moscow")) - 0.8).abs() < 1e-12);
        assert_eq!(jaccard(&a, &word_set("Kyiv")), 0.0);
    }

    #[test]
    fn picks_least_certain_and_skips_near_duplicates() {
        let model = load_default().unwrap();
        let text = "Moscow sent troops at Tokayev's request. The talks were held on Monday. \
            The talks were held on Monday! Kazakhstan refused to recognise the annexation.";
        let articles = vec![("a.txt".to_string(), text.to_string())];
        let all = suggest(&model, &articles, &[], 10);
        assert_eq!(all.len(), 3, "the repeated sentence is skipped");
        assert!(all.windows(2).all(|w| w[0].margin <= w[1].margin));
        let labeled = vec!["The talks were held on Monday.".to_string()];
        let fresh = suggest(&model, &articles, &labeled, 10);
        assert!(fresh.iter().all(|s| !s.text.starts_with("The talks")));
        assert_eq!(suggest(&model, &articles, &[], 1).len(), 1);
        let first = all
            .iter()
            .find(|s| s.index == 0)
            .expect("the first sentence");
        assert_eq!(first.previous, "");
        assert_eq!(first.next, "The talks were held on Monday.");
        let last = all
            .iter()
            .find(|s| s.index == 3)
            .expect("the last sentence");
        assert_eq!(last.previous, "The talks were held on Monday!");
        assert_eq!(last.next, "");
    }
}
