//! selector-invalid: a label selector of a Cilium load-balancer object that Kubernetes'
//! `LabelSelectorAsSelector` refuses (`In`/`NotIn` without values, `Exists`/`DoesNotExist` with
//! values, an unknown operator, a key or value that is not a label key or value). The
//! controller cannot build it: an L2 policy is refused, a pool breaks LB-IPAM's allocation, a
//! BGP advertisement breaks the service reconciler. One finding per selector, at its first
//! problem, with the Services it was meant for.
//!
//! The selectors checked are listed in [`sites`]: add a site there to check another field.

use std::collections::HashSet;

use super::{Category, Facts, Rule, RuleMeta, stranded};
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::selector::{LabelSelector, ProblemKind, SelectorProblem};
use crate::model::{ObjectId, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "selector-invalid",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "a label selector of an IP pool, L2 announcement policy or BGP advertisement is one \
              Kubernetes refuses, so Cilium cannot use it",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// What a selector selects, and so what its controller does when it cannot build it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// `CiliumLoadBalancerIPPool.spec.serviceSelector`.
    PoolServices,
    /// `CiliumL2AnnouncementPolicy.spec.serviceSelector`.
    L2Services,
    /// `CiliumL2AnnouncementPolicy.spec.nodeSelector`.
    L2Nodes,
    /// `CiliumBGPAdvertisement.spec.advertisements[].selector` of a Service entry.
    BgpServices,
    /// `CiliumBGPClusterConfig.spec.nodeSelector`.
    BgpNodes,
    /// `CiliumBGPPeerConfig.spec.families[].advertisements`.
    BgpFamily,
    /// `CiliumBGPPeeringPolicy` (v1) `spec.nodeSelector` and its virtual routers'
    /// `serviceSelector`.
    PeeringPolicy,
}

/// One selector a Cilium controller builds with `LabelSelectorAsSelector`.
struct Site<'c> {
    owner: ObjectId,
    /// The field, for the message: `spec.serviceSelector`, `spec.advertisements[1].selector`.
    field: String,
    selector: &'c LabelSelector,
    role: Role,
    /// The Service selector of the same object, when `role` selects something else (an L2
    /// policy's nodeSelector refuses the whole policy, and so every Service it selects).
    services: Option<&'c LbSelector<'c>>,
}

/// Every selector checked: add a field here to check it.
fn sites<'c>(catalog: &'c Catalog, selectors: &'c [LbSelector<'c>]) -> Vec<Site<'c>> {
    let mut out = Vec::new();
    for s in selectors {
        let Some(selector) = s.selector else { continue };
        let (role, field) = match s.kind {
            SelectorKind::Pool => (Role::PoolServices, "spec.serviceSelector".to_string()),
            SelectorKind::L2 => (Role::L2Services, "spec.serviceSelector".to_string()),
            SelectorKind::Bgp => (
                Role::BgpServices,
                format!("spec.advertisements[{}].selector", s.entry - 1),
            ),
        };
        out.push(Site {
            owner: s.owner,
            field,
            selector,
            role,
            services: None,
        });
    }
    let site = |owner: ObjectId, field: String, selector: &'c LabelSelector, role: Role| Site {
        owner,
        field,
        selector,
        role,
        services: None,
    };
    for &id in catalog.of_kind("cilium.io", "CiliumBGPClusterConfig") {
        if let Spec::BgpClusterConfig(c) = &catalog.object(id).spec
            && let Some(nodes) = &c.node_selector
        {
            out.push(site(id, "spec.nodeSelector".into(), nodes, Role::BgpNodes));
        }
    }
    for &id in catalog.of_kind("cilium.io", "CiliumBGPPeerConfig") {
        if let Spec::BgpPeerConfig(c) = &catalog.object(id).spec {
            for (i, f) in c.families.iter().enumerate() {
                if let Some(ads) = &f.advertisements {
                    let field = format!("spec.families[{i}].advertisements");
                    out.push(site(id, field, ads, Role::BgpFamily));
                }
            }
        }
    }
    for &id in catalog.of_kind("cilium.io", "CiliumBGPPeeringPolicy") {
        if let Spec::BgpPeeringPolicy(p) = &catalog.object(id).spec {
            if let Some(nodes) = &p.node_selector {
                out.push(site(
                    id,
                    "spec.nodeSelector".into(),
                    nodes,
                    Role::PeeringPolicy,
                ));
            }
            for (i, r) in p.virtual_routers.iter().enumerate() {
                if let Some(services) = &r.service_selector {
                    let field = format!("spec.virtualRouters[{i}].serviceSelector");
                    out.push(site(id, field, services, Role::PeeringPolicy));
                }
            }
        }
    }
    for s in selectors.iter().filter(|s| s.kind == SelectorKind::L2) {
        if let Spec::L2Policy(p) = &catalog.object(s.owner).spec
            && let Some(nodes) = &p.node_selector
        {
            out.push(Site {
                owner: s.owner,
                field: "spec.nodeSelector".to_string(),
                selector: nodes,
                role: Role::L2Nodes,
                services: Some(s),
            });
        }
    }
    out
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let selectors = lb::selectors(catalog);
    // A v1 policy the release no longer serves is cilium-api-version-unserved's.
    let v1_served = crate::analysis::bgp::has_served_peering_policy(catalog, &catalog.versions);
    let broken: Vec<Site> = sites(catalog, &selectors)
        .into_iter()
        .filter(|s| s.selector.invalid && !catalog.object(s.owner).unverifiable)
        .filter(|s| s.role != Role::PeeringPolicy || v1_served)
        .collect();
    if broken.is_empty() {
        return;
    }
    let announced = stranded::announced(catalog, &selectors);
    for site in &broken {
        let left = if stranded::conflated(catalog) {
            Vec::new()
        } else {
            left_by(catalog, &selectors, &announced, site)
        };
        out.extend(invalid(catalog, site, &left));
    }
}

