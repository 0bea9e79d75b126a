//! kzstance: sentence-level stance classification for news about Kazakhstan between
//! Russia and the West.
//!
//! The pipeline, one module a stage: [`sentence`] splitting → [`tokenize`] (lower-case,
//! Snowball stems, word n-grams) → [`tfidf`] → [`classifier`] (multinomial logistic
//! regression) → [`model`] (labels, probabilities, per-article aggregates). Around it:
//! [`data`] loads labeled CSVs, [`train`] fits and cross-validates, [`evaluate`] scores,
//! [`persist`] reads and writes the model file, [`output`] shapes results for machines,
//! [`summary`] sums up groups of articles, [`context`] reads sentences in their article;
//! [`solver`] is the training loss over sparse rows and [`lbfgs`] the method minimising it.
//! The library never prints; the `kzstance` binary is a thin shell over it.

pub mod classifier;
pub mod context;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod explain;
pub mod features;
pub mod lbfgs;
pub mod model;
pub mod near_duplicate;
pub mod output;
pub mod persist;
pub mod report;
pub mod scoring;
pub mod sentence;
pub mod solver;
pub mod suggest;
pub mod summary;
pub mod synonyms;
pub mod tfidf;
pub mod tokenize;
pub mod train;

pub use error::{Error, Result};
pub use model::Model;
