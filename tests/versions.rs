//! Which Gateway API bundle and Cilium release a run checks against: flags over the
//! configuration over what the tree pins over the defaults, and what each changes.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::repo;
use serde_json::Value;

fn cilint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs")
}

fn json_in(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = cilint_in(dir, &all);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

/// `(rule, severity, file)` of every finding of the version rule.
fn version_findings(json: &Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "gateway-api-version-unserved")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const TCPROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata:
  name: postgres
  namespace: db
spec:
  parentRefs:
    - name: internal
      namespace: gateway
  rules:
    - backendRefs:
        - name: postgres
          port: 5432
";

const GRANT_V1: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata:
  name: routes
  namespace: shared
spec:
  from:
    - {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}
  to:
    - {group: \"\", kind: Service}
";

#[test]
fn the_default_bundle_judges_only_what_no_release_serves() {
    let dir = repo(&[
        ("apps/db/tcproute.yaml", TCPROUTE),
        ("apps/shared/grant.yaml", GRANT_V1),
    ]);
    let json = json_in(dir.path(), &["apps"]);
    assert!(version_findings(&json).is_empty(), "{json:#}");
    let v = &json["summary"]["versions"][0];
    assert_eq!(v["gateway_api"], "v1.6.1");
    assert_eq!(v["gateway_api_source"], "default");
    assert_eq!(v["cilium"], Value::Null);
}

#[test]
fn the_flag_beats_the_configuration_which_beats_the_tree() {
    let kustomization = "resources:\n  - https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml\n  - apps/shared/grant.yaml\n";
    let dir = repo(&[
        ("kustomization.yaml", kustomization),
        ("apps/shared/grant.yaml", GRANT_V1),
    ]);
    // The tree pins v1.5.1, which serves ReferenceGrant v1.
    let json = json_in(dir.path(), &["."]);
    assert!(version_findings(&json).is_empty(), "{json:#}");
    let v = &json["summary"]["versions"][0];
    assert_eq!(v["gateway_api"], "v1.5.1");
    assert_eq!(v["gateway_api_channel"], "standard");
    assert_eq!(v["gateway_api_source"], "kustomization.yaml:2");

    // The configuration says the cluster runs v1.4.1: v1 is not served there.
    common::write(dir.path(), ".cilint.yaml", "gateway-api-version: v1.4.1\n");
    let json = json_in(dir.path(), &["."]);
    assert_eq!(
        version_findings(&json),
        [("error".to_string(), "apps/shared/grant.yaml".to_string())]
    );
    assert_eq!(
        json["summary"]["versions"][0]["gateway_api_source"],
        "configuration"
    );

    // The flag wins over both.
    let json = json_in(dir.path(), &["--gateway-api-version", "1.6.0", "."]);
    assert!(version_findings(&json).is_empty(), "{json:#}");
    let v = &json["summary"]["versions"][0];
    assert_eq!(
        (v["gateway_api"].as_str(), v["gateway_api_source"].as_str()),
        (Some("v1.6.0"), Some("flag"))
    );
}

#[test]
fn the_standard_channel_makes_experimental_kinds_findings() {
    let dir = repo(&[
        (".cilint.yaml", "gateway-api-version: v1.4.1\n"),
        ("apps/db/tcproute.yaml", TCPROUTE),
    ]);
    // Either channel may be installed: TCPRoute v1alpha2 is served by v1.4.1's experimental one.
    assert!(version_findings(&json_in(dir.path(), &["apps"])).is_empty());
    common::write(
        dir.path(),
        ".cilint.yaml",
        "gateway-api-version: v1.4.1\ngateway-api-channel: standard\n",
    );
    let json = json_in(dir.path(), &["apps"]);
    assert_eq!(
        version_findings(&json),
        [("error".to_string(), "apps/db/tcproute.yaml".to_string())]
    );
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Gateway API v1.4.1 (standard channel) has no TCPRoute CRD"),
        "{message}"
    );
}

#[test]
fn cilium_is_read_from_argo_cd_kustomize_and_terraform() {
    let argo = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: cilium
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://helm.cilium.io
    chart: cilium
    targetRevision: 1.19.3
  destination:
    server: https://kubernetes.default.svc
    namespace: kube-system
";
    let dir = repo(&[("argocd/cilium.yaml", argo)]);
    let v = &json_in(dir.path(), &["."])["summary"]["versions"][0];
    assert_eq!(
        (v["cilium"].as_str(), v["cilium_source"].as_str()),
        (Some("1.19.3"), Some("argocd/cilium.yaml:11"))
    );

    let kustomize = "helmCharts:\n  - name: cilium\n    repo: https://helm.cilium.io\n    version: 1.18.6\n    releaseName: cilium\n    namespace: kube-system\n";
    let dir = repo(&[("infra/cilium/kustomization.yaml", kustomize)]);
    let v = &json_in(dir.path(), &["infra"])["summary"]["versions"][0];
    assert_eq!(v["cilium"], "1.18.6");

    let terraform = "resource \"helm_release\" \"cilium\" {\n  name       = \"cilium\"\n  repository = \"https://helm.cilium.io\"\n  chart      = \"cilium\"\n  version    = \"1.20.1\"\n  namespace  = \"kube-system\"\n}\n";
    let dir = repo(&[("terraform/main.tf", terraform)]);
    let out = cilint_in(dir.path(), &["terraform"]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("Gateway API v1.6.1 (default), Cilium 1.20.1 (terraform/main.tf:5)"),
        "{human}"
    );
    // --cilium-version wins over the pin.
    let v = &json_in(dir.path(), &["--cilium-version", "1.19.0", "terraform"])["summary"]["versions"]
        [0];
    assert_eq!(
        (v["cilium"].as_str(), v["cilium_source"].as_str()),
        (Some("1.19.0"), Some("flag"))
    );
}

#[test]
fn crd_files_in_the_tree_name_their_bundle() {
    let crd = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/3328
    gateway.networking.k8s.io/bundle-version: v1.3.0
    gateway.networking.k8s.io/channel: experimental
  name: tcproutes.gateway.networking.k8s.io
spec:
  group: gateway.networking.k8s.io
  names:
    kind: TCPRoute
    plural: tcproutes
  scope: Namespaced
  versions: []
";
    let dir = repo(&[
        ("crds/tcproutes.yaml", crd),
        ("apps/shared/grant.yaml", GRANT_V1),
    ]);
    let json = json_in(dir.path(), &["."]);
    let v = &json["summary"]["versions"][0];
    assert_eq!(v["gateway_api"], "v1.3.0");
    assert_eq!(v["gateway_api_channel"], "experimental");
    assert_eq!(v["gateway_api_source"], "crds/tcproutes.yaml:6");
    assert_eq!(
        version_findings(&json),
        [("error".to_string(), "apps/shared/grant.yaml".to_string())]
    );
}

#[test]
fn pins_that_disagree_decide_nothing() {
    let a = "resources:\n  - https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/standard-install.yaml\n";
    let b = "resources:\n  - https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.0/standard-install.yaml\n";
    let dir = repo(&[
        ("a/kustomization.yaml", a),
        ("b/kustomization.yaml", b),
        ("apps/shared/grant.yaml", GRANT_V1),
    ]);
    let json = json_in(dir.path(), &["a", "b", "apps"]);
    assert_eq!(
        json["summary"]["versions"][0]["gateway_api_source"],
        "default"
    );
    assert!(version_findings(&json).is_empty());
}

#[test]
fn bad_versions_in_the_configuration_or_flags_are_usage_errors() {
    let dir = repo(&[
        (".cilint.yaml", "gateway-api-version: latest\n"),
        ("a.yaml", ""),
    ]);
    let out = cilint_in(dir.path(), &["a.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`latest` is not a version"), "{err}");

    let dir = repo(&[
        (".cilint.yaml", "gateway-api-channel: beta\n"),
        ("a.yaml", ""),
    ]);
    let err = String::from_utf8_lossy(&cilint_in(dir.path(), &["a.yaml"]).stderr).to_string();
    assert!(err.contains("use standard or experimental"), "{err}");

    let dir = repo(&[("a.yaml", "")]);
    let out = cilint_in(dir.path(), &["--cilium-version", "1.x", "a.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn clusters_that_run_different_versions_are_listed_each() {
    let release = |v: &str| {
        format!(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cilium\n  namespace: kube-system\nspec:\n  chart:\n    spec:\n      chart: cilium\n      version: {v}\n"
        )
    };
    let (a, b) = (release("1.19.3"), release("1.20.2"));
    let config =
        "clusters:\n  - name: edge\n    paths: [edge]\n  - name: core\n    paths: [core]\n";
    let dir = repo(&[
        (".cilint.yaml", config),
        ("edge/cilium.yaml", &a),
        ("core/cilium.yaml", &b),
    ]);
    let json = json_in(dir.path(), &["."]);
    let versions: Vec<(String, String)> = json["summary"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["cluster"].as_str().unwrap_or("-").to_string(),
                v["cilium"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(versions.len(), 2, "{json:#}");
    assert!(
        versions.contains(&("edge".into(), "1.19.3".into())),
        "{versions:?}"
    );
    assert!(
        versions.contains(&("core".into(), "1.20.2".into())),
        "{versions:?}"
    );
    let human = String::from_utf8_lossy(&cilint_in(dir.path(), &["."]).stdout).to_string();
    assert!(
        human.contains("Gateway API and Cilium versions differ by cluster"),
        "{human}"
    );
}

/// A ListenerSet on a bundle without its CRD never exists: the version finding is the only one
/// about it, not also that its Gateway does not admit it. With the version rule off, the
/// ListenerSet is judged as written.
#[test]
fn an_object_the_bundle_refuses_draws_only_the_version_finding() {
    let gateway = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: home
  namespace: network
spec:
  gatewayClassName: cilium
  listeners:
    - name: http
      protocol: HTTP
      port: 80
";
    let set = "apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata:
  name: alertmanager
  namespace: monitoring
spec:
  parentRef:
    name: home
    namespace: network
  listeners:
    - name: alertmanager
      protocol: HTTP
      port: 80
      hostname: alertmanager.example.net
";
    let dir = repo(&[
        ("gateway/gateway.yaml", gateway),
        ("monitoring/listenerset.yaml", set),
        (".cilint.yaml", "gateway-api-version: v1.2.1\n"),
    ]);
    let rules = |json: &Value| -> Vec<String> {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        rules(&json_in(dir.path(), &[])),
        ["gateway-api-version-unserved"]
    );
    common::write(
        dir.path(),
        ".cilint.yaml",
        "gateway-api-version: v1.2.1\nrules:\n  gateway-api-version-unserved: off\n",
    );
    assert_eq!(
        rules(&json_in(dir.path(), &[])),
        ["listenerset-not-allowed"]
    );
}
