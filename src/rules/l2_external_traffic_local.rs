//! l2-external-traffic-local: a LoadBalancer Service an L2 announcement policy announces, with
//! `externalTrafficPolicy: Local` (semantics.md §3, "Hazard"). Before Cilium 1.20.2 the node
//! holding the Service's lease answers ARP whether or not it runs a backend, and drops the
//! traffic when it has none (cilium/cilium#27800); from 1.20.2 (#46399, backport #48550) only
//! nodes with a local backend take the lease, and a Gateway's generated Service, whose one
//! backend is a placeholder on no node, is never announced (cilium/cilium#48799). A Gateway
//! gets `Local` from the `CiliumGatewayClassConfig` its class names; that is reported once, at
//! the config, with its Gateways.

use std::collections::BTreeMap;

use super::{Category, Facts, Rule, RuleMeta, stranded};
use crate::analysis::lb::{self, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::cilium_config::Setting;
use crate::model::versions::Version;
use crate::model::{Object, ObjectId, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "l2-external-traffic-local",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "an L2-announced LoadBalancer Service has externalTrafficPolicy: Local, so ARP may \
              lead to a node without a backend, or (a Gateway's Service) it is never announced",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// The release that announces eTP Local Services only from nodes with a local backend.
const LOCAL_AWARE: Version = Version::new(1, 20, 2);

fn check(facts: &Facts<'_>, out: &mut Vec<Finding>) {
    let catalog: &Catalog = facts;
    let selectors = lb::selectors(catalog);
    // Without L2 policies nothing is announced over L2; with clusters cilint could not tell
    // apart, which policy announces which Service is not known.
    if !selectors.iter().any(|s| s.kind == SelectorKind::L2) || stranded::conflated(catalog) {
        return;
    }
    let release = facts.versions.cilium.map(|(v, _)| v);
    // What the release does: `None` when not known to the patch.
    let local_aware = release.and_then(|v| {
        if (v.major, v.minor) != (1, 20) {
            Some(v.at_least(LOCAL_AWARE))
        } else {
            v.patch.map(|_| v.at_least(LOCAL_AWARE))
        }
    });
    let announced = stranded::announced(catalog, &selectors);
    // The announcing L2 policy of each Service, the first in load order.
    let l2_policy = |id: ObjectId| -> Option<ObjectId> {
        announced
            .get(&id)?
            .iter()
            .copied()
            .find(|&o| matches!(catalog.object(o).spec, Spec::L2Policy(_)))
    };
    let mut by_config: BTreeMap<PolicySource, Vec<(ObjectId, ObjectId)>> = BTreeMap::new();
    for &id in catalog.of_kind("", "Service") {
        let svc = catalog.object(id);
        let Some(spec) = svc.service() else { continue };
        let local = spec
            .external_traffic_policy
            .as_ref()
            .is_some_and(|p| p.value == "Local");
        if !local || svc.unverifiable || !spec.is_cilium_load_balancer() {
            continue;
        }
        let Some(policy) = l2_policy(id) else {
            continue;
        };
        match catalog.generator(id) {
            // Harmless before 1.20.2: the announcing node hands traffic to its own Envoy.
            Some(gw) if local_aware != Some(false) => {
                let sets_it = |c: &ObjectId| match &catalog.object(*c).spec {
                    Spec::GatewayClassConfig(c) => c.external_traffic_policy.is_some(),
                    _ => false,
                };
                let from = match catalog.gateway_class_config(gw).filter(sets_it) {
                    Some(config) => PolicySource::ClassConfig(config),
                    None => PolicySource::HelmValue,
                };
                by_config.entry(from).or_default().push((gw, policy));
            }
            Some(_) => {}
            // Only a release known to be older: the current one announces from nodes with a
            // local backend, and a false alarm is worse than a miss.
            None if local_aware == Some(false) => {
                out.extend(release.and_then(|v| plain_service(catalog, svc, policy, v)));
            }
            None => {}
        }
    }
    for (from, gateways) in by_config {
        out.extend(gateway_config(
            catalog,
            from,
            &gateways,
            release.filter(|_| local_aware.is_some()),
        ));
    }
}

fn etp_location(o: &Object) -> Option<Location> {
    o.at(o.service()?.external_traffic_policy.as_ref()?.span)
}

fn plain_service(
    catalog: &Catalog,
    svc: &Object,
    policy: ObjectId,
    release: Version,
) -> Option<Finding> {
    let p = catalog.object(policy);
    let when = format!("with Cilium {release} (before 1.20.2)");
    let finding = Finding::new(
        &META,
        etp_location(svc)?,
        format!(
            "LoadBalancer Service {} has `externalTrafficPolicy: Local` and CiliumL2AnnouncementPolicy \
             {} announces it: {when}, the node holding its lease answers ARP whether or not it \
             runs one of its Pods, and drops the traffic when it does not",
            svc.qualified_name(),
            p.name
        ),
    )
    .object(svc)
    .field("spec.externalTrafficPolicy")
    .label("Local under L2 announcements")
    .help(
        "use `externalTrafficPolicy: Cluster` (the client's source address is then not kept), \
         or run Cilium 1.20.2 or later, which announces such a Service only from nodes with a \
         local backend",
    )
    .related(p.name_location(), "announces it over L2");
    Some(finding)
}

/// Where a Gateway's Service gets `externalTrafficPolicy: Local`: the class config its
/// GatewayClass names, else the cilium chart's `gatewayAPI.externalTrafficPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PolicySource {
    ClassConfig(ObjectId),
    HelmValue,
}

fn gateway_config(
    catalog: &Catalog,
    from: PolicySource,
    gateways: &[(ObjectId, ObjectId)],
    release: Option<Version>,
) -> Option<Finding> {
    let (location, what, field, fix, object) = match from {
        PolicySource::ClassConfig(config) => {
            let c = catalog.object(config);
            let Spec::GatewayClassConfig(spec) = &c.spec else {
                return None;
            };
            let etp = spec.external_traffic_policy.as_ref()?;
            (
                c.at(etp.span)?,
                format!("CiliumGatewayClassConfig {}", c.qualified_name()),
                "spec.service.externalTrafficPolicy",
                "set `spec.service.externalTrafficPolicy: Cluster` here",
                Some(c),
            )
        }
        PolicySource::HelmValue => {
            let (value, location) = catalog.cilium_setting(|s| match s {
                Setting::GatewayExternalTrafficPolicy(v) => Some(*v),
                _ => None,
            })?;
            if value != "Local" {
                return None;
            }
            (
                location,
                "the cilium chart's `gatewayAPI.externalTrafficPolicy`".to_string(),
                "gatewayAPI.externalTrafficPolicy",
                "set `gatewayAPI.externalTrafficPolicy: Cluster` in the cilium chart's values",
                None,
            )
        }
    };
    let names: Vec<String> = gateways
        .iter()
        .map(|(gw, _)| catalog.object(*gw).qualified_name())
        .collect();
    let which = match &names[..] {
        [one] => format!("Gateway {one}"),
        many => format!("{} Gateways", many.len()),
    };
    let when = match release {
        None => "from Cilium 1.20.2 on (cilint could not tell the release)".to_string(),
        Some(v) => format!("with Cilium {v} (1.20.2 or later)"),
    };
    let mut finding = Finding::new(
        &META,
        location,
        format!(
            "{what} sets `externalTrafficPolicy: Local` for the Services of {which}, which L2 \
             policies announce: {when} the lease goes only to a node with a local backend, and a \
             Gateway's Service has none (its one endpoint is a placeholder), so no node answers \
             ARP for it (cilium/cilium#48799)"
        ),
    )
    .field(field)
    .label("Gateway Services never announced")
    .help(format!(
        "{fix} (Envoy on the announcing node serves every Gateway), or announce these Gateways \
         over BGP"
    ));
    if let Some(c) = object {
        finding = finding.object(c);
    }
    for &(gw, policy) in gateways.iter().take(5) {
        finding = finding.related(
            catalog.object(gw).name_location(),
            format!(
                "its Service is announced by CiliumL2AnnouncementPolicy {}",
                catalog.object(policy).name
            ),
        );
    }
    if gateways.len() > 5 {
        finding = finding.help_note(Some(format!(
            "; {} more Gateways use this setting",
            gateways.len() - 5
        )));
    }
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::versions::Source;

    const L2: &str = "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\n\
        metadata: {name: lan}\nspec: {loadBalancerIPs: true, serviceSelector: {matchLabels: {l2: \"on\"}}}\n";

    fn findings(yaml: &str, cilium: Option<Version>) -> Vec<Finding> {
        let catalog = Catalog::of_yaml(yaml, "default");
        let mut facts = Facts::new(&catalog);
        facts.versions.cilium = cilium.map(|v| (v, Source::Configuration));
        let mut out = Vec::new();
        check(&facts, &mut out);
        out
    }

    fn service(etp: &str, labels: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: pihole, namespace: dns, labels: {labels}}}\n\
             spec: {{type: LoadBalancer, externalTrafficPolicy: {etp}}}\n"
        )
    }

    const GATEWAY: &str = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n\
        metadata: {name: cilium-local}\nspec:\n  controllerName: io.cilium/gateway-controller\n  \
        parametersRef: {group: cilium.io, kind: CiliumGatewayClassConfig, name: local, namespace: kube-system}\n\
        ---\napiVersion: cilium.io/v2alpha1\nkind: CiliumGatewayClassConfig\n\
        metadata: {name: local, namespace: kube-system}\nspec:\n  service:\n    externalTrafficPolicy: Local\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web, namespace: edge}\n\
        spec:\n  gatewayClassName: cilium-local\n  infrastructure: {labels: {l2: \"on\"}}\n  \
        listeners: [{name: http, port: 80, protocol: HTTP}]\n";

    #[test]
    fn a_local_service_is_reported_on_a_release_known_to_be_before_the_fix() {
        let yaml = format!("{L2}{}", service("Local", "{l2: \"on\"}"));
        // Unknown: the current release (1.20.2 and later) announces it from a node with a Pod.
        assert!(findings(&yaml, None).is_empty());
        assert_eq!(findings(&yaml, Some(Version::new(1, 19, 3))).len(), 1);
        assert!(findings(&yaml, Some(Version::new(1, 20, 2))).is_empty());
        // Two clusters' policies of one name in one tree: which announces what is not known.
        let twice = format!("{L2}---\n{L2}{}", service("Local", "{l2: \"on\"}"));
        assert!(findings(&twice, Some(Version::new(1, 19, 3))).is_empty());
        // Not announced by L2 (BGP only, or no policy selects it), or Cluster: quiet.
        assert!(
            findings(
                &format!("{L2}{}", service("Local", "{bgp: \"on\"}")),
                Some(Version::new(1, 19, 3))
            )
            .is_empty()
        );
        assert!(
            findings(
                &format!("{L2}{}", service("Cluster", "{l2: \"on\"}")),
                Some(Version::new(1, 19, 3))
            )
            .is_empty()
        );
    }

    #[test]
    fn a_gateway_class_config_with_local_is_reported_once_at_the_config() {
        let yaml = format!("{L2}{GATEWAY}");
        let found = findings(&yaml, Some(Version::new(1, 20, 2)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .starts_with("CiliumGatewayClassConfig kube-system/local")
        );
        assert_eq!(found[0].related.len(), 1);
        assert_eq!(findings(&yaml, None).len(), 1);
        // Before 1.20.2 the Gateway's own Envoy serves it.
        assert!(findings(&yaml, Some(Version::new(1, 20, 1))).is_empty());
        assert!(findings(&yaml, Some(Version::new(1, 19, 8))).is_empty());
    }

    #[test]
    fn the_helm_value_is_the_policy_of_gateways_whose_class_config_sets_none() {
        let helm = "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
            metadata: {name: cilium, namespace: kube-system}\n\
            spec:\n  chart: {spec: {chart: cilium}}\n  values:\n    gatewayAPI:\n      \
            enabled: true\n      externalTrafficPolicy: Local\n";
        let gateway = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
            metadata: {name: web, namespace: edge}\nspec:\n  gatewayClassName: cilium\n  \
            infrastructure: {labels: {l2: \"on\"}}\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n";
        let found = findings(&format!("{L2}{helm}{gateway}"), None);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.starts_with(
                "the cilium chart's `gatewayAPI.externalTrafficPolicy` sets `externalTrafficPolicy: \
                 Local` for the Services of Gateway edge/web"
            ),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].field.as_deref(),
            Some("gatewayAPI.externalTrafficPolicy")
        );
        // Harmless before 1.20.2; and a class config setting Cluster wins over the value.
        assert!(
            findings(
                &format!("{L2}{helm}{gateway}"),
                Some(Version::new(1, 19, 3))
            )
            .is_empty()
        );
        let cluster = GATEWAY.replace(
            "externalTrafficPolicy: Local",
            "externalTrafficPolicy: Cluster",
        );
        assert!(findings(&format!("{L2}{helm}{cluster}"), None).is_empty());
    }
}
