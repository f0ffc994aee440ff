//! Graphviz DOT. Several clusters are one `subgraph cluster_N` each, labelled with the
//! cluster's name, in one digraph: `dot` lays them out side by side.

use super::{Graph, State};

/// The digraph of every graph.
pub fn render(graphs: &[Graph]) -> String {
    let mut out = String::from("digraph cilint {\n");
    out.push_str("  rankdir=LR;\n");
    out.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    let several = graphs.len() > 1;
    for (c, g) in graphs.iter().enumerate() {
        let indent = if several { "    " } else { "  " };
        if several {
            let title = g.cluster.as_deref().unwrap_or("(no cluster)");
            out.push_str(&format!("  subgraph cluster_{c} {{\n"));
            out.push_str(&format!("    label={};\n", quote(title)));
        }
        let id = |i: usize| format!("c{c}n{i}");
        let index = super::index(g);
        let index = |node: &str| index.get(node).copied();
        for (i, n) in g.nodes.iter().enumerate() {
            let look = if n.rule.is_some() {
                ", color=\"#dd0000\", fontcolor=\"#dd0000\", penwidth=2"
            } else if n.location.is_none() && n.label.ends_with("(not in the tree)") {
                ", color=\"#888888\", fontcolor=\"#555555\", style=\"rounded,dashed\""
            } else {
                ""
            };
            out.push_str(&format!(
                "{indent}{} [label={}{look}];\n",
                id(i),
                quote(&n.caption())
            ));
        }
        for e in &g.edges {
            let (Some(from), Some(to)) = (index(&e.from), index(&e.to)) else {
                continue;
            };
            let style = match e.state {
                State::Ok => "",
                State::Broken => {
                    ", color=\"#dd0000\", fontcolor=\"#dd0000\", style=dashed, penwidth=2"
                }
                State::Unverifiable => ", color=\"#999999\", fontcolor=\"#777777\", style=dashed",
            };
            out.push_str(&format!(
                "{indent}{} -> {} [label={}{style}];\n",
                id(from),
                id(to),
                quote(&e.caption())
            ));
        }
        if several {
            out.push_str("  }\n");
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT double-quoted string: backslashes and quotes escaped, lines joined.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_stay_inside_the_string() {
        assert_eq!(quote(r#"a "b" \n"#), r#""a \"b\" \\n""#);
    }
}
