//! Cilium's BGP control plane kinds that chain a node's sessions to what they advertise:
//! `CiliumBGPClusterConfig` → `peerConfigRef` → `CiliumBGPPeerConfig` → `families[]` →
//! `advertisements` selector over `CiliumBGPAdvertisement` labels; and the legacy v1
//! `CiliumBGPPeeringPolicy`. The same fields in `cilium.io/v2` and `v2alpha1`
//! (`pkg/k8s/apis/cilium.io/v2/bgp_*_types.go`, `v2alpha1/bgpp_types.go`).

use super::selector::LabelSelector;
use super::{Spanned, Text, text};
use crate::source::Span;
use crate::source::yaml::Node;

/// A selector node, unless absent or `null`.
fn selector(node: Option<Node<'_>>) -> Option<LabelSelector> {
    node.filter(|n| !n.is_null()).map(LabelSelector::from_node)
}

/// `CiliumBGPClusterConfig`: which nodes run which BGP instances, and their peers.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct BgpClusterConfig {
    /// Nil or empty selects every node (nodes are not in git: never judged).
    pub node_selector: Option<LabelSelector>,
    /// Every `spec.bgpInstances[].peers[]`, in order.
    pub peers: Box<[BgpPeer]>,
}

/// One `spec.bgpInstances[].peers[]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct BgpPeer {
    /// The instance's `name`.
    pub instance: Text,
    pub name: Text,
    pub peer_address: Option<Text>,
    pub peer_asn: Option<Text>,
    /// `autoDiscovery` is set (the peer is found, not addressed).
    pub auto_discovery: bool,
    /// `peerConfigRef.name` with the span of its value; `None` when no ref is written (the
    /// default peer configuration, which advertises nothing).
    pub peer_config_ref: Option<Spanned<Text>>,
    /// The span of the peer entry.
    pub span: Span,
}

impl BgpClusterConfig {
    pub fn from_spec(spec: Option<Node<'_>>) -> BgpClusterConfig {
        let mut peers = Vec::new();
        let instances = spec.and_then(|s| s.get("bgpInstances"));
        for instance in instances.map(Node::as_seq).unwrap_or_default() {
            let instance_name = instance.get("name").and_then(Node::as_str).unwrap_or("");
            for p in instance.get("peers").map(Node::as_seq).unwrap_or_default() {
                let string = |key: &str| p.get(key).and_then(Node::as_str).map(text);
                peers.push(BgpPeer {
                    instance: text(instance_name),
                    name: string("name").unwrap_or_default(),
                    peer_address: string("peerAddress"),
                    peer_asn: string("peerASN"),
                    auto_discovery: p.get("autoDiscovery").is_some_and(|n| !n.is_null()),
                    peer_config_ref: p
                        .at(&["peerConfigRef", "name"])
                        .and_then(Spanned::from_str_node),
                    span: p.span(),
                });
            }
        }
        BgpClusterConfig {
            node_selector: selector(spec.and_then(|s| s.get("nodeSelector"))),
            peers: peers.into(),
        }
    }
}

/// `CiliumBGPPeerConfig`: how to talk to a peer, and what to advertise to it per family.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct BgpPeerConfig {
    /// `spec.families`; empty when absent or `[]`: then Cilium's defaults apply (ipv6/unicast
    /// and ipv4/unicast without an `advertisements` selector), which advertise nothing.
    pub families: Box<[BgpFamily]>,
    /// The span of `spec.families` when written.
    pub families_span: Option<Span>,
}

/// One `spec.families[]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct BgpFamily {
    pub afi: Text,
    pub safi: Text,
    /// Selects `CiliumBGPAdvertisement`s by their `metadata.labels`; `None` advertises
    /// nothing for this family.
    pub advertisements: Option<LabelSelector>,
    pub span: Span,
}

impl BgpFamily {
    /// `ipv4/unicast`.
    pub fn describe(&self) -> String {
        format!("{}/{}", self.afi, self.safi)
    }
}

impl BgpPeerConfig {
    pub fn from_spec(spec: Option<Node<'_>>) -> BgpPeerConfig {
        let families = spec.and_then(|s| s.get("families"));
        BgpPeerConfig {
            families: families
                .map(Node::as_seq)
                .unwrap_or_default()
                .map(|f| BgpFamily {
                    afi: text(f.get("afi").and_then(Node::as_str).unwrap_or("")),
                    safi: text(f.get("safi").and_then(Node::as_str).unwrap_or("")),
                    advertisements: selector(f.get("advertisements")),
                    span: f.span(),
                })
                .collect(),
            families_span: families.filter(|n| !n.is_null()).map(|n| n.span()),
        }
    }
}

/// The legacy v1 `CiliumBGPPeeringPolicy` (deprecated in Cilium 1.18, removed in 1.19).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct BgpPeeringPolicy {
    pub node_selector: Option<LabelSelector>,
    pub virtual_routers: Box<[VirtualRouter]>,
}

