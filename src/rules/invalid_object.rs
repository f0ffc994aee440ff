//! invalid-object: a manifest object without `kind` or `metadata.name`, which kubectl refuses.

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::{Object, Origin};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "invalid-object",
    severity: Severity::Error,
    category: Category::Kubernetes,
    summary: "an object has no `kind` or no `metadata.name`; kubectl refuses it",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (_, o) in catalog.objects() {
        let (Origin::Manifest, Some(location)) = (&o.origin, o.location) else {
            continue;
        };
        // kustomize reads its own files at build time; they are never applied, and need no name.
        if o.group() == crate::model::api::KUSTOMIZE_GROUP {
            continue;
        }
        if o.kind.is_empty() {
            out.push(no_kind(o, location));
        } else if o.name.is_empty() {
            out.push(no_name(o, location));
        }
    }
}

fn at_start(location: Location) -> Location {
    let mut location = location;
    location.span.end = location.span.start;
    location
}

fn no_kind(o: &Object, location: Location) -> Finding {
    Finding::new(
        &META,
        at_start(location),
        format!(
            "object of apiVersion `{}` has no `kind`; kubectl refuses it: Object 'Kind' is missing",
            o.api_version
        ),
    )
    .label("no kind")
    .field("kind")
    .help("add the `kind` this object is meant to be (ConfigMap, Service, HTTPRoute, …)")
}

fn no_name(o: &Object, location: Location) -> Finding {
    Finding::new(
        &META,
        at_start(location),
        format!(
            "{} has no `metadata.name`; kubectl refuses it: resource name may not be empty",
            o.kind
        ),
    )
    .label("no name")
    .field("metadata.name")
    .help("add `metadata.name`; nothing can refer to an object without one")
}
