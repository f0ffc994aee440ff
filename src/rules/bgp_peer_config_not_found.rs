//! bgp-peer-config-not-found: a CiliumBGPClusterConfig peer whose `peerConfigRef.name` names no
//! CiliumBGPPeerConfig (`cilium.io/MissingPeerConfigs`): nothing is advertised to that peer.

use super::bgp_chain::{describe_peer, strand};
use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::bgp::{self, Break, RefTarget};
use crate::diagnostic::{Finding, Severity};
use crate::model::suggest;

pub static META: RuleMeta = RuleMeta {
    id: "bgp-peer-config-not-found",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a CiliumBGPClusterConfig peer's peerConfigRef names no CiliumBGPPeerConfig",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let chain = catalog.bgp();
    let names: Vec<&str> = catalog
        .of_kind(bgp::GROUP, bgp::PEER_CONFIG)
        .iter()
        .map(|&id| catalog.object(id).name.as_str())
        .collect();
    for (i, r) in chain.refs.iter().enumerate() {
        if r.target != RefTarget::Missing {
            continue;
        }
        let o = catalog.object(r.cluster_config);
        let Some(name) = &bgp::peers(o)[r.peer].peer_config_ref else {
            continue;
        };
        let Some(location) = o.at(name.span) else {
            continue;
        };
        let mut f = Finding::new(
            &META,
            location,
            format!(
                "{} references CiliumBGPPeerConfig `{}`, which does not exist: nothing is \
                 advertised to that peer",
                describe_peer(catalog, r),
                name.value
            ),
        )
        .object(o)
        .field(format!(
            "spec.bgpInstances.peers[{}].peerConfigRef.name",
            r.peer
        ))
        .label("no such CiliumBGPPeerConfig")
        .condition("cilium.io/MissingPeerConfigs=True");
        f = match suggest::closest(&name.value, names.iter().copied()) {
            Some(near) => {
                let target = catalog.lookup(bgp::GROUP, bgp::PEER_CONFIG, None, near);
                let near_at = match target {
                    crate::catalog::Lookup::Found(id) => catalog.object(id).name_location(),
                    _ => None,
                };
                let f = match suggest::only_close(&name.value, names.iter().copied()) {
                    Some(only) if only == near => f.rename(
                        &name.value,
                        near,
                        format!("name CiliumBGPPeerConfig `{near}`"),
                    ),
                    _ => f,
                };
                f.help(format!(
                    "did you mean `{near}`? set `peerConfigRef.name: {near}`"
                ))
                .related(near_at, format!("CiliumBGPPeerConfig `{near}` exists"))
            }
            None => f.help(format!(
                "create a CiliumBGPPeerConfig named `{}` whose families' `advertisements` select \
                 your CiliumBGPAdvertisements (cluster-scoped, `apiVersion: cilium.io/v2`), or \
                 point `peerConfigRef.name` at an existing one",
                name.value
            )),
        };
        out.push(strand(f, catalog, chain, Break::MissingRef(i)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata: {name: bgp}\n\
        spec:\n  bgpInstances:\n  - name: home\n    localASN: 64513\n    peers:\n    \
        - {name: opnsense, peerAddress: 10.0.0.1, peerASN: 64512, peerConfigRef: {name: bgp-peer}}\n";

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn a_typo_in_the_ref_suggests_the_peer_config() {
        let yaml = format!(
            "{CLUSTER}---\napiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {{name: bgp-peers}}\nspec: {{}}\n"
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location.span.start.line, 9);
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `bgp-peers`")
        );
        assert_eq!(
            found[0].condition.as_deref(),
            Some("cilium.io/MissingPeerConfigs=True")
        );
    }

    #[test]
    fn found_or_made_by_a_placeholder_is_no_finding() {
        let yaml = format!(
            "{CLUSTER}---\napiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {{name: bgp-peer}}\nspec: {{}}\n"
        );
        assert!(findings(&yaml).is_empty());
        let placeholder = CLUSTER.replace("name: bgp-peer}", "name: \"${PEER_CONFIG}\"}");
        assert!(findings(&placeholder).is_empty());
    }
}
