//! ListenerSets (Gateway API v1.5, GEP-1713) across the rules: routes attach to a set's
//! listeners, a set that does not join its Gateway is reported once, at the set, and a set's
//! listeners go through the conflict, TLS and ReferenceGrant rules as a Gateway's do.

mod common;

use common::{human, lint, repo, rules_of};

fn lint_repo(files: &[(&str, &str)]) -> cilint::Report {
    let dir = repo(files);
    lint(&[dir.path().to_str().unwrap()])
}

/// The platform Gateway in `infra`, admitting ListenerSets from every namespace.
const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: infra}
spec:
  gatewayClassName: cilium
  allowedListeners:
    namespaces:
      from: All
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces:
          from: All
";

/// Team A's ListenerSet: HTTPS for `*.a.example.com` with a Certificate, and a plain HTTP
/// listener that admits routes of team-a only (`from: Same` is the set's namespace).
const SET: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: team-a, namespace: team-a}
spec:
  parentRef: {name: shared, namespace: infra}
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      hostname: '*.a.example.com'
      tls:
        certificateRefs:
          - name: a-wildcard-tls
      allowedRoutes:
        namespaces:
          from: All
    - name: metrics
      protocol: HTTP
      port: 8080
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: a-wildcard, namespace: team-a}
spec:
  secretName: a-wildcard-tls
  issuerRef: {kind: ClusterIssuer, name: letsencrypt}
  dnsNames: ['*.a.example.com']
";

