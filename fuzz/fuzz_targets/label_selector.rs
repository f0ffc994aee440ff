//! Label selectors parsed from every document of arbitrary YAML, matched against fixed labels.
#![no_main]

use cilint::model::selector::LabelSelector;
use cilint::source::LineIndex;
use cilint::source::yaml::{self, Node};
use libfuzzer_sys::fuzz_target;

const LABELS: &[(&str, &str)] = &[
    ("app", "web"),
    ("tier", "frontend"),
    ("io.cilium/lb-ipam-ips", ""),
    ("gateway.networking.k8s.io/gateway-name", "shop"),
];

fn label(key: &str) -> Option<&'static str> {
    LABELS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fuzz_target!(|data: &[u8]| {
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
            let matched = selector.matches(label);
            let failures = selector.describe_failures(label);
            assert!(!matched || failures.is_empty());
        }
    }
});
