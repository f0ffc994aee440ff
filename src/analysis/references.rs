//! Every reference the not-found rules resolve, resolved once per Catalog: route parentRefs to
//! Gateways, backendRefs to Services, listener certificateRefs to Secrets, and `kubectl
//! label`/`annotate` of a Gateway's Service, the ConfigMaps, Secrets and governing Services
//! workloads name. The summary counts them, and `--show-unverified`
//! lists the ones that may be satisfied by something cilint cannot see.

use super::bgp;
use super::listener_set::{self, listener_sets, parent_lookup};
use crate::analysis::attachment::{parent_namespace, routes};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::ObjectRef;
use crate::model::gateway::Listener;
use crate::model::{GATEWAY_GROUP, Object, Text};
use crate::source::commands::Action;
use crate::source::{FileId, Location};

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

/// A reference as a run counts it. Who refers and what it refers to are written out only for one
/// that cannot be verified, the only kind listed: a large tree has tens of thousands of
/// references, nearly all verified, and a workspace keeps them between lints.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub location: Location,
    /// A digest of what it refers to (`Service shop/podinfo`): enough to count one reference
    /// made in several clusters once.
    pub target: u64,
    pub cluster: Option<Text>,
    /// Set when it cannot be verified.
    pub unverified: Option<Box<Unverified>>,
    /// It names nothing in the tree (and nothing makes it unverified): a not-found finding's.
    pub missing: bool,
}

/// What a listing shows of a reference that cannot be verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Unverified {
    pub reason: String,
    pub object: Option<ObjectRef>,
    pub from: String,
    pub target: String,
}

impl Resolved {
    /// `who` gives the referring object and who refers, only asked for when `reason` is set.
    fn new(
        location: Location,
        target: String,
        lookup: Lookup,
        who: impl FnOnce() -> (Option<ObjectRef>, String),
    ) -> Resolved {
        use std::hash::BuildHasher;
        let missing = lookup == Lookup::Missing;
        let reason = unverified(lookup);
        Resolved {
            location,
            target: foldhash::quality::FixedState::default().hash_one(target.as_str()),
            cluster: None,
            missing,
            unverified: reason.map(|reason| {
                let (object, from) = who();
                Box::new(Unverified {
                    reason,
                    object,
                    from,
                    target,
                })
            }),
        }
    }

    /// Why it cannot be verified, if it cannot.
    pub fn reason(&self) -> Option<&str> {
        self.unverified.as_ref().map(|u| u.reason.as_str())
    }

    /// The whole reference, when it cannot be verified.
    pub fn unverified_reference(&self) -> Option<Reference> {
        let u = self.unverified.as_ref()?;
        Some(Reference {
            location: self.location,
            object: u.object.clone(),
            from: u.from.clone(),
            target: u.target.clone(),
            unverified: Some(u.reason.clone()),
            cluster: self.cluster.map(|c| c.to_string()),
        })
    }
}

/// The references of a Catalog, in no particular order.
pub fn references(catalog: &Catalog) -> Vec<Resolved> {
    let mut out = Vec::new();
    parent_refs(catalog, &mut out);
    backend_refs(catalog, &mut out);
    certificate_refs(catalog, &mut out);
    listener_set_refs(catalog, &mut out);
    label_commands(catalog, &mut out);
    chart_renders(catalog, &mut out);
    peer_config_refs(catalog, &mut out);
    workload_refs(catalog, &mut out);
    service_selectors(catalog, &mut out);
    out
}

/// Each workload's ConfigMaps and Secrets (`kube-root-ca.crt` is in every namespace) and a
/// StatefulSet's `serviceName`.
fn workload_refs(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for (o, w) in catalog.written_workloads() {
        let (Some(at), Some(ns)) = (o.location, o.namespace.as_deref()) else {
            continue;
        };
        let refs = w
            .config_refs
            .iter()
            .filter(|r| !r.in_every_namespace())
            .map(|r| (r.kind.kind(), &r.name))
            .chain(w.service_name.iter().map(|n| ("Service", n)));
        for (kind, name) in refs {
            out.push(Resolved::new(
                Location {
                    file: at.file,
                    span: name.span,
                },
                target(kind, ns, name.as_str()),
                catalog.lookup_for_workload(w, kind, ns, name.as_str()),
                || (Some(ObjectRef::of(o)), referrer(o)),
            ));
        }
    }
}

