//! `--format sarif`: a SARIF 2.1.0 log for GitHub code scanning and other SARIF viewers, with
//! every rule and its page, exact regions, repository-relative URIs and fingerprints that
//! survive edits which move lines.

use std::collections::HashMap;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use rayon::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::SrcRoot;
use crate::diagnostic::{Edit, Finding, Fix};
use crate::report::Report;
use crate::rules::{self, Category, RULES, RuleMeta};
use crate::source::Location;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://crates.io/crates/cilint";
/// The key of cilint's own entry in `partialFingerprints`; bump the version when the recipe
/// changes, so old and new fingerprints are never compared.
pub const FINGERPRINT_KEY: &str = "cilintFingerprint/v1";
const SRCROOT: &str = "%SRCROOT%";

/// Rules that report something absent from the tree: it may exist where cilint cannot look
/// (a Helm release, a Secret made by hand), so they are less precise than the others.
const ABSENCE_RULES: &[&str] = &[
    "backend-not-found",
    "label-command-unknown-gateway",
    "route-parent-not-found",
    "selector-matches-nothing",
    "service-not-advertised",
    "tls-secret-not-found",
];

// `json!` copies every `Value` it is given (through `to_value`), so the parts built apart are
// put in place afterwards, in the slots a `null` keeps for them.

pub fn render(report: &Report, root: &SrcRoot) -> String {
    let (rules, results) = rayon::join(
        || RULES.par_iter().map(|r| rule(r.meta)).collect(),
        || results(report, root),
    );
    let mut run = json!({
        "tool": {"driver": {
            "name": "cilint",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": INFORMATION_URI,
            "rules": null,
        }},
        "invocations": [null],
        // cilint's columns count characters.
        "columnKind": "unicodeCodePoints",
        "results": null,
    });
    run["tool"]["driver"]["rules"] = Value::Array(rules);
    run["invocations"][0] = invocation(report);
    run["results"] = Value::Array(results);
    if let Some(uri) = root.dir_uri() {
        run["originalUriBaseIds"] = json!({SRCROOT: {"uri": uri}});
    }
    let mut log = json!({"$schema": SCHEMA, "version": "2.1.0", "runs": [null]});
    log["runs"][0] = run;
    let mut out = serde_json::to_string_pretty(&log).expect("the log serialises");
    out.push('\n');
    out
}

fn rule(meta: &RuleMeta) -> Value {
    let page = rules::doc(meta.id).unwrap_or_default();
    let what = section(page, "What it does");
    let mut tags = vec![meta.category.as_str()];
    if meta.category != Category::Kubernetes {
        tags.push(Category::Kubernetes.as_str());
    }
    let precision = if ABSENCE_RULES.contains(&meta.id) {
        "high"
    } else {
        "very-high"
    };
    json!({
        "id": meta.id,
        "name": pascal_case(meta.id),
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": plain_text(what), "markdown": what},
        "help": {"text": plain_text(page), "markdown": page},
        "defaultConfiguration": {"level": meta.severity.as_str()},
        "properties": {"tags": tags, "precision": precision},
    })
}

/// Unreadable inputs are the run's notifications; the run failed if there were any.
fn invocation(report: &Report) -> Value {
    let notifications: Vec<Value> = report
        .input_errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": {"text": format!("{}: {}", e.path, e.message)},
            })
        })
        .collect();
    json!({
        "executionSuccessful": notifications.is_empty(),
        "toolExecutionNotifications": notifications,
    })
}

/// The results in report order.
fn results(report: &Report, root: &SrcRoot) -> Vec<Value> {
    report
        .findings
        .par_iter()
        .zip(fingerprints(report, root))
        .map(|(f, print)| result(report, root, f, print))
        .collect()
}

/// Every finding's fingerprint, in report order, unique within the report: findings that share
/// one (the same stale suppression twice in one file) are told apart by their occurrence, as
/// code scanning itself does. GitLab's Code Quality report uses the same ones.
pub(super) fn fingerprints(report: &Report, root: &SrcRoot) -> Vec<String> {
    let mut prints: Vec<String> = report
        .findings
        .par_iter()
        .map(|f| fingerprint(f, &root.uri(&report.file(f.location.file).path).0))
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let occurrences: Vec<usize> = prints
        .iter()
        .map(|print| {
            let n = seen.entry(print).or_default();
            *n += 1;
            *n
        })
        .collect();
    for (print, n) in prints.iter_mut().zip(occurrences) {
        if n > 1 {
            print.push_str(&format!(":{n}"));
        }
    }
    prints
}

fn result(report: &Report, root: &SrcRoot, f: &Finding, fingerprint: String) -> Value {
    let rule_index = RULES
        .iter()
        .position(|r| r.meta.id == f.rule)
        .expect("findings come from registered rules");
    let related: Vec<Value> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut related = json!({
                "id": i + 1,
                "physicalLocation": null,
                "message": {"text": r.message},
            });
            related["physicalLocation"] = physical(report, root, &r.location);
            related
        })
        .collect();
    let mut result = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": f.severity.as_str(),
        "message": {"text": super::full_message(f)},
        "locations": [{"physicalLocation": null}],
        "relatedLocations": null,
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        // False in a manifest no entry point deploys (the message says so too).
        "properties": {"deployed": f.deployed},
    });
    result["locations"][0]["physicalLocation"] = physical(report, root, &f.location);
    result["relatedLocations"] = Value::Array(related);
    if let Some(fix) = &f.fix {
        result["fixes"] = json!([fix_object(report, root, fix)]);
    }
    result
}

