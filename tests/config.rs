//! `.cilint.yaml`: discovery, every setting, and errors with file:line that exit 2.

mod common;

use common::write;
use std::path::Path;
use std::process::{Command, Output};

/// Runs cilint in `dir` with JSON output.
fn cilint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs")
}

fn findings(out: &Output) -> Vec<(String, String)> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A Gateway whose certificate Secret is not in git, and a route to a missing Service.
const TREE: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
spec:
  gatewayClassName: cilium
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    tls:
      certificateRefs:
      - name: wildcard-tls
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
spec:
  parentRefs:
  - name: web
  rules:
  - backendRefs:
    - name: legacy-shop
      port: 80
";

fn repo(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "manifests/web.yaml", TREE);
    write(dir.path(), ".cilint.yaml", config);
    dir
}

#[test]
fn without_settings_both_findings_are_errors() {
    let dir = repo("");
    let out = cilint_in(dir.path(), &["--format", "json", "manifests"]);
    assert_eq!(out.status.code(), Some(1));
    let mut f = findings(&out);
    f.sort();
    assert_eq!(
        f,
        [
            ("backend-not-found".into(), "error".into()),
            ("tls-secret-not-found".into(), "error".into())
        ]
    );
}

#[test]
fn rules_can_be_turned_off_or_given_a_severity() {
    let dir = repo("rules:\n  backend-not-found: off\n  tls-secret-not-found: note\n");
    let out = cilint_in(dir.path(), &["--format", "json", "manifests"]);
    assert_eq!(
        findings(&out),
        [("tls-secret-not-found".into(), "note".into())]
    );
    // A note does not fail the run by default.
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn external_objects_satisfy_references() {
    let dir = repo(
        "external:\n\
         - kind: Secret\n  name: wildcard-tls      # made by hand\n\
         - kind: Service\n  namespace: default\n  name: legacy-shop\n  labels: {team: shop}\n",
    );
    let out = cilint_in(dir.path(), &["--format", "json", "manifests"]);
    assert_eq!(findings(&out), []);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn namespace_from_config_and_the_flag_wins() {
    let dir =
        repo("namespace: prod\nexternal:\n- {kind: Secret, namespace: prod, name: wildcard-tls}\n");
    let out = cilint_in(dir.path(), &["--format", "json", "manifests"]);
    assert_eq!(
        findings(&out),
        [("backend-not-found".into(), "error".into())]
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"][0]["object"]["namespace"], "prod");

    let flag = cilint_in(
        dir.path(),
        &["--format", "json", "-n", "other", "manifests"],
    );
    let json: serde_json::Value = serde_json::from_slice(&flag.stdout).unwrap();
    assert_eq!(json["findings"][0]["object"]["namespace"], "other");
}

#[test]
fn excluded_paths_are_not_read() {
    let dir = repo("exclude:\n  - broken/\n  - '*.generated.yaml'\n");
    write(dir.path(), "manifests/broken/a.yaml", "a: [\n");
    write(dir.path(), "manifests/x.generated.yaml", "b: [\n");
    let out = cilint_in(dir.path(), &["--format", "json", "manifests"]);
    let rules: Vec<String> = findings(&out).into_iter().map(|(r, _)| r).collect();
    assert!(!rules.contains(&"yaml-syntax".to_string()), "{rules:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn found_in_a_parent_directory_but_not_above_the_repository() {
    let dir = repo("rules:\n  backend-not-found: off\n");
    let sub = dir.path().join("manifests");
    let out = cilint_in(&sub, &["--format", "json", "."]);
    assert_eq!(
        findings(&out),
        [("tls-secret-not-found".into(), "error".into())]
    );

    // A configuration above the repository root belongs to something else.
    let outer = tempfile::tempdir().unwrap();
    write(
        outer.path(),
        ".cilint.yaml",
        "rules:\n  backend-not-found: off\n",
    );
    write(outer.path(), "repo/manifests/web.yaml", TREE);
    std::fs::create_dir(outer.path().join("repo/.git")).unwrap();
    let out = cilint_in(&outer.path().join("repo"), &["--format", "json", "."]);
    assert_eq!(findings(&out).len(), 2);
}

#[test]
fn explicit_config_path() {
    let dir = repo("");
    write(
        dir.path(),
        "ci/cilint.yaml",
        "rules:\n  tls-secret-not-found: off\n",
    );
    let out = cilint_in(
        dir.path(),
        &[
            "--format",
            "json",
            "--config",
            "ci/cilint.yaml",
            "manifests",
        ],
    );
    assert_eq!(
        findings(&out),
        [("backend-not-found".into(), "error".into())]
    );
    let missing = cilint_in(dir.path(), &["--config", "nope.yaml", "manifests"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("nope.yaml"),
        "{}",
        stderr(&missing)
    );
}

/// A kustomize repository with the same defects in a deployed file and in a stray one.
fn repo_with_stray(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(
        dir.path(),
        "app/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- web.yaml\n",
    );
    write(dir.path(), "app/web.yaml", TREE);
    write(dir.path(), "old/web.yaml", TREE);
    write(dir.path(), ".cilint.yaml", config);
    dir
}

/// `(file, rule, severity, deployed)` of each finding, sorted.
fn by_file(out: &Output) -> Vec<(String, String, String, bool)> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let mut f: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["file"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["deployed"].as_bool().unwrap(),
            )
        })
        .collect();
    f.sort();
    f
}

#[test]
fn undeployed_findings_are_warnings_by_default_and_configurable() {
    let row = |file: &str, rule: &str, severity: &str, deployed: bool| {
        (
            file.to_string(),
            rule.to_string(),
            severity.to_string(),
            deployed,
        )
    };
    let both = |stray: &str| {
        vec![
            row("app/web.yaml", "backend-not-found", "error", true),
            row("app/web.yaml", "tls-secret-not-found", "error", true),
            row("old/web.yaml", "backend-not-found", stray, false),
            row("old/web.yaml", "tls-secret-not-found", stray, false),
        ]
    };
    let run = |config: &str| {
        let dir = repo_with_stray(config);
        by_file(&cilint_in(dir.path(), &["--format", "json", "."]))
    };
    assert_eq!(run(""), both("warning"));
    assert_eq!(run("undeployed: warning\n"), both("warning"));
    assert_eq!(run("undeployed: error\n"), both("error"));
    assert_eq!(run("undeployed: note\n"), both("note"));
    let mut off = both("-");
    off.truncate(2);
    assert_eq!(run("undeployed: off\n"), off);
    // The cap never raises: a note stays a note.
    assert_eq!(
        run("undeployed: warning\nrules:\n  backend-not-found: note\n")[2],
        row("old/web.yaml", "backend-not-found", "note", false)
    );
}

fn config_error(config: &str) -> String {
    let dir = repo(config);
    let out = cilint_in(dir.path(), &["manifests"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    stderr(&out)
}

#[test]
fn errors_say_where_and_exit_2() {
    let unknown_key = config_error("namespace: prod\nrulez:\n  backend-not-found: off\n");
    insta::assert_snapshot!("unknown-key", unknown_key);
    assert!(unknown_key.contains(".cilint.yaml:2:1"), "{unknown_key}");

    let unknown_rule = config_error("rules:\n  backend-not-fund: off\n");
    insta::assert_snapshot!("unknown-rule", unknown_rule);
    assert!(unknown_rule.contains("did you mean `backend-not-found`"));

    let bad_value = config_error("rules:\n  backend-not-found: disabled\n");
    insta::assert_snapshot!("bad-value", bad_value);
    assert!(bad_value.contains(".cilint.yaml:2:22"), "{bad_value}");

    let bad_undeployed = config_error("namespace: prod\nundeployed: ignore\n");
    assert!(
        bad_undeployed.contains(".cilint.yaml:2:13")
            && bad_undeployed
                .contains("`undeployed` is set to `ignore`; use error, warning, note or off"),
        "{bad_undeployed}"
    );

    let bad_type = config_error("exclude: charts/\n");
    assert!(bad_type.contains(".cilint.yaml:1:"), "{bad_type}");

    let no_api_version = config_error("external:\n- {kind: Certificate, name: x}\n");
    assert!(
        no_api_version.contains("needs an `apiVersion`"),
        "{no_api_version}"
    );

    let missing_name = config_error("external:\n- kind: Secret\n");
    assert!(missing_name.contains("name"), "{missing_name}");

    let syntax = config_error("rules: [\n");
    assert!(syntax.contains(".cilint.yaml:"), "{syntax}");
}

/// Run from outside the repository on its directory, cilint reads the repository's own
/// `.cilint.yaml` (the working directory has none); from inside, the working directory's wins.
#[test]
fn a_run_over_one_directory_reads_its_configuration() {
    let dir = repo("rules:\n  backend-not-found: off\n");
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(outside.path().join(".git")).unwrap();
    let repo_path = dir.path().to_str().unwrap();
    let out = cilint_in(outside.path(), &["--format", "json", repo_path]);
    assert_eq!(
        findings(&out),
        [("tls-secret-not-found".into(), "error".into())],
        "{}",
        stderr(&out)
    );
    write(
        outside.path(),
        ".cilint.yaml",
        "rules:\n  tls-secret-not-found: off\n",
    );
    let out = cilint_in(outside.path(), &["--format", "json", repo_path]);
    assert_eq!(
        findings(&out),
        [("backend-not-found".into(), "error".into())]
    );
}
