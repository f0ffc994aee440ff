//! Suppressions: each form drops the findings it names, and only those; a suppression that
//! suppresses nothing, or names no real rule, is reported as `unused-suppression`.

mod common;

use cilint::Report;
use common::{lint, rules_of};

const GATEWAY: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
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

/// An HTTPRoute in `shop` with the given annotations block (indented under `metadata`), parent
/// Gateway and backend Service: neither `payments` nor `staging` exist.
fn route(annotations: &str, parent: &str, backend_line: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: checkout
  namespace: shop
{annotations}spec:
  parentRefs:
    - name: {parent}
      namespace: infra
  rules:
    - backendRefs:
{backend_line}
          port: 443
"
    )
}

const MISSING_BACKEND: &str = "        - name: payments";

/// Lints a tree of `(path, text)` files written to a temporary directory.
fn lint_tree(files: &[(&str, &str)]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let report = lint(&[dir.path().to_str().unwrap()]);
    assert!(report.input_errors.is_empty(), "{:?}", report.input_errors);
    report
}

/// A route tree linted with the Gateway beside it.
fn lint_route(route: &str) -> Report {
    lint_tree(&[("gateway.yaml", GATEWAY), ("route.yaml", route)])
}

/// `(rule, line, column)` of every finding.
fn findings(report: &Report) -> Vec<(&'static str, u32, u32)> {
    report
        .findings
        .iter()
        .map(|f| {
            let s = f.location.span.start;
            (f.rule, s.line, s.col)
        })
        .collect()
}

fn messages(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.message.as_str()).collect()
}

#[test]
fn unsuppressed_route_draws_both_findings() {
    let report = lint_route(&route("", "staging", MISSING_BACKEND));
    assert_eq!(
        rules_of(&report),
        ["route-parent-not-found", "backend-not-found"]
    );
}

#[test]
fn annotation_with_one_rule() {
    let annotations = "  annotations:\n    cilint.io/ignore: backend-not-found\n";
    let report = lint_route(&route(annotations, "public", MISSING_BACKEND));
    assert!(report.findings.is_empty(), "{:?}", messages(&report));
}

#[test]
fn annotation_with_a_list() {
    for list in [
        "\"route-parent-not-found,backend-not-found\"",
        "route-parent-not-found backend-not-found",
        "'route-parent-not-found, backend-not-found -- both made by the staging chart'",
    ] {
        let annotations = format!("  annotations:\n    cilint.io/ignore: {list}\n");
        let report = lint_route(&route(&annotations, "staging", MISSING_BACKEND));
        assert!(
            report.findings.is_empty(),
            "{list}: {:?}",
            messages(&report)
        );
    }
}

#[test]
fn annotation_all() {
    let annotations = "  annotations:\n    cilint.io/ignore: all\n";
    let report = lint_route(&route(annotations, "staging", MISSING_BACKEND));
    assert!(report.findings.is_empty(), "{:?}", messages(&report));
}

#[test]
fn annotation_suppresses_only_findings_about_its_object() {
    // The Gateway's annotation does not cover the route's finding, and is itself unused.
    let gateway = GATEWAY.replace(
        "  namespace: infra\n",
        "  namespace: infra\n  annotations:\n    cilint.io/ignore: backend-not-found\n",
    );
    let report = lint_tree(&[
        ("gateway.yaml", &gateway),
        ("route.yaml", &route("", "public", MISSING_BACKEND)),
    ]);
    assert_eq!(
        findings(&report),
        [("unused-suppression", 7, 23), ("backend-not-found", 12, 17)]
    );
}

#[test]
fn yaml_comment_on_the_line_before() {
    let backend = "        # cilint-ignore backend-not-found -- created by the payments chart\n\
                   \x20       - name: payments";
    let report = lint_route(&route("", "public", backend));
    assert!(report.findings.is_empty(), "{:?}", messages(&report));
}

#[test]
fn trailing_yaml_comment() {
    let backend = "        - name: payments # cilint-ignore backend-not-found";
    let report = lint_route(&route("", "public", backend));
    assert!(report.findings.is_empty(), "{:?}", messages(&report));
}

