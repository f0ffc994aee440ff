//! The Service selectors of Cilium's load-balancer objects (LB-IPAM pools, L2 announcement
//! policies, BGP advertisements) and what they select, shared by the rules about them.
//!
//! One decision lives here so the rules agree on it: whether a Cilium Gateway's
//! `metadata.labels` are what some selector needs (gateway-labels-not-propagated reports it;
//! service-not-advertised and selector-matches-nothing stay quiet about the same gap).

use crate::catalog::Catalog;
use crate::model::selector::LabelSelector;
use crate::model::{Label, Object, ObjectId, Service, Spec};
use crate::source::{Location, Span};

/// Which Cilium object a selector belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectorKind {
    /// `CiliumLoadBalancerIPPool.spec.serviceSelector`: allocates the LoadBalancer IP.
    Pool,
    /// `CiliumL2AnnouncementPolicy.spec.serviceSelector`: answers ARP for it.
    L2,
    /// A `Service` entry of `CiliumBGPAdvertisement.spec.advertisements`: advertises it.
    Bgp,
}

impl SelectorKind {
    pub fn kind(self) -> &'static str {
        match self {
            SelectorKind::Pool => "CiliumLoadBalancerIPPool",
            SelectorKind::L2 => "CiliumL2AnnouncementPolicy",
            SelectorKind::Bgp => "CiliumBGPAdvertisement",
        }
    }

    /// Whether this part of Cilium handles the Service at all: the `loadBalancerClass` must be
    /// unset or the class of that part (`Catalog::cilium_services_matching` already keeps only
    /// LoadBalancers of Cilium's classes).
    pub fn handles(self, svc: &Service) -> bool {
        let class = svc.load_balancer_class.as_ref().map(|c| c.value.as_str());
        match self {
            SelectorKind::Pool => true,
            SelectorKind::L2 => class.is_none_or(|c| c == "io.cilium/l2-announcer"),
            SelectorKind::Bgp => class.is_none_or(|c| c == "io.cilium/bgp-control-plane"),
        }
    }
}

/// One Service selector of a pool, an L2 policy or a BGP advertisement entry.
#[derive(Clone, Debug)]
pub struct LbSelector<'a> {
    pub owner: ObjectId,
    pub kind: SelectorKind,
    /// `None` when absent: pools and L2 policies then select every Service, BGP entries none.
    pub selector: Option<&'a LabelSelector>,
    /// Whether what it selects gets an IP or has its LoadBalancer IP announced: an enabled pool,
    /// an L2 policy with `loadBalancerIPs: true`, a BGP entry advertising `LoadBalancerIP`.
    pub effective: bool,
    /// 1-based position of a BGP entry in `spec.advertisements`.
    pub entry: usize,
    /// The selector node, else the BGP entry, else the owner's name.
    pub location: Option<Location>,
}

impl<'a> LbSelector<'a> {
    /// `CiliumL2AnnouncementPolicy arp-l2`, `CiliumBGPAdvertisement services (advertisement 2)`.
    pub fn describe(&self, catalog: &Catalog) -> String {
        let name = &catalog.object(self.owner).name;
        match self.kind {
            SelectorKind::Bgp => format!(
                "{} `{name}` (advertisement {})",
                self.kind.kind(),
                self.entry
            ),
            k => format!("{} `{name}`", k.kind()),
        }
    }

