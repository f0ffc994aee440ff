//! Every reference the not-found rules resolve, resolved once per Catalog: route parentRefs to
//! Gateways, backendRefs to Services, listener certificateRefs to Secrets, and `kubectl
//! label`/`annotate` of a Gateway's Service. The summary counts them, and `--show-unverified`
//! lists the ones that may be satisfied by something cilint cannot see.

use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::ObjectRef;
use crate::model::GATEWAY_GROUP;
use crate::model::attachment::{parent_namespace, routes};
use crate::source::Location;
use crate::source::commands::Action;

/// One reference and how it resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// The name node of the reference (the command's Service name for commands).
    pub location: Location,
    /// The object that makes the reference; `None` for commands.
    pub object: Option<ObjectRef>,
    /// Who refers: `HTTPRoute shop/storefront`, `kubectl label`.
    pub from: String,
    /// What it refers to: `Service shop/podinfo`.
    pub target: String,
    /// `None` when verified (found, or definitely missing); else why it cannot be verified.
    pub unverified: Option<String>,
    /// The cluster it was checked in, when the repository holds several.
    pub cluster: Option<String>,
}

/// The references of a Catalog, in no particular order.
pub fn references(catalog: &Catalog) -> Vec<Reference> {
    let mut out = Vec::new();
    parent_refs(catalog, &mut out);
    backend_refs(catalog, &mut out);
    certificate_refs(catalog, &mut out);
    label_commands(catalog, &mut out);
    out
}

fn unverified(lookup: Lookup) -> Option<String> {
    match lookup {
        Lookup::Unverifiable(reason) => Some(reason),
        Lookup::Found(_) | Lookup::Missing => None,
    }
}

fn target(kind: &str, namespace: &str, name: &str) -> String {
    format!("{kind} {namespace}/{name}")
}

fn parent_refs(catalog: &Catalog, out: &mut Vec<Reference>) {
    for (route, spec) in routes(catalog) {
        let Some(at) = route.location else {
            continue;
        };
        for parent in spec.parent_refs.iter().filter(|p| p.is_gateway()) {
            let ns = parent_namespace(catalog, route, parent);
            let name = parent.name.as_str();
            out.push(Reference {
                location: Location {
                    file: at.file,
                    span: parent.name.span,
                },
                object: Some(ObjectRef::of(route)),
                from: format!("{} {}", route.kind, route.qualified_name()),
                target: target("Gateway", ns, name),
                unverified: unverified(catalog.lookup(GATEWAY_GROUP, "Gateway", Some(ns), name)),
                cluster: None,
            });
        }
    }
}

fn backend_refs(catalog: &Catalog, out: &mut Vec<Reference>) {
    for u in catalog.service_backend_refs() {
        let name = u.backend.name.as_str();
        out.push(Reference {
            location: Location {
                file: u.file,
                span: u.backend.name.span,
            },
            object: Some(ObjectRef::of(u.route)),
            from: format!("{} {}", u.route.kind, u.route.qualified_name()),
            target: target("Service", u.namespace, name),
            unverified: unverified(catalog.lookup("", "Service", Some(u.namespace), name)),
            cluster: None,
        });
    }
}

fn certificate_refs(catalog: &Catalog, out: &mut Vec<Reference>) {
    for &gw_id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let gw = catalog.object(gw_id);
        let (Some(spec), Some(at), Some(gw_ns)) =
            (gw.gateway(), gw.location, gw.namespace.as_deref())
        else {
            continue;
        };
        let refs = spec
            .listeners
            .iter()
            .flat_map(|l| &l.certificate_refs)
            .filter(|r| r.group.is_empty() && r.kind == "Secret");
        for r in refs {
            let ns = r.namespace.as_ref().map_or(gw_ns, |n| n.as_str());
            let name = r.name.as_str();
            out.push(Reference {
                location: Location {
                    file: at.file,
                    span: r.name.span,
                },
                object: Some(ObjectRef::of(gw)),
                from: format!("Gateway {}", gw.qualified_name()),
                target: target("Secret", ns, name),
                unverified: unverified(catalog.lookup("", "Secret", Some(ns), name)),
                cluster: None,
            });
        }
    }
}

/// `kubectl label|annotate service cilium-gateway-<name>`: satisfied by the Gateway `<name>` or
/// by the Service itself, so unverified only when neither is found and one is unverifiable.
fn label_commands(catalog: &Catalog, out: &mut Vec<Reference>) {
    for cmd in catalog.commands() {
        let Action::Label { annotate, targets } = &cmd.action else {
            continue;
        };
        let ns = cmd
            .namespace
            .as_ref()
            .map_or(catalog.default_namespace.as_str(), |n| n.text.as_str());
        for t in targets.iter().filter(|t| t.resource == "service") {
            let service = t.name.text.as_str();
            let Some(gateway) = service.strip_prefix("cilium-gateway-") else {
                continue;
            };
            let by_gateway = catalog.lookup(GATEWAY_GROUP, "Gateway", Some(ns), gateway);
            let by_service = catalog.lookup("", "Service", Some(ns), service);
            let found = |l: &Lookup| matches!(l, Lookup::Found(_));
            let why = if found(&by_gateway) || found(&by_service) {
                None
            } else {
                unverified(by_gateway).or_else(|| unverified(by_service))
            };
            out.push(Reference {
                location: Location {
                    file: cmd.location.file,
                    span: t.name.span,
                },
                object: None,
                from: format!("kubectl {}", if *annotate { "annotate" } else { "label" }),
                target: target("Service", ns, service),
                unverified: why,
                cluster: None,
            });
        }
    }
}
