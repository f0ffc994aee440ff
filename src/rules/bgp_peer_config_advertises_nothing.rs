//! bgp-peer-config-advertises-nothing: a CiliumBGPPeerConfig some CiliumBGPClusterConfig peer
//! uses that advertises nothing (no `families`, no family with `advertisements`, or selectors
//! that match no CiliumBGPAdvertisement), a family whose `advertisements` selector matches no
//! advertisement, or a peer without `peerConfigRef` (Cilium's default peer configuration
//! advertises nothing).

use super::bgp_chain::{describe_family, describe_peer, strand};
use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::bgp::{self, Break, RefTarget, Silence};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::ObjectId;
use crate::model::selector::LabelSelector;

pub static META: RuleMeta = RuleMeta {
    id: "bgp-peer-config-advertises-nothing",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "a BGP peer's CiliumBGPPeerConfig (or a family of it) selects no CiliumBGPAdvertisement, so nothing is advertised",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let chain = catalog.bgp();
    for r in &chain.refs {
        if r.target != RefTarget::Absent {
            continue;
        }
        let o = catalog.object(r.cluster_config);
        let Some(location) = o.at(bgp::peers(o)[r.peer].span) else {
            continue;
        };
        out.push(
            Finding::new(
                &META,
                location,
                format!(
                    "{} has no peerConfigRef: it gets Cilium's default peer configuration, whose \
                     families carry no `advertisements` selector, so nothing is advertised to it",
                    describe_peer(catalog, r)
                ),
            )
            .object(o)
            .field(format!("spec.bgpInstances.peers[{}]", r.peer))
            .label("advertises nothing")
            .help(
                "set `peerConfigRef.name` to a CiliumBGPPeerConfig whose families select your \
                 CiliumBGPAdvertisements by label",
            ),
        );
    }
    let advertisements = catalog.of_kind(bgp::GROUP, bgp::ADVERTISEMENT);
    for (&pc, families) in &chain.reached {
        let o = catalog.object(pc);
        let Some(spec) = bgp::peer_config(o) else {
            continue;
        };
        if let Some(&silence) = chain.silent.get(&pc) {
            let (location, why, field) = match silence {
                Silence::NoFamilies => (
                    spec.families_span
                        .and_then(|s| o.at(s))
                        .or(o.name_location()),
                    "has no `families`: Cilium's defaults (ipv4/unicast and ipv6/unicast) carry \
                     no `advertisements` selector"
                        .to_string(),
                    "spec.families",
                ),
                Silence::NoSelector => (
                    spec.families_span
                        .and_then(|s| o.at(s))
                        .or(o.name_location()),
                    "has no family with an `advertisements` selector".to_string(),
                    "spec.families",
                ),
                Silence::SelectsNone => {
                    let (i, f) = spec
                        .families
                        .iter()
                        .enumerate()
                        .find(|(_, f)| f.advertisements.is_some())
                        .expect("a family with a selector");
                    let sel = f.advertisements.as_ref().expect("a selector");
                    (
                        o.at(sel.span),
                        format!(
                            "selects no CiliumBGPAdvertisement: {} matches none",
                            if spec
                                .families
                                .iter()
                                .filter(|f| f.advertisements.is_some())
                                .count()
                                == 1
                            {
                                format!("the `advertisements` selector of family {}", f.describe())
                            } else {
                                "no family's `advertisements` selector".to_string()
                            }
                        ),
                        if i == 0 {
                            "spec.families[0].advertisements"
                        } else {
                            "spec.families.advertisements"
                        },
                    )
                }
            };
            let Some(location) = location else { continue };
            let mut f = Finding::new(
                &META,
                location,
                format!(
                    "CiliumBGPPeerConfig `{}` {why}, so its peers are advertised nothing",
                    o.name
                ),
            )
            .object(o)
            .field(field)
            .label("advertises nothing");
            f = match silence {
                Silence::SelectsNone => {
                    let fam = spec
                        .families
                        .iter()
                        .find(|f| f.advertisements.is_some())
                        .expect("a family");
                    nearest(
                        f,
                        catalog,
                        advertisements,
                        fam.advertisements.as_ref().expect("a selector"),
                    )
                }
                _ => f.help(
                    "add `families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: \
                     {advertise: bgp}}}]` (and ipv6 if you advertise IPv6), and label your \
                     CiliumBGPAdvertisements `advertise: bgp`",
                ),
            };
            for r in chain
                .refs
                .iter()
                .filter(|r| r.target == RefTarget::Found(pc))
            {
                let c = catalog.object(r.cluster_config);
                let peer = &bgp::peers(c)[r.peer];
                f = f.related(
                    peer.peer_config_ref.as_ref().and_then(|n| c.at(n.span)),
                    format!("{} uses it", describe_peer(catalog, r)),
                );
            }
            out.push(strand(f, catalog, chain, Break::SilentPeerConfig(pc)));
            continue;
        }
        // Some family advertises: a written selector that matches nothing is still a mistake.
        if chain.advertisements_unseen {
            continue;
        }
        for (i, (fam, matched)) in spec.families.iter().zip(families).enumerate() {
            let (Some(sel), Some(matched)) = (&fam.advertisements, matched) else {
                continue;
            };
            if !matched.is_empty() {
                continue;
            }
            let Some(location) = o.at(sel.span) else {
                continue;
            };
            let f = Finding::new(
                &META,
                location,
                format!(
                    "the `advertisements` selector of {} matches no CiliumBGPAdvertisement, so \
                     nothing is advertised for that family",
                    describe_family(catalog, pc, fam)
                ),
            )
            .object(o)
            .field(format!("spec.families[{i}].advertisements"))
            .label("selects no advertisement");
            out.push(nearest(f, catalog, advertisements, sel));
        }
    }
}

