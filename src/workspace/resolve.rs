//! What a reference under the editor's cursor resolves to (hover, go-to-definition), from public
//! data only: the text of the file, parsed at the cursor, and the graphs of the workspace
//! (`cilint graph`'s nodes and edges, which carry where each object is written and what selects
//! what). Secret values are never read: a Secret is shown by kind, namespace and name.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::graph::{Edge, Graph, Node as GraphNode, State, node_id};
use crate::source::LineIndex;
use crate::source::yaml::{self, Node};

/// What a reference resolves to.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    /// Markdown: the target, where it is, and what it is connected to.
    pub summary: String,
    /// Where the targets are written (go-to-definition).
    pub targets: Vec<Target>,
}

/// A place in a report file, 1-based, columns in characters, end exclusive.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// The cursor: a report file, its current text, a 1-based line and character column.
pub struct At<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub line: u32,
    pub col: u32,
}

/// One step of the path from a document's root to the node under the cursor.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index,
}

/// Another file's current text, by its report name.
type TextOf<'t> = &'t dyn Fn(&str) -> Option<Arc<str>>;

/// The workspace's graphs, drawn around the nodes whose ids hold one of these names.
type GraphsOf<'g> = &'g dyn Fn(&[String]) -> Arc<Vec<Graph>>;

/// The reference under the cursor, resolved through the graphs `graphs_of` draws around what it
/// names; `text_of` gives another file's text.
pub fn resolve(at: &At<'_>, graphs_of: GraphsOf<'_>, text_of: TextOf<'_>) -> Option<Resolution> {
    let index = LineIndex::new(at.text);
    let loaded = yaml::load(at.text, &index);
    let doc = loaded
        .documents
        .iter()
        .map(|d| d.root())
        .find(|r| inside(*r, at.line, at.col));
    // Nothing in a Secret is a reference, and its values are never repeated.
    if doc.is_some_and(|d| d.get("kind").and_then(|k| k.as_str()) == Some("Secret")) {
        return None;
    }
    if let Some(word) = word_at(at)
        && let Some(gateway) = word.strip_prefix("cilium-gateway-")
    {
        let graphs = graphs_of(std::slice::from_ref(&word));
        return generated_service(&word, gateway, &graphs, text_of);
    }
    let doc = doc?;
    let mut path = Vec::new();
    let mut maps = Vec::new();
    scalar_path(doc, at.line, at.col, &mut path, &mut maps)?;
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index => None,
        })
        .collect();
    let last = *keys.last()?;
    let reference = maps.last().copied()?;
    let field = |k: &str| reference.get(k).and_then(|n| n.as_str());
    let list = keys.iter().rev().nth(1).copied().unwrap_or("");
    let selector = keys.iter().any(|k| k.contains("elector"));
    // What the cursor is on, from the text alone: a reference by name (the kind it names when it
    // says none), or a selector.
    let by_name = match (list, last) {
        ("parentRefs", "name" | "sectionName" | "port") => Some("Gateway"),
        ("backendRefs", "name" | "port") => Some("Service"),
        ("certificateRefs", "name") => Some("Secret"),
        _ => None,
    };
    if by_name.is_none() && !selector {
        return None;
    }
    // Only what the document is and what it names are drawn: the rest of the tree's graph is
    // never held (100k objects: tens of MB).
    let mut around = vec![doc.at(&["metadata", "name"])?.as_str()?.to_string()];
    if by_name.is_some() {
        around.push(field("name")?.to_string());
    }
    let graphs = graphs_of(&around);
    let referrer = referrer(doc, at.file, &graphs)?;
    let Some(default_kind) = by_name else {
        return selected(referrer, &graphs);
    };
    let namespace = field("namespace").or(referrer.namespace.as_deref());
    let kind = field("kind").unwrap_or(default_kind);
    let id = node_id(kind, namespace, field("name")?);
    match (list, last, field("sectionName")) {
        ("parentRefs", "sectionName", Some(section)) => {
            object(&format!("{id}/listener/{section}"), &graphs, text_of, None)
        }
        ("backendRefs", "port", _) if kind == "Service" => {
            object(&id, &graphs, text_of, field("port"))
        }
        _ => object(&id, &graphs, text_of, None),
    }
}

fn inside(node: Node<'_>, line: u32, col: u32) -> bool {
    let s = node.span();
    (s.start.line, s.start.col) <= (line, col) && (line, col) <= (s.end.line, s.end.col)
}

/// The keys and indexes from `node` down to the scalar under the cursor, and the mappings passed.
fn scalar_path<'a>(
    node: Node<'a>,
    line: u32,
    col: u32,
    path: &mut Vec<Step>,
    maps: &mut Vec<Node<'a>>,
) -> Option<()> {
    if node.as_str().is_some() {
        return inside(node, line, col).then_some(());
    }
    if node.is_map() {
        maps.push(node);
        for (k, v) in node.as_map() {
            if inside(v, line, col) {
                path.push(Step::Key(k.as_str()?.to_string()));
                return scalar_path(v, line, col, path, maps);
            }
        }
        return None;
    }
    for item in node.as_seq() {
        if inside(item, line, col) {
            path.push(Step::Index);
            return scalar_path(item, line, col, path, maps);
        }
    }
    None
}

