//! Whether a route's parentRef attaches to a Gateway, evaluated in the order the Gateway API
//! defines: listener selection (sectionName/port), then allowedRoutes (namespaces and kinds),
//! then hostname intersection. Each stage narrows the listeners of the one before, and the first
//! stage left with none is the reason the route is not Accepted, so one broken parentRef yields
//! exactly one reason. The route-listener-not-found, route-not-allowed and
//! route-hostname-mismatch rules each report one stage.

use super::listener_set::{Standing, listeners_of, standing};
use crate::catalog::{Catalog, Lookup, NAMESPACE_NAME_LABEL};
use crate::model::gateway::{FromNamespaces, Listener};
use crate::model::route::{ParentRef, Route, RouteKind};
use crate::model::selector::LabelSelector;
use crate::model::{GATEWAY_GROUP, Object, hostname, label_value};

/// The route kinds, in the order messages list them.
pub const ROUTE_KINDS: [RouteKind; 5] = [
    RouteKind::Http,
    RouteKind::Grpc,
    RouteKind::Tls,
    RouteKind::Tcp,
    RouteKind::Udp,
];

/// The outcome of attaching one parentRef to one Gateway.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// Some listener accepts the route, or cilint cannot tell (a Namespace outside the tree).
    Accepted,
    /// Stage 1: no listener has the parentRef's sectionName and/or port.
    NoMatchingParent,
    /// Stage 2: every selected listener refuses the route's namespace or kind.
    NotAllowedByListeners(Vec<Refusal<'a>>),
    /// Stage 3: no admitting listener's hostname intersects the route's hostnames. Holds the
    /// admitting listeners.
    NoMatchingListenerHostname(Vec<&'a Listener>),
}

/// Why one listener refuses a route (at least one of the two fields says so).
#[derive(Debug)]
pub struct Refusal<'a> {
    pub listener: &'a Listener,
    /// `None` when the namespace is admitted (or cannot be decided).
    pub namespace: Option<NamespaceRefusal>,
    /// Whether the route's kind is outside the listener's kinds.
    pub kind: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NamespaceRefusal {
    /// `from: Same` (written, or the default) and the route lives in another namespace.
    Same,
    /// `from: Selector` and the route's Namespace fails these terms (`key=value`, `key in (…)`).
    /// `namespace_in_tree` is false when only the automatic `kubernetes.io/metadata.name` label
    /// was known; `by_name` is true when every failing term is on that label, which no one can
    /// set, so the fix is the selector, not the Namespace's labels.
    Selector {
        failing: Vec<String>,
        namespace_in_tree: bool,
        by_name: bool,
    },
    /// `from: Selector` with no selector, or one with an unknown operator: no namespace matches.
    SelectsNothing,
}

/// What a listener's `allowedRoutes.namespaces` says about a namespace.
#[derive(Debug, PartialEq)]
pub(super) enum NamespaceCheck {
    Admitted,
    Unverifiable,
    Refused(NamespaceRefusal),
}

/// One parentRef of a route that names a Gateway in the tree, or a ListenerSet in the tree that
/// joins its Gateway, with its outcome.
pub struct Attempt<'a> {
    pub route: &'a Object,
    pub spec: &'a Route,
    pub parent: &'a ParentRef,
    /// The parent: a Gateway, or a ListenerSet.
    pub gateway: &'a Object,
    pub outcome: Outcome<'a>,
}

impl<'a> Attempt<'a> {
    /// The listeners the parentRef chooses among: the Gateway's, or the ListenerSet's only (a
    /// route attached to a set never reaches the Gateway's own listeners, and the reverse).
    pub fn listeners(&self) -> &'a [Listener] {
        listeners_of(self.gateway)
    }

    /// `Gateway infra/web` or `ListenerSet team-a/apps`, for messages.
    pub fn parent_label(&self) -> String {
        format!("{} {}", self.gateway.kind, self.gateway.qualified_name())
    }
}

