//! Class scores of one sentence straight from its feature ids: TF-IDF weighting, L2
//! normalisation and the linear scores in one pass, without sorting the ids or building
//! the sparse row. The classification hot path; `Tfidf::transform_ids` followed by
//! `Classifier::scores` is the reference it is tested against (same values up to rounding:
//! features are summed in order of first occurrence, not by feature index).

use std::cell::RefCell;

use crate::classifier::Classifier;
use crate::tfidf::Tfidf;

thread_local! {
    /// Occurrences of each feature in the sentence being scored; all zero between calls.
    static COUNTS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// Class scores (intercept plus weighted sum) of the sentence whose feature occurrences
/// are `ids` (repeats allowed, any order).
pub fn sentence_scores(tfidf: &Tfidf, classifier: &Classifier, ids: &[u32]) -> Vec<f64> {
    if ids.len() >= usize::from(u16::MAX) {
        // A count could overflow: take the reference path.
        return classifier.scores(&tfidf.transform_ids(ids.to_vec()));
    }
    COUNTS.with(|counts| {
        let mut counts = counts.borrow_mut();
        if counts.len() < tfidf.len() {
            counts.resize(tfidf.len(), 0);
        }
        for &id in ids {
            counts[id as usize] += 1;
        }
        match classifier.n_classes() {
            3 => weighted_sums::<3>(tfidf, classifier, ids, &mut counts),
            n => weighted_sums_any(tfidf, classifier, ids, &mut counts, n),
        }
    })
}

/// Scores for a model of exactly `N` classes, the sums kept in registers.
fn weighted_sums<const N: usize>(
    tfidf: &Tfidf,
    classifier: &Classifier,
    ids: &[u32],
    counts: &mut [u16],
) -> Vec<f64> {
    let mut sums = [0.0; N];
    let norm = for_each_value(tfidf, ids, counts, |id, value| {
        let weights: &[f64; N] = classifier
            .feature_weights(id)
            .try_into()
            .expect("N weights per feature");
        for (sum, weight) in sums.iter_mut().zip(weights) {
            *sum += value * weight;
        }
    });
    finish(classifier, &sums, norm)
}

/// Scores for a model of any number of classes.
fn weighted_sums_any(
    tfidf: &Tfidf,
    classifier: &Classifier,
    ids: &[u32],
    counts: &mut [u16],
    n_classes: usize,
) -> Vec<f64> {
    let mut sums = vec![0.0; n_classes];
    let norm = for_each_value(tfidf, ids, counts, |id, value| {
        for (sum, weight) in sums.iter_mut().zip(classifier.feature_weights(id)) {
            *sum += value * weight;
        }
    });
    finish(classifier, &sums, norm)
}

/// Calls `visit(feature, tf-idf value)` once per distinct feature of `ids`, in order of
/// first occurrence, zeroing `counts` as it goes; returns the squared L2 norm.
#[inline(always)]
fn for_each_value(
    tfidf: &Tfidf,
    ids: &[u32],
    counts: &mut [u16],
    mut visit: impl FnMut(usize, f64),
) -> f64 {
    let idf = tfidf.idf();
    let sublinear = tfidf.sublinear_tf();
    let mut norm = 0.0;
    for &id in ids {
        // Taking the count leaves it zero, so a repeated id is scored once.
        let count = std::mem::take(&mut counts[id as usize]);
        if count == 0 {
            continue;
        }
        let count = f64::from(count);
        // ln(1) = 0 exactly, so single occurrences skip the logarithm.
        let tf = if sublinear && count != 1.0 {
            1.0 + count.ln()
        } else {
            count
        };
        let value = tf * idf[id as usize];
        norm += value * value;
        visit(id as usize, value);
    }
    norm
}

/// Intercepts plus the weighted sums scaled by the inverse L2 norm.
fn finish(classifier: &Classifier, sums: &[f64], norm: f64) -> Vec<f64> {
    let scale = if norm > 0.0 { norm.sqrt().recip() } else { 0.0 };
    sums.iter()
        .zip(classifier.intercepts())
        .map(|(sum, intercept)| intercept + sum * scale)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfidf::TfidfParams;

    /// A vectorizer over features "a".."e" and a classifier of `n_classes` classes with
    /// distinct weights for every (feature, class).
    fn toy(n_classes: usize) -> (Tfidf, Classifier) {
        let documents: Vec<Vec<String>> = ["a b", "a c", "d", "a b e", "c c"]
            .iter()
            .map(|d| d.split(' ').map(String::from).collect())
            .collect();
        let tfidf = TfidfParams::default().fit(&documents).unwrap();
        let weights = (0..tfidf.len() * n_classes)
            .map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0)
            .collect();
        let intercepts = (0..n_classes).map(|c| c as f64 * 0.25 - 0.3).collect();
        (tfidf, Classifier::new(weights, intercepts, n_classes))
    }

    fn reference(tfidf: &Tfidf, classifier: &Classifier, ids: &[u32]) -> Vec<f64> {
        classifier.scores(&tfidf.transform_ids(ids.to_vec()))
    }

    fn assert_close(fast: &[f64], slow: &[f64]) {
        assert_eq!(fast.len(), slow.len());
        for (f, s) in fast.iter().zip(slow) {
            assert!((f - s).abs() < 1e-12, "{fast:?} vs {slow:?}");
        }
    }

    #[test]
    fn matches_the_sparse_row_path_for_three_and_other_class_counts() {
        for n_classes in [2, 3, 4] {
            let (tfidf, classifier) = toy(n_classes);
            for ids in [
                vec![0],
                vec![4, 0, 2],
                // Repeats take the sublinear tf, in any order.
                vec![2, 2, 0, 2, 1],
                vec![3, 1, 3, 4, 0, 2, 1],
                vec![],
            ] {
                assert_close(
                    &sentence_scores(&tfidf, &classifier, &ids),
                    &reference(&tfidf, &classifier, &ids),
                );
            }
        }
    }

    #[test]
    fn counts_are_left_zero_for_the_next_sentence() {
        let (tfidf, classifier) = toy(3);
        let repeated = sentence_scores(&tfidf, &classifier, &[1, 1, 1, 0]);
        let single = sentence_scores(&tfidf, &classifier, &[1, 0]);
        assert_ne!(repeated, single, "three occurrences weigh more than one");
        assert_eq!(single, sentence_scores(&tfidf, &classifier, &[1, 0]));
        assert_close(&single, &reference(&tfidf, &classifier, &[1, 0]));
    }

    #[test]
    fn raw_counts_without_sublinear_tf() {
        let (tfidf, classifier) = toy(3);
        let raw = Tfidf::new(tfidf.vocabulary().to_vec(), tfidf.idf().to_vec(), false);
        let ids = [0, 0, 0, 2];
        assert_close(
            &sentence_scores(&raw, &classifier, &ids),
            &reference(&raw, &classifier, &ids),
        );
    }

    #[test]
    fn a_count_too_large_for_the_counter_takes_the_reference_path() {
        let (tfidf, classifier) = toy(3);
        let ids: Vec<u32> = (0..70_000).map(|i| [0, 3][i % 2]).collect();
        assert_close(
            &sentence_scores(&tfidf, &classifier, &ids),
            &reference(&tfidf, &classifier, &ids),
        );
    }
}
