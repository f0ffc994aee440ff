//! The BGP control plane chain, computed once per world: which `CiliumBGPAdvertisement`s a
//! session really advertises, and for each one that none does, the link where the chain breaks.
//!
//! ```text
//! CiliumBGPClusterConfig ─ peers[].peerConfigRef.name ─▶ CiliumBGPPeerConfig
//!   ─ families[].advertisements (a selector over labels) ─▶ CiliumBGPAdvertisement
//!   ─ advertisements[].selector ─▶ Service
//! ```
//!
//! Sources: `pkg/k8s/apis/cilium.io/v2/bgp_cluster_types.go` (a peer without `peerConfigRef`
//! gets the default configuration), `bgp_peer_types.go` (`SetDefaults`: no `families` gives
//! ipv6/unicast and ipv4/unicast without `advertisements`; a family without `advertisements`
//! sends none), semantics.md §4.3.
//!
//! The chain is judged only when the tree holds it: at least one ClusterConfig, none of the BGP
//! objects changed by a patch cilint cannot apply, no chart of the repository that may make
//! ClusterConfigs, every peerConfigRef resolved one way or the other. Otherwise every
//! advertisement counts as reached (unverifiable, never reported). Work is per BGP object and per
//! (family, advertisement) pair, both few; Services are reached through the label index.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::lb::{self, SelectorKind};
use super::versions::Versions;
use crate::catalog::{Catalog, Lookup};
use crate::model::cilium_bgp::{BgpClusterConfig, BgpFamily, BgpPeerConfig, BgpPeeringPolicy};
use crate::model::selector::LabelSelector;
use crate::model::{Object, ObjectId, Spec, suggest};

pub const GROUP: &str = "cilium.io";
pub const CLUSTER_CONFIG: &str = "CiliumBGPClusterConfig";
pub const PEER_CONFIG: &str = "CiliumBGPPeerConfig";
pub const ADVERTISEMENT: &str = "CiliumBGPAdvertisement";
pub const PEERING_POLICY: &str = "CiliumBGPPeeringPolicy";

/// What a peer's `peerConfigRef` resolves to.
#[derive(Clone, Debug, PartialEq)]
pub enum RefTarget {
    /// No `peerConfigRef`: the default configuration, which advertises nothing.
    Absent,
    Found(ObjectId),
    Missing,
    Unverifiable(String),
}

/// One peer of a ClusterConfig and where its `peerConfigRef` leads.
#[derive(Clone, Debug)]
pub struct PeerRef {
    pub cluster_config: ObjectId,
    /// Index into the ClusterConfig's `peers`.
    pub peer: usize,
    pub target: RefTarget,
}

/// Why a reached PeerConfig advertises nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Silence {
    /// No `families` (or `[]`): the defaults carry no `advertisements` selector.
    NoFamilies,
    /// Families, none with an `advertisements` selector.
    NoSelector,
    /// Every `advertisements` selector matches no CiliumBGPAdvertisement in the tree.
    SelectsNone,
}

/// Where the chain to an unreached advertisement breaks. Each break is one finding of one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Break {
    /// A peer's `peerConfigRef` names no PeerConfig (index into [`Chain::refs`]): the PeerConfig
    /// meant to reach it may be that one (bgp-peer-config-not-found).
    MissingRef(usize),
    /// A reached PeerConfig advertises nothing (bgp-peer-config-advertises-nothing).
    SilentPeerConfig(ObjectId),
    /// A family of this PeerConfig selects it, but no peer references that PeerConfig
    /// (bgp-advertisement-unreached).
    Unreferenced(ObjectId),
    /// No family of any PeerConfig selects it (bgp-advertisement-unreached).
    NotSelected,
}

/// The BGP chain of one world.
#[derive(Debug, Default)]
pub struct Chain {
    /// Whether the tree holds the whole chain; when false nothing below is reported.
    pub verifiable: bool,
    /// Some BGP object is of an apiVersion the Cilium release does not serve: the API server
    /// refuses it, cilium-api-version-unserved says so, and no chain rule judges the rest.
    pub refused: bool,
    /// Every peer of every ClusterConfig, in load order.
    pub refs: Vec<PeerRef>,
    /// Reached PeerConfigs, each with the advertisements each family selects (`None` for a
    /// family without a selector).
    pub reached: BTreeMap<ObjectId, Vec<Option<Vec<ObjectId>>>>,
    /// Reached PeerConfigs that advertise nothing.
    pub silent: BTreeMap<ObjectId, Silence>,
    /// Whether advertisements absent from the tree may exist (none in it, or a chart that may
    /// make them): then a selector matching none is not judged.
    pub advertisements_unseen: bool,
    /// Unreached advertisements and where their chain breaks.
    pub unreached: BTreeMap<ObjectId, Break>,
    /// The LoadBalancer Services each unreached advertisement alone was meant to advertise:
    /// selected by its LoadBalancerIP entries, and by no reached advertisement, no L2 policy
    /// announcing LoadBalancer IPs and no served v1 peering policy.
    pub stranded: BTreeMap<ObjectId, Vec<ObjectId>>,
}

