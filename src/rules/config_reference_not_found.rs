//! config-reference-not-found: a pod's `envFrom`, `env.valueFrom`, volume or
//! `imagePullSecrets` names a ConfigMap or Secret that nothing in the tree makes (and that is not
//! `optional: true`): the kubelet cannot start the container, or mount the volume.

use super::{Category, Facts, Rule, RuleMeta, explained};
use crate::catalog::{Catalog, Lookup};
use crate::diagnostic::{Finding, Severity};
use crate::model::suggest::{closest, only_close};
use crate::model::workload::{ConfigKind, ConfigRef, Workload};
use crate::model::{Object, Origin};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "config-reference-not-found",
    severity: Severity::Warning,
    category: Category::Kubernetes,
    summary: "a pod reads a ConfigMap or Secret that nothing in the tree makes",
};

pub const RULE: Rule = Rule { meta: &META, check };

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for (o, w) in catalog.written_workloads() {
        let Some(ns) = o.namespace.as_deref() else {
            continue;
        };
        for r in w.config_refs.iter() {
            if r.in_every_namespace() {
                continue;
            }
            let kind = r.kind.kind();
            if catalog.lookup_for_workload(w, kind, ns, r.name.as_str()) != Lookup::Missing {
                continue;
            }
            let Some(at) = o.at(r.name.span) else {
                continue;
            };
            out.push(finding(catalog, o, w, r, ns, at));
        }
    }
}

/// What the kubelet does without it, as `kubectl describe pod` shows it.
fn consequence(r: &ConfigRef) -> &'static str {
    match (r.container.is_some(), r.kind, r.via.as_str()) {
        (true, ConfigKind::ConfigMap, _) => {
            "the container does not start (CreateContainerConfigError: configmap not found)"
        }
        (true, ConfigKind::Secret, _) => {
            "the container does not start (CreateContainerConfigError: secret not found)"
        }
        (false, _, "imagePullSecrets") => {
            "the kubelet pulls the image without these credentials (FailedToRetrieveImagePullSecret), so a private image fails to pull"
        }
        _ => "the volume does not mount and the pod stays in ContainerCreating (FailedMount)",
    }
}

fn finding(
    catalog: &Catalog,
    o: &Object,
    w: &Workload,
    r: &ConfigRef,
    ns: &str,
    at: Location,
) -> Finding {
    let kind = r.kind.kind();
    let name = r.name.as_str();
    let who = match &r.container {
        Some(c) => format!("container `{c}` of {} {}", o.kind, o.qualified_name()),
        None => format!("{} {}", o.kind, o.qualified_name()),
    };
    let base = Finding::new(
        &META,
        at,
        format!(
            "{who}: {} names {kind} `{name}`, which nothing in the tree makes in namespace {ns}: {}",
            r.via,
            consequence(r)
        ),
    )
    .object(o)
    .field(match &r.container {
        Some(c) => format!("containers[{c}].{}[{kind} {name}]", r.via),
        None => format!("{}[{kind} {name}]", r.via),
    })
    .label(format!("no {kind} `{name}` in {ns}"));
    if let Some(reason) = catalog.miss_reason("", kind, Some(ns), name) {
        return explained(base, reason);
    }
    let external = format!(
        "if it is made outside the tree, declare it in .cilint.yaml: `external: [{{kind: {kind}, namespace: {ns}, name: {name}}}]`"
    );
    let renamed = w.renamed.as_ref().map(|b| format!("{}{name}{}", b.0, b.1));
    let near = closest(name, catalog.names_in("", kind, Some(ns))).or_else(|| {
        renamed
            .as_deref()
            .and_then(|n| closest(n, catalog.names_in("", kind, Some(ns))))
    });
    let elsewhere: Vec<&Object> = catalog.same_name_elsewhere("", kind, name);
    let help = match (near, elsewhere.first()) {
        (Some(near), _) => format!("did you mean `{near}`? Otherwise, {external}"),
        (None, Some(other)) => format!(
            "{kind} `{name}` is in namespace {}, and a pod reads only its own namespace's: make it in {ns} too; or {external}",
            other.namespace.as_deref().unwrap_or_default()
        ),
        (None, None) => format!(
            "add the {kind} ({}), mark the reference `optional: true` if the pod runs without it, or, {external}",
            match r.kind {
                ConfigKind::Secret =>
                    "a manifest, a kustomize secretGenerator, an ExternalSecret or a SealedSecret",
                ConfigKind::ConfigMap => "a manifest or a kustomize configMapGenerator",
            }
        ),
    };
    let mut f = base.help(help);
    // Renamed only when the name as written is one typo from one existing name (a name that
    // kustomize prefixes is matched against the prefixed names, and left alone).
    if let Some(near) =
        near.filter(|n| only_close(name, catalog.names_in("", kind, Some(ns))) == Some(*n))
    {
        f = f.rename(name, near, format!("name {kind} `{near}`"));
    }
    for other in elsewhere.iter().take(3) {
        let message = format!(
            "{kind} `{name}` is in namespace {}",
            other.namespace.as_deref().unwrap_or_default()
        );
        let at = match other.origin {
            Origin::Generated { by } => catalog.object(by).name_location(),
            _ => other.name_location(),
        };
        f = f.related(at, message);
    }
    f.help_note(catalog.strict_note("", kind, Some(ns), name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::findings_in;

    const POD: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      imagePullSecrets: [{name: regcred}]
      containers:
        - name: web
          envFrom: [{configMapRef: {name: web-env}}, {secretRef: {name: web-secrets, optional: true}}]
          env:
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db-app, key: password}}}
      volumes:
        - {name: ca, configMap: {name: kube-root-ca.crt}}
        - {name: mesh-ca, configMap: {name: istio-ca-root-cert}}
        - name: tls
          projected: {sources: [{secret: {name: web-tls}}]}
