//! Open world: objects controllers create (External Secrets, Sealed Secrets, cert-manager's
//! gateway-shim), references cilint cannot verify (Helm charts in the namespace, unresolved
//! `${…}`), `--strict`, `--show-unverified` and the summary counts.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use cilint::{Options, Report};
use common::{human, json, repo, rules_of, write};

fn lint_with(dir: &Path, options: Options) -> Report {
    let report = cilint::lint(&[dir.to_str().unwrap().to_string()], &options);
    assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
    report
}

fn lint(dir: &Path) -> Report {
    lint_with(dir, Options::default())
}

/// cilint run in `dir` on `.`, so the paths it prints are relative.
fn cilint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A Gateway in `infra` that admits routes from every namespace.
const GATEWAY: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: infra
spec:
  gatewayClassName: cilium
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes:
        namespaces:
          from: All
";

/// A route in `namespace` on the Gateway above, to the Service `backend`.
fn route(namespace: &str, backend: &str) -> String {
    format!(
        "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: storefront
  namespace: {namespace}
spec:
  parentRefs:
    - name: web
      namespace: infra
  rules:
    - backendRefs:
        - name: {backend}
          port: 80
"
    )
}

/// A Gateway in `shop` with one HTTPS listener whose certificateRef is `secret` (in `ns`, if
/// given), annotated for cert-manager when `issuer` is.
fn tls_gateway(secret: &str, ns: Option<&str>, issuer: bool) -> String {
    let annotations = if issuer {
        "  annotations:\n    cert-manager.io/cluster-issuer: letsencrypt\n"
    } else {
        ""
    };
    let namespace = ns
        .map(|n| format!("\n              namespace: {n}"))
        .unwrap_or_default();
    format!(
        "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: shop
  namespace: shop
{annotations}spec:
  gatewayClassName: cilium
  listeners:
    - name: https
      protocol: HTTPS
      port: 443
      hostname: shop.example.com
      tls:
        certificateRefs:
            - name: {secret}{namespace}
"
    )
}

fn external_secret(name: &str, target: Option<&str>) -> String {
    let target = target
        .map(|t| format!("  target:\n    name: {t}\n"))
        .unwrap_or_default();
    format!(
        "\
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: {name}
  namespace: shop
spec:
  secretStoreRef:
    kind: ClusterSecretStore
    name: vault
{target}"
    )
}

fn sealed_secret(name: &str, template: Option<&str>) -> String {
    let template = template
        .map(|t| format!("  template:\n    metadata:\n      name: {t}\n"))
        .unwrap_or_default();
    format!(
        "\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: {name}
  namespace: shop
spec:
  encryptedData:
    tls.crt: AgBy8hCi
    tls.key: AgBy8hCi
{template}"
    )
}

fn helm_release(namespace: &str, target: Option<&str>) -> String {
    let target = target
        .map(|t| format!("  targetNamespace: {t}\n"))
        .unwrap_or_default();
    format!(
        "\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: {namespace}
spec:
  interval: 10m
{target}  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
"
    )
}

fn tls_findings(files: &[(&str, &str)]) -> usize {
    let dir = repo(files);
    let report = lint(dir.path());
    rules_of(&report)
        .iter()
        .filter(|r| **r == "tls-secret-not-found")
        .count()
}

#[test]
fn external_secrets_create_their_target_else_their_own_name() {
    let gw = tls_gateway("shop-tls", None, false);
    let with_target = external_secret("shop-cert", Some("shop-tls"));
    assert_eq!(
        tls_findings(&[("gw.yaml", &gw), ("es.yaml", &with_target)]),
        0
    );
    let own_name = external_secret("shop-tls", None);
    assert_eq!(tls_findings(&[("gw.yaml", &gw), ("es.yaml", &own_name)]), 0);
    // With a target, the ExternalSecret's own name is no Secret.
    let elsewhere = external_secret("shop-tls", Some("other-tls"));
    assert_eq!(
        tls_findings(&[("gw.yaml", &gw), ("es.yaml", &elsewhere)]),
        1
    );
}

#[test]
fn sealed_secrets_create_their_template_name_else_their_own_name() {
    let gw = tls_gateway("shop-tls", None, false);
    let with_template = sealed_secret("shop-sealed", Some("shop-tls"));
    assert_eq!(
        tls_findings(&[("gw.yaml", &gw), ("ss.yaml", &with_template)]),
        0
    );
    let own_name = sealed_secret("shop-tls", None);
    assert_eq!(tls_findings(&[("gw.yaml", &gw), ("ss.yaml", &own_name)]), 0);
    let elsewhere = sealed_secret("shop-tls", Some("other-tls"));
    assert_eq!(
        tls_findings(&[("gw.yaml", &gw), ("ss.yaml", &elsewhere)]),
        1
    );
}