    /// Where the selector tests `key`: that `matchLabels` entry or `matchExpressions` item,
    /// else the selector.
    pub fn term_location(&self, catalog: &Catalog, key: &str) -> Option<Location> {
        let selector = self.selector?;
        let span = selector
            .match_labels
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.span)
            .or_else(|| {
                let r = selector.match_expressions.iter().find(|r| r.key == key);
                r.map(|r| r.span)
            })
            .unwrap_or(selector.span);
        let file = catalog.object(self.owner).location?.file;
        Some(Location { file, span })
    }

    /// Whether it selects the Service.
    pub fn selects(&self, catalog: &Catalog, svc: &Object) -> bool {
        let Some(spec) = svc.service() else {
            return false;
        };
        spec.is_cilium_load_balancer()
            && self.kind.handles(spec)
            && match self.selector {
                Some(s) => s.matches(catalog.service_label(svc)),
                None => self.kind != SelectorKind::Bgp,
            }
    }

    /// Whether its selector takes the Service's labels, whatever the Service's class.
    pub fn selects_labels(&self, catalog: &Catalog, svc: &Object) -> bool {
        match self.selector {
            Some(s) => s.matches(catalog.service_label(svc)),
            None => self.kind != SelectorKind::Bgp,
        }
    }

    /// Every Service it selects, through the Catalog's label index.
    pub fn matching(&self, catalog: &Catalog) -> Vec<ObjectId> {
        if self.selector.is_none() && self.kind == SelectorKind::Bgp {
            return Vec::new();
        }
        catalog
            .cilium_services_matching(self.selector)
            .into_iter()
            .filter(|&id| {
                let svc = catalog.object(id).service();
                svc.is_some_and(|s| self.kind.handles(s))
            })
            .collect()
    }

    /// The `metadata.labels` of a Cilium Gateway this selector needs on the Gateway's generated
    /// Service: it does not select that Service, but would with the Gateway's labels added.
    /// Empty when the Gateway's labels make no difference.
    pub fn needs_gateway_labels<'c>(
        &self,
        catalog: &'c Catalog,
        gateway: ObjectId,
    ) -> Vec<&'c Label> {
        let (Some(selector), Some(svc_id)) = (self.selector, catalog.generated_service(gateway))
        else {
            return Vec::new();
        };
        let gw = catalog.object(gateway);
        // Generated Services have no loadBalancerClass: every part of Cilium handles them.
        let on_service = catalog.service_label(catalog.object(svc_id));
        // Labels on the Service win; the Gateway's only fill keys the Service lacks.
        let with_gateway = |key: &str| on_service(key).or_else(|| gw.label(key));
        if selector.matches(&on_service) || !selector.matches(with_gateway) {
            return Vec::new();
        }
        gw.labels
            .iter()
            .filter(|l| selector_keys(selector).any(|k| k == l.key) && on_service(&l.key).is_none())
            .collect()
    }
}

fn selector_keys(s: &LabelSelector) -> impl Iterator<Item = &str> {
    s.match_labels
        .iter()
        .map(|t| t.key.as_str())
        .chain(s.match_expressions.iter().map(|r| r.key.as_str()))
}

