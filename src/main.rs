//! The command line: parse arguments, call the library, print, exit.

mod cli;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;

use cilint::diagnostic::Severity;
use cilint::report::{self, Format, Style};
use cilint::rules;
use cli::{Cli, ColorArg, Command, FormatArg};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Rules) => print_rules(),
        Some(Command::Explain { rule }) => explain(rule),
        None => lint(&cli),
    }
}

fn print_rules() -> ExitCode {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<32} {:<12} {:<8} {}\n",
        "RULE", "CATEGORY", "SEVERITY", "SUMMARY"
    ));
    for r in rules::RULES {
        out.push_str(&format!(
            "{:<32} {:<12} {:<8} {}\n",
            r.meta.id,
            r.meta.category.as_str(),
            r.meta.severity.as_str(),
            r.meta.summary
        ));
    }
    write_stdout(&out)
}

fn explain(rule: &str) -> ExitCode {
    match rules::doc(rule) {
        Some(page) => write_stdout(page),
        None => {
            let ids = rules::RULES.iter().map(|r| r.meta.id);
            let hint = cilint::model::suggest::closest(rule, ids)
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            eprintln!("error: no rule `{rule}`{hint}; `cilint rules` lists them");
            ExitCode::from(2)
        }
    }
}

fn lint(cli: &Cli) -> ExitCode {
    let mut options = cilint::Options {
        namespace: cli.namespace.clone(),
        stdin: None,
    };
    if cli.paths.iter().any(|p| p == cilint::discover::STDIN) {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: cannot read standard input: {e}");
            return ExitCode::from(2);
        }
        options.stdin = Some(text);
    }
    let report = cilint::lint(&cli.paths, &options);
    for e in &report.input_errors {
        eprintln!("error: {}: {}", e.path, e.message);
    }
    let color = match cli.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let format = match cli.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
    };
    let style = Style {
        color,
        width: terminal_width(),
    };
    let code = write_stdout(&report::render(&report, format, style));
    if code != ExitCode::SUCCESS {
        return code;
    }
    if !report.input_errors.is_empty() {
        ExitCode::from(2)
    } else if report.fails_at(Severity::Warning) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Writes to stdout; a closed pipe (`cilint … | head`) is not an error worth a panic.
fn write_stdout(s: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            ExitCode::from(2)
        }
    }
}