impl Chain {
    /// Whether the advertisement is advertised to some peer (or cilint cannot tell).
    pub fn reached(&self, advertisement: ObjectId) -> bool {
        !self.verifiable || !self.unreached.contains_key(&advertisement)
    }

    /// Every Service stranded by the advertisements whose break is `b`, in load order, once.
    pub fn stranded_by(&self, b: Break) -> Vec<ObjectId> {
        let set: BTreeSet<ObjectId> = self
            .unreached
            .iter()
            .filter(|(_, x)| **x == b)
            .flat_map(|(ad, _)| self.stranded.get(ad).into_iter().flatten().copied())
            .collect();
        set.into_iter().collect()
    }

    /// The advertisements whose break is `b`.
    pub fn unreached_by(&self, b: Break) -> Vec<ObjectId> {
        self.unreached
            .iter()
            .filter(|(_, x)| **x == b)
            .map(|(ad, _)| *ad)
            .collect()
    }
}

fn cluster_config(o: &Object) -> Option<&BgpClusterConfig> {
    match &o.spec {
        Spec::BgpClusterConfig(c) => Some(c),
        _ => None,
    }
}

pub fn peer_config(o: &Object) -> Option<&BgpPeerConfig> {
    match &o.spec {
        Spec::BgpPeerConfig(p) => Some(p),
        _ => None,
    }
}

pub fn peering_policy(o: &Object) -> Option<&BgpPeeringPolicy> {
    match &o.spec {
        Spec::BgpPeeringPolicy(p) => Some(p),
        _ => None,
    }
}

/// The peers of a ClusterConfig object (none for other objects).
pub fn peers(o: &Object) -> &[crate::model::cilium_bgp::BgpPeer] {
    cluster_config(o).map_or(&[], |c| &c.peers)
}

fn has_placeholder(s: &str) -> bool {
    crate::catalog::placeholder(s).is_some()
}

/// Whether a family's selector may select an advertisement: it matches its labels, or a
/// placeholder in either leaves the answer open.
pub fn may_select(selector: &LabelSelector, advertisement: &Object) -> bool {
    // A selector Kubernetes refuses is selector-invalid's finding: the chain takes it as meant
    // (its valid terms), so the break is not reported twice.
    if selector.invalid {
        return selector
            .intended()
            .is_none_or(|i| i.matches(|k| advertisement.label(k)));
    }
    let open = selector
        .match_labels
        .iter()
        .any(|t| has_placeholder(&t.key) || has_placeholder(&t.value))
        || selector
            .match_expressions
            .iter()
            .any(|r| has_placeholder(&r.key) || r.values.iter().any(|v| has_placeholder(v)))
        || advertisement
            .labels
            .iter()
            .any(|l| has_placeholder(&l.value));
    open || selector.matches(|k| advertisement.label(k))
}

/// Whether the CiliumBGPPeerConfig a `peerConfigRef` names exists: found, missing, or
/// unverifiable (a placeholder, a patch cilint cannot apply, or a chart of the repository that
/// may create it: the kind is cluster-scoped, so a chart in any namespace may).
pub fn peer_config_lookup(catalog: &Catalog, name: &str) -> Lookup {
    match catalog.lookup(GROUP, PEER_CONFIG, None, name) {
        Lookup::Missing if !catalog.strict => {
            match catalog.cluster_chart_reason(GROUP, PEER_CONFIG) {
                Some(r) => Lookup::Unverifiable(r),
                None => Lookup::Missing,
            }
        }
        other => other,
    }
}

