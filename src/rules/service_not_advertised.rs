//! service-not-advertised: a LoadBalancer Service Cilium handles that no L2 announcement policy
//! and no BGP advertisement selects, in a tree that has them.

use std::collections::HashSet;

use super::{
    Category, Facts, Rule, RuleMeta, l2_policy_announces_nothing, l2_policy_interface_invalid,
    label_gaps, selector_invalid, service_ip_pool_missing, stranded,
};
use crate::analysis::bgp;
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::{Object, ObjectId};

pub static META: RuleMeta = RuleMeta {
    id: "service-not-advertised",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "a LoadBalancer Service Cilium handles is selected by no L2 announcement policy and \
              no BGP advertisement",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let selectors = lb::selectors(catalog);
    let announcers: Vec<&LbSelector> = selectors
        .iter()
        .filter(|s| s.kind != SelectorKind::Pool)
        .collect();
    // A v1 peering policy the Cilium release still serves advertises what it selects.
    let v1_announced = bgp::v1_announced(catalog, &catalog.versions);
    // A tree without L2 policies or BGP advertisements announces some other way (or not at all).
    if announcers.is_empty() && !bgp::has_served_peering_policy(catalog, &catalog.versions) {
        return;
    }
    // What each announcer that announces LoadBalancer IPs selects; the others select nothing
    // that counts.
    let matched: Vec<Vec<ObjectId>> = selectors
        .iter()
        .map(|s| {
            if s.kind != SelectorKind::Pool && s.effective {
                s.matching(catalog)
            } else {
                Vec::new()
            }
        })
        .collect();
    let selects_nothing: Vec<bool> = matched.iter().map(Vec::is_empty).collect();
    // A BGP advertisement counts only when a peer's chain reaches it; the Services only
    // unreached ones select are listed by the BGP rule that reports the broken link.
    let chain = catalog.bgp();
    let reached = |s: &LbSelector| s.kind != SelectorKind::Bgp || chain.reached(s.owner);
    let mut announced: HashSet<ObjectId> = v1_announced;
    let mut unreached_only: HashSet<ObjectId> = HashSet::new();
    for (s, ids) in selectors.iter().zip(matched) {
        if reached(s) {
            announced.extend(ids);
        } else {
            unreached_only.extend(ids);
        }
    }
    let by_key = label_gaps::selectors_by_key(&selectors);
    // A Service no pool gives an address is service-ip-pool-missing's: the chain breaks there.
    let mut reported_elsewhere = service_ip_pool_missing::services_without_pool(catalog);
    // A Service only a broken L2 policy or an invalid selector would serve is those rules'.
    reported_elsewhere.extend(l2_policy_announces_nothing::left_out(catalog));
    reported_elsewhere.extend(l2_policy_interface_invalid::left_out(catalog));
    reported_elsewhere.extend(selector_invalid::left_out(catalog));
    for &id in catalog.of_kind("", "Service") {
        let svc = catalog.object(id);
        let Some(spec) = svc.service() else {
            continue;
        };
        if announced.contains(&id)
            || unreached_only.contains(&id)
            || !spec.is_cilium_load_balancer()
            || reported_elsewhere.contains(&id)
        {
            continue;
        }
        // A Gateway whose labels are not propagated is reported once, by that rule.
        if let Some(gw) = catalog.generator(id)
            && label_gaps::unpropagated_labels(catalog, &selectors, &by_key, gw).is_some()
        {
            continue;
        }
        let silent = lb::silent_announcers(&selectors, &selects_nothing, spec);
        let silent: Vec<&LbSelector> = silent.iter().map(|&i| &selectors[i]).collect();
        out.push(not_advertised(catalog, id, svc, &announcers, &silent));
    }
}

/// The announcer that comes closest to selecting the Service: the fewest failing terms, then the
/// most terms met; one that selects it but does not announce LoadBalancer IPs is the closest.
fn nearest_miss<'s>(
    catalog: &Catalog,
    svc: &Object,
    announcers: &[&'s LbSelector<'s>],
) -> Option<(&'s LbSelector<'s>, Vec<String>)> {
    let get = catalog.service_label(svc);
    let ((failing, _), s) = announcers
        .iter()
        .filter_map(|s| {
            if s.selects(catalog, svc) {
                return Some(((0, 0), *s));
            }
            let sel = s.selector?;
            let failing = sel.failing_terms(&get);
            let terms = sel.match_labels.len() + sel.match_expressions.len();
            // A selector failing only on the Service's class is no useful hint.
            (failing > 0).then(|| ((failing, terms - failing), *s))
        })
        // Among equals, one that announces LoadBalancer IPs (and that the agent accepts) once
        // it selects the Service.
        .min_by_key(|((failing, met), s)| {
            let works = s.effective
                && !matches!(&catalog.object(s.owner).spec,
                    crate::model::Spec::L2Policy(p) if stranded::refused(p));
            (*failing, !works, std::cmp::Reverse(*met))
        })?;
    // Terms are counted for every announcer but written out for the nearest only.
    let failures = match s.selector {
        Some(sel) if failing > 0 => sel.describe_failures(&get),
        _ => Vec::new(),
    };
    Some((s, failures))
}

