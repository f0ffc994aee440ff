//! cilint: an offline, cross-object linter for Kubernetes manifests that use Cilium and the
//! Gateway API.
//!
//! The pipeline runs one way: discover → load → index → check → report.

pub mod catalog;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod load;
pub mod model;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use catalog::{Catalog, FileContents};
use config::Config;
use diagnostic::{Finding, Severity};
use discover::InputError;
use source::yaml::YamlError;
use source::{FileId, Pos, SourceFile};

/// What a run is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where objects without `metadata.namespace` land, as with `kubectl apply -n`.
    pub namespace: String,
    /// The text of standard input, when `-` is among the paths.
    pub stdin: Option<String>,
    /// Rule settings, excluded paths and external objects (`.cilint.yaml`).
    pub config: Config,
    /// Lint everything, but report only the findings located in these files (pre-commit).
    pub report_only: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: "default".into(),
            stdin: None,
            config: Config::default(),
            report_only: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub objects: usize,
    pub skipped_documents: usize,
    pub commands: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Summary {
    pub fn findings(&self) -> usize {
        self.errors + self.warnings + self.notes
    }
}

/// The outcome of a run: the files read (renderers show snippets of them), the findings in their
/// final order, and the inputs that could not be read.
pub struct Report {
    pub files: Vec<SourceFile>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub input_errors: Vec<InputError>,
}

impl Report {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Whether any finding is at or above `level`.
    pub fn fails_at(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity <= level)
    }
}

/// Lints the given paths (files, directories, `-` for standard input).
pub fn lint(paths: &[String], options: &Options) -> Report {
    let (candidates, mut input_errors) = discover::discover(paths, &options.config);

    // load: read and parse every file in parallel; a panic in one file is that file's error.
    // An unreadable file keeps its place (and FileId) with empty text.
    let loaded: Vec<(SourceFile, FileContents, Option<InputError>)> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let (source, valid) = match load::read(c, options.stdin.as_deref()) {
                Ok(read) => read,
                Err(message) => {
                    let error = InputError {
                        path: c.path.clone(),
                        message,
                    };
                    let empty = SourceFile {
                        path: c.path.clone(),
                        kind: c.kind,
                        text: "".into(),
                    };
                    return (empty, FileContents::default(), Some(error));
                }
            };
            let file = FileId(i as u32);
            let contents = catch_unwind(AssertUnwindSafe(|| {
                load::parse(file, &source, valid, &options.namespace)
            }))
            .unwrap_or_else(|_| FileContents {
                yaml_error: Some(YamlError {
                    pos: Pos {
                        line: 1,
                        col: 1,
                        byte: 0,
                    },
                    message: "internal error while loading this file (please report it)".into(),
                }),
                ..Default::default()
            });
            (source, contents, None)
        })
        .collect();

    let mut files = Vec::with_capacity(loaded.len());
    let mut contents = Vec::with_capacity(loaded.len());
    let mut unreadable = 0;
    for (i, (source, c, error)) in loaded.into_iter().enumerate() {
        if let Some(e) = error {
            unreadable += 1;
            input_errors.push(e);
        }
        contents.push((FileId(i as u32), c));
        files.push(source);
    }

    // index
    let commands = contents.iter().map(|(_, c)| c.commands.len()).sum();
    let catalog = Catalog::build(contents, &options.namespace, &options.config.external);

    // check: the enabled rules in parallel, then one deterministic order.
    let mut findings: Vec<Finding> = rules::RULES
        .par_iter()
        .filter(|rule| options.config.enabled(rule.meta.id))
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            (rule.check)(&catalog, &mut out);
            out
        })
        .collect();
    findings = suppress::apply(findings, &catalog, &|id| options.config.enabled(id));
    for f in &mut findings {
        if let Some(severity) = options.config.severity(f.rule) {
            f.severity = severity;
        }
    }
    if let Some(only) = &options.report_only {
        let wanted: HashSet<PathBuf> = only.iter().map(|p| comparable(p)).collect();
        findings.retain(|f| wanted.contains(&comparable(&files[f.location.file.0 as usize].path)));
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();

    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        files: files.len() - unreadable,
        objects: catalog.manifest_objects,
        skipped_documents: catalog.skipped_documents,
        commands,
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Note),
    };
    Report {
        files,
        findings,
        summary,
        input_errors,
    }
}

/// A path in a form two spellings of the same file share (`./a.yaml`, `a.yaml`, `/repo/a.yaml`).
fn comparable(path: &str) -> PathBuf {
    let p = Path::new(path);
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}
