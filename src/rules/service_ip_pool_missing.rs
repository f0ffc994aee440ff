//! service-ip-pool-missing: a LoadBalancer Service LB-IPAM handles that no enabled
//! `CiliumLoadBalancerIPPool` selects, in a tree that has pools: it stays `<pending>`
//! (`cilium.io/IPAMRequestSatisfied=False/no_pool`, semantics.md §2). When only `disabled: true`
//! pools select it, the cause is that pool: one finding there, naming the Services it strands.

use std::collections::{BTreeMap, HashSet};

use super::{Category, Facts, Rule, RuleMeta, label_gaps};
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::{Catalog, SERVICE_NAMESPACE_KEY, placeholder};
use crate::diagnostic::{Finding, Severity};
use crate::model::{Object, ObjectId};

pub static META: RuleMeta = RuleMeta {
    id: "service-ip-pool-missing",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "a LoadBalancer Service Cilium handles is selected by no enabled LB-IPAM pool, so \
              it never gets an address",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "cilium.io/IPAMRequestSatisfied=False/no_pool";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    if !applies(catalog) {
        return;
    }
    let selectors = lb::selectors(catalog);
    let pools: Vec<&LbSelector> = selectors
        .iter()
        .filter(|s| s.kind == SelectorKind::Pool)
        .collect();
    let found = unallocated(catalog, &selectors, &pools);
    let mut stranded: BTreeMap<usize, Vec<ObjectId>> = BTreeMap::new();
    for &(id, disabled_pool) in &found.services {
        match disabled_pool {
            Some(pool) => stranded.entry(pool).or_default().push(id),
            None => out.push(no_pool(catalog, id, catalog.object(id), &pools)),
        }
    }
    for (pool, services) in stranded {
        out.extend(only_disabled(catalog, found.disabled[pool].0, &services));
    }
}

/// Whether the tree decides which Services get addresses: it has pools, all of them readable.
/// Without one, addresses come from elsewhere (a chart, MetalLB, a cloud), and LB-IPAM stays
/// dormant; a pool cilint cannot fully read may select anything.
fn applies(catalog: &Catalog) -> bool {
    let pool_ids = catalog.of_kind("cilium.io", "CiliumLoadBalancerIPPool");
    !pool_ids.is_empty() && !pool_ids.iter().any(|&id| uncertain_pool(catalog, id))
}

/// The LoadBalancer Services this rule reports: no enabled pool gives them an address. The
/// later links of the chain (service-not-advertised) say nothing about them: one root cause.
pub(super) fn services_without_pool(catalog: &Facts<'_>) -> HashSet<ObjectId> {
    if !applies(catalog) {
        return HashSet::new();
    }
    let selectors = lb::selectors(catalog);
    let pools: Vec<&LbSelector> = selectors
        .iter()
        .filter(|s| s.kind == SelectorKind::Pool)
        .collect();
    unallocated(catalog, &selectors, &pools)
        .services
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The Services no enabled pool selects, in Catalog order, each with the disabled pool that
/// would select it (its index in `disabled`), if any.
struct Unallocated<'s> {
    services: Vec<(ObjectId, Option<usize>)>,
    disabled: Vec<(&'s LbSelector<'s>, HashSet<ObjectId>)>,
}

fn unallocated<'s>(
    catalog: &Facts<'_>,
    selectors: &'s [LbSelector<'s>],
    pools: &[&'s LbSelector<'s>],
) -> Unallocated<'s> {
    let selected: HashSet<ObjectId> = pools
        .iter()
        .filter(|p| p.effective)
        .flat_map(|p| p.matching(catalog))
        .collect();
    // What each disabled pool would select, computed only once a Service is left over.
    let mut disabled: Option<Vec<(&LbSelector, HashSet<ObjectId>)>> = None;
    let mut services = Vec::new();
    let by_key = label_gaps::selectors_by_key(selectors);
    for &id in catalog.of_kind("", "Service") {
        let svc = catalog.object(id);
        let Some(spec) = svc.service() else {
            continue;
        };
        if selected.contains(&id) || !spec.is_cilium_load_balancer() || !knowable(catalog, id) {
            continue;
        }
        if svc.namespace_defaulted && misses_only_on_namespace(catalog, svc, pools) {
            continue;
        }
        // A Service asking for specific addresses is service-ip-not-in-pool's: the pool that
        // holds the address decides (`no_pool` or `pool_selector_mismatch` there).
        if !spec.requested_ips.is_empty() {
            continue;
        }
        // A Gateway whose labels are not propagated is reported once, by that rule.
        if let Some(gw) = catalog.generator(id)
            && label_gaps::unpropagated_labels(catalog, selectors, &by_key, gw).is_some()
        {
            continue;
        }
        let disabled = disabled.get_or_insert_with(|| {
            pools
                .iter()
                .filter(|p| !p.effective)
                .map(|p| (*p, p.matching(catalog).into_iter().collect()))
                .collect()
        });
        services.push((id, disabled.iter().position(|(_, ids)| ids.contains(&id))));
    }
    Unallocated {
        services,
        disabled: disabled.unwrap_or_default(),
    }
}