/// A SARIF `fix` (§3.55): one `artifactChange` per file, its replacements in file order; a new
/// file is a replacement of nothing at its start.
fn fix_object(report: &Report, root: &SrcRoot, fix: &Fix) -> Value {
    let mut changes: Vec<(String, Vec<Value>)> = Vec::new();
    for edit in &fix.edits {
        let (path, replacement) = match edit {
            Edit::Replace { location, content } => {
                let (start, end) = (location.span.start, location.span.end);
                (
                    report.file(location.file).path.to_string(),
                    json!({
                        "deletedRegion": {
                            "startLine": start.line,
                            "startColumn": start.col,
                            "endLine": end.line,
                            "endColumn": end.col,
                        },
                        "insertedContent": {"text": content},
                    }),
                )
            }
            Edit::Create { path, content } => (
                path.clone(),
                json!({
                    "deletedRegion": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                    "insertedContent": {"text": content},
                }),
            ),
            _ => continue,
        };
        match changes.iter_mut().find(|(p, _)| *p == path) {
            Some((_, r)) => r.push(replacement),
            None => changes.push((path, vec![replacement])),
        }
    }
    let artifact_changes: Vec<Value> = changes
        .into_iter()
        .map(|(path, replacements)| {
            let (uri, relative) = root.uri(&path);
            let mut artifact = json!({"uri": uri});
            if relative {
                artifact["uriBaseId"] = json!(SRCROOT);
            }
            json!({"artifactLocation": artifact, "replacements": replacements})
        })
        .collect();
    json!({
        "description": {"text": format!("{} ({} fix)", fix.message, fix.applicability.as_str())},
        "artifactChanges": artifact_changes,
    })
}

fn physical(report: &Report, root: &SrcRoot, l: &Location) -> Value {
    let (uri, relative) = root.uri(&report.file(l.file).path);
    let mut artifact = json!({"uri": uri});
    if relative {
        artifact["uriBaseId"] = json!(SRCROOT);
    }
    let (start, end) = (l.span.start, l.span.end);
    let mut physical = json!({
        "artifactLocation": null,
        // 1-based; cilint's end column is exclusive, as SARIF's.
        "region": {
            "startLine": start.line,
            "startColumn": start.col,
            "endLine": end.line,
            "endColumn": end.col,
        },
    });
    physical["artifactLocation"] = artifact;
    physical
}

/// What identifies a finding across edits that move lines: the rule, the object (API group,
/// kind, namespace, name) or, for findings about no object, the file's repository-relative
/// URI, and the field path. Never a line number.
fn fingerprint(f: &Finding, uri: &str) -> String {
    let mut parts: Vec<&str> = vec![f.rule];
    match &f.object {
        Some(o) => {
            // `apps/v1` → `apps`; the core group (`v1`) is empty. The version is not identity.
            let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            parts.extend([
                "object",
                group,
                &o.kind,
                o.namespace.as_deref().unwrap_or(""),
                &o.name,
            ]);
        }
        None => parts.extend(["file", uri]),
    }
    parts.push(f.field.as_deref().unwrap_or(""));
    // NUL cannot occur in any part, so the joined parts are unambiguous.
    let digest = Sha256::digest(parts.join("\0").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `route-parent-not-found` → `RouteParentNotFound`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

/// The body of a `## title` section of a page, without the heading.
fn section<'a>(page: &'a str, title: &str) -> &'a str {
    let heading = format!("## {title}\n");
    let Some(start) = page.find(&heading).map(|i| i + heading.len()) else {
        return "";
    };
    let body = &page[start..];
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end].trim()
}

/// Markdown as plain text: markup dropped, code blocks indented, link targets kept after their
/// text, paragraphs separated by a blank line.
fn plain_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    // Per open list: the next item number of an ordered list.
    let mut lists: Vec<Option<u64>> = Vec::new();
    // The link's target and where its text starts in `out`.
    let mut link: Option<(String, usize)> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                out.push('\n');
            }
            Event::Text(t) if in_code => {
                for line in t.lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => {
                out.push('\n');
                // Continuation lines of a list item line up with its text.
                out.push_str(&"  ".repeat(lists.len()));
            }
            Event::Start(Tag::List(first)) => lists.push(first),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                let depth = lists.len().saturating_sub(1);
                out.push_str(&"  ".repeat(depth));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::Start(Tag::Link { dest_url, .. }) => link = Some((dest_url.into(), out.len())),
            Event::End(TagEnd::Link) => {
                if let Some((url, start)) = link.take()
                    && out[start..] != *url
                {
                    out.push_str(&format!(" <{url}>"));
                }
            }
            Event::End(TagEnd::Heading(_) | TagEnd::Paragraph) => {
                out.push_str(if lists.is_empty() { "\n\n" } else { "\n" });
            }
            Event::Rule => out.push_str("\n\n"),
            _ => {}
        }
    }
    let mut text = out.trim_end().to_string();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("route-parent-not-found"), "RouteParentNotFound");
        assert_eq!(pascal_case("yaml-syntax"), "YamlSyntax");
    }

    #[test]
    fn markdown_becomes_plain_text() {
        let md = "# id\n\n## What it does\n\nReports `x`\nand [the spec](https://e.x/s).\n\n\
                  - one <https://e.x/a>\n  wrapped\n- two\n\n```yaml\na: 1\n```\n\n## Fix\n\nDo it.\n";
        assert_eq!(
            section(md, "What it does"),
            "Reports `x`\nand [the spec](https://e.x/s).\n\n- one <https://e.x/a>\n  wrapped\n- two\n\n```yaml\na: 1\n```"
        );
        assert_eq!(
            plain_text(md),
            "id\n\nWhat it does\n\nReports x\nand the spec <https://e.x/s>.\n\n- one https://e.x/a\n  wrapped\n- two\n\n    a: 1\n\nFix\n\nDo it.\n"
        );
    }
}
