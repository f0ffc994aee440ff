//! Code actions: the fixes of `--fix` (safe ones preferred, unsafe ones offered as suggestions),
//! and "suppress this finding" with a `# cilint-ignore <rule>` comment on the line before.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::convert::{Encoding, line_of, uri_of};
use super::diagnostics::range_of;
use crate::Report;
use crate::diagnostic::{Applicability, Edit, Finding};
use crate::source::FileKind;
use crate::workspace::Workspace;

/// What the client can apply.
#[derive(Clone, Copy, Debug, Default)]
pub struct Support {
    /// `workspace.workspaceEdit.documentChanges` with the `create` resource operation.
    pub create_files: bool,
}

/// The actions for the findings of `path` on 0-based lines `first..=last`.
pub fn actions(
    report: &Report,
    workspace: &Workspace,
    path: &Path,
    (first, last): (u32, u32),
    encoding: Encoding,
    support: Support,
) -> Vec<Value> {
    let Some(name) = workspace.report_path(path) else {
        return Vec::new();
    };
    // The lint left the fixes unresolved: resolved here, for these findings only.
    let mut resolved: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| {
            let file = report.file(f.location.file);
            let (start, end) = (f.location.span.start.line - 1, f.location.span.end.line - 1);
            *file.path == *name && end >= first && start <= last
        })
        .cloned()
        .collect();
    workspace.resolve_fixes(&mut resolved);
    let mut out = Vec::new();
    for f in &resolved {
        let diagnostic = super::diagnostics::message(f);
        let diagnostics = json!([{
            "range": range_of(report, workspace, f.location, encoding),
            "code": f.rule,
            "codeDescription": {"href": super::pages::href(f.rule)},
            "source": "cilint",
            "message": diagnostic,
        }]);
        if let Some(action) = fix_action(f, report, workspace, encoding, support) {
            let mut action = action;
            action["diagnostics"] = diagnostics.clone();
            out.push(action);
        }
        let kind = report.file(f.location.file).kind;
        if let Some(action) = suppress_action(f, kind, workspace, path) {
            let mut action = action;
            action["diagnostics"] = diagnostics;
            out.push(action);
        }
    }
    out
}

/// The finding's fix as a workspace edit; `None` when it has none, or it creates a file and the
/// client cannot.
fn fix_action(
    f: &Finding,
    report: &Report,
    workspace: &Workspace,
    encoding: Encoding,
    support: Support,
) -> Option<Value> {
    let fix = f.fix.as_ref()?;
    let mut edits: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut created = Vec::new();
    for e in &fix.edits {
        match e {
            Edit::Replace { location, content } => {
                let path = workspace.absolute(&report.file(location.file).path);
                edits.entry(uri_of(&path)).or_default().push(json!({
                    "range": range_of(report, workspace, *location, encoding),
                    "newText": content,
                }));
            }
            Edit::Create { path, content } => {
                if !support.create_files {
                    return None;
                }
                created.push((uri_of(&workspace.absolute(path)), content.clone()));
            }
            // The fix stage resolves every other edit into these two; one left is not offered.
            _ => return None,
        }
    }
    let edit = if created.is_empty() {
        json!({"changes": edits})
    } else {
        let mut changes = Vec::new();
        for (uri, content) in created {
            changes.push(json!({"kind": "create", "uri": uri, "options": {"overwrite": false, "ignoreIfExists": false}}));
            changes.push(json!({
                "textDocument": {"uri": uri, "version": null},
                "edits": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "newText": content}],
            }));
        }
        for (uri, edits) in edits {
            changes.push(json!({"textDocument": {"uri": uri, "version": null}, "edits": edits}));
        }
        json!({"documentChanges": changes})
    };
    let safe = fix.applicability == Applicability::Safe;
    let title = if safe {
        fix.message.clone()
    } else {
        format!("(unsafe) {}", fix.message)
    };
    Some(json!({
        "title": title,
        "kind": "quickfix",
        "isPreferred": safe,
        "edit": edit,
    }))
}

/// `# cilint-ignore <rule>` on the line before the finding, indented as its line, where cilint
/// honours it: YAML and shell files, and inside a Markdown code block. A command on the first
/// line of a Markdown code block is suppressed by `<!-- cilint-ignore <rule> -->` right before
/// the block, which covers the whole block (a fence cannot hold a comment). JSON has no comments;
/// Terraform is never linted.
fn suppress_action(
    f: &Finding,
    kind: FileKind,
    workspace: &Workspace,
    path: &Path,
) -> Option<Value> {
    let text = workspace.text(path)?;
    let line = f.location.span.start.line - 1;
    let (at, directive, scope) = match kind {
        FileKind::Yaml | FileKind::Shell => (line, hash_directive(&text, line, f.rule), "line"),
        FileKind::Markdown => markdown_directive(&text, line, f.rule)?,
        FileKind::Json | FileKind::Terraform => return None,
    };
    let at = json!({"line": at, "character": 0});
    Some(json!({
        "title": format!("Suppress {} for this {scope}", f.rule),
        "kind": "quickfix",
        "isPreferred": false,
        "edit": {"changes": {uri_of(path): [{
            "range": {"start": at, "end": at},
            "newText": directive,
        }]}},
    }))
}

/// The leading spaces and tabs of 0-based line `line`.
fn indent_of(text: &str, line: u32) -> String {
    line_of(text, line as usize)
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

fn hash_directive(text: &str, line: u32, rule: &str) -> String {
    format!(
        "{}# {} {rule}\n",
        indent_of(text, line),
        crate::source::suppress::DIRECTIVE
    )
}

/// Where and what to insert for a finding on 0-based `line` of a Markdown file, and what it
/// covers; `None` outside code blocks.
fn markdown_directive(text: &str, line: u32, rule: &str) -> Option<(u32, String, &'static str)> {
    let index = crate::source::LineIndex::new(text);
    let (first, last) = crate::source::commands::markdown_parts(text)
        .into_iter()
        .find_map(|part| match part {
            crate::source::commands::MarkdownPart::CodeBlock(r) => {
                let first = index.pos_of_byte(r.start).line - 1;
                let last = index.pos_of_byte(r.end.saturating_sub(1)).line - 1;
                (first..=last).contains(&line).then_some((first, last))
            }
            _ => None,
        })?;
    let opener = line_of(text, first as usize).trim_start();
    let fenced = opener.starts_with("```") || opener.starts_with("~~~");
    if line > first + u32::from(fenced) && line <= last {
        return Some((line, hash_directive(text, line, rule), "line"));
    }
    let html = format!(
        "{}<!-- {} {rule} -->\n",
        indent_of(text, first),
        crate::source::suppress::DIRECTIVE
    );
    Some((first, html, "code block"))
}
