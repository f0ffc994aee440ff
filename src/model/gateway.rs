//! Gateway, its listeners, and GatewayClass.

use std::net::IpAddr;

use super::cilium::{LB_IPAM_IPS_ANNOTATIONS, parse_ips};
use super::listener_tls::ListenerTls;
use super::route::RouteKind;
use super::selector::LabelSelector;
use super::{GATEWAY_GROUP, Label, Spanned, Text, annotations_from, labels_from, text_at};

use crate::source::Span;
use crate::source::yaml::Node;

/// Gateway API allows at most this many `spec.infrastructure.labels` (`MaxProperties=8`).
pub const MAX_INFRASTRUCTURE_LABELS: usize = 8;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Gateway {
    pub class_name: Option<Spanned<Text>>,
    pub listeners: Box<[Listener]>,
    /// `spec.infrastructure.labels`: the only labels Cilium copies to the generated Service.
    pub infrastructure_labels: Box<[Label]>,
    /// `spec.infrastructure.annotations`: the only annotations Cilium copies to the generated
    /// Service (and CiliumEnvoyConfig).
    pub infrastructure_annotations: Box<[(Text, Spanned<Text>)]>,
    /// Addresses the Gateway asks LB-IPAM for: an `lbipam.cilium.io/ips` (or
    /// `io.cilium/lb-ipam-ips`) infrastructure annotation, which Cilium lets win, else
    /// `spec.addresses` of type IPAddress.
    pub requested_ips: Box<[IpAddr]>,
    /// Span of `spec.infrastructure` if written, else of `spec`.
    pub infrastructure_span: Option<Span>,
    pub spec_span: Option<Span>,
    /// TLS references outside `listeners[].tls.certificateRefs` (client-certificate CAs, the
    /// backend client certificate).
    pub tls_refs: Box<[super::reference_grant::GatewayTlsRef]>,
    /// `spec.addresses` as written.
    pub addresses: Box<[super::gateway_address::GatewayAddress]>,
    /// `spec.allowedListeners.namespaces`: which ListenerSets may add listeners.
    pub allowed_listeners: AllowedListeners,
}

/// `spec.allowedListeners.namespaces.from` (Gateway API v1.5; `None` is the default).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum ListenersFrom {
    #[default]
    None,
    Same,
    All,
    Selector,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct AllowedListeners {
    pub from: ListenersFrom,
    pub selector: Option<LabelSelector>,
    /// Span of `allowedListeners`, if written.
    pub span: Option<Span>,
}