fn not_advertised(
    catalog: &Catalog,
    id: ObjectId,
    svc: &Object,
    announcers: &[&LbSelector],
    silent: &[&LbSelector],
) -> Finding {
    let what = label_gaps::service_name(catalog, id, "LoadBalancer Service");
    let location = catalog
        .report_location(id)
        .expect("Services come from manifests or Gateways");
    let mut finding = Finding::new(
        &META,
        location,
        format!(
            "{what} is selected by no L2 announcement policy and no BGP advertisement, so its IP \
             is not reachable from outside the cluster"
        ),
    )
    .object(svc)
    .field("metadata.name")
    .label("not announced");
    let where_labels = label_gaps::where_labels(catalog, id);
    if !silent.is_empty() {
        return selects_nothing(catalog, finding, svc, silent, &where_labels);
    }
    // Selected on its labels by an announcer whose part of Cilium its class turns away.
    if let (Some(spec), Some(s)) = (
        svc.service(),
        announcers
            .iter()
            .find(|s| s.effective && s.selects_labels(catalog, svc)),
    ) && !s.kind.handles(spec)
    {
        let class = spec
            .load_balancer_class
            .as_ref()
            .map_or("", |c| c.value.as_str());
        let wanted = match s.kind {
            SelectorKind::L2 => "io.cilium/l2-announcer",
            _ => "io.cilium/bgp-control-plane",
        };
        let reserved = match class {
            "io.cilium/l2-announcer" => "L2 announcements",
            _ => "the BGP control plane",
        };
        let why = format!(
            "{} selects it, but its `loadBalancerClass: {class}` reserves it for {reserved}",
            s.describe(catalog)
        );
        return finding
            .help(format!(
                "{why}; set `loadBalancerClass: {wanted}`, or remove it (a class is fixed once the Service exists: recreate it)"
            ))
            .related(s.location, why);
    }
    match nearest_miss(catalog, svc, announcers) {
        Some((s, failures)) if failures.is_empty() => {
            let why = match s.kind {
                SelectorKind::L2 => "does not set `loadBalancerIPs: true`",
                _ => "does not list `LoadBalancerIP` in service.addresses",
            };
            finding = finding
                .help(format!(
                    "{} selects it but {why}; set it there",
                    s.describe(catalog)
                ))
                .related(
                    catalog.object(s.owner).name_location(),
                    format!("{} selects it but {why}", s.describe(catalog)),
                );
        }
        Some((s, failures)) => {
            finding = label_gaps::nearest_miss(finding, catalog, s, &failures, &where_labels);
        }
        None => {
            finding = finding.help(format!(
                "add a CiliumL2AnnouncementPolicy (with `loadBalancerIPs: true`) or a \
                 CiliumBGPAdvertisement selecting it, on labels in {where_labels}"
            ));
        }
    }
    finding
}