/// Each Service selector that chooses endpoints, and the pods it selects: found when a
/// workload's template matches, unverifiable when pods cilint cannot see may match.
fn service_selectors(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for p in super::pods::service_pods(catalog) {
        let (Some(at), Some(span)) = (p.object.location, p.service.selector_span) else {
            continue;
        };
        let lookup = match (p.workloads.first(), p.unseen) {
            (Some(&(id, _)), _) => Lookup::Found(id),
            (None, Some(reason)) if !catalog.strict => Lookup::Unverifiable(reason),
            (None, _) => Lookup::Missing,
        };
        let o = p.object;
        out.push(Resolved::new(
            Location {
                file: at.file,
                span,
            },
            ["pods of Service ", &o.qualified_name()].concat(),
            lookup,
            || (Some(ObjectRef::of(o)), referrer(o)),
        ));
    }
}

/// Each CiliumBGPClusterConfig peer's `peerConfigRef` to a (cluster-scoped) CiliumBGPPeerConfig.
fn peer_config_refs(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for &id in catalog.of_kind(bgp::GROUP, bgp::CLUSTER_CONFIG) {
        let o = catalog.object(id);
        let Some(at) = o.location else {
            continue;
        };
        for name in bgp::peers(o)
            .iter()
            .filter_map(|p| p.peer_config_ref.as_ref())
        {
            out.push(Resolved::new(
                Location {
                    file: at.file,
                    span: name.span,
                },
                format!("{} {}", bgp::PEER_CONFIG, name.value),
                bgp::peer_config_lookup(catalog, &name.value),
                || (Some(ObjectRef::of(o)), referrer(o)),
            ));
        }
    }
}

fn unverified(lookup: Lookup) -> Option<String> {
    match lookup {
        Lookup::Unverifiable(reason) => Some(reason),
        Lookup::Found(_) | Lookup::Missing => None,
    }
}

/// `Service shop/podinfo`. Joined rather than formatted: there is one per reference.
fn target(kind: &str, namespace: &str, name: &str) -> String {
    [kind, " ", namespace, "/", name].concat()
}

/// `HTTPRoute shop/storefront`: who refers.
fn referrer(o: &Object) -> String {
    format!("{} {}", o.kind, o.qualified_name())
}

fn parent_refs(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for (route, spec) in routes(catalog) {
        let Some(at) = route.location else {
            continue;
        };
        for parent in spec
            .parent_refs
            .iter()
            .filter(|p| p.is_gateway() || p.is_listener_set())
        {
            let ns = parent_namespace(catalog, route, parent);
            let name = parent.name.as_str();
            out.push(Resolved::new(
                Location {
                    file: at.file,
                    span: parent.name.span,
                },
                target(&parent.kind, ns, name),
                catalog.lookup(&parent.group, &parent.kind, Some(ns), name),
                || (Some(ObjectRef::of(route)), referrer(route)),
            ));
        }
    }
}

fn backend_refs(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for u in catalog.service_backend_refs() {
        let name = u.backend.name.as_str();
        out.push(Resolved::new(
            Location {
                file: u.file,
                span: u.backend.name.span,
            },
            target("Service", u.namespace, name),
            catalog.lookup("", "Service", Some(u.namespace), name),
            || (Some(ObjectRef::of(u.route)), referrer(u.route)),
        ));
    }
}

