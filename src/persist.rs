//! Persistence: the versioned JSON model file. Reading checks the format name, the
//! version, every dimension and that every number is finite; writing is atomic (a
//! temporary file in the same directory, then a rename), so a failed write never leaves a
//! half-written model or replaces a good one. Not training and not prediction.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::classifier::Classifier;
use crate::context::LabelContext;
use crate::error::{Error, Result};
use crate::model::{Model, ModelCard};
use crate::tfidf::Tfidf;
use crate::tokenize::{Tokenizer, TokenizerParams, MAX_NGRAM};

/// The `format` every model file carries.
pub const FORMAT: &str = "kzstance-model";
/// The version of the file this build writes. Version 2 added the tokenizer's
/// `negation_words`; a version-1 file has none and reads as `negation_words: 0`. Version 3
/// added `context`, how labels follow one another in articles; an older file has none and
/// reads every sentence alone. Version 4 added the tokenizer's `synonyms`; an older file has
/// none and folds no words.
pub const VERSION: u64 = 4;
/// The oldest version this build reads.
pub const OLDEST_READABLE_VERSION: u64 = 1;

/// Largest magnitude a weight, intercept or IDF may have.
const MAX_MAGNITUDE: f64 = 1e9;

/// The shipped default model, embedded at build time so it works from any directory.
pub const DEFAULT_MODEL_JSON: &str = include_str!("../models/stance.json");
/// How the embedded model is named in messages.
pub const DEFAULT_MODEL_NAME: &str = "<built-in models/stance.json>";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format: String,
    version: u64,
    labels: Vec<String>,
    tokenizer: TokenizerParams,
    vectorizer: VectorizerFile,
    classifier: ClassifierFile,
    card: ModelCard,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context: Option<ContextFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    /// `transitions[i][j]`: how often a sentence labeled `labels[j]` followed one labeled
    /// `labels[i]` in the training articles.
    transitions: Vec<Vec<u64>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorizerFile {
    sublinear_tf: bool,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifierFile {
    intercepts: Vec<f64>,
    /// One row per label, one weight per vocabulary entry.
    weights: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// The model file's JSON text.
pub fn to_json(model: &Model) -> String {
    let n_classes = model.labels().len();
    let n_features = model.tfidf().len();
    let weights = (0..n_classes)
        .map(|c| {
            (0..n_features)
                .map(|f| model.classifier().weight(f, c))
                .collect()
        })
        .collect();
    let file = ModelFile {
        format: FORMAT.to_string(),
        version: VERSION,
        labels: model.labels().to_vec(),
        tokenizer: model.tokenizer().params().clone(),
        vectorizer: VectorizerFile {
            sublinear_tf: model.tfidf().sublinear_tf(),
            vocabulary: model.tfidf().vocabulary().to_vec(),
            idf: model.tfidf().idf().to_vec(),
        },
        classifier: ClassifierFile {
            intercepts: model.classifier().intercepts().to_vec(),
            weights,
        },
        card: model.card().clone(),
        context: model.context().map(|context| ContextFile {
            transitions: context.transitions().to_vec(),
        }),
    };
    let mut json = serde_json::to_string(&file).expect("a model always serializes");
    json.push('\n');
    json
}

/// Writes `model` to `path` atomically.
pub fn save(model: &Model, path: &Path) -> Result<()> {
    write_atomically(path, to_json(model).as_bytes())
}

/// Writes `bytes` to `path` through a temporary file in the same directory that is synced
/// and then renamed over `path`: readers see the old file or the whole new one, and a
/// failure leaves any existing file as it was. A `path` that is a device or a pipe
/// (`--out /dev/null`, `--out /dev/stdout`) is written to directly: renaming over it would
/// replace the device with an ordinary file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if is_special_file(path) {
        return std::fs::write(path, bytes).map_err(|e| Error::io(path, e));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !directory.is_dir() {
        let missing =
            std::io::Error::new(std::io::ErrorKind::NotFound, "the directory does not exist");
        return Err(Error::io(&directory, missing));
    }
    let mut temporary =
        tempfile::NamedTempFile::new_in(&directory).map_err(|e| Error::io(&directory, e))?;
    temporary
        .write_all(bytes)
        .and_then(|()| readable_by_all(temporary.as_file()))
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|e| Error::io(temporary.path(), e))?;
    temporary
        .persist(path)
        .map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Whether `path` (followed through symbolic links) exists and is neither an ordinary file
/// nor a directory.
/// Refuses to write the `what` to `output` when `output` is one of `inputs` (the same file,
/// however named), before any work is done: a slip such as `--out data/stance.csv` would
/// otherwise replace the input with the output. Devices and pipes are never inputs here.
pub fn refuse_to_overwrite_input(
    output: &Path,
    inputs: &[&Path],
    what: &'static str,
) -> Result<()> {
    if is_special_file(output) {
        return Ok(());
    }
    let Ok(output_file) = output.canonicalize() else {
        return Ok(()); // not there yet, so nothing to overwrite
    };
    match inputs
        .iter()
        .find(|input| input.canonicalize().is_ok_and(|file| file == output_file))
    {
        Some(input) => Err(Error::OutputIsInput {
            output: output.to_path_buf(),
            input: input.to_path_buf(),
            what,
        }),
        None => Ok(()),
    }
}

fn is_special_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Temporary files are created private (0600); what we write is an ordinary 0644 file.
#[cfg(unix)]
fn readable_by_all(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable_by_all(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// Reads and checks the model file at `path`.
pub fn load(path: &Path) -> Result<Model> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(text).map_err(|e| Error::ModelParse {
        path: path.to_path_buf(),
        problem: format!(
            "not UTF-8 text (bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    from_json(&text, path)
}

/// The built-in model's JSON without its vocabulary, IDF and weights (made by `build.rs`).
const DEFAULT_MODEL_HEAD: &str = include_str!(concat!(env!("OUT_DIR"), "/default-model-head.json"));
/// The built-in model's vocabulary, IDF and weight rows, each a little-endian u64 count then
/// the items: strings as a u64 byte length and the bytes, numbers as little-endian f64.
const DEFAULT_MODEL_ARRAYS: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/default-model-arrays.bin"));

/// The embedded default model: `models/stance.json` as it was at build time, read from the
/// head and arrays `build.rs` split it into (the same model as parsing the JSON, faster to
/// load), and checked like any model file.
pub fn load_default() -> Result<Model> {
    let path = Path::new(DEFAULT_MODEL_NAME);
    let mut file: ModelFile =
        serde_json::from_str(DEFAULT_MODEL_HEAD).map_err(|e| parse_error(path, e))?;
    let invalid = |problem: &str| Error::ModelInvalid {
        path: path.to_path_buf(),
        problem: format!("built-in arrays: {problem}"),
    };
    let mut arrays = ArrayReader(DEFAULT_MODEL_ARRAYS);
    file.vectorizer.vocabulary = arrays.strings().ok_or_else(|| invalid("vocabulary"))?;
    file.vectorizer.idf = arrays.numbers().ok_or_else(|| invalid("idf"))?;
    let rows = arrays.count().ok_or_else(|| invalid("weights"))?;
    file.classifier.weights = (0..rows)
        .map(|_| arrays.numbers())
        .collect::<Option<_>>()
        .ok_or_else(|| invalid("weights"))?;
    if !arrays.0.is_empty() {
        return Err(invalid("bytes left over"));
    }
    build(file, path)
}

/// Reads what `build.rs` wrote; `None` when the bytes run out.
struct ArrayReader<'a>(&'a [u8]);

impl ArrayReader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn count(&mut self) -> Option<usize> {
        let bytes = self.take(8)?.try_into().ok()?;
        usize::try_from(u64::from_le_bytes(bytes)).ok()
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        (0..self.count()?)
            .map(|_| {
                let len = self.count()?;
                String::from_utf8(self.take(len)?.to_vec()).ok()
            })
            .collect()
    }

    fn numbers(&mut self) -> Option<Vec<f64>> {
        let n = self.count()?;
        let bytes = self.take(n.checked_mul(8)?)?;
        Some(
            bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        )
    }
}

/// Parses and checks model JSON; `path` names it in errors.
pub fn from_json(text: &str, path: &Path) -> Result<Model> {
    // One pass over the text when all is well; the header alone is read again only to
    // say precisely what is wrong (another format or version rather than a bad field).
    let parsed = serde_json::from_str::<ModelFile>(text);
    if !matches!(&parsed, Ok(file) if file.format == FORMAT && readable(file.version)) {
        check_header(text, path)?;
    }
    let file = parsed.map_err(|e| parse_error(path, e))?;
    build(file, path)
}

/// Checks a parsed model file and builds the model.
fn build(file: ModelFile, path: &Path) -> Result<Model> {
    validate(&file).map_err(|problem| Error::ModelInvalid {
        path: path.to_path_buf(),
        problem,
    })?;
    let n_classes = file.labels.len();
    let n_features = file.vectorizer.vocabulary.len();
    let mut weights = vec![0.0; n_features * n_classes];
    for (c, row) in file.classifier.weights.iter().enumerate() {
        for (f, &w) in row.iter().enumerate() {
            weights[f * n_classes + c] = w;
        }
    }
    Ok(Model::new(
        file.labels,
        Tokenizer::new(file.tokenizer),
        Tfidf::new(
            file.vectorizer.vocabulary,
            file.vectorizer.idf,
            file.vectorizer.sublinear_tf,
        ),
        Classifier::new(weights, file.classifier.intercepts, n_classes),
        file.card,
    )
    .with_context(
        file.context
            .map(|context| LabelContext::from_transitions(context.transitions)),
    ))
}

/// A JSON error in the model file at `path`.
fn parse_error(path: &Path, error: serde_json::Error) -> Error {
    Error::ModelParse {
        path: path.to_path_buf(),
        problem: error.to_string(),
    }
}

/// Whether this build reads files of `version`.
fn readable(version: u64) -> bool {
    (OLDEST_READABLE_VERSION..=VERSION).contains(&version)
}

/// Checks the file names this format and a version this build reads.
fn check_header(text: &str, path: &Path) -> Result<()> {
    let header: Header = serde_json::from_str(text).map_err(|e| parse_error(path, e))?;
    match header.format {
        Some(serde_json::Value::String(format)) if format == FORMAT => {}
        Some(other) => {
            return Err(Error::ModelFormat {
                path: path.to_path_buf(),
                expected: FORMAT,
                found: match other {
                    serde_json::Value::String(s) => s,
                    value => value.to_string(),
                },
            })
        }
        None => {
            return Err(Error::ModelParse {
                path: path.to_path_buf(),
                problem: "no \"format\" field; is this a model file?".into(),
            })
        }
    }
    match header.version.as_ref().and_then(serde_json::Value::as_u64) {
        Some(found) if readable(found) => {}
        Some(found) => {
            return Err(Error::ModelVersion {
                path: path.to_path_buf(),
                found,
                oldest: OLDEST_READABLE_VERSION,
                newest: VERSION,
            })
        }
        None => {
            return Err(Error::ModelParse {
                path: path.to_path_buf(),
                problem: "\"version\" is missing or not a whole number".into(),
            })
        }
    }
    Ok(())
}

/// Describes the first inconsistency in a parsed file.
fn validate(file: &ModelFile) -> std::result::Result<(), String> {
    let n_classes = file.labels.len();
    if n_classes < 2 {
        return Err(format!("{n_classes} labels; a model needs at least 2"));
    }
    let mut sorted = file.labels.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != n_classes {
        return Err("labels repeat".into());
    }
    if file.version < 2 && file.tokenizer.negation_words != 0 {
        return Err(format!(
            "tokenizer.negation_words is {} in a version-{} file, which predates negation marking",
            file.tokenizer.negation_words, file.version
        ));
    }
    if !file.tokenizer.synonyms.is_empty() && file.version < 4 {
        return Err(format!(
            "a version-{} file has tokenizer.synonyms, which version 4 introduced",
            file.version
        ));
    }
    if let Some(group) = file.tokenizer.synonyms.iter().find(|group| {
        group.len() < 2
            || group
                .iter()
                .any(|word| word.is_empty() || word.contains(char::is_whitespace))
    }) {
        return Err(format!(
            "tokenizer.synonyms holds the group {group:?}; a group needs two or more single words"
        ));
    }
    if let Some(context) = &file.context {
        if file.version < 3 {
            return Err(format!(
                "a version-{} file has a context, which version 3 introduced",
                file.version
            ));
        }
        let square = context.transitions.len() == n_classes
            && context.transitions.iter().all(|row| row.len() == n_classes);
        if !square {
            return Err(format!(
                "context.transitions must have {n_classes} rows of {n_classes} counts, one per label"
            ));
        }
    }
    if !(1..=MAX_NGRAM).contains(&file.tokenizer.ngram_max) {
        return Err(format!(
            "tokenizer.ngram_max is {}; it must be from 1 to {MAX_NGRAM}",
            file.tokenizer.ngram_max
        ));
    }
    let vocabulary = &file.vectorizer.vocabulary;
    let n_features = vocabulary.len();
    if n_features == 0 {
        return Err("the vocabulary is empty".into());
    }
    if vocabulary.windows(2).any(|w| w[0] >= w[1]) {
        return Err("the vocabulary is not sorted and unique".into());
    }
    if file.vectorizer.idf.len() != n_features {
        return Err(format!(
            "{} IDF values for {n_features} vocabulary entries",
            file.vectorizer.idf.len()
        ));
    }
    if file.classifier.intercepts.len() != n_classes {
        return Err(format!(
            "{} intercepts for {n_classes} labels",
            file.classifier.intercepts.len()
        ));
    }
    if file.classifier.weights.len() != n_classes {
        return Err(format!(
            "{} weight rows for {n_classes} labels",
            file.classifier.weights.len()
        ));
    }
    for (label, row) in file.labels.iter().zip(&file.classifier.weights) {
        if row.len() != n_features {
            return Err(format!(
                "label '{label}' has {} weights for {n_features} vocabulary entries",
                row.len()
            ));
        }
    }
    let numbers = file
        .vectorizer
        .idf
        .iter()
        .map(|v| ("vectorizer.idf", v))
        .chain(
            file.classifier
                .intercepts
                .iter()
                .map(|v| ("classifier.intercepts", v)),
        )
        .chain(
            file.classifier
                .weights
                .iter()
                .flatten()
                .map(|v| ("classifier.weights", v)),
        );
    for (field, value) in numbers {
        // Rows are L2-normalised, so bounded weights keep every score finite.
        if !value.is_finite() || value.abs() > MAX_MAGNITUDE {
            return Err(format!(
                "{field} holds {value:e}, outside the finite range ±{MAX_MAGNITUDE:e}"
            ));
        }
    }
    Ok(())
}

/// A named pipe `pipe` in `directory`, for tests of what reading or writing one does.
#[cfg(all(test, unix))]
pub(crate) fn named_pipe(directory: &Path) -> PathBuf {
    let pipe = directory.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", pipe.display());
    pipe
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writing to a named pipe goes through the pipe, and the pipe stays a pipe (renaming a
    /// temporary file over it, as over an ordinary file, would replace it: the same would
    /// turn `/dev/null` into an ordinary file when run as root).
    #[cfg(unix)]
    #[test]
    fn a_pipe_is_written_through_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let directory = tempfile::tempdir().unwrap();
        let pipe = named_pipe(directory.path());
        let reader = {
            let pipe = pipe.clone();
            std::thread::spawn(move || std::fs::read(pipe).unwrap())
        };
        write_atomically(&pipe, b"model bytes").unwrap();
        let still_a_pipe = std::fs::symlink_metadata(&pipe)
            .unwrap()
            .file_type()
            .is_fifo();
        assert!(still_a_pipe, "the pipe was replaced by an ordinary file");
        assert_eq!(reader.join().unwrap(), b"model bytes");
    }

    #[test]
    fn built_in_model_equals_the_shipped_json_bit_for_bit() {
        let fast = load_default().unwrap();
        let parsed = from_json(DEFAULT_MODEL_JSON, Path::new("models/stance.json")).unwrap();
        assert_eq!(fast.labels(), parsed.labels());
        assert_eq!(fast.tfidf().vocabulary(), parsed.tfidf().vocabulary());
        let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(fast.tfidf().idf()), bits(parsed.tfidf().idf()));
        assert_eq!(
            bits(fast.classifier().intercepts()),
            bits(parsed.classifier().intercepts())
        );
        let weights = |m: &Model| {
            (0..m.tfidf().len())
                .flat_map(|f| m.classifier().feature_weights(f).to_vec())
                .map(f64::to_bits)
                .collect::<Vec<_>>()
        };
        assert_eq!(weights(&fast), weights(&parsed));
        // Everything else (tokenizer settings, the card) through the file's own writer.
        assert_eq!(to_json(&fast), to_json(&parsed));
        assert_eq!(
            to_json(&parsed),
            DEFAULT_MODEL_JSON,
            "the shipped file round-trips"
        );
    }

    #[test]
    fn version_1_files_read_without_negation_marking_and_cannot_claim_it() {
        let mut file: serde_json::Value = serde_json::from_str(DEFAULT_MODEL_JSON).unwrap();
        assert_eq!(file["version"], VERSION);
        assert_eq!(file["tokenizer"]["negation_words"], 8);
        file["version"] = 1.into();
        file.as_object_mut().unwrap().remove("context");
        file["tokenizer"]
            .as_object_mut()
            .unwrap()
            .remove("synonyms");
        file["tokenizer"]
            .as_object_mut()
            .unwrap()
            .remove("negation_words");
        let path = Path::new("old.json");
        let old = from_json(&file.to_string(), path).unwrap();
        assert_eq!(old.tokenizer().params().negation_words, 0);
        let terms: Vec<String> = old
            .tokenizer()
            .tokens("will not help")
            .into_iter()
            .map(|t| t.term)
            .collect();
        assert_eq!(terms, vec!["will", "not", "help"]);

        file["tokenizer"]["negation_words"] = 8.into();
        let error = from_json(&file.to_string(), path).unwrap_err().to_string();
        assert!(
            error.contains("negation_words is 8 in a version-1 file"),
            "{error}"
        );
    }

    #[test]
    fn synonyms_round_trip_and_older_or_misshapen_ones_are_refused() {
        let mut file: serde_json::Value = serde_json::from_str(DEFAULT_MODEL_JSON).unwrap();
        let path = Path::new("m.json");
        file["version"] = VERSION.into();
        file["tokenizer"]["synonyms"] = serde_json::json!([["court", "tribunal"]]);
        let model = from_json(&file.to_string(), path).unwrap();
        assert_eq!(model.tokenizer().normalize("Tribunals"), "court");
        let written: serde_json::Value = serde_json::from_str(&to_json(&model)).unwrap();
        assert_eq!(
            written["tokenizer"]["synonyms"],
            file["tokenizer"]["synonyms"]
        );

        for (group, problem) in [
            (
                serde_json::json!([["court"]]),
                "a group needs two or more single words",
            ),
            (
                serde_json::json!([["court", "high court"]]),
                "two or more single words",
            ),
        ] {
            file["tokenizer"]["synonyms"] = group;
            let error = from_json(&file.to_string(), path).unwrap_err().to_string();
            assert!(error.contains(problem), "{error}");
        }
        file["tokenizer"]["synonyms"] = serde_json::json!([["court", "tribunal"]]);
        file["version"] = 3.into();
        let error = from_json(&file.to_string(), path).unwrap_err().to_string();
        assert!(
            error.contains("a version-3 file has tokenizer.synonyms"),
            "{error}"
        );
    }

    #[test]
    fn the_context_round_trips_and_older_or_misshapen_ones_are_refused() {
        let mut file: serde_json::Value = serde_json::from_str(DEFAULT_MODEL_JSON).unwrap();
        let path = Path::new("m.json");
        let shipped = from_json(&file.to_string(), path).unwrap();
        let context = shipped
            .context()
            .expect("the shipped model reads in context");
        assert_eq!(context.n_labels(), shipped.labels().len());
        assert_eq!(
            file["context"]["transitions"][0][0],
            context.transitions()[0][0]
        );
        // Synonyms came later still (version 4); without them the file is a version-3 one.
        file["tokenizer"]
            .as_object_mut()
            .unwrap()
            .remove("synonyms");
        file["version"] = 2.into();
        let error = from_json(&file.to_string(), path).unwrap_err().to_string();
        assert!(error.contains("a version-2 file has a context"), "{error}");
        let without = file.as_object_mut().unwrap().remove("context").unwrap();
        let old = from_json(&file.to_string(), path).unwrap();
        assert!(old.context().is_none());
        let written: serde_json::Value = serde_json::from_str(&to_json(&old)).unwrap();
        assert!(written.get("context").is_none());
        file["version"] = VERSION.into();
        file["context"] = without;
        file["context"]["transitions"][1]
            .as_array_mut()
            .unwrap()
            .pop();
        let error = from_json(&file.to_string(), path).unwrap_err().to_string();
        assert!(
            error.contains("context.transitions must have 3 rows of 3"),
            "{error}"
        );
    }

    #[test]
    fn truncated_built_in_arrays_are_an_error_not_a_panic() {
        let mut reader = ArrayReader(&DEFAULT_MODEL_ARRAYS[..100]);
        assert!(reader.strings().is_none());
        let mut reader = ArrayReader(&[3, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
        assert!(reader.numbers().is_none());
    }
}
