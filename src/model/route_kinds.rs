//! Which route kinds a listener's protocol can carry, for `allowedRoutes.kinds`: an entry the
//! protocol cannot carry is `ResolvedRefs=False/InvalidRouteKinds` on the listener, and the
//! listener admits only the valid entries (gateway-api `apis/v1/gateway_types.go`,
//! `AllowedRoutes.Kinds`; Cilium `getSupportedGroupKind`).

use super::GATEWAY_GROUP;
use super::gateway::Listener;
use super::route::{RouteKind, protocol_kinds};

/// Whether the protocol is one of the five core ones, whose route kinds the API defines. A
/// domain-prefixed protocol is the implementation's to define: cilint cannot judge its kinds.
pub fn is_core_protocol(protocol: &str) -> bool {
    matches!(protocol, "HTTP" | "HTTPS" | "TLS" | "TCP" | "UDP")
}

/// Whether one `allowedRoutes.kinds` entry is a kind the listener's protocol carries. Always
/// true for a protocol that is not a core one.
pub fn entry_is_valid(protocol: &str, group: &str, kind: &str) -> bool {
    if !is_core_protocol(protocol) {
        return true;
    }
    group == GATEWAY_GROUP
        && RouteKind::from_kind(kind).is_some_and(|k| protocol_kinds(protocol).contains(&k))
}

/// The positions of the listener's `allowedRoutes.kinds` entries its protocol cannot carry.
pub fn invalid_entries(listener: &Listener) -> Vec<usize> {
    listener
        .allowed_routes
        .kinds
        .iter()
        .enumerate()
        .filter(|(_, (g, k))| !entry_is_valid(&listener.protocol, g, k))
        .map(|(i, _)| i)
        .collect()
}

/// Whether the listener refuses `kind` because of its own invalid `allowedRoutes.kinds`: the
/// kind is listed but the protocol cannot carry it, the protocol carries the kind and an entry
/// is invalid (a misspelt `HttpRoute`), or every entry is invalid so the listener admits
/// nothing. Then the listener is the root cause, not the route.
pub fn refused_by_invalid_kinds(listener: &Listener, kind: RouteKind) -> bool {
    let kinds = &listener.allowed_routes.kinds;
    if kinds.is_empty() || !is_core_protocol(&listener.protocol) {
        return false;
    }
    let listed = kinds
        .iter()
        .any(|(g, k)| g == GATEWAY_GROUP && k == kind.as_str());
    let invalid = invalid_entries(listener);
    let carried = protocol_kinds(&listener.protocol).contains(&kind);
    !invalid.is_empty() && (listed || carried || invalid.len() == kinds.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::first_object;

    fn listener(protocol: &str, kinds: &str) -> Listener {
        let yaml = format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g, namespace: n}}\n\
             spec:\n  listeners:\n  - {{name: l, port: 1, protocol: {protocol}, allowedRoutes: {{kinds: {kinds}}}}}\n"
        );
        first_object(&yaml, "default").gateway().unwrap().listeners[0].clone()
    }

    #[test]
    fn entries_the_protocol_cannot_carry_are_invalid() {
        let l = listener(
            "HTTP",
            "[{kind: HTTPRoute}, {kind: TCPRoute}, {kind: FooRoute}]",
        );
        assert_eq!(invalid_entries(&l), [1, 2]);
        // The valid entry still admits; the invalid ones admit nothing.
        assert!(l.admits_kind(RouteKind::Http));
        assert!(!l.admits_kind(RouteKind::Tcp));
        assert!(refused_by_invalid_kinds(&l, RouteKind::Tcp));
        // GRPCRoute is carried by HTTP but not listed: the listener's invalid entries may have
        // meant it, so the listener is the one to fix.
        assert!(refused_by_invalid_kinds(&l, RouteKind::Grpc));
        // A UDPRoute is neither listed nor carried: the route is wrong, not the list.
        assert!(!refused_by_invalid_kinds(&l, RouteKind::Udp));
    }

    #[test]
    fn a_group_other_than_the_gateway_api_is_invalid() {
        let l = listener("HTTPS", "[{group: networking.k8s.io, kind: HTTPRoute}]");
        assert_eq!(invalid_entries(&l), [0]);
        assert!(!l.admits_kind(RouteKind::Http));
        assert!(refused_by_invalid_kinds(&l, RouteKind::Http));
    }

    #[test]
    fn valid_lists_and_custom_protocols_are_not_judged() {
        let l = listener("TLS", "[{kind: TLSRoute}]");
        assert!(invalid_entries(&l).is_empty());
        assert!(!refused_by_invalid_kinds(&l, RouteKind::Http));
        let custom = listener("example.com/QUIC", "[{kind: UDPRoute}, {kind: BarRoute}]");
        assert!(invalid_entries(&custom).is_empty());
        assert!(custom.admits_kind(RouteKind::Udp));
    }
}
