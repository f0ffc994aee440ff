//! `--fix`, `--diff`, `--unsafe-fixes`: every fix fixture (`fixtures/fix/<case>/before` becomes
//! `after`, byte for byte, and a second run changes nothing), idempotence on every fixture tree,
//! the diff, the exit codes, what a fix never writes, and fixes in JSON and SARIF.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cilint::fix::{self, Mode, Scope};
use cilint::report::{Format, Style};
use cilint::{Options, Report};

/// Every file under `dir`, by path relative to it, with its bytes (`.git` left out).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Copies the tree `from` into a new temporary repository.
fn copy(from: &Path) -> tempfile::TempDir {
    let dir = common::repo(&[]);
    for (rel, bytes) in tree(from) {
        common::write(dir.path(), rel.to_str().unwrap(), bytes);
    }
    dir
}

fn cilint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cilint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Each `fixtures/fix/<case>`: `before` fixed with the options in `args` is `after`, and fixing
/// `after` again changes nothing.
#[test]
fn every_fix_fixture_turns_before_into_after_and_then_changes_nothing() {
    let mut cases = 0;
    for entry in std::fs::read_dir("fixtures/fix").unwrap() {
        let case = entry.unwrap().path();
        let args = std::fs::read_to_string(case.join("args")).unwrap();
        let mut argv: Vec<&str> = args.split_whitespace().collect();
        argv.extend(["--fix", "."]);
        let dir = copy(&case.join("before"));
        let first = cilint_in(dir.path(), &argv);
        assert_ne!(first.status.code(), Some(2), "{}", stderr(&first));
        assert!(stderr(&first).contains("Fixed "), "{}", stderr(&first));
        let after = tree(&case.join("after"));
        let fixed = tree(dir.path());
        assert_eq!(
            fixed.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "{}",
            case.display()
        );
        for (rel, bytes) in &after {
            assert_eq!(
                String::from_utf8_lossy(&fixed[rel]),
                String::from_utf8_lossy(bytes),
                "{}: {}",
                case.display(),
                rel.display()
            );
        }
        let second = cilint_in(dir.path(), &argv);
        assert!(
            stderr(&second).contains("Fixed 0 findings"),
            "{}",
            stderr(&second)
        );
        assert_eq!(tree(dir.path()), after, "{}", case.display());
        cases += 1;
    }
    assert!(cases >= 4, "only {cases} fix fixtures");
}

/// The fix loop as `--fix --unsafe-fixes` runs it, through the library; asserts no fix made a
/// file unparseable.
fn fix_all(dir: &Path) -> fix::Outcome {
    let paths = vec![dir.to_string_lossy().into_owned()];
    let options = Options {
        fixing: true,
        ..Options::default()
    };
    let lint = || cilint::lint(&paths, &options);
    let syntax_errors = |r: &Report| {
        r.findings
            .iter()
            .filter(|f| f.rule == "yaml-syntax")
            .count()
    };
    let before = syntax_errors(&lint());
    let (after, outcome) = fix::run(&lint, Mode::Unsafe, &Scope::new(&paths), &|_| true);
    assert!(syntax_errors(&after) <= before, "{}", dir.display());
    outcome
}

/// Every fixture tree (each rule's pass and fail, each repository, the seed post, each fix
/// fixture) fixed with every fix once; a second run changes nothing.
#[test]
fn fixing_twice_changes_nothing_the_second_time_on_every_fixture() {
    let mut trees: Vec<PathBuf> = vec!["fixtures/seed-post".into()];
    for entry in std::fs::read_dir("fixtures").unwrap() {
        let dir = entry.unwrap().path();
        for sub in ["pass", "fail", "before"] {
            if dir.join(sub).is_dir() {
                trees.push(dir.join(sub));
            }
        }
        if dir.ends_with("repos") || dir.ends_with("fix") {
            for repo in std::fs::read_dir(&dir).unwrap() {
                let repo = repo.unwrap().path();
                let before = repo.join("before");
                trees.push(if before.is_dir() { before } else { repo });
            }
        }
    }
    trees.sort();
    assert!(trees.len() > 100, "{}", trees.len());
    let mut fixed = 0;
    for t in &trees {
        let dir = copy(t);
        fixed += fix_all(dir.path()).fixed;
        let once = tree(dir.path());
        let again = fix_all(dir.path());
        assert_eq!(again.fixed, 0, "{}", t.display());
        assert!(once == tree(dir.path()), "{} changed again", t.display());
    }
    assert!(
        fixed >= 20,
        "only {fixed} findings fixed over every fixture"
    );
}