/// Every route object of every kind, with its spec.
pub fn routes(catalog: &Catalog) -> impl Iterator<Item = (&Object, &Route)> {
    ROUTE_KINDS.iter().flat_map(move |k| {
        catalog
            .of_kind(GATEWAY_GROUP, k.as_str())
            .iter()
            .filter_map(move |&id| {
                let o = catalog.object(id);
                o.route().map(|r| (o, r))
            })
    })
}

/// The namespace a parentRef points into: its own `namespace`, else the route's.
pub fn parent_namespace<'a>(
    catalog: &'a Catalog,
    route: &'a Object,
    parent: &'a ParentRef,
) -> &'a str {
    parent
        .namespace
        .as_ref()
        .map(|n| n.value.as_str())
        .or(route.namespace.as_deref())
        .unwrap_or(&catalog.default_namespace)
}

/// Every parentRef to a Gateway that is in the tree, attached. parentRefs to missing Gateways are
/// route-parent-not-found's; others (Services, for GAMMA) are not checked.
pub fn attempts(catalog: &Catalog) -> Vec<Attempt<'_>> {
    let mut out = Vec::new();
    for (route, spec) in routes(catalog) {
        for parent in spec.parent_refs.iter() {
            let ns = parent_namespace(catalog, route, parent);
            if parent.is_listener_set() {
                out.extend(set_attempt(catalog, route, spec, parent, ns));
                continue;
            }
            if !parent.is_gateway() {
                continue;
            }
            let Lookup::Found(gw_id) =
                catalog.lookup(GATEWAY_GROUP, "Gateway", Some(ns), &parent.name.value)
            else {
                continue;
            };
            let gateway = catalog.object(gw_id);
            let Some(gw) = gateway.gateway() else {
                continue;
            };
            out.push(Attempt {
                route,
                spec,
                parent,
                gateway,
                outcome: attach(catalog, route, spec, parent, ns, &gw.listeners),
            });
        }
    }
    out
}

/// A parentRef to a ListenerSet, attached to the set's listeners with the set's namespace as
/// `Same` (conformance ListenerSetAllowedRoutesNamespaces). A set that is missing is
/// route-parent-not-found's; one that does not join its Gateway is reported at the set.
fn set_attempt<'a>(
    catalog: &'a Catalog,
    route: &'a Object,
    spec: &'a Route,
    parent: &'a ParentRef,
    ns: &str,
) -> Option<Attempt<'a>> {
    let Lookup::Found(id) =
        catalog.lookup(&parent.group, &parent.kind, Some(ns), &parent.name.value)
    else {
        return None;
    };
    let set = catalog.object(id);
    let listeners = &set.listener_set()?.listeners;
    if !matches!(standing(catalog, set), Standing::Joined(_)) {
        return None;
    }
    Some(Attempt {
        route,
        spec,
        parent,
        gateway: set,
        outcome: attach(catalog, route, spec, parent, ns, listeners),
    })
}

/// Whether a listener is one the parentRef names: by sectionName and/or port, both when both
/// are set, every listener when neither is.
pub fn selects(parent: &ParentRef, listener: &Listener) -> bool {
    parent
        .section_name
        .as_ref()
        .is_none_or(|s| s.value == listener.name.value)
        && parent
            .port
            .as_ref()
            .is_none_or(|p| listener.port == Some(p.value))
}

