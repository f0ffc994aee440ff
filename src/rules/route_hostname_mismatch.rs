//! route-hostname-mismatch: no hostname of a route intersects the hostname of any listener that
//! admits it.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::attachment::{Attempt, Outcome, attach};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::Listener;
use crate::source::{Location, Span};

pub static META: RuleMeta = RuleMeta {
    id: "route-hostname-mismatch",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "no route hostname intersects the hostname of a listener that admits the route",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "Accepted=False/NoMatchingListenerHostname";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for a in catalog.attempts() {
        let Outcome::NoMatchingListenerHostname(listeners) = &a.outcome else {
            continue;
        };
        let Some(at) = a.route.location else {
            continue;
        };
        // From the first hostname to the last: a block sequence's own span runs on to the next
        // key.
        let span = match (a.spec.hostnames.first(), a.spec.hostnames.last()) {
            (Some(first), Some(last)) => Span {
                start: first.span.start,
                end: last.span.end,
            },
            _ => a.spec.hostnames_span.unwrap_or(a.parent.name.span),
        };
        let location = Location {
            file: at.file,
            span,
        };
        let mut finding = Finding::new(&META, location, message(a, listeners))
            .object(a.route)
            // Accepted is decided per parentRef: one finding per parentRef.
            .field(a.parent.path())
            .label("matches no listener hostname")
            .condition(CONDITION)
            .help(help(catalog, a, listeners));
        for l in listeners {
            let span = l.hostname.as_ref().map_or(l.span, |h| h.span);
            finding = finding.related(
                a.gateway.location.map(|g| Location { file: g.file, span }),
                format!(
                    "listener `{}` of {} accepts {}",
                    l.name.value,
                    a.parent_label(),
                    hostname(l)
                ),
            );
        }
        out.push(finding);
    }
}

fn hostname(l: &Listener) -> &str {
    l.hostname.as_ref().map_or("any hostname", |h| h.as_str())
}

fn message(a: &Attempt, listeners: &[&Listener]) -> String {
    let accepted = listeners
        .iter()
        .map(|l| format!("`{}` accepts {}", l.name.value, hostname(l)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} {}: none of its hostnames ({}) matches a listener of {} that admits it ({})",
        a.route.kind,
        a.route.qualified_name(),
        a.spec.hostname_strs().join(", "),
        a.parent_label(),
        accepted
    )
}

fn help(catalog: &Catalog, a: &Attempt, listeners: &[&Listener]) -> String {
    // The classic miss: `*.example.com` covers subdomains, never the apex `example.com`.
    for l in listeners {
        let Some(suffix) = l
            .hostname
            .as_ref()
            .and_then(|h| h.as_str().strip_prefix("*."))
        else {
            continue;
        };
        if let Some(apex) = a
            .spec
            .hostnames
            .iter()
            .find(|h| h.value.eq_ignore_ascii_case(suffix))
        {
            return format!(
                "`*.{suffix}` matches subdomains only, never `{}` itself: add a listener with \
                 hostname `{}`, or use a subdomain such as `www.{suffix}` in the route",
                apex.value, apex.value
            );
        }
    }
    if let Some(other) = other_listener(catalog, a) {
        return format!(
            "listener `{}` of the same {} would accept the route: set `sectionName: {}`",
            other.name.value, a.gateway.kind, other.name.value
        );
    }
    "use a hostname the listener accepts in spec.hostnames, or add a listener for the route's \
     hostnames (a listener without a hostname accepts any)"
        .into()
}

/// A listener the parentRef does not select but that would accept the route, when the
/// parentRef narrows the Gateway with a sectionName or port.
fn other_listener<'a>(catalog: &Catalog, a: &Attempt<'a>) -> Option<&'a Listener> {
    if a.parent.section_name.is_none() && a.parent.port.is_none() {
        return None;
    }
    let listeners = a.listeners();
    let ns = a.gateway.namespace.as_deref()?;
    listeners.iter().find(|l| {
        let mut parent = a.parent.clone();
        parent.section_name = Some(l.name.clone());
        parent.port = None;
        matches!(
            attach(catalog, a.route, a.spec, &parent, ns, listeners),
            Outcome::Accepted
        )
    })
}
