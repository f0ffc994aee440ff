//! statefulset-service-not-headless: a StatefulSet's `spec.serviceName` names no Service in its
//! namespace, or one that is not headless (`clusterIP: None`): its pods get no stable DNS names.

use super::{Category, Facts, Rule, RuleMeta};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::suggest::closest;
use crate::model::workload::Workload;
use crate::model::{Object, Origin};

pub static META: RuleMeta = RuleMeta {
    id: "statefulset-service-not-headless",
    severity: Severity::Warning,
    category: Category::Kubernetes,
    summary: "a StatefulSet's serviceName names no headless Service in its namespace",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (o, w) in catalog.written_workloads() {
        let (Some(name), Some(ns)) = (&w.service_name, o.namespace.as_deref()) else {
            continue;
        };
        let Some(at) = o.at(name.span) else { continue };
        match catalog.lookup_for_workload(w, "Service", ns, name.as_str()) {
            Lookup::Found(id) => {
                let svc = catalog.object(id);
                // Only a Service written in the tree is known well enough: a chart's or an
                // operator's may be headless.
                let not_headless = svc.origin == Origin::Manifest
                    && !svc.unverifiable
                    && svc.service().is_some_and(|s| !s.headless);
                if not_headless {
                    out.push(not_headless_finding(o, svc, name.as_str(), at));
                }
            }
            // A serviceName no Service of the pods answers to is the placeholder manifests
            // wrote while the field was required (kubernetes#69608: pods that need no names);
            // one is reported when a Service selects the pods under another name.
            Lookup::Missing => {
                if let Some(svc) = selecting_service(catalog, w, ns) {
                    out.push(missing(catalog, o, svc, name.as_str(), ns, at));
                }
            }
            Lookup::Unverifiable(_) => {}
        }
    }
}

/// The first Service of the namespace whose selector selects the workload's pods.
fn selecting_service<'c>(catalog: &'c Catalog, w: &Workload, ns: &str) -> Option<&'c Object> {
    catalog
        .in_namespace("", "Service", ns)
        .iter()
        .map(|&id| catalog.object(id))
        .find(|svc| {
            svc.service()
                .and_then(|s| s.selector.as_deref())
                .is_some_and(|sel| w.selected_by(sel))
        })
}

fn missing(
    catalog: &Catalog,
    o: &Object,
    svc: &Object,
    name: &str,
    ns: &str,
    at: crate::source::Location,
) -> Finding {
    let f = Finding::new(
        &META,
        at,
        format!(
            "StatefulSet {}: spec.serviceName names Service `{name}`, which is not in namespace {ns}: the pods get no DNS names (<pod>.{name}.{ns}.svc)",
            o.qualified_name()
        ),
    )
    .object(o)
    .field("spec.serviceName")
    .label(format!("no Service `{name}` in {ns}"));
    let note = catalog.strict_note("", "Service", Some(ns), name);
    let near = closest(name, catalog.names_in("", "Service", Some(ns)));
    let f = match near {
        Some(near) => f.help(format!(
            "did you mean `{near}`? Name the StatefulSet's headless Service, or create Service `{name}` with `clusterIP: None` selecting the StatefulSet's pods"
        )),
        None => f.help(format!(
            "name the headless Service (`clusterIP: None`) that selects the StatefulSet's pods, or create Service `{name}` so"
        )),
    };
    let related = format!("Service `{}` selects the StatefulSet's pods", svc.name);
    f.help_note(note).related(svc.name_location(), related)
}

fn not_headless_finding(
    o: &Object,
    svc: &Object,
    name: &str,
    at: crate::source::Location,
) -> Finding {
    Finding::new(
        &META,
        at,
        format!(
            "StatefulSet {}: spec.serviceName names Service `{name}`, which is not headless (no `clusterIP: None`): DNS gives only the Service's address, no per-pod names",
            o.qualified_name()
        ),
    )
    .object(o)
    .field("spec.serviceName")
    .label("not a headless Service")
    .help(format!(
        "point spec.serviceName at a headless Service (`clusterIP: None`), e.g. a second Service `{name}-headless` selecting the same pods; clusterIP cannot be changed on an existing Service"
    ))
    .related(svc.name_location(), format!("Service `{name}` has a cluster IP"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::findings_in;

    const STS: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db-headless
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
";

    fn service(name: &str, headless: bool) -> String {
        let ip = if headless { "\n  clusterIP: None" } else { "" };
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: data}}\nspec:\n  selector: {{app: db}}{ip}\n  ports: [{{port: 5432}}]\n"
        )
    }

    #[test]
    fn a_headless_service_is_fine() {
        let yaml = format!("{STS}{}", service("db-headless", true));
        assert!(findings_in(check, &yaml).is_empty());
    }

    #[test]
    fn a_missing_service_is_reported_with_the_closest() {
        let yaml = format!("{STS}{}", service("db-headles", true));
        let f = findings_in(check, &yaml);
        assert_eq!(f.len(), 1);
        assert!(f[0].help.as_deref().unwrap().contains("`db-headles`"));
    }

    #[test]
    fn a_service_with_a_cluster_ip_is_reported() {
        let yaml = format!("{STS}{}", service("db-headless", false));
        let f = findings_in(check, &yaml);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("not headless"));
    }

    #[test]
    fn a_name_no_service_of_the_pods_answers_to_is_a_placeholder() {
        let other = service("db-headles", true).replace("{app: db}", "{app: other}");
        assert!(findings_in(check, &format!("{STS}{other}")).is_empty());
    }

    #[test]
    fn no_service_name_and_a_chart_in_the_namespace_are_fine() {
        assert!(findings_in(check, &STS.replace("  serviceName: db-headless\n", "")).is_empty());
        let chart = "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: db, namespace: data}\nspec:\n  chart: {spec: {chart: postgresql, sourceRef: {kind: HelmRepository, name: bitnami}}}\n";
        assert!(findings_in(check, &format!("{STS}{chart}")).is_empty());
    }
}
