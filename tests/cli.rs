//! The command line end to end: exit codes, standard input, --namespace, JSON shape, and a
//! broken file next to good ones.

mod common;

use common::write;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn cilint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("cilint runs")
}

fn cilint_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cilint runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const GATEWAY: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: prod
spec:
  gatewayClassName: cilium
  listeners:
  - name: http
    protocol: HTTP
    port: 80
";

/// A route in `prod` whose backend Service has no namespace: it lands wherever --namespace says.
const ROUTE_AND_SERVICE: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: prod
spec:
  parentRefs:
  - name: web
  rules:
  - backendRefs:
    - name: shop
      port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports:
  - port: 80
";

#[test]
fn exit_codes() {
    let clean = cilint(&["fixtures/yaml-syntax/pass"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let findings = cilint(&["fixtures/yaml-syntax/fail"]);
    assert_eq!(findings.status.code(), Some(1));
    let missing = cilint(&["fixtures/does-not-exist"]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("fixtures/does-not-exist"), "{stderr}");
    assert_eq!(cilint(&["--format", "xml", "."]).status.code(), Some(2));
    assert_eq!(cilint(&["explain", "no-such-rule"]).status.code(), Some(2));
}

#[test]
fn a_broken_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-broken.yaml", "kind: [unclosed\n");
    write(dir.path(), "gateway.yaml", GATEWAY);
    write(
        dir.path(),
        "route.yaml",
        ROUTE_AND_SERVICE.replace("- name: web", "- name: wbe"),
    );
    let out = cilint(&["--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"yaml-syntax"), "{rules:?}");
    assert!(rules.contains(&"route-parent-not-found"), "{rules:?}");
    assert_eq!(json["summary"]["files"], 3);
    assert_eq!(json["summary"]["objects"], 3);
}

#[test]
fn namespace_flag_places_objects_without_one() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gateway.yaml", GATEWAY);
    write(dir.path(), "shop.yaml", ROUTE_AND_SERVICE);
    let path = dir.path().to_str().unwrap();

    let default = cilint(&["--format", "json", path]);
    let json: serde_json::Value = serde_json::from_slice(&default.stdout).unwrap();
    let finding = &json["findings"][0];
    assert_eq!(finding["rule"], "backend-not-found", "{json:#}");
    let help = finding["help"].as_str().unwrap();
    assert!(help.contains("--namespace prod"), "{help}");

    for args in [["--namespace", "prod"], ["-n", "prod"]] {
        let prod = cilint(&[args[0], args[1], path]);
        assert_eq!(prod.status.code(), Some(0), "{}", stdout(&prod));
    }
}

#[test]
fn stdin_is_read_with_dash() {
    let input = format!("{GATEWAY}---\n{ROUTE_AND_SERVICE}");
    let out = cilint_stdin(&["-n", "prod", "-"], &input);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("3 objects"), "{}", stdout(&out));

    let broken = cilint_stdin(&["--format", "json", "-"], "a: [\n");
    assert_eq!(broken.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    assert_eq!(json["findings"][0]["location"]["file"], "<stdin>");
}

#[test]
fn json_has_exactly_the_documented_shape() {
    let out = cilint(&["--format", "json", "fixtures/yaml-syntax/fail"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&json), ["findings", "summary", "tool"]);
    assert_eq!(json["tool"]["name"], "cilint");
    assert_eq!(json["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        keys(&json["summary"]),
        [
            "data_files",
            "errors",
            "files",
            "findings",
            "not_objects",
            "notes",
            "objects",
            "references",
            "templates",
            "unverified",
            "versions",
            "warnings"
        ]
    );
    let versions = &json["summary"]["versions"][0];
    assert_eq!(
        keys(versions),
        [
            "cilium",
            "cilium_source",
            "cluster",
            "gateway_api",
            "gateway_api_channel",
            "gateway_api_source"
        ]
    );
    assert_eq!(versions["gateway_api"], "v1.6.1");
    assert_eq!(versions["gateway_api_source"], "default");
    let f = &json["findings"][0];
    assert_eq!(
        keys(f),
        [
            "cluster",
            "condition",
            "deployed",
            "fix",
            "help",
            "location",
            "message",
            "object",
            "related",
            "rule",
            "severity"
        ]
    );
    assert_eq!(
        keys(&f["location"]),
        ["column", "end_column", "end_line", "file", "line"]
    );
    assert_eq!(
        f["location"]["file"],
        "fixtures/yaml-syntax/fail/apps/shop/deployment.yaml"
    );
    assert_eq!(f["location"]["line"], 20);
    assert!(f["object"].is_null());
    assert!(f["condition"].is_null());
}

#[test]
fn rules_and_explain() {
    let out = cilint(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let table = stdout(&out);
    for rule in cilint::rules::RULES {
        assert!(table.contains(rule.meta.id), "{table}");
    }
    let page = cilint(&["explain", "yaml-syntax"]);
    assert_eq!(page.status.code(), Some(0));
    assert!(stdout(&page).starts_with("# yaml-syntax\n"));
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let run = |threads: &str| {
        Command::new(env!("CARGO_BIN_EXE_cilint"))
            .args(["--format", "json", "fixtures"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert_eq!(one, run("4"));
    assert_eq!(one, run("2"));
}

/// Runs cilint in `dir`.
fn cilint_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cilint"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("cilint runs")
}

fn rules_in_json(out: &Output) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["location"]["file"].as_str().unwrap()
            )
        })
        .collect()
}

/// A repository as pre-commit sees it: the route's Gateway and Service live in files that are
/// not part of the commit.
fn precommit_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "infra/gateway.yaml", GATEWAY);
    write(dir.path(), "apps/shop.yaml", ROUTE_AND_SERVICE);
    write(
        dir.path(),
        "apps/broken-route.yaml",
        ROUTE_AND_SERVICE
            .replace(
                "name: shop\n  namespace: prod",
                "name: cart\n  namespace: prod",
            )
            .replace(
                "- name: shop\n      port: 80",
                "- name: shpo\n      port: 80",
            )
            .split("---")
            .next()
            .unwrap(),
    );
    dir
}

#[test]
fn report_only_lints_everything_but_reports_the_named_files() {
    let dir = precommit_repo();
    let args = |files: &[&'static str]| {
        let mut a = vec!["-n", "prod", "--format", "json", "--report-only"];
        a.extend_from_slice(files);
        a
    };
    // The staged route refers to a Gateway and a Service in files that are not staged: no
    // false "not found".
    let out = cilint_in(dir.path(), &args(&["apps/shop.yaml"]), &[]);
    assert_eq!(rules_in_json(&out), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));

    // A real finding in a staged file is reported, whatever the path's spelling.
    for file in ["apps/broken-route.yaml", "./apps/broken-route.yaml"] {
        let out = cilint_in(dir.path(), &args(&[file, "infra/gateway.yaml"]), &[]);
        assert_eq!(
            rules_in_json(&out),
            ["backend-not-found apps/broken-route.yaml"]
        );
        assert_eq!(out.status.code(), Some(1));
    }
    // …and only there.
    let out = cilint_in(dir.path(), &args(&["infra/gateway.yaml"]), &[]);
    assert_eq!(rules_in_json(&out), Vec::<String>::new());
}

