//! route-parent-not-found: a route's parentRef names a Gateway (or a ListenerSet) that is not
//! in the tree.

use super::{Category, Facts, Rule, RuleMeta, explained};
use crate::analysis::attachment::{parent_namespace, routes};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::Object;
use crate::model::route::ParentRef;
use crate::model::suggest::{closest, namespace_flag, namespace_flag_help, only_close};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "route-parent-not-found",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a route's parentRef names a Gateway that does not exist in that namespace",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (route, spec) in routes(catalog) {
        let Some(at) = route.location else {
            continue;
        };
        for parent in spec
            .parent_refs
            .iter()
            .filter(|p| p.is_gateway() || p.is_listener_set())
        {
            let (group, kind) = (parent.group.as_str(), parent.kind.as_str());
            let ns = parent_namespace(catalog, route, parent);
            if catalog.lookup(group, kind, Some(ns), &parent.name.value) != Lookup::Missing {
                continue;
            }
            let location = Location {
                file: at.file,
                span: parent.name.span,
            };
            let mut finding = Finding::new(
                &META,
                location,
                message(route, kind, &parent.name.value, ns),
            )
            .object(route)
            .field(format!("{}.name", parent.path()))
            .label(format!("no such {kind}"));
            // Cilium's reason when it cannot fetch the Gateway; no conformance test asserts one
            // for a missing ListenerSet.
            if parent.is_gateway() {
                finding = finding.condition(format!("Accepted=False/Invalid{}", route.kind));
            }
            if let Some(reason) = catalog.miss_reason(group, kind, Some(ns), &parent.name.value) {
                out.push(explained(finding, reason));
                continue;
            }
            finding = finding.help(help(catalog, route, parent, ns));
            finding = with_rename(finding, catalog, parent, ns);
            for elsewhere in catalog.same_name_elsewhere(group, kind, &parent.name.value) {
                finding = finding.related(
                    elsewhere.name_location(),
                    format!("{kind} {} is here", elsewhere.qualified_name()),
                );
            }
            let note = catalog.strict_note(group, kind, Some(ns), &parent.name.value);
            out.push(finding.help_note(note));
        }
    }
}

/// The unsafe fix: the one similar name in the namespace, when the name exists nowhere else.
fn with_rename(finding: Finding, catalog: &Catalog, parent: &ParentRef, ns: &str) -> Finding {
    let (group, kind, name) = (
        parent.group.as_str(),
        parent.kind.as_str(),
        parent.name.value.as_str(),
    );
    if !catalog.same_name_elsewhere(group, kind, name).is_empty() {
        return finding;
    }
    let names = || catalog.names_in(group, kind, Some(ns));
    match closest(name, names()) {
        Some(near) if only_close(name, names()) == Some(near) => {
            finding.rename(name, near, format!("name {kind} `{near}`"))
        }
        _ => finding,
    }
}

fn message(route: &Object, kind: &str, gateway: &str, ns: &str) -> String {
    format!(
        "{} {}: parentRef names {kind} `{gateway}`, which is not in namespace {ns}",
        route.kind,
        route.qualified_name()
    )
}

fn help(catalog: &Catalog, route: &Object, parent: &ParentRef, ns: &str) -> String {
    let name = parent.name.value.as_str();
    let (group, kind) = (parent.group.as_str(), parent.kind.as_str());
    let mut parts = Vec::new();
    if let Some(near) = closest(name, catalog.names_in(group, kind, Some(ns))) {
        parts.push(format!("did you mean `{near}`?"));
    }
    let elsewhere = catalog.same_name_elsewhere(group, kind, name);
    if !elsewhere.is_empty() {
        parts.push(elsewhere_help(route, parent, name, &elsewhere));
    }
    if parts.is_empty() {
        let mut existing: Vec<&str> = catalog.names_in(group, kind, Some(ns)).collect();
        existing.sort_unstable();
        existing.dedup();
        let mut text = format!(
            "add {kind} `{name}` to namespace {ns}, or point the parentRef at an existing {kind}"
        );
        if !existing.is_empty() {
            text.push_str(&format!(" (in {ns}: `{}`)", existing.join("`, `")));
        }
        parts.push(text);
    }
    parts.join("; ")
}

/// The Gateway exists in other namespaces: say where, and how to point at it.
fn elsewhere_help(route: &Object, parent: &ParentRef, name: &str, gateways: &[&Object]) -> String {
    let mut namespaces: Vec<&str> = gateways
        .iter()
        .filter_map(|g| g.namespace.as_deref())
        .collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    let other = namespaces[0];
    let where_ = if namespaces.len() == 1 {
        format!("namespace {other}")
    } else {
        format!("namespaces {}", namespaces.join(", "))
    };
    let mut text = format!(
        "{} `{name}` is in {where_}: set `namespace: {other}` on the parentRef \
         (cross-namespace attachment is then governed by the listeners' allowedRoutes)",
        parent.kind
    );
    if let Some(ns) = namespace_flag(route, parent.namespace.is_some(), gateways) {
        text.push_str(", ");
        text.push_str(&namespace_flag_help(ns));
    }
    text
}
