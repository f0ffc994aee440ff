//! Suppressions: drops the findings that a `cilint-ignore` comment or a `cilint.io/ignore`
//! annotation names, and reports the suppressions that suppressed nothing. Runs once every rule
//! has run, since only then is it known which suppressions were used.

use std::collections::HashMap;

use crate::catalog::Catalog;
use crate::diagnostic::Finding;
use crate::model::{ObjectId, group_of};
use crate::rules::{self, unused_suppression as report, unused_suppression::Written};
use crate::source::suppress::{ALL, ANNOTATION, rule_ids};
use crate::source::{FileId, Location, Span};

/// One rule id (or `all`) a suppression names, and whether it suppressed a finding.
struct Name<'a> {
    id: &'a str,
    span: Span,
    used: bool,
}

/// A suppression, comment or annotation, in one shape.
struct Entry<'a> {
    file: FileId,
    written: Written<'a>,
    /// Where to report it when it names no rule.
    span: Span,
    names: Vec<Name<'a>>,
}

impl Entry<'_> {
    /// Marks the names that cover `rule` as used; whether there was one.
    fn suppress(&mut self, rule: &str) -> bool {
        let mut hit = false;
        for n in self
            .names
            .iter_mut()
            .filter(|n| n.id == ALL || n.id == rule)
        {
            n.used = true;
            hit = true;
        }
        hit
    }

    fn report(&self, enabled: &dyn Fn(&str) -> bool, out: &mut Vec<Finding>) {
        let at = |span| Location {
            file: self.file,
            span,
        };
        if self.names.is_empty() {
            out.push(report::names_no_rule(at(self.span), self.written));
        }
        for n in &self.names {
            if n.id != ALL && rules::find(n.id).is_none() {
                out.push(report::unknown_rule(at(n.span), self.written, n.id));
            } else if !n.used && (n.id == ALL || enabled(n.id)) {
                // A disabled rule draws no findings, so its suppression is not stale.
                out.push(report::unused(at(n.span), self.written, n.id));
            }
        }
    }
}

/// Drops suppressed findings and appends an `unused-suppression` finding for every suppression
/// that suppressed nothing. `enabled` says whether a rule id runs in this run.
pub fn apply(
    findings: Vec<Finding>,
    catalog: &Catalog,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    let mut entries = Vec::new();
    let mut by_line: HashMap<(FileId, u32), Vec<usize>> = HashMap::new();
    for (file, s) in catalog.suppressions() {
        for line in s.lines.0..=s.lines.1 {
            by_line
                .entry((*file, line))
                .or_default()
                .push(entries.len());
        }
        entries.push(Entry {
            file: *file,
            written: Written::Comment { lines: s.lines },
            span: s.span,
            names: s
                .rules
                .iter()
                .map(|r| Name {
                    id: &r.id,
                    span: r.span,
                    used: false,
                })
                .collect(),
        });
    }
    // Objects by identity as findings carry it; a duplicate object's annotation counts too.
    let mut by_object: HashMap<(&str, &str, Option<&str>, &str), Vec<usize>> = HashMap::new();
    // Each annotated object's entry: a HelmRelease's covers what cilint renders from its values.
    let mut annotated: HashMap<ObjectId, usize> = HashMap::new();
    for (id, o) in catalog.objects() {
        let (Some((_, value)), Some(location)) = (
            o.annotations.iter().find(|(k, _)| k == ANNOTATION),
            o.location,
        ) else {
            continue;
        };
        let key = (
            o.group(),
            o.kind.as_str(),
            o.namespace.as_deref(),
            o.name.as_str(),
        );
        by_object.entry(key).or_default().push(entries.len());
        annotated.insert(id, entries.len());
        entries.push(Entry {
            file: location.file,
            written: Written::Annotation(o),
            span: value.span,
            // The value is one scalar: every id is reported at it.
            names: rule_ids(&value.value)
                .into_iter()
                .map(|(_, id)| Name {
                    id,
                    span: value.span,
                    used: false,
                })
                .collect(),
        });
    }
    if entries.is_empty() {
        return findings;
    }
    if !annotated.is_empty() && !catalog.rendered_releases().is_empty() {
        for (id, o) in catalog.objects() {
            let Some(&entry) = catalog.rendered_by(id).and_then(|by| annotated.get(&by)) else {
                continue;
            };
            let key = (
                o.group(),
                o.kind.as_str(),
                o.namespace.as_deref(),
                o.name.as_str(),
            );
            by_object.entry(key).or_default().push(entry);
        }
    }

    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let on_line = by_line.get(&(f.location.file, f.location.span.start.line));
        let on_object = f.object.as_ref().and_then(|o| {
            by_object.get(&(
                group_of(&o.api_version),
                o.kind.as_str(),
                o.namespace.as_deref(),
                o.name.as_str(),
            ))
        });
        let mut suppressed = false;
        // Every suppression that covers the finding is used, so none of them is reported stale.
        for &i in on_line.into_iter().chain(on_object).flatten() {
            suppressed |= entries[i].suppress(f.rule);
        }
        if !suppressed {
            kept.push(f);
        }
    }
    if enabled(report::META.id) {
        for e in &entries {
            e.report(enabled, &mut kept);
        }
    }
    kept
}

#[cfg(test)]
mod tests {

    use super::*;

    fn catalog(text: &str) -> Catalog {
        Catalog::of_yaml(text, "default")
    }

    #[test]
    fn suppressions_of_disabled_rules_are_not_unused() {
        let catalog = catalog(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    \
             cilint.io/ignore: backend-port-mismatch\n# cilint-ignore backend-not-found\nb: c\n",
        );
        let unused = |enabled: &dyn Fn(&str) -> bool| -> Vec<String> {
            apply(Vec::new(), &catalog, enabled)
                .into_iter()
                .map(|f| f.field.unwrap_or_default())
                .collect()
        };
        assert_eq!(
            unused(&|_| true),
            [
                "cilint-ignore backend-not-found",
                "metadata.annotations.cilint.io/ignore"
            ]
        );
        assert_eq!(
            unused(&|id| id != "backend-not-found"),
            ["metadata.annotations.cilint.io/ignore"]
        );
        assert!(unused(&|id| id != report::META.id).is_empty());
    }
}
