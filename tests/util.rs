//! Running the binary in a scratch directory and checking what it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root, where `data/` and `models/` live.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn repo_file(relative: &str) -> PathBuf {
    repo().join(relative)
}

/// A scratch directory that disappears with the value.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    /// `kzstance ARGS` run inside the scratch directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        run_in(self.dir.path(), args, stdin, &[])
    }
}

/// `kzstance ARGS` run in `dir` with extra environment variables.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kzstance"));
        command
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the kzstance binary runs");
        // Feed stdin from a thread so a child that writes a lot before reading all its
        // input cannot deadlock against us.
        let feeder = stdin.map(|input| {
            use std::io::Write;
            let mut pipe = child.stdin.take().unwrap();
            let input = input.to_vec();
            // The child may stop reading early; a broken pipe here is fine.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            })
        });
        let output = child.wait_with_output().unwrap();
        if let Some(feeder) = feeder {
            feeder.join().unwrap();
        }
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            output,
        }
    }
}

/// What one run of the binary did.
pub struct Run {
    args: Vec<String>,
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    fn describe(&self) -> String {
        format!(
            "command: kzstance {}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts exit code 0 and returns self.
    #[track_caller]
    pub fn success(self) -> Run {
        assert_eq!(self.code(), 0, "expected success\n{}", self.describe());
        self
    }

    /// Asserts the exit code and that stderr holds every one of `needles`.
    #[track_caller]
    pub fn fails_with(self, code: i32, needles: &[&str]) -> Run {
        assert_eq!(
            self.code(),
            code,
            "expected exit code {code}\n{}",
            self.describe()
        );
        let stderr = self.stderr();
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "expected stderr to contain:\n  {needle}\n{}",
                self.describe()
            );
        }
        assert!(
            !stderr.contains("panicked"),
            "the binary panicked\n{}",
            self.describe()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.describe()))
    }
}

/// A small labeled CSV with three well-separated labels, for fast training runs.
pub fn small_training_csv() -> String {
    let rows = [
        ("Moscow sent troops at the request of Astana", "pro_kremlin"),
        (
            "The Kremlin remains the senior partner in the alliance",
            "pro_kremlin",
        ),
        (
            "Kazakhstan relies on Russian ports for its oil",
            "pro_kremlin",
        ),
        (
            "Russian television calls the north Russian land",
            "pro_kremlin",
        ),
        (
            "Astana deepened integration with Moscow on Moscow's terms",
            "pro_kremlin",
        ),
        (
            "The court jailed activists who protested the invasion",
            "pro_kremlin",
        ),
        (
            "The ministry urged both sides to negotiate",
            "neutral_balancing",
        ),
        (
            "Kazakhstan abstained in the vote at the assembly",
            "neutral_balancing",
        ),
        (
            "The summit took place on Tuesday in the capital",
            "neutral_balancing",
        ),
        (
            "Officials pursue a multi-vector foreign policy",
            "neutral_balancing",
        ),
        (
            "The report was written by a staff correspondent",
            "neutral_balancing",
        ),
        (
            "Trade figures for the quarter were published",
            "neutral_balancing",
        ),
        (
            "Astana refused to recognise the separatist republics",
            "pro_independence",
        ),
        (
            "Kazakhstan will not help evade sanctions",
            "pro_independence",
        ),
        (
            "Thousands rallied in support of Ukraine in Almaty",
            "pro_independence",
        ),
        (
            "Activists demand leaving the alliance led by Moscow",
            "pro_independence",
        ),
        (
            "New routes across the Caspian bypass Russian territory",
            "pro_independence",
        ),
        (
            "The government sent humanitarian aid to Kyiv",
            "pro_independence",
        ),
    ];
    let mut csv = String::from("id,text,label\n");
    for (i, (text, label)) in rows.iter().enumerate() {
        csv.push_str(&format!("{i},{text},{label}\n"));
    }
    csv
}

/// The column options of a model trained on [`small_training_csv`] renamed to
/// `sentence` and `stance`.
pub const RENAMED_COLUMNS: [&str; 4] = ["--text-column", "sentence", "--label-column", "stance"];

/// Writes [`small_training_csv`] as `train.csv` with its columns named `sentence` and
/// `stance`, and trains `model.json` on it (no folds, every term kept).
pub fn train_on_renamed_columns(scratch: &Scratch) {
    let renamed = small_training_csv().replacen("id,text,label", "id,sentence,stance", 1);
    assert!(renamed.starts_with("id,sentence,stance"), "{renamed}");
    scratch.write("train.csv", renamed);
    let mut args = vec![
        "train",
        "--data",
        "train.csv",
        "--out",
        "model.json",
        "--folds",
        "0",
        "--min-df",
        "1",
    ];
    args.extend(RENAMED_COLUMNS);
    scratch.run(&args).success();
}

/// The header of a `suggest` CSV for a model of these text and label columns.
pub fn suggest_header<'a>(text: &'a str, label: &'a str) -> Vec<&'a str> {
    vec![
        "id",
        text,
        label,
        "predicted",
        "confidence",
        "source",
        "previous_sentence",
        "next_sentence",
    ]
}

/// Reads a file, panicking with its name.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