/// One `spec.virtualRouters[]` entry, as far as Service advertisement goes.
#[derive(Clone, Debug, PartialEq)]
pub struct VirtualRouter {
    /// Nil selects no Service (the docs' NotIn trick selects all).
    pub service_selector: Option<LabelSelector>,
    /// `serviceAdvertisements`; the API defaults it to `[LoadBalancerIP]` when omitted.
    pub service_advertisements: Box<[Text]>,
    pub neighbors: usize,
    pub span: Span,
}

impl VirtualRouter {
    /// Whether it advertises the LoadBalancer IPs of the Services it selects.
    pub fn advertises_load_balancer_ips(&self) -> bool {
        self.service_selector.is_some()
            && self
                .service_advertisements
                .iter()
                .any(|a| a == "LoadBalancerIP")
    }
}

impl BgpPeeringPolicy {
    pub fn from_spec(spec: Option<Node<'_>>) -> BgpPeeringPolicy {
        let routers = spec.and_then(|s| s.get("virtualRouters"));
        BgpPeeringPolicy {
            node_selector: selector(spec.and_then(|s| s.get("nodeSelector"))),
            virtual_routers: routers
                .map(Node::as_seq)
                .unwrap_or_default()
                .map(|r| {
                    let written = r.get("serviceAdvertisements").filter(|n| !n.is_null());
                    VirtualRouter {
                        service_selector: selector(r.get("serviceSelector")),
                        service_advertisements: match written {
                            Some(list) => {
                                list.as_seq().filter_map(|n| n.as_str().map(text)).collect()
                            }
                            None => Box::new([text("LoadBalancerIP")]),
                        },
                        neighbors: r.get("neighbors").map_or(0, |n| n.as_seq().count()),
                        span: r.span(),
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Spec, first_object};

    #[test]
    fn cluster_config_peers_and_their_refs() {
        let o = first_object(
            "apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata: {name: c}\n\
             spec:\n  nodeSelector: {matchLabels: {bgp: enabled}}\n  bgpInstances:\n  \
             - name: home\n    localASN: 64513\n    peers:\n    - name: opnsense\n      \
             peerAddress: 192.168.1.1\n      peerASN: 64512\n      peerConfigRef: {name: peer}\n    \
             - name: auto\n      autoDiscovery: {mode: DefaultGateway}\n",
            "default",
        );
        let Spec::BgpClusterConfig(c) = o.spec else {
            panic!("{:?}", o.spec)
        };
        assert!(c.node_selector.is_some());
        assert_eq!(c.peers.len(), 2);
        assert_eq!(c.peers[0].instance, "home");
        assert_eq!(c.peers[0].peer_address.as_deref(), Some("192.168.1.1"));
        assert_eq!(c.peers[0].peer_asn.as_deref(), Some("64512"));
        let r = c.peers[0].peer_config_ref.as_ref().unwrap();
        assert_eq!(r.value, "peer");
        assert_eq!(r.span.start.line, 13);
        assert!(c.peers[1].auto_discovery);
        assert!(c.peers[1].peer_config_ref.is_none());
    }

    #[test]
    fn peer_config_families_absent_empty_and_written() {
        let peer = |spec: &str| {
            let o = first_object(
                &format!(
                    "apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeerConfig\nmetadata: {{name: p}}\n{spec}"
                ),
                "default",
            );
            match o.spec {
                Spec::BgpPeerConfig(p) => p,
                other => panic!("{other:?}"),
            }
        };
        let absent = peer("spec: {timers: {holdTimeSeconds: 9}}\n");
        assert!(absent.families.is_empty() && absent.families_span.is_none());
        let empty = peer("spec: {families: []}\n");
        assert!(empty.families.is_empty() && empty.families_span.is_some());
        let written = peer(
            "spec:\n  families:\n  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}\n  \
             - {afi: ipv6, safi: unicast}\n",
        );
        assert_eq!(written.families.len(), 2);
        assert_eq!(written.families[0].describe(), "ipv4/unicast");
        assert!(written.families[0].advertisements.is_some());
        assert!(written.families[1].advertisements.is_none());
    }

    #[test]
    fn peering_policy_routers_default_to_load_balancer_ips() {
        let o = first_object(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata: {name: rack0}\n\
             spec:\n  virtualRouters:\n  - localASN: 64512\n    serviceSelector:\n      \
             matchExpressions: [{key: somekey, operator: NotIn, values: [never]}]\n    \
             neighbors: [{peerAddress: 10.0.0.1/32, peerASN: 64513}]\n  \
             - localASN: 64512\n    serviceAdvertisements: [ClusterIP]\n",
            "default",
        );
        let Spec::BgpPeeringPolicy(p) = o.spec else {
            panic!()
        };
        assert!(p.virtual_routers[0].advertises_load_balancer_ips());
        assert_eq!(p.virtual_routers[0].neighbors, 1);
        // No serviceSelector selects no Service.
        assert!(!p.virtual_routers[1].advertises_load_balancer_ips());
    }
}
