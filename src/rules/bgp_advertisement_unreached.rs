//! bgp-advertisement-unreached: a CiliumBGPAdvertisement that no family of a
//! CiliumBGPPeerConfig reached from a CiliumBGPClusterConfig selects: it advertises nothing.
//! When the break is a missing or silent PeerConfig, that rule's finding says it instead.

use super::bgp_chain::{describe_family, strand};
use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::bgp::{self, Break};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::{Object, ObjectId};

pub static META: RuleMeta = RuleMeta {
    id: "bgp-advertisement-unreached",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "a CiliumBGPAdvertisement is selected by no family of a CiliumBGPPeerConfig a BGP peer uses",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let chain = catalog.bgp();
    for (&ad, &b) in &chain.unreached {
        let o = catalog.object(ad);
        // Its labels are what a family selects it by.
        let labels = o.labels_span.and_then(|s| o.at(s));
        let Some(location) = labels.or(o.name_location()) else {
            continue;
        };
        let f = match b {
            Break::Unreferenced(pc) => unreferenced(catalog, o, location, pc),
            Break::NotSelected => not_selected(catalog, chain, o, location),
            Break::MissingRef(_) | Break::SilentPeerConfig(_) => continue,
        };
        out.push(strand(f, catalog, chain, b));
    }
}

fn finding(o: &Object, location: crate::source::Location, message: String) -> Finding {
    Finding::new(&META, location, message)
        .object(o)
        .field("metadata.labels")
        .label("advertised to no peer")
}

fn unreferenced(
    catalog: &Catalog,
    o: &Object,
    location: crate::source::Location,
    pc: ObjectId,
) -> Finding {
    let p = catalog.object(pc);
    finding(
        o,
        location,
        format!(
            "CiliumBGPAdvertisement `{}` is selected only by CiliumBGPPeerConfig `{}`, which no \
             CiliumBGPClusterConfig peer references: it advertises nothing",
            o.name, p.name
        ),
    )
    .help(format!(
        "set `peerConfigRef.name: {}` on the CiliumBGPClusterConfig peers that should advertise \
         it, or label it for a family of a CiliumBGPPeerConfig they use",
        p.name
    ))
    .related(
        p.name_location(),
        format!(
            "CiliumBGPPeerConfig `{}` selects it but no peer uses it",
            p.name
        ),
    )
}

fn not_selected(
    catalog: &Catalog,
    chain: &bgp::Chain,
    o: &Object,
    location: crate::source::Location,
) -> Finding {
    let f = finding(
        o,
        location,
        format!(
            "CiliumBGPAdvertisement `{}` is selected by no family of a CiliumBGPPeerConfig that a \
             CiliumBGPClusterConfig peer uses: it advertises nothing",
            o.name
        ),
    );
    // The family selector that comes nearest to its labels.
    let mut best = None;
    for &pc in chain.reached.keys() {
        let p = catalog.object(pc);
        let Some(spec) = bgp::peer_config(p) else {
            continue;
        };
        for fam in spec.families.iter() {
            let Some(sel) = &fam.advertisements else {
                continue;
            };
            let failing = sel.failing_terms(|k| o.label(k));
            if best.as_ref().is_none_or(|(n, _, _, _)| failing < *n) {
                best = Some((failing, pc, fam, sel));
            }
        }
    }
    match best {
        Some((_, pc, fam, sel)) => {
            let needs = sel.describe_failures(|k| o.label(k)).join(", ");
            let family = describe_family(catalog, pc, fam);
            f.help(format!(
                "nearest miss: the `advertisements` selector of {family} needs {needs}; add that \
                 to the advertisement's metadata.labels, or widen the selector"
            ))
            .related(
                catalog.object(pc).at(sel.span),
                format!("nearest miss: needs {needs}"),
            )
        }
        None => f.help(
            "give a CiliumBGPPeerConfig a family whose `advertisements` selector matches this \
             advertisement's labels",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: &str = "apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata: {name: bgp}\n\
        spec:\n  bgpInstances:\n  - name: home\n    localASN: 64513\n    peers:\n    \
        - {name: opnsense, peerAddress: 10.0.0.1, peerASN: 64512, peerConfigRef: {name: peer}}\n---\n\
        apiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {name: peer}\n\
        spec: {families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}]}\n";

    fn ad(name: &str, labels: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\nmetadata: {{name: {name}, labels: {labels}}}\n\
             spec: {{advertisements: [{{advertisementType: Service, service: {{addresses: [LoadBalancerIP]}}, \
             selector: {{matchLabels: {{bgp: announce}}}}}}]}}\n"
        )
    }

    const SVC: &str = "---\napiVersion: v1\nkind: Service\nmetadata: {name: dns, namespace: net, labels: {bgp: announce}}\n\
        spec: {type: LoadBalancer, ports: [{port: 53}]}\n";

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn a_label_typo_strands_its_services() {
        // Another advertisement is reached: the PeerConfig itself advertises something.
        let yaml = format!(
            "{CHAIN}{}{}{SVC}",
            ad("pods", "{advertise: bgp}").replace("bgp: announce", "bgp: pods"),
            ad("lb", "{advertize: bgp}")
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert!(
            f.message.ends_with("it strands 1 LoadBalancer Service"),
            "{}",
            f.message
        );
        assert!(f.help.as_deref().unwrap().contains("needs advertise=bgp"));
        assert_eq!(f.related.len(), 2);
    }

    #[test]
    fn a_reached_advertisement_is_quiet() {
        assert!(findings(&format!("{CHAIN}{}{SVC}", ad("lb", "{advertise: bgp}"))).is_empty());
    }
}
