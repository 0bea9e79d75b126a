//! Pieces the subcommands share: loading the model, reading article inputs, output
//! formats, and recognising a closed pipe. Each subcommand lives in its own file.

pub mod classify;
pub mod evaluate;
pub mod explain;
pub mod inspect;
pub mod report;
pub mod suggest;
pub mod summarize;
pub mod train;

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::Result;
use kzstance::persist;
use kzstance::{Error, Model};

/// `--model PATH` and `--no-context`, shared by every command that uses a model.
#[derive(clap::Args)]
pub struct ModelArg {
    /// Model file (defaults to the built-in model)
    #[arg(long)]
    model: Option<PathBuf>,
    /// Read every sentence alone, not in the context of the sentences around it in its
    /// article (for a model that learned a context, as the built-in one did)
    #[arg(long)]
    no_context: bool,
}

impl ModelArg {
    /// The model file named, if one was.
    pub fn path(&self) -> Option<&Path> {
        self.model.as_deref()
    }

    /// The model file named, or the built-in model when none was.
    pub fn load(&self) -> Result<Model> {
        let mut model = match &self.model {
            Some(path) => persist::load(path)?,
            None => persist::load_default()?,
        };
        if self.no_context {
            model.drop_context();
        }
        Ok(model)
    }
}

/// Unlabeled articles named on the command line, for `report` and `suggest`.
#[derive(clap::Args)]
pub struct ArticleArgs {
    /// Replace invalid UTF-8 with U+FFFD instead of stopping with an error
    #[arg(long)]
    lossy: bool,
    /// Articles: files, directories (their *.txt files) or - for standard input
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
}

/// One INPUT as given and its articles as `(name, text)`.
pub type InputArticles = (String, Vec<(String, String)>);

impl ArticleArgs {
    /// Every article read as `(name, text)`, in order.
    pub fn read(&self) -> Result<Vec<(String, String)>> {
        read_all(&self.inputs, self.lossy)
    }

    /// Every article read as `(name, text)`, gathered under the INPUT that named it.
    pub fn read_by_input(&self) -> Result<Vec<InputArticles>> {
        self.inputs
            .iter()
            .map(|input| {
                let articles = read_all(std::slice::from_ref(input), self.lossy)?;
                Ok((input.display().to_string(), articles))
            })
            .collect()
    }

    /// The article files, directories expanded (a directory that cannot be read gives
    /// none here; reading the articles reports it).
    pub fn files(&self) -> Vec<PathBuf> {
        expand_inputs(&self.inputs)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|input| match input {
                Input::File(path) => Some(path),
                Input::Stdin => None,
            })
            .collect()
    }
}

/// Whether an error chain ends in a closed pipe on output.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe))
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(io::ErrorKind::BrokenPipe))
    })
}

/// One article to classify: where it came from and where to read it.
#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(path) => path.display().to_string(),
        }
    }
}

/// Expands the INPUT arguments: files as given, directories to their `*.txt` files in
/// sorted order, `-` or nothing to standard input.
pub fn expand_inputs(arguments: &[PathBuf]) -> Result<Vec<Input>> {
    if arguments.is_empty() {
        return Ok(vec![Input::Stdin]);
    }
    let mut inputs = Vec::new();
    for argument in arguments {
        if argument.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if argument.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(argument)
                .map_err(|e| Error::io(argument, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "txt"))
                .collect();
            if files.is_empty() {
                return Err(Error::NoTextFiles {
                    path: argument.clone(),
                }
                .into());
            }
            files.sort();
            inputs.extend(files.into_iter().map(Input::File));
        } else {
            inputs.push(Input::File(argument.clone()));
        }
    }
    Ok(inputs)
}

/// Reads one input as text. Invalid UTF-8 is an error naming the byte offset unless
/// `lossy`, which replaces bad bytes with U+FFFD.
pub fn read_text(input: &Input, lossy: bool) -> Result<String> {
    let mut bytes = Vec::new();
    match input {
        Input::Stdin => {
            io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io("<stdin>", e))?;
        }
        Input::File(path) => {
            bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        }
    }
    decode(bytes, &input.name(), lossy)
}

/// Every INPUT argument read as `(name, text)`, in order.
pub fn read_all(arguments: &[PathBuf], lossy: bool) -> Result<Vec<(String, String)>> {
    expand_inputs(arguments)?
        .into_iter()
        .map(|input| Ok((input.name(), read_text(&input, lossy)?)))
        .collect()
}

/// Bytes to text, by the same rule as [`read_text`].
pub fn decode(bytes: Vec<u8>, name: &str, lossy: bool) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) if lossy => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(e) => Err(Error::TextNotUtf8 {
            path: PathBuf::from(name),
            byte: e.utf8_error().valid_up_to(),
        }
        .into()),
    }
}

/// Whether a progress bar would reach a person.
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// Formats shared by `evaluate` and `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

/// Rounds for display.
pub fn fixed(value: f64, places: usize) -> String {
    format!("{value:.places$}")
}

/// Files as named on the command line, joined by " + ".
fn joined_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}
