//! Service: type, selector, ports.

use std::net::IpAddr;

use super::{Spanned, Text, text, text_at};
use crate::source::Span;
use crate::source::yaml::Node;

/// A Service port's `targetPort`: a number or the name of a container port.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetPort {
    Number(u32),
    Name(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServicePort {
    pub name: Option<Text>,
    pub port: u32,
    pub target_port: Option<TargetPort>,
    /// Where `targetPort` is written.
    pub target_port_span: Option<Span>,
    pub protocol: Text,
    /// `appProtocol` (GEP-1911 reads it to pick the backend's protocol).
    pub app_protocol: Option<Spanned<Text>>,
    pub span: Span,
}

impl ServicePort {
    /// The targetPort, which defaults to `port`.
    pub fn effective_target(&self) -> TargetPort {
        self.target_port
            .clone()
            .unwrap_or(TargetPort::Number(self.port))
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Service {
    /// `spec.type`, default `ClusterIP`.
    pub service_type: Text,
    /// `spec.selector`; `None` when absent (endpoints managed outside Kubernetes).
    pub selector: Option<Box<[(Text, Text)]>>,
    /// Where `spec.selector` is written.
    pub selector_span: Option<Span>,
    pub ports: Box<[ServicePort]>,
    pub load_balancer_class: Option<Spanned<Text>>,
    /// `spec.externalTrafficPolicy`; for a Gateway's generated Service, the one its class's
    /// CiliumGatewayClassConfig sets (its span is then in that object's file).
    pub external_traffic_policy: Option<Spanned<Text>>,
    /// Addresses requested from LB-IPAM: the `lbipam.cilium.io/ips` annotation (or its alias),
    /// else `spec.loadBalancerIP`.
    pub requested_ips: Box<[IpAddr]>,
    /// Where `spec.loadBalancerIP` is written, when it is.
    pub load_balancer_ip_span: Option<Span>,
    /// Set (to `nodeipam` or `none`) when the cluster's `defaultLBServiceIPAM` hands Services
    /// without a `loadBalancerClass` to another IPAM: Cilium's LB features then leave this one
    /// alone.
    pub default_ipam_elsewhere: Option<Text>,
    /// `spec.clusterIP: None`: DNS answers with the pods' addresses (a StatefulSet's pods get
    /// their own names only through such a Service).
    pub headless: bool,
}

impl Service {
    pub fn from_spec(spec: Option<Node<'_>>) -> Service {
        let Some(spec) = spec else {
            return Service {
                service_type: "ClusterIP".into(),
                ..Default::default()
            };
        };
        let str_of = |key: &str| spec.get(key).and_then(Node::as_str).map(text);
        Service {
            service_type: str_of("type").unwrap_or_else(|| "ClusterIP".into()),
            selector: spec.get("selector").map(|s| {
                s.as_map()
                    .filter_map(|(k, v)| Some((text(k.as_str()?), text(v.as_str()?))))
                    .collect()
            }),
            selector_span: spec.get("selector").map(|s| s.span()),
            ports: spec
                .get("ports")
                .map(Node::as_seq)
                .unwrap_or_default()
                .filter_map(|p| {
                    Some(ServicePort {
                        name: p.get("name").and_then(Node::as_str).map(text),
                        port: p.get("port").and_then(Node::as_u32)?,
                        target_port: p.get("targetPort").and_then(|t| {
                            let s = t.as_str()?;
                            Some(match s.parse() {
                                Ok(n) => TargetPort::Number(n),
                                Err(_) => TargetPort::Name(s.to_string()),
                            })
                        }),
                        target_port_span: p.get("targetPort").map(|t| t.span()),
                        protocol: text_at(p, "protocol", "TCP"),
                        app_protocol: p.get("appProtocol").and_then(Spanned::from_str_node),
                        span: p.span(),
                    })
                })
                .collect(),
            load_balancer_class: spec
                .get("loadBalancerClass")
                .and_then(Spanned::from_str_node),
            external_traffic_policy: spec
                .get("externalTrafficPolicy")
                .and_then(Spanned::from_str_node),
            requested_ips: str_of("loadBalancerIP")
                .map(|ip| super::cilium::parse_ips(&ip).into())
                .unwrap_or_default(),
            load_balancer_ip_span: spec.get("loadBalancerIP").map(|n| n.span()),
            default_ipam_elsewhere: None,
            headless: spec.get("clusterIP").and_then(Node::as_str) == Some("None"),
        }
    }

    /// The LB-IPAM annotation wins over `spec.loadBalancerIP`.
    pub fn request_from_annotations(&mut self, annotations: &[(Text, Spanned<Text>)]) {
        if let Some((_, value)) = annotations
            .iter()
            .find(|(k, _)| super::cilium::LB_IPAM_IPS_ANNOTATIONS.contains(&k.as_str()))
        {
            self.requested_ips = super::cilium::parse_ips(&value.value).into();
        }
    }

    pub fn is_load_balancer(&self) -> bool {
        self.service_type == "LoadBalancer"
    }

    /// Whether Cilium's LB-IPAM, L2 announcer and BGP control plane handle this Service: a
    /// LoadBalancer without a class, or with one of Cilium's classes.
    pub fn is_cilium_load_balancer(&self) -> bool {
        self.is_load_balancer()
            && self.default_ipam_elsewhere.is_none()
            && self.load_balancer_class.as_ref().is_none_or(|c| {
                matches!(
                    c.value.as_str(),
                    "io.cilium/l2-announcer" | "io.cilium/bgp-control-plane"
                )
            })
    }
}