/// Attaches a route's parentRef to the listeners of a Gateway in `gateway_ns`, stage by stage.
pub fn attach<'a>(
    catalog: &Catalog,
    route: &Object,
    spec: &Route,
    parent: &ParentRef,
    gateway_ns: &str,
    listeners: &'a [Listener],
) -> Outcome<'a> {
    // Stage 1: the listeners the parentRef names.
    let selected: Vec<&Listener> = listeners.iter().filter(|l| selects(parent, l)).collect();
    if selected.is_empty() {
        return Outcome::NoMatchingParent;
    }

    // Stage 2: allowedRoutes. A namespace cilint cannot judge counts as admitted.
    let route_ns = route
        .namespace
        .as_deref()
        .unwrap_or(&catalog.default_namespace);
    let mut admitting = Vec::new();
    let mut refusals = Vec::new();
    for l in selected {
        let namespace = match check_namespace(catalog, l, route_ns, gateway_ns) {
            NamespaceCheck::Refused(r) => Some(r),
            NamespaceCheck::Admitted | NamespaceCheck::Unverifiable => None,
        };
        let kind = !l.admits_kind(spec.kind);
        if namespace.is_none() && !kind {
            admitting.push(l);
        } else {
            refusals.push(Refusal {
                listener: l,
                namespace,
                kind,
            });
        }
    }
    if admitting.is_empty() {
        return Outcome::NotAllowedByListeners(refusals);
    }

    // Stage 3: hostnames, for the kinds that have them.
    if spec.kind.has_hostnames() {
        let hostnames = spec.hostname_strs();
        let matched = admitting.iter().any(|l| {
            hostname::listener_accepts(l.hostname.as_ref().map(|h| h.as_str()), &hostnames)
        });
        if !matched {
            return Outcome::NoMatchingListenerHostname(admitting);
        }
    }
    Outcome::Accepted
}

fn check_namespace(
    catalog: &Catalog,
    listener: &Listener,
    route_ns: &str,
    gateway_ns: &str,
) -> NamespaceCheck {
    let allowed = &listener.allowed_routes;
    match allowed.from {
        FromNamespaces::All => NamespaceCheck::Admitted,
        FromNamespaces::Same if route_ns == gateway_ns => NamespaceCheck::Admitted,
        FromNamespaces::Same => NamespaceCheck::Refused(NamespaceRefusal::Same),
        FromNamespaces::Selector => match &allowed.selector {
            Some(sel) if !sel.invalid => check_selector(catalog, sel, route_ns),
            _ => NamespaceCheck::Refused(NamespaceRefusal::SelectsNothing),
        },
    }
}