/// The chain of a world.
pub fn chain(catalog: &Catalog, versions: &Versions) -> Chain {
    let configs = catalog.of_kind(GROUP, CLUSTER_CONFIG);
    let peer_configs = catalog.of_kind(GROUP, PEER_CONFIG);
    let advertisements = catalog.of_kind(GROUP, ADVERTISEMENT);
    let patched = [configs, peer_configs, advertisements]
        .iter()
        .any(|ids| ids.iter().any(|&id| catalog.object(id).unverifiable));
    let (cilium, _) = super::cilium_api::cilium(versions);
    let refused = [configs, peer_configs, advertisements].iter().any(|ids| {
        ids.iter().any(|&id| {
            let o = catalog.object(id);
            let version = o.api_version.rsplit_once('/').map_or("", |(_, v)| v);
            matches!(
                super::cilium_api::verdict(&o.kind, version, cilium),
                Some(
                    super::cilium_api::Verdict::NotYet { .. }
                        | super::cilium_api::Verdict::Removed { .. }
                )
            )
        })
    });
    if refused {
        return Chain {
            refused,
            ..Chain::default()
        };
    }
    let mut chain = Chain {
        verifiable: !configs.is_empty()
            && !patched
            && catalog
                .cluster_chart_reason(GROUP, CLUSTER_CONFIG)
                .is_none(),
        advertisements_unseen: advertisements.is_empty()
            || catalog.cluster_chart_reason(GROUP, ADVERTISEMENT).is_some(),
        ..Chain::default()
    };
    for &id in configs {
        for (i, peer) in peers(catalog.object(id)).iter().enumerate() {
            let target = match &peer.peer_config_ref {
                None => RefTarget::Absent,
                Some(name) => match peer_config_lookup(catalog, &name.value) {
                    Lookup::Found(pc) => RefTarget::Found(pc),
                    Lookup::Unverifiable(r) => RefTarget::Unverifiable(r),
                    Lookup::Missing => RefTarget::Missing,
                },
            };
            if matches!(target, RefTarget::Unverifiable(_)) {
                chain.verifiable = false;
            }
            chain.refs.push(PeerRef {
                cluster_config: id,
                peer: i,
                target,
            });
        }
    }
    let selected_by = |family: &BgpFamily| {
        family.advertisements.as_ref().map(|sel| {
            advertisements
                .iter()
                .copied()
                .filter(|&ad| may_select(sel, catalog.object(ad)))
                .collect::<Vec<_>>()
        })
    };
    for r in &chain.refs {
        let RefTarget::Found(pc) = r.target else {
            continue;
        };
        if chain.reached.contains_key(&pc) {
            continue;
        }
        let Some(spec) = peer_config(catalog.object(pc)) else {
            continue;
        };
        let families: Vec<Option<Vec<ObjectId>>> = spec.families.iter().map(selected_by).collect();
        let silence = if spec.families.is_empty() {
            Some(Silence::NoFamilies)
        } else if families.iter().all(Option::is_none) {
            Some(Silence::NoSelector)
        } else if !chain.advertisements_unseen
            && families.iter().flatten().all(|ads| ads.is_empty())
        {
            Some(Silence::SelectsNone)
        } else {
            None
        };
        if let Some(s) = silence {
            chain.silent.insert(pc, s);
        }
        chain.reached.insert(pc, families);
    }
    if !chain.verifiable {
        return chain;
    }
    let reached_ads: HashSet<ObjectId> = chain
        .reached
        .values()
        .flatten()
        .flatten()
        .flatten()
        .copied()
        .collect();
    // A missing ref whose name is a near miss of an existing PeerConfig meant that one; any
    // other missing ref may have meant any advertisement.
    let names: Vec<&str> = peer_configs
        .iter()
        .map(|&id| catalog.object(id).name.as_str())
        .collect();
    let mut intended: Vec<(usize, &str)> = Vec::new();
    let mut opaque_missing = None;
    for (i, r) in chain.refs.iter().enumerate() {
        if r.target != RefTarget::Missing {
            continue;
        }
        let p = &peers(catalog.object(r.cluster_config))[r.peer];
        let name = p.peer_config_ref.as_ref().map_or("", |n| n.value.as_str());
        match suggest::closest(name, names.iter().copied()) {
            Some(near) => intended.push((i, near)),
            None => opaque_missing = opaque_missing.or(Some(i)),
        }
    }
    // Only when no reached PeerConfig advertises anything is a silent one the break for an
    // advertisement nothing selects; otherwise its labels are the likelier mistake.
    let silent = chain
        .silent
        .keys()
        .next()
        .copied()
        .filter(|_| chain.silent.len() == chain.reached.len());
    for &ad in advertisements {
        if reached_ads.contains(&ad) {
            continue;
        }
        let unreferenced = peer_configs.iter().copied().find(|pc| {
            peer_config(catalog.object(*pc)).is_some_and(|spec| {
                spec.families
                    .iter()
                    .filter_map(|f| f.advertisements.as_ref())
                    .any(|sel| may_select(sel, catalog.object(ad)))
            })
        });
        let meant = |pc: ObjectId| {
            let name = catalog.object(pc).name.as_str();
            intended.iter().find(|(_, n)| *n == name).map(|(i, _)| *i)
        };
        let b = match (unreferenced, opaque_missing, silent) {
            (Some(pc), _, _) => match meant(pc).or(opaque_missing) {
                Some(i) => Break::MissingRef(i),
                None => Break::Unreferenced(pc),
            },
            (None, Some(i), _) => Break::MissingRef(i),
            (None, None, Some(pc)) => Break::SilentPeerConfig(pc),
            (None, None, None) => Break::NotSelected,
        };
        chain.unreached.insert(ad, b);
    }
    if !chain.unreached.is_empty() {
        chain.stranded = stranded(catalog, versions, &chain);
    }
    chain
}

