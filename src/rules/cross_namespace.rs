//! The references of routes and Gateways that point into another namespace, which only a
//! ReferenceGrant in that namespace permits (GEP-709): what reference-not-permitted checks and
//! what reference-grant-unused counts as a use.

use crate::analysis::listener_set::listener_sets;
use crate::catalog::{Catalog, placeholder};
use crate::model::gateway::Listener;
use crate::model::reference_grant::GatewayTlsRefRole;
use crate::model::route::RouteKind;
use crate::model::{GATEWAY_GROUP, Object, Spanned, Text};
use crate::source::FileId;

/// What the reference is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// `spec.rules[].backendRefs[]` of a route.
    Backend,
    /// The backendRef of a `requestMirror` filter: counted as a use of a grant, not reported
    /// (cilint does not check mirror targets at all yet).
    Mirror,
    /// `spec.listeners[].tls.certificateRefs[]` of a Gateway or a ListenerSet.
    Certificate,
    /// A client-certificate validation CA bundle of a Gateway.
    ClientCa,
    /// The client certificate a Gateway presents to backends.
    BackendClientCertificate,
}

/// One reference from `from` (in `from_ns`) to (group, kind) `namespace`/`name`, written with a
/// `namespace` other than its object's.
pub(crate) struct CrossRef<'c> {
    pub from: &'c Object,
    pub from_ns: &'c str,
    pub group: &'c str,
    pub kind: &'c str,
    pub namespace: &'c Spanned<Text>,
    pub name: &'c Spanned<Text>,
    pub what: Use,
    /// The reference's field path (`spec.rules[0].backendRefs[1]`).
    pub field: String,
    pub file: FileId,
    /// For a certificateRef, its listener.
    pub listener: Option<&'c Listener>,
}

impl CrossRef<'_> {
    /// Whether the reference or its object is written with a placeholder (`${NS}`, `{{ }}`):
    /// what it becomes is known only once rendered.
    pub fn has_placeholder(&self) -> bool {
        [self.from_ns, self.namespace.as_str(), self.name.as_str()]
            .into_iter()
            .any(|t| placeholder(t).is_some())
    }
}

/// Every cross-namespace reference of the routes (all five kinds) and Gateways of the tree.
pub(crate) fn cross_namespace_refs(catalog: &Catalog) -> Vec<CrossRef<'_>> {
    let mut out = Vec::new();
    let kinds = [
        RouteKind::Http,
        RouteKind::Grpc,
        RouteKind::Tls,
        RouteKind::Tcp,
        RouteKind::Udp,
    ];
    for kind in kinds {
        for &id in catalog.of_kind(GATEWAY_GROUP, kind.as_str()) {
            let o = catalog.object(id);
            let (Some(route), Some(location), Some(from_ns)) =
                (o.route(), o.location, o.namespace.as_deref())
            else {
                continue;
            };
            // A mesh (GAMMA) route, attached only to Services, augments what the Service
            // already reaches: its backendRefs may cross namespaces without a grant (GEP-1294,
            // conformance MeshConsumerRoute).
            let mesh_only = !route.parent_refs.is_empty()
                && route
                    .parent_refs
                    .iter()
                    .all(|p| p.group.is_empty() && &*p.kind == "Service");
            if mesh_only {
                continue;
            }
            let refs = route.backend_refs.iter().map(|b| (b, Use::Backend));
            let mirrors = route.mirror_refs.iter().map(|b| (b, Use::Mirror));
            for (b, what) in refs.chain(mirrors) {
                let Some(namespace) = b.namespace.as_ref().filter(|n| n.as_str() != from_ns) else {
                    continue;
                };
                let field = match what {
                    Use::Mirror => format!(
                        "spec.rules[{}].filters[{}].requestMirror.backendRef",
                        b.rule, b.index
                    ),
                    _ => b.path(),
                };
                out.push(CrossRef {
                    from: o,
                    from_ns,
                    group: &b.group,
                    kind: &b.kind,
                    namespace,
                    name: &b.name,
                    what,
                    field,
                    file: location.file,
                    listener: None,
                });
            }
        }
    }
    for &id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let o = catalog.object(id);
        let (Some(gw), Some(location), Some(from_ns)) =
            (o.gateway(), o.location, o.namespace.as_deref())
        else {
            continue;
        };
        certificate_refs(o, from_ns, location.file, &gw.listeners, &mut out);
        for r in gw.tls_refs.iter() {
            let Some(namespace) = r.namespace.as_ref().filter(|n| n.as_str() != from_ns) else {
                continue;
            };
            out.push(CrossRef {
                from: o,
                from_ns,
                group: &r.group,
                kind: &r.kind,
                namespace,
                name: &r.name,
                what: match r.role {
                    GatewayTlsRefRole::ClientCa => Use::ClientCa,
                    GatewayTlsRefRole::BackendClientCertificate => Use::BackendClientCertificate,
                },
                field: r.path.clone(),
                file: location.file,
                listener: None,
            });
        }
    }
    // Every ListenerSet, joined or not: a grant `from: {kind: ListenerSet}` is used by them all
    // (reference-not-permitted skips the sets that join no Gateway).
    for (o, set) in listener_sets(catalog) {
        if let (Some(location), Some(from_ns)) = (o.location, o.namespace.as_deref()) {
            certificate_refs(o, from_ns, location.file, &set.listeners, &mut out);
        }
    }
    out
}

/// The `tls.certificateRefs` of a Gateway's or a ListenerSet's listeners that name another
/// namespace.
fn certificate_refs<'c>(
    o: &'c Object,
    from_ns: &'c str,
    file: FileId,
    listeners: &'c [Listener],
    out: &mut Vec<CrossRef<'c>>,
) {
    for (li, listener) in listeners.iter().enumerate() {
        for r in listener.certificate_refs.iter() {
            let Some(namespace) = r.namespace.as_ref().filter(|n| n.as_str() != from_ns) else {
                continue;
            };
            out.push(CrossRef {
                from: o,
                from_ns,
                group: &r.group,
                kind: &r.kind,
                namespace,
                name: &r.name,
                what: Use::Certificate,
                field: format!("spec.listeners[{li}].tls.certificateRefs[{}]", r.index),
                file,
                listener: Some(listener),
            });
        }
    }
}
