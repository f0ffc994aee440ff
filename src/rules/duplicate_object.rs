//! duplicate-object: two documents of one identity (group, kind, namespace, name) in one build,
//! after layout places them (namespaces, prefixes and suffixes applied). In a kustomize build (a
//! kustomization, or the one Flux generates for a path without one), kustomize refuses the
//! whole build; in an Argo CD directory Application, the last one read wins. One identity in two
//! builds is not reported: two clusters cilint could not tell apart, alternative copies of an
//! app, or a bootstrap copy a GitOps tool adopts look the same from the tree.

use super::{Category, Facts, Rule, RuleMeta};
use crate::catalog::{Catalog, placeholder};
use crate::diagnostic::{Finding, Severity};
use crate::load::{Build, BuildTool};
use crate::model::{Object, ObjectId, Origin};

pub static META: RuleMeta = RuleMeta {
    id: "duplicate-object",
    severity: Severity::Error,
    category: Category::Kubernetes,
    summary: "two documents of one build (Flux Kustomization, Argo CD Application, \
              kustomization) have the same group, kind, namespace and name: kustomize refuses \
              the build, or Argo CD keeps only one",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// kustomization files read as objects: kustomize's input, never applied.
const KUSTOMIZE_GROUP: &str = "kustomize.config.k8s.io";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (first, again) in catalog.repeated_identities() {
        if let Some(f) = duplicate(catalog, first, again) {
            out.push(f);
        }
    }
}

/// The finding for `again`, written after `first` with its identity, when both are documents
/// of builds cilint knows.
fn duplicate(catalog: &Catalog, first: ObjectId, again: ObjectId) -> Option<Finding> {
    let (a, b) = (catalog.object(first), catalog.object(again));
    let written = |o: &Object| {
        o.origin == Origin::Manifest
            && !o.name.is_empty()
            && o.group() != KUSTOMIZE_GROUP
            && !o.unverifiable
            && placeholder(&o.name).is_none()
            && o.namespace
                .as_deref()
                .is_none_or(|ns| placeholder(ns).is_none())
    };
    if !written(a) || !written(b) {
        return None;
    }
    let (la, lb) = (a.location?, b.location?);
    // One document placed twice (two overlays of one base) is one copy written once.
    if la == lb {
        return None;
    }
    let (build_a, build_b) = (catalog.build_of(first)?, catalog.build_of(again)?);
    // Two builds may be two clusters cilint could not tell apart, alternatives (a plain and a
    // kustomize copy of one app), or a bootstrap copy Flux adopts later: not reported.
    if build_a != build_b {
        return None;
    }
    let what = format!("{} {}", b.kind, b.qualified_name());
    let (severity, message, condition, help) = same_build(&what, build_b);
    let mut f = Finding::new(&META, b.name_location()?, message)
        .object(b)
        .field("metadata.name")
        .label("written a second time")
        .help(help)
        .related(
            a.name_location(),
            format!("{} {} is first written here", a.kind, a.qualified_name()),
        );
    f.severity = severity;
    if let Some(c) = condition {
        f = f.condition(c);
    }
    Some(f)
}

/// Severity, message, condition and help for two documents of one build.
fn same_build(what: &str, build: Build) -> (Severity, String, Option<&'static str>, String) {
    let refused = |condition, tool: &str| {
        (
            Severity::Error,
            format!(
                "{what} is written twice in one kustomize build: kustomize refuses it (\"may not \
                 add resource with an already registered id\"), and nothing of the build is \
                 applied"
            ),
            condition,
            format!(
                "keep one of the two documents: remove the other, or change the object with a \
                 patch (`patches:`) instead of listing a second copy under `resources:`. {tool} \
                 keeps what the previous build applied until the build succeeds"
            ),
        )
    };
    match build.tool {
        BuildTool::Flux => refused(
            Some("Ready=False/BuildFailed"),
            "Flux reports the Kustomization `BuildFailed` and",
        ),
        BuildTool::ArgoKustomize => refused(
            Some("ComparisonError"),
            "Argo CD reports a `ComparisonError` and the cluster",
        ),
        BuildTool::Kustomize => refused(None, "`kubectl apply -k` fails and the cluster"),
        BuildTool::ArgoDirectory => (
            Severity::Warning,
            format!(
                "{what} is written twice in one Argo CD Application: Argo CD applies only the \
                 one it reads last, and the other's changes never reach the cluster"
            ),
            Some("RepeatedResourceWarning"),
            "keep one of the two documents: the Application shows a RepeatedResourceWarning \
             and syncs one copy, chosen by file order"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::findings_in;

    /// A tree without entry points has no builds: objects applied as they are never pair.
    #[test]
    fn objects_applied_as_they_are_are_not_paired() {
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n\
                    apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
        assert!(findings_in(super::check, yaml).is_empty());
    }
}