impl AllowedListeners {
    fn from_node(node: Option<Node<'_>>) -> AllowedListeners {
        let namespaces = node.and_then(|n| n.get("namespaces"));
        AllowedListeners {
            from: match namespaces
                .and_then(|n| n.get("from"))
                .and_then(Node::as_str)
            {
                Some("Same") => ListenersFrom::Same,
                Some("All") => ListenersFrom::All,
                Some("Selector") => ListenersFrom::Selector,
                _ => ListenersFrom::None,
            },
            selector: namespaces
                .and_then(|n| n.get("selector"))
                .map(LabelSelector::from_node),
            span: node.map(|n| n.span()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    pub name: Spanned<Text>,
    pub port: Option<u32>,
    pub port_span: Span,
    pub protocol: Text,
    pub hostname: Option<Spanned<Text>>,
    pub allowed_routes: AllowedRoutes,
    pub certificate_refs: Box<[SecretRef]>,
    /// The `tls` block, if written.
    pub tls: Option<ListenerTls>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FromNamespaces {
    Same,
    All,
    Selector,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AllowedRoutes {
    pub from: FromNamespaces,
    pub selector: Option<LabelSelector>,
    /// `(group, kind)` pairs; empty means the protocol's defaults.
    pub kinds: Box<[(String, String)]>,
    /// The span of each entry of `kinds`, in the same order.
    pub kind_spans: Box<[Span]>,
    /// Span of `allowedRoutes`, if written.
    pub span: Option<Span>,
}

/// A certificateRef of a listener.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretRef {
    pub group: Text,
    pub kind: Text,
    pub namespace: Option<Spanned<Text>>,
    pub name: Spanned<Text>,
    pub span: Span,
    /// Position in the listener's `tls.certificateRefs`, for the field path of findings.
    pub index: usize,
}

impl Gateway {
    pub fn from_spec(spec: Option<Node<'_>>) -> Gateway {
        let Some(spec) = spec else {
            return Gateway::default();
        };
        let infrastructure = spec.get("infrastructure");
        Gateway {
            class_name: spec
                .get("gatewayClassName")
                .and_then(Spanned::from_str_node),
            listeners: spec
                .get("listeners")
                .map(Node::as_seq)
                .unwrap_or_default()
                .map(Listener::from_node)
                .collect(),
            infrastructure_labels: labels_from(infrastructure.and_then(|i| i.get("labels"))),
            infrastructure_annotations: annotations_from(
                infrastructure.and_then(|i| i.get("annotations")),
            ),
            requested_ips: requested_ips(spec),
            infrastructure_span: infrastructure.map(|n| n.span()),
            spec_span: Some(spec.span()),
            tls_refs: super::reference_grant::gateway_tls_refs(spec),
            addresses: super::gateway_address::addresses(spec),
            allowed_listeners: AllowedListeners::from_node(spec.get("allowedListeners")),
        }
    }

    pub fn class(&self) -> Option<&str> {
        self.class_name.as_ref().map(|c| c.value.as_str())
    }
}

fn requested_ips(spec: Node<'_>) -> Box<[IpAddr]> {
    let annotations = spec.at(&["infrastructure", "annotations"]);
    if let Some(value) = LB_IPAM_IPS_ANNOTATIONS
        .iter()
        .find_map(|key| annotations.and_then(|a| a.get(key)).and_then(Node::as_str))
    {
        return parse_ips(value).into();
    }
    spec.get("addresses")
        .map(Node::as_seq)
        .unwrap_or_default()
        .filter(|a| {
            a.get("type")
                .and_then(Node::as_str)
                .is_none_or(|t| t == "IPAddress")
        })
        .filter_map(|a| a.get("value").and_then(Node::as_str)?.parse().ok())
        .collect()
}

impl Listener {
    /// A Gateway's listener, or a ListenerSet's entry (the same fields).
    pub(crate) fn from_node(node: Node<'_>) -> Listener {
        let port_node = node.get("port");
        let allowed = node.get("allowedRoutes");
        let namespaces = allowed.and_then(|a| a.get("namespaces"));
        let from = match namespaces
            .and_then(|n| n.get("from"))
            .and_then(Node::as_str)
        {
            Some("All") => FromNamespaces::All,
            Some("Selector") => FromNamespaces::Selector,
            _ => FromNamespaces::Same,
        };
        let (kinds, kind_spans): (Vec<_>, Vec<_>) = allowed
            .and_then(|a| a.get("kinds"))
            .map(Node::as_seq)
            .unwrap_or_default()
            .filter_map(|k| {
                let kind = k.get("kind").and_then(Node::as_str)?;
                let group = k
                    .get("group")
                    .and_then(Node::as_str)
                    .unwrap_or(GATEWAY_GROUP);
                Some(((group.to_string(), kind.to_string()), k.span()))
            })
            .unzip();
        let certificate_refs = node
            .at(&["tls", "certificateRefs"])
            .map(Node::as_seq)
            .unwrap_or_default()
            .enumerate()
            .filter_map(|(index, r)| {
                Some(SecretRef {
                    group: text_at(r, "group", ""),
                    kind: text_at(r, "kind", "Secret"),
                    namespace: r.get("namespace").and_then(Spanned::from_str_node),
                    name: r.get("name").and_then(Spanned::from_str_node)?,
                    span: r.span(),
                    index,
                })
            })
            .collect();
        Listener {
            name: node
                .get("name")
                .and_then(Spanned::from_str_node)
                .unwrap_or(Spanned {
                    value: Text::default(),
                    span: node.span(),
                }),
            port: port_node.and_then(Node::as_u32),
            port_span: port_node.map(|n| n.span()).unwrap_or(node.span()),
            protocol: text_at(node, "protocol", ""),
            hostname: node.get("hostname").and_then(Spanned::from_str_node),
            allowed_routes: AllowedRoutes {
                from,
                selector: namespaces
                    .and_then(|n| n.get("selector"))
                    .map(LabelSelector::from_node),
                kinds: kinds.into(),
                kind_spans: kind_spans.into(),
                span: allowed.map(|a| a.span()),
            },
            certificate_refs,
            tls: ListenerTls::of_listener(node),
            span: node.span(),
        }
    }

    /// The route kinds this listener admits: its `allowedRoutes.kinds` that the protocol can
    /// carry (an entry it cannot is InvalidRouteKinds, and admits nothing), or the protocol's
    /// defaults (HTTP/HTTPS: HTTPRoute and GRPCRoute; TLS: TLSRoute; TCP; UDP).
    pub fn admits_kind(&self, kind: RouteKind) -> bool {
        if self.allowed_routes.kinds.is_empty() {
            return super::route::protocol_kinds(&self.protocol).contains(&kind);
        }
        self.allowed_routes.kinds.iter().any(|(g, k)| {
            g == GATEWAY_GROUP
                && k == kind.as_str()
                && super::route_kinds::entry_is_valid(&self.protocol, g, k)
        })
    }

    /// A human label for messages: `https (HTTPS :443, api.example.com)`.
    pub fn describe(&self) -> String {
        let port = self.port.map(|p| format!(" :{p}")).unwrap_or_default();
        let host = self
            .hostname
            .as_ref()
            .map(|h| format!(", {}", h.value))
            .unwrap_or_default();
        format!("`{}` ({}{port}{host})", self.name.value, self.protocol)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct GatewayClass {
    pub controller_name: Option<String>,
    /// `spec.parametersRef`: for Cilium, a namespaced `CiliumGatewayClassConfig`.
    pub parameters_ref: Option<ParametersRef>,
}

/// `GatewayClass.spec.parametersRef`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ParametersRef {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

impl GatewayClass {
    pub fn from_spec(spec: Option<Node<'_>>) -> GatewayClass {
        let field = |n: Node<'_>, key: &str| n.get(key).and_then(Node::as_str).map(str::to_string);
        GatewayClass {
            controller_name: spec
                .and_then(|s| s.get("controllerName"))
                .and_then(Node::as_str)
                .map(str::to_string),
            parameters_ref: spec
                .and_then(|s| s.get("parametersRef"))
                .map(|r| ParametersRef {
                    group: field(r, "group").unwrap_or_default(),
                    kind: field(r, "kind").unwrap_or_default(),
                    name: field(r, "name").unwrap_or_default(),
                    namespace: field(r, "namespace"),
                }),
        }
    }
}

/// `CiliumGatewayClassConfig` (cilium.io/v2alpha1, namespaced): how Cilium builds the Service of
/// every Gateway of the classes that name it (semantics.md §1.2).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GatewayClassConfig {
    /// `spec.service.externalTrafficPolicy` (default `Cluster`).
    pub external_traffic_policy: Option<Spanned<Text>>,
}

impl GatewayClassConfig {
    pub fn from_spec(spec: Option<Node<'_>>) -> GatewayClassConfig {
        GatewayClassConfig {
            external_traffic_policy: spec
                .and_then(|s| s.at(&["service", "externalTrafficPolicy"]))
                .and_then(Spanned::from_str_node),
        }
    }
}
