//! The SARIF and GitHub Actions formats: SARIF valid against the official 2.1.0 schema, with
//! every rule, correct rule indexes and regions, and fingerprints that survive moved lines;
//! GitHub workflow commands escaped as the Actions toolkit does.

mod common;

use std::path::Path;

use cilint::Report;
use cilint::report::github::{escape_data, escape_property};
use cilint::report::sarif::FINGERPRINT_KEY;
use cilint::report::{self, Format, Style};
use cilint::rules::{self, RULES};
use serde_json::Value;

use common::{lint, lint_configured, lint_ns};

const SEED: &str = "fixtures/seed-post";

fn sarif(report: &Report) -> Value {
    let text = report::render(report, Format::Sarif, Style::default());
    serde_json::from_str(&text).expect("SARIF output is JSON")
}

fn github(report: &Report) -> String {
    report::render(report, Format::Github, Style::default())
}

/// Asserts the log is valid against `tests/sarif-schema-2.1.0.json`, formats (URIs) included.
fn assert_schema_valid(log: &Value) {
    let mut schema: Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("the schema parses");
    // The official schema's `language` patterns are no valid ECMA-262 regex (an unbalanced
    // `]`), which the meta-schema rejects; cilint writes no `language`, so they go.
    for def in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][def]["properties"]["language"];
        assert!(
            language
                .as_object_mut()
                .unwrap()
                .remove("pattern")
                .is_some()
        );
    }
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF is not schema-valid:\n{}",
        errors.join("\n")
    );
}

fn run(log: &Value) -> &Value {
    &log["runs"][0]
}

fn results(log: &Value) -> &Vec<Value> {
    run(log)["results"].as_array().expect("results is an array")
}

fn fingerprints(log: &Value) -> Vec<String> {
    results(log)
        .iter()
        .map(|r| {
            r["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .expect("every result has cilint's fingerprint")
                .to_string()
        })
        .collect()
}

/// Every registered rule is in the driver, in registry order, with its page; every result's
/// ruleIndex points at its rule; every region is the finding's; fingerprints are distinct.
fn assert_consistent(report: &Report, log: &Value) {
    let driver = &run(log)["tool"]["driver"];
    let rules_out = driver["rules"].as_array().expect("driver.rules");
    let ids: Vec<&str> = rules_out
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let registry: Vec<&str> = RULES.iter().map(|r| r.meta.id).collect();
    assert_eq!(ids, registry);
    for (r, rule) in rules_out.iter().zip(RULES) {
        let page = rules::doc(rule.meta.id).expect("every rule has a page");
        assert_eq!(r["help"]["markdown"], page, "{}", rule.meta.id);
        assert_eq!(r["shortDescription"]["text"], rule.meta.summary);
        assert_eq!(
            r["defaultConfiguration"]["level"],
            rule.meta.severity.as_str()
        );
        let what = r["fullDescription"]["markdown"].as_str().unwrap();
        assert!(!what.is_empty() && page.contains(what), "{}", rule.meta.id);
        assert!(!r["help"]["text"].as_str().unwrap().contains("## "));
    }

    let results = results(log);
    assert_eq!(results.len(), report.findings.len());
    for (r, f) in results.iter().zip(&report.findings) {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules_out[index]["id"], f.rule);
        assert_eq!(r["ruleId"], f.rule);
        assert_eq!(r["level"], f.severity.as_str());
        let region = &r["locations"][0]["physicalLocation"]["region"];
        let span = f.location.span;
        assert_eq!(
            [
                &region["startLine"],
                &region["startColumn"],
                &region["endLine"],
                &region["endColumn"]
            ],
            [span.start.line, span.start.col, span.end.line, span.end.col]
        );
        assert_eq!(
            r["relatedLocations"].as_array().unwrap().len(),
            f.related.len()
        );
        // A field identifies the finding within its object (or file) across edits.
        assert!(
            f.field.is_some() || f.rule == "yaml-syntax",
            "{} finding without a field: {}",
            f.rule,
            f.message
        );
    }
    let mut unique = fingerprints(log);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), results.len(), "fingerprints collide");
}

/// The log without the driver's rules, which `assert_consistent` checks against the registry:
/// adding a rule or editing a page does not change the snapshots of results.
fn without_rules(mut log: Value) -> Value {
    let driver = log["runs"][0]["tool"]["driver"].as_object_mut().unwrap();
    driver.remove("rules").expect("driver.rules");
    log
}

/// One rule's descriptor, its page (checked in `assert_consistent`) left out.
fn descriptor(log: &Value, id: &str) -> Value {
    let mut rule = run(log)["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
        .clone();
    let page = format!("<rules/{id}.md>");
    rule["help"] = serde_json::json!({"text": page, "markdown": page});
    rule["fullDescription"] = serde_json::json!({"text": page, "markdown": page});
    rule
}

#[test]
fn seed_post_sarif_is_schema_valid() {
    let report = lint_configured(&[SEED], "prod");
    let log = sarif(&report);
    assert_schema_valid(&log);
    assert_consistent(&report, &log);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run(&log)["columnKind"], "unicodeCodePoints");
    let location = &results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uriBaseId"], "%SRCROOT%");
    insta::assert_snapshot!(
        "route-listener-not-found-sarif-rule",
        serde_json::to_string_pretty(&descriptor(&log, "route-listener-not-found")).unwrap()
    );
    insta::assert_snapshot!(
        "seed-post-prod-sarif",
        serde_json::to_string_pretty(&without_rules(log)).unwrap()
    );
}

