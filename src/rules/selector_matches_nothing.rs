//! selector-matches-nothing: an IP pool, L2 announcement policy or BGP advertisement selector
//! that selects no LoadBalancer Service Cilium handles.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use super::{Category, Facts, Rule, RuleMeta, label_gaps};
use crate::analysis::lb::{self, LbSelector, SelectorKind};
use crate::catalog::{Catalog, SERVICE_NAME_KEY, SERVICE_NAMESPACE_KEY};
use crate::diagnostic::{Finding, Severity};
use crate::model::selector::{LabelSelector, Operator};
use crate::model::{Object, ObjectId, Service, suggest};

pub static META: RuleMeta = RuleMeta {
    id: "selector-matches-nothing",
    severity: Severity::Warning,
    category: Category::Cilium,
    summary: "an IP pool, L2 announcement policy or BGP advertisement selector selects no \
              LoadBalancer Service",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// How many existing labels the help lists at most.
const LISTED_LABELS: usize = 8;

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let selectors = lb::selectors(catalog);
    let any_service = catalog.of_kind("", "Service").iter().any(|&id| {
        let svc = catalog.object(id).service();
        svc.is_some_and(Service::is_cilium_load_balancer)
    });
    // Only the help of a selector that matches nothing reads every Service's labels, and asks
    // which Services it alone fails to announce.
    let services = OnceCell::new();
    let left_out = OnceCell::new();
    let gateways = label_gaps::gateways_by_key(catalog, lb::cilium_gateways(catalog));
    for (i, s) in selectors.iter().enumerate() {
        let Some(selector) = s.selector else {
            // Absent selects every Service for pools and L2 policies, none for BGP.
            if s.kind == SelectorKind::Bgp {
                out.extend(bgp_without_selector(catalog, s));
            }
            continue;
        };
        // An invalid selector is selector-invalid's; without any Service the tree holds only
        // the Cilium setup, the apps live elsewhere.
        if selector.invalid || !any_service || !s.matching(catalog).is_empty() {
            continue;
        }
        // A Gateway whose labels are not propagated is reported once, by that rule.
        if label_gaps::gateways_for(&gateways, s)
            .into_iter()
            .any(|gw| !s.needs_gateway_labels(catalog, gw).is_empty())
        {
            continue;
        }
        let services = services.get_or_init(|| ServiceLabels::of(catalog));
        let left_out = left_out.get_or_init(|| left_unannounced(catalog, &selectors));
        let finding = matches_nothing(catalog, s, selector, services);
        out.extend(finding.map(|f| relate_unannounced(catalog, f, i, left_out)));
    }
}

/// For each selector (by index), the LoadBalancer Services it leaves unannounced on its own: it
/// is among the only announcers that could announce them, and they all select nothing. Those
/// Services' service-not-advertised findings name this selector as their cause.
fn left_unannounced(catalog: &Catalog, selectors: &[LbSelector]) -> Vec<Vec<ObjectId>> {
    let selects_nothing: Vec<bool> = selectors
        .iter()
        .map(|s| s.kind == SelectorKind::Pool || !s.effective || s.matching(catalog).is_empty())
        .collect();
    let mut out = vec![Vec::new(); selectors.len()];
    for &id in catalog.of_kind("", "Service") {
        let Some(svc) = catalog.object(id).service() else {
            continue;
        };
        if !svc.is_cilium_load_balancer() {
            continue;
        }
        for i in lb::silent_announcers(selectors, &selects_nothing, svc) {
            out[i].push(id);
        }
    }
    out
}

/// The Services a selector that matches nothing leaves unannounced, as related locations.
fn relate_unannounced(
    catalog: &Catalog,
    mut f: Finding,
    selector: usize,
    left_out: &[Vec<ObjectId>],
) -> Finding {
    for &id in &left_out[selector] {
        let svc = catalog.object(id);
        f = f.related(
            catalog.report_location(id),
            format!(
                "Service {} is therefore announced by nothing (service-not-advertised)",
                svc.qualified_name()
            ),
        );
    }
    f
}

fn bgp_without_selector(catalog: &Catalog, s: &LbSelector) -> Option<Finding> {
    let owner = catalog.object(s.owner);
    Some(
        Finding::new(
            &META,
            s.location?,
            format!(
                "{}: the Service advertisement has no selector, so it advertises no Service",
                s.describe(catalog)
            ),
        )
        .object(owner)
        .field(selector_path(s))
        .label("no selector: selects nothing")
        .help(
            "add a `selector` naming the Services to advertise; to advertise every Service, use \
             `matchExpressions: [{key: somekey, operator: NotIn, values: [never-used-value]}]`",
        ),
    )
}