/// The graph node of the object the document is: the one written at its `metadata.name`.
fn referrer<'g>(doc: Node<'_>, file: &str, graphs: &'g [Graph]) -> Option<&'g GraphNode> {
    let kind = doc.get("kind")?.as_str()?;
    let name = doc.at(&["metadata", "name"])?;
    let line = name.span().start.line;
    let name = name.as_str()?;
    let nodes = || graphs.iter().flat_map(|g| &g.nodes);
    nodes()
        .find(|n| {
            n.kind == kind
                && n.name == name
                && n.location
                    .as_ref()
                    .is_some_and(|l| l.file == file && l.line == line)
        })
        // Placed elsewhere than written (a kustomize patch): only a name no other object has.
        .or_else(|| {
            let mut same = nodes().filter(|n| n.kind == kind && n.name == name);
            let first = same.next()?;
            same.next().is_none().then_some(first)
        })
}

fn node<'g>(graphs: &'g [Graph], id: &str) -> Option<&'g GraphNode> {
    graphs.iter().flat_map(|g| &g.nodes).find(|n| n.id == id)
}

fn edges<'g>(graphs: &'g [Graph], id: &'g str) -> impl Iterator<Item = &'g Edge> + 'g {
    graphs
        .iter()
        .flat_map(|g| &g.edges)
        .filter(move |e| e.from == id || e.to == id)
}

fn target_of(n: &GraphNode) -> Option<Target> {
    let l = n.location.as_ref()?;
    // A listener's name is the last part of its node name.
    let name = n.name.rsplit('/').next().unwrap_or(&n.name);
    Some(Target {
        file: l.file.to_string(),
        line: l.line,
        col: l.column,
        end_line: l.line,
        end_col: l.column + name.chars().count() as u32,
    })
}

fn place(n: &GraphNode) -> String {
    match &n.location {
        Some(l) => format!("`{}:{}:{}`", l.file, l.line, l.column),
        None => "not written in the tree".into(),
    }
}

/// One line per edge of `id`: what it is connected to, and whether that works.
fn connections(out: &mut String, id: &str, graphs: &[Graph]) {
    for e in edges(graphs, id) {
        let (arrow, other) = if e.from == id {
            ("→", &e.to)
        } else {
            ("←", &e.from)
        };
        let other = node(graphs, other).map_or(other.as_str(), |n| n.label.as_str());
        let state = match (e.state, &e.rule, &e.reason) {
            (State::Broken, Some(rule), _) => format!(" ✗ `{rule}`"),
            (State::Unverifiable, _, Some(reason)) => format!(" ? {reason}"),
            _ => String::new(),
        };
        let _ = writeln!(out, "- {arrow} {}: {other}{state}", e.label);
    }
}

/// An object (or listener) by graph id; with `port`, the Service port entry it names.
fn object(
    id: &str,
    graphs: &[Graph],
    text_of: TextOf<'_>,
    port: Option<&str>,
) -> Option<Resolution> {
    let Some(n) = node(graphs, id) else {
        return Some(Resolution {
            summary: format!("**{id}**: nothing in the workspace has this name."),
            targets: Vec::new(),
        });
    };
    let mut summary = format!("**{}**: {}\n\n", n.label, place(n));
    let mut target = target_of(n);
    if let (Some(port), Some(t)) = (port, &target) {
        match service_port(t, port, text_of) {
            Some((line, col, text)) => {
                let _ = writeln!(summary, "port {port}: `{text}`\n");
                target = Some(Target {
                    line,
                    col,
                    end_line: line,
                    end_col: col + text.chars().count() as u32,
                    ..t.clone()
                });
            }
            None => {
                let _ = writeln!(summary, "port {port}: not among the Service's ports\n");
            }
        }
    }
    connections(&mut summary, id, graphs);
    Some(Resolution {
        summary,
        targets: target.into_iter().collect(),
    })
}

/// The line, first column and text of the first line of the `spec.ports` entry numbered `port`
/// of the Service named at `t`.
fn service_port(t: &Target, port: &str, text_of: TextOf<'_>) -> Option<(u32, u32, String)> {
    let text = text_of(&t.file)?;
    let line = document_named_at(t, &text, |doc| {
        let entry = doc
            .at(&["spec", "ports"])?
            .as_seq()
            .find(|p| p.get("port").and_then(|v| v.as_str()) == Some(port))?;
        Some(entry.span().start.line)
    })?;
    let written = text.lines().nth(line as usize - 1)?;
    let indent = written.chars().take_while(|c| c.is_whitespace()).count() as u32;
    Some((line, indent + 1, written.trim().to_string()))
}

