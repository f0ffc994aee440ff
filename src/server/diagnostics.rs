//! A report's findings as the protocol's diagnostics, file by file.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use super::convert::{Encoding, plain_range, range, uri_of};
use crate::Report;
use crate::diagnostic::{Finding, Severity};
use crate::source::{FileId, Location};
use crate::workspace::Workspace;

/// What a file's diagnostics were last converted from, as a digest of everything a conversion
/// reads (see [`inputs`]), and the digest of the diagnostics it gave. After an edit most files'
/// findings are the same as before, and converting every location to the protocol's columns
/// again was a third of the time from a keystroke to its diagnostics on a 10k-object tree. Neither
/// the diagnostics nor the findings are kept: as JSON values the diagnostics weighed as much as
/// the workspace's YAML, and copies of the findings were the server's largest holding after the
/// workspace's.
pub struct Converted {
    inputs: u64,
    digest: u64,
}

/// A file's diagnostics as converted anew, with their digest.
pub struct Diagnostics {
    pub digest: u64,
    pub values: Vec<Value>,
}

/// Gives `each` every file that has findings, by absolute path, with its diagnostics when they
/// were converted again, `None` when they are those `cache` holds the digest of (and the
/// client has, `published` says). `cache` keeps each file's conversion for the next report (the
/// caller drops the files that have none). One file at a time: the whole tree's diagnostics are
/// never held at once.
pub fn of_report(
    report: &Report,
    workspace: &Workspace,
    encoding: Encoding,
    cache: &mut HashMap<PathBuf, Converted>,
    published: &dyn Fn(&PathBuf, u64) -> bool,
    each: &mut dyn FnMut(PathBuf, Option<Diagnostics>),
) {
    let mut by_file: BTreeMap<FileId, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_file.entry(f.location.file).or_default().push(f);
    }
    for (file, findings) in by_file {
        let path = workspace.absolute(&report.file(file).path);
        let inputs = inputs(&findings, report, workspace);
        let unchanged = cache
            .get(&path)
            .is_some_and(|c| Some(c.inputs) == inputs && published(&path, c.digest));
        if unchanged {
            each(path, None);
            continue;
        }
        let values: Vec<Value> = findings
            .iter()
            .map(|f| diagnostic(f, report, workspace, encoding))
            .collect();
        let digest = digest(&values);
        if let Some(inputs) = inputs {
            cache.insert(path.clone(), Converted { inputs, digest });
        }
        each(path, Some(Diagnostics { digest, values }));
    }
}

/// A digest of what converting `findings` reads: what each says and where, and the name and
/// text of every file they point into (positions mean what they meant while the text is the
/// same). `None` when a file could not be read: not cached. Two inputs alike in digest but not
/// in content would keep stale diagnostics; at 64 bits, that is not a risk to design for.
fn inputs(findings: &[&Finding], report: &Report, workspace: &Workspace) -> Option<u64> {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::quality::FixedState::default().build_hasher();
    let mut ids = Vec::new();
    findings.len().hash(&mut h);
    for f in findings {
        (
            f.rule,
            f.severity,
            &f.message,
            &f.help,
            &f.condition,
            &f.cluster,
        )
            .hash(&mut h);
        f.location.hash(&mut h);
        ids.push(f.location.file);
        f.related.len().hash(&mut h);
        for r in &f.related {
            (r.location, &r.message).hash(&mut h);
            ids.push(r.location.file);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        (&*report.file(id).path, workspace.linted_digest(id)?).hash(&mut h);
    }
    Some(h.finish())
}

/// The files the report could not read (over `max-file-size`, unreadable, gone) as one
/// diagnostic each at their first character: in the editor, a file cilint skips says so. A
/// directory discovery could not walk has no document to show it in.
pub fn of_input_errors(
    report: &Report,
    workspace: &Workspace,
    each: &mut dyn FnMut(PathBuf, Option<Diagnostics>),
) {
    let mut by_file: BTreeMap<PathBuf, Vec<Value>> = BTreeMap::new();
    for e in &report.input_errors {
        let path = workspace.absolute(&e.path);
        if path.is_dir() {
            continue;
        }
        by_file.entry(path).or_default().push(json!({
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "severity": 1,
            "source": "cilint",
            "message": format!("cilint cannot lint this file: {}", e.message),
        }));
    }
    for (path, values) in by_file {
        let digest = digest(&values);
        each(path, Some(Diagnostics { digest, values }));
    }
}

/// What tells two lists of diagnostics apart.
pub fn digest(diagnostics: &[Value]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::default().hash_one(diagnostics)
}

/// The text a location's columns are counted in: the one linted (the editor's, for an open
/// file). `None` when the columns are the protocol's without it (an ASCII text), so the
/// workspace need not read it again from disk.
fn text_of(report: &Report, workspace: &Workspace, l: Location) -> Option<Arc<str>> {
    let file = report.file(l.file);
    if !file.text.is_empty() {
        return Some(file.text.clone());
    }
    if workspace.plain_columns(l.file) {
        return None;
    }
    Some(workspace.linted_text(l.file).unwrap_or_default())
}

/// The protocol range of a location.
pub fn range_of(report: &Report, workspace: &Workspace, l: Location, encoding: Encoding) -> Value {
    let s = l.span;
    let (start, end) = ((s.start.line, s.start.col), (s.end.line, s.end.col));
    match text_of(report, workspace, l) {
        Some(text) => range(&text, start, end, encoding),
        None => plain_range(start, end),
    }
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
        "codeDescription": {"href": super::pages::href(f.rule)},
        "source": "cilint",
        "message": message(f),
    });
    if !related.is_empty() {
        d["relatedInformation"] = Value::Array(related);
    }
    d
}
