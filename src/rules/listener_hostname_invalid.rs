//! listener-hostname-invalid: a TCP or UDP listener sets `hostname`. Those protocols carry no
//! host name to match, and a CEL rule of the Gateway CRD refuses the Gateway.

use super::{Category, Facts, Rule, RuleMeta};
use crate::diagnostic::{Finding, Severity};
use crate::model::gateway::Listener;
use crate::model::{GATEWAY_GROUP, Object};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "listener-hostname-invalid",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a TCP or UDP listener sets a hostname, which the API server refuses",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for &gw_id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let gw = catalog.object(gw_id);
        let (Some(spec), Some(at)) = (gw.gateway(), gw.location) else {
            continue;
        };
        for (li, listener) in spec.listeners.iter().enumerate() {
            if !matches!(listener.protocol.as_str(), "TCP" | "UDP") {
                continue;
            }
            // The CEL rule lets an empty hostname through.
            let Some(hostname) = listener.hostname.as_ref().filter(|h| !h.value.is_empty()) else {
                continue;
            };
            let location = Location {
                file: at.file,
                span: hostname.span,
            };
            if catalog.in_unverifiable(location) {
                continue;
            }
            out.push(
                Finding::new(&META, location, message(gw, listener, &hostname.value))
                    .object(gw)
                    .field(format!("spec.listeners[{li}].hostname"))
                    .label(format!("not allowed on {}", listener.protocol))
                    .help(format!(
                        "remove `hostname` from listener `{}`: a {} listener matches by port \
                         alone; to route by host name use an HTTPS listener (HTTPRoute) or a TLS \
                         listener (TLSRoute, by SNI)",
                        listener.name.value, listener.protocol
                    )),
            );
        }
    }
}

fn message(gw: &Object, l: &Listener, hostname: &str) -> String {
    format!(
        "Gateway {}: listener `{}` ({}) sets hostname `{hostname}`: the API server rejects the \
         Gateway with \"hostname must not be specified for protocols ['TCP', 'UDP']\" (a CEL \
         rule of the Gateway CRD)",
        gw.qualified_name(),
        l.name.value,
        l.protocol
    )
}
