//! The multinomial logistic loss over sparse rows, minimised by [`crate::lbfgs`] (argmin's
//! L-BFGS steps with its Moré–Thuente line search, remembering 30 steps in `f32`, starting
//! from a diagonal fitted to the data, see [`SoftmaxProblem::starting_shape`]): the
//! objective linfa-logistic minimises over a dense matrix, at a cost proportional to the
//! non-zero values instead of rows × features. Not class names, not vectorizing: classes are `0..n_classes`.
//!
//! Parameters are one flat vector laid out as linfa-logistic's `(n_features + 1) ×
//! n_classes` matrix, row-major: `params[f * n_classes + c]` is the weight of feature `f`
//! for class `c`, and the last `n_classes` values are the intercepts.

use argmin::core::{CostFunction, Gradient};
use ndarray::Array1;
use rayon::prelude::*;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::lbfgs;
use crate::tfidf::SparseVector;

/// How many past steps L-BFGS remembers. linfa-logistic remembers 10; with 30 the
/// shipped model's six fits took 594 iterations in all instead of 1,165 and training
/// about a quarter less time, for 0.1 GB more memory (docs/PERFORMANCE.md). Each
/// remembered step costs two parameter-sized vectors and two passes over them an
/// iteration; at 50 those passes cost more than the iterations they save.
const LBFGS_MEMORY: usize = 30;

/// The number type L-BFGS remembers its steps in. 30 steps of the shipped model's 144,003
/// parameters are 69 MB in `f64`, streamed twice an iteration: a third of a fit's time.
/// In `f32` the shipped command trains a fifth faster, and the fit ends as close to the
/// exact minimum as in `f64` (docs/PERFORMANCE.md).
type RememberedStep = f32;

/// Rows per unit of parallel work in a loss evaluation. Fixed, so that sums are added in
/// the same order on any number of threads.
const ROWS_PER_CHUNK: usize = 8192;

/// A point of the parameter space with its loss and gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

/// One fitting problem: rows, their classes and how many times each row counts.
pub struct SoftmaxProblem<'a> {
    rows: &'a [SparseVector],
    targets: &'a [usize],
    row_weights: &'a [f64],
    n_features: usize,
    n_classes: usize,
    alpha: f64,
    /// The last point evaluated, with its loss and gradient.
    last: Mutex<Option<Evaluated>>,
}