#[test]
fn a_suppression_affects_only_the_named_rule() {
    // Both findings of the route, each on its own line; each comment names the other's rule.
    let text = route("", "staging", MISSING_BACKEND)
        .replace(
            "    - name: staging",
            "    - name: staging # cilint-ignore backend-not-found",
        )
        .replace(
            MISSING_BACKEND,
            &format!("        # cilint-ignore route-parent-not-found\n{MISSING_BACKEND}"),
        );
    let report = lint_route(&text);
    assert_eq!(
        findings(&report),
        [
            ("route-parent-not-found", 8, 13),
            ("unused-suppression", 8, 37),
            ("unused-suppression", 12, 25),
            ("backend-not-found", 13, 17),
        ]
    );
}

#[test]
fn shell_comment_before_kubectl_label() {
    let script = "#!/bin/sh\n\
                  # cilint-ignore label-command-unknown-gateway -- the Gateway is made by Terraform\n\
                  kubectl -n infra label service cilium-gateway-edge lb=edge\n\
                  kubectl -n infra label service cilium-gateway-edge2 lb=edge\n";
    let report = lint_tree(&[("gateway.yaml", GATEWAY), ("post-deploy.sh", script)]);
    // Only the next line is covered.
    assert_eq!(
        findings(&report),
        [("label-command-unknown-gateway", 4, 32)]
    );
}

#[test]
fn markdown_html_comment_and_fence_comment() {
    let readme = "# Edge\n\n\
                  <!-- cilint-ignore label-command-unknown-gateway -->\n\
                  ```console\n\
                  $ kubectl -n infra label service cilium-gateway-edge lb=edge\n\
                  $ kubectl -n infra label service cilium-gateway-edge2 lb=edge\n\
                  ```\n\n\
                  ```sh\n\
                  # cilint-ignore label-command-unknown-gateway\n\
                  kubectl -n infra label service cilium-gateway-edge3 lb=edge\n\
                  kubectl -n infra label service cilium-gateway-edge4 lb=edge  # cilint-ignore all\n\
                  ```\n";
    let report = lint_tree(&[("gateway.yaml", GATEWAY), ("README.md", readme)]);
    assert!(report.findings.is_empty(), "{:?}", messages(&report));
}

#[test]
fn unused_suppressions_of_each_kind() {
    let annotations = "  annotations:\n    cilint.io/ignore: backend-not-found, all\n";
    let backend = "        # cilint-ignore backend-not-found\n\
                   \x20       - name: payments-v2";
    let text = route(annotations, "public", backend).replace(
        "          port: 443",
        "          port: 443 # cilint-ignore all",
    );
    let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: payments-v2\n  \
                   namespace: shop\nspec:\n  ports:\n    - port: 443\n";
    let script = "# cilint-ignore label-command-unknown-gateway\n\
                  kubectl -n infra label service cilium-gateway-public lb=edge\n";
    let readme = "<!-- cilint-ignore label-command-unknown-gateway -->\n\
                  ```sh\n\
                  kubectl -n infra label service cilium-gateway-public lb=edge\n\
                  # cilint-ignore all\n\
                  kubectl -n infra annotate service cilium-gateway-public a=b\n\
                  ```\n";
    let report = lint_tree(&[
        ("gateway.yaml", GATEWAY),
        ("route.yaml", &text),
        ("service.yaml", service),
        ("post-deploy.sh", script),
        ("README.md", readme),
    ]);
    assert!(
        rules_of(&report).iter().all(|r| *r == "unused-suppression"),
        "{:?}",
        messages(&report)
    );
    let at: Vec<(String, u32, u32)> = report
        .findings
        .iter()
        .map(|f| {
            let file = &report.file(f.location.file).path;
            let name = file.rsplit('/').next().unwrap().to_string();
            (name, f.location.span.start.line, f.location.span.start.col)
        })
        .collect();
    let at: Vec<(&str, u32, u32)> = at.iter().map(|(f, l, c)| (f.as_str(), *l, *c)).collect();
    assert_eq!(
        at,
        [
            ("README.md", 1, 20),
            ("README.md", 4, 17),
            ("post-deploy.sh", 1, 17),
            // The annotation names two ids: each is reported, at the annotation's value.
            ("route.yaml", 7, 23),
            ("route.yaml", 7, 23),
            ("route.yaml", 14, 25),
            ("route.yaml", 16, 37),
        ]
    );
    let messages = messages(&report);
    assert!(
        messages.contains(
            &"`cilint.io/ignore: backend-not-found` suppresses nothing: there is no \
              backend-not-found finding about HTTPRoute shop/checkout"
        ),
        "{messages:?}"
    );
    assert!(
        messages.contains(
            &"`cilint-ignore label-command-unknown-gateway` suppresses nothing: there is no \
              label-command-unknown-gateway finding on lines 2-6"
        ),
        "{messages:?}"
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.severity == cilint::diagnostic::Severity::Note)
    );
}