#[test]
fn cert_manager_issues_same_namespace_certificate_refs_only() {
    let annotated = tls_gateway("shop-tls", None, true);
    assert_eq!(tls_findings(&[("gw.yaml", &annotated)]), 0);
    // gateway-shim skips a ref into another namespace: that Secret must exist.
    let cross = tls_gateway("shop-tls", Some("certs"), true);
    assert_eq!(tls_findings(&[("gw.yaml", &cross)]), 1);
    let plain = tls_gateway("shop-tls", None, false);
    assert_eq!(tls_findings(&[("gw.yaml", &plain)]), 1);
}

/// Lints a repository whose route in `shop` points at the missing Service `podinfo`: the number
/// of backend-not-found findings, and the unverified reasons.
fn missing_podinfo(extra: &[(&str, &str)]) -> (usize, Vec<String>) {
    let route = route("shop", "podinfo");
    let mut files = vec![("infra/gateway.yaml", GATEWAY), ("shop/route.yaml", &route)];
    files.extend_from_slice(extra);
    let dir = repo(&files);
    let report = lint_with(
        dir.path(),
        Options {
            show_unverified: true,
            ..Options::default()
        },
    );
    let findings = rules_of(&report)
        .iter()
        .filter(|r| **r == "backend-not-found")
        .count();
    let reasons = report
        .unverified
        .unwrap()
        .into_iter()
        .map(|r| r.unverified.unwrap())
        .collect();
    (findings, reasons)
}

#[test]
fn without_a_chart_in_the_namespace_a_missing_service_is_a_finding() {
    assert_eq!(missing_podinfo(&[]), (1, vec![]));
    // A chart deployed elsewhere does not help.
    let other = helm_release("blog", None);
    assert_eq!(
        missing_podinfo(&[("blog/release.yaml", &other)]),
        (1, vec![])
    );
}

#[test]
fn helm_release_into_its_target_namespace() {
    let release = helm_release("flux-system", Some("shop"));
    assert_eq!(
        missing_podinfo(&[("flux/release.yaml", &release)]),
        (
            0,
            vec![
                "namespace shop receives Helm chart podinfo (HelmRelease flux-system/podinfo)"
                    .into()
            ]
        )
    );
}

#[test]
fn helm_release_into_its_own_namespace() {
    let release = helm_release("shop", None);
    assert_eq!(
        missing_podinfo(&[("shop/release.yaml", &release)]),
        (
            0,
            vec!["namespace shop receives Helm chart podinfo (HelmRelease shop/podinfo)".into()]
        )
    );
}

#[test]
fn argo_application_with_a_helm_source() {
    let app = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: podinfo
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://stefanprodan.github.io/podinfo
    chart: podinfo
    targetRevision: 6.5.0
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
";
    assert_eq!(
        missing_podinfo(&[("argocd/podinfo.yaml", app)]),
        (
            0,
            vec!["namespace shop receives Helm chart podinfo (Application argocd/podinfo)".into()]
        )
    );
}

#[test]
fn kustomize_helm_charts() {
    let kustomization = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
helmCharts:
  - name: podinfo
    repo: https://stefanprodan.github.io/podinfo
    version: 6.5.0
    releaseName: podinfo
";
    let (findings, reasons) = missing_podinfo(&[("charts/kustomization.yaml", kustomization)]);
    assert_eq!(findings, 0);
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].starts_with("namespace shop receives Helm chart podinfo"),
        "{reasons:?}"
    );
}

#[test]
fn an_unresolved_placeholder_is_unverified_not_missing() {
    let route = route("shop", "${APP_NAME}");
    let dir = repo(&[("infra/gateway.yaml", GATEWAY), ("shop/route.yaml", &route)]);
    let report = lint(dir.path());
    assert!(report.findings.is_empty(), "{}", human(&report));
    // The parentRef is verified (found); the backendRef is not.
    assert_eq!(report.summary.references, 2);
    assert_eq!(report.summary.unverified, 1);
    assert!(report.unverified.is_none());
}

#[test]
fn the_same_placeholder_on_both_ends_resolves() {
    let gateway = GATEWAY.replace("name: web", "name: ${GATEWAY_NAME}");
    let route = route("shop", "podinfo").replace("- name: web", "- name: ${GATEWAY_NAME}");
    let service = "\
apiVersion: v1
kind: Service
metadata:
  name: podinfo
  namespace: shop
spec:
  selector:
    app: podinfo
  ports:
    - port: 80
";
    let dir = repo(&[
        ("infra/gateway.yaml", &gateway),
        ("shop/route.yaml", &route),
        ("shop/service.yaml", service),
    ]);
    let report = lint(dir.path());
    assert!(report.findings.is_empty(), "{}", human(&report));
    // The parentRef, the backendRef, and the pods the Service's selector selects (none here).
    assert_eq!(report.summary.references, 3);
    assert_eq!(report.summary.unverified, 0);
}

