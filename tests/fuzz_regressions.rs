//! Inputs the fuzzers in `fuzz/` found, replayed through the same code paths as their targets so
//! they stay fixed in `cargo test`.

use cilint::model::selector::LabelSelector;
use cilint::report::{self, Format, Style};
use cilint::source::yaml;
use cilint::source::{FileId, FileKind, LineIndex, commands};
use cilint::{Options, lint};

/// Each crash input as libFuzzer saved it (in `tests/fuzz-regressions/`), with what was wrong.
macro_rules! crash {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("fuzz-regressions/", $name)).as_slice(),
        )
    };
}
const CRASHES: &[(&str, &[u8])] = &[
    // yaml_load: a text ending without a newline inside a mapping gave the implicit null value
    // a position at the start of the last line, so the mapping's span ended before it began.
    crash!("crash-42be31f6b993cf401d546b0b92a999be4505eec4"),
    // yaml_load: saphyr counts a lone CR as a line break and the line index did not, so spans
    // after one landed on the wrong line and a document's span ended before it began.
    crash!("crash-a3e18ab572d54b919e5e39b15d31f46e1dbbb339"),
];

/// The `yaml_load` target: every span inside the text and not reversed.
fn yaml_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    let loaded = yaml::load(&text, &index);
    if let Some(error) = &loaded.error {
        assert!(error.pos.byte as usize <= text.len());
    }
    for doc in &loaded.documents {
        let span = doc.root().span();
        assert!(span.start.byte <= span.end.byte);
        assert!(span.end.byte as usize <= text.len());
    }
}

/// The `commands` target.
fn commands(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    for kind in [
        FileKind::Yaml,
        FileKind::Json,
        FileKind::Shell,
        FileKind::Markdown,
    ] {
        for command in commands::extract(FileId(0), kind, &text, &index) {
            let span = command.location.span;
            assert!(span.start.byte <= span.end.byte);
            assert!(span.end.byte as usize <= text.len());
        }
    }
}

/// The `label_selector` target.
fn label_selector(data: &[u8]) {
    let label = |key: &str| match key {
        "app" => Some("web"),
        "tier" => Some("frontend"),
        _ => None,
    };
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    for arena in yaml::load(&text, &index).documents {
        let doc = arena.root();
        for node in [Some(doc), doc.at(&["spec", "selector"])]
            .into_iter()
            .flatten()
        {
            let selector = LabelSelector::from_node(node);
            assert!(!selector.matches(label) || selector.describe_failures(label).is_empty());
        }
    }
}

/// The `pipeline` target.
fn pipeline(data: &[u8]) {
    let options = Options {
        stdin: Some(String::from_utf8_lossy(data).into_owned()),
        show_unverified: true,
        ..Options::default()
    };
    let report = lint(&["-".into()], &options);
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        report::render(&report, format, Style::default());
    }
}

/// Every input goes through every target: a crash in one stage is worth checking in the others.
#[test]
fn fuzz_crashes_stay_fixed() {
    for (name, data) in CRASHES {
        for (target, run) in [
            ("yaml_load", yaml_load as fn(&[u8])),
            ("commands", commands),
            ("label_selector", label_selector),
            ("pipeline", pipeline),
        ] {
            let outcome = std::panic::catch_unwind(|| run(data));
            assert!(outcome.is_ok(), "{name} crashes the {target} target again");
        }
    }
}
