//! reference-not-permitted: a route's backendRef or a Gateway's certificate or CA reference
//! points into another namespace, and no ReferenceGrant there admits it.

use super::cross_namespace::{CrossRef, Use, cross_namespace_refs};
use super::{Category, Facts, Rule, RuleMeta};
use crate::analysis::listener_set::{Standing, standing};
use crate::catalog::{Catalog, Lookup, placeholder};
use crate::diagnostic::{Edit, Finding, Fix, Severity};
use crate::model::reference_grant::{ReferenceGrant, grant_version_served};
use crate::model::{GATEWAY_GROUP, Object, Origin, Spec};
use crate::source::Location;

pub static META: RuleMeta = RuleMeta {
    id: "reference-not-permitted",
    severity: Severity::Error,
    category: Category::GatewayApi,
    summary: "a backendRef, certificateRef or CA reference points into another namespace that has no ReferenceGrant admitting it",
};

pub const RULE: Rule = Rule { meta: &META, check };

const CONDITION: &str = "ResolvedRefs=False/RefNotPermitted";

/// The apiVersion of the grants the help writes: served by every Gateway API bundle since v1.0
/// (`v1` only from v1.5).
const GRANT_API_VERSION: &str = "gateway.networking.k8s.io/v1beta1";

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    for r in cross_namespace_refs(catalog) {
        if !checked_kind(&r) || r.has_placeholder() || r.from.unverifiable {
            continue;
        }
        // A ListenerSet that joins no Gateway has no listeners: reported once, as such.
        if r.from.listener_set().is_some()
            && !matches!(standing(catalog, r.from), Standing::Joined(_))
        {
            continue;
        }
        let to_ns = r.namespace.as_str();
        // A target that is missing is the not-found rules' one finding; an unverifiable one
        // still needs the grant once it exists.
        if catalog.lookup(r.group, r.kind, Some(to_ns), r.name.as_str()) == Lookup::Missing {
            continue;
        }
        let Verdict::NotPermitted(near) = verdict(catalog, &r) else {
            continue;
        };
        if catalog.grant_unverifiable(to_ns).is_some() {
            continue;
        }
        let at = Location {
            file: r.file,
            span: r.namespace.span,
        };
        if catalog.in_unverifiable(at) {
            continue;
        }
        out.push(finding(catalog, &r, at, &near));
    }
}

/// The references the controller checks a grant for: a core Service backend (other kinds are
/// InvalidKind first), a core Secret certificate, a core ConfigMap or Secret CA bundle.
fn checked_kind(r: &CrossRef<'_>) -> bool {
    if !r.group.is_empty() {
        return false;
    }
    match r.what {
        Use::Backend => r.kind == "Service",
        Use::Certificate | Use::BackendClientCertificate => r.kind == "Secret",
        Use::ClientCa => matches!(r.kind, "ConfigMap" | "Secret"),
        Use::Mirror => false,
    }
}