/// The help naming the advertisement whose labels come closest to the selector.
fn nearest(
    f: Finding,
    catalog: &Catalog,
    advertisements: &[ObjectId],
    sel: &LabelSelector,
) -> Finding {
    let best = advertisements
        .iter()
        .map(|&id| {
            let o = catalog.object(id);
            (sel.failing_terms(|k| o.label(k)), id)
        })
        .min_by_key(|(failing, id)| (*failing, *id));
    match best {
        Some((_, id)) => {
            let o = catalog.object(id);
            let needs = sel.describe_failures(|k| o.label(k)).join(", ");
            f.help(format!(
                "nearest miss: CiliumBGPAdvertisement `{}` needs {needs}; add that to its \
                 metadata.labels, or change the selector to labels it has",
                o.name
            ))
            .related(
                o.labels_span.and_then(|s| o.at(s)).or(o.name_location()),
                format!("nearest miss: needs {needs}"),
            )
        }
        None => f.help("create a CiliumBGPAdvertisement with labels this selector matches"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata: {name: bgp}\n\
        spec:\n  bgpInstances:\n  - name: home\n    localASN: 64513\n    peers:\n    \
        - {name: opnsense, peerAddress: 10.0.0.1, peerASN: 64512, peerConfigRef: {name: peer}}\n";

    const AD: &str = "---\napiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\nmetadata: {name: lb, labels: {advertise: bgp}}\n\
        spec: {advertisements: [{advertisementType: Service, service: {addresses: [LoadBalancerIP]}, \
        selector: {matchExpressions: [{key: x, operator: NotIn, values: [y]}]}}]}\n";

    fn peer(spec: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {{name: peer}}\nspec: {spec}\n"
        )
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn no_families_and_a_label_typo_advertise_nothing() {
        let found = findings(&format!(
            "{CLUSTER}{}{AD}",
            peer("{timers: {holdTimeSeconds: 9}}")
        ));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("has no `families`"),
            "{}",
            found[0].message
        );
        let typo = peer(
            "{families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgpp}}}]}",
        );
        let found = findings(&format!("{CLUSTER}{typo}{AD}"));
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .contains("needs advertise=bgpp"),
            "{:?}",
            found[0].help
        );
    }

    #[test]
    fn a_working_peer_config_and_a_missing_advertisement_set_say_nothing() {
        let ok = peer(
            "{families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}, {afi: ipv6, safi: unicast}]}",
        );
        assert!(findings(&format!("{CLUSTER}{ok}{AD}")).is_empty());
        // No advertisement in the tree at all: they may be applied from elsewhere.
        let typo = peer(
            "{families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgpp}}}]}",
        );
        assert!(findings(&format!("{CLUSTER}{typo}")).is_empty());
    }

    #[test]
    fn a_peer_without_a_ref_advertises_nothing() {
        let no_ref = CLUSTER.replace(", peerConfigRef: {name: peer}", "");
        let found = findings(&no_ref);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("has no peerConfigRef"));
    }
}
