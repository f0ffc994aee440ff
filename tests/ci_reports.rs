//! The CI report formats. GitLab Code Quality: valid against a schema written from GitLab's
//! documentation, one issue per finding, SARIF's fingerprints (stable across moved lines, unique
//! in a report), paths relative to the repository root. JUnit XML: parsed back, one suite per
//! enabled rule, one failing case per finding and a passing case per rule without one, counts
//! that add up and names GitLab does not merge.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};

use cilint::Report;
use cilint::diagnostic::Severity;
use cilint::report::junit::{INPUT_SUITE, NO_FINDING};
use cilint::report::sarif::FINGERPRINT_KEY;
use cilint::report::{self, Format, SrcRoot, Style};
use cilint::rules::RULES;
use serde_json::Value;

use common::{lint, lint_configured, repo};

const SEED: &str = "fixtures/seed-post";
/// Two clusters, one Secret missing in both (one fingerprint twice), a file nothing deploys.
const MULTI: &str = "fixtures/repos/flux-multi-cluster";

fn gitlab_with(report: &Report, style: Style) -> Value {
    let text = report::render(report, Format::Gitlab, style);
    assert!(text.ends_with("]\n"), "{text}");
    serde_json::from_str(&text).expect("the Code Quality report is JSON")
}

fn gitlab(report: &Report) -> Value {
    gitlab_with(report, Style::default())
}

fn junit(report: &Report) -> String {
    report::render(report, Format::Junit, Style::default())
}

fn issues(report: &Value) -> &Vec<Value> {
    report.as_array().expect("the report is an array")
}

fn schema_errors(report: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(include_str!("gitlab-codequality-schema.json"))
        .expect("the schema parses");
    let validator = jsonschema::draft7::options()
        .build(&schema)
        .expect("the schema compiles");
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn assert_schema_valid(report: &Value) {
    let errors = schema_errors(report);
    assert!(
        errors.is_empty(),
        "not a valid Code Quality report:\n{}",
        errors.join("\n")
    );
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

/// One issue per finding, in report order, saying what the finding says; fingerprints are
/// SARIF's, and unique.
fn assert_consistent(report: &Report, cq: &Value, style: &Style) {
    let issues = issues(cq);
    assert_eq!(issues.len(), report.findings.len());
    let sarif: Value = serde_json::from_str(&report::render(report, Format::Sarif, style.clone()))
        .expect("SARIF is JSON");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    for ((issue, f), result) in issues.iter().zip(&report.findings).zip(results) {
        assert_eq!(issue["check_name"], f.rule);
        assert_eq!(issue["severity"], severity(f.severity));
        assert_eq!(
            issue["location"]["lines"]["begin"],
            f.location.span.start.line
        );
        assert_eq!(issue["location"]["lines"]["end"], f.location.span.end.line);
        assert!(
            issue["description"]
                .as_str()
                .unwrap()
                .contains(f.message.as_str())
        );
        assert_eq!(
            issue["fingerprint"],
            result["partialFingerprints"][FINGERPRINT_KEY]
        );
    }
    let prints: HashSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), issues.len(), "fingerprints collide");
}

#[test]
fn seed_post_gitlab_is_schema_valid() {
    let report = lint_configured(&[SEED], "prod");
    let cq = gitlab(&report);
    assert_schema_valid(&cq);
    assert_consistent(&report, &cq, &Style::default());
    assert_eq!(issues(&cq).len(), 4);
    insta::assert_snapshot!(
        "seed-post-prod-gitlab",
        report::render(&report, Format::Gitlab, Style::default())
    );
}

#[test]
fn multi_cluster_repository_gitlab() {
    let report = lint(&[MULTI]);
    let cq = gitlab(&report);
    assert_schema_valid(&cq);
    assert_consistent(&report, &cq, &Style::default());
    let issues = issues(&cq);
    // The same missing Secret in both clusters: one fingerprint, told apart by its occurrence.
    let tls: Vec<&str> = issues
        .iter()
        .filter(|i| i["check_name"] == "tls-secret-not-found")
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(tls.len(), 2);
    assert_eq!(format!("{}:2", tls[0]), tls[1]);
    // A finding in a file nothing deploys is a warning and says so.
    let stray: Vec<&Value> = issues
        .iter()
        .filter(|i| {
            i["description"]
                .as_str()
                .unwrap()
                .ends_with("(not deployed: no kustomization, Flux Kustomization or Argo CD Application includes this file)")
        })
        .collect();
    assert_eq!(stray.len(), 1);
    assert_eq!(stray[0]["severity"], "minor");
    insta::assert_snapshot!(
        "flux-multi-cluster-gitlab",
        report::render(&report, Format::Gitlab, Style::default())
    );
}

