//! The library's error type: every failure names where it happened and what was wrong.
//! It is not a place for formatting or exit codes; the binary decides those.

use std::path::PathBuf;

/// Everything that can go wrong in kzstance, with the file, line and values that explain it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The I/O error itself is the `source`, so `{:#}` prints "path: cause" once.
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{output}: this is also an input ({input}); the {what} would replace it, so write it elsewhere")]
    OutputIsInput {
        output: PathBuf,
        input: PathBuf,
        /// What would have been written: "model", "report", ….
        what: &'static str,
    },

    #[error("{path}: already holds {rows} labeled row(s); write the suggestions elsewhere, or move the file, so the labels are not lost")]
    WouldLoseLabels { path: PathBuf, rows: usize },

    #[error("{path}: the file is empty; expected a header line with the columns {expected}")]
    EmptyCsv { path: PathBuf, expected: String },

    #[error("{path}: no column named '{column}' (columns found: {found}){}", separator.map_or(String::new(), |s| format!("; the header looks separated by {s}: save the file with commas")))]
    MissingColumn {
        path: PathBuf,
        column: String,
        found: String,
        /// How the header seems to be separated when it is one column holding `;` or a
        /// tab (a spreadsheet's export in some locales), to say so.
        separator: Option<&'static str>,
    },

    #[error("{path}: line {line}: {problem}")]
    BadRecord {
        path: PathBuf,
        line: u64,
        problem: String,
    },

    #[error(
        "{path}: line {line}: the {column} column is not valid UTF-8 (save the file as UTF-8)"
    )]
    CsvNotUtf8 {
        path: PathBuf,
        line: u64,
        column: String,
    },

    #[error("{path}: line {line}: the row has {found} fields but the header has {expected}")]
    RaggedRow {
        path: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
    },

    #[error("{path}: line {line}: the {column} column is empty")]
    EmptyField {
        path: PathBuf,
        line: u64,
        column: String,
    },

    #[error("{path}: no data rows under the header")]
    NoRows { path: PathBuf },

    #[error("cannot train on a single label ('{label}'): a classifier needs at least two")]
    SingleClass { label: String },

    #[error("label '{label}' has {count} row(s) ({rows}), fewer than the {folds} cross-validation folds; fix the label if it is misspelt, or add rows, or lower --folds")]
    TooFewForFolds {
        label: String,
        count: usize,
        /// Where the rows are, as `FILE:LINE`.
        rows: String,
        folds: usize,
    },

    #[error("no labeled CSV was given")]
    NoDataFiles,

    #[error("invalid setting {name} = {value}: {expected}")]
    InvalidParam {
        name: &'static str,
        value: String,
        expected: &'static str,
    },

    #[error("no features survived the vocabulary filters (min_df = {min_df}, max_df = {max_df}); lower --min-df or add data")]
    EmptyVocabulary { min_df: usize, max_df: f64 },

    #[error("the logistic regression solver failed: {0}")]
    Linfa(#[from] linfa_logistic::error::Error),

    #[error("the sparse L-BFGS solver failed: {0}")]
    Solver(String),

    #[error("{path}: byte {byte}: the text is not valid UTF-8 (use --lossy to replace bad bytes)")]
    TextNotUtf8 { path: PathBuf, byte: usize },

    #[error("{path}: line {line}: {problem}")]
    BadJsonLine {
        path: PathBuf,
        line: u64,
        problem: String,
    },

    #[error("{path}: not a kzstance model: {problem}")]
    ModelParse { path: PathBuf, problem: String },

    #[error("{path}: model format '{found}' is not '{expected}'")]
    ModelFormat {
        path: PathBuf,
        expected: &'static str,
        found: String,
    },

    #[error(
        "{path}: model version {found} is not supported (this build reads versions {oldest} to {newest})"
    )]
    ModelVersion {
        path: PathBuf,
        found: u64,
        oldest: u64,
        newest: u64,
    },

    #[error("{path}: inconsistent model: {problem}")]
    ModelInvalid { path: PathBuf, problem: String },

    #[error("{location}: label '{label}' is not one of the model's labels ({}){}{}", model.join(", "), hint.as_ref().map_or(String::new(), |h| format!("; did you mean '{h}'?")), if *more_rows > 0 { format!(" ({more_rows} more row(s) have labels the model lacks)") } else { String::new() })]
    LabelMismatch {
        /// `FILE:LINE` of the first row whose label the model lacks.
        location: String,
        label: String,
        model: Vec<String>,
        /// The model's label that `label` spells differently (case, `-` for `_`, spaces).
        hint: Option<String>,
        /// Further rows with labels the model lacks.
        more_rows: usize,
    },

    #[error("{path}: no *.txt files in this directory")]
    NoTextFiles { path: PathBuf },
}

/// Shorthand used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
