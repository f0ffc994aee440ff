//! backend-not-found: a route's backendRef names a Service that is not in its namespace.

use super::{Category, Facts, Rule, RuleMeta, explained};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::Object;
use crate::model::route::BackendRef;
use crate::model::suggest::{closest, namespace_flag, namespace_flag_help, only_close};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "backend-not-found",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a route's backendRef names a Service that does not exist in its namespace",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "ResolvedRefs=False/BackendNotFound";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for u in catalog.service_backend_refs() {
        let name = u.backend.name.as_str();
        // Unverifiable Services may exist; only a definite miss is reported.
        if catalog.lookup("", "Service", Some(u.namespace), name) != Lookup::Missing {
            continue;
        }
        let at = Location {
            file: u.file,
            span: u.backend.name.span,
        };
        let f = finding(catalog, u.route, u.backend, u.namespace, at);
        let note = catalog.strict_note("", "Service", Some(u.namespace), name);
        out.push(f.help_note(note));
    }
}

fn finding(
    catalog: &Catalog,
    route: &Object,
    backend: &BackendRef,
    namespace: &str,
    at: Location,
) -> Finding {
    let name = backend.name.as_str();
    let base = base(route, backend, namespace, at);
    if let Some(reason) = catalog.miss_reason("", "Service", Some(namespace), name) {
        return explained(base, reason);
    }
    let elsewhere = catalog.same_name_elsewhere("", "Service", name);
    if !elsewhere.is_empty() {
        let mut namespaces: Vec<&str> = elsewhere
            .iter()
            .filter_map(|o| o.namespace.as_deref())
            .collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let flag = namespace_flag(route, backend.namespace.is_some(), &elsewhere);
        let mut f = base.help(in_other_namespace_help(name, &namespaces, flag));
        for ns in namespaces {
            let (location, maker) = service_related(catalog, ns, name);
            let note = match maker {
                Maker::Operator(m) => format!(" ({m})"),
                Maker::Cilium => " (Cilium generates it for this Gateway)".into(),
                Maker::Manifest => String::new(),
            };
            f = f.related(
                location,
                format!("Service `{name}` is in namespace {ns}{note}"),
            );
        }
        return f;
    }
    match closest(name, catalog.names_in("", "Service", Some(namespace))) {
        Some(near) => {
            let (location, maker) = service_related(catalog, namespace, near);
            let note = match maker {
                Maker::Operator(m) => format!("Service `{near}` is {m}"),
                Maker::Cilium => format!("Cilium generates Service `{near}` for this Gateway"),
                Maker::Manifest => format!("Service `{near}` is defined here"),
            };
            let base = if only_close(name, catalog.names_in("", "Service", Some(namespace)))
                == Some(near)
            {
                base.rename(name, near, format!("name Service `{near}`"))
            } else {
                base
            };
            base.help(did_you_mean_help(near)).related(location, note)
        }
        None => base.help(create_help(name, namespace)),
    }
}

fn base(route: &Object, backend: &BackendRef, namespace: &str, at: Location) -> Finding {
    let name = backend.name.as_str();
    Finding::new(
        &META,
        at,
        format!(
            "{} {}: backendRef names Service `{name}`, which is not in namespace {namespace}",
            route.kind,
            route.qualified_name()
        ),
    )
    .object(route)
    .field(format!("{}.name", backend.path()))
    .label(format!("no Service `{name}` in {namespace}"))
    .condition(CONDITION)
}

/// Who makes a Service that exists.
enum Maker {
    /// Written in a manifest (or made by a command, or declared in the configuration).
    Manifest,
    /// Cilium, for a Gateway.
    Cilium,
    /// An operator, from a custom resource: "made by the Keycloak operator for Keycloak auth/sso".
    Operator(String),
}

/// Where a Service is written (for a generated one, what makes it), and who makes it.
fn service_related(catalog: &Catalog, namespace: &str, name: &str) -> (Option<Location>, Maker) {
    match catalog.lookup("", "Service", Some(namespace), name) {
        Lookup::Found(id) => {
            let maker = match (catalog.made_by(id), catalog.generator(id)) {
                (Some(m), _) => Maker::Operator(m),
                (None, Some(_)) => Maker::Cilium,
                (None, None) => Maker::Manifest,
            };
            (catalog.report_location(id), maker)
        }
        _ => (None, Maker::Manifest),
    }
}

fn in_other_namespace_help(name: &str, namespaces: &[&str], flag: Option<&str>) -> String {
    let first = namespaces.first().copied().unwrap_or_default();
    let listed = namespaces.join(", ");
    let plural = if namespaces.len() > 1 { "s" } else { "" };
    let mut help = format!(
        "Service `{name}` exists in namespace{plural} {listed}: set `namespace: {first}` on this \
         backendRef (a cross-namespace backendRef also needs a ReferenceGrant in {first})"
    );
    if let Some(ns) = flag {
        help.push_str(", ");
        help.push_str(&namespace_flag_help(ns));
    }
    help
}

fn did_you_mean_help(near: &str) -> String {
    format!(
        "did you mean `{near}`? Until the backend resolves, this route rule answers its share \
         of requests with HTTP 500"
    )
}

fn create_help(name: &str, namespace: &str) -> String {
    format!(
        "create Service `{name}` in namespace {namespace}, or point the backendRef at an existing \
         Service; until then this route rule answers its share of requests with HTTP 500"
    )
}
