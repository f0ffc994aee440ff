//! The pre-commit hook as pre-commit runs it: `.pre-commit-hooks.yaml`'s `entry` split with shell
//! rules, then the user's `args:`, then the staged files that pass `types_or`, from the
//! repository root. Whatever `args:` holds, the findings are those of the staged files and the
//! exit code is the main command's.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde::Deserialize;

/// One hook of `.pre-commit-hooks.yaml`, with the keys pre-commit reads to run it.
#[derive(Deserialize)]
struct HookDefinition {
    id: String,
    entry: String,
    language: String,
    #[serde(default)]
    args: Vec<String>,
    types_or: Vec<String>,
    require_serial: bool,
    pass_filenames: bool,
}

fn hook_definition() -> HookDefinition {
    let text = std::fs::read_to_string(".pre-commit-hooks.yaml").unwrap();
    let mut hooks: Vec<HookDefinition> = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 1, "one hook");
    hooks.remove(0)
}

/// identify's tags for the extensions `types_or` names (identify/extensions.py).
fn type_tags(file: &str) -> &'static [&'static str] {
    match Path::new(file).extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => &["yaml"],
        Some("json") => &["json"],
        Some("sh") => &["shell"],
        Some("bash") => &["shell", "bash"],
        Some("md") => &["markdown"],
        _ => &[],
    }
}

/// The command line pre-commit builds: `shlex.split(entry)`, the `args:` of the user's
/// `.pre-commit-config.yaml` (else the hook's own), then the staged files it keeps (those that
/// exist and carry one of `types_or`'s tags). `cilint` is the binary under test, as
/// `language: rust` installs it.
fn command_line(root: &Path, args: &[&str], staged: &[&str]) -> Vec<String> {
    let hook = hook_definition();
    let mut line = shlex::split(&hook.entry).expect("entry splits with shell rules");
    if args.is_empty() {
        line.extend(hook.args.iter().cloned());
    } else {
        line.extend(args.iter().map(|a| a.to_string()));
    }
    line.extend(
        staged
            .iter()
            .filter(|f| root.join(f).symlink_metadata().is_ok())
            .filter(|f| {
                type_tags(f)
                    .iter()
                    .any(|t| hook.types_or.iter().any(|w| w == t))
            })
            .map(|f| f.to_string()),
    );
    line
}

/// Runs a command line from `root` with the binary under test as `cilint`.
fn run(root: &Path, line: &[String]) -> Output {
    assert_eq!(line[0], "cilint", "the entry runs the installed cilint");
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(&line[1..])
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs")
}

fn pre_commit(root: &Path, args: &[&str], staged: &[&str]) -> Output {
    run(root, &command_line(root, args, staged))
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// `rule file` of each finding of JSON output.
fn json_findings(out: &Output) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}", stdout(out)));
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["rule"], f["location"]["file"]).replace('"', ""))
        .collect()
}

/// A home cluster applied with `kubectl apply -n prod`: a Cilium Gateway and its L2
/// announcement in `infra/`, an app whose route has no namespace (it lands in `prod` only with
/// `--namespace prod`, or `namespace: prod` in the configuration) and whose Service says `prod`.
/// The `dns` announcement policy selects a Service not deployed yet: a warning in
/// `infra/cilium/l2.yaml`, whatever the namespace.
fn home_cluster() -> tempfile::TempDir {
    common::repo(&[
        (
            "infra/gateway/gateway.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: public\n  \
             namespace: infra\nspec:\n  gatewayClassName: cilium\n  infrastructure:\n    labels:\n      \
             announce: l2\n  listeners:\n    - name: http\n      protocol: HTTP\n      port: 80\n      \
             allowedRoutes:\n        namespaces:\n          from: All\n",
        ),
        (
            "infra/cilium/l2.yaml",
            "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata:\n  name: gateways\n\
             spec:\n  serviceSelector:\n    matchLabels:\n      announce: l2\n  loadBalancerIPs: true\n\
             ---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: lan\nspec:\n  \
             blocks:\n    - cidr: 192.168.1.240/28\n---\napiVersion: cilium.io/v2alpha1\n\
             kind: CiliumL2AnnouncementPolicy\nmetadata:\n  name: dns\nspec:\n  serviceSelector:\n    \
             matchLabels:\n      app.kubernetes.io/name: blocky\n  loadBalancerIPs: true\n",
        ),
        (
            "apps/shop/route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: shop\nspec:\n  \
             parentRefs:\n    - name: public\n      namespace: infra\n      sectionName: http\n  \
             hostnames: [shop.example.com]\n  rules:\n    - backendRefs:\n        - name: shop\n          \
             port: 80\n",
        ),
        (
            "apps/shop/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n  namespace: prod\nspec:\n  \
             selector:\n    app.kubernetes.io/name: shop\n  ports:\n    - name: http\n      port: 80\n      \
             targetPort: 8080\n",
        ),
        ("ci/cilint.yaml", "namespace: prod\n"),
        (
            "README.md",
            "# home cluster\n\nApplied with `kubectl apply -n prod -R -f apps/ -f infra/`.\n",
        ),
        ("notes.txt", "not a type the hook takes\n"),
    ])
}

#[test]
fn the_hook_definition_is_what_pre_commit_needs() {
    let hook = hook_definition();
    assert_eq!(hook.id, "cilint");
    assert_eq!(hook.language, "rust");
    assert_eq!(
        shlex::split(&hook.entry).unwrap(),
        ["cilint", "hook"],
        "options come after the entry, so the entry must be a subcommand that takes them"
    );
    assert!(hook.args.is_empty(), "the user's `args:` follow the entry");
    assert_eq!(hook.types_or, ["yaml", "json", "shell", "markdown"]);
    // One run sees the whole repository; parallel batches would each lint it again.
    assert!(hook.require_serial);
    assert!(hook.pass_filenames);
}

