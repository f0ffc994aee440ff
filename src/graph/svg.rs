//! A self-contained SVG picture, laid out by the `layout-rs` crate (no Graphviz needed): boxes
//! for nodes, arrows for edges, broken edges red and dashed, unverifiable ones grey and dotted.
//! Several clusters are drawn side by side in one picture, each node's label prefixed with its
//! cluster's name.

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::{Graph, State};

/// The engine's own size for edge labels: one size throughout keeps the picture even.
const FONT: usize = 15;

/// The most nodes laid out: the engine's time grows much faster than the graph (about 8 s for
/// 200 nodes, minutes for 700, in a debug build), and a picture that large is unreadable anyway.
pub const MAX_NODES: usize = 250;

/// A graph too large to lay out.
#[derive(Debug, PartialEq)]
pub struct TooLarge {
    pub nodes: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the graph has {} nodes; --format svg lays out at most {MAX_NODES}: draw part of it with \
             --focus KIND/NAMESPACE/NAME, or use --format dot with Graphviz",
            self.nodes
        )
    }
}

/// The picture of every graph, when it is small enough to lay out.
pub fn render(graphs: &[Graph]) -> Result<String, TooLarge> {
    let nodes = graphs.iter().map(|g| g.nodes.len()).sum();
    if nodes > MAX_NODES {
        return Err(TooLarge { nodes });
    }
    let mut vg = VisualGraph::new(Orientation::LeftToRight);
    let several = graphs.len() > 1;
    // The layout engine arranges nodes top to bottom within a rank when the graph grows left to
    // right, as Graphviz does; shapes are created with the flipped orientation as its own DOT
    // front end does.
    let dir = Orientation::LeftToRight.flip();
    for g in graphs {
        let handles: Vec<_> = g
            .nodes
            .iter()
            .map(|n| {
                let label = match (several, &g.cluster) {
                    (true, Some(c)) => format!("[{c}] {}", n.caption()),
                    _ => n.caption(),
                };
                let missing = n.location.is_none() && n.label.ends_with("(not in the tree)");
                let (line, fill) = if n.rule.is_some() {
                    ("#dd0000", "#fff0f0")
                } else if missing {
                    ("#888888", "#f4f4f4")
                } else {
                    ("black", "white")
                };
                let shape = ShapeKind::new_box(&label);
                let size = get_shape_size(dir, &shape, FONT, false);
                let look = StyleAttr::new(Color::fast(line), 1, Some(Color::fast(fill)), 6, FONT);
                vg.add_node(Element::create(shape, look, dir, size))
            })
            .collect();
        let index = super::index(g);
        let index = |node: &str| index.get(node).copied();
        for e in &g.edges {
            let (Some(from), Some(to)) = (index(&e.from), index(&e.to)) else {
                continue;
            };
            let (color, width, style) = match e.state {
                State::Ok => ("black", 1, LineStyleKind::Normal),
                State::Broken => ("#dd0000", 2, LineStyleKind::Dashed),
                State::Unverifiable => ("#999999", 1, LineStyleKind::Dotted),
            };
            let look = StyleAttr::new(Color::fast(color), width, None, 0, FONT);
            let arrow = Arrow::new(
                LineEndKind::None,
                LineEndKind::Arrow,
                style,
                &caption(e),
                &look,
                &None,
                &None,
            );
            vg.add_edge(arrow, handles[from], handles[to]);
        }
    }
    let mut svg = SVGWriter::new();
    if vg.num_nodes() > 0 {
        vg.do_it(false, false, false, &mut svg);
    }
    Ok(sorted_styles(svg.finalize()))
}

/// What an edge says in the picture: the rule that breaks it, or why it cannot be verified; a
/// working edge says nothing. Each text is a node of its own to the layout engine, which would
/// make the picture several times wider.
fn caption(e: &super::Edge) -> String {
    match (&e.rule, &e.reason) {
        (Some(rule), _) => format!("✗ {rule}"),
        (None, Some(reason)) => format!("? {reason}"),
        (None, None) => String::new(),
    }
}

/// The writer emits one CSS class per font size in hash-map order: sorted, the picture is the
/// same bytes on every run.
fn sorted_styles(svg: String) -> String {
    let (Some(start), Some(end)) = (svg.find("<style>\n"), svg.find("</style>")) else {
        return svg;
    };
    let body = start + "<style>\n".len();
    if end < body {
        return svg;
    }
    let mut lines: Vec<&str> = svg[body..end].lines().collect();
    lines.sort_unstable();
    let mut out = String::with_capacity(svg.len());
    out.push_str(&svg[..body]);
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&svg[end..]);
    out
}
