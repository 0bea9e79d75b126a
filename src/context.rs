//! Reading a sentence in the context of its article: how labels follow one another in
//! labeled articles, and the forward-backward pass that turns each sentence's own
//! probabilities into probabilities given the whole article.
//!
//! Stance runs in stretches: a sentence after a pro_kremlin sentence is pro_kremlin more
//! often than the labels' overall mix says, and a short transition or quote takes its lean
//! from its neighbours. [`LabelContext`] holds, from training articles, how often each label
//! follows each other one. Dividing the chance of label `j` after label `i` by the average
//! chance of `j` after any label gives the *lift* of the pair: above 1 for pairs that go together, below 1
//! for pairs that do not. The lift leaves out the labels' overall mix, so the classifier's
//! balanced reading of each sentence keeps deciding, and its neighbours only tip it.
//!
//! [`LabelContext::smooth`] treats an article as a chain: each sentence's probabilities are
//! its evidence, the lift links neighbours, and forward-backward gives every sentence the
//! probability of each label given every sentence of the article.

use std::ops::Range;

/// How labels follow one another in the training articles.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelContext {
    /// `transitions[i][j]`: how often a sentence labeled `j` follows one labeled `i`.
    transitions: Vec<Vec<u64>>,
    /// `lift[i][j]`: the chance of `j` after `i` over the average chance of `j` after any
    /// label.
    lift: Vec<Vec<f64>>,
}

/// Fewer transitions than this say too little about how labels follow one another.
pub const MIN_TRANSITIONS: u64 = 100;

impl LabelContext {
    /// Counts label pairs of neighbouring rows within each run of rows (an article); `None`
    /// when there are fewer than [`MIN_TRANSITIONS`] pairs.
    pub fn learn(targets: &[usize], articles: &[Range<usize>], n_labels: usize) -> Option<Self> {
        let mut transitions = vec![vec![0u64; n_labels]; n_labels];
        for article in articles {
            for pair in targets[article.clone()].windows(2) {
                transitions[pair[0]][pair[1]] += 1;
            }
        }
        let context = Self::from_transitions(transitions);
        (context.total_transitions() >= MIN_TRANSITIONS).then_some(context)
    }

    /// A context from counts, as a model file stores them (a square table, one row and
    /// column per label).
    pub fn from_transitions(transitions: Vec<Vec<u64>>) -> Self {
        let n = transitions.len();
        // Each count plus one, so that a pair never seen is rare rather than impossible.
        let chance: Vec<Vec<f64>> = transitions
            .iter()
            .map(|row| {
                // Summed as floats: a model file's counts may be as large as u64 allows.
                let total = row.iter().map(|&c| c as f64).sum::<f64>() + n as f64;
                row.iter().map(|&c| (c as f64 + 1.0) / total).collect()
            })
            .collect();
        let overall: Vec<f64> = (0..n)
            .map(|j| chance.iter().map(|row| row[j]).sum::<f64>() / n as f64)
            .collect();
        let lift = chance
            .iter()
            .map(|row| row.iter().zip(&overall).map(|(c, o)| c / o).collect())
            .collect();
        LabelContext { transitions, lift }
    }

    pub fn transitions(&self) -> &[Vec<u64>] {
        &self.transitions
    }

    pub fn lift(&self) -> &[Vec<f64>] {
        &self.lift
    }

    /// How many label pairs the counts hold (saturating: a model file's counts may be as
    /// large as u64 allows).
    pub fn total_transitions(&self) -> u64 {
        self.transitions
            .iter()
            .flatten()
            .fold(0u64, |total, &count| total.saturating_add(count))
    }

    pub fn n_labels(&self) -> usize {
        self.transitions.len()
    }

    /// Replaces each sentence's probabilities (one row per sentence of one article, in
    /// order) by its probabilities given the whole article. A single sentence is unchanged.
    pub fn smooth(&self, probabilities: &mut [Vec<f64>]) {
        let n = probabilities.len();
        if n < 2 {
            return;
        }
        let k = self.n_labels();
        // Row t of `forward`: sentences 0..=t; of `backward`: the sentences after t; each
        // row normalised. Flat buffers: two allocations an article, not two a sentence.
        let mut forward = vec![0.0; n * k];
        let mut backward = vec![1.0; n * k];
        forward[..k].copy_from_slice(&probabilities[0]);
        normalise(&mut forward[..k]);
        for t in 1..n {
            let (done, rest) = forward.split_at_mut(t * k);
            let previous = &done[(t - 1) * k..];
            let row = &mut rest[..k];
            for (j, cell) in row.iter_mut().enumerate() {
                let reach: f64 = (0..k).map(|i| previous[i] * self.lift[i][j]).sum();
                *cell = reach * probabilities[t][j];
            }
            normalise(row);
        }
        for t in (0..n - 1).rev() {
            let (row, after) = backward[t * k..].split_at_mut(k);
            let next = &after[..k];
            for (i, cell) in row.iter_mut().enumerate() {
                *cell = (0..k)
                    .map(|j| self.lift[i][j] * probabilities[t + 1][j] * next[j])
                    .sum();
            }
            normalise(row);
        }
        for (t, row) in probabilities.iter_mut().enumerate() {
            let (f, b) = (&forward[t * k..(t + 1) * k], &backward[t * k..(t + 1) * k]);
            for ((p, f), b) in row.iter_mut().zip(f).zip(b) {
                *p = f * b;
            }
            normalise(row);
        }
    }
}

