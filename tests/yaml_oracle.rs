//! libyaml, the parser kubectl's YAML library ports, as the oracle for cilint's YAML loader: over
//! the YAML test suite (vendored in `tests/yaml-test-suite/`), the hostile inputs of
//! `tests/hostile.rs`, and the fuzz corpora. Where libyaml accepts a text, cilint must load it
//! with no `yaml-syntax` error and with the same values; where both reject it, cilint keeps its
//! error. Every case that differs on purpose is listed below with its reason.

#[path = "../fuzz/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use checks::oracle;
use cilint::source::LineIndex;
use cilint::source::yaml;

/// Whether saphyr's parser alone accepts the text (what cilint did before the libyaml fallback).
fn saphyr_accepts(text: &str) -> bool {
    saphyr_parser::Parser::new_from_str(text).all(|item| item.is_ok())
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    /// libyaml accepts and cilint loads the same documents.
    Same,
    /// libyaml accepts, saphyr does not: cilint loads it through the libyaml fallback.
    Fallback,
    /// libyaml accepts, and cilint refuses it on purpose (a duplicate key, a limit).
    Refused,
    /// Both reject: cilint keeps its `yaml-syntax` error.
    BothReject,
    /// libyaml rejects what saphyr accepts: cilint lints a file kubectl would not apply (a miss,
    /// never a false alarm).
    OnlyLibyamlRejects,
}

/// Compares cilint with libyaml on one text; `Err` says how they differ.
fn outcome(text: &str) -> Result<Outcome, String> {
    checks::compare_with_libyaml(text, true)?;
    let index = LineIndex::new(text);
    let loaded = yaml::load(text, &index);
    Ok(match (oracle::libyaml(text), &loaded.error) {
        (Ok(_), Some(_)) => Outcome::Refused,
        (Ok(_), None) if saphyr_accepts(text) => Outcome::Same,
        (Ok(_), None) => Outcome::Fallback,
        (Err(_), Some(_)) => Outcome::BothReject,
        (Err(_), None) => Outcome::OnlyLibyamlRejects,
    })
}

/// Every case of the vendored suite: its id (`ABCD` or `ABCD/01`) and input.
fn suite_cases() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml-test-suite");
    let mut cases = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().unwrap() == "in.yaml" {
                let id = path
                    .parent()
                    .unwrap()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let bytes = std::fs::read(&path).unwrap();
                cases.push((
                    id,
                    String::from_utf8(bytes).expect("suite inputs are UTF-8"),
                ));
            }
        }
    }
    cases.sort();
    cases
}

/// Cases libyaml accepts where cilint reads other values: saphyr accepts them too (so no
/// fallback), and reads them as the YAML 1.2 specification and the suite say. None is a shape a
/// Kubernetes manifest takes.
const SAPHYR_FOLLOWS_THE_SPEC: &[(&str, &str)] = &[
    (
        "652Z",
        "`{ ?foo: bar }`: YAML 1.2 reads the key `?foo`; libyaml takes `?` as an explicit-key indicator",
    ),
    (
        "HM87/01",
        "`[?x]`: YAML 1.2 reads the string `?x`; libyaml reads the mapping {x: null}",
    ),
    (
        "Y2GN",
        "`&an:chor value`: YAML 1.2 anchors may hold `:`; libyaml ends the anchor there and reads `:chor value`",
    ),
    (
        "L24T/01",
        "a literal block scalar, then a last line of spaces without a line break: YAML 1.2 keeps the line",
    ),
    (
        "JEF9/02",
        "a keep-chomped (`|+`) block scalar ending the stream, then spaces without a line break",
    ),
];

