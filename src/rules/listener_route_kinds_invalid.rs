//! listener-route-kinds-invalid: a listener's `allowedRoutes.kinds` lists a kind its protocol
//! cannot carry (a TCPRoute on an HTTP listener, a TLSRoute on HTTPS, a misspelt kind).

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::attachment::{Outcome, ROUTE_KINDS};
use crate::analysis::listener_set::listener_owners;
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::Listener;
use crate::model::route::protocol_kinds;
use crate::model::route_kinds::{invalid_entries, refused_by_invalid_kinds};
use crate::model::{GATEWAY_GROUP, Object};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "listener-route-kinds-invalid",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a listener's allowedRoutes.kinds names a route kind its protocol cannot carry",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "ResolvedRefs=False/InvalidRouteKinds";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // Gateways, and the ListenerSets that join one (the same listener fields and CEL rules).
    for owner in listener_owners(catalog) {
        let gw = owner.object;
        let Some(location) = gw.location else {
            continue;
        };
        for (li, listener) in owner.listeners.iter().enumerate() {
            let invalid = invalid_entries(listener);
            let Some(&first) = invalid.first() else {
                continue;
            };
            let at = |span| Location {
                file: location.file,
                span,
            };
            let span = listener
                .allowed_routes
                .kind_spans
                .get(first)
                .copied()
                .unwrap_or(listener.span);
            let mut f = Finding::new(&META, at(span), message(gw, listener, &invalid))
                .object(gw)
                .field(format!("spec.listeners[{li}].allowedRoutes.kinds[{first}]"))
                .label(format!(
                    "protocol {} cannot carry this kind",
                    listener.protocol
                ))
                .condition(CONDITION)
                .help(help(listener, &invalid));
            // The routes this refuses are reported here, not by route-not-allowed.
            for a in catalog.attempts() {
                let Outcome::NotAllowedByListeners(refusals) = &a.outcome else {
                    continue;
                };
                let ours = refusals.iter().any(|r| {
                    std::ptr::eq(r.listener, listener)
                        && r.namespace.is_none()
                        && refused_by_invalid_kinds(listener, a.spec.kind)
                });
                if ours {
                    f = f.related(
                        a.route.location.map(|l| Location {
                            file: l.file,
                            span: a.parent.name.span,
                        }),
                        format!(
                            "{} {} is not attached through this listener \
                             (Accepted=False/NotAllowedByListeners)",
                            a.route.kind,
                            a.route.qualified_name()
                        ),
                    );
                }
            }
            out.push(f);
        }
    }
}

fn entry(listener: &Listener, i: usize) -> String {
    let (group, kind) = &listener.allowed_routes.kinds[i];
    if group == GATEWAY_GROUP {
        format!("`{kind}`")
    } else {
        format!("`{kind}` (group `{group}`)")
    }
}

fn carried(listener: &Listener) -> String {
    protocol_kinds(&listener.protocol)
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn message(gw: &Object, listener: &Listener, invalid: &[usize]) -> String {
    let entries: Vec<String> = invalid.iter().map(|&i| entry(listener, i)).collect();
    let all = invalid.len() == listener.allowed_routes.kinds.len();
    format!(
        "{} {}: listener `{}` lists {} in allowedRoutes.kinds, which protocol {} cannot \
         carry (it carries {}){}",
        gw.kind,
        gw.qualified_name(),
        listener.name.value,
        entries.join(", "),
        listener.protocol,
        carried(listener),
        if all {
            ": no kind is left, so the listener admits no route"
        } else {
            ": the controller drops the entry and admits the rest"
        }
    )
}

fn help(listener: &Listener, invalid: &[usize]) -> String {
    let mut kinds: Vec<&str> = invalid
        .iter()
        .map(|&i| listener.allowed_routes.kinds[i].1.as_str())
        .collect();
    kinds.dedup();
    let homes: Vec<String> = kinds
        .iter()
        .filter_map(|k| {
            let kind = ROUTE_KINDS.iter().find(|r| r.as_str() == *k)?;
            let protocols: Vec<&str> = ["HTTP", "HTTPS", "TLS", "TCP", "UDP"]
                .into_iter()
                .filter(|p| protocol_kinds(p).contains(kind))
                .collect();
            Some(format!("a {k} needs a {} listener", protocols.join(" or ")))
        })
        .collect();
    let mut help = format!(
        "remove the entry, or list only kinds protocol {} carries ({}; group \
         gateway.networking.k8s.io)",
        listener.protocol,
        carried(listener)
    );
    if !homes.is_empty() {
        help.push_str(&format!(": {}", homes.join("; ")));
    }
    help
}