#[test]
fn without_args_the_staged_route_is_reported_with_the_default_namespace() {
    let repo = home_cluster();
    // In `default`, the route's Service `shop` (in `prod`) is not found.
    let out = pre_commit(repo.path(), &[], &["apps/shop/route.yaml", "notes.txt"]);
    let text = stdout(&out);
    assert!(text.contains("backend-not-found"), "{text}");
    assert!(text.contains("apps/shop/route.yaml:"), "{text}");
    assert!(!text.contains("selector-matches-nothing"), "{text}");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn namespace_args_reach_the_lint() {
    let repo = home_cluster();
    let out = pre_commit(
        repo.path(),
        &["--namespace", "prod"],
        &["apps/shop/route.yaml", "apps/shop/service.yaml"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stdout(&out).contains("backend-not-found"));
    assert_eq!(stderr(&out), "");
}

#[test]
fn format_args_reach_the_output() {
    let repo = home_cluster();
    let out = pre_commit(
        repo.path(),
        &["--format", "json"],
        &[
            "apps/shop/route.yaml",
            "infra/gateway/gateway.yaml",
            "README.md",
        ],
    );
    assert_eq!(
        json_findings(&out),
        ["backend-not-found apps/shop/route.yaml"]
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn config_args_reach_the_lint() {
    let repo = home_cluster();
    // ci/cilint.yaml says `namespace: prod`.
    let out = pre_commit(
        repo.path(),
        &["--config", "ci/cilint.yaml", "--format", "json"],
        &["apps/shop/route.yaml"],
    );
    assert_eq!(json_findings(&out), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = pre_commit(
        repo.path(),
        &["--config", "ci/missing.yaml"],
        &["apps/shop/route.yaml"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a configuration error is a usage error"
    );
}

#[test]
fn fail_on_args_set_the_threshold() {
    let repo = home_cluster();
    let staged = ["infra/cilium/l2.yaml"];
    let out = pre_commit(repo.path(), &["--format", "json"], &staged);
    assert_eq!(
        json_findings(&out),
        ["selector-matches-nothing infra/cilium/l2.yaml"]
    );
    assert_eq!(out.status.code(), Some(1), "a warning fails by default");

    let out = pre_commit(repo.path(), &["--fail-on", "error"], &staged);
    assert!(stdout(&out).contains("selector-matches-nothing"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning is below --fail-on error"
    );
}

#[test]
fn findings_outside_the_staged_files_do_not_fail_the_commit() {
    let repo = home_cluster();
    // The tree holds a backend-not-found and a selector-matches-nothing, neither in these files.
    let out = pre_commit(
        repo.path(),
        &["--format", "json"],
        &["infra/gateway/gateway.yaml", "apps/shop/service.yaml"],
    );
    assert_eq!(json_findings(&out), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));

    // `cilint .`, as CI runs it, checks the whole tree.
    let out = run(
        repo.path(),
        &["cilint".into(), "--format".into(), "json".into()],
    );
    assert_eq!(
        json_findings(&out),
        [
            "backend-not-found apps/shop/route.yaml",
            "selector-matches-nothing infra/cilium/l2.yaml"
        ]
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_deleted_or_renamed_file_is_not_an_error() {
    let repo = home_cluster();
    // pre-commit drops files that no longer exist; `git diff --cached --name-only | xargs`, as
    // other hook runners do, passes them: the old name of a rename and a deletion.
    let mut line = command_line(repo.path(), &["--namespace", "prod"], &[]);
    line.extend(
        [
            "apps/shop/old-route.yaml",
            "apps/removed.yaml",
            "apps/shop/route.yaml",
        ]
        .map(String::from),
    );
    let out = run(repo.path(), &line);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stderr(&out), "");

    // Only deletions staged: nothing to report.
    let mut line = command_line(repo.path(), &["--format", "json"], &[]);
    line.push("apps/removed.yaml".into());
    let out = run(repo.path(), &line);
    assert_eq!(json_findings(&out), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn run_by_hand_from_a_subdirectory_the_root_is_the_context() {
    let repo = home_cluster();
    // The route's Gateway and Service are outside `apps/shop`; the path is the user's, relative
    // to where they are.
    let out = run(
        &repo.path().join("apps/shop"),
        &[
            "cilint",
            "hook",
            "-n",
            "prod",
            "--format",
            "json",
            "route.yaml",
        ]
        .map(String::from),
    );
    assert_eq!(json_findings(&out), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));

    let out = run(
        &repo.path().join("apps/shop"),
        &["cilint", "hook", "--format", "json", "route.yaml"].map(String::from),
    );
    assert_eq!(
        json_findings(&out),
        ["backend-not-found ../../apps/shop/route.yaml"]
    );
}

/// The README's `.pre-commit-config.yaml` names this hook, and its `args:` work.
#[test]
fn the_readme_configuration_runs() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let block = readme
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .find(|b| b.starts_with("repos:"))
        .expect("a .pre-commit-config.yaml in the README");
    let config: serde_json::Value = serde_saphyr::from_str(block).unwrap();
    let hook = &config["repos"][0]["hooks"][0];
    assert_eq!(hook["id"].as_str(), Some(hook_definition().id.as_str()));
    let args: Vec<&str> = hook["args"]
        .as_array()
        .expect("the README shows args")
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let repo = home_cluster();
    let out = pre_commit(repo.path(), &args, &["apps/shop/route.yaml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}
