//! cilium-api-version-unserved: a Cilium object written in an apiVersion the cluster's Cilium
//! release does not serve (the v1 CiliumBGPPeeringPolicy from 1.19, CiliumNodeConfig v2alpha1
//! from 1.20, v2 BGP kinds and pools before 1.18) — an error — or serves as deprecated
//! (v2alpha1 BGP kinds from 1.18, v2alpha1 pools from 1.19, the peering policy on 1.18) — a
//! warning. Without a configured or pinned version it assumes the current release, and then
//! reports only what that release refuses, not deprecations.

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::cilium_api::{self, Verdict};
use crate::analysis::versions::Source;
use crate::diagnostic::{Finding, Severity};
use crate::model::versions::Version;
use crate::model::{Object, Origin};

pub static META: RuleMeta = RuleMeta {
    id: "cilium-api-version-unserved",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a Cilium object's apiVersion is not served (or is deprecated) by the cluster's Cilium release",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// The v1 → v2 BGP migration, field by field (Cilium's BGP control plane docs).
const PEERING_POLICY_MIGRATION: &str = "migrate to the v2 BGP API: a CiliumBGPClusterConfig \
    (`nodeSelector` ← spec.nodeSelector; one `bgpInstances[]` per virtualRouter with `localASN`; \
    `peers[]` ← neighbors[], `peerAddress` without the `/32`, `peerASN`, `peerConfigRef.name`), \
    a CiliumBGPPeerConfig per neighbor profile (`timers`, `ebgpMultihop`, `gracefulRestart`, \
    `authSecretRef`, and `families` whose `advertisements` selector picks the advertisement by \
    label), and a CiliumBGPAdvertisement (`advertisementType: Service` with `service.addresses` \
    ← serviceAdvertisements and `selector` ← serviceSelector; `advertisementType: PodCIDR` for \
    exportPodCIDR)";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let (cilium, source) = cilium_api::cilium(&catalog.versions);
    for kind in cilium_api::judged_kinds() {
        for &id in catalog.of_kind("cilium.io", kind) {
            let o = catalog.object(id);
            if o.origin != Origin::Manifest || o.unverifiable {
                continue;
            }
            let Some(at) = o.name_location() else {
                continue;
            };
            let version = o.api_version.rsplit_once('/').map_or("", |(_, v)| v);
            let Some(verdict) = cilium_api::verdict(kind, version, cilium) else {
                continue;
            };
            let Some(mut f) = finding(o, at, verdict, cilium, source) else {
                continue;
            };
            if let Some(pin) = source.and_then(Source::location) {
                f = f.related(Some(pin), format!("Cilium {cilium} is pinned here"));
            }
            out.push(f);
        }
    }
}

/// ", assuming Cilium 1.20; set `cilium-version`" when nothing sets the release.
fn assumed(cilium: Version, source: Option<Source>) -> String {
    match source {
        None => format!(
            " (assuming Cilium {}.{}, the current release; set `cilium-version` or `--cilium-version`)",
            cilium.major, cilium.minor
        ),
        Some(_) => String::new(),
    }
}

fn finding(
    o: &Object,
    at: crate::source::Location,
    verdict: Verdict,
    cilium: Version,
    source: Option<Source>,
) -> Option<Finding> {
    let release = format!("Cilium {}.{}", cilium.major, cilium.minor);
    let what = format!("{} `{}` is written in {}", o.kind, o.name, o.api_version);
    let (severity, message, label, help) = match verdict {
        Verdict::Served => return None,
        // A deprecation is worth a warning only against the release the cluster is known to
        // run: an assumed one may be newer than the cluster's.
        Verdict::Deprecated { .. } if source.is_none() => return None,
        Verdict::Deprecated { since, replacement } => (
            Severity::Warning,
            format!(
                "{what}, deprecated since Cilium {}.{}{}",
                since.major,
                since.minor,
                assumed(cilium, source)
            ),
            "deprecated apiVersion",
            help(o, replacement),
        ),
        Verdict::Removed { since, replacement } => (
            Severity::Error,
            format!(
                "{what}, which {release} no longer serves (removed in {}.{}): the API server \
                 refuses it, or the CRD left behind is ignored{}",
                since.major,
                since.minor,
                assumed(cilium, source)
            ),
            "apiVersion not served",
            help(o, replacement),
        ),
        Verdict::NotYet { since, replacement } => (
            Severity::Error,
            format!(
                "{what}, which {release} does not serve yet (served from {}.{}): the API server \
                 refuses it{}",
                since.major,
                since.minor,
                assumed(cilium, source)
            ),
            "apiVersion not served yet",
            match replacement {
                Some(r) => format!(
                    "write `apiVersion: cilium.io/{r}` for {release}, or upgrade Cilium to {}.{}",
                    since.major, since.minor
                ),
                None => format!("upgrade Cilium to {}.{} or later", since.major, since.minor),
            },
        ),
    };
    let mut f = Finding::new(&META, at, message)
        .object(o)
        .field("apiVersion")
        .label(label)
        .help(help);
    f.severity = severity;
    Some(f)
}

/// The migration for an object to `replacement`.
fn help(o: &Object, replacement: &str) -> String {
    match &*o.kind {
        "CiliumBGPPeeringPolicy" => PEERING_POLICY_MIGRATION.to_string(),
        "CiliumBGPPeerConfig" => format!(
            "write `apiVersion: cilium.io/{replacement}`; v2 dropped `spec.transport.localPort` \
             (remove it: the local port is the ClusterConfig's `bgpInstances[].localPort`)"
        ),
        "CiliumBGPClusterConfig" => format!(
            "write `apiVersion: cilium.io/{replacement}`; v2 dropped `peerConfigRef.group` and \
             `peerConfigRef.kind` (remove them: the ref always names a CiliumBGPPeerConfig)"
        ),
        _ => format!("write `apiVersion: cilium.io/{replacement}`; the fields stay the same"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn assumed_current_release_refuses_the_peering_policy_and_deprecates_v2alpha1() {
        let found = findings(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata: {name: rack0}\nspec: {}\n---\n\
             apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeerConfig\nmetadata: {name: peer}\nspec: {}\n---\n\
             apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata: {name: l2}\nspec: {}\n---\n\
             apiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\nmetadata: {name: ad}\nspec: {}\n",
        );
        // Assumed 1.20: the removed kind only, not the deprecation.
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Error);
        assert!(
            found[0].message.contains("assuming Cilium 1.20"),
            "{}",
            found[0].message
        );
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("migrate to the v2 BGP API")
        );
    }

    #[test]
    fn a_pinned_release_also_reports_deprecations() {
        let pin = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: cilium, namespace: kube-system}\n\
            spec: {chart: {spec: {chart: cilium, version: 1.18.6, sourceRef: {kind: HelmRepository, name: cilium}}}}\n---\n";
        let found = findings(&format!(
            "{pin}apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeerConfig\nmetadata: {{name: peer}}\nspec: {{}}\n---\n\
             apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata: {{name: rack0}}\nspec: {{}}\n"
        ));
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|f| f.severity == Severity::Warning));
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .contains("transport.localPort")
        );
        assert_eq!(found[0].related.len(), 1, "the pin is related");
    }
}
