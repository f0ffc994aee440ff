//! `--fix`, `--diff`, `--unsafe-fixes`: the findings' fixes as new texts of the files linted,
//! shown as a unified diff or written in place.
//!
//! Edits are grouped per file; an edit overlapping one already taken drops its whole fix (the
//! first, in report order, wins); edits apply from the end of the file backwards. A file is
//! written only inside the paths linted, never through a symlink, and never when its bytes are no
//! longer those the fixes were computed from.

pub mod resolve;
mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Applicability, Edit, Finding};
use crate::report::Report;

pub use resolve::resolve;
pub use write::{Scope, write};

/// What `--fix` applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Safe fixes only.
    Safe,
    /// Safe and unsafe fixes (`--unsafe-fixes`).
    Unsafe,
}

impl Mode {
    pub fn applies(self, a: Applicability) -> bool {
        self == Mode::Unsafe || a == Applicability::Safe
    }
}

/// One file's change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// The path as reached from the input paths.
    pub path: String,
    /// The text the fixes were computed from; `None` for a file to create.
    pub old: Option<Arc<str>>,
    pub new: String,
}

/// The changes of one pass, in path order.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    /// Findings whose fix is in the plan.
    pub fixes: usize,
    /// The files each of those fixes changes.
    pub fix_files: Vec<Vec<String>>,
    /// Findings with an unsafe fix that the mode leaves out.
    pub unsafe_left: usize,
}

/// The changes the fixes of `report` make, for `mode`, limited to the files `allowed` accepts
/// (the hook fixes only the files it reports).
pub fn plan(report: &Report, mode: Mode, allowed: &dyn Fn(&str) -> bool) -> Plan {
    let mut plan = Plan::default();
    // Per file: the accepted byte ranges with their text, in the order accepted.
    let mut replaced: BTreeMap<String, Vec<(usize, usize, String)>> = BTreeMap::new();
    let mut created: BTreeMap<String, String> = BTreeMap::new();
    let mut texts: BTreeMap<String, Arc<str>> = BTreeMap::new();
    for f in &report.findings {
        let Some(fix) = &f.fix else { continue };
        if !fix.resolved() {
            continue;
        }
        if !mode.applies(fix.applicability) {
            plan.unsafe_left += 1;
            continue;
        }
        if take(report, f, allowed, &mut replaced, &mut created, &mut texts) {
            plan.fixes += 1;
            plan.fix_files.push(edited_files(report, f));
        }
    }
    for (path, mut edits) in replaced {
        let old = texts.remove(&path).expect("every edited file has its text");
        edits.sort_by_key(|a| (a.0, a.1));
        let mut new = old.to_string();
        for (start, end, content) in edits.iter().rev() {
            new.replace_range(*start..*end, content);
        }
        if new != *old {
            plan.changes.push(FileChange {
                path,
                old: Some(old),
                new,
            });
        }
    }
    for (path, new) in created {
        plan.changes.push(FileChange {
            path,
            old: None,
            new,
        });
    }
    plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    plan
}