/// What `read` finds in the document of `text` whose `metadata.name` is written at `t`.
fn document_named_at<T>(
    t: &Target,
    text: &str,
    read: impl FnOnce(Node<'_>) -> Option<T>,
) -> Option<T> {
    let index = LineIndex::new(text);
    let loaded = yaml::load(text, &index);
    let doc = loaded.documents.iter().map(|d| d.root()).find(|r| {
        r.at(&["metadata", "name"])
            .is_some_and(|n| n.span().start.line == t.line)
    })?;
    read(doc)
}

/// A selector: what the object's selectors reach, and what selects it.
fn selected(referrer: &GraphNode, graphs: &[Graph]) -> Option<Resolution> {
    let mut summary = format!("**{}**\n\n", referrer.label);
    connections(&mut summary, &referrer.id, graphs);
    let targets = edges(graphs, &referrer.id)
        .filter_map(|e| {
            let other = if e.from == referrer.id {
                &e.to
            } else {
                &e.from
            };
            target_of(node(graphs, other)?)
        })
        .collect();
    Some(Resolution { summary, targets })
}

/// `cilium-gateway-<gw>` in a command: the Service Cilium generates for the Gateway, the
/// labels Cilium puts on it, and the pools and policies that select it.
fn generated_service(
    service: &str,
    gateway: &str,
    graphs: &[Graph],
    text_of: TextOf<'_>,
) -> Option<Resolution> {
    let services: Vec<&GraphNode> = graphs
        .iter()
        .flat_map(|g| &g.nodes)
        .filter(|n| n.kind == "Service" && n.name == service)
        .collect();
    if services.is_empty() {
        return Some(Resolution {
            summary: format!(
                "**Service {service}**: no Gateway `{gateway}` in the workspace generates it."
            ),
            targets: Vec::new(),
        });
    }
    let mut summary = String::new();
    let mut targets = Vec::new();
    for s in services {
        let _ = writeln!(summary, "**{}**\n", s.label);
        let gateways = edges(graphs, &s.id)
            .filter(|e| e.to == s.id && e.label == "generates")
            .filter_map(|e| node(graphs, &e.from));
        for g in gateways {
            let _ = writeln!(summary, "generated by **{}**: {}\n", g.label, place(g));
            if let Some(t) = target_of(g) {
                let labels = infrastructure_labels(&t, text_of);
                if !labels.is_empty() {
                    let _ = writeln!(summary, "labels from `spec.infrastructure.labels`:\n");
                    for (k, v) in labels {
                        let _ = writeln!(summary, "- `{k}: {v}`");
                    }
                    summary.push('\n');
                }
                targets.push(t);
            }
        }
        connections(&mut summary, &s.id, graphs);
        summary.push('\n');
    }
    Some(Resolution { summary, targets })
}

/// The `spec.infrastructure.labels` of the Gateway named at `t`: Cilium copies them onto the
/// Service it generates.
fn infrastructure_labels(t: &Target, text_of: TextOf<'_>) -> Vec<(String, String)> {
    text_of(&t.file)
        .and_then(|text| {
            document_named_at(t, &text, |doc| {
                let labels = doc.at(&["spec", "infrastructure", "labels"])?;
                Some(
                    labels
                        .as_map()
                        .filter_map(|(k, v)| {
                            Some((k.as_str()?.to_string(), v.as_str()?.to_string()))
                        })
                        .collect(),
                )
            })
        })
        .unwrap_or_default()
}

/// The word (letters, digits, `-`, `.`, `_`) under the cursor.
fn word_at(at: &At<'_>) -> Option<String> {
    let line = at.text.lines().nth(at.line.checked_sub(1)? as usize)?;
    let chars: Vec<char> = line.chars().collect();
    let i = (at.col.checked_sub(1)? as usize).min(chars.len());
    let is_word = |c: char| c.is_alphanumeric() || "-._".contains(c);
    let start = chars[..i]
        .iter()
        .rposition(|c| !is_word(*c))
        .map_or(0, |p| p + 1);
    let end = chars[i..]
        .iter()
        .position(|c| !is_word(*c))
        .map_or(chars.len(), |p| i + p);
    (start < end).then(|| chars[start..end].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_under_the_cursor() {
        let at = At {
            file: "a.sh",
            text: "kubectl label svc cilium-gateway-web -n prod x=y\n",
            line: 1,
            col: 25,
        };
        assert_eq!(word_at(&at).as_deref(), Some("cilium-gateway-web"));
        let at = At { col: 200, ..at };
        assert_eq!(word_at(&at).as_deref(), Some("y"));
    }

    #[test]
    fn the_path_to_a_backend_ref_name() {
        let text = "kind: HTTPRoute\nspec:\n  rules:\n    - backendRefs:\n        - name: web\n          port: 80\n";
        let index = LineIndex::new(text);
        let loaded = yaml::load(text, &index);
        let root = loaded.documents[0].root();
        let (mut path, mut maps) = (Vec::new(), Vec::new());
        scalar_path(root, 5, 17, &mut path, &mut maps).unwrap();
        let k = |s: &str| Step::Key(s.into());
        assert_eq!(
            path,
            [
                k("spec"),
                k("rules"),
                Step::Index,
                k("backendRefs"),
                Step::Index,
                k("name")
            ]
        );
        assert_eq!(
            maps.last().unwrap().get("port").unwrap().as_str(),
            Some("80")
        );
    }
}