impl<'a> SoftmaxProblem<'a> {
    /// `row_weights[i]` multiplies row `i`'s loss (a row counted twice has weight 2).
    pub fn new(
        rows: &'a [SparseVector],
        targets: &'a [usize],
        row_weights: &'a [f64],
        n_features: usize,
        n_classes: usize,
        alpha: f64,
    ) -> SoftmaxProblem<'a> {
        debug_assert_eq!(rows.len(), targets.len());
        debug_assert_eq!(rows.len(), row_weights.len());
        SoftmaxProblem {
            rows,
            targets,
            row_weights,
            n_features,
            n_classes,
            alpha,
            last: Mutex::new(None),
        }
    }

    /// Length of the flat parameter vector.
    pub fn n_params(&self) -> usize {
        (self.n_features + 1) * self.n_classes
    }

    /// The class count as the compiler sees it: `K` when that is not 0 (a constant, so
    /// the loops over classes are unrolled), otherwise the problem's own count.
    fn classes<const K: usize>(&self) -> usize {
        debug_assert!(K == 0 || K == self.n_classes);
        if K == 0 {
            self.n_classes
        } else {
            K
        }
    }

    /// Class scores of one row into `out`: intercepts plus the weighted feature values.
    fn row_scores<const K: usize>(&self, params: &[f64], row: &SparseVector, out: &mut [f64]) {
        let k = self.classes::<K>();
        out.copy_from_slice(&params[self.n_features * k..]);
        for &(feature, value) in row {
            let weights = &params[feature as usize * k..(feature as usize + 1) * k];
            for (score, weight) in out.iter_mut().zip(weights) {
                *score += value * weight;
            }
        }
    }

    /// Half the L2 penalty of the feature weights (intercepts are not penalised).
    fn penalty(&self, params: &[f64]) -> f64 {
        let weights = &params[..self.n_features * self.n_classes];
        0.5 * self.alpha * weights.iter().map(|w| w * w).sum::<f64>()
    }

    /// The loss: weighted negative log-likelihood plus the penalty.
    pub fn loss(&self, params: &[f64]) -> f64 {
        self.loss_and_gradient(params).0
    }

    /// The loss and its gradient, in one pass over the rows. Rows are summed in fixed
    /// chunks (in parallel) and the chunks in order, so the result does not depend on the
    /// number of threads.
    pub fn loss_and_gradient(&self, params: &[f64]) -> (f64, Vec<f64>) {
        let n_weights = self.n_features * self.n_classes;
        let partials: Vec<(f64, Vec<f64>)> = (0..self.rows.len())
            .step_by(ROWS_PER_CHUNK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|first| {
                let last = (first + ROWS_PER_CHUNK).min(self.rows.len());
                // Two and three classes are the common cases; a constant class count
                // makes the per-row loops about a fifth faster, with the same sums.
                match self.n_classes {
                    2 => self.chunk_loss_and_gradient::<2>(params, first..last),
                    3 => self.chunk_loss_and_gradient::<3>(params, first..last),
                    _ => self.chunk_loss_and_gradient::<0>(params, first..last),
                }
            })
            .collect();
        let mut loss = self.penalty(params);
        let mut gradient: Vec<f64> = params[..n_weights]
            .iter()
            .map(|w| self.alpha * w)
            .chain(std::iter::repeat_n(0.0, self.n_classes))
            .collect();
        for (chunk_loss, chunk_gradient) in partials {
            loss += chunk_loss;
            for (g, c) in gradient.iter_mut().zip(&chunk_gradient) {
                *g += c;
            }
        }
        (loss, gradient)
    }

    /// The unpenalised loss and gradient of the rows in `range`; `K` as in
    /// [`Self::classes`].
    fn chunk_loss_and_gradient<const K: usize>(
        &self,
        params: &[f64],
        range: std::ops::Range<usize>,
    ) -> (f64, Vec<f64>) {
        let k = self.classes::<K>();
        let n_weights = self.n_features * k;
        let mut gradient = vec![0.0; self.n_params()];
        let mut loss = 0.0;
        let mut scores = vec![0.0; k];
        for i in range {
            let (row, target, weight) = (&self.rows[i], self.targets[i], self.row_weights[i]);
            self.row_scores::<K>(params, row, &mut scores);
            // One exponential per class serves both the loss and the softmax.
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let target_score = scores[target];
            let mut total = 0.0;
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                total += *s;
            }
            loss += weight * (max + total.ln() - target_score);
            // scores become weight × (softmax − one-hot): the loss's slope in each score.
            for (c, s) in scores.iter_mut().enumerate() {
                *s = weight * (*s / total - f64::from(u8::from(c == target)));
            }
            for &(feature, value) in row {
                let slot = &mut gradient[feature as usize * k..(feature as usize + 1) * k];
                for (g, s) in slot.iter_mut().zip(&scores) {
                    *g += value * s;
                }
            }
            for (g, s) in gradient[n_weights..].iter_mut().zip(&scores) {
                *g += s;
            }
        }
        (loss, gradient)
    }

    /// Reads the loss and gradient at `params` with `read`, evaluating them only when the
    /// last evaluation was elsewhere: the line search asks for the cost and then the
    /// gradient of the same point.
    fn with_evaluation<T>(&self, params: &[f64], read: impl FnOnce(f64, &[f64]) -> T) -> T {
        let mut cache = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if !matches!(cache.as_ref(), Some((at, _, _)) if at.as_slice() == params) {
            let (loss, gradient) = self.loss_and_gradient(params);
            *cache = Some((params.to_vec(), loss, gradient));
        }
        let (_, loss, gradient) = cache.as_ref().expect("just evaluated");
        read(*loss, gradient)
    }

    /// Runs L-BFGS from all-zero parameters for at most `max_iterations` iterations,
    /// stopping early once the gradient's norm is below `gradient_tolerance`, with its
    /// inverse-Hessian estimate starting from [`Self::starting_shape`]. Returns the best
    /// parameters seen and how the run went.
    pub fn minimise(
        &self,
        max_iterations: u64,
        gradient_tolerance: f64,
    ) -> Result<(Vec<f64>, lbfgs::Run)> {
        let shape = self.starting_shape();
        self.minimise_from(Some(&shape), max_iterations, gradient_tolerance)
    }

    /// [`Self::minimise`] with the starting diagonal given (`None`: the identity).
    fn minimise_from(
        &self,
        shape: Option<&[f64]>,
        max_iterations: u64,
        gradient_tolerance: f64,
    ) -> Result<(Vec<f64>, lbfgs::Run)> {
        let settings = lbfgs::Settings {
            memory: LBFGS_MEMORY,
            max_iterations,
            gradient_tolerance,
        };
        let start = Array1::zeros(self.n_params());
        let (best, run) = lbfgs::minimise::<RememberedStep, _>(self, start, settings, shape)
            .map_err(|e| Error::Solver(e.to_string()))?;
        Ok((best.to_vec(), run))
    }

    /// The diagonal L-BFGS starts its inverse-Hessian estimate from: `1 / sqrt(h)` for each
    /// parameter, where `h` is the loss's curvature in that parameter at the start (all
    /// weights 0, so every class has probability `1/K` and the softmax's curvature is
    /// `(K − 1) / K²`): `alpha + (K − 1) / K² · Σᵢ wᵢ xᵢ²` for a feature's weights,
    /// `(K − 1) / K² · Σᵢ wᵢ` for the intercepts.
    ///
    /// Without it the recursion starts from the identity, which treats an intercept (in
    /// every row, curvature in the tens of thousands) like the weight of a rare n-gram
    /// (curvature near `alpha`): the shipped recipe's final fit of the time (48,000
    /// features, alpha 0.2) took 137 iterations, with it 32, to the same tolerance and as
    /// close to the exact minimum. The full inverse,
    /// `1 / h`, overcorrects (52 iterations), because the curvature of a frequent term
    /// falls as the model grows sure of its rows (docs/PERFORMANCE.md).
    pub fn starting_shape(&self) -> Vec<f64> {
        let k = self.n_classes;
        let softmax_curvature = (k - 1) as f64 / (k * k) as f64;
        // Σᵢ wᵢ xᵢ² per feature, then Σᵢ wᵢ for the intercepts in the last slot.
        let mut sums = vec![0.0; self.n_features + 1];
        for (row, weight) in self.rows.iter().zip(self.row_weights) {
            for &(feature, value) in row {
                sums[feature as usize] += weight * value * value;
            }
            sums[self.n_features] += weight;
        }
        let mut shape = Vec::with_capacity(self.n_params());
        for (f, sum) in sums.iter().enumerate() {
            let penalty = if f < self.n_features { self.alpha } else { 0.0 };
            let curvature = penalty + softmax_curvature * sum;
            // A parameter no row touches and no penalty holds has a zero gradient always;
            // any positive value serves it.
            let value = if curvature > 0.0 {
                curvature.sqrt().recip()
            } else {
                1.0
            };
            shape.extend(std::iter::repeat_n(value, k));
        }
        shape
    }
}

