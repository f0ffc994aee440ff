//! Gateway-level rules beyond their fixtures: where a GatewayClass outside the tree may come
//! from (configuration, charts, remote resources, placeholders), strict mode, and which
//! Gateways Cilium's address check applies to.

mod common;

use common::{human, repo, rules_of, write};
use std::path::Path;
use std::process::Command;

fn gateway(name: &str, class: &str, extra: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: network}}
spec:
  gatewayClassName: {class}
{extra}  listeners:
    - {{name: http, protocol: HTTP, port: 80}}
---
"
    )
}

const ENVOY_LAN: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: envoy-lan}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
";

/// The rules cilint reports when run in `dir` (so that its `.cilint.yaml` applies).
fn rules_in(dir: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(["--format", "json"])
        .args(args)
        .arg(".")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn lint_repo(files: &[(&str, &str)]) -> cilint::Report {
    let dir = repo(files);
    common::lint(&[dir.path().to_str().unwrap()])
}

#[test]
fn a_class_declared_in_the_configuration_is_installed_and_not_ciliums() {
    let hostname = "  addresses: [{type: Hostname, value: wan.example.com}]\n";
    let dir = repo(&[
        ("infra/classes.yaml", ENVOY_LAN),
        (
            "infra/gateways.yaml",
            &gateway("wan", "envoy-wan", hostname),
        ),
    ]);
    assert_eq!(rules_in(dir.path(), &[]), ["gateway-class-not-found"]);
    write(dir.path(), ".cilint.yaml", "gateway-classes: [envoy-wan]\n");
    // Declared: installed, and its Gateways are not Cilium's, so a Hostname address is fine.
    assert!(rules_in(dir.path(), &[]).is_empty());
}

#[test]
fn declaring_cilium_keeps_its_gateways_ciliums() {
    let hostname = "  addresses: [{type: Hostname, value: lan.example.com}]\n";
    let dir = repo(&[
        (".cilint.yaml", "gateway-classes: [cilium, traefik]\n"),
        ("infra/gateways.yaml", &gateway("lan", "cilium", hostname)),
    ]);
    assert_eq!(rules_in(dir.path(), &[]), ["gateway-address-unsupported"]);
}

#[test]
fn charts_that_make_classes_excuse_them_and_strict_mode_does_not() {
    let ngf = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: ngf, namespace: nginx-gateway}
spec:
  chart:
    spec:
      chart: nginx-gateway-fabric
      sourceRef: {kind: HelmRepository, name: nginx, namespace: flux-system}
  values:
    nginxGateway: {gatewayClassName: envoy-wan}
";
    let gw = gateway("wan", "envoy-wan", "");
    let without = lint_repo(&[("infra/classes.yaml", ENVOY_LAN), ("infra/gw.yaml", &gw)]);
    assert_eq!(rules_of(&without), ["gateway-class-not-found"]);

    let files = [
        ("infra/classes.yaml", ENVOY_LAN),
        ("infra/gw.yaml", gw.as_str()),
        ("infra/ngf.yaml", ngf),
    ];
    let with = lint_repo(&files);
    assert!(rules_of(&with).is_empty(), "{}", human(&with));

    let dir = repo(&files);
    assert_eq!(
        rules_in(dir.path(), &["--strict"]),
        ["gateway-class-not-found"]
    );
}

#[test]
fn a_chart_of_the_repository_or_a_remote_resource_may_hold_the_class() {
    let gw = gateway("wan", "envoy-wan", "");
    let in_git = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: platform, namespace: network}
spec:
  chart:
    spec:
      chart: ./charts/platform
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
";
    let report = lint_repo(&[
        ("infra/classes.yaml", ENVOY_LAN),
        ("infra/gw.yaml", &gw),
        ("infra/platform.yaml", in_git),
    ]);
    assert!(rules_of(&report).is_empty(), "{}", human(&report));

    let remote = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: envoy-gateway-system
resources:
  - https://github.com/envoyproxy/gateway/releases/download/v1.5.0/quickstart.yaml
  - classes.yaml
  - gw.yaml
";
    let report = lint_repo(&[
        ("infra/kustomization.yaml", remote),
        ("infra/classes.yaml", ENVOY_LAN),
        ("infra/gw.yaml", &gw),
    ]);
    assert!(rules_of(&report).is_empty(), "{}", human(&report));
}

#[test]
fn a_class_written_but_not_deployed_is_said_at_the_gateway() {
    let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gw.yaml
";
    let class = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: internal}
spec: {controllerName: io.cilium/gateway-controller}
";
    let report = lint_repo(&[
        ("infra/kustomization.yaml", kustomization),
        ("infra/gw.yaml", &gateway("lan", "internal", "")),
        ("infra/class.yaml", class),
    ]);
    assert_eq!(
        rules_of(&report),
        ["gateway-class-not-found"],
        "{}",
        human(&report)
    );
    assert!(
        report.findings[0]
            .message
            .contains("is in class.yaml, which kustomization.yaml does not list"),
        "{}",
        human(&report)
    );
}

#[test]
fn placeholders_and_valid_addresses_are_not_judged() {
    let addresses = "  addresses:
    - value: ${GATEWAY_IP}
    - type: ${ADDRESS_TYPE}
      value: lan.example.com
    - value: \"::ffff:192.168.1.10\"
";
    let report = lint_repo(&[("infra/gw.yaml", &gateway("lan", "cilium", addresses))]);
    assert!(rules_of(&report).is_empty(), "{}", human(&report));

    let empty = "  addresses:\n    - type: IPAddress\n    - value: \"\"\n";
    let report = lint_repo(&[("infra/gw.yaml", &gateway("lan", "cilium", empty))]);
    assert_eq!(
        rules_of(&report),
        ["gateway-address-unsupported", "gateway-address-unsupported"],
        "{}",
        human(&report)
    );
}