/// A Namespace selector against the route's Namespace. When the Namespace is not in the tree only
/// its automatic `kubernetes.io/metadata.name` label is known: a term on that key can still
/// refuse it, but a term on any other key makes the answer unknowable.
pub(super) fn check_selector(
    catalog: &Catalog,
    sel: &LabelSelector,
    namespace: &str,
) -> NamespaceCheck {
    let mut name_terms = sel.clone();
    name_terms
        .match_labels
        .retain(|t| t.key == NAMESPACE_NAME_LABEL);
    name_terms
        .match_expressions
        .retain(|r| r.key == NAMESPACE_NAME_LABEL);
    let name_label = |k: &str| (k == NAMESPACE_NAME_LABEL).then_some(namespace);
    if let Some(labels) = catalog.namespace_labels(namespace) {
        let failing = sel.describe_failures(|k| label_value(&labels, k));
        if failing.is_empty() {
            return NamespaceCheck::Admitted;
        }
        let name_failing = name_terms.describe_failures(name_label);
        return NamespaceCheck::Refused(NamespaceRefusal::Selector {
            by_name: name_failing.len() == failing.len(),
            failing,
            namespace_in_tree: true,
        });
    }
    let failing = name_terms.describe_failures(name_label);
    let other_keys = sel.match_labels.len() + sel.match_expressions.len()
        > name_terms.match_labels.len() + name_terms.match_expressions.len();
    if !failing.is_empty() {
        NamespaceCheck::Refused(NamespaceRefusal::Selector {
            failing,
            namespace_in_tree: false,
            by_name: true,
        })
    } else if other_keys {
        NamespaceCheck::Unverifiable
    } else {
        NamespaceCheck::Admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(yaml: &str) -> Catalog {
        Catalog::of_yaml(yaml, "default")
    }

    /// A Gateway `infra/web` with the given listeners YAML, the route YAML, and extra documents.
    fn outcome_of(listeners: &str, route: &str, extra: &str) -> String {
        let yaml = format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
             metadata: {{name: web, namespace: infra}}\n\
             spec:\n  gatewayClassName: cilium\n  listeners:\n{listeners}\n---\n{route}\n---\n{extra}\n"
        );
        let c = catalog(&yaml);
        let attempts = attempts(&c);
        assert_eq!(attempts.len(), 1, "expected one attempt in:\n{yaml}");
        match &attempts[0].outcome {
            Outcome::Accepted => "Accepted".into(),
            Outcome::NoMatchingParent => "NoMatchingParent".into(),
            Outcome::NotAllowedByListeners(r) => format!(
                "NotAllowedByListeners {:?}",
                r.iter()
                    .map(|r| (r.listener.name.value.as_str(), r.namespace.clone(), r.kind))
                    .collect::<Vec<_>>()
            ),
            Outcome::NoMatchingListenerHostname(l) => format!(
                "NoMatchingListenerHostname {:?}",
                l.iter().map(|l| l.name.value.as_str()).collect::<Vec<_>>()
            ),
        }
    }

    const LISTENERS: &str = "  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
  - {name: https, protocol: HTTPS, port: 443, hostname: '*.example.com', allowedRoutes: {namespaces: {from: All}}}";

    fn http_route(ns: &str, parent: &str, hostnames: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n\
             metadata: {{name: r, namespace: {ns}}}\n\
             spec:\n  parentRefs: [{parent}]\n  hostnames: {hostnames}\n"
        )
    }

    #[test]
    fn stage_one_selects_by_section_name_and_port() {
        let run = |parent: &str| outcome_of(LISTENERS, &http_route("infra", parent, "[]"), "");
        assert_eq!(run("{name: web}"), "Accepted");
        assert_eq!(
            run("{name: web, namespace: infra, sectionName: https}"),
            "Accepted"
        );
        assert_eq!(run("{name: web, sectionName: htps}"), "NoMatchingParent");
        assert_eq!(run("{name: web, port: 443}"), "Accepted");
        assert_eq!(run("{name: web, port: 8443}"), "NoMatchingParent");
        // Both set: one listener must match both.
        assert_eq!(
            run("{name: web, sectionName: https, port: 80}"),
            "NoMatchingParent"
        );
        assert_eq!(run("{name: web, sectionName: http, port: 80}"), "Accepted");
    }

    #[test]
    fn stage_two_namespaces_same_all_and_selector() {
        let same = "  - {name: http, protocol: HTTP, port: 80}";
        assert_eq!(
            outcome_of(same, &http_route("infra", "{name: web}", "[]"), ""),
            "Accepted"
        );
        assert_eq!(
            outcome_of(
                same,
                &http_route("shop", "{name: web, namespace: infra}", "[]"),
                ""
            ),
            r#"NotAllowedByListeners [("http", Some(Same), false)]"#
        );
        let all =
            "  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}";
        assert_eq!(
            outcome_of(
                all,
                &http_route("shop", "{name: web, namespace: infra}", "[]"),
                ""
            ),
            "Accepted"
        );

        let selector = "  - name: http\n    protocol: HTTP\n    port: 80\n    allowedRoutes:\n      namespaces:\n        from: Selector\n        selector: {matchLabels: {gateway-access: 'true'}}";
        let route = http_route("shop", "{name: web, namespace: infra}", "[]");
        let ns = |labels: &str| {
            format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {labels}}}")
        };
        assert_eq!(
            outcome_of(selector, &route, &ns("{gateway-access: 'true'}")),
            "Accepted"
        );
        assert_eq!(
            outcome_of(selector, &route, &ns("{team: shop}")),
            r#"NotAllowedByListeners [("http", Some(Selector { failing: ["gateway-access=true"], namespace_in_tree: true, by_name: false }), false)]"#
        );
        // Namespace not in the tree: its other labels are unknown, so no finding.
        assert_eq!(outcome_of(selector, &route, ""), "Accepted");
    }

    #[test]
    fn stage_two_selector_on_the_automatic_name_label() {
        let by_name = |values: &str| {
            format!(
                "  - name: http\n    protocol: HTTP\n    port: 80\n    allowedRoutes:\n      namespaces:\n        from: Selector\n        selector:\n          matchExpressions:\n          - {{key: kubernetes.io/metadata.name, operator: In, values: {values}}}"
            )
        };
        let route = http_route("shop", "{name: web, namespace: infra}", "[]");
        // Decided without the Namespace object, from the label the API server always sets.
        assert_eq!(outcome_of(&by_name("[shop, blog]"), &route, ""), "Accepted");
        assert_eq!(
            outcome_of(&by_name("[blog]"), &route, ""),
            r#"NotAllowedByListeners [("http", Some(Selector { failing: ["kubernetes.io/metadata.name in (blog)"], namespace_in_tree: false, by_name: true }), false)]"#
        );
        // Also when the Namespace is in the tree without writing the label.
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}";
        assert_eq!(outcome_of(&by_name("[shop]"), &route, ns), "Accepted");
        let missing = "  - name: http\n    protocol: HTTP\n    port: 80\n    allowedRoutes: {namespaces: {from: Selector}}";
        assert_eq!(
            outcome_of(missing, &route, ns),
            r#"NotAllowedByListeners [("http", Some(SelectsNothing), false)]"#
        );
    }

    #[test]
    fn stage_two_kinds() {
        let https = "  - {name: https, protocol: HTTPS, port: 443}";
        let tls = "  - {name: tls, protocol: TLS, port: 443, tls: {mode: Passthrough}}";
        let route = |kind: &str| {
            format!(
                "apiVersion: gateway.networking.k8s.io/v1\nkind: {kind}\n\
                 metadata: {{name: r, namespace: infra}}\nspec:\n  parentRefs: [{{name: web}}]"
            )
        };
        assert_eq!(outcome_of(https, &route("GRPCRoute"), ""), "Accepted");
        assert_eq!(
            outcome_of(https, &route("TLSRoute"), ""),
            r#"NotAllowedByListeners [("https", None, true)]"#
        );
        assert_eq!(outcome_of(tls, &route("TLSRoute"), ""), "Accepted");
        let only_http = "  - {name: https, protocol: HTTPS, port: 443, allowedRoutes: {kinds: [{kind: HTTPRoute}]}}";
        assert_eq!(
            outcome_of(only_http, &route("GRPCRoute"), ""),
            r#"NotAllowedByListeners [("https", None, true)]"#
        );
    }

    #[test]
    fn stage_three_hostnames_among_admitting_listeners() {
        let run = |hostnames: &str| {
            outcome_of(
                LISTENERS,
                &http_route("infra", "{name: web, sectionName: https}", hostnames),
                "",
            )
        };
        assert_eq!(run("['a.b.example.com']"), "Accepted");
        assert_eq!(
            run("['example.com']"),
            r#"NoMatchingListenerHostname ["https"]"#
        );
        assert_eq!(run("[]"), "Accepted");
        // The http listener has no hostname, so the whole Gateway accepts anything.
        assert_eq!(
            outcome_of(
                LISTENERS,
                &http_route("infra", "{name: web}", "['example.com']"),
                ""
            ),
            "Accepted"
        );
        // TCPRoutes have no hostnames: stage 3 does not apply.
        let tcp = "  - {name: db, protocol: TCP, port: 5432}";
        let route = "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n\
                     metadata: {name: r, namespace: infra}\nspec:\n  parentRefs: [{name: web}]";
        assert_eq!(outcome_of(tcp, route, ""), "Accepted");
    }

    #[test]
    fn only_the_first_failing_stage_is_reported() {
        // Wrong namespace and wrong hostname: stage 2 wins.
        let same = "  - {name: https, protocol: HTTPS, port: 443, hostname: '*.example.com'}";
        assert_eq!(
            outcome_of(
                same,
                &http_route("shop", "{name: web, namespace: infra}", "['example.com']"),
                ""
            ),
            r#"NotAllowedByListeners [("https", Some(Same), false)]"#
        );
    }
}