/// Valid YAML 1.2 (the suite marks none of them as an error) that libyaml 0.2.5 rejects: kubectl
/// refuses these files, cilint reads them as the specification says. A possible miss, never a
/// false alarm; catching them would mean running libyaml on every file.
const ONLY_LIBYAML_REJECTS: &[&str] = &[
    "2JQS", "2LFX", "2SXE", "4ABK", "4MUZ/00", "4MUZ/01", "4MUZ/02", "58MP", "5MUD", "5T43",
    "6BCT", "6CA3", "6LVF", "6M2F", "7Z25", "8XYN", "96NN/00", "96NN/01", "9SA2", "A2M4", "BEC7",
    "CFD4", "DBG4", "DK3J", "DK95/00", "DK95/03", "DK95/04", "FP8R", "FRK4", "HM87/00", "HWV9",
    "K3WX", "M2N8/00", "M7A3", "MUS6/05", "MUS6/06", "NHX8", "NJ66", "NKF9", "Q5MG", "QT73",
    "R4YG", "S3PD", "SM9W/01", "UKK6/00", "UT92", "VJP3/01", "W4TN", "W5VH", "Y79Y/001",
    "Y79Y/010",
];

/// What saphyr rejects and libyaml accepts, so cilint loads through the fallback: the suite marks
/// each as invalid YAML 1.2, and kubectl applies each. Listed so `rules/yaml-syntax.md` stays true.
const FALLBACK: &[&str] = &[
    "9C9N", "9HCY", "9JBA", "CVW2", "DK95/01", "EB22", "G5U8", "MUS6/00", "MUS6/01", "QB6E",
    "RHX7", "S98Z", "SU5Z", "X4QW", "Y79Y/003", "YJV2",
];

