//! Listener validity and kinds: what the five listener and kind rules report beyond their
//! fixtures, and what they leave to other rules (one root cause, one finding).

mod common;

use cilint::diagnostic::Severity;
use common::{human, json, lint, repo, rules_of};

const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: cilium
  listeners:
";

fn lint_repo(files: &[(&str, &str)]) -> cilint::Report {
    let dir = repo(files);
    lint(&[dir.path().to_str().unwrap()])
}

#[test]
fn a_route_refused_by_invalid_kinds_is_reported_once_at_the_listener() {
    let report = lint(&["fixtures/listener-route-kinds-invalid/fail"]);
    let rules = rules_of(&report);
    assert!(!rules.contains(&"route-not-allowed"), "{}", human(&report));
    let at_listener: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "listener-route-kinds-invalid")
        .flat_map(|f| f.related.iter().map(|r| r.message.clone()))
        .filter(|m| m.contains("is not attached through this listener"))
        .collect();
    assert_eq!(at_listener.len(), 3, "{at_listener:?}");
}

#[test]
fn a_route_of_a_kind_no_entry_meant_is_still_route_not_allowed() {
    // The listener's list is valid; the UDPRoute is simply the wrong kind for HTTP.
    let gw = format!(
        "{GATEWAY}  - {{name: http, protocol: HTTP, port: 80, allowedRoutes: {{namespaces: {{from: All}}, kinds: [{{kind: HTTPRoute}}]}}}}\n"
    );
    let route = "apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: dns, namespace: dns}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  rules: [{backendRefs: [{name: dns, port: 53}]}]
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: dns}
spec: {ports: [{port: 53, protocol: UDP}]}
";
    let report = lint_repo(&[("infra/gw.yaml", &gw), ("apps/dns.yaml", route)]);
    assert_eq!(
        rules_of(&report),
        ["route-not-allowed"],
        "{}",
        human(&report)
    );
    let f = &report.findings[0];
    assert!(
        f.message
            .contains("listener `http` admits only HTTPRoute (allowedRoutes.kinds), not UDPRoute"),
        "{}",
        f.message
    );
    assert!(
        f.help.as_deref().unwrap().contains(
            "- a UDPRoute attaches only to UDP listeners, and Gateway infra/edge has none"
        ),
        "{:?}",
        f.help
    );
}

#[test]
fn a_route_no_targeted_protocol_carries_says_which_listener_would() {
    let gw = format!(
        "{GATEWAY}  - {{name: http, protocol: HTTP, port: 80, allowedRoutes: {{namespaces: {{from: All}}}}}}
  - {{name: https, protocol: HTTPS, port: 443, tls: {{certificateRefs: [{{name: t}}]}}, allowedRoutes: {{namespaces: {{from: All}}}}}}
  - {{name: mqtt, protocol: TCP, port: 1883, allowedRoutes: {{namespaces: {{from: All}}}}}}
"
    );
    let route = "apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: mqtt, namespace: iot}
spec:
  parentRefs: [{name: edge, namespace: infra, port: 443}, {name: edge, namespace: infra, sectionName: http}]
  rules: [{backendRefs: [{name: mosquitto, port: 1883}]}]
---
apiVersion: v1
kind: Service
metadata: {name: mosquitto, namespace: iot}
spec: {ports: [{port: 1883}]}
---
apiVersion: v1
kind: Secret
metadata: {name: t, namespace: infra}
type: kubernetes.io/tls
data: {tls.crt: '', tls.key: ''}
";
    let report = lint_repo(&[("infra/gw.yaml", &gw), ("apps/mqtt.yaml", route)]);
    assert_eq!(
        rules_of(&report),
        ["route-not-allowed", "route-not-allowed"],
        "{}",
        human(&report)
    );
    for f in &report.findings {
        let help = f.help.as_deref().unwrap();
        assert!(
            help.contains(
                "a TCPRoute attaches only to TCP listeners: point the parentRef at one \
                 (`sectionName: mqtt`)"
            ),
            "{help}"
        );
    }
}

#[test]
fn an_entry_the_protocol_cannot_carry_no_longer_admits_its_kind() {
    // Before, a listed TCPRoute counted as admitted by an HTTP listener.
    let gw = format!(
        "{GATEWAY}  - {{name: http, protocol: HTTP, port: 80, allowedRoutes: {{namespaces: {{from: All}}, kinds: [{{kind: HTTPRoute}}, {{kind: TCPRoute}}]}}}}\n"
    );
    let route = "apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: db, namespace: infra}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: infra}
spec: {ports: [{port: 5432}]}
";
    let report = lint_repo(&[("infra/gw.yaml", &gw), ("infra/db.yaml", route)]);
    assert_eq!(
        rules_of(&report),
        ["listener-route-kinds-invalid"],
        "{}",
        human(&report)
    );
    assert_eq!(report.findings[0].related.len(), 1);
}

#[test]
fn certificate_key_names_are_read_and_values_never_printed() {
    let report = lint(&["fixtures/certificate-ref-invalid/fail"]);
    for out in [human(&report), json(&report)] {
        for value in [
            "KGNlcnRpZmljYXRlIG9taXR0ZWQp",
            "KGNhIG9taXR0ZWQp",
            "key omitted",
        ] {
            assert!(!out.contains(value), "a Secret value is printed:\n{out}");
        }
    }
}