#[test]
fn the_gitlab_schema_check_rejects_a_broken_report() {
    let mut cq = gitlab(&lint_configured(&[SEED], "prod"));
    cq[0]["severity"] = "error".into();
    cq[1]["location"]["path"] = "./fixtures/seed-post/x.yaml".into();
    cq[2].as_object_mut().unwrap().remove("fingerprint");
    cq[3]["location"].as_object_mut().unwrap().remove("lines");
    let errors = schema_errors(&cq).join("\n");
    for (what, at) in [
        ("\"error\"", "/0/severity"),
        ("./fixtures", "/1/location/path"),
        ("fingerprint", "/2"),
        ("anyOf", "/3/location"),
    ] {
        assert!(
            errors.lines().any(|l| l.contains(what) && l.ends_with(at)),
            "{what} at {at} not reported:\n{errors}"
        );
    }
}

#[test]
fn an_empty_run_is_an_empty_array() {
    let dir = tempfile::tempdir().unwrap();
    let report = lint(&[dir.path().to_str().unwrap()]);
    assert_eq!(
        report::render(&report, Format::Gitlab, Style::default()),
        "[]\n"
    );
}

const ROUTE: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: shop
spec:
  parentRefs:
    - name: public
  rules:
    - backendRefs:
        - name: storefront
          port: 80
";

/// Two suppressions that suppress nothing, in one script: the same rule, file and field.
const SCRIPT: &str = "\
#!/bin/sh
# cilint-ignore all
echo one
# cilint-ignore all
echo two
";

fn root_style(dir: &Path) -> Style {
    Style {
        src_root: SrcRoot {
            dir: dir.to_path_buf(),
            prefix: String::new(),
        },
        ..Style::default()
    }
}

/// The names of a JUnit report's failing test cases, in document order.
fn failing_cases(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase") && n.children().any(|c| c.is_element()))
        .map(|n| n.attribute("name").unwrap().to_string())
        .collect()
}

#[test]
fn identities_survive_moved_lines_and_tell_duplicates_apart() {
    let dir = repo(&[
        ("deploy/shop/route.yaml", ROUTE),
        ("scripts/setup.sh", SCRIPT),
    ]);
    let style = root_style(dir.path());
    let run = || {
        let report = lint(&[dir.path().to_str().unwrap()]);
        let cq = gitlab_with(&report, style.clone());
        assert_schema_valid(&cq);
        assert_consistent(&report, &cq, &style);
        let xml = report::render(&report, Format::Junit, style.clone());
        assert_junit(&report, &xml);
        (cq, failing_cases(&xml))
    };
    let (before, cases) = run();
    // JUnit test names: the file, the object and the field, never a line.
    assert_eq!(
        cases,
        [
            "deploy/shop/route.yaml: HTTPRoute shop/shop spec.rules[0].backendRefs[0].name",
            "deploy/shop/route.yaml: HTTPRoute shop/shop spec.parentRefs[0].name",
            "scripts/setup.sh: cilint-ignore all",
            "scripts/setup.sh: cilint-ignore all #2",
        ]
    );
    let rules: Vec<&str> = issues(&before)
        .iter()
        .map(|i| i["check_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "route-parent-not-found",
            "backend-not-found",
            "unused-suppression",
            "unused-suppression"
        ]
    );
    let prints = |cq: &Value| -> Vec<String> {
        issues(cq)
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let first = prints(&before);
    assert_eq!(format!("{}:2", first[2]), first[3]);

    // Lines added above every finding move them, and change no fingerprint.
    common::write(
        dir.path(),
        "deploy/shop/route.yaml",
        format!("# the shop's route\n\n{ROUTE}"),
    );
    common::write(
        dir.path(),
        "scripts/setup.sh",
        SCRIPT.replacen("\n", "\nset -eu\n\n", 1),
    );
    let (after, cases_after) = run();
    assert_eq!(cases_after, cases);
    for (b, a) in issues(&before).iter().zip(issues(&after)) {
        assert_eq!(
            a["location"]["lines"]["begin"].as_u64().unwrap(),
            b["location"]["lines"]["begin"].as_u64().unwrap() + 2
        );
    }
    assert_eq!(prints(&after), first);
}

fn cilint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("cilint runs")
}