fn edited_files(report: &Report, f: &Finding) -> Vec<String> {
    let fix = f.fix.as_ref().expect("only findings with a fix");
    fix.edits
        .iter()
        .filter_map(|e| match e {
            Edit::Replace { location, .. } => Some(report.file(location.file).path.to_string()),
            Edit::Create { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}

/// Takes every edit of `f`'s fix, or none when one overlaps an edit taken before (an identical
/// edit, the same fix found in two clusters, is taken once).
fn take(
    report: &Report,
    f: &Finding,
    allowed: &dyn Fn(&str) -> bool,
    replaced: &mut BTreeMap<String, Vec<(usize, usize, String)>>,
    created: &mut BTreeMap<String, String>,
    texts: &mut BTreeMap<String, Arc<str>>,
) -> bool {
    let fix = f.fix.as_ref().expect("only findings with a fix");
    let mut new_ranges: Vec<(String, usize, usize, String)> = Vec::new();
    let mut new_files: Vec<(String, String)> = Vec::new();
    for edit in &fix.edits {
        match edit {
            Edit::Replace { location, content } => {
                let file = report.file(location.file);
                let (start, end) = (
                    location.span.start.byte as usize,
                    location.span.end.byte as usize,
                );
                if file.text.is_empty()
                    || !allowed(&file.path)
                    || file.text.get(start..end).is_none()
                {
                    return false;
                }
                let taken = replaced.get(&*file.path).map_or(&[][..], |v| &v[..]);
                let same = |&(s, e, ref c): &(usize, usize, String)| {
                    s == start && e == end && *c == *content
                };
                if taken.iter().any(same) {
                    continue;
                }
                let overlaps = |&(s, e, _): &(usize, usize, String)| {
                    (s < end && start < e) || (s == start && (s == e || start == end))
                };
                if taken.iter().any(overlaps)
                    || new_ranges
                        .iter()
                        .any(|(p, s, e, _)| **p == *file.path && overlaps(&(*s, *e, String::new())))
                {
                    return false;
                }
                texts
                    .entry(file.path.to_string())
                    .or_insert_with(|| file.text.clone());
                new_ranges.push((file.path.to_string(), start, end, content.clone()));
            }
            Edit::Create { path, content } => {
                if !allowed(path) {
                    return false;
                }
                match created.get(path) {
                    Some(c) if c == content => {}
                    Some(_) => return false,
                    None => new_files.push((path.clone(), content.clone())),
                }
            }
            Edit::Rename { .. }
            | Edit::AddInfrastructureLabels { .. }
            | Edit::InsertAfter { .. }
            | Edit::CreateBeside { .. } => {
                return false;
            }
        }
    }
    for (path, s, e, c) in new_ranges {
        replaced.entry(path).or_default().push((s, e, c));
    }
    created.extend(new_files);
    true
}

/// The unified diff of a plan, file after file (`--diff`).
pub fn diff(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        let old = c.old.as_deref().unwrap_or("");
        // `a/dir/file`, as git writes it; an absolute path keeps one slash.
        let path = c.path.trim_start_matches('/');
        let (from, to) = match c.old {
            Some(_) => (format!("a/{path}"), format!("b/{path}")),
            None => ("/dev/null".to_string(), format!("b/{path}")),
        };
        let text = similar::TextDiff::from_lines(old, &c.new)
            .unified_diff()
            .context_radius(3)
            .header(&from, &to)
            .to_string();
        out.push_str(&text);
    }
    out
}

/// What a `--fix` run did, over all its passes.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings fixed.
    pub fixed: usize,
    /// Files skipped, with why (a symlink, outside the paths linted, changed since read).
    pub skipped: Vec<String>,
}

/// Passes of lint, plan and write until nothing is left to fix (a fix may only apply once a
/// conflicting one has), at most `MAX_PASSES`; returns the last lint's report.
pub fn run(
    lint: &dyn Fn() -> Report,
    mode: Mode,
    scope: &Scope,
    allowed: &dyn Fn(&str) -> bool,
) -> (Report, Outcome) {
    const MAX_PASSES: usize = 10;
    let mut outcome = Outcome::default();
    let mut report = lint();
    for _ in 0..MAX_PASSES {
        let plan = plan(&report, mode, allowed);
        if plan.changes.is_empty() {
            break;
        }
        let written = write(&plan, scope);
        outcome.skipped.extend(written.skipped);
        if written.written.is_empty() {
            break;
        }
        outcome.fixed += plan
            .fix_files
            .iter()
            .filter(|files| files.iter().all(|f| written.written.contains(f)))
            .count();
        report = lint();
    }
    outcome.skipped.sort();
    outcome.skipped.dedup();
    (report, outcome)
}

/// The line ruff prints after a fix: `Fixed N findings (M remaining; K more fixable with
/// --unsafe-fixes)`.
pub fn summary(outcome: &Outcome, report: &Report, mode: Mode) -> String {
    let remaining = report.findings.len();
    let unsafe_left = match mode {
        Mode::Safe => report
            .findings
            .iter()
            .filter(|f| {
                f.fix
                    .as_ref()
                    .is_some_and(|x| x.applicability == Applicability::Unsafe)
            })
            .count(),
        Mode::Unsafe => 0,
    };
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let mut line = format!(
        "Fixed {} finding{} ({remaining} remaining",
        outcome.fixed,
        s(outcome.fixed)
    );
    if unsafe_left > 0 {
        line.push_str(&format!("; {unsafe_left} more fixable with --unsafe-fixes"));
    }
    line.push_str(")\n");
    for note in &outcome.skipped {
        line.push_str(&format!("note: {note}\n"));
    }
    line
}

/// The paths a run may write: the input paths, made absolute.
pub fn roots(paths: &[String]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|p| *p != crate::discover::STDIN)
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect()
}
