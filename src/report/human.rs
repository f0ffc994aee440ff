//! Human output through miette: the file, a snippet with the offending node underlined,
//! related locations in other files, and a help line.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use rayon::prelude::*;

use super::Style;
use super::redact::redact;
use crate::diagnostic::{Applicability, Finding, NOT_DEPLOYED, Severity};
use crate::report::Report;
use crate::source::{FileId, Location};

struct Rendered {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Snippets,
    span: SourceSpan,
    label: Option<String>,
    related: Vec<RelatedNote>,
}

struct RelatedNote {
    message: String,
    source: Snippets,
    span: SourceSpan,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(self.label.clone(), self.span),
        )))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

impl fmt::Debug for RelatedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for RelatedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for RelatedNote {}

impl Diagnostic for RelatedNote {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            None, self.span,
        ))))
    }
}

/// A byte span miette can show: inside the text and on character boundaries.
fn source_span(text: &str, l: &Location) -> SourceSpan {
    let clamp = |mut b: usize| {
        b = b.min(text.len());
        while !text.is_char_boundary(b) {
            b -= 1;
        }
        b
    };
    let start = clamp(l.span.start.byte as usize);
    let end = clamp(l.span.end.byte as usize).max(start);
    SourceSpan::new(start.into(), end - start)
}

/// A file's text as miette reads it, the lines around a span found by binary search over the
/// line starts. miette's own `SourceCode` for text scans from the start of the file for every
/// span, which made a large file with many findings quadratic.
struct Snippets {
    name: String,
    text: Arc<String>,
    line_starts: Arc<Vec<usize>>,
}

impl SourceCode for Snippets {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let line_of = |b: usize| self.line_starts.partition_point(|&s| s <= b) - 1;
        let span_line = line_of(start);
        let first = span_line.saturating_sub(context_lines_before);
        let last = (line_of(end.saturating_sub(1).max(start)) + context_lines_after)
            .min(self.line_starts.len() - 1);
        let window_start = if context_lines_before == 0 {
            start
        } else {
            self.line_starts[first]
        };
        let window_end = self
            .line_starts
            .get(last + 1)
            .copied()
            .unwrap_or(self.text.len())
            .max(end);
        // As miette counts them: line breaks up to the end of the window, and the column in
        // bytes when the window starts at the span.
        let line_count = last + usize::from(window_end > self.line_starts[last]);
        let column = if context_lines_before == 0 {
            start - self.line_starts[span_line]
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[window_start..window_end],
            SourceSpan::new(window_start.into(), window_end - window_start),
            if context_lines_before == 0 {
                span_line
            } else {
                first
            },
            column,
            line_count,
        )))
    }
}

/// A file's text with its secrets masked, and its line starts (not copied again into an
/// `Arc<str>`: a file may be tens of MB).
type Masked = (Arc<String>, Arc<Vec<usize>>);

/// The snippet sources of the files findings point at, each file masked once.
struct Sources<'r> {
    report: &'r Report,
    files: HashMap<FileId, Masked>,
}

impl<'r> Sources<'r> {
    /// The files of every finding and related location, masked in parallel.
    fn of(report: &'r Report) -> Self {
        let mut ids: Vec<FileId> = report
            .findings
            .iter()
            .flat_map(|f| std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)))
            .map(|l| l.file)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let files = ids
            .into_par_iter()
            .map(|id| {
                let file = report.file(id);
                let (masked, line_starts) = rayon::join(
                    || redact(&file.text, file.kind),
                    || {
                        std::iter::once(0)
                            .chain(file.text.match_indices('\n').map(|(i, _)| i + 1))
                            .collect()
                    },
                );
                (id, (Arc::new(masked), Arc::new(line_starts)))
            })
            .collect();
        Sources { report, files }
    }

    fn get(&self, l: &Location) -> Snippets {
        let file = self.report.file(l.file);
        let (text, line_starts) = self.files[&l.file].clone();
        Snippets {
            name: file.path.to_string(),
            text,
            line_starts,
        }
    }
}

fn rendered(report: &Report, sources: &Sources, f: &Finding) -> Rendered {
    let text = &report.file(f.location.file).text;
    let mut lines: Vec<String> = f.help.iter().cloned().collect();
    lines.extend(f.condition.iter().map(|c| format!("controller: {c}")));
    if !f.deployed {
        lines.push(NOT_DEPLOYED.to_string());
    }
    let mut code = f.rule.to_string();
    if let Some(fix) = &f.fix {
        let how = match fix.applicability {
            Applicability::Safe => {
                code.push_str(" [*]");
                "cilint --fix"
            }
            Applicability::Unsafe => "cilint --fix --unsafe-fixes",
        };
        lines.push(format!("fix: {} (`{how}`)", fix.message));
    }
    let help = (!lines.is_empty()).then(|| lines.join("\n"));
    Rendered {
        message: super::message(f),
        code,
        severity: match f.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        },
        help,
        source: sources.get(&f.location),
        span: source_span(text, &f.location),
        label: f.label.clone(),
        related: f
            .related
            .iter()
            .map(|r| RelatedNote {
                message: r.message.clone(),
                source: sources.get(&r.location),
                span: source_span(&report.file(r.location.file).text, &r.location),
            })
            .collect(),
    }
}

