//! Cilium's load-balancer kinds: LB-IPAM pools, L2 announcement policies, BGP advertisements.

use std::net::IpAddr;

use ipnet::IpNet;

use super::selector::LabelSelector;
use super::{Spanned, Text};
use crate::source::Span;
use crate::source::yaml::Node;

/// `CiliumLoadBalancerIPPool`. No selector selects every eligible Service.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LbIpPool {
    pub service_selector: Option<LabelSelector>,
    pub disabled: bool,
    /// `allowFirstLastIPs: "No"`: the first and last address of CIDR blocks of /30 (/126) and
    /// larger are reserved. Unset or `Yes` (the default since Cilium 1.16) allows them.
    pub reserves_first_last: bool,
    /// Every `spec.blocks` entry (and `spec.cidrs` entry of older pools), readable or not.
    pub blocks: Box<[PoolBlock]>,
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

    /// The first and last address the block covers (a CIDR's network and broadcast address).
    pub fn bounds(&self) -> (IpAddr, IpAddr) {
        match self {
            IpBlock::Cidr(net) => (net.network(), net.broadcast()),
            IpBlock::Range(start, stop) => (*start, *stop),
        }
    }
}

/// A block as written, with the span of the entry.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolBlock {
    pub block: Result<IpBlock, BlockProblem>,
    pub span: Span,
}

/// Why a block cannot be read, with the span of the value at fault.
#[derive(Clone, Debug, PartialEq)]
pub enum BlockProblem {
    /// A `${VAR}` or `{{ }}` placeholder: what it becomes is not known (nothing to report).
    Placeholder,
    /// `cidr` is not `address/prefix`.
    NotCidr(Spanned<Text>),
    /// `start` or `stop` (the `&str`) is not an IP address.
    NotAddress(&'static str, Spanned<Text>),
    /// `stop` is a lower address than `start`.
    StopBeforeStart(Spanned<Text>),
    /// `start` and `stop` are of different families (IPv4 and IPv6).
    MixedFamilies(Spanned<Text>),
    /// Neither `cidr` nor `start`, or a value that is not a string: left to the API server.
    Unreadable,
}

fn has_placeholder(value: &str) -> bool {
    value.contains("${") || value.contains("{{")
}

impl PoolBlock {
    fn from_node(b: Node<'_>) -> PoolBlock {
        let block = Self::read(b);
        PoolBlock {
            block,
            span: b.span(),
        }
    }

    fn read(b: Node<'_>) -> Result<IpBlock, BlockProblem> {
        let value = |key: &str| b.get(key).and_then(Spanned::from_str_node);
        let fields = [value("cidr"), value("start"), value("stop")];
        if fields.iter().flatten().any(|v| has_placeholder(&v.value)) {
            return Err(BlockProblem::Placeholder);
        }
        let [cidr, start, stop] = fields;
        if let Some(cidr) = cidr {
            return cidr
                .value
                .trim()
                .parse()
                .map(IpBlock::Cidr)
                .map_err(|_| BlockProblem::NotCidr(cidr));
        }
        let address = |field: &'static str, v: Spanned<Text>| match v.value.trim().parse() {
            Ok(ip) => Ok(ip),
            Err(_) => Err(BlockProblem::NotAddress(field, v)),
        };
        let start: IpAddr = address("start", start.ok_or(BlockProblem::Unreadable)?)?;
        let Some(stop_text) = stop else {
            return Ok(IpBlock::Range(start, start));
        };
        let stop: IpAddr = address("stop", stop_text.clone())?;
        if start.is_ipv4() != stop.is_ipv4() {
            return Err(BlockProblem::MixedFamilies(stop_text));
        }
        if stop < start {
            return Err(BlockProblem::StopBeforeStart(stop_text));
        }
        Ok(IpBlock::Range(start, stop))
    }

    /// The block when it can be read.
    pub fn parsed(&self) -> Option<&IpBlock> {
        self.block.as_ref().ok()
    }
}

