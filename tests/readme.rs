//! The README's console examples print what the binary prints now.
//!
//! Each ```console block of README.md starts with `$ COMMAND` and shows its output. This runs
//! every such command in the repository directory, with the built binary first on PATH and
//! the environment `scripts/readme_outputs.py` uses, and compares. When a retrained model or
//! a changed table makes an example stale, this fails; `python3 scripts/readme_outputs.py`
//! rewrites the outputs.

use std::path::Path;
use std::process::Command;

use crate::util::repo;

/// Examples left out: `train` cross-validates the whole training file (its figures are
/// checked against models/stance.json by `tests/train.rs`), and `jq` need not be installed.
const NOT_RUN: [&str; 2] = ["kzstance train", "| jq"];

struct Example {
    command: String,
    output: String,
}

fn console_examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line != "```console" {
            continue;
        }
        let command = lines
            .next()
            .and_then(|first| first.strip_prefix("$ "))
            .expect("a console block starts with `$ COMMAND`")
            .to_string();
        let output: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        examples.push(Example {
            command,
            output: output.join("\n"),
        });
    }
    examples
}

fn run_example(command: &str) -> String {
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_kzstance"))
        .parent()
        .expect("the binary's directory");
    let path = format!(
        "{}:{}",
        binary_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("{command} 2>&1"))
        .current_dir(repo())
        .env("PATH", path)
        .env("COLUMNS", "120")
        .output()
        .expect("bash runs");
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .trim_end_matches('\n')
        .to_string()
}

#[test]
fn the_readme_examples_show_what_the_commands_print() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let examples = console_examples(&readme);
    let checked: Vec<&Example> = examples
        .iter()
        .filter(|e| !NOT_RUN.iter().any(|skip| e.command.contains(skip)))
        .collect();
    assert!(
        checked.len() >= 7,
        "expected at least 7 runnable console examples in README.md, found {} of {}",
        checked.len(),
        examples.len()
    );
    let stale: Vec<String> = checked
        .iter()
        .filter_map(|example| {
            let now = run_example(&example.command);
            (now != example.output).then(|| {
                format!(
                    "$ {}\n--- README shows:\n{}\n--- the command prints:\n{}",
                    example.command, example.output, now
                )
            })
        })
        .collect();
    assert!(
        stale.is_empty(),
        "README examples are stale (run `python3 scripts/readme_outputs.py`):\n\n{}",
        stale.join("\n\n")
    );
}

#[test]
fn console_blocks_are_read_with_their_output() {
    let readme = "text\n```console\n$ kzstance a | head -2\nline 1\nline 2\n```\n\
                  ```sh\nnot this\n```\n```console\n$ kzstance b\n```\n";
    let examples = console_examples(readme);
    assert_eq!(examples.len(), 2);
    assert_eq!(examples[0].command, "kzstance a | head -2");
    assert_eq!(examples[0].output, "line 1\nline 2");
    assert_eq!(examples[1].command, "kzstance b");
    assert_eq!(examples[1].output, "");
}

/// Line numbers of fences that cannot be right: inside an open block, a fence with an info
/// string (```console) is not a closing fence, so the block runs on and swallows what
/// follows; and a block still open at the end.
fn unbalanced_fences(markdown: &str) -> Vec<usize> {
    let mut open: Option<usize> = None;
    let mut wrong = Vec::new();
    for (number, line) in (1..).zip(markdown.lines()) {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        match open {
            None => open = Some(number),
            Some(_) if info.is_empty() => open = None,
            Some(_) => wrong.push(number),
        }
    }
    wrong.extend(open);
    wrong
}

#[test]
fn every_command_has_a_readme_section_and_every_block_closes() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    assert_eq!(
        unbalanced_fences(&readme),
        Vec::<usize>::new(),
        "README.md fences"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_kzstance"))
        .arg("--help")
        .output()
        .expect("kzstance --help runs");
    let help = String::from_utf8(help.stdout).expect("UTF-8 help");
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(
        commands.len() >= 7,
        "commands found in --help: {commands:?}"
    );
    let missing: Vec<&&str> = commands
        .iter()
        .filter(|name| !readme.lines().any(|l| l == format!("### {name}")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md has no section for {missing:?}"
    );
}

#[test]
fn a_fence_with_an_info_string_does_not_close_a_block() {
    assert_eq!(
        unbalanced_fences("```sh\na\n```\n```text\nb\n```\n"),
        Vec::<usize>::new()
    );
    assert_eq!(
        unbalanced_fences("```text\nb\n```console\nc\n```\n"),
        vec![3]
    );
    assert_eq!(unbalanced_fences("```text\nb\n"), vec![1]);
}
