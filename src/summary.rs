//! Figures for a group of articles (one outlet's directory, one month's feed): the mean of
//! the articles' aggregates, and how sure that mean is, so that groups can be compared.
//! Not classification: callers pass in the articles' aggregates.

use std::collections::HashMap;

use crate::model::Aggregate;

/// What the summary of every article together is called.
pub const ALL_ARTICLES: &str = "(all articles)";

/// Articles' aggregates gathered into named groups, in order of each group's first
/// appearance.
#[derive(Debug, Default)]
pub struct Groups {
    groups: Vec<(String, Vec<Aggregate>)>,
    positions: HashMap<String, usize>,
}

impl Groups {
    /// Makes sure group `name` exists, so that it is summarized even with no articles.
    pub fn open(&mut self, name: &str) -> usize {
        if let Some(&position) = self.positions.get(name) {
            return position;
        }
        self.groups.push((name.to_string(), Vec::new()));
        self.positions
            .insert(name.to_string(), self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// Adds an article's aggregate to group `name`.
    pub fn add(&mut self, name: &str, aggregate: Aggregate) {
        let position = self.open(name);
        self.groups[position].1.push(aggregate);
    }

    /// One summary per group, then one of all the articles when there are several groups.
    pub fn summaries(self, n_labels: usize) -> Vec<GroupSummary> {
        let mut summaries: Vec<GroupSummary> = self
            .groups
            .iter()
            .map(|(name, aggregates)| GroupSummary::new(name.clone(), aggregates, n_labels))
            .collect();
        if self.groups.len() > 1 {
            let all: Vec<Aggregate> = self
                .groups
                .into_iter()
                .flat_map(|(_, aggregates)| aggregates)
                .collect();
            summaries.push(GroupSummary::new(ALL_ARTICLES, &all, n_labels));
        }
        summaries
    }
}

/// One group of articles, every article counting once whatever its length.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSummary {
    /// The group's name (an INPUT argument, or a field's value).
    pub group: String,
    pub articles: usize,
    pub sentences: usize,
    /// The mean over articles of each label's share of sentences, in the model's label
    /// order; articles without sentences are left out.
    pub mean_shares: Vec<f64>,
    /// The mean of the articles' stance indices (`None` when no article has one).
    pub stance_index: Option<f64>,
    /// The 95% confidence interval of that mean (Student's t over the articles, clipped to
    /// the index's range [-1, 1]), for two or more articles with a stance index.
    pub stance_interval: Option<(f64, f64)>,
    /// The standard deviation of the articles' stance indices, for two or more of them.
    pub stance_sd: Option<f64>,
    /// How many articles have a stance index (those with sentences, for a stance model).
    pub stance_articles: usize,
}

impl GroupSummary {
    /// Summarizes the aggregates of a group's articles; `n_labels` is the model's.
    pub fn new(group: impl Into<String>, aggregates: &[Aggregate], n_labels: usize) -> Self {
        let with_sentences: Vec<&Aggregate> =
            aggregates.iter().filter(|a| a.sentences > 0).collect();
        let mut mean_shares = vec![0.0; n_labels];
        for aggregate in &with_sentences {
            for (sum, share) in mean_shares.iter_mut().zip(&aggregate.shares) {
                *sum += share;
            }
        }
        if !with_sentences.is_empty() {
            let n = with_sentences.len() as f64;
            mean_shares.iter_mut().for_each(|sum| *sum /= n);
        }
        let indices: Vec<f64> = aggregates.iter().filter_map(|a| a.stance_index).collect();
        let (stance_index, stance_interval) = mean_with_interval(&indices);
        let stance_sd = stance_index
            .filter(|_| indices.len() > 1)
            .map(|mean| sample_variance(&indices, mean).sqrt());
        GroupSummary {
            group: group.into(),
            articles: aggregates.len(),
            sentences: aggregates.iter().map(|a| a.sentences).sum(),
            mean_shares,
            stance_index,
            stance_interval,
            stance_sd,
            stance_articles: indices.len(),
        }
    }
}

/// The difference of two groups' mean stance indices, `second − first`, with its 95%
/// confidence interval (Welch's t, degrees of freedom rounded down; clipped to [-2, 2]),
/// when each group has two or more articles with a stance index.
pub fn stance_difference(first: &GroupSummary, second: &GroupSummary) -> Option<(f64, (f64, f64))> {
    let part = |group: &GroupSummary| -> Option<(f64, f64, f64)> {
        let n = group.stance_articles as f64;
        Some((group.stance_index?, group.stance_sd?.powi(2) / n, n))
    };
    let ((m1, v1, n1), (m2, v2, n2)) = (part(first)?, part(second)?);
    let difference = m2 - m1;
    let standard_error = (v1 + v2).sqrt();
    if standard_error == 0.0 {
        return Some((difference, (difference, difference)));
    }
    let df = (v1 + v2).powi(2) / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0));
    let half_width = t_quantile_975(df.floor().max(1.0) as usize) * standard_error;
    let (low, high) = (difference - half_width, difference + half_width);
    Some((difference, (low.max(-2.0), high.min(2.0))))
}