/// Each app-template HelmRelease cilint renders: its chart, and whatever of it could not be
/// rendered exactly (a template Helm alone evaluates, a version whose rules are assumed).
fn chart_renders(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for render in catalog.rendered_releases() {
        let release = catalog.object(render.release);
        let Some(at) = release.location else {
            continue;
        };
        let who = || {
            (
                Some(ObjectRef::of(release)),
                format!("HelmRelease {}", release.qualified_name()),
            )
        };
        let chart = || format!("Helm chart app-template {}", render.version);
        if render.notes.is_empty() {
            out.push(Resolved::new(
                at,
                chart(),
                Lookup::Found(render.release),
                who,
            ));
        }
        for note in &render.notes {
            out.push(Resolved::new(
                Location {
                    file: at.file,
                    span: note.span,
                },
                chart(),
                Lookup::Unverifiable(note.message.clone()),
                who,
            ));
        }
    }
}

fn certificate_refs(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for &gw_id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let gw = catalog.object(gw_id);
        let (Some(spec), Some(at), Some(gw_ns)) =
            (gw.gateway(), gw.location, gw.namespace.as_deref())
        else {
            continue;
        };
        let from = || {
            (
                Some(ObjectRef::of(gw)),
                format!("Gateway {}", gw.qualified_name()),
            )
        };
        secret_refs(catalog, &spec.listeners, gw_ns, at.file, from, out);
    }
}

/// The certificate Secrets of a Gateway's or a ListenerSet's listeners, in `owner_ns` unless
/// they name another.
fn secret_refs<'c>(
    catalog: &Catalog,
    listeners: &'c [Listener],
    owner_ns: &'c str,
    file: FileId,
    from: impl Fn() -> (Option<ObjectRef>, String) + Copy,
    out: &mut Vec<Resolved>,
) {
    let refs = listeners
        .iter()
        .flat_map(|l| &l.certificate_refs)
        .filter(|r| r.group.is_empty() && r.kind == "Secret");
    for r in refs {
        let ns = r.namespace.as_ref().map_or(owner_ns, |n| n.as_str());
        let name = r.name.as_str();
        out.push(Resolved::new(
            Location {
                file,
                span: r.name.span,
            },
            target("Secret", ns, name),
            catalog.lookup("", "Secret", Some(ns), name),
            from,
        ));
    }
}

/// A ListenerSet's parent Gateway and its listeners' certificate Secrets.
fn listener_set_refs(catalog: &Catalog, out: &mut Vec<Resolved>) {
    for (set, spec) in listener_sets(catalog) {
        let (Some(at), Some(set_ns)) = (set.location, set.namespace.as_deref()) else {
            continue;
        };
        let from = || (Some(ObjectRef::of(set)), referrer(set));
        if let (Some(parent), Some(lookup)) = (&spec.parent, parent_lookup(catalog, set)) {
            let ns = listener_set::parent_namespace(catalog, set, parent);
            out.push(Resolved::new(
                Location {
                    file: at.file,
                    span: parent.name.span,
                },
                target("Gateway", ns, parent.name.as_str()),
                lookup,
                from,
            ));
        }
        secret_refs(catalog, &spec.listeners, set_ns, at.file, from, out);
    }
}

/// `kubectl label|annotate service cilium-gateway-<name>`: satisfied by the Gateway `<name>` or
/// by the Service itself, so unverified only when neither is found and one is unverifiable.
fn label_commands(catalog: &Catalog, out: &mut Vec<Resolved>) {
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
            let why = match (by_gateway, by_service) {
                (Lookup::Found(id), _) | (_, Lookup::Found(id)) => Lookup::Found(id),
                (Lookup::Unverifiable(r), _) | (_, Lookup::Unverifiable(r)) => {
                    Lookup::Unverifiable(r)
                }
                (Lookup::Missing, Lookup::Missing) => Lookup::Missing,
            };
            out.push(Resolved::new(
                Location {
                    file: cmd.location.file,
                    span: t.name.span,
                },
                target("Service", ns, service),
                why,
                || {
                    let verb = if *annotate { "annotate" } else { "label" };
                    (None, format!("kubectl {verb}"))
                },
            ));
        }
    }
}
