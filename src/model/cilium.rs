//! Cilium's load-balancer kinds: LB-IPAM pools, L2 announcement policies, BGP advertisements.

use std::net::IpAddr;

use ipnet::IpNet;

use super::selector::LabelSelector;
use crate::source::Span;
use crate::source::yaml::Node;

/// `CiliumLoadBalancerIPPool`. No selector selects every eligible Service.
#[derive(Clone, Debug, Default)]
pub struct LbIpPool {
    pub service_selector: Option<LabelSelector>,
    pub disabled: bool,
    pub blocks: Box<[IpBlock]>,
}

/// One `spec.blocks` entry (or a `spec.cidrs` entry of older pools).
#[derive(Clone, Debug, PartialEq)]
pub enum IpBlock {
    Cidr(IpNet),
    /// `start` to `stop` inclusive; `start` alone is one address.
    Range(IpAddr, IpAddr),
}

impl IpBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match self {
            IpBlock::Cidr(net) => net.contains(&ip),
            IpBlock::Range(start, stop) => *start <= ip && ip <= *stop,
        }
    }
}

impl LbIpPool {
    pub fn from_spec(spec: Option<Node<'_>>) -> LbIpPool {
        let blocks = ["blocks", "cidrs"]
            .iter()
            .filter_map(|key| spec.and_then(|s| s.get(key)))
            .flat_map(Node::as_seq)
            .filter_map(|b| {
                let text = |key: &str| b.get(key).and_then(Node::as_str);
                if let Some(cidr) = text("cidr") {
                    return cidr.parse().ok().map(IpBlock::Cidr);
                }
                let start: IpAddr = text("start")?.parse().ok()?;
                let stop = text("stop").and_then(|s| s.parse().ok()).unwrap_or(start);
                Some(IpBlock::Range(start, stop))
            })
            .collect();
        LbIpPool {
            service_selector: spec
                .and_then(|s| s.get("serviceSelector"))
                .filter(|n| !n.is_null())
                .map(LabelSelector::from_node),
            disabled: spec
                .and_then(|s| s.get("disabled"))
                .and_then(Node::as_bool)
                .unwrap_or(false),
            blocks,
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(ip))
    }
}

/// The annotations through which a Service asks LB-IPAM for specific addresses (the second is
/// the older alias).
pub const LB_IPAM_IPS_ANNOTATIONS: [&str; 2] = ["lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips"];

/// The addresses of an `lbipam.cilium.io/ips` value: comma-separated, unparsable ones dropped.
pub fn parse_ips(value: &str) -> Vec<IpAddr> {
    value
        .split(',')
        .filter_map(|ip| ip.trim().parse().ok())
        .collect()
}

/// `CiliumL2AnnouncementPolicy`. No selector selects every Service; `loadBalancerIPs` and
/// `externalIPs` both default to false.
#[derive(Clone, Debug, Default)]
pub struct L2Policy {
    pub service_selector: Option<LabelSelector>,
    pub load_balancer_ips: bool,
    pub external_ips: bool,
}

impl L2Policy {
    pub fn from_spec(spec: Option<Node<'_>>) -> L2Policy {
        let flag = |key: &str| {
            spec.and_then(|s| s.get(key))
                .and_then(Node::as_bool)
                .unwrap_or(false)
        };
        L2Policy {
            service_selector: spec
                .and_then(|s| s.get("serviceSelector"))
                .filter(|n| !n.is_null())
                .map(LabelSelector::from_node),
            load_balancer_ips: flag("loadBalancerIPs"),
            external_ips: flag("externalIPs"),
        }
    }
}

/// One entry of `CiliumBGPAdvertisement.spec.advertisements`.
#[derive(Clone, Debug)]
pub struct BgpAdvertisementEntry {
    pub advertisement_type: String,
    /// `service.addresses`: `LoadBalancerIP`, `ClusterIP`, `ExternalIP`.
    pub addresses: Box<[String]>,
    /// No selector selects nothing (unlike pools and L2 policies).
    pub selector: Option<LabelSelector>,
    pub span: Span,
}

impl BgpAdvertisementEntry {
    /// Whether this entry advertises the LoadBalancer IPs of the Services it selects.
    pub fn advertises_load_balancer_ips(&self) -> bool {
        self.advertisement_type == "Service" && self.addresses.iter().any(|a| a == "LoadBalancerIP")
    }
}

#[derive(Clone, Debug, Default)]
pub struct BgpAdvertisement {
    pub advertisements: Box<[BgpAdvertisementEntry]>,
}

impl BgpAdvertisement {
    pub fn from_spec(spec: Option<Node<'_>>) -> BgpAdvertisement {
        BgpAdvertisement {
            advertisements: spec
                .and_then(|s| s.get("advertisements"))
                .map(Node::as_seq)
                .unwrap_or_default()
                .map(|a| BgpAdvertisementEntry {
                    advertisement_type: a
                        .get("advertisementType")
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    addresses: a
                        .at(&["service", "addresses"])
                        .map(Node::as_seq)
                        .unwrap_or_default()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect(),
                    selector: a
                        .get("selector")
                        .filter(|n| !n.is_null())
                        .map(LabelSelector::from_node),
                    span: a.span(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    fn object(text: &str) -> crate::model::Object {
        crate::model::first_object(text, "default")
    }

    #[test]
    fn pool_blocks_cidrs_ranges_and_single_addresses() {
        let pool = object(
            "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: p}\n\
             spec:\n  blocks:\n  - cidr: 10.0.0.0/30\n  - start: 10.1.0.10\n    stop: 10.1.0.20\n  \
             - start: 10.2.0.1\n  - cidr: 2001:db8::/64\n",
        );
        let crate::model::Spec::LbIpPool(pool) = pool.spec else {
            panic!()
        };
        for ip in ["10.0.0.3", "10.1.0.15", "10.2.0.1", "2001:db8::5"] {
            assert!(pool.contains(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.0.0.4", "10.1.0.21", "10.2.0.2"] {
            assert!(!pool.contains(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn requested_addresses_annotation_wins_over_load_balancer_ip() {
        let svc = object(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    \
             io.cilium/lb-ipam-ips: \"10.0.0.1, 10.0.0.2\"\nspec:\n  type: LoadBalancer\n  \
             loadBalancerIP: 10.9.9.9\n",
        );
        let ips = &svc.service().unwrap().requested_ips;
        assert_eq!(ips.len(), 2);
        assert_eq!(ips[0].to_string(), "10.0.0.1");
        let plain = object(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer, loadBalancerIP: 10.9.9.9}\n",
        );
        assert_eq!(
            plain.service().unwrap().requested_ips[0].to_string(),
            "10.9.9.9"
        );
    }

    #[test]
    fn gateway_infrastructure_annotation_wins_over_addresses() {
        let gw = |infra: &str| {
            object(&format!(
                "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: g}}\n\
                 spec:\n  gatewayClassName: cilium\n{infra}  addresses:\n  - value: 10.0.0.7\n  \
                 - {{type: Hostname, value: gw.example.com}}\n  listeners: []\n"
            ))
        };
        let plain = gw("");
        let ips = &plain.gateway().unwrap().requested_ips;
        assert_eq!(
            ips.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            ["10.0.0.7"]
        );
        let annotated =
            gw("  infrastructure:\n    annotations:\n      lbipam.cilium.io/ips: 10.0.0.9\n");
        assert_eq!(
            annotated.gateway().unwrap().requested_ips[0].to_string(),
            "10.0.0.9"
        );
    }
}