enum Verdict<'c> {
    Permitted,
    /// A grant may admit it, but cilint cannot read it (a patch it cannot apply, a placeholder,
    /// a grant declared in the configuration without its spec).
    Unverifiable,
    /// No grant admits it; the grants of the namespace that come closest, each with why not.
    NotPermitted(Vec<(&'c Object, String)>),
}

fn verdict<'c>(catalog: &'c Catalog, r: &CrossRef<'_>) -> Verdict<'c> {
    let from = (r.from.group(), r.from.kind.as_str(), r.from_ns);
    let to = (r.group, r.kind, r.name.as_str());
    let mut near = Vec::new();
    for &id in catalog.in_namespace(GATEWAY_GROUP, "ReferenceGrant", r.namespace.as_str()) {
        let o = catalog.object(id);
        let Spec::ReferenceGrant(grant) = &o.spec else {
            return Verdict::Unverifiable;
        };
        if o.unverifiable || may_admit(grant, r) || admits_from_elsewhere(grant, r) {
            return Verdict::Unverifiable;
        }
        let admits = grant.admits(from, to);
        if admits && grant_version_served(&o.api_version) {
            return Verdict::Permitted;
        }
        if admits {
            // The likeliest fix: said first.
            near.insert(
                0,
                (
                    o,
                    format!(
                        "ReferenceGrant {} would admit it, but its apiVersion {} is served by no \
                     Gateway API release since v1.1: the API server rejects it",
                        o.qualified_name(),
                        o.api_version
                    ),
                ),
            );
        } else if grant.admits_from(from) {
            near.push((
                o,
                format!(
                    "ReferenceGrant {} admits {}s from {}, but its `to` does not list {} `{}`",
                    o.qualified_name(),
                    r.from.kind,
                    r.from_ns,
                    r.kind,
                    r.name.as_str()
                ),
            ));
        } else if grant.admits_to(to) {
            // The same kind and namespace under another group is a typo worth naming.
            let why = match grant
                .from
                .iter()
                .find(|f| f.kind == r.from.kind && f.namespace == r.from_ns)
            {
                Some(f) => format!(
                    "its `from` entry for {}s in namespace {} has group `{}`, not {}",
                    r.from.kind,
                    r.from_ns,
                    f.group,
                    r.from.group()
                ),
                None => format!(
                    "its `from` does not list {}s in namespace {}",
                    r.from.kind, r.from_ns
                ),
            };
            near.push((
                o,
                format!(
                    "ReferenceGrant {} admits {} `{}`, but {why}",
                    o.qualified_name(),
                    r.kind,
                    r.name.as_str(),
                ),
            ));
        }
    }
    Verdict::NotPermitted(near)
}

/// A grant written with a placeholder where it would match (`namespace: ${APP_NS}`): it may
/// admit the reference once rendered.
fn may_admit(grant: &ReferenceGrant, r: &CrossRef<'_>) -> bool {
    let from = grant.from.iter().any(|f| {
        f.group == r.from.group()
            && f.kind == r.from.kind
            && (f.namespace == r.from_ns || placeholder(&f.namespace).is_some())
    });
    let to = grant.to.iter().any(|t| {
        t.group == r.group
            && t.kind == r.kind
            && t.name
                .as_deref()
                .is_none_or(|n| n == r.name.as_str() || placeholder(n).is_some())
    });
    let templated = grant
        .from
        .iter()
        .any(|f| placeholder(&f.namespace).is_some())
        || grant
            .to
            .iter()
            .any(|t| t.name.as_deref().and_then(placeholder).is_some());
    templated && from && to
}

/// For an object without `metadata.namespace`, placed in the run's `--namespace`: a grant that
/// admits it from another namespace may be the one it lands in when applied.
fn admits_from_elsewhere(grant: &ReferenceGrant, r: &CrossRef<'_>) -> bool {
    r.from.namespace_defaulted
        && grant.admits_to((r.group, r.kind, r.name.as_str()))
        && grant
            .from
            .iter()
            .any(|f| f.group == r.from.group() && f.kind == r.from.kind && f.namespace != r.from_ns)
}

fn finding(
    catalog: &Catalog,
    r: &CrossRef<'_>,
    at: Location,
    near: &[(&Object, String)],
) -> Finding {
    let to_ns = r.namespace.as_str();
    let name = r.name.as_str();
    let (what, consequence) = describe(r);
    let mut f = Finding::new(
        &META,
        at,
        format!(
            "{} {}: {what} to {} {to_ns}/{name} is not permitted: no ReferenceGrant in namespace \
             {to_ns} lets {}s from {} refer to it",
            r.from.kind,
            r.from.qualified_name(),
            r.kind,
            r.from.kind,
            r.from_ns
        ),
    )
    .object(r.from)
    .field(format!("{}.namespace", r.field))
    .label(format!("no ReferenceGrant in {to_ns} admits this"))
    .condition(CONDITION)
    .help(help(r, near, consequence));
    if let Some(l) = r.listener {
        f = f.related(
            Some(Location {
                file: r.file,
                span: l.name.span,
            }),
            format!(
                "listener {} gets ResolvedRefs=False/RefNotPermitted and is not programmed with \
                 this certificate",
                l.describe()
            ),
        );
    }
    if let Lookup::Found(id) = catalog.lookup(r.group, r.kind, Some(to_ns), name) {
        let note = match catalog.generator(id).map(|by| catalog.object(by)) {
            Some(by) => format!(
                "{} {} makes {} {to_ns}/{name}, in another namespace",
                by.kind,
                by.qualified_name(),
                r.kind
            ),
            None => format!("{} {to_ns}/{name} exists, in another namespace", r.kind),
        };
        f = f.related(catalog.report_location(id), note);
    }
    for (grant, why) in near {
        f = f.related(grant.name_location(), why.clone());
    }
    if near.is_empty() {
        f = with_grant_fix(f, catalog, r);
    }
    f.help_note(catalog.strict.then(|| {
        "; reported in strict mode, though a grant may be created outside the tree".to_string()
    }))
}

/// The unsafe fix: a new file holding the grant, beside the manifest of the object referred to
/// (a grant makes a namespace trust another: the user decides).
fn with_grant_fix(f: Finding, catalog: &Catalog, r: &CrossRef<'_>) -> Finding {
    let to_ns = r.namespace.as_str();
    let Lookup::Found(id) = catalog.lookup(r.group, r.kind, Some(to_ns), r.name.as_str()) else {
        return f;
    };
    let target = catalog.object(id);
    let (Origin::Manifest, Some(beside)) = (&target.origin, target.name_location()) else {
        return f;
    };
    let from_kind = r.from.kind.to_ascii_lowercase();
    let kind = r.kind.to_ascii_lowercase();
    let name = format!(
        "allow-{from_kind}s-from-{}-to-{kind}-{}",
        r.from_ns,
        r.name.as_str()
    );
    if name.len() > 253 {
        return f;
    }
    let content = format!(
        "apiVersion: {GRANT_API_VERSION}\n\
         kind: ReferenceGrant\n\
         metadata:\n  \
           name: {name}\n  \
           namespace: {to_ns}\n\
         spec:\n  \
           from:\n  \
           - group: {}\n    \
             kind: {}\n    \
             namespace: {}\n  \
           to:\n  \
           - group: \"\"\n    \
             kind: {}\n    \
             name: {}\n",
        match r.from.group() {
            "" => "\"\"",
            g => g,
        },
        r.from.kind,
        r.from_ns,
        r.kind,
        r.name.as_str()
    );
    f.fix(Fix::unsafe_(
        format!("create ReferenceGrant {to_ns}/{name} in a new file"),
        vec![Edit::CreateBeside {
            beside,
            name: format!(
                "referencegrant-{}-to-{kind}-{}.yaml",
                r.from_ns,
                r.name.as_str()
            ),
            content,
        }],
    ))
}

/// The reference in words, and what happens until it is permitted.
fn describe(r: &CrossRef<'_>) -> (String, &'static str) {
    match r.what {
        Use::Backend | Use::Mirror => (
            "backendRef".into(),
            "until then the backend does not resolve and this route rule answers its share of \
             requests with HTTP 500",
        ),
        Use::Certificate => (
            match r.listener {
                Some(l) => format!("listener `{}` certificateRef", l.name.value),
                None => "certificateRef".into(),
            },
            "until then Cilium skips this certificate for the listener",
        ),
        Use::ClientCa => (
            "client-certificate CA reference".into(),
            "until then every HTTPS listener it applies to is ResolvedRefs=False, and not \
             Accepted (NoValidCACertificate) when no CA reference of it is valid",
        ),
        Use::BackendClientCertificate => (
            "backend client certificate reference".into(),
            "until then the Gateway is ResolvedRefs=False/RefNotPermitted and presents no client \
             certificate to backends",
        ),
    }
}

/// The fix: the exact ReferenceGrant to add, or the grant that comes closest to change.
fn help(r: &CrossRef<'_>, near: &[(&Object, String)], consequence: &str) -> String {
    let to_ns = r.namespace.as_str();
    let from_kind = r.from.kind.as_str();
    let lead = match near.first() {
        Some((grant, _)) if !grant_version_served(&grant.api_version) => format!(
            "set `apiVersion: {GRANT_API_VERSION}` on ReferenceGrant {}, or add",
            grant.qualified_name()
        ),
        Some((grant, _)) => format!(
            "extend ReferenceGrant {} to admit it, or add",
            grant.qualified_name()
        ),
        None => "add".into(),
    };
    format!(
        "{lead} this ReferenceGrant in namespace {to_ns} ({consequence}):\n\
         apiVersion: {GRANT_API_VERSION}\n\
         kind: ReferenceGrant\n\
         metadata:\n  \
           name: allow-{}s-from-{}\n  \
           namespace: {to_ns}\n\
         spec:\n  \
           from:\n  \
           - group: {}\n    \
             kind: {from_kind}\n    \
             namespace: {}\n  \
           to:\n  \
           - group: \"\"\n    \
             kind: {}\n    \
             name: {}",
        from_kind.to_ascii_lowercase(),
        r.from_ns,
        r.from.group(),
        r.from_ns,
        r.kind,
        r.name.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: storefront, namespace: shop}
spec:
  rules:
  - backendRefs:
    - {name: catalog, namespace: shared, port: 8080}
";
    const SERVICE: &str = "
apiVersion: v1
kind: Service
metadata: {name: catalog, namespace: shared}
spec: {ports: [{port: 8080}]}
";

    fn findings(yaml: &str) -> Vec<Finding> {
        crate::rules::findings_in(check, yaml)
    }

    fn grant(api_version: &str, from_ns: &str, to_name: &str) -> String {
        format!(
            "
apiVersion: gateway.networking.k8s.io/{api_version}
kind: ReferenceGrant
metadata: {{name: g, namespace: shared}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: '{from_ns}'}}]
  to: [{{group: '', kind: Service, name: '{to_name}'}}]
"
        )
    }

    fn docs(parts: &[&str]) -> String {
        parts.join("---")
    }

    #[test]
    fn a_cross_namespace_backend_needs_a_grant_that_admits_it() {
        let without = findings(&docs(&[ROUTE, SERVICE]));
        assert_eq!(without.len(), 1);
        assert_eq!(without[0].condition.as_deref(), Some(CONDITION));
        assert!(
            without[0]
                .help
                .as_deref()
                .unwrap()
                .contains("kind: HTTPRoute\n    namespace: shop")
        );
        assert!(
            findings(&docs(&[
                ROUTE,
                SERVICE,
                &grant("v1beta1", "shop", "catalog")
            ]))
            .is_empty()
        );
        assert!(findings(&docs(&[ROUTE, SERVICE, &grant("v1", "shop", "catalog")])).is_empty());
        // The wrong namespace, the wrong name, a version no bundle serves: not admitted.
        for g in [
            grant("v1beta1", "blog", "catalog"),
            grant("v1beta1", "shop", "reviews"),
            grant("v1alpha2", "shop", "catalog"),
        ] {
            let f = findings(&docs(&[ROUTE, SERVICE, &g]));
            assert_eq!(f.len(), 1, "{g}");
            assert_eq!(f[0].related.len(), 2, "the Service and the near grant: {g}");
        }
    }

    #[test]
    fn a_route_without_a_namespace_may_land_where_a_grant_admits_it() {
        let defaulted = ROUTE.replace(", namespace: shop}", "}");
        assert!(
            findings(&docs(&[
                &defaulted,
                SERVICE,
                &grant("v1beta1", "shop", "catalog")
            ]))
            .is_empty()
        );
        assert_eq!(findings(&docs(&[&defaulted, SERVICE])).len(), 1);
    }

    #[test]
    fn a_mesh_route_needs_no_grant_but_a_gateway_bound_one_does() {
        // A consumer route of GAMMA (GEP-1294): attached to a Service, no grant needed.
        let mesh = ROUTE.replace(
            "spec:\n",
            "spec:\n  parentRefs: [{group: '', kind: Service, name: catalog, namespace: shared}]\n",
        );
        assert!(findings(&docs(&[&mesh, SERVICE])).is_empty());
        let both = ROUTE.replace(
            "spec:\n",
            "spec:\n  parentRefs:\n  - {group: '', kind: Service, name: catalog, namespace: shared}\n  - {name: web, namespace: infra}\n",
        );
        assert_eq!(findings(&docs(&[&both, SERVICE])).len(), 1);
    }

    #[test]
    fn a_missing_target_is_the_not_found_rules_finding() {
        assert!(findings(ROUTE).is_empty());
    }

    #[test]
    fn placeholders_and_templated_grants_are_unverifiable() {
        let templated_route = ROUTE.replace("namespace: shared", "namespace: '${SHARED_NS}'");
        assert!(findings(&docs(&[&templated_route, SERVICE])).is_empty());
        let templated_grant = grant("v1beta1", "${APP_NS}", "catalog");
        assert!(findings(&docs(&[ROUTE, SERVICE, &templated_grant])).is_empty());
    }

    #[test]
    fn only_a_chart_of_the_repository_may_ship_the_grant() {
        let release = |chart: &str| {
            format!(
                "
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: analytics, namespace: flux-system}}
spec:
  targetNamespace: shared
  chart:
    spec:
      chart: {chart}
"
            )
        };
        let in_git = release("./charts/analytics");
        assert!(findings(&docs(&[ROUTE, SERVICE, &in_git])).is_empty());
        let from_repository = release("metabase");
        assert_eq!(
            findings(&docs(&[ROUTE, SERVICE, &from_repository])).len(),
            1
        );
    }

    #[test]
    fn gateway_certificates_and_ca_bundles_need_grants_too() {
        let gateway = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: gateway}
