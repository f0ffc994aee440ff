//! listener-conflict: two listeners of one Gateway that cannot both exist: the same name, the
//! same port, protocol and hostname, or a TCP listener sharing a port with an HTTP, HTTPS or TLS
//! one.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::listener_set::{Standing, listener_sets, standing};
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
        if let Some(spec) = gw.gateway() {
            report(gw, &spec.listeners, None, out);
        }
    }
    // A ListenerSet's listeners among themselves (the same CEL rules), and against the
    // listeners of the Gateway it joins, which take precedence (GEP-1713).
    for (set, spec) in listener_sets(catalog) {
        let parent = match standing(catalog, set) {
            Standing::Joined(gw) => gw.gateway().map(|g| (gw, &g.listeners[..])),
            _ => None,
        };
        report(set, &spec.listeners, parent, out);
    }
}

/// Reports each listener of `owner` once, against the first earlier one it conflicts with: of
/// its own, else of the parent Gateway (where names may repeat). Gateways and ListenerSets have
/// at most 64 listeners, so the pairs are few.
fn report(
    owner: &Object,
    listeners: &[Listener],
    parent: Option<(&Object, &[Listener])>,
    out: &mut Vec<Finding>,
) {
    let Some(location) = owner.location else {
        return;
    };
    // For a ListenerSet, the listeners the controller rejected: a later listener does not
    // conflict with those (conformance ListenerSetProtocolConflict).
    let mut rejected = vec![false; listeners.len()];
    for (i, later) in listeners.iter().enumerate() {
        let earlier_own = |cel_only: bool| {
            listeners[..i]
                .iter()
                .zip(&rejected)
                .find_map(|(e, &gone)| match conflict(e, later) {
                    Some(Conflict::Protocol) if cel_only || gone => None,
                    c => c.map(|c| (e, c)),
                })
        };
        let inherited = || {
            let (gw, gw_listeners) = parent?;
            gw_listeners
                .iter()
                .find_map(|e| endpoint_conflict(e, later).map(|c| (gw, e, c)))
        };
        // A Gateway: the first earlier listener it conflicts with. A ListenerSet: what its CRD
        // refuses, then the Gateway's listeners (which take precedence), then a protocol
        // conflict with an earlier listener of the set that was not itself rejected.
        let own = match parent {
            None => earlier_own(false),
            Some(_) => earlier_own(true),
        };
        let found = match own {
            Some((e, c)) => Some((e, c, None)),
            None => match inherited() {
                Some((gw, e, c)) => Some((e, c, Some(gw))),
                None if parent.is_some() => earlier_own(false).map(|(e, c)| (e, c, None)),
                None => None,
            },
        };
        let Some((earlier, conflict, from_gateway)) = found else {
            continue;
        };
        if parent.is_some() && !matches!(conflict, Conflict::Name | Conflict::Hostname)
            || from_gateway.is_some()
        {
            rejected[i] = true;
        }
        let from_parent = from_gateway.is_some();
        let (message, related) = match from_gateway {
            None => (
                message(owner, earlier, later, &conflict),
                Some(Location {
                    file: location.file,
                    span: earlier.name.span,
                }),
            ),
            Some(gw) => (
                parent_message(owner, gw, earlier, later, &conflict),
                gw.location.map(|l| Location {
                    file: l.file,
                    span: earlier.name.span,
                }),
            ),
        };
        let (span, field): (Span, &str) = match conflict {
            Conflict::Name => (later.name.span, "name"),
            Conflict::Hostname | Conflict::Protocol => (later.port_span, "port"),
        };
        let mut f = Finding::new(
            &META,
            Location {
                file: location.file,
                span,
            },
            message,
        )
        .object(owner)
        .field(format!("spec.listeners[{i}].{field}"))
        .label(label(&conflict))
        .help(help(earlier, later, &conflict))
        .related(related, format!("listener {} is here", earlier.describe()));
        // Within one object the CEL rules refuse it at admission; against the parent Gateway
        // the controller reports it (conformance ListenerSetHostnameConflict).
        let condition = match conflict {
            Conflict::Hostname if from_parent => Some("Conflicted=True/HostnameConflict"),
            _ => condition(&conflict),
        };
        if let Some(c) = condition {
            f = f.condition(c);
        }
        out.push(f);
    }
}

/// A ListenerSet listener that conflicts with one of its parent Gateway's: the Gateway's wins.
fn parent_message(
    set: &Object,
    gw: &Object,
    earlier: &Listener,
    later: &Listener,
    c: &Conflict,
) -> String {
    let what = match c {
        Conflict::Protocol => format!(
            "shares port {} with the Gateway's listener {} over an incompatible protocol",
            later.port.unwrap_or_default(),
            earlier.describe()
        ),
        _ => format!(
            "takes the same port, protocol and hostname as the Gateway's listener {}",
            earlier.describe()
        ),
    };
    format!(
        "{} {}: listener {} {what}; the parent Gateway {}'s own listeners take precedence, so \
         the controller marks this one Conflicted and does not program it",
        set.kind,
        set.qualified_name(),
        later.describe(),
        gw.qualified_name()
    )
}

fn conflict(a: &Listener, b: &Listener) -> Option<Conflict> {
    if !a.name.value.is_empty() && a.name.value == b.name.value {
        return Some(Conflict::Name);
    }
    endpoint_conflict(a, b)
}

/// A conflict of port, protocol and hostname, whatever the names (a ListenerSet's listener may
/// share its name with one of the Gateway's).
fn endpoint_conflict(a: &Listener, b: &Listener) -> Option<Conflict> {
    if a.port.is_none() || a.port != b.port {
        return None;
    }
    let host = |l: &Listener| l.hostname.as_ref().map(|h| h.value);
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

fn message(owner: &Object, earlier: &Listener, later: &Listener, c: &Conflict) -> String {
    let kind = &owner.kind;
    let gw = format!("{kind} {}", owner.qualified_name());
    match c {
        Conflict::Name => format!(
            "{gw}: two listeners are named `{}`: the API server rejects the {kind} with \
             \"Listener name must be unique within the Gateway\" (a CEL rule of the {kind} CRD)",
            later.name.value
        ),
        Conflict::Hostname => format!(
            "{gw}: listeners `{}` and `{}` both take {} on port {} {}: the API server \
             rejects the {kind} with \"Combination of port, protocol and hostname must be \
             unique for each listener\" (a CEL rule of the {kind} CRD)",
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
            "{gw}: listener `{}` ({}) shares port {} with listener `{}` ({}): a TCP \
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