/// A pool a patch cilint cannot apply may change, or whose selector holds a placeholder.
pub(super) fn uncertain_pool(catalog: &Catalog, id: ObjectId) -> bool {
    let pool = catalog.object(id);
    if pool.unverifiable {
        return true;
    }
    let crate::model::Spec::LbIpPool(spec) = &pool.spec else {
        return false;
    };
    spec.service_selector.as_ref().is_some_and(|s| {
        if s.invalid {
            return true;
        }
        let labels = s
            .match_labels
            .iter()
            .map(|t| (t.key.as_str(), Some(t.value.as_str())));
        let exprs = s.match_expressions.iter().flat_map(|r| {
            std::iter::once((r.key.as_str(), None))
                .chain(r.values.iter().map(|v| (r.key.as_str(), Some(v.as_str()))))
        });
        labels
            .chain(exprs)
            .any(|(k, v)| placeholder(k).is_some() || v.is_some_and(|v| placeholder(v).is_some()))
    })
}

/// Whether cilint knows the Service's labels, name and namespace: not one a patch may change,
/// one an operator makes, or one whose labels or place hold a placeholder.
pub(super) fn knowable(catalog: &Catalog, id: ObjectId) -> bool {
    let svc = catalog.object(id);
    if svc.unverifiable || catalog.ports_unknown(id) {
        return false;
    }
    let texts = [Some(svc.name.as_str()), svc.namespace.as_deref()];
    let labels = svc
        .labels
        .iter()
        .flat_map(|l| [l.key.as_str(), l.value.as_str()]);
    !texts
        .into_iter()
        .flatten()
        .chain(labels)
        .any(|t| placeholder(t).is_some())
}

/// Whether an enabled pool fails the Service only on `io.kubernetes.service.namespace`, while
/// the Service has no `metadata.namespace`: it lands wherever it is applied (`kubectl apply -n`),
/// so whether the pool takes it is not known.
fn misses_only_on_namespace(catalog: &Catalog, svc: &Object, pools: &[&LbSelector]) -> bool {
    let get = catalog.service_label(svc);
    pools.iter().filter(|p| p.effective).any(|p| {
        p.selector.is_some_and(|sel| {
            let failures = sel.describe_failures(&get);
            !failures.is_empty() && failures.iter().all(|f| f.contains(SERVICE_NAMESPACE_KEY))
        })
    })
}

/// The enabled pool whose selector fails the fewest terms for the Service, with the terms.
fn nearest_miss<'s>(
    catalog: &Catalog,
    svc: &Object,
    pools: &[&'s LbSelector<'s>],
) -> Option<(&'s LbSelector<'s>, Vec<String>)> {
    let get = catalog.service_label(svc);
    let (_, s) = pools
        .iter()
        .filter(|p| p.effective)
        .filter_map(|p| {
            let sel = p.selector?;
            let failing = sel.failing_terms(&get);
            let terms = sel.match_labels.len() + sel.match_expressions.len();
            (failing > 0).then_some(((failing, std::cmp::Reverse(terms - failing)), *p))
        })
        .min_by_key(|(rank, _)| *rank)?;
    Some((s, s.selector?.describe_failures(&get)))
}

