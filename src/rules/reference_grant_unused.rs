//! reference-grant-unused: a ReferenceGrant admits references that nothing in the tree makes.

use std::collections::HashSet;

use super::cross_namespace::{CrossRef, cross_namespace_refs};
use super::{Category, Facts, Rule, RuleMeta};
use crate::catalog::{Catalog, placeholder};
use crate::diagnostic::{Finding, Severity};
use crate::model::listener_set::is_listener_set;
use crate::model::reference_grant::{GrantFrom, GrantTo, ReferenceGrant};
use crate::model::route::RouteKind;
use crate::model::{GATEWAY_GROUP, Object, Origin, Spec};

pub static META: RuleMeta = RuleMeta {
    id: "reference-grant-unused",
    severity: Severity::Note,
    category: Category::GatewayApi,
    summary: "a ReferenceGrant admits references that no route or Gateway in the tree makes",
};

pub const RULE: Rule = Rule { meta: &META, check };

/// (from group, from kind, from namespace, to group, to kind, to namespace).
type Pair<'c> = (&'c str, &'c str, &'c str, &'c str, &'c str, &'c str);

/// The references of the tree, indexed by what a grant's entries match.
struct Uses<'c> {
    /// Every (pair, name).
    named: HashSet<(Pair<'c>, &'c str)>,
    /// Every pair, whatever the name; a name with a placeholder may be any.
    any_name: HashSet<Pair<'c>>,
    /// Pairs written with a placeholder name.
    templated_name: HashSet<Pair<'c>>,
    /// (from group, kind, namespace) of references whose target namespace is a placeholder:
    /// any grant of theirs may be the one used.
    templated_namespace: HashSet<(&'c str, &'c str, &'c str)>,
    /// (from group, kind, to group, kind, to namespace) of references whose object has no
    /// `metadata.namespace`: applied elsewhere than `--namespace`, it may be the grant's use.
    floating: HashSet<(&'c str, &'c str, &'c str, &'c str, &'c str)>,
}

impl<'c> Uses<'c> {
    fn of(refs: &'c [CrossRef<'c>]) -> Uses<'c> {
        let mut uses = Uses {
            named: HashSet::new(),
            any_name: HashSet::new(),
            templated_name: HashSet::new(),
            templated_namespace: HashSet::new(),
            floating: HashSet::new(),
        };
        for r in refs {
            if placeholder(r.namespace.as_str()).is_some() {
                uses.templated_namespace
                    .insert((r.from.group(), r.from.kind.as_str(), r.from_ns));
                continue;
            }
            if r.from.namespace_defaulted {
                uses.floating.insert((
                    r.from.group(),
                    r.from.kind.as_str(),
                    r.group,
                    r.kind,
                    r.namespace.as_str(),
                ));
            }
            let pair = (
                r.from.group(),
                r.from.kind.as_str(),
                r.from_ns,
                r.group,
                r.kind,
                r.namespace.as_str(),
            );
            uses.any_name.insert(pair);
            if placeholder(r.name.as_str()).is_some() {
                uses.templated_name.insert(pair);
            }
            uses.named.insert((pair, r.name.as_str()));
        }
        uses
    }

    fn uses(&self, f: &GrantFrom, t: &GrantTo, ns: &str) -> bool {
        let pair = (
            f.group.as_str(),
            f.kind.as_str(),
            f.namespace.as_str(),
            t.group.as_str(),
            t.kind.as_str(),
            ns,
        );
        match &t.name {
            None => self.any_name.contains(&pair),
            Some(name) => {
                self.named.contains(&(pair, name.as_str()))
                    || self.templated_name.contains(&pair)
                    || placeholder(name).is_some() && self.any_name.contains(&pair)
            }
        }
    }
}