/// The sample variance (n − 1 in the denominator) of `values` around `mean`.
fn sample_variance(values: &[f64], mean: f64) -> f64 {
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() as f64 - 1.0)
}

/// The mean of `values` (stance indices) and its 95% confidence interval, clipped to
/// [-1, 1] (the interval needs two values).
fn mean_with_interval(values: &[f64]) -> (Option<f64>, Option<(f64, f64)>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (Some(mean), None);
    }
    let variance = sample_variance(values, mean);
    let half_width = t_quantile_975(values.len() - 1) * (variance / n).sqrt();
    let (low, high) = (mean - half_width, mean + half_width);
    (Some(mean), Some((low.max(-1.0), high.min(1.0))))
}

/// The 0.975 quantile of Student's t distribution with `df` ≥ 1 degrees of freedom: the
/// usual table to 30, beyond it the Cornish–Fisher expansion around the normal quantile
/// (within 0.00001 of the exact value there).
fn t_quantile_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
        2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739,
        2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    const Z: f64 = 1.959_963_984_540_054;
    if df <= TABLE.len() {
        return TABLE[df.max(1) - 1];
    }
    let v = df as f64;
    let (z3, z5, z7) = (Z.powi(3), Z.powi(5), Z.powi(7));
    Z + (z3 + Z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * Z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * Z) / (384.0 * v * v * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(sentences: usize, shares: [f64; 3], stance_index: Option<f64>) -> Aggregate {
        Aggregate {
            sentences,
            shares: shares.to_vec(),
            mean_probabilities: shares.to_vec(),
            stance_index,
            label: None,
        }
    }

    #[test]
    fn t_quantiles_match_published_tables() {
        // Student's t, two-sided 95% (scipy.stats.t.ppf(0.975, df)), on both sides of
        // the switch from the table to the expansion.
        for (df, expected) in [
            (1, 12.706_205),
            (4, 2.776_445),
            (30, 2.042_272),
            (31, 2.039_513),
            (40, 2.021_075),
            (120, 1.979_930),
            (1000, 1.962_339),
        ] {
            assert!((t_quantile_975(df) - expected).abs() < 1e-4, "df {df}");
        }
    }

    #[test]
    fn every_article_counts_once_and_empty_ones_add_no_shares() {
        let summary = GroupSummary::new(
            "outlet",
            &[
                article(10, [1.0, 0.0, 0.0], Some(0.2)),
                article(2, [0.0, 0.5, 0.5], Some(-0.4)),
                article(0, [0.0, 0.0, 0.0], None),
            ],
            3,
        );
        assert_eq!((summary.articles, summary.sentences), (3, 12));
        assert_eq!(summary.mean_shares, vec![0.5, 0.25, 0.25]);
        let mean = summary.stance_index.unwrap();
        assert!((mean + 0.1).abs() < 1e-12);
        // Two values 0.6 apart: standard error 0.3, t(1) = 12.706, so the interval covers
        // the whole range and is clipped to it.
        assert_eq!(summary.stance_interval, Some((-1.0, 1.0)));
        // Five values: mean 0.1, sample variance 0.00625, t(4) = 2.776.
        let five: Vec<Aggregate> = [0.0, 0.05, 0.1, 0.15, 0.2]
            .iter()
            .map(|&index| article(1, [1.0, 0.0, 0.0], Some(index)))
            .collect();
        let (low, high) = GroupSummary::new("five", &five, 3).stance_interval.unwrap();
        let half_width = t_quantile_975(4) * (0.00625f64 / 5.0).sqrt();
        assert!((low - (0.1 - half_width)).abs() < 1e-12, "{low}");
        assert!((high - (0.1 + half_width)).abs() < 1e-12, "{high}");
    }

    fn group(name: &str, indices: &[f64]) -> GroupSummary {
        let articles: Vec<Aggregate> = indices
            .iter()
            .map(|&index| article(1, [1.0, 0.0, 0.0], Some(index)))
            .collect();
        GroupSummary::new(name, &articles, 3)
    }

    #[test]
    fn groups_keep_first_appearance_order_and_total_several() {
        let mut groups = Groups::default();
        groups.open("empty");
        groups.add("north", article(2, [1.0, 0.0, 0.0], Some(0.1)));
        groups.add("south", article(2, [0.0, 1.0, 0.0], Some(0.3)));
        groups.add("north", article(4, [0.0, 0.0, 1.0], Some(-0.3)));
        let summaries = groups.summaries(3);
        let names: Vec<&str> = summaries.iter().map(|s| s.group.as_str()).collect();
        assert_eq!(names, ["empty", "north", "south", ALL_ARTICLES]);
        let counts: Vec<usize> = summaries.iter().map(|s| s.articles).collect();
        assert_eq!(counts, [0, 2, 1, 3]);
        assert_eq!(summaries[3].sentences, 8);
        let mut one = Groups::default();
        one.add("only", article(1, [1.0, 0.0, 0.0], Some(0.0)));
        assert_eq!(one.summaries(3).len(), 1, "a single group gets no total");
    }

    #[test]
    fn a_difference_of_two_groups_has_welchs_interval() {
        let (first, second) = (
            group("a", &[0.1, 0.2, 0.3, 0.15]),
            group("b", &[0.5, 0.4, 0.6, 0.7, 0.55]),
        );
        // scipy: Welch's standard error 0.06575 on 6.9986 degrees of freedom, taken as 6.
        let (difference, (low, high)) = stance_difference(&first, &second).unwrap();
        assert!((difference - 0.3625).abs() < 1e-12);
        assert!((low - 0.201_618).abs() < 1e-4, "{low}");
        assert!((high - 0.523_382).abs() < 1e-4, "{high}");
        let (reverse, (low, high)) = stance_difference(&second, &first).unwrap();
        assert!((reverse + 0.3625).abs() < 1e-12);
        assert!((low + 0.523_382).abs() < 1e-4 && (high + 0.201_618).abs() < 1e-4);
        assert_eq!(stance_difference(&first, &group("one", &[0.4])), None);
    }

    #[test]
    fn one_article_has_a_mean_but_no_interval_and_none_has_neither() {
        let one = GroupSummary::new("a", &[article(3, [0.0, 1.0, 0.0], Some(0.5))], 3);
        assert_eq!((one.stance_index, one.stance_interval), (Some(0.5), None));
        let none = GroupSummary::new("b", &[], 3);
        assert_eq!((none.stance_index, none.stance_interval), (None, None));
        assert_eq!(none.mean_shares, vec![0.0; 3]);
    }
}