#[test]
fn gitlab_paths_are_relative_to_the_repository_root() {
    let dir = repo(&[("deploy/shop/route.yaml", ROUTE)]);
    // Given as an absolute path, with the root known.
    let report = lint(&[dir.path().join("deploy").to_str().unwrap()]);
    let cq = gitlab_with(&report, root_style(dir.path()));
    assert_schema_valid(&cq);
    assert_eq!(cq[0]["location"]["path"], "deploy/shop/route.yaml");
    // Run from a directory below the root, on `.` and on `./shop`.
    for path in [".", "./shop"] {
        let out = cilint_in(
            &dir.path().join("deploy"),
            &["--format", "gitlab", "-n", "shop", path],
        );
        assert_eq!(out.status.code(), Some(1));
        let cq: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_schema_valid(&cq);
        for issue in issues(&cq) {
            assert_eq!(
                issue["location"]["path"], "deploy/shop/route.yaml",
                "{path}"
            );
        }
    }
}

fn elements<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.is_element()).collect()
}

/// A JUnit document parsed back and checked as the common JUnit schema and the CI viewers
/// want it, then against the report: returns the suites' names.
fn assert_junit(report: &Report, xml: &str) -> Vec<String> {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let doc = roxmltree::Document::parse(xml).expect("JUnit output is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("name"), Some("cilint"));
    let count = |node: roxmltree::Node, attr: &str| -> usize {
        node.attribute(attr)
            .unwrap_or_else(|| panic!("{attr} missing"))
            .parse()
            .unwrap()
    };
    let mut totals = [0; 4];
    let mut names = Vec::new();
    let mut cases = HashSet::new();
    let mut failures = Vec::new();
    for suite in elements(root) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        let name = suite.attribute("name").expect("suite name").to_string();
        let testcases = elements(suite);
        let status = |kind: &str| {
            testcases
                .iter()
                .filter(|c| elements(**c).iter().any(|e| e.tag_name().name() == kind))
                .count()
        };
        let counts = [
            testcases.len(),
            status("failure"),
            status("error"),
            status("skipped"),
        ];
        for (i, attr) in ["tests", "failures", "errors", "skipped"]
            .iter()
            .enumerate()
        {
            assert_eq!(count(suite, attr), counts[i], "{name} {attr}");
            totals[i] += counts[i];
        }
        assert!(!testcases.is_empty(), "{name} has no test");
        for case in &testcases {
            assert_eq!(case.tag_name().name(), "testcase");
            let classname = case.attribute("classname").expect("classname");
            let case_name = case.attribute("name").expect("name");
            let expected = if name == INPUT_SUITE {
                "cilint.input".to_string()
            } else {
                format!("cilint.{name}")
            };
            assert_eq!(classname, expected);
            // GitLab keeps only the first case of a classname and name.
            assert!(
                cases.insert((classname, case_name)),
                "{classname} {case_name}"
            );
            let outcome = elements(*case);
            match outcome.first() {
                None => assert_eq!(case_name, NO_FINDING),
                Some(f) if f.tag_name().name() == "failure" => {
                    assert_eq!(outcome.len(), 1);
                    let kind = f.attribute("type").unwrap();
                    assert!(["error", "warning", "note"].contains(&kind), "{kind}");
                    failures.push((
                        name.clone(),
                        kind.to_string(),
                        f.attribute("message").unwrap().to_string(),
                        case.attribute("file").unwrap().to_string(),
                        case.attribute("line").unwrap().parse::<u32>().unwrap(),
                        f.text().unwrap().to_string(),
                    ));
                    assert!(case_name.starts_with(case.attribute("file").unwrap()));
                }
                Some(e) => {
                    assert_eq!(e.tag_name().name(), "error");
                    assert_eq!(name, INPUT_SUITE);
                }
            }
        }
        names.push(name);
    }
    for (i, attr) in ["tests", "failures", "errors", "skipped"]
        .iter()
        .enumerate()
    {
        assert_eq!(count(root, attr), totals[i], "testsuites {attr}");
    }
    // One failing case per finding; the suites in registry order, so a rule's failures are in
    // report order.
    let registry: Vec<&str> = RULES.iter().map(|r| r.meta.id).collect();
    let mut expected: Vec<_> = report.findings.iter().collect();
    expected.sort_by_key(|f| registry.iter().position(|id| *id == f.rule));
    assert_eq!(failures.len(), expected.len());
    for (failure, f) in failures.iter().zip(expected) {
        let (rule, kind, message, file, line, text) = failure;
        assert_eq!(rule, f.rule);
        assert_eq!(kind, f.severity.as_str());
        assert!(message.contains(&f.message), "{message}");
        assert!(report.file(f.location.file).path.ends_with(file.as_str()));
        assert_eq!(*line, f.location.span.start.line);
        assert!(text.contains(&format!("[{}]\n", f.rule)), "{text}");
        if let Some(help) = &f.help {
            assert!(text.contains(help.as_str()));
        }
    }
    let rule_suites: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != INPUT_SUITE)
        .collect();
    let mut ordered = rule_suites.clone();
    ordered.sort_by_key(|n| registry.iter().position(|id| id == n).expect("a rule"));
    assert_eq!(rule_suites, ordered);
    names
}