/// A repository with one unverified reference (a chart in `shop`) and one broken one.
fn open_repo() -> tempfile::TempDir {
    let release = helm_release("shop", None);
    repo(&[
        ("infra/gateway.yaml", GATEWAY),
        ("shop/route.yaml", &route("shop", "podinfo")),
        ("shop/release.yaml", &release),
        ("blog/route.yaml", &route("blog", "ghost")),
    ])
}

#[test]
fn summary_counts_references_and_unverified() {
    let dir = open_repo();
    let out = cilint_in(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let summary = text.lines().last().unwrap();
    assert_eq!(
        summary,
        "1 finding in 4 files (4 objects, 4 references checked, 1 unverified: created outside \
         the tree, Gateway API v1.6.1 (default)): 1 error, 0 warnings, 0 notes"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("unverified: ")),
        "{text}"
    );

    let json = cilint_in(dir.path(), &["--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["summary"]["references"], 4);
    assert_eq!(json["summary"]["unverified"], 1);
    assert!(json.get("unverified").is_none(), "{json:#}");

    // Nothing unverified: the count alone.
    let clean = repo(&[("infra/gateway.yaml", GATEWAY)]);
    let text = stdout(&cilint_in(clean.path(), &["."]));
    assert_eq!(
        text,
        "0 findings in 1 file (1 object, 0 references checked, Gateway API v1.6.1 (default))\n"
    );
}

#[test]
fn show_unverified_lists_them_in_human_output() {
    let dir = open_repo();
    let text = stdout(&cilint_in(dir.path(), &["--show-unverified", "."]));
    let listed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("unverified: "))
        .collect();
    assert_eq!(
        listed,
        [
            "unverified: shop/route.yaml:12:17: HTTPRoute shop/storefront → Service shop/podinfo: \
          namespace shop receives Helm chart podinfo (HelmRelease shop/podinfo)"
        ],
        "{text}"
    );
    // After the findings, before the summary.
    let at = text.find("\nunverified: ").unwrap();
    assert!(text.find("backend-not-found").unwrap() < at, "{text}");
    assert!(text.rfind("references checked").unwrap() > at, "{text}");
}

#[test]
fn show_unverified_lists_them_in_json() {
    let dir = open_repo();
    let out = cilint_in(dir.path(), &["--format", "json", "--show-unverified", "."]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unverified = json["unverified"].as_array().unwrap();
    assert_eq!(unverified.len(), 1, "{json:#}");
    assert_eq!(
        unverified[0],
        serde_json::json!({
            "location": {
                "file": "shop/route.yaml",
                "line": 12,
                "column": 17,
                "end_line": 12,
                "end_column": 24
            },
            "object": {
                "api_version": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "namespace": "shop",
                "name": "storefront"
            },
            "reference": "Service shop/podinfo",
            "reason": "namespace shop receives Helm chart podinfo (HelmRelease shop/podinfo)",
            "cluster": null
        })
    );
}

#[test]
fn strict_reports_unverified_references_as_findings() {
    let dir = open_repo();
    for args in [
        vec!["--strict", "--format", "json", "."],
        vec!["--format", "json", "."],
    ] {
        let strict = args[0] == "--strict";
        if !strict {
            write(dir.path(), ".cilint.yaml", "strict: true\n");
        }
        let out = cilint_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 2, "{json:#}");
        let podinfo = findings
            .iter()
            .find(|f| f["location"]["file"] == "shop/route.yaml")
            .unwrap();
        assert_eq!(podinfo["rule"], "backend-not-found");
        let help = podinfo["help"].as_str().unwrap();
        assert!(
            help.ends_with(
                "; reported in strict mode, though it may be created outside the tree: \
                 namespace shop receives Helm chart podinfo (HelmRelease shop/podinfo)"
            ),
            "{help}"
        );
        assert_eq!(json["summary"]["unverified"], 0);
        assert_eq!(json["summary"]["references"], 4);
    }
}

#[test]
fn strict_in_the_configuration_must_be_a_boolean() {
    let dir = open_repo();
    write(dir.path(), ".cilint.yaml", "strict: sometimes\n");
    let out = cilint_in(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(".cilint.yaml"), "{stderr}");
    assert!(
        stderr.contains("sometimes") || stderr.contains("bool"),
        "{stderr}"
    );
}

#[test]
fn library_report_carries_the_list_only_when_asked() {
    let dir = open_repo();
    let quiet = lint(dir.path());
    assert!(quiet.unverified.is_none());
    assert!(!json(&quiet).contains("\"unverified\": ["));
    let shown = lint_with(
        dir.path(),
        Options {
            show_unverified: true,
            ..Options::default()
        },
    );
    assert_eq!(shown.unverified.as_ref().map(Vec::len), Some(1));
    assert!(json(&shown).contains("\"unverified\": ["));
}