/// The LoadBalancer Services an invalid selector leaves without an address or an announcer:
/// those its valid terms select (what it was meant to select) that nothing else serves.
fn left_by(
    catalog: &Catalog,
    selectors: &[LbSelector],
    announced: &std::collections::HashMap<ObjectId, Vec<ObjectId>>,
    site: &Site,
) -> Vec<ObjectId> {
    let meant = match (site.role, site.services) {
        (Role::L2Nodes, Some(services)) if services.effective => match services.selector {
            Some(s) if s.invalid => s
                .intended()
                .map(|i| catalog.cilium_services_matching(Some(&i))),
            _ => Some(services.matching(catalog)),
        },
        (Role::L2Nodes, _) | (Role::BgpNodes | Role::BgpFamily | Role::PeeringPolicy, _) => None,
        _ => site
            .selector
            .intended()
            .map(|i| catalog.cilium_services_matching(Some(&i))),
    };
    let Some(meant) = meant else {
        return Vec::new();
    };
    let handled: Vec<ObjectId> = meant
        .into_iter()
        .filter(|&id| {
            let svc = catalog.object(id).service();
            svc.is_some_and(|s| match site.role {
                Role::PoolServices => true,
                Role::L2Services | Role::L2Nodes => SelectorKind::L2.handles(s),
                Role::BgpServices | Role::BgpNodes | Role::BgpFamily | Role::PeeringPolicy => {
                    SelectorKind::Bgp.handles(s)
                }
            })
        })
        .collect();
    match site.role {
        Role::PoolServices => stranded::unallocated(catalog, selectors, site.owner, handled),
        _ => stranded::unannounced(announced, site.owner, handled),
    }
}

/// The Services invalid selectors leave out: service-not-advertised says nothing about them.
pub(super) fn left_out(catalog: &Facts<'_>) -> HashSet<ObjectId> {
    let selectors = lb::selectors(catalog);
    let broken: Vec<Site> = sites(catalog, &selectors)
        .into_iter()
        .filter(|s| s.selector.invalid)
        .collect();
    if broken.is_empty() {
        return HashSet::new();
    }
    let announced = stranded::announced(catalog, &selectors);
    broken
        .iter()
        .flat_map(|s| left_by(catalog, &selectors, &announced, s))
        .collect()
}