fn no_pool(catalog: &Catalog, id: ObjectId, svc: &Object, pools: &[&LbSelector]) -> Finding {
    let location = catalog
        .report_location(id)
        .expect("Services come from manifests or Gateways");
    let mut finding = Finding::new(
        &META,
        location,
        format!(
            "{} is selected by no enabled CiliumLoadBalancerIPPool, so LB-IPAM gives it no \
             address: EXTERNAL-IP stays <pending>",
            label_gaps::service_name(catalog, id, "LoadBalancer Service")
        ),
    )
    .object(svc)
    .field("metadata.name")
    .label("no pool selects it")
    .condition(CONDITION);
    let where_labels = label_gaps::where_labels(catalog, id);
    match nearest_miss(catalog, svc, pools) {
        Some((pool, failures)) => {
            finding = label_gaps::nearest_miss(finding, catalog, pool, &failures, &where_labels);
        }
        None => {
            finding = finding.help(format!(
                "add a CiliumLoadBalancerIPPool whose serviceSelector takes it (on labels in \
                 {where_labels}), or enable a disabled one"
            ));
        }
    }
    finding
}

/// The disabled pool that alone would select these Services.
fn only_disabled(catalog: &Catalog, pool: &LbSelector, services: &[ObjectId]) -> Option<Finding> {
    let owner = catalog.object(pool.owner);
    let names: Vec<String> = services
        .iter()
        .map(|&id| catalog.object(id).qualified_name())
        .collect();
    let (count, them) = match &names[..] {
        [one] => (format!("Service {one}"), "it"),
        many => (format!("{} Services", many.len()), "them"),
    };
    let mut finding = Finding::new(
        &META,
        owner.name_location()?,
        format!(
            "CiliumLoadBalancerIPPool {} is `disabled: true` and is the only pool that selects \
             {count}, so LB-IPAM gives {them} no address: EXTERNAL-IP stays <pending>",
            owner.name
        ),
    )
    .object(owner)
    .field("spec.disabled")
    .label("disabled, strands Services")
    .condition(CONDITION)
    .help(format!(
        "remove `disabled: true` from {}, or let an enabled pool select {them}",
        owner.name
    ));
    for &id in services {
        finding = finding.related(
            catalog.report_location(id),
            format!(
                "{} gets no address",
                label_gaps::service_name(catalog, id, "LoadBalancer Service")
            ),
        );
    }
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(name: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n\
             metadata: {{name: {name}}}\nspec: {{blocks: [{{cidr: 10.0.0.0/24}}]{spec}}}\n"
        )
    }

    fn service(name: &str, labels: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: apps, \
             labels: {labels}}}\nspec: {{type: LoadBalancer, ports: [{{port: 80}}]{spec}}}\n"
        )
    }

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    #[test]
    fn a_service_no_pool_selects_names_the_nearest_miss() {
        let yaml = format!(
            "{}{}{}",
            pool("lan", ", serviceSelector: {matchLabels: {pool: lan}}"),
            service("web", "{pool: lna}", ""),
            service("dns", "{pool: lan}", ""),
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .starts_with("LoadBalancer Service apps/web")
        );
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("nearest miss: CiliumLoadBalancerIPPool `lan` needs"),
            "{:?}",
            found[0].help
        );
    }

    #[test]
    fn no_pool_other_classes_and_catch_all_pools_are_quiet() {
        // No pool in the tree.
        assert!(findings(&service("web", "{}", "")).is_empty());
        // A selector-less pool takes everything; another class is not LB-IPAM's.
        let yaml = format!(
            "{}{}{}",
            pool("all", ""),
            service("web", "{}", ""),
            service("metal", "{}", ", loadBalancerClass: metallb.io/metallb"),
        );
        assert!(findings(&yaml).is_empty());
        let only_selective = format!(
            "{}{}{}",
            pool("lan", ", serviceSelector: {matchLabels: {pool: lan}}"),
            service("metal", "{}", ", loadBalancerClass: metallb.io/metallb"),
            service("flux", "{pool: \"${POOL}\"}", ""),
        );
        assert!(findings(&only_selective).is_empty());
        // No metadata.namespace: where it lands is up to `kubectl apply -n`.
        let defaulted = format!(
            "{}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n\
             spec: {{type: LoadBalancer}}\n",
            pool(
                "prod",
                ", serviceSelector: {matchLabels: {io.kubernetes.service.namespace: prod}}"
            ),
        );
        assert!(findings(&defaulted).is_empty());
    }

    #[test]
    fn a_disabled_pool_is_reported_once_for_every_service_it_strands() {
        let yaml = format!(
            "{}{}{}{}",
            pool("lan", ", serviceSelector: {matchLabels: {pool: lan}}"),
            pool("old", ", disabled: true"),
            service("web", "{}", ""),
            service("dns", "{}", ""),
        );
        let found = findings(&yaml);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .starts_with("CiliumLoadBalancerIPPool old is `disabled: true`"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].related.len(), 2);
    }
}
