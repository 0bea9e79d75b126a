//! Evaluation: accuracy, per-class precision/recall/F1, macro-F1, the confusion matrix,
//! figures per group of rows, and stratified fold assignment for cross-validation. Not
//! training.

use std::collections::HashMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Figures for predictions against true labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub labels: Vec<String>,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// In `labels` order.
    pub per_class: Vec<ClassMetrics>,
    /// `confusion[true][predicted]`, both in `labels` order.
    pub confusion: Vec<Vec<usize>>,
}

/// Scores `predicted` against `truth`, both label indices into `labels`. A class never
/// predicted has precision 0; one never present has recall 0 (as scikit-learn with
/// `zero_division=0`). Macro-F1 averages the classes that occur in `truth` or `predicted`,
/// as scikit-learn's `f1_score(average="macro")` does: a class neither present nor
/// predicted (a small file, or one article, without it) has nothing to score.
pub fn evaluate(labels: &[String], truth: &[usize], predicted: &[usize]) -> Evaluation {
    let n = labels.len();
    let mut confusion = vec![vec![0usize; n]; n];
    for (&t, &p) in truth.iter().zip(predicted) {
        confusion[t][p] += 1;
    }
    let correct: usize = (0..n).map(|c| confusion[c][c]).sum();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_class: Vec<ClassMetrics> = (0..n)
        .map(|c| {
            let support: usize = confusion[c].iter().sum();
            let predicted_as: usize = confusion.iter().map(|row| row[c]).sum();
            let precision = ratio(confusion[c][c], predicted_as);
            let recall = ratio(confusion[c][c], support);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassMetrics {
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let occurring: Vec<f64> = (0..n)
        .filter(|&c| occurs(&confusion, c))
        .map(|c| per_class[c].f1)
        .collect();
    let macro_f1 = occurring.iter().sum::<f64>() / occurring.len().max(1) as f64;
    Evaluation {
        labels: labels.to_vec(),
        accuracy: ratio(correct, truth.len()),
        macro_f1,
        per_class,
        confusion,
    }
}

impl Evaluation {
    /// Whether label `class` is among the true labels or the predictions; macro-F1
    /// averages only the labels that are.
    pub fn occurs(&self, class: usize) -> bool {
        occurs(&self.confusion, class)
    }
}

fn occurs(confusion: &[Vec<usize>], class: usize) -> bool {
    confusion
        .iter()
        .enumerate()
        .any(|(t, row)| row[class] > 0 || (t == class && row.iter().any(|&n| n > 0)))
}

/// The figures of one group of rows (an outlet, an article, a source).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEvaluation {
    pub name: String,
    pub rows: usize,
    pub evaluation: Evaluation,
}

/// The group a row belongs to: its group-column value, cut at the last `separator` when
/// one is given and present (`art1-07` with `-` is in group `art1`).
pub fn group_key<'a>(value: &'a str, separator: Option<&str>) -> &'a str {
    match separator.and_then(|sep| value.rfind(sep)) {
        Some(cut) => &value[..cut],
        None => value,
    }
}

/// [`evaluate`] for each group of rows sharing a key, in order of first appearance.
pub fn evaluate_groups(
    labels: &[String],
    keys: &[&str],
    truth: &[usize],
    predicted: &[usize],
) -> Vec<GroupEvaluation> {
    let mut order: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (row, key) in keys.iter().enumerate() {
        let at = *position.entry(key).or_insert_with(|| {
            order.push((key, Vec::new()));
            order.len() - 1
        });
        order[at].1.push(row);
    }
    order
        .into_iter()
        .map(|(group, rows)| {
            let truth: Vec<usize> = rows.iter().map(|&i| truth[i]).collect();
            let predicted: Vec<usize> = rows.iter().map(|&i| predicted[i]).collect();
            GroupEvaluation {
                name: group.to_string(),
                rows: rows.len(),
                evaluation: evaluate(labels, &truth, &predicted),
            }
        })
        .collect()
}

/// Assigns each row a fold in `0..folds` so that every class is spread evenly over the
/// folds: each class's rows are shuffled (seeded) and dealt out in turn.
pub fn stratified_folds(targets: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let n_classes = targets.iter().copied().max().map_or(0, |m| m + 1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut assignment = vec![0; targets.len()];
    let mut next_fold = 0;
    for class in 0..n_classes {
        let mut members: Vec<usize> = (0..targets.len())
            .filter(|&i| targets[i] == class)
            .collect();
        members.shuffle(&mut rng);
        for member in members {
            assignment[member] = next_fold;
            next_fold = (next_fold + 1) % folds;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        vec!["a".into(), "b".into(), "c".into()]
    }

    #[test]
    fn matches_hand_computed_figures() {
        // truth:     a a a b b c
        // predicted: a a b b c c
        let e = evaluate(&labels(), &[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2]);
        assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(
            e.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]
        );
        // a: p = 1, r = 2/3, f1 = 0.8; b: p = 1/2, r = 1/2, f1 = 0.5; c: p = 1/2, r = 1, f1 = 2/3.
        assert!((e.per_class[0].f1 - 0.8).abs() < 1e-12);
        assert!((e.per_class[1].f1 - 0.5).abs() < 1e-12);
        assert!((e.per_class[2].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.macro_f1 - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert_eq!(e.per_class[0].support, 3);
    }

    #[test]
    fn macro_f1_leaves_out_a_class_neither_present_nor_predicted() {
        // Only a and b occur, all right: macro-F1 is 1, not 2/3.
        let e = evaluate(&labels(), &[0, 1, 1], &[0, 1, 1]);
        assert_eq!(e.macro_f1, 1.0);
        assert_eq!(e.per_class[2].support, 0);
        assert!(e.occurs(0) && e.occurs(1) && !e.occurs(2));
        // c predicted once but never true still counts, with F1 0.
        let e = evaluate(&labels(), &[0, 1, 1], &[0, 1, 2]);
        assert!((e.macro_f1 - (1.0 + 2.0 / 3.0 + 0.0) / 3.0).abs() < 1e-12);
        assert!(e.occurs(2), "predicted, never true");
        // No rows at all: nothing occurs, and the figure is 0, not NaN.
        assert_eq!(evaluate(&labels(), &[], &[]).macro_f1, 0.0);
    }

    #[test]
    fn classes_never_predicted_score_zero_not_nan() {
        let e = evaluate(&labels(), &[0, 1], &[0, 0]);
        assert_eq!(e.per_class[1].precision, 0.0);
        assert_eq!(e.per_class[2].f1, 0.0);
        assert!(e.macro_f1.is_finite());
    }

    #[test]
    fn folds_are_stratified_and_seeded() {
        let targets: Vec<usize> = (0..30).map(|i| if i < 20 { 0 } else { 1 }).collect();
        let folds = stratified_folds(&targets, 5, 1);
        for fold in 0..5 {
            let class0 = (0..30)
                .filter(|&i| folds[i] == fold && targets[i] == 0)
                .count();
            let class1 = (0..30)
                .filter(|&i| folds[i] == fold && targets[i] == 1)
                .count();
            assert_eq!((class0, class1), (4, 2));
        }
        assert_eq!(folds, stratified_folds(&targets, 5, 1));
        assert_ne!(folds, stratified_folds(&targets, 5, 2));
    }
}