#[test]
fn unknown_rule_ids_are_reported_with_a_suggestion() {
    let annotations = "  annotations:\n    cilint.io/ignore: backend-not-fund\n";
    let backend = "        - name: payments # cilint-ignore backend-notfound, all";
    let report = lint_route(&route(annotations, "public", backend));
    let unknown: Vec<(&str, Option<&str>)> = report
        .findings
        .iter()
        .filter(|f| f.message.contains("there is no rule"))
        .map(|f| (f.message.as_str(), f.help.as_deref()))
        .collect();
    assert_eq!(
        unknown,
        [
            (
                "`cilint.io/ignore: backend-not-fund` suppresses nothing: there is no rule \
                 `backend-not-fund`",
                Some("did you mean `backend-not-found`? `cilint rules` lists the rule ids")
            ),
            (
                "`cilint-ignore backend-notfound` suppresses nothing: there is no rule \
                 `backend-notfound`",
                Some("did you mean `backend-not-found`? `cilint rules` lists the rule ids")
            ),
        ]
    );
    // `all` beside the misspelled id still suppresses the finding.
    assert_eq!(
        rules_of(&report),
        ["unused-suppression", "unused-suppression"]
    );
}

#[test]
fn a_suppression_naming_no_rule_is_reported() {
    let backend = "        - name: payments # cilint-ignore -- created by the chart";
    let report = lint_route(&route("", "public", backend));
    assert_eq!(
        findings(&report),
        [
            ("backend-not-found", 12, 17),
            ("unused-suppression", 12, 28)
        ]
    );
    assert_eq!(
        report.findings[1].message,
        "`cilint-ignore` names no rule, so it suppresses nothing"
    );
}

/// An app-template HelmRelease whose rendered route points at a listener and a Service that do
/// not exist; `release` and `route` are extra lines of the HelmRelease's metadata and of the
/// route entry.
fn app_template(release: &str, route: &str) -> String {
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: sonarr
  namespace: shop
{release}spec:
  chart:
    spec: {{chart: app-template, version: 4.6.2}}
  values:
    controllers: {{sonarr: {{}}}}
    service:
      app: {{ports: {{http: {{port: 8989}}}}}}
    route:
      app:
{route}        parentRefs:
          - name: public
            namespace: infra
            sectionName: htps
        rules:
          - backendRefs: [{{name: app, port: 8989}}]
"
    )
}

#[test]
fn rendered_objects_follow_the_helm_releases_annotation_and_their_own() {
    let rules = |report: &Report| {
        let mut r: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
        r.sort();
        r
    };
    let plain = lint_tree(&[
        ("gateway.yaml", GATEWAY),
        ("hr.yaml", &app_template("", "")),
    ]);
    assert_eq!(
        rules(&plain),
        ["backend-not-found", "route-listener-not-found"]
    );
    // The HelmRelease's annotation covers what is rendered from its values.
    let release = "  annotations:\n    cilint.io/ignore: route-listener-not-found\n";
    let on_release = lint_tree(&[
        ("gateway.yaml", GATEWAY),
        ("hr.yaml", &app_template(release, "")),
    ]);
    assert_eq!(rules(&on_release), ["backend-not-found"]);
    // The route's `annotations` in the values are the rendered route's.
    let route = "        annotations:\n          cilint.io/ignore: backend-not-found\n";
    let on_route = lint_tree(&[
        ("gateway.yaml", GATEWAY),
        ("hr.yaml", &app_template("", route)),
    ]);
    assert_eq!(rules(&on_route), ["route-listener-not-found"]);
    // A comment above the value works as anywhere in YAML.
    let commented = app_template("", "").replace(
        "            sectionName: htps\n",
        "            # cilint-ignore route-listener-not-found\n            sectionName: htps\n",
    );
    let on_line = lint_tree(&[("gateway.yaml", GATEWAY), ("hr.yaml", &commented)]);
    assert_eq!(rules(&on_line), ["backend-not-found"]);
}
