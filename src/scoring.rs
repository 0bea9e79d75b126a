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

/// What scoring needs of a vectorizer and a classifier, laid out for it: each feature's
/// IDF and class weights side by side (`[idf, w₀, …]`), so a feature costs one cache line
/// where separate IDF and weight arrays cost two (2% of classification on the benchmark
/// corpus, docs/PERFORMANCE.md), with the intercepts and the tf setting.
#[derive(Debug, Clone)]
pub struct ScoringTable {
    n_classes: usize,
    /// `n_classes + 1` values per feature: the IDF, then the weight of each class.
    rows: Vec<f64>,
    intercepts: Vec<f64>,
    sublinear_tf: bool,
}

impl ScoringTable {
    /// The table of `classifier` over the features of `tfidf` (which must have as many
    /// features as the classifier has weight rows).
    pub fn new(tfidf: &Tfidf, classifier: &Classifier) -> ScoringTable {
        let n_classes = classifier.n_classes();
        let mut rows = Vec::with_capacity(tfidf.len() * (n_classes + 1));
        for (feature, idf) in tfidf.idf().iter().enumerate() {
            rows.push(*idf);
            rows.extend_from_slice(classifier.feature_weights(feature));
        }
        ScoringTable {
            n_classes,
            rows,
            intercepts: classifier.intercepts().to_vec(),
            sublinear_tf: tfidf.sublinear_tf(),
        }
    }

    /// The IDF and the class weights of `feature`.
    fn row(&self, feature: usize) -> (f64, &[f64]) {
        let stride = self.n_classes + 1;
        let row = &self.rows[feature * stride..(feature + 1) * stride];
        (row[0], &row[1..])
    }

    fn features(&self) -> usize {
        self.rows.len() / (self.n_classes + 1)
    }

    /// The term frequency a feature occurring `count` times is weighted by.
    fn tf(&self, count: f64) -> f64 {
        // ln(1) = 0 exactly, so single occurrences skip the logarithm.
        if self.sublinear_tf && count != 1.0 {
            1.0 + count.ln()
        } else {
            count
        }
    }

    /// Class scores (intercept plus weighted sum) of the sentence whose feature
    /// occurrences are `ids` (repeats allowed, any order).
    pub fn sentence_scores(&self, ids: &[u32]) -> Vec<f64> {
        if ids.len() >= usize::from(u16::MAX) {
            // A count could overflow the counters.
            return self.scores_of_many(ids);
        }
        COUNTS.with(|counts| {
            let mut counts = counts.borrow_mut();
            if counts.len() < self.features() {
                counts.resize(self.features(), 0);
            }
            for &id in ids {
                counts[id as usize] += 1;
            }
            match self.n_classes {
                3 => self.weighted_sums::<3>(ids, &mut counts),
                _ => self.weighted_sums_any(ids, &mut counts),
            }
        })
    }

    /// Scores for a model of exactly `N` classes, the sums kept in registers.
    fn weighted_sums<const N: usize>(&self, ids: &[u32], counts: &mut [u16]) -> Vec<f64> {
        let mut sums = [0.0; N];
        let norm = self.for_each_value(ids, counts, |value, weights| {
            let weights: &[f64; N] = weights.try_into().expect("N weights per feature");
            for (sum, weight) in sums.iter_mut().zip(weights) {
                *sum += value * weight;
            }
        });
        self.finish(&sums, norm)
    }

    /// Scores for a model of any number of classes.
    fn weighted_sums_any(&self, ids: &[u32], counts: &mut [u16]) -> Vec<f64> {
        let mut sums = vec![0.0; self.n_classes];
        let norm = self.for_each_value(ids, counts, |value, weights| {
            for (sum, weight) in sums.iter_mut().zip(weights) {
                *sum += value * weight;
            }
        });
        self.finish(&sums, norm)
    }

    /// Calls `visit(tf-idf value, class weights)` once per distinct feature of `ids`, in
    /// order of first occurrence, zeroing `counts` as it goes; returns the squared L2 norm.
    #[inline(always)]
    fn for_each_value(
        &self,
        ids: &[u32],
        counts: &mut [u16],
        mut visit: impl FnMut(f64, &[f64]),
    ) -> f64 {
        let mut norm = 0.0;
        for &id in ids {
            // Taking the count leaves it zero, so a repeated id is scored once.
            let count = std::mem::take(&mut counts[id as usize]);
            if count == 0 {
                continue;
            }
            let (idf, weights) = self.row(id as usize);
            let value = self.tf(f64::from(count)) * idf;
            norm += value * value;
            visit(value, weights);
        }
        norm
    }

    /// Scores of a sentence too long for the 16-bit counters: its ids counted by sorting,
    /// summed by feature index.
    fn scores_of_many(&self, ids: &[u32]) -> Vec<f64> {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        let mut sums = vec![0.0; self.n_classes];
        let mut norm = 0.0;
        for run in sorted.chunk_by(|a, b| a == b) {
            let (idf, weights) = self.row(run[0] as usize);
            let value = self.tf(run.len() as f64) * idf;
            norm += value * value;
            for (sum, weight) in sums.iter_mut().zip(weights) {
                *sum += value * weight;
            }
        }
        self.finish(&sums, norm)
    }

    /// Intercepts plus the weighted sums scaled by the inverse L2 norm.
    fn finish(&self, sums: &[f64], norm: f64) -> Vec<f64> {
        let scale = if norm > 0.0 { norm.sqrt().recip() } else { 0.0 };
        sums.iter()
            .zip(&self.intercepts)
            .map(|(sum, intercept)| intercept + sum * scale)
            .collect()
    }
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
                    &ScoringTable::new(&tfidf, &classifier).sentence_scores(&ids),
                    &reference(&tfidf, &classifier, &ids),
                );
            }
        }
    }

    #[test]
    fn counts_are_left_zero_for_the_next_sentence() {
        let (tfidf, classifier) = toy(3);
        let table = ScoringTable::new(&tfidf, &classifier);
        let repeated = table.sentence_scores(&[1, 1, 1, 0]);
        let single = table.sentence_scores(&[1, 0]);
        assert_ne!(repeated, single, "three occurrences weigh more than one");
        assert_eq!(single, table.sentence_scores(&[1, 0]));
        assert_close(&single, &reference(&tfidf, &classifier, &[1, 0]));
    }

    #[test]
    fn raw_counts_without_sublinear_tf() {
        let (tfidf, classifier) = toy(3);
        let raw = Tfidf::new(tfidf.vocabulary().to_vec(), tfidf.idf().to_vec(), false);
        let ids = [0, 0, 0, 2];
        assert_close(
            &ScoringTable::new(&raw, &classifier).sentence_scores(&ids),
            &reference(&raw, &classifier, &ids),
        );
    }

    #[test]
    fn a_count_too_large_for_the_counters_is_counted_by_sorting() {
        let (tfidf, classifier) = toy(3);
        let ids: Vec<u32> = (0..70_000).map(|i| [0, 3][i % 2]).collect();
        assert_close(
            &ScoringTable::new(&tfidf, &classifier).sentence_scores(&ids),
            &reference(&tfidf, &classifier, &ids),
        );
    }
}