#[test]
fn seed_post_junit() {
    let report = lint_configured(&[SEED], "prod");
    let xml = junit(&report);
    let suites = assert_junit(&report, &xml);
    // Every rule is a suite: the clean ones pass.
    assert_eq!(suites.len(), RULES.len());
    insta::assert_snapshot!("seed-post-prod-junit", xml);
}

#[test]
fn multi_cluster_repository_junit() {
    let report = lint(&[MULTI]);
    let xml = junit(&report);
    assert_junit(&report, &xml);
    // The same node in two clusters is two tests, told apart by the cluster.
    for cluster in ["production", "staging"] {
        let name = format!(
            "name=\"{MULTI}/infrastructure/configs/gateway.yaml: Gateway gateway/public \
             spec.listeners[1].tls.certificateRefs[0].name [{cluster}]\""
        );
        assert!(xml.contains(&name), "{name}\n{xml}");
    }
    insta::assert_snapshot!("flux-multi-cluster-junit", xml);
}

#[test]
fn a_clean_run_passes_every_enabled_rule() {
    let dir = repo(&[
        (
            "gateway.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web, namespace: infra}\nspec:\n  gatewayClassName: cilium\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n",
        ),
        (".cilint.yaml", "rules:\n  backend-not-found: off\n"),
    ]);
    let out = cilint_in(dir.path(), &["--format", "junit", "."]);
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8(out.stdout).unwrap();
    let report = lint(&[dir.path().to_str().unwrap()]);
    assert!(report.findings.is_empty());
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(
        root.attribute("tests"),
        Some(&*(RULES.len() - 1).to_string())
    );
    assert_eq!(root.attribute("failures"), Some("0"));
    let suites: Vec<&str> = root
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.attribute("name").unwrap())
        .collect();
    // The rule the configuration turns off is no test.
    assert!(!suites.contains(&"backend-not-found"));
    assert!(suites.contains(&"route-parent-not-found"));
}

#[test]
fn junit_escapes_what_xml_reserves() {
    // A path with the characters XML reserves, holding a file that does not parse.
    let dir = repo(&[("a&b <\"c\">/broken.yaml", "kind: [\n")]);
    let report = lint(&[dir.path().to_str().unwrap()]);
    assert_eq!(common::rules_of(&report), ["yaml-syntax"]);
    let xml = report::render(&report, Format::Junit, root_style(dir.path()));
    assert_junit(&report, &xml);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("file").is_some())
        .unwrap();
    assert_eq!(case.attribute("file"), Some("a&b <\"c\">/broken.yaml"));
}

#[test]
fn unreadable_inputs_are_junit_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let report = lint(&[missing.to_str().unwrap()]);
    assert_eq!(report.input_errors.len(), 1);
    let xml = junit(&report);
    let suites = assert_junit(&report, &xml);
    assert_eq!(suites.last().map(String::as_str), Some(INPUT_SUITE));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("errors"), Some("1"));
}

