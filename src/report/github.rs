//! `--format github`: one GitHub Actions workflow command per finding, which the runner turns
//! into an annotation on the file and lines.

use super::SrcRoot;
use crate::diagnostic::{Finding, Severity};
use crate::report::Report;

pub fn render(report: &Report, root: &SrcRoot) -> String {
    report
        .findings
        .iter()
        .map(|f| command(report, root, f) + "\n")
        .collect()
}

fn command(report: &Report, root: &SrcRoot, f: &Finding) -> String {
    let name = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let display = &report.file(f.location.file).path;
    // The runner resolves relative paths against the workspace, the repository's root.
    let file = root
        .relative(display)
        .unwrap_or_else(|| display.to_string());
    let (start, end) = (f.location.span.start, f.location.span.end);
    let mut props = vec![
        ("file", file),
        ("line", start.line.to_string()),
        ("endLine", end.line.to_string()),
    ];
    // The runner drops columns when the lines differ.
    if start.line == end.line {
        props.push(("col", start.col.to_string()));
        props.push(("endColumn", end.col.to_string()));
    }
    props.push(("title", format!("cilint({})", f.rule)));
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    format!(
        "::{name} {}::{}",
        props.join(","),
        escape_data(&super::full_message(f))
    )
}

/// The escaping of a command's message, as `escapeData` in @actions/core's `command.ts`.
pub fn escape_data(s: &str) -> String {
    escape(s, false)
}

/// The escaping of a command's property values, as `escapeProperty` in @actions/core's
/// `command.ts`: the message's, and `:` and `,`, which delimit properties.
pub fn escape_property(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}
