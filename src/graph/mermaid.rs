//! Mermaid flowchart source, as GitHub renders it in a ```mermaid block. Several clusters are
//! one subgraph each, titled with the cluster's name.

use super::{Graph, State};

/// The flowchart of every graph.
pub fn render(graphs: &[Graph]) -> String {
    let mut out = String::from("flowchart LR\n");
    out.push_str("  classDef missing stroke-dasharray:4 3,stroke:#888,color:#555\n");
    out.push_str("  classDef flagged stroke:#d00,stroke-width:2px,color:#d00\n");
    let several = graphs.len() > 1;
    let mut styles: Vec<String> = Vec::new();
    let mut link = 0usize;
    for (c, g) in graphs.iter().enumerate() {
        let indent = if several { "    " } else { "  " };
        if several {
            let title = g.cluster.as_deref().unwrap_or("(no cluster)");
            out.push_str(&format!("  subgraph c{c} [\"{}\"]\n", escape(title)));
        }
        let id = |i: usize| {
            if several {
                format!("c{c}n{i}")
            } else {
                format!("n{i}")
            }
        };
        let index = super::index(g);
        let index = |node: &str| index.get(node).copied();
        for (i, n) in g.nodes.iter().enumerate() {
            out.push_str(&format!("{indent}{}[\"{}\"]", id(i), escape(&n.caption())));
            if n.rule.is_some() {
                out.push_str(":::flagged");
            } else if n.location.is_none() && n.label.ends_with("(not in the tree)") {
                out.push_str(":::missing");
            }
            out.push('\n');
        }
        for e in &g.edges {
            let (Some(from), Some(to)) = (index(&e.from), index(&e.to)) else {
                continue;
            };
            let arrow = match e.state {
                State::Ok => "-->",
                State::Broken | State::Unverifiable => "-.->",
            };
            out.push_str(&format!(
                "{indent}{} {arrow}|\"{}\"| {}\n",
                id(from),
                escape(&e.caption()),
                id(to)
            ));
            match e.state {
                State::Broken => styles.push(format!(
                    "  linkStyle {link} stroke:#d00,stroke-width:2px,color:#d00\n"
                )),
                State::Unverifiable => {
                    styles.push(format!("  linkStyle {link} stroke:#999,color:#777\n"))
                }
                State::Ok => {}
            }
            link += 1;
        }
        if several {
            out.push_str("  end\n");
        }
    }
    for s in styles {
        out.push_str(&s);
    }
    out
}

/// A label inside `"…"`: Mermaid's entity codes for what would end or break the string.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_end_their_string() {
        assert_eq!(
            escape(r#"a "b" <c> #d |e"#),
            "a #quot;b#quot; #lt;c#gt; #35;d #124;e"
        );
    }
}