/// The Services each unreached advertisement alone was meant to advertise.
fn stranded(
    catalog: &Catalog,
    versions: &Versions,
    chain: &Chain,
) -> BTreeMap<ObjectId, Vec<ObjectId>> {
    let selectors = lb::selectors(catalog);
    let mut announced: HashSet<ObjectId> = v1_announced(catalog, versions);
    for s in &selectors {
        let counts = match s.kind {
            SelectorKind::Pool => false,
            SelectorKind::L2 => s.effective,
            SelectorKind::Bgp => s.effective && !chain.unreached.contains_key(&s.owner),
        };
        if counts {
            announced.extend(s.matching(catalog));
        }
    }
    let mut out: BTreeMap<ObjectId, Vec<ObjectId>> = BTreeMap::new();
    for s in &selectors {
        if s.kind != SelectorKind::Bgp || !s.effective || !chain.unreached.contains_key(&s.owner) {
            continue;
        }
        let list = out.entry(s.owner).or_default();
        for svc in s.matching(catalog) {
            if !announced.contains(&svc) && !list.contains(&svc) {
                list.push(svc);
            }
        }
    }
    out
}

/// The Services the v1 peering policies advertise, when the Cilium release still serves them.
pub fn v1_announced(catalog: &Catalog, versions: &Versions) -> HashSet<ObjectId> {
    let mut out = HashSet::new();
    if !super::cilium_api::serves_peering_policy(versions) {
        return out;
    }
    for &id in catalog.of_kind(GROUP, PEERING_POLICY) {
        let Some(policy) = peering_policy(catalog.object(id)) else {
            continue;
        };
        for r in policy.virtual_routers.iter() {
            if !r.advertises_load_balancer_ips() {
                continue;
            }
            let services = catalog.cilium_services_matching(r.service_selector.as_ref());
            out.extend(services.into_iter().filter(|&svc| {
                let spec = catalog.object(svc).service();
                spec.is_some_and(|s| SelectorKind::Bgp.handles(s))
            }));
        }
    }
    out
}

