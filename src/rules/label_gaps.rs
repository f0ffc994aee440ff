//! Which (selector, Cilium Gateway) pairs to ask `LbSelector::needs_gateway_labels` about.
//!
//! A selector needs a Gateway's `metadata.labels` only if it tests a key the Gateway has and
//! its generated Service lacks. Selectors and Gateways both grow with the tree, so the rules
//! look pairs up by those keys instead of asking about every selector for every Gateway; the
//! pairs left out are exactly those whose answer is empty.

use std::collections::HashMap;

use crate::analysis::lb::{self, LbSelector, UnpropagatedLabels};
use crate::catalog::{Catalog, SERVICE_NAME_KEY, SERVICE_NAMESPACE_KEY};
use crate::diagnostic::Finding;
use crate::model::ObjectId;

/// The help for a Service the selector nearest to taking it misses on `failures` (its failing
/// terms, written out): which terms it needs, and where a label would satisfy them.
pub(super) fn nearest_miss(
    finding: Finding,
    catalog: &Catalog,
    s: &LbSelector,
    failures: &[String],
    where_labels: &str,
) -> Finding {
    let terms = failures.join(", ");
    // The special keys test the Service's own name and namespace: no label adds them.
    let labels = failures
        .iter()
        .filter(|f| !f.contains(SERVICE_NAME_KEY) && !f.contains(SERVICE_NAMESPACE_KEY))
        .count();
    let fix = match labels {
        0 => "its `io.kubernetes.service.*` terms test the Service's namespace and name, not \
              labels: widen the selector to take it"
            .to_string(),
        n => format!(
            "add the missing label{} to {where_labels}, or widen the selector",
            if n == 1 { "" } else { "s" }
        ),
    };
    finding
        .help(format!(
            "nearest miss: {} needs {terms}; {fix}",
            s.describe(catalog)
        ))
        .related(s.location, format!("nearest miss: needs {terms}"))
}

/// The keys a selector tests: `matchLabels` and `matchExpressions` alike.
fn selector_keys<'a>(s: &LbSelector<'a>) -> impl Iterator<Item = &'a str> + 'a {
    s.selector.into_iter().flat_map(|sel| {
        let labels = sel.match_labels.iter().map(|t| t.key.as_str());
        labels.chain(sel.match_expressions.iter().map(|r| r.key.as_str()))
    })
}

/// The keys of a Gateway's `metadata.labels` its generated Service lacks (none without one).
fn missing_keys(catalog: &Catalog, gw: ObjectId) -> impl Iterator<Item = &str> {
    let on_service = catalog
        .generated_service(gw)
        .map(|svc| catalog.service_label(catalog.object(svc)));
    catalog
        .object(gw)
        .labels
        .iter()
        .filter(move |l| on_service.as_ref().is_some_and(|get| get(&l.key).is_none()))
        .map(|l| l.key.as_str())
}

/// Values by key; a lookup of several keys gives each value once, in ascending order.
pub(super) struct ByKey<'a, T>(HashMap<&'a str, Vec<T>>);

impl<'a, T: Copy + Ord> ByKey<'a, T> {
    fn new(pairs: impl Iterator<Item = (&'a str, T)>) -> Self {
        let mut map: HashMap<&str, Vec<T>> = HashMap::new();
        for (key, value) in pairs {
            map.entry(key).or_default().push(value);
        }
        ByKey(map)
    }

    fn lookup<'k>(&self, keys: impl Iterator<Item = &'k str>) -> Vec<T> {
        let mut out: Vec<T> = keys
            .filter_map(|k| self.0.get(k))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Selectors (indexes into `selectors`) by the keys they test.
pub(super) fn selectors_by_key<'a>(selectors: &[LbSelector<'a>]) -> ByKey<'a, usize> {
    ByKey::new(
        selectors
            .iter()
            .enumerate()
            .flat_map(|(i, s)| selector_keys(s).map(move |k| (k, i))),
    )
}

/// `lb::unpropagated_labels` of `gw`, asking only the selectors that may need its labels;
/// `by_key` is `selectors_by_key(selectors)`.
pub(super) fn unpropagated_labels<'c>(
    catalog: &'c Catalog,
    selectors: &[LbSelector],
    by_key: &ByKey<usize>,
    gw: ObjectId,
) -> Option<UnpropagatedLabels<'c>> {
    let candidates = by_key.lookup(missing_keys(catalog, gw));
    if candidates.is_empty() {
        return None;
    }
    let some: Vec<LbSelector> = candidates.iter().map(|&i| selectors[i].clone()).collect();
    let mut gap = lb::unpropagated_labels(catalog, &some, gw)?;
    // Indexes into `selectors`, as the caller knows them.
    for (i, _) in &mut gap.selectors {
        *i = candidates[*i];
    }
    Some(gap)
}

/// Gateways by the keys their generated Service lacks.
pub(super) fn gateways_by_key(
    catalog: &Catalog,
    gateways: impl Iterator<Item = ObjectId>,
) -> ByKey<'_, ObjectId> {
    ByKey::new(gateways.flat_map(|gw| missing_keys(catalog, gw).map(move |k| (k, gw))))
}

/// The Gateways whose labels `s` may need.
pub(super) fn gateways_for(by_key: &ByKey<ObjectId>, s: &LbSelector) -> Vec<ObjectId> {
    by_key.lookup(selector_keys(s))
}

/// A LoadBalancer Service in a message: `LoadBalancer Service dns/pihole`, or for a Gateway's
/// `Service network/cilium-gateway-home (generated for Gateway home)`. `plain` names the
/// others (`Service` where the sentence already says LoadBalancer).
pub(super) fn service_name(catalog: &Catalog, id: ObjectId, plain: &str) -> String {
    let svc = catalog.object(id);
    match catalog.generator(id).map(|gw| catalog.object(gw)) {
        Some(gw) => format!(
            "Service {} (generated for Gateway {})",
            svc.qualified_name(),
            gw.name
        ),
        None => format!("{plain} {}", svc.qualified_name()),
    }
}

/// Where the labels a selector reads on a Service are written: a Gateway's
/// `spec.infrastructure.labels` for its generated Service, else the Service's own.
pub(super) fn where_labels(catalog: &Catalog, id: ObjectId) -> String {
    match catalog.generator(id).map(|gw| catalog.object(gw)) {
        Some(gw) => format!("spec.infrastructure.labels of Gateway {}", gw.name),
        None => "the Service's metadata.labels".to_string(),
    }
}
