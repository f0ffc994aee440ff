//! listener-conflict: two listeners of one Gateway that cannot both exist: the same name, the
//! same port, protocol and hostname, or a TCP listener sharing a port with an HTTP, HTTPS or TLS
//! one.

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::Listener;
use crate::model::{GATEWAY_GROUP, Object};
use crate::source::{Location, Span};

pub static META: RuleMeta = RuleMeta {
    id: "listener-conflict",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "two listeners of a Gateway share a name, or a port with the same hostname or incompatible protocols",
};

pub const RULE: Rule = Rule { meta: &META, check };

enum Conflict {
    /// The same `name` (CEL: names are unique).
    Name,
    /// The same port, protocol and hostname (CEL; the controller's HostnameConflict).
    Hostname,
    /// TCP and a protocol carried over TCP on one port (ProtocolConflict).
    Protocol,
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for &gw_id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let gw = catalog.object(gw_id);
        let (Some(spec), Some(location)) = (gw.gateway(), gw.location) else {
            continue;
        };
        let listeners = &spec.listeners;
        // Each listener is reported once, against the first earlier one it conflicts with.
        // Gateways have at most 64 listeners, so the pairs are few.
        for (i, later) in listeners.iter().enumerate() {
            let Some((earlier, conflict)) = listeners[..i]
                .iter()
                .find_map(|e| conflict(e, later).map(|c| (e, c)))
            else {
                continue;
            };
            let at = |span| Location {
                file: location.file,
                span,
            };
            let (span, field): (Span, &str) = match conflict {
                Conflict::Name => (later.name.span, "name"),
                Conflict::Hostname | Conflict::Protocol => (later.port_span, "port"),
            };
            let mut f = Finding::new(&META, at(span), message(gw, earlier, later, &conflict))
                .object(gw)
                .field(format!("spec.listeners[{i}].{field}"))
                .label(label(&conflict))
                .help(help(earlier, later, &conflict))
                .related(
                    Some(at(earlier.name.span)),
                    format!("listener {} is here", earlier.describe()),
                );
            if let Some(c) = condition(&conflict) {
                f = f.condition(c);
            }
            out.push(f);
        }
    }
}

fn conflict(a: &Listener, b: &Listener) -> Option<Conflict> {
    if !a.name.value.is_empty() && a.name.value == b.name.value {
        return Some(Conflict::Name);
    }
    if a.port.is_none() || a.port != b.port {
        return None;
    }
    let host = |l: &Listener| l.hostname.as_ref().map(|h| h.value.clone());
    if a.protocol == b.protocol && host(a) == host(b) {
        return Some(Conflict::Hostname);
    }
    let over_tcp = |p: &str| matches!(p, "HTTP" | "HTTPS" | "TLS");
    if (a.protocol == "TCP" && over_tcp(&b.protocol))
        || (b.protocol == "TCP" && over_tcp(&a.protocol))
    {
        return Some(Conflict::Protocol);
    }
    None
}

fn message(gw: &Object, earlier: &Listener, later: &Listener, c: &Conflict) -> String {
    let gw = gw.qualified_name();
    match c {
        Conflict::Name => format!(
            "Gateway {gw}: two listeners are named `{}`: the API server rejects the Gateway with \
             \"Listener name must be unique within the Gateway\" (a CEL rule of the Gateway CRD)",
            later.name.value
        ),
        Conflict::Hostname => format!(
            "Gateway {gw}: listeners `{}` and `{}` both take {} on port {} {}: the API server \
             rejects the Gateway with \"Combination of port, protocol and hostname must be \
             unique for each listener\" (a CEL rule of the Gateway CRD)",
            earlier.name.value,
            later.name.value,
            later.protocol,
            later.port.unwrap_or_default(),
            match &later.hostname {
                Some(h) => format!("for hostname {}", h.value),
                None => "with no hostname".to_string(),
            }
        ),
        Conflict::Protocol => format!(
            "Gateway {gw}: listener `{}` ({}) shares port {} with listener `{}` ({}): a TCP \
             listener takes every connection on its port, so the Gateway API requires the \
             controller to reject both (Conflicted=True/ProtocolConflict); Cilium up to 1.19 \
             does not program TCP listeners at all",
            later.name.value,
            later.protocol,
            later.port.unwrap_or_default(),
            earlier.name.value,
            earlier.protocol
        ),
    }
}

fn label(c: &Conflict) -> &'static str {
    match c {
        Conflict::Name => "duplicate listener name",
        Conflict::Hostname => "same port, protocol and hostname as another listener",
        Conflict::Protocol => "port shared with an incompatible protocol",
    }
}

fn condition(c: &Conflict) -> Option<&'static str> {
    match c {
        // Rejected at admission: no controller ever sees it.
        Conflict::Name | Conflict::Hostname => None,
        Conflict::Protocol => Some("Conflicted=True/ProtocolConflict"),
    }
}

fn help(earlier: &Listener, later: &Listener, c: &Conflict) -> String {
    match c {
        Conflict::Name => format!(
            "rename one of them; routes pick a listener by name (sectionName `{}`)",
            later.name.value
        ),
        Conflict::Hostname => format!(
            "give listener `{}` another port or hostname, or merge it into `{}` (one listener \
             serves every route that attaches to it)",
            later.name.value, earlier.name.value
        ),
        Conflict::Protocol => format!(
            "move listener `{}` or `{}` to a port of its own",
            later.name.value, earlier.name.value
        ),
    }
}
