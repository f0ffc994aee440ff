//! A report's findings as the protocol's diagnostics, file by file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::convert::{Encoding, range, uri_of};
use crate::Report;
use crate::diagnostic::{Finding, Severity};
use crate::source::Location;
use crate::workspace::Workspace;

/// The page of a rule, for `codeDescription`: the rule's Markdown page as published with the
/// crate (the package includes `rules/`), at this version.
pub fn rule_page(rule: &str) -> String {
    format!(
        "https://docs.rs/crate/cilint/{}/source/rules/{rule}.md",
        env!("CARGO_PKG_VERSION")
    )
}

/// The diagnostics of every file that has findings, by absolute path.
pub fn of_report(
    report: &Report,
    workspace: &Workspace,
    encoding: Encoding,
) -> BTreeMap<PathBuf, Vec<Value>> {
    let mut out: BTreeMap<PathBuf, Vec<Value>> = BTreeMap::new();
    for f in &report.findings {
        let path = workspace.absolute(&report.file(f.location.file).path);
        out.entry(path)
            .or_default()
            .push(diagnostic(f, report, workspace, encoding));
    }
    out
}

/// The text a location is in: the one linted (the editor's, for an open file), else the
/// workspace's current text when the report kept none.
fn text_of<'a>(report: &'a Report, workspace: &'a Workspace, l: Location) -> &'a str {
    let file = report.file(l.file);
    if !file.text.is_empty() {
        return &file.text;
    }
    workspace
        .text(&workspace.absolute(&file.path))
        .unwrap_or_default()
}

/// The protocol range of a location.
pub fn range_of(report: &Report, workspace: &Workspace, l: Location, encoding: Encoding) -> Value {
    let s = l.span;
    range(
        text_of(report, workspace, l),
        (s.start.line, s.start.col),
        (s.end.line, s.end.col),
        encoding,
    )
}

/// The message as the human format shows it: the message, then the help and the controller's
/// condition. Findings never carry a Secret's value.
pub fn message(f: &Finding) -> String {
    let mut m = crate::report::message(f);
    if let Some(help) = &f.help {
        m.push_str(&format!("\nhelp: {help}"));
    }
    if let Some(c) = &f.condition {
        m.push_str(&format!("\ncontroller: {c}"));
    }
    m
}

fn diagnostic(f: &Finding, report: &Report, workspace: &Workspace, encoding: Encoding) -> Value {
    let severity = match f.severity {
        Severity::Error => 1,
        Severity::Warning => 2,
        Severity::Note => 3,
    };
    let related: Vec<Value> = f
        .related
        .iter()
        .map(|r| {
            let path = workspace.absolute(&report.file(r.location.file).path);
            json!({
                "location": {
                    "uri": uri_of(&path),
                    "range": range_of(report, workspace, r.location, encoding),
                },
                "message": r.message,
            })
        })
        .collect();
    let mut d = json!({
        "range": range_of(report, workspace, f.location, encoding),
        "severity": severity,
        "code": f.rule,
        "codeDescription": {"href": rule_page(f.rule)},
        "source": "cilint",
        "message": message(f),
    });
    if !related.is_empty() {
        d["relatedInformation"] = Value::Array(related);
    }
    d
}
