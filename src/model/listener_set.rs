//! ListenerSet (`gateway.networking.k8s.io/v1`, standard since Gateway API v1.5; the
//! experimental `gateway.networking.x-k8s.io/v1alpha1` XListenerSet of v1.3–v1.4): listeners
//! that join a parent Gateway when its `spec.allowedListeners` admits the set's namespace
//! (GEP-1713; `apis/v1/listenerset_types.go`).

use super::gateway::Listener;
use super::{GATEWAY_GROUP, Spanned, Text, text_at};
use crate::source::Span;
use crate::source::yaml::Node;

/// The API group of the experimental XListenerSet.
pub const X_GATEWAY_GROUP: &str = "gateway.networking.x-k8s.io";

/// The `(group, kind)` pairs a ListenerSet is written as.
pub const KINDS: [(&str, &str); 2] = [
    (GATEWAY_GROUP, "ListenerSet"),
    (X_GATEWAY_GROUP, "XListenerSet"),
];

pub fn is_listener_set(group: &str, kind: &str) -> bool {
    KINDS.iter().any(|&(g, k)| g == group && k == kind)
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ListenerSet {
    /// `spec.parentRef`; `None` when it is not written or has no name.
    pub parent: Option<ParentGatewayRef>,
    /// `spec.listeners`, read as a Gateway's (ListenerEntry has the same fields).
    pub listeners: Box<[Listener]>,
}

/// `spec.parentRef` (ParentGatewayReference): group and kind default to the Gateway's, the
/// namespace to the ListenerSet's.
#[derive(Clone, Debug, PartialEq)]
pub struct ParentGatewayRef {
    pub group: Text,
    pub kind: Text,
    pub namespace: Option<Spanned<Text>>,
    pub name: Spanned<Text>,
    pub span: Span,
}

impl ParentGatewayRef {
    pub fn is_gateway(&self) -> bool {
        self.group == GATEWAY_GROUP && self.kind == "Gateway"
    }
}

impl ListenerSet {
    pub fn from_spec(spec: Option<Node<'_>>) -> ListenerSet {
        let Some(spec) = spec else {
            return ListenerSet::default();
        };
        let parent = spec.get("parentRef").and_then(|p| {
            Some(ParentGatewayRef {
                group: text_at(p, "group", GATEWAY_GROUP),
                kind: text_at(p, "kind", "Gateway"),
                namespace: p.get("namespace").and_then(Spanned::from_str_node),
                name: p.get("name").and_then(Spanned::from_str_node)?,
                span: p.span(),
            })
        });
        ListenerSet {
            parent,
            listeners: spec
                .get("listeners")
                .map(Node::as_seq)
                .unwrap_or_default()
                .map(Listener::from_node)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Spec, first_object};

    fn set_of(yaml: &str) -> ListenerSet {
        match first_object(yaml, "default").spec {
            Spec::ListenerSet(s) => *s,
            other => panic!("not a ListenerSet: {other:?}"),
        }
    }

    #[test]
    fn reads_the_parent_and_the_listeners() {
        let s = set_of(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\n\
             metadata: {name: team-a, namespace: team-a}\n\
             spec:\n  parentRef: {name: shared, namespace: infra}\n  listeners:\n\
             \x20 - name: https\n    port: 443\n    protocol: HTTPS\n    hostname: a.example.com\n\
             \x20   tls: {certificateRefs: [{name: a-tls}]}\n\
             \x20   allowedRoutes: {namespaces: {from: All}}\n",
        );
        let p = s.parent.expect("parentRef");
        assert!(p.is_gateway(), "group and kind default to the Gateway's");
        assert_eq!(p.name.value, "shared");
        assert_eq!(p.namespace.unwrap().value, "infra");
        assert_eq!(s.listeners.len(), 1);
        let l = &s.listeners[0];
        assert_eq!(
            (l.name.value.as_str(), l.port, l.protocol.as_str()),
            ("https", Some(443), "HTTPS")
        );
        assert_eq!(l.hostname.as_ref().unwrap().value, "a.example.com");
        assert_eq!(l.certificate_refs[0].name.value, "a-tls");
    }

    #[test]
    fn the_experimental_xlistenerset_is_the_same_shape() {
        let s = set_of(
            "apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XListenerSet\n\
             metadata: {name: team-a}\n\
             spec:\n  parentRef: {name: shared, kind: Gateway, group: gateway.networking.k8s.io}\n\
             \x20 listeners: [{name: http, port: 80, protocol: HTTP}]\n",
        );
        assert!(s.parent.unwrap().namespace.is_none());
        assert_eq!(s.listeners[0].name.value, "http");
    }

    #[test]
    fn a_parent_without_a_name_is_no_parent() {
        let s = set_of(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: x}\n\
             spec: {parentRef: {kind: Gateway}, listeners: 7}\n",
        );
        assert!(s.parent.is_none());
        assert!(s.listeners.is_empty());
    }
}
