//! The pods behind a Service: the workloads of its namespace whose pod template labels its
//! selector matches (what the EndpointSlice controller selects), whether pods cilint cannot see
//! may be selected too, and kube's `podutil.FindPort` for a named targetPort.

/// Hashed many times per Service on large trees, never iterated into output: a fast hasher
/// with a fixed seed.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
use std::sync::OnceLock;

use smallvec::SmallVec;

use crate::catalog::{Catalog, placeholder};
use crate::model::workload::{ContainerPort, WORKLOAD_KINDS};
use crate::model::{Object, ObjectId, Origin, Service, Spec, Text, Workload};

/// A Service whose endpoints its selector chooses, and what it selects in the tree.
pub struct ServicePods<'c> {
    pub id: ObjectId,
    pub object: &'c Object,
    pub service: &'c Service,
    /// The workloads whose pods it selects, in load order (most Services select one).
    pub workloads: SmallVec<[(ObjectId, &'c Workload); 1]>,
    /// Why pods the tree does not hold may be selected too (a chart, an operator, a
    /// placeholder): then what it selects is not all there is.
    pub unseen: Option<String>,
}

impl ServicePods<'_> {
    /// Every pod it selects is in the tree: port checks may call a port missing.
    pub fn complete(&self) -> bool {
        self.unseen.is_none()
    }
}

/// Every workload of a world by each of its pod labels, in load order, within each namespace
/// and (built when first asked) across namespaces: a selector's candidates are the workloads of
/// its rarest term, so no Service is compared with every workload of its namespace, nor of the
/// tree. Keys are the model's interned strings (compared by address).
pub struct PodLabels<'c> {
    catalog: &'c Catalog,
    within: HashMap<(Option<Text>, Text, Text), Ids>,
    anywhere: OnceLock<HashMap<(Text, Text), Ids>>,
}

/// The workloads of one pod label: most labels (`app: NAME`) are one workload's, held inline.
type Ids = SmallVec<[ObjectId; 2]>;

impl<'c> PodLabels<'c> {
    pub fn new(catalog: &'c Catalog) -> PodLabels<'c> {
        let mut within: HashMap<_, Ids> = HashMap::default();
        for (id, o, w) in workloads(catalog) {
            for l in &w.pod_labels {
                within
                    .entry((o.namespace, l.key, l.value))
                    .or_default()
                    .push(id);
            }
        }
        PodLabels {
            catalog,
            within,
            anywhere: OnceLock::new(),
        }
    }

    /// The workloads, in any namespace, whose pod labels hold every term of the selector, in
    /// load order.
    pub fn selected<'a>(
        &'a self,
        selector: &'a [(Text, Text)],
    ) -> impl Iterator<Item = (ObjectId, &'c Workload)> + 'a {
        let anywhere = self.anywhere.get_or_init(|| {
            let mut anywhere: HashMap<_, Ids> = HashMap::default();
            for (id, _, w) in workloads(self.catalog) {
                for l in &w.pod_labels {
                    anywhere.entry((l.key, l.value)).or_default().push(id);
                }
            }
            anywhere
        });
        let rarest = selector
            .iter()
            .map(|(k, v)| anywhere.get(&(*k, *v)).map_or(&[][..], SmallVec::as_slice))
            .min_by_key(|ids| ids.len());
        matching(self.catalog, rarest.unwrap_or(&[]), selector)
    }

    /// The workloads of one namespace whose pod labels hold every term of the selector, in
    /// load order.
    pub fn selected_in<'a>(
        &'a self,
        namespace: Option<Text>,
        selector: &'a [(Text, Text)],
    ) -> impl Iterator<Item = (ObjectId, &'c Workload)> + 'a {
        let rarest = selector
            .iter()
            .map(|(k, v)| {
                self.within
                    .get(&(namespace, *k, *v))
                    .map_or(&[][..], SmallVec::as_slice)
            })
            .min_by_key(|ids| ids.len());
        matching(self.catalog, rarest.unwrap_or(&[]), selector)
    }
}

/// Every pod-bearing workload, in load order.
fn workloads(catalog: &Catalog) -> impl Iterator<Item = (ObjectId, &Object, &Workload)> {
    all_workloads(catalog).into_iter().filter_map(|id| {
        let o = catalog.object(id);
        match &o.spec {
            Spec::Workload(w) => Some((id, o, &**w)),
            _ => None,
        }
    })
}

/// The candidates whose pods the whole selector selects.
fn matching<'a, 'c: 'a>(
    catalog: &'c Catalog,
    candidates: &'a [ObjectId],
    selector: &'a [(Text, Text)],
) -> impl Iterator<Item = (ObjectId, &'c Workload)> + 'a {
    candidates
        .iter()
        .filter_map(move |&id| match &catalog.object(id).spec {
            Spec::Workload(w) if w.selected_by(selector) => Some((id, &**w)),
            _ => None,
        })
}

/// Every pod-bearing workload of the world, in load order.
fn all_workloads(catalog: &Catalog) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = WORKLOAD_KINDS
        .iter()
        .flat_map(|(group, kind)| catalog.of_kind(group, kind))
        .copied()
        .filter(|&id| matches!(catalog.object(id).spec, Spec::Workload(_)))
        .collect();
    ids.sort_unstable();
    ids
}

