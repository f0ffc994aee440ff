//! `--format junit`: a JUnit XML report for the test views of Jenkins, GitLab, Azure DevOps and
//! Buildkite.
//!
//! One testsuite per rule, not per file: a rule is what a CI test view can count as passed, so a
//! clean run still lists every enabled rule as a passing test (Jenkins' `junit` step fails on a
//! report without any test), and a run with findings lists each finding as a failing test of its
//! rule. Per file, files without findings would be missing and the totals would mean nothing.
//!
//! Test case names follow what the viewers do with them: GitLab shows `classname` as the suite
//! and keeps only the first of two cases with the same classname and name; Jenkins splits
//! `classname` at its last dot into package and class; both follow a test's history by its
//! names. So `classname` is `cilint.<rule>`, and the name says what SARIF's fingerprint hashes
//! (the file, the object and the field), never a line: a finding that moves stays the same test,
//! and its failure age in Jenkins and its recent failures in GitLab stay its own. The line is in
//! the `line` attribute and the failure text.

use std::collections::{HashMap, HashSet};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::SrcRoot;
use crate::diagnostic::{Finding, NOT_DEPLOYED};
use crate::report::Report;
use crate::rules::RULES;

/// The name of the passing test of a rule that found nothing.
pub const NO_FINDING: &str = "no finding";
/// The suite of the inputs that could not be read (the run's errors, not findings).
pub const INPUT_SUITE: &str = "input";

pub fn render(report: &Report, root: &SrcRoot) -> String {
    let mut by_rule: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in &report.findings {
        by_rule.entry(f.rule).or_default().push(f);
    }
    let mut junit = JunitReport::new("cilint");
    // Registry order; a rule appears when it ran or found something.
    for id in RULES.iter().map(|r| r.meta.id) {
        let findings = by_rule.get(id).map(Vec::as_slice).unwrap_or_default();
        if findings.is_empty() && !report.rules.contains(&id) {
            continue;
        }
        junit.add_test_suite(suite(report, root, id, findings));
    }
    if !report.input_errors.is_empty() {
        let mut suite = TestSuite::new(INPUT_SUITE);
        suite.add_test_cases(report.input_errors.iter().map(|e| {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(&e.message).set_type("input");
            let mut case = TestCase::new(&e.path, status);
            case.set_classname("cilint.input");
            case
        }));
        junit.add_test_suite(suite);
    }
    junit.to_string().expect("the report serialises")
}

fn suite(report: &Report, root: &SrcRoot, rule: &str, findings: &[&Finding]) -> TestSuite {
    let classname = format!("cilint.{rule}");
    let mut suite = TestSuite::new(rule);
    if findings.is_empty() {
        let mut case = TestCase::new(NO_FINDING, TestCaseStatus::success());
        case.set_classname(&classname);
        suite.add_test_case(case);
        return suite;
    }
    let mut names: HashSet<String> = HashSet::new();
    for f in findings {
        let display = &report.file(f.location.file).path;
        // Relative to the repository root, as GitLab links a case's `file`.
        let path = root
            .relative(display)
            .unwrap_or_else(|| display.to_string());
        let start = f.location.span.start;
        let place = format!("{path}:{}:{}", start.line, start.col);
        let mut name = path.clone();
        if let Some(identity) = identity(f) {
            name.push_str(": ");
            name.push_str(&identity);
        }
        if let Some(c) = &f.cluster {
            name.push_str(&format!(" [{c}]"));
        }
        // Two findings of a rule with one identity (the same stale comment twice in a file) stay
        // two tests; the suffix follows report order, so it is the same on every run.
        let base = name.clone();
        let mut n = 1;
        while !names.insert(name.clone()) {
            n += 1;
            name = format!("{base} #{n}");
        }
        let mut message = super::message(f);
        if !f.deployed {
            message.push_str(&format!(" ({NOT_DEPLOYED})"));
        }
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(message)
            .set_type(f.severity.as_str())
            .set_description(format!(
                "{place}: {} [{}]\n{}",
                f.severity.as_str(),
                f.rule,
                super::full_message(f)
            ));
        let mut case = TestCase::new(name, status);
        case.set_classname(&classname);
        case.extra.insert("file".into(), path.into());
        case.extra
            .insert("line".into(), start.line.to_string().into());
        suite.add_test_case(case);
    }
    suite
}

/// The object (kind, namespace/name) and the field a finding is about, or the field alone for
/// findings about no object (a command, a comment); `None` when there is neither.
fn identity(f: &Finding) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(o) = &f.object {
        parts.push(o.kind.clone());
        parts.push(match &o.namespace {
            Some(ns) => format!("{ns}/{}", o.name),
            None => o.name.clone(),
        });
    }
    parts.extend(f.field.clone());
    (!parts.is_empty()).then(|| parts.join(" "))
}