#[test]
fn the_schema_check_rejects_a_broken_log() {
    let mut log = sarif(&lint_configured(&[SEED], "prod"));
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "not a uri".into();
    log["runs"][0]["results"][1]["level"] = "fatal".into();
    let outcome = std::panic::catch_unwind(|| assert_schema_valid(&log));
    let message = *outcome.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("not a uri"), "{message}");
    assert!(message.contains("fatal"), "{message}");
}

#[test]
fn an_empty_run_has_empty_results() {
    let dir = tempfile::tempdir().unwrap();
    let report = lint(&[dir.path().to_str().unwrap()]);
    let log = sarif(&report);
    assert_schema_valid(&log);
    assert_consistent(&report, &log);
    assert_eq!(run(&log)["results"], serde_json::json!([]));
}

#[test]
fn every_fail_fixture_gives_schema_valid_sarif() {
    let mut seen = 0;
    for rule in RULES {
        let dir = format!("fixtures/{}/fail", rule.meta.id);
        if !Path::new(&dir).is_dir() {
            continue;
        }
        let report = lint(&[&dir]);
        let log = sarif(&report);
        assert_schema_valid(&log);
        assert_consistent(&report, &log);
        assert!(
            results(&log).iter().any(|r| r["ruleId"] == rule.meta.id),
            "{dir}"
        );
        seen += 1;
    }
    assert!(seen >= 12, "only {seen} fail fixtures");
}

#[test]
fn github_annotations() {
    insta::assert_snapshot!(
        "seed-post-prod-github",
        github(&lint_configured(&[SEED], "prod"))
    );
    insta::assert_snapshot!(
        "route-listener-not-found-fail-github",
        github(&lint(&["fixtures/route-listener-not-found/fail"]))
    );
}

/// A finding in a file nothing deploys says so in every format: a SARIF property (and the
/// message), a line of the GitHub annotation, and the human help.
#[test]
fn undeployed_findings_say_so_in_every_format() {
    let report = lint(&["fixtures/repos/flux-multi-cluster"]);
    let log = sarif(&report);
    assert_schema_valid(&log);
    assert_consistent(&report, &log);
    let stray: Vec<&Value> = results(&log)
        .iter()
        .filter(|r| r["properties"]["deployed"] == false)
        .collect();
    assert_eq!(stray.len(), 1);
    assert_eq!(stray[0]["level"], "warning");
    assert!(
        stray[0]["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("\nnot deployed: no kustomization, Flux Kustomization or Argo CD Application includes this file")
    );
    insta::assert_snapshot!("flux-multi-cluster-github", github(&report));
    let human = common::human(&report);
    assert_eq!(human.matches("not deployed: no kustomization").count(), 1);
}

#[test]
fn github_escaping_is_the_actions_toolkits() {
    let s = "100% a:b, c\r\nd";
    assert_eq!(escape_data(s), "100%25 a:b, c%0D%0Ad");
    assert_eq!(escape_property(s), "100%25 a%3Ab%2C c%0D%0Ad");
    // `%` is escaped first, so an escape sequence in the input survives as text.
    assert_eq!(escape_data("%0A"), "%250A");
    assert_eq!(escape_property("%3A"), "%253A");
}

#[test]
fn github_lines_escape_their_messages() {
    let out = github(&lint(&["fixtures/route-listener-not-found/fail"]));
    for line in out.lines() {
        let (props, message) = line.split_once("::").unwrap().1.split_once("::").unwrap();
        assert!(line.starts_with("::error "), "{line}");
        assert!(!message.contains('\n') && !message.contains('\r'));
        // Properties are comma-separated `key=value` with no bare `:` or `,` inside values.
        for prop in props.split(' ').nth(1).unwrap().split(',') {
            let (key, value) = prop.split_once('=').unwrap();
            assert!(
                ["file", "line", "endLine", "col", "endColumn", "title"].contains(&key),
                "{prop}"
            );
            assert!(!value.contains(':'), "{prop}");
        }
        assert!(message.contains("%0Ahelp: "), "{message}");
    }
}

/// Copies a fixture tree into `dest`, each file preceded by `header`.
fn copy_with_header(src: &Path, dest: &Path, header: &str) {
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dest.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            copy_with_header(&entry.path(), &to, header);
        } else {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            // A script keeps its shebang first.
            let text = match text.strip_prefix("#!") {
                Some(rest) => {
                    let (shebang, body) = rest.split_once('\n').unwrap();
                    format!("#!{shebang}\n{header}{body}")
                }
                None => format!("{header}{text}"),
            };
            std::fs::write(to, text).unwrap();
        }
    }
}

#[test]
fn fingerprints_survive_moved_lines_and_tell_findings_apart() {
    // One directory, rewritten in place: file URIs (in command fingerprints) stay the same.
    let dir = tempfile::tempdir().unwrap();
    let lint_with = |header: &str| {
        copy_with_header(Path::new(SEED), dir.path(), header);
        let report = lint_ns(&[dir.path().to_str().unwrap()], "prod");
        let log = sarif(&report);
        (report, log)
    };
    let (before, log_before) = lint_with("");
    let (after, log_after) = lint_with("# moved down\n#\n#\n");
    assert!(before.findings.len() >= 4, "{}", before.findings.len());
    assert_eq!(before.findings.len(), after.findings.len());
    for (b, a) in before.findings.iter().zip(&after.findings) {
        assert_eq!(a.location.span.start.line, b.location.span.start.line + 3);
    }
    let moved = fingerprints(&log_before);
    assert_eq!(moved, fingerprints(&log_after));
    let mut unique = moved.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), moved.len(), "{moved:?}");
}
