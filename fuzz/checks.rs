//! What each fuzz target checks, on one input. The targets in `fuzz_targets/` call these, and
//! `tests/fuzz_regressions.rs` replays saved crash inputs through the same functions, so a fix
//! stays tested in `cargo test` exactly as the fuzzer ran it.

use cilint::model::selector::LabelSelector;
use cilint::report::{self, Format, Style};
use cilint::source::yaml::{self, Node};
use cilint::source::{FileId, FileKind, LineIndex, commands};
use cilint::{Options, lint};

/// The YAML loader on arbitrary bytes, decoded as `load::read` decodes a file: every span stays
/// inside the text (renderers slice the source with them) and is not reversed.
pub fn yaml_load(data: &[u8]) {
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

/// The `kubectl` command extractor on arbitrary text, read as each kind of file.
pub fn commands(data: &[u8]) {
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

const LABELS: &[(&str, &str)] = &[
    ("app", "web"),
    ("tier", "frontend"),
    ("io.cilium/lb-ipam-ips", ""),
    ("gateway.networking.k8s.io/gateway-name", "shop"),
];

fn label(key: &str) -> Option<&'static str> {
    LABELS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Label selectors parsed from every document of arbitrary YAML, matched against fixed labels: a
/// selector that matches has no failing term to describe.
pub fn label_selector(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    for arena in yaml::load(&text, &index).documents {
        let doc = arena.root();
        // The document itself, and the places a real object keeps its selectors.
        let nodes: Vec<Node> = [
            Some(doc),
            doc.at(&["spec", "selector"]),
            doc.at(&["spec", "serviceSelector"]),
            doc.at(&["spec", "endpointSelector"]),
        ]
        .into_iter()
        .flatten()
        .collect();
        for node in nodes {
            let selector = LabelSelector::from_node(node);
            assert!(!selector.matches(label) || selector.describe_failures(label).is_empty());
        }
    }
}

/// One in-memory file through the whole pipeline, as standard input, and every renderer.
pub fn pipeline(data: &[u8]) {
    let options = Options {
        stdin: Some(String::from_utf8_lossy(data).into_owned()),
        // Keeps the unverified references in the report so the renderers list them too.
        show_unverified: true,
        ..Options::default()
    };
    let report = lint(&["-".into()], &options);
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        report::render(&report, format, Style::default());
    }
}
