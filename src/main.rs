//! The `kzstance` binary: parses the command line and hands each subcommand to its module
//! in `cmd`. Errors become exit codes: 0 success, 1 runtime error, 2 usage error (clap's).
//! A closed output pipe (`kzstance classify … | head`) ends quietly with 0.

mod allocator;
mod cmd;

#[global_allocator]
static ALLOCATOR: allocator::SplitAllocator = allocator::SplitAllocator;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kzstance",
    version,
    about = "Stance classifier for news about Kazakhstan between Russia and the West",
    long_about = "Stance classifier for news about Kazakhstan between Russia and the West.\n\n\
        Every sentence gets one of the model's labels (pro_kremlin, neutral_balancing, \
        pro_independence for the shipped model) with class probabilities; every article \
        gets label shares, mean probabilities and a stance index in [-1, 1]. Without \
        --model, commands use the shipped model built into the binary."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Cross-validate on a labeled CSV, then fit on all of it and write a model
    Train(cmd::train::Args),
    /// Classify articles sentence by sentence, with per-article aggregates
    Classify(cmd::classify::Args),
    /// Score a model on a labeled CSV
    Evaluate(cmd::evaluate::Args),
    /// Show the model card and the terms that weigh most for each label
    Inspect(cmd::inspect::Args),
    /// Show which terms pushed each sentence toward its label
    Explain(cmd::explain::Args),
    /// Pick the unlabeled sentences the model is least sure of, as a CSV to label
    Suggest(cmd::suggest::Args),
    /// Write a self-contained HTML report of classified articles
    Report(cmd::report::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => cmd::train::run(args),
        Command::Classify(args) => cmd::classify::run(args),
        Command::Evaluate(args) => cmd::evaluate::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Suggest(args) => cmd::suggest::run(args),
        Command::Report(args) => cmd::report::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if cmd::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kzstance: error: {error:#}");
            ExitCode::from(1)
        }
    }
}
