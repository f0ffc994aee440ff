//! listenerset-parent-not-found: a ListenerSet's `spec.parentRef` names a Gateway that is not
//! in the tree.

use super::{Category, Facts, Rule, RuleMeta, explained};
use crate::analysis::listener_set::{listener_sets, parent_lookup, parent_namespace};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::suggest::{closest, only_close};
use crate::model::{GATEWAY_GROUP, Object};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "listenerset-parent-not-found",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a ListenerSet's parentRef names a Gateway that does not exist in that namespace",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (set, spec) in listener_sets(catalog) {
        let (Some(at), Some(parent)) = (set.location, spec.parent.as_ref()) else {
            continue;
        };
        if parent_lookup(catalog, set) != Some(Lookup::Missing) {
            continue;
        }
        let ns = parent_namespace(catalog, set, parent);
        let name = parent.name.as_str();
        let finding = Finding::new(
            &META,
            Location {
                file: at.file,
                span: parent.name.span,
            },
            format!(
                "{} {}: parentRef names Gateway `{name}`, which is not in namespace {ns}; its \
                 listeners join no Gateway",
                set.kind,
                set.qualified_name()
            ),
        )
        .object(set)
        .field("spec.parentRef.name")
        .label("no such Gateway");
        if let Some(reason) = catalog.miss_reason(GATEWAY_GROUP, "Gateway", Some(ns), name) {
            out.push(explained(finding, reason));
            continue;
        }
        let mut finding = finding.help(help(catalog, name, ns));
        if let Some(near) = only_close(name, catalog.names_in(GATEWAY_GROUP, "Gateway", Some(ns))) {
            finding = finding.rename(name, near, format!("name Gateway `{near}`"));
        }
        for elsewhere in catalog.same_name_elsewhere(GATEWAY_GROUP, "Gateway", name) {
            finding = finding.related(
                elsewhere.name_location(),
                format!("Gateway {} is here", elsewhere.qualified_name()),
            );
        }
        let note = catalog.strict_note(GATEWAY_GROUP, "Gateway", Some(ns), name);
        out.push(finding.help_note(note));
    }
}

fn help(catalog: &Catalog, name: &str, ns: &str) -> String {
    if let Some(near) = closest(name, catalog.names_in(GATEWAY_GROUP, "Gateway", Some(ns))) {
        return format!("did you mean `{near}`?");
    }
    let elsewhere: Vec<&Object> = catalog.same_name_elsewhere(GATEWAY_GROUP, "Gateway", name);
    if let Some(other) = elsewhere.first().and_then(|g| g.namespace.as_deref()) {
        return format!(
            "Gateway `{name}` is in namespace {other}: set `namespace: {other}` on the parentRef \
             (a parentRef without a namespace means the ListenerSet's own)"
        );
    }
    format!("add Gateway `{name}` to namespace {ns}, or point the parentRef at an existing Gateway")
}