/// Whether the tree holds a v1 peering policy the Cilium release serves.
pub fn has_served_peering_policy(catalog: &Catalog, versions: &Versions) -> bool {
    !catalog.of_kind(GROUP, PEERING_POLICY).is_empty()
        && super::cilium_api::serves_peering_policy(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(yaml: &str) -> (Catalog, Chain) {
        let c = Catalog::of_yaml(yaml, "default");
        let ch = chain(&c, &Versions::default());
        (c, ch)
    }

    fn named(c: &Catalog, kind: &str, name: &str) -> ObjectId {
        *c.of_kind(GROUP, kind)
            .iter()
            .find(|&&id| c.object(id).name == name)
            .unwrap()
    }

    const CLUSTER: &str = "apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata: {name: c}\n\
        spec:\n  bgpInstances:\n  - name: home\n    localASN: 64513\n    peers:\n    \
        - {name: router, peerAddress: 10.0.0.1, peerASN: 64512, peerConfigRef: {name: peer}}\n";

    fn peer(name: &str, families: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {{name: {name}}}\nspec: {families}\n"
        )
    }

    fn ad(name: &str, labels: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\nmetadata: {{name: {name}, labels: {labels}}}\n\
             spec:\n  advertisements:\n  - advertisementType: Service\n    service: {{addresses: [LoadBalancerIP]}}\n    \
             selector: {{matchExpressions: [{{key: x, operator: NotIn, values: [y]}}]}}\n"
        )
    }

    const V4: &str =
        "{families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}]}";

    #[test]
    fn a_working_chain_reaches_its_advertisement() {
        let (c, ch) = chain_of(&format!(
            "{CLUSTER}{}{}",
            peer("peer", V4),
            ad("lb", "{advertise: bgp}")
        ));
        assert!(ch.verifiable);
        assert!(ch.reached(named(&c, ADVERTISEMENT, "lb")));
        assert!(ch.silent.is_empty());
    }

    #[test]
    fn each_break_is_attributed_once() {
        // The referenced PeerConfig is missing.
        let (c, ch) = chain_of(&format!("{CLUSTER}{}", ad("lb", "{advertise: bgp}")));
        assert_eq!(
            ch.unreached[&named(&c, ADVERTISEMENT, "lb")],
            Break::MissingRef(0)
        );
        // The PeerConfig has no families.
        let (c, ch) = chain_of(&format!(
            "{CLUSTER}{}{}",
            peer("peer", "{}"),
            ad("lb", "{advertise: bgp}")
        ));
        let pc = named(&c, PEER_CONFIG, "peer");
        assert_eq!(ch.silent[&pc], Silence::NoFamilies);
        assert_eq!(
            ch.unreached[&named(&c, ADVERTISEMENT, "lb")],
            Break::SilentPeerConfig(pc)
        );
        // Selected by a PeerConfig nothing references.
        let yaml = format!(
            "{CLUSTER}{}{}{}{}",
            peer("peer", V4),
            peer(
                "old",
                "{families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {bgp: old}}}]}"
            ),
            ad("lb", "{advertise: bgp}"),
            ad("legacy", "{bgp: old}")
        );
        let (c, ch) = chain_of(&yaml);
        let old = named(&c, PEER_CONFIG, "old");
        assert_eq!(
            ch.unreached[&named(&c, ADVERTISEMENT, "legacy")],
            Break::Unreferenced(old)
        );
        assert!(ch.reached(named(&c, ADVERTISEMENT, "lb")));
        // A missing ref that is a near miss of the PeerConfig selecting it meant that one.
        let typo = CLUSTER.replace("name: peer}", "name: peers}");
        let (c, ch) = chain_of(&format!(
            "{typo}{}{}",
            peer("peer", V4),
            ad("lb", "{advertise: bgp}")
        ));
        assert_eq!(
            ch.unreached[&named(&c, ADVERTISEMENT, "lb")],
            Break::MissingRef(0)
        );
        // Selected by nothing.
        let (c, ch) = chain_of(&format!(
            "{CLUSTER}{}{}{}",
            peer("peer", V4),
            ad("lb", "{advertise: bgp}"),
            ad("typo", "{advertize: bgp}")
        ));
        assert_eq!(
            ch.unreached[&named(&c, ADVERTISEMENT, "typo")],
            Break::NotSelected
        );
    }

    #[test]
    fn objects_the_release_refuses_are_not_judged() {
        let yaml = format!("{CLUSTER}{}", ad("lb", "{advertise: bgp}"));
        let c = Catalog::of_yaml(&yaml, "default");
        let old = Versions {
            cilium: Some((
                crate::model::versions::Version::new(1, 17, 4),
                super::super::versions::Source::Default,
            )),
            ..Versions::default()
        };
        let ch = chain(&c, &old);
        assert!(ch.refused && !ch.verifiable && ch.refs.is_empty());
    }

    #[test]
    fn a_chart_of_the_repository_may_create_the_peer_config() {
        let chart = "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
            metadata: {name: bgp, namespace: kube-system}\n\
            spec: {chart: {spec: {chart: ./kubernetes/charts/cilium-bgp, sourceRef: {kind: GitRepository, name: flux-system}}}}\n";
        let (c, ch) = chain_of(&format!("{CLUSTER}{chart}{}", ad("lb", "{advertise: bgp}")));
        assert!(
            matches!(ch.refs[0].target, RefTarget::Unverifiable(ref r) if r.contains("HelmRelease")),
            "{:?}",
            ch.refs
        );
        assert!(!ch.verifiable);
        assert!(ch.reached(named(&c, ADVERTISEMENT, "lb")));
    }

    #[test]
    fn unverifiable_without_a_cluster_config_or_with_placeholders() {
        let (c, ch) = chain_of(&format!(
            "{}{}",
            peer("peer", "{}"),
            ad("lb", "{advertise: bgp}")
        ));
        assert!(!ch.verifiable);
        assert!(ch.reached(named(&c, ADVERTISEMENT, "lb")));
        let (c, ch) = chain_of(&format!(
            "{CLUSTER}{}{}",
            peer(
                "peer",
                "{families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: \"${BGP_LABEL}\"}}}]}"
            ),
            ad("lb", "{advertise: bgp}")
        ));
        assert!(ch.verifiable);
        assert!(ch.reached(named(&c, ADVERTISEMENT, "lb")));
    }
}
