//! service-selects-no-pods: a Service whose selector matches no pod template in its namespace,
//! so it has no endpoints.

use std::collections::{HashMap, HashSet};

use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::pods::ServicePods;
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::workload::WORKLOAD_KINDS;
use crate::model::{Label, Object, ObjectId, Spec, Text};

pub static META: RuleMeta = RuleMeta {
    id: "service-selects-no-pods",
    severity: Severity::Warning,
    category: Category::Kubernetes,
    summary: "a Service's selector matches no pod template in its namespace: it has no endpoints",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// The label Kubernetes puts on the EndpointSlices of a Service (written by hand too).
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    // In strict mode what cilint cannot see is reported too, with why it may be there.
    let empty: Vec<&ServicePods> = catalog
        .service_pods()
        .iter()
        .filter(|p| p.workloads.is_empty() && (p.complete() || catalog.strict))
        .collect();
    if empty.is_empty() {
        return;
    }
    // A tree without a single workload deploys its applications some other way.
    let any_workload = WORKLOAD_KINDS
        .iter()
        .any(|(group, kind)| !catalog.of_kind(group, kind).is_empty());
    if !any_workload && !catalog.strict {
        return;
    }
    let by_hand = hand_written_endpoints(catalog);
    let routes = routes_by_service(catalog);
    for p in empty {
        let (o, Some(ns)) = (p.object, p.object.namespace.as_deref()) else {
            continue;
        };
        // Endpoints written by hand do not depend on the selector.
        if by_hand.contains(&(ns, o.name.as_str())) {
            continue;
        }
        let selector = p.service.selector.as_deref().unwrap_or_default();
        let elsewhere: Vec<ObjectId> = catalog
            .pod_labels()
            .selected(selector)
            .map(|(id, _)| id)
            .filter(|&id| catalog.object(id).namespace != o.namespace)
            .collect();
        // Reported only with evidence of what was meant: the pods it wants in another
        // namespace, or a workload of its own namespace that shares a label key with the
        // selector. Without either, the pods are most likely deployed by something else.
        // In strict mode, pods that may be started outside the tree need no evidence.
        let near = nearest(catalog, &o.namespace, selector);
        if elsewhere.is_empty() && near.is_none() && p.complete() {
            continue;
        }
        // Pods it selects in another namespace, where only cilint's `--namespace` put one of
        // them: applied with `-n`, they would share a namespace.
        if elsewhere
            .iter()
            .any(|&id| o.namespace_defaulted || catalog.object(id).namespace_defaulted)
        {
            continue;
        }
        let route = routes.get(&(ns, o.name.as_str())).copied();
        let note = p.unseen.as_ref().map(|r| {
            format!(
                "; reported in strict mode, though the pods may be started outside the tree: {r}"
            )
        });
        out.push(finding(catalog, p, selector, &elsewhere, near, route).help_note(note));
    }
}

/// Services whose endpoints are also written by hand (an `Endpoints` of the Service's name, an
/// EndpointSlice labelled with it): their endpoints do not depend on the selector alone.
fn hand_written_endpoints(catalog: &Catalog) -> HashSet<(&str, &str)> {
    let mut out = HashSet::new();
    for &id in catalog.of_kind("", "Endpoints") {
        let o = catalog.object(id);
        if let Some(ns) = o.namespace.as_deref() {
            out.insert((ns, o.name.as_str()));
        }
    }
    for &id in catalog.of_kind("discovery.k8s.io", "EndpointSlice") {
        let o = catalog.object(id);
        let service = o.labels.iter().find(|l| l.key == SERVICE_NAME_LABEL);
        if let (Some(ns), Some(l)) = (o.namespace.as_deref(), service) {
            out.insert((ns, l.value.as_str()));
        }
    }
    out
}