fn matches_nothing(
    catalog: &Catalog,
    s: &LbSelector,
    selector: &LabelSelector,
    services: &ServiceLabels,
) -> Option<Finding> {
    let owner = catalog.object(s.owner);
    let mut hints = did_you_mean(selector, services);
    hints.extend(ineligible_match(catalog, s, selector));
    if hints.is_empty() {
        hints.push(services.listing());
    }
    Some(
        Finding::new(
            &META,
            s.location?,
            format!(
                "{}: the selector matches no LoadBalancer Service Cilium handles{}",
                s.describe(catalog),
                match s.kind {
                    SelectorKind::Pool => ", so the pool allocates no IP",
                    SelectorKind::L2 => ", so the policy announces nothing",
                    SelectorKind::Bgp => ", so nothing is advertised",
                }
            ),
        )
        .object(owner)
        .field(selector_path(s))
        .label("matches no Service")
        .help(hints.join("; ")),
    )
}

/// The selector's path in its object, written or not.
fn selector_path(s: &LbSelector) -> String {
    match s.kind {
        SelectorKind::Bgp => format!("spec.advertisements[{}].selector", s.entry - 1),
        SelectorKind::Pool | SelectorKind::L2 => "spec.serviceSelector".into(),
    }
}

/// "Did you mean" for each term no Service satisfies: a close value of the same key, else a
/// close key; names and namespaces for Cilium's special keys.
fn did_you_mean(selector: &LabelSelector, services: &ServiceLabels) -> Vec<String> {
    let terms = selector
        .match_labels
        .iter()
        .map(|t| (t.key.as_str(), vec![t.value.as_str()]))
        .chain(
            selector
                .match_expressions
                .iter()
                .filter(|r| matches!(r.operator, Operator::In | Operator::Exists))
                .map(|r| {
                    (
                        r.key.as_str(),
                        r.values.iter().map(String::as_str).collect(),
                    )
                }),
        );
    let mut out = Vec::new();
    for (key, values) in terms {
        let Some(existing) = services.values(key) else {
            if let Some(k) = suggest::closest(key, services.labels.keys().copied()) {
                out.push(format!(
                    "did you mean the label key `{k}`? no Service has `{key}`"
                ));
            }
            continue;
        };
        if values.is_empty() || values.iter().any(|v| existing.contains(v)) {
            continue;
        }
        let close = values
            .iter()
            .find_map(|v| suggest::closest(v, existing.iter().copied()));
        match close {
            Some(v) => out.push(format!("did you mean `{key}: {v}`?")),
            None => out.push(format!(
                "`{key}` on LoadBalancer Services is {}",
                existing
                    .iter()
                    .take(LISTED_LABELS)
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        }
    }
    out
}

/// A Service the selector matches by its labels that Cilium (or this part of it) does not
/// handle: not a LoadBalancer, or of another `loadBalancerClass`. Only run for selectors that
/// already match nothing.
fn ineligible_match(catalog: &Catalog, s: &LbSelector, selector: &LabelSelector) -> Option<String> {
    catalog
        .services_matching(selector)
        .into_iter()
        .find_map(|id| {
            let o = catalog.object(id);
            let svc = o.service()?;
            let why = match &svc.load_balancer_class {
                _ if !svc.is_load_balancer() => format!("is of type {}", svc.service_type),
                Some(class) => format!(
                    "has loadBalancerClass `{}`, which {} does not handle",
                    class.value,
                    s.kind.kind()
                ),
                None => return None,
            };
            Some(format!(
                "Service {} matches the labels but {why}",
                o.qualified_name()
            ))
        })
}

/// The labels (and names, namespaces) of the LoadBalancer Services Cilium handles, borrowed from
/// the Catalog.
struct ServiceLabels<'c> {
    labels: BTreeMap<&'c str, BTreeSet<&'c str>>,
    names: BTreeSet<&'c str>,
    namespaces: BTreeSet<&'c str>,
}

impl<'c> ServiceLabels<'c> {
    fn of(catalog: &'c Catalog) -> ServiceLabels<'c> {
        let mut s = ServiceLabels {
            labels: BTreeMap::new(),
            names: BTreeSet::new(),
            namespaces: BTreeSet::new(),
        };
        let eligible = catalog
            .of_kind("", "Service")
            .iter()
            .map(|&id| catalog.object(id))
            .filter(|o| o.service().is_some_and(Service::is_cilium_load_balancer));
        for o in eligible {
            s.add(o);
        }
        s
    }

    fn add(&mut self, o: &'c Object) {
        self.names.insert(&o.name);
        self.namespaces.extend(o.namespace.as_deref());
        for l in &o.labels {
            self.labels.entry(&l.key).or_default().insert(&l.value);
        }
    }

    fn values(&self, key: &str) -> Option<&BTreeSet<&'c str>> {
        match key {
            SERVICE_NAME_KEY => Some(&self.names),
            SERVICE_NAMESPACE_KEY => Some(&self.namespaces),
            _ => self.labels.get(key),
        }
    }

    /// `labels on LoadBalancer Services: `app=shop`, …`.
    fn listing(&self) -> String {
        let pairs: Vec<String> = self
            .labels
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| format!("`{k}={v}`")))
            .collect();
        let more = pairs.len().saturating_sub(LISTED_LABELS);
        let mut text = format!(
            "labels on LoadBalancer Services: {}",
            pairs[..pairs.len().min(LISTED_LABELS)].join(", ")
        );
        if pairs.is_empty() {
            text = "no LoadBalancer Service has labels".into();
        } else if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text
    }
}
