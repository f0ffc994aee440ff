//! What each fuzz target checks, on one input. The targets in `fuzz_targets/` call these, and
//! `tests/fuzz_regressions.rs` replays saved crash inputs through the same functions, so a fix
//! stays tested in `cargo test` exactly as the fuzzer ran it.

use cilint::model::selector::LabelSelector;
use cilint::report::{self, Format, Style};
use cilint::source::yaml::{self, Node};
use cilint::source::{FileId, FileKind, LineIndex, commands};
use cilint::{Options, lint};

#[path = "oracle.rs"]
pub mod oracle;

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

/// cilint's YAML loader against libyaml, kubectl's parser, on text as `load::read` passes it
/// (UTF-8 without NUL; anything else is refused before the loader). Where libyaml accepts the
/// text, cilint loads it with no error but its deliberate refusals; every span cilint gives is
/// exact (byte, line and column agree). Values are compared where cilint read the whole text
/// from libyaml's events: where saphyr reads a text, it may read a construct as YAML 1.2 says and
/// libyaml does not (`tests/yaml_oracle.rs` lists those found in the YAML test suite).
pub fn yaml_oracle(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if text.contains('\0') {
        return;
    }
    let all_from_libyaml = saphyr_documents_before_error(&text) == Some(0);
    if let Err(difference) = compare_with_libyaml(&text, all_from_libyaml) {
        panic!("{difference}\n--- input ---\n{text:?}");
    }
}

/// How many documents saphyr completes before its first error; `None` when it reads the text.
pub fn saphyr_documents_before_error(text: &str) -> Option<usize> {
    use saphyr_parser::Event;
    let (mut depth, mut documents) = (0usize, 0);
    for item in saphyr_parser::Parser::new_from_str(text) {
        let Ok((event, _)) = item else {
            return Some(documents);
        };
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
            Event::SequenceEnd | Event::MappingEnd => {
                depth = depth.saturating_sub(1);
                documents += usize::from(depth == 0);
            }
            Event::Scalar(..) | Event::Alias(_) => documents += usize::from(depth == 0),
            _ => {}
        }
    }
    None
}

/// Where cilint's loader and libyaml disagree on `text`, if they do: in verdict and spans, and in
/// values when `values` is set.
pub fn compare_with_libyaml(text: &str, values: bool) -> Result<(), String> {
    let index = LineIndex::new(text);
    let loaded = yaml::load(text, &index);
    for doc in &loaded.documents {
        exact_spans(doc.root(), text, &index)?;
    }
    if let Some(error) = &loaded.error
        && index.pos_of_byte(error.pos.byte as usize) != error.pos
    {
        return Err(format!("error position {:?} is not exact", error.pos));
    }
    let Ok(accepted) = oracle::libyaml(text) else {
        // libyaml rejects it: kubectl does not apply it, whatever cilint says.
        return Ok(());
    };
    match &loaded.error {
        Some(error) if accepted.refusals.explain(&error.message) => return Ok(()),
        Some(error) => {
            return Err(format!(
                "libyaml accepts the text, cilint reports {error:?} (refusals met: {:?})",
                accepted.refusals
            ));
        }
        // Without values, what libyaml's reading would refuse is not cilint's reading either.
        None if !values => return Ok(()),
        None if accepted.refusals.any() => {
            return Err(format!(
                "cilint loads a text it should refuse: {:?}",
                accepted.refusals
            ));
        }
        None => {}
    }
    if loaded.documents.len() != accepted.documents.len() {
        return Err(format!(
            "cilint has {} documents, libyaml {}",
            loaded.documents.len(),
            accepted.documents.len()
        ));
    }
    for (i, (doc, value)) in loaded.documents.iter().zip(&accepted.documents).enumerate() {
        let mut path = format!("document {}", i + 1);
        if let Some(difference) = oracle::differ(doc.root(), value, &mut path) {
            return Err(difference);
        }
    }
    Ok(())
}

/// Every node's span lies in the text, in order, on character boundaries, with the line and
/// column of its byte offset.
fn exact_spans(node: Node<'_>, text: &str, index: &LineIndex) -> Result<(), String> {
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        let span = node.span();
        let (start, end) = (span.start.byte as usize, span.end.byte as usize);
        let exact = start <= end
            && end <= text.len()
            && text.is_char_boundary(start)
            && text.is_char_boundary(end)
            && index.pos_of_byte(start) == span.start
            && index.pos_of_byte(end) == span.end;
        if !exact {
            return Err(format!("{node:?}: span {span:?} is not exact"));
        }
        pending.extend(node.as_seq());
        pending.extend(node.as_map().flat_map(|(k, v)| [k, v]));
    }
    Ok(())
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
    for format in [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Gitlab,
        Format::Junit,
    ] {
        report::render(&report, format, Style::default());
    }
}