spec:
  gatewayClassName: cilium
  tls:
    frontend:
      default:
        validation:
          caCertificateRefs: [{group: '', kind: ConfigMap, name: client-ca, namespace: pki}]
    backend:
      clientCertificateRef: {name: gw-client, namespace: pki}
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs: [{name: wildcard, namespace: certs}]
";
        let targets = "
apiVersion: v1
kind: Secret
metadata: {name: wildcard, namespace: certs}
type: kubernetes.io/tls
---
apiVersion: v1
kind: ConfigMap
metadata: {name: client-ca, namespace: pki}
---
apiVersion: v1
kind: Secret
metadata: {name: gw-client, namespace: pki}
type: kubernetes.io/tls
";
        let fields: Vec<String> = findings(&docs(&[gateway, targets]))
            .into_iter()
            .filter_map(|f| f.field)
            .collect();
        assert_eq!(
            fields,
            [
                "spec.listeners[0].tls.certificateRefs[0].namespace",
                "spec.tls.frontend.default.validation.caCertificateRefs[0].namespace",
                "spec.tls.backend.clientCertificateRef.namespace",
            ]
        );
        let grant = "
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: gateway, namespace: pki}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: gateway}]
  to: [{group: '', kind: ConfigMap}, {group: '', kind: Secret, name: gw-client}]
";
        assert_eq!(findings(&docs(&[gateway, targets, grant])).len(), 1);
    }
}