";

    fn messages(extra: &str) -> Vec<String> {
        let mut m: Vec<String> = findings_in(check, &format!("{POD}{extra}"))
            .into_iter()
            .map(|f| f.message)
            .collect();
        m.sort();
        m
    }

    #[test]
    fn every_kind_of_reference_is_checked_once_and_optional_ones_are_not() {
        let m = messages("");
        assert_eq!(m.len(), 4, "{m:#?}");
        assert!(
            m.iter()
                .any(|m| m.contains("envFrom names ConfigMap `web-env`"))
        );
        assert!(
            m.iter()
                .any(|m| m.contains("env DB_PASSWORD names Secret `db-app`"))
        );
        assert!(
            m.iter()
                .any(|m| m.contains("imagePullSecrets names Secret `regcred`"))
        );
        assert!(
            m.iter()
                .any(|m| m.contains("volume tls names Secret `web-tls`"))
        );
    }

    #[test]
    fn makers_in_the_tree_satisfy_them() {
        let makers = "---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-env, namespace: shop}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db-app, namespace: shop}
spec: {target: {name: db-app}}
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: regcred, namespace: shop}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: shop}
spec: {secretName: web-tls}
";
        assert!(messages(makers).is_empty(), "{:#?}", messages(makers));
    }

    #[test]
    fn secret_managers_and_copiers_satisfy_them() {
        let makers = "---
apiVersion: onepassword.com/v1
kind: OnePasswordItem
metadata: {name: regcred, namespace: shop}
---
apiVersion: secrets.hashicorp.com/v1beta1
kind: VaultStaticSecret
metadata: {name: db, namespace: shop}
spec: {destination: {name: db-app, create: true}}
---
apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata: {name: azure, namespace: shop}
spec: {secretObjects: [{secretName: web-tls, type: kubernetes.io/tls}]}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-env
  namespace: config
  annotations: {reflector.v1.k8s.emberstack.com/reflection-auto-enabled: \"true\"}
";
        assert!(messages(makers).is_empty(), "{:#?}", messages(makers));
    }

    #[test]
    fn a_name_an_operators_resource_writes_in_its_spec_is_unverifiable() {
        let mariadb = "---
apiVersion: k8s.mariadb.com/v1alpha1
kind: MariaDB
metadata: {name: mariadb, namespace: shop}
spec:
  passwordSecretKeyRef: {name: db-app, key: password, generate: true}
";
        let m = messages(mariadb);
        assert_eq!(m.len(), 3, "{m:#?}");
        assert!(!m.iter().any(|m| m.contains("db-app")));
        let catalog = crate::catalog::Catalog::of_yaml(&format!("{POD}{mariadb}"), "default");
        assert!(matches!(
            catalog.lookup("", "Secret", Some("shop"), "db-app"),
            Lookup::Unverifiable(r) if r.contains("MariaDB shop/mariadb names it")
        ));
    }

    #[test]
    fn a_chart_in_the_namespace_makes_them_unverifiable() {
        let chart = "---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: shop}
spec: {chart: {spec: {chart: web, sourceRef: {kind: HelmRepository, name: charts}}}}
";
        assert!(messages(chart).is_empty());
    }
}