fn route(ns: &str, parent: &str, hostname: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web, namespace: {ns}}}
spec:
  parentRefs:
    - {{group: gateway.networking.k8s.io, kind: ListenerSet, {parent}}}
  hostnames: [{hostname}]
  rules:
    - backendRefs: [{{name: web, port: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec: {{ports: [{{port: 80}}]}}
"
    )
}

#[test]
fn a_route_attached_to_a_joined_set_is_clean() {
    let r = route(
        "team-a",
        "name: team-a, sectionName: https",
        "shop.a.example.com",
    );
    let report = lint_repo(&[
        ("infra/gw.yaml", GATEWAY),
        ("team-a/set.yaml", SET),
        ("team-a/route.yaml", &r),
    ]);
    assert!(report.findings.is_empty(), "{}", human(&report));
}

#[test]
fn route_rules_judge_a_route_against_the_sets_listeners() {
    let cases = [
        // The Gateway's own listener is not the set's.
        (
            "team-a",
            "name: team-a, sectionName: http",
            "shop.a.example.com",
            "route-listener-not-found",
        ),
        (
            "team-a",
            "name: team-a, sectionName: https",
            "shop.b.example.com",
            "route-hostname-mismatch",
        ),
        // `metrics` admits routes of the set's namespace only.
        (
            "team-b",
            "name: team-a, namespace: team-a, sectionName: metrics",
            "x.b.example.com",
            "route-not-allowed",
        ),
        (
            "team-a",
            "name: team-b",
            "shop.a.example.com",
            "route-parent-not-found",
        ),
    ];
    for (ns, parent, host, rule) in cases {
        let r = route(ns, parent, host);
        let report = lint_repo(&[
            ("infra/gw.yaml", GATEWAY),
            ("team-a/set.yaml", SET),
            ("apps/route.yaml", &r),
        ]);
        assert_eq!(rules_of(&report), [rule], "{parent}: {}", human(&report));
        assert!(human(&report).contains("ListenerSet"), "{}", human(&report));
    }
}

#[test]
fn a_set_the_gateway_does_not_admit_is_reported_once_at_the_set() {
    let gw = GATEWAY.replace(
        "      from: All\n  listeners",
        "      from: Same\n  listeners",
    );
    // The route also names a listener the set does not have: not reported, the set is the cause.
    let r = route(
        "team-a",
        "name: team-a, sectionName: nope",
        "shop.b.example.com",
    );
    let report = lint_repo(&[
        ("infra/gw.yaml", &gw),
        ("team-a/set.yaml", SET),
        ("team-a/route.yaml", &r),
    ]);
    assert_eq!(
        rules_of(&report),
        ["listenerset-not-allowed"],
        "{}",
        human(&report)
    );
    let f = &report.findings[0];
    assert_eq!(f.condition.as_deref(), Some("Accepted=False/NotAllowed"));
    assert!(f.message.contains("from: Same"), "{}", f.message);
}

#[test]
fn a_set_whose_parent_is_missing_is_reported_once_at_the_set() {
    let set = SET.replace("name: shared, namespace: infra", "name: shared");
    let r = route(
        "team-a",
        "name: team-a, sectionName: https",
        "shop.a.example.com",
    );
    let report = lint_repo(&[
        ("infra/gw.yaml", GATEWAY),
        ("team-a/set.yaml", &set),
        ("team-a/route.yaml", &r),
    ]);
    assert_eq!(
        rules_of(&report),
        ["listenerset-parent-not-found"],
        "{}",
        human(&report)
    );
    assert!(
        human(&report).contains("set `namespace: infra`"),
        "{}",
        human(&report)
    );
}

#[test]
fn a_parent_that_may_exist_elsewhere_is_unverified_not_missing() {
    let set = SET.replace(
        "name: shared, namespace: infra",
        "name: '${GATEWAY_NAME}', namespace: infra",
    );
    let report = lint_repo(&[("infra/gw.yaml", GATEWAY), ("team-a/set.yaml", &set)]);
    assert!(report.findings.is_empty(), "{}", human(&report));
    // Counted, as every reference cilint cannot verify.
    assert_eq!(report.summary.unverified, 1, "{}", human(&report));
}

#[test]
fn a_sets_listener_conflicts_with_the_gateways_even_under_the_same_name() {
    // Names need not be unique across a Gateway and its sets; port, protocol and hostname must.
    let set = SET.replace(
        "    - name: metrics\n      protocol: HTTP\n      port: 8080\n",
        "    - name: http\n      protocol: HTTP\n      port: 80\n",
    );
    let report = lint_repo(&[("infra/gw.yaml", GATEWAY), ("team-a/set.yaml", &set)]);
    assert_eq!(
        rules_of(&report),
        ["listener-conflict"],
        "{}",
        human(&report)
    );
    assert_eq!(
        report.findings[0].condition.as_deref(),
        Some("Conflicted=True/HostnameConflict")
    );
    assert!(report.findings[0].message.contains("take precedence"));
}

#[test]
fn a_sets_certificate_refs_go_through_the_tls_rules() {
    let set = SET.replace(
        "          - name: a-wildcard-tls",
        "          - name: a-wildcrd-tls",
    );
    let report = lint_repo(&[("infra/gw.yaml", GATEWAY), ("team-a/set.yaml", &set)]);
    assert_eq!(
        rules_of(&report),
        ["tls-secret-not-found"],
        "{}",
        human(&report)
    );
    assert!(
        report.findings[0]
            .message
            .starts_with("ListenerSet team-a/team-a")
    );
}

/// The wildcard certificate lives in `certs`, granted to `from_kind`s of team-a by name `to`.
fn cross_namespace(from_kind: &str, to: &str) -> cilint::Report {
    let set = SET
        .replace(
            "          - name: a-wildcard-tls",
            "          - name: a-wildcard-tls\n            namespace: certs",
        )
        .replace(
            "metadata: {name: a-wildcard, namespace: team-a}",
            "metadata: {name: a-wildcard, namespace: certs}",
        );
    let grant = format!(
        "apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {{name: team-a-certificates, namespace: certs}}
spec:
  from:
    - {{group: gateway.networking.k8s.io, kind: {from_kind}, namespace: team-a}}
  to:
    - {{group: '', kind: Secret, name: {to}}}
"
    );
    lint_repo(&[
        ("infra/gw.yaml", GATEWAY),
        ("team-a/set.yaml", &set),
        ("certs/grant.yaml", &grant),
    ])
}

#[test]
fn a_cross_namespace_certificate_needs_a_grant_from_listener_sets() {
    let granted = cross_namespace("ListenerSet", "a-wildcard-tls");
    assert!(granted.findings.is_empty(), "{}", human(&granted));
    // A grant to Gateways does not admit a ListenerSet (conformance ListenerSetReferenceGrant).
    let wrong = cross_namespace("Gateway", "a-wildcard-tls");
    assert_eq!(
        rules_of(&wrong),
        ["reference-not-permitted"],
        "{}",
        human(&wrong)
    );
    assert_eq!(
        wrong.findings[0].condition.as_deref(),
        Some("ResolvedRefs=False/RefNotPermitted")
    );
}

#[test]
fn a_grant_to_listener_sets_counts_their_uses() {
    // Every ListenerSet of team-a is in the tree: a grant for a Secret none names is stale.
    let stale = cross_namespace("ListenerSet", "old-wildcard-tls");
    let rules = rules_of(&stale);
    assert!(
        rules.contains(&"reference-grant-unused"),
        "{}",
        human(&stale)
    );
    assert!(
        rules.contains(&"reference-not-permitted"),
        "{}",
        human(&stale)
    );
}

#[test]
fn the_experimental_xlistenerset_is_read_too() {
    let set = SET.replace(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet",
        "apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XListenerSet",
    );
    let gw = GATEWAY.replace(
        "      from: All\n  listeners",
        "      from: None\n  listeners",
    );
    let report = lint_repo(&[("infra/gw.yaml", &gw), ("team-a/set.yaml", &set)]);
    assert_eq!(
        rules_of(&report),
        ["listenerset-not-allowed"],
        "{}",
        human(&report)
    );
    assert!(
        report.findings[0]
            .message
            .starts_with("XListenerSet team-a/team-a")
    );
}

#[test]
fn a_sets_listeners_go_through_the_listener_rules() {
    // HTTP with `tls`: the ListenerSet CRD has the Gateway's CEL rule.
    let tls = SET.replace(
        "    - name: metrics\n      protocol: HTTP\n      port: 8080\n",
        "    - name: metrics\n      protocol: HTTP\n      port: 8080\n      tls: {certificateRefs: [{name: a-wildcard-tls}]}\n",
    );
    let report = lint_repo(&[("infra/gw.yaml", GATEWAY), ("team-a/set.yaml", &tls)]);
    assert_eq!(
        rules_of(&report),
        ["listener-tls-invalid"],
        "{}",
        human(&report)
    );
    assert!(
        report.findings[0]
            .message
            .contains("rejects the ListenerSet")
    );

    // A TLSRoute kind on an HTTP listener of the set: reported at the listener, with the route,
    // and not again by route-not-allowed.
    let kinds = SET.replace(
        "    - name: metrics\n      protocol: HTTP\n      port: 8080\n",
        "    - name: metrics\n      protocol: HTTP\n      port: 8080\n      allowedRoutes: {kinds: [{kind: TLSRoute}]}\n",
    );
    let r = route(
        "team-a",
        "name: team-a, sectionName: metrics",
        "x.a.example.com",
    );
    let report = lint_repo(&[
        ("infra/gw.yaml", GATEWAY),
        ("team-a/set.yaml", &kinds),
        ("team-a/route.yaml", &r),
    ]);
    assert_eq!(
        rules_of(&report),
        ["listener-route-kinds-invalid"],
        "{}",
        human(&report)
    );
    assert!(
        report.findings[0]
            .related
            .iter()
            .any(|r| r.message.contains("HTTPRoute team-a/web is not attached")),
        "{}",
        human(&report)
    );
}

#[test]
fn a_route_on_a_set_of_a_cilium_gateway_gets_cilium_backend_rules() {
    let r = route(
        "team-a",
        "name: team-a, sectionName: https",
        "shop.a.example.com",
    )
    .replace(
        "    - backendRefs: [{name: web, port: 80}]",
        "    - backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: web}]",
    );
    let report = lint_repo(&[
        ("infra/gw.yaml", GATEWAY),
        ("team-a/set.yaml", SET),
        ("team-a/route.yaml", &r),
    ]);
    assert_eq!(
        rules_of(&report),
        ["backend-kind-invalid"],
        "{}",
        human(&report)
    );
}

#[test]
fn a_listener_the_gateway_outranks_does_not_conflict_with_the_sets_later_ones() {
    // The set's TCP listener loses port 80 to the Gateway's HTTP listener; the set's HTTP
    // listener after it is then accepted (conformance ListenerSetProtocolConflict).
    let set = SET.replace(
        "    - name: metrics\n      protocol: HTTP\n      port: 8080\n",
        "    - name: raw\n      protocol: TCP\n      port: 80\n    - name: plain\n      protocol: HTTP\n      port: 80\n      hostname: plain.a.example.com\n",
    );
    let report = lint_repo(&[("infra/gw.yaml", GATEWAY), ("team-a/set.yaml", &set)]);
    assert_eq!(
        rules_of(&report),
        ["listener-conflict"],
        "{}",
        human(&report)
    );
    let f = &report.findings[0];
    assert_eq!(
        f.condition.as_deref(),
        Some("Conflicted=True/ProtocolConflict")
    );
    assert!(f.message.contains("listener `raw`"), "{}", f.message);
}