#[test]
fn secrets_whose_keys_cilint_cannot_see_are_not_judged() {
    let gw = format!(
        "{GATEWAY}  - {{name: a, protocol: HTTPS, port: 443, hostname: a.example.com, tls: {{certificateRefs: [{{name: generated-tls}}]}}}}
  - {{name: b, protocol: HTTPS, port: 443, hostname: b.example.com, tls: {{certificateRefs: [{{name: empty-tls}}]}}}}
  - {{name: c, protocol: HTTPS, port: 443, hostname: c.example.com, tls: {{certificateRefs: [{{name: templated-tls}}]}}}}
"
    );
    let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: infra
resources: [gw.yaml, secrets.yaml]
secretGenerator:
  - name: generated-tls
    type: kubernetes.io/tls
    options: {disableNameSuffixHash: true}
    files: [certs/tls.crt, certs/tls.key]
";
    // No data to read (filled in by a later tool), and key names from a placeholder.
    let secrets = "apiVersion: v1
kind: Secret
metadata: {name: empty-tls, namespace: infra}
type: kubernetes.io/tls
---
apiVersion: v1
kind: Secret
metadata: {name: templated-tls, namespace: infra}
stringData:
  ${CERT_KEY}: x
";
    let report = lint_repo(&[
        ("infra/kustomization.yaml", kustomization),
        ("infra/gw.yaml", &gw),
        ("infra/secrets.yaml", secrets),
    ]);
    assert!(
        !rules_of(&report).contains(&"certificate-ref-invalid"),
        "{}",
        human(&report)
    );
}

#[test]
fn certificates_on_a_passthrough_listener_are_a_warning() {
    let report = lint(&["fixtures/listener-tls-invalid/fail"]);
    let severities: Vec<Severity> = report
        .findings
        .iter()
        .filter(|f| f.message.contains("ignores certificateRefs"))
        .map(|f| f.severity)
        .collect();
    assert_eq!(severities, [Severity::Warning]);
}

#[test]
fn a_backend_kind_is_judged_only_when_every_parent_is_a_cilium_gateway() {
    let gw = format!("{GATEWAY}  - {{name: http, protocol: HTTP, port: 80}}\n");
    let route = |parents: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: infra}}
spec:
  parentRefs: {parents}
  rules: [{{backendRefs: [{{group: gateway.envoyproxy.io, kind: Backend, name: ext}}]}}]
"
        )
    };
    let only_cilium = lint_repo(&[("gw.yaml", &gw), ("r.yaml", &route("[{name: edge}]"))]);
    assert_eq!(rules_of(&only_cilium), ["backend-kind-invalid"]);
    // A second parent of another class may resolve the kind.
    let envoy = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: infra}
spec:
  gatewayClassName: envoy
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: envoy}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
";
    let mixed = lint_repo(&[
        ("gw.yaml", &gw),
        ("eg.yaml", envoy),
        ("r.yaml", &route("[{name: edge}, {name: eg}]")),
    ]);
    assert!(rules_of(&mixed).is_empty(), "{}", human(&mixed));
    // A GAMMA route (parent is a Service) is a mesh route, not a Gateway's.
    let mesh = lint_repo(&[(
        "r.yaml",
        &route("[{group: '', kind: Service, name: web, port: 80}]"),
    )]);
    assert!(
        !rules_of(&mesh).contains(&"backend-kind-invalid"),
        "{}",
        human(&mesh)
    );
}

#[test]
fn listeners_distinct_by_hostname_or_transport_do_not_conflict() {
    let gw = format!(
        "{GATEWAY}  - {{name: a, protocol: HTTPS, port: 443, hostname: a.example.com, tls: {{certificateRefs: [{{name: t}}]}}}}
  - {{name: b, protocol: HTTPS, port: 443, hostname: b.example.com, tls: {{certificateRefs: [{{name: t}}]}}}}
  - {{name: c, protocol: TLS, port: 443, hostname: c.example.com, tls: {{mode: Passthrough}}}}
  - {{name: dns-tcp, protocol: TCP, port: 53}}
  - {{name: dns-udp, protocol: UDP, port: 53}}
"
    );
    let secret = "apiVersion: v1
kind: Secret
metadata: {name: t, namespace: infra}
type: kubernetes.io/tls
data: {tls.crt: '', tls.key: ''}
";
    let report = lint_repo(&[("gw.yaml", &gw), ("secret.yaml", secret)]);
    assert!(rules_of(&report).is_empty(), "{}", human(&report));
}

#[test]
fn a_missing_secret_on_a_passthrough_listener_is_one_warning() {
    let gw = format!(
        "{GATEWAY}  - {{name: mqtt, protocol: TLS, port: 8883, tls: {{mode: Passthrough, certificateRefs: [{{name: nowhere}}]}}}}\n"
    );
    let report = lint_repo(&[("gw.yaml", &gw)]);
    assert_eq!(
        rules_of(&report),
        ["listener-tls-invalid"],
        "{}",
        human(&report)
    );
    assert_eq!(report.findings[0].severity, Severity::Warning);
}