/// The exit code follows the findings and `--fail-on`, whatever the format.
#[test]
fn ci_formats_exit_as_the_others_do() {
    // selector-matches-nothing is a warning.
    let dir = repo(&[(
        "pool.yaml",
        "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata:\n  name: p\nspec:\n  \
         blocks: [{cidr: 10.0.0.0/24}]\n  serviceSelector:\n    matchLabels: {pool: p}\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n  \
         ports: [{port: 80}]\n",
    )]);
    for format in ["gitlab", "junit", "json"] {
        let code = |fail_on: &str| {
            let out = cilint_in(dir.path(), &["--format", format, "--fail-on", fail_on, "."]);
            assert!(!out.stdout.is_empty());
            out.status.code()
        };
        assert_eq!(code("error"), Some(0), "{format}");
        assert_eq!(code("warning"), Some(1), "{format}");
        assert_eq!(code("note"), Some(1), "{format}");
        assert_eq!(code("never"), Some(0), "{format}");
    }
    let out = cilint_in(dir.path(), &["--format", "gitlab", "missing.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The first fenced block of `lang` in the README section titled `title`.
fn readme_block(title: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme
        .split_once(&format!("\n### {title}\n"))
        .unwrap_or_else(|| panic!("README.md has no section {title}"))
        .1;
    let section = section.split("\n## ").next().unwrap();
    let section = section.split("\n### ").next().unwrap();
    let block = section
        .split_once(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("{title} has no {lang} block"))
        .1;
    block.split_once("```").unwrap().0.to_string()
}

/// Runs a documented `cilint …` command line in `dir`, as a shell would split it.
fn run_documented(dir: &Path, line: &str) -> Output {
    let words = shlex::split(line).expect("a shell command line");
    assert_eq!(words[0], "cilint", "{line}");
    cilint_in(
        dir,
        &words[1..].iter().map(String::as_str).collect::<Vec<_>>(),
    )
}

/// The README's `.gitlab-ci.yml` job, run as GitLab would (the install step left out): every
/// report it declares is written and valid, and the job fails on the finding.
#[test]
fn readme_gitlab_job_works() {
    use saphyr::{LoadableYamlNode, Yaml};
    let text = readme_block("GitLab CI", "yaml");
    let docs = Yaml::load_from_str(&text).expect("the job is YAML");
    let job = &docs[0]["cilint"];
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    let reports = &job["artifacts"]["reports"];
    let codequality = reports["codequality"].as_str().unwrap();
    let junit_file = reports["junit"].as_str().unwrap();

    let dir = repo(&[("deploy/shop/route.yaml", ROUTE)]);
    let script: Vec<&str> = job["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .filter(|l| l.starts_with("cilint "))
        .collect();
    assert_eq!(script.len(), 3, "{script:?}");
    for (i, line) in script.iter().enumerate() {
        let out = run_documented(dir.path(), line);
        let last = i == script.len() - 1;
        assert_eq!(out.status.code(), Some(if last { 1 } else { 0 }), "{line}");
    }
    let cq: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(codequality)).unwrap())
            .unwrap();
    assert_schema_valid(&cq);
    assert_eq!(cq[0]["location"]["path"], "deploy/shop/route.yaml");
    let report = lint(&[dir.path().to_str().unwrap()]);
    assert_eq!(issues(&cq).len(), report.findings.len());
    let xml = std::fs::read_to_string(dir.path().join(junit_file)).unwrap();
    assert!(
        junit_file.ends_with(".xml"),
        "GitLab reads only .xml test reports"
    );
    assert_junit(&report, &xml);
}

/// The README's Jenkinsfile: its `sh` step writes the file its `junit` step reads.
#[test]
fn readme_jenkins_stage_works() {
    let text = readme_block("Jenkins", "groovy");
    let quoted = |after: &str| -> String {
        let rest = text.split_once(after).unwrap().1;
        rest.split('\'').nth(1).unwrap().to_string()
    };
    let command = quoted("sh ");
    let results = quoted("testResults:");
    let dir = repo(&[("deploy/shop/route.yaml", ROUTE)]);
    let out = run_documented(dir.path(), &command);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(dir.path().join(&results)).unwrap();
    assert_junit(&lint(&[dir.path().to_str().unwrap()]), &xml);
}
