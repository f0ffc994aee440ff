//! backend-kind-invalid: a backendRef of a route served by Cilium names a kind Cilium cannot
//! route to: anything but a core Service or a multi-cluster ServiceImport.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::attachment::{parent_namespace, routes};
use crate::analysis::listener_set::parent_lookup;
use crate::catalog::{Catalog, Lookup, placeholder};
use crate::diagnostic::{Finding, Severity};
use crate::model::Object;
use crate::model::route::{BackendRef, Route};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "backend-kind-invalid",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a backendRef of a route on a Cilium Gateway names a kind other than Service",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "ResolvedRefs=False/InvalidKind";
/// The Multi-Cluster Services API group, whose ServiceImport Cilium also resolves.
const MCS_GROUP: &str = "multicluster.x-k8s.io";

/// Backend kinds of other implementations people copy from their documentation, with whose.
const KNOWN_ELSEWHERE: &[(&str, &str, &str)] = &[
    ("gateway.envoyproxy.io", "Backend", "Envoy Gateway"),
    ("networking.istio.io", "ServiceEntry", "Istio"),
    ("networking.istio.io", "Hostname", "Istio"),
    ("gateway.kgateway.dev", "Backend", "kgateway"),
    ("gateway.solo.io", "Upstream", "Gloo"),
    ("traefik.io", "TraefikService", "Traefik"),
    ("traefik.containo.us", "TraefikService", "Traefik"),
    (
        "inference.networking.k8s.io",
        "InferencePool",
        "the Gateway API Inference Extension",
    ),
    (
        "inference.networking.x-k8s.io",
        "InferencePool",
        "the Gateway API Inference Extension",
    ),
];

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (route, spec) in routes(catalog) {
        let Some(location) = route.location else {
            continue;
        };
        if !only_cilium_parents(catalog, route, spec) {
            continue;
        }
        for b in spec.backend_refs.iter().filter(|b| !supported(b)) {
            if placeholder(&b.kind).is_some() || placeholder(&b.group).is_some() {
                continue;
            }
            let at = Location {
                file: location.file,
                span: b.span,
            };
            out.push(
                Finding::new(&META, at, message(route, b))
                    .object(route)
                    .field(b.path())
                    .label("Cilium resolves only a Service (group \"\") or a ServiceImport")
                    .condition(CONDITION)
                    .help(help(b)),
            );
        }
    }
}

/// Cilium resolves a core Service and an MCS ServiceImport (`routechecks`: `IsService`,
/// `IsServiceImport`); anything else is InvalidKind.
fn supported(b: &BackendRef) -> bool {
    b.is_service() || (b.group == MCS_GROUP && b.kind == "ServiceImport")
}

/// Whether every Gateway the route attaches to is in the tree and Cilium's: a route that also
/// attaches to another implementation's Gateway, or one cilint cannot see, may use its kinds.
fn only_cilium_parents(catalog: &Catalog, route: &Object, spec: &Route) -> bool {
    let mut any = false;
    for parent in spec.parent_refs.iter() {
        let ns = parent_namespace(catalog, route, parent);
        let Lookup::Found(id) =
            catalog.lookup(&parent.group, &parent.kind, Some(ns), &parent.name.value)
        else {
            return false;
        };
        // A ListenerSet's listeners are programmed by its parent Gateway's controller.
        let id = if parent.is_gateway() {
            id
        } else if parent.is_listener_set() {
            match parent_lookup(catalog, catalog.object(id)) {
                Some(Lookup::Found(gw)) => gw,
                _ => return false,
            }
        } else {
            return false;
        };
        if !catalog.is_cilium_gateway(id) {
            return false;
        }
        any = true;
    }
    any
}

fn written(b: &BackendRef) -> String {
    if b.group.is_empty() {
        format!("kind `{}`", b.kind)
    } else {
        format!("kind `{}` of group `{}`", b.kind, b.group)
    }
}

fn message(route: &Object, b: &BackendRef) -> String {
    let owner = KNOWN_ELSEWHERE
        .iter()
        .find(|(g, k, _)| b.group == *g && b.kind == *k)
        .map(|(_, _, who)| format!(", {who}'s backend kind"))
        .unwrap_or_default();
    format!(
        "{} {}: backendRef `{}` names {}{owner}, which Cilium does not support: the rule's \
         share of traffic gets HTTP 500",
        route.kind,
        route.qualified_name(),
        b.name.value,
        written(b)
    )
}

fn help(b: &BackendRef) -> String {
    if b.kind == "Service" {
        return format!(
            "a Service is in the core group, written `group: \"\"` or left out, not `{}`",
            b.group
        );
    }
    "point the backendRef at a Service (group \"\", kind Service, the default), or at a \
     ServiceImport of group multicluster.x-k8s.io for a Cilium ClusterMesh service"
        .to_string()
}