/// Every Service written in a manifest whose non-empty selector chooses its endpoints, with
/// what it selects: the workloads of its own namespace, found through the pod label index; the
/// reasons pods may be unseen are asked once per namespace.
pub fn service_pods(catalog: &Catalog) -> Vec<ServicePods<'_>> {
    service_pods_with(catalog, &PodLabels::new(catalog))
}

/// [`service_pods`] with the world's pod label index.
pub fn service_pods_with<'c>(catalog: &'c Catalog, labels: &PodLabels<'c>) -> Vec<ServicePods<'c>> {
    let mut unseen_in: HashMap<&str, Option<String>> = HashMap::default();
    let mut placeholder_in: HashMap<&str, Option<String>> = HashMap::default();
    let mut out = Vec::new();
    for &id in catalog.of_kind("", "Service") {
        let object = catalog.object(id);
        let (Some(service), Some(ns)) = (object.service(), object.namespace.as_deref()) else {
            continue;
        };
        let Some(selector) = selecting(object, service) else {
            continue;
        };
        let workloads: SmallVec<[(ObjectId, &Workload); 1]> =
            labels.selected_in(object.namespace, selector).collect();
        let in_namespace = unseen_in
            .entry(ns)
            .or_insert_with(|| catalog.pods_unverified_reason(ns))
            .clone();
        let unseen = selector_placeholder(selector)
            .or(in_namespace)
            .or_else(|| object.unverifiable.then(|| patched(object)))
            .or_else(|| {
                // Asked only when nothing matched: a label that is not yet known may match.
                workloads
                    .is_empty()
                    .then(|| {
                        placeholder_in
                            .entry(ns)
                            .or_insert_with(|| label_placeholder(catalog, &object.namespace))
                            .clone()
                    })
                    .flatten()
            });
        out.push(ServicePods {
            id,
            object,
            service,
            workloads,
            unseen,
        });
    }
    out
}

/// The selector, when it is what chooses the Service's endpoints: written in a manifest (the
/// Services Cilium, operators and charts make are theirs), not empty (without a selector the
/// endpoints are managed by hand or by another controller) and not an ExternalName (a DNS
/// alias, which has no endpoints).
fn selecting<'s>(o: &Object, svc: &'s Service) -> Option<&'s [(Text, Text)]> {
    let selector = svc.selector.as_deref().filter(|s| !s.is_empty())?;
    (o.origin == Origin::Manifest && svc.service_type != "ExternalName").then_some(selector)
}

/// The workloads of a namespace whose pods a Service selector selects, in load order.
pub fn selected_by<'c>(
    catalog: &'c Catalog,
    namespace: &Option<Text>,
    selector: &[(Text, Text)],
) -> Vec<(ObjectId, &'c Workload)> {
    catalog
        .workloads_in(namespace)
        .iter()
        .filter_map(|&id| match &catalog.object(id).spec {
            Spec::Workload(w) if w.selected_by(selector) => Some((id, &**w)),
            _ => None,
        })
        .collect()
}

