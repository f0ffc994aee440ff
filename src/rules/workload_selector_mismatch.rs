//! workload-selector-mismatch: an apps/v1 Deployment, StatefulSet, DaemonSet or ReplicaSet (or
//! a Job with `manualSelector: true`) whose `spec.selector` is missing, empty, or does not
//! select its own pod template's labels. The API server refuses the object.

use super::{Category, Facts, Rule, RuleMeta};
use crate::catalog::placeholder;
use crate::diagnostic::{Finding, Severity};
use crate::model::Object;
use crate::model::selector::{LabelSelector, requirement_holds};
use crate::model::workload::{OwnSelector, Workload};
use crate::source::Span;

pub static META: RuleMeta = RuleMeta {
    id: "workload-selector-mismatch",
    severity: Severity::Error,
    category: Category::Kubernetes,
    summary: "a workload's spec.selector is missing or does not select its own pod template",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (o, w) in catalog.written_workloads() {
        // A template without labels is a patch's fragment or test data, not a whole workload
        // (kustomize patches and kyaml fixtures often omit both): nothing to compare.
        let Some(labels_span) = w.pod_labels_span.filter(|_| !w.pod_labels.is_empty()) else {
            continue;
        };
        match &w.selector {
            OwnSelector::Defaulted => {}
            OwnSelector::Missing => out.extend(missing(o)),
            OwnSelector::Written(s) => {
                if s.invalid || has_placeholder(s, w) {
                    continue;
                }
                if s.match_labels.is_empty() && s.match_expressions.is_empty() {
                    if o.kind != "Job" {
                        out.extend(empty(o, s));
                    }
                    continue;
                }
                if !s.matches(|k| w.pod_label(k)) {
                    out.extend(mismatch(o, w, s, labels_span));
                }
            }
        }
    }
}

/// A selector or template label the tree leaves to a renderer: what it becomes is not known.
fn has_placeholder(s: &LabelSelector, w: &Workload) -> bool {
    let terms = s
        .match_labels
        .iter()
        .flat_map(|t| [t.key.as_str(), t.value.as_str()]);
    let exprs = s
        .match_expressions
        .iter()
        .flat_map(|r| std::iter::once(r.key.as_str()).chain(r.values.iter().map(String::as_str)));
    terms.chain(exprs).any(|t| placeholder(t).is_some())
        || w.pod_labels
            .iter()
            .any(|l| placeholder(&l.key).is_some() || placeholder(&l.value).is_some())
}

fn missing(o: &Object) -> Option<Finding> {
    let at = o.name_location()?;
    Some(
        Finding::new(
            &META,
            at,
            format!(
                "{} {} has no spec.selector: the API server refuses it (spec.selector: Required value)",
                o.kind,
                o.qualified_name()
            ),
        )
        .object(o)
        .field("spec.selector")
        .label("no spec.selector")
        .help("add `spec.selector.matchLabels` with labels of `spec.template.metadata.labels`; apps/v1 no longer defaults the selector from the template"),
    )
}

fn empty(o: &Object, s: &LabelSelector) -> Option<Finding> {
    let at = o.at(s.span)?;
    Some(
        Finding::new(
            &META,
            at,
            format!(
                "{} {}: spec.selector is empty: the API server refuses it (\"empty selector is invalid for deployment\")",
                o.kind,
                o.qualified_name()
            ),
        )
        .object(o)
        .field("spec.selector")
        .label("empty selector")
        .help("select labels of `spec.template.metadata.labels` in `spec.selector.matchLabels`"),
    )
}

fn mismatch(o: &Object, w: &Workload, s: &LabelSelector, labels_span: Span) -> Option<Finding> {
    let failing = s.describe_failures(|k| w.pod_label(k));
    // The first failing term written in the file (one kustomize added has no span).
    let term_span = s
        .match_labels
        .iter()
        .filter(|t| w.pod_label(&t.key) != Some(t.value.as_str()))
        .map(|t| t.span)
        .chain(
            s.match_expressions
                .iter()
                .filter(|r| !requirement_holds(r, w.pod_label(&r.key)))
                .map(|r| r.span),
        )
        .find(|sp| *sp != Span::default())
        .unwrap_or(s.span);
    let at = o.at(term_span)?;
    let labels = if w.pod_labels.is_empty() {
        "none".to_string()
    } else {
        w.pod_labels
            .iter()
            .map(|l| format!("{}={}", l.key, l.value))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(
        Finding::new(
            &META,
            at,
            format!(
                "{} {}: spec.selector does not select the pod template's labels ({} not in {labels}): the API server refuses it (spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`)",
                o.kind,
                o.qualified_name(),
                failing.join(", ")
            ),
        )
        .object(o)
        .field("spec.selector")
        .label(format!("not in the template: {}", failing.join(", ")))
        .help("make spec.selector select labels the template has (the selector of an existing Deployment, StatefulSet or DaemonSet cannot change: add the labels to the template)")
        .related(o.at(labels_span), "the pod template's labels"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::findings_in;

    fn deployment(selector: &str, labels: &str) -> String {
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
{selector}
  template:
    metadata: {{labels: {labels}}}
    spec: {{containers: [{{name: web, image: nginx}}]}}
"
        )
    }

    #[test]
    fn a_selector_of_the_template_labels_is_fine() {
        let yaml = deployment(
            "  selector: {matchLabels: {app: web}}",
            "{app: web, tier: fe}",
        );
        assert!(findings_in(check, &yaml).is_empty());
        let yaml = deployment(
            "  selector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}",
            "{app: web}",
        );
        assert!(findings_in(check, &yaml).is_empty());
    }

    #[test]
    fn a_mismatch_is_reported_at_the_failing_term() {
        let yaml = deployment("  selector: {matchLabels: {app: webb}}", "{app: web}");
        let f = findings_in(check, &yaml);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("app=webb not in app=web"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].location.span.start.line, 5);
    }

    #[test]
    fn apps_v1_requires_a_selector_and_a_non_empty_one() {
        assert_eq!(findings_in(check, &deployment("", "{app: web}")).len(), 1);
        let empty = deployment("  selector: {}", "{app: web}");
        assert_eq!(findings_in(check, &empty).len(), 1);
    }

    #[test]
    fn placeholders_older_versions_and_generated_job_selectors_are_skipped() {
        let yaml = deployment("  selector: {matchLabels: {app: \"${APP}\"}}", "{app: web}");
        assert!(findings_in(check, &yaml).is_empty());
        let beta = deployment("", "{app: web}").replace("apps/v1", "apps/v1beta1");
        assert!(findings_in(check, &beta).is_empty());
        let job = "apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  selector: {matchLabels: {job: other}}
  template:
    metadata: {labels: {job: migrate}}
    spec: {containers: [{name: m, image: busybox}], restartPolicy: Never}
";
        assert!(findings_in(check, job).is_empty());
        let manual = job.replace(
            "spec:\n  selector",
            "spec:\n  manualSelector: true\n  selector",
        );
        assert_eq!(findings_in(check, &manual).len(), 1);
    }
}
