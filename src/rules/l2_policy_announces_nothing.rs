//! l2-policy-announces-nothing: a `CiliumL2AnnouncementPolicy` with neither
//! `loadBalancerIPs: true` nor `externalIPs: true`. Both default to false, and the agent
//! announces only the addresses a set flag names, so the policy takes leases and answers no ARP
//! (semantics.md §3; cilium/cilium `pkg/l2announcer/l2announcer.go` `desiredEntries`).

use std::collections::HashSet;

use super::{Category, Facts, Rule, RuleMeta, stranded};
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::{ObjectId, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "l2-policy-announces-nothing",
    severity: Severity::Error,
    category: Category::Cilium,
    summary: "an L2 announcement policy sets neither loadBalancerIPs nor externalIPs, so it \
              announces nothing",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let selectors = lb::selectors(catalog);
    let mut announced = None;
    for s in silent_policies(catalog, &selectors) {
        let announced = announced.get_or_insert_with(|| stranded::announced(catalog, &selectors));
        let left = if stranded::conflated(catalog) {
            Vec::new()
        } else {
            stranded::unannounced(announced, s.owner, s.matching(catalog))
        };
        out.extend(announces_nothing(catalog, s.owner, &left));
    }
}

/// The L2 policies this rule reports: both flags false, nothing unknown about them.
fn silent_policies<'s>(
    catalog: &Catalog,
    selectors: &'s [LbSelector<'s>],
) -> impl Iterator<Item = &'s LbSelector<'s>> {
    selectors.iter().filter(move |s| {
        let o = catalog.object(s.owner);
        s.kind == SelectorKind::L2
            && !o.unverifiable
            && matches!(&o.spec, Spec::L2Policy(p)
                if !p.load_balancer_ips && !p.external_ips && !p.flags_unknown)
    })
}

/// The LoadBalancer Services that only such a policy selects: this rule's, so
/// service-not-advertised says nothing about them.
pub(super) fn left_out(catalog: &Facts<'_>) -> HashSet<ObjectId> {
    let selectors = lb::selectors(catalog);
    let mut silent = silent_policies(catalog, &selectors).peekable();
    if silent.peek().is_none() {
        return HashSet::new();
    }
    let announced = stranded::announced(catalog, &selectors);
    silent
        .flat_map(|s| stranded::unannounced(&announced, s.owner, s.matching(catalog)))
        .collect()
}

fn announces_nothing(catalog: &Catalog, owner: ObjectId, left: &[ObjectId]) -> Option<Finding> {
    let policy = catalog.object(owner);
    let Spec::L2Policy(p) = &policy.spec else {
        return None;
    };
    let location = match (policy.location, p.spec_span) {
        (Some(l), Some(span)) => Location { file: l.file, span },
        _ => policy.name_location()?,
    };
    let strands = stranded::clause(catalog, left, "it selects", "announcer");
    let finding = Finding::new(
        &META,
        location,
        format!(
            "CiliumL2AnnouncementPolicy {} sets neither `loadBalancerIPs: true` nor \
             `externalIPs: true` (both default to false), so it answers ARP for no address{strands}",
            policy.name
        ),
    )
    .object(policy)
    .field("spec")
    .label("announces nothing")
    .help(
        "add `loadBalancerIPs: true` to announce the LoadBalancer IPs of the Services it \
         selects (and/or `externalIPs: true` for their spec.externalIPs)",
    );
    Some(stranded::relate(
        finding,
        catalog,
        left,
        "selected by this policy only: its LoadBalancer IP is not announced",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\n\
             metadata: {{name: {name}}}\nspec: {spec}\n"
        )
    }

    const SERVICES: &str = "---\napiVersion: v1\nkind: Service\nmetadata: {name: pihole, namespace: dns}\n\
        spec: {type: LoadBalancer}\n---\napiVersion: v1\nkind: Service\n\
        metadata: {name: web, namespace: apps, labels: {l2: bgp-only}}\nspec: {type: LoadBalancer}\n";

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn a_policy_with_neither_flag_strands_what_it_selects() {
        let yaml = format!(
            "{}{SERVICES}",
            policy("lan", "{interfaces: [\"^eth[0-9]+\"]}")
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .ends_with("2 LoadBalancer Services it selects have no other announcer"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].related.len(), 2);
    }

    #[test]
    fn another_announcer_takes_the_service_off_the_list() {
        let yaml = format!(
            "{}{}{SERVICES}",
            policy(
                "lan",
                "{serviceSelector: {matchLabels: {io.kubernetes.service.namespace: dns}}}"
            ),
            policy(
                "all",
                "{loadBalancerIPs: true, serviceSelector: {matchLabels: {l2: bgp-only}}}"
            ),
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].related.len(), 1);
        assert!(
            found[0]
                .message
                .ends_with("LoadBalancer Service dns/pihole it selects has no other announcer")
        );
    }

    #[test]
    fn either_flag_or_a_placeholder_is_quiet() {
        for spec in [
            "{loadBalancerIPs: true}",
            "{externalIPs: true}",
            "{loadBalancerIPs: \"${L2_LB}\"}",
        ] {
            assert!(
                findings(&format!("{}{SERVICES}", policy("p", spec))).is_empty(),
                "{spec}"
            );
        }
        // No spec at all: reported at the name.
        let bare = "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata: {name: p}\n";
        assert_eq!(findings(bare).len(), 1);
    }
}
