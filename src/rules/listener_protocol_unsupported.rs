//! listener-protocol-unsupported: a TCP or UDP listener of a Cilium Gateway on a Cilium release
//! that does not program them (up to 1.19: only HTTP, HTTPS and TLS listeners are ingested), so
//! the TCPRoutes and UDPRoutes attached to it carry no traffic.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::attachment::{Outcome, selects};
use crate::analysis::versions::CILIUM_NEEDING_V1_6;
use crate::diagnostic::{Finding, Severity};
use crate::model::GATEWAY_GROUP;
use crate::model::route::protocol_kinds;
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "listener-protocol-unsupported",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "a TCP or UDP listener of a Cilium Gateway on a Cilium release that does not program it (before 1.20)",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // Only with a known Cilium release: 1.20 programs TCP and UDP listeners.
    let Some((cilium, cilium_from)) = catalog.versions.cilium else {
        return;
    };
    if cilium.at_least(CILIUM_NEEDING_V1_6) {
        return;
    }
    for &gw_id in catalog.of_kind(GATEWAY_GROUP, "Gateway") {
        let gw = catalog.object(gw_id);
        let (Some(spec), Some(location)) = (gw.gateway(), gw.location) else {
            continue;
        };
        if !catalog.is_cilium_gateway(gw_id) {
            continue;
        }
        for (li, listener) in spec.listeners.iter().enumerate() {
            let protocol = listener.protocol.as_str();
            if !matches!(protocol, "TCP" | "UDP") {
                continue;
            }
            let at = Location {
                file: location.file,
                span: listener.name.span,
            };
            let mut f = Finding::new(
                &META,
                at,
                format!(
                    "Gateway {}: Cilium {cilium} does not program {protocol} listener `{}`; its \
                     routes carry no traffic",
                    gw.qualified_name(),
                    listener.name.value
                ),
            )
            .object(gw)
            .field(format!("spec.listeners[{li}]"))
            .label(format!("{protocol} listener not programmed"))
            .help(format!(
                "Cilium up to 1.19 programs only HTTP, HTTPS and TLS listeners; {protocol} \
                 listeners come with Cilium 1.20 (with Gateway API v1.6.1). Until then expose \
                 the backend with a LoadBalancer Service{}",
                if cilium_from.location().is_some() {
                    ""
                } else {
                    " (the Cilium release is set by the configuration or the command line)"
                }
            ))
            .related(
                cilium_from.location(),
                format!("Cilium {cilium} is pinned here"),
            );
            // The routes that rely on it: attached to this Gateway through this listener.
            for a in catalog.attempts() {
                if std::ptr::eq(a.gateway, gw)
                    && matches!(a.outcome, Outcome::Accepted)
                    && selects(a.parent, listener)
                    && protocol_kinds(protocol).contains(&a.spec.kind)
                {
                    f = f.related(
                        a.route.location.map(|l| Location {
                            file: l.file,
                            span: a.parent.span,
                        }),
                        format!(
                            "{} {} attaches here and carries no traffic",
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