impl LbIpPool {
    pub fn from_spec(spec: Option<Node<'_>>) -> LbIpPool {
        let blocks = ["blocks", "cidrs"]
            .iter()
            .filter_map(|key| spec.and_then(|s| s.get(key)))
            .flat_map(Node::as_seq)
            .map(PoolBlock::from_node)
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
            reserves_first_last: spec
                .and_then(|s| s.get("allowFirstLastIPs"))
                .and_then(Node::as_str)
                .is_some_and(|v| v == "No"),
            blocks,
        }
    }

    /// The CIDR block whose first or last address `ip` is, when the pool reserves those: a
    /// /30 (/126) or larger block; ranges given as start/stop never reserve.
    pub fn reserved_block(&self, ip: IpAddr) -> Option<&PoolBlock> {
        if !self.reserves_first_last {
            return None;
        }
        self.blocks.iter().find(|b| match b.parsed() {
            Some(IpBlock::Cidr(net)) => {
                let small = match net {
                    IpNet::V4(n) => n.prefix_len() > 30,
                    IpNet::V6(n) => n.prefix_len() > 126,
                };
                !small && (ip == net.network() || ip == net.broadcast())
            }
            _ => false,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.blocks
            .iter()
            .filter_map(PoolBlock::parsed)
            .any(|b| b.contains(ip))
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
#[derive(Clone, Debug, PartialEq, Default)]
pub struct L2Policy {
    pub service_selector: Option<LabelSelector>,
    /// `nodeSelector`: no selector makes every node a candidate.
    pub node_selector: Option<LabelSelector>,
    /// `interfaces`: Go regular expressions, OR-ed; none means every device.
    pub interfaces: Box<[Spanned<Text>]>,
    pub load_balancer_ips: bool,
    pub external_ips: bool,
    /// Either flag is a `${VAR}` or `{{ }}` placeholder: what it becomes is not known.
    pub flags_unknown: bool,
    /// The `spec` node, when there is one.
    pub spec_span: Option<Span>,
}

impl L2Policy {
    pub fn from_spec(spec: Option<Node<'_>>) -> L2Policy {
        let flag = |key: &str| {
            spec.and_then(|s| s.get(key))
                .and_then(Node::as_bool)
                .unwrap_or(false)
        };
        let selector = |key: &str| {
            spec.and_then(|s| s.get(key))
                .filter(|n| !n.is_null())
                .map(LabelSelector::from_node)
        };
        let flags_unknown = ["loadBalancerIPs", "externalIPs"].iter().any(|key| {
            spec.and_then(|s| s.get(key))
                .and_then(Node::as_str)
                .is_some_and(has_placeholder)
        });
        L2Policy {
            service_selector: selector("serviceSelector"),
            node_selector: selector("nodeSelector"),
            interfaces: spec
                .and_then(|s| s.get("interfaces"))
                .map(Node::as_seq)
                .unwrap_or_default()
                .filter_map(Spanned::from_str_node)
                .collect(),
            load_balancer_ips: flag("loadBalancerIPs"),
            external_ips: flag("externalIPs"),
            flags_unknown,
            spec_span: spec.map(Node::span),
        }
    }
}

/// One entry of `CiliumBGPAdvertisement.spec.advertisements`.
#[derive(Clone, Debug, PartialEq)]
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

#[derive(Clone, Debug, PartialEq, Default)]
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
    use super::{BlockProblem, IpBlock};

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
    fn pool_blocks_keep_what_cannot_be_read() {
        let pool = object(
            "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: p}\n\
             spec:\n  blocks:\n  - cidr: 10.0.0.0/33\n  - start: 10.1.0.300\n  \
             - {start: 10.1.0.20, stop: 10.1.0.10}\n  - {start: 10.1.0.1, stop: \"2001:db8::1\"}\n  \
             - cidr: ${LB_CIDR}\n  - {start: 10.3.0.1, stop: 10.3.0.1}\n  - {}\n",
        );
        let crate::model::Spec::LbIpPool(pool) = pool.spec else {
            panic!()
        };
        let kinds: Vec<&str> = pool
            .blocks
            .iter()
            .map(|b| match &b.block {
                Ok(_) => "ok",
                Err(BlockProblem::NotCidr(_)) => "cidr",
                Err(BlockProblem::NotAddress(field, _)) => field,
                Err(BlockProblem::StopBeforeStart(_)) => "order",
                Err(BlockProblem::MixedFamilies(_)) => "families",
                Err(BlockProblem::Placeholder) => "placeholder",
                Err(BlockProblem::Unreadable) => "unreadable",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "cidr",
                "start",
                "order",
                "families",
                "placeholder",
                "ok",
                "unreadable"
            ]
        );
        let reserving = object(
            "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: p}\n\
             spec:\n  allowFirstLastIPs: \"No\"\n  blocks:\n  - cidr: 10.0.0.0/30\n  \
             - cidr: 10.0.1.0/31\n  - {start: 10.0.2.0, stop: 10.0.2.9}\n",
        );
        let crate::model::Spec::LbIpPool(reserving) = reserving.spec else {
            panic!()
        };
        for (ip, reserved) in [
            ("10.0.0.0", true),
            ("10.0.0.3", true),
            ("10.0.0.1", false),
            ("10.0.1.0", false),
            ("10.0.2.0", false),
        ] {
            let found = reserving.reserved_block(ip.parse().unwrap()).is_some();
            assert_eq!(found, reserved, "{ip}");
        }
        let net = IpBlock::Cidr("192.168.1.17/28".parse().unwrap());
        assert_eq!(
            net.bounds(),
            (
                "192.168.1.16".parse().unwrap(),
                "192.168.1.31".parse().unwrap()
            )
        );
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