#[test]
fn fail_on_sets_the_threshold() {
    // selector-matches-nothing is a warning.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pool.yaml",
        "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: p\nspec:\n  \
         blocks: [{cidr: 10.0.0.0/24}]\n  serviceSelector:\n    matchLabels: {pool: p}\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  \
         ports: [{port: 80}]\n",
    );
    let code = |fail_on: &str| {
        cilint_in(dir.path(), &["--fail-on", fail_on, "."], &[])
            .status
            .code()
    };
    assert_eq!(code("error"), Some(0));
    assert_eq!(code("warning"), Some(1));
    assert_eq!(code("note"), Some(1));
    assert_eq!(code("never"), Some(0));
    assert_eq!(cilint_in(dir.path(), &["."], &[]).status.code(), Some(1));
}

#[test]
fn quiet_output_file_and_github_default() {
    let dir = precommit_repo();
    let quiet = cilint_in(dir.path(), &["-q", "-n", "prod", "."], &[]);
    let text = stdout(&quiet);
    assert!(text.contains("backend-not-found"), "{text}");
    assert!(!text.contains("finding"), "{text}");

    let out = cilint_in(
        dir.path(),
        &["-n", "prod", "-o", "report.json", "--format", "json", "."],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    assert!(written.contains("\"backend-not-found\""), "{written}");

    let gha = cilint_in(
        dir.path(),
        &["-n", "prod", "."],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert!(
        stdout(&gha).starts_with("::error file=apps/broken-route.yaml,"),
        "{}",
        stdout(&gha)
    );
}
