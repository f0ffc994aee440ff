//! Cilium's load-balancer kinds: LB-IPAM pools, L2 announcement policies, BGP advertisements.

use super::selector::LabelSelector;
use crate::source::Span;
use crate::source::yaml::Node;

/// `CiliumLoadBalancerIPPool`. No selector selects every eligible Service.
#[derive(Clone, Debug, Default)]
pub struct LbIpPool {
    pub service_selector: Option<LabelSelector>,
    pub disabled: bool,
}

impl LbIpPool {
    pub fn from_spec(spec: Option<&Node>) -> LbIpPool {
        LbIpPool {
            service_selector: spec
                .and_then(|s| s.get("serviceSelector"))
                .filter(|n| !n.is_null())
                .map(LabelSelector::from_node),
            disabled: spec
                .and_then(|s| s.get("disabled"))
                .and_then(Node::as_bool)
                .unwrap_or(false),
        }
    }
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
    pub fn from_spec(spec: Option<&Node>) -> L2Policy {
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
    pub addresses: Vec<String>,
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
    pub advertisements: Vec<BgpAdvertisementEntry>,
}

impl BgpAdvertisement {
    pub fn from_spec(spec: Option<&Node>) -> BgpAdvertisement {
        BgpAdvertisement {
            advertisements: spec
                .and_then(|s| s.get("advertisements"))
                .map(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .map(|a| BgpAdvertisementEntry {
                    advertisement_type: a
                        .get("advertisementType")
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    addresses: a
                        .at(&["service", "addresses"])
                        .map(Node::as_seq)
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect(),
                    selector: a
                        .get("selector")
                        .filter(|n| !n.is_null())
                        .map(LabelSelector::from_node),
                    span: a.span,
                })
                .collect(),
        }
    }
}
