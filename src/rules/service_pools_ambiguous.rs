//! service-pools-ambiguous: a LoadBalancer Service that two or more enabled LB-IPAM pools of a
//! common address family select. Pools have no priority and Cilium keeps them in a Go map, so
//! which one gives the address is undefined (semantics.md §2, "Several pools match a Service").
//! One finding per pair of pools, naming the Services both select.

use std::collections::BTreeMap;

use super::service_ip_pool_missing::{knowable, uncertain_pool};
use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::Catalog;
use crate::diagnostic::{Finding, Severity};
use crate::model::cilium::LB_IPAM_IPS_ANNOTATIONS;
use crate::model::{ObjectId, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "service-pools-ambiguous",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "two LB-IPAM pools select the same LoadBalancer Service, so which one gives its \
              address is undefined",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// The address families a pool's readable blocks hold: (IPv4, IPv6).
fn families(catalog: &Catalog, id: ObjectId) -> (bool, bool) {
    let Spec::LbIpPool(pool) = &catalog.object(id).spec else {
        return (false, false);
    };
    pool.blocks
        .iter()
        .filter_map(|b| b.parsed())
        .fold((false, false), |(v4, v6), b| {
            let ipv4 = b.bounds().0.is_ipv4();
            (v4 || ipv4, v6 || !ipv4)
        })
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let selectors = lb::selectors(catalog);
    // Enabled pools cilint can read, in file order, with their families.
    let mut pools: Vec<(&LbSelector, (bool, bool), Location)> = selectors
        .iter()
        .filter(|s| s.kind == SelectorKind::Pool && s.effective)
        .filter(|s| !uncertain_pool(catalog, s.owner))
        .filter_map(|s| {
            let at = catalog.object(s.owner).location?;
            Some((s, families(catalog, s.owner), at))
        })
        .collect();
    if pools.len() < 2 {
        return;
    }
    pools.sort_by_key(|(_, _, at)| *at);
    // For each Service, the pools that select it; pools are few, Services many.
    let mut by_service: BTreeMap<ObjectId, Vec<usize>> = BTreeMap::new();
    for (i, (pool, _, _)) in pools.iter().enumerate() {
        for id in pool.matching(catalog) {
            by_service.entry(id).or_default().push(i);
        }
    }
    let mut pairs: BTreeMap<(usize, usize), Vec<ObjectId>> = BTreeMap::new();
    for (id, selecting) in by_service {
        if selecting.len() < 2 || !knowable(catalog, id) || requests_addresses(catalog, id) {
            continue;
        }
        for (n, &a) in selecting.iter().enumerate() {
            for &b in &selecting[n + 1..] {
                let (fa, fb) = (pools[a].1, pools[b].1);
                let same_name =
                    catalog.object(pools[a].0.owner).name == catalog.object(pools[b].0.owner).name;
                // Pools of different families serve different requests of the Service.
                if same_name || !((fa.0 && fb.0) || (fa.1 && fb.1)) {
                    continue;
                }
                pairs.entry((a.min(b), a.max(b))).or_default().push(id);
            }
        }
    }
    for ((earlier, later), services) in pairs {
        out.extend(ambiguous(
            catalog,
            pools[earlier].0,
            pools[later].0,
            &services,
        ));
    }
}

/// A Service that asks for specific addresses gets them from the pool that holds them.
fn requests_addresses(catalog: &Catalog, id: ObjectId) -> bool {
    let svc = catalog.object(id);
    let asks = |o: &crate::model::Object| {
        o.annotations
            .iter()
            .any(|(k, _)| LB_IPAM_IPS_ANNOTATIONS.contains(&k.as_str()))
    };
    svc.service().is_some_and(|s| !s.requested_ips.is_empty())
        || asks(svc)
        || catalog
            .generator(id)
            .and_then(|gw| catalog.object(gw).gateway())
            .is_some_and(|g| !g.requested_ips.is_empty())
}

fn ambiguous(
    catalog: &Catalog,
    earlier: &LbSelector,
    later: &LbSelector,
    services: &[ObjectId],
) -> Option<Finding> {
    let (first, second) = (catalog.object(earlier.owner), catalog.object(later.owner));
    let names: Vec<String> = services
        .iter()
        .map(|&id| catalog.object(id).qualified_name())
        .collect();
    let which = match &names[..] {
        [one] => format!("Service {one}"),
        [one, rest @ ..] => format!("Service {one} and {} more", rest.len()),
        [] => return None,
    };
    let catch_all = [earlier, later]
        .into_iter()
        .find(|s| s.selector.is_none())
        .map(|s| catalog.object(s.owner).name);
    let help = match catch_all {
        Some(all) => format!(
            "pool {all} has no serviceSelector and takes every Service: give it one that leaves \
             out the Services the other pool is for (e.g. a `NotIn` matchExpression), or give \
             those Services the address they need with `lbipam.cilium.io/ips`"
        ),
        None => "make the two selectors disjoint, so each Service has one pool, or pin the \
                 address with `lbipam.cilium.io/ips`"
            .to_string(),
    };
    let mut finding = Finding::new(
        &META,
        later.location.or(second.name_location())?,
        format!(
            "CiliumLoadBalancerIPPool {} and {} both select {which}: pools have no priority, so \
             which of them gives the address is undefined and may change when the operator \
             restarts",
            second.name, first.name
        ),
    )
    .object(second)
    .field("spec.serviceSelector")
    .label("selects what another pool selects")
    .help(help)
    .related(
        earlier.location.or(first.name_location()),
        format!("CiliumLoadBalancerIPPool {} selects the same", first.name),
    );
    for &id in services {
        finding = finding.related(
            catalog.report_location(id),
            format!(
                "Service {} is selected by both pools",
                catalog.object(id).qualified_name()
            ),
        );
    }
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(name: &str, cidr: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n\
             metadata: {{name: {name}}}\nspec: {{blocks: [{{cidr: \"{cidr}\"}}]{spec}}}\n"
        )
    }

    fn service(name: &str, labels: &str, annotations: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: apps, \
             labels: {labels}, annotations: {annotations}}}\nspec: {{type: LoadBalancer}}\n"
        )
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn a_catch_all_beside_a_selective_pool_is_one_finding_per_pair() {
        let yaml = format!(
            "{}{}{}{}{}",
            pool("all", "10.0.0.0/24", ""),
            pool(
                "dns",
                "10.0.1.0/28",
                ", serviceSelector: {matchLabels: {pool: dns}}"
            ),
            service("a", "{pool: dns}", "{}"),
            service("b", "{pool: dns}", "{}"),
            service("c", "{}", "{}"),
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.starts_with(
                "CiliumLoadBalancerIPPool dns and all both select Service apps/a and 1 more"
            ),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].related.len(), 3);
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("pool all has no")
        );
    }

    #[test]
    fn other_families_requested_addresses_and_disabled_pools_are_quiet() {
        let yaml = format!(
            "{}{}{}{}",
            pool("v4", "10.0.0.0/24", ""),
            pool("v6", "fd00::/120", ""),
            pool("old", "10.9.0.0/24", ", disabled: true"),
            service("a", "{}", "{}"),
        );
        assert!(findings(&yaml).is_empty());
        let pinned = format!(
            "{}{}{}",
            pool("all", "10.0.0.0/24", ""),
            pool("more", "10.0.1.0/24", ""),
            service("a", "{}", "{lbipam.cilium.io/ips: \"${DNS_IP}\"}"),
        );
        assert!(findings(&pinned).is_empty());
    }
}