/// kube's `podutil.FindPort` for a named targetPort: a container port with that name and the
/// Service port's protocol, in each selected workload that has one.
pub fn named_ports<'a, 'c>(
    workloads: &'a [(ObjectId, &'c Workload)],
    name: &'a str,
    protocol: &'a str,
) -> impl Iterator<Item = (ObjectId, &'c ContainerPort)> + 'a {
    workloads.iter().flat_map(move |&(id, w)| {
        w.ports
            .iter()
            .filter(move |cp| cp.name.as_deref() == Some(name) && cp.protocol == protocol)
            .map(move |cp| (id, cp))
    })
}

fn selector_placeholder(selector: &[(Text, Text)]) -> Option<String> {
    selector
        .iter()
        .find_map(|(k, v)| placeholder(k).or_else(|| placeholder(v)))
        .map(|p| format!("the selector holds the unresolved placeholder {p}"))
}

fn patched(o: &Object) -> String {
    format!(
        "Service {} is changed by a kustomize patch cilint cannot apply exactly",
        o.qualified_name()
    )
}

/// A workload of the namespace whose pod labels hold a placeholder: it may match once
/// substituted.
fn label_placeholder(catalog: &Catalog, namespace: &Option<Text>) -> Option<String> {
    catalog.workloads_in(namespace).iter().find_map(|&id| {
        let o = catalog.object(id);
        let Spec::Workload(w) = &o.spec else {
            return None;
        };
        let p = w
            .pod_labels
            .iter()
            .find_map(|l| placeholder(&l.key).or_else(|| placeholder(&l.value)))?;
        Some(format!(
            "the pod labels of {} {} hold the unresolved placeholder {p}",
            o.kind,
            o.qualified_name()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods(yaml: &str) -> Vec<(String, Vec<String>, Option<String>)> {
        let catalog = Catalog::of_yaml(yaml, "shop");
        service_pods(&catalog)
            .into_iter()
            .map(|p| {
                (
                    p.object.name.to_string(),
                    p.workloads
                        .iter()
                        .map(|(id, _)| catalog.object(*id).name.to_string())
                        .collect(),
                    p.unseen,
                )
            })
            .collect()
    }

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  \
        template:\n    metadata: {labels: {app: web, tier: front}}\n    spec: {containers: [{name: web}]}\n";

    #[test]
    fn a_selector_selects_the_workloads_whose_template_has_every_label() {
        let yaml = format!(
            "{WEB}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{selector: {{app: web}}}}\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {{name: typo}}\nspec: {{selector: {{app: webb}}}}\n"
        );
        assert_eq!(
            pods(&yaml),
            [
                ("web".into(), vec!["web".to_string()], None),
                ("typo".into(), vec![], None)
            ]
        );
    }

    #[test]
    fn services_without_a_selector_or_of_type_external_name_select_nothing() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n\
            ---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {selector: {}}\n\
            ---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n\
            spec: {type: ExternalName, externalName: x.example.com, selector: {app: c}}\n";
        assert!(pods(yaml).is_empty());
    }

    #[test]
    fn placeholders_and_charts_make_pods_unseen() {
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: '${APP}'}}\n";
        assert_eq!(
            pods(svc)[0].2.as_deref(),
            Some("the selector holds the unresolved placeholder ${APP}")
        );
        let chart = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: redis}\n\
            spec: {chart: {spec: {chart: redis}}}\n---\n\
            apiVersion: v1\nkind: Service\nmetadata: {name: cache}\nspec: {selector: {app: cache}}\n";
        let unseen = pods(chart)[0].2.clone().unwrap_or_default();
        assert!(unseen.contains("Helm chart redis"), "{unseen}");
    }

    #[test]
    fn find_port_needs_the_name_and_the_protocol() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dns}\nspec:\n  template:\n    \
            metadata: {labels: {app: dns}}\n    spec:\n      containers:\n        - name: coredns\n          \
            ports: [{name: dns, containerPort: 5353, protocol: UDP}]\n";
        let catalog = Catalog::of_yaml(yaml, "shop");
        let selector = [("app".into(), "dns".into())];
        let ns = Some("shop".into());
        let workloads = selected_by(&catalog, &ns, &selector);
        assert_eq!(named_ports(&workloads, "dns", "UDP").count(), 1);
        assert_eq!(named_ports(&workloads, "dns", "TCP").count(), 0);
    }
}