#[test]
fn diff_prints_the_fixes_of_the_seed_post_and_changes_nothing() {
    let dir = copy(Path::new("fixtures/seed-post"));
    let before = tree(dir.path());
    let out = cilint_in(dir.path(), &["--diff", "-n", "prod", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(tree(dir.path()), before);
    insta::assert_snapshot!("seed_post_diff", stdout(&out));
    // `--fix --diff` is `--diff`.
    let both = cilint_in(dir.path(), &["--fix", "--diff", "-n", "prod", "."]);
    assert_eq!(both.status.code(), Some(1));
    assert_eq!(stdout(&both), stdout(&out));
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn exit_codes_say_whether_something_is_left() {
    let dir = copy(Path::new("fixtures/seed-post"));
    let fixed = cilint_in(dir.path(), &["--fix", "-n", "prod", "."]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stdout(&fixed));
    assert!(
        stderr(&fixed).contains("Fixed 4 findings (0 remaining)"),
        "{}",
        stderr(&fixed)
    );
    let diff = cilint_in(dir.path(), &["--diff", "-n", "prod", "."]);
    assert_eq!(diff.status.code(), Some(0));
    assert_eq!(stdout(&diff), "");
    // Unsafe fixes stay suggestions without --unsafe-fixes: said, not applied, exit 1.
    let dir = copy(Path::new("fixtures/fix/did-you-mean/before"));
    let before = tree(dir.path());
    let safe = cilint_in(dir.path(), &["--fix", "."]);
    assert_eq!(safe.status.code(), Some(1));
    assert!(
        stderr(&safe)
            .contains("Fixed 0 findings (5 remaining; 5 more fixable with --unsafe-fixes)"),
        "{}",
        stderr(&safe)
    );
    assert_eq!(tree(dir.path()), before);
    let diff = cilint_in(dir.path(), &["--diff", "."]);
    assert_eq!(diff.status.code(), Some(0));
    let diff = cilint_in(dir.path(), &["--diff", "--unsafe-fixes", "."]);
    assert_eq!(diff.status.code(), Some(1));
}

#[test]
fn human_output_marks_what_is_fixable() {
    let out = cilint_in(Path::new("fixtures/seed-post"), &["-n", "prod", "."]);
    let text = stdout(&out);
    assert_eq!(text.matches("[*]").count(), 5, "{text}");
    assert!(
        text.contains("[*] 4 fixable with `cilint --fix`\n"),
        "{text}"
    );
}

/// A report of `files` linted in a temporary repository, for the safety tests.
fn planned(dir: &Path) -> (Report, Vec<String>) {
    let paths = vec![dir.to_string_lossy().into_owned()];
    let options = Options {
        namespace: "prod".into(),
        fixing: true,
        ..Options::default()
    };
    (cilint::lint(&paths, &options), paths)
}

#[test]
fn a_file_changed_since_it_was_read_is_not_written() {
    let dir = copy(Path::new("fixtures/seed-post"));
    let (report, paths) = planned(dir.path());
    let plan = fix::plan(&report, Mode::Safe, &|_| true);
    assert_eq!(plan.changes.len(), 3);
    let script = dir.path().join("scripts/label-gateway-services.sh");
    let edited = std::fs::read_to_string(&script).unwrap() + "# edited meanwhile\n";
    std::fs::write(&script, &edited).unwrap();
    let written = fix::write(&plan, &Scope::new(&paths));
    assert_eq!(written.written.len(), 2);
    assert!(
        written.skipped[0].contains("changed since it was read"),
        "{:?}",
        written.skipped
    );
    assert_eq!(std::fs::read_to_string(&script).unwrap(), edited);
}

#[cfg(unix)]
#[test]
fn a_symlink_and_a_file_outside_the_paths_linted_are_not_written() {
    let outside = copy(Path::new("fixtures/seed-post"));
    let dir = common::repo(&[]);
    let real = outside.path().join("scripts/label-gateway-services.sh");
    let original = std::fs::read_to_string(&real).unwrap();
    // The script is a symlink to a file outside; the Gateways come along as plain files.
    std::os::unix::fs::symlink(&real, dir.path().join("label.sh")).unwrap();
    for (rel, bytes) in tree(outside.path()) {
        if rel.starts_with("scripts") {
            continue;
        }
        common::write(dir.path(), rel.to_str().unwrap(), bytes);
    }
    let (report, paths) = planned(dir.path());
    let plan = fix::plan(&report, Mode::Safe, &|_| true);
    let written = fix::write(&plan, &Scope::new(&paths));
    assert_eq!(std::fs::read_to_string(&real).unwrap(), original);
    assert!(
        written
            .skipped
            .iter()
            .all(|s| s.contains("symlink") || s.contains("outside")),
        "{:?}",
        written.skipped
    );
    // A scope that does not hold the tree writes nothing at all.
    let dir = copy(Path::new("fixtures/seed-post"));
    let (report, _) = planned(dir.path());
    let plan = fix::plan(&report, Mode::Safe, &|_| true);
    let elsewhere = Scope::new(&[outside.path().join("cilium").to_string_lossy().into_owned()]);
    let written = fix::write(&plan, &elsewhere);
    assert!(written.written.is_empty());
    assert_eq!(written.skipped.len(), 3, "{:?}", written.skipped);
    assert!(written.skipped.iter().all(|s| s.contains("outside")));
}

#[test]
fn the_hook_fixes_only_the_files_it_reports() {
    let dir = copy(Path::new("fixtures/seed-post"));
    let before = tree(dir.path());
    let out = cilint_in(
        dir.path(),
        &[
            "hook",
            "--fix",
            "-n",
            "prod",
            "scripts/label-gateway-services.sh",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let after = tree(dir.path());
    let changed: Vec<&PathBuf> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert_eq!(changed, [Path::new("scripts/label-gateway-services.sh")]);
}

#[test]
fn json_and_sarif_carry_the_fixes() {
    let report = common::lint_ns(&["fixtures/seed-post"], "prod");
    let json: serde_json::Value = serde_json::from_str(&cilint::report::render(
        &report,
        Format::Json,
        Style::default(),
    ))
    .unwrap();
    let findings = json["findings"].as_array().unwrap();
    let command = findings
        .iter()
        .find(|f| f["rule"] == "label-command-unknown-gateway")
        .unwrap();
    let fix = &command["fix"];
    assert_eq!(fix["applicability"], "safe");
    assert_eq!(
        fix["edits"][0]["content"], "cilium-gateway-cd-arp-gw",
        "{fix}"
    );
    assert_eq!(fix["edits"][0]["location"]["line"], 4);
    assert_eq!(fix["edits"][0]["location"]["column"], 31);
    let sarif: serde_json::Value = serde_json::from_str(&cilint::report::render(
        &report,
        Format::Sarif,
        Style::default(),
    ))
    .unwrap();
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).unwrap();
    // As in tests/formats.rs: the official `language` patterns are no valid ECMA-262 regex.
    for def in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][def]["properties"]["language"];
        language.as_object_mut().unwrap().remove("pattern");
    }
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let fixes = results.iter().filter(|r| r.get("fixes").is_some()).count();
    assert_eq!(fixes, 4);
    let change = &results
        .iter()
        .find(|r| r["ruleId"] == "gateway-labels-not-propagated")
        .unwrap()["fixes"][0]["artifactChanges"][0];
    let replacement = &change["replacements"][0];
    assert_eq!(replacement["deletedRegion"]["startLine"], 28);
    assert_eq!(
        replacement["insertedContent"]["text"],
        "  infrastructure:\n    labels:\n      mdhlabs-arp: enable\n"
    );
}

/// A fix never copies a Secret's data: a plain-text Secret beside a fixable Gateway leaves no
/// trace of its value in any fix.
#[test]
fn no_fix_carries_a_secret_value() {
    let report = common::lint(&["fixtures/secret-plain-text/fail"]);
    for f in &report.findings {
        assert!(f.fix.is_none(), "{}: {:?}", f.rule, f.fix);
    }
}
