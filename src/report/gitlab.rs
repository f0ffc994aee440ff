//! `--format gitlab`: a GitLab Code Quality report (the subset of the Code Climate issue format
//! GitLab reads), for the merge request widget and diff view: one issue per finding, with a
//! repository-relative path and a fingerprint that survives edits which move lines.

use serde::Serialize;

use super::SrcRoot;
use crate::diagnostic::{Finding, NOT_DEPLOYED, Severity};
use crate::report::Report;

/// One issue. GitLab requires `description`, `check_name`, `fingerprint`, `severity`,
/// `location.path` and `location.lines.begin`; `type` and `categories` make it a Code Climate
/// issue too, and `engine_name` says which tool found it when a pipeline merges several reports.
#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    engine_name: &'static str,
    check_name: &'static str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

pub fn render(report: &Report, root: &SrcRoot) -> String {
    // GitLab shows only the first issue of a fingerprint: SARIF's are unique within a report.
    let prints = super::sarif::fingerprints(report, root);
    let issues: Vec<Issue> = report
        .findings
        .iter()
        .zip(prints)
        .map(|(f, fingerprint)| issue(report, root, f, fingerprint))
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("the issues serialise");
    out.push('\n');
    out
}

fn issue(report: &Report, root: &SrcRoot, f: &Finding, fingerprint: String) -> Issue {
    let display = &report.file(f.location.file).path;
    // GitLab resolves the path against the repository root and wants no `./`; standard input
    // and files outside the repository keep the path as given (GitLab links them to nothing).
    let path = root
        .relative(display)
        .unwrap_or_else(|| display.to_string());
    let mut description = super::message(f);
    if !f.deployed {
        description.push_str(&format!(" ({NOT_DEPLOYED})"));
    }
    Issue {
        kind: "issue",
        engine_name: "cilint",
        check_name: f.rule,
        description,
        // Every rule reports configuration the controllers would not act on as intended.
        categories: ["Bug Risk"],
        severity: severity(f.severity),
        fingerprint,
        location: IssueLocation {
            path,
            lines: Lines {
                begin: f.location.span.start.line,
                end: f.location.span.end.line,
            },
        },
    }
}

/// GitLab's scale is info, minor, major, critical, blocker. An error is `major`, as linters'
/// GitLab reports give their errors (PHPStan, rumdl): the widget orders findings by severity,
/// and a manifest the controller rejects ranks with the other linters' errors, not above them;
/// `critical` and `blocker` stay for security scanners. A warning is `minor`, a note `info`.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}