pub fn render(report: &Report, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(1)
        .with_show_related_as_nested(true);
    let sources = Sources::of(report);
    // Each finding is rendered on its own, so in parallel; then they are joined in order.
    let findings: Vec<String> = report
        .findings
        .par_iter()
        .map(|f| {
            let mut out = String::new();
            handler
                .render_report(&mut out, &rendered(report, &sources, f))
                .expect("writing to a String cannot fail");
            out.push('\n');
            out
        })
        .collect();
    let mut out = findings.concat();
    out.push_str(&unverified_section(report));
    if !style.quiet {
        out.push_str(&summary_line(report));
    }
    out
}

pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{} in {} ({}",
        plural(s.findings(), "finding"),
        plural(s.files, "file"),
        plural(s.objects, "object"),
    );
    if s.commands > 0 {
        line.push_str(&format!(", {}", plural(s.commands, "kubectl command")));
    }
    line.push_str(&format!(", {} checked", plural(s.references, "reference")));
    if s.unverified > 0 {
        line.push_str(&format!(
            ", {} unverified: created outside the tree",
            s.unverified
        ));
    }
    if s.skipped_documents > 0 {
        line.push_str(&format!(
            ", {} skipped: not Kubernetes objects",
            plural(s.skipped_documents, "document")
        ));
    }
    if s.templates > 0 {
        line.push_str(&format!(", {} not linted", plural(s.templates, "template")));
    }
    if s.data_files > 0 {
        line.push_str(&format!(
            ", {} not linted: kustomize and Helm read them as data",
            plural(s.data_files, "data file")
        ));
    }
    line.push_str(&versions_clause(report));
    line.push(')');
    if s.findings() > 0 {
        line.push_str(&format!(
            ": {}, {}, {}",
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.notes, "note")
        ));
    }
    line.push('\n');
    line.push_str(&fixable_line(report));
    line
}

/// `[*] 2 fixable with `cilint --fix` (1 more with --unsafe-fixes)`, as ruff says it; nothing
/// when no finding has a fix.
fn fixable_line(report: &Report) -> String {
    let count = |a| {
        report
            .findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|x| x.applicability == a))
            .count()
    };
    let (safe, unsafe_) = (count(Applicability::Safe), count(Applicability::Unsafe));
    match (safe, unsafe_) {
        (0, 0) => String::new(),
        (0, u) => format!("{u} fixable with `cilint --fix --unsafe-fixes`\n"),
        (s, 0) => format!("[*] {s} fixable with `cilint --fix`\n"),
        (s, u) => format!("[*] {s} fixable with `cilint --fix` ({u} more with --unsafe-fixes)\n"),
    }
}

/// `, Gateway API v1.6.1 (default)`, with the Cilium release when one is known; said once when
/// clusters run different versions (the JSON lists each).
fn versions_clause(report: &Report) -> String {
    match report.summary.versions.as_slice() {
        [(_, v)] => {
            let mut clause = format!(
                ", Gateway API v{} ({})",
                v.gateway_api,
                super::version_source(report, v.gateway_api_from)
            );
            if let Some((cilium, from)) = v.cilium {
                clause.push_str(&format!(
                    ", Cilium {cilium} ({})",
                    super::version_source(report, from)
                ));
            }
            clause
        }
        [] => String::new(),
        _ => ", Gateway API and Cilium versions differ by cluster".into(),
    }
}

/// `--show-unverified`: one line per reference cilint could not verify, and why.
fn unverified_section(report: &Report) -> String {
    let mut out = String::new();
    for r in report.unverified.iter().flatten() {
        let start = r.location.span.start;
        let cluster = r
            .cluster
            .as_ref()
            .map(|c| format!("[{c}] "))
            .unwrap_or_default();
        out.push_str(&format!(
            "unverified: {}:{}:{}: {cluster}{} → {}: {}\n",
            report.file(r.location.file).path,
            start.line,
            start.col,
            r.from,
            r.target,
            r.unverified.as_deref().unwrap_or_default()
        ));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