/// The first route (in load order) with a backendRef to each Service.
fn routes_by_service(catalog: &Catalog) -> HashMap<(&str, &str), &Object> {
    let mut out = HashMap::new();
    for u in catalog.service_backend_refs() {
        if let Lookup::Found(_) =
            catalog.lookup("", "Service", Some(u.namespace), u.backend.name.as_str())
        {
            out.entry((u.namespace, u.backend.name.as_str()))
                .or_insert(u.route);
        }
    }
    out
}

/// How a workload's pod labels miss a selector: the terms it fails, each with the label it has
/// under that key, if any.
struct Miss<'c> {
    id: ObjectId,
    failing: Vec<(&'c (Text, Text), Option<&'c Label>)>,
}

/// The workload of the namespace whose pod labels fail the fewest terms of the selector, then
/// whose values under the failing keys are nearest by edit distance (the first loaded among
/// equals), when one shares a term or a key with it.
fn nearest<'c>(
    catalog: &'c Catalog,
    namespace: &Option<Text>,
    selector: &'c [(Text, Text)],
) -> Option<Miss<'c>> {
    let mut best: Option<(usize, usize, Miss)> = None;
    for &id in catalog.workloads_in(namespace) {
        let Spec::Workload(w) = &catalog.object(id).spec else {
            continue;
        };
        let failing: Vec<_> = selector
            .iter()
            .filter(|(k, v)| !w.pod_labels.iter().any(|l| l.key == *k && l.value == *v))
            .map(|term| (term, w.pod_labels.iter().find(|l| l.key == term.0)))
            .collect();
        if failing.len() == selector.len() && failing.iter().all(|(_, l)| l.is_none()) {
            continue;
        }
        let distance: usize = failing
            .iter()
            .map(|((_, v), l)| l.map_or(v.len(), |l| strsim::levenshtein(v, &l.value)))
            .sum();
        let score = (failing.len(), distance);
        if best.as_ref().is_none_or(|(n, d, _)| score < (*n, *d)) {
            best = Some((score.0, score.1, Miss { id, failing }));
        }
    }
    best.map(|(_, _, miss)| miss)
}

fn finding(
    catalog: &Catalog,
    p: &ServicePods,
    selector: &[(Text, Text)],
    elsewhere: &[ObjectId],
    near: Option<Miss>,
    route: Option<&Object>,
) -> Finding {
    let o = p.object;
    let ns = o.namespace.as_deref().unwrap_or_default();
    let terms = describe_terms(selector);
    let at = o
        .at(p.service.selector_span.unwrap_or(o.name_span))
        .or(o.location)
        .expect("a manifest's Service has a location");
    let mut f = Finding::new(
        &META,
        at,
        format!(
            "Service {} selects no pods: no pod template in namespace {ns} has {terms}",
            o.qualified_name()
        ),
    )
    .object(o)
    .field("spec.selector")
    .label("selects no pods");
    let mut help = match (near, elsewhere.first()) {
        (_, Some(&id)) => {
            let w = catalog.object(id);
            f = f.related(
                catalog.report_location(id),
                format!("{} {} has these pod labels", w.kind, w.qualified_name()),
            );
            format!(
                "{} {} in namespace {} has these pod labels, but a Service selects pods of its \
                 own namespace only: put them in one namespace",
                w.kind,
                w.name,
                w.namespace.as_deref().unwrap_or_default()
            )
        }
        (Some(miss), None) => {
            let w = catalog.object(miss.id);
            let differs = describe_miss(&miss);
            let label_at = miss
                .failing
                .iter()
                .find_map(|(_, l)| *l)
                .and_then(|l| w.at(l.span))
                .or_else(|| catalog.report_location(miss.id));
            f = f.related(label_at, format!("nearest miss: {differs}"));
            format!(
                "nearest miss: the pods of {} {} have {differs}; make the selector and the pod \
                 template labels agree",
                w.kind, w.name
            )
        }
        (None, None) => "make the selector and the pod template labels agree".to_string(),
    };
    if let Some(route) = route {
        help.push_str(&format!(
            ". {} {} sends traffic to it: Cilium programs no endpoints for the Service, and \
             Envoy answers 503 \"no healthy upstream\"",
            route.kind,
            route.qualified_name()
        ));
        f = f.related(
            route.name_location(),
            format!("{} {} routes to this Service", route.kind, route.name),
        );
    }
    f.help(help)
}