#[cfg(test)]
mod listener_set_tests {
    use super::*;

    /// Gateway `infra/shared` admitting ListenerSets from `allowed`, the ListenerSet
    /// `team-a/apps` with an HTTPS listener for `*.a.example.com` and an HTTP one admitting only
    /// routes of its own namespace, and `route`. Returns each attempt's parent and outcome.
    fn outcomes(allowed: &str, route: &str) -> Vec<String> {
        let yaml = format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n\
             metadata: {{name: shared, namespace: infra}}\n\
             spec:\n  gatewayClassName: cilium\n  allowedListeners: {{namespaces: {{from: {allowed}}}}}\n\
             \x20 listeners: [{{name: http, port: 80, protocol: HTTP}}]\n---\n\
             apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\n\
             metadata: {{name: apps, namespace: team-a}}\n\
             spec:\n  parentRef: {{name: shared, namespace: infra}}\n  listeners:\n\
             \x20 - {{name: https, port: 443, protocol: HTTPS, hostname: '*.a.example.com', \
             allowedRoutes: {{namespaces: {{from: All}}}}}}\n\
             \x20 - {{name: plain, port: 8080, protocol: HTTP}}\n---\n{route}\n"
        );
        let c = Catalog::of_yaml(&yaml, "default");
        attempts(&c)
            .iter()
            .map(|a| {
                let outcome = match &a.outcome {
                    Outcome::Accepted => "Accepted".to_string(),
                    Outcome::NoMatchingParent => "NoMatchingParent".into(),
                    Outcome::NotAllowedByListeners(r) => format!(
                        "NotAllowedByListeners {:?}",
                        r.iter()
                            .map(|r| (r.listener.name.value.as_str(), r.namespace.clone()))
                            .collect::<Vec<_>>()
                    ),
                    Outcome::NoMatchingListenerHostname(_) => "NoMatchingListenerHostname".into(),
                };
                format!("{}: {outcome}", a.parent_label())
            })
            .collect()
    }

    fn route(ns: &str, parent: &str, hostnames: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n\
             metadata: {{name: web, namespace: {ns}}}\n\
             spec:\n  parentRefs: [{parent}]\n  hostnames: {hostnames}\n"
        )
    }

    const SET: &str = "{kind: ListenerSet, group: gateway.networking.k8s.io, name: apps";

    #[test]
    fn a_route_attaches_to_the_listeners_of_a_joined_set() {
        let run = |ns: &str, extra: &str, hosts: &str| {
            outcomes("All", &route(ns, &format!("{SET}{extra}}}"), hosts))
        };
        assert_eq!(
            run("team-a", ", sectionName: https", "[shop.a.example.com]"),
            ["ListenerSet team-a/apps: Accepted"]
        );
        // The set's listeners, not the Gateway's: `http` is the Gateway's.
        assert_eq!(
            run("team-a", ", sectionName: http", "[]"),
            ["ListenerSet team-a/apps: NoMatchingParent"]
        );
        assert_eq!(
            run("team-a", ", port: 443", "[shop.b.example.com]"),
            ["ListenerSet team-a/apps: NoMatchingListenerHostname"]
        );
        // `from: Same` on a set's listener means the set's namespace (conformance
        // ListenerSetAllowedRoutesNamespaces), not the Gateway's.
        assert_eq!(
            run("team-b", ", namespace: team-a, sectionName: plain", "[]"),
            [r#"ListenerSet team-a/apps: NotAllowedByListeners [("plain", Some(Same))]"#]
        );
        assert_eq!(
            run("team-a", ", sectionName: plain", "[]"),
            ["ListenerSet team-a/apps: Accepted"]
        );
    }

    #[test]
    fn a_gateway_parent_never_reaches_a_sets_listeners() {
        // Conformance ListenerSetGatewayParentSectionNameNotFound.
        let r = route(
            "team-a",
            "{name: shared, namespace: infra, sectionName: https}",
            "[]",
        );
        assert_eq!(
            outcomes("All", &r),
            ["Gateway infra/shared: NoMatchingParent"]
        );
    }

    #[test]
    fn routes_to_a_set_that_is_not_allowed_are_not_attempted() {
        // Reported once, at the ListenerSet (listenerset-not-allowed).
        let r = route("team-a", &format!("{SET}, sectionName: nope}}"), "[]");
        assert!(outcomes("None", &r).is_empty());
        assert!(outcomes("Same", &r).is_empty());
        assert_eq!(
            outcomes("All", &r),
            ["ListenerSet team-a/apps: NoMatchingParent"]
        );
    }
}