fn check(catalog: &Facts<'_>, out: &mut Vec<Finding>) {
    let grants = catalog.of_kind(GATEWAY_GROUP, "ReferenceGrant");
    if grants.is_empty() {
        return;
    }
    let refs = cross_namespace_refs(catalog);
    let uses = Uses::of(&refs);
    for &id in grants {
        let o = catalog.object(id);
        let (Spec::ReferenceGrant(grant), Some(ns), Origin::Manifest, false) =
            (&o.spec, o.namespace.as_deref(), &o.origin, o.unverifiable)
        else {
            continue;
        };
        if grant.from.is_empty() || grant.to.is_empty() || placeholder(ns).is_some() {
            continue;
        }
        if !verifiable(catalog, grant, ns, &uses) {
            continue;
        }
        let used = grant
            .from
            .iter()
            .any(|f| grant.to.iter().any(|t| uses.uses(f, t, ns)));
        if !used && let Some(location) = o.name_location() {
            out.push(finding(o, grant, ns, location));
        }
    }
}

/// Whether every use the grant could have is one cilint sees: each `from` is a kind cilint
/// reads every reference of, in a namespace whose objects of that kind the tree holds (at
/// least one, else they live in another repository) and nothing unseen may add to; each `to`
/// is a kind those references name.
fn verifiable(catalog: &Catalog, grant: &ReferenceGrant, ns: &str, uses: &Uses<'_>) -> bool {
    grant.from.iter().all(|f| {
        let is_route = f.group == GATEWAY_GROUP && RouteKind::from_kind(&f.kind).is_some();
        let is_gateway = f.group == GATEWAY_GROUP && f.kind == "Gateway";
        let is_listener_set = is_listener_set(&f.group, &f.kind);
        let targets_known = grant.to.iter().all(|t| {
            t.group.is_empty()
                && if is_route {
                    t.kind == "Service"
                } else {
                    (is_gateway && matches!(t.kind.as_str(), "Secret" | "ConfigMap"))
                        || (is_listener_set && t.kind == "Secret")
                }
        });
        let from_ns = f.namespace.as_str();
        let floating = grant.to.iter().any(|t| {
            uses.floating
                .contains(&(f.group.as_str(), f.kind.as_str(), &t.group, &t.kind, ns))
        });
        targets_known
            && !floating
            && from_ns != ns
            && placeholder(from_ns).is_none()
            && !uses
                .templated_namespace
                .contains(&(f.group.as_str(), f.kind.as_str(), from_ns))
            && all_read(catalog, &f.group, &f.kind, from_ns)
            && catalog
                .namespace_unseen(&f.group, &f.kind, from_ns)
                .is_none()
    })
}

/// Whether the tree holds objects of the kind in the namespace, each written in a manifest
/// whose references cilint read (one declared in the configuration has no known spec).
fn all_read(catalog: &Catalog, group: &str, kind: &str, namespace: &str) -> bool {
    let ids = catalog.in_namespace(group, kind, namespace);
    !ids.is_empty()
        && ids.iter().all(|&id| {
            let o = catalog.object(id);
            o.origin == Origin::Manifest
                && (o.route().is_some() || o.gateway().is_some() || o.listener_set().is_some())
        })
}

