//! service-not-advertised: a LoadBalancer Service Cilium handles that no L2 announcement policy
//! and no BGP advertisement selects, in a tree that has them.

use std::collections::HashSet;

use super::{Category, Facts, Rule, RuleMeta, label_gaps};
use crate::catalog::{Catalog, SERVICE_NAME_KEY, SERVICE_NAMESPACE_KEY};
use crate::diagnostic::{Finding, Severity};
use crate::model::lb::{self, LbSelector, SelectorKind};
use crate::model::{Object, ObjectId, Service};

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
    // A tree without L2 policies or BGP advertisements announces some other way (or not at all).
    if announcers.is_empty() {
        return;
    }
    let announced: HashSet<ObjectId> = announcers
        .iter()
        .filter(|s| s.effective)
        .flat_map(|s| s.matching(catalog))
        .collect();
    let by_key = label_gaps::selectors_by_key(&selectors);
    for &id in catalog.of_kind("", "Service") {
        let svc = catalog.object(id);
        if announced.contains(&id) || !svc.service().is_some_and(Service::is_cilium_load_balancer) {
            continue;
        }
        // A Gateway whose labels are not propagated is reported once, by that rule.
        if let Some(gw) = catalog.generator(id)
            && label_gaps::unpropagated_labels(catalog, &selectors, &by_key, gw).is_some()
        {
            continue;
        }
        out.push(not_advertised(catalog, id, svc, &announcers));
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
        .min_by_key(|((failing, met), _)| (*failing, std::cmp::Reverse(*met)))?;
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
) -> Finding {
    let gateway = catalog.generator(id).map(|gw| catalog.object(gw));
    let what = match gateway {
        Some(gw) => format!(
            "Service {} (generated for Gateway {})",
            svc.qualified_name(),
            gw.name
        ),
        None => format!("LoadBalancer Service {}", svc.qualified_name()),
    };
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
    let where_labels = match gateway {
        Some(gw) => format!("spec.infrastructure.labels of Gateway {}", gw.name),
        None => "the Service's metadata.labels".to_string(),
    };
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
            let terms = failures.join(", ");
            // The special keys test the Service's own name and namespace: no label adds them.
            let labels = failures
                .iter()
                .filter(|f| !f.contains(SERVICE_NAME_KEY) && !f.contains(SERVICE_NAMESPACE_KEY))
                .count();
            let fix = match labels {
                0 => "its `io.kubernetes.service.*` terms test the Service's namespace and name, \
                      not labels: widen the selector to take it"
                    .to_string(),
                n => format!(
                    "add the missing label{} to {where_labels}, or widen the selector",
                    if n == 1 { "" } else { "s" }
                ),
            };
            finding = finding
                .help(format!(
                    "nearest miss: {} needs {terms}; {fix}",
                    s.describe(catalog)
                ))
                .related(s.location, format!("nearest miss: needs {terms}"));
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