/// `app: storefront, tier: web`, in backquotes.
fn describe_terms(selector: &[(Text, Text)]) -> String {
    let terms: Vec<String> = selector
        .iter()
        .map(|(k, v)| format!("`{k}: {v}`"))
        .collect();
    match terms.len() {
        1 => format!("the label {}", terms[0]),
        _ => format!("all the labels {}", terms.join(", ")),
    }
}

/// `app: store-front` where the selector wants `app: storefront`; `no `tier` label` where it
/// wants `tier: web`.
fn describe_miss(miss: &Miss) -> String {
    miss.failing
        .iter()
        .map(|((k, v), label)| match label {
            Some(l) => format!("`{k}: {}` where the selector wants `{k}: {v}`", l.value),
            None => format!("no `{k}` label where the selector wants `{k}: {v}`"),
        })
        .collect::<Vec<_>>()
        .join(", and ")
}

#[cfg(test)]
mod tests {
    use crate::rules::findings_in;

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: store-front}\nspec:\n  \
        template:\n    metadata: {labels: {app: store-front, tier: web}}\n    spec: {containers: [{name: web}]}\n---\n";

    fn service(selector: &str) -> String {
        format!(
            "{WEB}apiVersion: v1\nkind: Service\nmetadata: {{name: storefront}}\nspec: {{selector: {selector}}}\n"
        )
    }

    #[test]
    fn a_selector_no_template_matches_names_the_nearest_workload() {
        let found = findings_in(super::check, &service("{app: storefront, tier: web}"));
        assert_eq!(found.len(), 1);
        let help = found[0].help.as_deref().unwrap_or_default();
        assert!(
            help.contains("Deployment store-front have `app: store-front` where the selector wants `app: storefront`"),
            "{help}"
        );
    }

    #[test]
    fn matching_empty_and_absent_selectors_pass() {
        assert!(findings_in(super::check, &service("{app: store-front}")).is_empty());
        assert!(findings_in(super::check, &service("{}")).is_empty());
        let none = format!(
            "{WEB}apiVersion: v1\nkind: Service\nmetadata: {{name: nas}}\nspec: {{ports: [{{port: 80}}]}}\n"
        );
        assert!(findings_in(super::check, &none).is_empty());
    }

    #[test]
    fn a_tree_without_workloads_is_not_judged() {
        let yaml =
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n";
        assert!(findings_in(super::check, yaml).is_empty());
    }

    #[test]
    fn a_namespace_without_workloads_is_judged_only_when_the_pods_are_elsewhere() {
        let svc = |selector: &str| {
            format!(
                "{WEB}apiVersion: v1\nkind: Service\nmetadata: {{name: db, namespace: data}}\n\
                 spec: {{selector: {selector}}}\n"
            )
        };
        assert!(findings_in(super::check, &svc("{app: postgres}")).is_empty());
        // The Deployment landed in `default` only because it names no namespace: quiet too.
        assert!(findings_in(super::check, &svc("{app: store-front}")).is_empty());
        let placed = svc("{app: store-front}").replace(
            "metadata: {name: store-front}",
            "metadata: {name: store-front, namespace: web}",
        );
        let found = findings_in(super::check, &placed);
        assert_eq!(found.len(), 1);
        let help = found[0].help.as_deref().unwrap_or_default();
        assert!(
            help.contains("in namespace web has these pod labels"),
            "{help}"
        );
    }

    #[test]
    fn hand_written_endpoint_slices_count() {
        let yaml = format!(
            "{}---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: storefront-1, \
             labels: {{kubernetes.io/service-name: storefront}}}}\naddressType: IPv4\n",
            service("{app: storefront}")
        );
        assert!(findings_in(super::check, &yaml).is_empty());
    }
}
