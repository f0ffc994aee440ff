//! route-listener-not-found: a parentRef's sectionName or port matches no listener of the
//! Gateway it names.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::attachment::{Attempt, Outcome};
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::Listener;
use crate::model::route::ParentRef;
use crate::model::suggest::{closest, only_close};
use crate::source::{Location, Span};

pub static META: RuleMeta = RuleMeta {
    id: "route-listener-not-found",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a parentRef's sectionName or port matches no listener of its Gateway",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "Accepted=False/NoMatchingParent";

/// Which part of the parentRef finds no listener.
enum Miss<'a> {
    /// No listener has this name.
    Name(&'a str),
    /// The named listener exists but listens on another port.
    Port { listener: &'a Listener, port: u32 },
    /// No listener is on this port (no sectionName).
    PortOnly(u32),
    /// The Gateway has no listeners at all.
    NoListeners,
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for a in catalog.attempts() {
        if !matches!(a.outcome, Outcome::NoMatchingParent) {
            continue;
        }
        let Some(at) = a.route.location else {
            continue;
        };
        let listeners = a.listeners();
        let (miss, span) = miss(a.parent, listeners);
        let location = Location {
            file: at.file,
            span,
        };
        let finding = Finding::new(&META, location, message(a, &miss))
            .object(a.route)
            .field(field(a.parent, &miss))
            .label(label(&miss))
            .condition(CONDITION)
            .help(help(&miss, listeners, &a.gateway.kind))
            .related(a.gateway.name_location(), a.parent_label());
        out.push(with_fix(finding, &miss, listeners));
    }
}

/// The unsafe fixes the help suggests: the one listener name close to the sectionName, or the
/// port of the listener the sectionName names.
fn with_fix(finding: Finding, miss: &Miss, listeners: &[Listener]) -> Finding {
    match miss {
        Miss::Name(name) => {
            let names = || listeners.iter().map(|l| l.name.value.as_str());
            match closest(name, names()) {
                Some(near) if only_close(name, names()) == Some(near) => {
                    finding.rename(name, near, format!("name listener `{near}`"))
                }
                _ => finding,
            }
        }
        Miss::Port {
            listener,
            port: written,
        } => match listener.port {
            Some(p) => finding.rename(
                &written.to_string(),
                &p.to_string(),
                format!(
                    "set port {p}, the port of listener `{}`",
                    listener.name.value
                ),
            ),
            None => finding,
        },
        Miss::PortOnly(_) | Miss::NoListeners => finding,
    }
}

/// What fails, and the node to point at: the sectionName when no listener has that name, else
/// the port.
fn miss<'a>(parent: &'a ParentRef, listeners: &'a [Listener]) -> (Miss<'a>, Span) {
    if let Some(section) = &parent.section_name {
        match listeners.iter().find(|l| l.name.value == section.value) {
            None => return (Miss::Name(&section.value), section.span),
            Some(listener) => {
                if let Some(port) = &parent.port {
                    return (
                        Miss::Port {
                            listener,
                            port: port.value,
                        },
                        port.span,
                    );
                }
            }
        }
    }
    match &parent.port {
        Some(port) => (Miss::PortOnly(port.value), port.span),
        None => (Miss::NoListeners, parent.name.span),
    }
}

/// The path of the node `miss` points at.
fn field(parent: &ParentRef, miss: &Miss) -> String {
    let key = match miss {
        Miss::Name(_) => "sectionName",
        Miss::Port { .. } | Miss::PortOnly(_) => "port",
        Miss::NoListeners => "name",
    };
    format!("{}.{key}", parent.path())
}

fn message(a: &Attempt, miss: &Miss) -> String {
    let route = format!("{} {}", a.route.kind, a.route.qualified_name());
    let gw = a.parent_label();
    match miss {
        Miss::Name(name) => format!("{route}: {gw} has no listener named `{name}`"),
        Miss::Port { listener, port } => format!(
            "{route}: parentRef asks for listener `{}` on port {port}, but {gw} has it on \
             port {}",
            listener.name.value,
            listener
                .port
                .map_or_else(|| "(none)".to_string(), |p| p.to_string())
        ),
        Miss::PortOnly(port) => format!("{route}: {gw} has no listener on port {port}"),
        Miss::NoListeners => format!("{route}: {gw} has no listeners"),
    }
}

fn label(miss: &Miss) -> String {
    match miss {
        Miss::Name(_) => "no such listener".into(),
        Miss::Port { listener, .. } => {
            format!("not the port of listener `{}`", listener.name.value)
        }
        Miss::PortOnly(_) => "no listener on this port".into(),
        Miss::NoListeners => "Gateway without listeners".into(),
    }
}

fn help(miss: &Miss, listeners: &[Listener], parent: &str) -> String {
    let fix = match miss {
        Miss::Name(name) => match closest(name, listeners.iter().map(|l| l.name.value.as_str())) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("set sectionName to the name of one of the {parent}'s listeners"),
        },
        Miss::Port { listener, .. } => match listener.port {
            Some(p) => format!("set `port: {p}`, or drop the port and keep the sectionName"),
            None => "drop the port and keep the sectionName".into(),
        },
        Miss::PortOnly(_) => {
            let mut ports: Vec<u32> = listeners.iter().filter_map(|l| l.port).collect();
            ports.sort_unstable();
            ports.dedup();
            let ports: Vec<String> = ports.iter().map(u32::to_string).collect();
            format!(
                "set port to one the {parent} listens on ({}), or name a listener with sectionName",
                ports.join(", ")
            )
        }
        Miss::NoListeners => return format!("add a listener to the {parent}"),
    };
    let list: Vec<String> = listeners.iter().map(Listener::describe).collect();
    format!("{fix}\nthe {parent}'s listeners: {}", list.join(", "))
}
