//! `--format json`: the stable JSON document of design.md.

use serde::Serialize;

use crate::diagnostic::{Edit, Finding, ObjectRef};
use crate::report::Report;
use crate::source::Location;

#[derive(Serialize)]
struct Document<'a> {
    tool: Tool,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    /// Only with `--show-unverified`.
    #[serde(skip_serializing_if = "Option::is_none")]
    unverified: Option<Vec<JsonUnverified<'a>>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    objects: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    references: usize,
    unverified: usize,
    /// Documents that are not Kubernetes objects (other tools' configuration, Helm values…).
    not_objects: usize,
    /// Files that are templates until rendered (Helm charts, cookiecutter, copier…).
    templates: usize,
    /// Files kustomize, Flux or Argo CD read as data (patches, generator files, values files).
    data_files: usize,
    /// The versions checked against, each distinct set once.
    versions: Vec<JsonVersions>,
}

/// One set of versions: the first cluster that ran it (null when all ran it), the Gateway API
/// bundle and Cilium release, each with where it came from (`default`, `configuration`,
/// `flag`, or `path:line` of the pin in the tree).
#[derive(Serialize)]
struct JsonVersions {
    cluster: Option<String>,
    gateway_api: String,
    gateway_api_channel: Option<&'static str>,
    gateway_api_source: String,
    cilium: Option<String>,
    cilium_source: Option<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    severity: &'static str,
    message: &'a str,
    location: JsonLocation<'a>,
    object: Option<&'a ObjectRef>,
    condition: Option<&'a str>,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
    /// The cluster, when the repository holds several; null otherwise.
    cluster: Option<&'a str>,
    /// False in a manifest no entry point deploys.
    deployed: bool,
    /// What `--fix` would change; null when the finding has no fix.
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: &'static str,
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

/// A replacement of `location` by `content`; a new file has no location.
#[derive(Serialize)]
struct JsonEdit<'a> {
    file: &'a str,
    location: Option<JsonLocation<'a>>,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonUnverified<'a> {
    location: JsonLocation<'a>,
    object: Option<&'a ObjectRef>,
    reference: &'a str,
    reason: &'a str,
    cluster: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    location: JsonLocation<'a>,
    message: &'a str,
}

fn location<'a>(report: &'a Report, l: &Location) -> JsonLocation<'a> {
    JsonLocation {
        file: &report.file(l.file).path,
        line: l.span.start.line,
        column: l.span.start.col,
        end_line: l.span.end.line,
        end_column: l.span.end.col,
    }
}

fn finding<'a>(report: &'a Report, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule,
        severity: f.severity.as_str(),
        message: &f.message,
        location: location(report, &f.location),
        object: f.object.as_ref(),
        condition: f.condition.as_deref(),
        help: f.help.as_deref(),
        related: f
            .related
            .iter()
            .map(|r| JsonRelated {
                location: location(report, &r.location),
                message: &r.message,
            })
            .collect(),
        cluster: f.cluster.as_deref(),
        deployed: f.deployed,
        fix: f.fix.as_ref().map(|fix| JsonFix {
            applicability: fix.applicability.as_str(),
            message: &fix.message,
            edits: fix
                .edits
                .iter()
                .filter_map(|e| match e {
                    Edit::Replace {
                        location: l,
                        content,
                    } => Some(JsonEdit {
                        file: &report.file(l.file).path,
                        location: Some(location(report, l)),
                        content,
                    }),
                    Edit::Create { path, content } => Some(JsonEdit {
                        file: path,
                        location: None,
                        content,
                    }),
                    _ => None,
                })
                .collect(),
        }),
    }
}

pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let doc = Document {
        tool: Tool {
            name: "cilint",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            files: s.files,
            objects: s.objects,
            findings: s.findings(),
            errors: s.errors,
            warnings: s.warnings,
            notes: s.notes,
            references: s.references,
            unverified: s.unverified,
            not_objects: s.skipped_documents,
            templates: s.templates,
            data_files: s.data_files,
            versions: s
                .versions
                .iter()
                .map(|(cluster, v)| JsonVersions {
                    cluster: cluster.clone(),
                    gateway_api: format!("v{}", v.gateway_api),
                    gateway_api_channel: super::version_channel(v),
                    gateway_api_source: super::version_source(report, v.gateway_api_from),
                    cilium: v.cilium.map(|(c, _)| c.to_string()),
                    cilium_source: v
                        .cilium
                        .map(|(_, from)| super::version_source(report, from)),
                })
                .collect(),
        },
        findings: report.findings.iter().map(|f| finding(report, f)).collect(),
        unverified: report.unverified.as_ref().map(|refs| {
            refs.iter()
                .map(|r| JsonUnverified {
                    location: location(report, &r.location),
                    object: r.object.as_ref(),
                    reference: &r.target,
                    reason: r.unverified.as_deref().unwrap_or_default(),
                    cluster: r.cluster.as_deref(),
                })
                .collect()
        }),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("the report serialises");
    out.push('\n');
    out
}
