//! The graphs as JSON, for other tools:
//! `{"tool": {...}, "graphs": [{"cluster", "nodes": [...], "edges": [...]}]}`.

use serde::Serialize;

use super::Graph;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Document<'a> {
    tool: Tool,
    graphs: &'a [Graph],
}

/// The JSON document of every graph, pretty-printed, with a final newline.
pub fn render(graphs: &[Graph]) -> String {
    let doc = Document {
        tool: Tool {
            name: "cilint",
            version: env!("CARGO_PKG_VERSION"),
        },
        graphs,
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("graphs serialize");
    out.push('\n');
    out
}