/// Every Service selector of the pools, L2 policies and BGP advertisements in the tree.
pub fn selectors(catalog: &Catalog) -> Vec<LbSelector<'_>> {
    let mut out = Vec::new();
    let at = |id: ObjectId, span: Option<Span>| {
        let o = catalog.object(id);
        match (o.location, span) {
            (Some(l), Some(span)) => Some(Location { file: l.file, span }),
            _ => o.name_location(),
        }
    };
    for kind in [
        "CiliumLoadBalancerIPPool",
        "CiliumL2AnnouncementPolicy",
        "CiliumBGPAdvertisement",
    ] {
        for &id in catalog.of_kind("cilium.io", kind) {
            match &catalog.object(id).spec {
                Spec::LbIpPool(p) => out.push(LbSelector {
                    owner: id,
                    kind: SelectorKind::Pool,
                    selector: p.service_selector.as_ref(),
                    effective: !p.disabled,
                    entry: 0,
                    location: at(id, p.service_selector.as_ref().map(|s| s.span)),
                }),
                Spec::L2Policy(p) => out.push(LbSelector {
                    owner: id,
                    kind: SelectorKind::L2,
                    selector: p.service_selector.as_ref(),
                    effective: p.load_balancer_ips,
                    entry: 0,
                    location: at(id, p.service_selector.as_ref().map(|s| s.span)),
                }),
                Spec::BgpAdvertisement(b) => {
                    for (i, e) in b.advertisements.iter().enumerate() {
                        if e.advertisement_type != "Service" {
                            continue;
                        }
                        out.push(LbSelector {
                            owner: id,
                            kind: SelectorKind::Bgp,
                            selector: e.selector.as_ref(),
                            effective: e.advertises_load_balancer_ips(),
                            entry: i + 1,
                            location: at(id, Some(e.selector.as_ref().map_or(e.span, |s| s.span))),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The announcers that could announce a Service (L2 policies announcing LoadBalancer IPs and BGP
/// entries advertising them, of a kind that handles its class), when every one of them selects
/// no Service at all: then those selectors alone are why it is not announced, and the fix is
/// there, not on the Service. Indexes into `selectors`; empty when any of them selects
/// something, or there is none. `selects_nothing[i]` says whether `selectors[i]` matches no
/// Service.
pub fn silent_announcers(
    selectors: &[LbSelector],
    selects_nothing: &[bool],
    svc: &Service,
) -> Vec<usize> {
    let candidates: Vec<usize> = selectors
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind != SelectorKind::Pool && s.effective && s.kind.handles(svc))
        .map(|(i, _)| i)
        .collect();
    if candidates.iter().all(|&i| selects_nothing[i]) {
        candidates
    } else {
        Vec::new()
    }
}

/// A Cilium Gateway whose `metadata.labels` some selectors need on its generated Service.
pub struct UnpropagatedLabels<'c> {
    /// Every needed label, in the Gateway's order.
    pub labels: Vec<&'c Label>,
    /// The selectors that need them (indexes into the slice given to [`unpropagated_labels`]),
    /// each with the labels it needs.
    pub selectors: Vec<(usize, Vec<&'c Label>)>,
}

/// The one decision shared by the load-balancer rules: whether a Gateway's labels fail to reach
/// its generated Service where a selector needs them. `None` when no selector needs them.
pub fn unpropagated_labels<'c>(
    catalog: &'c Catalog,
    selectors: &[LbSelector],
    gateway: ObjectId,
) -> Option<UnpropagatedLabels<'c>> {
    let which: Vec<(usize, Vec<&Label>)> = selectors
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.needs_gateway_labels(catalog, gateway)))
        .filter(|(_, labels)| !labels.is_empty())
        .collect();
    if which.is_empty() {
        return None;
    }
    let gw = catalog.object(gateway);
    let labels = gw
        .labels
        .iter()
        .filter(|l| {
            which
                .iter()
                .any(|(_, needed)| needed.iter().any(|n| n.key == l.key))
        })
        .collect();
    Some(UnpropagatedLabels {
        labels,
        selectors: which,
    })
}

/// The Cilium Gateways in the tree (those with a generated Service).
pub fn cilium_gateways(catalog: &Catalog) -> impl Iterator<Item = ObjectId> + '_ {
    catalog
        .of_kind(crate::model::GATEWAY_GROUP, "Gateway")
        .iter()
        .copied()
        .filter(|&gw| catalog.generated_service(gw).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(text: &str) -> Catalog {
        Catalog::of_yaml(text, "prod")
    }

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
        metadata: {name: gw, labels: {lb: arp, team: web}}\n\
        spec: {gatewayClassName: cilium, infrastructure: {labels: {tier: edge}}}\n";

    fn pool(selector: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {{name: p}}\n\
             spec: {{blocks: [{{cidr: 10.0.0.0/24}}], serviceSelector: {selector}}}\n"
        )
    }

    fn needed(selector: &str) -> Vec<String> {
        let c = catalog(&format!("{GATEWAY}{}", pool(selector)));
        let sels = selectors(&c);
        let gw = cilium_gateways(&c).next().unwrap();
        match unpropagated_labels(&c, &sels, gw) {
            Some(u) => u.labels.iter().map(|l| l.key.to_string()).collect(),
            None => Vec::new(),
        }
    }

    #[test]
    fn metadata_labels_the_selector_needs() {
        assert_eq!(needed("{matchLabels: {lb: arp}}"), ["lb"]);
        // The infrastructure label is on the Service; only the missing one is needed.
        assert_eq!(needed("{matchLabels: {lb: arp, tier: edge}}"), ["lb"]);
        assert_eq!(
            needed("{matchExpressions: [{key: team, operator: Exists}], matchLabels: {lb: arp}}"),
            ["lb", "team"]
        );
    }

    #[test]
    fn no_finding_when_labels_would_not_help_or_are_not_needed() {
        // Matches already, through a label Cilium sets or the special keys.
        assert!(needed("{matchLabels: {gateway.networking.k8s.io/gateway-name: gw}}").is_empty());
        assert!(
            needed("{matchLabels: {io.kubernetes.service.name: cilium-gateway-gw}}").is_empty()
        );
        assert!(needed("{matchLabels: {tier: edge}}").is_empty());
        // Would not match even with the Gateway's labels.
        assert!(needed("{matchLabels: {lb: bgp}}").is_empty());
        assert!(
            needed("{matchLabels: {lb: arp, io.kubernetes.service.namespace: dev}}").is_empty()
        );
    }
}