/// The problem in words, as `LabelSelectorAsSelector` reports it.
fn describe(problem: &SelectorProblem) -> String {
    match &problem.kind {
        ProblemKind::NoValues(op) => {
            format!("`{op}` needs at least one value (\"values set can't be empty\")")
        }
        ProblemKind::UnexpectedValues(op) => {
            format!("`{op}` takes no values (\"values set must be empty\")")
        }
        ProblemKind::UnknownOperator(op) if op.is_empty() => {
            "a matchExpressions item has no operator (In, NotIn, Exists or DoesNotExist)".into()
        }
        ProblemKind::UnknownOperator(op) => format!(
            "`{op}` is not a selector operator (In, NotIn, Exists or DoesNotExist); the CRD \
             schema refuses it, so `kubectl apply` fails"
        ),
        ProblemKind::InvalidKey(key, why) => format!("`{key}` is not a valid label key: {why}"),
        ProblemKind::InvalidValue(value, why) => {
            format!("`{value}` is not a valid label value: {why}")
        }
    }
}

/// What the controller does with the selector it cannot build.
fn consequence(catalog: &Catalog, site: &Site) -> (String, Option<&'static str>) {
    let name = &catalog.object(site.owner).name;
    match site.role {
        Role::PoolServices => (
            format!(
                "LB-IPAM fails with \"making selector from pool '{name}' label selector\" whenever \
                 it walks this pool's ranges, so a Service whose allocation reaches them gets no \
                 address"
            ),
            None,
        ),
        Role::L2Services => (
            "the agent refuses the policy, which announces nothing".into(),
            Some("io.cilium/bad-service-selector=True/error"),
        ),
        Role::L2Nodes => (
            "the agent refuses the policy on every node, so it announces nothing".into(),
            Some("io.cilium/bad-node-selector=True/error"),
        ),
        Role::BgpServices => (
            "the BGP agent's service reconciliation fails with \"labelSelectorAsSelector\" and \
             retries, so the Services it selects are not advertised"
                .into(),
            None,
        ),
        Role::BgpNodes => (
            "the BGP control plane cannot tell which nodes this ClusterConfig applies to, so its \
             BGP instances and peers come up on none"
                .into(),
            None,
        ),
        Role::BgpFamily => (
            "the BGP agent cannot tell which CiliumBGPAdvertisements this family exports, so it \
             exports none"
                .into(),
            None,
        ),
        Role::PeeringPolicy => (
            "the BGP agent cannot build the policy's selector, so the policy does not take \
             effect"
                .into(),
            None,
        ),
    }
}

fn invalid(catalog: &Catalog, site: &Site, left: &[ObjectId]) -> Option<Finding> {
    let owner = catalog.object(site.owner);
    let first = site.selector.problems.first()?;
    let file = owner.location?.file;
    let (consequence, condition) = consequence(catalog, site);
    let other = match site.role {
        Role::PoolServices => "pool",
        _ => "announcer",
    };
    let strands = stranded::clause(catalog, left, "meant for it", other);
    let mut finding = Finding::new(
        &META,
        Location {
            file,
            span: first.span,
        },
        format!(
            "{} {} has an invalid {}: {}; {consequence}{strands}",
            owner.kind,
            owner.name,
            site.field,
            describe(first)
        ),
    )
    .object(owner)
    .field(site.field.clone())
    .label("invalid selector")
    .help(help(first));
    if let Some(condition) = condition {
        finding = finding.condition(condition);
    }
    for p in &site.selector.problems[1..] {
        finding = finding.related(Some(Location { file, span: p.span }), describe(p));
    }
    let note = match site.role {
        Role::PoolServices => "meant for this pool, which gives it no address",
        Role::BgpServices => "meant for this advertisement, which does not advertise it",
        _ => "meant for this policy, which does not announce it",
    };
    Some(stranded::relate(finding, catalog, left, note))
}