fn finding(
    o: &Object,
    grant: &ReferenceGrant,
    ns: &str,
    location: crate::source::Location,
) -> Finding {
    let from: Vec<String> = grant
        .from
        .iter()
        .map(|f| format!("{}s in {}", f.kind, f.namespace))
        .collect();
    let to: Vec<String> = grant
        .to
        .iter()
        .map(|t| match &t.name {
            Some(n) => format!("{} `{n}`", t.kind),
            None => format!("every {}", t.kind),
        })
        .collect();
    Finding::new(
        &META,
        location,
        format!(
            "ReferenceGrant {}: admits {} to refer to {} in namespace {ns}, but none in the tree \
             does",
            o.qualified_name(),
            from.join(" and "),
            to.join(" and "),
        ),
    )
    .object(o)
    .field("spec")
    .label("admits references nothing makes")
    .help(format!(
        "delete this ReferenceGrant, or narrow it to the references that need it: an unused \
         grant still lets whoever can write {} refer to {} in {ns}. If the objects that use it \
         live outside this repository, keep it and add the annotation `cilint.io/ignore: \
         reference-grant-unused` to it",
        from.join(" or "),
        to.join(" or ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRANT: &str = "
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: shop-catalog, namespace: shared}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: '', kind: Service, name: catalog}]
";

    fn route(rule: &str) -> String {
        format!(
            "
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: storefront, namespace: shop}}
spec:
  rules:
  - {rule}
"
        )
    }

    fn findings(parts: &[&str]) -> Vec<Finding> {
        let c = Catalog::of_yaml(&parts.join("---"), "default");
        let mut out = Vec::new();
        check(&Facts::new(&c), &mut out);
        out
    }

    #[test]
    fn a_grant_no_reference_uses_is_reported() {
        let local = route("backendRefs: [{name: catalog, port: 8080}]");
        let f = findings(&[GRANT, &local]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Note);
        // Another name than the grant's is no use of it either.
        let other = route("backendRefs: [{name: reviews, namespace: shared, port: 8080}]");
        assert_eq!(findings(&[GRANT, &other]).len(), 1);
    }

    #[test]
    fn backend_and_mirror_references_use_it_whether_or_not_the_service_exists() {
        let backend = route("backendRefs: [{name: catalog, namespace: shared, port: 8080}]");
        assert!(findings(&[GRANT, &backend]).is_empty());
        let mirror = route(
            "filters: [{type: RequestMirror, requestMirror: {backendRef: {name: catalog, namespace: shared, port: 8080}}}]",
        );
        assert!(findings(&[GRANT, &mirror]).is_empty());
        let templated = route("backendRefs: [{name: '${SVC}', namespace: shared, port: 8080}]");
        assert!(findings(&[GRANT, &templated]).is_empty());
    }

    #[test]
    fn a_route_without_a_namespace_may_be_its_use() {
        let local = route("backendRefs: [{name: catalog, port: 8080}]");
        let floating = "
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: admin}
spec:
  rules:
  - backendRefs: [{name: catalog, namespace: shared, port: 8080}]
";
        assert!(findings(&[GRANT, &local, floating]).is_empty());
    }

    #[test]
    fn uses_out_of_sight_keep_it_silent() {
        // No HTTPRoute of shop in the tree: they live in another repository.
        assert!(findings(&[GRANT]).is_empty());
        // A chart deployed into shop may ship HTTPRoutes.
        let local = route("backendRefs: [{name: catalog, port: 8080}]");
        let chart = "
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: flux-system}
spec:
  targetNamespace: shop
  chart: {spec: {chart: podinfo}}
";
        assert!(findings(&[GRANT, &local, chart]).is_empty());
        // A kind cilint does not read every reference of.
        let listener_set = GRANT
            .replace("kind: HTTPRoute", "kind: ListenerSet")
            .replace("kind: Service", "kind: Secret");
        assert!(findings(&[&listener_set, &local]).is_empty());
    }

    #[test]
    fn a_route_declared_in_the_configuration_may_use_it() {
        let source = crate::source::SourceFile {
            path: "test.yaml".into(),
            kind: crate::source::FileKind::Yaml,
            text: GRANT.into(),
        };
        let file = crate::source::FileId(0);
        let contents = crate::load::parse(file, &source, true, "default");
        let external = crate::config::ExternalObject {
            api_version: "gateway.networking.k8s.io/v1".into(),
            kind: "HTTPRoute".into(),
            namespace: Some("shop".into()),
            name: "legacy".into(),
            labels: Vec::new(),
        };
        let c = Catalog::build(vec![(file, contents)], "default", &[external]);
        let mut out = Vec::new();
        check(&Facts::new(&c), &mut out);
        assert!(out.is_empty());
    }
}