/// Scales `values` to sum to one; leaves them alone when they sum to zero.
fn normalise(values: &mut [f64]) {
    let total: f64 = values.iter().sum();
    if total > 0.0 && total.is_finite() {
        values.iter_mut().for_each(|v| *v /= total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persistent() -> LabelContext {
        // Labels mostly repeat: 0 0 0 1 1 1 2 2 2 …
        let targets: Vec<usize> = (0..300).map(|i| (i / 3) % 3).collect();
        LabelContext::learn(&targets, &[0..150, 150..300], 3).unwrap()
    }

    #[test]
    fn learns_counts_within_articles_only() {
        let targets = [0, 0, 1, 1];
        // Two articles of two rows: the 0 → 1 step between them is not a transition.
        let context = LabelContext::from_transitions(vec![vec![1, 0], vec![0, 1]]);
        assert_eq!(context.transitions(), &[vec![1, 0], vec![0, 1]]);
        assert!(LabelContext::learn(&targets, &[0..2, 2..4], 2).is_none());
        let many: Vec<usize> = vec![0; 200];
        let learned = LabelContext::learn(&many, &[0..100, 100..200], 2).unwrap();
        assert_eq!(learned.transitions(), &[vec![198, 0], vec![0, 0]]);
    }

    #[test]
    fn counts_as_large_as_a_file_allows_give_finite_lifts() {
        let context = LabelContext::from_transitions(vec![vec![u64::MAX, 0], vec![1, u64::MAX]]);
        assert!(context
            .lift()
            .iter()
            .flatten()
            .all(|l| l.is_finite() && *l >= 0.0));
        let mut rows = vec![vec![0.5, 0.5], vec![0.9, 0.1]];
        context.smooth(&mut rows);
        assert!(rows.iter().flatten().all(|p| p.is_finite()));
    }

    #[test]
    fn lift_is_above_one_for_pairs_that_go_together() {
        let lift = persistent().lift().to_vec();
        for (i, row) in lift.iter().enumerate() {
            for (j, value) in row.iter().enumerate() {
                assert_eq!(*value > 1.0, i == j, "lift[{i}][{j}] = {value}");
            }
        }
    }

    #[test]
    fn one_sentence_and_unrelated_labels_are_left_alone() {
        let mut one = vec![vec![0.2, 0.5, 0.3]];
        persistent().smooth(&mut one);
        assert_eq!(one, vec![vec![0.2, 0.5, 0.3]]);
        // Labels that follow one another at random: every lift is 1.
        let random = LabelContext::from_transitions(vec![vec![10; 3]; 3]);
        let mut rows = vec![vec![0.2, 0.5, 0.3], vec![0.6, 0.3, 0.1]];
        let before = rows.clone();
        random.smooth(&mut rows);
        for (row, old) in rows.iter().zip(&before) {
            for (p, q) in row.iter().zip(old) {
                assert!((p - q).abs() < 1e-12, "{rows:?}");
            }
        }
    }

    #[test]
    fn an_unsure_sentence_leans_toward_sure_neighbours() {
        let mut rows = vec![
            vec![0.05, 0.05, 0.9],
            vec![0.4, 0.35, 0.25],
            vec![0.05, 0.05, 0.9],
        ];
        persistent().smooth(&mut rows);
        assert_eq!(crate::model::argmax(&rows[1]), 2, "{rows:?}");
        for row in &rows {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // Sure sentences keep their label.
        assert_eq!(crate::model::argmax(&rows[0]), 2);
    }

    #[test]
    fn matches_brute_force_over_every_label_sequence() {
        let context = persistent();
        let rows = [
            vec![0.5, 0.3, 0.2],
            vec![0.2, 0.5, 0.3],
            vec![0.3, 0.3, 0.4],
        ];
        let mut smoothed = rows.to_vec();
        context.smooth(&mut smoothed);
        let mut exact = [[0.0; 3]; 3];
        for a in 0..3 {
            for b in 0..3 {
                for c in 0..3 {
                    let weight = rows[0][a]
                        * context.lift()[a][b]
                        * rows[1][b]
                        * context.lift()[b][c]
                        * rows[2][c];
                    exact[0][a] += weight;
                    exact[1][b] += weight;
                    exact[2][c] += weight;
                }
            }
        }
        for (row, exact) in smoothed.iter().zip(&exact) {
            let total: f64 = exact.iter().sum();
            for (p, e) in row.iter().zip(exact) {
                assert!((p - e / total).abs() < 1e-12, "{smoothed:?}");
            }
        }
    }
}
