//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use cilint::report::{self, Format, Style};
use cilint::{Options, Report};

/// Writes `bytes` to `rel` under `dir`, creating its directories.
pub fn write(dir: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A repository in a temporary directory holding `files`: `.git` marks its root, where the
/// configuration search stops.
pub fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    dir
}

/// Lints paths relative to the crate root with a default namespace.
pub fn lint_ns(paths: &[&str], namespace: &str) -> Report {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    cilint::lint(
        &paths,
        &Options {
            namespace: namespace.into(),
            ..Options::default()
        },
    )
}

/// [`lint_ns`] with the configuration the command line would read for these paths (a
/// `.cilint.yaml` found from the working directory, else from the one directory linted).
pub fn lint_configured(paths: &[&str], namespace: &str) -> Report {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let config = cilint::config::find_for_run(&paths)
        .map(|p| cilint::config::load(&p, &cilint::rules::ids()).expect("the configuration loads"))
        .unwrap_or_default();
    cilint::lint(
        &paths,
        &Options {
            namespace: namespace.into(),
            config,
            ..Options::default()
        },
    )
}

pub fn lint(paths: &[&str]) -> Report {
    lint_ns(paths, "default")
}

/// Human output as a terminal without colour, 100 columns wide, would show it.
pub fn human(report: &Report) -> String {
    report::render(report, Format::Human, Style::default())
}

pub fn json(report: &Report) -> String {
    report::render(report, Format::Json, Style::default())
}

/// The rule ids of a report's findings, in report order.
pub fn rules_of(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.rule).collect()
}