fn help(problem: &SelectorProblem) -> String {
    match &problem.kind {
        ProblemKind::NoValues(op) => format!(
            "give `{op}` the values to test (to select every Service, drop the selector, or use \
             `NotIn` with a value no Service carries)"
        ),
        ProblemKind::UnexpectedValues(op) => format!(
            "remove `values` from the `{op}` expression, or use `In`/`NotIn` to test values"
        ),
        ProblemKind::UnknownOperator(_) => {
            "use one of In, NotIn, Exists, DoesNotExist (case-sensitive)".into()
        }
        ProblemKind::InvalidKey(..) => "write the key as `[prefix/]name`: the prefix a lowercase \
             DNS subdomain, the name at most 63 alphanumerics, `-`, `_` or `.`, beginning and \
             ending alphanumeric"
            .into(),
        ProblemKind::InvalidValue(..) => "a label value is empty or at most 63 alphanumerics, \
             `-`, `_` or `.`, beginning and ending alphanumeric; quote values such as `\"true\"`"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    const SERVICE: &str = "---\napiVersion: v1\nkind: Service\n\
        metadata: {name: pihole, namespace: dns, labels: {lb: l2}}\nspec: {type: LoadBalancer}\n";

    fn l2(spec: &str) -> String {
        format!(
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\n\
             metadata: {{name: lan}}\nspec:\n  loadBalancerIPs: true\n{spec}"
        )
    }

    #[test]
    fn in_without_values_strands_what_the_other_terms_select() {
        let yaml = format!(
            "{}{SERVICE}",
            l2(
                "  serviceSelector:\n    matchLabels: {lb: l2}\n    matchExpressions:\n    \
                - {key: tier, operator: In}\n"
            )
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert!(
            f.message.contains("`In` needs at least one value"),
            "{}",
            f.message
        );
        assert_eq!(
            f.condition.as_deref(),
            Some("io.cilium/bad-service-selector=True/error")
        );
        assert_eq!(f.related.len(), 1);
    }

    #[test]
    fn node_selector_and_every_kind_of_problem() {
        let yaml = l2(
            "  nodeSelector:\n    matchLabels: {\"bad key!\": x, ok: \"-no-\"}\n    \
             matchExpressions:\n    - {key: a, operator: Exists, values: [x]}\n    \
             - {key: b, operator: in, values: [x]}\n",
        );
        let found = findings(&format!("{yaml}{SERVICE}"));
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(
            f.condition.as_deref(),
            Some("io.cilium/bad-node-selector=True/error")
        );
        // Four problems: one in the message, three related, then the stranded Service.
        assert_eq!(f.related.len(), 4, "{:?}", f.related);
    }

    #[test]
    fn the_select_all_trick_and_placeholders_are_valid() {
        let yaml = format!(
            "{}{SERVICE}",
            l2("  serviceSelector:\n    matchExpressions:\n    \
                - {key: somekey, operator: NotIn, values: [never-used-value]}\n  \
                nodeSelector:\n    matchLabels: {kubernetes.io/os: linux, zone: \"${ZONE}\"}\n")
        );
        assert!(findings(&yaml).is_empty());
    }

    #[test]
    fn bgp_cluster_and_peer_config_selectors_are_checked_once() {
        let yaml = "apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\nmetadata: {name: main}\n\
            spec:\n  nodeSelector: {matchExpressions: [{key: bgp, operator: Exists, values: [on]}]}\n  \
            bgpInstances:\n  - name: home\n    localASN: 64513\n    peers:\n    - name: router\n      \
            peerAddress: 192.168.1.1\n      peerASN: 64512\n      peerConfigRef: {name: router}\n\
            ---\napiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {name: router}\n\
            spec:\n  families:\n  - afi: ipv4\n    safi: unicast\n    advertisements:\n      \
            matchExpressions: [{key: advertise, operator: In, values: []}]\n\
            ---\napiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\n\
            metadata: {name: lb, labels: {advertise: lb}}\nspec:\n  advertisements:\n  \
            - advertisementType: Service\n    service: {addresses: [LoadBalancerIP]}\n    \
            selector: {matchExpressions: [{key: x, operator: NotIn, values: [never]}]}\n";
        let fields: Vec<String> = findings(yaml)
            .into_iter()
            .map(|f| f.field.unwrap_or_default())
            .collect();
        assert_eq!(
            fields,
            ["spec.nodeSelector", "spec.families[0].advertisements"]
        );
        // The chain takes the refused family selector as meant: the BGP rules stay quiet.
        let catalog = Catalog::of_yaml(yaml, "default");
        let facts = Facts::new(&catalog);
        let mut out = Vec::new();
        for rule in crate::rules::RULES {
            if rule.meta.id.starts_with("bgp-") {
                (rule.check)(&facts, &mut out);
            }
        }
        assert!(out.is_empty(), "{out:?}");
    }
}