impl CostFunction for &SoftmaxProblem<'_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, params: &Array1<f64>) -> std::result::Result<f64, argmin::core::Error> {
        let params = params.as_slice().expect("contiguous parameters");
        Ok(self.with_evaluation(params, |loss, _| loss))
    }
}

impl Gradient for &SoftmaxProblem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(
        &self,
        params: &Array1<f64>,
    ) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        let params = params.as_slice().expect("contiguous parameters");
        Ok(self.with_evaluation(params, |_, gradient| Array1::from(gradient.to_vec())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<SparseVector>, Vec<usize>, Vec<f64>) {
        let rows = vec![
            vec![(0, 1.0), (2, 0.5)],
            vec![(1, 2.0)],
            vec![(0, 0.3), (1, 0.7), (2, 1.0)],
            vec![(2, 1.5)],
        ];
        (rows, vec![0, 1, 2, 2], vec![1.0, 2.0, 1.0, 3.0])
    }

    #[test]
    fn gradient_matches_finite_differences() {
        // Two and three classes take the constant-count paths, four the general one.
        let (rows, targets, weights) = toy();
        for n_classes in [2, 3, 4] {
            let targets: Vec<usize> = targets.iter().map(|t| (t + 1) % n_classes).collect();
            let problem = SoftmaxProblem::new(&rows, &targets, &weights, 3, n_classes, 0.2);
            let params: Vec<f64> = (0..problem.n_params())
                .map(|i| ((i * 7 % 5) as f64 - 2.0) / 3.0)
                .collect();
            let gradient = problem.loss_and_gradient(&params).1;
            for i in 0..params.len() {
                let (mut up, mut down) = (params.clone(), params.clone());
                up[i] += 1e-6;
                down[i] -= 1e-6;
                let numeric = (problem.loss(&up) - problem.loss(&down)) / 2e-6;
                assert!(
                    (numeric - gradient[i]).abs() < 1e-6,
                    "{n_classes} classes, parameter {i}: analytic {} numeric {numeric}",
                    gradient[i]
                );
            }
        }
    }

    #[test]
    fn row_weight_is_repetition() {
        let (rows, targets, weights) = toy();
        let weighted = SoftmaxProblem::new(&rows, &targets, &weights, 3, 3, 0.2);
        let mut repeated_rows = Vec::new();
        let mut repeated_targets = Vec::new();
        for ((row, &t), &w) in rows.iter().zip(&targets).zip(&weights) {
            for _ in 0..w as usize {
                repeated_rows.push(row.clone());
                repeated_targets.push(t);
            }
        }
        let ones = vec![1.0; repeated_rows.len()];
        let repeated = SoftmaxProblem::new(&repeated_rows, &repeated_targets, &ones, 3, 3, 0.2);
        let params: Vec<f64> = (0..weighted.n_params()).map(|i| i as f64 / 10.0).collect();
        assert!((weighted.loss(&params) - repeated.loss(&params)).abs() < 1e-9);
    }

    #[test]
    fn minimising_lowers_the_loss_to_a_flat_point() {
        let (rows, targets, weights) = toy();
        let problem = SoftmaxProblem::new(&rows, &targets, &weights, 3, 3, 0.2);
        let zero = vec![0.0; problem.n_params()];
        let (best, run) = problem.minimise(200, 1e-8).unwrap();
        assert!(run.iterations > 0 && run.iterations < 200, "{run:?}");
        assert!(problem.loss(&best) < problem.loss(&zero));
        let norm: f64 = problem
            .loss_and_gradient(&best)
            .1
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt();
        assert!(norm < 1e-6, "gradient norm {norm}");
    }

    #[test]
    fn the_starting_shape_reaches_the_same_minimum_in_fewer_iterations() {
        // Many rows make the intercepts' curvature far larger than a rare feature's, the
        // imbalance the shape is there for: 5,000 rows of ten terms each from a vocabulary
        // of 2,000, each term leaning to one class, and the row's class drawn from its terms.
        let n_features = 2000;
        let mut rows: Vec<SparseVector> = Vec::new();
        let mut targets = Vec::new();
        for i in 0..5000u64 {
            let mut row: SparseVector = (0..10u64)
                .map(|j| (((i * 7919 + j * 104_729) * (j + 1)) % n_features) as u32)
                .map(|f| (f, 0.3))
                .collect();
            row.sort_by_key(|&(f, _)| f);
            row.dedup_by_key(|&mut (f, _)| f);
            let lean: u32 = row.iter().map(|&(f, _)| f % 3).sum();
            targets.push(((lean as u64 + i % 4 / 3) % 3) as usize);
            rows.push(row);
        }
        let weights = vec![1.0; rows.len()];
        let problem = SoftmaxProblem::new(&rows, &targets, &weights, n_features as usize, 3, 0.1);
        let shape = problem.starting_shape();
        assert_eq!(shape.len(), problem.n_params());
        let (plain, plain_run) = problem.minimise_from(None, 1000, 1e-3).unwrap();
        let (shaped, shaped_run) = problem.minimise_from(Some(&shape), 1000, 1e-3).unwrap();
        assert_eq!(
            shaped_run.stop,
            lbfgs::Stop::GradientTolerance,
            "{shaped_run:?}"
        );
        assert_eq!(
            plain_run.stop,
            lbfgs::Stop::GradientTolerance,
            "{plain_run:?}"
        );
        let apart = plain
            .iter()
            .zip(&shaped)
            .fold(0.0f64, |most, (a, b)| most.max((a - b).abs()));
        assert!(apart < 1e-3, "{apart} apart");
        assert!(
            shaped_run.iterations < plain_run.iterations,
            "{} iterations with the shape, {} without",
            shaped_run.iterations,
            plain_run.iterations
        );
    }

    #[test]
    fn loss_and_gradient_do_not_depend_on_the_thread_count() {
        // Enough rows for several chunks, so the parallel path really splits.
        let rows: Vec<SparseVector> = (0..3 * ROWS_PER_CHUNK + 17)
            .map(|i| vec![((i % 5) as u32, 0.1 + (i % 7) as f64 / 3.0), (5, 1.0)])
            .collect();
        let targets: Vec<usize> = (0..rows.len()).map(|i| (i * 31) % 3).collect();
        let weights: Vec<f64> = (0..rows.len()).map(|i| 1.0 + (i % 2) as f64).collect();
        let problem = SoftmaxProblem::new(&rows, &targets, &weights, 6, 3, 0.1);
        let params: Vec<f64> = (0..problem.n_params()).map(|i| (i as f64).sin()).collect();
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| problem.loss_and_gradient(&params))
        };
        let (one, four) = (on(1), on(4));
        assert_eq!(one.0.to_bits(), four.0.to_bits());
        assert!(one
            .1
            .iter()
            .zip(&four.1)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