/// Every announcer that could announce the Service selects no Service at all: the cause is
/// their selectors, one fix for every Service they leave out, so the finding names them and
/// points there rather than asking for labels on each Service.
fn selects_nothing(
    catalog: &Catalog,
    finding: Finding,
    svc: &Object,
    silent: &[&LbSelector],
    where_labels: &str,
) -> Finding {
    let get = catalog.service_label(svc);
    let names: Vec<String> = silent.iter().map(|s| s.describe(catalog)).collect();
    let (who, verb) = match &names[..] {
        [one] => (
            format!("the only one that could announce it, {one}"),
            "selects",
        ),
        many => (
            format!(
                "the only ones that could announce it, {}",
                many.join(" and ")
            ),
            "select",
        ),
    };
    let mut finding = Finding {
        message: format!(
            "{}: {who}, {verb} no LoadBalancer Service at all",
            finding.message
        ),
        ..finding
    };
    let mut needs = Vec::new();
    for s in silent {
        let failures = s
            .selector
            .map(|sel| sel.describe_failures(&get))
            .unwrap_or_default();
        let note = if failures.is_empty() {
            "selects no LoadBalancer Service: this is the selector to fix".to_string()
        } else {
            let terms = failures.join(", ");
            needs.push(format!("{} needs {terms}", s.describe(catalog)));
            format!("selects no LoadBalancer Service (needs {terms}): this is the selector to fix")
        };
        finding = finding.related(s.location, note);
    }
    let mut help = format!(
        "fix the selector of {}: it matches no LoadBalancer Service, so every Service it is meant \
         for goes unannounced",
        names.join(" and ")
    );
    if !needs.is_empty() {
        help.push_str(&format!(
            "; as written, {} (to keep it, add that to {where_labels})",
            needs.join("; ")
        ));
    }
    finding.help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\n\
        metadata: {name: home}\nspec: {blocks: [{start: 192.168.1.240, stop: 192.168.1.250}]}\n";

    fn l2(name: &str, selector: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\n\
             metadata: {{name: {name}}}\n\
             spec: {{serviceSelector: {{matchLabels: {selector}}}, loadBalancerIPs: true}}\n"
        )
    }

    fn service(name: &str, labels: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: dns, \
             labels: {labels}}}\nspec: {{type: LoadBalancer, ports: [{{port: 53}}]}}\n"
        )
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn the_only_policy_selecting_nothing_is_named_as_the_cause() {
        let yaml = format!(
            "{POOL}{}{}",
            l2("home-lan", "{l2: enabled}"),
            service("pihole", "{l2-announce: \"true\"}")
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert!(
            f.message.ends_with(
                "the only one that could announce it, CiliumL2AnnouncementPolicy `home-lan`, \
                 selects no LoadBalancer Service at all"
            ),
            "{}",
            f.message
        );
        assert_eq!(f.related.len(), 1);
        assert!(f.related[0].message.contains("this is the selector to fix"));
        assert!(
            f.help
                .as_deref()
                .unwrap()
                .starts_with("fix the selector of")
        );
    }

    #[test]
    fn a_policy_that_selects_another_service_is_a_nearest_miss() {
        let yaml = format!(
            "{POOL}{}{}{}",
            l2("home-lan", "{l2: enabled}"),
            service("pihole", "{l2-announce: \"true\"}"),
            service("unifi", "{l2: enabled}")
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .ends_with("not reachable from outside the cluster"),
            "{}",
            found[0].message
        );
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("nearest miss")
        );
    }

    const BGP: &str = "---\napiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata: {name: bgp}\n\
        spec: {bgpInstances: [{name: home, localASN: 64513, peers: [{name: r, peerAddress: 10.0.0.1, \
        peerASN: 64512, peerConfigRef: {name: peer}}]}]}\n---\napiVersion: cilium.io/v2\n\
        kind: CiliumBGPPeerConfig\nmetadata: {name: peer}\n\
        spec: {families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}]}\n---\n\
        apiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\nmetadata: {name: ad, labels: {advertise: bgpp}}\n\
        spec: {advertisements: [{advertisementType: Service, service: {addresses: [LoadBalancerIP]}, \
        selector: {matchLabels: {l2-announce: \"true\"}}}]}\n";

    #[test]
    fn a_service_only_an_unreached_advertisement_selects_is_the_bgp_rules() {
        // The advertisement is unreached (its label misses the family selector): the BGP rule
        // lists the Service as stranded, this rule stays quiet.
        let yaml = format!(
            "{POOL}{BGP}{}",
            service("pihole", "{l2-announce: \"true\"}")
        );
        assert!(findings(&yaml).is_empty());
        // Reached, it announces the Service, and a Service it does not select is reported.
        let reached = BGP.replace("advertise: bgpp", "advertise: bgp");
        let yaml = format!(
            "{POOL}{reached}{}{}",
            service("pihole", "{l2-announce: \"true\"}"),
            service("unifi", "{}")
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("dns/unifi"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_v1_peering_policy_announces_while_served() {
        let policy = "---\napiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata: {name: rack0}\n\
            spec: {virtualRouters: [{localASN: 64512, serviceSelector: {matchLabels: {bgp: \"on\"}}, \
            neighbors: [{peerAddress: 10.0.0.1/32, peerASN: 64513}]}]}\n";
        let pin = "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: cilium, namespace: kube-system}\n\
            spec: {chart: {spec: {chart: cilium, version: 1.17.4, sourceRef: {kind: HelmRepository, name: cilium}}}}\n";
        let svcs = format!(
            "{}{}",
            service("pihole", "{bgp: \"on\"}"),
            service("unifi", "{}")
        );
        // Cilium 1.17 serves it: it announces pihole, not unifi.
        let found = findings(&format!("{POOL}{policy}{pin}{svcs}"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("dns/unifi"));
        // The assumed current release no longer serves it: cilium-api-version-unserved's.
        assert!(findings(&format!("{POOL}{policy}{svcs}")).is_empty());
    }
}