#[test]
fn yaml_test_suite_against_libyaml() {
    let cases = suite_cases();
    assert_eq!(cases.len(), 402, "the vendored data release has 402 cases");
    let spec: BTreeMap<&str, &str> = SAPHYR_FOLLOWS_THE_SPEC.iter().copied().collect();
    let mut problems = Vec::new();
    let mut spec_differences = Vec::new();
    let mut by_outcome: BTreeMap<Outcome, Vec<&str>> = BTreeMap::new();
    for (id, text) in &cases {
        match outcome(text) {
            Ok(o) => by_outcome.entry(o).or_default().push(id),
            Err(_) if spec.contains_key(id.as_str()) => {
                // Listed: saphyr accepts it, as the listed difference needs.
                assert!(saphyr_accepts(text), "{id}");
                spec_differences.push(id.as_str());
            }
            Err(difference) => problems.push(format!("{id}: {difference}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every listed difference is still one.
    assert_eq!(spec_differences.len(), spec.len(), "{spec_differences:?}");
    let listed = |o: Outcome| by_outcome.get(&o).cloned().unwrap_or_default();
    assert_eq!(listed(Outcome::Fallback), FALLBACK);
    assert_eq!(listed(Outcome::OnlyLibyamlRejects), ONLY_LIBYAML_REJECTS);
    // The suite's cases meet none of cilint's deliberate refusals.
    assert_eq!(listed(Outcome::Refused), Vec::<&str>::new());
    // Everything else agrees: the same documents, or an error from both.
    assert_eq!(listed(Outcome::Same).len(), 252);
    assert_eq!(listed(Outcome::BothReject).len(), 78);
}

/// The YAML of `tests/hostile.rs`, as the loader gets it (decoded, NUL-free): syntax errors,
/// limits, CRLF, non-ASCII text, merge keys, tags and anchors.
fn hostile_inputs() -> Vec<(&'static str, String, Outcome)> {
    let good = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: shop\n  \
                namespace: prod\nspec:\n  rules:\n  - backendRefs:\n    - name: missing\n      port: 80\n";
    let mut aliases = String::from("base: &base {app: shop}\n");
    for i in 0..20_000 {
        aliases.push_str(&format!("k{i}: *base\n"));
    }
    let mut chain = String::from("a0: &a0 x\n");
    for i in 1..20_000 {
        chain.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    let mut deep_alias = String::from("a0: &a0 x\n");
    for i in 1..200 {
        let (open, close) = ("[".repeat(200), "]".repeat(200));
        deep_alias.push_str(&format!("a{i}: &a{i} {open}*a{}{close}\n", i - 1));
    }
    let mut lol = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut prev = 'a';
    for name in 'b'..='i' {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        lol.push_str(&format!("{name}: &{name} [{refs}]\n"));
        prev = name;
    }
    vec![
        ("good route", good.to_string(), Outcome::Same),
        ("CRLF", good.replace('\n', "\r\n"), Outcome::Same),
        ("non-ASCII comment", good.replace("  rules:", "  # é\n  rules:"), Outcome::Same),
        (
            "syntax error",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n".into(),
            Outcome::BothReject,
        ),
        ("scalar document", "just a string\n".into(), Outcome::Same),
        ("list document", "- a\n- b\n".into(), Outcome::Same),
        ("empty", String::new(), Outcome::Same),
        ("deep block nesting", "- ".repeat(50_000) + "x\n", Outcome::Refused),
        (
            "deep flow nesting",
            "[".repeat(100_000) + &"]".repeat(100_000),
            Outcome::Refused,
        ),
        ("many aliases of one anchor", aliases, Outcome::Same),
        ("long alias chain", chain, Outcome::Refused),
        ("alias chain that deepens", deep_alias, Outcome::Refused),
        ("billion laughs", lol, Outcome::Refused),
        (
            "duplicate key",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n".into(),
            Outcome::Refused,
        ),
        (
            "merge key",
            "apiVersion: v1\nkind: Service\nmetadata:\n  <<: &base {name: merged}\n  \
             namespace: prod\nspec:\n  ports:\n  - port: 80\n"
                .into(),
            Outcome::Same,
        ),
        (
            "tags",
            "apiVersion: !!str v1\nkind: Service\nmetadata:\n  name: !!str tagged\n  \
             namespace: !custom prod\nspec:\n  ports:\n  - port: !!int 80\n"
                .into(),
            Outcome::Same,
        ),
        (
            "anchor across documents",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: *m\n"
                .into(),
            Outcome::Refused,
        ),
        (
            "column-0 continuation, CRLF, byte-order mark",
            "\u{feff}metadata:\r\n  annotations:\r\n    description: 'first line\r\nsecond line'\r\n"
                .into(),
            Outcome::Fallback,
        ),
    ]
}

#[test]
fn hostile_inputs_against_libyaml() {
    for (name, text, expected) in hostile_inputs() {
        assert_eq!(outcome(&text), Ok(expected), "{name}");
    }
}

/// The pass fixture of `yaml-syntax` holds the shapes of the fallback as real repositories write
/// them: it must stay a file only libyaml reads, with the values kubectl sees.
#[test]
fn pass_fixture_is_read_through_the_fallback() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/yaml-syntax/pass/apps/shop/worker.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(outcome(&text), Ok(Outcome::Fallback));
    let loaded = yaml::load(&text, &LineIndex::new(&text));
    let doc = loaded.documents[0].root();
    let annotations = doc.at(&["metadata", "annotations"]).unwrap();
    let value = |key| annotations.get(key).and_then(|n| n.as_str());
    assert_eq!(
        value("description"),
        Some("Processes the checkout queue and sends order confirmations by mail")
    );
    assert_eq!(
        value("owner"),
        Some("storefront team, on call: #shop-oncall")
    );
    let container = doc
        .at(&["spec", "template", "spec", "containers"])
        .and_then(|c| c.as_seq().next())
        .unwrap();
    let image = container.get("image").and_then(|n| n.as_str());
    assert_eq!(image, Some("ghcr.io/example/shop-worker:2.3.1"));
    let args: Vec<_> = container
        .get("args")
        .unwrap()
        .as_seq()
        .filter_map(|n| n.as_str())
        .collect();
    assert_eq!(args, ["--queue=checkout", "--concurrency=4"]);
}

/// The seeds of every fuzz target and the saved crash inputs: each agrees with libyaml.
#[test]
fn fuzz_corpora_against_libyaml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = files_under(&root.join("tests/fuzz-regressions"));
    for target in std::fs::read_dir(root.join("fuzz/corpus")).unwrap() {
        files.extend(files_under(&target.unwrap().path()));
    }
    assert!(files.len() > 15, "{files:?}");
    let mut seen = BTreeMap::new();
    for file in &files {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        match outcome(&text) {
            Ok(o) => *seen.entry(o).or_insert(0) += 1,
            Err(difference) => panic!("{}: {difference}", file.display()),
        }
    }
    // Most seeds are real manifests both parsers read alike.
    assert!(seen[&Outcome::Same] > 10, "{seen:?}");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}
