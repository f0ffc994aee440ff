//! `cilint graph`: the paths of one world drawn from the Catalog, the shared analysis and the
//! world's findings. The request path runs Gateway → listener → route → backend Service →
//! workloads; the address path runs Gateway → generated Service → IP pool, L2 policy or BGP
//! advertisement → BGP PeerConfig → ClusterConfig. An edge a finding breaks is `broken` with
//! the rule id; one that cannot be verified is `unverifiable` with the reason.
//!
//! The graph is built only by `cilint graph`, never by a lint run. It names objects only:
//! no Secret value (nor any other value) is ever put in it.

pub mod dot;
pub mod json;
pub mod mermaid;
mod model;
pub mod svg;

pub use model::{World, build};

use std::sync::Arc;

use serde::Serialize;

/// A string the graph holds many times over, held once: each edge's ends are its nodes' ids,
/// and kinds, namespaces, files and edge labels repeat across nodes and edges. The server keeps
/// the graph between a hover and the next change (10k objects: 9k nodes and 10k edges). Not a
/// `model::Text`: those live as long as the process, and a graph's ids and labels go with it.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shared(Arc<str>);

impl Shared {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Shared {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Shared {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Shared {
    fn from(s: &str) -> Shared {
        Shared(Arc::from(s))
    }
}

impl From<String> for Shared {
    fn from(s: String) -> Shared {
        Shared(Arc::from(s))
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// One world's picture.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Graph {
    /// The cluster's name; `None` when the repository is one cluster.
    pub cluster: Option<String>,
    /// Sorted by id.
    pub nodes: Vec<Node>,
    /// Sorted by (from, to, label).
    pub edges: Vec<Edge>,
}

/// An object, a listener or a command.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// Stable: `Kind/namespace/name`, `Kind/name` when cluster-scoped, a listener
    /// `Gateway/namespace/name/listener/NAME`, a command `command/FILE:LINE:COLUMN`.
    pub id: Shared,
    pub kind: Shared,
    pub namespace: Option<Shared>,
    pub name: String,
    /// What the picture shows.
    pub label: String,
    /// Where it is written; `None` for what the tree does not hold (a missing object) or what a
    /// controller generates.
    pub location: Option<NodeLocation>,
    /// The rule ids, comma-separated, of the findings about this object that break no drawn
    /// edge (a Service that selects no pods): the node itself is drawn red.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Node {
    /// The text drawn in the node: its label, and the rules of its own findings.
    pub fn caption(&self) -> String {
        match &self.rule {
            Some(rule) => format!("{} ✗ {rule}", self.label),
            None => self.label.clone(),
        }
    }
}

/// Where a node is written, 1-based as in the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeLocation {
    pub file: Shared,
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Works as far as cilint can tell.
    #[default]
    Ok,
    /// A finding breaks it: `rule` names the rule.
    Broken,
    /// It depends on something cilint cannot see: `reason` says what.
    Unverifiable,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Edge {
    pub from: Shared,
    pub to: Shared,
    pub label: Shared,
    pub state: State,
    /// The rule ids of the findings that break it, comma-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Edge {
    /// The text drawn on the edge: its label, and the rule or reason when it has one.
    pub fn caption(&self) -> String {
        match (&self.rule, &self.reason) {
            (Some(rule), _) => format!("{} ✗ {rule}", self.label),
            (None, Some(reason)) => format!("{} ? {reason}", self.label),
            (None, None) => self.label.to_string(),
        }
    }
}

/// A node's id: `Kind/namespace/name`, or `Kind/name` when cluster-scoped.
pub fn node_id(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// Each node's position by id.
fn index(g: &Graph) -> std::collections::HashMap<&str, usize> {
    g.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect()
}

/// Why `--focus` names nothing drawn.
#[derive(Debug, PartialEq)]
pub struct UnknownFocus {
    pub focus: String,
    /// The closest node id drawn, if one is close.
    pub suggestion: Option<String>,
}

impl std::fmt::Display for UnknownFocus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--focus `{}` names nothing in the graph", self.focus)?;
        match &self.suggestion {
            Some(s) => write!(f, " (did you mean `{s}`?)"),
            None => write!(
                f,
                "; give KIND/NAMESPACE/NAME, or KIND/NAME when cluster-scoped"
            ),
        }
    }
}

/// Keeps, in each graph, only what the focused object reaches and what reaches it; graphs that
/// do not hold it are dropped. `focus` is `KIND/NAMESPACE/NAME` or `KIND/NAME`, the kind in any
/// case.
pub fn focus(graphs: Vec<Graph>, focus: &str) -> Result<Vec<Graph>, UnknownFocus> {
    let wanted = normalize_focus(focus);
    let kept: Vec<Graph> = graphs
        .iter()
        .filter_map(|g| {
            let start = g.nodes.iter().find(|n| normalize_focus(&n.id) == wanted)?;
            Some(reachable(g, &start.id))
        })
        .collect();
    if !kept.is_empty() {
        return Ok(kept);
    }
    let ids: Vec<&str> = graphs
        .iter()
        .flat_map(|g| g.nodes.iter().map(|n| n.id.as_str()))
        .collect();
    Err(UnknownFocus {
        focus: focus.to_string(),
        suggestion: crate::model::suggest::closest(focus, ids).map(str::to_string),
    })
}

/// The kind is matched in any case; namespace and name as written.
fn normalize_focus(id: &str) -> String {
    match id.split_once('/') {
        Some((kind, rest)) => format!("{}/{rest}", kind.to_ascii_lowercase()),
        None => id.to_ascii_lowercase(),
    }
}

/// The part of `g` reachable from `start` forwards, and the part that reaches it.
fn reachable(g: &Graph, start: &str) -> Graph {
    use std::collections::{BTreeSet, HashMap};
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut into: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &g.edges {
        out.entry(&e.from).or_default().push(&e.to);
        into.entry(&e.to).or_default().push(&e.from);
    }
    let walk = |next: &HashMap<&str, Vec<&str>>| {
        let mut seen = BTreeSet::from([start.to_string()]);
        let mut todo = vec![start];
        while let Some(at) = todo.pop() {
            for &n in next.get(at).into_iter().flatten() {
                if seen.insert(n.to_string()) {
                    todo.push(n);
                }
            }
        }
        seen
    };
    let (down, up) = (walk(&out), walk(&into));
    let keep = |id: &str| down.contains(id) || up.contains(id);
    // An edge is kept when it lies on a path through the focus: both ends downstream, or both
    // upstream.
    let on_path = |e: &&Edge| {
        (down.contains(e.from.as_str()) && down.contains(e.to.as_str()))
            || (up.contains(e.from.as_str()) && up.contains(e.to.as_str()))
    };
    Graph {
        cluster: g.cluster.clone(),
        nodes: g.nodes.iter().filter(|n| keep(&n.id)).cloned().collect(),
        edges: g.edges.iter().filter(on_path).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> Node {
        let mut parts = id.split('/');
        let kind = parts.next().unwrap_or_default().into();
        Node {
            id: id.into(),
            kind,
            namespace: None,
            name: id.into(),
            label: id.into(),
            location: None,
            rule: None,
        }
    }

    fn edge(from: &str, to: &str) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            label: Shared::default(),
            state: State::Ok,
            rule: None,
            reason: None,
        }
    }

    fn sample() -> Graph {
        Graph {
            cluster: None,
            nodes: ["A/x/a", "B/x/b", "C/x/c", "D/x/d", "E/x/e"]
                .into_iter()
                .map(node)
                .collect(),
            // a → b → c, d → b, e alone.
            edges: vec![
                edge("A/x/a", "B/x/b"),
                edge("B/x/b", "C/x/c"),
                edge("D/x/d", "B/x/b"),
            ],
        }
    }

    #[test]
    fn focus_keeps_what_reaches_the_object_and_what_it_reaches() {
        let g = focus(vec![sample()], "c/x/c").unwrap().remove(0);
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["A/x/a", "B/x/b", "C/x/c", "D/x/d"]);
        // From a, only a's own paths: d reaches b, but not through a.
        let g = focus(vec![sample()], "A/x/a").unwrap().remove(0);
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["A/x/a", "B/x/b", "C/x/c"]);
        assert_eq!(g.edges.len(), 2);
    }

    #[test]
    fn an_unknown_focus_suggests_the_closest_node() {
        let e = focus(vec![sample()], "C/x/cc").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("C/x/c"));
        assert!(e.to_string().contains("did you mean `C/x/c`"), "{e}");
    }
}
